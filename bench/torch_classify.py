"""bench/torch_classify.py: PyTorch's side of bench/bench_tta.sh for the
sentiment sets: trains the network `rnnkit classify train --ensemble 1`
trains with its defaults, on the same token ids, and after every epoch
prints the cumulative training wall time and the test accuracy.

    /usr/bin/python3 bench/torch_classify.py --train TRAIN.lid --test TEST.lid
        --vocab V [--epochs 10] [--batch 32] [--maxlen 400] [--lr 2e-3]
        [--clip 5] [--seed 1] [--intra 1] [--blas N] [--adam loop|foreach]
        [--rnn split|packed]
    /usr/bin/python3 bench/torch_classify.py --check MODEL.safetensors
        --test TEST.lid --vocab V

--check: no training; the weights of `rnnkit export --format safetensors`
(an rnnkit classifier) in this network, evaluated on TEST.lid: prints
`check test_acc A test_loss L`, to compare with `rnnkit classify eval`
(the test set must hold every label, as they are numbered from it).

TRAIN.lid / TEST.lid: one document a line, `label<TAB>id id id ...`, the ids
those of rnnkit's vocabulary (bench_tta.sh makes them with `rnnkit vocab
build` + `rnnkit vocab encode --format tsv` and checks that the vocabulary
is the one `rnnkit classify train` built). V: the vocabulary's size, the
rows of the embedding (ids 0 <pad> and 1 <unk> included).

Output on stdout:
    setup torch=... intra=I blas=B malloc=default|tuned|custom blas_core=C
          adam=loop|foreach rnn=packed|split params=N train_docs=N
          test_docs=N batches=N
    epoch E train_s S epoch_s S eval_s S loss L test_acc A test_loss L
train_s is the cumulative training wall time at the end of epoch E: the
epoch's shuffle, batch assembly, forward, backward, clipping, schedule and
optimiser steps, from the first step's batch to the last step's update;
the test evaluation after each epoch (eval_s) is excluded, as is the
set-up before the first epoch (reading the ids, building the model).

The network and its training, as rnnkit's defaults (include/rnnkit/model.h,
model/model.c, model/classifier.c, model/train.c, model/layers.c,
model/rnn.c, model/optim.c, cli/cmd_classify_train.c):
  Embedding(V, 128, padding_idx=0), init N(0, 1), padding row 0
  -> Dropout(0.4) on every element of the embedded batch (rnnkit's
     embed_dropout is element-wise inverted dropout, not word dropout)
  -> LSTM(128, 128, bidirectional), both biases, init U(-1/sqrt(H), 1/sqrt(H)),
     forget bias 0; a document's backward direction starts at its last
     token, as rnnkit's masked steps (a padded step copies the state through
     and outputs 0). --rnn split (default): the two directions as two
     nn.LSTM modules on the padded batch, the backward one reading each
     document's embedded steps reversed (the same dropped-out embeddings as
     the forward one, as in rnnkit); the outputs at real steps are exactly
     a bidirectional LSTM's on packed sequences, padding costs only the few
     steps length-bucketed batches leave. --rnn packed: one bidirectional
     nn.LSTM on packed sequences, the textbook way, but slow on CPU in
     PyTorch 1.13: its per-step loop takes each step's rows with narrow(),
     whose backward makes a gradient the size of the whole packed input per
     step and sums them, quadratic in the length (IMDB batches of 400 steps:
     backward 11 s against 1 s split, forward the same; on MR's short
     sentences the two were within noise of each other in a trial on a
     busy machine). Same values either way (checked: logits and gradients
     agree to 1e-7 with the same weights).
  -> max over the document's own steps (padding masked: -inf in the padded
     positions); a document without tokens pools to 0, as in rnnkit
  -> Dropout(0.5) -> Linear(256, K), init U(-1/sqrt(256), 1/sqrt(256))
  cross-entropy (mean over the batch); gradient global norm clipped at 5
  (clip_grad_norm_, the coefficient max/(norm+1e-6) as rnnkit); Adam
  (0.9, 0.999, eps 1e-8, no weight decay, every embedding row stepped each
  step as rnnkit's default dense step) at lr 2e-3 along rnnkit's cosine,
  stepped per optimiser step: step s of S = epochs * batches uses
  0.5 * lr * (1 + cos(pi * (s - 1) / S)); batch 32; maxlen 400 keeping a
  longer document's last 400 tokens (rnnkit's --truncating pre); 10 epochs.
  Batches as rnnkit's (model/classifier.c, shuffle_epoch): each epoch the
  documents are shuffled, stably sorted by kept length, cut into batches of
  32 in that order (the last, shortest batch holds the longest documents),
  and the batches' order is shuffled.
  Evaluation: model.eval(), no gradient, documents by length in batches of
  at most 64*400 tokens and 256 documents (rnnkit's classifier_pass rule);
  accuracy = the share whose arg-max logit is the label.

Where it differs from rnnkit, and why:
  - Random streams: initial weights, dropout masks and the data order come
    from torch's generator seeded with --seed (rnnkit: its own rng from its
    --seed), so the two runs are two draws of the same distributions, not
    the same bits; accuracies differ by seed noise (on MR about a point).
  - rnnkit takes the training rows in a seeded shuffled order before its
    first epoch shuffle; here file order. Every epoch reshuffles, so the
    batches are the same random process either way.
  - Floating point: torch's kernels add in other orders; the clipping norm
    is a float32 norm of per-tensor norms (rnnkit sums squares in double);
    torch always scales by min(1, coefficient), rnnkit only above the
    threshold (the same values); rnnkit's loss is computed in double.
  - Threads: PyTorch's fastest set-up on 2 cores as bench/bench_vs_torch.sh
    measured it, intra-op threads 1 (torch.set_num_threads(1): element-wise
    ops, embedding, pooling and Adam on one thread) and OpenBLAS on 2 threads
    for the matrix products, with glibc's malloc kept from returning memory
    (bench_tta.sh sets MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1e12); rnnkit
    runs everything on its own pool of 2 threads over single-threaded
    OpenBLAS calls.
  - Adam: torch.optim.Adam's for-loop implementation by default (--adam
    foreach: the multi-tensor one); rnnkit fuses the update into one pass.
  - Evaluation (not timed): rnnkit's takes the embedding and the first
    layer's input product from its per-token table; the same values up to
    rounding.
  - Time: rnnkit's training time includes the checkpoint its model file
    gets after each epoch (it cannot be turned off); this side writes
    nothing. That is against rnnkit.

Run with Debian's /usr/bin/python3 (PyTorch 1.13).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_side import blas_threads, malloc_setting  # noqa: E402

EMBED, HIDDEN = 128, 128
EMBED_DROPOUT, DROPOUT = 0.4, 0.5
EVAL_MAX_TOKENS, EVAL_MAX_BATCH = 64 * 400, 256


class Classifier(nn.Module):
    """rnnkit's default classifier network (one network). rnn "split": the
    two directions as two nn.LSTM on padded batches, the backward one
    reading each document's embedded tokens reversed (the same dropped-out
    embeddings as the forward one, as in rnnkit), padding masked before the
    pooling; "packed": one bidirectional nn.LSTM on packed sequences (its
    tensor names are rnnkit's export's, so --check loads into it)."""

    def __init__(self, vocab, classes, rnn="split"):
        super().__init__()
        self.mode = rnn
        self.embedding = nn.Embedding(vocab, EMBED, padding_idx=0)
        self.embed_drop = nn.Dropout(EMBED_DROPOUT)
        if rnn == "packed":
            self.rnn = nn.LSTM(EMBED, HIDDEN, bidirectional=True)
        else:
            self.fwd = nn.LSTM(EMBED, HIDDEN)
            self.bwd = nn.LSTM(EMBED, HIDDEN)
        self.drop = nn.Dropout(DROPOUT)
        self.fc = nn.Linear(2 * HIDDEN, classes)

    def forward(self, ids, lengths, empty):
        """ids [T][B] (post-padded with 0), lengths [B] descending (>= 1),
        empty [B] bool or None: documents without tokens."""
        x = self.embed_drop(self.embedding(ids))
        if self.mode == "packed":
            y, _ = self.rnn(pack_padded_sequence(x, lengths, enforce_sorted=True))
            y, _ = pad_packed_sequence(y, padding_value=float("-inf"))
        else:
            T, B = ids.shape
            t = torch.arange(T).unsqueeze(1)
            L = lengths.unsqueeze(0)
            real = t < L  # [T][B]
            rev = torch.where(real, L - 1 - t, t)  # each document's steps reversed, padding kept
            yf, _ = self.fwd(x)
            yb, _ = self.bwd(x.gather(0, rev.unsqueeze(2).expand(T, B, EMBED)))
            # max pooling ignores the order of the steps: yb need not be turned back
            y = torch.cat([yf, yb], 2).masked_fill(~real.unsqueeze(2), float("-inf"))
        feat = y.max(dim=0).values  # [B][2H]
        if empty is not None:
            feat = feat.masked_fill(empty.unsqueeze(1), 0.0)
        return self.fc(self.drop(feat))


def read_lid(path, maxlen):
    """Documents of a label<TAB>ids file: (id lists, each cut to its last
    maxlen ids; label names)."""
    docs, names = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            label, _, ids = line.partition("\t")
            v = [int(t) for t in ids.split()]
            if maxlen > 0 and len(v) > maxlen:
                v = v[-maxlen:]
            docs.append(v)
            names.append(label)
    return docs, names


def make_batch(docs, idx, targets):
    """Tensors of the documents idx: ids [T][B] post-padded, lengths
    descending, targets, and the empty-document mask (None if none)."""
    idx = sorted(idx, key=lambda i: len(docs[i]), reverse=True)
    lens = [len(docs[i]) for i in idx]
    empty = None
    if lens[-1] == 0:
        empty = torch.tensor([n == 0 for n in lens])
        seqs = [docs[i] if docs[i].numel() else torch.zeros(1, dtype=torch.long) for i in idx]
        lens = [max(n, 1) for n in lens]
    else:
        seqs = [docs[i] for i in idx]
    ids = pad_sequence(seqs)  # [T][B], padding 0
    return ids, torch.tensor(lens), targets[idx], empty


def epoch_batches(lengths, batch, g):
    """rnnkit's epoch order: shuffle, stable sort by kept length, cut into
    batches in that order, shuffle the batches' order."""
    n = len(lengths)
    perm = torch.randperm(n, generator=g).tolist()
    order = sorted(perm, key=lambda i: lengths[i])  # Python's sort is stable
    starts = list(range(0, n, batch))
    bperm = torch.randperm(len(starts), generator=g).tolist()
    return [order[starts[b]:starts[b] + batch] for b in bperm]


# --autocast bf16: the forward passes under torch.autocast on the CPU with
# bfloat16 (PyTorch's mixed precision, the peer of rnnkit's --precision
# bf16); set once by main
AUTOCAST = [False]


def evaluate(model, docs, lengths, targets):
    """Accuracy and mean loss on a labelled set, batches as rnnkit's
    classifier_pass."""
    model.eval()
    order = sorted(range(len(docs)), key=lambda i: lengths[i])
    correct, s, total = 0, 0, 0.0
    with torch.no_grad():
        while s < len(order):
            n = lengths[order[s]]
            B = EVAL_MAX_TOKENS // (n if n else 1)
            B = min(max(B, 1), EVAL_MAX_BATCH, len(order) - s)
            while B > 1 and lengths[order[s + B - 1]] * B > 2 * EVAL_MAX_TOKENS:
                B //= 2
            idx = order[s:s + B]
            ids, lens, y, empty = make_batch(docs, idx, targets)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=AUTOCAST[0]):
                logits = model(ids, lens, empty).float()
            correct += int((logits.argmax(dim=1) == y).sum())
            total += float(F.cross_entropy(logits, y, reduction="sum"))
            s += B
    model.train()
    return correct / len(docs), total / len(docs)


def read_safetensors(path):
    """The F32 tensors of a safetensors file (rnnkit export writes them
    under torch's state_dict names)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            sys.exit("torch_classify.py: %s: %s is %s, not F32" % (path, name, t["dtype"]))
        lo, hi = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + lo:8 + n + hi]), dtype=torch.float32).reshape(t["shape"])
    return out


def main():
    p = argparse.ArgumentParser(description="PyTorch reference of rnnkit's default classifier")
    p.add_argument("--train", help="label<TAB>ids lines")
    p.add_argument("--test", required=True, help="label<TAB>ids lines, evaluated after every epoch")
    p.add_argument("--vocab", type=int, required=True, help="vocabulary size (embedding rows)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--maxlen", type=int, default=400)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--intra", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--blas", type=int, default=None,
                   help="OpenBLAS threads (default: OPENBLAS_NUM_THREADS, else 2)")
    p.add_argument("--adam", choices=["loop", "foreach"], default="loop",
                   help="torch.optim.Adam's single-tensor loop or its multi-tensor (foreach) version")
    p.add_argument("--check", metavar="FILE.safetensors",
                   help="no training: load these weights (rnnkit export) and print "
                        "`check test_acc A test_loss L`")
    p.add_argument("--autocast", choices=["none", "bf16"], default="none",
                   help="bf16: torch.autocast(cpu, bfloat16) around the forward passes")
    p.add_argument("--rnn", choices=["split", "packed"], default="split",
                   help="the biLSTM as one module on packed sequences, or its directions as two "
                        "modules on padded batches")
    a = p.parse_args()
    if a.epochs < 1 or a.batch < 1 or a.maxlen < 0 or a.vocab < 3 or a.intra < 1:
        p.error("epochs, batch, intra >= 1; maxlen >= 0; vocab >= 3")

    AUTOCAST[0] = a.autocast == "bf16"
    torch.set_num_threads(a.intra)
    blas, core = blas_threads(a.blas, 2, "torch_classify.py")
    torch.manual_seed(a.seed)

    te_docs, te_names = read_lid(a.test, a.maxlen)
    if a.check:
        # rnnkit's labels are its training set's, sorted by bytes: here the test set's
        k = {n: i for i, n in enumerate(sorted(set(te_names)))}
        te_len = [len(v) for v in te_docs]
        model = Classifier(a.vocab, len(k), "packed")  # rnnkit's tensor names
        model.load_state_dict(read_safetensors(a.check))
        acc, loss = evaluate(model, [torch.tensor(v, dtype=torch.long) for v in te_docs], te_len,
                             torch.tensor([k[n] for n in te_names]))
        print("check test_acc %.6f test_loss %.6f" % (acc, loss))
        return 0
    if not a.train:
        p.error("--train is required (unless --check)")
    tr_docs, tr_names = read_lid(a.train, a.maxlen)
    names = sorted(set(tr_names))
    unknown = set(te_names) - set(names)
    if unknown:
        sys.exit("torch_classify.py: test labels not in train: %s" % ", ".join(sorted(unknown)))
    if len(names) < 2:
        sys.exit("torch_classify.py: a classifier needs two labels or more")
    k = {n: i for i, n in enumerate(names)}
    tr_y = torch.tensor([k[n] for n in tr_names])
    te_y = torch.tensor([k[n] for n in te_names])
    tr_len = [len(v) for v in tr_docs]
    te_len = [len(v) for v in te_docs]
    tr_docs = [torch.tensor(v, dtype=torch.long) for v in tr_docs]
    te_docs = [torch.tensor(v, dtype=torch.long) for v in te_docs]
    for v in tr_docs + te_docs:
        if v.numel() and (int(v.min()) < 0 or int(v.max()) >= a.vocab):
            sys.exit("torch_classify.py: an id outside [0, %d)" % a.vocab)

    model = Classifier(a.vocab, len(names), a.rnn)
    model.train()
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=a.lr, foreach=(a.adam == "foreach"))
    g = torch.Generator().manual_seed(a.seed)
    nb = (len(tr_docs) + a.batch - 1) // a.batch
    total = a.epochs * nb
    nparams = sum(t.numel() for t in params)
    print("setup torch=%s intra=%d blas=%d malloc=%s blas_core=%s autocast=%s adam=%s rnn=%s params=%d "
          "train_docs=%d test_docs=%d batches=%d" % (torch.__version__, torch.get_num_threads(), blas,
                                                     malloc_setting(), core, a.autocast, a.adam, a.rnn, nparams, len(tr_docs), len(te_docs), nb),
          flush=True)

    step, cum = 0, 0.0
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        loss_sum = 0.0
        for idx in epoch_batches(tr_len, a.batch, g):
            ids, lens, y, empty = make_batch(tr_docs, idx, tr_y)
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=AUTOCAST[0]):
                logits = model(ids, lens, empty)
            loss = F.cross_entropy(logits.float(), y)
            loss.backward()
            nn.utils.clip_grad_norm_(params, a.clip)
            step += 1
            lr = 0.5 * a.lr * (1.0 + math.cos(math.pi * (step - 1) / total))
            for group in opt.param_groups:
                group["lr"] = lr
            opt.step()
            loss_sum += loss.item() * len(idx)
        t1 = time.perf_counter()
        cum += t1 - t0
        acc, test_loss = evaluate(model, te_docs, te_len, te_y)
        t2 = time.perf_counter()
        print("epoch %d train_s %.3f epoch_s %.3f eval_s %.3f loss %.4f test_acc %.4f test_loss %.4f"
              % (epoch, cum, t1 - t0, t2 - t1, loss_sum / len(tr_docs), acc, test_loss), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
