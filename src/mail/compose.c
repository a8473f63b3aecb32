/* compose.c — the replies we send by e-mail: headers a mail client threads correctly
 * (In-Reply-To, References), a Message-ID of our own, RFC 2047 encoded subject and names,
 * and a UTF-8 text/plain body in quoted-printable or base64 with CRLF line ends. */
#include "borderdesk/mail_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LINE_MAX_COLS 76

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(bd_buf *b, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n) v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n) v |= s[i + 2];
        bd_buf_putc(b, b64[(v >> 18) & 63]);
        bd_buf_putc(b, b64[(v >> 12) & 63]);
        bd_buf_putc(b, i + 1 < n ? b64[(v >> 6) & 63] : '=');
        bd_buf_putc(b, i + 2 < n ? b64[v & 63] : '=');
    }
}

void mail_date(int64_t t, char out[40])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static int plain_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7E) return 0;
    return strstr(s, "=?") == NULL;
}

/* Length of the UTF-8 sequence starting at s (1 for a stray byte). */
static size_t seq_len(const unsigned char *s)
{
    if (*s < 0xC0) return 1;
    size_t n = (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3 : 4;
    for (size_t i = 1; i < n; i++)
        if (!s[i]) return i;
    return n;
}

/* Bytes of text an encoded-word can carry starting at column col of a 76-column line:
 * "=?UTF-8?B?" and "?=" take 12 columns, each 3 bytes take 4 base64 characters. */
static size_t word_room(size_t col)
{
    return col + 12 < 76 ? (76 - col - 12) / 4 * 3 : 0;
}

/* How many bytes of whole UTF-8 characters from p fit in room. */
static size_t fit(const unsigned char *p, size_t room)
{
    size_t n = 0;
    while (p[n]) {
        size_t k = seq_len(p + n);
        if (n + k > room) break;
        n += k;
    }
    return n;
}

void mail_header_words(bd_buf *b, const char *s, size_t used)
{
    if (plain_ascii(s)) {
        /* fold at spaces so that no line passes 78 columns */
        size_t col = used;
        const char *p = s;
        while (*p) {
            const char *sp = strchr(p + 1, ' ');
            size_t w = sp ? (size_t)(sp - p) : strlen(p);
            if (col + w > 78 && col > used && *p == ' ') {
                bd_buf_puts(b, "\r\n");
                col = 0;
            }
            bd_buf_append(b, p, w);
            col += w;
            p += w;
        }
        return;
    }
    /* encoded-words on lines of at most 76 columns: "=?UTF-8?B?" and "?=" take 12, each 3
     * bytes take 4 base64 characters; a character is never split between two words */
    const unsigned char *p = (const unsigned char *)s;
    for (int first = 1; *p; first = 0) {
        size_t n = fit(p, word_room(first ? used : 1));
        if (!first) {
            bd_buf_puts(b, "\r\n ");
        } else if (n == 0) { /* not one character fits after the header name */
            bd_buf_puts(b, "\r\n ");
            n = fit(p, word_room(1));
        }
        if (n == 0) n = seq_len(p);
        bd_buf_puts(b, "=?UTF-8?B?");
        base64(b, p, n);
        bd_buf_puts(b, "?=");
        p += n;
    }
}

/* Quoted-printable (RFC 2045 6.7) with CRLF hard line breaks and soft breaks under 76. */
static void quoted_printable(bd_buf *b, const char *text)
{
    size_t col = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\r' && p[1] == '\n') continue;
        if (*p == '\n') {
            bd_buf_puts(b, "\r\n");
            col = 0;
            continue;
        }
        /* a space or tab before a line end must be encoded; '.' at a line start too, so
         * that no line of the body can read as SMTP's end of data */
        int trailing = (*p == ' ' || *p == '\t') && (p[1] == '\n' || p[1] == '\r' || !p[1]);
        int lit = ((*p >= 33 && *p <= 126 && *p != '=') || *p == ' ' || *p == '\t') && !trailing &&
                  !(col == 0 && *p == '.');
        char enc[4];
        if (lit) snprintf(enc, sizeof enc, "%c", *p);
        else snprintf(enc, sizeof enc, "=%02X", *p);
        size_t w = strlen(enc);
        if (col + w > LINE_MAX_COLS - 1) {
            bd_buf_puts(b, "=\r\n");
            col = 0;
            if (*p == '.') {
                snprintf(enc, sizeof enc, "=%02X", *p);
                w = 3;
            }
        }
        bd_buf_puts(b, enc);
        col += w;
    }
    bd_buf_puts(b, "\r\n");
}

static void base64_body(bd_buf *b, const char *text)
{
    /* CRLF line ends in the decoded text, as RFC 2046 wants for text */
    bd_buf crlf = BD_BUF_INIT;
    for (const char *p = text; *p; p++) {
        if (*p == '\r' && p[1] == '\n') continue;
        if (*p == '\n') bd_buf_putc(&crlf, '\r');
        bd_buf_putc(&crlf, *p);
    }
    bd_buf enc = BD_BUF_INIT;
    base64(&enc, (const unsigned char *)(crlf.data ? crlf.data : ""), crlf.len);
    for (size_t i = 0; i < enc.len; i += LINE_MAX_COLS) {
        size_t n = enc.len - i < LINE_MAX_COLS ? enc.len - i : LINE_MAX_COLS;
        bd_buf_append(b, enc.data + i, n);
        bd_buf_puts(b, "\r\n");
    }
    bd_buf_free(&enc);
    bd_buf_free(&crlf);
}

/* Mostly ASCII text reads best and weighs least in quoted-printable; text in other
 * scripts is a third smaller in base64. */
static int prefer_base64(const char *text)
{
    size_t high = 0, n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++, n++)
        if (*p >= 0x80) high++;
    return high * 3 > n;
}

static int header_safe(const char *s)
{
    return !s || (!strchr(s, '\r') && !strchr(s, '\n'));
}

static int addr_ok(const char *a)
{
    if (!a || !*a || !strchr(a, '@')) return 0;
    for (const char *p = a; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',' || *p == ';')
            return 0;
    return 1;
}

static int id_ok(const char *id)
{
    if (!id || !*id) return 0;
    for (const char *p = id; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7F || *p == '<' || *p == '>') return 0;
    return 1;
}

/* "Name" <addr> with the name quoted or encoded as needed. */
static void address(bd_buf *b, const char *name, const char *addr, size_t used)
{
    if (name && *name) {
        int quote_ok = plain_ascii(name);
        if (quote_ok) {
            bd_buf_putc(b, '"');
            for (const char *p = name; *p; p++) {
                if (*p == '"' || *p == '\\') bd_buf_putc(b, '\\');
                bd_buf_putc(b, *p);
            }
            bd_buf_putc(b, '"');
        } else {
            mail_header_words(b, name, used);
        }
        /* the address on a line of its own when the name's last line is too long for it */
        const char *nl = b->data;
        for (const char *p = b->data; (p = strstr(p, "\r\n")); p += 2) nl = p + 2;
        size_t col = (size_t)(b->data + b->len - nl);
        bd_buf_puts(b, col + strlen(addr) + 3 > 78 ? "\r\n " : " ");
    }
    bd_buf_printf(b, "<%s>", addr);
}

static int has_reply_prefix(const char *s)
{
    static const char *const prefixes[] = {"re:", "aw:", "sv:", "vs:", "odp:", "ris:", "res:",
                                           "antw:", "ответ:", "回复:", "답장:", "re：", "回复："};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncasecmp(s, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    return 0;
}

char *mail_compose(const mail_draft *d, size_t *len, bd_err *err)
{
    *len = 0;
    if (!addr_ok(d->from)) return bd_err_set(err, "the shop's address \"%s\" is not an e-mail address", d->from ? d->from : ""), NULL;
    if (!addr_ok(d->to)) return bd_err_set(err, "the buyer's address \"%s\" is not an e-mail address", d->to ? d->to : ""), NULL;
    if (!id_ok(d->message_id)) return bd_err_set(err, "the Message-ID is not valid"), NULL;
    if (!d->text || !bd_utf8_valid(d->text, strlen(d->text))) return bd_err_set(err, "the text is not valid UTF-8"), NULL;
    const char *subj = d->subject ? d->subject : "";
    if (!bd_utf8_valid(subj, strlen(subj)) || !header_safe(subj) || !header_safe(d->from_name) ||
        (d->from_name && !bd_utf8_valid(d->from_name, strlen(d->from_name))))
        return bd_err_set(err, "the subject or the shop's name has line breaks or invalid UTF-8"), NULL;
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "From: ");
    address(&b, d->from_name, d->from, 6);
    bd_buf_puts(&b, "\r\nTo: ");
    address(&b, NULL, d->to, 4);
    char date[40];
    mail_date(d->date, date);
    bd_buf_printf(&b, "\r\nDate: %s\r\nMessage-ID: <%s>\r\n", date, d->message_id);
    if (id_ok(d->in_reply_to)) bd_buf_printf(&b, "In-Reply-To: <%s>\r\n", d->in_reply_to);
    size_t nref = 0;
    for (size_t i = 0; i < d->n_references; i++) {
        if (!id_ok(d->references[i])) continue;
        /* one reference per line keeps every line short whatever the ids */
        bd_buf_printf(&b, "%s<%s>", nref++ ? "\r\n " : "References: ", d->references[i]);
    }
    if (nref) bd_buf_puts(&b, "\r\n");
    bd_buf_puts(&b, "Subject: ");
    char *s = NULL;
    const char *trim = subj;
    while (*trim == ' ' || *trim == '\t') trim++;
    if (*trim && !has_reply_prefix(trim)) s = bd_asprintf("Re: %s", trim);
    mail_header_words(&b, s ? s : trim, 9);
    free(s);
    int b64body = prefer_base64(d->text);
    bd_buf_printf(&b, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                      "Content-Transfer-Encoding: %s\r\n\r\n",
                  b64body ? "base64" : "quoted-printable");
    if (b64body) base64_body(&b, d->text);
    else quoted_printable(&b, d->text);
    *len = b.len;
    return bd_buf_detach(&b);
}
