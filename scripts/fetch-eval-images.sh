#!/usr/bin/env bash
# Fetch the furniture evaluation images: icon renders from Debian's
# sweethome3d-furniture package (GPL, so fetched at test time and never committed),
# labelled into our seven categories by scripts/models/label_sweethome3d.py.
# Prints the directory (labels.tsv + <category>/*.png). Cached outside the clone.
set -euo pipefail
# Stdout is the result only (callers eval it or take it as a path): everything the tools
# print goes to stderr.
source "$(dirname "$0")/lib/eval-output.sh"
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
VERSION=1.8-1
DEB_SHA=$(cat "$here/models/checksums/sweethome3d-furniture.sha256")
OUT=$CACHE/eval/sweethome3d-furniture-$VERSION
if [[ ! -f $OUT/labels.tsv || $OUT/labels.tsv -ot $here/models/label_sweethome3d.py ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  debs=$CACHE/debs
  deb=$debs/sweethome3d-furniture_${VERSION}_all.deb
  if [[ ! -f $deb || $(sha256sum "$deb" | cut -d' ' -f1) != "$DEB_SHA" ]]; then
    echo "fetch-eval-images: apt-get download sweethome3d-furniture=$VERSION (~120 MB)" >&2
    mkdir -p "$debs"
    (cd "$work" && { apt-get download -q "sweethome3d-furniture=$VERSION" 2>/dev/null ||
      { apt-get update -qq && apt-get download -q "sweethome3d-furniture=$VERSION"; }; })
    if [[ $(sha256sum "$work"/sweethome3d-furniture_*.deb | cut -d' ' -f1) != "$DEB_SHA" ]]; then
      echo "fetch-eval-images: checksum mismatch for the downloaded package" >&2
      exit 1
    fi
    mv "$work"/sweethome3d-furniture_*.deb "$deb"
  fi
  dpkg-deb -x "$deb" "$work/x"
  rm -rf "$OUT"
  python3 "$here/models/label_sweethome3d.py" "$OUT" \
    "$work"/x/usr/share/sweethome3d/furniture/{BlendSwap-CC-0,BlendSwap-CC-BY,KatorLegaz,Scopia}.sh3f
fi
emit "$OUT"
