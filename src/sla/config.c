/* config.c — the "sla" section of borderdesk.json: teams, calendars, targets, deadlines. */
#include "borderdesk/sla.h"
#include "borderdesk/model.h"
#include "borderdesk/ticket.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const clock_names[] = {"first_reply", "next_reply", "resolution"};

const char *sla_clock_name(int clock)
{
    return clock >= 0 && clock < SLA_N_CLOCKS ? clock_names[clock] : "?";
}

const char *sla_state_name(int state)
{
    static const char *const names[] = {NULL, "ok", "warning", "breached"};
    return state > 0 && state <= SLA_STATE_BREACHED ? names[state] : NULL;
}

/* The taxonomy of DESIGN.md ("category: subcategories"), for checking target rules. */
static const char *const taxonomy[] = {
    "pre_sale",  "product_info", "stock", "bargain", "shipping_quote", "payment", "customs_tax",
    "sample",    NULL,           "shipping", "tracking", "delay", "not_received",
    "customs_hold", "order_change", NULL, "dispute", "refund", "return", "damaged",
    "wrong_item", "not_as_described", "missing_item", "chargeback", "complaint", NULL,
    "review",    "positive",     "negative", "revision", NULL, "other", "account", "invoice",
    "greeting",  "spam",         "unknown",  NULL, NULL};

static int category_known(const char *cat)
{
    const char *slash = strchr(cat, '/');
    size_t n = slash ? (size_t)(slash - cat) : strlen(cat);
    for (const char *const *p = taxonomy; *p; p++) {
        int match = strlen(*p) == n && strncmp(*p, cat, n) == 0;
        for (p++; *p; p++)
            if (match && slash && strcmp(*p, slash + 1) == 0) return 1;
        if (match && !slash) return 1;
    }
    return 0;
}

/* "10m", "4h", "1h30m", or a number of minutes. */
static int parse_duration(const cJSON *v, int64_t *secs)
{
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble < 0 || v->valuedouble > 1e7) return -1;
        *secs = (int64_t)(v->valuedouble * 60);
        return 0;
    }
    if (!cJSON_IsString(v) || !*v->valuestring) return -1;
    const char *p = v->valuestring;
    int64_t total = 0;
    int seen_h = 0, seen_m = 0;
    while (*p) {
        if (!isdigit((unsigned char)*p)) return -1;
        int64_t n = 0;
        while (isdigit((unsigned char)*p) && n < 10000000) n = n * 10 + (*p++ - '0');
        if (*p == 'h' && !seen_h && !seen_m) {
            total += n * 3600;
            seen_h = 1;
        } else if (*p == 'm' && !seen_m) {
            total += n * 60;
            seen_m = 1;
        } else {
            return -1;
        }
        p++;
    }
    *secs = total;
    return 0;
}

static int parse_priority(const char *s)
{
    for (int p = TICKET_PRIORITY_LOW; p <= TICKET_PRIORITY_URGENT; p++)
        if (strcmp(s, ticket_priority_name(p)) == 0) return p;
    return -1;
}

static void free_rules(sla_target_rule *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) free(r[i].category);
    free(r);
}

static int parse_rules(const cJSON *arr, const char *where, sla_target_rule **out, size_t *n,
                       bd_err *err)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr))
        return bd_err_set(err, "%s: must be a list of rules such as {\"category\": \"pre_sale\", "
                               "\"first_reply\": \"10m\"}", where);
    size_t cap = (size_t)cJSON_GetArraySize(arr);
    sla_target_rule *r = bd_calloc(cap ? cap : 1, sizeof *r);
    int i = 0;
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        sla_target_rule *x = &r[*n];
        x->priority = -1;
        for (int k = 0; k < SLA_N_CLOCKS; k++) x->target[k] = -1;
        (*n)++;
        if (!cJSON_IsObject(o)) {
            bd_err_set(err, "%s[%d]: must be an object", where, i);
            goto fail;
        }
        int any = 0;
        for (const cJSON *k = o->child; k; k = k->next) {
            int clock = -1;
            for (int c = 0; c < SLA_N_CLOCKS; c++)
                if (strcmp(k->string, clock_names[c]) == 0) clock = c;
            if (clock >= 0) {
                if (parse_duration(k, &x->target[clock])) {
                    bd_err_set(err, "%s[%d].%s: a duration such as \"10m\", \"4h\" or \"1h30m\" "
                                    "(business time)", where, i, k->string);
                    goto fail;
                }
                any = 1;
            } else if (strcmp(k->string, "category") == 0) {
                if (!cJSON_IsString(k) || !category_known(k->valuestring)) {
                    bd_err_set(err, "%s[%d].category: \"%s\" is not a category or "
                                    "category/subcategory of the taxonomy", where, i,
                               cJSON_IsString(k) ? k->valuestring : "(not a string)");
                    goto fail;
                }
                x->category = bd_strdup(k->valuestring);
            } else if (strcmp(k->string, "priority") == 0) {
                x->priority = cJSON_IsString(k) ? parse_priority(k->valuestring) : -1;
                if (x->priority < 0) {
                    bd_err_set(err, "%s[%d].priority: low, normal, high or urgent", where, i);
                    goto fail;
                }
            } else {
                bd_err_set(err, "%s[%d].%s: unknown key (category, priority, first_reply, "
                                "next_reply, resolution)", where, i, k->string);
                goto fail;
            }
        }
        if (!any) {
            bd_err_set(err, "%s[%d]: sets no target (first_reply, next_reply, resolution)",
                       where, i);
            goto fail;
        }
        for (size_t j = 0; j + 1 < *n; j++)
            if (bd_streq(r[j].category, x->category) && r[j].priority == x->priority) {
                bd_err_set(err, "%s[%d]: same category and priority as %s[%zu]", where, i,
                           where, j);
                goto fail;
            }
    }
    *out = r;
    return 0;
fail:
    free_rules(r, *n);
    *n = 0;
    return -1;
}

/* DOMAIN.md §4: an inquiry answered within 10 minutes of working time; complaints solved
 * within 24 hours; public complaints (negative reviews) contacted within 1 hour. */
static void default_rules(sla_target_rule **out, size_t *n)
{
    sla_target_rule *r = bd_calloc(3, sizeof *r);
    for (int i = 0; i < 3; i++) {
        r[i].priority = -1;
        for (int k = 0; k < SLA_N_CLOCKS; k++) r[i].target[k] = -1;
    }
    r[0].target[SLA_FIRST_REPLY] = 10 * 60;
    r[0].target[SLA_NEXT_REPLY] = 10 * 60;
    r[1].category = bd_strdup("dispute");
    r[1].target[SLA_RESOLUTION] = 24 * 3600;
    r[2].category = bd_strdup("review/negative");
    r[2].target[SLA_FIRST_REPLY] = 3600;
    r[2].target[SLA_RESOLUTION] = 24 * 3600;
    *out = r;
    *n = 3;
}

static sla_target_rule *copy_rules(const sla_target_rule *r, size_t n)
{
    sla_target_rule *c = bd_calloc(n ? n : 1, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        c[i] = r[i];
        c[i].category = bd_strdup(r[i].category);
    }
    return c;
}

static int find_team(const sla_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_teams; i++)
        if (strcmp(c->teams[i].name, name) == 0) return (int)i;
    return -1;
}

static int add_shop(sla_config *c, const char *shop, size_t team, const char *key, bd_err *err)
{
    for (size_t i = 0; i < c->n_shops; i++)
        if (strcmp(c->shops[i].shop, shop) == 0)
            return bd_err_set(err, "%s: shop \"%s\" is already served by team \"%s\"", key, shop,
                              c->teams[c->shops[i].team].name);
    c->shops = bd_realloc(c->shops, (c->n_shops + 1) * sizeof *c->shops);
    c->shops[c->n_shops++] = (sla_shop_rule){bd_strdup(shop), team, NULL};
    return 0;
}

static int parse_team(sla_config *c, const cJSON *t, int i, const sla_target_rule *defaults,
                      size_t n_defaults, bd_err *err)
{
    char where[64];
    snprintf(where, sizeof where, "sla.teams[%d]", i);
    if (!cJSON_IsObject(t)) return bd_err_set(err, "%s: must be an object", where);
    const char *name = bd_json_str(t, "name");
    if (!name || !*name) return bd_err_set(err, "%s.name: required", where);
    if (find_team(c, name) >= 0)
        return bd_err_set(err, "%s.name: team \"%s\" is configured twice", where, name);
    sla_team team = {0};
    if (cal_from_json(t, where, &team.calendar, err)) return -1;
    team.name = bd_strdup(name);
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(t, "targets");
    char key[96];
    snprintf(key, sizeof key, "%s.targets", where);
    if (rules) {
        if (parse_rules(rules, key, &team.rules, &team.n_rules, err)) {
            cal_free(team.calendar);
            free(team.name);
            return -1;
        }
    } else {
        team.rules = copy_rules(defaults, n_defaults);
        team.n_rules = n_defaults;
    }
    c->teams = bd_realloc(c->teams, (c->n_teams + 1) * sizeof *c->teams);
    c->teams[c->n_teams++] = team;
    const cJSON *shops = cJSON_GetObjectItemCaseSensitive(t, "shops");
    if (shops && !cJSON_IsArray(shops))
        return bd_err_set(err, "%s.shops: must be a list of shop names", where);
    int k = 0;
    for (const cJSON *s = shops ? shops->child : NULL; s; s = s->next, k++) {
        snprintf(key, sizeof key, "%s.shops[%d]", where, k);
        if (!cJSON_IsString(s)) return bd_err_set(err, "%s: must be a shop name", key);
        if (add_shop(c, s->valuestring, c->n_teams - 1, key, err)) return -1;
    }
    return 0;
}

static int parse_deadlines(sla_config *c, const cJSON *o, bd_err *err)
{
    static const struct {
        const char *name;
        int hours;
    } defaults[] = {{"amazon", 24}, {"ebay", 24}, {"shopee", 12}, {"walmart", 48}, {"mail", 24}};
    c->default_deadline = 24 * 3600;
    size_t nd = sizeof defaults / sizeof defaults[0];
    c->deadlines = bd_calloc(nd, sizeof *c->deadlines);
    for (size_t i = 0; i < nd; i++)
        c->deadlines[c->n_deadlines++] =
            (sla_deadline){bd_strdup(defaults[i].name), defaults[i].hours * 3600LL};
    if (!o) return 0;
    if (!cJSON_IsObject(o))
        return bd_err_set(err, "sla.marketplace_deadline_hours: must be an object such as "
                               "{\"amazon\": 24}");
    for (const cJSON *k = o->child; k; k = k->next) {
        if (!cJSON_IsNumber(k) || k->valuedouble <= 0 || k->valuedouble > 24 * 365)
            return bd_err_set(err, "sla.marketplace_deadline_hours.%s: a positive number of "
                                   "hours", k->string);
        int64_t secs = (int64_t)(k->valuedouble * 3600);
        if (strcmp(k->string, "default") == 0) {
            c->default_deadline = secs;
            continue;
        }
        char *name = bd_strdup(k->string);
        bd_str_lower_ascii(name);
        size_t j = 0;
        while (j < c->n_deadlines && strcmp(c->deadlines[j].marketplace, name) != 0) j++;
        if (j == c->n_deadlines) {
            c->deadlines = bd_realloc(c->deadlines, (j + 1) * sizeof *c->deadlines);
            c->deadlines[c->n_deadlines++] = (sla_deadline){name, secs};
        } else {
            c->deadlines[j].seconds = secs;
            free(name);
        }
    }
    return 0;
}

static int parse_auto_ack(sla_config *c, const cJSON *o, bd_err *err)
{
    if (!o) return 0;
    if (!cJSON_IsObject(o))
        return bd_err_set(err, "sla.auto_ack: must be an object {\"authors\": [...], "
                               "\"marker\": \"...\"}");
    const cJSON *authors = cJSON_GetObjectItemCaseSensitive(o, "authors");
    if (authors && !cJSON_IsArray(authors))
        return bd_err_set(err, "sla.auto_ack.authors: must be a list of author names");
    int i = 0;
    for (const cJSON *a = authors ? authors->child : NULL; a; a = a->next, i++) {
        if (!cJSON_IsString(a) || !*a->valuestring)
            return bd_err_set(err, "sla.auto_ack.authors[%d]: must be a name", i);
        c->auto_authors = bd_realloc(c->auto_authors, (c->n_auto_authors + 1) * sizeof(char *));
        c->auto_authors[c->n_auto_authors++] = bd_strdup(a->valuestring);
    }
    const cJSON *marker = cJSON_GetObjectItemCaseSensitive(o, "marker");
    if (marker && (!cJSON_IsString(marker) || !*marker->valuestring))
        return bd_err_set(err, "sla.auto_ack.marker: must be a non-empty string");
    c->auto_marker = marker ? bd_strdup(marker->valuestring) : NULL;
    for (const cJSON *k = o->child; k; k = k->next)
        if (strcmp(k->string, "authors") != 0 && strcmp(k->string, "marker") != 0)
            return bd_err_set(err, "sla.auto_ack.%s: unknown key (authors, marker)", k->string);
    return 0;
}

static int parse_shop_calendars(sla_config *c, const cJSON *o, bd_err *err)
{
    if (!o) return 0;
    if (!cJSON_IsObject(o))
        return bd_err_set(err, "sla.shop_calendars: must be an object {\"shop name\": "
                               "{\"time_zone\": ..., \"hours\": ...}}");
    for (const cJSON *k = o->child; k; k = k->next) {
        char where[192];
        snprintf(where, sizeof where, "sla.shop_calendars.%s", k->string);
        cal_calendar *cal;
        if (cal_from_json(k, where, &cal, err)) return -1;
        size_t i = 0;
        while (i < c->n_shops && strcmp(c->shops[i].shop, k->string) != 0) i++;
        if (i == c->n_shops) {
            c->shops = bd_realloc(c->shops, (c->n_shops + 1) * sizeof *c->shops);
            c->shops[c->n_shops++] = (sla_shop_rule){bd_strdup(k->string), c->default_team, NULL};
        }
        c->shops[i].calendar = cal;
    }
    return 0;
}

static const char *const known_keys[] = {
    "teams", "default_team", "targets", "shop_calendars", "marketplace_deadline_hours",
    "warning_minutes", "auto_ack", "report_time_zone", NULL};

static int load(sla_config *c, const cJSON *sla, bd_err *err)
{
    if (sla && !cJSON_IsObject(sla)) return bd_err_set(err, "sla: must be an object");
    for (const cJSON *k = sla ? sla->child : NULL; k; k = k->next)
        if (!bd_str_in(k->string, known_keys))
            return bd_err_set(err, "sla.%s: unknown key (see docs/sla.md)", k->string);
    sla_target_rule *defaults;
    size_t n_defaults;
    const cJSON *targets = sla ? cJSON_GetObjectItemCaseSensitive(sla, "targets") : NULL;
    if (targets) {
        if (parse_rules(targets, "sla.targets", &defaults, &n_defaults, err)) return -1;
    } else {
        default_rules(&defaults, &n_defaults);
    }
    const cJSON *teams = sla ? cJSON_GetObjectItemCaseSensitive(sla, "teams") : NULL;
    int rc = 0;
    if (teams && (!cJSON_IsArray(teams) || !teams->child))
        rc = bd_err_set(err, "sla.teams: must be a non-empty list of teams");
    int i = 0;
    for (const cJSON *t = teams ? teams->child : NULL; !rc && t; t = t->next, i++)
        rc = parse_team(c, t, i, defaults, n_defaults, err);
    if (!rc && c->n_teams == 0) { /* built-in: UTC office hours */
        sla_team team = {.name = bd_strdup("default")};
        team.calendar = cal_new("UTC", err);
        for (int d = 1; d <= 5; d++) cal_add_hours(team.calendar, d, 9 * 60, 18 * 60, err);
        team.rules = copy_rules(defaults, n_defaults);
        team.n_rules = n_defaults;
        c->teams = bd_calloc(1, sizeof *c->teams);
        c->teams[c->n_teams++] = team;
    }
    free_rules(defaults, n_defaults);
    if (rc) return -1;
    const char *dflt = sla ? bd_json_str(sla, "default_team") : NULL;
    if (dflt) {
        int t = find_team(c, dflt);
        if (t < 0) return bd_err_set(err, "sla.default_team: no team named \"%s\"", dflt);
        c->default_team = (size_t)t;
    }
    if (parse_shop_calendars(c, sla ? cJSON_GetObjectItemCaseSensitive(sla, "shop_calendars")
                                    : NULL, err) ||
        parse_deadlines(c, sla ? cJSON_GetObjectItemCaseSensitive(sla,
                                                                  "marketplace_deadline_hours")
                               : NULL, err) ||
        parse_auto_ack(c, sla ? cJSON_GetObjectItemCaseSensitive(sla, "auto_ack") : NULL, err))
        return -1;
    c->warning_lead = 30 * 60;
    const cJSON *w = sla ? cJSON_GetObjectItemCaseSensitive(sla, "warning_minutes") : NULL;
    if (w) {
        if (!cJSON_IsNumber(w) || w->valuedouble < 0 || w->valuedouble > 7 * 24 * 60)
            return bd_err_set(err, "sla.warning_minutes: a number of minutes (0-10080)");
        c->warning_lead = (int64_t)(w->valuedouble * 60);
    }
    const cJSON *rz = sla ? cJSON_GetObjectItemCaseSensitive(sla, "report_time_zone") : NULL;
    if (rz && !cJSON_IsString(rz))
        return bd_err_set(err, "sla.report_time_zone: an IANA time zone name");
    bd_err e2;
    c->report_calendar = cal_new(rz ? rz->valuestring : cal_zone(c->teams[c->default_team].calendar),
                                 &e2);
    if (!c->report_calendar) return bd_err_set(err, "sla.report_time_zone: %s", e2.msg);
    return 0;
}

int sla_config_load(const bd_config *cfg, sla_config **out, bd_err *err)
{
    *out = NULL;
    sla_config *c = bd_calloc(1, sizeof *c);
    const cJSON *sla = cfg && cfg->root ? cJSON_GetObjectItemCaseSensitive(cfg->root, "sla") : NULL;
    bd_err e2;
    if (load(c, sla, &e2)) {
        bd_err_set(err, "%s: %s", cfg && cfg->path ? cfg->path : "configuration", e2.msg);
        sla_config_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void sla_config_free(sla_config *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_teams; i++) {
        free(c->teams[i].name);
        cal_free(c->teams[i].calendar);
        free_rules(c->teams[i].rules, c->teams[i].n_rules);
    }
    free(c->teams);
    for (size_t i = 0; i < c->n_shops; i++) {
        free(c->shops[i].shop);
        cal_free(c->shops[i].calendar);
    }
    free(c->shops);
    for (size_t i = 0; i < c->n_deadlines; i++) free(c->deadlines[i].marketplace);
    free(c->deadlines);
    for (size_t i = 0; i < c->n_auto_authors; i++) free(c->auto_authors[i]);
    free(c->auto_authors);
    free(c->auto_marker);
    cal_free(c->report_calendar);
    free(c);
}

sla_config *sla_config_thread_copy(const sla_config *c, bd_err *err)
{
    sla_config *x = bd_malloc(sizeof *x);
    *x = *c;
    x->teams = bd_calloc(c->n_teams ? c->n_teams : 1, sizeof *x->teams);
    x->shops = bd_calloc(c->n_shops ? c->n_shops : 1, sizeof *x->shops);
    x->report_calendar = NULL;
    int ok = 1; /* the copy holds only calendars of its own, so that it can free them */
    for (size_t i = 0; i < c->n_teams; i++) {
        x->teams[i] = c->teams[i];
        x->teams[i].calendar = ok ? cal_copy(c->teams[i].calendar, err) : NULL;
        ok = ok && x->teams[i].calendar;
    }
    for (size_t i = 0; i < c->n_shops; i++) {
        x->shops[i] = c->shops[i];
        x->shops[i].calendar = ok && c->shops[i].calendar ? cal_copy(c->shops[i].calendar, err)
                                                          : NULL;
        ok = ok && (x->shops[i].calendar || !c->shops[i].calendar);
    }
    ok = ok && (x->report_calendar = cal_copy(c->report_calendar, err)) != NULL;
    if (!ok) {
        sla_config_thread_free(x);
        return NULL;
    }
    return x;
}

void sla_config_thread_free(sla_config *x)
{
    if (!x) return;
    for (size_t i = 0; i < x->n_teams; i++) cal_free(x->teams[i].calendar);
    for (size_t i = 0; i < x->n_shops; i++) cal_free(x->shops[i].calendar);
    free(x->teams);
    free(x->shops);
    cal_free(x->report_calendar);
    free(x);
}

static const sla_shop_rule *shop_rule(const sla_config *c, const char *shop)
{
    for (size_t i = 0; shop && i < c->n_shops; i++)
        if (strcmp(c->shops[i].shop, shop) == 0) return &c->shops[i];
    return NULL;
}

const sla_team *sla_shop_team(const sla_config *c, const char *shop)
{
    const sla_shop_rule *r = shop_rule(c, shop);
    return &c->teams[r ? r->team : c->default_team];
}

cal_calendar *sla_shop_calendar(const sla_config *c, const char *shop)
{
    const sla_shop_rule *r = shop_rule(c, shop);
    if (r && r->calendar) return r->calendar;
    return sla_shop_team(c, shop)->calendar;
}

int64_t sla_target(const sla_team *team, const char *category, const char *subcategory,
                   int priority, int clock)
{
    int best = -1;
    int64_t target = -1;
    for (size_t i = 0; i < team->n_rules; i++) {
        const sla_target_rule *r = &team->rules[i];
        if (r->target[clock] < 0) continue;
        if (r->priority >= 0 && r->priority != priority) continue;
        int score = r->priority >= 0 ? 1 : 0;
        if (r->category) {
            const char *slash = strchr(r->category, '/');
            size_t n = slash ? (size_t)(slash - r->category) : strlen(r->category);
            if (!category || strlen(category) != n || strncmp(category, r->category, n) != 0)
                continue;
            if (slash && !bd_streq(subcategory, slash + 1)) continue;
            score += slash ? 4 : 2;
        }
        if (score > best) {
            best = score;
            target = r->target[clock];
        }
    }
    return target;
}

int64_t sla_marketplace_deadline(const sla_config *c, const char *marketplace)
{
    for (size_t i = 0; marketplace && i < c->n_deadlines; i++)
        if (strcasecmp(c->deadlines[i].marketplace, marketplace) == 0)
            return c->deadlines[i].seconds;
    return c->default_deadline;
}

int sla_is_auto_ack(const sla_config *c, const char *author, const char *body)
{
    /* borderdesk's own messages (survey invitations) are never a person's reply */
    if (author && strncmp(author, BD_AUTHOR_AUTOMATIC, strlen(BD_AUTHOR_AUTOMATIC)) == 0) return 1;
    for (size_t i = 0; author && i < c->n_auto_authors; i++)
        if (strcmp(c->auto_authors[i], author) == 0) return 1;
    return c->auto_marker && body && strstr(body, c->auto_marker) != NULL;
}
