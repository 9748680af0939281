/*
 * series/diff.c: differencing, (1 - B)^order (1 - B^season), and its two
 * inverses (rnnkit/series.h).
 *
 * The operator is kept as at most four terms (lag, coefficient), lag 0
 * first with coefficient 1:
 *   order 1            {0:+1, 1:-1}
 *   season s           {0:+1, s:-1}
 *   order 1, season s  {0:+1, 1:-1, s:-1, s+1:+1}   (s = 1 merges to
 *                      {0:+1, 1:-2, 2:+1})
 * Differencing sums the terms in that order; inverting solves the same sum
 * for the lag-0 value: y[t] = d[t] - sum over lags > 0 of c * y[t - lag].
 * With one look-back term (order 1 alone, or a season alone) a value is
 * rebuilt as y[t-lag] + d[t], which gives y[t] back exactly whenever
 * y[t] - y[t-lag] was exact (integers below 2^53, for instance).
 */
#include <stdint.h>

#include "series/series_internal.h"

#define MAX_SEASON 100000

typedef struct terms {
    size_t n;
    size_t lag[4];
    double c[4];
} terms;

static rnnkit_status check(const rnnkit_diff *d, rnnkit_error *err)
{
    if (!d)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "differencing: no settings (NULL)");
    if (d->order != 0 && d->order != 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "differencing order %d: 0 or 1", d->order);
    if (d->season > MAX_SEASON)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "seasonal lag %zu: at most %d", d->season,
                                MAX_SEASON);
    return RNNKIT_OK;
}

/* Multiplies t by (1 - B^lag), merging equal lags. */
static void times_one_minus(terms *t, size_t lag)
{
    terms r = *t;
    for (size_t k = 0; k < t->n; k++) {
        size_t l = t->lag[k] + lag;
        size_t m = 0;
        while (m < r.n && r.lag[m] != l)
            m++;
        if (m == r.n) {
            r.lag[m] = l;
            r.c[m] = 0;
            r.n++;
        }
        r.c[m] -= t->c[k];
    }
    *t = r;
}

static terms make_terms(const rnnkit_diff *d)
{
    terms t = {.n = 1, .lag = {0}, .c = {1}};
    if (d->order)
        times_one_minus(&t, 1);
    if (d->season)
        times_one_minus(&t, d->season);
    return t;
}

size_t rnnkit_diff_lost(const rnnkit_diff *d)
{
    return d && (d->order == 0 || d->order == 1) ? (size_t)d->order + d->season : 0;
}

rnnkit_status rnnkit_diff_apply(const rnnkit_diff *d, const double *x, size_t n, size_t ncols,
                                double *out, rnnkit_error *err)
{
    rnnkit_status st = check(d, err);
    if (st != RNNKIT_OK)
        return st;
    if (!x || !out || ncols == 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "differencing: no data");
    size_t lost = rnnkit_diff_lost(d);
    if (n <= lost)
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY,
                                "%zu rows: differencing (order %d, season %zu) needs more than %zu",
                                n, d->order, d->season, lost);
    terms t = make_terms(d);
    for (size_t r = 0; r < n - lost; r++)
        for (size_t j = 0; j < ncols; j++) {
            size_t row = r + lost;
            double acc = x[row * ncols + j];
            for (size_t k = 1; k < t.n; k++)
                acc += t.c[k] * x[(row - t.lag[k]) * ncols + j];
            out[r * ncols + j] = acc;
        }
    return RNNKIT_OK;
}

/* The value at row `row` whose difference is dv, given the look-back
 * values: y(row - lag) = row - lag < n ? y[...] : prev[row - lag - n]. */
static double solve(const terms *t, const double *y, size_t stride, size_t n, const double *prev,
                    size_t row, double dv)
{
    double look = 0;
    for (size_t k = 1; k < t->n; k++) {
        size_t r = row - t->lag[k];
        double v = r < n ? y[r * stride] : prev[r - n];
        if (t->n == 2)
            return v + dv; /* one look-back term, coefficient -1 */
        look -= t->c[k] * v;
    }
    return dv + look;
}

/* The arguments both inverses share; *lost the rows differencing drops. */
static rnnkit_status check_inverse(const rnnkit_diff *d, const double *y, size_t stride, const double *dhat,
                                   size_t count, const double *out, size_t *lost, rnnkit_error *err)
{
    rnnkit_status st = check(d, err);
    if (st != RNNKIT_OK)
        return st;
    *lost = rnnkit_diff_lost(d);
    if ((!y && *lost) || (count && (!dhat || !out)) || stride == 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "inverse differencing: no data");
    return RNNKIT_OK;
}

rnnkit_status rnnkit_diff_invert_true(const rnnkit_diff *d, const double *y, size_t stride,
                                      size_t t0, const double *dhat, size_t count,
                                      double *out, rnnkit_error *err)
{
    size_t lost;
    rnnkit_status st = check_inverse(d, y, stride, dhat, count, out, &lost, err);
    if (st != RNNKIT_OK)
        return st;
    if (t0 < lost)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "inverse differencing from row %zu: the first is row %zu", t0,
                                lost);
    terms t = make_terms(d);
    for (size_t k = 0; k < count; k++)
        out[k] = t.n == 1 ? dhat[k] : solve(&t, y, stride, SIZE_MAX, NULL, t0 + k, dhat[k]);
    return RNNKIT_OK;
}

rnnkit_status rnnkit_diff_invert_forecast(const rnnkit_diff *d, const double *y, size_t stride,
                                          size_t n, const double *dhat, size_t count,
                                          double *out, rnnkit_error *err)
{
    size_t lost;
    rnnkit_status st = check_inverse(d, y, stride, dhat, count, out, &lost, err);
    if (st != RNNKIT_OK)
        return st;
    if (n < lost)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "inverse differencing past row %zu: needs %zu rows of history",
                                n, lost);
    terms t = make_terms(d);
    for (size_t k = 0; k < count; k++)
        out[k] = t.n == 1 ? dhat[k] : solve(&t, y, stride, n, out, n + k, dhat[k]);
    return RNNKIT_OK;
}
