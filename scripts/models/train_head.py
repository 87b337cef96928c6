#!/usr/bin/env python3
"""Train dl-api's category head: a softmax regression from an image's features to
the seven marketplace categories, with a temperature that calibrates it.

Input: the JSON lines `dl-eval` writes with DL_EVAL_DUMP (one per training image:
path, category, the L2-normalised 1280-d embedding and the seven summed ImageNet
category scores). Output: head.json, which dl-api loads from the image model's
version directory (`dl-api/src/models/head.rs` reads the same fields).

Features are [embedding · EMBEDDING_SCALE, log(score + 1e-4) · SCORE_SCALE]: the
embedding carries what ImageNet has no class for (beds), the scores what the network
already knows. Classes are weighted to count equally (the training set has 11 lamps
and 1 desk). The temperature is fitted on out-of-fold predictions of the training set
itself (5 folds), so no evaluation image is ever seen: not to train, not to calibrate.

Deterministic (fixed-step gradient descent from zeros, fixed folds), so a rebuild
gives the same file.

Usage: train_head.py TRAIN_DUMP.jsonl SOURCE_NOTE OUT/head.json
"""
import json
import sys

import numpy as np

CATEGORIES = ["sofa", "chair", "table", "bed", "desk", "storage", "lighting"]
EMBEDDING_SCALE = 9.0  # ≈ √1280 / 4: puts the unit embedding's entries near the scores' scale
SCORE_SCALE = 0.25
L2 = 1e-2
STEPS = 500
RATE = 0.5
FOLDS = 5
# A suggestion is made when the calibrated probability reaches this: more likely right
# than wrong. The curve `make eval` prints shows what other thresholds would give.
ABSTAIN_BELOW = 0.5


def features(rows):
    emb = np.array([r["embedding"] for r in rows], dtype=np.float64)
    scores = np.array([r["imagenet"] for r in rows], dtype=np.float64)
    return np.hstack([emb * EMBEDDING_SCALE, np.log(scores + 1e-4) * SCORE_SCALE])


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit(x, y):
    n, d = x.shape
    counts = np.bincount(y, minlength=len(CATEGORIES)).astype(np.float64)
    weight = (1.0 / counts[y]) / np.sum(1.0 / counts[y])
    onehot = np.eye(len(CATEGORIES))[y]
    w = np.zeros((d, len(CATEGORIES)))
    b = np.zeros(len(CATEGORIES))
    for _ in range(STEPS):
        g = (softmax(x @ w + b) - onehot) * weight[:, None]
        w -= RATE * (x.T @ g + L2 * w)
        b -= RATE * g.sum(axis=0)
    return w, b


def fit_temperature(logits, y):
    """The T minimising the negative log-likelihood of softmax(logits / T)."""
    best = None
    for t in np.arange(0.25, 8.0, 0.01):
        p = softmax(logits / t)
        nll = -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))
        if best is None or nll < best[1]:
            best = (float(t), nll)
    return round(best[0], 2)


def main():
    dump, source, out = sys.argv[1:4]
    rows = [json.loads(line) for line in open(dump, encoding="utf-8") if line.strip()]
    rows.sort(key=lambda r: r["path"])
    x = features(rows)
    y = np.array([CATEGORIES.index(r["category"]) for r in rows])
    missing = [c for i, c in enumerate(CATEGORIES) if not (y == i).any()]
    if missing:
        sys.exit(f"train_head: no training images for {missing}")
    # Out-of-fold logits for the temperature.
    folds = np.arange(len(rows)) % FOLDS
    oof = np.zeros((len(rows), len(CATEGORIES)))
    for f in range(FOLDS):
        w, b = fit(x[folds != f], y[folds != f])
        oof[folds == f] = x[folds == f] @ w + b
    temperature = fit_temperature(oof, y)
    w, b = fit(x, y)
    oof_p = softmax(oof / temperature)
    head = {
        "format": 1,
        "categories": CATEGORIES,
        "features": {"embedding_scale": EMBEDDING_SCALE, "score_scale": SCORE_SCALE, "score_floor": 1e-4},
        # One row per category: 1280 embedding weights, then 7 score weights.
        "weights": [[float(f"{v:.6g}") for v in w[:, c]] for c in range(len(CATEGORIES))],
        "bias": [float(f"{v:.6g}") for v in b],
        "temperature": temperature,
        "abstain_below": ABSTAIN_BELOW,
        "training": {
            "script": "scripts/models/train_head.py (run by scripts/models/train_head.sh)",
            "data": source,
            "images": len(rows),
            "per_category": {c: int((y == i).sum()) for i, c in enumerate(CATEGORIES)},
            # Evaluation leaves these out of the head's figures (dl-api/src/eval.rs).
            "paths": [r["path"] for r in rows],
            "l2": L2,
            "steps": STEPS,
            "out_of_fold_accuracy": round(float((oof.argmax(axis=1) == y).mean()), 3),
            "out_of_fold_mean_confidence": round(float(oof_p.max(axis=1).mean()), 3),
        },
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(head, f, separators=(",", ":"))
        f.write("\n")
    print(f"train_head: {len(rows)} images, temperature {temperature}, "
          f"out-of-fold accuracy {head['training']['out_of_fold_accuracy']}", file=sys.stderr)


if __name__ == "__main__":
    main()
