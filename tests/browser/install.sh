#!/usr/bin/env bash
# install.sh — installs tests/browser/node_modules (playwright-core) from the npm registry
# exactly as package-lock.json pins it (`npm ci`); does nothing when the installed tree
# already matches the lock file. Safe to run from parallel test runs (flock).
set -euo pipefail
cd "$(dirname "$0")"
exec 9>node_modules.lock
flock 9
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f node_modules/.bd-lock-sha256 ] && [ "$(cat node_modules/.bd-lock-sha256)" = "$want" ]; then
  exit 0
fi
echo "tests/browser: npm ci (playwright-core from the npm registry)" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" >node_modules/.bd-lock-sha256
