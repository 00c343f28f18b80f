#!/usr/bin/env python3
"""GFLOP/s of the convolution benchmark shapes in PyTorch (oneDNN on the CPU).

Times the shapes of kernels/testdata/conv_bench_shapes.json, the ones
`go test -run '^$' -bench ConvShapes ./kernels` times in Descent: the forward
pass, the gradient with respect to the input (backward_data) and with respect
to the weights (backward_filter), each by autograd with only that gradient
asked for, through a graph built once, so that PyTorch runs just that
primitive. Every shape and
pass is timed with each intra-op thread count given and the best is kept, as
PyTorch's speed on a few cores depends on it. Prints a markdown table: the
median GFLOP/s (2·N·K·(C/groups)·R·S·OutH·OutW per pass; groups, absent
meaning 1, splits the channels as in Conv2d) of the repeats and, in
parentheses, the thread count that gave it; glibc keeps freed memory for the
next pass, as in the throughput runner's fastest configurations. With
--descent, the output of
Descent's benchmark (a file, or - for stdin) joins the table, with the ratio:

  go test -run '^$' -bench ConvShapes -count 3 ./kernels | /usr/bin/python3 bench/pytorch/conv.py --descent -
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

# PyTorch at its best (bench.GlibcKeep, Go side): every pass allocates its
# output, and with glibc's defaults a large block freed goes back to the
# kernel, so the next pass faults its pages in again; the process runs
# itself again with glibc keeping freed memory, unless the caller chose.
if "MALLOC_MMAP_THRESHOLD_" not in os.environ and "LD_PRELOAD" not in os.environ:
    os.environ["MALLOC_MMAP_THRESHOLD_"] = os.environ["MALLOC_TRIM_THRESHOLD_"] = str(1 << 30)
    os.execv(sys.executable, [sys.executable] + sys.argv)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openblas  # noqa: E402

openblas.use_best_core()
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SHAPES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "kernels", "testdata", "conv_bench_shapes.json")


def passes(s):
    """The three passes of shape s, each a function to time."""
    torch.manual_seed(0)
    x = torch.rand(s["n"], s["c"], s["h"], s["w"])
    groups = s.get("groups") or 1
    w = torch.rand(s["k"], s["c"] // groups, s["r"], s["s"])
    conv = lambda x, w: F.conv2d(x, w, stride=s["stride"], padding=s["pad"], groups=groups)
    y = conv(x, w)
    dy = torch.rand_like(y)
    # Each backward runs through a graph built once and kept, so that only
    # the backward primitive is timed.
    xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()
    y_data, y_filter = conv(xg, w), conv(x, wg)

    def forward():
        with torch.no_grad():
            conv(x, w)

    def backward_data():
        torch.autograd.grad(y_data, xg, dy, retain_graph=True)

    def backward_filter():
        torch.autograd.grad(y_filter, wg, dy, retain_graph=True)

    flops = 2 * y.numel() * (s["c"] // groups) * s["r"] * s["s"]
    return flops, {"forward": forward, "backward_data": backward_data, "backward_filter": backward_filter}


def seconds(fn, repeats, min_time):
    """Median seconds per call over repeats, each of enough calls for min_time."""
    fn()
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        calls *= 2
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def descent_figures(path):
    """Median GFLOP/s per (shape, pass) in `go test -bench ConvShapes` output."""
    runs = {}
    with (sys.stdin if path == "-" else open(path)) as f:
        for line in f:
            m = re.match(r"BenchmarkConvShapes/([^/\s]+)/([a-z_]+)(?:-\d+)?\s.*?([\d.]+) GFLOP/s", line)
            if m:
                runs.setdefault((m.group(1), m.group(2)), []).append(float(m.group(3)))
    return {k: statistics.median(v) for k, v in runs.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,2", help="intra-op thread counts to try")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per timed repeat at least")
    ap.add_argument("--descent", help="Descent's benchmark output to compare with (- for stdin)")
    a = ap.parse_args()
    with open(SHAPES) as f:
        shapes = json.load(f)
    descent = descent_figures(a.descent) if a.descent else None
    if descent is not None:
        print("| shape | pass | Descent GFLOP/s | PyTorch GFLOP/s (threads) | Descent / PyTorch |")
        print("| --- | --- | ---: | ---: | ---: |")
    else:
        print("| shape | pass | PyTorch GFLOP/s (threads) |")
        print("| --- | --- | ---: |")
    for s in shapes:
        flops, fns = passes(s)
        best = {}
        for threads in [int(t) for t in a.threads.split(",")]:
            torch.set_num_threads(threads)
            for name, fn in fns.items():
                t = seconds(fn, a.repeats, a.min_time)
                if name not in best or t < best[name][0]:
                    best[name] = (t, threads)
        for name in fns:
            t, threads = best[name]
            torch_gflops = flops / t / 1e9
            if descent is None:
                print(f"| {s['name']} | {name} | {torch_gflops:.1f} ({threads}) |", flush=True)
                continue
            d = descent.get((s["name"], name))
            if d is None:
                sys.exit(f"no Descent figure for {s['name']}/{name} in {a.descent}")
            print(f"| {s['name']} | {name} | {d:.1f} | {torch_gflops:.1f} ({threads}) | {d / torch_gflops:.2f}× |", flush=True)
    print(f"\nPyTorch {torch.__version__}, {os.cpu_count()} cores, best of intra-op threads {a.threads}.")


if __name__ == "__main__":
    main()
