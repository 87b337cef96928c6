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

source scripts/lib/bench-crud.sh
trap stop_crud_api EXIT
start_crud_api "$backend"

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
