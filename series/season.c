/*
 * series/season.c: a guess of a series' seasonal period from its own
 * values, for `--season auto`. Candidates are the periods of the common
 * calendars (4 quarters, 7 days, 12 months, 24 hours, 52 weeks, 365 days);
 * the guess is the candidate at which the autocorrelation of the target's
 * first differences is highest, over the rows before the default test part
 * only (no test value is looked at), when it is clearly positive (> 0.2)
 * and a peak (above the lags either side); else 1 (no season). Differencing first removes a trend, which would otherwise
 * make every lag look alike.
 */
#include <math.h>
#include <stdlib.h>

#include "rnnkit/series.h"

/* The autocorrelation of d[0..n) at lag k (d has mean 0 removed inside). */
static double autocorr(const double *d, size_t n, size_t k)
{
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += d[i];
    mean /= (double)n;
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        den += (d[i] - mean) * (d[i] - mean);
        if (i >= k)
            num += (d[i] - mean) * (d[i - k] - mean);
    }
    return den > 0 ? num / den : 0.0;
}

size_t rnnkit_series_guess_season(const rnnkit_series *s)
{
    static const size_t candidates[] = {4, 7, 12, 24, 52, 365};
    const size_t n = rnnkit_series_length(s), F = rnnkit_series_num_columns(s);
    const size_t rows = (size_t)((double)n * (1.0 - 0.33)); /* before the default test part */
    const double *v = rnnkit_series_values(s);
    if (rows < 8)
        return 1;
    double *d = malloc((rows - 1) * sizeof *d);
    if (!d)
        return 1;
    for (size_t i = 1; i < rows; i++)
        d[i - 1] = v[i * F] - v[(i - 1) * F];
    size_t best = 1;
    double best_r = 0.2; /* below this, no season worth differencing */
    for (size_t c = 0; c < sizeof candidates / sizeof candidates[0]; c++) {
        const size_t k = candidates[c];
        if (3 * k > rows - 1) /* at least three periods to see one */
            break;
        const double r = autocorr(d, rows - 1, k);
        /* a season shows as a peak: above its neighbouring lags (a smooth
         * series correlates at every short lag) */
        if (r > best_r && r > autocorr(d, rows - 1, k - 1) && r > autocorr(d, rows - 1, k + 1)) {
            best_r = r;
            best = k;
        }
    }
    free(d);
    return best;
}
