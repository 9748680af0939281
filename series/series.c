/*
 * series/series.c: the series struct (series/series_internal.h): built row
 * by row by the CSV reader or at once from arrays, then read-only.
 *
 * Invariants: 1 <= ncols <= RNNKIT_SERIES_MAX_COLUMNS; n <= cap; every row
 * in [0, n) holds ncols finite doubles once construction is over (the CSV
 * reader stores NaN for a gap until rnnkit__series_fill repairs it); a
 * labelled series has one label per row. Growth doubles the capacity, so
 * appending N rows costs O(N) copies in all.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "series/series_internal.h"

char *rnnkit__strndup(const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void rnnkit_series_free(rnnkit_series *s)
{
    if (!s)
        return;
    free(s->values);
    for (size_t j = 0; j < s->ncols; j++)
        free(s->names[j]);
    free(s->labels);
    free(s->label_off);
    free(s->date_name);
    free(s->source);
    free(s);
}

rnnkit_status rnnkit__series_new(size_t ncols, const char *const *names, int has_labels,
                                 const char *source, const char *date_name,
                                 rnnkit_series **out, rnnkit_error *err)
{
    *out = NULL;
    if (ncols == 0 || ncols > RNNKIT_SERIES_MAX_COLUMNS)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%zu columns: a series has 1 to %d",
                                ncols, RNNKIT_SERIES_MAX_COLUMNS);
    rnnkit_series *s = calloc(1, sizeof *s);
    if (!s)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for a series");
    s->has_labels = has_labels != 0;
    s->source = rnnkit__strndup(source, strlen(source));
    if (date_name)
        s->date_name = rnnkit__strndup(date_name, strlen(date_name));
    int ok = s->source && (!date_name || s->date_name);
    for (size_t j = 0; ok && j < ncols; j++) {
        s->names[j] = rnnkit__strndup(names[j], strlen(names[j]));
        s->ncols = j + 1; /* free() sees every name allocated so far */
        ok = s->names[j] != NULL;
    }
    if (!ok) {
        rnnkit_series_free(s);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for a series");
    }
    *out = s;
    return RNNKIT_OK;
}

/* Grows the row arrays to hold at least one more row. */
static rnnkit_status grow_rows(rnnkit_series *s, rnnkit_error *err)
{
    size_t cap = s->cap ? s->cap : 256;
    while (cap <= s->n) {
        if (cap > SIZE_MAX / 2)
            goto nomem;
        cap *= 2;
    }
    if (cap > SIZE_MAX / sizeof(double) / s->ncols)
        goto nomem;
    double *v = realloc(s->values, cap * s->ncols * sizeof(double));
    if (!v)
        goto nomem;
    s->values = v;
    if (s->has_labels) {
        size_t *o = realloc(s->label_off, cap * sizeof(size_t));
        if (!o)
            goto nomem;
        s->label_off = o;
    }
    s->cap = cap;
    return RNNKIT_OK;
nomem:
    return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory at row %zu", s->n + 1);
}

/* Appends label[0..len) and a NUL to the label arena; *off its place. */
static rnnkit_status push_label(rnnkit_series *s, const char *label, size_t len, size_t *off,
                                rnnkit_error *err)
{
    if (len > SIZE_MAX / 4 || s->labels_len > SIZE_MAX / 4 - len)
        goto nomem;
    size_t need = s->labels_len + len + 1;
    if (need > s->labels_cap) {
        size_t cap = s->labels_cap ? s->labels_cap : 4096;
        while (cap < need)
            cap *= 2;
        char *p = realloc(s->labels, cap);
        if (!p)
            goto nomem;
        s->labels = p;
        s->labels_cap = cap;
    }
    *off = s->labels_len;
    if (len)
        memcpy(s->labels + s->labels_len, label, len);
    s->labels[s->labels_len + len] = '\0';
    s->labels_len = need;
    return RNNKIT_OK;
nomem:
    return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory at row %zu", s->n + 1);
}

rnnkit_status rnnkit__series_push(rnnkit_series *s, const double *row, const char *label,
                                  size_t label_len, rnnkit_error *err)
{
    rnnkit_status st;
    if (s->n == s->cap && (st = grow_rows(s, err)) != RNNKIT_OK)
        return st;
    if (s->has_labels) {
        size_t off = 0;
        if ((st = push_label(s, label ? label : "", label ? label_len : 0, &off, err)) !=
            RNNKIT_OK)
            return st;
        s->label_off[s->n] = off;
    }
    memcpy(s->values + s->n * s->ncols, row, s->ncols * sizeof(double));
    s->n++;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_series_from_values(const double *values, size_t n, size_t ncols,
                                        const char *const *names,
                                        const char *const *labels, rnnkit_series **out,
                                        rnnkit_error *err)
{
    if (!out)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_series_from_values: out is NULL");
    *out = NULL;
    if (!values || n == 0 || ncols == 0 || ncols > RNNKIT_SERIES_MAX_COLUMNS)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "a series needs values, n >= 1 and 1 to %d columns "
                                "(got n %zu, %zu columns)",
                                RNNKIT_SERIES_MAX_COLUMNS, n, ncols);
    if (n > SIZE_MAX / ncols)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%zu rows of %zu columns overflow", n,
                                ncols);
    for (size_t i = 0; i < n * ncols; i++)
        if (!isfinite(values[i]))
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "row %zu, column %zu: not finite",
                                    i / ncols, i % ncols);
    char defaults[RNNKIT_SERIES_MAX_COLUMNS][16];
    const char *nm[RNNKIT_SERIES_MAX_COLUMNS];
    for (size_t j = 0; j < ncols; j++) {
        if (names && !names[j])
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "column %zu has a NULL name", j);
        if (j)
            snprintf(defaults[j], sizeof defaults[j], "x%zu", j);
        else
            memcpy(defaults[j], "y", 2);
        nm[j] = names ? names[j] : defaults[j];
    }
    for (size_t i = 0; labels && i < n; i++)
        if (!labels[i])
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "row %zu has a NULL label", i);
    rnnkit_series *s;
    rnnkit_status st = rnnkit__series_new(ncols, nm, labels != NULL, "values", NULL, &s, err);
    if (st != RNNKIT_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        const char *lab = labels ? labels[i] : NULL;
        st = rnnkit__series_push(s, values + i * ncols, lab, lab ? strlen(lab) : 0, err);
        if (st != RNNKIT_OK) {
            rnnkit_series_free(s);
            return st;
        }
    }
    *out = s;
    return RNNKIT_OK;
}

size_t rnnkit_series_length(const rnnkit_series *s) { return s ? s->n : 0; }

size_t rnnkit_series_num_columns(const rnnkit_series *s) { return s ? s->ncols : 0; }

const char *rnnkit_series_column_name(const rnnkit_series *s, size_t j)
{
    return s && j < s->ncols ? s->names[j] : NULL;
}

const double *rnnkit_series_values(const rnnkit_series *s) { return s ? s->values : NULL; }

const char *rnnkit_series_label(const rnnkit_series *s, size_t i)
{
    if (!s || !s->has_labels || i >= s->n)
        return NULL;
    return s->labels + s->label_off[i];
}

const char *rnnkit_series_date_column(const rnnkit_series *s)
{
    return s ? s->date_name : NULL;
}

const char *rnnkit_series_source(const rnnkit_series *s) { return s ? s->source : NULL; }

size_t rnnkit_series_filled(const rnnkit_series *s) { return s ? s->filled : 0; }
