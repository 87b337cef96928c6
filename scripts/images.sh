#!/usr/bin/env bash
# `make images`: the three images from deploy/docker/*.Dockerfile, pushed to the local
# registry (127.0.0.1:5000) the way kind users work with a local registry.
#
# Here the Dockerfiles run with RUNTIME_IMAGE set to the base made from Debian packages
# (scripts/base-images.sh) and BINARIES=prebuilt: they package the binaries already built on
# this host (target/$PROFILE, default release) instead of compiling the workspace again, and
# dl-api's models from the host's cache. Elsewhere, a plain `docker build` of the same files
# compiles from source on the upstream images.
#
#   PROFILE=debug scripts/images.sh     # package the debug binaries `make test` built
#   TAG=dev (default)
# Prints, for eval: CRUD_API_IMAGE=… DL_API_IMAGE=… OPERATOR_IMAGE=…
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
PROFILE=${PROFILE:-release}
TAG=${TAG:-dev}
CARGO=${CARGO:-cargo}
eval "$("$here/docker-engine.sh")"
eval "$("$here/base-images.sh")"
log() { echo "images: $*" >&2; }

# Always through Cargo (a no-op when fresh): binaries left in target/ by an earlier build — or
# by another clone sharing the compile cache — are never packaged stale. The debug binaries are
# built by the same invocation as `make test`'s (scripts/lib/workspace-build.sh): nothing
# compiles twice.
case $PROFILE in
  debug) log "building the binaries (debug, the test build)"; source "$here/lib/workspace-build.sh"; build_workspace_debug ;;
  release) log "building the binaries (release)"
    $CARGO build -q --release -p crud-api -p dl-api -p operator --bin crud-api --bin dl-api --bin gajyeogagu-operator ;;
  *) log "PROFILE must be release or debug"; exit 2 ;;
esac
for w in payment_standard payment_promo recommend_style; do
  [[ -s target/wasm32-wasip2/plugin/$w.wasm ]] || { make -s plugins >/dev/null; break; }
done

# dl-api's runtime files, laid out as its cache dir expects (GAJYEOGAGU_CACHE=/opt/gajyeogagu).
eval "$("$here/fetch-models.sh")"
cache=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
# The build context: only what the prebuilt stages COPY, as real files in a directory of its
# own (target/ may be a link into the compile cache, which a context cannot follow), hard-linked
# where the file system allows (the models are ~200 MB).
context=$(mktemp -d "${TMPDIR:-/tmp}/gajyeogagu-image-context.XXXXXX")
trap 'rm -rf "$context"' EXIT
stage() { mkdir -p "$context/$(dirname "$2")"; cp -aL --link "$1" "$context/$2" 2>/dev/null || cp -aL "$1" "$context/$2"; }
for bin in crud-api dl-api gajyeogagu-operator; do stage "target/$PROFILE/$bin" "target/$PROFILE/$bin"; done
for w in payment_standard payment_promo recommend_style; do
  stage "target/wasm32-wasip2/plugin/$w.wasm" "target/wasm32-wasip2/plugin/$w.wasm"
done
stage "$(dirname "$ORT_DYLIB_PATH")" "target/docker-models/$(basename "$(dirname "$ORT_DYLIB_PATH")")"
# use-multilingual-v3 (71 MB) serves Korean and English in one space: crud-api's hybrid search
# embeds listings and queries with it (dl-api serves it whenever it is in the repository).
for model in efficientnet-lite0 minilm-l6-v2 use-multilingual-v3; do
  stage "$cache/models/$model" "target/docker-models/models/$model"
done

out=()
for name in crud-api dl-api operator; do
  image=$REGISTRY/gajyeogagu/$name:$TAG
  log "building $image"
  before=$($DOCKER image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  DOCKER_BUILDKIT=1 $DOCKER build -q -f "deploy/docker/$name.Dockerfile" \
    --build-arg BINARIES=prebuilt --build-arg PROFILE="$PROFILE" --build-arg RUNTIME_IMAGE="$BASE_IMAGE" \
    -t "$image" "$context" >/dev/null
  # The image this tag named before is left untagged by the build: remove it, or every `make
  # test` leaves ~750 MB behind (it filled this machine's disk). One still in use stays.
  if [[ -n $before && $before != $($DOCKER image inspect -f '{{.Id}}' "$image") ]]; then
    $DOCKER rmi "$before" >/dev/null 2>&1 || true
  fi
  $DOCKER push -q "$image" >/dev/null
  size=$($DOCKER image inspect -f '{{.Size}}' "$image")
  log "pushed $image ($((size / 1024 / 1024)) MiB)"
  var=$(echo "$name" | tr 'a-z-' 'A-Z_')_IMAGE
  out+=("$var=$image")
done
emit "${out[*]}"
