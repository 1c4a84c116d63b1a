#!/usr/bin/python3
"""Train the FastGRNN classifier or the small CNN on Fashion-MNIST with
PyTorch (Debian python3-torch; only for this script: building, testing and
the demo use the shipped .onnx) and export it with torch.onnx.export:

    /usr/bin/python3 scripts/train_fashion_torch.py fastgrnn models/fashion_fastgrnn_torch.onnx
    /usr/bin/python3 scripts/train_fashion_torch.py cnn models/fashion_cnn_torch.onnx

fastgrnn: the architecture of the hand-written model (nn/fastgrnn.c,
models/fashion_fastgrnn.sirnn): 28 steps of 28 pixels (a row each), hidden
32, full-rank W and U, one bias for each of z and h~, scalar zeta and nu
(sigmoid of a trained parameter), a dense classifier on the last state:
    pre = W x_t + U h,  z = sigmoid(pre + bz),  c = tanh(pre + bh)
    h   = (zeta (1 - z) + nu) c + z h
The cell is a custom module, so the export unrolls it: per step Gather,
MatMul, Add, Sigmoid, Tanh, Mul (sigmoid(zeta) and sigmoid(nu) exported
as constants), then Gemm and Softmax. W x_t is computed for all steps by
one MatMul before the loop, as the hand-written path does.

cnn: the architecture of models/fashion_cnn.onnx: Conv 3x3 (8 channels,
stride 2, pad 1), BatchNormalization, Relu, MaxPool 2x2, Flatten, Linear to
10 classes.

Input: pixel / 255 (the default --norm of `sirnn import`). Options: --epochs
E (default 12 for fastgrnn, 8 for cnn), --seed S (default 1), --threads N
(default 1; more only slows the small FastGRNN steps on a loaded machine),
--pre-limit X --pre-weight Y (fastgrnn: add Y (|p| - X)^2 to the loss for
every value p of W x_t, U h and both pre-activations beyond +-X, averaged
over the batch, as `sirnn train --pre-limit X --pre-weight Y` does for the
hand-written model: the sigmoid and tanh then read a higher scale and cost
fewer flights; the shipped model: X = 3.5, Y = 0.005).
Prints the float test accuracy and the training time in CPU seconds (the
shipped ones, torch 1.13 on one thread: FastGRNN with --pre-limit 3.5
--pre-weight 0.005 87.08% in 172 CPU s (without them 87.99% in 94 CPU s), CNN
88.62% in 19 CPU s).
"""
import argparse
import time

import torch

from fashion_torch_common import accuracy, load


class FastGRNN(torch.nn.Module):
    def __init__(self, hidden=32, steps=28, dim=28, classes=10):
        super().__init__()
        self.steps, self.hidden = steps, hidden
        self.W = torch.nn.Parameter(torch.randn(hidden, dim) * (1.0 / dim) ** 0.5)
        self.U = torch.nn.Parameter(torch.randn(hidden, hidden) * (1.0 / hidden) ** 0.5)
        self.bz = torch.nn.Parameter(torch.ones(hidden))
        self.bh = torch.nn.Parameter(torch.zeros(hidden))
        self.zeta = torch.nn.Parameter(torch.tensor(1.0))
        self.nu = torch.nn.Parameter(torch.tensor(-4.0))
        self.fc = torch.nn.Linear(hidden, classes)

    def forward(self, x, limit=0.0):  # x: N x 28 steps x 28 pixels
        """The scores; with limit > 0 also the range penalty's sum."""
        pen = []

        def over(p):
            if limit > 0:
                pen.append(torch.relu(p.abs() - limit).pow(2).sum())

        if torch.onnx.is_in_onnx_export():  # the trained scalars, as constants
            zeta, nu = float(torch.sigmoid(self.zeta)), float(torch.sigmoid(self.nu))
        else:
            zeta, nu = torch.sigmoid(self.zeta), torch.sigmoid(self.nu)
        wx = torch.matmul(x, self.W.t())  # all steps at once
        over(wx)
        h = None
        for t in range(self.steps):
            if h is None:
                pre = wx[:, t]
            else:
                uh = torch.matmul(h, self.U.t())
                over(uh)
                pre = wx[:, t] + uh
            z = torch.sigmoid(pre + self.bz)
            c = torch.tanh(pre + self.bh)
            over(pre + self.bz)
            over(pre + self.bh)
            gc = (z * (-zeta) + (zeta + nu)) * c
            h = gc if h is None else gc + z * h
        if limit > 0:
            return self.fc(h), torch.stack(pen).sum()
        return self.fc(h)


class CNN(torch.nn.Module):
    def __init__(self, ch=8):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, ch, 3, stride=2, padding=1)
        self.bn = torch.nn.BatchNorm2d(ch)
        self.fc = torch.nn.Linear(ch * 49, 10)

    def forward(self, x):  # x: N x 1 x 28 x 28
        r = torch.relu(self.bn(self.conv(x)))
        return self.fc(torch.flatten(torch.nn.functional.max_pool2d(r, 2), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["fastgrnn", "cnn"])
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--pre-limit", type=float, default=0.0)
    ap.add_argument("--pre-weight", type=float, default=0.0)
    a = ap.parse_args()
    if a.pre_weight > 0 and (a.kind != "fastgrnn" or not a.pre_limit > 0):
        ap.error("--pre-weight needs --pre-limit > 0 and the fastgrnn model")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    if a.kind == "cnn":
        xtr, xte = xtr[:, None], xte[:, None]
        model, lr, epochs = CNN(), 1e-2, a.epochs or 8
    else:
        model, lr, epochs = FastGRNN(), 1e-2, a.epochs or 12
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * (len(xtr) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    t0 = time.process_time()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr) - 127, 128):
            idx = perm[i:i + 128]
            if a.pre_weight > 0:
                scores, pen = model(xtr[idx], a.pre_limit)
                loss = torch.nn.functional.cross_entropy(scores, ytr[idx]) + \
                    a.pre_weight * pen / len(idx)
            else:
                loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
        model.eval()
        print(f"epoch {ep + 1}: loss {loss.item():.3f}, test accuracy "
              f"{100 * accuracy(model, xte, yte):.2f}%, {time.process_time() - t0:.0f} CPU s",
              flush=True)
    model.eval()
    shape = (1, 1, 28, 28) if a.kind == "cnn" else (1, 28, 28)
    # the exported classifier ends in Softmax (the importer runs it as ArgMax)
    torch.onnx.export(torch.nn.Sequential(model, torch.nn.Softmax(dim=1)),
                      torch.zeros(*shape), a.out, input_names=["x"],
                      output_names=["scores"], opset_version=13,
                      dynamic_axes={"x": {0: "N"}, "scores": {0: "N"}})
    print(f"{a.kind}: float test accuracy {100 * accuracy(model, xte, yte):.2f}%"
          f", trained in {time.process_time() - t0:.0f} CPU s; wrote {a.out}")


if __name__ == "__main__":
    main()
