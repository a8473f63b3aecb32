#!/usr/bin/env bash
# Shopee connector over loopback: signed calls, get_order_list in windows of at most 15
# days with cursors, get_order_detail in batches of 50, chat conversations and messages,
# rotating refresh tokens kept in the database, and errors inside HTTP 200 answers.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/sync_lib.sh"
start_sim main --seed 11 --orders 420 --messages 250 --ebay-sellers 0 --span-days 70 --token-ttl 3600
write_config "$WORK/bd.json"
export BORDERDESK_CONFIG="$WORK/bd.json" BORDERDESK_DB="$WORK/a.db"

"$BD" sync --json >"$WORK/s1.json" || fail "sync failed: $(cat "$WORK/s1.json")"
want=$(sim_get counts)
read -r o m <<<"$("$PY" -c 'import json,sys; c=json.loads(sys.argv[1])["shopee:2001"]; print(c["orders"], c["messages"])' "$want")"
[ "$(count "$WORK/a.db" 'select count(*) from orders')" = "$o" ] || fail "orders: want $o"
[ "$(count "$WORK/a.db" 'select count(*) from messages')" = "$m" ] || fail "messages: want $m"
# 90 days of history = 6 windows of 15 days; detail calls in batches of <= 50
"$PY" - "$WORK/s1.json" "$URL" <<'PY'
import json, sys, urllib.request
s = json.load(open(sys.argv[1]))["shops"][0]
stats = json.load(urllib.request.urlopen(sys.argv[2] + "/_sim/stats"))
lists = stats["shopee:2001:get_order_list"]["requests"]
details = stats["shopee:2001:get_order_detail"]["requests"]
assert lists >= 6, lists
assert details >= 420 // 50, details
assert "shopee:2001:access_token" in stats
PY
[ "$(count "$WORK/a.db" "select count(*) from shop_tokens where refresh_token like 'shopee-refresh-2001-%' and refresh_token != 'shopee-refresh-2001-initial'")" = 1 ] \
    || fail "the rotated refresh token was not kept"

# the access token expires: the next run refreshes before calling
sim_post expire_tokens '{}' >/dev/null
sim_post mutate '{"orders": 10, "messages": 7}' >/dev/null
sleep 1
"$BD" sync --json >"$WORK/s2.json" || fail "sync after expiry failed"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["shops"][0]; assert s["orders"]["updated"]==10 and s["messages"]["messages_new"]==7, s' "$WORK/s2.json"

# the request log shows calls, never the token, the refresh token or the signature
BORDERDESK_HTTP_LOG=1 BORDERDESK_DB="$WORK/log.db" "$BD" sync --resource orders 2>"$WORK/log.txt" >/dev/null
grep -q "^http: shopee-2001 get_order_list GET .*access_token=\[REDACTED\]" "$WORK/log.txt" || fail "no request log: $(head -3 "$WORK/log.txt")"
grep -q "sign=\[REDACTED\]" "$WORK/log.txt" || fail "the signature is not masked"
! grep -q -e "shopee-access" -e "shopee-refresh" -e "$SHOPEE_PARTNER_KEY" -e "sign=[0-9a-f]\{64\}" "$WORK/log.txt" \
    || fail "a secret reached the log"

# bad signature: Shopee's error_sign, inside an HTTP 200 answer
export SHOPEE_PARTNER_KEY=wrong-key
rc=0; BORDERDESK_DB="$WORK/bad.db" "$BD" sync 2>"$WORK/err.txt" >/dev/null || rc=$?
[ $rc = 1 ] || fail "expected exit 1 with a wrong partner key, got $rc"
grep -q "shopee-2001.*access_token/get.*error_sign" "$WORK/err.txt" || fail "error text: $(cat "$WORK/err.txt")"
[ "$(count "$WORK/bad.db" 'select count(*) from orders')" = 0 ] || fail "nothing may be stored"
echo "sync_shopee: ok"
