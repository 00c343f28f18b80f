"""Writes torchvision_keys.json: the state_dict keys and shapes of torchvision's
classifiers, for layers' topology test (TestTorchvisionNames).

Run with Debian's python3-torch / python3-torchvision (1.13 / 0.14):
    /usr/bin/python3 layers/testdata/gen_torchvision_keys.py
"""
import json
import os

import torchvision

models = []
for arch in ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]:
    models.append((arch, 64, getattr(torchvision.models, arch)(num_classes=10)))
for mult in [1.0, 0.5, 0.35]:
    models.append(("mobilenet_v2", mult, torchvision.models.mobilenet_v2(width_mult=mult, num_classes=10)))

cases = []
for arch, width, model in models:
    keys = [[name, list(t.shape)] for name, t in model.state_dict().items()]
    cases.append({"architecture": arch, "width": width, "num_classes": 10, "keys": keys})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torchvision_keys.json")
with open(out, "w") as f:
    json.dump(cases, f, separators=(",", ":"))
