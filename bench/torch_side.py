"""bench/torch_side.py: PyTorch's side of bench/bench_vs_torch.sh.

Measures one configuration with torch.nn (Embedding, LSTM, Linear, Dropout,
CrossEntropyLoss, Adam, clip_grad_norm_) on the same shapes, loss, optimiser
and synthetic data as bench/bench_train.c, and prints the same one-line
result:

    result side=torch mode=M threads=N items_per_s=X rounds=x1,... flop_per_item=F rss_kb=K
           intra=I blas=B malloc=default|tuned|custom blas_core=C

Modes and options are bench_train's (see its header): clf-train, clf-infer,
gen-train, gen-sample; --threads --vocab --embed --hidden --layers --bi
--batch --len --steps --rounds --warm. Run it with Debian's /usr/bin/python3.
--autocast bf16 runs the forward passes of the training and inference modes
under torch.autocast("cpu", dtype=torch.bfloat16): PyTorch's own mixed
precision, the peer of rnnkit's --bf16 (products in bf16, weights fp32).

Threads (PyTorch's set-up; threads= in the result line is --threads):
  --threads N  the core budget (default 1), and the default of both below
  --intra N    torch's intra-op threads: torch.set_num_threads(N)
  --blas N     OpenBLAS's threads; without it OPENBLAS_NUM_THREADS from the
               environment, else --threads. Set with openblas_set_num_threads
               (torch.set_num_threads leaves OpenBLAS alone); blas= is what
               openblas_get_num_threads reports afterwards, and blas_core= is
               openblas_get_corename (the kernels OPENBLAS_CORETYPE picked).
malloc= reports glibc's malloc settings as found in the environment (the
bench sets them per process): "default" when neither MALLOC_MMAP_MAX_ nor
MALLOC_TRIM_THRESHOLD_ (nor a glibc.malloc tunable) is set, "tuned" when
MALLOC_MMAP_MAX_=0 and MALLOC_TRIM_THRESHOLD_ are, "custom" otherwise.

The networks, as rnnkit's defaults (rnnkit/model.h):
  classifier  Embedding(V, E, padding_idx=0) -> LSTM(E, H, bidirectional)
              -> max over time -> Dropout(0.5) -> Linear(D*H, 2)
  generator   Embedding(65, E) -> LSTM(E, H, L, dropout=0.2) -> Dropout(0.2)
              -> Linear(H, 65), truncated BPTT with the state detached
Training: cross-entropy (mean), gradient norm clipped at 5, Adam(lr=2e-3).
"""
import argparse
import ctypes
import os
import resource
import statistics
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

GEN_VOCAB = 65
NUM_CLASSES = 2


class Classifier(nn.Module):
    def __init__(self, V, E, H, bi):
        super().__init__()
        self.emb = nn.Embedding(V, E, padding_idx=0)
        self.lstm = nn.LSTM(E, H, bidirectional=bool(bi))
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear((2 if bi else 1) * H, NUM_CLASSES)

    def forward(self, x):  # x [T][B] ids, time-major as rnnkit
        y, _ = self.lstm(self.emb(x))
        return self.fc(self.drop(y.max(dim=0).values))


class Generator(nn.Module):
    def __init__(self, E, H, L):
        super().__init__()
        self.emb = nn.Embedding(GEN_VOCAB, E)
        self.lstm = nn.LSTM(E, H, L, dropout=0.2 if L > 1 else 0.0)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(H, GEN_VOCAB)

    def forward(self, x, state):
        y, state = self.lstm(self.emb(x), state)
        return self.fc(self.drop(y)), state


def rnn_flop_per_token(a, dirs):
    """Forward GEMM FLOPs per step and sequence of the LSTM stack."""
    G = 4.0 * a.hidden
    f = 0.0
    for l in range(a.layers):
        inp = a.embed if l == 0 else dirs * a.hidden
        f += dirs * 2.0 * G * (inp + a.hidden)
    return f


def train_steps(model, opt, batches, step_fn):
    """Times each step; returns the end time of every step."""
    stamps = []
    for b in batches:
        step_fn(b)
        stamps.append(time.perf_counter())
    return stamps


def rates(a, t_start, stamps, items_per_step):
    """Round r spans steps (warm + r*steps, warm + (r+1)*steps]."""
    t = [t_start] + stamps
    out = []
    for r in range(a.rounds):
        t0 = t[a.warm + r * a.steps]
        t1 = t[a.warm + (r + 1) * a.steps]
        out.append(items_per_step * a.steps / (t1 - t0))
    return out


def amp(a):
    """--autocast bf16: torch.autocast on the CPU with bfloat16 (PyTorch's
    own mixed precision: products in bf16, master weights fp32); none: a
    context that does nothing."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.autocast == "bf16")


def clf_train(a):
    g = torch.Generator().manual_seed(7)
    model = Classifier(a.vocab, a.embed, a.hidden, a.bi)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    params = list(model.parameters())
    total = a.warm + a.rounds * a.steps
    xs = torch.randint(2, a.vocab, (total, a.len, a.batch), generator=g)
    ys = torch.randint(0, NUM_CLASSES, (total, a.batch), generator=g)

    def step(i):
        opt.zero_grad()
        with amp(a):
            logits = model(xs[i])
        loss = F.cross_entropy(logits.float(), ys[i])
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()

    t0 = time.perf_counter()
    stamps = train_steps(model, opt, range(total), step)
    dirs = 2 if a.bi else 1
    fwd = rnn_flop_per_token(a, dirs) + 2.0 * dirs * a.hidden * NUM_CLASSES / a.len
    return rates(a, t0, stamps, a.batch * a.len), 3.0 * fwd


def gen_train(a):
    g = torch.Generator().manual_seed(11)
    model = Generator(a.embed, a.hidden, a.layers)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    params = list(model.parameters())
    total = a.warm + a.rounds * a.steps
    T, B = a.len, a.batch
    # B contiguous streams; chunk k of stream b is text[b, k*T : k*T + T + 1]
    text = torch.randint(2, GEN_VOCAB, (B, total * T + 1), generator=g)
    chunks = [text[:, k * T:k * T + T + 1].t().contiguous() for k in range(total)]
    state = [None]

    def step(k):
        c = chunks[k]
        opt.zero_grad()
        with amp(a):
            logits, st = model(c[:-1], state[0])
        state[0] = tuple(s.detach().float() for s in st)
        loss = F.cross_entropy(logits.float().reshape(-1, GEN_VOCAB), c[1:].reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()

    t0 = time.perf_counter()
    stamps = train_steps(model, opt, range(total), step)
    fwd = rnn_flop_per_token(a, 1) + 2.0 * a.hidden * GEN_VOCAB
    return rates(a, t0, stamps, B * T), 3.0 * fwd


def clf_infer(a):
    g = torch.Generator().manual_seed(9)
    model = Classifier(a.vocab, a.embed, a.hidden, a.bi)
    model.eval()
    x = torch.randint(2, a.vocab, (a.len, a.batch), generator=g)
    out = []
    with torch.no_grad():
        for r in range(-1, a.rounds):
            calls = a.warm if r < 0 else a.steps
            t0 = time.perf_counter()
            for _ in range(calls):
                with amp(a):
                    logits = model(x)
                probs = F.softmax(logits.float(), dim=-1)
            dt = time.perf_counter() - t0
            if r >= 0:
                out.append(a.batch * calls / dt)
    del probs
    dirs = 2 if a.bi else 1
    return out, rnn_flop_per_token(a, dirs) * a.len + 2.0 * dirs * a.hidden * NUM_CLASSES


def gen_sample(a):
    torch.manual_seed(3)
    model = Generator(a.embed, a.hidden, a.layers)
    model.eval()
    idx = torch.tensor([[2]])
    state = None
    out = []
    with torch.no_grad():
        for r in range(-1, a.rounds):
            chars = a.warm if r < 0 else a.steps
            t0 = time.perf_counter()
            for _ in range(chars):
                logits, state = model(idx, state)
                p = F.softmax(logits[0, 0] / 1.0, dim=-1)
                idx = torch.multinomial(p, 1).view(1, 1)
            dt = time.perf_counter() - t0
            if r >= 0:
                out.append(chars / dt)
    return out, rnn_flop_per_token(a, 1) + 2.0 * a.hidden * GEN_VOCAB


MODES = {"clf-train": clf_train, "gen-train": gen_train, "clf-infer": clf_infer,
         "gen-sample": gen_sample}


def find_openblas():
    """The OpenBLAS that torch loaded (Debian: through libblas.so.3), or None."""
    paths = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in os.path.basename(path) and ".so" in path:
                    paths.add(path)
    except OSError:
        return None
    # libopenblas* first: libblas.so.3 only forwards to it
    for path in sorted(paths, key=lambda p: ("openblas" not in os.path.basename(p), p)):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_num_threads.restype = ctypes.c_int
            lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
            lib.openblas_get_corename.restype = ctypes.c_char_p
        except (OSError, AttributeError):
            continue
        return lib
    return None


def blas_threads(requested, default, who):
    """torch.set_num_threads is the caller's; this sets OpenBLAS's threads
    (requested, else OPENBLAS_NUM_THREADS, else default) in the library
    torch loaded and returns (threads it reports, its kernel name)."""
    blas = requested
    if blas is None:
        try:
            blas = int(os.environ["OPENBLAS_NUM_THREADS"])
        except (KeyError, ValueError):
            blas = default
    lib = find_openblas()
    if lib is None:
        print("%s: OpenBLAS not found among torch's libraries; its threads left as found" % who,
              file=sys.stderr)
        return blas, "?"
    lib.openblas_set_num_threads(blas)
    got = lib.openblas_get_num_threads()
    if got != blas:
        print("%s: OpenBLAS runs %d thread(s), not %d" % (who, got, blas), file=sys.stderr)
    return got, (lib.openblas_get_corename() or b"?").decode(errors="replace").replace(" ", "_")


def malloc_setting():
    mmap_max = os.environ.get("MALLOC_MMAP_MAX_")
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    tunables = "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")
    if mmap_max is None and trim is None and not tunables:
        return "default"
    if mmap_max == "0" and trim is not None and not tunables:
        return "tuned"
    return "custom"


def main():
    p = argparse.ArgumentParser(description="PyTorch side of bench_vs_torch.sh")
    p.add_argument("mode", choices=sorted(MODES))
    for name, default in [("threads", 1), ("vocab", 20000), ("embed", 128), ("hidden", 128),
                          ("layers", 1), ("bi", 1), ("batch", 32), ("len", 80), ("steps", 5),
                          ("rounds", 3), ("warm", 2)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--autocast", choices=["none", "bf16"], default="none",
                   help="bf16: torch.autocast(cpu, bfloat16) around the forward pass")
    p.add_argument("--intra", type=int, default=None,
                   help="torch's intra-op threads (default: --threads)")
    p.add_argument("--blas", type=int, default=None,
                   help="OpenBLAS's threads (default: OPENBLAS_NUM_THREADS, else --threads)")
    a = p.parse_args()
    intra = a.intra if a.intra is not None else a.threads
    if intra < 1 or (a.blas is not None and a.blas < 1):
        p.error("--threads, --intra and --blas must be at least 1")
    torch.set_num_threads(intra)
    blas, core = blas_threads(a.blas, a.threads, "torch_side.py")
    rate, flop = MODES[a.mode](a)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("result side=torch mode=%s threads=%d items_per_s=%.2f rounds=%s flop_per_item=%.0f "
          "rss_kb=%d intra=%d blas=%d malloc=%s blas_core=%s autocast=%s"
          % (a.mode, a.threads, statistics.median(rate), ",".join("%.2f" % r for r in rate),
             flop, rss, intra, blas, malloc_setting(), core, a.autocast))
    return 0

if __name__ == "__main__":
    sys.exit(main())
