/*
 * model/layers.c: the non-recurrent pieces of rnnkit's networks: embedding,
 * dense, dropout, losses from logits, pooling over time.
 *
 * Shapes follow rnnkit/nn.h: time-major [T][B][C], masks [T][B]. Backward
 * functions ADD into the parameter gradients.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/nn_internal.h"
#include "core/clones.h"

/* ---------------------------------------------------------------------- */
/* Embedding */

rnnkit_status rnnkit__embedding_create(rnnkit__embedding *emb, rnnkit__params *params,
                                      const char *name, int V, int E, rnnkit_error *err)
{
    memset(emb, 0, sizeof *emb);
    if (V < 2 || E < 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "embedding '%s': need vocabulary >= 2 and size >= 1 (got %d x %d)",
                                name, V, E);
    emb->params = params;
    emb->V = V;
    emb->E = E;
    return rnnkit__params_declare(params, name, V, E, &emb->off, err);
}

/* Standard normal by Box-Muller on two uniforms. */
static float normal01(rnnkit_rng *rng)
{
    double u1 = ((double)(rnnkit_rng_next(rng) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (double)(rnnkit_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void rnnkit__embedding_init(rnnkit__embedding *emb, rnnkit_rng *rng, float range)
{
    float *w = emb->params->value + emb->off;
    size_t n = (size_t)emb->V * (size_t)emb->E;
    if (range > 0.0f)
        for (size_t i = 0; i < n; i++)
            w[i] = range * (2.0f * rnnkit_rng_uniform(rng) - 1.0f);
    else
        for (size_t i = 0; i < n; i++)
            w[i] = normal01(rng);
    memset(w, 0, (size_t)emb->E * sizeof(float)); /* padding row */
}

rnnkit_status rnnkit__embedding_forward(const rnnkit__embedding *emb, const int32_t *ids,
                                       size_t n, float *out, rnnkit_error *err)
{
    const float *w = emb->params->value + emb->off;
    const size_t E = (size_t)emb->E;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= emb->V)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                    "embedding: id %d at position %zu outside [0, %d)", id, i, emb->V);
        memcpy(out + i * E, w + (size_t)id * E, E * sizeof(float));
    }
    return RNNKIT_OK;
}

void rnnkit__embedding_backward(rnnkit__embedding *emb, const int32_t *ids, size_t n,
                               const float *dout)
{
    float *g = emb->params->grad + emb->off;
    const size_t E = (size_t)emb->E;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id <= 0 || id >= emb->V) /* padding (and ids forward already rejected) */
            continue;
        if (emb->mark && !emb->mark[id]) {
            emb->mark[id] = 1;
            emb->rows[emb->nrows++] = id;
        }
        float *row = g + (size_t)id * E;
        const float *d = dout + i * E;
        for (size_t e = 0; e < E; e++)
            row[e] += d[e];
    }
}

rnnkit_status rnnkit__embedding_track(rnnkit__embedding *emb, int on, rnnkit_error *err)
{
    free(emb->mark);
    free(emb->rows);
    emb->mark = NULL;
    emb->rows = NULL;
    emb->nrows = emb->nsorted = 0;
    if (!on)
        return RNNKIT_OK;
    emb->mark = calloc((size_t)emb->V, 1);
    emb->rows = malloc((size_t)emb->V * sizeof *emb->rows);
    if (!emb->mark || !emb->rows) {
        rnnkit__embedding_track(emb, 0, err);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the embedding's row list (%d rows)",
                                emb->V);
    }
    return RNNKIT_OK;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

const int32_t *rnnkit__embedding_rows(rnnkit__embedding *emb, int *n)
{
    if (emb->nsorted != emb->nrows && emb->nrows > 1)
        qsort(emb->rows, (size_t)emb->nrows, sizeof *emb->rows, cmp_i32);
    emb->nsorted = emb->nrows;
    *n = emb->nrows;
    return emb->rows;
}

void rnnkit__embedding_rows_forget(rnnkit__embedding *emb)
{
    for (int r = 0; r < emb->nrows; r++)
        emb->mark[emb->rows[r]] = 0;
    emb->nrows = emb->nsorted = 0;
}

/* ---------------------------------------------------------------------- */
/* Dense */

rnnkit_status rnnkit__dense_create(rnnkit__dense *d, rnnkit__params *params, const char *prefix,
                                  int in, int out, rnnkit_error *err)
{
    memset(d, 0, sizeof *d);
    if (in < 1 || out < 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "dense '%s': invalid size %d -> %d", prefix,
                                in, out);
    char name[RNNKIT_NAME_MAX + 16];
    d->params = params;
    d->in = in;
    d->out = out;
    snprintf(name, sizeof name, "%s.weight", prefix);
    rnnkit_status st = rnnkit__params_declare(params, name, out, in, &d->off_w, err);
    if (st)
        return st;
    snprintf(name, sizeof name, "%s.bias", prefix);
    return rnnkit__params_declare(params, name, out, 0, &d->off_b, err);
}

void rnnkit__dense_init(rnnkit__dense *d, rnnkit_rng *rng)
{
    float bound = 1.0f / sqrtf((float)d->in);
    float *w = d->params->value + d->off_w, *b = d->params->value + d->off_b;
    for (size_t i = 0; i < (size_t)d->in * (size_t)d->out; i++)
        w[i] = (2.0f * rnnkit_rng_uniform(rng) - 1.0f) * bound;
    for (int i = 0; i < d->out; i++)
        b[i] = (2.0f * rnnkit_rng_uniform(rng) - 1.0f) * bound;
}

void rnnkit__dense_forward(const rnnkit__dense *d, size_t N, const float *x, float *y)
{
    const float *w = d->params->value + d->off_w, *b = d->params->value + d->off_b;
    const int in = d->in, out = d->out;
    for (size_t n = 0; n < N; n++)
        memcpy(y + n * (size_t)out, b, (size_t)out * sizeof(float));
    /* y[N][out] += x[N][in] * W^T */
    rnnkit__pool_sgemm(d->pool, 0, 1, (int)N, out, in, x, in, w, in, 1.0f, y, out);
}

void rnnkit__dense_backward(rnnkit__dense *d, size_t N, const float *x, const float *dy, float *dx)
{
    const float *w = d->params->value + d->off_w;
    float *gw = d->params->grad + d->off_w, *gb = d->params->grad + d->off_b;
    const int in = d->in, out = d->out;
    /* dW[out][in] += dy^T[out][N] x[N][in] */
    rnnkit__pool_sgemm(d->pool, 1, 0, out, in, (int)N, dy, out, x, in, 1.0f, gw, in);
    for (size_t n = 0; n < N; n++)
        for (int o = 0; o < out; o++)
            gb[o] += dy[n * (size_t)out + (size_t)o];
    if (dx) /* dx[N][in] = dy[N][out] W[out][in] */
        rnnkit__pool_sgemm(d->pool, 0, 0, (int)N, in, out, dy, out, w, in, 0.0f, dx, in);
}

/* ---------------------------------------------------------------------- */
/* Dropout */

RNNKIT_CLONES static void mask_product(size_t n, const float *mask, float *dx)
{
    for (size_t i = 0; i < n; i++)
        dx[i] *= mask[i];
}

void rnnkit__dropout_forward(size_t n, float p, rnnkit_rng *rng, float *x, float *mask_out)
{
    if (p <= 0.0f) {
        if (mask_out)
            for (size_t i = 0; i < n; i++)
                mask_out[i] = 1.0f;
        return;
    }
    /* The mask first (the serial draws), then the product (vectorised); no
     * mask wanted: the same in chunks of a buffer on the stack. */
    const float scale = 1.0f / (1.0f - p);
    float chunk[1024];
    for (size_t i = 0; i < n;) {
        const size_t m = mask_out ? n : (n - i < 1024 ? n - i : 1024);
        float *mask = mask_out ? mask_out : chunk;
        rnnkit__rng_keep_mask(rng, m, p, scale, mask);
        mask_product(m, mask, x + i);
        i += m;
    }
}

void rnnkit__dropout_backward(size_t n, const float *mask, float *dx)
{
    mask_product(n, mask, dx);
}

/* ---------------------------------------------------------------------- */
/* Losses */

void rnnkit__softmax(size_t N, int K, float *x)
{
    for (size_t n = 0; n < N; n++) {
        float *row = x + n * (size_t)K;
        float mx = row[0];
        for (int k = 1; k < K; k++)
            mx = row[k] > mx ? row[k] : mx;
        float s = 0.0f;
        for (int k = 0; k < K; k++) {
            row[k] = expf(row[k] - mx);
            s += row[k];
        }
        float inv = 1.0f / s;
        for (int k = 0; k < K; k++)
            row[k] *= inv;
    }
}

double rnnkit__logsumexp(int K, const float *z)
{
    float mx = z[0];
    for (int k = 1; k < K; k++)
        mx = z[k] > mx ? z[k] : mx;
    double s = 0.0;
    for (int k = 0; k < K; k++)
        s += exp((double)(z[k] - mx));
    return (double)mx + log(s);
}

double rnnkit__softmax_xent(size_t N, int K, const float *logits, const int32_t *targets,
                           float *dlogits)
{
    /* loss_n = logsumexp(z_n) - z_n[y_n]; d/dz = softmax(z) - onehot(y), / N */
    double total = 0.0;
    const float invN = N ? 1.0f / (float)N : 0.0f;
    for (size_t n = 0; n < N; n++) {
        const float *z = logits + n * (size_t)K;
        const double lse = rnnkit__logsumexp(K, z);
        total += lse - (double)z[targets[n]];
        if (dlogits) {
            float *d = dlogits + n * (size_t)K;
            for (int k = 0; k < K; k++)
                d[k] = (float)(exp((double)z[k] - lse)) * invN;
            d[targets[n]] -= invN;
        }
    }
    return N ? total / (double)N : 0.0;
}

double rnnkit__sigmoid_bce(size_t N, const float *logits, const float *targets, float *dlogits)
{
    /* loss = max(z,0) - z*y + log(1 + exp(-|z|)); d/dz = sigmoid(z) - y */
    double total = 0.0;
    const float invN = N ? 1.0f / (float)N : 0.0f;
    for (size_t n = 0; n < N; n++) {
        double z = logits[n], y = targets[n];
        total += (z > 0 ? z : 0) - z * y + log1p(exp(-fabs(z)));
        if (dlogits) {
            double sg = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
            dlogits[n] = (float)(sg - y) * invN;
        }
    }
    return N ? total / (double)N : 0.0;
}

/* ---------------------------------------------------------------------- */
/* Pooling over time */

const char *rnnkit_pool_name(rnnkit_pool p)
{
    switch (p) {
    case RNNKIT_POOL_LAST: return "last";
    case RNNKIT_POOL_MEAN: return "mean";
    case RNNKIT_POOL_MAX: return "max";
    }
    return "?";
}

int rnnkit_pool_from_name(const char *name)
{
    for (int p = 0; p <= RNNKIT_POOL_MAX; p++)
        if (!strcmp(name, rnnkit_pool_name((rnnkit_pool)p)))
            return p;
    return -1;
}

RNNKIT_CLONES static void pool_forward_loops(rnnkit_pool kind, int T, int B, int C, const float *y,
                                             const float *mask, float *out, int32_t *argmax)
{
    const size_t BC = (size_t)B * (size_t)C;
    if (kind == RNNKIT_POOL_MEAN) {
        memset(out, 0, BC * sizeof(float));
        for (int b = 0; b < B; b++) {
            float cnt = 0.0f;
            float *o = out + (size_t)b * C;
            for (int t = 0; t < T; t++) {
                if (mask && mask[(size_t)t * B + b] == 0.0f)
                    continue;
                cnt += 1.0f;
                const float *yt = y + (size_t)t * BC + (size_t)b * C;
                for (int c = 0; c < C; c++)
                    o[c] += yt[c];
            }
            if (cnt > 0.0f)
                for (int c = 0; c < C; c++)
                    o[c] /= cnt;
        }
    } else if (kind == RNNKIT_POOL_MAX) {
        for (int b = 0; b < B; b++) {
            float *o = out + (size_t)b * C;
            int32_t *am = argmax + (size_t)b * C;
            for (int c = 0; c < C; c++) {
                o[c] = -FLT_MAX;
                am[c] = -1;
            }
            for (int t = 0; t < T; t++) {
                if (mask && mask[(size_t)t * B + b] == 0.0f)
                    continue;
                const float *yt = y + (size_t)t * BC + (size_t)b * C;
                for (int c = 0; c < C; c++)
                    if (yt[c] > o[c]) {
                        o[c] = yt[c];
                        am[c] = t;
                    }
            }
            for (int c = 0; c < C; c++)
                if (am[c] < 0)
                    o[c] = 0.0f;
        }
    }
}

void rnnkit__pool_forward(rnnkit_pool kind, int T, int B, int C, const float *y,
                         const float *mask, float *out, int32_t *argmax)
{
    pool_forward_loops(kind, T, B, C, y, mask, out, argmax);
}

RNNKIT_CLONES static void pool_backward_loops(rnnkit_pool kind, int T, int B, int C, const float *mask,
                                              const int32_t *argmax, const float *dout, float *dy)
{
    const size_t BC = (size_t)B * (size_t)C;
    memset(dy, 0, (size_t)T * BC * sizeof(float));
    if (kind == RNNKIT_POOL_MEAN) {
        for (int b = 0; b < B; b++) {
            float cnt = 0.0f;
            for (int t = 0; t < T; t++)
                cnt += (!mask || mask[(size_t)t * B + b] != 0.0f) ? 1.0f : 0.0f;
            if (cnt == 0.0f)
                continue;
            const float *d = dout + (size_t)b * C;
            for (int t = 0; t < T; t++) {
                if (mask && mask[(size_t)t * B + b] == 0.0f)
                    continue;
                float *g = dy + (size_t)t * BC + (size_t)b * C;
                for (int c = 0; c < C; c++)
                    g[c] = d[c] / cnt;
            }
        }
    } else if (kind == RNNKIT_POOL_MAX) {
        for (int b = 0; b < B; b++)
            for (int c = 0; c < C; c++) {
                int32_t t = argmax[(size_t)b * C + c];
                if (t >= 0)
                    dy[(size_t)t * BC + (size_t)b * C + c] = dout[(size_t)b * C + c];
            }
    }
}

void rnnkit__pool_backward(rnnkit_pool kind, int T, int B, int C, const float *mask,
                          const int32_t *argmax, const float *dout, float *dy)
{
    pool_backward_loops(kind, T, B, C, mask, argmax, dout, dy);
}
