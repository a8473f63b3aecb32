/*
 * internal.h — what the files of src/classify share and nobody else sees: the compiled
 * rule set, the literal prefilter (Aho-Corasick over required substrings), the language
 * detector's tables, text statistics gathered while normalising, and the scratch buffers.
 */
#ifndef BORDERDESK_CLASSIFY_INTERNAL_H
#define BORDERDESK_CLASSIFY_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs.h>
#include <pthread.h>
#include <pcre2.h>

#include "borderdesk/classify.h"

/* ---- taxonomy helpers (classify.c) ---- */
enum cl_where { CL_WHERE_ANY = 0, CL_WHERE_SUBJECT = 1, CL_WHERE_BODY = 2 };
/* Precedence tiers: a higher tier vote removes the lower ones listed in docs. */
int cl_sub_is_defect(int sub);
int cl_sub_is_problem(int sub); /* any shipping or dispute subcategory */
int cl_sub_chargeback(void);
int cl_sub_index(const char *name); /* by subcategory name alone, -1 if unknown */

/* ---- text statistics gathered from the raw text while normalising ---- */
typedef struct cl_stats {
    uint32_t latin, cyrillic, arabic, hangul, kana, han, other;
    uint32_t fullwidth;          /* full-width Latin letters (typed with a CJK input method) */
    uint32_t arabic_marks;       /* Arabic punctuation and digits */
    uint32_t shouted_words;      /* words of >= 3 letters written all in capitals */
    float cue[CLASSIFY_N_LANGS]; /* evidence from letters only some languages use (ñ, ß, ł) */
} cl_stats;

/* A lookup table for the two-byte UTF-8 range, built once by the general path. */
typedef struct cl_normtab cl_normtab;
cl_normtab *cl_normtab_new(void);
void cl_normtab_free(cl_normtab *t); /* NULL-safe */
/* Appends the normalised form of s[0..n) to out; fills st (may be NULL; counts are added).
 * t (may be NULL) only makes it faster. */
void cl_normalize_append(bd_buf *out, const char *s, size_t n, cl_stats *st, const cl_normtab *t);

/* ---- literal prefilter ---- */
/* Strings one of which every match of pattern must contain, normalised like the text
 * (so they can be searched in it). A leading / trailing byte \x01 says the pattern has a
 * word boundary (\b) there. Returns the number of strings put in *out (caller frees each
 * and the array); 0 means "no usable requirement: always run the pattern". *exact is set
 * when the strings are all the pattern matches (plain lower-case ASCII, boundaries only at
 * their ends): finding one, boundaries checked, is a match and PCRE2 need not run. *prefix
 * is set when every match starts with one of the strings: PCRE2 may then start searching
 * at the first one found. *max_bytes gets the longest match in bytes, -1 when unbounded or
 * not known (only set for a requirement, not for exact strings). */
size_t cl_required_literals(const char *pattern, char ***out, int *exact, int *prefix,
                            long *max_bytes);

/* Word characters as PCRE2 sees them with UCP (\w, \b): letters and numbers of any script
 * and the underscore. 1 word, 0 not, 2 undecided (marks and connector punctuation: PCRE2
 * 10.43 counts them as word characters, earlier versions do not; PCRE2 must decide). */
int cl_word_cp(int32_t cp);
/* The same for the character that starts at text[i] (0 at the end, i >= n) and for the one
 * that ends just before text[i] (0 at the start). text is UTF-8. */
int cl_word_after(const char *text, size_t n, size_t i);
int cl_word_before(const char *text, size_t i);

typedef struct cl_ac cl_ac;
/* Builds an automaton over lits[0..n) (ids are the array indexes); every (may be NULL)
 * marks literals whose every occurrence is reported, not only the first. */
cl_ac *cl_ac_build(char *const *lits, const uint8_t *every, size_t n);
void cl_ac_free(cl_ac *ac);
/* Scans text; calls hit(ud, id, start, end, sure) for every occurrence of a literal whose
 * word boundaries hold: where it is, and sure is 0 when a boundary could not be decided
 * (PCRE2 must decide). classify.c keeps which literals were seen: for most only the first
 * occurrence matters, for those cl_ac_every marks (whole strings of a list) each one. */
void cl_ac_scan(const cl_ac *ac, const char *text, size_t n,
                void (*hit)(void *ud, uint32_t id, size_t start, size_t end, int sure), void *ud);
int cl_ac_every(const cl_ac *ac, uint32_t id);

/* ---- the compiled rules ---- */
typedef struct cl_pattern {
    char *src;
    pcre2_code *code;   /* NULL until first needed when the rules came with a cached
                           analysis (cl_pattern_jit compiles it) */
    int ok;             /* compiles: known at load, by compiling or from the rules cache */
    int analysed;       /* lits, list, prefix and max_len are worked out */
    _Atomic int jitted; /* compiled and JIT compiled (or tried): done the first time PCRE2
                           runs it */
    /* its required literals (literal.c), worked out once at load for both prefilters */
    char **lits;
    size_t n_lits;
    int list;      /* the literals are all it matches: the literal automaton decides it */
    uint32_t rule; /* index of its rule in the language */
    int unless;    /* a veto pattern ("unless") rather than a trigger */
    int hs;        /* in the language's Hyperscan database (hsdb.c) */
    int filtered;  /* the literal prefilter knows its literals (else it always runs) */
    int prefix;    /* every match starts with one of its literals */
    long max_len;  /* the longest match in bytes, -1 when unbounded */
} cl_pattern;

/* Makes sure p is compiled and JIT compiled before PCRE2 runs it (p->code may stay NULL
 * only if it does not compile, which a valid rules cache rules out). Patterns are JIT
 * compiled only when first needed: most are decided by the prefilters and never run, and
 * JIT compiling all of them would double the start-up; with a cached analysis
 * (rulecache.c) even the plain compile waits. Thread-safe. */
void cl_pattern_jit(const classify_rules *r, const cl_pattern *p);

/* A literal of the prefilter as one pattern uses it. For a pattern that is just a list of
 * strings (literal.c's "exact"), full is the whole string starting where the literal
 * starts: finding it there is a match, and PCRE2 need not run. */
enum { CL_NEXT_ANY = 0, CL_NEXT_NONWORD = 1, CL_NEXT_WORD = 2 };
typedef struct cl_lit_use {
    uint32_t pat;
    uint32_t full_len; /* 0: the literal only makes the pattern a candidate */
    char *full;
    int full_wend; /* CL_NEXT_*: what must follow full */
    /* the up to 8 bytes of full after the literal (lit_len bytes), zero-padded: most strings
     * that do not follow are told apart here, without reading full */
    uint64_t next8;
    uint32_t lit_len;
} cl_lit_use;

typedef struct cl_rule {
    char *id;
    int sub; /* index in classify_subcategories, -1 for a signal-only rule */
    double weight;
    int where;                       /* cl_where */
    unsigned flags;                  /* CLASSIFY_FLAG_* */
    int sentiment;                   /* -1, 0, +1 */
    int urgency;                     /* 0 none, 2 high, 3 urgent */
    uint32_t first_pat, n_pat;       /* triggers: pats[first_pat .. +n_pat) */
    uint32_t first_unless, n_unless; /* vetoes */
    char **examples;
    size_t n_examples;
} cl_rule;

typedef struct cl_lang {
    char *file; /* the rules file, NULL when the language has none */
    cl_rule *rules;
    size_t n_rules;
    cl_pattern *pats;
    size_t n_pats;
    /* prefilter: literal l → its uses uses[lit_off[l] .. lit_off[l+1]) */
    cl_ac *ac;
    size_t n_lits;
    uint32_t *lit_off;
    cl_lit_use *uses;
    size_t n_uses;
    /* pattern p → its literals pat_lits[pat_lit_off[p] .. pat_lit_off[p+1]) */
    uint32_t *pat_lit_off, *pat_lits;
    uint32_t *always; /* trigger patterns without a usable literal */
    size_t n_always;
    /* the Hyperscan prefilter: the patterns with pats[p].hs, reported by their index */
    hs_database_t *hs_db;
    size_t n_hs;
    char hs_key[41]; /* the name of its cached database (hsdb.c), "" when none */
} cl_lang;

typedef struct cl_langdet cl_langdet;
cl_langdet *cl_langdet_new(void);
void cl_langdet_free(cl_langdet *d);
/* norm: normalised text; st: its statistics. Returns a language index (or -1 when nothing
 * tells) and sets *certainty. */
int cl_langdet_run(const cl_langdet *d, const char *norm, size_t n, const cl_stats *st,
                   double *certainty);

struct classify_rules {
    cl_lang langs[CLASSIFY_N_LANGS];
    int naive;
    size_t max_pats; /* largest n_pats / n_lits of any language, for scratch sizing */
    size_t max_lits;
    size_t max_rules;
    cl_langdet *det;
    cl_normtab *norm;
    pthread_mutex_t jit_lock; /* serialises lazy JIT compiles (cl_pattern_jit) */
};

/* Parses and compiles one rules file into lang (lang_idx names the expected language).
 * In check mode every problem is reported through report and loading goes on as far as it
 * can; otherwise the first problem is returned in err. Returns the number of errors, or -1
 * (not in check mode) with err. */
typedef struct cl_diag {
    classify_report_fn report; /* NULL: strict load */
    void *ud;
    int errors;
    bd_err *err;
} cl_diag;
int cl_lang_load(cl_lang *lang, int lang_idx, const char *path, int naive, cl_diag *d);
/* The same on the file's text (len bytes, NUL-terminated). lazy: the patterns are known to
 * compile (the rules cache says so): they are compiled when first run, not now. */
int cl_lang_load_text(cl_lang *lang, int lang_idx, const char *path, const char *text, size_t len,
                      int naive, int lazy, cl_diag *d);
void cl_lang_clear(cl_lang *lang);
/* Works out every pattern's required literals (pats[].lits, .list, .prefix, .max_len). */
void cl_lang_literals(cl_lang *lang);
/* Builds the literal prefilter of a compiled language over its patterns not in the
 * Hyperscan database (all of them when there is none). */
void cl_lang_prefilter(cl_lang *lang);

/* ---- Hyperscan prefilter ---- */
/* The byte-level Hyperscan form of a PCRE2 pattern: it matches wherever the pattern
 * matches in normalised text (see hspattern.c). anchors_ok: the pattern sees the whole
 * text, so ^ $ \A \z \Z may stay. NULL when the pattern is not understood. Caller frees. */
typedef struct cl_hs_memo {
    uint8_t known[0x10000]; /* per BMP code point: 0 not yet known, 1 stable, 2 not */
} cl_hs_memo;
char *cl_hs_pattern(const char *src, int anchors_ok, cl_hs_memo *memo); /* memo may be NULL */
/* Puts every pattern of lang that cl_hs_pattern rewrites and Hyperscan accepts into one
 * database (lang->hs_db, from the cache directory when it is there; see hsdb.c) and sets
 * their pats[].hs. Without Hyperscan's help (nothing accepted) lang->hs_db stays NULL. */
void cl_lang_hyperscan(cl_lang *lang, int lang_idx);
/* The database cl_lang_hyperscan made for these patterns, read again by its name
 * (lang->hs_key) from the cache directory dir; sets pats[].hs. 0, or -1 when the file is
 * missing or damaged (then call cl_lang_hyperscan). */
int cl_lang_hyperscan_cached(cl_lang *lang, int lang_idx, const char *dir);

/* ---- the cache directory (hsdb.c) ---- */
/* $BORDERDESK_CACHE_DIR (empty: none), else $XDG_CACHE_HOME/borderdesk, else
 * $HOME/.cache/borderdesk; NULL for none. Caller frees. */
char *cl_cache_dir(void);
/* Writes data to dir/name through a temporary file and a rename (so that a reader sees the
 * old file, the new one, or none), with a magic line and the SHA-256 of data in front;
 * prunes files of ours unused for 30 days. Failures only cost the work next time. */
void cl_cache_write(const char *dir, const char *name, const char *magic, const char *data,
                    size_t n);
/* Reads what cl_cache_write wrote (the payload, caller frees, *n its length), or NULL when
 * the file is missing, from another magic, or damaged. */
char *cl_cache_read(const char *path, const char *magic, size_t *n);

/* ---- the rules cache (rulecache.c) ---- */
/* What loading a rules file works out beyond parsing it — every pattern's literals, which
 * patterns are lists of strings, which database Hyperscan has for them — kept in the cache
 * directory under a key made of the file's bytes, the load flags and the identity of the
 * program and its libraries. A file seen before is then loaded without compiling or
 * analysing a single pattern. */
void cl_rulecache_key(const char *text, size_t len, const char *path, int lang_idx, int flags,
                      char key[65]); /* key "" when the program cannot be identified */
/* The cached analysis for key (caller frees; *n its length), or NULL when there is none. */
char *cl_rulecache_read(int lang_idx, const char *dir, const char *key, size_t *n);
/* Puts an analysis read by cl_rulecache_read into lang (parsed with lazy = 1): 0, or -1 when
 * it does not fit these rules (lang is then half done: clear it). */
int cl_rulecache_apply(cl_lang *lang, const char *data, size_t n);
void cl_rulecache_store(const cl_lang *lang, int lang_idx, const char *dir, const char *key);

/* ---- batches ----
 * The tables a message runs through (a language's Hyperscan database, its literal
 * automaton, the JIT code of its patterns) are megabytes: one message after the other, each
 * step finds them evicted by the steps before, and a message costs about twice what it
 * costs when the messages before were in the same language. So messages are classified
 * CL_BATCH at a time, step by step: every text normalised, then each language's database
 * and automaton run over all the texts of that language (English over all of them), and
 * only then the rules of each message, from what the scans found. */
#define CL_BATCH 512

typedef struct cl_hsm { /* a Hyperscan report: pattern, end of its first match */
    uint32_t pat, to;
} cl_hsm;
typedef struct cl_occ { /* a literal occurrence whose boundaries hold (cl_ac_scan) */
    uint32_t lit, start, end, sure;
} cl_occ;
typedef struct cl_hits { /* what the scans of one language's rules found in one text */
    cl_hsm *hs;
    size_t n_hs, cap_hs;
    cl_occ *ac;
    size_t n_ac, cap_ac;
    int failed; /* Hyperscan could not scan (error code) */
} cl_hits;
typedef struct cl_slot { /* one message of a batch */
    bd_buf text;         /* normalised "subject \n body", 64 zero bytes after it */
    size_t subj_end, body_start, len, sn, bn;
    cl_stats st;
    int li;          /* the language: its rules run, then English's */
    int blank;       /* nothing to read in the body */
    cl_hits hits[2]; /* [0]: li's rules (li != 0), [1]: English's */
} cl_slot;

/* ---- per-thread buffers ---- */
struct classify_scratch {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    hs_scratch_t *hs; /* big enough for every language's database */
    cl_slot slots[CL_BATCH];
    void *runs;           /* classify.c's rule-running context of each slot */
    uint32_t *pat_stamp;  /* per pattern: scan number when it became a candidate */
    uint32_t *pat_proven; /* per pattern: scan number when its literal proved a match */
    uint32_t *pat_first;  /* per candidate pattern: where its first literal starts */
    uint32_t *lit_seen;
    uint32_t *lit_last; /* per literal: where its last occurrence starts */
    uint32_t *rule_stamp;
    uint32_t *cand; /* candidate rule indexes of the language being run */
    size_t n_cand;
    uint32_t stamp;
    size_t cap_pats, cap_lits, cap_rules;
};

#endif
