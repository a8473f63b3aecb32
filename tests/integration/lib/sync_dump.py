#!/usr/bin/env python3
"""sync_dump.py DB — a canonical text dump of what sync stores (orders with items, buyers,
messages with their ticket's thread, tickets, feedback, raw sources of malformed mail), without row ids and local clocks,
so two databases synced from the same marketplace data compare equal line by line.
Duplicate rows would show up as repeated lines; missing ones as absent lines."""
import sqlite3
import sys

db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
q = db.execute
for r in q("SELECT s.name, o.external_id, b.external_id, o.status, o.purchased_at, o.updated_at,"
           " o.currency, o.total, coalesce(o.carrier,''), (SELECT group_concat(coalesce(sku,'') || '/' ||"
           " title || '/' || quantity || '/' || coalesce(price,''), ';') FROM order_items i"
           " WHERE i.order_id = o.id) FROM orders o JOIN shops s ON s.id = o.shop_id"
           " JOIN buyers b ON b.id = o.buyer_id ORDER BY 1, 2"):
    print("order", *r, sep="|")
for r in q("SELECT s.name, b.external_id, coalesce(b.name,''), coalesce(b.country,'') FROM buyers b"
           " JOIN shops s ON s.id = b.shop_id ORDER BY 1, 2"):
    print("buyer", *r, sep="|")
for r in q("SELECT s.name, coalesce(m.external_id,'(local)'), m.direction, m.kind, m.sent_at, m.body,"
           " coalesce(m.conversation_id,''), t.thread_key, b.external_id FROM messages m"
           " JOIN tickets t ON t.id = m.ticket_id JOIN shops s ON s.id = m.shop_id"
           " JOIN buyers b ON b.id = t.buyer_id ORDER BY 1, 2, 5"):
    print("message", *r, sep="|")
for r in q("SELECT s.name, b.external_id, t.thread_key, t.status, coalesce(t.subject,''),"
           " coalesce(t.order_external_id,''), t.order_id IS NOT NULL, t.created_at,"
           " coalesce(t.last_message_at,0), coalesce(t.last_inbound_at,0),"
           " (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id),"
           " (SELECT count(*) FROM events e WHERE e.ticket_id = t.id)"
           " FROM tickets t JOIN shops s ON s.id = t.shop_id JOIN buyers b ON b.id = t.buyer_id"
           " ORDER BY 1, 2, 3, 8"):
    print("ticket", *r, sep="|")
for r in q("SELECT s.name, f.external_id, b.external_id, f.rating, coalesce(f.score,0),"
           " coalesce(f.comment,''), coalesce(f.reply,''), coalesce(f.order_external_id,''),"
           " f.order_id IS NOT NULL, f.left_at FROM feedback f JOIN shops s ON s.id = f.shop_id"
           " JOIN buyers b ON b.id = f.buyer_id ORDER BY 1, 2"):
    print("feedback", *r, sep="|")
for r in q("SELECT s.name, m.external_id, length(x.raw), x.size, coalesce(x.error,'')"
           " FROM message_sources x JOIN messages m ON m.id = x.message_id"
           " JOIN shops s ON s.id = m.shop_id ORDER BY 1, 2"):
    print("source", *r, sep="|")
