/*
 * cli/cmd_import.c: `rnnkit import`: safetensors weights (e.g. trained in
 * PyTorch) + an rnnkit vocabulary -> an rnnkit model file. The command
 * parses its flags; the library reads the metadata, applies --config and
 * builds the model (rnnkit_model_import_safetensors_file). A forecaster
 * takes no vocabulary: --vocab is required only when the task needs one.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

static const cli_use import_uses[] = {
    CLI_USE(CF_IMPORT_FORMAT),
    CLI_USE_H(CF_VOCAB, NULL, "the vocabulary the embedding rows follow (its size must\nequal the rows of embedding.weight); not for a forecaster"),
    CLI_USE_H(CF_OUTPUT, NULL, "the model file to write (atomically)"),
    CLI_USE(CF_FORCE),
    CLI_USE(CF_CONFIG),
    CLI_USE_H(CF_LABELS, NULL, "the classifier's labels in output order (otherwise the\nmetadata's `labels`)"),
    CLI_USES_END,
};
static const cli_command import_cmd = {
    "import",
    "usage: rnnkit import --format safetensors IN [--vocab VOCAB.db] -o MODEL.db [options]\n"
    "\n"
    "Builds an rnnkit model file from weights trained elsewhere (e.g. PyTorch):\n"
    "tensors named as a torch module with submodules embedding (nn.Embedding),\n"
    "rnn (nn.LSTM/GRU/RNN, batch_first or not) and fc (nn.Linear) would name them.\n"
    "The configuration comes from the file's metadata (as `rnnkit export` writes\n"
    "it), then from --config, which wins. Every tensor must match the configuration.\n"
    "A forecaster (task=forecast: modules rnn and fc, no embedding) takes no\n"
    "vocabulary; its series spec (differencing, scaler, columns) comes from the\n"
    "metadata only.\n"
    "\n",
    import_uses, NULL};

typedef struct import_args {
    const char *vocab, *out, *config, *labels;
    int have_format, force;
} import_args;

static void import_flag(void *ctx, int id, const cli_value *v)
{
    import_args *a = ctx;
    switch (id) {
    case CF_IMPORT_FORMAT: a->have_format = 1; break; /* safetensors, the only word */
    case CF_VOCAB: a->vocab = v->s; break;
    case CF_OUTPUT: a->out = v->s; break;
    case CF_FORCE: a->force = 1; break;
    case CF_CONFIG: a->config = v->s; break;
    case CF_LABELS: a->labels = v->s; break;
    }
}

typedef struct labels_arg_list {
    char **s;
    int n;
} labels_arg_list;

/* Splits --labels A,B,... into l. Returns 0; 1 with l->n = -1 for an empty
 * label, 1 otherwise when out of memory (l holds what was split). */
static int split_labels(const char *arg, labels_arg_list *l)
{
    for (const char *p = arg;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0) {
            for (int i = 0; i < l->n; i++)
                free(l->s[i]);
            free(l->s);
            l->s = NULL;
            l->n = -1;
            return 1;
        }
        char **g = realloc(l->s, (size_t)(l->n + 1) * sizeof *g);
        if (!g)
            return 1;
        l->s = g;
        if (!(l->s[l->n] = strndup(p, len)))
            return 1;
        l->n++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int cmd_import(int argc, char **argv)
{
    import_args a = {0};
    int first = 0, rc = cli_parse_flags(&import_cmd, argc, argv, import_flag, &a, &first);
    if (rc != CLI_GO)
        return rc;
    const char *name = import_cmd.name, *vocab_path = a.vocab, *out = a.out, *config = a.config,
               *labels_arg = a.labels;
    if (!a.have_format)
        return cli_usage(name, "--format safetensors is required");
    if (!out)
        return cli_usage(name, "-o MODEL.db is required");
    if (first != argc - 1)
        return cli_usage(name, "give exactly one IN file");
    const char *in = argv[first];

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model_config scratch;
    rnnkit_model_config_default(&scratch, RNNKIT_TASK_CLASSIFY);
    if (config && rnnkit_model_config_parse(&scratch, config, &err))
        return cli_usage(name, "--config: %s", err.msg);
    labels_arg_list labels = {0};
    rc = CLI_EXIT_FAIL;
    if (labels_arg && split_labels(labels_arg, &labels)) {
        rc = labels.n < 0 ? cli_usage(name, "--labels: an empty label") : cli_failf("out of memory");
        labels.n = labels.n < 0 ? 0 : labels.n;
        goto done;
    }
    rnnkit_vocab *vocab = NULL;
    rnnkit_model *m = NULL;
    /* without --vocab the library says whether the task needs one */
    if (vocab_path && rnnkit_vocab_open(vocab_path, &vocab, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    rnnkit_import_options io = {config, labels_arg ? (const char *const *)labels.s : NULL, labels.n};
    if (rnnkit_model_import_safetensors_file(in, vocab, &io, &m, &err)) {
        if (err.status == RNNKIT_ERR_ARG && !vocab_path && strstr(err.msg, "needs the vocabulary"))
            rc = cli_usage(name, "--vocab VOCAB.db is required: %s", err.msg);
        else
            rc = err.status == RNNKIT_ERR_ARG ? cli_usage(name, "%s", err.msg) : cli_fail(&err);
        goto done;
    }
    const char *inputs[] = {in, vocab_path};
    rc = cli_check_output(out, RNNKIT_FILE_MODEL, rnnkit_model_get_config(m)->task, inputs, 2, a.force);
    if (rc != CLI_GO) {
        /* refused: the message is out */
    } else if (rnnkit_model_save(m, out, &err)) {
        rc = cli_fail(&err);
    } else {
        const rnnkit_model_config *cfg = rnnkit_model_get_config(m);
        fprintf(stderr, "rnnkit: wrote %s (%s %s, %zu parameters)\n", out,
                rnnkit_task_noun(cfg->task),
                rnnkit_cell_name(cfg->cell),
                rnnkit_model_num_params(m));
        rc = CLI_EXIT_OK;
    }
    rnnkit_model_free(m);
done:
    for (int i = 0; i < labels.n; i++)
        free(labels.s[i]);
    free(labels.s);
    return rc;
}
