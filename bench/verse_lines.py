#!/usr/bin/env python3
"""bench/verse_lines.py: how much of a sampled text is regular Tang verse.

Reads UTF-8 text on stdin (a sample from `rnnkit generate sample`), cuts it
into lines, drops the first (it holds the seed) and the last (it may be cut
short by --length), and counts a line as well-formed when it is made of an
even number of clauses, each closed by Chinese punctuation (，。？！；),
all of 5 characters or all of 7, and it ends with 。, ？ or ！.
Prints one summary line, then each line with its verdict.
Standard library only: any python3.
"""
import sys

PUNCT = "，。？！；"
END = "。？！"


def clauses(line):
    out, cur = [], ""
    for ch in line:
        if ch in PUNCT:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out, cur


def well_formed(line):
    line = line.strip()
    if not line or line[-1] not in END:
        return False
    parts, rest = clauses(line)
    if rest or len(parts) < 2 or len(parts) % 2:
        return False
    n = len(parts[0])
    return n in (5, 7) and all(len(p) == n for p in parts)


def main():
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"invalid UTF-8 at byte {e.start}")
        return 1
    lines = text.split("\n")[1:-1]
    good = sum(well_formed(l) for l in lines)
    print(f"valid UTF-8; complete lines {len(lines)}, well-formed {good}")
    for l in lines:
        print(("ok   " if well_formed(l) else "bad  ") + l)
    return 0


if __name__ == "__main__":
    sys.exit(main())
