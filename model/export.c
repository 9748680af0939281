/*
 * model/export.c: a model's weights in the safetensors format, both ways.
 *
 * safetensors (the format of the Hugging Face `safetensors` project):
 *   u64 little-endian N, then N bytes of UTF-8 JSON (the header), then the
 *   tensor bytes. The header maps each tensor name to
 *     {"dtype": "F32", "shape": [R, C], "data_offsets": [begin, end]}
 *   with offsets in bytes relative to the first byte after the header, and
 *   may hold "__metadata__": a flat object of string -> string.
 *   Tensors are stored row-major, little-endian.
 *
 * What rnnkit writes: every tensor of the model under its PyTorch state_dict
 * name (embedding.weight, rnn.weight_ih_l0[_reverse], ..., fc.weight,
 * fc.bias) as F32, in the order the model declares them, back to back; the
 * header padded with spaces to a multiple of 8 bytes so the data is aligned;
 * the configuration in "__metadata__" under the keys of the model file's
 * model_meta table (format = "rnnkit", task, cell, embed, hidden, ...), the
 * labels as a JSON array in a string.
 *
 * What rnnkit reads: any file in that layout whose tensors are F32, F64,
 * F16 or BF16 (converted to f32). The header is untrusted: its size, every
 * offset and every shape are checked against the file and the model, and no
 * two tensors may share a byte.
 *
 * Not here: the vocabulary exports (cli/cmd_export.c writes them from the
 * public vocabulary API).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/model_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model/export.c reads and writes native floats: add byte swapping for this platform"
#endif

/* A header larger than this is refused before anything is allocated (the
 * safetensors project uses the same bound). */
#define ST_MAX_HEADER (100u * 1024u * 1024u)
/* Nesting allowed when skipping JSON values we do not use. */
#define ST_MAX_DEPTH 64

/* ---------------------------------------------------------------------- */
/* A growable byte buffer for building the header. */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int failed; /* an allocation failed: everything after is dropped */
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = 1;
        return;
    }
    sb_put(b, tmp, (size_t)n);
}

/* Appends `s` as a JSON string body (no quotes): ", \ and control bytes
 * escaped; other bytes (valid UTF-8 by the model's contract) as they are. */
static void sb_json_body(sbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            sb_put(b, e, 2);
        } else if (*p < 0x20) {
            sb_printf(b, "\\u%04x", *p);
        } else {
            sb_put(b, (const char *)p, 1);
        }
    }
}

static void sb_json_string(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    sb_json_body(b, s);
    sb_put(b, "\"", 1);
}

/* ---------------------------------------------------------------------- */
/* Export */

/* The metadata value of the labels: a JSON array as a string, so the JSON
 * text is escaped twice on its way into the header. */
static void labels_json(sbuf *b, const rnnkit_model *m)
{
    sb_put(b, "[", 1);
    for (int k = 0; m->cfg.task == RNNKIT_TASK_CLASSIFY && k < m->K; k++) {
        if (k)
            sb_put(b, ",", 1);
        sb_json_string(b, m->labels[k]);
    }
    sb_put(b, "]", 1);
}

static void build_header(sbuf *h, const rnnkit_model *m)
{
    const rnnkit_model_config *c = &m->cfg;
    struct {
        const char *k;
        char v[64];
    } kv[24];
    int n = 0;
#define KV(key, ...) (kv[n].k = key, snprintf(kv[n].v, sizeof kv[n].v, __VA_ARGS__), n++)
    KV("format", "rnnkit");
    KV("rnnkit_version", "%s", rnnkit_version());
    KV("task", "%s", c->task == RNNKIT_TASK_CLASSIFY ? "classify" : "generate");
    KV("cell", "%s", rnnkit_cell_name(c->cell));
    KV("embed", "%d", c->embed);
    KV("hidden", "%d", c->hidden);
    KV("layers", "%d", c->layers);
    KV("bidirectional", "%d", c->bidirectional);
    KV("pool", "%s", rnnkit_pool_name(c->pool));
    KV("dropout", "%.9g", (double)c->dropout);
    KV("embed_dropout", "%.9g", (double)c->embed_dropout);
    KV("weight_drop", "%.9g", (double)c->weight_drop);
    KV("forget_bias", "%.9g", (double)c->forget_bias);
    KV("maxlen", "%d", c->maxlen);
    KV("keep_last", "%d", c->keep_last);
    KV("vocab_size", "%d", m->V);
    KV("num_labels", "%d", c->task == RNNKIT_TASK_CLASSIFY ? m->K : 0);
#undef KV
    sb_puts(h, "{\"__metadata__\":{");
    for (int i = 0; i < n; i++) {
        sb_printf(h, "%s\"%s\":", i ? "," : "", kv[i].k);
        sb_json_string(h, kv[i].v);
    }
    sbuf lab = {0};
    labels_json(&lab, m);
    sb_puts(h, ",\"labels\":");
    if (lab.failed)
        h->failed = 1;
    else
        sb_json_string(h, lab.p);
    free(lab.p);
    sb_puts(h, "}");
    size_t off = 0;
    for (int i = 0; i < m->params.nviews; i++) {
        const rnnkit_param_view *v = &m->params.views[i];
        sb_puts(h, ",");
        sb_json_string(h, v->name);
        if (v->ndim == 2)
            sb_printf(h, ":{\"dtype\":\"F32\",\"shape\":[%" PRId64 ",%" PRId64 "]", v->shape[0], v->shape[1]);
        else
            sb_printf(h, ":{\"dtype\":\"F32\",\"shape\":[%" PRId64 "]", v->shape[0]);
        sb_printf(h, ",\"data_offsets\":[%zu,%zu]}", off, off + v->numel * sizeof(float));
        off += v->numel * sizeof(float);
    }
    sb_puts(h, "}");
    while (h->n % 8)
        sb_puts(h, " ");
}

static rnnkit_status write_all(int fd, const void *data, size_t n, const char *path, rnnkit_error *err)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: write failed: %s", path,
                                    w < 0 ? strerror(errno) : "no progress");
        p += w;
        n -= (size_t)w;
    }
    return RNNKIT_OK;
}

rnnkit_status rnnkit_model_export_safetensors(const rnnkit_model *m, const char *path,
                                              rnnkit_error *err)
{
    if (m->members > 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: the model is an ensemble of %d networks and a safetensors file holds one; "
                                "keep one first (rnnkit_model_keep_member, `rnnkit export --member N`)",
                                path, m->members);
    sbuf h = {0};
    build_header(&h, m);
    if (h.failed) {
        free(h.p);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory building the header", path);
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        free(h.p);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    rnnkit_status st = RNNKIT_OK;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
                              strerror(errno));
        free(tmp);
        free(h.p);
        return st;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    st = write_all(fd, len8, 8, path, err);
    if (!st)
        st = write_all(fd, h.p, h.n, path, err);
    /* Views are declared back to back, so the data is one block in the
     * model's declaration order, the order of the offsets written above. */
    for (int i = 0; !st && i < m->params.nviews; i++) {
        const rnnkit_param_view *v = &m->params.views[i];
        st = write_all(fd, m->params.value + v->offset, v->numel * sizeof(float), path, err);
    }
    if (!st && fsync(fd) != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot flush to disk: %s", path, strerror(errno));
    if (close(fd) != 0 && !st)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: closing failed: %s", path, strerror(errno));
    /* mkstemp creates 0600; a model is an ordinary file. */
    if (!st)
        chmod(tmp, 0644);
    if (!st && rename(tmp, path) != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot replace: %s", path, strerror(errno));
    if (st)
        unlink(tmp);
    free(tmp);
    free(h.p);
    return st;
}

/* ---------------------------------------------------------------------- */
/* Reading: the file, then a small JSON reader for the header. */

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

/* JSON cursor over the header. Positions in messages are byte offsets into
 * the file (the header starts at byte 8). */
typedef struct jcur {
    const char *s;
    size_t n, i;
    const char *path;
    rnnkit_error *err;
} jcur;

static rnnkit_status jfail(jcur *c, const char *what)
{
    return rnnkit_error_set(c->err, RNNKIT_ERR_FORMAT, "%s: byte %zu: safetensors header: %s", c->path,
                            c->i + 8, what);
}

static void jws(jcur *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

/* Consumes `ch` after whitespace; 1 if it was there. */
static int jeat(jcur *c, char ch)
{
    jws(c);
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return 1;
    }
    return 0;
}

static void put_utf8(char *o, size_t *k, uint32_t cp)
{
    if (cp < 0x80) {
        o[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xF0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = s[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (uint32_t)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (uint32_t)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (uint32_t)(ch - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* Reads a JSON string into a malloc'd NUL-terminated buffer (*out, NULL
 * when out is NULL: the string is only skipped). Escapes decoded; a \u0000
 * is refused (names and values are C strings). */
static rnnkit_status jstring(jcur *c, char **out)
{
    if (out)
        *out = NULL;
    if (!jeat(c, '"'))
        return jfail(c, "expected a string");
    size_t start = c->i;
    /* The decoded form is never longer than the escaped one. */
    size_t end = start;
    while (end < c->n && c->s[end] != '"') {
        if (c->s[end] == '\\')
            end++;
        end++;
    }
    if (end >= c->n)
        return jfail(c, "unterminated string");
    char *o = malloc(end - start + 1);
    if (!o)
        return rnnkit_error_set(c->err, RNNKIT_ERR_NOMEM, "%s: out of memory", c->path);
    size_t k = 0;
    while (c->i < end) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch < 0x20) {
            free(o);
            return jfail(c, "control character in a string");
        }
        if (ch != '\\') {
            o[k++] = (char)ch;
            c->i++;
            continue;
        }
        char e = c->s[c->i + 1];
        c->i += 2;
        switch (e) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '/': o[k++] = '/'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (c->i + 4 > end || !hex4(c->s + c->i, &cp)) {
                free(o);
                return jfail(c, "bad \\u escape");
            }
            c->i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                /* A UTF-16 surrogate pair: \uD8xx\uDCxx (6 escaped bytes ->
                 * 4 decoded, so the buffer still suffices). */
                if (c->i + 6 > end || c->s[c->i] != '\\' || c->s[c->i + 1] != 'u' ||
                    !hex4(c->s + c->i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    free(o);
                    return jfail(c, "unpaired UTF-16 surrogate");
                }
                c->i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if ((cp >= 0xDC00 && cp < 0xE000) || cp == 0) {
                free(o);
                return jfail(c, cp ? "unpaired UTF-16 surrogate" : "\\u0000 in a string");
            }
            put_utf8(o, &k, cp);
            break;
        }
        default:
            free(o);
            return jfail(c, "bad escape");
        }
    }
    o[k] = '\0';
    c->i = end + 1;
    if (out)
        *out = o;
    else
        free(o);
    return RNNKIT_OK;
}

/* A non-negative integer (what shapes and offsets are). */
static rnnkit_status juint(jcur *c, uint64_t *out)
{
    jws(c);
    if (c->i >= c->n || c->s[c->i] < '0' || c->s[c->i] > '9')
        return jfail(c, "expected a non-negative integer");
    uint64_t v = 0;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
        unsigned d = (unsigned)(c->s[c->i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return jfail(c, "integer too large");
        v = v * 10 + d;
        c->i++;
    }
    if (c->i < c->n && (c->s[c->i] == '.' || c->s[c->i] == 'e' || c->s[c->i] == 'E'))
        return jfail(c, "expected an integer");
    *out = v;
    return RNNKIT_OK;
}

/* Skips any JSON value (for keys we do not use). */
static rnnkit_status jskip(jcur *c, int depth)
{
    if (depth > ST_MAX_DEPTH)
        return jfail(c, "nested too deeply");
    jws(c);
    if (c->i >= c->n)
        return jfail(c, "unexpected end");
    char ch = c->s[c->i];
    rnnkit_status st;
    if (ch == '"')
        return jstring(c, NULL);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->i++;
        if (jeat(c, close))
            return RNNKIT_OK;
        do {
            if (ch == '{') {
                if ((st = jstring(c, NULL)))
                    return st;
                if (!jeat(c, ':'))
                    return jfail(c, "expected ':'");
            }
            if ((st = jskip(c, depth + 1)))
                return st;
        } while (jeat(c, ','));
        return jeat(c, close) ? RNNKIT_OK : jfail(c, "expected ',' or a closing bracket");
    }
    /* number, true, false, null */
    size_t start = c->i;
    while (c->i < c->n && strchr("+-.0123456789eEtruefalsn", c->s[c->i]))
        c->i++;
    return c->i > start ? RNNKIT_OK : jfail(c, "unexpected character");
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

static rnnkit_status parse_metadata(jcur *c, st_header *h)
{
    if (!jeat(c, '{'))
        return jfail(c, "__metadata__ is not an object");
    if (jeat(c, '}'))
        return RNNKIT_OK;
    rnnkit_status st;
    do {
        char *k = NULL, *v = NULL;
        if ((st = jstring(c, &k)))
            return st;
        if (!jeat(c, ':')) {
            free(k);
            return jfail(c, "expected ':'");
        }
        if ((st = jstring(c, &v))) {
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
    } while (jeat(c, ','));
    return jeat(c, '}') ? RNNKIT_OK : jfail(c, "expected ',' or '}' in __metadata__");
}

static rnnkit_status parse_tensor(jcur *c, st_tensor *t)
{
    if (!jeat(c, '{'))
        return jfail(c, "a tensor entry is not an object");
    int have_dtype = 0, have_shape = 0, have_off = 0;
    rnnkit_status st;
    if (!jeat(c, '}')) {
        do {
            char *k = NULL;
            if ((st = jstring(c, &k)))
                return st;
            if (!jeat(c, ':')) {
                free(k);
                return jfail(c, "expected ':'");
            }
            if (!strcmp(k, "dtype")) {
                char *d = NULL;
                free(k);
                if ((st = jstring(c, &d)))
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
                if (!jeat(c, '['))
                    return jfail(c, "shape is not an array");
                t->ndim = 0;
                if (!jeat(c, ']')) {
                    do {
                        if (t->ndim == 8)
                            return jfail(c, "more than 8 dimensions");
                        if ((st = juint(c, &t->shape[t->ndim])))
                            return st;
                        t->ndim++;
                    } while (jeat(c, ','));
                    if (!jeat(c, ']'))
                        return jfail(c, "expected ']' after the shape");
                }
                have_shape = 1;
            } else if (!strcmp(k, "data_offsets")) {
                free(k);
                if (!jeat(c, '[') || (st = juint(c, &t->begin)) || !jeat(c, ',') ||
                    (st = juint(c, &t->end)) || !jeat(c, ']'))
                    return st ? st : jfail(c, "data_offsets is not [begin, end]");
                have_off = 1;
            } else {
                free(k);
                if ((st = jskip(c, 1)))
                    return st;
            }
        } while (jeat(c, ','));
        if (!jeat(c, '}'))
            return jfail(c, "expected ',' or '}' in a tensor entry");
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

static size_t dtype_size(st_dtype d)
{
    return d == ST_F64 ? 8 : d == ST_F32 ? 4 : 2;
}

/* Parses the header and checks every tensor's extent against the data. */
static rnnkit_status parse_header(const st_file *f, st_header *h, rnnkit_error *err)
{
    memset(h, 0, sizeof *h);
    jcur c = {f->json, f->hlen, 0, f->path, err};
    rnnkit_status st;
    if (!jeat(&c, '{'))
        return jfail(&c, "not a JSON object");
    if (!jeat(&c, '}')) {
        do {
            char *k = NULL;
            if ((st = jstring(&c, &k)))
                return st;
            if (!jeat(&c, ':')) {
                free(k);
                return jfail(&c, "expected ':'");
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
        } while (jeat(&c, ','));
        if (!jeat(&c, '}'))
            return jfail(&c, "expected ',' or '}'");
    }
    jws(&c);
    if (c.i != c.n)
        return jfail(&c, "bytes after the header object");
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
    /* No byte may belong to two tensors (the safetensors format forbids
     * it): sorted by their first byte, each non-empty tensor must start at
     * or after the furthest end of those before it. */
    if (h->nt > 1) {
        const st_tensor **ord = malloc((size_t)h->nt * sizeof *ord);
        if (!ord)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", f->path);
        for (int i = 0; i < h->nt; i++)
            ord[i] = &h->t[i];
        qsort(ord, (size_t)h->nt, sizeof *ord, by_begin);
        const st_tensor *reach = NULL; /* the tensor ending furthest so far */
        rnnkit_status st2 = RNNKIT_OK;
        for (int i = 0; i < h->nt && !st2; i++) {
            const st_tensor *t = ord[i];
            if (t->begin == t->end)
                continue;
            if (reach && t->begin < reach->end)
                st2 = rnnkit_error_set(err, RNNKIT_ERR_FORMAT,
                                       "%s: tensors '%s' and '%s' overlap in the data (bytes %" PRIu64 " to %" PRIu64
                                       " and %" PRIu64 " to %" PRIu64 ")",
                                       f->path, reach->name, t->name, reach->begin, reach->end, t->begin, t->end);
            if (!reach || t->end > reach->end)
                reach = t;
        }
        free(ord);
        return st2;
    }
    return RNNKIT_OK;
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
        if (!rnnkit_params_find(&m->params, h.t[i].name)) {
            st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE,
                                  "%s: tensor '%s' has no place in this model (check the configuration:"
                                  " cell, layers, bidirectional)",
                                  path, h.t[i].name);
            goto done;
        }
    /* ...and every tensor of the model must be in the file, shape for shape.
     * Values are staged first so a failure leaves the model as it was; the
     * stage starts as a copy of the block, so the alignment gaps between
     * tensors (which no tensor covers) keep what they held. */
    staged = malloc(m->params.count * sizeof(float));
    if (!staged) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    memcpy(staged, m->params.value, m->params.count * sizeof(float));
    for (int v = 0; v < m->params.nviews; v++) {
        const rnnkit_param_view *pv = &m->params.views[v];
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
