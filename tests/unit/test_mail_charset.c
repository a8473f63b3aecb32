/* test_mail_charset.c — charsets to UTF-8: label mapping, strict and lossy decoding,
 * declared charsets trusted or overruled, and the detection accuracy on buyer messages in
 * the twelve languages, each encoded in the legacy charsets their mail uses (measured for
 * uchardet alone and for the combined method; both numbers are printed). */
#include "testutil.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mail/parse_internal.h"
#include "test_mail_texts.h"

/* Encodes UTF-8 text into charset (an iconv name); fails the test when it cannot. */
static char *encode(const char *utf8, const char *charset, size_t *len)
{
    iconv_t cd = iconv_open(charset, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(utf8), cap = in_left * 4 + 16, out_left = cap;
    char *out = malloc(cap), *o = out, *in = (char *)utf8;
    assert_true(iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1);
    assert_true(iconv(cd, NULL, NULL, &o, &out_left) != (size_t)-1);
    iconv_close(cd);
    *len = (size_t)(o - out);
    return out;
}

/* The iconv name to produce test bytes in a canonical charset (the strict standard one,
 * not the superset the decoder uses, so the test also checks that supersets decode it). */
static const char *encoder(const char *canonical)
{
    static const struct {
        const char *name, *iconv;
    } map[] = {{"shift_jis", "SHIFT_JIS"}, {"euc-jp", "EUC-JP"},  {"iso-2022-jp", "ISO-2022-JP"},
               {"euc-kr", "EUC-KR"},       {"gb18030", "GB2312"}, {"big5", "BIG5"},
               {"us-ascii", "US-ASCII"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, canonical) == 0) return map[i].iconv;
    return canonical;
}

static void test_canonical_names(void **state)
{
    (void)state;
    assert_string_equal(mail_charset_canonical("UTF8"), "utf-8");
    assert_string_equal(mail_charset_canonical(" \"ISO-8859-1\""), "iso-8859-1");
    assert_string_equal(mail_charset_canonical("latin1"), "iso-8859-1");
    assert_string_equal(mail_charset_canonical("x-sjis"), "shift_jis");
    assert_string_equal(mail_charset_canonical("ks_c_5601-1987"), "euc-kr");
    assert_string_equal(mail_charset_canonical("GB2312"), "gb18030");
    assert_string_equal(mail_charset_canonical("gbk"), "gb18030");
    assert_string_equal(mail_charset_canonical("cp1251"), "windows-1251");
    assert_string_equal(mail_charset_canonical("KOI8-R"), "koi8-r");
    assert_string_equal(mail_charset_canonical("Big5"), "big5");
    assert_null(mail_charset_canonical("x-unknown"));
    assert_null(mail_charset_canonical("unknown-8bit"));
    assert_null(mail_charset_canonical("no-such-charset-exists"));
    assert_null(mail_charset_canonical(""));
    assert_null(mail_charset_canonical(NULL));
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(mail_charset_canonical(longname));
}

static void test_strict_and_lossy(void **state)
{
    (void)state;
    assert_null(mail_charset_decode_strict("caf\xe9", 4, "utf-8"));
    char *t = mail_charset_decode_strict("caf\xe9", 4, "windows-1252");
    assert_string_equal(t, "café");
    free(t);
    t = mail_charset_decode_lossy("caf\xe9 ok", 7, "utf-8");
    assert_string_equal(t, "caf\xEF\xBF\xBD ok");
    free(t);
    t = mail_charset_decode_lossy("a\0b", 3, "utf-8"); /* NUL is no C-string content */
    assert_string_equal(t, "a\xEF\xBF\xBD"
                           "b");
    free(t);
    t = mail_charset_decode_lossy("\xEF\xBB\xBFhi", 5, "utf-8"); /* BOM dropped */
    assert_string_equal(t, "hi");
    free(t);
    t = mail_charset_decode_lossy("\x82\xa0\x82", 3, "shift_jis"); /* truncated at the end */
    assert_string_equal(t, "あ\xEF\xBF\xBD");
    free(t);
    /* 0x81 is undefined in Windows-1252: strict refuses, lossy replaces */
    assert_null(mail_charset_decode_strict("a\x81", 2, "windows-1252"));
}

/* Every text in every charset with a correct declaration: exact text, nothing guessed. */
static void test_declared_correct(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_MAIL_TEXTS; i++) {
        for (size_t k = 0; mail_texts[i].charsets[k]; k++) {
            const char *cs = mail_texts[i].charsets[k];
            size_t n;
            char *bytes = encode(mail_texts[i].text, encoder(cs), &n);
            const char *used;
            int guessed;
            char *t = mail_to_utf8(bytes, n, cs, &used, &guessed);
            if (strcmp(t, mail_texts[i].text) != 0 || guessed)
                fail_msg("%s text %zu declared %s: got %s \"%s\"", mail_texts[i].lang, i, cs, used,
                         t);
            free(t);
            free(bytes);
        }
    }
}

/* The wrong declarations real mail has. */
static void test_declared_wrong(void **state)
{
    (void)state;
    static const struct {
        const char *text_lang;
        size_t text_index; /* which text of that language */
        const char *really, *declared;
    } cases[] = {
        {"es", 1, "utf-8", "iso-8859-1"}, /* UTF-8 under a Latin-1 label */
        {"ru", 0, "utf-8", "windows-1251"},
        {"de", 1, "windows-1252", "utf-8"},    /* invalid as declared */
        {"fr", 0, "iso-8859-1", "us-ascii"},   /* 8-bit under US-ASCII */
        {"ja", 1, "shift_jis", "iso-2022-jp"}, /* 8-bit under a 7-bit charset */
        {"ja", 0, "euc-jp", "utf-8"},
        {"ko", 1, "euc-kr", "x-unknown"}, /* a label that promises nothing */
        {"zh", 1, "gb18030", "unknown-8bit"},
        {"ru", 1, "koi8-r", "windows-1251"}, /* valid bytes, but reads as mojibake */
        {"ru", 1, "windows-1251", "iso-8859-1"},
        {"zh", 4, "big5", "gb2312"},
        {"pl", 1, "iso-8859-2", "utf-8"},
        {"ar", 1, "windows-1256", "utf-8"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const mail_text *mt = NULL;
        for (size_t i = 0, seen = 0; i < N_MAIL_TEXTS && !mt; i++)
            if (strcmp(mail_texts[i].lang, cases[c].text_lang) == 0 &&
                seen++ == cases[c].text_index)
                mt = &mail_texts[i];
        assert_non_null(mt);
        size_t n;
        char *bytes = encode(mt->text, encoder(cases[c].really), &n);
        const char *used;
        int guessed;
        char *t = mail_to_utf8(bytes, n, cases[c].declared, &used, &guessed);
        if (strcmp(t, mt->text) != 0 || !guessed)
            fail_msg("case %zu (%s declared %s): got %s guessed=%d \"%s\"", c, cases[c].really,
                     cases[c].declared, used, guessed, t);
        free(t);
        free(bytes);
    }
}

static void test_undeclared_ascii(void **state)
{
    (void)state;
    const char *used;
    int guessed;
    char *t = mail_to_utf8("plain text", 10, NULL, &used, &guessed);
    assert_string_equal(t, "plain text");
    assert_string_equal(used, "us-ascii");
    assert_int_equal(guessed, 0); /* RFC 2045's default, not a guess */
    free(t);
    t = mail_to_utf8("", 0, NULL, &used, &guessed);
    assert_string_equal(t, "");
    free(t);
    /* ISO-8859-1 label with Windows-1252's quotes: decoded as Windows-1252, not a guess */
    t = mail_to_utf8("\x93quoted\x94 \x80 5", 12, "iso-8859-1", &used, &guessed);
    assert_string_equal(t, "“quoted” € 5");
    assert_string_equal(used, "windows-1252");
    assert_int_equal(guessed, 0);
    free(t);
}

/* Detection without any declaration over a set of texts in all their charsets: counts the
 * texts decoded exactly by mail_charset_detect and by uchardet alone. */
static void measure(const mail_text *texts, size_t count, int *total, int *ours, int *uc_ok,
                    int *exact_name)
{
    for (size_t i = 0; i < count; i++) {
        for (size_t k = 0; texts[i].charsets[k]; k++) {
            const char *cs = texts[i].charsets[k];
            size_t n;
            char *bytes = encode(texts[i].text, encoder(cs), &n);
            (*total)++;
            const char *d = mail_charset_detect(bytes, n);
            char *t = mail_charset_decode_lossy(bytes, n, d);
            if (strcmp(t, texts[i].text) == 0)
                (*ours)++;
            else
                fprintf(stderr, "  miss: %s %s \"%s\" detected as %s\n", texts[i].lang, cs,
                        texts[i].text, d);
            if (strcmp(d, cs) == 0) (*exact_name)++;
            free(t);
            const char *u = mail_charset_uchardet(bytes, n);
            t = u ? mail_charset_decode_lossy(bytes, n, u) : NULL;
            if (t && strcmp(t, texts[i].text) == 0) (*uc_ok)++;
            free(t);
            free(bytes);
        }
    }
}

static void test_detection_accuracy(void **state)
{
    (void)state;
    int total = 0, ours = 0, uc_ok = 0, exact = 0;
    measure(mail_texts, N_MAIL_TEXTS, &total, &ours, &uc_ok, &exact);
    printf("charset detection, tuning texts: %d samples, combined %d (%.1f%%), uchardet alone "
           "%d (%.1f%%), same charset name %d\n",
           total, ours, 100.0 * ours / total, uc_ok, 100.0 * uc_ok / total, exact);
    assert_true(ours >= uc_ok);
    assert_true(ours * 100 >= total * 95);
    int h_total = 0, h_ours = 0, h_uc = 0, h_exact = 0;
    measure(mail_texts_heldout, N_MAIL_TEXTS_HELDOUT, &h_total, &h_ours, &h_uc, &h_exact);
    printf("charset detection, held-out texts: %d samples, combined %d (%.1f%%), uchardet alone "
           "%d (%.1f%%), same charset name %d\n",
           h_total, h_ours, 100.0 * h_ours / h_total, h_uc, 100.0 * h_uc / h_total, h_exact);
    assert_true(h_ours >= h_uc);
    assert_true(h_ours * 100 >= h_total * 80);
}

/* Short UTF-8 or ASCII is never taken for something else. */
static void test_detect_utf8_and_escapes(void **state)
{
    (void)state;
    assert_string_equal(mail_charset_detect("é", 2), "utf-8");
    assert_string_equal(mail_charset_detect("hello", 5), "us-ascii");
    size_t n;
    char *b = encode("こんにちは", "ISO-2022-JP", &n);
    assert_string_equal(mail_charset_detect(b, n), "iso-2022-jp");
    free(b);
    /* random high bytes: some charset, never a crash, valid UTF-8 out */
    char garbage[256];
    for (int i = 0; i < 256; i++)
        garbage[i] = (char)(255 - i);
    const char *used;
    int guessed;
    char *t = mail_to_utf8(garbage, sizeof garbage, NULL, &used, &guessed);
    assert_true(bd_utf8_valid(t, strlen(t)));
    assert_int_equal(guessed, 1);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_names),         cmocka_unit_test(test_strict_and_lossy),
        cmocka_unit_test(test_declared_correct),        cmocka_unit_test(test_declared_wrong),
        cmocka_unit_test(test_undeclared_ascii),        cmocka_unit_test(test_detection_accuracy),
        cmocka_unit_test(test_detect_utf8_and_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
