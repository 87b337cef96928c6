#!/usr/bin/env bash
# `make run`: dl-api on :8002 in the background, crud-api on :8001 in the foreground, on
# the embedded defaults (SQLite under ./data, demo listings with furniture photos that
# the worker sends through dl-api). Ctrl-C stops both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$(dirname "$here")"
CARGO=${CARGO:-cargo}

eval "$("$here/fetch-models.sh")"
export ORT_DYLIB_PATH DL_IMAGE_MODEL_DIR DL_TEXT_MODEL_DIR
export DEMO_IMAGES_DIR=${DEMO_IMAGES_DIR:-$("$here/fetch-eval-images.sh")}

mkdir -p data
# The internal key between the two services: generated once, kept out of the logs.
if [[ -z ${DL_API_KEY:-} ]]; then
  [[ -s data/dl-api-key ]] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >data/dl-api-key)
  DL_API_KEY=$(cat data/dl-api-key)
fi

$CARGO build -q -p dl-api -p crud-api
DL_API_ADDR=${DL_API_ADDR:-127.0.0.1:8002} DL_API_KEYS=$DL_API_KEY target/debug/dl-api &
dl_pid=$!
trap 'kill $dl_pid 2>/dev/null || true; wait $dl_pid 2>/dev/null || true' EXIT INT TERM

export DL_API_URL=${DL_API_URL:-http://127.0.0.1:8002} DL_API_KEY
export DATABASE_URL=${DATABASE_URL:-sqlite://data/gajyeogagu.db}
export DEMO_DATA=${DEMO_DATA:-true}
export PLUGINS_CONFIG=${PLUGINS_CONFIG:-plugins/demo/plugins.json}
# A frontend's dev server on the usual ports may call the API from the browser.
export CORS_ORIGINS=${CORS_ORIGINS:-http://localhost:3000,http://127.0.0.1:3000,http://localhost:5173,http://127.0.0.1:5173,http://localhost:8080,http://127.0.0.1:8080}
target/debug/crud-api
