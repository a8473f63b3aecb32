"""ebay.py - the eBay part of the simulator, after the OpenAPI files in shared/specs/ebay:
Sell Fulfillment v1 (getOrders, getOrder), Commerce Message v1 (getConversations,
getConversation, sendMessage), Commerce Feedback v1 (getFeedback, respondToFeedback) and
the OAuth token endpoint (client_credentials and refresh_token grants).

Errors use eBay's body {"errors": [{"errorId", "domain", "category", "message", ...}]}
with the error ids the specification lists for each call.
"""
import base64
import datetime
import json
import random
import re
import urllib.parse

import dataset

NAME = "ebay"
CLIENT_ID = "bd-sim-ebay-client"
CLIENT_SECRET = "bd-sim-ebay-secret"
APP = "__application__"
FUTURE_SKEW = 120  # seconds of client clock skew tolerated before "dates in the future"


def add_arguments(ap):
    ap.add_argument("--ebay-sellers", type=int, default=1, help="eBay seller accounts")


def setup(sim, args):
    sim.shops[NAME] = {}
    for k in range(args.ebay_sellers):
        key = "seller%d" % (k + 1)
        sim.shops[NAME][key] = dataset.Shop(NAME, key, args.seed, args.orders, args.messages,
                                            args.span_days * 86400, args.future_hours * 3600,
                                            sim.base, args.feedback_share)
    sim.ebay_refresh = {refresh_token(k): k for k in sim.shops[NAME]}


def refresh_token(key):
    return "v^1.1#i^1#r^1#ebay-refresh-%s" % key


def config(sim, endpoint):
    shops, env = [], {"EBAY_CLIENT_SECRET": CLIENT_SECRET}
    for key in sim.shops[NAME]:
        var = "EBAY_REFRESH_TOKEN_%s" % key.upper()
        shops.append({"name": "ebay-%s" % key, "marketplace": "ebay", "endpoint": endpoint,
                      "seller_username": key, "client_id": CLIENT_ID,
                      "client_secret_env": "EBAY_CLIENT_SECRET", "refresh_token_env": var})
        env[var] = refresh_token(key)
    return shops, env


def routes(sim):
    return [("POST", "/identity/v1/oauth2/token", token, "token"),
            ("GET", "/sell/fulfillment/v1/order", get_orders, "getOrders"),
            ("GET", "/sell/fulfillment/v1/order/{orderId}", get_order, "getOrder"),
            ("GET", "/commerce/message/v1/conversation", get_conversations, "getConversations"),
            ("GET", "/commerce/message/v1/conversation/{conversation_id}", get_conversation,
             "getConversation"),
            ("POST", "/commerce/message/v1/send_message", send_message, "sendMessage"),
            ("GET", "/commerce/feedback/v1/feedback", get_feedback, "getFeedback"),
            ("POST", "/commerce/feedback/v1/respond_to_feedback", respond_to_feedback,
             "respondToFeedback")]


# ---- helpers ----
def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_iso(s):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)", s or "")
    if not m:
        return None
    try:
        d = datetime.datetime(*[int(m.group(i)) for i in range(1, 7)], tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    t = d.timestamp() + (float(m.group(7)) if m.group(7) else 0.0)
    z = m.group(8)
    if z != "Z":
        sign = 1 if z[0] == "+" else -1
        z = z[1:].replace(":", "")
        t -= sign * (int(z[:2]) * 3600 + int(z[2:]) * 60)
    return t


def err(status, error_id, domain, category, message, **extra):
    e = {"errorId": error_id, "domain": domain, "category": category, "message": message}
    e.update(extra)
    return status, {}, {"errors": [e]}


def bearer(req):
    a = req.headers.get("Authorization") or ""
    return a[7:].strip() if a.startswith("Bearer ") else None


def identify(sim, req):
    if req.op == "token":
        params = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"))
        return sim.ebay_refresh.get((params.get("refresh_token") or [""])[0], "-")
    t = bearer(req)
    with sim.lock:
        v = sim.tokens.get(t) if t else None
    return v[1] if v and v[0] == NAME and v[1] != APP else None


def expire_request_token(sim, req):
    t = bearer(req)
    if t:
        sim.expire_token(t)


def domain_of(req):
    if req.path.startswith("/sell/fulfillment"):
        return "API_FULFILLMENT", 30500
    if req.path.startswith("/commerce/message"):
        return "API_MESSAGE", 335000
    if req.path.startswith("/commerce/feedback"):
        return "API_FEEDBACK", 501999
    return "OAuth", 1000


def error(sim, req, kind):
    dom, sys_id = domain_of(req)
    if kind == "throttled":
        return err(429, 2001, "ACCESS", "REQUEST", "Too many requests",
                   longMessage="The request limit has been reached for the resource.")
    if kind == "expired":
        return err(401, 1001, "OAuth", "REQUEST", "Invalid access token",
                   longMessage="Invalid access token. Check the value of the Authorization HTTP request header.")
    if kind == "unavailable":
        return err(503, 2003, "ACCESS", "APPLICATION", "Service unavailable",
                   longMessage="The service is temporarily unavailable. Please try again later.")
    return err(500, sys_id, dom, "APPLICATION", "System error" if dom == "API_FULFILLMENT" else
               "Internal server error encountered. If this problem persists, contact the eBay Developers Program for support.")


def authorize(sim, req):
    """The seller's Shop, or an error response."""
    t = bearer(req)
    v = sim.check_token(t) if t else None
    if not v or v == "expired" or v[0] != NAME:
        return None, error(sim, req, "expired")
    if v[1] == APP:
        return None, err(403, 1100, "ACCESS", "REQUEST", "Access denied",
                         longMessage="Insufficient permissions to fulfill the request.")
    return sim.shops[NAME][v[1]], None


def int_param(req, name, default):
    v = req.params.get(name)
    if v is None or v == "":
        return default
    return int(v) if re.fullmatch(r"-?\d{1,9}", v) else None


def page_links(req, offset, limit, total):
    base = req.path + "?"
    q = dict(req.params)
    def link(off):
        q["offset"] = str(off)
        q["limit"] = str(limit)
        return base + urllib.parse.urlencode(q)
    out = {"href": link(offset), "limit": limit, "offset": offset, "total": total}
    if offset + limit < total:
        out["next"] = link(offset + limit)
    if offset > 0:
        out["prev"] = link(max(0, offset - limit))
    return out


def paged(req, items, offset, limit):
    """The page of items at offset, with the duplicate / reorder faults applied."""
    start = offset
    if "duplicate" in req.faults and offset >= limit:
        start = offset - limit  # a stale page: the previous one again
    page = list(items[start:start + limit])
    if "reorder" in req.faults:
        random.Random(offset).shuffle(page)
    return page


# ---- OAuth ----
def token(sim, req):
    auth = req.headers.get("Authorization") or ""
    try:
        cid, secret = base64.b64decode(auth[6:]).decode().split(":", 1) if auth.startswith("Basic ") else ("", "")
    except (ValueError, UnicodeDecodeError):
        cid, secret = "", ""
    if cid != CLIENT_ID or secret != CLIENT_SECRET:
        return 401, {}, {"error": "invalid_client", "error_description": "client authentication failed"}
    p = {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode("utf-8", "replace")).items()}
    grant = p.get("grant_type")
    ttl = int(sim.args.token_ttl)
    if grant == "client_credentials":
        return 200, {}, {"access_token": sim.issue_token(NAME, APP, "v^1.1#i^1#p^1#app"),
                         "expires_in": ttl, "token_type": "Application Access Token"}
    if grant == "refresh_token":
        key = sim.ebay_refresh.get(p.get("refresh_token", ""))
        if not key:
            return 400, {}, {"error": "invalid_grant", "error_description":
                             "the provided authorization refresh token is invalid or was issued to another client"}
        return 200, {}, {"access_token": sim.issue_token(NAME, key, "v^1.1#i^1#f^0#user"),
                         "expires_in": ttl, "token_type": "User Access Token"}
    return 400, {}, {"error": "unsupported_grant_type",
                     "error_description": "grant type in request is not supported by the authorization server"}


# ---- Fulfillment ----
STATUS = {  # neutral status -> (orderPaymentStatus, orderFulfillmentStatus, cancelState)
    "unpaid": ("PENDING", "NOT_STARTED", "NONE_REQUESTED"),
    "paid": ("PAID", "NOT_STARTED", "NONE_REQUESTED"),
    "shipped": ("PAID", "IN_PROGRESS", "NONE_REQUESTED"),
    "delivered": ("PAID", "FULFILLED", "NONE_REQUESTED"),
    "cancelled": ("FULLY_REFUNDED", "NOT_STARTED", "CANCELED"),
    "returned": ("FULLY_REFUNDED", "FULFILLED", "NONE_REQUESTED"),
}


def amount(v, cur):
    return {"value": "%.2f" % v, "currency": cur}


def order_json(shop, o, status, modified):
    pay, ful, cancel = STATUS[status]
    b = o.buyer
    cur = o.currency
    lines = []
    for (sku, title, qty, price), lid in zip(o.items, o.line_ids):
        lines.append({"lineItemId": lid, "legacyItemId": "1%011d" % (int(lid) % 10 ** 11), "sku": sku,
                      "title": title, "quantity": qty, "lineItemCost": amount(qty * price, cur),
                      "total": amount(qty * price, cur), "lineItemFulfillmentStatus": ful,
                      "soldFormat": "FIXED_PRICE", "listingMarketplaceId": "EBAY_US",
                      "purchaseMarketplaceId": "EBAY_US", "appliedPromotions": [], "taxes": [],
                      "refunds": [], "deliveryCost": {"shippingCost": amount(0, cur)},
                      "lineItemFulfillmentInstructions": {
                          "maxEstimatedDeliveryDate": iso(o.created + 20 * 86400),
                          "shipByDate": iso(o.created + 3 * 86400), "guaranteedDelivery": False}})
    return {
        "orderId": o.oid, "legacyOrderId": "%d-%d" % (1100000000 + o.index, 2700000000 + o.index),
        "creationDate": iso(o.created), "lastModifiedDate": iso(modified),
        "orderFulfillmentStatus": ful, "orderPaymentStatus": pay, "sellerId": shop.key,
        "buyer": {"username": b.username, "taxAddress": {"countryCode": b.country},
                  "buyerRegistrationAddress": {"fullName": b.name, "email": b.email,
                                               "contactAddress": {"countryCode": b.country}}},
        "pricingSummary": {"priceSubtotal": amount(o.total(), cur), "total": amount(o.total(), cur)},
        "cancelStatus": {"cancelState": cancel, "cancelRequests": []},
        "paymentSummary": {"totalDueSeller": amount(o.total() * 0.9, cur), "payments": [], "refunds": []},
        "fulfillmentStartInstructions": [{
            "fulfillmentInstructionsType": "SHIP_TO", "ebaySupportedFulfillment": False,
            "maxEstimatedDeliveryDate": iso(o.created + 20 * 86400),
            "shippingStep": {"shippingCarrierCode": "USPS", "shippingServiceCode": "USPSPriority",
                             "shipTo": {"fullName": b.name, "contactAddress": {"countryCode": b.country}}}}],
        "fulfillmentHrefs": [], "lineItems": lines, "salesRecordReference": str(10000 + o.index),
        "totalFeeBasisAmount": amount(o.total(), cur), "totalMarketplaceFee": amount(o.total() * 0.1, cur)}


def order_text(shop, o, status, modified, cache={}):
    key = (shop.key, o.index, status, modified)
    s = cache.get(key)
    if s is None:
        s = json.dumps(order_json(shop, o, status, modified), ensure_ascii=False, separators=(",", ":"))
        if len(cache) > 400000:
            cache.clear()
        cache[key] = s
    return s


def parse_filter(f, now):
    """{name: value} or an error response."""
    out = {}
    for part in re.split(r",(?![^{\[]*[}\]])", f):
        if ":" not in part:
            return None, err(400, 30700, "API_FULFILLMENT", "REQUEST", "Invalid filter name: %s" % part)
        name, value = part.split(":", 1)
        if name not in ("creationdate", "lastmodifieddate", "orderfulfillmentstatus"):
            return None, err(400, 30700, "API_FULFILLMENT", "REQUEST", "Invalid filter name: %s" % name)
        if name == "orderfulfillmentstatus":
            m = re.fullmatch(r"\{([A-Z_|]+)\}", value)
            vals = set(m.group(1).split("|")) if m else set()
            if not vals or not vals <= {"NOT_STARTED", "IN_PROGRESS", "FULFILLED"}:
                return None, err(400, 30800, "API_FULFILLMENT", "REQUEST",
                                 "Invalid filter value %s for filter %s" % (value, name))
            out[name] = vals
            continue
        m = re.fullmatch(r"\[(.*?)\.\.(.*)\]", value)
        if not m:
            return None, err(400, 30800, "API_FULFILLMENT", "REQUEST",
                             "Invalid filter value %s for filter %s" % (value, name))
        if not m.group(1):
            return None, err(400, 30820, "API_FULFILLMENT", "REQUEST", "Start date is missing")
        a = parse_iso(m.group(1))
        b = parse_iso(m.group(2)) if m.group(2) else now
        if a is None or b is None:
            return None, err(400, 30810, "API_FULFILLMENT", "REQUEST", "Invalid date format")
        if a > b:
            return None, err(400, 30840, "API_FULFILLMENT", "REQUEST", "Start date should be before end date")
        if a > now + FUTURE_SKEW or b > now + FUTURE_SKEW:
            return None, err(400, 30850, "API_FULFILLMENT", "REQUEST", "Start and end dates can't be in the future")
        if b - a > 2 * 366 * 86400:
            return None, err(400, 30830, "API_FULFILLMENT", "REQUEST",
                             "Time range between start date and end date must be within '2' years.")
        out[name] = (a, b)
    return out, None


def get_orders(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    now = req.now
    limit = int_param(req, "limit", 50)
    offset = int_param(req, "offset", 0)
    if limit is None or not 1 <= limit <= 200:
        return err(400, 31100, "API_FULFILLMENT", "REQUEST", "Invalid limit: %s" % req.params.get("limit"))
    if offset is None or offset < 0:
        return err(400, 31000, "API_FULFILLMENT", "REQUEST", "Invalid offset: %s" % req.params.get("offset"))
    fg = req.params.get("fieldGroups")
    if fg and fg != "TAX_BREAKDOWN":
        return err(400, 32800, "API_FULFILLMENT", "REQUEST", "Invalid field group: %s" % fg)
    ids = req.params.get("orderIds")
    if ids:
        wanted = ids.split(",")
        if len(wanted) > 50:
            return err(400, 30900, "API_FULFILLMENT", "REQUEST",
                       "Exceeded maximum number of order IDs (the current limit is 50)")
        rows = []
        for oid in wanted:
            o = shop.by_oid.get(oid)
            st = o.state(now) if o else None
            if st:
                rows.append((st[1], o, st[0]))
        items, offset, limit = rows, 0, max(1, len(rows))
    else:
        flt, e = parse_filter(req.params.get("filter") or "", now) if req.params.get("filter") else ({}, None)
        if e:
            return e
        if "creationdate" in flt:
            a, b = flt["creationdate"]
            items = []
            for o in shop.orders_by_created(now):
                if a <= o.created <= b:
                    st = o.state(now)
                    items.append((st[1], o, st[0]))
        elif "lastmodifieddate" in flt:
            a, b = flt["lastmodifieddate"]
            rows = shop.orders_by_modified(now)
            lo = _bisect_time(rows, a)
            hi = _bisect_time(rows, b + 0.0005)
            items = rows[lo:hi]
        else:
            items = [(o.state(now)[1], o, o.state(now)[0]) for o in shop.orders_by_created(now)
                     if o.created >= now - 90 * 86400]
        if "orderfulfillmentstatus" in flt:
            vals = flt["orderfulfillmentstatus"]
            items = [x for x in items if STATUS[x[2]][1] in vals]
    page = paged(req, items, offset, limit)
    head = page_links(req, offset, limit, len(items))
    body = json.dumps(head, separators=(",", ":"))[:-1] + ',"warnings":[],"orders":[' + \
        ",".join(order_text(shop, o, s, m) for m, o, s in page) + "]}"
    return 200, {}, body.encode("utf-8")


def _bisect_time(rows, t):
    lo, hi = 0, len(rows)
    while lo < hi:
        mid = (lo + hi) // 2
        if rows[mid][0] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


def get_order(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    o = shop.by_oid.get(req.path_args["orderId"])
    st = o.state(req.now) if o else None
    if not st:
        return err(404, 32100, "API_FULFILLMENT", "REQUEST", "Order not found.")
    return 200, {}, order_json(shop, o, st[0], st[1])


# ---- Messages ----
def message_json(shop, c, m):
    b = c.buyer
    return {"messageId": m.mid, "createdDate": iso(m.t), "messageBody": m.text, "messageMedia": [],
            "readStatus": m.outbound, "senderUsername": shop.key if m.outbound else b.username,
            "recipientUsername": b.username if m.outbound else shop.key,
            "subject": "Question about item %s" % c.listing}


def msg_paging(req, max_limit=50):
    limit = int_param(req, "limit", 25)
    offset = int_param(req, "offset", 0)
    if limit is None or not 1 <= limit <= max_limit:
        return None, None, err(400, 355009, "API_MESSAGE", "REQUEST",
                               "Invalid limit. The limit value must be a positive integer value that does not exceed %d" % max_limit)
    if offset is None or offset < 0 or offset % limit:
        return None, None, err(400, 355008, "API_MESSAGE", "REQUEST",
                               "Invalid offset. The offset value must be a positive integer value and synchronized up with the limit value. If the limit value is 20, value offset values would be 0, 20, 40, etc.")
    return limit, offset, None


def conv_type(req):
    t = req.params.get("conversation_type")
    if not t:
        return None, err(400, 355017, "API_MESSAGE", "REQUEST",
                         "The required conversation_type query parameter is either missing or has an invalid value. Please include this parameter and use a supported value.")
    if t not in ("FROM_EBAY", "FROM_MEMBERS"):
        return None, err(400, 355002, "API_MESSAGE", "REQUEST",
                         "Invalid conversation_type value. Please see documentation for valid values.")
    return t, None


def get_conversations(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    ctype, e = conv_type(req)
    if e:
        return e
    st = req.params.get("conversation_status")
    if st and st not in ("ACTIVE", "ARCHIVE", "DELETE", "READ", "UNREAD"):
        return err(400, 355001, "API_MESSAGE", "REQUEST",
                   "Invalid conversation_status value. Please see documentation for valid values.")
    rt = req.params.get("reference_type")
    if rt and rt != "LISTING":
        return err(400, 355003, "API_MESSAGE", "REQUEST", "Invalid reference_type value. Please see documentation for valid values.")
    if req.params.get("reference_id") and not rt:
        return err(400, 355022, "API_MESSAGE", "REQUEST", "The parameter reference_type is required whenever reference_id is provided.")
    limit, offset, e = msg_paging(req)
    if e:
        return e
    a = b = None
    for name in ("start_time", "end_time"):
        v = req.params.get(name)
        if v:
            t = parse_iso(v)
            if t is None:
                return err(400, 355005, "API_MESSAGE", "REQUEST",
                           "Invalid date format used for one or both date filters. Please use ISO 8601 dates with UTC offset.")
            if name == "start_time":
                a = t
            else:
                b = t
    if a is not None and b is not None and a > b:
        return err(400, 355004, "API_MESSAGE", "REQUEST", "The start_time must be an earlier date than end_time.")
    other = req.params.get("other_party_username")
    items = []
    if ctype == "FROM_MEMBERS":
        for latest, c, vis in shop.conversations_by_latest(req.now):
            if a is not None and latest < a:
                continue
            if b is not None and vis[0].t > b:
                continue
            if other and c.buyer.username != other:
                continue
            if req.params.get("reference_id") and c.listing != req.params["reference_id"]:
                continue
            items.append((c, vis))
    page = paged(req, items, offset, limit)
    convs = [{"conversationId": c.cid, "conversationStatus": "ACTIVE",
              "conversationTitle": "Question about item %s" % c.listing,
              "conversationType": "FROM_MEMBERS", "createdDate": iso(vis[0].t),
              "latestMessage": message_json(shop, c, vis[-1]), "referenceId": c.listing,
              "referenceType": "LISTING", "unreadCount": sum(1 for m in vis if not m.outbound)}
             for c, vis in page]
    out = page_links(req, offset, limit, len(items))
    out["conversations"] = convs
    return 200, {}, out


def get_conversation(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    _, e = conv_type(req)
    if e:
        return e
    c = shop.by_cid.get(req.path_args["conversation_id"])
    vis = c.visible(req.now) if c else []
    if not vis:
        return err(400, 355007, "API_MESSAGE", "REQUEST", "Invalid or unrecognized conversation_id value.")
    limit, offset, e = msg_paging(req)
    if e:
        return e
    items = list(reversed(vis))  # newest first
    page = paged(req, items, offset, limit)
    out = page_links(req, offset, limit, len(items))
    out.update({"conversationStatus": "ACTIVE", "conversationTitle": "Question about item %s" % c.listing,
                "conversationType": "FROM_MEMBERS",
                "messages": [message_json(shop, c, m) for m in page]})
    return 200, {}, out


def send_message(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    body = req.json()
    if not isinstance(body, dict):
        return err(400, 355015, "API_MESSAGE", "REQUEST", "Please pass message text or upload one of more media attachments.")
    cid, other = body.get("conversationId"), body.get("otherPartyUsername")
    text = body.get("messageText")
    if not cid and not other:
        return err(400, 355018, "API_MESSAGE", "REQUEST", "conversationId and otherPartyUsername cannot both be empty.")
    if not isinstance(text, str) or not text:
        return err(400, 355015, "API_MESSAGE", "REQUEST", "Please pass message text or upload one of more media attachments.")
    if len(text) > 2000:
        return err(400, 355013, "API_MESSAGE", "REQUEST",
                   "The messageText string exceeds the maximum character threshold of 2000. Please modify the message text to meet this requirement.")
    if cid:
        c = shop.by_cid.get(str(cid))
        if not c or not c.visible(req.now):
            return err(400, 355007, "API_MESSAGE", "REQUEST", "Invalid or unrecognized conversation_id value.")
    else:
        buyer = next((b for b in shop.buyers if b.username == other), None)
        if not buyer:
            return err(400, 355006, "API_MESSAGE", "REQUEST", "Invalid or unrecognized otherPartyUsername value.")
        c = shop.new_conversation(buyer, req.now)
    m = shop.add_message(c, int(req.now), True, text)
    with sim.lock:
        sim.sent.append({"marketplace": NAME, "shop": shop.key, "kind": "message",
                         "conversation_id": c.cid, "message_id": m.mid, "text": text})
    out = message_json(shop, c, m)
    out["senderUserName"] = out.pop("senderUsername")
    out["recipientUserName"] = out.pop("recipientUsername")
    return 201, {}, out


# ---- Feedback ----
def feedback_json(shop, f):
    o, b = f.order, f.order.buyer
    sku, title, qty, price = o.items[0]
    out = {"feedbackId": f.fid, "commentType": f.kind,
           "feedbackComment": {"commentText": f.text, "state": "ENTERED"},
           "feedbackEnteredDate": iso(f.t), "feedbackState": "ENTERED", "automatedFeedback": False,
           "eligibleForRevision": f.kind != "POSITIVE", "hasImages": False, "images": [],
           "feedbackRatings": [{"ratingType": "OVERALL_EXPERIENCE", "value": str(f.rating)}],
           "providerUserDetail": {"userId": b.username, "role": "BUYER", "feedbackScore": 10 + b.index % 90},
           "orderLineItemSummary": {"orderLineItemId": o.line_ids[0], "listingId": "1%011d" % (int(o.line_ids[0]) % 10 ** 11),
                                    "listingTitle": title, "listingPrice": {"currency": o.currency, "value": price}}}
    if f.reply is not None:
        out["replyComment"] = {"commentText": f.reply, "state": "ENTERED"}
    return out


def get_feedback(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    if req.params.get("user_id") != shop.key:
        return err(400, 501000, "API_FEEDBACK", "REQUEST", "User Id request parameter is required or is invalid.")
    ftype = req.params.get("feedback_type")
    if ftype not in ("FEEDBACK_RECEIVED", "FEEDBACK_SENT"):
        return err(400, 501001, "API_FEEDBACK", "REQUEST",
                   "Feedback type request parameter is required or invalid. Must be FEEDBACK_RECEIVED or FEEDBACK_SENT.")
    sort = req.params.get("sort", "RELEVANCE")
    if sort not in ("RELEVANCE", "TIME"):
        return err(400, 501035, "API_FEEDBACK", "REQUEST", "Invalid sort type value. Must be RELEVANCE or TIME.")
    limit = int_param(req, "limit", 25)
    offset = int_param(req, "offset", 0)
    if limit is None or not 25 <= limit <= 200 or offset is None or offset < 0:
        return err(400, 501002, "API_FEEDBACK", "REQUEST", "Unsupported request parameter combination.")
    items = shop.feedback_by_time(req.now) if ftype == "FEEDBACK_RECEIVED" else []
    flt = req.params.get("filter")
    if flt:
        for part in flt.split(","):
            k, _, v = part.partition(":")
            if k == "commentType":
                if v not in ("POSITIVE", "NEUTRAL", "NEGATIVE"):
                    return err(400, 501036, "API_FEEDBACK", "REQUEST", "Invalid overall rating value. Must be POSITIVE, NEUTRAL, or NEGATIVE.")
                items = [f for f in items if f.kind == v]
            elif k == "period":
                if v not in ("7", "30", "90", "180", "365"):
                    return err(400, 501037, "API_FEEDBACK", "REQUEST", "Invalid period value. Must be 30, 60, or 365.")
                items = [f for f in items if f.t >= req.now - int(v) * 86400]
            elif k == "role":
                if v not in ("BUYER", "SELLER"):
                    return err(400, 501025, "API_FEEDBACK", "REQUEST", "Input user role value is invalid.")
                items = items if v == "BUYER" else []
            elif k in ("filterImage", "showAutomatedFeedback"):
                if v == "true" and k == "filterImage":
                    items = []
            elif k == "topics":
                pass
            else:
                return err(400, 501002, "API_FEEDBACK", "REQUEST", "Unsupported request parameter combination.")
    fid = req.params.get("feedback_id")
    if fid:
        f = shop.by_fid.get(fid)
        if not f or f.t > req.now:
            return err(400, 501039, "API_FEEDBACK", "REQUEST", "Feedback not found for the given request parameters.")
        items = [f]
    if sort == "RELEVANCE":
        items = sorted(items, key=lambda f: ({"NEGATIVE": 0, "NEUTRAL": 1, "POSITIVE": 2}[f.kind], -f.t))
    page = paged(req, items, offset, limit)
    pag = {"count": len(page), "limit": limit, "offset": offset, "total": len(items)}
    q = dict(req.params)
    if offset + limit < len(items):
        q["offset"] = str(offset + limit)
        pag["next"] = "feedback?" + urllib.parse.urlencode(q)
    if offset > 0:
        q["offset"] = str(max(0, offset - limit))
        pag["prev"] = "feedback?" + urllib.parse.urlencode(q)
    return 200, {}, {"feedbackEntries": [feedback_json(shop, f) for f in page], "pagination": pag}


def respond_to_feedback(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    body = req.json() if isinstance(req.json(), dict) else {}
    f = shop.by_fid.get(str(body.get("feedbackId") or ""))
    if not f or f.t > req.now:
        return err(400, 501026, "API_FEEDBACK", "REQUEST", "Feedback ID request parameter is required or is invalid.")
    if body.get("responseType") not in ("REPLY", "FOLLOW_UP"):
        return err(400, 501027, "API_FEEDBACK", "REQUEST",
                   "Response type request parameter is required or is invalid. Must be REPLY or FOLLOW_UP.")
    text = body.get("responseText")
    if not isinstance(text, str) or not text:
        return err(400, 501028, "API_FEEDBACK", "REQUEST", "Response text request parameter is required.")
    if len(text) > 500:
        return err(400, 501013, "API_FEEDBACK", "REQUEST", "Comment text is too long, maximum length is 500 characters.")
    if not body.get("recipientUserId"):
        return err(400, 501029, "API_FEEDBACK", "REQUEST", "Recipient user ID request parameter is required.")
    with shop.lock:
        if f.reply is not None:
            return err(409, 501032, "API_FEEDBACK", "BUSINESS", "Reply already left for feedback.")
        f.reply, f.reply_t = text, int(req.now)
        shop.version += 1
    with sim.lock:
        sim.sent.append({"marketplace": NAME, "shop": shop.key, "kind": "feedback_reply",
                         "feedback_id": f.fid, "text": text})
    return 200, {}, {}
