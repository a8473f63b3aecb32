/*
 * auth.h — who may use borderdesk and how they prove it: roles and token scopes, argon2id
 * password hashes, random secrets (session cookies, CSRF tokens, API tokens) kept only as
 * SHA-256 hashes, and a limiter for failed logins.
 *
 * Roles are ranked: an agent works queues and tickets; a lead can do everything an agent
 * can plus assignment, reports and the audit log; an admin can do everything, including
 * users, tokens and configuration. A token's scope narrows what its user may do: read
 * (GET only), write (read + ticket changes), sync (read + synchronisation), admin (all).
 */
#ifndef BORDERDESK_AUTH_H
#define BORDERDESK_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "borderdesk/store.h"
#include "borderdesk/util.h"

/* ---- roles ---- */
enum { AUTH_ROLE_NONE = 0, AUTH_ROLE_AGENT = 1, AUTH_ROLE_LEAD = 2, AUTH_ROLE_ADMIN = 3 };
/* The rank of a role name, AUTH_ROLE_NONE when unknown. */
int auth_role_parse(const char *name);
const char *auth_role_name(int role); /* "agent", "lead", "admin", or "none" */

/* ---- scopes: what a request may do, as a bit set ---- */
enum {
    AUTH_SCOPE_READ = 1,
    AUTH_SCOPE_WRITE = 2,
    AUTH_SCOPE_SYNC = 4,
    AUTH_SCOPE_ADMIN = 8,
    AUTH_SCOPE_ALL = 15
};
/* The scopes a token of the named scope grants ("write" grants read and write, ...);
 * 0 for an unknown name. */
unsigned auth_scope_grants(const char *name);

/* ---- passwords (argon2id) ---- */
/* 0 when the password is acceptable (8 to 1024 bytes of valid UTF-8), -1 with err. */
int auth_password_check(const char *password, bd_err *err);
/* Hashes with a fresh random salt; *encoded is the PHC string (caller frees). */
int auth_password_hash(const char *password, char **encoded, bd_err *err);
/* 1 when password matches the encoded hash, 0 when not (or the hash is malformed). */
int auth_password_verify(const char *encoded, const char *password);
/* Spends the time of one verification, so that an unknown user name answers as slowly as
 * a wrong password. */
void auth_password_burn(const char *password);

/* ---- secrets ---- */
/* A new random secret: prefix followed by nbytes of randomness in base64url (no padding).
 * Returns 0 and *out (caller frees), or -1 with err when the system has no randomness. */
int auth_secret_new(const char *prefix, size_t nbytes, char **out, bd_err *err);
/* SHA-256 of s as 64 lowercase hex digits and a NUL. */
void auth_sha256_hex(const char *s, char out[65]);
/* 1 when a and b are equal strings, compared in time independent of where they differ. */
int auth_secret_equal(const char *a, const char *b);

/* ---- failed-login limiter (thread-safe) ---- */
/* Allows max_failures failures of one key (an account or an address) in window seconds;
 * then the key is blocked until the window that started with its first failure ends. */
typedef struct auth_limiter auth_limiter;
auth_limiter *auth_limiter_new(int max_failures, int64_t window);
void auth_limiter_free(auth_limiter *l); /* NULL-safe */
/* 0 when key may try now, else the seconds until it may. */
int64_t auth_limiter_wait(auth_limiter *l, const char *key, int64_t now);
void auth_limiter_failed(auth_limiter *l, const char *key, int64_t now);
/* Forgets key's failures (after a successful login). */
void auth_limiter_clear(auth_limiter *l, const char *key);

/* ---- accounts: user and token administration, each change written to the audit log
 * (an event of no ticket) with the acting user. None commits: the caller owns the
 * transaction (store_begin/store_commit). ---- */
/* 1 when name is a valid login name: 1-64 of a-z, 0-9, '.', '_', '-'. */
int auth_user_name_valid(const char *name);
/* password may be NULL (the user cannot log in until one is set). */
int auth_user_add(bd_store *s, const char *actor, const char *name, const char *display_name,
                  const char *role, const char *password, bd_err *err);
int auth_user_set_password(bd_store *s, const char *actor, const char *name, const char *password,
                           bd_err *err);
int auth_user_set_disabled(bd_store *s, const char *actor, const char *name, int disabled,
                           bd_err *err);
int auth_user_set_role(bd_store *s, const char *actor, const char *name, const char *role,
                       bd_err *err);
/* Creates an API token for user; *token is the secret, shown once (caller frees). */
int auth_token_create(bd_store *s, const char *actor, const char *user, const char *scope,
                      const char *label, char **token, int64_t *id, bd_err *err);
/* 1 revoked, 0 no such token or already revoked, -1 error. */
int auth_token_revoke(bd_store *s, const char *actor, int64_t id, bd_err *err);

#endif
