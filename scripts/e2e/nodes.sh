# What only several nodes show, sourced by scripts/cluster-e2e.sh with the web Deployment, its
# Service and the client pod of namespace $ns running (it provides log, fail, ns, BOX):
#   the GPU pool — the worker labelled nvidia.com/gpu.present and tainted nvidia.com/gpu
#     advertises nvidia.com/gpu: 1; a pod asking for one (with the toleration) lands there, a
#     second stays Pending (the scheduler counts the resource), and pods without the toleration
#     never land there;
#   NetworkPolicy enforced (kube-router, iptables + ipset): first a refusal is shown — a policy
#     selecting web with no ingress rule cuts the client off across nodes — then a rule that
#     admits the client's label lets it through while another pod stays refused.

gpu_node=$(kubectl get nodes -l nvidia.com/gpu.present=true -o jsonpath='{.items[*].metadata.name}')
[[ $gpu_node == gajyeogagu-worker2 ]] || fail "the GPU node is '$gpu_node', not gajyeogagu-worker2"
[[ $(kubectl get node "$gpu_node" -o jsonpath='{.status.allocatable.nvidia\.com/gpu}') == 1 ]] ||
  fail "the GPU node does not advertise nvidia.com/gpu: 1"
[[ $(kubectl get node "$gpu_node" -o jsonpath='{.spec.taints[?(@.key=="nvidia.com/gpu")].effect}') == NoSchedule ]] ||
  fail "the GPU node lacks the nvidia.com/gpu NoSchedule taint"
gpu_pod() { # name
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1, labels: { app: gpu } }
spec:
  nodeSelector: { nvidia.com/gpu.present: "true" }
  tolerations: [{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }]
  securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: c
      image: $BOX
      command: [/bin/sh, -c, 'exec sleep 3600']
      resources: { limits: { nvidia.com/gpu: 1 } }
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
YAML
}
gpu_pod gpu-1
kubectl -n "$ns" wait --for=condition=Ready pod/gpu-1 --timeout=90s >/dev/null || fail "the GPU pod never started"
[[ $(kubectl -n "$ns" get pod gpu-1 -o jsonpath='{.spec.nodeName}') == "$gpu_node" ]] || fail "the GPU pod ran elsewhere"
gpu_pod gpu-2
for _ in $(seq 30); do
  reason=$(kubectl -n "$ns" get pod gpu-2 -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}')
  [[ -n $reason ]] && break
  sleep 1
done
[[ $reason == *"Insufficient nvidia.com/gpu"* ]] || fail "a second GPU pod was not held Pending for the GPU: '$reason'"
# Everything else in the cluster keeps off the GPU node, but the per-node DaemonSets.
others=$(kubectl get pods -A --field-selector "spec.nodeName=$gpu_node" \
  -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.metadata.ownerReferences[0].kind}{"\n"}{end}' |
  grep -v ' DaemonSet$' | grep -v "^$ns/gpu-1 " || true)
[[ -z $others ]] || fail "pods without the toleration landed on the GPU node: $others"
kubectl -n "$ns" delete pod gpu-1 gpu-2 --wait=false >/dev/null
log "GPU pool: $gpu_node advertises nvidia.com/gpu: 1 under its taint; the pod asking for it runs there, a second waits (Insufficient nvidia.com/gpu), nothing else lands there"

# NetworkPolicy. The web pod is on the CPU worker, the client on the control plane.
reach() { kubectl -n "$ns" exec "$1" -- curl -sf -m 3 -o /dev/null "http://web/" 2>/dev/null; }
reach client || fail "the client cannot reach web before any policy"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-deny-all }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Ingress]
YAML
refused=
for _ in $(seq 20); do
  if ! reach client; then refused=yes; break; fi
  sleep 1
done
[[ $refused == yes ]] || fail "a deny-all NetworkPolicy on web did not stop the client: nothing enforces policy"
log "NetworkPolicy enforced: a deny-all policy on web refuses the client on another node"
kubectl -n "$ns" label pod client role=shopper >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-shoppers }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Ingress]
  ingress: [{ from: [{ podSelector: { matchLabels: { role: shopper } } }], ports: [{ port: 8080 }] }]
YAML
kubectl -n "$ns" run stranger --image="$TOOLS" --restart=Never \
  --overrides='{"spec":{"securityContext":{"runAsNonRoot":true}}}' --command -- sleep 3600 >/dev/null
kubectl -n "$ns" wait --for=condition=Ready pod/stranger --timeout=90s >/dev/null || fail "the stranger pod never started"
# kube-router programs a new policy and label on its next sync (event-driven, but it took over
# 20 s once with the machine's two cores busy): allowed up to a minute, the time logged.
admitted= admit_started=$(date +%s)
for _ in $(seq 60); do
  if reach client; then admitted=yes; break; fi
  sleep 1
done
[[ $admitted == yes ]] || fail "the policy admitting role=shopper did not let the client through in 60 s"
if reach stranger; then fail "a pod without role=shopper reached web through the policy"; fi
kubectl -n "$ns" delete networkpolicy web-deny-all web-from-shoppers >/dev/null
kubectl -n "$ns" delete pod stranger --wait=false >/dev/null
log "NetworkPolicy: the rule admitting role=shopper lets the client in ($(($(date +%s) - admit_started)) s after the policy); a pod without the label stays refused"
