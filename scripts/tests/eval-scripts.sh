#!/usr/bin/env bash
# Scripts whose standard output callers eval (or take as a path) can't be broken by a tool's
# chatter on stdout — `make cluster` once failed on a fresh machine because `apt-get download`
# printed "Get:1 …" into an `eval` (issue 31). Checks, for every script named in an
# `eval "$(…)"` or `$(scripts/…)` of the Makefile and the scripts:
#   1. it sources scripts/lib/eval-output.sh (whose body then writes to stderr; only `emit`
#      reaches stdout) — structural, so a new chatty command can't undo it;
#   2. run warm (`make test` has built every cache by now), each stdout line is `KEY=value …`
#      (or, for the eval-set fetcher, one directory);
#   3. the cold path that broke: kube-test-tools.sh with an empty etcd cache, so apt-get
#      really downloads (and prints `Get:1 …`) — stdout must still be only KEY=value lines.
# Prints "N passed, N failed" and exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
kv='^[A-Z_][A-Z0-9_]*=[^ ]*( [A-Z_][A-Z0-9_]*=[^ ]*)*$'

# 1. Every script whose output is captured: eval "$(…/x.sh …)", $$(scripts/x.sh) in make.
mapfile -t captured < <(grep -rhoE --exclude=eval-scripts.sh '\$\(("?\$(here|root)"?/|scripts/|"\$root/scripts/)[a-z-]+\.sh' Makefile scripts \
  | grep -oE '[a-z-]+\.sh$' | sort -u)
for s in "${captured[@]}"; do
  if grep -q 'lib/eval-output.sh' "scripts/$s"; then ok "$s sources lib/eval-output.sh"; else bad "$s: stdout is captured but it does not source lib/eval-output.sh"; fi
done
((${#captured[@]} >= 10)) || bad "found only ${#captured[@]} captured scripts: the search is broken"

# 2. Warm runs: only KEY=value lines (or one directory) on stdout.
check_output() { # name, output, pattern
  local lines
  lines=$(printf '%s\n' "$2" | grep -cvE "$3" || true)
  if [[ -n $2 && $lines == 0 ]]; then ok "$1 printed only results"; else bad "$1 printed: $2"; fi
}
for s in kube-test-tools kube-node-tools object-store-tool plugin-langs helm-tool fetch-models; do
  check_output "$s.sh" "$("scripts/$s.sh")" "$kv"
done
# (fetch-eval-photos.sh only by its static check: `make test` never fetches the photo set.)
check_output fetch-eval-images.sh "$(scripts/fetch-eval-images.sh)" '^/[^ ]+$'

# 3. The cold path that broke `make cluster`: etcd downloaded with apt-get into an empty cache.
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
eval "$(scripts/kube-test-tools.sh)" # the real cache: kube-apiserver is built already
version_dir=$(basename "$(dirname "$KUBE_APISERVER_BIN")")
mkdir -p "$cache/$version_dir"
cp -p "$KUBE_APISERVER_BIN" "$KUBE_APISERVER_BIN.modsum" "$cache/$version_dir/"
out=$(GAJYEOGAGU_CACHE=$cache scripts/kube-test-tools.sh 2>"$cache/stderr")
check_output "kube-test-tools.sh, etcd cold" "$out" "$kv"
if grep -q "apt-get download" "$cache/stderr" && [[ -x $cache/$version_dir/etcd ]]; then
  ok "the cold path ran (etcd downloaded, its chatter on stderr)"
else
  bad "the cold path did not run: $(cat "$cache/stderr")"
fi

# 4. A failing script fails the caller's eval (an eval of nothing would be true).
printf '#!/usr/bin/env bash\nset -euo pipefail\nsource %q\nemit X=1\nexit 3\n' "$PWD/scripts/lib/eval-output.sh" >"$cache/failing.sh"
chmod +x "$cache/failing.sh"
# (eval's status is its last command's: the line evaluated from a failure must be false. Not
# `set -e` in a subshell: errexit is off inside an if condition.)
if eval "$("$cache/failing.sh" 2>/dev/null)"; then
  bad "eval \"\$(a failing script)\" succeeded"
else
  ok "eval \"\$(a failing script)\" fails"
fi

echo "eval-scripts: $pass passed, $fail failed"
((fail == 0))
