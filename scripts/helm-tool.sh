#!/usr/bin/env bash
# Helm, built from its Go module (no registry ships the binary), cached outside the clone.
# Prints HELM=<path>. First run ~3-5 minutes on 2 cores, then instant.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
source "$(dirname "$0")/lib/go-install.sh"
emit "HELM=$(go_install_cached helm helm.sh/helm/v3/cmd/helm v3.19.5)"
