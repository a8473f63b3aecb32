#!/usr/bin/env python3
"""seed-satisfaction.py DB — the browser test's satisfaction data, written straight into the
database: surveys of every kind (CSAT, NPS, CES) on the demo tickets, sent over six weeks of
October and November 2026, most of them answered with a fixed pattern of scores and
dimensions, and marketplace feedback (positive, neutral, negative) in the same weeks. The
numbers the dashboard must show are computed from these rows by expected.py, not here.
Four more surveys are for the survey page: an open NPS survey in Arabic, an open CES survey
in English asking all four dimensions, an expired one, and an open CSAT survey in Japanese
(tokens below)."""
import sqlite3
import sys
from datetime import datetime, timedelta, timezone

db = sqlite3.connect(sys.argv[1])
tickets = db.execute(
    "SELECT id, shop_id, buyer_id, category, subcategory, language FROM tickets"
    " WHERE id NOT IN (SELECT ticket_id FROM surveys) ORDER BY id LIMIT 34").fetchall()
page_tickets = tickets[30:]
tickets = tickets[:30]
if len(page_tickets) < 4:
    sys.exit("seed-satisfaction.py: the demo data has fewer than 34 tickets")

# Wednesdays at noon UTC, weeks 2026-W41 .. W46 (October 7 to November 11): far from any
# week or day boundary, inside the dashboard test's period (October 1 to November 15)
weeks = [datetime(2026, 10, 7, 12, tzinfo=timezone.utc) + timedelta(weeks=w) for w in range(6)]
kinds = ["csat", "nps", "ces"]
agents = ["alice", "lena", None]
scores = {"csat": [5, 4, 2, 5, 3, 1, 4], "nps": [10, 9, 7, 3, 6, 8, 0, 10], "ces": [7, 5, 2, 6, 4, 1]}
dims = ["quality", "attitude", "speed"]
used = {k: 0 for k in kinds}
for i, (tid, shop, buyer, cat, sub, lang) in enumerate(tickets):
    kind = kinds[(i // 6) % 3]  # every week gets every kind
    sent = weeks[i % len(weeks)] + timedelta(hours=i % 5)
    token = "seedSurveyToken%017d" % tid  # 32 characters like the real ones
    answered = i % 4 != 3  # three in four are answered
    score = None
    if answered:
        score = scores[kind][used[kind] % len(scores[kind])]
        used[kind] += 1
    cur = db.execute(
        "INSERT INTO surveys(token, ticket_id, shop_id, buyer_id, agent, category, subcategory, language, kind,"
        " dimensions, created_at, expires_at, responded_at, score, comment) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (token, tid, shop, buyer, agents[i % 3], cat, sub, lang or "en", kind, '["quality","attitude","speed"]',
         int(sent.timestamp()), int((sent + timedelta(days=14)).timestamp()),
         int((sent + timedelta(hours=6)).timestamp()) if answered else None, score,
         "seeded answer %d" % i if answered else None))
    if answered and kind == "csat":
        for j, d in enumerate(dims[: 1 + i % 3]):
            db.execute("INSERT INTO survey_answers(survey_id, dimension, score) VALUES (?,?,?)",
                       (cur.lastrowid, d, 1 + (i + j) % 5))

ratings = ["positive", "positive", "neutral", "negative", "positive"]
for i, (tid, shop, buyer, *_rest) in enumerate(tickets[:15]):
    at = int((weeks[i % len(weeks)] + timedelta(hours=1 + i)).timestamp())
    db.execute(
        "INSERT INTO feedback(shop_id, external_id, buyer_id, rating, left_at, created_at, updated_at, kind)"
        " VALUES (?,?,?,?,?,?,?, 'seller_feedback')", (shop, "seed-fb-%d" % i, buyer, ratings[i % 5], at, at, at))
now = int(datetime.now(timezone.utc).timestamp())
page_surveys = [  # token, kind, language, dimensions, sent, expires
    ("pageNpsArabic0000000000000000000", "nps", "ar", '["quality","speed"]', now - 3600, now + 7 * 86400),
    ("pageCesEnglish000000000000000000", "ces", "en", '["quality","attitude","speed","price"]', now - 3600, now + 7 * 86400),
    ("pageExpired000000000000000000000", "csat", "de", '["quality"]', now - 10 * 86400, now - 86400),
    ("pageCsatJapanese0000000000000000", "csat", "ja", '["quality","attitude","speed","price"]', now - 7200, now + 7 * 86400),
]
for (tid, shop, buyer, cat, sub, _lang), (token, kind, lang, asked, sent, expires) in zip(page_tickets, page_surveys):
    db.execute(
        "INSERT INTO surveys(token, ticket_id, shop_id, buyer_id, category, subcategory, language, kind, dimensions,"
        " created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (token, tid, shop, buyer, cat, sub, lang, kind, asked, sent, expires))
db.commit()
print("seed-satisfaction.py: %d surveys, 15 feedback entries, %d surveys for the page" % (len(tickets), len(page_surveys)),
      file=sys.stderr)
