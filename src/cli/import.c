/* import.c — `borderdesk import orders|messages FILE|-`: JSON Lines into the store.
 * Every valid line is kept; a bad one is reported as FILE:LINE: reason and the exit code is
 * 3. --strict changes nothing unless every line is valid. Every new buyer message is
 * classified (rules compiled once per run); the ticket takes the category of its latest
 * unanswered buyer message and its priority from that message's urgency. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>


#define IMPORT_BATCH 5000              /* lines per transaction */
#define IMPORT_MAX_LINE (16u << 20)    /* bytes */

typedef struct import_stats {
    long lines, inserted, updated, unchanged, rejected, tickets_created, tickets_reopened;
} import_stats;

static void import_help(void)
{
    printf("usage: borderdesk import orders|messages [--strict] [--quiet] [--no-tiers] FILE|-\n\n"
           "Reads JSON Lines (one object per line; README.md lists every field) from FILE or\n"
           "standard input and stores them. Importing the same data twice changes nothing.\n\n"
           "  --strict   import nothing unless every line is valid\n"
           "  --quiet    no summary line\n"
           "  --no-tiers orders: do not update buyers' tiers afterwards (`tiers recompute`)\n\n"
           "A bad line is reported as FILE:LINE: reason on stderr; the other lines are kept\n"
           "and the exit code is 3.\n");
}

static int import_line(ticket_ctx *ctx, int orders, const char *line, size_t len,
                       import_stats *st, bd_err *err)
{
    bd_err perr;
    cJSON *j = bd_json_parse(line, len, &perr);
    if (!j) return bd_err_set(err, "%s", perr.msg);
    int rc;
    if (orders) {
        bd_order o;
        rc = bd_order_from_json(j, &o, err);
        int result = 0;
        if (!rc) rc = ticket_ingest_order(ctx, &o, &result, err);
        if (!rc) {
            if (result == STORE_INSERTED) st->inserted++;
            else if (result == STORE_UPDATED) st->updated++;
            else st->unchanged++;
        }
        bd_order_clear(&o);
    } else {
        bd_message m;
        rc = bd_message_from_json(j, &m, err);
        ticket_ingest_result res;
        if (!rc) rc = ticket_ingest_message(ctx, &m, &res, err);
        if (!rc) {
            if (res.duplicate) st->unchanged++;
            else st->inserted++;
            st->tickets_created += res.created;
            st->tickets_reopened += res.reopened;
        }
        bd_message_clear(&m);
    }
    cJSON_Delete(j);
    return rc;
}

/* A store error (disk full, locked) stops the run; a bad line does not. */
static int is_store_error(const char *msg)
{
    return strncmp(msg, "database ", 9) == 0;
}

int cmd_import(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv) || argc < 2) {
        if (argc < 2) return cli_usage("import", "say what to import: orders or messages");
        import_help();
        return BD_EXIT_OK;
    }
    const char *what = argv[1];
    int orders = strcmp(what, "orders") == 0;
    if (!orders && strcmp(what, "messages") != 0)
        return cli_usage("import", "unknown kind \"%s\" (orders or messages)", what);
    int strict = 0, quiet = 0, tiers = 1;
    static const struct option opts[] = {{"strict", no_argument, NULL, 's'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"no-tiers", no_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    int c;
    argc--, argv++; /* options follow the kind */
    optind = 0;     /* 0 re-initialises GNU getopt (argument permutation on) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's') strict = 1;
        else if (c == 'q') quiet = 1;
        else if (c == 't') tiers = 0;
        else return cli_usage("import", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("import", "give one FILE, or - for standard input");
    const char *path = argv[optind];
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) return cli_fail(BD_EXIT_FAIL, "%s: %s", path, strerror(errno));
    const char *label = in == stdin ? "<stdin>" : path;

    bd_store *s = cli_store(cli, STORE_OPEN_CREATE);
    if (!s) {
        if (in != stdin) fclose(in);
        return BD_EXIT_FAIL;
    }
    ticket_ctx ctx;
    cli_ticket_ctx(cli, &ctx, "import");
    if (!orders) cli_ticket_classifier(cli, &ctx, "import");
    /* a ticket's due time is refreshed once per transaction, however many lines touch it */
    ctx.defer_changes = 1;
    import_stats st = {0};
    bd_err err;
    int fatal = 0, in_tx = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) != -1) {
        st.lines++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == len) continue; /* blank line */
        if (!in_tx) {
            if (store_begin(s, &err)) {
                cli_fail(BD_EXIT_FAIL, "%s", err.msg);
                fatal = 1;
                break;
            }
            in_tx = 1;
        }
        int rc;
        if (len > IMPORT_MAX_LINE)
            rc = bd_err_set(&err, "line longer than %u bytes", IMPORT_MAX_LINE);
        else
            /* A rejected line wrote nothing (ticket.h's contract), so no savepoint is
             * needed per line: it would cost a quarter of the import time. */
            rc = import_line(&ctx, orders, line, len, &st, &err);
        if (rc) {
            if (is_store_error(err.msg)) {
                cli_fail(BD_EXIT_FAIL, "%s:%ld: %s", label, st.lines, err.msg);
                fatal = 1;
                break;
            }
            fprintf(stderr, "%s:%ld: %s\n", label, st.lines, err.msg);
            st.rejected++;
        }
        if (!strict && st.lines % IMPORT_BATCH == 0) {
            if (ticket_ctx_flush(&ctx, &err) || store_commit(s, &err)) {
                cli_fail(BD_EXIT_FAIL, "%s", err.msg);
                fatal = 1;
                break;
            }
            in_tx = 0;
        }
    }
    free(line);
    if (in != stdin) fclose(in);
    if (in_tx) {
        if (fatal || (strict && st.rejected)) {
            store_rollback(s);
            ticket_ctx_discard(&ctx);
        } else if (ticket_ctx_flush(&ctx, &err) || store_commit(s, &err)) {
            store_rollback(s);
            cli_fail(BD_EXIT_FAIL, "%s", err.msg);
            fatal = 1;
        }
    }
    ticket_classifier_close(&ctx);
    ticket_ctx_clear(&ctx);
    if (fatal) return BD_EXIT_FAIL;
    if (strict && st.rejected) {
        fprintf(stderr, "borderdesk: %ld bad line(s); --strict: nothing was imported\n",
                st.rejected);
        return BD_EXIT_DATA;
    }
    if (!quiet) {
        if (orders)
            printf("orders: %ld inserted, %ld updated, %ld unchanged, %ld rejected\n",
                   st.inserted, st.updated, st.unchanged, st.rejected);
        else
            printf("messages: %ld inserted, %ld already stored, %ld rejected; tickets: %ld "
                   "created, %ld reopened\n",
                   st.inserted, st.unchanged, st.rejected, st.tickets_created,
                   st.tickets_reopened);
    }
    /* New and changed orders queued their buyers: bring the tiers up to date. */
    if (orders && tiers && st.inserted + st.updated > 0) cli_tiers_update(cli, quiet);
    return st.rejected ? BD_EXIT_DATA : BD_EXIT_OK;
}
