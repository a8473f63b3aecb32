/* test_util.c — time, UTF-8, money and JSON input checks. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_time_parse(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(bd_time_parse("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(bd_time_parse("2026-11-02T08:15:00+08:00", &t), 0);
    assert_int_equal(t, 1793578500); /* 2026-11-02T00:15:00Z */
    assert_int_equal(bd_time_parse("2024-02-29T23:59:59.123-05:30", &t), 0);
    assert_int_equal(t, 1709270999);
    char buf[32];
    bd_time_format(1793578500, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-02T00:15:00Z");
    assert_int_equal(bd_time_parse("2023-02-29T00:00:00Z", &t), -1); /* not a leap year */
    assert_int_equal(bd_time_parse("2026-11-02 08:15:00", &t), -1);  /* no offset */
    assert_int_equal(bd_time_parse("2026-13-02T08:15:00Z", &t), -1);
    assert_int_equal(bd_time_parse("2026-11-02T24:00:00Z", &t), -1);
    assert_int_equal(bd_time_parse("2026-11-02T08:15:00Zjunk", &t), -1);
    assert_int_equal(bd_time_parse("", &t), -1);
    assert_int_equal(bd_time_parse_loose("2026-11-02", &t), 0);
    assert_int_equal(t, 1793577600);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(bd_utf8_valid("héllo 你好 😀", strlen("héllo 你好 😀")));
    assert_false(bd_utf8_valid("\xC3\x28", 2));           /* bad continuation */
    assert_false(bd_utf8_valid("\xC0\xAF", 2));           /* overlong */
    assert_false(bd_utf8_valid("\xED\xA0\x80", 3));       /* surrogate */
    assert_false(bd_utf8_valid("\xF4\x90\x80\x80", 4));   /* > U+10FFFF */
    size_t n;
    char *r = bd_utf8_repair("a\xFF" "b", 3, &n);
    assert_string_equal(r, "a\xEF\xBF\xBD" "b");
    assert_int_equal(n, 5);
    free(r);
    assert_int_equal(bd_utf8_width("ab你好"), 6);
    char *cut = bd_utf8_truncate("你好世界", 3);
    assert_string_equal(cut, "你好…");
    free(cut);
}

static void test_money(void **state)
{
    (void)state;
    int64_t v;
    char buf[32];
    assert_int_equal(bd_money_parse("23.90", &v), 0);
    assert_int_equal(v, 23900000);
    bd_money_format(v, buf, sizeof buf);
    assert_string_equal(buf, "23.90");
    assert_int_equal(bd_money_parse("-0.5", &v), 0);
    bd_money_format(v, buf, sizeof buf);
    assert_string_equal(buf, "-0.50");
    assert_int_equal(bd_money_parse("3980", &v), 0);
    assert_int_equal(bd_money_parse("12,50", &v), -1);
    assert_int_equal(bd_money_parse("1.1234567", &v), -1);
    assert_int_equal(bd_money_parse(".5", &v), -1);
    assert_int_equal(bd_money_parse("99999999999999999999", &v), -1);
}

static void test_json_input(void **state)
{
    (void)state;
    bd_err err;
    assert_null(bd_json_parse("{\"a\": \"\xFF\"}", 10, &err));
    assert_non_null(strstr(err.msg, "UTF-8"));
    assert_null(bd_json_parse("{\"a\": 1} x", 10, &err));
    char deep[300];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 99);
    deep[299] = '\0';
    assert_null(bd_json_parse(deep, strlen(deep), &err));
    assert_non_null(strstr(err.msg, "nested"));
    cJSON *j = bd_json_parse("{\"a\": \"b\"}\n", 11, &err);
    assert_non_null(j);
    cJSON_Delete(j);
}

static void test_model_validation(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"{\"marketplace\":\"ebay\",\"external_id\":\"1\",\"buyer\":{\"external_id\":\"b\"},"
         "\"direction\":\"in\",\"body\":\"x\",\"sent_at\":\"2026-11-01T00:00:00Z\"}",
         "missing required field \"shop\""},
        {"{\"shop\":\"s\",\"marketplace\":\"ebay\",\"external_id\":\"1\",\"buyer\":{},"
         "\"direction\":\"in\",\"body\":\"x\",\"sent_at\":\"2026-11-01T00:00:00Z\"}",
         "buyer.external_id"},
        {"{\"shop\":\"s\",\"marketplace\":\"ebay\",\"external_id\":\"1\",\"buyer\":{\"external_id\":"
         "\"b\"},\"direction\":\"sideways\",\"body\":\"x\",\"sent_at\":\"2026-11-01T00:00:00Z\"}",
         "direction"},
        {"{\"shop\":\"s\",\"marketplace\":\"ebay\",\"external_id\":\"1\",\"buyer\":{\"external_id\":"
         "\"b\"},\"direction\":\"in\",\"body\":5,\"sent_at\":\"2026-11-01T00:00:00Z\"}",
         "\"body\" must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bd_err err;
        cJSON *j = bd_json_parse(cases[i][0], strlen(cases[i][0]), &err);
        assert_non_null(j);
        bd_message m;
        assert_int_equal(bd_message_from_json(j, &m, &err), -1);
        if (!strstr(err.msg, cases[i][1])) fail_msg("case %zu: got \"%s\"", i, err.msg);
        cJSON_Delete(j);
    }
    bd_order o;
    const char *order = "{\"shop\":\"s\",\"marketplace\":\"Amazon\",\"external_id\":\"1\","
                        "\"buyer\":{\"external_id\":\"b\",\"country\":\"de\"},\"status\":\"x\","
                        "\"purchased_at\":\"2026-11-01T00:00:00Z\",\"currency\":\"EUR\","
                        "\"total\":\"1.00\",\"items\":[],\"coupon\":\"X1\"}";
    tu_order(&o, order);
    assert_string_equal(o.marketplace, "amazon");
    assert_string_equal(o.buyer.country, "DE");
    assert_string_equal(o.extra, "{\"coupon\":\"X1\"}");
    assert_int_equal(o.updated_at, o.purchased_at);
    bd_order_clear(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse), cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_money),      cmocka_unit_test(test_json_input),
        cmocka_unit_test(test_model_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
