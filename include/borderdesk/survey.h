/*
 * survey.h — satisfaction surveys. When a ticket is solved and the shop's configuration asks
 * for it ("surveys" in borderdesk.json, docs/loyalty.md), a survey is created with an
 * unguessable token (192 random bits from getrandom(2)) and an expiry; its invitation is the
 * template templates/<lang>/survey/invitation.mustache in the buyer's language. Kinds: CSAT
 * (1-5), NPS (0-10), CES (1-7), with optional dimension questions (quality, attitude, speed,
 * price; 1-5 each). One response per token; a late or repeated response is refused with the
 * date that decides it.
 *
 * Functions return 0, or -1 with err set; none commits: the caller owns the transaction.
 */
#ifndef BORDERDESK_SURVEY_H
#define BORDERDESK_SURVEY_H

#include <stdint.h>

#include "borderdesk/config.h"
#include "borderdesk/store.h"
#include "borderdesk/ticket.h"
#include "borderdesk/util.h"

#define SURVEY_DIMENSIONS 4
/* "quality", "attitude", "speed", "price" */
extern const char *const survey_dimension_names[SURVEY_DIMENSIONS];

/* A shop's survey settings: the top-level "surveys" object, overridden key by key by the
 * shop's own "surveys" object. */
typedef struct survey_policy {
    int enabled;
    char kind[8];                      /* csat, nps, ces */
    int64_t expires;                   /* seconds from creation */
    int dimensions[SURVEY_DIMENSIONS]; /* 1 when asked */
    char url[512];                     /* the answer page; "{token}" is replaced by the token;
                                          default <public_url>/s/{token} */
    char shop_name[128];               /* how the invitation names the shop: the shop's
                                          display_name, else its name (empty: unknown) */
    char skip[8][32];                  /* ticket subcategories that get no survey (default: spam) */
    int n_skip;
} survey_policy;

int survey_policy_load(const bd_config *c, const char *shop, survey_policy *p, bd_err *err);

/* The address buyers reach borderdesk at: the configuration's "public_url" (http or https,
 * without a trailing slash), default SURVEY_PUBLIC_URL_DEFAULT. -1 with err when the
 * configured value is not such an address. */
#define SURVEY_PUBLIC_URL_DEFAULT "http://127.0.0.1:8080"
int survey_public_url(const bd_config *c, char *out, size_t outlen, bd_err *err);

/* The author of the invitations borderdesk itself sends. Authors in the "borderdesk:"
 * namespace (BD_AUTHOR_AUTOMATIC, model.h) are automatic messages: they never stop a
 * reply clock and never answer a buyer's message (docs/sla.md). */
#define SURVEY_AUTHOR BD_AUTHOR_AUTOMATIC "survey"

/* The score range of a kind: csat 1-5, nps 0-10, ces 1-7. -1 for an unknown kind. */
int survey_score_range(const char *kind, int *lo, int *hi);

/* Writes a new token (32 characters of base64url for 24 random bytes) into out[33]. */
int survey_token(char out[33], bd_err *err);

/* Creates the survey of a ticket that was just solved (t as it was before), when the policy
 * asks for one and the ticket has none yet. *id is 0 when none was created: surveys
 * disabled, a survey exists already, the buyer is blacklisted, or the ticket's subcategory
 * is skipped. The survey's language is the ticket's (else the buyer's; else en). */
int survey_create_for_ticket(bd_store *s, const survey_policy *p, const store_ticket *t, int64_t at,
                             int64_t *id, bd_err *err);

/* A ticket_solved_fn (ticket.h) for ticket_ctx.on_solved; ud is the const bd_config *.
 * Creates the survey (survey_create_for_ticket) and, in the same transaction, renders its
 * invitation in the survey's language and queues it in the outbox as a public message to
 * the buyer on the ticket's conversation, written by SURVEY_AUTHOR (an automatic message).
 * A missing or broken invitation template fails the call, naming the file. */
int survey_on_ticket_solved(void *ud, ticket_ctx *ctx, const store_ticket *t, int64_t at,
                            bd_err *err);

typedef struct survey_response {
    int score;
    const char *comment; /* may be NULL */
    struct {
        const char *name;
        int score;
    } dims[SURVEY_DIMENSIONS];
    int n_dims;
} survey_response;

/* Records the response to the survey with this token (an audit event on its ticket; the
 * buyer's loyalty profile is queued for recompute). Refused: an unknown token, a survey past
 * its expiry or already answered (err says when), a score outside the kind's range, a
 * dimension that was not asked or given twice, a dimension score outside 1-5, a comment
 * that is not valid UTF-8 or longer than 2000 characters. */
int survey_respond(bd_store *s, const char *token, const survey_response *r, int64_t at,
                   bd_err *err);

/* "pending", "answered" or "expired" at now. */
const char *survey_status(const store_survey *v, int64_t now);

/* The template of the invitation in the survey's language (en when the language has none):
 * <templates_dir>/<lang>/survey/invitation.mustache. Caller frees. */
char *survey_invitation_template(const bd_config *c, const char *language);
/* Renders the invitation of survey v under policy p: the text of the template, plain text
 * (no HTML escaping). Returns a new string (caller frees), or NULL with err. */
char *survey_invitation_render(const bd_config *c, const store_survey *v, const survey_policy *p,
                               bd_err *err);
/* The data the invitation template is rendered with: buyer.name, shop.name, survey.url,
 * survey.expires_at (a date written the buyer's way, e.g. "6. Dezember 2026"), survey.kind,
 * ticket.id. Caller frees with cJSON_Delete. */
cJSON *survey_invitation_data(const store_survey *v, const survey_policy *p);
/* A date written in the language's usual long form ("December 6, 2026", "2026年12月6日");
 * ISO 8601 for languages without one. */
void survey_format_date(const char *language, int64_t t, char *out, size_t outlen);

#endif
