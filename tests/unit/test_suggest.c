/* test_suggest.c — the reply-template library: every template renders with a rich and a
 * sparse context without holes or unknown names; ranking, variants, language fallback; the
 * context of a real ticket. */
#include "testutil.h"

#include "borderdesk/config.h"
#include "borderdesk/locale.h"
#include "borderdesk/suggest.h"
#include "borderdesk/taxonomy.h"
#include "borderdesk/ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *source_path(const char *rel)
{
    const char *src = getenv("BD_SOURCE_DIR");
    return bd_asprintf("%s/%s", src && *src ? src : BD_SOURCE_DIR, rel);
}

static void count_problem(void *ud, const char *path, const char *message)
{
    (void)path;
    fprintf(stderr, "problem: %s\n", message);
    ++*(int *)ud;
}

typedef struct names_state {
    cJSON *fill;
    int unknown;
    const char *id;
} names_state;

static void collect(void *ud, const char *name, char kind, const char *scope, unsigned line,
                    unsigned col)
{
    names_state *st = ud;
    if (!suggest_name_known(name, scope)) {
        fprintf(stderr, "%s:%u:%u: unknown name %s (%c)\n", st->id, line, col, name, kind);
        st->unknown++;
    }
    if (strncmp(name, "fill.", 5) == 0 && !cJSON_GetObjectItemCaseSensitive(st->fill, name + 5))
        cJSON_AddStringToObject(st->fill, name + 5, "VALUE");
}

static cJSON *rich_context(void)
{
    const char *json =
        "{\"greeting\":\"Dear Maria Garcia,\",\"closing\":\"Kind regards,\","
        "\"buyer\":{\"name\":\"Maria Garcia\",\"first_name\":\"Maria\",\"country\":\"ES\","
        "\"language\":\"es\",\"tier\":\"vip\"},"
        "\"order\":{\"id\":\"402-8391736-2284159\",\"status\":\"Shipped\",\"carrier\":\"Correos\","
        "\"tracking_number\":\"RB719248650CN\",\"tracking_url\":\"https://example.test/t?n=RB719248650CN\","
        "\"purchased_at\":\"1 Nov 2026\",\"shipped_at\":\"3 Nov 2026\",\"estimated_delivery\":"
        "\"20 Nov 2026\",\"total\":\"€23.90\",\"items\":[{\"title\":\"LED strip 5 m\","
        "\"quantity\":2,\"sku\":\"LED-5\"},{\"title\":\"USB-C cable\",\"quantity\":1,\"sku\":\"C-1\"}]},"
        "\"shop\":{\"name\":\"Kaidun Store\",\"signature\":\"Li Wei\\nKaidun Store\","
        "\"marketplace\":\"amazon\",\"return_days\":30},\"agent\":{\"name\":\"Li Wei\"},"
        "\"ticket\":{\"id\":42,\"subject\":\"Where is my order?\"}}";
    return cJSON_Parse(json);
}

static cJSON *sparse_context(void)
{
    return cJSON_Parse("{\"greeting\":\"Hello,\",\"closing\":\"Regards,\","
                       "\"shop\":{\"name\":\"Kaidun Store\",\"signature\":\"Kaidun Store\"}}");
}

/* A hole is what a missing fact leaves in Latin-script text. */
static const char *find_hole(const char *text)
{
    static const char *const holes[] = {" .", " ,", "()", "( )", "  ", ": .", "{{", "}}", NULL};
    for (const char *const *h = holes; *h; h++) {
        const char *p = strstr(text, *h);
        if (p) return p;
    }
    return NULL;
}

static void add_survey(cJSON *ctx)
{
    cJSON *sv = cJSON_AddObjectToObject(ctx, "survey");
    cJSON_AddStringToObject(sv, "url", "https://feedback.example.com/s/abc");
    cJSON_AddStringToObject(sv, "expires_at", "2026-01-08");
}

static void test_every_template_renders(void **state)
{
    (void)state;
    char *dir = source_path("templates");
    suggest_library *lib;
    bd_err err;
    int problems = 0;
    assert_int_equal(suggest_library_load(dir, count_problem, &problems, &lib, &err), 0);
    assert_int_equal(problems, 0);
    /* 28 subcategories x 12 languages at least */
    assert_true(lib->n >= bd_taxonomy_subcategory_count() * 12);
    int failures = 0;
    for (size_t i = 0; i < lib->n; i++) {
        const suggest_template *t = &lib->t[i];
        names_state st = {cJSON_CreateObject(), 0, t->id};
        tpl_names(t->tpl, collect, &st);
        failures += st.unknown;

        /* the survey invitation is rendered by src/survey, which always gives the survey */
        int survey = strcmp(t->category, "survey") == 0;
        cJSON *rich = rich_context();
        cJSON_AddItemToObject(rich, "fill", st.fill);
        if (survey) add_survey(rich);
        bd_buf out = BD_BUF_INIT;
        tpl_render_opts o = {.plain_text = 1, .fill_markers = 1};
        assert_int_equal(tpl_render(t->tpl, rich, &o, &out, &err), 0);
        const char *hole = find_hole(out.data);
        if (hole || strstr(out.data, "[[")) {
            fprintf(stderr, "%s (rich context): placeholder or hole near \"%.20s\"\n", t->id,
                    hole ? hole : strstr(out.data, "[["));
            failures++;
        }
        cJSON_Delete(rich);

        cJSON *sparse = sparse_context();
        if (survey) add_survey(sparse);
        bd_buf_reset(&out);
        assert_int_equal(tpl_render(t->tpl, sparse, &o, &out, &err), 0);
        hole = find_hole(out.data);
        if (hole) {
            fprintf(stderr, "%s (sparse context): hole near \"%.20s\"\n", t->id, hole);
            failures++;
        }
        /* the only visible markers are the agent's fill.* facts */
        for (const char *p = strstr(out.data, "[["); p; p = strstr(p + 2, "[[")) {
            size_t n = strcspn(p + 2, "]");
            char name[64];
            snprintf(name, sizeof name, "fill.%.*s", (int)n, p + 2);
            if (!suggest_name_known(name, NULL)) failures++;
        }
        cJSON_Delete(sparse);
        bd_buf_free(&out);
    }
    suggest_library_free(lib);
    free(dir);
    assert_int_equal(failures, 0);
}

/* A small library in a temporary directory. */
static char *make_library(void)
{
    char *dir = tu_temp_path("-tpl");
    assert_int_equal(mkdir(dir, 0775), 0);
    const char *files[][2] = {
        {"en/shipping/delay.mustache", "{{! title: Delay }}\nEN delay{{#order.id}} {{order.id}}{{/order.id}}\n"},
        {"en/shipping/delay.no_tracking.mustache",
         "{{! title: Delay, no tracking\n    when: tracking=no\n}}\nEN delay without tracking\n"},
        {"en/shipping/tracking.mustache", "{{! title: Tracking }}\nEN tracking\n"},
        {"en/other/unknown.mustache", "{{! title: Unknown }}\nEN unknown\n"},
        {"en/dispute/damaged.mustache", "{{! title: Damaged }}\nEN damaged {{fill.photo}}\n"},
        {"en/dispute/damaged.vip.mustache",
         "{{! title: Damaged, VIP\n    when: tier=vip\n}}\nEN damaged, a replacement is on its way\n"},
        {"pt/shipping/delay.mustache", "{{! title: Atraso }}\nPT atraso\n"},
        {"de/shipping/delay.mustache", "{{! title: broken }}\n{{#order.id}}unclosed\n"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = bd_asprintf("%s/%s", dir, files[i][0]);
        for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
            *p = '\0';
            mkdir(path, 0775);
            *p = '/';
        }
        FILE *f = fopen(path, "w");
        fputs(files[i][1], f);
        fclose(f);
        free(path);
    }
    return dir;
}

static void test_ranking(void **state)
{
    (void)state;
    char *dir = make_library();
    suggest_library *lib;
    bd_err err;
    int problems = 0;
    assert_int_equal(suggest_library_load(dir, count_problem, &problems, &lib, &err), 0);
    assert_int_equal(problems, 1); /* the broken German template is left out */
    assert_int_equal(lib->n, 7);

    suggest_facts f = {0};
    strcpy(f.language, "en");
    strcpy(f.category, "shipping");
    strcpy(f.subcategory, "delay");
    strcpy(f.tracking, "no");
    cJSON *ctx = cJSON_Parse("{\"order\":{\"id\":\"12-34567-89012\"}}");
    suggestion *s;
    size_t n;
    assert_int_equal(suggest_rank(lib, &f, ctx, 10, &s, &n, &err), 0);
    assert_int_equal(n, 3); /* both delay templates, then tracking (same category) */
    assert_string_equal(s[0].tpl->id, "en/shipping/delay.no_tracking");
    assert_string_equal(s[1].tpl->id, "en/shipping/delay");
    assert_string_equal(s[1].text, "EN delay 12-34567-89012\n");
    assert_string_equal(s[2].tpl->id, "en/shipping/tracking");
    suggestions_free(s, n);

    /* with tracking the variant does not apply */
    strcpy(f.tracking, "yes");
    assert_int_equal(suggest_rank(lib, &f, ctx, 1, &s, &n, &err), 0);
    assert_string_equal(s[0].tpl->id, "en/shipping/delay");
    suggestions_free(s, n);

    /* pt_BR falls back to pt; a subcategory pt lacks comes in English, marked */
    strcpy(f.language, "pt_BR");
    assert_int_equal(suggest_rank(lib, &f, ctx, 10, &s, &n, &err), 0);
    assert_string_equal(s[0].tpl->id, "pt/shipping/delay");
    assert_false(s[0].fallback);
    int saw_fallback = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(s[i].tpl->id, "en/shipping/delay"); /* pt has its own */
        saw_fallback |= s[i].fallback && strcmp(s[i].tpl->id, "en/shipping/tracking") == 0;
    }
    assert_true(saw_fallback);
    suggestions_free(s, n);

    /* missing facts the agent must give */
    strcpy(f.language, "en");
    strcpy(f.category, "dispute");
    strcpy(f.subcategory, "damaged");
    assert_int_equal(suggest_rank(lib, &f, ctx, 1, &s, &n, &err), 0);
    assert_string_equal(s[0].text, "EN damaged [[photo]]\n"); /* no tier: no VIP variant */
    suggestions_free(s, n);
    strcpy(f.tier, "vip");
    assert_int_equal(suggest_rank(lib, &f, ctx, 2, &s, &n, &err), 0);
    assert_string_equal(s[0].tpl->id, "en/dispute/damaged.vip"); /* the goodwill offer first */
    assert_string_equal(s[1].tpl->id, "en/dispute/damaged");
    suggestions_free(s, n);
    f.tier[0] = '\0';
    assert_int_equal(suggest_rank(lib, &f, ctx, 1, &s, &n, &err), 0);
    assert_int_equal(s[0].n_missing, 1);
    assert_string_equal(s[0].missing[0], "photo");
    suggestions_free(s, n);

    /* not classified yet: the general question first */
    memset(&f, 0, sizeof f);
    strcpy(f.language, "ko");
    assert_int_equal(suggest_rank(lib, &f, ctx, 1, &s, &n, &err), 0);
    assert_string_equal(s[0].tpl->id, "en/other/unknown");
    assert_true(s[0].fallback);
    suggestions_free(s, n);

    /* one template by id, rendered again with the agent's facts (the API's preview) */
    assert_null(suggest_library_find(lib, "en/dispute/nothing"));
    assert_null(suggest_library_find(lib, "de/shipping/broken"));
    const suggest_template *t = suggest_library_find(lib, "en/dispute/damaged");
    assert_non_null(t);
    suggestion one;
    assert_int_equal(suggest_render(t, ctx, &one, &err), 0);
    assert_ptr_equal(one.tpl, t);
    assert_string_equal(one.text, "EN damaged [[photo]]\n");
    assert_int_equal(one.n_missing, 1);
    free(one.text);
    free(one.missing[0]);
    free(one.missing);
    cJSON *filled = cJSON_Duplicate(ctx, 1);
    cJSON *fill = cJSON_AddObjectToObject(filled, "fill");
    cJSON_AddStringToObject(fill, "photo", "a photo of the <box> & label");
    assert_int_equal(suggest_render(t, filled, &one, &err), 0);
    assert_string_equal(one.text, "EN damaged a photo of the <box> & label\n"); /* plain text */
    assert_int_equal(one.n_missing, 0);
    free(one.text);
    free(one.missing);
    cJSON_Delete(filled);

    cJSON_Delete(ctx);
    suggest_library_free(lib);
    char *cmd = bd_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

static void test_tracking_url(void **state)
{
    (void)state;
    char *u = suggest_tracking_url("DHL Express", "JJD 0001-2345");
    assert_string_equal(u, "https://www.dhl.com/global-en/home/tracking.html?tracking-id=JJD00012345");
    free(u);
    u = suggest_tracking_url("<b onmouseover=x>", "javascript:alert(1)//<x>");
    assert_string_equal(u, "https://t.17track.net/en#nums=javascriptalert1x"); /* only letters, digits */
    free(u);
    u = suggest_tracking_url(NULL, "LB647349909CN");
    assert_string_equal(u, "https://t.17track.net/en#nums=LB647349909CN");
    free(u);
}

static void test_ticket_context(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    bd_config *cfg;
    bd_err err;
    assert_int_equal(bd_config_load("/dev/null/none", &cfg, &err), -1); /* unreadable file */
    setenv("BORDERDESK_CONFIG", "", 1);
    char *oldcwd = getcwd(NULL, 0);
    assert_int_equal(chdir("/"), 0); /* no ./borderdesk.json */
    assert_int_equal(bd_config_load(NULL, &cfg, &err), 0);
    assert_int_equal(chdir(oldcwd), 0);
    free(oldcwd);
    free(cfg->locales_dir);
    cfg->locales_dir = source_path("locales");

    ticket_ctx ctx = {.store = s, .reopen_window = 7 * 86400, .actor = "test"};
    bd_order o;
    tu_order(&o, "{\"shop\":\"amazon-de\",\"marketplace\":\"amazon\",\"external_id\":"
                 "\"028-1234567-1234567\",\"buyer\":{\"external_id\":\"A1\",\"name\":"
                 "\"Jürgen Müller\",\"country\":\"DE\",\"language\":\"de\"},\"status\":\"Shipped\","
                 "\"purchased_at\":\"2026-11-01T10:00:00Z\",\"currency\":\"EUR\",\"total\":"
                 "\"1234.5\",\"items\":[{\"title\":\"LED\",\"quantity\":2}],\"carrier\":\"DHL\","
                 "\"tracking_number\":\"00340434726928543278\",\"shipped_at\":"
                 "\"2026-11-02T10:00:00Z\",\"estimated_delivery\":\"2026-11-06T10:00:00Z\"}");
    int result;
    assert_int_equal(ticket_ingest_order(&ctx, &o, &result, &err), 0);
    bd_order_clear(&o);
    bd_message m;
    tu_message(&m, "{\"shop\":\"amazon-de\",\"marketplace\":\"amazon\",\"external_id\":\"m1\","
                   "\"buyer\":{\"external_id\":\"A1\"},\"order_id\":\"028-1234567-1234567\","
                   "\"direction\":\"in\",\"body\":\"Wo ist mein Paket?\",\"sent_at\":"
                   "\"2026-11-10T10:00:00Z\"}");
    ticket_ingest_result r;
    assert_int_equal(ticket_ingest_message(&ctx, &m, &r, &err), 0);
    bd_message_clear(&m);

    cJSON *c;
    suggest_facts f;
    assert_int_equal(suggest_ticket_context(s, cfg, r.ticket_id, "Li Wei", &c, &f, &err), 0);
    assert_string_equal(f.language, "de");
    assert_string_equal(f.order_state, "shipped");
    assert_string_equal(f.tracking, "yes");
    assert_string_equal(f.eta, "after");       /* the estimate lies in the past */
    assert_string_equal(f.late_reply, "yes");  /* nobody answered for more than a day */
    const cJSON *order = cJSON_GetObjectItem(c, "order");
    bd_buf want = BD_BUF_INIT;
    assert_int_equal(loc_format_money("de_DE", "1234.5", "EUR", &want, &err), 0);
    assert_string_equal(cJSON_GetObjectItem(order, "total")->valuestring, want.data);
    bd_buf_free(&want);
    assert_non_null(strstr(cJSON_GetObjectItem(order, "tracking_url")->valuestring,
                           "dhl.com"));
    assert_string_equal(cJSON_GetObjectItem(c, "greeting")->valuestring,
                        "Guten Tag Jürgen Müller,");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "agent"), "name")->valuestring,
                        "Li Wei");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "buyer"), "first_name")->valuestring,
                        "Jürgen");
    cJSON_Delete(c);
    assert_int_equal(suggest_ticket_context(s, cfg, 999, NULL, &c, &f, &err), -1);

    ticket_ctx_clear(&ctx);
    bd_config_free(cfg);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_template_renders),
        cmocka_unit_test(test_ranking),
        cmocka_unit_test(test_ticket_context),
        cmocka_unit_test(test_tracking_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
