#!/usr/bin/env bash
# A kind node image for Kubernetes v1.33.13, made on this machine: no image registry is
# reachable here, so everything a node runs is built here and imported into the node's
# containerd at build time — the way `kind build node-image` does it (sigs.k8s.io/kind
# pkg/build/nodeimage), scripted because kind's builder fetches every image that is not a
# Kubernetes tarball's, including kindnetd, whose module the Go proxy does not serve.
#
#   base      Debian bookworm (debootstrap, cached tarball) with kind's package list, Debian's
#             containerd 1.6 + runc 1.1 + CNI plugins, ipset; kind v0.33.0's own base files
#             (entrypoint, containerd config, systemd units) from its Go module
#   node      kubeadm, kubelet, kubectl (scripts/kube-node-tools.sh), crictl
#   images    kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd 3.5.24,
#             CoreDNS v1.12.0, pause 3.10.1 (Kubernetes' own pause.c) under the names kubeadm
#             expects; kube-router v2.1.0 (the CNI and NetworkPolicy, /kind/manifests/default-cni
#             .yaml) and local-path-provisioner v0.0.30 (default-storage.yaml) under local names
#
# The image is named by the hash of all its inputs, so a changed input builds a new one and an
# unchanged one is reused (docker image inspect). Prints KIND_NODE_IMAGE=… for eval.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
K8S_VERSION=v1.33.13
KIND_VERSION=v0.33.0
log() { echo "kind-node-image: $*" >&2; }

eval "$("$here/docker-engine.sh")"
eval "$("$here/kube-test-tools.sh")"
eval "$("$here/kube-node-tools.sh")"
eval "$("$here/kind-tools.sh")"
kind_mod=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir)
k8s_mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .Dir)

# --- The Debian root filesystem, cached by its package list (the only network step). ---
ROOTFS_REV=1
PACKAGES=systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,curl,jq,procps,e2fsprogs,containerd,runc,containernetworking-plugins,ipset,busybox-static
rootfs_key=$(echo "$ROOTFS_REV $PACKAGES" | sha256sum | cut -c1-12)
rootfs_tar=$CACHE/images/kind-node-rootfs-$rootfs_key.tar
mkdir -p "$CACHE/images"
if ! [[ -s $rootfs_tar && -s $rootfs_tar.sha256 ]] || ! (cd "$CACHE/images" && sha256sum -c --quiet "$rootfs_tar.sha256"); then
  log "debootstrap bookworm with kind's packages → $rootfs_tar (about a minute)"
  tmp=$(mktemp -d)
  debootstrap --variant=minbase --include="$PACKAGES" bookworm "$tmp" http://deb.debian.org/debian \
    >"$CACHE/images/kind-debootstrap.log" 2>&1 || { tail -20 "$CACHE/images/kind-debootstrap.log" >&2; rm -rf "$tmp"; exit 1; }
  rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin "$tmp"/var/cache/apt/archives/*.deb \
    "$tmp"/usr/share/man/* "$tmp"/usr/share/doc/*
  tar -C "$tmp" --numeric-owner -cf "$rootfs_tar.tmp" .
  rm -rf "$tmp"
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  (cd "$CACHE/images" && sha256sum "$(basename "$rootfs_tar")" >"$rootfs_tar.sha256")
fi

# --- The image's name: a hash of everything that goes into it. ---
bins=("$KUBEADM_BIN" "$KUBELET_BIN" "$KUBECTL_BIN" "$KUBE_APISERVER_BIN" "$KUBE_CONTROLLER_MANAGER_BIN"
  "$KUBE_SCHEDULER_BIN" "$KUBE_PROXY_BIN" "$ETCD_BIN" "$COREDNS_BIN" "$KUBE_ROUTER_BIN"
  "$LOCAL_PATH_PROVISIONER_BIN" "$CRICTL_BIN")
key=$({
  cat "$0" "$rootfs_tar.sha256" "$k8s_mod/build/pause/linux/pause.c" "$root"/deploy/kind/node/*
  echo "$KIND_VERSION"
  sha256sum "${bins[@]}" | cut -d' ' -f1
} | sha256sum | cut -c1-12)
IMAGE=gajyeogagu.local/kind-node:$K8S_VERSION-$key
if $DOCKER image inspect "$IMAGE" >/dev/null 2>&1; then
  emit "KIND_NODE_IMAGE=$IMAGE"
  exit 0
fi
log "building $IMAGE"
work=$(mktemp -d)
builder=kind-node-build-$key
cleanup() {
  $DOCKER rm -f "$builder" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The unmodified root filesystem is also the base of the two images that need iptables, ipset
# and conntrack (kube-proxy, kube-router): one layer, stored once in the node's containerd.
NETBASE=gajyeogagu.local/kind-netbase:$rootfs_key
$DOCKER image inspect "$NETBASE" >/dev/null 2>&1 ||
  $DOCKER import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$rootfs_tar" "$NETBASE" >/dev/null

# --- The node's file system: kind's base image steps (images/base/Dockerfile), on Debian's
# containerd, runc and CNI plugins instead of kind's source builds. ---
r=$work/root
mkdir -p "$r"
tar -C "$r" -xf "$rootfs_tar"
files=$kind_mod/images/base/files
install -m 0755 "$files"/usr/local/bin/* "$r/usr/local/bin/"
mkdir -p "$r/kind/bin" "$r/etc/containerd" "$r/etc/systemd/system/kubelet.service.d" "$r/LICENSES"
install -m 0755 "$files"/kind/bin/* "$r/kind/bin/"
install -m 0644 "$files"/LICENSES/* "$r/LICENSES/"
install -m 0644 "$files"/etc/crictl.yaml "$r/etc/"
install -m 0644 "$files"/etc/default/* "$r/etc/default/"
install -m 0644 "$files"/etc/sysctl.d/* "$r/etc/sysctl.d/"
install -m 0644 "$files"/etc/systemd/system/*.service "$files"/etc/systemd/system/*.slice "$r/etc/systemd/system/"
install -m 0644 "$files"/etc/systemd/system/kubelet.service.d/* "$r/etc/systemd/system/kubelet.service.d/"
# This machine's adaptation (no CAP_SYS_RESOURCE): a no-op on hosts that have it.
install -m 0755 "$root/deploy/kind/node/restrict-oom-score-adj.sh" "$r/kind/bin/"
mkdir -p "$r/etc/systemd/system/containerd.service.d"
install -m 0644 "$root/deploy/kind/node/containerd-host-caps.conf" "$r/etc/systemd/system/containerd.service.d/"
# The sandbox image is the pause this tree builds (Kubernetes v1.33's build/pause is 3.10.1).
sed 's|sandbox_image = .*|sandbox_image = "registry.k8s.io/pause:3.10.1"|' "$files/etc/containerd/config.toml" \
  >"$r/etc/containerd/config.toml"
# kind's units run containerd from /usr/local/bin and the CRI looks for plugins in /opt/cni/bin.
ln -sf /usr/bin/containerd "$r/usr/local/bin/containerd"
ln -sf /usr/bin/ctr "$r/usr/local/bin/ctr"
mkdir -p "$r/opt/cni" && ln -sfn /usr/lib/cni "$r/opt/cni/bin"
rm -f "$r"/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service \
  "$r"/lib/systemd/system/multi-user.target.wants/* "$r"/etc/systemd/system/*.wants/* \
  "$r"/lib/systemd/system/local-fs.target.wants/* "$r"/lib/systemd/system/sockets.target.wants/*udev* \
  "$r"/lib/systemd/system/sockets.target.wants/*initctl* "$r"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$r/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$r/usr/sbin/init"
chroot "$r" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
chroot "$r" systemctl mask systemd-binfmt.service >/dev/null 2>&1
mkdir -p "$r/etc/kubernetes/manifests"
chroot "$r" ctr oci spec |
  jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
  jq 'del(.process.rlimits)' >"$r/etc/containerd/cri-base.json"
install -m 0755 "$KUBEADM_BIN" "$KUBELET_BIN" "$KUBECTL_BIN" "$r/usr/bin/"
install -m 0755 "$CRICTL_BIN" "$r/usr/local/bin/"
echo "$K8S_VERSION" >"$r/kind/version"
mkdir -p "$r/kind/manifests"
install -m 0644 "$root/deploy/kind/node/default-cni.yaml" "$r/kind/manifests/default-cni.yaml"
install -m 0644 "$root/deploy/kind/node/default-storage.yaml" "$r/kind/manifests/default-storage.yaml"
STAGE=gajyeogagu.local/kind-node-stage:$key
tar -C "$r" --numeric-owner -c . | $DOCKER import --change 'ENV container=docker' - "$STAGE" >/dev/null

# --- The images the node runs, as kubeadm and the manifests name them. ---
image() { # tag base file:dest... [-- dockerfile lines]
  local tag=$1 base=$2 ctx
  shift 2
  ctx=$(mktemp -d -p "$work")
  {
    echo "FROM $base"
    while (($#)) && [[ $1 != -- ]]; do
      cp -a "${1%%:*}" "$ctx/"
      echo "COPY $(basename "${1%%:*}") ${1#*:}"
      shift
    done
    [[ ${1:-} == -- ]] && shift
    printf '%s\n' "$@"
  } >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=1 $DOCKER build -q -t "$tag" "$ctx" >/dev/null
  tags+=("$tag")
}
tags=()
path='ENV PATH=/usr/local/bin:/usr/bin:/bin'
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  bin_var=$(echo "$c" | tr 'a-z-' 'A-Z_')_BIN
  image "registry.k8s.io/$c:$K8S_VERSION" scratch "${!bin_var}:/usr/local/bin/$c" -- "$path"
done
image "registry.k8s.io/kube-proxy:$K8S_VERSION" "$NETBASE" "$KUBE_PROXY_BIN:/usr/local/bin/kube-proxy"
image registry.k8s.io/etcd:3.5.24-0 scratch "$ETCD_BIN:/usr/local/bin/etcd" -- "$path"
image registry.k8s.io/coredns/coredns:v1.12.0 scratch "$COREDNS_BIN:/coredns" -- 'ENTRYPOINT ["/coredns"]'
gcc -Os -static -DVERSION=3.10.1 -o "$work/pause" "$k8s_mod/build/pause/linux/pause.c"
image registry.k8s.io/pause:3.10.1 scratch "$work/pause:/pause" -- 'USER 65535:65535' 'ENTRYPOINT ["/pause"]'
image gajyeogagu.local/kube-router:v2.1.0 "$NETBASE" "$KUBE_ROUTER_BIN:/usr/local/bin/kube-router" -- \
  'ENTRYPOINT ["/usr/local/bin/kube-router"]'
image gajyeogagu.local/local-path-provisioner:v0.0.30 scratch \
  "$LOCAL_PATH_PROVISIONER_BIN:/usr/local/bin/local-path-provisioner" -- "$path"
# The helper pod runs the ConfigMap's setup/teardown scripts: sh, mkdir, rm (busybox).
mkdir -p "$work/helper/bin"
cp "$r/usr/bin/busybox" "$work/helper/bin/busybox"
for t in sh mkdir rm; do ln -s busybox "$work/helper/bin/$t"; done
image gajyeogagu.local/local-path-helper:busybox scratch "$work/helper/bin:/bin" -- 'ENV PATH=/bin'

# --- Into the node's containerd, pinned, not unpacked (kind's imageimporter does the same). ---
$DOCKER run -d --name "$builder" --entrypoint sleep --security-opt seccomp=unconfined "$STAGE" infinity >/dev/null
$DOCKER exec -d "$builder" sh -c 'containerd >/var/log/build-containerd.log 2>&1'
for _ in $(seq 50); do $DOCKER exec "$builder" ctr version >/dev/null 2>&1 && break; sleep 0.2; done
$DOCKER save "${tags[@]}" | $DOCKER exec -i "$builder" \
  ctr -n k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests - >/dev/null
$DOCKER exec "$builder" sh -c 'pkill containerd; while pgrep -x containerd >/dev/null; do sleep 0.1; done; rm -f /var/log/build-containerd.log'
$DOCKER commit --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' "$builder" "$IMAGE-commit" >/dev/null
# `docker commit` cannot set STOPSIGNAL; systemd as PID 1 shuts down on SIGRTMIN+3.
printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\n' "$IMAGE-commit" | DOCKER_BUILDKIT=1 $DOCKER build -q -t "$IMAGE" - >/dev/null
$DOCKER rm -f "$builder" >/dev/null
$DOCKER rmi "$IMAGE-commit" "$STAGE" "${tags[@]}" >/dev/null
# Node images of earlier inputs (1.4 GB each) go, unless a cluster still runs one.
for old in $($DOCKER images gajyeogagu.local/kind-node --format '{{.Repository}}:{{.Tag}}'); do
  [[ $old == "$IMAGE" ]] || $DOCKER rmi "$old" >/dev/null 2>&1 || true
done
log "built $IMAGE ($($DOCKER image inspect -f '{{.Size}}' "$IMAGE" | numfmt --to=iec))"
emit "KIND_NODE_IMAGE=$IMAGE"
