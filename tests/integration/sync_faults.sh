#!/usr/bin/env bash
# Every injected fault, one at a time and all together, against both connectors: the
# sync must end with exactly the data of a clean sync (no gaps, no duplicates). Faults
# that never stop make the shop fail with an error naming shop, call and reason, and
# leave nothing half-written: the next run completes the data.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/sync_lib.sh"
start_sim main --seed 5 --orders 260 --messages 180 --span-days 60 --slow-ms 1500
write_config "$WORK/bd.json" 's["timeout_ms"] = 600; s["max_retries"] = 6'
export BORDERDESK_CONFIG="$WORK/bd.json"

BORDERDESK_DB="$WORK/ref.db" "$BD" sync >/dev/null || fail "clean sync failed"

run_fault() { # name faults-json
    local name=$1 faults=$2
    set_faults "$faults"
    sim_post reset_stats '{}' >/dev/null
    local rc=0
    BORDERDESK_DB="$WORK/$name.db" "$BD" sync --json >"$WORK/$name.json" 2>"$WORK/$name.err" || rc=$?
    [ $rc = 0 ] || fail "$name: sync exit $rc: $(cat "$WORK/$name.err")"
    same_db "$WORK/ref.db" "$WORK/$name.db" || fail "$name: data differs from a clean sync"
    # the fault really happened
    sim_get faults | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["counts"]; assert all(v > 0 for v in c.values()), c' \
        || fail "$name: fault was never injected"
    echo "fault $name: ok"
}
run_fault throttled '["429:0.5:5"]'
run_fault server_error '["500:0.1"]'
run_fault unavailable '["503:0.1"]'
run_fault slow '["slow:0.3:4"]'
run_fault expired_token '["expire:0.05:6"]'
run_fault truncated '["truncate:0.1"]'
run_fault malformed '["malformed:0.1"]'
run_fault duplicate_pages '["duplicate:0.25"]'
run_fault reordered_pages '["reorder:0.6"]'
# a stale conversation list between fetches of single conversations: the repeat must be
# noticed against the list's previous page, not the last conversation's
run_fault stale_conversation_list '["duplicate:0.5@/commerce/message/v1/conversation$"]'
run_fault everything '["500:0.04", "503:0.04", "truncate:0.04", "malformed:0.04", "duplicate:0.1", "reorder:0.3", "expire:0.02:3", "429:0.1:2"]'

# A fault that does not go away: the shop fails, the other shop still syncs, and the
# error names shop, call and reason. Nothing of the failing page is stored.
set_faults '["500:1.0@get_order_detail"]'
rc=0; BORDERDESK_DB="$WORK/p.db" "$BD" sync 2>"$WORK/p.err" >/dev/null || rc=$?
[ $rc = 1 ] || fail "persistent 500: expected exit 1, got $rc"
grep -q "shop shopee-2001 failed: .*get_order_detail.*HTTP 500" "$WORK/p.err" || fail "error text: $(cat "$WORK/p.err")"
[ "$(count "$WORK/p.db" "select count(*) from orders o join shops s on s.id = o.shop_id where s.name = 'shopee-2001'")" = 0 ] \
    || fail "orders of a page whose details failed were stored"
[ "$(count "$WORK/p.db" "select count(*) from orders o join shops s on s.id = o.shop_id where s.name = 'ebay-seller1'")" -gt 0 ] \
    || fail "the other shop should still sync"
set_faults '["malformed:1.0@/sell/fulfillment"]'
rc=0; BORDERDESK_DB="$WORK/p.db" "$BD" sync --shop ebay-seller1 2>"$WORK/m.err" >/dev/null || rc=$?
[ $rc = 1 ] || fail "persistent malformed JSON: expected exit 1"
grep -q "ebay-seller1: getOrders http://127.0.0.1:$PORT/sell/fulfillment/v1/order?.*malformed" "$WORK/m.err" \
    || fail "error text: $(cat "$WORK/m.err")"
# an order without its buyer, a message without its id, a body that is not UTF-8: errors
# naming shop, call and reason, and the page is not stored
set_faults '["badfield:1.0@/sell/fulfillment"]'
rc=0; BORDERDESK_DB="$WORK/q.db" "$BD" sync --shop ebay-seller1 --resource orders 2>"$WORK/q.err" >/dev/null || rc=$?
[ $rc = 1 ] || fail "an order without a required field: expected exit 1"
grep -q "ebay-seller1: getOrders http://127.0.0.1:$PORT/sell/fulfillment/v1/order?.*: \(an order without \"orderId\"\|order .*: no buyer.username\)" "$WORK/q.err" \
    || fail "error text: $(cat "$WORK/q.err")"
[ "$(count "$WORK/q.db" 'select count(*) from orders')" = 0 ] || fail "a page with a bad order was partly stored"
set_faults '["badfield:1.0@get_message"]'
rc=0; BORDERDESK_DB="$WORK/q.db" "$BD" sync --shop shopee-2001 --resource messages 2>"$WORK/q.err" >/dev/null || rc=$?
[ $rc = 1 ] || fail "a message without its id: expected exit 1"
grep -q "shopee-2001: get_message: conversation [0-9]*: a message without message_id" "$WORK/q.err" || fail "error text: $(cat "$WORK/q.err")"
[ "$(count "$WORK/q.db" 'select count(*) from messages')" = 0 ] || fail "a conversation with a bad message was partly stored"
set_faults '["badutf8:1.0@get_order_detail"]'
rc=0; BORDERDESK_DB="$WORK/q.db" "$BD" sync --shop shopee-2001 --resource orders 2>"$WORK/q.err" >/dev/null || rc=$?
[ $rc = 1 ] || fail "invalid UTF-8: expected exit 1"
grep -q "shopee-2001: get_order_detail http://127.0.0.1:$PORT/api/v2/order/get_order_detail?.*malformed body (invalid UTF-8)" "$WORK/q.err" \
    || fail "error text: $(cat "$WORK/q.err")"
[ "$(count "$WORK/q.db" 'select count(*) from orders')" = 0 ] || fail "orders stored from a page that was not UTF-8"

set_faults '[]'
BORDERDESK_DB="$WORK/p.db" "$BD" sync >/dev/null || fail "recovery sync failed"
same_db "$WORK/ref.db" "$WORK/p.db" || fail "after recovering, data differs from a clean sync"
echo "sync_faults: ok"
