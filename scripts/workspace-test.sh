#!/usr/bin/env bash
# Runs one integration-test executable of the workspace build `make test` made (see
# scripts/lib/workspace-build.sh), in its package's directory as `cargo test` would:
#
#   scripts/workspace-test.sh crud-api api [test args…]   # = cargo test -p crud-api --test api
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib/workspace-build.sh
dir=$1 test=$2
shift 2
exe=$(workspace_test_binary "$dir" "$test")
cd "$dir"
exec "$exe" "$@"
