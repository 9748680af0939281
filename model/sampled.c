/*
 * model/sampled.c: the sampled softmax cross-entropy (Bengio & Senecal's
 * importance sampling; Jean et al. 2015) that trains a language model's
 * output layer without computing all its logits, and its candidate
 * sampler, the log-uniform (Zipfian) distribution over a vocabulary sorted
 * by descending count (model/nn_internal.h states the formulas).
 *
 * Invariants: nothing here allocates, keeps state or prints; the caller
 * owns `work` (rnnkit__sampled_work_floats) and the random stream. The
 * draw reads exactly S uniforms from the stream, in order. Every sum runs
 * in an order fixed by the shapes (N, S, in): the matrix products through
 * rnnkit__pool_sgemm (same bits for any pool, core/pool.h), the per-row
 * softmax in fixed blocks of rows on the pool, each row on its own, and
 * the losses, bias sums and scatters into the gradient block sequentially
 * (samples in draw order, then targets in row order). A sample equal to a
 * row's target (an accidental hit) has gradient 0 in that row.
 *
 * Layout of `work` (floats, in this order):
 *   ws   [S][in]  the sampled rows of W
 *   dws  [S][in]  d loss / d ws
 *   bs   [S]      their biases
 *   dbs  [S]      d loss / d bs
 *   lg   [N][S]   corrected sampled logits z_s - logq_s, then their gradients
 *   zt   [N]      the gradients of the true logits (computed row by row)
 *   ln   [2N]     each row's loss as a double (copied in and out by memcpy,
 *                 so `work` needs no more than float alignment)
 */
#include <math.h>
#include <string.h>

#include "model/nn_internal.h"

/* ---------------------------------------------------------------------- */
/* Candidate sampler */

/* log(V - lo + 1): the normaliser of the log-uniform distribution. */
static double log_range(int V, int lo)
{
    return log((double)(V - lo) + 1.0);
}

float rnnkit__sampled_logq(int V, int lo, int S, int32_t k)
{
    const double r = (double)(k - lo);
    /* P = log((r+2)/(r+1)) / log(V-lo+1); log1p keeps the large ranks exact */
    const double p = log1p(1.0 / (r + 1.0)) / log_range(V, lo);
    return (float)log((double)S * p);
}

void rnnkit__sampled_draw(int V, int lo, int S, rnnkit_rng *rng, int32_t *samples, float *logq)
{
    const double L = log_range(V, lo);
    const int top = V - lo - 1; /* the largest rank */
    for (int s = 0; s < S; s++) {
        /* P(rank <= R) = P(exp(uL) < R + 2) = log(R+2) / L: the CDF */
        const double u = (double)rnnkit_rng_uniform(rng);
        double e = floor(exp(u * L)) - 1.0;
        int r = e < 0.0 ? 0 : e > (double)top ? top : (int)e;
        samples[s] = (int32_t)(lo + r);
        logq[s] = rnnkit__sampled_logq(V, lo, S, samples[s]);
    }
}

size_t rnnkit__sampled_work_floats(size_t N, int S, int in)
{
    const size_t s = (size_t)S, i = (size_t)in;
    return 2 * s * (i + 1) + N * (s + 3);
}

/* ---------------------------------------------------------------------- */
/* The per-row softmax over [z_t, z_s - logq_s ...], in blocks of rows */

#define ROW_BLOCK 32 /* rows per task: fixed, so the split never depends on threads */

typedef struct row_pass {
    const float *x, *w, *b; /* inputs, W [out][in], b [out] */
    const int32_t *targets, *samples;
    size_t N, in;
    int S;
    float *lg, *zt, *ln;
    int grad;   /* nonzero: turn lg and zt into their gradients */
    float invN; /* 1/N, as rnnkit__softmax_xent scales */
} row_pass;

static double dot_row(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * (double)b[i];
    return s;
}

static void row_softmax(const row_pass *c, size_t n)
{
    const size_t S = (size_t)c->S;
    const int32_t t = c->targets[n];
    float *z = c->lg + n * S;
    const float zt = (float)(dot_row(c->x + n * c->in, c->w + (size_t)t * c->in, c->in) +
                             (double)c->b[t]);
    float mx = zt;
    for (size_t s = 0; s < S; s++)
        if (c->samples[s] != t && z[s] > mx)
            mx = z[s];
    /* one expf per candidate, kept in z (a hit: 0), summed in double */
    const float et = expf(zt - mx);
    double sum = et;
    for (size_t s = 0; s < S; s++) {
        z[s] = c->samples[s] != t ? expf(z[s] - mx) : 0.0f;
        sum += z[s];
    }
    const double loss = (double)mx + log(sum) - (double)zt;
    memcpy(c->ln + 2 * n, &loss, sizeof loss);
    if (!c->grad)
        return;
    /* d/dz = softmax - onehot(label 0), / N; a hit is not in the softmax */
    const float scale = (float)(1.0 / sum) * c->invN;
    for (size_t s = 0; s < S; s++)
        z[s] *= scale;
    c->zt[n] = et * scale - c->invN;
}

static void row_task(void *ctx, int task)
{
    const row_pass *c = ctx;
    const size_t n0 = (size_t)task * ROW_BLOCK;
    const size_t n1 = n0 + ROW_BLOCK < c->N ? n0 + ROW_BLOCK : c->N;
    for (size_t n = n0; n < n1; n++)
        row_softmax(c, n);
}

/* ---------------------------------------------------------------------- */
/* Backward: dx, then the scatters into W's and b's gradients */

static void sampled_backward(rnnkit__dense *fc, size_t N, const float *x, const int32_t *targets,
                             int S, const int32_t *samples, const float *ws, float *dws,
                             float *dbs, const float *dlg, const float *dzt, float *dx)
{
    const float *w = fc->params->value + fc->off_w;
    float *gw = fc->params->grad + fc->off_w, *gb = fc->params->grad + fc->off_b;
    const int in = fc->in;
    const size_t I = (size_t)in, SS = (size_t)S;
    /* dx[N][in] = dlg[N][S] ws[S][in], then + dzt[n] W[t_n] */
    rnnkit__pool_sgemm(fc->pool, 0, 0, (int)N, in, S, dlg, S, ws, in, 0.0f, dx, in);
    for (size_t n = 0; n < N; n++) {
        const float *wt = w + (size_t)targets[n] * I;
        float *d = dx + n * I;
        for (size_t i = 0; i < I; i++)
            d[i] += dzt[n] * wt[i];
    }
    /* dws[S][in] = dlg^T[S][N] x[N][in]; dbs = column sums of dlg, rows in order */
    rnnkit__pool_sgemm(fc->pool, 1, 0, S, in, (int)N, dlg, S, x, in, 0.0f, dws, in);
    memset(dbs, 0, SS * sizeof *dbs);
    for (size_t n = 0; n < N; n++)
        for (size_t s = 0; s < SS; s++)
            dbs[s] += dlg[n * SS + s];
    /* scatter in sample order (a repeated sample adds each time) ... */
    for (size_t s = 0; s < SS; s++) {
        float *g = gw + (size_t)samples[s] * I;
        const float *d = dws + s * I;
        for (size_t i = 0; i < I; i++)
            g[i] += d[i];
        gb[samples[s]] += dbs[s];
    }
    /* ... then the targets in row order */
    for (size_t n = 0; n < N; n++) {
        float *g = gw + (size_t)targets[n] * I;
        const float *xn = x + n * I;
        for (size_t i = 0; i < I; i++)
            g[i] += dzt[n] * xn[i];
        gb[targets[n]] += dzt[n];
    }
}

/* ---------------------------------------------------------------------- */
/* The loss */

double rnnkit__sampled_softmax_xent(rnnkit__dense *fc, size_t N, const float *x,
                                    const int32_t *targets, int S, const int32_t *samples,
                                    const float *logq, float *dx, float *work)
{
    if (N == 0)
        return 0.0;
    const float *w = fc->params->value + fc->off_w, *b = fc->params->value + fc->off_b;
    const int in = fc->in;
    const size_t I = (size_t)in, SS = (size_t)S;
    float *ws = work, *dws = ws + SS * I, *bs = dws + SS * I, *dbs = bs + SS;
    float *lg = dbs + SS, *zt = lg + N * SS, *ln = zt + N;

    /* gather the sampled rows; lg[N][S] = bs + x ws^T - logq */
    for (size_t s = 0; s < SS; s++) {
        memcpy(ws + s * I, w + (size_t)samples[s] * I, I * sizeof *ws);
        bs[s] = b[samples[s]];
    }
    for (size_t n = 0; n < N; n++)
        memcpy(lg + n * SS, bs, SS * sizeof *lg);
    rnnkit__pool_sgemm(fc->pool, 0, 1, (int)N, S, in, x, in, ws, in, 1.0f, lg, S);
    for (size_t n = 0; n < N; n++)
        for (size_t s = 0; s < SS; s++)
            lg[n * SS + s] -= logq[s];

    row_pass c = {.x = x, .w = w, .b = b, .targets = targets, .samples = samples, .N = N,
                  .in = I, .S = S, .lg = lg, .zt = zt, .ln = ln, .grad = dx != NULL,
                  .invN = 1.0f / (float)N};
    rnnkit__pool_run(fc->pool, (int)((N + ROW_BLOCK - 1) / ROW_BLOCK), row_task, &c);
    double total = 0.0;
    for (size_t n = 0; n < N; n++) {
        double l;
        memcpy(&l, ln + 2 * n, sizeof l);
        total += l;
    }
    if (dx)
        sampled_backward(fc, N, x, targets, S, samples, ws, dws, dbs, lg, zt, dx);
    return total / (double)N;
}
