/* options.c — the server's settings: defaults, the configuration file's "server" object
 * and the --listen address. */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void srv_options_defaults(srv_options *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->listen_addr, sizeof o->listen_addr, "127.0.0.1");
    o->port = 8080;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 2 ? (unsigned)cpus * 2 : 4;
    o->max_body = 1u << 20;
    o->connection_timeout = 30;
    o->max_connections = 1000;
    o->session_ttl = 12 * 3600;
    o->login_max_per_account = 5;
    o->login_max_per_address = 20;
    o->login_window = 900;
    o->sync_interval = 300;
    o->outbox_interval = 60;
    o->tiers_interval = 3600;
    o->public_max_per_address = 120;
    o->public_window = 600;
    o->reopen_window = 7 * 86400;
    o->openapi_path = bd_asprintf("%s/docs/openapi.json", bd_data_dir());
    o->web_dir = bd_asprintf("%s/web", bd_data_dir());
    o->log = stderr;
}

void srv_options_clear(srv_options *o)
{
    free(o->openapi_path);
    o->openapi_path = NULL;
    free(o->web_dir);
    o->web_dir = NULL;
}

int srv_options_listen(srv_options *o, const char *spec, bd_err *err)
{
    const char *colon = strrchr(spec, ':');
    const char *port = colon ? colon + 1 : spec;
    char addr[64] = "";
    if (colon) {
        size_t n = (size_t)(colon - spec);
        if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') spec++, n -= 2;
        if (n == 0 || n >= sizeof addr)
            return bd_err_set(err, "--listen wants ADDR:PORT, e.g. 127.0.0.1:8080");
        memcpy(addr, spec, n);
        addr[n] = '\0';
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535)
        return bd_err_set(err, "--listen: \"%s\" is not a port number", port);
    if (*addr) snprintf(o->listen_addr, sizeof o->listen_addr, "%s", addr);
    o->port = (uint16_t)p;
    return 0;
}

/* A number member within [lo, hi]: 0 absent or set, -1 with err. */
static int number(const cJSON *obj, const char *key, double lo, double hi, double *out,
                  const char *path, bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
        return bd_err_set(err, "%s: server.%s must be a number from %g to %g", path, key, lo, hi);
    *out = v->valuedouble;
    return 1;
}

int srv_options_config(srv_options *o, const bd_config *c, bd_err *err)
{
    o->reopen_window = c->reopen_window;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(c->root, "server");
    if (!s) return 0;
    const char *path = c->path ? c->path : "configuration";
    if (!cJSON_IsObject(s)) return bd_err_set(err, "%s: \"server\" must be an object", path);
    const cJSON *listen = cJSON_GetObjectItemCaseSensitive(s, "listen");
    if (listen) {
        if (!cJSON_IsString(listen))
            return bd_err_set(err, "%s: server.listen must be \"ADDR:PORT\"", path);
        if (srv_options_listen(o, listen->valuestring, err)) return -1;
    }
    double v;
    int rc;
    if ((rc = number(s, "threads", 1, 256, &v, path, err)) < 0) return -1;
    if (rc) o->threads = (unsigned)v;
    if ((rc = number(s, "max_body_bytes", 1024, 64 << 20, &v, path, err)) < 0) return -1;
    if (rc) o->max_body = (size_t)v;
    if ((rc = number(s, "connection_timeout_seconds", 1, 3600, &v, path, err)) < 0) return -1;
    if (rc) o->connection_timeout = (unsigned)v;
    if ((rc = number(s, "max_connections", 16, 100000, &v, path, err)) < 0) return -1;
    if (rc) o->max_connections = (unsigned)v;
    if ((rc = number(s, "session_hours", 0.01, 24 * 90, &v, path, err)) < 0) return -1;
    if (rc) o->session_ttl = (int64_t)(v * 3600);
    if ((rc = number(s, "login_max_failures_per_account", 1, 1000, &v, path, err)) < 0) return -1;
    if (rc) o->login_max_per_account = (int)v;
    if ((rc = number(s, "login_max_failures_per_address", 1, 100000, &v, path, err)) < 0) return -1;
    if (rc) o->login_max_per_address = (int)v;
    if ((rc = number(s, "login_window_seconds", 1, 86400, &v, path, err)) < 0) return -1;
    if (rc) o->login_window = (int64_t)v;
    if ((rc = number(s, "sync_interval_seconds", 0, 86400, &v, path, err)) < 0) return -1;
    if (rc) o->sync_interval = (int64_t)v;
    if ((rc = number(s, "outbox_interval_seconds", 0, 86400, &v, path, err)) < 0) return -1;
    if (rc) o->outbox_interval = (int64_t)v;
    if ((rc = number(s, "tiers_interval_seconds", 0, 7 * 86400, &v, path, err)) < 0) return -1;
    if (rc) o->tiers_interval = (int64_t)v;
    if ((rc = number(s, "public_max_requests_per_address", 1, 1000000, &v, path, err)) < 0)
        return -1;
    if (rc) o->public_max_per_address = (int)v;
    if ((rc = number(s, "public_window_seconds", 1, 86400, &v, path, err)) < 0) return -1;
    if (rc) o->public_window = (int64_t)v;
    const cJSON *web = cJSON_GetObjectItemCaseSensitive(s, "web_dir");
    if (web) {
        if (!cJSON_IsString(web) || !*web->valuestring)
            return bd_err_set(err, "%s: server.web_dir must be a directory path", path);
        free(o->web_dir);
        o->web_dir = bd_strdup(web->valuestring);
        o->web_dir_set = 1;
    }
    const cJSON *tls = cJSON_GetObjectItemCaseSensitive(s, "behind_tls");
    if (tls) {
        if (!cJSON_IsBool(tls))
            return bd_err_set(err, "%s: server.behind_tls must be true or false", path);
        o->behind_tls = cJSON_IsTrue(tls);
    }
    return 0;
}
