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

bins=(target/$PROFILE/crud-api target/$PROFILE/dl-api target/$PROFILE/gajyeogagu-operator)
missing=0
for b in "${bins[@]}"; do [[ -x $b ]] || missing=1; done
if ((missing)); then
  flag=(); [[ $PROFILE == release ]] && flag=(--release)
  [[ $PROFILE == release || $PROFILE == debug ]] || { log "PROFILE must be release or debug"; exit 2; }
  log "building the binaries ($PROFILE)"
  $CARGO build -q "${flag[@]}" -p crud-api -p dl-api -p operator --bin crud-api --bin dl-api --bin gajyeogagu-operator
fi
for w in payment_standard payment_promo recommend_style; do
  [[ -s target/wasm32-wasip2/plugin/$w.wasm ]] || { make -s plugins >/dev/null; break; }
done

# dl-api's runtime files, laid out as its cache dir expects (GAJYEOGAGU_CACHE=/opt/gajyeogagu).
eval "$("$here/fetch-models.sh")"
cache=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
rm -rf target/docker-models
mkdir -p target/docker-models/models
cp -a "$(dirname "$ORT_DYLIB_PATH")" target/docker-models/
# use-multilingual-v3 (71 MB) serves Korean and English in one space: crud-api's hybrid search
# embeds listings and queries with it (dl-api serves it whenever it is in the repository).
cp -a "$cache/models/efficientnet-lite0" "$cache/models/minilm-l6-v2" "$cache/models/use-multilingual-v3" \
  target/docker-models/models/

out=()
for name in crud-api dl-api operator; do
  image=$REGISTRY/gajyeogagu/$name:$TAG
  log "building $image"
  DOCKER_BUILDKIT=1 $DOCKER build -q -f "deploy/docker/$name.Dockerfile" \
    --build-arg BINARIES=prebuilt --build-arg PROFILE="$PROFILE" --build-arg RUNTIME_IMAGE="$BASE_IMAGE" \
    -t "$image" . >/dev/null
  $DOCKER push -q "$image" >/dev/null
  size=$($DOCKER image inspect -f '{{.Size}}' "$image")
  log "pushed $image ($((size / 1024 / 1024)) MiB)"
  var=$(echo "$name" | tr 'a-z-' 'A-Z_')_IMAGE
  out+=("$var=$image")
done
emit "${out[*]}"
