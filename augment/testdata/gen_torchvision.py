#!/usr/bin/env python3
"""Writes torchvision/*.json: reference cases for augment's transforms beyond the
project's golden set (bilinear rotation, resizing, crops, the photometric operations),
in the format of testdata/golden/FORMAT.md ("augment"), computed with torchvision 0.14
on uint8 tensors. Run from this folder: python3 gen_torchvision.py"""
import json
import math
import os

import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

g = torch.Generator().manual_seed(2024)


def image(c, h, w):
    return torch.randint(0, 256, (c, h, w), generator=g, dtype=torch.uint8)


def tensor(t):
    return {"shape": list(t.shape), "data": t.flatten().tolist()}


def write(name, op, attrs, x, y, max_mismatch):
    case = {"kind": "augment", "name": name, "op": op, "attrs": attrs,
            "input": tensor(x), "output": tensor(y), "max_mismatch_fraction": max_mismatch}
    with open(os.path.join("torchvision", name + ".json"), "w") as f:
        json.dump(case, f)


rotate_meaning = "counter-clockwise about the image centre, output same size; bilinear blends with fill by the in-bounds weight"
for i, (shape, deg) in enumerate([((3, 9, 11), 27.5), ((1, 10, 7), -63.0), ((3, 8, 8), 90.0)]):
    x = image(*shape)
    y = F.rotate(x, deg, interpolation=InterpolationMode.BILINEAR, fill=31)
    write(f"rotate_bilinear_{i}", "rotate",
          {"degrees": deg, "interpolation": "bilinear", "fill": 31, "meaning": rotate_meaning}, x, y, 0.01)

for i, (shape, size) in enumerate([((3, 9, 11), (5, 6)), ((1, 6, 7), (13, 15)), ((3, 12, 5), (7, 9))]):
    x = image(*shape)
    y = F.resize(x, list(size), interpolation=InterpolationMode.BILINEAR, antialias=True)
    write(f"resize_{i}", "resize",
          {"height": size[0], "width": size[1], "meaning": "bilinear, antialiased when shrinking (antialias=True)"}, x, y, 0.01)

for i, (shape, size) in enumerate([((3, 9, 11), (4, 6)), ((1, 7, 6), (10, 9))]):
    x = image(*shape)
    write(f"center_crop_{i}", "center_crop",
          {"height": size[0], "width": size[1], "meaning": "central window; a larger window pads with 0"}, x, F.center_crop(x, list(size)), 0.0)

for i, (shape, factor) in enumerate([((3, 6, 7), 0.35), ((1, 5, 8), 1.6)]):
    x = image(*shape)
    write(f"brightness_{i}", "brightness", {"factor": factor, "meaning": "factor*p, clamped, truncated"},
          x, F.adjust_brightness(x, factor), 0.0)
    x = image(*shape)
    write(f"contrast_{i}", "contrast", {"factor": factor, "meaning": "blend with the mean grey level, clamped, truncated"},
          x, F.adjust_contrast(x, factor), 0.0)

# ImageNet-style geometry, in the ops and attributes of the project's golden set:
# shorter-side resizing (both orientations, shrinking and enlarging) and boxes
# resized up and down, as RandomResizedCrop and the evaluation transform use them.
for i, (shape, size) in enumerate([((3, 40, 23), 17), ((3, 19, 45), 30), ((1, 31, 31), 12)]):
    x = image(*shape)
    y = F.resize(x, size, interpolation=InterpolationMode.BILINEAR, antialias=True)
    write(f"resize_shorter_{i}", "resize",
          {"size": size, "interpolation": "bilinear", "antialias": True, "meaning": "shorter side to size"}, x, y, 0.01)

for i, (shape, b, size) in enumerate([((3, 41, 37), (3, 7, 30, 22), (16, 16)),
                                       ((3, 20, 24), (4, 2, 9, 13), (25, 21)),
                                       ((1, 30, 30), (0, 0, 30, 30), (11, 13))]):
    x = image(*shape)
    y = F.resized_crop(x, *b, list(size), interpolation=InterpolationMode.BILINEAR, antialias=True)
    write(f"resized_crop_{i}", "resized_crop",
          {"top": b[0], "left": b[1], "height": b[2], "width": b[3], "size": list(size),
           "interpolation": "bilinear", "antialias": True, "meaning": "crop the box, then resize it"}, x, y, 0.01)


def low_contrast(c, h, w):
    """A smooth image with noise, its values in a narrow band per channel, so that
    histogram and range operations have work to do."""
    ys = torch.linspace(0, 1, h).view(1, h, 1)
    xs = torch.linspace(0, 1, w).view(1, 1, w)
    base = 40 * ys + 25 * xs + torch.arange(c).view(c, 1, 1) * 30 + 60
    noise = torch.randint(-6, 7, (c, h, w), generator=g)
    return (base + noise).clamp(0, 255).to(torch.uint8)


# The photometric operations of RandAugment and TrivialAugment, on random and on
# low-contrast images, with the edge cases of each (grey images, constant channels,
# histograms too flat to equalize, factors beyond 1, fractional thresholds).
exact = "bit-exact with torchvision on uint8 tensors"
photometric = [
    ("saturation", "adjust_saturation", lambda x, a: F.adjust_saturation(x, a["factor"]), [{"factor": 0.0}, {"factor": 0.45}, {"factor": 1.99}]),
    ("sharpness", "adjust_sharpness", lambda x, a: F.adjust_sharpness(x, a["factor"]), [{"factor": 0.0}, {"factor": 0.3}, {"factor": 1.9}]),
    ("posterize", "posterize", lambda x, a: F.posterize(x, a["bits"]), [{"bits": 0}, {"bits": 1}, {"bits": 6}, {"bits": 8}]),
    ("solarize", "solarize", lambda x, a: F.solarize(x, a["threshold"]), [{"threshold": 0.0}, {"threshold": 246.5}, {"threshold": 93.5}]),
    ("autocontrast", "autocontrast", lambda x, a: F.autocontrast(x), [{}]),
    ("equalize", "equalize", lambda x, a: F.equalize(x), [{}]),
    ("invert", "invert", lambda x, a: F.invert(x), [{}]),
    ("brightness_wide", "adjust_brightness", lambda x, a: F.adjust_brightness(x, a["factor"]), [{"factor": 0.01}, {"factor": 1.99}]),
    ("contrast_wide", "adjust_contrast", lambda x, a: F.adjust_contrast(x, a["factor"]), [{"factor": 0.01}, {"factor": 1.99}]),
]
for name, op, f, attr_list in photometric:
    for i, attrs in enumerate(attr_list):
        for kind, x in [("random", image(3, 13, 17)), ("smooth", low_contrast(3, 21, 19)), ("grey", low_contrast(1, 9, 12))]:
            attrs = dict(attrs, meaning=exact)
            write(f"{name}_{i}_{kind}", op, attrs, x, f(x, attrs), 0.0)
# Constant channels (autocontrast leaves them, equalize too) and a tiny image whose
# histogram is too flat to equalize.
x = low_contrast(3, 8, 8)
x[1] = 77
write("autocontrast_constant", "autocontrast", {"meaning": exact}, x, F.autocontrast(x), 0.0)
write("equalize_constant", "equalize", {"meaning": exact}, x, F.equalize(x), 0.0)
x = image(3, 5, 6)
write("equalize_flat", "equalize", {"meaning": exact}, x, F.equalize(x), 0.0)

# Affine transforms: RandAugment's shears (about the corner (0, 0)) and
# translations, and general combinations about the centre or another point.
affine_meaning = "F.affine: shear, scale, clockwise rotation, translation about the centre (or center)"
affines = [
    ((3, 17, 23), dict(angle=0.0, translate=[0, 0], scale=1.0, shear=[math.degrees(math.atan(0.3)), 0.0], center=[0, 0]), "nearest"),
    ((3, 17, 23), dict(angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, math.degrees(math.atan(-0.27))], center=[0, 0]), "nearest"),
    ((3, 20, 14), dict(angle=0.0, translate=[0, 0], scale=1.0, shear=[math.degrees(math.atan(-0.99)), 0.0], center=[0, 0]), "bilinear"),
    ((3, 15, 19), dict(angle=0.0, translate=[-7, 0], scale=1.0, shear=[0.0, 0.0]), "nearest"),
    ((3, 15, 19), dict(angle=0.0, translate=[0, 5], scale=1.0, shear=[0.0, 0.0]), "bilinear"),
    ((3, 16, 21), dict(angle=17.0, translate=[2, -3], scale=1.2, shear=[10.0, -5.0]), "nearest"),
    ((1, 16, 21), dict(angle=-41.5, translate=[1.5, 0.25], scale=0.7, shear=[-20.0, 12.0]), "bilinear"),
    ((3, 12, 12), dict(angle=95.0, translate=[0, 0], scale=1.0, shear=[0.0, 0.0], center=[3, 8]), "nearest"),
]
for i, (shape, attrs, interp) in enumerate(affines):
    x = image(*shape)
    fill = 0 if interp == "nearest" else 19
    y = F.affine(x, interpolation=InterpolationMode(interp), fill=[float(fill)] * shape[0], **attrs)
    write(f"affine_{i}", "affine", dict(attrs, interpolation=interp, fill=fill, meaning=affine_meaning), x, y, 0.0)

# Nearest rotation at the angles RandAugment and TrivialAugment draw.
for i, (shape, deg) in enumerate([((3, 19, 25), 13.0), ((3, 24, 24), -135.0), ((1, 11, 30), 71.0)]):
    x = image(*shape)
    write(f"rotate_nearest_{i}", "rotate", {"degrees": deg, "interpolation": "nearest", "fill": 0, "meaning": rotate_meaning},
          x, F.rotate(x, deg, interpolation=InterpolationMode.NEAREST), 0.0)

# RandAugment's and TrivialAugmentWide's operations as their _apply_op applies
# them, at magnitudes of their tables, signed as they draw them (op "auto_op",
# attrs "name" and "magnitude"), with the default fill=None.
from torchvision.transforms import autoaugment

auto_meaning = "torchvision.transforms.autoaugment._apply_op(img, name, magnitude, interpolation, fill=None)"
for i, (name, magnitude, interp) in enumerate([
        ("Identity", 0.0, "nearest"), ("ShearX", 0.27, "nearest"), ("ShearX", -0.99, "nearest"),
        ("ShearY", -0.14, "nearest"), ("ShearY", 0.693, "nearest"),
        ("TranslateX", 13.594, "nearest"), ("TranslateX", -8.1, "nearest"), ("TranslateY", -30.9, "nearest"),
        ("TranslateY", 4.0, "bilinear"), ("Rotate", 27.0, "nearest"), ("Rotate", -121.5, "nearest"),
        ("Brightness", -0.9, "nearest"), ("Brightness", 0.627, "nearest"), ("Color", 0.59999996, "nearest"),
        ("Color", -0.33, "nearest"), ("Contrast", 0.99, "nearest"), ("Contrast", -0.54, "nearest"),
        ("Sharpness", 0.9, "nearest"), ("Sharpness", -0.825, "nearest"), ("Posterize", 5.0, "nearest"),
        ("Posterize", 2.0, "nearest"), ("Solarize", 246.5, "nearest"), ("Solarize", 59.5, "nearest"),
        ("AutoContrast", 0.0, "nearest"), ("Equalize", 0.0, "nearest"),
        ("ShearX", 0.3, "bilinear"), ("ShearY", -0.5, "bilinear"), ("Rotate", -30.0, "bilinear")]):
    x = low_contrast(3, 22, 27) if name in ("AutoContrast", "Equalize") else image(3, 22, 27)
    y = autoaugment._apply_op(x, name, magnitude, interpolation=InterpolationMode(interp), fill=None)
    write(f"auto_op_{i}_{name}", "auto_op", {"name": name, "magnitude": magnitude, "interpolation": interp,
                                             "meaning": auto_meaning}, x, y, 0.0)

# The operation tables (the "augmentation space") for several bin counts and
# image sizes, to pin down their float32 values.
spaces = []
for bins in (31, 10, 2):
    for size in ((224, 224), (37, 29), (32, 48)):
        space = autoaugment.RandAugment(num_magnitude_bins=bins)._augmentation_space(bins, size)
        spaces.append({"policy": "randaugment", "bins": bins, "height": size[0], "width": size[1],
                       "ops": [{"name": k, "signed": bool(s), "magnitudes": m.tolist() if m.ndim > 0 else []}
                               for k, (m, s) in space.items()]})
    space = autoaugment.TrivialAugmentWide(num_magnitude_bins=bins)._augmentation_space(bins)
    spaces.append({"policy": "trivialaugmentwide", "bins": bins,
                   "ops": [{"name": k, "signed": bool(s), "magnitudes": m.tolist() if m.ndim > 0 else []}
                           for k, (m, s) in space.items()]})
with open("augmentation_spaces.json", "w") as f:
    json.dump(spaces, f)

# The other forms of the attributes: a box resized by its shorter side, a rotation
# about another point, a fill given per channel.
x = image(3, 26, 21)
write("resized_crop_shorter", "resized_crop",
      {"top": 3, "left": 6, "height": 20, "width": 11, "size": 14, "interpolation": "bilinear", "antialias": True,
       "meaning": "crop the box, then resize its shorter side to size"},
      x, F.resized_crop(x, 3, 6, 20, 11, 14, interpolation=InterpolationMode.BILINEAR, antialias=True), 0.01)
x = image(3, 14, 17)
write("rotate_center", "rotate", {"degrees": 40.0, "interpolation": "bilinear", "fill": [7, 7, 7], "center": [2, 7],
                                  "meaning": rotate_meaning},
      x, F.rotate(x, 40.0, interpolation=InterpolationMode.BILINEAR, center=[2, 7], fill=[7.0, 7.0, 7.0]), 0.0)
