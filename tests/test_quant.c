/*
 * tests/test_quant.c: int8 weights for prediction (model/quant.c,
 * model/int8.c): the int8 product against a double-precision product of
 * its dequantized operands (float rounding) and against the fp32 product
 * (within the quantization bound derived below); the AVX512-VNNI kernel
 * against the portable one and pools of 1, 2 and 3 threads, bit for bit;
 * trained classifiers (LSTM bidirectional, GRU, RNN) predicting with int8
 * near fp32, fp32 again bit for bit once it is off, training untouched by
 * it, and the copies following weight changes.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model_internal.h"
#include "model/quant_internal.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

/* Products of these shapes (M, N, K): one row, K not a multiple of 4 or
 * 64, column counts with tails of 1..31, a batch of 256, more rows than one
 * row block. */
static const int shapes[][3] = {{1, 5, 3},   {1, 512, 128}, {7, 33, 67},   {9, 17, 64},
                                {3, 48, 130}, {256, 96, 61}, {256, 512, 128}, {300, 70, 200}};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

static void fill(float *x, size_t n, uint64_t seed, float scale)
{
    rnnkit_rng r;
    rnnkit_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (2.0f * rnnkit_rng_uniform(&r) - 1.0f) * scale;
}

/* q[n][k] of a packed qmat (quant_internal.h's layout). */
static int qw_at(const rnnkit__qmat *w, int n, int k)
{
    return w->q[((size_t)(n / 16) * (size_t)(w->Kp / 4) + (size_t)(k / 4)) * 64 + (size_t)(n % 16) * 4 +
                (size_t)(k % 4)];
}

typedef struct prod {
    int M, N, K;
    float *A, *W, *C;
    rnnkit__qmat w;
    rnnkit__qbuf buf;
} prod;

static void prod_make(prod *p, const int *shape, uint64_t seed)
{
    rnnkit_error err;
    memset(p, 0, sizeof *p);
    p->M = shape[0], p->N = shape[1], p->K = shape[2];
    p->A = malloc((size_t)p->M * (size_t)p->K * sizeof(float));
    p->W = malloc((size_t)p->N * (size_t)p->K * sizeof(float));
    p->C = malloc((size_t)p->M * (size_t)p->N * sizeof(float));
    assert_non_null(p->A);
    assert_non_null(p->W);
    assert_non_null(p->C);
    fill(p->A, (size_t)p->M * (size_t)p->K, seed, 1.0f);
    fill(p->W, (size_t)p->N * (size_t)p->K, seed + 1, 0.3f);
    /* a zero row of A and of W: scale 0 */
    memset(p->A, 0, (size_t)p->K * sizeof(float) * (p->M > 2 ? 1 : 0));
    memset(p->W + (size_t)(p->N - 1) * (size_t)p->K, 0, (size_t)p->K * sizeof(float) * (p->N > 2 ? 1 : 0));
    assert_int_equal(rnnkit__qmat_alloc(&p->w, p->N, p->K, &err), RNNKIT_OK);
    rnnkit__qmat_set(&p->w, p->W);
    assert_int_equal(rnnkit__qbuf_reserve(&p->buf, (size_t)p->M, (size_t)p->w.Kp, &err), RNNKIT_OK);
}

static void prod_free(prod *p)
{
    free(p->A);
    free(p->W);
    free(p->C);
    rnnkit__qmat_free(&p->w);
    rnnkit__qbuf_free(&p->buf);
}

/*
 * (a) With a = s_a qa + e_a, |e_a| <= s_a / 2, and w = s_w qw + e_w,
 * |e_w| <= s_w / 2 (rounding to the nearest step; the clamp at 127 cuts
 * only a rounding excess), the product's error is
 *   Σ a w - Σ s_a qa s_w qw = Σ (e_a w + s_a qa e_w),
 * at most Σ_k (s_a |w_k| + s_w (|a_k| + s_a / 2)) / 2. The int8 result
 * equals s_a s_w Σ qa qw up to float rounding of the conversion (three
 * roundings: the int32 sum to float, s_a s_w, their product).
 */
static void test_int8_product_is_the_dequantized_product(void **state)
{
    (void)state;
    for (int s = 0; s < NSHAPES; s++) {
        prod p;
        prod_make(&p, shapes[s], 100 + (uint64_t)s);
        rnnkit__qgemm(NULL, p.M, p.A, &p.w, 0.0f, p.C, &p.buf, 0);
        for (int m = 0; m < p.M; m++)
            for (int n = 0; n < p.N; n++) {
                const float sa = p.buf.scale[m], sw = p.w.scale[n];
                double exact = 0.0, bound = 0.0;
                int64_t isum = 0;
                for (int k = 0; k < p.K; k++) {
                    const int qa = (int)p.buf.a[(size_t)m * (size_t)p.w.Kp + (size_t)k] - 128;
                    const double a = p.A[(size_t)m * (size_t)p.K + (size_t)k];
                    const double w = p.W[(size_t)n * (size_t)p.K + (size_t)k];
                    isum += (int64_t)qa * qw_at(&p.w, n, k);
                    exact += a * w;
                    bound += ((double)sa * fabs(w) + (double)sw * (fabs(a) + (double)sa / 2)) / 2;
                }
                /* Σ (s_a qa)(s_w qw) = s_a s_w Σ qa qw: the integer sum is
                 * exact, the two products in double round below float's
                 * precision. */
                const double deq = (double)sa * (double)sw * (double)isum;
                const double c = p.C[(size_t)m * (size_t)p.N + (size_t)n];
                if (fabs(c - deq) > 4.0 * FLT_EPSILON * fabs(deq) + 1e-30)
                    fail_msg("%dx%dx%d [%d][%d]: int8 %.9g, dequantized %.9g", p.M, p.N, p.K, m, n, c, deq);
                if (fabs(c - exact) > bound * 1.0001 + 1e-6 * fabs(exact) + 1e-30)
                    fail_msg("%dx%dx%d [%d][%d]: int8 %.9g, fp %.9g, bound %.3g", p.M, p.N, p.K, m, n, c, exact,
                             bound);
            }
        /* beta 1 adds the same values to C, rounded once */
        float *c0 = malloc((size_t)p.M * (size_t)p.N * sizeof(float));
        assert_non_null(c0);
        memcpy(c0, p.C, (size_t)p.M * (size_t)p.N * sizeof(float));
        float *c1 = malloc((size_t)p.M * (size_t)p.N * sizeof(float));
        assert_non_null(c1);
        fill(c1, (size_t)p.M * (size_t)p.N, 7, 2.0f);
        memcpy(p.C, c1, (size_t)p.M * (size_t)p.N * sizeof(float));
        rnnkit__qgemm(NULL, p.M, p.A, &p.w, 1.0f, p.C, &p.buf, 0);
        for (size_t i = 0; i < (size_t)p.M * (size_t)p.N; i++) {
            const float want = c1[i] + c0[i];
            assert_memory_equal(&p.C[i], &want, sizeof want);
        }
        free(c0);
        free(c1);
        prod_free(&p);
    }
}

/* (b), (c): the VNNI kernel and the portable one, on pools of 1, 2 and 3
 * threads, give the same bits, beta 0 and 1. */
static void test_kernels_and_threads_give_the_same_bits(void **state)
{
    (void)state;
    const int vnni = rnnkit__cpu_has_vnni();
    if (!vnni)
        print_message("AVX512-VNNI: not on this CPU (or under valgrind); the portable kernel alone is checked\n");
    rnnkit__pool *pools[3] = {NULL, NULL, NULL};
    rnnkit_error err;
    for (int t = 1; t < 3; t++)
        assert_int_equal(rnnkit__pool_create(t + 1, &pools[t], &err), RNNKIT_OK);
    for (int s = 0; s < NSHAPES; s++) {
        prod p;
        prod_make(&p, shapes[s], 200 + (uint64_t)s);
        const size_t MN = (size_t)p.M * (size_t)p.N;
        float *ref = malloc(MN * sizeof(float)), *init = malloc(MN * sizeof(float));
        assert_non_null(ref);
        assert_non_null(init);
        fill(init, MN, 9, 1.0f);
        for (int beta = 0; beta < 2; beta++) {
            memcpy(ref, init, MN * sizeof(float));
            rnnkit__qgemm(NULL, p.M, p.A, &p.w, (float)beta, ref, &p.buf, 0);
            for (int k = 0; k <= vnni; k++)
                for (int t = 0; t < 3; t++) {
                    memcpy(p.C, init, MN * sizeof(float));
                    rnnkit__qgemm(pools[t], p.M, p.A, &p.w, (float)beta, p.C, &p.buf, k);
                    if (memcmp(p.C, ref, MN * sizeof(float)))
                        fail_msg("%dx%dx%d beta %d: %s kernel on %d threads differs from the portable one",
                                 p.M, p.N, p.K, beta, k ? "VNNI" : "portable", t + 1);
                }
        }
        free(ref);
        free(init);
        prod_free(&p);
    }
    for (int t = 1; t < 3; t++)
        rnnkit__pool_free(pools[t]);
}

/* ---------------------------------------------------------------------- */
/* Classifiers */

enum { N = 240, LMAX = 8 };
static size_t doc_off[N + 1];
static int32_t doc_ids[N * LMAX], doc_lab[N];

static rnnkit_model *classifier(rnnkit_cell cell, int bidi, uint64_t seed)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.cell = cell;
    c.embed = 16;
    c.hidden = 24;
    c.layers = 2;
    c.bidirectional = bidi;
    c.pool = RNNKIT_POOL_MAX;
    const char *labels[] = {"neg", "pos"};
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "good bad great awful fine film plot not very", "test");
    return support_model(&c, v, labels, 2, seed);
}

/* The toy task of tests/test_model.c: "good" or "bad" among filler words,
 * "not" after it flips it. */
static rnnkit_dataset toy_docs(rnnkit_vocab *v)
{
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 99);
    const char *fillw[] = {"film", "plot", "very", "fine"};
    size_t pos = 0;
    for (int i = 0; i < N; i++) {
        doc_off[i] = pos;
        int len = 2 + (int)rnnkit_rng_below(&r, LMAX - 1);
        int good = (int)rnnkit_rng_below(&r, 2), neg = good && rnnkit_rng_below(&r, 3) == 0;
        int gpos = (int)rnnkit_rng_below(&r, (uint64_t)len);
        for (int t = 0; t < len; t++) {
            const char *w = fillw[rnnkit_rng_below(&r, 4)];
            if (t == gpos)
                w = good ? "good" : "bad";
            else if (neg && t == (gpos + 1) % len)
                w = "not";
            doc_ids[pos++] = (int32_t)rnnkit_vocab_lookup(v, w, strlen(w));
        }
        doc_lab[i] = good && !neg;
    }
    doc_off[N] = pos;
    return (rnnkit_dataset){.n = N, .off = doc_off, .ids = doc_ids, .label = doc_lab};
}

static void train(rnnkit_model *m, const rnnkit_dataset *d, int epochs)
{
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = epochs;
    o.train.batch = 16;
    o.train.lr = 0.01;
    o.train.patience = 0;
    rnnkit_dataset tr = *d, va = *d;
    tr.n = 200;
    va.n = N - 200;
    va.off = d->off + 200;
    va.label = d->label + 200;
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &tr, &va, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
}

/* (d) int8 probabilities within 0.03 of fp32 and the same label on all but
 * 2 % of the documents; off again: fp32, bit for bit. */
static void test_int8_classifiers_predict_near_fp32(void **state)
{
    (void)state;
    static float p32[N * 2], p8[N * 2], pb[N * 2];
    const rnnkit_cell cells[] = {RNNKIT_CELL_LSTM, RNNKIT_CELL_GRU, RNNKIT_CELL_RNN};
    rnnkit_error err;
    for (int i = 0; i < 3; i++) {
        rnnkit_model *m = classifier(cells[i], i == 0, 3 + (uint64_t)i);
        rnnkit_dataset d = toy_docs(rnnkit_model_vocab(m));
        train(m, &d, 6);
        assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, p32, &err), RNNKIT_OK);
        assert_int_equal(rnnkit_model_int8(m), 0);
        assert_int_equal(rnnkit_model_set_int8(m, 1, &err), RNNKIT_OK);
        assert_int_equal(rnnkit_model_int8(m), 1);
        assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, p8, &err), RNNKIT_OK);
        double worst = 0.0;
        int flips = 0;
        for (int k = 0; k < N; k++) {
            worst = fmax(worst, fabs((double)p8[2 * k] - p32[2 * k]));
            flips += (p8[2 * k] > p8[2 * k + 1]) != (p32[2 * k] > p32[2 * k + 1]);
        }
        print_message("%s%s: int8 probabilities within %.2g of fp32, %d of %d labels differ\n",
                      rnnkit_cell_name(cells[i]), i == 0 ? " bi" : "", worst, flips, N);
        if (worst > 0.03 || flips > N / 50)
            fail_msg("%s: int8 off by %.3g, %d labels differ", rnnkit_cell_name(cells[i]), worst, flips);
        size_t q = 0, f = 0;
        rnnkit_model_int8_bytes(m, &q, &f);
        assert_true(q > 0 && q < f);
        assert_int_equal(rnnkit_model_set_int8(m, 0, &err), RNNKIT_OK);
        assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pb, &err), RNNKIT_OK);
        assert_memory_equal(pb, p32, sizeof p32);
        rnnkit_model_free(m);
    }
}

/* Training after set_int8 gives the weights of a model that never had it
 * (the validation passes inside training stay fp32); afterwards the int8
 * copies follow the trained weights (as fresh copies of them would). */
static void test_training_ignores_int8_and_copies_follow_weights(void **state)
{
    (void)state;
    static float pa[N * 2], pb[N * 2];
    rnnkit_error err;
    rnnkit_model *a = classifier(RNNKIT_CELL_LSTM, 1, 8), *b = classifier(RNNKIT_CELL_LSTM, 1, 8);
    rnnkit_dataset d = toy_docs(rnnkit_model_vocab(a));
    assert_int_equal(rnnkit_model_set_int8(a, 1, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_classifier_predict(a, &d, 0, 1, pa, &err), RNNKIT_OK); /* copies of the initial weights */
    train(a, &d, 2);
    train(b, &d, 2);
    assert_int_equal(rnnkit_model_num_params(a), rnnkit_model_num_params(b));
    assert_memory_equal(rnnkit_model_weights(a), rnnkit_model_weights(b), rnnkit_model_num_params(a) * sizeof(float));
    assert_int_equal(rnnkit_classifier_predict(a, &d, 0, 1, pa, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_model_set_int8(b, 1, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_classifier_predict(b, &d, 0, 1, pb, &err), RNNKIT_OK);
    assert_memory_equal(pa, pb, sizeof pa);
    rnnkit_model_free(a);
    rnnkit_model_free(b);

    /* not for a generator */
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 8;
    c.hidden = 8;
    rnnkit_model *g = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, "abc", "test"), NULL, 0, 1);
    assert_int_equal(rnnkit_model_set_int8(g, 1, &err), RNNKIT_ERR_ARG);
    rnnkit_model_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int8_product_is_the_dequantized_product),
        cmocka_unit_test(test_kernels_and_threads_give_the_same_bits),
        cmocka_unit_test(test_int8_classifiers_predict_near_fp32),
        cmocka_unit_test(test_training_ignores_int8_and_copies_follow_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
