/*
 * core/mem.h: large blocks (workspaces, parameters, optimiser state, the
 * inference table), allocated by core/mem.c.
 * Invariants:
 * - rnnkit__mem_large(bytes, flags) returns a block of at least bytes,
 *   64-byte aligned (2 MB aligned from 1 MB up), zero-filled with
 *   RNNKIT__MEM_ZERO, or NULL when out of memory; free() releases it (it
 *   comes from posix_memalign).
 * - RNNKIT__MEM_HUGE asks the kernel for 2 MB pages (madvise); the answer
 *   changes speed only, never contents or results.
 */
#ifndef RNNKIT_CORE_MEM_H
#define RNNKIT_CORE_MEM_H

#include <stddef.h>

enum { RNNKIT__MEM_ZERO = 1, RNNKIT__MEM_HUGE = 2 };

void *rnnkit__mem_large(size_t bytes, int flags);

#endif
