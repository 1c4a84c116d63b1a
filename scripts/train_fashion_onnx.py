#!/usr/bin/python3
"""Train a small classifier on Fashion-MNIST (Debian dataset-fashion-mnist) with
numpy and export it to ONNX with the onnx helper API (Debian python3-onnx), as
a PyTorch export would write it (Gemm with transB, Conv, BatchNormalization,
Relu, MaxPool, Flatten, Softmax). The shipped models/fashion_*.onnx come from

    /usr/bin/python3 scripts/train_fashion_onnx.py mlp models/fashion_mlp.onnx
    /usr/bin/python3 scripts/train_fashion_onnx.py cnn models/fashion_cnn.onnx

(deterministic for a given numpy). Inputs are pixel / 255, shape N x 784 (mlp)
or N x 1 x 28 x 28 (cnn); `sirnn import --calib fashion` feeds them that way.
"""
import gzip
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DIR = "/usr/share/datasets/fashion-mnist/"


def load(kind):
    with gzip.open(DIR + f"{kind}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(DIR + f"{kind}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


class Adam:
    def __init__(self, params, lr):
        self.p, self.lr, self.t = params, lr, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads, lr):
        self.t += 1
        for p, g, m, v in zip(self.p, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            mh = m / (1 - 0.9 ** self.t)
            vh = v / (1 - 0.999 ** self.t)
            p -= lr * mh / (np.sqrt(vh) + 1e-8)


def softmax_xent(z, y):
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    g = p.copy()
    g[np.arange(len(y)), y] -= 1
    return -np.log(p[np.arange(len(y)), y] + 1e-12).mean(), g / len(y)


def im2col(x, k=3, stride=2, pad=1):
    """x: N x C x H x W -> (N*OH*OW) x (C*k*k), rows (n, oh, ow)."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    cols = np.empty((n, oh, ow, c, k, k), x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, :, :, i, j] = xp[:, :, i:i + stride * oh:stride,
                                        j:j + stride * ow:stride].transpose(0, 2, 3, 1)
    return cols.reshape(n * oh * ow, c * k * k), oh, ow


def train_mlp(xtr, ytr, xte, yte, rng, epochs=10, hidden=64):
    w1 = (rng.standard_normal((784, hidden)) * np.sqrt(2 / 784)).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = (rng.standard_normal((hidden, 10)) * np.sqrt(1 / hidden)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    opt = Adam([w1, b1, w2, b2], 1e-3)

    def forward(x):
        h = np.maximum(x @ w1 + b1, 0)
        return h, h @ w2 + b2

    steps = epochs * (len(xtr) // 128)
    for ep in range(epochs):
        perm = rng.permutation(len(xtr))
        for s in range(len(xtr) // 128):
            idx = perm[s * 128:(s + 1) * 128]
            x, y = xtr[idx], ytr[idx]
            h, z = forward(x)
            _, gz = softmax_xent(z, y)
            gw2, gb2 = h.T @ gz, gz.sum(0)
            gh = (gz @ w2.T) * (h > 0)
            gw1, gb1 = x.T @ gh, gh.sum(0)
            t = ep * (len(xtr) // 128) + s
            opt.step([gw1, gb1, gw2, gb2], 2e-3 * 0.5 * (1 + np.cos(np.pi * t / steps)))
        acc = (forward(xte)[1].argmax(1) == yte).mean()
        print(f"epoch {ep + 1}: test accuracy {acc:.4f}", file=sys.stderr)
    nodes = [
        helper.make_node("Gemm", ["input", "fc1.weight", "fc1.bias"], ["h1"], name="/fc1/Gemm",
                         transB=1),
        helper.make_node("Relu", ["h1"], ["r1"], name="/relu/Relu"),
        helper.make_node("Gemm", ["r1", "fc2.weight", "fc2.bias"], ["logits"],
                         name="/fc2/Gemm", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="/softmax/Softmax", axis=1),
    ]
    inits = [numpy_helper.from_array(w1.T.copy(), "fc1.weight"),
             numpy_helper.from_array(b1, "fc1.bias"),
             numpy_helper.from_array(w2.T.copy(), "fc2.weight"),
             numpy_helper.from_array(b2, "fc2.bias")]
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 784])
    return nodes, inits, inp


def train_cnn(xtr, ytr, xte, yte, rng, epochs=6, ch=8):
    wc = (rng.standard_normal((9, ch)) * np.sqrt(2 / 9)).astype(np.float32)
    bc = np.zeros(ch, np.float32)
    gamma, beta = np.ones(ch, np.float32), np.zeros(ch, np.float32)
    wf = (rng.standard_normal((ch * 49, 10)) * np.sqrt(1 / (ch * 49))).astype(np.float32)
    bf = np.zeros(10, np.float32)
    run_mean, run_var = np.zeros(ch, np.float32), np.ones(ch, np.float32)
    opt = Adam([wc, bc, gamma, beta, wf, bf], 1e-3)

    def forward(x, train):
        n = len(x)
        cols, oh, ow = im2col(x.reshape(n, 1, 28, 28))
        c = cols @ wc + bc                                    # (n*196) x ch
        if train:
            mu, var = c.mean(0), c.var(0)
        else:
            mu, var = run_mean, run_var
        xh = (c - mu) / np.sqrt(var + 1e-5)
        bn = xh * gamma + beta
        r = np.maximum(bn, 0).reshape(n, oh, ow, ch)
        r4 = r.reshape(n, 7, 2, 7, 2, ch)
        p = r4.max(axis=(2, 4))                               # n x 7 x 7 x ch
        f = p.transpose(0, 3, 1, 2).reshape(n, -1)           # NCHW flatten
        z = f @ wf + bf
        return z, (cols, c, mu, var, xh, bn, r4, p, f)

    steps = epochs * (len(xtr) // 128)
    for ep in range(epochs):
        perm = rng.permutation(len(xtr))
        for s in range(len(xtr) // 128):
            idx = perm[s * 128:(s + 1) * 128]
            x, y = xtr[idx], ytr[idx]
            n = len(x)
            z, (cols, c, mu, var, xh, bn, r4, p, f) = forward(x, True)
            run_mean[:] = 0.9 * run_mean + 0.1 * mu
            run_var[:] = 0.9 * run_var + 0.1 * var
            _, gz = softmax_xent(z, y)
            gwf, gbf = f.T @ gz, gz.sum(0)
            gf = gz @ wf.T
            gp = gf.reshape(n, ch, 7, 7).transpose(0, 2, 3, 1)
            mask = (r4 == p[:, :, None, :, None, :])
            # route each pooled gradient to the first maximum of its window
            first = mask & (np.cumsum(np.cumsum(mask, axis=2), axis=4) == 1)
            gr = (first * gp[:, :, None, :, None, :]).reshape(n * 196, ch)
            gbn = gr * (bn > 0)
            ggamma, gbeta = (gbn * xh).sum(0), gbn.sum(0)
            gxh = gbn * gamma
            m = c.shape[0]
            gc = (gxh - gxh.mean(0) - xh * (gxh * xh).mean(0)) / np.sqrt(var + 1e-5)
            gwc, gbc = cols.T @ gc, gc.sum(0)
            t = ep * (len(xtr) // 128) + s
            opt.step([gwc, gbc, ggamma, gbeta, gwf, gbf],
                     3e-3 * 0.5 * (1 + np.cos(np.pi * t / steps)))
            del m
        accs = [(forward(xte[i:i + 2000], False)[0].argmax(1) == yte[i:i + 2000]).mean()
                for i in range(0, len(xte), 2000)]
        print(f"epoch {ep + 1}: test accuracy {np.mean(accs):.4f}", file=sys.stderr)
    nodes = [
        helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv",
                         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "bn.weight", "bn.bias", "bn.running_mean",
                                                "bn.running_var"], ["bn"],
                         name="/bn/BatchNormalization", epsilon=1e-5),
        helper.make_node("Relu", ["bn"], ["r"], name="/relu/Relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="/fc/Gemm",
                         transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="/softmax/Softmax", axis=1),
    ]
    inits = [numpy_helper.from_array(wc.T.reshape(ch, 1, 3, 3).copy(), "conv.weight"),
             numpy_helper.from_array(bc, "conv.bias"),
             numpy_helper.from_array(gamma, "bn.weight"),
             numpy_helper.from_array(beta, "bn.bias"),
             numpy_helper.from_array(run_mean, "bn.running_mean"),
             numpy_helper.from_array(run_var, "bn.running_var"),
             numpy_helper.from_array(wf.T.copy(), "fc.weight"),
             numpy_helper.from_array(bf, "fc.bias")]
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])
    return nodes, inits, inp


def main():
    kind, out = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(16)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    nodes, inits, inp = (train_mlp if kind == "mlp" else train_cnn)(xtr, ytr, xte, yte, rng)
    outp = helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 10])
    g = helper.make_graph(nodes, f"fashion_{kind}", [inp], [outp], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="libsirnn scripts/train_fashion_onnx.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
