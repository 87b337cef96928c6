#!/usr/bin/env bash
# A real Kubernetes API server for the operator's integration tests, built once and cached
# outside the clone (no registry ships kube-apiserver binaries):
#   kube-apiserver v1.33.13 — `go build` of k8s.io/kubernetes/cmd/kube-apiserver from the
#       Go module proxy, pinned by tools/kube-apiserver/go.mod + go.sum (every k8s.io staging
#       module replaced by its published v0.33.13); ~10 minutes on 2 cores the first time;
#   etcd 3.4.23 — Debian's etcd-server package, downloaded (not installed), sha256-checked.
# Prints KUBE_APISERVER_BIN and ETCD_BIN. A second run takes a second.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
K8S_VERSION=v1.33.13
ETCD_DEB_VERSION=3.4.23-4+b4
ETCD_DEB_SHA=3a9445d4560ad6de1c375756b2a17d97713df44cbd20a658c871fe108af7ef5d
dir=$CACHE/kube-$K8S_VERSION
mod_sum=$(cat "$root/tools/kube-apiserver/go.mod" "$root/tools/kube-apiserver/go.sum" | sha256sum | cut -c1-16)
mkdir -p "$dir"

if [[ ! -x $dir/kube-apiserver || $(cat "$dir/kube-apiserver.modsum" 2>/dev/null) != "$mod_sum" ]]; then
  command -v go >/dev/null || { echo "kube-test-tools: Go is needed to build kube-apiserver (apt-get install golang)" >&2; exit 1; }
  echo "kube-test-tools: building kube-apiserver $K8S_VERSION from Go modules (first run only, ~10 min)…" >&2
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=33 -X $p.gitTreeState=clean"
  done
  (cd "$root/tools/kube-apiserver" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ld" \
    -o "$dir/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$dir/kube-apiserver.tmp" "$dir/kube-apiserver"
  echo "$mod_sum" >"$dir/kube-apiserver.modsum"
fi

if [[ ! -x $dir/etcd ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "kube-test-tools: apt-get download etcd-server=$ETCD_DEB_VERSION" >&2
  (cd "$work" && { apt-get download -q "etcd-server=$ETCD_DEB_VERSION" 2>/dev/null ||
    { apt-get update -qq && apt-get download -q "etcd-server=$ETCD_DEB_VERSION"; }; })
  deb=$(ls "$work"/etcd-server_*.deb)
  [[ $(sha256sum "$deb" | cut -d' ' -f1) == "$ETCD_DEB_SHA" ]] || { echo "kube-test-tools: etcd-server checksum mismatch" >&2; exit 1; }
  dpkg-deb -x "$deb" "$work/x"
  install -m 0755 "$work/x/usr/bin/etcd" "$dir/etcd"
fi
emit "KUBE_APISERVER_BIN=$dir/kube-apiserver"
emit "ETCD_BIN=$dir/etcd"
