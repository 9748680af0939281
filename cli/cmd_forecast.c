/*
 * cli/cmd_forecast.c: `rnnkit forecast train|predict|eval`: flags, progress
 * and output. Reading the series (rnnkit/series.h), training, evaluation
 * beside the baselines and prediction past the end (rnnkit/model.h) are
 * the library's; this file only turns flags into their options and their
 * results into lines (or JSON).
 */
#define _DEFAULT_SOURCE /* strsep */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/model.h"
#include "rnnkit/series.h"

static const cli_use train_uses[] = {
    CLI_HEADING("data:"),
    CLI_USE(CF_CSV),
    CLI_USE(CF_TARGET),
    CLI_USE(CF_FEATURES),
    CLI_USE(CF_DATE),
    CLI_USE_D(CF_FILL, "none"),
    CLI_USE_D(CF_TEST_FRAC, "0.33"),
    CLI_USE_H(CF_VALID_FRAC, "0.1", "of the rows before the test part, the last fraction validates"),
    CLI_USE_H(CF_OUTPUT, NULL, "the model file (created at the start, then checkpointed)"),
    CLI_USE(CF_FORCE),
    CLI_HEADING("model:"),
    CLI_USE_D(CF_LOOKBACK, "12"),
    CLI_USE_D(CF_HORIZON, "1"),
    CLI_USE_D(CF_CELL, "lstm"),
    CLI_USE_D(CF_HIDDEN, "32"),
    CLI_USE_D(CF_LAYERS, "1"),
    CLI_USE_D(CF_DROPOUT, "0"),
    CLI_USE_D(CF_SCALE, "minmax"),
    CLI_USE_D(CF_DIFFERENCE, "auto"),
    CLI_USE_D(CF_SEASON, "auto"),
    CLI_HEADING("training:"),
    CLI_USE_D(CF_EPOCHS, "200"),
    CLI_USE_H(CF_BATCH, "16", "windows per optimiser step"),
    CLI_USE_D(CF_LR, "0.01"),
    CLI_USE_D(CF_LR_SCHEDULE, "cosine"),
    CLI_USE_D(CF_LR_DECAY, "1"),
    CLI_USE_D(CF_PATIENCE, "0"),
    CLI_USE_D(CF_CLIP, "5"),
    CLI_USE_D(CF_EMA, "0"),
    CLI_TRAINER_USES_END,
};
static const cli_command train_cmd = {
    "forecast train",
    "usage: rnnkit forecast train --csv FILE --target COL [--features COL,COL...] [--date COL] -o MODEL.db\n"
    "                             [options]\n\n",
    train_uses, NULL};

typedef struct train_args {
    const char *csv, *out, *features;
    rnnkit_csv_options co;
    int resume, season_auto, diff_auto, force;
    cli_output_opts o;
    rnnkit_model_config mc;
    rnnkit_forecast_spec spec;
    rnnkit_forecaster_options fo;
    const char *names[RNNKIT_SERIES_MAX_COLUMNS];
    char *features_copy;
} train_args;

/* --features A,B,C into co.features (pointing into a copy). */
static int split_features(train_args *a)
{
    if (!a->features)
        return CLI_GO;
    if (!(a->features_copy = strdup(a->features)))
        return cli_failf("out of memory");
    size_t n = 0;
    for (char *p = a->features_copy, *tok; (tok = strsep(&p, ","));) {
        if (!*tok)
            return cli_usage(train_cmd.name, "--features: an empty column name in '%s'", a->features);
        if (n == RNNKIT_SERIES_MAX_COLUMNS - 1)
            return cli_usage(train_cmd.name, "--features: at most %d columns", RNNKIT_SERIES_MAX_COLUMNS - 1);
        a->names[n++] = tok;
    }
    a->co.features = a->names;
    a->co.num_features = n;
    return CLI_GO;
}

/* The forecaster's own flags; 1 when id was one. */
static int forecast_flag(train_args *a, int id, const cli_value *v)
{
    switch (id) {
    case CF_CSV: a->csv = v->s; break;
    case CF_TARGET: a->co.target = v->s; break;
    case CF_FEATURES: a->features = v->s; break;
    case CF_DATE: a->co.date = v->s; break;
    case CF_FILL: a->co.fill = (rnnkit_fill)v->i; break;
    case CF_TEST_FRAC: a->fo.test_frac = v->d; break;
    case CF_VALID_FRAC: a->fo.valid_frac = v->d; break;
    case CF_OUTPUT: a->out = v->s; break;
    case CF_FORCE: a->force = 1; break;
    case CF_LOOKBACK: a->mc.lookback = (int)v->i; break;
    case CF_HORIZON: a->mc.horizon = (int)v->i; break;
    case CF_SCALE: a->spec.scaler.kind = (rnnkit_scale_kind)v->i; break; /* none|minmax|standard in enum order */
    case CF_DIFFERENCE:
        a->diff_auto = v->i == 2;
        a->spec.diff.order = v->i == 1;
        break;
    case CF_SEASON:
        a->season_auto = v->i == 0;
        a->spec.season = v->i > 1 ? (size_t)v->i : 1;
        break;
    case CF_EPOCHS: a->fo.epochs = (int)v->i; break;
    case CF_RESUME: a->resume = 1; break;
    default: return 0;
    }
    return 1;
}

/* CLI_GO, or the exit status. */
static int parse_train(train_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->o.threads = 1;
    a->co = rnnkit_csv_options_default();
    rnnkit_model_config_default(&a->mc, RNNKIT_TASK_FORECAST);
    rnnkit_forecaster_options_default(&a->fo);
    a->fo.train.checkpoint_seconds = 600;
    a->spec.scaler.kind = RNNKIT_SCALE_MINMAX;
    a->spec.season = 1;
    a->season_auto = 1;
    a->diff_auto = 1;
    cli_parser p;
    cli_value v;
    int id, decay_set = 0;
    cli_parser_init(&p, &train_cmd, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0) {
        if (!cli_model_flag(id, &v, &a->mc) && !cli_train_flag(id, &v, &a->fo.train) &&
            !cli_output_flag(id, &v, &a->o))
            forecast_flag(a, id, &v);
        decay_set |= id == CF_LR_DECAY;
    }
    int rc = cli_train_flags_done(&p, id, decay_set, &a->fo.train, a->out);
    if (rc != CLI_GO)
        return rc;
    if (!a->csv)
        return cli_usage(train_cmd.name, "--csv FILE is required");
    return split_features(a);
}

/* Names the spec after the series' columns. */
static void name_columns(rnnkit_forecast_spec *spec, const rnnkit_series *s)
{
    for (size_t j = 0; j < rnnkit_series_num_columns(s); j++)
        snprintf(spec->columns[j], sizeof spec->columns[j], "%s", rnnkit_series_column_name(s, j));
    const char *date = rnnkit_series_date_column(s);
    snprintf(spec->date, sizeof spec->date, "%s", date ? date : "");
}

/* A new forecaster for series s, or the checkpointed one (--resume). */
static rnnkit_status make_model(train_args *a, const rnnkit_series *s, rnnkit_model **m, rnnkit_error *err)
{
    if (a->resume) {
        rnnkit_checkpoint_info info;
        if (cli_checkpoint(a->out, RNNKIT_TASK_FORECAST, &info) != CLI_GO)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: no forecaster checkpoint to resume", a->out);
        a->fo.train.seed = info.seed;
        a->fo.train.batch = info.batch;
        return rnnkit_model_load(a->out, RNNKIT_TASK_FORECAST, m, err);
    }
    a->mc.inputs = (int)rnnkit_series_num_columns(s);
    if (a->season_auto)
        a->spec.season = rnnkit_series_guess_season(s);
    a->spec.diff.season = a->spec.season > 1 && !a->diff_auto ? a->spec.season : 0;
    name_columns(&a->spec, s);
    rnnkit_status st = rnnkit_model_create(&a->mc, NULL, NULL, 0, a->fo.train.seed, m, err);
    if (!st)
        st = rnnkit_model_set_forecast_spec(*m, &a->spec, err);
    if (st || !a->diff_auto)
        return st;
    double rmse[4];
    if (!a->o.quiet)
        fprintf(stderr, "rnnkit: --difference auto: training the candidates...\n");
    if ((st = rnnkit_forecaster_choose_differencing(*m, s, &a->fo, rmse, err)))
        return st;
    const rnnkit_diff *d = &rnnkit_model_forecast_spec(*m)->diff;
    if (!a->o.quiet)
        fprintf(stderr, "rnnkit: validation RMSE: none %.6g, seasonal %.6g, first %.6g, both %.6g: %s%s\n", rmse[0],
                rmse[1], rmse[2], rmse[3], d->order ? "first differences" : "no first differences",
                d->season ? ", seasonal differences" : "");
    return RNNKIT_OK;
}

static int cmd_forecast_train(int argc, char **argv)
{
    train_args a;
    int rc = parse_train(&a, argc, argv);
    if (rc != CLI_GO) {
        free(a.features_copy);
        return rc;
    }
    cli_blas_one_thread();
    const char *inputs[] = {a.csv};
    rnnkit_train_lock *lock = NULL;
    if ((rc = cli_train_output(a.out, RNNKIT_TASK_FORECAST, inputs, 1, a.force, &lock)) != CLI_GO) {
        free(a.features_copy);
        return rc;
    }
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_series *s = NULL;
    rnnkit_model *m = NULL;
    rnnkit_status st = rnnkit_series_read_csv(a.csv, &a.co, &s, &err);
    if (!st)
        st = make_model(&a, s, &m, &err);
    if (!st) {
        cli_progress prog;
        cli_progress_init(&prog, a.o.quiet, "win/s", 0);
        prog.jsonl = a.o.jsonl;
        a.fo.train.progress = cli_progress_cb;
        a.fo.train.progress_ctx = &prog;
        a.fo.train.checkpoint_path = a.out;
        a.fo.train.resume = a.resume;
        a.fo.train.stop = cli_stop_flag();
        cli_install_stop_handlers();
        const rnnkit_forecast_spec *sp = rnnkit_model_forecast_spec(m);
        if (!a.o.quiet)
            fprintf(stderr, "rnnkit: %s: %zu rows, %zu column(s); lookback %d, horizon %d, season %zu%s, %s scaling, "
                    "%zu parameters\n", a.csv, rnnkit_series_length(s), rnnkit_series_num_columns(s),
                    a.mc.lookback, a.mc.horizon, sp->season, sp->diff.season ? " (differenced)" : "",
                    rnnkit_scale_kind_name(sp->scaler.kind), rnnkit_model_num_params(m));
        st = rnnkit_forecaster_train(m, s, &a.fo, NULL, NULL, &err);
    }
    rc = cli_train_end(st, &err, a.out, a.o.quiet);
    rnnkit_model_free(m);
    rnnkit_series_free(s);
    free(a.features_copy);
    rnnkit_train_lock_release(lock);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* predict, eval */

static const cli_use use_uses[] = {
    CLI_USE(CF_MODEL),
    CLI_USE(CF_CSV),
    CLI_USE_D(CF_FILL, "none"),
    CLI_USE_H(CF_HORIZON, "the model's", "predict: values after the file's end (recursive past the model's horizon)"),
    CLI_USE_H(CF_JSON, NULL, "eval: one JSON object"),
    CLI_USES_END,
};
static const cli_command predict_cmd = {"forecast predict",
                                        "usage: rnnkit forecast predict -m MODEL.db --csv FILE [--horizon N]\n\n"
                                        "Prints the next N values after the file's end, one line each:\n"
                                        "+step<TAB>value.\n\n",
                                        use_uses, NULL};
static const cli_command eval_cmd = {"forecast eval",
                                     "usage: rnnkit forecast eval -m MODEL.db --csv FILE [--json]\n\n"
                                     "One step ahead from the true history, on the split the model was trained\n"
                                     "with: RMSE, MAE, sMAPE and MASE of the model and of the persistence and\n"
                                     "seasonal naive forecasts on the same points, in the series' units.\n\n",
                                     use_uses, NULL};

typedef struct use_args {
    const char *model, *csv;
    rnnkit_fill fill;
    int horizon, json;
} use_args;

/* Loads the forecaster and reads the series its columns name. */
static int load_both(const cli_command *cmd, int argc, char **argv, use_args *a, rnnkit_model **m,
                     rnnkit_series **s)
{
    memset(a, 0, sizeof *a);
    cli_parser p;
    cli_value v;
    int id;
    cli_parser_init(&p, cmd, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0) {
        if (id == CF_MODEL)
            a->model = v.s;
        else if (id == CF_CSV)
            a->csv = v.s;
        else if (id == CF_FILL)
            a->fill = (rnnkit_fill)v.i;
        else if (id == CF_HORIZON)
            a->horizon = (int)v.i;
        else if (id == CF_JSON)
            a->json = 1;
    }
    int rc = cli_no_operands(&p, id);
    if (rc != CLI_GO)
        return rc;
    if (!a->model || !a->csv)
        return cli_usage(cmd->name, "-m MODEL.db and --csv FILE are required");
    rnnkit_error err;
    if (rnnkit_model_load(a->model, RNNKIT_TASK_FORECAST, m, &err))
        return cli_fail(&err);
    const rnnkit_forecast_spec *sp = rnnkit_model_forecast_spec(*m);
    const char *features[RNNKIT_SERIES_MAX_COLUMNS];
    const int F = rnnkit_model_get_config(*m)->inputs;
    for (int j = 1; j < F; j++)
        features[j - 1] = sp->columns[j];
    rnnkit_csv_options co = rnnkit_csv_options_default();
    co.target = sp->columns[0];
    co.features = features;
    co.num_features = (size_t)(F - 1);
    co.date = sp->date;
    co.fill = a->fill;
    if (rnnkit_series_read_csv(a->csv, &co, s, &err))
        return cli_fail(&err);
    return CLI_GO;
}

static int cmd_forecast_predict(int argc, char **argv)
{
    use_args a;
    rnnkit_model *m = NULL;
    rnnkit_series *s = NULL;
    int rc = load_both(&predict_cmd, argc, argv, &a, &m, &s);
    if (rc == CLI_GO) {
        const size_t steps = a.horizon ? (size_t)a.horizon : (size_t)rnnkit_model_get_config(m)->horizon;
        double *out = malloc(steps * sizeof *out);
        rnnkit_error err;
        if (!out)
            rc = cli_failf("out of memory for %zu values", steps);
        else if (rnnkit_forecaster_predict(m, s, steps, out, &err))
            rc = cli_fail(&err);
        else
            for (size_t k = 0; k < steps; k++)
                printf("+%zu\t%.17g\n", k + 1, out[k]);
        free(out);
        if (rc == CLI_GO)
            rc = CLI_EXIT_OK;
    }
    rnnkit_model_free(m);
    rnnkit_series_free(s);
    return rc;
}

static void print_errors(const char *name, const rnnkit_forecast_errors *e, int json, int last)
{
    if (json)
        printf("\"%s\":{\"n\":%zu,\"rmse\":%.9g,\"mae\":%.9g,\"smape\":%.9g,\"mase\":%.9g}%s", name, e->n, e->rmse,
               e->mae, e->smape, isnan(e->mase) ? -1.0 : e->mase, last ? "" : ",");
    else if (e->n)
        printf("%-16s %8zu %14.6g %14.6g %10.4f %10.4f\n", name, e->n, e->rmse, e->mae, e->smape, e->mase);
}

static int cmd_forecast_eval(int argc, char **argv)
{
    use_args a;
    rnnkit_model *m = NULL;
    rnnkit_series *s = NULL;
    int rc = load_both(&eval_cmd, argc, argv, &a, &m, &s);
    rnnkit_forecast_report r;
    rnnkit_error err;
    if (rc == CLI_GO && rnnkit_forecaster_evaluate(m, s, &r, &err))
        rc = cli_fail(&err);
    if (rc == CLI_GO && a.json) {
        printf("{\"points\":{\"train_first_row\":%zu,\"test_first_row\":%zu},", r.train_first_row,
               r.test_first_row);
        print_errors("train", &r.train, 1, 0);
        print_errors("test", &r.test, 1, 0);
        printf("\"baselines\":{\"persistence\":{");
        print_errors("train", &r.persistence_train, 1, 0);
        print_errors("test", &r.persistence_test, 1, 1);
        printf("},\"seasonal_naive\":{\"season\":%zu,", rnnkit_model_forecast_spec(m)->season);
        print_errors("train", &r.seasonal_train, 1, 0);
        print_errors("test", &r.seasonal_test, 1, 1);
        printf("}}}\n");
    } else if (rc == CLI_GO) {
        printf("%-16s %8s %14s %14s %10s %10s\n", "forecast", "points", "rmse", "mae", "smape%", "mase");
        print_errors("model train", &r.train, 0, 0);
        print_errors("model test", &r.test, 0, 0);
        print_errors("persist train", &r.persistence_train, 0, 0);
        print_errors("persist test", &r.persistence_test, 0, 0);
        print_errors("seasonal train", &r.seasonal_train, 0, 0);
        print_errors("seasonal test", &r.seasonal_test, 0, 0);
    }
    if (rc == CLI_GO)
        rc = CLI_EXIT_OK;
    rnnkit_model_free(m);
    rnnkit_series_free(s);
    return rc;
}

int cmd_forecast(int argc, char **argv)
{
    static const cli_verb verbs[] = {
        {"train", cmd_forecast_train, "learn to forecast a column of a CSV series"},
        {"predict", cmd_forecast_predict, "the values after the end of a series"},
        {"eval", cmd_forecast_eval, "errors on the test part, beside persistence and seasonal naive"},
        {NULL, NULL, NULL}};
    return cli_dispatch("forecast", verbs, argc, argv);
}
