/* test_locale.c — locale ids, the fallback chain, locale data lookup, and ICU formatting for
 * de, ja, ar and pt_BR. Expected dates and amounts come from ICU itself by another road
 * (the medium date pattern read from ICU's resource data and formatted as a pattern; money
 * through ICU's number-skeleton API), never from bytes written down by hand. */
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

#include <unicode/ucurr.h>
#include <unicode/udat.h>
#include <unicode/unumberformatter.h>
#include <unicode/uloc.h>
#include <unicode/ures.h>
#include <unicode/ustring.h>

#include "borderdesk/locale.h"

static const char *const test_locales[] = {"de_DE", "de", "ja_JP", "ar_AE", "ar", "pt_BR"};

static char *utf8(const UChar *s, int32_t n)
{
    char buf[512];
    UErrorCode st = U_ZERO_ERROR;
    u_strToUTF8(buf, sizeof buf, NULL, s, n, &st);
    assert_true(U_SUCCESS(st));
    return bd_strdup(buf);
}

/* ICU's medium date pattern for loc, read from its resource data (falling back from locale
 * to parent by hand where a locale does not carry the patterns), applied to t. */
static char *icu_medium_date(const char *loc, int64_t t, const char *tz)
{
    UErrorCode st = U_ZERO_ERROR;
    UChar pattern[128];
    int32_t plen = -1;
    char id[ULOC_FULLNAME_CAPACITY];
    snprintf(id, sizeof id, "%s", loc);
    while (plen < 0) {
        st = U_ZERO_ERROR;
        UResourceBundle *rb = ures_open(NULL, id, &st);
        UResourceBundle *cal = ures_getByKey(rb, "calendar", NULL, &st);
        UResourceBundle *greg = ures_getByKey(cal, "gregorian", NULL, &st);
        UResourceBundle *pats = ures_getByKey(greg, "DateTimePatterns", NULL, &st);
        int32_t n = 0;
        const UChar *p = ures_getStringByIndex(pats, 6, &n, &st); /* 6: the medium date */
        if (U_SUCCESS(st) && n < 128) {
            u_strncpy(pattern, p, n);
            plen = n;
        }
        ures_close(pats), ures_close(greg), ures_close(cal), ures_close(rb);
        if (plen >= 0) break;
        char parent[ULOC_FULLNAME_CAPACITY];
        st = U_ZERO_ERROR;
        uloc_getParent(id, parent, sizeof parent, &st);
        if (!parent[0]) fail_msg("no medium date pattern for %s", loc);
        memcpy(id, parent, sizeof id);
    }
    st = U_ZERO_ERROR;
    UChar zone[64];
    u_strFromUTF8(zone, 64, NULL, tz, -1, &st);
    UDateFormat *f = udat_open(UDAT_PATTERN, UDAT_PATTERN, loc, zone, -1, pattern, plen, &st);
    UChar out[256];
    int32_t n = udat_format(f, (UDate)t * 1000.0, out, 256, NULL, &st);
    assert_true(U_SUCCESS(st));
    udat_close(f);
    return utf8(out, n);
}

/* The same amount through ICU's number skeletons. */
static char *icu_money(const char *loc, const char *amount, const char *currency)
{
    char skel[64];
    snprintf(skel, sizeof skel, "currency/%s rounding-mode-half-up", currency);
    UChar uskel[64];
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(uskel, 64, NULL, skel, -1, &st);
    UNumberFormatter *f = unumf_openForSkeletonAndLocale(uskel, -1, loc, &st);
    UFormattedNumber *r = unumf_openResult(&st);
    unumf_formatDecimal(f, amount, -1, r, &st);
    UChar out[256];
    int32_t n = unumf_resultToString(r, out, 256, &st);
    assert_true(U_SUCCESS(st));
    unumf_closeResult(r);
    unumf_close(f);
    return utf8(out, n);
}

static char *fmt_date(const char *loc, int64_t t, const char *tz)
{
    bd_buf b = BD_BUF_INIT;
    bd_err err;
    if (loc_format_date(loc, t, tz, &b, &err)) fail_msg("%s: %s", loc, err.msg);
    return bd_buf_detach(&b);
}

static char *fmt_money(const char *loc, const char *amount, const char *cur)
{
    bd_buf b = BD_BUF_INIT;
    bd_err err;
    if (loc_format_money(loc, amount, cur, &b, &err)) fail_msg("%s: %s", loc, err.msg);
    return bd_buf_detach(&b);
}

static void test_canonical(void **state)
{
    (void)state;
    const char *cases[][2] = {{"pt-BR", "pt_BR"}, {"pt_br", "pt_BR"}, {"de_DE.UTF-8", "de_DE"},
                              {"JA", "ja"},       {"ar-AE", "ar_AE"}, {"zh-Hant-TW", "zh_Hant_TW"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[LOC_ID_MAX];
        bd_err err;
        if (loc_canonical(cases[i][0], out, &err)) fail_msg("%s: %s", cases[i][0], err.msg);
        assert_string_equal(out, cases[i][1]);
    }
    const char *bad[] = {"",
                         "1",
                         "x",
                         "de DE",
                         "de/../x",
                         "_DE",
                         "a-very-long-locale-name-that-goes-on-and-on-and-on-for-ever-and-ever"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[LOC_ID_MAX];
        bd_err err;
        if (loc_canonical(bad[i], out, &err) == 0) fail_msg("accepted \"%s\" as %s", bad[i], out);
    }
}

static void test_fallback_chain(void **state)
{
    (void)state;
    char c[LOC_CHAIN_MAX][LOC_ID_MAX];
    assert_int_equal(loc_fallback_chain("pt-BR", c), 3);
    assert_string_equal(c[0], "pt_BR");
    assert_string_equal(c[1], "pt");
    assert_string_equal(c[2], "en");
    assert_int_equal(loc_fallback_chain("en_US", c), 2);
    assert_string_equal(c[0], "en_US");
    assert_string_equal(c[1], "en");
    assert_int_equal(loc_fallback_chain("zh-Hant-TW", c), 4);
    assert_string_equal(c[1], "zh_Hant");
    assert_string_equal(c[3], "en");
    assert_int_equal(loc_fallback_chain("not a locale", c), 1);
    assert_string_equal(c[0], "en");
    assert_int_equal(loc_fallback_chain(NULL, c), 1);
}

static void write_file(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{}\n", f);
    fclose(f);
}

static void test_data_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/bd_loc_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *en = bd_asprintf("%s/en", dir), *pt = bd_asprintf("%s/pt", dir);
    char *ptbr = bd_asprintf("%s/pt-BR", dir);
    assert_int_equal(mkdir(en, 0700), 0);
    assert_int_equal(mkdir(pt, 0700), 0);
    char *en_f = bd_asprintf("%s/locale.json", en), *pt_f = bd_asprintf("%s/locale.json", pt);
    char *ptbr_f = bd_asprintf("%s/locale.json", ptbr);
    write_file(en_f);
    write_file(pt_f);

    char *p = loc_data_path(dir, "pt_BR", "locale.json"); /* pt-BR -> pt */
    assert_string_equal(p, pt_f);
    free(p);
    p = loc_data_path(dir, "ja_JP", "locale.json"); /* ja_JP -> ja -> en */
    assert_string_equal(p, en_f);
    free(p);
    assert_null(loc_data_path(dir, "pt_BR", "rules.json"));
    assert_int_equal(mkdir(ptbr, 0700), 0); /* a BCP 47 spelt directory is found too */
    write_file(ptbr_f);
    p = loc_data_path(dir, "pt_BR", "locale.json");
    assert_string_equal(p, ptbr_f);
    free(p);

    unlink(ptbr_f), unlink(pt_f), unlink(en_f);
    rmdir(ptbr), rmdir(pt), rmdir(en), rmdir(dir);
    free(ptbr_f), free(pt_f), free(en_f), free(ptbr), free(pt), free(en);
}

static void test_dates_match_icu(void **state)
{
    (void)state;
    const int64_t times[] = {1772700000, 0, 1767225599, 4102444800}; /* 2026-03-05, 1970, ... */
    for (size_t i = 0; i < sizeof test_locales / sizeof test_locales[0]; i++) {
        for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
            char *want = icu_medium_date(test_locales[i], times[k], "UTC");
            char *got = fmt_date(test_locales[i], times[k], NULL);
            printf("date %-6s %lld: %s\n", test_locales[i], (long long)times[k], got);
            assert_string_equal(got, want);
            assert_true(bd_utf8_valid(got, strlen(got)));
            free(want);
            free(got);
        }
    }
    /* pt-BR spelt as a tag is the same locale */
    char *a = fmt_date("pt-BR", 1772700000, NULL), *b = fmt_date("pt_BR", 1772700000, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_date_time_zone(void **state)
{
    (void)state;
    int64_t t = 1772753400; /* 2026-03-05T23:30:00Z: already the 6th in Tokyo */
    char *want = icu_medium_date("ja_JP", t, "Asia/Tokyo");
    char *got = fmt_date("ja_JP", t, "Asia/Tokyo");
    char *utc = fmt_date("ja_JP", t, "UTC");
    assert_string_equal(got, want);
    assert_string_not_equal(got, utc);
    free(want), free(got), free(utc);
    bd_buf b = BD_BUF_INIT;
    bd_err err;
    assert_int_equal(loc_format_date("de_DE", t, "Mars/Olympus_Mons", &b, &err), -1);
    assert_string_equal(err.msg, "unknown time zone \"Mars/Olympus_Mons\"");
    assert_int_equal(b.len, 0);
    bd_buf_free(&b);
}

static void test_money_matches_icu(void **state)
{
    (void)state;
    const char *amounts[] = {"1234.5", "0", "-3.99", "1000000", "0.005", "2.5"};
    const char *currencies[] = {"EUR", "JPY", "AED", "BRL", "USD"};
    for (size_t i = 0; i < sizeof test_locales / sizeof test_locales[0]; i++) {
        for (size_t a = 0; a < sizeof amounts / sizeof amounts[0]; a++) {
            for (size_t c = 0; c < sizeof currencies / sizeof currencies[0]; c++) {
                char *want = icu_money(test_locales[i], amounts[a], currencies[c]);
                char *got = fmt_money(test_locales[i], amounts[a], currencies[c]);
                if (a == 0)
                    printf("money %-6s %s %s: %s\n", test_locales[i], amounts[a], currencies[c],
                           got);
                assert_string_equal(got, want);
                free(want);
                free(got);
            }
        }
    }
}

static void test_money_shows_the_currency(void **state)
{
    (void)state;
    /* the currency's symbol as ICU names it for the locale appears in the amount */
    for (size_t i = 0; i < sizeof test_locales / sizeof test_locales[0]; i++) {
        UErrorCode st = U_ZERO_ERROR;
        UBool plural;
        int32_t n;
        const UChar *sym =
            ucurr_getName(u"EUR", test_locales[i], UCURR_SYMBOL_NAME, &plural, &n, &st);
        char *symbol = utf8(sym, n);
        char *got = fmt_money(test_locales[i], "12.5", "EUR");
        if (!strstr(got, symbol)) fail_msg("%s: \"%s\" lacks \"%s\"", test_locales[i], got, symbol);
        free(symbol);
        free(got);
    }
}

static void test_unknown_locale_falls_back_to_en(void **state)
{
    (void)state;
    /* ICU would quietly use the process default locale (from LANG) or root */
    char *a = fmt_date("xx_YY", 1772700000, NULL), *b = fmt_date("en", 1772700000, NULL);
    assert_string_equal(a, b);
    free(a), free(b);
    a = fmt_money("xx", "1234.5", "EUR"), b = fmt_money("en", "1234.5", "EUR");
    assert_string_equal(a, b);
    free(a), free(b);
}

static void test_money_errors(void **state)
{
    (void)state;
    bd_buf b = BD_BUF_INIT;
    bd_err err;
    assert_int_equal(loc_format_money("de_DE", "12,50", "EUR", &b, &err), -1);
    assert_string_equal(err.msg, "\"12,50\" is not a decimal amount");
    assert_int_equal(loc_format_money("de_DE", "1e5", "EUR", &b, &err), -1);
    assert_int_equal(loc_format_money("de_DE", NULL, "EUR", &b, &err), -1);
    assert_int_equal(loc_format_money("de_DE", "12.50", "eur", &b, &err), -1);
    assert_string_equal(err.msg, "currency \"eur\" is not an ISO 4217 code");
    assert_int_equal(loc_format_money("de_DE", "12.50", "EURO", &b, &err), -1);
    assert_int_equal(loc_format_money("de_DE", "12.50", NULL, &b, &err), -1);
    assert_int_equal(b.len, 0);
    bd_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_fallback_chain),
        cmocka_unit_test(test_data_path),
        cmocka_unit_test(test_dates_match_icu),
        cmocka_unit_test(test_date_time_zone),
        cmocka_unit_test(test_money_matches_icu),
        cmocka_unit_test(test_money_shows_the_currency),
        cmocka_unit_test(test_unknown_locale_falls_back_to_en),
        cmocka_unit_test(test_money_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
