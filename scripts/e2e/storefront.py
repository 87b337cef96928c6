#!/usr/bin/env python3
"""What a shopper and a seller do against a crud-api, for the cluster end to end
(scripts/cluster-e2e.sh): standard library only, JSON on stdout, a message and exit 1 on the
first answer that is not what the product promises.

  storefront.py shop BASE PHOTO           seller lists a 소파 with a photo, the photo is
                                          analysed (by dl-api), a search for 소파 finds it,
                                          a buyer orders two and asks for a payment quote
  storefront.py quote BASE TOKEN ORDER    the payment quote again (after a plugin change)
  storefront.py analyse BASE TOKEN PRODUCT PHOTO   upload one more photo; wait for its analysis
  storefront.py find BASE QUERY PRODUCT   search until QUERY finds PRODUCT (30 s: listings are
                                          embedded for search every 5 s); its rank
"""
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


def fail(msg):
    print(f"storefront: {msg}", file=sys.stderr)
    sys.exit(1)


def call(base, method, path, token=None, body=None, headers=None, expect=200, raw=None, ctype=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", ctype or "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if status != expect:
        fail(f"{method} {path} answered {status}, not {expect}: {text[:400]}")
    return json.loads(text) if text else None


def signup(base, who):
    email = f"{who}-{uuid.uuid4().hex[:8]}@e2e.example"
    body = call(base, "POST", "/api/v1/auth/signup", body={"email": email, "password": "correct-horse-1", "name": who},
                expect=201)
    return body["tokens"]["access_token"]


def upload(base, token, product, photo):
    boundary = uuid.uuid4().hex
    with open(photo, "rb") as f:
        data = f.read()
    raw = (f"--{boundary}\r\ncontent-disposition: form-data; name=\"files\"; filename=\"photo.png\"\r\n"
           f"content-type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    call(base, "POST", f"/api/v1/products/{product}/images", token, raw=raw, expect=201,
         ctype=f"multipart/form-data; boundary={boundary}")


def wait_analysis(base, token, product, photos):
    deadline = time.time() + 120
    while True:
        found = call(base, "GET", f"/api/v1/products/{product}/analysis", token)
        if len(found) >= photos and all(a["status"] == "done" for a in found):
            return found
        if any(a["status"] == "failed" for a in found) or time.time() > deadline:
            # What each unfinished analysis says (the results of finished ones are long and beside the point).
            left = [{k: a.get(k) for k in ("image_id", "status", "attempts", "error")} for a in found if a["status"] != "done"]
            fail(f"photo analysis did not finish ({len(found)} found, {photos} expected): {json.dumps(left, ensure_ascii=False)}")
        time.sleep(1)


def quote(base, token, order):
    q = call(base, "POST", f"/api/v1/orders/{order}/payments/quote", token, body={"coupon": None})
    return {"digest": q["strategy"]["plugin_digest"], "delivery_fee": q["plan"]["delivery_fee"],
            "adjustments": q["plan"]["adjustments"], "total": q["plan"]["total"]}


def shop(base, photo):
    seller = signup(base, "seller")
    call(base, "PATCH", "/api/v1/users/me", seller, body={"is_seller": True})
    tree = call(base, "GET", "/api/v1/categories")
    sofa = next((c["id"] for c in tree if c["slug"] == "sofa"), None) or fail("no sofa category")
    product = call(base, "POST", "/api/v1/products", seller, expect=201, body={
        "title": "e2e 가죽 소파", "description": "클러스터에서 올린 3인용 소파", "price": 150_000, "category_id": sofa,
        "condition": "good", "area": "마포구", "quantity": 3})["id"]
    upload(base, seller, product, photo)
    analysis = wait_analysis(base, seller, product, 1)
    found = call(base, "GET", "/api/v1/products?q=%EC%86%8C%ED%8C%8C&limit=20")
    if product not in [p["id"] for p in found["items"]]:
        fail(f"searching 소파 did not find the new listing: {json.dumps(found, ensure_ascii=False)[:400]}")
    buyer = signup(base, "buyer")
    call(base, "POST", "/api/v1/cart/items", buyer, body={"product_id": product, "quantity": 2}, expect=201)
    address = {"label": "집", "recipient": "김민수", "phone": "010-1234-5678", "line1": "서울특별시 강남구 테헤란로 1",
               "postal_code": "06236", "area": "강남구"}
    orders = call(base, "POST", "/api/v1/orders", buyer, body={"delivery_address": address}, expect=201,
                  headers={"idempotency-key": uuid.uuid4().hex})
    order = orders["orders"][0]["id"]
    return {"seller": seller, "buyer": buyer, "product": product, "order": order,
            "analysis": analysis[0].get("result"), "found": len(found["items"]), "quote": quote(base, buyer, order)}


def find(base, query, product):
    deadline = time.time() + 30
    while True:
        found = call(base, "GET", f"/api/v1/products?q={urllib.parse.quote(query)}&limit=20")
        ids = [p["id"] for p in found["items"]]
        if product in ids:
            return {"rank": ids.index(product) + 1, "of": len(ids)}
        if time.time() > deadline:
            fail(f"searching {query!r} did not find {product}: {json.dumps(found, ensure_ascii=False)[:400]}")
        time.sleep(1)


def main():
    args = sys.argv[1:]
    if args[:1] == ["shop"] and len(args) == 3:
        out = shop(args[1], args[2])
    elif args[:1] == ["quote"] and len(args) == 4:
        out = quote(*args[1:])
    elif args[:1] == ["find"] and len(args) == 4:
        out = find(*args[1:])
    elif args[:1] == ["analyse"] and len(args) == 5:
        base, token, product, photo = args[1:]
        before = len(call(base, "GET", f"/api/v1/products/{product}/analysis", token))
        upload(base, token, product, photo)
        out = wait_analysis(base, token, product, before + 1)[-1]
    else:
        fail(__doc__)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
