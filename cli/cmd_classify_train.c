/*
 * cli/cmd_classify_train.c: `rnnkit classify train`: flags, progress and
 * messages; the corpus is made into a classifier by the library
 * (rnnkit_classifier_setup_new, rnnkit_classifier_train,
 * rnnkit_classifier_cross_validate).
 *
 * --init OLD.db carries OLD.db's classifier on (train_options.init_path):
 * the model is OLD.db's, so the flags that shape a model or its vocabulary
 * are usage errors with it; seed and batch default to OLD.db's; --epochs
 * counts more epochs; OLD.db is an input (never -o). The same command with
 * --resume carries on an interrupted --init run from -o.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/dataset.h"

static const cli_use uses[] = {
    CLI_HEADING("data:"),
    CLI_USE_H(CF_TRAIN, NULL, "labelled training data: label<TAB>text lines, fastText\n"
                       "__label__X lines, or a directory with one sub-folder per label\n"
                       "(repeatable: the files are read as one corpus; .gz is read as is)"),
    CLI_USE(CF_VALID),
    CLI_USE_H(CF_VALID_FRAC, "0.1 when\nno --valid; 0 = none", "hold out this fraction of --train instead"),
    CLI_USE_D(CF_FORMAT, "auto"),
    CLI_USE(CF_SKIP_BAD),
    CLI_USE_H(CF_OUTPUT, NULL, "the model file (created at the start, then checkpointed)"),
    CLI_USE(CF_FORCE),
    CLI_HEADING("vocabulary:"),
    CLI_USE_H(CF_VOCAB, NULL, "use this vocabulary (from `rnnkit vocab build`); otherwise one\n"
                       "is built from the training text with the options below"),
    CLI_USE_D(CF_LEVEL, "word"),
    CLI_USE(CF_CJK_BIGRAMS),
    CLI_USE(CF_SPLIT_CLITICS),
    CLI_USE_D(CF_MIN_COUNT, "2"),
    CLI_USE_D(CF_MAX_VOCAB, "50000"),
    CLI_HEADING("model:"),
    CLI_USE_D(CF_CELL, "lstm"),
    CLI_USE_D(CF_EMBED, "128"),
    CLI_USE_D(CF_HIDDEN, "128"),
    CLI_USE_D(CF_LAYERS, "1"),
    CLI_USE_D(CF_BIDIRECTIONAL, "yes"),
    CLI_USE_D(CF_POOL, "max"),
    CLI_USE_D(CF_DROPOUT, "0.5"),
    CLI_USE_D(CF_EMBED_DROPOUT, "0.4"),
    CLI_USE_D(CF_WEIGHT_DROP, "0"),
    CLI_USE_D(CF_EMBED_INIT, "0"),
    CLI_USE_D(CF_PRECISION, "bf16"),
    CLI_USE_D(CF_ENSEMBLE, "auto"),
    CLI_HEADING("pretraining (sizes and vocabulary come from the language model):"),
    CLI_USE(CF_PRETRAINED),
    CLI_USE(CF_PRETRAINED_BACKWARD),
    CLI_USE_D(CF_LR_BODY, "1"),
    CLI_USE_D(CF_FREEZE_BODY, "0"),
    CLI_USE(CF_LAZY_EMBEDDING),
    CLI_HEADING("training:"),
    CLI_USE_H(CF_INIT, NULL, "carry this classifier on (its configuration, vocabulary,\n"
                       "labels, weights and training state) into the new file -o,\n"
                       "on the --train data: --epochs counts more epochs, seed and\n"
                       "batch are its own, flags that shape the model are errors;\n"
                       "an interrupted run: the same command and --resume"),
    CLI_USE_D(CF_MAXLEN, "400"),
    CLI_USE_D(CF_TRUNCATING, "pre"),
    CLI_USE_H(CF_BATCH, "32", "documents per batch"),
    CLI_USE_H(CF_EPOCHS, "10", "passes over the data (per network)"),
    CLI_USE_D(CF_LR, "0.002"),
    CLI_USE_D(CF_LR_SCHEDULE, "cosine"),
    CLI_USE_D(CF_LR_DECAY, "1 = never"),
    CLI_USE_D(CF_CLIP, "5"),
    CLI_USE_D(CF_EMA, "0"),
    CLI_USE_H(CF_PATIENCE, "3", "stop after N epochs without validation gain (0 = off)"),
    CLI_USE(CF_FOLDS),
    CLI_TRAINER_USES_END,
};
static const cli_renamed renamed[] = {{"valid-split", "valid-frac"}, {NULL, NULL}};
static const cli_command command = {
    "classify train", "usage: rnnkit classify train --train FILE [--train FILE...] -o MODEL.db [options]\n\n", uses, renamed};

typedef struct train_args {
    const char *train, *valid, *out;
    const char *pre[2];     /* --pretrained, --pretrained-backward */
    const char *init;       /* --init */
    int64_t init_step;      /* the step --init's checkpoint is at */
    int shape_flag;         /* the first flag given that shapes the model or its vocabulary, or -1 */
    const char *trains[64]; /* every --train, in order (train: the first) */
    int ntrain;
    rnnkit_corpus_format format;
    int skip_bad, folds, resume, seed_set, batch_set, force;
    cli_output_opts out_opts;
    double valid_frac;
    rnnkit_vocab_recipe vr;
    rnnkit_model_config mc;
    rnnkit_classifier_options to;
} train_args;

static void defaults(train_args *a)
{
    memset(a, 0, sizeof *a);
    a->format = RNNKIT_CORPUS_AUTO;
    a->out_opts.threads = 1;
    a->valid_frac = -1;
    a->shape_flag = -1;
    a->vr.min_count = 2;
    a->vr.max_size = 50000;
    rnnkit_tok_config_default(&a->vr.tok, RNNKIT_LEVEL_WORD);
    rnnkit_model_config_default(&a->mc, RNNKIT_TASK_CLASSIFY);
    a->mc.bf16 = 1; /* --precision bf16 */
    a->mc.members = 0; /* --ensemble auto */
    rnnkit_classifier_options_default(&a->to);
    a->to.train.checkpoint_seconds = 600;
}

/* Loads the model file `path` of --pretrained or --pretrained-backward
 * (`flag`) into *out: it must be a language model, an fp32 generator;
 * another file is an error saying what it is and what is expected. */
static rnnkit_status load_lm(const char *flag, const char *path, rnnkit_model **out, rnnkit_error *err)
{
    rnnkit_model *m = NULL;
    rnnkit_status st = rnnkit_model_load(path, -1, &m, err);
    if (st)
        rnnkit_error_prefix(err, "%s", flag);
    else if (rnnkit_model_quantized(m)) /* only a classifier is exported in int8 */
        st = rnnkit_error_set(err, RNNKIT_ERR_ARG,
                              "%s: %s: an int8 export (a classifier, for prediction only) holds no training "
                              "weights; give an fp32 word-level language model (`rnnkit generate train --level "
                              "word`)",
                              flag, path);
    else if (rnnkit_model_get_config(m)->task != RNNKIT_TASK_GENERATE)
        st = rnnkit_error_set(err, RNNKIT_ERR_ARG,
                              "%s: %s: a %s model, not a language model; give a word-level language model "
                              "(`rnnkit generate train --level word`)",
                              flag, path, rnnkit_task_noun(rnnkit_model_get_config(m)->task));
    if (st) {
        rnnkit_model_free(m);
        m = NULL;
    }
    *out = m;
    return st;
}

/* With --pretrained: the language model's sizes and vocabulary, unless
 * given (then rnnkit_model_pretrain names a difference). CLI_GO, or the
 * exit status. */
static int pretrained_shape(train_args *a, int shape_set)
{
    const char *lm = a->pre[0] ? a->pre[0] : a->pre[1];
    if (!lm || a->resume || a->init)
        return CLI_GO;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (load_lm(a->pre[0] ? "--pretrained" : "--pretrained-backward", lm, &m, &err))
        return cli_fail(&err);
    const rnnkit_model_config *c = rnnkit_model_get_config(m);
    if (!shape_set) {
        a->mc.cell = c->cell;
        a->mc.embed = c->embed;
        a->mc.hidden = c->hidden;
    }
    rnnkit_model_free(m);
    if (!a->vr.path)
        a->vr.path = lm; /* a model file holds its vocabulary */
    return CLI_GO;
}

/* Flags that shape the model or its vocabulary besides cli_model_flag's. */
static int shapes_model(int id)
{
    return id == CF_VOCAB || id == CF_LEVEL || id == CF_CJK_BIGRAMS || id == CF_SPLIT_CLITICS ||
           id == CF_MIN_COUNT || id == CF_MAX_VOCAB || id == CF_PRETRAINED || id == CF_PRETRAINED_BACKWARD;
}

/* What does not go with --init; CLI_GO, or the exit status. */
static int init_conflicts(const train_args *a)
{
    const char *n = command.name;
    if (a->shape_flag >= 0)
        return cli_usage(n, "--%s: with --init the model is %s's (its configuration, vocabulary and weights)",
                         cli_flag_table()[a->shape_flag].name, a->init);
    if (a->folds)
        return cli_usage(n, "--init and --folds do not go together");
    return CLI_GO;
}

/* Parses the flags into *a; CLI_GO, else the exit status. */
static int parse(train_args *a, int argc, char **argv)
{
    cli_parser p;
    cli_value v;
    int id, bigrams = 0, clitics = 0, decay_set = 0, shape_set = 0;
    cli_parser_init(&p, &command, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0) {
        a->seed_set |= id == CF_SEED;
        a->batch_set |= id == CF_BATCH;
        decay_set |= id == CF_LR_DECAY;
        shape_set |= id == CF_EMBED || id == CF_HIDDEN || id == CF_CELL;
        if (a->shape_flag < 0 && shapes_model(id))
            a->shape_flag = id;
        if (cli_model_flag(id, &v, &a->mc)) {
            a->shape_flag = a->shape_flag < 0 ? id : a->shape_flag;
            continue;
        }
        if (cli_train_flag(id, &v, &a->to.train) || cli_output_flag(id, &v, &a->out_opts))
            continue;
        switch (id) {
        case CF_TRAIN:
            if (a->ntrain == 64)
                return cli_usage(command.name, "--train: at most 64 files");
            a->trains[a->ntrain++] = v.s;
            a->train = a->trains[0];
            break;
        case CF_VALID: a->valid = v.s; break;
        case CF_VALID_FRAC: a->valid_frac = v.d; break;
        case CF_FORMAT: a->format = (rnnkit_corpus_format)v.i; break;
        case CF_SKIP_BAD: a->skip_bad = 1; break;
        case CF_OUTPUT: a->out = v.s; break;
        case CF_FORCE: a->force = 1; break;
        case CF_VOCAB: a->vr.path = v.s; break;
        case CF_LEVEL: rnnkit_tok_config_default(&a->vr.tok, v.i ? RNNKIT_LEVEL_CHAR : RNNKIT_LEVEL_WORD); break;
        case CF_CJK_BIGRAMS: bigrams = 1; break;
        case CF_SPLIT_CLITICS: clitics = 1; break;
        case CF_MIN_COUNT: a->vr.min_count = v.i; break;
        case CF_MAX_VOCAB: a->vr.max_size = v.i; break;
        case CF_EPOCHS: a->to.epochs = (int)v.i; break;
        case CF_FOLDS: a->folds = (int)v.i; break;
        case CF_RESUME: a->resume = 1; break;
        case CF_PRETRAINED: a->pre[0] = v.s; break;
        case CF_PRETRAINED_BACKWARD: a->pre[1] = v.s; break;
        case CF_INIT: a->init = v.s; break;
        }
    }
    /* cross-validation (--folds) writes no model */
    int rc = cli_train_flags_done(&p, id, decay_set, &a->to.train, a->out ? a->out : a->folds ? "" : NULL);
    if (rc != CLI_GO)
        return rc;
    const char *n = command.name;
    if (!a->train)
        return cli_usage(n, "--train is required");
    if (bigrams && a->vr.path)
        return cli_usage(n, "--cjk-bigrams: with --vocab the vocabulary's own setting applies");
    if (bigrams && a->vr.tok.level != RNNKIT_LEVEL_WORD)
        return cli_usage(n, "--cjk-bigrams: word level only");
    a->vr.tok.cjk_bigrams = bigrams;
    if (clitics && a->vr.path)
        return cli_usage(n, "--split-clitics: with --vocab the vocabulary's own setting applies");
    if (clitics && a->vr.tok.level != RNNKIT_LEVEL_WORD)
        return cli_usage(n, "--split-clitics: word level only");
    a->vr.tok.split_clitics = clitics;
    if (a->resume && a->folds)
        return cli_usage(n, "--resume and --folds do not go together");
    if (a->init && (rc = init_conflicts(a)) != CLI_GO)
        return rc;
    if ((a->pre[0] || a->pre[1]) && a->folds)
        return cli_usage(n, "--pretrained and --folds do not go together yet");
    if ((rc = pretrained_shape(a, shape_set)) != CLI_GO)
        return rc;
    if (a->valid_frac < 0)
        a->valid_frac = a->valid ? 0 : 0.1;
    return CLI_GO;
}

/* --resume: the checkpoint's seed and batch; CLI_EXIT_OK to go on. */
static int resume_settings(train_args *a)
{
    rnnkit_checkpoint_info info;
    int rc = cli_checkpoint(a->out, RNNKIT_TASK_CLASSIFY, &info);
    if (rc != CLI_GO)
        return rc;
    if (a->seed_set && a->to.train.seed != info.seed)
        return cli_usage(command.name, "--seed %llu: the checkpoint in %s was trained with seed %llu",
                         (unsigned long long)a->to.train.seed, a->out, (unsigned long long)info.seed);
    if (a->batch_set && a->to.train.batch != info.batch)
        return cli_usage(command.name, "--batch %d: the checkpoint in %s was trained with batch %d",
                         a->to.train.batch, a->out, info.batch);
    a->to.train.seed = info.seed;
    a->to.train.batch = info.batch;
    if (!a->out_opts.quiet && info.member)
        fprintf(stderr, "rnnkit: resuming %s at network %d, step %lld (epoch %d)\n", a->out, info.member + 1,
                (long long)info.step, info.epoch);
    else if (!a->out_opts.quiet)
        fprintf(stderr, "rnnkit: resuming %s at step %lld (epoch %d)\n", a->out, (long long)info.step, info.epoch);
    return CLI_EXIT_OK;
}

/* --init (without --resume): OLD.db's seed and batch; CLI_EXIT_OK to go on. */
static int init_settings(train_args *a)
{
    rnnkit_checkpoint_info info;
    rnnkit_error e;
    if (rnnkit_checkpoint_info_read(a->init, &info, &e)) {
        rnnkit_error_prefix(&e, "--init");
        return cli_fail(&e);
    }
    if (info.task != RNNKIT_TASK_CLASSIFY)
        return cli_failf("--init: %s: this is a %s model, not a classifier", a->init, rnnkit_task_noun(info.task));
    if (a->seed_set && a->to.train.seed != info.seed)
        return cli_usage(command.name, "--seed %llu: %s was trained with seed %llu",
                         (unsigned long long)a->to.train.seed, a->init, (unsigned long long)info.seed);
    if (a->batch_set && a->to.train.batch != info.batch)
        return cli_usage(command.name, "--batch %d: %s was trained with batch %d", a->to.train.batch, a->init,
                         info.batch);
    a->to.train.seed = info.seed;
    a->to.train.batch = info.batch;
    a->init_step = info.step;
    if (!a->out_opts.quiet)
        fprintf(stderr, "rnnkit: carrying on %s (step %lld, epoch %d) for %d more epoch%s into %s\n", a->init,
                (long long)info.step, info.epoch, a->to.epochs, a->to.epochs == 1 ? "" : "s", a->out);
    return CLI_EXIT_OK;
}

/* After an --init run: a run that had stopped for patience, on the same
 * data, has nothing more to train (as --resume would). */
static void init_note(const train_args *a)
{
    rnnkit_checkpoint_info info;
    rnnkit_error e;
    if (a->out_opts.quiet || a->resume || !a->init || rnnkit_checkpoint_info_read(a->out, &info, &e) ||
        info.step != a->init_step)
        return;
    fprintf(stderr, "rnnkit: %s had stopped for --patience on these data: nothing more was trained; "
                    "give a larger --patience (or 0) to go on\n", a->init);
}

static void print_fold(void *ctx, int fold, int folds, double acc)
{
    (void)ctx;
    printf("fold %d/%d\taccuracy %.4f\n", fold + 1, folds, acc);
    fflush(stdout);
}

static int cross_validate(const train_args *a, const rnnkit_corpus *corpus, cli_progress *prog)
{
    double accs[100], mean = 0, std = 0;
    rnnkit_classifier_options to = a->to;
    to.train.progress = cli_progress_cb;
    to.train.progress_ctx = prog;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    if (rnnkit_classifier_cross_validate(corpus, &a->vr, &a->mc, &to, a->folds, accs, &mean, &std, print_fold,
                                         NULL, &err))
        return cli_fail(&err);
    printf("%d-fold accuracy\tmean %.4f\tstd %.4f\n", a->folds, mean, std);
    return CLI_EXIT_OK;
}

/* --pretrained, --pretrained-backward: their weights into m. */
static rnnkit_status take_pretrained(const train_args *a, rnnkit_model *m, rnnkit_error *err)
{
    rnnkit_model *lm[2] = {NULL, NULL};
    rnnkit_status st = RNNKIT_OK;
    for (int d = 0; !st && d < 2; d++)
        if (a->pre[d])
            st = load_lm(d ? "--pretrained-backward" : "--pretrained", a->pre[d], &lm[d], err);
    int n = 0;
    if (!st && !(st = rnnkit_model_pretrain(m, lm[0], lm[1], &n, err)) && !a->out_opts.quiet)
        fprintf(stderr, "rnnkit: %d tensors from %s%s%s\n", n, a->pre[0] ? a->pre[0] : "",
                a->pre[0] && a->pre[1] ? " and " : "", a->pre[1] ? a->pre[1] : "");
    rnnkit_model_free(lm[0]);
    rnnkit_model_free(lm[1]);
    return st;
}

/* Trains one model on rows tr, validated on va, checkpointed into a->out. */
static int train_model(const train_args *a, const rnnkit_rows *tr, const rnnkit_rows *va, cli_progress *prog)
{
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_classifier_setup s;
    rnnkit_status st =
        rnnkit_classifier_setup_new(&a->mc, &a->vr, tr, va, a->to.train.seed, a->resume ? a->out : a->init, &s, &err);
    if (!st && !a->resume && !a->init && (a->pre[0] || a->pre[1]))
        st = take_pretrained(a, s.model, &err);
    if (st) {
        rnnkit_classifier_setup_free(&s);
        return cli_fail(&err);
    }
    if (s.auto_members && !a->out_opts.quiet)
        fprintf(stderr, "rnnkit: %llu training tokens: %s%d network%s (--ensemble auto)\n",
                (unsigned long long)s.tokens, s.auto_members > 1 ? "an ensemble of " : "", s.auto_members,
                s.auto_members > 1 ? "s" : "");
    const rnnkit_model_config *mc = rnnkit_model_get_config(s.model);
    cli_precision_note(s.model, a->out_opts.quiet);
    rnnkit_classifier_options to = a->to;
    to.maxlen = mc->maxlen;
    to.keep_last = mc->keep_last;
    to.train.progress = cli_progress_cb;
    to.train.progress_ctx = prog;
    to.train.checkpoint_path = a->out;
    to.train.resume = a->resume;
    to.train.init_path = a->init;
    to.train.stop = cli_stop_flag();
    rnnkit_dataset dtr = rnnkit_docs_view(s.train), dva = s.valid ? rnnkit_docs_view(s.valid) : dtr;
    rnnkit_log_row *log = NULL;
    int nlog = 0, rc = CLI_EXIT_OK;
    /* the training writes the model file itself (checkpoints, final model) */
    st = rnnkit_classifier_train(s.model, &dtr, s.valid && dva.n ? &dva : NULL, &to, &log, &nlog, &err);
    if (st)
        rc = cli_train_failed(st, &err, a->out);
    else
        init_note(a);
    if (!st && !a->out_opts.quiet && rnnkit_model_num_members(s.model) > 1)
        fprintf(stderr, "rnnkit: wrote %s (%d networks of %zu parameters, vocabulary %lld)\n", a->out,
                rnnkit_model_num_members(s.model), rnnkit_model_num_params(s.model),
                (long long)rnnkit_vocab_size(rnnkit_model_vocab(s.model)));
    else if (!st && !a->out_opts.quiet)
        fprintf(stderr, "rnnkit: wrote %s (%zu parameters, vocabulary %lld)\n", a->out,
                rnnkit_model_num_params(s.model), (long long)rnnkit_vocab_size(rnnkit_model_vocab(s.model)));
    free(log);
    rnnkit_classifier_setup_free(&s);
    return rc;
}

/* Loads --train (and --valid); NULL after reporting the failure. */
static rnnkit_corpus *load_train(const train_args *a, rnnkit_corpus **vcorpus)
{
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_corpus *c = NULL;
    rnnkit_corpus_options co = {.format = a->format, .skip_bad = a->skip_bad, .labelled = 1};
    if (rnnkit_corpus_load_files(a->trains, (size_t)a->ntrain, &co, &c, &err)) {
        cli_fail(&err);
        return NULL;
    }
    cli_report_skipped(a->train, rnnkit_corpus_special_files(c), 0);
    if (rnnkit_corpus_skipped(c) && !a->out_opts.quiet)
        fprintf(stderr, "rnnkit: %s: skipped %zu malformed rows\n", a->train, rnnkit_corpus_skipped(c));
    if (rnnkit_corpus_num_labels(c) < 2 && !a->init) /* a model --init carries on knows its labels */
        cli_failf("%s: only one label ('%s'): a classifier needs two or more", a->train,
                  rnnkit_corpus_label_name(c, 0));
    else if (rnnkit_corpus_num_labels(c) > RNNKIT_MAX_LABELS)
        cli_failf("%s: %zu distinct labels (at most %d): is the first column really the label?", a->train,
                  rnnkit_corpus_num_labels(c), RNNKIT_MAX_LABELS);
    else if (a->valid && rnnkit_corpus_load(a->valid, &co, vcorpus, &err))
        cli_fail(&err);
    else {
        if (*vcorpus)
            cli_report_skipped(a->valid, rnnkit_corpus_special_files(*vcorpus), 0);
        return c;
    }
    rnnkit_corpus_free(c);
    return NULL;
}

/* The run after the flags, under the model file's lock. */
static int run(train_args *a)
{
    int rc;
    if (a->resume && (rc = resume_settings(a)) != CLI_EXIT_OK)
        return rc;
    if (a->init && !a->resume && (rc = init_settings(a)) != CLI_EXIT_OK)
        return rc;
    if (!a->folds)
        cli_install_stop_handlers();
    rnnkit_corpus *vcorpus = NULL, *corpus = load_train(a, &vcorpus);
    if (!corpus)
        return CLI_EXIT_FAIL;
    cli_progress prog;
    cli_progress_init(&prog, a->out_opts.quiet, "ex/s", 0);
    prog.jsonl = a->out_opts.jsonl;
    if (a->folds) {
        rc = cross_validate(a, corpus, &prog);
    } else {
        size_t n = rnnkit_corpus_size(corpus), *idx = NULL;
        rnnkit_error err;
        if (rnnkit_classifier_row_order(n, a->to.train.seed, &idx, &err)) {
            rnnkit_corpus_free(corpus);
            rnnkit_corpus_free(vcorpus);
            return cli_fail(&err);
        }
        size_t nva = vcorpus ? rnnkit_corpus_size(vcorpus) : (size_t)((double)n * a->valid_frac);
        rnnkit_rows tr = {corpus, vcorpus ? idx : idx + nva, vcorpus ? n : n - nva};
        rnnkit_rows va = {vcorpus ? vcorpus : corpus, vcorpus ? NULL : idx, nva};
        if (!a->out_opts.quiet)
            fprintf(stderr, "rnnkit: training on %zu documents, validating on %zu, %zu label%s\n", tr.n, nva,
                    rnnkit_corpus_num_labels(corpus), rnnkit_corpus_num_labels(corpus) == 1 ? "" : "s");
        rc = train_model(a, &tr, nva ? &va : NULL, &prog);
        free(idx);
    }
    rnnkit_corpus_free(corpus);
    rnnkit_corpus_free(vcorpus);
    return rc;
}

int cmd_classify_train(int argc, char **argv)
{
    train_args a;
    defaults(&a);
    int rc = parse(&a, argc, argv);
    if (rc != CLI_GO)
        return rc;
    cli_blas_one_thread();
    const char *inputs[69];
    memcpy(inputs, a.trains, (size_t)a.ntrain * sizeof *inputs);
    inputs[a.ntrain] = a.valid;
    inputs[a.ntrain + 1] = a.vr.path;
    inputs[a.ntrain + 2] = a.pre[0];
    inputs[a.ntrain + 3] = a.pre[1];
    inputs[a.ntrain + 4] = a.init; /* read, never written */
    rnnkit_train_lock *lock = NULL;
    if (a.out && (rc = cli_train_output(a.out, RNNKIT_TASK_CLASSIFY, inputs, (size_t)a.ntrain + 5, a.force, &lock)) != CLI_GO)
        return rc;
    rc = run(&a);
    rnnkit_train_lock_release(lock);
    return rc;
}
