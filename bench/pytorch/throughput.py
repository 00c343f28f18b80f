#!/usr/bin/env python3
"""Training throughput of Descent's benchmark networks in PyTorch eager mode.

Run by hand, it prints one JSON object per cell on stdout:
  {"model", "optimizer", "normalization", "device", "batch", "images_per_sec", "repeats", ...}
Descent's bench package runs it with --serve, one process per PyTorch
configuration, and times Descent and PyTorch in turns (see bench/compare.go).
The networks mirror Descent's model zoo (layers.MLP, layers.LeNet, layers.ResNet):
same shapes, same layers, PyTorch's default initialization; resnet18, resnet50
and mobilenet_v2 are torchvision's (layers.Torchvision on Descent's side).
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openblas  # noqa: E402

openblas.use_best_core()
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def mlp(batch_norm, classes=10, depth=2, width=256, inputs=784):
    layers = [nn.Flatten()]
    n = inputs
    for _ in range(depth):
        layers.append(nn.Linear(n, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        n = width
    layers.append(nn.Linear(n, classes))
    return nn.Sequential(*layers)


def lenet(batch_norm, classes=10, filters=(32, 64), hidden=128, side=28):
    """Descent's layers.LeNet: two 5x5 convolutions with 2x2 max pooling, a
    hidden linear layer, dropout; batch norm after each but the last layer."""
    bias = not batch_norm
    f1, f2 = filters
    pooled = ((side - 4) // 2 - 4) // 2
    layers = [nn.Conv2d(1, f1, 5, bias=bias)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(f1))
    layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(f1, f2, 5, bias=bias)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(f2))
    layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(f2 * pooled * pooled, hidden, bias=bias)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(hidden))
    layers += [nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, classes)]
    return nn.Sequential(*layers)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.downsample is None else self.downsample(x)
        return torch.relu(y + s)


def resnet(batch_norm, classes=10, width=16, blocks=1):
    layers = [nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    cin = width
    for stage in range(3):
        cout = width << stage
        for b in range(blocks):
            layers.append(Block(cin, cout, 2 if stage > 0 and b == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def torchvision_model(name):
    """torchvision's own network (1000 classes, batch norm always)."""
    def build(batch_norm):
        import torchvision
        return getattr(torchvision.models, name)()
    return build


MODELS = {"mlp": (mlp, (1, 28, 28)), "lenet": (lenet, (1, 28, 28)), "resnet": (resnet, (3, 32, 32)),
          "resnet18": (torchvision_model("resnet18"), (3, 224, 224)),
          "resnet50": (torchvision_model("resnet50"), (3, 224, 224)),
          "mobilenet_v2": (torchvision_model("mobilenet_v2"), (3, 224, 224))}

OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.01),
    "adadelta": lambda p: torch.optim.Adadelta(p),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.001),
    "adam": lambda p: torch.optim.Adam(p, lr=0.001),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.001),
}


def make_step(model_name, opt_name, norm, device, batch):
    """Builds one cell and returns its training step."""
    build, shape = MODELS[model_name]
    torch.manual_seed(0)
    net = build(norm == "batch").to(device).train()
    opt = OPTIMIZERS[opt_name](net.parameters())
    x = torch.rand(batch, *shape, device=device)
    if norm != "none":  # input normalization happens on the host before the step
        x = (x - 0.5) / 0.25
    y = torch.randint(0, 10, (batch,), device=device)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def time_repeat(step, device, batch, steps):
    """Images/s of steps training steps."""
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    loss.item()
    if device == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t0)


def allocator():
    """The malloc this process runs on: "tcmalloc" or "jemalloc" when one is
    loaded (preloaded by the runner), else "glibc"."""
    with open("/proc/self/maps") as f:
        maps = f.read()
    for name in ("tcmalloc", "jemalloc"):
        if "lib" + name in maps:
            return name
    return "glibc"


def config(device):
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas_threads": openblas.threads(),
            "blas_core": openblas.core_name(), "allocator": allocator(),
            "tf32": torch.backends.cudnn.allow_tf32 and device == "cuda"}


def measure(model_name, opt_name, norm, device, batch, steps, warmup, repeats):
    step = make_step(model_name, opt_name, norm, device, batch)
    for _ in range(warmup):
        step()
    rates = [time_repeat(step, device, batch, steps) for _ in range(repeats)]
    return {"model": model_name, "optimizer": opt_name, "normalization": norm, "device": device,
            "batch": batch, "images_per_sec": statistics.median(rates), "repeats": rates, **config(device)}


def serve(model_name, opt_name, norm, device, batch, steps, warmup):
    """Interleaving mode for Descent's runner: after the warm-up, prints a
    "ready" line, then times one repeat per line read from stdin ("repeat N":
    N untimed steps first, to settle after the wait), printing its images/s,
    until stdin closes. The caller times Descent between repeats."""
    step = make_step(model_name, opt_name, norm, device, batch)
    for _ in range(warmup):
        step()
    print(json.dumps({"ready": True, **config(device)}), flush=True)
    for line in sys.stdin:
        words = line.split()
        for _ in range(int(words[1]) if len(words) > 1 else 0):
            step()
        print(json.dumps({"images_per_sec": time_repeat(step, device, batch, steps)}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", default="mlp,lenet")
    ap.add_argument("--optimizers", default="adam")
    ap.add_argument("--norms", default="none")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: all cores)")
    ap.add_argument("--serve", action="store_true", help="time one repeat of the single cell per stdin line")
    ap.add_argument("--tf32", action="store_true", help="CUDA: matrix products and convolutions in TF32")
    a = ap.parse_args()
    # On the GPU PyTorch converts convolutions to TF32 by default, matrix
    # products not; Descent runs both in true float32 unless told otherwise, so
    # the precision is set explicitly on both sides. cuDNN may pick its fastest
    # algorithm for the fixed shapes (its best, as Descent's graphs are).
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cudnn.benchmark = True
    torch.set_num_threads(a.threads if a.threads > 0 else os.cpu_count())
    # Subnormal floats slow x86 arithmetic by microcode assists: Adam's second
    # moments decay into them after some thousand steps (the MLP's repeats here
    # fell from 52,000 to 35,000 images/s). Descent flushes its optimizer state
    # to zero; PyTorch's switch flushes everything, its fastest setting.
    torch.set_flush_denormal(True)
    # Give PyTorch its best: in Debian's build a process that has run no oneDNN
    # primitive yet trains the MLP about 4x slower (measured here: 10k against
    # 41k images/s), so one small convolution runs first.
    torch.nn.functional.conv2d(torch.rand(64, 1, 28, 28), torch.rand(4, 1, 5, 5))
    if a.serve:
        serve(a.models, a.optimizers, a.norms, a.device, a.batch, a.steps, a.warmup)
        return
    for m in a.models.split(","):
        for o in a.optimizers.split(","):
            for n in a.norms.split(","):
                print(json.dumps(measure(m, o, n, a.device, a.batch, a.steps, a.warmup, a.repeats)), flush=True)


if __name__ == "__main__":
    main()
