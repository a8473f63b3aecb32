"""test_openapi.py — docs/openapi.json against the router: every route is documented with
the role and scope the router enforces, nothing is documented that the router lacks, the
server serves the same document, and the schema checker that the API tests rely on does
reject what does not match."""
import json
import unittest

import bdapi


class Document(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = bdapi.OpenAPI()
        out = bdapi.run("serve", "--routes").stdout
        cls.routes = [l.split(" ") for l in out.split("\n") if l]

    def test_every_route_is_documented_and_nothing_else(self):
        doc_ops = {(m.upper(), p) for p, ops in self.api.doc["paths"].items() for m in ops}
        router = {(m, p) for m, p, _, _ in self.routes}
        self.assertEqual(sorted(router - doc_ops), [], "routes missing from docs/openapi.json")
        self.assertEqual(sorted(doc_ops - router), [], "documented operations the router lacks")

    def test_roles_and_scopes_match_the_router(self):
        for method, pattern, role, scope in self.routes:
            op = self.api.doc["paths"][pattern][method.lower()]
            self.assertEqual(op["x-role"], role, (method, pattern))
            self.assertEqual(op.get("x-scope", "-"), scope, (method, pattern))
            if role == "public":
                self.assertEqual(op.get("security"), [], (method, pattern))
            else:
                for status in ("401", "403"):
                    self.assertIn(status, op["responses"], (method, pattern))

    def test_every_schema_reference_resolves(self):
        text = json.dumps(self.api.doc)
        import re
        for kind, name in re.findall(r'"#/components/(schemas|responses)/([^"]+)"', text):
            self.assertIn(name, self.api.doc["components"][kind])

    def test_served_document_is_the_repository_file(self):
        s = bdapi.Server(demo=False).start()
        try:
            r = bdapi.Client(s, api=self.api).get("/api/v1/openapi.json")
            self.assertEqual(r.status, 200)
            self.assertEqual(json.loads(r.body), self.api.doc)
        finally:
            self.assertEqual(s.stop(), 0)
            s.cleanup()


class Checker(unittest.TestCase):
    """The checker must fail on what does not match, or the API tests prove nothing."""

    def setUp(self):
        self.api = bdapi.OpenAPI()
        self.doc = self.api.doc
        self.ok_ticket = {"id": 1, "status": "new", "shop": "s", "marketplace": "m",
                          "buyer": {"id": 1, "external_id": "b", "name": None, "country": None, "language": None},
                          "order_id": None, "conversation_id": None, "subject": None, "category": None,
                          "subcategory": None, "language": None, "priority": "normal", "assignee": None,
                          "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                          "solved_at": None, "last_message_at": None, "last_buyer_message_at": None,
                          "message_count": 0, "unanswered": 0, "linked_ticket_id": None, "tags": [],
                          "due_at": None, "due_state": None, "tier": None, "blacklisted": False}

    def check(self, value, schema="Ticket"):
        bdapi.check({"$ref": "#/components/schemas/" + schema}, value, self.doc)

    def test_accepts_a_valid_ticket(self):
        self.check(self.ok_ticket)

    def test_rejects(self):
        cases = [("id", "1"), ("id", True), ("status", "lost"), ("created_at", "yesterday"),
                 ("created_at", None), ("tags", [1]), ("buyer", {"external_id": "b"}), ("priority", None),
                 ("due_state", "late"), ("tier", 1), ("blacklisted", None)]
        for key, value in cases:
            bad = dict(self.ok_ticket, **{key: value})
            with self.assertRaises(bdapi.SchemaError, msg=(key, value)):
                self.check(bad)
        extra = dict(self.ok_ticket, secret="x")
        with self.assertRaises(bdapi.SchemaError):
            self.check(extra)
        missing = dict(self.ok_ticket)
        del missing["status"]
        with self.assertRaises(bdapi.SchemaError):
            self.check(missing)
        with self.assertRaises(bdapi.SchemaError):
            self.check({"items": [self.ok_ticket]}, "TicketPage")  # next_cursor missing
        with self.assertRaises(bdapi.SchemaError):
            bdapi.check({"type": "string", "unknownKeyword": 1}, "x", self.doc)

    def test_rejects_undocumented_statuses_and_bodies(self):
        with self.assertRaises(bdapi.SchemaError):
            self.api.check_response("GET", "/api/v1/tickets", 418, {}, b"")
        with self.assertRaises(bdapi.SchemaError):
            self.api.check_response("GET", "/api/v1/tickets", 200, {"content-type": "application/json"},
                                    b'{"items": [], "next_cursor": null, "extra": 1}')
        with self.assertRaises(bdapi.SchemaError):
            self.api.check_response("DELETE", "/api/v1/tokens/1", 204, {}, b'{"x":1}')
        self.api.check_response("GET", "/api/v1/tickets", 200, {"content-type": "application/json"},
                                b'{"items": [], "next_cursor": null}')


if __name__ == "__main__":
    unittest.main(verbosity=1)
