#!/usr/bin/python3
"""rnnkit <-> PyTorch round trip through safetensors.

usage: torch_roundtrip.py RNNKIT SOURCE_DIR WORKDIR

1. rnnkit -> torch: rnnkit trains small classifiers (several cells, pooling
   kinds, directions, depths) and a character generator, exports them with
   `rnnkit export --format safetensors`; this script reads the file with json
   + struct (no safetensors package), loads it with load_state_dict(strict)
   into the equivalent torch module and checks
     - classifier: the class probabilities of a batch of texts equal
       `rnnkit classify predict`'s to 1e-5;
     - generator: greedy continuation of a seed equals `rnnkit generate
       sample --argmax`, character for character.
2. torch -> rnnkit: torch modules with random weights are written as
   safetensors (once with rnnkit's metadata, once bare with --config and
   --labels), `rnnkit import`ed, and rnnkit's probabilities must equal
   torch's to 1e-5.
3. forecaster, both ways: a forecaster trained by `rnnkit forecast train`
   (two columns, standard scaling, no differencing) is exported and loaded
   into torch.nn.GRU(inputs, hidden, layers) + Linear(hidden, horizon)
   (batch_first=False); its output on the series' last window, scaled with
   the metadata's scaler, equals `rnnkit forecast predict`'s to 1e-5 in
   scaled units. A torch LSTM + Linear with random weights, written with
   forecaster metadata (no scaling), imported without a vocabulary, gives
   `rnnkit forecast predict` the torch outputs to 1e-5, and exported again
   gives back every tensor bit for bit.

Token ids come from the exported vocab.txt; the texts are chosen so that
splitting words and punctuation apart gives rnnkit's tokens, and rnnkit
tokenizes the same texts itself in `classify predict`, so a disagreement in
either place fails the comparison.

Exit status: 0 pass, 1 fail, 77 skipped (no torch).
"""
import json
import math
import os
import re
import struct
import subprocess
import sys

try:
    import torch
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"SKIP: PyTorch is not available to {sys.executable} ({e})")
    sys.exit(77)

TOL = 1e-5
RNNKIT, SRC, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
DATA = os.path.join(SRC, "corpora", "data", "sentiment")
failures = []


def run(*args, stdin=None):
    p = subprocess.run([RNNKIT, *args], input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: rnnkit {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return p.stdout


# ---------------------------------------------------------------------------
# safetensors with the standard library


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", (name, t["dtype"])
        b, e = t["data_offsets"]
        count = (e - b) // 4
        vals = struct.unpack(f"<{count}f", data[b:e])
        tensors[name] = torch.tensor(vals, dtype=torch.float32).reshape(t["shape"])
    return meta, tensors


def write_safetensors(path, tensors, meta=None):
    header, chunks, off = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    for name, t in tensors.items():
        vals = t.detach().to(torch.float32).contiguous().reshape(-1).tolist()
        b = struct.pack(f"<{len(vals)}f", *vals)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        chunks.append(b)
        off += len(b)
    h = json.dumps(header).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


# ---------------------------------------------------------------------------
# The torch twins of rnnkit's networks


CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class Classifier(nn.Module):
    """Embedding -> (bi)RNN -> pool over unpadded steps -> Linear -> softmax."""

    def __init__(self, V, E, H, L, cell, bidir, pool, K):
        super().__init__()
        self.cell, self.pool, self.D = cell, pool, 2 if bidir else 1
        self.embedding = nn.Embedding(V, E, padding_idx=0)
        self.rnn = CELLS[cell](E, H, L, batch_first=True, bidirectional=bidir)
        self.fc = nn.Linear(self.D * H, K)

    def forward(self, ids, lengths):
        x = self.embedding(ids)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)
        if self.cell == "lstm":
            h = h[0]
        if self.pool == "last":  # last layer: forward's final state, reverse's state at step 0
            feat = torch.cat([h[-self.D + d] for d in range(self.D)], dim=1)
        else:
            y, _ = pad_packed_sequence(out, batch_first=True)
            mask = (torch.arange(y.shape[1])[None, :] < lengths[:, None])[:, :, None]
            if self.pool == "mean":
                feat = (y * mask).sum(1) / lengths[:, None].to(y.dtype)
            else:
                feat = y.masked_fill(~mask, float("-inf")).max(1).values
        return torch.softmax(self.fc(feat), dim=1)


class Generator(nn.Module):
    def __init__(self, V, E, H, L, cell):
        super().__init__()
        self.cell = cell
        self.embedding = nn.Embedding(V, E, padding_idx=0)
        self.rnn = CELLS[cell](E, H, L, batch_first=True)
        self.fc = nn.Linear(H, V)

    def greedy(self, seed_ids, n):
        state, out = None, []
        logits = None
        for i in seed_ids:
            y, state = self.rnn(self.embedding(torch.tensor([[i]])), state)
            logits = self.fc(y[0, -1])
        for _ in range(n):
            nxt = int(logits[2:].argmax()) + 2  # never <pad>/<unk>, ties to the lowest id
            out.append(nxt)
            y, state = self.rnn(self.embedding(torch.tensor([[nxt]])), state)
            logits = self.fc(y[0, -1])
        return out


# ---------------------------------------------------------------------------
# Texts and ids

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[,.!?]")


def pick_texts(n=40):
    """Held-out sentences made of lower-case ASCII words and , . ! ? only."""
    texts = []
    for line in open(os.path.join(DATA, "test.tsv"), encoding="utf-8"):
        text = line.rstrip("\n").split("\t", 1)[1]
        if re.fullmatch(r"[a-z ,.!?']+", text) and all(
                WORD.fullmatch(w) for w in re.findall(r"[a-z']+|[,.!?]", text)):
            texts.append(text)
    texts.append("zzyzx qwerty wonderful")  # unknown words -> <unk>
    return texts[:n]


def read_vocab_txt(path):
    return {tok: i for i, tok in enumerate(open(path, encoding="utf-8").read().split("\n")[:-1])}


def encode(texts, vocab):
    seqs = [[vocab.get(w, 1) for w in WORD.findall(t)] for t in texts]
    lengths = torch.tensor([len(s) for s in seqs])
    ids = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
    return ids, lengths


def rnnkit_probs(model, texts, labels):
    out = run("classify", "predict", "-m", model, "--json", "--top-k", str(len(labels)), "-",
              stdin="".join(t + "\n" for t in texts))
    rows = []
    for line in out.splitlines():
        d = {x["label"]: x["probability"] for x in json.loads(line)["labels"]}
        rows.append([d[l] for l in labels])
    return torch.tensor(rows, dtype=torch.float64)


def compare(what, ours, theirs):
    diff = (ours.double() - theirs.double()).abs()
    worst = float(diff.max())
    idx = divmod(int(diff.argmax()), diff.shape[1])
    status = "ok" if worst <= TOL else "FAIL"
    print(f"{status}: {what}: {diff.shape[0]} texts x {diff.shape[1]} labels, max |diff| {worst:.2e} at {idx}")
    if worst > TOL:
        failures.append(what)


class Forecaster(nn.Module):
    """A window [T][1][F] -> RNN (time-major) -> top layer's last state -> Linear -> horizon values."""

    def __init__(self, F, H, L, cell, horizon):
        super().__init__()
        self.rnn = CELLS[cell](F, H, L, batch_first=False)
        self.fc = nn.Linear(H, horizon)

    def forward(self, window):
        out, _ = self.rnn(window)
        return self.fc(out[-1, 0])


def write_series(path, n=90):
    """A noisy sine (target y) and a cosine feature x, as CSV."""
    g = torch.Generator().manual_seed(3)
    noise = (torch.rand(n, generator=g, dtype=torch.float64) - 0.5) * 0.4
    rows = []
    for t in range(n):
        rows.append((10 + 3 * math.sin(2 * math.pi * t / 12) + 0.05 * t + float(noise[t]),
                     math.cos(2 * math.pi * t / 12)))
    with open(path, "w") as f:
        f.write("y,x\n")
        for y, x in rows:
            f.write(f"{y!r},{x!r}\n")
    return torch.tensor(rows, dtype=torch.float64)


def rnnkit_forecast(model, csv):
    return [float(line.split("\t")[1]) for line in run("forecast", "predict", "-m", model, "--csv", csv).split("\n")
            if line]


def compare_values(what, ours, theirs):
    worst = max(abs(a - b) for a, b in zip(ours, theirs))
    ok = len(ours) == len(theirs) and worst <= TOL
    print(f"{'ok' if ok else 'FAIL'}: {what}: {len(ours)} values, max |diff| {worst:.2e}")
    if not ok:
        failures.append(what)


def forecaster_round_trips():
    csv = os.path.join(WORK, "series.csv")
    series = write_series(csv)
    # rnnkit -> torch
    model, st = os.path.join(WORK, "fc.db"), os.path.join(WORK, "fc.safetensors")
    run("forecast", "train", "--csv", csv, "--target", "y", "--features", "x", "-o", model, "--cell", "gru",
        "--hidden", "10", "--layers", "2", "--lookback", "8", "--horizon", "3", "--difference", "0", "--season", "1",
        "--scale", "standard", "--epochs", "5", "--quiet")
    run("export", "-m", model, "--format", "safetensors", st)
    meta, tensors = read_safetensors(st)
    assert meta["task"] == "forecast", meta
    F, T, K = int(meta["inputs"]), int(meta["lookback"]), int(meta["horizon"])
    net = Forecaster(F, int(meta["hidden"]), int(meta["layers"]), meta["cell"], K)
    net.load_state_dict(tensors, strict=True)
    net.eval()
    off = torch.tensor(json.loads(meta["scale_offset"]), dtype=torch.float64)
    sc = torch.tensor(json.loads(meta["scale_scale"]), dtype=torch.float64)
    window = ((series[-T:] - off) / sc).to(torch.float32)[:, None, :]
    with torch.no_grad():
        theirs = net(window).double().tolist()
    ours = [(v - float(off[0])) / float(sc[0]) for v in rnnkit_forecast(model, csv)]
    compare_values("rnnkit -> torch, forecaster gru L2 (scaled units)", ours, theirs)

    # torch -> rnnkit
    net = Forecaster(2, 7, 1, "lstm", 2)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(2.0)
    net.eval()
    st = os.path.join(WORK, "torch-fc.safetensors")
    meta = {"task": "forecast", "cell": "lstm", "hidden": "7", "layers": "1", "inputs": "2", "lookback": "8",
            "horizon": "2", "diff_order": "0", "diff_season": "0", "season": "1", "scale": "none",
            "scale_offset": "[0,0]", "scale_scale": "[1,1]", "columns": json.dumps(["y", "x"]), "date_column": "",
            "test_frac": "0.25", "valid_frac": "0.1"}
    write_safetensors(st, net.state_dict(), meta)
    model = os.path.join(WORK, "torch-fc.db")
    run("import", "--format", "safetensors", st, "-o", model)
    with torch.no_grad():
        theirs = net(series[-8:].to(torch.float32)[:, None, :]).double().tolist()
    compare_values("torch -> rnnkit, forecaster lstm", rnnkit_forecast(model, csv), theirs)
    back = os.path.join(WORK, "torch-fc.back.safetensors")
    run("export", "-m", model, "--format", "safetensors", back)
    _, tensors = read_safetensors(back)
    same = tensors.keys() == net.state_dict().keys() and all(
        torch.equal(tensors[k], v) for k, v in net.state_dict().items())
    print(f"{'ok' if same else 'FAIL'}: torch -> rnnkit -> torch, forecaster tensors bit for bit")
    if not same:
        failures.append("forecaster tensors")


# ---------------------------------------------------------------------------


def main():
    os.makedirs(WORK, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    texts = pick_texts()
    assert len(texts) >= 10, f"only {len(texts)} usable texts in test.tsv"
    vocab_db = os.path.join(WORK, "vocab.db")
    run("vocab", "build", "--format", "tsv", "-o", vocab_db, os.path.join(DATA, "train.tsv"))

    # 1. rnnkit -> torch (fp32 products: bf16, the CLI's default, is not PyTorch's fp32 to 1e-5)
    configs = [("lstm", "yes", "max", 1), ("gru", "no", "last", 2), ("rnn", "yes", "mean", 1),
               ("lstm", "yes", "last", 2)]
    for cell, bidir, pool, layers in configs:
        tag = f"{cell}-{'bi' if bidir == 'yes' else 'uni'}-{pool}-L{layers}"
        model = os.path.join(WORK, f"{tag}.db")
        st = os.path.join(WORK, f"{tag}.safetensors")
        vtxt = os.path.join(WORK, f"{tag}.vocab.txt")
        run("classify", "train", "--train", os.path.join(DATA, "train.tsv"), "--vocab", vocab_db, "-o", model,
            "--cell", cell, f"--bidirectional={bidir}", "--pool", pool, "--layers", str(layers), "--embed", "16",
            "--hidden", "12", "--epochs", "2", "--seed", "5", "--ensemble", "1", "--precision", "fp32", "--quiet")
        run("export", "-m", model, "--format", "safetensors", st)
        run("export", "-m", model, "--format", "vocab-txt", vtxt)
        meta, tensors = read_safetensors(st)
        labels = json.loads(meta["labels"])
        net = Classifier(int(meta["vocab_size"]), int(meta["embed"]), int(meta["hidden"]), int(meta["layers"]),
                         meta["cell"], meta["bidirectional"] == "1", meta["pool"], len(labels))
        net.load_state_dict(tensors, strict=True)
        net.eval()
        ids, lengths = encode(texts, read_vocab_txt(vtxt))
        with torch.no_grad():
            theirs = net(ids, lengths)
        compare(f"rnnkit -> torch, {tag}", rnnkit_probs(model, texts, labels), theirs)

    # generator: greedy continuation, character for character
    gen = os.path.join(WORK, "gen.db")
    run("generate", "train", "--train", os.path.join(SRC, "corpora", "data", "text", "verse.txt"), "-o", gen,
        "--cell", "gru", "--embed", "8", "--hidden", "32", "--layers", "2", "--steps", "30", "--batch", "8",
        "--seq-len", "32", "--eval-every", "30", "--precision", "fp32", "--quiet")
    run("export", "-m", gen, "--format", "safetensors", os.path.join(WORK, "gen.safetensors"))
    run("export", "-m", gen, "--format", "vocab-txt", os.path.join(WORK, "gen.vocab.txt"))
    meta, tensors = read_safetensors(os.path.join(WORK, "gen.safetensors"))
    g = Generator(int(meta["vocab_size"]), int(meta["embed"]), int(meta["hidden"]), int(meta["layers"]),
                  meta["cell"])
    g.load_state_dict(tensors, strict=True)
    g.eval()
    toks = open(os.path.join(WORK, "gen.vocab.txt"), encoding="utf-8").read().split("\n")[:-1]
    toks = [t.replace("\\n", "\n").replace("\\r", "\r") for t in toks]
    cid = {t: i for i, t in enumerate(toks)}
    seed = "the "
    seed_ids = [cid[c] for c in seed if c in cid]
    n = 60
    with torch.no_grad():
        ours_text = seed + "".join(toks[i] for i in g.greedy(seed_ids, n))
    rn = run("generate", "sample", "-m", gen, "--prime", seed, "--length", str(n), "--argmax")
    rn = rn[:len(ours_text)]
    ok = rn == ours_text
    print(f"{'ok' if ok else 'FAIL'}: rnnkit -> torch, generator greedy {n} characters"
          + ("" if ok else f":\n  rnnkit: {rn!r}\n  torch:  {ours_text!r}"))
    if not ok:
        failures.append("generator")

    # 2. torch -> rnnkit
    vtxt = os.path.join(WORK, "vocab.txt")
    run("export", "--vocab", vocab_db, "--format", "vocab-txt", vtxt)
    vocab = read_vocab_txt(vtxt)
    V = len(vocab)
    ids, lengths = encode(texts, vocab)
    for cell, bidir, pool, layers, with_meta in [("gru", True, "mean", 2, True), ("lstm", False, "last", 1, False),
                                                 ("rnn", True, "max", 1, False)]:
        tag = f"torch-{cell}-{pool}-{'meta' if with_meta else 'config'}"
        net = Classifier(V, 10, 7, layers, cell, bidir, pool, 3)
        with torch.no_grad():  # wider weights than the default init, so outputs are not all near 1/3
            for p in net.parameters():
                p.mul_(3.0)
            net.embedding.weight[0].zero_()
        net.eval()
        st = os.path.join(WORK, f"{tag}.safetensors")
        labels = ["neg", "neutral", "pos"]
        cfg = {"task": "classify", "cell": cell, "embed": "10", "hidden": "7", "layers": str(layers),
               "bidirectional": "1" if bidir else "0", "pool": pool}
        if with_meta:
            write_safetensors(st, net.state_dict(), dict(cfg, labels=json.dumps(labels), vocab_size=str(V)))
            extra = []
        else:
            write_safetensors(st, net.state_dict())
            extra = ["--config", ",".join(f"{k}={v}" for k, v in cfg.items()), "--labels", ",".join(labels)]
        model = os.path.join(WORK, f"{tag}.db")
        run("import", "--format", "safetensors", st, "--vocab", vocab_db, "-o", model, *extra)
        with torch.no_grad():
            theirs = net(ids, lengths)
        compare(f"torch -> rnnkit, {tag}", rnnkit_probs(model, texts, labels), theirs)

    # 3. forecaster, both ways
    forecaster_round_trips()

    if failures:
        print(f"FAIL: {len(failures)} comparison(s) failed: {', '.join(failures)}")
        return 1
    print("PASS: all round trips agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
