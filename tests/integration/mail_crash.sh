#!/usr/bin/env bash
# kill -9 during an IMAP sync at seeded random moments, then resume: each run must end
# with exactly the messages, tickets and raw sources of one clean sync — no mail lost, none
# stored twice (as tests/integration/sync_crash.sh does for the marketplace APIs). The
# folder holds 240 mails (Amazon relay mails, plain-mail threads whose replies name a
# parent one or more pages back, mails without Message-ID, malformed ones) read in pages
# of 6, so kills land between and inside page commits.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/mail_lib.sh"
DUMP="$LIB/sync_dump.py"
# the sanitizer build is several times slower: fewer runs keep the suite within its budget
if [ "${BD_SANITIZED:-0}" = 1 ]; then RUNS=${BD_CRASH_RUNS:-4}; else RUNS=${BD_CRASH_RUNS:-10}; fi
RANDOM=${BD_CRASH_SEED:-6061}
start_dovecot
"$PY" "$LIB/mail_fixtures.py" "$WORK/bulk" --bulk 240
imap_create Amazon
imap_append Amazon "$WORK"/bulk/*.eml
cat >"$WORK/bd.json" <<EOF
{"shops": [{"name": "shop-mail", "marketplace": "mail",
  "mail": {"imap_url": "$IMAP_BASE/Amazon", "username_env": "MAIL_USER",
           "password_env": "MAIL_PASSWORD", "from": "support@example-shop.com", "page_size": 6}}]}
EOF
export BORDERDESK_CONFIG="$WORK/bd.json"

# how long a sync takes before its first page (start-up, rules, login): the kills aim
# after most of it, at the pages
imap_create Empty
sed 's|/Amazon"|/Empty"|' "$WORK/bd.json" >"$WORK/empty.json"
# a first run may compile the classifier's Hyperscan databases (cached afterwards): measure
# a warm one, as the runs below are
BORDERDESK_CONFIG="$WORK/empty.json" BORDERDESK_DB="$WORK/warm.db" "$BD" sync >/dev/null || fail "warm-up sync failed"
t0=$(date +%s%N)
BORDERDESK_CONFIG="$WORK/empty.json" BORDERDESK_DB="$WORK/empty.db" "$BD" sync >/dev/null || fail "empty sync failed"
base_ms=$(( ($(date +%s%N) - t0) / 1000000 * 3 / 4 ))

t0=$(date +%s%N)
BORDERDESK_DB="$WORK/ref.db" "$BD" sync >/dev/null || fail "clean sync failed"
clean_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$(count "$WORK/ref.db" "select count(*) from messages")" = 240 ] || fail "the clean sync did not store 240 messages"
"$PY" "$DUMP" "$WORK/ref.db" >"$WORK/ref.txt"
grep -q '^source|' "$WORK/ref.txt" || fail "no malformed mail in the clean sync"

same_as_ref() {
    "$PY" "$DUMP" "$1" >"$WORK/run.txt"
    if ! cmp -s "$WORK/ref.txt" "$WORK/run.txt"; then
        diff "$WORK/ref.txt" "$WORK/run.txt" | head -20 >&2
        return 1
    fi
}

kills=0
run=0
while [ "$kills" -lt "$RUNS" ] && [ "$run" -lt $((RUNS * 4)) ]; do
    run=$((run + 1))
    db="$WORK/run$run.db"
    for k in 1 $((RANDOM % 2 + 1)); do
        [ "$k" = 1 ] || [ -f "$db" ] || break
        delay_ms=$(( base_ms + RANDOM % (clean_ms - base_ms + 1) + 1 ))
        BORDERDESK_DB="$db" "$BD" sync >/dev/null 2>&1 &
        pid=$!
        sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
        kill -9 "$pid" 2>/dev/null || true
        # only a sync that died of the signal counts, not one that had finished
        rc=0; wait "$pid" 2>/dev/null || rc=$?
        [ "$rc" = 137 ] && kills=$((kills + 1))
    done
    BORDERDESK_DB="$db" "$BD" sync >/dev/null 2>"$WORK/resume.err" || fail "run $run: resume failed: $(cat "$WORK/resume.err")"
    same_as_ref "$db" || fail "run $run: differs from the clean sync"
    rm -f "$db" "$db-wal" "$db-shm"
done
[ "$kills" -ge "$RUNS" ] || fail "only $kills of the kills landed while syncing"
echo "mail_crash: $run runs, $kills kills, clean sync ${clean_ms} ms (${base_ms} ms before the pages): ok"
