/*
 * cli/cmd_classify.c: `rnnkit classify train | predict | eval`.
 * Parsing, progress and output only; the work is in the library.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "rnnkit/corpus.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

static const char usage_main[] =
    "usage: rnnkit classify <verb> [options]\n"
    "\n"
    "verbs:\n"
    "  train     train a classifier from labelled text\n"
    "  predict   classify files, a directory of files, or stdin lines\n"
    "  eval      accuracy, per-label precision/recall/F1 and confusion matrix\n"
    "\n"
    "`rnnkit classify <verb> --help` for the options of a verb.\n";

static const char usage_train[] =
    "usage: rnnkit classify train --train FILE -o MODEL.db [options]\n"
    "\n"
    "data:\n"
    "  --train FILE          labelled training data: label<TAB>text lines, fastText\n"
    "                        __label__X lines, or a directory with one sub-folder per label\n"
    "  --valid FILE          validation data (model selection, early stopping)\n"
    "  --valid-split F       hold out this fraction of --train instead (default 0.1 when\n"
    "                        no --valid; 0 = none)\n"
    "  --format F            auto|tsv|fasttext|dir (default auto)\n"
    "  --skip-bad            count and skip malformed rows instead of failing\n"
    "  -o, --output FILE     the model file (created at the start, then checkpointed)\n"
    "vocabulary:\n"
    "  --vocab FILE          use this vocabulary (from `rnnkit vocab build`); otherwise one\n"
    "                        is built from the training text with the options below\n"
    "  --level L             word|char (default word)\n"
    "  --cjk-bigrams B       yes|no: word level, also each pair of adjacent CJK characters\n"
    "                        as a token (default no)\n"
    "  --min-count N         drop tokens seen fewer than N times (default 2)\n"
    "  --max-vocab N         at most N ids, <pad> and <unk> included (default 50000)\n"
    "model:\n"
    "  --cell C              lstm|gru|rnn (default lstm)\n"
    "  --embed N             embedding size (default 128)\n"
    "  --hidden N            hidden size per direction (default 128)\n"
    "  --layers N            recurrent layers (default 1)\n"
    "  --bidirectional B     yes|no (default yes)\n"
    "  --pool P              last|mean|max over time (default max)\n"
    "  --dropout F           dropout before the output layer and between layers (default 0.5)\n"
    "  --embed-dropout F     dropout on embeddings (default 0.4)\n"
    "  --weight-drop F       DropConnect on the recurrent weights in training (default 0)\n"
    "  --ensemble N|auto     N networks (1-16) trained one after the other, network k\n"
    "                        with seed S+k-1, their probabilities averaged (default auto:\n"
    "                        as many as fit 8 M training tokens, 1 to 4: 4 up to 2 M\n"
    "                        tokens, 1 past 4 M)\n"
    "training:\n"
    "  --maxlen N            cap on tokens per document (default 400; 0 = none)\n"
    "  --truncating S        pre|post: which end a long document loses (default pre)\n"
    "  --batch N             documents per batch (default 32)\n"
    "  --epochs N            passes over the data (default 10)\n"
    "  --lr F                Adam learning rate (default 0.002)\n"
    "  --lr-schedule S       cosine|plateau (default cosine: the rate falls along half a\n"
    "                        cosine from --lr to 0 over --epochs; plateau: constant,\n"
    "                        times --lr-decay after each epoch without validation gain)\n"
    "  --lr-decay F          plateau: multiply the rate by F after each epoch without\n"
    "                        validation gain (default 1 = never)\n"
    "  --clip F              clip the gradient's global norm (default 5; 0 = off)\n"
    "  --patience N          stop after N epochs without validation gain (default 3; 0 = off)\n"
    "  --seed N              random seed (default 1): same seed, same model\n"
    "  --threads N           BLAS threads (default 1)\n"
    "  --folds K             K-fold cross-validation over --train: prints mean and spread,\n"
    "                        writes no model\n"
    "checkpoints:\n"
    "  --checkpoint-minutes M  also checkpoint every M minutes (default 10; fractions allowed;\n"
    "                        0 = only at epoch ends)\n"
    "  --checkpoint-steps N  also checkpoint every N optimiser steps (default 0 = off)\n"
    "  --resume              continue the run checkpointed in -o MODEL.db (same data and\n"
    "                        seed; --epochs is the total). The model file is written at\n"
    "                        the start and at every checkpoint; SIGINT/SIGTERM checkpoint\n"
    "                        and stop (exit 130/143)\n"
    "  -q, --quiet           no progress output\n"
    "  --log-format F        text|jsonl: progress as text or one JSON object per line\n";

static const char usage_predict[] =
    "usage: rnnkit classify predict -m MODEL.db [options] FILE|DIR|- ...\n"
    "\n"
    "Each FILE is one document; a DIR is walked (files sorted by name); `-` reads\n"
    "stdin with one document per line. Prints path<TAB>label<TAB>probability.\n"
    "\n"
    "  -m, --model FILE      the classifier\n"
    "  --format F            tsv|jsonl (default tsv)\n"
    "  --top-k K             print the K most probable labels (default 1)\n"
    "  --member N            an ensemble's network N alone (1-based; default: all, averaged)\n"
    "  --threads N           BLAS threads (default 1)\n";

static const char usage_eval[] =
    "usage: rnnkit classify eval -m MODEL.db [options] DATA\n"
    "\n"
    "DATA is labelled as for training (label<TAB>text, fastText lines or a directory).\n"
    "Prints accuracy, per-label precision/recall/F1, macro F1 and the confusion matrix.\n"
    "\n"
    "  -m, --model FILE      the classifier\n"
    "  --format F            auto|tsv|fasttext|dir (default auto)\n"
    "  --skip-bad            count and skip malformed rows\n"
    "  --json                print one JSON object instead of a table\n"
    "  --member N            an ensemble's network N alone (1-based; default: all, averaged)\n"
    "  --threads N           BLAS threads (default 1)\n";

/* ---------------------------------------------------------------------- */
/* Encoded data sets */

typedef struct encoded {
    size_t n, cap, nids, capids;
    size_t *off;
    int32_t *ids;
    int32_t *label;
} encoded;

static void encoded_free(encoded *e)
{
    free(e->off);
    free(e->ids);
    free(e->label);
    memset(e, 0, sizeof *e);
}

static rnnkit_status encoded_add(encoded *e, rnnkit_vocab *v, const char *text, size_t len,
                                 const char *where, int32_t label, rnnkit_error *err)
{
    if (e->n + 2 > e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 1024;
        size_t *off = realloc(e->off, cap * sizeof *off);
        if (off)
            e->off = off;
        int32_t *lab = realloc(e->label, cap * sizeof *lab);
        if (lab)
            e->label = lab;
        if (!off || !lab)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory encoding documents");
        e->cap = cap;
    }
    if (e->n == 0)
        e->off[0] = 0;
    size_t need = len + 16;
    for (;;) {
        if (e->nids + need > e->capids) {
            size_t cap = e->capids ? e->capids : 1 << 16;
            while (cap < e->nids + need)
                cap *= 2;
            int32_t *ids = realloc(e->ids, cap * sizeof *ids);
            if (!ids)
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory encoding documents");
            e->ids = ids;
            e->capids = cap;
        }
        size_t n = 0;
        rnnkit_status st = rnnkit_vocab_encode(v, text, len, where, e->ids + e->nids, need, 0, &n, err);
        if (st)
            return st;
        if (n <= need) {
            e->nids += n;
            break;
        }
        need = n;
    }
    e->label[e->n] = label;
    e->n++;
    e->off[e->n] = e->nids;
    return RNNKIT_OK;
}

static rnnkit_dataset encoded_view(const encoded *e)
{
    rnnkit_dataset d = {.n = e->n, .off = e->off, .ids = e->ids, .label = e->label};
    return d;
}

static int parse_format(const char *s, rnnkit_corpus_format *f)
{
    if (!strcmp(s, "auto"))
        *f = RNNKIT_CORPUS_AUTO;
    else if (!strcmp(s, "tsv"))
        *f = RNNKIT_CORPUS_TSV;
    else if (!strcmp(s, "fasttext"))
        *f = RNNKIT_CORPUS_FASTTEXT;
    else if (!strcmp(s, "dir"))
        *f = RNNKIT_CORPUS_DIR;
    else
        return -1;
    return 0;
}

static int parse_yesno(const char *s)
{
    if (!s || !strcmp(s, "yes") || !strcmp(s, "1") || !strcmp(s, "true"))
        return 1;
    if (!strcmp(s, "no") || !strcmp(s, "0") || !strcmp(s, "false"))
        return 0;
    return -1;
}

/* Encodes corpus rows idx[0..n) (all rows when idx == NULL) with labels
 * mapped through the model's label list. */
static rnnkit_status encode_rows(rnnkit_model *m, const rnnkit_corpus *c, const size_t *idx, size_t n,
                                 encoded *out, rnnkit_error *err)
{
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    for (size_t j = 0; j < n; j++) {
        size_t i = idx ? idx[j] : j;
        size_t len;
        const char *text = rnnkit_corpus_text(c, i, &len);
        const char *lab = rnnkit_corpus_label(c, i);
        int k = lab ? rnnkit_model_find_label(m, lab) : -1;
        if (k < 0)
            return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: label '%s' is not one the model knows",
                                    rnnkit_corpus_where(c, i), lab ? lab : "");
        rnnkit_status st = encoded_add(out, v, text, len, rnnkit_corpus_where(c, i), k, err);
        if (st)
            return st;
    }
    return RNNKIT_OK;
}

/* ---------------------------------------------------------------------- */
/* train */

typedef struct train_args {
    const char *train, *valid, *out, *vocab;
    rnnkit_corpus_format format;
    int skip_bad, quiet, threads, folds, resume, seed_set, batch_set;
    double valid_split;
    rnnkit_tok_config tok;
    int64_t min_count, max_vocab;
    rnnkit_model_config mc;
    rnnkit_classifier_options to;
} train_args;

static rnnkit_status build_vocab(const train_args *a, const rnnkit_corpus *c, const size_t *idx, size_t n,
                                 rnnkit_vocab **out, rnnkit_error *err)
{
    if (a->vocab)
        return rnnkit_vocab_open(a->vocab, out, err);
    rnnkit_vocab_builder *b = NULL;
    rnnkit_status st = rnnkit_vocab_builder_new(&a->tok, &b, err);
    for (size_t j = 0; !st && j < n; j++) {
        size_t i = idx ? idx[j] : j, len;
        const char *text = rnnkit_corpus_text(c, i, &len);
        st = rnnkit_vocab_builder_add(b, text, len, rnnkit_corpus_where(c, i), err);
    }
    if (!st)
        st = rnnkit_vocab_builder_finish(b, a->min_count, a->max_vocab, out, err);
    rnnkit_vocab_builder_free(b);
    return st;
}

/* Trains one model on rows tr[0..ntr) validated on va[0..nva). */
static rnnkit_status train_one(const train_args *a, const rnnkit_corpus *c, const size_t *tr, size_t ntr,
                               const rnnkit_corpus *vc, const size_t *va, size_t nva, rnnkit_model **out,
                               rnnkit_log_row **log, int *nlog, cli_progress *prog, rnnkit_error *err)
{
    *out = NULL;
    rnnkit_model *m = NULL;
    rnnkit_status st;
    if (a->resume) {
        /* the model, its vocabulary and labels come from the checkpoint */
        if ((st = rnnkit_model_load(a->out, RNNKIT_TASK_CLASSIFY, &m, err)))
            return st;
    } else {
        rnnkit_vocab *vocab = NULL;
        if ((st = build_vocab(a, c, tr, ntr, &vocab, err)))
            return st;
        size_t K = rnnkit_corpus_num_labels(c);
        const char **labels = malloc(K * sizeof *labels);
        if (!labels) {
            rnnkit_vocab_free(vocab);
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        }
        for (size_t k = 0; k < K; k++)
            labels[k] = rnnkit_corpus_label_name(c, k);
        st = rnnkit_model_create(&a->mc, vocab, labels, (int)K, a->to.train.seed, &m, err);
        free(labels);
        if (st)
            return st;
    }
    const rnnkit_model_config *mc = rnnkit_model_get_config(m);
    encoded etr = {0}, eva = {0};
    if ((st = encode_rows(m, c, tr, ntr, &etr, err)))
        goto done;
    if (vc && (st = encode_rows(m, vc, va, nva, &eva, err)))
        goto done;
    rnnkit_dataset dtr = encoded_view(&etr), dva = encoded_view(&eva);
    if (!a->resume && a->mc.members == 0) { /* --ensemble auto: from the training set's size */
        uint64_t tokens = 0;
        int k = rnnkit_classifier_auto_members(&dtr, mc->maxlen, &tokens);
        if (k > 1 && (st = rnnkit_model_set_members(m, k, a->to.train.seed, err)))
            goto done;
        if (!a->quiet && log)
            fprintf(stderr, "rnnkit: %llu training tokens: %s%d network%s (--ensemble auto)\n",
                    (unsigned long long)tokens, k > 1 ? "an ensemble of " : "", k, k > 1 ? "s" : "");
    }
    rnnkit_classifier_options to = a->to;
    to.maxlen = mc->maxlen;
    to.keep_last = mc->keep_last;
    to.train.progress = cli_progress_cb;
    to.train.progress_ctx = prog;
    if (log) { /* a real run (not a fold): checkpointed into the model file */
        to.train.checkpoint_path = a->out;
        to.train.resume = a->resume;
        to.train.stop = cli_stop_flag();
    }
    st = rnnkit_classifier_train(m, &dtr, vc && nva ? &dva : NULL, &to, log, nlog, err);
done:
    encoded_free(&etr);
    encoded_free(&eva);
    if (st) {
        rnnkit_model_free(m);
        return st;
    }
    *out = m;
    return RNNKIT_OK;
}

static void shuffle(size_t *v, size_t n, uint64_t seed)
{
    rnnkit_rng r;
    rnnkit_rng_seed(&r, seed);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rnnkit_rng_below(&r, i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static int cmd_train(int argc, char **argv)
{
    train_args a;
    memset(&a, 0, sizeof a);
    a.format = RNNKIT_CORPUS_AUTO;
    a.threads = 1;
    a.valid_split = -1;
    a.min_count = 2;
    a.max_vocab = 50000;
    rnnkit_tok_config_default(&a.tok, RNNKIT_LEVEL_WORD);
    rnnkit_model_config_default(&a.mc, RNNKIT_TASK_CLASSIFY);
    a.mc.members = 0; /* --ensemble auto */
    rnnkit_classifier_options_default(&a.to);
    a.to.train.checkpoint_seconds = 600;
    int bigrams = -1, decay_set = 0;
    enum { O_TRAIN = 256, O_VALID, O_SPLIT, O_FORMAT, O_SKIP, O_VOCAB, O_LEVEL, O_BIGRAM, O_MINC, O_MAXV, O_CELL,
           O_EMBED, O_HIDDEN, O_LAYERS, O_BIDI, O_POOL, O_DROP, O_EDROP, O_WDROP, O_MAXLEN, O_TRUNC, O_BATCH,
           O_EPOCHS, O_LR, O_DECAY, O_CLIP, O_PAT, O_SEED, O_THREADS, O_FOLDS, O_CKMIN, O_CKSTEPS, O_RESUME, O_ENSEMBLE, O_SCHED };
    static const struct option opts[] = {
        {"train", required_argument, 0, O_TRAIN}, {"ensemble", required_argument, 0, O_ENSEMBLE},
        {"lr-schedule", required_argument, 0, O_SCHED}, {"valid", required_argument, 0, O_VALID},
        {"valid-split", required_argument, 0, O_SPLIT}, {"format", required_argument, 0, O_FORMAT},
        {"skip-bad", no_argument, 0, O_SKIP}, {"output", required_argument, 0, 'o'},
        {"vocab", required_argument, 0, O_VOCAB}, {"level", required_argument, 0, O_LEVEL},
        {"cjk-bigrams", required_argument, 0, O_BIGRAM},
        {"min-count", required_argument, 0, O_MINC}, {"max-vocab", required_argument, 0, O_MAXV},
        {"cell", required_argument, 0, O_CELL}, {"embed", required_argument, 0, O_EMBED},
        {"hidden", required_argument, 0, O_HIDDEN}, {"layers", required_argument, 0, O_LAYERS},
        {"bidirectional", required_argument, 0, O_BIDI}, {"pool", required_argument, 0, O_POOL},
        {"dropout", required_argument, 0, O_DROP}, {"embed-dropout", required_argument, 0, O_EDROP},
        {"weight-drop", required_argument, 0, O_WDROP},
        {"maxlen", required_argument, 0, O_MAXLEN}, {"truncating", required_argument, 0, O_TRUNC},
        {"batch", required_argument, 0, O_BATCH}, {"epochs", required_argument, 0, O_EPOCHS},
        {"lr", required_argument, 0, O_LR}, {"lr-decay", required_argument, 0, O_DECAY},
        {"clip", required_argument, 0, O_CLIP},
        {"patience", required_argument, 0, O_PAT}, {"seed", required_argument, 0, O_SEED},
        {"threads", required_argument, 0, O_THREADS}, {"folds", required_argument, 0, O_FOLDS},
        {"checkpoint-minutes", required_argument, 0, O_CKMIN}, {"checkpoint-steps", required_argument, 0, O_CKSTEPS},
        {"resume", no_argument, 0, O_RESUME},
        {"log-format", required_argument, 0, 'L'}, {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    double d;
    const char *log_format = "text";
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_TRAIN: a.train = optarg; break;
        case O_VALID: a.valid = optarg; break;
        case O_SPLIT: bad = cli_parse_double("--valid-split", optarg, 0, 0.9, &a.valid_split); break;
        case O_FORMAT:
            if (parse_format(optarg, &a.format))
                return cli_usage_error(usage_train, "--format: unknown format '%s'", optarg);
            break;
        case O_SKIP: a.skip_bad = 1; break;
        case 'o': a.out = optarg; break;
        case O_VOCAB: a.vocab = optarg; break;
        case O_LEVEL:
            if (!strcmp(optarg, "word"))
                rnnkit_tok_config_default(&a.tok, RNNKIT_LEVEL_WORD);
            else if (!strcmp(optarg, "char"))
                rnnkit_tok_config_default(&a.tok, RNNKIT_LEVEL_CHAR);
            else
                return cli_usage_error(usage_train, "--level: '%s' is not word or char", optarg);
            break;
        case O_BIGRAM:
            if ((bigrams = parse_yesno(optarg)) < 0)
                return cli_usage_error(usage_train, "--cjk-bigrams: '%s' is not yes or no", optarg);
            break;
        case O_MINC: bad = cli_parse_i64("--min-count", optarg, 1, INT64_MAX, &a.min_count); break;
        case O_MAXV: bad = cli_parse_i64("--max-vocab", optarg, 3, 1 << 24, &a.max_vocab); break;
        case O_CELL: {
            int cell = rnnkit_cell_from_name(optarg);
            if (cell < 0)
                return cli_usage_error(usage_train, "--cell: '%s' is not lstm, gru or rnn", optarg);
            a.mc.cell = (rnnkit_cell)cell;
            break;
        }
        case O_EMBED: bad = cli_parse_int("--embed", optarg, 1, 65536, &a.mc.embed); break;
        case O_HIDDEN: bad = cli_parse_int("--hidden", optarg, 1, 65536, &a.mc.hidden); break;
        case O_LAYERS: bad = cli_parse_int("--layers", optarg, 1, 64, &a.mc.layers); break;
        case O_BIDI:
            if ((a.mc.bidirectional = parse_yesno(optarg)) < 0)
                return cli_usage_error(usage_train, "--bidirectional: '%s' is not yes or no", optarg);
            break;
        case O_POOL: {
            int p = rnnkit_pool_from_name(optarg);
            if (p < 0)
                return cli_usage_error(usage_train, "--pool: '%s' is not last, mean or max", optarg);
            a.mc.pool = (rnnkit_pool)p;
            break;
        }
        case O_DROP:
            bad = cli_parse_double("--dropout", optarg, 0, 0.95, &d);
            a.mc.dropout = (float)d;
            break;
        case O_EDROP:
            bad = cli_parse_double("--embed-dropout", optarg, 0, 0.95, &d);
            a.mc.embed_dropout = (float)d;
            break;
        case O_WDROP:
            bad = cli_parse_double("--weight-drop", optarg, 0, 0.95, &d);
            a.mc.weight_drop = (float)d;
            break;
        case O_MAXLEN: bad = cli_parse_int("--maxlen", optarg, 0, 1000000, &a.mc.maxlen); break;
        case O_TRUNC:
            if (strcmp(optarg, "pre") && strcmp(optarg, "post"))
                return cli_usage_error(usage_train, "--truncating: '%s' is not pre or post", optarg);
            a.mc.keep_last = !strcmp(optarg, "pre");
            break;
        case O_BATCH:
            bad = cli_parse_int("--batch", optarg, 1, 4096, &a.to.train.batch);
            a.batch_set = 1;
            break;
        case O_EPOCHS: bad = cli_parse_int("--epochs", optarg, 1, 100000, &a.to.epochs); break;
        case O_LR: bad = cli_parse_double("--lr", optarg, 1e-8, 10, &a.to.train.lr); break;
        case O_DECAY:
            bad = cli_parse_double("--lr-decay", optarg, 0.01, 1, &a.to.train.lr_decay);
            decay_set = 1;
            break;
        case O_CLIP: bad = cli_parse_double("--clip", optarg, 0, 1e6, &a.to.train.clip); break;
        case O_PAT: bad = cli_parse_int("--patience", optarg, 0, 100000, &a.to.train.patience); break;
        case O_SEED:
            bad = cli_parse_u64("--seed", optarg, &a.to.train.seed);
            a.seed_set = 1;
            break;
        case O_THREADS: bad = cli_parse_int("--threads", optarg, 1, 64, &a.threads); break;
        case O_FOLDS: bad = cli_parse_int("--folds", optarg, 2, 100, &a.folds); break;
        case O_CKMIN:
            bad = cli_parse_double("--checkpoint-minutes", optarg, 0, 1e6, &d);
            a.to.train.checkpoint_seconds = 60.0 * d;
            break;
        case O_CKSTEPS: bad = cli_parse_i64("--checkpoint-steps", optarg, 0, INT64_MAX, &a.to.train.checkpoint_steps); break;
        case O_RESUME: a.resume = 1; break;
        case O_SCHED:
            if (cli_lr_schedule(optarg, &a.to.train.lr_schedule))
                return cli_usage_error(usage_train, "--lr-schedule: '%s' is not cosine or plateau", optarg);
            break;
        case O_ENSEMBLE:
            if (!strcmp(optarg, "auto"))
                a.mc.members = 0;
            else
                bad = cli_parse_int("--ensemble", optarg, 1, RNNKIT_MAX_MEMBERS, &a.mc.members);
            break;
        case 'q': a.quiet = 1; break;
        case 'L': log_format = optarg; break;
        case 'h': fputs(usage_train, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_train, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_train, "unknown option '%s'", argv[optind - 1]);
        }
        if (bad)
            return CLI_EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error(usage_train, "unexpected argument '%s'", argv[optind]);
    if (!a.train)
        return cli_usage_error(usage_train, "--train is required");
    if (bigrams >= 0) {
        if (a.vocab)
            return cli_usage_error(usage_train, "--cjk-bigrams: with --vocab the vocabulary's own setting applies");
        if (bigrams && a.tok.level != RNNKIT_LEVEL_WORD)
            return cli_usage_error(usage_train, "--cjk-bigrams: word level only");
        a.tok.cjk_bigrams = bigrams;
    }
    if (!a.out && !a.folds)
        return cli_usage_error(usage_train, "-o MODEL.db is required");
    if (decay_set && a.to.train.lr_schedule != RNNKIT_LR_PLATEAU)
        return cli_usage_error(usage_train, "--lr-decay goes with --lr-schedule plateau (the cosine sets the rate)");
    if (strcmp(log_format, "text") && strcmp(log_format, "jsonl"))
        return cli_usage_error(usage_train, "--log-format: '%s' is not text or jsonl", log_format);
    if (a.resume && a.folds)
        return cli_usage_error(usage_train, "--resume and --folds do not go together");
    cli_set_threads(a.threads);
    if (a.valid_split < 0)
        a.valid_split = a.valid ? 0 : 0.1;
    if (a.resume) {
        rnnkit_checkpoint_info info;
        rnnkit_error e;
        if (rnnkit_checkpoint_info_read(a.out, &info, &e)) {
            rnnkit_error_prefix(&e, "--resume");
            return cli_fail(&e);
        }
        if (info.task != RNNKIT_TASK_CLASSIFY)
            return cli_failf("%s: this is a generator's checkpoint; use `rnnkit generate train --resume`", a.out);
        if (a.seed_set && a.to.train.seed != info.seed)
            return cli_usage_error(usage_train, "--seed %llu: the checkpoint in %s was trained with seed %llu",
                                   (unsigned long long)a.to.train.seed, a.out, (unsigned long long)info.seed);
        if (a.batch_set && a.to.train.batch != info.batch)
            return cli_usage_error(usage_train, "--batch %d: the checkpoint in %s was trained with batch %d",
                                   a.to.train.batch, a.out, info.batch);
        a.to.train.seed = info.seed;
        a.to.train.batch = info.batch;
        if (!a.quiet && info.member)
            fprintf(stderr, "rnnkit: resuming %s at network %d, step %lld (epoch %d)\n", a.out, info.member + 1,
                    (long long)info.step, info.epoch);
        else if (!a.quiet)
            fprintf(stderr, "rnnkit: resuming %s at step %lld (epoch %d)\n", a.out, (long long)info.step,
                    info.epoch);
    }
    if (!a.folds)
        cli_install_stop_handlers();

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_corpus *corpus = NULL, *vcorpus = NULL;
    rnnkit_corpus_options co = {.format = a.format, .skip_bad = a.skip_bad, .labelled = 1};
    if (rnnkit_corpus_load(a.train, &co, &corpus, &err))
        return cli_fail(&err);
    if (rnnkit_corpus_skipped(corpus) && !a.quiet)
        fprintf(stderr, "rnnkit: %s: skipped %zu malformed rows\n", a.train, rnnkit_corpus_skipped(corpus));
    if (rnnkit_corpus_num_labels(corpus) < 2) {
        cli_failf("%s: only one label ('%s'): a classifier needs two or more", a.train,
                  rnnkit_corpus_label_name(corpus, 0));
        rnnkit_corpus_free(corpus);
        return CLI_EXIT_FAIL;
    }
    if (rnnkit_corpus_num_labels(corpus) > RNNKIT_MAX_LABELS) {
        cli_failf("%s: %zu distinct labels (at most %d): is the first column really the label?", a.train,
                  rnnkit_corpus_num_labels(corpus), RNNKIT_MAX_LABELS);
        rnnkit_corpus_free(corpus);
        return CLI_EXIT_FAIL;
    }
    if (a.valid && rnnkit_corpus_load(a.valid, &co, &vcorpus, &err)) {
        rnnkit_corpus_free(corpus);
        return cli_fail(&err);
    }
    size_t n = rnnkit_corpus_size(corpus);
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx) {
        rnnkit_corpus_free(corpus);
        rnnkit_corpus_free(vcorpus);
        return cli_failf("out of memory");
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    shuffle(idx, n, a.to.train.seed ^ 0x5b1175ULL);
    cli_progress prog;
    cli_progress_init(&prog, a.quiet, "ex/s", 0);
    cli_progress_format(&prog, log_format);
    int rc = CLI_EXIT_OK;
    if (a.folds) {
        double accs[100], sum = 0, sq = 0;
        for (int f = 0; f < a.folds; f++) {
            size_t lo = n * (size_t)f / (size_t)a.folds, hi = n * (size_t)(f + 1) / (size_t)a.folds;
            size_t *tr = malloc(n * sizeof *tr), ntr = 0;
            if (!tr) {
                rc = cli_failf("out of memory");
                break;
            }
            for (size_t i = 0; i < n; i++)
                if (i < lo || i >= hi)
                    tr[ntr++] = idx[i];
            rnnkit_model *m = NULL;
            train_args fa = a;
            fa.to.train.patience = 0; /* no held-out set inside a fold: fixed epochs */
            rnnkit_status st = train_one(&fa, corpus, tr, ntr, NULL, NULL, 0, &m, NULL, NULL, &prog, &err);
            encoded ete = {0};
            double loss = 0, acc = 0;
            if (!st)
                st = encode_rows(m, corpus, idx + lo, hi - lo, &ete, &err);
            if (!st) {
                rnnkit_dataset dte = encoded_view(&ete);
                st = rnnkit_classifier_evaluate(m, &dte, a.mc.maxlen, a.mc.keep_last, &loss, &acc, &err);
            }
            encoded_free(&ete);
            rnnkit_model_free(m);
            free(tr);
            if (st) {
                rc = cli_fail(&err);
                break;
            }
            accs[f] = acc;
            sum += acc;
            printf("fold %d/%d\taccuracy %.4f\n", f + 1, a.folds, acc);
            fflush(stdout);
        }
        if (rc == CLI_EXIT_OK) {
            double mean = sum / a.folds;
            for (int f = 0; f < a.folds; f++)
                sq += (accs[f] - mean) * (accs[f] - mean);
            printf("%d-fold accuracy\tmean %.4f\tstd %.4f\n", a.folds, mean, sqrt(sq / (a.folds - 1)));
        }
    } else {
        size_t nva = vcorpus ? rnnkit_corpus_size(vcorpus) : (size_t)((double)n * a.valid_split);
        const size_t *va = vcorpus ? NULL : idx;
        const size_t *tr = vcorpus ? idx : idx + nva;
        size_t ntr = vcorpus ? n : n - nva;
        rnnkit_model *m = NULL;
        rnnkit_log_row *log = NULL;
        int nlog = 0;
        if (!a.quiet)
            fprintf(stderr, "rnnkit: training on %zu documents, validating on %zu, %zu labels\n", ntr, nva,
                    rnnkit_corpus_num_labels(corpus));
        rnnkit_status st = train_one(&a, corpus, tr, ntr, vcorpus ? vcorpus : (nva ? corpus : NULL), va, nva, &m,
                                     &log, &nlog, &prog, &err);
        /* the training wrote the model file itself (checkpoints, final model) */
        if (st) {
            rc = cli_fail(&err);
            if (st == RNNKIT_ERR_INTERRUPTED)
                fprintf(stderr, "rnnkit: %s holds the checkpoint; continue with the same command and --resume\n",
                        a.out);
        }
        else if (!a.quiet && rnnkit_model_num_members(m) > 1)
            fprintf(stderr, "rnnkit: wrote %s (%d networks of %zu parameters, vocabulary %lld)\n", a.out,
                    rnnkit_model_num_members(m), rnnkit_model_num_params(m),
                    (long long)rnnkit_vocab_size(rnnkit_model_vocab(m)));
        else if (!a.quiet)
            fprintf(stderr, "rnnkit: wrote %s (%zu parameters, vocabulary %lld)\n", a.out,
                    rnnkit_model_num_params(m), (long long)rnnkit_vocab_size(rnnkit_model_vocab(m)));
        free(log);
        rnnkit_model_free(m);
    }
    free(idx);
    rnnkit_corpus_free(corpus);
    rnnkit_corpus_free(vcorpus);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* predict */

/* Loads a classifier; member > 0 keeps that network of an ensemble alone. */
static rnnkit_status load_classifier(const char *path, int member, rnnkit_model **m, rnnkit_error *err)
{
    rnnkit_status st = rnnkit_model_load(path, RNNKIT_TASK_CLASSIFY, m, err);
    if (!st && (st = cli_keep_member(*m, path, member, err))) {
        rnnkit_model_free(*m);
        *m = NULL;
    }
    return st;
}

typedef struct doc_list {
    char **names;
    char **texts;
    size_t *lens;
    size_t n, cap;
} doc_list;

static void doc_list_free(doc_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->names[i]);
        free(l->texts[i]);
    }
    free(l->names);
    free(l->texts);
    free(l->lens);
    memset(l, 0, sizeof *l);
}

static rnnkit_status doc_list_push(doc_list *l, char *name, char *text, size_t len, rnnkit_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **nn = realloc(l->names, cap * sizeof *nn);
        if (nn)
            l->names = nn;
        char **tt = realloc(l->texts, cap * sizeof *tt);
        if (tt)
            l->texts = tt;
        size_t *ll = realloc(l->lens, cap * sizeof *ll);
        if (ll)
            l->lens = ll;
        if (!nn || !tt || !ll) {
            free(name);
            free(text);
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        }
        l->cap = cap;
    }
    l->names[l->n] = name;
    l->texts[l->n] = text;
    l->lens[l->n] = len;
    l->n++;
    return RNNKIT_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static rnnkit_status collect(doc_list *l, const char *path, int depth, rnnkit_error *err)
{
    struct stat sb;
    if (strcmp(path, "-") && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (depth > 32)
            return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: directories nested too deep", path);
        DIR *dir = opendir(path);
        if (!dir)
            return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open directory", path);
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        rnnkit_status st = RNNKIT_OK;
        while ((de = readdir(dir))) {
            if (de->d_name[0] == '.')
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                char **nn = realloc(names, cap * sizeof *nn);
                if (!nn) {
                    st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
                    break;
                }
                names = nn;
            }
            if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0) {
                st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
                break;
            }
            n++;
        }
        closedir(dir);
        if (!st)
            qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++) {
            if (!st)
                st = collect(l, names[i], depth + 1, err);
            free(names[i]);
        }
        free(names);
        return st;
    }
    char *text = NULL;
    size_t len = 0;
    rnnkit_status st = rnnkit_read_text_file(path, &text, &len, err);
    if (st)
        return st;
    if (!strcmp(path, "-")) { /* one document per line */
        size_t line = 0;
        char *p = text, *end = text + len;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
            line++;
            if (ll && p[ll - 1] == '\r')
                ll--;
            char *name = NULL, *copy = malloc(ll + 1);
            if (!copy || asprintf(&name, "-:%zu", line) < 0) {
                free(copy);
                free(text);
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
            }
            memcpy(copy, p, ll);
            copy[ll] = 0;
            if ((st = doc_list_push(l, name, copy, ll, err))) {
                free(text);
                return st;
            }
            p = nl ? nl + 1 : end;
        }
        free(text);
        return RNNKIT_OK;
    }
    char *name = strdup(path);
    if (!name) {
        free(text);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    return doc_list_push(l, name, text, len, err);
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

static int cmd_predict(int argc, char **argv)
{
    const char *model = NULL;
    int jsonl = 0, top_k = 1, threads = 1;
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"format", required_argument, 0, 'f'},
                                          {"top-k", required_argument, 0, 'k'}, {"threads", required_argument, 0, 't'},
                                          {"member", required_argument, 0, 'M'}, {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    int c, member = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'M':
            if (cli_parse_int("--member", optarg, 1, RNNKIT_MAX_MEMBERS, &member))
                return CLI_EXIT_USAGE;
            break;
        case 'f':
            if (!strcmp(optarg, "jsonl"))
                jsonl = 1;
            else if (strcmp(optarg, "tsv"))
                return cli_usage_error(usage_predict, "--format: '%s' is not tsv or jsonl", optarg);
            break;
        case 'k':
            if (cli_parse_int("--top-k", optarg, 1, 1000000, &top_k))
                return CLI_EXIT_USAGE;
            break;
        case 't':
            if (cli_parse_int("--threads", optarg, 1, 64, &threads))
                return CLI_EXIT_USAGE;
            break;
        case 'h': fputs(usage_predict, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_predict, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_predict, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!model)
        return cli_usage_error(usage_predict, "-m MODEL.db is required");
    if (optind >= argc)
        return cli_usage_error(usage_predict, "no input: give files, directories or -");
    cli_set_threads(threads);
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (load_classifier(model, member, &m, &err))
        return cli_fail(&err);
    doc_list docs = {0};
    encoded enc = {0};
    float *probs = NULL;
    int *order = NULL;
    int rc = CLI_EXIT_OK;
    rnnkit_status st = RNNKIT_OK;
    for (int i = optind; !st && i < argc; i++)
        st = collect(&docs, argv[i], 0, &err);
    for (size_t i = 0; !st && i < docs.n; i++)
        st = encoded_add(&enc, rnnkit_model_vocab(m), docs.texts[i], docs.lens[i], docs.names[i], 0, &err);
    const int K = rnnkit_model_num_labels(m);
    if (top_k > K)
        top_k = K;
    if (!st) {
        probs = malloc((docs.n ? docs.n : 1) * (size_t)K * sizeof(float));
        order = malloc((size_t)K * sizeof(int));
        if (!probs || !order)
            st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    if (!st) {
        rnnkit_dataset d = encoded_view(&enc);
        st = rnnkit_classifier_predict(m, &d, rnnkit_model_get_config(m)->maxlen,
                                       rnnkit_model_get_config(m)->keep_last, probs, &err);
    }
    if (st)
        rc = cli_fail(&err);
    for (size_t i = 0; !st && i < docs.n; i++) {
        const float *p = probs + i * (size_t)K;
        for (int k = 0; k < K; k++)
            order[k] = k;
        for (int a = 0; a < top_k; a++) /* partial selection sort: top_k is small */
            for (int b = a + 1; b < K; b++)
                if (p[order[b]] > p[order[a]]) {
                    int t = order[a];
                    order[a] = order[b];
                    order[b] = t;
                }
        if (jsonl) {
            fputs("{\"path\":", stdout);
            json_str(stdout, docs.names[i]);
            fputs(",\"labels\":[", stdout);
            for (int a = 0; a < top_k; a++) {
                fputs(a ? ",{\"label\":" : "{\"label\":", stdout);
                json_str(stdout, rnnkit_model_label(m, order[a]));
                printf(",\"probability\":%.6f}", (double)p[order[a]]);
            }
            fputs("]}\n", stdout);
        } else {
            fputs(docs.names[i], stdout);
            for (int a = 0; a < top_k; a++)
                printf("\t%s\t%.6f", rnnkit_model_label(m, order[a]), (double)p[order[a]]);
            fputc('\n', stdout);
        }
    }
    free(probs);
    free(order);
    encoded_free(&enc);
    doc_list_free(&docs);
    rnnkit_model_free(m);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* eval */

static int cmd_eval(int argc, char **argv)
{
    const char *model = NULL;
    int json = 0, threads = 1, skip_bad = 0;
    rnnkit_corpus_format format = RNNKIT_CORPUS_AUTO;
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"format", required_argument, 0, 'f'},
                                          {"json", no_argument, 0, 'j'}, {"skip-bad", no_argument, 0, 's'},
                                          {"threads", required_argument, 0, 't'}, {"member", required_argument, 0, 'M'},
                                          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c, member = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'M':
            if (cli_parse_int("--member", optarg, 1, RNNKIT_MAX_MEMBERS, &member))
                return CLI_EXIT_USAGE;
            break;
        case 'f':
            if (parse_format(optarg, &format))
                return cli_usage_error(usage_eval, "--format: unknown format '%s'", optarg);
            break;
        case 'j': json = 1; break;
        case 's': skip_bad = 1; break;
        case 't':
            if (cli_parse_int("--threads", optarg, 1, 64, &threads))
                return CLI_EXIT_USAGE;
            break;
        case 'h': fputs(usage_eval, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_eval, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_eval, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!model)
        return cli_usage_error(usage_eval, "-m MODEL.db is required");
    if (optind != argc - 1)
        return cli_usage_error(usage_eval, "give exactly one labelled DATA file or directory");
    cli_set_threads(threads);
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (load_classifier(model, member, &m, &err))
        return cli_fail(&err);
    rnnkit_corpus *corpus = NULL;
    rnnkit_corpus_options co = {.format = format, .skip_bad = skip_bad, .labelled = 1};
    if (rnnkit_corpus_load(argv[optind], &co, &corpus, &err)) {
        rnnkit_model_free(m);
        return cli_fail(&err);
    }
    const int K = rnnkit_model_num_labels(m);
    encoded enc = {0};
    float *probs = NULL;
    int64_t *conf = NULL;
    int rc = CLI_EXIT_OK;
    rnnkit_status st = encode_rows(m, corpus, NULL, rnnkit_corpus_size(corpus), &enc, &err);
    if (!st) {
        probs = malloc(enc.n * (size_t)K * sizeof(float));
        conf = calloc((size_t)K * (size_t)K, sizeof *conf);
        if (!probs || !conf)
            st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    double loss = 0, acc = 0;
    if (!st) {
        rnnkit_dataset d = encoded_view(&enc);
        const rnnkit_model_config *mc = rnnkit_model_get_config(m);
        st = rnnkit_classifier_evaluate(m, &d, mc->maxlen, mc->keep_last, &loss, &acc, &err);
        if (!st)
            st = rnnkit_classifier_predict(m, &d, mc->maxlen, mc->keep_last, probs, &err);
    }
    if (st) {
        rc = cli_fail(&err);
    } else {
        for (size_t i = 0; i < enc.n; i++) {
            const float *p = probs + i * (size_t)K;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (p[k] > p[best])
                    best = k;
            conf[(size_t)enc.label[i] * K + best]++;
        }
        double macro = 0;
        if (json) {
            printf("{\"documents\":%zu,\"accuracy\":%.6f,\"loss\":%.6f,\"labels\":[", enc.n, acc, loss);
        } else {
            printf("documents\t%zu\naccuracy\t%.4f\nloss\t%.4f\n\n%-16s %9s %9s %9s %9s\n", enc.n, acc, loss, "label",
                   "precision", "recall", "f1", "support");
        }
        for (int k = 0; k < K; k++) {
            int64_t tp = conf[(size_t)k * K + k], pred = 0, sup = 0;
            for (int j = 0; j < K; j++) {
                pred += conf[(size_t)j * K + k];
                sup += conf[(size_t)k * K + j];
            }
            double pr = pred ? (double)tp / (double)pred : 0, re = sup ? (double)tp / (double)sup : 0;
            double f1 = pr + re > 0 ? 2 * pr * re / (pr + re) : 0;
            macro += f1 / K;
            if (json) {
                fputs(k ? ",{\"label\":" : "{\"label\":", stdout);
                json_str(stdout, rnnkit_model_label(m, k));
                printf(",\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"support\":%lld}", pr, re, f1,
                       (long long)sup);
            } else {
                printf("%-16s %9.4f %9.4f %9.4f %9lld\n", rnnkit_model_label(m, k), pr, re, f1, (long long)sup);
            }
        }
        if (json) {
            printf("],\"macro_f1\":%.6f,\"confusion\":[", macro);
            for (int k = 0; k < K; k++) {
                fputs(k ? ",[" : "[", stdout);
                for (int j = 0; j < K; j++)
                    printf(j ? ",%lld" : "%lld", (long long)conf[(size_t)k * K + j]);
                fputc(']', stdout);
            }
            fputs("]}\n", stdout);
        } else {
            printf("\nmacro F1\t%.4f\n\nconfusion (rows: true, columns: predicted)\n%-16s", macro, "");
            for (int j = 0; j < K; j++)
                printf(" %9.9s", rnnkit_model_label(m, j));
            fputc('\n', stdout);
            for (int k = 0; k < K; k++) {
                printf("%-16.16s", rnnkit_model_label(m, k));
                for (int j = 0; j < K; j++)
                    printf(" %9lld", (long long)conf[(size_t)k * K + j]);
                fputc('\n', stdout);
            }
        }
    }
    free(probs);
    free(conf);
    encoded_free(&enc);
    rnnkit_corpus_free(corpus);
    rnnkit_model_free(m);
    return rc;
}

int cmd_classify(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage_main, "classify: missing verb");
    const char *verb = argv[1];
    if (!strcmp(verb, "--help") || !strcmp(verb, "-h")) {
        fputs(usage_main, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(verb, "train"))
        return cmd_train(argc - 1, argv + 1);
    if (!strcmp(verb, "predict"))
        return cmd_predict(argc - 1, argv + 1);
    if (!strcmp(verb, "eval"))
        return cmd_eval(argc - 1, argv + 1);
    return cli_usage_error(usage_main, "classify: unknown verb '%s'", verb);
}
