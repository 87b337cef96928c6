#!/usr/bin/env bash
# The API as a frontend team meets it: generates a TypeScript client from
# api/crud-api.openapi.json (openapi-typescript types + openapi-fetch), type-checks
# clients/typescript with tsc (strict), and, given a running server's base URL, runs the
# journey in clients/typescript/journey.ts through it. scripts/api-conformance.sh calls it
# with the server it starts (part of `make test`).
#   scripts/ts-client.sh                 generate and type-check only
#   scripts/ts-client.sh http://HOST:PORT  … and run the journey
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/node-tools.sh
bin=$PWD/tools/node/node_modules/.bin
dir=clients/typescript
# The client resolves its packages from the one locked install.
ln -sfn ../../tools/node/node_modules "$dir/node_modules"
rm -rf "$dir/generated" "$dir/dist"
"$bin/openapi-typescript" api/crud-api.openapi.json -o "$dir/generated/schema.d.ts" >&2
"$bin/tsc" -p "$dir"
echo "ts-client: generated and type-checked ($(grep -c '^    "/' "$dir/generated/schema.d.ts") paths)" >&2
if [ $# -gt 0 ]; then
  node "$dir/dist/journey.js" "$1"
fi
