/*
 * model/rng.c: rnnkit's own random numbers, so that a seed means the same
 * stream on every platform and libc. xoshiro256** (Blackman & Vigna, 2018,
 * "Scrambled linear pseudorandom number generators"), state filled by
 * splitmix64 from the 64-bit seed.
 */
#include "rnnkit/nn.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rnnkit_rng_seed(rnnkit_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rnnkit_rng_next(rnnkit_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float rnnkit_rng_uniform(rnnkit_rng *r)
{
    return (float)(rnnkit_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

uint64_t rnnkit_rng_below(rnnkit_rng *r, uint64_t n)
{
    /* Rejection on the top of the range keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rnnkit_rng_next(r);
    while (x >= limit);
    return x % n;
}
