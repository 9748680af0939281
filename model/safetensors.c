/*
 * model/safetensors.c: reading safetensors files: the header (tensors and
 * "__metadata__"), and a model's weights from one.
 *
 * What rnnkit reads: any file in the safetensors layout (docs/model-format.md)
 * whose tensors are F32, F64, F16 or BF16 (converted to f32). The file is
 * untrusted: the header's size, every offset and every shape are checked
 * against the file and the model (no two tensors may share a byte) before
 * a value is copied, and the model
 * changes only when every tensor passed (values are staged).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/jsonread.h"
#include "model/model_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model/safetensors.c reads native floats: add byte swapping for this platform"
#endif

/* A header larger than this is refused before anything is allocated (the
 * safetensors project uses the same bound). */
#define ST_MAX_HEADER (100u * 1024u * 1024u)

/* ---------------------------------------------------------------------- */
/* The file */

typedef struct st_file {
    const char *path;
    unsigned char *bytes; /* whole file */
    size_t size;
    const char *json;     /* header text [hlen], inside bytes */
    size_t hlen;
    const unsigned char *data; /* tensor bytes [dlen] */
    size_t dlen;
} st_file;

static rnnkit_status st_read(const char *path, st_file *f, rnnkit_error *err)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(fp);
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: not a regular file", path);
    }
    if (sb.st_size < 8) {
        fclose(fp);
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: not a safetensors file (%lld bytes)", path,
                                (long long)sb.st_size);
    }
    if ((uint64_t)sb.st_size > SIZE_MAX / 2) {
        fclose(fp);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: too large to read", path);
    }
    f->size = (size_t)sb.st_size;
    f->bytes = malloc(f->size + 1);
    if (!f->bytes) {
        fclose(fp);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, f->size);
    }
    size_t got = fread(f->bytes, 1, f->size, fp);
    int rerr = ferror(fp);
    fclose(fp);
    if (got != f->size || rerr) {
        free(f->bytes);
        f->bytes = NULL;
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: read failed", path);
    }
    f->bytes[f->size] = '\0';
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | f->bytes[i];
    if (n == 0 || n > ST_MAX_HEADER || n > f->size - 8) {
        free(f->bytes);
        f->bytes = NULL;
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT,
                                "%s: not a safetensors file (header length %" PRIu64 " in a %zu-byte file)",
                                path, n, f->size);
    }
    f->json = (const char *)f->bytes + 8;
    f->hlen = (size_t)n;
    f->data = f->bytes + 8 + n;
    f->dlen = f->size - 8 - (size_t)n;
    return RNNKIT_OK;
}

/* ---------------------------------------------------------------------- */
/* The parsed header. */

typedef enum st_dtype { ST_F32, ST_F64, ST_F16, ST_BF16 } st_dtype;

typedef struct st_tensor {
    char *name;
    st_dtype dtype;
    int ndim;
    uint64_t shape[8];
    uint64_t begin, end;
} st_tensor;

typedef struct st_header {
    st_tensor *t;
    int nt, cap;
    char **mkeys, **mvals; /* metadata */
    int nm, mcap;
} st_header;

static void st_header_free(st_header *h)
{
    for (int i = 0; i < h->nt; i++)
        free(h->t[i].name);
    free(h->t);
    for (int i = 0; i < h->nm; i++) {
        free(h->mkeys[i]);
        free(h->mvals[i]);
    }
    free(h->mkeys);
    free(h->mvals);
    memset(h, 0, sizeof *h);
}

static rnnkit_status parse_metadata(rnnkit__jcur *c, st_header *h)
{
    if (!rnnkit__json_eat(c, '{'))
        return rnnkit__json_fail(c, "__metadata__ is not an object");
    if (rnnkit__json_eat(c, '}'))
        return RNNKIT_OK;
    rnnkit_status st;
    do {
        char *k = NULL, *v = NULL;
        if ((st = rnnkit__json_string_read(c, &k)))
            return st;
        if (!rnnkit__json_eat(c, ':')) {
            free(k);
            return rnnkit__json_fail(c, "expected ':'");
        }
        if ((st = rnnkit__json_string_read(c, &v))) {
            free(k);
            return st;
        }
        if (h->nm == h->mcap) {
            int cap = h->mcap ? 2 * h->mcap : 32;
            char **nk = realloc(h->mkeys, (size_t)cap * sizeof *nk);
            if (nk)
                h->mkeys = nk;
            char **nv = nk ? realloc(h->mvals, (size_t)cap * sizeof *nv) : NULL;
            if (nv)
                h->mvals = nv;
            if (!nk || !nv) {
                free(k);
                free(v);
                return rnnkit_error_set(c->err, RNNKIT_ERR_NOMEM, "%s: out of memory", c->path);
            }
            h->mcap = cap;
        }
        h->mkeys[h->nm] = k;
        h->mvals[h->nm] = v;
        h->nm++;
    } while (rnnkit__json_eat(c, ','));
    return rnnkit__json_eat(c, '}') ? RNNKIT_OK : rnnkit__json_fail(c, "expected ',' or '}' in __metadata__");
}

static rnnkit_status parse_tensor(rnnkit__jcur *c, st_tensor *t)
{
    if (!rnnkit__json_eat(c, '{'))
        return rnnkit__json_fail(c, "a tensor entry is not an object");
    int have_dtype = 0, have_shape = 0, have_off = 0;
    rnnkit_status st;
    if (!rnnkit__json_eat(c, '}')) {
        do {
            char *k = NULL;
            if ((st = rnnkit__json_string_read(c, &k)))
                return st;
            if (!rnnkit__json_eat(c, ':')) {
                free(k);
                return rnnkit__json_fail(c, "expected ':'");
            }
            if (!strcmp(k, "dtype")) {
                char *d = NULL;
                free(k);
                if ((st = rnnkit__json_string_read(c, &d)))
                    return st;
                int ok = 1;
                if (!strcmp(d, "F32"))
                    t->dtype = ST_F32;
                else if (!strcmp(d, "F64"))
                    t->dtype = ST_F64;
                else if (!strcmp(d, "F16"))
                    t->dtype = ST_F16;
                else if (!strcmp(d, "BF16"))
                    t->dtype = ST_BF16;
                else
                    ok = 0;
                if (!ok) {
                    st = rnnkit_error_set(c->err, RNNKIT_ERR_FORMAT,
                                          "%s: tensor '%s' has dtype %s; rnnkit reads F32, F64, F16, BF16",
                                          c->path, t->name, d);
                    free(d);
                    return st;
                }
                free(d);
                have_dtype = 1;
            } else if (!strcmp(k, "shape")) {
                free(k);
                if (!rnnkit__json_eat(c, '['))
                    return rnnkit__json_fail(c, "shape is not an array");
                t->ndim = 0;
                if (!rnnkit__json_eat(c, ']')) {
                    do {
                        if (t->ndim == 8)
                            return rnnkit__json_fail(c, "more than 8 dimensions");
                        if ((st = rnnkit__json_uint(c, &t->shape[t->ndim])))
                            return st;
                        t->ndim++;
                    } while (rnnkit__json_eat(c, ','));
                    if (!rnnkit__json_eat(c, ']'))
                        return rnnkit__json_fail(c, "expected ']' after the shape");
                }
                have_shape = 1;
            } else if (!strcmp(k, "data_offsets")) {
                free(k);
                if (!rnnkit__json_eat(c, '[') || (st = rnnkit__json_uint(c, &t->begin)) || !rnnkit__json_eat(c, ',') ||
                    (st = rnnkit__json_uint(c, &t->end)) || !rnnkit__json_eat(c, ']'))
                    return st ? st : rnnkit__json_fail(c, "data_offsets is not [begin, end]");
                have_off = 1;
            } else {
                free(k);
                if ((st = rnnkit__json_skip(c, 1)))
                    return st;
            }
        } while (rnnkit__json_eat(c, ','));
        if (!rnnkit__json_eat(c, '}'))
            return rnnkit__json_fail(c, "expected ',' or '}' in a tensor entry");
    }
    if (!have_dtype || !have_shape || !have_off)
        return rnnkit_error_set(c->err, RNNKIT_ERR_FORMAT, "%s: tensor '%s' lacks %s", c->path, t->name,
                                !have_dtype ? "a dtype" : !have_shape ? "a shape" : "data_offsets");
    return RNNKIT_OK;
}

/* qsort order of tensors by their first byte. */
static int by_begin(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* No byte may belong to two tensors (the safetensors format forbids it):
 * sorted by their first byte, each non-empty tensor must start at or after
 * the furthest end of those before it. */
static rnnkit_status check_overlaps(const st_file *f, const st_header *h, rnnkit_error *err)
{
    if (h->nt < 2)
        return RNNKIT_OK;
    const st_tensor **ord = malloc((size_t)h->nt * sizeof *ord);
    if (!ord)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", f->path);
    for (int i = 0; i < h->nt; i++)
        ord[i] = &h->t[i];
    qsort(ord, (size_t)h->nt, sizeof *ord, by_begin);
    const st_tensor *reach = NULL; /* the tensor ending furthest so far */
    rnnkit_status st = RNNKIT_OK;
    for (int i = 0; i < h->nt && !st; i++) {
        const st_tensor *t = ord[i];
        if (t->begin == t->end)
            continue;
        if (reach && t->begin < reach->end)
            st = rnnkit_error_set(err, RNNKIT_ERR_FORMAT,
                                  "%s: tensors '%s' and '%s' overlap in the data (bytes %" PRIu64 " to %" PRIu64
                                  " and %" PRIu64 " to %" PRIu64 ")",
                                  f->path, reach->name, t->name, reach->begin, reach->end, t->begin, t->end);
        if (!reach || t->end > reach->end)
            reach = t;
    }
    free(ord);
    return st;
}

static size_t dtype_size(st_dtype d)
{
    return d == ST_F64 ? 8 : d == ST_F32 ? 4 : 2;
}

/* Parses the header and checks every tensor's extent against the data. */
static rnnkit_status parse_header(const st_file *f, st_header *h, rnnkit_error *err)
{
    memset(h, 0, sizeof *h);
    rnnkit__jcur c = {f->json, f->hlen, 0, 8, f->path, "safetensors header", err};
    rnnkit_status st;
    if (!rnnkit__json_eat(&c, '{'))
        return rnnkit__json_fail(&c, "not a JSON object");
    if (!rnnkit__json_eat(&c, '}')) {
        do {
            char *k = NULL;
            if ((st = rnnkit__json_string_read(&c, &k)))
                return st;
            if (!rnnkit__json_eat(&c, ':')) {
                free(k);
                return rnnkit__json_fail(&c, "expected ':'");
            }
            if (!strcmp(k, "__metadata__")) {
                free(k);
                if ((st = parse_metadata(&c, h)))
                    return st;
                continue;
            }
            for (int i = 0; i < h->nt; i++)
                if (!strcmp(h->t[i].name, k)) {
                    st = rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: tensor '%s' appears twice", f->path, k);
                    free(k);
                    return st;
                }
            if (h->nt == h->cap) {
                int cap = h->cap ? 2 * h->cap : 32;
                st_tensor *nt = realloc(h->t, (size_t)cap * sizeof *nt);
                if (!nt) {
                    free(k);
                    return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", f->path);
                }
                h->t = nt;
                h->cap = cap;
            }
            st_tensor *t = &h->t[h->nt++];
            memset(t, 0, sizeof *t);
            t->name = k;
            if ((st = parse_tensor(&c, t)))
                return st;
        } while (rnnkit__json_eat(&c, ','));
        if (!rnnkit__json_eat(&c, '}'))
            return rnnkit__json_fail(&c, "expected ',' or '}'");
    }
    rnnkit__json_ws(&c);
    if (c.i != c.n)
        return rnnkit__json_fail(&c, "bytes after the header object");
    for (int i = 0; i < h->nt; i++) {
        const st_tensor *t = &h->t[i];
        uint64_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            if (t->shape[d] && numel > UINT64_MAX / t->shape[d])
                return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: tensor '%s': shape overflows", f->path,
                                        t->name);
            numel *= t->shape[d];
        }
        uint64_t bytes = numel;
        if (bytes > UINT64_MAX / 8)
            return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: tensor '%s': shape overflows", f->path, t->name);
        bytes *= dtype_size(t->dtype);
        if (t->end < t->begin || t->end - t->begin != bytes || t->end > f->dlen)
            return rnnkit_error_set(err, RNNKIT_ERR_FORMAT,
                                    "%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
                                    "] do not hold %" PRIu64 " bytes inside the %zu-byte data",
                                    f->path, t->name, t->begin, t->end, bytes, f->dlen);
    }
    return check_overlaps(f, h, err);
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: value = man * 2^-24 */
            float v = (float)man * 5.9604644775390625e-8f;
            return sign ? -v : v;
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static float element(const unsigned char *p, st_dtype d)
{
    switch (d) {
    case ST_F64: {
        double x;
        memcpy(&x, p, 8);
        return (float)x;
    }
    case ST_F16: {
        uint16_t h;
        memcpy(&h, p, 2);
        return half_to_float(h);
    }
    case ST_BF16: {
        uint16_t h;
        memcpy(&h, p, 2);
        uint32_t bits = (uint32_t)h << 16;
        float f;
        memcpy(&f, &bits, 4);
        return f;
    }
    case ST_F32:
    default: {
        float f;
        memcpy(&f, p, 4);
        return f;
    }
    }
}

/* ---------------------------------------------------------------------- */
/* Public reading entry points. */

rnnkit_status rnnkit_safetensors_metadata(const char *path, char ***keys, char ***values, int *n,
                                          rnnkit_error *err)
{
    *keys = NULL;
    *values = NULL;
    *n = 0;
    st_file f;
    rnnkit_status st = st_read(path, &f, err);
    if (st)
        return st;
    st_header h;
    st = parse_header(&f, &h, err);
    free(f.bytes);
    if (st) {
        st_header_free(&h);
        return st;
    }
    *keys = h.mkeys;
    *values = h.mvals;
    *n = h.nm;
    h.mkeys = h.mvals = NULL;
    h.nm = 0;
    st_header_free(&h);
    return RNNKIT_OK;
}

void rnnkit_safetensors_metadata_free(char **keys, char **values, int n)
{
    for (int i = 0; i < n; i++) {
        if (keys)
            free(keys[i]);
        if (values)
            free(values[i]);
    }
    free(keys);
    free(values);
}

rnnkit_status rnnkit_model_import_safetensors(rnnkit_model *m, const char *path, rnnkit_error *err)
{
    if (m->members > 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: a safetensors file holds one network; the model is an ensemble of %d", path,
                                m->members);
    st_file f;
    rnnkit_status st = st_read(path, &f, err);
    if (st)
        return st;
    st_header h;
    float *staged = NULL;
    if ((st = parse_header(&f, &h, err)))
        goto done;
    /* Every tensor of the file must be one of the model's... */
    for (int i = 0; i < h.nt; i++)
        if (!rnnkit__params_find(&m->params, h.t[i].name)) {
            st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE,
                                  "%s: tensor '%s' has no place in this model (check the configuration:"
                                  " cell, layers, bidirectional)",
                                  path, h.t[i].name);
            goto done;
        }
    /* ...and every tensor of the model must be in the file, shape for shape.
     * Values are staged first so a failure leaves the model as it was. */
    staged = malloc(m->params.count * sizeof(float));
    if (!staged) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    /* the stage starts as a copy of the block, so the alignment gaps
     * between tensors (which no tensor covers) keep what they held */
    memcpy(staged, m->params.value, m->params.count * sizeof(float));
    for (int v = 0; v < m->params.nviews; v++) {
        const rnnkit__param_view *pv = &m->params.views[v];
        const st_tensor *t = NULL;
        for (int i = 0; i < h.nt && !t; i++)
            if (!strcmp(h.t[i].name, pv->name))
                t = &h.t[i];
        if (!t) {
            st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE, "%s: tensor '%s' is missing", path, pv->name);
            goto done;
        }
        int same = t->ndim == pv->ndim;
        for (int d = 0; same && d < pv->ndim; d++)
            same = t->shape[d] == (uint64_t)pv->shape[d];
        if (!same) {
            char have[96] = "", want[64];
            size_t k = 0;
            for (int d = 0; d < t->ndim && k < sizeof have; d++)
                k += (size_t)snprintf(have + k, sizeof have - k, "%s%" PRIu64, d ? "x" : "", t->shape[d]);
            if (pv->ndim == 2)
                snprintf(want, sizeof want, "%" PRId64 "x%" PRId64, pv->shape[0], pv->shape[1]);
            else
                snprintf(want, sizeof want, "%" PRId64, pv->shape[0]);
            st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE, "%s: tensor '%s' has shape [%s], the model needs [%s]",
                                  path, pv->name, t->ndim ? have : "scalar", want);
            goto done;
        }
        const unsigned char *src = f.data + t->begin;
        size_t es = dtype_size(t->dtype);
        float *dst = staged + pv->offset;
        for (size_t i = 0; i < pv->numel; i++) {
            dst[i] = element(src + i * es, t->dtype);
            if (!isfinite(dst[i])) {
                st = rnnkit_error_set(err, RNNKIT_ERR_NUMERIC, "%s: tensor '%s' holds NaN or Inf at index %zu",
                                      path, pv->name, i);
                goto done;
            }
        }
    }
    /* The padding row is never read for a real token; rnnkit keeps it zero
     * (as torch.nn.Embedding with padding_idx=0 does). */
    memset(staged + m->emb.off, 0, (size_t)m->emb.E * sizeof(float));
    memcpy(m->params.value, staged, m->params.count * sizeof(float));
done:
    free(staged);
    st_header_free(&h);
    free(f.bytes);
    return st;
}
