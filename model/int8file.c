/*
 * model/int8file.c: a classifier's prediction-only model file with int8
 * weights (rnnkit_model_save_int8): the int8 form of its tensors, written
 * and read back for model/modelfile.c, which does everything else (schema,
 * configuration, labels, vocabulary, atomic writing, the checks of each
 * tensor row), and what a model loaded from such a file may not do.
 *
 * Layout (docs/model-format.md, "int8 model files"): model_meta holds
 * quantized = int8; each weight matrix W [R][C] of each member
 * (embedding.weight, every rnn.weight_ih_l* and rnn.weight_hh_l*,
 * fc.weight) is two tensors, `name` (dtype i8, shape RxC: R*C bytes,
 * row-major) and `name`_scale (f32, shape R); the biases stay f32 tensors
 * as in any file. Row r is quantized as model/quant.c quantizes every int8
 * weight (symmetric, q in [-127, 127], scale max|row| / 127), and its
 * scale is then moved to the nearby fixed point rnnkit__qscale_fixed
 * finds. No training tables: no checkpoint, optimiser state or log.
 *
 * Invariants: loading dequantizes, w = q * scale (one float product), and
 * turns int8 prediction on. Re-quantizing the dequantized weights gives
 * back the stored q and scales bit for bit (model/quant.c gives the
 * argument; the writer checks it on every row it writes, and
 * tests/test_int8file.c over every scale), so the int8 products run on
 * exactly the file's values, and a loaded model saved again writes the
 * same values. Such a model never trains: it has no training state and
 * its weights are rounded.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/modelfile.h"

/* model_meta's key and value, and the suffix of a matrix's scales. */
#define INT8_KEY "quantized"
#define INT8_VALUE "int8"
#define SCALE_SUFFIX "_scale"

rnnkit_status rnnkit__int8file_refuse_training(const char *path, rnnkit_error *err)
{
    return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s holds int8 weights for prediction only; train from the fp32 model",
                            path ? path : "the model");
}

/* "<name>_scale" into buf [cap]. */
static const char *scale_name(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s" SCALE_SUFFIX, name);
    return buf;
}

/* ---------------------------------------------------------------------- */
/* Writing */

/* Scratch for quantizing the matrices of a model: q [R*C] and scale [R] of
 * the largest, and one row dequantized (y [C]) and quantized again (q2 [C])
 * to check that it comes back. */
typedef struct int8_scratch {
    int8_t *q, *q2;
    float *scale, *y;
} int8_scratch;

static void scratch_free(int8_scratch *b)
{
    free(b->q);
    free(b->q2);
    free(b->scale);
    free(b->y);
}

static rnnkit_status scratch_alloc(int8_scratch *b, const rnnkit_model *m, const char *path, rnnkit_error *err)
{
    size_t most = 1, rows = 1, cols = 1;
    for (int i = 0; i < m->params.nviews; i++) {
        const rnnkit__param_view *v = &m->params.views[i];
        if (v->ndim != 2)
            continue;
        most = v->numel > most ? v->numel : most;
        rows = (size_t)v->shape[0] > rows ? (size_t)v->shape[0] : rows;
        cols = (size_t)v->shape[1] > cols ? (size_t)v->shape[1] : cols;
    }
    b->q = malloc(most);
    b->q2 = malloc(cols);
    b->scale = malloc(rows * sizeof(float));
    b->y = malloc(cols * sizeof(float));
    if (b->q && b->q2 && b->scale && b->y)
        return RNNKIT_OK;
    scratch_free(b);
    return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory for the int8 weights", path);
}

/* Quantizes W [R][C] (tensor `name`) into b->q and b->scale, checking that
 * each row comes back from its dequantized values. */
static rnnkit_status quantize_matrix(const char *path, const char *name, const float *W, size_t R, size_t C,
                                     int8_scratch *b, rnnkit_error *err)
{
    for (size_t r = 0; r < R; r++) {
        int8_t *q = b->q + r * C;
        float s = rnnkit__quantize_row(C, W + r * C, q);
        if (isnan(s))
            return rnnkit_error_set(err, RNNKIT_ERR_NUMERIC, "%s: tensor '%s' row %zu holds NaN or Inf: no int8 "
                                    "weights for it", path, name, r);
        s = b->scale[r] = rnnkit__qscale_fixed(s);
        for (size_t c = 0; c < C; c++)
            b->y[c] = (float)q[c] * s;
        const float back = rnnkit__quantize_row(C, b->y, b->q2);
        if (memcmp(&back, &s, sizeof s) || memcmp(b->q2, q, C))
            return rnnkit_error_set(err, RNNKIT_ERR_NUMERIC, "%s: tensor '%s' row %zu: its int8 values do not come "
                                    "back from the dequantized weights (scale %.9g; a bug, please report it)",
                                    path, name, r, (double)s);
    }
    return RNNKIT_OK;
}

/* One tensor of member weights w: a matrix as int8 values and scales, a
 * vector as f32. */
static rnnkit_status put_view(sqlite3 *db, const char *path, const char *name, const rnnkit__param_view *v,
                              const float *w, int8_scratch *b, rnnkit_error *err)
{
    char shape[64], rows[32], sname[RNNKIT_NAME_MAX + 32];
    rnnkit__modelfile_shape(v, shape, sizeof shape);
    if (v->ndim != 2) {
        for (size_t i = 0; i < v->numel; i++)
            if (!isfinite(w[i]))
                return rnnkit_error_set(err, RNNKIT_ERR_NUMERIC, "%s: tensor '%s' holds NaN or Inf at index %zu",
                                        path, name, i);
        return rnnkit__modelfile_put_tensor(db, path, name, "f32", shape, w, v->numel * sizeof(float), err);
    }
    const size_t R = (size_t)v->shape[0], C = (size_t)v->shape[1];
    rnnkit_status st = quantize_matrix(path, name, w, R, C, b, err);
    snprintf(rows, sizeof rows, "%zu", R);
    if (!st)
        st = rnnkit__modelfile_put_tensor(db, path, name, "i8", shape, b->q, R * C, err);
    if (!st)
        st = rnnkit__modelfile_put_tensor(db, path, scale_name(name, sname, sizeof sname), "f32", rows, b->scale,
                                          R * sizeof(float), err);
    return st;
}

rnnkit_status rnnkit__int8file_put(sqlite3 *db, const char *path, const rnnkit_model *m, rnnkit_error *err)
{
    int8_scratch b;
    rnnkit_status st = scratch_alloc(&b, m, path, err);
    if (st)
        return st;
    st = rnnkit__db_put_kv(db, path, "model_meta", INT8_KEY, INT8_VALUE, err);
    char name[RNNKIT_NAME_MAX + 16];
    for (int k = 0; k < m->members && !st; k++)
        for (int i = 0; i < m->params.nviews && !st; i++) {
            const rnnkit__param_view *v = &m->params.views[i];
            st = put_view(db, path, rnnkit__member_name(name, sizeof name, k, v->name), v, m->mw[k] + v->offset, &b,
                          err);
        }
    scratch_free(&b);
    return st;
}

rnnkit_status rnnkit_model_save_int8(const rnnkit_model *m, const char *path, rnnkit_error *err)
{
    rnnkit_status st = rnnkit__int8_check(m, "an int8 model file", err);
    if (st) {
        rnnkit_error_prefix(err, "%s: not written", path);
        return st;
    }
    return rnnkit__modelfile_create(path, m, m->params.value, m->ready, RNNKIT__MODELFILE_INT8, NULL, NULL, err);
}

/* ---------------------------------------------------------------------- */
/* Reading */

rnnkit_status rnnkit__int8file_key(sqlite3 *db, const char *path, int task, int *int8, rnnkit_error *err)
{
    char *v = NULL;
    *int8 = 0;
    const int r = rnnkit__db_get_meta_dup(db, INT8_KEY, &v);
    if (r < 0)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory reading '" INT8_KEY "'", path);
    rnnkit_status st = RNNKIT_OK;
    if (r > 0 && strcmp(v, INT8_VALUE))
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration '" INT8_KEY "' = '%.80s' is "
                              "invalid (expected " INT8_VALUE ")", path, v);
    else if (r > 0 && task >= 0 && task != RNNKIT_TASK_CLASSIFY)
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: int8 weights are for classifiers, but the file holds a %s",
                              path, rnnkit_task_noun((rnnkit_task)task));
    else
        *int8 = r > 0;
    free(v);
    return st;
}

rnnkit_status rnnkit__int8file_get(sqlite3 *db, const char *path, const char *name, const rnnkit__param_view *v,
                                   float *dst, rnnkit_error *err)
{
    const size_t R = (size_t)v->shape[0], C = (size_t)v->shape[1];
    char shape[64], rows[32], sname[RNNKIT_NAME_MAX + 32];
    rnnkit__modelfile_shape(v, shape, sizeof shape);
    snprintf(rows, sizeof rows, "%zu", R);
    scale_name(name, sname, sizeof sname);
    int8_t *q = malloc(R * C);
    float *scale = malloc(R * sizeof(float));
    rnnkit_status st = RNNKIT_OK;
    if (!q || !scale)
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory reading tensor '%s'", path, name);
    if (!st)
        st = rnnkit__modelfile_get_tensor(db, path, name, "i8", shape, q, R * C, err);
    if (!st)
        st = rnnkit__modelfile_get_tensor(db, path, sname, "f32", rows, scale, R * sizeof(float), err);
    for (size_t i = 0; !st && i < R * C; i++)
        if (q[i] == INT8_MIN)
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' holds -128 at index %zu (int8 weights "
                                  "are symmetric, -127..127)", path, name, i);
    for (size_t r = 0; !st && r < R; r++)
        if (signbit(scale[r]) || !isfinite(127.0f * scale[r]))
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' row %zu has scale %g (a scale is a "
                                  "finite number >= 0, at most FLT_MAX / 127)", path, sname, r, (double)scale[r]);
    for (size_t r = 0; !st && r < R; r++)
        for (size_t c = 0; c < C; c++)
            dst[r * C + c] = (float)q[r * C + c] * scale[r];
    free(q);
    free(scale);
    return st;
}

rnnkit_status rnnkit__int8file_adopt(rnnkit_model *m, const char *path, rnnkit_error *err)
{
    m->quantized = 1;
    rnnkit_status st = rnnkit_model_set_int8(m, 1, err);
    if (st) {
        rnnkit_error_prefix(err, "%s", path);
        if (st == RNNKIT_ERR_ARG) { /* sizes the file's keys passed but int8 prediction refuses */
            st = RNNKIT_ERR_CORRUPT;
            if (err)
                err->status = st;
        }
    }
    return st;
}

int rnnkit_model_quantized(const rnnkit_model *m) { return m->quantized; }
