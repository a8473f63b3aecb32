#!/usr/bin/env bash
# classify_reader.sh — `borderdesk classify` reads plain lines with its fast reader and hands
# everything else to cJSON: both must say exactly the same. Each line is sent as written
# (the fast reader's kind of line) and with a nested field added (which only cJSON takes);
# the two outputs must be identical, line for line. Also lines only cJSON may judge (bad
# escapes, lone surrogates, wrong types, odd numbers as ids, invalid UTF-8) against the
# error objects the contract promises.
set -uo pipefail
BD=${BD_BINARY:?}
SRC=${BD_SOURCE_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BORDERDESK_HOME=$SRC
unset BORDERDESK_CONFIG
cd "$work"
fails=0
bad() { echo "FAIL: $*" >&2; fails=$((fails+1)); }

python3 - > plain.jsonl <<'PY'
import json
rows = [
    r'{"id": "a", "subject": "Order 028-7391024-4456123", "body": "Where is my parcel? tracking RB719248650CN"}',
    r'{"id":2,"body":"I opened a PayPal dispute for the $62.40"}',
    r'  { "id" : -17 , "body" : "Hola, ¿dónde está mi pedido?" , "lang" : "es" }  ',
    r'{"id": "e", "body": ""}',
    r'{"body": "no id at all, refund please"}',
    r'{"id": null, "subject": null, "lang": null, "body": "null subject and lang"}',
    r'{"id": "esc", "body": "line one\nline two\t\"quoted\" back\\slash \/ sl\u00e9 caf\u00c9 \ud83d\ude00 \u4e2d\u6587"}',
    r'{"id": "subj-esc", "subject": "R\u00e9clamation \u00ab colis \u00bb", "body": "Je n\u2019ai pas re\u00e7u mon colis"}',
    r'{"id": "lang-esc", "lang": "\u0066r", "body": "colis pas arriv\u00e9"}',
    r'{"id": "dup", "body": "first body: where is my order", "body": "second body: thanks!", "id": "other"}',
    r'{"id": "long-lang", "lang": "english-but-much-too-long", "body": "where is my order"}',
    r'{"id": "unknown-lang", "lang": "xx", "body": "where is my order"}',
    r'{"id": "extra", "marketplace": "ebay", "flag": true, "n": 1.5e3, "z": false, "body": "broken item, want a refund"}',
    r'{"id": 123456789, "body": "nine digits"}',
    r'{"id": 0, "body": "zero"}',
    r'{"id": "' + "x" * 300 + r'", "body": "a long id"}',
    r'{"id": "cjk", "body": "还没收到货，已经两个星期了，请退款"}',
    r'{"id": "ru", "body": "Здравствуйте, посылка не пришла"}',
    r'{"id": "ctl", "body": "' + "tab\u0009inside" + r'"}',
]
for r in rows:
    json.loads(r, strict=False)  # every one is JSON (a raw tab: cJSON takes it too)
    print(r)
PY
# the same lines, each with a nested field that only cJSON reads
python3 - plain.jsonl > nested.jsonl <<'PY'
import sys
for l in open(sys.argv[1], encoding="utf-8"):
    l = l.rstrip("\n").rstrip()
    print(l[:-1] + ', "zz": [{"nested": 1}]}')
PY
"$BD" classify --explain < plain.jsonl > fast.out 2> fast.err
rc_fast=$?
"$BD" classify --explain < nested.jsonl > slow.out 2> slow.err
rc_slow=$?
[ "$rc_fast" = 0 ] || bad "plain lines: exit $rc_fast ($(cat fast.err))"
[ "$rc_slow" = 0 ] || bad "nested lines: exit $rc_slow ($(cat slow.err))"
[ "$(wc -l < fast.out)" = "$(wc -l < plain.jsonl)" ] || bad "one result per plain line"
if ! cmp -s fast.out slow.out; then
  bad "the fast reader and cJSON disagree:"; diff fast.out slow.out | head -20 >&2
fi
python3 - fast.out <<'PY' || bad "results of the plain lines"
import json, sys
out = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
by = {}
for o in out:
    by.setdefault(json.dumps(o["id"]), o)
assert out[1]["id"] == 2 and out[2]["id"] == -17 and out[4]["id"] is None and out[5]["id"] is None
assert out[2]["language"] == "es", out[2]
assert out[9]["id"] == "dup" and out[9]["subcategory"] == "tracking", out[9]  # the first "body"
assert out[8]["language"] == "fr", out[8]
assert out[13]["id"] == 123456789 and out[14]["id"] == 0
assert out[15]["id"] == "x" * 300
PY

# lines only cJSON judges: the contract's error objects, the run goes on, exit 3
printf '%s\n' \
  '{"id": "bad-esc", "body": "\q"}' \
  '{"id": "lone", "body": "\ud800 alone"}' \
  '{"id": "nul", "body": "a\u0000b"}' \
  '{"id": true, "body": "x"}' \
  '{"id": "t", "body": null}' \
  '{"id": "s", "subject": 5, "body": "x"}' \
  '{"id": 1.5, "body": "a fractional id"}' \
  '{"id": 12345678901, "body": "a big id"}' \
  '{"id": "u", "body": "x"' \
  '{"id": "v", "body": "x"} trailing' \
  '[1, 2]' > odd.jsonl
printf '{"id": "inv", "body": "caf\xe9 refund"}\n' >> odd.jsonl
"$BD" classify < odd.jsonl > odd.out 2> odd.err
rc=$?
[ "$rc" = 3 ] || bad "odd lines: exit $rc, want 3"
python3 - odd.out <<'PY' || bad "odd lines' results"
import json, sys
out = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(out) == 12, len(out)
err = lambda o: "error" in o
assert err(out[0]) and out[0]["id"] is None, out[0]          # malformed JSON
assert not err(out[1]) or out[1]["id"] is None, out[1]        # cJSON's reading of a lone surrogate
assert not err(out[2]) and out[2]["id"] == "nul", out[2]      # cJSON stops the string at NUL
assert err(out[3]), out[3]
assert err(out[4]) and out[4]["id"] == "t", out[4]
assert err(out[5]) and out[5]["id"] == "s", out[5]
assert not err(out[6]) and out[6]["id"] == 1.5, out[6]
assert not err(out[7]) and out[7]["id"] == 12345678901, out[7]
assert err(out[8]) and err(out[9]) and err(out[10]), out[8:11]
assert not err(out[11]) and out[11]["id"] == "inv", out[11]   # invalid UTF-8 repaired
PY
[ "$fails" = 0 ] && echo "classify_reader: ok" || exit 1
