/* context.c — the render context of a ticket: buyer, order, shop, agent, greeting and
 * closing in the buyer's language, with dates and money formatted through ICU. */
#include "borderdesk/locale.h"
#include "borderdesk/suggest.h"
#include "borderdesk/taxonomy.h"
#include "borderdesk/ticket.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LATE_REPLY_AFTER (24 * 3600) /* the strictest marketplace deadline (Amazon) */

/* Public tracking pages by carrier; a carrier not listed gets the universal tracker. */
static const struct {
    const char *match; /* lower-case substring of the carrier name */
    const char *url;   /* %s = the tracking number */
} trackers[] = {
    {"dhl", "https://www.dhl.com/global-en/home/tracking.html?tracking-id=%s"},
    {"deutsche post", "https://www.deutschepost.de/sendung/simpleQueryResult.html?form.sendungsnummer=%s"},
    {"ups", "https://www.ups.com/track?tracknum=%s"},
    {"usps", "https://tools.usps.com/go/TrackConfirmAction?tLabels=%s"},
    {"fedex", "https://www.fedex.com/fedextrack/?trknbr=%s"},
    {"correos", "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number=%s"},
    {"correios", "https://rastreamento.correios.com.br/app/index.php?objeto=%s"},
    {"royal mail", "https://www.royalmail.com/track-your-item#/tracking-results/%s"},
    {"yamato", "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01=%s"},
    {"4px", "https://track.4px.com/#/result/0/%s"},
    {"yanwen", "https://track.yw56.com.cn/en/querydel?nums=%s"},
    {"cainiao", "https://global.cainiao.com/detail.htm?mailNoList=%s"},
};

char *suggest_tracking_url(const char *carrier, const char *number)
{
    char lower[64] = "";
    if (carrier) {
        snprintf(lower, sizeof lower, "%s", carrier);
        bd_str_lower_ascii(lower);
    }
    /* the number goes into a URL: keep only characters that need no escaping */
    char num[64];
    size_t k = 0;
    for (const char *p = number; *p && k + 1 < sizeof num; p++)
        if (isalnum((unsigned char)*p)) num[k++] = *p;
    num[k] = '\0';
    for (size_t i = 0; i < sizeof trackers / sizeof trackers[0]; i++)
        if (*lower && strstr(lower, trackers[i].match)) return bd_asprintf(trackers[i].url, num);
    return bd_asprintf("https://t.17track.net/en#nums=%s", num);
}

static void add_date(cJSON *o, const char *key, const char *locale, int64_t t)
{
    if (!t) return;
    bd_buf b = BD_BUF_INIT;
    bd_err err;
    if (loc_format_date(locale, t, NULL, &b, &err) == 0) cJSON_AddStringToObject(o, key, b.data);
    bd_buf_free(&b);
}

static void add_opt(cJSON *o, const char *key, const char *v)
{
    if (v && *v) cJSON_AddStringToObject(o, key, v);
}

/* "delivered", "shipped" or "not_shipped" from the marketplace's status and the shipment. */
static const char *order_state(const store_order_row *o)
{
    char st[64];
    snprintf(st, sizeof st, "%s", o->status ? o->status : "");
    bd_str_lower_ascii(st);
    if (strstr(st, "deliver") || strstr(st, "complete")) return "delivered";
    if (o->shipped_at || o->tracking_number || strstr(st, "ship") || strstr(st, "fulfilled") ||
        strstr(st, "transit"))
        return strstr(st, "unshipped") || strstr(st, "ready_to_ship") ? "not_shipped" : "shipped";
    return "not_shipped";
}

static char *first_name(const char *name, const char *lang)
{
    if (!name) return NULL;
    /* family name first, or no spaces: the whole name is the polite form */
    if (bd_str_in(lang, (const char *const[]){"ja", "ko", "zh", NULL}) || !strchr(name, ' '))
        return bd_strdup(name);
    return bd_strndup(name, strcspn(name, " "));
}

/* Renders a Mustache string of locale.json (greeting, signature) with the context. */
static char *render_locale_string(const cJSON *locale, const char *k1, const char *k2,
                                  const cJSON *ctx)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(locale, k1);
    if (k2) v = cJSON_GetObjectItemCaseSensitive(v, k2);
    if (!cJSON_IsString(v)) return NULL;
    bd_buf b = BD_BUF_INIT;
    bd_err err;
    tpl_render_opts o = {.plain_text = 1};
    if (tpl_render_text(v->valuestring, strlen(v->valuestring), k1, ctx, &o, &b, &err)) {
        bd_buf_free(&b);
        return NULL;
    }
    /* a line whose only fact was absent (no agent name yet) is left out */
    bd_buf lines = BD_BUF_INIT;
    for (char *save = NULL, *l = strtok_r(b.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!*l) continue;
        if (lines.len) bd_buf_putc(&lines, '\n');
        bd_buf_puts(&lines, l);
    }
    bd_buf_free(&b);
    return bd_buf_detach(&lines);
}

static cJSON *load_locale(const bd_config *cfg, const char *lang)
{
    char *path = loc_data_path(cfg->locales_dir, lang, "locale.json");
    if (!path) return NULL;
    size_t len;
    bd_err err;
    char *text = bd_read_file(path, 1u << 20, &len, &err);
    free(path);
    cJSON *j = text ? bd_json_parse(text, len, &err) : NULL;
    free(text);
    return j;
}

static int load_order(bd_store *s, int64_t id, store_order_row *o, bd_err *err)
{
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)id);
    return store_order_get(s, ref, o, err);
}

static void build_order(cJSON *ctx, const store_order_row *o, const char *locale,
                        suggest_facts *f, int64_t now)
{
    cJSON *oj = cJSON_AddObjectToObject(ctx, "order");
    add_opt(oj, "id", o->external_id);
    add_opt(oj, "status", o->status);
    add_opt(oj, "carrier", o->carrier);
    add_opt(oj, "tracking_number", o->tracking_number);
    if (o->tracking_number && *o->tracking_number) {
        char *url = suggest_tracking_url(o->carrier, o->tracking_number);
        cJSON_AddStringToObject(oj, "tracking_url", url);
        free(url);
    }
    add_date(oj, "purchased_at", locale, o->purchased_at);
    add_date(oj, "shipped_at", locale, o->shipped_at);
    add_date(oj, "estimated_delivery", locale, o->estimated_delivery);
    bd_buf money = BD_BUF_INIT;
    bd_err err;
    if (o->total && o->currency && loc_format_money(locale, o->total, o->currency, &money, &err) == 0)
        cJSON_AddStringToObject(oj, "total", money.data);
    bd_buf_free(&money);
    cJSON *items = cJSON_AddArrayToObject(oj, "items");
    for (size_t i = 0; i < o->n_items; i++) {
        cJSON *it = cJSON_CreateObject();
        add_opt(it, "title", o->items[i].title);
        cJSON_AddNumberToObject(it, "quantity", (double)o->items[i].quantity);
        add_opt(it, "sku", o->items[i].sku);
        cJSON_AddItemToArray(items, it);
    }
    snprintf(f->order_state, sizeof f->order_state, "%s", order_state(o));
    snprintf(f->tracking, sizeof f->tracking, "%s", o->tracking_number && *o->tracking_number ? "yes" : "no");
    if (o->estimated_delivery)
        snprintf(f->eta, sizeof f->eta, "%s", now > o->estimated_delivery ? "after" : "before");
}

/* Our first answer is late when nobody has answered publicly yet and the buyer has waited
 * longer than the strictest marketplace deadline. */
static int first_reply_late(bd_store *s, const store_ticket *t, int64_t now, bd_err *err)
{
    store_message_row *m;
    size_t n;
    if (store_ticket_messages(s, t->id, &m, &n, err)) return -1;
    int answered = 0;
    int64_t first_in = 0;
    for (size_t i = 0; i < n; i++) {
        if (m[i].direction == BD_DIR_OUT && bd_streq(m[i].kind, "public")) answered = 1;
        if (m[i].direction == BD_DIR_IN && !first_in) first_in = m[i].sent_at;
    }
    store_message_rows_free(m, n);
    return !answered && first_in && now - first_in > LATE_REPLY_AFTER;
}

int suggest_ticket_context(bd_store *s, const bd_config *cfg, int64_t ticket_id,
                           const char *agent, cJSON **context, suggest_facts *f, bd_err *err)
{
    *context = NULL;
    memset(f, 0, sizeof *f);
    store_ticket t;
    int rc = store_ticket_get(s, ticket_id, &t, err);
    if (rc <= 0) return rc < 0 ? -1 : bd_err_set(err, "no ticket %lld", (long long)ticket_id);
    int64_t now = bd_now();
    const char *lang = bd_str_in(t.language, bd_languages) ? t.language
                       : t.buyer_language && *t.buyer_language ? t.buyer_language
                                                                 : "en";
    snprintf(f->language, sizeof f->language, "%s", lang);
    snprintf(f->category, sizeof f->category, "%s", t.category ? t.category : "");
    snprintf(f->subcategory, sizeof f->subcategory, "%s", t.subcategory ? t.subcategory : "");
    snprintf(f->marketplace, sizeof f->marketplace, "%s", t.marketplace);
    /* the loyalty tier chooses variants (`when: tier=vip`); other gradings' labels
     * (RFM segments, ABC) name no template variant and leave it empty */
    if (bd_str_in(t.tier, (const char *const[]){"vip", "important", "ordinary", NULL}))
        snprintf(f->tier, sizeof f->tier, "%s", t.tier);

    cJSON *locale = load_locale(cfg, lang);
    const char *icu = locale ? bd_json_str(locale, "icu_locale") : NULL;
    char loc[LOC_ID_MAX];
    if (t.buyer_country && strlen(t.buyer_country) == 2)
        snprintf(loc, sizeof loc, "%.8s_%s", lang, t.buyer_country);
    else
        snprintf(loc, sizeof loc, "%s", icu ? icu : lang);

    cJSON *ctx = cJSON_CreateObject();
    cJSON *b = cJSON_AddObjectToObject(ctx, "buyer");
    add_opt(b, "name", t.buyer_name);
    char *first = first_name(t.buyer_name, lang);
    add_opt(b, "first_name", first);
    free(first);
    add_opt(b, "country", t.buyer_country);
    add_opt(b, "language", t.buyer_language);
    add_opt(b, "tier", t.tier);

    const cJSON *shop_cfg = bd_config_shop(cfg, t.shop);
    cJSON *sj = cJSON_AddObjectToObject(ctx, "shop");
    const char *display = shop_cfg ? bd_json_str(shop_cfg, "display_name") : NULL;
    cJSON_AddStringToObject(sj, "name", display ? display : t.shop);
    cJSON_AddStringToObject(sj, "marketplace", t.marketplace);
    const cJSON *rd = shop_cfg ? cJSON_GetObjectItemCaseSensitive(shop_cfg, "return_days") : NULL;
    cJSON_AddNumberToObject(sj, "return_days", cJSON_IsNumber(rd) ? rd->valuedouble : 30);

    cJSON *aj = cJSON_AddObjectToObject(ctx, "agent");
    const char *agent_name = agent;
    store_user u = {0};
    if (!agent_name && t.assignee) {
        int found = store_user_get(s, t.assignee, &u, err);
        agent_name = found > 0 && u.display_name ? u.display_name : t.assignee;
    }
    add_opt(aj, "name", agent_name);
    cJSON *tj = cJSON_AddObjectToObject(ctx, "ticket");
    cJSON_AddNumberToObject(tj, "id", (double)t.id);
    add_opt(tj, "subject", t.subject);

    rc = 0;
    if (t.order_id) {
        store_order_row o;
        int found = load_order(s, t.order_id, &o, err);
        if (found < 0) rc = -1;
        else if (found) build_order(ctx, &o, loc, f, now);
        store_order_row_clear(&o);
    } else if (t.order_external_id) {
        cJSON *oj = cJSON_AddObjectToObject(ctx, "order");
        cJSON_AddStringToObject(oj, "id", t.order_external_id);
    }
    int late = rc ? -1 : first_reply_late(s, &t, now, err);
    if (late < 0) rc = -1;
    if (late > 0) snprintf(f->late_reply, sizeof f->late_reply, "yes");

    if (!rc && locale) {
        int named = t.buyer_name && *t.buyer_name;
        char *greeting = render_locale_string(locale, "greeting", named ? "formal" : "formal_no_name", ctx);
        char *closing = render_locale_string(locale, "closing", "formal", ctx);
        char *signature = render_locale_string(locale, "signature", NULL, ctx);
        add_opt(ctx, "greeting", greeting);
        add_opt(ctx, "closing", closing);
        if (signature) cJSON_AddStringToObject(sj, "signature", signature);
        free(greeting);
        free(closing);
        free(signature);
    }
    store_user_clear(&u);
    cJSON_Delete(locale);
    store_ticket_clear(&t);
    if (rc) {
        cJSON_Delete(ctx);
        return -1;
    }
    *context = ctx;
    return 0;
}
