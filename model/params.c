/*
 * model/params.c: the parameter block. All tensors of a network share one
 * value array and one gradient array (so a checkpoint, a gradient norm or an
 * optimiser step is one loop); each tensor is a named view into them.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "model/nn_internal.h"

void rnnkit__params_init(rnnkit__params *p)
{
    memset(p, 0, sizeof *p);
}

rnnkit_status rnnkit__params_declare(rnnkit__params *p, const char *name, int64_t rows,
                                    int64_t cols, size_t *offset, rnnkit_error *err)
{
    if (p->value)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "tensor '%s' declared after allocation", name);
    if (strlen(name) >= RNNKIT_NAME_MAX)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "tensor name '%s' too long", name);
    if (rows <= 0 || cols < 0 || rows > (int64_t)1 << 31 || cols > (int64_t)1 << 31)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "tensor '%s': invalid shape [%lld][%lld]",
                                name, (long long)rows, (long long)cols);
    if (rnnkit__params_find(p, name))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "tensor '%s' declared twice", name);
    size_t numel = (size_t)rows * (size_t)(cols ? cols : 1);
    if (numel > ((size_t)1 << 34) || p->count + numel > ((size_t)1 << 34))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "tensor '%s': %zu floats is too large",
                                name, numel);
    if (p->nviews == p->cap) {
        int cap = p->cap ? 2 * p->cap : 16;
        rnnkit__param_view *v = realloc(p->views, (size_t)cap * sizeof *v);
        if (!v)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory declaring '%s'", name);
        p->views = v;
        p->cap = cap;
    }
    rnnkit__param_view *v = &p->views[p->nviews++];
    memset(v, 0, sizeof *v);
    strcpy(v->name, name);
    v->ndim = cols ? 2 : 1;
    v->shape[0] = rows;
    v->shape[1] = cols;
    /* Keep every tensor 16-float (64-byte) aligned inside the block. */
    size_t start = (p->count + 15) & ~(size_t)15;
    v->offset = start;
    v->numel = numel;
    p->count = start + numel;
    if (offset)
        *offset = start;
    return RNNKIT_OK;
}

rnnkit_status rnnkit__params_alloc(rnnkit__params *p, rnnkit_error *err)
{
    size_t n = (p->count + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    p->value = rnnkit__mem_large(n * sizeof(float), 0);
    p->grad = rnnkit__mem_large(n * sizeof(float), 0);
    if (!p->value || !p->grad) {
        free(p->value);
        free(p->grad);
        p->value = p->grad = NULL;
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu parameters", n);
    }
    memset(p->value, 0, n * sizeof(float));
    memset(p->grad, 0, n * sizeof(float));
    return RNNKIT_OK;
}

const rnnkit__param_view *rnnkit__params_find(const rnnkit__params *p, const char *name)
{
    for (int i = 0; i < p->nviews; i++)
        if (!strcmp(p->views[i].name, name))
            return &p->views[i];
    return NULL;
}

void rnnkit__params_zero_grad(rnnkit__params *p)
{
    if (p->grad)
        memset(p->grad, 0, p->count * sizeof(float));
}

void rnnkit__params_free(rnnkit__params *p)
{
    if (!p)
        return;
    free(p->value);
    free(p->grad);
    free(p->views);
    rnnkit__params_init(p);
}
