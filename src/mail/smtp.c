/* smtp.c — sending one message over SMTP with libcurl, and telling apart what the
 * outbox must treat differently: certainly not accepted (retry), refused for good, and
 * the one dangerous case — the message data went out and no answer came back, so the
 * server may have accepted it (uncertain: reconcile, never resend blindly). libcurl's
 * protocol trace (the debug callback) says how far the dialogue got. */
#include "borderdesk/mail_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

typedef struct smtp_run {
    const mail_server *s;
    const char *data;
    size_t len, off;
    int data_started; /* the server said 354: the message itself is on its way */
    int final_code;   /* the server's answer to the end of the data, 0 while none */
    int last_code;
    char last_line[300];
} smtp_run;

static size_t read_body(char *buf, size_t size, size_t nitems, void *ud)
{
    smtp_run *r = ud;
    size_t want = size * nitems, left = r->len - r->off;
    size_t n = want < left ? want : left;
    memcpy(buf, r->data + r->off, n);
    r->off += n;
    return n;
}

static int trace(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)h;
    smtp_run *r = ud;
    if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT) return 0;
    size_t n = size;
    while (n && (data[n - 1] == '\n' || data[n - 1] == '\r')) n--;
    if (r->s->verbose) {
        int secret = type == CURLINFO_HEADER_OUT && n >= 4 && strncmp(data, "AUTH", 4) == 0;
        fprintf(stderr, "smtp %s %c %.*s\n", r->s->label ? r->s->label : "", type == CURLINFO_HEADER_IN ? '<' : '>',
                secret ? 4 : (int)(n > 200 ? 200 : n), data);
    }
    if (type != CURLINFO_HEADER_IN || n < 3 || data[0] < '1' || data[0] > '5') return 0;
    int code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
    r->last_code = code;
    snprintf(r->last_line, sizeof r->last_line, "%.*s", (int)(n > 299 ? 299 : n), data);
    if (r->data_started && (n == 3 || data[3] == ' ')) r->final_code = code;
    if (code == 354) r->data_started = 1;
    return 0;
}

static int is_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 || strncmp(h, "[::1]", 5) == 0;
}

static int classify(const smtp_run *r, CURLcode rc, const char *label, const char *ebuf, bd_err *err)
{
    const char *why = r->last_line[0] ? r->last_line : ebuf[0] ? ebuf : curl_easy_strerror(rc);
    if (r->data_started) {
        if (r->final_code >= 400 && r->final_code < 500) {
            bd_err_set(err, "%s: SMTP: the server did not take the message: %s", label, why);
            return SMTP_RETRY;
        }
        if (r->final_code >= 500) {
            bd_err_set(err, "%s: SMTP: the server refused the message: %s", label, why);
            return SMTP_REJECTED;
        }
        bd_err_set(err, "%s: SMTP: the message was sent but no answer came (%s): it may have "
                   "been delivered", label, ebuf[0] ? ebuf : curl_easy_strerror(rc));
        return SMTP_UNCERTAIN;
    }
    if (rc == CURLE_LOGIN_DENIED) {
        bd_err_set(err, "%s: SMTP: login refused: %s", label, why);
        return SMTP_RETRY;
    }
    if (r->last_code >= 500 && (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
                                rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_QUOTE_ERROR)) {
        bd_err_set(err, "%s: SMTP: the server refused the message: %s", label, why);
        return SMTP_REJECTED;
    }
    bd_err_set(err, "%s: SMTP: not sent: %s", label,
               r->last_code >= 400 ? why : ebuf[0] ? ebuf : curl_easy_strerror(rc));
    return SMTP_RETRY;
}

int smtp_send(const mail_server *s, const char *from, const char *const *rcpt, size_t n_rcpt,
              const char *data, size_t len, bd_err *err)
{
    const char *label = s->label ? s->label : "mail";
    if (!s->url || (strncmp(s->url, "smtp://", 7) != 0 && strncmp(s->url, "smtps://", 8) != 0)) {
        bd_err_set(err, "%s: \"smtp_url\" must start with smtp:// or smtps://", label);
        return SMTP_REJECTED;
    }
    CURL *h = curl_easy_init();
    smtp_run r = {.s = s, .data = data, .len = len};
    struct curl_slist *to = NULL;
    for (size_t i = 0; i < n_rcpt; i++) {
        char *a = bd_asprintf("<%s>", rcpt[i]);
        to = curl_slist_append(to, a);
        free(a);
    }
    char *mfrom = bd_asprintf("<%s>", from);
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, s->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms > 0 ? s->connect_timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms > 0 ? s->timeout_ms : 30000L);
    if (s->username) curl_easy_setopt(h, CURLOPT_USERNAME, s->username);
    if (s->password) curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
    if (strncmp(s->url, "smtp://", 7) == 0 && !is_loopback(s->url))
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mfrom);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    /* the trace is how we know whether the data went out; libcurl calls it in verbose mode */
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, trace);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &r);
    CURLcode rc = curl_easy_perform(h);
    int result = SMTP_SENT;
    if (rc != CURLE_OK) result = classify(&r, rc, label, ebuf, err);
    curl_easy_cleanup(h);
    curl_slist_free_all(to);
    free(mfrom);
    return result;
}
