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

/* Migration 6 — satisfaction and loyalty: buyer profiles and tiers (with the incremental
 * state that keeps `tiers recompute` cheap), the blacklist and suspicion flags, surveys
 * and marketplace feedback. Tickets keep the classifier's urgency apart from the priority
 * (which adds the buyer's tier boost); events can name a buyer (tier changes, blacklist).
 * Marketplace feedback shares the table of migration 4 (sync writes it too): the columns the
 * loyalty side needs are added to it; stars are `score`, the seller's response `reply`. */
static const char *const migration_6 =
    /* A buyer's orders with what the loyalty engine reads, side by side in one index: the
     * incremental recompute reads one page per buyer, the full one reads orders in buyer
     * order. It replaces the narrower index of migration 1. */
    "DROP INDEX orders_buyer;"
    "CREATE INDEX orders_buyer ON orders(buyer_id, shop_id, purchased_at, total_micros,"
    "  currency, status);"
    "ALTER TABLE tickets ADD COLUMN urgency INTEGER;"
    "ALTER TABLE events ADD COLUMN buyer_id INTEGER REFERENCES buyers(id);"
    "CREATE INDEX events_buyer ON events(buyer_id, id) WHERE buyer_id IS NOT NULL;"
    "CREATE INDEX events_tier ON events(at) WHERE kind = 'tier_changed';"

    "CREATE TABLE buyer_loyalty ("
    "  buyer_id INTEGER PRIMARY KEY REFERENCES buyers(id),"
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  orders INTEGER NOT NULL,"          /* orders counted as sales, all time */
    "  orders_all INTEGER NOT NULL,"      /* every order, whatever its status */
    "  spend INTEGER NOT NULL,"           /* counted sales, micros of the base currency */
    "  first_order_at INTEGER, last_order_at INTEGER,"
    "  recency INTEGER, frequency INTEGER, monetary INTEGER, value INTEGER,"
    "  orders_recent INTEGER NOT NULL, orders_previous INTEGER NOT NULL,"
    "  claims INTEGER NOT NULL, chargebacks INTEGER NOT NULL, negatives INTEGER NOT NULL,"
    /* RFM scores, segment, pyramid band and ABC class follow from the metrics above and
     * the shop's bands (loyalty_bands): they are derived when read, not stored */
    "  loyalty TEXT NOT NULL, lifecycle TEXT, churn TEXT,"
    "  tier TEXT, boost INTEGER NOT NULL,"
    "  digest INTEGER NOT NULL,"          /* of all the above: a full recompute compares it */
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX buyer_loyalty_churn ON buyer_loyalty(shop_id) WHERE churn IS NOT NULL;"

    /* Rankings: each shop's buyers sorted by a metric, written whole in 64 KB chunks of
     * (value, buyer) pairs by a full recompute (loyalty_rank is the directory of the chunks
     * in loyalty_rank_chunk); the moves since then are rows of loyalty_rank_delta (see
     * src/store/rank.c). */
    "CREATE TABLE loyalty_rank ("
    "  shop_id INTEGER NOT NULL, metric INTEGER NOT NULL, chunk INTEGER NOT NULL,"
    "  first_value INTEGER NOT NULL, last_value INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  PRIMARY KEY (shop_id, metric, chunk)) WITHOUT ROWID;"
    "CREATE TABLE loyalty_rank_chunk ("
    "  shop_id INTEGER NOT NULL, metric INTEGER NOT NULL, chunk INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (shop_id, metric, chunk));"
    "CREATE TABLE loyalty_rank_delta ("
    "  shop_id INTEGER NOT NULL, metric INTEGER NOT NULL, buyer_id INTEGER NOT NULL,"
    "  base_value INTEGER, cur_value INTEGER,"
    "  PRIMARY KEY (shop_id, metric, buyer_id)) WITHOUT ROWID;"
    "CREATE INDEX loyalty_rank_delta_base ON loyalty_rank_delta(shop_id, metric, base_value);"
    "CREATE INDEX loyalty_rank_delta_cur ON loyalty_rank_delta(shop_id, metric, cur_value);"

    "CREATE TABLE loyalty_dirty (buyer_id INTEGER PRIMARY KEY);"
    "CREATE TABLE loyalty_shops ("
    "  shop_id INTEGER PRIMARY KEY REFERENCES shops(id),"
    "  n_rfm INTEGER NOT NULL, n_value INTEGER NOT NULL, t_value INTEGER NOT NULL);"
    "CREATE TABLE loyalty_bands ("
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  band INTEGER NOT NULL,"
    "  u INTEGER NOT NULL, e_u INTEGER NOT NULL, a INTEGER NOT NULL,"
    "  b INTEGER NOT NULL, e_b INTEGER NOT NULL,"
    "  PRIMARY KEY (shop_id, band)) WITHOUT ROWID;"
    "CREATE TABLE loyalty_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  as_of INTEGER NOT NULL, config_hash TEXT NOT NULL, full_at INTEGER NOT NULL);"

    "CREATE TABLE buyer_blacklist ("
    "  buyer_id INTEGER PRIMARY KEY REFERENCES buyers(id),"
    "  reason TEXT NOT NULL, added_by TEXT NOT NULL, added_at INTEGER NOT NULL,"
    "  flag_id INTEGER REFERENCES buyer_flags(id));"
    "CREATE TABLE buyer_flags ("
    "  id INTEGER PRIMARY KEY,"
    "  buyer_id INTEGER NOT NULL REFERENCES buyers(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('refund_claims','chargebacks')),"
    "  status TEXT NOT NULL CHECK (status IN ('open','confirmed','dismissed')),"
    "  level INTEGER NOT NULL,"           /* the count that raised it */
    "  evidence TEXT NOT NULL,"           /* JSON: the numbers behind the flag */
    "  raised_at INTEGER NOT NULL,"
    "  decided_by TEXT, decided_at INTEGER, decision TEXT);"
    "CREATE INDEX buyer_flags_buyer ON buyer_flags(buyer_id, kind, id);"
    "CREATE INDEX buyer_flags_open ON buyer_flags(status, id);"

    "CREATE TABLE surveys ("
    "  id INTEGER PRIMARY KEY,"
    "  token TEXT NOT NULL UNIQUE,"
    "  ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),"
    "  shop_id INTEGER NOT NULL REFERENCES shops(id),"
    "  buyer_id INTEGER NOT NULL REFERENCES buyers(id),"
    "  agent TEXT, category TEXT, subcategory TEXT,"
    "  language TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('csat','nps','ces')),"
    "  dimensions TEXT NOT NULL,"         /* JSON array of the dimensions asked */
    "  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    "  responded_at INTEGER, score INTEGER, comment TEXT);"
    "CREATE INDEX surveys_created ON surveys(created_at);"
    "CREATE INDEX surveys_buyer ON surveys(buyer_id, responded_at);"
    "CREATE INDEX surveys_responded ON surveys(responded_at) WHERE responded_at IS NOT NULL;"
    "CREATE TABLE survey_answers ("
    "  survey_id INTEGER NOT NULL REFERENCES surveys(id),"
    "  dimension TEXT NOT NULL CHECK (dimension IN ('quality','attitude','speed','price')),"
    "  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),"
    "  PRIMARY KEY (survey_id, dimension)) WITHOUT ROWID;"
    "ALTER TABLE feedback ADD COLUMN ticket_id INTEGER REFERENCES tickets(id);"
    "ALTER TABLE feedback ADD COLUMN agent TEXT;"
    "ALTER TABLE feedback ADD COLUMN kind TEXT NOT NULL DEFAULT 'seller_feedback'"
    "  CHECK (kind IN ('seller_feedback','product_review'));"
    "ALTER TABLE feedback ADD COLUMN revised_from TEXT;"
    "DROP INDEX feedback_buyer;"
    "CREATE INDEX feedback_buyer ON feedback(buyer_id, left_at);"
    "CREATE INDEX feedback_left ON feedback(left_at);";

/* The mail channel: the raw source of every mail the parser could not read cleanly (with
 * its note), so that nothing a buyer sent is lost even when it is malformed; and finding a
 * message by its Message-ID (the external id of mail) to thread replies to it. */
static const char *const migration_7 =
    "CREATE TABLE message_sources ("
    "  message_id INTEGER PRIMARY KEY REFERENCES messages(id),"
    "  raw BLOB NOT NULL,"
    "  size INTEGER NOT NULL,"           /* the size the server announced (raw may be cut) */
    "  error TEXT,"
    "  created_at INTEGER NOT NULL);";

/* Migration 8 — the clock events' index with its condition as comparisons: SQLite evaluates
 * a constant IN list of more than two values through a temporary table built for every
 * statement, so each event written cost a temporary B-tree (half the cost of an INSERT into
 * events). The same rows, the same columns; queries must state the condition in this form
 * to use the index (store/sla.c SLA_EVENT_KINDS). */
static const char *const migration_8 =
    "DROP INDEX events_clock;"
    "CREATE INDEX events_clock ON events(ticket_id, id, at, kind, detail)"
    "  WHERE kind = 'status_changed' OR kind = 'reopened' OR kind = 'no_response_needed'"
    "  OR kind = 'response_needed';";

/* Migration 9 — a record of every sync run per shop and resource (CLI, cron and the
 * service alike), so that `borderdesk sync status` and GET /sync show the last run and its
 * error after a restart. Keyed by the shop's configured name: a run that failed before the
 * shop could be opened (a missing credential) is recorded too. finished_at is NULL while a
 * run goes on, and stays NULL for a run that was killed. */
static const char *const migration_9 =
    "CREATE TABLE sync_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  shop TEXT NOT NULL,"
    "  resource TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  started_at INTEGER NOT NULL,"
    "  finished_at INTEGER,"
    "  ok INTEGER,"
    "  error TEXT,"
    "  counts TEXT);"
    "CREATE INDEX sync_runs_shop ON sync_runs(shop, resource, id);";

const store_migration store_migrations[] = {
    {1, "shops, buyers, orders, tickets, messages, events, users, checkpoints, outbox",
     migration_1},
    {2, "indexes for SLA clocks and the inbox's due times", migration_2},
    {3, "sessions, api tokens, ticket tags, queue order key", migration_3},
    {4, "feedback, order line references, shop tokens, conversation and order-link indexes",
     migration_4},
    {5, "queue order: tickets with a running clock first", migration_5},
    {6, "loyalty profiles and tiers, blacklist and flags, surveys; feedback columns",
     migration_6},
    {7, "raw sources of malformed mail", migration_7},
    {8, "clock events' index without a temporary table per written event", migration_8},
    {9, "sync runs", migration_9},
};
const int store_n_migrations = (int)(sizeof store_migrations / sizeof store_migrations[0]);

int store_schema_latest(void)
{
    return store_migrations[store_n_migrations - 1].version;
}
