/*
 * tests/test_forecast_grad.c: the whole forecaster's gradient (two
 * recurrent layers over a window of several columns -> the top layer's last
 * state -> dense -> mean squared error over B x horizon outputs, as
 * rnnkit__forecaster_loss computes it) against central finite differences,
 * for every cell (LSTM, GRU, RNN), dropout 0, horizon 3, three input
 * columns.
 *
 * For each tensor, 8 entries drawn with a fixed seed are moved by +-EPS and
 *   numeric = (L(w + EPS) - L(w - EPS)) / (2 EPS)
 * (L the mean squared error, double, from an fp32 forward). EPS = 1e-2: the
 * fp32 noise on L (~1e-8, L ~ 0.1..1) gives ~1e-6 on the quotient, the
 * truncation error EPS^2 |L'''| / 6 ~ 1e-5 for these small smooth networks.
 * Required: |analytic - numeric| <= 5e-5 + 2e-3 |numeric|. The test also
 * proves the bound can fail: the analytic gradient scaled by 1.1 must fail
 * it on every entry whose gradient exceeds 1e-3 (at least a quarter).
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
#include "support.h"

#define EPS 1e-2f
#define ATOL 5e-5
#define RTOL 2e-3
#define PER_TENSOR 8

enum { T = 5, B = 4, F = 3, K = 3 };

static rnnkit_model *network(rnnkit_cell cell, uint64_t seed)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_FORECAST);
    c.cell = cell;
    c.hidden = 6;
    c.layers = 2;
    c.inputs = F;
    c.lookback = T;
    c.horizon = K;
    return support_model(&c, NULL, NULL, 0, seed);
}

static double loss_of(rnnkit_model *m, const float *x, const float *y)
{
    double l;
    rnnkit_error err;
    if (rnnkit__forecaster_loss(m, x, y, B, 0, &l, &err))
        fail_msg("%s", err.msg);
    return l;
}

static void check_cell(rnnkit_cell cell)
{
    rnnkit_model *m = network(cell, 3 + (uint64_t)cell);
    float x[T * B * F], y[B * K];
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 77);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = 2.0f * rnnkit_rng_uniform(&r) - 1.0f;
    for (size_t i = 0; i < sizeof y / sizeof y[0]; i++)
        y[i] = 2.0f * rnnkit_rng_uniform(&r) - 1.0f;
    rnnkit__params *p = rnnkit__model_params(m);
    double l;
    rnnkit_error err;
    if (rnnkit__forecaster_loss(m, x, y, B, 1, &l, &err))
        fail_msg("%s", err.msg);
    float *g = malloc(p->count * sizeof *g);
    assert_non_null(g);
    memcpy(g, p->grad, p->count * sizeof *g);
    int checked = 0, strong = 0, caught = 0;
    for (int v = 0; v < p->nviews; v++) {
        const rnnkit__param_view *pv = &p->views[v];
        for (int k = 0; k < PER_TENSOR; k++) {
            const size_t i = pv->offset + (size_t)rnnkit_rng_below(&r, pv->numel);
            const float w = p->value[i];
            p->value[i] = w + EPS;
            const double lp = loss_of(m, x, y);
            p->value[i] = w - EPS;
            const double lm = loss_of(m, x, y);
            p->value[i] = w;
            const double num = (lp - lm) / (2.0 * EPS), ana = g[i], tol = ATOL + RTOL * fabs(num);
            if (fabs(ana - num) > tol)
                fail_msg("%s %s[%zu]: analytic %.8g, numeric %.8g", rnnkit_cell_name(cell), pv->name,
                         i - pv->offset, ana, num);
            checked++;
            if (fabs(num) > 1e-3) {
                strong++;
                caught += fabs(1.1 * ana - num) > tol;
            }
        }
    }
    assert_true(checked >= 8 * 6);
    assert_true(strong * 4 >= checked);
    assert_int_equal(caught, strong); /* a 10 % error in any sizeable entry fails */
    free(g);
    rnnkit_model_free(m);
}

static void test_lstm(void **state)
{
    (void)state;
    check_cell(RNNKIT_CELL_LSTM);
}

static void test_gru(void **state)
{
    (void)state;
    check_cell(RNNKIT_CELL_GRU);
}

static void test_rnn(void **state)
{
    (void)state;
    check_cell(RNNKIT_CELL_RNN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_rnn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
