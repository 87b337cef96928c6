# The Helm chart, sourced by scripts/cluster-e2e.sh after scripts/e2e/platform.sh: the
# kustomize install is removed (the chart's cluster-wide RBAC has the same names), then
# `helm install` into a fresh namespace, a ModelDeployment served through it, `helm uninstall`.

kubectl delete -k "$here/../kustomize/overlays/kind" --wait=true --timeout=180s >/dev/null 2>&1 ||
  fail "kubectl delete -k kustomize/overlays/kind"
eval "$("$here/helm-tool.sh")"
release_ns=gajyeogagu-helm
"$HELM" install gajyeogagu "$here/../charts/gajyeogagu" --namespace "$release_ns" --create-namespace \
  --set image.repository="${OPERATOR_IMAGE%:*}" --set image.tag="${OPERATOR_IMAGE##*:}" \
  --wait --timeout 3m >"$work/helm.log" 2>&1 || fail "helm install: $(cat "$work/helm.log")"
lap "helm install into $release_ns: operator Ready"

smoke=helm-smoke
kubectl create namespace "$smoke" >/dev/null
model_volume "$smoke"
kubectl -n "$smoke" create secret generic vision-keys --from-literal=keys=smoke-key >/dev/null
kubectl -n "$smoke" apply -f - >/dev/null <<YAML
apiVersion: gajyeogagu.io/v1alpha1
kind: ModelDeployment
metadata: { name: vision }
spec:
  image: $DL_API_IMAGE
  model: { pvc: { name: models, path: efficientnet-lite0/1 }, version: "1" }
  apiKeySecretRef: { name: vision-keys, key: keys }
YAML
kubectl -n "$smoke" wait --for=condition=Ready md/vision --timeout=180s >/dev/null ||
  fail "a ModelDeployment under the Helm-installed operator never became Ready"
kubectl -n "$smoke" delete md vision --wait=true >/dev/null
K=(kubectl -n "$smoke")
eventually 60 "the smoke ModelDeployment's children garbage-collected" sh -c \
  "[ -z \"\$(kubectl -n $smoke get deploy,svc -l app.kubernetes.io/part-of=gajyeogagu -o name)\" ]"
"$HELM" uninstall gajyeogagu --namespace "$release_ns" --wait >/dev/null || fail "helm uninstall"
[[ -z $(kubectl -n "$release_ns" get deploy -o name) ]] || fail "helm uninstall left the operator Deployment"
lap "under the Helm-installed operator a ModelDeployment became Ready and was collected; helm uninstall removed the operator"
