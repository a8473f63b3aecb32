/* test_sync_runs.c — the record of sync runs (store/sync_runs.c, migration 9): runs opened
 * and closed, a run never closed stays unfinished, the newest per shop and resource, filters,
 * newest-first order and the pruning to STORE_SYNC_RUNS_KEPT per shop and resource. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "borderdesk/store.h"

static void test_runs_recorded(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    bd_err err;
    int64_t a, b, c, d;
    assert_int_equal(store_sync_run_start(s, "ebay-de", "orders", "sync", 100, &a, &err), 0);
    assert_int_equal(store_sync_run_finish(s, a, 110, 1, NULL, "{\"items\":3}", &err), 0);
    assert_int_equal(store_sync_run_start(s, "ebay-de", "orders", "scheduler", 200, &b, &err), 0);
    assert_int_equal(store_sync_run_finish(s, b, 210, 0, "HTTP 503", NULL, &err), 0);
    assert_int_equal(store_sync_run_start(s, "ebay-de", "messages", "sync", 300, &c, &err), 0);
    /* c is never finished: its process was killed */
    assert_int_equal(store_sync_run_start(s, "shop-mail", "messages", "sync", 400, &d, &err), 0);
    assert_int_equal(store_sync_run_finish(s, d, 401, 1, NULL, "{}", &err), 0);

    store_sync_run *r;
    size_t n;
    assert_int_equal(store_sync_runs_list(s, NULL, NULL, 0, 0, &r, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_true(r[0].id == d && r[1].id == c && r[2].id == b && r[3].id == a);
    assert_int_equal(r[1].finished_at, 0);
    assert_null(r[1].counts);
    assert_string_equal(r[2].error, "HTTP 503");
    assert_int_equal(r[2].ok, 0);
    assert_string_equal(r[2].actor, "scheduler");
    assert_string_equal(r[3].counts, "{\"items\":3}");
    store_sync_runs_free(r, n);

    /* the newest per shop and resource */
    assert_int_equal(store_sync_runs_list(s, NULL, NULL, 1, 0, &r, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_true(r[0].id == d && r[1].id == c && r[2].id == b);
    store_sync_runs_free(r, n);
    assert_int_equal(store_sync_runs_list(s, "ebay-de", "orders", 0, 1, &r, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].id, b);
    store_sync_runs_free(r, n);
    assert_int_equal(store_sync_runs_list(s, "nowhere", NULL, 0, 0, &r, &n, &err), 0);
    assert_int_equal(n, 0);
    store_sync_runs_free(r, n);

    /* pruning keeps the newest STORE_SYNC_RUNS_KEPT of ebay-de/orders, and nothing else goes */
    int64_t last = 0;
    for (int i = 0; i < STORE_SYNC_RUNS_KEPT + 5; i++) {
        assert_int_equal(store_sync_run_start(s, "ebay-de", "orders", "sync", 1000 + i, &last, &err), 0);
        assert_int_equal(store_sync_run_finish(s, last, 1000 + i, 1, NULL, "{}", &err), 0);
    }
    assert_int_equal(store_sync_runs_list(s, "ebay-de", "orders", 0, 0, &r, &n, &err), 0);
    assert_int_equal(n, STORE_SYNC_RUNS_KEPT);
    assert_int_equal(r[0].id, last);
    assert_int_equal(r[n - 1].started_at, 1000 + 5);
    store_sync_runs_free(r, n);
    assert_int_equal(store_sync_runs_list(s, NULL, NULL, 0, 0, &r, &n, &err), 0);
    assert_int_equal(n, STORE_SYNC_RUNS_KEPT + 2); /* + ebay-de/messages and shop-mail */
    store_sync_runs_free(r, n);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
