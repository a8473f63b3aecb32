/* test_http.c — the parts of the HTTP layer and the connectors that need no network:
 * token bucket arithmetic, backoff bounds, secret redaction, URL escaping, the Shopee
 * signature (HMAC-SHA256) and rate-limit configuration errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <cmocka.h>

#include "borderdesk/http.h"
#include "borderdesk/marketplace.h"

static void test_bucket_burst_then_rate(void **state)
{
    (void)state;
    http_bucket b;
    http_bucket_init(&b, 10, 3, 1000.0); /* 10/s, burst 3 */
    for (int i = 0; i < 3; i++) assert_true(http_bucket_take(&b, 1000.0) == 0);
    /* the fourth at the same instant waits one interval, the fifth two */
    assert_true(fabs(http_bucket_take(&b, 1000.0) - 100.0) < 1e-6);
    assert_true(fabs(http_bucket_take(&b, 1000.0) - 200.0) < 1e-6);
    /* by 1300 ms the two waits are served and one token has come back */
    assert_true(http_bucket_take(&b, 1300.0) == 0);
    assert_true(fabs(http_bucket_take(&b, 1300.0) - 100.0) < 1e-6);
}

static void test_bucket_never_exceeds_rate(void **state)
{
    (void)state;
    /* a client that sleeps whatever take() says sends at most burst + rate * t requests */
    http_bucket b;
    double now = 0;
    http_bucket_init(&b, 5, 2, now);
    int sent = 0;
    while (now < 10000.0) {
        now += http_bucket_take(&b, now);
        sent++;
    }
    assert_true(sent <= 2 + 5 * 10 + 1);
    assert_true(sent >= 5 * 10);
    http_bucket_init(&b, 0, 1, 0); /* rate 0: no limit */
    for (int i = 0; i < 1000; i++) assert_true(http_bucket_take(&b, 0) == 0);
}

static void test_backoff_bounds(void **state)
{
    (void)state;
    http_options o;
    http_options_default(&o);
    o.backoff_base_ms = 100;
    o.backoff_max_ms = 1000;
    uint64_t rng = 42;
    long seen_low = 100000, seen_high = 0;
    for (int attempt = 0; attempt < 8; attempt++)
        for (int k = 0; k < 200; k++) {
            long ms = http_backoff_ms(&o, attempt, &rng);
            long cap = 100L << attempt;
            if (cap > 1000) cap = 1000;
            assert_true(ms >= cap / 10 && ms <= cap);
            if (attempt == 7) {
                if (ms < seen_low) seen_low = ms;
                if (ms > seen_high) seen_high = ms;
            }
        }
    assert_true(seen_high - seen_low > 300); /* jitter spreads the retries */
}

static void test_redact(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"http://h/api?partner_id=1&access_token=abc123&sign=deadbeef&shop_id=2",
         "http://h/api?partner_id=1&access_token=[REDACTED]&sign=[REDACTED]&shop_id=2"},
        {"Authorization: Bearer v^1.1#i^1#secret", "Authorization: Bearer [REDACTED]"},
        {"Authorization: Basic Ym9iOnNlY3JldA==", "Authorization: Basic [REDACTED]"},
        {"grant_type=refresh_token&refresh_token=r0t", "grant_type=refresh_token&refresh_token=[REDACTED]"},
        {"{\"access_token\":\"t\",\"expire_in\":3,\"refresh_token\": \"r\"}",
         "{\"access_token\":\"[REDACTED]\",\"expire_in\":3,\"refresh_token\":\"[REDACTED]\"}"},
        {"signature=keep&designated=1", "signature=keep&designated=1"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = http_redact(cases[i].in);
        assert_string_equal(r, cases[i].out);
        free(r);
    }
    char *r = http_redact(NULL);
    assert_string_equal(r, "");
    free(r);
}

static void test_url_escape(void **state)
{
    (void)state;
    bd_buf b = BD_BUF_INIT;
    http_url_escape(&b, "v^1.1#i a/b=c&d~_-.ü");
    assert_string_equal(b.data, "v%5E1.1%23i%20a%2Fb%3Dc%26d~_-.%C3%BC");
    bd_buf_free(&b);
}

static void test_hmac(void **state)
{
    (void)state;
    char hex[65];
    mkt_hmac_sha256_hex("key", "The quick brown fox jumps over the lazy dog", hex);
    assert_string_equal(hex, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    /* Shopee's base string: partner_id + path + timestamp + access_token + shop_id */
    mkt_hmac_sha256_hex("sim-shopee-partner-key-0123456789abcdef",
                        "1001/api/v2/order/get_order_list1700000000tok2001", hex);
    assert_string_equal(hex, "43f237213d68317f7527e2a5efb5fdb84e95ba2ab13bf726e92a99f9556020cb");
    char fp1[33], fp2[33];
    mkt_fingerprint("a", fp1);
    mkt_fingerprint("b", fp2);
    assert_int_equal(strlen(fp1), 32);
    assert_string_not_equal(fp1, fp2);
}

static void test_limits_config(void **state)
{
    (void)state;
    bd_err err;
    const char *bad[] = {"{\"name\":\"s\",\"marketplace\":\"ebay\",\"rate_limits\":{\"getOrders\":{\"rate\":-1}}}",
                         "{\"name\":\"s\",\"marketplace\":\"ebay\",\"rate_limits\":{\"getOrders\":{\"rate\":1,\"burst\":0}}}",
                         "{\"name\":\"s\",\"marketplace\":\"ebay\",\"rate_limits\":[1]}",
                         "{\"name\":\"s\",\"marketplace\":\"ebay\",\"timeout_ms\":\"fast\"}"};
    static const mkt_limit defaults[] = {{"getOrders", 1, 1}, {NULL, 0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *conf = cJSON_Parse(bad[i]);
        mkt_shop shop = {0};
        int rc = mkt_shop_init(&shop, conf, &err);
        if (rc == 0) rc = mkt_shop_limits(&shop, defaults, &err);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.msg, "shop s"));
        mkt_shop_clear(&shop);
        cJSON_Delete(conf);
    }
    cJSON *conf = cJSON_Parse("{\"name\":\"s\",\"marketplace\":\"ebay\",\"rate_limits\":false}");
    mkt_shop shop = {0};
    assert_int_equal(mkt_shop_init(&shop, conf, &err), 0);
    assert_int_equal(mkt_shop_limits(&shop, defaults, &err), 0);
    assert_int_equal(shop.overlap, 120);
    mkt_shop_clear(&shop);
    cJSON_Delete(conf);
}

static void test_connectors(void **state)
{
    (void)state;
    assert_ptr_equal(mkt_connector_find("ebay"), &ebay_connector);
    assert_ptr_equal(mkt_connector_find("shopee"), &shopee_connector);
    assert_ptr_equal(mkt_connector_find("amazon"), &amazon_connector);
    assert_null(mkt_connector_find("walmart"));
    assert_true(mkt_connector_has(&ebay_connector, "feedback"));
    assert_false(mkt_connector_has(&shopee_connector, "feedback"));
    assert_true(mkt_connector_has(&amazon_connector, "orders"));
    /* buyer messages come by e-mail: only for a shop with a "mail" object (enabled()) */
    assert_true(mkt_connector_has(&amazon_connector, "messages"));
    assert_ptr_equal(mkt_connector_find("mail"), &mail_connector);
    assert_true(mkt_connector_has(&mail_connector, "messages"));
    assert_false(mkt_connector_has(&mail_connector, "orders"));
}

/* An announced rate (x-amzn-RateLimit-Limit) changes the bucket's rate, not its burst. */
static void test_set_rate(void **state)
{
    (void)state;
    http_options o;
    http_options_default(&o);
    http_client *c = http_client_new(&o);
    assert_true(http_client_rate(c, "getOrderItems") == 0);
    http_client_set_rate(c, "getOrderItems", 5); /* no bucket: nothing happens */
    assert_true(http_client_rate(c, "getOrderItems") == 0);
    http_client_set_limit(c, "getOrderItems", 0.5, 30);
    assert_true(fabs(http_client_rate(c, "getOrderItems") - 0.5) < 1e-9);
    http_client_set_rate(c, "getOrderItems", 20);
    assert_true(fabs(http_client_rate(c, "getOrderItems") - 20) < 1e-9);
    http_client_set_rate(c, "getOrderItems", -1); /* ignored */
    assert_true(fabs(http_client_rate(c, "getOrderItems") - 20) < 1e-9);
    http_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_burst_then_rate), cmocka_unit_test(test_bucket_never_exceeds_rate),
        cmocka_unit_test(test_backoff_bounds),         cmocka_unit_test(test_redact),
        cmocka_unit_test(test_url_escape),             cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_limits_config),          cmocka_unit_test(test_connectors),
        cmocka_unit_test(test_set_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
