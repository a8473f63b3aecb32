/* test_mustache_spec.c — runs the official Mustache spec files, as they are, against the
 * template engine: $BD_SHARED_DIR/conformance/mustache/<module>.json. Prints a pass count per
 * file; every test of the required modules must pass, the optional "~" modules are only
 * reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "borderdesk/model.h"
#include "borderdesk/template.h"

static char *spec_path(const char *module)
{
    const char *shared = getenv("BD_SHARED_DIR");
    if (shared && *shared) return bd_asprintf("%s/conformance/mustache/%s.json", shared, module);
    return bd_asprintf("%s/../shared/conformance/mustache/%s.json", BD_SOURCE_DIR, module);
}

/* Runs one spec test; returns 1 when the output is the expected one. */
static int run_case(const char *module, const cJSON *tc)
{
    const char *name = bd_json_str(tc, "name");
    const char *tmpl = bd_json_str(tc, "template");
    const char *expected = bd_json_str(tc, "expected");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(tc, "data");
    const cJSON *partials = cJSON_GetObjectItemCaseSensitive(tc, "partials");
    if (!name || !tmpl || !expected) {
        printf("  [%s] malformed test case\n", module);
        return 0;
    }
    tpl_render_opts opts = {.partials = tpl_partials_json, .partials_ud = (void *)partials};
    bd_buf out = BD_BUF_INIT;
    bd_err err;
    int ok = 0;
    if (tpl_render_text(tmpl, strlen(tmpl), name, data, &opts, &out, &err) != 0) {
        printf("  FAIL [%s] %s: error: %s\n", module, name, err.msg);
    } else if (strcmp(out.data, expected) != 0) {
        printf("  FAIL [%s] %s\n    template: %s\n    expected: %s\n    got:      %s\n", module,
               name, tmpl, expected, out.data);
    } else {
        ok = 1;
    }
    bd_buf_free(&out);
    return ok;
}

/* Runs every test of one spec file; returns the number of failures (-1 if unreadable). */
static int run_module(const char *module, int *passed, int *total)
{
    char *path = spec_path(module);
    bd_err err;
    size_t len;
    char *text = bd_read_file(path, 0, &len, &err);
    free(path);
    if (!text) {
        printf("%s: cannot read spec: %s\n", module, err.msg);
        return -1;
    }
    cJSON *spec = bd_json_parse(text, len, &err);
    free(text);
    if (!spec) {
        printf("%s: bad spec JSON: %s\n", module, err.msg);
        return -1;
    }
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(spec, "tests");
    *passed = *total = 0;
    const cJSON *tc;
    cJSON_ArrayForEach(tc, tests)
    {
        (*total)++;
        *passed += run_case(module, tc);
    }
    cJSON_Delete(spec);
    printf("mustache spec %-15s %d/%d passed\n", module, *passed, *total);
    fflush(stdout);
    return *total - *passed;
}

static void required(const char *module)
{
    int passed, total;
    int failures = run_module(module, &passed, &total);
    assert_int_equal(failures, 0);
    assert_true(total > 0);
}

static void test_comments(void **state)
{
    (void)state;
    required("comments");
}

static void test_delimiters(void **state)
{
    (void)state;
    required("delimiters");
}

static void test_interpolation(void **state)
{
    (void)state;
    required("interpolation");
}

static void test_inverted(void **state)
{
    (void)state;
    required("inverted");
}

static void test_partials(void **state)
{
    (void)state;
    required("partials");
}

static void test_sections(void **state)
{
    (void)state;
    required("sections");
}

/* Optional modules: reported, never failed. */
static void test_optional(void **state)
{
    (void)state;
    const char *modules[] = {"~dynamic-names", "~inheritance"};
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        int passed, total;
        if (run_module(modules[i], &passed, &total) < 0)
            printf("optional %s: not run\n", modules[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comments),      cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_interpolation), cmocka_unit_test(test_inverted),
        cmocka_unit_test(test_partials),      cmocka_unit_test(test_sections),
        cmocka_unit_test(test_optional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
