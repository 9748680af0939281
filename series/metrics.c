/*
 * series/metrics.c: the errors of a forecast in original units, and the
 * two naive baselines every forecast is judged against (rnnkit/series.h).
 *
 *   RMSE   sqrt(mean (y - f)^2)
 *   MAE    mean |y - f|
 *   sMAPE  mean of 200 |y - f| / (|y| + |f|) percent (0..200); a point with
 *          y = f = 0 counts 0 (no error), the symmetric definition of
 *          Makridakis (1993) as the M3/M4 competitions use it
 *   MASE   MAE / (in-sample MAE of the seasonal naive forecast on the
 *          training rows), Hyndman & Koehler (2006); season 1 = naive
 * Baselines, one step ahead from the true history: persistence y[t-1],
 * seasonal naive y[t-season]; made at an origin for several steps, the
 * value one season before, stepped back by whole seasons into the known
 * rows. Sums are plain left-to-right double sums.
 */
#include <math.h>
#include <stdint.h>

#include "series/series_internal.h"

rnnkit_status rnnkit_mase_scale(const double *y, size_t stride, size_t n_train, size_t season,
                                double *scale, rnnkit_error *err)
{
    if (!y || !scale || stride == 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "MASE scale: no data");
    if (season == 0 || n_train <= season)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "MASE scale: season %zu needs more than %zu training rows "
                                "(%zu given)",
                                season, season, n_train);
    double sum = 0;
    for (size_t t = season; t < n_train; t++)
        sum += fabs(y[t * stride] - y[(t - season) * stride]);
    *scale = sum / (double)(n_train - season);
    return RNNKIT_OK;
}

rnnkit_status rnnkit_forecast_errors_compute(const double *truth, const double *pred, size_t n,
                                             double mase_scale, rnnkit_forecast_errors *out,
                                             rnnkit_error *err)
{
    if (!truth || !pred || !out || n == 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "forecast errors: no points");
    if (!(mase_scale >= 0) || !isfinite(mase_scale))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "forecast errors: MASE scale %g", mase_scale);
    double se = 0, ae = 0, sp = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pred[i]))
            return rnnkit_error_set(err, RNNKIT_ERR_NUMERIC, "prediction %zu is not finite", i);
        if (!isfinite(truth[i]))
            return rnnkit_error_set(err, RNNKIT_ERR_NUMERIC, "true value %zu is not finite", i);
        double e = truth[i] - pred[i], a = fabs(e), den = fabs(truth[i]) + fabs(pred[i]);
        se += e * e;
        ae += a;
        if (den > 0)
            sp += 200.0 * a / den;
    }
    out->n = n;
    out->rmse = sqrt(se / (double)n);
    out->mae = ae / (double)n;
    out->smape = sp / (double)n;
    out->mase = mase_scale > 0 ? out->mae / mase_scale : NAN;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_baseline_forecast(const double *y, size_t stride, size_t n, size_t lag,
                                       const size_t *targets, size_t count, double *out,
                                       rnnkit_error *err)
{
    if (!y || stride == 0 || lag == 0 || (count && (!targets || !out)))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "baseline: no data, or lag 0");
    for (size_t k = 0; k < count; k++) {
        size_t t = targets[k];
        if (t < lag || t >= n)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                    "baseline: target row %zu needs row %zu - %zu of %zu rows",
                                    t, t, lag, n);
        out[k] = y[(t - lag) * stride];
    }
    return RNNKIT_OK;
}

rnnkit_status rnnkit_baseline_forecast_from(const double *y, size_t stride, size_t n,
                                            size_t lag, size_t origin, size_t count,
                                            double *out, rnnkit_error *err)
{
    if (!y || stride == 0 || lag == 0 || (count && !out))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "baseline: no data, or lag 0");
    if (origin < lag || origin > n)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "baseline: origin row %zu needs %zu rows of history (%zu rows)",
                                origin, lag, n);
    for (size_t k = 0; k < count; k++) {
        size_t back = lag * (k / lag + 1); /* lag * ceil((k + 1) / lag) */
        out[k] = y[(origin + k - back) * stride];
    }
    return RNNKIT_OK;
}
