/*
 * series/fill.c: repairing the gaps the CSV reader left as NaN.
 *
 *   previous  each gap cell takes the column's last valid value above it
 *   linear    a run of gap cells between valid rows a < b takes
 *             y[a] + (y[b] - y[a]) * (i - a) / (b - a), linear in the row
 *             index; a run at the end (no valid row below) keeps y[a]
 *
 * Invariant on entry: row 0 of every column is valid (the reader refuses a
 * gap before a column's first number), so every gap has a value above.
 * One pass per column, O(n).
 */
#include <math.h>
#include <string.h>

#include "series/series_internal.h"

/* Fills rows (a, b) of column j linearly between rows a and b. */
static void linear_run(double *v, size_t F, size_t j, size_t a, size_t b)
{
    double ya = v[a * F + j], yb = v[b * F + j], span = (double)(b - a);
    for (size_t i = a + 1; i < b; i++)
        v[i * F + j] = ya + (yb - ya) * ((double)(i - a) / span);
}

void rnnkit__series_fill(rnnkit_series *s, rnnkit_fill policy)
{
    if (policy == RNNKIT_FILL_NONE)
        return;
    double *v = s->values;
    size_t F = s->ncols;
    for (size_t j = 0; j < F; j++) {
        size_t last = 0; /* last valid row */
        for (size_t i = 1; i < s->n; i++) {
            if (isnan(v[i * F + j])) {
                s->filled++;
                if (policy == RNNKIT_FILL_PREVIOUS)
                    v[i * F + j] = v[last * F + j];
                continue;
            }
            if (policy == RNNKIT_FILL_LINEAR && i > last + 1)
                linear_run(v, F, j, last, i);
            last = i;
        }
        for (size_t i = last + 1; policy == RNNKIT_FILL_LINEAR && i < s->n; i++)
            v[i * F + j] = v[last * F + j];
    }
}

const char *rnnkit_fill_name(rnnkit_fill f)
{
    switch (f) {
    case RNNKIT_FILL_NONE: return "none";
    case RNNKIT_FILL_PREVIOUS: return "previous";
    case RNNKIT_FILL_LINEAR: return "linear";
    }
    return "unknown";
}

int rnnkit_fill_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int f = RNNKIT_FILL_NONE; f <= RNNKIT_FILL_LINEAR; f++)
        if (!strcmp(name, rnnkit_fill_name((rnnkit_fill)f)))
            return f;
    return -1;
}
