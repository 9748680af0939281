/*
 * cli/cmd_report.c: `rnnkit report`: one self-contained HTML page:
 * configuration, training and validation curves (inline SVG) from the
 * model's training log (rnnkit_model_read_log) and, for a classifier given
 * labelled data, the confusion matrix and per-label scores; for a
 * forecaster given its series (--csv), the plot of the series, fit and
 * forecasts and the errors beside the baselines (cli/report_forecast.c).
 * The page is written to a temporary file beside the target and renamed
 * over it; `-` is stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/report_forecast.h"
#include "cli/report_svg.h"
#include "rnnkit/corpus.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

/* ====================================================================== */
/* Output files: temporary + rename; "-" is stdout. */

typedef struct out_file {
    const char *path;
    char *tmp; /* NULL for stdout */
    FILE *f;
} out_file;

static int out_open(out_file *o, const char *path)
{
    o->path = path;
    o->tmp = NULL;
    o->f = NULL;
    if (!strcmp(path, "-")) {
        o->f = stdout;
        return 0;
    }
    if (asprintf(&o->tmp, "%s.tmp-XXXXXX", path) < 0) {
        o->tmp = NULL;
        return cli_failf("%s: out of memory", path);
    }
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        return cli_failf("%s: cannot create a temporary file beside it: %s", path, strerror(e));
    }
    fchmod(fd, 0644);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        return cli_failf("%s: %s", path, strerror(e));
    }
    return 0;
}

/* Finishes the file: with ok, flushes and renames (returns nonzero after a
 * message if that fails); without, discards it. */
static int out_close(out_file *o, int ok)
{
    if (!o->f)
        return 1;
    if (!o->tmp) {
        int bad = fflush(stdout) != 0 || ferror(stdout);
        o->f = NULL;
        return (ok && bad) ? cli_failf("-: write failed") : !ok;
    }
    int bad = !ok;
    if (ok && (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)) {
        cli_failf("%s: write failed: %s", o->path, strerror(errno));
        bad = 1;
    }
    if (fclose(o->f) != 0 && !bad) {
        cli_failf("%s: write failed: %s", o->path, strerror(errno));
        bad = 1;
    }
    o->f = NULL;
    if (!bad && rename(o->tmp, o->path) != 0) {
        cli_failf("%s: cannot replace: %s", o->path, strerror(errno));
        bad = 1;
    }
    if (bad)
        unlink(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    return bad;
}

static const char usage_report[] =
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
    "\n"
    "  -m, --model FILE     the model\n"
    "  -o, --output FILE    the page to write (atomically; `-` = stdout)\n"
    "  --data FILE          labelled data for the classifier's scores (TSV, fastText\n"
    "                       or a directory; see `rnnkit classify eval`)\n"
    "  --csv FILE           the forecaster's series (CSV; its columns are found by the\n"
    "                       names the model was trained with)\n"
    "  --fill POLICY        missing cells in --csv: none (an error), previous, linear\n"
    "  --title TEXT         page title (default: the model file's name)\n"
    "  -h, --help           this help\n";

typedef struct log_table {
    rnnkit_log_row *r;
    int n;
} log_table;

/* Encodes and classifies `data`; fills conf [K][K] (rows true, columns
 * predicted). *skipped counts rows whose label the model does not know. */
static int score_data(rnnkit_model *m, const char *data, int64_t *conf, size_t *skipped, size_t *used)
{
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_corpus *corpus = NULL;
    rnnkit_corpus_options co = {.format = RNNKIT_CORPUS_AUTO, .skip_bad = 0, .labelled = 1};
    if (rnnkit_corpus_load(data, &co, &corpus, &err))
        return cli_fail(&err);
    const rnnkit_model_config *mc = rnnkit_model_get_config(m);
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    size_t n = rnnkit_corpus_size(corpus), nids = 0, cap = 1024, nd = 0;
    size_t *off = malloc((n + 1) * sizeof *off);
    int32_t *lab = malloc((n ? n : 1) * sizeof *lab);
    int32_t *ids = malloc(cap * sizeof *ids);
    float *probs = NULL;
    int rc = CLI_EXIT_FAIL;
    const int K = rnnkit_model_num_labels(m);
    *skipped = 0;
    if (!off || !lab || !ids) {
        cli_failf("%s: out of memory", data);
        goto done;
    }
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        int k = rnnkit_model_find_label(m, rnnkit_corpus_label(corpus, i));
        if (k < 0) {
            (*skipped)++;
            continue;
        }
        size_t len = 0, got = 0;
        const char *text = rnnkit_corpus_text(corpus, i, &len);
        for (;;) {
            size_t room = cap - nids;
            if (mc->maxlen > 0 && room > (size_t)mc->maxlen)
                room = (size_t)mc->maxlen;
            if (rnnkit_vocab_encode(v, text, len, rnnkit_corpus_where(corpus, i), ids + nids, room, mc->keep_last,
                                    &got, &err)) {
                cli_fail(&err);
                goto done;
            }
            size_t want = mc->maxlen > 0 && got > (size_t)mc->maxlen ? (size_t)mc->maxlen : got;
            if (want <= room)
                break;
            cap = 2 * (nids + want);
            int32_t *p = realloc(ids, cap * sizeof *p);
            if (!p) {
                cli_failf("%s: out of memory", data);
                goto done;
            }
            ids = p;
        }
        nids += mc->maxlen > 0 && got > (size_t)mc->maxlen ? (size_t)mc->maxlen : got;
        if (nids + 1 >= cap) {
            cap *= 2;
            int32_t *p = realloc(ids, cap * sizeof *p);
            if (!p) {
                cli_failf("%s: out of memory", data);
                goto done;
            }
            ids = p;
        }
        lab[nd] = k;
        off[++nd] = nids;
    }
    *used = nd;
    if (nd > 0) {
        probs = malloc(nd * (size_t)K * sizeof *probs);
        if (!probs) {
            cli_failf("%s: out of memory", data);
            goto done;
        }
        rnnkit_dataset d = {nd, off, ids, lab};
        if (rnnkit_classifier_predict(m, &d, mc->maxlen, mc->keep_last, probs, &err)) {
            cli_fail(&err);
            goto done;
        }
        for (size_t i = 0; i < nd; i++) {
            const float *p = probs + i * (size_t)K;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (p[k] > p[best])
                    best = k;
            conf[(size_t)lab[i] * (size_t)K + (size_t)best]++;
        }
    }
    rc = CLI_EXIT_OK;
done:
    free(off);
    free(lab);
    free(ids);
    free(probs);
    rnnkit_corpus_free(corpus);
    return rc;
}

static void write_scores(FILE *f, rnnkit_model *m, const char *data, const int64_t *conf, size_t used,
                         size_t skipped)
{
    const int K = rnnkit_model_num_labels(m);
    int64_t correct = 0;
    for (int k = 0; k < K; k++)
        correct += conf[(size_t)k * K + k];
    fputs("<section id=\"scores\"><h2>Scores on ", f);
    cli_html_esc(f, data);
    fprintf(f, "</h2>\n<p>%zu documents, accuracy <b>%.4f</b>", used, used ? (double)correct / (double)used : 0.0);
    if (skipped)
        fprintf(f, " (%zu rows skipped: their label is not one of the model's)", skipped);
    fputs(".</p>\n<table class=\"num\"><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th>"
          "<th>support</th></tr>\n", f);
    double macro = 0;
    for (int k = 0; k < K; k++) {
        int64_t tp = conf[(size_t)k * K + k], pred = 0, sup = 0;
        for (int j = 0; j < K; j++) {
            pred += conf[(size_t)j * K + k];
            sup += conf[(size_t)k * K + j];
        }
        double pr = pred ? (double)tp / (double)pred : 0, re = sup ? (double)tp / (double)sup : 0;
        double f1 = pr + re > 0 ? 2 * pr * re / (pr + re) : 0;
        macro += f1 / K;
        fputs("<tr><td>", f);
        cli_html_esc(f, rnnkit_model_label(m, k));
        fprintf(f, "</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%lld</td></tr>\n", pr, re, f1, (long long)sup);
    }
    fprintf(f, "<tr><td><i>macro</i></td><td></td><td></td><td>%.4f</td><td>%zu</td></tr></table>\n", macro, used);
    fputs("<h3>Confusion matrix</h3>\n<p>Rows: true label; columns: predicted.</p>\n"
          "<table id=\"confusion\" class=\"num\"><tr><th></th>", f);
    for (int j = 0; j < K; j++) {
        fputs("<th>", f);
        cli_html_esc(f, rnnkit_model_label(m, j));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int k = 0; k < K; k++) {
        int64_t sup = 0;
        for (int j = 0; j < K; j++)
            sup += conf[(size_t)k * K + j];
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
    fprintf(f, "<tr><th>vocabulary</th><td>%lld ids, %s level, %s%s%s</td></tr>\n",
            (long long)rnnkit_vocab_size(rnnkit_model_vocab(m)), tc->level == RNNKIT_LEVEL_CHAR ? "character" : "word",
            tc->normalize == RNNKIT_NORM_NFKC ? "NFKC" : tc->normalize == RNNKIT_NORM_NFC ? "NFC" : "no normalisation",
            tc->lowercase ? ", case-folded" : "", tc->drop_punct ? ", punctuation dropped" : "");
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

int cmd_report(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *data = NULL, *title = NULL, *csv = NULL;
    int fill = RNNKIT_FILL_NONE;
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"output", required_argument, 0, 'o'},
                                          {"data", required_argument, 0, 'd'}, {"title", required_argument, 0, 't'},
                                          {"csv", required_argument, 0, 'c'},  {"fill", required_argument, 0, 'f'},
                                          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 't': title = optarg; break;
        case 'c': csv = optarg; break;
        case 'f':
            if ((fill = rnnkit_fill_from_name(optarg)) < 0)
                return cli_usage_error(usage_report, "--fill: '%s' is not none, previous or linear", optarg);
            break;
        case 'h': fputs(usage_report, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_report, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_report, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!model)
        return cli_usage_error(usage_report, "-m MODEL.db is required");
    if (!out)
        return cli_usage_error(usage_report, "-o REPORT.html is required");
    if (optind != argc)
        return cli_usage_error(usage_report, "unexpected argument '%s'", argv[optind]);

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (rnnkit_model_load(model, -1, &m, &err))
        return cli_fail(&err);
    const rnnkit_task task = rnnkit_model_get_config(m)->task;
    const int cls = task == RNNKIT_TASK_CLASSIFY, fc = task == RNNKIT_TASK_FORECAST;
    if (data && !cls) {
        rnnkit_model_free(m);
        return cli_usage_error(usage_report, "--data: scores are for classifiers; %s is a %s", model,
                               fc ? "forecaster (give its series with --csv)" : "generator");
    }
    if (csv && !fc) {
        rnnkit_model_free(m);
        return cli_usage_error(usage_report, "--csv: a series is for forecasters; %s is a %s", model,
                               cls ? "classifier (give labelled data with --data)" : "generator");
    }
    log_table lt = {NULL, 0};
    int rc = CLI_EXIT_FAIL;
    int64_t *conf = NULL;
    size_t skipped = 0, used = 0;
    cli_fc fcr;
    memset(&fcr, 0, sizeof fcr);
    /* an ensemble's curves: its first member's */
    if (rnnkit_model_read_log(model, 0, &lt.r, &lt.n, &err)) {
        cli_fail(&err);
        goto done;
    }
    if (data) {
        const int K = rnnkit_model_num_labels(m);
        if (!(conf = calloc((size_t)K * (size_t)K, sizeof *conf))) {
            cli_failf("out of memory");
            goto done;
        }
        if (score_data(m, data, conf, &skipped, &used))
            goto done;
    }
    if (csv && cli_fc_prepare(m, csv, (rnnkit_fill)fill, &fcr))
        goto done;
    out_file o;
    if (out_open(&o, out))
        goto done;
    FILE *f = o.f;
    const char *base = strrchr(model, '/') ? strrchr(model, '/') + 1 : model;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    cli_html_esc(f, title ? title : base);
    fputs("</title>\n<style>\n"
          "body{font:15px/1.45 system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}\n"
          "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;"
          "text-align:left}\n"
          "table.num td{text-align:right;font-variant-numeric:tabular-nums}\n"
          "figure{margin:1em 0}svg text{font:12px sans-serif;fill:#333}svg text.title{font-weight:bold;"
          "font-size:14px}\n"
          "svg text.tick{fill:#666;font-size:11px}\n"
          "</style></head><body>\n<h1>", f);
    cli_html_esc(f, title ? title : base);
    fputs("</h1>\n<p>rnnkit ", f);
    cli_html_esc(f, rnnkit_version());
    fputs(" report for <code>", f);
    cli_html_esc(f, model);
    fputs("</code>.</p>\n", f);
    if (fc)
        cli_fc_config(f, m);
    else
        write_config(f, m);
    if (fc && csv)
        cli_fc_write(f, m, &fcr, csv);
    else if (fc)
        cli_fc_no_series(f);
    write_curves(f, &lt, task);
    if (data)
        write_scores(f, m, data, conf, used, skipped);
    fputs("</body></html>\n", f);
    rc = out_close(&o, 1) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
done:
    cli_fc_free(&fcr);
    free(lt.r);
    free(conf);
    rnnkit_model_free(m);
    return rc;
}
