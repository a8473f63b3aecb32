#!/usr/bin/env python3
"""Generates N buyer messages as borderdesk import JSON Lines and, beside it, the same
rows as CSV for sqlite3's .import (the baseline of scripts/bench import).

usage: gen_messages.py N OUT.jsonl OUT.csv [SEED]
"""
import csv, json, random, sys

n, out_jsonl, out_csv = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 42)
shops = [("amazon-de", "amazon"), ("amazon-es", "amazon"), ("ebay-us", "ebay"),
         ("shopee-my", "shopee"), ("mail-kr", "mail")]
texts = [
    "Hello, where is my order? It has been two weeks and the tracking has not moved.",
    "Hallo, das Paket ist beschädigt angekommen. Bitte um Ersatz oder Erstattung.",
    "Hola, ¿cuándo llegará mi pedido? Necesito la factura también, gracias.",
    "Bonjour, je n'ai toujours pas reçu ma commande, que se passe-t-il ?",
    "您好，请问这个灯带可以寄到马来西亚吗？运费多少？",
    "주문한 상품이 아직 도착하지 않았습니다. 배송 조회 부탁드립니다.",
    "Здравствуйте, посылка застряла на таможне, что делать?",
    "注文した商品が届いていません。追跡番号を教えてください。",
]
buyers = max(1, n // 10)
with open(out_jsonl, "w", encoding="utf-8") as fj, open(out_csv, "w", encoding="utf-8", newline="") as fc:
    w = csv.writer(fc)
    base = 1793577600  # 2026-11-02T00:00:00Z
    for i in range(n):
        shop, mk = shops[i % len(shops)]
        b = rnd.randrange(buyers)
        order = "%03d-%07d-%07d" % (b % 1000, b, rnd.randrange(3))
        t = base + i * 2
        sent = "%04d-%02d-%02dT%02d:%02d:%02dZ" % (2026, 11, 2 + (t - base) // 86400 % 27,
                                                  (t // 3600) % 24, (t // 60) % 60, t % 60)
        body = rnd.choice(texts) + " " + "x" * rnd.randrange(0, 200)
        row = {"shop": shop, "marketplace": mk, "external_id": "msg-%d" % i,
               "buyer": {"external_id": "B%07d" % b, "name": "Buyer %d" % b},
               "order_id": order, "direction": "in", "subject": "Order %s" % order,
               "body": body, "sent_at": sent}
        fj.write(json.dumps(row, ensure_ascii=False) + "\n")
        w.writerow([shop, mk, row["external_id"], row["buyer"]["external_id"],
                    row["buyer"]["name"], order, "in", row["subject"], body, sent])
