"""test_security.py — CSRF, SQL-injection and path-traversal payloads, body limits,
slow-loris clients, failed-login limits, secrets kept out of the access log, the Secure
cookie behind TLS, and the graceful stop with a request in flight."""
import json
import os
import signal
import socket
import threading
import time
import unittest
from urllib.parse import quote

import bdapi

S = C = None
T = {}
CONFIG = {"server": {"max_body_bytes": 4096, "connection_timeout_seconds": 2, "threads": 2,
                     "login_max_failures_per_account": 5, "login_max_failures_per_address": 12}}


def setUpModule():
    global S, C, T
    S = bdapi.Server(config=CONFIG).start()
    C = bdapi.Client(S)
    T = S.tokens


def tearDownModule():
    rc = S.stop()
    S.cleanup()
    if rc != 0:
        raise AssertionError("serve exited with %r" % rc)


def raw_http(data, read=True, timeout=30):
    """Sends bytes as they are (no client-side normalisation); returns the raw answer."""
    s = socket.create_connection(("127.0.0.1", S.port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
    finally:
        s.close()


class Csrf(unittest.TestCase):
    def test_state_change_needs_the_csrf_token(self):
        sess = bdapi.Client(S).login("bob")
        tid = int(S.sql("SELECT min(id) FROM tickets"))
        before = S.sql("SELECT count(*) FROM messages")
        for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""},
                        {"X-CSRF-Token": sess["csrf"][:-1]}):
            r = C.request("POST", "/api/v1/tickets/%d/notes" % tid, body={"body": "forged"},
                          session=sess, csrf=False, headers=headers)
            self.assertEqual((r.status, r.error_code), (403, "csrf_failed"), headers)
        r = C.request("DELETE", "/api/v1/session", session=sess, csrf=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(S.sql("SELECT count(*) FROM messages"), before)
        # reads need no CSRF token; the right token works
        self.assertEqual(C.get("/api/v1/tickets/%d" % tid, session=sess).status, 200)
        r = C.request("POST", "/api/v1/tickets/%d/notes" % tid, body={"body": "real"}, session=sess)
        self.assertEqual(r.status, 201)
        # a CSRF token alone (no cookie) is not a credential
        r = C.request("POST", "/api/v1/tickets/%d/notes" % tid, body={"body": "x"},
                      headers={"X-CSRF-Token": sess["csrf"]})
        self.assertEqual(r.status, 401)


class Injection(unittest.TestCase):
    PAYLOADS = ["' OR 1=1 --", "'; DROP TABLE tickets; --", "\" OR \"\"=\"", "1; DELETE FROM users",
                "%' UNION SELECT password_hash FROM users --", "\\x00", "ebay-us' --"]

    def snapshot(self):
        return S.sql("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM users),"
                     " (SELECT count(*) FROM messages) - (SELECT count(*) FROM messages WHERE author = 'alice')")

    def test_query_parameters(self):
        before = self.snapshot()
        for p in self.PAYLOADS:
            for key in ("shop", "marketplace", "category", "language", "assignee", "tag"):
                r = C.get("/api/v1/tickets?status=all&%s=%s" % (key, quote(p)), T["alice"])
                self.assertEqual((r.status, r.json["items"]), (200, []), (key, p))
            for key in ("status", "due", "cursor", "limit"):
                r = C.get("/api/v1/tickets?%s=%s" % (key, quote(p)), T["alice"])
                self.assertEqual(r.status, 400, (key, p))
            r = C.get("/api/v1/orders?shop=%s" % quote(p), T["alice"])
            self.assertEqual((r.status, r.json["items"]), (200, []))
            r = C.get("/api/v1/audit?actor=%s" % quote(p), T["lena"])
            self.assertEqual((r.status, r.json["items"]), (200, []))
        self.assertEqual(self.snapshot(), before)

    def test_path_parameters(self):
        for p in self.PAYLOADS:
            for tpl in ("/api/v1/tickets/%s", "/api/v1/orders/%s", "/api/v1/buyers/%s",
                        "/api/v1/messages/%s", "/api/v1/users/%s"):
                r = C.get(tpl % quote(p, safe=""), T["lena"])
                self.assertEqual(r.status, 404, (tpl, p))
        r = C.request("DELETE", "/api/v1/tickets/1/tags/%s" % quote("' OR 1=1 --", safe=""), T["alice"])
        self.assertEqual(r.status, 404)

    def test_bodies_are_stored_verbatim(self):
        tid = int(S.sql("SELECT min(id) FROM tickets"))
        for p in self.PAYLOADS:
            r = C.post("/api/v1/tickets/%d/reply" % tid, {"body": p}, T["alice"])
            self.assertEqual(r.status, 201, p)
            self.assertEqual(r.json["message"]["body"], p)
        r = C.post("/api/v1/session", {"name": "' OR 1=1 --", "password": "' OR 1=1 --"})
        self.assertEqual(r.status, 401)
        self.assertEqual(int(S.sql("SELECT count(*) FROM users")), 4)
        self.assertEqual(S.sql("SELECT count(*) FROM sqlite_master WHERE name = 'tickets'"), "1")


class Traversal(unittest.TestCase):
    def test_paths_outside_the_api(self):
        for path in ("/api/v1/../../../../etc/passwd", "/api/v1/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                     "/api/v1/openapi.json/../../../etc/passwd", "/api/v1/orders/..%2f..%2f..%2fetc%2fpasswd",
                     "/../../etc/passwd", "/api/v1/tickets/1/../../users", "//etc/passwd",
                     "/api/v1/openapi.json%00.txt", "/etc/passwd"):
            out = raw_http(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                            "Connection: close\r\n\r\n" % (path, T["adam"])).encode())
            status = int(out.split(b" ", 2)[1])
            self.assertIn(status, (400, 404), path)
            self.assertNotIn(b"root:", out, path)


class Limits(unittest.TestCase):
    def test_body_over_the_limit(self):
        tid = int(S.sql("SELECT min(id) FROM tickets"))
        r = C.post("/api/v1/tickets/%d/notes" % tid, {"body": "x" * 5000}, T["alice"])
        self.assertEqual((r.status, r.error_code), (413, "body_too_large"))
        # without Content-Length (chunked): cut off while reading
        body = json.dumps({"body": "y" * 9000}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000]) for i in range(0, len(body), 1000))
        out = raw_http(("POST /api/v1/tickets/%d/notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                        "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" % (tid, T["alice"])).encode()
                       + chunks + b"0\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:200])
        self.assertEqual(S.sql("SELECT count(*) FROM messages WHERE body LIKE 'yyyy%'"), "0")
        # just under the limit is fine
        r = C.post("/api/v1/tickets/%d/notes" % tid, {"body": "z" * 3000}, T["alice"])
        self.assertEqual(r.status, 201)

    def test_slow_loris_does_not_exhaust_the_pool(self):
        slow = []
        for i in range(200):
            s = socket.create_connection(("127.0.0.1", S.port), timeout=30)
            s.sendall(b"GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                for s in slow:
                    try:
                        s.send(b"X-a: b\r\n")
                    except OSError:
                        pass
                stop.wait(0.5)
        t = threading.Thread(target=trickle)
        t.start()
        try:
            for i in range(20):
                r = C.get("/api/v1/tickets?limit=5", T["alice"])
                self.assertEqual(r.status, 200)
        finally:
            stop.set()
            t.join()
        # a client that goes quiet mid-request is disconnected by the server
        quiet = slow[0]
        quiet.settimeout(60)
        got = b""
        try:
            while True:
                chunk = quiet.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, socket.timeout) as e:
            if isinstance(e, socket.timeout):
                self.fail("the server kept an idle half-sent request open for 60 s")
        for s in slow:
            s.close()


class Log(unittest.TestCase):
    def test_access_log_is_json_without_secrets(self):
        sess = bdapi.Client(S).login("lena")
        C.get("/api/v1/tickets?shop=secret-query-value", T["alice"])
        log = S.read_log()
        lines = [l for l in log.splitlines() if l.startswith("{")]
        self.assertTrue(lines)
        reqs = [json.loads(l) for l in lines if '"req"' in l and '"method"' in l]
        for e in reqs:
            for k in ("ts", "req", "remote", "method", "path", "status", "bytes", "ms", "user", "auth"):
                self.assertIn(k, e)
        self.assertTrue(any(e["path"] == "/api/v1/session" and e["status"] == 201 for e in reqs))
        for secret in list(T.values()) + list(bdapi.PASSWORDS.values()) + [sess["cookie"], sess["csrf"], "secret-query-value"]:
            self.assertTrue(secret not in log, "a secret is in the access log")


class ZLimits(unittest.TestCase):
    """Runs last: it blocks this address's logins."""

    def test_failed_logins_per_account(self):
        for i in range(5):
            r = C.post("/api/v1/session", {"name": "bob", "password": "not-bobs-password"})
            self.assertEqual(r.status, 401, i)
        r = C.post("/api/v1/session", {"name": "bob", "password": bdapi.PASSWORDS["bob"]})
        self.assertEqual((r.status, r.error_code), (429, "too_many_attempts"))
        self.assertGreater(int(r.headers["retry-after"]), 0)
        # other accounts are not blocked by bob's failures
        self.assertEqual(C.post("/api/v1/session", {"name": "alice", "password": bdapi.PASSWORDS["alice"]}).status, 201)

    def test_zfailed_logins_per_address(self):
        for i in range(12):
            C.post("/api/v1/session", {"name": "nobody%d" % i, "password": "guess-guess"})
        r = C.post("/api/v1/session", {"name": "lena", "password": bdapi.PASSWORDS["lena"]})
        self.assertEqual((r.status, r.error_code), (429, "too_many_attempts"))
        # tokens keep working: the limit is on logins only
        self.assertEqual(C.get("/api/v1/session", T["lena"]).status, 200)


class ZShutdown(unittest.TestCase):
    def test_graceful_stop_finishes_in_flight_requests(self):
        s2 = bdapi.Server(config={"server": {"behind_tls": True}}, demo=False).start()
        try:
            c2 = bdapi.Client(s2)
            self.assertIn("Secure", c2.login("alice")["set_cookie"])
            body = json.dumps({"user": "bob", "scope": "read", "label": "in flight"}).encode()
            sock = socket.create_connection(("127.0.0.1", s2.port), timeout=60)
            sock.sendall(("POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                          "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (s2.tokens["adam"], len(body))).encode()
                         + body[:10])
            # the request is in flight (headers read, body half sent) when SIGTERM arrives
            time.sleep(0.3)  # ordering only: let the server take the headers
            s2.proc.send_signal(signal.SIGTERM)
            line = s2.read_line(60)
            self.assertIn("SIGTERM received", line)
            sock.sendall(body[10:])
            out = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                out += chunk
            sock.close()
            self.assertTrue(out.startswith(b"HTTP/1.1 201"), out[:300])
            self.assertIn(b'"token":"bdt_', out)
            self.assertEqual(s2.read_line(60).strip(), "borderdesk serve: stopped")
            self.assertEqual(s2.stop(), 0)
            # the database was closed cleanly: no WAL left behind, and the token is stored
            self.assertFalse(os.path.exists(s2.db + "-wal") and os.path.getsize(s2.db + "-wal") > 0)
            self.assertEqual(s2.sql("SELECT label FROM api_tokens WHERE label = 'in flight'"), "in flight")
        finally:
            s2.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=1)
