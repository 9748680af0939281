/*
 * cli/report_svg.h: HTML escaping and inline SVG line charts for
 * `rnnkit report`.
 */
#ifndef RNNKIT_CLI_REPORT_SVG_H
#define RNNKIT_CLI_REPORT_SVG_H

#include <stdio.h>

/* Writes s with < > & " as HTML entities. */
void cli_html_esc(FILE *f, const char *s);

typedef struct series {
    const char *name, *color, *dash;
    double *y; /* [n], NaN = not measured */
} series;

/* An SVG line chart of `ns` series over x [n]. Each series is one
 * <polyline class="curve"> (with data-series naming it) plus a circle per
 * point, so a reader (or a test) can find the curves in the DOM. */
void cli_svg_chart(FILE *f, const char *id, const char *title, const char *xlabel, const double *x, int n,
                   const series *s, int ns);
/* The same chart with lines only (no circles), for long series: a curve of
 * more than a few thousand points is drawn through every k-th one (and the
 * last). */
void cli_svg_lines(FILE *f, const char *id, const char *title, const char *xlabel, const double *x, int n,
                   const series *s, int ns);

#endif
