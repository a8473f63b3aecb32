/* test_classify.c — the classifier's parts: normalisation, language detection, entities
 * (S10 and UPS check digits, amounts, order ids), literal extraction, precedence, empty /
 * invalid / huge bodies, runaway patterns, broken rules files and `rules check`'s lints,
 * and the prefilters never changing a decision (Hyperscan and the literal automaton vs the
 * naive run, on every corpus message and on fuzzed texts), the Hyperscan form of patterns,
 * the Hyperscan library itself, and the database cache. */
#include "testutil.h"
#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "borderdesk/classify.h"
#include "../../src/classify/internal.h"

/* ---- helpers ---- */

static char *norm(const char *s)
{
    return classify_normalize(s, strlen(s), NULL);
}

static void assert_norm(const char *in, const char *want)
{
    char *got = norm(in);
    if (strcmp(got, want) != 0)
        fail_msg("normalise \"%s\": want \"%s\", got \"%s\"", in, want, got);
    free(got);
}

/* A temporary rules directory with one en/rules.json holding text. */
static char *rules_dir_with(const char *lang, const char *text)
{
    char *dir = tu_temp_path("-rules");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *sub = bd_asprintf("%s/%s", dir, lang);
    assert_int_equal(mkdir(sub, 0700), 0);
    char *file = bd_asprintf("%s/rules.json", sub);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(file);
    free(sub);
    return dir;
}

static void rules_dir_remove(char *dir)
{
    char *cmd = bd_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

static classify_rules *load_ok(const char *dir, int flags)
{
    classify_rules *r = NULL;
    bd_err err;
    if (classify_rules_load(dir, flags, &r, &err)) fail_msg("load %s: %s", dir, err.msg);
    return r;
}

static void classify_text(const classify_rules *r, const char *subject, const char *body,
                          classify_result *res)
{
    classify_input in = {
        subject, subject ? strlen(subject) : 0, body, body ? strlen(body) : 0, NULL, NULL, 0};
    bd_err err;
    if (classify_message(r, NULL, &in, res, &err)) fail_msg("classify: %s", err.msg);
}

static int fired(const classify_result *res, const char *id)
{
    for (size_t i = 0; i < res->n_fired && i < CLASSIFY_MAX_FIRED; i++)
        if (strcmp(res->fired[i], id) == 0) return 1;
    return 0;
}

/* ---- normalisation ---- */

static void test_normalize(void **state)
{
    (void)state;
    assert_norm("Reçu", "recu");
    assert_norm("NÃO RECEBI", "nao recebi");
    assert_norm("Straße", "strasse");
    assert_norm("ＲＥＦＵＮＤ １２３", "refund 123");
    assert_norm("don’t – “ok”", "don't - \"ok\"");
    assert_norm("ﬁne", "fine");
    assert_norm("ЗАКАЗ ЁЛКА", "заказ елка");
    assert_norm("ｶﾞｲﾄﾞ", "ガイド");  /* half-width kana recomposed */
    assert_norm("がぎぐ", "がぎぐ"); /* voicing marks kept */
    assert_norm("배송 언제", "배송 언제");
    assert_norm("أين طلبي؟ ١٢٣", "اين طلبي؟ 123"); /* hamza stripped, Arabic-Indic digits */
    assert_norm("مـــرحبا", "مرحبا");              /* tatweel */
    assert_norm("a\r\nb\rc\td", "a\nb\nc d");
    assert_norm("zero\xE2\x80\x8Bwidth\xEF\xB8\x8F", "zerowidth"); /* ZWSP, VS16 */
    assert_norm("bad \xFF\xC3 byte", "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
    assert_norm("ctl\x01\x7F", "ctl");
    assert_norm("", "");
    /* ASCII takes a fast path: it must agree with the general one on every byte */
    for (int c = 1; c < 128; c++) {
        char in[4] = {'x', (char)c, (char)0xC3, 0};
        char want[8];
        size_t k = 0;
        want[k++] = 'x';
        if (c >= 'A' && c <= 'Z')
            want[k++] = (char)(c + 32);
        else if (c == '\r' || c == '\n')
            want[k++] = '\n';
        else if (c == '\t' || c == '\v' || c == '\f')
            want[k++] = ' ';
        else if (c >= 0x20 && c != 0x7F)
            want[k++] = (char)c;
        memcpy(want + k, "\xEF\xBF\xBD", 4);
        char *got = norm(in);
        if (strcmp(got, want) != 0) fail_msg("byte 0x%02x: got \"%s\"", c, got);
        free(got);
    }
}

/* The lookup table of the two-byte range agrees with the general path, code point by code
 * point and between neighbours that compose, case or carry marks. */
static void test_normalize_table(void **state)
{
    (void)state;
    cl_normtab *t = cl_normtab_new();
    bd_buf a = BD_BUF_INIT, b = BD_BUF_INIT;
    for (int32_t cp = 0x80; cp < 0x800; cp++) {
        char s[16];
        int n = snprintf(s, sizeof s,
                         "A%c%c\xCC\x81"
                         "B\xC3\x9F",
                         (char)(0xC0 | (cp >> 6)), (char)(0x80 | (cp & 0x3F)));
        cl_stats sa, sb;
        memset(&sa, 0, sizeof sa);
        memset(&sb, 0, sizeof sb);
        bd_buf_reset(&a);
        bd_buf_reset(&b);
        cl_normalize_append(&a, s, (size_t)n, &sa, NULL);
        cl_normalize_append(&b, s, (size_t)n, &sb, t);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0 ||
            memcmp(&sa, &sb, sizeof sa) != 0)
            fail_msg("U+%04X: \"%s\" vs \"%s\"", (unsigned)cp, a.data, b.data);
    }
    bd_buf_free(&a);
    bd_buf_free(&b);
    cl_normtab_free(t);
}

/* ---- language detection on short texts written for this test ---- */

static void test_detect_language(void **state)
{
    (void)state;
    static const struct {
        const char *text, *lang;
    } cases[] = {
        {"Where is my parcel? It's been three weeks.", "en"},
        {"Hola, ¿dónde está mi pedido? Gracias", "es"},
        {"Bonjour, je n'ai toujours pas reçu mon colis", "fr"},
        {"Hallo, wo bleibt meine Bestellung? Danke", "de"},
        {"Ciao, il pacco non è ancora arrivato", "it"},
        {"Olá, meu pedido ainda não chegou", "pt"},
        {"Dzień dobry, paczka jeszcze nie doszła", "pl"},
        {"Здравствуйте, где мой заказ?", "ru"},
        {"zdravstvuyte, gde moy zakaz? spasibo", "ru"},
        {"注文した商品がまだ届きません", "ja"},
        {"我的包裹什么时候到？", "zh"},
        {"배송이 언제 되나요?", "ko"},
        {"وين طلبي؟ صار لي شهر", "ar"},
        {"iPhone 15 Pro Max 手机壳什么时候发货", "zh"},
    };
    classify_rules *none = NULL; /* the detector works without rules */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double cert = -1;
        const char *got =
            classify_detect_language(none, cases[i].text, strlen(cases[i].text), NULL, &cert);
        if (strcmp(got, cases[i].lang) != 0)
            fail_msg("\"%s\": want %s, got %s", cases[i].text, cases[i].lang, got);
        assert_true(cert > 0 && cert <= 1);
    }
    /* nothing to go on: the hint, else English */
    assert_string_equal(classify_detect_language(NULL, "12345 ???", 9, "de", NULL), "de");
    assert_string_equal(classify_detect_language(NULL, "", 0, NULL, NULL), "en");
    assert_string_equal(classify_detect_language(NULL, "", 0, "xx", NULL), "en");
}

/* ---- entities ---- */

static void entities_of(const char *text, const char *lang, classify_result *res)
{
    memset(res, 0, sizeof *res);
    classify_extract_entities(text, strlen(text), lang, res);
}

static void assert_amount(const char *text, const char *lang, const char *value, const char *cur)
{
    classify_result res;
    entities_of(text, lang, &res);
    if (strcmp(res.amount_value, value) != 0 || strcmp(res.amount_currency, cur) != 0)
        fail_msg("\"%s\": want %s %s, got \"%s\" \"%s\"", text, value, cur, res.amount_value,
                 res.amount_currency);
}

static void test_tracking_numbers(void **state)
{
    (void)state;
    assert_true(classify_s10_valid("RB719248650CN"));
    assert_true(classify_s10_valid("LP434640975CN"));
    assert_true(classify_s10_valid("EE123456785US"));  /* check digit 5 (sum % 11 == 0) */
    assert_false(classify_s10_valid("RB719248651CN")); /* wrong check digit */
    assert_false(classify_s10_valid("RB71924865CN"));
    assert_false(classify_s10_valid("R1719248650CN"));
    assert_true(classify_ups_valid("1Z999AA10123456784"));
    assert_true(classify_ups_valid("1ZA4R9V56803172265"));
    assert_false(classify_ups_valid("1Z999AA10123456785"));
    assert_false(classify_ups_valid("1Z999AA1012345678"));

    classify_result res;
    entities_of("tracking rb719248650cn please", "en", &res);
    assert_string_equal(res.tracking_number, "RB719248650CN");
    entities_of("RB719248651CN is wrong, LP434640975CN is right", "en", &res);
    assert_string_equal(res.tracking_number, "LP434640975CN");
    entities_of("UPS 1Z999AA10123456784 stuck", "en", &res);
    assert_string_equal(res.tracking_number, "1Z999AA10123456784");
    entities_of("Yanwen YT2410337281946025 no se mueve", "es", &res);
    assert_string_equal(res.tracking_number, "YT2410337281946025");
    entities_of("菜鸟单号LP00123456789033查不到", "zh", &res);
    assert_string_equal(res.tracking_number, "LP00123456789033");
    entities_of("ＲＢ７１９２４８６５０ＣＮ", "ja", &res); /* full-width */
    assert_string_equal(res.tracking_number, "RB719248650CN");
    entities_of("call me 0044 7700 900123, SKU AB1234567890", "en", &res);
    assert_string_equal(res.tracking_number, "");
}

static void test_order_ids(void **state)
{
    (void)state;
    classify_result res;
    entities_of("Order 028-7391024-4456123?", "en", &res);
    assert_string_equal(res.order_id, "028-7391024-4456123");
    assert_true(res.flags & CLASSIFY_FLAG_MENTIONS_ORDER);
    entities_of("ITEM NEVER ARRIVED. 12-10345-67890.", "en", &res);
    assert_string_equal(res.order_id, "12-10345-67890");
    entities_of("заказ 8163429986152044", "ru", &res);
    assert_string_equal(res.order_id, "8163429986152044");
    entities_of("pedido 241103abc12def", "pt", &res);
    assert_string_equal(res.order_id, "241103ABC12DEF");
    /* not order ids: 15 or 17 digits, a date-less code, a longer hyphenated number */
    entities_of("card 816342998615204 and 81634299861520441, 991399ABCDEFGH", "en", &res);
    assert_string_equal(res.order_id, "");
    entities_of("ref 1028-7391024-4456123", "en", &res);
    assert_string_equal(res.order_id, "");
    assert_false(res.flags & CLASSIFY_FLAG_MENTIONS_ORDER);
}

static void test_amounts(void **state)
{
    (void)state;
    assert_amount("refund of $45.99 please", "en", "45.99", "USD");
    assert_amount("charged me £14 extra", "en", "14.00", "GBP");
    assert_amount("DHL wants €38.50", "en", "38.50", "EUR");
    assert_amount("die 39,95 € sind weg", "de", "39.95", "EUR");
    assert_amount("Total: EUR 1.234,56", "de", "1234.56", "EUR");
    assert_amount("USD 1,234.56 paid", "en", "1234.56", "USD");
    assert_amount("45.99 usd", "en", "45.99", "USD");
    assert_amount("R$ 89,90 de imposto", "pt", "89.90", "BRL");
    assert_amount("１個¥3,980は高い", "ja", "3980", "JPY");
    assert_amount("¥268退款", "zh", "268.00", "CNY");
    assert_amount("関税１，８００円", "ja", "1800", "JPY");
    assert_amount("２万円くらい", "ja", "20000", "JPY");
    assert_amount("관세 38,000원", "ko", "38000", "KRW");
    assert_amount("150달러 넘으면", "ko", "150.00", "USD");
    assert_amount("3499 руб вообще-то", "ru", "3499.00", "RUB");
    assert_amount("87,50 zł za odprawę", "pl", "87.50", "PLN");
    assert_amount("200 euro", "pl", "200.00", "EUR");
    assert_amount("٣٥٠ درهم", "ar", "350.00", "AED");
    assert_amount("٣٠ دينار كويتي", "ar", "30.00", "KWD");
    assert_amount("18 CHF Gebühr", "de", "18.00", "CHF");
    assert_amount("buy 10 pcs at $8 each", "en", "8.00", "USD");
    assert_amount("3천원 할인", "ko", "3000", "KRW");
    assert_amount("3천 원", "ko", "3000", "KRW");
    assert_amount("5 тыс. руб", "ru", "5000.00", "RUB");
    assert_amount("1千円", "ja", "1000", "JPY");
    assert_amount("200日元", "zh", "200", "JPY");
    assert_amount("١٠٠ جنيه", "ar", "100.00", "EGP");
    assert_amount("50 دولار", "ar", "50.00", "USD");
    assert_amount("30 ريال قطري", "ar", "30.00", "QAR");
    assert_amount("2万 is a number", "zh", "", "");
    assert_amount("no money here: 10 pcs, 3 weeks, order 5", "en", "", "");
}

/* ---- literal extraction (the prefilter's safety rests on it) ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* want: "a|b" sorted, or ""; want_exact: the strings are the whole pattern (no PCRE2) */
static void assert_lits_x(const char *pattern, const char *want, int want_exact)
{
    char **lits;
    int exact, prefix;
    long max;
    size_t n = cl_required_literals(pattern, &lits, &exact, &prefix, &max);
    if (n) qsort(lits, n, sizeof *lits, cmp_str);
    bd_buf b = BD_BUF_INIT;
    for (size_t i = 0; i < n; i++) { /* word-boundary flags shown as \b */
        if (i) bd_buf_putc(&b, '|');
        for (const char *c = lits[i]; *c; c++)
            if (*c == '\x01')
                bd_buf_puts(&b, "\\b");
            else if (*c == '\x03')
                bd_buf_puts(&b, "\\w+");
            else
                bd_buf_putc(&b, *c);
        free(lits[i]);
    }
    free(lits);
    if (strcmp(b.data ? b.data : "", want) != 0)
        fail_msg("/%s/: want \"%s\", got \"%s\"", pattern, want, b.data ? b.data : "");
    bd_buf_free(&b);
    if (exact != want_exact) fail_msg("/%s/: exact %d, want %d", pattern, exact, want_exact);
}

static void assert_lits(const char *pattern, const char *want)
{
    assert_lits_x(pattern, want, 0);
}

/* The longest match in characters (the prefilter counts 4 bytes each), -1 unbounded. */
static void assert_max(const char *pattern, long want_chars)
{
    char **lits;
    int exact, prefix;
    long max;
    size_t n = cl_required_literals(pattern, &lits, &exact, &prefix, &max);
    for (size_t i = 0; i < n; i++)
        free(lits[i]);
    free(lits);
    long want = want_chars < 0 ? -1 : 4 * want_chars;
    if (max != want) fail_msg("/%s/: longest match %ld bytes, want %ld", pattern, max, want);
}

static void test_literals(void **state)
{
    (void)state;
    assert_lits_x("refund", "refund", 1);
    assert_lits("\\bwh?ere\\s+(is|r)\\s+my\\s+(order|parcel)s?\\b", "order\\b|orders\\b|parcel");
    assert_lits_x("(?:a|b)c(?:d|e)", "acd|ace|bcd|bce", 1);
    assert_lits_x("never (arrived|came)", "never arrived|never came", 1);
    assert_lits("never (arrived|came)\\s", "never "); /* cut to 6 bytes */
    assert_lits("REFUND", "refund");                  /* not exact: upper case */
    assert_lits_x("a-?to-?z", "a-to-z|a-toz|ato-z|atoz", 1);
    assert_lits("x+yz", "yz");
    assert_lits("(?:foo)+bar", "foo");
    assert_lits_x("colou?r", "color|colour", 1);
    assert_lits("\\d+ weeks", " weeks");
    assert_lits("abc|\\d+", "");   /* a branch with no literal: always run */
    assert_lits("a(?=bcd)", "");   /* lookahead text is not required */
    assert_lits("(?x) r e f", ""); /* extended mode is not analysed */
    assert_lits("(a)\\1", "");     /* back references neither */
    assert_lits(".*", "");
    assert_lits_x("[ck]at", "cat|kat", 1);
    assert_lits("[a-z]at", "at");
    assert_lits("\\Qa.b\\E+", "a.b");
    assert_lits_x("\\x{4E2D}\\x{6587}", "中文", 1); /* any script is a list of strings */
    assert_lits_x("未着|届いて(い)?ない", "届いていない|届いてない|未着", 1);
    assert_lits("未着|届いて(い)?ない\\s", "届い|未着");
    assert_lits("Возврат", "воз"); /* upper case: not exact; 6 bytes */
    /* optional pieces at the end of the pattern (or of a top-level branch) decide nothing:
     * dropped, the rest is a list */
    assert_lits_x("\\bthanks?\\b(?: (?:so|very) much)?(?: for (?:the|your) (?:quick |fast )?"
                  "(?:reply|help|response|answer|info|information|support))?",
                  "\\bthank\\b|\\bthanks\\b", 1);
    assert_lits_x("\\b(?:size|colou?r)\\b\\??", "\\bcolor\\b|\\bcolour\\b|\\bsize\\b", 1);
    assert_lits_x("refund(?: now)?|money back[!.]*", "money back|refund", 1);
    /* ... but not when something required or an assertion follows them */
    assert_lits_x("refund(?: now)?\\b", "refund\\b|refund now\\b", 1); /* small: a list */
    assert_lits("refund(?: now)?x+", "refund");
    assert_lits("(?: now)?", "");
    /* one character of another script is a string too; one ASCII character is not */
    assert_lits_x("[还還][没沒]|慢|久", "久|慢|还沒|还没|還沒|還没", 1);
    assert_lits("a|bc", "");
    /* a word's tail: \w* asks for nothing after the stem, \w+ for one more word character */
    assert_lits_x("\\b(?:разбит|треснут)\\w*", "\\bразбит|\\bтреснут", 1);
    assert_lits_x("\\bвозврат\\w*\\b", "\\bвозврат", 1);
    assert_lits_x("\\bслома\\w+", "\\bслома\\w+", 1);
    assert_lits_x("\\bнет\\b", "\\bнет\\b", 1); /* Cyrillic letters are word characters */
    assert_lits("\\bприш\\w* \\d", "\\bпри");   /* a tail inside: not exact; 6 bytes */
    assert_lits("\\bre \\w*\\b", "\\bre ");     /* \w*\b after a space needs a word */
    assert_lits_x("😡|🤬", "😡|🤬", 1); /* emoji: one character each, a list */
    assert_lits_x("\\bhi\\b", "\\bhi\\b", 1);   /* word boundaries become flags */
    assert_lits("^hi$", "hi");                  /* anchors: not exact */
    assert_lits("hi(?=!)", "hi");               /* lookahead: not exact */
    assert_lits("\\bhi\\b\\d", "\\bhi\\b");
    assert_lits_x("\\b(?:refunded|refund)\\b", "\\brefund\\b|\\brefunded\\b", 1);
    assert_lits("\\b(?:refunded|refund)\\b\\s", "\\brefund|\\brefund\\b"); /* cut: no end flag */
    assert_lits("\\b\\$\\d+", "");          /* \\b before a non-word character */
    assert_lits("[?!]{3,}", "!!|!?|?!|??"); /* repetition of a small class */
    assert_lits_x("\\b(?:you|seller) ignored", "\\bseller ignored|\\byou ignored", 1);
    assert_lits("\\b(?:you|seller) ignored\\s", "\\bseller|\\byou ig"); /* cut to 6 bytes */
    assert_lits("\\b(?:you|they) \\w+ ignored", " ignor");              /* common words lose */
    assert_max("\\b(?:you|seller) ignored\\s", 15);
    assert_max("\\bвозврат\\b[^.!?\\n]{0,10}\\bне (?:пришел|вернули)", 7 + 10 + 3 + 7);
    assert_max("\\bвозврат\\w*", -1);
    assert_max("(?:ab|c)?d{2,3}(?=xyz)\\R", 2 + 3 + 2);
    assert_max("\\d+ weeks", -1);
    assert_max("\\Qa.b\\E \\d", 5);
}

/* ---- precedence and scoring, with rules written for the test ---- */

static const char *precedence_rules =
    "{\"language\": \"en\", \"rules\": ["
    "{\"id\": \"en.t.cb\", \"category\": \"dispute\", \"subcategory\": \"chargeback\", "
    "\"weight\": 1, \"patterns\": [\"chargeback\"], \"flags\": [\"threatens_dispute\"]},"
    "{\"id\": \"en.t.broken\", \"category\": \"dispute\", \"subcategory\": \"damaged\", "
    "\"weight\": 1, \"patterns\": [\"broken\"], \"unless\": [\"not broken\"]},"
    "{\"id\": \"en.t.refund\", \"category\": \"dispute\", \"subcategory\": \"refund\", "
    "\"weight\": 10, \"patterns\": [\"refund\"]},"
    "{\"id\": \"en.t.star\", \"category\": \"review\", \"subcategory\": \"negative\", "
    "\"weight\": 10, \"patterns\": [\"1 star\"], \"flags\": [\"threatens_negative_feedback\"]},"
    "{\"id\": \"en.t.late\", \"category\": \"shipping\", \"subcategory\": \"delay\", "
    "\"weight\": 1, \"patterns\": [\"late\"]},"
    "{\"id\": \"en.t.where\", \"category\": \"shipping\", \"subcategory\": \"tracking\", "
    "\"weight\": 1, \"patterns\": [\"where\"]},"
    "{\"id\": \"en.t.subj\", \"category\": \"other\", \"subcategory\": \"invoice\", "
    "\"weight\": 5, \"patterns\": [\"invoice\"], \"where\": \"subject\"},"
    "{\"id\": \"en.t.runaway\", \"category\": \"other\", \"subcategory\": \"spam\", "
    "\"weight\": 1, \"patterns\": [\"(a|aa)+$\"]},"
    "{\"id\": \"en.t.angry\", \"patterns\": [\"!!!\"], \"flags\": [\"angry\"], "
    "\"sentiment\": \"negative\"},"
    "{\"id\": \"en.t.hi\", \"category\": \"other\", \"subcategory\": \"greeting\", "
    "\"weight\": 1, \"patterns\": [\"\\\\bhi\\\\b\"]}"
    "]}";

static void test_precedence(void **state)
{
    (void)state;
    char *dir = rules_dir_with("en", precedence_rules);
    classify_rules *r = load_ok(dir, 0);
    classify_result res;
    /* a concrete defect beats a generic refund request, whatever the weights */
    classify_text(r, NULL, "It came broken. Refund now", &res);
    assert_string_equal(res.subcategory, "damaged");
    assert_string_equal(res.category, "dispute");
    assert_true(fired(&res, "en.t.refund") && fired(&res, "en.t.broken"));
    /* a chargeback threat beats everything */
    classify_text(r, NULL, "broken, refund or chargeback, 1 star", &res);
    assert_string_equal(res.subcategory, "chargeback");
    assert_string_equal(res.urgency, "urgent");
    assert_true(res.flags & CLASSIFY_FLAG_DISPUTE);
    /* a problem beats a review threat, but the threat is still flagged */
    classify_text(r, NULL, "so late. 1 star", &res);
    assert_string_equal(res.subcategory, "delay");
    assert_true(res.flags & CLASSIFY_FLAG_NEGATIVE_FEEDBACK);
    assert_string_equal(res.urgency, "high");
    classify_text(r, NULL, "1 star", &res);
    assert_string_equal(res.subcategory, "negative");
    /* plain scores; ties go to the subcategory listed first */
    classify_text(r, NULL, "refund", &res);
    assert_string_equal(res.subcategory, "refund");
    classify_text(r, NULL, "where is it, so late", &res);
    assert_string_equal(res.subcategory, "tracking");
    /* unless vetoes */
    classify_text(r, NULL, "the box is not broken", &res);
    assert_string_equal(res.subcategory, "unknown");
    assert_false(fired(&res, "en.t.broken"));
    /* where: subject */
    classify_text(r, "invoice", "hello", &res);
    assert_string_equal(res.subcategory, "invoice");
    classify_text(r, "hello", "invoice", &res);
    assert_string_equal(res.subcategory, "unknown");
    /* signals: anger from a rule and from words in capitals */
    classify_text(r, NULL, "late!!!", &res);
    assert_true(res.flags & CLASSIFY_FLAG_ANGRY);
    assert_string_equal(res.sentiment, "negative");
    classify_text(r, NULL, "WHERE IS MY ORDER, YOU THIEVES", &res);
    assert_true(res.flags & CLASSIFY_FLAG_ANGRY);
    assert_true(fired(&res, "engine.shouting"));
    classify_text(r, NULL, "Where is my order? VAT ID DE123", &res);
    assert_false(res.flags & CLASSIFY_FLAG_ANGRY);
    /* confidence: more evidence, more confidence; a contested decision, less */
    classify_result one, two;
    classify_text(r, NULL, "where", &one);
    classify_text(r, NULL, "where late", &two);
    assert_true(one.confidence > two.confidence);
    assert_true(one.confidence > 0 && one.confidence <= 1);
    /* a literal-only pattern (\bhi\b) decided by the prefilter, PCRE2 where a neighbour is
     * not ASCII */
    static const struct {
        const char *text;
        int fires;
    } his[] = {{"hi!", 1},   {"oh hi there", 1}, {"this", 0}, {"hit", 0},  {"中hi", 0},
               {"中 hi", 1}, {"привет hi", 1},   {"héhi", 0}, {"hi中", 0}, {"hi。", 1}};
    for (size_t i = 0; i < sizeof his / sizeof his[0]; i++) {
        classify_text(r, NULL, his[i].text, &res);
        if (fired(&res, "en.t.hi") != his[i].fires)
            fail_msg("\"%s\": en.t.hi %s", his[i].text, his[i].fires ? "missed" : "fired");
    }
    /* repeated contact raises urgency and is reported */
    classify_input in = {NULL, 0, "where", 5, NULL, NULL, 1};
    bd_err err;
    assert_int_equal(classify_message(r, NULL, &in, &res, &err), 0);
    assert_true(res.flags & CLASSIFY_FLAG_REPEATED);
    assert_string_equal(res.urgency, "high");
    classify_rules_free(r);
    rules_dir_remove(dir);
}

/* ---- bodies that must not break anything ---- */

static void test_hostile_bodies(void **state)
{
    (void)state;
    char *dir = rules_dir_with("en", precedence_rules);
    classify_rules *r = load_ok(dir, 0);
    classify_scratch *s = classify_scratch_new(r);
    classify_result res;
    bd_err err;
    /* empty and blank bodies */
    classify_text(r, NULL, "", &res);
    assert_string_equal(res.category, "other");
    assert_string_equal(res.subcategory, "unknown");
    classify_text(r, "refund", " \n\t ", &res);
    assert_string_equal(res.subcategory, "unknown");
    classify_text(r, NULL, NULL, &res);
    assert_string_equal(res.subcategory, "unknown");
    /* invalid UTF-8 is read as U+FFFD */
    classify_text(r, NULL, "\xFF\xFE refund \xC3", &res);
    assert_string_equal(res.subcategory, "refund");
    /* a runaway pattern ((a|aa)+$ on "aaaa...b") hits the match limit, not the clock */
    char *as = bd_malloc(5001);
    memset(as, 'a', 5000);
    as[4999] = 'b';
    as[5000] = 0;
    classify_text(r, NULL, as, &res);
    free(as);
    /* 1 MB: capped, so it costs about what CLASSIFY_MAX_SCAN bytes cost */
    size_t big = 1u << 20;
    char *body = bd_malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        body[i] = "where is it, so late. "[i % 22];
    memcpy(body + big - 10, " refund!!!", 10);
    body[big] = 0;
    classify_input in = {NULL, 0, body, big, NULL, NULL, 0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(classify_message(r, s, &in, &res, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(res.truncated);
    assert_false(fired(&res, "en.t.refund")); /* past the cap */
    assert_string_equal(res.subcategory, "tracking");
    double ms =
        ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / 10;
    print_message("1 MB body: %.2f ms per message (scanned %u bytes)\n", ms, CLASSIFY_MAX_SCAN);
    /* the cap lands on a character boundary */
    for (size_t i = 0; i < big; i += 3)
        memcpy(body + i, "中", i + 3 <= big ? 3 : big - i);
    in.body_len = big - big % 3;
    assert_int_equal(classify_message(r, s, &in, &res, &err), 0);
    assert_true(res.truncated);
    assert_string_equal(res.language, "zh");
    free(body);
    classify_scratch_free(s);
    classify_rules_free(r);
    rules_dir_remove(dir);
}

/* ---- broken rules files ---- */

static void assert_load_fails(const char *text, const char *want1, const char *want2)
{
    char *dir = rules_dir_with("en", text);
    classify_rules *r = NULL;
    bd_err err;
    assert_int_equal(classify_rules_load(dir, 0, &r, &err), -1);
    assert_null(r);
    if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err.msg, want1, want2 ? want2 : "");
    assert_non_null(strstr(err.msg, "en/rules.json"));
    rules_dir_remove(dir);
}

static void test_broken_rules(void **state)
{
    (void)state;
    assert_load_fails("{\"language\": \"en\", \"rules\": [{\"id\": \"en.x\", \"category\": "
                      "\"dispute\", \"subcategory\": \"refund\", \"patterns\": [\"ok\", "
                      "\"(unclosed\"]}]}",
                      "en.x", "missing closing parenthesis");
    assert_load_fails("{\"language\": \"en\", \"rules\": [{\"id\": \"en.x\", \"category\": "
                      "\"dispute\", \"subcategory\": \"refundz\", \"patterns\": [\"a\"]}]}",
                      "en.x", "refundz");
    assert_load_fails("{\"language\": \"en\", \"rules\": [{\"id\": \"en.x\", \"category\": "
                      "\"shipping\", \"subcategory\": \"refund\", \"patterns\": [\"a\"]}]}",
                      "belongs to \"dispute\"", NULL);
    assert_load_fails("{\"language\": \"en\", \"rules\": [{\"id\": \"en.x\", \"patterns\": "
                      "[\"a\"], \"flags\": [\"furious\"]}]}",
                      "furious", NULL);
    assert_load_fails("{\"language\": \"en\", \"rules\": [{\"id\": \"en.x\", \"patterns\": "
                      "[\"a\"], \"flags\": [\"angry\"]}, {\"id\": \"en.x\", \"patterns\": "
                      "[\"b\"], \"flags\": [\"angry\"]}]}",
                      "duplicate rule id", NULL);
    assert_load_fails("{\"language\": \"de\", \"rules\": []}", "\"language\" must be \"en\"", NULL);
    assert_load_fails("{\"language\": \"en\", \"rules\": [{\"id\": \"en.x\", \"pattern\": "
                      "[\"a\"], \"flags\": [\"angry\"]}]}",
                      "unknown key \"pattern\"", NULL);
    assert_load_fails("{\"language\": \"en\", \"rules\": [", "malformed JSON", NULL);
    assert_load_fails("{\"language\": \"en\", \"rules\": [{\"id\": \"en.x\", \"category\": "
                      "\"dispute\", \"subcategory\": \"refund\", \"weight\": -2, "
                      "\"patterns\": [\"a\"]}]}",
                      "weight", NULL);
    /* a directory without rules files, and one that does not exist */
    char *empty = tu_temp_path("-empty");
    assert_int_equal(mkdir(empty, 0700), 0);
    classify_rules *r;
    bd_err err;
    assert_int_equal(classify_rules_load(empty, 0, &r, &err), -1);
    assert_non_null(strstr(err.msg, "no rules file"));
    rmdir(empty);
    assert_int_equal(classify_rules_load(empty, 0, &r, &err), -1);
    free(empty);
}

typedef struct findings {
    int errors, warnings;
    bd_buf text;
} findings;

static void collect(void *ud, int is_error, const char *file, const char *rule, const char *msg)
{
    findings *f = ud;
    (void)file;
    if (is_error)
        f->errors++;
    else
        f->warnings++;
    bd_buf_printf(&f->text, "%s %s: %s\n", is_error ? "E" : "W", rule ? rule : "-", msg);
}

static void test_rules_check(void **state)
{
    (void)state;
    const char *text =
        "{\"language\": \"en\", \"rules\": ["
        "{\"id\": \"en.cb\", \"category\": \"dispute\", \"subcategory\": \"chargeback\", "
        "\"patterns\": [\"paypal claim\"]},"
        "{\"id\": \"en.shadowed\", \"category\": \"dispute\", \"subcategory\": \"refund\", "
        "\"patterns\": [\"paypal claim\"]},"
        "{\"id\": \"en.accent\", \"category\": \"dispute\", \"subcategory\": \"refund\", "
        "\"patterns\": [\"remboursé\", \"[é]\"]},"
        "{\"id\": \"en.upper\", \"category\": \"dispute\", \"subcategory\": \"refund\", "
        "\"patterns\": [\"REFUND\\\\S\"], \"examples\": [\"refund!\", \"no money\"]},"
        "{\"id\": \"en.broken\", \"category\": \"dispute\", \"subcategory\": \"refund\", "
        "\"patterns\": [\"a{2,1}\"]},"
        "{\"id\": \"en.twin\", \"category\": \"dispute\", \"subcategory\": \"chargeback\", "
        "\"patterns\": [\"paypal claim\"]},"
        "{\"id\": \"es.wrongprefix\", \"flags\": [\"angry\"], \"patterns\": [\"x\"]},"
        "{\"id\": \"en.nothing\", \"patterns\": [\"y\"]},"
        "{\"id\": \"en.anchored\", \"flags\": [\"angry\"], \"patterns\": [\"^grr\"]}"
        "]}";
    char *dir = rules_dir_with("en", text);
    findings f = {0, 0, BD_BUF_INIT};
    bd_err err;
    int n = classify_rules_check(dir, collect, &f, &err);
    const char *t = f.text.data;
    print_message("%s", t);
    assert_int_equal(n, f.errors);
    assert_non_null(strstr(t, "E en.shadowed: can never decide: rule \"en.cb\""));
    assert_non_null(strstr(t, "E en.accent: pattern 1: \"é\" never appears"));
    assert_non_null(strstr(t, "E en.accent: pattern 2: \"é\" never appears"));
    assert_null(strstr(t, "en.upper: pattern")); /* upper case is fine: patterns are caseless */
    assert_non_null(strstr(t, "E en.upper: example 2 does not fire the rule"));
    assert_null(strstr(t, "example 1 does not fire"));
    assert_non_null(strstr(t, "E en.broken: pattern 1 \"a{2,1}\" does not compile"));
    assert_non_null(strstr(t, "W en.twin: has the same patterns as rule \"en.cb\""));
    assert_non_null(strstr(t, "E es.wrongprefix: the id must start with \"en.\""));
    assert_non_null(strstr(t, "E en.nothing: the rule neither votes"));
    assert_non_null(strstr(t, "W en.anchored: pattern 1 starts with ^"));
    assert_int_equal(f.errors, 7);
    bd_buf_free(&f.text);
    rules_dir_remove(dir);

    /* the shipped rules are clean */
    char *shipped = bd_asprintf("%s/locales", tu_source_dir());
    findings g = {0, 0, BD_BUF_INIT};
    n = classify_rules_check(shipped, collect, &g, &err);
    if (n != 0) fail_msg("locales/: %s", g.text.data);
    bd_buf_free(&g.text);
    free(shipped);
}

/* ---- the prefilters never change a result ---- */

static void same_result(const classify_result *a, const classify_result *b, const char *what)
{
    if (strcmp(a->subcategory, b->subcategory) != 0 || a->flags != b->flags ||
        a->n_fired != b->n_fired || a->confidence != b->confidence)
        fail_msg("%s: prefiltered %s (%zu rules) vs naive %s (%zu rules)", what, a->subcategory,
                 a->n_fired, b->subcategory, b->n_fired);
    for (size_t i = 0; i < a->n_fired && i < CLASSIFY_MAX_FIRED; i++)
        if (strcmp(a->fired[i], b->fired[i]) != 0)
            fail_msg("%s: rule %zu: %s vs %s", what, i, a->fired[i], b->fired[i]);
}

/* The shipped rules three ways: Hyperscan + literal automaton (the default), the literal
 * automaton alone, and naive (every pattern, no JIT, no prefilter). A prefilter that skipped
 * a pattern that matches would silently lose a classification. */
typedef struct three {
    classify_rules *hs, *lit, *naive;
    classify_scratch *shs, *slit, *snaive;
    size_t checked, firings;
    classify_input *kept;  /* every message checked, for the batch check */
    classify_result *want; /* and its result one at a time */
} three;

static void three_check(three *t, const char *subject, const char *body, const char *lang,
                        const char *what)
{
    classify_input in = {subject, subject ? strlen(subject) : 0, body, strlen(body), lang, NULL, 0};
    classify_result h, l, n;
    bd_err err;
    if (classify_message(t->hs, t->shs, &in, &h, &err)) fail_msg("%s: %s", what, err.msg);
    if (classify_message(t->lit, t->slit, &in, &l, &err)) fail_msg("%s: %s", what, err.msg);
    if (classify_message(t->naive, t->snaive, &in, &n, &err)) fail_msg("%s: %s", what, err.msg);
    same_result(&h, &n, what);
    same_result(&l, &n, what);
    t->kept = bd_realloc(t->kept, (t->checked + 1) * sizeof *t->kept);
    t->want = bd_realloc(t->want, (t->checked + 1) * sizeof *t->want);
    in.subject = subject ? bd_strdup(subject) : NULL;
    in.body = bd_strdup(body);
    t->kept[t->checked] = in;
    t->want[t->checked] = h;
    t->checked++;
    t->firings += n.n_fired;
}

/* A deterministic pseudo-random number (xorshift), so that a failure can be replayed. */
static uint32_t rnd(uint64_t *st)
{
    *st ^= *st << 13, *st ^= *st >> 7, *st ^= *st << 17;
    return (uint32_t)(*st >> 11);
}

/* Pieces that test the edges of the rewriting: word boundaries next to letters of other
 * scripts, characters normalisation folds, spaces and digits of other scripts, marks. */
static const char *const odd_pieces[] = {" ",
                                         "\n",
                                         "!!",
                                         "! !",
                                         "!",
                                         "?",
                                         "...",
                                         "ё",
                                         "ß",
                                         "İ",
                                         "ſ",
                                         "\xe2\x84\xaa" /* Kelvin */,
                                         "\xc2\xa0",
                                         "\xe3\x80\x80",
                                         "\xef\xbc\xa1\xef\xbc\xa2",
                                         "\xd9\xa1\xd9\xa2",
                                         "_",
                                         "é",
                                         "\xe2\x80\x8b",
                                         "\xcc\x81",
                                         "\xe1\x9a\x80",
                                         "\xe2\x80\xa8",
                                         "x",
                                         "9",
                                         "\xd0\xb6",
                                         "\xe4\xb8\xad",
                                         "\xf0\x9f\x98\x80",
                                         "\xe0\xa5\xa9" /* Devanagari 3 */,
                                         "'",
                                         "-",
                                         "\t",
                                         "Ç",
                                         "\xc3",
                                         "\xff"};

static void fuzz_text(uint64_t *st, char *const *bodies, size_t n_bodies, bd_buf *out)
{
    bd_buf_reset(out);
    int parts = 2 + (int)(rnd(st) % 4);
    for (int k = 0; k < parts; k++) {
        const char *b = bodies[rnd(st) % n_bodies];
        size_t len = strlen(b);
        size_t from = len ? rnd(st) % len : 0, take = len - from;
        size_t most = 1 + rnd(st) % 120;
        if (take > most) take = most;
        bd_buf_append(out, b + from, take); /* may cut a character: invalid UTF-8 too */
        int odd = (int)(rnd(st) % 3);
        for (int j = 0; j < odd; j++)
            bd_buf_puts(out, odd_pieces[rnd(st) % (sizeof odd_pieces / sizeof *odd_pieces)]);
        if (rnd(st) % 4 == 0) { /* a random code point of any plane */
            uint32_t cp = 0x80 + rnd(st) % 0x2FF80;
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0x4E2D;
            char u[4];
            size_t n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (n == 2) u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F));
            if (n == 3)
                u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
                u[2] = (char)(0x80 | (cp & 0x3F));
            if (n == 4)
                u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
            bd_buf_append(out, u, n);
        }
    }
    if (rnd(st) % 5 == 0)
        for (char *p = out->data; *p; p++)
            if (*p >= 'a' && *p <= 'z') *p -= 32;
}

static void test_prefilter_equivalence(void **state)
{
    (void)state;
    char *dir = bd_asprintf("%s/locales", tu_source_dir());
    three t = {0};
    t.hs = load_ok(dir, 0);
    t.lit = load_ok(dir, CLASSIFY_LOAD_LITERAL);
    t.naive = load_ok(dir, CLASSIFY_LOAD_NAIVE);
    t.shs = classify_scratch_new(t.hs);
    t.slit = classify_scratch_new(t.lit);
    t.snaive = classify_scratch_new(t.naive);
    size_t in_hs = 0, pats = 0;
    for (int l = 0; l < CLASSIFY_N_LANGS; l++)
        for (size_t p = 0; p < t.hs->langs[l].n_pats; p++)
            in_hs += t.hs->langs[l].pats[p].hs, pats++;
    /* every corpus set: only run through, never read for rules */
    static const char *const sets[] = {"tune", "dev", "heldout", "heldout2", "heldout3"};
    char **bodies = NULL;
    size_t n_bodies = 0;
    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++)
        for (int l = 0; l < CLASSIFY_N_LANGS; l++) {
            tu_corpus c;
            if (tu_corpus_load(sets[s], classify_langs[l], &c)) continue;
            for (size_t i = 0; i < c.n; i++) {
                const char *subject = bd_json_str(c.rows[i], "subject");
                const char *body = bd_json_str(c.rows[i], "body");
                const char *id = bd_json_str(c.rows[i], "id");
                if (!body) body = "";
                bodies = bd_realloc(bodies, (n_bodies + 1) * sizeof *bodies);
                bodies[n_bodies++] = bd_strdup(body);
                /* tune: as written, in capitals, and cut in the middle; the others as written */
                for (int v = 0; v < (s == 0 ? 3 : 1); v++) {
                    char *b = bd_strdup(body);
                    if (v == 1)
                        for (char *p = b; *p; p++)
                            if (*p >= 'a' && *p <= 'z') *p -= 32;
                    if (v == 2) b[strlen(b) / 2] = 0;
                    three_check(&t, subject, b, NULL, id);
                    free(b);
                }
            }
            tu_corpus_free(&c);
        }
    /* spliced and salted texts, in every language's rules */
    uint64_t st = 0x9E3779B97F4A7C15ull;
    bd_buf text = BD_BUF_INIT;
    for (int i = 0; i < 1200; i++) {
        fuzz_text(&st, bodies, n_bodies, &text);
        char what[32];
        snprintf(what, sizeof what, "fuzz #%d", i);
        three_check(&t, i % 7 == 0 ? "RE: order!!" : NULL, text.data,
                    classify_langs[i % CLASSIFY_N_LANGS], what);
    }
    print_message("prefilters: %zu messages, %zu rule firings, Hyperscan and the literal "
                  "automaton alone identical to the naive run; %zu of %zu patterns in Hyperscan\n",
                  t.checked, t.firings, in_hs, pats);
    /* all of them at once, in batches of every language mixed (and a few blank bodies):
     * the same results as one at a time */
    size_t n = t.checked;
    classify_result *got = bd_calloc(n, sizeof *got);
    bd_err *errs = bd_calloc(n, sizeof *errs);
    int *rcs = bd_calloc(n, sizeof *rcs);
    for (size_t i = 0; i < n; i += 97) {
        free((char *)t.kept[i].body);
        t.kept[i].body = bd_strdup(i % 2 ? "" : " \n ");
        t.kept[i].body_len = strlen(t.kept[i].body);
        bd_err err;
        assert_int_equal(classify_message(t.hs, t.shs, &t.kept[i], &t.want[i], &err), 0);
        assert_string_equal(t.want[i].subcategory, "unknown");
    }
    assert_int_equal(classify_messages(t.hs, t.shs, t.kept, got, n, errs, rcs), 0);
    for (size_t i = 0; i < n; i++) {
        char what[48];
        snprintf(what, sizeof what, "batch message %zu", i);
        assert_int_equal(rcs[i], 0);
        same_result(&got[i], &t.want[i], what);
        assert_string_equal(got[i].language, t.want[i].language);
        assert_string_equal(got[i].urgency, t.want[i].urgency);
        assert_int_equal(got[i].n_scores, t.want[i].n_scores);
        assert_int_equal(got[i].truncated, t.want[i].truncated);
        free((char *)t.kept[i].subject);
        free((char *)t.kept[i].body);
    }
    print_message("batches: %zu messages classified together, each result as one at a time\n", n);
    free(got);
    free(errs);
    free(rcs);
    free(t.kept);
    free(t.want);
    assert_true(t.checked > 4000 && t.firings > 0);
    assert_true(in_hs > 0);
    for (size_t i = 0; i < n_bodies; i++)
        free(bodies[i]);
    free(bodies);
    bd_buf_free(&text);
    classify_scratch_free(t.shs);
    classify_scratch_free(t.slit);
    classify_scratch_free(t.snaive);
    classify_rules_free(t.hs);
    classify_rules_free(t.lit);
    classify_rules_free(t.naive);
    free(dir);
}

/* ---- the Hyperscan form of a pattern ---- */

static void assert_hs(const char *pattern, int anchors_ok, const char *want)
{
    char *got = cl_hs_pattern(pattern, anchors_ok, NULL);
    if (!want && got) fail_msg("\"%s\": want no Hyperscan form, got \"%s\"", pattern, got);
    if (want && (!got || strcmp(got, want) != 0))
        fail_msg("\"%s\": want \"%s\", got \"%s\"", pattern, want, got ? got : "(none)");
    free(got);
}

static void test_hs_pattern(void **state)
{
    (void)state;
    /* \b stays next to an ASCII word character, goes next to anything else */
    assert_hs("\\bhi\\b", 1, "\\bhi\\b");
    assert_hs("\\bнет\\b", 1, "\\xd0\\xbd\\xd0\\xb5\\xd1\\x82");
    assert_hs("\\b(?:ok|da)\\b", 1, "\\b(?:ok|da)\\b");
    assert_hs("\\b(?:ok|да)\\b", 1, "(?:ok|\\xd0\\xb4\\xd0\\xb0)");
    /* a gap of 30 characters of a class with non-ASCII members: unbounded bytes */
    assert_hs("a[^.!?\\n]{0,30}b", 1,
              "a[\\x00-\\x09\\x0b-\\x20\\x22-\\x2d\\x2f-\\x3e\\x40-\\x7f\\x80-\\xff]*b");
    assert_hs("\\w+", 1, "[0-9A-Z\\x5fa-z\\x80-\\xff]+");
    assert_hs("x\\d{2}", 1, "x[0-9\\x80-\\xff]{2,8}");
    assert_hs("[货貨]", 1, "(?:\\xe8\\xb4\\xa7|\\xe8\\xb2\\xa8)");
    /* assertions dropped, anchors only where the pattern sees the whole text */
    assert_hs("(?<!no )refund(?! done)", 1, "refund");
    assert_hs("^\\s*ok$", 1, "^[\\x09-\\x0d\\x20\\x80-\\xff]*ok\\Z");
    assert_hs("^\\s*ok$", 0, NULL);
    assert_hs("(?i)refund", 1, "refund");
    /* not understood, or never in normalised text: the pattern stays with PCRE2 */
    assert_hs("(a)\\1", 1, NULL);
    assert_hs("(?x) a b", 1, NULL);
    assert_hs("É", 1, NULL);
    assert_hs("Ж", 1, NULL);
    assert_hs("[[:alpha:]]", 1, NULL);
    assert_hs("a{,3}", 1, NULL);
    assert_hs("(unbalanced", 1, NULL);
}

/* Vectorscan 5.4.9 (Debian bookworm) finds no match of "! *!" in this text, while Hyperscan
 * 5.4.0 does: a prefilter that loses matches. This fails when the build picks such a
 * library (see docs/classifier.md). */
static void test_hs_library(void **state)
{
    (void)state;
    char *dir =
        rules_dir_with("fr", "{\"language\": \"fr\", \"rules\": [{\"id\": \"fr.t.bang\", "
                             "\"patterns\": [\"\\\\!\\\\s*\\\\!\"], \"flags\": [\"angry\"]}]}");
    char *cache = tu_temp_path("-hscache");
    setenv("BORDERDESK_CACHE_DIR", cache, 1);
    classify_rules *r = load_ok(dir, 0);
    assert_true(r->langs[classify_lang_index("fr")].pats[0].hs); /* really in Hyperscan */
    classify_result res;
    classify_input in = {NULL, 0, NULL, 0, "fr", NULL, 0};
    in.body = "njour, arretez de me demander. c'est 12 rue des lilas et pas 21 !!iger";
    in.body_len = strlen(in.body);
    bd_err err;
    assert_int_equal(classify_message(r, NULL, &in, &res, &err), 0);
    if (!fired(&res, "fr.t.bang"))
        fail_msg("Hyperscan %s lost a match of \"! *!\": use Intel's Hyperscan", hs_version());
    classify_rules_free(r);
    unsetenv("BORDERDESK_CACHE_DIR");
    char *cmd = bd_asprintf("rm -rf '%s'", cache);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(cache);
    rules_dir_remove(dir);
}

/* The compiled databases are cached: a second load reads them, a damaged file is compiled
 * again (never loaded), and an empty BORDERDESK_CACHE_DIR turns the cache off. */
static void test_hs_cache(void **state)
{
    (void)state;
    char *dir = rules_dir_with("en", precedence_rules);
    char *cache = tu_temp_path("-hscache");
    setenv("BORDERDESK_CACHE_DIR", cache, 1);
    classify_result a, b;
    classify_rules *first = load_ok(dir, 0); /* kept: a's rule ids belong to it */
    classify_text(first, "Order 028-7391024-4456123", "refund $10 or chargeback!!!", &a);
    classify_rules *r;
    char *cmd = bd_asprintf("ls '%s' | grep -c '^hs-en-.*\\.db$' > '%s.count'", cache, cache);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    char *countf = bd_asprintf("%s.count", cache);
    size_t n;
    bd_err err;
    char *count = bd_read_file(countf, 64, &n, &err);
    assert_non_null(count);
    assert_int_equal(atoi(count), 1);
    free(count);
    /* damage the file: flip a byte in the middle */
    cmd = bd_asprintf("f=$(ls '%s'/hs-en-*.db); s=$(stat -c %%s \"$f\"); "
                      "printf '\\x55' | dd of=\"$f\" bs=1 seek=$((s / 2)) conv=notrunc 2>/dev/null",
                      cache);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    r = load_ok(dir, 0); /* compiled again, the file rewritten */
    classify_text(r, "Order 028-7391024-4456123", "refund $10 or chargeback!!!", &b);
    same_result(&b, &a, "after a damaged cache file");
    classify_rules_free(r);
    r = load_ok(dir, 0); /* from the rewritten file */
    classify_text(r, "Order 028-7391024-4456123", "refund $10 or chargeback!!!", &b);
    same_result(&b, &a, "from the cache");
    classify_rules_free(r);
    /* no cache at all */
    cmd = bd_asprintf("rm -rf '%s' '%s.count'", cache, cache);
    assert_int_equal(system(cmd), 0);
    setenv("BORDERDESK_CACHE_DIR", "", 1);
    r = load_ok(dir, 0);
    classify_text(r, "Order 028-7391024-4456123", "refund $10 or chargeback!!!", &b);
    same_result(&b, &a, "without a cache");
    classify_rules_free(r);
    struct stat st;
    assert_int_not_equal(stat(cache, &st), 0);
    unsetenv("BORDERDESK_CACHE_DIR");
    assert_int_equal(system(cmd), 0);
    classify_rules_free(first);
    free(cmd);
    free(countf);
    free(cache);
    rules_dir_remove(dir);
}

/* The rules cache: a second load takes every pattern's analysis and the name of its
 * Hyperscan database from the cache (compiling nothing: PCRE2 compiles a pattern when it first
 * runs), exactly what the first load worked out; a damaged or foreign file is ignored and
 * written again; another rules file gets its own. */
static void same_analysis(const classify_rules *a, const classify_rules *b, int lazy)
{
    for (int l = 0; l < CLASSIFY_N_LANGS; l++) {
        const cl_lang *x = &a->langs[l], *y = &b->langs[l];
        assert_int_equal(x->n_pats, y->n_pats);
        assert_int_equal(x->n_lits, y->n_lits);
        assert_int_equal(x->n_uses, y->n_uses);
        assert_int_equal(x->n_always, y->n_always);
        assert_int_equal(x->n_hs, y->n_hs);
        assert_string_equal(x->hs_key, y->hs_key);
        for (size_t p = 0; p < x->n_pats; p++) {
            const cl_pattern *u = &x->pats[p], *v = &y->pats[p];
            assert_string_equal(u->src, v->src);
            if (u->list != v->list || u->prefix != v->prefix || u->max_len != v->max_len ||
                u->hs != v->hs || u->filtered != v->filtered || u->ok != v->ok)
                fail_msg("%s: pattern \"%s\" analysed differently from the cache",
                         classify_langs[l], u->src);
            if (lazy && v->code) fail_msg("\"%s\" compiled at load despite the cache", v->src);
        }
        for (size_t u = 0; u < x->n_uses; u++) {
            assert_int_equal(x->uses[u].pat, y->uses[u].pat);
            assert_int_equal(x->uses[u].full_len, y->uses[u].full_len);
            assert_int_equal(x->uses[u].full_wend, y->uses[u].full_wend);
        }
        for (size_t k = 0; k <= x->n_lits && x->lit_off; k++)
            assert_int_equal(x->lit_off[k], y->lit_off[k]);
    }
}

static size_t count_files(const char *dir, const char *prefix)
{
    char *cmd = bd_asprintf("ls '%s' | grep -c '^%s' > '%s.count'; true", dir, prefix, dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    char *countf = bd_asprintf("%s.count", dir);
    size_t n;
    bd_err err;
    char *count = bd_read_file(countf, 64, &n, &err);
    assert_non_null(count);
    size_t c = (size_t)atol(count);
    free(count);
    unlink(countf);
    free(countf);
    return c;
}

static void test_rules_cache(void **state)
{
    (void)state;
    char *dir = bd_asprintf("%s/locales", tu_source_dir());
    char *cache = tu_temp_path("-rulecache");
    setenv("BORDERDESK_CACHE_DIR", cache, 1);
    static const char *const texts[] = {
        "Where is my order?? It has been 3 weeks!!! I will open a PayPal claim",
        "Bonjour, je n'ai toujours pas reçu mon colis. Merci", "还没收到货，已经两个星期了，请退款",
        "Здравствуйте, посылка не пришла, трек не работает",
        "お世話になります。商品が届きません。返金してください"};
    for (int mode = 0; mode < 2; mode++) {
        int flags = mode ? CLASSIFY_LOAD_LITERAL : 0;
        classify_rules *first = load_ok(dir, flags); /* works it all out, writes the cache */
        assert_true(count_files(cache, "cl-") >= CLASSIFY_N_LANGS);
        classify_rules *again = load_ok(dir, flags); /* from the cache */
        same_analysis(first, again, 1);
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            classify_result a, b;
            classify_text(first, NULL, texts[i], &a);
            classify_text(again, NULL, texts[i], &b);
            same_result(&b, &a, texts[i]);
        }
        /* a damaged analysis is worked out again (and rewritten) */
        char *cmd = bd_asprintf("for f in '%s'/cl-en-*.bin; do s=$(stat -c %%s \"$f\"); "
                                "printf '\\x55' | dd of=\"$f\" bs=1 seek=$((s / 2)) conv=notrunc "
                                "2>/dev/null; done",
                                cache);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        classify_rules *redone = load_ok(dir, flags);
        same_analysis(first, redone, 0);
        classify_rules_free(redone);
        redone = load_ok(dir, flags); /* and read again */
        same_analysis(first, redone, 1);
        classify_rules_free(redone);
        classify_rules_free(again);
        classify_rules_free(first);
    }
    /* other rules in the same language: their own analysis, never the shipped one's */
    char *small = rules_dir_with("en", precedence_rules);
    size_t before = count_files(cache, "cl-en-");
    classify_rules *r = load_ok(small, 0);
    assert_int_equal(count_files(cache, "cl-en-"), before + 1);
    classify_rules_free(r);
    r = load_ok(small, 0);
    classify_result res;
    classify_text(r, "Order 028-7391024-4456123", "refund $10 or chargeback!!!", &res);
    assert_string_equal(res.subcategory, "chargeback");
    classify_rules_free(r);
    /* the file edited: its new analysis replaces the old one (one per program and file) */
    char *file = bd_asprintf("%s/en/rules.json", small);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fputs("{\"language\": \"en\", \"rules\": [{\"id\": \"en.t.only\", \"category\": "
          "\"dispute\", \"subcategory\": \"refund\", \"patterns\": [\"\\\\brefund\\\\b\"]}]}",
          f);
    fclose(f);
    free(file);
    r = load_ok(small, 0);
    assert_int_equal(count_files(cache, "cl-en-"), before + 1);
    classify_text(r, NULL, "refund please", &res);
    assert_string_equal(res.subcategory, "refund");
    classify_rules_free(r);
    rules_dir_remove(small);
    unsetenv("BORDERDESK_CACHE_DIR");
    char *cmd = bd_asprintf("rm -rf '%s'", cache);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(cache);
    free(dir);
}

/* ---- JSON form ---- */

static void test_json(void **state)
{
    (void)state;
    char *dir = rules_dir_with("en", precedence_rules);
    classify_rules *r = load_ok(dir, 0);
    classify_result res;
    classify_text(r, "Order 028-7391024-4456123", "refund $10 or chargeback!!!", &res);
    cJSON *id = cJSON_CreateString("m-1");
    cJSON *j = classify_result_json(&res, id, 1);
    char *s = cJSON_PrintUnformatted(j);
    print_message("%s\n", s);
    assert_non_null(strstr(s, "\"id\":\"m-1\",\"category\":\"dispute\",\"subcategory\":"
                              "\"chargeback\",\"language\":\"en\""));
    assert_non_null(strstr(s, "\"flags\":[\"threatens_dispute\",\"angry\",\"mentions_order\"]"));
    assert_non_null(strstr(s, "\"entities\":{\"order_id\":\"028-7391024-4456123\",\"amount\":"
                              "{\"value\":\"10.00\",\"currency\":\"USD\"}}"));
    assert_non_null(strstr(s, "\"rules\":[\"en.t.cb\",\"en.t.refund\",\"en.t.angry\"]"));
    assert_non_null(strstr(s, "\"urgency\":\"urgent\""));
    /* the streaming writer says the same */
    for (int explain = 0; explain < 2; explain++) {
        cJSON *tree = classify_result_json(&res, id, explain);
        bd_buf line = BD_BUF_INIT;
        classify_result_append_json(&line, &res, "\"m-1\"", explain);
        cJSON *back = cJSON_Parse(line.data);
        assert_non_null(back);
        assert_true(cJSON_Compare(tree, back, 1));
        cJSON_Delete(back);
        cJSON_Delete(tree);
        bd_buf_free(&line);
    }
    cJSON_free(s);
    cJSON_Delete(j);
    bd_buf noid = BD_BUF_INIT;
    classify_result_append_json(&noid, &res, NULL, 0);
    assert_true(strncmp(noid.data, "{\"category\":", 12) == 0);
    bd_buf_free(&noid);
    j = classify_result_json(&res, NULL, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "id")));
    assert_null(cJSON_GetObjectItem(j, "rules"));
    cJSON_Delete(j);
    cJSON_Delete(id);
    assert_int_equal(classify_urgency_priority("urgent"), 3);
    assert_int_equal(classify_urgency_priority("low"), 0);
    classify_rules_free(r);
    rules_dir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_normalize_table),
        cmocka_unit_test(test_detect_language),
        cmocka_unit_test(test_tracking_numbers),
        cmocka_unit_test(test_order_ids),
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_hostile_bodies),
        cmocka_unit_test(test_broken_rules),
        cmocka_unit_test(test_rules_check),
        cmocka_unit_test(test_prefilter_equivalence),
        cmocka_unit_test(test_hs_pattern),
        cmocka_unit_test(test_hs_library),
        cmocka_unit_test(test_hs_cache),
        cmocka_unit_test(test_rules_cache),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
