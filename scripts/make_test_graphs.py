#!/usr/bin/python3
"""Build the small ONNX test graphs of tests/vectors/graph/ with the onnx
helper API (Debian python3-onnx), with their inputs and the outputs of an
independent numpy implementation of every operator. The outputs are shipped,
so `make test` needs no Python:

    /usr/bin/python3 scripts/make_test_graphs.py tests/vectors/graph

For each graph NAME: NAME.onnx, NAME.in.f32 (N inputs, little-endian
float32) and, for graphs that run, NAME.out.f32 (the numpy outputs: the
scores, before any final Softmax / ArgMax). Graphs named err_* must be
refused by `sirnn import` with a message naming the node.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

N = 48
rng = np.random.default_rng(20261207)


def weights(*shape, fan_in=None):
    fan_in = fan_in or int(np.prod(shape[1:]))
    return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


# ---- numpy reference operators -------------------------------------------------

def conv(x, w, b, stride, pads, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - kh) // stride[0] + 1
    ow = (wd + pads[1] + pads[3] - kw) // stride[1] + 1
    y = np.zeros((n, m, oh, ow), np.float64)
    mg = m // group
    for oc in range(m):
        g = oc // mg
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + kh,
                           j * stride[1]:j * stride[1] + kw]
                y[:, oc, i, j] = np.tensordot(patch, w[oc], axes=([1, 2, 3], [0, 1, 2]))
    if b is not None:
        y += b[None, :, None, None]
    return y


def pool(x, k, stride, pads, kind):
    n, c, h, wd = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                constant_values=fill)
    oh = (h + pads[0] + pads[2] - k[0]) // stride[0] + 1
    ow = (wd + pads[1] + pads[3] - k[1]) // stride[1] + 1
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride[0]:i * stride[0] + k[0], j * stride[1]:j * stride[1] + k[1]]
            y[:, :, i, j] = win.max(axis=(2, 3)) if kind == "max" else win.mean(axis=(2, 3))
    return y


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


# ---- the graphs ------------------------------------------------------------------

def save(outdir, name, graph, x, y, opset=13):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="libsirnn scripts/make_test_graphs.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(outdir, name + ".onnx"))
    x.astype("<f4").tofile(os.path.join(outdir, name + ".in.f32"))
    if y is not None:
        y.astype("<f4").tofile(os.path.join(outdir, name + ".out.f32"))


def mlp(outdir):
    """Gemm (transB) -> Relu -> MatMul + Add -> Sigmoid -> Gemm -> Softmax."""
    w1, b1 = weights(12, 16), weights(12, fan_in=4)
    w2, b2 = weights(12, 8, fan_in=12), weights(8, fan_in=4)
    w3, b3 = weights(5, 8), weights(5, fan_in=4)
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h1"], name="fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["r1"], name="relu1"),
        helper.make_node("MatMul", ["r1", "w2"], ["m2"], name="fc2"),
        helper.make_node("Add", ["m2", "b2"], ["h2"], name="bias2"),
        helper.make_node("Sigmoid", ["h2"], ["s2"], name="sig2"),
        helper.make_node("Gemm", ["s2", "w3", "b3"], ["z"], name="fc3", transB=1, alpha=0.5),
        helper.make_node("Softmax", ["z"], ["p"], name="softmax", axis=-1),
    ]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
                          [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 5])],
                          [init("w1", w1), init("b1", b1), init("w2", w2), init("b2", b2),
                           init("w3", w3), init("b3", b3)])
    x = rng.standard_normal((N, 16)).astype(np.float32)
    h = np.maximum(x @ w1.T + b1, 0)
    h = sigmoid(h @ w2 + b2)
    z = 0.5 * (h @ w3.T) + b3
    save(outdir, "mlp", g, x, z)


def cnn(outdir):
    """Conv (pad) -> BatchNormalization (folded) -> Relu -> MaxPool -> grouped strided
    Conv -> Clip (ReLU6) -> AveragePool -> GlobalAveragePool-free Flatten -> Gemm -> ArgMax."""
    w1, b1 = weights(4, 2, 3, 3), weights(4, fan_in=4)
    gamma = (1 + 0.3 * rng.standard_normal(4)).astype(np.float32)
    beta = (0.2 * rng.standard_normal(4)).astype(np.float32)
    mean = (0.1 * rng.standard_normal(4)).astype(np.float32)
    var = (1 + 0.5 * rng.random(4)).astype(np.float32)
    w2 = weights(6, 2, 3, 3)
    wf, bf = weights(3, 6 * 2 * 2), weights(3, fan_in=4)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["n1"],
                         name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 0, 0], group=2),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["k2"], name="relu6"),
        helper.make_node("AveragePool", ["k2"], ["a2"], name="avg2", kernel_shape=[2, 2],
                         strides=[1, 1], pads=[1, 1, 0, 0], count_include_pad=1),
        helper.make_node("Flatten", ["a2"], ["f"], name="flat", axis=1),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["z"], name="fc", transB=1),
        helper.make_node("ArgMax", ["z"], ["cls"], name="argmax", axis=1, keepdims=1),
    ]
    g = helper.make_graph(nodes, "cnn",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 8, 8])],
                          [helper.make_tensor_value_info("cls", TensorProto.INT64, ["N", 1])],
                          [init("w1", w1), init("b1", b1), init("gamma", gamma),
                           init("beta", beta), init("mean", mean), init("var", var),
                           init("w2", w2), init("lo", np.float32(0)), init("hi", np.float32(0.5)),
                           init("wf", wf), init("bf", bf)])
    x = rng.standard_normal((N, 2, 8, 8)).astype(np.float32)
    h = conv(x, w1, b1, (1, 1), (1, 1, 1, 1), 1)
    h = (h - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    h = h * gamma[None, :, None, None] + beta[None, :, None, None]
    h = pool(np.maximum(h, 0), (2, 2), (2, 2), (0, 0, 0, 0), "max")
    h = conv(h, w2, None, (2, 2), (1, 1, 0, 0), 2)
    h = np.clip(h, 0, 0.5)
    h = pool(h, (2, 2), (1, 1), (1, 1, 0, 0), "avg")
    z = h.reshape(N, -1) @ wf.T + bf
    save(outdir, "cnn", g, x, z)


def ops(outdir):
    """Depthwise Conv, Tanh, Add/Mul of two activations, Mul/Sub/Div by constants,
    constant - x, padded MaxPool, AveragePool, Reshape, Unsqueeze/Squeeze,
    GlobalAveragePool, BatchNormalization after a pool (not folded); the output
    (no ArgMax) is revealed as it is."""
    wd, bd = weights(3, 1, 3, 3), weights(3, fan_in=4)
    scale = np.array([0.5, -1.5, 2.0], np.float32).reshape(1, 3, 1, 1)
    gamma = (1 + 0.3 * rng.standard_normal(3)).astype(np.float32)
    beta = (0.2 * rng.standard_normal(3)).astype(np.float32)
    mean = (0.1 * rng.standard_normal(3)).astype(np.float32)
    var = (1 + 0.5 * rng.random(3)).astype(np.float32)
    wf, bf = weights(12, 4, fan_in=12), weights(4, fan_in=4)
    nodes = [
        helper.make_node("Conv", ["x", "wd", "bd"], ["a"], name="dw", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], group=3),
        helper.make_node("Tanh", ["a"], ["t"], name="tanh"),
        helper.make_node("Add", ["a", "t"], ["c"], name="residual"),
        helper.make_node("Mul", ["c", "scale"], ["d"], name="chscale"),
        helper.make_node("Sub", ["d", "quarter"], ["e"], name="shift"),
        helper.make_node("Div", ["e", "two"], ["f"], name="half"),
        helper.make_node("Mul", ["f", "t"], ["gm"], name="gate"),
        helper.make_node("Sub", ["one", "gm"], ["om"], name="oneminus"),
        helper.make_node("MaxPool", ["om"], ["mp"], name="maxpad", kernel_shape=[3, 3],
                         strides=[1, 1], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["mp", "gamma", "beta", "mean", "var"], ["bn"],
                         name="bn_unfused"),
        helper.make_node("AveragePool", ["bn"], ["h"], name="avg", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Reshape", ["h", "shape"], ["r"], name="reshape"),
        helper.make_node("Unsqueeze", ["r", "ax1"], ["u"], name="unsq"),
        helper.make_node("Squeeze", ["u", "ax1"], ["s"], name="sq"),
        helper.make_node("MatMul", ["s", "wf"], ["m"], name="fc"),
        helper.make_node("Add", ["bf", "m"], ["z"], name="bias"),
    ]
    g = helper.make_graph(nodes, "ops",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4, 4])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])],
                          [init("wd", wd), init("bd", bd), init("scale", scale),
                           init("quarter", np.float32(0.25)), init("two", np.float32(2.0)),
                           init("one", np.float32(1.0)), init("gamma", gamma),
                           init("beta", beta), init("mean", mean), init("var", var),
                           init("shape", np.array([-1, 12], np.int64)),
                           init("ax1", np.array([1], np.int64)), init("wf", wf), init("bf", bf)])
    x = rng.standard_normal((N, 3, 4, 4)).astype(np.float32)
    a = conv(x, wd, bd, (1, 1), (1, 1, 1, 1), 3)
    t = np.tanh(a)
    gm = ((a + t) * scale - 0.25) / 2 * t
    om = pool(1 - gm, (3, 3), (1, 1), (1, 1, 1, 1), "max")
    bn = (om - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    bn = bn * gamma[None, :, None, None] + beta[None, :, None, None]
    h = pool(bn, (2, 2), (2, 2), (0, 0, 0, 0), "avg")
    z = h.reshape(N, 12) @ wf + bf
    save(outdir, "ops", g, x, z)


def gap(outdir):
    """GlobalAveragePool and a strided padded Conv, 8-bit friendly."""
    w1 = weights(4, 1, 3, 3)
    wf = weights(4, 3, fan_in=4)
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c"], name="conv", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["gp"], name="gap"),
        helper.make_node("Flatten", ["gp"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "wf"], ["z"], name="fc"),
        helper.make_node("Softmax", ["z"], ["p"], name="softmax", axis=1),
    ]
    g = helper.make_graph(nodes, "gap",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 7, 7])],
                          [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 3])],
                          [init("w1", w1), init("wf", wf)])
    x = rng.standard_normal((N, 1, 7, 7)).astype(np.float32)
    h = np.maximum(conv(x, w1, None, (2, 2), (1, 1, 1, 1), 1), 0).mean(axis=(2, 3))
    z = h @ wf
    save(outdir, "gap", g, x, z)


def shapes(outdir):
    """Transpose, Slice (attribute-free opset-13 form, negative end), Gather with
    constant indices, Concat of three activations at different scales."""
    wf = weights(31, 3, fan_in=31)
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], name="nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Slice", ["t", "st", "en", "ax"], ["s"], name="crop"),
        helper.make_node("Gather", ["x", "gi"], ["g"], name="pick", axis=1),
        helper.make_node("Mul", ["x", "ten"], ["big"], name="scale10"),
        helper.make_node("Flatten", ["s"], ["sf"], name="flat_s"),
        helper.make_node("Flatten", ["g"], ["gf"], name="flat_g"),
        helper.make_node("Flatten", ["big"], ["bf"], name="flat_b"),
        helper.make_node("Slice", ["bf", "st0", "en0", "ax1"], ["bs"], name="head"),
        helper.make_node("Concat", ["sf", "gf", "bs"], ["c"], name="cat", axis=1),
        helper.make_node("MatMul", ["c", "wf"], ["z"], name="fc"),
        helper.make_node("ArgMax", ["z"], ["cls"], name="argmax", axis=-1, keepdims=0),
    ]
    g = helper.make_graph(nodes, "shapes",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 2, 4])],
                          [helper.make_tensor_value_info("cls", TensorProto.INT64, ["N"])],
                          [init("st", np.array([0, 1], np.int64)),
                           init("en", np.array([-1, 4], np.int64)),
                           init("ax", np.array([1, 2], np.int64)),
                           init("gi", np.array([2, 0], np.int64)),
                           init("ten", np.float32(10.0)),
                           init("st0", np.array([3], np.int64)),
                           init("en0", np.array([9], np.int64)),
                           init("ax1", np.array([1], np.int64)),
                           init("wf", wf)])
    x = rng.standard_normal((N, 3, 2, 4)).astype(np.float32)
    t = x.transpose(0, 2, 3, 1)[:, 0:1, 1:4, :]
    gg = x[:, [2, 0], :, :]
    b = (10 * x).reshape(N, -1)[:, 3:9]
    c = np.concatenate([t.reshape(N, -1), gg.reshape(N, -1), b], axis=1)
    z = c @ wf
    save(outdir, "shapes", g, x, z)


def math_ops(outdir):
    """Exp (of a non-positive value), Reciprocal, Div of two activations,
    Sqrt read by Reciprocal and by a Div's denominator (run as rsqrt)."""
    wf = weights(18, 4, fan_in=18)
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("Sub", ["zero", "r"], ["n"], name="negate"),
        helper.make_node("Exp", ["n"], ["e"], name="exp"),
        helper.make_node("Add", ["e", "one"], ["d"], name="onepluse"),
        helper.make_node("Reciprocal", ["d"], ["rc"], name="recip"),
        helper.make_node("Div", ["x", "d"], ["q"], name="div"),
        helper.make_node("Sqrt", ["d"], ["s"], name="sqrt_d"),
        helper.make_node("Reciprocal", ["s"], ["rs"], name="rsqrt_d"),
        helper.make_node("Add", ["r", "half"], ["rh"], name="rplushalf"),
        helper.make_node("Sqrt", ["rh"], ["s2"], name="sqrt_rh"),
        helper.make_node("Div", ["q", "s2"], ["v"], name="normalise"),
        helper.make_node("Concat", ["rc", "rs", "v"], ["c"], name="cat", axis=-1),
        helper.make_node("MatMul", ["c", "wf"], ["z"], name="fc"),
    ]
    g = helper.make_graph(nodes, "math",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])],
                          [init("zero", np.float32(0)), init("one", np.float32(1)),
                           init("half", np.float32(0.5)), init("wf", wf)])
    x = rng.standard_normal((N, 6)).astype(np.float32)
    r = np.maximum(x, 0)
    d = np.exp(-r) + 1
    v = (x / d) / np.sqrt(r + 0.5)
    c = np.concatenate([1 / d, 1 / np.sqrt(d), v], axis=1)
    save(outdir, "math", g, x, c @ wf)


# ---- recurrent operators (numpy references of the ONNX definitions) -------------

def rnn_ref(kind, X, W, R, B, direction="forward", lbr=0):
    """X: T x N x I; W: D x G*H x I; R: D x G*H x H; B: D x 2*G*H. Zero initial
    state. Returns Y (T x D x N x H), Y_h and Y_c (D x N x H)."""
    T, N, _ = X.shape
    D, GH, _ = W.shape
    H = R.shape[2]
    Y = np.zeros((T, D, N, H))
    Yh, Yc = np.zeros((D, N, H)), np.zeros((D, N, H))
    for d in range(D):
        w, r = W[d].astype(np.float64), R[d].astype(np.float64)
        wb, rb = B[d, :GH].astype(np.float64), B[d, GH:].astype(np.float64)
        h, c = np.zeros((N, H)), np.zeros((N, H))
        rev = direction == "reverse" or (direction == "bidirectional" and d == 1)
        for t in (range(T - 1, -1, -1) if rev else range(T)):
            x = X[t].astype(np.float64)
            if kind == "LSTM":
                g = x @ w.T + h @ r.T + wb + rb
                i, o, f = sigmoid(g[:, :H]), sigmoid(g[:, H:2 * H]), sigmoid(g[:, 2 * H:3 * H])
                c = f * c + i * np.tanh(g[:, 3 * H:])
                h = o * np.tanh(c)
            elif kind == "GRU":
                gx, gh = x @ w.T + wb, h @ r.T
                z = sigmoid(gx[:, :H] + gh[:, :H] + rb[:H])
                rr = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H] + rb[H:2 * H])
                if lbr:
                    n = np.tanh(gx[:, 2 * H:] + rr * (gh[:, 2 * H:] + rb[2 * H:]))
                else:
                    n = np.tanh(gx[:, 2 * H:] + (rr * h) @ r[2 * H:].T + rb[2 * H:])
                h = (1 - z) * n + z * h
            else:
                h = np.tanh(x @ w.T + h @ r.T + wb + rb)
            Y[t, d] = h
        Yh[d], Yc[d] = h, c
    return Y, Yh, Yc


def rnn_weights(kind, D, H, I):
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    return (weights(D, G * H, I, fan_in=I), weights(D, G * H, H, fan_in=H),
            (0.5 * rng.standard_normal((D, 2 * G * H))).astype(np.float32))


def lstm(outdir):
    """A bidirectional LSTM over [seq, batch, input] (Transpose in, as torch
    exports batch_first), its initial states from the Shape / Gather /
    Unsqueeze / Concat / ConstantOfShape chain of a dynamic-batch torch
    export, all three outputs read: Y through Transpose + Reshape to a shape
    built from Shape, Y_h through Gather, Y_c through Transpose + Flatten."""
    T, I, H, D = 4, 3, 4, 2
    W, R, B = rnn_weights("LSTM", D, H, I)
    wf = weights(T * D * H + 2 * D * H, 5, fan_in=T * D * H)
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], name="time_major", perm=[1, 0, 2]),
        helper.make_node("Shape", ["x"], ["shp"], name="shape"),
        helper.make_node("Gather", ["shp", "i0"], ["nb"], name="batch_size", axis=0),
        helper.make_node("Unsqueeze", ["nb", "ax0"], ["nb1"], name="batch_vec"),
        helper.make_node("Concat", ["two", "nb1", "hid"], ["hshape"], name="state_shape",
                         axis=0),
        helper.make_node("ConstantOfShape", ["hshape"], ["h0"], name="zeros",
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("LSTM", ["xt", "W", "R", "B", "", "h0", "h0"], ["Y", "Yh", "Yc"],
                         name="lstm", hidden_size=H, direction="bidirectional"),
        helper.make_node("Transpose", ["Y"], ["yb"], name="batch_first", perm=[2, 0, 1, 3]),
        helper.make_node("Concat", ["nb1", "minus1"], ["fshape"], name="flat_shape", axis=0),
        helper.make_node("Reshape", ["yb", "fshape"], ["yf"], name="flat_y"),
        helper.make_node("Gather", ["Yh", "i0"], ["hf"], name="h_fwd", axis=0),
        helper.make_node("Gather", ["Yh", "i1"], ["hb"], name="h_bwd", axis=0),
        helper.make_node("Transpose", ["Yc"], ["cb"], name="c_batch_first", perm=[1, 0, 2]),
        helper.make_node("Flatten", ["cb"], ["cf"], name="flat_c"),
        helper.make_node("Concat", ["yf", "hf", "hb", "cf"], ["feat"], name="features", axis=1),
        helper.make_node("MatMul", ["feat", "wf"], ["z"], name="fc"),
    ]
    g = helper.make_graph(nodes, "lstm",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", T, I])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 5])],
                          [init("W", W), init("R", R), init("B", B), init("wf", wf),
                           init("i0", np.array(0, np.int64)), init("i1", np.array(1, np.int64)),
                           init("ax0", np.array([0], np.int64)),
                           init("two", np.array([2], np.int64)),
                           init("hid", np.array([H], np.int64)),
                           init("minus1", np.array([-1], np.int64))])
    x = rng.standard_normal((N, T, I)).astype(np.float32)
    Y, Yh, Yc = rnn_ref("LSTM", x.transpose(1, 0, 2), W, R, B, "bidirectional")
    feat = np.concatenate([Y.transpose(2, 0, 1, 3).reshape(N, -1), Yh[0], Yh[1],
                           Yc.transpose(1, 0, 2).reshape(N, -1)], axis=1)
    save(outdir, "lstm", g, x, feat @ wf)


def gru(outdir):
    """GRUs over [batch, seq, input] (layout 1, opset 14): a forward one with
    linear_before_reset = 1 (torch's) whose last step of Y is sliced, and a
    reverse one with linear_before_reset = 0 and a zero initial_h constant;
    their Y_h read through Squeeze."""
    T, I, H = 5, 3, 4
    W1, R1, B1 = rnn_weights("GRU", 1, H, I)
    W2, R2, B2 = rnn_weights("GRU", 1, H, I)
    wf = weights(3 * H, 4, fan_in=3 * H)
    nodes = [
        helper.make_node("GRU", ["x", "W1", "R1", "B1"], ["Y1", "Yh1"], name="gru_fwd",
                         hidden_size=H, linear_before_reset=1, layout=1),
        helper.make_node("GRU", ["x", "W2", "R2", "B2", "", "h0"], ["", "Yh2"], name="gru_rev",
                         hidden_size=H, direction="reverse", layout=1,
                         activations=["Sigmoid", "Tanh"]),
        helper.make_node("Slice", ["Y1", "st", "en", "ax1"], ["ylast"], name="last_step"),
        helper.make_node("Flatten", ["ylast"], ["yl"], name="flat_last"),
        helper.make_node("Squeeze", ["Yh1", "ax1"], ["h1"], name="sq1"),
        helper.make_node("Squeeze", ["Yh2", "ax1"], ["h2"], name="sq2"),
        helper.make_node("Concat", ["yl", "h1", "h2"], ["feat"], name="features", axis=1),
        helper.make_node("MatMul", ["feat", "wf"], ["z"], name="fc"),
    ]
    g = helper.make_graph(nodes, "gru",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", T, I])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])],
                          [init("W1", W1), init("R1", R1), init("B1", B1), init("W2", W2),
                           init("R2", R2), init("B2", B2), init("wf", wf),
                           init("h0", np.zeros((1, 1, H), np.float32)),
                           init("st", np.array([-1], np.int64)),
                           init("en", np.array([T], np.int64)),
                           init("ax1", np.array([1], np.int64))])
    x = rng.standard_normal((N, T, I)).astype(np.float32)
    xt = x.transpose(1, 0, 2)
    Y1, Yh1, _ = rnn_ref("GRU", xt, W1, R1, B1, "forward", lbr=1)
    _, Yh2, _ = rnn_ref("GRU", xt, W2, R2, B2, "reverse", lbr=0)
    feat = np.concatenate([Y1[-1, 0], Yh1[0], Yh2[0]], axis=1)
    save(outdir, "gru", g, x, feat @ wf, opset=14)


def rnn(outdir):
    """A bidirectional RNN (tanh) without B, Y_h batch-first by Transpose."""
    T, I, H, D = 4, 3, 5, 2
    W, R, _ = rnn_weights("RNN", D, H, I)
    wf = weights(D * H, 3, fan_in=D * H)
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], name="time_major", perm=[1, 0, 2]),
        helper.make_node("RNN", ["xt", "W", "R"], ["", "Yh"], name="rnn", hidden_size=H,
                         direction="bidirectional", activations=["Tanh", "Tanh"]),
        helper.make_node("Transpose", ["Yh"], ["hb"], name="batch_first", perm=[1, 0, 2]),
        helper.make_node("Flatten", ["hb"], ["hf"], name="flat"),
        helper.make_node("MatMul", ["hf", "wf"], ["z"], name="fc"),
    ]
    g = helper.make_graph(nodes, "rnn",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", T, I])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 3])],
                          [init("W", W), init("R", R), init("wf", wf)])
    x = rng.standard_normal((N, T, I)).astype(np.float32)
    _, Yh, _ = rnn_ref("RNN", x.transpose(1, 0, 2), W, R, np.zeros((D, 2 * H), np.float32),
                       "bidirectional")
    save(outdir, "rnn", g, x, Yh.transpose(1, 0, 2).reshape(N, -1) @ wf)


def rnn_errors(outdir):
    """Recurrent nodes the importer must refuse, naming node and attribute."""
    T, I, H = 3, 2, 2
    xi = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", T, I])
    yo = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1, H])
    cases = [
        ("err_lstm_clip", "LSTM", dict(clip=3.0), []),
        ("err_gru_act", "GRU", dict(activations=["HardSigmoid", "Tanh"]), []),
        ("err_rnn_seqlens", "RNN", {}, ["seqlens"]),
    ]
    for name, kind, attrs, extra in cases:
        W, R, B = rnn_weights(kind, 1, H, I)
        ins = ["x", "W", "R", "B"] + extra
        inits = [init("W", W), init("R", R), init("B", B),
                 init("seqlens", np.full(1, T, np.int32))]
        g = helper.make_graph([helper.make_node(kind, ins, ["", "y"], name=name[4:],
                                                hidden_size=H, layout=1, **attrs)],
                              name, [xi], [yo], inits)
        save(outdir, name, g, rng.standard_normal((2, T * I)).astype(np.float32), None,
             opset=14)


def errors(outdir):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    g = helper.make_graph([helper.make_node("LeakyRelu", ["x"], ["y"], name="leaky1", alpha=0.1)],
                          "err_op", [x], [y])
    save(outdir, "err_op", g, rng.standard_normal((2, 4)).astype(np.float32), None)
    xi = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 6, 6])
    yo = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1, 2, 2])
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="dilated",
                                            kernel_shape=[3, 3], dilations=[2, 2])],
                          "err_attr", [xi], [yo], [init("w", weights(1, 1, 3, 3))])
    save(outdir, "err_attr", g, rng.standard_normal((2, 36)).astype(np.float32), None)
    g = helper.make_graph([helper.make_node("Softmax", ["x"], ["s"], name="early_softmax"),
                           helper.make_node("Relu", ["s"], ["y"], name="relu")],
                          "err_softmax", [x], [y])
    save(outdir, "err_softmax", g, rng.standard_normal((2, 4)).astype(np.float32), None)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors/graph"
    os.makedirs(outdir, exist_ok=True)
    mlp(outdir)
    cnn(outdir)
    ops(outdir)
    gap(outdir)
    errors(outdir)
    shapes(outdir)
    math_ops(outdir)
    lstm(outdir)
    gru(outdir)
    rnn(outdir)
    rnn_errors(outdir)


if __name__ == "__main__":
    main()
