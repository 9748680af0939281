/*
 * tests/test_parity.c: the recurrent layers against PyTorch.
 *
 * Each fixture in tests/reference/fixtures/ (written by
 * tests/reference/make_torch_fixtures.py; format described there) holds a
 * 2-layer bidirectional torch LSTM / GRU / RNN run on B=3 ragged sequences
 * of T=7 steps (post- or pre-padded, h0/c0 given or not): its weights,
 * inputs, outputs, every gradient of L = sum(y*r) + sum(hn*q) (+ sum(cn*s)),
 * and the weights after 3 Adam(lr=1e-2) steps on L. The test loads the
 * weights into our parameter block by state_dict name and checks every
 * tensor with |a - b| <= 1e-6 + 1e-5 |b| (the reference is computed in
 * float64 and rounded once to float32), failing on the first mismatch with
 * the tensor, the worst index, and the max absolute and relative errors.
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

#include "model/nn_internal.h"

#define ATOL 1e-6
#define RTOL 1e-5

/* ---------------------------------------------------------------------- */
/* Fixture files */

typedef struct fx_tensor {
    char name[96];
    int ndim;
    uint32_t dims[4];
    size_t numel;
    float *data;
} fx_tensor;

typedef struct fixture {
    uint32_t cell, E, H, L, D, T, B, prepad, has_h0;
    int n;
    fx_tensor *t;
} fixture;

static void fixture_free(fixture *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->t[i].data);
    free(f->t);
    memset(f, 0, sizeof *f);
}

static int read_u32(FILE *fp, uint32_t *v)
{
    unsigned char b[4];
    if (fread(b, 1, 4, fp) != 4)
        return 0;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

/* Loads `path`; fails the test (with the reason) if it is unreadable or malformed. */
static void fixture_load(const char *path, fixture *f)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("%s: cannot open", path);
    char magic[4];
    uint32_t version = 0, hdr[9], n = 0;
    if (fread(magic, 1, 4, fp) != 4 || memcmp(magic, "RNKF", 4) || !read_u32(fp, &version) ||
        version != 1)
        fail_msg("%s: not a version-1 RNKF fixture", path);
    for (int i = 0; i < 9; i++)
        if (!read_u32(fp, &hdr[i]))
            fail_msg("%s: truncated header", path);
    f->cell = hdr[0], f->E = hdr[1], f->H = hdr[2], f->L = hdr[3], f->D = hdr[4];
    f->T = hdr[5], f->B = hdr[6], f->prepad = hdr[7], f->has_h0 = hdr[8];
    if (!read_u32(fp, &n) || n == 0 || n > 1000)
        fail_msg("%s: bad tensor count", path);
    f->t = calloc(n, sizeof *f->t);
    assert_non_null(f->t);
    for (uint32_t i = 0; i < n; i++) {
        fx_tensor *t = &f->t[i];
        uint32_t len = 0, ndim = 0;
        if (!read_u32(fp, &len) || len == 0 || len >= sizeof t->name ||
            fread(t->name, 1, len, fp) != len || !read_u32(fp, &ndim) || ndim < 1 || ndim > 4)
            fail_msg("%s: tensor %u: bad name or rank", path, i);
        t->ndim = (int)ndim;
        t->numel = 1;
        for (uint32_t k = 0; k < ndim; k++) {
            if (!read_u32(fp, &t->dims[k]) || t->dims[k] > 100000)
                fail_msg("%s: %s: bad dimension", path, t->name);
            t->numel *= t->dims[k];
        }
        t->data = malloc((t->numel ? t->numel : 1) * sizeof(float));
        assert_non_null(t->data);
        for (size_t k = 0; k < t->numel; k++) {
            uint32_t bits = 0;
            if (!read_u32(fp, &bits))
                fail_msg("%s: %s: truncated data", path, t->name);
            memcpy(&t->data[k], &bits, sizeof bits);
        }
        f->n = (int)i + 1;
    }
    fclose(fp);
}

static const fx_tensor *find(const fixture *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, name))
            return &f->t[i];
    return NULL;
}

static const float *need(const fixture *f, const char *name, size_t numel)
{
    const fx_tensor *t = find(f, name);
    if (!t)
        fail_msg("fixture has no tensor '%s'", name);
    if (t->numel != numel)
        fail_msg("fixture tensor '%s' has %zu elements, expected %zu", name, t->numel, numel);
    return t->data;
}

/* ---------------------------------------------------------------------- */
/* Comparison */

/* Counts the elements with |a-b| > ATOL + RTOL |b| (NaN counts); when there
 * are any, writes a report of the worst one (largest excess over its
 * tolerance) and of the max errors into msg. */
static size_t compare(const char *fx, const char *what, const float *a, const float *b, size_t n,
                      char *msg, size_t cap)
{
    double max_abs = 0, max_rel = 0, worst_excess = 0;
    size_t worst = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        double rel = d / fmax(fabs((double)b[i]), 1e-30);
        double excess = d - (ATOL + RTOL * fabs((double)b[i]));
        max_abs = fmax(max_abs, d);
        max_rel = fmax(max_rel, rel);
        if (!(excess <= 0)) {
            if (bad == 0 || excess > worst_excess || isnan(excess)) {
                worst_excess = excess;
                worst = i;
            }
            bad++;
        }
    }
    if (bad)
        snprintf(msg, cap,
                 "%s: %s: %zu of %zu elements off; worst [%zu] ours %.9g torch %.9g; "
                 "max abs err %.3g, max rel err %.3g",
                 fx, what, bad, n, worst, (double)a[worst], (double)b[worst], max_abs, max_rel);
    return bad;
}

static void check_close(const char *fx, const char *what, const float *a, const float *b, size_t n)
{
    char msg[512];
    if (compare(fx, what, a, b, n, msg, sizeof msg))
        fail_msg("%s", msg);
}

/* ---------------------------------------------------------------------- */

static void test_matches_pytorch(void **state)
{
    const char *name = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/reference/fixtures/%s.bin", RNNKIT_SOURCE_DIR, name);
    fixture f;
    fixture_load(path, &f);
    const int T = (int)f.T, B = (int)f.B, E = (int)f.E, H = (int)f.H, L = (int)f.L,
              D = (int)f.D;
    const size_t TB = (size_t)T * B, S = (size_t)L * D * B * H;
    const int lstm = f.cell == RNNKIT_CELL_LSTM;

    rnnkit__params p;
    rnnkit__params_init(&p);
    rnnkit__rnn *rnn = NULL;
    rnnkit_error err;
    rnnkit__rnn_config cfg = {.cell = (rnnkit_cell)f.cell, .input_size = E, .hidden_size = H,
                             .num_layers = L, .bidirectional = D == 2, .dropout = 0.0f};
    assert_int_equal(rnnkit__rnn_create(&cfg, &p, "rnn", &rnn, &err), RNNKIT_OK);
    assert_int_equal(rnnkit__params_alloc(&p, &err), RNNKIT_OK);

    /* Every one of our tensors comes from the fixture by name, with its shape. */
    for (int i = 0; i < p.nviews; i++) {
        const rnnkit__param_view *v = &p.views[i];
        const fx_tensor *t = find(&f, v->name);
        if (!t)
            fail_msg("%s: fixture lacks weight '%s'", name, v->name);
        if (t->ndim != v->ndim || (int64_t)t->dims[0] != v->shape[0] ||
            (v->ndim == 2 && (int64_t)t->dims[1] != v->shape[1]))
            fail_msg("%s: '%s' has torch shape [%u][%u], ours [%lld][%lld]", name, v->name,
                     t->dims[0], t->ndim > 1 ? t->dims[1] : 0, (long long)v->shape[0],
                     (long long)(v->ndim > 1 ? v->shape[1] : 0));
        memcpy(p.value + v->offset, t->data, v->numel * sizeof(float));
    }
    float *init = malloc(p.count * sizeof(float));
    assert_non_null(init);
    memcpy(init, p.value, p.count * sizeof(float));

    const float *x = need(&f, "x", TB * E), *mask = need(&f, "mask", TB);
    const float *h0 = f.has_h0 ? need(&f, "h0", S) : NULL;
    const float *c0 = f.has_h0 && lstm ? need(&f, "c0", S) : NULL;
    const float *r = need(&f, "r", TB * D * H), *q = need(&f, "q", S);
    const float *s = lstm ? need(&f, "s", S) : NULL;

    float *hn = malloc(S * sizeof(float)), *cn = malloc(S * sizeof(float));
    float *dx = malloc(TB * E * sizeof(float)), *dh0 = malloc(S * sizeof(float));
    float *dc0 = malloc(S * sizeof(float));
    assert_true(hn && cn && dx && dh0 && dc0);

    /* Forward. */
    const float *y = NULL;
    assert_int_equal(rnnkit__rnn_forward(rnn, T, B, x, mask, h0, c0, 1, NULL, &y, hn, cn, &err),
                     RNNKIT_OK);
    check_close(name, "y", y, need(&f, "y", TB * D * H), TB * D * H);
    check_close(name, "hn", hn, need(&f, "hn", S), S);
    if (lstm)
        check_close(name, "cn", cn, need(&f, "cn", S), S);

    /* Backward: dL/dy = r, dL/dhn = q, dL/dcn = s. */
    rnnkit__params_zero_grad(&p);
    assert_int_equal(rnnkit__rnn_backward(rnn, r, q, s, dx, dh0, dc0, &err), RNNKIT_OK);
    for (int i = 0; i < p.nviews; i++) {
        const rnnkit__param_view *v = &p.views[i];
        char gname[128], what[128];
        snprintf(gname, sizeof gname, "grad/%s", v->name);
        snprintf(what, sizeof what, "d %s", v->name);
        check_close(name, what, p.grad + v->offset, need(&f, gname, v->numel), v->numel);
    }
    check_close(name, "dx", dx, need(&f, "grad/x", TB * E), TB * E);
    if (h0)
        check_close(name, "dh0", dh0, need(&f, "grad/h0", S), S);
    if (c0)
        check_close(name, "dc0", dc0, need(&f, "grad/c0", S), S);

    /* Three Adam steps from the fixture's weights, the loss recomputed each time. */
    memcpy(p.value, init, p.count * sizeof(float));
    rnnkit__optim opt;
    assert_int_equal(rnnkit__optim_init(&opt, RNNKIT_OPT_ADAM, 1e-2f, p.count, &err), RNNKIT_OK);
    for (int step = 0; step < 3; step++) {
        rnnkit__params_zero_grad(&p);
        assert_int_equal(rnnkit__rnn_forward(rnn, T, B, x, mask, h0, c0, 1, NULL, &y, NULL, NULL,
                                            &err),
                         RNNKIT_OK);
        assert_int_equal(rnnkit__rnn_backward(rnn, r, q, s, NULL, NULL, NULL, &err), RNNKIT_OK);
        rnnkit__optim_step(&opt, p.value, p.grad, NULL);
    }
    for (int i = 0; i < p.nviews; i++) {
        const rnnkit__param_view *v = &p.views[i];
        char aname[128], what[128];
        snprintf(aname, sizeof aname, "adam3/%s", v->name);
        snprintf(what, sizeof what, "%s after 3 Adam steps", v->name);
        check_close(name, what, p.value + v->offset, need(&f, aname, v->numel), v->numel);
    }

    rnnkit__optim_free(&opt);
    free(init);
    free(hn);
    free(cn);
    free(dx);
    free(dh0);
    free(dc0);
    rnnkit__rnn_free(rnn);
    rnnkit__params_free(&p);
    fixture_free(&f);
}

/* The comparison itself must be able to fail. */
static void test_comparison_flags_errors_beyond_tolerance(void **state)
{
    (void)state;
    char msg[512];
    const float ref[3] = {1.0f, -2.0f, 0.0f};
    const float ok[3] = {1.0f + 9e-6f, -2.0f, 9e-7f};
    assert_int_equal(compare("self", "within", ok, ref, 3, msg, sizeof msg), 0);
    const float off[3] = {1.0f, -2.0f - 4e-5f, 0.0f};
    assert_int_equal(compare("self", "beyond", off, ref, 3, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "worst [1]"));
    const float nan[3] = {1.0f, NAN, 0.0f};
    assert_int_equal(compare("self", "nan", nan, ref, 3, msg, sizeof msg), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_matches_pytorch, "lstm_post_h0"),
        cmocka_unit_test_prestate(test_matches_pytorch, "lstm_pre"),
        cmocka_unit_test_prestate(test_matches_pytorch, "gru_post"),
        cmocka_unit_test_prestate(test_matches_pytorch, "gru_pre_h0"),
        cmocka_unit_test_prestate(test_matches_pytorch, "rnn_post_h0"),
        cmocka_unit_test_prestate(test_matches_pytorch, "rnn_pre"),
        cmocka_unit_test(test_comparison_flags_errors_beyond_tolerance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
