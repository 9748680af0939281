/*
 * tests/test_precision.c: a model's bf16 products (rnnkit_model_config.bf16)
 * from the outside: what the configuration, the trainer and the model file
 * make of them. The product itself is tests/test_bf16.c's.
 *
 * - The flag is kept: a bf16 model's file says so ("bf16" in model_meta)
 *   and loads as bf16, predicting the bits the model predicted before it
 *   was saved; an fp32 model's file has no such key (every older file
 *   reads as fp32), and a value other than 0 or 1 is a clean load error.
 * - rnnkit_model_bf16_active says whether the CPU runs the products in
 *   bf16, before training and after.
 * - A bf16 classifier trains to the same bits on pools of 1, 2 and 3
 *   threads (the determinism rule holds in bf16 too), also at sizes where
 *   each step's rows are cut among the threads, LSTM and GRU.
 * - Where the CPU has AVX512-BF16, a bf16 training really differs from
 *   the fp32 one (the flag reaches the products) and stays close to it
 *   (bf16 inputs, fp32 sums).
 */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bf16.h"
#include "core/pool.h"
#include "model/model_internal.h"
#include "model/nn_internal.h"
#include "rnnkit/model.h"
#include "support.h"

static int have_bf16(void)
{
    rnnkit__bf16_cpu cpu;
    rnnkit__bf16_detect(&cpu);
    return cpu.avx512bf16;
}

/* 12 documents of two or three words, two labels. */
static const char *const docs[] = {"good film", "fine plot twist", "bad plot",   "great film",
                                   "awful plot", "good fine film",  "bad film",   "fine plot",
                                   "awful film", "great plot",      "bad awful", "good great"};
enum { NDOCS = 12, MAXW = 3 };

static rnnkit_model *small_model(int bf16, int threads)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.embed = 16;
    c.hidden = 24;
    c.layers = 2;
    c.bf16 = bf16;
    const char *labels[] = {"neg", "pos"};
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "good bad great awful fine film plot twist", "test");
    rnnkit_model *m = support_model(&c, v, labels, 2, 7);
    rnnkit_error err;
    if (rnnkit_model_set_threads(m, threads, &err))
        fail_msg("%s", err.msg);
    return m;
}

typedef struct corpus {
    size_t off[NDOCS + 1];
    int32_t ids[MAXW * NDOCS], lab[NDOCS];
    rnnkit_dataset d;
} corpus;

static void make_corpus(rnnkit_model *m, corpus *c)
{
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    size_t pos = 0;
    for (int i = 0; i < NDOCS; i++) {
        c->off[i] = pos;
        for (const char *w = docs[i]; *w;) {
            const char *end = strchr(w, ' ');
            size_t len = end ? (size_t)(end - w) : strlen(w);
            c->ids[pos++] = (int32_t)rnnkit_vocab_lookup(v, w, len);
            w += len + (end != NULL);
        }
        c->lab[i] = strstr(docs[i], "good") || strstr(docs[i], "fine") || strstr(docs[i], "great");
    }
    c->off[NDOCS] = pos;
    c->d = (rnnkit_dataset){.n = NDOCS, .off = c->off, .ids = c->ids, .label = c->lab};
}

static rnnkit_model *trained(int bf16, int threads, corpus *c)
{
    rnnkit_model *m = small_model(bf16, threads);
    make_corpus(m, c);
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 3;
    o.train.batch = 4;
    o.train.lr = 0.01;
    o.train.patience = 0;
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &c->d, NULL, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    return m;
}

static void predict(rnnkit_model *m, const corpus *c, float *probs)
{
    rnnkit_error err;
    if (rnnkit_classifier_predict(m, &c->d, 0, 0, probs, &err))
        fail_msg("%s", err.msg);
}

static int file_has(const char *path, const char *needle)
{
    size_t n;
    unsigned char *b = support_read_file(path, &n);
    int found = memmem(b, n, needle, strlen(needle)) != NULL;
    free(b);
    return found;
}

static void test_flag_kept_in_the_file(void **state)
{
    (void)state;
    corpus c;
    rnnkit_model *m = trained(1, 1, &c);
    assert_int_equal(rnnkit_model_bf16_active(m), have_bf16());
    float before[2 * NDOCS], after[2 * NDOCS];
    predict(m, &c, before);
    rnnkit_error err;
    const char *path = support_tmp("bf16.db");
    if (rnnkit_model_save(m, path, &err))
        fail_msg("%s", err.msg);
    rnnkit_model_free(m);

    rnnkit_model *back = NULL;
    if (rnnkit_model_load(path, -1, &back, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rnnkit_model_get_config(back)->bf16, 1);
    assert_int_equal(rnnkit_model_bf16_active(back), have_bf16()); /* before any use */
    if (rnnkit_model_set_threads(back, 2, &err))
        fail_msg("%s", err.msg);
    predict(back, &c, after);
    assert_memory_equal(before, after, sizeof before);
    rnnkit_model_free(back);

    /* an fp32 model's file has no key; it loads as fp32 */
    m = small_model(0, 1);
    const char *p32 = support_tmp("fp32.db");
    if (rnnkit_model_save(m, p32, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rnnkit_model_bf16_active(m), 0);
    rnnkit_model_free(m);
    assert_false(file_has(p32, "bf16"));
    assert_true(file_has(path, "bf16"));
    if (rnnkit_model_load(p32, -1, &back, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rnnkit_model_get_config(back)->bf16, 0);
    rnnkit_model_free(back);

    /* hostile values */
    support_expect_tampered("bf16.db", "UPDATE model_meta SET value = '2' WHERE key = 'bf16'", RNNKIT_ERR_CORRUPT,
                            "bf16");
    support_expect_tampered("bf16.db", "UPDATE model_meta SET value = 'half' WHERE key = 'bf16'",
                            RNNKIT_ERR_CORRUPT, "bf16");
}

static void test_same_bits_on_any_thread_count(void **state)
{
    (void)state;
    corpus c;
    rnnkit_model *one = trained(1, 1, &c);
    const rnnkit__params *a = rnnkit__model_params(one);
    for (int threads = 2; threads <= 3; threads++) {
        rnnkit_model *m = trained(1, threads, &c);
        const rnnkit__params *b = rnnkit__model_params(m);
        assert_int_equal(a->count, b->count);
        assert_memory_equal(a->value, b->value, a->count * sizeof(float));
        rnnkit_model_free(m);
    }
    rnnkit_model_free(one);
}

static void test_bf16_differs_from_fp32_but_stays_close(void **state)
{
    (void)state;
    if (!have_bf16())
        skip();
    corpus c;
    rnnkit_model *f = trained(0, 2, &c), *h = trained(1, 2, &c);
    const rnnkit__params *a = rnnkit__model_params(f), *b = rnnkit__model_params(h);
    assert_int_equal(a->count, b->count);
    size_t differ = 0;
    double worst = 0.0;
    for (size_t i = 0; i < a->count; i++) {
        double d = fabs((double)a->value[i] - (double)b->value[i]);
        differ += d > 0.0;
        worst = d > worst ? d : worst;
    }
    /* 36 Adam steps at 0.01 move a weight by at most ~0.36; bf16's 8-bit
     * significands change the gradients by about 1 %, not the direction */
    assert_true(differ > a->count / 2);
    assert_true(worst < 0.05);
    float pf[2 * NDOCS], ph[2 * NDOCS];
    predict(f, &c, pf);
    predict(h, &c, ph);
    for (int i = 0; i < 2 * NDOCS; i++)
        assert_true(fabsf(pf[i] - ph[i]) < 0.05f);
    rnnkit_model_free(f);
    rnnkit_model_free(h);
}

/* Steps cut among threads: 64 documents of 1 to 6 words (padded rows,
 * masks), batch 32, hidden 96 (a step's product over 2^19 multiply-adds),
 * so on 2 and 3 threads each step's rows are split into tasks that do
 * their product and gate pass (model/rnn_unit.c, step_task); LSTM and GRU
 * train to the bits of 1 thread, and predict the same probabilities. */
enum { NBIG = 64 };
typedef struct big_corpus {
    size_t off[NBIG + 1];
    int32_t ids[6 * NBIG], lab[NBIG];
    rnnkit_dataset d;
} big_corpus;

static rnnkit_model *big_trained(rnnkit_cell cell, int threads, big_corpus *c, float *probs)
{
    rnnkit_model_config cfg;
    rnnkit_model_config_default(&cfg, RNNKIT_TASK_CLASSIFY);
    cfg.cell = cell;
    cfg.embed = 16;
    cfg.hidden = 96;
    cfg.layers = 2;
    cfg.bf16 = 1;
    cfg.members = 1;
    const char *labels[] = {"neg", "pos"};
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "good bad great awful fine film plot twist", "test");
    rnnkit_model *m = support_model(&cfg, v, labels, 2, 11);
    rnnkit_error err;
    if (rnnkit_model_set_threads(m, threads, &err))
        fail_msg("%s", err.msg);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 3);
    size_t pos = 0;
    for (int i = 0; i < NBIG; i++) {
        c->off[i] = pos;
        int n = 1 + (int)(rnnkit_rng_next(&rng) % 6), good = 0;
        for (int w = 0; w < n; w++) {
            int32_t id = 2 + (int32_t)(rnnkit_rng_next(&rng) % 8);
            good += id % 2 ? 1 : -1;
            c->ids[pos++] = id;
        }
        c->lab[i] = good > 0;
    }
    c->off[NBIG] = pos;
    c->d = (rnnkit_dataset){.n = NBIG, .off = c->off, .ids = c->ids, .label = c->lab};
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 2;
    o.train.batch = 32;
    o.train.lr = 0.01;
    o.train.patience = 0;
    if (rnnkit_classifier_train(m, &c->d, NULL, &o, NULL, NULL, &err) ||
        rnnkit_classifier_predict(m, &c->d, 0, 0, probs, &err))
        fail_msg("%s", err.msg);
    return m;
}

static void test_cut_steps_same_bits(void **state)
{
    (void)state;
    if (!have_bf16())
        skip(); /* no packed products: the cut is not made */
    rnnkit__pool *p = NULL;
    rnnkit_error err;
    if (rnnkit__pool_create(2, &p, &err))
        fail_msg("%s", err.msg);
    assert_true(rnnkit__pool_pb_rows(p, 32, 3 * 96, 96) < 32); /* the smaller of the two cells' products */
    rnnkit__pool_free(p);
    static const rnnkit_cell cells[] = {RNNKIT_CELL_LSTM, RNNKIT_CELL_GRU};
    for (size_t k = 0; k < 2; k++) {
        big_corpus c;
        float p1[2 * NBIG], pn[2 * NBIG];
        rnnkit_model *one = big_trained(cells[k], 1, &c, p1);
        const rnnkit__params *a = rnnkit__model_params(one);
        for (int threads = 2; threads <= 3; threads++) {
            rnnkit_model *m = big_trained(cells[k], threads, &c, pn);
            const rnnkit__params *b = rnnkit__model_params(m);
            assert_int_equal(a->count, b->count);
            assert_memory_equal(a->value, b->value, a->count * sizeof(float));
            assert_memory_equal(p1, pn, sizeof p1);
            rnnkit_model_free(m);
        }
        rnnkit_model_free(one);
    }
}

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-precision-XXXXXX");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flag_kept_in_the_file),
        cmocka_unit_test(test_same_bits_on_any_thread_count),
        cmocka_unit_test(test_bf16_differs_from_fp32_but_stays_close),
        cmocka_unit_test(test_cut_steps_same_bits),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
