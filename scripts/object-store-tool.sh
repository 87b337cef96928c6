#!/usr/bin/env bash
# A real S3-compatible server for the object-storage tests and the fleet test: s3s-fs (the
# s3s project's filesystem-backed S3 server, SigV4 authentication), `cargo install`ed once from
# crates.io at a pinned version with its published lock file, cached outside the clone
# (~1 minute on 2 cores the first time). Prints S3S_FS_BIN=<path>. A second run takes a second.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
VERSION=0.14.1
dir=$CACHE/s3s-fs-$VERSION
if [[ ! -x $dir/bin/s3s-fs ]]; then
  echo "object-store-tool: cargo install s3s-fs $VERSION (first run only)…" >&2
  cargo install -q --locked --version "$VERSION" --features binary --root "$dir.tmp" s3s-fs >&2 ||
    cargo install -q --version "$VERSION" --features binary --root "$dir.tmp" s3s-fs >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
emit "S3S_FS_BIN=$dir/bin/s3s-fs"
