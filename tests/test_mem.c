/*
 * tests/test_mem.c: large blocks (core/mem.c). Small blocks are 64-byte
 * aligned, blocks of 1 MB and more 2 MB aligned; RNNKIT__MEM_ZERO fills
 * every byte asked for with 0 (checked on memory first dirtied and freed,
 * so a recycled block would show); RNNKIT__MEM_HUGE changes no contents;
 * a size that cannot be rounded up to a page is refused with NULL; every
 * block is released by free() (ASan and valgrind see the rest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mem.h"

#define MB ((size_t)1 << 20)

static void check_block(size_t bytes, int flags)
{
    unsigned char *p = rnnkit__mem_large(bytes, flags);
    assert_non_null(p);
    const uintptr_t align = bytes >= MB ? 2 * MB : 64;
    assert_int_equal((uintptr_t)p % align, 0);
    if (flags & RNNKIT__MEM_ZERO)
        for (size_t i = 0; i < bytes; i++)
            if (p[i] != 0)
                fail_msg("byte %zu of a %zu-byte zeroed block is %u", i, bytes, p[i]);
    if (bytes)
        memset(p, 0xa5, bytes); /* the whole size asked for is writable */
    free(p);
}

static void test_alignment_and_zero(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 63, 64, 4096, MB - 1, MB, MB + 1, 2 * MB, 5 * MB + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        /* dirty and free a block of the size first: a zeroed one may reuse it */
        unsigned char *d = malloc(sizes[i] ? sizes[i] : 1);
        assert_non_null(d);
        memset(d, 0xff, sizes[i] ? sizes[i] : 1);
        free(d);
        check_block(sizes[i], 0);
        check_block(sizes[i], RNNKIT__MEM_ZERO);
        check_block(sizes[i], RNNKIT__MEM_HUGE);
        check_block(sizes[i], RNNKIT__MEM_ZERO | RNNKIT__MEM_HUGE);
    }
}

static void test_refuses_impossible_sizes(void **state)
{
    (void)state;
    assert_null(rnnkit__mem_large(SIZE_MAX, 0));
    assert_null(rnnkit__mem_large(SIZE_MAX - MB, RNNKIT__MEM_ZERO));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_zero),
        cmocka_unit_test(test_refuses_impossible_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
