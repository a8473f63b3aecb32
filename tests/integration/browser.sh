#!/usr/bin/env bash
# browser.sh — the web UI in a real browser: Debian's chromium, headless, driven by
# playwright-core (tests/browser/*.mjs), against `borderdesk serve` on free loopback ports:
#  - the main database (tests/browser/seed-main.sh): the demo data, fresh tickets, XSS
#    payloads, satisfaction surveys and feedback over six weeks, a buyer at risk of
#    churning, open surveys for the survey page, an agent and a lead with passwords;
#  - a database with 100,000 open tickets filled straight through SQLite (the inbox's
#    first page is timed and the time printed).
# Screenshots go to $BD_BUILD_DIR/browser-shots. Exit 77 (ctest: skipped) only when chromium
# is not installed and scripts/setup cannot install it.
set -euo pipefail

src="${BD_SOURCE_DIR:?set BD_SOURCE_DIR}"
bin="${BD_BINARY:?set BD_BINARY}"
build="${BD_BUILD_DIR:-$PWD}"
browser_dir="$src/tests/browser"
shots="$build/browser-shots"

# ---- chromium, node, npm (Debian packages from scripts/setup) ----
if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser.sh: chromium, node or npm missing: running scripts/setup" >&2
  "$src/scripts/setup" >&2 || echo "browser.sh: scripts/setup failed" >&2
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "SKIP: /usr/bin/chromium is not installed and scripts/setup could not install the Debian" \
       "package chromium here; the browser tests did not run." >&2
  exit 77
fi
for tool in node npm sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "browser.sh: $tool is missing (scripts/setup installs it)" >&2; exit 1; }
done
"$browser_dir/install.sh"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
export BORDERDESK_USER=setup
unset BORDERDESK_NOW

# ---- the main database (tests/browser/seed-main.sh, shared with browser_firefox.sh) ----
. "$src/tests/browser/seed-main.sh"

# ---- 100,000 open tickets, straight into SQLite (like scripts/bench-serve) ----
big_n=100000
big_db="$work/big.db"
BORDERDESK_DB="$big_db" "$bin" init >/dev/null
now=$(date +%s)
buyers=$(( big_n / 3 + 1 ))
sqlite3 "$big_db" >/dev/null <<SQL
PRAGMA synchronous=OFF;
BEGIN;
INSERT INTO shops(id, name, marketplace, created_at) VALUES
  (1, 'amazon-de', 'amazon', 0), (2, 'ebay-us', 'ebay', 0), (3, 'shopee-sg', 'shopee', 0), (4, 'amazon-jp', 'amazon', 0);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $buyers)
INSERT INTO buyers(id, shop_id, external_id, name, country, language, created_at, updated_at)
SELECT i, 1 + i % 4, 'B' || i, 'Buyer ' || i,
       CASE i % 4 WHEN 0 THEN 'JP' WHEN 1 THEN 'DE' WHEN 2 THEN 'US' ELSE 'SG' END,
       CASE i % 4 WHEN 0 THEN 'ja' WHEN 1 THEN 'de' WHEN 2 THEN 'en' ELSE 'zh' END, $now - 864000, $now - 864000 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $big_n)
INSERT INTO orders(id, shop_id, external_id, buyer_id, status, purchased_at, updated_at, currency, total, total_micros,
                   carrier, tracking_number, shipped_at)
SELECT i, 1 + (1 + i % $buyers) % 4, 'O-' || i, 1 + i % $buyers, 'Shipped', $now - 700000 + i, $now - 600000 + i, 'EUR',
       '23.90', 23900000, 'DHL', 'JJD' || (100000000 + i), $now - 500000 + i FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $big_n)
INSERT INTO order_items(order_id, position, sku, title, quantity, price)
SELECT i, 0, 'SKU-' || (i % 500), 'USB-C charger 65W', 1 + i % 3, '23.90' FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $big_n)
INSERT INTO tickets(id, shop_id, buyer_id, order_id, order_external_id, thread_key, status, subject, category,
                    subcategory, language, priority, created_at, updated_at, last_message_at, last_inbound_at)
SELECT i, 1 + (1 + i % $buyers) % 4, 1 + i % $buyers, i, 'O-' || i, 'o:O-' || i,
       CASE WHEN i % 4 = 0 THEN 'open' ELSE 'new' END, 'Where is my order O-' || i || '?', 'shipping', 'tracking',
       CASE (1 + i % $buyers) % 4 WHEN 0 THEN 'ja' WHEN 1 THEN 'de' WHEN 2 THEN 'en' ELSE 'zh' END,
       (i * 7) % 4, $now - (i * 3) % 172800, $now - (i * 3) % 172800, $now - (i * 3) % 172800, $now - (i * 3) % 172800 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $big_n)
INSERT INTO messages(id, shop_id, external_id, ticket_id, buyer_id, direction, kind, author, subject, body, sent_at,
                     order_external_id, created_at)
SELECT i, 1 + (1 + i % $buyers) % 4, 'M-' || i, i, 1 + i % $buyers, 'in', 'public', 'Buyer ' || (1 + i % $buyers),
       'Where is my order O-' || i || '?', 'Hello, the tracking of order O-' || i || ' has not moved for a week.',
       $now - (i * 3) % 172800, 'O-' || i, $now - (i * 3) % 172800 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $big_n)
INSERT INTO events(ticket_id, actor, kind, detail, at)
SELECT i, 'import', 'created', '{"status":"new"}', $now - (i * 3) % 172800 FROM c;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
ANALYZE;
SQL
big_open=$(sqlite3 "$big_db" "SELECT count(*) FROM tickets WHERE status IN ('new', 'open')")
BORDERDESK_DB="$big_db" "$bin" user add alice --role agent --display-name "Alice Wang" --password-stdin <<<"$pass_agent" >/dev/null
BORDERDESK_DB="$big_db" "$bin" user add lena --role lead --password-stdin <<<"$pass_lead" >/dev/null
big_token=$(BORDERDESK_DB="$big_db" "$bin" user token create lena --scope read 2>/dev/null)
echo "browser.sh: $big_open open tickets in the big database" >&2

# ---- the servers ----
start_server() { # DB NAME -> sets $url
  BORDERDESK_DB="$1" "$bin" serve --listen 127.0.0.1:0 >"$work/$2.out" 2>"$work/$2.log" &
  pids+=($!)
  local port=""
  for _ in $(seq 1 1200); do # up to 2 minutes on a loaded machine
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$2.out")
    [ -n "$port" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "browser.sh: serve ($2) did not start" >&2; cat "$work/$2.log" >&2; exit 1; }
  url="http://127.0.0.1:$port"
}
# every due state recomputed once (the scheduler's first sla-refresh) before the pages look
wait_refreshed() { # URL TOKEN
  for _ in $(seq 1 1200); do
    if curl -sf -H "Authorization: Bearer $2" "$1/api/v1/scheduler" |
       python3 -c 'import json,sys; t={x["name"]: x for x in json.load(sys.stdin)["tasks"]}; sys.exit(0 if t["sla-refresh"]["runs"] >= 1 and not t["sla-refresh"]["running"] else 1)'; then
      return 0
    fi
    sleep 0.1
  done
  echo "browser.sh: the first sla-refresh did not finish" >&2
  exit 1
}
start_server "$BORDERDESK_DB" main
main_url=$url
start_server "$big_db" big
big_url=$url
wait_refreshed "$main_url" "$token_lead"
wait_refreshed "$big_url" "$big_token"

mkdir -p "$shots"
find "$shots" -maxdepth 1 -name '*.png' ! -name 'firefox-*' -delete # browser_firefox.sh's stay
status=0
BD_URL="$main_url" BD_BIG_URL="$big_url" BD_SHOTS="$shots" BD_SOURCE_DIR="$src" BD_BINARY="$bin" \
BD_TOKEN_AGENT="$token_agent" BD_TOKEN_LEAD="$token_lead" BD_BIG_TOKEN="$big_token" BD_BIG_OPEN="$big_open" \
BD_PASS_AGENT="$pass_agent" BD_PASS_LEAD="$pass_lead" \
  node "$browser_dir/run.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "---- server log (main, last 40 lines)" >&2
  tail -40 "$work/main.log" >&2
fi
exit "$status"
