#!/usr/bin/env bash
# sla_report.sh — `borderdesk report sla` and `report workload` on a small imported
# dataset (tests/data/sla), with every number computed by hand in docs/sla.md's terms.
#
# A Shenzhen team (Mon-Fri 09:00-12:00, 13:00-18:00, UTC+8) serves buyers in Spain,
# Germany and Brazil: four tickets over a weekend, an auto-acknowledgement that must not
# stop the clock, a message marked "no response needed", a pending span, an unanswered
# ticket. BORDERDESK_NOW fixes the time of every change and of the report.
set -euo pipefail

bin="${BD_BINARY:?set BD_BINARY}"
data="${BD_SOURCE_DIR:?set BD_SOURCE_DIR}/tests/data/sla"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export BORDERDESK_DB="$work/bd.db" BORDERDESK_CONFIG="$data/borderdesk.json"
fails=0

check() { # check NAME EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1"
        diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") || true
        fails=$((fails + 1))
    fi
}
at() { BORDERDESK_NOW="$1" "${@:2}"; }

at 2026-03-09T00:00:00Z "$bin" import messages "$data/messages.jsonl" >/dev/null
"$bin" user add alice >/dev/null
"$bin" user add bob >/dev/null
for a in "1 alice" "2 alice" "3 bob" "4 bob"; do
    set -- $a
    at 2026-03-09T00:00:00Z "$bin" tickets assign "$1" "$2" >/dev/null
done
at 2026-03-09T06:00:00Z "$bin" tickets status 1 solved >/dev/null
at 2026-03-10T03:31:00Z "$bin" tickets status 2 pending >/dev/null
at 2026-03-10T06:00:00Z "$bin" tickets status 2 solved >/dev/null
at 2026-03-12T02:00:00Z "$bin" tickets status 3 solved >/dev/null

now=2026-03-13T02:00:00Z # Friday 10:00 in Shenzhen
report() { at "$now" "$bin" report sla --from 2026-03-06 --to 2026-03-13 "$@"; }

# Before "no response needed": Hans's "Danke!" (Mon 11:00) waits until Tue 11:30 — 8h30m.
check "next reply counts from the thank-you before it is excluded" \
    "2,next_reply,alice,Hans,acme-amazon-es,2026-03-09T03:00:00Z,2026-03-10T03:30:00Z,2026-03-09T04:00:00Z,27000" \
    "$(report --breaches --format csv | grep '^2,next_reply')"

# no response needed: who and why go to the audit log; a reason is required
if at 2026-03-09T04:00:00Z "$bin" tickets no-response 2 8 >/dev/null 2>&1; then
    check "no-response without --reason is refused" "refused" "accepted"
fi
check "no-response on a seller message is refused" "1" \
    "$(at 2026-03-09T04:00:00Z "$bin" tickets no-response 2 7 --reason x 2>&1 | grep -c 'not a buyer message')"
at 2026-03-09T04:00:00Z "$bin" tickets no-response 2 8 --reason "just a thank-you" --as carol >/dev/null
check "the audit log names who and why" \
    "  2026-03-09T04:00:00Z  carol      no_response_needed {\"message_id\":8,\"reason\":\"just a thank-you\"}" \
    "$("$bin" tickets show 2 | grep no_response_needed)"

# Team clock (business time), by agent. Hand computation, seconds:
#  first reply: T1 300 (alice, Mon 09:00-09:05), T2 480 (alice), T3 28800 (bob, the whole
#    Wednesday), T4 running 3900 (bob by assignment: Thu 17:55-18:00 + Fri 09:00-10:00)
#  next reply: T1 1800 (bob: 11:50-12:00 + 13:00-13:20), T2 9000 (alice: Tue 09:00-11:30)
#  resolution: T1 14400 (solved Mon 14:00), T2 34260 (Mon 10:00 - Tue 11:31, then
#    pending), T3 32400 (Wed + Thu 09:00-10:00), T4 running 3900; target 8 h = 28800
check "team clock by agent" \
"agent,clock,count,running,median_seconds,p90_seconds,with_target,within_target,within_target_pct,breaches
alice,first_reply,2,0,390,480,2,2,100.0,0
alice,next_reply,1,0,9000,9000,1,0,0.0,1
alice,resolution,2,0,24330,34260,2,1,50.0,1
bob,first_reply,1,1,28800,28800,2,0,0.0,2
bob,next_reply,1,0,1800,1800,1,1,100.0,0
bob,resolution,1,1,32400,32400,1,0,0.0,1
total,first_reply,3,1,480,28800,4,2,50.0,2
total,next_reply,2,0,5400,9000,2,1,50.0,1
total,resolution,3,1,32400,34260,3,1,33.3,2" \
    "$(report --group-by agent --format csv)"

# Marketplace clock (calendar time; Amazon and eBay 24 h):
#  first reply: T1 203700 (56h35m, late), T2 480, T3 91800 (25h30m, late), T4 57900 running
#  next reply: 5400, 9000; resolution has no marketplace deadline
check "marketplace clock" \
"group,clock,count,running,median_seconds,p90_seconds,with_target,within_target,within_target_pct,breaches
total,first_reply,3,1,91800,203700,3,1,33.3,2
total,next_reply,2,0,7200,9000,2,2,100.0,0
total,resolution,3,1,126000,221400,0,0,,0" \
    "$(report --clock marketplace --format csv)"

check "breaches, latest first by how late" \
"ticket_id,clock,agent,buyer,shop,started_at,stopped_at,due_at,late_seconds
3,first_reply,bob,João,acme-ebay-br,2026-03-10T15:00:00Z,2026-03-11T16:30:00Z,2026-03-11T01:10:00Z,28200
2,resolution,alice,Hans,acme-amazon-es,2026-03-09T02:00:00Z,2026-03-10T06:00:00Z,2026-03-10T02:00:00Z,5460
2,next_reply,alice,Hans,acme-amazon-es,2026-03-10T01:00:00Z,2026-03-10T03:30:00Z,2026-03-10T02:00:00Z,5400
3,resolution,bob,João,acme-ebay-br,2026-03-10T15:00:00Z,2026-03-12T02:00:00Z,2026-03-11T10:00:00Z,3600
4,first_reply,bob,Maria,acme-ebay-br,2026-03-12T09:55:00Z,,2026-03-13T01:05:00Z,3300" \
    "$(report --breaches --format csv)"

check "by shop" \
"acme-amazon-es,first_reply,2,0,390,480,2,2,100.0,0
acme-ebay-br,first_reply,1,1,28800,28800,2,0,0.0,2" \
    "$(report --group-by shop --format csv | grep first_reply | grep -v ^total)"

check "by language (the buyer's, no classifier ran)" \
"de,first_reply,1,0,480,480,1,1,100.0,0
es,first_reply,1,0,300,300,1,1,100.0,0
pt,first_reply,1,1,28800,28800,2,0,0.0,2" \
    "$(report --group-by language --format csv | grep first_reply | grep -v ^total)"

check "by day of the clock's start, in Shenzhen" \
"2026-03-07,first_reply,1,0,300,300,1,1,100.0,0
2026-03-09,first_reply,1,0,480,480,1,1,100.0,0
2026-03-10,first_reply,1,0,28800,28800,1,0,0.0,1
2026-03-12,first_reply,0,1,,,1,0,0.0,1" \
    "$(report --group-by day --format csv | grep first_reply | grep -v ^total)"

check "by ISO week" "2026-W10 2026-W11 total" \
    "$(report --group-by week --format csv | grep first_reply | cut -d, -f1 | tr '\n' ' ' | sed 's/ $//')"

# Late-response rate: Amazon counts Lucía's first message (late), her second, Hans's two
# (not the excluded one); eBay counts João's (late), not Maria's (still within 24 h).
json="$(report --format json)"
check "late-response rate per shop" \
"acme-amazon-es amazon 4 1 25 4 1 25
acme-ebay-br ebay 1 1 100 1 1 100" \
    "$(python3 -c '
import json, sys
r = json.load(sys.stdin)
for l in r["late_response_rate"]:
    print(l["shop"], l["marketplace"], *["%g" % l[k][f] for k in ("last_7_days", "last_90_days")
                                         for f in ("counted", "late", "rate_pct")])
' <<<"$json")"
check "json total" "3 1 480 28800 50 2 Asia/Shanghai" \
    "$(python3 -c '
import json, sys
r = json.load(sys.stdin)
f = r["total"]["first_reply"]
print(f["count"], f["running"], f["median_seconds"], f["p90_seconds"], "%g" % f["within_target_pct"],
      f["breaches"], r["time_zone"])' <<<"$json")"
check "the same data gives the same report" "$(report --format json)" "$json"
# Histogram buckets (upper bounds 5m 15m 1h 4h 8h 24h 72h, then more): first replies
# 300 | 480 | 28800, resolutions 14400 | 32400 34260 (business seconds, see above).
check "json histograms" "1 1 0 0 1 0 0 0 / 0 0 0 1 0 2 0 0 / 300 900 3600 14400 28800 86400 259200 None" \
    "$(python3 -c '
import json, sys
t = json.load(sys.stdin)["total"]
print(*[b["count"] for b in t["first_reply"]["histogram"]], "/",
      *[b["count"] for b in t["resolution"]["histogram"]], "/",
      *[b["le_seconds"] for b in t["first_reply"]["histogram"]])' <<<"$json")"

# Due times and states kept on the tickets (the inbox order)
due() { python3 -c '
import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(
        "SELECT id, due_at, due_state FROM tickets ORDER BY id"):
    print(*row)' "$BORDERDESK_DB"; }
at 2026-03-12T10:00:00Z "$bin" tickets refresh-due >/dev/null
check "Maria waits, Thu 18:00: ok (due Fri 09:05)" \
"1 None None
2 None None
3 None None
4 1773363900 ok" "$(due)"
at 2026-03-13T00:50:00Z "$bin" tickets refresh-due >/dev/null
check "Fri 08:50: warning (30 minutes before)" "4 1773363900 warning" "$(due | tail -1)"
at "$now" "$bin" tickets refresh-due >/dev/null
check "Fri 10:00: breached" "4 1773363900 breached" "$(due | tail -1)"
at 2026-03-13T02:30:00Z "$bin" tickets reply 4 --body "Sim, enviamos." --as bob >/dev/null
# the reply stops the reply clock; resolution (8 h) still runs: due Fri 17:55 in Shenzhen
check "a reply refreshes the ticket at once" "4 1773395700 ok" "$(due | tail -1)"

check "workload" \
"section,key,day,open,pending,waiting,oldest_ticket,oldest_waiting_since,waited_seconds,replies
agent,bob,,1,0,1,4,2026-03-12T09:55:00Z,57900,
queue,acme-ebay-br,,1,0,1,4,2026-03-12T09:55:00Z,57900,
answered,alice,2026-03-09,,,,,,,2
answered,alice,2026-03-10,,,,,,,1
answered,bob,2026-03-09,,,,,,,1
answered,bob,2026-03-12,,,,,,,1" \
    "$(at "$now" "$bin" report workload --from 2026-03-09 --to 2026-03-13 --format csv)"

# A bad calendar is refused when the configuration loads, naming the key
bad="$work/bad.json"
echo '{"sla": {"teams": [{"name": "x", "time_zone": "Asia/Shenzhen", "hours": {"mon": "09:00-18:00"}}]}}' >"$bad"
set +e
msg="$("$bin" --config "$bad" report sla 2>&1)"
code=$?
set -e
check "unknown zone refused at load" "1: sla.teams[0].time_zone: unknown time zone \"Asia/Shenzhen\"" \
    "$code: $(grep -o 'sla.teams.*Shenzhen"' <<<"$msg")"
check "usage errors exit 2" "2" "$(set +e; "$bin" report sla --group-by buyer >/dev/null 2>&1; echo $?)"

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
