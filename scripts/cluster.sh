#!/usr/bin/env bash
# A real single-node Kubernetes 1.33 cluster on this machine, from parts built or taken here:
# etcd (Debian) and kube-apiserver (scripts/kube-test-tools.sh), kubelet, kube-controller-manager,
# kube-scheduler and kube-proxy (scripts/kube-node-tools.sh, Go modules), containerd + runc +
# the CNI plugins (Debian packages; a containerd instance of its own, with the CRI plugin on),
# and a pause image built from tools/pause/pause.c. Pods get 10.244.0.0/24 on the bridge `gjg0`;
# Services 10.96.0.0/16. Images are pulled from the local registry on 127.0.0.1:5000.
#
#   scripts/cluster.sh up      idempotent; prints `export KUBECONFIG=…`
#   scripts/cluster.sh down    stops every process, unmounts and removes the state
#   scripts/cluster.sh env     prints `export KUBECONFIG=…` for a running cluster
#
# State lives in $GAJYEOGAGU_CACHE/cluster (certificates, etcd, containerd, kubelet).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
STATE=$CACHE/cluster
RUN=/run/gajyeogagu-cluster
NODE=gajyeogagu-node
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
BRIDGE=gjg0
log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }
[[ $(id -u) -eq 0 ]] || die "the kubelet and containerd need root"

kubeconfig_line() { echo "export KUBECONFIG=$STATE/admin.kubeconfig"; }

stop_pid() { # name
  local f=$STATE/pids/$1.pid
  [[ -s $f ]] || return 0
  local p
  p=$(cat "$f")
  if kill "$p" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}

down() {
  log "stopping the cluster"
  stop_pid kubelet
  if [[ -S $RUN/containerd.sock ]]; then
    # Every pod's containers, then their sandboxes: nothing may outlive containerd.
    for t in $(ctr -a "$RUN/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$RUN/containerd.sock" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    done
    sleep 1
    for t in $(ctr -a "$RUN/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$RUN/containerd.sock" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1 || true
    done
  fi
  for p in kube-proxy kube-scheduler kube-controller-manager containerd kube-apiserver etcd; do stop_pid "$p"; done
  # Shims left by a crash of containerd.
  pkill -9 -f "containerd-shim-runc-v2 -namespace k8s.io .*-address $RUN/containerd.sock" 2>/dev/null || true
  if [[ -x $STATE/bin/kube-proxy ]]; then "$STATE/bin/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  # Mounts made by the kubelet (volumes), containerd (rootfs snapshots, shm) and the CNI (netns).
  for dir in "$STATE" "$RUN"; do
    { grep -F " $dir/" /proc/self/mounts || true; } | awk '{print $2}' | sort -r | while read -r m; do
      umount -l "$(printf '%b' "$m")" 2>/dev/null || true
    done
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/{print $1}' || true); do ip netns del "$ns" 2>/dev/null || true; done
  # Chains the kubelet, kube-proxy and the CNI plugins made (KUBE-*, CNI-*); Docker's stay.
  for t in iptables ip6tables; do
    if $t-save 2>/dev/null | grep -q 'KUBE-\|CNI-'; then
      $t-save | grep -v 'KUBE-\|CNI-' | $t-restore || true
    fi
  done
  rm -rf "$RUN" "$STATE/etcd" "$STATE/containerd" "$STATE/kubelet" "$STATE/pids" "$STATE/cni-state"
  log "stopped; no process or mount of the cluster is left"
}

case ${1:-up} in
down) down; exit 0 ;;
env) [[ -s $STATE/admin.kubeconfig ]] || die "no cluster: run make cluster"; kubeconfig_line; exit 0 ;;
up) ;;
*) die "usage: cluster.sh up|down|env" ;;
esac

# ---- parts ----------------------------------------------------------------------------------
need=()
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
[[ -x /usr/lib/cni/bridge ]] || need+=(containernetworking-plugins)
command -v iptables >/dev/null || need+=(iptables)
command -v conntrack >/dev/null || need+=(conntrack)
command -v openssl >/dev/null || need+=(openssl)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
if ((${#need[@]})); then
  log "installing ${need[*]} (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
eval "$("$here/kube-test-tools.sh")"
eval "$("$here/kube-node-tools.sh")"
eval "$("$here/docker-engine.sh")"
source "$here/lib/registry.sh"
mkdir -p "$STATE/bin" "$STATE/pids" "$STATE/logs" "$RUN"
for b in "$KUBE_APISERVER_BIN" "$ETCD_BIN" "$KUBELET_BIN" "$KUBE_CONTROLLER_MANAGER_BIN" "$KUBE_SCHEDULER_BIN" "$KUBE_PROXY_BIN"; do
  ln -sf "$b" "$STATE/bin/"
done
HOST_IP=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}')
[[ -n $HOST_IP ]] || HOST_IP=$(hostname -I | awk '{print $1}')

# The pause image (the pod sandbox), static, FROM scratch, in the local registry.
PAUSE_IMAGE=$REGISTRY/gajyeogagu/pause:3.10
if ! registry_has "$PAUSE_IMAGE"; then
  log "building $PAUSE_IMAGE"
  ctx=$(mktemp -d)
  gcc -Os -static -o "$ctx/pause" "$here/../tools/pause/pause.c"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
  build_and_push "$PAUSE_IMAGE" "$ctx"
  rm -rf "$ctx"
fi

# ---- certificates and kubeconfigs (once) -----------------------------------------------------
pki=$STATE/pki
# Certificates name this machine's address: a new machine (or address) gets new ones.
if [[ ! -s $pki/admin.crt || $(cat "$pki/host-ip" 2>/dev/null) != "$HOST_IP" ]]; then
  log "creating the cluster's CA and certificates"
  rm -rf "$pki"
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=gajyeogagu-ca" 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    cert() { # name subject [san]
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      local ext=/dev/null
      if [[ -n ${3:-} ]]; then ext=$1.ext; printf 'subjectAltName=%s\n' "$3" >"$ext"; fi
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$ext" 2>/dev/null
      rm -f "$1.csr"
    }
    cert apiserver "/CN=kube-apiserver" \
      "IP:127.0.0.1,IP:$HOST_IP,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    cert kubelet-serving "/CN=$NODE" "IP:$HOST_IP,IP:127.0.0.1,DNS:$NODE"
    cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
    cert admin "/O=system:masters/CN=gajyeogagu-admin"
    cert kubelet "/O=system:nodes/CN=system:node:$NODE"
    cert controller-manager "/CN=system:kube-controller-manager"
    cert scheduler "/CN=system:kube-scheduler"
    cert proxy "/CN=system:kube-proxy"
    echo "$HOST_IP" >host-ip
  )
  for who in admin kubelet controller-manager scheduler proxy; do
    cat >"$STATE/$who.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{ name: gajyeogagu, cluster: { server: "https://127.0.0.1:6443", certificate-authority: "$pki/ca.crt" } }]
users: [{ name: $who, user: { client-certificate: "$pki/$who.crt", client-key: "$pki/$who.key" } }]
contexts: [{ name: gajyeogagu, context: { cluster: gajyeogagu, user: $who } }]
current-context: gajyeogagu
EOF
  done
fi

running() { [[ -s $STATE/pids/$1.pid ]] && kill -0 "$(cat "$STATE/pids/$1.pid")" 2>/dev/null; }
start() { # name command...
  local name=$1
  shift
  running "$name" && return 0
  log "starting $name (log: $STATE/logs/$name.log)"
  nohup "$@" >"$STATE/logs/$name.log" 2>&1 &
  echo $! >"$STATE/pids/$name.pid"
}
wait_for() { # what command...
  local what=$1
  shift
  for _ in $(seq 120); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "$what did not come up; see $STATE/logs"
}

# ---- control plane ---------------------------------------------------------------------------
start etcd "$STATE/bin/etcd" --name gajyeogagu --data-dir "$STATE/etcd" \
  --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster gajyeogagu=http://127.0.0.1:23800 --quota-backend-bytes 2147483648
wait_for etcd curl -sf http://127.0.0.1:23790/health
start kube-apiserver "$STATE/bin/kube-apiserver" --etcd-servers http://127.0.0.1:23790 \
  --bind-address 0.0.0.0 --secure-port 6443 --advertise-address "$HOST_IP" \
  --service-cluster-ip-range "$SERVICE_CIDR" --service-node-port-range 30000-32767 \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=true \
  --kubelet-preferred-address-types InternalIP,Hostname --profiling=false
wait_for kube-apiserver curl -sf --cacert "$pki/ca.crt" https://127.0.0.1:6443/readyz
export KUBECONFIG=$STATE/admin.kubeconfig
start kube-controller-manager "$STATE/bin/kube-controller-manager" --kubeconfig "$STATE/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --use-service-account-credentials --leader-elect=false --bind-address 127.0.0.1 \
  --service-cluster-ip-range "$SERVICE_CIDR" --controllers '*,bootstrapsigner,tokencleaner'
start kube-scheduler "$STATE/bin/kube-scheduler" --kubeconfig "$STATE/scheduler.kubeconfig" \
  --authentication-kubeconfig "$STATE/scheduler.kubeconfig" --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
  --leader-elect=false --bind-address 127.0.0.1

# ---- node: containerd, CNI, kubelet, kube-proxy ----------------------------------------------
mkdir -p "$STATE/cni" "$STATE/containerd"
# `firewall` lets pod traffic through the FORWARD chain, whose policy Docker sets to DROP.
cat >"$STATE/cni/10-gajyeogagu.conflist" <<EOF
{ "cniVersion": "0.4.0", "name": "gajyeogagu",
  "plugins": [
    { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }],
                "dataDir": "$STATE/cni-state" } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall" } ] }
EOF
cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd"
[grpc]
  address = "$RUN/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Root here lacks CAP_SYS_RESOURCE, so no process may lower its OOM score below its parent's
  # (the kubelet asks -998 for sandboxes): keep containers' scores at containerd's own or above.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."$REGISTRY"]
    endpoint = ["http://$REGISTRY"]
EOF
start containerd containerd --config "$STATE/containerd/config.toml"
wait_for containerd ctr -a "$RUN/containerd.sock" version

sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: "$pki/ca.crt" } }
authorization: { mode: Webhook }
cgroupDriver: cgroupfs
failSwapOn: false
clusterDNS: [10.96.0.10]
clusterDomain: cluster.local
containerRuntimeEndpoint: unix://$RUN/containerd.sock
tlsCertFile: "$pki/kubelet-serving.crt"
tlsPrivateKeyFile: "$pki/kubelet-serving.key"
podCIDR: $POD_CIDR
resolvConf: /etc/resolv.conf
serializeImagePulls: false
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
maxPods: 60
# Mounted ConfigMaps and Secrets (tenant plugins) follow their objects within ~10 s instead of
# the default minute: a single-node test cluster can afford the more frequent pod syncs.
syncFrequency: 10s
EOF
start kubelet "$STATE/bin/kubelet" --config "$STATE/kubelet.yaml" --kubeconfig "$STATE/kubelet.kubeconfig" \
  --root-dir "$STATE/kubelet" --hostname-override "$NODE" --node-ip "$HOST_IP"
cat >"$STATE/proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: 10.244.0.0/16
hostnameOverride: $NODE
clientConnection: { kubeconfig: "$STATE/proxy.kubeconfig" }
conntrack: { maxPerCore: 0 }
oomScoreAdj: 0
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
EOF
start kube-proxy "$STATE/bin/kube-proxy" --config "$STATE/proxy.yaml"
wait_for "the node" sh -c "kubectl get node $NODE -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -q True"
log "node $NODE is Ready"

# Cluster DNS: CoreDNS (built from Go modules) as an image FROM scratch in the local registry.
COREDNS_IMAGE=$REGISTRY/gajyeogagu/coredns:1.12.1-$(cut -c1-8 "$COREDNS_BIN.modsum")
if ! registry_has "$COREDNS_IMAGE"; then
  log "building $COREDNS_IMAGE"
  ctx=$(mktemp -d)
  cp "$COREDNS_BIN" "$ctx/coredns"
  printf 'FROM scratch\nCOPY coredns /coredns\nUSER 65532:65532\nENTRYPOINT ["/coredns"]\n' >"$ctx/Dockerfile"
  build_and_push "$COREDNS_IMAGE" "$ctx"
  rm -rf "$ctx"
fi
sed "s|image: IMAGE|image: $COREDNS_IMAGE|" "$here/../deploy/cluster/coredns.yaml" | kubectl apply -f - >/dev/null
kubectl -n kube-system rollout status deploy/coredns --timeout=120s >/dev/null || die "CoreDNS did not become ready"
log "cluster DNS (CoreDNS) is ready on 10.96.0.10"
kubeconfig_line
