"""Saves a real-size torchvision model with random weights by torch.save and
writes its evaluation-mode logits on a random batch, for weights'
TestRealSizeTorchvision. Usage: torchvision_reference.py ARCH OUT_DIR
(writes OUT_DIR/model.pth and OUT_DIR/reference.json)."""
import json
import os
import sys

import torch
import torchvision

arch, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
model = getattr(torchvision.models, arch)()
for m in model.modules():  # running statistics other than the initial 0 and 1
    if isinstance(m, torch.nn.BatchNorm2d):
        m.running_mean.uniform_(-0.1, 0.1)
        m.running_var.uniform_(0.8, 1.2)
        m.weight.data.uniform_(0.8, 1.2)
        m.bias.data.uniform_(-0.1, 0.1)
model.eval()
torch.save(model.state_dict(), os.path.join(out, "model.pth"))
x = torch.randn(2, 3, 224, 224)
with torch.no_grad():
    logits = model(x)
with open(os.path.join(out, "reference.json"), "w") as f:
    json.dump({"input": x.flatten().tolist(), "logits": logits.flatten().tolist(), "classes": logits.shape[1]}, f)
