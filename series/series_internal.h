/*
 * series/series_internal.h: what the files of series/ share, not public API.
 *
 *   series.c     the series struct: building it row by row, from arrays,
 *                accessors (rnnkit/series.h)
 *   csv.c        reading a CSV file through libcsv into a series
 *   columns.c    choosing the CSV columns (target, features, date) by name
 *                or position from the header
 *   cell.c       one CSV cell: number syntax, missing-value markers, quoting
 *                a cell for a message
 *   fill.c       repairing gaps (previous, linear) after reading
 *   diff.c       differencing and its two inverses
 *   scaler.c     minmax / standard scaling
 *   window.c     windows of a series and the chronological split
 *   metrics.c    RMSE, MAE, sMAPE, MASE and the naive baselines
 *
 * Invariants of a series under construction: values has room for cap rows
 * of ncols doubles, n <= cap; labels (when the series has a date column)
 * hold n NUL-terminated strings at label_off[0..n) in one arena.
 */
#ifndef RNNKIT_SERIES_INTERNAL_H
#define RNNKIT_SERIES_INTERNAL_H

#include <stddef.h>

#include "rnnkit/series.h"

struct rnnkit_series {
    size_t n;          /* rows */
    size_t ncols;      /* columns, 1..RNNKIT_SERIES_MAX_COLUMNS */
    size_t cap;        /* rows values has room for */
    double *values;    /* [cap][ncols], rows [0, n) in use */
    char *names[RNNKIT_SERIES_MAX_COLUMNS]; /* ncols malloc'd names */
    int has_labels;    /* nonzero: every row has a label */
    char *labels;      /* label arena (NUL-terminated strings) */
    size_t labels_len, labels_cap; /* bytes in use / allocated */
    size_t *label_off; /* [cap]: where row i's label starts in labels */
    char *date_name;   /* malloc'd, or NULL */
    char *source;      /* malloc'd path, or "values" */
    size_t filled;     /* cells repaired by the fill policy */
};

/* A series with no rows and ncols columns named names[0..ncols) (copied),
 * labelled when has_labels; source and date_name copied (date_name may be
 * NULL). Errors: RNNKIT_ERR_NOMEM. */
rnnkit_status rnnkit__series_new(size_t ncols, const char *const *names, int has_labels,
                                 const char *source, const char *date_name,
                                 rnnkit_series **out, rnnkit_error *err);

/* Appends one row: ncols values and, for a labelled series, the label
 * label[0..label_len) (need not be NUL-terminated). Amortised O(1): the
 * arrays double when full. Errors: RNNKIT_ERR_NOMEM ("... at row N"). */
rnnkit_status rnnkit__series_push(rnnkit_series *s, const double *row, const char *label,
                                  size_t label_len, rnnkit_error *err);

/* A copy of s[0..n) with a NUL, or NULL when out of memory. */
char *rnnkit__strndup(const char *s, size_t n);

/* ---------------------------------------------------------------- cells */

/* What a cell holds. */
typedef enum rnnkit__cell_kind {
    RNNKIT__CELL_NUMBER = 0, /* a finite decimal number (in *v) */
    RNNKIT__CELL_MISSING,    /* empty or a missing-value marker */
    RNNKIT__CELL_NAN,        /* "nan" in any case: a gap to a fill policy,
                              * a non-finite number otherwise */
    RNNKIT__CELL_NONFINITE,  /* inf, infinity (signed or not), or a number
                              * out of double's range */
    RNNKIT__CELL_TEXT        /* anything else */
} rnnkit__cell_kind;

/* Classifies the cell s[0..n) (spaces and tabs around are ignored) and,
 * for a number, stores it in *v (strtod in the C locale's syntax). */
rnnkit__cell_kind rnnkit__cell_parse(const char *s, size_t n, double *v);

/* Writes s[0..n) into out[0..cap) for a message: at most 40 bytes, control
 * bytes and ill-formed UTF-8 as '?', "..." when cut. Always terminated. */
void rnnkit__cell_quote(const char *s, size_t n, char *out, size_t cap);

/* -------------------------------------------------------------- columns */

/* "no column" in a column index. */
#define RNNKIT__NO_COLUMN ((size_t)-1)

/*
 * Chooses the columns of a CSV file from its header hdr[0..nhdr) and the
 * options (rnnkit/series.h, rnnkit_csv_options): cols[0..*F) receives the
 * header index of the target (slot 0) and of each feature in order,
 * *date_col the header index of the date column or RNNKIT__NO_COLUMN.
 * Errors (RNNKIT_ERR_ARG, message starting "path: "): an unknown column
 * (listing the header's names), an ambiguous name, a column chosen twice,
 * too many features.
 */
rnnkit_status rnnkit__csv_columns(const char *path, char *const *hdr, size_t nhdr,
                                  const rnnkit_csv_options *o,
                                  size_t cols[RNNKIT_SERIES_MAX_COLUMNS], size_t *F,
                                  size_t *date_col, rnnkit_error *err);

/* ---------------------------------------------------------------- fill */

/* Repairs the NaN cells of column j of s (NaN marks a gap; the first row of
 * every column is valid, which the reader checks) by the policy; adds the
 * cells repaired to s->filled. */
void rnnkit__series_fill(rnnkit_series *s, rnnkit_fill policy);

#endif
