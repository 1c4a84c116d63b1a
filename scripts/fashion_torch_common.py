"""Fashion-MNIST for the PyTorch training scripts (train_fashion_torch.py,
train_fashion_rnn.py): the Debian package's test and training sets as
tensors, and a model's accuracy on them."""
import gzip

import numpy as np
import torch

DIR = "/usr/share/datasets/fashion-mnist/"


def load(kind):
    """Images (N x 28 x 28, floats in [0, 1]) and labels of kind 'train' or 't10k'."""
    with gzip.open(DIR + f"{kind}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(DIR + f"{kind}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def accuracy(model, x, y):
    """The share of x that model classifies as y, 1,000 at a time."""
    with torch.no_grad():
        return sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
                   for i in range(0, len(x), 1000)) / len(x)
