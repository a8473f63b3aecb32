"""amazon.py - the Amazon Selling Partner API part of the simulator, after the models in
shared/specs/amazon: Login with Amazon (POST /auth/o2/token, refresh_token grant with
client_id and client_secret), Orders v0 getOrders (MarketplaceIds, CreatedAfter or
LastUpdatedAfter/Before - the latter at least 2 minutes before now -, MaxResultsPerPage
1..100, NextToken) and getOrderItems (NextToken), and Orders 2026-01-01 searchOrders
(marketplaceIds, createdAfter or lastUpdatedAfter, maxResultsPerPage, paginationToken,
includedData; items inline). Access tokens travel in the x-amz-access-token header.

Errors use the SP-API body {"errors": [{"code", "message", "details"}]}; every answer
carries x-amzn-RequestId and, for the orders calls, x-amzn-RateLimit-Limit (the
simulator's enforced rate for the operation, else the documented default).

The static sandbox examples of the models (x-amzn-api-sandbox) are served as they are
when a request carries an example's parameters (CreatedAfter=TEST_CASE_200,
MarketplaceIds=ATVPDKIKX0DER, ...; orderId TEST_CASE_200 for getOrderItems).
"""
import base64
import datetime
import hashlib
import json
import os
import random
import re
import sys
import urllib.parse

import dataset

NAME = "amazon"
CLIENT_ID = "amzn1.application-oa2-client.bdsim0123456789"
CLIENT_SECRET = "amzn1.oa2-cs.v1.bdsim-secret-0123456789abcdef"
BEFORE_LAG = 120  # LastUpdatedBefore / CreatedBefore: at least 2 minutes before now
SKEW = 5
# shop key, marketplace id, relay domain, marketplace name, the currency it sells in
MARKETS = [("es", "A1RKKUPIHCS9HS", "es", "Amazon.es", "EUR"), ("de", "A1PA6795UKMFR9", "de", "Amazon.de", "EUR"),
           ("fr", "A13V1IB3VIYZZH", "fr", "Amazon.fr", "EUR"), ("it", "APJ6JRA9NG5V4", "it", "Amazon.it", "EUR"),
           ("us", "ATVPDKIKX0DER", "com", "Amazon.com", "USD"),
           ("jp", "A1VC38T7YXB528", "co.jp", "Amazon.co.jp", "JPY")]
DEFAULT_RATES = {"getOrders": "0.0167", "getOrderItems": "0.5", "searchOrders": "0.0056"}
V0 = {"unpaid": "Pending", "paid": "Unshipped", "shipped": "Shipped", "delivered": "Shipped",
      "cancelled": "Canceled", "returned": "Shipped"}
V2026 = {"unpaid": "PENDING", "paid": "UNSHIPPED", "shipped": "SHIPPED", "delivered": "SHIPPED",
         "cancelled": "CANCELLED", "returned": "SHIPPED"}
HERE = os.path.dirname(os.path.abspath(__file__))
SPECS = os.path.join(HERE, "..", "..", "..", "shared", "specs", "amazon")


def add_arguments(ap):
    ap.add_argument("--amazon-shops", type=int, default=0,
                    help="Amazon seller accounts (es, de, fr, it, us, jp)")
    ap.add_argument("--amazon-items-page", type=int, default=100,
                    help="order items per getOrderItems page")
    ap.add_argument("--amazon-specs", default=os.environ.get("BD_AMAZON_SPECS", SPECS),
                    help="directory of ordersV0.json and orders_2026-01-01.json (sandbox examples)")


def load_sandbox(path):
    """[(operation, status, params, response)] from the models' x-amzn-api-sandbox."""
    out = []
    for fn, ops in (("ordersV0.json", {"getOrders", "getOrderItems"}),
                    ("orders_2026-01-01.json", {"searchOrders"})):
        try:
            with open(os.path.join(path, fn), encoding="utf-8") as f:
                model = json.load(f)
        except (OSError, ValueError):
            sys.stderr.write("sim: amazon: no sandbox examples from %s\n" % os.path.join(path, fn))
            continue
        for p in model.get("paths", {}).values():
            for op in p.values():
                if not isinstance(op, dict) or op.get("operationId") not in ops:
                    continue
                for status, r in op.get("responses", {}).items():
                    for ex in (r.get("x-amzn-api-sandbox") or {}).get("static", []):
                        params = {k: v.get("value") for k, v in ex["request"]["parameters"].items()}
                        out.append((op["operationId"], int(status), params, ex["response"]))
    return out


def setup(sim, args):
    sim.shops[NAME] = {}
    sim.amazon_refresh = {}
    sim.amazon_market = {}
    for k in range(min(args.amazon_shops, len(MARKETS))):
        key, mid, tld, mname, cur = MARKETS[k]
        sim.shops[NAME][key] = dataset.Shop(NAME, key, args.seed, args.orders, 0,
                                            args.span_days * 86400, args.future_hours * 3600,
                                            sim.base, 0.0)
        sim.amazon_refresh[refresh_token(key)] = key
        for o in sim.shops[NAME][key].orders:
            o.currency = cur  # Amazon charges in the marketplace's currency
        sim.amazon_market[key] = (mid, tld, mname)
    sim.amazon_sandbox = load_sandbox(args.amazon_specs) if sim.shops[NAME] else []
    sim.amazon_counter = 0


def refresh_token(key):
    return "Atzr|IwEBIbdsim-amazon-refresh-%s" % key


def config(sim, endpoint):
    shops, env = [], {"AMZ_CLIENT_ID": CLIENT_ID, "AMZ_CLIENT_SECRET": CLIENT_SECRET}
    for key in sim.shops[NAME]:
        var = "AMZ_REFRESH_TOKEN_%s" % key.upper()
        shops.append({"name": "amazon-%s" % key, "marketplace": "amazon", "endpoint": endpoint,
                      "token_endpoint": endpoint + "/auth/o2/token",
                      "marketplace_ids": [sim.amazon_market[key][0]], "orders_api": "v0",
                      "lwa_client_id_env": "AMZ_CLIENT_ID", "lwa_client_secret_env": "AMZ_CLIENT_SECRET",
                      "refresh_token_env": var})
        env[var] = refresh_token(key)
    return shops, env


def routes(sim):
    return [("POST", "/auth/o2/token", token, "token"),
            ("GET", "/orders/v0/orders", get_orders, "getOrders"),
            ("GET", "/orders/v0/orders/{orderId}/orderItems", get_order_items, "getOrderItems"),
            ("GET", "/orders/2026-01-01/orders", search_orders, "searchOrders")]


# ---- helpers ----
def request_id(sim):
    with sim.lock:
        sim.amazon_counter += 1
        n = sim.amazon_counter
    r = random.Random(n).getrandbits(128)
    h = "%032x" % r
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def headers(sim, op=None):
    h = {"x-amzn-RequestId": request_id(sim)}
    if op in DEFAULT_RATES:
        lim = sim.limits.get(op) or sim.limits.get("*")
        h["x-amzn-RateLimit-Limit"] = ("%g" % lim[0]) if lim else DEFAULT_RATES[op]
    return h


def fail(sim, status, code, message, details="", op=None):
    return status, headers(sim, op), {"errors": [{"code": code, "message": message, "details": details}]}


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def access_token(req):
    return (req.headers.get("x-amz-access-token") or "").strip() or None


def identify(sim, req):
    if req.op == "token":
        p = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"))
        return sim.amazon_refresh.get((p.get("refresh_token") or [""])[0], "-")
    t = access_token(req)
    with sim.lock:
        v = sim.tokens.get(t) if t else None
    return v[1] if v and v[0] == NAME else None


def expire_request_token(sim, req):
    t = access_token(req)
    if t:
        sim.expire_token(t)


def error(sim, req, kind):
    if kind == "throttled":
        return fail(sim, 429, "QuotaExceeded", "You exceeded your quota for the requested resource.")
    if kind == "expired":
        return fail(sim, 403, "Unauthorized", "Access to requested resource is denied.",
                    "The access token you provided has expired.")
    if kind == "unavailable":
        return fail(sim, 503, "ServiceUnavailable", "Service temporarily unavailable. Please try again.")
    return fail(sim, 500, "InternalFailure", "We encountered an internal error. Please try again.")


def authorize(sim, req):
    t = access_token(req)
    v = sim.check_token(t) if t else None
    if v == "expired":
        return None, error(sim, req, "expired")
    if not v or v[0] != NAME:
        return None, fail(sim, 403, "Unauthorized", "Access to requested resource is denied.",
                          "The access token you provided is revoked, malformed or invalid.")
    return sim.shops[NAME][v[1]], None


def encode_token(*parts):
    return base64.urlsafe_b64encode(":".join(str(p) for p in parts).encode()).decode().rstrip("=")


def decode_token(c):
    try:
        return [int(x) for x in base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode().split(":")]
    except (ValueError, UnicodeDecodeError):
        return None


def sandbox(sim, req, op, token_name):
    """The sandbox example the request's parameters select, or None."""
    p = dict(req.params, **req.path_args)
    for ex_op, status, params, resp in sim.amazon_sandbox:
        if ex_op != op or (token_name in params) != (token_name in p):
            continue
        ok = True
        for k, v in params.items():
            if k == "includedData":
                continue
            want = ",".join(v) if isinstance(v, list) else str(v)
            if p.get(k) != want:
                ok = False
                break
        if ok:
            return status, headers(sim, op), resp
    return None


# ---- Login with Amazon ----
def token(sim, req):
    p = {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode("utf-8", "replace")).items()}
    if p.get("client_id") != CLIENT_ID or p.get("client_secret") != CLIENT_SECRET:
        return 401, {}, {"error": "invalid_client", "error_description": "Client authentication failed"}
    if p.get("grant_type") != "refresh_token":
        return 400, {}, {"error": "unsupported_grant_type",
                         "error_description": "The authorization grant type is not supported by the authorization server"}
    key = sim.amazon_refresh.get(p.get("refresh_token", ""))
    if not key:
        return 400, {}, {"error": "invalid_grant",
                         "error_description": "The request has an invalid grant parameter : refresh_token"}
    ttl = int(sim.args.token_ttl)
    return 200, {}, {"access_token": sim.issue_token(NAME, key, "Atza|IwEBIbdsim", ttl),
                     "refresh_token": p["refresh_token"], "token_type": "bearer", "expires_in": ttl}


# ---- orders ----
def relay(sim, shop, b):
    h = hashlib.sha1(("%s:%s" % (shop.key, b.username)).encode()).hexdigest()
    n = int(h[:16], 16)
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    for _ in range(15):
        n, r = divmod(n, 36)
        s += alphabet[r]
    return "%s@marketplace.amazon.%s" % (s, sim.amazon_market[shop.key][1])


def has_pii(o):
    return o.index % 6 != 0  # the others come without BuyerInfo (no PII access, like the sandbox)


def v0_status(o, status):
    if status == "shipped" and o.index % 3 == 0:
        return "PartiallyShipped"
    return V0[status]


def order_v0(sim, shop, o, status, modified):
    mid, _, mname = sim.amazon_market[shop.key]
    st = v0_status(o, status)
    d = {"AmazonOrderId": o.oid, "SellerOrderId": "BD-%06d" % o.index, "PurchaseDate": iso(o.created),
         "LastUpdateDate": iso(modified), "OrderStatus": st,
         "FulfillmentChannel": "MFN" if o.index % 4 else "AFN", "SalesChannel": mname,
         "ShipServiceLevel": "Std Cont Int", "NumberOfItemsShipped": sum(q for _, _, q, _ in o.items)
         if st == "Shipped" else 0,
         "NumberOfItemsUnshipped": 0 if st == "Shipped" else sum(q for _, _, q, _ in o.items),
         "PaymentMethod": "Other", "PaymentMethodDetails": ["Standard"], "MarketplaceId": mid,
         "ShipmentServiceLevelCategory": "Standard", "OrderType": "StandardOrder",
         "EarliestShipDate": iso(o.created + 86400), "LatestShipDate": iso(o.created + 3 * 86400),
         "LatestDeliveryDate": iso(o.created + 20 * 86400),
         "IsBusinessOrder": False, "IsPrime": o.index % 5 == 0, "IsPremiumOrder": False,
         "IsGlobalExpressEnabled": False, "IsReplacementOrder": False, "IsSoldByAB": False,
         "IsISPU": False, "IsAccessPointOrder": False}
    if st != "Pending":  # Amazon gives no pricing while payment is not authorised
        d["OrderTotal"] = {"CurrencyCode": o.currency, "Amount": "%.2f" % o.total()}
    if has_pii(o):
        d["BuyerInfo"] = {"BuyerEmail": relay(sim, shop, o.buyer), "BuyerName": o.buyer.name}
    return d


def time_window(sim, req, names, op):
    """(field, after, before) or an error response. names: (createdAfter, createdBefore,
    lastUpdatedAfter, lastUpdatedBefore) in the call's spelling."""
    p = req.params
    ca, cb, ua, ub = (p.get(n) for n in names)
    if (ca is None) == (ua is None):
        return None, fail(sim, 400, "InvalidInput", "Exactly one of %s and %s must be specified."
                          % (names[0], names[2]), op=op)
    if ca is not None and (ua is not None or ub is not None):
        return None, fail(sim, 400, "InvalidInput", "%s and %s cannot be combined with %s."
                          % (names[2], names[3], names[0]), op=op)
    after, before = (ca, cb) if ca is not None else (ua, ub)
    a = parse_iso(after)
    b = parse_iso(before) if before else req.now - BEFORE_LAG
    if a is None or b is None:
        return None, fail(sim, 400, "InvalidInput", "Invalid date format: %s" % (before if a else after), op=op)
    if b > req.now - BEFORE_LAG + SKEW:
        return None, fail(sim, 400, "InvalidInput", "%s must be at least 2 minutes before the time of "
                          "the request." % (names[1] if ca is not None else names[3]), op=op)
    if a > b:
        return None, fail(sim, 400, "InvalidInput", "%s must be before %s." % (
            names[0] if ca is not None else names[2], names[1] if ca is not None else names[3]), op=op)
    return ("created" if ca is not None else "updated", a, b), None


def select(shop, req, field, a, b):
    now = req.now
    if field == "updated":
        return [(m, o, s) for m, o, s in shop.orders_by_modified(now) if a <= m <= b]
    return [(o.created, o, o.state(now)[0]) for o in shop.orders_by_created(now) if a <= o.created <= b]


def page_of(req, rows, size, tok):
    """(page, next token or None)"""
    after = decode_token(tok) if tok else [-1, -1]
    rest = [r for r in rows if (r[0], r[1].index) > tuple(after)]
    page = rest[:size]
    nxt = encode_token(page[-1][0], page[-1][1].index) if page and len(rest) > size else None
    if "duplicate" in req.faults and tok:
        page = [r for r in rows if (r[0], r[1].index) <= tuple(after)][-size:]
        nxt = tok
    if "reorder" in req.faults:
        page = list(page)
        random.Random(tok).shuffle(page)
    return page, nxt


def check_markets(sim, shop, ids, op):
    mid = sim.amazon_market[shop.key][0]
    if not ids:
        return fail(sim, 400, "InvalidInput", "MarketplaceIds is required.", op=op)
    for m in ids.split(","):
        if m != mid:
            return fail(sim, 400, "InvalidInput", "Invalid MarketplaceId: %s. The seller is not "
                        "registered in this marketplace." % m, op=op)
    return None


def get_orders(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    sb = sandbox(sim, req, "getOrders", "NextToken")
    if sb:
        return sb
    p = req.params
    e = check_markets(sim, shop, p.get("MarketplaceIds"), "getOrders")
    if e:
        return e
    tok = p.get("NextToken")
    if tok is not None and (not tok or decode_token(tok) is None or len(decode_token(tok)) != 2):
        return fail(sim, 400, "InvalidInput", "Invalid NextToken.", op="getOrders")
    win, e = time_window(sim, req, ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"),
                         "getOrders")
    if e:
        return e
    size = p.get("MaxResultsPerPage", "100")
    if not size.isdigit() or not 1 <= int(size) <= 100:
        return fail(sim, 400, "InvalidInput", "MaxResultsPerPage must be between 1 and 100.", op="getOrders")
    rows = select(shop, req, *win)
    page, nxt = page_of(req, rows, int(size), tok)
    payload = {"Orders": [order_v0(sim, shop, o, s, m) for m, o, s in page]}
    if nxt:
        payload["NextToken"] = nxt
    payload["LastUpdatedBefore" if win[0] == "updated" else "CreatedBefore"] = iso(win[2])
    return 200, headers(sim, "getOrders"), {"payload": payload}


def get_order_items(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    sb = sandbox(sim, req, "getOrderItems", "NextToken")
    if sb:
        return sb
    oid = urllib.parse.unquote(req.path_args["orderId"])
    o = shop.by_oid.get(oid)
    st = o.state(req.now) if o else None
    if not st:
        return fail(sim, 404, "NotFound", "Invalid AmazonOrderId: %s" % oid, op="getOrderItems")
    tok = req.params.get("NextToken")
    start = 0
    if tok is not None:
        d = decode_token(tok)
        if not d or len(d) != 1:
            return fail(sim, 400, "InvalidInput", "Invalid NextToken.", op="getOrderItems")
        start = d[0]
    size = max(1, sim.args.amazon_items_page)
    items = []
    for (sku, title, qty, price), lid in list(zip(o.items, o.line_ids))[start:start + size]:
        it = {"ASIN": "B0%08d" % (int(lid) % 10 ** 8), "OrderItemId": "%014d" % int(lid), "SellerSKU": sku,
              "Title": title, "QuantityOrdered": qty,
              "QuantityShipped": qty if V0[st[0]] == "Shipped" else 0,
              "ProductInfo": {"NumberOfItems": "1"}, "IsGift": "false", "ConditionId": "New",
              "ConditionSubtypeId": "New", "IsTransparency": False, "SerialNumberRequired": False}
        if st[0] != "unpaid":
            it["ItemPrice"] = {"CurrencyCode": o.currency, "Amount": "%.2f" % (qty * price)}
            it["ItemTax"] = {"CurrencyCode": o.currency, "Amount": "0.00"}
        items.append(it)
    payload = {"AmazonOrderId": o.oid, "OrderItems": items}
    if start + size < len(o.items):
        payload["NextToken"] = encode_token(start + size)
    return 200, headers(sim, "getOrderItems"), {"payload": payload}


def order_2026(sim, shop, o, status, modified, included):
    mid, _, mname = sim.amazon_market[shop.key]
    st = V2026[status]
    if st == "SHIPPED" and v0_status(o, status) == "PartiallyShipped":
        st = "PARTIALLY_SHIPPED"
    d = {"orderId": o.oid, "orderAliases": [{"aliasId": "BD-%06d" % o.index, "aliasType": "SELLER_ORDER_ID"}],
         "createdTime": iso(o.created), "lastUpdatedTime": iso(modified),
         "programs": ["PRIME"] if o.index % 5 == 0 else [],
         "salesChannel": {"channelName": "AMAZON", "marketplaceId": mid, "marketplaceName": mname}}
    if "BUYER" in included and has_pii(o):
        d["buyer"] = {"buyerName": o.buyer.name, "buyerEmail": relay(sim, shop, o.buyer)}
    if "PROCEEDS" in included and st != "PENDING":
        d["proceeds"] = {"grandTotal": {"amount": "%.2f" % o.total(), "currencyCode": o.currency}}
    if "FULFILLMENT" in included:
        d["fulfillment"] = {"fulfillmentStatus": st, "fulfilledBy": "MERCHANT" if o.index % 4 else "AMAZON",
                            "fulfillmentServiceLevel": "STANDARD",
                            "deliverByWindow": {"earliestDateTime": iso(o.created + 5 * 86400),
                                                "latestDateTime": iso(o.created + 20 * 86400)}}
    items = []
    for (sku, title, qty, price), lid in zip(o.items, o.line_ids):
        prod = {"asin": "B0%08d" % (int(lid) % 10 ** 8), "title": title, "sellerSku": sku,
                "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"}}
        if st != "PENDING":
            prod["price"] = {"unitPrice": {"amount": "%.2f" % price, "currencyCode": o.currency}}
        items.append({"orderItemId": "%014d" % int(lid), "quantityOrdered": qty, "product": prod})
    d["orderItems"] = items
    return d


def search_orders(sim, req):
    shop, e = authorize(sim, req)
    if e:
        return e
    sb = sandbox(sim, req, "searchOrders", "paginationToken")
    if sb:
        return sb
    p = req.params
    if p.get("marketplaceIds"):
        e = check_markets(sim, shop, p.get("marketplaceIds"), "searchOrders")
        if e:
            return e
    tok = p.get("paginationToken")
    if tok is not None and (not tok or decode_token(tok) is None or len(decode_token(tok)) != 2):
        return fail(sim, 400, "InvalidInput", "Invalid paginationToken.", op="searchOrders")
    win, e = time_window(sim, req, ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"),
                         "searchOrders")
    if e:
        return e
    size = p.get("maxResultsPerPage", "100")
    if not size.isdigit() or not 1 <= int(size) <= 100:
        return fail(sim, 400, "InvalidInput", "maxResultsPerPage must be between 1 and 100.", op="searchOrders")
    included = set((p.get("includedData") or "").split(",")) - {""}
    known = {"BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT",
             "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS"}
    if included - known:
        return fail(sim, 400, "InvalidInput", "Invalid includedData: %s" % ",".join(sorted(included - known)),
                    op="searchOrders")
    rows = select(shop, req, *win)
    page, nxt = page_of(req, rows, int(size), tok)
    body = {"orders": [order_2026(sim, shop, o, s, m, included) for m, o, s in page]}
    if nxt:
        body["pagination"] = {"nextToken": nxt}
    body["lastUpdatedBefore" if win[0] == "updated" else "createdBefore"] = iso(win[2])
    return 200, headers(sim, "searchOrders"), body
