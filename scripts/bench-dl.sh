#!/usr/bin/env bash
# dl-api benchmarks on loopback (release build), bounded request counts:
#   1. raw ONNX Runtime session throughput of EfficientNet-Lite0 with dl-api's thread
#      layout (dl-bench), batch 1 and 8, and the model's CPU load time;
#   2. POST /v1/analyze (a 1024×768 JPEG) with `hey` at 1, 4 and 16 concurrent clients,
#      dynamic batching on (max batch 8, 4 ms delay) and off;
#   3. the ratio of issue 16 (target 4): /v1/analyze at 16 clients (batching off) over the raw
#      session's batch-1 rate, measured in ROUNDS alternating rounds (default 3) so both halves
#      see the same minutes of this machine; each round's ratio and their median.
# Results go to docs/benchmarks.md by hand. Usage: scripts/bench-dl.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"
cd "$(dirname "$0")/.."
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
if ! command -v hey >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hey >/dev/null
fi
scripts/build-deps.sh
eval "$(scripts/fetch-models.sh)"
export ORT_DYLIB_PATH DL_IMAGE_MODEL_DIR DL_TEXT_MODEL_DIR
eval_dir=$(scripts/fetch-eval-images.sh)
cargo build -q --release -p dl-api

work=$(mktemp -d)
venv=$CACHE/venv-bench-pillow-12.0.0
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q pillow==12.0.0; }
"$venv/bin/python" - "$eval_dir/sofa/Scopia-leather_sofa.png" "$work/photo.jpg" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGBA")
bg = Image.new("RGBA", im.size, (245, 242, 236, 255)); bg.alpha_composite(im)
bg.convert("RGB").resize((1024, 768), Image.BICUBIC).save(sys.argv[2], quality=90)
PY
echo "== raw ONNX Runtime session (cores: $(nproc))"
./target/release/dl-bench --seconds 8 --batch 1
./target/release/dl-bench --seconds 8 --batch 8

run_server() { # delay_ms
  port=$(free_port)
  DL_API_ADDR=127.0.0.1:$port DL_API_KEYS=bench DL_MAX_BATCH=8 DL_MAX_QUEUE_DELAY_MS=$1 DL_QUEUE_CAPACITY=256 \
    RUST_LOG=warn ./target/release/dl-api >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
}
trap 'kill ${server:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

for delay in 4 0; do
  run_server $delay
  label=$([ "$delay" = 0 ] && echo "batching off" || echo "batching on (max 8, ${delay} ms)")
  for c in 1 4 16; do
    n=$((c == 1 ? 200 : c == 4 ? 400 : 800))
    out=$(hey -n $n -c $c -m POST -T image/jpeg -H "X-API-Key: bench" -D "$work/photo.jpg" \
      "http://127.0.0.1:$port/v1/analyze?embedding=false")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '/ 50% in/ {print $3*1000}' <<<"$out")
    p99=$(awk '/ 99% in/ {print $3*1000}' <<<"$out")
    codes=$(awk '/Status code distribution/ {f=1; next} f && /\[/ {printf "%s%s", sep, $1 $2; sep=" "}' <<<"$out")
    printf '%-28s clients %2d: %6.1f req/s  p50 %6.1f ms  p99 %6.1f ms  %s\n' "$label" $c "$rps" "$p50" "$p99" "$codes"
  done
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^dl_api_batch_rows_(sum|count)\{model="efficientnet' | tr '\n' ' '
  echo
  kill $server; wait $server 2>/dev/null || true
done

echo "== /v1/analyze (16 clients, batching off) vs the raw session (batch 1), alternating"
run_server 0
ratios=()
for round in $(seq "${ROUNDS:-3}"); do
  raw=$(./target/release/dl-bench --seconds 8 --batch 1 | awk '/raw session/ {for (i = 1; i <= NF; i++) if ($i == "images/s,") print $(i - 1)}')
  out=$(hey -z 8s -c 16 -m POST -T image/jpeg -H "X-API-Key: bench" -D "$work/photo.jpg" \
    "http://127.0.0.1:$port/v1/analyze?embedding=false")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  ratio=$(awk -v a="$rps" -v b="$raw" 'BEGIN {printf "%.2f", a / b}')
  ratios+=("$ratio")
  printf 'round %d: raw %6.1f images/s, service %6.1f req/s: %s\n' "$round" "$raw" "$rps" "$ratio"
done
printf 'median service / raw: %s\n' "$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
kill $server; wait $server 2>/dev/null || true
