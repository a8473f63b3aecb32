/* survey.c — satisfaction surveys: policy, creation when a ticket is solved, tokens,
 * responses, and the data of the invitation template. */
#include "borderdesk/survey.h"
#include "borderdesk/template.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

const char *const survey_dimension_names[SURVEY_DIMENSIONS] = {"quality", "attitude", "speed",
                                                               "price"};

static const char *const languages[] = {"en", "es", "fr", "de", "it", "pt", "ru",
                                        "pl", "ja", "ko", "ar", "zh", NULL};

#define SURVEY_COMMENT_MAX 2000

int survey_score_range(const char *kind, int *lo, int *hi)
{
    if (bd_streq(kind, "csat"))
        *lo = 1, *hi = 5;
    else if (bd_streq(kind, "nps"))
        *lo = 0, *hi = 10;
    else if (bd_streq(kind, "ces"))
        *lo = 1, *hi = 7;
    else
        return -1;
    return 0;
}

/* ---- policy ---- */

static int apply(const cJSON *o, survey_policy *p, const char *path, bd_err *err)
{
    static const char *const keys[] = {
        "enabled", "kind", "expires_days", "dimensions", "url", "skip_subcategories", NULL};
    if (!cJSON_IsObject(o)) return bd_err_set(err, "%s must be an object", path);
    for (const cJSON *k = o->child; k; k = k->next)
        if (!bd_str_in(k->string, keys))
            return bd_err_set(err, "%s: unknown key \"%s\" (see docs/loyalty.md)", path, k->string);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "enabled");
    if (v) {
        if (!cJSON_IsBool(v)) return bd_err_set(err, "%s.enabled must be true or false", path);
        p->enabled = cJSON_IsTrue(v);
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "kind");
    if (v) {
        int lo, hi;
        if (!cJSON_IsString(v) || survey_score_range(v->valuestring, &lo, &hi))
            return bd_err_set(err, "%s.kind must be \"csat\", \"nps\" or \"ces\"", path);
        snprintf(p->kind, sizeof p->kind, "%s", v->valuestring);
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "expires_days");
    if (v) {
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
            v->valuedouble > 365)
            return bd_err_set(err, "%s.expires_days must be a whole number from 1 to 365", path);
        p->expires = (int64_t)v->valuedouble * 86400;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "dimensions");
    if (v) {
        if (!cJSON_IsArray(v))
            return bd_err_set(err,
                              "%s.dimensions must be an array of quality, attitude, speed,"
                              " price",
                              path);
        memset(p->dimensions, 0, sizeof p->dimensions);
        for (const cJSON *d = v->child; d; d = d->next) {
            int k = 0;
            while (k < SURVEY_DIMENSIONS &&
                   !(cJSON_IsString(d) && strcmp(d->valuestring, survey_dimension_names[k]) == 0))
                k++;
            if (k == SURVEY_DIMENSIONS)
                return bd_err_set(err,
                                  "%s.dimensions: unknown dimension (quality, attitude,"
                                  " speed, price)",
                                  path);
            p->dimensions[k] = 1;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "url");
    if (v) {
        if (!cJSON_IsString(v) || !strstr(v->valuestring, "{token}") ||
            strlen(v->valuestring) >= sizeof p->url - 64)
            return bd_err_set(err,
                              "%s.url must be the answer page's address with {token} in it,"
                              " e.g. \"https://feedback.example.com/s/{token}\"",
                              path);
        snprintf(p->url, sizeof p->url, "%s", v->valuestring);
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "skip_subcategories");
    if (v) {
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > 8)
            return bd_err_set(err,
                              "%s.skip_subcategories must be an array of at most 8"
                              " subcategory names",
                              path);
        p->n_skip = 0;
        for (const cJSON *d = v->child; d; d = d->next) {
            if (!cJSON_IsString(d))
                return bd_err_set(err, "%s.skip_subcategories must hold strings", path);
            snprintf(p->skip[p->n_skip++], sizeof p->skip[0], "%s", d->valuestring);
        }
    }
    return 0;
}

int survey_public_url(const bd_config *c, char *out, size_t outlen, bd_err *err)
{
    const cJSON *v = c ? cJSON_GetObjectItemCaseSensitive(c->root, "public_url") : NULL;
    const char *url = SURVEY_PUBLIC_URL_DEFAULT;
    if (v) {
        if (!cJSON_IsString(v) ||
            (strncmp(v->valuestring, "http://", 7) != 0 &&
             strncmp(v->valuestring, "https://", 8) != 0) ||
            strlen(v->valuestring) < 9 || strpbrk(v->valuestring, " \t\r\n{}\"<>") ||
            strlen(v->valuestring) >= outlen || strlen(v->valuestring) > 400)
            return bd_err_set(err,
                              "public_url must be the address buyers reach borderdesk at,"
                              " e.g. \"https://help.example.com\" (http or https, at most 400"
                              " characters)");
        url = v->valuestring;
    }
    snprintf(out, outlen, "%s", url);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/') out[--n] = '\0'; /* "/s/..." follows */
    return 0;
}

int survey_policy_load(const bd_config *c, const char *shop, survey_policy *p, bd_err *err)
{
    memset(p, 0, sizeof *p);
    snprintf(p->kind, sizeof p->kind, "csat");
    p->expires = 7 * 86400;
    snprintf(p->skip[p->n_skip++], sizeof p->skip[0], "spam");
    const cJSON *top = c ? cJSON_GetObjectItemCaseSensitive(c->root, "surveys") : NULL;
    if (top && apply(top, p, "surveys", err)) return -1;
    const cJSON *sh = c && shop ? bd_config_shop(c, shop) : NULL;
    const cJSON *own = sh ? cJSON_GetObjectItemCaseSensitive(sh, "surveys") : NULL;
    if (own) {
        char path[160];
        snprintf(path, sizeof path, "shops[%s].surveys", shop);
        if (apply(own, p, path, err)) return -1;
    }
    if (!p->url[0]) { /* the answer page borderdesk serves itself */
        char base[448];
        if (survey_public_url(c, base, sizeof base, err)) return -1;
        snprintf(p->url, sizeof p->url, "%s/s/{token}", base);
    }
    const char *display = sh ? bd_json_str(sh, "display_name") : NULL;
    snprintf(p->shop_name, sizeof p->shop_name, "%s", display && *display ? display : shop ? shop : "");
    return 0;
}

/* ---- tokens ---- */

int survey_token(char out[33], bd_err *err)
{
    unsigned char raw[24];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return bd_err_set(err, "no random bytes for a survey token: %s", strerror(errno));
        }
        got += (size_t)n;
    }
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0, o = 0; i < 24; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    out[32] = '\0';
    return 0;
}

/* ---- creation ---- */

static const char *survey_language(const store_ticket *t)
{
    if (t->language && bd_str_in(t->language, languages)) return t->language;
    if (t->buyer_language && bd_str_in(t->buyer_language, languages)) return t->buyer_language;
    return "en";
}

int survey_create_for_ticket(bd_store *s, const survey_policy *p, const store_ticket *t, int64_t at,
                             int64_t *id, bd_err *err)
{
    *id = 0;
    if (!p->enabled) return 0;
    for (int i = 0; i < p->n_skip; i++)
        if (bd_streq(t->subcategory, p->skip[i])) return 0;
    int64_t existing;
    int found = store_survey_for_ticket(s, t->id, &existing, err);
    if (found) return found < 0 ? -1 : 0; /* one survey per ticket, even when reopened */
    int listed = store_blacklist_get(s, t->buyer_id, NULL, err);
    if (listed) return listed < 0 ? -1 : 0;
    char token[33];
    if (survey_token(token, err)) return -1;
    cJSON *dims = cJSON_CreateArray();
    for (int k = 0; k < SURVEY_DIMENSIONS; k++)
        if (p->dimensions[k])
            cJSON_AddItemToArray(dims, cJSON_CreateString(survey_dimension_names[k]));
    char *dims_text = cJSON_PrintUnformatted(dims);
    cJSON_Delete(dims);
    store_survey v = {.ticket_id = t->id,
                      .shop_id = t->shop_id,
                      .buyer_id = t->buyer_id,
                      .created_at = at,
                      .expires_at = at + p->expires,
                      .token = token,
                      .agent = t->assignee,
                      .category = t->category,
                      .subcategory = t->subcategory,
                      .language = (char *)survey_language(t),
                      .kind = (char *)p->kind,
                      .dimensions = dims_text};
    int rc = store_survey_insert(s, &v, id, err);
    cJSON_free(dims_text);
    return rc;
}

/* Queues the invitation of survey id to the buyer: a public message by SURVEY_AUTHOR on the
 * ticket's conversation, and its outbox entry for the ticket's marketplace. */
static int queue_invitation(const bd_config *c, ticket_ctx *ctx, const survey_policy *p,
                            const store_ticket *t, int64_t id, int64_t at, int64_t *message_id,
                            bd_err *err)
{
    store_survey v;
    int found = store_survey_get(ctx->store, id, &v, err);
    if (found <= 0) return found < 0 ? -1 : bd_err_set(err, "survey %lld vanished", (long long)id);
    char *body = survey_invitation_render(c, &v, p, err);
    int rc = -1;
    if (body) {
        store_message m = {.shop_id = t->shop_id,
                           .ticket_id = t->id,
                           .buyer_id = t->buyer_id,
                           .direction = BD_DIR_OUT,
                           .kind = "public",
                           .author = SURVEY_AUTHOR,
                           .body = body,
                           .sent_at = at,
                           .order_external_id = t->order_external_id,
                           .conversation_id = t->conversation_id};
        int64_t outbox_id;
        rc = store_message_insert(ctx->store, &m, message_id, err) ||
                     store_outbox_add(ctx->store, t->id, *message_id, t->marketplace, at,
                                      &outbox_id, err) ||
                     store_ticket_touch(ctx->store, t->id, BD_DIR_OUT, at, NULL, err)
                 ? -1
                 : 0;
    }
    free(body);
    store_survey_clear(&v);
    return rc;
}

int survey_on_ticket_solved(void *ud, ticket_ctx *ctx, const store_ticket *t, int64_t at,
                            bd_err *err)
{
    survey_policy p;
    if (survey_policy_load(ud, t->shop, &p, err)) return -1;
    int64_t id, message_id = 0;
    if (survey_create_for_ticket(ctx->store, &p, t, at, &id, err)) return -1;
    if (!id) return 0;
    if (queue_invitation(ud, ctx, &p, t, id, at, &message_id, err)) return -1;
    char detail[160];
    snprintf(detail, sizeof detail,
             "{\"survey\":%lld,\"kind\":\"%s\",\"invitation_message_id\":%lld}", (long long)id,
             p.kind, (long long)message_id);
    if (store_event_add(ctx->store, t->id, ctx->actor, "survey_created", detail, at, err))
        return -1;
    return ctx->on_change ? ctx->on_change(ctx->on_change_ud, t->id, err) : 0;
}

/* ---- responses ---- */

const char *survey_status(const store_survey *v, int64_t now)
{
    if (v->responded_at) return "answered";
    return now < v->expires_at ? "pending" : "expired";
}

static int check_response(const store_survey *v, const survey_response *r, bd_err *err)
{
    int lo, hi;
    if (survey_score_range(v->kind, &lo, &hi))
        return bd_err_set(err, "survey %lld has an unknown kind \"%s\"", (long long)v->id, v->kind);
    if (r->score < lo || r->score > hi)
        return bd_err_set(err, "%s score is a whole number from %d to %d, not %d",
                          strcmp(v->kind, "nps") == 0   ? "an NPS"
                          : strcmp(v->kind, "ces") == 0 ? "a CES"
                                                        : "a CSAT",
                          lo, hi, r->score);
    for (int i = 0; i < r->n_dims; i++) {
        char quoted[48];
        snprintf(quoted, sizeof quoted, "\"%s\"", r->dims[i].name ? r->dims[i].name : "");
        if (!v->dimensions || !strstr(v->dimensions, quoted))
            return bd_err_set(err, "this survey does not ask about \"%s\" (it asks: %s)",
                              r->dims[i].name ? r->dims[i].name : "",
                              v->dimensions && strcmp(v->dimensions, "[]") ? v->dimensions
                                                                           : "no dimensions");
        for (int j = 0; j < i; j++)
            if (bd_streq(r->dims[j].name, r->dims[i].name))
                return bd_err_set(err, "dimension \"%s\" is given twice", r->dims[i].name);
        if (r->dims[i].score < 1 || r->dims[i].score > 5)
            return bd_err_set(err, "a %s score is a whole number from 1 to 5, not %d",
                              r->dims[i].name, r->dims[i].score);
    }
    if (r->comment) {
        size_t n = strlen(r->comment);
        if (!bd_utf8_valid(r->comment, n)) return bd_err_set(err, "the comment is not valid UTF-8");
        if (bd_utf8_len(r->comment) > SURVEY_COMMENT_MAX)
            return bd_err_set(err, "the comment is longer than %d characters", SURVEY_COMMENT_MAX);
    }
    return 0;
}

int survey_respond(bd_store *s, const char *token, const survey_response *r, int64_t at,
                   bd_err *err)
{
    if (!token || !*token) return bd_err_set(err, "a survey token is required");
    store_survey v;
    int found = store_survey_get_token(s, token, &v, err);
    if (found < 0) return -1;
    if (!found) return bd_err_set(err, "no survey has this token (check the link)");
    char when[32];
    int rc = 0;
    if (v.responded_at) {
        bd_time_format(v.responded_at, when, sizeof when);
        rc = bd_err_set(err,
                        "this survey was already answered on %s; a survey takes one"
                        " response",
                        when);
    } else if (at >= v.expires_at) {
        bd_time_format(v.expires_at, when, sizeof when);
        rc = bd_err_set(err, "this survey expired on %s; responses are no longer accepted", when);
    } else {
        rc = check_response(&v, r, err);
    }
    const char *comment = r->comment && *r->comment ? r->comment : NULL;
    if (!rc) {
        int done = store_survey_respond(s, v.id, r->score, comment, at, err);
        if (done == 0)
            rc = bd_err_set(err, "this survey was just answered; a survey takes one"
                                 " response");
        else if (done < 0)
            rc = -1;
    }
    for (int i = 0; !rc && i < r->n_dims; i++)
        rc = store_survey_answer(s, v.id, r->dims[i].name, r->dims[i].score, err);
    if (!rc) {
        char detail[128];
        snprintf(detail, sizeof detail, "{\"survey\":%lld,\"kind\":\"%s\",\"score\":%d}",
                 (long long)v.id, v.kind, r->score);
        rc = store_event_add(s, v.ticket_id, "buyer", "survey_answered", detail, at, err) ||
                     store_loyalty_mark_dirty(s, v.buyer_id, err)
                 ? -1
                 : 0;
    }
    store_survey_clear(&v);
    return rc;
}

/* ---- the invitation ---- */

char *survey_invitation_template(const bd_config *c, const char *language)
{
    const char *lang = language && bd_str_in(language, languages) ? language : "en";
    const char *dir = c && c->templates_dir ? c->templates_dir : NULL;
    if (dir) return bd_asprintf("%s/%s/survey/invitation.mustache", dir, lang);
    return bd_asprintf("%s/templates/%s/survey/invitation.mustache", bd_data_dir(), lang);
}

void survey_format_date(const char *language, int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    int d = tm.tm_mday, m = tm.tm_mon, y = tm.tm_year + 1900;
    static const char *const en[] = {"January",   "February", "March",    "April",
                                     "May",       "June",     "July",     "August",
                                     "September", "October",  "November", "December"};
    static const char *const es[] = {"enero",      "febrero", "marzo",     "abril",
                                     "mayo",       "junio",   "julio",     "agosto",
                                     "septiembre", "octubre", "noviembre", "diciembre"};
    static const char *const fr[] = {"janvier",   "février", "mars",     "avril",
                                     "mai",       "juin",    "juillet",  "août",
                                     "septembre", "octobre", "novembre", "décembre"};
    static const char *const de[] = {"Januar",    "Februar", "März",     "April",
                                     "Mai",       "Juni",    "Juli",     "August",
                                     "September", "Oktober", "November", "Dezember"};
    static const char *const it[] = {"gennaio",   "febbraio", "marzo",    "aprile",
                                     "maggio",    "giugno",   "luglio",   "agosto",
                                     "settembre", "ottobre",  "novembre", "dicembre"};
    static const char *const pt[] = {"janeiro",  "fevereiro", "março",    "abril",
                                     "maio",     "junho",     "julho",    "agosto",
                                     "setembro", "outubro",   "novembro", "dezembro"};
    /* Russian and Polish dates use the genitive month */
    static const char *const ru[] = {"января",   "февраля", "марта",  "апреля",
                                     "мая",      "июня",    "июля",   "августа",
                                     "сентября", "октября", "ноября", "декабря"};
    static const char *const pl[] = {"stycznia", "lutego",       "marca",     "kwietnia",
                                     "maja",     "czerwca",      "lipca",     "sierpnia",
                                     "września", "października", "listopada", "grudnia"};
    static const char *const ar[] = {"يناير", "فبراير", "مارس",   "أبريل",  "مايو",   "يونيو",
                                     "يوليو", "أغسطس",  "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"};
    const char *l = language ? language : "en";
    if (!strcmp(l, "en"))
        snprintf(out, outlen, "%s %d, %d", en[m], d, y);
    else if (!strcmp(l, "es"))
        snprintf(out, outlen, "%d de %s de %d", d, es[m], y);
    else if (!strcmp(l, "fr"))
        snprintf(out, outlen, "%d%s %s %d", d, d == 1 ? "er" : "", fr[m], y);
    else if (!strcmp(l, "de"))
        snprintf(out, outlen, "%d. %s %d", d, de[m], y);
    else if (!strcmp(l, "it"))
        snprintf(out, outlen, "%d%s %s %d", d, d == 1 ? "º" : "", it[m], y);
    else if (!strcmp(l, "pt"))
        snprintf(out, outlen, "%d de %s de %d", d, pt[m], y);
    else if (!strcmp(l, "ru"))
        snprintf(out, outlen, "%d %s %d г.", d, ru[m], y);
    else if (!strcmp(l, "pl"))
        snprintf(out, outlen, "%d %s %d r.", d, pl[m], y);
    else if (!strcmp(l, "ja") || !strcmp(l, "zh"))
        snprintf(out, outlen, "%d年%d月%d日", y, m + 1, d);
    else if (!strcmp(l, "ko"))
        snprintf(out, outlen, "%d년 %d월 %d일", y, m + 1, d);
    else if (!strcmp(l, "ar"))
        snprintf(out, outlen, "%d %s %d", d, ar[m], y);
    else
        snprintf(out, outlen, "%04d-%02d-%02d", y, m + 1, d);
}

cJSON *survey_invitation_data(const store_survey *v, const survey_policy *p)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *b = cJSON_AddObjectToObject(j, "buyer");
    if (v->buyer_name) cJSON_AddStringToObject(b, "name", v->buyer_name);
    cJSON *sh = cJSON_AddObjectToObject(j, "shop");
    if (p && p->shop_name[0])
        cJSON_AddStringToObject(sh, "name", p->shop_name);
    else if (v->shop)
        cJSON_AddStringToObject(sh, "name", v->shop);
    cJSON *sv = cJSON_AddObjectToObject(j, "survey");
    bd_buf url = BD_BUF_INIT;
    const char *tpl = p && p->url[0] ? p->url : "{token}";
    const char *at = strstr(tpl, "{token}");
    bd_buf_append(&url, tpl, (size_t)(at - tpl));
    bd_buf_puts(&url, v->token);
    bd_buf_puts(&url, at + strlen("{token}"));
    cJSON_AddStringToObject(sv, "url", url.data);
    bd_buf_free(&url);
    char date[64];
    survey_format_date(v->language, v->expires_at, date, sizeof date);
    cJSON_AddStringToObject(sv, "expires_at", date);
    cJSON_AddStringToObject(sv, "kind", v->kind);
    cJSON *t = cJSON_AddObjectToObject(j, "ticket");
    cJSON_AddNumberToObject(t, "id", (double)v->ticket_id);
    return j;
}

char *survey_invitation_render(const bd_config *c, const store_survey *v, const survey_policy *p,
                               bd_err *err)
{
    char *path = survey_invitation_template(c, v->language);
    size_t len;
    char *text = bd_read_file(path, 1 << 20, &len, err);
    char *out = NULL;
    if (text) {
        cJSON *data = survey_invitation_data(v, p);
        tpl_render_opts o = {.plain_text = 1};
        bd_buf b = BD_BUF_INIT;
        if (tpl_render_text(text, len, path, data, &o, &b, err) == 0) {
            /* the template's trailing newline is not part of the message */
            while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
                b.data[--b.len] = '\0';
            if (b.len)
                out = bd_buf_detach(&b);
            else
                bd_err_set(err, "%s: the survey invitation renders as an empty text", path);
        } else {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            bd_err_set(err, "the survey invitation cannot be rendered: %s", msg);
        }
        bd_buf_free(&b);
        cJSON_Delete(data);
    } else {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        bd_err_set(err, "the survey invitation template cannot be read: %s", msg);
    }
    free(text);
    free(path);
    return out;
}
