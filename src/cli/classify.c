/* classify.c — `borderdesk classify` (JSON Lines in, one result per line out, same order)
 * and `borderdesk rules check` (lint the rules files). */
#include "cli.h"

#include <getopt.h>
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

/* ---- the fast reader: one flat JSON object, without building a tree ----
 *
 * Most lines are {"id": 12 or "x", "body": "...", "subject"?, "lang"?, ...} with plain
 * values. This reader takes exactly those: valid UTF-8, no NUL, an object of strings,
 * integers, true, false and null, each string's escapes well-formed. Anything else —
 * nested values, other numbers as the id, an escaped id, \u0000, a lone surrogate, a wrong
 * type, any syntax error — is left to cJSON (the slow path below), which gives the same
 * result or the error message; so the fast reader never decides anything cJSON would decide
 * differently, it only decides sooner. */
typedef struct fast_line {
    const char *id; /* the id's JSON text (a plain string with its quotes, or an
                       integer), NULL when absent or null */
    size_t id_len;
    const char *body, *subject, *lang; /* raw string contents, NULL when absent or null */
    size_t body_len, subject_len, lang_len;
    int body_esc, subject_esc, lang_esc; /* the contents hold escapes to decode */
} fast_line;

static const char *fast_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16;
        if (d == 16) return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* A string after its opening quote: *esc set when it holds escapes. Returns the closing
 * quote, or NULL for anything the fast reader leaves to cJSON. */
static const char *fast_string(const char *p, const char *end, int *esc)
{
    *esc = 0;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p;
        if (c < 0x20) return NULL; /* cJSON's business */
        if (c != '\\') {
            p++;
            continue;
        }
        *esc = 1;
        if (end - p < 2) return NULL;
        char e = p[1];
        if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
            e == 't') {
            p += 2;
            continue;
        }
        unsigned u, lo;
        if (e != 'u' || end - p < 6 || hex4(p + 2, &u)) return NULL;
        if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF)) return NULL;
        if (u >= 0xD800 && u <= 0xDBFF) { /* a pair, or cJSON says what is wrong */
            if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) || lo < 0xDC00 ||
                lo > 0xDFFF)
                return NULL;
            p += 12;
        } else {
            p += 6;
        }
    }
    return NULL;
}

/* The decoded contents of a string fast_string accepted, as a new NUL-terminated string. */
static char *fast_decode(const char *s, size_t n, size_t *outlen)
{
    char *out = bd_malloc(n + 1), *w = out;
    const char *end = s + n;
    while (s < end) {
        if (*s != '\\') {
            *w++ = *s++;
            continue;
        }
        char e = s[1];
        if (e != 'u') {
            *w++ = e == 'b'   ? '\b'
                   : e == 'f' ? '\f'
                   : e == 'n' ? '\n'
                   : e == 'r' ? '\r'
                   : e == 't' ? '\t'
                              : e;
            s += 2;
            continue;
        }
        unsigned u, lo;
        hex4(s + 2, &u);
        s += 6;
        if (u >= 0xD800 && u <= 0xDBFF) {
            hex4(s + 2, &lo);
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            s += 6;
        }
        if (u < 0x80) {
            *w++ = (char)u;
        } else if (u < 0x800) {
            *w++ = (char)(0xC0 | (u >> 6)), *w++ = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            *w++ = (char)(0xE0 | (u >> 12)), *w++ = (char)(0x80 | ((u >> 6) & 0x3F));
            *w++ = (char)(0x80 | (u & 0x3F));
        } else {
            *w++ = (char)(0xF0 | (u >> 18)), *w++ = (char)(0x80 | ((u >> 12) & 0x3F));
            *w++ = (char)(0x80 | ((u >> 6) & 0x3F)), *w++ = (char)(0x80 | (u & 0x3F));
        }
    }
    *w = '\0';
    *outlen = (size_t)(w - out);
    return out;
}

/* A JSON number at p (the grammar of RFC 8259); its end, or NULL. *integer: no fraction, no
 * exponent, at most 9 digits and not "-0" (printed by cJSON exactly as written). */
static const char *fast_number(const char *p, const char *end, int *integer)
{
    const char *start = p;
    if (p < end && *p == '-') p++;
    if (p >= end || *p < '0' || *p > '9') return NULL;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    const char *digits_end = p;
    int frac = 0;
    if (p < end && *p == '.') {
        p++, frac = 1;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++, frac = 1;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t nd = (size_t)(digits_end - start) - (*start == '-');
    *integer = !frac && nd <= 9 && !(*start == '-' && start[1] == '0');
    return p;
}

/* Reads line into f: 1 when the fast reader takes it, 0 when cJSON must. */
static int fast_parse(const char *line, size_t len, fast_line *f)
{
    memset(f, 0, sizeof *f);
    if (memchr(line, '\0', len) || !bd_utf8_valid(line, len)) return 0;
    const char *p = fast_ws(line, line + len), *end = line + len;
    if (p >= end || *p++ != '{') return 0;
    int seen_id = 0, seen_body = 0, seen_subject = 0, seen_lang = 0;
    p = fast_ws(p, end);
    if (p < end && *p == '}') return 0; /* no body: cJSON's error */
    for (;;) {
        int esc;
        if (p >= end || *p != '"') return 0;
        const char *key = p + 1, *kend = fast_string(key, end, &esc);
        if (!kend || esc) return 0;
        size_t kl = (size_t)(kend - key);
        p = fast_ws(kend + 1, end);
        if (p >= end || *p++ != ':') return 0;
        p = fast_ws(p, end);
        if (p >= end) return 0;
        /* the first of duplicate keys counts, as with cJSON_GetObjectItemCaseSensitive */
        int which = kl == 2 && !memcmp(key, "id", 2) && !seen_id++             ? 1
                    : kl == 4 && !memcmp(key, "body", 4) && !seen_body++       ? 2
                    : kl == 7 && !memcmp(key, "subject", 7) && !seen_subject++ ? 3
                    : kl == 4 && !memcmp(key, "lang", 4) && !seen_lang++       ? 4
                                                                               : 0;
        const char *v = p;
        if (*p == '"') {
            const char *vend = fast_string(p + 1, end, &esc);
            if (!vend) return 0;
            size_t vl = (size_t)(vend - p - 1);
            if (which == 1) {
                if (esc) return 0; /* printed back by cJSON */
                f->id = v, f->id_len = vl + 2;
            } else if (which == 2) {
                f->body = p + 1, f->body_len = vl, f->body_esc = esc;
            } else if (which == 3) {
                f->subject = p + 1, f->subject_len = vl, f->subject_esc = esc;
            } else if (which == 4) {
                f->lang = p + 1, f->lang_len = vl, f->lang_esc = esc;
            }
            p = vend + 1;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            int integer;
            p = fast_number(p, end, &integer);
            if (!p || (which == 1 && !integer) || which > 1) return 0;
            if (which == 1) f->id = v, f->id_len = (size_t)(p - v);
        } else if (end - p >= 4 && !memcmp(p, "null", 4)) {
            if (which == 2) return 0; /* "body" must be a string: cJSON's error */
            p += 4;
        } else if (end - p >= 4 &&
                   (!memcmp(p, "true", 4) || (end - p >= 5 && !memcmp(p, "false", 5)))) {
            if (which) return 0;
            p += *p == 't' ? 4 : 5;
        } else {
            return 0; /* objects, arrays, errors */
        }
        p = fast_ws(p, end);
        if (p >= end) return 0;
        if (*p == '}') break;
        if (*p++ != ',') return 0;
        p = fast_ws(p, end);
    }
    p = fast_ws(p + 1, end);
    return p == end && f->body;
}

/* Classifies a line the fast reader took; 0, or -1 for a failure. */
static int classify_fast(const classify_rules *rules, classify_scratch *scratch, int explain,
                         const fast_line *f, long lineno, bd_buf *out)
{
    classify_input in = {0};
    char *body = NULL, *subject = NULL, lang[16] = "";
    in.body = f->body, in.body_len = f->body_len;
    if (f->body_esc) in.body = body = fast_decode(f->body, f->body_len, &in.body_len);
    if (f->subject) {
        in.subject = f->subject, in.subject_len = f->subject_len;
        if (f->subject_esc)
            in.subject = subject = fast_decode(f->subject, f->subject_len, &in.subject_len);
    }
    if (f->lang) {
        size_t n;
        char *l = f->lang_esc ? fast_decode(f->lang, f->lang_len, &n) : NULL;
        const char *src = l ? l : f->lang;
        n = l ? n : f->lang_len;
        if (n < sizeof lang) memcpy(lang, src, n), lang[n] = '\0'; /* longer: no language */
        free(l);
        in.lang = lang;
    }
    classify_result res;
    bd_err err;
    int rc = classify_message(rules, scratch, &in, &res, &err);
    char id[32];
    if (rc) {
        fprintf(stderr, "borderdesk classify: line %ld: %s\n", lineno, err.msg);
        bd_buf_puts(out, "{\"id\":");
        bd_buf_append(out, f->id ? f->id : "null", f->id ? f->id_len : 4);
        bd_buf_puts(out, ",\"error\":");
        cJSON *msg = cJSON_CreateString(err.msg);
        char *m = cJSON_PrintUnformatted(msg);
        bd_buf_puts(out, m);
        cJSON_free(m);
        cJSON_Delete(msg);
        bd_buf_puts(out, "}\n");
    } else if (f->id && f->id_len < sizeof id) {
        memcpy(id, f->id, f->id_len);
        id[f->id_len] = '\0';
        classify_result_append_json(out, &res, id, explain);
        bd_buf_putc(out, '\n');
    } else {
        char *big = f->id ? bd_strndup(f->id, f->id_len) : NULL;
        classify_result_append_json(out, &res, big ? big : "null", explain);
        bd_buf_putc(out, '\n');
        free(big);
    }
    free(body);
    free(subject);
    return rc ? -1 : 0;
}

/* One input line to one output line; returns 0, 1 for a bad line, -1 for a failure. */
static int classify_line(const classify_rules *rules, classify_scratch *scratch, int explain,
                         const char *line, size_t len, long lineno, bd_buf *out)
{
    bd_err err;
    cJSON *j = bd_json_parse(line, len, &err);
    if (!j && !bd_utf8_valid(line, len)) { /* invalid UTF-8: read as U+FFFD */
        char *fixed = bd_utf8_repair(line, len, &len);
        j = bd_json_parse(fixed, len, &err);
        free(fixed);
    }
    if (!j) {
        fprintf(stderr, "borderdesk classify: line %ld: %s\n", lineno, err.msg);
        put_error(NULL, err.msg, out);
        return 1;
    }
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
        fprintf(stderr, "borderdesk classify: line %ld: %s\n", lineno, bad);
        put_error(id && (cJSON_IsString(id) || cJSON_IsNumber(id)) ? id : NULL, bad, out);
        cJSON_Delete(j);
        return 1;
    }
    classify_input in = {0};
    in.body = body->valuestring;
    in.body_len = strlen(body->valuestring);
    if (cJSON_IsString(subject)) {
        in.subject = subject->valuestring;
        in.subject_len = strlen(subject->valuestring);
    }
    if (cJSON_IsString(lang)) in.lang = lang->valuestring;
    classify_result res;
    if (classify_message(rules, scratch, &in, &res, &err)) {
        fprintf(stderr, "borderdesk classify: line %ld: %s\n", lineno, err.msg);
        put_error(id, err.msg, out);
        cJSON_Delete(j);
        return -1;
    }
    char *id_json = NULL;
    if (cJSON_IsString(id) && json_plain(id->valuestring)) {
        size_t n = strlen(id->valuestring);
        id_json = bd_malloc(n + 3);
        id_json[0] = '"';
        memcpy(id_json + 1, id->valuestring, n);
        memcpy(id_json + 1 + n, "\"", 2);
    } else if (id && !cJSON_IsNull(id)) {
        char *p = cJSON_PrintUnformatted(id);
        id_json = bd_strdup(p);
        cJSON_free(p);
    }
    classify_result_append_json(out, &res, id_json ? id_json : "null", explain);
    bd_buf_putc(out, '\n');
    free(id_json);
    cJSON_Delete(j);
    return 0;
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
    bd_buf out = BD_BUF_INIT;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, bad = 0;
    int rc = BD_EXIT_OK;
    while ((n = getline(&line, &cap, stdin)) != -1) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len) continue;
        int r;
        if (len > CLASSIFY_MAX_LINE) {
            fprintf(stderr, "borderdesk classify: line %ld: longer than %u bytes\n", lineno,
                    CLASSIFY_MAX_LINE);
            put_error(NULL, "line too long", &out);
            r = 1;
        } else {
            fast_line f;
            r = fast_parse(line, len, &f)
                    ? classify_fast(rules, scratch, explain, &f, lineno, &out)
                    : classify_line(rules, scratch, explain, line, len, lineno, &out);
        }
        if (r > 0) bad++;
        if (r < 0) rc = BD_EXIT_FAIL;
        if (out.len >= 64 * 1024) {
            fwrite(out.data, 1, out.len, stdout);
            bd_buf_reset(&out);
        }
    }
    if (out.len) fwrite(out.data, 1, out.len, stdout);
    if (fflush(stdout) != 0) rc = cli_fail(BD_EXIT_FAIL, "writing the results failed");
    bd_buf_free(&out);
    free(line);
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
