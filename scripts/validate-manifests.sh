#!/usr/bin/env bash
# Renders every kustomize overlay (and, when Helm is available, the chart) and validates
# each object: built-in kinds with kubernetes-validate --strict for Kubernetes 1.33,
# ModelDeployment/ApiTenant samples against the generated CRD schemas.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
venv=$CACHE/venv-kubernetes-validate-1.33.0
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install --quiet --progress-bar off 'kubernetes-validate==1.33.0' 'jsonschema==4.23.0' 'PyYAML==6.0.2'
  mv "$venv.tmp" "$venv"
fi
kustomize() {
  if command -v kubectl >/dev/null; then
    kubectl kustomize "$1"
  else
    local bin=$CACHE/kustomize-v5.8.3/kustomize
    [[ -x $bin ]] || GOBIN=$(dirname "$bin") go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.3
    "$bin" build "$1"
  fi
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=()
for overlay in "$root"/kustomize/overlays/*/; do
  name=$(basename "$overlay")
  kustomize "$overlay" >"$work/kustomize-$name.yaml"
  files+=("$work/kustomize-$name.yaml")
done
cp "$root"/crds/samples/*.yaml "$work/" && files+=("$work"/model-deployment.yaml "$work"/api-tenant.yaml)
if [[ -n ${HELM:-} ]]; then
  "$HELM" lint "$root/charts/gajyeogagu"
  "$HELM" template gajyeogagu "$root/charts/gajyeogagu" --namespace gajyeogagu-system --include-crds >"$work/helm.yaml"
  files+=("$work/helm.yaml")
fi
"$venv/bin/python" "$here/validate-manifests.py" 1.33.0 "$root/crds/crds.yaml" "${files[@]}"
