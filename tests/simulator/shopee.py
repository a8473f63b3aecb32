"""shopee.py - the Shopee Open Platform v2 part of the simulator, with the shapes of
shared/DOMAIN.md section 5: signed requests (hex HMAC-SHA256 of partner_id + path +
timestamp [+ access_token + shop_id] with the partner key, timestamps valid 5 minutes),
auth/access_token/get (refresh tokens rotate), order/get_order_list (update_time or
create_time windows of at most 15 days, page_size <= 100, cursor/next_cursor/more),
order/get_order_detail (<= 50 order_sn), sellerchat get_conversation_list, get_message
and send_message. Every answer is {"error", "message", "request_id", "response"} and
request errors come with HTTP 200 and a non-empty "error".
"""
import base64
import hashlib
import hmac
import json
import random
import time

import dataset

NAME = "shopee"
PARTNER_KEY = "sim-shopee-partner-key-0123456789abcdef"
MAX_WINDOW = 15 * 86400
STATUS = {"unpaid": "UNPAID", "paid": "READY_TO_SHIP", "shipped": "SHIPPED",
          "delivered": "COMPLETED", "cancelled": "CANCELLED", "returned": "TO_RETURN"}


def add_arguments(ap):
    ap.add_argument("--shopee-shops", type=int, default=1, help="Shopee shops")
    ap.add_argument("--shopee-partner-id", type=int, default=1001)


def setup(sim, args):
    sim.shops[NAME] = {}
    sim.shopee_refresh = {}
    sim.shopee_partner = args.shopee_partner_id
    for k in range(args.shopee_shops):
        key = str(2001 + k)
        sim.shops[NAME][key] = dataset.Shop(NAME, key, args.seed, args.orders, args.messages,
                                            args.span_days * 86400, args.future_hours * 3600,
                                            sim.base, 0.0)
        sim.shopee_refresh[initial_refresh(key)] = key
    sim.shopee_counter = 0


def initial_refresh(key):
    return "shopee-refresh-%s-initial" % key


def config(sim, endpoint):
    shops, env = [], {"SHOPEE_PARTNER_KEY": PARTNER_KEY}
    for key in sim.shops[NAME]:
        var = "SHOPEE_REFRESH_TOKEN_%s" % key
        shops.append({"name": "shopee-%s" % key, "marketplace": "shopee", "endpoint": endpoint,
                      "partner_id": sim.shopee_partner, "shop_id": int(key),
                      "partner_key_env": "SHOPEE_PARTNER_KEY", "refresh_token_env": var})
        env[var] = initial_refresh(key)
    return shops, env


def routes(sim):
    return [("POST", "/api/v2/auth/access_token/get", access_token, "access_token"),
            ("GET", "/api/v2/order/get_order_list", get_order_list, "get_order_list"),
            ("GET", "/api/v2/order/get_order_detail", get_order_detail, "get_order_detail"),
            ("GET", "/api/v2/sellerchat/get_conversation_list", get_conversation_list,
             "get_conversation_list"),
            ("GET", "/api/v2/sellerchat/get_message", get_message, "get_message"),
            ("POST", "/api/v2/sellerchat/send_message", send_message, "send_message")]


def request_id(sim):
    with sim.lock:
        sim.shopee_counter += 1
        return "%032x" % random.Random(sim.shopee_counter).getrandbits(128)


def fail(sim, code, message, status=200):
    return status, {}, {"error": code, "message": message, "request_id": request_id(sim)}


def ok(sim, response):
    return 200, {}, {"error": "", "message": "", "request_id": request_id(sim), "response": response}


def identify(sim, req):
    if req.op == "access_token":
        b = req.json()
        return str(b.get("shop_id")) if isinstance(b, dict) else None
    return req.params.get("shop_id")


def expire_request_token(sim, req):
    if req.params.get("access_token"):
        sim.expire_token(req.params["access_token"])


def error(sim, req, kind):
    if kind == "throttled":
        return fail(sim, "error_too_many_request", "Too many requests, please try again later.", 429)
    if kind == "expired":
        return fail(sim, "invalid_access_token", "Invalid access_token.")
    if kind == "unavailable":
        return fail(sim, "error_server", "Service unavailable, please try again later.", 503)
    return fail(sim, "error_server", "Internal server error, please try again later.", 500)


def sign(partner_id, path, ts, token="", shop_id=""):
    base = "%s%s%s%s%s" % (partner_id, path, ts, token, shop_id)
    return hmac.new(PARTNER_KEY.encode(), base.encode(), hashlib.sha256).hexdigest()


def check_common(sim, req, shop_call=True):
    """The Shop (or None for public calls), or an error response."""
    p = req.params
    for name in ("partner_id", "timestamp", "sign") + (("access_token", "shop_id") if shop_call else ()):
        if not p.get(name):
            return None, fail(sim, "error_param", "Missing required parameter: %s." % name)
    if not p["partner_id"].isdigit() or int(p["partner_id"]) != sim.shopee_partner:
        return None, fail(sim, "error_auth", "Invalid partner_id.")
    if not p["timestamp"].isdigit() or abs(int(p["timestamp"]) - time.time()) > 300:
        return None, fail(sim, "error_auth", "Invalid timestamp: it is expired or in the future.")
    want = sign(p["partner_id"], req.path, p["timestamp"], p.get("access_token", "") if shop_call else "",
                p.get("shop_id", "") if shop_call else "")
    if not hmac.compare_digest(want, p["sign"]):
        return None, fail(sim, "error_sign", "Wrong sign.")
    if not shop_call:
        return None, None
    shop = sim.shops[NAME].get(p["shop_id"])
    if not shop:
        return None, fail(sim, "error_param", "Invalid shop_id.")
    v = sim.check_token(p["access_token"])
    if v is None or v == "expired" or v != (NAME, shop.key):
        return None, fail(sim, "invalid_access_token", "Invalid access_token.")
    return shop, None


def int_param(p, name):
    v = p.get(name)
    return int(v) if v is not None and v.lstrip("-").isdigit() else None


# ---- auth ----
def access_token(sim, req):
    _, e = check_common(sim, req, shop_call=False)
    if e:
        return e
    b = req.json()
    if not isinstance(b, dict) or not b.get("refresh_token") or not b.get("shop_id"):
        return fail(sim, "error_param", "refresh_token, partner_id and shop_id are required.")
    if b.get("partner_id") != sim.shopee_partner:
        return fail(sim, "error_auth", "Invalid partner_id.")
    key = sim.shopee_refresh.get(b["refresh_token"])
    if key is None or key != str(b["shop_id"]):
        return fail(sim, "error_auth", "Invalid refresh_token.")
    tok = sim.issue_token(NAME, key, "shopee-access")
    with sim.lock:
        sim.shopee_counter += 1
        new_refresh = "shopee-refresh-%s-%d" % (key, sim.shopee_counter)
        sim.shopee_refresh[new_refresh] = key  # the old one stays valid too (grace period)
    return 200, {}, {"error": "", "message": "", "request_id": request_id(sim), "access_token": tok,
                     "refresh_token": new_refresh, "expire_in": int(sim.args.token_ttl),
                     "partner_id": sim.shopee_partner, "shop_id": int(key)}


# ---- orders ----
def encode_cursor(t, idx):
    return base64.urlsafe_b64encode(("%d:%d" % (t, idx)).encode()).decode().rstrip("=")


def decode_cursor(c):
    try:
        t, idx = base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode().split(":")
        return int(t), int(idx)
    except (ValueError, UnicodeDecodeError):
        return None


def get_order_list(sim, req):
    shop, e = check_common(sim, req)
    if e:
        return e
    p = req.params
    field = p.get("time_range_field")
    if field not in ("create_time", "update_time"):
        return fail(sim, "error_param", "time_range_field must be create_time or update_time.")
    a, b = int_param(p, "time_from"), int_param(p, "time_to")
    if a is None or b is None:
        return fail(sim, "error_param", "time_from and time_to are required.")
    if a > b or b - a > MAX_WINDOW:
        return fail(sim, "order.order_list_invalid_time",
                    "Start time must be earlier than end time and diff in 15days.")
    size = int_param(p, "page_size")
    if size is None or not 1 <= size <= 100:
        return fail(sim, "error_param", "page_size should be between 1 and 100.")
    want_status = p.get("order_status")
    if want_status and want_status not in STATUS.values():
        return fail(sim, "error_param", "Invalid order_status.")
    cur = p.get("cursor") or ""
    after = decode_cursor(cur) if cur else (-1, -1)
    if after is None:
        return fail(sim, "error_param", "Invalid cursor.")
    now = req.now
    if field == "update_time":
        rows = [(m, o, s) for m, o, s in shop.orders_by_modified(now) if a <= m <= b]
    else:
        rows = [(o.created, o, o.state(now)[0]) for o in shop.orders_by_created(now) if a <= o.created <= b]
    if want_status:
        rows = [r for r in rows if STATUS[r[2]] == want_status]
    rest = [r for r in rows if (r[0], r[1].index) > after]
    page = rest[:size]
    more = len(rest) > size
    nxt = encode_cursor(page[-1][0], page[-1][1].index) if page and more else ""
    if "duplicate" in req.faults and cur:
        # a stale page: the one before, served again, and the cursor does not move
        prev = [r for r in rows if (r[0], r[1].index) <= after][-size:]
        page, nxt, more = prev, cur, True
    if "reorder" in req.faults:
        page = list(page)
        random.Random(cur).shuffle(page)
    with_status = "order_status" in (p.get("response_optional_fields") or "")
    ol = [{"order_sn": o.oid, **({"order_status": STATUS[s]} if with_status else {})} for _, o, s in page]
    return ok(sim, {"more": more, "next_cursor": nxt, "order_list": ol})


def get_order_detail(sim, req):
    shop, e = check_common(sim, req)
    if e:
        return e
    sns = [s for s in (req.params.get("order_sn_list") or "").split(",") if s]
    if not 1 <= len(sns) <= 50:
        return fail(sim, "error_param", "order_sn_list should contain 1 to 50 order_sn.")
    fields = set((req.params.get("response_optional_fields") or "").split(","))
    out = []
    for sn in sns:
        o = shop.by_oid.get(sn)
        st = o.state(req.now) if o else None
        if not st:
            return fail(sim, "error_not_found", "order_sn %s is not found." % sn)
        b = o.buyer
        d = {"order_sn": o.oid, "region": b.country, "currency": o.currency, "cod": False,
             "order_status": STATUS[st[0]], "create_time": o.created, "update_time": st[1],
             "days_to_ship": 3, "ship_by_date": o.created + 3 * 86400, "message_to_seller": ""}
        if "buyer_user_id" in fields:
            d["buyer_user_id"] = b.user_id
        if "buyer_username" in fields:
            d["buyer_username"] = b.username
        if "total_amount" in fields:
            d["total_amount"] = round(o.total(), 2)
        if "pay_time" in fields and st[0] != "unpaid":
            d["pay_time"] = o.events[1][0] if len(o.events) > 1 else o.created
        if "shipping_carrier" in fields:
            d["shipping_carrier"] = "SPX Express"
        if "item_list" in fields:
            d["item_list"] = [{"item_id": 100000 + int(lid) % 100000, "item_name": title, "item_sku": sku,
                               "model_id": 0, "model_name": "", "model_sku": sku,
                               "model_quantity_purchased": qty, "model_original_price": price,
                               "model_discounted_price": price}
                              for (sku, title, qty, price), lid in zip(o.items, o.line_ids)]
        out.append(d)
    return ok(sim, {"order_list": out})


# ---- chat ----
def seller_uid(shop):
    return 600000000 + int(shop.key)


def nano(c, m):
    return m.t * 1000000000 + c.index


def message_json(shop, c, m):
    b = c.buyer
    me = seller_uid(shop)
    return {"message_id": m.mid, "message_type": "text",
            "from_id": me if m.outbound else b.user_id, "to_id": b.user_id if m.outbound else me,
            "from_shop_id": int(shop.key) if m.outbound else 0,
            "to_shop_id": 0 if m.outbound else int(shop.key),
            "conversation_id": c.cid, "created_timestamp": m.t, "region": b.country,
            "status": "normal", "message_option": 0, "source": "web",
            "content": {"text": m.text}}


def get_conversation_list(sim, req):
    shop, e = check_common(sim, req)
    if e:
        return e
    p = req.params
    if p.get("direction") not in ("latest", "older"):
        return fail(sim, "error_param", "direction should be latest or older.")
    if p.get("type") not in ("all", "pinned", "unread"):
        return fail(sim, "error_param", "type should be all, pinned or unread.")
    size = int_param(p, "page_size")
    if size is None or not 1 <= size <= 60:
        return fail(sim, "error_param", "page_size should be between 1 and 60.")
    before = p.get("next_timestamp_nano")
    if before is not None and before != "" and not before.isdigit():
        return fail(sim, "error_param", "Invalid next_timestamp_nano.")
    rows = shop.conversations_by_latest(req.now)
    if p["type"] != "all":
        rows = [r for r in rows if p["type"] == "unread" and not r[2][-1].outbound]
    if before:
        rows = [r for r in rows if nano(r[1], r[2][-1]) < int(before)]
    page, more = rows[:size], len(rows) > size
    last = page[-1] if page else None
    cursor = {"next_message_time_nano": str(nano(last[1], last[2][-1])) if last else "0",
              "conversation_id": last[1].cid if last else "0"}
    if "duplicate" in req.faults and before:
        cursor = {"next_message_time_nano": before, "conversation_id": cursor["conversation_id"]}
        more = True
    if "reorder" in req.faults:
        page = list(page)
        random.Random(before).shuffle(page)
    convs = []
    for _, c, vis in page:
        m = vis[-1]
        convs.append({"conversation_id": c.cid, "to_id": c.buyer.user_id, "to_name": c.buyer.username,
                      "to_avatar": "", "shop_id": int(shop.key),
                      "unread_count": 0 if m.outbound else 1, "pinned": False,
                      "latest_message_id": m.mid, "latest_message_type": "text",
                      "latest_message_content": {"text": m.text},
                      "latest_message_from_id": seller_uid(shop) if m.outbound else c.buyer.user_id,
                      "last_message_timestamp": nano(c, m), "last_message_option": 0})
    return ok(sim, {"page_result": {"page_size": len(convs), "more": more, "next_cursor": cursor},
                    "conversations": convs})


def get_message(sim, req):
    shop, e = check_common(sim, req)
    if e:
        return e
    p = req.params
    c = shop.by_cid.get(p.get("conversation_id") or "")
    vis = c.visible(req.now) if c else []
    if not vis:
        return fail(sim, "error_param", "Invalid conversation_id.")
    size = int_param(p, "page_size")
    if size is None or not 1 <= size <= 60:
        return fail(sim, "error_param", "page_size should be between 1 and 60.")
    off = p.get("offset") or "0"
    if not off.isdigit():
        return fail(sim, "error_param", "Invalid offset.")
    start = int(off)
    items = list(reversed(vis))
    page = items[start:start + size]
    nxt = str(start + size) if start + size < len(items) else ""
    if "duplicate" in req.faults and start >= size:
        page, nxt = items[start - size:start], off
    if "reorder" in req.faults:
        page = list(page)
        random.Random(off).shuffle(page)
    return ok(sim, {"page_result": {"page_size": len(page), "next_offset": nxt},
                    "messages": [message_json(shop, c, m) for m in page]})


def send_message(sim, req):
    shop, e = check_common(sim, req)
    if e:
        return e
    b = req.json()
    if not isinstance(b, dict):
        return fail(sim, "error_param", "The request body must be JSON.")
    buyer = next((x for x in shop.buyers if x.user_id == b.get("to_id")), None)
    if not buyer:
        return fail(sim, "error_param", "Invalid to_id.")
    if b.get("message_type") != "text":
        return fail(sim, "error_param", "Only message_type text is supported.")
    text = (b.get("content") or {}).get("text") if isinstance(b.get("content"), dict) else None
    if not isinstance(text, str) or not text:
        return fail(sim, "error_param", "content.text is required.")
    if len(text) > 1000:
        return fail(sim, "error_param", "content.text is longer than 1000 characters.")
    convs = [c for c in shop.conversations if c.buyer is buyer and c.visible(req.now)]
    c = convs[-1] if convs else shop.new_conversation(buyer, req.now)
    m = shop.add_message(c, int(req.now), True, text)
    with sim.lock:
        sim.sent.append({"marketplace": NAME, "shop": shop.key, "kind": "message",
                         "conversation_id": c.cid, "message_id": m.mid, "text": text})
    return ok(sim, {"to_id": buyer.user_id, "message_id": m.mid, "message_type": "text",
                    "content": {"text": text}, "conversation_id": c.cid,
                    "created_timestamp": m.t, "message_option": 0})
