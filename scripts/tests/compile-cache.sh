#!/usr/bin/env bash
# scripts/with-compile-cache.sh, in a scratch clone with a scratch cache:
# - a clone without target/ gets a link into the cache; one with a real target/ keeps it;
# - a daemon the command leaves running (dockerd, the registry) does not keep the lock: the
#   next run starts at once (it waited forever: the stop's CI would have hung);
# - a held lock makes the next run wait, and COMPILE_CACHE=0 turns the cache off.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
daemon=""
cleanup() { [[ -n $daemon ]] && kill "$daemon" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }

clone=$tmp/clone
mkdir -p "$clone/scripts"
cp "$here/../with-compile-cache.sh" "$clone/scripts/"
run() { GAJYEOGAGU_CACHE=$tmp/cache "$clone/scripts/with-compile-cache.sh" "$@"; }

run bash -c 'sleep 300 >/dev/null 2>&1 & echo $! >"$0/daemon.pid"' "$tmp" 2>"$tmp/first.log"
daemon=$(cat "$tmp/daemon.pid")
check "a fresh clone's target/ links into the cache" '[[ -L $clone/target && $(readlink "$clone/target") == $tmp/cache/compile/target-* ]]'
check "the command ran in the clone, with the link" '[[ -d $clone/target/ ]]'
start=$(date +%s)
timeout 20 bash -c "$(declare -f run); clone=$clone tmp=$tmp run true" 2>"$tmp/second.log" || true
check "a daemon left running does not hold the lock (next run at once)" '(( $(date +%s) - start < 5 )) && ! grep -q waiting "$tmp/second.log"'

# A run holding the lock makes another wait.
exec 8>"$tmp/cache/compile/lock"
flock 8
timeout 3 bash -c "$(declare -f run); clone=$clone tmp=$tmp run true" 2>"$tmp/third.log" && waited=0 || waited=$?
check "a held lock makes the next run wait" '(( waited == 124 )) && grep -q "waiting for it" "$tmp/third.log"'
exec 8>&-

other=$tmp/real
mkdir -p "$other/scripts" "$other/target"
cp "$here/../with-compile-cache.sh" "$other/scripts/"
GAJYEOGAGU_CACHE=$tmp/cache "$other/scripts/with-compile-cache.sh" true
check "a clone with a real target/ keeps it" '[[ -d $other/target && ! -L $other/target ]]'
rm -rf "$clone/target"
COMPILE_CACHE=0 GAJYEOGAGU_CACHE=$tmp/cache "$clone/scripts/with-compile-cache.sh" true
check "COMPILE_CACHE=0 leaves the clone alone" '[[ ! -e $clone/target ]]'

echo "compile-cache: $((6 - fails)) passed, $fails failed"
exit $((fails > 0))
