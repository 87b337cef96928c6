#!/usr/bin/env bash
# PostgreSQL 15 from Debian packages (deploy/docker/postgres-local.Dockerfile) on the base made
# here — for the compose files and the kind demo, where `postgres:15-bookworm` can't be pulled.
# Built each time (BuildKit's cache makes a repeat ~1 s, and a changed Dockerfile is never
# missed) as gajyeogagu.local/postgres:15, the name kustomize/overlays/kind-demo uses; the
# image that tag named before is removed. Prints, for eval:
#   POSTGRES_IMAGE=gajyeogagu.local/postgres:15
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
eval "$("$here/docker-engine.sh")"
eval "$("$here/base-images.sh")"
IMAGE=gajyeogagu.local/postgres:15
before=$($DOCKER image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
DOCKER_BUILDKIT=1 $DOCKER build -q -f "$here/../deploy/docker/postgres-local.Dockerfile" \
  --build-arg RUNTIME_IMAGE="$BASE_IMAGE" -t "$IMAGE" "$here/.." >/dev/null
if [[ -n $before && $before != $($DOCKER image inspect -f '{{.Id}}' "$IMAGE") ]]; then
  $DOCKER rmi "$before" >/dev/null 2>&1 || true
fi
emit "POSTGRES_IMAGE=$IMAGE"
