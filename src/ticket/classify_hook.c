/* classify_hook.c — the classifier as ticket.h's classify hook: every new buyer message
 * is classified before it is stored; the ticket takes the category of its latest
 * unanswered buyer message and its priority from the urgency. Used by import and sync. */
#include "borderdesk/classify.h"
#include "borderdesk/ticket.h"

#include <stdlib.h>
#include <string.h>

typedef struct ticket_classifier {
    classify_rules *rules;
    classify_scratch *scratch;
    bd_buf json; /* the last result, alive until the next call (the hook's contract) */
} ticket_classifier;

static int classify_hook(void *ud, bd_store *store, const bd_message *m, int64_t ticket_id,
                         ticket_classification *out)
{
    ticket_classifier *tc = ud;
    store_ticket_waiting w = {0}; /* a new ticket (id 0): nothing waits on it yet */
    bd_err err;
    if (ticket_id && store_ticket_waiting_get(store, ticket_id, &w, &err)) return -1;
    classify_input in = {0};
    in.subject = m->subject;
    in.subject_len = m->subject ? strlen(m->subject) : 0;
    in.body = m->body;
    in.body_len = m->body ? strlen(m->body) : 0;
    in.lang_hint = m->buyer.language;
    in.repeated_contact = w.unanswered > 0;
    classify_result res;
    if (classify_message(tc->rules, tc->scratch, &in, &res, &err)) return -1;
    bd_buf_reset(&tc->json);
    classify_result_append_json(&tc->json, &res, NULL, 1);
    out->category = res.category;
    out->subcategory = res.subcategory;
    out->language = classify_langs[classify_lang_index(res.language)]; /* static, unlike res */
    out->priority = classify_urgency_priority(res.urgency);
    out->json = tc->json.data;
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
