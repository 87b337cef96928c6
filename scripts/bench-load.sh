#!/usr/bin/env bash
# Load test of crud-api with `hey` (Debian package), on loopback only, release build:
#   identity:  POST /api/v1/auth/login (argon2id-bound) at 16 and 100 connections,
#              GET /api/v1/users/me (JWT verify + one read) at 100 and 1000 connections;
#   catalogue: GET /api/v1/products?category=table&limit=20 and GET /api/v1/products/{id}
#              at 100 and 1000 connections, over 1,000 seeded listings;
#   plugins:   POST /api/v1/orders/{id}/payments/quote through the Wasm payment-standard
#              plugin, and /products/{id}/similar through recommend-style (1,000 candidates);
#   postgres:  the listing's SQL through pgbench (custom script) at 100 connections: the
#              database's own ceiling for that query, to compare with the API.
# Usage: scripts/bench-load.sh [sqlite|postgres]   DURATION=15s by default.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
DURATION=${DURATION:-15s}

if [ "$backend" = postgres ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  exec scripts/with-postgres.sh "$0" postgres
fi
if ! command -v hey >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hey >/dev/null
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

make -s plugins >/dev/null
cargo build -q --release -p crud-api
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$backend" = postgres ]; then
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE bench" >/dev/null
  db="${TEST_DATABASE_URL%/*}/bench"
  openssl genpkey -algorithm ed25519 -out "$work/jwt.pem" 2>/dev/null
  export JWT_SIGNING_KEY_FILE="$work/jwt.pem"
else
  db="sqlite://$work/bench.db"
fi

CRUD_API_ADDR=127.0.0.1:$port DATABASE_URL=$db DATABASE_MAX_CONNECTIONS=32 IMAGE_DIR=$work/images \
  PLUGINS_CONFIG=plugins/demo/plugins.json PLUGIN_CACHE_DIR=$work/plugin-cache \
  RATE_LIMIT_PER_IP_PER_MIN=0 RATE_LIMIT_PER_ACCOUNT_PER_15MIN=0 ACCESS_TOKEN_TTL_SECS=3600 \
  ADMIN_EMAIL=admin@bench.local ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn \
  target/release/crud-api >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done

# A signed-in seller and 1,000 listings spread over the category tree.
read -r token product buyer order < <(python3 - "$base" <<'PY'
import json, sys, http.client, urllib.parse
base = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(base.hostname, base.port)
def call(method, path, body=None, token=None):
    h = {"content-type": "application/json"}
    if token: h["authorization"] = "Bearer " + token
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse(); data = r.read()
    assert r.status < 300, (path, r.status, data)
    return json.loads(data) if data else None
t = call("POST", "/api/v1/auth/signup", {"email": "bench@example.com", "password": "bench-password-1", "name": "Bench"})["tokens"]["access_token"]
call("PATCH", "/api/v1/users/me", {"is_seller": True}, t)
cats = []
def walk(nodes):
    for n in nodes:
        cats.append(n["id"]); walk(n["children"])
walk(call("GET", "/api/v1/categories"))
words = ["원목", "가죽", "소파", "식탁", "책상", "의자", "oak", "walnut", "modern", "vintage"]
areas = ["마포구", "강남구", "송파구", "용산구", "성동구"]
first = None
for i in range(1000):
    p = call("POST", "/api/v1/products", {"title": f"{words[i % 10]} {words[(i * 7) % 10]} 가구 {i}", "description": "벤치마크용 매물",
             "price": 10000 + (i * 7919) % 990000, "category_id": cats[i % len(cats)], "condition": "good",
             "area": areas[i % 5], "style_tags": [words[i % 10]]}, t)
    first = first or p["id"]
b = call("POST", "/api/v1/auth/signup", {"email": "bench-buyer@example.com", "password": "bench-password-1", "name": "Buyer"})["tokens"]["access_token"]
call("POST", "/api/v1/cart/items", {"product_id": first}, b)
c.request("POST", "/api/v1/orders", json.dumps({"delivery_address": {"label": "집", "recipient": "김", "phone": "010-1234-5678",
          "line1": "서울 강남구 1", "postal_code": "06236", "area": "강남구"}}),
          {"content-type": "application/json", "authorization": "Bearer " + b, "idempotency-key": "bench"})
order = json.loads(c.getresponse().read())["orders"][0]["id"]
print(t, first, b, order)
PY
)

hey_run() { # title, then hey args
  echo "-- $1"; shift
  hey -z "$DURATION" "$@" | sed -n '/Requests\/sec/p;/Average/p;/50% in/p;/99% in/p;/Status code distribution/,/^$/p'
}
echo "== crud-api $(git rev-parse --short HEAD) on $backend, $(nproc) cores, hey -z $DURATION =="
for c in 16 100; do
  hey_run "POST /api/v1/auth/login, $c connections" -c "$c" -m POST -T application/json \
    -d '{"email":"bench@example.com","password":"bench-password-1"}' "$base/api/v1/auth/login"
done
for c in 100 1000; do
  hey_run "GET /api/v1/users/me, $c connections" -c "$c" -H "Authorization: Bearer $token" "$base/api/v1/users/me"
done
for c in 100 1000; do
  hey_run "GET /api/v1/products?category=table&limit=20, $c connections" -c "$c" "$base/api/v1/products?category=table&limit=20"
  hey_run "GET /api/v1/products/{id}, $c connections" -c "$c" "$base/api/v1/products/$product"
done

# HTTP caching and compression (hey's Go client asks for gzip unless told not to): the same
# page uncompressed, gzipped, and revalidated with its ETag (a body-less 304).
list="$base/api/v1/products?category=table&limit=20"
etag=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$list" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
hey_run "GET /api/v1/products?category=table&limit=20, uncompressed, 100 connections" -c 100 -disable-compression "$list"
hey_run "GET /api/v1/products?category=table&limit=20, gzip, 100 connections" -c 100 "$list"
hey_run "GET /api/v1/products?category=table&limit=20, If-None-Match (304), 100 connections" -c 100 -H "If-None-Match: $etag" "$list"

for c in 16 100; do
  hey_run "POST /api/v1/orders/{id}/payments/quote (Wasm payment-standard), $c connections" -c "$c" -m POST \
    -T application/json -d '{"coupon":"WELCOME10"}' -H "Authorization: Bearer $buyer" "$base/api/v1/orders/$order/payments/quote"
done
hey_run "GET /api/v1/products/{id}/similar (Wasm recommend-style, 1,000 candidates), 16 connections" -c 16 \
  "$base/api/v1/products/$product/similar?limit=10"

if [ "$backend" = postgres ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  ids=$(psql "$db" -Atc "WITH RECURSIVE t(id) AS (SELECT id FROM categories WHERE slug = 'table' UNION ALL SELECT c.id FROM categories c JOIN t ON c.parent_id = t.id) SELECT string_agg(quote_literal(id::text), ',') FROM t")
  cols="p.id, p.seller_id, p.category_id, p.title, p.description, p.price, p.condition, p.width_cm, p.depth_cm, p.height_cm, p.weight_kg, p.quantity, p.available, p.reserved, p.sold, p.hidden, p.style_tags, p.area, p.status, p.created_at, p.updated_at"
  echo "SELECT $cols FROM products p WHERE NOT p.deleted AND p.category_id IN ($ids) AND p.status IN ('on_sale', 'reserved', 'sold') ORDER BY p.id DESC LIMIT 21 OFFSET 0;" > "$work/list.sql"
  echo "-- pgbench: the listing query alone, 100 connections, 2 threads"
  "$pg_bin/pgbench" -n -c 100 -j 2 -T "${DURATION%s}" -f "$work/list.sql" "$db" 2>&1 | grep -E "tps|latency average"
fi
