/*
 * cli/cmd_export.c: `rnnkit export`: a model's weights as safetensors
 * (model/export.c), a vocabulary as vocab.txt, a Keras Tokenizer JSON or a
 * Hugging Face tokenizer.json (tokenizer/vocab_export.c). The command parses
 * its flags and calls the library, which writes files atomically.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

static const char usage_export[] =
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
    "\n"
    "  -m, --model FILE   model file (its vocabulary for the vocabulary formats)\n"
    "  --vocab FILE       a vocabulary file instead (vocabulary formats only)\n"
    "  -f, --format F     one of the above (required)\n"
    "  --member N         safetensors of an ensemble: its network N (1-based; a file\n"
    "                     holds one network)\n"
    "  -h, --help         this help\n";

/* --format safetensors; the vocabulary formats are rnnkit_vocab_format values */
enum { FMT_SAFETENSORS = 100 };

int cmd_export(int argc, char **argv)
{
    const char *model = NULL, *vocab_path = NULL;
    int format = -1, member = 0; /* format: FMT_SAFETENSORS or an rnnkit_vocab_format */
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"vocab", required_argument, 0, 'v'},
                                          {"format", required_argument, 0, 'f'}, {"member", required_argument, 0, 'M'},
                                          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'v': vocab_path = optarg; break;
        case 'M':
            if (cli_parse_int("--member", optarg, 1, RNNKIT_MAX_MEMBERS, &member))
                return CLI_EXIT_USAGE;
            break;
        case 'f':
            if (!strcmp(optarg, "safetensors"))
                format = FMT_SAFETENSORS;
            else if (!strcmp(optarg, "vocab-txt"))
                format = RNNKIT_VOCAB_TXT;
            else if (!strcmp(optarg, "keras-tokenizer"))
                format = RNNKIT_VOCAB_KERAS;
            else if (!strcmp(optarg, "hf-tokenizer"))
                format = RNNKIT_VOCAB_HF;
            else
                return cli_usage_error(usage_export, "--format: unknown format '%s'", optarg);
            break;
        case 'h': fputs(usage_export, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_export, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_export, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (format < 0)
        return cli_usage_error(usage_export, "--format is required");
    if (!model == !vocab_path)
        return cli_usage_error(usage_export, "give one of -m MODEL.db or --vocab VOCAB.db");
    if (format == FMT_SAFETENSORS && !model)
        return cli_usage_error(usage_export, "--format safetensors needs -m MODEL.db");
    if (member && format != FMT_SAFETENSORS)
        return cli_usage_error(usage_export, "--member goes with --format safetensors");
    if (optind != argc - 1)
        return cli_usage_error(usage_export, "give exactly one OUT file");
    const char *out = argv[optind];
    if (format == FMT_SAFETENSORS && !strcmp(out, "-"))
        return cli_usage_error(usage_export, "safetensors is binary: give a file name, not '-'");

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    rnnkit_vocab *own_vocab = NULL;
    if (model && rnnkit_model_load(model, -1, &m, &err))
        return cli_fail(&err);
    if (vocab_path && rnnkit_vocab_open(vocab_path, &own_vocab, &err))
        return cli_fail(&err);
    int rc = CLI_EXIT_OK;
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
