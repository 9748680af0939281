/*
 * cli/report_svg.c: the HTML pieces of `rnnkit report` (cli/cmd_report.c):
 * escaping text for HTML and drawing line charts as inline SVG.
 */
#include <math.h>
#include <stdio.h>

#include "cli/report_svg.h"

void cli_html_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A "nice" tick step for a range: 1, 2 or 5 times a power of ten giving at
 * most about 6 ticks. */
static double nice_step(double range)
{
    if (!(range > 0))
        return 1;
    double raw = range / 5, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/* The chart of cli_svg_chart; dots: a circle per point. Without dots a
 * long series is thinned to about CLI_SVG_MAX_POINTS points per curve. */
#define CLI_SVG_MAX_POINTS 4000
static void chart(FILE *f, const char *id, const char *title, const char *xlabel, const double *x, int n,
                  const series *s, int ns, int dots)
{
    const int every = dots ? 1 : n / CLI_SVG_MAX_POINTS + 1;
    const double W = 660, Hh = 320, ml = 64, mr = 180, mt = 34, mb = 46;
    const double pw = W - ml - mr, ph = Hh - mt - mb;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < n; i++) {
        x0 = fmin(x0, x[i]);
        x1 = fmax(x1, x[i]);
        for (int k = 0; k < ns; k++)
            if (isfinite(s[k].y[i])) {
                y0 = fmin(y0, s[k].y[i]);
                y1 = fmax(y1, s[k].y[i]);
            }
    }
    fprintf(f, "<figure><svg id=\"%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" "
               "height=\"%g\" viewBox=\"0 0 %g %g\" role=\"img\" aria-label=\"",
            id, W, Hh, W, Hh);
    cli_html_esc(f, title);
    fprintf(f, "\">\n<rect x=\"0\" y=\"0\" width=\"%g\" height=\"%g\" fill=\"#fff\"/>\n", W, Hh);
    fprintf(f, "<text x=\"%g\" y=\"20\" class=\"title\">", ml);
    cli_html_esc(f, title);
    fputs("</text>\n", f);
    if (!(y1 >= y0)) {
        fprintf(f, "<text x=\"%g\" y=\"%g\">not measured</text></svg></figure>\n", ml, mt + ph / 2);
        return;
    }
    if (y1 - y0 < 1e-12) {
        y0 -= 0.5;
        y1 += 0.5;
    }
    if (x1 - x0 < 1e-12) {
        x0 -= 1;
        x1 += 1;
    }
    double ys = nice_step(y1 - y0), xs = nice_step(x1 - x0);
    y0 = floor(y0 / ys) * ys;
    y1 = ceil(y1 / ys) * ys;
    if (xs < 1)
        xs = 1; /* epochs and steps are integers */
#define PX(v) (ml + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (mt + ph - ((v) - y0) / (y1 - y0) * ph)
    fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#999\"/>\n", ml, mt, pw,
            ph);
    for (double v = y0; v <= y1 + ys * 1e-6; v += ys) {
        fprintf(f, "<line x1=\"%g\" x2=\"%g\" y1=\"%.2f\" y2=\"%.2f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%g\" y=\"%.2f\" text-anchor=\"end\" class=\"tick\">%.4g</text>\n",
                ml, ml + pw, PY(v), PY(v), ml - 6, PY(v) + 4, fabs(v) < ys * 1e-6 ? 0.0 : v);
    }
    for (double v = ceil(x0 / xs) * xs; v <= x1 + xs * 1e-6; v += xs)
        fprintf(f, "<text x=\"%.2f\" y=\"%g\" text-anchor=\"middle\" class=\"tick\">%.6g</text>\n", PX(v),
                mt + ph + 16, v);
    fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">", ml + pw / 2, Hh - 8);
    cli_html_esc(f, xlabel);
    fputs("</text>\n", f);
    for (int k = 0; k < ns; k++) {
        int shown = 0;
        fprintf(f, "<polyline class=\"curve\" data-series=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"%s%s%s "
                   "points=\"",
                s[k].name, s[k].color, s[k].dash ? " stroke-dasharray=\"" : "", s[k].dash ? s[k].dash : "",
                s[k].dash ? "\"" : "");
        for (int i = 0; i < n; i++)
            if (isfinite(s[k].y[i]) && (i % every == 0 || i == n - 1)) {
                fprintf(f, "%s%.2f,%.2f", shown ? " " : "", PX(x[i]), PY(s[k].y[i]));
                shown++;
            }
        fputs("\"/>\n", f);
        for (int i = 0; i < n && dots; i++)
            if (isfinite(s[k].y[i]))
                fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"><title>%s %s %.6g: %.6g</title></circle>\n",
                        PX(x[i]), PY(s[k].y[i]), s[k].color, s[k].name, xlabel, x[i], s[k].y[i]);
        double ly = mt + 12 + 20 * k;
        fprintf(f, "<line x1=\"%g\" x2=\"%g\" y1=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"2.5\"%s%s%s/>"
                   "<text x=\"%g\" y=\"%g\">%s%s</text>\n",
                ml + pw + 12, ml + pw + 36, ly, ly, s[k].color, s[k].dash ? " stroke-dasharray=\"" : "",
                s[k].dash ? s[k].dash : "", s[k].dash ? "\"" : "", ml + pw + 42, ly + 4, s[k].name,
                shown ? "" : " (none)");
    }
#undef PX
#undef PY
    fputs("</svg></figure>\n", f);
}

void cli_svg_chart(FILE *f, const char *id, const char *title, const char *xlabel, const double *x, int n,
                   const series *s, int ns)
{
    chart(f, id, title, xlabel, x, n, s, ns, 1);
}

void cli_svg_lines(FILE *f, const char *id, const char *title, const char *xlabel, const double *x, int n,
                   const series *s, int ns)
{
    chart(f, id, title, xlabel, x, n, s, ns, 0);
}
