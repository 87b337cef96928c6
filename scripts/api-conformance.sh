#!/usr/bin/env bash
# Drives a live crud-api from the outside, the way clients will:
#   1. the Bruno collection (bruno-collection/, npm @usebruno/cli): every public endpoint, in a
#      realistic order — sign-up to delivery — with assertions;
#   2. schemathesis (PyPI) against api/crud-api.openapi.json, all four phases, once as a
#      signed-in seller-buyer and once as an admin: no 5xx, every response as documented
#      (schema, status codes, content types, headers), and every request the schema allows
#      accepted (scripts/schemathesis.toml says which checks, and the two exceptions and why);
#   3. a TypeScript client generated from the same document (scripts/ts-client.sh), type-checked
#      with tsc, running a buyer's and a seller's journey.
# The server runs on 127.0.0.1 with a free port and a throwaway SQLite database, or against
# TEST_DATABASE_URL's server when that is set (a fresh database is created there).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"
cd "$(dirname "$0")/.."
ST_VERSION=4.32.5
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gajyeogagu
venv=$cache/venv-schemathesis-$ST_VERSION

if [ ! -x "$venv/bin/st" ]; then
  echo "api-conformance: installing schemathesis $ST_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$ST_VERSION"
fi
scripts/node-tools.sh
# The workspace build `make test` made (no features resolved anew: nothing recompiles).
source "$(dirname "$0")/lib/workspace-build.sh"
build_workspace_debug

work=$(mktemp -d)
port=$(free_port)
db="sqlite://$work/conformance.db"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE conformance" >/dev/null
  db="${TEST_DATABASE_URL%/*}/conformance"
  openssl genpkey -algorithm ed25519 -out "$work/jwt.pem" 2>/dev/null
  export JWT_SIGNING_KEY_FILE="$work/jwt.pem"
fi
admin_email=admin@conformance.local
admin_password=conformance-admin-1
# PUBLIC_BASE_URL: answers give absolute URLs (photos, the stream) built from it.
CRUD_API_ADDR=127.0.0.1:$port PUBLIC_BASE_URL=http://127.0.0.1:$port DATABASE_URL=$db IMAGE_DIR=$work/images DEMO_DATA=true \
  ADMIN_EMAIL=$admin_email ADMIN_PASSWORD=$admin_password \
  RATE_LIMIT_PER_IP_PER_MIN=0 RATE_LIMIT_PER_ACCOUNT_PER_15MIN=0 RUST_LOG=warn MAIL_DIR=$work/mail \
  RATE_LIMIT_STREAM_TICKETS_PER_MIN=0 RATE_LIMIT_VERIFICATION_EMAILS_PER_HOUR=0 \
  target/debug/crud-api >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done
curl -fs "$base/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }

echo "== Bruno collection against $base"
(cd bruno-collection && ../tools/node/node_modules/.bin/bru run --env local \
  --env-var "baseUrl=$base" --env-var "adminEmail=$admin_email" --env-var "adminPassword=$admin_password")

echo "== generated TypeScript client against $base"
scripts/ts-client.sh "$base"

login() {
  curl -fs -X POST "$base/api/v1/auth/$1" -H 'content-type: application/json' -d "$2" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["access_token"])'
}
token=$(login signup '{"email":"schemathesis@example.com","password":"schemathesis-1","name":"Schemathesis"}')
curl -fs -X PATCH "$base/api/v1/users/me" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"is_seller":true}' >/dev/null
admin=$(login login "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}")
# One worker: with two, hypothesis parses lambda sources from two threads at once, and
# CPython 3.11's ast module shares its recursion counter between threads ("AST constructor
# recursion depth mismatch", a Runtime Error that failed CI once). Two workers were no faster
# here (105 s vs 109 s on 2 cores).
for role in seller-buyer admin; do
  bearer=$token; [ "$role" = admin ] && bearer=$admin
  echo "== schemathesis as $role against $base/api-docs/openapi.json"
  "$venv/bin/st" --config-file scripts/schemathesis.toml run "$base/api-docs/openapi.json" \
    --header "Authorization: Bearer $bearer" \
    --max-examples "${ST_MAX_EXAMPLES:-25}" --seed 1 --no-color --workers 1
done
