/* test_fuzz_mail.c — runs the fuzz target tests/fuzz/fuzz_mail.c (included as is) over its
 * seed corpus (tests/fuzz/corpus/mail/) and over every input the fuzzer once broke the
 * parser with (tests/fuzz/regressions-mail/), so ctest catches regressions without clang. */
#include "../fuzz/fuzz_mail.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "helpers/testutil.h"

static int feed_dir(const char *sub)
{
    return tu_feed_fuzz_dir("fuzz_mail", sub, LLVMFuzzerTestOneInput);
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
