/*
 * tokenizer/vocab.c: counting tokens into a vocabulary, ids and lookup
 * (the SQLite tables and the vocabulary file: tokenizer/vocab_db.c).
 *
 * Counting uses an open-addressing hash table whose keys live in one growing
 * arena: memory grows with the number of distinct tokens, and adding a token
 * that is already known allocates nothing.
 *
 * Ids: 0 "<pad>", 1 "<unk>", then tokens by count descending, ties by the
 * token's bytes ascending (memcmp, then the shorter first), so the ids do not
 * depend on the order the corpus was read in.
 *
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/vocab_impl.h"
#include "tokenizer/vocab_internal.h"

/* ---------------------------------------------------------------------- */
/* A string table: arena of bytes + open addressing (entry and table:
 * tokenizer/vocab_impl.h). */

static void table_free(table *t)
{
    free(t->e);
    free(t->slot);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

static int table_rehash(table *t, size_t nslot)
{
    uint64_t *s = calloc(nslot, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        size_t h = (size_t)t->e[i].hash & (nslot - 1);
        while (s[h])
            h = (h + 1) & (nslot - 1);
        s[h] = (t->e[i].hash >> 32) << 32 | (uint64_t)(i + 1);
    }
    free(t->slot);
    t->slot = s;
    t->nslot = nslot;
    return 0;
}

/* Byte equality; short tokens (most of them) without a library call. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
    if (n > 16)
        return !memcmp(a, b, n);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* Finds or inserts; returns the entry index, -2 when absent (insert = 0),
 * or -1 on OOM / too many. */
static int64_t table_get(table *t, const char *s, size_t len, int insert)
{
    uint64_t h = rnnkit__tok_hash(s, len);
    if (t->nslot) {
        const uint64_t tag = h >> 32;
        size_t i = (size_t)h & (t->nslot - 1);
        uint64_t sl;
        while ((sl = t->slot[i])) {
            if (sl >> 32 == tag) {
                size_t k = (size_t)(uint32_t)sl - 1;
                const entry *e = &t->e[k];
                if (e->len == len && same_bytes(t->arena + e->off, s, len))
                    return (int64_t)k;
            }
            i = (i + 1) & (t->nslot - 1);
        }
    }
    if (!insert)
        return -2;
    if (len > UINT32_MAX || t->n >= UINT32_MAX - 1)
        return -1;
    if ((t->n + 1) * 2 > t->nslot && table_rehash(t, t->nslot ? t->nslot * 2 : 1024))
        return -1;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        entry *e = realloc(t->e, cap * sizeof *e);
        if (!e)
            return -1;
        t->e = e;
        t->cap = cap;
    }
    if (t->used + len + 1 > t->acap) {
        size_t cap = t->acap ? t->acap : 1 << 16;
        while (cap < t->used + len + 1)
            cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a)
            return -1;
        t->arena = a;
        t->acap = cap;
    }
    memcpy(t->arena + t->used, s, len);
    t->arena[t->used + len] = '\0';
    entry *e = &t->e[t->n];
    e->hash = h;
    e->off = t->used;
    e->len = (uint32_t)len;
    e->count = e->docs = 0;
    e->last_doc = -1;
    t->used += len + 1;
    size_t i = (size_t)h & (t->nslot - 1);
    while (t->slot[i])
        i = (i + 1) & (t->nslot - 1);
    t->slot[i] = (h >> 32) << 32 | (uint64_t)(t->n + 1);
    return (int64_t)t->n++;
}

/* ---------------------------------------------------------------------- */


struct rnnkit_vocab_builder {
    rnnkit_tok_config cfg;
    rnnkit_tokenizer *tok;
    table t;
    int64_t doc;          /* documents added */
    int64_t total;        /* tokens counted */
    int oom;
    source *src;
    size_t nsrc, capsrc;
};


rnnkit_status rnnkit__vocab_add_sources(source **dst, size_t *n, size_t *cap, const source *s, size_t k,
                                 rnnkit_error *err)
{
    for (size_t i = 0; i < k; i++) {
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 8;
            source *g = realloc(*dst, c * sizeof *g);
            if (!g)
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
            *dst = g;
            *cap = c;
        }
        source *d = &(*dst)[*n];
        *d = s[i];
        d->path = strdup(s[i].path);
        if (!d->path)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        (*n)++;
    }
    return RNNKIT_OK;
}

rnnkit_status rnnkit_vocab_builder_new(const rnnkit_tok_config *cfg, rnnkit_vocab_builder **out, rnnkit_error *err)
{
    *out = NULL;
    rnnkit_vocab_builder *b = calloc(1, sizeof *b);
    if (!b)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the vocabulary builder");
    b->cfg = *cfg;
    rnnkit_status st = rnnkit_tokenizer_new(cfg, &b->tok, err);
    if (st) {
        free(b);
        return st;
    }
    *out = b;
    return RNNKIT_OK;
}

void rnnkit_vocab_builder_free(rnnkit_vocab_builder *b)
{
    if (!b)
        return;
    rnnkit_tokenizer_free(b->tok);
    table_free(&b->t);
    for (size_t i = 0; i < b->nsrc; i++)
        free(b->src[i].path);
    free(b->src);
    free(b);
}

rnnkit_tokenizer *rnnkit_vocab_builder_tokenizer(rnnkit_vocab_builder *b)
{
    return b->tok;
}

static int count_token(void *ctx, const char *tok, size_t len)
{
    rnnkit_vocab_builder *b = ctx;
    int64_t i = table_get(&b->t, tok, len, 1);
    if (i < 0) {
        b->oom = 1;
        return 1;
    }
    entry *e = &b->t.e[i];
    e->count++;
    if (e->last_doc != b->doc) {
        e->last_doc = b->doc;
        e->docs++;
    }
    b->total++;
    return 0;
}

rnnkit_status rnnkit_vocab_builder_add(rnnkit_vocab_builder *b, const char *text, size_t len, const char *where,
                                       rnnkit_error *err)
{
    rnnkit_status st = rnnkit_tokenizer_run(b->tok, text, len, where, count_token, b, err);
    b->doc++;
    if (b->oom)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory counting tokens", where ? where : "<text>");
    return st;
}

rnnkit_status rnnkit_vocab_builder_add_source(rnnkit_vocab_builder *b, const char *path, int64_t bytes,
                                              int64_t lines, uint64_t hash, rnnkit_error *err)
{
    source s = {.path = (char *)path, .bytes = bytes, .lines = lines};
    snprintf(s.hash, sizeof s.hash, "%016" PRIx64, hash);
    return rnnkit__vocab_add_sources(&b->src, &b->nsrc, &b->capsrc, &s, 1, err);
}

static int cmp_entries(const void *pa, const void *pb, void *ctx)
{
    const table *t = ctx;
    const entry *a = &t->e[*(const uint32_t *)pa], *b = &t->e[*(const uint32_t *)pb];
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(t->arena + a->off, t->arena + b->off, n);
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* qsort with a context, as a merge sort of our own (qsort_r is not C17). */
static void sort_ids(uint32_t *v, uint32_t *tmp, size_t n, const table *t)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_ids(v, tmp, h, t);
    sort_ids(v + h, tmp, n - h, t);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_entries(&v[j], &v[i], (void *)t) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

rnnkit_vocab *rnnkit__vocab_alloc(const rnnkit_tok_config *cfg)
{
    rnnkit_vocab *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->cfg = *cfg;
    snprintf(v->utf8proc_version, sizeof v->utf8proc_version, "%s", utf8proc_version());
    snprintf(v->unicode_version, sizeof v->unicode_version, "%s", utf8proc_unicode_version());
    return v;
}

/* Appends token `s` with counts as the next id. */
int rnnkit__vocab_push(rnnkit_vocab *v, const char *s, size_t len, int64_t count, int64_t docs)
{
    size_t before = v->t.n;
    int64_t i = table_get(&v->t, s, len, 1);
    if (i < 0 || (size_t)i != before)
        return -1; /* OOM, or a duplicate token */
    v->t.e[i].count = count;
    v->t.e[i].docs = docs;
    return 0;
}

rnnkit_status rnnkit_vocab_builder_finish(rnnkit_vocab_builder *b, int64_t min_count, int64_t max_size,
                                          rnnkit_vocab **out, rnnkit_error *err)
{
    *out = NULL;
    size_t n = b->t.n;
    uint32_t *ord = malloc((n ? n : 1) * sizeof *ord), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    rnnkit_vocab *v = rnnkit__vocab_alloc(&b->cfg);
    if (!ord || !tmp || !v) {
        free(ord);
        free(tmp);
        free(v);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory sorting the vocabulary");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (b->t.e[i].count >= (min_count > 1 ? min_count : 1))
            ord[k++] = (uint32_t)i;
    sort_ids(ord, tmp, k, &b->t);
    free(tmp);
    if (max_size > 0 && (int64_t)k > max_size - 2)
        k = max_size > 2 ? (size_t)(max_size - 2) : 0;
    rnnkit_status st = RNNKIT_OK;
    if (rnnkit__vocab_push(v, "<pad>", 5, 0, 0) || rnnkit__vocab_push(v, "<unk>", 5, 0, 0))
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !st && i < k; i++) {
        const entry *e = &b->t.e[ord[i]];
        if (rnnkit__vocab_push(v, b->t.arena + e->off, e->len, e->count, e->docs))
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    free(ord);
    size_t capsrc = 0;
    if (!st)
        st = rnnkit__vocab_add_sources(&v->src, &v->nsrc, &capsrc, b->src, b->nsrc, err);
    if (st) {
        rnnkit_vocab_free(v);
        return st;
    }
    v->total = b->total;
    v->documents = b->doc;
    v->min_count = min_count;
    v->max_size = max_size;
    *out = v;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_vocab_builder_from_vocab(const rnnkit_vocab *v, rnnkit_vocab_builder **out, rnnkit_error *err)
{
    rnnkit_status st = rnnkit_vocab_builder_new(&v->cfg, out, err);
    if (st)
        return st;
    rnnkit_vocab_builder *b = *out;
    for (size_t i = 2; i < v->t.n; i++) {
        const entry *e = &v->t.e[i];
        int64_t j = table_get(&b->t, v->t.arena + e->off, e->len, 1);
        if (j < 0) {
            rnnkit_vocab_builder_free(b);
            *out = NULL;
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        }
        b->t.e[j].count = e->count;
        b->t.e[j].docs = e->docs;
    }
    b->total = v->total;
    b->doc = v->documents;
    st = rnnkit__vocab_add_sources(&b->src, &b->nsrc, &b->capsrc, v->src, v->nsrc, err);
    if (st) {
        rnnkit_vocab_builder_free(b);
        *out = NULL;
    }
    return st;
}

void rnnkit_vocab_free(rnnkit_vocab *v)
{
    if (!v)
        return;
    table_free(&v->t);
    for (size_t i = 0; i < v->nsrc; i++)
        free(v->src[i].path);
    free(v->src);
    rnnkit_tokenizer_free(v->tok);
    free(v);
}

/* ---------------------------------------------------------------------- */
/* Accessors and encoding */

int64_t rnnkit_vocab_size(const rnnkit_vocab *v) { return (int64_t)v->t.n; }
const rnnkit_tok_config *rnnkit_vocab_config(const rnnkit_vocab *v) { return &v->cfg; }
int64_t rnnkit_vocab_total_tokens(const rnnkit_vocab *v) { return v->total; }
int64_t rnnkit_vocab_documents(const rnnkit_vocab *v) { return v->documents; }

const char *rnnkit_vocab_token(const rnnkit_vocab *v, int64_t id, size_t *len)
{
    if (id < 0 || (size_t)id >= v->t.n)
        return NULL;
    if (len)
        *len = v->t.e[id].len;
    return v->t.arena + v->t.e[id].off;
}

int64_t rnnkit_vocab_count(const rnnkit_vocab *v, int64_t id)
{
    return (id < 0 || (size_t)id >= v->t.n) ? 0 : v->t.e[id].count;
}

int64_t rnnkit_vocab_doc_count(const rnnkit_vocab *v, int64_t id)
{
    return (id < 0 || (size_t)id >= v->t.n) ? 0 : v->t.e[id].docs;
}

int64_t rnnkit_vocab_lookup(const rnnkit_vocab *v, const char *tok, size_t len)
{
    int64_t i = table_get((table *)&v->t, tok, len, 0);
    return i < 2 ? RNNKIT_UNK_ID : i; /* "<pad>"/"<unk>" as text are unknown words */
}

typedef struct enc_ctx {
    const rnnkit_vocab *v;
    int32_t *ids;
    size_t cap, n;
    int keep_last;
} enc_ctx;

static int enc_token(void *ctx, const char *tok, size_t len)
{
    enc_ctx *c = ctx;
    int32_t id = (int32_t)rnnkit_vocab_lookup(c->v, tok, len);
    if (c->n < c->cap)
        c->ids[c->n] = id;
    else if (c->keep_last && c->cap)
        c->ids[c->n % c->cap] = id; /* ring: the last cap tokens survive */
    c->n++;
    return 0;
}

rnnkit_status rnnkit_vocab_encode(rnnkit_vocab *v, const char *text, size_t len, const char *where, int32_t *ids,
                                  size_t cap, int keep_last, size_t *n, rnnkit_error *err)
{
    if (!v->tok) {
        rnnkit_status st = rnnkit_tokenizer_new(&v->cfg, &v->tok, err);
        if (st)
            return st;
    }
    enc_ctx c = {.v = v, .ids = ids, .cap = cap, .n = 0, .keep_last = keep_last};
    rnnkit_status st = rnnkit_tokenizer_run(v->tok, text, len, where, enc_token, &c, err);
    if (st)
        return st;
    if (keep_last && c.n > cap && cap) {
        /* rotate the ring so the oldest kept token comes first */
        size_t r = c.n % cap;
        int32_t *tmp = malloc(r * sizeof *tmp);
        if (!tmp && r)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        memcpy(tmp, ids, r * sizeof *tmp);
        memmove(ids, ids + r, (cap - r) * sizeof *ids);
        memcpy(ids + cap - r, tmp, r * sizeof *tmp);
        free(tmp);
    }
    *n = c.n;
    return RNNKIT_OK;
}

rnnkit_tokenizer *rnnkit_vocab_tokenizer(rnnkit_vocab *v, rnnkit_error *err)
{
    if (!v->tok && rnnkit_tokenizer_new(&v->cfg, &v->tok, err))
        return NULL;
    return v->tok;
}


size_t rnnkit_vocab_num_sources(const rnnkit_vocab *v) { return v->nsrc; }

const char *rnnkit_vocab_source(const rnnkit_vocab *v, size_t i, int64_t *bytes, int64_t *lines, const char **hash)
{
    if (i >= v->nsrc)
        return NULL;
    if (bytes)
        *bytes = v->src[i].bytes;
    if (lines)
        *lines = v->src[i].lines;
    if (hash)
        *hash = v->src[i].hash;
    return v->src[i].path;
}

const char *rnnkit_vocab_unicode_version(const rnnkit_vocab *v) { return v->unicode_version; }
const char *rnnkit_vocab_utf8proc_version(const rnnkit_vocab *v) { return v->utf8proc_version; }
