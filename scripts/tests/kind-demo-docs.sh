#!/usr/bin/env bash
# docs/operator.md's "Install on kind" block is exactly the steps scripts/kind-demo.sh runs (and
# `make e2e` runs that script): the lines between `# >>> docs/operator.md` and
# `# <<< docs/operator.md` in the script equal the ```sh block under the docs' marker
# `<!-- steps: scripts/kind-demo.sh -->`. Fails, with a diff, when either drifts.
set -euo pipefail
cd "$(dirname "$0")/../.."
script=$(sed -n '/^# >>> docs\/operator.md/,/^# <<< docs\/operator.md/p' scripts/kind-demo.sh | sed '1d;$d')
docs=$(sed -n '/^<!-- steps: scripts\/kind-demo.sh -->/,/^```$/p' docs/operator.md | sed '1,2d;$d')
[[ $(wc -l <<<"$script") -ge 20 ]] || { echo "FAIL the script's marked steps are missing or short"; exit 1; }
if [[ $script != "$docs" ]]; then
  echo "FAIL docs/operator.md (Install on kind) and scripts/kind-demo.sh differ:"
  diff <(echo "$docs") <(echo "$script") || true
  exit 1
fi
echo "ok   docs/operator.md's kind steps are scripts/kind-demo.sh's ($(wc -l <<<"$script") lines)"
