/* tokenizer/tokenizer_internal.h: shared by the files of tokenizer/ only. */
#ifndef RNNKIT_TOKENIZER_INTERNAL_H
#define RNNKIT_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

/* Hash of token bytes used by the counting and lookup tables. */
static inline uint64_t rnnkit__tok_hash(const char *s, size_t n)
{
    /* FNV-1a, 8 bytes at a time folded through a multiply: short tokens
     * dominate, so a simple loop beats anything with a setup cost. */
    uint64_t h = RNNKIT__FNV1A64_INIT ^ (uint64_t)n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, s + i, 8);
        h = (h ^ w) * RNNKIT__FNV1A64_PRIME;
        h ^= h >> 29;
    }
    if (i < n) { /* the 1..7 tail bytes as one word: one multiply, not one per byte */
        uint64_t w = 0;
        __builtin_memcpy(&w, s + i, n - i);
        h = (h ^ w) * RNNKIT__FNV1A64_PRIME;
        h ^= h >> 29;
    }
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

#endif
