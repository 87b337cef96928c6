"""Seeds the shoppers for shoppers.py through the public API: SHOPPERS accounts (signed up, so
each password is a real argon2id hash) and ITEMS one-of-a-kind listings per shopper for it to buy,
listed by the bench seller. Writes {password, categories, shoppers: [{email, items}]} as JSON.

Usage: seed_shoppers.py BASE_URL SELLER_TOKEN OUT_FILE [SHOPPERS] [ITEMS]
"""

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from crud_client import Client  # noqa: E402

base, seller, out = sys.argv[1], sys.argv[2], sys.argv[3]
shoppers = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
items = int(sys.argv[5]) if len(sys.argv) > 5 else 3
PASSWORD = "shopper-password-1"
local = threading.local()


def call(method, path, body=None, token=None):
    """One keep-alive connection per thread."""
    if not hasattr(local, "api"):
        local.api = Client(base, timeout=60)
    return local.api.call(method, path, body, token)


categories = []  # (id, slug) of every node, parents and leaves


def walk(nodes):
    for n in nodes:
        categories.append((n["id"], n["slug"]))
        walk(n["children"])


walk(call("GET", "/api/v1/categories"))
words = ["원목", "가죽", "패브릭", "식탁", "책상", "의자", "소파", "모던", "빈티지", "북유럽"]
areas = ["마포구", "강남구", "송파구", "용산구", "성동구"]


def shopper(i):
    email = f"shopper-{i}@bench.local"
    call("POST", "/api/v1/auth/signup", {"email": email, "password": PASSWORD, "name": f"쇼퍼 {i}"})
    ids = []
    for k in range(items):
        n = i * items + k
        p = call("POST", "/api/v1/products", {
            "title": f"{words[n % 10]} {words[(n * 3) % 10]} 중고 가구 {n}", "description": "부하 시험용 매물",
            "price": 20000 + (n * 7919) % 900000, "category_id": categories[n % len(categories)][0],
            "condition": "good", "area": areas[n % 5], "style_tags": [words[n % 10]],
        }, seller)
        ids.append(p["id"])
    return {"email": email, "items": ids}


with ThreadPoolExecutor(4) as pool:
    seeded = list(pool.map(shopper, range(shoppers)))
json.dump({"password": PASSWORD, "categories": [slug for _, slug in categories], "shoppers": seeded}, open(out, "w"))
print(f"seeded {len(seeded)} shoppers, {len(seeded) * items} listings for them", file=sys.stderr)
