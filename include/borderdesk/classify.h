/*
 * classify.h — the message classifier: rules are data (locales/<lang>/rules.json, format in
 * docs/classifier.md), every decision names the rules that made it.
 *
 * Pipeline for one message (subject + body):
 *   repair invalid UTF-8 → cap the scanned length → normalise (NFKC, case fold, accents and
 *   marks stripped) → detect the language (script, then words for Latin scripts) → run the
 *   rules of that language AND the English rules (a literal automaton decides the patterns
 *   that are lists of strings; one Hyperscan scan per language reports which of the others
 *   may match, and PCRE2 with JIT confirms those) → sum the weights per subcategory → decide
 *   with the precedence below → confidence, urgency, sentiment, flags, entities.
 *
 * Precedence (docs/classifier.md "Engine"): a chargeback/dispute vote beats everything; a
 * concrete defect (damaged, wrong_item, missing_item, not_as_described) beats refund and
 * return; any shipping or dispute subcategory beats review/negative; any request (a
 * subcategory scoring 2 or more) beats other/greeting. Votes below 1 (fallback keywords) do
 * not take part in precedence. Otherwise the highest score wins; ties go to the subcategory
 * listed first in the taxonomy.
 *
 * Threads: a classify_rules is read-only once loaded and may be shared; a classify_scratch
 * holds per-call buffers and belongs to one thread at a time.
 */
#ifndef BORDERDESK_CLASSIFY_H
#define BORDERDESK_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "borderdesk/util.h"

/* The languages that have rules, templates and locale data, in this order. */
#define CLASSIFY_N_LANGS 12
extern const char *const classify_langs[CLASSIFY_N_LANGS]; /* "en", "es", ... "zh" */
/* Index of lang in classify_langs, or -1. */
int classify_lang_index(const char *lang);

/* Taxonomy. classify_subcategories lists every subcategory in precedence-tie order; the
 * category of each is classify_category_of(). */
#define CLASSIFY_N_SUBS 28
extern const char *const classify_subcategories[CLASSIFY_N_SUBS];
const char *classify_category_of(const char *subcategory);             /* NULL if unknown */
int classify_sub_index(const char *category, const char *subcategory); /* -1 if invalid */

/* Flags a message can raise. */
enum {
    CLASSIFY_FLAG_NEGATIVE_FEEDBACK = 1 << 0, /* threatens_negative_feedback */
    CLASSIFY_FLAG_DISPUTE = 1 << 1,           /* threatens_dispute */
    CLASSIFY_FLAG_ANGRY = 1 << 2,             /* angry */
    CLASSIFY_FLAG_MENTIONS_ORDER = 1 << 3,    /* mentions_order */
    CLASSIFY_FLAG_REPEATED = 1 << 4,          /* repeated_contact (set by the caller) */
};
#define CLASSIFY_N_FLAGS 5
extern const char *const classify_flag_names[CLASSIFY_N_FLAGS]; /* bit i ↔ name i */
/* The bit of a flag name, or 0 when unknown. */
unsigned classify_flag_bit(const char *name);

/* ---- rules ---- */
typedef struct classify_rules classify_rules;

enum {
    CLASSIFY_LOAD_NAIVE = 1,   /* the baseline: no JIT, no prefilter — every pattern of every
                                  active rule is tried on every message (benchmarks only) */
    CLASSIFY_LOAD_LITERAL = 2, /* no Hyperscan: the literal prefilter alone picks the
                                  patterns PCRE2 runs (tests and comparisons) */
};

/* Loads <dir>/<lang>/rules.json for every language that has one, compiles every pattern
 * once (PCRE2_UTF|UCP|CASELESS|MATCH_INVALID_UTF; JIT when first run) and builds the
 * prefilters: the literal automaton and one Hyperscan database per language, read from the
 * cache directory when it holds one for exactly these rules, else compiled (seconds) and
 * written there ($BORDERDESK_CACHE_DIR, default $XDG_CACHE_HOME/borderdesk or
 * ~/.cache/borderdesk; empty: no cache; a cache that cannot be used only costs the compile).
 * Refuses the whole set on the first error, naming the file, the rule id and the reason
 * (for a broken pattern, PCRE2's message and offset). A directory with no rules file at all
 * is an error. Returns 0 and *out (free with classify_rules_free), or -1 with err. */
int classify_rules_load(const char *dir, int flags, classify_rules **out, bd_err *err);
void classify_rules_free(classify_rules *r); /* NULL-safe */
/* Number of rules loaded for lang (0 when it has no file or an empty one). */
size_t classify_rules_count(const classify_rules *r, const char *lang);

/* Lints every rules file of dir like `borderdesk rules check`: compile errors, duplicate
 * ids, unknown categories/subcategories/flags/values, patterns the normaliser makes
 * unmatchable (upper case is fine, accents are not), rules that can never decide because a
 * rule of higher precedence fires whenever they do, and "examples" that do not fire their
 * rule. Calls report() once per finding; returns the number of errors (warnings are not
 * counted), or -1 with err when dir cannot be read. */
typedef void (*classify_report_fn)(void *ud, int is_error, const char *file, const char *rule_id,
                                   const char *msg);
int classify_rules_check(const char *dir, classify_report_fn report, void *ud, bd_err *err);

/* ---- one message ---- */
typedef struct classify_input {
    const char *subject; /* may be NULL */
    size_t subject_len;
    const char *body; /* may be NULL (treated as empty) */
    size_t body_len;
    const char *lang;      /* the language when the caller knows it (one of classify_langs):
                              detection is skipped; NULL to detect */
    const char *lang_hint; /* used only when the text itself says nothing; may be NULL */
    int repeated_contact;  /* the ticket already has unanswered buyer messages */
} classify_input;

/* How much text is scanned: a body is cut (at a character boundary) after this many bytes;
 * a subject after CLASSIFY_MAX_SUBJECT. Buyers' requests are at the top of a message; what
 * follows is quoted history and signatures. */
#define CLASSIFY_MAX_SCAN (16u << 10)
#define CLASSIFY_MAX_SUBJECT 1024u
#define CLASSIFY_MAX_FIRED 64

typedef struct classify_score {
    const char *subcategory;
    double score;
} classify_score;

typedef struct classify_result {
    const char *category, *subcategory; /* static strings of the taxonomy */
    char language[8];
    double confidence;     /* 0..1 */
    const char *urgency;   /* "low", "normal", "high", "urgent" */
    const char *sentiment; /* "negative", "neutral", "positive" */
    unsigned flags;        /* CLASSIFY_FLAG_* */
    char order_id[48], tracking_number[48];
    char amount_value[32], amount_currency[8]; /* "" when none */
    const char *fired[CLASSIFY_MAX_FIRED];     /* ids of the rules that fired, owned by the rules */
    size_t n_fired;                         /* may exceed CLASSIFY_MAX_FIRED; only that many kept */
    classify_score scores[CLASSIFY_N_SUBS]; /* non-zero scores, highest first */
    size_t n_scores;
    int truncated; /* the body was longer than CLASSIFY_MAX_SCAN */
} classify_result;

typedef struct classify_scratch classify_scratch;
/* Buffers for classify_message; one per thread. Free with classify_scratch_free. */
classify_scratch *classify_scratch_new(const classify_rules *r);
void classify_scratch_free(classify_scratch *s); /* NULL-safe */

/* Classifies one message. scratch may be NULL (one is made and freed for this call).
 * Never fails on the text itself (empty, invalid UTF-8, huge: all give a result); returns
 * -1 with err only for a PCRE2 failure other than "no match" or a hit match limit. */
int classify_message(const classify_rules *r, classify_scratch *scratch, const classify_input *in,
                     classify_result *out, bd_err *err);
/* The same for in[0..n) into out[0..n), the same results, several times faster for many
 * messages: they are taken step by step in groups, so that each language's tables are read
 * for many texts at once (src/classify/internal.h, "batches"). rcs[i] and errs[i] are
 * message i's return code and error. Returns 0, or -1 when some message failed. */
int classify_messages(const classify_rules *r, classify_scratch *scratch, const classify_input *in,
                      classify_result *out, size_t n, bd_err *errs, int *rcs);

/* The result as the JSON object of the `borderdesk classify` contract; id is copied (may be
 * NULL for null). explain adds "rules" and "scores". Caller frees with cJSON_Delete. */
cJSON *classify_result_json(const classify_result *res, const cJSON *id, int explain);

/* The same object appended to b as one line of compact JSON (no newline), without building
 * a tree: what `borderdesk classify` writes. id_json is the id already in JSON form ("null"
 * for null); NULL leaves "id" out (the form stored with an imported message). */
void classify_result_append_json(bd_buf *b, const classify_result *res, const char *id_json,
                                 int explain);

/* Priority of a ticket for an urgency name: low 0, normal 1, high 2, urgent 3. */
int classify_urgency_priority(const char *urgency);

/* ---- the fast reader of `borderdesk classify` lines (line.c) ----
 * Takes only the plainest lines — valid UTF-8, no NUL, one flat object whose values are
 * strings, integers, true, false or null, "body" a string, an unescaped string or an integer
 * of at most 9 digits as the id — and leaves everything else to cJSON, which must say the
 * same of every line taken (tests/fuzz/fuzz_classify_line.c checks it). */
typedef struct classify_line {
    const char *id; /* the id's JSON text (a plain string with its quotes, or an
                       integer), NULL when absent or null */
    size_t id_len;
    const char *body, *subject, *lang; /* raw string contents, NULL when absent or null */
    size_t body_len, subject_len, lang_len;
    int body_esc, subject_esc, lang_esc; /* the contents hold escapes to decode */
} classify_line;
/* 1 when the fast reader takes line[0..len) (f filled, pointing into line), 0 when cJSON
 * must read it. */
int classify_line_parse(const char *line, size_t len, classify_line *f);
/* The decoded contents of a string classify_line_parse took (one of f's *_esc), as a new
 * NUL-terminated string (caller frees); *outlen its length. */
char *classify_line_decode(const char *s, size_t n, size_t *outlen);

/* ---- building blocks, public for tests and tools ---- */

/* NFKC + case fold + marks stripped (except the kana voicing marks) + default-ignorables
 * dropped + Arabic-Indic digits to ASCII + newlines to \n + other control characters
 * removed. s need not be valid UTF-8 (invalid bytes become U+FFFD). Returns a new string
 * (caller frees) and its length in *outlen. */
char *classify_normalize(const char *s, size_t n, size_t *outlen);

/* The language of raw text s[0..n): one of classify_langs, or hint (if one of them) / "en"
 * when the text has no letters that tell. *certainty (may be NULL) gets 0..1. r may be NULL
 * (the detector's tables are then built for this call only). */
const char *classify_detect_language(const classify_rules *r, const char *s, size_t n,
                                     const char *hint, double *certainty);

/* Entities of raw text (need not be valid UTF-8): the first order id, tracking number and
 * amount found. lang picks the currency of "¥" (JPY for ja, else CNY). Fills the entity
 * fields of out and sets CLASSIFY_FLAG_MENTIONS_ORDER when an order id is found. */
void classify_extract_entities(const char *s, size_t n, const char *lang, classify_result *out);

/* 1 when code is a valid UPU S10 item identifier (two letters, 8 digits, check digit, two
 * letters) with a correct check digit. */
int classify_s10_valid(const char *code);
/* 1 when code is a UPS "1Z" tracking number whose check digit is right. */
int classify_ups_valid(const char *code);

#endif
