#!/usr/bin/env bash
# scripts/runc-host-caps.sh, the runtime dockerd gets on hosts whose root lacks capabilities
# (this machine: CAP_SYS_RESOURCE; kind's `--privileged` nodes fail without it). With a fake
# runc and a fake /proc/self/status: on `create`/`run` the bundle's config.json loses exactly
# the capabilities the host lacks, on `exec` (`docker exec --privileged`) the process file does,
# the real runc gets the same arguments, other commands touch nothing, and on a host with every
# capability nothing changes. Prints "N passed, N failed"; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
printf '#!/bin/sh\necho "$@" >"%s/argv"\n' "$t" >"$t/runc" && chmod +x "$t/runc"
last=$(cat /proc/sys/kernel/cap_last_cap)
full=$(printf '%x' $(((1 << (last + 1)) - 1)))
printf 'CapBnd:\t%016x\n' $((16#$full & ~(1 << 24))) >"$t/lacking" # no CAP_SYS_RESOURCE
printf 'CapBnd:\t%016s\n' "$full" >"$t/full"
caps='["CAP_CHOWN","CAP_SYS_RESOURCE","CAP_NET_ADMIN"]'
spec() { mkdir -p "$t/b" && echo "{\"process\":{\"capabilities\":{\"bounding\":$caps,\"effective\":$caps}}}" >"$t/b/config.json"; }
proc() { echo "{\"args\":[\"cat\"],\"capabilities\":{\"bounding\":$caps,\"permitted\":$caps}}" >"$t/p.json"; }
shim() { HOST_STATUS=$t/$1 REAL_RUNC=$t/runc scripts/runc-host-caps.sh "${@:2}"; }
left() { jq -c "[$2 | .[]] | unique" "$1"; }
want='["CAP_CHOWN","CAP_NET_ADMIN"]'

spec; shim lacking --root /r --log l create --bundle "$t/b" --pid-file p id1
[[ $(left "$t/b/config.json" '.process.capabilities[]') == "$want" ]] && ok "create --bundle: CAP_SYS_RESOURCE removed, the rest kept" ||
  bad "create --bundle left $(left "$t/b/config.json" '.process.capabilities[]')"
[[ $(cat "$t/argv") == "--root /r --log l create --bundle $t/b --pid-file p id1" ]] && ok "runc gets the same arguments" ||
  bad "runc got: $(cat "$t/argv")"
spec; shim lacking run -b "$t/b" id2
[[ $(left "$t/b/config.json" '.process.capabilities[]') == "$want" ]] && ok "run -b" || bad "run -b did not strip"
spec; shim lacking create "--bundle=$t/b" id3
[[ $(left "$t/b/config.json" '.process.capabilities[]') == "$want" ]] && ok "create --bundle=…" || bad "create --bundle=… did not strip"
proc; shim lacking exec --process "$t/p.json" --detach id1
[[ $(left "$t/p.json" '.capabilities[]') == "$want" ]] && ok "exec --process (docker exec --privileged)" ||
  bad "exec left $(left "$t/p.json" '.capabilities[]')"
spec; before=$(sha256sum <"$t/b/config.json")
(cd "$t/b" && HOST_STATUS=$t/lacking REAL_RUNC=$t/runc "$OLDPWD/scripts/runc-host-caps.sh" delete id1)
[[ $(sha256sum <"$t/b/config.json") == "$before" ]] && ok "delete touches no file" || bad "delete changed config.json"
spec; proc; shim full create --bundle "$t/b" id4; shim full exec -p "$t/p.json" id4
[[ $(left "$t/b/config.json" '.process.capabilities[]') == '["CAP_CHOWN","CAP_NET_ADMIN","CAP_SYS_RESOURCE"]' &&
  $(left "$t/p.json" '.capabilities[]') == '["CAP_CHOWN","CAP_NET_ADMIN","CAP_SYS_RESOURCE"]' ]] &&
  ok "a host with every capability: nothing removed" || bad "a full host lost capabilities"
echo "$pass passed, $fail failed"
((fail == 0))
