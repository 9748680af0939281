#!/usr/bin/env python3
"""Writes the small corpora rnnkit ships under corpora/data/.

Everything here is generated from word lists and templates in this file,
with a fixed seed, so running it again gives the same bytes:

    python3 corpora/make_corpora.py            # writes corpora/data/
    python3 corpora/make_corpora.py --out DIR  # somewhere else

Standard library only; any python3 (3.6+). Outputs (see docs/corpora.md):

  sentiment/train.tsv, test.tsv    English review sentences, pos/neg, balanced
  sentiment/train.ft               train.tsv as fastText lines
  sentiment/docs/{pos,neg}/NNNN.txt  the first train rows, one file each
  sentiment_zh/train.tsv, test.tsv Chinese hotel/product reviews, pos/neg
  text/verse.txt                   verse-like English with SPEAKER: headings
  text/poems_zh.txt                Chinese 5- and 7-character couplets
  text/repeat.txt                  one short passage repeated
  series/shop_sales.csv            monthly sales of a shop, 2006-2020: trend,
                                   a yearly season, noise (Month,Sales,Visitors)
  bad/                             hostile files for the reader tests
"""

import argparse
import os
import random

SEED = 20240611

# --------------------------------------------------------------- English

EN_NOUNS = [
    "movie", "film", "story", "plot", "script", "cast", "acting", "ending",
    "soundtrack", "music", "dialogue", "pacing", "camera work", "lead actor",
    "villain", "humour", "sequel", "first half", "final act", "set design",
    "costumes", "screenplay", "direction", "twist", "score", "editing",
]
EN_POS_ADJ = [
    "good", "great", "wonderful", "brilliant", "moving", "charming", "fun",
    "clever", "beautiful", "gripping", "excellent", "delightful", "superb",
    "touching", "funny", "fresh", "lovely", "solid", "smart", "warm",
]
EN_NEG_ADJ = [
    "bad", "awful", "boring", "dull", "terrible", "weak", "clumsy", "silly",
    "tedious", "messy", "flat", "lifeless", "poor", "painful", "stale",
    "forgettable", "sloppy", "cheap", "confusing", "annoying",
]
EN_INTENS = ["very", "really", "quite", "truly", "so", "rather", "incredibly",
             "pretty", "absolutely", "genuinely"]
# (past, base) forms
EN_POS_VERB = [("loved", "love"), ("enjoyed", "enjoy"), ("adored", "adore"),
               ("liked", "like"), ("admired", "admire"), ("savoured", "savour")]
EN_NEG_VERB = [("hated", "hate"), ("disliked", "dislike"), ("regretted", "regret"),
               ("resented", "resent"), ("loathed", "loathe"), ("despised", "despise")]
EN_POS_END = ["i would watch it again", "highly recommended", "worth every minute",
              "a real treat", "ten out of ten", "go and see it",
              "i smiled all the way home"]
EN_NEG_END = ["i want my money back", "not recommended", "a waste of time",
              "skip this one", "two out of ten", "i nearly walked out",
              "i fell asleep halfway"]
EN_NOISE = ["honestly", "to be fair", "overall", "i think", "by the way",
            "on sunday", "with my sister", "after dinner", "last night",
            "in the cinema", "at home", "for what it is worth", "again",
            "frankly", "in my opinion", "with popcorn"]


def en_clause(rng, pol):
    """One clause whose sentiment is `pol` ('pos' or 'neg')."""
    good, bad = (EN_POS_ADJ, EN_NEG_ADJ) if pol == "pos" else (EN_NEG_ADJ, EN_POS_ADJ)
    noun = rng.choice(EN_NOUNS)
    k = rng.randrange(7)
    if k == 0:
        return "the %s was %s %s" % (noun, rng.choice(EN_INTENS), rng.choice(good))
    if k == 1:  # negation flips the adjective
        return "the %s was not %s" % (noun, rng.choice(bad))
    if k == 2:
        return "a %s %s" % (rng.choice(good), noun)
    if k == 3:
        verbs = EN_POS_VERB if pol == "pos" else EN_NEG_VERB
        return "i %s the %s" % (rng.choice(verbs)[0], noun)
    if k == 4:  # "did not" + the opposite verb
        verbs = EN_NEG_VERB if pol == "pos" else EN_POS_VERB
        return "i did not %s the %s" % (rng.choice(verbs)[1], noun)
    if k == 5:
        return "the %s is %s and %s" % (noun, rng.choice(good), rng.choice(good))
    return "the %s felt %s" % (noun, rng.choice(good))


def en_sentence(rng, pol):
    other = "neg" if pol == "pos" else "pos"
    k = rng.randrange(5)
    if k == 0:
        s = en_clause(rng, pol)
    elif k == 1:  # contrast: the clause after "but" carries the label
        s = "%s, but %s" % (en_clause(rng, other), en_clause(rng, pol))
    elif k == 2:
        s = "%s and %s" % (en_clause(rng, pol), en_clause(rng, pol))
    elif k == 3:
        s = "%s. %s" % (en_clause(rng, pol), rng.choice(EN_POS_END if pol == "pos" else EN_NEG_END))
    else:
        s = "%s, %s" % (rng.choice(EN_POS_END if pol == "pos" else EN_NEG_END), en_clause(rng, pol))
    if rng.random() < 0.35:  # noise words that carry no sentiment
        noise = rng.choice(EN_NOISE)
        s = "%s, %s" % (noise, s) if rng.random() < 0.5 else "%s %s" % (s, noise)
    return s + rng.choice([".", ".", "!", ""])


# --------------------------------------------------------------- Chinese

ZH_SUBJ = ["房间", "服务", "酒店", "早餐", "位置", "价格", "质量", "手机", "电池",
           "屏幕", "快递", "包装", "床", "环境", "前台", "卫生间", "空调", "耳机",
           "味道", "客服", "网速", "设计"]
ZH_POS = ["好", "干净", "舒服", "方便", "热情", "满意", "不错", "实惠", "漂亮", "快",
          "安静", "好用", "清楚", "周到"]
ZH_NEG = ["差", "脏", "吵", "贵", "慢", "旧", "糟糕", "难用", "失望", "一般", "麻烦"]
# adjectives that "不" turns into the other polarity
ZH_NEGATABLE_POS = ["好", "干净", "舒服", "方便", "热情", "满意", "实惠", "安静", "好用", "清楚"]
ZH_NEGATABLE_NEG = ["贵", "吵", "脏", "慢", "旧", "差"]
ZH_INTENS = ["很", "非常", "特别", "挺", "真", "十分", "相当"]
ZH_POS_END = ["下次还会再来", "推荐购买", "值得推荐", "五星好评", "物超所值", "会再买"]
ZH_NEG_END = ["再也不来了", "不推荐", "不会再买", "差评", "退货了", "后悔了"]
ZH_NOISE = ["说实话", "总的来说", "这次", "我觉得", "其实", "周末", "出差时", "朋友说"]


def zh_clause(rng, pol):
    good = ZH_POS if pol == "pos" else ZH_NEG
    flip = ZH_NEGATABLE_NEG if pol == "pos" else ZH_NEGATABLE_POS
    subj = rng.choice(ZH_SUBJ)
    k = rng.randrange(4)
    if k == 0:
        return subj + rng.choice(ZH_INTENS) + rng.choice(good)
    if k == 1:
        return subj + "不" + rng.choice(flip)
    if k == 2:
        return subj + "有点" + rng.choice(ZH_NEG) if pol == "neg" else subj + "还算" + rng.choice(ZH_POS)
    return subj + rng.choice(good)


def zh_sentence(rng, pol):
    other = "neg" if pol == "pos" else "pos"
    ends = ZH_POS_END if pol == "pos" else ZH_NEG_END
    k = rng.randrange(4)
    if k == 0:
        s = zh_clause(rng, pol) + "。"
    elif k == 1:
        s = zh_clause(rng, other) + "，但是" + zh_clause(rng, pol) + "。"
    elif k == 2:
        s = zh_clause(rng, pol) + "，" + zh_clause(rng, pol) + "。"
    else:
        s = zh_clause(rng, pol) + "，" + rng.choice(ends) + rng.choice(["。", "！"])
    if rng.random() < 0.3:
        s = rng.choice(ZH_NOISE) + "，" + s
    return s


# ------------------------------------------------------------ datasets

def balanced(rng, make, n, seen):
    """n distinct (label, text) pairs, half pos, half neg, shuffled; every
    text is also new with respect to `seen` (which is updated)."""
    rows = []
    for pol in ("pos", "neg"):
        got = 0
        while got < n // 2:
            s = make(rng, pol)
            if s in seen:
                continue
            seen[s] = pol
            rows.append((pol, s))
            got += 1
    rng.shuffle(rows)
    return rows


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


def tsv(rows):
    return "".join("%s\t%s\n" % r for r in rows)


# --------------------------------------------------------------- verse

SPEAKERS = ["THALMIR", "VESPERINE", "CORWEN", "LISANDRE", "MAUDRIC", "ELSPETH",
            "GARROW", "ISOLTH", "BRANNOCK", "FIRST WARDEN", "OLD NURSE"]
V_NOUNS = ["heart", "night", "crown", "sword", "river", "moon", "hand", "grave",
           "rose", "tower", "sea", "king", "maid", "storm", "field", "star", "wine",
           "gate", "candle", "winter", "blood", "bell", "song", "dawn", "oath"]
V_ADJS = ["sweet", "cold", "bright", "fair", "dark", "proud", "gentle", "bitter",
          "silent", "golden", "wild", "weary", "noble", "false", "pale", "young"]
V_VERBS = ["doth weep", "shall fall", "hath sworn", "doth burn", "must wake",
           "will rise", "doth sleep", "hath fled", "shall sing", "doth wait",
           "would break", "may yet return"]
V_OPEN = ["O", "Alas,", "Hark,", "Nay,", "Good sir,", "My lord,", "Come,", "Lo,",
          "Fie,", "Peace,", "Soft,", "Why,"]
V_TAILS = ["upon the {n}", "beneath the {a} {n}", "before the {n} of morn",
           "within my {n}", "for thee alone", "and all is {a}", "as the {n} doth {v2}",
           "till {n} and {n2} be one", "by yonder {a} {n}", "ere the {n} is done"]
V_V2 = ["fade", "turn", "mourn", "shine", "yield", "drown", "bloom"]


def verse_line(rng):
    n, n2 = rng.choice(V_NOUNS), rng.choice(V_NOUNS)
    head = "%s the %s %s %s" % (rng.choice(V_OPEN), rng.choice(V_ADJS), n, rng.choice(V_VERBS))
    if head.startswith("O ") and rng.random() < 0.5:
        head = "O %s %s, thou %s" % (rng.choice(V_ADJS), n, rng.choice(["art mine", "art gone", "hast spoken", "dost lie"]))
    tail = rng.choice(V_TAILS).format(n=rng.choice(V_NOUNS), n2=n2, a=rng.choice(V_ADJS),
                                      v2=rng.choice(V_V2))
    return "%s %s" % (head, tail)


def verse(rng, target_bytes):
    out = []
    size = 0
    while size < target_bytes:
        who = rng.choice(SPEAKERS)
        lines = [verse_line(rng) for _ in range(rng.randrange(2, 6))]
        body = ",\n".join(lines) + rng.choice([".", "!", "?"])
        block = "%s:\n%s\n\n" % (who, body)
        out.append(block)
        size += len(block.encode("utf-8"))
    return "".join(out)


# --------------------------------------------------------------- poems

ZH_POEM_PAIRS = ["明月", "青山", "白云", "春风", "流水", "孤舟", "落花", "归雁", "秋霜",
                 "寒江", "故乡", "长亭", "夕阳", "远山", "细雨", "清泉", "松林", "烟波",
                 "钟声", "渔火", "柳色", "梅香", "星河", "晚霞"]
ZH_POEM_VERBS = ["照", "入", "随", "满", "过", "落", "生", "送", "望", "听", "归", "映",
                 "绕", "留", "起", "尽"]
ZH_POEM_MOD = ["千里", "万重", "一夜", "几回", "独自", "不知", "何处", "依旧", "年年",
               "无声", "初见", "空山"]
ZH_POEM_END = ["情", "心", "人", "声", "时", "愁", "梦", "天", "舟", "家", "秋", "春"]


def poem_half(rng, n):
    """n (5 or 7) characters: [mod(2)] noun(2) verb(1) noun-ish(1..2) end(1)."""
    a = rng.choice(ZH_POEM_PAIRS)
    b = rng.choice(ZH_POEM_PAIRS)
    v = rng.choice(ZH_POEM_VERBS)
    e = rng.choice(ZH_POEM_END)
    if n == 5:
        s = a + v + b[0] + e
    else:
        s = rng.choice(ZH_POEM_MOD) + a + v + b[0] + e
    assert len(s) == n
    return s


def poems(rng, target_bytes):
    out = []
    size = 0
    while size < target_bytes:
        n = rng.choice([5, 7])
        lines = ["%s，%s。" % (poem_half(rng, n), poem_half(rng, n)) for _ in range(2)]
        block = "\n".join(lines) + "\n\n"
        out.append(block)
        size += len(block.encode("utf-8"))
    return "".join(out)


REPEAT = ("The lamplighter walks the harbour road at dusk, counting ships by "
          "their masts: three from the north with grey sails, two from the south "
          "with red ones. He lights the lamps one by one and hums the same old "
          "tune, and when the last lamp burns he turns for home, where the kettle "
          "sings and the cat waits by the door.\n")

# ----------------------------------------------------------------- bad


def bad_files(out):
    """Hostile inputs; the offsets are stated in docs/corpora.md and used by
    tests/test_corpus.c."""
    d = os.path.join(out, "bad")
    # invalid UTF-8: line 3 holds a lone continuation byte 0x80
    head = b"pos\tgood film\nneg\tbad film\npos\tfine "
    write(os.path.join(d, "bad_utf8.tsv"), head + b"\x80 film\nneg\tdull\n")
    assert len(head) == 36  # the 0x80 sits at byte offset 36, on line 3
    write(os.path.join(d, "nul.tsv"), b"pos\tgood film\nneg\tbad\x00film\n")
    write(os.path.join(d, "no_tab.tsv"), b"pos\tgood film\nneg bad film\npos\tnice\n")
    write(os.path.join(d, "empty_label.tsv"), b"pos\tgood film\n\tno label here\n")
    write(os.path.join(d, "empty_text.tsv"), b"pos\tgood film\nneg\tdull\npos\t   \n")
    write(os.path.join(d, "empty.tsv"), b"")
    write(os.path.join(d, "whitespace.tsv"), b"  \n\t\n\r\n   \t  \n")
    # must load fine: BOM, CRLF line ends, a blank line
    write(os.path.join(d, "crlf_bom.tsv"),
          b"\xef\xbb\xbfpos\tgood film\r\n\r\nneg\tbad film\r\npos\tnice one\r\n")
    write(os.path.join(d, ".gitattributes"), b"* -text -diff\n")


# ---------------------------------------------------------------- main

def shop_sales(rng):
    """Monthly sales: a slow trend, a yearly season (busy Decembers, quiet
    Februaries), noise; visitors follow sales. 180 rows, CSV as spreadsheets
    write it (quoted dates, CRLF)."""
    import math
    season = [0.80, 0.70, 0.90, 0.95, 1.00, 1.05, 1.00, 0.95, 1.00, 1.05, 1.20, 1.60]
    rows = ['"Month","Sales","Visitors"']
    for i in range(180):
        level = 200.0 + 1.5 * i
        sales = level * season[i % 12] * (1.0 + rng.gauss(0.0, 0.04))
        visitors = 12.0 * sales * (1.0 + rng.gauss(0.0, 0.05)) + 30.0 * math.sin(i / 7.0)
        rows.append('"%04d-%02d",%.1f,%d' % (2006 + i // 12, i % 12 + 1, sales, round(visitors)))
    return "\r\n".join(rows) + "\r\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "data"))
    args = ap.parse_args()
    out = args.out
    rng = random.Random(SEED)

    seen = {}
    train = balanced(rng, en_sentence, 2000, seen)
    test = balanced(rng, en_sentence, 400, seen)
    write(os.path.join(out, "sentiment", "train.tsv"), tsv(train))
    write(os.path.join(out, "sentiment", "test.tsv"), tsv(test))
    write(os.path.join(out, "sentiment", "train.ft"),
          "".join("__label__%s %s\n" % r for r in train))
    per = {"pos": 0, "neg": 0}
    for pol, text in train:
        if per[pol] == 20:
            continue
        per[pol] += 1
        write(os.path.join(out, "sentiment", "docs", pol, "%04d.txt" % per[pol]), text + "\n")

    seen_zh = {}
    train_zh = balanced(rng, zh_sentence, 1000, seen_zh)
    test_zh = balanced(rng, zh_sentence, 200, seen_zh)
    write(os.path.join(out, "sentiment_zh", "train.tsv"), tsv(train_zh))
    write(os.path.join(out, "sentiment_zh", "test.tsv"), tsv(test_zh))

    write(os.path.join(out, "text", "verse.txt"), verse(rng, 34000))
    write(os.path.join(out, "text", "poems_zh.txt"), poems(rng, 24000))
    write(os.path.join(out, "text", "repeat.txt"), REPEAT * 6)
    bad_files(out)
    # its own stream, so the files above stay as they were
    write(os.path.join(out, "series", "shop_sales.csv"), shop_sales(random.Random(SEED + 1)))


if __name__ == "__main__":
    main()
