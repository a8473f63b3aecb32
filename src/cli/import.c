/* import.c — `borderdesk import orders|messages FILE|-`: JSON Lines into the store.
 * Every valid line is kept; a bad one is reported as FILE:LINE: reason and the exit code is
 * 3. --strict changes nothing unless every line is valid. Every new buyer message is
 * classified (rules compiled once per run); the ticket takes the category of its latest
 * unanswered buyer message and its priority from that message's urgency. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Lines per transaction. Each commit writes every page the batch dirtied to the WAL, and
 * an index page takes rows from all over a batch: 20,000 lines write half the pages 5,000
 * do (measured: 116k against 227k page writes for 100,000 messages), holding the write
 * lock about a second. */
#define IMPORT_BATCH 20000
#define IMPORT_BATCH_MAX 1000000
#define IMPORT_MAX_LINE (16u << 20) /* bytes */
#define IMPORT_QUEUE 512            /* lines read ahead */

typedef struct import_stats {
    long lines, inserted, updated, unchanged, rejected, tickets_created, tickets_reopened;
} import_stats;

static void import_help(void)
{
    printf(
        "usage: borderdesk import orders|messages [--strict] [--quiet] [--no-tiers] [--batch N]\n"
        "                                         FILE|-\n\n"
        "Reads JSON Lines (one object per line; README.md lists every field) from FILE or\n"
        "standard input and stores them. Importing the same data twice changes nothing.\n\n"
        "  --strict   import nothing unless every line is valid\n"
        "  --quiet    no summary line\n"
        "  --no-tiers orders: do not update buyers' tiers afterwards (`tiers recompute`)\n"
        "  --batch N  lines per transaction (default 20000): what a stopped import keeps\n"
        "             is every full batch before it; other writers wait for a commit\n\n"
        "A bad line is reported as FILE:LINE: reason on stderr; the other lines are kept\n"
        "and the exit code is 3.\n");
}

/* ---- the reader and classifier threads ----
 * Reading, JSON parsing and classification take most of an import's time and need no
 * database, so other threads do them ahead of the one that stores: a reader parses the
 * lines into a ring of items in file order, and classifier threads (one per CPU, each with
 * its own scratch) take the parsed items in order and classify the buyer messages, so that
 * a machine's cores all work while the store waits for the next line. A message is
 * classified as if nothing were waiting on its ticket (ticket.h's "classifying ahead"); one
 * the reader's own read-only connection already finds stored is a re-import and is not
 * classified. Items are numbered: consumed <= taken <= produced <= consumed + IMPORT_QUEUE
 * (stored, handed to a classifier, parsed); item n lives in items[n % IMPORT_QUEUE]. */

#define IMPORT_CLASSIFIERS_MAX 8

typedef struct import_item {
    long line_no;
    int blank; /* an empty line: nothing to store */
    int rc;    /* -1: a bad line, err says why */
    bd_err err;
    bd_message m;
    bd_order o;
    ticket_ahead *ahead; /* the classification made ahead, when used */
    int wanted;          /* a new buyer message: to be classified ahead */
    int classified;
    int ready; /* a classifier is done with it (under mu) */
} import_item;

typedef struct import_reader {
    FILE *in;
    int orders;
    bd_store *reader; /* read-only: finds messages already stored */
    pthread_mutex_t mu;
    /* each side waits on its own condition, and is woken only when it waits */
    pthread_cond_t room, parsed, ready;
    int reader_waits, classifiers_wait, writer_waits;
    import_item items[IMPORT_QUEUE];
    unsigned long produced, taken, consumed;
    int classifiers; /* threads (0: the items are ready once parsed) */
    int eof, stop;
} import_reader;

#define IMPORT_TAKE 64 /* items a classifier takes at once (and classifies together) */

static void wake_all(import_reader *r) /* under mu: the end, or a stop */
{
    pthread_cond_broadcast(&r->room);
    pthread_cond_broadcast(&r->parsed);
    pthread_cond_broadcast(&r->ready);
}

typedef struct import_classifier {
    import_reader *r;
    ticket_ahead_worker *worker;
    pthread_t thread;
    int started;
} import_classifier;

static void item_clear(import_item *it)
{
    bd_message_clear(&it->m);
    bd_order_clear(&it->o);
    it->classified = 0;
    it->wanted = 0;
}

/* Parses one line into it (on the reader thread). */
static void item_parse(import_reader *r, import_item *it, const char *line, size_t len)
{
    it->rc = 0;
    it->blank = cli_line_blank(line, len, &len);
    if (it->blank) return;
    if (len > IMPORT_MAX_LINE) {
        it->rc = bd_err_set(&it->err, "line longer than %u bytes", IMPORT_MAX_LINE);
        return;
    }
    bd_err perr;
    cJSON *j = bd_json_parse(line, len, &perr);
    if (!j) {
        it->rc = bd_err_set(&it->err, "%s", perr.msg);
        return;
    }
    it->rc = r->orders ? bd_order_from_json(j, &it->o, &it->err)
                       : bd_message_from_json(j, &it->m, &it->err);
    cJSON_Delete(j);
    if (it->rc || r->orders || it->m.direction != BD_DIR_IN) return;
    bd_err ignored;
    if (r->reader &&
        store_message_exists_in(r->reader, it->m.shop, it->m.external_id, &ignored) == 1)
        return; /* stored by an earlier import: the storing side skips it */
    it->wanted = 1;
}

static void free_line(void *line)
{
    free(*(char **)line);
}

/* The reader can be cancelled only while it waits for input: after a fatal error the
 * writer cancels a read from a pipe that stays open (cron | borderdesk import ... -), which
 * would otherwise keep the failed run waiting for a next line that may never come. */
static void *reader_main(void *arg)
{
    import_reader *r = arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    char *line = NULL;
    size_t cap = 0;
    long line_no = 0;
    ssize_t n;
    pthread_cleanup_push(free_line, &line);
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->produced - r->consumed == IMPORT_QUEUE && !r->stop) {
            r->reader_waits = 1;
            pthread_cond_wait(&r->room, &r->mu);
            r->reader_waits = 0;
        }
        int stop = r->stop;
        import_item *it = &r->items[r->produced % IMPORT_QUEUE];
        pthread_mutex_unlock(&r->mu);
        if (stop) break;
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        n = getline(&line, &cap, r->in);
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        if (n == -1) break;
        /* the slot is the reader's until produced covers it */
        it->line_no = ++line_no;
        it->ready = 0;
        item_parse(r, it, line, (size_t)n);
        pthread_mutex_lock(&r->mu);
        r->produced++;
        /* classifiers wake for a handful of lines, or at once when the store waits (a
         * pipe that brings a line now and then) */
        if (r->classifiers_wait && (r->produced - r->taken >= IMPORT_TAKE || r->writer_waits))
            pthread_cond_signal(&r->parsed);
        if (!r->classifiers && r->writer_waits) pthread_cond_signal(&r->ready);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_cleanup_pop(1);
    pthread_mutex_lock(&r->mu);
    r->eof = 1;
    wake_all(r);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Takes the parsed items in order, a few at a time, and classifies those that want it. */
static void *classifier_main(void *arg)
{
    import_classifier *c = arg;
    import_reader *r = c->r;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->taken == r->produced && !r->eof && !r->stop) {
            r->classifiers_wait++;
            pthread_cond_wait(&r->parsed, &r->mu);
            r->classifiers_wait--;
        }
        if (r->stop || r->taken == r->produced) break; /* stopped, or the input is done */
        unsigned long first = r->taken, k = r->produced - r->taken;
        if (k > IMPORT_TAKE) k = IMPORT_TAKE;
        r->taken += k;
        if (r->taken < r->produced && r->classifiers_wait) pthread_cond_signal(&r->parsed);
        pthread_mutex_unlock(&r->mu);
        const bd_message *ms[IMPORT_TAKE];
        ticket_ahead *as[IMPORT_TAKE];
        size_t nm = 0;
        for (unsigned long i = first; i < first + k; i++) {
            import_item *it = &r->items[i % IMPORT_QUEUE];
            if (!it->wanted) continue;
            if (!it->ahead) it->ahead = ticket_ahead_new();
            ms[nm] = &it->m, as[nm++] = it->ahead;
            it->classified = 1;
        }
        if (nm) ticket_classify_ahead_many(c->worker, ms, as, nm);
        pthread_mutex_lock(&r->mu);
        for (unsigned long i = first; i < first + k; i++)
            r->items[i % IMPORT_QUEUE].ready = 1;
        if (r->writer_waits) pthread_cond_signal(&r->ready);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* The next parsed (and classified) line, or NULL at the end of the input. With no
 * classifier running, items are ready as soon as they are parsed. */
static import_item *reader_next(import_reader *r)
{
    int classifiers = r->classifiers;
    pthread_mutex_lock(&r->mu);
    import_item *it = NULL;
    for (;;) {
        if (r->consumed < r->produced) {
            it = &r->items[r->consumed % IMPORT_QUEUE];
            if (!classifiers || it->ready) break;
            it = NULL;
        } else if (r->eof) {
            break;
        }
        r->writer_waits = 1;
        if (classifiers && r->classifiers_wait && r->taken < r->produced)
            pthread_cond_signal(&r->parsed); /* lines wait for a classifier */
        pthread_cond_wait(&r->ready, &r->mu);
        r->writer_waits = 0;
    }
    pthread_mutex_unlock(&r->mu);
    return it;
}

/* Gives the slot of the item reader_next returned back to the reader. */
static void reader_done(import_reader *r, import_item *it)
{
    item_clear(it);
    pthread_mutex_lock(&r->mu);
    r->consumed++;
    /* a full queue: the reader waits until half of it is free, not for each line */
    if (r->reader_waits && r->produced - r->consumed <= IMPORT_QUEUE / 2)
        pthread_cond_signal(&r->room);
    pthread_mutex_unlock(&r->mu);
}

/* One classifier per CPU, at most IMPORT_CLASSIFIERS_MAX; 0 when nothing is classified. */
static int classifiers_wanted(const ticket_ctx *ctx)
{
    ticket_ahead_worker *probe = ticket_ahead_worker_new(ctx);
    if (!probe) return 0;
    ticket_ahead_worker_free(probe);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) cpus = 1;
    return cpus > IMPORT_CLASSIFIERS_MAX ? IMPORT_CLASSIFIERS_MAX : (int)cpus;
}

static int store_item(ticket_ctx *ctx, int orders, import_item *it, import_stats *st, bd_err *err)
{
    int rc;
    if (orders) {
        int result = 0;
        rc = ticket_ingest_order(ctx, &it->o, &result, err);
        if (!rc) {
            if (result == STORE_INSERTED)
                st->inserted++;
            else if (result == STORE_UPDATED)
                st->updated++;
            else
                st->unchanged++;
        }
    } else {
        ticket_ingest_result res;
        if (it->classified) ticket_classifier_use(ctx, it->ahead);
        rc = ticket_ingest_message(ctx, &it->m, &res, err);
        ticket_classifier_use(ctx, NULL);
        if (!rc) {
            if (res.duplicate)
                st->unchanged++;
            else
                st->inserted++;
            st->tickets_created += res.created;
            st->tickets_reopened += res.reopened;
        }
    }
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
    long batch = IMPORT_BATCH;
    static const struct option opts[] = {{"strict", no_argument, NULL, 's'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"no-tiers", no_argument, NULL, 't'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    int c;
    argc--, argv++; /* options follow the kind */
    optind = 0;     /* 0 re-initialises GNU getopt (argument permutation on) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's')
            strict = 1;
        else if (c == 'q')
            quiet = 1;
        else if (c == 't')
            tiers = 0;
        else if (c == 'b') {
            char *end;
            batch = strtol(optarg, &end, 10);
            if (!*optarg || *end || batch < 1 || batch > IMPORT_BATCH_MAX)
                return cli_usage("import", "--batch takes a number of lines from 1 to %d",
                                 IMPORT_BATCH_MAX);
        } else
            return cli_usage("import", "unknown option");
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
    bd_err err;
    if (!orders && store_bulk_ingest(s, &err)) {
        if (in != stdin) fclose(in);
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    }
    ticket_ctx ctx;
    cli_ticket_ctx(cli, &ctx, "import");
    if (!orders) cli_ticket_classifier(cli, &ctx, "import");
    /* a ticket's due time is refreshed once per transaction, however many lines touch it */
    ctx.defer_changes = 1;
    import_stats st = {0};
    int fatal = 0, in_tx = 0;
    import_reader *r = bd_calloc(1, sizeof *r);
    r->in = in;
    r->orders = orders;
    int n_cl = orders ? 0 : classifiers_wanted(&ctx);
    r->classifiers = n_cl;
    if (n_cl && store_open_reader(s, &r->reader, &err)) r->reader = NULL; /* only a shortcut */
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->room, NULL);
    pthread_cond_init(&r->parsed, NULL);
    pthread_cond_init(&r->ready, NULL);
    import_classifier cls[IMPORT_CLASSIFIERS_MAX];
    memset(cls, 0, sizeof cls);
    pthread_t thread;
    int reading = pthread_create(&thread, NULL, reader_main, r) == 0, started = reading;
    for (int i = 0; started && i < n_cl; i++) {
        cls[i].r = r;
        cls[i].worker = ticket_ahead_worker_new(&ctx);
        cls[i].started = pthread_create(&cls[i].thread, NULL, classifier_main, &cls[i]) == 0;
        started = cls[i].started;
    }
    if (!started) {
        cli_fail(BD_EXIT_FAIL, "cannot start the reader threads");
        fatal = 1;
    }
    import_item *it;
    while (!fatal && (it = reader_next(r))) {
        st.lines = it->line_no;
        if (it->blank) {
            reader_done(r, it);
            continue;
        }
        if (!in_tx) {
            if (store_begin(s, &err)) {
                cli_fail(BD_EXIT_FAIL, "%s", err.msg);
                fatal = 1;
                break;
            }
            in_tx = 1;
        }
        /* A rejected line wrote nothing (ticket.h's contract), so no savepoint is needed
         * per line: it would cost a quarter of the import time. */
        int rc = it->rc;
        if (rc)
            err = it->err;
        else
            rc = store_item(&ctx, orders, it, &st, &err);
        reader_done(r, it);
        if (rc) {
            if (is_store_error(err.msg)) {
                cli_fail(BD_EXIT_FAIL, "%s:%ld: %s", label, st.lines, err.msg);
                fatal = 1;
                break;
            }
            fprintf(stderr, "%s:%ld: %s\n", label, st.lines, err.msg);
            st.rejected++;
        }
        if (!strict && st.lines % batch == 0) {
            if (ticket_ctx_flush(&ctx, &err) || store_commit(s, &err)) {
                cli_fail(BD_EXIT_FAIL, "%s", err.msg);
                fatal = 1;
                break;
            }
            in_tx = 0;
        }
    }
    /* after an early stop the reader ends before its next line, or is cancelled while it
     * waits for one */
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    wake_all(r);
    pthread_mutex_unlock(&r->mu);
    if (reading && fatal) pthread_cancel(thread);
    if (reading) pthread_join(thread, NULL);
    for (int i = 0; i < n_cl; i++) {
        if (cls[i].started) pthread_join(cls[i].thread, NULL);
        ticket_ahead_worker_free(cls[i].worker);
    }
    for (size_t i = 0; i < IMPORT_QUEUE; i++) {
        item_clear(&r->items[i]);
        ticket_ahead_free(r->items[i].ahead);
    }
    store_close(r->reader);
    pthread_cond_destroy(&r->room);
    pthread_cond_destroy(&r->parsed);
    pthread_cond_destroy(&r->ready);
    pthread_mutex_destroy(&r->mu);
    free(r);
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
            printf("orders: %ld inserted, %ld updated, %ld unchanged, %ld rejected\n", st.inserted,
                   st.updated, st.unchanged, st.rejected);
        else
            printf("messages: %ld inserted, %ld already stored, %ld rejected; tickets: %ld "
                   "created, %ld reopened\n",
                   st.inserted, st.unchanged, st.rejected, st.tickets_created, st.tickets_reopened);
    }
    /* New and changed orders queued their buyers: bring the tiers up to date. */
    if (orders && tiers && st.inserted + st.updated > 0) cli_tiers_update(cli, quiet);
    return st.rejected ? BD_EXIT_DATA : BD_EXIT_OK;
}
