/* test_store.c — migrations, identity checks, idempotent upserts, the audit log. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ORDER =
    "{\"shop\":\"amazon-de\",\"marketplace\":\"amazon\",\"external_id\":\"028-1234567-1234567\","
    "\"buyer\":{\"external_id\":\"A1\",\"name\":\"Jürgen Müller\",\"country\":\"DE\"},"
    "\"status\":\"Shipped\",\"purchased_at\":\"2026-11-01T10:00:00Z\","
    "\"updated_at\":\"2026-11-02T10:00:00Z\",\"currency\":\"EUR\",\"total\":\"23.90\","
    "\"items\":[{\"sku\":\"LED-1\",\"title\":\"LED strip\",\"quantity\":2,\"price\":\"11.95\"}]}";

static void sql(const char *path, const char *statement)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, statement, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s", msg);
    sqlite3_close(db);
}

static void test_migrations_and_identity(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    store_close(s);

    /* reopening changes nothing */
    bd_err err;
    assert_int_equal(store_open(path, 0, &s, &err), 0);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    store_close(s);

    /* a newer database is refused with a clear message */
    char stmt[200];
    snprintf(stmt, sizeof stmt,
             "INSERT INTO schema_version VALUES (%d, 'from the future', 0)",
             store_schema_latest() + 1);
    sql(path, stmt);
    assert_int_equal(store_open(path, 0, &s, &err), -1);
    assert_non_null(strstr(err.msg, "newer than this borderdesk"));
    tu_remove_db(path);
    free(path);

    /* someone else's SQLite database */
    path = tu_temp_path(".db");
    sql(path, "CREATE TABLE notes(x)");
    assert_int_equal(store_open(path, 0, &s, &err), -1);
    assert_non_null(strstr(err.msg, "not a borderdesk database"));
    tu_remove_db(path);
    free(path);

    /* not a SQLite file at all */
    path = tu_temp_path(".db");
    FILE *f = fopen(path, "w");
    fputs("this is a text file, not a database, and it is long enough to have a header\n", f);
    fclose(f);
    assert_int_equal(store_open(path, 0, &s, &err), -1);
    assert_non_null(strstr(err.msg, "not a borderdesk database"));
    tu_remove_db(path);
    free(path);

    /* missing without create */
    assert_int_equal(store_open("/nonexistent/dir/x.db", 0, &s, &err), -1);
    assert_non_null(strstr(err.msg, "does not exist"));
}

static void test_older_database_is_upgraded(void **state)
{
    (void)state;
    /* A database at version 0 (only the header and schema_version table) is brought up to
     * the latest version in place. */
    char *path = tu_temp_path(".db");
    sql(path, "PRAGMA application_id=1111771953;" /* 0x42444B31 */
              "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, description TEXT NOT "
              "NULL, applied_at INTEGER NOT NULL);");
    bd_store *s;
    bd_err err;
    assert_int_equal(store_open(path, 0, &s, &err), 0);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    assert_int_equal(store_count(s, "tickets"), 0);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

static void test_order_upsert_idempotent(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    bd_err err;
    bd_order o;
    tu_order(&o, ORDER);
    int64_t shop, buyer, id1, id2;
    int result;
    assert_int_equal(store_shop_ensure(s, o.shop, o.marketplace, &shop, &err), 0);
    assert_int_equal(store_buyer_upsert(s, shop, &o.buyer, &buyer, &err), 0);
    assert_int_equal(store_order_upsert(s, shop, buyer, &o, &id1, &result, &err), 0);
    assert_int_equal(result, STORE_INSERTED);
    assert_int_equal(store_order_upsert(s, shop, buyer, &o, &id2, &result, &err), 0);
    assert_int_equal(result, STORE_UNCHANGED);
    assert_int_equal(id1, id2);

    /* a newer update changes the order and replaces its items */
    free(o.status);
    o.status = bd_strdup("Delivered");
    o.updated_at += 3600;
    assert_int_equal(store_order_upsert(s, shop, buyer, &o, &id2, &result, &err), 0);
    assert_int_equal(result, STORE_UPDATED);
    /* an older update is ignored */
    free(o.status);
    o.status = bd_strdup("Pending");
    o.updated_at -= 7200;
    assert_int_equal(store_order_upsert(s, shop, buyer, &o, &id2, &result, &err), 0);
    assert_int_equal(result, STORE_UNCHANGED);
    store_order_row row;
    assert_int_equal(store_order_get(s, "028-1234567-1234567", &row, &err), 1);
    assert_string_equal(row.status, "Delivered");
    assert_int_equal(row.n_items, 1);
    assert_int_equal(row.items[0].quantity, 2);
    store_order_row_clear(&row);
    assert_int_equal(store_count(s, "order_items"), 1);

    /* a shop name cannot change marketplace */
    int64_t other;
    assert_int_equal(store_shop_ensure(s, "amazon-de", "ebay", &other, &err), -1);
    assert_non_null(strstr(err.msg, "amazon shop"));

    /* buyer fields: NULL keeps the stored value */
    bd_buyer b = {.external_id = "A1", .email = "j@example.de"};
    int64_t again;
    assert_int_equal(store_buyer_upsert(s, shop, &b, &again, &err), 0);
    assert_int_equal(again, buyer);
    assert_int_equal(store_count(s, "buyers"), 1);

    bd_order_clear(&o);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

static void test_events_append_only(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    bd_err err;
    assert_int_equal(store_event_add(s, 0, "li.wei", "note", "{\"x\":1}", 100, &err), 0);
    store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE events SET actor='mallory'", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM events", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    tu_remove_db(path);
    free(path);
}

static void test_checkpoints_and_users(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    bd_err err;
    int64_t shop;
    char *cur;
    assert_int_equal(store_shop_ensure(s, "ebay-us", "ebay", &shop, &err), 0);
    assert_int_equal(store_checkpoint_get(s, shop, "orders", &cur, &err), 0);
    assert_null(cur);
    assert_int_equal(store_checkpoint_set(s, shop, "orders", "offset=200", 5, &err), 0);
    assert_int_equal(store_checkpoint_set(s, shop, "orders", "offset=400", 6, &err), 0);
    assert_int_equal(store_checkpoint_get(s, shop, "orders", &cur, &err), 0);
    assert_string_equal(cur, "offset=400");
    free(cur);

    assert_int_equal(store_user_add(s, "li.wei", "Li Wei", "agent", 1, &err), 0);
    assert_int_equal(store_user_add(s, "li.wei", NULL, "agent", 1, &err), -1);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_int_equal(store_user_add(s, "x", NULL, "emperor", 1, &err), -1);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

/* The name stored for buyer id, read with a connection of its own. */
static char *stored_name(const char *path, int64_t id)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM buyers WHERE id = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *name = bd_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return name;
}

static void upsert_in_tx(bd_store *s, int64_t shop, const char *name, int64_t *id)
{
    bd_err err;
    bd_buyer b = {.external_id = "A1", .name = (char *)name};
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_buyer_upsert(s, shop, &b, id, &err), 0);
    assert_int_equal(store_commit(s, &err), 0);
}

/* A connection remembers the buyers it read or wrote, across its own transactions, only
 * as long as no other connection commits: a name another connection changed in between is
 * set back when given again, and a rolled-back write is not remembered. */
static void test_buyer_upsert_across_connections(void **state)
{
    (void)state;
    char *path;
    bd_store *a = tu_open_new(&path), *b;
    bd_err err;
    assert_int_equal(store_open(path, 0, &b, &err), 0);
    int64_t shop, id, id2;
    assert_int_equal(store_shop_ensure(a, "ebay-us", "ebay", &shop, &err), 0);
    upsert_in_tx(a, shop, "Alice", &id);
    upsert_in_tx(a, shop, "Alice", &id2); /* from memory */
    assert_int_equal(id2, id);
    upsert_in_tx(b, shop, "Alicia", &id2); /* the other connection renames her */
    assert_int_equal(id2, id);
    char *name = stored_name(path, id);
    assert_string_equal(name, "Alicia");
    free(name);
    upsert_in_tx(a, shop, "Alice", &id2); /* a must not trust what it remembered */
    name = stored_name(path, id);
    assert_string_equal(name, "Alice");
    free(name);

    /* written, rolled back: the next transaction writes it again */
    bd_buyer bb = {.external_id = "A1", .name = "Ally"};
    assert_int_equal(store_begin(a, &err), 0);
    assert_int_equal(store_buyer_upsert(a, shop, &bb, &id2, &err), 0);
    store_rollback(a);
    upsert_in_tx(a, shop, "Ally", &id2);
    name = stored_name(path, id);
    assert_string_equal(name, "Ally");
    free(name);
    store_close(b);
    store_close(a);
    tu_remove_db(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations_and_identity),
        cmocka_unit_test(test_older_database_is_upgraded),
        cmocka_unit_test(test_order_upsert_idempotent),
        cmocka_unit_test(test_events_append_only),
        cmocka_unit_test(test_checkpoints_and_users),
        cmocka_unit_test(test_buyer_upsert_across_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
