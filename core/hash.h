/*
 * core/hash.h: FNV-1a 64, the one hash the library stores or compares
 * across runs: tensor checksums in model files (hex of rnnkit__fnv1a64 of
 * the blob's bytes), fingerprints of training data in checkpoints, and
 * label tables. Invariant: the function never changes (stored files depend
 * on it bit for bit). Token hash tables use their own word-at-a-time mix
 * (tokenizer/tokenizer_internal.h), built on the same constants.
 */
#ifndef RNNKIT_CORE_HASH_H
#define RNNKIT_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64's offset basis (the hash of no bytes) and prime. */
#define RNNKIT__FNV1A64_INIT 0xcbf29ce484222325ULL
#define RNNKIT__FNV1A64_PRIME 0x100000001b3ULL

/* FNV-1a 64 of n bytes at data, continued from h (RNNKIT__FNV1A64_INIT to
 * start); data may be NULL when n is 0. */
uint64_t rnnkit__fnv1a64_more(uint64_t h, const void *data, size_t n);

/* FNV-1a 64 of n bytes at data. */
uint64_t rnnkit__fnv1a64(const void *data, size_t n);

#endif
