"""Locust: the brief's load as shoppers make it (docs/benchmarks.md, "1,000 shoppers").

Each virtual user is one shopper with one session: it logs in once, then loops through what a
shopper does on the site — home page recommendations, a category page, a Korean search, the next
page, a listing's details with its similar items — and now and then puts one of its own listings
in the cart, looks at the cart, checks out, gets a payment quote and pays. Think time between
steps. Shoppers only buy the listings seeded for them (SHOPPERS_FILE), so no two shoppers race for
the same one-of-a-kind item and every answer but a bug is a 2xx.

Latencies are recorded here per request (Locust's own percentiles are rounded to buckets) and
split in two windows: "ramp" (shoppers still arriving and logging in, argon2id-bound by design)
and "steady" (from the last login on: all shoppers in, each logged in once). The summary goes to SUMMARY_FILE as JSON.
"""

import itertools
import json
import os
import random
import time
import uuid
from urllib.parse import quote

from locust import FastHttpUser, between, events, task

SEED = json.load(open(os.environ["SHOPPERS_FILE"]))
SUMMARY_FILE = os.environ["SUMMARY_FILE"]
SEARCH_WORDS = ["소파", "원목", "가죽", "식탁", "책상", "의자", "원목 식탁", "가죽소파", "모던", "빈티지"]
ADDRESS = {"label": "집", "recipient": "김민지", "phone": "010-1234-5678", "line1": "서울 마포구 양화로 1",
           "postal_code": "04038", "area": "마포구"}

_next_shopper = itertools.count()
_records = []  # (monotonic time, name, ms, ok)
_all_spawned_at = None


@events.request.add_listener
def _record(request_type, name, response_time, exception, **_):
    _records.append((time.monotonic(), name, response_time, exception is None))


@events.spawning_complete.add_listener
def _spawned(user_count, **_):
    global _all_spawned_at
    _all_spawned_at = time.monotonic()


def _stats(rows):
    ms = sorted(r[2] for r in rows)
    if not ms:
        return {"requests": 0}
    pct = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))]
    span = max(r[0] for r in rows) - min(r[0] for r in rows)
    return {"requests": len(ms), "errors": sum(1 for r in rows if not r[3]),
            "rps": round(len(ms) / span, 1) if span > 0 else None,
            "avg_ms": round(sum(ms) / len(ms), 1), "p50_ms": round(pct(0.50), 1),
            "p90_ms": round(pct(0.90), 1), "p99_ms": round(pct(0.99), 1), "max_ms": round(ms[-1], 1)}


@events.quitting.add_listener
def _summary(environment, **_):
    # The steady window opens once every shopper has arrived and finished logging in.
    logins = [r[0] for r in _records if r[1] == "POST /auth/login"]
    cut = max([_all_spawned_at or float("inf")] + logins)
    ramp = [r for r in _records if r[0] <= cut]
    steady = [r for r in _records if r[0] > cut]
    names = sorted({r[1] for r in _records})
    summary = {
        "ramp": _stats(ramp), "steady": _stats(steady),
        "steady_seconds": round(max(r[0] for r in steady) - cut, 1) if steady else 0,
        "steady_by_request": {n: _stats([r for r in steady if r[1] == n]) for n in names},
        "logins": _stats([r for r in _records if r[1] == "POST /auth/login"]),
    }
    with open(SUMMARY_FILE, "w") as f:
        json.dump(summary, f, ensure_ascii=False, indent=1)


class Shopper(FastHttpUser):
    wait_time = between(float(os.environ.get("THINK_MIN", "1")), float(os.environ.get("THINK_MAX", "5")))

    def on_start(self):
        me = SEED["shoppers"][next(_next_shopper) % len(SEED["shoppers"])]
        self.to_buy = list(me["items"])
        self.in_cart = None
        r = self.client.post("/api/v1/auth/login", json={"email": me["email"], "password": SEED["password"]},
                             name="POST /auth/login")
        self.auth = {"Authorization": "Bearer " + r.json()["tokens"]["access_token"]}
        self.seen = []

    def get(self, path, name):
        with self.client.get(path, headers=self.auth, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return None
            return r.json()

    def post(self, path, body, name, headers=None):
        with self.client.post(path, json=body, headers={**self.auth, **(headers or {})}, name=name,
                              catch_response=True) as r:
            if r.status_code >= 300:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return None
            return r.json()

    def remember(self, page):
        if page and page["items"]:
            self.seen = [p["id"] for p in page["items"]]
        return page

    @task(2)
    def home(self):
        self.get("/api/v1/recommendations?limit=20", "GET /recommendations")

    @task(4)
    def browse(self):
        path = f"/api/v1/products?category={random.choice(SEED['categories'])}&limit=20"
        page = self.remember(self.get(path, "GET /products?category"))
        if page and page.get("next_cursor") and random.random() < 0.3:
            self.wait()
            self.remember(self.get(f"{path}&cursor={quote(page['next_cursor'])}", "GET /products?category&cursor"))

    @task(3)
    def search(self):
        q = random.choice(SEARCH_WORDS)
        self.remember(self.get(f"/api/v1/products?q={quote(q)}&limit=20", "GET /products?q (Korean)"))

    @task(4)
    def details(self):
        if not self.seen:
            return self.browse()
        product = random.choice(self.seen)
        self.get(f"/api/v1/products/{product}", "GET /products/{id}")
        self.get(f"/api/v1/products/{product}/similar?limit=10", "GET /products/{id}/similar")

    @task(1)
    def add_to_cart(self):
        if self.in_cart or not self.to_buy:
            return
        item = self.to_buy.pop()
        if self.post("/api/v1/cart/items", {"product_id": item, "quantity": 1}, "POST /cart/items") is not None:
            self.in_cart = item
        self.wait()
        self.get("/api/v1/cart", "GET /cart")

    @task(1)
    def checkout_and_pay(self):
        if not self.in_cart:
            return
        checkout = self.post("/api/v1/orders", {"delivery_address": ADDRESS}, "POST /orders (checkout)",
                             {"Idempotency-Key": str(uuid.uuid4())})
        self.in_cart = None
        if checkout is None:
            return
        self.wait()
        for order in checkout["orders"]:
            quote = self.post(f"/api/v1/orders/{order['id']}/payments/quote", {"coupon": None},
                              "POST /orders/{id}/payments/quote")
            if quote is None:
                return
            self.wait()
            self.post("/api/v1/payments/confirm", {"order_id": order["id"], "payment_key": f"pk_{uuid.uuid4().hex}",
                                                   "amount": quote["plan"]["total"]}, "POST /payments/confirm")
