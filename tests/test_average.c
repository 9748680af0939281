/*
 * tests/test_average.c: weight averaging (rnnkit_train_options.ema, model/
 * train.c). A tiny generator is trained while a progress callback keeps
 * its own average of the weights after every step (avg = d avg + (1 - d) w,
 * begun at the first weights); the model the run ends with must be that
 * average, bit for bit, as it stood at the evaluation with the lowest
 * validation loss, and each logged validation loss must be the loss of the
 * average at that step. A run interrupted mid-way and resumed from its
 * checkpoint must end with the same weights as an uninterrupted one (the
 * average travels in the checkpoint); a resume with another decay, and a
 * decay outside (0, 1), are refused with a message saying so. An ensemble
 * begins each network's average at that network's own weights.
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

#include <cmocka.h>

#include "model/model_internal.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-average-XXXXXX");
}

enum { BATCH = 3, SEQ = 7, STEPS = 15, EVAL = 5, MAX_STEPS = 32 };
static int32_t stream[600];
static size_t nstream;

static rnnkit_model *tiny_generator(void)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 3;
    c.hidden = 5;
    c.layers = 2;
    const char *text = "to be or not to be, that is the question.\n";
    rnnkit_model *m = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, text, "test"), NULL, 0, 5);
    nstream = support_encode_repeated(rnnkit_model_vocab(m), text, stream, sizeof stream / sizeof stream[0]);
    return m;
}

static rnnkit_generator_options options(double ema, const char *path)
{
    rnnkit_generator_options o;
    rnnkit_generator_options_default(&o);
    o.train.batch = BATCH;
    o.seq_len = SEQ;
    o.steps = STEPS;
    o.eval_every = EVAL;
    o.train.seed = 31;
    o.train.lr = 0.05; /* large steps: the average is far from the last weights */
    o.train.ema = ema;
    o.train.checkpoint_path = path;
    return o;
}

static rnnkit_status train(rnnkit_model *m, rnnkit_generator_options *o, rnnkit_log_row **log, int *nlog,
                           rnnkit_error *err)
{
    return rnnkit_generator_train(m, stream, nstream, stream + nstream - 60, 60, o, log, nlog, err);
}

/* The callback's own average, and a copy of it after every step. */
typedef struct shadow {
    rnnkit_model *m;
    float d;
    size_t n;
    float *avg, *last;
    float *at[MAX_STEPS + 1]; /* at[s]: the average after step s */
    int64_t stop_at;          /* nonzero: ask to stop after this step */
} shadow;

static void shadow_init(shadow *s, rnnkit_model *m, float d)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->d = d;
    rnnkit__params *p = rnnkit__model_params(m);
    s->n = p->count;
    s->avg = malloc(s->n * sizeof(float));
    s->last = malloc(s->n * sizeof(float));
    assert_non_null(s->avg);
    assert_non_null(s->last);
    memcpy(s->avg, p->value, s->n * sizeof(float));
}

static void shadow_free(shadow *s)
{
    free(s->avg);
    free(s->last);
    for (int i = 0; i <= MAX_STEPS; i++)
        free(s->at[i]);
}

static int on_progress(void *ctx, const rnnkit_progress *p)
{
    shadow *s = ctx;
    if (p->end_of_eval || p->end_of_epoch)
        return 0;
    const float *w = rnnkit__model_params(s->m)->value;
    const float e = 1.0f - s->d;
    for (size_t i = 0; i < s->n; i++)
        s->avg[i] = s->d * s->avg[i] + e * w[i];
    memcpy(s->last, w, s->n * sizeof(float));
    assert_true(p->step >= 1 && p->step <= MAX_STEPS);
    if (!s->at[p->step])
        s->at[p->step] = malloc(s->n * sizeof(float));
    assert_non_null(s->at[p->step]);
    memcpy(s->at[p->step], s->avg, s->n * sizeof(float));
    return s->stop_at && p->step == s->stop_at;
}

static void test_the_model_is_the_average_at_its_best_evaluation(void **state)
{
    (void)state;
    rnnkit_model *m = tiny_generator();
    shadow s;
    shadow_init(&s, m, 0.7f);
    rnnkit_generator_options o = options(0.7, NULL);
    o.train.progress = on_progress;
    o.train.progress_ctx = &s;
    rnnkit_log_row *log = NULL;
    int nlog = 0;
    rnnkit_error err;
    if (train(m, &o, &log, &nlog, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(nlog, STEPS / EVAL);
    int best = 0;
    for (int i = 1; i < nlog; i++)
        if (log[i].valid_loss < log[best].valid_loss)
            best = i;
    const float *w = rnnkit__model_params(m)->value;
    assert_memory_equal(w, s.at[log[best].step], s.n * sizeof(float));
    assert_memory_not_equal(s.at[STEPS], s.last, s.n * sizeof(float)); /* the average is not the weights */
    /* every logged validation loss is the average's at that step */
    rnnkit__params *p = rnnkit__model_params(m);
    for (int i = 0; i < nlog; i++) {
        memcpy(p->value, s.at[log[i].step], s.n * sizeof(float));
        rnnkit__model_weights_changed(m);
        double loss = 0.0;
        assert_int_equal(rnnkit_generator_evaluate(m, stream + nstream - 60, 60, &loss, &err), RNNKIT_OK);
        if (loss != log[i].valid_loss)
            fail_msg("evaluation %d (step %lld): logged %.17g, the average's loss %.17g", i,
                     (long long)log[i].step, log[i].valid_loss, loss);
    }
    free(log);
    shadow_free(&s);
    rnnkit_model_free(m);
}

static void test_a_resumed_run_ends_as_an_uninterrupted_one(void **state)
{
    (void)state;
    rnnkit_error err;
    /* uninterrupted */
    rnnkit_model *a = tiny_generator();
    rnnkit_generator_options o = options(0.8, support_tmp("whole.db"));
    if (train(a, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    /* interrupted after step 7 (between evaluations), then resumed */
    rnnkit_model *b = tiny_generator();
    shadow s;
    shadow_init(&s, b, 0.8f);
    s.stop_at = 7;
    o = options(0.8, support_tmp("cut.db"));
    o.train.progress = on_progress;
    o.train.progress_ctx = &s;
    assert_int_equal(train(b, &o, NULL, NULL, &err), RNNKIT_ERR_INTERRUPTED);
    rnnkit_model_free(b);
    shadow_free(&s);
    rnnkit_model *c = NULL;
    if (rnnkit_model_load(support_tmp("cut.db"), RNNKIT_TASK_GENERATE, &c, &err))
        fail_msg("%s", err.msg);
    o = options(0.8, support_tmp("cut.db"));
    o.train.resume = 1;
    if (train(c, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    const rnnkit__params *pa = rnnkit__model_params(a), *pc = rnnkit__model_params(c);
    assert_int_equal(pa->count, pc->count);
    assert_memory_equal(pa->value, pc->value, pa->count * sizeof(float));

    /* another decay cannot resume it; nor can a decay outside (0, 1) train */
    rnnkit_model *d = NULL;
    if (rnnkit_model_load(support_tmp("cut.db"), RNNKIT_TASK_GENERATE, &d, &err))
        fail_msg("%s", err.msg);
    o = options(0.9, support_tmp("cut.db"));
    o.train.resume = 1;
    o.steps = STEPS + EVAL;
    assert_int_equal(train(d, &o, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "weight averaging 0.8"));
    o = options(0.0, support_tmp("cut.db"));
    o.train.resume = 1;
    o.steps = STEPS + EVAL;
    assert_int_equal(train(d, &o, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "weight averaging"));
    o = options(1.0, NULL);
    assert_int_equal(train(d, &o, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "outside (0, 1)"));
    rnnkit_model_free(d);
    rnnkit_model_free(c);
    rnnkit_model_free(a);
}

/* An ensemble of two classifiers: each network's average begins at that
 * network's own first weights and its final weights are its average at
 * its best epoch (the callback keeps one shadow per network). */
typedef struct members_shadow {
    shadow s[2];
} members_shadow;

static int on_member_progress(void *ctx, const rnnkit_progress *p)
{
    members_shadow *ms = ctx;
    assert_true(p->member >= 0 && p->member < 2);
    return on_progress(&ms->s[p->member], p);
}

static void test_each_network_of_an_ensemble_averages_its_own_weights(void **state)
{
    (void)state;
    rnnkit_error err;
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.embed = 4;
    c.hidden = 3;
    c.members = 2;
    const char *labels[] = {"neg", "pos"};
    const char *words = "good bad great awful fine film plot not very";
    rnnkit_model *m = support_model(&c, support_vocab(RNNKIT_LEVEL_WORD, words, "test"), labels, 2, 12);
    enum { N = 40 };
    static size_t off[N + 1];
    static int32_t ids[N * 6], lab[N];
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 3);
    const int V = (int)rnnkit_vocab_size(rnnkit_model_vocab(m));
    size_t pos = 0;
    for (int i = 0; i < N; i++) {
        off[i] = pos;
        for (int t = 0; t < 6; t++)
            ids[pos++] = 2 + (int32_t)rnnkit_rng_below(&r, (uint64_t)V - 2);
        lab[i] = ids[off[i]] % 2;
    }
    off[N] = pos;
    rnnkit_dataset d = {.n = N, .off = off, .ids = ids, .label = lab};
    members_shadow ms;
    for (int k = 0; k < 2; k++) {
        rnnkit__model_use_member(m, k);
        shadow_init(&ms.s[k], m, 0.6f);
    }
    rnnkit__model_use_member(m, 0);
    assert_memory_not_equal(ms.s[0].avg, ms.s[1].avg, ms.s[0].n * sizeof(float));
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 3;
    o.train.batch = 8;
    o.train.ema = 0.6;
    o.train.lr = 0.05;
    o.train.patience = 0;
    o.train.progress = on_member_progress;
    o.train.progress_ctx = &ms;
    rnnkit_log_row *log = NULL;
    int nlog = 0;
    if (rnnkit_classifier_train(m, &d, &d, &o, &log, &nlog, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(nlog, 6);
    for (int k = 0; k < 2; k++) {
        int best = -1;
        for (int i = 0; i < nlog; i++) {
            if (log[i].member != k)
                continue;
            if (best < 0 || log[i].valid_acc > log[best].valid_acc ||
                (log[i].valid_acc == log[best].valid_acc && log[i].valid_loss < log[best].valid_loss))
                best = i;
        }
        assert_true(best >= 0);
        rnnkit__model_use_member(m, k);
        assert_non_null(ms.s[k].at[log[best].step]);
        assert_memory_equal(rnnkit__model_params(m)->value, ms.s[k].at[log[best].step], ms.s[k].n * sizeof(float));
    }
    rnnkit__model_use_member(m, 0);
    free(log);
    shadow_free(&ms.s[0]);
    shadow_free(&ms.s[1]);
    rnnkit_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_model_is_the_average_at_its_best_evaluation),
        cmocka_unit_test(test_a_resumed_run_ends_as_an_uninterrupted_one),
        cmocka_unit_test(test_each_network_of_an_ensemble_averages_its_own_weights),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
