/*
 * corpora/utf8.c: the UTF-8 validator the corpus readers use, and a
 * White_Space test for "is this text empty".
 *
 * Does: decide well-formedness per RFC 3629 / Unicode 15 Table 3-7
 * ("Well-Formed UTF-8 Byte Sequences"), with a word-at-a-time path for
 * ASCII runs, which are most of every corpus. Does not: decode into code
 * points for callers, normalise, or repair.
 */
#include <string.h>

#include "corpora/corpus_internal.h"

/* -------------------------------------------------------------- validation */

/* Nonzero when any of the 8 bytes at p has its high bit set. memcpy keeps
 * the load legal at any alignment; compilers turn it into one load. */
static int word_has_high_bit(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return (w & 0x8080808080808080ULL) != 0;
}

static int is_cont(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

size_t rnnkit__utf8_invalid_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path: skip 16 bytes at a time while no high bit is set. */
        while (i + 16 <= n && !word_has_high_bit(s + i) && !word_has_high_bit(s + i + 8))
            i += 16;
        if (i >= n)
            break;
        unsigned char b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        /* Table 3-7: the lead byte fixes the length and the allowed range of
         * the second byte; later bytes are plain continuations 80..BF. */
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
        } else if (b == 0xE0) {
            len = 3, lo = 0xA0; /* below A0 would be an overlong 2-byte form */
        } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
            len = 3;
        } else if (b == 0xED) {
            len = 3, hi = 0x9F; /* A0..BF would encode surrogates D800..DFFF */
        } else if (b == 0xF0) {
            len = 4, lo = 0x90; /* below 90 would be an overlong 3-byte form */
        } else if (b >= 0xF1 && b <= 0xF3) {
            len = 4;
        } else if (b == 0xF4) {
            len = 4, hi = 0x8F; /* 90..BF would exceed U+10FFFF */
        } else {
            return i; /* 80..BF stray continuation, C0/C1 overlong, F5..FF */
        }
        if (n - i < len)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < len; k++)
            if (!is_cont(s[i + k]))
                return i;
        i += len;
    }
    return n;
}

/* ------------------------------------------------------------ white space */

/* Decodes the well-formed sequence at s (at most n bytes); *len = its size. */
static uint32_t decode(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char b = s[0];
    if (b < 0x80 || n < 2) {
        *len = 1;
        return b;
    }
    if (b < 0xE0) {
        *len = 2;
        return ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (b < 0xF0 || n < 4) {
        *len = n < 3 ? n : 3;
        if (n < 3)
            return 0xFFFD;
        return ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
           ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* The White_Space property of PropList.txt (Unicode 15). */
static int is_white_space(uint32_t cp)
{
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
        return 1;
    if (cp < 0x85)
        return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

int rnnkit__utf8_is_blank(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t len;
        uint32_t cp = decode(s + i, n - i, &len);
        if (!is_white_space(cp))
            return 0;
        i += len;
    }
    return 1;
}
