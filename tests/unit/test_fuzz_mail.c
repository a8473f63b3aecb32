/* test_fuzz_mail.c — runs the fuzz target tests/fuzz/fuzz_mail.c (included as is) over its
 * seed corpus (tests/fuzz/corpus/mail/) and over every input the fuzzer once broke the
 * parser with (tests/fuzz/regressions-mail/), so ctest catches regressions without clang. */
#include "../fuzz/fuzz_mail.c"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

/* Feeds every file of tests/fuzz/<sub> to the target; returns how many. */
static int feed_dir(const char *sub)
{
    const char *src = getenv("BD_SOURCE_DIR");
    char *dir = bd_asprintf("%s/tests/fuzz/%s", src && *src ? src : BD_SOURCE_DIR, sub);
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *path = bd_asprintf("%s/%s", dir, e->d_name);
        bd_err err;
        size_t len;
        char *data = bd_read_file(path, 0, &len, &err);
        if (!data) fail_msg("%s", err.msg);
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        free(data);
        free(path);
        n++;
    }
    closedir(d);
    printf("fuzz_mail: %d inputs from tests/fuzz/%s\n", n, sub);
    free(dir);
    return n;
}

static void test_seed_corpus(void **state)
{
    (void)state;
    assert_true(feed_dir("corpus/mail") > 0);
}

static void test_regressions(void **state)
{
    (void)state;
    feed_dir("regressions-mail");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_corpus),
        cmocka_unit_test(test_regressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
