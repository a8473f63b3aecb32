/* test_fuzz_classify_line.c — runs the fuzz target tests/fuzz/fuzz_classify_line.c
 * (included as is) over its seed corpus (tests/fuzz/corpus/classify-line/) and over every
 * input the fuzzer once broke a reader with (tests/fuzz/regressions-classify-line/), so
 * ctest catches regressions without clang. */
#include "../fuzz/fuzz_classify_line.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "helpers/testutil.h"

static int feed_dir(const char *sub)
{
    return tu_feed_fuzz_dir("fuzz_classify_line", sub, LLVMFuzzerTestOneInput);
}

static void test_seed_corpus(void **state)
{
    (void)state;
    assert_true(feed_dir("corpus/classify-line") > 0);
}

static void test_regressions(void **state)
{
    (void)state;
    feed_dir("regressions-classify-line");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_corpus),
        cmocka_unit_test(test_regressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
