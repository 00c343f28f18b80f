"""Reference predictions for cmd/train's predict tests, with torchvision 0.14.

  predict_reference.py save OUT.pth SEED
      torch.save()s the state_dict of a real-size torchvision resnet18() with
      random weights (seeded; fc scaled so that the classes' probabilities
      differ more than a near-uniform softmax would).
  predict_reference.py predict ARCH WEIGHTS CLASSES RESIZE CROP MEAN STD IMAGE...
      loads WEIGHTS (.pth, or .safetensors read here: the image has no
      safetensors module) strictly into torchvision's ARCH(num_classes=CLASSES),
      applies the evaluation transform (PIL's convert("RGB"), Resize(RESIZE,
      antialias=True) of the uint8 tensor, CenterCrop(CROP), /255, Normalize
      with the comma-separated MEAN and STD) and prints one JSON line per
      image: the top-5 indices and probabilities.
"""
import json
import struct
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    sd = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        data = bytearray(body[begin:end])
        sd[name] = torch.frombuffer(data, dtype=DTYPES[t["dtype"]]).reshape(t["shape"]).clone()
    return sd


def main():
    if sys.argv[1] == "save":
        torch.manual_seed(int(sys.argv[3]))
        m = torchvision.models.resnet18()
        with torch.no_grad():
            m.fc.weight.mul_(20)
        torch.save(m.state_dict(), sys.argv[2])
        return
    arch, weights, classes, resize, crop, mean, std = sys.argv[2:9]
    images = sys.argv[9:]
    m = getattr(torchvision.models, arch)(num_classes=int(classes))
    sd = read_safetensors(weights) if weights.endswith(".safetensors") else torch.load(weights)
    m.load_state_dict(sd, strict=True)
    m.eval()
    mean = [float(v) for v in mean.split(",")]
    std = [float(v) for v in std.split(",")]
    for path in images:
        img = Image.open(path).convert("RGB")
        x = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)
        x = T.CenterCrop(int(crop))(T.Resize(int(resize), antialias=True)(x))
        x = T.Normalize(mean, std)(x.float() / 255)
        with torch.no_grad():
            p = torch.softmax(m(x[None].double().float()), dim=1)[0].double()
        top = torch.topk(p, min(5, p.numel()))
        print(json.dumps({"file": path, "index": top.indices.tolist(), "prob": top.values.tolist()}))


if __name__ == "__main__":
    main()
