#!/usr/bin/env bash
# Load test of crud-api's identity endpoints with `hey` (Debian package), on loopback only:
#   - POST /api/v1/auth/login   (argon2id-bound) at 16 and 100 connections
#   - GET  /api/v1/users/me     (JWT verify + one indexed read) at 100 and 1000 connections
# Usage: scripts/bench-load.sh [sqlite|postgres]   (default sqlite; postgres uses a throwaway
# server from scripts/with-postgres.sh). DURATION=15s by default. Prints hey's summaries.
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

cargo build --release -p crud-api
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$backend" = postgres ]; then
  db="${TEST_DATABASE_URL%/*}/bench"
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE bench" >/dev/null
  openssl genpkey -algorithm ed25519 -out "$work/jwt.pem" 2>/dev/null
  export JWT_SIGNING_KEY_FILE="$work/jwt.pem"
else
  db="sqlite://$work/bench.db"
fi

CRUD_API_ADDR=127.0.0.1:$port DATABASE_URL=$db DATABASE_MAX_CONNECTIONS=32 \
  RATE_LIMIT_PER_IP_PER_MIN=0 RATE_LIMIT_PER_ACCOUNT_PER_15MIN=0 ACCESS_TOKEN_TTL_SECS=3600 \
  ADMIN_EMAIL=admin@bench.local ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn \
  target/release/crud-api >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done

body='{"email":"bench@example.com","password":"bench-password-1","name":"Bench"}'
token=$(curl -fs -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' -d "$body" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["access_token"])')

echo "== crud-api $(git rev-parse --short HEAD) on $backend, $(nproc) cores, hey, $DURATION each =="
for c in 16 100; do
  echo "-- POST /api/v1/auth/login, $c connections"
  hey -z "$DURATION" -c "$c" -m POST -T application/json \
    -d '{"email":"bench@example.com","password":"bench-password-1"}' "$base/api/v1/auth/login" |
    sed -n '/Summary/,/Latency distribution/p;/99%/p;/Status code distribution/,/^$/p'
done
for c in 100 1000; do
  echo "-- GET /api/v1/users/me, $c connections"
  hey -z "$DURATION" -c "$c" -H "Authorization: Bearer $token" "$base/api/v1/users/me" |
    sed -n '/Summary/,/Latency distribution/p;/50%/p;/99%/p;/Status code distribution/,/^$/p'
done
