/*
 * core/utf8.c: UTF-8 validation, decoding and encoding (see core/utf8.h).
 * The lead byte fixes a sequence's length and the allowed range of its
 * second byte (Table 3-7); later bytes are plain continuations 80..BF.
 */
#include "core/utf8.h"

#include <string.h>

/* Nonzero when any of the 8 bytes at p has its high bit set. memcpy keeps
 * the load legal at any alignment; compilers turn it into one load. */
static int word_has_high_bit(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return (w & 0x8080808080808080ULL) != 0;
}

/* Length of the well-formed sequence at s[0..n) (n >= 1), 0 if ill-formed. */
static size_t sequence_length(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    if (b < 0x80)
        return 1;
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
        return 0; /* 80..BF stray continuation, C0/C1 overlong, F5..FF */
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    return len;
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
        size_t len = sequence_length(s + i, n - i);
        if (!len)
            return i;
        i += len;
    }
    return n;
}

size_t rnnkit__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = sequence_length(s, n);
    static const unsigned char lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    if (!len)
        return 0;
    uint32_t v = s[0] & lead_mask[len];
    for (size_t k = 1; k < len; k++)
        v = (v << 6) | (s[k] & 0x3F);
    *cp = v;
    return len;
}

size_t rnnkit__utf8_encode(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
