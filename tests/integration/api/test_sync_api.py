"""test_sync_api.py — sync through the REST API against the marketplace simulator over
loopback: GET /sync shows every configured shop and resource with its checkpoint and last
run; POST /sync queues runs the scheduler performs (one shop, one resource, or all), answers
202 with where to poll, merges a trigger with the same one still waiting and never runs two
syncs at once; a lead or any token with scope sync may trigger, nobody else; the tiers are
recomputed after a sync that stored orders, and the scheduler shows tiers-recompute."""
import json
import os
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import bdapi

S = C = SIM = None
T = {}
SIM_URL = None
FX = {"USD": "0.92", "GBP": "1.17", "AUD": "0.60", "MXN": "0.05", "BRL": "0.17", "RUB": "0.01",
      "PLN": "0.23", "JPY": "0.0061", "KRW": "0.00066", "SAR": "0.25", "AED": "0.25", "CNY": "0.13",
      "TWD": "0.029"}


def sim(path):
    with urllib.request.urlopen(SIM_URL + "/_sim/" + path, timeout=10) as r:
        return json.loads(r.read())


def setUpModule():
    global S, C, T, SIM, SIM_URL
    work = tempfile.mkdtemp(prefix="bd-sim-")
    port_file = os.path.join(work, "port")
    SIM = subprocess.Popen(["python3", os.path.join(bdapi.SRC, "tests/simulator/sim.py"), "--port", "0",
                            "--port-file", port_file, "--seed", "7", "--orders", "30", "--messages", "20"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=bdapi._die_with_parent)
    def port():
        if not os.path.exists(port_file):
            return ""
        with open(port_file) as f:
            return f.read().strip()
    for _ in range(400):
        if port():
            break
        time.sleep(0.05)
    SIM_URL = "http://127.0.0.1:" + port()
    conf = sim("config")
    for s in conf["shops"]:
        s.update({"rate_limits": False, "retry_base_ms": 20, "retry_max_ms": 300, "timeout_ms": 5000})
    os.environ.update(conf["env"])
    config = {"shops": conf["shops"], "loyalty": {"base_currency": "EUR", "fx_rates": FX},
              "server": {"sync_interval_seconds": 0, "outbox_interval_seconds": 0, "tiers_interval_seconds": 86400}}
    S = bdapi.Server(config=config, demo=False)
    S.tokens["alice:sync"] = S.bd("user", "token", "create", "alice", "--scope", "sync").stdout.strip()
    S.tokens["lena:sync"] = S.bd("user", "token", "create", "lena", "--scope", "sync").stdout.strip()
    S.start()
    C = bdapi.Client(S)
    T = S.tokens


def tearDownModule():
    rc = S.stop()
    S.cleanup()
    SIM.terminate()
    SIM.wait()
    if rc != 0:
        raise AssertionError("serve exited with %r" % rc)


def counts():
    """The simulator's counts by shop name ("ebay:seller1" is the shop ebay-seller1)."""
    return {k.replace(":", "-", 1): v for k, v in sim("counts").items()}


def shops():
    return [s["name"] for s in sim("config")["shops"]]


def wait_done(rid, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        r = C.get("/api/v1/sync", T["lena"])
        assert r.status == 200, r
        req = [q for q in r.json["requests"] if q["id"] == rid]
        if req and req[0]["status"] in ("done", "failed"):
            return r.json, req[0]
        time.sleep(0.1)
    raise AssertionError("sync request %d did not finish" % rid)


def resource(status, shop, name):
    s = [x for x in status["shops"] if x["name"] == shop][0]
    return [x for x in s["resources"] if x["resource"] == name][0]


class Sync(unittest.TestCase):
    def test_1_status_before_any_run(self):
        r = C.get("/api/v1/sync", T["lena"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(s["name"] for s in r.json["shops"]), sorted(shops()))
        for s in r.json["shops"]:
            self.assertTrue(s["resources"])
            for res in s["resources"]:
                self.assertIsNone(res["checkpoint"])
                self.assertIsNone(res["last_run"])
        self.assertIsNone(r.json["interval_seconds"])  # no periodic sync configured
        self.assertEqual(C.get("/api/v1/sync", T["alice"]).status, 403)
        self.assertEqual(C.get("/api/v1/sync").status, 401)

    def test_2_one_shop_one_resource(self):
        shop = shops()[0]
        r = C.post("/api/v1/sync", {"shop": shop, "resource": "orders"}, T["lena:sync"])
        self.assertEqual(r.status, 202, r)
        self.assertEqual((r.json["poll"], r.json["request"]["shop"], r.json["request"]["requested_by"]),
                         ("/api/v1/sync", shop, "lena"))
        status, req = wait_done(r.json["request"]["id"])
        self.assertEqual(req["status"], "done", req)
        orders = resource(status, shop, "orders")
        self.assertEqual(orders["last_run"]["result"], "ok")
        self.assertIsNotNone(orders["checkpoint"]["saved_at"])
        want = counts()[shop]["orders"]
        got = int(S.sql("SELECT count(*) FROM orders o JOIN shops s ON s.id = o.shop_id WHERE s.name = '%s'" % shop))
        self.assertEqual(got, want)
        self.assertEqual(orders["last_run"]["counts"]["inserted"], want)
        self.assertIsNone(resource(status, shop, "messages")["last_run"])  # only what was asked
        # the tiers followed the new orders
        self.assertGreater(int(S.sql("SELECT count(*) FROM buyer_loyalty")), 0)
        self.assertIn("tiers", req["result"])

    def test_3_everything_and_concurrent_triggers(self):
        results = []
        def trigger(token):
            results.append(C.post("/api/v1/sync", None, T[token]))
        threads = [threading.Thread(target=trigger, args=(t,)) for t in ("lena:sync", "lena:sync", "alice:sync", "adam", "lena:sync")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r.status for r in results], [202] * 5, results)
        ids = sorted({r.json["request"]["id"] for r in results})
        self.assertLess(len(ids), 5 + 1)
        for rid in ids:
            status, req = wait_done(rid)
            self.assertEqual(req["status"], "done", req)
        # the runs never overlapped: the scheduler runs one at a time
        runs = sorted((q["started_at"], q["finished_at"]) for q in status["requests"] if q["id"] in ids)
        for (s1, f1), (s2, f2) in zip(runs, runs[1:]):
            self.assertLessEqual(f1, s2)
        for s in status["shops"]:
            for res in s["resources"]:
                self.assertEqual(res["last_run"]["result"], "ok", (s["name"], res))
                self.assertIsNotNone(res["checkpoint"], (s["name"], res["resource"]))
        self.assertEqual(int(S.sql("SELECT count(*) FROM orders")), sum(c["orders"] for c in counts().values()))
        dup = S.sql("SELECT count(*) FROM (SELECT shop_id, external_id FROM messages WHERE external_id IS NOT NULL "
                    "GROUP BY 1, 2 HAVING count(*) > 1)")
        self.assertEqual(dup, "0")

    def test_4_validation_and_permissions(self):
        shop = shops()[0]
        for body, status in (({"resource": "stock"}, 400), ({"shop": 5}, 400), ({"shop": "nowhere"}, 422)):
            r = C.post("/api/v1/sync", body, T["lena:sync"])
            self.assertEqual(r.status, status, (body, r))
        r = C.request("POST", "/api/v1/sync", T["lena:sync"], raw=b"[", headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertEqual(C.post("/api/v1/sync", {}, None).status, 401)
        r = C.post("/api/v1/sync", {"shop": shop}, T["alice"])            # an agent's write token
        self.assertEqual((r.status, r.error_code), (403, "forbidden"))
        for token in ("lena:read", "lena"):                             # a lead's read or write token
            r = C.post("/api/v1/sync", {"shop": shop}, T[token])
            self.assertEqual((r.status, r.error_code), (403, "insufficient_scope"), token)
        s = C.login("alice")                                               # an agent's session
        self.assertEqual(C.post("/api/v1/sync", {"shop": shop}, session=s).status, 403)
        s = C.login("lena")                                                # a lead's session ...
        r = C.post("/api/v1/sync", {"shop": shop}, session=s, csrf=False)  # ... needs the CSRF token
        self.assertEqual((r.status, r.error_code), (403, "csrf_failed"))
        r = C.post("/api/v1/sync", {"shop": shop}, session=s)
        self.assertEqual(r.status, 202, r)
        wait_done(r.json["request"]["id"])

    def test_5_scheduler_shows_the_tasks(self):
        r = C.get("/api/v1/scheduler", T["lena"])
        tasks = {t["name"]: t for t in r.json["tasks"]}
        self.assertIn("tiers-recompute", tasks)
        self.assertIn("sync-requests", tasks)
        self.assertNotIn("sync", tasks)  # sync_interval_seconds 0
        self.assertEqual(tasks["sync-requests"]["interval_seconds"], 0)
        self.assertIsNone(tasks["sync-requests"]["next_run_at"])
        self.assertGreater(tasks["sync-requests"]["runs"], 0)
        before = tasks["tiers-recompute"]["runs"]
        self.assertEqual(C.post("/api/v1/scheduler/tiers-recompute/run", None, T["adam"]).status, 202)
        for _ in range(600):
            t = {t["name"]: t for t in C.get("/api/v1/scheduler", T["lena"]).json["tasks"]}["tiers-recompute"]
            if t["runs"] > before:
                break
            time.sleep(0.1)
        self.assertTrue(t["last_ok"], t)
        self.assertIn("buyers recomputed", t["last_result"])

    def test_6_recorded_runs(self):
        """Runs by the CLI and the service are recorded in the database: GET /sync shows the
        last one whoever made it (and after a restart), GET /sync/runs the history."""
        shop = shops()[0]
        r = S.bd("sync", "--shop", shop, "--resource", "orders", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        res = resource(C.get("/api/v1/sync", T["lena"]).json, shop, "orders")
        self.assertEqual((res["last_run"]["actor"], res["last_run"]["result"]), ("sync", "ok"), res)
        self.assertEqual(res["last_run"]["counts"]["inserted"], 0)  # all stored by the runs before
        r = C.get("/api/v1/sync/runs?shop=%s&resource=orders" % shop, T["lena"])
        self.assertEqual(r.status, 200, r)
        runs = r.json["items"]
        self.assertGreaterEqual(len(runs), 3)  # test_2, test_3 and the CLI run above
        self.assertEqual(runs[0]["id"], res["last_run"]["id"])
        self.assertEqual([x["id"] for x in runs], sorted((x["id"] for x in runs), reverse=True))
        self.assertEqual({x["actor"] for x in runs}, {"sync", "scheduler"})
        self.assertTrue(all(x["shop"] == shop and x["resource"] == "orders" for x in runs), runs)
        self.assertEqual(len(C.get("/api/v1/sync/runs?limit=2", T["lena"]).json["items"]), 2)
        for q in ("limit=0", "resource=stock"):
            r = C.get("/api/v1/sync/runs?" + q, T["lena"])
            self.assertEqual((r.status, r.error_code), (400, "invalid_parameter"), q)
        self.assertEqual(C.get("/api/v1/sync/runs", T["alice"]).status, 403)
        self.assertEqual(C.get("/api/v1/sync/runs").status, 401)
        # the CLI reads the same record
        st = json.loads(S.bd("sync", "status", "--json").stdout)
        mine = [x for x in st["shops"] if x["name"] == shop][0]
        orders = [x for x in mine["resources"] if x["resource"] == "orders"][0]
        self.assertEqual(orders["last_run"]["id"], runs[0]["id"])

    def test_zcoverage(self):
        routes = [l.split(" ")[:2] for l in bdapi.run("serve", "--routes").stdout.split("\n") if l]
        self.assertEqual(bdapi.coverage_missing(C.api, routes, lambda p: p.startswith("/api/v1/sync")), [])


if __name__ == "__main__":
    unittest.main(verbosity=1)
