# Tenants isolated on the network, sourced by scripts/e2e/platform.sh once tenant A (`shop`,
# namespace shop) is Ready and its storefront flow has passed — with the NetworkPolicies the
# operator wrote in force, so the allowed paths (crud-api → its PostgreSQL, crud-api → the
# dl-api it names over cluster DNS, the operator → crud-api's /readyz) are proven by that flow.
# Here a second tenant B (namespace shop-b, its own PostgreSQL, no ModelDeployment) comes up
# behind its own policies, then:
#   - B's crud-api pod cannot reach A's crud-api, A's PostgreSQL or A's dl-api (B's egress);
#   - a plain pod in B's namespace, whose egress nothing restricts, cannot reach A's crud-api
#     or A's dl-api (the operator's ingress policies), nor A's PostgreSQL (the policy the docs
#     tell a tenant's owner to write for a database they run in the cluster) — while it does
#     reach B's PostgreSQL (so a refusal is the policy's, not a broken pod);
#   - a pod in a namespace labelled gajyeogagu.io/ingress=true (where an ingress controller
#     would run) reaches A's crud-api.
# NetworkPolicy enforcement itself was shown by scripts/e2e/nodes.sh (a refusal first).

b=shop-b
KB=(kubectl -n "$b")
# tcp_from NS POD HOST PORT — a TCP connection from the pod succeeds within 3 s.
tcp_from() { kubectl -n "$1" exec "$2" -- timeout 3 bash -c "exec 3<>/dev/tcp/$3/$4" >/dev/null 2>&1; }

# The operator's policies for A, as written.
np=$("${K[@]}" get networkpolicy shop-crud-api -o jsonpath='{.spec.policyTypes}')
[[ $np == '["Ingress","Egress"]' ]] || fail "tenant A's NetworkPolicy has policyTypes $np"
"${K[@]}" get networkpolicy vision-dl-api >/dev/null || fail "the ModelDeployment has no NetworkPolicy"
# A's PostgreSQL admits A's crud-api only: the policy docs/operator.md gives a tenant's owner,
# which the demo installs (kustomize/overlays/kind-demo/postgres-policy.yaml).
[[ $("${K[@]}" get networkpolicy postgres -o jsonpath='{.spec.ingress[0].from[0].podSelector.matchLabels}') == '{"gajyeogagu.io/tenant":"shop"}' ]] ||
  fail "the demo's PostgreSQL has no policy admitting tenant shop only"

kubectl create namespace "$b" >/dev/null
postgres_in "$b" b-db b-jwt
"${KB[@]}" apply -f - >/dev/null <<YAML
apiVersion: gajyeogagu.io/v1alpha1
kind: ApiTenant
metadata: { name: b }
spec:
  tenantId: shop-b
  image: $CRUD_API_IMAGE
  replicas: 1
  databaseSecretRef: { name: b-db, key: url }
  auth: { signingKeySecretRef: { name: b-jwt, key: key.pem } }
  network:
    egress:
      - to: [{ podSelector: { matchLabels: { app: postgres } } }]
        ports: [{ port: 5432 }]
---
apiVersion: v1
kind: Pod
metadata: { name: stranger }
spec:
  securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: c
      image: $TOOLS
      command: [sleep, "3600"]
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
YAML
kubectl create namespace edge >/dev/null
kubectl label namespace edge gajyeogagu.io/ingress=true >/dev/null
kubectl -n edge run gateway --image="$TOOLS" --restart=Never \
  --overrides='{"spec":{"securityContext":{"runAsNonRoot":true}}}' --command -- sleep 3600 >/dev/null
"${KB[@]}" wait --for=condition=Ready apitenant/b --timeout=240s >/dev/null ||
  fail "tenant B never became Ready (its crud-api must reach its own PostgreSQL through its policy)"
"${KB[@]}" wait --for=condition=Ready pod/stranger --timeout=90s >/dev/null || fail "the stranger pod never started"
kubectl -n edge wait --for=condition=Ready pod/gateway --timeout=90s >/dev/null || fail "the gateway pod never started"
b_pod=$("${KB[@]}" get pods -l app.kubernetes.io/instance=b,app.kubernetes.io/name=crud-api -o jsonpath='{.items[0].metadata.name}')
lap "tenant B Ready in $b behind its own policy (its crud-api reaches its PostgreSQL)"

a_api=shop-crud-api.$shop.svc a_pg=postgres.$shop.svc a_dl=vision-dl-api.$shop.svc
# Positive controls first: the pods used below can connect where policy allows.
tcp_from "$b" stranger "postgres.$b.svc" 5432 || fail "the stranger pod cannot reach B's own PostgreSQL (no policy there)"
tcp_from edge gateway "$a_api" 8001 || fail "a pod in a namespace labelled gajyeogagu.io/ingress=true cannot reach A's crud-api"
for target in "$a_api 8001" "$a_pg 5432" "$a_dl 8002"; do
  # shellcheck disable=SC2086
  if tcp_from "$b" "$b_pod" $target; then fail "tenant B's crud-api reached A's ${target% *}"; fi
  # shellcheck disable=SC2086
  if tcp_from "$b" stranger $target; then fail "a pod in B's namespace reached A's ${target% *}"; fi
done
lap "isolation: B's crud-api and any pod of B's namespace are refused by A's crud-api, A's PostgreSQL and A's dl-api; a pod in an ingress namespace reaches A's crud-api"

# Tenant B goes before its namespace (whose deletion takes a while): the leader hand-over
# below counts every write of its first pass, and a tenant mid-deletion would make some.
"${KB[@]}" delete apitenant b --wait=true >/dev/null
kubectl delete namespace "$b" edge --wait=false >/dev/null
"${K[@]}" delete networkpolicy postgres >/dev/null
