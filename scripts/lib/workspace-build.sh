# Sourced by the scripts `make test` runs after `cargo test --workspace`: they build what they
# run with that same invocation, so Cargo resolves the same dependency features and finds every
# artifact fresh. A `cargo build -p crud-api` instead unifies features for crud-api alone and
# recompiled ~60 dependencies (wasmtime, sqlx, tokio…): 3½ minutes of every CI run.

# The workspace's binaries (target/debug/crud-api, dl-api, gajyeogagu-operator…) and tests.
build_workspace_debug() {
  ${CARGO:-cargo} test -q --workspace --no-run >&2
}

# The path of the integration-test executable TEST of the package in directory DIR (relative
# to the workspace root, e.g. `crud-api`), from that same build.
workspace_test_binary() {
  ${CARGO:-cargo} test -q --workspace --no-run --message-format=json |
    python3 -c '
import json, sys
suffix, test = "/" + sys.argv[1].strip("/") + "/Cargo.toml", sys.argv[2]
found = None
for line in sys.stdin:  # read to the end: Cargo must not meet a closed pipe
    msg = json.loads(line)
    target = msg.get("target") or {}
    if (msg.get("reason") == "compiler-artifact" and msg.get("executable")
            and target.get("name") == test and "test" in target.get("kind", [])
            and msg["manifest_path"].endswith(suffix)):
        found = msg["executable"]
if not found:
    sys.exit("no test target %r in %s" % (test, suffix))
print(found)
' "$1" "$2"
}
