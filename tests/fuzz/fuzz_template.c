/* fuzz_template.c — libFuzzer target for the Mustache engine: the input is a template,
 * compiled and rendered with a small fixed context and a few partials (one of them, "self",
 * is the input again, so recursion gets explored). It checks what must always hold: no crash
 * or leak, valid UTF-8 out of valid UTF-8 in, the same output twice, the output cap kept.
 *
 * Built by tests/fuzz/README.md with clang -fsanitize=fuzzer,address; the unit test
 * tests/unit/test_fuzz_template.c includes this file and feeds it the seed corpus, so ctest
 * runs the same code without clang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/template.h"

#define FUZZ_MAX_OUTPUT ((size_t)64 << 10)

static const char fuzz_context[] =
    "{\"greeting\": \"Dear Zoë <&>\", \"closing\": \"Kind regards,\","
    " \"buyer\": {\"name\": \"O'Brien \\\"Bob\\\"\", \"first_name\": \"\", \"tier\": \"vip\"},"
    " \"order\": {\"id\": \"123-456\", \"total\": \"€12.50\", \"carrier\": null,"
    "  \"items\": [{\"title\": \"Mug\", \"quantity\": 2, \"sku\": \"M-1\"},"
    "             {\"title\": \"マグカップ\", \"quantity\": 1.5}, {\"title\": \"\"}],"
    "  \"tags\": [\"a\", [\"b\", \"c\"], 3, true, false, null, {}]},"
    " \"fill\": {\"coupon\": \"SAVE5\", \"empty\": \"\"},"
    " \"num\": 0, \"neg\": -1e300, \"list\": [1, 2, 3], \"empty\": [], \"no\": false,"
    " \"name\": \"self\", \"a.b\": \"dotted\", \"html\": \"<b>&amp;</b>\"}";

typedef struct fuzz_partials {
    const char *self;
    size_t self_len;
    cJSON *fixed;
} fuzz_partials;

static int fuzz_resolve(void *ud, const char *name, bd_buf *text, char **origin, bd_err *err)
{
    fuzz_partials *fp = ud;
    if (strcmp(name, "self") == 0) {
        bd_buf_append(text, fp->self, fp->self_len);
        return 1;
    }
    if (strcmp(name, "broken") == 0) return bd_err_set(err, "cannot read");
    return tpl_partials_json(fp->fixed, name, text, origin, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cJSON *context, *fixed;
    if (!context) {
        context = cJSON_Parse(fuzz_context);
        fixed = cJSON_Parse("{\"p\": \"[{{name}}]\\n\", \"loop\": \"{{>loop}}{{>loop}}\","
                            " \"item\": \"  - {{title}}\\n{{#fill.coupon}}{{>p}}{{/fill.coupon}}\","
                            " \"bad\": \"{{#x}}\","
                            " \"layout\": \"{{$greeting}}{{greeting}}{{/greeting}}\\n  {{$body}}\\n"
                            "  none\\n  {{/body}}\\n{{$sig}}--{{/sig}}\"}");
        if (!context || !fixed) abort();
        /* a string that is not valid UTF-8, as a careless connector could hand over */
        cJSON_AddItemToObject(context, "raw", cJSON_CreateString("caf\xe9 \xf0\x9f\x98"));
    }
    const char *text = (const char *)data;
    fuzz_partials fp = {text, size, fixed};
    tpl_report rep = {0};
    tpl_render_opts opts = {.partials = fuzz_resolve,
                            .partials_ud = &fp,
                            .max_partial_depth = 8,
                            .max_output = FUZZ_MAX_OUTPUT,
                            .max_steps = 200000,
                            .fill_markers = 1,
                            .report = &rep};
    tpl_template *t = NULL;
    bd_err err;
    if (tpl_compile(text, size, "fuzz", &t, &err) != 0) {
        if (!err.msg[0]) abort(); /* an error always says what went wrong */
        return 0;
    }
    bd_buf a = BD_BUF_INIT, b = BD_BUF_INIT;
    int rc1 = tpl_render(t, context, &opts, &a, &err);
    int rc2 = tpl_render(t, context, &opts, &b, &err);
    if (rc1 != rc2) abort();
    if (rc1 == 0) {
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
        if (a.len > FUZZ_MAX_OUTPUT) abort();
        if (!bd_utf8_valid(a.data, a.len)) abort();
    } else if (a.len != 0 || !err.msg[0]) {
        abort(); /* a failed render leaves the buffer as it was and says why */
    }
    bd_buf_free(&a);
    bd_buf_free(&b);
    tpl_report_clear(&rep);
    tpl_free(t);
    return 0;
}
