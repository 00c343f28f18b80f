"""Loads a .safetensors state_dict into torchvision's ARCH with
load_state_dict(strict=True), for weights' TestWriteSafetensorsLoadsInTorchvision.
Usage: strict_load.py FILE ARCH WIDTH_MULT CLASSES (MobileNetV2 only: the
ResNets of the tests have a base width torchvision does not take)."""
import json
import struct
import sys

import numpy as np
import torch
import torchvision

path, arch, width, classes = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
state = {}
for name, info in header.items():
    if name == "__metadata__":
        continue
    start, end = info["data_offsets"]
    dtype = {"F32": np.float32, "I64": np.int64}[info["dtype"]]
    state[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype=dtype).copy().reshape(info["shape"]))
model = getattr(torchvision.models, arch)(width_mult=width, num_classes=classes)
model.load_state_dict(state, strict=True)
print("loaded", len(state), "tensors")
