/* h_session.c — who is asking: API tokens (Authorization: Bearer) and login sessions (a
 * cookie plus a CSRF token for changes), login with rate limits, logout. */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SRV_COOKIE "bd_session"

static int from_token(srv_request *r, bd_store *s, const char *header)
{
    if (strncasecmp(header, "Bearer ", 7) != 0) return 0;
    const char *tok = header + 7;
    while (*tok == ' ')
        tok++;
    if (!*tok || strlen(tok) > 256) return 0;
    char hash[65];
    auth_sha256_hex(tok, hash);
    store_token t;
    bd_err err;
    int found = store_token_find(s, hash, &t, &err);
    if (found < 0) {
        srv_fail(r, s, &err);
        return -1;
    }
    int ok = found && !t.revoked_at && !t.user_disabled && auth_scope_grants(t.scope);
    if (ok) {
        r->auth = SRV_AUTH_TOKEN;
        r->user_id = t.user_id;
        r->user = bd_strdup(t.user_name);
        r->role = auth_role_parse(t.role);
        r->scopes = auth_scope_grants(t.scope);
        /* recorded after the answer is sent (see on_completed), at most once a minute */
        if (bd_now() - t.last_used_at >= SRV_TOKEN_USE_GRANULARITY) r->token_used = t.id;
    }
    store_token_clear(&t);
    return ok;
}

static int from_cookie(srv_request *r, bd_store *s, const char *cookie)
{
    if (!*cookie || strlen(cookie) > 256) return 0;
    char hash[65];
    auth_sha256_hex(cookie, hash);
    store_session ss;
    bd_err err;
    int found = store_session_find(s, hash, bd_now(), &ss, &err);
    if (found < 0) {
        srv_fail(r, s, &err);
        return -1;
    }
    int ok = found && !ss.disabled;
    if (ok) {
        r->auth = SRV_AUTH_SESSION;
        r->user_id = ss.user_id;
        r->user = bd_strdup(ss.user_name);
        r->role = auth_role_parse(ss.role);
        r->scopes = AUTH_SCOPE_ALL;
        r->csrf = bd_strdup(ss.csrf_token);
        r->session_hash = bd_strdup(hash);
    }
    store_session_clear(&ss);
    return ok;
}

int srv_authenticate(srv_request *r)
{
    const char *header = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SRV_COOKIE);
    if (!header && !cookie) return 0;
    bd_store *s = srv_store(r);
    if (!s) return -1;
    if (header) return from_token(r, s, header);
    return from_cookie(r, s, cookie);
}

/* The user's display name (caller frees; NULL when none), or -1 after answering. */
static int display_name(srv_request *r, bd_store *s, const char *user, char **out)
{
    *out = NULL;
    store_user u = {0};
    bd_err err;
    int found = store_user_get(s, user, &u, &err);
    if (found < 0) {
        srv_fail(r, s, &err);
        return -1;
    }
    if (found && u.display_name && *u.display_name) *out = bd_strdup(u.display_name);
    store_user_clear(&u);
    return 0;
}

static cJSON *session_json(const char *user, const char *display, int role, const char *auth,
                           const char *csrf, int64_t expires_at, const char *scope)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *u = cJSON_AddObjectToObject(j, "user");
    cJSON_AddStringToObject(u, "name", user);
    json_add_str(u, "display_name", display);
    cJSON_AddStringToObject(u, "role", auth_role_name(role));
    cJSON_AddStringToObject(j, "auth", auth);
    json_add_str(j, "csrf_token", csrf);
    json_add_time(j, "expires_at", expires_at);
    json_add_str(j, "scope", scope);
    return j;
}

struct new_session {
    char hash[65];
    const char *csrf;
    int64_t user_id, now, expires;
};

static int add_session(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct new_session *n = arg;
    if (store_session_add(s, n->hash, n->user_id, n->csrf, n->now, n->expires, r->remote, err))
        return -1;
    char *detail = bd_asprintf("{\"user\":\"%s\",\"remote\":\"%s\"}", r->user, r->remote);
    int rc = store_event_add(s, 0, r->user, "login", detail, n->now, err);
    free(detail);
    return rc;
}

static void login_refused(srv_request *r, const char *acct_key, const char *addr_key)
{
    int64_t now = bd_now();
    auth_limiter_failed(r->srv->per_account, acct_key, now);
    auth_limiter_failed(r->srv->per_address, addr_key, now);
    srv_error(r, 401, "invalid_credentials", "unknown user or wrong password");
}

void h_session_login(srv_request *r)
{
    cJSON *body = srv_body_object(r);
    const char *name, *password;
    if (!body || srv_body_str(r, body, "name", 1, &name) ||
        srv_body_str(r, body, "password", 1, &password))
        return;
    if (strlen(name) > 64 || strlen(password) > 1024) {
        srv_error(r, 400, "invalid_field", "name or password too long");
        return;
    }
    char acct_key[96], addr_key[96];
    snprintf(acct_key, sizeof acct_key, "u:%s", name);
    snprintf(addr_key, sizeof addr_key, "a:%s", r->remote);
    int64_t now = bd_now();
    int64_t wait = auth_limiter_wait(r->srv->per_account, acct_key, now);
    int64_t wait2 = auth_limiter_wait(r->srv->per_address, addr_key, now);
    if (wait2 > wait) wait = wait2;
    if (wait > 0) {
        r->retry_after = (int)wait;
        srv_error(r, 429, "too_many_attempts", "too many failed logins; try again in %lld seconds",
                  (long long)wait);
        return;
    }
    bd_store *s = srv_store(r);
    if (!s) return;
    store_user_auth u;
    bd_err err;
    int found = store_user_auth_get(s, name, &u, &err);
    if (found < 0) {
        srv_fail(r, s, &err);
        return;
    }
    int ok;
    if (found && u.password_hash && !u.disabled) {
        ok = auth_password_verify(u.password_hash, password);
    } else {
        auth_password_burn(password); /* the same time as a wrong password */
        ok = 0;
    }
    if (!ok) {
        store_user_auth_clear(&u);
        login_refused(r, acct_key, addr_key);
        return;
    }
    auth_limiter_clear(r->srv->per_account, acct_key);
    char *secret = NULL, *csrf = NULL;
    if (auth_secret_new("bds_", 32, &secret, &err) || auth_secret_new("", 24, &csrf, &err)) {
        free(secret);
        store_user_auth_clear(&u);
        srv_error(r, 500, "internal", "%s", err.msg);
        return;
    }
    struct new_session n = {
        .csrf = csrf, .user_id = u.id, .now = now, .expires = now + r->srv->opt.session_ttl};
    auth_sha256_hex(secret, n.hash);
    r->user = bd_strdup(u.name);
    r->role = auth_role_parse(u.role);
    char *display = NULL;
    if (srv_write(r, s, add_session, &n, &err) == 0) {
        if (display_name(r, s, u.name, &display) == 0) {
            r->set_cookie = bd_asprintf(
                "%s=%s; Path=/api; Max-Age=%lld; HttpOnly; SameSite=Strict%s", SRV_COOKIE, secret,
                (long long)r->srv->opt.session_ttl, r->srv->opt.behind_tls ? "; Secure" : "");
            srv_reply_json(
                r, 201, session_json(u.name, display, r->role, "session", csrf, n.expires, NULL));
        }
    } else if (!r->status) {
        srv_fail(r, s, &err);
    }
    free(display);
    free(secret);
    free(csrf);
    store_user_auth_clear(&u);
}

void h_session_get(srv_request *r)
{
    bd_store *s = srv_store(r);
    char *display;
    if (!s || display_name(r, s, r->user, &display)) return;
    if (r->auth == SRV_AUTH_SESSION) {
        store_session ss;
        bd_err err;
        int found = store_session_find(s, r->session_hash, bd_now(), &ss, &err);
        if (found < 0) {
            free(display);
            srv_fail(r, s, &err);
            return;
        }
        srv_reply_json(r, 200,
                       session_json(r->user, display, r->role, "session", r->csrf,
                                    found ? ss.expires_at : 0, NULL));
        store_session_clear(&ss);
        free(display);
        return;
    }
    const char *scope = (r->scopes & AUTH_SCOPE_ADMIN)   ? "admin"
                        : (r->scopes & AUTH_SCOPE_WRITE) ? "write"
                        : (r->scopes & AUTH_SCOPE_SYNC)  ? "sync"
                                                         : "read";
    srv_reply_json(r, 200, session_json(r->user, display, r->role, "token", NULL, 0, scope));
    free(display);
}

static int end_session(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    (void)arg;
    if (store_session_delete(s, r->session_hash, err)) return -1;
    return store_event_add(s, 0, r->user, "logout", NULL, bd_now(), err);
}

void h_session_logout(srv_request *r)
{
    if (r->auth != SRV_AUTH_SESSION) {
        srv_error(r, 400, "not_a_session", "this request was made with a token, not a session");
        return;
    }
    bd_store *s = srv_store(r);
    if (!s) return;
    bd_err err;
    if (srv_write(r, s, end_session, NULL, &err)) {
        if (!r->status) srv_fail(r, s, &err);
        return;
    }
    r->set_cookie = bd_asprintf("%s=; Path=/api; Max-Age=0; HttpOnly; SameSite=Strict%s",
                                SRV_COOKIE, r->srv->opt.behind_tls ? "; Secure" : "");
    srv_reply_empty(r, 204);
}
