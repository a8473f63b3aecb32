/* parse.c — one raw RFC 5322 message to a mail_message (mail.h).
 *
 * GMime reads the MIME structure and undoes the transfer encodings; the headers are read
 * raw and decoded by parse_header.c, body text goes through charset.c, HTML through html.c
 * and the new text is cut out by quote.c. Nothing here fails on a malformed message: every
 * problem becomes one short note in m->error ("truncated multipart: no closing boundary;
 * part 2: broken base64, decoded what could be read") and parsing goes on.
 *
 * Limits (a mail from the internet is hostile input): MAIL_MAX_BYTES of the message are
 * read, MAIL_MAX_PARTS MIME parts visited, MAIL_MAX_DEPTH levels of nesting followed,
 * MAIL_MAX_HEADER bytes of one header value decoded. Each cut is noted in m->error. */
#include <ctype.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_internal.h"

#define MAIL_MAX_BYTES ((size_t)32 << 20)
#define MAIL_MAX_PARTS 256
#define MAIL_MAX_DEPTH 16
#define MAIL_MAX_HEADER ((size_t)32 << 10)

/* What the walk over the MIME tree collects. */
typedef struct walk {
    mail_message *m;
    bd_buf notes; /* "; "-separated problems, becomes m->error */
    int parts;    /* parts visited */
    int depth_noted, parts_noted;
    GMimePart *plain, *html;             /* the first inline text/plain and text/html */
    GMimePart *inner_plain, *inner_html; /* the same inside an attached message */
    size_t att_cap;
} walk;

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
    g_mime_init();
}

/* Adds a note unless the same one is there already. */
static void note(walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(walk *w, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->notes.len && strstr(w->notes.data, msg)) return;
    if (w->notes.len) bd_buf_puts(&w->notes, "; ");
    bd_buf_puts(&w->notes, msg);
}

/* GMime's own findings; only those that mean content may be missing or misread. */
static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer ud)
{
    (void)offset;
    (void)item;
    walk *w = ud;
    switch (code) {
    case GMIME_WARN_TRUNCATED_MESSAGE:
        note(w, "truncated message");
        break;
    case GMIME_WARN_MALFORMED_MULTIPART:
        note(w, "multipart without parts");
        break;
    case GMIME_WARN_MALFORMED_MESSAGE:
        note(w, "malformed message");
        break;
    case GMIME_CRIT_INVALID_HEADER_NAME:
        note(w, "invalid header line");
        break;
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
        note(w, "multipart without boundary");
        break;
    case GMIME_CRIT_NESTING_OVERFLOW:
        note(w, "MIME nesting too deep");
        break;
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        note(w, "empty MIME part");
        break;
    case GMIME_WARN_INVALID_CONTENT_TYPE:
        note(w, "invalid content type");
        break;
    default:
        break;
    }
}

/* ---- headers ---- */

/* The raw value of a header (first occurrence), unfolded and capped, or NULL. bd_ string. */
static char *raw_header(walk *w, GMimeObject *obj, const char *name)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);
    GMimeHeader *h = list ? g_mime_header_list_get_header(list, name) : NULL;
    const char *raw = h ? g_mime_header_get_raw_value(h) : NULL;
    if (!raw) return NULL;
    char *v = mail_header_unfold(raw);
    if (strlen(v) > MAIL_MAX_HEADER) {
        note(w, "%s header longer than %zu bytes, cut", name, MAIL_MAX_HEADER);
        v[MAIL_MAX_HEADER] = '\0';
    }
    return v;
}

static char *decoded_header(walk *w, GMimeObject *obj, const char *name)
{
    char *raw = raw_header(w, obj, name);
    if (!raw) return NULL;
    int bad = 0;
    char *v = mail_header_decode(raw, &bad);
    if (bad) note(w, "malformed encoded-word in %s", name);
    free(raw);
    return v;
}

static void read_addresses(walk *w, GMimeObject *obj, const char *name, mail_address *one,
                           mail_address **list, size_t *n)
{
    char *raw = raw_header(w, obj, name);
    if (!raw) return;
    mail_address *all = NULL;
    size_t count = mail_address_list(raw, &all);
    if (one) {
        if (count) *one = all[0];
        for (size_t i = 1; i < count; i++)
            free(all[i].name), free(all[i].address);
        free(all);
        if (!count || !one->address) note(w, "unreadable %s address", name);
    } else {
        *list = all;
        *n = count;
    }
    free(raw);
}

static void read_date(walk *w, GMimeObject *obj)
{
    char *raw = raw_header(w, obj, "Date");
    if (!raw) return;
    GDateTime *d = g_mime_utils_header_decode_date(raw);
    if (d) {
        w->m->date = g_date_time_to_unix(d);
        g_date_time_unref(d);
    } else {
        note(w, "unreadable Date");
    }
    free(raw);
}

static void read_headers(walk *w, GMimeObject *msg)
{
    mail_message *m = w->m;
    char *raw = raw_header(w, msg, "Message-ID");
    char **ids = NULL;
    size_t n = raw ? mail_msgid_list(raw, &ids) : 0;
    if (n) m->message_id = ids[0];
    for (size_t i = 1; i < n; i++)
        free(ids[i]);
    free(ids);
    free(raw);
    raw = raw_header(w, msg, "In-Reply-To");
    ids = NULL;
    n = raw ? mail_msgid_list(raw, &ids) : 0;
    if (n) m->in_reply_to = ids[0];
    for (size_t i = 1; i < n; i++)
        free(ids[i]);
    free(ids);
    free(raw);
    raw = raw_header(w, msg, "References");
    if (raw) m->n_references = mail_msgid_list(raw, &m->references);
    free(raw);
    read_addresses(w, msg, "From", &m->from, NULL, NULL);
    read_addresses(w, msg, "Reply-To", &m->reply_to, NULL, NULL);
    read_addresses(w, msg, "To", NULL, &m->to, &m->n_to);
    m->subject = decoded_header(w, msg, "Subject");
    read_date(w, msg);
}

/* ---- content ---- */

/* The decoded bytes of a leaf part (transfer encoding undone). */
static GByteArray *part_bytes(GMimePart *part)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *mem = g_mime_stream_mem_new();
    if (content) g_mime_data_wrapper_write_to_stream(content, mem);
    GByteArray *bytes = g_byte_array_new();
    GByteArray *held = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    if (held && held->len) g_byte_array_append(bytes, held->data, held->len);
    g_object_unref(mem);
    return bytes;
}

/* 1 when base64 text has bytes outside the alphabet or ends in a broken group. */
static int base64_broken(const char *s, size_t n)
{
    size_t digits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '+' || c == '/') {
            if (pad) return 1; /* data after padding */
            digits++;
        } else if (c == '=') {
            pad++;
        } else if (!isspace(c)) {
            return 1;
        }
    }
    return digits % 4 == 1 || pad > 2;
}

/* 1 when quoted-printable text has an '=' that is neither "=XX" nor a soft line break. */
static int qp_broken(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '=') continue;
        if (i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2]))
            continue;
        size_t j = i + 1;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j >= n || s[j] == '\n' || s[j] == '\r') continue; /* soft break (or the end) */
        return 1;
    }
    return 0;
}

/* Notes a transfer encoding that could only be decoded in part. */
static void check_encoding(walk *w, GMimePart *part, int index)
{
    GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
    if (enc != GMIME_CONTENT_ENCODING_BASE64 && enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
        return;
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (!raw) return;
    bd_buf b = BD_BUF_INIT;
    char chunk[4096];
    g_mime_stream_reset(raw);
    ssize_t k;
    while ((k = g_mime_stream_read(raw, chunk, sizeof chunk)) > 0)
        bd_buf_append(&b, chunk, (size_t)k);
    g_mime_stream_reset(raw);
    int broken = enc == GMIME_CONTENT_ENCODING_BASE64 ? base64_broken(b.data ? b.data : "", b.len)
                                                      : qp_broken(b.data ? b.data : "", b.len);
    if (broken)
        note(w, "part %d: broken %s, decoded what could be read", index,
             enc == GMIME_CONTENT_ENCODING_BASE64 ? "base64" : "quoted-printable");
    bd_buf_free(&b);
}

static void add_attachment(walk *w, char *filename, const char *type, size_t size)
{
    mail_message *m = w->m;
    if (m->n_attachments == w->att_cap) {
        w->att_cap = w->att_cap ? w->att_cap * 2 : 4;
        m->attachments = bd_realloc(m->attachments, w->att_cap * sizeof *m->attachments);
    }
    mail_attachment *a = &m->attachments[m->n_attachments++];
    a->filename = filename;
    a->content_type = bd_strdup(type);
    a->size = size;
}

static char *type_of(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *mime = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
    char *out = bd_strdup(mime ? mime : "application/octet-stream");
    g_free(mime);
    bd_str_lower_ascii(out);
    return out;
}

/* A filename as UTF-8 (GMime decodes RFC 2231/2047; anything it left undecoded is
 * treated like raw header text). */
static char *filename_of(GMimePart *part)
{
    const char *f = g_mime_part_get_filename(part);
    if (!f || !*f) return NULL;
    return mail_header_decode(f, NULL);
}

static void walk_object(walk *w, GMimeObject *obj, int depth, int inner);

static void walk_leaf(walk *w, GMimePart *part, int inner)
{
    int index = w->parts;
    check_encoding(w, part, index);
    char *type = type_of(GMIME_OBJECT(part));
    int attachment = g_mime_part_is_attachment(part);
    int is_plain = strcmp(type, "text/plain") == 0, is_html = strcmp(type, "text/html") == 0;
    if (!attachment && (is_plain || is_html)) {
        GMimePart **slot = inner ? (is_plain ? &w->inner_plain : &w->inner_html)
                                 : (is_plain ? &w->plain : &w->html);
        if (!*slot) {
            *slot = part;
            free(type);
            return;
        }
    }
    if (!inner) {
        GByteArray *bytes = part_bytes(part);
        add_attachment(w, filename_of(part), type, bytes->len);
        g_byte_array_unref(bytes);
    }
    free(type);
}

static void walk_message_part(walk *w, GMimeMessagePart *mp, int depth, int inner)
{
    GMimeMessage *msg = g_mime_message_part_get_message(mp);
    if (!inner) {
        size_t size = 0;
        if (msg) {
            GMimeStream *mem = g_mime_stream_mem_new();
            g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, mem);
            size = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem))->len;
            g_object_unref(mem);
        }
        const char *f =
            g_mime_object_get_content_disposition_parameter(GMIME_OBJECT(mp), "filename");
        char *type = type_of(GMIME_OBJECT(mp));
        add_attachment(w, f && *f ? mail_header_decode(f, NULL) : NULL, type, size);
        free(type);
    }
    /* the attached mail's text is used only when the outer one has none */
    GMimeObject *body = msg ? g_mime_message_get_mime_part(msg) : NULL;
    if (body) walk_object(w, body, depth + 1, 1);
}

static void walk_object(walk *w, GMimeObject *obj, int depth, int inner)
{
    if (depth > MAIL_MAX_DEPTH) {
        if (!w->depth_noted++)
            note(w, "MIME nesting deeper than %d levels, rest skipped", MAIL_MAX_DEPTH);
        return;
    }
    if (++w->parts > MAIL_MAX_PARTS) {
        if (!w->parts_noted++) note(w, "more than %d MIME parts, rest skipped", MAIL_MAX_PARTS);
        return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int count = g_mime_multipart_get_count(mp);
        for (int i = 0; i < count; i++)
            walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1, inner);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        walk_message_part(w, GMIME_MESSAGE_PART(obj), depth, inner);
    } else if (GMIME_IS_PART(obj)) {
        walk_leaf(w, GMIME_PART(obj), inner);
    }
}

/* ---- text ---- */

static int blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

/* Line ends as "\n" (in place): mail's CRLF, and a lone CR of old Mac mailers. */
static char *crlf_to_lf(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p == '\r') {
            *o++ = '\n';
            if (p[1] == '\n') p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return s;
}

/* Converts one text part to UTF-8 and records the charset facts. */
static char *part_text(walk *w, GMimePart *part)
{
    mail_message *m = w->m;
    const char *declared = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    GByteArray *bytes = part_bytes(part);
    const char *data = bytes->len ? (const char *)bytes->data : "";
    const char *used = NULL;
    int guessed = 0;
    char *text = mail_to_utf8(data, bytes->len, declared, &used, &guessed);
    free(m->charset_declared);
    m->charset_declared = declared && *declared ? bd_strdup(declared) : NULL;
    if (m->charset_declared) bd_str_lower_ascii(m->charset_declared);
    free(m->charset); /* a blank part tried before this one */
    m->charset = bd_strdup(used);
    m->charset_guessed = guessed;
    /* a declaration that is missing, says "unknown" or names the wrong charset is common
     * and detection recovers it: charset_guessed tells, it is no error. A label that names
     * no charset at all ("x-foo") is a malformed field, and noted. */
    if (guessed && m->charset_declared && !mail_charset_canonical(declared) &&
        !mail_charset_means_unknown(declared))
        note(w, "unknown charset name \"%s\"; detected %s", m->charset_declared, used);
    char *strict = mail_charset_decode_strict(data, bytes->len, used);
    if (!strict) note(w, "invalid bytes for %s replaced by U+FFFD", used);
    free(strict);
    if (memchr(data, '\0', bytes->len)) note(w, "NUL bytes in the text, replaced by U+FFFD");
    g_byte_array_unref(bytes);
    return crlf_to_lf(text);
}

/* A format=flowed text/plain part is unwrapped (flowed.c) before anything reads its
 * lines: a wrapped attribution line would not be recognised. Takes text. */
static char *unflow(GMimePart *part, char *text)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    const char *format = g_mime_object_get_content_type_parameter(obj, "format");
    if (!format || strcasecmp(format, "flowed") != 0) return text;
    const char *delsp = g_mime_object_get_content_type_parameter(obj, "delsp");
    char *out = mail_flowed_decode(text, delsp && strcasecmp(delsp, "yes") == 0);
    free(text);
    return out;
}

/* Chooses the body: text/plain first (unless empty), then HTML, then the same inside an
 * attached message. Fills text, full_text, source and the charset fields. */
static void choose_text(walk *w)
{
    mail_message *m = w->m;
    GMimePart *order[][2] = {
        {w->plain, NULL}, {NULL, w->html}, {w->inner_plain, NULL}, {NULL, w->inner_html}};
    for (size_t i = 0; i < 4; i++) {
        GMimePart *p = order[i][0] ? order[i][0] : order[i][1];
        if (!p) continue;
        char *full = part_text(w, p);
        if (order[i][1]) {
            char *html = full;
            full = mail_html_to_text(html);
            free(html);
        } else {
            full = unflow(p, full);
        }
        if (blank(full) && i < 3) { /* "this is an HTML message" placeholders and the like */
            free(full);
            continue;
        }
        m->full_text = full;
        m->source = order[i][1] ? "text/html" : "text/plain";
        return;
    }
}

/* Raw header bytes (ids, addresses, parameters) need not be UTF-8; everything in a
 * mail_message is. */
static void repair(char **s)
{
    if (!*s || bd_utf8_valid(*s, strlen(*s))) return;
    size_t len;
    char *fixed = bd_utf8_repair(*s, strlen(*s), &len);
    free(*s);
    *s = fixed;
}

static void repair_all(mail_message *m)
{
    repair(&m->message_id);
    repair(&m->in_reply_to);
    for (size_t i = 0; i < m->n_references; i++)
        repair(&m->references[i]);
    repair(&m->from.name);
    repair(&m->from.address);
    repair(&m->reply_to.name);
    repair(&m->reply_to.address);
    for (size_t i = 0; i < m->n_to; i++)
        repair(&m->to[i].name), repair(&m->to[i].address);
    repair(&m->subject);
    repair(&m->charset_declared);
    for (size_t i = 0; i < m->n_attachments; i++) {
        repair(&m->attachments[i].filename);
        repair(&m->attachments[i].content_type);
    }
}

/* The facts a helpdesk needs from the parsed message. */
static void finish_message(walk *w)
{
    mail_message *m = w->m;
    repair_all(m);
    if (!m->full_text) {
        m->full_text = bd_strdup("");
        m->source = "none";
    }
    m->amazon_relay = mail_is_amazon_relay(m->from.address);
    m->text = mail_new_text(m->full_text, m->amazon_relay);
    if (m->amazon_relay && m->from.name) {
        char *buyer = mail_amazon_buyer_name(m->from.name);
        free(m->from.name);
        m->from.name = buyer;
    }
    m->order_id = mail_find_order_id(m->subject);
    if (!m->order_id) m->order_id = mail_find_order_id(m->text);
    if (!m->order_id) m->order_id = mail_find_order_id(m->full_text);
}

/* A message GMime found no headers in: the whole input is its text. */
static void headerless(walk *w, const char *raw, size_t len)
{
    mail_message *m = w->m;
    note(w, "no message headers");
    if (memchr(raw, '\0', len)) note(w, "NUL bytes in the text, replaced by U+FFFD");
    const char *used;
    int guessed;
    m->full_text = crlf_to_lf(mail_to_utf8(raw, len, NULL, &used, &guessed));
    m->charset = bd_strdup(used);
    m->charset_guessed = guessed;
    m->source = "text/plain";
}

/* 1 when the input starts with something shaped like a header line ("Name: value"). */
static int looks_like_headers(const char *raw, size_t len)
{
    size_t i = 0;
    while (i < len && (raw[i] == '\r' || raw[i] == '\n'))
        i++;
    if (len - i >= 5 && memcmp(raw + i, "From ", 5) == 0) return 1; /* mbox line */
    size_t start = i;
    while (i < len && raw[i] > 32 && raw[i] < 127 && raw[i] != ':')
        i++;
    return i > start && i < len && raw[i] == ':';
}

/* Multiparts whose closing boundary never comes: the mail was cut in transit. */
static void check_closing(walk *w, GMimeObject *obj, const char *raw, size_t len, int depth)
{
    if (depth > MAIL_MAX_DEPTH || !GMIME_IS_MULTIPART(obj)) return;
    GMimeMultipart *mp = GMIME_MULTIPART(obj);
    const char *boundary = g_mime_multipart_get_boundary(mp);
    if (boundary && *boundary) {
        char *close = bd_asprintf("--%s--", boundary);
        if (!memmem(raw, len, close, strlen(close)))
            note(w, "truncated multipart: no closing boundary");
        free(close);
    }
    int count = g_mime_multipart_get_count(mp);
    for (int i = 0; i < count && i < MAIL_MAX_PARTS; i++)
        check_closing(w, g_mime_multipart_get_part(mp, i), raw, len, depth + 1);
}

/* 1 when the line at s (n bytes) starts like a header field: a name, then a colon. */
static int field_start(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] > 32 && s[i] < 127 && s[i] != ':')
        i++;
    return i > 0 && i < n && s[i] == ':';
}

/* RFC 5322 2.1.1: a line is at most 998 characters. Longer header lines are a sign of a
 * broken or hostile sender (they are read all the same, up to MAIL_MAX_HEADER). */
#define MAIL_MAX_LINE 998

/* The longest header line found, and the field it belongs to. */
typedef struct long_line {
    size_t len;
    char name[64];
} long_line;

static void note_line(long_line *longest, const char *name, size_t name_len, size_t len)
{
    if (!longest || len <= longest->len) return;
    longest->len = len;
    if (name_len >= sizeof longest->name) name_len = sizeof longest->name - 1;
    memcpy(longest->name, name, name_len);
    longest->name[name_len] = '\0';
}

/* Walks the header blocks of the message (the top one, and each part's after a "--"
 * boundary line) and copies raw to out (when out is not NULL) with every header field cut
 * to MAIL_MAX_HEADER bytes. Returns 1 when some field is longer. Body lines are never
 * touched: only lines inside a header block that start as "Name:" and their continuations.
 * When longest is not NULL it gets the longest line of the message's own header block
 * (a part's header block is found by its "--" line alone, which a body line may imitate:
 * a long line there is no sure sign of anything). */
static int walk_fields(const char *raw, size_t len, bd_buf *out, long_line *longest)
{
    const char *name = "";
    size_t name_len = 0;
    int in_headers = 1, in_field = 0, over = 0, top = 1;
    size_t field = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(raw + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (raw + i)) + 1 : len - i; /* with its '\n' */
        const char *line = raw + i;
        size_t body = n - (nl ? 1 : 0);
        if (body && line[body - 1] == '\r') body--;
        if (body == 0) {
            in_headers = in_field = top = 0;
        } else if (!in_headers) {
            if (line[0] == '-' && body > 2 && line[1] == '-') in_headers = 1; /* a boundary */
        } else if (line[0] == ' ' || line[0] == '\t') {
            /* a continuation line belongs to the field above */
        } else {
            in_field = field_start(line, body);
            field = 0;
            name = line;
            name_len = in_field ? (size_t)((const char *)memchr(line, ':', body) - line) : 0;
        }
        int cap = in_headers && in_field && body;
        if (cap && top) note_line(longest, name, name_len, body);
        if (cap && field + n > MAIL_MAX_HEADER) {
            over = 1;
            if (out) { /* keep what fits; a field cut on its first line still ends it */
                size_t keep = field < MAIL_MAX_HEADER ? MAIL_MAX_HEADER - field : 0;
                bd_buf_append(out, line, keep < body ? keep : body);
                if (keep && nl) bd_buf_puts(out, "\r\n");
            }
        } else if (out) {
            bd_buf_append(out, line, n);
        }
        if (cap) field += n;
        i += n;
    }
    return over;
}

/* GMime decodes some headers while it builds the message, in time that grows much faster
 * than their length: a hostile 1 MB Subject or filename costs minutes. So header fields
 * are cut to MAIL_MAX_HEADER bytes before GMime sees them. Returns a bd_ copy with the
 * cuts, or NULL when no field is that long. */
static char *cap_headers(const char *raw, size_t len, size_t *out_len, long_line *longest)
{
    if (!walk_fields(raw, len, NULL, longest)) return NULL;
    bd_buf b = BD_BUF_INIT;
    walk_fields(raw, len, &b, NULL);
    *out_len = b.len;
    return bd_buf_detach(&b);
}

/* The line at raw[at..len): its length without the line end, and *next, where the next
 * line starts. */
static size_t line_at(const char *raw, size_t len, size_t at, size_t *next)
{
    const char *nl = memchr(raw + at, '\n', len - at);
    size_t n = nl ? (size_t)(nl - (raw + at)) : len - at;
    *next = nl ? at + n + 1 : len;
    if (n && raw[at + n - 1] == '\r') n--;
    return n;
}

/* Where the body starts when the sender left out the blank line after the headers (the
 * last field directly followed by "Hello, my order..."): the first line of the top header
 * block that is neither a field, a continuation nor blank — unless a field still follows
 * it before the next blank line: that is a stray line inside the headers, which GMime
 * skips by itself. Returns its offset and sets *line_no (from 1), or returns 0 when the
 * header block ends as it should. */
static size_t missing_blank_line(const char *raw, size_t len, size_t *line_no)
{
    size_t at = 0, next, fields = 0, start = 0;
    *line_no = 0;
    if (len >= 5 && memcmp(raw, "From ", 5) == 0) { /* an mbox separator line */
        line_at(raw, len, 0, &at);
        ++*line_no;
    }
    for (; at < len; at = next) {
        size_t n = line_at(raw, len, at, &next);
        ++*line_no;
        if (n == 0) return 0;
        if (raw[at] == ' ' || raw[at] == '\t') continue;
        if (!field_start(raw + at, n)) {
            start = at;
            break;
        }
        fields++;
    }
    if (!start || !fields) return 0;
    for (at = start; at < len; at = next) {
        size_t n = line_at(raw, len, at, &next);
        if (n == 0) break;
        if (at > start && field_start(raw + at, n)) return 0;
    }
    return start;
}

/* A copy of raw with a blank line inserted at `at` (in the line ends the message uses). */
static char *insert_blank_line(const char *raw, size_t len, size_t at, size_t *out_len)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_append(&b, raw, at);
    bd_buf_puts(&b, at >= 2 && raw[at - 2] == '\r' ? "\r\n" : "\n");
    bd_buf_append(&b, raw + at, len - at);
    *out_len = b.len;
    return bd_buf_detach(&b);
}

/* The length of the top header block: up to its blank line, or everything. */
static size_t header_block_len(const char *raw, size_t len)
{
    size_t next;
    for (size_t at = 0; at < len; at = next)
        if (line_at(raw, len, at, &next) == 0) return at;
    return len;
}

/* Repairs and limits applied to the raw bytes before GMime reads them; each is noted.
 * Returns raw, or a bd_ copy in *owned that the caller frees. */
static const char *prepare(walk *w, const char *raw, size_t *len, char **owned)
{
    size_t line_no, at = missing_blank_line(raw, *len, &line_no);
    *owned = NULL;
    if (at) {
        note(w, "no blank line after the headers; the body starts at line %zu", line_no);
        *owned = insert_blank_line(raw, *len, at, len);
        raw = *owned;
    }
    if (looks_like_headers(raw, *len) && memchr(raw, '\0', header_block_len(raw, *len)))
        note(w, "NUL bytes in the headers");
    long_line longest = {0, ""};
    size_t capped_len = 0;
    char *capped = cap_headers(raw, *len, &capped_len, &longest);
    if (longest.len > MAIL_MAX_LINE)
        note(w, "%s header line of %zu bytes (RFC 5322 allows %d)", longest.name, longest.len,
             MAIL_MAX_LINE);
    if (capped) {
        note(w, "header longer than %zu KiB, cut", MAIL_MAX_HEADER >> 10);
        free(*owned);
        *owned = capped;
        raw = capped;
        *len = capped_len;
    }
    return raw;
}

int mail_parse(const char *raw, size_t len, mail_message *m, bd_err *err)
{
    memset(m, 0, sizeof *m);
    m->source = "none";
    if (!raw || len == 0) return bd_err_set(err, "empty message");
    pthread_once(&gmime_once, gmime_start);
    walk w = {.m = m};
    if (len > MAIL_MAX_BYTES) {
        note(&w, "message larger than %zu MiB, cut", MAIL_MAX_BYTES >> 20);
        len = MAIL_MAX_BYTES;
    }
    char *owned;
    raw = prepare(&w, raw, &len, &owned);
    GMimeParserOptions *opts = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(opts, on_warning, &w);
    g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg =
        looks_like_headers(raw, len) ? g_mime_parser_construct_message(parser, opts) : NULL;
    if (msg) {
        read_headers(&w, GMIME_OBJECT(msg));
        GMimeObject *body = g_mime_message_get_mime_part(msg);
        if (body) {
            walk_object(&w, body, 0, 0);
            check_closing(&w, body, raw, len, 0);
        }
        choose_text(&w);
        if (!m->from.address && !m->subject && !m->message_id && !m->date)
            note(&w, "no known headers");
    } else {
        headerless(&w, raw, len);
    }
    finish_message(&w);
    if (w.notes.len) {
        m->error = bd_buf_detach(&w.notes);
        repair(&m->error); /* a note may quote a header's bytes */
    }
    bd_buf_free(&w.notes);
    if (msg) g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(stream);
    g_mime_parser_options_free(opts);
    free(owned);
    return 0;
}

static void address_clear(mail_address *a)
{
    free(a->name);
    free(a->address);
}

void mail_message_clear(mail_message *m)
{
    if (!m) return;
    free(m->message_id);
    free(m->in_reply_to);
    for (size_t i = 0; i < m->n_references; i++)
        free(m->references[i]);
    free(m->references);
    address_clear(&m->from);
    address_clear(&m->reply_to);
    for (size_t i = 0; i < m->n_to; i++)
        address_clear(&m->to[i]);
    free(m->to);
    free(m->subject);
    free(m->text);
    free(m->full_text);
    free(m->charset_declared);
    free(m->charset);
    for (size_t i = 0; i < m->n_attachments; i++) {
        free(m->attachments[i].filename);
        free(m->attachments[i].content_type);
    }
    free(m->attachments);
    free(m->order_id);
    free(m->error);
    memset(m, 0, sizeof *m);
    m->source = "none";
}
