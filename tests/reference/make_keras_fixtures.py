#!/usr/bin/python3
"""Writes tests/reference/keras/*.txt: what Keras's pad_sequences and
Tokenizer give on small inputs, for tests/test_vocab.c to compare with.

Run with Debian's python3-keras-preprocessing:
    /usr/bin/python3 tests/reference/make_keras_fixtures.py
The output is committed; rerun only to regenerate it.

pad_sequences.txt
    seq IDS...                       the input sequences, in order (may be empty)
    case MAXLEN PADDING TRUNCATING VALUE
    IDS...                           one row per input sequence
tokenizer.txt  (Tokenizer(oov_token='<unk>'), ids agree with rnnkit's:
               0 padding, 1 <unk>, then by count; the corpus puts tied words
               first in byte order, so Keras's first-seen tie order is ours)
    text LINE                        the corpus, one document per line
    index WORD ID                    word_index (the <unk> entry left out)
    num_words N                      then one seq line per text line
    seq IDS...
"""
import os
import random

import keras_preprocessing
from keras_preprocessing.sequence import pad_sequences
from keras_preprocessing.text import Tokenizer

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras")


def write_pad(path):
    seqs = [[1, 2, 3, 4, 5], [7], [], [9, 8, 7, 6, 5, 4, 3, 2], [4, 4, 4]]
    with open(path, "w") as f:
        f.write("# keras_preprocessing %s pad_sequences\n" % keras_preprocessing.__version__)
        for s in seqs:
            f.write("seq %s\n" % " ".join(map(str, s)))
        for maxlen in (1, 3, 5, 10):
            for padding in ("pre", "post"):
                for truncating in ("pre", "post"):
                    for value in (0, -1):
                        out = pad_sequences(seqs, maxlen=maxlen, padding=padding,
                                            truncating=truncating, value=value)
                        f.write("case %d %s %s %d\n" % (maxlen, padding, truncating, value))
                        for row in out:
                            f.write("%s\n" % " ".join(str(int(x)) for x in row))


def write_tokenizer(path):
    rng = random.Random(7)
    words = sorted({"".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 6)))
                    for _ in range(60)})
    counts = {w: rng.choice([1, 1, 2, 2, 3, 5, 8]) for w in words}
    # first appearances in (count desc, word asc) order: Keras's stable sort
    # then breaks ties exactly as rnnkit does (by bytes).
    order = sorted(words, key=lambda w: (-counts[w], w))
    stream = list(order)
    rest = [w for w in order for _ in range(counts[w] - 1)]
    rng.shuffle(rest)
    stream += rest
    lines = []
    while stream:
        k = rng.randint(3, 9)
        lines.append(" ".join(stream[:k]))
        stream = stream[k:]
    tok = Tokenizer(oov_token="<unk>")
    tok.fit_on_texts(lines)
    index = sorted(tok.word_index.items(), key=lambda kv: kv[1])
    assert index[0] == ("<unk>", 1)
    for i, (w, ix) in enumerate(index[1:]):
        assert w == order[i] and ix == i + 2, (w, ix)
    probe = lines + ["zzz unknownword " + order[0], ""]
    with open(path, "w") as f:
        f.write("# keras_preprocessing %s Tokenizer(oov_token='<unk>')\n" % keras_preprocessing.__version__)
        for line in lines:
            f.write("text %s\n" % line)
        for w, ix in index[1:]:
            f.write("index %s %d\n" % (w, ix))
        for num_words in (None, 10, 25):
            tok.num_words = num_words
            f.write("num_words %d\n" % (num_words or 0))
            for s in tok.texts_to_sequences(probe):
                f.write("seq %s\n" % " ".join(map(str, s)))
        f.write("probe_end\n")


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    write_pad(os.path.join(HERE, "pad_sequences.txt"))
    write_tokenizer(os.path.join(HERE, "tokenizer.txt"))
