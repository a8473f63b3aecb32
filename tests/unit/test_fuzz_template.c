/* test_fuzz_template.c — runs the fuzz target tests/fuzz/fuzz_template.c (included as is)
 * over its seed corpus and over every input the fuzzer once found a bug with
 * (tests/fuzz/regressions/), so ctest catches regressions without clang or libFuzzer. The
 * target aborts when an invariant breaks; sanitizer builds (BD_SANITIZE) check memory too. */
#include "../fuzz/fuzz_template.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "helpers/testutil.h"

static int feed_dir(const char *sub)
{
    return tu_feed_fuzz_dir("fuzz_template", sub, LLVMFuzzerTestOneInput);
}

static void test_seed_corpus(void **state)
{
    (void)state;
    assert_true(feed_dir("corpus/template") > 0);
}

static void test_regressions(void **state)
{
    (void)state;
    feed_dir("regressions");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_corpus),
        cmocka_unit_test(test_regressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
