#!/usr/bin/python3
"""Train the RNNPool model (Saha et al., NeurIPS 2020: "RNNPool: Efficient
Non-linear Pooling for RAM Constrained Inference") on Fashion-MNIST with
PyTorch (Debian python3-torch) and export it to ONNX for `sirnn import`.

    /usr/bin/python3 scripts/train_rnnpool.py classify models/fashion_rnnpool.onnx
    /usr/bin/python3 scripts/make_canvases.py build/out/canvas
    /usr/bin/python3 scripts/train_rnnpool.py count models/count_rnnpool.onnx

The network, for a 28 x 28 image (`classify`, 10 classes):

    conv 3x3 stride 2, 1 -> 16, BN, ReLU             14 x 14 x 16
    RNNPool, patch 6 x 6, stride 4 (the paper's       3 x 3 x 4 h2
      ratio), RNN1 a FastGRNN (hidden h1 = 8) over
      every row and every column of each patch,
      RNN2 a bidirectional FastGRNN (hidden h2 = 8)
      over RNN1's row summaries and, with the same
      weights, over its column summaries
    2 depthwise-separable blocks (dw 3x3, BN, ReLU,   3 x 3 x 64
      pw 1x1 32 -> 64 and 64 -> 64, BN, ReLU)
    global average pool, linear                       10

For `count` the input is a 56 x 56 canvas (scripts/make_canvases.py) and a
2 x 2 average pool after the first conv brings it to 14 x 14; the output is
the number of items of the chosen class, 0..4, as 5 scores.

The export is the network as the secure runtime runs it: the patches of all
images are one tensor, every RNN step is one batched MatMul / Sigmoid / Tanh
/ Mul over all the rows and columns of all the patches (so the secure
flights follow the RNN's length, 6 + 6 steps, not the number of patches);
the two directions of RNN2 run as one FastGRNN of hidden 2 h2 whose weights
are block-diagonal (the same arithmetic as two cells). The patch and sweep
order is a constant Gather. The export module computes exactly what the
training module computes (checked before saving).

Training (`train`): Adam with a one-cycle schedule (8 epochs for classify,
6 for count); this is how both shipped models were made.

An optional second, bounded phase for the classifier (RNNPOOL_BOUNDED_STEPS
batches, default 0 = off; RNNPOOL_INIT=FILE starts it from first-phase
weights kept with RNNPOOL_STATE): mirrored images, a cosine decay from 2e-3,
and a penalty on the RNNs' pre-activations beyond +-BOUND = 3, meant to keep
them below 4 on the calibration images so that `sirnn import` gives the
sigmoid and tanh inputs scale 16/12 (the cheaper secure paths, see
include/sirnn/math.h) instead of the 16/10 or 16/11 they get now. Tried
once, 150 batches from the shipped weights (806 s at load ~15, two threads): the
largest pre-activation fell from 7.5 to 4.31 (scale 16/11, not yet 12) and
the float test accuracy from 88.99% to 83.45%, so it is not shipped; it
needs many more batches (several epochs) than the time allowed.

Deterministic for a given torch build (fixed seeds; RNNPOOL_THREADS, default
1, threads); prints the training time. The shipped classifier
took 34 minutes (8 epochs, 88.99% float test accuracy) and the count model
22 minutes (6 epochs: 91.77% exact counts) of wall time on this project's
two shared cores at load average ~15, one thread each (the first classify
epoch, before the load rose, took 112 s). See the README (RNNPool) for the
secure figures. RNNPOOL_STATE=FILE keeps the trained weights in FILE; with
0 epochs they are read back and only exported.
"""
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DIR = "/usr/share/datasets/fashion-mnist/"
PATCH, STRIDE, SIDE = 6, 4, 14   # RNNPool on a 14 x 14 map -> 3 x 3
H1, H2, C0 = 8, 8, 16
BOUNDED_STEPS = int(os.environ.get("RNNPOOL_BOUNDED_STEPS", "0"))  # off: see the top
THREADS = int(os.environ.get("RNNPOOL_THREADS", "1"))
PENALTY = 1.0
BOUND = 3.0      # classify: pre-activations pushed inside +-BOUND while training


def load(kind):
    with gzip.open(DIR + f"{kind}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(DIR + f"{kind}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x, y.astype(np.int64)


def sweep_tables():
    """Index tables into the flattened 14 x 14 map.
    rnn1[t, s]: the pixel that sequence s reads at step t; sequences are
    (patch, row r) sweeping the columns, then (patch, column c) sweeping the
    rows, patches row-major. rnn2_f/b[t, q]: the RNN1 sequence that RNN2's
    sequence q = (patch, rows|cols) reads at step t forwards / backwards."""
    npos = (SIDE - PATCH) // STRIDE + 1
    P = npos * npos
    rnn1 = np.zeros((PATCH, P * 2 * PATCH), np.int64)
    rnn2_f = np.zeros((PATCH, P * 2), np.int64)
    rnn2_b = np.zeros((PATCH, P * 2), np.int64)
    for p in range(P):
        y0, x0 = (p // npos) * STRIDE, (p % npos) * STRIDE
        for t in range(PATCH):
            for r in range(PATCH):
                rnn1[t, p * 2 * PATCH + r] = (y0 + r) * SIDE + x0 + t          # row r
                rnn1[t, p * 2 * PATCH + PATCH + r] = (y0 + t) * SIDE + x0 + r  # column r
            for k in range(2):
                rnn2_f[t, p * 2 + k] = p * 2 * PATCH + k * PATCH + t
                rnn2_b[t, p * 2 + k] = p * 2 * PATCH + k * PATCH + PATCH - 1 - t
    return npos, rnn1, rnn2_f, rnn2_b


class FastGRNN(nn.Module):
    """h_t = (zeta (1 - z) + nu) * c + z * h_{t-1}, z = sigmoid(W x + U h + bz),
    c = tanh(W x + U h + bh) (Kusupati et al. 2018), h_0 = 0."""

    def __init__(self, d, h):
        super().__init__()
        self.W = nn.Parameter(torch.randn(d, h) * (1.0 / d) ** 0.5)
        self.U = nn.Parameter(torch.randn(h, h) * (1.0 / h) ** 0.5)
        self.bz = nn.Parameter(torch.ones(h))
        self.bh = nn.Parameter(torch.zeros(h))
        self.zeta = nn.Parameter(torch.tensor(1.0))
        self.nu = nn.Parameter(torch.tensor(-4.0))

    def run(self, xs, excess=None):
        """xs: T x S x d (all sequences at once); returns the last state.
        With a list `excess`, appends to it the tensors the secure runtime
        keeps (W x, U h, their sum, the sigmoid's
        and the tanh's inputs), so training can keep them inside +-BOUND and
        the calibration gives them scale 16/12 (see the README)."""
        wx = xs @ self.W
        zeta, nu = torch.sigmoid(self.zeta), torch.sigmoid(self.nu)
        h = None

        def over(v):
            if excess is not None:
                excess.append(v)
        over(wx)
        for t in range(xs.shape[0]):
            if h is None:
                pre = wx[t]
            else:
                uh = h @ self.U
                over(uh)
                pre = wx[t] + uh
                over(pre)
            z = torch.sigmoid(pre + self.bz)
            c = torch.tanh(pre + self.bh)
            over(pre + self.bz)
            over(pre + self.bh)
            h = (zeta * (1 - z) + nu) * c if h is None else (zeta * (1 - z) + nu) * c + z * h
        return h


def ds_block(c_in, c_out):
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False), nn.BatchNorm2d(c_in),
        nn.ReLU(), nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


class RNNPoolNet(nn.Module):
    def __init__(self, side, classes):
        super().__init__()
        layers = [nn.Conv2d(1, C0, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(C0),
                  nn.ReLU()]
        if side == 56:
            layers += [nn.AvgPool2d(2)]
        self.stem = nn.Sequential(*layers)
        self.rnn1 = FastGRNN(C0, H1)
        self.rnn2f = FastGRNN(H1, H2)
        self.rnn2b = FastGRNN(H1, H2)
        self.blocks = nn.Sequential(ds_block(4 * H2, 64), ds_block(64, 64))
        self.fc = nn.Linear(64, classes)
        self.excess = None   # a list to collect the bound's penalty terms in
        self.side = side
        self.npos, r1, r2f, r2b = sweep_tables()
        self.register_buffer("r1", torch.from_numpy(r1))
        self.register_buffer("r2f", torch.from_numpy(r2f))
        self.register_buffer("r2b", torch.from_numpy(r2b))

    def pool(self, f):
        n = f.shape[0]
        pix = f.flatten(2).transpose(1, 2)                       # N x 196 x C
        xs = pix[:, self.r1.reshape(-1)].reshape(n, PATCH, -1, C0).transpose(0, 1)
        e = self.excess
        h1 = self.rnn1.run(xs.reshape(PATCH, -1, C0), e).reshape(n, -1, H1)   # N x S1 x H1
        hf = self.rnn2f.run(h1[:, self.r2f.reshape(-1)].reshape(n, PATCH, -1, H1)
                            .transpose(0, 1).reshape(PATCH, -1, H1), e).reshape(n, -1, H2)
        hb = self.rnn2b.run(h1[:, self.r2b.reshape(-1)].reshape(n, PATCH, -1, H1)
                            .transpose(0, 1).reshape(PATCH, -1, H1), e).reshape(n, -1, H2)
        # per patch: rows fwd, rows bwd, cols fwd, cols bwd
        o = torch.cat([hf, hb], 2).reshape(n, self.npos * self.npos, 4 * H2)
        return o.transpose(1, 2).reshape(n, 4 * H2, self.npos, self.npos)

    def forward(self, x):
        f = self.pool(self.stem(x))
        return self.fc(self.blocks(f).mean((2, 3)))


class Export(nn.Module):
    """The trained network as the secure runtime runs it (see the top)."""

    def __init__(self, net):
        super().__init__()
        self.stem, self.blocks, self.fc, self.npos = net.stem, net.blocks, net.fc, net.npos
        s1 = net.r1.shape[1]
        self.s1 = s1
        self.idx1 = net.r1.reshape(-1).clone()
        # RNN2 input at step t: [h1 of the forward sequence, h1 of the backward one]
        self.idx2 = torch.stack([net.r2f, net.r2b], 2).reshape(PATCH, -1)  # T x (Q*2)
        sig = torch.sigmoid
        with torch.no_grad():
            def consts(c):
                return (c.W.detach().clone(), c.U.detach().clone(), c.bz.detach().clone(),
                        c.bh.detach().clone(), float(sig(c.zeta)), float(sig(c.nu)))
            self.c1 = consts(net.rnn1)
            f, b = consts(net.rnn2f), consts(net.rnn2b)
            self.w2cat = torch.cat([f[0], b[0]], 1)                      # H1 x 2 H2
            j = torch.arange(2 * H2)
            src = torch.where(j < H2, net.r2f.unsqueeze(2), net.r2b.unsqueeze(2))  # T x Q x 2H2
            self.idx2w = (src * 2 * H2 + j).reshape(-1)
            self.c2 = (torch.block_diag(f[0], b[0]), torch.block_diag(f[1], b[1]),
                       torch.cat([f[2], b[2]]), torch.cat([f[3], b[3]]),
                       torch.cat([torch.full((H2,), f[4]), torch.full((H2,), b[4])]),
                       torch.cat([torch.full((H2,), f[5]), torch.full((H2,), b[5])]))

    @staticmethod
    def cell(wx, steps, c):
        W, U, bz, bh, zeta, nu = c
        mzeta = -torch.as_tensor(zeta)
        zn = torch.as_tensor(zeta + nu)
        h = None
        for t in range(steps):
            pre = wx[t] if h is None else wx[t] + h @ U
            z = torch.sigmoid(pre + bz)
            c_ = torch.tanh(pre + bh)
            g = z * mzeta + zn
            h = g * c_ if h is None else g * c_ + z * h
        return h

    def forward(self, x):
        f = self.stem(x)                                      # N x C0 x 14 x 14
        pix = f.reshape(-1, C0, SIDE * SIDE).transpose(1, 2)  # N x 196 x C0
        # W x of every pixel once (a pixel is read by several sequences), then
        # every step's inputs by one constant Gather
        xs = (pix @ self.c1[0])[:, self.idx1]                 # N x (T S1) x H1
        wx = [xs[:, t * self.s1:(t + 1) * self.s1] for t in range(PATCH)]
        h1 = self.cell(wx, PATCH, self.c1)                    # N x S1 x H1
        # RNN2's W y likewise: both directions' W of every RNN1 summary, then
        # the forward half of the forward sequences' and the backward half of
        # the backward ones'
        q = self.idx2.shape[1] // 2
        ys = (h1 @ self.w2cat).reshape(-1, self.s1 * 2 * H2)[:, self.idx2w]
        ys = ys.reshape(-1, PATCH * q, 2 * H2)
        wy = [ys[:, t * q:(t + 1) * q] for t in range(PATCH)]
        h2 = self.cell(wy, PATCH, self.c2)                    # N x Q x 2 H2
        o = h2.reshape(-1, self.npos * self.npos, 4 * H2).transpose(1, 2)
        o = o.reshape(-1, 4 * H2, self.npos, self.npos)
        return torch.softmax(self.fc(torch.flatten(F.adaptive_avg_pool2d(self.blocks(o), 1), 1)), 1)


def data(task):
    if task == "classify":
        xtr, ytr = load("train")
        xte, yte = load("t10k")
        return xtr, ytr, xte, yte
    d = os.environ.get("CANVAS_DIR", "build/out/canvas")  # scripts/make_canvases.py's output
    out = []
    for which in ("train", "test"):
        with gzip.open(f"{d}/{which}-images-idx3-ubyte.gz") as f:
            b = f.read()
            n, rows, cols = struct.unpack(">III", b[4:16])
            out.append(np.frombuffer(b, np.uint8, offset=16).reshape(n, rows, cols))
        with gzip.open(f"{d}/{which}-labels-idx1-ubyte.gz") as f:
            out.append(np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64))
    return out


def evaluate(net, x, y):
    net.eval()
    ok = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            xb = torch.from_numpy(x[i:i + 1000].copy()).float().unsqueeze(1) / 255
            ok += int((net(xb).argmax(1).numpy() == y[i:i + 1000]).sum())
    return ok / len(x)


def maxpre(net, x):
    """The largest |value| among the tensors the bound covers, over images x
    (the calibration's: the first 1000 training images)."""
    net.eval()
    with torch.no_grad():
        net.excess = []
        net(torch.from_numpy(x.copy()).float().unsqueeze(1) / 255)
        m = max(float(v.abs().max()) for v in net.excess)
        net.excess = None
    return m


def train(net, xtr, ytr, xte, yte, epochs, bounded, steps=None):
    """Adam over batches of 128. Unbounded (the first phase): a one-cycle
    schedule peaking at 3e-3. Bounded (the classifier's second phase, from
    the first phase's weights, `steps` batches): a cosine decay from 2e-3, a random half of
    every batch mirrored left-right, and PENALTY * sum(relu(|v| - BOUND)^2)
    per image over the RNNs' pre-activations (FastGRNN.run) added to the
    loss."""
    rng = np.random.default_rng(2 if bounded else 1)
    steps = steps or epochs * (len(xtr) // 128)
    if bounded:
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=3e-3)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps)
    t0 = time.time()
    for ep in range(epochs):
        net.train()
        perm = rng.permutation(len(xtr))
        for i in range(min(len(xtr) // 128, steps - ep * (len(xtr) // 128))):
            b = perm[i * 128:(i + 1) * 128]
            xb = torch.from_numpy(xtr[b]).float().unsqueeze(1) / 255
            if bounded:
                flip = torch.from_numpy(rng.random(len(b)) < 0.5)
                xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
                net.excess = []
            loss = F.cross_entropy(net(xb), torch.from_numpy(ytr[b]))
            if bounded:
                pen = sum(F.relu(v.abs() - BOUND).pow(2).sum()
                          for v in net.excess) / len(b)
                net.excess = None
                loss = loss + PENALTY * pen
                if i % 25 == 0:
                    print(f"  step {i}: penalty {pen.item():.3f}, {time.time() - t0:.0f} s",
                          flush=True)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"{'bounded ' if bounded else ''}epoch {ep + 1}: loss {loss.item():.3f}, "
              f"max |pre-activation| {maxpre(net, xtr[:1000]):.2f}, "
              + ("" if bounded else f"test {100 * evaluate(net, xte, yte):.2f}%, ")
              + f"{time.time() - t0:.0f} s", flush=True)
    print(f"{'bounded ' if bounded else ''}training took {time.time() - t0:.0f} s")


def main():
    task, out = sys.argv[1], sys.argv[2]
    cls = task == "classify"
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else (8 if cls else 6)
    torch.manual_seed(1)
    torch.set_num_threads(THREADS)
    xtr, ytr, xte, yte = data(task)
    side = xtr.shape[1]
    net = RNNPoolNet(side, 10 if cls else 5)
    nparams = sum(p.numel() for p in net.parameters())
    print(f"{task}: {nparams} parameters, {len(xtr)} training / {len(xte)} test examples")
    state = os.environ.get("RNNPOOL_STATE")  # keep (or, with 0 epochs, reuse) the weights
    init = os.environ.get("RNNPOOL_INIT")    # classify: the first phase's weights
    if epochs == 0:
        net.load_state_dict(torch.load(state))
    else:
        if init:
            net.load_state_dict(torch.load(init))
        else:
            train(net, xtr, ytr, xte, yte, epochs, False)
        if cls and BOUNDED_STEPS:
            train(net, xtr, ytr, xte, yte, 1, True, BOUNDED_STEPS)
        if state:
            torch.save(net.state_dict(), state)
    print(f"float test accuracy {100 * evaluate(net, xte, yte):.2f}%")
    net.eval()
    ex = Export(net).eval()
    xb = torch.from_numpy(xte[:256]).float().unsqueeze(1) / 255
    with torch.no_grad():
        d = (torch.softmax(net(xb), 1) - ex(xb)).abs().max().item()
    print(f"export module vs trained module: max |difference| {d:.2e}")
    assert d < 1e-4
    torch.onnx.export(ex, xb[:1], out, input_names=["x"], output_names=["probs"],
                      dynamic_axes={"x": {0: "N"}, "probs": {0: "N"}}, opset_version=13,
                      do_constant_folding=True)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
