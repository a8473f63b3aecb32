#!/usr/bin/env bash
# The mail channel in, against a real Dovecot on loopback: buyer mails (Amazon relay mails
# and plain e-mail, in several charsets, one without Message-ID, two malformed) arrive as
# exactly one stored message each with the right UTF-8 text, buyer, order, ticket and
# language; replies thread by In-Reply-To; nothing is marked \Seen; a re-run stores nothing;
# a recreated folder (new UIDVALIDITY) stores nothing twice; malformed mail keeps its raw
# source and the parser's note on the ticket. (mail_sync_corpus.sh does the same with the
# whole test mail corpus.)
set -euo pipefail
. "${BD_SOURCE_DIR:?}/tests/integration/lib/mail_lib.sh"
start_dovecot
"$PY" "$LIB/mail_fixtures.py" "$WORK/fx"
imap_create Amazon
imap_append Amazon "$WORK"/fx/0[123]-*.eml
imap_append INBOX "$WORK"/fx/0[4-9]-*.eml

export AMZ_CLIENT_ID=client AMZ_CLIENT_SECRET=secret AMZ_REFRESH_TOKEN=refresh
cat >"$WORK/bd.json" <<EOF
{"shops": [
 {"name": "amazon-es", "marketplace": "amazon", "endpoint": "http://127.0.0.1:9",
  "marketplace_ids": ["A1RKKUPIHCS9HS"], "lwa_client_id_env": "AMZ_CLIENT_ID",
  "lwa_client_secret_env": "AMZ_CLIENT_SECRET", "refresh_token_env": "AMZ_REFRESH_TOKEN",
  "mail": {"imap_url": "$IMAP_BASE/Amazon", "smtp_url": "smtp://127.0.0.1:9",
           "username_env": "MAIL_USER", "password_env": "MAIL_PASSWORD",
           "from": "support@example-shop.com", "page_size": 2}},
 {"name": "shop-mail", "marketplace": "mail", "timeout_ms": 10000,
  "mail": {"imap_url": "$IMAP_BASE/INBOX", "username_env": "MAIL_USER",
           "password_env": "MAIL_PASSWORD", "from": "support@example-shop.com"}}]}
EOF
export BORDERDESK_CONFIG="$WORK/bd.json" BORDERDESK_DB="$WORK/a.db"

# the Amazon shop's orders, so that its tickets link to them
"$PY" - >"$WORK/orders.jsonl" <<'PY'
import json
for oid, name in [("171-5550001-1000001", "Lucía Fernández"), ("302-5550002-1000002", "Jürgen Müller")]:
    print(json.dumps({"shop": "amazon-es", "marketplace": "amazon", "external_id": oid,
                      "buyer": {"external_id": "order-buyer-" + oid}, "status": "shipped",
                      "purchased_at": "2025-12-20T10:00:00Z", "currency": "EUR", "total": "49.90",
                      "items": [{"title": "Kaffeemaschine", "quantity": 1}]}))
PY
"$BD" import orders "$WORK/orders.jsonl" >/dev/null

# an Amazon shop syncs its orders or its messages on request; a plain mail shop has messages only
"$BD" sync --shop amazon-es --resource messages --json >"$WORK/s1.json" || fail "amazon messages sync failed: $(cat "$WORK/s1.json")"
"$BD" sync --shop shop-mail --resource orders --json >"$WORK/s0.json" 2>&1 && fail "a mail shop synced orders"
grep -q "has no orders" "$WORK/s0.json" || fail "no clear error for a mail shop's orders: $(cat "$WORK/s0.json")"
"$BD" sync --shop shop-mail --json >"$WORK/s2.json" || fail "mail shop sync failed: $(cat "$WORK/s2.json")"
"$PY" - "$WORK/s1.json" "$WORK/s2.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["shops"][0]["messages"]
b = json.load(open(sys.argv[2]))["shops"][0]["messages"]
assert a["messages_new"] == 3 and a["pages"] == 2, ("amazon: 3 mails in pages of 2", a)
assert b["messages_new"] == 6, ("mail shop: 6 mails", b)
PY

# every mail is exactly one message, as expected
"$PY" - "$WORK/a.db" "$WORK/fx/expected.json" "$WORK/fx" <<'PY'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
exp = json.load(open(sys.argv[2]))
rows = db.execute("""select m.id, m.external_id, m.body, m.language, m.order_external_id, b.external_id,
    b.name, t.id, t.order_external_id, t.order_id, m.extra from messages m join buyers b on b.id = m.buyer_id
    join tickets t on t.id = m.ticket_id order by m.id""").fetchall()
assert len(rows) == len(exp), "%d messages stored for %d mails" % (len(rows), len(exp))
ids = [r[1] for r in rows]
assert len(set(ids)) == len(ids), "duplicate external ids"
tickets = {}
for e in exp:
    # find the message by a piece of its text (or, for garbage, by its raw source)
    if e["contains"]:
        match = [r for r in rows if e["contains"] in r[2]]
    else:
        raw = open(sys.argv[3] + "/" + e["file"], "rb").read()
        match = [r for r in rows if r[1] == "sha256:" + hashlib.sha256(raw).hexdigest()]
    assert len(match) == 1, "%s: %d messages match" % (e["file"], len(match))
    r = match[0]
    assert r[4] == e["order_id"], "%s: order %r, expected %r" % (e["file"], r[4], e["order_id"])
    assert r[8] == e["order_id"], "%s: ticket order %r" % (e["file"], r[8])
    if e["lang"]:
        assert r[3] == e["lang"], "%s: language %r, expected %r" % (e["file"], r[3], e["lang"])
    if e["buyer"]:
        assert r[5] == e["buyer"], "%s: buyer %r" % (e["file"], r[5])
        assert r[6] == e["buyer_name"], "%s: buyer name %r" % (e["file"], r[6])
    if e.get("not_contains"):
        assert e["not_contains"] not in r[2], "%s: the quoted text was not stripped" % e["file"]
    if e.get("thread"):
        tickets.setdefault(e["thread"], set()).add(r[7])
    extra = json.loads(r[10])
    assert "mail" in extra and "attachments" in extra, "%s: no mail facts in extra" % e["file"]
    assert (e["malformed"]) == ("parse_error" in extra), "%s: parse_error %r" % (e["file"], extra.get("parse_error"))
for k, v in tickets.items():
    assert len(v) == 1, "thread %s split over tickets %s" % (k, v)
# the Amazon tickets with an imported order are linked to it
linked = db.execute("select count(*) from tickets where order_id is not null").fetchone()[0]
assert linked == 2, "%d tickets linked to their order" % linked
PY

# malformed mail: the raw source byte for byte, the note, and an event on its ticket
"$PY" - "$WORK/a.db" "$WORK/fx" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
srcs = db.execute("select message_id, raw, size, error from message_sources order by message_id").fetchall()
assert len(srcs) == 2, "%d raw sources kept, expected 2" % len(srcs)
files = [open(sys.argv[2] + "/" + f, "rb").read() for f in ("08-malformed-multipart.eml", "09-binary-garbage.eml")]
for (mid, raw, size, error), data in zip(srcs, files):
    assert bytes(raw) == data and size == len(data), "raw source of message %d differs" % mid
    assert error, "no note for message %d" % mid
    ev = db.execute("select detail from events e join messages m on m.ticket_id = e.ticket_id"
                    " where m.id = ? and e.kind = 'message_malformed'", (mid,)).fetchall()
    assert len(ev) == 1 and json.loads(ev[0][0])["error"] == error, "no malformed event for %d" % mid
PY
t=$(count "$WORK/a.db" "select m.ticket_id from message_sources s join messages m on m.id = s.message_id order by s.message_id limit 1")
"$BD" tickets show "$t" | grep -q "message_malformed" || fail "tickets show does not show the malformed note"

# BODY.PEEK[]: nothing was marked \Seen
seen=$(imap INBOX -X "FETCH 1:* (FLAGS)" | grep -c 'Seen' || true)
[ "$seen" = 0 ] || fail "$seen messages were marked \\Seen"

# a re-run stores nothing
"$BD" sync --resource messages --json >"$WORK/s3.json" || fail "the re-run failed"
"$PY" -c '
import json, sys
for s in json.load(open(sys.argv[1]))["shops"]:
    assert s["messages"]["messages_new"] == 0, s' "$WORK/s3.json"
[ "$(count "$WORK/a.db" "select count(*) from messages")" = 9 ] || fail "a re-run stored messages again"

# the folder is deleted and recreated (new UIDVALIDITY) with the same mails and one new one:
# the rescan stores only the new one
v1=$(imap_uidvalidity Amazon)
imap_delete Amazon
sleep 1
imap_create Amazon
v2=$(imap_uidvalidity Amazon)
[ -n "$v1" ] && [ "$v1" != "$v2" ] || fail "UIDVALIDITY did not change ($v1 -> $v2)"
imap_append Amazon "$WORK"/fx/03-*.eml "$WORK"/fx/02-*.eml "$WORK"/fx/01-*.eml # other order, other UIDs
printf 'From: "Lucía Fernández - Amazon Marketplace" <8k2lq9x3m7@marketplace.amazon.es>\r\nTo: support@example-shop.com\r\nSubject: Pedido 171-5550001-1000001\r\nMessage-ID: <es-2@relay.amazon.es>\r\nDate: Tue, 06 Jan 2026 09:00:00 +0100\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nHola de nuevo, ¿hay alguna novedad sobre mi pedido? Sigo esperando el paquete.\r\n' >"$WORK/new.eml"
imap_append Amazon "$WORK/new.eml"
"$BD" sync --shop amazon-es --resource messages --json >"$WORK/s4.json" || fail "sync after UIDVALIDITY change failed"
"$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))["shops"][0]["messages"]
assert m["messages_new"] == 1 and m["messages_seen"] == 3, m' "$WORK/s4.json"
[ "$(count "$WORK/a.db" "select count(*) from messages")" = 10 ] || fail "the rescan stored mail twice"
[ "$(count "$WORK/a.db" "select count(distinct ticket_id) from messages where order_external_id = '171-5550001-1000001'")" = 1 ] \
    || fail "the buyer's second mail opened another ticket"

# an Amazon shop without Selling Partner API access answers its buyers by mail only: a
# full sync does its messages (no LWA variables needed), asking for orders names what is missing
"$PY" - "$WORK/bd.json" "$WORK/mailonly.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
s = c["shops"][0]
for k in ("endpoint", "marketplace_ids", "lwa_client_id_env", "lwa_client_secret_env", "refresh_token_env"):
    del s[k]
s["name"] = "amazon-mailonly"
c["shops"] = [s]
json.dump(c, open(sys.argv[2], "w"))
PY
env -u AMZ_CLIENT_ID -u AMZ_CLIENT_SECRET -u AMZ_REFRESH_TOKEN BORDERDESK_CONFIG="$WORK/mailonly.json" \
    BORDERDESK_DB="$WORK/mailonly.db" "$BD" sync --json >"$WORK/mo.json" 2>"$WORK/mo.err" \
    || fail "a mail-only Amazon shop did not sync: $(cat "$WORK/mo.err")"
"$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))["shops"][0]
assert r["ok"] and r["messages"]["messages_new"] == 4, r' "$WORK/mo.json"
env -u AMZ_CLIENT_ID BORDERDESK_CONFIG="$WORK/mailonly.json" BORDERDESK_DB="$WORK/mailonly.db" \
    "$BD" sync --shop amazon-mailonly --resource orders 2>"$WORK/mo.err" && fail "orders synced without API access"
grep -q "no orders" "$WORK/mo.err" || fail "no clear error for orders without API access: $(cat "$WORK/mo.err")"

# bad configuration: a clear error, nothing stored
"$PY" - "$WORK/bd.json" "$WORK/bad.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["shops"][1]["mail"]["password"] = "hunter2"
json.dump(c, open(sys.argv[2], "w"))
PY
BORDERDESK_CONFIG="$WORK/bad.json" "$BD" sync --shop shop-mail 2>"$WORK/bad.err" && fail "a password in the file was accepted"
grep -q "password_env" "$WORK/bad.err" || fail "no clear error for a password in the file: $(cat "$WORK/bad.err")"
MAIL_PASSWORD=wrong "$BD" sync --shop shop-mail 2>"$WORK/bad.err" && fail "a wrong password synced"
grep -qi "login\|auth" "$WORK/bad.err" || fail "no clear error for a wrong password: $(cat "$WORK/bad.err")"

echo "mail_sync: ok"
