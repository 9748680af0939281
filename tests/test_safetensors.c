/*
 * tests/test_safetensors.c: the safetensors reader and writer (model/export.c)
 * against files written here by hand, byte by byte (8-byte little-endian
 * header length, JSON header, raw tensor bytes). It proves:
 *   - export then import gives bit-identical weights, and re-exporting the
 *     imported model gives a byte-identical file;
 *   - each dtype converts exactly: F32 bit for bit (-0, subnormals, FLT_MAX),
 *     F64 rounded to nearest-even (ties both ways, the smallest subnormal,
 *     underflow to zero), F16 (signed zeros, subnormals down to 2^-24, the
 *     largest normal 65504) and BF16 (the top half of a float);
 *   - NaN and Inf are refused in every dtype (F64 also when the value only
 *     overflows as a float), naming the tensor and the index;
 *   - a wrong shape, a missing tensor, an extra tensor, an unknown dtype,
 *     data_offsets that are reversed, out of range, of the wrong length or
 *     overlapping another tensor's, a truncated file, a header length past
 *     the end of the file, and malformed JSON are refused with a message
 *     naming the tensor or the byte offset;
 *   - a refused import leaves every weight of the model as it was;
 *   - rnnkit_safetensors_metadata reads back the configuration, in file
 *     order, with JSON escapes (\", \\, \uXXXX, surrogate pairs) decoded.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
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

#include "model/model_internal.h"
#include "rnnkit/model.h"
#include "rnnkit/vocab.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-st-XXXXXX");
}

/* ---------------------------------------------------------------------- */
/* Models */

static rnnkit_model *classifier(rnnkit_cell cell, int layers, int bidi, int embed, int hidden, uint64_t seed,
                                const char *const *labels)
{
    static const char *const plain[] = {"neg", "pos"};
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.cell = cell;
    c.embed = embed;
    c.hidden = hidden;
    c.layers = layers;
    c.bidirectional = bidi;
    c.pool = RNNKIT_POOL_MEAN;
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "good bad film plot", "test");
    return support_model(&c, v, labels ? labels : plain, 2, seed);
}

/* The small model most tests write files for: GRU, 1 layer, E 3, H 3.
 * Tensors: embedding.weight [V][3], rnn.{weight_ih,weight_hh}_l0 [9][3],
 * rnn.{bias_ih,bias_hh}_l0 [9], fc.weight [2][3], fc.bias [2]. */
static rnnkit_model *small(uint64_t seed) { return classifier(RNNKIT_CELL_GRU, 1, 0, 3, 3, seed, NULL); }

static float *snapshot(rnnkit_model *m)
{
    const rnnkit__params *p = rnnkit__model_params(m);
    float *s = malloc(p->count * sizeof *s);
    assert_non_null(s);
    memcpy(s, p->value, p->count * sizeof *s);
    return s;
}

/* ---------------------------------------------------------------------- */
/* Writing safetensors files by hand */

typedef struct st_tensor {
    char name[64];
    char dtype[8];
    int ndim;
    int64_t shape[8];
    unsigned char *data; /* owned */
    size_t nbytes;
    int64_t begin, end;  /* -1: back to back after the previous tensor */
} st_tensor;

typedef struct st_file {
    st_tensor t[32];
    int n;
    const char *meta; /* the __metadata__ object's JSON text, or NULL */
} st_file;

static void st_free(st_file *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->t[i].data);
    memset(f, 0, sizeof *f);
}

static st_tensor *st_add(st_file *f, const char *name, const char *dtype, int ndim, const int64_t *shape,
                         size_t nbytes)
{
    assert_true(f->n < 32);
    st_tensor *t = &f->t[f->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->dtype, sizeof t->dtype, "%s", dtype);
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    t->data = calloc(nbytes ? nbytes : 1, 1);
    assert_non_null(t->data);
    t->nbytes = nbytes;
    t->begin = t->end = -1;
    return t;
}

static st_tensor *st_find(st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, name))
            return &f->t[i];
    fail_msg("no tensor %s", name);
    return NULL;
}

static void st_remove(st_file *f, const char *name)
{
    st_tensor *t = st_find(f, name);
    free(t->data);
    int i = (int)(t - f->t);
    memmove(&f->t[i], &f->t[i + 1], (size_t)(f->n - i - 1) * sizeof *t);
    f->n--;
}

/* Writes the 8-byte length `hlen`, the header text, then `data`. */
static void write_raw(const char *path, uint64_t hlen, const char *header, size_t header_bytes,
                      const void *data, size_t dlen)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)(hlen >> (8 * i));
    assert_int_equal(fwrite(len8, 1, 8, fp), 8);
    if (header_bytes)
        assert_int_equal(fwrite(header, 1, header_bytes, fp), header_bytes);
    if (dlen)
        assert_int_equal(fwrite(data, 1, dlen, fp), dlen);
    assert_int_equal(fclose(fp), 0);
}

/* A file whose header is `header` (its true length) and whose data is dlen
 * zero bytes. */
static void write_header_only(const char *path, const char *header, size_t dlen)
{
    unsigned char *z = calloc(dlen ? dlen : 1, 1);
    assert_non_null(z);
    write_raw(path, strlen(header), header, strlen(header), z, dlen);
    free(z);
}

static void st_write(const char *path, const st_file *f)
{
    size_t cap = 65536, n = 0, total = 0;
    char *h = malloc(cap);
    assert_non_null(h);
#define H(...) (n += (size_t)snprintf(h + n, cap - n, __VA_ARGS__), assert_true(n < cap))
    H("{");
    if (f->meta)
        H("\"__metadata__\":%s", f->meta);
    size_t off = 0;
    for (int i = 0; i < f->n; i++) {
        const st_tensor *t = &f->t[i];
        H("%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", (f->meta || i) ? "," : "", t->name, t->dtype);
        for (int d = 0; d < t->ndim; d++)
            H("%s%lld", d ? "," : "", (long long)t->shape[d]);
        int64_t b = t->begin >= 0 ? t->begin : (int64_t)off, e = t->end >= 0 ? t->end : (int64_t)(off + t->nbytes);
        H("],\"data_offsets\":[%lld,%lld]}", (long long)b, (long long)e);
        off += t->nbytes;
    }
    H("}");
#undef H
    total = off;
    unsigned char *data = malloc(total ? total : 1);
    assert_non_null(data);
    off = 0;
    for (int i = 0; i < f->n; i++) {
        memcpy(data + off, f->t[i].data, f->t[i].nbytes);
        off += f->t[i].nbytes;
    }
    write_raw(path, n, h, n, data, total);
    free(data);
    free(h);
}

/* Every tensor of m (declared order, shapes of the model) with
 * elem_size-byte elements, zero; fill with st_fill_*. */
static void st_from_model(st_file *f, rnnkit_model *m, const char *dtype, size_t elem_size)
{
    memset(f, 0, sizeof *f);
    const rnnkit__params *p = rnnkit__model_params(m);
    for (int v = 0; v < p->nviews; v++) {
        const rnnkit__param_view *pv = &p->views[v];
        st_add(f, pv->name, dtype, pv->ndim, pv->shape, pv->numel * elem_size);
    }
}

/* ---------------------------------------------------------------------- */
/* Expectations */

static void expect_import_error(rnnkit_model *m, const char *path, rnnkit_status want, const char *needle)
{
    float *before = snapshot(m);
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_status st = rnnkit_model_import_safetensors(m, path, &err);
    if (st != want || !strstr(err.msg, needle))
        fail_msg("want status %d with \"%s\", got %d: %s", want, needle, st, err.msg);
    /* all or nothing: not one weight changed */
    const rnnkit__params *p = rnnkit__model_params(m);
    assert_memory_equal(before, p->value, p->count * sizeof(float));
    free(before);
}

/* The header is refused by the metadata reader too (it checks the whole
 * header), with the same status. */
static void expect_refused(rnnkit_model *m, const char *path, rnnkit_status want, const char *needle)
{
    char **k = (char **)1, **v = (char **)1;
    int n = -1;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_status st = rnnkit_safetensors_metadata(path, &k, &v, &n, &err);
    if (st != want || !strstr(err.msg, needle))
        fail_msg("metadata: want status %d with \"%s\", got %d: %s", want, needle, st, err.msg);
    assert_null(k);
    assert_null(v);
    assert_int_equal(n, 0);
    expect_import_error(m, path, want, needle);
}

static void assert_bits(float got, float want, const char *what, size_t i)
{
    uint32_t a, b;
    memcpy(&a, &got, 4);
    memcpy(&b, &want, 4);
    if (a != b)
        fail_msg("%s[%zu]: got %.9g (0x%08x), want %.9g (0x%08x)", what, i, (double)got, a, (double)want, b);
}

/* ---------------------------------------------------------------------- */
/* Round trip */

static void test_export_import_round_trip_is_bit_identical(void **state)
{
    (void)state;
    struct {
        rnnkit_cell cell;
        int layers, bidi;
    } shapes[] = {{RNNKIT_CELL_LSTM, 2, 1}, {RNNKIT_CELL_GRU, 1, 0}, {RNNKIT_CELL_RNN, 2, 0}};
    for (int s = 0; s < 3; s++) {
        rnnkit_model *a = classifier(shapes[s].cell, shapes[s].layers, shapes[s].bidi, 4, 5, 1, NULL);
        rnnkit_model *b = classifier(shapes[s].cell, shapes[s].layers, shapes[s].bidi, 4, 5, 2, NULL);
        const rnnkit__params *pa = rnnkit__model_params(a), *pb = rnnkit__model_params(b);
        assert_int_equal(pa->count, pb->count);
        assert_memory_not_equal(pa->value, pb->value, pa->count * sizeof(float));
        rnnkit_error err;
        if (rnnkit_model_export_safetensors(a, support_tmp("a.safetensors"), &err))
            fail_msg("%s", err.msg);
        if (rnnkit_model_import_safetensors(b, support_tmp("a.safetensors"), &err))
            fail_msg("%s", err.msg);
        /* the whole block, the alignment gaps between tensors included: an
         * import writes the tensors and nothing else */
        assert_memory_equal(pa->value, pb->value, pa->count * sizeof(float));
        /* and the imported model exports the same bytes */
        assert_int_equal(rnnkit_model_export_safetensors(b, support_tmp("b.safetensors"), &err), RNNKIT_OK);
        char cmd[800];
        snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", support_tmp("a.safetensors"), support_tmp("b.safetensors"));
        assert_int_equal(system(cmd), 0);
        rnnkit_model_free(a);
        rnnkit_model_free(b);
    }
    /* a generator too */
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_GENERATE);
    c.embed = 3;
    c.hidden = 4;
    c.layers = 2;
    rnnkit_model *g1 = NULL, *g2 = NULL;
    const rnnkit_level word = RNNKIT_LEVEL_WORD;
    assert_int_equal(rnnkit_model_create(&c, support_vocab(word, "a b c d", "test"), NULL, 0, 5, &g1, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_create(&c, support_vocab(word, "a b c d", "test"), NULL, 0, 6, &g2, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_export_safetensors(g1, support_tmp("g.safetensors"), NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_import_safetensors(g2, support_tmp("g.safetensors"), NULL), RNNKIT_OK);
    assert_memory_equal(rnnkit__model_params(g1)->value, rnnkit__model_params(g2)->value,
                        rnnkit__model_params(g1)->count * sizeof(float));
    rnnkit_model_free(g1);
    rnnkit_model_free(g2);
}

/* The header of an export: length, then tensor entries in declared order,
 * offsets back to back, padded with spaces to a multiple of 8. */
static void test_export_layout(void **state)
{
    (void)state;
    rnnkit_model *m = small(1);
    assert_int_equal(rnnkit_model_export_safetensors(m, support_tmp("s.safetensors"), NULL), RNNKIT_OK);
    FILE *fp = fopen(support_tmp("s.safetensors"), "rb");
    assert_non_null(fp);
    unsigned char len8[8];
    assert_int_equal(fread(len8, 1, 8, fp), 8);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | len8[i];
    assert_int_equal(hlen % 8, 0);
    char *h = calloc(hlen + 1, 1);
    assert_non_null(h);
    assert_int_equal(fread(h, 1, hlen, fp), hlen);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    const rnnkit__params *p = rnnkit__model_params(m);
    size_t numel = 0;
    for (int v = 0; v < p->nviews; v++)
        numel += p->views[v].numel;
    assert_int_equal((uint64_t)size, 8 + hlen + numel * sizeof(float));
    size_t off = 0;
    for (int v = 0; v < p->nviews; v++) {
        const rnnkit__param_view *pv = &p->views[v];
        char want[256];
        if (pv->ndim == 2)
            snprintf(want, sizeof want, "\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],\"data_offsets\":[%zu,%zu]}",
                     pv->name, (long long)pv->shape[0], (long long)pv->shape[1], off, off + 4 * pv->numel);
        else
            snprintf(want, sizeof want, "\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld],\"data_offsets\":[%zu,%zu]}",
                     pv->name, (long long)pv->shape[0], off, off + 4 * pv->numel);
        if (!strstr(h, want))
            fail_msg("header lacks %s:\n%s", want, h);
        off += 4 * pv->numel;
    }
    free(h);
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Dtypes */

typedef struct half_case {
    uint16_t bits;
    float want;
} half_case;

/* Fills every tensor of f (2-byte elements) from table[(i + 3 v) % n] and
 * checks the imported model holds the expected floats bit for bit (row 0
 * of the embedding, padding, is zeroed by the import). */
static void check_16bit(const char *dtype, const half_case *table, int n)
{
    rnnkit_model *m = small(3);
    st_file f;
    st_from_model(&f, m, dtype, 2);
    for (int v = 0; v < f.n; v++)
        for (size_t i = 0; i < f.t[v].nbytes / 2; i++)
            memcpy(f.t[v].data + 2 * i, &table[(i + 3 * (size_t)v) % (size_t)n].bits, 2);
    st_write(support_tmp("h.safetensors"), &f);
    rnnkit_error err;
    if (rnnkit_model_import_safetensors(m, support_tmp("h.safetensors"), &err))
        fail_msg("%s: %s", dtype, err.msg);
    const rnnkit__params *p = rnnkit__model_params(m);
    int E = rnnkit_model_get_config(m)->embed;
    for (int v = 0; v < p->nviews; v++) {
        const rnnkit__param_view *pv = &p->views[v];
        for (size_t i = 0; i < pv->numel; i++) {
            float want = table[(i + 3 * (size_t)v) % (size_t)n].want;
            if (v == 0 && i < (size_t)E)
                want = 0.0f;
            assert_bits(p->value[pv->offset + i], want, pv->name, i);
        }
    }
    st_free(&f);
    rnnkit_model_free(m);
}

static void test_f16_converts_exactly(void **state)
{
    (void)state;
    static const half_case t[] = {
        {0x0000, 0.0f},
        {0x8000, -0.0f},
        {0x3C00, 1.0f},
        {0xC000, -2.0f},
        {0x3555, 0.333251953125f},          /* 1.0101010101b x 2^-2 */
        {0x3BFF, 0.99951171875f},           /* 1 - 2^-11 */
        {0x5640, 100.0f},
        {0x7BFF, 65504.0f},                 /* largest normal */
        {0xFBFF, -65504.0f},
        {0x0400, 6.103515625e-05f},         /* smallest normal 2^-14 */
        {0x03FF, 6.097555160522461e-05f},   /* largest subnormal 1023 x 2^-24 */
        {0x0200, 3.0517578125e-05f},        /* 2^-15 */
        {0x0001, 5.9604644775390625e-08f},  /* smallest subnormal 2^-24 */
        {0x8001, -5.9604644775390625e-08f},
        {0x8155, -2.0325183868408203e-05f}, /* -341 x 2^-24 */
    };
    check_16bit("F16", t, (int)(sizeof t / sizeof t[0]));
}

static void test_bf16_converts_exactly(void **state)
{
    (void)state;
    static const half_case t[] = {
        {0x0000, 0.0f},
        {0x8000, -0.0f},
        {0x3F80, 1.0f},
        {0xBF80, -1.0f},
        {0x3E80, 0.25f},
        {0x4049, 3.140625f},
        {0xC2F7, -123.5f},
        {0x7F7F, 3.38953138925153547590e38f},  /* largest finite: 255 x 2^120 */
        {0x0080, 1.17549435082228750797e-38f}, /* FLT_MIN */
        {0x0001, 9.18354961579912115600e-41f}, /* smallest subnormal 2^-133 */
        {0x8041, -5.96930725026942875140e-39f},/* -65 x 2^-133 */
    };
    check_16bit("BF16", t, (int)(sizeof t / sizeof t[0]));
}

static void test_f32_and_f64_convert_exactly(void **state)
{
    (void)state;
    /* F32: bit for bit */
    static const float f32[] = {0.0f, -0.0f, 1.5f, -FLT_MAX, FLT_MAX, 0x1p-149f, -FLT_MIN, 0.1f, -7.25e-3f};
    /* F64: rounded to the nearest float, ties to even */
    static const struct {
        double in;
        float want;
    } f64[] = {
        {0.0, 0.0f},
        {-0.0, -0.0f},
        {0.5, 0.5f},
        {-3.25, -3.25f},
        {0.1, 0.1f},                            /* nearest */
        {1.0 + 0x1p-24, 1.0f},                  /* a tie: to even, down */
        {1.0 + 3 * 0x1p-24, 1.0f + 0x1p-22f},   /* a tie: to even, up */
        {1.0 + 0x1p-24 + 0x1p-40, 1.0f + 0x1p-23f}, /* just above a tie: up */
        {-(1.0 + 0x1p-24 - 0x1p-40), -1.0f},    /* just below a tie: down */
        {1e-45, 0x1p-149f},                     /* the smallest subnormal */
        {0x1p-150, 0.0f},                       /* half of it: a tie, to even (zero) */
        {-0x1p-151, -0.0f},                     /* underflows to a signed zero */
        {3.4028234663852886e38, FLT_MAX},
    };
    const int n32 = (int)(sizeof f32 / sizeof f32[0]), n64 = (int)(sizeof f64 / sizeof f64[0]);
    for (int pass = 0; pass < 2; pass++) {
        rnnkit_model *m = small(4);
        st_file f;
        st_from_model(&f, m, pass ? "F64" : "F32", pass ? 8 : 4);
        for (int v = 0; v < f.n; v++)
            for (size_t i = 0; i < f.t[v].nbytes / (pass ? 8 : 4); i++) {
                if (pass)
                    memcpy(f.t[v].data + 8 * i, &f64[(i + (size_t)v) % (size_t)n64].in, 8);
                else
                    memcpy(f.t[v].data + 4 * i, &f32[(i + (size_t)v) % (size_t)n32], 4);
            }
        st_write(support_tmp("f.safetensors"), &f);
        rnnkit_error err;
        if (rnnkit_model_import_safetensors(m, support_tmp("f.safetensors"), &err))
            fail_msg("%s", err.msg);
        const rnnkit__params *p = rnnkit__model_params(m);
        int E = rnnkit_model_get_config(m)->embed;
        for (int v = 0; v < p->nviews; v++) {
            const rnnkit__param_view *pv = &p->views[v];
            for (size_t i = 0; i < pv->numel; i++) {
                float want = pass ? f64[(i + (size_t)v) % (size_t)n64].want : f32[(i + (size_t)v) % (size_t)n32];
                if (v == 0 && i < (size_t)E)
                    want = 0.0f;
                assert_bits(p->value[pv->offset + i], want, pv->name, i);
            }
        }
        st_free(&f);
        rnnkit_model_free(m);
    }
}

/* A file of m's tensors in `dtype` holding small finite values, with
 * element `index` of tensor `name` replaced by the `elem_size` bytes at
 * `bad` (NULL: none replaced). */
static void write_with_value(rnnkit_model *m, const char *path, const char *dtype, const char *name, size_t index,
                             const void *bad)
{
    size_t es = !strcmp(dtype, "F64") ? 8 : !strcmp(dtype, "F32") ? 4 : 2;
    st_file f;
    st_from_model(&f, m, dtype, es);
    for (int v = 0; v < f.n; v++)
        for (size_t i = 0; i < f.t[v].nbytes / es; i++) {
            unsigned char *d = f.t[v].data + es * i;
            if (es == 8) {
                double x = 0.25;
                memcpy(d, &x, 8);
            } else if (es == 4) {
                float x = 0.25f;
                memcpy(d, &x, 4);
            } else {
                uint16_t x = !strcmp(dtype, "F16") ? 0x3400 : 0x3E80; /* 0.25 */
                memcpy(d, &x, 2);
            }
        }
    if (bad)
        memcpy(st_find(&f, name)->data + es * index, bad, es);
    st_write(path, &f);
    st_free(&f);
}

static void test_nan_and_inf_are_refused_naming_the_tensor(void **state)
{
    (void)state;
    rnnkit_model *m = small(5);
    const float nan32 = NAN, inf32 = -INFINITY;
    const double nan64 = NAN, big64 = 1e39; /* finite as a double, Inf as a float */
    const uint16_t f16_inf = 0x7C00, f16_nan = 0xFE00, bf16_nan = 0x7FC1, bf16_inf = 0xFF80;
    struct {
        const char *dtype, *name;
        size_t index;
        const void *bad;
    } cases[] = {
        {"F32", "fc.weight", 4, &nan32},
        {"F32", "rnn.bias_hh_l0", 0, &inf32},
        {"F64", "rnn.weight_hh_l0", 7, &nan64},
        {"F64", "fc.bias", 1, &big64},
        {"F16", "rnn.weight_ih_l0", 2, &f16_inf},
        {"F16", "fc.bias", 0, &f16_nan},
        {"BF16", "rnn.bias_ih_l0", 8, &bf16_nan},
        {"BF16", "embedding.weight", 5, &bf16_inf},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        /* the same file without the bad value imports */
        write_with_value(m, support_tmp("ok.safetensors"), cases[c].dtype, cases[c].name, 0, NULL);
        float *saved = snapshot(m);
        assert_int_equal(rnnkit_model_import_safetensors(m, support_tmp("ok.safetensors"), NULL), RNNKIT_OK);
        {
            const rnnkit__params *p = rnnkit__model_params(m);
            const rnnkit__param_view *last = &p->views[p->nviews - 1];
            assert_true(p->value[last->offset + last->numel - 1] == 0.25f);
        }
        /* back to distinct weights, so an import that wrote anything shows */
        memcpy(rnnkit__model_params(m)->value, saved, rnnkit__model_params(m)->count * sizeof(float));
        free(saved);
        write_with_value(m, support_tmp("bad.safetensors"), cases[c].dtype, cases[c].name, cases[c].index,
                         cases[c].bad);
        char needle[128];
        snprintf(needle, sizeof needle, "tensor '%s' holds NaN or Inf at index %zu", cases[c].name, cases[c].index);
        expect_import_error(m, support_tmp("bad.safetensors"), RNNKIT_ERR_NUMERIC, needle);
    }
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Tensors that do not fit the model */

static void test_tensors_that_do_not_fit_are_refused(void **state)
{
    (void)state;
    rnnkit_model *m = small(6);
    rnnkit_model *src = small(7);
    const rnnkit__params *ps = rnnkit__model_params(src);
    st_file f;
#define FRESH()                                                                                        \
    do {                                                                                               \
        st_from_model(&f, src, "F32", 4);                                                              \
        for (int v_ = 0; v_ < f.n; v_++)                                                               \
            memcpy(f.t[v_].data, ps->value + ps->views[v_].offset, f.t[v_].nbytes);                   \
    } while (0)

    /* the hand-written file as it is imports, bit for bit */
    FRESH();
    st_write(support_tmp("t.safetensors"), &f);
    float *saved = snapshot(m);
    assert_int_equal(rnnkit_model_import_safetensors(m, support_tmp("t.safetensors"), NULL), RNNKIT_OK);
    assert_memory_equal(rnnkit__model_params(m)->value, ps->value, ps->count * sizeof(float));
    memcpy(rnnkit__model_params(m)->value, saved, ps->count * sizeof(float));
    free(saved);
    st_free(&f);

    /* fc.weight is [2][3]: the same bytes as [3][2], as [6], as [1][2][3] */
    static const int64_t s32[] = {3, 2}, s6[] = {6}, s123[] = {1, 2, 3};
    struct {
        int ndim;
        const int64_t *shape;
        const char *say;
    } shapes[] = {{2, s32, "has shape [3x2], the model needs [2x3]"},
                  {1, s6, "has shape [6], the model needs [2x3]"},
                  {3, s123, "has shape [1x2x3], the model needs [2x3]"}};
    for (int s = 0; s < 3; s++) {
        FRESH();
        st_tensor *t = st_find(&f, "fc.weight");
        t->ndim = shapes[s].ndim;
        memcpy(t->shape, shapes[s].shape, (size_t)t->ndim * sizeof(int64_t));
        st_write(support_tmp("t.safetensors"), &f);
        char needle[160];
        snprintf(needle, sizeof needle, "tensor 'fc.weight' %s", shapes[s].say);
        expect_import_error(m, support_tmp("t.safetensors"), RNNKIT_ERR_SHAPE, needle);
        st_free(&f);
    }
    /* a scalar where a vector is needed: fc.bias [2] as [] (4 bytes) */
    FRESH();
    {
        st_tensor *t = st_find(&f, "fc.bias");
        t->ndim = 0;
        t->nbytes = 4;
    }
    st_write(support_tmp("t.safetensors"), &f);
    expect_import_error(m, support_tmp("t.safetensors"), RNNKIT_ERR_SHAPE, "tensor 'fc.bias' has shape [scalar]");
    st_free(&f);

    /* a missing tensor */
    FRESH();
    st_remove(&f, "rnn.bias_hh_l0");
    st_write(support_tmp("t.safetensors"), &f);
    expect_import_error(m, support_tmp("t.safetensors"), RNNKIT_ERR_SHAPE, "tensor 'rnn.bias_hh_l0' is missing");
    st_free(&f);

    /* an extra tensor (a second layer this model does not have) */
    FRESH();
    {
        static const int64_t sh[] = {9, 3};
        st_add(&f, "rnn.weight_ih_l1", "F32", 2, sh, 9 * 3 * 4);
    }
    st_write(support_tmp("t.safetensors"), &f);
    expect_import_error(m, support_tmp("t.safetensors"), RNNKIT_ERR_SHAPE, "tensor 'rnn.weight_ih_l1' has no place");
    st_free(&f);

    /* an unknown dtype, and a known one of the wrong width for the bytes */
    FRESH();
    snprintf(st_find(&f, "fc.bias")->dtype, 8, "I32");
    st_write(support_tmp("t.safetensors"), &f);
    expect_refused(m, support_tmp("t.safetensors"), RNNKIT_ERR_FORMAT, "tensor 'fc.bias' has dtype I32");
    st_free(&f);
    FRESH();
    snprintf(st_find(&f, "fc.bias")->dtype, 8, "F64"); /* 8 bytes hold one F64, the shape says two */
    st_write(support_tmp("t.safetensors"), &f);
    expect_refused(m, support_tmp("t.safetensors"), RNNKIT_ERR_FORMAT, "tensor 'fc.bias': data_offsets [");
    st_free(&f);

    /* a tensor entry without data_offsets / dtype / shape */
    write_header_only(support_tmp("t.safetensors"), "{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8);
    expect_refused(m, support_tmp("t.safetensors"), RNNKIT_ERR_FORMAT, "tensor 'fc.bias' lacks data_offsets");
    write_header_only(support_tmp("t.safetensors"), "{\"fc.bias\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    expect_refused(m, support_tmp("t.safetensors"), RNNKIT_ERR_FORMAT, "tensor 'fc.bias' lacks a dtype");
    write_header_only(support_tmp("t.safetensors"), "{\"fc.bias\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8);
    expect_refused(m, support_tmp("t.safetensors"), RNNKIT_ERR_FORMAT, "tensor 'fc.bias' lacks a shape");
    /* a tensor named twice */
    write_header_only(support_tmp("t.safetensors"),
                      "{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                      16);
    expect_refused(m, support_tmp("t.safetensors"), RNNKIT_ERR_FORMAT, "tensor 'fc.bias' appears twice");
#undef FRESH
    rnnkit_model_free(src);
    rnnkit_model_free(m);
}

static void test_bad_data_offsets_are_refused(void **state)
{
    (void)state;
    rnnkit_model *m = small(8);
    st_file f;
    st_from_model(&f, m, "F32", 4);
    size_t total = 0;
    for (int v = 0; v < f.n; v++)
        total += f.t[v].nbytes;
    st_tensor *fw = st_find(&f, "fc.weight"); /* 24 bytes */
    st_tensor *fb = st_find(&f, "fc.bias");   /* 8 bytes, the last */
    assert_int_equal(fb - f.t, f.n - 1);
    struct {
        st_tensor *t;
        int64_t begin, end;
        const char *needle;
    } cases[] = {
        /* past the end of the data */
        {fb, (int64_t)total - 4, (int64_t)total + 4, "tensor 'fc.bias': data_offsets ["},
        {fb, (int64_t)total + 1000, (int64_t)total + 1008, "tensor 'fc.bias': data_offsets ["},
        /* reversed */
        {fb, (int64_t)total, (int64_t)total - 8, "tensor 'fc.bias': data_offsets ["},
        /* one float short, one float long */
        {fw, 0, 20, "tensor 'fc.weight': data_offsets [0, 20] do not hold 24 bytes"},
        {fw, 0, 28, "tensor 'fc.weight': data_offsets [0, 28] do not hold 24 bytes"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t b0 = cases[c].t->begin, e0 = cases[c].t->end;
        cases[c].t->begin = cases[c].begin;
        cases[c].t->end = cases[c].end;
        st_write(support_tmp("o.safetensors"), &f);
        expect_refused(m, support_tmp("o.safetensors"), RNNKIT_ERR_FORMAT, cases[c].needle);
        cases[c].t->begin = b0;
        cases[c].t->end = e0;
    }
    st_free(&f);
    rnnkit_model_free(m);
}

/* Two tensors sharing bytes: the safetensors format forbids it (each byte
 * of the data belongs to at most one tensor). */
static void test_overlapping_data_offsets_are_refused(void **state)
{
    (void)state;
    rnnkit_model *m = small(9);
    st_file f;
    st_from_model(&f, m, "F32", 4);
    /* rnn.bias_ih_l0 and rnn.bias_hh_l0 are both [9] (36 bytes): point the
     * second at the first one's bytes, then at half of them */
    st_tensor *a = st_find(&f, "rnn.bias_ih_l0"), *b = st_find(&f, "rnn.bias_hh_l0");
    size_t off = 0;
    for (st_tensor *t = f.t; t != a; t++)
        off += t->nbytes;
    for (int shift = 0; shift <= 20; shift += 20) {
        b->begin = (int64_t)off + shift;
        b->end = b->begin + 36;
        st_write(support_tmp("ov.safetensors"), &f);
        expect_refused(m, support_tmp("ov.safetensors"), RNNKIT_ERR_FORMAT,
                       "tensors 'rnn.bias_ih_l0' and 'rnn.bias_hh_l0' overlap in the data");
    }
    /* adjacent is fine: b right after a (its own place) */
    b->begin = (int64_t)off + 36;
    b->end = b->begin + 36;
    st_write(support_tmp("ov.safetensors"), &f);
    assert_int_equal(rnnkit_model_import_safetensors(m, support_tmp("ov.safetensors"), NULL), RNNKIT_OK);
    st_free(&f);
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* The file and its header */

static void test_truncated_files_and_bad_header_lengths_are_refused(void **state)
{
    (void)state;
    rnnkit_model *m = small(10);
    rnnkit_model *src = small(11);
    assert_int_equal(rnnkit_model_export_safetensors(src, support_tmp("x.safetensors"), NULL), RNNKIT_OK);
    FILE *fp = fopen(support_tmp("x.safetensors"), "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    size_t size = (size_t)ftell(fp);
    rewind(fp);
    unsigned char *bytes = malloc(size);
    assert_non_null(bytes);
    assert_int_equal(fread(bytes, 1, size, fp), size);
    fclose(fp);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | bytes[i];
    const rnnkit__params *p = rnnkit__model_params(src);
    const char *last = p->views[p->nviews - 1].name;
    char needle[128];

    /* the last float cut off: the last tensor no longer fits */
    fp = fopen(support_tmp("cut.safetensors"), "wb");
    assert_int_equal(fwrite(bytes, 1, size - 4, fp), size - 4);
    fclose(fp);
    snprintf(needle, sizeof needle, "tensor '%s': data_offsets", last);
    expect_refused(m, support_tmp("cut.safetensors"), RNNKIT_ERR_FORMAT, needle);
    /* cut inside the header, and inside the length */
    assert_int_equal(truncate(support_tmp("cut.safetensors"), (off_t)(8 + hlen / 2)), 0);
    expect_refused(m, support_tmp("cut.safetensors"), RNNKIT_ERR_FORMAT, "header length");
    assert_int_equal(truncate(support_tmp("cut.safetensors"), 5), 0);
    expect_refused(m, support_tmp("cut.safetensors"), RNNKIT_ERR_FORMAT, "not a safetensors file (5 bytes)");
    assert_int_equal(truncate(support_tmp("cut.safetensors"), 0), 0);
    expect_refused(m, support_tmp("cut.safetensors"), RNNKIT_ERR_FORMAT, "not a safetensors file (0 bytes)");

    /* header lengths: one past the file, zero, 2^64 - 1, 2^63 */
    uint64_t lens[] = {size - 8 + 1, 0, UINT64_MAX, (uint64_t)1 << 63};
    for (int i = 0; i < 4; i++) {
        write_raw(support_tmp("len.safetensors"), lens[i], (const char *)bytes + 8, size - 8, NULL, 0);
        snprintf(needle, sizeof needle, "header length %llu in a %zu-byte file", (unsigned long long)lens[i], size);
        expect_refused(m, support_tmp("len.safetensors"), RNNKIT_ERR_FORMAT, needle);
    }
    /* not a file at all */
    expect_import_error(m, support_tmpdir(), RNNKIT_ERR_IO, "not a regular file");
    expect_import_error(m, support_tmp("nope.safetensors"), RNNKIT_ERR_IO, "cannot open");
    free(bytes);
    rnnkit_model_free(src);
    rnnkit_model_free(m);
}

static void test_malformed_json_is_refused_with_the_byte_offset(void **state)
{
    (void)state;
    rnnkit_model *m = small(12);
    struct {
        const char *header, *needle;
    } cases[] = {
        /* byte 8 + 22: just after the quote that opens "v */
        {"{\"__metadata__\":{\"k\":\"v}}", "byte 30: safetensors header: unterminated string"},
        {"{\"__metadata__\":{\"k\":\"a\\xb\"}}", "bad escape"},
        {"{\"__metadata__\":{\"k\":\"a\\u12G4\"}}", "bad \\u escape"},
        {"{\"__metadata__\":{\"k\":\"a\\u12\"}}", "bad \\u escape"},
        {"{\"__metadata__\":{\"k\":\"\\ud800\"}}", "unpaired UTF-16 surrogate"},
        {"{\"__metadata__\":{\"k\":\"\\ud800\\u0041\"}}", "unpaired UTF-16 surrogate"},
        {"{\"__metadata__\":{\"k\":\"\\udc00\\ud800\"}}", "unpaired UTF-16 surrogate"},
        {"{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", "\\u0000 in a string"},
        {"{\"__metadata__\":{\"k\":\"a\x01\"}}", "control character in a string"},
        {"{\"__metadata__\":{\"k\":1}}", "expected a string"},
        {"{\"__metadata__\":{\"k\" \"v\"}}", "expected ':'"},
        {"{\"__metadata__\":{\"k\":\"v\"} ", "expected ',' or '}'"},
        {"{\"__metadata__\":[]}", "__metadata__ is not an object"},
        {"[]", "byte 8: safetensors header: not a JSON object"},
        {"{} x", "byte 11: safetensors header: bytes after the header object"},
        {"{\"fc.bias\":[]}", "a tensor entry is not an object"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "expected a non-negative integer"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", "expected an integer"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", "expected an integer"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,8]}}",
         "integer too large"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}",
         "more than 8 dimensions"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "data_offsets is not [begin, end]"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551616]}}",
         "integer too large"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}",
         "tensor 'fc.bias': shape overflows"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":@}}", "unexpected character"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "expected ',' or '}'"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":[1,2}}",
         "expected ',' or a closing bracket"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":", "unexpected end"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        write_header_only(support_tmp("j.safetensors"), cases[c].header, 8);
        expect_refused(m, support_tmp("j.safetensors"), RNNKIT_ERR_FORMAT, cases[c].needle);
    }
    /* nesting: skipped values may nest 64 deep, not 65 */
    for (int depth = 63; depth <= 65; depth++) {
        char h[512];
        int n = snprintf(h, sizeof h, "{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":");
        for (int i = 0; i < depth; i++)
            h[n++] = '[';
        for (int i = 0; i < depth; i++)
            h[n++] = ']';
        snprintf(h + n, sizeof h - (size_t)n, "}}");
        write_header_only(support_tmp("j.safetensors"), h, 8);
        char **k, **v;
        int nm;
        rnnkit_error err;
        rnnkit_status st = rnnkit_safetensors_metadata(support_tmp("j.safetensors"), &k, &v, &nm, &err);
        if (depth <= 64) {
            assert_int_equal(st, RNNKIT_OK);
            assert_int_equal(nm, 0);
            rnnkit_safetensors_metadata_free(k, v, nm);
        } else {
            assert_int_equal(st, RNNKIT_ERR_FORMAT);
            assert_non_null(strstr(err.msg, "nested too deeply"));
        }
    }
    /* a bare empty header is a valid file with no tensors: the model needs
     * its tensors, the first is missing */
    write_header_only(support_tmp("j.safetensors"), "{}", 0);
    expect_import_error(m, support_tmp("j.safetensors"), RNNKIT_ERR_SHAPE, "tensor 'embedding.weight' is missing");
    rnnkit_model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Metadata */

static void test_metadata_reads_back_the_configuration(void **state)
{
    (void)state;
    static const char *const labels[] = {"ne\"g", "p\\os\t\xc3\xa9"};
    rnnkit_model *m = classifier(RNNKIT_CELL_LSTM, 2, 1, 4, 5, 13, labels);
    assert_int_equal(rnnkit_model_export_safetensors(m, support_tmp("m.safetensors"), NULL), RNNKIT_OK);
    char **k = NULL, **v = NULL;
    int n = 0;
    rnnkit_error err;
    if (rnnkit_safetensors_metadata(support_tmp("m.safetensors"), &k, &v, &n, &err))
        fail_msg("%s", err.msg);
    char vocab[16];
    snprintf(vocab, sizeof vocab, "%lld", (long long)rnnkit_vocab_size(rnnkit_model_vocab(m)));
    const char *want[][2] = {
        {"format", "rnnkit"},
        {"rnnkit_version", rnnkit_version()},
        {"task", "classify"},
        {"cell", "lstm"},
        {"embed", "4"},
        {"hidden", "5"},
        {"layers", "2"},
        {"bidirectional", "1"},
        {"pool", "mean"},
        {"dropout", NULL}, /* defaults: compared below through strtod */
        {"embed_dropout", NULL},
        {"weight_drop", NULL},
        {"forget_bias", NULL},
        {"maxlen", NULL},
        {"keep_last", NULL},
        {"vocab_size", vocab},
        {"num_labels", "2"},
        /* a JSON array in a string: escaped twice in the file, once here */
        {"labels", "[\"ne\\\"g\",\"p\\\\os\\u0009\xc3\xa9\"]"},
    };
    const int nw = (int)(sizeof want / sizeof want[0]);
    assert_int_equal(n, nw);
    const rnnkit_model_config *c = rnnkit_model_get_config(m);
    for (int i = 0; i < nw; i++) {
        assert_string_equal(k[i], want[i][0]);
        if (want[i][1])
            assert_string_equal(v[i], want[i][1]);
    }
    assert_true((float)strtod(v[9], NULL) == c->dropout);
    assert_true((float)strtod(v[10], NULL) == c->embed_dropout);
    assert_true((float)strtod(v[11], NULL) == c->weight_drop);
    assert_true((float)strtod(v[12], NULL) == c->forget_bias);
    assert_int_equal(atoi(v[13]), c->maxlen);
    assert_int_equal(atoi(v[14]), c->keep_last);
    rnnkit_safetensors_metadata_free(k, v, n);
    rnnkit_model_free(m);

    /* escapes decoded; a header without tensors is fine for metadata */
    write_header_only(support_tmp("e.safetensors"),
                      "{ \"__metadata__\" : { \"a\\/b\" : \"\\\"q\\\\\\b\\f\\n\\r\\t\" ,"
                      " \"\\u00e9\\u4e2d\" : \"\\ud83d\\ude00\\uD834\\uDD1E\", \"\":\"\" } }",
                      0);
    assert_int_equal(rnnkit_safetensors_metadata(support_tmp("e.safetensors"), &k, &v, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 3);
    assert_string_equal(k[0], "a/b");
    assert_string_equal(v[0], "\"q\\\b\f\n\r\t");
    assert_string_equal(k[1], "\xc3\xa9\xe4\xb8\xad");
    assert_string_equal(v[1], "\xf0\x9f\x98\x80\xf0\x9d\x84\x9e");
    assert_string_equal(k[2], "");
    assert_string_equal(v[2], "");
    rnnkit_safetensors_metadata_free(k, v, n);
    /* no metadata: n = 0, NULL arrays */
    write_header_only(support_tmp("e.safetensors"),
                      "{\"fc.bias\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
    k = v = (char **)1;
    assert_int_equal(rnnkit_safetensors_metadata(support_tmp("e.safetensors"), &k, &v, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 0);
    assert_null(k);
    assert_null(v);
    rnnkit_safetensors_metadata_free(NULL, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_import_round_trip_is_bit_identical),
        cmocka_unit_test(test_export_layout),
        cmocka_unit_test(test_f16_converts_exactly),
        cmocka_unit_test(test_bf16_converts_exactly),
        cmocka_unit_test(test_f32_and_f64_convert_exactly),
        cmocka_unit_test(test_nan_and_inf_are_refused_naming_the_tensor),
        cmocka_unit_test(test_tensors_that_do_not_fit_are_refused),
        cmocka_unit_test(test_bad_data_offsets_are_refused),
        cmocka_unit_test(test_overlapping_data_offsets_are_refused),
        cmocka_unit_test(test_truncated_files_and_bad_header_lengths_are_refused),
        cmocka_unit_test(test_malformed_json_is_refused_with_the_byte_offset),
        cmocka_unit_test(test_metadata_reads_back_the_configuration),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
