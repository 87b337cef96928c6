#!/usr/bin/env python3
"""Open Inference Protocol conformance of dl-api, driven by the real tritonclient.

tritonclient[http] sends binary tensors by default and parses JSON health bodies,
so this checks the binary tensor extension both ways, JSON outputs, BYTES inputs,
metadata, readiness, API-key headers, the model repository extension (index, unload,
load with a Triton config naming the version) and error answers.

Usage: oip-conformance.py HOST:PORT API_KEY IMAGE.png ADMIN_KEY
"""
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def preprocess(path):
    """The same preprocessing dl-api uses (resize 256, crop 224, (p-127)/128)."""
    from PIL import Image

    im = Image.open(path).convert("RGBA")
    bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
    bg.alpha_composite(im)
    im = bg.convert("RGB")
    w, h = im.size
    s = 256 / min(w, h)
    im = im.resize((round(w * s), round(h * s)), Image.BILINEAR)
    w, h = im.size
    left, top = (w - 224) // 2, (h - 224) // 2
    im = im.crop((left, top, left + 224, top + 224))
    return ((np.asarray(im, dtype=np.float32) - 127) / 128).transpose(2, 0, 1)


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what}")


def main():
    url, key, image, admin_key = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    key_header = {"X-API-Key": key}

    def admin():
        return {"X-API-Key": admin_key}

    # tritonclient writes Inference-Header-Content-Length into the headers dict it
    # is given, so every call gets its own copy.
    def fresh():
        return dict(key_header)

    client = httpclient.InferenceServerClient(url=url)

    check(client.is_server_live(), "server live (JSON body)")
    check(client.is_server_ready(), "server ready")
    check(client.is_model_ready("efficientnet-lite0", headers=fresh()), "model ready")
    meta = client.get_server_metadata(headers=fresh())
    check("binary_tensor_data" in meta["extensions"], "server metadata lists binary_tensor_data")
    check("model_repository" in meta["extensions"], "server metadata lists model_repository")
    mmeta = client.get_model_metadata("efficientnet-lite0", headers=fresh())
    check(mmeta["inputs"][0]["shape"] == [-1, 3, 224, 224], "model metadata shapes")

    # Binary input, binary outputs (tritonclient's defaults), batch of two.
    x = np.stack([preprocess(image), np.zeros((3, 224, 224), np.float32)])
    inp = httpclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)  # binary_data=True by default
    res = client.infer("efficientnet-lite0", [inp], headers=fresh(), request_id="r1")
    logits = res.as_numpy("logits")
    emb = res.as_numpy("embedding")
    check(logits.shape == (2, 1000) and emb.shape == (2, 1280), "binary infer shapes")
    check(int(np.argmax(logits[0])) == 831, "sofa render → ImageNet 831 'studio couch'")
    check(res.get_response()["id"] == "r1", "request id echoed")

    # JSON input, one JSON output requested.
    inp = httpclient.InferInput("input", [1, 3, 224, 224], "FP32")
    inp.set_data_from_numpy(x[:1], binary_data=False)
    out = httpclient.InferRequestedOutput("logits", binary_data=False)
    res = client.infer("efficientnet-lite0", [inp], outputs=[out], headers=fresh(), model_version="1")
    check(np.allclose(res.as_numpy("logits"), logits[:1], atol=1e-3), "JSON infer (versioned) matches binary")
    check(res.as_numpy("embedding") is None, "only requested outputs returned")

    # BYTES input to the text model, binary and JSON.
    texts = np.array([b"grey fabric sofa", "회색 소파".encode()], dtype=np.object_)
    for binary in (True, False):
        t = httpclient.InferInput("text", [2], "BYTES")
        t.set_data_from_numpy(texts, binary_data=binary)
        res = client.infer("minilm-l6-v2", [t], headers=fresh())
        e = res.as_numpy("embedding")
        check(e.shape == (2, 384) and abs(np.linalg.norm(e[0]) - 1) < 1e-3, f"BYTES infer (binary={binary})")

    # Korean and English in one space: the multilingual encoder, UTF-8 BYTES in.
    ko_en = np.array(["소파".encode(), b"sofa"], dtype=np.object_)
    t = httpclient.InferInput("text", [2], "BYTES")
    t.set_data_from_numpy(ko_en, binary_data=True)
    e = client.infer("use-multilingual-v3", [t], headers=fresh()).as_numpy("embedding")
    check(e.shape == (2, 512) and float(e[0] @ e[1]) > 0.6, f"multilingual infer: cos(소파, sofa) = {float(e[0] @ e[1]):.2f}")

    # The model repository extension, with an admin key.
    index = client.get_model_repository_index(headers=admin())
    states = {(m["name"], m["version"], m["state"]) for m in index}
    check(
        {("efficientnet-lite0", "1", "READY"), ("minilm-l6-v2", "1", "READY")} <= states,
        f"repository index lists both models READY ({len(index)} entries)",
    )
    client.unload_model("minilm-l6-v2", headers=admin())
    check(not client.is_model_ready("minilm-l6-v2", headers=fresh()), "an unloaded model is not ready")
    client.load_model("minilm-l6-v2", headers=admin())
    check(client.is_model_ready("minilm-l6-v2", headers=fresh()), "loaded again, it is ready")
    client.load_model(
        "efficientnet-lite0", headers=admin(), config='{"version_policy": {"specific": {"versions": [1]}}}'
    )
    check(client.is_model_ready("efficientnet-lite0", "1", headers=fresh()), "load with a Triton config naming version 1")
    res = client.infer("efficientnet-lite0", [inp], outputs=[out], headers=fresh())
    check(np.allclose(res.as_numpy("logits"), logits[:1], atol=1e-3), "the reloaded model answers the same")

    # Errors surface as InferenceServerException with the server's message.
    for name, call in [
        ("unknown model", lambda: client.get_model_metadata("nope", headers=fresh())),
        ("missing key", lambda: client.get_model_metadata("efficientnet-lite0")),
        ("repository index with an inference key", lambda: client.get_model_repository_index(headers=fresh())),
        (
            "loading a version that isn't there",
            lambda: client.load_model(
                "efficientnet-lite0", headers=admin(), config='{"version_policy": {"specific": {"versions": [99]}}}'
            ),
        ),
        (
            "wrong shape",
            lambda: client.infer(
                "efficientnet-lite0", [_input("input", np.zeros((1, 3, 8, 8), np.float32))], headers=fresh()
            ),
        ),
    ]:
        try:
            call()
        except InferenceServerException as e:
            check(bool(e.message()), f"{name} → error '{e.message()[:60]}'")
        else:
            raise SystemExit(f"FAIL: {name} did not fail")
    print("OIP conformance: all checks passed")


def _input(name, array):
    i = httpclient.InferInput(name, list(array.shape), "FP32")
    i.set_data_from_numpy(array)
    return i


if __name__ == "__main__":
    main()
