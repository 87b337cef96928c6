#!/usr/bin/env bash
# A three-node kind cluster, Kubernetes v1.33.13: the stock kind v0.33.0 CLI on the node image
# made here (scripts/kind-node-image.sh) with deploy/kind/cluster.yaml — one control plane, a CPU
# worker and a "GPU" worker (label, taint and `nvidia.com/gpu: 1` in its status; no GPU, no device
# plugin). The models this machine fetched (make models) are mounted read-only in every node at
# /gajyeogagu/models, the way kind users share host files (extraMounts).
#
#   scripts/kind.sh up        idempotent; prints `export KUBECONFIG=…`
#   scripts/kind.sh down      deletes the cluster and its docker network: no container is left
#   scripts/kind.sh env       prints `export KUBECONFIG=…` for a running cluster
#   scripts/kind.sh load IMG… `kind load docker-image` into every node (skips what a node has)
#
# State (the kubeconfig, the rendered config) lives in $GAJYEOGAGU_CACHE/kind.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
STATE=$CACHE/kind
NAME=${KIND_CLUSTER_NAME:-gajyeogagu}
GPU_NODE=$NAME-worker2
log() { echo "kind: $*" >&2; }
die() { log "$*"; exit 1; }
mkdir -p "$STATE"
export KUBECONFIG=$STATE/kubeconfig

eval "$("$here/docker-engine.sh")"
eval "$("$here/kind-tools.sh")"
eval "$("$here/kube-node-tools.sh")"
kubectl() { "$KUBECTL_BIN" "$@"; }
running() { $KIND get clusters 2>/dev/null | grep -qx "$NAME"; }

case ${1:-up} in
up) ;;
env)
  running || die "no kind cluster $NAME: run make kind"
  emit "export KUBECONFIG=$KUBECONFIG"
  exit 0
  ;;
down)
  if running; then $KIND delete cluster --name "$NAME" >&2; fi
  # kind keeps its `kind` network for the next cluster; nothing of ours may stay behind.
  if $DOCKER network inspect kind >/dev/null 2>&1 &&
    [[ $($DOCKER network inspect kind -f '{{len .Containers}}') == 0 ]]; then
    $DOCKER network rm kind >/dev/null
  fi
  rm -f "$KUBECONFIG" "$STATE/created-from"
  log "deleted: no node container or kind network is left"
  exit 0
  ;;
load)
  shift
  running || die "no kind cluster $NAME: run make kind"
  out=$(mktemp)
  for img in "$@"; do
    $KIND load docker-image --name "$NAME" "$img" >"$out" 2>&1 || { cat "$out" >&2; rm -f "$out"; exit 1; }
  done
  rm -f "$out"
  exit 0
  ;;
*) die "usage: kind.sh up|down|env|load IMAGE…" ;;
esac

eval "$("$here/kind-node-image.sh")"
models=$CACHE/models
mkdir -p "$models"
config=$STATE/cluster.yaml
# The cluster file, with this machine's model directory mounted into every node.
python3 - "$root/deploy/kind/cluster.yaml" "$models" >"$config" <<'PY'
import sys
src, models = sys.argv[1], sys.argv[2]
mount = (f"    extraMounts:\n      - hostPath: {models}\n"
         "        containerPath: /gajyeogagu/models\n        readOnly: true\n")
out = []
for line in open(src):
    out.append(line)
    if line.startswith("  - role: "):
        out.append(mount)
sys.stdout.write("".join(out))
PY

# A cluster made from another node image or another cluster file is made again.
created_from=$(cat "$config" <(echo "$KIND_NODE_IMAGE") | sha256sum | cut -c1-16)
if running && [[ $(cat "$STATE/created-from" 2>/dev/null) != "$created_from" ]]; then
  log "the cluster was made from another node image or cluster file: recreating it"
  $KIND delete cluster --name "$NAME" >&2
fi
if ! running; then
  started=$(date +%s)
  log "creating $NAME (1 control plane, 2 workers) on $KIND_NODE_IMAGE"
  $KIND create cluster --name "$NAME" --image "$KIND_NODE_IMAGE" --config "$config" \
    --kubeconfig "$KUBECONFIG" --wait 5m >&2
  echo "$created_from" >"$STATE/created-from"
  log "created in $(($(date +%s) - started)) s"
fi
kubectl wait --for=condition=Ready nodes --all --timeout=180s >/dev/null
# The GPU node's extended resource, as a device plugin would advertise it. The kubelet keeps
# an extended resource no plugin manages (it zeroes only those of plugins that went away).
kubectl patch node "$GPU_NODE" --subresource=status --type=merge \
  -p '{"status":{"capacity":{"nvidia.com/gpu":"1"}}}' >/dev/null
for _ in $(seq 30); do
  [[ $(kubectl get node "$GPU_NODE" -o jsonpath='{.status.allocatable.nvidia\.com/gpu}') == 1 ]] && break
  sleep 1
done
kubectl -n kube-system rollout status ds/kube-router --timeout=180s >/dev/null
kubectl -n kube-system rollout status deploy/coredns --timeout=180s >/dev/null
# kube-router's DaemonSet is ready before its BGP sessions have carried every route: pod traffic
# across nodes (a Service on another node's pod) fails until each node routes every other
# node's pod CIDR. Wait for exactly that.
routes_complete() {
  local node other cidr
  while read -r node; do
    while read -r other cidr; do
      [[ $other == "$node" ]] && continue
      [[ -n $($DOCKER exec "$node" ip route show "$cidr") ]] || return 1
    done < <(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR}{"\n"}{end}')
  done < <(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
}
for _ in $(seq 90); do routes_complete && break; sleep 1; done
routes_complete || die "kube-router did not route every node's pod CIDR within 90 s (kubectl -n kube-system logs ds/kube-router)"
emit "export KUBECONFIG=$KUBECONFIG"
