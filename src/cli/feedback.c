/* feedback.c — `borderdesk feedback import FILE|-`: marketplace feedback and reviews as JSON
 * Lines (the same records the marketplace sync passes to sat_feedback_record). A bad line is
 * reported as FILE:LINE and skipped (exit 3); a feedback already recorded is reported and
 * changes nothing; a changed rating for the same feedback id is a revision. */
#include "cli.h"

#include "borderdesk/satisfaction.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define FEEDBACK_BATCH 2000
#define FEEDBACK_MAX_LINE (1u << 20)

static void feedback_help(void)
{
    printf(
        "usage: borderdesk feedback import [--quiet] [--no-tiers] FILE|-\n\n"
        "One JSON object per line: {\"shop\", \"marketplace\", \"external_id\" (the\n"
        "marketplace's feedback id; or \"order_id\"), \"buyer\": {\"external_id\", ...},\n"
        "\"order_id\"?, \"kind\"? (seller_feedback | product_review), \"rating\" (positive |\n"
        "neutral | negative) and/or \"stars\" (1-5), \"comment\"?, \"response\"?, \"left_at\"}.\n"
        "Feedback that follows a ticket (same buyer and order, within 30 days of its last\n"
        "message) is recorded on the ticket and its agent. Buyers' tiers are updated after.\n");
}

static int import_one(bd_store *s, const char *line, size_t len, int *result, bd_err *err)
{
    bd_err perr;
    cJSON *j = bd_json_parse(line, len, &perr);
    if (!j) return bd_err_set(err, "%s", perr.msg);
    sat_feedback f;
    int rc = sat_feedback_from_json(j, &f, err);
    if (!rc) rc = sat_feedback_record(s, &f, result, NULL, err);
    bd_buyer_clear(&f.buyer);
    cJSON_Delete(j);
    return rc;
}

static int feedback_import(bd_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"no-tiers", no_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    int quiet = 0, tiers = 1, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = 1;
        else if (c == 't')
            tiers = 0;
        else
            return cli_usage("feedback import", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("feedback import", "give one FILE, or - for stdin");
    const char *path = argv[optind];
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) return cli_fail(BD_EXIT_FAIL, "%s: %s", path, strerror(errno));
    const char *label = in == stdin ? "<stdin>" : path;
    bd_store *s = cli_store(cli, STORE_OPEN_CREATE);
    if (!s) {
        if (in != stdin) fclose(in);
        return BD_EXIT_FAIL;
    }
    long lines = 0, recorded = 0, revised = 0, duplicates = 0, rejected = 0;
    int fatal = 0, in_tx = 0;
    bd_err err;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) != -1) {
        lines++;
        size_t len;
        if (cli_line_blank(line, (size_t)n, &len)) continue;
        if (!in_tx) {
            if (store_begin(s, &err)) {
                cli_fail(BD_EXIT_FAIL, "%s", err.msg);
                fatal = 1;
                break;
            }
            in_tx = 1;
        }
        int result = 0;
        int rc = len > FEEDBACK_MAX_LINE
                     ? bd_err_set(&err, "line longer than %u bytes", FEEDBACK_MAX_LINE)
                     : import_one(s, line, len, &result, &err);
        if (rc) {
            if (strncmp(err.msg, "database ", 9) == 0) {
                cli_fail(BD_EXIT_FAIL, "%s:%ld: %s", label, lines, err.msg);
                fatal = 1;
                break;
            }
            fprintf(stderr, "%s:%ld: %s\n", label, lines, err.msg);
            rejected++;
        } else if (result == SAT_DUPLICATE) {
            duplicates++;
            fprintf(stderr,
                    "%s:%ld: duplicate: this feedback is already recorded; nothing"
                    " changed\n",
                    label, lines);
        } else if (result == SAT_REVISED) {
            revised++;
        } else {
            recorded++;
        }
        if (lines % FEEDBACK_BATCH == 0) {
            if (store_commit(s, &err)) {
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
        if (fatal)
            store_rollback(s);
        else if (store_commit(s, &err))
            fatal = cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    }
    if (fatal) return BD_EXIT_FAIL;
    if (!quiet)
        printf("feedback: %ld recorded, %ld revised, %ld already recorded, %ld rejected\n",
               recorded, revised, duplicates, rejected);
    /* satisfaction feeds the loyalty class: bring tiers up to date */
    if (tiers && recorded + revised > 0) cli_tiers_update(cli, quiet);
    return rejected ? BD_EXIT_DATA : BD_EXIT_OK;
}

int cmd_feedback(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        feedback_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    if (strcmp(argv[1], "import") == 0) return feedback_import(cli, argc - 1, argv + 1);
    return cli_usage("feedback", "unknown subcommand \"%s\"", argv[1]);
}
