/* test_classify_lang.c — language detection measured on short texts: every message of the
 * tune corpus, whole and cut to its first 40 characters, with the classifier's detector and,
 * for comparison, with libexttextcat (its n-gram fingerprints of the same 12 languages).
 * Prints the accuracy of both per language; fails when ours is below 90% on whole messages,
 * below 80% on the cut ones, or below libexttextcat's. */
#include "testutil.h"
#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/classify.h"

#if defined(BD_TEXTCAT_DIR) && __has_include(<textcat.h>)
#include <textcat.h>
#define HAVE_TEXTCAT 1
#endif

#define CUT_CHARS 40

/* The first n characters of s (UTF-8), in a new string. */
static char *first_chars(const char *s, size_t n)
{
    size_t i = 0;
    while (s[i] && n) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        n--;
    }
    return bd_strndup(s, i);
}

#ifdef HAVE_TEXTCAT
/* libexttextcat restricted to our languages: a configuration file naming their models. */
static void *textcat_open(char **conf_path)
{
    *conf_path = tu_temp_path(".conf");
    FILE *f = fopen(*conf_path, "w");
    assert_non_null(f);
    for (int l = 0; l < CLASSIFY_N_LANGS; l++)
        fprintf(f, "%s.lm %s\n", strcmp(classify_langs[l], "zh") ? classify_langs[l] : "zh-Hans",
                classify_langs[l]);
    fclose(f);
    return special_textcat_Init(*conf_path, BD_TEXTCAT_DIR "/");
}

static const char *textcat_lang(void *h, const char *s)
{
    static char buf[8];
    const char *r = textcat_Classify(h, s, strlen(s));
    if (!r || r[0] != '[') return "?";
    snprintf(buf, sizeof buf, "%.*s", (int)strcspn(r + 1, "]"), r + 1);
    return buf;
}
#endif

static void test_language_accuracy(void **state)
{
    (void)state;
    size_t total = 0, ours = 0, ours_cut = 0, theirs = 0, theirs_cut = 0;
#ifdef HAVE_TEXTCAT
    char *conf;
    void *tc = textcat_open(&conf);
    assert_non_null(tc);
#endif
    print_message("%-4s %6s %12s %12s %12s %12s\n", "lang", "texts", "ours", "ours@40ch", "textcat",
                  "textcat@40");
    for (int l = 0; l < CLASSIFY_N_LANGS; l++) {
        const char *lang = classify_langs[l];
        tu_corpus c;
        if (tu_corpus_load("tune", lang, &c)) continue;
        size_t o = 0, oc = 0, t = 0, tcut = 0;
        for (size_t i = 0; i < c.n; i++) {
            const char *body = bd_json_str(c.rows[i], "body");
            char *cut = first_chars(body, CUT_CHARS);
            o += strcmp(classify_detect_language(NULL, body, strlen(body), NULL, NULL), lang) == 0;
            oc += strcmp(classify_detect_language(NULL, cut, strlen(cut), NULL, NULL), lang) == 0;
#ifdef HAVE_TEXTCAT
            t += strcmp(textcat_lang(tc, body), lang) == 0;
            tcut += strcmp(textcat_lang(tc, cut), lang) == 0;
#endif
            free(cut);
        }
        print_message("%-4s %6zu %11.1f%% %11.1f%% %11.1f%% %11.1f%%\n", lang, c.n, 100.0 * o / c.n,
                      100.0 * oc / c.n, 100.0 * t / c.n, 100.0 * tcut / c.n);
        total += c.n, ours += o, ours_cut += oc, theirs += t, theirs_cut += tcut;
        tu_corpus_free(&c);
    }
#ifdef HAVE_TEXTCAT
    textcat_Done(tc);
    remove(conf);
    free(conf);
#endif
    assert_true(total > 0);
    double a = (double)ours / total, ac = (double)ours_cut / total;
    double b = (double)theirs / total, bc = (double)theirs_cut / total;
    print_message("all  %6zu %11.1f%% %11.1f%% %11.1f%% %11.1f%%\n", total, 100 * a, 100 * ac,
                  100 * b, 100 * bc);
    assert_true(a >= 0.90);
    assert_true(ac >= 0.80);
    assert_true(a >= b);
    assert_true(ac >= bc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_language_accuracy)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
