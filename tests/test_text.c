/*
 * tests/test_text.c: rnnkit/text.h: a generator's vocabulary from files
 * (every character kept, an empty or whitespace-only file refused by
 * name), files encoded into one stream, the prime (unknown characters named
 * with their position, or skipped), and the longest verbatim copy.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rnnkit/text.h"
#include "support.h"

static char pa[128], pb[128], pempty[128];

static int setup(void **state)
{
    (void)state;
    if (support_tmpdir_open("test_text_XXXXXX"))
        return -1;
    snprintf(pa, sizeof pa, "%s", support_write("a.txt", "abba\n"));
    snprintf(pb, sizeof pb, "%s", support_write("b.txt", "cab"));
    snprintf(pempty, sizeof pempty, "%s", support_write("e.txt", " \n\t"));
    return 0;
}

static rnnkit_vocab *char_vocab(const char *const *paths, int n)
{
    rnnkit_tok_config tok;
    rnnkit_tok_config_default(&tok, RNNKIT_LEVEL_CHAR);
    rnnkit_vocab *v = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_text_vocab(&tok, 1, 0, paths, n, NULL, &v, &err), RNNKIT_OK);
    return v;
}

static void test_vocab_and_encode(void **state)
{
    (void)state;
    const char *paths[] = {pa, pb};
    rnnkit_vocab *v = char_vocab(paths, 2);
    assert_int_equal(rnnkit_vocab_size(v), 2 + 4); /* <pad> <unk> a b c \n */
    int32_t *ids = NULL;
    size_t n = 0;
    rnnkit_error err;
    assert_int_equal(rnnkit_text_encode_files(v, paths, 2, &ids, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 8); /* "abba\n" + "cab" */
    assert_int_equal(ids[0], ids[3]);           /* a ... a */
    assert_int_equal(ids[1], ids[2]);           /* b b */
    assert_int_equal(ids[6], ids[0]);           /* c a */
    assert_int_equal(ids[5], rnnkit_vocab_lookup(v, "c", 1));
    for (size_t i = 0; i < n; i++)
        assert_true(ids[i] >= 2);
    free(ids);
    ids = NULL;
    assert_int_equal(rnnkit_text_encode_file(v, pb, &ids, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 3);
    free(ids);
    rnnkit_vocab_free(v);

    rnnkit_tok_config tok;
    rnnkit_tok_config_default(&tok, RNNKIT_LEVEL_CHAR);
    const char *bad[] = {pa, pempty};
    v = NULL;
    assert_int_equal(rnnkit_text_vocab(&tok, 1, 0, bad, 2, NULL, &v, &err), RNNKIT_ERR_EMPTY);
    assert_non_null(strstr(err.msg, pempty));
    assert_null(v);
}

static void test_prime(void **state)
{
    (void)state;
    const char *paths[] = {pa};
    rnnkit_vocab *v = char_vocab(paths, 1);
    int32_t *ids = NULL;
    size_t n = 0;
    rnnkit_error err;
    assert_int_equal(rnnkit_prime_encode(v, "ab", 0, &ids, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], rnnkit_vocab_lookup(v, "a", 1));
    free(ids);
    ids = NULL;
    assert_int_equal(rnnkit_prime_encode(v, "abz", 0, &ids, &n, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "3")); /* the position, 1-based */
    free(ids);
    ids = NULL;
    assert_int_equal(rnnkit_prime_encode(v, "azb", 1, &ids, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 2);
    free(ids);
    ids = NULL;
    assert_int_equal(rnnkit_prime_encode(v, "zz", 1, &ids, &n, &err), RNNKIT_ERR_ARG);
    free(ids);
    ids = NULL;
    assert_int_equal(rnnkit_prime_encode(v, NULL, 0, &ids, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], rnnkit_vocab_lookup(v, "\n", 1));
    free(ids);
    rnnkit_vocab_free(v);
}

static void test_longest_copy(void **state)
{
    (void)state;
    size_t at = 99;
    const char *out = "xxworldy";
    assert_int_equal(rnnkit_longest_copy("hello world", out, strlen(out), &at), 5);
    assert_int_equal(at, 2);
    assert_int_equal(rnnkit_longest_copy("hello", "zzz", 3, &at), 0);
    assert_int_equal(rnnkit_longest_copy("abcabcd", "abcd", 4, &at), 4);
    assert_int_equal(at, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_and_encode),
        cmocka_unit_test(test_prime),
        cmocka_unit_test(test_longest_copy),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
