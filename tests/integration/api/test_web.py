"""test_web.py — the web UI's static files from `borderdesk serve`: every file of web/ with
its content type, ETag revalidation (304), Cache-Control, the strict Content-Security-Policy
(and the API's own), HEAD, read-only methods, paths that try to leave the file table, the
interface strings (/locales), a configured web_dir; and static checks of the UI's code: no
inline script or style, no HTML sinks, every interface string it uses exists in English and
Chinese."""
import glob
import html.parser
import json
import os
import re
import socket
import unittest

import bdapi

SRC = bdapi.SRC
WEB = os.path.join(SRC, "web")
UI_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
          "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
          "require-trusted-types-for 'script'; trusted-types 'none'")
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".json": "application/json; charset=utf-8",
         ".svg": "image/svg+xml", ".md": "text/markdown; charset=utf-8"}
S = C = None


def setUpModule():
    global S, C
    S = bdapi.Server(demo=False).start()
    C = bdapi.Client(S)


def tearDownModule():
    rc = S.stop()
    S.cleanup()
    if rc != 0:
        raise AssertionError("serve exited with %r" % rc)


def web_files():
    out = []
    for path in glob.glob(os.path.join(WEB, "**", "*"), recursive=True):
        if os.path.isfile(path) and not os.path.basename(path).startswith("."):
            out.append("/" + os.path.relpath(path, WEB))
    return sorted(out)


def raw(request):
    s = socket.create_connection(("127.0.0.1", S.port), timeout=30)
    try:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    finally:
        s.close()


class Files(unittest.TestCase):
    def get(self, path, **kw):
        return C.request("GET", path, check=False, **kw)

    def test_every_file_is_served_as_it_is(self):
        files = web_files()
        self.assertIn("/index.html", files)
        self.assertIn("/js/app.js", files)
        for f in files:
            r = self.get(f)
            self.assertEqual(r.status, 200, f)
            with open(WEB + f, "rb") as fh:
                self.assertEqual(r.body, fh.read(), f)
            self.assertEqual(r.headers["content-type"], TYPES[os.path.splitext(f)[1]], f)
            self.assertEqual(r.headers["cache-control"], "no-cache", f)
            self.assertRegex(r.headers["etag"], r'^"[0-9a-f]{16}"$', f)
            self.assertEqual(r.headers["content-security-policy"], UI_CSP, f)
            self.assertEqual(r.headers["x-content-type-options"], "nosniff", f)
            self.assertEqual(r.headers["x-frame-options"], "DENY", f)
            self.assertEqual(r.headers["referrer-policy"], "no-referrer", f)

    def test_root_is_index(self):
        a, b = self.get("/"), self.get("/index.html")
        self.assertEqual((a.status, a.body, a.headers["etag"]), (200, b.body, b.headers["etag"]))

    def test_etag_revalidation(self):
        r = self.get("/js/app.js")
        etag = r.headers["etag"]
        for inm in (etag, "W/" + etag, '"nope", ' + etag, "*"):
            r2 = self.get("/js/app.js", headers={"If-None-Match": inm})
            self.assertEqual((r2.status, r2.body), (304, b""), inm)
            self.assertEqual(r2.headers["etag"], etag)
        self.assertEqual(self.get("/js/app.js", headers={"If-None-Match": '"0000000000000000"'}).status, 200)
        self.assertNotEqual(self.get("/css/app.css").headers["etag"], etag)

    def test_head_and_read_only(self):
        r = C.request("HEAD", "/index.html", check=False)
        self.assertEqual((r.status, r.body), (200, b""))
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            r = C.request(method, "/index.html", check=False, body={})
            self.assertEqual(r.status, 405, method)
            self.assertEqual(r.headers["allow"], "GET, HEAD")

    def test_no_way_out_of_the_table(self):
        for path in (b"/../README.md", b"/js/../../README.md", b"/%2e%2e/README.md", b"/..%2fREADME.md",
                     b"/js/..%2f..%2fdocs/api.md", b"//etc/passwd", b"/.git/config", b"/web/index.html",
                     b"/index.html%00.txt", b"/INDEX.HTML", b"/js/", b"/js", b"/locales/en/locale.json",
                     b"/locales/../docs/openapi.json", b"/nope.js"):
            answer = raw(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            status = answer.split(b"\r\n", 1)[0]
            self.assertIn(status.split(b" ")[1], (b"404", b"400"), path)

    def test_interface_strings(self):
        r = self.get("/locales/index.json")
        self.assertEqual(r.status, 200)
        langs = json.loads(r.body)["languages"]
        self.assertEqual(sorted(langs), sorted(os.path.basename(os.path.dirname(p))
                                               for p in glob.glob(os.path.join(SRC, "locales", "*", "ui.json"))))
        self.assertIn("en", langs)
        self.assertIn("zh", langs)
        for lang in langs:
            r = self.get("/locales/%s/ui.json" % lang)
            with open(os.path.join(SRC, "locales", lang, "ui.json"), "rb") as fh:
                self.assertEqual(r.body, fh.read())
            self.assertEqual(r.headers["content-type"], "application/json; charset=utf-8")
        self.assertEqual(self.get("/locales/de/ui.json").status, 404)

    def test_api_keeps_its_own_policy(self):
        r = C.get("/api/v1/health")
        self.assertEqual(r.headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'")
        self.assertEqual(r.headers["cache-control"], "no-store")
        self.assertEqual(C.request("GET", "/api", check=False).status, 404)
        self.assertEqual(C.request("GET", "/api/", check=False).status, 404)


class ConfiguredWebDir(unittest.TestCase):
    def test_custom_and_missing_web_dir(self):
        import tempfile
        d = tempfile.mkdtemp(prefix="bd-web-")
        os.makedirs(os.path.join(d, "sub"))
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write("<!doctype html><title>mine</title>")
        with open(os.path.join(d, "sub", "x.js"), "w") as f:
            f.write("export const x = 1;\n")
        os.symlink("/etc/passwd", os.path.join(d, "passwd.txt"))
        s = bdapi.Server(config={"server": {"web_dir": d}}, demo=False).start()
        try:
            c = bdapi.Client(s)
            self.assertIn(b"mine", c.request("GET", "/", check=False).body)
            self.assertEqual(c.request("GET", "/sub/x.js", check=False).status, 200)
            self.assertEqual(c.request("GET", "/passwd.txt", check=False).status, 404)  # links are not followed
        finally:
            self.assertEqual(s.stop(), 0)
            s.cleanup()
        s = bdapi.Server(config={"server": {"web_dir": os.path.join(d, "missing")}}, demo=False)
        try:
            p = bdapi.run("serve", "--listen", "127.0.0.1:0", env=s.env, check_rc=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("web_dir: cannot read", p.stderr)
        finally:
            s.cleanup()


class Code(unittest.TestCase):
    """The UI's code, read as text: what the CSP forbids is not there to begin with."""

    def js(self):
        return {p: open(p, encoding="utf-8").read() for p in glob.glob(os.path.join(WEB, "js", "*.js"))}

    def test_index_has_no_inline_code(self):
        class P(html.parser.HTMLParser):
            problems = []

            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if tag == "script" and not a.get("src"):
                    self.problems.append("inline script")
                if tag == "style":
                    self.problems.append("style element")
                for k, _ in attrs:
                    if k == "style" or k.startswith("on"):
                        self.problems.append("attribute " + k)
        p = P()
        p.feed(open(os.path.join(WEB, "index.html"), encoding="utf-8").read())
        self.assertEqual(p.problems, [])

    def test_no_html_sinks(self):
        sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
                           r"setAttribute\(\s*['\"](on|style|href)|\.on[a-z]+\s*=")
        for path, text in self.js().items():
            code = re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", text)  # comments may name what they avoid
            found = sinks.search(code)
            self.assertIsNone(found, "%s: %s" % (path, found and found.group(0)))

    def test_survey_page_strings_exist_in_every_language(self):
        text = open(os.path.join(WEB, "js", "survey.js"), encoding="utf-8").read()
        used = {k for k in re.findall(r"\bt\('([a-z0-9_.]+)'", text) if not k.endswith(".")}
        langs = ["en", "es", "fr", "de", "it", "pt", "ru", "pl", "ja", "ko", "ar", "zh"]
        en = json.load(open(os.path.join(SRC, "locales", "en", "survey.json"), encoding="utf-8"))
        self.assertEqual(sorted(used - set(en)), [], "survey strings the page uses but en lacks")
        for lang in langs:
            with open(os.path.join(SRC, "locales", lang, "survey.json"), encoding="utf-8") as f:
                d = json.load(f)
            self.assertEqual(sorted(set(en) - set(d)), [], "survey strings %s lacks" % lang)
            for k, v in d.items():
                self.assertTrue(isinstance(v, str) and v.strip(), "%s %s" % (lang, k))

    def test_every_string_exists_in_english_and_chinese(self):
        en = json.load(open(os.path.join(SRC, "locales", "en", "ui.json"), encoding="utf-8"))
        zh = json.load(open(os.path.join(SRC, "locales", "zh", "ui.json"), encoding="utf-8"))
        self.assertEqual(sorted(en), sorted(zh), "en and zh have different keys")
        for k, v in list(en.items()) + list(zh.items()):
            self.assertTrue(isinstance(v, str) and v.strip(), k)
            if k in zh and k in en:
                self.assertEqual(sorted(re.findall(r"\{(\w+)\}", en[k])), sorted(re.findall(r"\{(\w+)\}", zh[k])), k)
        used = set()
        survey_used = set()  # the buyers' survey page speaks locales/<lang>/survey.json
        for path, text in self.js().items():
            keys = set(re.findall(r"\bt(?:Or)?\('([a-z0-9_.]+)'", text))
            if os.path.basename(path) == "survey.js":
                survey_used |= keys
            else:
                used |= keys
        literal = {k for k in used if not k.endswith(".")}
        self.assertEqual(sorted(literal - set(en)), [], "strings the code uses but en lacks")
        with open(os.path.join(SRC, "locales", "en", "survey.json"), encoding="utf-8") as f:
            survey = json.load(f)
        self.assertEqual(sorted({k for k in survey_used if not k.endswith(".")} - set(survey)), [],
                         "strings the survey page uses but en/survey.json lacks")
        survey_families = {"question.": ["csat", "nps", "ces"], "scale.": ["csat.low", "csat.high", "nps.low", "nps.high", "ces.low", "ces.high"],
                           "dimension.": ["product_quality", "service_attitude", "response_speed", "price", "low", "high"]}
        for prefix in {k for k in survey_used if k.endswith(".")}:
            self.assertIn(prefix, survey_families, "a survey string family the test does not know: " + prefix)
        for prefix, names in survey_families.items():
            for n in names:
                self.assertIn(prefix + n, survey)
        for phase in ("thanks", "answered", "expired", "not_found", "load_error"):  # t(phase + '.title')
            self.assertIn(phase + ".title", survey)
            self.assertIn(phase + ".body", survey)
        families = {"status.": ["new", "open", "pending", "solved", "closed", "active", "all"],
                    "priority.": ["low", "normal", "high", "urgent"],
                    "due.state.": ["breached", "warning", "ok", "none"],
                    "delivery.": ["queued", "sending", "sent", "failed"],
                    "category.": ["pre_sale", "shipping", "dispute", "review", "other"],
                    "group.": ["agent", "shop", "marketplace", "category", "language", "day", "week", "none"],
                    "measure.": ["first_reply", "next_reply", "resolution"],
                    "role.": ["agent", "lead", "admin"],
                    "event.": ["created", "status_changed", "reopened", "assigned", "reply_queued", "note_added"],
                    "dash.": ["last_7_days", "last_30_days", "last_90_days"],
                    # GET /sync: a run's result, a request's status, the resources (docs/sync.md)
                    "sync.result.": ["ok", "error", "unfinished", "running"],
                    "sync.status.": ["queued", "running", "done", "failed"],
                    "sync.resource.": ["orders", "messages", "feedback"],
                    # the loyalty and satisfaction labels of the API (docs/loyalty.md)
                    "sat.dim.": ["quality", "attitude", "speed", "price"],
                    "sat.fb.": ["positive", "neutral", "negative"],
                    "sat.kind.": ["csat", "nps", "ces", "seller_feedback", "product_review"],
                    "churn.": ["silent", "falling"],
                    "flag.": ["refund_claims", "chargebacks"],
                    "flag.status.": ["open", "confirmed", "dismissed"],
                    "grading.": ["tier", "pyramid", "abc", "rfm", "loyalty", "lifecycle"],
                    "tier.": ["vip", "important", "ordinary", "key_ordinary", "none", "A", "B", "C", "champions", "active",
                              "new", "needs_attention", "at_risk", "hibernating", "lost", "potential", "repeat", "loyal",
                              "exploration", "formation", "stability", "decline"]}
        for prefix in {k for k in used if k.endswith(".")}:
            self.assertIn(prefix, families, "a string family the test does not know: " + prefix)
        for prefix, names in families.items():
            for n in names:
                self.assertIn(prefix + n, en)
        self.assertNotEqual(en["inbox.title"], zh["inbox.title"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
