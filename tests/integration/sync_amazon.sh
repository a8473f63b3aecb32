#!/usr/bin/env bash
# Amazon connector over loopback: Login with Amazon tokens (refreshed before expiry and
# after the API calls one expired), getOrders v0 windows with NextToken paging and
# getOrderItems with its own NextToken, the 2026-01-01 searchOrders shape (paginationToken)
# giving the same data, the static sandbox examples of ordersV0.json, Amazon's error body,
# and a 429 that is retried.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/sync_lib.sh"
# the data ends 5 minutes ago: getOrders windows end 2 minutes before now
start_sim main --seed 5 --orders 150 --ebay-sellers 0 --shopee-shops 0 --amazon-shops 1 --corpus none \
    --amazon-items-page 2 --span-days 3 --base-time $(($(date +%s) - 300))
write_config "$WORK/bd.json" 's["initial_sync_days"] = 365; s["page_size"] = 25'
export BORDERDESK_CONFIG="$WORK/bd.json" BORDERDESK_DB="$WORK/a.db"
stat_of() { # stat_of OP [STATUS]: requests (with that status) the simulator saw
    sim_get stats | "$PY" -c 'import json,sys; s=json.load(sys.stdin).get("amazon:es:"+sys.argv[1], {}); print(s.get("status", {}).get(sys.argv[2], 0) if len(sys.argv) > 2 else s.get("requests", 0))' "$@"
}

"$BD" sync --shop amazon-es --resource orders --json >"$WORK/s1.json" || fail "first sync failed: $(cat "$WORK/s1.json")"
o=$(sim_get counts | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["amazon:es"]["orders"])')
[ "$o" -gt 120 ] || fail "the simulator should have orders"
[ "$(count "$WORK/a.db" 'select count(*) from orders')" = "$o" ] || fail "orders: want $o"
# NextToken paging: 40 orders a page
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["shops"][0]; assert d["ok"] and s["orders"]["pages"] >= 5, s' "$WORK/s1.json"
# every order has its items; orders of three items needed a second getOrderItems page
[ "$(count "$WORK/a.db" 'select count(*) from orders o where not exists (select 1 from order_items i where i.order_id = o.id)')" = 0 ] || fail "orders without items"
[ "$(count "$WORK/a.db" 'select count(*) from (select order_id from order_items group by 1 having count(*) = 3)')" -gt 0 ] || fail "no order with three items (items NextToken)"
[ "$(stat_of getOrderItems)" -gt "$o" ] || fail "items NextToken pages were not requested"
# statuses normalised, raw words kept; buyers are relay addresses or ids from the order
[ "$(count "$WORK/a.db" "select count(*) from orders where status not in ('unpaid','paid','in_progress','shipped','cancelled')")" = 0 ] || fail "unnormalised status"
[ "$(count "$WORK/a.db" "select count(*) from orders where status = 'in_progress' and extra like '%PartiallyShipped%'")" -gt 0 ] || fail "PartiallyShipped"
[ "$(count "$WORK/a.db" "select count(*) from orders where status = 'unpaid' and total = '0.00' and currency = 'EUR'")" -gt 0 ] || fail "Pending orders without a total"
[ "$(count "$WORK/a.db" "select count(*) from buyers where external_id like '%@marketplace.amazon.es' and name is not null")" -gt 0 ] || fail "BuyerInfo buyers"
[ "$(count "$WORK/a.db" "select count(*) from buyers where external_id like 'amazon-order:%'")" -gt 0 ] || fail "buyers without PII"
[ "$(stat_of token)" = 1 ] || fail "one token request expected, got $(stat_of token)"

# a second run changes nothing
dump "$WORK/a.db" >"$WORK/d1.txt"
"$BD" sync >/dev/null
dump "$WORK/a.db" >"$WORK/d2.txt"
cmp -s "$WORK/d1.txt" "$WORK/d2.txt" || fail "an unchanged marketplace changed the database"

# an access token close to its expiry is renewed before it is used
"$PY" -c 'import sqlite3,sys,time; db=sqlite3.connect(sys.argv[1]); db.execute("update shop_tokens set access_expires = ?", (int(time.time()) + 60,)); db.commit()' "$WORK/a.db"
"$BD" sync >/dev/null || fail "sync with an expiring token"
[ "$(stat_of token)" = 2 ] || fail "the token was not renewed before expiry"
[ "$(stat_of getOrders 403)" = 0 ] || fail "a request went out with an expired token"
# an access token the marketplace calls expired is refreshed once and the call repeated
sim_post expire_tokens '{}' >/dev/null
"$BD" sync >/dev/null || fail "sync after the token expired"
[ "$(stat_of token)" = 3 ] || fail "the expired token was not refreshed"
[ "$(stat_of getOrders 403)" = 1 ] || fail "expected one 403 for the expired token"

# 429 (QuotaExceeded, Retry-After) is retried; nothing is lost
set_faults '["429:1:2@/orders/v0/orders"]'
"$BD" sync --since 400d --json >"$WORK/s4.json" || fail "sync with 429s failed"
set_faults '[]'
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["shops"][0]; assert s["throttled"] == 2 and s["retries"] >= 2 and s["orders"]["inserted"] == 0, s' "$WORK/s4.json"
dump "$WORK/a.db" >"$WORK/d4.txt"
cmp -s "$WORK/d1.txt" "$WORK/d4.txt" || fail "re-reading with 429s changed the database"

# every injected fault, alone and all together, gives the data of a clean sync (v0:
# getOrders and getOrderItems; duplicate = the previous page again with the same NextToken)
write_config "$WORK/f.json" 's["initial_sync_days"] = 365; s["page_size"] = 25; s["timeout_ms"] = 600; s["max_retries"] = 6'
for spec in '["500:0.1"]' '["503:0.1"]' '["expire:0.05:4"]' '["truncate:0.1"]' '["malformed:0.1"]' \
            '["duplicate:0.3"]' '["reorder:0.6"]' '["after500:0.05"]' \
            '["500:0.03", "503:0.03", "truncate:0.03", "malformed:0.03", "duplicate:0.2", "reorder:0.3", "expire:0.02:2", "429:0.05:2"]'; do
    set_faults "$spec"
    rm -f "$WORK/f.db"
    BORDERDESK_CONFIG="$WORK/f.json" BORDERDESK_DB="$WORK/f.db" "$BD" sync >/dev/null 2>"$WORK/f.err" || fail "fault $spec: $(cat "$WORK/f.err")"
    same_db "$WORK/a.db" "$WORK/f.db" || fail "fault $spec: data differs from a clean sync"
    sim_get faults | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["counts"]; assert all(v > 0 for v in c.values()), c' \
        || fail "fault $spec was never injected"
done
set_faults '["badfield:1.0@/orders/v0/orders"]'
rc=0; BORDERDESK_CONFIG="$WORK/f.json" BORDERDESK_DB="$WORK/q.db" "$BD" sync 2>"$WORK/q.err" >/dev/null || rc=$?
[ $rc = 1 ] || fail "an order without its id: expected exit 1"
grep -q "amazon-es: getOrders http://127.0.0.1:$PORT/orders/v0/orders?.*: an order without \"AmazonOrderId\"" "$WORK/q.err" || fail "error text: $(cat "$WORK/q.err")"
[ "$(count "$WORK/q.db" 'select count(*) from orders')" = 0 ] || fail "a page with a bad order was partly stored"
set_faults '[]'

# the 2026-01-01 shape (searchOrders, paginationToken, items inline) gives the same data
write_config "$WORK/new.json" 's["initial_sync_days"] = 365; s["page_size"] = 25; s["orders_api"] = "2026-01-01"'
BORDERDESK_CONFIG="$WORK/new.json" BORDERDESK_DB="$WORK/new.db" "$BD" sync --json >"$WORK/s5.json" || fail "2026-01-01 sync failed: $(cat "$WORK/s5.json")"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["shops"][0]; assert s["orders"]["pages"] >= 5 and s["orders"]["requests"] == s["orders"]["pages"], s' "$WORK/s5.json"
[ "$(stat_of searchOrders)" -ge 5 ] || fail "searchOrders was not used"
same_db "$WORK/a.db" "$WORK/new.db" || fail "the 2026-01-01 shape differs from v0"

# the static sandbox examples of ordersV0.json parse into orders
write_config "$WORK/sb.json" 'import copy
s["marketplace_ids"] = ["ATVPDKIKX0DER"]; s["sandbox"] = "TEST_CASE_200"; s["name"] = "amazon-sandbox"'
"$PY" - "$WORK/sb.json" <<'PY'
import copy, json, sys
c = json.load(open(sys.argv[1]))
s = copy.deepcopy(c["shops"][0])
s.update(name="amazon-sandbox-next", sandbox="TEST_CASE_200_NEXT_TOKEN")
c["shops"].append(s)
json.dump(c, open(sys.argv[1], "w"))
PY
BORDERDESK_CONFIG="$WORK/sb.json" BORDERDESK_DB="$WORK/sb.db" "$BD" sync --json >"$WORK/s6.json" || fail "sandbox sync failed: $(cat "$WORK/s6.json")"
"$PY" - "$WORK/sb.db" "$WORK/s6.json" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT s.name, o.external_id, o.status, o.currency, o.total, o.purchased_at, b.external_id,"
                  " b.country, (SELECT group_concat(sku || '/' || title || '/' || quantity || '/' || price)"
                  " FROM order_items i WHERE i.order_id = o.id) FROM orders o JOIN shops s ON s.id = o.shop_id"
                  " JOIN buyers b ON b.id = o.buyer_id ORDER BY 1, 2").fetchall()
want = [("amazon-sandbox", "902-1845936-5435065", "paid", "USD", "11.01", 1569510,
         "amazon-order:902-1845936-5435065", "US", "NABetaASINB00551Q3CS/B00551Q3CS [Card Book]/1/10.00"),
        ("amazon-sandbox", "902-8745147-1934268", "paid", "USD", "11.01", 1569510,
         "amazon-order:902-8745147-1934268", "US", None),
        ("amazon-sandbox-next", "902-3159896-1390916", "unpaid", "USD", "0.00", 1484941775,
         "amazon-order:902-3159896-1390916", "US", None)]
assert rows == want, rows
shops = {s["shop"]: s for s in json.load(open(sys.argv[2]))["shops"]}
assert shops["amazon-sandbox-next"]["orders"]["pages"] == 2, shops["amazon-sandbox-next"]  # NextToken
PY

# Amazon's error body, named with shop, call and reason; exit 1
write_config "$WORK/bad.json" 's["marketplace_ids"] = ["ATVPDKIKX0DER"]; s["sandbox"] = "TEST_CASE_400"'
rc=0; BORDERDESK_CONFIG="$WORK/bad.json" BORDERDESK_DB="$WORK/bad.db" "$BD" sync 2>"$WORK/err.txt" >/dev/null || rc=$?
[ $rc = 1 ] || fail "expected exit 1, got $rc"
grep -q "amazon-es: getOrders .*/orders/v0/orders?.*: HTTP 400: InvalidInput: Invalid Input" "$WORK/err.txt" || fail "error text: $(cat "$WORK/err.txt")"
write_config "$WORK/bad1.json" 's["sandbox"] = "TEST_CASE_400"; s["orders_api"] = "2026-01-01"'
rc=0; BORDERDESK_CONFIG="$WORK/bad1.json" BORDERDESK_DB="$WORK/bad.db" "$BD" sync 2>"$WORK/err.txt" >/dev/null || rc=$?
[ $rc = 1 ] || fail "expected exit 1, got $rc"
grep -q "amazon-es: searchOrders .*/orders/2026-01-01/orders?.*: HTTP 400: InvalidInput: Invalid Input (Invalid Input)" "$WORK/err.txt" || fail "error text: $(cat "$WORK/err.txt")"
write_config "$WORK/bad2.json" 's["marketplace_ids"] = ["A1PA6795UKMFR9"]'
rc=0; BORDERDESK_CONFIG="$WORK/bad2.json" BORDERDESK_DB="$WORK/bad.db" "$BD" sync 2>"$WORK/err.txt" >/dev/null || rc=$?
[ $rc = 1 ] || fail "expected exit 1, got $rc"
grep -q "amazon-es: getOrders .*HTTP 400: InvalidInput: Invalid MarketplaceId: A1PA6795UKMFR9" "$WORK/err.txt" || fail "error text: $(cat "$WORK/err.txt")"
write_config "$WORK/bad3.json" 's["lwa_client_secret_env"] = "AMZ_NO_SUCH_VARIABLE"'
rc=0; BORDERDESK_CONFIG="$WORK/bad3.json" BORDERDESK_DB="$WORK/bad3.db" "$BD" sync 2>"$WORK/err.txt" >/dev/null || rc=$?
[ $rc = 1 ] || fail "expected exit 1, got $rc"
grep -q "amazon-es: environment variable AMZ_NO_SUCH_VARIABLE" "$WORK/err.txt" || fail "error text: $(cat "$WORK/err.txt")"
export AMZ_WRONG_SECRET=nope
write_config "$WORK/bad4.json" 's["lwa_client_secret_env"] = "AMZ_WRONG_SECRET"'
rc=0; BORDERDESK_CONFIG="$WORK/bad4.json" BORDERDESK_DB="$WORK/bad4.db" "$BD" sync 2>"$WORK/err.txt" >/dev/null || rc=$?
[ $rc = 1 ] || fail "expected exit 1, got $rc"
grep -q "amazon-es: token .*/auth/o2/token: HTTP 401: invalid_client" "$WORK/err.txt" || fail "error text: $(cat "$WORK/err.txt")"
# buyer messages are not in the API
rc=0; "$BD" sync --resource messages >/dev/null 2>&1 || rc=$?
[ $rc = 0 ] || fail "--resource messages on an Amazon-only setup: exit $rc"

# the documented limits are the client's defaults; an x-amzn-RateLimit-Limit header that
# announces a higher rate is followed (60 getOrderItems calls with a burst of 30 would
# otherwise take a minute at 0.5/s; the timeout only keeps a broken build from hanging)
start_sim rl --seed 9 --orders 60 --ebay-sellers 0 --shopee-shops 0 --amazon-shops 1 --corpus none \
    --span-days 3 --base-time $(($(date +%s) - 300)) --rate-limit getOrderItems=20:30
write_config "$WORK/rl.json" 'del s["rate_limits"]'
rc=0; BORDERDESK_CONFIG="$WORK/rl.json" BORDERDESK_DB="$WORK/rl.db" timeout 50 "$BD" sync --json >"$WORK/rl.out" || rc=$?
[ $rc = 0 ] || fail "sync under the announced limit: exit $rc"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["shops"][0]; assert s["throttled"] == 0 and s["orders"]["inserted"] == 60, s' "$WORK/rl.out"
[ "$(stat_of getOrderItems 429)" = 0 ] || fail "the client exceeded the limit"
stop_sim

# the request log never shows a secret
BORDERDESK_HTTP_LOG=1 BORDERDESK_DB="$WORK/log.db" "$BD" sync 2>"$WORK/log.txt" >/dev/null
grep -q "token POST .*/auth/o2/token -> 200" "$WORK/log.txt" || fail "no request log: $(head -3 "$WORK/log.txt")"
! grep -q -e "$AMZ_CLIENT_SECRET" -e "$AMZ_REFRESH_TOKEN_ES" -e "Atza|" "$WORK/log.txt" || fail "a secret reached the log"
echo "sync_amazon: ok"
