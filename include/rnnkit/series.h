/*
 * rnnkit/series.h: the forecaster's data: time series read from CSV, the
 * transforms a model is trained in (differencing, scaling) with their exact
 * inverses, windows of a series for training, the chronological split, and
 * the error measures with the two baselines every forecast is judged against.
 *
 * Shapes and units (fixed throughout):
 *   n      rows (time steps), oldest first
 *   F      columns of a series; column 0 is always the target, columns
 *          1..F-1 the other features in the order asked for
 *   values row-major doubles [n][F], in the file's own units
 *   stride the distance in doubles between consecutive rows of one column
 *          (F for a series' values, 1 for a plain array)
 * A row index is 0-based; a "line" in a message is the file's 1-based line.
 *
 * Every fallible call returns an rnnkit_status and fills `err` (may be NULL)
 * with one line naming the file, line and column where there is one:
 *   "prices.csv:17: column 'Close': 'n/a' is not a number"
 * Nothing here prints, exits or keeps global state.
 *
 * The pipeline the forecaster runs (see model/forecaster.c):
 *   series  = rnnkit_series_read_csv(...)               original units
 *   diffed  = rnnkit_diff_apply(series)                 n - lost rows
 *   split   = rnnkit_series_split(n, lost, lookback, horizon, ...)
 *   scaler  = rnnkit_scaler_fit(diffed rows [0, split.fit_rows))
 *   scaled  = rnnkit_scaler_apply(diffed)
 *   batches = rnnkit_series_windows(scaled, window starts of a part)
 *   back    = rnnkit_scaler_invert, then rnnkit_diff_invert_true (one step
 *             ahead from the true history) or rnnkit_diff_invert_forecast
 *             (past the end, from the model's own predictions)
 *   judged  = rnnkit_forecast_errors against rnnkit_baseline_forecast
 */
#ifndef RNNKIT_SERIES_H
#define RNNKIT_SERIES_H

#include <stddef.h>

#include "rnnkit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most columns a series (and so a scaler) holds: target + 63 features. */
#define RNNKIT_SERIES_MAX_COLUMNS 64
/* A scaler holds as many columns as a series. */
#define RNNKIT_SCALER_MAX_COLUMNS RNNKIT_SERIES_MAX_COLUMNS

/* ================================================================ series */

typedef struct rnnkit_series rnnkit_series;

/* What to do with a missing cell: empty, or one of the markers NA, N/A,
 * #N/A, NaN, null, none (any case). Without a fill policy each is an error
 * ("'NA' is not a number", "'NaN' is not a finite number"); inf and text
 * are errors under every policy. */
typedef enum rnnkit_fill {
    RNNKIT_FILL_NONE = 0, /* a missing cell is an error */
    RNNKIT_FILL_PREVIOUS, /* the column's last valid value above it */
    RNNKIT_FILL_LINEAR    /* linear in the row index between the valid values
                           * above and below; a gap at the end keeps the last
                           * valid value */
} rnnkit_fill;

/* "none", "previous", "linear"; "unknown" for anything else. */
const char *rnnkit_fill_name(rnnkit_fill f);
/* The fill policy named `name` (as above), or -1 for NULL or another name. */
int rnnkit_fill_from_name(const char *name);

/*
 * How to read a CSV file. The first row is always the header (column
 * names); a column is chosen by its name (exact bytes after libcsv's
 * trimming of spaces around unquoted fields), or, when the string is a
 * decimal number that no header name equals, by its 1-based position.
 */
typedef struct rnnkit_csv_options {
    const char *target;          /* the column to forecast; NULL: the first
                                  * column that is not the date column */
    const char *const *features; /* num_features more input columns, in order
                                  * (never the target; no duplicates); NULL
                                  * when num_features is 0 */
    size_t num_features;         /* at most RNNKIT_SERIES_MAX_COLUMNS - 1 */
    const char *date;            /* the label column, kept as opaque text;
                                  * NULL: the first column when its name is
                                  * date, datetime, time, timestamp, month,
                                  * day, year, week, quarter or period (any
                                  * case) or starts with "date" or "time",
                                  * and it is not the target or a feature;
                                  * "": none (rows are labelled by number) */
    rnnkit_fill fill;            /* missing cells: RNNKIT_FILL_NONE = error */
} rnnkit_csv_options;

/* {target NULL, no features, date NULL (auto), fill NONE}. */
rnnkit_csv_options rnnkit_csv_options_default(void);

/*
 * Reads the CSV file at `path` (libcsv, streamed: memory is the kept
 * columns only, arrays grow geometrically; 10^7 rows are fine). Accepted:
 * a UTF-8 BOM, LF or CRLF line ends, quoted fields ("" for a quote, line
 * ends inside quotes), no final newline, blank lines anywhere (skipped).
 * Numbers are decimal ([+-]digits[.digits][e[+-]digits], spaces around
 * allowed), read in the C locale's syntax whatever the current locale.
 * Only the kept columns are parsed; the others may hold anything.
 *
 * Errors (status, then the message's shape):
 *   RNNKIT_ERR_IO      "path: No such file or directory" (open/read failure)
 *   RNNKIT_ERR_EMPTY   "path: empty file", "path: a header and no data rows"
 *   RNNKIT_ERR_ARG     "path: no column 'X'; the columns are: Date, Open, ..."
 *                      (also: a column chosen twice, too many features, a
 *                      name that occurs twice in the header)
 *   RNNKIT_ERR_FORMAT  "path:17: column 'Close': 'n/a' is not a number",
 *                      "... missing value" (fill NONE), "... 'inf' is not a
 *                      finite number", "path:9: 3 fields, the header has 2
 *                      (row 8)", "path:4: malformed CSV (...)", a missing
 *                      value before the column's first valid one even with
 *                      a fill policy, a NUL byte in a name or label
 *   RNNKIT_ERR_UTF8    a header name or date label that is not UTF-8
 *   RNNKIT_ERR_NOMEM
 * On success *out is a new series (free with rnnkit_series_free); on
 * failure *out is NULL. `o` NULL means rnnkit_csv_options_default().
 */
rnnkit_status rnnkit_series_read_csv(const char *path, const rnnkit_csv_options *o,
                                     rnnkit_series **out, rnnkit_error *err);

/*
 * A series from arrays (copied): values row-major [n][ncols] (column 0 the
 * target), every value finite; names: ncols column names or NULL ("y",
 * "x1", "x2", ...); labels: n row labels or NULL (none). n >= 1,
 * 1 <= ncols <= RNNKIT_SERIES_MAX_COLUMNS. Errors: RNNKIT_ERR_ARG (a bad
 * size, a non-finite value, a NULL name), RNNKIT_ERR_NOMEM.
 */
rnnkit_status rnnkit_series_from_values(const double *values, size_t n, size_t ncols,
                                        const char *const *names,
                                        const char *const *labels, rnnkit_series **out,
                                        rnnkit_error *err);

/* Releases s and every string it handed out; NULL is a no-op. */
void rnnkit_series_free(rnnkit_series *s);

/* Rows n (>= 1). */
size_t rnnkit_series_length(const rnnkit_series *s);
/* Columns F (1..RNNKIT_SERIES_MAX_COLUMNS); column 0 is the target. */
size_t rnnkit_series_num_columns(const rnnkit_series *s);
/* Name of column j < F (header text), NULL out of range. Owned by s. */
const char *rnnkit_series_column_name(const rnnkit_series *s, size_t j);
/* The values, row-major [n][F], original units. Owned by s, read-only. */
const double *rnnkit_series_values(const rnnkit_series *s);
/* The date label of row i (the date column's text, as written), or NULL
 * when the series has no date column or i >= n. Owned by s. */
const char *rnnkit_series_label(const rnnkit_series *s, size_t i);
/* Name of the date column, or NULL when there is none. Owned by s. */
const char *rnnkit_series_date_column(const rnnkit_series *s);
/* The file path the series was read from, or "values". Owned by s. */
const char *rnnkit_series_source(const rnnkit_series *s);
/* Cells repaired by the fill policy (0 with RNNKIT_FILL_NONE). */
size_t rnnkit_series_filled(const rnnkit_series *s);

/* A guess of the seasonal period of s's target for `--season auto`
 * (series/season.c): among 4, 7, 12, 24, 52 and 365, the lag at which the
 * autocorrelation of the target's first differences over the first 67 %
 * of the rows is highest, when above 0.2 and above the lags either side;
 * 1 (no season) otherwise or for
 * fewer than 8 rows (or out of memory). */
size_t rnnkit_series_guess_season(const rnnkit_series *s);

/* ======================================================== differencing */

/*
 * Differencing of order 0 or 1 at lag 1, then optionally seasonal at lag
 * `season`: the operator (1 - B)^order (1 - B^season) (B the backshift), so
 *   order 1:            y'[t] = y[t] - y[t-1]
 *   season s:           y'[t] = y[t] - y[t-s]
 *   order 1, season s:  y'[t] = y[t] - y[t-1] - y[t-s] + y[t-s-1]
 * The first `lost` = order + season rows have no difference and are
 * dropped: differenced row r is original row r + lost.
 */
typedef struct rnnkit_diff {
    int order;     /* 0 or 1 */
    size_t season; /* 0 (none) or the seasonal lag, 1..100000 */
} rnnkit_diff;

/* Rows lost at the start: order + season. d NULL: 0. */
size_t rnnkit_diff_lost(const rnnkit_diff *d);

/*
 * Differences every column of x [n][ncols] into out [n - lost][ncols]
 * (caller-allocated; must not overlap x). Errors: RNNKIT_ERR_ARG (order not
 * 0/1, season too large, ncols 0), RNNKIT_ERR_EMPTY (n <= lost: "n rows,
 * differencing needs more than lost").
 */
rnnkit_status rnnkit_diff_apply(const rnnkit_diff *d, const double *x, size_t n, size_t ncols,
                                double *out, rnnkit_error *err);

/*
 * One step ahead from the true history: the original-unit values at rows
 * t0 .. t0+count-1 whose differences are dhat[0..count), every earlier
 * value taken from y (one column, y[t*stride] the value at row t, rows
 * [0, t0+count-1) present). out[k] = dhat[k] - (the operator's terms that
 * look back). Requires t0 >= lost. out may alias dhat.
 * Errors: RNNKIT_ERR_ARG.
 */
rnnkit_status rnnkit_diff_invert_true(const rnnkit_diff *d, const double *y, size_t stride,
                                      size_t t0, const double *dhat, size_t count,
                                      double *out, rnnkit_error *err);

/*
 * Past the end, from predictions: rows n .. n+count-1, where y holds rows
 * [0, n) (stride as above) and every value past row n-1 is the forecast
 * itself. With n = lost and dhat = the whole differenced column this
 * rebuilds the original column. Requires n >= lost. out must not alias y;
 * it may alias dhat. Errors: RNNKIT_ERR_ARG.
 */
rnnkit_status rnnkit_diff_invert_forecast(const rnnkit_diff *d, const double *y, size_t stride,
                                          size_t n, const double *dhat, size_t count,
                                          double *out, rnnkit_error *err);

/* ============================================================= scaling */

typedef enum rnnkit_scale_kind {
    RNNKIT_SCALE_NONE = 0, /* offset 0, scale 1 */
    RNNKIT_SCALE_MINMAX,   /* to [0, 1] on the fitted rows (the Keras
                            * examples' MinMaxScaler): offset min, scale
                            * max - min */
    RNNKIT_SCALE_STANDARD  /* mean 0, sd 1 on the fitted rows: offset the
                            * mean, scale the population sd (divisor n) */
} rnnkit_scale_kind;

/* "none", "minmax", "standard"; "unknown" otherwise. */
const char *rnnkit_scale_kind_name(rnnkit_scale_kind k);
/* The kind named `name`, or -1 for NULL or another name. */
int rnnkit_scale_kind_from_name(const char *name);

/*
 * A fitted per-column affine map z = (x - offset[j]) / scale[j], a plain
 * value (no pointers) so a model file can store its doubles. A constant
 * column (max == min on the fitted rows) gets scale 1: it maps to 0 under
 * both kinds (minmax: to 0, not into the middle of [0, 1]).
 */
typedef struct rnnkit_scaler {
    rnnkit_scale_kind kind;
    size_t ncols;                              /* columns fitted, 1..64 */
    double offset[RNNKIT_SERIES_MAX_COLUMNS];  /* original units */
    double scale[RNNKIT_SERIES_MAX_COLUMNS];   /* > 0, original units per unit */
} rnnkit_scaler;

/*
 * Fits sc to the first n_train rows of x [n][ncols] (the training part
 * only: nothing of the validation or test rows leaks into the scaling).
 * Errors: RNNKIT_ERR_ARG (n_train 0, ncols 0 or > 64, an unknown kind, a
 * non-finite value); sc is then set to kind NONE for ncols columns (or 0).
 */
rnnkit_status rnnkit_scaler_fit(rnnkit_scaler *sc, rnnkit_scale_kind kind, const double *x,
                                size_t n_train, size_t ncols, rnnkit_error *err);

/* out[i][j] = (x[i][j] - offset[j]) / scale[j] for n rows of ncols ==
 * sc->ncols columns; out may be x. Errors: RNNKIT_ERR_ARG (ncols differs). */
rnnkit_status rnnkit_scaler_apply(const rnnkit_scaler *sc, const double *x, size_t n,
                                  size_t ncols, double *out, rnnkit_error *err);

/* out[i] = z[i] * scale[col] + offset[col] for n values of one column (the
 * target is column 0); out may be z. Errors: RNNKIT_ERR_ARG (col >= ncols). */
rnnkit_status rnnkit_scaler_invert(const rnnkit_scaler *sc, size_t col, const double *z,
                                   size_t n, double *out, rnnkit_error *err);

/* ===================================================== windows, split */

/*
 * Window i of a series of n rows: inputs rows [i, i+lookback) (all F
 * columns), targets column 0 at rows [i+lookback, i+lookback+horizon).
 * There are n - lookback - horizon + 1 windows (0 when n is smaller).
 *
 * Fills, for the B windows starting at starts[0..B):
 *   xout [lookback][B][F]  time-major: xout[(t*B + b)*F + j] = x[starts[b]+t][j]
 *   yout [B][horizon]      yout[b*horizon + h] = x[starts[b]+lookback+h][0]
 * from x [n][F] (converted to float). yout NULL: inputs only (forecasting
 * past the end), so a start only needs start + lookback <= n.
 * Errors: RNNKIT_ERR_ARG (a window that does not fit, a zero size).
 */
rnnkit_status rnnkit_series_windows(const double *x, size_t n, size_t F, size_t lookback,
                                    size_t horizon, const size_t *starts, size_t B,
                                    float *xout, float *yout, rnnkit_error *err);

/* The parts of a chronological split, as window start ranges [begin, end)
 * in the transformed (differenced) series. */
typedef struct rnnkit_split {
    size_t train_begin, train_end; /* train windows: all targets before the
                                    * validation rows */
    size_t valid_begin, valid_end; /* empty when valid_frac is 0 */
    size_t test_begin, test_end;   /* windows whose first target is a test row */
    size_t fit_rows;               /* fit the scaler on transformed rows
                                    * [0, fit_rows): the rows train windows touch */
    size_t test_first_row;         /* first test row, ORIGINAL series index */
    size_t valid_first_row;        /* first validation row, original index */
} rnnkit_split;

/* How to split. */
typedef struct rnnkit_split_options {
    size_t lookback;   /* input rows per window, >= 1 */
    size_t horizon;    /* target rows per window, >= 1 */
    size_t lost;       /* rows lost to differencing (rnnkit_diff_lost) */
    double test_frac;  /* the last ceil(n * test_frac) original rows are the
                        * test rows; 0 < test_frac < 1 */
    double valid_frac; /* of the target rows before the test rows, the last
                        * ceil(valid_frac * that) are validation rows; 0 <=
                        * valid_frac < 1 */
} rnnkit_split_options;

/* {lookback 12, horizon 1, lost 0, test_frac 0.33, valid_frac 0.1}. */
rnnkit_split_options rnnkit_split_options_default(void);

/*
 * Splits a series of n ORIGINAL rows. Test rows are the last
 * ceil(n * test_frac) original rows, whatever the differencing and
 * lookback (so that every configuration is judged on the same points);
 * test windows are those whose first target is a test row (their inputs
 * are the true history: one step ahead). Validation rows are taken just
 * before them, train windows are the windows whose targets all lie before
 * the validation rows (no target of one part is a target of another).
 * `name` (may be NULL) starts the message. Errors: RNNKIT_ERR_ARG (a
 * fraction out of range, lookback or horizon 0 or above 2^30),
 * RNNKIT_ERR_EMPTY when a part would be empty:
 *   "airline.csv: 12 rows; lookback 12 + horizon 1 and a test part need at least 21"
 */
rnnkit_status rnnkit_series_split(size_t n, const rnnkit_split_options *o, const char *name,
                                  rnnkit_split *out, rnnkit_error *err);

/* ====================================================== errors, baselines */

/* The errors of a forecast, in the series' original units. */
typedef struct rnnkit_forecast_errors {
    size_t n;     /* points compared */
    double rmse;  /* sqrt(mean((y - yhat)^2)) */
    double mae;   /* mean |y - yhat| */
    double smape; /* percent, 0..200: mean of 200 |y - yhat| / (|y| + |yhat|),
                   * a point with y = yhat = 0 counting 0 */
    double mase;  /* mae / mase_scale; NaN when mase_scale is 0 (a training
                   * part the naive forecast predicts perfectly) */
} rnnkit_forecast_errors;

/*
 * The MASE denominator: the in-sample mean absolute error of the seasonal
 * naive forecast y[t-season] over the training rows t in [season, n_train)
 * (season 1: the naive forecast y[t-1]). y one column with `stride`.
 * Errors: RNNKIT_ERR_ARG (season 0, n_train <= season).
 */
rnnkit_status rnnkit_mase_scale(const double *y, size_t stride, size_t n_train, size_t season,
                                double *scale, rnnkit_error *err);

/*
 * RMSE, MAE, sMAPE and MASE of pred[0..n) against truth[0..n) (plain
 * arrays, n >= 1, all finite). Errors: RNNKIT_ERR_ARG (n 0, a NULL array,
 * mase_scale negative or not finite), RNNKIT_ERR_NUMERIC (a non-finite
 * prediction or truth: "prediction 17 is not finite").
 */
rnnkit_status rnnkit_forecast_errors_compute(const double *truth, const double *pred, size_t n,
                                             double mase_scale, rnnkit_forecast_errors *out,
                                             rnnkit_error *err);

/*
 * Baseline forecasts one step ahead from the true history, for the rows
 * targets[0..count): out[k] = y[(targets[k] - lag) * stride] (lag 1:
 * persistence; lag = season: seasonal naive). y holds n rows.
 * Errors: RNNKIT_ERR_ARG (lag 0, a target < lag or >= n).
 */
rnnkit_status rnnkit_baseline_forecast(const double *y, size_t stride, size_t n, size_t lag,
                                       const size_t *targets, size_t count, double *out,
                                       rnnkit_error *err);

/*
 * Baseline forecasts of rows origin .. origin+count-1 made at `origin`,
 * knowing rows [0, origin) only (multi-step): out[k] = the value `lag`
 * rows before, stepping back by whole seasons until a known row:
 * y[origin + k - lag * ceil((k + 1) / lag)]. Errors: RNNKIT_ERR_ARG (lag 0,
 * origin < lag, origin > n).
 */
rnnkit_status rnnkit_baseline_forecast_from(const double *y, size_t stride, size_t n,
                                            size_t lag, size_t origin, size_t count,
                                            double *out, rnnkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
