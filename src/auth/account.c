/* account.c — adding and changing users and API tokens, each change audited (see auth.h).
 * Shared by `borderdesk user` and the REST API. */
#include "borderdesk/auth.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int auth_user_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64) return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
              *p == '-'))
            return 0;
    return 1;
}

/* Records an account event (no ticket): detail is {"user": name, k: v}. */
static int audit(bd_store *s, const char *actor, const char *kind, const char *user, const char *k,
                 const char *v, bd_err *err)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "user", user);
    if (k) cJSON_AddItemToObject(d, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
    char *text = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    int rc = store_event_add(s, 0, actor, kind, text, bd_now(), err);
    cJSON_free(text);
    return rc;
}

int auth_user_add(bd_store *s, const char *actor, const char *name, const char *display_name,
                  const char *role, const char *password, bd_err *err)
{
    if (!auth_user_name_valid(name))
        return bd_err_set(err, "a login name is 1-64 of a-z, 0-9, '.', '_' and '-'");
    if (!auth_role_parse(role))
        return bd_err_set(err, "unknown role \"%s\" (agent, lead, admin)", role ? role : "");
    if (display_name &&
        (!bd_utf8_valid(display_name, strlen(display_name)) || strlen(display_name) > 200))
        return bd_err_set(err, "a display name is at most 200 bytes of UTF-8");
    char *hash = NULL;
    if (password &&
        (auth_password_check(password, err) || auth_password_hash(password, &hash, err)))
        return -1;
    int rc = store_user_add(s, name, display_name, role, bd_now(), err);
    if (!rc && hash) rc = store_user_set_password(s, name, hash, err);
    free(hash);
    if (!rc) rc = audit(s, actor, "user_added", name, "role", role, err);
    return rc;
}

int auth_user_set_password(bd_store *s, const char *actor, const char *name, const char *password,
                           bd_err *err)
{
    char *hash = NULL;
    if (auth_password_check(password, err) || auth_password_hash(password, &hash, err)) return -1;
    int rc = store_user_set_password(s, name, hash, err);
    free(hash);
    if (!rc) rc = audit(s, actor, "password_changed", name, NULL, NULL, err);
    return rc;
}

int auth_user_set_disabled(bd_store *s, const char *actor, const char *name, int disabled,
                           bd_err *err)
{
    if (store_user_set_disabled(s, name, disabled, err)) return -1;
    return audit(s, actor, disabled ? "user_disabled" : "user_enabled", name, NULL, NULL, err);
}

int auth_user_set_role(bd_store *s, const char *actor, const char *name, const char *role,
                       bd_err *err)
{
    if (!auth_role_parse(role))
        return bd_err_set(err, "unknown role \"%s\" (agent, lead, admin)", role ? role : "");
    store_user_auth u;
    int found = store_user_auth_get(s, name, &u, err);
    if (found <= 0) return found < 0 ? -1 : bd_err_set(err, "no user \"%s\"", name);
    int same = bd_streq(u.role, role);
    store_user_auth_clear(&u);
    if (same) return 0;
    if (store_user_set_role(s, name, role, err)) return -1;
    return audit(s, actor, "role_changed", name, "role", role, err);
}

int auth_token_create(bd_store *s, const char *actor, const char *user, const char *scope,
                      const char *label, char **token, int64_t *id, bd_err *err)
{
    *token = NULL;
    if (!auth_scope_grants(scope))
        return bd_err_set(err, "unknown scope \"%s\" (read, write, sync, admin)",
                          scope ? scope : "");
    if (label && (strlen(label) > 200 || !bd_utf8_valid(label, strlen(label))))
        return bd_err_set(err, "a label is at most 200 bytes of UTF-8");
    store_user_auth u;
    int found = store_user_auth_get(s, user, &u, err);
    if (found <= 0) return found < 0 ? -1 : bd_err_set(err, "no user \"%s\"", user);
    int64_t uid = u.id;
    int disabled = u.disabled;
    store_user_auth_clear(&u);
    if (disabled) return bd_err_set(err, "user \"%s\" is disabled", user);
    char *secret;
    if (auth_secret_new("bdt_", 32, &secret, err)) return -1;
    char hash[65], prefix[16];
    auth_sha256_hex(secret, hash);
    snprintf(prefix, sizeof prefix, "%.12s", secret);
    int rc = store_token_add(s, uid, hash, prefix, label, scope, bd_now(), id, err);
    if (!rc) {
        char idbuf[32];
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)*id);
        rc = audit(s, actor, "token_created", user, "token_id", idbuf, err);
    }
    if (rc) {
        free(secret);
        return -1;
    }
    *token = secret;
    return 0;
}

int auth_token_revoke(bd_store *s, const char *actor, int64_t id, bd_err *err)
{
    store_token t;
    int found = store_token_get(s, id, &t, err);
    if (found <= 0) return found;
    int rc = store_token_revoke(s, id, bd_now(), err);
    if (rc == 1) {
        char idbuf[32];
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
        if (audit(s, actor, "token_revoked", t.user_name, "token_id", idbuf, err)) rc = -1;
    }
    store_token_clear(&t);
    return rc;
}
