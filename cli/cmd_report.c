/*
 * cli/cmd_report.c: `rnnkit report`: one self-contained HTML page:
 * configuration, training and validation curves (inline SVG) from the
 * model's training log (rnnkit_model_read_log) and, for a classifier given
 * labelled data, the confusion matrix and per-label scores (computed by
 * rnnkit/metrics.h); for a forecaster given its series (--csv), the plot
 * of the series, fit and forecasts and the errors beside the baselines
 * (cli/report_forecast.c). The page is built in memory and written
 * atomically by rnnkit_write_file_atomic; `-` is stdout.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "cli/report_forecast.h"
#include "cli/report_svg.h"
#include "rnnkit/corpus.h"
#include "rnnkit/dataset.h"
#include "rnnkit/metrics.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

static const cli_use report_uses[] = {
    CLI_USE_H(CF_MODEL, NULL, "the model"),
    CLI_USE_H(CF_OUTPUT, NULL, "the page to write (atomically; `-` = stdout)"),
    CLI_USE(CF_FORCE),
    CLI_USE_H(CF_DATA, NULL, "labelled data for the classifier's scores (TSV, fastText\n"
                             "or a directory; see `rnnkit classify eval`)"),
    CLI_USE_H(CF_CSV, NULL, "the forecaster's series (CSV; its columns are found by the\n"
                            "names the model was trained with)"),
    CLI_USE(CF_FILL),
    CLI_USE_D(CF_TITLE, "the model file's name"),
    CLI_USES_END,
};
static const cli_command report_cmd = {
    "report",
    "usage: rnnkit report -m MODEL.db -o REPORT.html [--data FILE | --csv SERIES.csv]\n"
    "\n"
    "Writes one self-contained HTML page (no scripts, no external files): the\n"
    "configuration, training and validation loss/accuracy curves drawn as SVG from\n"
    "the model's training log, and the log itself. For a classifier with --data,\n"
    "also accuracy, the confusion matrix and per-label precision, recall and F1.\n"
    "For a forecaster with --csv (the series it was trained on: the model file does\n"
    "not hold it), also a plot of the series, the one-step-ahead fit on the training\n"
    "part and the forecasts on the test part, and their errors beside the naive\n"
    "baselines.\n"
    "\n",
    report_uses, NULL};

typedef struct report_args {
    const char *model, *out, *data, *title, *csv;
    rnnkit_fill fill;
    int force;
} report_args;

static void report_flag(void *ctx, int id, const cli_value *v)
{
    report_args *a = ctx;
    switch (id) {
    case CF_MODEL: a->model = v->s; break;
    case CF_OUTPUT: a->out = v->s; break;
    case CF_FORCE: a->force = 1; break;
    case CF_DATA: a->data = v->s; break;
    case CF_TITLE: a->title = v->s; break;
    case CF_CSV: a->csv = v->s; break;
    case CF_FILL: a->fill = (rnnkit_fill)v->i; break;
    }
}

typedef struct log_table {
    rnnkit_log_row *r;
    int n;
} log_table;

/* Encodes and classifies the rows of `data` whose label the model knows
 * (*skipped counts the others) and scores them into *out. */
static int score_data(rnnkit_model *m, const char *data, rnnkit_metrics *out, size_t *skipped)
{
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_corpus *corpus = NULL;
    rnnkit_corpus_options co = {.format = RNNKIT_CORPUS_AUTO, .skip_bad = 0, .labelled = 1};
    if (rnnkit_corpus_load(data, &co, &corpus, &err))
        return cli_fail(&err);
    const rnnkit_model_config *mc = rnnkit_model_get_config(m);
    const int K = rnnkit_model_num_labels(m);
    size_t n = rnnkit_corpus_size(corpus), nk = 0;
    size_t *known = malloc((n ? n : 1) * sizeof *known);
    rnnkit_docs *docs = NULL;
    float *probs = NULL;
    rnnkit_status st = known ? rnnkit_docs_new(0, &docs, &err) : rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "%s: out of memory", data);
    for (size_t i = 0; !st && i < n; i++)
        if (rnnkit_model_find_label(m, rnnkit_corpus_label(corpus, i)) >= 0)
            known[nk++] = i;
    *skipped = n - nk;
    if (!st)
        st = rnnkit_docs_add_rows(docs, m, corpus, known, nk, &err);
    rnnkit_dataset d = st ? (rnnkit_dataset){0} : rnnkit_docs_view(docs);
    if (!st && !(probs = malloc((d.n ? d.n : 1) * (size_t)K * sizeof *probs)))
        st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "%s: out of memory", data);
    if (!st && d.n)
        st = rnnkit_classifier_predict(m, &d, mc->maxlen, mc->keep_last, probs, &err);
    if (!st)
        st = rnnkit_metrics_from_probs(d.label, probs, d.n, K, out, &err);
    free(known);
    free(probs);
    rnnkit_docs_free(docs);
    rnnkit_corpus_free(corpus);
    return st ? cli_fail(&err) : CLI_EXIT_OK;
}

static void write_scores(FILE *f, rnnkit_model *m, const char *data, const rnnkit_metrics *s, size_t skipped)
{
    const int K = s->num_classes;
    const int64_t *conf = s->confusion;
    fputs("<section id=\"scores\"><h2>Scores on ", f);
    cli_html_esc(f, data);
    fprintf(f, "</h2>\n<p>%zu documents, accuracy <b>%.4f</b>", s->n, s->accuracy);
    if (skipped)
        fprintf(f, " (%zu rows skipped: their label is not one of the model's)", skipped);
    fputs(".</p>\n<table class=\"num\"><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th>"
          "<th>support</th></tr>\n", f);
    for (int k = 0; k < K; k++) {
        const rnnkit_class_metrics *c = &s->per_class[k];
        fputs("<tr><td>", f);
        cli_html_esc(f, rnnkit_model_label(m, k));
        fprintf(f, "</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%lld</td></tr>\n", c->precision, c->recall,
                c->f1, (long long)c->support);
    }
    fprintf(f, "<tr><td><i>macro</i></td><td></td><td></td><td>%.4f</td><td>%zu</td></tr></table>\n", s->macro_f1,
            s->n);
    fputs("<h3>Confusion matrix</h3>\n<p>Rows: true label; columns: predicted.</p>\n"
          "<table id=\"confusion\" class=\"num\"><tr><th></th>", f);
    for (int j = 0; j < K; j++) {
        fputs("<th>", f);
        cli_html_esc(f, rnnkit_model_label(m, j));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int k = 0; k < K; k++) {
        const int64_t sup = s->per_class[k].support;
        fputs("<tr><th>", f);
        cli_html_esc(f, rnnkit_model_label(m, k));
        fputs("</th>", f);
        for (int j = 0; j < K; j++) {
            int64_t c = conf[(size_t)k * K + j];
            double share = sup ? (double)c / (double)sup : 0;
            fprintf(f, "<td style=\"background:rgba(%s,%.3f)\">%lld</td>", j == k ? "31,119,180" : "214,39,40",
                    0.08 + 0.6 * share, (long long)c);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

static void write_config(FILE *f, rnnkit_model *m)
{
    const rnnkit_model_config *c = rnnkit_model_get_config(m);
    int cls = c->task == RNNKIT_TASK_CLASSIFY;
    const rnnkit_tok_config *tc = rnnkit_vocab_config(rnnkit_model_vocab(m));
    fputs("<section id=\"config\"><h2>Configuration</h2>\n<table>\n", f);
    fprintf(f, "<tr><th>task</th><td>%s</td></tr>\n", cls ? "classifier" : "generator");
    fprintf(f, "<tr><th>network</th><td>embedding %d &rarr; %s%s %s &times; %d layer%s, hidden %d", c->embed,
            cls && c->bidirectional ? "bidirectional " : "", rnnkit_cell_name(c->cell),
            c->cell == RNNKIT_CELL_LSTM ? "" : "", c->layers, c->layers > 1 ? "s" : "", c->hidden);
    if (cls)
        fprintf(f, " &rarr; %s pooling", rnnkit_pool_name(c->pool));
    fprintf(f, " &rarr; dense %d</td></tr>\n", cls ? rnnkit_model_num_labels(m) : (int)rnnkit_vocab_size(rnnkit_model_vocab(m)));
    fprintf(f, "<tr><th>parameters</th><td>%zu</td></tr>\n", rnnkit_model_num_params(m));
    if (rnnkit_model_num_members(m) > 1)
        fprintf(f, "<tr><th>ensemble</th><td>%d networks of this shape, probabilities averaged (%d trained); the "
                "curves below are the first one's</td></tr>\n", rnnkit_model_num_members(m), rnnkit_model_num_ready(m));
    fprintf(f, "<tr><th>dropout</th><td>%g (embeddings %g)</td></tr>\n", (double)c->dropout, (double)c->embed_dropout);
    if (c->cell == RNNKIT_CELL_LSTM)
        fprintf(f, "<tr><th>forget-gate bias at init</th><td>%g</td></tr>\n", (double)c->forget_bias);
    if (cls)
        fprintf(f, "<tr><th>maxlen</th><td>%d%s</td></tr>\n", c->maxlen,
                c->maxlen ? (c->keep_last ? " (a longer document keeps its last tokens)" : " (keeps its first tokens)")
                          : " (no cap)");
    fprintf(f, "<tr><th>vocabulary</th><td>%lld ids, %s level, %s%s%s%s</td></tr>\n",
            (long long)rnnkit_vocab_size(rnnkit_model_vocab(m)), tc->level == RNNKIT_LEVEL_CHAR ? "character" : "word",
            tc->normalize == RNNKIT_NORM_NFKC ? "NFKC" : tc->normalize == RNNKIT_NORM_NFC ? "NFC" : "no normalisation",
            tc->lowercase ? ", case-folded" : "", tc->drop_punct ? ", punctuation dropped" : "",
            tc->split_clitics ? ", clitics split" : "");
    if (cls) {
        fputs("<tr><th>labels</th><td>", f);
        for (int k = 0; k < rnnkit_model_num_labels(m); k++) {
            if (k)
                fputs(", ", f);
            cli_html_esc(f, rnnkit_model_label(m, k));
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

static void write_curves(FILE *f, const log_table *lt, rnnkit_task task)
{
    const int cls = task == RNNKIT_TASK_CLASSIFY, fc = task == RNNKIT_TASK_FORECAST;
    fputs("<section id=\"curves\"><h2>Training</h2>\n", f);
    if (lt->n == 0) {
        fputs("<p>This model file holds no training log (imported, or saved without one).</p></section>\n", f);
        return;
    }
    double *buf = malloc((size_t)lt->n * 5 * sizeof *buf);
    if (!buf) {
        fputs("<p>(out of memory drawing the curves)</p></section>\n", f);
        return;
    }
    double *x = buf, *tl = buf + lt->n, *vl = buf + 2 * lt->n, *ta = buf + 3 * lt->n, *va = buf + 4 * lt->n;
    for (int i = 0; i < lt->n; i++) {
        x[i] = cls || fc ? (double)lt->r[i].epoch : (double)lt->r[i].step;
        tl[i] = lt->r[i].train_loss;
        vl[i] = lt->r[i].valid_loss;
        ta[i] = lt->r[i].train_acc;
        va[i] = lt->r[i].valid_acc;
    }
    series loss[2] = {{"train loss", "#1f77b4", NULL, tl}, {"validation loss", "#d62728", "6 4", vl}};
    cli_svg_chart(f, "loss-curve",
                  cls  ? "Loss (cross-entropy, nats)"
                  : fc ? "Loss (mean squared error, scaled units)"
                       : "Loss (nats per character)",
                  cls || fc ? "epoch" : "step", x, lt->n, loss, 2);
    if (cls) {
        series acc[2] = {{"train accuracy", "#1f77b4", NULL, ta}, {"validation accuracy", "#d62728", "6 4", va}};
        cli_svg_chart(f, "accuracy-curve", "Accuracy", "epoch", x, lt->n, acc, 2);
    }
    free(buf);
    fputs("<h3>Training log</h3>\n<table class=\"num\"><tr><th>epoch</th><th>step</th><th>train loss</th>"
          "<th>train acc</th><th>valid loss</th><th>valid acc</th><th>seconds</th><th>lr</th></tr>\n", f);
    for (int i = 0; i < lt->n; i++) {
        const rnnkit_log_row *r = &lt->r[i];
        fprintf(f, "<tr><td>%d</td><td>%lld</td>", r->epoch, (long long)r->step);
        double v[6] = {r->train_loss, r->train_acc, r->valid_loss, r->valid_acc, r->seconds, r->lr};
        for (int j = 0; j < 6; j++) {
            if (isfinite(v[j]))
                fprintf(f, "<td>%.*g</td>", j == 4 ? 4 : 5, v[j]);
            else
                fputs("<td>&ndash;</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

/* The page, start to end. */
static void write_page(FILE *f, rnnkit_model *m, const report_args *a, const log_table *lt,
                       const rnnkit_metrics *scores, size_t skipped, const cli_fc *fcr)
{
    const rnnkit_task task = rnnkit_model_get_config(m)->task;
    const char *base = strrchr(a->model, '/') ? strrchr(a->model, '/') + 1 : a->model;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"generator\" content=\"rnnkit\">\n<title>", f);
    cli_html_esc(f, a->title ? a->title : base);
    fputs("</title>\n<style>\n"
          "body{font:15px/1.45 system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}\n"
          "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;"
          "text-align:left}\n"
          "table.num td{text-align:right;font-variant-numeric:tabular-nums}\n"
          "figure{margin:1em 0}svg text{font:12px sans-serif;fill:#333}svg text.title{font-weight:bold;"
          "font-size:14px}\n"
          "svg text.tick{fill:#666;font-size:11px}\n"
          "</style></head><body>\n<h1>", f);
    cli_html_esc(f, a->title ? a->title : base);
    fputs("</h1>\n<p>rnnkit ", f);
    cli_html_esc(f, rnnkit_version());
    fputs(" report for <code>", f);
    cli_html_esc(f, a->model);
    fputs("</code>.</p>\n", f);
    if (task == RNNKIT_TASK_FORECAST) {
        cli_fc_config(f, m);
        if (a->csv)
            cli_fc_write(f, m, fcr, a->csv);
        else
            cli_fc_no_series(f);
    } else {
        write_config(f, m);
    }
    write_curves(f, lt, task);
    if (a->data)
        write_scores(f, m, a->data, scores, skipped);
    fputs("</body></html>\n", f);
}

/* Builds the page in memory and writes it to a->out (atomically; "-": stdout). */
static int write_report(rnnkit_model *m, const report_args *a, const log_table *lt, const rnnkit_metrics *scores,
                        size_t skipped, const cli_fc *fcr)
{
    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (!f)
        return cli_failf("%s: out of memory", a->out);
    write_page(f, m, a, lt, scores, skipped, fcr);
    int bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        free(page);
        return cli_failf("%s: out of memory building the page", a->out);
    }
    int rc = CLI_EXIT_OK;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    if (!strcmp(a->out, "-")) {
        if (fwrite(page, 1, len, stdout) != len || fflush(stdout) != 0)
            rc = cli_failf("-: write failed");
    } else if (rnnkit_write_file_atomic(a->out, page, len, &err)) {
        rc = cli_fail(&err);
    }
    free(page);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    report_args a = {0};
    int first = 0, rc = cli_parse_flags(&report_cmd, argc, argv, report_flag, &a, &first);
    if (rc != CLI_GO)
        return rc;
    const char *name = report_cmd.name;
    if (!a.model)
        return cli_usage(name, "-m MODEL.db is required");
    if (!a.out)
        return cli_usage(name, "-o REPORT.html is required");
    if (first != argc)
        return cli_usage(name, "unexpected argument '%s'", argv[first]);
    const char *inputs[] = {a.model, a.data, a.csv};
    if ((rc = cli_check_output(a.out, RNNKIT_FILE_REPORT, 0, inputs, 3, a.force)) != CLI_GO)
        return rc;

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (rnnkit_model_load(a.model, -1, &m, &err))
        return cli_fail(&err);
    const rnnkit_task task = rnnkit_model_get_config(m)->task;
    if (a.data && task != RNNKIT_TASK_CLASSIFY) {
        rnnkit_model_free(m);
        return cli_usage(name, "--data: scores are for classifiers; %s is a %s", a.model,
                         task == RNNKIT_TASK_FORECAST ? "forecaster (give its series with --csv)" : "generator");
    }
    if (a.csv && task != RNNKIT_TASK_FORECAST) {
        rnnkit_model_free(m);
        return cli_usage(name, "--csv: a series is for forecasters; %s is a %s", a.model,
                         task == RNNKIT_TASK_CLASSIFY ? "classifier (give labelled data with --data)" : "generator");
    }
    cli_fc fcr;
    memset(&fcr, 0, sizeof fcr);
    log_table lt = {NULL, 0};
    rnnkit_metrics scores = {0};
    size_t skipped = 0;
    rc = CLI_EXIT_FAIL;
    /* an ensemble's curves: its first member's */
    if (rnnkit_model_read_log(a.model, 0, &lt.r, &lt.n, &err))
        rc = cli_fail(&err);
    else if ((!a.data || score_data(m, a.data, &scores, &skipped) == CLI_EXIT_OK) &&
             (!a.csv || cli_fc_prepare(m, a.csv, a.fill, &fcr) == CLI_EXIT_OK))
        rc = write_report(m, &a, &lt, &scores, skipped, &fcr);
    cli_fc_free(&fcr);
    free(lt.r);
    rnnkit_metrics_free(&scores);
    rnnkit_model_free(m);
    return rc;
}
