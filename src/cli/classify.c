/* classify.c — `borderdesk classify` (JSON Lines in, one result per line out, same order)
 * and `borderdesk rules check` (lint the rules files). */
#include "cli.h"

#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/classify.h"
#include "borderdesk/model.h"

#define CLASSIFY_MAX_LINE (16u << 20)

static void classify_help(void)
{
    printf("usage: borderdesk classify [--explain] [--rules DIR]\n\n"
           "Reads JSON Lines from standard input, one message per line:\n"
           "  {\"id\", \"subject\"?, \"body\", \"lang\"?, \"marketplace\"?}\n"
           "and writes one JSON object per line, in the same order:\n"
           "  {\"id\", \"category\", \"subcategory\", \"language\", \"confidence\", \"urgency\",\n"
           "   \"sentiment\", \"flags\": [...], \"entities\": {...}, \"rules\"?: [...]}\n\n"
           "  --explain    add the ids of the rules that fired and the scores\n"
           "  --rules DIR  the rules directory (DIR/<lang>/rules.json); default: the\n"
           "               configuration's locales_dir, else <data dir>/locales\n\n"
           "\"lang\", when given and one of en es fr de it pt ru pl ja ko ar zh, skips language\n"
           "detection. A line that is not a JSON object with a string \"body\" gives\n"
           "{\"id\": ..., \"error\": \"...\"} and the run goes on; the exit code is then 3.\n");
}

/* The rules directory: --rules, else the configuration's locales_dir. */
static const char *rules_dir(bd_cli *cli, const char *opt)
{
    if (opt) return opt;
    bd_config *c = cli_config(cli);
    return c ? c->locales_dir : NULL;
}

static void put_json(cJSON *j, bd_buf *out)
{
    char *s = cJSON_PrintUnformatted(j);
    bd_buf_puts(out, s);
    bd_buf_putc(out, '\n');
    cJSON_free(s);
    cJSON_Delete(j);
}

static void put_error(const cJSON *id, const char *msg, bd_buf *out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "error", msg);
    put_json(o, out);
}

/* 1 when s needs no escaping inside a JSON string. */
static int json_plain(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\') return 0;
    return 1;
}

/* ---- a batch of lines ----
 * Lines are read CLASSIFY_CLI_BATCH at a time and classified together (classify_messages:
 * faster than one by one), or as many as came before the input pauses; the results come
 * out in the input's order. */
#define CLASSIFY_CLI_BATCH 512

typedef struct cl_item {
    long lineno;
    char *output;     /* a bad line: its error object, ready */
    char *line;       /* the line, when the fast reader's pointers point into it */
    cJSON *j;         /* the line's tree, when cJSON read it */
    char *decoded[2]; /* body and subject with their escapes decoded (fast reader) */
    char lang[16];
    char *id_json; /* the id as JSON text, NULL for null */
    classify_input in;
} cl_item;

static void item_free(cl_item *it)
{
    free(it->output);
    free(it->line);
    cJSON_Delete(it->j);
    free(it->decoded[0]);
    free(it->decoded[1]);
    free(it->id_json);
    memset(it, 0, sizeof *it);
}

/* A line the fast reader took, ready to classify. */
static void item_fast(cl_item *it, char *line, const classify_line *f)
{
    it->line = line;
    classify_input *in = &it->in;
    in->body = f->body, in->body_len = f->body_len;
    if (f->body_esc)
        in->body = it->decoded[0] = classify_line_decode(f->body, f->body_len, &in->body_len);
    if (f->subject) {
        in->subject = f->subject, in->subject_len = f->subject_len;
        if (f->subject_esc)
            in->subject = it->decoded[1] =
                classify_line_decode(f->subject, f->subject_len, &in->subject_len);
    }
    if (f->lang) {
        size_t n;
        char *l = f->lang_esc ? classify_line_decode(f->lang, f->lang_len, &n) : NULL;
        const char *src = l ? l : f->lang;
        n = l ? n : f->lang_len;
        if (n < sizeof it->lang) memcpy(it->lang, src, n), it->lang[n] = '\0'; /* longer: none */
        free(l);
        in->lang = it->lang;
    }
    if (f->id) it->id_json = bd_strndup(f->id, f->id_len);
}

static char *error_line(const cJSON *id, const char *msg)
{
    bd_buf b = BD_BUF_INIT;
    put_error(id, msg, &b);
    return b.data;
}

/* A line for cJSON: ready to classify (0), or a bad line with its error object (1). */
static int item_slow(cl_item *it, const char *line, size_t len)
{
    bd_err err;
    cJSON *j = bd_json_parse(line, len, &err);
    if (!j && !bd_utf8_valid(line, len)) { /* invalid UTF-8: read as U+FFFD */
        char *fixed = bd_utf8_repair(line, len, &len);
        j = bd_json_parse(fixed, len, &err);
        free(fixed);
    }
    if (!j) {
        fprintf(stderr, "borderdesk classify: line %ld: %s\n", it->lineno, err.msg);
        it->output = error_line(NULL, err.msg);
        return 1;
    }
    it->j = j;
    const cJSON *id = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "id") : NULL;
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(j, "subject");
    const cJSON *lang = cJSON_GetObjectItemCaseSensitive(j, "lang");
    const char *bad = NULL;
    if (!cJSON_IsObject(j))
        bad = "a line must be a JSON object";
    else if (!cJSON_IsString(body))
        bad = "\"body\" must be a string";
    else if (subject && !cJSON_IsString(subject) && !cJSON_IsNull(subject))
        bad = "\"subject\" must be a string";
    else if (lang && !cJSON_IsString(lang) && !cJSON_IsNull(lang))
        bad = "\"lang\" must be a string";
    else if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id) && !cJSON_IsNull(id))
        bad = "\"id\" must be a string or a number";
    if (bad) {
        fprintf(stderr, "borderdesk classify: line %ld: %s\n", it->lineno, bad);
        it->output = error_line(id && (cJSON_IsString(id) || cJSON_IsNumber(id)) ? id : NULL, bad);
        return 1;
    }
    classify_input *in = &it->in;
    in->body = body->valuestring;
    in->body_len = strlen(body->valuestring);
    if (cJSON_IsString(subject)) {
        in->subject = subject->valuestring;
        in->subject_len = strlen(subject->valuestring);
    }
    if (cJSON_IsString(lang)) in->lang = lang->valuestring;
    if (cJSON_IsString(id) && json_plain(id->valuestring)) {
        size_t n = strlen(id->valuestring);
        it->id_json = bd_malloc(n + 3);
        it->id_json[0] = '"';
        memcpy(it->id_json + 1, id->valuestring, n);
        memcpy(it->id_json + 1 + n, "\"", 2);
    } else if (id && !cJSON_IsNull(id)) {
        char *p = cJSON_PrintUnformatted(id);
        it->id_json = bd_strdup(p);
        cJSON_free(p);
    }
    return 0;
}

/* 1 when the next line may have to be waited for: nothing left in stdin's buffer (glibc's
 * FILE, Debian's C library) and nothing ready on its descriptor. A script that writes a line
 * and waits for its result then gets it at once; a file or a busy pipe fills whole batches. */
static int input_would_wait(FILE *f)
{
    if (f->_IO_read_ptr < f->_IO_read_end) return 0;
    struct pollfd p = {fileno(f), POLLIN, 0};
    return poll(&p, 1, 0) == 0;
}

typedef struct cl_batch {
    cl_item items[CLASSIFY_CLI_BATCH];
    size_t n;
    classify_input in[CLASSIFY_CLI_BATCH];
    classify_result res[CLASSIFY_CLI_BATCH];
    bd_err errs[CLASSIFY_CLI_BATCH];
    int rcs[CLASSIFY_CLI_BATCH];
} cl_batch;

/* Classifies the batch's good lines and writes every line's result in order; returns -1
 * when a message could not be classified (its line gets an error object). */
static int batch_flush(const classify_rules *rules, classify_scratch *scratch, int explain,
                       cl_batch *b, bd_buf *out)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!b->items[i].output) b->in[k++] = b->items[i].in;
    int rc = k ? classify_messages(rules, scratch, b->in, b->res, k, b->errs, b->rcs) : 0;
    k = 0;
    for (size_t i = 0; i < b->n; i++) {
        cl_item *it = &b->items[i];
        if (it->output) {
            bd_buf_puts(out, it->output);
        } else if (b->rcs[k]) {
            fprintf(stderr, "borderdesk classify: line %ld: %s\n", it->lineno, b->errs[k].msg);
            cJSON *msg = cJSON_CreateString(b->errs[k].msg);
            char *m = cJSON_PrintUnformatted(msg);
            bd_buf_printf(out, "{\"id\":%s,\"error\":%s}\n", it->id_json ? it->id_json : "null", m);
            cJSON_free(m);
            cJSON_Delete(msg);
            k++;
        } else {
            classify_result_append_json(out, &b->res[k++], it->id_json ? it->id_json : "null",
                                        explain);
            bd_buf_putc(out, '\n');
        }
        item_free(it);
    }
    b->n = 0;
    return rc;
}

int cmd_classify(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        classify_help();
        return BD_EXIT_OK;
    }
    int explain = 0, naive = 0;
    const char *dir_opt = NULL;
    static const struct option opts[] = {{"explain", no_argument, NULL, 'e'},
                                         {"rules", required_argument, NULL, 'r'},
                                         {"naive", no_argument, NULL, 'n'}, /* benchmarks */
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'e')
            explain = 1;
        else if (c == 'r')
            dir_opt = optarg;
        else if (c == 'n')
            naive = 1;
        else
            return cli_usage("classify", "unknown option");
    }
    if (optind != argc) return cli_usage("classify", "unexpected argument \"%s\"", argv[optind]);
    const char *dir = rules_dir(cli, dir_opt);
    if (!dir) return BD_EXIT_FAIL;
    classify_rules *rules;
    bd_err err;
    if (classify_rules_load(dir, naive ? CLASSIFY_LOAD_NAIVE : 0, &rules, &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    classify_scratch *scratch = classify_scratch_new(rules);
    cl_batch *batch = bd_calloc(1, sizeof *batch);
    bd_buf out = BD_BUF_INIT;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, bad = 0;
    int rc = BD_EXIT_OK;
    for (;;) {
        if (batch->n && input_would_wait(stdin)) { /* answer what came before waiting */
            if (batch_flush(rules, scratch, explain, batch, &out)) rc = BD_EXIT_FAIL;
            fwrite(out.data, 1, out.len, stdout);
            bd_buf_reset(&out);
            fflush(stdout);
        }
        n = getline(&line, &cap, stdin);
        if (n != -1) {
            lineno++;
            size_t len;
            if (cli_line_blank(line, (size_t)n, &len)) continue;
            cl_item *it = &batch->items[batch->n++];
            it->lineno = lineno;
            classify_line f;
            if (len > CLASSIFY_MAX_LINE) {
                fprintf(stderr, "borderdesk classify: line %ld: longer than %u bytes\n", lineno,
                        CLASSIFY_MAX_LINE);
                it->output = error_line(NULL, "line too long");
                bad++;
            } else if (classify_line_parse(line, len, &f)) {
                item_fast(it, line, &f); /* the item keeps the line */
                line = NULL, cap = 0;
            } else if (item_slow(it, line, len)) {
                bad++;
            }
        }
        if (batch->n == CLASSIFY_CLI_BATCH || (n == -1 && batch->n)) {
            if (batch_flush(rules, scratch, explain, batch, &out)) rc = BD_EXIT_FAIL;
            fwrite(out.data, 1, out.len, stdout);
            bd_buf_reset(&out);
        }
        if (n == -1) break;
    }
    if (out.len) fwrite(out.data, 1, out.len, stdout);
    if (fflush(stdout) != 0) rc = cli_fail(BD_EXIT_FAIL, "writing the results failed");
    bd_buf_free(&out);
    free(line);
    free(batch);
    classify_scratch_free(scratch);
    classify_rules_free(rules);
    if (rc == BD_EXIT_OK && bad) rc = BD_EXIT_DATA;
    return rc;
}

/* ---- rules check ---- */

typedef struct check_counts {
    int errors, warnings;
} check_counts;

static void check_report(void *ud, int is_error, const char *file, const char *rule,
                         const char *msg)
{
    check_counts *c = ud;
    if (is_error)
        c->errors++;
    else
        c->warnings++;
    if (rule)
        printf("%s: rule \"%s\": %s: %s\n", file, rule, is_error ? "error" : "warning", msg);
    else
        printf("%s: %s: %s\n", file, is_error ? "error" : "warning", msg);
}

static void rules_help(void)
{
    printf("usage: borderdesk rules check [--rules DIR]\n\n"
           "Lints every DIR/<lang>/rules.json: JSON and keys, compile errors (with the PCRE2\n"
           "message), duplicate ids, unknown categories, subcategories, flags and values,\n"
           "patterns with accents (the text is accent-stripped, so they never match), rules\n"
           "that can never decide because a rule of higher precedence fires whenever they do,\n"
           "and \"examples\" that do not fire their rule. Exit code 0 when there is no error\n"
           "(warnings are printed), 3 when there are errors.\n");
}

int cmd_rules(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        rules_help();
        return BD_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return cli_usage("rules", "say what to do: check");
    const char *dir_opt = NULL;
    static const struct option opts[] = {{"rules", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            dir_opt = optarg;
        else
            return cli_usage("rules", "unknown option");
    }
    if (optind != argc) return cli_usage("rules", "unexpected argument \"%s\"", argv[optind]);
    const char *dir = rules_dir(cli, dir_opt);
    if (!dir) return BD_EXIT_FAIL;
    check_counts counts = {0, 0};
    bd_err err;
    int rc = classify_rules_check(dir, check_report, &counts, &err);
    if (rc < 0) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    printf("%d error(s), %d warning(s)\n", counts.errors, counts.warnings);
    return counts.errors ? BD_EXIT_DATA : BD_EXIT_OK;
}
