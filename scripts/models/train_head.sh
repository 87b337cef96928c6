#!/usr/bin/env bash
# Rebuild dl-api's category head (dl-api/models/efficientnet-lite0/1/head.json) from its
# training set, labelled by scripts/models/label_sweethome3d.py: the renders of Sweet Home
# 3D's default furniture catalogue (Debian's `sweethome3d` 7.0.2+dfsg-3, GPL; inside its
# jar) and of two of the four `sweethome3d-furniture` libraries (BlendSwap-CC-0,
# KatorLegaz). head.json lists every training image, and `make eval` reports the head
# only on images not in that list: the other two libraries' renders and the photographs.
#
# The head is committed (a 100 KB artefact with its provenance inside), so neither
# `make test` nor `make run` retrains; run this after changing the model, the labels or
# scripts/models/train_head.py, and commit the result. Deterministic: an unchanged
# input gives a byte-identical file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
VERSION=7.0.2+dfsg-3
DEB_SHA=$(cat "$here/checksums/sweethome3d.sha256")
OUT=${1:-$root/dl-api/models/efficientnet-lite0/1/head.json}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
deb=$CACHE/debs/sweethome3d_${VERSION}_all.deb
if [[ ! -f $deb || $(sha256sum "$deb" | cut -d' ' -f1) != "$DEB_SHA" ]]; then
  echo "train_head: apt-get download sweethome3d=$VERSION (~17 MB)" >&2
  mkdir -p "$CACHE/debs"
  (cd "$work" && { apt-get download -q "sweethome3d=$VERSION" 2>/dev/null ||
    { apt-get update -qq && apt-get download -q "sweethome3d=$VERSION"; }; })
  if [[ $(sha256sum "$work"/sweethome3d_*.deb | cut -d' ' -f1) != "$DEB_SHA" ]]; then
    echo "train_head: checksum mismatch for the downloaded package" >&2
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
python3 "$here/label_sweethome3d.py" "$work/train" "$work/x/usr/share/sweethome3d/sweethome3d.jar" \
  "$work"/usr/share/sweethome3d/furniture/{BlendSwap-CC-0,KatorLegaz}.sh3f

eval "$("$root/scripts/fetch-models.sh")"
export ORT_DYLIB_PATH DL_IMAGE_MODEL_DIR DL_TEXT_MODEL_DIR=
# The features don't depend on a head, so the one being replaced doesn't matter.
DL_EVAL_DUMP=$work/train.jsonl ${CARGO:-cargo} run -q -p dl-api --bin dl-eval -- "$work/train" >/dev/null
mkdir -p "$(dirname "$OUT")"
"$CACHE/venv-export-1/bin/python" "$here/train_head.py" "$work/train.jsonl" \
  "Sweet Home 3D renders, labelled by scripts/models/label_sweethome3d.py: the default catalogue (Debian sweethome3d $VERSION, sha256 $DEB_SHA) and the BlendSwap-CC-0 and KatorLegaz libraries (Debian sweethome3d-furniture 1.8-1)" \
  "$OUT"
echo "train_head: wrote $OUT" >&2
