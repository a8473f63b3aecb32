/* scheduler.c — the background scheduler inside serve: a task table, one thread that runs
 * due tasks one at a time with its own database connection, and borderdesk's own
 * housekeeping tasks. */
#include "server_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct srv_task {
    char name[65];
    int64_t interval;
    srv_task_fn fn;
    void *ud;
    int64_t last_run, next_run, runs, failures;
    double last_ms;
    int64_t started; /* when the current or last run started */
    int last_ok, running;
    char *last_result;
} srv_task;

#define SRV_NEVER INT64_MAX

struct srv_scheduler {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t thread;
    int started, stop;
    char *db_path;
    srv_task *tasks;
    size_t n, cap;
};

srv_scheduler *srv_scheduler_new(const char *db_path)
{
    srv_scheduler *s = bd_calloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    s->db_path = bd_strdup(db_path);
    return s;
}

static int name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64) return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._:-", *p))) return 0;
    return 1;
}

int srv_scheduler_add(srv_scheduler *s, const char *name, int64_t interval, srv_task_fn fn,
                      void *ud, bd_err *err)
{
    if (!name_valid(name))
        return bd_err_set(err, "task name \"%s\" is not [a-z0-9._:-]{1,64}", name ? name : "");
    if (interval < 0 || !fn)
        return bd_err_set(err, "task %s: needs an interval >= 0 s and a function", name);
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->tasks[i].name, name) == 0) {
            pthread_mutex_unlock(&s->mu);
            return bd_err_set(err, "task %s is already scheduled", name);
        }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->tasks = bd_realloc(s->tasks, s->cap * sizeof *s->tasks);
    }
    srv_task *t = &s->tasks[s->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->interval = interval;
    t->fn = fn;
    t->ud = ud;
    t->next_run = interval ? bd_now() : SRV_NEVER; /* an on-demand task waits for run_now */
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Runs one task outside the lock and records the outcome. Caller holds mu. */
static void run_task(srv_scheduler *s, size_t i, bd_store **store)
{
    srv_task *t = &s->tasks[i];
    t->running = 1;
    t->started = bd_now();
    t->next_run = SRV_NEVER - 1; /* not due again unless run_now asks while it runs */
    srv_task_fn fn = t->fn;
    void *ud = t->ud;
    pthread_mutex_unlock(&s->mu);

    char *summary = NULL;
    bd_err err = {{0}};
    double t0 = mono_ms();
    int rc = -1;
    if (!*store && store_open(s->db_path, 0, store, &err)) *store = NULL;
    if (*store) rc = fn(ud, *store, &summary, &err);
    double ms = mono_ms() - t0;

    pthread_mutex_lock(&s->mu);
    t = &s->tasks[i]; /* the table may have grown meanwhile */
    t->running = 0;
    t->runs++;
    t->last_ok = rc == 0;
    if (rc) t->failures++;
    t->last_ms = ms;
    t->last_run = bd_now();
    /* unless run_now asked for another run meanwhile, the next is an interval away */
    if (t->next_run == SRV_NEVER - 1)
        t->next_run = t->interval ? t->last_run + t->interval : SRV_NEVER;
    free(t->last_result);
    t->last_result = rc == 0 ? (summary ? summary : bd_strdup("ok")) : bd_strdup(err.msg);
    if (rc) free(summary);
}

static void *scheduler_main(void *arg)
{
    srv_scheduler *s = arg;
    bd_store *store = NULL;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        int64_t now = bd_now(), soonest = now + 3600;
        size_t due = s->n;
        for (size_t i = 0; i < s->n; i++) {
            if (s->tasks[i].next_run <= now && due == s->n) due = i;
            if (s->tasks[i].next_run < soonest) soonest = s->tasks[i].next_run;
        }
        if (due < s->n) {
            run_task(s, due, &store);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += soonest - now;
        pthread_cond_timedwait(&s->wake, &s->mu, &until);
    }
    pthread_mutex_unlock(&s->mu);
    store_close(store);
    return NULL;
}

int srv_scheduler_start(srv_scheduler *s, bd_err *err)
{
    if (s->started) return 0;
    int rc = pthread_create(&s->thread, NULL, scheduler_main, s);
    if (rc) return bd_err_set(err, "cannot start the scheduler: %s", strerror(rc));
    s->started = 1;
    return 0;
}

void srv_scheduler_stop(srv_scheduler *s)
{
    if (!s || !s->started) return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    s->started = 0;
}

void srv_scheduler_free(srv_scheduler *s)
{
    if (!s) return;
    srv_scheduler_stop(s);
    for (size_t i = 0; i < s->n; i++)
        free(s->tasks[i].last_result);
    free(s->tasks);
    free(s->db_path);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int64_t srv_scheduler_next_run(srv_scheduler *s, const char *name)
{
    int64_t at = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->tasks[i].name, name) == 0 && s->tasks[i].next_run < SRV_NEVER - 1)
            at = s->tasks[i].next_run;
    pthread_mutex_unlock(&s->mu);
    return at;
}

int srv_scheduler_run_now(srv_scheduler *s, const char *name)
{
    int found = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->tasks[i].name, name) == 0) {
            s->tasks[i].next_run = bd_now();
            found = 1;
        }
    if (found) pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    return found;
}

cJSON *srv_scheduler_json(srv_scheduler *s)
{
    cJSON *arr = cJSON_CreateArray();
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++) {
        const srv_task *t = &s->tasks[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", t->name);
        cJSON_AddNumberToObject(j, "interval_seconds", (double)t->interval);
        json_add_time(j, "last_run_at", t->last_run);
        json_add_str(j, "last_result", t->last_result);
        if (t->runs)
            cJSON_AddBoolToObject(j, "last_ok", t->last_ok);
        else
            cJSON_AddNullToObject(j, "last_ok");
        if (t->runs)
            cJSON_AddNumberToObject(j, "last_duration_ms",
                                    (double)(int64_t)(t->last_ms * 1000) / 1000.0);
        else
            cJSON_AddNullToObject(j, "last_duration_ms");
        json_add_time(j, "next_run_at", t->next_run >= SRV_NEVER - 1 ? 0 : t->next_run);
        cJSON_AddNumberToObject(j, "runs", (double)t->runs);
        cJSON_AddNumberToObject(j, "failures", (double)t->failures);
        cJSON_AddBoolToObject(j, "running", t->running);
        cJSON_AddItemToArray(arr, j);
    }
    pthread_mutex_unlock(&s->mu);
    return arr;
}

/* ---- housekeeping ---- */

static int task_wal_checkpoint(void *ud, bd_store *store, char **summary, bd_err *err)
{
    (void)ud;
    int frames, done;
    if (store_checkpoint_wal(store, &frames, &done, err)) return -1;
    *summary = bd_asprintf("%d of %d WAL frames checkpointed", done, frames);
    return 0;
}

static int task_sessions_expire(void *ud, bd_store *store, char **summary, bd_err *err)
{
    (void)ud;
    int64_t n = 0;
    if (store_begin(store, err)) return -1;
    if (store_sessions_expire(store, bd_now(), &n, err) || store_commit(store, err)) {
        store_rollback(store);
        return -1;
    }
    if (store_optimize(store, err)) return -1;
    *summary = bd_asprintf("%lld expired session%s removed", (long long)n, n == 1 ? "" : "s");
    return 0;
}

int srv_housekeeping_register(srv_scheduler *s, bd_err *err)
{
    if (srv_scheduler_add(s, "wal-checkpoint", 60, task_wal_checkpoint, NULL, err)) return -1;
    return srv_scheduler_add(s, "sessions-expire", 600, task_sessions_expire, NULL, err);
}
