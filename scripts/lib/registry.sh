# Sourced by the image scripts: the local registry (scripts/docker-engine.sh sets DOCKER and
# REGISTRY) as a cache of small images built here.

# registry_has REF — the registry already holds REF (host:port/name:tag).
registry_has() {
  local path=${1#*/}
  curl -sf "http://${1%%/*}/v2/${path%:*}/manifests/${path##*:}" \
    -H 'accept: application/vnd.docker.distribution.manifest.v2+json' >/dev/null
}

# build_and_push REF CONTEXT_DIR — build CONTEXT_DIR's Dockerfile as REF and push it.
build_and_push() {
  DOCKER_BUILDKIT=1 $DOCKER build -q -t "$1" "$2" >/dev/null
  $DOCKER push -q "$1" >/dev/null
}
