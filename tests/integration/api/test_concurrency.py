"""test_concurrency.py — two agents replying to the same ticket at the same moment, and an
import writing thousands of messages while readers list tickets and agents reply: no lost
update, and no "database is locked" (nor any 5xx) reaches a user."""
import json
import os
import subprocess
import threading
import unittest

import bdapi

S = C = None
T = {}


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


class Concurrency(unittest.TestCase):
    def test_two_agents_reply_to_one_ticket_at_once(self):
        tid = int(S.sql("SELECT min(t.id) FROM tickets t WHERE t.status = 'new' AND NOT EXISTS"
                        " (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'out')"))
        before = int(S.sql("SELECT count(*) FROM messages WHERE ticket_id = %d" % tid))
        rounds, results, lock = 25, [], threading.Lock()
        barrier = threading.Barrier(2)

        def agent(name):
            client = bdapi.Client(S, api=C.api)
            for i in range(rounds):
                barrier.wait()
                r = client.post("/api/v1/tickets/%d/reply" % tid, {"body": "%s reply %d" % (name, i)}, T[name])
                with lock:
                    results.append((name, r.status, r.body))
        threads = [threading.Thread(target=agent, args=(n,)) for n in ("alice", "bob")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted({s for _, s, _ in results}), [201], [r for r in results if r[1] != 201][:3])
        self.assertEqual(int(S.sql("SELECT count(*) FROM messages WHERE ticket_id = %d" % tid)), before + 2 * rounds)
        for name in ("alice", "bob"):
            bodies = S.sql("SELECT body FROM messages WHERE ticket_id = %d AND author = '%s'" % (tid, name)).split("\n")
            self.assertEqual(sorted(bodies), sorted("%s reply %d" % (name, i) for i in range(rounds)))
            self.assertEqual(S.sql("SELECT count(*) FROM events WHERE ticket_id = %d AND actor = '%s' AND kind = 'reply_queued'" % (tid, name)),
                             str(rounds))
        self.assertEqual(S.sql("SELECT count(*) FROM outbox WHERE ticket_id = %d" % tid), str(2 * rounds))
        # the ticket went new -> open exactly once
        self.assertEqual(S.sql("SELECT count(*) FROM events WHERE ticket_id = %d AND kind = 'status_changed'" % tid), "1")

    def test_two_agents_take_one_ticket_at_once(self):
        free = [int(x) for x in S.sql("SELECT id FROM tickets WHERE assignee IS NULL ORDER BY id DESC LIMIT 15").split()]
        results, lock = [], threading.Lock()
        barrier = threading.Barrier(2)

        def agent(name):
            client = bdapi.Client(S, api=C.api)
            for tid in free:
                barrier.wait()
                r = client.post("/api/v1/tickets/%d/assign" % tid, {"assignee": name}, T[name])
                with lock:
                    results.append((tid, name, r.status))
        threads = [threading.Thread(target=agent, args=(n,)) for n in ("alice", "bob")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for tid in free:
            got = sorted((st, n) for t, n, st in results if t == tid)
            self.assertEqual([st for st, _ in got], [200, 403], (tid, got))
            winner = [n for st, n in got if st == 200][0]
            self.assertEqual(S.sql("SELECT assignee FROM tickets WHERE id = %d" % tid), winner)
            self.assertEqual(S.sql("SELECT count(*) FROM events WHERE ticket_id = %d AND kind = 'assigned'" % tid), "1")

    def test_import_while_readers_list_and_agents_reply(self):
        n_msgs = 6000
        path = os.path.join(S.dir, "bulk.jsonl")
        with open(path, "w") as f:
            for i in range(n_msgs):
                f.write(json.dumps({"shop": "bulk-shop", "marketplace": "ebay", "external_id": "bulk-%d" % i,
                                    "buyer": {"external_id": "buyer-%d" % (i % 700)}, "order_id": "ord-%d" % (i % 900),
                                    "direction": "in", "body": "Where is my parcel? #%d" % i,
                                    "sent_at": "2026-11-%02dT10:%02d:00Z" % (1 + i % 20, i % 60)}) + "\n")
        tickets = [int(x) for x in S.sql("SELECT id FROM tickets ORDER BY id LIMIT 6").split()]
        stop = threading.Event()
        bad, counts, lock = [], {"read": 0, "write": 0}, threading.Lock()

        def reader(token):
            client = bdapi.Client(S, api=C.api)
            i = 0
            while not stop.is_set():
                i += 1
                path = "/api/v1/tickets?status=all&limit=50" if i % 2 else "/api/v1/tickets/%d" % tickets[i % len(tickets)]
                r = client.get(path, token)
                with lock:
                    counts["read"] += 1
                    if r.status != 200 or b"locked" in r.body:
                        bad.append((path, r.status, r.body[:200]))

        replies = []

        def writer(name):
            client = bdapi.Client(S, api=C.api)
            i = 0
            while not stop.is_set():
                i += 1
                tid = tickets[i % len(tickets)]
                r = client.post("/api/v1/tickets/%d/notes" % tid, {"body": "%s during import %d" % (name, i)}, T[name])
                with lock:
                    counts["write"] += 1
                    if r.status != 201 or b"locked" in r.body:
                        bad.append(("note", r.status, r.body[:200]))
                    else:
                        replies.append(r.json["message"]["id"])

        threads = [threading.Thread(target=reader, args=(T[u],)) for u in ("alice", "bob", "lena")]
        threads += [threading.Thread(target=writer, args=(u,)) for u in ("alice", "bob")]
        for t in threads:
            t.start()
        try:
            imp = subprocess.run([bdapi.BD, "import", "messages", path], env=S.env, capture_output=True, text=True, timeout=600)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(imp.returncode, 0, imp.stderr[-500:])
        self.assertNotIn("locked", imp.stderr)
        self.assertEqual(bad, [])
        self.assertGreater(counts["read"], 0)
        self.assertGreater(counts["write"], 0)
        self.assertEqual(int(S.sql("SELECT count(*) FROM messages WHERE external_id LIKE 'bulk-%'")), n_msgs)
        stored = int(S.sql("SELECT count(*) FROM messages WHERE body LIKE '% during import %'"))
        self.assertEqual(stored, len(replies))
        # the server's log has no database errors either
        self.assertNotIn("locked", S.read_log())


if __name__ == "__main__":
    unittest.main(verbosity=1)
