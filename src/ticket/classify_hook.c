/* classify_hook.c — the classifier as ticket.h's classify hook: every new buyer message
 * is classified before it is stored; the ticket takes the category of its latest
 * unanswered buyer message and its priority from the urgency. Used by import and sync.
 * Import classifies ahead on its classifier threads (ticket_classify_ahead); the hook then takes
 * that result, and when the ticket has unanswered messages (the one input a reader cannot
 * know) sets repeated_contact on it instead of classifying again (mark_repeated). */
#include "borderdesk/classify.h"
#include "borderdesk/ticket.h"

#include <stdlib.h>
#include <string.h>

typedef struct ticket_classifier {
    classify_rules *rules;
    classify_scratch *scratch;
    bd_buf json; /* the last result, alive until the next call (the hook's contract) */
    const ticket_ahead *ahead; /* made ahead for the next message (ticket_classifier_use) */
} ticket_classifier;

struct ticket_ahead {
    const bd_message *m; /* the message it was made for */
    int ok;
    classify_result res;
    bd_buf json;
};

struct ticket_ahead_worker {
    const classify_rules *rules;
    classify_scratch *scratch;
    /* for batches (ticket_classify_ahead_many) */
    classify_input *in;
    classify_result *res;
    bd_err *errs;
    int *rcs;
    size_t cap;
};

static classify_input input_of(const bd_message *m, int repeated)
{
    classify_input in = {0};
    in.subject = m->subject;
    in.subject_len = m->subject ? strlen(m->subject) : 0;
    in.body = m->body;
    in.body_len = m->body ? strlen(m->body) : 0;
    in.lang_hint = m->buyer.language;
    in.repeated_contact = repeated;
    return in;
}

/* Classifies m (as the hook does) into res and its stored JSON form into json. */
static int classify(const classify_rules *rules, classify_scratch *scratch, const bd_message *m,
                    int repeated, classify_result *res, bd_buf *json)
{
    classify_input in = input_of(m, repeated);
    bd_err err;
    if (classify_message(rules, scratch, &in, res, &err)) return -1;
    bd_buf_reset(json);
    classify_result_append_json(json, res, NULL, 1);
    return 0;
}

/* repeated_contact set on a result made without it, exactly as classify_message makes it
 * with the flag (the test "repeated contact ahead" in test_ticket.c pins this against the
 * classifier on the whole tune corpus). The flag changes nothing but itself and the
 * urgency, which classify.c derives from the winning subcategory, the flags and the
 * strongest rule urgency r: max(base(subcategory, flags), r), spam always low. Adding the
 * flag only raises the base, so the new urgency is max(base with the flag, old urgency):
 * r is either below the old base (then the raised base wins) or is the old urgency. */
static void mark_repeated(classify_result *res)
{
    static const char *const names[] = {"low", "normal", "high", "urgent"};
    res->flags |= CLASSIFY_FLAG_REPEATED;
    const char *sub = res->subcategory;
    if (strcmp(sub, "spam") == 0) return; /* "low" whatever else */
    int u = 1;
    if (strcmp(sub, "chargeback") == 0)
        u = 3;
    else if (strcmp(res->category, "dispute") == 0 && strcmp(sub, "return") != 0)
        u = 2;
    else if (bd_str_in(sub, (const char *const[]){"not_received", "customs_hold", "order_change",
                                                  "negative", NULL}))
        u = 2;
    else if (strcmp(sub, "greeting") == 0 || strcmp(sub, "positive") == 0)
        u = 0;
    if (res->flags & CLASSIFY_FLAG_DISPUTE) u = 3;
    if (res->flags & CLASSIFY_FLAG_NEGATIVE_FEEDBACK) u = 3; /* with repeated contact */
    if ((res->flags & CLASSIFY_FLAG_ANGRY) && u < 2) u = 2;
    if (u < 3) u++;
    int old = classify_urgency_priority(res->urgency);
    res->urgency = names[u > old ? u : old];
}

static int classify_hook(void *ud, bd_store *store, const bd_message *m, int64_t ticket_id,
                         ticket_classification *out)
{
    ticket_classifier *tc = ud;
    const ticket_ahead *a = tc->ahead;
    tc->ahead = NULL;
    store_ticket_waiting w = {0}; /* a new ticket (id 0): nothing waits on it yet */
    bd_err err;
    if (ticket_id && store_ticket_waiting_get(store, ticket_id, &w, &err)) return -1;
    int repeated = w.unanswered > 0;
    classify_result own;
    const classify_result *res = &own;
    const char *json;
    if (a && a->m == m && !repeated) { /* made ahead with repeated_contact 0: the same */
        if (!a->ok) return -1;
        res = &a->res;
        json = a->json.data;
    } else if (a && a->m == m) { /* made ahead: only the flag and the urgency move */
        if (!a->ok) return -1;
        own = a->res;
        mark_repeated(&own);
        bd_buf_reset(&tc->json);
        classify_result_append_json(&tc->json, &own, NULL, 1);
        json = tc->json.data;
    } else {
        if (classify(tc->rules, tc->scratch, m, repeated, &own, &tc->json)) return -1;
        json = tc->json.data;
    }
    out->category = res->category;
    out->subcategory = res->subcategory;
    out->language = classify_langs[classify_lang_index(res->language)]; /* static, unlike res */
    out->priority = classify_urgency_priority(res->urgency);
    out->json = json;
    /* an older message arriving late does not take the ticket's current request away */
    out->message_only = m->sent_at < w.last_unanswered_at || m->sent_at <= w.last_reply_at;
    return 0;
}

int ticket_classifier_open(ticket_ctx *ctx, const char *locales_dir, bd_err *err)
{
    ticket_classifier *tc = bd_calloc(1, sizeof *tc);
    if (classify_rules_load(locales_dir, 0, &tc->rules, err)) {
        free(tc);
        return -1;
    }
    tc->scratch = classify_scratch_new(tc->rules);
    ctx->classify = classify_hook;
    ctx->classify_ud = tc;
    return 0;
}

void ticket_classifier_close(ticket_ctx *ctx)
{
    if (ctx->classify != classify_hook) return;
    ticket_classifier *tc = ctx->classify_ud;
    classify_scratch_free(tc->scratch);
    classify_rules_free(tc->rules);
    bd_buf_free(&tc->json);
    free(tc);
    ctx->classify = NULL;
    ctx->classify_ud = NULL;
}

ticket_ahead_worker *ticket_ahead_worker_new(const ticket_ctx *ctx)
{
    if (ctx->classify != classify_hook) return NULL;
    const ticket_classifier *tc = ctx->classify_ud;
    ticket_ahead_worker *w = bd_calloc(1, sizeof *w);
    w->rules = tc->rules;
    w->scratch = classify_scratch_new(tc->rules);
    return w;
}

void ticket_ahead_worker_free(ticket_ahead_worker *w)
{
    if (!w) return;
    classify_scratch_free(w->scratch);
    free(w->in);
    free(w->res);
    free(w->errs);
    free(w->rcs);
    free(w);
}

ticket_ahead *ticket_ahead_new(void)
{
    return bd_calloc(1, sizeof(ticket_ahead));
}

void ticket_ahead_free(ticket_ahead *a)
{
    if (!a) return;
    bd_buf_free(&a->json);
    free(a);
}

void ticket_classify_ahead_many(ticket_ahead_worker *w, const bd_message *const *ms,
                                ticket_ahead *const *as, size_t n)
{
    if (n > w->cap) {
        w->cap = n;
        w->in = bd_realloc(w->in, n * sizeof *w->in);
        w->res = bd_realloc(w->res, n * sizeof *w->res);
        w->errs = bd_realloc(w->errs, n * sizeof *w->errs);
        w->rcs = bd_realloc(w->rcs, n * sizeof *w->rcs);
    }
    for (size_t i = 0; i < n; i++)
        w->in[i] = input_of(ms[i], 0);
    classify_messages(w->rules, w->scratch, w->in, w->res, n, w->errs, w->rcs);
    for (size_t i = 0; i < n; i++) {
        ticket_ahead *a = as[i];
        a->m = ms[i];
        a->ok = w->rcs[i] == 0;
        a->res = w->res[i];
        bd_buf_reset(&a->json);
        if (a->ok) classify_result_append_json(&a->json, &a->res, NULL, 1);
    }
}

void ticket_classify_ahead(ticket_ahead_worker *w, const bd_message *m, ticket_ahead *a)
{
    ticket_classify_ahead_many(w, &m, &a, 1);
}

void ticket_classifier_use(ticket_ctx *ctx, const ticket_ahead *a)
{
    if (ctx->classify == classify_hook) ((ticket_classifier *)ctx->classify_ud)->ahead = a;
}
