# Sourced by the load scripts: a release crud-api on a free loopback port with a fresh database
# (rate limits off, DATABASE_MAX_CONNECTIONS pool connections, 32 by default), a signed-in seller, 1,000 listings spread over the
# category tree, and a buyer with one order. Sets: work, port, base, db, server, token,
# product, buyer, order. The caller's EXIT trap should call `stop_crud_api`.
# Usage: start_crud_api sqlite|postgres   (postgres: TEST_DATABASE_URL set by with-postgres.sh)
source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

stop_crud_api() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}

# One more crud-api on the same database and settings (a replica), on loopback PORT; prints its
# pid once it is ready. Needs start_crud_api's variables (work, db).
run_crud_api() {
  local port=$1
  CRUD_API_ADDR=127.0.0.1:$port DATABASE_URL=$db DATABASE_MAX_CONNECTIONS=${DATABASE_MAX_CONNECTIONS:-32} \
    IMAGE_DIR=$work/images-$port PLUGINS_CONFIG=plugins/demo/plugins.json PLUGIN_CACHE_DIR=$work/plugin-cache-$port \
    RATE_LIMIT_PER_IP_PER_MIN=0 RATE_LIMIT_PER_ACCOUNT_PER_15MIN=0 ACCESS_TOKEN_TTL_SECS=3600 \
    ADMIN_EMAIL=admin@bench.local ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn \
    target/release/crud-api >"$work/server-$port.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  echo "$pid"
}

start_crud_api() {
local backend=$1
make -s plugins >/dev/null
cargo build -q --release -p crud-api
work=$(mktemp -d)
port=$(free_port)
if [ "$backend" = postgres ]; then
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE bench" >/dev/null
  db="${TEST_DATABASE_URL%/*}/bench"
  openssl genpkey -algorithm ed25519 -out "$work/jwt.pem" 2>/dev/null
  export JWT_SIGNING_KEY_FILE="$work/jwt.pem"
else
  db="sqlite://$work/bench.db"
fi

server=$(run_crud_api "$port")
base="http://127.0.0.1:$port"

# A signed-in seller and 1,000 listings spread over the category tree.
read -r token product buyer order < <(python3 - "$base" <<'PY'
import json, sys
sys.path.insert(0, "scripts/lib")
from crud_client import Client
api = Client(sys.argv[1])
c, call = api.conn, api.call
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

}
