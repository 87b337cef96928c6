#!/usr/bin/env bash
# Kubernetes v1.33.13 for the kind node image (scripts/kind-node-image.sh), built once from the Go
# module proxy and cached outside the clone (no registry ships them as binaries): kubeadm,
# kubelet and kubectl for the node, kube-controller-manager, kube-scheduler and kube-proxy for
# its images, pinned by tools/kube-node/go.mod + go.sum (staging modules replaced by their
# v0.33.13 releases, as for kube-apiserver), and CoreDNS v1.12.0 — the version kubeadm v1.33
# deploys — with only the plugins kubeadm's Corefile uses (tools/coredns). Static (CGO off).
# Prints KUBEADM_BIN, KUBELET_BIN, KUBECTL_BIN, KUBE_CONTROLLER_MANAGER_BIN, KUBE_SCHEDULER_BIN,
# KUBE_PROXY_BIN, COREDNS_BIN. A second run takes a second.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
K8S_VERSION=v1.33.13
dir=$CACHE/kube-$K8S_VERSION
mod_sum=$(cat "$root/tools/kube-node/go.mod" "$root/tools/kube-node/go.sum" | sha256sum | cut -c1-16)
mkdir -p "$dir"
components=(kubeadm kubelet kubectl kube-controller-manager kube-scheduler kube-proxy)
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=33 -X $p.gitTreeState=clean"
done
for c in "${components[@]}"; do
  if [[ ! -x $dir/$c || $(cat "$dir/$c.modsum" 2>/dev/null) != "$mod_sum" ]]; then
    command -v go >/dev/null || { echo "kube-node-tools: Go is needed to build $c" >&2; exit 1; }
    echo "kube-node-tools: building $c $K8S_VERSION from Go modules (first run only)…" >&2
    (cd "$root/tools/kube-node" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ld" \
      -o "$dir/$c.tmp" "k8s.io/kubernetes/cmd/$c")
    mv "$dir/$c.tmp" "$dir/$c"
    echo "$mod_sum" >"$dir/$c.modsum"
  fi
done
coredns_sum=$(cat "$root"/tools/coredns/{go.mod,go.sum,main.go} | sha256sum | cut -c1-16)
if [[ ! -x $dir/coredns || $(cat "$dir/coredns.modsum" 2>/dev/null) != "$coredns_sum" ]]; then
  echo "kube-node-tools: building CoreDNS from Go modules (first run only)…" >&2
  (cd "$root/tools/coredns" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$dir/coredns.tmp" .)
  mv "$dir/coredns.tmp" "$dir/coredns"
  echo "$coredns_sum" >"$dir/coredns.modsum"
fi
for c in "${components[@]}" coredns; do
  var=$(echo "$c" | tr 'a-z-' 'A-Z_')_BIN
  emit "$var=$dir/$c"
done
