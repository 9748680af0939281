/*
 * cli/report_forecast.c: a forecaster's sections of `rnnkit report`
 * (cli/cmd_report.c): its configuration and series spec, and, given the
 * series (--csv; the model file does not hold it), a plot of the series
 * with the one-step-ahead fit on the training part and the forecasts on the
 * test part, and the errors beside the naive baselines.
 *
 * Everything that can fail (reading the CSV, the forecasts, the split) is
 * done by cli_fc_prepare before the page is opened, so a bad series leaves
 * no page behind; cli_fc_write only prints. The parts are the split the
 * model was trained with (its spec's test_frac and valid_frac through
 * rnnkit_series_split), the errors rnnkit_forecaster_evaluate's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report_forecast.h"
#include "cli/report_svg.h"

/* The CSV options that read back the columns the model was trained on, as
 * `rnnkit forecast predict` does: its target, features and date column by
 * name (the defaults when the model does not name its columns: imported
 * without them). */
static void csv_options(const rnnkit_forecast_spec *sp, int inputs, rnnkit_fill fill, rnnkit_csv_options *o,
                        const char **features)
{
    *o = rnnkit_csv_options_default();
    o->fill = fill;
    if (!sp->columns[0][0])
        return;
    o->target = sp->columns[0];
    for (int j = 1; j < inputs && sp->columns[j][0]; j++)
        features[o->num_features++] = sp->columns[j];
    o->features = features;
    o->date = sp->date; /* "": trained without one (as `rnnkit forecast` reads it) */
}

int cli_fc_prepare(rnnkit_model *m, const char *csv, rnnkit_fill fill, cli_fc *r)
{
    memset(r, 0, sizeof *r);
    const rnnkit_model_config *c = rnnkit_model_get_config(m);
    const rnnkit_forecast_spec *sp = rnnkit_model_forecast_spec(m);
    rnnkit_error err;
    rnnkit_error_clear(&err);
    const char *features[RNNKIT_SERIES_MAX_COLUMNS];
    rnnkit_csv_options o;
    csv_options(sp, c->inputs, fill, &o, features);
    if (rnnkit_series_read_csv(csv, &o, &r->s, &err))
        return cli_fail(&err);
    r->n = rnnkit_series_length(r->s);
    if (!(sp->test_frac > 0))
        return cli_failf("%s: the model has not been trained (no split to draw)", csv);
    rnnkit_split_options so = rnnkit_split_options_default();
    so.lookback = (size_t)c->lookback;
    so.horizon = (size_t)c->horizon;
    so.lost = rnnkit_diff_lost(&sp->diff);
    so.test_frac = sp->test_frac;
    so.valid_frac = sp->valid_frac;
    if (rnnkit_series_split(r->n, &so, csv, &r->split, &err))
        return cli_fail(&err);
    if (!(r->fit = malloc(r->n * sizeof *r->fit)))
        return cli_failf("%s: out of memory for %zu rows", csv, r->n);
    if (rnnkit_forecaster_fit(m, r->s, r->fit, &err) || rnnkit_forecaster_evaluate(m, r->s, &r->ev, &err))
        return cli_fail(&err);
    return CLI_EXIT_OK;
}

void cli_fc_free(cli_fc *r)
{
    rnnkit_series_free(r->s);
    free(r->fit);
    memset(r, 0, sizeof *r);
}

static void cell_text(FILE *f, const char *s, const char *none)
{
    if (s && *s)
        cli_html_esc(f, s);
    else
        fputs(none, f);
}

void cli_fc_config(FILE *f, rnnkit_model *m)
{
    const rnnkit_model_config *c = rnnkit_model_get_config(m);
    const rnnkit_forecast_spec *sp = rnnkit_model_forecast_spec(m);
    fputs("<section id=\"config\"><h2>Configuration</h2>\n<table>\n", f);
    fputs("<tr><th>task</th><td>forecaster</td></tr>\n", f);
    fprintf(f, "<tr><th>network</th><td>window %d &times; %d &rarr; %s &times; %d layer%s, hidden %d &rarr; last "
            "state &rarr; dense %d (the next %d value%s)</td></tr>\n", c->lookback, c->inputs,
            rnnkit_cell_name(c->cell), c->layers, c->layers > 1 ? "s" : "", c->hidden, c->horizon, c->horizon,
            c->horizon > 1 ? "s" : "");
    fprintf(f, "<tr><th>parameters</th><td>%zu</td></tr>\n", rnnkit_model_num_params(m));
    fprintf(f, "<tr><th>dropout</th><td>%g</td></tr>\n", (double)c->dropout);
    if (c->cell == RNNKIT_CELL_LSTM)
        fprintf(f, "<tr><th>forget-gate bias at init</th><td>%g</td></tr>\n", (double)c->forget_bias);
    fputs("<tr><th>columns</th><td>", f);
    for (int j = 0; j < c->inputs; j++) {
        if (j)
            fputs(", ", f);
        cell_text(f, sp->columns[j], "<i>unnamed</i>");
        if (j == 0)
            fputs(" (target)", f);
    }
    fputs("</td></tr>\n<tr><th>date column</th><td>", f);
    cell_text(f, sp->date, "<i>none</i>");
    fprintf(f, "</td></tr>\n<tr><th>differencing</th><td>order %d", sp->diff.order);
    if (sp->diff.season)
        fprintf(f, ", seasonal at lag %zu", sp->diff.season);
    fprintf(f, "</td></tr>\n<tr><th>season</th><td>%zu%s</td></tr>\n", sp->season,
            sp->season > 1 ? " (seasonal naive baseline, MASE)" : " (no seasonal baseline)");
    fprintf(f, "<tr><th>scaling</th><td>%s", rnnkit_scale_kind_name(sp->scaler.kind));
    if (!sp->scaler.ncols)
        fputs(" (not fitted)", f);
    for (size_t j = 0; j < sp->scaler.ncols; j++)
        fprintf(f, "%s offset %.6g, scale %.6g", j ? ";" : ":", sp->scaler.offset[j], sp->scaler.scale[j]);
    fputs("</td></tr>\n", f);
    if (sp->test_frac > 0)
        fprintf(f, "<tr><th>split</th><td>the last %g of the rows test, %g of the rows before them validate"
                "</td></tr>\n", sp->test_frac, sp->valid_frac);
    fputs("</table></section>\n", f);
}

static void error_row(FILE *f, const char *who, const char *part, const rnnkit_forecast_errors *e)
{
    if (!e->n)
        return;
    fprintf(f, "<tr><td>%s</td><td>%s</td><td>%zu</td><td>%.6g</td><td>%.6g</td><td>%.4g</td>", who, part, e->n,
            e->rmse, e->mae, e->smape);
    if (isfinite(e->mase))
        fprintf(f, "<td>%.4g</td></tr>\n", e->mase);
    else
        fputs("<td>&ndash;</td></tr>\n", f);
}

static void write_errors(FILE *f, const rnnkit_forecast_report *ev, size_t season)
{
    fputs("<h3>Errors, one step ahead</h3>\n<table id=\"forecast-errors\" class=\"num\"><tr><th>forecast</th>"
          "<th>part</th><th>points</th><th>RMSE</th><th>MAE</th><th>sMAPE %</th><th>MASE</th></tr>\n", f);
    char seasonal[48];
    snprintf(seasonal, sizeof seasonal, "seasonal naive (y[t&minus;%zu])", season);
    error_row(f, "<b>model</b>", "train", &ev->train);
    error_row(f, "persistence (y[t&minus;1])", "train", &ev->persistence_train);
    error_row(f, seasonal, "train", &ev->seasonal_train);
    error_row(f, "<b>model</b>", "validation", &ev->valid);
    error_row(f, "<b>model</b>", "test", &ev->test);
    error_row(f, "persistence (y[t&minus;1])", "test", &ev->persistence_test);
    error_row(f, seasonal, "test", &ev->seasonal_test);
    fputs("</table>\n<p>MASE: the mean absolute error over that of the seasonal naive forecast on the training "
          "rows (below 1: better than it).</p>\n", f);
}

void cli_fc_write(FILE *f, rnnkit_model *m, const cli_fc *r, const char *csv)
{
    const rnnkit_forecast_spec *sp = rnnkit_model_forecast_spec(m);
    const size_t n = r->n;
    fputs("<section id=\"forecast\"><h2>Series, fit and forecasts</h2>\n<p>", f);
    cli_html_esc(f, csv);
    fprintf(f, ": %zu rows", n);
    const char *first = rnnkit_series_label(r->s, 0), *last = rnnkit_series_label(r->s, n - 1);
    if (first && last) {
        fputs(" (", f);
        cli_html_esc(f, first);
        fputs(" to ", f);
        cli_html_esc(f, last);
        fputs(")", f);
    }
    fprintf(f, "; training rows before row %zu, ", r->split.valid_first_row);
    if (r->split.test_first_row > r->split.valid_first_row)
        fprintf(f, "validation rows %zu to %zu, ", r->split.valid_first_row, r->split.test_first_row - 1);
    fprintf(f, "test rows from %zu (rows count from 0). The fit and the forecasts are one step ahead, each from "
            "the true values before it.</p>\n", r->split.test_first_row);
    double *buf = malloc(n * 4 * sizeof *buf);
    if (!buf) {
        fputs("<p>(out of memory drawing the series)</p></section>\n", f);
        return;
    }
    double *x = buf, *y = buf + n, *fit = buf + 2 * n, *test = buf + 3 * n;
    const double *v = rnnkit_series_values(r->s);
    const size_t F = rnnkit_series_num_columns(r->s);
    for (size_t t = 0; t < n; t++) {
        x[t] = (double)t;
        y[t] = v[t * F];
        fit[t] = t < r->split.valid_first_row ? r->fit[t] : NAN;
        test[t] = t >= r->split.test_first_row ? r->fit[t] : NAN;
    }
    char title[200];
    snprintf(title, sizeof title, "%s: series, fit (training part) and forecasts (test part)",
             sp->columns[0][0] ? sp->columns[0] : rnnkit_series_column_name(r->s, 0));
    series curves[3] = {{"series", "#1f77b4", NULL, y},
                        {"fit (training)", "#2ca02c", NULL, fit},
                        {"forecast (test)", "#d62728", "6 4", test}};
    cli_svg_lines(f, "forecast-plot", title, "row", x, (int)n, curves, 3);
    free(buf);
    write_errors(f, &r->ev, sp->season);
    fputs("</section>\n", f);
}

void cli_fc_no_series(FILE *f)
{
    fputs("<section id=\"forecast\"><h2>Series, fit and forecasts</h2>\n<p>The model file does not hold its "
          "series: give it with <code>--csv SERIES.csv</code> to add the plot of the series, the fit on the "
          "training part and the forecasts on the test part, and the errors beside the naive baselines.</p>"
          "</section>\n", f);
}
