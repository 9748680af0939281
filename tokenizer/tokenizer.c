/*
 * tokenizer/tokenizer.c: UTF-8 text to tokens.
 *
 * Word level: a token is a maximal run of letters (L*), marks (M*) and
 * numbers (N*), with inner apostrophes (U+0027, U+2019) kept when a letter
 * follows ("don't", "l'homme"); each punctuation (P*) or symbol (S*) is its
 * own token, extended over its extended grapheme cluster so that an emoji ZWJ
 * sequence stays one token (dropped with drop_punct); separators (Z*) and
 * controls (Cc) split; format characters (Cf, e.g. ZWNJ) are kept inside a
 * word and dropped elsewhere. Every CJK ideograph, kana and Hangul syllable is
 * a token of its own (see is_cjk for the ranges).
 * With split_clitics, an apostrophe followed by an ASCII letter also starts a
 * word, and every word goes through emit_word: a word that is a clitic (n't
 * 's 're 've 'll 'd 'm) is one token, spelt with U+0027; a word ending in
 * clitics loses them to tokens of their own ("don't" -> do n't, "can't" ->
 * ca n't as the Penn Treebank has it, "wouldn't've" -> would n't 've); any
 * other leading apostrophe is punctuation, as without the option.
 * Character level: one token per extended grapheme cluster (UAX #29, via
 * utf8proc_grapheme_break_stateful); "\r\n" is the token "\n".
 *
 * Normalisation (NFC / NFKC, UAX #15) and case folding go through utf8proc,
 * but only for stretches that hold non-ASCII bytes: NFKC and NFC leave ASCII
 * unchanged, and ASCII case folding is a table. Text is cut into runs at
 * ASCII white space (word level) or newlines (char level) and each run is
 * normalised on its own into reused buffers: memory is bounded by the longest
 * run, itself capped at RUN_CAP bytes (a cut is made before a starter, never
 * inside a combining sequence), so a 100 MB line streams in constant memory.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "rnnkit/tokenizer.h"

#define RUN_CAP (64 * 1024)

struct rnnkit_tokenizer {
    rnnkit_tok_config cfg;
    utf8proc_option_t uopt;   /* decomposition options, 0 when no utf8proc pass is needed */
    int32_t *cps;             /* decoded run */
    size_t cps_cap;
    int32_t *norm;            /* normalised run */
    size_t norm_cap;
    char *tok;                /* token bytes */
    size_t tok_cap;
    uint64_t invalid;         /* replaced or skipped sequences */
    /* for messages: where the text starts in its source */
    uint64_t origin_line;     /* 0: unknown */
    uint64_t origin_offset;
};

void rnnkit_tok_config_default(rnnkit_tok_config *cfg, rnnkit_level level)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->level = level;
    cfg->invalid = RNNKIT_INVALID_ERROR;
    if (level == RNNKIT_LEVEL_WORD) {
        cfg->normalize = RNNKIT_NORM_NFKC;
        cfg->lowercase = 1;
    } else {
        cfg->normalize = RNNKIT_NORM_NONE;
        cfg->lowercase = 0;
    }
}

rnnkit_status rnnkit_tokenizer_new(const rnnkit_tok_config *cfg, rnnkit_tokenizer **out, rnnkit_error *err)
{
    *out = NULL;
    if (cfg->level != RNNKIT_LEVEL_WORD && cfg->level != RNNKIT_LEVEL_CHAR)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "tokenizer: unknown level %d", (int)cfg->level);
    if (cfg->normalize < RNNKIT_NORM_NONE || cfg->normalize > RNNKIT_NORM_NFKC)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "tokenizer: unknown normalisation %d", (int)cfg->normalize);
    if (cfg->invalid < RNNKIT_INVALID_ERROR || cfg->invalid > RNNKIT_INVALID_SKIP)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "tokenizer: unknown invalid-UTF-8 rule %d", (int)cfg->invalid);
    rnnkit_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the tokenizer");
    t->cfg = *cfg;
    utf8proc_option_t o = 0;
    if (cfg->normalize == RNNKIT_NORM_NFC)
        o |= UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    else if (cfg->normalize == RNNKIT_NORM_NFKC)
        o |= UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
    if (cfg->lowercase)
        o |= UTF8PROC_CASEFOLD | (cfg->normalize == RNNKIT_NORM_NONE ? 0 : 0);
    t->uopt = o;
    *out = t;
    return RNNKIT_OK;
}

void rnnkit_tokenizer_free(rnnkit_tokenizer *t)
{
    if (!t)
        return;
    free(t->cps);
    free(t->norm);
    free(t->tok);
    free(t);
}

uint64_t rnnkit_tokenizer_invalid_count(const rnnkit_tokenizer *t)
{
    return t->invalid;
}

void rnnkit_tokenizer_set_origin(rnnkit_tokenizer *t, uint64_t line, uint64_t offset)
{
    t->origin_line = line;
    t->origin_offset = offset;
}

/* ---------------------------------------------------------------------- */

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *p = realloc(*buf, c * elem);
    if (!p)
        return -1;
    *buf = p;
    *cap = c;
    return 0;
}

/* CJK ideographs, kana and Hangul syllables: one token each at word level. */
static int is_cjk(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) ||   /* CJK Unified Ideographs */
           (c >= 0x3400 && c <= 0x4DBF) ||   /* Extension A */
           (c >= 0x20000 && c <= 0x323AF) || /* Extensions B-H (planes 2-3) */
           (c >= 0xF900 && c <= 0xFAFF) ||   /* Compatibility Ideographs */
           (c >= 0x2F800 && c <= 0x2FA1F) || /* Compatibility Supplement */
           (c >= 0x3005 && c <= 0x3007) ||   /* 々 〆 〇 */
           (c >= 0x3040 && c <= 0x309F) ||   /* Hiragana */
           (c >= 0x30A0 && c <= 0x30FF) ||   /* Katakana */
           (c >= 0x31F0 && c <= 0x31FF) ||   /* Katakana Phonetic Extensions */
           (c >= 0xFF66 && c <= 0xFF9D) ||   /* Half-width Katakana (when not NFKC-folded) */
           (c >= 0xAC00 && c <= 0xD7A3);     /* Hangul Syllables */
}

enum cls { C_WORD, C_CJK, C_APOS, C_PUNCT, C_SPACE, C_FORMAT };

static enum cls classify(int32_t c)
{
    if (c < 0x80) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return C_WORD;
        if (c == '\'')
            return C_APOS;
        if (c <= ' ' || c == 0x7F)
            return C_SPACE;
        return C_PUNCT;
    }
    if (c == 0x2019)
        return C_APOS;
    if (is_cjk(c))
        return C_CJK;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return C_WORD;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_CS:
        return C_SPACE;
    case UTF8PROC_CATEGORY_CF:
        return C_FORMAT;
    default:
        return C_PUNCT; /* P*, S*, Co */
    }
}

static int is_letter(int32_t c)
{
    enum cls k = classify(c);
    return k == C_WORD || k == C_CJK;
}

static int is_ascii_letter(int32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---------------------------------------------------------------------- */
/* Emitting */

typedef struct emitter {
    rnnkit_tokenizer *t;
    rnnkit_token_fn fn;
    void *ctx;
    int stop;
    /* cjk_bigrams: the CJK character that ended the previous run when the
     * text went on without a space (a run cut at RUN_CAP), else -1 */
    int32_t carry;
} emitter;

static int emit_bytes(emitter *e, const char *s, size_t n)
{
    if (e->stop || n == 0)
        return e->stop;
    if (e->fn(e->ctx, s, n))
        e->stop = 1;
    return e->stop;
}

/* Encodes cps[0..n) to UTF-8 in t->tok; *len receives the byte count.
 * -1: out of memory. */
static int encode_cps(rnnkit_tokenizer *t, const int32_t *cps, size_t n, size_t *len)
{
    if (grow((void **)&t->tok, &t->tok_cap, n * 4 + 1, 1))
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)utf8proc_encode_char(cps[i], (utf8proc_uint8_t *)t->tok + k);
    *len = k;
    return 0;
}

/* Encodes cps[0..n) to UTF-8 in t->tok and emits it. -1: out of memory. */
static int emit_cps(emitter *e, const int32_t *cps, size_t n)
{
    size_t len;
    if (encode_cps(e->t, cps, n, &len))
        return -1;
    return emit_bytes(e, e->t->tok, len);
}

/* English clitics (split_clitics). They are matched on a word's UTF-8 bytes,
 * after normalisation and case folding, so that the ASCII fast path and the
 * Unicode path share one rule. */

#define CLITIC_MAX 4       /* bytes of a clitic as emitted ("'ll"), with room to spare */
#define CLITIC_BYTES_MAX 5 /* bytes of a clitic as written ("n’t", "’ll") */

/* Bytes of the apostrophe (U+0027, or U+2019 in UTF-8) at the start of
 * s[0..n); 0 when there is none. */
static size_t apostrophe_at(const char *s, size_t n)
{
    if (n >= 1 && s[0] == '\'')
        return 1;
    if (n >= 3 && !memcmp(s, "\xE2\x80\x99", 3))
        return 3;
    return 0;
}

/* When s[0..n) is exactly one clitic (n't 's 're 've 'll 'd 'm, ASCII letters
 * in any case, either apostrophe), writes it to out with U+0027 and the
 * letters' own case ("N’T" -> "N'T") and returns its length; else 0. */
static size_t clitic_norm(const char *s, size_t n, char out[CLITIC_MAX])
{
    static const char *const tails[] = {"s", "re", "ve", "ll", "d", "m"};
    size_t a;
    if (n > 0 && (s[0] | 32) == 'n') { /* (c | 32) == letter: that ASCII letter in either case */
        a = apostrophe_at(s + 1, n - 1);
        if (!a || n != a + 2 || (s[a + 1] | 32) != 't')
            return 0;
        out[0] = s[0];
        out[1] = '\'';
        out[2] = s[a + 1];
        return 3;
    }
    a = apostrophe_at(s, n);
    if (!a)
        return 0;
    const char *l = s + a;
    size_t m = n - a;
    for (size_t k = 0; k < sizeof tails / sizeof tails[0]; k++) {
        if (strlen(tails[k]) != m || (l[0] | 32) != tails[k][0] || (m == 2 && (l[1] | 32) != tails[k][1]))
            continue;
        out[0] = '\'';
        memcpy(out + 1, l, m);
        return m + 1;
    }
    return 0;
}

/* Where the clitic that ends the word s[0..n) starts: a byte offset > 0 (the
 * word keeps at least one byte), or 0 when it ends in none. Only one length
 * can match, and a clitic starts with 'n', 'N', '\'' or U+2019's lead byte,
 * never inside a code point. */
static size_t clitic_start(const char *s, size_t n)
{
    char tmp[CLITIC_MAX];
    for (size_t k = n > CLITIC_BYTES_MAX ? n - CLITIC_BYTES_MAX : 1; k + 2 <= n; k++)
        if (clitic_norm(s + k, n - k, tmp))
            return k;
    return 0;
}

int rnnkit_tok_is_clitic(const char *tok, size_t len)
{
    char tmp[CLITIC_MAX];
    return tok && clitic_norm(tok, len, tmp) > 0;
}

/* Emits s[0..n) as it is or, when it is a clitic, spelt with U+0027. */
static int emit_piece(emitter *e, const char *s, size_t n)
{
    char cl[CLITIC_MAX];
    size_t m = clitic_norm(s, n, cl);
    return m ? emit_bytes(e, cl, m) : emit_bytes(e, s, n);
}

/* Emits the word s[0..n) (its bytes may be t->tok's): as it is, or under
 * split_clitics as described at the top of this file. Returns 1 when the
 * caller stopped the tokenizer, else 0 (it allocates nothing). */
static int emit_word(emitter *e, const char *s, size_t n)
{
    if (!e->t->cfg.split_clitics)
        return emit_bytes(e, s, n);
    if (rnnkit_tok_is_clitic(s, n)) /* standing alone, as Penn Treebank text writes it */
        return emit_piece(e, s, n);
    size_t a = apostrophe_at(s, n);
    if (a) { /* "'tis", "'em": the apostrophe is punctuation, the rest a word */
        if (!e->t->cfg.drop_punct && emit_bytes(e, s, a))
            return 1;
        s += a;
        n -= a;
    }
    /* Peel clitics off the end ("wouldn't've": 've, then n't) down to c,
     * where the word proper ends. */
    size_t c = n, p;
    while ((p = clitic_start(s, c)) > 0)
        c = p;
    if (emit_piece(e, s, c)) /* the word, or a clitic left ("'n’t" -> ' n't) */
        return 1;
    /* s[c..n) is clitics end to end; no clitic is the start of another, so
     * each one's length is the only one that matches at its start. */
    for (p = c; p < n;) {
        size_t len = 2;
        while (len < CLITIC_BYTES_MAX && len < n - p && !rnnkit_tok_is_clitic(s + p, len))
            len++;
        if (emit_piece(e, s + p, len))
            return 1;
        p += len;
    }
    return 0;
}

/* Encodes the word cps[0..n) to UTF-8 in t->tok and emits it through
 * emit_word. -1: out of memory. */
static int emit_word_cps(emitter *e, const int32_t *cps, size_t n)
{
    size_t len;
    if (encode_cps(e->t, cps, n, &len))
        return -1;
    return emit_word(e, e->t->tok, len);
}

/* Word segmentation of normalised codepoints. Returns -1 on OOM, 1 stop, 0. */
static int segment_words(emitter *e, const int32_t *c, size_t n)
{
    const int drop = e->t->cfg.drop_punct, clitics = e->t->cfg.split_clitics;
    size_t start = 0, i = 0;
    int in_word = 0;
    while (i < n) {
        enum cls k = classify(c[i]);
        if (k == C_WORD || (k == C_FORMAT && in_word) ||
            (k == C_APOS && in_word && i + 1 < n && is_letter(c[i + 1]) && classify(c[i + 1]) != C_CJK) ||
            (k == C_APOS && !in_word && clitics && i + 1 < n && is_ascii_letter(c[i + 1]))) {
            if (!in_word) {
                start = i;
                in_word = 1;
            }
            i++;
            continue;
        }
        if (in_word) {
            int r = emit_word_cps(e, c + start, i - start);
            if (r)
                return r;
            in_word = 0;
        }
        if (k == C_CJK) {
            int r = 0;
            if (i == 0 && e->carry >= 0) {
                const int32_t pair[2] = {e->carry, c[0]};
                r = emit_cps(e, pair, 2);
            }
            if (!r)
                r = emit_cps(e, c + i, 1);
            if (!r && e->t->cfg.cjk_bigrams && i + 1 < n && classify(c[i + 1]) == C_CJK)
                r = emit_cps(e, c + i, 2);
            if (r)
                return r;
            i++;
        } else if (k == C_PUNCT || k == C_APOS) {
            /* the symbol and the rest of its grapheme cluster (ZWJ, VS, skin tone) */
            size_t j = i + 1;
            utf8proc_int32_t state = 0;
            while (j < n && !utf8proc_grapheme_break_stateful(c[j - 1], c[j], &state))
                j++;
            if (!drop) {
                int r = emit_cps(e, c + i, j - i);
                if (r)
                    return r;
            }
            i = j;
        } else {
            i++; /* space, or a format character outside a word */
        }
    }
    e->carry = n > 0 && e->t->cfg.cjk_bigrams && classify(c[n - 1]) == C_CJK ? c[n - 1] : -1;
    if (in_word)
        return emit_word_cps(e, c + start, n - start);
    return 0;
}

/* ASCII fast path for a run of printable ASCII (no spaces) at word level. */
static int segment_ascii_words(emitter *e, const char *s, size_t n)
{
    rnnkit_tokenizer *t = e->t;
    const int drop = t->cfg.drop_punct, lower = t->cfg.lowercase, clitics = t->cfg.split_clitics;
    if (grow((void **)&t->tok, &t->tok_cap, n + 1, 1))
        return -1;
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        /* split_clitics: "'s" may be a clitic standing alone (emit_word decides) */
        if (alnum || (clitics && ch == '\'' && i + 1 < n && is_ascii_letter((unsigned char)s[i + 1]))) {
            size_t len = 0;
            while (i < n) {
                ch = (unsigned char)s[i];
                if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
                    t->tok[len++] = (char)ch;
                else if (ch >= 'A' && ch <= 'Z')
                    t->tok[len++] = (char)(lower ? ch + 32 : ch);
                else if (ch == '\'' && i + 1 < n &&
                         (((unsigned char)s[i + 1] | 32) >= 'a' && ((unsigned char)s[i + 1] | 32) <= 'z'))
                    t->tok[len++] = '\'';
                else
                    break;
                i++;
            }
            if (emit_word(e, t->tok, len))
                return 1;
        } else {
            if (!drop && emit_bytes(e, s + i, 1))
                return 1;
            i++;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Decoding with the invalid-UTF-8 rule */

/* Decodes s[0..n) into t->cps (U+FFFD or nothing for invalid sequences).
 * Returns 0, -1 (OOM) or -2 (invalid under ERROR; *bad = its offset in s). */
static int decode_run(rnnkit_tokenizer *t, const char *s, size_t n, size_t *count, size_t *bad)
{
    if (grow((void **)&t->cps, &t->cps_cap, n + 1, sizeof(int32_t)))
        return -1;
    size_t k = 0, i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x80) {
            t->cps[k++] = ch;
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t len = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (len < 0 || cp < 0) {
            if (t->cfg.invalid == RNNKIT_INVALID_ERROR) {
                *bad = i;
                return -2;
            }
            t->invalid++;
            if (t->cfg.invalid == RNNKIT_INVALID_REPLACE)
                t->cps[k++] = 0xFFFD;
            /* skip the lead byte and any continuation bytes that follow it */
            i++;
            while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
                i++;
            continue;
        }
        t->cps[k++] = cp;
        i += (size_t)len;
    }
    *count = k;
    return 0;
}

/* Normalises t->cps[0..n) into t->norm; returns the length or -1. */
static utf8proc_ssize_t normalize_run(rnnkit_tokenizer *t, size_t n)
{
    size_t need = n * 4 + 16;
    for (;;) {
        if (grow((void **)&t->norm, &t->norm_cap, need, sizeof(int32_t)))
            return -1;
        size_t k = 0;
        int boundclass = UTF8PROC_BOUNDCLASS_START;
        int overflow = 0;
        for (size_t i = 0; i < n; i++) {
            utf8proc_ssize_t r = utf8proc_decompose_char(t->cps[i], t->norm + k, (utf8proc_ssize_t)(t->norm_cap - k),
                                                         t->uopt | UTF8PROC_DECOMPOSE, &boundclass);
            if (r < 0)
                return -1;
            if ((size_t)r > t->norm_cap - k) {
                overflow = 1;
                need = t->norm_cap * 2;
                break;
            }
            k += (size_t)r;
        }
        if (overflow)
            continue;
        if (t->uopt & UTF8PROC_COMPOSE)
            return utf8proc_normalize_utf32(t->norm, (utf8proc_ssize_t)k, t->uopt);
        return (utf8proc_ssize_t)k;
    }
}

/* Character-level split of codepoints into grapheme clusters. */
static int segment_chars(emitter *e, const int32_t *c, size_t n)
{
    size_t start = 0;
    utf8proc_int32_t state = 0;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || utf8proc_grapheme_break_stateful(c[i - 1], c[i], &state)) {
            int r;
            if (i - start == 2 && c[start] == '\r' && c[start + 1] == '\n')
                r = emit_bytes(e, "\n", 1);
            else
                r = emit_cps(e, c + start, i - start);
            if (r)
                return r;
            start = i;
            state = 0;
        }
    }
    return 0;
}

/* Where to cut a run that grew past RUN_CAP: before a byte that starts a
 * starter codepoint (an ASCII byte or a CJK lead), searching backwards. */
static size_t safe_cut(const char *s, size_t n)
{
    for (size_t i = n; i > n / 2; i--) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x80 && ch != '\r' && ch != '\n')
            return i;
        if (ch >= 0xE3 && ch <= 0xE9) /* U+3000..U+9FFF lead bytes: kana and most Han */
            return i;
    }
    for (size_t i = n; i > 0; i--) /* any codepoint boundary */
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            return i;
    return n;
}

static rnnkit_status invalid_error(rnnkit_tokenizer *t, const char *where, const char *text, size_t off,
                                   rnnkit_error *err)
{
    uint64_t line = 0;
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    const char *w = where ? where : "<text>";
    if (t->origin_line)
        return rnnkit_error_set(err, RNNKIT_ERR_UTF8, "%s:%llu: invalid UTF-8 at byte offset %llu", w,
                                (unsigned long long)(t->origin_line + line),
                                (unsigned long long)(t->origin_offset + off));
    if (line)
        return rnnkit_error_set(err, RNNKIT_ERR_UTF8, "%s:%llu: invalid UTF-8 at byte offset %zu", w,
                                (unsigned long long)(line + 1), off);
    return rnnkit_error_set(err, RNNKIT_ERR_UTF8, "%s: invalid UTF-8 at byte offset %zu", w, off);
}

/* Runs one stretch s[0..n) that needs decoding (and maybe normalising). */
static int run_unicode(rnnkit_tokenizer *t, emitter *e, const char *s, size_t n, size_t *bad)
{
    size_t count;
    int r = decode_run(t, s, n, &count, bad);
    if (r)
        return r;
    const int32_t *cps = t->cps;
    size_t m = count;
    if (t->uopt) {
        utf8proc_ssize_t k = normalize_run(t, count);
        if (k < 0)
            return -1;
        cps = t->norm;
        m = (size_t)k;
    }
    return t->cfg.level == RNNKIT_LEVEL_WORD ? segment_words(e, cps, m) : segment_chars(e, cps, m);
}

rnnkit_status rnnkit_tokenizer_run(rnnkit_tokenizer *t, const char *text, size_t len, const char *where,
                                   rnnkit_token_fn fn, void *ctx, rnnkit_error *err)
{
    emitter e = {.t = t, .fn = fn, .ctx = ctx, .stop = 0, .carry = -1};
    size_t i = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        i = 3; /* byte order mark */
    const int word = t->cfg.level == RNNKIT_LEVEL_WORD;
    /* Char level without normalisation or folding: clusters straight from the
     * bytes; decoding is still needed for grapheme rules and invalid bytes. */
    while (i < len) {
        /* skip ASCII white space between runs (word level only) */
        if (word) {
            size_t i0 = i;
            while (i < len && ((unsigned char)text[i] <= ' ' || text[i] == 0x7F))
                i++;
            if (i > i0)
                e.carry = -1;
            if (i == len)
                break;
        }
        /* the run: up to ASCII white space (word) or through the next newline (char) */
        size_t j = i;
        int ascii = 1;
        if (word) {
            while (j < len && (unsigned char)text[j] > ' ' && text[j] != 0x7F) {
                ascii &= (unsigned char)text[j] < 0x80;
                j++;
                if (j - i >= RUN_CAP)
                    break;
            }
        } else {
            while (j < len && text[j] != '\n' && j - i < RUN_CAP)
                j++;
            if (j < len && text[j] == '\n')
                j++;
        }
        if (j - i >= RUN_CAP && j < len && (word ? (unsigned char)text[j] > ' ' : 1))
            j = i + safe_cut(text + i, j - i);
        size_t bad = 0;
        if (word && ascii)
            e.carry = -1;
        int r = (word && ascii) ? segment_ascii_words(&e, text + i, j - i) : run_unicode(t, &e, text + i, j - i, &bad);
        if (r == -1)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory tokenizing", where ? where : "<text>");
        if (r == -2)
            return invalid_error(t, where, text, i + bad, err);
        if (r == 1 || e.stop)
            return rnnkit_error_set(err, RNNKIT_ERR_INTERRUPTED, "tokenizing stopped by the caller");
        i = j;
    }
    return RNNKIT_OK;
}

size_t rnnkit_pad_sequence(const int32_t *ids, size_t n, size_t maxlen, int padding_pre, int truncating_pre,
                           int32_t value, int32_t *out)
{
    size_t keep = n < maxlen ? n : maxlen, cut = n - keep;
    const int32_t *src = truncating_pre ? ids + cut : ids;
    size_t pad = maxlen - keep;
    int32_t *dst = padding_pre ? out + pad : out;
    memmove(dst, src, keep * sizeof *ids);
    int32_t *p = padding_pre ? out : out + keep;
    for (size_t k = 0; k < pad; k++)
        p[k] = value;
    return cut;
}

size_t rnnkit_pad_batch(const int32_t *const *seqs, const size_t *lens, size_t nseq, size_t maxlen,
                        int padding_pre, int truncating_pre, int32_t value, int32_t *out, uint64_t *cut_ids)
{
    size_t cut_seqs = 0;
    uint64_t cut = 0;
    for (size_t i = 0; i < nseq; i++) {
        size_t c = rnnkit_pad_sequence(seqs[i], lens[i], maxlen, padding_pre, truncating_pre, value,
                                       out + i * maxlen);
        cut_seqs += c > 0;
        cut += c;
    }
    if (cut_ids)
        *cut_ids = cut;
    return cut_seqs;
}
