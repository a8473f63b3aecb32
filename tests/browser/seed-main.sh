# seed-main.sh — sourced by tests/integration/browser*.sh: the main database of the browser
# tests in $work (bd.db, borderdesk.json), with $bin the borderdesk binary and $src the
# source tree:
#  - the demo data (tests/fixtures/demo), with the demo's loyalty settings (FX rates, pyramid)
#    and surveys on solved tickets (CSAT with three dimensions);
#  - two tickets written just now (one due within the warning time, one on time), a buyer
#    whose data is XSS payloads (tests/browser/xss-payloads.json), a buyer whose last orders
#    are 200 and 260 days old (at risk of churning; one closed ticket), a buyer with refund
#    claims on half the orders (a suspicion flag), feedback and a blacklist entry by lena;
#  - surveys and feedback over six weeks and open surveys for the survey page
#    (seed-satisfaction.py);
#  - an agent (alice) and a lead (lena) with passwords and read tokens.
# Exports BORDERDESK_DB and BORDERDESK_CONFIG; sets pass_agent, pass_lead, token_agent,
# token_lead.
browser_dir="$src/tests/browser"
python3 - "$src/tests/fixtures/demo/borderdesk.json" >"$work/borderdesk.json" <<'EOF'
import json, sys
demo = json.load(open(sys.argv[1]))
surveys = dict(demo["surveys"], url="http://127.0.0.1/s/{token}")
# two shops whose mailboxes cannot be reached (port 1 on loopback refuses at once), for the
# sync page: mail-kr fails, amazon-de answers buyers by mail only; no automatic sync or
# delivery, so that nothing else in the tests changes on its own
mailbox = lambda folder: {"imap_url": "imap://127.0.0.1:1/" + folder, "username_env": "BD_TEST_MAIL_USER",
                          "password_env": "BD_TEST_MAIL_PASSWORD", "from": "support@example-shop.com"}
shops = [{"name": "mail-kr", "marketplace": "mail", "mail": mailbox("INBOX"), "timeout_ms": 3000, "max_retries": 0},
         {"name": "amazon-de", "marketplace": "amazon", "mail": mailbox("Amazon"), "timeout_ms": 3000, "max_retries": 0}]
# a team that works around the clock with a 4-hour reply target: the ticket written just now
# on eBay is on time whatever the hour the tests run at (with the default Mon-Fri 09:00-18:00
# and 10 minutes it was "warning" in office hours and early in the morning)
sla = {"warning_minutes": 120, "marketplace_deadline_hours": {"webshop": 1},
       "teams": [{"name": "default", "time_zone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}],
       "targets": [{"first_reply": "4h", "next_reply": "4h"}, {"category": "dispute", "resolution": "24h"},
                   {"category": "review/negative", "first_reply": "1h", "resolution": "24h"}]}
print(json.dumps({"sla": sla,
                  "loyalty": demo["loyalty"], "surveys": surveys, "shops": shops,
                  "server": {"sync_interval_seconds": 0, "outbox_interval_seconds": 0}}))
EOF
export BD_TEST_MAIL_USER=browser BD_TEST_MAIL_PASSWORD=browser-pass
export BORDERDESK_DB="$work/bd.db" BORDERDESK_CONFIG="$work/borderdesk.json"
"$bin" init >/dev/null
"$bin" import orders "$src/tests/fixtures/demo/orders.jsonl" >/dev/null
"$bin" import messages "$src/tests/fixtures/demo/messages.jsonl" >/dev/null
python3 - "$work" "$browser_dir/xss-payloads.json" <<'EOF'
import datetime, json, sys
work, payloads = sys.argv[1], json.load(open(sys.argv[2]))
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
xss_buyer = {"external_id": "mallory-xss", "name": payloads["buyer_name"], "country": "US", "language": "en"}
orders = [{"shop": "webshop-us", "marketplace": "webshop", "external_id": payloads["order_id"], "buyer": xss_buyer,
           "status": "Shipped", "purchased_at": iso(now - datetime.timedelta(days=9)), "currency": "USD", "total": "19.90",
           "items": [{"sku": payloads["sku"], "title": payloads["item_title"], "quantity": 1, "price": "19.90"}],
           "carrier": payloads["carrier"], "tracking_number": payloads["tracking_number"],
           "shipped_at": iso(now - datetime.timedelta(days=8))}]
# a buyer who has not ordered for 200 days: silent, at risk of churning
churner = {"external_id": "quiet-1", "name": "Grace Hall", "country": "GB", "language": "en"}
orders += [{"shop": "webshop-us", "marketplace": "webshop", "external_id": "QUIET-%d" % d, "buyer": churner,
            "status": "Delivered", "purchased_at": iso(now - datetime.timedelta(days=d)), "currency": "GBP",
            "total": "240.00", "items": [{"title": "Standing desk", "quantity": 1, "price": "240.00"}]} for d in (200, 260)]
# a buyer who claimed refunds on half of four orders (the recompute raises a refund_claims
# flag), wrote yesterday about another refund, left negative feedback, and whom the lead
# blacklisted (below): the buyer panel's every part comes from the real API
claimer = {"external_id": "claims-1", "name": "Victor Kane", "country": "US", "language": "en"}
orders += [{"shop": "webshop-us", "marketplace": "webshop", "external_id": "CLAIM-%d" % d, "buyer": claimer,
            "status": status, "purchased_at": iso(now - datetime.timedelta(days=d)), "currency": "USD", "total": total,
            "items": [{"title": "USB-C charger 65W", "quantity": 1, "price": total}]}
           for d, status, total in ((80, "Delivered", "120.00"), (60, "Refunded", "89.00"), (40, "Returned", "45.00"),
                                    (20, "Delivered", "60.00"))]
feedback = [{"shop": "webshop-us", "marketplace": "webshop", "external_id": "claims-fb-1", "buyer": claimer,
             "order_id": "CLAIM-20", "rating": "negative", "comment": "Stopped working after a week, seller slow to answer",
             "response": "We sent a replacement on the same day.", "left_at": iso(now - datetime.timedelta(days=3))},
            {"shop": "webshop-us", "marketplace": "webshop", "external_id": "claims-rv-1", "buyer": claimer,
             "order_id": "CLAIM-80", "kind": "product_review", "stars": 4, "comment": "Charges fast",
             "left_at": iso(now - datetime.timedelta(days=70))}]
messages = [
    # the claimer, yesterday
    {"shop": "webshop-us", "marketplace": "webshop", "external_id": "claims-msg-1", "buyer": claimer,
     "order_id": "CLAIM-20", "direction": "in", "subject": "Refund for the charger",
     "body": "The charger from order CLAIM-20 stopped working. I want a refund, not a replacement.",
     "sent_at": iso(now - datetime.timedelta(days=1))},
    # the silent buyer's only contact, about the desk, 250 days ago (closed below)
    {"shop": "webshop-us", "marketplace": "webshop", "external_id": "quiet-msg-1", "buyer": churner,
     "order_id": "QUIET-260", "direction": "in", "subject": "Desk assembly",
     "body": "Hello, are the screws for the standing desk included?", "sent_at": iso(now - datetime.timedelta(days=250))},
    # written 10 minutes ago on a marketplace with a 1-hour deadline: due soon (warning)
    {"shop": "webshop-us", "marketplace": "webshop", "external_id": "fresh-warning-1",
     "buyer": {"external_id": "fresh-1", "name": "Olivia Brown", "country": "US", "language": "en"},
     "conversation_id": "fresh-1", "direction": "in", "subject": "Can I still change the colour?",
     "body": "Hello, I ordered the blue one an hour ago. Can I still change it to black?", "sent_at": iso(now - datetime.timedelta(minutes=10))},
    # written just now on eBay (24 hours): on time
    {"shop": "ebay-us", "marketplace": "ebay", "external_id": "fresh-ok-1",
     "buyer": {"external_id": "fresh-2", "name": "Noah Wilson", "country": "US", "language": "en"},
     "conversation_id": "fresh-2", "direction": "in", "subject": "Question about the warranty",
     "body": "Does the charger come with a warranty?", "sent_at": iso(now - datetime.timedelta(minutes=1))},
    {"shop": "webshop-us", "marketplace": "webshop", "external_id": "xss-1", "buyer": xss_buyer,
     "order_id": payloads["order_id"], "direction": "in", "subject": payloads["subject"], "body": payloads["body"],
     "sent_at": iso(now - datetime.timedelta(days=2))},
]
for name, rows in (("orders", orders), ("messages", messages), ("feedback", feedback)):
    with open("%s/%s.jsonl" % (work, name), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
EOF
"$bin" import orders "$work/orders.jsonl" >/dev/null
"$bin" import messages "$work/messages.jsonl" >/dev/null
"$bin" feedback import "$work/feedback.jsonl" >/dev/null
"$bin" buyers blacklist add webshop-us:claims-1 --reason "Refund claims on half of the orders; chargeback threatened" \
  --as lena >/dev/null
quiet_ticket=$(sqlite3 "$BORDERDESK_DB" "SELECT ticket_id FROM messages WHERE external_id = 'quiet-msg-1'")
"$bin" tickets status "$quiet_ticket" closed >/dev/null
# what the classifier (another module) stores on a message: shown with the rules that fired
sqlite3 "$BORDERDESK_DB" "UPDATE messages SET language = 'en', category = 'shipping', subcategory = 'order_change',
  classification = '{\"category\":\"shipping\",\"subcategory\":\"order_change\",\"language\":\"en\",\"confidence\":0.91,\"urgency\":\"high\",\"sentiment\":\"neutral\",\"flags\":[],\"entities\":{},\"rules\":[\"en.shipping.order_change.change_colour\",\"en.urgency.before_packing\"]}'
  WHERE external_id = 'fresh-warning-1'"
pass_agent="alice-browser-pass-1" pass_lead="lena-browser-pass-2"
"$bin" user add alice --role agent --display-name "Alice Wang" --password-stdin <<<"$pass_agent" >/dev/null
"$bin" user add lena --role lead --display-name "Lena Li" --password-stdin <<<"$pass_lead" >/dev/null
token_agent=$("$bin" user token create alice --scope read 2>/dev/null)
token_lead=$("$bin" user token create lena --scope read 2>/dev/null)
python3 "$browser_dir/seed-satisfaction.py" "$BORDERDESK_DB"
# sync runs for the sync page: mail-kr's failed run by the CLI (a real one), and a run of
# amazon-de's buyer mail that went well an hour ago (written as the sync engine writes it)
"$bin" sync --shop mail-kr >/dev/null 2>&1 && { echo "seed-main.sh: the unreachable mailbox synced" >&2; exit 1; }
sqlite3 "$BORDERDESK_DB" "INSERT INTO sync_runs(shop, resource, actor, started_at, finished_at, ok, error, counts)
  VALUES ('amazon-de', 'messages', 'scheduler', strftime('%s', 'now') - 3600, strftime('%s', 'now') - 3590, 1, NULL,
  '{\"pages\":1,\"requests\":1,\"items\":3,\"inserted\":0,\"updated\":0,\"unchanged\":0,\"messages_new\":3,\"messages_seen\":0,\"tickets_created\":2,\"tickets_reopened\":0}')"
