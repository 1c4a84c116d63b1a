#!/usr/bin/python3
"""The counting task: 56 x 56 canvases made from real Fashion-MNIST images,
labelled with how many items of one chosen class they show (0..4).

    /usr/bin/python3 scripts/make_canvases.py OUTDIR

writes OUTDIR/{train,test}-{images-idx3,labels-idx1}-ubyte.gz (IDX, as
Fashion-MNIST; `sirnn demo --model ... --idx IMAGES,LABELS` reads them) and
OUTDIR/calib.f32 (the first 1000 training canvases as float32 pixel / 255,
for `sirnn import --calib`).

How a canvas is made (numpy's default_rng, seed 17 for the training
canvases, 18 for the test ones, so the files are the same on every run):
  - the count k of items of the chosen class (TARGET, 1 = Trouser) is drawn
    uniformly from 0..4, then the number of other items m uniformly from
    0..4 - k (items of the other nine classes, drawn uniformly);
  - each item is a random image of its class, from the training images for
    the training canvases and from the test images for the test canvases
    (a test canvas shows only images the model never saw), cropped to the
    box of its non-zero pixels;
  - the canvas is split into four 28 x 28 cells; the k + m items go to
    distinct random cells, each at a uniformly random position inside its
    cell, so items never overlap and each stays whole.
The label is k. The model must tell trousers from the other classes and
count them wherever they lie.
"""
import gzip
import os
import struct
import sys

import numpy as np

DIR = "/usr/share/datasets/fashion-mnist/"
TARGET = 1            # Trouser
SIDE, CELL = 56, 28
N = {"train": 30000, "test": 10000}
SEED = {"train": 17, "test": 18}


def load(kind):
    with gzip.open(DIR + f"{kind}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(DIR + f"{kind}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x, y


def crop(img):
    rows, cols = np.nonzero(img.any(1))[0], np.nonzero(img.any(0))[0]
    if len(rows) == 0:
        return img
    return img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def canvases(which):
    """(images N x 56 x 56 uint8, counts N int64) for which = train | test."""
    x, y = load("train" if which == "train" else "t10k")
    rng = np.random.default_rng(SEED[which])
    target = np.nonzero(y == TARGET)[0]
    other = np.nonzero(y != TARGET)[0]
    n = N[which]
    out = np.zeros((n, SIDE, SIDE), np.uint8)
    counts = np.zeros(n, np.int64)
    for i in range(n):
        k = int(rng.integers(0, 5))
        m = int(rng.integers(0, 5 - k))
        items = list(rng.choice(target, k)) + list(rng.choice(other, m))
        cells = rng.permutation(4)[:k + m]
        for it, cell in zip(items, cells):
            img = crop(x[it])
            h, w = img.shape
            y0 = (cell // 2) * CELL + int(rng.integers(0, CELL - h + 1))
            x0 = (cell % 2) * CELL + int(rng.integers(0, CELL - w + 1))
            out[i, y0:y0 + h, x0:x0 + w] = img
        counts[i] = k
    return out, counts


def write_idx(path_images, path_labels, x, y):
    with gzip.GzipFile(path_images, "wb", mtime=0) as f:
        f.write(struct.pack(">IIII", 0x803, len(x), SIDE, SIDE))
        f.write(x.tobytes())
    with gzip.GzipFile(path_labels, "wb", mtime=0) as f:
        f.write(struct.pack(">II", 0x801, len(y)))
        f.write(y.astype(np.uint8).tobytes())


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for which in ("train", "test"):
        x, y = canvases(which)
        write_idx(f"{out}/{which}-images-idx3-ubyte.gz", f"{out}/{which}-labels-idx1-ubyte.gz",
                  x, y)
        print(f"{which}: {len(x)} canvases, counts 0..4: {np.bincount(y, minlength=5)}")
        if which == "train":
            (x[:1000].astype(np.float32) / 255).tofile(f"{out}/calib.f32")


if __name__ == "__main__":
    main()
