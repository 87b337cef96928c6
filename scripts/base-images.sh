#!/usr/bin/env bash
# Base images made from Debian packages (no image registry is reachable here), cached as
# checksummed tarballs under the cache dir and imported into the local Docker engine:
#
#   gajyeogagu-base/debian:bookworm-$BASE_REV   debootstrap --variant=minbase bookworm,
#                                               plus ca-certificates (~210 MB, 2 min cold)
#
# It stands in for debian:bookworm-slim (crud-api, dl-api) and distroless/cc (operator): glibc,
# libgcc, libstdc++ and CA certificates are all the binaries need. Prints, for eval:
#   BASE_IMAGE=gajyeogagu-base/debian:bookworm-$BASE_REV
# Bump BASE_REV to rebuild (e.g. for security updates).
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
eval "$("$here/docker-engine.sh")"
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
BASE_REV=1
IMAGE=gajyeogagu-base/debian:bookworm-$BASE_REV
TAR=$CACHE/images/debian-bookworm-minbase-$BASE_REV.tar
log() { echo "base-images: $*" >&2; }
mkdir -p "$CACHE/images"

if ! $DOCKER image inspect "$IMAGE" >/dev/null 2>&1; then
  if [[ -s $TAR && -s $TAR.sha256 ]] && (cd "$(dirname "$TAR")" && sha256sum -c --quiet "$TAR.sha256"); then
    log "importing $IMAGE from the cache"
  else
    log "debootstrap bookworm (minbase + ca-certificates) → $TAR"
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase --include=ca-certificates bookworm "$root" http://deb.debian.org/debian >"$CACHE/images/debootstrap.log" 2>&1 ||
      { tail -20 "$CACHE/images/debootstrap.log" >&2; exit 1; }
    # Smaller and quieter: no apt lists, caches or man pages in the image.
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
      "$root"/usr/share/man/* "$root"/usr/share/doc/*
    tar -C "$root" --numeric-owner -cf "$TAR.tmp" .
    mv "$TAR.tmp" "$TAR"
    (cd "$(dirname "$TAR")" && sha256sum "$(basename "$TAR")" >"$TAR.sha256")
  fi
  $DOCKER import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' "$TAR" "$IMAGE" >/dev/null
fi
emit "BASE_IMAGE=$IMAGE"
