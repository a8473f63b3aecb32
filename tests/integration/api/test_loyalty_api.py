"""test_loyalty_api.py — surveys, loyalty and satisfaction over real HTTP on loopback, on the
demo data with the demo configuration (FX rates, surveys on): solving a ticket queues the
survey invitation in the buyer's language with a working link, which stops no reply clock;
the public survey routes (read, answer once, expiry, validation, no cookie or CSRF, the
per-address limit); buyers with their loyalty, satisfaction, blacklist and suspicion; the
buyers list; blacklisting; the tickets' tier filter; the satisfaction and tiers reports
against `borderdesk report ... --format json` on the same database. Every response is
checked against docs/openapi.json, and at the end every route of this area was exercised
with a success, 401 and (for lead routes) 403."""
import json
import os
import re
import unittest

import bdapi

S = None
C = None
T = {}
PUBLIC_URL = "https://help.example.com"


def setUpModule():
    global S, C, T
    with open(os.path.join(bdapi.SRC, "tests/fixtures/demo/borderdesk.json")) as f:
        config = json.load(f)
    config["public_url"] = PUBLIC_URL + "/"
    config["shops"] = [{"name": "amazon-de", "marketplace": "amazon", "display_name": "Gadget Haus",
                        "enabled": False}]
    config["server"] = {"public_max_requests_per_address": 100000, "tiers_interval_seconds": 0}
    S = bdapi.Server(config=config)
    S.bd("tiers", "recompute", "--full", "--quiet")
    S.bd("feedback", "import", "-", stdin=feedback_lines())
    S.start()
    C = bdapi.Client(S)
    T = S.tokens


def tearDownModule():
    rc = S.stop()
    S.cleanup()
    if rc != 0:
        raise AssertionError("serve exited with %r" % rc)


def feedback_lines():
    """Two feedback entries of the first eBay order's buyer: positive, then negative."""
    shop = order = buyer = None
    with open(os.path.join(bdapi.SRC, "tests/fixtures/demo/orders.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            if o["marketplace"] == "ebay":
                shop, order, buyer = o["shop"], o["external_id"], o["buyer"]["external_id"]
                break
    rows = [{"shop": shop, "marketplace": "ebay", "external_id": "fb-api-1", "order_id": order,
             "buyer": {"external_id": buyer}, "rating": "positive", "comment": "Great seller",
             "left_at": "2026-11-10T10:00:00Z"},
            {"shop": shop, "marketplace": "ebay", "external_id": "fb-api-2", "order_id": order,
             "buyer": {"external_id": buyer}, "rating": "negative", "comment": "Slow answer",
             "left_at": "2026-11-12T10:00:00Z"}]
    return "".join(json.dumps(r) + "\n" for r in rows)


def ticket_in(language, status="new"):
    return int(S.sql("SELECT t.id FROM tickets t WHERE t.language = '%s' AND t.status = '%s' "
                     "ORDER BY t.id LIMIT 1" % (language, status)))


def solve(tid, who="alice"):
    r = C.post("/api/v1/tickets/%d/status" % tid, {"status": "solved"}, T[who])
    assert r.status == 200, r
    return S.sql("SELECT token FROM surveys WHERE ticket_id = %d" % tid)


class Invitation(unittest.TestCase):
    # words of each language's invitation: the text is the buyer's language, not English
    WORDS = {"de": "Umfrage", "ja": "アンケート", "fr": "questionnaire", "es": "encuesta", "en": "survey"}

    def test_solving_queues_the_invitation_in_the_buyers_language(self):
        for lang, word in self.WORDS.items():
            tid = ticket_in(lang, "open") if lang == "en" else ticket_in(lang)
            token = solve(tid)
            self.assertRegex(token, r"^[A-Za-z0-9_-]{32}$", lang)
            row = S.sql("SELECT m.author || '|' || o.status || '|' || o.channel || '|' || m.direction || '|' || m.kind "
                        "FROM messages m JOIN outbox o ON o.message_id = m.id WHERE m.ticket_id = %d "
                        "AND m.author LIKE 'borderdesk:%%'" % tid)
            marketplace = S.sql("SELECT s.marketplace FROM tickets t JOIN shops s ON s.id = t.shop_id WHERE t.id = %d" % tid)
            self.assertEqual(row, "borderdesk:survey|queued|%s|out|public" % marketplace, lang)
            body = S.sql("SELECT body FROM messages WHERE ticket_id = %d AND author = 'borderdesk:survey'" % tid)
            self.assertIn(word, body, lang)
            self.assertIn("%s/s/%s" % (PUBLIC_URL, token), body, lang)
            self.assertNotIn("{{", body)
            # the event names the message; the link works
            detail = json.loads(S.sql("SELECT detail FROM events WHERE ticket_id = %d AND kind = 'survey_created'" % tid))
            mid = int(S.sql("SELECT id FROM messages WHERE ticket_id = %d AND author = 'borderdesk:survey'" % tid))
            self.assertEqual(detail["invitation_message_id"], mid)
            r = C.get("/api/v1/public/surveys/" + token)
            self.assertEqual((r.status, r.json["status"], r.json["language"]), (200, "open", lang))
        # the shop's display name, not its internal name
        de = S.sql("SELECT body FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN shops s ON s.id = t.shop_id "
                   "WHERE m.author = 'borderdesk:survey' AND s.name = 'amazon-de' LIMIT 1")
        self.assertIn("Gadget Haus", de)

    def test_the_invitation_stops_no_reply_clock(self):
        # a buyer waits; the ticket is solved without a reply, then reopened: the
        # invitation between must not count as the answer
        tid = int(S.sql("SELECT t.id FROM tickets t WHERE t.status = 'new' AND NOT EXISTS (SELECT 1 FROM messages m "
                        "WHERE m.ticket_id = t.id AND m.direction = 'out') ORDER BY t.id DESC LIMIT 1"))
        solve(tid)
        self.assertEqual(S.sql("SELECT count(*) FROM messages WHERE ticket_id = %d AND direction = 'out'" % tid), "1")
        r = C.post("/api/v1/tickets/%d/status" % tid, {"status": "open"}, T["alice"])
        self.assertEqual(r.status, 200)
        self.assertGreater(r.json["unanswered"], 0)  # the buyer still waits
        self.assertIsNotNone(r.json["due_at"])       # and the first-reply clock still runs
        r = C.get("/api/v1/reports/sla?from=2026-01-01&to=2027-12-31&group_by=agent", T["lena"])
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("borderdesk:survey", json.dumps(r.json))
        r = C.get("/api/v1/reports/workload", T["lena"])
        self.assertNotIn("borderdesk:survey", json.dumps(r.json))
        # a person's reply does stop it
        C.post("/api/v1/tickets/%d/reply" % tid, {"body": "Sorry for the wait, here is your answer."}, T["alice"])
        self.assertEqual(C.get("/api/v1/tickets/%d" % tid, T["alice"]).json["unanswered"], 0)

    def test_a_ticket_gets_one_survey(self):
        tid = ticket_in("it")
        token = solve(tid)
        C.post("/api/v1/tickets/%d/status" % tid, {"status": "open"}, T["alice"])
        self.assertEqual(solve(tid), token)
        self.assertEqual(S.sql("SELECT count(*) FROM messages WHERE ticket_id = %d AND author = 'borderdesk:survey'" % tid), "1")


class PublicSurvey(unittest.TestCase):
    def test_read_and_answer_once(self):
        token = solve(ticket_in("pt"))
        r = C.get("/api/v1/public/surveys/" + token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["kind"], "csat")
        self.assertEqual(r.json["scale"], {"min": 1, "max": 5})
        self.assertEqual(r.json["dimensions"], ["product_quality", "service_attitude", "response_speed"])
        self.assertEqual(set(r.json), {"token", "kind", "scale", "language", "shop", "dimensions", "status", "expires_at"})
        url = "/api/v1/public/surveys/" + token
        for body, status in (({"score": 6}, 422), ({"score": 0}, 422), ({"score": 4, "dimensions": {"price": 3}}, 422),
                             ({"score": 4, "dimensions": {"product_quality": 9}}, 422),
                             ({"score": 4, "dimensions": {"taste": 3}}, 422),
                             ({"score": "4"}, 400), ({"score": 4.5}, 400), ({}, 400), ({"score": 4, "x": 1}, 400),
                             ({"score": 4, "dimensions": [1]}, 400), ({"score": 4, "comment": 5}, 400),
                             ({"score": 4, "comment": "x" * 2001}, 422)):
            r = C.post(url, body)
            self.assertEqual(r.status, status, (body, r))
        self.assertEqual(C.request("POST", url, raw=b"{", headers={"Content-Type": "application/json"}).status, 400)
        r = C.post(url, {"score": 5, "comment": "Muito bom", "dimensions": {"product_quality": 4, "response_speed": 5}})
        self.assertEqual((r.status, r.json), (201, {"status": "answered"}))
        self.assertEqual(S.sql("SELECT score || ':' || comment FROM surveys WHERE token = '%s'" % token), "5:Muito bom")
        self.assertEqual(S.sql("SELECT group_concat(dimension || '=' || score) FROM (SELECT * FROM survey_answers a "
                               "JOIN surveys v ON v.id = a.survey_id WHERE v.token = '%s' ORDER BY dimension)" % token),
                         "quality=4,speed=5")
        r = C.post(url, {"score": 1})
        self.assertEqual((r.status, r.error_code), (409, "conflict"))
        self.assertEqual(C.get(url).json["status"], "answered")
        self.assertEqual(S.sql("SELECT actor FROM events WHERE kind = 'survey_answered' AND detail LIKE '%%\"score\":5%%' "
                               "ORDER BY id DESC LIMIT 1"), "buyer")

    def test_expired_and_unknown(self):
        token = solve(ticket_in("ru"))
        S.sql("UPDATE surveys SET expires_at = unixepoch() - 60 WHERE token = '%s'" % token)
        url = "/api/v1/public/surveys/" + token
        self.assertEqual(C.get(url).json["status"], "expired")
        r = C.post(url, {"score": 3})
        self.assertEqual((r.status, r.error_code), (410, "gone"))
        for bad in ("no-such-token", "A" * 32, "x" * 65, "..%2F..%2Fetc", "%27%20OR%201%3D1"):
            self.assertEqual(C.get("/api/v1/public/surveys/" + bad).status, 404, bad)
            self.assertEqual(C.post("/api/v1/public/surveys/" + bad, {"score": 3}).status, 404, bad)

    def test_no_cookie_no_csrf_needed_and_nothing_private(self):
        token = solve(ticket_in("pl"))
        s = C.login("alice")
        # a cookie sent along changes nothing: no CSRF token is asked for
        r = C.post("/api/v1/public/surveys/" + token, {"score": 4}, session=s, csrf=False)
        self.assertEqual(r.status, 201, r)
        r = C.get("/api/v1/public/surveys/" + token)
        text = r.body.decode()
        buyer = S.sql("SELECT b.name FROM surveys v JOIN buyers b ON b.id = v.buyer_id WHERE v.token = '%s'" % token)
        self.assertNotIn(buyer, text)
        self.assertNotIn("ticket", text)
        self.assertNotIn("set-cookie", r.headers)

    def test_limited_per_address(self):
        s = bdapi.Server(config={"server": {"public_max_requests_per_address": 3, "public_window_seconds": 600}},
                         demo=False).start()
        try:
            c = bdapi.Client(s, api=C.api)
            got = [c.get("/api/v1/public/surveys/unknown-token").status for _ in range(5)]
            self.assertEqual(got, [404, 404, 404, 429, 429])
            r = c.post("/api/v1/public/surveys/unknown-token", {"score": 1})
            self.assertEqual((r.status, r.error_code), (429, "too_many_requests"))
            self.assertGreater(int(r.headers["retry-after"]), 0)
            # the rest of the API is not affected
            self.assertEqual(c.get("/api/v1/health").status, 200)
        finally:
            self.assertEqual(s.stop(), 0)
            s.cleanup()


class Buyers(unittest.TestCase):
    def test_profile_with_loyalty_satisfaction_blacklist_suspicion(self):
        bid = int(S.sql("SELECT buyer_id FROM feedback WHERE external_id = 'fb-api-1'"))
        r = C.get("/api/v1/buyers/%d" % bid, T["alice"])
        self.assertEqual(r.status, 200, r)
        cli = json.loads(S.bd("buyers", "show", str(bid), "--json").stdout)["loyalty"]
        ly = r.json["loyalty"]
        for api_key, cli_key in (("tier", "tier"), ("pyramid", "pyramid"), ("abc", "abc"), ("loyalty_class", "loyalty"),
                                 ("lifecycle", "lifecycle"), ("orders", "orders"), ("spend", "spend"),
                                 ("first_order_at", "first_order_at"), ("last_order_at", "last_order_at"),
                                 ("top20", "top20"), ("currency", "currency")):
            self.assertEqual(ly[api_key], cli[cli_key], api_key)
        for k in ("r", "f", "m", "segment"):
            self.assertEqual(ly["rfm"][k] or 0 if k != "segment" else ly["rfm"][k], cli["rfm"][k], k)
        self.assertEqual(ly["tier_grading"], "pyramid")
        self.assertTrue(ly["tier_reason"])
        sat = r.json["satisfaction"]
        self.assertEqual([(x["source"], x["rating"]) for x in sat[:2]], [("feedback", "negative"), ("feedback", "positive")])
        self.assertTrue(all(a["at"] >= b["at"] for a, b in zip(sat, sat[1:])))
        self.assertIsNotNone(sat[0]["order_id"])
        self.assertIsNone(r.json["blacklist"])
        self.assertEqual(r.json["suspicion"], [])
        # a survey answer joins the list, newest first, with ticket and order
        tid = int(S.sql("SELECT id FROM tickets WHERE buyer_id = %d AND status != 'closed' ORDER BY id LIMIT 1" % bid))
        token = solve(tid)
        self.assertEqual(C.post("/api/v1/public/surveys/" + token, {"score": 2, "comment": "meh"}).status, 201)
        sat = C.get("/api/v1/buyers/%d" % bid, T["alice"]).json["satisfaction"]
        self.assertEqual((sat[0]["source"], sat[0]["score"], sat[0]["ticket_id"], sat[0]["comment"]), ("survey", 2, tid, "meh"))
        self.assertEqual(C.get("/api/v1/buyers/999999", T["alice"]).status, 404)

    def test_churn_risk_and_suspicion(self):
        bid = int(S.sql("SELECT buyer_id FROM buyer_loyalty ORDER BY buyer_id LIMIT 1"))
        S.sql("UPDATE buyer_loyalty SET churn = 'silent' WHERE buyer_id = %d" % bid)
        S.sql("INSERT INTO buyer_flags(buyer_id, kind, status, level, evidence, raised_at) "
              "VALUES (%d, 'refund_claims', 'open', 3, '{\"claims\": 3, \"orders\": 4}', unixepoch())" % bid)
        try:
            r = C.get("/api/v1/buyers/%d" % bid, T["alice"])
            self.assertEqual(r.json["loyalty"]["churn_risk"]["kind"], "silent")
            self.assertIn("no order for", r.json["loyalty"]["churn_risk"]["reason"])
            self.assertEqual([(f["kind"], f["status"], f["evidence"]["claims"]) for f in r.json["suspicion"]],
                             [("refund_claims", "open", 3)])
            r = C.get("/api/v1/buyers?churn_risk=1", T["alice"])
            self.assertIn(bid, [b["id"] for b in r.json["items"]])
            self.assertTrue(all(b["loyalty"]["churn_risk"] for b in r.json["items"]))
        finally:
            S.sql("UPDATE buyer_loyalty SET churn = NULL WHERE buyer_id = %d; DELETE FROM buyer_flags WHERE buyer_id = %d" % (bid, bid))

    def test_list_pages_filters(self):
        seen, cursor = [], None
        while True:
            r = C.get("/api/v1/buyers?limit=7" + ("&cursor=" + cursor if cursor else ""), T["alice:read"])
            self.assertEqual(r.status, 200, r)
            seen += r.json["items"]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        self.assertEqual(len(seen), int(S.sql("SELECT count(*) FROM buyers")))
        self.assertEqual(len({b["id"] for b in seen}), len(seen))
        spends = [float(b["loyalty"]["spend"]) for b in seen]
        self.assertEqual(spends, sorted(spends, reverse=True))
        r = C.get("/api/v1/buyers?tier=vip&limit=200", T["alice"])
        want = S.sql("SELECT buyer_id FROM buyer_loyalty WHERE tier = 'vip' ORDER BY buyer_id").split()
        self.assertEqual(sorted(b["id"] for b in r.json["items"]), sorted(int(x) for x in want))
        self.assertTrue(want)
        r = C.get("/api/v1/buyers?shop=amazon-jp&limit=200", T["alice"])
        self.assertTrue(r.json["items"] and all(b["shop"] == "amazon-jp" for b in r.json["items"]))
        for q in ("churn_risk=yes", "blacklisted=2", "limit=0", "cursor=zzz", "tier=" + "x" * 40):
            self.assertEqual(C.get("/api/v1/buyers?" + q, T["alice"]).status, 400, q)

    def test_blacklist(self):
        bid = int(S.sql("SELECT b.id FROM buyers b JOIN buyer_loyalty l ON l.buyer_id = b.id WHERE l.boost > 0 "
                        "ORDER BY b.id LIMIT 1"))
        url = "/api/v1/buyers/%d/blacklist" % bid
        self.assertEqual(C.request("PUT", url, T["alice"], body={"reason": "x"}).status, 403)
        self.assertEqual(C.request("PUT", url, T["lena"], body={}).status, 400)
        self.assertEqual(C.request("PUT", url, T["lena"], body={"reason": 3}).status, 400)
        self.assertEqual(C.request("PUT", "/api/v1/buyers/999999/blacklist", T["lena"], body={"reason": "x"}).status, 404)
        self.assertEqual(C.request("DELETE", url, T["lena"]).status, 404)  # not listed
        r = C.request("PUT", url, T["lena"], body={"reason": "chargeback fraud, three times"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json["blacklist"]["reason"], r.json["blacklist"]["set_by"]), ("chargeback fraud, three times", "lena"))
        self.assertEqual(C.request("PUT", url, T["lena"], body={"reason": "again"}).status, 409)
        b = C.get("/api/v1/buyers/%d" % bid, T["alice"]).json
        self.assertEqual(b["blacklist"]["set_by"], "lena")
        self.assertEqual(b["loyalty"]["priority_boost"], 0)
        self.assertIn(bid, [x["id"] for x in C.get("/api/v1/buyers?blacklisted=1", T["alice"]).json["items"]])
        self.assertTrue(all(t["blacklisted"] for t in C.get("/api/v1/buyers/%d/tickets?status=all" % bid, T["alice"]).json["items"]))
        # the cookie session needs its CSRF token
        s = C.login("lena")
        self.assertEqual(C.request("DELETE", url, session=s, csrf=False).status, 403)
        r = C.request("DELETE", url, session=s, body={"reason": "paid back"})
        self.assertEqual(r.status, 204, r)
        self.assertFalse(C.get("/api/v1/buyers/%d" % bid, T["alice"]).json["blacklist"])
        events = S.sql("SELECT actor || ':' || kind FROM events WHERE kind IN ('blacklisted', 'unblacklisted') "
                       "AND detail LIKE '%%' ORDER BY id").split("\n")
        self.assertIn("lena:blacklisted", events)
        self.assertIn("lena:unblacklisted", events)

    def test_tickets_tier_filter(self):
        r = C.get("/api/v1/tickets?status=all&tier=vip&limit=200", T["alice"])
        self.assertEqual(r.status, 200)
        want = S.sql("SELECT t.id FROM tickets t JOIN buyer_loyalty l ON l.buyer_id = t.buyer_id "
                     "WHERE l.tier = 'vip'").split()
        self.assertTrue(want)
        self.assertEqual(sorted(t["id"] for t in r.json["items"]), sorted(int(x) for x in want))
        self.assertTrue(all(t["tier"] == "vip" for t in r.json["items"]))
        self.assertEqual(C.get("/api/v1/tickets?tier=" + "x" * 201, T["alice"]).status, 400)

    def test_tickets_buyer_filter(self):
        bid = int(S.sql("SELECT buyer_id FROM tickets GROUP BY buyer_id ORDER BY count(*) DESC, buyer_id LIMIT 1"))
        want = sorted(int(x) for x in S.sql("SELECT id FROM tickets WHERE buyer_id = %d" % bid).split())
        r = C.get("/api/v1/tickets?status=all&limit=200&buyer=%d" % bid, T["alice"])
        self.assertEqual(r.status, 200)
        self.assertEqual(sorted(t["id"] for t in r.json["items"]), want)
        self.assertTrue(all(t["buyer"]["id"] == bid for t in r.json["items"]))
        # the same as the buyer's own list, which the filter combines with the others
        self.assertEqual(r.json["items"], C.get("/api/v1/buyers/%d/tickets?limit=200" % bid, T["alice"]).json["items"])
        self.assertEqual(C.get("/api/v1/tickets?status=all&buyer=999999", T["alice"]).json["items"], [])
        for q in ("buyer=", "buyer=0", "buyer=-3", "buyer=x1", "buyer=1.5", "buyer=" + "9" * 19):
            self.assertEqual(C.get("/api/v1/tickets?" + q, T["alice"]).status, 400, q)


class Reports(unittest.TestCase):
    def cli(self, *args):
        return json.loads(S.bd("report", *args, "--format", "json").stdout)

    def test_satisfaction_equals_the_cli(self):
        for lang in ("ko", "zh"):
            token = solve(ticket_in(lang))
            C.post("/api/v1/public/surveys/" + token, {"score": 5, "dimensions": {"service_attitude": 4}})
        for query, args in (("", []), ("&group_by=agent", ["--group-by", "agent"]), ("&group_by=shop", ["--group-by", "shop"]),
                            ("&group_by=category", ["--group-by", "category"]), ("&group_by=week", ["--group-by", "week"])):
            r = C.get("/api/v1/reports/satisfaction?from=2026-01-01&to=2027-12-31" + query, T["lena"])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json, self.cli("satisfaction", "--from", "2026-01-01", "--to", "2027-12-31", *args), query)
        self.assertGreater(r.json["total"]["responses"], 0)
        self.assertGreater(r.json["total"]["feedback"]["negative"], 0)
        r = C.get("/api/v1/reports/satisfaction?from=2026-11-01T00:00:00Z&to=2026-11-20T12:00:00Z", T["lena"])
        self.assertEqual(r.json, self.cli("satisfaction", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-20T12:00:00Z"))
        for q in ("group_by=buyer", "from=yesterday", "to=2026-13-01", "from=2026-11-10&to=2026-11-01", "to=" + "9" * 80):
            r = C.get("/api/v1/reports/satisfaction?" + q, T["lena"])
            self.assertEqual((r.status, r.error_code), (400, "invalid_parameter"), q)
        self.assertEqual(C.get("/api/v1/reports/satisfaction", T["alice"]).status, 403)

    def test_tiers_equals_the_cli(self):
        for query, args in (("", []), ("&shop=amazon-jp", ["--shop", "amazon-jp"]), ("&limit=0", ["--limit", "0"]),
                            ("&limit=2", ["--limit", "2"])):
            r = C.get("/api/v1/reports/tiers?from=2026-01-01&to=2027-12-31" + query, T["lena"])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json, self.cli("tiers", "--from", "2026-01-01", "--to", "2027-12-31", *args), query)
        self.assertGreater(sum(r.json["distribution"]["tier"].values()), 0)
        for q in ("shop=no-such-shop", "limit=-1", "limit=x", "from=never"):
            self.assertEqual(C.get("/api/v1/reports/tiers?" + q, T["lena"]).status, 400, q)
        self.assertEqual(C.get("/api/v1/reports/tiers", T["bob"]).status, 403)


class ZCoverage(unittest.TestCase):
    """Runs last: every route of this area was exercised with a success, 401 and 403."""

    def test_every_route_exercised(self):
        routes = [l.split(" ")[:2] for l in bdapi.run("serve", "--routes").stdout.split("\n") if l]
        for method, pattern in routes:  # without credentials, and a role below the route's
            if not bdapi.tested_elsewhere(pattern) or pattern.startswith("/api/v1/sync"):  # test_sync_api.py
                continue
            role = C.api.doc["paths"][pattern][method.lower()]["x-role"]
            if role == "public":
                continue
            path = pattern.replace("{id}", "1")
            body = {} if method in ("POST", "PUT", "PATCH") else None
            self.assertEqual(C.request(method, path, body=body).status, 401, (method, pattern))
            if role == "lead":
                self.assertEqual(C.request(method, path, T["alice"], body=body).status, 403, (method, pattern))
        missing = bdapi.coverage_missing(C.api, routes, lambda p: bdapi.tested_elsewhere(p) and not p.startswith("/api/v1/sync"))
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main(verbosity=1)
