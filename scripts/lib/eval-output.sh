# Sourced first (after `set -euo pipefail`) by every script whose standard output callers eval
# (`eval "$(scripts/kube-test-tools.sh)"`): only the `emit KEY=value` lines may reach that
# stdout. The script runs again as a child whose stdout *is* stderr, so no tool's chatter — apt-get
# download's "Get:1 …" broke `make cluster` on a fresh machine: the caller ran it as a command —
# can become shell; what the child emits is collected in a file and printed when it ends.
# scripts/tests/eval-scripts.sh checks every eval'd script sources this.
if [[ -z ${EVAL_OUTPUT_FILE:-} ]]; then
  eval_output=$(mktemp)
  eval_status=0
  EVAL_OUTPUT_FILE=$eval_output bash "$0" "$@" >&2 || eval_status=$?
  cat "$eval_output"
  rm -f "$eval_output"
  # A failure must reach the caller: `eval "$(script)"` of an empty output is true, so the caller
  # would run on without the variables (scripts/kind-demo.sh once did). The line evaluates false.
  ((eval_status == 0)) || echo "false # $(basename "$0") failed (exit $eval_status)"
  exit "$eval_status"
fi
# The child: not exported further, so scripts it evals in turn get their own.
eval_output_file=$EVAL_OUTPUT_FILE
unset EVAL_OUTPUT_FILE
emit() { printf '%s\n' "$*" >>"$eval_output_file"; }
