# The platform as `make kind-demo` installs it, sourced by scripts/cluster-e2e.sh once
# scripts/kind-demo.sh has run (it provides log, fail, here, load, cluster_down, DOCKER,
# BASE_IMAGE and the *_IMAGE variables):
#   the ModelDeployment `vision` → a dl-api pod Ready through /readyz, the model from a
#   PersistentVolume; the ApiTenant `shop` with the payment-promo plugin from a ConfigMap and
#   PostgreSQL in the cluster → a crud-api pod Ready; through a port-forward to its Service: sign-up, a listing whose photo
#   dl-api analyses over cluster DNS, search 소파, a quote carrying the promo's discount — all
#   through the NetworkPolicies the operator wrote; a second tenant B refused by A's crud-api,
#   PostgreSQL and dl-api (scripts/e2e/isolation.sh);
#   the plugin swapped → the status shows the digest read back from crud-api (and not the
#   spec's pin while the bytes don't match it); the dl-api pod deleted → replaced, the tenant
#   still analyses photos; 1 → 2 replicas; an impossible node selector → Unschedulable in
#   the status; the leader operator pod deleted → another replica leads, and its first full pass
#   writes nothing; the ApiTenant and ModelDeployment deleted → children garbage-collected.

shop=shop
K=(kubectl -n "$shop")
work=$(mktemp -d)
pf_pid=
stop_forward() { [[ -z $pf_pid ]] || kill "$pf_pid" 2>/dev/null || true; pf_pid=; }
trap 'stop_forward; rm -rf "$work"; cluster_down' EXIT

# eventually SECONDS WHAT COMMAND… — COMMAND succeeds within SECONDS, or the test fails.
eventually() {
  local t=$1 what=$2
  shift 2
  for ((i = 0; i < t; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  "${K[@]}" get md,apitenants,pods -o wide >&2 2>/dev/null || true
  fail "$what (waited $t s)"
}
# condition KIND/NAME TYPE → "Status Reason"
condition() {
  "${K[@]}" get "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status} {.status.conditions[?(@.type==\"$2\")].reason}"
}
has_condition() { [[ $(condition "$1" "$2") == "$3" ]]; }
served_digest() { "${K[@]}" get apitenant/shop -o jsonpath='{.status.pluginDigests.payment}'; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# forward: a port-forward to the tenant's Service on 127.0.0.1 (restarted after pods change:
# kubectl binds a forward to the pod it picked).
forward() {
  stop_forward
  kubectl -n "$shop" port-forward svc/shop-crud-api 0:8001 >"$work/pf.log" 2>&1 &
  pf_pid=$!
  for _ in $(seq 50); do
    port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) .*/\1/p' "$work/pf.log" | head -1)
    [[ -n $port ]] && break
    sleep 0.2
  done
  [[ -n $port ]] || fail "kubectl port-forward: $(cat "$work/pf.log")"
  base=http://127.0.0.1:$port
  eventually 30 "crud-api through the port-forward" curl -sf "$base/readyz"
}
storefront() { python3 "$here/e2e/storefront.py" "$@"; }

step=$(date +%s)
lap() { log "$* ($(($(date +%s) - step)) s)"; step=$(date +%s); }

promo=$here/../target/wasm32-wasip2/plugin/payment_promo.wasm
standard=$here/../target/wasm32-wasip2/plugin/payment_standard.wasm
photo=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}/eval/sweethome3d-furniture-1.8-1/sofa/Scopia-beige_sofa.png
[[ -s $photo ]] || "$here/fetch-eval-images.sh" >/dev/null
demo=$here/../kustomize/overlays/kind-demo

# postgres_in NS DB_SECRET JWT_SECRET [NODE] — what a tenant in NS needs besides its spec, made
# the way scripts/kind-demo.sh makes shop's: the demo's PostgreSQL (Deployment and Service
# `postgres`, its data on a local-path volume, optionally on NODE), Secret DB_SECRET with its URL
# (key `url`) and Secret JWT_SECRET with an Ed25519 key (`key.pem`). isolation.sh and
# disruption.sh make their tenants' with it.
postgres_in() {
  local ns=$1 db=$2 jwt=$3 node=${4:-} password
  password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  openssl genpkey -algorithm ed25519 -out "$work/jwt-$ns.pem" 2>/dev/null
  kubectl -n "$ns" create secret generic postgres --from-literal=password="$password" >/dev/null
  kubectl -n "$ns" create secret generic "$db" \
    --from-literal=url="postgres://gajyeogagu:$password@postgres.$ns.svc:5432/gajyeogagu" >/dev/null
  kubectl -n "$ns" create secret generic "$jwt" --from-file=key.pem="$work/jwt-$ns.pem" >/dev/null
  # Pinned from the start: its volume binds to the node the first pod lands on.
  local pin=
  [[ -z $node ]] || pin="s|^      securityContext:|      nodeSelector: { kubernetes.io/hostname: $node }\n&|"
  sed -e "$pin" "$demo/postgres.yaml" |
    kubectl -n "$ns" apply -f - >/dev/null
}

# model_volume NAMESPACE — the demo's read-only claim `models` on this machine's model cache
# (every kind node mounts it at /gajyeogagu/models), offered to NAMESPACE.
model_volume() {
  sed -e "s/gajyeogagu-models-shop/gajyeogagu-models-$1/" -e "s/namespace: shop/namespace: $1/" "$demo/models.yaml" |
    kubectl apply -f - >/dev/null
}

"${K[@]}" wait --for=condition=Ready md/vision --timeout=240s >/dev/null || fail "the ModelDeployment never became Ready"
read -r md_ready md_replicas _ < <("${K[@]}" get md vision --no-headers | awk '{print $2, $3}')
[[ $md_ready == True && $md_replicas == 1 ]] || fail "kubectl get md shows Ready=$md_ready Replicas=$md_replicas"
[[ $("${K[@]}" get pods -l app.kubernetes.io/instance=vision -o jsonpath='{.items[0].spec.containers[0].readinessProbe.httpGet.path}') == /readyz ]] ||
  fail "dl-api's readiness probe is not /readyz"
lap "ModelDeployment vision (kind-demo): dl-api pod from the loaded image, Ready through /readyz; kubectl get md shows Ready True, 1 replica"

"${K[@]}" wait --for=condition=Ready apitenant/shop --timeout=240s >/dev/null || fail "the ApiTenant never became Ready"
eventually 60 "PluginsCurrent=True" has_condition apitenant/shop PluginsCurrent "True AsPinned"
[[ $(served_digest) == $(sha "$promo") ]] || fail "status.pluginDigests.payment is '$(served_digest)'"
lap "ApiTenant shop (kind-demo): crud-api Ready on PostgreSQL in the cluster, serving payment-promo $(sha "$promo" | head -c 12) (read back)"

forward
storefront shop "$base" "$photo" >"$work/shop.json" || fail "the storefront flow"
read -r buyer order seller product < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["buyer"], d["order"], d["seller"], d["product"])' "$work/shop.json")
python3 - "$work/shop.json" "$(sha "$promo")" <<'PY' || fail "the quote does not carry the promo plugin's discount: $(cat "$work/shop.json")"
import json, sys
d = json.load(open(sys.argv[1])); q = d["quote"]
assert d["analysis"] and d["analysis"].get("category"), d["analysis"]
assert q["digest"] == sys.argv[2], q
assert q["delivery_fee"] == 0 and any("묶음 할인" in a["reason"] for a in q["adjustments"]), q
PY
lap "through the Service: sign-up, a 소파 listing whose photo dl-api analysed over cluster DNS ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["analysis"]["category"]["slug"])' "$work/shop.json")), search 소파, a quote with the promo's bundle discount and free delivery"

# Hybrid search in the cluster: an English query with no word in common with the Korean
# listing finds it through dl-api's multilingual embeddings (lexical search alone finds nothing).
storefront find "$base" "leather couch" "$product" >"$work/find.json" || fail "hybrid search in the cluster"
lap "hybrid search: 'leather couch' found the 가죽 소파 listing (rank $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rank"], "of", d["of"])' "$work/find.json")) through use-multilingual-v3 served by the ModelDeployment's pod"

source "$here/e2e/isolation.sh"

# The plugin changes. First the pin moves to a module the ConfigMap does not hold yet: the
# host refuses those bytes, crud-api keeps serving what it had, and the status — read back
# from crud-api — must say so rather than echo the new pin.
"${K[@]}" patch apitenant shop --type merge -p "{\"spec\":{\"plugins\":{\"payment\":{\"sha256\":\"$(sha "$standard")\"}}}}" >/dev/null
eventually 60 "PluginsCurrent=False while the bytes don't match the pin" \
  has_condition apitenant/shop PluginsCurrent "False PluginDigestMismatch"
[[ $(served_digest) == $(sha "$promo") ]] || fail "status claims '$(served_digest)' while crud-api still serves the promo module"
"${K[@]}" create configmap shop-plugins --from-file=payment.wasm="$standard" --dry-run=client -o yaml | "${K[@]}" replace -f - >/dev/null
eventually 180 "the new module served" has_condition apitenant/shop PluginsCurrent "True AsPinned"
[[ $(served_digest) == $(sha "$standard") ]] || fail "status.pluginDigests.payment is '$(served_digest)' after the swap"
"${K[@]}" rollout status deploy/shop-crud-api --timeout=120s >/dev/null || fail "the crud-api rollout"
forward
storefront quote "$base" "$buyer" "$order" >"$work/quote.json" || fail "quote after the swap"
python3 - "$work/quote.json" "$(sha "$standard")" <<'PY' || fail "the quote after the swap: $(cat "$work/quote.json")"
import json, sys
q = json.load(open(sys.argv[1]))
assert q["digest"] == sys.argv[2] and q["delivery_fee"] > 0 and not q["adjustments"], q
PY
lap "plugin swap: status held the served promo digest while the pin didn't match the ConfigMap, then showed payment-standard $(sha "$standard" | head -c 12) read back from crud-api; quotes follow it"

# dl-api loses its pod: the Deployment replaces it and the tenant keeps analysing photos.
old_pod=$("${K[@]}" get pods -l app.kubernetes.io/instance=vision -o jsonpath='{.items[0].metadata.name}')
"${K[@]}" delete pod "$old_pod" --wait=false >/dev/null
eventually 120 "a replacement dl-api pod Ready" sh -c \
  "kubectl -n $shop get pods -l app.kubernetes.io/instance=vision -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}' | grep -v '^$old_pod ' | grep -q ' True$'"
storefront analyse "$base" "$seller" "$product" "$photo" >"$work/analysis.json" || fail "photo analysis after the dl-api pod was replaced"
# A refusal during the hand-over is retried, never blamed on the photo (it once failed a job
# for good on a 404); the attempts it took say whether the hand-over was felt.
attempts=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["attempts"])' "$work/analysis.json")
lap "dl-api pod $old_pod deleted → replaced; the tenant analysed another photo through the new one ($attempts attempt(s))"

"${K[@]}" patch md vision --type merge -p '{"spec":{"replicas":2}}' >/dev/null
eventually 180 "two dl-api replicas Ready" sh -c "[ \"\$(kubectl -n $shop get md vision -o jsonpath='{.status.readyReplicas}')\" = 2 ]"
lap "ModelDeployment scaled 1 → 2: two replicas Ready"

# A GPU ModelDeployment: its GPU fields (nvidia.com/gpu limit, selector, toleration) place it on
# the worker that advertises nvidia.com/gpu — and with no CUDA to be had there (no GPU, and this
# image's ONNX Runtime is the CPU build) it is reported so, in dl-api's words, never "Ready on
# GPU"; with cpuFallback it serves on CPU and says that instead. Its rollout replaces the pod in
# place: the node's one GPU is the old pod's until it goes.
"${K[@]}" apply -f - >/dev/null <<YAML
apiVersion: gajyeogagu.io/v1alpha1
kind: ModelDeployment
metadata: { name: vision-gpu }
spec:
  image: $DL_API_IMAGE
  model: { pvc: { name: models, path: efficientnet-lite0/1 }, version: "1" }
  replicas: 1
  concurrency: 1
  executionProvider: cuda
  resources: { limits: { nvidia.com/gpu: 1 } }
  nodeSelector: { nvidia.com/gpu.present: "true" }
  tolerations: [{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }]
  apiKeySecretRef: { name: vision-keys, key: keys }
YAML
eventually 180 "ProviderAsRequested=False, CudaUnavailable" has_condition md/vision-gpu ProviderAsRequested "False CudaUnavailable"
why=$("${K[@]}" get md vision-gpu -o jsonpath='{.status.conditions[?(@.type=="ProviderAsRequested")].message}')
[[ $why == *"cannot run on cuda: CUDA execution provider unavailable"*"CPU-only build"* ]] || fail "the GPU ModelDeployment's reason: $why"
has_condition md/vision-gpu Ready "False CudaUnavailable" || fail "Ready does not say why: $(condition md/vision-gpu Ready)"
gpu_node=$("${K[@]}" get pods -l app.kubernetes.io/instance=vision-gpu -o jsonpath='{.items[0].spec.nodeName}')
[[ $gpu_node == gajyeogagu-worker2 ]] || fail "the GPU ModelDeployment's pod is on '$gpu_node'"
# kubectl leaves a column blank when its field is absent: the header says PROVIDER, no value.
[[ $("${K[@]}" get md vision-gpu | awk 'NR == 1 {print $4}') == PROVIDER &&
  -z $("${K[@]}" get md vision-gpu -o jsonpath='{.status.executionProvider}') ]] ||
  fail "kubectl get md vision-gpu: $("${K[@]}" get md vision-gpu)"
eventually 30 "a ProviderAsRequestedFalse event" sh -c \
  "kubectl -n $shop get events --field-selector involvedObject.name=vision-gpu,reason=ProviderAsRequestedFalse -o name | grep -q ."
lap "GPU ModelDeployment: on $gpu_node (nvidia.com/gpu), not ready and saying why — ${why#*: }"
"${K[@]}" patch md vision-gpu --type merge -p '{"spec":{"cpuFallback":true}}' >/dev/null
eventually 180 "ProviderAsRequested=False, CpuFallback" has_condition md/vision-gpu ProviderAsRequested "False CpuFallback"
eventually 60 "Ready on CPU with cpuFallback" has_condition md/vision-gpu Ready "True MinimumReplicasAvailable"
[[ $("${K[@]}" get md vision-gpu --no-headers | awk '{print $2, $4}') == "True cpu" ]] ||
  fail "kubectl get md vision-gpu after cpuFallback: $("${K[@]}" get md vision-gpu --no-headers)"
"${K[@]}" delete md vision-gpu --wait=true >/dev/null
lap "cpuFallback: the pod replaced in place on the one GPU, Ready on CPU, Provider column 'cpu', ProviderAsRequested=False CpuFallback"

"${K[@]}" patch md vision --type merge -p '{"spec":{"nodeSelector":{"gajyeogagu.io/pool":"gpu-a100"}}}' >/dev/null
eventually 60 "Unschedulable in the ModelDeployment's status" has_condition md/vision Degraded "True Unschedulable"
msg=$("${K[@]}" get md vision -o jsonpath='{.status.conditions[?(@.type=="Degraded")].message}')
[[ $msg == *"didn't match Pod's node affinity/selector"* ]] || fail "the Degraded message does not say why: $msg"
"${K[@]}" patch md vision --type json -p '[{"op":"remove","path":"/spec/nodeSelector"}]' >/dev/null
eventually 120 "Degraded cleared once the selector is gone" has_condition md/vision Degraded "False AsExpected"
lap "a node selector no node matches → Degraded/Unschedulable: $msg"

"${K[@]}" wait --for=condition=Progressing=False md/vision --timeout=120s >/dev/null || fail "the dl-api rollout never settled"
# Leader hand-over: delete the leading operator pod; another replica takes the Lease (the
# standby, or the pod replacing the deleted one if it asks first: a clean leader releases the
# Lease, so whoever polls next wins), and its first full pass over everything (already as
# specified) writes nothing.
sys_ns=gajyeogagu-system
holder() { kubectl -n $sys_ns get lease gajyeogagu-operator -o jsonpath='{.spec.holderIdentity}'; }
leader=$(holder)
[[ -n $leader && $(kubectl -n $sys_ns get pods -l app.kubernetes.io/name=gajyeogagu-operator -o name | wc -l) == 2 ]] ||
  fail "two operator replicas, one leading (leader '$leader')"
kubectl -n $sys_ns delete pod "$leader" --wait=false >/dev/null
new_leader() {
  local h
  h=$(holder)
  [[ -n $h && $h != "$leader" ]] && kubectl -n $sys_ns get pod "$h" >/dev/null 2>&1 && echo "$h"
}
eventually 60 "another replica takes the Lease from $leader" new_leader
successor=$(new_leader)
metrics() { kubectl get --raw "/api/v1/namespaces/$sys_ns/pods/$successor:8080/proxy/metrics"; }
passed() { # each object reconciled at least once since taking over
  local m
  m=$(metrics) || return 1
  grep -q '^gajyeogagu_operator_reconciles_total{kind="ModelDeployment"} [1-9]' <<<"$m" &&
    grep -q '^gajyeogagu_operator_reconciles_total{kind="ApiTenant"} [1-9]' <<<"$m"
}
eventually 60 "the new leader's first pass" passed
sleep 2
writes=$(metrics | awk '/^gajyeogagu_operator_api_writes_total/ {s += $2} END {print s + 0}')
[[ $writes == 0 ]] || fail "the new leader's first pass wrote $writes times: $(metrics | grep api_writes_total)"
lap "leader $leader deleted → $successor took the Lease; its full pass wrote nothing"

# Deleting the resources: the real controller-manager garbage-collects what the operator made.
stop_forward
"${K[@]}" delete apitenant shop --wait=true >/dev/null
"${K[@]}" delete md vision --wait=true >/dev/null
eventually 90 "children garbage-collected" sh -c "[ -z \"\$(kubectl -n $shop get deploy,svc,cm,rs,networkpolicy -l app.kubernetes.io/part-of=gajyeogagu -o name)\" ]"
lap "ApiTenant and ModelDeployment deleted → their Deployments, Services, ConfigMap and NetworkPolicies garbage-collected"
kubectl delete namespace "$shop" --wait=false >/dev/null
kubectl delete pv "gajyeogagu-models-$shop" --wait=false >/dev/null
