#!/usr/bin/python3
"""Export the shipped FastGRNN model (models/fashion_fastgrnn.sirnn, the float
parameters) as the unrolled ONNX graph that a PyTorch export of a custom
FastGRNN cell produces: per step Gather, MatMul, Add, Sigmoid, Tanh, Mul,
then Gemm and Softmax. The graph path of libsirnn can then be compared with
the hand-written one (nn/) on the same weights:

    /usr/bin/python3 scripts/export_fastgrnn_onnx.py models/fashion_fastgrnn.sirnn \
        models/fashion_fastgrnn_unrolled.onnx
    sirnn import models/fashion_fastgrnn_unrolled.onnx --calib fashion \
        --norm MUL,ADD -o fg.sirnn      # the script prints MUL,ADD

The model file format is the one documented in include/sirnn/nn.h.
"""
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read_model(path):
    b = open(path, "rb").read()
    assert b[:8] == b"SIRNNFG\0", "not a FastGRNN model file"
    version, size = struct.unpack_from("<II", b, 8)
    assert version in (1, 2) and size == len(b)
    D, T, H, rw, ru, C = struct.unpack_from("<6I", b, 16)
    in_mean, in_std = struct.unpack_from("<2f", b, 40)
    off = 52
    shapes = []
    for _ in range(12):
        rows, cols = struct.unpack_from("<2I", b, off)
        shapes.append((rows, cols))
        off += 16
    off += 9 * 8 + (8 if version >= 2 else 0)  # value ranges, the gate format
    t = []
    for rows, cols in shapes:
        n = rows * cols
        t.append(np.frombuffer(b, "<f4", n, off).reshape(rows, cols).copy())
        off += 4 * n
    names = ["W", "W1", "W2", "U", "U1", "U2", "bz", "bh", "zeta", "nu", "Wc", "bc"]
    return dict(D=D, T=T, H=H, rw=rw, ru=ru, C=C, mean=in_mean, std=in_std), dict(zip(names, t))


def main():
    src, out = sys.argv[1], sys.argv[2]
    d, p = read_model(src)
    T, H = d["T"], d["H"]
    sig = lambda v: 1 / (1 + np.exp(-v))
    zeta, nu = float(sig(p["zeta"][0, 0])), float(sig(p["nu"][0, 0]))
    inits = []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr, np.float32), name))
        return name

    nodes = []

    def node(op, ins, name, **kw):
        nodes.append(helper.make_node(op, ins, [name], name=name, **kw))
        return name

    # W x for every step at once: x (N x T x D) times W^T, low-rank as W2 then W1
    if d["rw"]:
        v = node("MatMul", ["x", const("W2T", p["W2"].T)], "w2x")
        wx = node("MatMul", [v, const("W1T", p["W1"].T)], "wx")
    else:
        wx = node("MatMul", ["x", const("WT", p["W"].T)], "wx")
    bz, bh = const("bz", p["bz"][0]), const("bh", p["bh"][0])
    mzeta, zn = const("minus_zeta", np.float32(-zeta)), const("zeta_nu", np.float32(zeta + nu))
    if d["ru"]:
        u_consts = [const("U2T", p["U2"].T), const("U1T", p["U1"].T)]
    else:
        u_consts = [const("UT", p["U"].T)]
    h = None
    for t in range(T):
        wxt = node("Gather", [wx, const(f"t{t}", np.array(t, np.int64))], f"wx{t}", axis=1)
        pre = wxt
        if h is not None:
            uh = h
            for k, u in enumerate(u_consts):
                uh = node("MatMul", [uh, u], f"u{k}h{t}")
            pre = node("Add", [wxt, uh], f"pre{t}")
        z = node("Sigmoid", [node("Add", [pre, bz], f"prez{t}")], f"z{t}")
        c = node("Tanh", [node("Add", [pre, bh], f"preh{t}")], f"c{t}")
        gate = node("Add", [node("Mul", [z, mzeta], f"mz{t}"), zn], f"g{t}")
        gc = node("Mul", [gate, c], f"gc{t}")
        h = gc if h is None else node("Add", [gc, node("Mul", [z, h], f"zh{t}")], f"h{t}")
    node("Gemm", [h, const("Wc", p["Wc"]), const("bc", p["bc"][0])], "scores", transB=1)
    node("Softmax", ["scores"], "probs", axis=1)
    g = helper.make_graph(nodes, "fastgrnn_unrolled",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                         ["N", T, d["D"]])],
                          [helper.make_tensor_value_info("probs", TensorProto.FLOAT,
                                                         ["N", d["C"]])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="libsirnn scripts/export_fastgrnn_onnx.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)
    # pixel p is fed as (p / 255 - mean) / std = p * MUL + ADD
    print(f"--norm {1 / (255 * d['std']):.9g},{-d['mean'] / d['std']:.9g}")


if __name__ == "__main__":
    main()
