/*
 * tests/test_sampled.c: the sampled softmax (model/sampled.c): its gradient
 * against central finite differences, its log-uniform candidate sampler
 * against the formula, its expectation against the exact softmax
 * cross-entropy, the loss-only call, the same bits on any pool, and the
 * generator's choice of candidates (rnnkit_generator_softmax_samples).
 * The tolerances are stated, with what was measured, beside each check.
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

#include "model/nn_internal.h"
#include "rnnkit/model.h"
#include "support.h"

/* An output layer W [V][in], b [V]: torch.nn.Linear's init, W times wscale. */
typedef struct layer {
    rnnkit__params p;
    rnnkit__dense d;
} layer;

static void layer_make(layer *l, int in, int V, uint64_t seed, float wscale)
{
    rnnkit__params_init(&l->p);
    assert_int_equal(rnnkit__dense_create(&l->d, &l->p, "fc", in, V, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit__params_alloc(&l->p, NULL), RNNKIT_OK);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, seed);
    rnnkit__dense_init(&l->d, &rng);
    float *w = l->p.value + l->d.off_w;
    for (size_t i = 0; i < (size_t)in * (size_t)V; i++)
        w[i] *= wscale;
}

static void fill(rnnkit_rng *rng, float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (2.0f * rnnkit_rng_uniform(rng) - 1.0f) * scale;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

/* P(k) of the log-uniform law, written out independently of model/sampled.c. */
static double zipf_p(int V, int lo, int k)
{
    return log((double)(k - lo + 2) / (double)(k - lo + 1)) / log((double)(V - lo + 1));
}

/* The exact mean cross-entropy over all V logits, and (dx non-NULL) its
 * gradient with respect to x, through the dense layer and rnnkit__softmax_xent.
 * Adds the exact W and b gradients into the layer's grad. */
static double exact_loss(layer *l, size_t N, const float *x, const int32_t *t, float *dx)
{
    const int V = l->d.out;
    float *z = xmalloc(N * (size_t)V * sizeof *z), *dz = xmalloc(N * (size_t)V * sizeof *dz);
    rnnkit__dense_forward(&l->d, N, x, z);
    double loss = rnnkit__softmax_xent(N, V, z, t, dx ? dz : NULL);
    if (dx)
        rnnkit__dense_backward(&l->d, N, x, dz, dx);
    free(z);
    free(dz);
    return loss;
}

/* ---------------------------------------------------------------------- */
/* 1. Gradient against central finite differences */

enum { GN = 5, GIN = 7, GV = 23, GS = 9, GLO = 1 };
/* Hits: 3 (targets of rows 0 and 3), 1 (row 2), 17 (row 4); row 1 has none.
 * 2 is drawn three times, 3 is both a target and a sample. */
static const int32_t GT[GN] = {3, 10, 1, 3, 17};
static const int32_t GSAMP[GS] = {2, 5, 3, 2, 11, 17, 1, 2, 20};

#define EPS 1e-2f
#define EPS2 2e-3f

/*
 * numeric = (L(v + EPS) - L(v - EPS)) / (2 EPS), L the mean loss (double,
 * from an fp32 forward, logits ~ +-3, loss 3.36), for every entry of x, W
 * and b. Its fp32 rounding noise (~2e-7 on L) gives ~1e-5 on the quotient;
 * the truncation error EPS^2 |L'''| / 6 is below 1e-5 here. Required:
 *   |analytic - numeric| <= ATOL + RTOL |numeric|
 * (tests/test_gradcheck.c's bound); the largest error measured is printed:
 * 0.018 of the bound. The quotients over +-EPS and +-EPS2 = 2e-3 must agree
 * within 1e-4 (the loss is smooth: a hit is left out by id, not by value).
 * A gradient 10% off fails on every entry with |numeric| > 1e-3 (checked).
 */
#define ATOL 5e-5
#define RTOL 2e-3

static double grad_loss(layer *l, const float *x, const float *logq, float *work)
{
    return rnnkit__sampled_softmax_xent(&l->d, GN, x, GT, GS, GSAMP, logq, NULL, work);
}

/* Checks `n` entries of `v` (a view of x or of the parameters) against the
 * analytic gradient `g`; returns the number with |numeric| > 1e-3. */
static int check_entries(const char *what, layer *l, float *v, const float *g, size_t n, const float *x,
                         const float *logq, float *work, double *worst)
{
    int big = 0;
    for (size_t i = 0; i < n; i++) {
        const float v0 = v[i];
        v[i] = v0 + EPS;
        double lp = grad_loss(l, x, logq, work);
        v[i] = v0 - EPS;
        double lm = grad_loss(l, x, logq, work);
        v[i] = v0 + EPS2;
        double lp2 = grad_loss(l, x, logq, work);
        v[i] = v0 - EPS2;
        double lm2 = grad_loss(l, x, logq, work);
        v[i] = v0;
        double num = (lp - lm) / (2.0 * (double)EPS), num2 = (lp2 - lm2) / (2.0 * (double)EPS2);
        double ana = (double)g[i], tol = ATOL + RTOL * fabs(num);
        /* smooth: the two steps agree within truncation error and noise */
        if (fabs(num - num2) > 1e-4)
            fail_msg("%s[%zu]: differences over +-%g and +-%g disagree: %.8g, %.8g", what, i, (double)EPS,
                     (double)EPS2, num, num2);
        if (fabs(ana - num) > tol)
            fail_msg("%s[%zu]: analytic %.8g, numeric %.8g", what, i, ana, num);
        if (fabs(ana - num) / tol > *worst)
            *worst = fabs(ana - num) / tol;
        if (lp == lm) /* an untouched entry: no gradient at all */
            assert_true(ana == 0.0);
        if (fabs(num) > 1e-3) {
            big++;
            if (fabs(1.1 * ana - num) <= tol)
                fail_msg("%s[%zu]: the bound lets a 10%% error pass", what, i);
        }
    }
    return big;
}

/* The mean loss from the full logits z [GN][GV], in double, the accidental
 * hits left out (exclude) or, wrongly, counted as negatives. */
static double ref_loss(const float *z, const float *logq, int exclude)
{
    double total = 0;
    for (int n = 0; n < GN; n++) {
        const float *zn = z + n * GV;
        double sum = exp((double)zn[GT[n]]);
        for (int s = 0; s < GS; s++)
            if (!exclude || GSAMP[s] != GT[n])
                sum += exp((double)zn[GSAMP[s]] - (double)logq[s]);
        total += log(sum) - (double)zn[GT[n]];
    }
    return total / GN;
}

static void test_gradient_matches_finite_differences(void **state)
{
    (void)state;
    layer l;
    layer_make(&l, GIN, GV, 11, 3.0f);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 12);
    float x[GN * GIN], dx[GN * GIN], logq[GS];
    fill(&rng, x, GN * GIN, 1.0f);
    for (int s = 0; s < GS; s++)
        logq[s] = rnnkit__sampled_logq(GV, GLO, GS, GSAMP[s]);
    float *work = xmalloc(rnnkit__sampled_work_floats(GN, GS, GIN) * sizeof *work);
    double loss = rnnkit__sampled_softmax_xent(&l.d, GN, x, GT, GS, GSAMP, logq, dx, work);
    assert_true(isfinite(loss) && loss > 0.5 && loss < 5);
    float *g = xmalloc(l.p.count * sizeof *g);
    memcpy(g, l.p.grad, l.p.count * sizeof *g);

    double worst = 0;
    int big = check_entries("dx", &l, x, dx, GN * GIN, x, logq, work, &worst);
    big += check_entries("dW", &l, l.p.value + l.d.off_w, g + l.d.off_w, (size_t)GV * GIN, x, logq, work,
                         &worst);
    big += check_entries("db", &l, l.p.value + l.d.off_b, g + l.d.off_b, GV, x, logq, work, &worst);
    assert_true(big > (GN * GIN + GV * GIN + GV) / 4);
    /* rows neither sampled nor a target have no gradient; the others do */
    for (int k = 0; k < GV; k++) {
        int used = 0;
        for (int n = 0; n < GN; n++)
            used |= GT[n] == k;
        for (int s = 0; s < GS; s++)
            used |= GSAMP[s] == k;
        assert_int_equal(g[l.d.off_b + (size_t)k] != 0.0f, used);
    }
    print_message("      largest error %.3f of the bound, %d entries with |gradient| > 1e-3\n", worst, big);

    /* the formula, written out from the dense layer's logits: within fp32
     * rounding of the logits (measured 7.5e-8; required 1e-5), and not the
     * loss that counts the accidental hits as negatives (0.077 away here) */
    float z[GN * GV];
    rnnkit__dense_forward(&l.d, GN, x, z);
    double ref = ref_loss(z, logq, 1), with_hits = ref_loss(z, logq, 0);
    print_message("      loss %.7f, written out %.7f (%.1e), with the hits %.7f\n", loss, ref,
                  fabs(loss - ref), with_hits);
    assert_true(fabs(loss - ref) <= 1e-5);
    assert_true(fabs(with_hits - ref) > 1e-2);
    free(g);
    free(work);
    rnnkit__params_free(&l.p);
}

/* Largest |got - want| over n entries, as a fraction of the largest |want|. */
static double scaled_diff(const float *got, const float *want, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)got[i] - (double)want[i]));
        m = fmax(m, fabs((double)want[i]));
    }
    return d / m;
}

/* With every id drawn once and logq = 0 (expected count 1), the estimate is
 * the exact softmax: loss and all three gradients equal rnnkit__softmax_xent's
 * through the dense layer, up to rounding: the true logit is a double dot
 * product here (sgemm there), and each gradient sums its terms in another
 * order (the target's apart, last). Measured: loss 8e-9 relative, gradients
 * 1.1e-7 of the tensor's largest entry; required 1e-6 and 5e-6. Any wrong term
 * (scale, sign, a missing target or sample) is off by more than 1e-2. */
static void test_every_id_once_is_the_exact_softmax(void **state)
{
    (void)state;
    enum { N = 6, IN = 9, V = 17 };
    layer l;
    layer_make(&l, IN, V, 21, 4.0f);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 22);
    float x[N * IN], dx[N * IN], dxe[N * IN], logq[V] = {0};
    int32_t t[N] = {0, 16, 5, 5, 9, 2}, samp[V];
    fill(&rng, x, N * IN, 1.0f);
    for (int k = 0; k < V; k++)
        samp[k] = (int32_t)((k * 7 + 3) % V); /* a permutation of 0..16 */
    double exact = exact_loss(&l, N, x, t, dxe);
    float *ge = xmalloc(l.p.count * sizeof *ge);
    memcpy(ge, l.p.grad, l.p.count * sizeof *ge);
    rnnkit__params_zero_grad(&l.p);
    float *work = xmalloc(rnnkit__sampled_work_floats(N, V, IN) * sizeof *work);
    double loss = rnnkit__sampled_softmax_xent(&l.d, N, x, t, V, samp, logq, dx, work);
    assert_true(exact > 1.0);
    double dl = fabs(loss - exact) / exact, ddx = scaled_diff(dx, dxe, N * IN);
    double dw = scaled_diff(l.p.grad + l.d.off_w, ge + l.d.off_w, (size_t)V * IN);
    double db = scaled_diff(l.p.grad + l.d.off_b, ge + l.d.off_b, V);
    print_message("      differences: loss %.2g, dx %.2g, dW %.2g, db %.2g\n", dl, ddx, dw, db);
    assert_true(dl <= 1e-6);
    assert_true(ddx <= 5e-6 && dw <= 5e-6 && db <= 5e-6);
    free(ge);
    free(work);
    rnnkit__params_free(&l.p);
}

/* ---------------------------------------------------------------------- */
/* 2. The sampler */

static void test_sampler_follows_the_log_uniform_law(void **state)
{
    (void)state;
    enum { V = 100, LO = 1, K = V - LO, DRAWS = 200000 };
    int32_t *samp = xmalloc(DRAWS * sizeof *samp);
    float *logq = xmalloc(DRAWS * sizeof *logq);
    rnnkit_rng rng, ref;
    rnnkit_rng_seed(&rng, 31);
    ref = rng;
    rnnkit__sampled_draw(V, LO, DRAWS, &rng, samp, logq);
    /* exactly DRAWS uniforms read */
    for (int i = 0; i < DRAWS; i++)
        (void)rnnkit_rng_uniform(&ref);
    assert_memory_equal(&rng, &ref, sizeof rng);
    long count[V] = {0};
    for (int i = 0; i < DRAWS; i++) {
        assert_true(samp[i] >= LO && samp[i] < V);
        count[samp[i]]++;
        assert_true(logq[i] == rnnkit__sampled_logq(V, LO, DRAWS, samp[i]));
    }
    /*
     * Pearson's chi-square over the K = 99 ids (expected counts 436 to
     * 30,000): 98 degrees of freedom, mean 98, sd 14. Measured 100.2 with this
     * seed; required < 98 + 5 sd = 168. The same counts against the law with
     * the ranks shifted by one (P(k-1), the usual off-by-one) give thousands.
     */
    double chi = 0, chi_shift = 0, norm_shift = 0;
    for (int k = LO + 1; k < V; k++)
        norm_shift += zipf_p(V, LO, k - 1);
    for (int k = LO; k < V; k++) {
        double e = DRAWS * zipf_p(V, LO, k), d = (double)count[k] - e;
        chi += d * d / e;
        if (k > LO) {
            double es = DRAWS * zipf_p(V, LO, k - 1) / norm_shift, ds = (double)count[k] - es;
            chi_shift += ds * ds / es;
        }
    }
    print_message("      chi-square %.1f (98 degrees of freedom); against shifted ranks %.0f\n", chi,
                  chi_shift);
    assert_true(chi < 168);
    assert_true(chi_shift > 10 * 168);
    /* the 10 most frequent ids within 4 sd of their expected counts */
    for (int k = LO; k < LO + 10; k++) {
        double p = zipf_p(V, LO, k), sd = sqrt(DRAWS * p * (1 - p));
        if (fabs((double)count[k] - DRAWS * p) > 4 * sd)
            fail_msg("id %d: %ld draws, %.0f expected (sd %.0f)", k, count[k], DRAWS * p, sd);
    }
    free(samp);
    free(logq);
}

/* logq is log(S P(k)): against the formula within float rounding (values
 * -9 to 2.3: 1e-6 of max(1, |logq|) is over 10 ulps), and the P(k) it
 * implies sum to 1 over [lo, V) (within 1e-5; float rounding gives 1e-7).
 * 100,000 draws from 50,000 ids stay in [lo, V), rank 0 among them and ids
 * above 40,000 too (2% of the mass). A one-id range draws only that id,
 * with expected count S. */
static void test_logq_is_the_log_expected_count(void **state)
{
    (void)state;
    const int cases[3][2] = {{100, 1}, {50, 0}, {50000, 1}};
    for (int c = 0; c < 3; c++) {
        const int V = cases[c][0], lo = cases[c][1], S = 64;
        double total = 0;
        for (int k = lo; k < V; k++) {
            double lq = rnnkit__sampled_logq(V, lo, S, k), want = log(S * zipf_p(V, lo, k));
            if (fabs(lq - want) > 1e-6 * fmax(1.0, fabs(want)))
                fail_msg("V %d lo %d id %d: logq %.9g, log(S P) %.9g", V, lo, k, lq, want);
            total += exp(lq) / S;
        }
        assert_float_equal(total, 1.0, 1e-5);
    }
    enum { D = 100000 };
    int32_t *samp = xmalloc(D * sizeof *samp);
    float *logq = xmalloc(D * sizeof *logq);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 32);
    rnnkit__sampled_draw(50000, 1, D, &rng, samp, logq);
    int32_t mn = samp[0], mx = samp[0];
    for (int i = 0; i < D; i++) {
        mn = samp[i] < mn ? samp[i] : mn;
        mx = samp[i] > mx ? samp[i] : mx;
    }
    assert_int_equal(mn, 1);
    assert_true(mx < 50000 && mx > 40000);
    rnnkit_rng_seed(&rng, 33);
    rnnkit__sampled_draw(8, 7, 5, &rng, samp, logq);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(samp[i], 7);
        assert_float_equal(logq[i], log(5.0), 1e-6);
    }
    free(samp);
    free(logq);
}

/* ---------------------------------------------------------------------- */
/* 3. In expectation, the exact softmax */

enum { EN = 8, EIN = 16, EV = 50, ELO = 0, DRAWS = 2000 };
#define LOSS_TOL 3e-3
#define GRAD_TOL 1e-2

/* Mean over `draws` draws of S samples of the sampled loss and its dx. */
static double mean_sampled(layer *l, const float *x, const int32_t *t, int S, int draws, uint64_t seed,
                           double *mdx)
{
    int32_t *samp = xmalloc((size_t)S * sizeof *samp);
    float *logq = xmalloc((size_t)S * sizeof *logq), dx[EN * EIN];
    float *work = xmalloc(rnnkit__sampled_work_floats(EN, S, EIN) * sizeof *work);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, seed);
    double sum = 0;
    memset(mdx, 0, EN * EIN * sizeof *mdx);
    for (int d = 0; d < draws; d++) {
        rnnkit__sampled_draw(EV, ELO, S, &rng, samp, logq);
        sum += rnnkit__sampled_softmax_xent(&l->d, EN, x, t, S, samp, logq, dx, work);
        for (int i = 0; i < EN * EIN; i++)
            mdx[i] += dx[i] / draws;
    }
    free(samp);
    free(logq);
    free(work);
    return sum / draws;
}

/* |a - b| / |b| (L2). */
static double rel_err(const double *a, const float *b, size_t n)
{
    double dd = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        dd += (a[i] - b[i]) * (a[i] - b[i]);
        bb += (double)b[i] * b[i];
    }
    return sqrt(dd / bb);
}

static double cosine(const double *a, const float *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return ab / sqrt(aa * bb);
}

/*
 * V = 50, lo = 0 (the sampler covers every id), 8 rows, logits ~ +-3
 * (exact loss 4.18), 2000 draws for each S.
 * S = 4000: one draw's loss has sd 0.019, so the mean's standard error is
 * 4e-4, and log of an unbiased estimate sits below the exact value (Jensen;
 * ~ -Var/2); measured -6.1e-4 here, -3.5e-4 to -7.2e-4 over five other
 * seeds. Required within LOSS_TOL = 3e-3 (about 6 standard errors beyond
 * the bias). The mean dx: cosine 0.999999 with the exact gradient, required
 * > 0.99; its relative L2 error 8e-4, required < GRAD_TOL = 1e-2.
 * S = 10 (the same draws' count): the mean loss is 0.19 below the exact one,
 * 60 times LOSS_TOL, and the mean dx 0.11 away, 11 times GRAD_TOL (its
 * cosine, 0.994, would pass: the cosine alone is a weak check): both
 * checks tell a poor estimate from a good one.
 */
static void test_large_draws_approach_the_exact_softmax(void **state)
{
    (void)state;
    layer l;
    layer_make(&l, EIN, EV, 41, 3.0f);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 42);
    float x[EN * EIN], dxe[EN * EIN];
    int32_t t[EN];
    fill(&rng, x, EN * EIN, 1.0f);
    for (int n = 0; n < EN; n++)
        t[n] = (int32_t)rnnkit_rng_below(&rng, EV);
    double exact = exact_loss(&l, EN, x, t, dxe);
    double mdx[EN * EIN];
    double big = mean_sampled(&l, x, t, 4000, DRAWS, 43, mdx), cos_big = cosine(mdx, dxe, EN * EIN);
    double rel_big = rel_err(mdx, dxe, EN * EIN);
    double small = mean_sampled(&l, x, t, 10, DRAWS, 44, mdx), cos_small = cosine(mdx, dxe, EN * EIN);
    double rel_small = rel_err(mdx, dxe, EN * EIN);
    print_message("      exact %.5f; S=4000: mean %.5f (%+.2e), dx cosine %.6f, error %.2e; "
                  "S=10: mean %.5f (%+.2e), dx cosine %.6f, error %.2e\n",
                  exact, big, big - exact, cos_big, rel_big, small, small - exact, cos_small, rel_small);
    assert_true(fabs(big - exact) <= LOSS_TOL);
    assert_true(cos_big > 0.99);
    assert_true(rel_big < GRAD_TOL);
    assert_true(fabs(small - exact) > 10 * LOSS_TOL);
    assert_true(rel_small > 5 * GRAD_TOL);
    rnnkit__params_free(&l.p);
}

/* ---------------------------------------------------------------------- */
/* 4. Loss only */

static void test_loss_only_writes_no_gradient(void **state)
{
    (void)state;
    layer l;
    layer_make(&l, GIN, GV, 51, 3.0f);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 52);
    float x[GN * GIN], dx[GN * GIN], logq[GS];
    fill(&rng, x, GN * GIN, 1.0f);
    for (int s = 0; s < GS; s++)
        logq[s] = rnnkit__sampled_logq(GV, GLO, GS, GSAMP[s]);
    for (size_t i = 0; i < l.p.count; i++)
        l.p.grad[i] = 0.25f * (float)(i % 13) - 1.0f;
    float *g0 = xmalloc(l.p.count * sizeof *g0);
    memcpy(g0, l.p.grad, l.p.count * sizeof *g0);
    float *work = xmalloc(rnnkit__sampled_work_floats(GN, GS, GIN) * sizeof *work);
    double only = rnnkit__sampled_softmax_xent(&l.d, GN, x, GT, GS, GSAMP, logq, NULL, work);
    assert_memory_equal(l.p.grad, g0, l.p.count * sizeof *g0);
    double with = rnnkit__sampled_softmax_xent(&l.d, GN, x, GT, GS, GSAMP, logq, dx, work);
    assert_true(only == with); /* the same loss, bit for bit */
    assert_memory_not_equal(l.p.grad, g0, l.p.count * sizeof *g0);
    free(g0);
    free(work);
    rnnkit__params_free(&l.p);
}

/* ---------------------------------------------------------------------- */
/* 5. The same bits on 1 and 3 threads */

static void test_same_bits_for_any_pool(void **state)
{
    (void)state;
    enum { N = 600, IN = 256, S = 1024, V = 5000, LO = 1 };
    /* a shape the pool splits: every product into several row blocks */
    assert_true(rnnkit__pool_row_blocks(N, S, IN) > 1);
    assert_true(rnnkit__pool_row_blocks(N, IN, S) > 1);
    assert_true(rnnkit__pool_row_blocks(S, IN, N) > 1);
    layer l;
    layer_make(&l, IN, V, 61, 4.0f);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 62);
    float *x = xmalloc((size_t)N * IN * sizeof *x), *logq = xmalloc(S * sizeof *logq);
    int32_t *t = xmalloc(N * sizeof *t), *samp = xmalloc(S * sizeof *samp);
    fill(&rng, x, (size_t)N * IN, 1.0f);
    for (int n = 0; n < N; n++) /* frequent ids often, so that some hit */
        t[n] = (int32_t)(LO + rnnkit_rng_below(&rng, n % 2 ? 20 : V - LO));
    rnnkit__sampled_draw(V, LO, S, &rng, samp, logq);
    float *work = xmalloc(rnnkit__sampled_work_floats(N, S, IN) * sizeof *work);
    float *dx[2], *grad[2];
    double loss[2];
    const int threads[2] = {1, 3};
    for (int r = 0; r < 2; r++) {
        rnnkit__pool *p = NULL;
        assert_int_equal(rnnkit__pool_create(threads[r], &p, NULL), RNNKIT_OK);
        l.d.pool = p;
        rnnkit__params_zero_grad(&l.p);
        dx[r] = xmalloc((size_t)N * IN * sizeof *dx[r]);
        loss[r] = rnnkit__sampled_softmax_xent(&l.d, N, x, t, S, samp, logq, dx[r], work);
        grad[r] = xmalloc(l.p.count * sizeof *grad[r]);
        memcpy(grad[r], l.p.grad, l.p.count * sizeof *grad[r]);
        l.d.pool = NULL;
        rnnkit__pool_free(p);
    }
    assert_true(isfinite(loss[0]) && loss[0] > 0);
    assert_true(loss[0] == loss[1]);
    assert_memory_equal(dx[0], dx[1], (size_t)N * IN * sizeof *dx[0]);
    assert_memory_equal(grad[0], grad[1], l.p.count * sizeof *grad[0]);
    for (int r = 0; r < 2; r++) {
        free(dx[r]);
        free(grad[r]);
    }
    free(x);
    free(logq);
    free(t);
    free(samp);
    free(work);
    rnnkit__params_free(&l.p);
}

/* A generator over a vocabulary of `words` distinct words (ids: those
 * plus the reserved ones). */
static rnnkit_model *word_generator(int words)
{
    char *text = xmalloc((size_t)words * 8 + 1), *p = text;
    for (int i = 0; i < words; i++)
        p += sprintf(p, "w%d ", i);
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, text, "words");
    free(text);
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 4;
    c.hidden = 4;
    c.layers = 1;
    return support_model(&c, v, NULL, 0, 1);
}

/* auto: 1024 candidates above 8192 ids, exact at or below; a count of at
 * least the ids less one is the exact softmax; 0 is exact. */
static void test_generator_chooses_its_candidates(void **state)
{
    (void)state;
    rnnkit_generator_options o;
    rnnkit_generator_options_default(&o);
    assert_int_equal(o.softmax_samples, RNNKIT_SOFTMAX_AUTO);
    rnnkit_model *small = word_generator(8000), *big = word_generator(9000);
    const int64_t V = rnnkit_vocab_size(rnnkit_model_vocab(big));
    assert_true(rnnkit_vocab_size(rnnkit_model_vocab(small)) <= 8192 && V > 8192);
    assert_int_equal(rnnkit_generator_softmax_samples(small, &o), 0);
    assert_int_equal(rnnkit_generator_softmax_samples(big, &o), 1024);
    o.softmax_samples = 0;
    assert_int_equal(rnnkit_generator_softmax_samples(big, &o), 0);
    o.softmax_samples = 500;
    assert_int_equal(rnnkit_generator_softmax_samples(big, &o), 500);
    o.softmax_samples = (int)V - 2;
    assert_int_equal(rnnkit_generator_softmax_samples(big, &o), (int)V - 2);
    o.softmax_samples = (int)V - 1;
    assert_int_equal(rnnkit_generator_softmax_samples(big, &o), 0);
    rnnkit_model_free(small);
    rnnkit_model_free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_matches_finite_differences),
        cmocka_unit_test(test_every_id_once_is_the_exact_softmax),
        cmocka_unit_test(test_sampler_follows_the_log_uniform_law),
        cmocka_unit_test(test_logq_is_the_log_expected_count),
        cmocka_unit_test(test_large_draws_approach_the_exact_softmax),
        cmocka_unit_test(test_loss_only_writes_no_gradient),
        cmocka_unit_test(test_same_bits_for_any_pool),
        cmocka_unit_test(test_generator_chooses_its_candidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
