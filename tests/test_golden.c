/*
 * tests/test_golden.c: golden results. Fixed-seed small trainings of every
 * task and shape that matters (classifier ensembles with checkpoints and a
 * resume, both schedules, every cell and pooling mode, generators with and
 * without validation) are reduced to FNV-1a 64 fingerprints of their bytes:
 * each network's weights, the training log, predicted probabilities, losses
 * and sampled tokens. tests/golden/library.txt holds the fingerprints the
 * code gave before the trainer was rebuilt (commit f26547b); this test
 * proves that no refactoring changes a trained bit.
 *
 * The fingerprints depend on OpenBLAS's kernels: ctest runs this test with
 * OPENBLAS_NUM_THREADS=1 and OPENBLAS_CORETYPE=Haswell (tests/CMakeLists.txt).
 * RNNKIT_GOLDEN_RECORD=1 prints the fingerprints instead of checking them.
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

#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

static int recording;

static int setup(void **state)
{
    (void)state;
    recording = getenv("RNNKIT_GOLDEN_RECORD") != NULL;
    return support_tmpdir_open("/tmp/rnnkit-test-golden-XXXXXX");
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
#define FNV0 0xcbf29ce484222325ULL

/* Checks (or, recording, prints) the fingerprint `name`. */
static void golden(const char *name, uint64_t h)
{
    if (recording) {
        printf("%s %016llx\n", name, (unsigned long long)h);
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/tests/golden/library.txt", RNNKIT_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char key[128];
    unsigned long long want;
    while (fscanf(f, "%127s %llx", key, &want) == 2)
        if (strcmp(key, name) == 0) {
            fclose(f);
            if (want != (unsigned long long)h)
                fail_msg("%s: fingerprint %016llx, golden %016llx: a trained bit changed", name,
                         (unsigned long long)h, want);
            return;
        }
    fclose(f);
    fail_msg("%s: no golden fingerprint in %s", name, path);
}

static uint64_t log_fp(const rnnkit_log_row *rows, int n)
{
    uint64_t h = FNV0;
    for (int i = 0; i < n; i++) {
        const rnnkit_log_row *r = &rows[i];
        h = fnv(h, &r->member, sizeof r->member);
        h = fnv(h, &r->epoch, sizeof r->epoch);
        h = fnv(h, &r->step, sizeof r->step);
        double v[5] = {r->train_loss, r->train_acc, r->valid_loss, r->valid_acc, r->lr};
        for (int k = 0; k < 5; k++)
            if (isnan(v[k]))
                v[k] = -1.0; /* one NaN, whatever its payload */
        h = fnv(h, v, sizeof v);
    }
    return h;
}

static rnnkit_vocab *word_vocab(void)
{
    const char *text = "good bad great awful fine film plot not very dull bright story actor scene";
    return support_vocab(RNNKIT_LEVEL_WORD, text, "golden");
}

/* ---------------------------------------------------------------------- */
/* Classifiers */

enum { N = 160, NTRAIN = 120 };
static size_t off[N + 1];
static int32_t ids[N * 16], lab[N];

/* Documents of 1..16 ids whose label depends on ids 1-3 (learnable, with noise). */
static void make_docs(int V)
{
    uint64_t s = 0x1234567u;
    size_t pos = 0;
    for (int i = 0; i < N; i++) {
        off[i] = pos;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int len = 1 + (int)((s >> 33) % 16);
        int score = 0;
        for (int t = 0; t < len; t++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            int32_t id = 2 + (int32_t)((s >> 33) % (uint64_t)(V - 2));
            score += id == 3 ? 1 : id == 4 ? -1 : 0;
            ids[pos++] = id;
        }
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        lab[i] = ((s >> 40) % 8 == 0) ? (score <= 0) : (score > 0);
    }
    off[N] = pos;
}

static rnnkit_model *classifier(rnnkit_cell cell, int bidi, rnnkit_pool pool, int members, uint64_t seed)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.cell = cell;
    c.embed = 8;
    c.hidden = 7;
    c.layers = 2;
    c.bidirectional = bidi;
    c.pool = pool;
    c.dropout = 0.2f;
    c.embed_dropout = 0.1f;
    c.weight_drop = cell == RNNKIT_CELL_LSTM ? 0.25f : 0.0f;
    c.forget_bias = cell == RNNKIT_CELL_LSTM ? 1.0f : 0.0f;
    c.members = members;
    c.maxlen = 12;
    const char *labels[] = {"neg", "pos"};
    rnnkit_model *m = support_model(&c, word_vocab(), labels, 2, seed);
    make_docs((int)rnnkit_vocab_size(rnnkit_model_vocab(m)));
    return m;
}

/* Fingerprints of a trained classifier: every member's weights (through its
 * saved file), the ensemble's probabilities, loss and accuracy. */
static void classifier_fps(const char *name, rnnkit_model *m, int maxlen, int keep_last)
{
    char key[128];
    rnnkit_error err;
    rnnkit_dataset all = {.n = N, .off = off, .ids = ids, .label = lab};
    static float probs[N * 2];
    if (rnnkit_classifier_predict(m, &all, maxlen, keep_last, probs, &err))
        fail_msg("%s", err.msg);
    snprintf(key, sizeof key, "%s.probs", name);
    golden(key, fnv(FNV0, probs, sizeof probs));
    double ev[2];
    if (rnnkit_classifier_evaluate(m, &all, maxlen, keep_last, &ev[0], &ev[1], &err))
        fail_msg("%s", err.msg);
    snprintf(key, sizeof key, "%s.eval", name);
    golden(key, fnv(FNV0, ev, sizeof ev));
    if (rnnkit_model_save(m, support_tmp("c.db"), &err))
        fail_msg("%s", err.msg);
    for (int k = 0; k < rnnkit_model_num_members(m); k++) {
        rnnkit_model *l = NULL;
        if (rnnkit_model_load(support_tmp("c.db"), RNNKIT_TASK_CLASSIFY, &l, &err) ||
            rnnkit_model_keep_member(l, k, &err))
            fail_msg("%s", err.msg);
        snprintf(key, sizeof key, "%s.member%d", name, k);
        golden(key, fnv(FNV0, rnnkit_model_weights(l), rnnkit_model_num_params(l) * sizeof(float)));
        rnnkit_model_free(l);
    }
}

static int stop_at(void *ctx, const rnnkit_progress *p)
{
    int *when = ctx; /* stop once at member when[0], batch when[1] */
    if (!when[2] && p->member == when[0] && p->batch == when[1] && !p->end_of_epoch) {
        when[2] = 1;
        return 1;
    }
    return 0;
}

/* A biLSTM ensemble of 3 with max pooling, validation, the cosine schedule
 * and checkpoints, interrupted inside its second member and resumed. */
static void test_golden_classifier_ensemble_resumed(void **state)
{
    (void)state;
    rnnkit_model *m = classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 3, 5);
    rnnkit_dataset train = {.n = NTRAIN, .off = off, .ids = ids, .label = lab};
    rnnkit_dataset valid = {.n = N - NTRAIN, .off = off + NTRAIN, .ids = ids, .label = lab + NTRAIN};
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 3;
    o.train.batch = 16;
    o.train.seed = 5;
    o.maxlen = 12;
    o.train.patience = 0;
    o.train.checkpoint_path = support_tmp("ens.db");
    int when[3] = {1, 4, 0};
    o.train.progress = stop_at;
    o.train.progress_ctx = when;
    rnnkit_error err;
    assert_int_equal(rnnkit_classifier_train(m, &train, &valid, &o, NULL, NULL, &err), RNNKIT_ERR_INTERRUPTED);
    rnnkit_model_free(m);
    if (rnnkit_model_load(support_tmp("ens.db"), RNNKIT_TASK_CLASSIFY, &m, &err))
        fail_msg("%s", err.msg);
    o.train.resume = 1;
    o.train.progress = NULL;
    rnnkit_log_row *rows = NULL;
    int nrows = 0;
    if (rnnkit_classifier_train(m, &train, &valid, &o, &rows, &nrows, &err))
        fail_msg("%s", err.msg);
    golden("clf_ens.log", log_fp(rows, nrows));
    free(rows);
    classifier_fps("clf_ens", m, 12, 1);
    rnnkit_model_free(m);
    /* the file the checkpoints wrote holds the same networks */
    if (rnnkit_model_load(support_tmp("ens.db"), RNNKIT_TASK_CLASSIFY, &m, &err))
        fail_msg("%s", err.msg);
    classifier_fps("clf_ens", m, 12, 1);
    rnnkit_model_free(m);
}

/* A GRU with mean pooling under the plateau schedule and early stopping;
 * an RNN with last-state pooling, no validation, pre-truncation. */
static void test_golden_classifier_plateau_and_plain(void **state)
{
    (void)state;
    rnnkit_model *m = classifier(RNNKIT_CELL_GRU, 0, RNNKIT_POOL_MEAN, 1, 9);
    rnnkit_dataset train = {.n = NTRAIN, .off = off, .ids = ids, .label = lab};
    rnnkit_dataset valid = {.n = N - NTRAIN, .off = off + NTRAIN, .ids = ids, .label = lab + NTRAIN};
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 6;
    o.train.batch = 12;
    o.train.seed = 9;
    o.maxlen = 12;
    o.train.lr = 0.01;
    o.train.lr_schedule = RNNKIT_LR_PLATEAU;
    o.train.lr_decay = 0.5;
    o.train.patience = 2;
    rnnkit_log_row *rows = NULL;
    int nrows = 0;
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &train, &valid, &o, &rows, &nrows, &err))
        fail_msg("%s", err.msg);
    golden("clf_gru.log", log_fp(rows, nrows));
    free(rows);
    classifier_fps("clf_gru", m, 12, 1);
    rnnkit_model_free(m);

    m = classifier(RNNKIT_CELL_RNN, 1, RNNKIT_POOL_LAST, 1, 13);
    rnnkit_classifier_options_default(&o);
    o.epochs = 3;
    o.train.batch = 20;
    o.train.seed = 13;
    o.maxlen = 10;
    o.keep_last = 0;
    o.train.clip = 0.5;
    if (rnnkit_classifier_train(m, &train, NULL, &o, &rows, &nrows, &err))
        fail_msg("%s", err.msg);
    golden("clf_rnn.log", log_fp(rows, nrows));
    free(rows);
    classifier_fps("clf_rnn", m, 10, 0);
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Generators */

enum { NTEXT = 3000 };
static int32_t text[NTEXT];

static rnnkit_model *generator(rnnkit_cell cell, uint64_t seed)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.cell = cell;
    c.embed = 6;
    c.hidden = 10;
    c.layers = 2;
    c.dropout = 0.2f;
    c.embed_dropout = 0.1f;
    c.weight_drop = cell == RNNKIT_CELL_LSTM ? 0.2f : 0.0f;
    rnnkit_model *m = support_model(&c, word_vocab(), NULL, 0, seed);
    const int V = (int)rnnkit_vocab_size(rnnkit_model_vocab(m));
    /* a repetitive stream with some noise */
    uint64_t s = 77;
    for (int i = 0; i < NTEXT; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        text[i] = ((s >> 40) % 5 == 0) ? 2 + (int32_t)((s >> 20) % (uint64_t)(V - 2)) : 2 + (i % 7) % (V - 2);
    }
    return m;
}

static void generator_fps(const char *name, rnnkit_model *m)
{
    char key[128];
    rnnkit_error err;
    snprintf(key, sizeof key, "%s.weights", name);
    golden(key, fnv(FNV0, rnnkit_model_weights(m), rnnkit_model_num_params(m) * sizeof(float)));
    double loss;
    if (rnnkit_generator_evaluate(m, text + 2500, 500, &loss, &err))
        fail_msg("%s", err.msg);
    snprintf(key, sizeof key, "%s.eval", name);
    golden(key, fnv(FNV0, &loss, sizeof loss));
    rnnkit_sampler *s = NULL;
    if (rnnkit_sampler_new(m, &s, &err))
        fail_msg("%s", err.msg);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 3);
    rnnkit_sample_options so[3] = {{.temperature = 1.0f, .top_p = 1.0f},
                                   {.temperature = 0.7f, .top_k = 4, .top_p = 1.0f},
                                   {.temperature = 1.3f, .top_p = 0.8f}};
    int32_t out[3][60];
    for (int k = 0; k < 3; k++) {
        rnnkit_sampler_reset(s);
        int32_t id = 3;
        for (int i = 0; i < 60; i++) {
            if (rnnkit_sampler_feed(s, id, &err))
                fail_msg("%s", err.msg);
            out[k][i] = id = rnnkit_sampler_draw(s, &so[k], &rng);
        }
    }
    rnnkit_sampler_free(s);
    snprintf(key, sizeof key, "%s.samples", name);
    golden(key, fnv(FNV0, out, sizeof out));
}

/* LSTM with validation and checkpoints, a last step off the evaluation
 * schedule; GRU without validation under the plateau schedule. */
static void test_golden_generators(void **state)
{
    (void)state;
    rnnkit_model *m = generator(RNNKIT_CELL_LSTM, 21);
    rnnkit_generator_options o;
    rnnkit_generator_options_default(&o);
    o.train.batch = 4;
    o.seq_len = 20;
    o.steps = 47;
    o.eval_every = 10;
    o.train.seed = 21;
    o.train.lr = 0.01;
    o.train.checkpoint_path = support_tmp("gen.db");
    o.train.checkpoint_steps = 7;
    rnnkit_log_row *rows = NULL;
    int nrows = 0;
    rnnkit_error err;
    if (rnnkit_generator_train(m, text, 2400, text + 2400, 100, &o, &rows, &nrows, &err))
        fail_msg("%s", err.msg);
    golden("gen_lstm.log", log_fp(rows, nrows));
    free(rows);
    generator_fps("gen_lstm", m);
    rnnkit_model_free(m);
    if (rnnkit_model_load(support_tmp("gen.db"), RNNKIT_TASK_GENERATE, &m, &err))
        fail_msg("%s", err.msg);
    generator_fps("gen_lstm", m);
    rnnkit_model_free(m);

    m = generator(RNNKIT_CELL_GRU, 22);
    rnnkit_generator_options_default(&o);
    o.train.batch = 3;
    o.seq_len = 25;
    o.steps = 40;
    o.eval_every = 15;
    o.train.seed = 22;
    o.train.lr_schedule = RNNKIT_LR_PLATEAU;
    if (rnnkit_generator_train(m, text, 2500, NULL, 0, &o, &rows, &nrows, &err))
        fail_msg("%s", err.msg);
    golden("gen_gru.log", log_fp(rows, nrows));
    free(rows);
    generator_fps("gen_gru", m);
    rnnkit_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_classifier_ensemble_resumed),
        cmocka_unit_test(test_golden_classifier_plateau_and_plain),
        cmocka_unit_test(test_golden_generators),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
