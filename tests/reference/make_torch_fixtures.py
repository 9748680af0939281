#!/usr/bin/python3
"""Writes the PyTorch reference fixtures for tests/test_parity.c.

Run with Debian's python3 (torch 1.13):  /usr/bin/python3 make_torch_fixtures.py [outdir]
Default outdir: tests/reference/fixtures next to this script. Deterministic
(fixed seeds); the files are committed, so the C test never needs torch.

Each case is one torch.nn.LSTM / GRU / RNN with 2 layers, bidirectional,
B=3 sequences of T=7 steps with ragged lengths (one full, two shorter). Torch
sees the real tokens only, through pack_padded_sequence, which is what our
masks mean. For post-padding, sequence b occupies steps [0, len_b); for
pre-padding, steps [T - len_b, T): torch runs on the un-padded sequences
and its outputs (and, through autograd, the input gradients) are placed
back at those steps.

The weights, inputs and loss weights are drawn in float32; the reference is
then computed in float64 from those exact values, so it is the true answer
rounded once to float32 and the C test compares against it at
|a - b| <= 1e-6 + 1e-5 |b| without torch's own float32 rounding in the way.

Loss: L = sum(y * r) + sum(h_n * q) (+ sum(c_n * s) for the LSTM).
Stored: the weights, x, mask, lengths, h0/c0 when given, r, q, s, the
outputs y, hn, cn, every gradient of L (weights, x, h0, c0), and the weights
after 3 steps of torch.optim.Adam(lr=1e-2) on L (the loss recomputed each
step).

File format (little-endian):
  magic "RNKF", u32 version (1),
  u32 cell (0 rnn, 1 lstm, 2 gru), E, H, L, D, T, B, prepad, has_h0,
  u32 ntensors, then per tensor:
  u32 name length, name bytes (no NUL), u32 ndim, u32 dims[ndim],
  float32 data (row-major).
"""
import copy
import os
import struct
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

MAGIC = b"RNKF"
VERSION = 1
CELLS = {"rnn": (0, torch.nn.RNN), "lstm": (1, torch.nn.LSTM), "gru": (2, torch.nn.GRU)}
E, H, L, D, T, B = 4, 5, 2, 2, 7, 3

# name, cell, pre-padding, h0 given, lengths
CASES = [
    ("lstm_post_h0", "lstm", False, True, [7, 4, 1]),
    ("lstm_pre", "lstm", True, False, [5, 7, 2]),
    ("gru_post", "gru", False, False, [3, 7, 5]),
    ("gru_pre_h0", "gru", True, True, [7, 1, 4]),
    ("rnn_post_h0", "rnn", False, True, [6, 2, 7]),
    ("rnn_pre", "rnn", True, False, [7, 6, 3]),
]


def to_torch_layout(x, lengths, prepad):
    """[T][B][C] in our layout -> post-padded [T][B][C] for pack_padded_sequence."""
    if not prepad:
        return x
    cols = []
    for b, n in enumerate(lengths):
        pad = x.new_zeros(T - n, x.shape[2])
        cols.append(torch.cat([x[T - n:, b], pad]))
    return torch.stack(cols, dim=1)


def to_our_layout(y, lengths, prepad):
    """Post-padded torch output [T][B][C] -> our layout."""
    if not prepad:
        return y
    cols = []
    for b, n in enumerate(lengths):
        pad = y.new_zeros(T - n, y.shape[2])
        cols.append(torch.cat([pad, y[:n, b]]))
    return torch.stack(cols, dim=1)


def run(module, cell, x, lengths, prepad, h0, c0, r, q, s):
    xt = to_torch_layout(x, lengths, prepad)
    packed = pack_padded_sequence(xt, torch.tensor(lengths), enforce_sorted=False)
    if cell == "lstm":
        state = None if h0 is None else (h0, c0)
        out, (hn, cn) = module(packed, state)
    else:
        out, hn = module(packed, h0)
        cn = None
    yt, _ = pad_packed_sequence(out, total_length=T)
    y = to_our_layout(yt, lengths, prepad)
    loss = (y * r).sum() + (hn * q).sum()
    if cn is not None:
        loss = loss + (cn * s).sum()
    return loss, y, hn, cn


def make_case(index, name, cell, prepad, has_h0, lengths):
    torch.manual_seed(20240 + index)
    code, cls = CELLS[cell]
    module32 = cls(E, H, num_layers=L, bidirectional=True)
    module = copy.deepcopy(module32).double()
    x = torch.randn(T, B, E)
    mask = torch.zeros(T, B)
    for b, n in enumerate(lengths):
        if prepad:
            mask[T - n:, b] = 1
        else:
            mask[:n, b] = 1
    x = x * mask[:, :, None]  # padded steps hold 0 (their values must not matter)
    h0 = torch.randn(L * D, B, H) if has_h0 else None
    c0 = torch.randn(L * D, B, H) if (has_h0 and cell == "lstm") else None
    r = torch.randn(T, B, D * H)
    q = torch.randn(L * D, B, H)
    s = torch.randn(L * D, B, H) if cell == "lstm" else None

    def dbl(t, grad=False):
        if t is None:
            return None
        return t.double().clone().requires_grad_(grad)

    x64, h064, c064 = dbl(x, True), dbl(h0, True), dbl(c0, True)
    loss, y, hn, cn = run(module, cell, x64, lengths, prepad, h064, c064, dbl(r), dbl(q), dbl(s))
    loss.backward()

    tensors = [("lengths", torch.tensor(lengths, dtype=torch.float32)), ("x", x), ("mask", mask)]
    if h0 is not None:
        tensors.append(("h0", h0))
    if c0 is not None:
        tensors.append(("c0", c0))
    tensors += [("r", r), ("q", q)]
    if s is not None:
        tensors.append(("s", s))
    for pname, p in module32.named_parameters():
        tensors.append(("rnn." + pname, p.detach()))
    tensors += [("y", y.detach()), ("hn", hn.detach())]
    if cn is not None:
        tensors.append(("cn", cn.detach()))
    for pname, p in module.named_parameters():
        tensors.append(("grad/rnn." + pname, p.grad))
    tensors.append(("grad/x", x64.grad))
    if h064 is not None:
        tensors.append(("grad/h0", h064.grad))
    if c064 is not None:
        tensors.append(("grad/c0", c064.grad))

    # Three Adam steps from the same starting weights.
    adam_module = copy.deepcopy(module32).double()
    opt = torch.optim.Adam(adam_module.parameters(), lr=1e-2)
    for _ in range(3):
        opt.zero_grad()
        loss, _, _, _ = run(adam_module, cell, dbl(x), lengths, prepad, dbl(h0), dbl(c0),
                            dbl(r), dbl(q), dbl(s))
        loss.backward()
        opt.step()
    for pname, p in adam_module.named_parameters():
        tensors.append(("adam3/rnn." + pname, p.detach()))

    head = struct.pack("<4s11I", MAGIC, VERSION, code, E, H, L, D, T, B, int(prepad),
                       int(has_h0), len(tensors))
    body = []
    for tname, t in tensors:
        t = t.detach().to(torch.float32).contiguous()
        nb = tname.encode()
        body.append(struct.pack("<I", len(nb)) + nb)
        body.append(struct.pack("<I", t.dim()) + struct.pack("<%dI" % t.dim(), *t.shape))
        body.append(t.numpy().astype("<f4").tobytes())
    return head + b"".join(body)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "fixtures")
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    for i, (name, cell, prepad, has_h0, lengths) in enumerate(CASES):
        data = make_case(i, name, cell, prepad, has_h0, lengths)
        path = os.path.join(outdir, name + ".bin")
        with open(path, "wb") as f:
            f.write(data)
        print("%s: %d bytes" % (path, len(data)))


if __name__ == "__main__":
    main()
