/*
 * cli/cmd_generate.c: `rnnkit generate train | sample | eval`: a
 * character-level generator. Parsing, progress and output only.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rnnkit/corpus.h"
#include "rnnkit/model.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

#define LN2 0.69314718055994530942

static const char usage_main[] =
    "usage: rnnkit generate <verb> [options]\n"
    "\n"
    "verbs:\n"
    "  train     learn a text character by character (grapheme clusters)\n"
    "  sample    continue a seed text\n"
    "  eval      loss and bits per character of a text under a model\n"
    "\n"
    "`rnnkit generate <verb> --help` for the options of a verb.\n";

static const char usage_train[] =
    "usage: rnnkit generate train --text FILE [--text FILE...] -o MODEL.db [options]\n"
    "\n"
    "data:\n"
    "  --text FILE         UTF-8 training text (repeatable; files are concatenated)\n"
    "  --valid FILE        validation text (default: the tail of the training text)\n"
    "  --valid-frac F      fraction of the text held out as validation (default 0.05)\n"
    "  --normalize N       none|nfc|nfkc (default none)\n"
    "  -o, --output FILE   the model file (created at the start, then checkpointed)\n"
    "model:\n"
    "  --cell C            lstm|gru|rnn (default lstm)\n"
    "  --embed N           embedding size (default 64)\n"
    "  --hidden N          hidden size (default 512)\n"
    "  --layers N          recurrent layers (default 2)\n"
    "  --dropout F         dropout between layers and before the output (default 0.4)\n"
    "  --embed-dropout F   dropout on the character embeddings (default 0)\n"
    "  --weight-drop F     DropConnect on the recurrent weights in training (default 0.35)\n"
    "training:\n"
    "  --seq-len N         steps of back-propagation through time (default 100)\n"
    "  --batch N           parallel streams (default 64)\n"
    "  --steps N           optimiser steps (default 4500; 0 = use --epochs)\n"
    "  --epochs N          passes over the text when --steps 0 (default 1)\n"
    "  --lr F              Adam learning rate (default 0.002)\n"
    "  --lr-schedule S     cosine|plateau (default cosine): cosine takes the rate from --lr\n"
    "                      to 0 over --steps; plateau multiplies it by --lr-decay at each\n"
    "                      evaluation without improvement\n"
    "  --lr-decay F        the plateau schedule's factor (default 0.5)\n"
    "  --eval-every N      steps between validation runs (default 100)\n"
    "  --patience N        stop after N evaluations without improvement (default 0 = never)\n"
    "  --clip F            clip the gradient's global norm (default 5)\n"
    "  --seed N            random seed (default 1)\n"
    "  --threads N         BLAS threads (default 1)\n"
    "  -q, --quiet         no progress output\n"
    "  --log-format F      text|jsonl: progress as text or one JSON object per line\n"
    "checkpoints:\n"
    "  --checkpoint-minutes M  also checkpoint every M minutes (default 10; fractions allowed;\n"
    "                      0 = only at evaluations)\n"
    "  --checkpoint-steps N  also checkpoint every N steps (default 0 = off)\n"
    "  --resume            continue the run checkpointed in -o MODEL.db (same text, seed,\n"
    "                      batch and seq-len; --steps is the total). The model file is\n"
    "                      written at the start and at every checkpoint; SIGINT/SIGTERM\n"
    "                      checkpoint and stop (exit 130/143)\n";

static const char usage_sample[] =
    "usage: rnnkit generate sample -m MODEL.db [options]\n"
    "\n"
    "  -m, --model FILE    the generator\n"
    "  --seed TEXT         text to continue (default: a newline); printed first\n"
    "  --length N          characters to generate (default 500)\n"
    "  --temperature T     > 0; lower is more conservative (default 1.0)\n"
    "  --top-k K           sample among the K most likely characters only\n"
    "  --top-p P           sample from the smallest set with probability >= P\n"
    "  --argmax            always take the most likely character\n"
    "  --rng-seed S        random seed (default 1): same seed, same text\n"
    "  --stop STRING       stop once STRING has been generated\n"
    "  --count N           N independent samples, separated by a blank line (default 1)\n"
    "  --unknown U         error|skip: a seed character the model does not know (default error)\n"
    "  --check-copy FILE   report the longest run of the output found verbatim in FILE\n";

static const char usage_eval[] =
    "usage: rnnkit generate eval -m MODEL.db FILE\n"
    "\n"
    "Prints the mean loss in nats per character and in bits per character.\n"
    "  --threads N         BLAS threads (default 1)\n";

/* Reads and encodes a whole file with the vocabulary. */
static rnnkit_status encode_file(rnnkit_vocab *v, const char *path, int32_t **ids, size_t *n, rnnkit_error *err)
{
    char *text = NULL;
    size_t len = 0;
    rnnkit_status st = rnnkit_read_text_file(path, &text, &len, err);
    if (st)
        return st;
    size_t cap = len + 1;
    *ids = malloc(cap * sizeof(int32_t));
    if (!*ids) {
        free(text);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
    }
    st = rnnkit_vocab_encode(v, text, len, path, *ids, cap, 0, n, err);
    if (!st && *n > cap) { /* more tokens than bytes (normalisation expanded): retry at size */
        int32_t *bigger = realloc(*ids, *n * sizeof(int32_t));
        if (!bigger)
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
        else {
            *ids = bigger;
            cap = *n;
            st = rnnkit_vocab_encode(v, text, len, path, *ids, cap, 0, n, err);
        }
    }
    free(text);
    if (st) {
        free(*ids);
        *ids = NULL;
    }
    return st;
}

static int cmd_train(int argc, char **argv)
{
    const char *texts[64];
    int ntexts = 0, threads = 1, quiet = 0, resume = 0, seed_set = 0, batch_set = 0, seq_set = 0, decay_set = 0;
    const char *out = NULL, *valid = NULL, *log_format = "text";
    double valid_frac = 0.05, d;
    rnnkit_tok_config tok;
    rnnkit_tok_config_default(&tok, RNNKIT_LEVEL_CHAR);
    rnnkit_model_config mc;
    rnnkit_model_config_default(&mc, RNNKIT_TASK_GENERATE);
    rnnkit_generator_options to;
    rnnkit_generator_options_default(&to);
    to.train.checkpoint_seconds = 600;
    enum { O_TEXT = 256, O_VALID, O_VFRAC, O_NORM, O_CELL, O_EMBED, O_HIDDEN, O_LAYERS, O_DROP, O_EDROP, O_WDROP, O_SEQ, O_BATCH,
           O_STEPS, O_EPOCHS, O_LR, O_DECAY, O_SCHED, O_EVAL, O_PAT, O_CLIP, O_SEED, O_THREADS, O_CKMIN, O_CKSTEPS,
           O_RESUME };
    static const struct option opts[] = {
        {"text", required_argument, 0, O_TEXT}, {"valid", required_argument, 0, O_VALID},
        {"valid-frac", required_argument, 0, O_VFRAC}, {"normalize", required_argument, 0, O_NORM},
        {"output", required_argument, 0, 'o'}, {"cell", required_argument, 0, O_CELL},
        {"embed", required_argument, 0, O_EMBED}, {"hidden", required_argument, 0, O_HIDDEN},
        {"layers", required_argument, 0, O_LAYERS}, {"dropout", required_argument, 0, O_DROP},
        {"embed-dropout", required_argument, 0, O_EDROP},
        {"weight-drop", required_argument, 0, O_WDROP}, {"seq-len", required_argument, 0, O_SEQ}, {"batch", required_argument, 0, O_BATCH},
        {"steps", required_argument, 0, O_STEPS}, {"epochs", required_argument, 0, O_EPOCHS},
        {"lr", required_argument, 0, O_LR}, {"lr-decay", required_argument, 0, O_DECAY},
        {"lr-schedule", required_argument, 0, O_SCHED},
        {"eval-every", required_argument, 0, O_EVAL}, {"patience", required_argument, 0, O_PAT},
        {"clip", required_argument, 0, O_CLIP}, {"seed", required_argument, 0, O_SEED},
        {"threads", required_argument, 0, O_THREADS}, {"log-format", required_argument, 0, 'L'}, {"quiet", no_argument, 0, 'q'},
        {"checkpoint-minutes", required_argument, 0, O_CKMIN}, {"checkpoint-steps", required_argument, 0, O_CKSTEPS},
        {"resume", no_argument, 0, O_RESUME},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_TEXT:
            if (ntexts == 64)
                return cli_usage_error(usage_train, "--text: at most 64 files");
            texts[ntexts++] = optarg;
            break;
        case O_VALID: valid = optarg; break;
        case O_VFRAC: bad = cli_parse_double("--valid-frac", optarg, 0, 0.5, &valid_frac); break;
        case O_NORM:
            if (!strcmp(optarg, "none"))
                tok.normalize = RNNKIT_NORM_NONE;
            else if (!strcmp(optarg, "nfc"))
                tok.normalize = RNNKIT_NORM_NFC;
            else if (!strcmp(optarg, "nfkc"))
                tok.normalize = RNNKIT_NORM_NFKC;
            else
                return cli_usage_error(usage_train, "--normalize: '%s' is not none, nfc or nfkc", optarg);
            break;
        case 'o': out = optarg; break;
        case O_CELL: {
            int cell = rnnkit_cell_from_name(optarg);
            if (cell < 0)
                return cli_usage_error(usage_train, "--cell: '%s' is not lstm, gru or rnn", optarg);
            mc.cell = (rnnkit_cell)cell;
            break;
        }
        case O_EMBED: bad = cli_parse_int("--embed", optarg, 1, 65536, &mc.embed); break;
        case O_HIDDEN: bad = cli_parse_int("--hidden", optarg, 1, 65536, &mc.hidden); break;
        case O_LAYERS: bad = cli_parse_int("--layers", optarg, 1, 64, &mc.layers); break;
        case O_DROP:
            bad = cli_parse_double("--dropout", optarg, 0, 0.95, &d);
            mc.dropout = (float)d;
            break;
        case O_EDROP:
            bad = cli_parse_double("--embed-dropout", optarg, 0, 0.95, &d);
            mc.embed_dropout = (float)d;
            break;
        case O_WDROP:
            bad = cli_parse_double("--weight-drop", optarg, 0, 0.95, &d);
            mc.weight_drop = (float)d;
            break;
        case O_SEQ:
            bad = cli_parse_int("--seq-len", optarg, 1, 100000, &to.seq_len);
            seq_set = 1;
            break;
        case O_BATCH:
            bad = cli_parse_int("--batch", optarg, 1, 4096, &to.train.batch);
            batch_set = 1;
            break;
        case O_STEPS: bad = cli_parse_i64("--steps", optarg, 0, INT64_C(1) << 40, &to.steps); break;
        case O_EPOCHS: bad = cli_parse_int("--epochs", optarg, 1, 100000, &to.epochs); break;
        case O_LR: bad = cli_parse_double("--lr", optarg, 1e-8, 10, &to.train.lr); break;
        case O_DECAY:
            bad = cli_parse_double("--lr-decay", optarg, 0.01, 1, &to.train.lr_decay);
            decay_set = 1;
            break;
        case O_SCHED:
            if (cli_lr_schedule(optarg, &to.train.lr_schedule))
                return cli_usage_error(usage_train, "--lr-schedule: '%s' is not cosine or plateau", optarg);
            break;
        case O_EVAL: bad = cli_parse_int("--eval-every", optarg, 1, 100000000, &to.eval_every); break;
        case O_PAT: bad = cli_parse_int("--patience", optarg, 0, 100000, &to.train.patience); break;
        case O_CLIP: bad = cli_parse_double("--clip", optarg, 0, 1e6, &to.train.clip); break;
        case O_SEED:
            bad = cli_parse_u64("--seed", optarg, &to.train.seed);
            seed_set = 1;
            break;
        case O_THREADS: bad = cli_parse_int("--threads", optarg, 1, 64, &threads); break;
        case O_CKMIN:
            bad = cli_parse_double("--checkpoint-minutes", optarg, 0, 1e6, &d);
            to.train.checkpoint_seconds = 60.0 * d;
            break;
        case O_CKSTEPS: bad = cli_parse_i64("--checkpoint-steps", optarg, 0, INT64_MAX, &to.train.checkpoint_steps); break;
        case O_RESUME: resume = 1; break;
        case 'q': quiet = 1; break;
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
    if (!ntexts)
        return cli_usage_error(usage_train, "--text is required");
    if (decay_set && to.train.lr_schedule != RNNKIT_LR_PLATEAU)
        return cli_usage_error(usage_train, "--lr-decay: the cosine schedule does not use it; add --lr-schedule plateau");
    if (!out)
        return cli_usage_error(usage_train, "-o MODEL.db is required");
    if (strcmp(log_format, "text") && strcmp(log_format, "jsonl"))
        return cli_usage_error(usage_train, "--log-format: '%s' is not text or jsonl", log_format);
    cli_set_threads(threads);

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_vocab_builder *b = NULL;
    rnnkit_vocab *vocab = NULL;
    rnnkit_model *m = NULL;
    int32_t *all = NULL, *vids = NULL;
    size_t nall = 0, nv = 0;
    rnnkit_log_row *log = NULL;
    int nlog = 0, rc = CLI_EXIT_OK;
    rnnkit_status st = RNNKIT_OK;
    if (resume) {
        rnnkit_checkpoint_info info;
        if (rnnkit_checkpoint_info_read(out, &info, &err)) {
            rnnkit_error_prefix(&err, "--resume");
            return cli_fail(&err);
        }
        if (info.task != RNNKIT_TASK_GENERATE)
            return cli_failf("%s: this is a classifier's checkpoint; use `rnnkit classify train --resume`", out);
        if ((seed_set && to.train.seed != info.seed) || (batch_set && to.train.batch != info.batch) ||
            (seq_set && to.seq_len != info.seq_len))
            return cli_usage_error(usage_train,
                                   "the checkpoint in %s was trained with --seed %llu --batch %d --seq-len %d",
                                   out, (unsigned long long)info.seed, info.batch, info.seq_len);
        to.train.seed = info.seed;
        to.train.batch = info.batch;
        to.seq_len = info.seq_len;
        if (!quiet)
            fprintf(stderr, "rnnkit: resuming %s at step %lld\n", out, (long long)info.step);
        st = rnnkit_model_load(out, RNNKIT_TASK_GENERATE, &m, &err);
    }
    if (!st && !m)
        st = rnnkit_vocab_builder_new(&tok, &b, &err);
    /* The vocabulary: every grapheme cluster of the training and validation text. */
    for (int i = 0; !st && !m && i <= ntexts; i++) {
        const char *path = i < ntexts ? texts[i] : valid;
        if (!path)
            continue;
        char *text = NULL;
        size_t len = 0;
        st = rnnkit_read_text_file(path, &text, &len, &err);
        if (!st && i < ntexts) {
            size_t k = 0;
            while (k < len && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r' ||
                               text[k] == '\f' || text[k] == '\v'))
                k++;
            if (k == len)
                st = rnnkit_error_set(&err, RNNKIT_ERR_EMPTY, "%s: %s", path,
                                      len ? "holds only whitespace: nothing to learn" : "the training text is empty");
        }
        if (!st)
            st = rnnkit_vocab_builder_add(b, text, len, path, &err);
        free(text);
    }
    if (!st && !m) {
        st = rnnkit_vocab_builder_finish(b, 1, 0, &vocab, &err);
        if (!st && rnnkit_vocab_size(vocab) < 3)
            st = rnnkit_error_set(&err, RNNKIT_ERR_EMPTY, "%s: the training text is empty", texts[0]);
        if (!st)
            st = rnnkit_model_create(&mc, vocab, NULL, 0, to.train.seed, &m, &err);
        else
            rnnkit_vocab_free(vocab);
    }
    rnnkit_vocab_builder_free(b);
    for (int i = 0; !st && i < ntexts; i++) {
        int32_t *ids = NULL;
        size_t n = 0;
        st = encode_file(rnnkit_model_vocab(m), texts[i], &ids, &n, &err);
        if (st)
            break;
        int32_t *grown = realloc(all, (nall + n + 1) * sizeof *all);
        if (!grown) {
            free(ids);
            st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
            break;
        }
        all = grown;
        memcpy(all + nall, ids, n * sizeof *ids);
        nall += n;
        free(ids);
    }
    const int32_t *tr = all, *va = NULL;
    size_t ntr = nall, nva = 0;
    if (!st && valid) {
        st = encode_file(rnnkit_model_vocab(m), valid, &vids, &nv, &err);
        va = vids;
        nva = nv;
    } else if (!st && valid_frac > 0) {
        nva = (size_t)((double)nall * valid_frac);
        ntr = nall - nva;
        va = all + ntr;
    }
    if (!st) {
        cli_progress prog;
        cli_progress_init(&prog, quiet, "char/s", 1);
        cli_progress_format(&prog, log_format);
        to.train.progress = cli_progress_cb;
        to.train.progress_ctx = &prog;
        if (!quiet)
            fprintf(stderr,
                    "rnnkit: %zu training and %zu validation characters, %lld symbols, %zu parameters\n", ntr,
                    nva, (long long)rnnkit_vocab_size(rnnkit_model_vocab(m)), rnnkit_model_num_params(m));
        to.train.checkpoint_path = out;
        to.train.resume = resume;
        to.train.stop = cli_stop_flag();
        cli_install_stop_handlers();
        st = rnnkit_generator_train(m, tr, ntr, va, nva, &to, &log, &nlog, &err);
        if (st == RNNKIT_ERR_EMPTY)
            rnnkit_error_prefix(&err, "%s%s", texts[0], ntexts > 1 ? " (and the other --text files)" : "");
    }
    /* the training wrote the model file itself (checkpoints, final model) */
    if (st) {
        rc = cli_fail(&err);
        if (st == RNNKIT_ERR_INTERRUPTED)
            fprintf(stderr, "rnnkit: %s holds the checkpoint; continue with the same command and --resume\n", out);
    }
    else if (!quiet)
        fprintf(stderr, "rnnkit: wrote %s\n", out);
    free(log);
    free(all);
    free(vids);
    rnnkit_model_free(m);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* sample */

typedef struct seed_ctx {
    rnnkit_vocab *v;
    int32_t *ids;
    size_t n, cap, pos;
    int skip;
    rnnkit_error err; /* the callback's own failure */
    int failed;
} seed_ctx;

static int seed_token(void *ctx, const char *tok, size_t len)
{
    seed_ctx *s = ctx;
    s->pos++;
    int64_t id = rnnkit_vocab_lookup(s->v, tok, len);
    if (id == RNNKIT_UNK_ID) {
        if (s->skip)
            return 0;
        rnnkit_error_set(&s->err, RNNKIT_ERR_ARG,
                         "--seed: character '%.*s' at position %zu is not in the model's vocabulary "
                         "(use --unknown skip to drop it)",
                         (int)len, tok, s->pos);
        s->failed = 1;
        return 1;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        int32_t *g = realloc(s->ids, cap * sizeof *g);
        if (!g) {
            rnnkit_error_set(&s->err, RNNKIT_ERR_NOMEM, "out of memory");
            s->failed = 1;
            return 1;
        }
        s->ids = g;
        s->cap = cap;
    }
    s->ids[s->n++] = (int32_t)id;
    return 0;
}

/* Longest substring of out[0..n) that occurs in text, by growing a window. */
static size_t longest_copy(const char *text, const char *out, size_t n, size_t *at)
{
    size_t best = 0;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t lo = best + 1;
        while (i + lo <= n) {
            char *probe = strndup(out + i, lo);
            int found = probe && strstr(text, probe) != NULL;
            free(probe);
            if (!found)
                break;
            best = lo;
            *at = i;
            lo++;
        }
    }
    return best;
}

static int cmd_sample(int argc, char **argv)
{
    const char *model = NULL, *seed = NULL, *stop = NULL, *copy_file = NULL;
    int64_t length = 500;
    int count = 1, skip = 0;
    uint64_t rng_seed = 1;
    double d;
    rnnkit_sample_options so = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .argmax = 0};
    enum { O_SEED = 256, O_LEN, O_TEMP, O_TOPK, O_TOPP, O_ARGMAX, O_RSEED, O_STOP, O_COUNT, O_UNK, O_COPY };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"seed", required_argument, 0, O_SEED},
        {"length", required_argument, 0, O_LEN}, {"temperature", required_argument, 0, O_TEMP},
        {"top-k", required_argument, 0, O_TOPK}, {"top-p", required_argument, 0, O_TOPP},
        {"argmax", no_argument, 0, O_ARGMAX}, {"rng-seed", required_argument, 0, O_RSEED},
        {"stop", required_argument, 0, O_STOP}, {"count", required_argument, 0, O_COUNT},
        {"unknown", required_argument, 0, O_UNK}, {"check-copy", required_argument, 0, O_COPY},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:h", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'm': model = optarg; break;
        case O_SEED: seed = optarg; break;
        case O_LEN: bad = cli_parse_i64("--length", optarg, 0, 100000000, &length); break;
        case O_TEMP:
            bad = cli_parse_double("--temperature", optarg, 1e-3, 100, &d);
            so.temperature = (float)d;
            break;
        case O_TOPK: bad = cli_parse_int("--top-k", optarg, 1, 1 << 24, &so.top_k); break;
        case O_TOPP:
            bad = cli_parse_double("--top-p", optarg, 1e-6, 1, &d);
            so.top_p = (float)d;
            break;
        case O_ARGMAX: so.argmax = 1; break;
        case O_RSEED: bad = cli_parse_u64("--rng-seed", optarg, &rng_seed); break;
        case O_STOP:
            if (!*optarg)
                return cli_usage_error(usage_sample, "--stop: empty string");
            stop = optarg;
            break;
        case O_COUNT: bad = cli_parse_int("--count", optarg, 1, 1000000, &count); break;
        case O_UNK:
            if (!strcmp(optarg, "skip"))
                skip = 1;
            else if (strcmp(optarg, "error"))
                return cli_usage_error(usage_sample, "--unknown: '%s' is not error or skip", optarg);
            break;
        case O_COPY: copy_file = optarg; break;
        case 'h': fputs(usage_sample, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_sample, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_sample, "unknown option '%s'", argv[optind - 1]);
        }
        if (bad)
            return CLI_EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error(usage_sample, "unexpected argument '%s'", argv[optind]);
    if (!model)
        return cli_usage_error(usage_sample, "-m MODEL.db is required");
    cli_set_threads(1);
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (rnnkit_model_load(model, RNNKIT_TASK_GENERATE, &m, &err))
        return cli_fail(&err);
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    char *copy_text = NULL;
    size_t copy_len = 0;
    rnnkit_status st = RNNKIT_OK;
    if (copy_file)
        st = rnnkit_read_text_file(copy_file, &copy_text, &copy_len, &err);
    /* The seed is split with the model's own rules. */
    seed_ctx sc = {.v = v, .skip = skip};
    rnnkit_tokenizer *tk = NULL;
    if (!st)
        st = rnnkit_tokenizer_new(rnnkit_vocab_config(v), &tk, &err);
    const char *seed_text = seed ? seed : "\n";
    if (!st) {
        st = rnnkit_tokenizer_run(tk, seed_text, strlen(seed_text), "--seed", seed_token, &sc, &err);
        if (sc.failed) {
            err = sc.err;
            st = err.status;
        }
    }
    rnnkit_tokenizer_free(tk);
    if (!st && sc.n == 0) {
        if (seed)
            st = rnnkit_error_set(&err, RNNKIT_ERR_ARG, "--seed: no character of the seed is in the model's vocabulary");
        else
            seed_token(&sc, "\n", 1), sc.failed = 0; /* newline unknown: start from the commonest symbol */
        if (!st && sc.n == 0) {
            sc.ids = malloc(sizeof *sc.ids);
            if (!sc.ids)
                st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
            else
                sc.ids[sc.n++] = 2;
        }
    }
    rnnkit_sampler *s = NULL;
    if (!st)
        st = rnnkit_sampler_new(m, &s, &err);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, rng_seed);
    int tty = isatty(1);
    char *outbuf = NULL;
    size_t outlen = 0, outcap = 0;
    for (int k = 0; !st && k < count; k++) {
        rnnkit_sampler_reset(s);
        if (seed)
            fputs(seed_text, stdout);
        for (size_t i = 0; !st && i < sc.n; i++)
            st = rnnkit_sampler_feed(s, sc.ids[i], &err);
        outlen = 0;
        for (int64_t i = 0; !st && i < length; i++) {
            int32_t id = rnnkit_sampler_draw(s, &so, &rng);
            size_t tl;
            const char *t = rnnkit_vocab_token(v, id, &tl);
            fwrite(t, 1, tl, stdout);
            if (tty)
                fflush(stdout);
            if (stop || copy_text) {
                if (outlen + tl + 1 > outcap) {
                    size_t cap = outcap ? 2 * outcap : 4096;
                    while (cap < outlen + tl + 1)
                        cap *= 2;
                    char *g = realloc(outbuf, cap);
                    if (!g) {
                        st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
                        break;
                    }
                    outbuf = g;
                    outcap = cap;
                }
                memcpy(outbuf + outlen, t, tl);
                outlen += tl;
                outbuf[outlen] = 0;
                size_t sl = stop ? strlen(stop) : 0;
                if (stop && outlen >= sl && memcmp(outbuf + outlen - sl, stop, sl) == 0)
                    break;
            }
            st = rnnkit_sampler_feed(s, id, &err);
        }
        fputc('\n', stdout);
        if (k + 1 < count)
            fputc('\n', stdout);
        if (!st && copy_text && outlen) {
            size_t at, n = longest_copy(copy_text, outbuf, outlen, &at);
            fprintf(stderr, "rnnkit: longest verbatim run from %s: %zu bytes of %zu: \"%.*s\"\n", copy_file, n,
                    outlen, (int)(n > 200 ? 200 : n), outbuf + at);
        }
    }
    fflush(stdout);
    int rc = st ? cli_fail(&err) : CLI_EXIT_OK;
    free(outbuf);
    free(copy_text);
    free(sc.ids);
    rnnkit_sampler_free(s);
    rnnkit_model_free(m);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* eval */

static int cmd_eval(int argc, char **argv)
{
    const char *model = NULL;
    int threads = 1;
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"threads", required_argument, 0, 't'},
                                          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
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
        return cli_usage_error(usage_eval, "give exactly one text FILE");
    cli_set_threads(threads);
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (rnnkit_model_load(model, RNNKIT_TASK_GENERATE, &m, &err))
        return cli_fail(&err);
    int32_t *ids = NULL;
    size_t n = 0;
    double loss = 0;
    rnnkit_status st = encode_file(rnnkit_model_vocab(m), argv[optind], &ids, &n, &err);
    size_t unk = 0;
    for (size_t i = 0; !st && i < n; i++)
        unk += ids[i] == RNNKIT_UNK_ID;
    if (!st)
        st = rnnkit_generator_evaluate(m, ids, n, &loss, &err);
    int rc = CLI_EXIT_OK;
    if (st)
        rc = cli_fail(&err);
    else
        printf("characters\t%zu\nunknown\t%zu\nloss\t%.4f nats/char\nbpc\t%.4f\n", n, unk, loss, loss / LN2);
    free(ids);
    rnnkit_model_free(m);
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage_main, "generate: missing verb");
    const char *verb = argv[1];
    if (!strcmp(verb, "--help") || !strcmp(verb, "-h")) {
        fputs(usage_main, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(verb, "train"))
        return cmd_train(argc - 1, argv + 1);
    if (!strcmp(verb, "sample"))
        return cmd_sample(argc - 1, argv + 1);
    if (!strcmp(verb, "eval"))
        return cmd_eval(argc - 1, argv + 1);
    return cli_usage_error(usage_main, "generate: unknown verb '%s'", verb);
}
