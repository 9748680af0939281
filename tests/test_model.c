/*
 * tests/test_model.c: whole networks: save/load round trip (bit-exact),
 * untrusted model files rejected with the tensor named, a failed save that
 * leaves the file already there as it was, determinism of a
 * seed, a classifier that learns a toy task, a generator whose one-step
 * sampler agrees with its batched evaluation, the embedding's uniform
 * initial range recorded in the file.
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
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "model/model_internal.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-model-XXXXXX");
}

static float small_weight_drop = 0.0f; /* set by the round-trip test only */
static float small_embed_init = 0.0f;  /* set by the embedding-init test only */
static int small_members = 1;          /* set by the ensemble tests only */

static rnnkit_model *small_classifier(rnnkit_cell cell, int bidi, rnnkit_pool pool, uint64_t seed)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.cell = cell;
    c.embed = 8;
    c.hidden = 6;
    c.layers = 2;
    c.bidirectional = bidi;
    c.pool = pool;
    c.dropout = 0.1f;
    c.weight_drop = small_weight_drop;
    c.embed_init = small_embed_init;
    c.members = small_members;
    const char *labels[] = {"neg", "pos"};
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "good bad great awful fine film plot not very", "test");
    return support_model(&c, v, labels, 2, seed);
}

static void test_save_load_round_trip_is_bit_exact(void **state)
{
    (void)state;
    rnnkit_cell cells[] = {RNNKIT_CELL_LSTM, RNNKIT_CELL_GRU, RNNKIT_CELL_RNN};
    for (int i = 0; i < 3; i++) {
        small_weight_drop = i == 2 ? 0.25f : 0.0f;
        rnnkit_model *m = small_classifier(cells[i], i != 1, (rnnkit_pool)i, 7);
        small_weight_drop = 0.0f;
        rnnkit_error err;
        assert_int_equal(rnnkit_model_save(m, support_tmp("m.db"), &err), RNNKIT_OK);
        rnnkit_model *l = NULL;
        if (rnnkit_model_load(support_tmp("m.db"), RNNKIT_TASK_CLASSIFY, &l, &err))
            fail_msg("%s", err.msg);
        const rnnkit__params *a = rnnkit__model_params(m), *b = rnnkit__model_params(l);
        assert_int_equal(a->count, b->count);
        assert_memory_equal(a->value, b->value, a->count * sizeof(float));
        assert_memory_equal(rnnkit_model_get_config(m), rnnkit_model_get_config(l), sizeof(rnnkit_model_config));
        assert_string_equal(rnnkit_model_label(l, 1), "pos");
        assert_int_equal(rnnkit_vocab_size(rnnkit_model_vocab(l)), rnnkit_vocab_size(rnnkit_model_vocab(m)));
        rnnkit_model_free(l);
        rnnkit_model_free(m);
    }
}

static void test_same_seed_same_weights_other_seed_other(void **state)
{
    (void)state;
    rnnkit_model *a = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 11);
    rnnkit_model *b = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 11);
    rnnkit_model *c = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 12);
    size_t n = rnnkit__model_params(a)->count;
    assert_memory_equal(rnnkit__model_params(a)->value, rnnkit__model_params(b)->value, n * sizeof(float));
    assert_memory_not_equal(rnnkit__model_params(a)->value, rnnkit__model_params(c)->value, n * sizeof(float));
    rnnkit_model_free(a);
    rnnkit_model_free(b);
    rnnkit_model_free(c);
}

/* rnnkit_model_create refuses c (RNNKIT_ERR_ARG, no model) with a message
 * containing needle. */
static void expect_create_refused(const rnnkit_model_config *c, const char *needle)
{
    rnnkit_model *f = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_model_create(c, NULL, NULL, 0, 1, &f, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, needle));
    assert_null(f);
}

/* --embed-init A: every embedding weight but the padding row's in [-A, A),
 * spread over the range (not N(0, 1)); the same seed the same draw; the
 * range kept in the file and read back; the default writes no key. */
static void test_embedding_init_range_is_drawn_and_recorded(void **state)
{
    (void)state;
    small_embed_init = 0.05f;
    rnnkit_model *m = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 5);
    rnnkit_model *m2 = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 5);
    small_embed_init = 0.0f;
    rnnkit_model *d = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 5);
    const rnnkit__params *p = rnnkit__model_params(m);
    const rnnkit__param_view *e = rnnkit__params_find(p, "embedding.weight");
    const rnnkit__param_view *ed = rnnkit__params_find(rnnkit__model_params(d), "embedding.weight");
    size_t E = 8, n = e->numel;
    float lo = 1.0f, hi = -1.0f, big = 0.0f;
    for (size_t k = 0; k < n; k++) {
        float w = p->value[e->offset + k];
        if (k < E) {
            assert_true(w == 0.0f); /* padding row */
            continue;
        }
        lo = fminf(lo, w);
        hi = fmaxf(hi, w);
        big = fmaxf(big, fabsf(rnnkit__model_params(d)->value[ed->offset + k]));
    }
    assert_true(lo >= -0.05f && hi < 0.05f);
    assert_true(lo < -0.04f && hi > 0.04f); /* spread over the range */
    assert_true(big > 1.0f);                /* the default: N(0, 1) */
    assert_memory_equal(p->value, rnnkit__model_params(m2)->value, p->count * sizeof(float));

    rnnkit_error err;
    assert_int_equal(rnnkit_model_save(m, support_tmp("ei.db"), &err), RNNKIT_OK);
    assert_int_equal(rnnkit_model_save(d, support_tmp("ei0.db"), &err), RNNKIT_OK);
    rnnkit_model *l = NULL;
    if (rnnkit_model_load(support_tmp("ei.db"), RNNKIT_TASK_CLASSIFY, &l, &err))
        fail_msg("%s", err.msg);
    assert_true(rnnkit_model_get_config(l)->embed_init == 0.05f);
    rnnkit_model_free(l);
    support_expect_tampered("ei.db", "UPDATE model_meta SET value = '-1' WHERE key = 'embed_init'",
                            RNNKIT_ERR_CORRUPT, "embed_init");
    /* the default leaves no key, so the files of before read the same */
    support_expect_tampered("ei0.db", "INSERT INTO model_meta VALUES('embed_init', 'x')",
                            RNNKIT_ERR_CORRUPT, "embed_init");
    if (rnnkit_model_load(support_tmp("ei0.db"), RNNKIT_TASK_CLASSIFY, &l, &err))
        fail_msg("%s", err.msg);
    assert_true(rnnkit_model_get_config(l)->embed_init == 0.0f);
    rnnkit_model_free(l);
    rnnkit_model_free(m);
    rnnkit_model_free(m2);
    rnnkit_model_free(d);

    /* a forecaster has no embedding: the range is refused, not dropped */
    rnnkit_model_config fc;
    rnnkit_model_config_default(&fc, RNNKIT_TASK_FORECAST);
    fc.embed_init = 0.1f;
    expect_create_refused(&fc, "no embedding");
}

static void test_untrusted_model_files_are_rejected_with_a_reason(void **state)
{
    (void)state;
    rnnkit_model *m = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 3);
    assert_int_equal(rnnkit_model_save(m, support_tmp("good.db"), NULL), RNNKIT_OK);
    rnnkit_model_free(m);

    /* a tampered tensor: one byte changed, the checksum no longer matches */
    support_expect_tampered("good.db",
                            "UPDATE tensors SET data = zeroblob(length(data)) WHERE name = 'rnn.weight_hh_l1'",
                            RNNKIT_ERR_CORRUPT, "rnn.weight_hh_l1");
    /* a truncated tensor */
    support_expect_tampered("good.db", "UPDATE tensors SET data = substr(data, 1, 8) WHERE name = 'fc.weight'",
                            RNNKIT_ERR_CORRUPT, "fc.weight");
    /* a tensor of the wrong shape */
    support_expect_tampered("good.db", "UPDATE tensors SET shape = '5x3' WHERE name = 'fc.weight'",
                            RNNKIT_ERR_SHAPE, "fc.weight");
    /* a missing tensor */
    support_expect_tampered("good.db", "DELETE FROM tensors WHERE name = 'rnn.bias_ih_l0_reverse'",
                            RNNKIT_ERR_CORRUPT, "rnn.bias_ih_l0_reverse");
    /* a configuration that does not match the tensors */
    support_expect_tampered("good.db", "UPDATE model_meta SET value = '7' WHERE key = 'hidden'",
                            RNNKIT_ERR_SHAPE, "shape");
    /* absurd sizes in the configuration */
    support_expect_tampered("good.db", "UPDATE model_meta SET value = '-4' WHERE key = 'layers'",
                            RNNKIT_ERR_CORRUPT, "layers");
    /* a weight drop out of range; and none stored (a file from before it existed) loads as 0 */
    support_expect_tampered("good.db", "UPDATE model_meta SET value = '1.5' WHERE key = 'weight_drop'",
                            RNNKIT_ERR_CORRUPT, "weight_drop");
    support_copy_file(support_tmp("good.db"), support_tmp("t10.db"));
    support_exec_sql(support_tmp("t10.db"), "DELETE FROM model_meta WHERE key = 'weight_drop'");
    {
        rnnkit_model *old = NULL;
        rnnkit_error e;
        if (rnnkit_model_load(support_tmp("t10.db"), RNNKIT_TASK_CLASSIFY, &old, &e))
            fail_msg("a file without weight_drop: %s", e.msg);
        assert_true(rnnkit_model_get_config(old)->weight_drop == 0.0f);
        rnnkit_model_free(old);
    }
    /* a future schema version */
    support_expect_tampered("good.db", "PRAGMA user_version = 99", RNNKIT_ERR_VERSION, "newer");
    /* a SQLite file from elsewhere */
    support_exec_sql(support_tmp("other.db"), "CREATE TABLE t(x); INSERT INTO t VALUES(1);");
    support_expect_load_error(support_tmp("other.db"), RNNKIT_ERR_FORMAT, "not an rnnkit model");
    /* random bytes, and a truncated file */
    FILE *f = fopen(support_tmp("junk.db"), "wb");
    for (int i = 0; i < 4096; i++)
        fputc((i * 7919) & 255, f);
    fclose(f);
    support_expect_load_error(support_tmp("junk.db"), RNNKIT_ERR_FORMAT, "not an rnnkit model");
    support_copy_file(support_tmp("good.db"), support_tmp("t8.db"));
    assert_int_equal(truncate(support_tmp("t8.db"), 3000), 0);
    rnnkit_model *x = NULL;
    assert_int_not_equal(rnnkit_model_load(support_tmp("t8.db"), -1, &x, NULL), RNNKIT_OK);
    assert_null(x);
    /* NaN weights */
    support_copy_file(support_tmp("good.db"), support_tmp("t9.db"));
    rnnkit_model *g = NULL;
    assert_int_equal(rnnkit_model_load(support_tmp("good.db"), -1, &g, NULL), RNNKIT_OK);
    rnnkit__model_params(g)->value[rnnkit__params_find(rnnkit__model_params(g), "fc.bias")->offset] = NAN;
    assert_int_equal(rnnkit_model_save(g, support_tmp("t9.db"), NULL), RNNKIT_OK);
    rnnkit_model_free(g);
    support_expect_load_error(support_tmp("t9.db"), RNNKIT_ERR_CORRUPT, "NaN");
    /* the wrong task */
    rnnkit_model *w = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_model_load(support_tmp("good.db"), RNNKIT_TASK_GENERATE, &w, &err), RNNKIT_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "classifier"));
    support_expect_load_error(support_tmp("does-not-exist.db"), RNNKIT_ERR_IO, "cannot open");
}

/* Saving without training state (rnnkit_model_save is losing its state
 * argument: the one call to change). */
static rnnkit_status save_plain(const rnnkit_model *m, const char *path, rnnkit_error *err)
{
    return rnnkit_model_save(m, path, err);
}

/* A save that fails leaves the model already at the path byte for byte as
 * it was (and loadable), and no temporary file. Two failures that do not
 * depend on permissions (the tests may run as root): the temporary name
 * ("<path>.tmp-XXXXXX") is too long for the directory while the path is
 * not; and the file-size limit stops the temporary file half written. */
static void test_failed_save_leaves_the_old_file(void **state)
{
    (void)state;
    rnnkit_model *old = small_classifier(RNNKIT_CELL_GRU, 0, RNNKIT_POOL_LAST, 5);
    rnnkit_model *m = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 6);
    rnnkit_error err;
    const size_t nold = rnnkit__model_params(old)->count;

    /* 1. a name of 250 bytes: the temporary one would have 261, over
     * NAME_MAX */
    char name[251];
    memset(name, 'm', 250);
    name[250] = '\0';
    memcpy(name, "long-", 5);
    char longpath[SUPPORT_TMPDIR_MAX + sizeof name + 1];
    const char *path = longpath;
    snprintf(longpath, sizeof longpath, "%s/%s", support_tmpdir(), name);
    /* saving there fails the same way: save beside it and rename */
    assert_int_equal(save_plain(old, support_tmp("short.db"), &err), RNNKIT_OK);
    assert_int_equal(rename(support_tmp("short.db"), path), 0);
    size_t n0, n1;
    unsigned char *before = support_read_file(path, &n0);
    assert_int_equal(save_plain(m, path, &err), RNNKIT_ERR_IO);
    assert_non_null(strstr(err.msg, "cannot create a temporary file"));
    assert_non_null(strstr(err.msg, name));
    unsigned char *after = support_read_file(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(after);
    rnnkit_model *l = NULL;
    if (rnnkit_model_load(path, RNNKIT_TASK_CLASSIFY, &l, &err))
        fail_msg("%s", err.msg);
    assert_memory_equal(rnnkit__model_params(l)->value, rnnkit__model_params(old)->value, nold * sizeof(float));
    rnnkit_model_free(l);
    free(before);
    assert_int_equal(support_count_entries(support_tmpdir(), "long-"), 1);

    /* 2. the temporary file cannot grow past 8 KiB: the save fails while
     * writing it, after it was created */
    path = support_tmp("limited.db");
    assert_int_equal(save_plain(old, path, &err), RNNKIT_OK);
    before = support_read_file(path, &n0);
    assert_true(n0 > 8192); /* the limit is really in the way */
    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = 8192;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of a signal */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rnnkit_status st = save_plain(m, path, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, prev);
    assert_int_not_equal(st, RNNKIT_OK);
    assert_non_null(strstr(err.msg, path));
    after = support_read_file(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(after);
    free(before);
    if (rnnkit_model_load(path, RNNKIT_TASK_CLASSIFY, &l, &err))
        fail_msg("%s", err.msg);
    assert_memory_equal(rnnkit__model_params(l)->value, rnnkit__model_params(old)->value, nold * sizeof(float));
    rnnkit_model_free(l);
    assert_int_equal(support_count_entries(support_tmpdir(), "limited.db"), 1); /* no limited.db.tmp-* left */

    /* and a directory that does not exist */
    assert_int_equal(save_plain(m, "/nonexistent-dir/x/m.db", &err), RNNKIT_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x/m.db"));
    rnnkit_model_free(m);
    rnnkit_model_free(old);
}

/* Toy task: a sentence is positive iff it contains "good" and no "not". */
static void test_classifier_learns_a_toy_task(void **state)
{
    (void)state;
    rnnkit_model *m = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 1);
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    enum { N = 200, L = 6 };
    static size_t off[N + 1];
    static int32_t ids[N * L], lab[N];
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 99);
    const char *fill[] = {"film", "plot", "very", "fine"};
    size_t pos = 0;
    for (int i = 0; i < N; i++) {
        off[i] = pos;
        int len = 2 + (int)rnnkit_rng_below(&r, L - 1);
        int good = (int)rnnkit_rng_below(&r, 2), neg = good && rnnkit_rng_below(&r, 3) == 0;
        int gpos = (int)rnnkit_rng_below(&r, (uint64_t)len);
        for (int t = 0; t < len; t++) {
            const char *w = fill[rnnkit_rng_below(&r, 4)];
            if (t == gpos)
                w = good ? "good" : "bad";
            else if (neg && t == (gpos + 1) % len)
                w = "not";
            ids[pos++] = (int32_t)rnnkit_vocab_lookup(v, w, strlen(w));
        }
        lab[i] = good && !neg;
    }
    off[N] = pos;
    rnnkit_dataset d = {.n = N, .off = off, .ids = ids, .label = lab};
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 25;
    o.train.batch = 16;
    o.train.lr = 0.01;
    o.train.patience = 0;
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    double loss, acc;
    assert_int_equal(rnnkit_classifier_evaluate(m, &d, 0, 1, &loss, &acc, &err), RNNKIT_OK);
    if (acc < 0.95)
        fail_msg("toy accuracy %.3f", acc);
    float probs[N * 2];
    assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, probs, &err), RNNKIT_OK);
    for (int i = 0; i < N; i++)
        assert_float_equal(probs[2 * i] + probs[2 * i + 1], 1.0, 1e-5);
    rnnkit_model_free(m);
}

/* Random documents of 1..12 ids in [1, V), so batches mix lengths (padding). */
static rnnkit_dataset random_docs(int n, int V, uint64_t seed, size_t *off, int32_t *ids)
{
    rnnkit_rng r;
    rnnkit_rng_seed(&r, seed);
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        off[i] = pos;
        int len = 1 + (int)rnnkit_rng_below(&r, 12);
        for (int t = 0; t < len; t++)
            ids[pos++] = 1 + (int32_t)rnnkit_rng_below(&r, (uint64_t)V - 1);
    }
    off[n] = pos;
    return (rnnkit_dataset){.n = (size_t)n, .off = off, .ids = ids};
}

/* With lr_decay, the rate an epoch runs at (its log row's lr) is the
 * previous epoch's, halved when that epoch did not improve on validation. */
static void test_classifier_lr_decays_after_epochs_without_gain(void **state)
{
    (void)state;
    rnnkit_model *m = small_classifier(RNNKIT_CELL_GRU, 0, RNNKIT_POOL_MEAN, 4);
    enum { N = 120 };
    static size_t off[N + 1];
    static int32_t ids[N * 12], lab[N];
    random_docs(N, (int)rnnkit_vocab_size(rnnkit_model_vocab(m)), 8, off, ids);
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 9);
    for (int i = 0; i < N; i++)
        lab[i] = (int)rnnkit_rng_below(&r, 2); /* noise: validation gains stop early */
    rnnkit_dataset train = {.n = 80, .off = off, .ids = ids, .label = lab};
    rnnkit_dataset valid = {.n = 40, .off = off + 80, .ids = ids, .label = lab + 80};
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 8;
    o.train.patience = 0;
    o.train.lr_schedule = RNNKIT_LR_PLATEAU;
    o.train.lr_decay = 0.5;
    rnnkit_log_row *log = NULL;
    int nlog = 0;
    rnnkit_error err;
    if (rnnkit_classifier_train(m, &train, &valid, &o, &log, &nlog, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(nlog, 8);
    double best_acc = -1, best_loss = INFINITY;
    int decays = 0;
    for (int i = 0; i < nlog; i++) {
        int improved = log[i].valid_acc > best_acc || (log[i].valid_acc == best_acc && log[i].valid_loss < best_loss);
        if (improved) {
            best_acc = log[i].valid_acc;
            best_loss = log[i].valid_loss;
        }
        if (i + 1 < nlog) {
            double want = log[i].lr * (improved ? 1.0 : 0.5);
            if (fabs(log[i + 1].lr - want) > 1e-9 * want)
                fail_msg("epoch %d: lr %g, expected %g", i + 2, log[i + 1].lr, want);
            decays += !improved;
        }
    }
    assert_true(decays > 0); /* the case under test happened */
    assert_true(fabs(log[0].lr - o.train.lr) < 1e-9);
    free(log);
    rnnkit_model_free(m);
}

static void assert_probs_close(const float *a, const float *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (fabsf(a[i] - b[i]) > 1e-6f)
            fail_msg("%s: probability %zu: table %.9g, plain %.9g", what, i, (double)a[i], (double)b[i]);
}

/* The inference table (layer 0's input product precomputed per token id)
 * gives what the plain embedding + product gives, for every cell, one or two
 * directions and every pooling; its rows follow weight changes made through
 * rnnkit__model_params and by training. */
static void test_inference_table_matches_the_plain_path(void **state)
{
    (void)state;
    enum { N = 300 };
    static size_t off[N + 1];
    static int32_t ids[N * 12];
    static float pa[N * 2], pb[N * 2];
    rnnkit_cell cells[] = {RNNKIT_CELL_LSTM, RNNKIT_CELL_GRU, RNNKIT_CELL_RNN};
    rnnkit_error err;
    for (int i = 0; i < 6; i++) {
        rnnkit_model *m = small_classifier(cells[i % 3], i < 3, (rnnkit_pool)(i % 3), 11 + (uint64_t)i);
        const int V = (int)rnnkit_vocab_size(rnnkit_model_vocab(m));
        rnnkit_dataset d = random_docs(N, V, 5 + (uint64_t)i, off, ids);
        char what[64];
        snprintf(what, sizeof what, "%s, %s", rnnkit_cell_name(cells[i % 3]), i < 3 ? "bi" : "uni");
        for (int round = 0; round < 2; round++) { /* the second reads rows computed by the first */
            assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pa, &err), RNNKIT_OK);
            rnnkit__model_set_input_table(m, 0);
            assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pb, &err), RNNKIT_OK);
            rnnkit__model_set_input_table(m, 1);
            assert_probs_close(pa, pb, N * 2, what);
        }
        /* weights changed through the public accessor */
        rnnkit__params *p = rnnkit__model_params(m);
        const rnnkit__param_view *e = rnnkit__params_find(p, "embedding.weight");
        for (size_t k = 0; k < e->numel; k++)
            p->value[e->offset + k] *= -1.5f;
        assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pa, &err), RNNKIT_OK);
        rnnkit__model_set_input_table(m, 0);
        assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pb, &err), RNNKIT_OK);
        rnnkit__model_set_input_table(m, 1);
        assert_probs_close(pa, pb, N * 2, what);
        /* weights changed by training */
        static int32_t lab[N];
        for (int k = 0; k < N; k++)
            lab[k] = ids[off[k]] % 2;
        d.label = lab;
        rnnkit_classifier_options o;
        rnnkit_classifier_options_default(&o);
        o.epochs = 1;
        o.train.patience = 0;
        assert_int_equal(rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err), RNNKIT_OK);
        assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pa, &err), RNNKIT_OK);
        rnnkit__model_set_input_table(m, 0);
        assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pb, &err), RNNKIT_OK);
        rnnkit__model_set_input_table(m, 1);
        assert_probs_close(pa, pb, N * 2, what);
        /* an id outside the vocabulary is still an error, not a read past the table */
        ids[3] = V;
        assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pa, &err), RNNKIT_ERR_ARG);
        assert_non_null(strstr(err.msg, "outside"));
        rnnkit_model_free(m);
    }
}

/* The same with rows cut among threads in bf16 (the path where each thread
 * copies its rows' table entries and asks memory for the next step's): a
 * network wide enough for the cut, documents of mixed lengths (padded
 * rows), equal bits on 1 and 3 threads, and the plain path's answers. */
static void test_inference_table_on_threads(void **state)
{
    (void)state;
    enum { N = 300 };
    static size_t off[N + 1];
    static int32_t ids[N * 12];
    static float pa[N * 2], pb[N * 2], pc[N * 2];
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.embed = 16;
    c.hidden = 64;
    c.layers = 2;
    c.bidirectional = 1;
    c.members = 1;
    c.bf16 = 1;
    const char *labels[] = {"neg", "pos"};
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "good bad great awful fine film plot not very", "test");
    rnnkit_model *m = support_model(&c, v, labels, 2, 23);
    rnnkit_dataset d = random_docs(N, (int)rnnkit_vocab_size(rnnkit_model_vocab(m)), 29, off, ids);
    rnnkit_error err;
    assert_int_equal(rnnkit_model_set_threads(m, 3, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pa, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_model_set_threads(m, 1, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pb, &err), RNNKIT_OK);
    assert_memory_equal(pa, pb, sizeof pa);
    rnnkit__model_set_input_table(m, 0);
    assert_int_equal(rnnkit_model_set_threads(m, 3, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_classifier_predict(m, &d, 0, 1, pc, &err), RNNKIT_OK);
    assert_probs_close(pa, pc, N * 2, "bf16 on threads");
    rnnkit_model_free(m);
}

static void test_generator_sampler_agrees_with_batched_evaluation(void **state)
{
    (void)state;
    const char *text = "abcabcabd\n春眠不觉晓\n";
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_CHAR, text, NULL);
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 5;
    c.hidden = 7;
    c.layers = 2;
    rnnkit_model *m = NULL;
    assert_int_equal(rnnkit_model_create(&c, v, NULL, 0, 4, &m, NULL), RNNKIT_OK);
    int32_t ids[64];
    size_t n = 0;
    assert_int_equal(rnnkit_vocab_encode(rnnkit_model_vocab(m), text, strlen(text), NULL, ids, 64, 0, &n, NULL),
                     RNNKIT_OK);
    assert_int_equal(n, 16);
    double batched;
    assert_int_equal(rnnkit_generator_evaluate(m, ids, n, &batched, NULL), RNNKIT_OK);
    /* the same loss token by token through the sampler */
    rnnkit_sampler *s = NULL;
    assert_int_equal(rnnkit_sampler_new(m, &s, NULL), RNNKIT_OK);
    double total = 0;
    int V = (int)rnnkit_vocab_size(rnnkit_model_vocab(m));
    for (size_t i = 0; i + 1 < n; i++) {
        assert_int_equal(rnnkit_sampler_feed(s, ids[i], NULL), RNNKIT_OK);
        /* greedy draw is never a reserved id */
        rnnkit_sample_options so = {.temperature = 1, .argmax = 1};
        rnnkit_rng r;
        rnnkit_rng_seed(&r, 1);
        int32_t g = rnnkit_sampler_draw(s, &so, &r);
        assert_true(g >= 2 && g < V);
        const float *z = rnnkit_sampler_logits(s);
        double mx = z[0], se = 0;
        for (int k = 1; k < V; k++)
            mx = z[k] > mx ? z[k] : mx;
        for (int k = 0; k < V; k++)
            se += exp(z[k] - mx);
        total += mx + log(se) - z[ids[i + 1]];
    }
    rnnkit_sampler_free(s);
    /* one stream of n-1 predictions (n-1 < 100 gives a single stream) */
    double stepwise = total / (double)(n - 1);
    if (fabs(stepwise - batched) > 1e-5 * fabs(batched))
        fail_msg("sampler loss %.8f vs batched %.8f", stepwise, batched);
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Ensembles */

enum { EN = 120 };
static size_t en_off[EN + 1];
static int32_t en_ids[EN * 12], en_lab[EN];

/* Noisy random documents, split 90/30: validation picks epochs. */
static void ensemble_data(const rnnkit_model *m, rnnkit_dataset *train, rnnkit_dataset *valid)
{
    random_docs(EN, (int)rnnkit_vocab_size(rnnkit_model_vocab((rnnkit_model *)m)), 21, en_off, en_ids);
    rnnkit_rng r;
    rnnkit_rng_seed(&r, 22);
    for (int i = 0; i < EN; i++)
        en_lab[i] = (int)rnnkit_rng_below(&r, 2);
    *train = (rnnkit_dataset){.n = 90, .off = en_off, .ids = en_ids, .label = en_lab};
    *valid = (rnnkit_dataset){.n = 30, .off = en_off + 90, .ids = en_ids, .label = en_lab + 90};
}

static rnnkit_classifier_options ensemble_options(uint64_t seed)
{
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 3;
    o.train.batch = 16;
    o.train.patience = 0;
    o.train.seed = seed;
    return o;
}

/* Member k of an ensemble trained with seed s is, bit for bit, the network a
 * one-network run with seed s + k trains on the same data; the ensemble
 * predicts the mean of its members' probabilities and is evaluated on that
 * mean; its log holds every member's epochs; it saves and loads whole, and
 * one member can be kept (and then exported). */
static void test_ensemble_is_its_members_averaged(void **state)
{
    (void)state;
    enum { M = 3 };
    small_members = M;
    rnnkit_model *e = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 40);
    small_members = 1;
    assert_int_equal(rnnkit_model_num_members(e), M);
    rnnkit_dataset train, valid;
    ensemble_data(e, &train, &valid);
    rnnkit_classifier_options o = ensemble_options(40);
    rnnkit_log_row *rows = NULL;
    int nrows = 0;
    rnnkit_error err;
    if (rnnkit_classifier_train(e, &train, &valid, &o, &rows, &nrows, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(nrows, M * 3);
    for (int i = 0; i < nrows; i++) {
        assert_int_equal(rows[i].member, i / 3);
        assert_int_equal(rows[i].epoch, i % 3 + 1);
    }
    free(rows);
    const size_t n = rnnkit_model_num_params(e);
    float pe[EN * 2], pk[EN * 2], mean[EN * 2] = {0};
    rnnkit_dataset all = {.n = EN, .off = en_off, .ids = en_ids, .label = en_lab};
    for (int k = 0; k < M; k++) {
        rnnkit_model *s = small_classifier(RNNKIT_CELL_LSTM, 1, RNNKIT_POOL_MAX, 40 + (uint64_t)k);
        rnnkit_classifier_options ok = ensemble_options(40 + (uint64_t)k);
        if (rnnkit_classifier_train(s, &train, &valid, &ok, NULL, NULL, &err))
            fail_msg("%s", err.msg);
        if (memcmp(e->mw[k], rnnkit__model_params(s)->value, n * sizeof(float)))
            fail_msg("member %d differs from the one-network run with seed %d", k, 40 + k);
        assert_int_equal(rnnkit_classifier_predict(s, &all, 0, 1, pk, &err), RNNKIT_OK);
        for (int i = 0; i < EN * 2; i++)
            mean[i] += pk[i] / M;
        rnnkit_model_free(s);
    }
    assert_int_equal(rnnkit_classifier_predict(e, &all, 0, 1, pe, &err), RNNKIT_OK);
    double loss = 0;
    int correct = 0;
    for (int i = 0; i < EN; i++) {
        assert_float_equal(pe[2 * i], mean[2 * i], 1e-6);
        assert_float_equal(pe[2 * i + 1], mean[2 * i + 1], 1e-6);
        loss -= log(mean[2 * i + en_lab[i]]);
        correct += (mean[2 * i + 1] > mean[2 * i]) == en_lab[i];
    }
    double eloss, eacc;
    assert_int_equal(rnnkit_classifier_evaluate(e, &all, 0, 1, &eloss, &eacc, &err), RNNKIT_OK);
    assert_float_equal(eloss, loss / EN, 1e-5);
    assert_float_equal(eacc, (double)correct / EN, 1e-12);

    /* the file holds every member; safetensors (one network) refuses the whole */
    assert_int_equal(rnnkit_model_save(e, support_tmp("ens.db"), &err), RNNKIT_OK);
    rnnkit_model *l = NULL;
    if (rnnkit_model_load(support_tmp("ens.db"), RNNKIT_TASK_CLASSIFY, &l, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rnnkit_model_num_members(l), M);
    assert_int_equal(rnnkit_model_num_ready(l), M);
    for (int k = 0; k < M; k++)
        assert_memory_equal(e->mw[k], l->mw[k], n * sizeof(float));
    assert_int_equal(rnnkit_model_export_safetensors(l, support_tmp("ens.safetensors"), &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "ensemble of 3"));
    assert_int_equal(rnnkit_model_keep_member(l, M, &err), RNNKIT_ERR_ARG);
    assert_int_equal(rnnkit_model_keep_member(l, 2, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_model_num_members(l), 1);
    assert_memory_equal(rnnkit__model_params(l)->value, e->mw[2], n * sizeof(float));
    assert_int_equal(rnnkit_model_export_safetensors(l, support_tmp("ens.safetensors"), &err), RNNKIT_OK);
    /* a file claiming more members than it has tensors for is refused */
    support_expect_tampered("ens.db", "UPDATE model_meta SET value = '4' WHERE key = 'members'",
                            RNNKIT_ERR_CORRUPT, "member3.embedding.weight");
    support_expect_tampered("ens.db", "UPDATE model_meta SET value = '4' WHERE key = 'members_ready'",
                            RNNKIT_ERR_CORRUPT, "members_ready");
    rnnkit_model_free(l);
    rnnkit_model_free(e);

    /* a forecaster is one network */
    rnnkit_model_config fc;
    rnnkit_model_config_default(&fc, RNNKIT_TASK_FORECAST);
    fc.members = 2;
    expect_create_refused(&fc, "classifiers and generators");
}

static int stop_in_member(void *ctx, const rnnkit_progress *p)
{
    int *when = ctx; /* stop once at member when[0], batch when[1] */
    if (when[2] == 0 && p->member == when[0] && p->batch == when[1] && !p->end_of_epoch) {
        when[2] = 1;
        return 1;
    }
    return 0;
}

/* An ensemble interrupted inside its second member and resumed from the
 * checkpoint ends bit for bit where an uninterrupted run ends; the file
 * written at the interruption predicts with the members trained so far. */
static void test_ensemble_resumes_exactly_across_members(void **state)
{
    (void)state;
    small_members = 3;
    rnnkit_model *a = small_classifier(RNNKIT_CELL_GRU, 0, RNNKIT_POOL_MEAN, 50);
    rnnkit_model *b = small_classifier(RNNKIT_CELL_GRU, 0, RNNKIT_POOL_MEAN, 50);
    small_members = 1;
    rnnkit_dataset train, valid;
    ensemble_data(a, &train, &valid);
    rnnkit_classifier_options o = ensemble_options(50);
    rnnkit_error err;
    o.train.checkpoint_path = support_tmp("ens-a.db");
    if (rnnkit_classifier_train(a, &train, &valid, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    int when[3] = {1, 3, 0};
    o.train.checkpoint_path = support_tmp("ens-b.db");
    o.train.progress = stop_in_member;
    o.train.progress_ctx = when;
    assert_int_equal(rnnkit_classifier_train(b, &train, &valid, &o, NULL, NULL, &err), RNNKIT_ERR_INTERRUPTED);
    rnnkit_model_free(b);
    rnnkit_model *mid = NULL;
    if (rnnkit_model_load(support_tmp("ens-b.db"), RNNKIT_TASK_CLASSIFY, &mid, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rnnkit_model_num_members(mid), 3);
    assert_int_equal(rnnkit_model_num_ready(mid), 2);
    o.train.resume = 1;
    o.train.progress = NULL;
    if (rnnkit_classifier_train(mid, &train, &valid, &o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rnnkit_model_num_ready(mid), 3);
    const size_t n = rnnkit_model_num_params(a);
    for (int k = 0; k < 3; k++)
        if (memcmp(a->mw[k], mid->mw[k], n * sizeof(float)))
            fail_msg("member %d after the resume differs from the uninterrupted run", k);
    rnnkit_model *fa = NULL, *fb = NULL;
    if (rnnkit_model_load(support_tmp("ens-a.db"), RNNKIT_TASK_CLASSIFY, &fa, &err) ||
        rnnkit_model_load(support_tmp("ens-b.db"), RNNKIT_TASK_CLASSIFY, &fb, &err))
        fail_msg("%s", err.msg);
    for (int k = 0; k < 3; k++)
        assert_memory_equal(fa->mw[k], fb->mw[k], n * sizeof(float));
    /* a finished ensemble is not extended (only its last member would train) */
    o.epochs = 5;
    assert_int_equal(rnnkit_classifier_train(fb, &train, &valid, &o, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "finished"));
    rnnkit_model_free(fa);
    rnnkit_model_free(fb);
    rnnkit_model_free(mid);
    rnnkit_model_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_load_round_trip_is_bit_exact),
        cmocka_unit_test(test_same_seed_same_weights_other_seed_other),
        cmocka_unit_test(test_embedding_init_range_is_drawn_and_recorded),
        cmocka_unit_test(test_untrusted_model_files_are_rejected_with_a_reason),
        cmocka_unit_test(test_failed_save_leaves_the_old_file),
        cmocka_unit_test(test_classifier_learns_a_toy_task),
        cmocka_unit_test(test_inference_table_matches_the_plain_path),
        cmocka_unit_test(test_inference_table_on_threads),
        cmocka_unit_test(test_classifier_lr_decays_after_epochs_without_gain),
        cmocka_unit_test(test_generator_sampler_agrees_with_batched_evaluation),
        cmocka_unit_test(test_ensemble_is_its_members_averaged),
        cmocka_unit_test(test_ensemble_resumes_exactly_across_members),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
