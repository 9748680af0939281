/*
 * tests/test_pretrain.c: a classifier started from language models
 * (rnnkit_model_pretrain): the forward generator's embedding and recurrent
 * tensors arrive in the forward direction, the backward generator's in the
 * `_reverse` one, in every network of an ensemble; the output layer and
 * what the generators do not have are left alone; every mismatch (task,
 * direction, sizes, cell, vocabulary) is an error naming it and leaves the
 * classifier as it was. Also: a backward generator's loss on a text is the
 * forward loss of the text reversed, and its file keeps the flag.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

static const char *const TEXT = "the film was good and the cast was great but the plot was thin";
static const char *const labels[] = {"neg", "pos"};

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-pretrain-XXXXXX");
}

static rnnkit_model *generator(int embed, int hidden, int layers, int reverse, uint64_t seed)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = embed;
    c.hidden = hidden;
    c.layers = layers;
    c.reverse = reverse;
    return support_model(&c, support_vocab(RNNKIT_LEVEL_WORD, TEXT, NULL), NULL, 0, seed);
}

static rnnkit_model *classifier(int embed, int hidden, int members, uint64_t seed)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.embed = embed;
    c.hidden = hidden;
    c.members = members;
    return support_model(&c, support_vocab(RNNKIT_LEVEL_WORD, TEXT, NULL), labels, 2, seed);
}

/* Tensor `name` of m (member 0's weights) and its size in floats. */
static const float *tensor(rnnkit_model *m, const char *name, size_t *n)
{
    for (int i = 0; i < rnnkit_model_num_tensors(m); i++) {
        int64_t shape[2];
        size_t off;
        const char *t = rnnkit_model_tensor(m, i, shape, &off);
        if (!strcmp(t, name)) {
            *n = (size_t)shape[0] * (size_t)(shape[1] ? shape[1] : 1);
            return rnnkit_model_weights(m) + off;
        }
    }
    fail_msg("no tensor %s", name);
    return NULL;
}

static void assert_same(rnnkit_model *a, const char *na, rnnkit_model *b, const char *nb)
{
    size_t la, lb;
    const float *x = tensor(a, na, &la), *y = tensor(b, nb, &lb);
    assert_int_equal(la, lb);
    if (memcmp(x, y, la * sizeof(float)))
        fail_msg("%s differs from %s", na, nb);
}

static void assert_differs(rnnkit_model *a, const char *na, rnnkit_model *b, const char *nb)
{
    size_t la, lb;
    const float *x = tensor(a, na, &la), *y = tensor(b, nb, &lb);
    assert_true(la != lb || memcmp(x, y, la * sizeof(float)) != 0);
}

static const char *const RNN[] = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"};

static void test_weights_arrive(void **state)
{
    (void)state;
    rnnkit_model *fw = generator(8, 6, 1, 0, 11), *bw = generator(8, 6, 1, 1, 12), *m = classifier(8, 6, 1, 13);
    rnnkit_model *fresh = classifier(8, 6, 1, 13); /* m as it was */
    rnnkit_error err;
    int n = -1;
    assert_int_equal(rnnkit_model_pretrain(m, fw, bw, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 9); /* embedding + 4 forward + 4 backward */
    assert_same(m, "embedding.weight", fw, "embedding.weight");
    char a[64], b[64];
    for (int i = 0; i < 4; i++) {
        snprintf(a, sizeof a, "rnn.%s", RNN[i]);
        assert_same(m, a, fw, a);
        snprintf(b, sizeof b, "rnn.%s_reverse", RNN[i]);
        assert_same(m, b, bw, a);
    }
    /* the classifier's own output layer stays as its seed made it */
    assert_same(m, "fc.weight", fresh, "fc.weight");
    assert_same(m, "fc.bias", fresh, "fc.bias");
    assert_differs(fresh, "embedding.weight", fw, "embedding.weight");
    rnnkit_model_free(fresh);
    rnnkit_model_free(m);
    /* the backward model alone also gives the embedding */
    m = classifier(8, 6, 1, 13);
    assert_int_equal(rnnkit_model_pretrain(m, NULL, bw, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 5);
    assert_same(m, "embedding.weight", bw, "embedding.weight");
    rnnkit_model_free(m);
    rnnkit_model_free(fw);
    rnnkit_model_free(bw);
}

static void test_every_member(void **state)
{
    (void)state;
    rnnkit_model *fw = generator(8, 6, 1, 0, 21), *m = classifier(8, 6, 3, 22);
    rnnkit_error err;
    assert_int_equal(rnnkit_model_num_members(m), 3);
    assert_int_equal(rnnkit_model_pretrain(m, fw, NULL, NULL, &err), RNNKIT_OK);
    /* member k's weights: keep it alone, then compare */
    for (int k = 0; k < 3; k++) {
        rnnkit_model *one = NULL;
        const char *path = support_tmp("ens.db");
        assert_int_equal(rnnkit_model_save(m, path, &err), RNNKIT_OK);
        assert_int_equal(rnnkit_model_load(path, RNNKIT_TASK_CLASSIFY, &one, &err), RNNKIT_OK);
        assert_int_equal(rnnkit_model_keep_member(one, k, &err), RNNKIT_OK);
        assert_same(one, "embedding.weight", fw, "embedding.weight");
        assert_same(one, "rnn.weight_hh_l0", fw, "rnn.weight_hh_l0");
        rnnkit_model_free(one);
    }
    rnnkit_model_free(m);
    rnnkit_model_free(fw);
}

/* rnnkit_model_pretrain fails with `want` in its message; m unchanged. */
static void expect_refusal(rnnkit_model *m, rnnkit_model *fw, rnnkit_model *bw, const char *want)
{
    size_t n;
    const float *w = tensor(m, "embedding.weight", &n);
    float *before = malloc(n * sizeof(float));
    assert_non_null(before);
    memcpy(before, w, n * sizeof(float));
    rnnkit_error err;
    rnnkit_error_clear(&err);
    assert_int_equal(rnnkit_model_pretrain(m, fw, bw, NULL, &err), RNNKIT_ERR_ARG);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_memory_equal(tensor(m, "embedding.weight", &n), before, n * sizeof(float));
    free(before);
}

static void test_mismatches(void **state)
{
    (void)state;
    rnnkit_model *m = classifier(8, 6, 1, 31);
    rnnkit_model *fw = generator(8, 6, 1, 0, 32), *bw = generator(8, 6, 1, 1, 33);
    rnnkit_model *wide = generator(8, 7, 1, 0, 34), *clf = classifier(8, 6, 1, 35);
    expect_refusal(m, wide, NULL, "hidden 7");
    expect_refusal(m, bw, NULL, "read backwards");
    expect_refusal(m, NULL, fw, "read forwards");
    expect_refusal(m, clf, NULL, "not a generator");
    /* another vocabulary: named by its first differing id */
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 8;
    c.hidden = 6;
    c.layers = 1;
    rnnkit_model *other =
        support_model(&c, support_vocab(RNNKIT_LEVEL_WORD, "a completely different text of words", NULL), NULL, 0, 36);
    expect_refusal(m, other, NULL, "vocabulary");
    /* characters, not words: other tokenizer rules */
    rnnkit_model *chars = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, TEXT, NULL), NULL, 0, 37);
    expect_refusal(m, chars, NULL, "rules");
    /* a good forward model with a bad backward one: nothing taken */
    expect_refusal(m, fw, wide, "read forwards");
    rnnkit_model_config u;
    rnnkit_model_config_default(&u, RNNKIT_TASK_CLASSIFY);
    u.embed = 8;
    u.hidden = 6;
    u.bidirectional = 0;
    rnnkit_model *uni = support_model(&u, support_vocab(RNNKIT_LEVEL_WORD, TEXT, NULL), labels, 2, 38);
    expect_refusal(uni, NULL, bw, "reads one way");
    rnnkit_model *models[] = {m, fw, bw, wide, clf, other, chars, uni};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        rnnkit_model_free(models[i]);
}

static void test_deeper_layers(void **state)
{
    (void)state;
    /* a two-layer generator into a two-layer unidirectional classifier: both
     * layers fit and arrive; into a biLSTM only the first (the second reads
     * both directions: 2H inputs) */
    rnnkit_model *fw = generator(8, 6, 2, 0, 41);
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.embed = 8;
    c.hidden = 6;
    c.layers = 2;
    c.bidirectional = 0;
    rnnkit_model *uni = support_model(&c, support_vocab(RNNKIT_LEVEL_WORD, TEXT, NULL), labels, 2, 42);
    c.bidirectional = 1;
    rnnkit_model *bi = support_model(&c, support_vocab(RNNKIT_LEVEL_WORD, TEXT, NULL), labels, 2, 43);
    rnnkit_error err;
    int n;
    assert_int_equal(rnnkit_model_pretrain(uni, fw, NULL, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 9);
    assert_same(uni, "rnn.weight_ih_l1", fw, "rnn.weight_ih_l1");
    assert_int_equal(rnnkit_model_pretrain(bi, fw, NULL, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 5); /* the embedding and layer 0 only */
    assert_differs(bi, "rnn.weight_hh_l1", fw, "rnn.weight_hh_l1");
    rnnkit_model_free(fw);
    rnnkit_model_free(uni);
    rnnkit_model_free(bi);
}

static void test_backward_generator(void **state)
{
    (void)state;
    /* the same weights read a text backwards when reverse is set */
    rnnkit_model *fw = generator(8, 6, 1, 0, 51), *bw = generator(8, 6, 1, 1, 51);
    rnnkit_vocab *v = rnnkit_model_vocab(fw);
    int32_t ids[64], rev[64];
    size_t n = 0;
    rnnkit_error err;
    assert_int_equal(rnnkit_vocab_encode(v, TEXT, strlen(TEXT), "text", ids, 64, 0, &n, &err), RNNKIT_OK);
    assert_true(n > 10 && n < 64);
    for (size_t i = 0; i < n; i++)
        rev[i] = ids[n - 1 - i];
    double lf, lb;
    assert_int_equal(rnnkit_generator_evaluate(fw, rev, n, &lf, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_generator_evaluate(bw, ids, n, &lb, &err), RNNKIT_OK);
    assert_true(lf == lb);
    double lff;
    assert_int_equal(rnnkit_generator_evaluate(fw, ids, n, &lff, &err), RNNKIT_OK);
    assert_true(lff != lb);
    /* the flag survives the file; a forward model's file lacks the key */
    const char *path = support_tmp("bw.db");
    assert_int_equal(rnnkit_model_save(bw, path, &err), RNNKIT_OK);
    rnnkit_model *back = NULL;
    assert_int_equal(rnnkit_model_load(path, RNNKIT_TASK_GENERATE, &back, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_model_get_config(back)->reverse, 1);
    rnnkit_model_free(back);
    rnnkit_model_free(fw);
    rnnkit_model_free(bw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_arrive),
        cmocka_unit_test(test_every_member),
        cmocka_unit_test(test_mismatches),
        cmocka_unit_test(test_deeper_layers),
        cmocka_unit_test(test_backward_generator),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
