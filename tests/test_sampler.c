/*
 * tests/test_sampler.c: the distribution rnnkit_sampler_draw samples from.
 *
 * A small generator whose output layer is set by hand (fc.weight = 0,
 * fc.bias = z) has logits z after any feed, whatever its recurrent state.
 * The reserved ids 0 and 1 get the largest logits, so a draw that did not
 * skip them would produce them most often. For temperature T, top-k K and
 * top-p P the exact rule (model/generator.c) is:
 *   p_v ~ exp(z_v / T) over v >= 2; candidates sorted by p, descending;
 *   top-k keeps the K most likely; top-p then keeps the shortest prefix
 *   whose mass is >= P times the mass top-k kept; renormalise.
 * For each setting 200000 draws (fixed seed) are compared with that
 * distribution: every kept id within 5 standard errors of its probability,
 * a chi-square below the 1e-6 tail of its degrees of freedom, and no id
 * outside the kept set, ever. The logits are chosen so that no top-p
 * boundary is within 0.02 of a prefix's mass, and so that each wrong rule
 * tried (top-p against the whole mass instead of the kept one, temperature
 * multiplied, top-k off by one, cut after instead of at the crossing)
 * moves some bin by far more than the bound. Argmax picks the largest
 * non-reserved logit.
 */
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

enum { V = 10, NDRAW = 200000 };

/* Logits of ids 0..9. Reserved ids 0, 1 highest; ids 2..9 without ties.
 * Order by probability: 7, 2, 9, 3, 4, 5, 6, 8. */
static const float Z[V] = {9.0f, 8.0f, 2.0f, 1.0f, 0.5f, 0.0f, -0.5f, 3.0f, -1.0f, 1.5f};

typedef struct fixture {
    rnnkit_model *m;
    rnnkit_sampler *s;
} fixture;

static int setup(void **state)
{
    rnnkit_tok_config tc;
    rnnkit_tok_config_default(&tc, RNNKIT_LEVEL_CHAR);
    rnnkit_vocab_builder *b = NULL;
    rnnkit_vocab *v = NULL;
    const char *text = "abcdefgh";
    if (rnnkit_vocab_builder_new(&tc, &b, NULL) || rnnkit_vocab_builder_add(b, text, strlen(text), NULL, NULL) ||
        rnnkit_vocab_builder_finish(b, 1, 0, &v, NULL))
        return -1;
    rnnkit_vocab_builder_free(b);
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.cell = RNNKIT_CELL_GRU;
    c.embed = 3;
    c.hidden = 4;
    c.layers = 1;
    fixture *f = calloc(1, sizeof *f);
    if (!f || rnnkit_model_create(&c, v, NULL, 0, 3, &f->m, NULL))
        return -1;
    if (rnnkit_vocab_size(rnnkit_model_vocab(f->m)) != V)
        return -1;
    rnnkit__params *p = rnnkit__model_params(f->m);
    const rnnkit__param_view *w = rnnkit__params_find(p, "fc.weight"), *bias = rnnkit__params_find(p, "fc.bias");
    if (!w || !bias || bias->numel != V)
        return -1;
    memset(p->value + w->offset, 0, w->numel * sizeof(float));
    memcpy(p->value + bias->offset, Z, sizeof Z);
    rnnkit__model_params(f->m); /* weights changed: drop derived tables */
    if (rnnkit_sampler_new(f->m, &f->s, NULL) || rnnkit_sampler_feed(f->s, 4, NULL))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rnnkit_sampler_free(f->s);
    rnnkit_model_free(f->m);
    free(f);
    return 0;
}

/* The exact distribution of the rule above, in double. */
static void expected(float T, int K, float P, double *p)
{
    int order[V], n = 0;
    double w[V] = {0};
    for (int v = 2; v < V; v++) {
        w[v] = exp((double)Z[v] / (double)T);
        order[n++] = v;
    }
    for (int i = 1; i < n; i++) /* insertion sort, descending */
        for (int j = i; j > 0 && w[order[j]] > w[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    int keep = K > 0 && K < n ? K : n;
    if (P > 0 && P < 1) {
        double all = 0, acc = 0;
        for (int i = 0; i < keep; i++)
            all += w[order[i]];
        for (int i = 0; i < keep; i++) {
            acc += w[order[i]];
            /* the test's settings keep clear of the boundary */
            assert_true(fabs(acc / all - (double)P) > 0.02);
            if (acc >= (double)P * all) {
                keep = i + 1;
                break;
            }
        }
    }
    double total = 0;
    for (int i = 0; i < keep; i++)
        total += w[order[i]];
    for (int v = 0; v < V; v++)
        p[v] = 0;
    for (int i = 0; i < keep; i++)
        p[order[i]] = w[order[i]] / total;
}

/* Upper 1e-6 tail of chi-square with df degrees of freedom, df = 0..7. */
static const double CHI2_1E6[8] = {0.0, 23.93, 27.63, 30.66, 33.38, 35.89, 38.26, 40.52};

static void check(fixture *f, float T, int K, float P, int want_kept)
{
    double p[V];
    expected(T, K, P, p);
    int kept = 0;
    for (int v = 0; v < V; v++)
        kept += p[v] > 0;
    assert_int_equal(kept, want_kept); /* the setting cuts where the test means it to */
    rnnkit_sample_options o = {.temperature = T, .top_k = K, .top_p = P, .argmax = 0};
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 20240601u + (uint64_t)K * 131u + (uint64_t)(P * 1000));
    long count[V] = {0};
    for (int i = 0; i < NDRAW; i++) {
        int32_t id = rnnkit_sampler_draw(f->s, &o, &rng);
        assert_true(id >= 0 && id < V);
        count[id]++;
    }
    double chi2 = 0;
    for (int v = 0; v < V; v++) {
        if (p[v] == 0) {
            if (count[v])
                fail_msg("T %g K %d P %g: id %d is outside the kept set, drawn %ld times", (double)T, K, (double)P,
                         v, count[v]);
            continue;
        }
        double e = p[v] * NDRAW, se = sqrt(NDRAW * p[v] * (1 - p[v]));
        if (fabs((double)count[v] - e) > 5 * se + 1)
            fail_msg("T %g K %d P %g: id %d drawn %ld times, expected %.1f +- %.1f", (double)T, K, (double)P, v,
                     count[v], e, 5 * se);
        chi2 += ((double)count[v] - e) * ((double)count[v] - e) / e;
    }
    if (chi2 > CHI2_1E6[kept - 1])
        fail_msg("T %g K %d P %g: chi-square %.2f over %d bins", (double)T, K, (double)P, chi2, kept);
}

static void test_logits_are_the_hand_set_bias(void **state)
{
    fixture *f = *state;
    const float *z = rnnkit_sampler_logits(f->s);
    for (int v = 0; v < V; v++)
        assert_true(z[v] == Z[v]);
    /* another state, the same logits */
    assert_int_equal(rnnkit_sampler_feed(f->s, 7, NULL), RNNKIT_OK);
    assert_memory_equal(rnnkit_sampler_logits(f->s), Z, sizeof Z);
}

static void test_argmax_is_the_largest_non_reserved_logit(void **state)
{
    fixture *f = *state;
    rnnkit_sample_options o = {.temperature = 1, .top_k = 0, .top_p = 1, .argmax = 1};
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 1);
    for (int i = 0; i < 100; i++)
        assert_int_equal(rnnkit_sampler_draw(f->s, &o, &rng), 7);
    /* top-k 1 is argmax too, and a tiny temperature nearly so */
    o.argmax = 0;
    o.top_k = 1;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rnnkit_sampler_draw(f->s, &o, &rng), 7);
    o.top_k = 0;
    o.temperature = 0.01f; /* next best is exp(-100) behind */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rnnkit_sampler_draw(f->s, &o, &rng), 7);
}

static void test_plain_sampling_with_temperature(void **state)
{
    fixture *f = *state;
    check(f, 1.0f, 0, 1.0f, 8);
    check(f, 0.5f, 0, 1.0f, 8);
    check(f, 2.5f, 0, 1.0f, 8);
    /* top-k beyond the candidates, and top-p 0 or >= 1, are off */
    check(f, 1.0f, 100, 0.0f, 8);
    check(f, 1.0f, 8, 1.5f, 8);
}

static void test_top_k(void **state)
{
    fixture *f = *state;
    check(f, 1.0f, 3, 1.0f, 3);
    check(f, 0.7f, 2, 1.0f, 2);
    check(f, 2.0f, 7, 1.0f, 7);
}

static void test_top_p(void **state)
{
    fixture *f = *state;
    /* T 1: sorted masses 0.524 0.193 0.117 0.071 0.043 0.026 0.016 0.010;
     * prefixes 0.524 0.717 0.834 0.905 0.948 0.975 0.990 1 */
    check(f, 1.0f, 0, 0.5f, 1);
    check(f, 1.0f, 0, 0.62f, 2);
    check(f, 1.0f, 0, 0.8f, 3);
    check(f, 1.0f, 0, 0.88f, 4);
    /* T 2: flatter; prefixes 0.306 0.492 0.637 0.749 0.837 0.905 0.959 1 */
    check(f, 2.0f, 0, 0.8f, 5);
    check(f, 2.0f, 0, 0.4f, 2);
}

static void test_top_k_then_top_p_of_the_kept_mass(void **state)
{
    fixture *f = *state;
    /* top-k 3 at T 1 keeps 0.524 0.193 0.117 (mass 0.834); of that mass
     * the prefixes are 0.629 0.860 1: P 0.8 keeps 2 (against the whole
     * mass, 0.717 < 0.8, it would keep 3) */
    check(f, 1.0f, 3, 0.8f, 2);
    /* P 0.6 keeps 1 of top-3 (0.629 >= 0.6; of the whole mass 0.524 < 0.6) */
    check(f, 1.0f, 3, 0.6f, 1);
    /* top-k 5 at T 2: prefixes of its mass 0.366 0.588 0.761 0.895 1 */
    check(f, 2.0f, 5, 0.7f, 3);
    check(f, 2.0f, 5, 0.95f, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logits_are_the_hand_set_bias),
        cmocka_unit_test(test_argmax_is_the_largest_non_reserved_logit),
        cmocka_unit_test(test_plain_sampling_with_temperature),
        cmocka_unit_test(test_top_k),
        cmocka_unit_test(test_top_p),
        cmocka_unit_test(test_top_k_then_top_p_of_the_kept_mass),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
