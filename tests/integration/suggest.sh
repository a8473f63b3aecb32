#!/usr/bin/env bash
# suggest.sh — `templates check` on the bundled library and `suggest` on demo tickets.
set -uo pipefail
BD=${BD_BINARY:?}
SRC=${BD_SOURCE_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BORDERDESK_DB=$work/bd.db BORDERDESK_HOME=$SRC
unset BORDERDESK_CONFIG
cd "$work"
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails+1)); }

"$BD" templates check > check.out 2> check.err && ok || bad "templates check: $(tail -3 check.out; cat check.err)"
grep -q "0 problems, 0 gaps" check.out && ok || bad "templates check summary: $(tail -1 check.out)"

# a broken library: a bad header, an unknown name, an unclosed section -> exit 3 with positions
mkdir -p lib/en/shipping lib/en/other
printf '{{! title: T }}\n{{order.colour}}\n' > lib/en/shipping/delay.mustache
printf 'no header\n' > lib/en/shipping/tracking.mustache
printf '{{! title: T }}\n{{#order.id}}\n' > lib/en/other/unknown.mustache
"$BD" templates check --dir lib > bad.out 2> bad.err; rc=$?
[ $rc -eq 3 ] && ok || bad "broken library exit $rc"
grep -q 'delay.mustache:2:1: "order.colour" is not in the documented context' bad.err && ok || bad "unknown name: $(cat bad.err)"
grep -q 'tracking.mustache:1:1: a template opens with a header' bad.err && ok || bad "no header: $(cat bad.err)"
grep -q 'unknown.mustache:2:1: unclosed section' bad.err && ok || bad "unclosed: $(cat bad.err)"

"$BD" import orders "$SRC/tests/fixtures/demo/orders.jsonl" >/dev/null
"$BD" import messages "$SRC/tests/fixtures/demo/messages.jsonl" >/dev/null
for id in $(sqlite3 "$BORDERDESK_DB" "SELECT id FROM tickets ORDER BY id LIMIT 12"); do
  "$BD" suggest "$id" --json --limit 3 > s.json 2> s.err || { bad "suggest $id: $(cat s.err)"; continue; }
  lang=$(sqlite3 "$BORDERDESK_DB" "SELECT coalesce(t.language, b.language, 'en') FROM tickets t JOIN buyers b ON b.id=t.buyer_id WHERE t.id=$id")
  python3 - "$lang" s.json <<'PY' && ok || bad "suggest $id JSON ($lang): $(head -c 400 s.json)"
import json, sys
lang, s = sys.argv[1], json.load(open(sys.argv[2]))
assert 1 <= len(s) <= 3, len(s)
for x in s:
    for k in ("template_id", "title", "language", "fallback", "score", "text", "missing"):
        assert k in x, k
    assert "{{" not in x["text"] and x["text"].strip()
    assert x["language"] == lang or x["fallback"], (x["language"], lang)
PY
done
"$BD" suggest 99999 > /dev/null 2>&1; [ $? -eq 1 ] && ok || bad "suggest on a missing ticket"

echo "suggest.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
