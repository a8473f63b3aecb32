/* router.c — the route table of /api/v1 with each route's role and scope (docs/api.md has
 * the same matrix for people), and path matching with {parameters}. */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

#define PUBLIC AUTH_ROLE_NONE, 0, 0
#define AGENT_READ AUTH_ROLE_AGENT, AUTH_SCOPE_READ, 0
#define AGENT_WRITE AUTH_ROLE_AGENT, AUTH_SCOPE_WRITE, 0
#define LEAD_READ AUTH_ROLE_LEAD, AUTH_SCOPE_READ, 0
#define LEAD_WRITE AUTH_ROLE_LEAD, AUTH_SCOPE_WRITE, 0
#define ADMIN_ONLY AUTH_ROLE_ADMIN, AUTH_SCOPE_ADMIN, 0
/* a lead, or any user's token whose scope is sync (scripts that sync) */
#define LEAD_OR_SYNC_TOKEN AUTH_ROLE_LEAD, AUTH_SCOPE_SYNC, 1

const srv_route srv_routes[] = {
    {"GET", "/api/v1/health", h_health, PUBLIC},
    {"GET", "/api/v1/openapi.json", h_openapi, PUBLIC},
    {"POST", "/api/v1/session", h_session_login, PUBLIC},
    {"GET", "/api/v1/public/surveys/{token}", h_public_survey_get, PUBLIC},
    {"POST", "/api/v1/public/surveys/{token}", h_public_survey_answer, PUBLIC},
    {"GET", "/api/v1/session", h_session_get, AGENT_READ},
    {"DELETE", "/api/v1/session", h_session_logout, AGENT_READ},
    {"GET", "/api/v1/tickets", h_tickets_list, AGENT_READ},
    {"GET", "/api/v1/tickets/{id}", h_ticket_get, AGENT_READ},
    {"GET", "/api/v1/tickets/{id}/messages", h_ticket_messages, AGENT_READ},
    {"GET", "/api/v1/tickets/{id}/suggestions", h_ticket_suggestions, AGENT_READ},
    {"POST", "/api/v1/tickets/{id}/reply", h_ticket_reply, AGENT_WRITE},
    {"POST", "/api/v1/tickets/{id}/notes", h_ticket_note, AGENT_WRITE},
    {"POST", "/api/v1/tickets/{id}/assign", h_ticket_assign, AGENT_WRITE},
    {"POST", "/api/v1/tickets/{id}/status", h_ticket_status, AGENT_WRITE},
    {"POST", "/api/v1/tickets/{id}/tags", h_ticket_tag_add, AGENT_WRITE},
    {"DELETE", "/api/v1/tickets/{id}/tags/{tag}", h_ticket_tag_remove, AGENT_WRITE},
    {"GET", "/api/v1/messages/{id}", h_message_get, AGENT_READ},
    {"GET", "/api/v1/templates", h_templates_list, AGENT_READ},
    {"POST", "/api/v1/templates/preview", h_template_preview, AGENT_READ},
    {"GET", "/api/v1/shops", h_shops_list, AGENT_READ},
    {"GET", "/api/v1/buyers", h_buyers_list, AGENT_READ},
    {"GET", "/api/v1/buyers/{id}", h_buyer_get, AGENT_READ},
    {"PUT", "/api/v1/buyers/{id}/blacklist", h_buyer_blacklist_put, LEAD_WRITE},
    {"DELETE", "/api/v1/buyers/{id}/blacklist", h_buyer_blacklist_delete, LEAD_WRITE},
    {"GET", "/api/v1/buyers/{id}/orders", h_buyer_orders, AGENT_READ},
    {"GET", "/api/v1/buyers/{id}/tickets", h_buyer_tickets, AGENT_READ},
    {"GET", "/api/v1/orders", h_orders_list, AGENT_READ},
    {"GET", "/api/v1/orders/{id}", h_order_get, AGENT_READ},
    {"GET", "/api/v1/outbox", h_outbox_list, AGENT_READ},
    {"GET", "/api/v1/audit", h_audit_list, LEAD_READ},
    {"GET", "/api/v1/reports/sla", h_report_sla, LEAD_READ},
    {"GET", "/api/v1/reports/workload", h_report_workload, LEAD_READ},
    {"GET", "/api/v1/reports/satisfaction", h_report_satisfaction, LEAD_READ},
    {"GET", "/api/v1/reports/tiers", h_report_tiers, LEAD_READ},
    {"GET", "/api/v1/sync", h_sync_get, LEAD_READ},
    {"GET", "/api/v1/sync/runs", h_sync_runs, LEAD_READ},
    {"POST", "/api/v1/sync", h_sync_post, LEAD_OR_SYNC_TOKEN},
    {"GET", "/api/v1/scheduler", h_scheduler_get, LEAD_READ},
    {"POST", "/api/v1/scheduler/{name}/run", h_scheduler_run, ADMIN_ONLY},
    {"GET", "/api/v1/users", h_users_list, LEAD_READ},
    {"POST", "/api/v1/users", h_user_create, ADMIN_ONLY},
    {"GET", "/api/v1/users/{name}", h_user_get, LEAD_READ},
    {"PATCH", "/api/v1/users/{name}", h_user_update, ADMIN_ONLY},
    {"GET", "/api/v1/tokens", h_tokens_list, ADMIN_ONLY},
    {"POST", "/api/v1/tokens", h_token_create, ADMIN_ONLY},
    {"DELETE", "/api/v1/tokens/{id}", h_token_revoke, ADMIN_ONLY},
};
const size_t srv_n_routes = sizeof srv_routes / sizeof srv_routes[0];

void srv_routes_print(FILE *f)
{
    for (size_t i = 0; i < srv_n_routes; i++) {
        const srv_route *r = &srv_routes[i];
        const char *scope = r->scope == AUTH_SCOPE_ADMIN   ? "admin"
                            : r->scope == AUTH_SCOPE_WRITE ? "write"
                            : r->scope == AUTH_SCOPE_SYNC  ? "sync"
                            : r->scope == AUTH_SCOPE_READ  ? "read"
                                                           : "-";
        fprintf(f, "%s %s %s %s\n", r->method, r->pattern,
                r->min_role ? auth_role_name(r->min_role) : "public", scope);
    }
}

/* Matches path against pattern; on success the parameters point into buf (path's copy,
 * cut into NUL-terminated segments). */
static int match(const char *pattern, const char *path, char *buf, const char **params, size_t *n)
{
    *n = 0;
    if (path[0] != '/') return 0;
    strcpy(buf, path + 1);
    const char *p = pattern + 1;
    char *q = buf;
    for (;;) {
        const char *pend = strchrnul(p, '/');
        char *qend = strchrnul(q, '/');
        size_t plen = (size_t)(pend - p), qlen = (size_t)(qend - q);
        if (plen >= 2 && p[0] == '{') {
            if (qlen == 0 || *n == SRV_MAX_PARAMS) return 0;
            params[(*n)++] = q;
        } else if (plen != qlen || memcmp(p, q, plen) != 0) {
            return 0;
        }
        int plast = *pend == '\0', qlast = *qend == '\0';
        if (plast || qlast) return plast && qlast;
        *qend = '\0';
        p = pend + 1;
        q = qend + 1;
    }
}

const srv_route *srv_route_find(srv_request *r, const char *method, const char *path,
                                int *path_known, char **allow)
{
    *path_known = 0;
    *allow = NULL;
    size_t len = strlen(path);
    if (len > 2048) return NULL;
    char *buf = bd_malloc(len + 1);
    bd_buf methods = BD_BUF_INIT;
    const srv_route *found = NULL;
    for (size_t i = 0; i < srv_n_routes && !found; i++) {
        const char *params[SRV_MAX_PARAMS];
        size_t n;
        if (!match(srv_routes[i].pattern, path, buf, params, &n)) continue;
        if (strcmp(srv_routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(srv_routes[i].method, "GET") == 0)) {
            found = &srv_routes[i];
            free(r->param_buf);
            r->param_buf = buf;
            buf = NULL;
            memcpy(r->params, params, sizeof params);
            r->n_params = n;
        } else {
            *path_known = 1;
            if (methods.len) bd_buf_puts(&methods, ", ");
            bd_buf_puts(&methods, srv_routes[i].method);
        }
    }
    free(buf);
    if (found || !*path_known) {
        bd_buf_free(&methods);
        *path_known = found ? 0 : *path_known;
        return found;
    }
    *allow = bd_buf_detach(&methods);
    return NULL;
}
