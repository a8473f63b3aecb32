#!/usr/bin/env bash
# Rate limits: the simulator enforces a token bucket per shop and call; with the same
# limit configured, the client must provoke no 429 at all while using at least 90% of
# the allowed rate over the run. Without the client-side limit the same run is throttled
# (which shows that the simulator's limit is real).
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/sync_lib.sh"
RATE=20
BURST=2
start_sim main --seed 9 --orders 10 --messages 420 --span-days 30 \
    --rate-limit getConversation=$RATE:$BURST --rate-limit get_message=$RATE:$BURST \
    --rate-limit getConversations=50:5 --rate-limit get_conversation_list=50:5
write_config "$WORK/bd.json" "s['rate_limits'] = {op: {'rate': $RATE, 'burst': $BURST} for op in ('getConversation', 'get_message')}
s['rate_limits'].update({op: {'rate': 50, 'burst': 5} for op in ('getConversations', 'get_conversation_list')})"
export BORDERDESK_CONFIG="$WORK/bd.json"

BORDERDESK_DB="$WORK/a.db" "$BD" sync --resource messages --json >"$WORK/s.json" || fail "sync failed"
curl -sS "$URL/_sim/stats?times=1" >"$WORK/stats.json"
"$PY" - "$WORK/stats.json" "$WORK/s.json" $RATE $BURST <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))
rate, burst = float(sys.argv[3]), int(sys.argv[4])
for s in run["shops"]:
    assert s["throttled"] == 0, ("the client saw 429s", s["shop"], s["throttled"])
thrott = {k: v["throttled"] for k, v in stats.items() if v["throttled"]}
assert not thrott, ("the simulator throttled", thrott)
for key in ("ebay:seller1:getConversation", "shopee:2001:get_message"):
    t = stats[key]["times"]
    n = len(t)
    assert n >= 100, (key, n)
    # the first `burst` requests may go at once; the rest at the rate
    achieved = (n - burst) / (t[-1] - t[0])
    print("%s: %d requests, achieved %.2f req/s of %.0f configured (%.0f%%)" % (key, n, achieved, rate, 100 * achieved / rate))
    assert achieved <= rate * 1.02, (key, achieved)
    assert achieved >= rate * 0.9, (key, achieved)
PY

# the same run without the client's limit provokes 429s (a larger burst keeps it short)
write_config "$WORK/nolimit.json"
sim_post rate_limits '{"limits": ["getConversation=20:20"]}' >/dev/null
sim_post reset_stats '{}' >/dev/null
BORDERDESK_CONFIG="$WORK/nolimit.json" BORDERDESK_DB="$WORK/b.db" "$BD" sync --shop ebay-seller1 --resource messages >/dev/null \
    || fail "sync without limits failed"
sim_get stats | "$PY" -c 'import json,sys; s=json.load(sys.stdin); assert s["ebay:seller1:getConversation"]["throttled"] > 0, s' \
    || fail "without the client limit the simulator should have throttled"
echo "sync_ratelimit: ok"
