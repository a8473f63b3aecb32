/* imap.c — the IMAP side of the mail channel: libcurl connects, negotiates TLS and logs
 * in (CONNECT_ONLY); then this file speaks the handful of commands the sync needs over
 * that session and reads every literal by its announced length, so a message arrives
 * byte for byte whatever its lines look like. See mail_transport.h. */
#include "borderdesk/mail_transport.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define IMAP_MAX_LINE (1u << 20) /* a response line outside literals */
#define IMAP_DEFAULT_MAX_MESSAGE (32u << 20)

struct imap_client {
    CURL *curl;
    curl_socket_t fd;
    char *label;
    long timeout_ms;
    size_t max_message;
    int verbose;
    unsigned tag;
    int broken;    /* the session is unusable: every call fails */
    bd_buf in;     /* bytes received and not consumed yet start at in.data + pos */
    size_t pos;
};

/* One response: its text with each literal left out (a "{N}" marker stays in the text)
 * and the literals beside it. */
typedef struct literal {
    char *data;
    size_t len, full_len;
} literal;

typedef struct response {
    bd_buf text;
    literal lit[4];
    int n_lit;
} response;

static void response_clear(response *r)
{
    bd_buf_free(&r->text);
    for (int i = 0; i < r->n_lit; i++) free(r->lit[i].data);
    memset(r, 0, sizeof *r);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int fail(imap_client *c, bd_err *err, const char *fmt, const char *detail)
{
    c->broken = 1;
    char msg[600];
    snprintf(msg, sizeof msg, fmt, detail ? detail : "");
    return bd_err_set(err, "%s: IMAP: %s", c->label, msg);
}

/* Waits until the socket is readable (or writable) before the deadline. */
static int wait_socket(imap_client *c, int for_write, double deadline, bd_err *err)
{
    double left = deadline - now_ms();
    if (left <= 0) return fail(c, err, "no answer within the timeout%s", "");
    struct pollfd p = {.fd = (int)c->fd, .events = for_write ? POLLOUT : POLLIN};
    int rc = poll(&p, 1, (int)(left + 1));
    if (rc == 0) return fail(c, err, "no answer within the timeout%s", "");
    if (rc < 0) return fail(c, err, "poll failed%s", "");
    return 0;
}

static int send_all(imap_client *c, const char *data, size_t len, double deadline, bd_err *err)
{
    size_t done = 0;
    while (done < len) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(c->curl, data + done, len - done, &n);
        if (rc == CURLE_AGAIN) {
            if (wait_socket(c, 1, deadline, err)) return -1;
            continue;
        }
        if (rc != CURLE_OK) return fail(c, err, "sending failed: %s", curl_easy_strerror(rc));
        done += n;
    }
    return 0;
}

/* Receives more bytes into c->in. */
static int fill(imap_client *c, double deadline, bd_err *err)
{
    if (c->pos > 0 && c->pos == c->in.len) {
        bd_buf_reset(&c->in);
        c->pos = 0;
    } else if (c->pos > (1u << 20)) { /* keep the buffer from growing without end */
        memmove(c->in.data, c->in.data + c->pos, c->in.len - c->pos);
        c->in.len -= c->pos;
        c->pos = 0;
    }
    for (;;) {
        bd_buf_grow(&c->in, 65536);
        size_t n = 0;
        CURLcode rc = curl_easy_recv(c->curl, c->in.data + c->in.len, 65536, &n);
        if (rc == CURLE_AGAIN) {
            if (wait_socket(c, 0, deadline, err)) return -1;
            continue;
        }
        if (rc != CURLE_OK) return fail(c, err, "receiving failed: %s", curl_easy_strerror(rc));
        if (n == 0) return fail(c, err, "the server closed the connection%s", "");
        c->in.len += n;
        c->in.data[c->in.len] = 0;
        return 0;
    }
}

/* The next line (without CRLF) appended to out. */
static int read_line(imap_client *c, bd_buf *out, double deadline, bd_err *err)
{
    for (;;) {
        char *start = c->in.data ? c->in.data + c->pos : NULL;
        char *nl = start ? memchr(start, '\n', c->in.len - c->pos) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - start);
            size_t keep = n > 0 && start[n - 1] == '\r' ? n - 1 : n;
            bd_buf_append(out, start, keep);
            c->pos += n + 1;
            return 0;
        }
        if (c->in.len - c->pos > IMAP_MAX_LINE)
            return fail(c, err, "a response line longer than 1 MiB%s", "");
        if (fill(c, deadline, err)) return -1;
    }
}

/* Reads a literal of n bytes; keeps at most c->max_message of them. */
static int read_literal(imap_client *c, size_t n, literal *l, double deadline, bd_err *err)
{
    size_t keep = n < c->max_message ? n : c->max_message;
    l->data = bd_malloc(keep + 1);
    l->len = 0;
    l->full_len = n;
    size_t got = 0;
    while (got < n) {
        if (c->pos == c->in.len && fill(c, deadline, err)) return -1;
        size_t avail = c->in.len - c->pos, take = avail < n - got ? avail : n - got;
        if (got < keep) {
            size_t k = take < keep - got ? take : keep - got;
            memcpy(l->data + got, c->in.data + c->pos, k);
            l->len += k;
        }
        got += take;
        c->pos += take;
    }
    l->data[l->len] = 0;
    return 0;
}

/* Size of a literal announced at the end of a line ("{123}" or "{123+}"), or -1. */
static long long literal_size(const char *line, size_t len)
{
    if (len < 3 || line[len - 1] != '}') return -1;
    size_t i = len - 2;
    if (line[i] == '+') i--;
    size_t end = i + 1;
    while (i > 0 && line[i] >= '0' && line[i] <= '9') i--;
    if (line[i] != '{' || i + 1 == end) return -1;
    return strtoll(line + i + 1, NULL, 10);
}

/* One whole response: a line, and while it ends with a literal, the literal and the line
 * that continues it. */
static int read_response(imap_client *c, response *r, double deadline, bd_err *err)
{
    memset(r, 0, sizeof *r);
    for (;;) {
        size_t from = r->text.len;
        if (read_line(c, &r->text, deadline, err)) return -1;
        long long n = literal_size(r->text.data + from, r->text.len - from);
        if (n < 0) return 0;
        literal dummy, *l = r->n_lit < 4 ? &r->lit[r->n_lit] : &dummy;
        if (read_literal(c, (size_t)n, l, deadline, err)) {
            if (l == &dummy) free(dummy.data);
            else r->n_lit++;
            return -1;
        }
        if (l == &dummy) free(dummy.data);
        else r->n_lit++;
    }
}

typedef int (*untagged_fn)(void *ud, response *r, bd_err *err);

/* Sends "TAG command\r\n" and reads until the tagged answer. Untagged responses go to fn.
 * An answer other than OK is an error quoting the server. */
static int command(imap_client *c, const char *cmd, untagged_fn fn, void *ud, bd_err *err)
{
    if (c->broken) return bd_err_set(err, "%s: IMAP: the connection was lost", c->label);
    double deadline = now_ms() + (double)c->timeout_ms;
    char tag[16];
    snprintf(tag, sizeof tag, "bd%u", ++c->tag);
    bd_buf line = BD_BUF_INIT;
    bd_buf_printf(&line, "%s %s\r\n", tag, cmd);
    if (c->verbose) fprintf(stderr, "imap %s > %s %s\n", c->label, tag, cmd);
    int rc = send_all(c, line.data, line.len, deadline, err);
    bd_buf_free(&line);
    if (rc) return -1;
    size_t tlen = strlen(tag);
    for (;;) {
        response r;
        if (read_response(c, &r, deadline, err)) {
            response_clear(&r);
            return -1;
        }
        const char *t = r.text.data ? r.text.data : "";
        if (c->verbose) fprintf(stderr, "imap %s < %.200s\n", c->label, t);
        if (strncmp(t, tag, tlen) == 0 && t[tlen] == ' ') {
            const char *st = t + tlen + 1;
            int ok = strncmp(st, "OK", 2) == 0;
            if (!ok) bd_err_set(err, "%s: IMAP %s: %.300s", c->label, cmd, st);
            response_clear(&r);
            return ok ? 0 : -1;
        }
        if (strncmp(t, "* BYE", 5) == 0) {
            char why[320];
            snprintf(why, sizeof why, "%.300s", t + 2);
            response_clear(&r);
            return fail(c, err, "the server ended the session: %s", why);
        }
        int frc = t[0] == '*' && fn ? fn(ud, &r, err) : 0;
        response_clear(&r);
        if (frc) return -1;
    }
}

/* ---- connecting ---- */
static int is_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *at = strchr(h, '@'), *slash = strchr(h, '/');
    if (at && (!slash || at < slash)) h = at + 1;
    static const char *const loop[] = {"127.", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof loop / sizeof loop[0]; i++)
        if (strncmp(h, loop[i], strlen(loop[i])) == 0) return 1;
    return 0;
}

/* The scheme://host:port/ part of a URL, for libcurl. */
static char *url_root(const char *url)
{
    const char *h = strstr(url, "://");
    const char *slash = h ? strchr(h + 3, '/') : NULL;
    return slash ? bd_strndup(url, (size_t)(slash - url + 1)) : bd_asprintf("%s/", url);
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

char *imap_url_folder(const char *url)
{
    const char *h = strstr(url, "://");
    const char *p = h ? strchr(h + 3, '/') : NULL;
    if (!p || !p[1]) return bd_strdup("INBOX");
    p++;
    bd_buf b = BD_BUF_INIT;
    for (; *p && *p != ';' && *p != '?'; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            bd_buf_putc(&b, (char)(hexval(p[1]) * 16 + hexval(p[2])));
            p += 2;
        } else {
            bd_buf_putc(&b, *p);
        }
    }
    while (b.len && b.data[b.len - 1] == '/') b.data[--b.len] = 0;
    if (!b.len) {
        bd_buf_free(&b);
        return bd_strdup("INBOX");
    }
    return bd_buf_detach(&b);
}

int imap_connect(const mail_server *s, imap_client **out, bd_err *err)
{
    *out = NULL;
    const char *label = s->label ? s->label : "mail";
    if (!s->url || (strncmp(s->url, "imap://", 7) != 0 && strncmp(s->url, "imaps://", 8) != 0))
        return bd_err_set(err, "%s: \"imap_url\" must start with imap:// or imaps://", label);
    imap_client *c = bd_calloc(1, sizeof *c);
    c->label = bd_strdup(label);
    c->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : 30000;
    c->max_message = s->max_message > 0 ? s->max_message : IMAP_DEFAULT_MAX_MESSAGE;
    c->verbose = s->verbose;
    c->curl = curl_easy_init();
    char *root = url_root(s->url);
    curl_easy_setopt(c->curl, CURLOPT_URL, root);
    curl_easy_setopt(c->curl, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms > 0 ? s->connect_timeout_ms : 10000L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    if (s->username) curl_easy_setopt(c->curl, CURLOPT_USERNAME, s->username);
    if (s->password) curl_easy_setopt(c->curl, CURLOPT_PASSWORD, s->password);
    if (strncmp(s->url, "imap://", 7) == 0 && !is_loopback(s->url))
        curl_easy_setopt(c->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode rc = curl_easy_perform(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    if (rc == CURLE_OK) rc = curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &c->fd);
    if (rc != CURLE_OK) {
        bd_err_set(err, "%s: IMAP %s: %s", label, root, ebuf[0] ? ebuf : curl_easy_strerror(rc));
        free(root);
        imap_disconnect(c);
        return -1;
    }
    free(root);
    *out = c;
    return 0;
}

void imap_disconnect(imap_client *c)
{
    if (!c) return;
    if (c->curl && !c->broken && c->fd) {
        bd_err ignore;
        long t = c->timeout_ms;
        c->timeout_ms = 2000; /* a polite goodbye, not worth waiting for */
        command(c, "LOGOUT", NULL, NULL, &ignore);
        c->timeout_ms = t;
    }
    if (c->curl) curl_easy_cleanup(c->curl);
    bd_buf_free(&c->in);
    free(c->label);
    free(c);
}

/* ---- folder names ---- */
static void mutf7_chunk(bd_buf *b, const uint16_t *u, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    bd_buf_putc(b, '&');
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 16) | u[i];
        bits += 16;
        while (bits >= 6) {
            bits -= 6;
            bd_buf_putc(b, al[(acc >> bits) & 63]);
        }
    }
    if (bits > 0) bd_buf_putc(b, al[(acc << (6 - bits)) & 63]);
    bd_buf_putc(b, '-');
}

/* Decodes one UTF-8 sequence; returns its length, 0 when invalid. */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) return *cp = s[0], 1;
    int n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!n) return 0;
    uint32_t v = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return n;
}

char *imap_folder_quote(const char *utf8)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_putc(&b, '"');
    const unsigned char *s = (const unsigned char *)utf8;
    uint16_t u[256];
    size_t nu = 0;
    while (*s) {
        uint32_t cp;
        int n = utf8_next(s, &cp);
        if (!n || cp < 0x20 || cp == 0x7F) {
            bd_buf_free(&b);
            return NULL;
        }
        s += n;
        if (cp >= 0x20 && cp < 0x7F) {
            if (nu) mutf7_chunk(&b, u, nu), nu = 0;
            if (cp == '&') bd_buf_puts(&b, "&-");
            else {
                if (cp == '"' || cp == '\\') bd_buf_putc(&b, '\\');
                bd_buf_putc(&b, (char)cp);
            }
            continue;
        }
        if (nu + 2 > sizeof u / sizeof u[0]) mutf7_chunk(&b, u, nu), nu = 0;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            u[nu++] = (uint16_t)(0xD800 + (cp >> 10));
            u[nu++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
        } else {
            u[nu++] = (uint16_t)cp;
        }
    }
    if (nu) mutf7_chunk(&b, u, nu);
    bd_buf_putc(&b, '"');
    return bd_buf_detach(&b);
}

/* ---- commands ---- */
static uint32_t code_value(const char *t, const char *code)
{
    const char *p = strstr(t, code);
    return p ? (uint32_t)strtoul(p + strlen(code), NULL, 10) : 0;
}

static int on_select(void *ud, response *r, bd_err *err)
{
    (void)err;
    imap_folder *f = ud;
    const char *t = r->text.data;
    if (strstr(t, "[UIDVALIDITY ")) f->uidvalidity = code_value(t, "[UIDVALIDITY ");
    if (strstr(t, "[UIDNEXT ")) f->uidnext = code_value(t, "[UIDNEXT ");
    size_t n = strlen(t);
    if (n > 7 && strcmp(t + n - 7, " EXISTS") == 0) f->exists = (uint32_t)strtoul(t + 2, NULL, 10);
    return 0;
}

int imap_select(imap_client *c, const char *folder, int readonly, imap_folder *info, bd_err *err)
{
    memset(info, 0, sizeof *info);
    char *q = imap_folder_quote(folder);
    if (!q) return bd_err_set(err, "%s: IMAP: the folder name has control characters", c->label);
    char *cmd = bd_asprintf("%s %s", readonly ? "EXAMINE" : "SELECT", q);
    int rc = command(c, cmd, on_select, info, err);
    free(cmd);
    free(q);
    if (!rc && !info->uidvalidity)
        return bd_err_set(err, "%s: IMAP: the server gave no UIDVALIDITY for %s", c->label, folder);
    return rc;
}

typedef struct uid_list {
    uint32_t *v;
    size_t n, cap;
} uid_list;

static int on_search(void *ud, response *r, bd_err *err)
{
    (void)err;
    uid_list *l = ud;
    const char *t = r->text.data;
    if (strncmp(t, "* SEARCH", 8) != 0) return 0;
    for (const char *p = t + 8; *p;) {
        while (*p == ' ') p++;
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p) break;
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 64;
            l->v = bd_realloc(l->v, l->cap * sizeof *l->v);
        }
        l->v[l->n++] = (uint32_t)v;
        p = end;
    }
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int imap_uid_search(imap_client *c, const char *criteria, uint32_t **uids, size_t *n, bd_err *err)
{
    uid_list l = {0};
    char *cmd = bd_asprintf("UID SEARCH %s", criteria);
    int rc = command(c, cmd, on_search, &l, err);
    free(cmd);
    if (rc) {
        free(l.v);
        return -1;
    }
    if (l.n) qsort(l.v, l.n, sizeof *l.v, cmp_u32);
    *uids = l.v;
    *n = l.n;
    return 0;
}

/* "05-Jan-2026 10:11:12 +0100" -> Unix seconds; 0 when unreadable. */
static int64_t internal_date(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int d, y, hh, mm, ss, zone;
    char mon[4];
    if (sscanf(s, "%d-%3s-%d %d:%d:%d %d", &d, mon, &y, &hh, &mm, &ss, &zone) != 7) return 0;
    const char *m = strstr(months, mon);
    if (!m || (m - months) % 3) return 0;
    int month = (int)(m - months) / 3 + 1;
    /* days from civil (proleptic Gregorian) */
    int yy = y - (month <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    int sign = zone < 0 ? -1 : 1, az = zone * sign;
    int64_t off = sign * ((az / 100) * 3600 + (az % 100) * 60);
    return days * 86400 + hh * 3600 + mm * 60 + ss - off;
}

typedef struct fetch_list {
    imap_message *v;
    size_t n, cap;
} fetch_list;

static int on_fetch(void *ud, response *r, bd_err *err)
{
    (void)err;
    fetch_list *l = ud;
    const char *t = r->text.data;
    const char *f = strstr(t, " FETCH (");
    if (!f || r->n_lit == 0) return 0;
    const char *u = strstr(f, "UID ");
    if (!u) return 0;
    imap_message m = {.uid = (uint32_t)strtoul(u + 4, NULL, 10)};
    const char *d = strstr(f, "INTERNALDATE \"");
    if (d) m.internal_date = internal_date(d + 14);
    /* BODY[] is the only literal asked for */
    m.data = r->lit[0].data;
    m.len = r->lit[0].len;
    m.full_len = r->lit[0].full_len;
    m.truncated = m.len < m.full_len;
    r->lit[0].data = NULL;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = bd_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = m;
    return 0;
}

static int cmp_msg(const void *a, const void *b)
{
    return cmp_u32(&((const imap_message *)a)->uid, &((const imap_message *)b)->uid);
}

void imap_messages_free(imap_message *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) free(m[i].data);
    free(m);
}

int imap_uid_fetch(imap_client *c, const uint32_t *uids, size_t n, int peek, imap_message **out,
                   size_t *n_out, bd_err *err)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0) return 0;
    bd_buf cmd = BD_BUF_INIT;
    bd_buf_puts(&cmd, "UID FETCH ");
    for (size_t i = 0; i < n;) { /* ranges a:b where the UIDs are consecutive */
        size_t j = i;
        while (j + 1 < n && uids[j + 1] == uids[j] + 1) j++;
        if (i) bd_buf_putc(&cmd, ',');
        if (j > i) bd_buf_printf(&cmd, "%u:%u", uids[i], uids[j]);
        else bd_buf_printf(&cmd, "%u", uids[i]);
        i = j + 1;
    }
    bd_buf_printf(&cmd, " (UID INTERNALDATE %s)", peek ? "BODY.PEEK[]" : "BODY[]");
    fetch_list l = {0};
    int rc = command(c, cmd.data, on_fetch, &l, err);
    bd_buf_free(&cmd);
    if (rc) {
        imap_messages_free(l.v, l.n);
        return -1;
    }
    /* keep only what was asked, once each (a server may add unsolicited FETCH data) */
    if (l.n) qsort(l.v, l.n, sizeof *l.v, cmp_msg);
    size_t k = 0;
    for (size_t i = 0; i < l.n; i++) {
        int wanted = bsearch(&l.v[i].uid, uids, n, sizeof *uids, cmp_u32) != NULL;
        if (!wanted || (k && l.v[k - 1].uid == l.v[i].uid)) {
            free(l.v[i].data);
            continue;
        }
        l.v[k++] = l.v[i];
    }
    *out = l.v;
    *n_out = k;
    return 0;
}

/* APPEND with a synchronizing literal: the data goes only after the server's "+". */
static int append_once(imap_client *c, const char *q, const char *flags, const char *data,
                       size_t len, int *trycreate, bd_err *err)
{
    if (c->broken) return bd_err_set(err, "%s: IMAP: the connection was lost", c->label);
    double deadline = now_ms() + (double)c->timeout_ms;
    char tag[16];
    snprintf(tag, sizeof tag, "bd%u", ++c->tag);
    bd_buf line = BD_BUF_INIT;
    bd_buf_printf(&line, "%s APPEND %s (%s) {%zu}\r\n", tag, q, flags ? flags : "", len);
    if (c->verbose) fprintf(stderr, "imap %s > %.*s\n", c->label, (int)line.len - 2, line.data);
    int rc = send_all(c, line.data, line.len, deadline, err);
    bd_buf_free(&line);
    int sent = 0;
    size_t tlen = strlen(tag);
    while (!rc) {
        response r;
        if (read_response(c, &r, deadline, err)) {
            response_clear(&r);
            return -1;
        }
        const char *t = r.text.data ? r.text.data : "";
        if (t[0] == '+' && !sent) {
            sent = 1;
            rc = send_all(c, data, len, deadline, err) || send_all(c, "\r\n", 2, deadline, err);
        } else if (strncmp(t, tag, tlen) == 0 && t[tlen] == ' ') {
            const char *st = t + tlen + 1;
            if (strncmp(st, "OK", 2) != 0) {
                *trycreate = strstr(st, "[TRYCREATE]") != NULL;
                bd_err_set(err, "%s: IMAP APPEND %s: %.300s", c->label, q, st);
                rc = -1;
            }
            response_clear(&r);
            return rc;
        }
        response_clear(&r);
    }
    return -1;
}

int imap_append(imap_client *c, const char *folder, const char *flags, const char *data,
                size_t len, bd_err *err)
{
    char *q = imap_folder_quote(folder);
    if (!q) return bd_err_set(err, "%s: IMAP: the folder name has control characters", c->label);
    int trycreate = 0;
    int rc = append_once(c, q, flags, data, len, &trycreate, err);
    if (rc && trycreate) {
        char *cmd = bd_asprintf("CREATE %s", q);
        rc = command(c, cmd, NULL, NULL, err) ||
             append_once(c, q, flags, data, len, &trycreate, err);
        free(cmd);
    }
    free(q);
    return rc ? -1 : 0;
}
