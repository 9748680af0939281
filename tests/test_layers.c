/*
 * tests/test_layers.c: embedding, dense, dropout, losses, pooling and the
 * optimisers. Gradients are checked against central finite differences.
 *
 * Tolerance: the layers compute in fp32; the probe loss is accumulated in
 * double and perturbed by eps = 1e-2 (central differences are exact for the
 * linear layers and O(eps^2) ~ 1e-4 relative for the smooth losses), so
 * |analytic - numeric| <= 2e-3 + 1e-2*|numeric| separates a right gradient
 * from a wrong one by orders of magnitude.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/nn_internal.h"

#define EPS 1e-2f

static void fill(rnnkit_rng *rng, float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (2.0f * rnnkit_rng_uniform(rng) - 1.0f) * scale;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * (double)b[i];
    return s;
}

static void assert_grad_close(const char *what, size_t i, double analytic, double numeric)
{
    double tol = 2e-3 + 1e-2 * fabs(numeric);
    if (fabs(analytic - numeric) > tol)
        fail_msg("%s[%zu]: analytic %.6g vs numeric %.6g", what, i, analytic, numeric);
}

/* ---------------------------------------------------------------------- */

static void test_dense_gradients_match_finite_differences(void **state)
{
    (void)state;
    enum { N = 3, IN = 5, OUT = 4 };
    rnnkit__params p;
    rnnkit__params_init(&p);
    rnnkit__dense d;
    assert_int_equal(rnnkit__dense_create(&d, &p, "fc", IN, OUT, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__params_alloc(&p, NULL), RNNKIT_OK);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 1);
    rnnkit__dense_init(&d, &rng);
    float x[N * IN], y[N * OUT], r[N * OUT], dx[N * IN];
    fill(&rng, x, N * IN, 1.0f);
    fill(&rng, r, N * OUT, 1.0f);
    rnnkit__dense_forward(&d, N, x, y);
    rnnkit__dense_backward(&d, N, x, r, dx);
    for (size_t i = 0; i < p.count; i++) {
        float keep = p.value[i];
        p.value[i] = keep + EPS;
        rnnkit__dense_forward(&d, N, x, y);
        double lp = dot(y, r, N * OUT);
        p.value[i] = keep - EPS;
        rnnkit__dense_forward(&d, N, x, y);
        double lm = dot(y, r, N * OUT);
        p.value[i] = keep;
        if (i < (size_t)IN * OUT || (i >= d.off_b && i < d.off_b + OUT))
            assert_grad_close("dense param", i, p.grad[i], (lp - lm) / (2 * EPS));
    }
    for (size_t i = 0; i < N * IN; i++) {
        float keep = x[i];
        x[i] = keep + EPS;
        rnnkit__dense_forward(&d, N, x, y);
        double lp = dot(y, r, N * OUT);
        x[i] = keep - EPS;
        rnnkit__dense_forward(&d, N, x, y);
        double lm = dot(y, r, N * OUT);
        x[i] = keep;
        assert_grad_close("dense dx", i, dx[i], (lp - lm) / (2 * EPS));
    }
    rnnkit__params_free(&p);
}

static void test_embedding_gathers_rows_and_never_updates_padding(void **state)
{
    (void)state;
    enum { V = 6, E = 3, N = 5 };
    rnnkit__params p;
    rnnkit__params_init(&p);
    rnnkit__embedding emb;
    assert_int_equal(rnnkit__embedding_create(&emb, &p, "embedding.weight", V, E, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__params_alloc(&p, NULL), RNNKIT_OK);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 2);
    rnnkit__embedding_init(&emb, &rng, 0.0f);
    const float *w = p.value + emb.off;
    for (int e = 0; e < E; e++)
        assert_true(w[e] == 0.0f);
    int32_t ids[N] = {3, 0, 3, 5, 1};
    float out[N * E], dout[N * E];
    assert_int_equal(rnnkit__embedding_forward(&emb, ids, N, out, NULL), RNNKIT_OK);
    for (int n = 0; n < N; n++)
        assert_memory_equal(out + n * E, w + ids[n] * E, E * sizeof(float));
    for (int i = 0; i < N * E; i++)
        dout[i] = (float)(i + 1);
    rnnkit__embedding_backward(&emb, ids, N, dout);
    const float *g = p.grad + emb.off;
    for (int e = 0; e < E; e++) {
        assert_true(g[0 * E + e] == 0.0f);                       /* padding: no gradient */
        assert_true(g[2 * E + e] == 0.0f);                       /* unused row untouched */
        assert_true(g[3 * E + e] == dout[0 * E + e] + dout[2 * E + e]); /* repeated id sums */
        assert_true(g[5 * E + e] == dout[3 * E + e]);
    }
    rnnkit_error err;
    int32_t bad[2] = {2, 6};
    assert_int_equal(rnnkit__embedding_forward(&emb, bad, 2, out, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "position 1"));
    rnnkit__params_free(&p);
}

static void test_softmax_xent_gradient_and_stability(void **state)
{
    (void)state;
    enum { N = 4, K = 5 };
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 3);
    float z[N * K], dz[N * K];
    fill(&rng, z, N * K, 3.0f);
    int32_t y[N] = {0, 4, 2, 2};
    rnnkit__softmax_xent(N, K, z, y, dz);
    for (size_t i = 0; i < N * K; i++) {
        float keep = z[i];
        z[i] = keep + EPS;
        double lp = rnnkit__softmax_xent(N, K, z, y, NULL);
        z[i] = keep - EPS;
        double lm = rnnkit__softmax_xent(N, K, z, y, NULL);
        z[i] = keep;
        assert_grad_close("xent dz", i, dz[i], (lp - lm) / (2 * EPS));
    }
    /* Huge logits: finite loss, no NaN. */
    float big[2] = {1000.0f, -1000.0f};
    int32_t t1 = 1;
    double l = rnnkit__softmax_xent(1, 2, big, &t1, dz);
    assert_true(isfinite(l) && fabs(l - 2000.0) < 1e-3);
    assert_true(isfinite(dz[0]) && isfinite(dz[1]));
}

static void test_sigmoid_bce_gradient_and_stability(void **state)
{
    (void)state;
    enum { N = 6 };
    float z[N] = {-3.0f, -0.5f, 0.0f, 0.7f, 2.5f, 5.0f}, t[N] = {0, 1, 1, 0, 1, 0}, dz[N];
    rnnkit__sigmoid_bce(N, z, t, dz);
    for (size_t i = 0; i < N; i++) {
        float keep = z[i];
        z[i] = keep + EPS;
        double lp = rnnkit__sigmoid_bce(N, z, t, NULL);
        z[i] = keep - EPS;
        double lm = rnnkit__sigmoid_bce(N, z, t, NULL);
        z[i] = keep;
        assert_grad_close("bce dz", i, dz[i], (lp - lm) / (2 * EPS));
    }
    float big[2] = {500.0f, -500.0f}, tt[2] = {0.0f, 1.0f};
    double l = rnnkit__sigmoid_bce(2, big, tt, dz);
    assert_true(isfinite(l) && fabs(l - 500.0) < 1e-3);
}

static void check_pool(rnnkit_pool kind)
{
    enum { T = 5, B = 3, C = 4 };
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 4);
    float y[T * B * C], dy[T * B * C], out[B * C], r[B * C];
    int32_t am[B * C];
    fill(&rng, y, T * B * C, 1.0f);
    fill(&rng, r, B * C, 1.0f);
    /* lengths 5 (all), 3 post-padded, 2 pre-padded */
    float mask[T * B];
    for (int t = 0; t < T; t++) {
        mask[t * B + 0] = 1.0f;
        mask[t * B + 1] = t < 3 ? 1.0f : 0.0f;
        mask[t * B + 2] = t >= 3 ? 1.0f : 0.0f;
    }
    /* padded steps hold huge values: pooling must ignore them */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (mask[t * B + b] == 0.0f)
                for (int c = 0; c < C; c++)
                    y[(t * B + b) * C + c] = 100.0f;
    rnnkit__pool_forward(kind, T, B, C, y, mask, out, am);
    for (int i = 0; i < B * C; i++)
        assert_true(out[i] < 50.0f);
    rnnkit__pool_backward(kind, T, B, C, mask, am, r, dy);
    for (size_t i = 0; i < T * B * C; i++) {
        size_t tb = i / C;
        if (mask[tb] == 0.0f) {
            assert_true(dy[i] == 0.0f);
            continue;
        }
        float keep = y[i];
        y[i] = keep + 1e-3f;
        rnnkit__pool_forward(kind, T, B, C, y, mask, out, am);
        double lp = dot(out, r, B * C);
        y[i] = keep - 1e-3f;
        rnnkit__pool_forward(kind, T, B, C, y, mask, out, am);
        double lm = dot(out, r, B * C);
        y[i] = keep;
        assert_grad_close(rnnkit_pool_name(kind), i, dy[i], (lp - lm) / 2e-3);
    }
}

static void test_mean_pool_gradient_over_unpadded_steps(void **state)
{
    (void)state;
    check_pool(RNNKIT_POOL_MEAN);
}

static void test_max_pool_gradient_over_unpadded_steps(void **state)
{
    (void)state;
    check_pool(RNNKIT_POOL_MAX);
}

static void test_dropout_scales_kept_and_zeroes_dropped(void **state)
{
    (void)state;
    enum { N = 10000 };
    static float x[N], m[N], g[N];
    for (int i = 0; i < N; i++)
        x[i] = g[i] = 1.0f;
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 5);
    rnnkit__dropout_forward(N, 0.25f, &rng, x, m);
    int dropped = 0;
    for (int i = 0; i < N; i++) {
        assert_true(x[i] == 0.0f || fabsf(x[i] - 1.0f / 0.75f) < 1e-6f);
        dropped += x[i] == 0.0f;
    }
    assert_in_range(dropped, 2300, 2700);
    rnnkit__dropout_backward(N, m, g);
    assert_memory_equal(g, x, sizeof x);
}

/* The mask is the one n calls of rnnkit_rng_uniform give (so no trained bit
 * moved when the draws left the per-element call), with or without a mask
 * buffer, and leaves the stream where those calls leave it. */
static void test_dropout_mask_is_the_uniform_draws(void **state)
{
    (void)state;
    enum { N = 3000 };
    static float x[N], y[N], m[N];
    const float ps[] = {0.35f, 0.4f, 1.0f / 3.0f, 0.5f, 1e-7f, 5.9604645e-8f, 0.99999994f, 0.999f};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        rnnkit_rng a, b, c;
        rnnkit_rng_seed(&a, 11 + k);
        b = c = a;
        const float scale = 1.0f / (1.0f - ps[k]);
        for (int i = 0; i < N; i++)
            x[i] = y[i] = (float)(i % 7) - 3.0f;
        rnnkit__dropout_forward(N, ps[k], &a, x, m);
        rnnkit__dropout_forward(N, ps[k], &c, y, NULL); /* chunked on the stack */
        for (int i = 0; i < N; i++) {
            const float want = rnnkit_rng_uniform(&b) < ps[k] ? 0.0f : scale;
            assert_true(m[i] == want);
            assert_true(x[i] == ((float)(i % 7) - 3.0f) * want);
        }
        assert_memory_equal(x, y, sizeof x);
        assert_memory_equal(a.s, b.s, sizeof a.s);
        assert_memory_equal(c.s, b.s, sizeof c.s);
    }
}

/* x^-1 mod 2^64 for odd x (Newton's iteration; x*x = 1 mod 8 to start). */
static uint64_t inverse_odd(uint64_t x)
{
    uint64_t inv = x;
    for (int i = 0; i < 5; i++)
        inv *= 2 - x * inv;
    return inv;
}

/* A generator state whose next uniform is k / 2^24: xoshiro256** returns
 * rotl(s1 * 5, 7) * 9, so s1 is solved from the wanted output. */
static rnnkit_rng state_drawing(uint64_t k)
{
    const uint64_t r = (k << 40) * inverse_odd(9), rot = (r >> 7) | (r << 57);
    rnnkit_rng g = {{0x1234567u, rot * inverse_odd(5), 0x89abcdefu, 0x13579bdfu}};
    return g;
}

/* The threshold at the edges: the draws on either side of p * 2^24 are
 * dropped or kept exactly as rnnkit_rng_uniform(..) < p decides. */
static void test_dropout_mask_threshold_edges(void **state)
{
    (void)state;
    const float ps[] = {1e-7f, 5.9604645e-8f, 0.35f, 0.4f, 1.0f / 3.0f, 0.99999994f};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        const uint64_t mid = (uint64_t)(ps[i] * 16777216.0f);
        for (uint64_t k = mid > 2 ? mid - 2 : 0; k <= mid + 2 && k < (UINT64_C(1) << 24); k++) {
            rnnkit_rng a = state_drawing(k), b = a;
            float m;
            rnnkit__rng_keep_mask(&a, 1, ps[i], 2.0f, &m);
            const float u = rnnkit_rng_uniform(&b);
            assert_true(u == (float)k / 16777216.0f);
            assert_true(m == (u < ps[i] ? 0.0f : 2.0f));
        }
    }
}

static void test_adam_matches_hand_computed_steps(void **state)
{
    (void)state;
    float w[2] = {1.0f, -2.0f}, g[2];
    rnnkit__optim o;
    assert_int_equal(rnnkit__optim_init(&o, RNNKIT_OPT_ADAM, 0.1f, 2, NULL), RNNKIT_OK);
    double ref[2] = {1.0, -2.0}, m[2] = {0, 0}, v[2] = {0, 0};
    for (int step = 1; step <= 5; step++) {
        for (int i = 0; i < 2; i++)
            g[i] = 2.0f * w[i]; /* d/dw of w^2 */
        rnnkit__optim_step(&o, w, g, NULL);
        for (int i = 0; i < 2; i++) {
            double gi = 2.0 * ref[i];
            m[i] = 0.9 * m[i] + 0.1 * gi;
            v[i] = 0.999 * v[i] + 0.001 * gi * gi;
            double mh = m[i] / (1 - pow(0.9, step)), vh = v[i] / (1 - pow(0.999, step));
            ref[i] -= 0.1 * mh / (sqrt(vh) + 1e-8);
            assert_float_equal(w[i], ref[i], 1e-5);
        }
    }
    rnnkit__optim_free(&o);
    rnnkit_error err;
    assert_int_equal(rnnkit__optim_init(&o, RNNKIT_OPT_ADAM, 0.0f, 2, &err), RNNKIT_ERR_ARG);
}

static void test_adamw_decays_weights_and_sgd_uses_momentum(void **state)
{
    (void)state;
    float w[1] = {1.0f}, g[1] = {0.0f};
    rnnkit__optim o;
    assert_int_equal(rnnkit__optim_init(&o, RNNKIT_OPT_ADAMW, 0.1f, 1, NULL), RNNKIT_OK);
    rnnkit__optim_step(&o, w, g, NULL); /* zero gradient: only the decoupled decay acts */
    assert_float_equal(w[0], 1.0f * (1.0f - 0.1f * 0.01f), 1e-7);
    rnnkit__optim_free(&o);

    assert_int_equal(rnnkit__optim_init(&o, RNNKIT_OPT_SGD, 0.5f, 1, NULL), RNNKIT_OK);
    o.momentum = 0.9f;
    w[0] = 0.0f;
    g[0] = 1.0f;
    rnnkit__optim_step(&o, w, g, NULL); /* b = 1 */
    rnnkit__optim_step(&o, w, g, NULL); /* b = 1.9 */
    assert_float_equal(w[0], -0.5f * (1.0f + 1.9f), 1e-6);
    rnnkit__optim_free(&o);
}

/* The body (a prefix) at a fraction of the rate: each of its elements
 * exactly as a whole-block optimiser at that rate would step it, the rest as
 * at the full rate; 0 freezes the body; a block boundary inside the body
 * changes nothing (70,000 elements: 3 blocks of the step). */
static void test_optim_body_rate(void **state)
{
    (void)state;
    const size_t n = 70000, body = 40000;
    float *g = malloc(n * sizeof(float)), *w[4];
    assert_non_null(g);
    for (int k = 0; k < 4; k++) {
        w[k] = malloc(n * sizeof(float));
        assert_non_null(w[k]);
    }
    for (size_t i = 0; i < n; i++) {
        g[i] = sinf((float)i * 0.37f);
        for (int k = 0; k < 4; k++)
            w[k][i] = cosf((float)i * 0.11f);
    }
    rnnkit__optim full, slow, split, frozen;
    assert_int_equal(rnnkit__optim_init(&full, RNNKIT_OPT_ADAMW, 1e-2f, n, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__optim_init(&slow, RNNKIT_OPT_ADAMW, 2.5e-3f, n, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__optim_init(&split, RNNKIT_OPT_ADAMW, 1e-2f, n, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__optim_init(&frozen, RNNKIT_OPT_ADAMW, 1e-2f, n, NULL), RNNKIT_OK);
    split.body_n = frozen.body_n = body;
    split.body_scale = 0.25f;
    frozen.body_scale = 0.0f;
    for (int s = 0; s < 3; s++) {
        rnnkit__optim_step(&full, w[0], g, NULL);
        rnnkit__optim_step(&slow, w[1], g, NULL);
        rnnkit__optim_step(&split, w[2], g, NULL);
        rnnkit__optim_step(&frozen, w[3], g, NULL);
    }
    assert_memory_equal(w[2], w[1], body * sizeof(float));
    assert_memory_equal(w[2] + body, w[0] + body, (n - body) * sizeof(float));
    for (size_t i = 0; i < body; i++)
        assert_true(w[3][i] == cosf((float)i * 0.11f));
    assert_memory_equal(w[3] + body, w[0] + body, (n - body) * sizeof(float));
    assert_true(memcmp(w[0], w[1], body * sizeof(float)) != 0);
    rnnkit__optim *all[] = {&full, &slow, &split, &frozen};
    for (int k = 0; k < 4; k++) {
        rnnkit__optim_free(all[k]);
        free(w[k]);
    }
    free(g);
}

static void test_clip_scales_to_max_norm_and_reports_norm(void **state)
{
    (void)state;
    float g[2] = {3.0f, 4.0f};
    double n = rnnkit__clip_grad_norm(g, 2, 1.0);
    assert_float_equal(n, 5.0, 1e-9);
    assert_float_equal(sqrt(g[0] * g[0] + g[1] * g[1]), 1.0, 1e-5);
    float h[2] = {0.3f, 0.4f};
    rnnkit__clip_grad_norm(h, 2, 1.0);
    assert_true(h[0] == 0.3f && h[1] == 0.4f); /* under the limit: untouched */
    float bad[2] = {NAN, 1.0f};
    assert_false(isfinite(rnnkit__clip_grad_norm(bad, 2, 1.0)));
}

static void test_rng_is_deterministic_and_uniform_in_range(void **state)
{
    (void)state;
    rnnkit_rng a, b;
    rnnkit_rng_seed(&a, 42);
    rnnkit_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        assert_true(rnnkit_rng_next(&a) == rnnkit_rng_next(&b));
    rnnkit_rng_seed(&b, 43);
    assert_true(rnnkit_rng_next(&a) != rnnkit_rng_next(&b));
    double s = 0;
    for (int i = 0; i < 100000; i++) {
        float u = rnnkit_rng_uniform(&a);
        assert_true(u >= 0.0f && u < 1.0f);
        s += u;
        assert_true(rnnkit_rng_below(&a, 7) < 7);
    }
    assert_float_equal(s / 100000, 0.5, 0.01);
}

static void test_params_reject_duplicates_and_align_views(void **state)
{
    (void)state;
    rnnkit__params p;
    rnnkit__params_init(&p);
    rnnkit_error err;
    size_t o1, o2;
    assert_int_equal(rnnkit__params_declare(&p, "a", 3, 0, &o1, &err), RNNKIT_OK);
    assert_int_equal(rnnkit__params_declare(&p, "b", 2, 5, &o2, &err), RNNKIT_OK);
    assert_true(o2 % 16 == 0 && o2 >= 3);
    assert_int_equal(rnnkit__params_declare(&p, "a", 1, 0, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "'a'"));
    assert_int_equal(rnnkit__params_declare(&p, "c", 0, 4, NULL, &err), RNNKIT_ERR_ARG);
    assert_int_equal(rnnkit__params_alloc(&p, &err), RNNKIT_OK);
    assert_int_equal(rnnkit__params_declare(&p, "d", 1, 0, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(rnnkit__params_find(&p, "b"));
    assert_null(rnnkit__params_find(&p, "zz"));
    rnnkit__params_free(&p);
    rnnkit__params_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_gradients_match_finite_differences),
        cmocka_unit_test(test_embedding_gathers_rows_and_never_updates_padding),
        cmocka_unit_test(test_softmax_xent_gradient_and_stability),
        cmocka_unit_test(test_sigmoid_bce_gradient_and_stability),
        cmocka_unit_test(test_mean_pool_gradient_over_unpadded_steps),
        cmocka_unit_test(test_max_pool_gradient_over_unpadded_steps),
        cmocka_unit_test(test_dropout_scales_kept_and_zeroes_dropped),
        cmocka_unit_test(test_dropout_mask_is_the_uniform_draws),
        cmocka_unit_test(test_dropout_mask_threshold_edges),
        cmocka_unit_test(test_adam_matches_hand_computed_steps),
        cmocka_unit_test(test_adamw_decays_weights_and_sgd_uses_momentum),
        cmocka_unit_test(test_optim_body_rate),
        cmocka_unit_test(test_clip_scales_to_max_norm_and_reports_norm),
        cmocka_unit_test(test_rng_is_deterministic_and_uniform_in_range),
        cmocka_unit_test(test_params_reject_duplicates_and_align_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
