#!/usr/bin/env bash
# Runs a command (`make test`'s steps) with the clone's `target/` kept outside the clone, in a
# compile cache keyed by the Rust toolchain — what `rust-cache` does for hosted CI. A fresh
# clone then compiles only the workspace's own crates (their sources are newer than the cache;
# Cargo's hashes are relative to the workspace root, so any clone path reuses the same files)
# and none of the ~500 registry crates. Everything else stays clean-clone: the cache holds only
# compiler output, and Cargo decides what is stale exactly as it does in a local target/.
#
#   scripts/with-compile-cache.sh make test-steps
#
# - A clone that already has a real target/ directory keeps it (a developer's tree, `make run`
#   before `make test`): nothing changes for it.
# - One clone at a time: this script holds a lock on the cache while the command runs, so a
#   second `make test` in another clone waits (at most 30 minutes, then builds in its own
#   target/) rather than overwrite the first one's binaries mid-run.
# - Bounded: a cache of another toolchain is deleted when a new one starts; one that grew past
#   COMPILE_CACHE_MAX_GB (default 40) — dependency versions accumulate as Cargo.lock moves — is
#   emptied before the command runs (the next run is cold, then warm again).
# - COMPILE_CACHE=0 turns it off (target/ in the clone, as before).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { echo "compile-cache: $*" >&2; }

if [[ ${COMPILE_CACHE:-1} == 0 || (-d target && ! -L target) ]]; then
  exec "$@"
fi

cache_root=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}/compile
toolchain=$(rustc -vV | sha256sum | cut -c1-16)
dir=$cache_root/target-$toolchain
mkdir -p "$cache_root"

exec 9>"$cache_root/lock"
if ! flock -n 9; then
  log "another clone's build holds $cache_root; waiting for it (at most 30 minutes)"
  if ! flock -w 1800 9; then
    log "still held: building in this clone's own target/ instead"
    exec 9>&-
    exec "$@"
  fi
fi

for other in "$cache_root"/target-*; do
  [[ -d $other && $other != "$dir" ]] || continue
  log "removing the cache of another toolchain: $other"
  rm -rf "$other"
done
max_gb=${COMPILE_CACHE_MAX_GB:-40}
if [[ -d $dir ]]; then
  size_gb=$(($(du -s --block-size=1G "$dir" | cut -f1)))
  if ((size_gb > max_gb)); then
    log "$dir is ${size_gb} GiB (> COMPILE_CACHE_MAX_GB=$max_gb): emptying it"
    rm -rf "$dir"
  fi
fi
mkdir -p "$dir"

# A link left by an earlier run (maybe to another toolchain's cache) is replaced.
[[ -L target ]] && rm target
ln -s "$dir" target
log "target/ -> $dir ($(du -sh "$dir" | cut -f1))"
# The lock is this script's alone: the command runs without descriptor 9, or the daemons it
# starts and leaves running (dockerd, the local registry) would hold the lock after it ends —
# the next clone's `make test` waited on exactly that.
"$@" 9>&-
