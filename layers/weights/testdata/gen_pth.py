"""Writes the small .pth files of weights' tests with torch.save (PyTorch's zip
format). Run with Debian's python3-torch 1.13:
    /usr/bin/python3 layers/weights/testdata/gen_pth.py
"""
import os

import torch

here = os.path.dirname(os.path.abspath(__file__))


def save(obj, name):
    torch.save(obj, os.path.join(here, name))


base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
save({
    "transposed": base.t(),                      # strides (1, 4)
    "row": base[1],                              # storage offset 4 into a shared storage
    "double": torch.tensor([0.1, -2.5], dtype=torch.float64),
    "half": torch.tensor([1.5, -0.25, 65504], dtype=torch.float16),
    "count": torch.tensor(7),                    # a 0-d int64, like num_batches_tracked
}, "layouts.pth")
save({"conv1.weight": 3}, "not_a_tensor.pth")
save([torch.zeros(2)], "list.pth")
save(torch.nn.Linear(2, 3), "module.pth")
