"""bench/torch_generate.py: PyTorch's side of bench/bench_tta.sh for Tiny
Shakespeare: trains the character generator `rnnkit generate train` trains
with its defaults and prints, at every evaluation, the cumulative training
wall time and the validation loss.

    /usr/bin/python3 bench/torch_generate.py --text input.txt [--steps 4500]
        [--eval-every 100] [--stop-loss L] [--seed 1] [--intra 1] [--blas N]
        [--adam loop|foreach] [--autocast none|bf16]

Output on stdout (set-up first):
    setup torch=... intra=I blas=B malloc=... blas_core=C autocast=A adam=... params=N
          vocab=V train_chars=N valid_chars=N
    eval step S train_s T eval_s E loss L valid_loss V
train_s: cumulative training wall time after step S (loading chunks,
forward, backward, clipping, schedule, optimiser), evaluations excluded.
--stop-loss L: stop after the first evaluation whose validation loss is
<= L (the schedule stays that of --steps, so the run up to there is the
full run's). --autocast bf16: the forward passes (training and
evaluation) under torch.autocast(cpu, bfloat16), PyTorch's mixed precision,
the peer of rnnkit's --precision bf16 (as bench/torch_classify.py).

The network and its training, as rnnkit's generator defaults
(cli/cmd_generate_train.c, model/model.c, model/generator.c, model/rnn.c,
model/train.c):
  vocabulary: every character of the text (min count 1, no normalisation,
  case kept), ids by count (descending), ties by UTF-8 bytes, after <pad>
  (0) and <unk> (1), as rnnkit's vocabulary builder orders them: 67 ids
  for the 65 characters of Tiny Shakespeare; the ids are this script's own
  (rnnkit_vocab's rule), and bench_tta.sh checks the size against rnnkit's
  model. Validation: the last 5 % of the characters (floor), training the
  rest.
  Embedding(V, 64, padding_idx=0), N(0, 1), no dropout
  -> LSTM(64, 512, 2 layers), dropout 0.4 between the layers; weight drop
     0.35 on each layer's W_hh (DropConnect, inverted scale, one mask per
     unit per step, drawn for the whole chunk, as rnnkit's rnn.c)
  -> Dropout(0.4) -> Linear(512, V); cross-entropy, mean over the chunk
  Truncated back-propagation: 64 streams, stream b the training text from
  b * seg (seg = (n - 1) // 64), chunks of 100 characters, the state carried
  (detached) from one chunk to the next and zeroed when a pass over the
  text starts again. Adam 2e-3 (0.9, 0.999, 1e-8) along the cosine over all
  the steps (step s of S: 0.5 * lr * (1 + cos(pi * (s - 1) / S))), gradient
  norm clipped at 5, 4500 steps, evaluation every 100.
  Evaluation as rnnkit's eval_stream: up to 16 streams of whole 100-step
  chunks, each stream but the first warmed up on the 100 characters before
  it (read, not scored), the leftover tail as one more warmed-up stream;
  mean loss over every scored character.

Where it differs from rnnkit, and why:
  - Random streams (weights, dropout and DropConnect masks) are torch's,
    seeded with --seed; two draws of the same distributions.
  - Weight drop: torch has no DropConnect module; the masked W_hh go into
    torch._VF.lstm, the function nn.LSTM's forward calls, in place of the
    module's own (the gradient reaches W_hh through the mask, as rnnkit's).
  - Floating point orders, threads and Adam's implementation: as
    bench/torch_classify.py's header says.
  - Time: rnnkit's includes the checkpoint of its model file after every
    evaluation (every 100 steps); this side writes nothing: against rnnkit.

Run with Debian's /usr/bin/python3 (PyTorch 1.13).
"""
import argparse
import math
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_side import blas_threads, malloc_setting  # noqa: E402

EMBED, HIDDEN, LAYERS = 64, 512, 2
DROPOUT, WEIGHT_DROP = 0.4, 0.35
BATCH, SEQ = 64, 100
VALID_FRAC = 0.05
EVAL_T, EVAL_MAX_STREAMS = 100, 16
AUTOCAST = [False]  # --autocast bf16, set once by main


class Generator(nn.Module):
    """rnnkit's default character generator."""

    def __init__(self, vocab):
        super().__init__()
        self.embedding = nn.Embedding(vocab, EMBED, padding_idx=0)
        self.rnn = nn.LSTM(EMBED, HIDDEN, LAYERS, dropout=DROPOUT)
        self.drop = nn.Dropout(DROPOUT)
        self.fc = nn.Linear(HIDDEN, vocab)

    def forward(self, ids, state):
        """ids [T][B]; state (h, c) each [L][B][H]; returns logits [T][B][V], state."""
        x = self.embedding(ids)
        w = list(self.rnn._flat_weights)  # w_ih, w_hh, b_ih, b_hh per layer
        if self.training:
            for layer in range(LAYERS):
                w[4 * layer + 1] = F.dropout(w[4 * layer + 1], WEIGHT_DROP, True)
        y, h, c = torch._VF.lstm(x, state, w, True, LAYERS, DROPOUT, self.training, False, False)
        return self.fc(self.drop(y)), (h, c)


def vocabulary(text):
    """rnnkit's order: <pad>, <unk>, then characters by count (descending),
    ties by their UTF-8 bytes."""
    counts = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    chars = sorted(counts, key=lambda ch: (-counts[ch], ch.encode("utf-8")))
    return {ch: i + 2 for i, ch in enumerate(chars)}


def zero_state(B):
    return (torch.zeros(LAYERS, B, HIDDEN), torch.zeros(LAYERS, B, HIDDEN))


def chunk_loss(model, x, y, state):
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=AUTOCAST[0]):
        logits, state = model(x, state)
    logits, state = logits.float(), (state[0].float(), state[1].float())
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)), state


def evaluate(model, ids):
    """Mean loss per character of ids under rnnkit's eval_stream protocol."""
    model.eval()
    n = ids.numel()
    T = EVAL_T
    B = min(max((n - 1) // T, 1), EVAL_MAX_STREAMS)
    seg = (n - 1) // B
    total, count = 0.0, 0
    with torch.no_grad():
        state = zero_state(B)
        W = min(seg, T)
        if B > 1 and W > 0:
            starts = [0] + [b * seg - W for b in range(1, B)]
            x = torch.stack([ids[s:s + W] for s in starts], dim=1)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=AUTOCAST[0]):
                _, state = model(x, state)
            state = tuple(s.float().clone() for s in state)
            for s in state:
                s[:, 0].zero_()  # stream 0 starts at the text's start, cold
        streams = torch.stack([ids[b * seg:b * seg + seg + 1] for b in range(B)], dim=1)  # [seg+1][B]
        pos = 0
        while pos < seg:
            t = min(T, seg - pos)
            loss, state = chunk_loss(model, streams[pos:pos + t], streams[pos + 1:pos + t + 1], state)
            total += float(loss) * t * B
            count += t * B
            pos += t
        done = seg * B
        if done < n - 1:
            state = zero_state(1)
            w = min(done, T)
            if w > 0:
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=AUTOCAST[0]):
                    _, state = model(ids[done - w:done].view(-1, 1), state)
                state = (state[0].float(), state[1].float())
            pos = done
            while pos < n - 1:
                t = min(T, n - 1 - pos)
                loss, state = chunk_loss(model, ids[pos:pos + t].view(-1, 1), ids[pos + 1:pos + t + 1].view(-1, 1),
                                         state)
                total += float(loss) * t
                count += t
                pos += t
    model.train()
    return total / count


def main():
    p = argparse.ArgumentParser(description="PyTorch reference of rnnkit's default character generator")
    p.add_argument("--text", required=True)
    p.add_argument("--steps", type=int, default=4500)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--stop-loss", type=float, default=None)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--intra", type=int, default=1)
    p.add_argument("--blas", type=int, default=None)
    p.add_argument("--adam", choices=["loop", "foreach"], default="loop")
    p.add_argument("--autocast", choices=["none", "bf16"], default="none",
                   help="bf16: torch.autocast(cpu, bfloat16) around the forward passes")
    a = p.parse_args()
    if a.steps < 1 or a.eval_every < 1 or a.intra < 1:
        p.error("steps, eval-every and intra must be at least 1")

    AUTOCAST[0] = a.autocast == "bf16"
    torch.set_num_threads(a.intra)
    blas, core = blas_threads(a.blas, 2, "torch_generate.py")
    torch.manual_seed(a.seed)

    with open(a.text, encoding="utf-8", newline="") as f:
        text = f.read()
    vocab = vocabulary(text)
    V = len(vocab) + 2
    ids = torch.tensor([vocab[ch] for ch in text], dtype=torch.long)
    nva = int(len(ids) * VALID_FRAC)
    train, valid = ids[:len(ids) - nva], ids[len(ids) - nva:]
    seg = (train.numel() - 1) // BATCH
    if seg < SEQ:
        sys.exit("torch_generate.py: text too short for %d streams of %d" % (BATCH, SEQ))
    streams = torch.stack([train[b * seg:b * seg + seg + 1] for b in range(BATCH)], dim=1)  # [seg+1][B]

    model = Generator(V)
    model.train()
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=a.lr, foreach=(a.adam == "foreach"))
    print("setup torch=%s intra=%d blas=%d malloc=%s blas_core=%s autocast=%s adam=%s params=%d vocab=%d "
          "train_chars=%d valid_chars=%d" % (torch.__version__, torch.get_num_threads(), blas, malloc_setting(), core,
                                             a.autocast, a.adam, sum(t.numel() for t in params), V, train.numel(),
                                             valid.numel()), flush=True)

    state = zero_state(BATCH)
    pos, cum, loss_sum, nloss = 0, 0.0, 0.0, 0
    t0 = time.perf_counter()
    for step in range(1, a.steps + 1):
        if pos + SEQ > seg:  # a new pass over the text: fresh state
            pos = 0
            state = zero_state(BATCH)
        x, y = streams[pos:pos + SEQ], streams[pos + 1:pos + SEQ + 1]
        pos += SEQ
        opt.zero_grad(set_to_none=True)
        loss, state = chunk_loss(model, x, y, state)
        state = (state[0].detach(), state[1].detach())
        loss.backward()
        nn.utils.clip_grad_norm_(params, a.clip)
        lr = 0.5 * a.lr * (1.0 + math.cos(math.pi * (step - 1) / a.steps))
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        loss_sum += loss.item()
        nloss += 1
        if step % a.eval_every == 0 or step == a.steps:
            t1 = time.perf_counter()
            cum += t1 - t0
            vl = evaluate(model, valid)
            t0 = time.perf_counter()
            print("eval step %d train_s %.3f eval_s %.3f loss %.4f valid_loss %.4f"
                  % (step, cum, t0 - t1, loss_sum / nloss, vl), flush=True)
            loss_sum, nloss = 0.0, 0
            if a.stop_loss is not None and vl <= a.stop_loss:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
