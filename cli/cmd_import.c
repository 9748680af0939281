/*
 * cli/cmd_import.c: `rnnkit import`: safetensors weights (e.g. trained in
 * PyTorch) + an rnnkit vocabulary -> an rnnkit model file. The command
 * parses its flags; the library reads the metadata, applies --config and
 * builds the model (rnnkit_model_import_safetensors_file). A forecaster
 * takes no vocabulary: --vocab is required only when the task needs one.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

static const char usage_import[] =
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
    "\n"
    "  -f, --format F       safetensors (the only one)\n"
    "  --vocab FILE         the vocabulary the embedding rows follow (its size must\n"
    "                       equal the rows of embedding.weight); not for a forecaster\n"
    "  -o, --output FILE    the model file to write (atomically)\n"
    "  --config K=V,...     task=classify|generate|forecast, cell=lstm|gru|rnn, embed=N,\n"
    "                       hidden=N, layers=N, bidirectional=0|1, pool=last|mean|max,\n"
    "                       dropout=F, embed_dropout=F, weight_drop=F, maxlen=N,\n"
    "                       keep_last=0|1; a forecaster's inputs=N, lookback=N, horizon=N\n"
    "  --labels A,B,...     the classifier's labels in output order (otherwise the\n"
    "                       metadata's `labels`)\n"
    "  -h, --help           this help\n";

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
    const char *vocab_path = NULL, *out = NULL, *config = NULL, *labels_arg = NULL;
    int have_format = 0;
    static const struct option opts[] = {{"format", required_argument, 0, 'f'}, {"vocab", required_argument, 0, 'v'},
                                          {"output", required_argument, 0, 'o'}, {"config", required_argument, 0, 'c'},
                                          {"labels", required_argument, 0, 'l'}, {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "safetensors"))
                return cli_usage_error(usage_import, "--format: unknown format '%s'", optarg);
            have_format = 1;
            break;
        case 'v': vocab_path = optarg; break;
        case 'o': out = optarg; break;
        case 'c': config = optarg; break;
        case 'l': labels_arg = optarg; break;
        case 'h': fputs(usage_import, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_import, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_import, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!have_format)
        return cli_usage_error(usage_import, "--format safetensors is required");
    if (!out)
        return cli_usage_error(usage_import, "-o MODEL.db is required");
    if (optind != argc - 1)
        return cli_usage_error(usage_import, "give exactly one IN file");
    const char *in = argv[optind];

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model_config scratch;
    rnnkit_model_config_default(&scratch, RNNKIT_TASK_CLASSIFY);
    if (config && rnnkit_model_config_parse(&scratch, config, &err))
        return cli_usage_error(usage_import, "--config: %s", err.msg);
    labels_arg_list labels = {0};
    int rc = CLI_EXIT_FAIL;
    if (labels_arg && split_labels(labels_arg, &labels)) {
        rc = labels.n < 0 ? cli_usage_error(usage_import, "--labels: an empty label") : cli_failf("out of memory");
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
            rc = cli_usage_error(usage_import, "--vocab VOCAB.db is required: %s", err.msg);
        else
            rc = err.status == RNNKIT_ERR_ARG ? cli_usage_error(usage_import, "%s", err.msg) : cli_fail(&err);
        goto done;
    }
    if (rnnkit_model_save(m, out, &err)) {
        rc = cli_fail(&err);
    } else {
        const rnnkit_model_config *cfg = rnnkit_model_get_config(m);
        fprintf(stderr, "rnnkit: wrote %s (%s %s, %zu parameters)\n", out,
                cfg->task == RNNKIT_TASK_CLASSIFY   ? "classifier"
                : cfg->task == RNNKIT_TASK_GENERATE ? "generator"
                                                    : "forecaster",
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
