#!/usr/bin/env bash
# mail_corpus.sh — `borderdesk mail parse` over the test mail corpus (tests/fixtures/mail/):
# every expectation of expected.jsonl (addresses, order ids, decoded text, stripped quotes
# and footers, charsets, attachments, errors for the malformed files), the language
# `borderdesk classify` gives every parsed text, and that the committed corpus is exactly
# what generate.py makes from sources.py. The parser's output is kept in the build
# directory (mail-corpus-parsed.jsonl) for whoever has to read a failure.
set -uo pipefail
BD=${BD_BINARY:?}
SRC=${BD_SOURCE_DIR:?}
CORPUS=$SRC/tests/fixtures/mail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BORDERDESK_DB=$work/bd.db
export BORDERDESK_HOME=$SRC
unset BORDERDESK_CONFIG
cd "$work"
save=${BD_BUILD_DIR:-$work}/mail-corpus-parsed.jsonl

status=0
/usr/bin/python3 "$CORPUS/generate.py" --check || status=1
/usr/bin/python3 "$CORPUS/check.py" --binary "$BD" --save "$save" || status=1
exit $status
