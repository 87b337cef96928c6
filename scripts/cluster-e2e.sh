#!/usr/bin/env bash
# The cluster end to end (`make e2e`, part of `make test`) on a three-node kind cluster
# (scripts/kind.sh: the stock kind CLI on the node image made here). Checks what everything
# stands on — a pod from an image `kind load`ed into the nodes starts on containerd + runc with
# an address from kube-router's pod network, `kubectl logs` and `exec` reach the kubelet, cluster
# DNS (CoreDNS) resolves Service names, kube-proxy routes a ClusterIP Service to a pod on another
# node, a pod reaches the API server through the `kubernetes` Service with its ServiceAccount
# token, the controller-manager garbage-collects a Deployment's ReplicaSet and pods; installs the
# platform with scripts/kind-demo.sh (`make kind-demo`, docs/operator.md's kind page) and checks
# the operator's pods and RBAC; then the platform itself (scripts/e2e/platform.sh: a ModelDeployment and an ApiTenant used through
# their Services, plugin digests read back, failures, scaling, leader hand-over, garbage
# collection) and the Helm chart (scripts/e2e/helm.sh); finally deletes the cluster and checks
# that no node container or network is left. Functional checks only reach addresses inside the
# cluster's own networks or 127.0.0.1 (port-forwards); nothing load-like.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
log() { echo "cluster-e2e: $*" >&2; }
# On failure: the pods, and the last words of the platform's own containers (what they logged
# is usually the cause).
fail() {
  log "FAILED: $*"
  kubectl get pods -A -o wide >&2 2>/dev/null || true
  for pod in $(kubectl get pods -A -l app.kubernetes.io/managed-by=gajyeogagu-operator \
    -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{end}' 2>/dev/null); do
    echo "--- logs of $pod (last 30 lines)" >&2
    kubectl -n "${pod%%/*}" logs "${pod#*/}" --tail=30 >&2 2>/dev/null || true
  done
  exit 1
}
eval "$("$here/docker-engine.sh")"
# kubectl v1.33.13, the cluster's own version (built with it: scripts/kube-node-tools.sh).
eval "$("$here/kube-node-tools.sh")"
export PATH=$(dirname "$KUBECTL_BIN"):$PATH
started=$(date +%s)

eval "$("$here/kind.sh" up)"
cluster_down() { "$here/kind.sh" down >/dev/null 2>&1 || true; }
trap cluster_down EXIT
log "kind cluster up in $(($(date +%s) - started)) s"
# Images reach the nodes the way kind users do it: built in the host's Docker, `kind load`ed.
load() { "$here/kind.sh" load "$@"; }

# A test image: static busybox from Debian's busybox-static.
BOX=gajyeogagu.local/busybox:e2e-1
if ! $DOCKER image inspect "$BOX" >/dev/null 2>&1; then
  dpkg -s busybox-static >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
  ctx=$(mktemp -d)
  mkdir -p "$ctx/bin"
  cp /bin/busybox "$ctx/bin/"
  for a in sh echo httpd; do ln -s busybox "$ctx/bin/$a"; done
  printf 'FROM scratch\nCOPY bin /bin\nUSER 65532:65532\nENTRYPOINT ["/bin/sh"]\n' >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=1 $DOCKER build -q -t "$BOX" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

# The client: the Debian base (dynamic glibc, so name lookups go through resolv.conf like any
# application's) with curl, non-root.
eval "$("$here/base-images.sh")"
TOOLS=gajyeogagu.local/toolbox:e2e-${BASE_IMAGE##*-}
if ! $DOCKER image inspect "$TOOLS" >/dev/null 2>&1; then
  ctx=$(mktemp -d)
  printf 'FROM %s\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nUSER 65532:65532\n' \
    "$BASE_IMAGE" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=1 $DOCKER build -q -t "$TOOLS" "$ctx" >/dev/null
  rm -rf "$ctx"
fi
load "$BOX" "$TOOLS"

ns=e2e-$$
kubectl create namespace "$ns" >/dev/null
# A web server (busybox httpd) behind a ClusterIP Service, and a client pod.
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      # On the CPU worker, the client on the control plane: Service traffic crosses nodes.
      nodeSelector: { gajyeogagu.dev/pool: cpu }
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: web
          image: $BOX
          command: [/bin/sh, -c, 'echo hello-from-web >/www/index.html && exec httpd -f -p 8080 -h /www']
          ports: [{ containerPort: 8080 }]
          readinessProbe: { httpGet: { path: /index.html, port: 8080 }, periodSeconds: 1 }
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
          volumeMounts: [{ name: www, mountPath: /www }]
      volumes: [{ name: www, emptyDir: {} }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  nodeName: gajyeogagu-control-plane
  tolerations: [{ key: node-role.kubernetes.io/control-plane, effect: NoSchedule }]
  securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: client
      image: $TOOLS
      command: [/bin/sh, -c, 'echo client-started; exec sleep 3600']
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
YAML
kubectl -n "$ns" wait --for=condition=Ready pod/client --timeout=120s >/dev/null || fail "the client pod never became Ready"
kubectl -n "$ns" rollout status deploy/web --timeout=120s >/dev/null || fail "the web Deployment never became ready"
ip=$(kubectl -n "$ns" get pod client -o jsonpath='{.status.podIP}')
[[ $ip == 10.244.* ]] || fail "the pod has no address from the pod network ($ip)"
log "pods from images kind loaded run on containerd (pod IP $ip)"

[[ $(kubectl -n "$ns" logs client) == client-started ]] || fail "kubectl logs"
[[ $(kubectl -n "$ns" exec client -- id -u) == 65532 ]] || fail "kubectl exec (or the pod is not non-root)"
log "kubectl logs and exec reach the kubelet"

svc_ip=$(kubectl -n "$ns" get svc web -o jsonpath='{.spec.clusterIP}')
# (stderr apart: kubectl's websocket exec client sometimes logs "Unknown stream id" there.)
out=$(kubectl -n "$ns" exec client -- getent hosts "web.$ns.svc.cluster.local" 2>/dev/null) ||
  fail "DNS: $(kubectl -n "$ns" exec client -- getent hosts "web.$ns.svc.cluster.local" 2>&1)"
[[ $out == "$svc_ip "* ]] || fail "DNS answered '$out', not $svc_ip"
# A Service made a moment ago is programmed by kube-proxy on every node, and the new pod by
# kube-router, a few seconds later — the upstream e2e suite polls for reachability too.
svc_wait=$(date +%s)
for _ in $(seq 30); do
  body=$(kubectl -n "$ns" exec client -- curl -sf -m 3 "http://web/" 2>/dev/null) && break
  sleep 1
done
[[ -n $body ]] || fail "Service routing: the client on the control plane never reached web on the worker in 30 s"
log "the Service answered across nodes $(($(date +%s) - svc_wait)) s after the pod was ready"
[[ $body == hello-from-web ]] || fail "the Service answered '$body'"
log "CoreDNS resolves web.$ns.svc.cluster.local → $svc_ip and kube-proxy routes it to the pod on the other node"

sa=/var/run/secrets/kubernetes.io/serviceaccount
api=$(kubectl -n "$ns" exec client -- sh -c \
  "curl -sf -m 5 --cacert $sa/ca.crt -H \"Authorization: Bearer \$(cat $sa/token)\" https://kubernetes.default.svc/api") ||
  fail "a pod can't reach the API server with its token"
grep -q '"kind": *"APIVersions"' <<<"$api" || fail "the API server answered: $api"
log "a pod reaches the API server through the kubernetes Service, TLS verified, with its ServiceAccount token"

source "$here/e2e/nodes.sh"

rs=$(kubectl -n "$ns" get rs -l app=web -o name)
kubectl -n "$ns" delete deploy web --wait=true >/dev/null
for _ in $(seq 60); do
  [[ -z $(kubectl -n "$ns" get rs,pods -l app=web -o name 2>/dev/null) ]] && break
  sleep 1
done
[[ -z $(kubectl -n "$ns" get rs,pods -l app=web -o name 2>/dev/null) ]] || fail "$rs and its pods were not garbage-collected"
log "deleting the Deployment garbage-collected $rs and its pods (controller-manager)"

# The platform, installed exactly as docs/operator.md tells a newcomer: `make kind-demo`
# (the images `kind load`ed, the operator with `kubectl apply -k`, the shop's PostgreSQL,
# ModelDeployment and ApiTenant, all Ready, the storefront answering through a port-forward).
# The operator runs as two pods under its own ServiceAccount (no admin token in the path),
# Ready through its real /readyz probe, and its RBAC grants what it needs only.
demo_started=$(date +%s)
demo_env=$(PROFILE=${PROFILE:-release} "$here/kind-demo.sh") || fail "scripts/kind-demo.sh (make kind-demo)"
eval "$demo_env"
log "make kind-demo: the shop Ready and answering in $(($(date +%s) - demo_started)) s"
sa=$(kubectl -n gajyeogagu-system get pods -l app.kubernetes.io/name=gajyeogagu-operator -o jsonpath='{.items[*].spec.serviceAccountName}')
[[ $sa == "gajyeogagu-operator gajyeogagu-operator" ]] || fail "operator pods run as '$sa'"
as=(--as=system:serviceaccount:gajyeogagu-system:gajyeogagu-operator)
can() { [[ $(kubectl auth can-i "${as[@]}" "$@" 2>/dev/null) == yes ]]; }
for allowed in "watch modeldeployments.gajyeogagu.io -A" "patch apitenants.gajyeogagu.io --subresource=status -n shop" \
  "patch deployments.apps -n shop" "patch networkpolicies.networking.k8s.io -n shop" "create services -n shop" "create events.events.k8s.io -n shop" "list pods -n shop" \
  "update leases.coordination.k8s.io -n gajyeogagu-system"; do
  # shellcheck disable=SC2086
  can $allowed || fail "the operator's RBAC lacks: $allowed"
done
for refused in "delete nodes" "get secrets -A" "list secrets -n shop" "delete deployments.apps -n shop" \
  "create pods/exec -n shop" "get pods/log -n shop" \
  "create leases.coordination.k8s.io -n shop" "create clusterrolebindings.rbac.authorization.k8s.io"; do
  # shellcheck disable=SC2086
  if can $refused; then fail "the operator may: $refused"; fi
done
log "operator installed with kubectl apply -k (kind-demo): 2 pods Ready as ServiceAccount gajyeogagu-operator; RBAC allows its work and refuses nodes, Secrets, deleting Deployments"

kubectl delete namespace "$ns" --wait=false >/dev/null

source "$here/e2e/platform.sh"
source "$here/e2e/helm.sh"
source "$here/e2e/disruption.sh"

trap - EXIT
rm -rf "$work"
"$here/kind.sh" down >/dev/null
left=$($DOCKER ps -aq --filter label=io.x-k8s.kind.cluster=gajyeogagu)
[[ -z $left ]] || fail "node containers left after kind down: $left"
$DOCKER network inspect kind >/dev/null 2>&1 && fail "the kind network is left after kind down"
log "kind down: no node container or network left"
log "passed in $(($(date +%s) - started)) s"
