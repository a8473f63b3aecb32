#!/usr/bin/env bash
# import_crash.sh — `import messages` killed with kill -9 at seeded moments while it runs,
# then run again over the same file, must store exactly what one uninterrupted import
# stores: every message once, the same tickets, events, buyers and due states, nothing lost
# and nothing twice. The killed imports commit every 2,500 lines (--batch; the reader thread,
# the batched due-time refresh and the bulk-ingest mode are all inside such a transaction),
# so the 8,000 lines give kills before, between and after the commits; the clean import
# runs with the default batch (one transaction here), so the comparison also shows that
# the batch size changes nothing stored. BORDERDESK_NOW fixes every time the import
# records, so the databases compare row for row.
set -euo pipefail
bin="${BD_BINARY:?set BD_BINARY}"
src="${BD_SOURCE_DIR:?set BD_SOURCE_DIR}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export BORDERDESK_NOW=2026-12-01T00:00:00Z BORDERDESK_HOME="$src"
export BORDERDESK_CONFIG="$src/tests/fixtures/demo/borderdesk.json"
# the sanitizer build is several times slower: fewer kills there
RUNS=${BD_CRASH_RUNS:-$([ "${BD_SANITIZED:-0}" = 1 ] && echo 2 || echo 4)}
RANDOM=${BD_CRASH_SEED:-4242}
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

python3 "$src/scripts/lib/gen_messages.py" 8000 "$work/m.jsonl" "$work/m.csv" 7

# The rows of every table an import writes, in id order, as text.
dump() {
    python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for t in ("shops", "buyers", "tickets", "messages", "events", "loyalty_dirty"):
    for row in db.execute(f"SELECT * FROM {t} ORDER BY 1"):
        print(t, row)
PY
}

t0=$(date +%s%N)
BORDERDESK_DB="$work/clean.db" "$bin" import messages --quiet "$work/m.jsonl"
clean_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
dump "$work/clean.db" > "$work/clean.txt"
total=$(grep -c '^messages ' "$work/clean.txt")
[ "$total" = 8000 ] || fail "clean import stored $total messages, not 8000"

# Kills go on until RUNS have landed while the import was running (after the first commit
# or before it); a kill after the import finished proves nothing and is not counted.
kills=0 partial=0 run=0
while [ "$kills" -lt "$RUNS" ] && [ "$run" -lt $((RUNS * 4)) ]; do
    run=$((run + 1))
    db="$work/run$run.db"
    ms=$(( (RANDOM % 90 + 5) * clean_ms / 100 ))
    BORDERDESK_DB="$db" "$bin" import messages --quiet --batch 2500 "$work/m.jsonl" &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        kills=$((kills + 1))
        stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM messages').fetchone()[0])" "$db" 2>/dev/null || echo 0)
        if [ "$stored" -gt 0 ] && [ "$stored" -lt "$total" ]; then partial=$((partial + 1)); fi
        echo "run $run: killed after ${ms} ms with $stored messages committed"
    else
        wait "$pid" || fail "run $run: the import failed"
    fi
    BORDERDESK_DB="$db" "$bin" import messages --quiet --batch 2500 "$work/m.jsonl" ||
        fail "run $run: re-import failed"
    dump "$db" > "$work/run$run.txt"
    if cmp -s "$work/clean.txt" "$work/run$run.txt"; then
        echo "ok   run $run: the same rows as one clean import"
    else
        fail "run $run: rows differ from one clean import"
        diff "$work/clean.txt" "$work/run$run.txt" | head -5
    fi
done
[ "$kills" -ge "$RUNS" ] || fail "only $kills of $RUNS kills landed while importing"
# at least one kill between two commits: the re-import then resumes a partial database
[ "$partial" -ge 1 ] || echo "note: no kill landed between two commits (machine too fast or too slow)"
echo "$kills kills ($partial after a commit), $fails failures"
[ "$fails" = 0 ]
