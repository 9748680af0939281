/*
 * cli/cmd_generate_train.c: `rnnkit generate train`: flags, progress and
 * messages; the text's vocabulary and ids come from rnnkit/text.h, the
 * training (which writes the model file itself) from rnnkit/model.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/model.h"
#include "rnnkit/text.h"

static const cli_use train_uses[] = {
    CLI_HEADING("data:"),
    CLI_USE_H(CF_TRAIN, NULL, "UTF-8 training text (repeatable; files are concatenated)"),
    CLI_USE_H(CF_VALID, NULL, "validation text (default: the tail of the training text)"),
    CLI_USE_H(CF_VALID_FRAC, "0.05", "fraction of the text held out as validation"),
    CLI_HEADING("vocabulary:"),
    CLI_USE_D(CF_LEVEL, "char"),
    CLI_USE_H(CF_VOCAB, NULL, "use this vocabulary (from `rnnkit vocab build`); otherwise\n"
                              "one is counted from the training text"),
    CLI_USE_H(CF_NORMALIZE, "none (char), nfkc (word)", NULL),
    CLI_USE_H(CF_MIN_COUNT, "1 (char), 2 (word)", NULL),
    CLI_USE_H(CF_MAX_VOCAB, "all (char), 50000 (word)", NULL),
    CLI_USE(CF_SPLIT_CLITICS),
    CLI_HEADING("output:"),
    CLI_USE_H(CF_OUTPUT, NULL, "the model file (created at the start, then checkpointed)"),
    CLI_USE(CF_FORCE),
    CLI_HEADING("model:"),
    CLI_USE_D(CF_CELL, "lstm"),
    CLI_USE_D(CF_EMBED, "64"),
    CLI_USE_D(CF_HIDDEN, "512"),
    CLI_USE_D(CF_LAYERS, "2"),
    CLI_USE_D(CF_DROPOUT, "0.4"),
    CLI_USE_D(CF_EMBED_DROPOUT, "0"),
    CLI_USE_D(CF_WEIGHT_DROP, "0.35"),
    CLI_USE_D(CF_EMBED_INIT, "0"),
    CLI_USE_D(CF_PRECISION, "bf16"),
    CLI_USE(CF_REVERSE),
    CLI_USE_H(CF_ENSEMBLE, "1", "networks trained one after the other (seeds SEED, SEED+1, ...);\n"
                                "sample and eval average their probabilities"),
    CLI_HEADING("training:"),
    CLI_USE_D(CF_SEQ_LEN, "100"),
    CLI_USE_H(CF_BATCH, "64", "parallel streams"),
    CLI_USE_D(CF_STEPS, "4500"),
    CLI_USE_H(CF_EPOCHS, "1", "passes over the text when --steps 0"),
    CLI_USE_D(CF_LR, "0.002"),
    CLI_USE_D(CF_LR_SCHEDULE, "cosine"),
    CLI_USE_D(CF_LR_DECAY, "0.5"),
    CLI_USE_D(CF_EVAL_EVERY, "100"),
    CLI_USE_D(CF_PATIENCE, "0"),
    CLI_USE_D(CF_CLIP, "5"),
    CLI_USE_D(CF_EMA, "0"),
    CLI_USE_D(CF_SOFTMAX_SAMPLES, "auto"),
    CLI_USE(CF_LAZY_EMBEDDING),
    CLI_TRAINER_USES_END,
};
/* --train names the training data in both train verbs (--text was generate's) */
static const cli_renamed train_renamed[] = {{"text", "train"}, {NULL, NULL}};
static const cli_command train_cmd = {
    "generate train", "usage: rnnkit generate train --train FILE [--train FILE...] -o MODEL.db [options]\n\n",
    train_uses, train_renamed};

typedef struct train_args {
    const char *texts[64], *out, *valid, *vocab;
    int ntexts, resume, seed_set, batch_set, seq_set, force, samples, clitics;
    int level, normalize; /* -1: the level's default */
    int64_t min_count, max_vocab; /* 0: the level's default */
    double valid_frac;
    cli_output_opts o;
    rnnkit_tok_config tok;
    rnnkit_model_config mc;
    rnnkit_generator_options to;
} train_args;

/* The tokenizer's rules from --level and --normalize: characters as they
 * are by default, words with rnnkit's word defaults (NFKC, lower case). */
static void train_tok(train_args *a)
{
    const int words = a->level == 0; /* "word|char": word is index 0 */
    rnnkit_tok_config_default(&a->tok, words ? RNNKIT_LEVEL_WORD : RNNKIT_LEVEL_CHAR);
    if (a->normalize >= 0)
        a->tok.normalize = (rnnkit_norm)a->normalize;
    if (!a->min_count)
        a->min_count = words ? 2 : 1;
    if (!a->max_vocab)
        a->max_vocab = words ? 50000 : 0;
}

/* CLI_GO, or the exit status. */
static int parse_train(train_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->o.threads = 1;
    a->valid_frac = 0.05;
    a->level = a->normalize = -1;
    rnnkit_model_config_default(&a->mc, RNNKIT_TASK_GENERATE);
    a->mc.bf16 = 1; /* --precision bf16 */
    rnnkit_generator_options_default(&a->to);
    a->to.train.checkpoint_seconds = 600;
    cli_parser p;
    cli_value v;
    int id, decay_set = 0, ensemble_auto = 0;
    cli_parser_init(&p, &train_cmd, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0) {
        if (cli_model_flag(id, &v, &a->mc) || cli_train_flag(id, &v, &a->to.train) || cli_output_flag(id, &v, &a->o))
            ;
        else if (id == CF_TRAIN && a->ntexts == 64)
            return cli_usage(train_cmd.name, "--train: at most 64 files");
        else if (id == CF_TRAIN)
            a->texts[a->ntexts++] = v.s;
        else if (id == CF_VALID)
            a->valid = v.s;
        else if (id == CF_VALID_FRAC)
            a->valid_frac = v.d;
        else if (id == CF_NORMALIZE) /* none|nfc|nfkc, in the order of rnnkit_norm */
            a->normalize = (int)v.i;
        else if (id == CF_LEVEL)
            a->level = (int)v.i;
        else if (id == CF_VOCAB)
            a->vocab = v.s;
        else if (id == CF_MIN_COUNT)
            a->min_count = v.i;
        else if (id == CF_MAX_VOCAB)
            a->max_vocab = v.i;
        else if (id == CF_SPLIT_CLITICS)
            a->clitics = 1;
        else if (id == CF_REVERSE)
            a->mc.reverse = 1;
        else if (id == CF_SOFTMAX_SAMPLES)
            a->samples = (int)v.i;
        else if (id == CF_OUTPUT)
            a->out = v.s;
        else if (id == CF_FORCE)
            a->force = 1;
        else if (id == CF_SEQ_LEN)
            a->to.seq_len = (int)v.i;
        else if (id == CF_STEPS)
            a->to.steps = v.i;
        else if (id == CF_EPOCHS)
            a->to.epochs = (int)v.i;
        else if (id == CF_EVAL_EVERY)
            a->to.eval_every = (int)v.i;
        else if (id == CF_RESUME)
            a->resume = 1;
        a->seed_set |= id == CF_SEED;
        a->batch_set |= id == CF_BATCH;
        a->seq_set |= id == CF_SEQ_LEN;
        decay_set |= id == CF_LR_DECAY;
        ensemble_auto = id == CF_ENSEMBLE ? v.i == 0 : ensemble_auto; /* "auto" reads as 0 */
    }
    int rc = cli_train_flags_done(&p, id, decay_set, &a->to.train, a->out);
    if (rc != CLI_GO)
        return rc;
    if (ensemble_auto)
        return cli_usage(train_cmd.name, "--ensemble auto sizes a classifier's ensemble; give a generator's "
                                         "number of networks");
    if (a->vocab && (a->level >= 0 || a->normalize >= 0 || a->min_count || a->max_vocab || a->clitics))
        return cli_usage(train_cmd.name, "--vocab: the vocabulary's own rules apply (drop --level, --normalize, "
                                         "--min-count, --max-vocab, --split-clitics)");
    train_tok(a);
    if (a->clitics && a->tok.level != RNNKIT_LEVEL_WORD)
        return cli_usage(train_cmd.name, "--split-clitics: word level only");
    a->tok.split_clitics = a->clitics;
    return a->ntexts ? CLI_GO : cli_usage(train_cmd.name, "--train is required");
}

/* --resume: the checkpoint's settings, and its model in *m; CLI_GO or the exit status. */
static int resume_model(train_args *a, rnnkit_model **m)
{
    rnnkit_checkpoint_info info;
    rnnkit_error err;
    int rc = cli_checkpoint(a->out, RNNKIT_TASK_GENERATE, &info);
    if (rc != CLI_GO)
        return rc;
    if ((a->seed_set && a->to.train.seed != info.seed) || (a->batch_set && a->to.train.batch != info.batch) ||
        (a->seq_set && a->to.seq_len != info.seq_len))
        return cli_usage(train_cmd.name, "the checkpoint in %s was trained with --seed %llu --batch %d --seq-len %d",
                         a->out, (unsigned long long)info.seed, info.batch, info.seq_len);
    a->to.train.seed = info.seed;
    a->to.train.batch = info.batch;
    a->to.seq_len = info.seq_len;
    if (!a->o.quiet)
        fprintf(stderr, "rnnkit: resuming %s at step %lld\n", a->out, (long long)info.step);
    return rnnkit_model_load(a->out, RNNKIT_TASK_GENERATE, m, &err) ? cli_fail(&err) : CLI_GO;
}

/* An ensemble's validation loss (its members' mean probabilities) beside
 * each member's best. */
static rnnkit_status ensemble_note(rnnkit_model *m, const int32_t *va, size_t nva, const rnnkit_log_row *log,
                                   int nlog, int words, rnnkit_error *err)
{
    double loss;
    rnnkit_status st = rnnkit_generator_evaluate(m, va, nva, &loss, err);
    if (st)
        return st;
    const int R = rnnkit_model_num_members(m);
    fprintf(stderr, "rnnkit: the ensemble of %d networks: validation loss %.4f nats/%s (each alone, at its best:", R,
            loss, words ? "token" : "char");
    for (int k = 0; k < R; k++) {
        double best = INFINITY;
        for (int i = 0; i < nlog; i++)
            if (log[i].member == k && log[i].valid_loss < best)
                best = log[i].valid_loss;
        fprintf(stderr, " %.4f", best);
    }
    fprintf(stderr, ")\n");
    return RNNKIT_OK;
}

/* Trains m on the encoded text; the training writes the model file itself. */
static rnnkit_status train_on_text(train_args *a, rnnkit_model *m, rnnkit_error *err)
{
    int32_t *all = NULL, *vids = NULL;
    size_t nall = 0, nva = 0;
    rnnkit_status st = rnnkit_text_encode_files(rnnkit_model_vocab(m), a->texts, a->ntexts, &all, &nall, err);
    const int32_t *va = NULL;
    size_t ntr = nall;
    if (!st && a->valid) {
        st = rnnkit_text_encode_file(rnnkit_model_vocab(m), a->valid, &vids, &nva, err);
        va = vids;
    } else if (!st && a->valid_frac > 0) {
        nva = (size_t)((double)nall * a->valid_frac);
        ntr = nall - nva;
        va = all + ntr;
    }
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    const int words = rnnkit_vocab_config(v)->level == RNNKIT_LEVEL_WORD;
    const int64_t V = rnnkit_vocab_size(v);
    a->to.softmax_samples = a->samples ? a->samples : RNNKIT_SOFTMAX_AUTO;
    const int samples = rnnkit_generator_softmax_samples(m, &a->to);
    if (!st) {
        cli_progress prog;
        cli_progress_init(&prog, a->o.quiet, words ? "tok/s" : "char/s", words ? 2 : 1);
        prog.jsonl = a->o.jsonl;
        a->to.train.progress = cli_progress_cb;
        a->to.train.progress_ctx = &prog;
        if (!a->o.quiet) {
            fprintf(stderr, "rnnkit: %zu training and %zu validation %s, %lld %s, %zu parameters", ntr, nva,
                    words ? "tokens" : "characters", (long long)V, words ? "ids" : "symbols",
                    rnnkit_model_num_params(m));
            if (samples)
                fprintf(stderr, "; sampled softmax over %d candidates", samples);
            fprintf(stderr, "%s\n", rnnkit_model_get_config(m)->reverse ? "; reading backwards" : "");
        }
        a->to.train.checkpoint_path = a->out;
        a->to.train.resume = a->resume;
        a->to.train.stop = cli_stop_flag();
        cli_install_stop_handlers();
        rnnkit_log_row *log = NULL;
        int nlog = 0;
        st = rnnkit_generator_train(m, all, ntr, va, nva, &a->to, &log, &nlog, err);
        if (st == RNNKIT_ERR_EMPTY)
            rnnkit_error_prefix(err, "%s%s", a->texts[0], a->ntexts > 1 ? " (and the other --train files)" : "");
        if (!st && !a->o.quiet && rnnkit_model_num_members(m) > 1 && nva >= 2)
            st = ensemble_note(m, va, nva, log, nlog, words, err);
        free(log);
    }
    free(all);
    free(vids);
    return st;
}

/* The run after the flags, under the model file's lock. */
static int run(train_args *a_)
{
    train_args a = *a_;
    int rc;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    rnnkit_status st = RNNKIT_OK;
    if (a.resume && (rc = resume_model(&a, &m)) != CLI_GO)
        return rc;
    if (!m) {
        rnnkit_vocab *vocab = NULL;
        const int words = a.tok.level == RNNKIT_LEVEL_WORD;
        /* words: the validation text's rare words stay <unk>, as in any
         * word-level language model; characters: every one is counted */
        st = a.vocab ? rnnkit_vocab_open(a.vocab, &vocab, &err)
                     : rnnkit_text_vocab(&a.tok, a.min_count, a.max_vocab, a.texts, a.ntexts,
                                         words ? NULL : a.valid, &vocab, &err);
        if (!st)
            st = rnnkit_model_create(&a.mc, vocab, NULL, 0, a.to.train.seed, &m, &err);
    }
    if (!st) {
        cli_precision_note(m, a.o.quiet);
        st = train_on_text(&a, m, &err);
    }
    rc = cli_train_end(st, &err, a.out, a.o.quiet);
    rnnkit_model_free(m);
    return rc;
}

int cmd_generate_train(int argc, char **argv)
{
    train_args a;
    int rc = parse_train(&a, argc, argv);
    if (rc != CLI_GO)
        return rc;
    cli_blas_one_thread();
    const char *inputs[66];
    memcpy(inputs, a.texts, (size_t)a.ntexts * sizeof *inputs);
    inputs[a.ntexts] = a.valid;
    inputs[a.ntexts + 1] = a.vocab;
    rnnkit_train_lock *lock = NULL;
    if ((rc = cli_train_output(a.out, RNNKIT_TASK_GENERATE, inputs, (size_t)a.ntexts + 2, a.force, &lock)) != CLI_GO)
        return rc;
    rc = run(&a);
    rnnkit_train_lock_release(lock);
    return rc;
}

