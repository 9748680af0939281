/*
 * tests/test_dataset.c: rnnkit/dataset.h's document sets (encoding, labels,
 * offsets, kept names, a directory walked in name order, stdin-style
 * paths), the classifier's row order (a permutation, the same for a seed),
 * and corpora's rnnkit_walk_files (sorted, hidden names skipped, a file
 * alone, a callback's failure returned).
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
#include <sys/stat.h>
#include <unistd.h>

#include "rnnkit/corpus.h"
#include "rnnkit/dataset.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    if (support_tmpdir_open("test_dataset_XXXXXX"))
        return -1;
    mkdir(support_tmp("d"), 0777);
    mkdir(support_tmp("d/sub"), 0777);
    support_write("d/b.txt", "good film");
    support_write("d/a.txt", "bad");
    support_write("d/.hidden", "never");
    support_write("d/sub/c.txt", "film film");
    return 0;
}

static void test_docs(void **state)
{
    (void)state;
    /* film 2, then bad, good (ties by bytes) */
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "good film film bad", "x");
    const int32_t film = (int32_t)rnnkit_vocab_lookup(v, "film", 4);
    assert_int_equal(film, 2);
    rnnkit_docs *d;
    rnnkit_error err;
    assert_int_equal(rnnkit_docs_new(1, &d, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_docs_add(d, v, "good film", 9, "one", 1, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_docs_add(d, v, "unseen film film", 16, "two", 0, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_docs_size(d), 2);
    assert_string_equal(rnnkit_docs_name(d, 1), "two");
    rnnkit_dataset ds = rnnkit_docs_view(d);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.off[0], 0);
    assert_int_equal(ds.off[1], 2);
    assert_int_equal(ds.off[2], 5);
    assert_int_equal(ds.label[0], 1);
    assert_int_equal(ds.label[1], 0);
    assert_int_equal(ds.ids[1], film);
    assert_int_equal(ds.ids[2], 1); /* <unk> */
    assert_int_equal(ds.ids[4], film);
    rnnkit_docs_free(d);

    /* a directory: each file one document, named by its path, in name order */
    assert_int_equal(rnnkit_docs_new(1, &d, &err), RNNKIT_OK);
    char dir[96];
    snprintf(dir, sizeof dir, "%s/d", support_tmpdir());
    assert_int_equal(rnnkit_docs_add_path(d, v, dir, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_docs_size(d), 3);
    assert_non_null(strstr(rnnkit_docs_name(d, 0), "d/a.txt"));
    assert_non_null(strstr(rnnkit_docs_name(d, 1), "d/b.txt"));
    assert_non_null(strstr(rnnkit_docs_name(d, 2), "d/sub/c.txt"));
    ds = rnnkit_docs_view(d);
    assert_int_equal(ds.off[3] - ds.off[2], 2);
    rnnkit_docs_free(d);

    /* without names */
    assert_int_equal(rnnkit_docs_new(0, &d, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_docs_add(d, v, "bad", 3, "x", 0, &err), RNNKIT_OK);
    assert_null(rnnkit_docs_name(d, 0));
    rnnkit_docs_free(d);
    rnnkit_docs_free(NULL);
    rnnkit_vocab_free(v);
}

static void test_row_order(void **state)
{
    (void)state;
    size_t *a = NULL, *b = NULL, *c = NULL;
    rnnkit_error err;
    const size_t n = 1000;
    assert_int_equal(rnnkit_classifier_row_order(n, 7, &a, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_classifier_row_order(n, 7, &b, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_classifier_row_order(n, 8, &c, &err), RNNKIT_OK);
    assert_memory_equal(a, b, n * sizeof *a);
    assert_memory_not_equal(a, c, n * sizeof *a);
    char *seen = calloc(n, 1);
    size_t moved = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(a[i] < n);
        assert_false(seen[a[i]]);
        seen[a[i]] = 1;
        moved += a[i] != i;
    }
    assert_true(moved > n / 2); /* shuffled */
    free(seen);
    free(a);
    free(b);
    free(c);
}

typedef struct walked {
    char paths[8][160];
    int n, fail_at;
} walked;

static rnnkit_status on_file(void *ctx, const char *path, rnnkit_error *err)
{
    walked *w = ctx;
    if (w->n == w->fail_at)
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: refused", path);
    snprintf(w->paths[w->n++], sizeof w->paths[0], "%s", path);
    return RNNKIT_OK;
}

static void test_walk_files(void **state)
{
    (void)state;
    char dir[96];
    snprintf(dir, sizeof dir, "%s/d", support_tmpdir());
    walked w = {.fail_at = -1};
    rnnkit_error err;
    assert_int_equal(rnnkit_walk_files(dir, on_file, &w, &err), RNNKIT_OK);
    assert_int_equal(w.n, 3);
    assert_non_null(strstr(w.paths[0], "/a.txt"));
    assert_non_null(strstr(w.paths[1], "/b.txt"));
    assert_non_null(strstr(w.paths[2], "/sub/c.txt"));
    /* a file is walked alone, "-" is passed through */
    walked one = {.fail_at = -1};
    char file[128];
    snprintf(file, sizeof file, "%s/d/a.txt", support_tmpdir());
    assert_int_equal(rnnkit_walk_files(file, on_file, &one, &err), RNNKIT_OK);
    assert_int_equal(one.n, 1);
    assert_string_equal(one.paths[0], file);
    walked dash = {.fail_at = -1};
    assert_int_equal(rnnkit_walk_files("-", on_file, &dash, &err), RNNKIT_OK);
    assert_string_equal(dash.paths[0], "-");
    /* the callback's failure stops the walk and is returned */
    walked stop = {.fail_at = 1};
    assert_int_equal(rnnkit_walk_files(dir, on_file, &stop, &err), RNNKIT_ERR_FORMAT);
    assert_int_equal(stop.n, 1);
    assert_non_null(strstr(err.msg, "b.txt: refused"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs),
        cmocka_unit_test(test_row_order),
        cmocka_unit_test(test_walk_files),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
