"""test_routes.py — every route of the REST API over real HTTP on loopback: success,
validation errors, not found and permission denied for each role; every response checked
against docs/openapi.json, and at the end a check that every documented route was
exercised with a success, without credentials (401) and by a role below its own (403)."""
import json
import sys
import unittest
from urllib.parse import quote

import bdapi

S = None  # the server
C = None  # the client
T = {}    # tokens by user ("alice", "alice:read", ...)


def setUpModule():
    global S, C, T
    S = bdapi.Server().start()
    C = bdapi.Client(S)
    T = S.tokens


def tearDownModule():
    rc = S.stop()
    S.cleanup()
    if rc != 0:
        raise AssertionError("serve exited with %r" % rc)


def a_ticket(status="new"):
    return int(S.sql("SELECT id FROM tickets WHERE status = '%s' AND order_id IS NOT NULL ORDER BY id LIMIT 1" % status))


class Tickets(unittest.TestCase):
    def test_list_default_is_active_queue(self):
        r = C.get("/api/v1/tickets", T["alice"])
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["items"])
        for t in r.json["items"]:
            self.assertIn(t["status"], ("new", "open", "pending"))

    def test_pagination_walks_every_ticket_once(self):
        seen, cursor, pages = [], None, 0
        while True:
            path = "/api/v1/tickets?status=all&limit=7" + ("&cursor=" + cursor if cursor else "")
            r = C.get(path, T["alice"])
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.json["items"]), 7)
            seen += [t["id"] for t in r.json["items"]]
            pages += 1
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        total = int(S.sql("SELECT count(*) FROM tickets"))
        self.assertEqual(len(seen), total)
        self.assertEqual(len(set(seen)), total)
        self.assertGreater(pages, 1)

    def test_order_matches_queue_rules(self):
        r = C.get("/api/v1/tickets?status=all&limit=200", T["alice"])
        group = {"new": 0, "open": 0, "pending": 1, "solved": 2, "closed": 2}
        prio = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
        # a ticket with a running clock (a due time) first, then priority (migration 5)
        keys = [(group[t["status"]], t["due_at"] is None, -prio[t["priority"]])
                for t in r.json["items"]]
        self.assertEqual(keys, sorted(keys))

    def test_filters(self):
        r = C.get("/api/v1/tickets?status=all&shop=amazon-jp", T["alice"])
        self.assertEqual(r.status, 200)
        self.assertTrue(r.json["items"])
        self.assertTrue(all(t["shop"] == "amazon-jp" for t in r.json["items"]))
        r = C.get("/api/v1/tickets?status=all&marketplace=ebay", T["alice"])
        self.assertTrue(r.json["items"] and all(t["marketplace"] == "ebay" for t in r.json["items"]))
        S.sql("UPDATE tickets SET category = NULL, language = NULL;"
              "UPDATE tickets SET category = 'shipping', language = 'de' WHERE id IN (2, 3)")
        r = C.get("/api/v1/tickets?status=all&category=shipping&language=de", T["alice"])
        self.assertEqual(sorted(t["id"] for t in r.json["items"]), [2, 3])
        S.sql("UPDATE tickets SET due_state = NULL, due_at = NULL;"
              "UPDATE tickets SET due_state = 'breached', due_at = unixepoch() - 60 WHERE id = 4;"
              "UPDATE tickets SET due_state = 'warning', due_at = unixepoch() + 600 WHERE id = 5;"
              "UPDATE tickets SET due_state = 'ok', due_at = unixepoch() + 86400 * 3 WHERE id = 6")
        for due, want in (("breached", [4]), ("warning", [5]), ("ok", [6])):
            r = C.get("/api/v1/tickets?status=all&due=" + due, T["alice"])
            self.assertEqual([t["id"] for t in r.json["items"]], want, due)
        r = C.get("/api/v1/tickets?status=all&due=none&limit=200", T["alice"])
        self.assertFalse({4, 5, 6} & {t["id"] for t in r.json["items"]})
        # status filter
        r = C.get("/api/v1/tickets?status=new&limit=200", T["alice"])
        self.assertTrue(all(t["status"] == "new" for t in r.json["items"]))

    def test_assignee_and_tag_filters(self):
        tid = a_ticket()
        self.assertEqual(C.post("/api/v1/tickets/%d/assign" % tid, {"assignee": "bob"}, T["lena"]).status, 200)
        r = C.get("/api/v1/tickets?status=all&assignee=bob", T["alice"])
        self.assertIn(tid, [t["id"] for t in r.json["items"]])
        self.assertTrue(all(t["assignee"] == "bob" for t in r.json["items"]))
        r = C.get("/api/v1/tickets?status=all&assignee=-&limit=200", T["alice"])
        self.assertNotIn(tid, [t["id"] for t in r.json["items"]])
        C.post("/api/v1/tickets/%d/tags" % tid, {"tag": "filter-me"}, T["alice"])
        r = C.get("/api/v1/tickets?status=all&tag=filter-me", T["alice"])
        self.assertEqual([t["id"] for t in r.json["items"]], [tid])

    def test_sort_by_due_time(self):
        S.sql("UPDATE tickets SET due_state = 'ok', due_at = unixepoch() + 3600 * (60 - id) WHERE id BETWEEN 40 AND 50;"
              "UPDATE tickets SET due_state = 'warning', due_at = unixepoch() + 600 WHERE id = 39")
        seen, cursor = [], None
        while True:
            r = C.get("/api/v1/tickets?status=all&sort=due&limit=3" + ("&cursor=" + cursor if cursor else ""), T["alice"])
            self.assertEqual(r.status, 200, r)
            seen += r.json["items"]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        want = S.sql("SELECT id FROM tickets WHERE due_at IS NOT NULL ORDER BY due_at, id").split()
        self.assertEqual([t["id"] for t in seen], [int(x) for x in want])
        self.assertEqual([t["due_at"] for t in seen], sorted(t["due_at"] for t in seen))
        for due, status in (("ok", "all"), ("warning", "active")):  # the soonest of each state
            r = C.get("/api/v1/tickets?sort=due&limit=1&due=%s&status=%s" % (due, status), T["alice"])
            soonest = S.sql("SELECT id FROM tickets WHERE due_state = '%s' %s ORDER BY due_at, id LIMIT 1"
                            % (due, "AND status IN ('new', 'open', 'pending')" if status == "active" else ""))
            self.assertEqual([t["id"] for t in r.json["items"]], [int(soonest)], due)
        self.assertEqual(C.get("/api/v1/tickets?sort=deadline", T["alice"]).status, 400)
        queue_cursor = C.get("/api/v1/tickets?status=all&limit=1", T["alice"]).json["next_cursor"]
        r = C.get("/api/v1/tickets?status=all&sort=due&cursor=" + queue_cursor, T["alice"])
        self.assertEqual((r.status, r.error_code), (400, "invalid_cursor"))

    def test_list_validation(self):
        for q in ("limit=0", "limit=201", "limit=abc", "status=bogus", "due=yesterday",
                  "cursor=not-a-cursor", "cursor=" + "A" * 200):
            r = C.get("/api/v1/tickets?" + q, T["alice"])
            self.assertEqual(r.status, 400, q)
        # a cursor of another list is refused
        r = C.get("/api/v1/orders?limit=1", T["alice"])
        r = C.get("/api/v1/tickets?cursor=" + r.json["next_cursor"], T["alice"])
        self.assertEqual((r.status, r.error_code), (400, "invalid_cursor"))

    def test_get_one(self):
        tid = a_ticket()
        r = C.get("/api/v1/tickets/%d" % tid, T["alice"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["id"], tid)
        self.assertIsNotNone(r.json["order"])
        self.assertTrue(r.json["messages"])
        self.assertTrue(r.json["events"])
        self.assertEqual(r.json["events"][0]["kind"], "created")
        o = r.json["order"]
        if o["tracking_number"]:
            self.assertTrue(o["tracking_url"].startswith("https://"), o)
            self.assertIn("".join(c for c in o["tracking_number"] if c.isalnum()), o["tracking_url"])
        else:
            self.assertIsNone(o["tracking_url"])
        r = C.get("/api/v1/orders?limit=200", T["alice"])
        dhl = [x for x in r.json["items"] if (x["carrier"] or "").lower() == "dhl" and x["tracking_number"]]
        self.assertTrue(dhl)
        self.assertTrue(dhl[0]["tracking_url"].startswith("https://www.dhl.com/"), dhl[0])

    def test_not_found(self):
        for path in ("/api/v1/tickets/999999", "/api/v1/tickets/abc", "/api/v1/tickets/0",
                     "/api/v1/tickets/-1", "/api/v1/tickets/999999/messages"):
            r = C.get(path, T["alice"])
            self.assertEqual((r.status, r.error_code), (404, "not_found"), path)
        for path, body in (("reply", {"body": "x"}), ("notes", {"body": "x"}), ("assign", {"assignee": None}),
                           ("status", {"status": "open"}), ("tags", {"tag": "x"})):
            r = C.post("/api/v1/tickets/999999/" + path, body, T["lena"])
            self.assertEqual(r.status, 404, path)
        r = C.request("DELETE", "/api/v1/tickets/999999/tags/x", T["alice"])
        self.assertEqual(r.status, 404)

    def test_messages(self):
        tid = a_ticket()
        r = C.get("/api/v1/tickets/%d/messages" % tid, T["alice"])
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.json["items"]), int(S.sql("SELECT count(*) FROM messages WHERE ticket_id = %d" % tid)))
        mid = r.json["items"][0]["id"]
        r = C.get("/api/v1/messages/%d" % mid, T["alice"])
        self.assertEqual((r.status, r.json["id"], r.json["ticket_id"]), (200, mid, tid))
        self.assertEqual(C.get("/api/v1/messages/99999999", T["alice"]).status, 404)


class Changes(unittest.TestCase):
    def test_reply_is_stored_queued_and_audited(self):
        tid = a_ticket("new")
        r = C.post("/api/v1/tickets/%d/reply" % tid, {"body": "Hello, your parcel ships today."}, T["alice"])
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["message"]["author"], "alice")
        self.assertEqual(r.json["message"]["delivery"], "queued")
        self.assertEqual(r.json["ticket"]["status"], "open")
        mid = r.json["message"]["id"]
        self.assertEqual(S.sql("SELECT status FROM outbox WHERE message_id = %d" % mid), "queued")
        events = S.sql("SELECT actor || ':' || kind FROM events WHERE ticket_id = %d ORDER BY id" % tid).split()
        self.assertIn("alice:reply_queued", events)
        self.assertIn("alice:status_changed", events)
        r = C.get("/api/v1/outbox?ticket_id=%d" % tid, T["alice"])
        self.assertEqual([o["message_id"] for o in r.json["items"]], [mid])

    def test_reply_validation(self):
        tid = a_ticket()
        for body, code in (({}, "missing_field"), ({"body": 5}, "invalid_field"), ({"body": "   "}, "invalid_field"),
                           ({"body": None}, "missing_field")):
            r = C.post("/api/v1/tickets/%d/reply" % tid, body, T["alice"])
            self.assertEqual((r.status, r.error_code), (400, code), body)
        for raw in (b"", b"{", b"[1]", b"\xff\xfe", b'"text"'):
            r = C.request("POST", "/api/v1/tickets/%d/notes" % tid, T["alice"], raw=raw,
                          headers={"Content-Type": "application/json"})
            self.assertEqual(r.status, 400, raw)

    def test_note(self):
        tid = a_ticket()
        r = C.post("/api/v1/tickets/%d/notes" % tid, {"body": "Buyer called, wants a refund."}, T["bob"])
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["message"]["kind"], "note")
        self.assertNotIn("delivery", r.json["message"])
        mid = r.json["message"]["id"]
        self.assertEqual(S.sql("SELECT count(*) FROM outbox WHERE message_id = %d" % mid), "0")

    def test_status(self):
        tid = a_ticket()
        r = C.post("/api/v1/tickets/%d/status" % tid, {"status": "pending"}, T["alice"])
        self.assertEqual((r.status, r.json["status"]), (200, "pending"))
        self.assertEqual(C.post("/api/v1/tickets/%d/status" % tid, {"status": "weird"}, T["alice"]).status, 400)
        self.assertEqual(C.post("/api/v1/tickets/%d/status" % tid, {}, T["alice"]).status, 400)
        self.assertEqual(C.post("/api/v1/tickets/%d/status" % tid, {"status": "closed"}, T["alice"]).status, 200)
        r = C.post("/api/v1/tickets/%d/status" % tid, {"status": "open"}, T["alice"])
        self.assertEqual((r.status, r.error_code), (409, "conflict"))
        last = S.sql("SELECT actor, detail FROM events WHERE ticket_id = %d AND kind = 'status_changed' ORDER BY id DESC LIMIT 1" % tid)
        self.assertEqual(last, 'alice|{"from":"pending","to":"closed"}')

    def test_assign_rules(self):
        tid = int(S.sql("SELECT id FROM tickets WHERE assignee IS NULL AND status = 'new' ORDER BY id DESC LIMIT 1"))
        path = "/api/v1/tickets/%d/assign" % tid
        # an agent may not give a ticket to someone else
        self.assertEqual(C.post(path, {"assignee": "bob"}, T["alice"]).status, 403)
        # but may take an unassigned one, and give it back
        r = C.post(path, {"assignee": "alice"}, T["alice"])
        self.assertEqual((r.status, r.json["assignee"]), (200, "alice"))
        self.assertEqual(C.post(path, {"assignee": "bob"}, T["bob"]).status, 403)  # bob cannot take alice's
        self.assertEqual(C.post(path, {"assignee": None}, T["alice"]).json["assignee"], None)
        # a lead assigns anyone; unknown and disabled users are refused
        self.assertEqual(C.post(path, {"assignee": "bob"}, T["lena"]).json["assignee"], "bob")
        r = C.post(path, {"assignee": "ghost"}, T["lena"])
        self.assertEqual((r.status, r.error_code), (422, "unprocessable"))
        self.assertEqual(C.post(path, {}, T["lena"]).status, 400)
        self.assertEqual(C.post(path, {"assignee": 7}, T["lena"]).status, 400)
        actors = S.sql("SELECT actor FROM events WHERE ticket_id = %d AND kind = 'assigned' ORDER BY id" % tid).split()
        self.assertEqual(actors, ["alice", "alice", "lena"])

    def test_tags(self):
        tid = a_ticket()
        base = "/api/v1/tickets/%d/tags" % tid
        r = C.post(base, {"tag": "vip"}, T["alice"])
        self.assertEqual((r.status, r.json["tags"]), (200, ["vip"]))
        self.assertEqual(C.post(base, {"tag": "vip"}, T["alice"]).json["tags"], ["vip"])  # idempotent
        C.post(base, {"tag": "b2b"}, T["alice"])
        self.assertEqual(C.get("/api/v1/tickets/%d" % tid, T["alice"]).json["tags"], ["b2b", "vip"])
        for bad in ("", "UPPER", "-lead", "x" * 41, "sp ace", "../x"):
            self.assertEqual(C.post(base, {"tag": bad}, T["alice"]).status, 400, bad)
        r = C.request("DELETE", base + "/vip", T["alice"])
        self.assertEqual((r.status, r.json["tags"]), (200, ["b2b"]))
        self.assertEqual(C.request("DELETE", base + "/vip", T["alice"]).status, 404)
        kinds = S.sql("SELECT kind FROM events WHERE ticket_id = %d AND kind LIKE 'tag%%' ORDER BY id" % tid).split()
        self.assertEqual(kinds, ["tag_added", "tag_added", "tag_removed"])


class Reads(unittest.TestCase):
    def test_buyer(self):
        bid = int(S.sql("SELECT buyer_id FROM orders ORDER BY id LIMIT 1"))
        r = C.get("/api/v1/buyers/%d" % bid, T["alice"])
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(r.json["order_count"], 1)
        r = C.get("/api/v1/buyers/%d/orders" % bid, T["alice"])
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.json["items"]), int(S.sql("SELECT count(*) FROM orders WHERE buyer_id = %d" % bid)))
        r = C.get("/api/v1/buyers/%d/tickets" % bid, T["alice"])
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.json["items"]), int(S.sql("SELECT count(*) FROM tickets WHERE buyer_id = %d" % bid)))
        for p in ("", "/orders", "/tickets"):
            self.assertEqual(C.get("/api/v1/buyers/999999" + p, T["alice"]).status, 404)
        self.assertEqual(C.get("/api/v1/buyers/%d/orders?limit=500" % bid, T["alice"]).status, 400)

    def test_orders(self):
        r = C.get("/api/v1/orders?limit=5", T["alice"])
        self.assertEqual((r.status, len(r.json["items"])), (200, 5))
        ids, cursor = [], None
        while True:
            r = C.get("/api/v1/orders?limit=9" + ("&cursor=" + cursor if cursor else ""), T["alice"])
            ids += [o["id"] for o in r.json["items"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        self.assertEqual(sorted(ids), sorted(set(ids)))
        self.assertEqual(len(ids), int(S.sql("SELECT count(*) FROM orders")))
        r = C.get("/api/v1/orders?shop=amazon-de", T["alice"])
        self.assertTrue(r.json["items"] and all(o["shop"] == "amazon-de" for o in r.json["items"]))
        one = C.get("/api/v1/orders/%d" % ids[0], T["alice"])
        self.assertEqual((one.status, one.json["id"]), (200, ids[0]))
        by_market = C.get("/api/v1/orders/" + quote(one.json["order_id"]), T["alice"])
        self.assertEqual(by_market.json["id"], ids[0])
        self.assertEqual(C.get("/api/v1/orders/no-such-order", T["alice"]).status, 404)
        self.assertEqual(C.get("/api/v1/orders?limit=-3", T["alice"]).status, 400)

    def test_outbox(self):
        r = C.get("/api/v1/outbox?status=queued", T["alice"])
        self.assertEqual(r.status, 200)
        self.assertTrue(all(o["status"] == "queued" for o in r.json["items"]))
        self.assertEqual(C.get("/api/v1/outbox?status=lost", T["alice"]).status, 400)
        self.assertEqual(C.get("/api/v1/outbox?ticket_id=x", T["alice"]).status, 400)

    def test_audit(self):
        tid = a_ticket()
        C.post("/api/v1/tickets/%d/notes" % tid, {"body": "audit me"}, T["alice"])
        r = C.get("/api/v1/audit?ticket_id=%d" % tid, T["lena"])
        self.assertEqual(r.status, 200, r)
        want = int(S.sql("SELECT count(*) FROM events WHERE ticket_id = %d" % tid))
        self.assertEqual(len(r.json["items"]), want)
        self.assertTrue(all(e["ticket_id"] == tid for e in r.json["items"]))
        C.post("/api/v1/tickets/%d/notes" % tid, {"body": "and me"}, T["alice"])
        r = C.get("/api/v1/audit?actor=alice&kind=note_added&limit=1", T["lena"])
        self.assertEqual(len(r.json["items"]), 1)
        self.assertEqual(r.json["items"][0]["actor"], "alice")
        r2 = C.get("/api/v1/audit?actor=alice&kind=note_added&limit=1&cursor=" + r.json["next_cursor"], T["lena"])
        self.assertGreater(r2.json["items"][0]["id"], r.json["items"][0]["id"])
        # account events (no ticket) are in the log too
        r = C.get("/api/v1/audit?kind=user_added&actor=setup", T["lena"])
        self.assertEqual(sorted(e["detail"]["user"] for e in r.json["items"]), sorted(bdapi.ROLES))
        self.assertTrue(all(e["ticket_id"] is None for e in r.json["items"]))
        self.assertEqual(C.get("/api/v1/audit?ticket_id=999999", T["lena"]).status, 404)
        self.assertEqual(C.get("/api/v1/audit?since=yesterday", T["lena"]).status, 400)
        self.assertEqual(C.get("/api/v1/audit", T["alice"]).status, 403)

    def test_health_and_openapi(self):
        r = C.get("/api/v1/health")
        self.assertEqual((r.status, r.json["status"]), (200, "ok"))
        r = C.get("/api/v1/openapi.json")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["openapi"][:2], "3.")


class Suggestions(unittest.TestCase):
    """The agent's reply suggestions: the same replies as `borderdesk suggest`, signed with the
    logged-in user's display name; the template library; previews with filled-in facts."""

    @classmethod
    def setUpClass(cls):
        r = C.post("/api/v1/users", {"name": "mei", "role": "agent", "display_name": "Mei Chen",
                                     "password": "mei-pass-777"}, T["adam"])
        assert r.status == 201, r
        cls.token = C.post("/api/v1/tokens", {"user": "mei", "scope": "write"}, T["adam"]).json["token"]
        # a German buyer asking about stock: the template needs a restock date only the agent knows
        cls.tid = int(S.sql("SELECT t.id FROM tickets t JOIN buyers b ON b.id = t.buyer_id "
                            "WHERE b.language = 'de' AND t.order_id IS NOT NULL ORDER BY t.id LIMIT 1"))
        S.sql("UPDATE tickets SET category = 'pre_sale', subcategory = 'stock' WHERE id = %d" % cls.tid)

    def test_same_as_the_cli_and_signed_with_the_display_name(self):
        r = C.get("/api/v1/tickets/%d/suggestions?limit=5" % self.tid, self.token)
        self.assertEqual(r.status, 200, r)
        cli = json.loads(S.bd("suggest", str(self.tid), "--limit", "5", "--as", "Mei Chen", "--json").stdout)
        self.assertEqual(r.json["items"], cli)
        self.assertEqual(r.json["facts"]["language"], "de")
        self.assertEqual(r.json["facts"]["subcategory"], "stock")
        top = r.json["items"][0]
        self.assertEqual((top["template_id"].split("/")[0], top["fallback"]), ("de", False))
        self.assertTrue(top["template_id"].startswith("de/pre_sale/stock"), top["template_id"])
        self.assertIn("Mei Chen", top["text"])
        self.assertTrue(top["missing"], top)
        for name in top["missing"]:
            self.assertIn("[[%s]]" % name, top["text"])

    def test_limits_and_not_found(self):
        self.assertEqual(len(C.get("/api/v1/tickets/%d/suggestions" % self.tid, T["alice"]).json["items"]), 3)
        for bad in ("0", "21", "x", ""):
            r = C.get("/api/v1/tickets/%d/suggestions?limit=%s" % (self.tid, bad), T["alice"])
            self.assertEqual((r.status, r.error_code), (400, "invalid_parameter"), bad)
        for path in ("999999", "abc", "0"):
            self.assertEqual(C.get("/api/v1/tickets/%s/suggestions" % path, T["alice"]).status, 404)

    def test_template_library(self):
        r = C.get("/api/v1/templates", T["alice:read"])
        self.assertEqual(r.status, 200, r)
        cli = json.loads(S.bd("templates", "list", "--json").stdout)
        self.assertEqual([t["id"] for t in r.json["items"]], [t["id"] for t in cli])
        self.assertEqual([t["title"] for t in r.json["items"]], [t["title"] for t in cli])
        zh = C.get("/api/v1/templates?language=zh&category=shipping", T["alice"]).json["items"]
        self.assertTrue(zh)
        self.assertTrue(all(t["language"] == "zh" and t["category"] == "shipping" for t in zh))
        variant = [t for t in r.json["items"] if t["id"] == "en/shipping/delay.no_tracking"][0]
        self.assertEqual(variant["when"], {"tracking": "no"})  # its header: "when: tracking=no"
        self.assertEqual([t for t in r.json["items"] if t["id"] == "en/shipping/delay"][0]["when"], {})
        self.assertEqual(C.get("/api/v1/templates?language=" + "x" * 40, T["alice"]).status, 400)

    def test_preview_fills_the_missing_facts(self):
        top = C.get("/api/v1/tickets/%d/suggestions" % self.tid, self.token).json["items"][0]
        body = {"ticket_id": self.tid, "template_id": top["template_id"]}
        r = C.post("/api/v1/templates/preview", body, self.token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["text"], r.json["missing"]), (top["text"], top["missing"]))
        fill = {name: "15. Dezember <b>&" for name in top["missing"]}
        r = C.post("/api/v1/templates/preview", dict(body, fill=fill), self.token)
        self.assertEqual(r.json["missing"], [])
        self.assertIn("15. Dezember <b>&", r.json["text"])  # plain text: nothing escaped
        self.assertNotIn("[[", r.json["text"])
        # an empty value stays missing; other templates and an English fallback
        r = C.post("/api/v1/templates/preview", dict(body, fill={n: "" for n in top["missing"]}), self.token)
        self.assertEqual(r.json["missing"], top["missing"])
        r = C.post("/api/v1/templates/preview", {"ticket_id": self.tid, "template_id": "en/other/greeting"}, self.token)
        self.assertEqual((r.status, r.json["language"], r.json["fallback"]), (200, "en", True))
        self.assertNotIn("score", r.json)

    def test_preview_validation(self):
        ok = {"ticket_id": self.tid, "template_id": "de/other/unknown"}
        cases = [({"template_id": "de/other/unknown"}, 400, "missing_field"),
                 ({"ticket_id": self.tid}, 400, "missing_field"),
                 (dict(ok, ticket_id="7"), 400, "invalid_field"),
                 (dict(ok, ticket_id=1.5), 400, "invalid_field"),
                 (dict(ok, ticket_id=-3), 400, "invalid_field"),
                 (dict(ok, fill=[1]), 400, "invalid_field"),
                 (dict(ok, fill={"Bad Name": "x"}), 400, "invalid_field"),
                 (dict(ok, fill={"date": 5}), 400, "invalid_field"),
                 (dict(ok, fill={"date": "x" * 5000}), 400, "invalid_field"),
                 (dict(ok, template_id="de/../../etc/passwd"), 422, "unprocessable"),
                 (dict(ok, ticket_id=999999), 422, "unprocessable")]
        for body, status, code in cases:
            r = C.post("/api/v1/templates/preview", body, T["alice"])
            self.assertEqual((r.status, r.error_code), (status, code), body)
        # a read token may preview (it changes nothing); a session needs its CSRF token
        self.assertEqual(C.post("/api/v1/templates/preview", ok, T["alice:read"]).status, 200)
        sess = C.login("bob")
        r = C.request("POST", "/api/v1/templates/preview", body=ok, session=sess, csrf=False)
        self.assertEqual((r.status, r.error_code), (403, "csrf_failed"))
        self.assertEqual(C.request("POST", "/api/v1/templates/preview", body=ok, session=sess).status, 200)

    def test_session_names_the_display_name(self):
        r = C.get("/api/v1/session", self.token)
        self.assertEqual(r.json["user"], {"name": "mei", "display_name": "Mei Chen", "role": "agent"})
        self.assertIsNone(C.get("/api/v1/session", T["alice"]).json["user"]["display_name"])


class Shops(unittest.TestCase):
    def test_shops(self):
        r = C.get("/api/v1/shops", T["alice:read"])
        self.assertEqual(r.status, 200, r)
        want = S.sql("SELECT name || ':' || marketplace FROM shops ORDER BY id").split()
        self.assertEqual(["%s:%s" % (s["name"], s["marketplace"]) for s in r.json["items"]], want)

    def test_search_and_buyer_id(self):
        tid, name, bid = S.sql("SELECT t.id, b.name, b.id FROM tickets t JOIN buyers b ON b.id = t.buyer_id "
                               "WHERE b.name LIKE '%Müller%' OR b.name LIKE '%Garc%' ORDER BY t.id LIMIT 1").split("|")
        r = C.get("/api/v1/tickets?status=all&limit=200&q=" + quote(name), T["alice"])
        self.assertEqual(r.status, 200)
        want = S.sql("SELECT t.id FROM tickets t JOIN buyers b ON b.id = t.buyer_id WHERE b.name = '%s' "
                     "ORDER BY t.id" % name.replace("'", "''")).split()
        self.assertEqual(sorted(t["id"] for t in r.json["items"]), sorted(int(x) for x in want))
        self.assertTrue(all(t["buyer"]["id"] == int(bid) for t in r.json["items"]))
        order = S.sql("SELECT order_external_id FROM tickets WHERE order_external_id IS NOT NULL ORDER BY id LIMIT 1")
        r = C.get("/api/v1/tickets?status=all&q=" + quote(order[3:12]), T["alice"])
        self.assertIn(order, [t["order_id"] for t in r.json["items"]])
        r = C.get("/api/v1/tickets?status=all&q=" + tid, T["alice"])
        self.assertIn(int(tid), [t["id"] for t in r.json["items"]])
        # LIKE wildcards are literal: every hit holds the character itself
        for char, quoted in (("_", "_"), ("%", "%25")):
            hits = C.get("/api/v1/tickets?status=all&limit=200&q=" + quoted, T["alice"]).json["items"]
            self.assertTrue(hits, char)
            self.assertLess(len(hits), int(S.sql("SELECT count(*) FROM tickets")), char)
            for t in hits:
                self.assertIn(char, "".join(x or "" for x in (t["subject"], t["order_id"], t["buyer"]["name"],
                                                               t["buyer"]["external_id"])), t)
        self.assertEqual(C.get("/api/v1/tickets?q=" + "x" * 201, T["alice"]).status, 400)


class Reports(unittest.TestCase):
    """The leads' reports are the CLI's JSON, number for number."""

    def cli(self, *args):
        return json.loads(S.bd("report", *args, "--format", "json").stdout)

    def test_sla_equals_the_cli(self):
        # a period in the past: running clocks are measured at its end in both, so the
        # documents must be identical
        for query, args in (("group_by=agent", ["--group-by", "agent"]),
                            ("group_by=shop&clock=marketplace&breaches=true",
                             ["--group-by", "shop", "--clock", "marketplace", "--breaches"]),
                            ("", [])):
            r = C.get("/api/v1/reports/sla?from=2026-10-01&to=2026-11-15&" + query, T["lena"])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json, self.cli("sla", "--from", "2026-10-01", "--to", "2026-11-15", *args), query)
        self.assertGreater(r.json["tickets_read"], 0)
        self.assertGreater(r.json["total"]["first_reply"]["running"] + r.json["total"]["first_reply"]["count"], 0)

    def test_sla_validation(self):
        for q in ("group_by=buyer", "clock=wall", "breaches=maybe", "from=yesterday", "to=2026-13-45",
                  "from=2026-11-10&to=2026-11-01", "from=" + "1" * 80):
            r = C.get("/api/v1/reports/sla?" + q, T["lena"])
            self.assertEqual((r.status, r.error_code), (400, "invalid_parameter"), q)
        self.assertEqual(C.get("/api/v1/reports/sla", T["alice"]).status, 403)

    def test_workload_equals_the_cli(self):
        def timeless(w):  # "now" moves between the two calls
            w.pop("as_of")
            for row in w["agents"] + w["queues"]:
                if row["oldest_waiting"]:
                    row["oldest_waiting"].pop("waited_seconds")
            return w
        # the scheduler's tasks (sla-refresh) may commit between the two reads: compare
        # again until both read the same state
        def same(query, *args):
            for _ in range(10):
                r = C.get("/api/v1/reports/workload" + query, T["lena"])
                self.assertEqual(r.status, 200, r)
                api, cli = timeless(r.json), timeless(self.cli("workload", *args))
                if api == cli:
                    break
                __import__("time").sleep(0.5)
            self.assertEqual(api, cli)
            return r
        r = same("")
        open_now = int(S.sql("SELECT count(*) FROM tickets WHERE status IN ('new', 'open')"))
        self.assertEqual(sum(a["open"] for a in r.json["agents"]), open_now)
        same("?from=2026-11-01&to=2026-11-30", "--from", "2026-11-01", "--to", "2026-11-30")
        self.assertEqual(C.get("/api/v1/reports/workload?to=never", T["lena"]).status, 400)


class Admin(unittest.TestCase):
    def test_users(self):
        r = C.get("/api/v1/users", T["lena"])
        self.assertEqual(r.status, 200)
        self.assertEqual(sorted(u["name"] for u in r.json["items"]), sorted(bdapi.ROLES))
        r = C.post("/api/v1/users", {"name": "zoe", "role": "agent", "display_name": "Zoë Z", "password": "zoe-pass-55"}, T["adam"])
        self.assertEqual((r.status, r.json["name"], r.json["role"]), (201, "zoe", "agent"))
        self.assertEqual(C.post("/api/v1/users", {"name": "zoe"}, T["adam"]).status, 409)
        for bad in ({"name": "Bad Name"}, {"name": "x", "role": "king"}, {"name": "y", "password": "short"}, {}):
            self.assertEqual(C.post("/api/v1/users", bad, T["adam"]).status, 400, bad)
        self.assertEqual(C.get("/api/v1/users/zoe", T["lena"]).json["display_name"], "Zoë Z")
        self.assertEqual(C.get("/api/v1/users/nobody", T["lena"]).status, 404)
        sess = C.login("zoe", "zoe-pass-55")
        r = C.request("PATCH", "/api/v1/users/zoe", T["adam"], body={"role": "lead"})
        self.assertEqual((r.status, r.json["role"]), (200, "lead"))
        r = C.request("PATCH", "/api/v1/users/zoe", T["adam"], body={"disabled": True})
        self.assertEqual((r.status, r.json["disabled"]), (200, True))
        # a disabled user's session and tokens stop working at once
        self.assertEqual(C.get("/api/v1/session", session=sess).status, 401)
        r = C.post("/api/v1/session", {"name": "zoe", "password": "zoe-pass-55"})
        self.assertEqual(r.status, 401)
        C.request("PATCH", "/api/v1/users/zoe", T["adam"], body={"disabled": False, "password": "zoe-new-pass"})
        C.login("zoe", "zoe-new-pass")
        self.assertEqual(C.request("PATCH", "/api/v1/users/zoe", T["adam"], body={"disabled": "yes"}).status, 400)
        self.assertEqual(C.request("PATCH", "/api/v1/users/zoe", T["adam"], body={"role": "boss"}).status, 400)
        self.assertEqual(C.request("PATCH", "/api/v1/users/ghost", T["adam"], body={"role": "lead"}).status, 404)
        self.assertEqual(C.request("PATCH", "/api/v1/users/adam", T["adam"], body={"disabled": True}).status, 409)
        kinds = S.sql("SELECT kind FROM events WHERE actor = 'adam' AND detail LIKE '%\"zoe\"%' ORDER BY id").split()
        self.assertEqual(kinds, ["user_added", "role_changed", "user_disabled", "user_enabled", "password_changed"])

    def test_tokens(self):
        r = C.post("/api/v1/tokens", {"user": "bob", "scope": "read", "label": "report script"}, T["adam"])
        self.assertEqual(r.status, 201, r)
        secret, tid = r.json["token"], r.json["id"]
        self.assertTrue(secret.startswith("bdt_"))
        self.assertTrue(secret.startswith(r.json["prefix"]))
        # stored hashed only
        self.assertEqual(S.sql("SELECT count(*) FROM api_tokens WHERE token_hash = '%s' OR prefix = '%s'" % (secret, secret)), "0")
        self.assertEqual(C.get("/api/v1/session", secret).json["scope"], "read")
        listed = C.get("/api/v1/tokens?user=bob", T["adam"]).json["items"]
        self.assertIn(tid, [t["id"] for t in listed])
        for _ in range(100):  # the use is recorded right after the answer is sent
            used = [t for t in C.get("/api/v1/tokens?user=bob", T["adam"]).json["items"] if t["id"] == tid]
            if used[0]["last_used_at"]:
                break
            __import__("time").sleep(0.05)
        self.assertIsNotNone(used[0]["last_used_at"])
        self.assertTrue(all("token" not in t for t in listed))
        self.assertEqual(C.request("DELETE", "/api/v1/tokens/%d" % tid, T["adam"]).status, 204)
        self.assertEqual(C.get("/api/v1/session", secret).status, 401)
        self.assertEqual(C.request("DELETE", "/api/v1/tokens/%d" % tid, T["adam"]).status, 404)
        self.assertEqual(C.request("DELETE", "/api/v1/tokens/abc", T["adam"]).status, 404)
        self.assertEqual(C.post("/api/v1/tokens", {"user": "bob", "scope": "root"}, T["adam"]).status, 400)
        self.assertEqual(C.post("/api/v1/tokens", {"user": "ghost", "scope": "read"}, T["adam"]).status, 422)
        self.assertEqual(C.post("/api/v1/tokens", {"scope": "read"}, T["adam"]).status, 400)

    def test_scheduler(self):
        r = C.get("/api/v1/scheduler", T["lena"])
        self.assertEqual(r.status, 200)
        names = [t["name"] for t in r.json["tasks"]]
        self.assertEqual(sorted(names), ["sessions-expire", "sla-refresh", "tiers-recompute", "wal-checkpoint"])
        S.sql("INSERT INTO sessions VALUES ('expired-hash', 1, 'c', 1, 2, NULL)")
        before = {t["name"]: t["runs"] for t in r.json["tasks"]}
        r = C.post("/api/v1/scheduler/sessions-expire/run", None, T["adam"])
        self.assertEqual((r.status, r.json["queued"]), (202, True))
        for _ in range(600):  # waits for the run, however slow the machine
            tasks = {t["name"]: t for t in C.get("/api/v1/scheduler", T["lena"]).json["tasks"]}
            if tasks["sessions-expire"]["runs"] > before["sessions-expire"]:
                break
            __import__("time").sleep(0.1)
        t = tasks["sessions-expire"]
        self.assertGreater(t["runs"], before["sessions-expire"])
        self.assertTrue(t["last_ok"], t)
        self.assertEqual(S.sql("SELECT count(*) FROM sessions WHERE token_hash = 'expired-hash'"), "0")
        self.assertEqual(C.post("/api/v1/scheduler/no-such-task/run", None, T["adam"]).status, 404)
        # the SLA task recomputes every ticket's due state
        S.sql("UPDATE tickets SET due_state = 'bogus' WHERE id = 1")
        before = tasks["sla-refresh"]["runs"]
        self.assertEqual(C.post("/api/v1/scheduler/sla-refresh/run", None, T["adam"]).status, 202)
        for _ in range(600):
            tasks = {t["name"]: t for t in C.get("/api/v1/scheduler", T["lena"]).json["tasks"]}
            if tasks["sla-refresh"]["runs"] > before:
                break
            __import__("time").sleep(0.1)
        self.assertTrue(tasks["sla-refresh"]["last_ok"], tasks["sla-refresh"])
        self.assertNotEqual(S.sql("SELECT coalesce(due_state, '-') FROM tickets WHERE id = 1"), "bogus")


class Sessions(unittest.TestCase):
    def test_login_cookie_csrf_logout(self):
        s = C.login("alice")
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/api"):
            self.assertIn(attr, s["set_cookie"])
        self.assertNotIn("Secure", s["set_cookie"])
        r = C.get("/api/v1/session", session=s)
        self.assertEqual((r.json["user"]["name"], r.json["auth"], r.json["csrf_token"]), ("alice", "session", s["csrf"]))
        tid = a_ticket()
        self.assertEqual(C.post("/api/v1/tickets/%d/notes" % tid, {"body": "via cookie"}, session=s).status, 201)
        r = C.request("DELETE", "/api/v1/session", session=s)
        self.assertEqual(r.status, 204)
        self.assertIn("Max-Age=0", r.headers["set-cookie"])
        self.assertEqual(C.get("/api/v1/session", session=s).status, 401)
        self.assertEqual(C.request("DELETE", "/api/v1/session", T["alice"]).status, 400)

    def test_login_validation(self):
        self.assertEqual(C.post("/api/v1/session", {"name": "alice"}).status, 400)
        self.assertEqual(C.post("/api/v1/session", {"name": 1, "password": "x"}).status, 400)
        r = C.post("/api/v1/session", {"name": "bob", "password": "wrong-password"})
        self.assertEqual((r.status, r.error_code), (401, "invalid_credentials"))
        r = C.post("/api/v1/session", {"name": "nobody", "password": "wrong-password"})
        self.assertEqual((r.status, r.error_code), (401, "invalid_credentials"))


# ---- permission matrix: every route, every role ----

ROUTES = [l.split(" ")[:2] for l in bdapi.run("serve", "--routes").stdout.split("\n") if l]
SAMPLE = {"{id}": "1", "{tag}": "vip", "{name}": "alice"}
RANK = {"public": 0, "agent": 1, "lead": 2, "admin": 3}


def concrete(pattern):
    for k, v in SAMPLE.items():
        pattern = pattern.replace(k, v)
    return pattern


class Permissions(unittest.TestCase):
    def test_every_route_needs_credentials(self):
        for method, pattern in ROUTES:
            role = C.api.doc["paths"][pattern][method.lower()]["x-role"]
            if role == "public":
                continue
            r = C.request(method, concrete(pattern), body={} if method in ("POST", "PATCH") else None)
            self.assertEqual((r.status, r.error_code), (401, "unauthorized"), (method, pattern))
            r = C.request(method, concrete(pattern), "bdt_not-a-real-token")
            self.assertEqual(r.status, 401, (method, pattern))

    def test_roles_below_the_route_get_403(self):
        users = {"agent": "alice", "lead": "lena", "admin": "adam"}
        for method, pattern in ROUTES:
            need = RANK[C.api.doc["paths"][pattern][method.lower()]["x-role"]]
            for role, user in users.items():
                if RANK[role] >= need:
                    continue
                r = C.request(method, concrete(pattern), T[user], body={} if method in ("POST", "PATCH") else None)
                self.assertEqual((r.status, r.error_code), (403, "forbidden"), (method, pattern, role))

    def test_read_scope_cannot_write(self):
        for method, pattern in ROUTES:
            op = C.api.doc["paths"][pattern][method.lower()]
            if op.get("x-scope") in ("write", "admin"):
                r = C.request(method, concrete(pattern), T["adam:read"], body={} if method in ("POST", "PATCH") else None)
                self.assertEqual((r.status, r.error_code), (403, "insufficient_scope"), (method, pattern))


class ZCoverage(unittest.TestCase):
    """Runs last (classes run in name order): every route was exercised as required."""

    def test_every_route_exercised(self):
        missing = []
        for method, pattern in ROUTES:
            if bdapi.tested_elsewhere(pattern):
                continue
            got = C.api.seen.get((method, pattern), set())
            role = C.api.doc["paths"][pattern][method.lower()]["x-role"]
            if not any(200 <= s < 300 for s in got):
                missing.append("%s %s: no success" % (method, pattern))
            if role != "public" and 401 not in got:
                missing.append("%s %s: no 401" % (method, pattern))
            if role in ("lead", "admin") and 403 not in got:
                missing.append("%s %s: no 403" % (method, pattern))
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main(verbosity=1)
