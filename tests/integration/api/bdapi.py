"""bdapi.py — what the API tests share: a real `borderdesk serve` on a free loopback port
over a temporary database with the demo data, users of every role and their tokens; an
HTTP client (http.client) that checks every response against docs/openapi.json; and the
small JSON Schema checker that does it (the subset of JSON Schema the document uses)."""
import atexit
import ctypes
import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

BD = os.environ.get("BD_BINARY") or os.path.join(os.path.dirname(__file__), "../../../build/borderdesk")
SRC = os.environ.get("BD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "../../..")
OPENAPI = os.path.join(SRC, "docs", "openapi.json")

PASSWORDS = {"alice": "alice-pass-1", "bob": "bob-pass-22", "lena": "lena-pass-333", "adam": "adam-pass-4444"}
ROLES = {"alice": "agent", "bob": "agent", "lena": "lead", "adam": "admin"}


# Routes whose success cases need data of their own (surveys, loyalty, a marketplace
# simulator) are exercised in full by test_loyalty_api.py and test_sync_api.py, which check
# their coverage as test_routes.py checks the others'.
ELSEWHERE = ("/api/v1/public/", "/api/v1/buyers/{id}/blacklist", "/api/v1/reports/satisfaction",
             "/api/v1/reports/tiers", "/api/v1/sync")


def tested_elsewhere(pattern):
    return pattern.startswith(ELSEWHERE) or pattern == "/api/v1/buyers"


def coverage_missing(api, routes, only):
    """What test_routes.py's coverage check says, for the routes only() selects."""
    missing = []
    for method, pattern in routes:
        if not only(pattern):
            continue
        got = api.seen.get((method, pattern), set())
        role = api.doc["paths"][pattern][method.lower()]["x-role"]
        if not any(200 <= s < 300 for s in got):
            missing.append("%s %s: no success" % (method, pattern))
        if role != "public" and 401 not in got:
            missing.append("%s %s: no 401" % (method, pattern))
        if role in ("lead", "admin") and 403 not in got:
            missing.append("%s %s: no 403" % (method, pattern))
    return missing


# ---------------------------------------------------------------- schema checker

class SchemaError(Exception):
    pass


KNOWN_KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "enum",
                  "format", "$ref", "oneOf", "pattern", "minimum", "maximum", "description"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _type_ok(t, v):
    return {"string": lambda: isinstance(v, str),
            "integer": lambda: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda: isinstance(v, bool),
            "object": lambda: isinstance(v, dict),
            "array": lambda: isinstance(v, list),
            "null": lambda: v is None}[t]()


def check(schema, value, doc, where="$"):
    """Raises SchemaError naming the first place where value does not match schema."""
    unknown = set(schema) - KNOWN_KEYWORDS
    if unknown:
        raise SchemaError("%s: the checker does not know %s" % (where, sorted(unknown)))
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return check(doc["components"]["schemas"][name], value, doc, where)
    if "oneOf" in schema:
        hits = 0
        for alt in schema["oneOf"]:
            try:
                check(alt, value, doc, where)
                hits += 1
            except SchemaError:
                pass
        if hits != 1:
            raise SchemaError("%s: matches %d of the oneOf alternatives, not 1" % (where, hits))
        return
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(t, value) for t in types):
            raise SchemaError("%s: %r is not of type %s" % (where, value, types))
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError("%s: %r is not one of %s" % (where, value, schema["enum"]))
    if isinstance(value, str):
        if schema.get("format") == "date-time" and not RFC3339_UTC.match(value):
            raise SchemaError("%s: %r is not an RFC 3339 UTC time" % (where, value))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise SchemaError("%s: %r does not match %s" % (where, value, schema["pattern"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaError("%s: %r < minimum %r" % (where, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaError("%s: %r > maximum %r" % (where, value, schema["maximum"]))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                raise SchemaError("%s: required member %r is missing" % (where, k))
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                check(props[k], v, doc, "%s.%s" % (where, k))
            elif schema.get("additionalProperties") is False:
                raise SchemaError("%s: member %r is not in the schema" % (where, k))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            check(schema["items"], v, doc, "%s[%d]" % (where, i))


class OpenAPI:
    """The document, with lookup of the operation a request hit and response checking."""

    def __init__(self, path=OPENAPI):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.templates = []
        for tpl in self.doc["paths"]:
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(tpl)) + "$"
            self.templates.append((tpl, re.compile(rx)))
        # templates with fewer parameters win (/tickets/{id}/tags before ...)
        self.templates.sort(key=lambda t: t[0].count("{"))
        self.seen = {}  # (method, template) -> set of statuses

    def operation(self, method, path):
        path = path.split("?", 1)[0]
        for tpl, rx in self.templates:
            if rx.match(path):
                op = self.doc["paths"][tpl].get(method.lower())
                if op:
                    return tpl, op
        return None, None

    def check_response(self, method, path, status, headers, body):
        tpl, op = self.operation(method, path)
        if op is None:
            if status in (404, 405):
                return  # not a route: nothing to document
            raise SchemaError("%s %s: no such operation in the document (status %d)" % (method, path, status))
        self.seen.setdefault((method.upper(), tpl), set()).add(status)
        resp = op["responses"].get(str(status))
        if resp is None:
            raise SchemaError("%s %s: status %d is not documented" % (method, tpl, status))
        if "$ref" in resp:
            resp = self.doc["components"]["responses"][resp["$ref"].split("/")[-1]]
        content = resp.get("content")
        if not content:
            if body:
                raise SchemaError("%s %s %d: undocumented body" % (method, tpl, status))
            return
        if not headers.get("content-type", "").startswith("application/json"):
            raise SchemaError("%s %s %d: content type %r" % (method, tpl, status, headers.get("content-type")))
        value = json.loads(body)
        check(content["application/json"]["schema"], value, self.doc, "%s %s %d" % (method, tpl, status))


# ---------------------------------------------------------------- the server

def _die_with_parent():
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run(*args, stdin=None, env=None, check_rc=True):
    p = subprocess.run([BD] + list(args), input=stdin, capture_output=True, text=True, env=env)
    if check_rc and p.returncode != 0:
        raise RuntimeError("borderdesk %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p


class Server:
    """A temporary database with the demo data, users and tokens, and `borderdesk serve` on it."""

    def __init__(self, config=None, demo=True):
        self.dir = tempfile.mkdtemp(prefix="bd-api-")
        self.db = os.path.join(self.dir, "bd.db")
        self.env = dict(os.environ, BORDERDESK_DB=self.db, BORDERDESK_USER="setup")
        self.env.pop("BORDERDESK_CONFIG", None)
        if config is not None:
            cfg = os.path.join(self.dir, "borderdesk.json")
            with open(cfg, "w") as f:
                json.dump(config, f)
            self.env["BORDERDESK_CONFIG"] = cfg
        self.proc = None
        self.tokens = {}
        self.log_path = os.path.join(self.dir, "access.log")
        atexit.register(self.cleanup)
        self.bd("init")
        if demo:
            self.bd("import", "orders", os.path.join(SRC, "tests/fixtures/demo/orders.jsonl"))
            self.bd("import", "messages", os.path.join(SRC, "tests/fixtures/demo/messages.jsonl"))
        for name, role in ROLES.items():
            self.bd("user", "add", name, "--role", role, "--password-stdin", stdin=PASSWORDS[name] + "\n")
            scope = "admin" if role == "admin" else "write"
            self.tokens[name] = self.bd("user", "token", "create", name, "--scope", scope).stdout.strip()
            self.tokens[name + ":read"] = self.bd("user", "token", "create", name, "--scope", "read").stdout.strip()

    def bd(self, *args, stdin=None, check_rc=True):
        return run(*args, stdin=stdin, env=self.env, check_rc=check_rc)

    def sql(self, statement):
        p = subprocess.run(["sqlite3", "-cmd", ".timeout 10000", self.db, statement],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("sqlite3: " + p.stderr)
        return p.stdout.strip()

    def start(self, *extra):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BD, "serve", "--listen", "127.0.0.1:0"] + list(extra),
                                     stdout=subprocess.PIPE, stderr=self.log, env=self.env,
                                     preexec_fn=_die_with_parent)
        line = self.read_line(60)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not m:
            raise RuntimeError("serve did not start: %r (log: %s)" % (line, self.read_log()))
        self.port = int(m.group(1))
        return self

    def read_line(self, timeout):
        """The next line the server prints on stdout ("" on timeout or exit)."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().decode() if ready else ""

    def read_log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.proc = None
        self.log.close()
        return rc

    def cleanup(self):
        if self.proc:
            self.stop(signal.SIGKILL, 10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self._json = None

    @property
    def json(self):
        if self._json is None and self.body:
            self._json = json.loads(self.body)
        return self._json

    @property
    def error_code(self):
        j = self.json
        return j["error"]["code"] if isinstance(j, dict) and "error" in j else None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Client:
    """HTTP on loopback; every response is checked against the OpenAPI document."""

    def __init__(self, server, api=None, timeout=60):
        self.server = server
        self.api = api or OpenAPI()
        self.timeout = timeout

    def request(self, method, path, token=None, body=None, raw=None, headers=None, session=None,
                csrf=True, check=True):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if session:
            h["Cookie"] = "bd_session=" + session["cookie"]
            if csrf and method not in ("GET", "HEAD"):
                h["X-CSRF-Token"] = session["csrf"]
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()
        if check:
            self.api.check_response(method, path, resp.status, resp.headers, resp.body)
        return resp

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.request("POST", path, token=token, body=body, **kw)

    def login(self, name, password=None):
        r = self.post("/api/v1/session", {"name": name, "password": password or PASSWORDS[name]})
        if r.status != 201:
            raise AssertionError("login %s: %r" % (name, r))
        cookie = r.headers["set-cookie"]
        m = re.match(r"bd_session=([^;]+);", cookie)
        return {"cookie": m.group(1), "csrf": r.json["csrf_token"], "set_cookie": cookie}
