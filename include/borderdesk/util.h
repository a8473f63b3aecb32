/*
 * util.h — small helpers every module uses: growable strings, errors as values, time in
 * RFC 3339, UTF-8 validation and repair, money as fixed-point, whole-file reads.
 *
 * Memory: a function that returns a pointer says who frees it; every *_free(NULL) is safe.
 * Allocation failure aborts the process (like git's xmalloc): borderdesk never runs on
 * half-allocated state.
 */
#ifndef BORDERDESK_UTIL_H
#define BORDERDESK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of the CLI (public contract). */
enum { BD_EXIT_OK = 0, BD_EXIT_FAIL = 1, BD_EXIT_USAGE = 2, BD_EXIT_DATA = 3 };

/* ---- allocation ---- */
void *bd_malloc(size_t n);
void *bd_calloc(size_t count, size_t n);
void *bd_realloc(void *p, size_t n);
char *bd_strdup(const char *s); /* NULL in, NULL out */
char *bd_strndup(const char *s, size_t n);
char *bd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- errors as values: a fixed buffer filled by the failing callee ---- */
typedef struct bd_err {
    char msg[1024];
} bd_err;
/* Sets err->msg (if err is not NULL) and returns -1, so callers can `return bd_err_set(...)`. */
int bd_err_set(bd_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- growable byte buffer, always NUL-terminated ---- */
typedef struct bd_buf {
    char *data;
    size_t len;
    size_t cap;
} bd_buf;
#define BD_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }
void bd_buf_grow(bd_buf *b, size_t extra);
void bd_buf_append(bd_buf *b, const char *s, size_t n);
void bd_buf_puts(bd_buf *b, const char *s);
void bd_buf_putc(bd_buf *b, char c);
/* Appends s as a JSON string, escaped exactly as cJSON_PrintUnformatted escapes it (quotes,
 * backslashes, \b \f \n \r \t, other control characters as \u00XX; UTF-8 as is), so JSON
 * written by hand reads the same as JSON cJSON wrote (the audit log, classify results). */
void bd_buf_put_json_str(bd_buf *b, const char *s);
void bd_buf_printf(bd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bd_buf_vprintf(bd_buf *b, const char *fmt, va_list ap);
void bd_buf_reset(bd_buf *b);
/* Returns the buffer's string (caller frees) and leaves b empty. Never NULL. */
char *bd_buf_detach(bd_buf *b);
void bd_buf_free(bd_buf *b);

/* ---- time: seconds since the Unix epoch, UTC ---- */
int64_t bd_now(void);
/* Parses RFC 3339 ("2026-11-02T08:15:00Z", "...+08:00", fractional seconds allowed).
 * Returns 0 and sets *out, or -1 when s is not a valid RFC 3339 date-time. */
int bd_time_parse(const char *s, int64_t *out);
/* Parses RFC 3339 or a plain date "YYYY-MM-DD" (midnight UTC). */
int bd_time_parse_loose(const char *s, int64_t *out);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" into out (at least 32 bytes). */
void bd_time_format(int64_t t, char *out, size_t outlen);
/* "3m", "2h", "5d" — a short age for terminal tables. */
void bd_time_age(int64_t seconds, char *out, size_t outlen);

/* ---- UTF-8 ---- */
/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF), else 0. */
int bd_utf8_valid(const char *s, size_t n);
/* Returns a copy of s[0..n) with every invalid sequence replaced by U+FFFD; caller frees. */
char *bd_utf8_repair(const char *s, size_t n, size_t *outlen);
/* Number of code points in a valid UTF-8 string. */
size_t bd_utf8_len(const char *s);
/* Copies at most max_cp code points of s into a new string (adds "…" when cut); caller frees. */
char *bd_utf8_truncate(const char *s, size_t max_cp);
/* Display width in a terminal (CJK and full-width count 2). */
size_t bd_utf8_width(const char *s);

/* ---- money: decimal strings to fixed point with 6 decimals ---- */
/* Parses "12", "12.5", "-3.99" (dot decimal, at most 6 decimals). Returns 0 or -1. */
int bd_money_parse(const char *s, int64_t *micros);
/* Formats micros as a minimal decimal string with at least 2 decimals ("12.50"). */
void bd_money_format(int64_t micros, char *out, size_t outlen);

/* ---- files ---- */
/* Reads a whole file (max_bytes limit; 0 = 256 MiB). Returns malloc'd NUL-terminated data or
 * NULL with err set. */
char *bd_read_file(const char *path, size_t max_bytes, size_t *len, bd_err *err);
/* Creates the parent directory of path if missing (one level). */
int bd_mkdir_parent(const char *path, bd_err *err);

/* ---- strings ---- */
int bd_streq(const char *a, const char *b);            /* NULL-safe */
int bd_str_in(const char *s, const char *const *list); /* s in NULL-terminated list */
void bd_str_lower_ascii(char *s);

#endif
