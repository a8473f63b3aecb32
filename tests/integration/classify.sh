#!/usr/bin/env bash
# classify.sh — `borderdesk classify`, `borderdesk rules check` and classification on import,
# end to end: output order, malformed lines, exit codes, broken rules files, ticket category,
# priority and repeated contact.
set -uo pipefail
BD=${BD_BINARY:?}
SRC=${BD_SOURCE_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BORDERDESK_DB=$work/bd.db
export BORDERDESK_HOME=$SRC
unset BORDERDESK_CONFIG
cd "$work"
fails=0; passes=0
ok()   { passes=$((passes+1)); }
bad()  { echo "FAIL: $*" >&2; fails=$((fails+1)); }
check() { local want=$1 got=$2 what=$3; [ "$want" = "$got" ] && ok || bad "$what: want '$want', got '$got'"; }
jq_() { python3 -c "import json,sys; [print(eval(sys.argv[1], {'d': json.loads(l)})) for l in sys.stdin]" "$1"; }

check 0 "$("$BD" classify --help >/dev/null; echo $?)" "classify --help"
check 0 "$("$BD" rules --help >/dev/null; echo $?)" "rules --help"
check 2 "$("$BD" classify --bogus </dev/null 2>/dev/null; echo $?)" "unknown option"
check 2 "$("$BD" rules frob 2>/dev/null; echo $?)" "rules without check"

# --- JSON Lines in, same order out; a malformed line gives an error object and exit 3
cat > in.jsonl <<'JSONL'
{"id": "a", "subject": "Order 028-7391024-4456123", "body": "Where is my parcel? tracking RB719248650CN"}
{"id": 2, "body": "I opened a PayPal dispute for the $62.40"}
this is not json

{"id": "c", "body": 42}
{"id": "d", "body": "Hola, ¿dónde está mi pedido?", "lang": "es"}
{"id": "e", "body": ""}
JSONL
"$BD" classify < in.jsonl > out.jsonl 2> err.txt
check 3 "$?" "exit code with malformed lines"
check 6 "$(wc -l < out.jsonl)" "one output line per non-blank input line"
check "a|2|None|c|d|e" "$(jq_ 'd["id"]' < out.jsonl | paste -sd'|')" "ids in input order"
check "shipping/tracking" "$(sed -n 1p out.jsonl | jq_ 'd["category"]+"/"+d["subcategory"]')" "line 1 category"
check "028-7391024-4456123 RB719248650CN" "$(sed -n 1p out.jsonl | jq_ 'd["entities"]["order_id"]+" "+d["entities"]["tracking_number"]')" "line 1 entities"
check "chargeback urgent ['threatens_dispute']" "$(sed -n 2p out.jsonl | jq_ 'd["subcategory"]+" "+d["urgency"]+" "+str(d["flags"])')" "line 2"
check "62.40 USD" "$(sed -n 2p out.jsonl | jq_ 'd["entities"]["amount"]["value"]+" "+d["entities"]["amount"]["currency"]')" "line 2 amount"
check "True" "$(sed -n 3p out.jsonl | jq_ '"error" in d and d["id"] is None')" "malformed line: error, id null"
check "True" "$(sed -n 4p out.jsonl | jq_ '"error" in d and d["id"] == "c"')" "body not a string"
check "es" "$(sed -n 5p out.jsonl | jq_ 'd["language"]')" "lang given"
check "other/unknown" "$(sed -n 6p out.jsonl | jq_ 'd["category"]+"/"+d["subcategory"]')" "empty body"
grep -q "line 3:" err.txt && ok || bad "stderr names line 3: $(cat err.txt)"
check "False" "$(sed -n 1p out.jsonl | jq_ '"rules" in d')" "no rules without --explain"
echo '{"id": 1, "body": "the mug arrived broken, refund please"}' | "$BD" classify --explain > ex.jsonl
check "0 damaged True" "$?"" $(jq_ 'd["subcategory"]+" "+str("en.disp.damaged.broken" in d["rules"])' < ex.jsonl)" "--explain lists the rules"
printf '{"id": 1, "body": "bad \xff\xfe bytes, refund"}\n' | "$BD" classify > bin.jsonl
check "0 refund" "$?"" $(jq_ 'd["subcategory"]' < bin.jsonl)" "invalid UTF-8 is repaired"

# --- rules directories: a broken pattern is refused with file, rule id and PCRE2's message
check 1 "$("$BD" classify --rules "$work/none" </dev/null 2>/dev/null; echo $?)" "missing rules dir"
mkdir -p broken/en
cat > broken/en/rules.json <<'JSON'
{"language": "en", "rules": [
 {"id": "en.ok", "category": "dispute", "subcategory": "refund", "patterns": ["refund"]},
 {"id": "en.bad", "category": "dispute", "subcategory": "refund", "patterns": ["(refund"]}
]}
JSON
"$BD" classify --rules broken </dev/null 2> err.txt
check 1 "$?" "classify refuses a broken rules file"
grep -q 'broken/en/rules.json: rule "en.bad": pattern 1 "(refund" does not compile: missing closing parenthesis' err.txt && ok || bad "load error: $(cat err.txt)"
"$BD" rules check --rules broken > check.txt
check 3 "$?" "rules check exit code with errors"
grep -q 'rule "en.bad": error: pattern 1' check.txt && ok || bad "rules check output: $(cat check.txt)"
"$BD" rules check > check.txt
check 0 "$?" "shipped rules are clean: $(tail -1 check.txt)"

# --- a script that writes a line and waits for its result gets it at once (lines are
# classified in batches, but a batch does not wait for lines that have not come)
coproc CL { "$BD" classify; }
echo '{"id": "c1", "body": "where is my parcel?"}' >&"${CL[1]}"
read -t 20 -r first <&"${CL[0]}"
echo '{"id": "c2", "body": "I want a refund"}' >&"${CL[1]}"
read -t 20 -r second <&"${CL[0]}"
exec {CL[1]}>&-
wait "$CL_PID"
case $first in *'"id":"c1"'*'"subcategory":"tracking"'*) ok ;; *) bad "first answer before the second line: $first" ;; esac
case $second in *'"id":"c2"'*'"subcategory":"refund"'*) ok ;; *) bad "second answer: $second" ;; esac

# --- import: tickets take the category of their latest unanswered buyer message
m() { printf '{"shop": "s1", "marketplace": "ebay", "external_id": "%s", "buyer": {"external_id": "b1"}, "order_id": "12-10345-67890", "direction": "%s", "body": "%s", "sent_at": "%s"}\n' "$@"; }
{ m m1 in "Where is my parcel? Can you send the tracking number?" 2026-11-01T10:00:00Z
  m m2 in "Still nothing. The item is broken anyway, I saw the photos" 2026-11-02T10:00:00Z; } > msgs.jsonl
check 0 "$("$BD" import messages msgs.jsonl >/dev/null; echo $?)" "import messages"
check "dispute|damaged|en|3" "$(sqlite3 bd.db "SELECT category, subcategory, language, priority FROM tickets")" "ticket follows the latest message; repeated contact raises priority"
check 1 "$(sqlite3 bd.db "SELECT count(*) FROM messages WHERE external_id = 'm2' AND classification LIKE '%repeated_contact%'")" "repeated_contact on the second message"
check 0 "$(sqlite3 bd.db "SELECT count(*) FROM messages WHERE external_id = 'm1' AND classification LIKE '%repeated_contact%'")" "no repeated_contact on the first"
# an older message imported late leaves the ticket alone, but is classified itself
m m0 in "Can I pay with PayPal?" 2026-10-30T10:00:00Z > late.jsonl
"$BD" import messages late.jsonl >/dev/null
check "dispute|damaged" "$(sqlite3 bd.db "SELECT category, subcategory FROM tickets")" "late older message does not change the ticket"
check "payment" "$(sqlite3 bd.db "SELECT subcategory FROM messages WHERE external_id = 'm0'")" "late message classified"
# after a reply the buyer's next message is not a repeated contact
m r1 out "Sorry, we send a new one today" 2026-11-03T10:00:00Z > reply.jsonl
m m3 in "Thank you, received the new one, all good" 2026-11-05T10:00:00Z >> reply.jsonl
"$BD" import messages reply.jsonl >/dev/null
check "other|greeting|0" "$(sqlite3 bd.db "SELECT category, subcategory, priority FROM tickets")" "answered, then thanks"
# outbound messages are not classified
check "" "$(sqlite3 bd.db "SELECT classification FROM messages WHERE external_id = 'r1'")" "seller message unclassified"

echo "classify.sh: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
