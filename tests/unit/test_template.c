/* test_template.c — the template engine beyond the spec: error positions, limits against
 * hostile templates (partial depth, recursion, output size, work, nesting), bad data
 * (invalid UTF-8, missing fields, odd types), fill.* markers and the report, resolvers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "borderdesk/model.h"
#include "borderdesk/template.h"

/* Renders text with data given as JSON text (NULL: no data); returns the output (caller
 * frees) or NULL with err set. */
static char *render_json(const char *text, const char *json, const tpl_render_opts *opts,
                         bd_err *err)
{
    cJSON *data = json ? cJSON_Parse(json) : NULL;
    if (json) assert_non_null(data);
    bd_buf out = BD_BUF_INIT;
    int rc = tpl_render_text(text, strlen(text), "t.mustache", data, opts, &out, err);
    cJSON_Delete(data);
    if (rc) {
        bd_buf_free(&out);
        return NULL;
    }
    return bd_buf_detach(&out);
}

static void expect_render(const char *text, const char *json, const char *want)
{
    bd_err err = {{0}};
    char *got = render_json(text, json, NULL, &err);
    if (!got) fail_msg("render failed: %s", err.msg);
    assert_string_equal(got, want);
    free(got);
}

static void expect_compile_error_n(const char *text, size_t len, const char *want)
{
    tpl_template *t = NULL;
    bd_err err = {{0}};
    if (tpl_compile(text, len, "t.mustache", &t, &err) == 0) fail_msg("compiled: %s", text);
    assert_null(t);
    assert_string_equal(err.msg, want);
}

static void expect_compile_error(const char *text, const char *want)
{
    expect_compile_error_n(text, strlen(text), want);
}

static void test_error_positions(void **state)
{
    (void)state;
    expect_compile_error("Hello {{name", "t.mustache:1:7: unclosed tag: \"{{\" without \"}}\"");
    expect_compile_error("a\nb {{{raw}}", "t.mustache:2:3: unclosed tag: \"{{\" without \"}}}\"");
    expect_compile_error("x\n\n  {{#items}}\n- {{.}}\n",
                         "t.mustache:3:3: unclosed section \"items\"");
    expect_compile_error("{{#a}}\n  {{#b}}\n  {{/a}}\n{{/b}}",
                         "t.mustache:3:3: closing tag \"a\" does not match section \"b\" opened "
                         "at 2:3");
    expect_compile_error("text {{/a}}", "t.mustache:1:6: closing tag \"a\" without an open "
                                        "section");
    expect_compile_error("1\n{{=<% %>=}}\n<%={{ }}=%> {{=x=}}",
                         "t.mustache:3:13: bad delimiter \"x\": want two delimiters without "
                         "spaces or '=', like {{=<% %>=}}");
    expect_compile_error("{{= a b c =}}", "t.mustache:1:1: bad delimiter \"a b c\": want "
                                          "two delimiters without spaces or '=', like "
                                          "{{=<% %>=}}");
    expect_compile_error("{{=<% %>=}}<% name",
                         "t.mustache:1:12: unclosed tag: \"<%\" without \"%>\"");
    expect_compile_error("a {{ }} b", "t.mustache:1:3: empty tag name");
    expect_compile_error("{{a b}}", "t.mustache:1:1: invalid tag name \"a b\"");
    expect_compile_error("{{a..b}}",
                         "t.mustache:1:1: invalid tag name \"a..b\" (empty part between dots)");
    expect_compile_error("{{<layout}}\n{{$body}}\nx\n{{/layout}}",
                         "t.mustache:4:1: closing tag \"layout\" does not match section \"body\" "
                         "opened at 2:1");
    expect_compile_error("{{<lay out}}{{/lay out}}",
                         "t.mustache:1:1: invalid parent name \"lay out\"");
    /* columns count code points, not bytes */
    expect_compile_error("Grüße {{#a}}", "t.mustache:1:7: unclosed section \"a\"");
    expect_compile_error("ok\nbad \xff here", "t.mustache:2:5: invalid UTF-8 in template text");
    expect_compile_error_n("nul\0byte", 8, "t.mustache:1:4: NUL byte in template text");
}

static void test_error_label_default(void **state)
{
    (void)state;
    tpl_template *t = NULL;
    bd_err err;
    assert_int_equal(tpl_compile("{{#a}}", 6, NULL, &t, &err), -1);
    assert_string_equal(err.msg, "template:1:1: unclosed section \"a\"");
    assert_int_equal(tpl_compile("hi", 2, NULL, &t, &err), 0);
    assert_string_equal(tpl_label(t), "template");
    tpl_free(t);
    tpl_free(NULL);
    tpl_report_clear(NULL);
}

static void test_nesting_limit(void **state)
{
    (void)state;
    bd_buf b = BD_BUF_INIT;
    for (int i = 0; i < TPL_MAX_NESTING; i++)
        bd_buf_puts(&b, "{{#a}}");
    for (int i = 0; i < TPL_MAX_NESTING; i++)
        bd_buf_puts(&b, "{{/a}}");
    tpl_template *t = NULL;
    bd_err err;
    assert_int_equal(tpl_compile(b.data, b.len, "deep", &t, &err), 0);
    tpl_free(t);
    bd_buf_reset(&b);
    /* far deeper than the limit: an error, not a stack overflow */
    for (int i = 0; i < 200000; i++)
        bd_buf_puts(&b, "{{#a}}");
    assert_int_equal(tpl_compile(b.data, b.len, "deep", &t, &err), -1);
    assert_string_equal(err.msg, "deep:1:601: sections nested deeper than 100 levels");
    bd_buf_free(&b);
}

static void test_render_nesting_limit(void **state)
{
    (void)state;
    /* a partial of 100 nested sections that includes itself: even with a generous partial
     * depth the renderer stops at its own recursion guard instead of overflowing the stack */
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "{\"r\": \"");
    for (int i = 0; i < TPL_MAX_NESTING; i++)
        bd_buf_puts(&b, "{{#o}}");
    bd_buf_puts(&b, "{{>r}}");
    for (int i = 0; i < TPL_MAX_NESTING; i++)
        bd_buf_puts(&b, "{{/o}}");
    bd_buf_puts(&b, "\"}");
    cJSON *partials = cJSON_Parse(b.data);
    tpl_render_opts o = {
        .partials = tpl_partials_json, .partials_ud = partials, .max_partial_depth = 100000};
    bd_err err;
    assert_null(render_json("{{>r}}", "{\"o\": {}}", &o, &err));
    assert_non_null(strstr(err.msg, "sections and partials nested deeper than 1024 levels"));
    cJSON_Delete(partials);
    bd_buf_free(&b);
}

static void test_partial_errors_name_the_partial(void **state)
{
    (void)state;
    cJSON *partials = cJSON_Parse("{\"footer\": \"ok\\n{{#x}}\\n\"}");
    tpl_render_opts o = {.partials = tpl_partials_json, .partials_ud = partials};
    bd_err err;
    char *out = render_json("line 1\n  {{>footer}}\n", "{}", &o, &err);
    assert_null(out);
    assert_string_equal(err.msg, "footer:2:1: unclosed section \"x\" (included from "
                                 "t.mustache:2:3)");
    cJSON_Delete(partials);
}

static void test_depth_limit(void **state)
{
    (void)state;
    cJSON *partials =
        cJSON_Parse("{\"p1\": \"1{{>p2}}\", \"p2\": \"2{{>p3}}\", \"p3\": \"3{{>p4}}\","
                    " \"p4\": \"4\"}");
    tpl_render_opts o = {
        .partials = tpl_partials_json, .partials_ud = partials, .max_partial_depth = 4};
    bd_err err;
    char *out = render_json("{{>p1}}", NULL, &o, &err);
    assert_non_null(out);
    assert_string_equal(out, "1234");
    free(out);
    o.max_partial_depth = 3;
    assert_null(render_json("{{>p1}}", NULL, &o, &err));
    assert_string_equal(err.msg, "p3:1:2: partial \"p4\" nested deeper than 3 levels");
    cJSON_Delete(partials);
}

static void test_recursive_partials(void **state)
{
    (void)state;
    /* a partial that includes itself unconditionally, and a pair that include each other
     * twice per level (exponential if it were not stopped) */
    cJSON *partials = cJSON_Parse("{\"self\": \"x{{>self}}\", \"a\": \"{{>b}}{{>b}}\","
                                  " \"b\": \"{{>a}}{{>a}}\"}");
    tpl_render_opts o = {.partials = tpl_partials_json, .partials_ud = partials};
    bd_err err;
    assert_null(render_json("{{>self}}", NULL, &o, &err));
    assert_string_equal(err.msg, "self:1:2: partial \"self\" nested deeper than 32 levels (it "
                                 "includes itself)");
    assert_null(render_json("start {{>a}}", NULL, &o, &err));
    assert_non_null(strstr(err.msg, "nested deeper than 32 levels (it includes itself)"));
    /* recursion that ends with the data is fine (the spec's tree) */
    cJSON *tree = cJSON_Parse("{\"node\": \"{{v}}({{#kids}}{{>node}}{{/kids}})\"}");
    o.partials_ud = tree;
    char *out = render_json(
        "{{>node}}", "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3,\"kids\":[]}]}]}", &o, &err);
    if (!out) fail_msg("%s", err.msg);
    assert_string_equal(out, "1(2(3()))");
    free(out);
    /* without "kids" at the leaf, the name is found again up the context stack: the same
     * data recurses for ever, and the depth limit stops it */
    assert_null(render_json("{{>node}}", "{\"v\":1,\"kids\":[{\"v\":2}]}", &o, &err));
    assert_non_null(strstr(err.msg, "(it includes itself)"));
    cJSON_Delete(tree);
    cJSON_Delete(partials);
}

static void test_output_cap(void **state)
{
    (void)state;
    bd_err err;
    /* a small explicit cap: out keeps what it had before the failed render */
    cJSON *data = cJSON_Parse("{\"l\":[1,2,3,4,5,6,7,8,9,10],\"x\":\"0123456789\"}");
    tpl_template *t;
    assert_int_equal(tpl_compile("{{#l}}{{x}}{{/l}}", 17, "cap", &t, &err), 0);
    bd_buf out = BD_BUF_INIT;
    bd_buf_puts(&out, "kept:");
    tpl_render_opts o = {.max_output = 100};
    assert_int_equal(tpl_render(t, data, &o, &out, &err), 0);
    assert_int_equal(out.len, 105);
    o.max_output = 99;
    bd_buf_reset(&out);
    bd_buf_puts(&out, "kept:");
    assert_int_equal(tpl_render(t, data, &o, &out, &err), -1);
    assert_string_equal(err.msg, "cap:1:7: output larger than 99 bytes");
    assert_string_equal(out.data, "kept:");
    tpl_free(t);
    cJSON_Delete(data);

    /* the default cap of 1 MiB against a doubling chain of partials */
    bd_buf p = BD_BUF_INIT;
    bd_buf_puts(&p, "{\"p0\": \"");
    for (int i = 0; i < 1024; i++)
        bd_buf_putc(&p, 'x');
    bd_buf_puts(&p, "\"");
    for (int i = 1; i <= 12; i++)
        bd_buf_printf(&p, ", \"p%d\": \"{{>p%d}}{{>p%d}}\"", i, i - 1, i - 1);
    bd_buf_puts(&p, "}");
    cJSON *partials = cJSON_Parse(p.data);
    assert_non_null(partials);
    tpl_render_opts d = {.partials = tpl_partials_json, .partials_ud = partials};
    assert_null(render_json("{{>p12}}", NULL, &d, &err));
    assert_non_null(strstr(err.msg, "output larger than 1048576 bytes"));
    char *ok = render_json("{{>p10}}", NULL, &d, &err); /* exactly 1 MiB is allowed */
    assert_non_null(ok);
    assert_int_equal(strlen(ok), 1 << 20);
    free(ok);
    cJSON_Delete(partials);
    bd_buf_free(&p);
    bd_buf_free(&out);
}

static void test_work_limit(void **state)
{
    (void)state;
    /* nested loops that write nothing: 100^6 iterations unless stopped */
    bd_buf data = BD_BUF_INIT;
    bd_buf_puts(&data, "{\"l\":[");
    for (int i = 0; i < 100; i++)
        bd_buf_printf(&data, "%s%d", i ? "," : "", i);
    bd_buf_puts(&data, "]}");
    bd_err err;
    char *out = render_json("{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}"
                            "{{/l}}",
                            data.data, NULL, &err);
    assert_null(out);
    assert_non_null(strstr(err.msg, "rendering takes more than 2000000 steps"));
    tpl_render_opts o = {.max_steps = 50};
    assert_null(render_json("{{#l}}{{.}}{{/l}}", data.data, &o, &err));
    assert_string_equal(err.msg, "t.mustache:1:7: rendering takes more than 50 steps");
    bd_buf_free(&data);
}

static void test_invalid_utf8_data(void **state)
{
    (void)state;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "name", "Jos\xe9 <\xc3\x28>");
    cJSON_AddStringToObject(data, "cut", "abc\xe2\x82");
    bd_buf out = BD_BUF_INIT;
    bd_err err;
    const char *text = "{{name}}|{{{name}}}|{{cut}}|{{#name}}{{.}}{{/name}}";
    assert_int_equal(tpl_render_text(text, strlen(text), "u", data, NULL, &out, &err), 0);
    assert_string_equal(out.data, "Jos\xef\xbf\xbd &lt;\xef\xbf\xbd(&gt;|Jos\xef\xbf\xbd "
                                  "<\xef\xbf\xbd(>|abc\xef\xbf\xbd\xef\xbf\xbd|Jos\xef\xbf\xbd "
                                  "&lt;\xef\xbf\xbd(&gt;");
    assert_true(bd_utf8_valid(out.data, out.len));
    bd_buf_free(&out);
    cJSON_Delete(data);
}

static void test_missing_fields_and_odd_data(void **state)
{
    (void)state;
    const char *t = "[{{a}}|{{a.b.c}}|{{#a.b}}x{{/a.b}}|{{^a.b}}none{{/a.b}}|{{.}}|{{>p}}]";
    expect_render(t, NULL, "[|||none||]");
    expect_render(t, "{}", "[|||none||]");
    expect_render(t, "42", "[|||none|42|]");
    expect_render(t, "[1,2]", "[|||none||]");
    expect_render(t, "{\"a\": null}", "[|||none||]");
    expect_render(t, "{\"a\": \"str\"}", "[str|||none||]");
    expect_render(t, "{\"a\": [1, 2]}", "[|||none||]");
    /* values of every type */
    expect_render("{{n}} {{f}} {{big}} {{neg}} {{t}} {{no}} {{o}} {{l}} {{tiny}}",
                  "{\"n\": 0, \"f\": 0.1, \"big\": 1e20, \"neg\": -3.5, \"t\": true, "
                  "\"no\": false, \"o\": {\"k\": 1}, \"l\": [1], \"tiny\": 1e-7}",
                  "0 0.1 1e+20 -3.5 true false   1e-07");
    /* falsey: missing, null, false, [] and ""; truthy: 0 and {} */
    expect_render("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}{{#e}}E{{/e}}"
                  "{{#z}}Z{{/z}}{{#o}}O{{/o}}",
                  "{\"b\": null, \"c\": false, \"d\": [], \"e\": \"\", \"z\": 0, \"o\": {}}", "ZO");
}

static void test_fill_markers_and_report(void **state)
{
    (void)state;
    const char *text = "{{greeting}} {{fill.restock_date}} {{fill.coupon}} {{fill.code}} "
                       "{{{fill.a&b}}} {{fill.a&b}} {{order.carrier}} {{fill.restock_date}} "
                       "{{fill.none}} {{#fill.hidden}}x{{/fill.hidden}}";
    const char *json = "{\"greeting\": \"Dear Ana,\", \"fill\": {\"coupon\": \"SAVE5\", "
                       "\"code\": \"\", \"none\": null}}";
    tpl_report rep = {0};
    tpl_render_opts o = {.fill_markers = 1, .report = &rep};
    bd_err err;
    char *out = render_json(text, json, &o, &err);
    assert_non_null(out);
    assert_string_equal(out, "Dear Ana, [[restock_date]] SAVE5 [[code]] [[a&b]] [[a&amp;b]]  "
                             "[[restock_date]] [[none]] ");
    free(out);
    assert_int_equal(rep.n_missing, 4);
    assert_string_equal(rep.missing[0], "restock_date");
    assert_string_equal(rep.missing[1], "code");
    assert_string_equal(rep.missing[2], "a&b");
    assert_string_equal(rep.missing[3], "none");
    assert_int_equal(rep.n_unresolved, 4);
    assert_string_equal(rep.unresolved[0], "fill.restock_date");
    assert_string_equal(rep.unresolved[1], "fill.a&b");
    assert_string_equal(rep.unresolved[2], "order.carrier");
    assert_string_equal(rep.unresolved[3], "fill.none");
    tpl_report_clear(&rep);
    assert_int_equal(rep.n_missing, 0);
    assert_null(rep.missing);

    /* without markers fill.* is an ordinary name */
    o.fill_markers = 0;
    out = render_json("[{{fill.x}}]", "{}", &o, &err);
    assert_string_equal(out, "[]");
    free(out);
    assert_int_equal(rep.n_missing, 0);
    assert_int_equal(rep.n_unresolved, 1);
    tpl_report_clear(&rep);

    /* the report keeps at most TPL_REPORT_MAX names */
    bd_buf many = BD_BUF_INIT;
    for (int i = 0; i < TPL_REPORT_MAX + 10; i++)
        bd_buf_printf(&many, "{{v%d}}", i);
    o.report = &rep;
    out = render_json(many.data, "{}", &o, &err);
    free(out);
    assert_int_equal(rep.n_unresolved, TPL_REPORT_MAX);
    tpl_report_clear(&rep);
    bd_buf_free(&many);

    /* missing partials are reported */
    out = render_json("{{>nope}}{{>nope}}", "{}", &o, &err);
    free(out);
    assert_int_equal(rep.n_partials, 1);
    assert_string_equal(rep.partials[0], "nope");
    tpl_report_clear(&rep);
}

static void test_compiled_once_rendered_many(void **state)
{
    (void)state;
    tpl_template *t;
    bd_err err;
    const char *text = "{{#items}}{{title}} x{{quantity}}\n{{/items}}";
    assert_int_equal(tpl_compile(text, strlen(text), "many", &t, &err), 0);
    for (int i = 0; i < 3; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"items\":[{\"title\":\"Mug\",\"quantity\":%d}]}", i);
        cJSON *data = cJSON_Parse(json);
        bd_buf out = BD_BUF_INIT;
        assert_int_equal(tpl_render(t, data, NULL, &out, &err), 0);
        char want[64];
        snprintf(want, sizeof want, "Mug x%d\n", i);
        assert_string_equal(out.data, want);
        bd_buf_free(&out);
        cJSON_Delete(data);
    }
    tpl_free(t);
}

static void test_nested_indentation(void **state)
{
    (void)state;
    cJSON *partials = cJSON_Parse("{\"a\": \"x\\n  {{>b}}\\ny {{>c}}\\n\", \"b\": \"1\\n2\\n\","
                                  " \"c\": \"i\\nj\"}");
    tpl_render_opts o = {.partials = tpl_partials_json, .partials_ud = partials};
    bd_err err;
    /* standalone partials add up their indentation; an inline one is not indented */
    char *out = render_json("top\n  {{>a}}\nend\n", "{}", &o, &err);
    assert_string_equal(out, "top\n  x\n    1\n    2\n  y i\nj\nend\n");
    free(out);
    cJSON_Delete(partials);
}

static void test_inheritance_layout(void **state)
{
    (void)state;
    /* a shared letter layout whose body each reply template fills in */
    cJSON *partials = cJSON_Parse(
        "{\"layout\": \"{{$greeting}}{{greeting}}{{/greeting}}\\n\\n  {{$body}}\\n  (no text)\\n"
        "  {{/body}}\\n\\n{{closing}}\\n{{$signature}}{{shop.name}}{{/signature}}\\n\"}");
    tpl_render_opts o = {.partials = tpl_partials_json, .partials_ud = partials};
    const char *json = "{\"greeting\": \"Dear Ana,\", \"closing\": \"Kind regards,\","
                       " \"shop\": {\"name\": \"Shop\"}, \"order\": {\"id\": \"A-1\"}}";
    bd_err err;
    char *out = render_json("{{! title: Delay }}\n"
                            "{{<layout}}\n"
                            "{{$body}}\n"
                            "Your order {{order.id}} is on its way.\n"
                            "Thank you for waiting.\n"
                            "{{/body}}\n"
                            "{{/layout}}\n",
                            json, &o, &err);
    if (!out) fail_msg("%s", err.msg);
    assert_string_equal(out, "Dear Ana,\n\n  Your order A-1 is on its way.\n  Thank you for "
                             "waiting.\n\nKind regards,\nShop\n");
    free(out);
    /* without overrides the defaults render */
    out = render_json("{{<layout}}{{/layout}}", json, &o, &err);
    assert_string_equal(out, "Dear Ana,\n\n  (no text)\n\nKind regards,\nShop\n");
    free(out);
    /* a block whose override contains itself recurses for ever: an error, not a crash */
    cJSON *loop = cJSON_Parse("{\"p\": \"{{$a}}{{/a}}\"}");
    o.partials_ud = loop;
    assert_null(render_json("{{<p}}{{$a}}x{{$a}}y{{/a}}{{/a}}{{/p}}", "{}", &o, &err));
    assert_non_null(strstr(err.msg, "nested deeper than 1024 levels"));
    /* a parent that includes itself stops at the partial depth */
    cJSON *self = cJSON_Parse("{\"p\": \"{{<p}}{{/p}}\"}");
    o.partials_ud = self;
    assert_null(render_json("{{<p}}{{/p}}", "{}", &o, &err));
    assert_string_equal(err.msg, "p:1:1: partial \"p\" nested deeper than 32 levels (it includes "
                                 "itself)");
    cJSON_Delete(self);
    cJSON_Delete(loop);
    cJSON_Delete(partials);
}

static void test_dir_resolver(void **state)
{
    (void)state;
    char dir[] = "/tmp/bd_tpl_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *sub = bd_asprintf("%s/common", dir);
    char *file = bd_asprintf("%s/common/sig.mustache", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    FILE *f = fopen(file, "w");
    fputs("-- {{shop}}\n", f);
    fclose(f);
    tpl_render_opts o = {.partials = tpl_partials_dir, .partials_ud = dir};
    bd_err err;
    char *out = render_json("{{>common/sig}}{{>absent}}", "{\"shop\": \"S\"}", &o, &err);
    assert_string_equal(out, "-- S\n");
    free(out);
    const char *bad[] = {"{{>../x}}", "{{>/etc/passwd}}", "{{>common/../x}}", "{{>a//b}}",
                         "{{>common/}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(render_json(bad[i], "{}", &o, &err));
        assert_non_null(strstr(err.msg, "is not a partial name"));
    }
    /* a directory where a file should be is an error, not "missing" */
    char *subdir = bd_asprintf("%s/d.mustache", dir);
    assert_int_equal(mkdir(subdir, 0700), 0);
    assert_null(render_json("{{>d}}", "{}", &o, &err));
    assert_non_null(strstr(err.msg, "partial \"d\""));
    rmdir(subdir);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
    free(subdir);
    free(file);
    free(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_positions),
        cmocka_unit_test(test_error_label_default),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_render_nesting_limit),
        cmocka_unit_test(test_partial_errors_name_the_partial),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_recursive_partials),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_work_limit),
        cmocka_unit_test(test_invalid_utf8_data),
        cmocka_unit_test(test_missing_fields_and_odd_data),
        cmocka_unit_test(test_fill_markers_and_report),
        cmocka_unit_test(test_compiled_once_rendered_many),
        cmocka_unit_test(test_nested_indentation),
        cmocka_unit_test(test_inheritance_layout),
        cmocka_unit_test(test_dir_resolver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
