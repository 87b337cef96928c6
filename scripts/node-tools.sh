#!/usr/bin/env bash
# Installs the Node test tools (tools/node: oidc-provider, spectral) from the npm registry,
# exactly as locked. Skips the install when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../tools/node"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node-tools: installing Node.js from Debian…" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock-sha256 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.lock-sha256
fi
