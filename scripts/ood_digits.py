#!/usr/bin/env python3
"""Writes an out-of-distribution check set for the multiscript models: DIR/english/*.png from MNIST
test digits (Chars74K's English set contains the digits) and DIR/kannada/*.png from Dig-MNIST
(Kannada digits by other volunteers), written dark on light as a scan would give.
Usage: scripts/ood_digits.py DIR [N per class, default 500]
Then:  pipe evaluate multiscript/best DIR --format json"""
import gzip, os, random, struct, sys, zlib

here = os.path.dirname(os.path.abspath(__file__))
SOURCES = [("english", "../data/mnist/t10k-images-idx3-ubyte.gz"),
           ("kannada", "../data/kannada_mnist/dig-mnist-images-idx3-ubyte.gz")]


def write_png(path, rows):
    h, w = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    out = sys.argv[1]
    per_class = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    rng = random.Random(1)
    for label, rel in SOURCES:
        data = gzip.open(os.path.join(here, rel)).read()
        n, rows, cols = struct.unpack(">III", data[4:16])
        pixels = data[16:]
        os.makedirs(os.path.join(out, label), exist_ok=True)
        for k, i in enumerate(rng.sample(range(n), per_class)):
            img = pixels[i * rows * cols:(i + 1) * rows * cols]
            write_png(os.path.join(out, label, f"{k:04d}.png"),
                      [[255 - img[r * cols + c] for c in range(cols)] for r in range(rows)])


if __name__ == "__main__":
    main()
