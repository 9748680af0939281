"""bench/torch_side.py: PyTorch's side of bench/bench_vs_torch.sh.

Measures one configuration with torch.nn (Embedding, LSTM, Linear, Dropout,
CrossEntropyLoss, Adam, clip_grad_norm_) on the same shapes, loss, optimiser
and synthetic data as bench/bench_train.c, and prints the same one-line
result:

    result side=torch mode=M threads=N items_per_s=X rounds=x1,... flop_per_item=F rss_kb=K

Modes and options are bench_train's (see its header): clf-train, clf-infer,
gen-train, gen-sample; --threads --vocab --embed --hidden --layers --bi
--batch --len --steps --rounds --warm. Run it with Debian's /usr/bin/python3.

The networks, as rnnkit's defaults (rnnkit/model.h):
  classifier  Embedding(V, E, padding_idx=0) -> LSTM(E, H, bidirectional)
              -> max over time -> Dropout(0.5) -> Linear(D*H, 2)
  generator   Embedding(65, E) -> LSTM(E, H, L, dropout=0.2) -> Dropout(0.2)
              -> Linear(H, 65), truncated BPTT with the state detached
Training: cross-entropy (mean), gradient norm clipped at 5, Adam(lr=2e-3).
"""
import argparse
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
        loss = F.cross_entropy(model(xs[i]), ys[i])
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
        logits, st = model(c[:-1], state[0])
        state[0] = tuple(s.detach() for s in st)
        loss = F.cross_entropy(logits.reshape(-1, GEN_VOCAB), c[1:].reshape(-1))
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
                probs = F.softmax(model(x), dim=-1)
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


def main():
    p = argparse.ArgumentParser(description="PyTorch side of bench_vs_torch.sh")
    p.add_argument("mode", choices=sorted(MODES))
    for name, default in [("threads", 1), ("vocab", 20000), ("embed", 128), ("hidden", 128),
                          ("layers", 1), ("bi", 1), ("batch", 32), ("len", 80), ("steps", 5),
                          ("rounds", 3), ("warm", 2)]:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    rate, flop = MODES[a.mode](a)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("result side=torch mode=%s threads=%d items_per_s=%.2f rounds=%s flop_per_item=%.0f "
          "rss_kb=%d" % (a.mode, a.threads, statistics.median(rate),
                         ",".join("%.2f" % r for r in rate), flop, rss))
    return 0


if __name__ == "__main__":
    sys.exit(main())
