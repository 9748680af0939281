/*
 * series/columns.c: choosing the columns of a CSV file from its header:
 * the target, the other features in the order asked for, and the date
 * column (explicit, detected by name, or none).
 *
 * A column is named by its header text (exact bytes), or, when no header
 * name equals the string and it is a decimal number, by its 1-based
 * position. A name found twice in the header is ambiguous (an error when it
 * is asked for; a position still picks one). Invariants of the result: the
 * target and the features are distinct header indices; the date column,
 * if any, is none of them.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "series/series_internal.h"

/* The header's names "a, b, c" in out[0..cap), cut with "..." to fit. */
static void list_columns(char *const *hdr, size_t nhdr, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t j = 0; j < nhdr; j++) {
        char q[48];
        rnnkit__cell_quote(hdr[j], strlen(hdr[j]), q, sizeof q);
        int w = snprintf(out + o, cap - o, "%s%s", j ? ", " : "", q);
        if (w < 0 || (size_t)w >= cap - o) {
            if (cap > 4)
                memcpy(out + cap - 4, "...", 4);
            return;
        }
        o += (size_t)w;
    }
}

/* Finds the column named or numbered `spec`; *j its header index. */
static rnnkit_status find_column(const char *path, char *const *hdr, size_t nhdr,
                                 const char *spec, const char *role, size_t *j,
                                 rnnkit_error *err)
{
    size_t found = RNNKIT__NO_COLUMN, count = 0;
    for (size_t k = 0; k < nhdr; k++)
        if (!strcmp(hdr[k], spec)) {
            if (count++ == 0)
                found = k;
        }
    char q[48];
    rnnkit__cell_quote(spec, strlen(spec), q, sizeof q);
    if (count > 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: %s column '%s' is ambiguous: the header names %zu "
                                "columns so (choose one by its position)",
                                path, role, q, count);
    if (count == 1) {
        *j = found;
        return RNNKIT_OK;
    }
    size_t pos = 0, len = strlen(spec);
    int number = len > 0 && len < 10;
    for (size_t i = 0; number && i < len; i++) {
        if (spec[i] < '0' || spec[i] > '9')
            number = 0;
        else
            pos = pos * 10 + (size_t)(spec[i] - '0');
    }
    if (number && pos >= 1 && pos <= nhdr) {
        *j = pos - 1;
        return RNNKIT_OK;
    }
    char names[400];
    list_columns(hdr, nhdr, names, sizeof names);
    if (number)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: no %s column '%s' (the file has %zu columns: %s)", path,
                                role, q, nhdr, names);
    return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: no %s column '%s'; the columns are: %s",
                            path, role, q, names);
}

/* 1 when the header name looks like a date or time column's. */
static int date_like(const char *name)
{
    static const char *const words[] = {"date", "datetime", "time", "timestamp", "month",
                                        "day", "year", "week", "quarter", "period"};
    char low[16];
    size_t n = strlen(name);
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] - 'A' + 'a') : name[i];
    low[n] = '\0';
    if (strlen(name) < sizeof low)
        for (size_t k = 0; k < sizeof words / sizeof *words; k++)
            if (!strcmp(low, words[k]))
                return 1;
    return !strncmp(low, "date", 4) || !strncmp(low, "time", 4);
}

static int chosen(const size_t *cols, size_t F, size_t j)
{
    for (size_t k = 0; k < F; k++)
        if (cols[k] == j)
            return 1;
    return 0;
}

rnnkit_status rnnkit__csv_columns(const char *path, char *const *hdr, size_t nhdr,
                                  const rnnkit_csv_options *o,
                                  size_t cols[RNNKIT_SERIES_MAX_COLUMNS], size_t *F,
                                  size_t *date_col, rnnkit_error *err)
{
    rnnkit_status st;
    size_t date = RNNKIT__NO_COLUMN;
    if (o->num_features > RNNKIT_SERIES_MAX_COLUMNS - 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: %zu features: at most %d besides the "
                                "target", path, o->num_features, RNNKIT_SERIES_MAX_COLUMNS - 1);
    if (o->num_features && !o->features)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: num_features %zu but no features",
                                path, o->num_features);
    if (o->date && o->date[0] &&
        (st = find_column(path, hdr, nhdr, o->date, "date", &date, err)) != RNNKIT_OK)
        return st;
    /* features go to slots 1.., the target to slot 0 once known */
    for (size_t k = 0; k < o->num_features; k++) {
        if (!o->features[k])
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: feature %zu is NULL", path, k);
        if ((st = find_column(path, hdr, nhdr, o->features[k], "feature", &cols[k + 1], err)) !=
            RNNKIT_OK)
            return st;
    }
    size_t target = RNNKIT__NO_COLUMN;
    if (o->target && (st = find_column(path, hdr, nhdr, o->target, "target", &target, err)) !=
                         RNNKIT_OK)
        return st;
    if (!o->date && date_like(hdr[0]) && target != 0 &&
        !chosen(cols + 1, o->num_features, 0))
        date = 0;
    if (target == RNNKIT__NO_COLUMN) {
        for (size_t j = 0; j < nhdr && target == RNNKIT__NO_COLUMN; j++)
            if (j != date && !chosen(cols + 1, o->num_features, j))
                target = j;
        if (target == RNNKIT__NO_COLUMN && !o->date && date == 0 && nhdr == 1)
            target = 0, date = RNNKIT__NO_COLUMN; /* a lone date-like column is the data */
        if (target == RNNKIT__NO_COLUMN)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                    "%s: no column is left for the target (%zu columns)", path,
                                    nhdr);
    }
    cols[0] = target;
    *F = o->num_features + 1;
    for (size_t k = 0; k < *F; k++) {
        char q[48];
        rnnkit__cell_quote(hdr[cols[k]], strlen(hdr[cols[k]]), q, sizeof q);
        if (cols[k] == date)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                    "%s: column '%s' is the date column and cannot be %s",
                                    path, q, k ? "a feature" : "the target");
        for (size_t m = 0; m < k; m++)
            if (cols[m] == cols[k])
                return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: column '%s' is chosen twice%s",
                                        path, q, m == 0 ? " (it is the target)" : "");
    }
    *date_col = date;
    return RNNKIT_OK;
}
