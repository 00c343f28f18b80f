#!/usr/bin/env python3
"""PyTorch's side of `train bench -time-to ACC`.

Reads the folder that Descent writes: spec.json (the recipe, the shapes, the
input statistics and the target) and the training and test splits
(train.images, test.images: uint8 N×C×H×W; train.labels, test.labels: uint8).
Trains the same recipe as Descent's default (LeNet with batch norm and
dropout, PyTorch's default initialization, which Descent's "default"
follows; Adam with its defaults; cosine annealing over the epochs, stepped
per epoch; the same batch, shuffled every epoch) until the test accuracy
reaches the target, evaluating after every epoch outside the timed part.
Prints one JSON line per epoch: the epoch, the training seconds so far, and
the test accuracy (a fraction).

  /usr/bin/python3 bench/pytorch/time_to.py FOLDER [--threads N]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throughput import lenet  # noqa: E402  the network of the throughput comparison


def load(folder, name, n, shape, mean, std):
    """The split's images standardized as Descent does, and its labels."""
    pix = np.fromfile(os.path.join(folder, name + ".images"), dtype=np.uint8).reshape(n, *shape)
    x = (torch.from_numpy(pix.astype(np.float32)) / 255 - mean) / std
    y = torch.from_numpy(np.fromfile(os.path.join(folder, name + ".labels"), dtype=np.uint8).astype(np.int64))
    return x, y


def network(spec):
    net = lenet(batch_norm=True)
    for i, m in enumerate(net):
        if isinstance(m, nn.Dropout):
            if spec["Dropout"] > 0:
                net[i] = nn.Dropout(spec["Dropout"])
            else:
                net[i] = nn.Identity()
    return net


def accuracy(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (net(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    net.train()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads")
    a = ap.parse_args()
    with open(os.path.join(a.folder, "spec.json")) as f:
        spec = json.load(f)
    if (spec["Model"], spec["Optimizer"], spec["Schedule"], spec["Init"]) != ("lenet", "adam", "cosine", "default"):
        sys.exit(f"time_to.py runs lenet/adam/cosine/default only, the spec asks for {spec}")
    torch.set_num_threads(a.threads)
    torch.manual_seed(spec["Seed"])
    shape = (spec["C"], spec["H"], spec["W"])
    x, y = load(a.folder, "train", spec["Train"], shape, spec["Mean"], spec["Std"])
    tx, ty = load(a.folder, "test", spec["Test"], shape, spec["Mean"], spec["Std"])
    net = network(spec)
    opt = torch.optim.Adam(net.parameters(), lr=spec["LR"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=spec["Epochs"])
    loss_fn = nn.CrossEntropyLoss()
    batch, trained = spec["Batch"], 0.0
    for epoch in range(1, spec["Epochs"] + 1):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        end = len(x) - 1 if spec["DropLast"] else len(x)
        for i in range(0, end, batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
        sched.step()
        trained += time.perf_counter() - start
        acc = accuracy(net, tx, ty)
        print(json.dumps({"epoch": epoch, "seconds": trained, "accuracy": acc}), flush=True)
        if 100 * acc >= spec["Target"]:
            break


if __name__ == "__main__":
    main()
