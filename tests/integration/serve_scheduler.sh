#!/usr/bin/env bash
# serve_scheduler.sh — the scheduler inside `borderdesk serve` syncs the configured shops
# (classifying the new buyer messages, refreshing due states) and sends queued replies:
# against the marketplace simulator over loopback, driven through the API.
. "${BD_SOURCE_DIR:?}/tests/integration/lib/sync_lib.sh"
start_sim main --seed 5 --orders 60 --messages 40
write_config "$WORK/shops.json"
# the shops plus a server section: no automatic runs (the test triggers them)
"$PY" - "$WORK/shops.json" "$WORK/bd.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["server"] = {"sync_interval_seconds": 86400, "outbox_interval_seconds": 86400}
json.dump(c, open(sys.argv[2], "w"))
PY
export BORDERDESK_CONFIG="$WORK/bd.json" BORDERDESK_DB="$WORK/bd.db"
"$BD" init >/dev/null
printf 'secret-pw-1\n' | "$BD" user add adam --role admin --password-stdin >/dev/null
token=$("$BD" user token create adam --scope admin | grep -o 'bdt_[A-Za-z0-9_-]*' | head -1)
[ -n "$token" ] || fail "no token"

"$BD" serve --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SIM_PIDS+=($!)  # stopped by the library's cleanup
for _ in $(seq 1 200); do
    grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break
    sleep 0.05
done
api=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve.out" | head -1)
[ -n "$api" ] || fail "serve did not start: $(cat "$WORK/serve.err")"
get()  { curl -sS --max-time 20 -H "Authorization: Bearer $token" "$api$1"; }
post() { curl -sS --max-time 20 -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "${2:-{\}}" "$api$1"; }
runs_of() { get /api/v1/scheduler | "$PY" -c "import json,sys; print({t['name']: t['runs'] for t in json.load(sys.stdin)['tasks']}.get('$1', -1))"; }
run_task() {
    local before; before=$(runs_of "$1")
    [ "$before" -ge 0 ] || fail "no scheduler task $1: $(get /api/v1/scheduler)"
    post "/api/v1/scheduler/$1/run" >/dev/null
    for _ in $(seq 1 600); do
        [ "$(runs_of "$1")" -gt "$before" ] && return 0
        sleep 0.1
    done
    fail "task $1 did not run"
}
last_ok() { get /api/v1/scheduler | "$PY" -c "import json,sys; t={t['name']: t for t in json.load(sys.stdin)['tasks']}['$1']; print('ok' if t['last_ok'] else t)"; }

run_task sync
[ "$(last_ok sync)" = ok ] || fail "sync task: $(last_ok sync)"
want=$(sim_get counts | "$PY" -c "import json,sys; print(sum(s['orders'] for s in json.load(sys.stdin).values()))")
got=$(count "$BORDERDESK_DB" "SELECT count(*) FROM orders")
[ "$got" = "$want" ] || fail "orders: simulator $want, stored $got"
unclassified=$(count "$BORDERDESK_DB" "SELECT count(*) FROM messages WHERE direction='in' AND category IS NULL")
[ "$unclassified" = 0 ] || fail "$unclassified buyer messages were not classified by the sync task"
due=$(count "$BORDERDESK_DB" "SELECT count(*) FROM tickets WHERE due_state IS NOT NULL")
[ "$due" -gt 0 ] || fail "no ticket got a due state from the sync task"

# a reply queued through the API goes out with the outbox task, once
tid=$(count "$BORDERDESK_DB" "SELECT t.id FROM tickets t JOIN shops s ON s.id = t.shop_id WHERE t.conversation_id IS NOT NULL ORDER BY t.id LIMIT 1")
r=$(post "/api/v1/tickets/$tid/reply" '{"body": "Thank you, we are on it."}'); echo "$r" | grep -q '"message"' || fail "reply not queued: $r"
run_task outbox-send
[ "$(last_ok outbox-send)" = ok ] || fail "outbox task: $(last_ok outbox-send)"
[ "$(count "$BORDERDESK_DB" "SELECT status FROM outbox ORDER BY id DESC LIMIT 1")" = sent ] || fail "reply not sent"
sent=$(sim_get sent | "$PY" -c "import json,sys; print(sum(1 for m in json.load(sys.stdin) if 'we are on it' in json.dumps(m)))")
[ "$sent" = 1 ] || fail "the simulator received the reply $sent times"
run_task outbox-send
sent=$(sim_get sent | "$PY" -c "import json,sys; print(sum(1 for m in json.load(sys.stdin) if 'we are on it' in json.dumps(m)))")
[ "$sent" = 1 ] || fail "a second outbox run sent the reply again ($sent)"
echo "serve_scheduler: sync ($got orders), classification, due states and outbox through the scheduler: ok"
