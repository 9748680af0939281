/*
 * cli/cmd_export.c: `rnnkit export`: a model's weights as safetensors
 * (model/export.c), a vocabulary as vocab.txt, a Keras Tokenizer JSON or a
 * Hugging Face tokenizer.json (tokenizer/vocab_export.c). The command parses
 * its flags and calls the library, which writes files atomically.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

static const cli_use export_uses[] = {
    CLI_USE_H(CF_MODEL, NULL, "model file (its vocabulary for the vocabulary formats)"),
    CLI_USE_H(CF_VOCAB, NULL, "a vocabulary file instead (vocabulary formats only)"),
    CLI_USE_H(CF_EXPORT_FORMAT, NULL, "one of the above (required)"),
    CLI_USE_H(CF_MEMBER, NULL, "safetensors of an ensemble: its network N (1-based; a file\nholds one network)"),
    CLI_USE(CF_FORCE),
    CLI_USES_END,
};
static const cli_command export_cmd = {
    "export",
    "usage: rnnkit export (-m MODEL.db | --vocab VOCAB.db) --format F OUT\n"
    "\n"
    "Writes OUT (atomically; `-` = stdout for the text formats) in format F:\n"
    "  safetensors      the model's weights, F32, under PyTorch state_dict names\n"
    "                   (embedding.weight, rnn.weight_ih_l0, ..., fc.weight, fc.bias);\n"
    "                   the configuration and labels as string metadata\n"
    "  vocab-txt        the vocabulary, one token per line in id order (line 1 is\n"
    "                   <pad>, id 0); a line break inside a token is written \\n or \\r\n"
    "  keras-tokenizer  a Keras Tokenizer JSON (tokenizer_from_json): word_index,\n"
    "                   word_counts, index_word, config; oov_token <unk> = 1\n"
    "  hf-tokenizer     a Hugging Face tokenizers tokenizer.json with a WordLevel model,\n"
    "                   the vocabulary's normalisation and a matching pre-tokenizer\n"
    "\n",
    export_uses, NULL};

#define FMT_SAFETENSORS (-1)
#define FMT_NONE (-2)
/* --format's words, in the order of CF_EXPORT_FORMAT's: safetensors, then the rnnkit_vocab_format values */
static const int formats[] = {FMT_SAFETENSORS, RNNKIT_VOCAB_TXT, RNNKIT_VOCAB_KERAS, RNNKIT_VOCAB_HF};

typedef struct export_args {
    const char *model, *vocab;
    int format, member, force; /* format: FMT_SAFETENSORS, an rnnkit_vocab_format or FMT_NONE */
} export_args;

static void export_flag(void *ctx, int id, const cli_value *v)
{
    export_args *a = ctx;
    switch (id) {
    case CF_MODEL: a->model = v->s; break;
    case CF_VOCAB: a->vocab = v->s; break;
    case CF_EXPORT_FORMAT: a->format = formats[v->i]; break;
    case CF_MEMBER: a->member = (int)v->i; break;
    case CF_FORCE: a->force = 1; break;
    }
}

int cmd_export(int argc, char **argv)
{
    export_args a = {.format = FMT_NONE};
    int first = 0, rc = cli_parse_flags(&export_cmd, argc, argv, export_flag, &a, &first);
    if (rc != CLI_GO)
        return rc;
    const char *name = export_cmd.name, *model = a.model, *vocab_path = a.vocab;
    const int format = a.format, member = a.member;
    if (format == FMT_NONE)
        return cli_usage(name, "--format is required");
    if (!model == !vocab_path)
        return cli_usage(name, "give one of -m MODEL.db or --vocab VOCAB.db");
    if (format == FMT_SAFETENSORS && !model)
        return cli_usage(name, "--format safetensors needs -m MODEL.db");
    if (member && format != FMT_SAFETENSORS)
        return cli_usage(name, "--member goes with --format safetensors");
    if (first != argc - 1)
        return cli_usage(name, "give exactly one OUT file");
    const char *out = argv[first];
    if (format == FMT_SAFETENSORS && !strcmp(out, "-"))
        return cli_usage(name, "safetensors is binary: give a file name, not '-'");
    const int kind = format == FMT_SAFETENSORS   ? RNNKIT_FILE_SAFETENSORS
                     : format == RNNKIT_VOCAB_TXT ? RNNKIT_FILE_VOCAB_TXT
                     : format == RNNKIT_VOCAB_KERAS ? RNNKIT_FILE_KERAS_TOKENIZER
                                                    : RNNKIT_FILE_HF_TOKENIZER;
    const char *inputs[] = {model, vocab_path};
    if ((rc = cli_check_output(out, kind, 0, inputs, 2, a.force)) != CLI_GO)
        return rc;

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    rnnkit_vocab *own_vocab = NULL;
    if (model && rnnkit_model_load(model, -1, &m, &err))
        return cli_fail(&err);
    if (vocab_path && rnnkit_vocab_open(vocab_path, &own_vocab, &err))
        return cli_fail(&err);
    rc = CLI_EXIT_OK;
    if (format == FMT_SAFETENSORS) {
        if (cli_keep_member(m, model, member, &err))
            rc = cli_fail(&err);
        else if (rnnkit_model_export_safetensors(m, out, &err))
            rc = cli_fail(&err);
    } else if (m && !rnnkit_model_vocab(m)) {
        rc = cli_failf("%s: a forecaster has no vocabulary to export", model);
    } else {
        const rnnkit_vocab *v = m ? rnnkit_model_vocab(m) : own_vocab;
        rnnkit_status st = strcmp(out, "-") ? rnnkit_vocab_export_file(v, (rnnkit_vocab_format)format, out, &err)
                                            : rnnkit_vocab_export(v, (rnnkit_vocab_format)format, stdout, &err);
        if (st == RNNKIT_ERR_ARG)
            rnnkit_error_prefix(&err, "%s", model ? model : vocab_path);
        else if (st && !strcmp(out, "-"))
            rnnkit_error_prefix(&err, "-");
        if (st)
            rc = cli_fail(&err);
    }
    rnnkit_model_free(m);
    rnnkit_vocab_free(own_vocab);
    return rc;
}
