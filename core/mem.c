/*
 * core/mem.c: large blocks (core/mem.h).
 *
 * Blocks of 1 MB and more start on a 2 MB boundary: measured on 2 x 512
 * generator training (bench_train, bf16, alternating runs), 4-7 % faster
 * on 2 threads and 3-5 % on 1 than the 64-byte alignment before. The 2 MB
 * pages themselves (madvise MADV_HUGEPAGE, transparent huge pages in
 * "madvise" mode) were slower there: the workspace on them cost 13-15 % on
 * 1 thread, the parameters and Adam's moments 37-40 %. So they are asked for
 * only where a caller says so (RNNKIT__MEM_HUGE: the inference table,
 * whose rows are read a page each at random). Smaller blocks are 64-byte
 * aligned.
 */
#define _DEFAULT_SOURCE /* madvise */
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define MEM_HUGE ((size_t)2 << 20)
#define MEM_LARGE ((size_t)1 << 20)

void *rnnkit__mem_large(size_t bytes, int flags)
{
    if (bytes == 0)
        bytes = 1;
    if (bytes > (size_t)-1 - MEM_HUGE)
        return NULL;
    const int large = bytes >= MEM_LARGE;
    const size_t whole = large ? (bytes + MEM_HUGE - 1) / MEM_HUGE * MEM_HUGE : bytes;
    void *p = NULL;
    if (posix_memalign(&p, large ? MEM_HUGE : 64, whole))
        return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (large && (flags & RNNKIT__MEM_HUGE))
        (void)madvise(p, whole, MADV_HUGEPAGE); /* a request: refused, the pages stay 4 KB */
#endif
    if (flags & RNNKIT__MEM_ZERO)
        memset(p, 0, bytes);
    return p;
}
