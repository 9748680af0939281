/*
 * tests/test_rnn.c: the recurrent layers (model/rnn.c) on their own:
 * gradients against finite differences, masking, stepping, workspace reuse,
 * configuration checks, initialisation and the fast activations.
 * tests/test_parity.c checks the same layers against PyTorch.
 *
 * Finite differences. The layers compute in fp32. The probe loss
 *   L = sum(y * r) + sum(hn * q) + sum(cn * s)   (r, q, s fixed, random)
 * is accumulated in double, and each parameter / input / h0 / c0 element is
 * perturbed by ±eps with eps = 1e-2 (central differences). Why that eps: the
 * fp32 forward carries a relative rounding of ~1e-7 on L (L ~ 10), so the
 * rounding noise on the difference quotient is ~1e-6 / (2 eps) ~ 5e-5, while
 * the truncation error of central differences is eps² |L'''| / 6 ~ 2e-5 for
 * these smooth cells; a smaller eps would drown in rounding, a larger one in
 * truncation. We require
 *   |analytic - numeric| <= 1e-3 + 1e-2 |numeric|,
 * 20x above the measured noise and far below what any wrong term (a missing
 * factor, a wrong gate, a lost time step) produces.
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

#include "model/rnn_internal.h"
#include "model/nn_internal.h"

#define FD_EPS 1e-2f
#define FD_ATOL 1e-3
#define FD_RTOL 1e-2

static const rnnkit_cell CELLS[3] = {RNNKIT_CELL_LSTM, RNNKIT_CELL_GRU, RNNKIT_CELL_RNN};

/* ---------------------------------------------------------------------- */
/* Helpers */

typedef struct net {
    rnnkit__params p;
    rnnkit__rnn *rnn;
    rnnkit__rnn_config cfg;
    int D, LD;
} net;

static void net_make_wd(net *n, rnnkit_cell cell, int E, int H, int L, int bi, float dropout,
                        float weight_drop, uint64_t seed)
{
    memset(n, 0, sizeof *n);
    rnnkit__params_init(&n->p);
    rnnkit_error err;
    n->cfg = (rnnkit__rnn_config){.cell = cell, .input_size = E, .hidden_size = H,
                                 .num_layers = L, .bidirectional = bi, .dropout = dropout,
                                 .weight_drop = weight_drop};
    if (rnnkit__rnn_create(&n->cfg, &n->p, "rnn", &n->rnn, &err) ||
        rnnkit__params_alloc(&n->p, &err))
        fail_msg("creating the layer: %s", err.msg);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, seed);
    /* A larger spread than torch's default, so that every gate works away
     * from its linear region and errors in the nonlinearities show. */
    rnnkit__rnn_init(n->rnn, &rng, 0.0f);
    for (size_t i = 0; i < n->p.count; i++)
        n->p.value[i] *= 1.5f;
    n->D = bi ? 2 : 1;
    n->LD = L * n->D;
}

static void net_make(net *n, rnnkit_cell cell, int E, int H, int L, int bi, float dropout,
                     uint64_t seed)
{
    net_make_wd(n, cell, E, H, L, bi, dropout, 0.0f, seed);
}

static void net_free(net *n)
{
    rnnkit__rnn_free(n->rnn);
    rnnkit__params_free(&n->p);
}

static float *randv(rnnkit_rng *rng, size_t n, float scale)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (2.0f * rnnkit_rng_uniform(rng) - 1.0f) * scale;
    return v;
}

static float *zeros(size_t n)
{
    float *v = calloc(n ? n : 1, sizeof *v);
    assert_non_null(v);
    return v;
}

/* mask [T][B]: sequence b real on [0, len[b]) (post) or [T - len[b], T) (pre). */
static void fill_mask(float *mask, int T, int B, const int *len, int pre)
{
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            int real = pre ? t >= T - len[b] : t < len[b];
            mask[t * B + b] = real ? 1.0f : 0.0f;
        }
}

static double dotd(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * (double)b[i];
    return s;
}

static void assert_all_close(const char *what, const float *a, const float *b, size_t n,
                             double atol, double rtol)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)a[i] - (double)b[i]) <= atol + rtol * fabs((double)b[i])))
            fail_msg("%s[%zu]: %.9g vs %.9g", what, i, (double)a[i], (double)b[i]);
}

static void assert_all_equal(const char *what, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)))
            fail_msg("%s[%zu]: %.9g vs %.9g (must be bit-identical)", what, i, (double)a[i],
                     (double)b[i]);
}

/* ---------------------------------------------------------------------- */
/* Finite-difference gradient checks */

enum { GC_E = 3, GC_H = 4, GC_T = 5, GC_B = 3 };
static const int GC_LEN[GC_B] = {5, 3, 1}; /* ragged, incl. a length-1 sequence */

typedef struct gc_case {
    rnnkit_cell cell;
    int layers, bi;
    float dropout;
    int pad; /* 0 none, 1 post-padding, 2 pre-padding */
    int with_h0;
    float weight_drop;
} gc_case;

typedef struct gc_probe {
    net *n;
    const float *x, *mask, *h0, *c0, *r, *q, *s;
    rnnkit_rng rng; /* copied before every forward: the same dropout mask each time */
    float *hn, *cn;
} gc_probe;

static double probe_loss(gc_probe *g)
{
    rnnkit_rng rng = g->rng;
    const float *y = NULL;
    rnnkit_error err;
    if (rnnkit__rnn_forward(g->n->rnn, GC_T, GC_B, g->x, g->mask, g->h0, g->c0, 1, &rng, &y, g->hn,
                           g->cn, &err))
        fail_msg("forward: %s", err.msg);
    const size_t S = (size_t)g->n->LD * GC_B * GC_H;
    double L = dotd(y, g->r, (size_t)GC_T * GC_B * g->n->D * GC_H) + dotd(g->hn, g->q, S);
    if (g->n->cfg.cell == RNNKIT_CELL_LSTM)
        L += dotd(g->cn, g->s, S);
    return L;
}

/* Central difference of the loss w.r.t. v[i]. */
static double numeric(gc_probe *g, float *v, size_t i)
{
    float keep = v[i];
    v[i] = keep + FD_EPS;
    double lp = probe_loss(g);
    v[i] = keep - FD_EPS;
    double lm = probe_loss(g);
    v[i] = keep;
    return (lp - lm) / (2.0 * (double)FD_EPS);
}

static void check_grad(const char *what, size_t i, double analytic, double num)
{
    if (!(fabs(analytic - num) <= FD_ATOL + FD_RTOL * fabs(num)))
        fail_msg("%s[%zu]: analytic %.7g vs finite difference %.7g", what, i, analytic, num);
}

static void test_gradients_match_finite_differences(void **state)
{
    const gc_case *c = *state;
    net n;
    net_make_wd(&n, c->cell, GC_E, GC_H, c->layers, c->bi, c->dropout, c->weight_drop, 11 + (uint64_t)c->cell);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 99);
    const size_t TB = (size_t)GC_T * GC_B, S = (size_t)n.LD * GC_B * GC_H;
    /* x is nonzero at padded steps too: they must not matter. */
    float *x = randv(&rng, TB * GC_E, 1.0f);
    float *r = randv(&rng, TB * n.D * GC_H, 1.0f), *q = randv(&rng, S, 1.0f);
    float *s = randv(&rng, S, 1.0f);
    float *h0 = c->with_h0 ? randv(&rng, S, 0.8f) : NULL;
    float *c0 = c->with_h0 ? randv(&rng, S, 0.8f) : NULL;
    float mask[GC_T * GC_B];
    fill_mask(mask, GC_T, GC_B, GC_LEN, c->pad == 2);
    gc_probe g = {.n = &n, .x = x, .mask = c->pad ? mask : NULL, .h0 = h0, .c0 = c0,
                  .r = r, .q = q, .s = s, .hn = zeros(S), .cn = zeros(S)};
    rnnkit_rng_seed(&g.rng, 5);

    /* Analytic gradients. */
    float *dx = zeros(TB * GC_E), *dh0 = zeros(S), *dc0 = zeros(S);
    rnnkit_error err;
    (void)probe_loss(&g);
    rnnkit__params_zero_grad(&n.p);
    if (rnnkit__rnn_backward(n.rnn, r, q, c->cell == RNNKIT_CELL_LSTM ? s : NULL, dx, dh0, dc0, &err))
        fail_msg("backward: %s", err.msg);
    float *grad = malloc(n.p.count * sizeof *grad);
    assert_non_null(grad);
    memcpy(grad, n.p.grad, n.p.count * sizeof *grad);

    for (int v = 0; v < n.p.nviews; v++) {
        const rnnkit__param_view *pv = &n.p.views[v];
        for (size_t i = 0; i < pv->numel; i++)
            check_grad(pv->name, i, grad[pv->offset + i], numeric(&g, n.p.value, pv->offset + i));
    }
    for (size_t i = 0; i < TB * GC_E; i++) {
        check_grad("x", i, dx[i], numeric(&g, x, i));
        if (c->pad && mask[i / GC_E] == 0.0f && dx[i] != 0.0f)
            fail_msg("x[%zu] is padding but has gradient %g", i, (double)dx[i]);
    }
    if (h0)
        for (size_t i = 0; i < S; i++) {
            check_grad("h0", i, dh0[i], numeric(&g, h0, i));
            if (c->cell == RNNKIT_CELL_LSTM)
                check_grad("c0", i, dc0[i], numeric(&g, c0, i));
        }
    free(grad);
    free(dx);
    free(dh0);
    free(dc0);
    free(g.hn);
    free(g.cn);
    free(x);
    free(r);
    free(q);
    free(s);
    free(h0);
    free(c0);
    net_free(&n);
}

/* ---------------------------------------------------------------------- */
/* Masks */

/* Runs one sequence of `len` real steps alone (B = 1) and inside a padded
 * batch (B = 3, T = 7, post- or pre-padded); outputs and final states must
 * agree, padded outputs must be exactly 0, and changing x at padded steps
 * must change nothing. */
static void test_padded_sequence_behaves_as_if_alone(void **state)
{
    (void)state;
    enum { E = 3, H = 5, T = 7, B = 3 };
    const int len[B] = {7, 4, 1};
    for (int ci = 0; ci < 3; ci++)
        for (int pre = 0; pre <= 1; pre++) {
            net n;
            net_make(&n, CELLS[ci], E, H, 2, 1, 0.0f, 3);
            const int DH = n.D * H;
            const size_t S = (size_t)n.LD * B * H;
            rnnkit_rng rng;
            rnnkit_rng_seed(&rng, 7);
            float *x = randv(&rng, (size_t)T * B * E, 1.0f), *h0 = randv(&rng, S, 0.5f);
            float *c0 = randv(&rng, S, 0.5f);
            float mask[T * B];
            fill_mask(mask, T, B, len, pre);
            float *hn = zeros(S), *cn = zeros(S), *y = zeros((size_t)T * B * DH);
            const float *yp = NULL;
            rnnkit_error err;
            assert_int_equal(rnnkit__rnn_forward(n.rnn, T, B, x, mask, h0, c0, 0, NULL, &yp, hn,
                                                cn, &err),
                             RNNKIT_OK);
            memcpy(y, yp, (size_t)T * B * DH * sizeof *y);
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                    if (mask[t * B + b] == 0.0f)
                        for (int j = 0; j < DH; j++)
                            assert_true(y[((size_t)t * B + b) * DH + j] == 0.0f);

            /* Each sequence alone. */
            for (int b = 0; b < B; b++) {
                const int first = pre ? T - len[b] : 0;
                float *xs = zeros((size_t)len[b] * E), *h0s = zeros((size_t)n.LD * H);
                float *c0s = zeros((size_t)n.LD * H), *hns = zeros((size_t)n.LD * H);
                float *cns = zeros((size_t)n.LD * H);
                for (int t = 0; t < len[b]; t++)
                    memcpy(xs + (size_t)t * E, x + ((size_t)(first + t) * B + b) * E,
                           E * sizeof(float));
                for (int i = 0; i < n.LD; i++) {
                    memcpy(h0s + (size_t)i * H, h0 + ((size_t)i * B + b) * H, H * sizeof(float));
                    memcpy(c0s + (size_t)i * H, c0 + ((size_t)i * B + b) * H, H * sizeof(float));
                }
                assert_int_equal(rnnkit__rnn_forward(n.rnn, len[b], 1, xs, NULL, h0s, c0s, 0, NULL,
                                                    &yp, hns, cns, &err),
                                 RNNKIT_OK);
                for (int t = 0; t < len[b]; t++)
                    assert_all_close("y alone vs padded", yp + (size_t)t * DH,
                                     y + ((size_t)(first + t) * B + b) * DH, (size_t)DH, 1e-6, 1e-5);
                for (int i = 0; i < n.LD; i++) {
                    assert_all_close("hn alone vs padded", hns + (size_t)i * H,
                                     hn + ((size_t)i * B + b) * H, H, 1e-6, 1e-5);
                    if (CELLS[ci] == RNNKIT_CELL_LSTM)
                        assert_all_close("cn alone vs padded", cns + (size_t)i * H,
                                         cn + ((size_t)i * B + b) * H, H, 1e-6, 1e-5);
                }
                free(xs);
                free(h0s);
                free(c0s);
                free(hns);
                free(cns);
            }

            /* Garbage at padded steps changes nothing. */
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                    if (mask[t * B + b] == 0.0f)
                        for (int e = 0; e < E; e++)
                            x[((size_t)t * B + b) * E + e] = 1e3f * (float)(e + 1);
            float *hn2 = zeros(S), *cn2 = zeros(S);
            assert_int_equal(rnnkit__rnn_forward(n.rnn, T, B, x, mask, h0, c0, 0, NULL, &yp, hn2,
                                                cn2, &err),
                             RNNKIT_OK);
            assert_all_equal("y with garbage padding", yp, y, (size_t)T * B * DH);
            assert_all_equal("hn with garbage padding", hn2, hn, S);
            assert_all_equal("cn with garbage padding", cn2, cn, S);
            free(hn2);
            free(cn2);
            free(x);
            free(h0);
            free(c0);
            free(hn);
            free(cn);
            free(y);
            net_free(&n);
        }
}

/* A step whose mask is 0 leaves the state exactly as it was, even in the
 * middle of a sequence, and passes the state gradient through unchanged. */
static void test_masked_step_leaves_state_and_gradient_unchanged(void **state)
{
    (void)state;
    enum { E = 2, H = 3, B = 2 };
    for (int ci = 0; ci < 3; ci++) {
        net n;
        net_make(&n, CELLS[ci], E, H, 1, 0, 0.0f, 4);
        rnnkit_rng rng;
        rnnkit_rng_seed(&rng, 8);
        float *x = randv(&rng, 3 * B * E, 1.0f), *h0 = randv(&rng, B * H, 1.0f);
        float *c0 = randv(&rng, B * H, 1.0f), *dhn = randv(&rng, B * H, 1.0f);
        float *dcn = randv(&rng, B * H, 1.0f);
        float hn[B * H], cn[B * H], dh0[B * H], dc0[B * H];
        const float mask[2 * B] = {0.0f, 0.0f, 0.0f, 0.0f}; /* T = 2, all padding */
        const float *y = NULL;
        rnnkit_error err;
        assert_int_equal(rnnkit__rnn_forward(n.rnn, 2, B, x, mask, h0, c0, 1, NULL, &y, hn, cn, &err),
                         RNNKIT_OK);
        assert_all_equal("hn after padding only", hn, h0, B * H);
        if (CELLS[ci] == RNNKIT_CELL_LSTM)
            assert_all_equal("cn after padding only", cn, c0, B * H);
        rnnkit__params_zero_grad(&n.p);
        assert_int_equal(rnnkit__rnn_backward(n.rnn, NULL, dhn, dcn, NULL, dh0, dc0, &err), RNNKIT_OK);
        assert_all_equal("dh0 through padding", dh0, dhn, B * H);
        if (CELLS[ci] == RNNKIT_CELL_LSTM)
            assert_all_equal("dc0 through padding", dc0, dcn, B * H);
        for (size_t i = 0; i < n.p.count; i++)
            assert_true(n.p.grad[i] == 0.0f);

        /* Real, padded, real: the same as real, real. */
        const float mask3[3 * B] = {1, 1, 0, 0, 1, 1};
        float hn3[B * H], cn3[B * H];
        assert_int_equal(rnnkit__rnn_forward(n.rnn, 3, B, x, mask3, h0, c0, 0, NULL, &y, hn3, cn3,
                                            &err),
                         RNNKIT_OK);
        float x2[2 * B * E];
        memcpy(x2, x, B * E * sizeof(float));
        memcpy(x2 + B * E, x + 2 * B * E, B * E * sizeof(float));
        float hn2[B * H], cn2[B * H];
        assert_int_equal(rnnkit__rnn_forward(n.rnn, 2, B, x2, NULL, h0, c0, 0, NULL, &y, hn2, cn2,
                                            &err),
                         RNNKIT_OK);
        assert_all_close("hn with a padded middle step", hn3, hn2, B * H, 1e-6, 1e-6);
        free(x);
        free(h0);
        free(c0);
        free(dhn);
        free(dcn);
        net_free(&n);
    }
}

/* A mask of all ones gives bit-identical results to a NULL mask. */
static void test_all_ones_mask_equals_no_mask(void **state)
{
    (void)state;
    enum { E = 3, H = 4, T = 4, B = 3 };
    for (int ci = 0; ci < 3; ci++) {
        net n;
        net_make(&n, CELLS[ci], E, H, 2, 1, 0.0f, 5);
        const size_t S = (size_t)n.LD * B * H, Y = (size_t)T * B * n.D * H;
        rnnkit_rng rng;
        rnnkit_rng_seed(&rng, 9);
        float *x = randv(&rng, (size_t)T * B * E, 1.0f), *dy = randv(&rng, Y, 1.0f);
        float *dhn = randv(&rng, S, 1.0f), *dcn = randv(&rng, S, 1.0f);
        float ones[T * B];
        for (int i = 0; i < T * B; i++)
            ones[i] = 1.0f;
        float *out[2][6]; /* y, hn, cn, dx, dh0, grad for mask = NULL, ones */
        for (int m = 0; m < 2; m++) {
            out[m][0] = zeros(Y), out[m][1] = zeros(S), out[m][2] = zeros(S);
            out[m][3] = zeros((size_t)T * B * E), out[m][4] = zeros(S);
            out[m][5] = zeros(n.p.count);
            const float *y = NULL;
            rnnkit_error err;
            assert_int_equal(rnnkit__rnn_forward(n.rnn, T, B, x, m ? ones : NULL, NULL, NULL, 1,
                                                NULL, &y, out[m][1], out[m][2], &err),
                             RNNKIT_OK);
            memcpy(out[m][0], y, Y * sizeof(float));
            rnnkit__params_zero_grad(&n.p);
            assert_int_equal(rnnkit__rnn_backward(n.rnn, dy, dhn, dcn, out[m][3], out[m][4], NULL,
                                                 &err),
                             RNNKIT_OK);
            memcpy(out[m][5], n.p.grad, n.p.count * sizeof(float));
        }
        const char *names[6] = {"y", "hn", "cn", "dx", "dh0", "weight grads"};
        const size_t sizes[6] = {Y, S, S, (size_t)T * B * E, S, n.p.count};
        for (int k = 0; k < 6; k++) {
            assert_all_equal(names[k], out[1][k], out[0][k], sizes[k]);
            free(out[0][k]);
            free(out[1][k]);
        }
        free(x);
        free(dy);
        free(dhn);
        free(dcn);
        net_free(&n);
    }
}

/* ---------------------------------------------------------------------- */
/* Stepping and the workspace */

/* The generator feeds one step at a time, carrying hn/cn into the next call
 * (here with h0 == hn, the same buffer): that must equal one forward over
 * all steps. B = 1 (the generator's case, gemv path) and B = 2. */
static void test_one_step_at_a_time_equals_one_forward(void **state)
{
    (void)state;
    enum { E = 3, H = 8, T = 6 };
    for (int ci = 0; ci < 3; ci++)
        for (int B = 1; B <= 2; B++) {
            net n;
            net_make(&n, CELLS[ci], E, H, 2, 0, 0.5f, 6);
            const size_t S = (size_t)n.LD * B * H;
            rnnkit_rng rng;
            rnnkit_rng_seed(&rng, 10);
            float *x = randv(&rng, (size_t)T * B * E, 1.0f);
            float *yall = zeros((size_t)T * B * H), *hn = zeros(S), *cn = zeros(S);
            float *h = zeros(S), *c = zeros(S);
            const float *y = NULL;
            rnnkit_error err;
            assert_int_equal(rnnkit__rnn_forward(n.rnn, T, B, x, NULL, NULL, NULL, 0, NULL, &y, hn,
                                                cn, &err),
                             RNNKIT_OK);
            memcpy(yall, y, (size_t)T * B * H * sizeof(float));
            for (int t = 0; t < T; t++) {
                assert_int_equal(rnnkit__rnn_forward(n.rnn, 1, B, x + (size_t)t * B * E, NULL,
                                                    t ? h : NULL, t ? c : NULL, 0, NULL, &y, h, c,
                                                    &err),
                                 RNNKIT_OK);
                assert_all_close("y stepped", y, yall + (size_t)t * B * H, (size_t)B * H, 1e-6,
                                 1e-5);
            }
            assert_all_close("hn stepped", h, hn, S, 1e-6, 1e-5);
            if (CELLS[ci] == RNNKIT_CELL_LSTM)
                assert_all_close("cn stepped", c, cn, S, 1e-6, 1e-5);
            free(x);
            free(yall);
            free(hn);
            free(cn);
            free(h);
            free(c);
            net_free(&n);
        }
}

/* One layer object used at several shapes gives the same results as a fresh
 * one at each shape; the workspace grows only when T or B does. */
static void test_workspace_is_reused_across_shapes(void **state)
{
    (void)state;
    enum { E = 3, H = 4 };
    const int shapes[][2] = {{5, 3}, {2, 4}, {3, 2}, {5, 4}, {1, 1}, {6, 1}};
    const int grows[] = {1, 1, 0, 0, 0, 1};
    for (int ci = 0; ci < 3; ci++) {
        net a;
        net_make(&a, CELLS[ci], E, H, 2, 1, 0.0f, 12);
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            const int T = shapes[k][0], B = shapes[k][1];
            net b;
            net_make(&b, CELLS[ci], E, H, 2, 1, 0.0f, 12);
            const size_t S = (size_t)a.LD * B * H, Y = (size_t)T * B * a.D * H;
            rnnkit_rng rng;
            rnnkit_rng_seed(&rng, 13 + k);
            float *x = randv(&rng, (size_t)T * B * E, 1.0f), *dy = randv(&rng, Y, 1.0f);
            float mask[6 * 4];
            for (int i = 0; i < T * B; i++)
                mask[i] = (i % B == B - 1 && i / B >= T - 1 && T > 1) ? 0.0f : 1.0f;
            size_t bytes_before;
            int capT, capB;
            rnnkit__rnn_capacity(a.rnn, NULL, NULL, &bytes_before);
            float *ya = zeros(Y), *dxa = zeros((size_t)T * B * E), *dxb = zeros((size_t)T * B * E);
            float *hna = zeros(S), *hnb = zeros(S);
            const float *y = NULL;
            rnnkit_error err;
            assert_int_equal(rnnkit__rnn_forward(a.rnn, T, B, x, mask, NULL, NULL, 1, NULL, &y, hna,
                                                NULL, &err),
                             RNNKIT_OK);
            memcpy(ya, y, Y * sizeof(float));
            size_t bytes_after;
            rnnkit__rnn_capacity(a.rnn, &capT, &capB, &bytes_after);
            assert_true(capT >= T && capB >= B);
            if (grows[k])
                assert_true(bytes_after > bytes_before);
            else
                assert_true(bytes_after == bytes_before);
            rnnkit__params_zero_grad(&a.p);
            assert_int_equal(rnnkit__rnn_backward(a.rnn, dy, NULL, NULL, dxa, NULL, NULL, &err),
                             RNNKIT_OK);
            assert_int_equal(rnnkit__rnn_forward(b.rnn, T, B, x, mask, NULL, NULL, 1, NULL, &y, hnb,
                                                NULL, &err),
                             RNNKIT_OK);
            assert_all_equal("y reused vs fresh", ya, y, Y);
            assert_all_equal("hn reused vs fresh", hna, hnb, S);
            assert_int_equal(rnnkit__rnn_backward(b.rnn, dy, NULL, NULL, dxb, NULL, NULL, &err),
                             RNNKIT_OK);
            assert_all_equal("dx reused vs fresh", dxa, dxb, (size_t)T * B * E);
            assert_all_equal("grads reused vs fresh", a.p.grad, b.p.grad, a.p.count);
            free(x);
            free(dy);
            free(ya);
            free(dxa);
            free(dxb);
            free(hna);
            free(hnb);
            net_free(&b);
        }
        net_free(&a);
    }
}

/* rnnkit__rnn_reserve up front: later forwards up to that shape allocate nothing. */
static void test_reserve_then_forward_does_not_grow(void **state)
{
    (void)state;
    net n;
    net_make(&n, RNNKIT_CELL_LSTM, 4, 6, 2, 0, 0.0f, 14);
    rnnkit_error err;
    assert_int_equal(rnnkit__rnn_reserve(n.rnn, 10, 3, &err), RNNKIT_OK);
    size_t bytes;
    rnnkit__rnn_capacity(n.rnn, NULL, NULL, &bytes);
    float x[10 * 3 * 4] = {0};
    const float *y = NULL;
    for (int T = 1; T <= 10; T++)
        for (int B = 1; B <= 3; B++) {
            assert_int_equal(rnnkit__rnn_forward(n.rnn, T, B, x, NULL, NULL, NULL, 0, NULL, &y,
                                                NULL, NULL, &err),
                             RNNKIT_OK);
            size_t now;
            rnnkit__rnn_capacity(n.rnn, NULL, NULL, &now);
            assert_true(now == bytes);
        }
    net_free(&n);
}

/* ---------------------------------------------------------------------- */
/* Configuration, errors, names, initialisation */

typedef struct bad_config {
    rnnkit__rnn_config cfg;
    const char *needle; /* expected in the message */
} bad_config;

static void test_bad_configs_are_rejected_with_a_message(void **state)
{
    (void)state;
    const bad_config cases[] = {
        {{RNNKIT_CELL_LSTM, 4, 0, 1, 0, 0.0f, 0.0f}, "hidden_size 0"},
        {{RNNKIT_CELL_LSTM, 4, -3, 1, 0, 0.0f, 0.0f}, "hidden_size -3"},
        {{RNNKIT_CELL_GRU, 4, 8, 0, 0, 0.0f, 0.0f}, "num_layers 0"},
        {{RNNKIT_CELL_RNN, 0, 8, 1, 0, 0.0f, 0.0f}, "input_size 0"},
        {{RNNKIT_CELL_LSTM, 4, 8, 2, 0, -0.1f, 0.0f}, "dropout"},
        {{RNNKIT_CELL_LSTM, 4, 8, 2, 0, 1.0f, 0.0f}, "dropout 1"},
        {{RNNKIT_CELL_LSTM, 4, 8, 2, 0, NAN, 0.0f}, "dropout"},
        {{RNNKIT_CELL_LSTM, 4, 8, 2, 2, 0.0f, 0.0f}, "bidirectional"},
        {{RNNKIT_CELL_LSTM, 4, 8, 1, 0, 0.0f, 1.0f}, "weight drop"},
        {{RNNKIT_CELL_GRU, 4, 8, 1, 0, 0.0f, -0.5f}, "weight drop"},
        {{(rnnkit_cell)7, 4, 8, 1, 0, 0.0f, 0.0f}, "cell"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rnnkit__params p;
        rnnkit__params_init(&p);
        rnnkit__rnn *rnn = (rnnkit__rnn *)&p; /* must be reset to NULL */
        rnnkit_error err;
        rnnkit_error_clear(&err);
        assert_int_equal(rnnkit__rnn_create(&cases[i].cfg, &p, "enc", &rnn, &err), RNNKIT_ERR_ARG);
        assert_null(rnn);
        if (!strstr(err.msg, cases[i].needle) || !strstr(err.msg, "enc"))
            fail_msg("case %zu: message '%s' lacks '%s' or the layer name", i, err.msg,
                     cases[i].needle);
        assert_int_equal(p.count, 0);
        rnnkit__params_free(&p);
    }
}

/* Weight drop acts in training only: a training forward with it differs
 * from the inference forward (which uses W_hh as stored); without it and
 * without dropout the two agree exactly. The weights themselves are left
 * untouched. */
static void test_weight_drop_masks_training_forwards_only(void **state)
{
    (void)state;
    enum { E = 3, H = 16, T = 6, B = 2 };
    for (int ci = 0; ci < 3; ci++) {
        net a, b;
        net_make_wd(&a, CELLS[ci], E, H, 1, 0, 0.0f, 0.5f, 21);
        net_make(&b, CELLS[ci], E, H, 1, 0, 0.0f, 21);
        rnnkit_rng rng;
        rnnkit_rng_seed(&rng, 4);
        float *x = randv(&rng, (size_t)T * B * E, 1.0f);
        float *keep = malloc(a.p.count * sizeof *keep);
        assert_non_null(keep);
        memcpy(keep, a.p.value, a.p.count * sizeof *keep);
        const size_t Y = (size_t)T * B * H;
        float *out[4];
        const float *y = NULL;
        rnnkit_error err;
        net *nets[4] = {&a, &a, &b, &b};
        for (int k = 0; k < 4; k++) {
            rnnkit_rng r = rng;
            assert_int_equal(rnnkit__rnn_forward(nets[k]->rnn, T, B, x, NULL, NULL, NULL, k % 2 == 0, &r, &y,
                                                NULL, NULL, &err),
                             RNNKIT_OK);
            out[k] = malloc(Y * sizeof(float));
            assert_non_null(out[k]);
            memcpy(out[k], y, Y * sizeof(float));
        }
        assert_memory_equal(keep, a.p.value, a.p.count * sizeof *keep);
        assert_memory_not_equal(out[0], out[1], Y * sizeof(float));
        assert_memory_equal(out[1], out[3], Y * sizeof(float)); /* inference ignores it */
        assert_memory_equal(out[2], out[3], Y * sizeof(float));
        for (int k = 0; k < 4; k++)
            free(out[k]);
        free(keep);
        free(x);
        net_free(&a);
        net_free(&b);
    }
}

static void test_bad_calls_are_rejected_with_a_message(void **state)
{
    (void)state;
    net n;
    net_make(&n, RNNKIT_CELL_GRU, 2, 3, 2, 0, 0.5f, 15);
    rnnkit_error err;
    float x[2 * 2 * 2] = {0};
    const float *y = NULL;
    assert_int_equal(rnnkit__rnn_backward(n.rnn, NULL, NULL, NULL, NULL, NULL, NULL, &err),
                     RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "training forward"));
    assert_int_equal(rnnkit__rnn_forward(n.rnn, 0, 2, x, NULL, NULL, NULL, 0, NULL, &y, NULL, NULL,
                                        &err),
                     RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "0 steps"));
    assert_int_equal(rnnkit__rnn_forward(n.rnn, 2, -1, x, NULL, NULL, NULL, 0, NULL, &y, NULL, NULL,
                                        &err),
                     RNNKIT_ERR_ARG);
    /* Training with dropout needs a generator. */
    assert_int_equal(rnnkit__rnn_forward(n.rnn, 2, 2, x, NULL, NULL, NULL, 1, NULL, &y, NULL, NULL,
                                        &err),
                     RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "dropout"));
    /* An inference forward leaves nothing to differentiate. */
    assert_int_equal(rnnkit__rnn_forward(n.rnn, 2, 2, x, NULL, NULL, NULL, 0, NULL, &y, NULL, NULL,
                                        &err),
                     RNNKIT_OK);
    assert_int_equal(rnnkit__rnn_backward(n.rnn, NULL, NULL, NULL, NULL, NULL, NULL, &err),
                     RNNKIT_ERR_ARG);
    net_free(&n);
}

static void test_cell_names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(rnnkit_cell_from_name(rnnkit_cell_name(CELLS[i])), (int)CELLS[i]);
    assert_string_equal(rnnkit_cell_name(RNNKIT_CELL_LSTM), "lstm");
    assert_int_equal(rnnkit_cell_from_name("LSTM"), -1);
    assert_int_equal(rnnkit_cell_from_name(""), -1);
    assert_int_equal(rnnkit_cell_from_name(NULL), -1);
}

/* Tensor names and shapes as torch's state_dict. */
static void test_tensors_are_declared_as_torch_names_them(void **state)
{
    (void)state;
    rnnkit__params p;
    rnnkit__params_init(&p);
    rnnkit__rnn *rnn = NULL;
    rnnkit__rnn_config cfg = {RNNKIT_CELL_GRU, 7, 5, 2, 1, 0.0f, 0.0f};
    assert_int_equal(rnnkit__rnn_create(&cfg, &p, "enc", &rnn, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__rnn_output_size(rnn), 10);
    assert_int_equal(rnnkit__rnn_get_config(rnn)->hidden_size, 5);
    const struct {
        const char *name;
        int64_t rows, cols;
    } want[] = {
        {"enc.weight_ih_l0", 15, 7},          {"enc.weight_hh_l0", 15, 5},
        {"enc.bias_ih_l0", 15, 0},            {"enc.bias_hh_l0", 15, 0},
        {"enc.weight_ih_l0_reverse", 15, 7},  {"enc.weight_hh_l0_reverse", 15, 5},
        {"enc.bias_ih_l0_reverse", 15, 0},    {"enc.bias_hh_l0_reverse", 15, 0},
        {"enc.weight_ih_l1", 15, 10},         {"enc.weight_hh_l1", 15, 5},
        {"enc.bias_ih_l1", 15, 0},            {"enc.bias_hh_l1", 15, 0},
        {"enc.weight_ih_l1_reverse", 15, 10}, {"enc.weight_hh_l1_reverse", 15, 5},
        {"enc.bias_ih_l1_reverse", 15, 0},    {"enc.bias_hh_l1_reverse", 15, 0},
    };
    assert_int_equal(p.nviews, 16);
    for (int i = 0; i < 16; i++) {
        assert_string_equal(p.views[i].name, want[i].name);
        assert_int_equal(p.views[i].shape[0], want[i].rows);
        assert_int_equal(p.views[i].ndim, want[i].cols ? 2 : 1);
        if (want[i].cols)
            assert_int_equal(p.views[i].shape[1], want[i].cols);
    }
    rnnkit__rnn_free(rnn);
    rnnkit__params_free(&p);
}

static void test_init_is_uniform_deterministic_with_forget_bias(void **state)
{
    (void)state;
    enum { H = 16 };
    rnnkit__params p[3];
    rnnkit__rnn *rnn[3];
    rnnkit__rnn_config cfg = {RNNKIT_CELL_LSTM, 5, H, 2, 1, 0.0f, 0.0f};
    const float fb[3] = {0.0f, 0.0f, 1.0f};
    for (int k = 0; k < 3; k++) {
        rnnkit__params_init(&p[k]);
        assert_int_equal(rnnkit__rnn_create(&cfg, &p[k], "rnn", &rnn[k], NULL), RNNKIT_OK);
        assert_int_equal(rnnkit__params_alloc(&p[k], NULL), RNNKIT_OK);
        rnnkit_rng rng;
        rnnkit_rng_seed(&rng, 77);
        rnnkit__rnn_init(rnn[k], &rng, fb[k]);
    }
    const float bound = 1.0f / sqrtf((float)H);
    double sum = 0;
    size_t count = 0;
    for (int v = 0; v < p[0].nviews; v++) {
        const rnnkit__param_view *pv = &p[0].views[v];
        for (size_t i = 0; i < pv->numel; i++) {
            float a = p[0].value[pv->offset + i];
            assert_true(a >= -bound && a <= bound);
            assert_true(a == p[1].value[pv->offset + i]); /* deterministic */
            sum += a;
            count++;
            int forget = pv->ndim == 1 && i >= H && i < 2 * H;
            float c = p[2].value[pv->offset + i];
            if (!forget)
                assert_true(c == a); /* the forget bias does not shift other draws */
            else if (strstr(pv->name, "bias_ih"))
                assert_true(c == 1.0f);
            else
                assert_true(c == 0.0f);
        }
    }
    assert_true(fabs(sum / (double)count) < 0.02 * bound); /* centred */
    for (int k = 0; k < 3; k++) {
        rnnkit__rnn_free(rnn[k]);
        rnnkit__params_free(&p[k]);
    }
}

/* ---------------------------------------------------------------------- */
/* Fast activations against libm */

static void test_fast_activations_match_libm(void **state)
{
    (void)state;
    double worst_sig = 0, worst_tanh = 0, worst_sig_rel = 0;
    for (int i = -400000; i <= 400000; i++) {
        float x = (float)i * 1e-4f; /* [-40, 40] */
        float s = rnnkit__rnn_sigmoid_fast(x), se = rnnkit__rnn_sigmoid_exact(x);
        float t = rnnkit__rnn_tanh_fast(x), te = rnnkit__rnn_tanh_exact(x);
        worst_sig = fmax(worst_sig, fabs((double)s - se));
        worst_sig_rel = fmax(worst_sig_rel, fabs((double)s - se) / fmax(se, 1e-30));
        worst_tanh = fmax(worst_tanh, fabs((double)t - te));
        /* Near 0, tanh keeps its relative accuracy (no 1 - 2/(e+1) cancellation). */
        if (fabsf(x) < 0.625f && x != 0.0f && fabs((double)t - te) > 4e-7 * fabs(te))
            fail_msg("tanh(%g): fast %.9g vs %.9g", (double)x, (double)t, (double)te);
    }
    if (worst_sig > 2.5e-7 || worst_tanh > 3e-7 || worst_sig_rel > 1e-6)
        fail_msg("fast activations off: sigmoid abs %.3g rel %.3g, tanh abs %.3g", worst_sig,
                 worst_sig_rel, worst_tanh);
    const float big[] = {-1e30f, -100.0f, 100.0f, 1e30f, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        float x = big[i];
        assert_true(fabsf(rnnkit__rnn_sigmoid_fast(x) - rnnkit__rnn_sigmoid_exact(x)) <= 1e-30f);
        assert_true(rnnkit__rnn_tanh_fast(x) == rnnkit__rnn_tanh_exact(x));
    }
    assert_true(rnnkit__rnn_tanh_fast(0.0f) == 0.0f);
    assert_true(rnnkit__rnn_sigmoid_fast(0.0f) == 0.5f);
}

/* The whole layer with the fast activations agrees with the libm ones. */
static void test_fast_and_libm_layers_agree(void **state)
{
    (void)state;
    enum { E = 5, H = 16, T = 9, B = 3 };
    const int len[B] = {9, 5, 2};
    for (int ci = 0; ci < 3; ci++) {
        net n;
        net_make(&n, CELLS[ci], E, H, 2, 1, 0.0f, 16);
        const size_t S = (size_t)n.LD * B * H, Y = (size_t)T * B * n.D * H;
        rnnkit_rng rng;
        rnnkit_rng_seed(&rng, 17);
        float *x = randv(&rng, (size_t)T * B * E, 2.0f), *dy = randv(&rng, Y, 1.0f);
        float mask[T * B];
        fill_mask(mask, T, B, len, 0);
        float *out[2][4];
        for (int exact = 0; exact <= 1; exact++) {
            rnnkit__rnn_set_exact_math(n.rnn, exact);
            float **o = out[exact];
            o[0] = zeros(Y), o[1] = zeros(S), o[2] = zeros((size_t)T * B * E), o[3] = zeros(n.p.count);
            const float *y = NULL;
            rnnkit_error err;
            assert_int_equal(rnnkit__rnn_forward(n.rnn, T, B, x, mask, NULL, NULL, 1, NULL, &y, o[1],
                                                NULL, &err),
                             RNNKIT_OK);
            memcpy(o[0], y, Y * sizeof(float));
            rnnkit__params_zero_grad(&n.p);
            assert_int_equal(rnnkit__rnn_backward(n.rnn, dy, NULL, NULL, o[2], NULL, NULL, &err),
                             RNNKIT_OK);
            memcpy(o[3], n.p.grad, n.p.count * sizeof(float));
        }
        assert_all_close("y fast vs libm", out[0][0], out[1][0], Y, 2e-6, 1e-5);
        assert_all_close("hn fast vs libm", out[0][1], out[1][1], S, 2e-6, 1e-5);
        assert_all_close("dx fast vs libm", out[0][2], out[1][2], (size_t)T * B * E, 2e-6, 1e-5);
        assert_all_close("grads fast vs libm", out[0][3], out[1][3], n.p.count, 2e-6, 1e-5);
        for (int k = 0; k < 4; k++) {
            free(out[0][k]);
            free(out[1][k]);
        }
        free(x);
        free(dy);
        net_free(&n);
    }
}

/* ---------------------------------------------------------------------- */

#define GC(cellname, cell, what, L, bi, p, pad, h0)                                              \
    {"gradients match finite differences: " cellname ", " what, test_gradients_match_finite_differences, \
     NULL, NULL, &(gc_case){cell, L, bi, p, pad, h0, 0.0f}}

#define GCW(cellname, cell, what, L, bi, p, pad, h0, wd)                                         \
    {"gradients match finite differences: " cellname ", " what, test_gradients_match_finite_differences, \
     NULL, NULL, &(gc_case){cell, L, bi, p, pad, h0, wd}}

#define GC_ALL(cellname, cell)                                                                   \
    GC(cellname, cell, "one layer", 1, 0, 0.0f, 0, 0),                                          \
    GC(cellname, cell, "one layer, post-padded", 1, 0, 0.0f, 1, 0),                             \
    GC(cellname, cell, "one layer, pre-padded", 1, 0, 0.0f, 2, 0),                              \
    GC(cellname, cell, "two layers, dropout, h0/c0 given", 2, 0, 0.3f, 0, 1),                   \
    GC(cellname, cell, "bidirectional, two layers, post-padded, h0/c0 given", 2, 1, 0.0f, 1, 1), \
    GC(cellname, cell, "bidirectional, two layers, dropout, pre-padded, h0/c0", 2, 1, 0.25f, 2, 1), \
    GCW(cellname, cell, "two layers, weight drop, h0/c0 given", 2, 0, 0.0f, 0, 1, 0.3f),          \
    GCW(cellname, cell, "bidirectional, two layers, dropout and weight drop, post-padded", 2, 1, 0.2f, 1, 0, 0.3f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        GC_ALL("lstm", RNNKIT_CELL_LSTM),
        GC_ALL("gru", RNNKIT_CELL_GRU),
        GC_ALL("rnn", RNNKIT_CELL_RNN),
        cmocka_unit_test(test_padded_sequence_behaves_as_if_alone),
        cmocka_unit_test(test_masked_step_leaves_state_and_gradient_unchanged),
        cmocka_unit_test(test_all_ones_mask_equals_no_mask),
        cmocka_unit_test(test_one_step_at_a_time_equals_one_forward),
        cmocka_unit_test(test_workspace_is_reused_across_shapes),
        cmocka_unit_test(test_reserve_then_forward_does_not_grow),
        cmocka_unit_test(test_bad_configs_are_rejected_with_a_message),
        cmocka_unit_test(test_weight_drop_masks_training_forwards_only),
        cmocka_unit_test(test_bad_calls_are_rejected_with_a_message),
        cmocka_unit_test(test_cell_names_round_trip),
        cmocka_unit_test(test_tensors_are_declared_as_torch_names_them),
        cmocka_unit_test(test_init_is_uniform_deterministic_with_forget_bias),
        cmocka_unit_test(test_fast_activations_match_libm),
        cmocka_unit_test(test_fast_and_libm_layers_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
