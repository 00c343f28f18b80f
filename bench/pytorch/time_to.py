#!/usr/bin/env python3
"""PyTorch's side of `train bench -time-to ACC`.

Reads the folder that Descent writes: spec.json (the recipe, the shapes, the
input statistics and the target) and the training and test splits
(train.images, test.images: uint8 N×C×H×W; train.labels, test.labels: uint8).
Trains the same recipe as Descent (LeNet with its filters, hidden units,
batch norm or none, and dropout; PyTorch's default initialization, which
Descent's "default" follows; Adam at the recipe's rate; cosine annealing
over the epochs stepped per epoch, or OneCycleLR stepped per batch, or a
constant rate; the same batch, shuffled every epoch) until the test accuracy
reaches the target, evaluating after every epoch outside the timed part.
Prints one JSON line per epoch: the epoch, the training seconds so far and the
test accuracy (a fraction). With --serve (Descent's runner, which takes turns
with it epoch by epoch), it prints {"ready": true, "allocator": ...} after its
warm-up and then trains one epoch per line it reads, until the target, the
last epoch or the end of its input.

  /usr/bin/python3 bench/pytorch/time_to.py FOLDER [--threads N] [--serve]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openblas  # noqa: E402

openblas.use_best_core()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from throughput import allocator, lenet  # noqa: E402  the network of the throughput comparison


def load(folder, name, n, shape, mean, std):
    """The split's images standardized as Descent does, and its labels."""
    pix = np.fromfile(os.path.join(folder, name + ".images"), dtype=np.uint8).reshape(n, *shape)
    x = (torch.from_numpy(pix.astype(np.float32)) / 255 - mean) / std
    y = torch.from_numpy(np.fromfile(os.path.join(folder, name + ".labels"), dtype=np.uint8).astype(np.int64))
    return x, y


def network(spec):
    net = lenet(batch_norm=spec["Norm"] == "batch", filters=spec["Filters"], hidden=spec["Hidden"], side=spec["H"])
    for i, m in enumerate(net):
        if isinstance(m, nn.Dropout):
            if spec["Dropout"] > 0:
                net[i] = nn.Dropout(spec["Dropout"])
            else:
                net[i] = nn.Identity()
    return net


def schedule(spec, opt, steps_per_epoch):
    """The learning-rate schedule and whether it steps after every batch."""
    if spec["Schedule"] == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=spec["Epochs"]), False
    if spec["Schedule"] == "onecycle":
        c = spec["OneCycle"]
        return torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=c["MaxLR"], total_steps=spec["Epochs"] * steps_per_epoch, pct_start=c["PctStart"],
            anneal_strategy=c["Anneal"], cycle_momentum=c["CycleMomentum"], base_momentum=c["BaseMomentum"],
            max_momentum=c["MaxMomentum"], div_factor=c["DivFactor"], final_div_factor=c["FinalDivFactor"],
            three_phase=c["ThreePhase"]), True
    return None, False


def warm_up(net, x, y, loss_fn):
    """A few untimed steps of a throwaway copy of the network, so that
    oneDNN's kernel generation and the thread pools' start, paid once per
    process, stay out of PyTorch's time: its best, as the throughput runner
    gives it."""
    opt = torch.optim.Adam(net.parameters())
    for _ in range(3):
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x), y).backward()
        opt.step()
    accuracy(net, x, y)


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
    ap.add_argument("--serve", action="store_true", help="train an epoch per line read from stdin")
    a = ap.parse_args()
    with open(os.path.join(a.folder, "spec.json")) as f:
        spec = json.load(f)
    if (spec["Model"], spec["Optimizer"], spec["Init"]) != ("lenet", "adam", "default") or \
            spec["Schedule"] not in ("cosine", "onecycle", "none"):
        sys.exit(f"time_to.py runs lenet/adam/default with cosine, onecycle or none only, the spec asks for {spec}")
    torch.set_num_threads(a.threads)
    torch.manual_seed(spec["Seed"])
    shape = (spec["C"], spec["H"], spec["W"])
    x, y = load(a.folder, "train", spec["Train"], shape, spec["Mean"], spec["Std"])
    tx, ty = load(a.folder, "test", spec["Test"], shape, spec["Mean"], spec["Std"])
    net = network(spec)
    opt = torch.optim.Adam(net.parameters(), lr=spec["LR"])
    loss_fn = nn.CrossEntropyLoss()
    warm_up(network(spec), x[:spec["Batch"]], y[:spec["Batch"]], loss_fn)
    batch, trained = spec["Batch"], 0.0
    end = len(x) - 1 if spec["DropLast"] else len(x)
    sched, per_batch = schedule(spec, opt, len(range(0, end, batch)))
    if a.serve:
        print(json.dumps({"ready": True, "allocator": allocator()}), flush=True)
    for epoch in range(1, spec["Epochs"] + 1):
        if a.serve and not sys.stdin.readline():
            break
        start = time.perf_counter()
        order = torch.randperm(len(x))
        for i in range(0, end, batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
            if per_batch:
                sched.step()
        if sched is not None and not per_batch:
            sched.step()
        trained += time.perf_counter() - start
        acc = accuracy(net, tx, ty)
        print(json.dumps({"epoch": epoch, "seconds": trained, "accuracy": acc}), flush=True)
        if 100 * acc >= spec["Target"]:
            break


if __name__ == "__main__":
    main()
