#!/usr/bin/env bash
# loyalty.sh — tiers, surveys, feedback, blacklist and reports through the CLI on a
# temporary database: the demo data with its configuration, the tier on tickets (text and
# JSON), incremental and full recomputes, a missing FX rate and a negative total, surveys
# created when tickets are solved and answered once, feedback import with duplicates and bad
# lines, the blacklist and flags, and the satisfaction and tiers reports in every format.
set -uo pipefail
BD=${BD_BINARY:?}
SRC=${BD_SOURCE_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BORDERDESK_DB=$work/bd.db
export BORDERDESK_USER=lead.li
export BORDERDESK_CONFIG=$work/borderdesk.json
cd "$work"
fails=0; passes=0
ok()   { passes=$((passes+1)); }
bad()  { echo "FAIL: $*" >&2; fails=$((fails+1)); }
check() { local want=$1 got=$2 what=$3; [ "$want" = "$got" ] && ok || bad "$what: want '$want', got '$got'"; }
run()  { "$BD" "$@" >"$work/out" 2>"$work/err"; echo $?; }
has()  { grep -q -- "$1" "$2" && ok || bad "$3: no '$1' in $(head -c 600 "$2")"; }
sql()  { sqlite3 "$BORDERDESK_DB" "$1"; }
# py EXPR: evaluates a Python expression over j = the JSON in $work/out
py()   { python3 -c "import json,sys; j=json.load(open('$work/out')); print($1)"; }

# the demo's configuration, with the address buyers reach the survey page at
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["public_url"]="https://fb.example/"; print(json.dumps(c))' \
  "$SRC/tests/fixtures/demo/borderdesk.json" > borderdesk.json

# --- help
for c in "tiers" "survey" "buyers" "feedback" "report" "report satisfaction" "report tiers"; do
  check 0 "$(run $c --help)" "$c --help"
done
check 2 "$(run report nonsense)" "unknown report"
check 2 "$(run tiers recompute --as-of yesterday)" "bad --as-of"
check 2 "$(run report satisfaction --group-by team)" "bad --group-by"

# --- the demo: orders bring tiers
check 0 "$(run init)" "init"
check 0 "$(run import orders "$SRC/tests/fixtures/demo/orders.jsonl")" "import orders"
has "tiers: full recompute (first run)" out "tiers after import"
check 0 "$(run import messages "$SRC/tests/fixtures/demo/messages.jsonl")" "import messages"
check 36 "$(sql 'SELECT count(*) FROM buyer_loyalty')" "a profile per buyer with orders"
check 0 "$(run tickets list --json)" "tickets list --json"
check True "$(py "all('tier' in t and 'blacklisted' in t for t in j)")" "tier in ticket JSON"
check True "$(py "any(t['tier']=='vip' and t['priority'] in ('high','urgent') for t in j)")" "vip tickets come first"
check 0 "$(run tickets list)" "tickets list"
has "TIER" out "tier column"
vip_ticket=$(sql "SELECT t.id FROM tickets t JOIN buyer_loyalty l ON l.buyer_id = t.buyer_id WHERE l.tier = 'vip' LIMIT 1")
check 0 "$(run tickets show "$vip_ticket")" "tickets show"
has "tier vip" out "tier in tickets show"

# --- recompute: incremental, full, as-of; nothing changes twice
check 0 "$(run tiers recompute --json)" "incremental recompute"
check False "$(py "j['full']")" "incremental"
check 0 "$(run tiers recompute --full --json)" "full recompute"
check 0 "$(py "j['profiles_changed']")" "a full recompute after an incremental one changes nothing"
check 0 "$(run tiers recompute --as-of 2026-12-31 --quiet)" "as-of recompute"

# --- bad input: a negative total, a currency without a rate
printf '%s\n' '{"shop":"ebay-us","marketplace":"ebay","external_id":"NEG-1","buyer":{"external_id":"neg"},"status":"shipped","purchased_at":"2026-11-20T10:00:00Z","currency":"USD","total":"-5.00","items":[{"title":"x","quantity":1}]}' > neg.jsonl
check 0 "$(run import orders neg.jsonl)" "import keeps the order"
has "negative total -5.00 USD is not counted" err "negative total reported after import"
check 3 "$(run tiers recompute --full)" "negative total: exit 3"
has "ebay-us order NEG-1" err "names the order"
printf '%s\n' '{"shop":"ebay-us","marketplace":"ebay","external_id":"CHF-1","buyer":{"external_id":"swiss"},"status":"shipped","purchased_at":"2026-11-20T10:00:00Z","currency":"CHF","total":"50.00","items":[{"title":"x","quantity":1}]}' > chf.jsonl
before=$(sql 'SELECT group_concat(tier) FROM buyer_loyalty')
check 0 "$(run import orders chf.jsonl)" "import with an unknown currency still imports"
has "tiers not updated: no FX rate for CHF to EUR" err "FX warning after import"
check 3 "$(run tiers recompute)" "unknown currency: exit 3"
has "add the rate to loyalty.fx_rates" err "says how to fix it"
check "$before" "$(sql 'SELECT group_concat(tier) FROM buyer_loyalty')" "nothing changed"
python3 - <<'EOF'
import json
c = json.load(open('borderdesk.json'))
c['loyalty']['fx_rates']['CHF'] = '1.05'
json.dump(c, open('borderdesk.json', 'w'))
EOF
check 3 "$(run tiers recompute)" "with the rate (the negative total still reported)"
has "configuration changed" out "new FX table: full recompute"
check 1 "$(sql "SELECT count(*) FROM buyer_loyalty l JOIN buyers b ON b.id = l.buyer_id WHERE b.external_id = 'swiss' AND l.spend = 52500000")" "CHF converted"

# --- surveys: solving a ticket creates one; one response per token
t=$(sql "SELECT id FROM tickets WHERE status IN ('new','open') ORDER BY id LIMIT 1")
check 0 "$(run tickets status "$t" solved)" "solve"
check 1 "$(sql "SELECT count(*) FROM surveys WHERE ticket_id = $t")" "survey created"
check 0 "$(run survey list --json)" "survey list --json"
check pending "$(py "j[0]['status']")" "pending"
token=$(sql "SELECT token FROM surveys WHERE ticket_id = $t")
check 32 "${#token}" "192-bit token"
check 0 "$(run survey show "$token" --json)" "survey show"
check True "$(py "j['invitation']['data']['survey']['url'] == 'https://fb.example/s/$token'")" "invitation url"
check True "$(py "j['invitation']['template'].endswith('/survey/invitation.mustache')")" "invitation template"
check 3 "$(run survey respond "$token" --score 9)" "CSAT 9 refused"
has "from 1 to 5" err "range message"
check 3 "$(run survey respond "$token" --score 4 --dimension price=3)" "unasked dimension refused"
check 0 "$(run survey respond "$token" --score 5 --dimension quality=4 --comment 'Fast and kind')" "respond"
check 3 "$(run survey respond "$token" --score 1)" "second response refused"
has "already answered" err "repeat message"
check 3 "$(run survey respond nosuchtoken --score 1)" "unknown token"
check 2 "$(run survey respond "$token")" "--score required"
check 0 "$(run survey list --status answered)" "survey list answered"
has "Fast and kind" out "the comment is listed"

# --- feedback import: recorded, duplicate, bad line
cat > fb.jsonl <<'EOF'
{"shop":"ebay-us","marketplace":"ebay","external_id":"FB-100","buyer":{"external_id":"dave_tx_deals"},"order_id":"39-19835-19584","rating":"positive","comment":"Super fast","left_at":"2026-11-20T10:00:00Z"}
{"shop":"ebay-us","marketplace":"ebay","external_id":"FB-101","buyer":{"external_id":"dmitry_spb77"},"stars":1,"comment":"Broken","left_at":"2026-11-21T10:00:00Z"}
{"shop":"ebay-us","marketplace":"ebay","external_id":"FB-100","buyer":{"external_id":"dave_tx_deals"},"order_id":"39-19835-19584","rating":"positive","comment":"Super fast","left_at":"2026-11-20T10:00:00Z"}
{"shop":"ebay-us","marketplace":"ebay","external_id":"FB-102","buyer":{"external_id":"x"},"rating":"great","left_at":"2026-11-21T10:00:00Z"}
EOF
check 3 "$(run feedback import fb.jsonl)" "feedback import with a bad line"
has "2 recorded, 0 revised, 1 already recorded, 1 rejected" out "feedback summary"
has "fb.jsonl:3: duplicate" err "duplicate reported"
has "fb.jsonl:4: field \"rating\"" err "bad rating reported"
check 2 "$(sql 'SELECT count(*) FROM feedback')" "two feedback rows"

# --- reports
check 0 "$(run report satisfaction --from 2026-01-01 --to 2026-12-31 --format json)" "satisfaction json"
check 1 "$(py "j['total']['responses']")" "one response"
check 100.0 "$(py "float(j['total']['csat_pct'])")" "CSAT 100%"
check 1 "$(py "j['total']['feedback']['negative']")" "negative feedback counted"
check 0 "$(run report satisfaction --from 2026-01-01 --to 2026-12-31 --group-by agent --format csv)" "satisfaction csv"
has "^group,surveys_sent,responses" out "csv header"
check 0 "$(run report satisfaction --from 2026-01-01 --to 2026-12-31 --group-by week)" "satisfaction table"
has "2026-W" out "week groups"
check 0 "$(run report tiers --from 2026-01-01 --format json)" "tiers json"
check True "$(py "j['distribution']['pyramid']['vip'] >= 1")" "vips counted"
check True "$(py "0 < j['concentration']['top_20_pct'] <= 100")" "concentration"
check True "$(py "'churn_risk' in j and 'movements' in j")" "sections"
check 0 "$(run report tiers --shop ebay-us --format csv)" "tiers csv"
has "^section,group,key,value" out "tiers csv header"
check 0 "$(run report tiers)" "tiers table"
has "Value concentration" out "tiers table text"
check 2 "$(run report tiers --shop nowhere)" "unknown shop"

# --- buyers, blacklist, flags
check 0 "$(run buyers list --tier vip --json)" "buyers list"
check True "$(py "len(j) >= 1 and all(b['tier'] == 'vip' for b in j)")" "vip filter"
check 0 "$(run buyers show ebay-us:dave_tx_deals --json)" "buyers show"
check True "$(py "j['loyalty']['orders'] >= 1")" "profile shown"
check 2 "$(run buyers blacklist add ebay-us:dave_tx_deals)" "reason required"
check 0 "$(run buyers blacklist add ebay-us:dave_tx_deals --reason 'Threatened staff')" "blacklist"
check 0 "$(run tickets list --json)" "tickets after blacklist"
check True "$(py "all(t['blacklisted'] for t in j if t['buyer']['external_id']=='dave_tx_deals')")" "blacklisted on tickets"
check 0 "$(run buyers blacklist list)" "blacklist list"
has "Threatened staff" out "reason listed"
check 1 "$(run buyers blacklist add ebay-us:dave_tx_deals --reason again)" "twice refused"
check 0 "$(run buyers blacklist remove ebay-us:dave_tx_deals --reason 'Apologised')" "remove"
check 0 "$(run buyers show ebay-us:dave_tx_deals)" "history"
has "unblacklisted" out "blacklist history"
# three refunded orders of four: a flag for a person, never a ban
for i in 1 2 3 4; do
  st=refunded; [ $i = 4 ] && st=shipped
  printf '{"shop":"ebay-us","marketplace":"ebay","external_id":"RF-%s","buyer":{"external_id":"refunder"},"status":"%s","purchased_at":"2026-11-1%sT10:00:00Z","currency":"EUR","total":"10","items":[{"title":"x","quantity":1}]}\n' $i $st $i
done > refunds.jsonl
check 0 "$(run import orders refunds.jsonl)" "import refunds"
check 0 "$(run buyers flags --json)" "flags"
check refund_claims "$(py "j[0]['kind']")" "refund flag raised"
flag=$(py "j[0]['id']")
check 0 "$(sql "SELECT count(*) FROM buyer_blacklist b JOIN buyers x ON x.id = b.buyer_id WHERE x.external_id = 'refunder'")" "no automatic ban"
check 0 "$(run buyers flags confirm "$flag" --reason 'Checked the orders')" "confirm"
check 1 "$(sql "SELECT count(*) FROM buyer_blacklist b JOIN buyers x ON x.id = b.buyer_id WHERE x.external_id = 'refunder'")" "confirmed: blacklisted"
check 1 "$(run buyers flags dismiss "$flag" --reason late)" "already decided"

echo "loyalty.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
