/*
 * series/window.c: windows of a transformed series for training, and the
 * chronological train / validation / test split (rnnkit/series.h).
 *
 * Window i: inputs rows [i, i+lookback) x all F columns, targets column 0
 * at rows [i+lookback, i+lookback+horizon). Batches are written
 * time-major, x[lookback][B][F], as the recurrent layers read them.
 *
 * The split, for n original rows of which the first `lost` are dropped by
 * differencing (transformed row r = original row r + lost):
 *   test rows       original [n - ceil(n * test_frac), n)
 *   validation rows the last ceil(valid_frac * m) of the m target rows
 *                   before them (target rows start at lost + lookback)
 *   train windows   every target before the validation rows
 *   valid windows   first target a validation row, every target before
 *                   the test rows
 *   test windows    first target a test row (to the end of the series)
 * So no row is the target of two parts, and the test points are the same
 * whatever the lookback and differencing. The scaler is fitted on the rows
 * the train windows touch: transformed [0, fit_rows).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "series/series_internal.h"

#define MAX_WINDOW ((size_t)1 << 30)

rnnkit_status rnnkit_series_windows(const double *x, size_t n, size_t F, size_t lookback,
                                    size_t horizon, const size_t *starts, size_t B,
                                    float *xout, float *yout, rnnkit_error *err)
{
    if (!x || !starts || !xout || F == 0 || lookback == 0 || horizon == 0 || B == 0 ||
        lookback > MAX_WINDOW || horizon > MAX_WINDOW)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "windows: need data, F, lookback, horizon and B >= 1 "
                                "(F %zu, lookback %zu, horizon %zu, B %zu)",
                                F, lookback, horizon, B);
    size_t need = lookback + (yout ? horizon : 0);
    for (size_t b = 0; b < B; b++)
        if (starts[b] > n || n - starts[b] < need)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                    "window %zu starts at row %zu: %zu rows do not hold "
                                    "lookback %zu%s",
                                    b, starts[b], n, lookback,
                                    yout ? " + horizon" : "");
    for (size_t t = 0; t < lookback; t++)
        for (size_t b = 0; b < B; b++) {
            const double *src = x + (starts[b] + t) * F;
            float *dst = xout + (t * B + b) * F;
            for (size_t j = 0; j < F; j++)
                dst[j] = (float)src[j];
        }
    for (size_t b = 0; yout && b < B; b++)
        for (size_t h = 0; h < horizon; h++)
            yout[b * horizon + h] = (float)x[(starts[b] + lookback + h) * F];
    return RNNKIT_OK;
}

rnnkit_split_options rnnkit_split_options_default(void)
{
    rnnkit_split_options o = {.lookback = 12, .horizon = 1, .lost = 0, .test_frac = 0.33,
                              .valid_frac = 0.1};
    return o;
}

/* ceil(f * m) for 0 <= f < 1, robust to f * m landing a hair above an
 * integer (0.33 * 300 = 99.00000000000001 is 99 rows, not 100). */
static size_t frac_ceil(double f, size_t m)
{
    double v = f * (double)m;
    double r = nearbyint(v);
    if (fabs(v - r) <= 1e-9 * (v > 1 ? v : 1))
        return (size_t)r;
    return (size_t)ceil(v);
}

/* The split of n rows, or 0 when a part would be empty. */
static int split_rows(size_t n, const rnnkit_split_options *o, rnnkit_split *s)
{
    size_t L = o->lookback, H = o->horizon, lost = o->lost;
    size_t ntest = frac_ceil(o->test_frac, n);
    if (ntest < H || ntest >= n)
        return 0;
    size_t test_row = n - ntest;             /* original index */
    if (test_row < lost + L + H)             /* room for a train window */
        return 0;
    size_t m = test_row - (lost + L);        /* target rows before the test */
    size_t nvalid = o->valid_frac > 0 ? frac_ceil(o->valid_frac, m) : 0;
    if (o->valid_frac > 0 && nvalid < H)
        nvalid = H;                          /* a valid window needs H rows */
    if (nvalid >= m || m - nvalid < H)
        return 0;
    size_t valid_row = test_row - nvalid;    /* original index */
    size_t tr = test_row - lost, vr = valid_row - lost, nt = n - lost; /* transformed */
    s->train_begin = 0;
    s->train_end = vr - L - H + 1;
    s->valid_begin = vr - L;
    s->valid_end = nvalid ? tr - L - H + 1 : vr - L;
    s->test_begin = tr - L;
    s->test_end = nt - L - H + 1;
    s->fit_rows = vr;
    s->test_first_row = test_row;
    s->valid_first_row = valid_row;
    return 1;
}

rnnkit_status rnnkit_series_split(size_t n, const rnnkit_split_options *o, const char *name,
                                  rnnkit_split *out, rnnkit_error *err)
{
    rnnkit_split_options def = rnnkit_split_options_default();
    if (!o)
        o = &def;
    if (!out)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "split: out is NULL");
    if (!name)
        name = "series";
    if (o->lookback == 0 || o->horizon == 0 || o->lookback > MAX_WINDOW ||
        o->horizon > MAX_WINDOW || o->lost > MAX_WINDOW)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: lookback %zu, horizon %zu: each from 1 to 2^30", name,
                                o->lookback, o->horizon);
    if (!(o->test_frac > 0 && o->test_frac < 1) || !(o->valid_frac >= 0 && o->valid_frac < 1))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: test fraction %g must lie in (0, 1), validation fraction "
                                "%g in [0, 1)",
                                name, o->test_frac, o->valid_frac);
    if (split_rows(n, o, out))
        return RNNKIT_OK;
    /* Too few rows: find the least n that works (split_rows is cheap; the
     * answer is within a few multiples of lookback + horizon + lost). */
    size_t base = o->lookback + o->horizon + o->lost, least = 0;
    for (size_t m = base + 1; m <= 64 * base + 4096; m++) {
        rnnkit_split tmp;
        if (split_rows(m, o, &tmp)) {
            least = m;
            break;
        }
    }
    char lost[64] = "";
    if (o->lost)
        snprintf(lost, sizeof lost, " + %zu rows lost to differencing", o->lost);
    const char *parts = o->valid_frac > 0 ? "a validation and a test part" : "a test part";
    if (least > n)
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY,
                                "%s: %zu rows; lookback %zu + horizon %zu%s and %s need at "
                                "least %zu",
                                name, n, o->lookback, o->horizon, lost, parts, least);
    return rnnkit_error_set(err, RNNKIT_ERR_EMPTY,
                            "%s: %zu rows do not split into lookback %zu + horizon %zu%s and "
                            "%s (test fraction %g, validation fraction %g)",
                            name, n, o->lookback, o->horizon, lost, parts, o->test_frac,
                            o->valid_frac);
}
