/*
 * series/scaler.c: per-column scaling fitted on the training rows only
 * (rnnkit/series.h, rnnkit_scaler): z = (x - offset) / scale.
 *
 *   none      offset 0, scale 1
 *   minmax    offset min, scale max - min: the fitted rows map onto [0, 1]
 *             (later rows may fall outside it)
 *   standard  offset mean, scale the population standard deviation
 *             (two passes: mean, then the centred sum of squares)
 * A constant column (max == min over the fitted rows) gets scale 1, so it
 * maps to 0 and its inverse is exact; no division by zero anywhere.
 * Invariant of a fitted scaler: 1 <= ncols <= 64, every scale > 0 and
 * finite, every offset finite.
 */
#include <math.h>
#include <string.h>

#include "series/series_internal.h"

const char *rnnkit_scale_kind_name(rnnkit_scale_kind k)
{
    switch (k) {
    case RNNKIT_SCALE_NONE: return "none";
    case RNNKIT_SCALE_MINMAX: return "minmax";
    case RNNKIT_SCALE_STANDARD: return "standard";
    }
    return "unknown";
}

int rnnkit_scale_kind_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int k = RNNKIT_SCALE_NONE; k <= RNNKIT_SCALE_STANDARD; k++)
        if (!strcmp(name, rnnkit_scale_kind_name((rnnkit_scale_kind)k)))
            return k;
    return -1;
}

/* Fits column j of x [n][ncols]; 0 when a value is not finite. */
static int fit_column(rnnkit_scaler *sc, const double *x, size_t n, size_t ncols, size_t j)
{
    double lo = x[j], hi = x[j], sum = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * ncols + j];
        if (!isfinite(v))
            return 0;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        sum += v;
    }
    sc->offset[j] = 0;
    sc->scale[j] = 1;
    if (sc->kind == RNNKIT_SCALE_MINMAX) {
        sc->offset[j] = lo;
        if (hi > lo && isfinite(hi - lo))
            sc->scale[j] = hi - lo;
    } else if (sc->kind == RNNKIT_SCALE_STANDARD) {
        double mean = sum / (double)n, ss = 0;
        if (!isfinite(mean)) { /* the sum overflowed: a running mean instead */
            mean = 0;
            for (size_t i = 0; i < n; i++)
                mean += (x[i * ncols + j] - mean) / (double)(i + 1);
        }
        sc->offset[j] = hi > lo ? mean : lo;
        for (size_t i = 0; hi > lo && i < n; i++) {
            double dv = x[i * ncols + j] - mean;
            ss += dv * dv;
        }
        double sd = sqrt(ss / (double)n);
        if (hi > lo && sd > 0 && isfinite(sd))
            sc->scale[j] = sd;
    }
    return 1;
}

rnnkit_status rnnkit_scaler_fit(rnnkit_scaler *sc, rnnkit_scale_kind kind, const double *x,
                                size_t n_train, size_t ncols, rnnkit_error *err)
{
    if (!sc)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "scaler: NULL");
    memset(sc, 0, sizeof *sc);
    sc->kind = RNNKIT_SCALE_NONE;
    size_t nc = ncols <= RNNKIT_SCALER_MAX_COLUMNS ? ncols : 0;
    sc->ncols = nc;
    for (size_t j = 0; j < nc; j++)
        sc->scale[j] = 1;
    if (kind != RNNKIT_SCALE_NONE && kind != RNNKIT_SCALE_MINMAX &&
        kind != RNNKIT_SCALE_STANDARD)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "scaler: unknown kind %d", (int)kind);
    if (!x || n_train == 0 || nc == 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "scaler: fitting needs rows and 1 to %d columns (%zu rows, %zu "
                                "columns)",
                                RNNKIT_SCALER_MAX_COLUMNS, n_train, ncols);
    sc->kind = kind;
    for (size_t j = 0; j < nc; j++)
        if (!fit_column(sc, x, n_train, nc, j)) {
            rnnkit_error_set(err, RNNKIT_ERR_ARG, "scaler: column %zu holds a value that is not "
                             "finite", j);
            memset(sc, 0, sizeof *sc);
            sc->ncols = nc;
            for (size_t m = 0; m < nc; m++)
                sc->scale[m] = 1;
            return RNNKIT_ERR_ARG;
        }
    return RNNKIT_OK;
}

rnnkit_status rnnkit_scaler_apply(const rnnkit_scaler *sc, const double *x, size_t n,
                                  size_t ncols, double *out, rnnkit_error *err)
{
    if (!sc || (n && (!x || !out)))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "scaler: no data");
    if (ncols != sc->ncols || ncols == 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "scaler fitted on %zu columns, applied to %zu",
                                sc->ncols, ncols);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ncols; j++)
            out[i * ncols + j] = (x[i * ncols + j] - sc->offset[j]) / sc->scale[j];
    return RNNKIT_OK;
}

rnnkit_status rnnkit_scaler_invert(const rnnkit_scaler *sc, size_t col, const double *z,
                                   size_t n, double *out, rnnkit_error *err)
{
    if (!sc || (n && (!z || !out)))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "scaler: no data");
    if (col >= sc->ncols)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "scaler: column %zu of %zu", col,
                                sc->ncols);
    for (size_t i = 0; i < n; i++)
        out[i] = z[i] * sc->scale[col] + sc->offset[col];
    return RNNKIT_OK;
}
