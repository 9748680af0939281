/*
 * model/optim.c: optimisers over a whole parameter block, with torch.optim's
 * update rules, and gradient clipping by global norm.
 *
 *   Adam  (Kingma & Ba 2015; torch.optim.Adam, L2 weight decay added to g):
 *     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *     p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 *   AdamW (Loshchilov & Hutter 2019; torch.optim.AdamW): p *= 1 - lr*wd first,
 *     then the Adam step without decay in g.
 *   SGD with momentum (torch.optim.SGD, dampening 0): b = mu b + g (b = g on
 *     the first step); p -= lr b.
 *
 * A step updates every element from that element alone, so it is cut into
 * fixed blocks run on the model's pool (core/pool.h) with the same bits on
 * any number of threads. A prefix of the block (a model's body: embedding
 * and recurrent layers) may step at a fraction of the rate (discriminative
 * fine-tuning, Howard & Ruder 2018), 0 freezing it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "model/nn_internal.h"
#include "core/clones.h"

rnnkit_status rnnkit__optim_init(rnnkit__optim *o, rnnkit_optim_kind kind, float lr, size_t n,
                                rnnkit_error *err)
{
    memset(o, 0, sizeof *o);
    if (!(lr > 0.0f) || !isfinite(lr))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "learning rate must be > 0 (got %g)", (double)lr);
    o->kind = kind;
    o->lr = lr;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->weight_decay = kind == RNNKIT_OPT_ADAMW ? 0.01f : 0.0f;
    o->momentum = 0.0f;
    o->n = n;
    o->body_scale = 1.0f;
    size_t bytes = (n ? n : 1) * sizeof(float);
    o->m = rnnkit__mem_large(bytes, RNNKIT__MEM_ZERO);
    o->v = kind == RNNKIT_OPT_SGD ? NULL : rnnkit__mem_large(bytes, RNNKIT__MEM_ZERO);
    if (!o->m || (kind != RNNKIT_OPT_SGD && !o->v)) {
        rnnkit__optim_free(o);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for optimiser state (%zu floats)", n);
    }
    return RNNKIT_OK;
}

void rnnkit__optim_reset(rnnkit__optim *o, float lr)
{
    size_t bytes = (o->n ? o->n : 1) * sizeof(float);
    if (o->m)
        memset(o->m, 0, bytes);
    if (o->v)
        memset(o->v, 0, bytes);
    o->step = 0;
    o->lr = lr;
}

void rnnkit__optim_free(rnnkit__optim *o)
{
    if (!o)
        return;
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

/* One step's constants, fixed before the elements are updated. */
typedef struct step_job {
    const rnnkit__optim *o;
    float *value;
    const float *grad;
    float step_size, sqrt_bc2, decay;
} step_job;

/* Elements per block of a step on the pool: the update of an element reads
 * and writes only that element, so any split gives the same bits; blocks
 * of 2^15 keep a small model's step on one thread. */
#define OPTIM_BLOCK 32768

RNNKIT_CLONES static void optim_step_range(const step_job *j, size_t lo, size_t hi)
{
    const rnnkit__optim *o = j->o;
    float *value = j->value;
    const float *grad = j->grad;
    if (o->kind == RNNKIT_OPT_SGD) {
        const float lr = o->lr, mu = o->momentum, wd = o->weight_decay;
        float *b = o->m;
        for (size_t i = lo; i < hi; i++) {
            float g = grad[i] + wd * value[i];
            if (mu != 0.0f) {
                b[i] = o->step == 1 ? g : mu * b[i] + g;
                g = b[i];
            }
            value[i] -= lr * g;
        }
        return;
    }
    const float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    const float step_size = j->step_size, sqrt_bc2 = j->sqrt_bc2, decay = j->decay;
    const float wd = o->weight_decay;
    const int decoupled = o->kind == RNNKIT_OPT_ADAMW;
    float *m = o->m, *v = o->v;
    for (size_t i = lo; i < hi; i++) {
        float g = grad[i];
        float p = value[i];
        if (decoupled)
            p *= decay;
        else if (wd != 0.0f)
            g += wd * p;
        float mi = b1 * m[i] + (1.0f - b1) * g;
        float vi = b2 * v[i] + (1.0f - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        p -= step_size * mi / (sqrtf(vi) / sqrt_bc2 + eps);
        value[i] = p;
    }
}

/* [lo, hi) in two parts, the body's at its own rate (an element's update
 * is the same whichever part of a split it falls in). */
static void optim_step_split(const step_job *j, size_t lo, size_t hi)
{
    const rnnkit__optim *o = j->o;
    size_t mid = o->body_n < lo ? lo : o->body_n > hi ? hi : o->body_n;
    if (mid > lo && o->body_scale != 1.0f) {
        rnnkit__optim body = *o;
        body.lr *= o->body_scale;
        step_job jb = *j;
        jb.o = &body;
        jb.step_size *= o->body_scale;
        jb.decay = 1.0f - body.lr * o->weight_decay;
        optim_step_range(&jb, lo, mid);
    } else if (mid > lo) {
        optim_step_range(j, lo, mid);
    }
    if (hi > mid)
        optim_step_range(j, mid, hi);
}

static void optim_step_block(void *ctx, int block)
{
    const step_job *j = ctx;
    const size_t lo = (size_t)block * OPTIM_BLOCK;
    const size_t hi = lo + OPTIM_BLOCK < j->o->n ? lo + OPTIM_BLOCK : j->o->n;
    optim_step_split(j, lo, hi);
}

/* Counts the step and fixes its constants. */
static step_job step_begin(rnnkit__optim *o, float *value, const float *grad)
{
    o->step++;
    step_job j = {.o = o, .value = value, .grad = grad};
    if (o->kind != RNNKIT_OPT_SGD) {
        /* torch computes the bias corrections in double from the step
         * count, then step_size = lr / bc1 and denom = sqrt(v)/sqrt(bc2) + eps. */
        const double bc1 = 1.0 - pow((double)o->beta1, (double)o->step);
        const double bc2 = 1.0 - pow((double)o->beta2, (double)o->step);
        j.step_size = (float)(o->lr / bc1);
        j.sqrt_bc2 = (float)sqrt(bc2);
        j.decay = 1.0f - o->lr * o->weight_decay;
    }
    return j;
}

void rnnkit__optim_step(rnnkit__optim *o, float *value, const float *grad, rnnkit__pool *pool)
{
    rnnkit__optim_step_rows(o, value, grad, NULL, pool);
}

/* A lazy step on the pool: the fixed blocks of the whole block less the
 * table, then the listed rows in fixed groups. */
typedef struct rows_job {
    step_job s;
    const rnnkit__rows *r;
    size_t dense_blocks, rows_per_task;
} rows_job;

static void rows_task(const rows_job *j, size_t block)
{
    const rnnkit__rows *r = j->r;
    const size_t t0 = r->off, t1 = r->off + r->count * r->len;
    if (block < j->dense_blocks) {
        const size_t lo = block * OPTIM_BLOCK;
        const size_t hi = lo + OPTIM_BLOCK < j->s.o->n ? lo + OPTIM_BLOCK : j->s.o->n;
        if (lo < t0)
            optim_step_split(&j->s, lo, hi < t0 ? hi : t0);
        if (hi > t1)
            optim_step_split(&j->s, lo > t1 ? lo : t1, hi);
        return;
    }
    const size_t k0 = (block - j->dense_blocks) * j->rows_per_task;
    const size_t k1 = k0 + j->rows_per_task < (size_t)r->n ? k0 + j->rows_per_task : (size_t)r->n;
    for (size_t k = k0; k < k1; k++) {
        const size_t lo = r->off + (size_t)r->rows[k] * r->len;
        optim_step_split(&j->s, lo, lo + r->len);
    }
}

static void rows_block(void *ctx, int block) { rows_task(ctx, (size_t)block); }

void rnnkit__optim_step_rows(rnnkit__optim *o, float *value, const float *grad, const rnnkit__rows *rows,
                             rnnkit__pool *pool)
{
    step_job s = step_begin(o, value, grad);
    const size_t blocks = (o->n + OPTIM_BLOCK - 1) / OPTIM_BLOCK;
    if (!rows) {
        if (blocks > (size_t)INT32_MAX)
            optim_step_split(&s, 0, o->n);
        else
            rnnkit__pool_run(pool, (int)blocks, optim_step_block, &s);
        return;
    }
    rows_job j = {.s = s, .r = rows, .dense_blocks = blocks};
    j.rows_per_task = rows->len >= OPTIM_BLOCK ? 1 : OPTIM_BLOCK / rows->len;
    const size_t tasks = blocks + ((size_t)rows->n + j.rows_per_task - 1) / j.rows_per_task;
    if (tasks > (size_t)INT32_MAX) {
        for (size_t b = 0; b < tasks; b++)
            rows_task(&j, b);
        return;
    }
    rnnkit__pool_run(pool, (int)tasks, rows_block, &j);
}

/* Calls fn on each part of [0, n) that `r` selects, in ascending order. */
typedef void (*range_fn)(float *x, size_t lo, size_t hi, void *ctx);

static void each_range(float *x, size_t n, const rnnkit__rows *r, range_fn fn, void *ctx)
{
    if (!r) {
        fn(x, 0, n, ctx);
        return;
    }
    const size_t t1 = r->off + r->count * r->len;
    fn(x, 0, r->off, ctx);
    for (int k = 0; k < r->n; k++) {
        const size_t lo = r->off + (size_t)r->rows[k] * r->len;
        fn(x, lo, lo + r->len, ctx);
    }
    fn(x, t1, n, ctx);
}

static void sum_squares(float *x, size_t lo, size_t hi, void *ctx)
{
    double ss = *(double *)ctx;
    for (size_t i = lo; i < hi; i++)
        ss += (double)x[i] * (double)x[i];
    *(double *)ctx = ss;
}

static void scale(float *x, size_t lo, size_t hi, void *ctx)
{
    const float coef = *(const float *)ctx;
    for (size_t i = lo; i < hi; i++)
        x[i] *= coef;
}

static void zero(float *x, size_t lo, size_t hi, void *ctx)
{
    (void)ctx;
    if (hi > lo)
        memset(x + lo, 0, (hi - lo) * sizeof *x);
}

double rnnkit__clip_grad_norm(float *grad, size_t n, double max_norm)
{
    return rnnkit__clip_grad_norm_rows(grad, n, NULL, max_norm);
}

double rnnkit__clip_grad_norm_rows(float *grad, size_t n, const rnnkit__rows *rows, double max_norm)
{
    double ss = 0.0;
    each_range(grad, n, rows, sum_squares, &ss);
    double norm = sqrt(ss);
    if (max_norm > 0.0 && norm > max_norm && isfinite(norm)) {
        /* as torch.nn.utils.clip_grad_norm_: coefficient max/(norm+1e-6) */
        float coef = (float)(max_norm / (norm + 1e-6));
        each_range(grad, n, rows, scale, &coef);
    }
    return norm;
}

void rnnkit__grad_zero_rows(float *grad, size_t n, const rnnkit__rows *rows)
{
    each_range(grad, n, rows, zero, NULL);
}
