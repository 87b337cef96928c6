#!/usr/bin/env bash
# The compose deployment, for real: `docker-compose -f deploy/compose/docker-compose.cpu.yaml
# up` with the images `make images` built (packaged from this host's binaries), a PostgreSQL
# image made from Debian packages, throwaway secrets, and both services published on
# 127.0.0.1 only. Checks that every service runs as non-root on a read-only root file system,
# that both become ready, a smoke request through each (crud-api answering from PostgreSQL,
# dl-api embedding text with its API key), then tears everything down (volumes included).
#   PROFILE=debug scripts/compose-e2e.sh     (what `make test` runs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
eval "$("$here/docker-engine.sh")"
eval "$("$here/base-images.sh")"
eval "$("$here/images.sh")"
export CRUD_API_IMAGE DL_API_IMAGE
log() { echo "compose-e2e: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

eval "$("$here/postgres-image.sh")"
export POSTGRES_IMAGE

work=$(mktemp -d)
project=gajyeogagu-e2e-$$
compose=(docker-compose -p "$project" -f deploy/compose/docker-compose.cpu.yaml)
cleanup() {
  DOCKER_HOST=${DOCKER_HOST:-} "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

export COMPOSE_SECRETS_DIR=$work
openssl genpkey -algorithm ed25519 -out "$work/jwt_signing_key.pem" 2>/dev/null
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/dl_api_key"
chmod 644 "$work/jwt_signing_key.pem" "$work/dl_api_key" # read by uid 65532 in the containers
export POSTGRES_PASSWORD=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
crud_port=$(free_port)
dl_port=$(free_port)
export CRUD_API_PUBLISH=127.0.0.1:$crud_port DL_API_PUBLISH=127.0.0.1:$dl_port
# The address clients use, which the answers' absolute photo URLs are built from.
export PUBLIC_BASE_URL=http://127.0.0.1:$crud_port

log "up (project $project; crud-api on 127.0.0.1:$crud_port, dl-api on 127.0.0.1:$dl_port)"
"${compose[@]}" up -d --no-build >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "compose up"; }

wait_ready() { # name url
  for _ in $(seq 240); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$2") == 200 ]] && return 0
    sleep 0.5
  done
  "${compose[@]}" logs --tail 30 "$1" >&2 || true
  fail "$1 never became ready at $2"
}
wait_ready dl-api "http://127.0.0.1:$dl_port/readyz"
wait_ready crud-api "http://127.0.0.1:$crud_port/readyz"
log "both ready"

for svc in crud-api dl-api; do
  id=$("${compose[@]}" ps -q "$svc")
  uid=$($DOCKER exec "$id" sh -c 'id -u' 2>/dev/null || $DOCKER inspect -f '{{.Config.User}}' "$id")
  [[ ${uid%%:*} == 65532 ]] || fail "$svc runs as uid $uid, not 65532"
  [[ $($DOCKER inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$id") == true ]] || fail "$svc root file system is writable"
  if $DOCKER exec "$id" sh -c 'touch /usr/local/bin/x' 2>/dev/null; then fail "$svc could write to its root file system"; fi
done
log "both run as uid 65532 on read-only root file systems"

crud=http://127.0.0.1:$crud_port
ready=$(curl -s "$crud/readyz")
grep -q '"backend":"postgres"' <<<"$ready" || fail "crud-api is not on PostgreSQL: $ready"
code=$(curl -s -o "$work/signup.json" -w '%{http_code}' -X POST "$crud/api/v1/auth/signup" \
  -H 'content-type: application/json' -d '{"email":"compose@example.com","password":"correct-horse-1","name":"컴포즈"}')
[[ $code == 201 ]] || fail "sign-up answered $code: $(cat "$work/signup.json")"
curl -s -G "$crud/api/v1/products" --data-urlencode 'q=소파' --data-urlencode 'limit=5' >"$work/found.json"
found=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' <"$work/found.json")
((found > 0)) || fail "searching 소파 found nothing in the demo data"
# Answers give absolute URLs built from PUBLIC_BASE_URL (the compose file passes it through).
token=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["access_token"])' <"$work/signup.json")
stream=$(curl -s -X POST "$crud/api/v1/notifications/stream-ticket" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin).get("stream_url", ""))')
[[ $stream == "$crud/api/v1/notifications/stream?ticket="* ]] || fail "stream_url is not on the published address: $stream"
log "crud-api: sign-up 201, search 소파 → $found listings, stream_url on the published address"
# Swagger UI's files are inside the binaries, also the debug ones packaged here: without
# rust-embed's debug-embed they were read at run time from the build directory of whichever
# clone first compiled them — absent in a container, and gone once that clone was deleted.
for svc in "$crud" "http://127.0.0.1:$dl_port"; do
  for asset in /docs/ /docs/swagger-ui-bundle.js; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$svc$asset")
    [[ $code == 200 ]] || fail "$svc$asset answered $code in the container (Swagger UI not embedded)"
  done
done
log "Swagger UI served by both containers (its files embedded in the binaries)"

key=$(cat "$work/dl_api_key")
code=$(curl -s -o "$work/embed.json" -w '%{http_code}' -X POST "http://127.0.0.1:$dl_port/v1/embed/text" \
  -H "authorization: Bearer $key" -H 'content-type: application/json' -d '{"texts":["가죽 소파"]}')
[[ $code == 200 ]] || fail "dl-api embed answered $code: $(head -c 300 "$work/embed.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$dl_port/v1/embed/text" \
  -H 'content-type: application/json' -d '{"texts":["no key"]}')
[[ $code == 401 ]] || fail "dl-api without a key answered $code"
log "dl-api: embed 200 with the key, 401 without"

# The operator's image has no compose service (it needs a cluster): it must at least start,
# as non-root, on a read-only root file system.
$DOCKER run --rm --read-only "$OPERATOR_IMAGE" --help >"$work/operator-help.txt" 2>&1 ||
  fail "the operator image does not start: $(head -c 300 "$work/operator-help.txt")"
[[ $($DOCKER image inspect -f '{{.Config.User}}' "$OPERATOR_IMAGE") == 65532:65532 ]] || fail "operator image user"
log "operator image starts as 65532 on a read-only root file system"
log "passed"
