#!/usr/bin/env bash
# Runs scripts/oip-conformance.py (tritonclient[http]) against a live dl-api on a
# free loopback port. The client's venv is cached outside the clone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
venv=$CACHE/venv-tritonclient-2.73.0
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install --quiet --progress-bar off 'tritonclient[http]==2.73.0' 'numpy==2.4.6' 'pillow==12.0.0'
  mv "$venv.tmp" "$venv"
fi
eval "$("$here/fetch-models.sh")"
export ORT_DYLIB_PATH DL_IMAGE_MODEL_DIR DL_TEXT_MODEL_DIR
eval_dir=$("$here/fetch-eval-images.sh")
# The workspace build `make test` made (no features resolved anew: nothing recompiles).
source "$(dirname "$0")/lib/workspace-build.sh"
build_workspace_debug
port=$(free_port)
key=conformance-$RANDOM$RANDOM
admin_key=conformance-admin-$RANDOM$RANDOM
DL_API_ADDR=127.0.0.1:$port DL_API_KEYS=$key DL_ADMIN_API_KEYS=$admin_key "$root/target/debug/dl-api" >"${TMPDIR:-/tmp}/dl-api-oip.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 $pid 2>/dev/null || { cat "${TMPDIR:-/tmp}/dl-api-oip.log"; exit 1; }
  sleep 0.1
done
"$venv/bin/python" "$here/oip-conformance.py" "127.0.0.1:$port" "$key" "$eval_dir/sofa/Scopia-beige_sofa.png" "$admin_key"
