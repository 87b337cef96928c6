#!/usr/bin/env bash
# Assemble the category head's training set in OUT_DIR (labelled by
# scripts/models/label_sweethome3d.py): the renders of Sweet Home 3D's default furniture
# catalogue (Debian's `sweethome3d` 7.0.2+dfsg-3, GPL; inside its jar) and of two of the four
# `sweethome3d-furniture` libraries (BlendSwap-CC-0, KatorLegaz). The other two libraries'
# renders and the photographs are what the head is judged on, never trained on.
# Used by train_head.sh and compare_backbones.sh. Usage: head_training_set.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
VERSION=7.0.2+dfsg-3
DEB_SHA=$(cat "$here/checksums/sweethome3d.sha256")
OUT=${1:?usage: head_training_set.sh OUT_DIR}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
deb=$CACHE/debs/sweethome3d_${VERSION}_all.deb
if [[ ! -f $deb || $(sha256sum "$deb" | cut -d' ' -f1) != "$DEB_SHA" ]]; then
  echo "head_training_set: apt-get download sweethome3d=$VERSION (~17 MB)" >&2
  mkdir -p "$CACHE/debs"
  (cd "$work" && { apt-get download -q "sweethome3d=$VERSION" 2>/dev/null ||
    { apt-get update -qq && apt-get download -q "sweethome3d=$VERSION"; }; })
  if [[ $(sha256sum "$work"/sweethome3d_*.deb | cut -d' ' -f1) != "$DEB_SHA" ]]; then
    echo "head_training_set: checksum mismatch for the downloaded package" >&2
    exit 1
  fi
  mv "$work"/sweethome3d_*.deb "$deb"
fi
dpkg-deb -x "$deb" "$work/x"
# The libraries come from the package scripts/fetch-eval-images.sh caches (checksummed there).
"$root/scripts/fetch-eval-images.sh" >/dev/null
libs=$CACHE/debs/sweethome3d-furniture_1.8-1_all.deb
dpkg-deb --fsys-tarfile "$libs" | tar -x -C "$work" \
  ./usr/share/sweethome3d/furniture/BlendSwap-CC-0.sh3f ./usr/share/sweethome3d/furniture/KatorLegaz.sh3f
python3 "$here/label_sweethome3d.py" "$OUT" "$work/x/usr/share/sweethome3d/sweethome3d.jar" \
  "$work"/usr/share/sweethome3d/furniture/{BlendSwap-CC-0,KatorLegaz}.sh3f
