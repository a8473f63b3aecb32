#!/usr/bin/env bash
# The test mail corpus (tests/fixtures/mail: Amazon and plain buyer mail in 12 languages
# and every charset, well-formed and malformed) through a real Dovecot: every file the
# server stores arrives as exactly one message with its expected order id, language, text
# (must_contain / must_not_contain of expected.jsonl) and attachments, malformed ones with
# their raw source; a second sync stores nothing. mail_corpus.sh checks the parser on the
# same files; this checks what the sync makes of them.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/mail_lib.sh"
CORPUS="$BD_SOURCE_DIR/tests/fixtures/mail"
[ -f "$CORPUS/expected.jsonl" ] || fail "the test mail corpus is missing ($CORPUS)"
start_dovecot
imap_create Corpus
# an IMAP server refuses to store a zero-byte message: the empty file stays out
find "$CORPUS/eml" -name '*.eml' -size +0 | sort >"$WORK/corpus.list"
mapfile -t files <"$WORK/corpus.list"
imap_append Corpus "${files[@]}"
cat >"$WORK/corpus.json" <<EOF
{"shops": [{"name": "corpus", "marketplace": "mail",
  "mail": {"imap_url": "$IMAP_BASE/Corpus", "username_env": "MAIL_USER",
           "password_env": "MAIL_PASSWORD", "from": "shop@corpus.example", "page_size": 25}}]}
EOF
export BORDERDESK_CONFIG="$WORK/corpus.json" BORDERDESK_DB="$WORK/corpus.db"
"$BD" sync >/dev/null || fail "corpus sync failed"
"$BD" sync --json >"$WORK/c2.json" || fail "second corpus sync failed"
"$PY" "$LIB/mail_corpus_check.py" "$WORK/corpus.db" "$CORPUS" "$WORK/corpus.list" "$WORK/c2.json"
echo "mail_sync_corpus: ok"
