/*
 * tests/test_checkpoint.c: the checkpoint reader (model/store.c) on its own.
 * A tiny classifier and a tiny generator are trained with checkpoint_path
 * set, finished and interrupted mid-epoch; rnnkit_checkpoint_info_read and
 * rnnkit__ckpt_read must give back exactly the counters of the run (step,
 * epoch, batch position, seed, batch, seq_len, finished), its training log
 * row for row, its weights, optimiser moments and carried state. Then
 * copies of the file tampered with through SQLite (a checksum, a BLOB's
 * size, a missing BLOB, the task, counters out of range, a missing key, the
 * state size, the optimiser) must be refused with an error naming what is
 * wrong; and a file saved without a checkpoint reads as RNNKIT_ERR_EMPTY.
 * A run from init_path on the same data equals the resume of a copy, on
 * other data counts on from the checkpoint's step and epoch, and is refused
 * (writing nothing) without a checkpoint, with another seed, and for a
 * generator.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model_internal.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-ckpt-XXXXXX");
}

/* Saving without training state (rnnkit_model_save is losing its state
 * argument: this is the one place to change). */
static rnnkit_status save_model(const rnnkit_model *m, const char *path, rnnkit_error *err)
{
    return rnnkit_model_save(m, path, err);
}

/* ---------------------------------------------------------------------- */
/* Models and runs */

enum { NDOC = 40, CLF_BATCH = 8, CLF_EPOCHS = 2, CLF_BATCHES = NDOC / CLF_BATCH };
static size_t doc_off[NDOC + 1];
static int32_t doc_ids[NDOC * 12], doc_lab[NDOC];

static rnnkit_model *tiny_classifier(void)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.cell = RNNKIT_CELL_GRU;
    c.embed = 4;
    c.hidden = 3;
    c.layers = 1;
    c.pool = RNNKIT_POOL_MEAN;
    const char *labels[] = {"a", "b"};
    return support_model(&c, support_vocab(RNNKIT_LEVEL_WORD, "one two three four five six", "test"), labels, 2, 7);
}

static rnnkit_dataset docs(const rnnkit_model *m)
{
    int V = (int)rnnkit_vocab_size(rnnkit_model_vocab((rnnkit_model *)m));
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 5);
    size_t pos = 0;
    for (int i = 0; i < NDOC; i++) {
        doc_off[i] = pos;
        int len = 1 + (int)rnnkit_rng_below(&r, 12);
        for (int t = 0; t < len; t++)
            doc_ids[pos++] = 2 + (int32_t)rnnkit_rng_below(&r, (uint64_t)V - 2);
        doc_lab[i] = doc_ids[doc_off[i]] % 2;
    }
    doc_off[NDOC] = pos;
    return (rnnkit_dataset){.n = NDOC, .off = doc_off, .ids = doc_ids, .label = doc_lab};
}

static rnnkit_classifier_options clf_options(const char *path)
{
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = CLF_EPOCHS;
    o.train.batch = CLF_BATCH;
    o.train.patience = 0;
    o.train.seed = 4242;
    o.maxlen = 10;
    o.keep_last = 0;
    o.train.checkpoint_path = path;
    return o;
}

/* Progress callback: stop after step *(int64_t *)ctx. */
static int stop_at(void *ctx, const rnnkit_progress *p)
{
    return !p->end_of_epoch && p->step == *(const int64_t *)ctx;
}

enum { GEN_BATCH = 3, GEN_SEQ = 7, GEN_STEPS = 12, GEN_EVAL = 5, GEN_H = 4, GEN_L = 2 };
static int32_t stream[600];

static rnnkit_model *tiny_generator(size_t *n)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.cell = RNNKIT_CELL_LSTM;
    c.embed = 3;
    c.hidden = GEN_H;
    c.layers = GEN_L;
    const char *text = "the cat sat on the mat; the dog sat on the log.\n";
    rnnkit_model *m = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, text, "test"), NULL, 0, 9);
    *n = support_encode_repeated(rnnkit_model_vocab(m), text, stream, sizeof stream / sizeof stream[0]);
    return m;
}

static rnnkit_generator_options gen_options(const char *path)
{
    rnnkit_generator_options o;
    rnnkit_generator_options_default(&o);
    o.train.batch = GEN_BATCH;
    o.seq_len = GEN_SEQ;
    o.steps = GEN_STEPS;
    o.eval_every = GEN_EVAL;
    o.train.seed = 77;
    o.train.checkpoint_path = path;
    return o;
}

/* Everything rnnkit__ckpt_read fills, sized for m (and nstate values of
 * carried state). */
typedef struct ckbuf {
    rnnkit__ckpt ck;
    rnnkit__optim optim;
} ckbuf;

static void ckbuf_init(ckbuf *b, const rnnkit_model *m, size_t nstate)
{
    memset(b, 0, sizeof *b);
    size_t n = rnnkit_model_num_params(m);
    assert_int_equal(rnnkit__optim_init(&b->optim, RNNKIT_OPT_ADAM, 1e-3f, n, NULL), RNNKIT_OK);
    b->ck.optim = &b->optim;
    b->ck.weights = calloc(n, sizeof(float));
    b->ck.best = calloc(n, sizeof(float));
    b->ck.nstate = nstate;
    if (nstate) {
        b->ck.h = calloc(nstate, sizeof(float));
        b->ck.c = calloc(nstate, sizeof(float));
        assert_non_null(b->ck.h);
        assert_non_null(b->ck.c);
    }
    assert_non_null(b->ck.weights);
    assert_non_null(b->ck.best);
}

static void ckbuf_free(ckbuf *b)
{
    free(b->ck.weights);
    free(b->ck.best);
    free(b->ck.h);
    free(b->ck.c);
    free(b->ck.log);
    rnnkit__optim_free(&b->optim);
}

static void assert_same_double(double a, double b, const char *what, int row)
{
    if (!((isnan(a) && isnan(b)) || a == b))
        fail_msg("log row %d: %s %.17g != %.17g", row, what, a, b);
}

static void assert_same_log(const rnnkit_log_row *a, int na, const rnnkit_log_row *b, int nb)
{
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++) {
        assert_int_equal(a[i].member, b[i].member);
        assert_int_equal(a[i].epoch, b[i].epoch);
        assert_int_equal(a[i].step, b[i].step);
        assert_same_double(a[i].train_loss, b[i].train_loss, "train_loss", i);
        assert_same_double(a[i].train_acc, b[i].train_acc, "train_acc", i);
        assert_same_double(a[i].valid_loss, b[i].valid_loss, "valid_loss", i);
        assert_same_double(a[i].valid_acc, b[i].valid_acc, "valid_acc", i);
        assert_same_double(a[i].seconds, b[i].seconds, "seconds", i);
        assert_same_double(a[i].lr, b[i].lr, "lr", i);
    }
}

/* ---------------------------------------------------------------------- */
/* Reading back */

static void test_classifier_checkpoint_reads_back(void **state)
{
    (void)state;
    rnnkit_model *m = tiny_classifier();
    rnnkit_dataset d = docs(m);
    rnnkit_classifier_options o = clf_options(support_tmp("clf.db"));
    rnnkit_log_row *log = NULL;
    int nlog = 0;
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &d, NULL, &o, &log, &nlog, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(nlog, CLF_EPOCHS);
    for (int i = 0; i < nlog; i++) {
        assert_int_equal(log[i].epoch, i + 1);
        assert_int_equal(log[i].step, (i + 1) * CLF_BATCHES);
        assert_true(isfinite(log[i].train_loss) && log[i].train_loss > 0);
        assert_true(isnan(log[i].valid_loss)); /* no validation set */
    }

    rnnkit_checkpoint_info info;
    if (rnnkit_checkpoint_info_read(support_tmp("clf.db"), &info, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(info.task, RNNKIT_TASK_CLASSIFY);
    assert_int_equal(info.step, CLF_EPOCHS * CLF_BATCHES);
    assert_int_equal(info.epoch, CLF_EPOCHS + 1); /* the epoch a resume would start */
    assert_int_equal(info.seed, 4242);
    assert_int_equal(info.finished, 1);
    assert_int_equal(info.batch, CLF_BATCH);
    assert_int_equal(info.seq_len, 0);
    assert_int_equal(info.member, 0);

    rnnkit_model *l = NULL;
    if (rnnkit_model_load(support_tmp("clf.db"), RNNKIT_TASK_CLASSIFY, &l, &err))
        fail_msg("%s", err.msg);
    ckbuf b;
    ckbuf_init(&b, l, 0);
    if (rnnkit__ckpt_read(l, support_tmp("clf.db"), &b.ck, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(b.ck.task, RNNKIT_TASK_CLASSIFY);
    assert_int_equal(b.ck.step, CLF_EPOCHS * CLF_BATCHES);
    assert_int_equal(b.ck.epoch, CLF_EPOCHS + 1);
    assert_int_equal(b.ck.batch_index, 0);
    assert_int_equal(b.ck.seed, 4242);
    assert_int_equal(b.ck.finished, 1);
    assert_int_equal(b.ck.batch_size, CLF_BATCH);
    assert_int_equal(b.ck.maxlen, 10);
    assert_int_equal(b.ck.keep_last, 0);
    assert_int_equal(b.ck.member, 0);
    assert_int_equal(b.optim.step, CLF_EPOCHS * CLF_BATCHES);
    assert_int_equal(b.optim.kind, RNNKIT_OPT_ADAM);
    /* without validation the model is the current weights */
    size_t n = rnnkit_model_num_params(m);
    assert_memory_equal(b.ck.weights, rnnkit__model_params(m)->value, n * sizeof(float));
    assert_memory_equal(rnnkit__model_params(l)->value, rnnkit__model_params(m)->value, n * sizeof(float));
    /* the moments are those of a real run: not all zero */
    int nonzero = 0;
    for (size_t i = 0; i < n; i++)
        nonzero += b.optim.m[i] != 0 && b.optim.v[i] > 0;
    assert_true(nonzero > (int)n / 2);
    assert_same_log(log, nlog, b.ck.log, b.ck.nlog);
    ckbuf_free(&b);
    rnnkit_model_free(l);
    free(log);
    rnnkit_model_free(m);

    /* interrupted after step 3 of epoch 1 */
    m = tiny_classifier();
    int64_t when = 3;
    o = clf_options(support_tmp("clf-stop.db"));
    o.train.progress = stop_at;
    o.train.progress_ctx = &when;
    assert_int_equal(rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err), RNNKIT_ERR_INTERRUPTED);
    assert_int_equal(rnnkit_checkpoint_info_read(support_tmp("clf-stop.db"), &info, &err), RNNKIT_OK);
    assert_int_equal(info.step, 3);
    assert_int_equal(info.epoch, 1);
    assert_int_equal(info.finished, 0);
    assert_int_equal(info.batch, CLF_BATCH);
    assert_int_equal(info.seed, 4242);
    ckbuf_init(&b, m, 0);
    if (rnnkit__ckpt_read(m, support_tmp("clf-stop.db"), &b.ck, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(b.ck.batch_index, 3);
    assert_int_equal(b.ck.seen, 3 * CLF_BATCH);
    assert_true(b.ck.correct >= 0 && b.ck.correct <= 3 * CLF_BATCH);
    assert_true(b.ck.loss_sum > 0);
    assert_int_equal(b.ck.nlog, 0); /* no epoch ended */
    assert_int_equal(b.optim.step, 3);
    assert_memory_equal(b.ck.weights, rnnkit__model_params(m)->value, n * sizeof(float));
    ckbuf_free(&b);
    rnnkit_model_free(m);
}

static void test_generator_checkpoint_reads_back(void **state)
{
    (void)state;
    size_t ntok;
    rnnkit_model *m = tiny_generator(&ntok);
    rnnkit_generator_options o = gen_options(support_tmp("gen.db"));
    rnnkit_log_row *log = NULL;
    int nlog = 0;
    rnnkit_error err;
    /* validation: the same text's tail */
    if (rnnkit_generator_train(m, stream, ntok, stream + ntok - 60, 60, &o, &log, &nlog, &err))
        fail_msg("%s", err.msg);
    /* evaluations at steps 5, 10 and the last, 12 */
    assert_int_equal(nlog, 3);
    assert_int_equal(log[0].step, 5);
    assert_int_equal(log[1].step, 10);
    assert_int_equal(log[2].step, 12);
    for (int i = 0; i < nlog; i++)
        assert_true(isfinite(log[i].valid_loss) && log[i].valid_loss > 0);

    rnnkit_checkpoint_info info;
    if (rnnkit_checkpoint_info_read(support_tmp("gen.db"), &info, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(info.task, RNNKIT_TASK_GENERATE);
    assert_int_equal(info.step, GEN_STEPS);
    assert_int_equal(info.seed, 77);
    assert_int_equal(info.finished, 1);
    assert_int_equal(info.batch, GEN_BATCH);
    assert_int_equal(info.seq_len, GEN_SEQ);
    assert_int_equal(info.member, 0);

    const size_t nstate = (size_t)GEN_L * GEN_BATCH * GEN_H;
    ckbuf b;
    ckbuf_init(&b, m, nstate);
    if (rnnkit__ckpt_read(m, support_tmp("gen.db"), &b.ck, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(b.ck.task, RNNKIT_TASK_GENERATE);
    assert_int_equal(b.ck.step, GEN_STEPS);
    assert_int_equal(b.ck.epoch, info.epoch);
    assert_int_equal(b.ck.batch_size, GEN_BATCH);
    assert_int_equal(b.ck.seq_len, GEN_SEQ);
    assert_int_equal(b.ck.eval_every, GEN_EVAL);
    assert_int_equal(b.ck.finished, 1);
    assert_int_equal(b.optim.step, GEN_STEPS);
    /* the streams are (ntok - 1) / B long, long enough for 12 steps of 7
     * without starting over: the position is 84 */
    assert_true((ntok - 1) / GEN_BATCH >= (size_t)GEN_STEPS * GEN_SEQ);
    assert_int_equal(b.ck.pos, GEN_STEPS * GEN_SEQ);
    assert_true(b.ck.best_loss == b.ck.best_loss && b.ck.best_loss > 0);
    /* the best validation loss is that of the scheduled evaluations (5 and
     * 10); the final, off-schedule one (12) changes nothing a resumed run
     * carries on with, but when it is better its weights are the model */
    double best = log[0].valid_loss < log[1].valid_loss ? log[0].valid_loss : log[1].valid_loss;
    assert_true(b.ck.best_loss == best);
    assert_int_equal(b.ck.has_best, 1);
    size_t n = rnnkit_model_num_params(m);
    assert_memory_equal(b.ck.weights, rnnkit__model_params(m)->value, n * sizeof(float));
    rnnkit_model *l = NULL;
    if (rnnkit_model_load(support_tmp("gen.db"), RNNKIT_TASK_GENERATE, &l, &err))
        fail_msg("%s", err.msg);
    if (log[2].valid_loss < best)
        assert_memory_equal(rnnkit__model_params(l)->value, b.ck.weights, n * sizeof(float));
    else
        assert_memory_equal(rnnkit__model_params(l)->value, b.ck.best, n * sizeof(float));
    assert_memory_not_equal(b.ck.best, b.ck.weights, n * sizeof(float));
    rnnkit_model_free(l);
    /* carried LSTM state: finite, not all zero, |h| < 1 */
    int nonzero = 0;
    for (size_t i = 0; i < nstate; i++) {
        assert_true(isfinite(b.ck.h[i]) && fabsf(b.ck.h[i]) < 1.0f && isfinite(b.ck.c[i]));
        nonzero += b.ck.h[i] != 0;
    }
    assert_true(nonzero > (int)nstate / 2);
    assert_same_log(log, nlog, b.ck.log, b.ck.nlog);
    ckbuf_free(&b);
    /* a checkpoint for another state size is refused, naming both */
    ckbuf_init(&b, m, nstate + GEN_H);
    assert_int_equal(rnnkit__ckpt_read(m, support_tmp("gen.db"), &b.ck, &err), RNNKIT_ERR_SHAPE);
    char want[128];
    snprintf(want, sizeof want, "checkpoint carries %zu state values, this run needs %zu", nstate, nstate + GEN_H);
    assert_non_null(strstr(err.msg, want));
    ckbuf_free(&b);
    free(log);
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Carrying a checkpoint on (train_options.init_path) */

/* Trains a fresh copy of the tiny classifier's file `from` for `epochs`
 * more on d (validated on v), into `to`; *out receives its weights. */
static rnnkit_status init_run(const char *from, const char *to, const rnnkit_dataset *d, const rnnkit_dataset *v,
                              int epochs, float *out, rnnkit_error *err)
{
    rnnkit_model *m = NULL;
    rnnkit_status st = rnnkit_model_load(support_tmp(from), RNNKIT_TASK_CLASSIFY, &m, err);
    if (st)
        return st;
    rnnkit_classifier_options o = clf_options(support_tmp(to));
    o.epochs = epochs;
    o.train.init_path = support_tmp(from);
    if (!(st = rnnkit_classifier_train(m, d, v, &o, NULL, NULL, err)) && out)
        memcpy(out, rnnkit__model_params(m)->value, rnnkit_model_num_params(m) * sizeof(float));
    rnnkit_model_free(m);
    return st;
}

static void test_init_carries_a_checkpoint_on(void **state)
{
    (void)state;
    rnnkit_model *m = tiny_classifier();
    rnnkit_dataset d = docs(m), v = d, half = d;
    v.n = NDOC / 4; /* validation: the first documents */
    half.n = NDOC / 2 + 3;
    rnnkit_classifier_options o = clf_options(support_tmp("i-old.db"));
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &d, &v, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    const size_t n = rnnkit_model_num_params(m);
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    assert_non_null(a);
    assert_non_null(b);

    /* the same data: the resume of a copy to 2 + 3 epochs */
    support_copy_file(support_tmp("i-old.db"), support_tmp("i-x.db"));
    rnnkit_model *x = NULL;
    assert_int_equal(rnnkit_model_load(support_tmp("i-x.db"), RNNKIT_TASK_CLASSIFY, &x, &err), RNNKIT_OK);
    o = clf_options(support_tmp("i-x.db"));
    o.epochs = CLF_EPOCHS + 3;
    o.train.resume = 1;
    if (rnnkit_classifier_train(x, &d, &v, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    memcpy(a, rnnkit__model_params(x)->value, n * sizeof(float));
    rnnkit_model_free(x);
    if (init_run("i-old.db", "i-new.db", &d, &v, 3, b, &err))
        fail_msg("%s", err.msg);
    assert_memory_equal(a, b, n * sizeof(float));

    /* other data: on from the checkpoint's step and epoch */
    if (init_run("i-old.db", "i-other.db", &half, &v, 2, b, &err))
        fail_msg("%s", err.msg);
    assert_memory_not_equal(a, b, n * sizeof(float));
    rnnkit_model *l = NULL;
    assert_int_equal(rnnkit_model_load(support_tmp("i-other.db"), RNNKIT_TASK_CLASSIFY, &l, &err), RNNKIT_OK);
    ckbuf c;
    ckbuf_init(&c, l, 0);
    if (rnnkit__ckpt_read(l, support_tmp("i-other.db"), &c.ck, &err))
        fail_msg("%s", err.msg);
    const int nb = (NDOC / 2 + 3 + CLF_BATCH - 1) / CLF_BATCH;
    assert_int_equal(c.ck.origin_step, CLF_EPOCHS * CLF_BATCHES);
    assert_int_equal(c.ck.origin_epoch, CLF_EPOCHS);
    assert_int_equal(c.ck.epochs_before, CLF_EPOCHS);
    assert_int_equal(c.ck.step, CLF_EPOCHS * CLF_BATCHES + 2 * nb);
    assert_int_equal(c.ck.epoch, CLF_EPOCHS + 3);
    assert_int_equal(c.ck.finished, 1);
    assert_int_equal(c.optim.step, CLF_EPOCHS * CLF_BATCHES + 2 * nb); /* the moments carried on */
    assert_int_equal(c.ck.nlog, CLF_EPOCHS + 2);
    for (int i = 0; i < c.ck.nlog; i++)
        assert_int_equal(c.ck.log[i].epoch, i + 1);
    assert_int_equal(c.ck.log[CLF_EPOCHS].step, CLF_EPOCHS * CLF_BATCHES + nb);
    ckbuf_free(&c);
    rnnkit_model_free(l);

    /* refused, nothing written: no checkpoint, another seed, no output path,
     * another task */
    assert_int_equal(save_model(m, support_tmp("i-plain.db"), &err), RNNKIT_OK);
    assert_int_equal(init_run("i-plain.db", "i-none.db", &d, NULL, 1, NULL, &err), RNNKIT_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "i-plain.db: holds no checkpoint"));
    o = clf_options(support_tmp("i-none.db"));
    o.train.init_path = support_tmp("i-old.db");
    o.train.seed = 1;
    assert_int_equal(rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "trained with seed 4242, not 1"));
    o.train.checkpoint_path = NULL;
    assert_int_equal(rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_int_equal(access(support_tmp("i-none.db"), F_OK), -1);
    size_t ntok;
    rnnkit_model *g = tiny_generator(&ntok);
    rnnkit_generator_options go = gen_options(support_tmp("i-none.db"));
    go.train.init_path = support_tmp("gen.db");
    assert_int_equal(rnnkit_generator_train(g, stream, ntok, NULL, 0, &go, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_int_equal(access(support_tmp("i-none.db"), F_OK), -1);
    rnnkit_model_free(g);
    free(a);
    free(b);
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Tampering */

/* A copy of `good` changed by `sql`: rnnkit__ckpt_read (and, when
 * info_too, rnnkit_checkpoint_info_read) must fail with `want` and a
 * message holding `needle`. */
static void expect_tampered(const rnnkit_model *m, size_t nstate, const char *good, const char *sql,
                            int info_too, rnnkit_status want, const char *needle)
{
    support_copy_file(support_tmp(good), support_tmp("t.db"));
    support_exec_sql(support_tmp("t.db"), sql);
    ckbuf b;
    ckbuf_init(&b, m, nstate);
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_status st = rnnkit__ckpt_read(m, support_tmp("t.db"), &b.ck, &err);
    if (st != want || !strstr(err.msg, needle))
        fail_msg("%s\n  want status %d with \"%s\", got %d: %s", sql, want, needle, st, err.msg);
    if (st) { /* nothing half read is handed back */
        assert_null(b.ck.log);
        assert_int_equal(b.ck.nlog, 0);
    }
    ckbuf_free(&b);
    if (info_too) {
        rnnkit_checkpoint_info info;
        rnnkit_error_clear(&err);
        st = rnnkit_checkpoint_info_read(support_tmp("t.db"), &info, &err);
        if (st != want || !strstr(err.msg, needle))
            fail_msg("%s\n  info: want status %d with \"%s\", got %d: %s", sql, want, needle, st, err.msg);
    }
}

static void test_tampered_classifier_checkpoints_are_refused(void **state)
{
    (void)state;
    rnnkit_model *m = tiny_classifier();
    rnnkit_dataset d = docs(m);
    rnnkit_classifier_options o = clf_options(support_tmp("good.db"));
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    /* the untouched file reads */
    expect_tampered(m, 0, "good.db", "SELECT 1", 0, RNNKIT_OK, "");

    /* checksums and sizes of the BLOBs */
    expect_tampered(m, 0, "good.db", "UPDATE checkpoint SET fnv1a64 = '0123456789abcdef' WHERE name = 'weights'", 0,
                    RNNKIT_ERR_CORRUPT, "tensor 'checkpoint:weights' fails its checksum");
    expect_tampered(m, 0, "good.db",
                    "UPDATE checkpoint SET data = zeroblob(length(data)) WHERE name = 'weights'", 0,
                    RNNKIT_ERR_CORRUPT, "tensor 'checkpoint:weights' fails its checksum");
    char want[160];
    size_t bytes = rnnkit_model_num_params(m) * sizeof(float);
    snprintf(want, sizeof want, "tensor 'checkpoint:weights' holds %zu bytes, expected %zu", bytes - 4, bytes);
    expect_tampered(m, 0, "good.db",
                    "UPDATE checkpoint SET data = substr(data, 1, length(data) - 4) WHERE name = 'weights'", 0,
                    RNNKIT_ERR_CORRUPT, want);
    expect_tampered(m, 0, "good.db", "DELETE FROM checkpoint WHERE name = 'weights'", 0, RNNKIT_ERR_CORRUPT,
                    "checkpoint lacks 'weights' in checkpoint");
    expect_tampered(m, 0, "good.db", "UPDATE optim_state SET fnv1a64 = '0000000000000000' WHERE name = 'v'", 0,
                    RNNKIT_ERR_CORRUPT, "tensor 'optim_state:v' fails its checksum");
    expect_tampered(m, 0, "good.db", "UPDATE optim_state SET data = x'00' WHERE name = 'm'", 0,
                    RNNKIT_ERR_CORRUPT, "tensor 'optim_state:m' holds 1 bytes");
    expect_tampered(m, 0, "good.db", "DELETE FROM optim_state WHERE name = 'm'", 0, RNNKIT_ERR_CORRUPT,
                    "checkpoint lacks 'm' in optim_state");

    /* the task */
    expect_tampered(m, 0, "good.db", "UPDATE train_state SET value = 'generate' WHERE key = 'task'", 0,
                    RNNKIT_ERR_CORRUPT, "the checkpoint is for another task than its model");
    expect_tampered(m, 0, "good.db", "UPDATE train_state SET value = 'regress' WHERE key = 'task'", 1,
                    RNNKIT_ERR_CORRUPT, "checkpoint task missing or unknown");

    /* counters out of range, or not numbers */
    static const struct {
        const char *key, *value;
        int info_too;
    } bad[] = {
        {"step", "-1", 1},          {"epoch", "0", 1},         {"finished", "2", 1},
        {"batch_size", "0", 1},     {"batch_size", "2000000", 1}, {"seq_len", "-3", 1},
        {"seed", "-5", 1},          {"seed", "12x", 1},        {"ckpt_version", "2", 1},
        {"member", "16", 1},        {"member", "1", 0},        {"batch_index", "-1", 0},
        {"since_best", "-2", 0},    {"seen", "many", 0},       {"keep_last", "2", 0},
        {"has_best", "3", 0},       {"maxlen", "-1", 0},       {"loss_sum", "", 0},
        {"data_fp", "xyz", 0},      {"rng2", "-1", 0},         {"optim_step", "-4", 0},
        {"step", "9223372036854775808", 1},
        {"origin_step", "-1", 0},   {"origin_step", "11", 0},  {"origin_epoch", "3", 0},
        {"epochs_before", "x", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char sql[200], needle[120];
        snprintf(sql, sizeof sql, "UPDATE train_state SET value = '%s' WHERE key = '%s'", bad[i].value, bad[i].key);
        snprintf(needle, sizeof needle, "checkpoint '%s' = '%s' is invalid", bad[i].key, bad[i].value);
        expect_tampered(m, 0, "good.db", sql, bad[i].info_too, RNNKIT_ERR_CORRUPT, needle);
    }
    /* keys missing */
    static const char *const needed[] = {"step", "epoch", "seed", "finished", "batch_size", "seq_len"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        char sql[160], needle[80];
        snprintf(sql, sizeof sql, "DELETE FROM train_state WHERE key = '%s'", needed[i]);
        snprintf(needle, sizeof needle, "checkpoint lacks '%s'", needed[i]);
        expect_tampered(m, 0, "good.db", sql, 1, RNNKIT_ERR_CORRUPT, needle);
    }
    expect_tampered(m, 0, "good.db", "DELETE FROM train_state WHERE key = 'epoch_rng3'", 0, RNNKIT_ERR_CORRUPT,
                    "checkpoint lacks 'epoch_rng3'");
    /* the optimiser */
    expect_tampered(m, 0, "good.db", "UPDATE train_state SET value = '0' WHERE key = 'optim_lr'", 0,
                    RNNKIT_ERR_CORRUPT, "checkpoint learning rate 0 is invalid");
    expect_tampered(m, 0, "good.db", "UPDATE train_state SET value = 'nan' WHERE key = 'optim_lr'", 0,
                    RNNKIT_ERR_CORRUPT, "learning rate nan is invalid");
    expect_tampered(m, 0, "good.db", "UPDATE train_state SET value = '2' WHERE key = 'optim_kind'", 0,
                    RNNKIT_ERR_ARG, "trained with another optimiser");
    /* a state the classifier does not carry */
    expect_tampered(m, 0, "good.db", "UPDATE train_state SET value = '5' WHERE key = 'nstate'", 0,
                    RNNKIT_ERR_SHAPE, "checkpoint carries 5 state values, this run needs 0");
    /* files from before --init lack the origin keys: 0 */
    expect_tampered(m, 0, "good.db",
                    "DELETE FROM train_state WHERE key IN ('origin_step', 'origin_epoch', 'epochs_before')", 0,
                    RNNKIT_OK, "");
    /* no checkpoint at all: every key gone */
    expect_tampered(m, 0, "good.db", "DELETE FROM train_state", 1, RNNKIT_ERR_EMPTY, "holds no checkpoint");

    /* a model saved without a checkpoint */
    assert_int_equal(save_model(m, support_tmp("plain.db"), &err), RNNKIT_OK);
    rnnkit_checkpoint_info info;
    assert_int_equal(rnnkit_checkpoint_info_read(support_tmp("plain.db"), &info, &err), RNNKIT_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "holds no checkpoint"));
    /* and files that are not models */
    assert_int_equal(rnnkit_checkpoint_info_read(support_tmp("missing.db"), &info, &err), RNNKIT_ERR_IO);
    support_exec_sql(support_tmp("other.db"), "CREATE TABLE t(x)");
    assert_int_equal(rnnkit_checkpoint_info_read(support_tmp("other.db"), &info, &err), RNNKIT_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "not an rnnkit model"));
    rnnkit_model_free(m);
}

static void test_tampered_generator_checkpoints_are_refused(void **state)
{
    (void)state;
    size_t ntok;
    rnnkit_model *m = tiny_generator(&ntok);
    rnnkit_generator_options o = gen_options(support_tmp("ggood.db"));
    rnnkit_error err;
    if (rnnkit_generator_train(m, stream, ntok, NULL, 0, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    const size_t nstate = (size_t)GEN_L * GEN_BATCH * GEN_H;
    expect_tampered(m, nstate, "ggood.db", "SELECT 1", 0, RNNKIT_OK, "");
    expect_tampered(m, nstate, "ggood.db", "UPDATE checkpoint SET fnv1a64 = upper(fnv1a64) || 'x' WHERE name = 'h'",
                    0, RNNKIT_ERR_CORRUPT, "tensor 'checkpoint:h' fails its checksum");
    char want[128];
    snprintf(want, sizeof want, "tensor 'checkpoint:c' holds %zu bytes, expected %zu", nstate * 4 + 4, nstate * 4);
    expect_tampered(m, nstate, "ggood.db", "UPDATE checkpoint SET data = data || x'00000000' WHERE name = 'c'", 0,
                    RNNKIT_ERR_CORRUPT, want);
    expect_tampered(m, nstate, "ggood.db", "DELETE FROM checkpoint WHERE name = 'h'", 0, RNNKIT_ERR_CORRUPT,
                    "checkpoint lacks 'h' in checkpoint");
    expect_tampered(m, nstate, "ggood.db", "UPDATE train_state SET value = 'classify' WHERE key = 'task'", 0,
                    RNNKIT_ERR_CORRUPT, "the checkpoint is for another task than its model");
    expect_tampered(m, nstate, "ggood.db", "UPDATE train_state SET value = '-7' WHERE key = 'pos'", 0,
                    RNNKIT_ERR_CORRUPT, "checkpoint 'pos' = '-7' is invalid");
    expect_tampered(m, nstate, "ggood.db", "UPDATE train_state SET value = '-1' WHERE key = 'tokens'", 0,
                    RNNKIT_ERR_CORRUPT, "checkpoint 'tokens' = '-1' is invalid");
    expect_tampered(m, nstate, "ggood.db", "UPDATE train_state SET value = '-1' WHERE key = 'eval_every'", 0,
                    RNNKIT_ERR_CORRUPT, "checkpoint 'eval_every' = '-1' is invalid");
    expect_tampered(m, nstate, "ggood.db", "UPDATE train_state SET value = '1048577' WHERE key = 'seq_len'", 1,
                    RNNKIT_ERR_CORRUPT, "checkpoint 'seq_len' = '1048577' is invalid");
    /* a position past the streams is for the trainer to refuse on resume */
    support_copy_file(support_tmp("ggood.db"), support_tmp("t.db"));
    support_exec_sql(support_tmp("t.db"), "UPDATE train_state SET value = '100000' WHERE key = 'pos'");
    o.train.checkpoint_path = support_tmp("t.db");
    o.train.resume = 1;
    o.steps = GEN_STEPS + 2;
    assert_int_equal(rnnkit_generator_train(m, stream, ntok, NULL, 0, &o, NULL, NULL, &err), RNNKIT_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "checkpoint position 100000 outside the streams"));
    rnnkit_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classifier_checkpoint_reads_back),
        cmocka_unit_test(test_generator_checkpoint_reads_back),
        cmocka_unit_test(test_init_carries_a_checkpoint_on),
        cmocka_unit_test(test_tampered_classifier_checkpoints_are_refused),
        cmocka_unit_test(test_tampered_generator_checkpoints_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
