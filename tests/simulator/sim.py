#!/usr/bin/env python3
"""sim.py - the marketplace simulator: eBay, Shopee and Amazon (Selling Partner API orders).

One HTTP server (ThreadingHTTPServer, HTTP/1.1 keep-alive) on loopback serves every
marketplace; the paths tell them apart. Each marketplace lives in its own module
(ebay.py, shopee.py, amazon.py) that exposes:

    NAME                       "ebay"
    def setup(sim, args)       creates its shops (dataset.Shop) in sim.shops[NAME]
    def routes(sim)            -> [(method, path pattern, handler, operation)]
    def identify(sim, req)     -> shop key or None (cheap: used for rate limits and faults)
    def error(sim, req, kind)  -> (status, headers, body bytes) for kind in
                                  "throttled", "server", "unavailable", "expired"
    def config(sim)            -> the borderdesk.json "shops" entries and the env values

A new marketplace: write <name>.py with the same names (and add_arguments,
expire_request_token), add it to MODULES below and call its add_arguments() in
add_arguments(). Nothing else changes. Amazon shops are off by default (--amazon-shops N).

Request handling order: identify -> rate limit (429) -> injected faults before the
handler (429, 500, 503, slow, expired token) -> the marketplace handler (which validates
the request and answers with the marketplace's real error bodies) -> injected faults on
the response (truncated body, malformed JSON, processed-then-500, processed-then-slow;
duplicate and reordered pages are applied by the paging handlers).

Control endpoints (never faulted): GET /_sim/health, /_sim/stats, /_sim/counts,
/_sim/sent, /_sim/config; POST /_sim/faults {"faults": [SPEC...]}, /_sim/mutate
{"marketplace"?, "shop"?, "orders": n, "messages": n}, /_sim/expire_tokens,
/_sim/reset_stats, /_sim/rate_limits {"limits": [SPEC...]}.

Fault SPEC: KIND:PROBABILITY[:MAX_COUNT][@PATH_SUBSTRING, or @PATH$ for that path exactly], KIND one of 429 500 503 slow
expire truncate malformed duplicate reorder after500 afterslow badfield (an item misses a
required field) badutf8 (a byte that is not UTF-8).
Rate limit SPEC: OPERATION=RATE:BURST (OPERATION "*" for every operation), per shop.
"""
import argparse
import json
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import texts  # noqa: E402
import ebay  # noqa: E402
import shopee  # noqa: E402
import amazon  # noqa: E402

MODULES = [ebay, shopee, amazon]
FAULT_KINDS = {"429", "500", "503", "slow", "expire", "truncate", "malformed", "duplicate",
               "reorder", "after500", "afterslow", "badfield", "badutf8"}
# the operations that issue tokens (the "expire" fault does not apply to them)
TOKEN_OPS = {"token", "access_token"}
# the fields "badfield" removes from the first item of a page: ids and times clients need
REQUIRED = ("orderId", "AmazonOrderId", "OrderItemId", "order_sn", "messageId", "message_id", "conversationId", "feedbackId",
            "buyer", "buyer_user_id", "creationDate", "created_timestamp")


def break_body(body, kind):
    """badfield: the first item of the first list loses a required field; badutf8: a byte
    that is not UTF-8 inside the first string."""
    if kind == "badutf8":
        i = body.find(b'":"')
        return body[:i + 3] + b"\xff" + body[i + 3:] if i >= 0 else body + b"\xff"
    try:
        doc = json.loads(body)
    except ValueError:
        return body

    def walk(o):
        if isinstance(o, list) and o and isinstance(o[0], dict):
            for k in REQUIRED:
                if k in o[0]:
                    del o[0][k]
                    return True
        if isinstance(o, dict):
            return any(walk(v) for v in o.values())
        if isinstance(o, list):
            return any(walk(v) for v in o)
        return False
    walk(doc)
    return json_bytes(doc)


class Fault:
    def __init__(self, spec):
        m = re.fullmatch(r"([a-z0-9]+):([0-9.]+)(?::([0-9]+))?(?:@(.+))?", spec)
        if not m or m.group(1) not in FAULT_KINDS:
            raise ValueError("bad fault spec %r (KIND:PROB[:MAX][@PATH])" % spec)
        self.kind, self.prob = m.group(1), float(m.group(2))
        self.max = int(m.group(3)) if m.group(3) else None
        self.path = m.group(4)
        self.count = 0
        self.spec = spec


class Bucket:
    """A token bucket, as the marketplace enforces it."""

    def __init__(self, rate, burst):
        self.rate, self.burst = rate, burst
        self.tokens, self.last = float(burst), time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class Request:
    def __init__(self, handler, method):
        self.h = handler
        self.method = method
        u = urllib.parse.urlsplit(handler.path)
        self.path = u.path
        self.raw_query = u.query
        self.params = {k: v[0] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
        self.headers = handler.headers
        n = int(handler.headers.get("Content-Length") or 0)
        self.body = handler.rfile.read(n) if n > 0 else b""
        self.path_args = {}
        self.faults = set()
        self.shop = None
        self.op = None
        self.now = time.time()

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None


class Sim:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rng = random.Random("faults:%s" % args.fault_seed)
        self.faults = [Fault(s) for s in args.fault]
        self.limits = {}
        self.buckets = {}
        self.set_limits(args.rate_limit)
        self.stats = {}
        self.sent = []
        self.tokens = {}         # access token -> (marketplace, shop key, expires_at)
        self.token_counter = 0
        self.shops = {}
        self.base = int(args.base_time) if args.base_time else int(time.time())
        if args.corpus != "none":
            texts.load_corpus(args.corpus)
        self.routes = []
        for mod in MODULES:
            mod.setup(self, args)
            for method, pattern, fn, op in mod.routes(self):
                rx = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
                self.routes.append((method, rx, fn, op, mod))

    # ---- tokens ----
    def issue_token(self, marketplace, shop, prefix, ttl=None):
        with self.lock:
            self.token_counter += 1
            tok = "%s-%s-%d-%06x" % (prefix, shop, self.token_counter,
                                     random.Random(self.token_counter).randrange(1 << 24))
            self.tokens[tok] = (marketplace, shop, time.time() + (ttl or self.args.token_ttl))
            return tok

    def check_token(self, tok):
        """(marketplace, shop) for a valid token, "expired", or None."""
        with self.lock:
            t = self.tokens.get(tok)
        if not t:
            return None
        if time.time() >= t[2]:
            return "expired"
        return t[0], t[1]

    def expire_token(self, tok):
        with self.lock:
            if tok in self.tokens:
                m, s, _ = self.tokens[tok]
                self.tokens[tok] = (m, s, 0)

    # ---- rate limits, faults, stats ----
    def set_limits(self, specs):
        limits = {}
        for spec in specs or []:
            m = re.fullmatch(r"([\w*]+)=([0-9.]+):([0-9]+)", spec)
            if not m:
                raise ValueError("bad rate limit %r (OPERATION=RATE:BURST)" % spec)
            limits[m.group(1)] = (float(m.group(2)), int(m.group(3)))
        with self.lock:
            self.limits, self.buckets = limits, {}

    def throttle(self, marketplace, shop, op):
        """Seconds to wait when the request exceeds the shop's limit, else 0."""
        lim = self.limits.get(op) or self.limits.get("*")
        if not lim:
            return 0.0
        key = (marketplace, shop, op)
        with self.lock:
            b = self.buckets.get(key)
            if not b:
                b = self.buckets[key] = Bucket(*lim)
            return b.take()

    def draw_faults(self, path):
        got = set()
        with self.lock:
            for f in self.faults:
                if f.path and (path != f.path[:-1] if f.path.endswith("$") else f.path not in path):
                    continue
                if f.max is not None and f.count >= f.max:
                    continue
                if self.rng.random() < f.prob:
                    f.count += 1
                    got.add(f.kind)
        return got

    def record(self, marketplace, shop, op, status, throttled=False):
        key = "%s:%s:%s" % (marketplace, shop, op)
        now = time.time()
        with self.lock:
            s = self.stats.get(key)
            if not s:
                s = self.stats[key] = {"requests": 0, "status": {}, "throttled": 0,
                                       "first": now, "last": now, "times": []}
            s["requests"] += 1
            s["status"][str(status)] = s["status"].get(str(status), 0) + 1
            s["throttled"] += 1 if throttled else 0
            s["last"] = now
            if len(s["times"]) < 200000:
                s["times"].append(round(now, 4))

    def now(self):
        return time.time()


def json_bytes(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bd-marketplace-sim/1.0"
    sim = None

    def setup(self):
        super().setup()
        # one segment per answer, no Nagle/delayed-ACK stalls on keep-alive connections
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.wfile = self.connection.makefile("wb", 65536)

    def finish(self):
        try:
            self.wfile.flush()
        except OSError:
            pass
        super().finish()

    def log_message(self, fmt, *a):
        if self.sim.args.verbose:
            sys.stderr.write("sim: " + (fmt % a) + "\n")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def send(self, status, body, headers=None, truncate=False):
        if not isinstance(body, (bytes, bytearray)):
            body = json_bytes(body)
        try:
            self.send_response(status)
            hdrs = {"Content-Type": "application/json"}
            hdrs.update(headers or {})
            for k, v in hdrs.items():
                self.send_header(k, str(v))
            self.send_header("Content-Length", str(len(body)))
            if truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            if truncate:
                self.wfile.write(body[:max(1, len(body) // 2)])
                self.wfile.flush()
                self.close_connection = True
            else:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def dispatch(self, method):
        sim = self.sim
        req = Request(self, method)
        if req.path.startswith("/_sim/"):
            return control(sim, self, req)
        for m, rx, fn, op, mod in sim.routes:
            mt = rx.match(req.path)
            if mt and m == method:
                break
        else:
            return self.send(404, {"errors": [{"errorId": 404, "domain": "SIM", "category": "REQUEST",
                                               "message": "no such resource: %s %s" % (method, req.path)}]})
        req.path_args, req.op = mt.groupdict(), op
        shop = mod.identify(sim, req) or "-"
        req.shop = shop
        if sim.args.latency_ms:
            time.sleep(sim.args.latency_ms / 1000.0)
        wait = sim.throttle(mod.NAME, shop, op)
        if wait > 0:
            status, hdrs, body = mod.error(sim, req, "throttled")
            hdrs = dict(hdrs, **{"Retry-After": str(max(1, int(wait + 0.999)))})
            sim.record(mod.NAME, shop, op, status, throttled=True)
            return self.send(status, body, hdrs)
        req.faults = sim.draw_faults(req.path)
        if req.op in TOKEN_OPS:
            req.faults.discard("expire")  # a token request carries no access token to expire
        f = req.faults
        pre = "429" if "429" in f else "503" if "503" in f else "500" if "500" in f else \
            "expire" if "expire" in f else None
        if "slow" in f:
            time.sleep(sim.args.slow_ms / 1000.0)
        if pre:
            kind = {"429": "throttled", "503": "unavailable", "500": "server", "expire": "expired"}[pre]
            if pre == "expire":
                mod.expire_request_token(sim, req)
            status, hdrs, body = mod.error(sim, req, kind)
            if pre == "429":
                hdrs = dict(hdrs, **{"Retry-After": str(sim.args.retry_after)})
            sim.record(mod.NAME, shop, op, status)
            return self.send(status, body, hdrs)
        status, hdrs, body = fn(sim, req)
        if not isinstance(body, (bytes, bytearray)):
            body = json_bytes(body)
        sim.record(mod.NAME, shop, op, status)
        if "after500" in f:
            status, hdrs, body = mod.error(sim, req, "server")
            return self.send(status, body, hdrs)
        if "afterslow" in f:
            time.sleep(sim.args.slow_ms / 1000.0)
        if "malformed" in f:
            body = body[:max(1, len(body) // 2)]
        for kind in ("badfield", "badutf8"):
            if kind in f:
                body = break_body(body, kind)
        return self.send(status, body, hdrs, truncate="truncate" in f)


def control(sim, h, req):
    p = req.path[len("/_sim/"):]
    body = req.json() or {}
    if p == "health":
        return h.send(200, {"ok": True, "marketplaces": [m.NAME for m in MODULES]})
    if p == "stats":
        with sim.lock:
            data = json.loads(json.dumps(sim.stats))
        if req.params.get("times") != "1":
            for v in data.values():
                v.pop("times", None)
        return h.send(200, data)
    if p == "reset_stats":
        with sim.lock:
            sim.stats = {}
        return h.send(200, {"ok": True})
    if p == "faults":
        if req.method == "POST":
            try:
                faults = [Fault(s) for s in body.get("faults", [])]
            except ValueError as e:
                return h.send(400, {"error": str(e)})
            with sim.lock:
                sim.faults = faults
        return h.send(200, {"faults": [f.spec for f in sim.faults],
                            "counts": {f.spec: f.count for f in sim.faults}})
    if p == "rate_limits" and req.method == "POST":
        try:
            sim.set_limits(body.get("limits", []))
        except ValueError as e:
            return h.send(400, {"error": str(e)})
        return h.send(200, {"ok": True})
    if p == "mutate" and req.method == "POST":
        out = {}
        for mk, shops in sim.shops.items():
            if body.get("marketplace") not in (None, mk):
                continue
            for key, shop in shops.items():
                if body.get("shop") not in (None, key):
                    continue
                out["%s:%s" % (mk, key)] = shop.mutate(int(time.time()), int(body.get("orders", 0)),
                                                       int(body.get("messages", 0)))
        return h.send(200, out)
    if p == "expire_tokens" and req.method == "POST":
        with sim.lock:
            for k, (m, s, _) in list(sim.tokens.items()):
                sim.tokens[k] = (m, s, 0)
        return h.send(200, {"ok": True})
    if p == "sent":
        with sim.lock:
            return h.send(200, list(sim.sent))
    if p == "counts":
        now = int(time.time())
        out = {}
        for mk, shops in sim.shops.items():
            for key, shop in shops.items():
                convs = shop.conversations_by_latest(now)
                out["%s:%s" % (mk, key)] = {
                    "orders": len(shop.orders_by_modified(now)),
                    "conversations": len(convs),
                    "messages": sum(len(v) for _, _, v in convs),
                    "feedback": len(shop.feedback_by_time(now)) if mk == "ebay" else 0}
        return h.send(200, out)
    if p == "config":
        return h.send(200, make_config(sim, "http://%s:%d" % h.server.server_address[:2]))
    return h.send(404, {"error": "unknown control endpoint %s" % req.path})


def make_config(sim, endpoint):
    shops, env = [], {}
    for mod in MODULES:
        s, e = mod.config(sim, endpoint)
        shops += s
        env.update(e)
    return {"shops": shops, "env": env}


def add_arguments(ap):
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--orders", type=int, default=300, help="orders per shop")
    ap.add_argument("--messages", type=int, default=200, help="messages per shop")
    ap.add_argument("--feedback-share", type=float, default=0.3,
                    help="share of delivered eBay orders with feedback")
    ap.add_argument("--span-days", type=float, default=60)
    ap.add_argument("--future-hours", type=float, default=0,
                    help="events up to this far in the future appear as time passes")
    ap.add_argument("--base-time", type=float, help="Unix time the data is built around (default now)")
    ap.add_argument("--token-ttl", type=float, default=7200)
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--slow-ms", type=float, default=3000)
    ap.add_argument("--retry-after", type=int, default=1)
    ap.add_argument("--fault", action="append", default=[], help="KIND:PROB[:MAX][@PATH]")
    ap.add_argument("--fault-seed", default="1")
    ap.add_argument("--rate-limit", action="append", default=[], help="OPERATION=RATE:BURST")
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "data", "classify", "tune"),
                    help="directory of <lang>.jsonl buyer texts, or 'none'")
    ap.add_argument("--print-config", action="store_true",
                    help="print the borderdesk.json shops and env for a simulator on --port "
                         "and exit (a running one answers GET /_sim/config)")
    ap.add_argument("--verbose", action="store_true")
    ebay.add_arguments(ap)
    shopee.add_arguments(ap)
    amazon.add_arguments(ap)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer.server_bind asks DNS for the host's name (socket.getfqdn), which
        # stalls for seconds on machines without a resolver; loopback needs no name.
        import socketserver
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main(argv=None):
    ap = argparse.ArgumentParser(description="eBay, Shopee and Amazon marketplace simulator")
    add_arguments(ap)
    args = ap.parse_args(argv)
    try:
        sim = Sim(args)
    except ValueError as e:
        ap.error(str(e))
    if args.print_config:
        if not args.port:
            ap.error("--print-config needs the --port the simulator runs on")
        print(json.dumps(make_config(sim, "http://%s:%d" % (args.host, args.port)), indent=2,
                         ensure_ascii=False))
        return 0
    Handler.sim = sim
    server = Server((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stdout.write("simulator listening on http://%s:%d\n" % (host, port))
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
