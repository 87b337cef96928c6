#!/usr/bin/env bash
# What `make kind` needs besides Kubernetes itself (scripts/kube-node-tools.sh), each built once
# from the Go module proxy and cached outside the clone (no registry ships them as binaries):
#   kind v0.33.0                       the stock CLI, unmodified (sigs.k8s.io/kind)
#   kube-router v2.1.0                 the node image's CNI: pod routes and NetworkPolicy on
#                                      iptables + ipset (kindnetd's module is not on the proxy,
#                                      and its policy engine needs nftables `queue`, absent here)
#   local-path-provisioner v0.0.30     the default StorageClass, as in kind's own image
#   crictl v1.34.0                     kind (`kind load`) and people inspect nodes with it
#   etcd 3.5.24                        what kubeadm v1.33 deploys (tools/etcd: etcdmain)
# Prints KIND, KUBE_ROUTER_BIN, LOCAL_PATH_PROVISIONER_BIN, CRICTL_BIN, ETCD_BIN for eval.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
source "$(dirname "$0")/lib/go-install.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}

emit "KIND=$(go_install_cached kind sigs.k8s.io/kind v0.33.0)"
emit "KUBE_ROUTER_BIN=$(go_install_cached kube-router github.com/cloudnativelabs/kube-router/v2/cmd/kube-router v2.1.0 \
  "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=v2.1.0")"
emit "LOCAL_PATH_PROVISIONER_BIN=$(go_install_cached local-path-provisioner github.com/rancher/local-path-provisioner v0.0.30)"
emit "CRICTL_BIN=$(go_install_cached crictl sigs.k8s.io/cri-tools/cmd/crictl v1.34.0 \
  "-X sigs.k8s.io/cri-tools/pkg/version.Version=v1.34.0")"

ETCD_VERSION=3.5.24
etcd_dir=$CACHE/etcd-$ETCD_VERSION
etcd_sum=$(cat "$root"/tools/etcd/{go.mod,go.sum,main.go} | sha256sum | cut -c1-16)
if [[ ! -x $etcd_dir/etcd || $(cat "$etcd_dir/etcd.modsum" 2>/dev/null) != "$etcd_sum" ]]; then
  echo "kind-tools: building etcd $ETCD_VERSION from Go modules (first run only)…" >&2
  mkdir -p "$etcd_dir"
  (cd "$root/tools/etcd" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$etcd_dir/etcd.tmp" .)
  mv "$etcd_dir/etcd.tmp" "$etcd_dir/etcd"
  echo "$etcd_sum" >"$etcd_dir/etcd.modsum"
fi
emit "ETCD_BIN=$etcd_dir/etcd"
