/* test_survey.c — surveys: configuration, tokens, creation when a ticket is solved (once per
 * ticket, never for blacklisted buyers or spam), responses and every refusal (late, repeated,
 * out of range, unasked dimension, bad comment), the invitation data, dates in the buyer's
 * language and the 12 invitation templates. Times are chosen by the test, never the clock. */
#include "testutil.h"

#include "borderdesk/loyalty.h"
#include "borderdesk/survey.h"
#include "borderdesk/ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

typedef struct fixture {
    char *path;
    bd_store *s;
    ticket_ctx ctx;
    bd_config cfg;
} fixture;

static const char *const CONFIG =
    "{\"surveys\": {\"enabled\": true, \"kind\": \"csat\", \"expires_days\": 7,"
    " \"dimensions\": [\"quality\", \"speed\"], \"url\": \"https://fb.example/s/{token}?x=1\"},"
    " \"shops\": [{\"name\": \"nps-shop\", \"marketplace\": \"ebay\","
    "   \"surveys\": {\"kind\": \"nps\", \"dimensions\": []}},"
    "  {\"name\": \"quiet-shop\", \"marketplace\": \"ebay\", \"surveys\": {\"enabled\": false}}]}";

static int setup(void **state)
{
    fixture *f = bd_calloc(1, sizeof *f);
    f->s = tu_open_new(&f->path);
    f->cfg.root = cJSON_Parse(CONFIG);
    f->cfg.templates_dir = bd_asprintf(
        "%s/templates", getenv("BD_SOURCE_DIR") ? getenv("BD_SOURCE_DIR") : BD_SOURCE_DIR);
    f->ctx.store = f->s;
    f->ctx.reopen_window = 7 * DAY;
    f->ctx.actor = "agent.wu";
    f->ctx.on_solved = survey_on_ticket_solved;
    f->ctx.on_solved_ud = &f->cfg;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ticket_ctx_clear(&f->ctx);
    cJSON_Delete(f->cfg.root);
    free(f->cfg.templates_dir);
    store_close(f->s);
    tu_remove_db(f->path);
    free(f->path);
    free(f);
    return 0;
}

static int64_t ticket(fixture *f, const char *shop, const char *buyer, const char *ext,
                      const char *lang)
{
    char json[768];
    snprintf(json, sizeof json,
             "{\"shop\":\"%s\",\"marketplace\":\"ebay\",\"external_id\":\"%s\","
             "\"buyer\":{\"external_id\":\"%s\",\"name\":\"Anna Schmidt\",\"language\":\"%s\"},"
             "\"conversation_id\":\"%s\",\"direction\":\"in\",\"body\":\"hello\","
             "\"sent_at\":\"2026-11-02T08:00:00Z\"}",
             shop, ext, buyer, lang, ext);
    bd_message m;
    tu_message(&m, json);
    ticket_ingest_result res;
    bd_err err;
    if (ticket_ingest_message(&f->ctx, &m, &res, &err)) fail_msg("message: %s", err.msg);
    bd_message_clear(&m);
    return res.ticket_id;
}

static void solve(fixture *f, int64_t id)
{
    bd_err err;
    assert_int_equal(store_begin(f->s, &err), 0);
    if (ticket_set_status(&f->ctx, id, "solved", &err)) fail_msg("solve: %s", err.msg);
    assert_int_equal(store_commit(f->s, &err), 0);
}

static int survey_of(fixture *f, int64_t ticket_id, store_survey *v)
{
    int64_t id;
    bd_err err;
    int found = store_survey_for_ticket(f->s, ticket_id, &id, &err);
    if (found != 1) return 0;
    assert_int_equal(store_survey_get(f->s, id, v, &err), 1);
    return 1;
}

static void test_policy(void **state)
{
    fixture *f = *state;
    survey_policy p;
    bd_err err;
    assert_int_equal(survey_policy_load(&f->cfg, "ebay-us", &p, &err), 0);
    assert_true(p.enabled);
    assert_string_equal(p.kind, "csat");
    assert_int_equal(p.expires, 7 * DAY);
    assert_int_equal(p.dimensions[0], 1); /* quality */
    assert_int_equal(p.dimensions[1], 0);
    assert_int_equal(p.dimensions[2], 1); /* speed */
    assert_int_equal(survey_policy_load(&f->cfg, "nps-shop", &p, &err), 0);
    assert_string_equal(p.kind, "nps");
    assert_int_equal(p.dimensions[0], 0);
    assert_int_equal(survey_policy_load(&f->cfg, "quiet-shop", &p, &err), 0);
    assert_false(p.enabled);
    assert_int_equal(survey_policy_load(NULL, NULL, &p, &err), 0); /* defaults: off */
    assert_false(p.enabled);
    /* without "url" the link is the page borderdesk serves: <public_url>/s/{token} */
    bd_config d = {.root = cJSON_Parse("{\"surveys\": {\"enabled\": true}}")};
    assert_int_equal(survey_policy_load(&d, NULL, &p, &err), 0);
    assert_string_equal(p.url, "http://127.0.0.1:8080/s/{token}");
    cJSON_Delete(d.root);
    d.root = cJSON_Parse("{\"surveys\": {\"enabled\": true}, \"public_url\": \"https://h.example/help/\"}");
    assert_int_equal(survey_policy_load(&d, NULL, &p, &err), 0);
    assert_string_equal(p.url, "https://h.example/help/s/{token}");
    cJSON_Delete(d.root);
    const char *bad[][2] = {
        {"{\"surveys\": {\"enabled\": true}, \"public_url\": \"ftp://x\"}", "public_url"},
        {"{\"surveys\": {\"enabled\": true}, \"public_url\": 5}", "public_url"},
        {"{\"surveys\": {\"kind\": \"stars\"}}", "kind must be"},
        {"{\"surveys\": {\"url\": \"https://x/\"}}", "{token}"},
        {"{\"surveys\": {\"dimensions\": [\"taste\"]}}", "unknown dimension"},
        {"{\"surveys\": {\"expires_days\": 0}}", "expires_days"},
        {"{\"surveys\": {\"enable\": true}}", "unknown key \"enable\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bd_config c = {.root = cJSON_Parse(bad[i][0])};
        assert_int_equal(survey_policy_load(&c, NULL, &p, &err), -1);
        if (!strstr(err.msg, bad[i][1])) fail_msg("%s: \"%s\"", bad[i][0], err.msg);
        cJSON_Delete(c.root);
    }
}

static void test_tokens(void **state)
{
    (void)state;
    enum { N = 2000 };
    static char tokens[N][33];
    bd_err err;
    for (int i = 0; i < N; i++) {
        assert_int_equal(survey_token(tokens[i], &err), 0);
        assert_int_equal(strlen(tokens[i]), 32); /* 24 bytes = 192 bits, base64url */
        for (int k = 0; k < 32; k++)
            assert_non_null(strchr(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tokens[i][k]));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(tokens[i], tokens[j]);
    }
}

static void test_created_when_solved(void **state)
{
    fixture *f = *state;
    int64_t t = ticket(f, "ebay-us", "anna", "m1", "de");
    store_survey v;
    assert_false(survey_of(f, t, &v));
    solve(f, t);
    assert_true(survey_of(f, t, &v));
    assert_string_equal(v.kind, "csat");
    assert_string_equal(v.language, "de");
    assert_string_equal(v.dimensions, "[\"quality\",\"speed\"]");
    assert_int_equal(v.expires_at - v.created_at, 7 * DAY);
    assert_int_equal(strlen(v.token), 32);
    assert_string_equal(survey_status(&v, v.created_at), "pending");
    assert_string_equal(survey_status(&v, v.expires_at), "expired");
    /* the ticket's history says so */
    store_event *e;
    size_t n;
    bd_err err;
    assert_int_equal(store_ticket_events(f->s, t, &e, &n, &err), 0);
    assert_string_equal(e[n - 1].kind, "survey_created");
    store_events_free(e, n);
    /* reopened and solved again: still one survey */
    int64_t first = v.id;
    store_survey_clear(&v);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(ticket_set_status(&f->ctx, t, "open", &err), 0);
    assert_int_equal(store_commit(f->s, &err), 0);
    solve(f, t);
    assert_true(survey_of(f, t, &v));
    assert_int_equal(v.id, first);
    assert_int_equal(store_count(f->s, "surveys"), 1);
    store_survey_clear(&v);

    /* per-shop kind; a language without templates falls back to en */
    int64_t t2 = ticket(f, "nps-shop", "bo", "m2", "xx");
    solve(f, t2);
    assert_true(survey_of(f, t2, &v));
    assert_string_equal(v.kind, "nps");
    assert_string_equal(v.language, "en");
    store_survey_clear(&v);
    /* disabled shop, blacklisted buyer, spam: no survey */
    int64_t t3 = ticket(f, "quiet-shop", "cy", "m3", "en");
    solve(f, t3);
    assert_false(survey_of(f, t3, &v));
    int64_t t4 = ticket(f, "ebay-us", "dan", "m4", "en");
    store_ticket tk;
    assert_int_equal(store_ticket_get(f->s, t4, &tk, &err), 1);
    loyalty_settings *set;
    assert_int_equal(loyalty_settings_load(NULL, &set, &err), 0);
    assert_int_equal(loyalty_blacklist_add(f->s, set, tk.buyer_id, "abuse", "lead", 1, &err), 0);
    loyalty_settings_free(set);
    store_ticket_clear(&tk);
    solve(f, t4);
    assert_false(survey_of(f, t4, &v));
    int64_t t5 = ticket(f, "ebay-us", "eve", "m5", "en");
    assert_int_equal(store_ticket_set_classification(f->s, t5, "other", "spam", "en", 0, 0, &err),
                     0);
    solve(f, t5);
    assert_false(survey_of(f, t5, &v));
}

static void respond_ok(fixture *f, const char *token, int score, int64_t at)
{
    survey_response r = {.score = score};
    bd_err err;
    if (survey_respond(f->s, token, &r, at, &err)) fail_msg("respond: %s", err.msg);
}

static void refused(fixture *f, const char *token, const survey_response *r, int64_t at,
                    const char *why)
{
    bd_err err;
    assert_int_equal(survey_respond(f->s, token, r, at, &err), -1);
    if (!strstr(err.msg, why)) fail_msg("want \"%s\", got \"%s\"", why, err.msg);
}

static void test_responses(void **state)
{
    fixture *f = *state;
    int64_t t = ticket(f, "ebay-us", "anna", "m1", "en");
    solve(f, t);
    store_survey v;
    assert_true(survey_of(f, t, &v));
    int64_t at = v.created_at + DAY;
    survey_response r = {.score = 6};
    refused(f, v.token, &r, at, "a CSAT score is a whole number from 1 to 5, not 6");
    r.score = 0;
    refused(f, v.token, &r, at, "from 1 to 5, not 0");
    r.score = 5;
    r.n_dims = 1;
    r.dims[0].name = "price";
    r.dims[0].score = 4;
    refused(f, v.token, &r, at, "does not ask about \"price\"");
    r.dims[0].name = "quality";
    r.dims[0].score = 6;
    refused(f, v.token, &r, at, "a quality score is a whole number from 1 to 5");
    r.dims[0].score = 4;
    r.dims[1].name = "quality";
    r.dims[1].score = 3;
    r.n_dims = 2;
    refused(f, v.token, &r, at, "given twice");
    r.n_dims = 1;
    r.comment = "\xff\xfe";
    refused(f, v.token, &r, at, "not valid UTF-8");
    refused(f, "no-such-token", &r, at, "no survey has this token");
    r.comment = "Sehr schnell geholfen, danke!";
    /* late: at the expiry exactly */
    refused(f, v.token, &r, v.expires_at, "this survey expired on");
    /* nothing was recorded by the refusals */
    assert_int_equal(store_count(f->s, "survey_answers"), 0);
    bd_err err;
    assert_int_equal(survey_respond(f->s, v.token, &r, at, &err), 0);
    refused(f, v.token, &r, at + 60, "this survey was already answered on");
    store_survey w;
    assert_int_equal(store_survey_get(f->s, v.id, &w, &err), 1);
    assert_int_equal(w.score, 5);
    assert_int_equal(w.responded_at, at);
    assert_int_equal(w.dims[0], 4);
    assert_string_equal(w.comment, "Sehr schnell geholfen, danke!");
    assert_string_equal(survey_status(&w, at), "answered");
    store_survey_clear(&w);
    /* the buyer's loyalty profile is queued (dissatisfaction lowers the loyalty class) */
    assert_int_equal(store_count(f->s, "loyalty_dirty"), 1);
    store_survey_clear(&v);

    /* NPS takes 0-10 */
    int64_t t2 = ticket(f, "nps-shop", "bo", "m2", "en");
    solve(f, t2);
    assert_true(survey_of(f, t2, &v));
    r = (survey_response){.score = 11};
    refused(f, v.token, &r, v.created_at + 1, "an NPS score is a whole number from 0 to 10");
    respond_ok(f, v.token, 0, v.created_at + 1);
    store_survey_clear(&v);
    int lo, hi;
    assert_int_equal(survey_score_range("ces", &lo, &hi), 0);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 7);
}

static void test_invitation(void **state)
{
    fixture *f = *state;
    int64_t t = ticket(f, "ebay-us", "anna", "m1", "de");
    solve(f, t);
    store_survey v;
    assert_true(survey_of(f, t, &v));
    survey_policy p;
    bd_err err;
    assert_int_equal(survey_policy_load(&f->cfg, v.shop, &p, &err), 0);
    v.expires_at = 1796601600; /* 2026-12-07T00:00:00Z */
    cJSON *d = survey_invitation_data(&v, &p);
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(d, "survey");
    char want[128];
    snprintf(want, sizeof want, "https://fb.example/s/%s?x=1", v.token);
    assert_string_equal(bd_json_str(sv, "url"), want);
    assert_string_equal(bd_json_str(sv, "expires_at"), "7. Dezember 2026");
    assert_string_equal(bd_json_str(cJSON_GetObjectItemCaseSensitive(d, "buyer"), "name"),
                        "Anna Schmidt");
    assert_string_equal(bd_json_str(cJSON_GetObjectItemCaseSensitive(d, "shop"), "name"),
                        "ebay-us");
    cJSON_Delete(d);
    char *tpl = survey_invitation_template(&f->cfg, "de");
    assert_non_null(strstr(tpl, "/templates/de/survey/invitation.mustache"));
    free(tpl);
    tpl = survey_invitation_template(&f->cfg, "tlh");
    assert_non_null(strstr(tpl, "/templates/en/survey/invitation.mustache"));
    free(tpl);
    store_survey_clear(&v);
}

static void test_dates_in_each_language(void **state)
{
    (void)state;
    const char *want[][2] = {
        {"en", "December 1, 2026"},  {"es", "1 de diciembre de 2026"},
        {"fr", "1er décembre 2026"}, {"de", "1. Dezember 2026"},
        {"it", "1º dicembre 2026"},  {"pt", "1 de dezembro de 2026"},
        {"ru", "1 декабря 2026 г."}, {"pl", "1 grudnia 2026 r."},
        {"ja", "2026年12月1日"},     {"ko", "2026년 12월 1일"},
        {"ar", "1 ديسمبر 2026"},     {"zh", "2026年12月1日"},
        {"xx", "2026-12-01"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char out[64];
        survey_format_date(want[i][0], 1796083200 /* 2026-12-01 */, out, sizeof out);
        assert_string_equal(out, want[i][1]);
    }
    char out[64];
    survey_format_date("fr", 1796169600 /* 2026-12-02 */, out, sizeof out);
    assert_string_equal(out, "2 décembre 2026");
}

/* A renderer for the little Mustache the invitations use — {{name}}, {{{name}}}, sections and
 * inverted sections over one name, comments — to check what a buyer would read. */
static char *render(const char *tpl, const cJSON *data)
{
    bd_buf out = BD_BUF_INIT;
    const char *p = tpl;
    int skip = 0; /* depth of a false section */
    char skipping[128] = "";
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            if (!skip) bd_buf_puts(&out, p);
            break;
        }
        if (!skip) bd_buf_append(&out, p, (size_t)(open - p));
        int triple = open[2] == '{';
        const char *close = strstr(open, triple ? "}}}" : "}}");
        if (!close) fail_msg("unclosed tag");
        char tag[128];
        snprintf(tag, sizeof tag, "%.*s", (int)(close - open - 2 - triple), open + 2 + triple);
        p = close + 2 + triple;
        char kind = tag[0];
        const char *name =
            (kind == '#' || kind == '^' || kind == '/' || kind == '!') ? tag + 1 : tag;
        if (kind == '!') {
            if (*p == '\n') p++;
            continue;
        }
        char key[128];
        snprintf(key, sizeof key, "%s", name);
        char *dot = strchr(key, '.');
        const cJSON *v = NULL;
        if (dot) {
            *dot = '\0';
            v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(data, key),
                                                 dot + 1);
        }
        int truthy = v && !cJSON_IsNull(v) && !(cJSON_IsString(v) && !*v->valuestring);
        if (kind == '#' || kind == '^') {
            if (!skip && (kind == '#' ? !truthy : truthy)) {
                skip = 1;
                snprintf(skipping, sizeof skipping, "%s", name);
            }
        } else if (kind == '/') {
            if (skip && strcmp(skipping, name) == 0) skip = 0;
        } else if (!skip) {
            if (!v) fail_msg("template uses {{%s}}, which the invitation data lacks", name);
            if (cJSON_IsString(v))
                bd_buf_puts(&out, v->valuestring);
            else
                bd_buf_printf(&out, "%g", v->valuedouble);
        }
    }
    return bd_buf_detach(&out);
}

static void test_templates_in_12_languages(void **state)
{
    fixture *f = *state;
    const char *langs[] = {"en", "es", "fr", "de", "it", "pt", "ru", "pl", "ja", "ko", "ar", "zh"};
    for (size_t i = 0; i < 12; i++) {
        char *path = survey_invitation_template(&f->cfg, langs[i]);
        bd_err err;
        char *tpl = bd_read_file(path, 0, NULL, &err);
        if (!tpl) fail_msg("%s: %s", path, err.msg);
        if (strncmp(tpl, "{{! title: ", 11) != 0) fail_msg("%s: no title header", path);
        assert_true(bd_utf8_valid(tpl, strlen(tpl)));
        assert_non_null(strstr(tpl, "{{{survey.url}}}"));
        assert_non_null(strstr(tpl, "{{survey.expires_at}}"));
        assert_non_null(strstr(tpl, "{{shop.name}}"));
        for (int named = 0; named < 2; named++) {
            store_survey v = {.ticket_id = 9,
                              .expires_at = 1796083200,
                              .token = "TOKEN-abc",
                              .language = (char *)langs[i],
                              .kind = "csat",
                              .shop = "Lumen Store",
                              .buyer_name = named ? "Kim Lee" : NULL};
            survey_policy p;
            assert_int_equal(survey_policy_load(&f->cfg, NULL, &p, &err), 0);
            cJSON *data = survey_invitation_data(&v, &p);
            char *text = render(tpl, data);
            char date[64];
            survey_format_date(langs[i], v.expires_at, date, sizeof date);
            if (!strstr(text, "https://fb.example/s/TOKEN-abc?x=1") || !strstr(text, date) ||
                !strstr(text, "Lumen Store") || strstr(text, "{{"))
                fail_msg("%s (named %d) renders badly:\n%s", langs[i], named, text);
            if (named && strcmp(langs[i], "pl") != 0 && !strstr(text, "Kim Lee"))
                fail_msg("%s: the buyer's name is missing:\n%s", langs[i], text);
            if (!named && strstr(text, "  ")) fail_msg("%s: a hole where the name was", langs[i]);
            free(text);
            cJSON_Delete(data);
        }
        free(tpl);
        free(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test_setup_teardown(test_created_when_solved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_responses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invitation, setup, teardown),
        cmocka_unit_test(test_dates_in_each_language),
        cmocka_unit_test_setup_teardown(test_templates_in_12_languages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
