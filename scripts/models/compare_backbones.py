#!/usr/bin/env python3
"""Would a bigger registry-shipped backbone classify furniture better? Measures each ONNX
EfficientNet-Lite export the way `make eval` measures the served one, on the same sets:
the category head retrained on its embeddings (train_head.py's recipe, the same 126
training renders), judged on the 129 held-out renders and the photographs; the catalogue
kNN and same-category precision@5 among the 217 renders.

Preprocessing is dl-api's recipe in Pillow (alpha on white, shorter side to SIZE + 32,
centre crop SIZE, (p - 127) / 128). For Lite0 it reproduces `make eval`'s render figures
exactly; photographs can differ by an image, because dl-api decodes large JPEGs at a reduced
DCT scale. Run by compare_backbones.sh; figures in docs/ml.md.

Usage: compare_backbones.py LABELS.txt CATEGORIES.rs TRAIN_DIR RENDERS_DIR PHOTOS_DIR NAME=MODEL.onnx:SIZE...
"""
import os
import re
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_head as head  # noqa: E402  (the head's own recipe, not a copy)

KNN = 5


def imagenet_mapping(labels_path, categories_rs):
    """ImageNet class indices per category, read from dl-api's own table (categories.rs)."""
    labels = open(labels_path, encoding="utf-8").read().splitlines()
    table = open(categories_rs, encoding="utf-8").read()
    start = table.index("const MAPPING")
    table = table[start:table.index("\n];", start)]
    mapping = {}
    for category, names in re.findall(r'\(\s*"(\w+)",\s*&\[(.*?)\],?\s*\)', table, re.S):
        mapping[category] = [labels.index(n) for n in re.findall(r'"([^"]+)"', names)]
    assert sorted(mapping) == sorted(head.CATEGORIES), mapping
    return mapping


def labelled(directory):
    rows = [line.split("\t") for line in open(f"{directory}/labels.tsv", encoding="utf-8").read().splitlines()[1:]]
    return [(os.path.join(directory, r[0]), r[0], r[1]) for r in rows]


def prepare(path, size, whole=False, mirror=False):
    """dl-api's recipe; `whole`: the whole image padded white to a square instead of the centre
    crop (renders' edges are the furniture's); `mirror`: flipped left to right."""
    im = Image.open(path)
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        white.alpha_composite(im)
        im = white
    im = im.convert("RGB")
    if mirror:
        im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if whole:
        side = max(im.size)
        square = Image.new("RGB", (side, side), (255, 255, 255))
        square.paste(im, ((side - im.size[0]) // 2, (side - im.size[1]) // 2))
        im = square.resize((size, size), Image.BILINEAR, reducing_gap=2.0)
        return ((np.asarray(im, dtype=np.float32) - 127.0) / 128.0).transpose(2, 0, 1)
    w, h = im.size
    scale = (size + 32) / min(w, h)
    im = im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR, reducing_gap=2.0)
    w, h = im.size
    left, top = (w - size) // 2, (h - size) // 2
    im = im.crop((left, top, left + size, top + size))
    return ((np.asarray(im, dtype=np.float32) - 127.0) / 128.0).transpose(2, 0, 1)


def embed(session, size, items, mapping, whole=False, mirrored=False):
    """L2-normalised embeddings and the seven summed ImageNet category scores (`mirrored`: of
    the image and its mirror image, averaged)."""
    views = [False, True] if mirrored else [False]
    embeddings, scores = [], []
    for path, _, _ in items:
        batch = np.stack([prepare(path, size, whole, m) for m in views])
        logits, emb = session.run(["logits", "embedding"], {"input": batch})
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = (p / p.sum(axis=1, keepdims=True)).mean(axis=0)
        e = emb.mean(axis=0)
        embeddings.append(e / np.linalg.norm(e))
        scores.append([p[mapping[c]].sum() for c in head.CATEGORIES])
    return np.array(embeddings), np.array(scores)


def neighbours(queries, catalogue, same_set):
    sim = queries @ catalogue.T
    if same_set:
        np.fill_diagonal(sim, -np.inf)
    return sim, np.argsort(-sim, axis=1)[:, :KNN]


def knn_vote(sim, nn, labels):
    votes = np.zeros((len(nn), len(head.CATEGORIES)))
    for r, row in enumerate(nn):
        for j in row:
            votes[r, labels[j]] += max(sim[r, j], 0.0)
    return votes.argmax(axis=1)


def categories_of(items):
    return np.array([head.CATEGORIES.index(c) for _, _, c in items])


def main():
    labels_path, categories_rs, train_dir, renders_dir, photos_dir, *models = sys.argv[1:]
    if not models:
        raise SystemExit(__doc__)
    mapping = imagenet_mapping(labels_path, categories_rs)
    train, renders, photos = labelled(train_dir), labelled(renders_dir), labelled(photos_dir)
    trained = {rel for _, rel, _ in train}
    held = np.array([rel not in trained for _, rel, _ in renders])
    ty, ry, py = categories_of(train), categories_of(renders), categories_of(photos)
    print(f"{len(train)} training renders, {held.sum()} held-out renders, {len(photos)} photographs\n")
    print("| backbone | input | mapping, held-out | head, held-out | head, photos | kNN, renders | kNN, photos "
          "| P@5 renders | P@5 photos |")
    print("|---|---|---|---|---|---|---|---|---|")
    runs = []
    for i, spec in enumerate(models):
        name, spec = spec.split("=", 1)
        path, size = spec.rsplit(":", 1)
        runs.append((name, path, int(size), False, False))
        if i == 0:  # the served backbone, also with the other ways of showing it an image
            runs += [(f"{name}, whole image", path, int(size), True, False),
                     (f"{name}, + mirror image", path, int(size), False, True)]
    for name, path, size, whole, mirrored in runs:
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        te, ts = embed(session, size, train, mapping, whole, mirrored)
        re_, rs = embed(session, size, renders, mapping, whole, mirrored)
        pe, ps = embed(session, size, photos, mapping, whole, mirrored)
        x = head.features([{"embedding": e, "imagenet": s} for e, s in zip(te, ts)])
        folds = np.arange(len(train)) % head.FOLDS
        oof = np.zeros((len(train), len(head.CATEGORIES)))
        for f in range(head.FOLDS):
            w, b = head.fit(x[folds != f], ty[folds != f])
            oof[folds == f] = x[folds == f] @ w + b
        temperature = head.fit_temperature(oof, ty)
        w, b = head.fit(x, ty)

        def predict(e, s):
            feats = head.features([{"embedding": a, "imagenet": c} for a, c in zip(e, s)])
            return head.softmax((feats @ w + b) / temperature).argmax(axis=1)

        r_sim, r_nn = neighbours(re_, re_, True)
        p_sim, p_nn = neighbours(pe, re_, False)
        figures = [
            (rs[held].argmax(axis=1) == ry[held]).mean(),
            (predict(re_[held], rs[held]) == ry[held]).mean(),
            (predict(pe, ps) == py).mean(),
            (knn_vote(r_sim, r_nn, ry) == ry).mean(),
            (knn_vote(p_sim, p_nn, ry) == py).mean(),
            (ry[r_nn] == ry[:, None]).mean(),
            (ry[p_nn] == py[:, None]).mean(),
        ]
        print(f"| {name} | {size} | " + " | ".join(f"{v:.3f}" for v in figures) + " |", flush=True)


if __name__ == "__main__":
    main()
