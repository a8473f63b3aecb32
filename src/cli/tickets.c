/* tickets.c — `borderdesk tickets list|show|reply|note|assign|status`. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void tickets_help(void)
{
    printf("usage: borderdesk tickets <subcommand>\n\n"
           "  list [--status S|active|all] [--shop NAME] [--assignee USER] [--limit N] [--json]\n"
           "        the queue: active tickets (new, open, pending) by default, most urgent first\n"
           "  show ID [--json]              one ticket with its order, messages and history\n"
           "  reply ID (--body TEXT | --body-file F) [--as USER]\n"
           "        store a reply and queue it in the outbox for the ticket's marketplace\n"
           "  note ID (--body TEXT | --body-file F) [--as USER]\n"
           "        an internal note, never sent to the buyer\n"
           "  assign ID USER                give the ticket to USER (\"-\" unassigns)\n"
           "  status ID new|open|pending|solved|closed\n"
           "  no-response ID MESSAGE_ID --reason TEXT [--as USER] [--undo]\n"
           "        the buyer message needs no answer: it starts no SLA clock\n"
           "  refresh-due                   recompute every ticket's SLA due time and state\n\n"
           "Changes are recorded in the ticket's history with the acting user\n"
           "(--as, else $BORDERDESK_USER, else $USER).\n");
}

static const char *category_label(const store_ticket *t, char *buf, size_t n)
{
    if (!t->category) return "-";
    snprintf(buf, n, "%s/%s", t->category, t->subcategory ? t->subcategory : "?");
    return buf;
}

static void print_table(const store_ticket *t, size_t n)
{
    int64_t now = bd_now();
    printf("%-6s %-8s %-7s %-8s %-12s %-18s %-9s %-20s %-26s %-4s %-5s %s\n", "ID", "STATUS",
           "PRIO", "DUE", "SHOP", "BUYER", "TIER", "ORDER", "CATEGORY", "LANG", "WAIT",
           "SUBJECT");
    for (size_t i = 0; i < n; i++) {
        char id[24], wait[16], cat[64];
        snprintf(id, sizeof id, "%lld%s", (long long)t[i].id, t[i].unanswered ? "*" : "");
        if (t[i].unanswered && t[i].last_inbound_at)
            bd_time_age(now - t[i].last_inbound_at, wait, sizeof wait);
        else
            snprintf(wait, sizeof wait, "-");
        cli_cell(stdout, id, 6);
        putchar(' ');
        cli_cell(stdout, t[i].status, 8);
        putchar(' ');
        cli_cell(stdout, ticket_priority_name(t[i].priority), 7);
        putchar(' ');
        cli_cell(stdout, t[i].due_state ? t[i].due_state : "-", 8);
        putchar(' ');
        cli_cell(stdout, t[i].shop, 12);
        putchar(' ');
        cli_cell(stdout, t[i].buyer_name ? t[i].buyer_name : t[i].buyer_external_id, 18);
        putchar(' ');
        cli_cell(stdout, t[i].blacklisted ? "BLACKLIST" : t[i].tier ? t[i].tier : "-", 9);
        putchar(' ');
        cli_cell(stdout, t[i].order_external_id ? t[i].order_external_id : "-", 20);
        putchar(' ');
        cli_cell(stdout, category_label(&t[i], cat, sizeof cat), 26);
        putchar(' ');
        cli_cell(stdout, t[i].language ? t[i].language : "-", 4);
        putchar(' ');
        cli_cell(stdout, wait, 5);
        putchar(' ');
        cli_cell(stdout, t[i].subject ? t[i].subject : "", 40);
        putchar('\n');
    }
    printf("%zu ticket%s (* = buyer waiting for an answer)\n", n, n == 1 ? "" : "s");
}

static int tickets_list(bd_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"status", required_argument, NULL, 's'},
                                         {"shop", required_argument, NULL, 'p'},
                                         {"assignee", required_argument, NULL, 'a'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    store_ticket_filter f = {.status = "active"};
    int json = 0, c;
    optind = 0; /* 0 re-initialises GNU getopt (argument permutation on) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': f.status = strcmp(optarg, "all") == 0 ? NULL : optarg; break;
        case 'p': f.shop = optarg; break;
        case 'a': f.assignee = optarg; break;
        case 'l': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0) return cli_usage("tickets list", "--limit needs a positive number");
            f.limit = (size_t)v;
            break;
        }
        case 'j': json = 1; break;
        default: return cli_usage("tickets list", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("tickets list", "unexpected argument \"%s\"", argv[optind]);
    if (f.status && strcmp(f.status, "active") != 0 && !ticket_status_valid(f.status))
        return cli_usage("tickets list", "unknown status \"%s\"", f.status);
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_ticket *t;
    size_t n;
    bd_err err;
    if (store_tickets_list(s, &f, &t, &n, &err)) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, ticket_json(&t[i]));
        cli_print_json(arr);
    } else {
        print_table(t, n);
    }
    store_tickets_free(t, n);
    return BD_EXIT_OK;
}

static void print_ticket(const store_ticket *t, const store_order_row *o, int has_order,
                         const store_message_row *m, size_t nm, const store_event *e, size_t ne)
{
    char buf[32], cat[64];
    printf("Ticket %lld  [%s]  priority %s  %s\n", (long long)t->id, t->status,
           ticket_priority_name(t->priority), category_label(t, cat, sizeof cat));
    printf("Shop:     %s (%s)\n", t->shop, t->marketplace);
    printf("Buyer:    %s <%s>%s%s%s%s  tier %s%s\n", t->buyer_name ? t->buyer_name : "-",
           t->buyer_external_id, t->buyer_country ? "  country " : "",
           t->buyer_country ? t->buyer_country : "", t->buyer_language ? "  language " : "",
           t->buyer_language ? t->buyer_language : "", t->tier ? t->tier : "-",
           t->blacklisted ? "  BLACKLISTED (see `borderdesk buyers show`)" : "");
    if (t->assignee) printf("Assignee: %s\n", t->assignee);
    if (t->linked_ticket_id) printf("Follows:  ticket %lld\n", (long long)t->linked_ticket_id);
    if (has_order) {
        bd_time_format(o->purchased_at, buf, sizeof buf);
        printf("Order:    %s  %s  %s %s  bought %s\n", o->external_id, o->status, o->total,
               o->currency, buf);
        for (size_t i = 0; i < o->n_items; i++)
            printf("          %lld x %s%s%s\n", (long long)o->items[i].quantity, o->items[i].title,
                   o->items[i].sku ? "  sku " : "", o->items[i].sku ? o->items[i].sku : "");
        if (o->tracking_number)
            printf("          shipped with %s, tracking %s\n", o->carrier ? o->carrier : "?",
                   o->tracking_number);
    } else if (t->order_external_id) {
        printf("Order:    %s (not imported yet)\n", t->order_external_id);
    }
    printf("\n");
    for (size_t i = 0; i < nm; i++) {
        bd_time_format(m[i].sent_at, buf, sizeof buf);
        const char *who = m[i].direction == BD_DIR_IN ? "buyer" : "seller";
        if (m[i].kind && strcmp(m[i].kind, "note") == 0) who = "note";
        printf("--- %s %s%s%s", buf, who, m[i].author ? " " : "", m[i].author ? m[i].author : "");
        if (m[i].language) printf("  [%s]", m[i].language);
        if (m[i].category) printf("  %s/%s", m[i].category, m[i].subcategory ? m[i].subcategory : "?");
        if (m[i].delivery) printf("  (%s)", m[i].delivery);
        printf("\n");
        if (m[i].subject) printf("Subject: %s\n", m[i].subject);
        printf("%s\n\n", m[i].body ? m[i].body : "");
    }
    printf("History:\n");
    for (size_t i = 0; i < ne; i++) {
        bd_time_format(e[i].at, buf, sizeof buf);
        printf("  %s  %-10s %-15s %s\n", buf, e[i].actor, e[i].kind, e[i].detail ? e[i].detail : "");
    }
}

static int tickets_show(bd_cli *cli, int argc, char **argv)
{
    int json = 0;
    const char *ref = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (!ref) ref = argv[i];
        else return cli_usage("tickets show", "unexpected argument \"%s\"", argv[i]);
    }
    if (!ref) return cli_usage("tickets show", "which ticket? give its ID");
    int64_t id;
    if (cli_parse_id("tickets show", ref, &id)) return BD_EXIT_USAGE;
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    bd_err err;
    store_ticket t;
    int rc = store_ticket_get(s, id, &t, &err);
    if (rc < 0) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (rc == 0) return cli_fail(BD_EXIT_FAIL, "no ticket %lld", (long long)id);
    store_message_row *m = NULL;
    store_event *e = NULL;
    size_t nm = 0, ne = 0;
    store_order_row o;
    int has_order = 0;
    memset(&o, 0, sizeof o);
    if (t.order_id) {
        char ref_id[32];
        snprintf(ref_id, sizeof ref_id, "%lld", (long long)t.order_id);
        has_order = store_order_get(s, ref_id, &o, &err);
    }
    if (has_order < 0 || store_ticket_messages(s, id, &m, &nm, &err) ||
        store_ticket_events(s, id, &e, &ne, &err)) {
        rc = cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    } else if (json) {
        cJSON *j = ticket_json(&t);
        cJSON_AddItemToObject(j, "order", has_order ? order_json(&o) : cJSON_CreateNull());
        cJSON *ma = cJSON_AddArrayToObject(j, "messages");
        for (size_t i = 0; i < nm; i++) cJSON_AddItemToArray(ma, ticket_message_json(&m[i]));
        cJSON *ea = cJSON_AddArrayToObject(j, "events");
        for (size_t i = 0; i < ne; i++) cJSON_AddItemToArray(ea, ticket_event_json(&e[i]));
        cli_print_json(j);
        rc = BD_EXIT_OK;
    } else {
        print_ticket(&t, &o, has_order > 0, m, nm, e, ne);
        rc = BD_EXIT_OK;
    }
    store_order_row_clear(&o);
    store_message_rows_free(m, nm);
    store_events_free(e, ne);
    store_ticket_clear(&t);
    return rc;
}

/* Runs one change in a write transaction; prints err on failure. */
static int run_change(bd_cli *cli, const char *what, int (*fn)(ticket_ctx *, void *, bd_err *),
                      void *arg, const char *actor)
{
    bd_store *s = cli_store(cli, 0);
    if (!s) return BD_EXIT_FAIL;
    ticket_ctx ctx;
    cli_ticket_ctx(cli, &ctx, actor);
    bd_err err;
    int rc = store_begin(s, &err);
    if (!rc) rc = fn(&ctx, arg, &err);
    if (!rc) rc = store_commit(s, &err);
    if (rc) store_rollback(s);
    ticket_ctx_clear(&ctx);
    if (rc) return cli_fail(BD_EXIT_FAIL, "%s: %s", what, err.msg);
    return BD_EXIT_OK;
}

struct text_change {
    int64_t id;
    const char *body, *author;
    int note;
    int64_t message_id;
};

static int do_text(ticket_ctx *ctx, void *arg, bd_err *err)
{
    struct text_change *c = arg;
    return c->note ? ticket_note(ctx, c->id, c->body, c->author, &c->message_id, err)
                   : ticket_reply(ctx, c->id, c->body, c->author, &c->message_id, err);
}

static int tickets_text(bd_cli *cli, int argc, char **argv, int note)
{
    const char *cmd = note ? "tickets note" : "tickets reply";
    static const struct option opts[] = {{"body", required_argument, NULL, 'b'},
                                         {"body-file", required_argument, NULL, 'f'},
                                         {"as", required_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    const char *body = NULL, *file = NULL, *as = NULL;
    int c;
    optind = 0; /* 0 re-initialises GNU getopt (argument permutation on) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'b') body = optarg;
        else if (c == 'f') file = optarg;
        else if (c == 'a') as = optarg;
        else return cli_usage(cmd, "unknown option");
    }
    if (optind != argc - 1) return cli_usage(cmd, "give one ticket ID");
    if (!!body == !!file) return cli_usage(cmd, "give exactly one of --body and --body-file");
    struct text_change ch = {.note = note};
    if (cli_parse_id(cmd, argv[optind], &ch.id)) return BD_EXIT_USAGE;
    char *text = NULL;
    if (file) {
        bd_err err;
        text = bd_read_file(strcmp(file, "-") == 0 ? "/dev/stdin" : file, 1u << 20, NULL, &err);
        if (!text) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
        size_t n = strlen(text);
        while (n && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = '\0';
        body = text;
    }
    ch.body = body;
    ch.author = as ? as : cli_actor();
    int rc = run_change(cli, cmd, do_text, &ch, ch.author);
    if (rc == BD_EXIT_OK)
        printf("ticket %lld: %s stored (message %lld)%s\n", (long long)ch.id,
               note ? "note" : "reply", (long long)ch.message_id,
               note ? "" : " and queued in the outbox");
    free(text);
    return rc;
}

struct field_change {
    int64_t id;
    const char *value;
};

static int do_assign(ticket_ctx *ctx, void *arg, bd_err *err)
{
    struct field_change *c = arg;
    return ticket_assign(ctx, c->id, strcmp(c->value, "-") == 0 ? NULL : c->value, err);
}

static int do_status(ticket_ctx *ctx, void *arg, bd_err *err)
{
    struct field_change *c = arg;
    return ticket_set_status(ctx, c->id, c->value, err);
}

static int tickets_field(bd_cli *cli, int argc, char **argv, const char *cmd,
                         int (*fn)(ticket_ctx *, void *, bd_err *))
{
    if (argc != 3) return cli_usage(cmd, "give a ticket ID and a value");
    struct field_change ch = {.value = argv[2]};
    if (cli_parse_id(cmd, argv[1], &ch.id)) return BD_EXIT_USAGE;
    if (fn == do_status && !ticket_status_valid(ch.value))
        return cli_usage(cmd, "unknown status \"%s\" (new, open, pending, solved, closed)",
                         ch.value);
    int rc = run_change(cli, cmd, fn, &ch, cli_actor());
    if (rc == BD_EXIT_OK)
        printf("ticket %lld: %s %s\n", (long long)ch.id, fn == do_status ? "status" : "assignee",
               ch.value);
    return rc;
}

int cmd_tickets(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        tickets_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    const char *sub = argv[1];
    if (cli_wants_help(argc, argv)) {
        tickets_help();
        return BD_EXIT_OK;
    }
    argc--, argv++;
    if (strcmp(sub, "list") == 0) return tickets_list(cli, argc, argv);
    if (strcmp(sub, "show") == 0) return tickets_show(cli, argc, argv);
    if (strcmp(sub, "reply") == 0) return tickets_text(cli, argc, argv, 0);
    if (strcmp(sub, "note") == 0) return tickets_text(cli, argc, argv, 1);
    if (strcmp(sub, "assign") == 0) return tickets_field(cli, argc, argv, "tickets assign", do_assign);
    if (strcmp(sub, "status") == 0) return tickets_field(cli, argc, argv, "tickets status", do_status);
    if (strcmp(sub, "no-response") == 0) return tickets_no_response(cli, argc, argv);
    if (strcmp(sub, "refresh-due") == 0) return tickets_refresh_due(cli, argc, argv);
    return cli_usage("tickets", "unknown subcommand \"%s\"", sub);
}
