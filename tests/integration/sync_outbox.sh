#!/usr/bin/env bash
# `borderdesk outbox send`: replies go out through each ticket's channel (eBay
# send_message, eBay respond_to_feedback, Shopee send_message) exactly once — also when
# the marketplace processes a reply and then fails (500, timeout), when the process is
# killed between sending and recording, and when a sync sees the reply first. A reply
# the marketplace refuses is marked failed on the ticket with the marketplace's error.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/sync_lib.sh"
start_sim main --seed 13 --orders 80 --messages 90 --feedback-share 0.9 --span-days 30 --slow-ms 4000
write_config "$WORK/bd.json" 's["timeout_ms"] = 2000'
export BORDERDESK_CONFIG="$WORK/bd.json" BORDERDESK_DB="$WORK/a.db"
"$BD" sync >/dev/null || fail "sync failed"

ticket() { # shop, kind (conv|feedback), n-th
    count "$WORK/a.db" "select t.id from tickets t join shops s on s.id = t.shop_id where s.name = '$1'
        and t.conversation_id $([ "$2" = feedback ] && echo "like 'feedback:%'" || echo "not like 'feedback:%'")
        order by t.id limit 1 offset $3"
}
sent_count() { sim_get sent | "$PY" -c 'import json,sys; print(sum(1 for s in json.load(sys.stdin) if s["text"] == sys.argv[1]))' "$1"; }
reply() { "$BD" tickets reply --body "$2" "$1" >/dev/null; }

E1=$(ticket ebay-seller1 conv 0); F1=$(ticket ebay-seller1 feedback 0); S1=$(ticket shopee-2001 conv 0)
[ -n "$E1" ] && [ -n "$F1" ] && [ -n "$S1" ] || fail "tickets to answer not found"
reply "$E1" "Hello, your parcel left today. (e1)"
reply "$F1" "We are sorry and sent a replacement. (f1)"
reply "$S1" "您好，包裹今天已发出。(s1)"
"$BD" outbox send >/dev/null || fail "outbox send failed"
for t in "Hello, your parcel left today. (e1)" "We are sorry and sent a replacement. (f1)" "您好，包裹今天已发出。(s1)"; do
    [ "$(sent_count "$t")" = 1 ] || fail "\"$t\" was sent $(sent_count "$t") times"
done
[ "$(count "$WORK/a.db" "select count(*) from outbox where status = 'sent' and remote_id is not null")" = 3 ] || fail "outbox not marked sent"
"$BD" outbox send --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["due"] == 0, d'
# the next sync finds the replies on the marketplace and does not store them twice
"$BD" sync >/dev/null
[ "$(count "$WORK/a.db" "select count(*) from messages where body like '%(e1)' or body like '%(f1)' or body like '%(s1)'")" = 3 ] \
    || fail "a sent reply was stored twice by the next sync"

# the marketplace processes the reply, then answers 500: reconciled, not resent
set_faults '["after500:1.0@send_message", "after500:1.0@respond_to_feedback"]'
E2=$(ticket ebay-seller1 conv 1); F2=$(ticket ebay-seller1 feedback 1); S2=$(ticket shopee-2001 conv 1)
reply "$E2" "Tracking: LX123 (e2)"; reply "$F2" "Thank you for the feedback (f2)"; reply "$S2" "Tracking: SPX456 (s2)"
"$BD" outbox send --json >"$WORK/o2.json" 2>/dev/null || fail "outbox send after 500s failed: $(cat "$WORK/o2.json")"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["reconciled"] == 3, d' "$WORK/o2.json"
for t in "Tracking: LX123 (e2)" "Thank you for the feedback (f2)" "Tracking: SPX456 (s2)"; do
    [ "$(sent_count "$t")" = 1 ] || fail "\"$t\" was sent $(sent_count "$t") times"
done

# the marketplace takes longer than the client waits: reconciled, not resent
set_faults '["afterslow:1.0@send_message"]'
E3=$(ticket ebay-seller1 conv 2)
reply "$E3" "Your refund is on its way (e3)"
"$BD" outbox send >/dev/null 2>&1 || fail "outbox send after a timeout failed"
[ "$(sent_count "Your refund is on its way (e3)")" = 1 ] || fail "e3 sent twice"

# killed between sending and recording: the next run finds the reply instead of resending
set_faults '["afterslow:1.0@send_message"]'
write_config "$WORK/slow.json" 's["timeout_ms"] = 20000'
S3=$(ticket shopee-2001 conv 2)
reply "$S3" "A new one is on its way (s3)"
BORDERDESK_CONFIG="$WORK/slow.json" "$BD" outbox send >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ "$(sent_count "A new one is on its way (s3)")" = 1 ] && break; sleep 0.05; done
kill -9 $pid; wait $pid 2>/dev/null || true
set_faults '[]'
[ "$(count "$WORK/a.db" "select status from outbox o join messages m on m.id = o.message_id where m.body like '%(s3)'")" = sending ] \
    || fail "the attempt was not on record before the request"
"$BD" outbox send --json >"$WORK/o3.json" || fail "outbox send after kill failed"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["reconciled"] == 1 and d["sent"] == 0, d' "$WORK/o3.json"
[ "$(sent_count "A new one is on its way (s3)")" = 1 ] || fail "s3 sent twice"

# killed again, but this time a sync sees the reply first and claims it
set_faults '["afterslow:1.0@send_message"]'
E4=$(ticket ebay-seller1 conv 3)
reply "$E4" "Sorry for the wait (e4)"
BORDERDESK_CONFIG="$WORK/slow.json" "$BD" outbox send >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ "$(sent_count "Sorry for the wait (e4)")" = 1 ] && break; sleep 0.05; done
kill -9 $pid; wait $pid 2>/dev/null || true
set_faults '[]'
sleep 1
"$BD" sync --resource messages >/dev/null
[ "$(count "$WORK/a.db" "select status from outbox o join messages m on m.id = o.message_id where m.body = 'Sorry for the wait (e4)'")" = sent ] \
    || fail "sync did not recognise our own reply"
[ "$(count "$WORK/a.db" "select count(*) from messages where body = 'Sorry for the wait (e4)'")" = 1 ] || fail "e4 stored twice"
"$BD" outbox send --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["due"] == 0, d'
[ "$(sent_count "Sorry for the wait (e4)")" = 1 ] || fail "e4 sent twice"

# 429 on send: retried after Retry-After, sent once
set_faults '["429:1.0:2@send_message"]'
S4=$(ticket shopee-2001 conv 3)
reply "$S4" "Thanks for waiting (s4)"
"$BD" outbox send >/dev/null || fail "outbox send after 429 failed"
[ "$(sent_count "Thanks for waiting (s4)")" = 1 ] || fail "s4 not sent exactly once"
set_faults '[]'

# refused by the marketplace: failed, with Shopee's error text on the ticket; exit 1
S5=$(ticket shopee-2001 conv 4)
long=$("$PY" -c 'print("x" * 1200)')
reply "$S5" "$long"
rc=0; "$BD" outbox send >/dev/null 2>"$WORK/rej.err" || rc=$?
[ $rc = 1 ] || fail "a refused reply should exit 1, got $rc"
grep -q "failed: .*error_param: content.text is longer than 1000 characters" "$WORK/rej.err" || fail "error text: $(cat "$WORK/rej.err")"
"$BD" tickets show "$S5" --json | "$PY" -c '
import json, sys
t = json.load(sys.stdin)
assert any(m.get("delivery") == "failed" for m in t["messages"]), t["messages"]
ev = [e for e in t.get("events", t.get("history", [])) if e.get("kind") == "reply_failed"]
assert ev and "longer than 1000" in json.dumps(ev), t.get("events")
' || fail "the failure is not on the ticket"
echo "sync_outbox: ok"
