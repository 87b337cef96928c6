#!/usr/bin/env bash
# Helm, built from its Go module (no registry ships the binary), cached outside the clone.
# Prints HELM=<path>. First run ~3-5 minutes on 2 cores, then instant.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
VERSION=v3.19.5
dir=$CACHE/helm-$VERSION
if [[ ! -x $dir/helm ]]; then
  command -v go >/dev/null || { echo "helm-tool: Go is needed to build Helm" >&2; exit 1; }
  echo "helm-tool: building helm $VERSION from Go modules (first run only)…" >&2
  mkdir -p "$dir"
  CGO_ENABLED=0 GOBIN=$dir go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$VERSION"
fi
emit "HELM=$dir/helm"
