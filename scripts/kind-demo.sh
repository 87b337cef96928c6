#!/usr/bin/env bash
# `make kind-demo`: a working shop on the kind cluster in one command — the cluster (make kind),
# the images built here and `kind load`ed, the operator, a ModelDeployment and an ApiTenant with
# its PostgreSQL, the payment-promo plugin and the NetworkPolicies, all Ready; then it checks the
# storefront answers through a port-forward and says how to reach it. Idempotent: run it again
# after a change and it loads the new images and re-applies (Secrets are kept).
#
# The steps between the markers below are, line for line, docs/operator.md "Install on kind"
# (scripts/tests/kind-demo-docs.sh fails when they drift), and `make e2e` runs this script to
# install the platform it then tests (scripts/cluster-e2e.sh).
#
#   PROFILE=debug scripts/kind-demo.sh   # package the test build's binaries (default: release)
# Prints, for eval: KUBECONFIG=… OPERATOR_IMAGE=… DL_API_IMAGE=… CRUD_API_IMAGE=… POSTGRES_IMAGE=…
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
cd "$(dirname "$0")/.."
started=$(date +%s)

# >>> docs/operator.md: Install on kind
eval "$(scripts/kind.sh up)"                # the cluster (make kind), KUBECONFIG exported
eval "$(scripts/kube-node-tools.sh)" && export PATH=$(dirname "$KUBECTL_BIN"):$PATH   # kubectl v1.33
eval "$(scripts/images.sh)"                 # crud-api, dl-api, operator: 127.0.0.1:5000/gajyeogagu/*:dev
eval "$(scripts/postgres-image.sh)"         # gajyeogagu.local/postgres:15, from Debian packages
scripts/kind.sh load "$OPERATOR_IMAGE" "$DL_API_IMAGE" "$CRUD_API_IMAGE" "$POSTGRES_IMAGE"

# Namespace shop and its secrets: random passwords and keys, made once.
kubectl get namespace shop >/dev/null 2>&1 || kubectl create namespace shop
if ! kubectl -n shop get secret postgres >/dev/null 2>&1; then
  password=$(openssl rand -hex 16)
  kubectl -n shop create secret generic postgres --from-literal=password="$password"
  kubectl -n shop create secret generic shop-db \
    --from-literal=url="postgres://gajyeogagu:$password@postgres.shop.svc:5432/gajyeogagu"
fi
kubectl -n shop get secret shop-jwt >/dev/null 2>&1 ||
  kubectl -n shop create secret generic shop-jwt --from-file=key.pem=<(openssl genpkey -algorithm ed25519)
kubectl -n shop get secret vision-keys >/dev/null 2>&1 ||
  kubectl -n shop create secret generic vision-keys --from-literal=keys="$(openssl rand -hex 24)"
# The payment plugin: its module in a ConfigMap, pinned by sha256 in the tenant below.
plugin=target/wasm32-wasip2/plugin/payment_promo.wasm
kubectl -n shop create configmap shop-plugins --from-file=payment.wasm=$plugin --dry-run=client -o yaml |
  kubectl apply -f -

# The operator (CRDs, RBAC, two replicas), then the shop: models volume, PostgreSQL, dl-api.
kubectl apply -k kustomize/overlays/kind
kubectl wait --for=condition=Established crd/modeldeployments.gajyeogagu.io crd/apitenants.gajyeogagu.io
kubectl apply -k kustomize/overlays/kind-demo
kubectl apply -f - <<YAML
apiVersion: gajyeogagu.io/v1alpha1
kind: ApiTenant
metadata: { name: shop, namespace: shop }
spec:
  tenantId: shop
  image: $CRUD_API_IMAGE
  replicas: 1
  databaseSecretRef: { name: shop-db, key: url }
  auth: { signingKeySecretRef: { name: shop-jwt, key: key.pem } }
  modelDeployment: vision
  plugins:
    payment:
      source: { configMap: { name: shop-plugins, key: payment.wasm } }
      sha256: $(sha256sum $plugin | cut -c1-64)
      fallback: failClosed
  # Where its crud-api may connect besides DNS and vision's dl-api: its PostgreSQL.
  network:
    egress:
      - to: [{ podSelector: { matchLabels: { app: postgres } } }]
        ports: [{ port: 5432 }]
YAML
kubectl -n gajyeogagu-system rollout status deploy/gajyeogagu-operator --timeout=180s
kubectl -n shop wait --for=condition=Ready md/vision apitenant/shop --timeout=300s
kubectl -n shop get md,tenant
# <<< docs/operator.md

# Used as a visitor would: the storefront answers through a port-forward to the tenant's Service.
work=$(mktemp -d)
kubectl -n shop port-forward svc/shop-crud-api 0:8001 >"$work/pf.log" 2>&1 &
pf=$!
trap 'kill $pf 2>/dev/null || true; rm -rf "$work"' EXIT
port=
for _ in $(seq 50); do
  port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) .*/\1/p' "$work/pf.log" | head -1)
  [[ -n $port ]] && break
  sleep 0.2
done
[[ -n $port ]] || { echo "kind-demo: kubectl port-forward: $(cat "$work/pf.log")" >&2; exit 1; }
ready=
for _ in $(seq 30); do
  ready=$(curl -sf "http://127.0.0.1:$port/readyz") && break
  sleep 1
done
[[ $ready == *'"backend":"postgres"'* ]] || { echo "kind-demo: the storefront's /readyz answered '$ready'" >&2; exit 1; }

cat >&2 <<EOF

kind-demo: the shop is up ($(($(date +%s) - started)) s) — crud-api on PostgreSQL, photos analysed by
the ModelDeployment 'vision', payments through the payment-promo plugin.

  export KUBECONFIG=$KUBECONFIG
  kubectl -n shop port-forward svc/shop-crud-api 8001:8001
  # then http://127.0.0.1:8001/docs (Swagger UI), e.g.
  curl -s http://127.0.0.1:8001/api/v1/products

Status: kubectl -n shop get md,tenant; kubectl -n shop describe tenant shop
Remove: make kind-down (the whole cluster)
EOF
emit "KUBECONFIG=$KUBECONFIG OPERATOR_IMAGE=$OPERATOR_IMAGE DL_API_IMAGE=$DL_API_IMAGE CRUD_API_IMAGE=$CRUD_API_IMAGE POSTGRES_IMAGE=$POSTGRES_IMAGE"
