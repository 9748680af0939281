/*
 * cli/cmd_export.c: rnnkit and the tools around it.
 *
 *   rnnkit export   a model's weights as safetensors (PyTorch state_dict
 *                   names, configuration in the metadata); a vocabulary as
 *                   vocab.txt, a Keras Tokenizer JSON or a Hugging Face
 *                   tokenizers WordLevel tokenizer.json
 *   rnnkit import   safetensors weights (e.g. trained in PyTorch) + an rnnkit
 *                   vocabulary -> an rnnkit model file
 *   rnnkit report   one self-contained HTML page: configuration, training
 *                   and validation curves (inline SVG) and, for a
 *                   classifier given labelled data, the confusion matrix and
 *                   per-label scores
 *
 * Every file is written to a temporary file beside the target and renamed
 * over it, so an interrupted run never leaves half a file. The weights'
 * format lives in the library (model/export.c); the vocabulary formats and
 * the report only use the public API, plus SQLite to read the training log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
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

/* A JSON string body: quote, backslash and control bytes escaped. */
static void json_body(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

static void json_str(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    json_body(f, s, len);
    fputc('"', f);
}

/* ====================================================================== */
/* export */

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

enum { FMT_SAFETENSORS, FMT_VOCAB_TXT, FMT_KERAS, FMT_HF };

static int write_vocab_txt(FILE *f, const rnnkit_vocab *v)
{
    int64_t n = rnnkit_vocab_size(v);
    for (int64_t id = 0; id < n; id++) {
        size_t len = 0;
        const char *t = rnnkit_vocab_token(v, id, &len);
        for (size_t i = 0; t && i < len; i++) {
            if (t[i] == '\n')
                fputs("\\n", f);
            else if (t[i] == '\r')
                fputs("\\r", f);
            else
                fputc(t[i], f);
        }
        fputc('\n', f);
    }
    return 0;
}

/* Keras stores its dictionaries as JSON text inside JSON strings: the inner
 * document is built in memory, then written as one escaped string. */
static int keras_field(FILE *f, const char *key, const rnnkit_vocab *v, int what)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return 1;
    int64_t n = rnnkit_vocab_size(v);
    fputc('{', m);
    int first = 1;
    for (int64_t id = what == 0 ? 2 : 1; id < n; id++) {
        size_t tl = 0;
        const char *t = rnnkit_vocab_token(v, id, &tl);
        if (!first)
            fputs(", ", m);
        first = 0;
        if (what == 0) { /* word_counts: token -> count (no reserved ids) */
            json_str(m, t, tl);
            fprintf(m, ": %lld", (long long)rnnkit_vocab_count(v, id));
        } else if (what == 1) { /* word_index: token -> id */
            json_str(m, t, tl);
            fprintf(m, ": %lld", (long long)id);
        } else { /* index_word: "id" -> token */
            fprintf(m, "\"%lld\": ", (long long)id);
            json_str(m, t, tl);
        }
    }
    fputc('}', m);
    if (fclose(m) != 0) {
        free(buf);
        return 1;
    }
    fprintf(f, ", \"%s\": ", key);
    json_str(f, buf, len);
    free(buf);
    return 0;
}

static int write_keras(FILE *f, const rnnkit_vocab *v)
{
    const rnnkit_tok_config *tc = rnnkit_vocab_config(v);
    /* The texts given to this tokenizer are expected to be rnnkit's tokens
     * joined by spaces: no filters, split on ' '. */
    fprintf(f, "{\"class_name\": \"Tokenizer\", \"config\": {\"num_words\": null, \"filters\": \"\", "
               "\"lower\": %s, \"split\": \" \", \"char_level\": %s, \"oov_token\": \"<unk>\", "
               "\"document_count\": 0",
            tc->lowercase ? "true" : "false", tc->level == RNNKIT_LEVEL_CHAR ? "true" : "false");
    if (keras_field(f, "word_counts", v, 0))
        return 1;
    fputs(", \"word_docs\": \"{}\", \"index_docs\": \"{}\"", f);
    if (keras_field(f, "index_word", v, 2) || keras_field(f, "word_index", v, 1))
        return 1;
    fputs("}}\n", f);
    return 0;
}

static int write_hf(FILE *f, const rnnkit_vocab *v)
{
    const rnnkit_tok_config *tc = rnnkit_vocab_config(v);
    fputs("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [\n", f);
    for (int id = 0; id < 2; id++)
        fprintf(f,
                "    {\"id\": %d, \"content\": \"%s\", \"single_word\": false, \"lstrip\": false, "
                "\"rstrip\": false, \"normalized\": false, \"special\": true}%s\n",
                id, id ? "<unk>" : "<pad>", id ? "" : ",");
    fputs("  ],\n  \"normalizer\": ", f);
    const char *norm = tc->normalize == RNNKIT_NORM_NFKC ? "NFKC" : tc->normalize == RNNKIT_NORM_NFC ? "NFC" : NULL;
    if (!norm && !tc->lowercase)
        fputs("null", f);
    else {
        fputs("{\"type\": \"Sequence\", \"normalizers\": [", f);
        if (norm)
            fprintf(f, "{\"type\": \"%s\"}", norm);
        if (tc->lowercase)
            fprintf(f, "%s{\"type\": \"Lowercase\"}", norm ? ", " : "");
        fputs("]}", f);
    }
    if (tc->level == RNNKIT_LEVEL_CHAR)
        fputs(",\n  \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\X\"}, "
              "\"behavior\": \"Isolated\", \"invert\": false},\n", f);
    else
        fputs(",\n  \"pre_tokenizer\": {\"type\": \"Whitespace\"},\n", f);
    fputs("  \"post_processor\": null,\n  \"decoder\": null,\n"
          "  \"model\": {\"type\": \"WordLevel\", \"unk_token\": \"<unk>\", \"vocab\": {", f);
    int64_t n = rnnkit_vocab_size(v);
    for (int64_t id = 0; id < n; id++) {
        size_t tl = 0;
        const char *t = rnnkit_vocab_token(v, id, &tl);
        fputs(id ? ",\n    " : "\n    ", f);
        json_str(f, t, tl);
        fprintf(f, ": %lld", (long long)id);
    }
    fputs("\n  }}\n}\n", f);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    const char *model = NULL, *vocab_path = NULL;
    int format = -1, member = 0;
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
                format = FMT_VOCAB_TXT;
            else if (!strcmp(optarg, "keras-tokenizer"))
                format = FMT_KERAS;
            else if (!strcmp(optarg, "hf-tokenizer"))
                format = FMT_HF;
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
    } else {
        const rnnkit_vocab *v = m ? rnnkit_model_vocab(m) : own_vocab;
        out_file o;
        if (format == FMT_HF && rnnkit_vocab_config(v)->cjk_bigrams) {
            cli_failf("%s: the vocabulary adds CJK character pairs (cjk_bigrams), which tokenizer.json's "
                      "pre-tokenizers cannot express; export vocab-txt or keras-tokenizer instead",
                      model ? model : vocab_path);
            rc = CLI_EXIT_FAIL;
        } else if (out_open(&o, out)) {
            rc = CLI_EXIT_FAIL;
        } else {
            int bad = format == FMT_VOCAB_TXT ? write_vocab_txt(o.f, v)
                      : format == FMT_KERAS   ? write_keras(o.f, v)
                                              : write_hf(o.f, v);
            if (bad)
                cli_failf("%s: out of memory", out);
            if (out_close(&o, !bad) || bad)
                rc = CLI_EXIT_FAIL;
        }
    }
    rnnkit_model_free(m);
    rnnkit_vocab_free(own_vocab);
    return rc;
}

/* ====================================================================== */
/* import */

static const char usage_import[] =
    "usage: rnnkit import --format safetensors IN --vocab VOCAB.db -o MODEL.db [options]\n"
    "\n"
    "Builds an rnnkit model file from weights trained elsewhere (e.g. PyTorch):\n"
    "tensors named as a torch module with submodules embedding (nn.Embedding),\n"
    "rnn (nn.LSTM/GRU/RNN, batch_first or not) and fc (nn.Linear) would name them.\n"
    "The configuration comes from the file's metadata (as `rnnkit export` writes\n"
    "it), then from --config, which wins. Every tensor must match the configuration.\n"
    "\n"
    "  -f, --format F       safetensors (the only one)\n"
    "  --vocab FILE         the vocabulary the embedding rows follow (its size must\n"
    "                       equal the rows of embedding.weight)\n"
    "  -o, --output FILE    the model file to write (atomically)\n"
    "  --config K=V,...     task=classify|generate, cell=lstm|gru|rnn, embed=N,\n"
    "                       hidden=N, layers=N, bidirectional=0|1, pool=last|mean|max,\n"
    "                       dropout=F, embed_dropout=F, weight_drop=F, maxlen=N,\n"
    "                       keep_last=0|1\n"
    "  --labels A,B,...     the classifier's labels in output order (otherwise the\n"
    "                       metadata's `labels`)\n"
    "  -h, --help           this help\n";

/* Applies one key=value to cfg. Returns 0, or 1 after a message naming `src`. */
static int apply_config(rnnkit_model_config *cfg, const char *key, const char *val, const char *src)
{
    char flag[96];
    snprintf(flag, sizeof flag, "%s: %s", src, key);
    int x;
    double d;
    if (!strcmp(key, "task")) {
        if (!strcmp(val, "classify"))
            cfg->task = RNNKIT_TASK_CLASSIFY;
        else if (!strcmp(val, "generate"))
            cfg->task = RNNKIT_TASK_GENERATE;
        else
            return cli_failf("%s: '%s' is not classify or generate", flag, val), 1;
    } else if (!strcmp(key, "cell")) {
        if ((x = rnnkit_cell_from_name(val)) < 0)
            return cli_failf("%s: '%s' is not lstm, gru or rnn", flag, val), 1;
        cfg->cell = (rnnkit_cell)x;
    } else if (!strcmp(key, "pool")) {
        if ((x = rnnkit_pool_from_name(val)) < 0)
            return cli_failf("%s: '%s' is not last, mean or max", flag, val), 1;
        cfg->pool = (rnnkit_pool)x;
    } else if (!strcmp(key, "embed")) {
        return cli_parse_int(flag, val, 1, 65536, &cfg->embed);
    } else if (!strcmp(key, "hidden")) {
        return cli_parse_int(flag, val, 1, 65536, &cfg->hidden);
    } else if (!strcmp(key, "layers")) {
        return cli_parse_int(flag, val, 1, 64, &cfg->layers);
    } else if (!strcmp(key, "bidirectional")) {
        if (!strcmp(val, "yes") || !strcmp(val, "true"))
            cfg->bidirectional = 1;
        else if (!strcmp(val, "no") || !strcmp(val, "false"))
            cfg->bidirectional = 0;
        else
            return cli_parse_int(flag, val, 0, 1, &cfg->bidirectional);
    } else if (!strcmp(key, "maxlen")) {
        return cli_parse_int(flag, val, 0, 100000000, &cfg->maxlen);
    } else if (!strcmp(key, "keep_last")) {
        return cli_parse_int(flag, val, 0, 1, &cfg->keep_last);
    } else if (!strcmp(key, "dropout") || !strcmp(key, "embed_dropout")) {
        if (cli_parse_double(flag, val, 0, 0.99, &d))
            return 1;
        *(key[0] == 'd' ? &cfg->dropout : &cfg->embed_dropout) = (float)d;
    } else if (!strcmp(key, "weight_drop")) {
        if (cli_parse_double(flag, val, 0, 0.99, &d))
            return 1;
        cfg->weight_drop = (float)d;
    } else if (!strcmp(key, "forget_bias")) {
        if (cli_parse_double(flag, val, -100, 100, &d))
            return 1;
        cfg->forget_bias = (float)d;
    } else {
        return cli_failf("%s: unknown configuration key", flag), 1;
    }
    return 0;
}

typedef struct strlist {
    char **s;
    int n;
} strlist;

static void strlist_free(strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    l->s = NULL;
    l->n = 0;
}

static int strlist_push(strlist *l, const char *s, size_t len)
{
    char **p = realloc(l->s, (size_t)(l->n + 1) * sizeof *p);
    if (!p)
        return 1;
    l->s = p;
    if (!(l->s[l->n] = strndup(s, len)))
        return 1;
    l->n++;
    return 0;
}

/* Parses a JSON array of strings (the `labels` metadata). Handles the
 * escapes rnnkit writes and \uXXXX for the Basic Multilingual Plane plus
 * surrogate pairs. Returns 0 or 1 (malformed / out of memory). */
static int parse_label_array(const char *s, strlist *out)
{
    const char *p = s;
    char *buf = malloc(strlen(s) + 1);
    if (!buf)
        return 1;
    while (*p == ' ')
        p++;
    if (*p++ != '[')
        goto bad;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ']')
            break;
        if (*p++ != '"')
            goto bad;
        size_t k = 0;
        while (*p && *p != '"') {
            if (*p != '\\') {
                buf[k++] = *p++;
                continue;
            }
            p++;
            char e = *p++;
            if (e == 'n')
                buf[k++] = '\n';
            else if (e == 't')
                buf[k++] = '\t';
            else if (e == 'r')
                buf[k++] = '\r';
            else if (e == 'b')
                buf[k++] = '\b';
            else if (e == 'f')
                buf[k++] = '\f';
            else if (e == '"' || e == '\\' || e == '/')
                buf[k++] = e;
            else if (e == 'u') {
                unsigned cp = 0;
                if (sscanf(p, "%4x", &cp) != 1 || strlen(p) < 4)
                    goto bad;
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00) {
                    unsigned lo = 0;
                    if (p[0] != '\\' || p[1] != 'u' || sscanf(p + 2, "%4x", &lo) != 1 || lo < 0xDC00 || lo > 0xDFFF)
                        goto bad;
                    p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (cp == 0 || (cp >= 0xDC00 && cp < 0xE000))
                    goto bad;
                if (cp < 0x80) {
                    buf[k++] = (char)cp;
                } else if (cp < 0x800) {
                    buf[k++] = (char)(0xC0 | (cp >> 6));
                    buf[k++] = (char)(0x80 | (cp & 0x3F));
                } else if (cp < 0x10000) {
                    buf[k++] = (char)(0xE0 | (cp >> 12));
                    buf[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    buf[k++] = (char)(0x80 | (cp & 0x3F));
                } else {
                    buf[k++] = (char)(0xF0 | (cp >> 18));
                    buf[k++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                    buf[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    buf[k++] = (char)(0x80 | (cp & 0x3F));
                }
            } else {
                goto bad;
            }
        }
        if (*p++ != '"')
            goto bad;
        if (strlist_push(out, buf, k))
            goto bad;
    }
    free(buf);
    return 0;
bad:
    free(buf);
    strlist_free(out);
    return 1;
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
    if (!vocab_path)
        return cli_usage_error(usage_import, "--vocab VOCAB.db is required");
    if (!out)
        return cli_usage_error(usage_import, "-o MODEL.db is required");
    if (optind != argc - 1)
        return cli_usage_error(usage_import, "give exactly one IN file");
    const char *in = argv[optind];

    rnnkit_error err;
    rnnkit_error_clear(&err);
    char **keys = NULL, **vals = NULL;
    int nmeta = 0, rc = CLI_EXIT_FAIL;
    strlist labels = {0};
    rnnkit_vocab *vocab = NULL;
    rnnkit_model *m = NULL;
    char *cfgcopy = NULL;
    if (rnnkit_safetensors_metadata(in, &keys, &vals, &nmeta, &err))
        return cli_fail(&err);
    /* The task first: it picks the defaults the rest overrides. */
    rnnkit_model_config cfg;
    rnnkit_task task = RNNKIT_TASK_CLASSIFY;
    for (int i = 0; i < nmeta; i++)
        if (!strcmp(keys[i], "task") && !strcmp(vals[i], "generate"))
            task = RNNKIT_TASK_GENERATE;
    if (config && (strstr(config, "task=generate") == config || strstr(config, ",task=generate")))
        task = RNNKIT_TASK_GENERATE;
    if (config && (strstr(config, "task=classify") == config || strstr(config, ",task=classify")))
        task = RNNKIT_TASK_CLASSIFY;
    rnnkit_model_config_default(&cfg, task);
    cfg.members = 1; /* a safetensors file holds one network */
    int64_t meta_vocab = -1;
    char src[600];
    snprintf(src, sizeof src, "%s: metadata", in);
    for (int i = 0; i < nmeta; i++) {
        const char *k = keys[i];
        if (!strcmp(k, "format") || !strcmp(k, "rnnkit_version") || !strcmp(k, "num_labels"))
            continue;
        if (!strcmp(k, "vocab_size")) {
            meta_vocab = strtoll(vals[i], NULL, 10);
            continue;
        }
        if (!strcmp(k, "labels")) {
            if (!labels_arg && parse_label_array(vals[i], &labels)) {
                cli_failf("%s: metadata 'labels' is not a JSON array of strings", in);
                goto done;
            }
            continue;
        }
        if (apply_config(&cfg, k, vals[i], src))
            goto done;
    }
    if (config) {
        if (!(cfgcopy = strdup(config))) {
            cli_failf("out of memory");
            goto done;
        }
        char *save = NULL;
        for (char *kv = strtok_r(cfgcopy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq) {
                rc = cli_usage_error(usage_import, "--config: '%s' is not key=value", kv);
                goto done;
            }
            *eq = '\0';
            if (apply_config(&cfg, kv, eq + 1, "--config")) {
                rc = CLI_EXIT_USAGE;
                goto done;
            }
        }
    }
    if (labels_arg) {
        for (const char *p = labels_arg;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            if (len == 0) {
                rc = cli_usage_error(usage_import, "--labels: an empty label");
                goto done;
            }
            if (strlist_push(&labels, p, len)) {
                cli_failf("out of memory");
                goto done;
            }
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    if (cfg.task == RNNKIT_TASK_CLASSIFY && labels.n < 2) {
        rc = cli_usage_error(usage_import, "a classifier needs its labels: --labels A,B,... (none in %s)", in);
        goto done;
    }
    if (rnnkit_vocab_open(vocab_path, &vocab, &err)) {
        cli_fail(&err);
        goto done;
    }
    if (meta_vocab >= 0 && meta_vocab != rnnkit_vocab_size(vocab)) {
        cli_failf("%s: the weights are for a vocabulary of %lld ids, %s has %lld", in, (long long)meta_vocab,
                  vocab_path, (long long)rnnkit_vocab_size(vocab));
        goto done;
    }
    rnnkit_vocab *v = vocab;
    vocab = NULL; /* the model owns it from here, even on failure */
    if (rnnkit_model_create(&cfg, v, cfg.task == RNNKIT_TASK_CLASSIFY ? (const char *const *)labels.s : NULL,
                            cfg.task == RNNKIT_TASK_CLASSIFY ? labels.n : 0, 1, &m, &err) ||
        rnnkit_model_import_safetensors(m, in, &err) || rnnkit_model_save(m, out, &err)) {
        cli_fail(&err);
        goto done;
    }
    fprintf(stderr, "rnnkit: wrote %s (%s %s, %zu parameters)\n", out,
            cfg.task == RNNKIT_TASK_CLASSIFY ? "classifier" : "generator", rnnkit_cell_name(cfg.cell),
            rnnkit_model_num_params(m));
    rc = CLI_EXIT_OK;
done:
    free(cfgcopy);
    rnnkit_model_free(m);
    rnnkit_vocab_free(vocab);
    strlist_free(&labels);
    rnnkit_safetensors_metadata_free(keys, vals, nmeta);
    return rc;
}

/* ====================================================================== */
/* report */

static const char usage_report[] =
    "usage: rnnkit report -m MODEL.db -o REPORT.html [--data FILE]\n"
    "\n"
    "Writes one self-contained HTML page (no scripts, no external files): the\n"
    "configuration, training and validation loss/accuracy curves drawn as SVG from\n"
    "the model's training log, and the log itself. For a classifier with --data,\n"
    "also accuracy, the confusion matrix and per-label precision, recall and F1.\n"
    "\n"
    "  -m, --model FILE     the model\n"
    "  -o, --output FILE    the page to write (atomically; `-` = stdout)\n"
    "  --data FILE          labelled data for the classifier's scores (TSV, fastText\n"
    "                       or a directory; see `rnnkit classify eval`)\n"
    "  --title TEXT         page title (default: the model file's name)\n"
    "  -h, --help           this help\n";

static void html_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

typedef struct log_table {
    rnnkit_log_row *r;
    int n;
} log_table;

static double col_or_nan(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* Reads the training_log table (absent or empty: n = 0). */
static int read_log(const char *path, log_table *lt)
{
    lt->r = NULL;
    lt->n = 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        cli_failf("%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return 1;
    }
    sqlite3_stmt *s = NULL;
    int rc = 0;
    /* an ensemble's curves: its first member's (files from before ensembles
     * have no member column) */
    if (sqlite3_prepare_v2(db,
                           "SELECT epoch, step, train_loss, train_acc, valid_loss, valid_acc, seconds, lr"
                           " FROM training_log WHERE coalesce(member, 0) = 0 ORDER BY rowid",
                           -1, &s, NULL) == SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT epoch, step, train_loss, train_acc, valid_loss, valid_acc, seconds, lr"
                           " FROM training_log ORDER BY rowid",
                           -1, &s, NULL) == SQLITE_OK) {
        int cap = 0, step;
        while ((step = sqlite3_step(s)) == SQLITE_ROW) {
            if (lt->n == cap) {
                cap = cap ? 2 * cap : 64;
                rnnkit_log_row *p = realloc(lt->r, (size_t)cap * sizeof *p);
                if (!p) {
                    rc = cli_failf("%s: out of memory", path);
                    break;
                }
                lt->r = p;
            }
            rnnkit_log_row *r = &lt->r[lt->n++];
            r->epoch = sqlite3_column_int(s, 0);
            r->step = sqlite3_column_int64(s, 1);
            r->train_loss = col_or_nan(s, 2);
            r->train_acc = col_or_nan(s, 3);
            r->valid_loss = col_or_nan(s, 4);
            r->valid_acc = col_or_nan(s, 5);
            r->seconds = col_or_nan(s, 6);
            r->lr = col_or_nan(s, 7);
        }
        if (!rc && step != SQLITE_DONE)
            rc = cli_failf("%s: reading the training log: %s", path, sqlite3_errmsg(db));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rc;
}

/* A "nice" tick step for a range: 1, 2 or 5 times a power of ten giving at
 * most about 6 ticks. */
static double nice_step(double range)
{
    if (!(range > 0))
        return 1;
    double raw = range / 5, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

typedef struct series {
    const char *name, *color, *dash;
    double *y; /* [n], NaN = not measured */
} series;

/* An SVG line chart of `ns` series over x [n]. Each series is one
 * <polyline class="curve"> (with data-series naming it) plus a circle per
 * point, so a reader (or a test) can find the curves in the DOM. */
static void svg_chart(FILE *f, const char *id, const char *title, const char *xlabel, const double *x, int n,
                      const series *s, int ns)
{
    const double W = 660, Hh = 320, ml = 64, mr = 180, mt = 34, mb = 46;
    const double pw = W - ml - mr, ph = Hh - mt - mb;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < n; i++) {
        x0 = fmin(x0, x[i]);
        x1 = fmax(x1, x[i]);
        for (int k = 0; k < ns; k++)
            if (isfinite(s[k].y[i])) {
                y0 = fmin(y0, s[k].y[i]);
                y1 = fmax(y1, s[k].y[i]);
            }
    }
    fprintf(f, "<figure><svg id=\"%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" "
               "height=\"%g\" viewBox=\"0 0 %g %g\" role=\"img\" aria-label=\"",
            id, W, Hh, W, Hh);
    html_esc(f, title);
    fprintf(f, "\">\n<rect x=\"0\" y=\"0\" width=\"%g\" height=\"%g\" fill=\"#fff\"/>\n", W, Hh);
    fprintf(f, "<text x=\"%g\" y=\"20\" class=\"title\">", ml);
    html_esc(f, title);
    fputs("</text>\n", f);
    if (!(y1 >= y0)) {
        fprintf(f, "<text x=\"%g\" y=\"%g\">not measured</text></svg></figure>\n", ml, mt + ph / 2);
        return;
    }
    if (y1 - y0 < 1e-12) {
        y0 -= 0.5;
        y1 += 0.5;
    }
    if (x1 - x0 < 1e-12) {
        x0 -= 1;
        x1 += 1;
    }
    double ys = nice_step(y1 - y0), xs = nice_step(x1 - x0);
    y0 = floor(y0 / ys) * ys;
    y1 = ceil(y1 / ys) * ys;
    if (xs < 1)
        xs = 1; /* epochs and steps are integers */
#define PX(v) (ml + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (mt + ph - ((v) - y0) / (y1 - y0) * ph)
    fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#999\"/>\n", ml, mt, pw,
            ph);
    for (double v = y0; v <= y1 + ys * 1e-6; v += ys) {
        fprintf(f, "<line x1=\"%g\" x2=\"%g\" y1=\"%.2f\" y2=\"%.2f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%g\" y=\"%.2f\" text-anchor=\"end\" class=\"tick\">%.4g</text>\n",
                ml, ml + pw, PY(v), PY(v), ml - 6, PY(v) + 4, fabs(v) < ys * 1e-6 ? 0.0 : v);
    }
    for (double v = ceil(x0 / xs) * xs; v <= x1 + xs * 1e-6; v += xs)
        fprintf(f, "<text x=\"%.2f\" y=\"%g\" text-anchor=\"middle\" class=\"tick\">%.6g</text>\n", PX(v),
                mt + ph + 16, v);
    fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">", ml + pw / 2, Hh - 8);
    html_esc(f, xlabel);
    fputs("</text>\n", f);
    for (int k = 0; k < ns; k++) {
        int shown = 0;
        fprintf(f, "<polyline class=\"curve\" data-series=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"%s%s%s "
                   "points=\"",
                s[k].name, s[k].color, s[k].dash ? " stroke-dasharray=\"" : "", s[k].dash ? s[k].dash : "",
                s[k].dash ? "\"" : "");
        for (int i = 0; i < n; i++)
            if (isfinite(s[k].y[i])) {
                fprintf(f, "%s%.2f,%.2f", shown ? " " : "", PX(x[i]), PY(s[k].y[i]));
                shown++;
            }
        fputs("\"/>\n", f);
        for (int i = 0; i < n; i++)
            if (isfinite(s[k].y[i]))
                fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"><title>%s %s %.6g: %.6g</title></circle>\n",
                        PX(x[i]), PY(s[k].y[i]), s[k].color, s[k].name, xlabel, x[i], s[k].y[i]);
        double ly = mt + 12 + 20 * k;
        fprintf(f, "<line x1=\"%g\" x2=\"%g\" y1=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"2.5\"%s%s%s/>"
                   "<text x=\"%g\" y=\"%g\">%s%s</text>\n",
                ml + pw + 12, ml + pw + 36, ly, ly, s[k].color, s[k].dash ? " stroke-dasharray=\"" : "",
                s[k].dash ? s[k].dash : "", s[k].dash ? "\"" : "", ml + pw + 42, ly + 4, s[k].name,
                shown ? "" : " (none)");
    }
#undef PX
#undef PY
    fputs("</svg></figure>\n", f);
}

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
    html_esc(f, data);
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
        html_esc(f, rnnkit_model_label(m, k));
        fprintf(f, "</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%lld</td></tr>\n", pr, re, f1, (long long)sup);
    }
    fprintf(f, "<tr><td><i>macro</i></td><td></td><td></td><td>%.4f</td><td>%zu</td></tr></table>\n", macro, used);
    fputs("<h3>Confusion matrix</h3>\n<p>Rows: true label; columns: predicted.</p>\n"
          "<table id=\"confusion\" class=\"num\"><tr><th></th>", f);
    for (int j = 0; j < K; j++) {
        fputs("<th>", f);
        html_esc(f, rnnkit_model_label(m, j));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int k = 0; k < K; k++) {
        int64_t sup = 0;
        for (int j = 0; j < K; j++)
            sup += conf[(size_t)k * K + j];
        fputs("<tr><th>", f);
        html_esc(f, rnnkit_model_label(m, k));
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
            html_esc(f, rnnkit_model_label(m, k));
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

static void write_curves(FILE *f, const log_table *lt, int cls)
{
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
        x[i] = cls ? (double)lt->r[i].epoch : (double)lt->r[i].step;
        tl[i] = lt->r[i].train_loss;
        vl[i] = lt->r[i].valid_loss;
        ta[i] = lt->r[i].train_acc;
        va[i] = lt->r[i].valid_acc;
    }
    series loss[2] = {{"train loss", "#1f77b4", NULL, tl}, {"validation loss", "#d62728", "6 4", vl}};
    svg_chart(f, "loss-curve", cls ? "Loss (cross-entropy, nats)" : "Loss (nats per character)",
              cls ? "epoch" : "step", x, lt->n, loss, 2);
    if (cls) {
        series acc[2] = {{"train accuracy", "#1f77b4", NULL, ta}, {"validation accuracy", "#d62728", "6 4", va}};
        svg_chart(f, "accuracy-curve", "Accuracy", "epoch", x, lt->n, acc, 2);
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
    const char *model = NULL, *out = NULL, *data = NULL, *title = NULL;
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"output", required_argument, 0, 'o'},
                                          {"data", required_argument, 0, 'd'}, {"title", required_argument, 0, 't'},
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
    const int cls = rnnkit_model_get_config(m)->task == RNNKIT_TASK_CLASSIFY;
    if (data && !cls) {
        rnnkit_model_free(m);
        return cli_usage_error(usage_report, "--data: scores are for classifiers; %s is a generator", model);
    }
    log_table lt;
    int rc = CLI_EXIT_FAIL;
    int64_t *conf = NULL;
    size_t skipped = 0, used = 0;
    if (read_log(model, &lt))
        goto done;
    if (data) {
        const int K = rnnkit_model_num_labels(m);
        if (!(conf = calloc((size_t)K * (size_t)K, sizeof *conf))) {
            cli_failf("out of memory");
            goto done;
        }
        if (score_data(m, data, conf, &skipped, &used))
            goto done;
    }
    out_file o;
    if (out_open(&o, out))
        goto done;
    FILE *f = o.f;
    const char *base = strrchr(model, '/') ? strrchr(model, '/') + 1 : model;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    html_esc(f, title ? title : base);
    fputs("</title>\n<style>\n"
          "body{font:15px/1.45 system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}\n"
          "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;"
          "text-align:left}\n"
          "table.num td{text-align:right;font-variant-numeric:tabular-nums}\n"
          "figure{margin:1em 0}svg text{font:12px sans-serif;fill:#333}svg text.title{font-weight:bold;"
          "font-size:14px}\n"
          "svg text.tick{fill:#666;font-size:11px}\n"
          "</style></head><body>\n<h1>", f);
    html_esc(f, title ? title : base);
    fputs("</h1>\n<p>rnnkit ", f);
    html_esc(f, rnnkit_version());
    fputs(" report for <code>", f);
    html_esc(f, model);
    fputs("</code>.</p>\n", f);
    write_config(f, m);
    write_curves(f, &lt, cls);
    if (data)
        write_scores(f, m, data, conf, used, skipped);
    fputs("</body></html>\n", f);
    rc = out_close(&o, 1) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
done:
    free(lt.r);
    free(conf);
    rnnkit_model_free(m);
    return rc;
}
