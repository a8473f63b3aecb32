/* survey.c — satisfaction surveys (one per solved ticket) and their answers. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dimension_names[4] = {"quality", "attitude", "speed", "price"};

void store_survey_clear(store_survey *v)
{
    if (!v) return;
    free(v->token);
    free(v->agent);
    free(v->category);
    free(v->subcategory);
    free(v->language);
    free(v->kind);
    free(v->dimensions);
    free(v->comment);
    free(v->shop);
    free(v->buyer_external_id);
    free(v->buyer_name);
    free(v->order_external_id);
    memset(v, 0, sizeof *v);
}

void store_surveys_free(store_survey *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        store_survey_clear(&v[i]);
    free(v);
}

int store_survey_insert(bd_store *s, const store_survey *v, int64_t *id, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_SV_INSERT,
        "INSERT INTO surveys(token, ticket_id, shop_id, buyer_id, agent, category, subcategory,"
        " language, kind, dimensions, created_at, expires_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        err);
    if (!st) return -1;
    store_bind_text(st, 1, v->token);
    sqlite3_bind_int64(st, 2, v->ticket_id);
    sqlite3_bind_int64(st, 3, v->shop_id);
    sqlite3_bind_int64(st, 4, v->buyer_id);
    store_bind_text(st, 5, v->agent);
    store_bind_text(st, 6, v->category);
    store_bind_text(st, 7, v->subcategory);
    store_bind_text(st, 8, v->language);
    store_bind_text(st, 9, v->kind);
    store_bind_text(st, 10, v->dimensions ? v->dimensions : "[]");
    sqlite3_bind_int64(st, 11, v->created_at);
    sqlite3_bind_int64(st, 12, v->expires_at);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
        sqlite3_reset(st);
        return bd_err_set(err, "ticket %lld already has a survey", (long long)v->ticket_id);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "create survey");
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

#define SURVEY_COLUMNS                                                                             \
    "SELECT v.id, v.ticket_id, v.shop_id, v.buyer_id, v.created_at, v.expires_at,"                 \
    " coalesce(v.responded_at, 0), coalesce(v.score, 0), v.token, v.agent, v.category,"            \
    " v.subcategory, v.language, v.kind, v.dimensions, v.comment, s.name, b.external_id,"          \
    " b.name,"                                                                                     \
    " (SELECT group_concat(a.dimension || '=' || a.score) FROM survey_answers a"                   \
    "   WHERE a.survey_id = v.id),"                                                                \
    " (SELECT t.order_external_id FROM tickets t WHERE t.id = v.ticket_id)"                        \
    " FROM surveys v JOIN shops s ON s.id = v.shop_id JOIN buyers b ON b.id = v.buyer_id"

static void read_survey(sqlite3_stmt *st, store_survey *v)
{
    memset(v, 0, sizeof *v);
    int c = 0;
    v->id = sqlite3_column_int64(st, c++);
    v->ticket_id = sqlite3_column_int64(st, c++);
    v->shop_id = sqlite3_column_int64(st, c++);
    v->buyer_id = sqlite3_column_int64(st, c++);
    v->created_at = sqlite3_column_int64(st, c++);
    v->expires_at = sqlite3_column_int64(st, c++);
    v->responded_at = sqlite3_column_int64(st, c++);
    v->score = sqlite3_column_int(st, c++);
    v->token = store_col_text(st, c++);
    v->agent = store_col_text(st, c++);
    v->category = store_col_text(st, c++);
    v->subcategory = store_col_text(st, c++);
    v->language = store_col_text(st, c++);
    v->kind = store_col_text(st, c++);
    v->dimensions = store_col_text(st, c++);
    v->comment = store_col_text(st, c++);
    v->shop = store_col_text(st, c++);
    v->buyer_external_id = store_col_text(st, c++);
    v->buyer_name = store_col_text(st, c++);
    /* "quality=4,speed=5" */
    const char *a = (const char *)sqlite3_column_text(st, c++);
    while (a && *a) {
        for (int d = 0; d < 4; d++) {
            size_t len = strlen(dimension_names[d]);
            if (strncmp(a, dimension_names[d], len) == 0 && a[len] == '=')
                v->dims[d] = atoi(a + len + 1);
        }
        a = strchr(a, ',');
        if (a) a++;
    }
    v->order_external_id = store_col_text(st, c++);
}

static int one_survey(bd_store *s, sqlite3_stmt *st, store_survey *v, bd_err *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read survey");
    read_survey(st, v);
    sqlite3_reset(st);
    return 1;
}

int store_survey_get_token(bd_store *s, const char *token, store_survey *v, bd_err *err)
{
    memset(v, 0, sizeof *v);
    sqlite3_stmt *st = store_stmt(s, ST_SV_BY_TOKEN, SURVEY_COLUMNS " WHERE v.token = ?1", err);
    if (!st) return -1;
    store_bind_text(st, 1, token);
    return one_survey(s, st, v, err);
}

int store_survey_get(bd_store *s, int64_t id, store_survey *v, bd_err *err)
{
    memset(v, 0, sizeof *v);
    sqlite3_stmt *st = store_stmt(s, ST_SV_BY_ID, SURVEY_COLUMNS " WHERE v.id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return one_survey(s, st, v, err);
}

int store_survey_for_ticket(bd_store *s, int64_t ticket_id, int64_t *id, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_SV_FOR_TICKET, "SELECT id FROM surveys WHERE ticket_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ticket_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "find survey");
    *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 1;
}

int store_survey_respond(bd_store *s, int64_t id, int score, const char *comment, int64_t at,
                         bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_SV_RESPOND,
                                  "UPDATE surveys SET responded_at = ?2, score = ?3, comment = ?4"
                                  " WHERE id = ?1 AND responded_at IS NULL",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_int(st, 3, score);
    store_bind_text(st, 4, comment);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record survey response");
    return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int store_survey_answer(bd_store *s, int64_t id, const char *dimension, int score, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_SV_ANSWER,
                                  "INSERT INTO survey_answers(survey_id, dimension, score)"
                                  " VALUES (?1, ?2, ?3)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, dimension);
    sqlite3_bind_int(st, 3, score);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record survey answer");
    return 0;
}

int store_surveys_list(bd_store *s, const store_survey_filter *f, store_survey **out, size_t *n,
                       bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(
        s, ST_SV_LIST,
        SURVEY_COLUMNS " WHERE (?1 IS NULL"
                       "  OR (?1 = 'answered' AND v.responded_at IS NOT NULL)"
                       "  OR (?1 = 'pending' AND v.responded_at IS NULL AND v.expires_at > ?3)"
                       "  OR (?1 = 'expired' AND v.responded_at IS NULL AND v.expires_at <= ?3))"
                       " AND (?2 IS NULL OR s.name = ?2)"
                       " ORDER BY v.created_at DESC, v.id DESC LIMIT ?4",
        err);
    if (!st) return -1;
    store_bind_text(st, 1, f ? f->status : NULL);
    store_bind_text(st, 2, f ? f->shop : NULL);
    sqlite3_bind_int64(st, 3, f ? f->now : 0);
    sqlite3_bind_int64(st, 4, f && f->limit ? (int64_t)f->limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        read_survey(st, &(*out)[(*n)++]);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "list surveys");
    return 0;
}

int store_surveys_scan(bd_store *s, int64_t from, int64_t to, store_survey_fn fn, void *ud,
                       bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_SV_SCAN,
                                  SURVEY_COLUMNS " WHERE v.created_at >= ?1 AND v.created_at < ?2"
                                                 " ORDER BY v.created_at, v.id",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_survey v;
        read_survey(st, &v);
        int frc = fn(ud, &v, err);
        store_survey_clear(&v);
        if (frc) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read surveys");
    return 0;
}

int store_buyer_surveys(bd_store *s, int64_t buyer_id, size_t limit, store_survey **out, size_t *n,
                        bd_err *err)
{
    *out = NULL;
    *n = 0;
    /* prepared per call: a buyer's page is read far less often than the cached statements */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           SURVEY_COLUMNS " WHERE v.buyer_id = ?1 AND v.responded_at IS NOT NULL"
                                          " ORDER BY v.responded_at DESC, v.id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "read the buyer's surveys");
    sqlite3_bind_int64(st, 1, buyer_id);
    sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        read_survey(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_surveys_free(*out, *n);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "read the buyer's surveys");
    }
    return 0;
}
