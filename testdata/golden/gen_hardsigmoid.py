"""Writes layers/hardsigmoid.json, a golden "layer" case in the format of the
shared set (FORMAT.md), which has none for hardsigmoid. Run with Debian's
python3-torch 1.13: /usr/bin/python3 testdata/golden/gen_hardsigmoid.py"""
import json
import os

import torch

torch.manual_seed(13)
x = (torch.randn(3, 4, 5, 5, dtype=torch.float64) * 4).requires_grad_()
y = torch.nn.functional.hardsigmoid(x)
dy = torch.randn_like(y)
y.backward(dy)


def t(v):
    return {"shape": list(v.shape), "data": v.detach().flatten().tolist()}


case = {
    "kind": "layer", "name": "hardsigmoid", "op": "hardsigmoid",
    "attrs": {"meaning": "torch.nn.functional.hardsigmoid (PyTorch's definition)"},
    "inputs": {"x": t(x)}, "outputs": {"y": t(y)},
    "grad_outputs": {"y": t(dy)}, "grad_inputs": {"x": t(x.grad)},
    "rtol": 1e-9, "atol": 1e-10,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers", "hardsigmoid.json")
with open(out, "w") as f:
    json.dump(case, f)
