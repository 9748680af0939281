/*
 * model/forecaster.c: the time-series forecaster. A window of `lookback`
 * rows of a series (all its columns, the target first) is read by the
 * recurrent layers as [T = lookback][B][inputs] floats; the top layer's last
 * state goes through dropout and a dense layer to `horizon` outputs, the
 * next values of the target; the loss is the mean squared error over the
 * B x horizon outputs (Keras's "mse").
 *
 * The network works in transformed units: the series is differenced as the
 * model's spec says (rnnkit_diff), then scaled per column by a scaler
 * fitted on the rows the training windows touch (rnnkit_series_split's
 * fit_rows), so no validation or test value leaks into training. Output
 * back in the series' units: unscale the target, then undo the
 * differencing from the true history (one step ahead) or from the
 * forecasts themselves (past the end of the series).
 *
 * Training is a task of the trainer (model/train.c), epochal like the
 * classifier: the training windows shuffled each epoch (one Fisher-Yates
 * shuffle from the trainer's rng), batches of `batch` windows, the
 * validation MSE after each epoch, the best weights by it.
 *
 * Invariants: the transformed series (tf) has n - lost rows; transformed
 * row r is original row r + lost; window i reads tf rows [i, i+lookback)
 * and predicts tf rows [i+lookback, i+lookback+horizon) of column 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/train_internal.h"

/* A series in the model's units: differenced and scaled, as doubles. */
typedef struct fc_data {
    const rnnkit_series *s;
    size_t n, F;            /* original rows, columns */
    size_t lost;            /* rows lost to differencing */
    size_t nt;              /* transformed rows: n - lost */
    double *tf;             /* [nt][F] */
    rnnkit_split split;
} fc_data;

static void data_free(fc_data *d) { free(d->tf); }

/* Differences s as the spec says and, when test_frac > 0, splits it; with
 * fit, fits the scaler on the training rows first; then scales. */
static rnnkit_status data_prepare(rnnkit_model *m, const rnnkit_series *s, double test_frac, double valid_frac,
                                  int fit, fc_data *d, rnnkit_error *err)
{
    memset(d, 0, sizeof *d);
    d->s = s;
    d->n = rnnkit_series_length(s);
    d->F = rnnkit_series_num_columns(s);
    if ((int)d->F != m->cfg.inputs)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: %zu columns, the model reads %d", rnnkit_series_source(s),
                                d->F, m->cfg.inputs);
    d->lost = rnnkit_diff_lost(&m->spec.diff);
    rnnkit_split_options so = rnnkit_split_options_default();
    so.lookback = (size_t)m->cfg.lookback;
    so.horizon = (size_t)m->cfg.horizon;
    so.lost = d->lost;
    so.test_frac = test_frac;
    so.valid_frac = valid_frac;
    rnnkit_status st = test_frac > 0 ? rnnkit_series_split(d->n, &so, rnnkit_series_source(s), &d->split, err)
                                     : RNNKIT_OK;
    if (st)
        return st;
    if (d->n < d->lost + so.lookback + 1)
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "%s: %zu rows; differencing (%zu rows) and lookback %zu need %zu",
                                rnnkit_series_source(s), d->n, d->lost, so.lookback, d->lost + so.lookback + 1);
    d->nt = d->n - d->lost;
    if (!(d->tf = malloc(d->nt * d->F * sizeof *d->tf)))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu rows", d->n);
    if ((st = rnnkit_diff_apply(&m->spec.diff, rnnkit_series_values(s), d->n, d->F, d->tf, err)))
        return st;
    if (fit && (st = rnnkit_scaler_fit(&m->spec.scaler, m->spec.scaler.kind, d->tf, d->split.fit_rows, d->F, err)))
        return st;
    if (m->spec.scaler.ncols != d->F)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "the model's scaler has %zu columns, the series %zu",
                                m->spec.scaler.ncols, d->F);
    return rnnkit_scaler_apply(&m->spec.scaler, d->tf, d->nt, d->F, d->tf, err);
}

/* Forward of B windows already in m->x [T][B][F]: outputs m->logits [B][K].
 * train: dropout and what backward needs. */
static rnnkit_status fc_forward(rnnkit_model *m, int B, int train, rnnkit_rng *rng, rnnkit_error *err)
{
    const int T = m->cfg.lookback, H = m->cfg.hidden, lstm = m->cfg.cell == RNNKIT_CELL_LSTM;
    const float *y = NULL;
    rnnkit_status st = rnnkit__rnn_forward(m->rnn, T, B, m->x, NULL, NULL, NULL, train, rng, &y, m->hn,
                                           lstm ? m->cn : NULL, err);
    if (st)
        return st;
    /* the top layer's last state */
    memcpy(m->feat, m->hn + (size_t)(m->cfg.layers - 1) * (size_t)B * (size_t)H, (size_t)B * H * sizeof(float));
    if (train && m->cfg.dropout > 0.0f)
        rnnkit__dropout_forward((size_t)B * (size_t)H, m->cfg.dropout, rng, m->feat, m->featmask);
    rnnkit__dense_forward(&m->fc, (size_t)B, m->feat, m->logits);
    return RNNKIT_OK;
}

/* Mean squared error of m->logits against y [B][K]; with grad, its
 * gradient into m->dlogits. */
static double mse(const rnnkit_model *m, int B, const float *y, int grad)
{
    const size_t n = (size_t)B * (size_t)m->K;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = (double)m->logits[i] - (double)y[i];
        sum += e * e;
        if (grad)
            m->dlogits[i] = (float)(2.0 * e / (double)n);
    }
    return sum / (double)n;
}

static rnnkit_status fc_backward(rnnkit_model *m, int B, rnnkit_error *err)
{
    const size_t H = (size_t)m->cfg.hidden, BH = (size_t)B * H;
    rnnkit__dense_backward(&m->fc, (size_t)B, m->feat, m->dlogits, m->dfeat);
    if (m->cfg.dropout > 0.0f)
        rnnkit__dropout_backward(BH, m->featmask, m->dfeat);
    memset(m->dhn, 0, (size_t)m->LD * BH * sizeof(float));
    memcpy(m->dhn + (size_t)(m->cfg.layers - 1) * BH, m->dfeat, BH * sizeof(float));
    return rnnkit__rnn_backward(m->rnn, NULL, m->dhn, NULL, NULL, NULL, NULL, err);
}

/* The gradient checks' entry point (model_internal.h). */
rnnkit_status rnnkit__forecaster_loss(rnnkit_model *m, const float *x, const float *y, int B, int grad, double *loss,
                                      rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_FORECAST || B < 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "a forecaster and at least one window");
    rnnkit_status st = rnnkit__model_reserve(m, m->cfg.lookback, B, err);
    if (st)
        return st;
    memcpy(m->x, x, (size_t)m->cfg.lookback * (size_t)B * (size_t)m->E * sizeof(float));
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 1);
    if ((st = fc_forward(m, B, 1, &rng, err)))
        return st;
    *loss = mse(m, B, y, grad);
    if (!grad)
        return RNNKIT_OK;
    rnnkit__params_zero_grad(&m->params);
    return fc_backward(m, B, err);
}

/* Loads the windows starting at starts[0..B) (y may be NULL: inputs only). */
static rnnkit_status load_windows(rnnkit_model *m, const fc_data *d, const size_t *starts, int B, float *y,
                                  rnnkit_error *err)
{
    rnnkit_status st = rnnkit__model_reserve(m, m->cfg.lookback, B, err);
    if (st)
        return st;
    return rnnkit_series_windows(d->tf, d->nt, d->F, (size_t)m->cfg.lookback, (size_t)m->cfg.horizon, starts,
                                 (size_t)B, m->x, y, err);
}

/* ====================================================================== */
/* Training */

typedef struct fc_task {
    rnnkit_model *m;
    const rnnkit_forecaster_options *opt;
    fc_data d;
    size_t ntrain;          /* training windows */
    rnnkit__epoch_cursor cur; /* where the epoch stands; cur.nb batches per epoch */
    size_t *order;          /* [ntrain] window starts, shuffled each epoch */
    size_t *starts;         /* [batch] scratch */
    float *y;               /* [batch][horizon] targets */
    int B;                  /* the loaded batch */
} fc_task;

static rnnkit_status shuffle(void *ctx, rnnkit_rng *rng, rnnkit_error *err)
{
    (void)err;
    fc_task *c = ctx;
    for (size_t i = 0; i < c->ntrain; i++)
        c->order[i] = c->d.split.train_begin + i;
    for (size_t i = c->ntrain; i > 1; i--) {
        size_t j = (size_t)rnnkit_rng_below(rng, i);
        size_t t = c->order[i - 1];
        c->order[i - 1] = c->order[j];
        c->order[j] = t;
    }
    return RNNKIT_OK;
}

static rnnkit_status fc_next_batch(void *ctx, rnnkit_rng *rng, int *epoch, rnnkit_error *err)
{
    (void)epoch;
    fc_task *c = ctx;
    size_t bi;
    rnnkit_status st = rnnkit__epoch_next(&c->cur, rng, &bi, err);
    if (st)
        return st;
    const size_t batch = (size_t)c->opt->train.batch, s = bi * batch;
    c->B = (int)(c->ntrain - s < batch ? c->ntrain - s : batch);
    return load_windows(c->m, &c->d, c->order + s, c->B, c->y, err);
}

static rnnkit_status fc_step(void *ctx, rnnkit_rng *rng, double *loss, double *weight, int64_t *items,
                             int64_t *correct, rnnkit_error *err)
{
    (void)correct;
    fc_task *c = ctx;
    rnnkit_status st = fc_forward(c->m, c->B, 1, rng, err);
    if (st)
        return st;
    *loss = mse(c->m, c->B, c->y, 1);
    *weight = c->B;
    *items = c->B;
    return fc_backward(c->m, c->B, err);
}

/* Mean squared error (scaled units) over the windows [begin, end). */
static rnnkit_status windows_mse(rnnkit_model *m, const fc_data *d, size_t begin, size_t end, size_t *starts,
                                 float *y, size_t cap, double *loss, rnnkit_error *err)
{
    double sum = 0.0;
    for (size_t s = begin; s < end;) {
        const int B = (int)(end - s < cap ? end - s : cap);
        for (int b = 0; b < B; b++)
            starts[b] = s + (size_t)b;
        rnnkit_status st = load_windows(m, d, starts, B, y, err);
        if (!st)
            st = fc_forward(m, B, 0, NULL, err);
        if (st)
            return st;
        sum += mse(m, B, y, 0) * B;
        s += (size_t)B;
    }
    *loss = end > begin ? sum / (double)(end - begin) : NAN;
    return RNNKIT_OK;
}

static rnnkit_status fc_evaluate(void *ctx, double *loss, double *acc, rnnkit_error *err)
{
    fc_task *c = ctx;
    *acc = NAN;
    return windows_mse(c->m, &c->d, c->d.split.valid_begin, c->d.split.valid_end, c->starts, c->y,
                       (size_t)c->opt->train.batch, loss, err);
}

static void fc_save(void *ctx, const rnnkit_rng *rng, rnnkit__ckpt *ck)
{
    rnnkit__epoch_save(&((fc_task *)ctx)->cur, rng, ck);
}

static rnnkit_status fc_restore(void *ctx, const rnnkit__ckpt *ck, const char *path, rnnkit_error *err)
{
    return rnnkit__epoch_restore(&((fc_task *)ctx)->cur, ck, path, err);
}

static void fc_rewind(void *ctx) { rnnkit__epoch_rewind(&((fc_task *)ctx)->cur); }

static uint64_t fc_rng_seed(uint64_t seed, int k) { return rnnkit__member_seed(seed, k) ^ 0xf0eca57ULL; }

void rnnkit_forecaster_options_default(rnnkit_forecaster_options *o)
{
    memset(o, 0, sizeof *o);
    o->train.optimizer = RNNKIT_OPT_ADAM;
    o->train.seed = 1;
    o->train.lr = 0.01;
    o->train.clip = 5.0;
    o->train.lr_decay = 1.0;
    o->train.lr_schedule = RNNKIT_LR_COSINE;
    o->train.batch = 16;
    o->train.patience = 0;
    o->epochs = 200;
    o->test_frac = 0.33;
    o->valid_frac = 0.1;
}

static rnnkit_status check_options(const rnnkit_model *m, const rnnkit_forecaster_options *opt, rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_FORECAST)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is not a forecaster");
    const rnnkit_train_options *to = &opt->train;
    if (opt->epochs < 1 || to->batch < 1 || to->batch > 65536 || !(to->lr > 0))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "invalid training options (epochs %d, batch %d, lr %g)",
                                opt->epochs, to->batch, to->lr);
    return RNNKIT_OK;
}

rnnkit_status rnnkit_forecaster_train(rnnkit_model *m, const rnnkit_series *s, const rnnkit_forecaster_options *opt,
                                      rnnkit_log_row **log, int *nlog, rnnkit_error *err)
{
    if (log) {
        *log = NULL;
        *nlog = 0;
    }
    rnnkit_status st = check_options(m, opt, err);
    if (st)
        return st;
    if (opt->train.init_path)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: a forecaster cannot carry on from another run yet",
                                opt->train.init_path);
    fc_task c = {.m = m, .opt = opt};
    if (!(opt->test_frac > 0 && opt->test_frac < 1) || !(opt->valid_frac >= 0 && opt->valid_frac < 1))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "test fraction %g and validation fraction %g out of range",
                                opt->test_frac, opt->valid_frac);
    if (opt->train.resume && (m->spec.test_frac != opt->test_frac || m->spec.valid_frac != opt->valid_frac))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "the model was split with test fraction %g and validation "
                                "fraction %g, not %g and %g", m->spec.test_frac, m->spec.valid_frac,
                                opt->test_frac, opt->valid_frac);
    m->spec.test_frac = opt->test_frac;
    m->spec.valid_frac = opt->valid_frac;
    /* a resume keeps the scaler the run was fitted with (it is in the model file) */
    st = data_prepare(m, s, opt->test_frac, opt->valid_frac, !opt->train.resume, &c.d, err);
    c.ntrain = c.d.split.train_end - c.d.split.train_begin;
    const size_t nb = (c.ntrain + (size_t)opt->train.batch - 1) / (size_t)opt->train.batch;
    c.cur = (rnnkit__epoch_cursor){.nb = nb, .shuffle = shuffle, .ctx = &c};
    if (!st) {
        c.order = malloc((c.ntrain ? c.ntrain : 1) * sizeof *c.order);
        c.starts = malloc((size_t)opt->train.batch * sizeof *c.starts);
        c.y = malloc((size_t)opt->train.batch * (size_t)m->K * sizeof *c.y);
        if (!c.order || !c.starts || !c.y)
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu windows", c.ntrain);
    }
    if (!st) {
        const int has_valid = c.d.split.valid_end > c.d.split.valid_begin;
        uint64_t fp = rnnkit__fnv1a64_more(0xcbf29ce484222325ULL, c.d.tf, c.d.nt * c.d.F * sizeof *c.d.tf);
        fp = rnnkit__fnv1a64_more(fp, &c.d.split, sizeof c.d.split);
        const rnnkit__task t = {
            .m = m, .opt = &opt->train, .ctx = &c, .total_steps = (int64_t)opt->epochs * (int64_t)nb,
            .eval_every = (int64_t)nb, .epochal = 1, .has_valid = has_valid, .data_fp = fp,
            .diverged_hint = "--lr or --clip", .rng_seed = fc_rng_seed, .next_batch = fc_next_batch,
            .step = fc_step, .evaluate = fc_evaluate, .save = fc_save, .restore = fc_restore, .rewind = fc_rewind};
        st = rnnkit__train(&t, log, nlog, err);
    }
    free(c.order);
    free(c.starts);
    free(c.y);
    data_free(&c.d);
    return st;
}

/* ====================================================================== */
/* Using a forecaster */

/* Predictions (transformed units, output 0) of the windows starting at
 * tf rows [first, first+count), into z[count]. */
static rnnkit_status predict_windows(rnnkit_model *m, const fc_data *d, size_t first, size_t count, double *z,
                                     rnnkit_error *err)
{
    enum { CAP = 256 };
    size_t starts[CAP];
    for (size_t s = 0; s < count;) {
        const int B = (int)(count - s < CAP ? count - s : CAP);
        for (int b = 0; b < B; b++)
            starts[b] = first + s + (size_t)b;
        rnnkit_status st = load_windows(m, d, starts, B, NULL, err);
        if (!st)
            st = fc_forward(m, B, 0, NULL, err);
        if (st)
            return st;
        for (int b = 0; b < B; b++)
            z[s + (size_t)b] = m->logits[(size_t)b * (size_t)m->K];
        s += (size_t)B;
    }
    return RNNKIT_OK;
}

/* One-step-ahead forecasts of rows [t0, n) in the series' units (t0 =
 * lost + lookback, the first row with a window), into pred[n - t0]. */
static rnnkit_status fit_rows(rnnkit_model *m, const fc_data *d, double *pred, rnnkit_error *err)
{
    const size_t t0 = d->lost + (size_t)m->cfg.lookback, count = d->n - t0;
    rnnkit_status st = predict_windows(m, d, 0, count, pred, err);
    if (!st)
        st = rnnkit_scaler_invert(&m->spec.scaler, 0, pred, count, pred, err);
    if (!st)
        st = rnnkit_diff_invert_true(&m->spec.diff, rnnkit_series_values(d->s), d->F, t0, pred, count, pred, err);
    return st;
}

rnnkit_status rnnkit_forecaster_fit(rnnkit_model *m, const rnnkit_series *s, double *pred, rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_FORECAST)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is not a forecaster");
    fc_data d;
    rnnkit_status st = data_prepare(m, s, 0, 0, 0, &d, err);
    if (!st) {
        const size_t t0 = d.lost + (size_t)m->cfg.lookback;
        for (size_t t = 0; t < t0; t++)
            pred[t] = NAN;
        st = fit_rows(m, &d, pred + t0, err);
    }
    data_free(&d);
    return st;
}

/* The errors of forecasts fc (indexed by row) on rows [a, b). */
static rnnkit_status errors_on(const double *y, size_t F, const double *fc, size_t a, size_t b, double scale,
                               double *truth, rnnkit_forecast_errors *out, rnnkit_error *err)
{
    memset(out, 0, sizeof *out);
    if (b <= a)
        return RNNKIT_OK;
    for (size_t t = a; t < b; t++)
        truth[t - a] = y[t * F];
    return rnnkit_forecast_errors_compute(truth, fc + a, b - a, scale, out, err);
}

/* The model's and the baselines' errors on the rows [a, b). */
static rnnkit_status judge(const fc_data *d, const double *pred, size_t a, size_t b, size_t season, double scale,
                           double *work, rnnkit_forecast_errors out[3], rnnkit_error *err)
{
    const double *y = rnnkit_series_values(d->s);
    double *base = work + d->n, *truth = work + 2 * d->n;
    size_t *rows = (size_t *)(work + 3 * d->n);
    for (size_t t = a; t < b; t++)
        rows[t - a] = t;
    rnnkit_status st = errors_on(y, d->F, pred, a, b, scale, truth, &out[0], err);
    for (int k = 1; k < 3 && !st; k++) {
        const size_t lag = k == 1 ? 1 : season;
        memset(&out[k], 0, sizeof out[k]);
        if (k == 2 && season <= 1)
            break;
        if ((st = rnnkit_baseline_forecast(y, d->F, d->n, lag, rows, b - a, base + a, err)))
            break;
        st = errors_on(y, d->F, base, a, b, scale, truth, &out[k], err);
    }
    return st;
}

rnnkit_status rnnkit_forecaster_evaluate(rnnkit_model *m, const rnnkit_series *s, rnnkit_forecast_report *out,
                                         rnnkit_error *err)
{
    memset(out, 0, sizeof *out);
    if (m->cfg.task != RNNKIT_TASK_FORECAST)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is not a forecaster");
    fc_data d;
    rnnkit_status st = data_prepare(m, s, m->spec.test_frac, m->spec.valid_frac, 0, &d, err);
    /* pred, baseline, truth, row indices: n each */
    double *work = st ? NULL : malloc(4 * d.n * sizeof(double));
    if (!st && !work)
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu rows", d.n);
    const size_t season = m->spec.season, t0 = d.lost + (size_t)m->cfg.lookback;
    /* every point has a forecast of the model and of both baselines */
    const size_t a = t0 > season ? t0 : season, v = d.split.valid_first_row, e = d.split.test_first_row;
    double scale = NAN;
    if (!st) {
        for (size_t t = 0; t < t0; t++)
            work[t] = NAN;
        st = fit_rows(m, &d, work + t0, err);
    }
    if (!st)
        st = rnnkit_mase_scale(rnnkit_series_values(s), d.F, v, season, &scale, err);
    rnnkit_forecast_errors tr[3], te[3], va[3];
    if (!st)
        st = judge(&d, work, a, v > a ? v : a, season, scale, work, tr, err);
    if (!st)
        st = judge(&d, work, v > a ? v : a, e > a ? e : a, season, scale, work, va, err);
    if (!st)
        st = judge(&d, work, e > a ? e : a, d.n, season, scale, work, te, err);
    if (!st) {
        out->train = tr[0];
        out->valid = va[0];
        out->persistence_train = tr[1];
        out->seasonal_train = tr[2];
        out->test = te[0];
        out->persistence_test = te[1];
        out->seasonal_test = te[2];
        out->train_first_row = a;
        out->test_first_row = e > a ? e : a;
    }
    free(work);
    data_free(&d);
    return st;
}

rnnkit_status rnnkit_forecaster_predict(rnnkit_model *m, const rnnkit_series *s, size_t steps, double *out,
                                        rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_FORECAST)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is not a forecaster");
    const size_t K = (size_t)m->K, L = (size_t)m->cfg.lookback;
    if (steps < 1 || steps > 1000000)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%zu steps outside [1, 1000000]", steps);
    if (steps > K && m->cfg.inputs > 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%zu steps past a horizon of %zu: a model that reads %d columns cannot feed its "
                                "forecasts back (their other columns are unknown)", steps, K, m->cfg.inputs);
    fc_data d;
    rnnkit_status st = data_prepare(m, s, 0, 0, 0, &d, err);
    /* the window grows by each block forecast: a one-column series then */
    const size_t rows = d.nt + steps + K;
    double *ext = st ? NULL : realloc(d.tf, rows * d.F * sizeof(double));
    if (!st && !ext)
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu steps", steps);
    if (ext)
        d.tf = ext;
    for (size_t done = 0; !st && done < steps; done += K) {
        size_t start = d.nt - L;
        if ((st = load_windows(m, &d, &start, 1, NULL, err)) || (st = fc_forward(m, 1, 0, NULL, err)))
            break;
        for (size_t k = 0; k < K; k++)
            d.tf[(d.nt + k) * d.F] = m->logits[k];
        d.nt += K;
    }
    if (!st) {
        const size_t first = d.nt - ((steps + K - 1) / K) * K; /* the first forecast row */
        for (size_t k = 0; k < steps && !st; k++)
            st = rnnkit_scaler_invert(&m->spec.scaler, 0, d.tf + (first + k) * d.F, 1, out + k, err);
        if (!st)
            st = rnnkit_diff_invert_forecast(&m->spec.diff, rnnkit_series_values(s), d.F, d.n, out, steps, out, err);
    }
    data_free(&d);
    return st;
}

rnnkit_status rnnkit_forecaster_choose_differencing(rnnkit_model *m, const rnnkit_series *s,
                                                    const rnnkit_forecaster_options *opt, double rmse[4],
                                                    rnnkit_error *err)
{
    rnnkit_status st = check_options(m, opt, err);
    if (st)
        return st;
    if (!(opt->valid_frac > 0))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "choosing the differencing needs a validation part");
    rnnkit_forecaster_options o = *opt;
    o.train.checkpoint_path = NULL;
    o.train.resume = 0;
    o.train.init_path = NULL;
    o.train.progress = NULL;
    const size_t season = m->spec.season;
    double r4[4] = {NAN, NAN, NAN, NAN};
    for (int k = 0; k < 4 && !st; k++) {
        if (k % 2 && season <= 1)
            continue;
        rnnkit_forecast_spec spec = m->spec;
        spec.diff.order = k / 2;
        spec.diff.season = k % 2 ? season : 0;
        rnnkit_model *c = NULL;
        rnnkit_forecast_report r;
        st = rnnkit_model_create(&m->cfg, NULL, NULL, 0, opt->train.seed, &c, err);
        if (!st)
            st = rnnkit_model_set_forecast_spec(c, &spec, err);
        if (!st)
            st = rnnkit_forecaster_train(c, s, &o, NULL, NULL, err);
        if (!st)
            st = rnnkit_forecaster_evaluate(c, s, &r, err);
        rnnkit_model_free(c);
        r4[k] = st ? NAN : r.valid.rmse;
    }
    if (rmse)
        memcpy(rmse, r4, sizeof r4);
    /* The lowest validation RMSE; but within 2 % of it the most differenced
     * candidate: validation rows lie inside the training range, so they
     * cannot show an undifferenced network's failure to extrapolate a
     * level it never saw (monthly sunspots: 13.04 undifferenced against
     * 13.09 differenced on validation, 19.9 against 17.6 on test). */
    double best = INFINITY;
    for (int k = 0; k < 4; k++)
        if (r4[k] < best)
            best = r4[k];
    int pick = -1;
    for (int k = 0; k < 4; k++) {
        const int rank = k / 2 + k % 2, prank = pick < 0 ? -1 : pick / 2 + pick % 2;
        if (r4[k] <= best * 1.02 && (rank > prank || (rank == prank && r4[k] < r4[pick])))
            pick = k;
    }
    rnnkit_forecast_spec chosen = m->spec;
    if (pick >= 0) {
        chosen.diff.order = pick / 2;
        chosen.diff.season = pick % 2 ? season : 0;
    } else if (!st) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NUMERIC, "no differencing gave a finite validation error");
    }
    if (!st)
        m->spec.diff = chosen.diff;
    return st;
}
