/*
 * tests/test_gen_ensemble.c: ensembles of generators (model/generator.c,
 * model/sampler.c, the trainer's members). What each must show:
 *  - evaluation is the loss of the members' mean probability of every
 *    token, each member reading with its own state: on a long text (many
 *    streams and a tail) with networks made context-free (W_hh = 0, plain
 *    RNN cells), against each member's probabilities read token by token by
 *    a one-network sampler; on a short text with LSTM state carried, against
 *    samplers fed the whole text;
 *  - a sampler's logits are the log of the members' mean probabilities,
 *    token after token (each member's state its own);
 *  - member k of an ensemble trained with seed s is, bit for bit, the one
 *    network trained with seed s + k (its own weights, data order and
 *    dropout, from the start of the text and zero state);
 *  - an ensemble interrupted inside its second network and resumed ends
 *    bit for bit where the uninterrupted run ends;
 *  - a classifier does not start from an ensemble of language models.
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
#include "model/nn_internal.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-genens-XXXXXX");
}

static const char *const TEXT = "the cat sat on the mat; the dog sat on the log.\nto be or not!\n"; /* <= 64 ids */
static int32_t stream[2000];

/* A character generator of `members` networks with fresh weights from seed;
 * *n ids of TEXT repeated in `stream`. */
static rnnkit_model *generator(rnnkit_cell cell, int layers, int members, uint64_t seed, size_t *n)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.cell = cell;
    c.embed = 5;
    c.hidden = 6;
    c.layers = layers;
    c.members = members;
    rnnkit_model *m = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, TEXT, "test"), NULL, 0, seed);
    *n = support_encode_repeated(rnnkit_model_vocab(m), TEXT, stream, sizeof stream / sizeof stream[0]);
    return m;
}

/* Network k of the model saved at path, alone. */
static rnnkit_model *member_alone(const char *path, int k)
{
    rnnkit_error err;
    rnnkit_model *m = NULL;
    if (rnnkit_model_load(path, RNNKIT_TASK_GENERATE, &m, &err) || rnnkit_model_keep_member(m, k, &err))
        fail_msg("%s", err.msg);
    return m;
}

/* log softmax(z)[y] over V logits, in double. */
static double log_prob(const float *z, int V, int32_t y)
{
    double mx = z[0], s = 0.0;
    for (int v = 1; v < V; v++)
        mx = z[v] > mx ? z[v] : mx;
    for (int v = 0; v < V; v++)
        s += exp((double)z[v] - mx);
    return (double)z[y] - mx - log(s);
}

/* lp[i] = log p(ids[i+1] | ...) under the one-network model m, read by a
 * sampler: after ids[0..i] (carried), or after ids[i] alone (fresh). */
static void sampler_log_probs(rnnkit_model *m, const int32_t *ids, size_t n, int fresh, double *lp)
{
    rnnkit_error err;
    rnnkit_sampler *s = NULL;
    if (rnnkit_sampler_new(m, &s, &err))
        fail_msg("%s", err.msg);
    const int V = (int)rnnkit_vocab_size(rnnkit_model_vocab(m));
    for (size_t i = 0; i + 1 < n; i++) {
        if (fresh)
            rnnkit_sampler_reset(s);
        if (rnnkit_sampler_feed(s, ids[i], &err))
            fail_msg("%s", err.msg);
        lp[i] = log_prob(rnnkit_sampler_logits(s), V, ids[i + 1]);
    }
    rnnkit_sampler_free(s);
}

/* -mean_i log mean_k exp(lp[k][i]) over R members, n - 1 predictions. */
static double mixture_loss(double *const *lp, int R, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        double p = 0.0;
        for (int k = 0; k < R; k++)
            p += exp(lp[k][i]);
        total += -log(p / R);
    }
    return total / (double)(n - 1);
}

/* Every network's recurrent weights zeroed: each prediction then depends on
 * the token read alone. */
static void context_free(rnnkit_model *m, int layers)
{
    for (int l = 0; l < layers; l++) {
        char name[32];
        snprintf(name, sizeof name, "rnn.weight_hh_l%d", l);
        const rnnkit__param_view *v = rnnkit__params_find(&m->params, name);
        assert_non_null(v);
        for (int k = 0; k < m->members; k++)
            memset(m->mw[k] + v->offset, 0, v->numel * sizeof(float));
    }
    rnnkit__model_weights_changed(m);
}

static void test_eval_is_the_mean_probability_of_every_token(void **state)
{
    (void)state;
    enum { R = 3, L = 2 };
    size_t n;
    rnnkit_model *e = generator(RNNKIT_CELL_RNN, L, R, 5, &n);
    /* 1235 ids: 12 streams of 102 predictions and a tail of 10 */
    n = 1235;
    context_free(e, L);
    rnnkit_error err;
    assert_int_equal(rnnkit_model_save(e, support_tmp("free.db"), &err), RNNKIT_OK);
    double *lp[R];
    for (int k = 0; k < R; k++) {
        rnnkit_model *one = member_alone(support_tmp("free.db"), k);
        lp[k] = malloc((n - 1) * sizeof(double));
        assert_non_null(lp[k]);
        sampler_log_probs(one, stream, n, 1, lp[k]);
        double alone, want = mixture_loss(&lp[k], 1, n);
        assert_int_equal(rnnkit_generator_evaluate(one, stream, n, &alone, &err), RNNKIT_OK);
        assert_true(fabs(alone - want) < 1e-5);
        rnnkit_model_free(one);
    }
    double loss, want = mixture_loss(lp, R, n);
    assert_int_equal(rnnkit_generator_evaluate(e, stream, n, &loss, &err), RNNKIT_OK);
    if (fabs(loss - want) > 1e-5)
        fail_msg("ensemble loss %.8f, the members' mean probability gives %.8f", loss, want);
    /* the members differ, so the mixture is not any one of them */
    for (int k = 0; k < R; k++)
        assert_true(fabs(mixture_loss(&lp[k], 1, n) - want) > 1e-3);
    for (int k = 0; k < R; k++)
        free(lp[k]);
    rnnkit_model_free(e);
}

static void test_sampler_and_eval_carry_each_members_state(void **state)
{
    (void)state;
    enum { R = 3, L = 2, N = 150 }; /* N - 1 < 200: evaluation reads one stream, from zero state */
    size_t n;
    rnnkit_model *e = generator(RNNKIT_CELL_LSTM, L, R, 8, &n);
    rnnkit_error err;
    assert_int_equal(rnnkit_model_save(e, support_tmp("lstm.db"), &err), RNNKIT_OK);
    rnnkit_model *one[R];
    rnnkit_sampler *s[R], *all = NULL;
    double *lp[R];
    for (int k = 0; k < R; k++) {
        one[k] = member_alone(support_tmp("lstm.db"), k);
        lp[k] = malloc(N * sizeof(double));
        assert_non_null(lp[k]);
        sampler_log_probs(one[k], stream, N, 0, lp[k]);
        if (rnnkit_sampler_new(one[k], &s[k], &err))
            fail_msg("%s", err.msg);
    }
    double loss, want = mixture_loss(lp, R, N);
    assert_int_equal(rnnkit_generator_evaluate(e, stream, N, &loss, &err), RNNKIT_OK);
    if (fabs(loss - want) > 1e-5)
        fail_msg("ensemble loss %.8f, the members' mean probability gives %.8f", loss, want);
    /* the ensemble's sampler: logits = log mean_k softmax(z_k), token after token */
    if (rnnkit_sampler_new(e, &all, &err))
        fail_msg("%s", err.msg);
    const int V = (int)rnnkit_vocab_size(rnnkit_model_vocab(e));
    for (int i = 0; i < 40; i++) {
        assert_int_equal(rnnkit_sampler_feed(all, stream[i], &err), RNNKIT_OK);
        for (int k = 0; k < R; k++)
            assert_int_equal(rnnkit_sampler_feed(s[k], stream[i], &err), RNNKIT_OK);
        const float *z = rnnkit_sampler_logits(all);
        for (int v = 0; v < V; v++) {
            double p = 0.0;
            for (int k = 0; k < R; k++)
                p += exp(log_prob(rnnkit_sampler_logits(s[k]), V, v));
            if (fabs((double)z[v] - log(p / R)) > 1e-5)
                fail_msg("token %d, id %d: ensemble logit %.7f, mixture %.7f", i, v, (double)z[v], log(p / R));
        }
    }
    rnnkit_sampler_free(all);
    for (int k = 0; k < R; k++) {
        rnnkit_sampler_free(s[k]);
        rnnkit_model_free(one[k]);
        free(lp[k]);
    }
    rnnkit_model_free(e);
}

enum { BATCH = 3, SEQ = 7, STEPS = 12, EVAL = 5 };

static rnnkit_generator_options options(const char *path, uint64_t seed)
{
    rnnkit_generator_options o;
    rnnkit_generator_options_default(&o);
    o.train.batch = BATCH;
    o.seq_len = SEQ;
    o.steps = STEPS; /* a pass over the text is about 90 steps: a network ends mid-pass, its state not zero */
    o.eval_every = EVAL;
    o.train.seed = seed;
    o.train.checkpoint_path = path;
    return o;
}

static void train(rnnkit_model *m, size_t n, const rnnkit_generator_options *o)
{
    rnnkit_error err;
    if (rnnkit_generator_train(m, stream, n - 80, stream + n - 80, 80, o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
}

static void test_member_k_trains_as_seed_plus_k(void **state)
{
    (void)state;
    size_t n;
    rnnkit_model *e = generator(RNNKIT_CELL_LSTM, 2, 2, 31, &n);
    rnnkit_generator_options o = options(NULL, 31);
    train(e, n, &o);
    assert_int_equal(rnnkit_model_num_ready(e), 2);
    const size_t P = rnnkit_model_num_params(e);
    assert_true(memcmp(e->mw[0], e->mw[1], P * sizeof(float)) != 0);
    for (int k = 0; k < 2; k++) {
        rnnkit_model *one = generator(RNNKIT_CELL_LSTM, 2, 1, 31 + (uint64_t)k, &n);
        o.train.seed = 31 + (uint64_t)k;
        train(one, n, &o);
        if (memcmp(e->mw[k], one->params.value, P * sizeof(float)))
            fail_msg("member %d differs from the one network trained with seed %d", k, 31 + k);
        rnnkit_model_free(one);
    }
    /* a classifier does not start from an ensemble of language models */
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    const char *labels[] = {"neg", "pos"};
    rnnkit_model *clf = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, TEXT, "test"), labels, 2, 1);
    rnnkit_error err;
    assert_int_equal(rnnkit_model_pretrain(clf, e, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "an ensemble of 2 generators"));
    rnnkit_model_free(clf);
    rnnkit_model_free(e);
}

static int stop_in_second(void *ctx, const rnnkit_progress *p)
{
    int *stopped = ctx;
    if (!*stopped && p->member == 1 && p->step == 7) {
        *stopped = 1;
        return 1;
    }
    return 0;
}

static void test_ensemble_resumes_exactly_inside_a_member(void **state)
{
    (void)state;
    size_t n;
    rnnkit_model *a = generator(RNNKIT_CELL_GRU, 2, 3, 4, &n);
    rnnkit_model *b = generator(RNNKIT_CELL_GRU, 2, 3, 4, &n);
    rnnkit_generator_options o = options(support_tmp("ens-a.db"), 4);
    train(a, n, &o);
    int stopped = 0;
    o.train.checkpoint_path = support_tmp("ens-b.db");
    o.train.progress = stop_in_second;
    o.train.progress_ctx = &stopped;
    rnnkit_error err;
    assert_int_equal(rnnkit_generator_train(b, stream, n - 80, stream + n - 80, 80, &o, NULL, NULL, &err),
                     RNNKIT_ERR_INTERRUPTED);
    rnnkit_model_free(b);
    rnnkit_model *mid = NULL;
    if (rnnkit_model_load(support_tmp("ens-b.db"), RNNKIT_TASK_GENERATE, &mid, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rnnkit_model_num_members(mid), 3);
    assert_int_equal(rnnkit_model_num_ready(mid), 2);
    double l;
    assert_int_equal(rnnkit_generator_evaluate(mid, stream, 300, &l, &err), RNNKIT_OK); /* the two so far */
    o.train.resume = 1;
    o.train.progress = NULL;
    train(mid, n, &o);
    const size_t P = rnnkit_model_num_params(a);
    for (int k = 0; k < 3; k++)
        if (memcmp(a->mw[k], mid->mw[k], P * sizeof(float)))
            fail_msg("member %d after the resume differs from the uninterrupted run", k);
    double la, lb;
    assert_int_equal(rnnkit_generator_evaluate(a, stream, 300, &la, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_generator_evaluate(mid, stream, 300, &lb, &err), RNNKIT_OK);
    assert_true(la == lb);
    rnnkit_model_free(mid);
    rnnkit_model_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_is_the_mean_probability_of_every_token),
        cmocka_unit_test(test_sampler_and_eval_carry_each_members_state),
        cmocka_unit_test(test_member_k_trains_as_seed_plus_k),
        cmocka_unit_test(test_ensemble_resumes_exactly_inside_a_member),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
