#!/usr/bin/python3
"""Writes the decoding fixtures of data's TestDecodeMatchesPillow: small images in
every format and pixel mode the data package reads, each beside what Pillow's
Image.open(f).convert("RGB") (NAME.rgb, H×W×3 bytes) and convert("L") (NAME.l)
give, which is what torchvision's loaders hand to a model.

Run from this folder with Debian's Python: /usr/bin/python3 gen_pil.py
"""
import struct
import zlib

from PIL import Image

W, H = 7, 5


def pattern(mode, seed):
    bands = len(Image.new(mode, (1, 1)).getbands())
    im = Image.new(mode, (W, H))
    px = []
    for y in range(H):
        for x in range(W):
            px.append(tuple((x * 37 + y * 91 + seed * 13 * (k + 1) + k * 70) % 256 for k in range(bands)))
    im.putdata(px if bands > 1 else [p[0] for p in px])
    return im


def smooth_rgb():
    im = Image.new("RGB", (W, H))
    im.putdata([(40 + 20 * x, 60 + 25 * y, 200 - 10 * x - 5 * y) for y in range(H) for x in range(W)])
    return im


def png16(path, color_type, channels):
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit colour)."""
    raw = b""
    for y in range(H):
        raw += b"\x00"
        for x in range(W):
            for k in range(channels):
                raw += struct.pack(">H", (x * 9001 + y * 5003 + k * 17011) % 65536)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", W, H, 16, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def gray16():
    im = Image.new("I;16", (W, H))
    # Values below and above 255: Pillow clips the latter when converting.
    im.putdata([(x * 60 + y * 20) if (x + y) % 2 else (x * 9001 + y * 5003) for y in range(H) for x in range(W)])
    return im


def palette(transparent):
    im = pattern("L", 3).convert("P")
    im.putpalette([(i * 7 + k * 50) % 256 for i in range(256) for k in range(3)])
    if transparent:
        im.info["transparency"] = 5
    return im


fixtures = {
    "gray.png": lambda p: pattern("L", 1).save(p),
    "gray_alpha.png": lambda p: pattern("LA", 2).save(p),
    "rgb.png": lambda p: pattern("RGB", 3).save(p),
    "rgba.png": lambda p: pattern("RGBA", 4).save(p),
    "palette.png": lambda p: palette(False).save(p),
    "palette_transparent.png": lambda p: palette(True).save(p, transparency=5),
    "bilevel.png": lambda p: pattern("L", 5).convert("1").save(p),
    "gray16.png": lambda p: gray16().save(p),
    "rgb16.png": lambda p: png16(p, 2, 3),
    "rgba16.png": lambda p: png16(p, 6, 4),
    "rgb.jpg": lambda p: smooth_rgb().save(p, quality=95, subsampling=0),
    "gray.jpg": lambda p: smooth_rgb().convert("L").save(p, quality=95),
    "cmyk.jpg": lambda p: smooth_rgb().convert("CMYK").save(p, quality=95),
    "palette.gif": lambda p: palette(False).save(p),
    "rgb.bmp": lambda p: pattern("RGB", 6).save(p),
    "gray.bmp": lambda p: pattern("L", 7).save(p),
    "palette.bmp": lambda p: palette(False).save(p),
    "rgb.tiff": lambda p: pattern("RGB", 8).save(p),
    "gray.tiff": lambda p: pattern("L", 9).save(p),
    "gray16.tiff": lambda p: gray16().save(p),
    "rgba.tiff": lambda p: pattern("RGBA", 11).save(p),
    "rgb_lossless.webp": lambda p: pattern("RGB", 12).save(p, lossless=True),
    "rgba_lossless.webp": lambda p: pattern("RGBA", 13).save(p, lossless=True),
    # Grey content: libwebp upsamples chroma with a filter, Go's decoder by
    # repetition, so only luma can be compared closely.
    "rgb_lossy.webp": lambda p: smooth_rgb().convert("L").convert("RGB").save(p, quality=100),
}

for name, write in fixtures.items():
    write(name)
    with Image.open(name) as im:
        stem = name.replace(".", "_")
        open(stem + ".rgb", "wb").write(im.convert("RGB").tobytes())
        open(stem + ".l", "wb").write(im.convert("L").tobytes())
        print(name, im.mode, im.size)
