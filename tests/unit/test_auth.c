/* test_auth.c — roles and scopes, argon2id passwords, secrets and their hashes, the
 * failed-login limiter, and audited account changes on a real database. */
#include "testutil.h"

#include "borderdesk/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_roles_and_scopes(void **state)
{
    (void)state;
    assert_int_equal(auth_role_parse("agent"), AUTH_ROLE_AGENT);
    assert_int_equal(auth_role_parse("admin"), AUTH_ROLE_ADMIN);
    assert_int_equal(auth_role_parse("root"), AUTH_ROLE_NONE);
    assert_int_equal(auth_role_parse(NULL), AUTH_ROLE_NONE);
    assert_true(AUTH_ROLE_AGENT < AUTH_ROLE_LEAD && AUTH_ROLE_LEAD < AUTH_ROLE_ADMIN);
    assert_int_equal(auth_scope_grants("read"), AUTH_SCOPE_READ);
    assert_int_equal(auth_scope_grants("write"), AUTH_SCOPE_READ | AUTH_SCOPE_WRITE);
    assert_int_equal(auth_scope_grants("sync"), AUTH_SCOPE_READ | AUTH_SCOPE_SYNC);
    assert_int_equal(auth_scope_grants("admin"), AUTH_SCOPE_ALL);
    assert_int_equal(auth_scope_grants("everything"), 0);
}

static void test_passwords(void **state)
{
    (void)state;
    bd_err err;
    assert_int_equal(auth_password_check("short", &err), -1);
    assert_int_equal(auth_password_check("\xff\xfe long enough", &err), -1);
    assert_int_equal(auth_password_check("long enough", &err), 0);
    char *a, *b;
    assert_int_equal(auth_password_hash("correct horse", &a, &err), 0);
    assert_int_equal(auth_password_hash("correct horse", &b, &err), 0);
    assert_true(strncmp(a, "$argon2id$", 10) == 0);
    assert_string_not_equal(a, b); /* fresh salt each time */
    assert_true(auth_password_verify(a, "correct horse"));
    assert_true(auth_password_verify(b, "correct horse"));
    assert_false(auth_password_verify(a, "correct horsE"));
    assert_false(auth_password_verify("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x"));
    assert_false(auth_password_verify("garbage", "correct horse"));
    assert_false(auth_password_verify(NULL, "correct horse"));
    free(a);
    free(b);
}

static void test_secrets(void **state)
{
    (void)state;
    bd_err err;
    char *a, *b;
    assert_int_equal(auth_secret_new("bdt_", 32, &a, &err), 0);
    assert_int_equal(auth_secret_new("bdt_", 32, &b, &err), 0);
    assert_int_equal(strlen(a), 4 + 43); /* 32 bytes in base64url without padding */
    assert_string_not_equal(a, b);
    for (const char *p = a + 4; *p; p++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    char h[65];
    auth_sha256_hex("abc", h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(auth_secret_equal(a, a));
    assert_false(auth_secret_equal(a, b));
    assert_false(auth_secret_equal("abc", "abcd"));
    assert_false(auth_secret_equal("abcd", "abc"));
    assert_false(auth_secret_equal("", "x"));
    assert_false(auth_secret_equal(NULL, "x"));
    free(a);
    free(b);
}

static void test_limiter(void **state)
{
    (void)state;
    auth_limiter *l = auth_limiter_new(3, 100);
    int64_t t0 = 1000000;
    assert_int_equal(auth_limiter_wait(l, "u:ann", t0), 0);
    for (int i = 0; i < 3; i++)
        auth_limiter_failed(l, "u:ann", t0 + i);
    assert_int_equal(auth_limiter_wait(l, "u:ann", t0 + 10), 90); /* window from the first */
    assert_int_equal(auth_limiter_wait(l, "u:bob", t0 + 10), 0);  /* keys are separate */
    assert_int_equal(auth_limiter_wait(l, "u:ann", t0 + 100), 0); /* the window ended */
    for (int i = 0; i < 3; i++)
        auth_limiter_failed(l, "u:ann", t0 + 200);
    assert_true(auth_limiter_wait(l, "u:ann", t0 + 200) > 0);
    auth_limiter_clear(l, "u:ann");
    assert_int_equal(auth_limiter_wait(l, "u:ann", t0 + 200), 0);
    /* a full table forgets the oldest entries, never crashes */
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "a:%d", i);
        auth_limiter_failed(l, key, t0 + 300 + i / 100);
    }
    for (int i = 0; i < 3; i++)
        auth_limiter_failed(l, "a:last", t0 + 400);
    assert_true(auth_limiter_wait(l, "a:last", t0 + 400) > 0);
    auth_limiter_free(l);
    auth_limiter_free(NULL);
}

static void test_accounts_are_audited(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    bd_err err;
    assert_int_equal(auth_user_add(s, "root", "Bad Name", NULL, "agent", NULL, &err), -1);
    assert_int_equal(auth_user_add(s, "root", "ann", NULL, "king", NULL, &err), -1);
    assert_int_equal(auth_user_add(s, "root", "ann", "Ann", "agent", "short", &err), -1);
    assert_int_equal(auth_user_add(s, "root", "ann", "Ann", "agent", "ann-password", &err), 0);
    assert_int_equal(auth_user_add(s, "root", "ann", "Ann", "agent", NULL, &err), -1);
    store_user_auth u;
    assert_int_equal(store_user_auth_get(s, "ann", &u, &err), 1);
    assert_true(auth_password_verify(u.password_hash, "ann-password"));
    store_user_auth_clear(&u);
    assert_int_equal(auth_user_set_role(s, "root", "ann", "lead", &err), 0);
    assert_int_equal(auth_user_set_role(s, "root", "ann", "lead", &err), 0); /* no change */
    assert_int_equal(auth_user_set_disabled(s, "root", "ann", 1, &err), 0);
    char *token;
    int64_t id;
    assert_int_equal(auth_token_create(s, "root", "ann", "read", NULL, &token, &id, &err), -1);
    assert_string_equal(err.msg, "user \"ann\" is disabled");
    assert_int_equal(auth_user_set_disabled(s, "root", "ann", 0, &err), 0);
    assert_int_equal(auth_token_create(s, "root", "ann", "root", NULL, &token, &id, &err), -1);
    assert_int_equal(auth_token_create(s, "root", "ann", "write", "ci", &token, &id, &err), 0);
    char hash[65];
    auth_sha256_hex(token, hash);
    store_token t;
    assert_int_equal(store_token_find(s, hash, &t, &err), 1);
    assert_string_equal(t.user_name, "ann");
    assert_string_equal(t.scope, "write");
    assert_int_equal(t.revoked_at, 0);
    store_token_clear(&t);
    assert_int_equal(store_token_find(s, token, &t, &err), 0); /* never stored in clear */
    assert_int_equal(auth_token_revoke(s, "root", id, &err), 1);
    assert_int_equal(auth_token_revoke(s, "root", id, &err), 0);
    assert_int_equal(auth_token_revoke(s, "root", 999, &err), 0);
    free(token);

    store_event_query q = {.actor = "root"};
    store_event *e;
    size_t n;
    assert_int_equal(store_events_page(s, &q, &e, &n, &err), 0);
    const char *want[] = {"user_added",   "role_changed",  "user_disabled",
                          "user_enabled", "token_created", "token_revoked"};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(e[i].kind, want[i]);
        assert_int_equal(e[i].ticket_id, 0);
    }
    store_events_free(e, n);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_and_scopes),
        cmocka_unit_test(test_passwords),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_limiter),
        cmocka_unit_test(test_accounts_are_audited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
