#!/usr/bin/env bash
# users.sh — `borderdesk user` (add with a password, passwd, role, disable/enable, tokens)
# and `borderdesk serve` start-up errors, on a temporary database.
set -uo pipefail
BD=${BD_BINARY:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BORDERDESK_DB=$work/bd.db BORDERDESK_USER=root.admin
unset BORDERDESK_CONFIG
cd "$work"
fails=0; passes=0
ok()   { passes=$((passes+1)); }
bad()  { echo "FAIL: $*" >&2; fails=$((fails+1)); }
check() { local want=$1 got=$2 what=$3; [ "$want" = "$got" ] && ok || bad "$what: want '$want', got '$got'"; }
run()  { "$BD" "$@" >"$work/out" 2>"$work/err"; echo $?; }
q() { sqlite3 "$BORDERDESK_DB" "$1"; }

check 0 "$(run init)" "init"
check 0 "$(echo 'first-pass-1' | run user add ann --role lead --password-stdin)" "add with password"
check 3 "$(echo 'short' | run user add bob --password-stdin)" "too short a password"
check 2 "$(run user add 'Bad Name')" "bad login name"
check 2 "$(run user add carl --role king)" "unknown role"
check 0 "$(run user add carl)" "add without password"
check "" "$(q "SELECT password_hash FROM users WHERE name = 'carl'")" "no password: no hash"
q "SELECT password_hash FROM users WHERE name = 'ann'" | grep -q '^\$argon2id\$' && ok || bad "argon2id hash stored"
q "SELECT count(*) FROM users WHERE password_hash LIKE '%first-pass-1%'" | grep -qx 0 && ok || bad "password not in clear"
old=$(q "SELECT password_hash FROM users WHERE name = 'ann'")
check 0 "$(echo 'second-pass-2' | run user passwd ann)" "passwd from stdin"
[ "$old" != "$(q "SELECT password_hash FROM users WHERE name = 'ann'")" ] && ok || bad "passwd changes the hash"
check 1 "$(echo 'second-pass-2' | run user passwd ghost)" "passwd of an unknown user"
check 3 "$(run user passwd ann </dev/null)" "passwd with no input"
check 0 "$(run user role carl admin)" "role"
check admin "$(q "SELECT role FROM users WHERE name = 'carl'")" "role stored"
check 2 "$(run user role carl king)" "unknown role"

# tokens: printed once on stdout, stored as a hash
check 0 "$(run user token create ann --scope write --label ci)" "token create"
token=$(cat out)
[[ "$token" =~ ^bdt_[A-Za-z0-9_-]{43}$ ]] && ok || bad "token format: $token"
grep -q "shown once" err && ok || bad "token create says it is shown once"
check 0 "$(q "SELECT count(*) FROM api_tokens WHERE token_hash = '$token' OR label = '$token'")" "token not stored in clear"
check 64 "$(q "SELECT length(token_hash) FROM api_tokens WHERE label = 'ci'")" "sha-256 hex stored"
check 2 "$(run user token create ann --scope root)" "unknown scope"
check 2 "$(run user token create ann)" "scope required"
check 1 "$(run user token create ghost --scope read)" "token of an unknown user"
check 0 "$(run user token list --json)" "token list"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert len(t)==1 and t[0]["user"]=="ann" and t[0]["scope"]=="write" and t[0]["revoked_at"] is None and "token" not in t[0]' out && ok || bad "token list JSON: $(cat out)"
grep -q "$token" out && bad "token list shows the secret" || ok
id=$(q "SELECT id FROM api_tokens WHERE label = 'ci'")
check 0 "$(run user token revoke "$id")" "revoke"
check 1 "$(run user token revoke "$id")" "revoke twice"
check 2 "$(run user token revoke abc)" "revoke a non-id"

# disable / enable, and every change is in the audit log with the acting user
check 0 "$(run user disable carl)" "disable"
check 1 "$(run user disable ghost)" "disable an unknown user"
check 0 "$(run user enable carl)" "enable"
check "user_added user_added password_changed role_changed token_created token_revoked user_disabled user_enabled" \
  "$(q "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM events WHERE actor = 'root.admin' ORDER BY id)")" "audit log"

# serve: help, routes, bad options, bad database, port in use
check 0 "$(run serve --help)" "serve --help"
check 0 "$(run serve --routes)" "serve --routes"
grep -q '^GET /api/v1/tickets/{id} agent read$' out && ok || bad "route table: $(head -3 out)"
check 2 "$(run serve --listen nonsense:port)" "bad --listen"
check 2 "$(run serve --threads 0)" "bad --threads"
echo "not a database" > text.db
check 1 "$(BORDERDESK_DB=$work/text.db run serve --listen 127.0.0.1:0)" "serve on a text file"
check 1 "$(run serve --listen 999.1.1.1:0)" "serve on a bad address"
python3 - "$BD" <<'PY' && ok || bad "port in use"
import socket, subprocess, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
p = subprocess.run([sys.argv[1], "serve", "--listen", "127.0.0.1:%d" % s.getsockname()[1]],
                   capture_output=True, text=True, timeout=60)
assert p.returncode == 1 and "cannot listen" in p.stderr, (p.returncode, p.stderr)
PY

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
