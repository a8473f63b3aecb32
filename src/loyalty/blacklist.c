/* blacklist.c — the blacklist is always a person's decision: a manual entry with a reason and
 * who made it, or a suspicion flag raised by the engine and confirmed by a person. A
 * blacklisted buyer's tickets get no tier boost. Every step is an audit event. */
#include "loyalty_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *detail_json(const char *k1, const char *v1, const char *k2, int64_t v2)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, k1, v1);
    if (k2) cJSON_AddNumberToObject(d, k2, (double)v2);
    char *txt = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    char *copy = bd_strdup(txt);
    cJSON_free(txt);
    return copy;
}

static int need_text(const char *what, const char *v, bd_err *err)
{
    if (!v || !*v) return bd_err_set(err, "%s is required", what);
    if (!bd_utf8_valid(v, strlen(v))) return bd_err_set(err, "%s is not valid UTF-8", what);
    return 0;
}

/* Sets the profile's boost to what its tier gives (none while blacklisted) and re-sorts the
 * buyer's active tickets. A buyer without a profile has no boost to change. */
static int refresh_boost(bd_store *s, const loyalty_settings *set, int64_t buyer_id,
                         int blacklisted, const char *by, int64_t at, bd_err *err)
{
    store_buyer_loyalty p;
    int found = store_loyalty_get(s, buyer_id, &p, err);
    if (found <= 0) return found;
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)buyer_id);
    store_buyer_row b;
    int fb = store_buyer_find(s, ref, &b, err);
    if (fb <= 0) return fb < 0 ? -1 : bd_err_set(err, "no buyer %s", ref);
    const loyalty_config *cfg = loyalty_settings_shop(set, b.shop);
    store_buyer_row_clear(&b);
    int boost = blacklisted || !p.tier[0] ? 0 : loyalty_boost(cfg, p.tier);
    if (boost == p.boost) return 0;
    p.boost = boost;
    p.digest = (int64_t)ly_profile_digest(&p);
    if (store_loyalty_put(s, &p, err)) return -1;
    return ly_reprioritize(s, by, at, buyer_id, boost,
                           blacklisted ? "buyer blacklisted" : "buyer removed from blacklist",
                           blacklisted ? "no tier boost" : "tier boost restored", NULL, err);
}

int loyalty_blacklist_add(bd_store *s, const loyalty_settings *set, int64_t buyer_id,
                          const char *reason, const char *by, int64_t at, bd_err *err)
{
    if (need_text("a reason", reason, err) || need_text("who blacklists", by, err)) return -1;
    if (store_blacklist_add(s, buyer_id, reason, by, at, 0, err)) return -1;
    char *d = detail_json("reason", reason, NULL, 0);
    int rc = store_buyer_event_add(s, buyer_id, 0, by, "blacklisted", d, at, err);
    free(d);
    if (rc) return -1;
    return refresh_boost(s, set, buyer_id, 1, by, at, err);
}

int loyalty_blacklist_remove(bd_store *s, const loyalty_settings *set, int64_t buyer_id,
                             const char *reason, const char *by, int64_t at, bd_err *err)
{
    if (need_text("a reason", reason, err) || need_text("who removes", by, err)) return -1;
    int rc = store_blacklist_remove(s, buyer_id, err);
    if (rc < 0) return -1;
    if (rc == 0) return bd_err_set(err, "buyer %lld is not blacklisted", (long long)buyer_id);
    char *d = detail_json("reason", reason, NULL, 0);
    rc = store_buyer_event_add(s, buyer_id, 0, by, "unblacklisted", d, at, err);
    free(d);
    if (rc) return -1;
    return refresh_boost(s, set, buyer_id, 0, by, at, err);
}

static int open_flag(bd_store *s, int64_t flag_id, store_buyer_flag *f, bd_err *err)
{
    int found = store_flag_get(s, flag_id, f, err);
    if (found < 0) return -1;
    if (!found) return bd_err_set(err, "no flag %lld", (long long)flag_id);
    if (strcmp(f->status, "open") != 0) {
        bd_err_set(err, "flag %lld was already %s by %s", (long long)flag_id, f->status,
                   f->decided_by ? f->decided_by : "?");
        store_buyer_flag_clear(f);
        return -1;
    }
    return 0;
}

static int decide(bd_store *s, const store_buyer_flag *f, const char *status, const char *kind,
                  const char *reason, const char *by, int64_t at, bd_err *err)
{
    int rc = store_flag_decide(s, f->id, status, by, reason, at, err);
    if (rc < 0) return -1;
    if (rc == 0) return bd_err_set(err, "flag %lld is no longer open", (long long)f->id);
    char *d = detail_json("reason", reason, "flag", f->id);
    rc = store_buyer_event_add(s, f->buyer_id, 0, by, kind, d, at, err);
    free(d);
    return rc;
}

int loyalty_flag_confirm(bd_store *s, const loyalty_settings *set, int64_t flag_id,
                         const char *reason, const char *by, int64_t at, bd_err *err)
{
    if (need_text("a reason", reason, err) || need_text("who confirms", by, err)) return -1;
    store_buyer_flag f;
    if (open_flag(s, flag_id, &f, err)) return -1;
    int rc = decide(s, &f, "confirmed", "flag_confirmed", reason, by, at, err);
    if (!rc) {
        int listed = store_blacklist_get(s, f.buyer_id, NULL, err);
        if (listed < 0)
            rc = -1;
        else if (!listed) {
            char *why =
                bd_asprintf("%s (flag %lld, %s: %s)", reason, (long long)f.id, f.kind, f.evidence);
            rc = store_blacklist_add(s, f.buyer_id, why, by, at, f.id, err);
            if (!rc) {
                char *d = detail_json("reason", why, "flag", f.id);
                rc = store_buyer_event_add(s, f.buyer_id, 0, by, "blacklisted", d, at, err);
                free(d);
            }
            free(why);
            if (!rc) rc = refresh_boost(s, set, f.buyer_id, 1, by, at, err);
        }
    }
    store_buyer_flag_clear(&f);
    return rc;
}

int loyalty_flag_dismiss(bd_store *s, int64_t flag_id, const char *reason, const char *by,
                         int64_t at, bd_err *err)
{
    if (need_text("a reason", reason, err) || need_text("who dismisses", by, err)) return -1;
    store_buyer_flag f;
    if (open_flag(s, flag_id, &f, err)) return -1;
    int rc = decide(s, &f, "dismissed", "flag_dismissed", reason, by, at, err);
    store_buyer_flag_clear(&f);
    return rc;
}
