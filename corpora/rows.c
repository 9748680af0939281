/*
 * corpora/rows.c: how a reader adds to a corpus: a row (offsets of its
 * text, label and "file:line" in the corpus arena) or a skipped malformed
 * row (counted, the first reason kept). The rows array grows geometrically.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "corpora/corpus_internal.h"

rnnkit_status rnnkit__corpus_add_row(rnnkit_corpus *c, size_t text, size_t text_len,
                                     size_t label, size_t where, rnnkit_error *err)
{
    if (c->nrows == c->rows_cap) {
        size_t cap = c->rows_cap ? c->rows_cap * 2 : 1024;
        if (cap > SIZE_MAX / sizeof *c->rows)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "too many corpus rows");
        rnnkit__row *p = realloc(c->rows, cap * sizeof *p);
        if (!p)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu corpus rows",
                                    cap);
        c->rows = p;
        c->rows_cap = cap;
    }
    c->rows[c->nrows++] = (rnnkit__row){text, text_len, label, where, -1};
    return RNNKIT_OK;
}

rnnkit_status rnnkit__corpus_skip(rnnkit_corpus *c, const rnnkit_error *why, rnnkit_error *err)
{
    c->skipped++;
    if (c->skip_reason != SIZE_MAX)
        return RNNKIT_OK;
    return rnnkit__buf_appendf(&c->arena, &c->skip_reason, err, "%s", why->msg);
}

