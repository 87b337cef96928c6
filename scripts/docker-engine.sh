#!/usr/bin/env bash
# A Docker engine and a local image registry on this machine, for `make images` and the
# container tests. Installs Debian's docker.io (dockerd 20.10, containerd, runc),
# docker-registry (the CNCF distribution registry), docker-compose and debootstrap when
# missing; starts dockerd when no engine answers (machines without an init system, like CI)
# and the registry on 127.0.0.1:5000 (storage under the cache dir). Prints, for eval:
#   DOCKER=/usr/bin/docker REGISTRY=127.0.0.1:5000
# `scripts/docker-engine.sh stop` stops what this script started.
#
# Debian's own docker client is used on purpose: it runs BuildKit inside dockerd 20.10
# (DOCKER_BUILDKIT=1) without the buildx plugin, so unused Dockerfile stages are skipped.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
STATE=$CACHE/docker
REGISTRY=${REGISTRY:-127.0.0.1:5000}
DOCKER=/usr/bin/docker
log() { echo "docker-engine: $*" >&2; }
mkdir -p "$STATE"

if [[ ${1:-} == stop ]]; then
  for p in registry dockerd; do
    if [[ -s $STATE/$p.pid ]] && kill "$(cat "$STATE/$p.pid")" 2>/dev/null; then
      log "stopped $p"
    fi
    rm -f "$STATE/$p.pid"
  done
  exit 0
fi

need=()
[[ -x /usr/sbin/dockerd && -x $DOCKER ]] || need+=(docker.io)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if ((${#need[@]})); then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  log "installing ${need[*]} (Debian packages)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A host whose root lacks capabilities (this machine: CAP_SYS_RESOURCE) cannot start
# `--privileged` containers, which kind's nodes are: dockerd gets scripts/runc-host-caps.sh as
# its default runtime there (copied out of the clone, which CI deletes). Elsewhere: plain runc.
dockerd_args=()
last=$(cat /proc/sys/kernel/cap_last_cap)
if (( (16#$(awk '/^CapBnd/{print $2}' /proc/self/status) & ((1 << (last + 1)) - 1)) != (1 << (last + 1)) - 1 )); then
  install -m 0755 "$(dirname "$0")/runc-host-caps.sh" "$STATE/runc-host-caps"
  dockerd_args=(--add-runtime "host-caps=$STATE/runc-host-caps" --default-runtime host-caps)
  # An engine this script started earlier without it is restarted (one that an init system
  # runs is left alone: kind will say what fails).
  if $DOCKER info >/dev/null 2>&1 && [[ -s $STATE/dockerd.pid ]] && kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null &&
    [[ $($DOCKER info --format '{{json .Runtimes}}') != *'"host-caps"'* ]]; then
    log "restarting dockerd with the host-caps runtime"
    p=$(cat "$STATE/dockerd.pid")
    kill "$p"
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  fi
fi

if ! $DOCKER info >/dev/null 2>&1; then
  log "starting dockerd (log: $STATE/dockerd.log)"
  nohup /usr/sbin/dockerd "${dockerd_args[@]}" >"$STATE/dockerd.log" 2>&1 &
  echo $! >"$STATE/dockerd.pid"
  for _ in $(seq 60); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.5; done
  $DOCKER info >/dev/null 2>&1 || { log "dockerd did not start; see $STATE/dockerd.log"; tail -5 "$STATE/dockerd.log" >&2; exit 1; }
fi

if ! curl -sf "http://$REGISTRY/v2/" >/dev/null; then
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry.yml" <<YAML
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $STATE/registry }, delete: { enabled: true } }
http: { addr: $REGISTRY }
YAML
  log "starting the image registry on $REGISTRY (storage: $STATE/registry)"
  nohup docker-registry serve "$STATE/registry.yml" >"$STATE/registry.log" 2>&1 &
  echo $! >"$STATE/registry.pid"
  for _ in $(seq 40); do curl -sf "http://$REGISTRY/v2/" >/dev/null && break; sleep 0.25; done
  curl -sf "http://$REGISTRY/v2/" >/dev/null || { log "registry did not start"; tail -5 "$STATE/registry.log" >&2; exit 1; }
fi

emit "DOCKER=$DOCKER REGISTRY=$REGISTRY"
