# What a node going away does to a tenant, sourced last by scripts/cluster-e2e.sh (it provides
# log, fail, here, load, DOCKER, PG_IMAGE, TOOLS, CRUD_API_IMAGE). The kind cluster's control
# plane and CPU worker both take the platform; the GPU worker takes only GPU pods.
#   1. tenant `outlet` (2 replicas, PodDisruptionBudget minAvailable 1, its PostgreSQL on the
#      control plane) has one replica on each node, and so do the operator's two replicas;
#   2. `kubectl drain` of the CPU worker while a client in the cluster reads the storefront
#      every 100 ms through the tenant's Service: the PDB holds (never fewer than one replica
#      Ready) and no request fails (the preStop pause keeps a leaving pod serving until every
#      node has dropped it from the Service);
#   3. the worker back, a replica on it and the operator's leader on it, then `docker stop` of
#      the worker: the client's failures (while the Service still lists the lost replica), the
#      time until every request is answered again and until both replicas are Ready on the
#      other node, and the leader's hand-over — measured and logged.
# Leaves the worker stopped: the cluster is deleted next.

o=outlet
KO=(kubectl -n "$o")
cpu_node=gajyeogagu-worker
# The nodes of the Ready crud-api replicas, sorted and space-separated, leaving out pods on
# their way out (kubectl's jsonpath has no nested filters).
ready_pods() {
  "${KO[@]}" get pods -l app.kubernetes.io/name=crud-api -o json | python3 -c '
import json, sys
print(" ".join(sorted(p["spec"]["nodeName"] for p in json.load(sys.stdin)["items"]
    if "deletionTimestamp" not in p["metadata"]
    and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", [])))))'
}
# one_per_node "NODE NODE" — two replicas on two nodes, one of them the CPU worker.
one_per_node() { [[ $(wc -w <<<"$1") == 2 && ${1%% *} != "${1#* }" && $1 == *"$cpu_node"* ]]; }
nodes_of() { kubectl -n "$1" get pods -l "$2" -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | wc -l; }

# The operator again as docs/operator.md installs it (the Helm step before removed both installs).
kubectl apply -k "$here/../kustomize/overlays/kind" >/dev/null 2>&1 || fail "kubectl apply -k kustomize/overlays/kind"
kubectl -n gajyeogagu-system rollout status deploy/gajyeogagu-operator --timeout=180s >/dev/null ||
  fail "the operator Deployment never became ready again"

kubectl create namespace "$o" >/dev/null
kubectl label namespace "$o" gajyeogagu.io/ingress=true >/dev/null # the client below runs here
postgres_in "$o" db jwt gajyeogagu-control-plane
"${KO[@]}" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: { name: shopper }
spec:
  nodeName: gajyeogagu-control-plane
  securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: c
      image: $TOOLS
      command: [sleep, "3600"]
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
---
apiVersion: gajyeogagu.io/v1alpha1
kind: ApiTenant
metadata: { name: outlet }
spec:
  tenantId: outlet
  image: $CRUD_API_IMAGE
  replicas: 2
  disruptionBudget: { minAvailable: 1 }
  databaseSecretRef: { name: db, key: url }
  auth: { signingKeySecretRef: { name: jwt, key: key.pem } }
YAML
"${KO[@]}" wait --for=condition=Ready apitenant/outlet --timeout=240s >/dev/null || fail "tenant outlet never became Ready"
"${KO[@]}" wait --for=condition=Ready pod/shopper --timeout=90s >/dev/null || fail "the shopper pod never started"
eventually 60 "two outlet replicas Ready" sh -c "[ \$(kubectl -n $o get apitenant outlet -o jsonpath='{.status.readyReplicas}') = 2 ]"
[[ $(nodes_of "$o" app.kubernetes.io/name=crud-api) == 2 ]] || fail "the two crud-api replicas share a node: $(ready_pods)"
[[ $(nodes_of gajyeogagu-system app.kubernetes.io/name=gajyeogagu-operator) == 2 ]] || fail "the operator's two replicas share a node"
lap "tenant outlet: 2 replicas on 2 nodes (spread), PDB minAvailable 1; the operator's replicas on 2 nodes"

# The client: a request every 100 ms through the tenant's Service, one status code per line.
client_start() {
  kubectl -n "$o" exec shopper -- sh -c 'rm -f /tmp/stop /tmp/codes; while [ ! -e /tmp/stop ]; do
    curl -s -o /dev/null -m 2 -w "%{http_code} $(date +%s.%N)\n" "http://outlet-crud-api:8001/api/v1/products?limit=1" >>/tmp/codes
    sleep 0.1; done' >/dev/null 2>&1 &
  client_pid=$!
}
client_stop() { # → "requests failures first_failure last_failure"
  kubectl -n "$o" exec shopper -- touch /tmp/stop
  wait "$client_pid" 2>/dev/null || true
  kubectl -n "$o" exec shopper -- cat /tmp/codes >"$work/codes"
  awk '{n++} $1 != 200 {f++; if (!first) first = $2; last = $2} END {printf "%d %d %.3f %.3f\n", n, f, first, last}' "$work/codes"
}

# --- Drain ---
client_start
sleep 3
min_ready=2
drain_started=$(date +%s)
kubectl drain "$cpu_node" --ignore-daemonsets --delete-emptydir-data --timeout=180s >"$work/drain.log" 2>&1 &
drain_pid=$!
while kill -0 "$drain_pid" 2>/dev/null; do
  n=$(ready_pods | wc -w)
  ((n < min_ready)) && min_ready=$n
  sleep 0.5
done
wait "$drain_pid" || fail "kubectl drain: $(tail -5 "$work/drain.log")"
drain_s=$(($(date +%s) - drain_started))
eventually 90 "two outlet replicas Ready after the drain" sh -c "[ \$(kubectl -n $o get apitenant outlet -o jsonpath='{.status.readyReplicas}') = 2 ]"
sleep 2
read -r total failed _ < <(client_stop)
((min_ready >= 1)) || fail "the PDB did not hold: $min_ready replicas Ready during the drain"
((total > 50)) || fail "the client made only $total requests"
((failed == 0)) || fail "$failed of $total requests failed during the drain: $(grep -v '^200' "$work/codes" | head -5)"
grep -q 'evicting pod outlet/outlet-crud-api' "$work/drain.log" || fail "the drain evicted no outlet replica: $(cat "$work/drain.log")"
kubectl uncordon "$cpu_node" >/dev/null
lap "drain of $cpu_node (${drain_s} s) under a client reading every 100 ms: $total requests, 0 failed; never fewer than $min_ready replica(s) Ready (PDB minAvailable 1)"

# --- Node lost ---
# One replica back on each node, and the operator's leader on the worker. A rollout spreads
# the replicas only as far as the scheduler's scoring manages (the spread is ScheduleAnyway, so
# a one-node cluster still runs them all), and it once left both on the worker: then a replica
# on the crowded node is deleted and its replacement goes to the emptier one — what a
# descheduler does in a long-lived cluster.
"${KO[@]}" rollout restart deploy/outlet-crud-api >/dev/null
"${KO[@]}" rollout status deploy/outlet-crud-api --timeout=120s >/dev/null || fail "the outlet rollout"
two_ready() { [[ $(ready_pods | wc -w) == 2 ]]; }
respread=0
for _ in 1 2 3; do
  eventually 90 "two outlet replicas Ready" two_ready
  at=$(ready_pods)
  one_per_node "$at" && break
  crowded=${at%% *}
  "${KO[@]}" delete "$("${KO[@]}" get pods -l app.kubernetes.io/name=crud-api --field-selector "spec.nodeName=$crowded" -o name | head -1)" --wait=false >/dev/null
  respread=$((respread + 1))
  sleep 1
done
at=$(ready_pods)
one_per_node "$at" || fail "the outlet replicas are not one per node: [$at]"
log "outlet replicas one per node after the rollout ($respread replica(s) moved)"
holder() { kubectl -n gajyeogagu-system get lease gajyeogagu-operator -o jsonpath='{.spec.holderIdentity}'; }
node_of_pod() { kubectl -n gajyeogagu-system get pod "$1" -o jsonpath='{.spec.nodeName}' 2>/dev/null; }
# The operator's leader onto the worker and its standby onto the control plane: with the control
# plane cordoned a restart puts both replicas on the worker; then the standby is replaced, and
# its replacement goes to the (uncordoned) control plane.
op=(kubectl -n gajyeogagu-system)
kubectl cordon gajyeogagu-control-plane >/dev/null
"${op[@]}" rollout restart deploy/gajyeogagu-operator >/dev/null
"${op[@]}" rollout status deploy/gajyeogagu-operator --timeout=120s >/dev/null || fail "the operator restart"
two_operator_pods() { [[ $("${op[@]}" get pods -l app.kubernetes.io/name=gajyeogagu-operator -o name | wc -l) == 2 ]]; }
eventually 60 "the old operator pods gone" two_operator_pods
kubectl uncordon gajyeogagu-control-plane >/dev/null
eventually 60 "a leader among the restarted operator pods" sh -c \
  "[ \"\$(kubectl -n gajyeogagu-system get pod \"\$(kubectl -n gajyeogagu-system get lease gajyeogagu-operator -o jsonpath='{.spec.holderIdentity}')\" -o jsonpath='{.spec.nodeName}' 2>/dev/null)\" = $cpu_node ]"
leader=$(holder)
standby=$("${op[@]}" get pods -l app.kubernetes.io/name=gajyeogagu-operator -o name | grep -v "/$leader\$" | head -1)
"${op[@]}" delete "$standby" --wait=true >/dev/null
"${op[@]}" rollout status deploy/gajyeogagu-operator --timeout=120s >/dev/null || fail "the standby's replacement"
eventually 60 "the replaced standby gone" two_operator_pods
[[ $(holder) == "$leader" && $(node_of_pod "$leader") == "$cpu_node" ]] || fail "the operator's leader is not on $cpu_node"
[[ $(nodes_of gajyeogagu-system app.kubernetes.io/name=gajyeogagu-operator) == 2 ]] || fail "the operator's standby is not on the other node"

client_start
sleep 3
at_stop=$(ready_pods)
one_per_node "$at_stop" || fail "the outlet replicas share a node before the stop: [$at_stop]"
stopped=$(date +%s.%N)
$DOCKER stop "$cpu_node" >/dev/null
t_lease= t_notready= t_ready=
deadline=$(($(date +%s) + 240))
while (($(date +%s) < deadline)); do
  since=$(python3 -c "import time; print(round(time.time() - $stopped))")
  [[ -z $t_lease && -n $(holder) && $(holder) != "$leader" ]] && t_lease=$since
  [[ -z $t_notready && $(kubectl get node "$cpu_node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') != True ]] && t_notready=$since
  if [[ -z $t_ready ]]; then
    pods=$(ready_pods)
    [[ $(wc -w <<<"$pods") == 2 && $pods != *"$cpu_node"* ]] && t_ready=$since
  fi
  [[ -n $t_lease && -n $t_ready ]] && break
  sleep 1
done
sleep 5
read -r total failed first last < <(client_stop)
[[ -n $t_lease ]] || fail "the operator's leader on the stopped node never handed over"
[[ -n $t_ready ]] || fail "the tenant's replicas never came back on the other node: $(ready_pods)"
# Requests fail while the Service still lists the lost replica: from the stop until the node
# controller marks it not ready (the node-monitor grace period). `docker stop` shuts the node's
# systemd down cleanly, so its containers stop at once and the leader releases its Lease.
if ((failed)); then
  t_answers=$(python3 -c "print(round($last - $stopped))")
  window=$(python3 -c "print(round($last - $first, 1))")
  ((t_answers < 120)) || fail "requests still failed ${t_answers} s after the stop"
else
  t_answers=0 window=0
fi
lap "$cpu_node stopped (docker stop) with Ready replicas on [$at_stop]: the operator's Lease taken over after ${t_lease} s; the node NotReady after ${t_notready:-?} s (node-monitor grace period); $failed of $total requests failed, all within ${window} s — every request answered again ${t_answers} s after the stop (the lost replica out of the Service); both replicas Ready on the control plane after ${t_ready} s (the grace period, 30 s tolerationSeconds for unreachable, then the start)"
