#!/usr/bin/python3
"""The reference side of `make bench`: the benchmark models in PyTorch, timed like pipe's nn_bench.

Usage: /usr/bin/python3 bench/torch_reference.py --threads N [--channels-last] [--quick] [CASE ...]
Cases: cnn_train_epoch cnn_infer mlp_train_epoch rnn_train_epoch hiero_train_epoch eng_train_step
       (default: all). Prints one JSON object a line:
  {"case": ..., "value": ..., "unit": "s" | "img/s", "threads": N, ...details}
When torch cannot be imported it prints {"case": ..., "value": null, ...} for each case.

Models (the multiscript MLP / SimpleRNN / CNN, the hieroglyph CNN and the English-characters
CNN, as in ../shared/bench/torch_bench.py) and methodology:
- data is random, of the model's input shape; labels uniform over the classes
- *_train_epoch: 17,556 images (hiero: 1,060) in shuffled batches of 128 (hiero: 64), the last
  batch partial; Adam(lr 1e-3), softmax cross-entropy, float32, model.train(); one warm-up
  epoch, then the median of --reps timed epochs
- cnn_infer: model.eval() + inference_mode, batch 256 over the 17,556 images; one warm-up pass,
  median of --reps; reported as a rate
- eng_train_step: one training step of batch 32 at 1x224x224; two warm-up steps, median of
  --steps timed steps
The tuned setup (OpenBLAS, malloc tunables) comes from the environment bench/run.sh sets;
--channels-last is its third part, for the CNNs.
"""
import argparse
import json
import os
import statistics
import sys
import time

CASES = ["cnn_train_epoch", "cnn_infer", "mlp_train_epoch", "rnn_train_epoch", "hiero_train_epoch",
         "eng_train_step"]
UNITS = {"cnn_infer": "img/s"}


def models(torch):
    nn = torch.nn

    class Rows(nn.Module):
        """[N, 1, 28, 28] → [N, 28, 28]: the 28 rows are the RNN's time steps."""

        def forward(self, x):
            return x.reshape(x.shape[0], x.shape[2], x.shape[3])

    class Sequence(nn.Module):
        """An nn.RNN that returns its output sequence, so it fits in nn.Sequential."""

        def __init__(self, *a, **k):
            super().__init__()
            self.rnn = nn.RNN(*a, **k)

        def forward(self, x):
            return self.rnn(x)[0]

    class Last(nn.Module):
        def forward(self, x):
            return x[:, -1, :]

    # name → (builder, input shape, classes, batch, images an epoch)
    return {
        "cnn": (lambda: nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ELU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 6)), (1, 28, 28), 6, 128, 17556),
        "mlp": (lambda: nn.Sequential(
            nn.Flatten(), nn.Linear(784, 512), nn.ELU(), nn.Dropout(0.2),
            nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 6)),
            (1, 28, 28), 6, 128, 17556),
        "rnn": (lambda: nn.Sequential(
            Rows(), Sequence(28, 28, nonlinearity="relu", batch_first=True), nn.Dropout(0.2),
            Sequence(28, 28, nonlinearity="relu", batch_first=True), Last(), nn.Dropout(0.2),
            nn.Linear(28, 6)), (1, 28, 28), 6, 128, 17556),
        "hiero": (lambda: nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 9 * 6, 512), nn.ReLU(), nn.Linear(512, 4)),
            (3, 75, 50), 4, 64, 1060),
        "eng": (lambda: nn.Sequential(
            nn.Conv2d(1, 64, 5), nn.ReLU(), nn.MaxPool2d(3), nn.Dropout(0.2),
            nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.2),
            nn.Conv2d(128, 256, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.2),
            nn.Flatten(), nn.Linear(256 * 17 * 17, 512, bias=False), nn.ReLU(),
            nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, 62)), (1, 224, 224), 62, 32, 1736),
    }


class Setup:
    def __init__(self, torch, name, channels_last):
        build, self.shape, self.classes, self.batch, self.images = models(torch)[name]
        self.torch = torch
        self.model = build()
        # channels_last only helps the convolutions; the MLP / RNN inputs are not images to them.
        self.cl = channels_last and name in ("cnn", "hiero", "eng")
        if self.cl:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def layout(self, x):
        return x.contiguous(memory_format=self.torch.channels_last) if self.cl else x

    def step(self, x, y):
        F = self.torch.nn.functional
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.model(x), y)
        loss.backward()
        self.opt.step()


def time_epoch(s):
    torch = s.torch
    x = torch.rand((s.images,) + s.shape)
    y = torch.randint(0, s.classes, (s.images,))
    s.model.train()

    def epoch():
        order = torch.randperm(s.images)
        xs, ys = x[order], y[order]
        for i in range(0, s.images, s.batch):
            s.step(s.layout(xs[i:i + s.batch]), ys[i:i + s.batch])

    return epoch


def time_infer(s):
    torch = s.torch
    x = torch.rand((s.images,) + s.shape)
    s.model.eval()

    def run():
        with torch.inference_mode():
            for i in range(0, s.images, 256):
                s.model(s.layout(x[i:i + 256]))

    return run


def time_step(s):
    torch = s.torch
    x = torch.rand((s.batch,) + s.shape)
    y = torch.randint(0, s.classes, (s.batch,))
    s.model.train()

    def step():
        s.step(s.layout(x), y)

    return step


def timed(fn):
    """Wall and process CPU seconds of fn(). CPU time is the figure a loaded host distorts least
    (with one thread); wall time is the one reported."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def measure(torch, case, a):
    name = case.split("_")[0]
    s = Setup(torch, name, a.channels_last)
    if case.endswith("_train_epoch"):
        fn, warm, reps = time_epoch(s), 1, a.reps
    elif case == "cnn_infer":
        fn, warm, reps = time_infer(s), 1, a.reps
    else:
        fn, warm, reps = time_step(s), 2, a.steps
    warmups = [timed(fn)[0] for _ in range(warm)]
    runs = [timed(fn) for _ in range(reps)]
    times = [w for w, _ in runs]
    median = statistics.median(times)
    rec = {"case": case, "value": None, "unit": UNITS.get(case, "s"), "threads": a.threads,
           "channels_last": s.cl, "batch": 256 if case == "cnn_infer" else s.batch,
           "images": s.batch if case == "eng_train_step" else s.images,
           "times_s": [round(t, 4) for t in times], "cpu_s": [round(c, 4) for _, c in runs],
           "warmup_s": [round(t, 4) for t in warmups]}
    if rec["unit"] == "img/s":
        rec["value"] = round(s.images / median, 1)
    else:
        rec["value"] = round(median, 4)
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=CASES)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--reps", type=int, default=3, help="timed epochs / inference passes")
    ap.add_argument("--steps", type=int, default=5, help="timed steps for eng_train_step")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    for c in a.cases:
        if c not in CASES:
            sys.exit("torch_reference: unknown case %r; known: %s" % (c, " ".join(CASES)))
    try:
        import torch
    except ImportError as e:
        for c in a.cases:
            print(json.dumps({"case": c, "value": None, "unit": UNITS.get(c, "s"), "threads": a.threads,
                              "error": "torch not importable: %s" % e}), flush=True)
        return
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    env = {"torch": torch.__version__, "ld_library_path": os.environ.get("LD_LIBRARY_PATH", ""),
           "glibc_tunables": os.environ.get("GLIBC_TUNABLES", "")}
    for c in a.cases:
        rec = measure(torch, c, a)
        rec.update(env)
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
