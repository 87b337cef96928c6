#!/usr/bin/env bash
# The JavaScript and Python toolchains for strategy plugins, from the registries, cached outside
# the clone by version: componentize-py from PyPI, componentize-js from npm (exactly as locked in
# tools/plugin-js). Prints where their commands are, for `plugin-runner build`:
#   COMPONENTIZE_PY=…/bin/componentize-py
#   COMPONENTIZE_JS=…/node_modules/.bin/componentize-js
# (`eval "$(scripts/plugin-langs.sh)"` and export them, or put them on PATH.)
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
cd "$(dirname "$0")/.."
PY_VERSION=0.25.1
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gajyeogagu

py=$cache/venv-componentize-py-$PY_VERSION
if [ ! -x "$py/bin/componentize-py" ]; then
  echo "plugin-langs: installing componentize-py $PY_VERSION into $py" >&2
  rm -rf "$py"
  python3 -m venv "$py"
  "$py/bin/pip" install -q "componentize-py==$PY_VERSION"
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "plugin-langs: installing Node.js from Debian…" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
lock=tools/plugin-js/package-lock.json
js=$cache/componentize-js-$(sha256sum "$lock" | cut -c1-16)
if [ ! -x "$js/node_modules/.bin/componentize-js" ]; then
  echo "plugin-langs: installing componentize-js into $js" >&2
  rm -rf "$js"
  mkdir -p "$js"
  cp tools/plugin-js/package.json "$lock" "$js/"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

emit "COMPONENTIZE_PY=$py/bin/componentize-py"
emit "COMPONENTIZE_JS=$js/node_modules/.bin/componentize-js"
