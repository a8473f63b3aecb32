#!/usr/bin/env bash
# template_render.sh — `borderdesk template render`: byte-for-byte output, partials from a
# directory with standalone indentation, fill.* markers, and the exit codes 2 and 3.
set -u
bin=${BD_BINARY:-build/borderdesk}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # name, expected, actual
    if [ "$2" != "$3" ]; then
        printf 'FAIL %s\n  expected: %q\n  got:      %q\n' "$1" "$2" "$3"
        fails=$((fails + 1))
    fi
}

mkdir -p "$tmp/partials/common"
printf '{{! title: test }}\nDear {{buyer.name}},\r\n  {{>common/sig}}\n{{#order.items}}- {{title}} x{{quantity}}\n{{/order.items}}{{fill.coupon}}' >"$tmp/t.mustache"
printf '%s\n%s' 'Kind regards,' '{{{shop.name}}}' >"$tmp/partials/common/sig.mustache"
printf '{"buyer":{"name":"Zoë <Z>"},"shop":{"name":"A&B"},"order":{"items":[{"title":"Mug","quantity":2}]}}' >"$tmp/d.json"
"$bin" template render "$tmp/t.mustache" --data "$tmp/d.json" --partials "$tmp/partials" >"$tmp/out"
check "render exit" 0 $?
printf 'Dear Zoë &lt;Z&gt;,\r\n  Kind regards,\n  A&B- Mug x2\n[[coupon]]' >"$tmp/want"
cmp -s "$tmp/want" "$tmp/out" || { echo "FAIL render bytes"; od -c "$tmp/out" | head; fails=$((fails + 1)); }

printf 'ok {{#a}}\n{{/b}}\n' >"$tmp/bad.mustache"
err=$("$bin" template render "$tmp/bad.mustache" --data "$tmp/d.json" 2>&1 >/dev/null)
check "template error exit" 3 $?
check "template error message" "$tmp/bad.mustache:2:1: closing tag \"b\" does not match section \"a\" opened at 1:4" "$err"

printf '{"a": [1,\n 2,,]}' >"$tmp/bad.json"
err=$("$bin" template render "$tmp/t.mustache" --data "$tmp/bad.json" 2>&1 >/dev/null)
check "bad data exit" 3 $?
case "$err" in "$tmp/bad.json:2:"*) ;; *) check "bad data message" "$tmp/bad.json:2:..." "$err" ;; esac

"$bin" template render "$tmp/t.mustache" >/dev/null 2>&1
check "usage exit (no --data)" 2 $?
"$bin" template render >/dev/null 2>&1
check "usage exit (no FILE)" 2 $?
"$bin" template render --help | grep -q 'usage: borderdesk template render'
check "help" 0 $?

[ "$fails" -eq 0 ] && echo "template_render: all checks passed"
exit "$fails"
