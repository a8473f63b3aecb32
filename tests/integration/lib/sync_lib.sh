# lib/sync_lib.sh — shared by the sync integration tests (sourced; CMake runs only
# tests/integration/*.sh, so this file is no test of its own).
# Starts the marketplace simulator on a free loopback port and always stops it.
set -euo pipefail
: "${BD_BINARY:?BD_BINARY must point at the borderdesk binary}"
: "${BD_SOURCE_DIR:?BD_SOURCE_DIR must point at the source tree}"
BD="$BD_BINARY"
# Debian's interpreter directly: version-manager shims can cost a second per start.
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
SIM="$BD_SOURCE_DIR/tests/simulator/sim.py"
DUMP="$BD_SOURCE_DIR/tests/integration/lib/sync_dump.py"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bdsync.XXXXXX")"
SIM_PIDS=()

cleanup() {
    local rc=$?
    set +e
    for p in "${SIM_PIDS[@]:-}"; do
        [ -n "$p" ] && { kill "$p"; wait "$p"; } 2>/dev/null
    done
    if [ $rc -ne 0 ]; then
        echo "--- simulator log (tail) ---" >&2
        tail -20 "$WORK"/sim*.log 2>/dev/null >&2 || true
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_sim NAME [simulator options...]: sets PORT and URL; the simulator's log is
# $WORK/sim-NAME.log.
start_sim() {
    local name=$1; shift
    rm -f "$WORK/port-$name"
    "$PY" "$SIM" --port 0 --port-file "$WORK/port-$name" "$@" >"$WORK/sim-$name.log" 2>&1 &
    SIM_PIDS+=($!)
    for _ in $(seq 1 200); do
        [ -s "$WORK/port-$name" ] && break
        kill -0 "${SIM_PIDS[-1]}" 2>/dev/null || fail "simulator did not start: $(cat "$WORK/sim-$name.log")"
        sleep 0.05
    done
    [ -s "$WORK/port-$name" ] || fail "simulator did not report its port"
    PORT=$(cat "$WORK/port-$name")
    URL="http://127.0.0.1:$PORT"
}

stop_sim() {
    local p=${SIM_PIDS[-1]}
    { kill "$p"; wait "$p"; } 2>/dev/null || true
    unset 'SIM_PIDS[-1]'
}

sim_get() { curl -sS --max-time 10 "$URL/_sim/$1"; }
sim_post() { curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' -d "$2" "$URL/_sim/$1"; }
set_faults() { sim_post faults "{\"faults\": $1}" >/dev/null; }

# write_config FILE [python expression applied to each shop dict s]: the simulator's
# shops (limits off unless the expression sets them) and exports their secrets.
write_config() {
    local file=$1 tweak=${2:-}
    sim_get config >"$WORK/simconfig.json"
    "$PY" - "$WORK/simconfig.json" "$file" "$tweak" >"$WORK/env.sh" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for s in c["shops"]:
    s["rate_limits"] = False
    s["retry_base_ms"] = 20
    s["retry_max_ms"] = 300
    s["timeout_ms"] = 5000
    if sys.argv[3]:
        exec(sys.argv[3], {"s": s})
json.dump({"shops": c["shops"]}, open(sys.argv[2], "w"), indent=1)
for k, v in c["env"].items():
    print("export %s='%s'" % (k, v))
PY
    # shellcheck disable=SC1091
    . "$WORK/env.sh"
}

dump() { "$PY" "$DUMP" "$1"; }

# same_db A B: identical orders, messages, tickets, feedback (ids and clocks aside)
same_db() {
    dump "$1" >"$WORK/a.txt"; dump "$2" >"$WORK/b.txt"
    if ! cmp -s "$WORK/a.txt" "$WORK/b.txt"; then
        diff "$WORK/a.txt" "$WORK/b.txt" | head -20 >&2
        return 1
    fi
}

count() { "$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$1" "$2"; }
