/*
 * model/dataset.c: rnnkit_docs, a growable set of encoded documents that
 * owns the arrays of the rnnkit_dataset it hands out, and the ways to fill
 * one: from text, from corpus rows, from files, folders or stdin lines.
 *
 * Invariants: off[0] == 0 once a document is added and off[i+1] >= off[i];
 * ids[off[i]..off[i+1]) are document i's ids; label[i] its class; with
 * keep_names, names[i] is a malloc'd copy of its `where`.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnkit/dataset.h"

struct rnnkit_docs {
    size_t n, cap, nids, capids;
    size_t *off;
    int32_t *ids;
    int32_t *label;
    char **names; /* [cap] with keep_names, else NULL */
    int keep_names;
    rnnkit_walk_stats walked; /* what rnnkit_docs_add_path's walks skipped, summed */
};

rnnkit_status rnnkit_docs_new(int keep_names, rnnkit_docs **out, rnnkit_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    (*out)->keep_names = keep_names;
    return RNNKIT_OK;
}

void rnnkit_docs_free(rnnkit_docs *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->names && i < d->n; i++)
        free(d->names[i]);
    free(d->names);
    free(d->off);
    free(d->ids);
    free(d->label);
    free(d);
}

size_t rnnkit_docs_size(const rnnkit_docs *d) { return d->n; }

const char *rnnkit_docs_name(const rnnkit_docs *d, size_t i)
{
    return d->names && i < d->n ? d->names[i] : NULL;
}

rnnkit_dataset rnnkit_docs_view(const rnnkit_docs *d)
{
    rnnkit_dataset v = {.n = d->n, .off = d->off, .ids = d->ids, .label = d->label};
    return v;
}

/* Room for one more document (and the offset after it). */
static rnnkit_status grow_docs(rnnkit_docs *d, rnnkit_error *err)
{
    if (d->n + 2 <= d->cap)
        return RNNKIT_OK;
    size_t cap = d->cap ? 2 * d->cap : 1024;
    size_t *off = realloc(d->off, cap * sizeof *off);
    if (off)
        d->off = off;
    int32_t *lab = realloc(d->label, cap * sizeof *lab);
    if (lab)
        d->label = lab;
    char **names = d->keep_names ? realloc(d->names, cap * sizeof *names) : NULL;
    if (names)
        d->names = names;
    if (!off || !lab || (d->keep_names && !names))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory encoding documents");
    d->cap = cap;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_docs_add(rnnkit_docs *d, rnnkit_vocab *v, const char *text, size_t len, const char *where,
                              int32_t label, rnnkit_error *err)
{
    rnnkit_status st = grow_docs(d, err);
    if (st)
        return st;
    char *name = NULL;
    if (d->keep_names && !(name = strdup(where ? where : "")))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory encoding documents");
    if (d->n == 0)
        d->off[0] = 0;
    size_t need = len + 16;
    for (;;) {
        if (d->nids + need > d->capids) {
            size_t cap = d->capids ? d->capids : 1 << 16;
            while (cap < d->nids + need)
                cap *= 2;
            int32_t *ids = realloc(d->ids, cap * sizeof *ids);
            if (!ids) {
                free(name);
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory encoding documents");
            }
            d->ids = ids;
            d->capids = cap;
        }
        size_t n = 0;
        if ((st = rnnkit_vocab_encode(v, text, len, where, d->ids + d->nids, need, 0, &n, err))) {
            free(name);
            return st;
        }
        if (n <= need) {
            d->nids += n;
            break;
        }
        need = n;
    }
    if (d->keep_names)
        d->names[d->n] = name;
    d->label[d->n] = label;
    d->n++;
    d->off[d->n] = d->nids;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_docs_add_rows(rnnkit_docs *d, rnnkit_model *m, const rnnkit_corpus *c, const size_t *idx,
                                   size_t n, rnnkit_error *err)
{
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    for (size_t j = 0; j < n; j++) {
        size_t i = idx ? idx[j] : j;
        size_t len;
        const char *text = rnnkit_corpus_text(c, i, &len);
        const char *lab = rnnkit_corpus_label(c, i);
        int k = lab ? rnnkit_model_find_label(m, lab) : -1;
        if (k < 0)
            return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: label '%s' is not one the model knows",
                                    rnnkit_corpus_where(c, i), lab ? lab : "");
        rnnkit_status st = rnnkit_docs_add(d, v, text, len, rnnkit_corpus_where(c, i), k, err);
        if (st)
            return st;
    }
    return RNNKIT_OK;
}

/* stdin's text, one document per line, named "-:N". */
static rnnkit_status add_lines(rnnkit_docs *d, rnnkit_vocab *v, const char *text, size_t len, rnnkit_error *err)
{
    size_t line = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        if (ll && p[ll - 1] == '\r')
            ll--;
        char name[32];
        snprintf(name, sizeof name, "-:%zu", line);
        rnnkit_status st = rnnkit_docs_add(d, v, p, ll, name, 0, err);
        if (st)
            return st;
        p = nl ? nl + 1 : end;
    }
    return RNNKIT_OK;
}

typedef struct path_ctx {
    rnnkit_docs *d;
    rnnkit_vocab *v;
} path_ctx;

static rnnkit_status add_file(void *ctx, const char *path, rnnkit_error *err)
{
    path_ctx *pc = ctx;
    char *text = NULL;
    size_t len = 0;
    rnnkit_status st = rnnkit_read_text_file(path, &text, &len, err);
    if (st)
        return st;
    if (!strcmp(path, "-"))
        st = add_lines(pc->d, pc->v, text, len, err);
    else
        st = rnnkit_docs_add(pc->d, pc->v, text, len, path, 0, err);
    free(text);
    return st;
}

rnnkit_status rnnkit_docs_add_path(rnnkit_docs *d, rnnkit_vocab *v, const char *path, rnnkit_error *err)
{
    path_ctx pc = {d, v};
    rnnkit_walk_stats ws;
    rnnkit_status st = rnnkit_walk_files_counted(path, add_file, &pc, &ws, err);
    d->walked.special += ws.special;
    d->walked.loops += ws.loops;
    return st;
}

rnnkit_walk_stats rnnkit_docs_walk_stats(const rnnkit_docs *d)
{
    return d->walked;
}
