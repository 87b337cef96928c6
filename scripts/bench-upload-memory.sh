#!/usr/bin/env bash
# Peak memory of one crud-api under a parallel decompression-bomb upload: PARALLEL uploads at
# once of a one-colour 6,300 × 6,300 PNG (~40 MP: ~240 KB on the wire, ~160 MB decoded), each to
# its own listing, from a fresh SQLite database on loopback. For each decode budget in BUDGETS
# (MiB; 0 = the default, sized from the container's memory limit; 100000 = effectively none, as
# before the budget existed) it prints the server's RSS before, its peak RSS (VmHWM) after, the
# answers' status codes and the wall time.
# Usage: scripts/bench-upload-memory.sh   PROFILE=release|debug (release), PARALLEL="6 12",
#        BUDGETS="0 100000". Memory, not speed, is measured: a debug build (whose image codecs
#        are optimised, see Cargo.toml) allocates the same.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
PARALLEL=${PARALLEL:-6 12}
BUDGETS=${BUDGETS:-0 100000}
flag=(); [ "$PROFILE" = release ] && flag=(--release)
cargo build -q "${flag[@]}" -p crud-api
bin=target/$PROFILE/crud-api
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work/bomb.png" <<'PY'
import struct, sys, zlib
w = h = 6300
row = b"\x00" + bytes([200, 180, 150]) * w
raw = zlib.compress(row * h, 9)
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
echo "== crud-api $(git rev-parse --short HEAD) ($PROFILE), $(nproc) cores; bomb: $(stat -c %s "$work/bomb.png") bytes, 6300x6300 PNG"

for budget in $BUDGETS; do
  for n in $PARALLEL; do
    port=$(free_port)
    rm -rf "$work/db" && mkdir -p "$work/db"
    CRUD_API_ADDR=127.0.0.1:$port DATABASE_URL="sqlite://$work/db/bench.db" IMAGE_DIR="$work/db/images" \
      MAIL_DIR="$work/db/mail" RATE_LIMIT_PER_IP_PER_MIN=0 IMAGE_DECODE_BUDGET_MB=$budget ML_WORKER=false \
      RUST_LOG=warn "$bin" >"$work/server.log" 2>&1 &
    server=$!
    base="http://127.0.0.1:$port"
    for _ in $(seq 200); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done
    read -r token products < <(python3 - "$base" "$n" <<'PY'
import sys
sys.path.insert(0, "scripts/lib")
from crud_client import Client
call, n = Client(sys.argv[1]).call, int(sys.argv[2])
t = call("POST", "/api/v1/auth/signup", {"email": "bomber@example.com", "password": "bench-password-1", "name": "B"})["tokens"]["access_token"]
call("PATCH", "/api/v1/users/me", {"is_seller": True}, t)
cat = call("GET", "/api/v1/categories")[0]["id"]
ids = [call("POST", "/api/v1/products", {"title": f"큰 사진 {i}", "description": "", "price": 10000, "category_id": cat,
        "condition": "good", "area": "마포구"}, t)["id"] for i in range(n)]
print(t, ",".join(ids))
PY
)
    before=$(awk '/VmRSS/{print $2}' /proc/$server/status)
    start=$(date +%s.%N)
    IFS=, read -ra ids <<<"$products"
    for id in "${ids[@]}"; do
      curl -s -o /dev/null -w '%{http_code}\n' -H "authorization: Bearer $token" \
        -F "f=@$work/bomb.png;type=image/png" "$base/api/v1/products/$id/images" >>"$work/codes" &
    done
    wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
    secs=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
    peak=$(awk '/VmHWM/{print $2}' /proc/$server/status)
    codes=$(sort "$work/codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}'); rm -f "$work/codes"
    label=$budget; [ "$budget" = 0 ] && label="default ($(curl -s "$base/metrics" | awk '/^crud_api_image_decode_budget_bytes/{print $2/1048576}') MiB)"
    printf '  budget %-20s %2d parallel: RSS %4d MiB before, peak %5d MiB; %s in %ss\n' \
      "$label" "$n" $((before / 1024)) $((peak / 1024)) "$codes" "$secs"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
  done
done
