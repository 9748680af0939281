/*
 * tests/test_lazy.c: lazy embedding updates (train option lazy_embedding).
 * The optimiser's step over selected rows (rnnkit__optim_step_rows), the
 * clip and the zeroing over them, the embedding's record of the rows a
 * backward pass touched, and whole classifiers trained lazily.
 *
 * What must hold: an element the selection takes is stepped exactly as the
 * dense step would (bit for bit), a row it leaves out keeps its weights and
 * moments exactly; the clip's norm and scaled elements equal the dense
 * clip's when the left-out rows are zero; any pool gives the same bits; a
 * lazily trained classifier's first step equals the dense one's, and its
 * later steps differ from the dense ones only where the dense optimiser
 * moves rows a batch did not use. (A forecaster, which has no embedding,
 * refuses the option: tests/test_forecaster.c.)
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/pool.h"
#include "model/model_internal.h"
#include "model/nn_internal.h"
#include "rnnkit/model.h"
#include "support.h"

/* A block of PRE elements, a table of V rows of E, then POST elements. */
enum { PRE = 100, V = 50, E = 7, POST = 37, N = PRE + V * E + POST };

static void random_fill(rnnkit_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 2.0f * rnnkit_rng_uniform(r) - 1.0f;
}

/* Gradient: random outside the table and on the listed rows, zero on the others. */
static void lazy_grad(rnnkit_rng *r, float *g, const int32_t *rows, int nrows)
{
    random_fill(r, g, N);
    memset(g + PRE, 0, (size_t)V * E * sizeof *g);
    for (int k = 0; k < nrows; k++)
        random_fill(r, g + PRE + (size_t)rows[k] * E, E);
}

static int listed(const int32_t *rows, int n, int row)
{
    for (int k = 0; k < n; k++)
        if (rows[k] == row)
            return 1;
    return 0;
}

/* Two steps, the second with other rows: the dense optimiser moves a row
 * listed only at step 1 by its momentum (or decays every row, AdamW), the
 * lazy one leaves it; every element the lazy step takes equals the dense. */
static void check_kind(rnnkit_optim_kind kind, float body_scale)
{
    static const int32_t s1[] = {1, 4, 9, 30, 49}, s2[] = {4, 7, 30};
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 7u + (uint64_t)kind);
    float wd[N], wl[N], g[N];
    random_fill(&r, wd, N);
    memcpy(wl, wd, sizeof wd);
    rnnkit__optim dense, lazy;
    assert_int_equal(rnnkit__optim_init(&dense, kind, 0.05f, N, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__optim_init(&lazy, kind, 0.05f, N, NULL), RNNKIT_OK);
    if (kind == RNNKIT_OPT_SGD)
        dense.momentum = lazy.momentum = 0.9f;
    dense.body_n = lazy.body_n = PRE + 20 * E; /* the body ends inside the table */
    dense.body_scale = lazy.body_scale = body_scale;
    const int32_t *sets[2] = {s1, s2};
    const int sizes[2] = {5, 3};
    for (int step = 0; step < 2; step++) {
        float before[N], mbefore[N];
        memcpy(before, wl, sizeof wl);
        memcpy(mbefore, lazy.m, sizeof mbefore);
        lazy_grad(&r, g, sets[step], sizes[step]);
        rnnkit__rows rows = {.off = PRE, .len = E, .count = V, .rows = sets[step], .n = sizes[step]};
        rnnkit__optim_step(&dense, wd, g, NULL);
        rnnkit__optim_step_rows(&lazy, wl, g, &rows, NULL);
        for (int i = 0; i < N; i++) {
            int in_table = i >= PRE && i < PRE + V * E;
            int row = in_table ? (i - PRE) / E : -1;
            if (!in_table || listed(sets[step], sizes[step], row)) {
                /* taken: the dense step's value when the histories agree */
                int same_history = !in_table || step == 0 || kind == RNNKIT_OPT_ADAM ||
                                   (kind == RNNKIT_OPT_SGD && !listed(s1, 5, row));
                if (kind == RNNKIT_OPT_ADAMW && in_table && step == 1)
                    same_history = 0; /* the dense step decayed every row at step 1 */
                if (same_history && memcmp(&wl[i], &wd[i], sizeof wl[i]) != 0)
                    fail_msg("kind %d step %d element %d (row %d): lazy %.9g, dense %.9g", kind, step + 1, i,
                             row, (double)wl[i], (double)wd[i]);
            } else {
                /* left out: weights and moments as they were */
                if (memcmp(&wl[i], &before[i], sizeof wl[i]) != 0 ||
                    memcmp(&lazy.m[i], &mbefore[i], sizeof mbefore[i]) != 0)
                    fail_msg("kind %d step %d: row %d was left out but changed", kind, step + 1, row);
            }
        }
    }
    /* The point of the option: row 1 (step 1 only) moved on at step 2 in
     * the dense optimiser, not in the lazy one. */
    if (!(kind == RNNKIT_OPT_ADAM && body_scale == 0.0f)) {
        const int i = PRE + 1 * E;
        assert_true(memcmp(&wd[i], &wl[i], sizeof wl[i]) != 0);
    }
    rnnkit__optim_free(&dense);
    rnnkit__optim_free(&lazy);
}

static void test_lazy_step_takes_listed_rows_as_dense_and_leaves_the_rest(void **state)
{
    (void)state;
    check_kind(RNNKIT_OPT_ADAM, 1.0f);
    check_kind(RNNKIT_OPT_ADAM, 0.5f);
    check_kind(RNNKIT_OPT_ADAMW, 1.0f);
    check_kind(RNNKIT_OPT_SGD, 1.0f);
}

/* Pools of 1, 2 and 3 threads, a step of several dense blocks and several
 * groups of rows: the same bits. */
static void test_lazy_step_same_on_any_pool(void **state)
{
    (void)state;
    enum { BV = 5000, BE = 64, BPRE = 70000, BPOST = 12345 };
    const size_t n = BPRE + (size_t)BV * BE + BPOST;
    int32_t rows[2000];
    for (int k = 0; k < 2000; k++)
        rows[k] = 1 + 2 * k;
    rnnkit__rows sel = {.off = BPRE, .len = BE, .count = BV, .rows = rows, .n = 2000};
    float *w0 = malloc(n * sizeof *w0), *g = malloc(n * sizeof *g), *w[3];
    assert_non_null(w0);
    assert_non_null(g);
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 11);
    random_fill(&r, w0, n);
    random_fill(&r, g, n);
    for (int t = 0; t < 3; t++) {
        rnnkit__pool *p = NULL;
        assert_int_equal(rnnkit__pool_create(t + 1, &p, NULL), RNNKIT_OK);
        rnnkit__optim o;
        assert_int_equal(rnnkit__optim_init(&o, RNNKIT_OPT_ADAM, 0.01f, n, NULL), RNNKIT_OK);
        w[t] = malloc(n * sizeof *w[t]);
        assert_non_null(w[t]);
        memcpy(w[t], w0, n * sizeof *w0);
        for (int s = 0; s < 3; s++)
            rnnkit__optim_step_rows(&o, w[t], g, &sel, p);
        rnnkit__optim_free(&o);
        rnnkit__pool_free(p);
    }
    assert_memory_equal(w[0], w[1], n * sizeof *w0);
    assert_memory_equal(w[0], w[2], n * sizeof *w0);
    /* an unlisted row is untouched, a listed one moved */
    assert_memory_equal(w[0] + BPRE + 2 * BE, w0 + BPRE + 2 * BE, BE * sizeof *w0);
    assert_true(memcmp(w[0] + BPRE + 1 * BE, w0 + BPRE + 1 * BE, BE * sizeof *w0) != 0);
    for (int t = 0; t < 3; t++)
        free(w[t]);
    free(w0);
    free(g);
}

/* Clip over the selection = dense clip (norm and values) when the other
 * rows are zero; zeroing clears the selection and nothing else. */
static void test_lazy_clip_and_zero(void **state)
{
    (void)state;
    static const int32_t sel_rows[] = {0, 3, 17, 49};
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 3);
    float gd[N], gl[N];
    lazy_grad(&r, gd, sel_rows, 4);
    memcpy(gl, gd, sizeof gd);
    rnnkit__rows sel = {.off = PRE, .len = E, .count = V, .rows = sel_rows, .n = 4};
    double nd = rnnkit__clip_grad_norm(gd, N, 1.0), nl = rnnkit__clip_grad_norm_rows(gl, N, &sel, 1.0);
    assert_true(nd > 1.0);
    assert_memory_equal(&nd, &nl, sizeof nd);
    assert_memory_equal(gd, gl, sizeof gd);

    for (int i = 0; i < N; i++)
        gl[i] = 5.0f;
    rnnkit__grad_zero_rows(gl, N, &sel);
    for (int i = 0; i < N; i++) {
        int in_table = i >= PRE && i < PRE + V * E;
        int zeroed = !in_table || listed(sel_rows, 4, (i - PRE) / E);
        assert_true(gl[i] == (zeroed ? 0.0f : 5.0f));
    }
}

/* The embedding lists each row a backward pass touches once, ascending,
 * never the padding row; forgetting empties the list. */
static void test_embedding_tracks_touched_rows(void **state)
{
    (void)state;
    rnnkit__params p;
    rnnkit__embedding emb;
    rnnkit__params_init(&p);
    assert_int_equal(rnnkit__embedding_create(&emb, &p, "emb", 20, 3, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__params_alloc(&p, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__embedding_track(&emb, 1, NULL), RNNKIT_OK);
    const int32_t ids[] = {7, 0, 3, 7, 19, 3, 0, 12};
    float d[8 * 3];
    for (int i = 0; i < 8 * 3; i++)
        d[i] = 1.0f;
    rnnkit__embedding_backward(&emb, ids, 8, d);
    int n = 0;
    const int32_t *rows = rnnkit__embedding_rows(&emb, &n);
    assert_int_equal(n, 4);
    assert_int_equal(rows[0], 3);
    assert_int_equal(rows[1], 7);
    assert_int_equal(rows[2], 12);
    assert_int_equal(rows[3], 19);
    assert_true(p.grad[emb.off + 7 * 3] == 2.0f);
    rnnkit__embedding_rows_forget(&emb);
    rows = rnnkit__embedding_rows(&emb, &n);
    assert_int_equal(n, 0);
    rnnkit__embedding_backward(&emb, ids + 4, 1, d);
    rows = rnnkit__embedding_rows(&emb, &n);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0], 19);
    rnnkit__embedding_track(&emb, 0, NULL);
    rnnkit__params_free(&p);
}

/* ------------------------------------------------------------------------ */
/* Whole classifiers */

/* 8 documents of two words: "rare" only in the first. */
static const char *const docs[] = {"rare good", "fine film", "bad plot", "great film",
                                   "awful plot", "good film", "bad film", "fine plot"};
enum { NDOCS = 8 };

static rnnkit_model *lazy_model(void)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.embed = 8;
    c.hidden = 6;
    c.layers = 1;
    const char *labels[] = {"neg", "pos"};
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "rare good bad great awful fine film plot", "test");
    return support_model(&c, v, labels, 2, 5);
}

typedef struct watch {
    rnnkit_model *m;
    size_t off;      /* the "rare" row in the weight block */
    float last[8];
    int changes, steps;
} watch;

static int count_changes(void *ctx, const rnnkit_progress *p)
{
    (void)p;
    watch *w = ctx;
    const float *row = rnnkit__model_params(w->m)->value + w->off;
    if (memcmp(row, w->last, sizeof w->last) != 0)
        w->changes++;
    memcpy(w->last, row, sizeof w->last);
    w->steps++;
    return 0;
}

/* Trains a fresh model for `epochs` epochs of batches of `batch`, counting
 * the progress calls at which the "rare" row changed. */
static rnnkit_model *train(int lazy, int epochs, int batch, watch *w)
{
    rnnkit_model *m = lazy_model();
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    static size_t off[NDOCS + 1];
    static int32_t ids[2 * NDOCS], lab[NDOCS];
    size_t pos = 0;
    for (int i = 0; i < NDOCS; i++) {
        off[i] = pos;
        const char *sp = strchr(docs[i], ' ');
        ids[pos++] = (int32_t)rnnkit_vocab_lookup(v, docs[i], (size_t)(sp - docs[i]));
        ids[pos++] = (int32_t)rnnkit_vocab_lookup(v, sp + 1, strlen(sp + 1));
        lab[i] = strstr(docs[i], "good") || strstr(docs[i], "fine") || strstr(docs[i], "great");
    }
    off[NDOCS] = pos;
    rnnkit_dataset d = {.n = NDOCS, .off = off, .ids = ids, .label = lab};
    const rnnkit__param_view *e = rnnkit__params_find(rnnkit__model_params(m), "embedding.weight");
    assert_non_null(e);
    memset(w, 0, sizeof *w);
    w->m = m;
    w->off = e->offset + (size_t)rnnkit_vocab_lookup(v, "rare", 4) * 8;
    memcpy(w->last, rnnkit__model_params(m)->value + w->off, sizeof w->last);
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = epochs;
    o.train.batch = batch;
    o.train.lr = 0.01;
    o.train.patience = 0;
    o.train.lazy_embedding = lazy;
    o.train.progress = count_changes;
    o.train.progress_ctx = w;
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    return m;
}

static void test_lazy_classifier(void **state)
{
    (void)state;
    watch wd, wl;
    /* One step (one batch of every document): the same model bit for bit. */
    rnnkit_model *dense = train(0, 1, NDOCS, &wd), *lazy = train(1, 1, NDOCS, &wl);
    const rnnkit__params *a = rnnkit__model_params(dense), *b = rnnkit__model_params(lazy);
    assert_int_equal(a->count, b->count);
    assert_memory_equal(a->value, b->value, a->count * sizeof(float));
    rnnkit_model_free(dense);
    rnnkit_model_free(lazy);

    /* 6 epochs of 4 batches: the lazy optimiser moves "rare" once an epoch
     * (the step whose batch holds its document), the dense one at every
     * step from its first use on. */
    dense = train(0, 6, 2, &wd);
    lazy = train(1, 6, 2, &wl);
    assert_int_equal(wl.changes, 6);
    assert_true(wd.changes > 18);
    rnnkit_model_free(dense);
    rnnkit_model_free(lazy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy_step_takes_listed_rows_as_dense_and_leaves_the_rest),
        cmocka_unit_test(test_lazy_step_same_on_any_pool),
        cmocka_unit_test(test_lazy_clip_and_zero),
        cmocka_unit_test(test_embedding_tracks_touched_rows),
        cmocka_unit_test(test_lazy_classifier),
    };
    if (support_tmpdir_open("test_lazy_XXXXXX"))
        return 1;
    return cmocka_run_group_tests(tests, NULL, support_teardown);
}
