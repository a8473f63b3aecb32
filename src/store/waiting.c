/* waiting.c — what a ticket's buyer is waiting for: unanswered messages since the last reply
 * (the classifier's repeated_contact signal and the ticket's current request). borderdesk's
 * own automatic messages (survey invitations) answer nothing. */
#include "store_internal.h"

#include <string.h>

int store_ticket_waiting_get(bd_store *s, int64_t ticket_id, store_ticket_waiting *w, bd_err *err)
{
    memset(w, 0, sizeof *w);
    sqlite3_stmt *st =
        store_stmt(s, ST_TICKET_WAITING,
                   "WITH last AS (SELECT coalesce(max(sent_at), 0) AS at FROM messages"
                   "  WHERE ticket_id = ?1 AND direction = 'out' AND kind = 'public'"
                   "   AND coalesce(author, '') NOT GLOB '" BD_AUTHOR_AUTOMATIC "*')"
                   " SELECT count(m.id), coalesce(max(m.sent_at), 0), last.at FROM last"
                   " LEFT JOIN messages m ON m.ticket_id = ?1 AND m.direction = 'in'"
                   "  AND m.kind = 'public' AND m.sent_at > last.at",
                   err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ticket_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return store_fail(s, err, "read unanswered messages");
    }
    w->unanswered = sqlite3_column_int64(st, 0);
    w->last_unanswered_at = sqlite3_column_int64(st, 1);
    w->last_reply_at = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    return 0;
}
