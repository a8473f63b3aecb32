#!/usr/bin/env bash
# eBay connector over loopback: orders (lastmodifieddate windows, limit/offset), buyer
# conversations and messages, feedback (satisfaction data + tickets), incremental runs
# that pick up changes, and the marketplace's own error for a bad request.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/sync_lib.sh"
start_sim main --seed 7 --orders 450 --messages 260 --shopee-shops 0 --span-days 200
write_config "$WORK/bd.json" 's["initial_sync_days"] = 365'
export BORDERDESK_CONFIG="$WORK/bd.json" BORDERDESK_DB="$WORK/a.db"

"$BD" sync --json >"$WORK/s1.json" || fail "first sync failed: $(cat "$WORK/s1.json")"
want=$(sim_get counts)
read -r o m f <<<"$("$PY" -c 'import json,sys; c=json.loads(sys.argv[1])["ebay:seller1"]; print(c["orders"], c["messages"], c["feedback"])' "$want")"
[ "$(count "$WORK/a.db" 'select count(*) from orders')" = "$o" ] || fail "orders: want $o"
[ "$(count "$WORK/a.db" "select count(*) from messages where external_id not like 'feedback%'")" = "$m" ] || fail "messages: want $m"
[ "$(count "$WORK/a.db" 'select count(*) from feedback')" = "$f" ] || fail "feedback: want $f"
# 200 days of orders need several pages; every order line is known, so feedback has its order
[ "$(count "$WORK/a.db" 'select count(*) from feedback where order_id is null')" = 0 ] || fail "feedback without order"
[ "$(count "$WORK/a.db" "select count(*) from tickets where conversation_id like 'feedback:%'")" = \
  "$(count "$WORK/a.db" "select count(*) from feedback where rating != 'positive'")" ] || fail "neutral/negative feedback should open tickets"
[ "$(count "$WORK/a.db" 'select count(*) from order_items')" -ge "$o" ] || fail "order items missing"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["shops"][0]; assert d["ok"] and s["orders"]["pages"] >= 3, d' "$WORK/s1.json"

# a second run changes nothing
"$BD" sync >/dev/null
cp "$WORK/a.db" "$WORK/snap.db"; dump "$WORK/a.db" >"$WORK/d1.txt"
"$BD" sync >/dev/null
dump "$WORK/a.db" >"$WORK/d2.txt"
cmp -s "$WORK/d1.txt" "$WORK/d2.txt" || fail "an unchanged marketplace changed the database"

# changes on the marketplace arrive in the next run
sim_post mutate '{"orders": 25, "messages": 12}' >"$WORK/mut.json"
sleep 1
"$BD" sync --json >"$WORK/s3.json"
"$PY" - "$WORK/s3.json" "$WORK/mut.json" "$WORK/a.db" <<'PY'
import json, sqlite3, sys
s = json.load(open(sys.argv[1]))["shops"][0]
mut = json.load(open(sys.argv[2]))["ebay:seller1"]
assert s["orders"]["updated"] == len(mut["orders"]), (s["orders"], len(mut["orders"]))
assert s["messages"]["messages_new"] == len(mut["messages"]), s["messages"]
db = sqlite3.connect(sys.argv[3])
for mid in mut["messages"]:
    assert db.execute("select count(*) from messages where external_id = ?", (mid,)).fetchone()[0] == 1, mid
PY

# --since re-reads an older window without duplicating anything
"$BD" sync --since 30d --resource orders >/dev/null
[ "$(count "$WORK/a.db" 'select count(*) - count(distinct external_id) from orders')" = 0 ] || fail "duplicates"

# a wrong request gets eBay's error, named with shop, call and reason; exit 1
write_config "$WORK/bad.json" 's["seller_username"] = "somebody_else"'
rc=0; BORDERDESK_CONFIG="$WORK/bad.json" BORDERDESK_DB="$WORK/bad.db" "$BD" sync --resource feedback 2>"$WORK/err.txt" >/dev/null || rc=$?
[ $rc = 1 ] || fail "expected exit 1, got $rc"
grep -q "ebay-seller1.*getFeedback.*errorId 501000" "$WORK/err.txt" || fail "error text: $(cat "$WORK/err.txt")"
# usage errors exit 2; no shops, or an unknown shop, exit 1 with a clear message
rc=0; "$BD" sync --resource bogus 2>/dev/null || rc=$?; [ $rc = 2 ] || fail "bad --resource: exit $rc"
rc=0; "$BD" sync --since yesterday-ish 2>/dev/null || rc=$?; [ $rc = 2 ] || fail "bad --since: exit $rc"
rc=0; "$BD" sync --shop nosuchshop 2>"$WORK/err.txt" || rc=$?; [ $rc = 1 ] || fail "unknown shop: exit $rc"
grep -q 'no shop "nosuchshop"' "$WORK/err.txt" || fail "unknown shop message: $(cat "$WORK/err.txt")"
echo '{}' >"$WORK/empty.json"
rc=0; BORDERDESK_CONFIG="$WORK/empty.json" "$BD" sync 2>"$WORK/err.txt" || rc=$?; [ $rc = 1 ] || fail "no shops: exit $rc"
grep -q "no shops configured" "$WORK/err.txt" || fail "no shops message: $(cat "$WORK/err.txt")"
"$BD" sync --since 2026-01-01 --resource feedback >/dev/null || fail "--since with a date"

# an answer larger than max_response_bytes is refused, with shop and call named
write_config "$WORK/small.json" 's["max_response_bytes"] = 4000; s["initial_sync_days"] = 365'
rc=0; BORDERDESK_CONFIG="$WORK/small.json" BORDERDESK_DB="$WORK/small.db" "$BD" sync --resource orders 2>"$WORK/err.txt" >/dev/null || rc=$?
[ $rc = 1 ] || fail "an oversized answer: expected exit 1"
grep -q "ebay-seller1 getOrders .*: response larger than 4000 bytes" "$WORK/err.txt" || fail "error text: $(cat "$WORK/err.txt")"

# the request log never shows a secret
BORDERDESK_HTTP_LOG=1 BORDERDESK_DB="$WORK/log.db" "$BD" sync --resource feedback 2>"$WORK/log.txt" >/dev/null
grep -q "^http: ebay-seller1 token POST .*/identity/v1/oauth2/token -> 200" "$WORK/log.txt" || fail "no request log: $(head -3 "$WORK/log.txt")"
grep -q "getFeedback GET" "$WORK/log.txt" || fail "no getFeedback in the log"
! grep -q -e "$EBAY_CLIENT_SECRET" -e "ebay-refresh" -e "#user-" "$WORK/log.txt" || fail "a secret reached the log"
echo "sync_ebay: ok"
