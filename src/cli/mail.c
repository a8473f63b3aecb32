/* mail.c — `borderdesk mail`: the mail channel from the command line. `mail parse` prints
 * what borderdesk reads out of raw .eml files, one JSON line per file. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/mail.h"

/* A little more than mail_parse reads, so that it can say the message was cut. */
#define MAIL_READ_MAX (((size_t)32 << 20) + 1)

static void mail_help(void)
{
    printf("usage: borderdesk mail parse [--full] FILE...\n\n"
           "Parses raw RFC 5322 messages (.eml; `-` reads standard input) and prints one JSON\n"
           "object per file and line:\n"
           "  {\"file\", \"message_id\", \"in_reply_to\", \"references\", \"from\": {\"name\", "
           "\"address\"},\n"
           "   \"reply_to\", \"to\", \"subject\", \"date\", \"text\", \"source\", "
           "\"charset_declared\",\n"
           "   \"charset\", \"charset_guessed\", \"attachments\": [{\"filename\", "
           "\"content_type\", \"size\"}],\n"
           "   \"order_id\", \"amazon_relay\", \"error\"}\n\n"
           "  --full   add \"full_text\": the chosen part before quotes and signature are cut\n\n"
           "A malformed message still gives its line, with \"error\" saying what was wrong; the\n"
           "exit code is 1 only when a file cannot be read. See docs/mail.md.\n");
}

/* Reads a whole file (or stdin for "-") up to MAIL_READ_MAX bytes. NULL with err set. */
static char *read_input(const char *path, size_t *len, bd_err *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        bd_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    bd_buf b = BD_BUF_INIT;
    char chunk[65536];
    size_t k;
    while (b.len < MAIL_READ_MAX && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
        bd_buf_append(&b, chunk, k);
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) {
        bd_buf_free(&b);
        bd_err_set(err, "%s: read error", path);
        return NULL;
    }
    *len = b.len;
    bd_buf_puts(&b, "");
    return bd_buf_detach(&b);
}

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *address_json(const mail_address *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "name", str_or_null(a->name));
    cJSON_AddItemToObject(o, "address", str_or_null(a->address));
    return o;
}

/* The JSON form of a parsed message, fields in the documented order. */
static cJSON *message_json(const char *file, const mail_message *m, int full)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", file);
    cJSON_AddItemToObject(o, "message_id", str_or_null(m->message_id));
    cJSON_AddItemToObject(o, "in_reply_to", str_or_null(m->in_reply_to));
    cJSON *refs = cJSON_AddArrayToObject(o, "references");
    for (size_t i = 0; i < m->n_references; i++)
        cJSON_AddItemToArray(refs, cJSON_CreateString(m->references[i]));
    cJSON_AddItemToObject(o, "from", address_json(&m->from));
    cJSON_AddItemToObject(o, "reply_to",
                          m->reply_to.name || m->reply_to.address ? address_json(&m->reply_to)
                                                                  : cJSON_CreateNull());
    cJSON *to = cJSON_AddArrayToObject(o, "to");
    for (size_t i = 0; i < m->n_to; i++)
        cJSON_AddItemToArray(to, address_json(&m->to[i]));
    cJSON_AddItemToObject(o, "subject", str_or_null(m->subject));
    if (m->date) {
        char when[32];
        bd_time_format(m->date, when, sizeof when);
        cJSON_AddStringToObject(o, "date", when);
    } else {
        cJSON_AddNullToObject(o, "date");
    }
    cJSON_AddItemToObject(o, "text", str_or_null(m->text));
    cJSON_AddStringToObject(o, "source", m->source ? m->source : "none");
    cJSON_AddItemToObject(o, "charset_declared", str_or_null(m->charset_declared));
    cJSON_AddItemToObject(o, "charset", str_or_null(m->charset));
    cJSON_AddBoolToObject(o, "charset_guessed", m->charset_guessed);
    cJSON *atts = cJSON_AddArrayToObject(o, "attachments");
    for (size_t i = 0; i < m->n_attachments; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddItemToObject(a, "filename", str_or_null(m->attachments[i].filename));
        cJSON_AddItemToObject(a, "content_type", str_or_null(m->attachments[i].content_type));
        cJSON_AddNumberToObject(a, "size", (double)m->attachments[i].size);
        cJSON_AddItemToArray(atts, a);
    }
    cJSON_AddItemToObject(o, "order_id", str_or_null(m->order_id));
    cJSON_AddBoolToObject(o, "amazon_relay", m->amazon_relay);
    cJSON_AddItemToObject(o, "error", str_or_null(m->error));
    if (full) cJSON_AddItemToObject(o, "full_text", str_or_null(m->full_text));
    return o;
}

/* One file to one line; returns 0, or 1 when the file could not be read. */
static int parse_one(const char *path, int full)
{
    bd_err err = {{0}};
    size_t len = 0;
    char *raw = read_input(path, &len, &err);
    if (!raw) {
        fprintf(stderr, "borderdesk mail parse: %s\n", err.msg);
        return 1;
    }
    mail_message m;
    if (mail_parse(raw, len, &m, &err) != 0) {
        mail_message_clear(&m);
        m.error = bd_strdup(err.msg); /* an empty file: nothing to read, still a line */
    }
    cJSON *j = message_json(path, &m, full);
    char *s = cJSON_PrintUnformatted(j);
    printf("%s\n", s);
    cJSON_free(s);
    cJSON_Delete(j);
    mail_message_clear(&m);
    free(raw);
    return 0;
}

static int mail_parse_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"full", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int full = 0, c;
    optind = 1;
    opterr = 0; /* our own message names the command */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            full = 1;
            break;
        case 'h':
            mail_help();
            return BD_EXIT_OK;
        default:
            return cli_usage("mail parse", "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage("mail parse", "give at least one FILE (or - for stdin)");
    int failed = 0;
    for (int i = optind; i < argc; i++)
        failed |= parse_one(argv[i], full);
    fflush(stdout);
    return failed ? BD_EXIT_FAIL : BD_EXIT_OK;
}

int cmd_mail(bd_cli *cli, int argc, char **argv)
{
    (void)cli;
    if (argc < 2) return cli_usage("mail", "give a subcommand: parse");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        mail_help();
        return BD_EXIT_OK;
    }
    if (strcmp(argv[1], "parse") == 0) return mail_parse_cmd(argc - 1, argv + 1);
    return cli_usage("mail", "unknown subcommand \"%s\"", argv[1]);
}
