"""dataset.py - the deterministic, seeded data of one simulated shop.

Every shop owns buyers, orders (with a status history), buyer conversations and, for
marketplaces that have it, feedback. All of it is a pure function of (seed, marketplace,
shop key, sizes, base time): the same arguments give the same data on every machine.

Data changes over time in two ways:
  * events may lie in the future (--future-hours): an order's next status or a buyer's
    next message becomes visible when the clock reaches it;
  * mutate() (the control endpoint POST /_sim/mutate) changes orders and adds buyer
    messages at the current time, deterministically from the seed and a counter.

Statuses are marketplace-neutral here (unpaid, paid, shipped, delivered, cancelled,
returned); each marketplace module maps them to its own vocabulary.
"""
import bisect
import random
import threading

import texts

PROGRESSION = ["unpaid", "paid", "shipped", "delivered"]
CURRENCY = {"US": "USD", "GB": "GBP", "AU": "AUD", "ES": "EUR", "MX": "MXN", "FR": "EUR",
            "BE": "EUR", "DE": "EUR", "AT": "EUR", "IT": "EUR", "BR": "BRL", "PT": "EUR",
            "RU": "RUB", "PL": "PLN", "JP": "JPY", "KR": "KRW", "SA": "SAR", "AE": "AED",
            "CN": "CNY", "TW": "TWD"}


class Buyer:
    __slots__ = ("index", "lang", "name", "country", "username", "user_id", "email")


class Order:
    __slots__ = ("index", "oid", "buyer", "created", "events", "items", "currency", "line_ids")

    def state(self, now):
        """(status, last_modified) at time now; None when not yet created."""
        times = [t for t, _ in self.events]
        i = bisect.bisect_right(times, now)
        if i == 0:
            return None
        return self.events[i - 1][1], self.events[i - 1][0]

    def total(self):
        return sum(q * p for _, _, q, p in self.items)


class Message:
    __slots__ = ("mid", "t", "outbound", "text", "seq")


class Conversation:
    __slots__ = ("index", "cid", "buyer", "messages", "order", "listing")

    def visible(self, now):
        times = [m.t for m in self.messages]
        return self.messages[:bisect.bisect_right(times, now)]


class Feedback:
    __slots__ = ("fid", "order", "t", "kind", "text", "reply", "reply_t", "rating")


class Shop:
    """One seller account: an eBay user or a Shopee shop."""

    def __init__(self, marketplace, key, seed, n_orders, n_messages, span, future, base,
                 feedback_share=0.0):
        self.marketplace, self.key, self.seed = marketplace, str(key), seed
        self.base, self.span, self.future = base, span, future
        self.lock = threading.RLock()
        self.version = 0           # bumped by every mutation
        self.mutations = 0
        self.msg_counter = 0
        self._cache = {}
        rng = self._rng("buyers")
        n_buyers = max(1, max(n_orders, n_messages // 3) // 3)
        self.buyers = [self._buyer(i, rng) for i in range(n_buyers)]
        self.orders = [self._order(i) for i in range(n_orders)]
        self.by_oid = {o.oid: o for o in self.orders}
        self.conversations = []
        total = 0
        while total < n_messages:
            c = self._conversation(len(self.conversations), n_messages - total)
            self.conversations.append(c)
            total += len(c.messages)
        self.by_cid = {c.cid: c for c in self.conversations}
        self.feedback = []
        if feedback_share > 0:
            frng = self._rng("feedback")
            for o in self.orders:
                delivered = [t for t, s in o.events if s == "delivered"]
                if delivered and frng.random() < feedback_share:
                    f = self._feedback(len(self.feedback), o, delivered[0], frng)
                    if f.t <= self.base + self.future:
                        self.feedback.append(f)
        self.by_fid = {f.fid: f for f in self.feedback}
        self._event_times = sorted(
            [t for o in self.orders for t, _ in o.events] +
            [m.t for c in self.conversations for m in c.messages] +
            [f.t for f in self.feedback])

    # ---- generation ----
    def _rng(self, what):
        return random.Random("%s:%s:%s:%s" % (self.seed, self.marketplace, self.key, what))

    def _time(self, rng):
        return int(self.base - self.span + rng.random() * (self.span + self.future))

    def _buyer(self, i, rng):
        b = Buyer()
        b.index = i
        b.lang = texts.LANGS[i % len(texts.LANGS)] if i < 12 else rng.choice(texts.LANGS)
        b.name = rng.choice(texts.NAMES[b.lang])
        b.country = rng.choice(texts.COUNTRY[b.lang])
        first = b.name.split()[0].lower() if b.lang in ("en", "es", "fr", "de", "it", "pt", "pl") else "buyer"
        b.username = "%s_%s%d" % (first.encode("ascii", "ignore").decode() or "buyer", self.key, i)
        b.user_id = 700000000 + int(self.key) * 1000000 + i if self.key.isdigit() else 700000000 + i
        b.email = "%s@buyers.example" % b.username
        return b

    def _order(self, i):
        rng = self._rng("o%d" % i)
        o = Order()
        o.index = i
        o.buyer = self.buyers[rng.randrange(len(self.buyers))]
        o.created = self._time(rng)
        if self.marketplace == "ebay":
            o.oid = "%02d-%05d-%05d" % (rng.randrange(1, 28), rng.randrange(100000), i % 100000)
            o.oid = "%s%d" % (o.oid, i // 100000) if i >= 100000 else o.oid
        elif self.marketplace == "amazon":  # 3-7-7 digits
            o.oid = "%03d-%07d-%07d" % (rng.randrange(200, 500), rng.randrange(10 ** 7), i % 10 ** 7)
        else:
            o.oid = "%s%08X" % (self.key[-2:], (i * 2654435761) & 0xFFFFFFFF) + "%d" % i
        t = o.created
        o.events = [(t, "unpaid")]
        for status in PROGRESSION[1:]:
            if status == "paid":
                if rng.random() < 0.05:
                    o.events.append((t + rng.randrange(600, 86400), "cancelled"))
                    break
                t += rng.randrange(60, 7200)
            elif status == "shipped":
                t += rng.randrange(3600, 3 * 86400)
            else:
                t += rng.randrange(3 * 86400, 15 * 86400)
            o.events.append((t, status))
        if o.events[-1][1] == "delivered" and rng.random() < 0.03:
            o.events.append((t + rng.randrange(86400, 7 * 86400), "returned"))
        o.events = [e for e in o.events if e[0] <= self.base + self.future] or o.events[:1]
        o.currency = CURRENCY.get(o.buyer.country, "USD")
        o.items = []
        o.line_ids = []
        for k in range(rng.choice((1, 1, 1, 2, 3))):
            title = rng.choice(texts.PRODUCTS)
            o.items.append(("SKU-%04d" % rng.randrange(10000), title, rng.choice((1, 1, 2, 3)),
                            rng.randrange(199, 19999) / 100.0))
            o.line_ids.append("%d%04d" % (10000000 + i, k))
        return o

    def _conversation(self, j, remaining):
        rng = self._rng("c%d" % j)
        c = Conversation()
        c.index = j
        c.cid = "%d" % (3000000000 + j)
        c.buyer = self.buyers[rng.randrange(len(self.buyers))]
        mine = [o for o in self.orders[:2000] if o.buyer is c.buyer] if self.orders else []
        c.order = mine[0] if mine and rng.random() < 0.7 else None
        c.listing = "%d" % (110000000000 + rng.randrange(1000000))
        t = self._time(rng)
        c.messages = []
        for k in range(min(remaining, rng.choice((1, 2, 2, 3, 4, 5, 6)))):
            m = Message()
            m.outbound = k % 2 == 1
            m.t = t
            m.text = texts.SELLER[c.buyer.lang] if m.outbound else rng.choice(texts.BUYER[c.buyer.lang])
            m.seq = k
            m.mid = "%d" % (5000000000 + j * 100 + k)
            if k and m.t > self.base + self.future:
                break
            c.messages.append(m)
            t += rng.randrange(120, 2 * 86400)
        return c

    def _feedback(self, k, o, delivered, rng):
        f = Feedback()
        f.fid = "%d" % (9000000000 + k)
        f.order = o
        f.t = delivered + rng.randrange(3600, 5 * 86400)
        r = rng.random()
        f.kind = "POSITIVE" if r < 0.8 else ("NEUTRAL" if r < 0.92 else "NEGATIVE")
        f.rating = {"POSITIVE": 5, "NEUTRAL": 3, "NEGATIVE": 1}[f.kind]
        f.text = texts.FEEDBACK[f.kind][o.buyer.lang]
        f.reply, f.reply_t = None, None
        return f

    # ---- views at a time, cached until the next event or mutation ----
    def _cached(self, name, now, build):
        with self.lock:
            i = bisect.bisect_right(self._event_times, now)
            nxt = self._event_times[i] if i < len(self._event_times) else float("inf")
            hit = self._cache.get(name)
            if hit and hit[0] == self.version and hit[1] <= now < hit[2]:
                return hit[3]
            value = build(now)
            prev = self._event_times[i - 1] if i > 0 else float("-inf")
            self._cache[name] = (self.version, prev, nxt, value)
            return value

    def orders_by_modified(self, now):
        """[(last_modified, order, status)] of visible orders, oldest change first."""
        def build(now):
            out = []
            for o in self.orders:
                st = o.state(now)
                if st:
                    out.append((st[1], o.index, o, st[0]))
            out.sort(key=lambda x: (x[0], x[1]))
            return [(m, o, s) for m, _, o, s in out]
        return self._cached("orders", now, build)

    def orders_by_created(self, now):
        def build(now):
            out = [(o.created, o.index, o) for o in self.orders if o.created <= now]
            out.sort(key=lambda x: (x[0], x[1]))
            return [o for _, _, o in out]
        return self._cached("orders_created", now, build)

    def conversations_by_latest(self, now):
        """[(latest_message, conversation, visible_messages)], newest first."""
        def build(now):
            out = []
            for c in self.conversations:
                vis = c.visible(now)
                if vis:
                    out.append((vis[-1].t, c.index, c, vis))
            out.sort(key=lambda x: (-x[0], -x[1]))
            return [(t, c, vis) for t, _, c, vis in out]
        return self._cached("conversations", now, build)

    def feedback_by_time(self, now):
        def build(now):
            out = [f for f in self.feedback if f.t <= now]
            out.sort(key=lambda f: (-f.t, f.fid))
            return out
        return self._cached("feedback", now, build)

    # ---- changes ----
    def _changed(self, t):
        self.version += 1
        bisect.insort(self._event_times, t)

    def mutate(self, now, n_orders, n_messages):
        """Changes n_orders orders and adds n_messages buyer messages at time now."""
        with self.lock:
            self.mutations += 1
            rng = self._rng("mutation%d" % self.mutations)
            changed = []
            visible = [o for o in self.orders if o.created <= now]
            for o in rng.sample(visible, min(n_orders, len(visible))):
                status = o.state(now)[0]
                nxt = {"unpaid": "paid", "paid": "shipped", "shipped": "delivered",
                       "delivered": "returned"}.get(status, "cancelled" if status != "cancelled" else "unpaid")
                o.events = [e for e in o.events if e[0] <= now] + [(now, nxt)]
                changed.append(o.oid)
            added = []
            convs = [c for c in self.conversations if c.visible(now)]
            for c in (rng.sample(convs, min(n_messages, len(convs))) if convs else []):
                m = self.add_message(c, now, False, rng.choice(texts.BUYER[c.buyer.lang]), lock=False)
                added.append(m.mid)
            self._changed(now)
            return {"orders": changed, "messages": added}

    def add_message(self, c, now, outbound, text, lock=True):
        if lock:
            self.lock.acquire()
        try:
            self.msg_counter += 1
            m = Message()
            m.outbound, m.text, m.seq = outbound, text, len(c.messages)
            m.t = max(now, c.messages[-1].t) if c.messages else now
            m.mid = "%d" % (8000000000 + self.msg_counter)
            c.messages = [x for x in c.messages if x.t <= m.t] + [m] + \
                [x for x in c.messages if x.t > m.t]
            self._changed(m.t)
            return m
        finally:
            if lock:
                self.lock.release()

    def new_conversation(self, buyer, now):
        with self.lock:
            c = Conversation()
            c.index = len(self.conversations)
            c.cid = "%d" % (3000000000 + c.index)
            c.buyer, c.order, c.messages = buyer, None, []
            c.listing = "%d" % (110000000000 + c.index)
            self.conversations.append(c)
            self.by_cid[c.cid] = c
            return c
