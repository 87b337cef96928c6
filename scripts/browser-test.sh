#!/usr/bin/env bash
# `make browser-test`: both services and a page on another origin in Debian's Chromium, driven by
# playwright-core (tools/node/browser-test.mjs): Swagger UI "Try it out" on crud-api and dl-api,
# and clients/browser — sign-up, a listing with a photo shown from its absolute URL, Resource
# Timing, the notification stream through a ticket, a second user's order arriving.
# Installs Debian's `chromium` when missing. Loopback only; everything stops on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"

chromium=$(command -v chromium || true)
if [[ -z $chromium ]]; then
  echo "browser-test: installing the Debian package chromium…" >&2
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  chromium=$(command -v chromium)
fi
"$here/node-tools.sh" >/dev/null
source "$here/lib/workspace-build.sh"
build_workspace_debug
eval "$("$here/fetch-models.sh")"
export ORT_DYLIB_PATH DL_IMAGE_MODEL_DIR DL_TEXT_MODEL_DIR

api_port=$(free_port) dl_port=$(free_port) page_port=$(free_port)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

dl_key=browser-$RANDOM$RANDOM
page=http://127.0.0.1:$page_port
RUST_LOG=warn DL_API_ADDR=127.0.0.1:$dl_port DL_API_KEYS=$dl_key target/debug/dl-api >"$work/dl-api.log" 2>&1 &
pids+=($!)
RUST_LOG=warn CRUD_API_ADDR=127.0.0.1:$api_port DATABASE_URL="sqlite://$work/browser.db" IMAGE_DIR="$work/images" \
  MAIL_DIR="$work/mail" PUBLIC_BASE_URL="http://127.0.0.1:$api_port" CORS_ORIGINS="$page" \
  DL_API_URL="http://127.0.0.1:$dl_port" DL_API_KEY="$dl_key" \
  RATE_LIMIT_PER_IP_PER_MIN=0 RATE_LIMIT_PER_ACCOUNT_PER_15MIN=0 RATE_LIMIT_STREAM_TICKETS_PER_MIN=0 \
  target/debug/crud-api >"$work/crud-api.log" 2>&1 &
pids+=($!)
python3 -m http.server --bind 127.0.0.1 --directory clients/browser "$page_port" >"$work/page.log" 2>&1 &
pids+=($!)

for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null && curl -sf "http://127.0.0.1:$dl_port/readyz" >/dev/null &&
    curl -sf "$page/index.html" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null || { cat "$work/crud-api.log" >&2; exit 1; }
curl -sf "http://127.0.0.1:$dl_port/readyz" >/dev/null || { cat "$work/dl-api.log" >&2; exit 1; }

status=0
API=http://127.0.0.1:$api_port DL_API=http://127.0.0.1:$dl_port DL_KEY=$dl_key PAGE=$page CHROMIUM=$chromium \
  node tools/node/browser-test.mjs || status=$?
# A healthy run — dl-api polled for readiness while its models load, every step passing — logs
# no ERROR in either service (each 503 "loading" was an ERROR line, 31 on a first `make run`).
for svc in crud-api dl-api; do
  if grep -q "ERROR" "$work/$svc.log"; then
    echo "FAIL $svc logged ERROR lines on a healthy run:" >&2
    grep "ERROR" "$work/$svc.log" | head -5 >&2
    status=1
  else
    echo "ok   $svc logged no ERROR"
  fi
done
if ((status)); then
  echo "--- crud-api log (tail)" >&2; tail -20 "$work/crud-api.log" >&2
  echo "--- dl-api log (tail)" >&2; tail -20 "$work/dl-api.log" >&2
fi
exit "$status"
