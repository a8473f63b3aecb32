/* mail.c — the mail channel of the connectors: buyer messages from an IMAP folder and
 * replies over SMTP, for the "mail" marketplace (shops that talk to buyers by plain
 * e-mail) and for Amazon, whose buyer messages arrive relayed from anonymised
 * @marketplace.amazon.* addresses.
 *
 * In: the folder is read by UID. The checkpoint is {"uidvalidity", "last_uid"}: each page
 * is the next page_size UIDs after last_uid, fetched with BODY.PEEK[] (no \Seen unless
 * "mark_seen"), and the sync engine stores the page's messages and the checkpoint after
 * it in one transaction. A changed UIDVALIDITY (the folder was recreated) rescans the
 * folder from the start: a message's external id is its Message-ID (or a hash of its
 * source when it has none), so a rescan stores nothing twice. Every fetched mail becomes
 * one message; one the parser could not read cleanly keeps its raw source and the
 * parser's note (mkt_raw), never dropped.
 *
 * Threading: Amazon conversations are per relay address and order; plain mail follows
 * In-Reply-To and References to messages stored before (or earlier in this run), else
 * the thread's first Message-ID.
 *
 * Out: a reply goes From the shop's address To the buyer's (the relay address for
 * Amazon), In-Reply-To and References the buyer's last message, with a Message-ID made
 * from the outbox's idempotency key, so that a reply whose outcome is unknown can be
 * recognised in the Sent folder. */
#include "borderdesk/marketplace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "borderdesk/mail.h"
#include "borderdesk/mail_transport.h"

#define MAIL_PAGE_DEFAULT 50
#define MAIL_PAGE_MAX 1000

static const char *const mail_resources[] = {"messages", NULL};

/* What this run has produced so far: Message-ID -> thread, so that a reply threads to a
 * message fetched a page earlier even while that page is still being stored. */
typedef struct seen_entry {
    char *id, *conversation, *order;
} seen_entry;

typedef struct seen_map {
    seen_entry *e;
    size_t n, cap; /* cap is 0 or a power of two */
} seen_map;

struct mkt_mail {
    char *imap_url, *smtp_url, *folder, *sent_folder, *from, *from_name;
    const char *username, *password; /* the environment's; not owned */
    int page_size, mark_seen, amazon;
    mail_server imap, smtp;
    imap_client *conn;      /* kept open between pages */
    char *selected;         /* the folder selected on conn */
    seen_map seen;
};

/* ---- the run's thread memory ---- */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static seen_entry *seen_find(seen_map *m, const char *id)
{
    if (!m->cap) return NULL;
    for (size_t i = hash_str(id) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->e[i].id) return NULL;
        if (strcmp(m->e[i].id, id) == 0) return &m->e[i];
    }
}

static void seen_put(seen_map *m, const char *id, const char *conversation, const char *order)
{
    if (!id || seen_find(m, id)) return;
    if ((m->n + 1) * 2 > m->cap) {
        seen_map bigger = {.cap = m->cap ? m->cap * 2 : 256};
        bigger.e = bd_calloc(bigger.cap, sizeof *bigger.e);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].id) continue;
            size_t j = hash_str(m->e[i].id) & (bigger.cap - 1);
            while (bigger.e[j].id) j = (j + 1) & (bigger.cap - 1);
            bigger.e[j] = m->e[i];
        }
        bigger.n = m->n;
        free(m->e);
        *m = bigger;
    }
    size_t j = hash_str(id) & (m->cap - 1);
    while (m->e[j].id) j = (j + 1) & (m->cap - 1);
    m->e[j] = (seen_entry){bd_strdup(id), bd_strdup(conversation), bd_strdup(order)};
    m->n++;
}

static void seen_clear(seen_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->e[i].id);
        free(m->e[i].conversation);
        free(m->e[i].order);
    }
    free(m->e);
    memset(m, 0, sizeof *m);
}

/* ---- configuration ---- */
static int conf_bool(const cJSON *o, const char *key, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* The value of the environment variable named by mail.<key>. */
static const char *mail_secret(mkt_shop *shop, const cJSON *mc, const char *key, bd_err *err)
{
    const char *var = bd_json_str(mc, key);
    if (!var) {
        bd_err_set(err, "shop %s: \"mail.%s\" is missing (the name of the environment variable "
                   "that holds it)", shop->name, key);
        return NULL;
    }
    const char *v = getenv(var);
    if (!v || !*v) {
        bd_err_set(err, "shop %s: environment variable %s (from \"mail.%s\") is not set",
                   shop->name, var, key);
        return NULL;
    }
    return v;
}

/* Secrets never sit in the file: a "password"-like key must be a *_env name. */
static int check_keys(mkt_shop *shop, const cJSON *mc, bd_err *err)
{
    static const char *const known[] = {"imap_url", "smtp_url", "username_env", "password_env",
                                        "smtp_username_env", "smtp_password_env", "from",
                                        "sent_folder", "page_size", "mark_seen", NULL};
    for (const cJSON *k = mc->child; k; k = k->next) {
        if (bd_str_in(k->string, known)) continue;
        if (strstr(k->string, "password") || strstr(k->string, "secret"))
            return bd_err_set(err, "shop %s: mail.%s: secrets are never stored in the file; use "
                              "\"password_env\" with the name of an environment variable",
                              shop->name, k->string);
        return bd_err_set(err, "shop %s: unknown key \"mail.%s\" (known: imap_url, smtp_url, "
                          "username_env, password_env, smtp_username_env, smtp_password_env, from, "
                          "sent_folder, page_size, mark_seen)",
                          shop->name, k->string);
    }
    const char *strs[] = {"imap_url",     "smtp_url",          "from",
                          "sent_folder",  "username_env",      "password_env",
                          "smtp_username_env", "smtp_password_env"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(mc, strs[i]);
        if (v && !cJSON_IsString(v))
            return bd_err_set(err, "shop %s: \"mail.%s\" must be a string", shop->name, strs[i]);
    }
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(mc, "page_size");
    if (ps && (!cJSON_IsNumber(ps) || ps->valuedouble < 1 || ps->valuedouble > MAIL_PAGE_MAX))
        return bd_err_set(err, "shop %s: \"mail.page_size\" must be a number from 1 to %d",
                          shop->name, MAIL_PAGE_MAX);
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(mc, "mark_seen");
    if (ms && !cJSON_IsBool(ms))
        return bd_err_set(err, "shop %s: \"mail.mark_seen\" must be true or false", shop->name);
    return 0;
}

static void lower(char *s)
{
    for (; s && *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

int mkt_mail_open(mkt_shop *shop, int required, mkt_mail **out, bd_err *err)
{
    *out = NULL;
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(shop->conf, "mail");
    if (!mc) {
        if (!required) return 0;
        return bd_err_set(err, "shop %s: the \"mail\" object (imap_url, smtp_url, username_env, "
                          "password_env, from) is required", shop->name);
    }
    if (!cJSON_IsObject(mc)) return bd_err_set(err, "shop %s: \"mail\" must be an object", shop->name);
    if (check_keys(shop, mc, err)) return -1;
    const char *imap = bd_json_str(mc, "imap_url"), *from = bd_json_str(mc, "from");
    if (!imap || !from)
        return bd_err_set(err, "shop %s: \"mail.imap_url\" and \"mail.from\" are required", shop->name);
    if (!strchr(from, '@'))
        return bd_err_set(err, "shop %s: \"mail.from\" must be the shop's e-mail address", shop->name);
    mkt_mail *m = bd_calloc(1, sizeof *m);
    m->username = mail_secret(shop, mc, "username_env", err);
    m->password = m->username ? mail_secret(shop, mc, "password_env", err) : NULL;
    if (!m->password) {
        free(m);
        return -1;
    }
    m->imap_url = bd_strdup(imap);
    m->smtp_url = bd_strdup(bd_json_str(mc, "smtp_url"));
    m->folder = imap_url_folder(imap);
    const char *sent = bd_json_str(mc, "sent_folder");
    m->sent_folder = sent && *sent ? bd_strdup(sent) : NULL;
    m->from = bd_strdup(from);
    lower(m->from);
    const char *dn = bd_json_str(shop->conf, "display_name");
    m->from_name = bd_strdup(dn ? dn : NULL);
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(mc, "page_size");
    m->page_size = ps ? (int)ps->valuedouble : MAIL_PAGE_DEFAULT;
    m->mark_seen = conf_bool(mc, "mark_seen", 0);
    m->amazon = bd_streq(shop->marketplace, "amazon");
    mail_server base = {.username = m->username, .password = m->password,
                        .connect_timeout_ms = shop->http_opts.connect_timeout_ms,
                        .timeout_ms = shop->http_opts.timeout_ms,
                        .max_message = shop->http_opts.max_response,
                        .verbose = shop->http_opts.verbose, .label = shop->name};
    m->imap = base;
    m->imap.url = m->imap_url;
    m->smtp = base;
    m->smtp.url = m->smtp_url;
    /* Many providers (transactional relays, Exchange with app passwords) log SMTP in with
     * other credentials than the mailbox: both keys or neither. */
    int su = cJSON_GetObjectItemCaseSensitive(mc, "smtp_username_env") != NULL;
    int sp = cJSON_GetObjectItemCaseSensitive(mc, "smtp_password_env") != NULL;
    if (su != sp) {
        mkt_mail_close(m);
        return bd_err_set(err, "shop %s: \"mail.smtp_username_env\" and \"mail.smtp_password_env\" "
                          "go together", shop->name);
    }
    if (su) {
        m->smtp.username = mail_secret(shop, mc, "smtp_username_env", err);
        m->smtp.password = m->smtp.username ? mail_secret(shop, mc, "smtp_password_env", err) : NULL;
        if (!m->smtp.password) {
            mkt_mail_close(m);
            return -1;
        }
    }
    *out = m;
    return 0;
}

void mkt_mail_close(mkt_mail *m)
{
    if (!m) return;
    imap_disconnect(m->conn);
    free(m->imap_url);
    free(m->smtp_url);
    free(m->folder);
    free(m->sent_folder);
    free(m->from);
    free(m->from_name);
    free(m->selected);
    seen_clear(&m->seen);
    free(m);
}

/* ---- IMAP session ---- */
static void drop_connection(mkt_mail *m)
{
    imap_disconnect(m->conn);
    m->conn = NULL;
    free(m->selected);
    m->selected = NULL;
}

/* Selects folder on the kept connection, connecting when needed. */
static int open_folder(mkt_mail *m, const char *folder, int readonly, imap_folder *info, bd_err *err)
{
    if (!m->conn && imap_connect(&m->imap, &m->conn, err)) return -1;
    if (imap_select(m->conn, folder, readonly, info, err)) {
        free(m->selected);
        m->selected = NULL;
        return -1;
    }
    free(m->selected);
    m->selected = bd_strdup(folder);
    return 0;
}

/* ---- from mail to message ---- */
static char *lower_dup(const char *s)
{
    char *c = bd_strdup(s);
    lower(c);
    return c;
}

/* "sha256:" and the hex SHA-256 of the source: the id of a mail without Message-ID. */
static char *source_id(const char *raw, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(raw, len, md, &n, EVP_sha256(), NULL);
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    for (unsigned int i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return bd_asprintf("sha256:%s", hex);
}

static cJSON *address_json(const mail_address *a)
{
    cJSON *o = cJSON_CreateObject();
    if (a->name) cJSON_AddStringToObject(o, "name", a->name);
    if (a->address) cJSON_AddStringToObject(o, "address", a->address);
    return o;
}

static char *message_extra(const mkt_mail *m, const mail_message *mm, const imap_message *im,
                           uint32_t uidvalidity)
{
    cJSON *x = cJSON_CreateObject();
    cJSON *att = cJSON_AddArrayToObject(x, "attachments");
    for (size_t i = 0; i < mm->n_attachments; i++) {
        cJSON *a = cJSON_CreateObject();
        if (mm->attachments[i].filename) cJSON_AddStringToObject(a, "filename", mm->attachments[i].filename);
        if (mm->attachments[i].content_type)
            cJSON_AddStringToObject(a, "content_type", mm->attachments[i].content_type);
        cJSON_AddNumberToObject(a, "size", (double)mm->attachments[i].size);
        cJSON_AddItemToArray(att, a);
    }
    cJSON *mail = cJSON_AddObjectToObject(x, "mail");
    if (mm->message_id) cJSON_AddStringToObject(mail, "message_id", mm->message_id);
    if (mm->in_reply_to) cJSON_AddStringToObject(mail, "in_reply_to", mm->in_reply_to);
    cJSON *refs = cJSON_AddArrayToObject(mail, "references");
    for (size_t i = 0; i < mm->n_references; i++)
        cJSON_AddItemToArray(refs, cJSON_CreateString(mm->references[i]));
    cJSON_AddItemToObject(mail, "from", address_json(&mm->from));
    if (mm->reply_to.address) cJSON_AddItemToObject(mail, "reply_to", address_json(&mm->reply_to));
    cJSON *to = cJSON_AddArrayToObject(mail, "to");
    for (size_t i = 0; i < mm->n_to; i++) cJSON_AddItemToArray(to, address_json(&mm->to[i]));
    if (mm->source) cJSON_AddStringToObject(mail, "source", mm->source);
    if (mm->charset) cJSON_AddStringToObject(mail, "charset", mm->charset);
    if (mm->charset_declared) cJSON_AddStringToObject(mail, "charset_declared", mm->charset_declared);
    cJSON_AddBoolToObject(mail, "charset_guessed", mm->charset_guessed);
    cJSON_AddBoolToObject(mail, "amazon_relay", mm->amazon_relay);
    cJSON_AddStringToObject(mail, "folder", m->folder);
    cJSON_AddNumberToObject(mail, "uid", im->uid);
    cJSON_AddNumberToObject(mail, "uidvalidity", uidvalidity);
    if (mm->error) cJSON_AddStringToObject(x, "parse_error", mm->error);
    return mkt_json_text(x);
}

/* The conversation and order of an earlier message this one answers: In-Reply-To first,
 * then References from the newest. 1 when found. */
static int thread_lookup(mkt_shop *shop, mkt_mail *m, const mail_message *mm, char **conv,
                         char **order)
{
    size_t n = mm->n_references + 1;
    for (size_t k = 0; k < n; k++) {
        const char *id = k == 0 ? mm->in_reply_to : mm->references[mm->n_references - k];
        if (!id) continue;
        seen_entry *e = seen_find(&m->seen, id);
        if (e) {
            *conv = bd_strdup(e->conversation);
            *order = bd_strdup(e->order);
            return 1;
        }
        if (shop->thread_of && shop->thread_of(shop->ud, shop, id, conv, order)) return 1;
    }
    return 0;
}

static int same_address(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* The body of a malformed mail whose text could not be found: the note, then what can be
 * read of the source itself, so that an agent still sees what the buyer wrote. */
#define READABLE_MAX (64u << 10)
static char *readable_source(const char *why, const imap_message *im)
{
    size_t n = im->len < READABLE_MAX ? im->len : READABLE_MAX;
    char *copy = bd_strndup(im->data, n);
    for (size_t i = 0; i < n; i++)
        if (!copy[i]) copy[i] = ' '; /* NUL would end the text */
    const char *used;
    int guessed;
    char *text = mail_to_utf8(copy, n, NULL, &used, &guessed);
    char *body = bd_asprintf("[unreadable message: %s]\n\n%s", why, text ? text : "");
    free(text);
    free(copy);
    return body;
}

/* An Amazon order id (3-7-7 digits) in text, for a body the parser could not read: the
 * parser looks in what it read, this looks in what was recovered from the source. */
static char *find_order_id(const char *text)
{
    static const int groups[] = {3, 7, 7};
    for (const char *p = text; *p; p++) {
        if (p > text && p[-1] >= '0' && p[-1] <= '9') continue;
        const char *q = p;
        int ok = 1;
        for (int g = 0; g < 3 && ok; g++) {
            for (int i = 0; i < groups[g] && ok; i++, q++) ok = *q >= '0' && *q <= '9';
            if (ok && g < 2) ok = *q++ == '-';
        }
        if (ok && !(*q >= '0' && *q <= '9')) return bd_strndup(p, 19);
    }
    return NULL;
}

/* Fills msg from the parsed mail. */
static void map_message(mkt_shop *shop, mkt_mail *m, const mail_message *mm, const imap_message *im,
                        uint32_t uidvalidity, bd_message *msg)
{
    msg->shop = bd_strdup(shop->name);
    msg->marketplace = bd_strdup(shop->marketplace);
    msg->external_id = mm->message_id && *mm->message_id ? bd_strdup(mm->message_id)
                                                          : source_id(im->data, im->len);
    int out = same_address(mm->from.address, m->from);
    msg->direction = out ? BD_DIR_OUT : BD_DIR_IN;
    /* the buyer: the sender, or for our own mail its first recipient */
    const mail_address *buyer = out ? (mm->n_to ? &mm->to[0] : NULL) : &mm->from;
    const char *addr = buyer && buyer->address ? buyer->address
                       : !out && mm->reply_to.address ? mm->reply_to.address : NULL;
    msg->buyer.external_id = addr ? lower_dup(addr) : bd_strdup("unknown-sender");
    msg->buyer.name = buyer && buyer->name && *buyer->name ? bd_strdup(buyer->name) : NULL;
    const char *email = !out && mm->reply_to.address ? mm->reply_to.address : addr;
    msg->buyer.email = email ? lower_dup(email) : NULL;
    msg->author = out ? bd_strdup(m->from) : bd_strdup(msg->buyer.name ? msg->buyer.name : msg->buyer.external_id);

    msg->subject = mm->subject && *mm->subject ? bd_strdup(mm->subject) : NULL;
    const char *text = mm->text && *mm->text ? mm->text : mm->full_text && *mm->full_text ? mm->full_text : NULL;
    char *recovered_order = NULL;
    if (text) {
        msg->body = bd_strdup(text);
    } else if (mm->error) {
        msg->body = readable_source(mm->error, im);
        recovered_order = find_order_id(msg->body);
    } else {
        msg->body = bd_asprintf("[no text%s]", mm->n_attachments ? "; see the attachments" : "");
    }

    char *conv = NULL, *order = NULL;
    thread_lookup(shop, m, mm, &conv, &order);
    msg->order_id = mm->order_id ? bd_strdup(mm->order_id) : recovered_order ? recovered_order
                    : order ? bd_strdup(order) : NULL;
    if (msg->order_id != recovered_order) free(recovered_order);
    if (m->amazon) {
        /* Amazon: one conversation per relay address and order */
        free(conv);
        conv = msg->order_id ? bd_asprintf("amazon:%s:%s", msg->buyer.external_id, msg->order_id)
                             : bd_asprintf("amazon:%s", msg->buyer.external_id);
    } else if (!conv) {
        const char *root = mm->n_references ? mm->references[0]
                           : mm->in_reply_to ? mm->in_reply_to : msg->external_id;
        conv = bd_asprintf("mail:%s", root);
    }
    msg->conversation_id = conv;
    free(order);
    seen_put(&m->seen, msg->external_id, msg->conversation_id, msg->order_id);
    msg->sent_at = mm->date > 0 ? mm->date : im->internal_date > 0 ? im->internal_date : bd_now();
    msg->extra = message_extra(m, mm, im, uidvalidity);
}

/* A mail the parser could do nothing with (empty): still one message, with its source. */
static void map_unreadable(mkt_shop *shop, mkt_mail *m, const imap_message *im, const char *why,
                           uint32_t uidvalidity, bd_message *msg)
{
    msg->shop = bd_strdup(shop->name);
    msg->marketplace = bd_strdup(shop->marketplace);
    msg->external_id = source_id(im->data, im->len);
    msg->direction = BD_DIR_IN;
    msg->buyer.external_id = bd_strdup("unknown-sender");
    msg->conversation_id = bd_asprintf("mail:%s", msg->external_id);
    msg->body = bd_asprintf("[unreadable message: %s]", why);
    msg->sent_at = im->internal_date > 0 ? im->internal_date : bd_now();
    msg->author = bd_strdup("unknown-sender");
    cJSON *x = cJSON_CreateObject();
    cJSON *mail = cJSON_AddObjectToObject(x, "mail");
    cJSON_AddStringToObject(mail, "folder", m->folder);
    cJSON_AddNumberToObject(mail, "uid", im->uid);
    cJSON_AddNumberToObject(mail, "uidvalidity", uidvalidity);
    cJSON_AddStringToObject(x, "parse_error", why);
    msg->extra = mkt_json_text(x);
}

static void add_mail(mkt_shop *shop, mkt_mail *m, const imap_message *im, uint32_t uidvalidity,
                     mkt_page *page)
{
    mail_message mm;
    memset(&mm, 0, sizeof mm);
    bd_err perr;
    size_t idx = page->n_messages;
    bd_message *msg = mkt_page_add_message(page);
    char *note = NULL;
    if (mail_parse(im->data, im->len, &mm, &perr) != 0) {
        note = bd_strdup(perr.msg);
        map_unreadable(shop, m, im, note, uidvalidity, msg);
    } else {
        map_message(shop, m, &mm, im, uidvalidity, msg);
        if (mm.error) note = bd_strdup(mm.error);
    }
    if (im->truncated) {
        char *t = bd_asprintf("%s%sthe message has %zu bytes; only the first %zu were fetched "
                              "(max_response_bytes)", note ? note : "", note ? "; " : "",
                              im->full_len, im->len);
        free(note);
        note = t;
    }
    if (note) mkt_page_add_raw(page, idx, im->data, im->len, im->full_len, note);
    free(note);
    mail_message_clear(&mm);
}

/* ---- fetching ---- */
static void imap_date(int64_t t, char out[16])
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char iso[32];
    bd_time_format(t, iso, sizeof iso); /* YYYY-MM-DDT... */
    int y = atoi(iso), mo = atoi(iso + 5), d = atoi(iso + 8);
    snprintf(out, 16, "%d-%s-%04d", d, mon[(mo >= 1 && mo <= 12 ? mo : 1) - 1], y);
}

static int fetch_page(mkt_shop *shop, mkt_mail *m, const cJSON *cur, int64_t since, mkt_page *page,
                      bd_err *err)
{
    imap_folder info;
    if (open_folder(m, m->folder, !m->mark_seen, &info, err)) return -1;
    page->requests++;
    uint32_t validity = (uint32_t)mkt_json_int(cur, "uidvalidity", 0);
    int64_t last = mkt_json_int(cur, "last_uid", 0);
    int64_t from_date = since > 0 ? since : mkt_json_int(cur, "since", 0);
    if (since > 0 || (cur && validity != info.uidvalidity)) {
        /* --since, or the folder is not the one the checkpoint knows: read it all again */
        last = 0;
        if (cur && validity != info.uidvalidity && since <= 0 && shop->http_opts.verbose)
            fprintf(stderr, "shop %s: UIDVALIDITY of %s changed (%u -> %u): rescanning\n", shop->name,
                    m->folder, validity, info.uidvalidity);
    }
    char criteria[64];
    int n = snprintf(criteria, sizeof criteria, "UID %lld:*", (long long)last + 1);
    if (from_date > 0) {
        char d[16];
        imap_date(from_date, d);
        snprintf(criteria + n, sizeof criteria - (size_t)n, " SINCE %s", d);
    }
    uint32_t *uids = NULL;
    size_t nu = 0;
    if (imap_uid_search(m->conn, criteria, &uids, &nu, err)) return -1;
    page->requests++;
    size_t first = 0; /* "n:*" names the last message even when its UID is below n */
    while (first < nu && (int64_t)uids[first] <= last) first++;
    size_t take = nu - first < (size_t)m->page_size ? nu - first : (size_t)m->page_size;
    imap_message *got = NULL;
    size_t ngot = 0;
    if (take && imap_uid_fetch(m->conn, uids + first, take, !m->mark_seen, &got, &ngot, err)) {
        free(uids);
        return -1;
    }
    if (take) page->requests++;
    double t0 = http_now_ms();
    for (size_t i = 0; i < ngot; i++) add_mail(shop, m, &got[i], info.uidvalidity, page);
    page->json_ms += http_now_ms() - t0;
    int64_t new_last = take ? uids[first + take - 1] : last;
    page->done = first + take >= nu;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "uidvalidity", info.uidvalidity);
    cJSON_AddNumberToObject(c, "last_uid", (double)new_last);
    if (from_date > 0 && !page->done) cJSON_AddNumberToObject(c, "since", (double)from_date);
    page->cursor = mkt_json_text(c);
    imap_messages_free(got, ngot);
    free(uids);
    return 0;
}

int mkt_mail_fetch(mkt_shop *shop, mkt_mail *m, const char *cursor, int64_t since, mkt_page *page,
                   bd_err *err)
{
    cJSON *cur = NULL;
    if (cursor) {
        bd_err perr;
        cur = bd_json_parse(cursor, strlen(cursor), &perr);
        if (!cur)
            return bd_err_set(err, "shop %s: stored messages checkpoint is damaged: %s", shop->name, perr.msg);
    }
    int rc = fetch_page(shop, m, cur, since, page, err);
    cJSON_Delete(cur);
    if (rc) {
        drop_connection(m); /* the next attempt starts a fresh session */
        mkt_page_clear(page);
    }
    return rc;
}

/* ---- sending ---- */
char *mkt_mail_message_id(const char *idempotency_key, int64_t queued_at, const char *from)
{
    const char *at = from ? strrchr(from, '@') : NULL;
    char *id = bd_asprintf("%s.%lld@%s", idempotency_key, (long long)queued_at,
                           at && at[1] ? at + 1 : "borderdesk.invalid");
    lower(id);
    return id;
}

/* The buyer's address to answer: the Reply-To of the buyer's message, else the buyer. */
static char *reply_address(const mkt_reply *r, const cJSON *extra)
{
    const cJSON *mail = cJSON_GetObjectItemCaseSensitive(extra, "mail");
    const char *rt = bd_json_str(cJSON_GetObjectItemCaseSensitive(mail, "reply_to"), "address");
    if (rt && strchr(rt, '@')) return bd_strdup(rt);
    if (r->buyer_id && strchr(r->buyer_id, '@')) return bd_strdup(r->buyer_id);
    return NULL;
}

/* The reply as it goes out (and into the Sent folder). */
static char *compose_reply(mkt_mail *m, const mkt_reply *r, char **message_id, char **rcpt,
                           size_t *len, bd_err *err)
{
    bd_err perr;
    cJSON *extra = r->reply_to_extra ? bd_json_parse(r->reply_to_extra, strlen(r->reply_to_extra), &perr) : NULL;
    char *to = reply_address(r, extra);
    *rcpt = NULL;
    if (!to) {
        cJSON_Delete(extra);
        bd_err_set(err, "the buyer \"%s\" has no e-mail address to answer", r->buyer_id ? r->buyer_id : "");
        return NULL;
    }
    /* References: the buyer's message's references, then the buyer's message itself */
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(extra, "mail"), "references");
    const char *ids[64];
    size_t n = 0;
    int reply_id = r->reply_to_id && strncmp(r->reply_to_id, "sha256:", 7) != 0;
    int skip = cJSON_GetArraySize(refs) - (int)(sizeof ids / sizeof ids[0]) + 2;
    for (const cJSON *e = cJSON_IsArray(refs) ? refs->child : NULL; e; e = e->next, skip--) {
        /* a long chain keeps its first (the thread's root) and its newest ids */
        if (cJSON_IsString(e) && (n == 0 || skip <= 0) && n + 1 < sizeof ids / sizeof ids[0])
            ids[n++] = e->valuestring;
    }
    if (reply_id) ids[n++] = r->reply_to_id;
    *message_id = mkt_mail_message_id(r->idempotency_key, r->not_before, m->from);
    const char *subject = r->reply_to_subject ? r->reply_to_subject : r->ticket_subject;
    mail_draft d = {.from_name = m->from_name, .from = m->from, .to = to,
                    .subject = subject ? subject : "", .in_reply_to = reply_id ? r->reply_to_id : NULL,
                    .references = ids, .n_references = n, .message_id = *message_id,
                    .date = bd_now(), .text = r->text};
    char *raw = mail_compose(&d, len, err);
    cJSON_Delete(extra);
    if (!raw) {
        free(*message_id);
        *message_id = NULL;
        free(to);
        return NULL;
    }
    *rcpt = to;
    return raw;
}

int mkt_mail_send(mkt_shop *shop, mkt_mail *m, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!m->smtp_url) {
        bd_err_set(err, "shop %s: \"mail.smtp_url\" is not configured: replies cannot be sent", shop->name);
        return MKT_RETRY;
    }
    char *mid = NULL, *to = NULL;
    size_t len;
    bd_err cerr;
    char *raw = compose_reply(m, r, &mid, &to, &len, &cerr);
    if (!raw) {
        bd_err_set(err, "shop %s: %s", shop->name, cerr.msg);
        return MKT_REJECTED;
    }
    const char *rcpt[1] = {to};
    int rc = smtp_send(&m->smtp, m->from, rcpt, 1, raw, len, err);
    free(to);
    int result;
    if (rc == SMTP_SENT) {
        out->remote_id = mid;
        mid = NULL;
        out->conversation_id = bd_strdup(r->conversation_id);
        out->sent_at = bd_now();
        /* as mail clients do: a copy in the Sent folder, which also lets a later run
         * recognise the reply */
        bd_err aerr;
        if (m->sent_folder && ((!m->conn && imap_connect(&m->imap, &m->conn, &aerr)) ||
                               imap_append(m->conn, m->sent_folder, "\\Seen", raw, len, &aerr))) {
            fprintf(stderr, "borderdesk outbox: shop %s: the reply went out but could not be filed "
                    "in %s: %s\n", shop->name, m->sent_folder, aerr.msg);
            drop_connection(m);
        }
        result = MKT_SENT;
    } else if (rc == SMTP_UNCERTAIN && !m->sent_folder) {
        /* nothing could ever tell whether it went out: a person checks, no second copy */
        char why[sizeof err->msg];
        memcpy(why, err->msg, sizeof why);
        bd_err_set(err, "%.700s; not sent again because no \"mail.sent_folder\" is configured to "
                   "check: look in the mailbox's sent mail before sending it again", why);
        result = MKT_REJECTED;
    } else {
        result = rc == SMTP_RETRY ? MKT_RETRY : rc == SMTP_REJECTED ? MKT_REJECTED : MKT_UNCERTAIN;
    }
    free(mid);
    free(raw);
    return result;
}

int mkt_mail_find_sent(mkt_shop *shop, mkt_mail *m, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!m->sent_folder) {
        bd_err_set(err, "shop %s: an earlier attempt may have been delivered and no "
                   "\"mail.sent_folder\" is configured to check: look in the mailbox's sent mail "
                   "before sending it again", shop->name);
        return MKT_FIND_UNCHECKABLE;
    }
    char *mid = mkt_mail_message_id(r->idempotency_key, r->not_before, m->from);
    imap_folder info;
    bd_err serr;
    if (open_folder(m, m->sent_folder, 1, &info, &serr)) {
        /* a Sent folder that does not exist holds no reply; anything else is an error */
        int missing = strstr(serr.msg, "[NONEXISTENT]") || strstr(serr.msg, "doesn't exist");
        free(mid);
        if (missing) return 0;
        *err = serr;
        drop_connection(m);
        return -1;
    }
    char *crit = bd_asprintf("HEADER Message-ID \"<%s>\"", mid);
    uint32_t *uids = NULL;
    size_t n = 0;
    int rc = imap_uid_search(m->conn, crit, &uids, &n, err);
    free(crit);
    free(uids);
    if (rc) {
        free(mid);
        drop_connection(m);
        return -1;
    }
    if (n == 0) {
        free(mid);
        return 0;
    }
    out->remote_id = mid;
    out->conversation_id = bd_strdup(r->conversation_id);
    out->sent_at = bd_now();
    return 1;
}

/* ---- the "mail" marketplace ---- */
static int mail_open(mkt_shop *shop, bd_err *err)
{
    mkt_mail *m;
    if (mkt_mail_open(shop, 1, &m, err)) return -1;
    shop->impl = m;
    return 0;
}

static void mail_close(mkt_shop *shop)
{
    mkt_mail_close(shop->impl);
    shop->impl = NULL;
}

static int mail_fetch(mkt_shop *shop, const char *resource, const char *cursor, int64_t since,
                      mkt_page *page, bd_err *err)
{
    memset(page, 0, sizeof *page);
    if (strcmp(resource, "messages") != 0)
        return bd_err_set(err, "shop %s: a mail shop has only messages", shop->name);
    return mkt_mail_fetch(shop, shop->impl, cursor, since, page, err);
}

static int mail_send(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    return mkt_mail_send(shop, shop->impl, r, out, err);
}

static int mail_find_sent(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    return mkt_mail_find_sent(shop, shop->impl, r, out, err);
}

const mkt_connector mail_connector = {
    .marketplace = "mail",
    .resources = mail_resources,
    .open = mail_open,
    .close = mail_close,
    .fetch = mail_fetch,
    .send = mail_send,
    .find_sent = mail_find_sent,
};
