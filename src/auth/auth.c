/* auth.c — roles, scopes, argon2id passwords, random secrets and the failed-login limiter
 * (see auth.h). */
#include "borderdesk/auth.h"

#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. The parameters travel inside each
 * encoded hash, so raising them later keeps old hashes valid. */
#define AUTH_ARGON2_T 2
#define AUTH_ARGON2_M 19456
#define AUTH_ARGON2_P 1
#define AUTH_SALT_LEN 16
#define AUTH_HASH_LEN 32

int auth_role_parse(const char *name)
{
    if (bd_streq(name, "agent")) return AUTH_ROLE_AGENT;
    if (bd_streq(name, "lead")) return AUTH_ROLE_LEAD;
    if (bd_streq(name, "admin")) return AUTH_ROLE_ADMIN;
    return AUTH_ROLE_NONE;
}

const char *auth_role_name(int role)
{
    switch (role) {
    case AUTH_ROLE_AGENT:
        return "agent";
    case AUTH_ROLE_LEAD:
        return "lead";
    case AUTH_ROLE_ADMIN:
        return "admin";
    default:
        return "none";
    }
}

unsigned auth_scope_grants(const char *name)
{
    if (bd_streq(name, "read")) return AUTH_SCOPE_READ;
    if (bd_streq(name, "write")) return AUTH_SCOPE_READ | AUTH_SCOPE_WRITE;
    if (bd_streq(name, "sync")) return AUTH_SCOPE_READ | AUTH_SCOPE_SYNC;
    if (bd_streq(name, "admin")) return AUTH_SCOPE_ALL;
    return 0;
}

int auth_password_check(const char *password, bd_err *err)
{
    size_t n = password ? strlen(password) : 0;
    if (n < 8) return bd_err_set(err, "a password needs at least 8 characters");
    if (n > 1024) return bd_err_set(err, "a password is at most 1024 bytes");
    if (!bd_utf8_valid(password, n)) return bd_err_set(err, "the password is not valid UTF-8");
    return 0;
}

int auth_password_hash(const char *password, char **encoded, bd_err *err)
{
    *encoded = NULL;
    unsigned char salt[AUTH_SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1) return bd_err_set(err, "no randomness for a salt");
    size_t len = argon2_encodedlen(AUTH_ARGON2_T, AUTH_ARGON2_M, AUTH_ARGON2_P, AUTH_SALT_LEN,
                                   AUTH_HASH_LEN, Argon2_id);
    char *out = bd_malloc(len);
    int rc = argon2id_hash_encoded(AUTH_ARGON2_T, AUTH_ARGON2_M, AUTH_ARGON2_P, password,
                                   strlen(password), salt, sizeof salt, AUTH_HASH_LEN, out, len);
    if (rc != ARGON2_OK) {
        free(out);
        return bd_err_set(err, "argon2id: %s", argon2_error_message(rc));
    }
    *encoded = out;
    return 0;
}

int auth_password_verify(const char *encoded, const char *password)
{
    if (!encoded || !password) return 0;
    if (strncmp(encoded, "$argon2id$", 10) != 0) return 0;
    return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

void auth_password_burn(const char *password)
{
    static const unsigned char salt[AUTH_SALT_LEN] = "borderdesk-burn";
    unsigned char out[AUTH_HASH_LEN];
    const char *p = password ? password : "";
    argon2id_hash_raw(AUTH_ARGON2_T, AUTH_ARGON2_M, AUTH_ARGON2_P, p, strlen(p), salt, sizeof salt,
                      out, sizeof out);
}

int auth_secret_new(const char *prefix, size_t nbytes, char **out, bd_err *err)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    *out = NULL;
    unsigned char raw[64];
    if (nbytes > sizeof raw) nbytes = sizeof raw;
    if (RAND_bytes(raw, (int)nbytes) != 1) return bd_err_set(err, "no randomness for a secret");
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, prefix ? prefix : "");
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < nbytes; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            bd_buf_putc(&b, b64[(acc >> bits) & 63]);
        }
    }
    if (bits > 0) bd_buf_putc(&b, b64[(acc << (6 - bits)) & 63]);
    *out = bd_buf_detach(&b);
    return 0;
}

void auth_sha256_hex(const char *s, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

int auth_secret_equal(const char *a, const char *b)
{
    if (!a || !b) return 0;
    size_t na = strlen(a), nb = strlen(b);
    unsigned char diff = (unsigned char)(na != nb);
    for (size_t i = 0; i < na; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
    return diff == 0;
}

/* ---- the limiter: a fixed table; when full, the entry whose window started first goes ---- */

#define AUTH_LIMITER_SLOTS 4096

struct auth_limiter {
    pthread_mutex_t mu;
    int max_failures;
    int64_t window;
    struct {
        char key[96];
        int failures;
        int64_t since;
    } e[AUTH_LIMITER_SLOTS];
};

auth_limiter *auth_limiter_new(int max_failures, int64_t window)
{
    auth_limiter *l = bd_calloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    l->max_failures = max_failures > 0 ? max_failures : 1;
    l->window = window > 0 ? window : 1;
    return l;
}

void auth_limiter_free(auth_limiter *l)
{
    if (!l) return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/* The slot of key (or -1); expired entries are emptied on the way. Caller holds mu. */
static int find(auth_limiter *l, const char *key, int64_t now)
{
    int found = -1;
    for (int i = 0; i < AUTH_LIMITER_SLOTS; i++) {
        if (!l->e[i].key[0]) continue;
        if (now - l->e[i].since >= l->window) {
            l->e[i].key[0] = '\0';
            continue;
        }
        if (found < 0 && strncmp(l->e[i].key, key, sizeof l->e[i].key - 1) == 0) found = i;
    }
    return found;
}

int64_t auth_limiter_wait(auth_limiter *l, const char *key, int64_t now)
{
    pthread_mutex_lock(&l->mu);
    int i = find(l, key, now);
    int64_t wait = 0;
    if (i >= 0 && l->e[i].failures >= l->max_failures) wait = l->e[i].since + l->window - now;
    pthread_mutex_unlock(&l->mu);
    return wait > 0 ? wait : 0;
}

void auth_limiter_failed(auth_limiter *l, const char *key, int64_t now)
{
    pthread_mutex_lock(&l->mu);
    int i = find(l, key, now);
    if (i < 0) {
        int oldest = 0;
        for (int j = 0; j < AUTH_LIMITER_SLOTS; j++) {
            if (!l->e[j].key[0]) {
                oldest = j;
                break;
            }
            if (l->e[j].since < l->e[oldest].since) oldest = j;
        }
        i = oldest;
        snprintf(l->e[i].key, sizeof l->e[i].key, "%s", key);
        l->e[i].failures = 0;
        l->e[i].since = now;
    }
    l->e[i].failures++;
    pthread_mutex_unlock(&l->mu);
}

void auth_limiter_clear(auth_limiter *l, const char *key)
{
    pthread_mutex_lock(&l->mu);
    for (int i = 0; i < AUTH_LIMITER_SLOTS; i++)
        if (l->e[i].key[0] && strncmp(l->e[i].key, key, sizeof l->e[i].key - 1) == 0)
            l->e[i].key[0] = '\0';
    pthread_mutex_unlock(&l->mu);
}
