/*
 * tests/test_gradcheck.c: the whole classifier's gradient (embedding ->
 * two recurrent layers -> pooling -> dense -> softmax cross-entropy, as
 * rnnkit__classifier_loss computes it on one batch) against central finite
 * differences, for every cell (LSTM, GRU, RNN), pooling (last, mean, max)
 * and direction (uni, bi), dropout 0. Documents of different lengths, so
 * padding and masks are part of it.
 *
 * For each tensor, 8 entries drawn with a fixed seed (embedding entries
 * from rows of ids that occur) are moved by +-EPS and
 *   numeric = (L(w + EPS) - L(w - EPS)) / (2 EPS),
 * with L the mean loss (double, from an fp32 forward). EPS = 1e-2: the fp32
 * rounding noise on L (~4e-8 absolute, L ~ 1) gives ~2e-6 on the quotient,
 * the truncation error EPS^2 |L'''| / 6 is ~1e-5 for these small smooth
 * networks. Required:
 *   |analytic - numeric| <= 5e-5 + 2e-3 |numeric|,
 * over three times the largest error seen (0.3 of the bound, on entries of
 * 1e-5 to 0.3), and far below what a wrong term gives: the test also checks
 * that, on the entries with |gradient| > 1e-3 (at least a quarter), the
 * analytic gradient scaled by 1.1, or the gradient of another entry of the
 * same tensor, would fail.
 * The same quotient over +-EPS2 = 2e-3 must agree with it within 1e-4
 * (smooth: they differ by the truncation error and noise, ~2e-5). Max
 * pooling is not differentiable where two time steps tie for a channel; a
 * tie crossed within EPS shows as a disagreement of the two quotients, and
 * such an entry is skipped, at most 3 per network (the seeds give 0 to 2);
 * for last and mean pooling a disagreement fails.
 */
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
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

#define EPS 1e-2f
#define EPS2 2e-3f
#define ATOL 5e-5
#define RTOL 2e-3
#define KINK 1e-4
#define PER_TENSOR 8

enum { NDOC = 5 };
/* lengths 1, 3, 4, 6, 2: padding on every document but the longest */
static const size_t OFF[NDOC + 1] = {0, 1, 4, 8, 14, 16};
static const int32_t IDS[16] = {3, 4, 2, 7, 5, 5, 6, 2, 8, 3, 9, 4, 7, 6, 9, 2};
static const int32_t LAB[NDOC] = {0, 2, 1, 2, 0};

static rnnkit_model *network(rnnkit_cell cell, rnnkit_pool pool, int bidi, uint64_t seed)
{
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "a b c d e f g h", "t");
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.cell = cell;
    c.pool = pool;
    c.bidirectional = bidi;
    c.embed = 4;
    c.hidden = 3;
    c.layers = 2;
    c.dropout = 0;
    c.embed_dropout = 0;
    c.weight_drop = 0;
    c.maxlen = 0;
    const char *labels[] = {"x", "y", "z"};
    rnnkit_model *m = support_model(&c, v, labels, 3, seed);
    assert_int_equal(rnnkit_vocab_size(rnnkit_model_vocab(m)), 10);
    /* embeddings N(0,1) halved: the cells stay away from saturation */
    rnnkit__params *p = rnnkit__model_params(m);
    const rnnkit__param_view *e = rnnkit__params_find(p, "embedding.weight");
    for (size_t i = 0; i < e->numel; i++)
        p->value[e->offset + i] *= 0.5f;
    rnnkit__model_params(m);
    return m;
}

static double loss_of(rnnkit_model *m, const rnnkit_dataset *d)
{
    rnnkit__model_params(m); /* weights changed through a kept pointer */
    double loss;
    rnnkit_error err;
    if (rnnkit__classifier_loss(m, d, 0, 0, 0, &loss, &err))
        fail_msg("%s", err.msg);
    return loss;
}

static void check_network(rnnkit_cell cell, rnnkit_pool pool, int bidi, double *worst)
{
    char what[64];
    snprintf(what, sizeof what, "%s %s %s", rnnkit_cell_name(cell), rnnkit_pool_name(pool), bidi ? "bi" : "uni");
    rnnkit_model *m = network(cell, pool, bidi, 500 + (uint64_t)cell * 10 + (uint64_t)pool * 2 + (uint64_t)bidi);
    rnnkit_dataset d = {.n = NDOC, .off = OFF, .ids = IDS, .label = LAB};
    rnnkit__params *p = rnnkit__model_params(m);
    double loss0;
    rnnkit_error err;
    if (rnnkit__classifier_loss(m, &d, 0, 0, 1, &loss0, &err))
        fail_msg("%s: %s", what, err.msg);
    assert_true(isfinite(loss0) && loss0 > 0.3 && loss0 < 3);
    float *grad = malloc(p->count * sizeof *grad);
    assert_non_null(grad);
    memcpy(grad, p->grad, p->count * sizeof *grad);
    assert_true(loss_of(m, &d) == loss0); /* deterministic: dropout off */

    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 7);
    int checked = 0, skipped = 0, big = 0, caught_scaled = 0, caught_swapped = 0, tested_swapped = 0;
    for (int v = 0; v < p->nviews; v++) {
        const rnnkit__param_view *pv = &p->views[v];
        int is_emb = !strcmp(pv->name, "embedding.weight");
        size_t prev = SIZE_MAX;
        for (int k = 0; k < PER_TENSOR; k++) {
            size_t i;
            if (is_emb) { /* an entry of a row that occurs */
                int32_t id = IDS[rnnkit_rng_below(&rng, 16)];
                i = (size_t)id * (size_t)pv->shape[1] + rnnkit_rng_below(&rng, (uint64_t)pv->shape[1]);
            } else {
                i = rnnkit_rng_below(&rng, pv->numel);
            }
            float *w = &p->value[pv->offset + i];
            const float w0 = *w;
            *w = w0 + EPS;
            double lp = loss_of(m, &d);
            *w = w0 - EPS;
            double lm = loss_of(m, &d);
            *w = w0 + EPS2;
            double lp2 = loss_of(m, &d);
            *w = w0 - EPS2;
            double lm2 = loss_of(m, &d);
            *w = w0;
            double num = (lp - lm) / (2.0 * (double)EPS), num2 = (lp2 - lm2) / (2.0 * (double)EPS2);
            if (fabs(num - num2) > KINK) {
                if (pool != RNNKIT_POOL_MAX)
                    fail_msg("%s: %s[%zu]: differences over +-%g and +-%g disagree: %.8g, %.8g", what, pv->name,
                             i, (double)EPS, (double)EPS2, num, num2);
                skipped++;
                continue;
            }
            double ana = (double)grad[pv->offset + i];
            double tol = ATOL + RTOL * fabs(num);
            double e = fabs(ana - num) / tol;
            if (e > *worst)
                *worst = e;
            if (fabs(ana - num) > tol)
                fail_msg("%s: %s[%zu]: analytic %.8g, numeric %.8g (loss %.8g)", what, pv->name, i, ana, num,
                         loss0);
            checked++;
            if (fabs(num) > 1e-3) {
                big++;
                /* a gradient 10% off would not pass */
                caught_scaled += fabs(1.1 * ana - num) > tol;
                /* nor one taken from another entry of the tensor */
                if (prev != SIZE_MAX && prev != i) {
                    double other = (double)grad[pv->offset + prev];
                    tested_swapped++;
                    caught_swapped += fabs(other - num) > tol;
                }
            }
            prev = i;
        }
    }
    if (skipped > 3)
        fail_msg("%s: %d entries on a max-pooling kink", what, skipped);
    /* enough entries with a real gradient, and the bound is tight for them */
    if (big < checked / 4)
        fail_msg("%s: only %d of %d entries have |gradient| > 1e-3", what, big, checked);
    assert_int_equal(caught_scaled, big);
    if (caught_swapped < tested_swapped * 9 / 10)
        fail_msg("%s: the bound lets %d of %d swapped gradients pass", what, tested_swapped - caught_swapped,
                 tested_swapped);
    free(grad);
    rnnkit_model_free(m);
}

static void check_cell(rnnkit_cell cell)
{
    double worst = 0;
    for (int pool = 0; pool < 3; pool++)
        for (int bidi = 0; bidi < 2; bidi++)
            check_network(cell, (rnnkit_pool)pool, bidi, &worst);
    /* the largest error as a fraction of the allowed one */
    print_message("      %s: largest error %.3f of the bound\n", rnnkit_cell_name(cell), worst);
}

static void test_lstm_classifier_gradient(void **state)
{
    (void)state;
    check_cell(RNNKIT_CELL_LSTM);
}

static void test_gru_classifier_gradient(void **state)
{
    (void)state;
    check_cell(RNNKIT_CELL_GRU);
}

static void test_rnn_classifier_gradient(void **state)
{
    (void)state;
    check_cell(RNNKIT_CELL_RNN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lstm_classifier_gradient),
        cmocka_unit_test(test_gru_classifier_gradient),
        cmocka_unit_test(test_rnn_classifier_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
