#!/usr/bin/env bash
# The mail channel out, against a real SMTP server (aiosmtpd) and a real Dovecot: replies
# to Amazon and plain-mail tickets reach the server with headers a mail client threads
# (From, To, In-Reply-To, References, Message-ID, Date, MIME, UTF-8 text, RFC 2047
# subject), are filed in the Sent folder, and are never delivered twice: a server that
# answers 451 or is stopped is retried and the reply goes out once it is back, a 554 or
# too many failures end on the ticket (reply_failed), a connection dropped after the data
# is reconciled through the Sent folder — or left to a person when there is none — and a
# sender killed while waiting for the answer finds its reply in Sent instead of resending.
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/mail_lib.sh"
start_dovecot
start_smtp
"$PY" "$LIB/mail_fixtures.py" "$WORK/fx"
imap_create Amazon
imap_create Sent
imap_append Amazon "$WORK"/fx/0[123]-*.eml
imap_append INBOX "$WORK"/fx/0[4-7]-*.eml

export AMZ_CLIENT_ID=client AMZ_CLIENT_SECRET=secret AMZ_REFRESH_TOKEN=refresh
cat >"$WORK/bd.json" <<EOF
{"shops": [
 {"name": "amazon-es", "marketplace": "amazon", "endpoint": "http://127.0.0.1:9",
  "marketplace_ids": ["A1RKKUPIHCS9HS"], "lwa_client_id_env": "AMZ_CLIENT_ID",
  "lwa_client_secret_env": "AMZ_CLIENT_SECRET", "refresh_token_env": "AMZ_REFRESH_TOKEN",
  "retry_base_ms": 20, "retry_max_ms": 100, "timeout_ms": 4000,
  "mail": {"imap_url": "$IMAP_BASE/Amazon", "smtp_url": "$SMTP_URL",
           "username_env": "MAIL_USER", "password_env": "MAIL_PASSWORD",
           "from": "support@example-shop.com"}},
 {"name": "shop-mail", "marketplace": "mail", "display_name": "Brightleaf 光叶",
  "retry_base_ms": 20, "retry_max_ms": 100, "timeout_ms": 8000,
  "mail": {"imap_url": "$IMAP_BASE/INBOX", "smtp_url": "$SMTP_URL",
           "username_env": "MAIL_USER", "password_env": "MAIL_PASSWORD",
           "from": "Support@Example-Shop.com", "sent_folder": "Sent"}}]}
EOF
export BORDERDESK_CONFIG="$WORK/bd.json" BORDERDESK_DB="$WORK/a.db"
"$BD" sync --shop amazon-es --resource messages >/dev/null || fail "amazon sync failed"
"$BD" sync --shop shop-mail >/dev/null || fail "mail sync failed"

tid() { count "$WORK/a.db" "select ticket_id from messages where external_id = '$1'"; }
reply() { "$BD" tickets reply "$1" --body "$2" >/dev/null; }
send() { "$BD" outbox send --json >"$WORK/out.json" 2>"$WORK/out.err" || true; }
outcome() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/out.json" "$1"; }
recorded() { # how many recorded messages contain the text (decoded)
    "$PY" - "$SMTP_DIR" "$1" <<'PY'
import email, email.policy, glob, sys
n = 0
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    if sys.argv[2] in m.get_content():
        n += 1
print(n)
PY
}
status_of() { count "$WORK/a.db" "select o.status from outbox o join messages m on m.id = o.message_id where m.body = '$1'"; }
due_now() { "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("update outbox set next_attempt_at = 0 where status in (\"queued\",\"sending\")"); c.commit()' "$WORK/a.db"; }

T_ES=$(tid es-1@relay.amazon.es); T_FR=$(tid fr-2@example.fr); T_RU=$(tid ru-1@example.ru)
[ -n "$T_ES" ] && [ -n "$T_FR" ] && [ -n "$T_RU" ] || fail "tickets to answer not found"
ES_TEXT="Hola Lucía, su pedido salió ayer desde nuestro almacén. Número de seguimiento: ES123456789."
FR_TEXT="Bonjour Élodie, oui : la lampe fonctionne en 220 V et la garantie de 2 ans vaut en France."
RU_TEXT="Здравствуйте, Иван! Конечно, пришлите куртку обратно, и мы отправим размер больше."
reply "$T_ES" "$ES_TEXT"; reply "$T_FR" "$FR_TEXT"; reply "$T_RU" "$RU_TEXT"
send
[ "$(outcome sent)" = 3 ] || fail "3 replies should be sent: $(cat "$WORK/out.json" "$WORK/out.err")"
for t in "$ES_TEXT" "$FR_TEXT" "$RU_TEXT"; do
    [ "$(recorded "$t")" = 1 ] || fail "\"$t\" reached the server $(recorded "$t") times"
done

# what a mail client sees: parsed with Python's email package
"$PY" - "$SMTP_DIR" "$WORK/a.db" <<'PY'
import email, email.policy, glob, json, re, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
def ticket_of(ext):
    return db.execute("select ticket_id from messages where external_id = ?", (ext,)).fetchone()[0]
want = {
    "8k2lq9x3m7@marketplace.amazon.es": dict(irt="es-1@relay.amazon.es", refs=["es-1@relay.amazon.es"],
        subject="Re: Consulta del cliente sobre el pedido 171-5550001-1000001", text="Hola Lucía",
        from_name="", ticket=ticket_of("es-1@relay.amazon.es")),
    "elodie.martin@example.fr": dict(irt="fr-2@example.fr", refs=["fr-1@example.fr", "fr-2@example.fr"],
        subject="Re: Question sur la lampe", text="Bonjour Élodie", from_name="Brightleaf 光叶",
        ticket=ticket_of("fr-2@example.fr")),
    "ivan.petrov@example.ru": dict(irt="ru-1@example.ru", refs=["ru-1@example.ru"],
        subject="Re: Обмен размера", text="Здравствуйте, Иван!", from_name="Brightleaf 光叶",
        ticket=ticket_of("ru-1@example.ru")),
}
seen = set()
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    raw = open(f, "rb").read()
    env = json.load(open(f[:-4] + ".json"))
    m = email.message_from_bytes(raw, policy=email.policy.default)
    to = m["To"].addresses[0].addr_spec
    w = want[to]
    seen.add(to)
    assert env["rcpt_tos"] == [to] and env["mail_from"] == "support@example-shop.com", env
    assert m["From"].addresses[0].addr_spec == "support@example-shop.com", m["From"]
    assert m["From"].addresses[0].display_name == w["from_name"], m["From"]
    strip = lambda s: s.strip().strip("<>")
    assert strip(m["In-Reply-To"]) == w["irt"], (to, m["In-Reply-To"])
    assert [strip(r) for r in str(m["References"]).split()] == w["refs"], (to, m["References"])
    assert str(m["Subject"]) == w["subject"], (to, str(m["Subject"]))
    assert m.get_content_type() == "text/plain" and m.get_content_charset() == "utf-8", m["Content-Type"]
    assert m["MIME-Version"] == "1.0" and m["Date"] is not None
    assert m["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert m.get_content().startswith(w["text"]), m.get_content()
    mid = strip(m["Message-ID"])
    assert re.fullmatch(r"bd-%d-\d+\.\d+@example-shop\.com" % w["ticket"], mid), mid
    # the raw headers: 7-bit, encoded words for non-ASCII, no line over 78 characters
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(b < 128 for b in head), "8-bit header bytes"
    assert all(len(l) <= 78 for l in head.split(b"\r\n")), "a header line over 78 characters"
    if any(ord(c) > 127 for c in w["subject"]):
        assert b"Subject: =?UTF-8?B?" in head, head
    assert all(len(l) <= 76 for l in raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")), "a body line over 76"
    # the outbox and the reply message carry the Message-ID
    row = db.execute("select o.remote_id, m.external_id from outbox o join messages m on m.id = o.message_id"
                     " where o.ticket_id = ?", (w["ticket"],)).fetchone()
    assert row == (mid, mid), row
assert seen == set(want), seen
PY

# the mail shop's replies are filed in Sent; nothing is due any more
[ "$(imap_uids Sent | wc -l)" = 2 ] || fail "Sent holds $(imap_uids Sent | wc -l) replies, expected 2"
send
[ "$(outcome due)" = 0 ] || fail "replies still due after sending"

# our own reply seen again by a sync (a copy in the inbox) is not stored twice; the buyer's
# answer to it (In-Reply-To our Message-ID only, no order, no References) joins the ticket
FR_MID=$(count "$WORK/a.db" "select remote_id from outbox where ticket_id = $T_FR")
cp "$(grep -l "elodie.martin" "$SMTP_DIR"/*.json | sed 's/json$/eml/')" "$WORK/copy.eml"
printf 'From: "Élodie Martin" <elodie.martin@example.fr>\r\nTo: support@example-shop.com\r\nSubject: Merci\r\nMessage-ID: <fr-3@example.fr>\r\nIn-Reply-To: <%s>\r\nDate: Wed, 07 Jan 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nMerci beaucoup pour votre réponse rapide, je vais commander la lampe aujourd'"'"'hui.\r\n' "$FR_MID" >"$WORK/fr3.eml"
imap_append INBOX "$WORK/copy.eml" "$WORK/fr3.eml"
"$BD" sync --shop shop-mail --json >"$WORK/s.json" || fail "sync failed"
"$PY" -c 'import json,sys; m=json.load(open(sys.argv[1]))["shops"][0]["messages"]; assert m["messages_new"] == 1 and m["messages_seen"] == 1, m' "$WORK/s.json"
[ "$(tid fr-3@example.fr)" = "$T_FR" ] || fail "the buyer's answer to our reply opened ticket $(tid fr-3@example.fr), not $T_FR"

# 451: retried, not delivered, then delivered once the server takes it
smtp_mode 451
T1=$(tid de-1@relay.amazon.de)
reply "$T1" "Sehr geehrter Herr Müller, wir senden Ihnen heute einen Ersatz. (r451)"
send
[ "$(outcome retrying)" = 1 ] || fail "a 451 should leave the reply for a retry: $(cat "$WORK/out.json")"
[ "$(status_of "Sehr geehrter Herr Müller, wir senden Ihnen heute einen Ersatz. (r451)")" = queued ] || fail "451: not queued"
grep -q "451" "$WORK/out.err" || fail "the 451 is not reported: $(cat "$WORK/out.err")"
[ "$(recorded "(r451)")" = 0 ] || fail "a 451 reply was recorded"
smtp_mode normal; due_now; send
[ "$(recorded "(r451)")" = 1 ] || fail "after the 451 the reply was delivered $(recorded "(r451)") times"

# 451 again and again: after max attempts it is marked failed on the ticket
smtp_mode 451
T2=$(tid ja-1@relay.amazon.co.jp)
reply "$T2" "佐藤様、お問い合わせありがとうございます。(r451x)"
send; due_now; send; due_now; send   # 4 attempts per run, 8 in all
[ "$(status_of "佐藤様、お問い合わせありがとうございます。(r451x)")" = failed ] || fail "repeated 451s did not end failed"
"$BD" tickets show "$T2" --json | "$PY" -c '
import json, sys
t = json.load(sys.stdin)
ev = [e for e in t["events"] if e["kind"] == "reply_failed"]
assert ev and "451" in json.dumps(ev[-1]["detail"], ensure_ascii=False), t["events"]
assert [m["delivery"] for m in t["messages"] if m["direction"] == "out"] == ["failed"], t["messages"]'
[ "$(recorded "(r451x)")" = 0 ] || fail "a refused reply was recorded"

# 554: refused for good at once, surfaced on the ticket
smtp_mode 554
T3=$(tid 'es-1@relay.amazon.es')
reply "$T3" "Le escribimos de nuevo sobre su pedido. (r554)"
send
[ "$(outcome failed)" = 1 ] || fail "a 554 should fail the reply: $(cat "$WORK/out.json")"
"$BD" tickets show "$T3" | grep -q "reply_failed" || fail "the 554 is not on the ticket"
smtp_mode normal

# the server is down: retried, then delivered once when it is back
stop_smtp
T4=$(tid ru-1@example.ru)
reply "$T4" "Иван, посылка с новым размером уже в пути. (rdown)"
send
[ "$(outcome retrying)" = 1 ] || fail "a stopped server should leave the reply for a retry: $(cat "$WORK/out.json")"
start_smtp "$SMTP_PORT"
due_now; send
[ "$(outcome sent)" = 1 ] && [ "$(recorded "(rdown)")" = 1 ] || fail "after the outage: $(cat "$WORK/out.json"), $(recorded "(rdown)") copies"

# dropped after the data, the server filed it in Sent: reconciled, not resent
smtp_mode drop-sent
reply "$T_FR" "Élodie, la lampe part demain matin. (rdrop)"
send
[ "$(outcome reconciled)" = 1 ] || fail "a dropped connection should be reconciled through Sent: $(cat "$WORK/out.json" "$WORK/out.err")"
[ "$(recorded "(rdrop)")" = 1 ] || fail "the dropped reply reached the server $(recorded "(rdrop)") times"

# dropped after the data with no Sent folder to look in: left to a person, not resent
smtp_mode drop
reply "$T1" "Herr Müller, der Ersatz ist unterwegs. (rdrop2)"
send
[ "$(status_of "Herr Müller, der Ersatz ist unterwegs. (rdrop2)")" = failed ] || fail "an uncertain reply without Sent should be failed for a person"
"$BD" tickets show "$T1" | grep "reply_failed" | grep -q "sent_folder" || fail "the ticket does not say why"
[ "$(recorded "(rdrop2)")" = 1 ] || fail "the uncertain reply reached the server $(recorded "(rdrop2)") times"

# killed while waiting for the server's answer: the next run finds the reply in Sent
smtp_mode slow-sent
reply "$T4" "Иван, трек-номер: RU987654321. (rkill)"
"$BD" outbox send >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ "$(recorded "(rkill)")" = 1 ] && break; sleep 0.05; done
sleep 0.3
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
[ "$(status_of "Иван, трек-номер: RU987654321. (rkill)")" = sending ] || fail "the killed attempt is not on record as sending"
smtp_mode normal
send
[ "$(outcome reconciled)" = 1 ] || fail "the killed send was not reconciled: $(cat "$WORK/out.json" "$WORK/out.err")"
[ "$(recorded "(rkill)")" = 1 ] || fail "the killed reply reached the server $(recorded "(rkill)") times"
# a relay that logs SMTP in with its own credentials (smtp_username_env/smtp_password_env),
# not the mailbox's: the reply goes out under that login
stop_smtp
SMTP_AUTH_USER=relay-user SMTP_AUTH_PASSWORD=relay-secret start_smtp
export RELAY_USER=relay-user RELAY_PASSWORD=relay-secret
"$PY" - "$WORK/bd.json" "$WORK/relay.json" "$SMTP_URL" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
m = c["shops"][1]["mail"]
m["smtp_url"] = sys.argv[3]
m["smtp_username_env"], m["smtp_password_env"] = "RELAY_USER", "RELAY_PASSWORD"
json.dump(c, open(sys.argv[2], "w"))
del m["smtp_password_env"]
json.dump(c, open(sys.argv[2] + ".half", "w"))
PY
reply "$T4" "Иван, посылка у курьера. (relay)"
BORDERDESK_CONFIG="$WORK/relay.json.half" "$BD" outbox send 2>"$WORK/half.err" && fail "smtp_username_env without smtp_password_env was accepted"
grep -q "go together" "$WORK/half.err" || fail "no clear error for half the SMTP credentials: $(cat "$WORK/half.err")"
BORDERDESK_CONFIG="$WORK/relay.json" "$BD" outbox send --json >"$WORK/out.json" 2>"$WORK/out.err" || true
[ "$(recorded "(relay)")" = 1 ] || fail "the reply through the authenticating relay was not delivered: $(cat "$WORK/out.json" "$WORK/out.err" "$WORK/smtp.log")"
"$PY" -c '
import glob, json, sys
logins = [json.load(open(f))["auth_login"] for f in sorted(glob.glob(sys.argv[1] + "/*.json"))]
assert logins[-1] == "relay-user", logins' "$SMTP_DIR" || fail "the relay login was not used"
echo "mail_send: ok"
