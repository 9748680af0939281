/*
 * model/rng.c: rnnkit's own random numbers, so that a seed means the same
 * stream on every platform and libc. xoshiro256** (Blackman & Vigna, 2018,
 * "Scrambled linear pseudorandom number generators"), state filled by
 * splitmix64 from the 64-bit seed.
 */
#include <string.h>

#include "model/nn_internal.h"

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

/* One xoshiro256** step on a state s[4]: the output, and s advanced. */
static inline uint64_t step(uint64_t *s)
{
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

uint64_t rnnkit_rng_next(rnnkit_rng *r) { return step(r->s); }

float rnnkit_rng_uniform(rnnkit_rng *r)
{
    return (float)(rnnkit_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* The mask of rnnkit's dropout: mask[i] = 0 where the i-th of n uniforms
 * (rnnkit_rng_uniform's, in order) is below p, else keep. Exactly those n
 * draws, so the stream after it is the same as after n calls of
 * rnnkit_rng_uniform. The comparison is on the 24-bit integer behind each
 * uniform: u = k / 2^24 < p  <=>  k < p * 2^24 (exact in float), so the
 * state stays in registers and no float is formed per draw; the mask
 * word is selected by bits (a branch on random draws mispredicts). */
void rnnkit__rng_keep_mask(rnnkit_rng *r, size_t n, float p, float keep, float *mask)
{
    const float lim = p * 16777216.0f; /* exact: a power-of-two scale */
    uint64_t below = lim <= 0.0f ? 0 : lim >= 16777216.0f ? (UINT64_C(1) << 24) : (uint64_t)lim;
    if ((float)below < lim) /* k < lim for an integer k: k < ceil(lim) */
        below++;
    uint32_t kb;
    memcpy(&kb, &keep, sizeof kb);
    uint64_t s[4] = {r->s[0], r->s[1], r->s[2], r->s[3]}; /* a local copy: kept in registers */
    for (size_t i = 0; i < n; i++) {
        const uint64_t k = step(s) >> 40;
        const uint32_t bits = kb & (0u - (uint32_t)(k >= below)); /* no branch: the draws are random */
        memcpy(mask + i, &bits, sizeof bits);
    }
    memcpy(r->s, s, sizeof s);
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
