#!/usr/bin/env bash
# Rebuild dl-api's category head (dl-api/models/efficientnet-lite0/1/head.json) from its
# training set (scripts/models/head_training_set.sh): the renders of Sweet Home 3D's default
# furniture catalogue and of two of the four `sweethome3d-furniture` libraries. head.json
# lists every training image, and `make eval` reports the head only on images not in that
# list: the other two libraries' renders and the photographs.
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
"$here/head_training_set.sh" "$work/train"

eval "$("$root/scripts/fetch-models.sh")"
export ORT_DYLIB_PATH DL_IMAGE_MODEL_DIR DL_TEXT_MODEL_DIR=
# The features don't depend on a head, so the one being replaced doesn't matter.
DL_EVAL_DUMP=$work/train.jsonl ${CARGO:-cargo} run -q -p dl-api --bin dl-eval -- "$work/train" >/dev/null
mkdir -p "$(dirname "$OUT")"
"$CACHE/venv-export-1/bin/python" "$here/train_head.py" "$work/train.jsonl" \
  "Sweet Home 3D renders, labelled by scripts/models/label_sweethome3d.py: the default catalogue (Debian sweethome3d $VERSION, sha256 $DEB_SHA) and the BlendSwap-CC-0 and KatorLegaz libraries (Debian sweethome3d-furniture 1.8-1)" \
  "$OUT"
echo "train_head: wrote $OUT" >&2
