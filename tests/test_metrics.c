/*
 * tests/test_metrics.c: rnnkit/metrics.h against hand-computed values: the
 * confusion matrix (rows true, columns predicted), per-class precision,
 * recall and F1, macro F1 and accuracy; a class never predicted or without
 * documents; argmax ties; probabilities; the argument errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "rnnkit/metrics.h"

#define EPS 1e-12

/* truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2:
 *   confusion  [2 1 0]   class 0: P 2/2, R 2/3, F1 0.8
 *              [0 1 1]   class 1: P 1/2, R 1/2, F1 0.5
 *              [0 0 1]   class 2: P 1/2, R 1/1, F1 2/3
 * accuracy 4/6, macro F1 (0.8 + 0.5 + 2/3) / 3. */
static const int32_t truth6[] = {0, 0, 0, 1, 1, 2};
static const int32_t pred6[] = {0, 0, 1, 1, 2, 2};

static void test_hand_computed(void **state)
{
    (void)state;
    rnnkit_metrics m;
    rnnkit_error err;
    assert_int_equal(rnnkit_metrics_compute(truth6, pred6, 6, 3, &m, &err), RNNKIT_OK);
    static const int64_t want[9] = {2, 1, 0, 0, 1, 1, 0, 0, 1};
    assert_memory_equal(m.confusion, want, sizeof want);
    assert_int_equal(m.num_classes, 3);
    assert_int_equal(m.n, 6);
    assert_float_equal(m.accuracy, 4.0 / 6.0, EPS);
    assert_float_equal(m.per_class[0].precision, 1.0, EPS);
    assert_float_equal(m.per_class[0].recall, 2.0 / 3.0, EPS);
    assert_float_equal(m.per_class[0].f1, 0.8, EPS);
    assert_float_equal(m.per_class[1].precision, 0.5, EPS);
    assert_float_equal(m.per_class[1].recall, 0.5, EPS);
    assert_float_equal(m.per_class[1].f1, 0.5, EPS);
    assert_float_equal(m.per_class[2].precision, 0.5, EPS);
    assert_float_equal(m.per_class[2].recall, 1.0, EPS);
    assert_float_equal(m.per_class[2].f1, 2.0 / 3.0, EPS);
    assert_int_equal(m.per_class[0].support, 3);
    assert_int_equal(m.per_class[1].support, 2);
    assert_int_equal(m.per_class[2].support, 1);
    assert_int_equal(m.per_class[0].predicted, 2);
    assert_int_equal(m.per_class[1].predicted, 2);
    assert_int_equal(m.per_class[2].predicted, 2);
    assert_float_equal(m.macro_f1, (0.8 + 0.5 + 2.0 / 3.0) / 3.0, 1e-9);
    rnnkit_metrics_free(&m);
    assert_null(m.confusion);
    rnnkit_metrics_free(&m); /* a zeroed one is fine */
}

/* Class 3 has no documents and is never predicted: all its scores are 0
 * and it still counts in the macro mean. */
static void test_empty_class(void **state)
{
    (void)state;
    rnnkit_metrics m;
    assert_int_equal(rnnkit_metrics_compute(truth6, pred6, 6, 4, &m, NULL), RNNKIT_OK);
    assert_float_equal(m.per_class[3].precision, 0.0, EPS);
    assert_float_equal(m.per_class[3].recall, 0.0, EPS);
    assert_float_equal(m.per_class[3].f1, 0.0, EPS);
    assert_int_equal(m.per_class[3].support, 0);
    assert_float_equal(m.macro_f1, (0.8 + 0.5 + 2.0 / 3.0) / 4.0, 1e-9);
    rnnkit_metrics_free(&m);

    /* no documents at all */
    assert_int_equal(rnnkit_metrics_compute(NULL, NULL, 0, 2, &m, NULL), RNNKIT_OK);
    assert_float_equal(m.accuracy, 0.0, EPS);
    assert_float_equal(m.macro_f1, 0.0, EPS);
    rnnkit_metrics_free(&m);
}

static void test_argmax_and_probs(void **state)
{
    (void)state;
    const float p[] = {0.2f, 0.5f, 0.5f, 0.1f};
    assert_int_equal(rnnkit_argmax(p, 4), 1); /* the first on a tie */
    assert_int_equal(rnnkit_argmax(p, 1), 0);
    /* rows whose argmax is pred6 */
    float probs[6 * 3];
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 3; k++)
            probs[i * 3 + k] = k == pred6[i] ? 0.7f : 0.15f;
    rnnkit_metrics a, b;
    assert_int_equal(rnnkit_metrics_from_probs(truth6, probs, 6, 3, &a, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_metrics_compute(truth6, pred6, 6, 3, &b, NULL), RNNKIT_OK);
    assert_memory_equal(a.confusion, b.confusion, 9 * sizeof *a.confusion);
    assert_float_equal(a.macro_f1, b.macro_f1, 0);
    rnnkit_metrics_free(&a);
    rnnkit_metrics_free(&b);
}

static void test_errors(void **state)
{
    (void)state;
    rnnkit_metrics m;
    rnnkit_error err;
    const int32_t bad[] = {0, 3};
    const int32_t ok[] = {0, 1};
    assert_int_equal(rnnkit_metrics_compute(ok, bad, 2, 3, &m, &err), RNNKIT_ERR_ARG);
    assert_null(m.confusion);
    assert_null(m.per_class);
    assert_non_null(strstr(err.msg, "document 1")); /* names the document (0-based) */
    assert_int_equal(rnnkit_metrics_compute(bad, ok, 2, 3, &m, &err), RNNKIT_ERR_ARG);
    assert_int_equal(rnnkit_metrics_compute(ok, ok, 2, 0, &m, &err), RNNKIT_ERR_ARG);
    const int32_t neg[] = {-1};
    assert_int_equal(rnnkit_metrics_compute(neg, ok, 1, 2, &m, &err), RNNKIT_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_empty_class),
        cmocka_unit_test(test_argmax_and_probs),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
