/*
 * cli/cmd_export.c: `rnnkit export`: a model's weights as safetensors
 * (model/export.c), a classifier as a prediction-only model file with int8
 * weights (--quantize int8, model/int8file.c), a vocabulary as vocab.txt, a
 * Keras Tokenizer JSON or a Hugging Face tokenizer.json
 * (tokenizer/vocab_export.c). The command parses its flags, calls the
 * library, which writes files atomically, and prints the sizes of an int8
 * file and of the model it came from.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

static const cli_use export_uses[] = {
    CLI_USE_H(CF_MODEL, NULL, "model file (its vocabulary for the vocabulary formats)"),
    CLI_USE_H(CF_VOCAB, NULL, "a vocabulary file instead (vocabulary formats only)"),
    CLI_USE_H(CF_EXPORT_FORMAT, NULL, "one of the above (required without --quantize)"),
    CLI_USE_H(CF_QUANTIZE, NULL,
              "int8: OUT is the classifier's model file for prediction\nonly, with int8 weights (see above)"),
    CLI_USE_H(CF_MEMBER, NULL,
              "an ensemble's network N alone (1-based): a safetensors file\n"
              "holds one network; with --quantize, OUT holds that one"),
    CLI_USE(CF_FORCE),
    CLI_USES_END,
};
static const cli_command export_cmd = {
    "export",
    "usage: rnnkit export (-m MODEL.db | --vocab VOCAB.db) --format F OUT\n"
    "       rnnkit export -m MODEL.db --quantize int8 OUT.db\n"
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
    "\n"
    "--quantize int8 writes OUT.db (atomically), a classifier's model file for\n"
    "prediction only: every weight matrix (embedding, recurrent, output) as int8\n"
    "with one fp32 scale per row, the biases fp32, no training state. `classify\n"
    "predict` and `eval` take it as any model (int8 prediction is always on);\n"
    "training from it is refused. Prints the sizes of MODEL.db and OUT.db.\n"
    "\n",
    export_uses, NULL};

#define FMT_SAFETENSORS (-1)
#define FMT_NONE (-2)
/* --format's words, in the order of CF_EXPORT_FORMAT's: safetensors, then the rnnkit_vocab_format values */
static const int formats[] = {FMT_SAFETENSORS, RNNKIT_VOCAB_TXT, RNNKIT_VOCAB_KERAS, RNNKIT_VOCAB_HF};

typedef struct export_args {
    const char *model, *vocab;
    int format, member, force; /* format: FMT_SAFETENSORS, an rnnkit_vocab_format or FMT_NONE */
    int quantize;              /* --quantize int8 given */
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
    case CF_QUANTIZE: a->quantize = 1; break;
    }
}

/* The flags that go together, and the one OUT; CLI_GO or the usage error. */
static int check_args(const export_args *a, int argc, char **argv, int first)
{
    const char *name = export_cmd.name;
    if (a->quantize && a->format != FMT_NONE)
        return cli_usage(name, "--quantize writes a model file: no --format with it");
    if (a->quantize && (!a->model || a->vocab))
        return cli_usage(name, "--quantize needs -m MODEL.db (a classifier), not --vocab");
    if (!a->quantize && a->format == FMT_NONE)
        return cli_usage(name, "--format is required (or --quantize int8)");
    if (!a->model == !a->vocab)
        return cli_usage(name, "give one of -m MODEL.db or --vocab VOCAB.db");
    if (a->format == FMT_SAFETENSORS && !a->model)
        return cli_usage(name, "--format safetensors needs -m MODEL.db");
    if (a->member && a->format != FMT_SAFETENSORS && !a->quantize)
        return cli_usage(name, "--member goes with --format safetensors or --quantize");
    if (first != argc - 1)
        return cli_usage(name, "give exactly one OUT file");
    if ((a->format == FMT_SAFETENSORS || a->quantize) && !strcmp(argv[first], "-"))
        return cli_usage(name, "%s is binary: give a file name, not '-'", a->quantize ? "a model file" : "safetensors");
    return CLI_GO;
}

/* --quantize int8: OUT as an int8 model file, then the sizes of both files
 * on stdout (the input's dtype, path, bytes; the output's, with its share
 * of the input's). */
static int write_int8(rnnkit_model *m, const export_args *a, const char *out)
{
    rnnkit_error err;
    rnnkit_error_clear(&err);
    const int was_int8 = rnnkit_model_quantized(m);
    if (cli_keep_member(m, a->model, a->member, &err) || rnnkit_model_save_int8(m, out, &err))
        return cli_fail(&err);
    struct stat in, q;
    const char *unseen = stat(a->model, &in) ? a->model : stat(out, &q) ? out : NULL;
    if (unseen)
        return cli_failf("%s: %s", unseen, strerror(errno));
    printf("%s\t%s\t%lld bytes\n", was_int8 ? "int8" : "fp32", a->model, (long long)in.st_size);
    printf("int8\t%s\t%lld bytes\t%.1f %%\n", out, (long long)q.st_size,
           in.st_size ? 100.0 * (double)q.st_size / (double)in.st_size : 0.0);
    rnnkit_checkpoint_info info;
    if (!rnnkit_checkpoint_info_read(a->model, &info, &err))
        fprintf(stderr, "rnnkit: %s also holds its training state (checkpoint, optimiser moments), which %s leaves "
                        "out\n", a->model, out);
    return CLI_EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
    export_args a = {.format = FMT_NONE};
    int first = 0, rc = cli_parse_flags(&export_cmd, argc, argv, export_flag, &a, &first);
    if (rc != CLI_GO)
        return rc;
    if ((rc = check_args(&a, argc, argv, first)) != CLI_GO)
        return rc;
    const char *model = a.model, *vocab_path = a.vocab, *out = argv[first];
    const int format = a.format, member = a.member;
    const int kind = a.quantize                   ? RNNKIT_FILE_MODEL
                     : format == FMT_SAFETENSORS   ? RNNKIT_FILE_SAFETENSORS
                     : format == RNNKIT_VOCAB_TXT ? RNNKIT_FILE_VOCAB_TXT
                     : format == RNNKIT_VOCAB_KERAS ? RNNKIT_FILE_KERAS_TOKENIZER
                                                    : RNNKIT_FILE_HF_TOKENIZER;
    const char *inputs[] = {model, vocab_path};
    if ((rc = cli_check_output(out, kind, RNNKIT_TASK_CLASSIFY, inputs, 2, a.force)) != CLI_GO)
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
    if (a.quantize) {
        rc = write_int8(m, &a, out);
    } else if (format == FMT_SAFETENSORS) {
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
