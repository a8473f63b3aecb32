/* schema.c — the numbered migrations. Never edit a released migration: add the next one. */
#include "store_internal.h"

static const char *const migration_1 =
    "CREATE TABLE shops ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  marketplace TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"

    "CREATE TABLE buyers ("
    "  id INTEGER PRIMARY KEY,"
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  external_id TEXT NOT NULL,"
    "  name TEXT, email TEXT, country TEXT, language TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (shop_id, external_id));"

    "CREATE TABLE orders ("
    "  id INTEGER PRIMARY KEY,"
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  external_id TEXT NOT NULL,"
    "  buyer_id INTEGER NOT NULL REFERENCES buyers(id),"
    "  status TEXT NOT NULL,"
    "  purchased_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  total TEXT NOT NULL,"
    "  total_micros INTEGER NOT NULL,"
    "  carrier TEXT, tracking_number TEXT,"
    "  shipped_at INTEGER, estimated_delivery INTEGER,"
    "  extra TEXT,"
    "  UNIQUE (shop_id, external_id));"
    "CREATE INDEX orders_buyer ON orders(buyer_id);"
    "CREATE INDEX orders_purchased ON orders(purchased_at);"

    "CREATE TABLE order_items ("
    "  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  sku TEXT, title TEXT NOT NULL, quantity INTEGER NOT NULL, price TEXT,"
    "  PRIMARY KEY (order_id, position)) WITHOUT ROWID;"

    "CREATE TABLE tickets ("
    "  id INTEGER PRIMARY KEY,"
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  buyer_id INTEGER NOT NULL REFERENCES buyers(id),"
    "  order_id INTEGER REFERENCES orders(id),"
    "  order_external_id TEXT,"
    "  conversation_id TEXT,"
    "  thread_key TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('new','open','pending','solved','closed')),"
    "  subject TEXT,"
    "  category TEXT, subcategory TEXT, language TEXT,"
    "  priority INTEGER NOT NULL DEFAULT 1,"
    "  assignee TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  solved_at INTEGER,"
    "  last_message_at INTEGER,"
    "  last_inbound_at INTEGER,"
    "  linked_ticket_id INTEGER REFERENCES tickets(id),"
    "  due_at INTEGER, due_state TEXT);"
    "CREATE INDEX tickets_thread ON tickets(shop_id, buyer_id, thread_key, id);"
    "CREATE INDEX tickets_queue ON tickets(status, priority, last_inbound_at);"

    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  external_id TEXT,"
    "  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
    "  buyer_id INTEGER NOT NULL REFERENCES buyers(id),"
    "  direction TEXT NOT NULL CHECK (direction IN ('in','out')),"
    "  kind TEXT NOT NULL DEFAULT 'public' CHECK (kind IN ('public','note')),"
    "  author TEXT, subject TEXT, body TEXT NOT NULL,"
    "  sent_at INTEGER NOT NULL,"
    "  order_external_id TEXT, conversation_id TEXT,"
    "  language TEXT, category TEXT, subcategory TEXT, classification TEXT,"
    "  extra TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (shop_id, external_id));"
    "CREATE INDEX messages_ticket ON messages(ticket_id, sent_at);"

    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  ticket_id INTEGER REFERENCES tickets(id),"
    "  actor TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  detail TEXT,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX events_ticket ON events(ticket_id, id);"
    "CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_append_only_d BEFORE DELETE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"

    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  display_name TEXT,"
    "  role TEXT NOT NULL CHECK (role IN ('agent','lead','admin')),"
    "  password_hash TEXT,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"

    "CREATE TABLE sync_checkpoints ("
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  resource TEXT NOT NULL,"
    "  cursor TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (shop_id, resource)) WITHOUT ROWID;"

    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
    "  message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id),"
    "  channel TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'queued'"
    "    CHECK (status IN ('queued','sending','sent','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  idempotency_key TEXT NOT NULL UNIQUE,"
    "  remote_id TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  sent_at INTEGER);"
    "CREATE INDEX outbox_due ON outbox(status, next_attempt_at);";

/* SLA clocks read every message and clock event of a ticket in ticket order: covering
 * indexes let a report over millions of messages scan them without the bodies. The new
 * messages index starts with the columns of messages_ticket, which it replaces. */
static const char *const migration_2 =
    "CREATE INDEX messages_clock ON messages(ticket_id, sent_at, direction, kind, author);"
    "DROP INDEX messages_ticket;"
    "CREATE INDEX events_clock ON events(ticket_id, id, at, kind, detail)"
    "  WHERE kind IN ('status_changed', 'reopened', 'no_response_needed', 'response_needed');"
    "CREATE INDEX tickets_due ON tickets(due_at) WHERE due_at IS NOT NULL;";

/* The service: login sessions, API tokens, ticket tags, and the API's queue order as one
 * indexable key (status group, priority high first, oldest wait first) so that cursor
 * pagination over a million tickets reads only the rows of one page. */
static const char *const migration_3 =
    "CREATE TABLE sessions ("
    "  token_hash TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  csrf_token TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  remote TEXT) WITHOUT ROWID;"
    "CREATE INDEX sessions_expiry ON sessions(expires_at);"

    "CREATE TABLE api_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  prefix TEXT NOT NULL,"
    "  label TEXT,"
    "  scope TEXT NOT NULL CHECK (scope IN ('read','write','sync','admin')),"
    "  created_at INTEGER NOT NULL,"
    "  last_used_at INTEGER,"
    "  revoked_at INTEGER);"

    "CREATE TABLE ticket_tags ("
    "  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
    "  tag TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (ticket_id, tag)) WITHOUT ROWID;"
    "CREATE INDEX ticket_tags_tag ON ticket_tags(tag, ticket_id);"

    "ALTER TABLE tickets ADD COLUMN queue_key INTEGER GENERATED ALWAYS AS ("
    "  ((CASE status WHEN 'new' THEN 0 WHEN 'open' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END)"
    "    * 4 + 3 - max(0, min(3, priority))) * 17179869184"
    "  + max(0, min(17179869183, coalesce(due_at, last_inbound_at, created_at)))) VIRTUAL;"
    "CREATE INDEX tickets_api_queue ON tickets(queue_key);"
    "CREATE INDEX outbox_ticket ON outbox(ticket_id);"
    "CREATE INDEX tickets_order ON tickets(order_id) WHERE order_id IS NOT NULL;"
    "CREATE INDEX orders_external ON orders(external_id);";

/* Marketplace sync: feedback as satisfaction data, the order lines feedback refers to,
 * OAuth tokens that the marketplaces rotate, and a lookup index for conversations. */
static const char *const migration_4 =
    "CREATE TABLE feedback ("
    "  id INTEGER PRIMARY KEY,"
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  external_id TEXT NOT NULL,"
    "  buyer_id INTEGER NOT NULL REFERENCES buyers(id),"
    "  order_id INTEGER REFERENCES orders(id),"
    "  order_external_id TEXT,"
    "  line_item_id TEXT,"
    "  rating TEXT NOT NULL CHECK (rating IN ('positive','neutral','negative')),"
    "  score INTEGER,"
    "  comment TEXT,"
    "  reply TEXT,"
    "  left_at INTEGER NOT NULL,"
    "  extra TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (shop_id, external_id));"
    "CREATE INDEX feedback_buyer ON feedback(buyer_id);"
    "CREATE INDEX feedback_order ON feedback(order_id);"
    "CREATE INDEX feedback_line ON feedback(shop_id, line_item_id);"

    "CREATE TABLE order_line_refs ("
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  line_item_id TEXT NOT NULL,"
    "  order_external_id TEXT NOT NULL,"
    "  PRIMARY KEY (shop_id, line_item_id)) WITHOUT ROWID;"

    "CREATE TABLE shop_tokens ("
    "  shop_id INTEGER PRIMARY KEY REFERENCES shops(id),"
    "  access_token TEXT,"
    "  access_expires INTEGER,"
    "  refresh_token TEXT,"
    "  seed TEXT,"
    "  updated_at INTEGER NOT NULL);"

    "CREATE INDEX messages_conversation ON messages(shop_id, conversation_id, sent_at);"
    /* store_tickets_link_order runs for every new order: without this it scans all tickets */
    "CREATE INDEX tickets_order_ext ON tickets(shop_id, order_external_id)"
    "  WHERE order_id IS NULL AND order_external_id IS NOT NULL;";

/* The queue: a ticket with a running clock (a due time) comes before one that waits on
 * nobody, whatever their priorities; then priority, then the earliest due time. */
static const char *const migration_5 =
    "DROP INDEX tickets_api_queue;"
    "ALTER TABLE tickets DROP COLUMN queue_key;"
    "ALTER TABLE tickets ADD COLUMN queue_key INTEGER GENERATED ALWAYS AS ("
    "  (((CASE status WHEN 'new' THEN 0 WHEN 'open' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END)"
    "    * 2 + (due_at IS NULL)) * 4 + 3 - max(0, min(3, priority))) * 17179869184"
    "  + max(0, min(17179869183, coalesce(due_at, last_inbound_at, created_at)))) VIRTUAL;"
    "CREATE INDEX tickets_api_queue ON tickets(queue_key);";

const store_migration store_migrations[] = {
    {1, "shops, buyers, orders, tickets, messages, events, users, checkpoints, outbox",
     migration_1},
    {2, "indexes for SLA clocks and the inbox's due times", migration_2},
    {3, "sessions, api tokens, ticket tags, queue order key", migration_3},
    {4, "feedback, order line references, shop tokens, conversation and order-link indexes",
     migration_4},
    {5, "queue order: tickets with a running clock first", migration_5},
};
const int store_n_migrations = (int)(sizeof store_migrations / sizeof store_migrations[0]);

int store_schema_latest(void)
{
    return store_migrations[store_n_migrations - 1].version;
}
