/*
 * tests/test_int8file.c: int8 model files (rnnkit_model_save_int8,
 * model/int8file.c): every float scale has a fixed point near it whose
 * dequantized rows quantize back to themselves (the argument of
 * model/quant.c, checked over every significand); classifiers (LSTM
 * bidirectional, GRU, RNN, an ensemble) written as int8 and loaded predict
 * bit for bit as their fp32 model with each weight matrix replaced by the
 * file's dequantized values and int8 prediction on, the int8 copies hold
 * the file's values exactly, and saving again writes them again; an
 * embedding-dominated classifier's file is under a third of its fp32 one;
 * damaged int8 tensors, bad scales and wrong dtypes are errors naming the
 * file and tensor; training, --init and resume from such a file are
 * refused, as are int8 files of generators and forecasters and safetensors
 * of an int8 model; a failed write leaves the file already there as it was.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/hash.h"
#include "model/modeldb.h"
#include "model/quant_internal.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-int8file-XXXXXX");
}

/* ---------------------------------------------------------------------- */
/* Scales */

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t to_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* Every significand (s in [1, 2)) reaches a fixed point of s -> fl(fl(127 s)
 * / 127) within RNNKIT__QSCALE_STEPS steps, a few units in the last place
 * away. Whether s is one depends on its significand alone while s and 127 s
 * are normal, so this covers every scale of [FLT_MIN, FLT_MAX / 127]. Then
 * rows holding every int8 value (-127..127) at such scales, at the extremes
 * of that range and between, quantize back from their dequantized values to
 * the same values and scale (the rest of the argument in model/quant.c). */
static void test_every_scale_has_a_fixed_point_that_comes_back(void **state)
{
    (void)state;
    uint32_t moved = 0, farthest = 0;
    for (uint32_t m = 0; m < (1u << 23); m++) {
        const float s = from_bits(0x3f800000u | m), f = rnnkit__qscale_fixed(s);
        const float back = (127.0f * f) / 127.0f;
        if (to_bits(back) != to_bits(f))
            fail_msg("scale %a: %a after %d steps is no fixed point", (double)s, (double)f, RNNKIT__QSCALE_STEPS);
        const uint32_t d = to_bits(f) > to_bits(s) ? to_bits(f) - to_bits(s) : to_bits(s) - to_bits(f);
        moved += d != 0;
        farthest = d > farthest ? d : farthest;
    }
    print_message("scales: %u of 2^23 significands moved to a fixed point, by at most %u ulp\n", moved, farthest);
    assert_true(farthest <= 4);
    assert_true(rnnkit__qscale_fixed(0.0f) == 0.0f);

    int8_t q[255], q2[255];
    float y[255];
    for (int k = 0; k < 255; k++)
        q[k] = (int8_t)(k - 127);
    const float bases[] = {FLT_MIN, 0x1p-100f, 0x1p-20f, 1.0f, 0x1p20f, 0x1p100f, FLT_MAX / 256.0f};
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++)
        for (uint32_t m = 0; m < (1u << 23); m += 997) {
            const float s = rnnkit__qscale_fixed(bases[b] * from_bits(0x3f800000u | m));
            for (int k = 0; k < 255; k++)
                y[k] = (float)q[k] * s;
            const float s2 = rnnkit__quantize_row(255, y, q2);
            if (to_bits(s2) != to_bits(s) || memcmp(q, q2, sizeof q))
                fail_msg("scale %a: its row comes back with scale %a", (double)s, (double)s2);
        }
    /* below 127 FLT_MIN a row counts as zero (its scale would be subnormal) */
    const float tiny[3] = {1e-37f, -3e-38f, 0.0f};
    assert_true(rnnkit__quantize_row(3, tiny, q2) == 0.0f);
    assert_true(q2[0] == 0 && q2[1] == 0 && q2[2] == 0);
}

/* ---------------------------------------------------------------------- */
/* Models and files */

static const char *const labels[] = {"neg", "pos", "mixed"};

/* A classifier over a vocabulary of `words` made-up words. */
static rnnkit_model *classifier(rnnkit_cell cell, int bidi, int layers, int members, int words, int embed, int hidden,
                                uint64_t seed)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.cell = cell;
    c.embed = embed;
    c.hidden = hidden;
    c.layers = layers;
    c.bidirectional = bidi;
    c.members = members;
    c.pool = RNNKIT_POOL_MAX;
    char *text = malloc((size_t)words * 12 + 1);
    assert_non_null(text);
    size_t n = 0;
    for (int i = 0; i < words; i++)
        n += (size_t)sprintf(text + n, "w%d ", i);
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, text, "test");
    free(text);
    return support_model(&c, v, labels, 3, seed);
}

/* NDOCS documents of 1..LMAX random ids of m's vocabulary, random labels. */
enum { NDOCS = 64, LMAX = 12 };
typedef struct docs {
    size_t off[NDOCS + 1];
    int32_t ids[NDOCS * LMAX], label[NDOCS];
} docs;

static rnnkit_dataset make_docs(docs *d, rnnkit_model *m, uint64_t seed)
{
    const int64_t V = rnnkit_vocab_size(rnnkit_model_vocab(m));
    rnnkit_rng r;
    rnnkit_rng_seed(&r, seed);
    size_t pos = 0;
    for (int i = 0; i < NDOCS; i++) {
        d->off[i] = pos;
        const int len = 1 + (int)rnnkit_rng_below(&r, LMAX);
        for (int t = 0; t < len; t++)
            d->ids[pos++] = 2 + (int32_t)rnnkit_rng_below(&r, (uint64_t)(V - 2));
        d->label[i] = (int32_t)rnnkit_rng_below(&r, 3);
    }
    d->off[NDOCS] = pos;
    return (rnnkit_dataset){.n = NDOCS, .off = d->off, .ids = d->ids, .label = d->label};
}

static rnnkit_model *load(const char *path)
{
    rnnkit_model *m = NULL;
    rnnkit_error err;
    if (rnnkit_model_load(path, RNNKIT_TASK_CLASSIFY, &m, &err))
        fail_msg("%s", err.msg);
    return m;
}

/* The data of tensor `name` in the model file at path (malloc'd; *n bytes),
 * which must have dtype `dtype`. */
static void *file_tensor(const char *path, const char *name, const char *dtype, size_t *n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT dtype, data FROM tensors WHERE name = ?", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        fail_msg("%s: no tensor '%s'", path, name);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), dtype);
    *n = (size_t)sqlite3_column_bytes(s, 1);
    void *p = malloc(*n + 1);
    assert_non_null(p);
    memcpy(p, sqlite3_column_blob(s, 1), *n);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return p;
}

/* Matrix v of member k in the int8 file at path: its values q [R*C] and
 * scales s [R] (malloc'd). */
static void file_matrix(const char *path, int k, const rnnkit__param_view *v, int8_t **q, float **s)
{
    char buf[160], sname[200];
    const char *name = rnnkit__member_name(buf, sizeof buf, k, v->name);
    snprintf(sname, sizeof sname, "%s_scale", name);
    size_t nq, ns;
    *q = file_tensor(path, name, "i8", &nq);
    *s = file_tensor(path, sname, "f32", &ns);
    assert_int_equal(nq, v->numel);
    assert_int_equal(ns, (size_t)v->shape[0] * sizeof(float));
}

/* Every weight matrix of every member of m replaced by the int8 file's
 * dequantized values, q * scale. */
static void dequantize_into(rnnkit_model *m, const char *path)
{
    for (int k = 0; k < m->members; k++)
        for (int i = 0; i < m->params.nviews; i++) {
            const rnnkit__param_view *v = &m->params.views[i];
            if (v->ndim != 2)
                continue;
            int8_t *q;
            float *s;
            file_matrix(path, k, v, &q, &s);
            const size_t C = (size_t)v->shape[1];
            for (size_t j = 0; j < v->numel; j++)
                m->mw[k][v->offset + j] = (float)q[j] * s[j / C];
            free(q);
            free(s);
        }
    rnnkit__model_weights_changed(m);
}

/* Quantizing each row of m (loaded from the int8 file at path) again gives
 * the file's values and scale, for every matrix of every member: those int8
 * prediction quantizes, and the embedding and first input weights alike. */
static void assert_rows_come_back(rnnkit_model *m, const char *path)
{
    for (int k = 0; k < m->members; k++)
        for (int i = 0; i < m->params.nviews; i++) {
            const rnnkit__param_view *v = &m->params.views[i];
            if (v->ndim != 2)
                continue;
            int8_t *q, *q2 = malloc((size_t)v->shape[1]);
            float *s;
            assert_non_null(q2);
            file_matrix(path, k, v, &q, &s);
            const size_t C = (size_t)v->shape[1];
            for (size_t r = 0; r < (size_t)v->shape[0]; r++) {
                const float s2 = rnnkit__quantize_row(C, m->mw[k] + v->offset + r * C, q2);
                if (to_bits(s2) != to_bits(s[r]) || memcmp(q2, q + r * C, C))
                    fail_msg("member %d %s row %zu: scale %a, again %a", k, v->name, r, (double)s[r], (double)s2);
            }
            free(q);
            free(q2);
            free(s);
        }
}

/* q[n][k] of a packed qmat (quant_internal.h's layout). */
static int qw_at(const rnnkit__qmat *w, int n, int k)
{
    return w->q[((size_t)(n / 16) * (size_t)(w->Kp / 4) + (size_t)(k / 4)) * 64 + (size_t)(n % 16) * 4 +
                (size_t)(k % 4)];
}

/* The int8 copy w of matrix `name` holds the int8 file's values and scales. */
static void assert_copy_is_the_file(const rnnkit_model *m, const rnnkit__qmat *w, const char *name, const char *path)
{
    const rnnkit__param_view *v = rnnkit__params_find(&m->params, name);
    assert_non_null(v);
    int8_t *q;
    float *s;
    file_matrix(path, 0, v, &q, &s);
    assert_int_equal(w->N, (int)v->shape[0]);
    assert_int_equal(w->K, (int)v->shape[1]);
    for (int n = 0; n < w->N; n++) {
        assert_int_equal(to_bits(w->scale[n]), to_bits(s[n]));
        for (int k = 0; k < w->K; k++)
            assert_int_equal(qw_at(w, n, k), q[(size_t)n * (size_t)w->K + (size_t)k]);
    }
    free(q);
    free(s);
}

/* A single network's int8 copies, after a prediction: the file's values. */
static void assert_copies_are_the_file(const rnnkit_model *m, const char *path)
{
    const int D = m->cfg.bidirectional ? 2 : 1;
    char name[64];
    assert_true(m->int8 && m->q_valid);
    for (int l = 0; l < m->cfg.layers; l++)
        for (int d = 0; d < D; d++) {
            snprintf(name, sizeof name, "rnn.weight_hh_l%d%s", l, d ? "_reverse" : "");
            assert_copy_is_the_file(m, &m->q_hh[l * D + d], name, path);
            if (l > 0) {
                snprintf(name, sizeof name, "rnn.weight_ih_l%d%s", l, d ? "_reverse" : "");
                assert_copy_is_the_file(m, &m->q_ih[l * D + d], name, path);
            }
        }
    assert_copy_is_the_file(m, &m->q_fc, "fc.weight", path);
}

/* ---------------------------------------------------------------------- */
/* Round trips */

/* The int8 file predicts as its dequantized weights with int8 on, bit for
 * bit; those weights quantize back to the file; saved again, the same. */
static void test_int8_file_predicts_as_its_dequantized_weights(void **state)
{
    (void)state;
    static const struct {
        rnnkit_cell cell;
        int bidi, layers, members;
    } cases[] = {{RNNKIT_CELL_LSTM, 1, 2, 1}, {RNNKIT_CELL_GRU, 0, 2, 1}, {RNNKIT_CELL_RNN, 1, 1, 1},
                 {RNNKIT_CELL_LSTM, 1, 2, 2}};
    static float p8[NDOCS * 3], pr[NDOCS * 3], pa[NDOCS * 3];
    rnnkit_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rnnkit_model *m = classifier(cases[i].cell, cases[i].bidi, cases[i].layers, cases[i].members, 40, 12, 10,
                                     5 + i);
        /* a row of fc.weight below 127 FLT_MIN: quantized as a zero row */
        float *fc = rnnkit_model_weights(m) + rnnkit__params_find(&m->params, "fc.weight")->offset;
        for (int c = 0; c < m->C; c++)
            fc[c] = c % 2 ? 1e-37f : -3e-38f;
        assert_int_equal(rnnkit_model_save(m, support_tmp("f.db"), &err), RNNKIT_OK);
        if (rnnkit_model_save_int8(m, support_tmp("q.db"), &err))
            fail_msg("%s", err.msg);
        docs dd;
        rnnkit_dataset d = make_docs(&dd, m, 77 + i);

        rnnkit_model *q = load(support_tmp("q.db"));
        assert_int_equal(rnnkit_model_quantized(q), 1);
        assert_int_equal(rnnkit_model_int8(q), 1);
        assert_int_equal(rnnkit_model_num_members(q), cases[i].members);
        assert_int_equal(rnnkit_classifier_predict(q, &d, 0, 1, p8, &err), RNNKIT_OK);
        if (cases[i].members == 1)
            assert_copies_are_the_file(q, support_tmp("q.db"));

        rnnkit_model *ref = load(support_tmp("f.db"));
        assert_int_equal(rnnkit_model_quantized(ref), 0);
        dequantize_into(ref, support_tmp("q.db"));
        for (int k = 0; k < ref->members; k++)
            assert_memory_equal(ref->mw[k], q->mw[k], ref->params.count * sizeof(float));
        assert_int_equal(rnnkit_model_set_int8(ref, 1, &err), RNNKIT_OK);
        assert_int_equal(rnnkit_classifier_predict(ref, &d, 0, 1, pr, &err), RNNKIT_OK);
        assert_memory_equal(p8, pr, sizeof p8);
        assert_rows_come_back(q, support_tmp("q.db"));

        /* the same documents one by one, and an evaluation, run too */
        double loss, acc;
        assert_int_equal(rnnkit_classifier_evaluate(q, &d, 0, 1, &loss, &acc, &err), RNNKIT_OK);
        assert_true(isfinite(loss));
        /* saved again (rnnkit_model_save keeps it int8): the same weights */
        assert_int_equal(rnnkit_model_save(q, support_tmp("q2.db"), &err), RNNKIT_OK);
        rnnkit_model *again = load(support_tmp("q2.db"));
        assert_int_equal(rnnkit_model_quantized(again), 1);
        for (int k = 0; k < q->members; k++)
            assert_memory_equal(again->mw[k], q->mw[k], q->params.count * sizeof(float));
        assert_int_equal(rnnkit_classifier_predict(again, &d, 0, 1, pa, &err), RNNKIT_OK);
        assert_memory_equal(pa, p8, sizeof p8);
        rnnkit_model_free(again);
        rnnkit_model_free(ref);
        rnnkit_model_free(q);
        rnnkit_model_free(m);
    }
}

static long long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long long)st.st_size;
}

/* An embedding-dominated classifier (3000 words x 256, one small layer):
 * the int8 file takes under a third of the fp32 file's bytes. The
 * embedding's 4E bytes a row become E + 4 (over a quarter); the
 * vocabulary tables, the same in both files, make up most of the rest. */
static void test_an_embedding_heavy_file_is_under_a_third_of_fp32(void **state)
{
    (void)state;
    rnnkit_model *m = classifier(RNNKIT_CELL_LSTM, 0, 1, 1, 3000, 256, 16, 3);
    rnnkit_error err;
    assert_int_equal(rnnkit_model_save(m, support_tmp("big.db"), &err), RNNKIT_OK);
    assert_int_equal(rnnkit_model_save_int8(m, support_tmp("big8.db"), &err), RNNKIT_OK);
    const long long f = file_size(support_tmp("big.db")), q = file_size(support_tmp("big8.db"));
    const double ratio = (double)q / (double)f;
    print_message("3002 x 256 embedding, LSTM 16: fp32 file %lld bytes, int8 file %lld bytes (%.1f %%)\n", f, q,
                  100.0 * ratio);
    assert_true(ratio > 0.25 && ratio < 0.31);
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Untrusted files */

/* Writes the n bytes at `bytes` into tensor `name` of the file at path, at
 * byte offset `at`, and stores the new checksum: only the checks of the
 * values can refuse the file. */
static void poke_tensor(const char *path, const char *name, size_t at, const void *bytes, size_t n)
{
    size_t len;
    char *data = file_tensor(path, name, strstr(name, "_scale") || !strstr(name, "weight") ? "f32" : "i8", &len);
    assert_true(at + n <= len);
    memcpy(data + at, bytes, n);
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, rnnkit__fnv1a64(data, len));
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE tensors SET data = ?, fnv1a64 = ? WHERE name = ?", -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(s, 1, data, (int)len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
    free(data);
}

/* A copy of q.db with `bytes` poked into tensor `name` must fail to load
 * with RNNKIT_ERR_CORRUPT and a message holding `needle`. */
static void expect_poked(const char *name, size_t at, const void *bytes, size_t n, const char *needle)
{
    support_copy_file(support_tmp("q.db"), support_tmp("poked.db"));
    poke_tensor(support_tmp("poked.db"), name, at, bytes, n);
    support_expect_load_error(support_tmp("poked.db"), RNNKIT_ERR_CORRUPT, needle);
}

static void test_damaged_int8_files_are_rejected_with_a_reason(void **state)
{
    (void)state;
    rnnkit_model *m = classifier(RNNKIT_CELL_LSTM, 1, 2, 1, 20, 8, 6, 9);
    assert_int_equal(rnnkit_model_save_int8(m, support_tmp("q.db"), NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_save(m, support_tmp("f.db"), NULL), RNNKIT_OK);
    rnnkit_model_free(m);

    /* checksums, sizes, dtypes, shapes, presence: as for f32 tensors */
    support_expect_tampered("q.db", "UPDATE tensors SET data = zeroblob(length(data)) WHERE name = 'rnn.weight_hh_l1'",
                            RNNKIT_ERR_CORRUPT, "'rnn.weight_hh_l1' fails its checksum");
    support_expect_tampered("q.db", "UPDATE tensors SET data = substr(data, 1, 8) WHERE name = 'embedding.weight'",
                            RNNKIT_ERR_CORRUPT, "'embedding.weight' holds 8 bytes");
    support_expect_tampered("q.db", "UPDATE tensors SET data = substr(data, 1, 4) WHERE name = 'fc.weight_scale'",
                            RNNKIT_ERR_CORRUPT, "'fc.weight_scale' holds 4 bytes");
    support_expect_tampered("q.db", "UPDATE tensors SET dtype = 'f32' WHERE name = 'fc.weight'", RNNKIT_ERR_CORRUPT,
                            "'fc.weight' has dtype 'f32', expected i8");
    support_expect_tampered("q.db", "UPDATE tensors SET dtype = 'i8' WHERE name = 'rnn.weight_ih_l0_scale'",
                            RNNKIT_ERR_CORRUPT, "'rnn.weight_ih_l0_scale' has dtype 'i8', expected f32");
    support_expect_tampered("q.db", "UPDATE tensors SET dtype = 'i8' WHERE name = 'fc.bias'", RNNKIT_ERR_CORRUPT,
                            "'fc.bias' has dtype 'i8', expected f32");
    support_expect_tampered("q.db", "UPDATE tensors SET shape = '5' WHERE name = 'fc.weight_scale'", RNNKIT_ERR_SHAPE,
                            "fc.weight_scale");
    support_expect_tampered("q.db", "DELETE FROM tensors WHERE name = 'embedding.weight_scale'", RNNKIT_ERR_CORRUPT,
                            "'embedding.weight_scale' is missing");
    support_expect_tampered("q.db", "INSERT INTO tensors SELECT 'x', dtype, shape, data, fnv1a64 FROM tensors "
                            "WHERE name = 'fc.bias'", RNNKIT_ERR_CORRUPT, "tensors stored");
    /* the key: another value; gone (the int8 tensors are then of the wrong dtype); on an fp32 file */
    support_expect_tampered("q.db", "UPDATE model_meta SET value = 'int4' WHERE key = 'quantized'", RNNKIT_ERR_CORRUPT,
                            "'quantized' = 'int4'");
    support_expect_tampered("q.db", "DELETE FROM model_meta WHERE key = 'quantized'", RNNKIT_ERR_CORRUPT,
                            "has dtype 'i8', expected f32");
    support_expect_tampered("f.db", "INSERT INTO model_meta VALUES('quantized', 'int8')", RNNKIT_ERR_CORRUPT,
                            "has dtype 'f32', expected i8");

    /* values the checksum passes: -128, and scales negative, -0, NaN,
     * infinite or so large that 127 times them overflows */
    const int8_t lowest = INT8_MIN;
    expect_poked("rnn.weight_hh_l0_reverse", 5, &lowest, 1, "'rnn.weight_hh_l0_reverse' holds -128 at index 5");
    const float bad[] = {-1.0f, -0.0f, NAN, INFINITY, FLT_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_poked("fc.weight_scale", sizeof(float), &bad[i], sizeof(float), "'fc.weight_scale' row 1 has scale");
    const float nan = NAN;
    expect_poked("fc.bias", 0, &nan, sizeof nan, "'fc.bias' holds NaN");

    /* a generator's file saying it is int8 */
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 4;
    c.hidden = 4;
    rnnkit_model *g = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, "abcd", "test"), NULL, 0, 1);
    assert_int_equal(rnnkit_model_save(g, support_tmp("g.db"), NULL), RNNKIT_OK);
    rnnkit_model_free(g);
    support_expect_tampered("g.db", "INSERT INTO model_meta VALUES('quantized', 'int8')", RNNKIT_ERR_CORRUPT,
                            "int8 weights are for classifiers, but the file holds a generator");
}

/* ---------------------------------------------------------------------- */
/* What an int8 model does not do */

static void expect_refused(rnnkit_status st, const rnnkit_error *err, rnnkit_status want, const char *a,
                           const char *b)
{
    if (st != want || !strstr(err->msg, a) || (b && !strstr(err->msg, b)))
        fail_msg("want status %d with '%s' and '%s', got %d: %s", want, a, b ? b : "", st, err->msg);
}

static void test_training_from_an_int8_file_is_refused(void **state)
{
    (void)state;
    rnnkit_model *m = classifier(RNNKIT_CELL_GRU, 1, 1, 1, 30, 8, 6, 4);
    assert_int_equal(rnnkit_model_save_int8(m, support_tmp("q.db"), NULL), RNNKIT_OK);
    docs dd;
    rnnkit_dataset d = make_docs(&dd, m, 5);
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 1;
    o.train.batch = 8;
    rnnkit_error err;
    const char *why = "int8 weights for prediction only; train from the fp32 model";

    /* the model loaded from it */
    rnnkit_model *q = load(support_tmp("q.db"));
    expect_refused(rnnkit_classifier_train(q, &d, NULL, &o, NULL, NULL, &err), &err, RNNKIT_ERR_ARG, why, NULL);
    rnnkit_model_free(q);
    /* carried on from it (--init): nothing written */
    o.train.init_path = support_tmp("q.db");
    o.train.checkpoint_path = support_tmp("carried.db");
    expect_refused(rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err), &err, RNNKIT_ERR_ARG, why,
                   support_tmp("q.db"));
    assert_int_equal(access(support_tmp("carried.db"), F_OK), -1);
    /* resumed from it: the file as it was */
    size_t n0, n1;
    unsigned char *before = support_read_file(support_tmp("q.db"), &n0);
    o.train.init_path = NULL;
    o.train.checkpoint_path = support_tmp("q.db");
    o.train.resume = 1;
    expect_refused(rnnkit_classifier_train(m, &d, NULL, &o, NULL, NULL, &err), &err, RNNKIT_ERR_ARG, why,
                   support_tmp("q.db"));
    unsigned char *after = support_read_file(support_tmp("q.db"), &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    /* and it has no checkpoint to show */
    rnnkit_checkpoint_info info;
    expect_refused(rnnkit_checkpoint_info_read(support_tmp("q.db"), &info, &err), &err, RNNKIT_ERR_ARG, why,
                   support_tmp("q.db"));
    rnnkit_model_free(m);
}

static void test_int8_is_for_classifiers_and_not_for_safetensors(void **state)
{
    (void)state;
    rnnkit_error err;
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 4;
    c.hidden = 4;
    rnnkit_model *g = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, "abcd", "test"), NULL, 0, 1);
    expect_refused(rnnkit_model_save_int8(g, support_tmp("g8.db"), &err), &err, RNNKIT_ERR_ARG,
                   "an int8 model file is for classifiers (this model is a generator)", "g8.db");
    rnnkit_model_free(g);
    rnnkit_model_config_default(&c, RNNKIT_TASK_FORECAST);
    rnnkit_model *f = NULL;
    assert_int_equal(rnnkit_model_create(&c, NULL, NULL, 0, 1, &f, &err), RNNKIT_OK);
    expect_refused(rnnkit_model_save_int8(f, support_tmp("f8.db"), &err), &err, RNNKIT_ERR_ARG,
                   "(this model is a forecaster)", NULL);
    rnnkit_model_free(f);
    assert_int_equal(access(support_tmp("g8.db"), F_OK), -1);
    assert_int_equal(access(support_tmp("f8.db"), F_OK), -1);

    rnnkit_model *m = classifier(RNNKIT_CELL_RNN, 0, 1, 1, 10, 4, 4, 2);
    assert_int_equal(rnnkit_model_save_int8(m, support_tmp("q.db"), NULL), RNNKIT_OK);
    rnnkit_model_free(m);
    rnnkit_model *q = load(support_tmp("q.db"));
    expect_refused(rnnkit_model_export_safetensors(q, support_tmp("q.st"), &err), &err, RNNKIT_ERR_ARG,
                   "holds int8 weights for prediction only", "q.st");
    assert_int_equal(access(support_tmp("q.st"), F_OK), -1);
    rnnkit_model_free(q);
}

/* A write that fails (NaN weights; the file-size limit; a generator) leaves
 * the file already at the path byte for byte as it was, and no temporary
 * file. */
static void test_failed_int8_save_leaves_the_old_file(void **state)
{
    (void)state;
    rnnkit_error err;
    rnnkit_model *old = classifier(RNNKIT_CELL_LSTM, 1, 1, 1, 200, 16, 8, 1);
    const char *path = support_tmp("out.db");
    assert_int_equal(rnnkit_model_save_int8(old, path, &err), RNNKIT_OK);
    size_t n0, n1;
    unsigned char *before = support_read_file(path, &n0);
    assert_true(n0 > 8192); /* the limit below is really in the way */

    rnnkit_model *m = classifier(RNNKIT_CELL_GRU, 0, 1, 1, 20, 8, 6, 2);
    rnnkit_model_weights(m)[rnnkit__params_find(&m->params, "rnn.weight_hh_l0")->offset + 13] = NAN;
    expect_refused(rnnkit_model_save_int8(m, path, &err), &err, RNNKIT_ERR_NUMERIC,
                   "'rnn.weight_hh_l0' row 2 holds NaN or Inf", path); /* 13 = 2 x 6 + 1 */
    rnnkit_model_weights(m)[rnnkit__params_find(&m->params, "rnn.weight_hh_l0")->offset + 13] = 0.0f;

    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = 8192;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of a signal */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rnnkit_status st = rnnkit_model_save_int8(old, path, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, prev);
    assert_int_not_equal(st, RNNKIT_OK);
    assert_non_null(strstr(err.msg, path));

    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 4;
    c.hidden = 4;
    rnnkit_model *g = support_model(&c, support_vocab(RNNKIT_LEVEL_CHAR, "abcd", "test"), NULL, 0, 1);
    assert_int_equal(rnnkit_model_save_int8(g, path, &err), RNNKIT_ERR_ARG);
    rnnkit_model_free(g);

    unsigned char *after = support_read_file(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    assert_int_equal(support_count_entries(support_tmpdir(), "out.db"), 1); /* no out.db.tmp-* left */
    rnnkit_model *l = load(path);
    assert_int_equal(rnnkit_model_quantized(l), 1);
    assert_int_equal(l->params.count, old->params.count);
    rnnkit_model_free(l);
    rnnkit_model_free(m);
    rnnkit_model_free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_scale_has_a_fixed_point_that_comes_back),
        cmocka_unit_test(test_int8_file_predicts_as_its_dequantized_weights),
        cmocka_unit_test(test_an_embedding_heavy_file_is_under_a_third_of_fp32),
        cmocka_unit_test(test_damaged_int8_files_are_rejected_with_a_reason),
        cmocka_unit_test(test_training_from_an_int8_file_is_refused),
        cmocka_unit_test(test_int8_is_for_classifiers_and_not_for_safetensors),
        cmocka_unit_test(test_failed_int8_save_leaves_the_old_file),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
