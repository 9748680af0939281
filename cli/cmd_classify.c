/*
 * cli/cmd_classify.c: `rnnkit classify predict | eval` and the dispatch of
 * `rnnkit classify <verb>` (train is cli/cmd_classify_train.c). Flags and
 * output only: documents are read and encoded by rnnkit_docs, scores come
 * from rnnkit/metrics.h.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/dataset.h"
#include "rnnkit/metrics.h"

static const cli_use predict_uses[] = {
    CLI_USE_H(CF_MODEL, NULL, "the classifier"),
    CLI_USE_H(CF_JSON, NULL, "one JSON object per document instead of tab-separated text"),
    CLI_USE_H(CF_TOP_K, "1", "print the K most probable labels"),
    CLI_USE(CF_MEMBER),
    CLI_USE(CF_INT8),
    CLI_USE(CF_THREADS),
    CLI_USES_END,
};
static const cli_renamed predict_renamed[] = {{"format", "json"}, {NULL, NULL}};
static const cli_command predict_cmd = {
    "classify predict",
    "usage: rnnkit classify predict -m MODEL.db [options] FILE|DIR|- ...\n"
    "\n"
    "Each FILE is one document; a DIR is walked (files sorted by name); `-` reads\n"
    "stdin with one document per line. Prints path<TAB>label<TAB>probability.\n"
    "\n",
    predict_uses, predict_renamed};

static const cli_use eval_uses[] = {
    CLI_USE_H(CF_MODEL, NULL, "the classifier"),
    CLI_USE_D(CF_FORMAT, "auto"),
    CLI_USE(CF_SKIP_BAD),
    CLI_USE_H(CF_JSON, NULL, "print one JSON object instead of a table"),
    CLI_USE(CF_MEMBER),
    CLI_USE(CF_INT8),
    CLI_USE(CF_THREADS),
    CLI_USES_END,
};
static const cli_command eval_cmd = {
    "classify eval",
    "usage: rnnkit classify eval -m MODEL.db [options] DATA\n"
    "\n"
    "DATA is labelled as for training (label<TAB>text, fastText lines or a directory).\n"
    "Prints accuracy, per-label precision/recall/F1, macro F1 and the confusion matrix.\n"
    "\n",
    eval_uses, NULL};

/* What predict and eval share: -m, --member, --int8, --threads, --json. */
typedef struct use_args {
    const char *model;
    int member, json, top_k, skip_bad, int8;
    rnnkit_corpus_format format;
    cli_output_opts out;
} use_args;

/* Parses the flags; CLI_GO and the first operand in *operand, or the exit status. */
static int parse_use(const cli_command *cmd, int argc, char **argv, use_args *a, int *operand)
{
    memset(a, 0, sizeof *a);
    a->top_k = 1;
    a->out.threads = 1;
    cli_parser p;
    cli_value v;
    int id;
    cli_parser_init(&p, cmd, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0) {
        if (cli_output_flag(id, &v, &a->out))
            continue;
        switch (id) {
        case CF_MODEL: a->model = v.s; break;
        case CF_MEMBER: a->member = (int)v.i; break;
        case CF_JSON: a->json = 1; break;
        case CF_TOP_K: a->top_k = (int)v.i; break;
        case CF_SKIP_BAD: a->skip_bad = 1; break;
        case CF_INT8: a->int8 = 1; break;
        case CF_FORMAT: a->format = (rnnkit_corpus_format)v.i; break;
        }
    }
    if (id == CLI_STOP)
        return p.rc;
    if (!a->model)
        return cli_usage(cmd->name, "-m MODEL.db is required");
    *operand = p.operand;
    cli_blas_one_thread();
    return CLI_GO;
}

/* Parses the flags and loads the classifier (--member N keeps that network
 * of an ensemble alone; --int8 turns int8 prediction on); CLI_GO, or the exit status. `operands`: how many
 * operands the verb needs at least (exactly, when `exact`). */
static int open_classifier(const cli_command *cmd, int argc, char **argv, int operands, int exact, use_args *a,
                           int *first, rnnkit_model **m)
{
    int rc = parse_use(cmd, argc, argv, a, first);
    if (rc != CLI_GO)
        return rc;
    if (exact ? argc - *first != operands : argc - *first < operands)
        return cli_usage(cmd->name, exact ? "give exactly one labelled DATA file or directory"
                                          : "no input: give files, directories or -");
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_status st = rnnkit_model_load(a->model, RNNKIT_TASK_CLASSIFY, m, &err);
    if (!st) {
        st = cli_keep_member(*m, a->model, a->member, &err);
        if (!st && a->int8 && (st = rnnkit_model_set_int8(*m, 1, &err)))
            rnnkit_error_prefix(&err, "%s: --int8", a->model);
        if (st) {
            rnnkit_model_free(*m);
            *m = NULL;
        }
    }
    return st ? cli_fail(&err) : CLI_GO;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* One document's line: its top_k labels by probability. */
static void print_prediction(const use_args *a, rnnkit_model *m, const char *name, const float *p, int *order)
{
    const int K = rnnkit_model_num_labels(m), top_k = a->top_k < K ? a->top_k : K;
    for (int k = 0; k < K; k++)
        order[k] = k;
    for (int i = 0; i < top_k; i++) /* partial selection sort: top_k is small */
        for (int j = i + 1; j < K; j++)
            if (p[order[j]] > p[order[i]]) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    if (a->json) {
        fputs("{\"path\":", stdout);
        json_str(stdout, name);
        fputs(",\"labels\":[", stdout);
        for (int i = 0; i < top_k; i++) {
            fputs(i ? ",{\"label\":" : "{\"label\":", stdout);
            json_str(stdout, rnnkit_model_label(m, order[i]));
            printf(",\"probability\":%.6f}", (double)p[order[i]]);
        }
        fputs("]}\n", stdout);
    } else {
        fputs(name, stdout);
        for (int i = 0; i < top_k; i++)
            printf("\t%s\t%.6f", rnnkit_model_label(m, order[i]), (double)p[order[i]]);
        fputc('\n', stdout);
    }
}

/* predict on the loaded model m: the documents named by inputs[0..n). */
static int predict(const use_args *a, rnnkit_model *m, char **inputs, int n_inputs)
{
    int rc = CLI_EXIT_OK;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_docs *docs = NULL;
    float *probs = NULL;
    int *order = NULL;
    const int K = rnnkit_model_num_labels(m);
    rnnkit_status st = rnnkit_docs_new(1, &docs, &err);
    for (int i = 0; !st && i < n_inputs; i++) {
        rnnkit_walk_stats before = rnnkit_docs_walk_stats(docs);
        st = rnnkit_docs_add_path(docs, rnnkit_model_vocab(m), inputs[i], &err);
        rnnkit_walk_stats after = rnnkit_docs_walk_stats(docs);
        cli_report_skipped(inputs[i], after.special - before.special, after.loops - before.loops);
    }
    size_t n = st ? 0 : rnnkit_docs_size(docs);
    if (!st) {
        probs = malloc((n ? n : 1) * (size_t)K * sizeof(float));
        order = malloc((size_t)K * sizeof(int));
        if (!probs || !order)
            st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    if (!st) {
        rnnkit_dataset d = rnnkit_docs_view(docs);
        const rnnkit_model_config *mc = rnnkit_model_get_config(m);
        st = rnnkit_classifier_predict(m, &d, mc->maxlen, mc->keep_last, probs, &err);
    }
    if (st)
        rc = cli_fail(&err);
    for (size_t i = 0; !st && i < n; i++)
        print_prediction(a, m, rnnkit_docs_name(docs, i), probs + i * (size_t)K, order);
    free(probs);
    free(order);
    rnnkit_docs_free(docs);
    return rc;
}

static void print_eval(const use_args *a, rnnkit_model *m, const rnnkit_metrics *s, double acc, double loss)
{
    const int K = s->num_classes;
    if (a->json)
        printf("{\"documents\":%zu,\"accuracy\":%.6f,\"loss\":%.6f,\"labels\":[", s->n, acc, loss);
    else
        printf("documents\t%zu\naccuracy\t%.4f\nloss\t%.4f\n\n%-16s %9s %9s %9s %9s\n", s->n, acc, loss, "label",
               "precision", "recall", "f1", "support");
    for (int k = 0; k < K; k++) {
        const rnnkit_class_metrics *c = &s->per_class[k];
        if (a->json) {
            fputs(k ? ",{\"label\":" : "{\"label\":", stdout);
            json_str(stdout, rnnkit_model_label(m, k));
            printf(",\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"support\":%lld}", c->precision, c->recall,
                   c->f1, (long long)c->support);
        } else {
            printf("%-16s %9.4f %9.4f %9.4f %9lld\n", rnnkit_model_label(m, k), c->precision, c->recall, c->f1,
                   (long long)c->support);
        }
    }
    if (a->json) {
        printf("],\"macro_f1\":%.6f,\"confusion\":[", s->macro_f1);
        for (int k = 0; k < K; k++) {
            fputs(k ? ",[" : "[", stdout);
            for (int j = 0; j < K; j++)
                printf(j ? ",%lld" : "%lld", (long long)s->confusion[(size_t)k * K + j]);
            fputc(']', stdout);
        }
        fputs("]}\n", stdout);
        return;
    }
    printf("\nmacro F1\t%.4f\n\nconfusion (rows: true, columns: predicted)\n%-16s", s->macro_f1, "");
    for (int j = 0; j < K; j++)
        printf(" %9.9s", rnnkit_model_label(m, j));
    fputc('\n', stdout);
    for (int k = 0; k < K; k++) {
        printf("%-16.16s", rnnkit_model_label(m, k));
        for (int j = 0; j < K; j++)
            printf(" %9lld", (long long)s->confusion[(size_t)k * K + j]);
        fputc('\n', stdout);
    }
}

/* eval of the loaded model m on the labelled data inputs[0]. */
static int eval(const use_args *a, rnnkit_model *m, char **inputs, int n_inputs)
{
    (void)n_inputs;
    int rc = CLI_EXIT_OK;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_corpus *corpus = NULL;
    rnnkit_corpus_options co = {.format = a->format, .skip_bad = a->skip_bad, .labelled = 1};
    if (rnnkit_corpus_load(inputs[0], &co, &corpus, &err))
        return cli_fail(&err);
    cli_report_skipped(inputs[0], rnnkit_corpus_special_files(corpus), 0);
    const int K = rnnkit_model_num_labels(m);
    rnnkit_docs *docs = NULL;
    float *probs = NULL;
    rnnkit_metrics scores = {0};
    double loss = 0, acc = 0;
    rnnkit_status st = rnnkit_docs_new(0, &docs, &err);
    if (!st)
        st = rnnkit_docs_add_rows(docs, m, corpus, NULL, rnnkit_corpus_size(corpus), &err);
    rnnkit_dataset d = st ? (rnnkit_dataset){0} : rnnkit_docs_view(docs);
    if (!st && !(probs = malloc((d.n ? d.n : 1) * (size_t)K * sizeof(float))))
        st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
    const rnnkit_model_config *mc = rnnkit_model_get_config(m);
    if (!st)
        st = rnnkit_classifier_evaluate(m, &d, mc->maxlen, mc->keep_last, &loss, &acc, &err);
    if (!st)
        st = rnnkit_classifier_predict(m, &d, mc->maxlen, mc->keep_last, probs, &err);
    if (!st)
        st = rnnkit_metrics_from_probs(d.label, probs, d.n, K, &scores, &err);
    if (st)
        rc = cli_fail(&err);
    else
        print_eval(a, m, &scores, acc, loss);
    rnnkit_metrics_free(&scores);
    free(probs);
    rnnkit_docs_free(docs);
    rnnkit_corpus_free(corpus);
    return rc;
}

/* Parses, loads the classifier, runs fn on the operands, frees. */
typedef int (*use_fn)(const use_args *a, rnnkit_model *m, char **inputs, int n);
static int run_classifier(const cli_command *cmd, int argc, char **argv, int exact, use_fn fn)
{
    use_args a;
    rnnkit_model *m = NULL;
    int first = 0, rc = open_classifier(cmd, argc, argv, 1, exact, &a, &first, &m);
    if (rc != CLI_GO)
        return rc;
    rc = fn(&a, m, argv + first, argc - first);
    rnnkit_model_free(m);
    return rc;
}

static int cmd_predict(int argc, char **argv) { return run_classifier(&predict_cmd, argc, argv, 0, predict); }
static int cmd_eval(int argc, char **argv) { return run_classifier(&eval_cmd, argc, argv, 1, eval); }

int cmd_classify(int argc, char **argv)
{
    static const cli_verb verbs[] = {
        {"train", cmd_classify_train, "train a classifier from labelled text"},
        {"predict", cmd_predict, "classify files, a directory of files, or stdin lines"},
        {"eval", cmd_eval, "accuracy, per-label precision/recall/F1 and confusion matrix"},
        {NULL, NULL, NULL}};
    return cli_dispatch("classify", verbs, argc, argv);
}
