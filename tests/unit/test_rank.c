/* test_rank.c — the stored rankings (src/store/rank.c) against a plain array model: a base of
 * 10,000 buyers (three chunks, tie groups that span chunk boundaries), then random moves
 * (values change, buyers leave and join), checked after every batch: the nearest value
 * above and below, how many buyers share it, and which buyers lie in a range. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define N 10000
#define SHOP 7
#define METRIC STORE_LM_FREQUENCY

static uint64_t seed = 0x2545F4914F6CDD1DULL;
static int64_t rnd(int64_t n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (int64_t)(seed % (uint64_t)n);
}

typedef struct model {
    int has[N + 1];
    int64_t v[N + 1];
} model;

static int cmp_entry(const void *a, const void *b)
{
    int64_t x = ((const store_rank_entry *)a)->value, y = ((const store_rank_entry *)b)->value;
    return x < y ? -1 : x > y;
}

/* nearest value strictly above/below from, and its count; 0 when none */
static int model_next(const model *m, int64_t from, int dir, int64_t *v, int64_t *count)
{
    int found = 0;
    for (int b = 1; b <= N; b++) {
        if (!m->has[b]) continue;
        int64_t x = m->v[b];
        if (dir > 0 ? x > from && (!found || x < *v) : x < from && (!found || x > *v))
            *v = x, found = 1;
    }
    if (!found) return 0;
    *count = 0;
    for (int b = 1; b <= N; b++)
        *count += m->has[b] && m->v[b] == *v;
    return 1;
}

static int collect(void *ud, int64_t id, bd_err *err)
{
    (void)err;
    int *seen = ud;
    if (id < 1 || id > N) fail_msg("range returned buyer %lld", (long long)id);
    seen[id]++;
    return 0;
}

static void check(bd_store *s, const model *m, int round)
{
    bd_err err;
    for (int k = 0; k < 60; k++) {
        int64_t from = rnd(80) - 5;
        if (k == 0) from = INT64_MAX;
        if (k == 1) from = INT64_MIN;
        for (int dir = -1; dir <= 1; dir += 2) {
            int64_t v = 0, c = 0, mv = 0, mc = 0;
            int got = store_loyalty_metric_next(s, SHOP, METRIC, from, dir, &v, &c, &err);
            int want = model_next(m, from, dir, &mv, &mc);
            if (got < 0) fail_msg("metric_next: %s", err.msg);
            if (got != want || (got && (v != mv || c != mc)))
                fail_msg("round %d: next %s %lld: got %d (%lld x%lld), want %d (%lld x%lld)", round,
                         dir > 0 ? "above" : "below", (long long)from, got, (long long)v,
                         (long long)c, want, (long long)mv, (long long)mc);
        }
        int64_t lo = rnd(80) - 5, hi = lo + rnd(30);
        static int seen[N + 1];
        memset(seen, 0, sizeof seen);
        assert_int_equal(store_rank_range(s, SHOP, METRIC, lo, hi, collect, seen, &err), 0);
        for (int b = 1; b <= N; b++) {
            int in = m->has[b] && m->v[b] >= lo && m->v[b] < hi;
            if (seen[b] != in)
                fail_msg("round %d: range [%lld, %lld): buyer %d seen %d times, want %d", round,
                         (long long)lo, (long long)hi, b, seen[b], in);
        }
    }
}

static void test_rank_against_model(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    static model m;
    memset(&m, 0, sizeof m);
    store_rank_entry *e = bd_malloc(N * sizeof *e);
    size_t n = 0;
    for (int b = 1; b <= N; b++) {
        if (b % 11 == 0) continue; /* not ranked */
        m.has[b] = 1;
        /* heavy ties: most buyers share a handful of values; some are spread out */
        m.v[b] = b % 3 ? (b % 5) * 10 : rnd(70);
        e[n++] = (store_rank_entry){m.v[b], b};
    }
    qsort(e, n, sizeof *e, cmp_entry);
    bd_err err;
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_rank_rebuild(s, SHOP, METRIC, e, n, &err), 0);
    check(s, &m, 0);
    for (int round = 1; round <= 8; round++) {
        for (int k = 0; k < 400; k++) {
            int b = 1 + (int)rnd(N);
            int had = m.has[b];
            int64_t old = m.v[b];
            int has = rnd(10) != 0;
            int64_t v = rnd(4) ? (rnd(5)) * 10 : rnd(75);
            assert_int_equal(store_rank_move(s, SHOP, METRIC, b, had, old, has, v, &err), 0);
            m.has[b] = has;
            m.v[b] = has ? v : 0;
        }
        /* a new transaction drops the cache: both paths are exercised */
        if (round % 2 == 0) {
            assert_int_equal(store_commit(s, &err), 0);
            assert_int_equal(store_begin(s, &err), 0);
        }
        check(s, &m, round);
    }
    /* unsorted input is refused */
    store_rank_entry bad[2] = {{5, 1}, {3, 2}};
    assert_int_equal(store_rank_rebuild(s, SHOP, METRIC, bad, 2, &err), -1);
    assert_non_null(strstr(err.msg, "not sorted"));
    store_rollback(s);
    /* the rolled-back transaction left the committed state */
    assert_int_equal(store_begin(s, &err), 0);
    int64_t v, c;
    assert_int_equal(store_loyalty_metric_next(s, SHOP, METRIC, INT64_MIN, 1, &v, &c, &err), 1);
    store_rollback(s);
    free(e);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

static void test_empty_ranking(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    bd_err err;
    int64_t v, c;
    assert_int_equal(store_loyalty_metric_next(s, 1, STORE_LM_VALUE, 0, 1, &v, &c, &err), 0);
    assert_int_equal(store_rank_move(s, 1, STORE_LM_VALUE, 3, 0, 0, 1, 42, &err), 0);
    assert_int_equal(store_loyalty_metric_next(s, 1, STORE_LM_VALUE, 0, 1, &v, &c, &err), 1);
    assert_int_equal(v, 42);
    assert_int_equal(c, 1);
    assert_int_equal(store_loyalty_metric_next(s, 1, STORE_LM_VALUE, 0, -1, &v, &c, &err), 0);
    assert_int_equal(store_rank_move(s, 1, 9, 3, 0, 0, 1, 42, &err), -1);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_against_model),
        cmocka_unit_test(test_empty_ranking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
