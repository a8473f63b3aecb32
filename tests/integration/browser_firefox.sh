#!/usr/bin/env bash
# browser_firefox.sh — the web UI's important paths in Firefox: Debian's firefox-esr,
# headless, driven over WebDriver BiDi by puppeteer-core (tests/browser/firefox.mjs) against
# `borderdesk serve` on a free loopback port, on the main database of the browser tests
# (tests/browser/seed-main.sh). Screenshots go to $BD_BUILD_DIR/browser-shots/firefox-*.png.
# Exit 77 (ctest: skipped) only when firefox-esr is not installed and scripts/setup cannot
# install it.
set -euo pipefail

src="${BD_SOURCE_DIR:?set BD_SOURCE_DIR}"
bin="${BD_BINARY:?set BD_BINARY}"
build="${BD_BUILD_DIR:-$PWD}"
shots="$build/browser-shots"
firefox=/usr/bin/firefox-esr

if [ ! -x "$firefox" ] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser_firefox.sh: firefox-esr, node or npm missing: running scripts/setup" >&2
  "$src/scripts/setup" >&2 || echo "browser_firefox.sh: scripts/setup failed" >&2
fi
if [ ! -x "$firefox" ]; then
  echo "SKIP: $firefox is not installed and scripts/setup could not install the Debian package" \
       "firefox-esr here; the Firefox browser tests did not run." >&2
  exit 77
fi
for tool in node npm sqlite3 python3 curl; do
  command -v "$tool" >/dev/null || { echo "browser_firefox.sh: $tool is missing (scripts/setup installs it)" >&2; exit 1; }
done
"$src/tests/browser/install.sh"

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export BORDERDESK_USER=setup
unset BORDERDESK_NOW

. "$src/tests/browser/seed-main.sh"

"$bin" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
pid=$!
port=""
for _ in $(seq 1 1200); do # up to 2 minutes on a loaded machine
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "browser_firefox.sh: serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
url="http://127.0.0.1:$port"

mkdir -p "$shots"
rm -f "$shots"/firefox-*.png
# Firefox keeps its caches and crash reports under $HOME: a fresh one per run
export HOME="$work/home"
mkdir -p "$HOME"
status=0
BD_URL="$url" BD_SHOTS="$shots" BD_SOURCE_DIR="$src" BD_BINARY="$bin" BD_FIREFOX="$firefox" \
BD_TOKEN_AGENT="$token_agent" BD_TOKEN_LEAD="$token_lead" BD_PASS_AGENT="$pass_agent" BD_PASS_LEAD="$pass_lead" \
  node "$src/tests/browser/firefox.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "---- server log (last 40 lines)" >&2
  tail -40 "$work/serve.log" >&2
fi
exit "$status"
