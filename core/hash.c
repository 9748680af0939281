/* core/hash.c: FNV-1a 64 (see core/hash.h). */
#include "core/hash.h"

uint64_t rnnkit__fnv1a64_more(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= RNNKIT__FNV1A64_PRIME;
    }
    return h;
}

uint64_t rnnkit__fnv1a64(const void *data, size_t n)
{
    return rnnkit__fnv1a64_more(RNNKIT__FNV1A64_INIT, data, n);
}
