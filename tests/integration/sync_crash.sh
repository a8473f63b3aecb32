#!/usr/bin/env bash
# kill -9 at random moments (seeded): 24 runs, each killed once or twice while syncing
# and then resumed, must end with exactly the orders, messages, tickets and feedback of
# one clean sync — no duplicates, no gaps. The simulator adds a little latency so that
# the kills land in every phase (token, orders, messages, feedback, all three shops). The
# data ends 5 minutes ago, since Amazon's order windows end 2 minutes before now.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/sync_lib.sh"
# 24 kills; 8 in the sanitizer build, which runs every path several times slower
if [ "${BD_SANITIZED:-0}" = 1 ]; then RUNS=${BD_CRASH_RUNS:-8}; else RUNS=${BD_CRASH_RUNS:-24}; fi
RANDOM=${BD_CRASH_SEED:-20251}
start_sim main --seed 3 --orders 300 --messages 200 --span-days 40 --latency-ms 2 \
    --amazon-shops 1 --base-time $(($(date +%s) - 300))
write_config "$WORK/bd.json" 's["page_size"] = 50'
export BORDERDESK_CONFIG="$WORK/bd.json"

t0=$(date +%s%N)
BORDERDESK_DB="$WORK/ref.db" "$BD" sync >/dev/null || fail "clean sync failed"
clean_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$clean_ms" -gt 0 ] || clean_ms=1

# Runs go on until RUNS kills have landed while a sync was running (a kill that comes
# after the sync finished proves nothing); on a loaded machine that takes more runs.
kills=0
run=0
while [ "$kills" -lt "$RUNS" ] && [ "$run" -lt $((RUNS * 4)) ]; do
    run=$((run + 1))
    db="$WORK/run$run.db"
    for k in 1 $((RANDOM % 2 + 1)); do
        [ "$k" = 1 ] || [ -f "$db" ] || break
        # a moment within the length of a clean sync
        delay_ms=$(( RANDOM % (clean_ms * 4 / 5 + 1) + 1 ))
        BORDERDESK_DB="$db" "$BD" sync >/dev/null 2>&1 &
        pid=$!
        sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
        kill -9 "$pid" 2>/dev/null || true
        # only a sync that died of the signal counts (a finished one is a zombie that
        # kill reports as signalled all the same)
        rc=0; wait "$pid" 2>/dev/null || rc=$?
        [ "$rc" = 137 ] && kills=$((kills + 1))
    done
    BORDERDESK_DB="$db" "$BD" sync >/dev/null 2>"$WORK/resume.err" || fail "run $run: resume failed: $(cat "$WORK/resume.err")"
    same_db "$WORK/ref.db" "$db" || fail "run $run: differs from the clean sync"
    rm -f "$db" "$db-wal" "$db-shm"
done
[ "$kills" -ge "$RUNS" ] || fail "only $kills of the kills landed while syncing"
echo "sync_crash: $run runs, $kills kills, clean sync ${clean_ms} ms: ok"
