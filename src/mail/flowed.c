/* flowed.c — undoes format=flowed (RFC 3676) in a text/plain part.
 *
 * Mailers that send format=flowed wrap long lines at about 72 columns and mark each soft
 * break with a space before the line end; a reader joins those lines again. Left wrapped,
 * a long attribution ("W dniu 3.11.2026 o 09:14, Shop <s@x>" / "pisze:") no longer reads
 * as one line and the quote below it survives. So the lines of a paragraph are joined
 * here, before the quote stripper sees the text:
 *
 * - a line ending in a space is flowed: it continues on the next line (with DelSp=yes the
 *   space was added by the wrapping and is deleted, as the CJK mailers that use it need);
 * - the quote depth is the number of leading '>'; a flowed line joins only a line of the
 *   same depth (else it is taken as ending its paragraph, as RFC 3676 4.5 says);
 * - one leading space after the quote marks is space-stuffing and removed;
 * - the signature separator "-- " is never flowed.
 *
 * Quoted paragraphs come out as ">" × depth, a space, the text, so the stripper still sees
 * them as quoted. */
#include <string.h>

#include "parse_internal.h"

typedef struct flowed_line {
    const char *s; /* the content: quote marks and stuffing removed */
    size_t n;
    size_t depth; /* leading '>' */
    int flowed;   /* ended in a space (a soft break) */
} flowed_line;

/* Reads the line s[0..n) (no '\n'). */
static flowed_line read_line(const char *s, size_t n)
{
    flowed_line l = {s, n, 0, 0};
    while (l.n && *l.s == '>')
        l.s++, l.n--, l.depth++;
    if (l.n && *l.s == ' ') l.s++, l.n--; /* space-stuffing */
    int signature = l.n == 3 && memcmp(l.s, "-- ", 3) == 0;
    l.flowed = !signature && l.n && l.s[l.n - 1] == ' ';
    return l;
}

static void put_quote_marks(bd_buf *out, const flowed_line *l)
{
    for (size_t i = 0; i < l->depth; i++)
        bd_buf_putc(out, '>');
    if (l->depth && l->n) bd_buf_putc(out, ' ');
}

char *mail_flowed_decode(const char *text, int delsp)
{
    bd_buf out = BD_BUF_INIT;
    bd_buf_puts(&out, "");
    if (!text) return bd_buf_detach(&out);
    int open = 0; /* a paragraph is being joined: its quote marks are written */
    size_t depth = 0;
    for (const char *p = text;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        flowed_line l = read_line(p, n);
        if (open && l.depth != depth) { /* a flowed line before a change of depth ends */
            bd_buf_putc(&out, '\n');
            open = 0;
        }
        if (!open) put_quote_marks(&out, &l);
        size_t keep = l.flowed && delsp ? l.n - 1 : l.n;
        bd_buf_append(&out, l.s, keep);
        depth = l.depth;
        open = l.flowed && nl;
        if (!open && nl) bd_buf_putc(&out, '\n');
        if (!nl) break;
        p = nl + 1;
    }
    return bd_buf_detach(&out);
}
