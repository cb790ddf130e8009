#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/seeds/<target>/: a handful of small, valid
inputs per parser, taken from data/, pipelines/ and experiments/ or built
here (standard library only).  Run from the repository root; the output is
committed, so this runs only when the seeds should change."""
import gzip, json, os, re, shutil, sqlite3, struct, zlib

OUT = "fuzz/seeds"


def put(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def png(width, height, color_type, bit_depth, rows, interlace=0, extra=b""):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    raw = b"".join(bytes([i % 5]) + r for i, r in enumerate(rows))  # every filter type
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def image_seeds():
    files = {"runes.png": "data/runes/isa/a37fbe46-7fd6-41d5-995a-649b5c7f6b7d.png",
             "english_rgb.png": "data/multiscript/english/img002-046.png",
             "chinese.jpg": "data/multiscript/chinese/input_58_3_11.jpg"}
    images = {k: open(v, "rb").read() for k, v in files.items()}
    w = h = 6
    images["gray16.png"] = png(w, h, 0, 16, [bytes((x * 40 + y) % 256 for x in range(2 * w)) for y in range(h)])
    images["rgba.png"] = png(w, h, 6, 8, [bytes((x * 9 + y * 3) % 256 for x in range(4 * w)) for y in range(h)])
    images["gray_alpha.png"] = png(w, h, 4, 8, [bytes((x * 20 + y) % 256 for x in range(2 * w)) for y in range(h)])
    images["palette.png"] = png(w, h, 3, 8, [bytes((x + y) % 2 for x in range(w)) for y in range(h)],
                                extra=b"\0\0\0\x06PLTE\0\0\0\xff\xff\xff" + struct.pack(">I", zlib.crc32(b"PLTE\0\0\0\xff\xff\xff")))
    images["interlaced.png"] = png(w, h, 0, 8, [bytes(range(y, y + w)) for y in range(h)], interlace=1)
    pixels = b"".join(bytes([(x * 30) % 256] * 3) for x in range(16))  # 4x4 BGR, rows padded to 4 bytes
    images["small.bmp"] = (b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54) +
                           struct.pack("<IiiHHIIiiII", 40, 4, 4, 1, 24, 0, len(pixels), 2835, 2835, 0, 0) + pixels)
    images["small.pgm"] = b"P5\n4 3\n255\n" + bytes(range(0, 240, 20))
    images["small.ppm"] = b"P6\n2 2\n255\n" + bytes(range(12))
    for i, (name, data) in enumerate(sorted(images.items())):
        put("image_decode", name, bytes([(i * 13) % 256]) + data)  # first byte: mode, max_side, clean preset


def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def idx_seeds():
    with gzip.open("data/mnist/t10k-images-idx3-ubyte.gz") as f:
        head = f.read(16 + 2 * 28 * 28)
    images = idx([2, 28, 28], head[16:])
    put("idx", "mnist2-images-idx3-ubyte", images)
    put("idx", "mnist2-images-idx3-ubyte.gz", gzip.compress(images, mtime=0))
    put("idx", "labels-idx1-ubyte", idx([2], [7, 2]))
    put("idx", "rgb-images-idx4", idx([1, 2, 2, 3], range(12)))


def safetensors(tensors, metadata=None):
    header, blob = {}, b""
    for name, (shape, values) in tensors.items():
        data = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + blob


def safetensors_seeds():
    put("safetensors", "dense.safetensors",
        safetensors({"fc.weight": ([2, 3], [0.5, -1, 2, 0, 1, 3]), "fc.bias": ([2], [0.1, 0.2])},
                    {"pipe.state": '{"epoch":3}', "pipe.metadata": "{}"}))
    put("safetensors", "scalar.safetensors", safetensors({"s": ([], [1.5]), "empty": ([0, 4], [])}))


def store_seed():
    schema = re.search(r'kSchema = R"SQL\((.*?)\)SQL"', open("engine/store.cc").read(), re.S).group(1)
    path = "/tmp/pipe-seed.db"
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA page_size = 512")
    db.executescript(schema)
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO runs VALUES('a1b2c3d4e5f6','demo','demo','','',1,-1,'p.yaml','done','',1.0,2.0,1,"
               "'{}','{\"host\":\"x\"}','pipe run p.yaml')")
    db.execute("INSERT INTO stage_runs VALUES('a1b2c3d4e5f6','train','train','k1','ran','new','',1.5,'h','i','s',0,"
               "'{\"epochs\":2}')")
    db.execute("INSERT INTO results VALUES('k1','train','{\"accuracy\":0.5}',1.5,2.0)")
    db.execute("INSERT INTO result_tables VALUES('k1','confusion','[[1,0],[0,1]]')")
    db.execute("INSERT INTO epochs VALUES('k1',1,'{\"epoch\":1,\"loss\":0.7}')")
    db.execute("INSERT INTO evaluations(run_id, source, created, result) VALUES('a1b2c3d4e5f6','d',3.0,'{\"n\":1}')")
    db.execute("INSERT INTO file_hashes VALUES('/nonexistent',1,2,'abc')")
    db.commit()
    db.execute("VACUUM")
    db.close()
    put("store_db", "pipe.db", open(path, "rb").read())
    os.remove(path)


def dataset_bin(classes, samples):
    meta, pixels = b"", b""
    for c in classes:
        meta += struct.pack("<I", len(c)) + c.encode()
    for label, h, w, c, path in samples:
        meta += struct.pack("<iiiiQ", label, h, w, c, len(pixels))
        for s in (path, "", ""):
            meta += struct.pack("<I", len(s)) + s.encode()
        pixels += bytes((i * 37) % 256 for i in range(h * w * c))
    pixels_offset = (64 + len(meta) + 63) // 64 * 64
    header = b"PIPEDSET" + struct.pack("<IIQIIQQQQ", 1, 64, len(samples), len(classes), 0, 64, len(meta),
                                       pixels_offset, len(pixels))
    return header + meta + b"\0" * (pixels_offset - 64 - len(meta)) + pixels


def dataset_seeds():
    put("dataset_file", "same_shape.bin", b"\0" + dataset_bin(["a", "b"], [(0, 3, 3, 1, "a/1.png"), (1, 3, 3, 1, "b/2.png")]))
    put("dataset_file", "mixed.bin", b"\0" + dataset_bin(["x"], [(0, 2, 4, 3, "x/1.png"), (0, 5, 1, 1, "x/2.png")]))
    recipe = {"version": 1, "decode": "gray", "max_side": 0, "clean_version": 4,
              "clean": [{"color": "gray", "invert": "auto", "crop": "content", "stroke": 2.0, "size": [28, 28]}]}
    put("dataset_file", "preprocess.json", b"\1" + json.dumps(recipe).encode())


def manifest_seeds():
    put("manifest", "basic.csv", "path,label\na.png,letter\ncat/b.png,cat\nmissing.png,x\n")
    put("manifest", "columns.csv", '\ufeffpath,label,group,split\r\n"cat/b.png",cat,w1,train\r\n"a, b.png",a,w2,test\r\n')
    put("manifest", "escape.csv", "path,label\n../outside.png,x\n")
    with open("data/multiscript/manifest.csv") as f:
        put("manifest", "multiscript_head.csv", "".join(f.readlines()[:6]))


def yaml_seeds():
    for folder in ("pipelines", "experiments"):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".yaml") and name in ("mnist.yaml", "multiscript.yaml"):
                shutil.copy(os.path.join(folder, name), os.path.join(OUT, "pipeline_yaml", folder + "_" + name))
    put("pipeline_yaml", "fake_pipeline.yaml",
        "name: demo\nseed: 3\nstages:\n  - id: a\n    kind: source\n    path: in.txt\n"
        "  - id: b\n    kind: append\n    input: a\n    suffix: '!'\n    also: [a]\n"
        "  - { id: f, kind: fork, input: b }\n  - { id: s, kind: score, input: f.left, epochs: 2 }\n")
    put("pipeline_yaml", "fake_experiment.yaml",
        "name: exp\npipeline: base.yaml\nvariants:\n  short: { s.epochs: 1 }\n  long: { s.epochs: 5, b.suffix: x }\n"
        "grid:\n  b.with_seed: [true, false]\nseeds: [1, 2]\n")
    put("pipeline_yaml", "anchors.yaml",
        "x: &a [1, 2]\nstages:\n  - &s { id: a, kind: source, path: in.txt }\n  - { id: b, kind: append, input: a, also: *a }\n")


def set_seeds():
    for i, s in enumerate(["s.epochs=3", "b.suffix='x y'", "b.also=[a, a]", "seed=7", "name=other",
                           "b.extra.deep=1", "f.input=b", "a.path={x: 1}", "s=3", "..=1"]):
        put("set_override", "set%d" % i, s)


if __name__ == "__main__":
    image_seeds(); idx_seeds(); safetensors_seeds(); store_seed(); dataset_seeds(); manifest_seeds(); yaml_seeds(); set_seeds()
