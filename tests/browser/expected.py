#!/usr/bin/env python3
"""expected.py DB CONFIG FROM TO — the satisfaction and tier numbers the dashboard must show,
computed here straight from the database's rows with the formulas of docs/loyalty.md (not
through borderdesk), as JSON on stdout:

  {"satisfaction": {"weeks": {"2026-W41": {...}}, "total": {...}},
   "tiers": {"pyramid": {"vip", "important", "ordinary", "none", "key_ordinary"},
             "concentration": {"buyers", "top_1_pct", "top_5_pct", "top_20_pct"}}}

FROM and TO are days; TO includes its day. A week without surveys or feedback is absent (the
report may list it with zeros for its review messages). Tiers are ranked on the sales of the 365 days
before now (the demo data lies well inside), per shop, in the configuration's base currency."""
import json
import math
import sqlite3
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal

db_path, config_path, day_from, day_to = sys.argv[1:5]
db = sqlite3.connect(db_path)
config = json.load(open(config_path))
DAY = 86400
start = int(datetime.fromisoformat(day_from).replace(tzinfo=timezone.utc).timestamp())
end = int(datetime.fromisoformat(day_to).replace(tzinfo=timezone.utc).timestamp()) + DAY


def pct(part, whole):
    return None if whole == 0 else 100.0 * part / whole


def iso_week(t):
    y, w, _ = datetime.fromtimestamp(t, timezone.utc).isocalendar()
    return "%d-W%02d" % (y, w)


# ---- satisfaction: surveys sent in the period, feedback left in it ----
def sat_row(surveys, feedback):
    ans = [s for s in surveys if s["score"] is not None]
    by = {k: [s["score"] for s in ans if s["kind"] == k] for k in ("csat", "nps", "ces")}
    nps = by["nps"]
    return {
        "surveys_sent": len(surveys), "responses": len(ans), "response_rate_pct": pct(len(ans), len(surveys)),
        "csat_responses": len(by["csat"]), "csat_pct": pct(sum(1 for x in by["csat"] if x >= 4), len(by["csat"])),
        "nps_responses": len(nps),
        "nps": None if not nps else pct(sum(1 for x in nps if x >= 9), len(nps)) - pct(sum(1 for x in nps if x <= 6), len(nps)),
        "ces_responses": len(by["ces"]), "ces_easy_pct": pct(sum(1 for x in by["ces"] if x >= 5), len(by["ces"])),
        "feedback": {r: sum(1 for f in feedback if f == r) for r in ("positive", "neutral", "negative")},
    }


surveys = [dict(zip(("kind", "score", "at"), r)) for r in db.execute(
    "SELECT kind, score, created_at FROM surveys WHERE created_at >= ? AND created_at < ?", (start, end))]
feedback = list(db.execute("SELECT rating, left_at FROM feedback WHERE left_at >= ? AND left_at < ?", (start, end)))
weeks = sorted({iso_week(s["at"]) for s in surveys} | {iso_week(f[1]) for f in feedback})
satisfaction = {
    "weeks": {w: sat_row([s for s in surveys if iso_week(s["at"]) == w], [f[0] for f in feedback if iso_week(f[1]) == w])
              for w in weeks},
    "total": sat_row(surveys, [f[0] for f in feedback]),
}

# ---- tiers: the customer pyramid per shop and the value concentration ----
NOT_SALES = {"cancelled", "canceled", "refunded", "returned", "chargeback", "chargedback", "pending",
             "pendingavailability", "unfulfillable", "failed"}
loyalty = config.get("loyalty", {})
fx = {k: Decimal(str(v)) for k, v in loyalty.get("fx_rates", {}).items()}
base = loyalty.get("base_currency", "EUR")
shares = loyalty.get("pyramid_percent", {"vip": 1, "important": 5, "key_ordinary": 20})
now = int(time.time())


def is_sale(status, total):
    norm = "".join(c for c in status.lower() if c not in " _-")
    return norm not in NOT_SALES and Decimal(total) >= 0


buyers = {}  # buyer id -> {"shop", "sales" (ever), "period" (amount in the period)}
for buyer, shop, status, total, currency, at in db.execute(
        "SELECT buyer_id, shop_id, status, total, currency, purchased_at FROM orders"):
    b = buyers.setdefault(buyer, {"shop": shop, "sales": 0, "period": Decimal(0)})
    if at > now or not is_sale(status, total):
        continue
    b["sales"] += 1
    if at > now - 365 * DAY:
        b["period"] += Decimal(total) * (Decimal(1) if currency == base else fx[currency])

pyramid = {"vip": 0, "important": 0, "ordinary": 0, "none": 0, "key_ordinary": 0}
for shop in {b["shop"] for b in buyers.values()}:
    mine = [b for b in buyers.values() if b["shop"] == shop]
    ranked = [b["period"] for b in mine if b["period"] > 0]
    n = len(ranked)

    def top(x, p):  # in the top p%: at most floor(p% of N) buyers at or above x (ties stay out)
        return sum(1 for y in ranked if y >= x) <= math.floor(Decimal(str(p)) * n / 100)

    for b in mine:
        if b["sales"] == 0:
            pyramid["none"] += 1
        elif b["period"] > 0 and top(b["period"], shares["vip"]):
            pyramid["vip"] += 1
        elif b["period"] > 0 and top(b["period"], shares["important"]):
            pyramid["important"] += 1
        else:
            pyramid["ordinary"] += 1
            # the key-ordinary band: the ordinary buyers within the top key_ordinary%
            if b["period"] > 0 and top(b["period"], shares["key_ordinary"]):
                pyramid["key_ordinary"] += 1

values = sorted((b["period"] for b in buyers.values() if b["period"] > 0), reverse=True)
total = sum(values)
concentration = {"buyers": len(values)}
for p in (1, 5, 20):
    k = math.ceil(p * len(values) / 100)
    concentration["top_%d_pct" % p] = float(100 * sum(values[:k]) / total) if total else None

json.dump({"satisfaction": satisfaction, "tiers": {"pyramid": pyramid, "concentration": concentration}}, sys.stdout, indent=1)
print()
