/*
 * cli/report_forecast.h: a forecaster's sections of `rnnkit report`
 * (cli/report_forecast.c).
 */
#ifndef RNNKIT_CLI_REPORT_FORECAST_H
#define RNNKIT_CLI_REPORT_FORECAST_H

#include <stdio.h>

#include "rnnkit/model.h"
#include "rnnkit/series.h"

/* What the plot and the error table need, computed before the page opens. */
typedef struct cli_fc {
    rnnkit_series *s;          /* the series, its columns as the model reads them */
    size_t n;                  /* rows */
    double *fit;               /* [n] one-step-ahead forecasts, NaN without a window */
    rnnkit_split split;        /* the parts, as the model was trained */
    rnnkit_forecast_report ev; /* the model's and the baselines' errors */
} cli_fc;

/* Reads `csv` (the model's columns by name when it names them; `fill` for
 * missing cells) and computes the fit, the split and the errors. Returns
 * CLI_EXIT_OK, or the exit status after a message; free r either way. */
int cli_fc_prepare(rnnkit_model *m, const char *csv, rnnkit_fill fill, cli_fc *r);
void cli_fc_free(cli_fc *r);

/* The configuration section: network, columns, differencing, scaler, split. */
void cli_fc_config(FILE *f, rnnkit_model *m);
/* The plot (series, fit on the training part, forecasts on the test part)
 * and the table of errors beside the baselines. */
void cli_fc_write(FILE *f, rnnkit_model *m, const cli_fc *r, const char *csv);
/* In place of the plot without --csv: says what --csv adds. */
void cli_fc_no_series(FILE *f);

#endif
