/*
 * model/table.c: the inference table of a classifier. At inference the
 * embedding of a token and the first recurrent layer's input product
 * x_id W_ih^T depend on the token id alone: the table [D][V][G*H] holds that
 * row per id and direction, computed on first use for the weights of the
 * moment, so a forward copies one row per token instead of E*G*H
 * multiply-adds (rnn_internal.h: rnnkit__rnn_set_input_rows).
 *
 * Invariants: tab_have[id] = 1 exactly when the rows of id are valid for the
 * current weights; every path that may change the weights (training,
 * rnnkit__model_params, a member switch) clears it through
 * rnnkit__model_weights_changed (which also marks the int8 copies of
 * model/int8.c stale). The table is never used while training, and
 * not past TAB_MAX_BYTES (the plain path serves then).
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#include "model/model_internal.h"
#include "model/rnn_internal.h"

void rnnkit__table_free(rnnkit_model *m)
{
    free(m->tab);
    free(m->tab_have);
    free(m->tab_x);
    free(m->tab_z);
    free(m->tab_pending);
    m->tab = m->tab_x = m->tab_z = NULL;
    m->tab_have = NULL;
    m->tab_pending = NULL;
}

/* The weights may be about to change: forget every computed row. */
void rnnkit__model_weights_changed(rnnkit_model *m)
{
    if (m->tab_have)
        memset(m->tab_have, 0, (size_t)m->V);
    m->q_valid = 0; /* the int8 copies too (model/int8.c) */
}

enum { TAB_CHUNK = 256 };
#define TAB_MAX_BYTES ((size_t)512 << 20)

/* Computes the rows of the np pending ids (checked in range by the caller). */
static void tab_flush(rnnkit_model *m, int np)
{
    const size_t GH = (size_t)rnnkit__rnn_gate_width(m->rnn), V = (size_t)m->V;
    (void)rnnkit__embedding_forward(&m->emb, m->tab_pending, (size_t)np, m->tab_x, NULL);
    for (int d = 0; d < (m->cfg.bidirectional ? 2 : 1); d++) {
        rnnkit__rnn_input_rows(m->rnn, d, np, m->tab_x, m->tab_z);
        for (int j = 0; j < np; j++)
            memcpy(m->tab + ((size_t)d * V + (size_t)m->tab_pending[j]) * GH, m->tab_z + (size_t)j * GH,
                   GH * sizeof(float));
    }
}

/* Makes sure the table holds the rows of ids[0..n). Returns 1 if the forward
 * can use it, 0 for the plain path (training, turned off, no memory for it,
 * or an id out of range, which *st reports). */
int rnnkit__table_prepare(rnnkit_model *m, const int32_t *ids, size_t n, rnnkit_status *st, rnnkit_error *err)
{
    *st = RNNKIT_OK;
    if (m->training || m->tab_off)
        return 0;
    const size_t E = (size_t)m->cfg.embed, GH = (size_t)rnnkit__rnn_gate_width(m->rnn), V = (size_t)m->V;
    const size_t D = m->cfg.bidirectional ? 2 : 1;
    if (!m->tab) {
        /* Pages are touched only for the rows computed; beyond the cap the
         * plain path is kept. */
        if (D * V * GH > TAB_MAX_BYTES / sizeof(float)) {
            m->tab_off = 1;
            return 0;
        }
        /* rows are read in the order of the text, a page each at random:
         * 2 MB pages (core/mem.h) miss the TLB 512 times less often */
        m->tab = rnnkit__mem_large(D * V * GH * sizeof(float), RNNKIT__MEM_HUGE);
        m->tab_have = calloc(V, 1);
        m->tab_x = malloc(TAB_CHUNK * E * sizeof(float));
        m->tab_z = malloc(TAB_CHUNK * GH * sizeof(float));
        m->tab_pending = malloc(TAB_CHUNK * sizeof(int32_t));
        if (!m->tab || !m->tab_have || !m->tab_x || !m->tab_z || !m->tab_pending) {
            rnnkit__table_free(m);
            m->tab_off = 1; /* an optimisation only: go on without it */
            return 0;
        }
    }
    int np = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || (size_t)id >= V) {
            *st = rnnkit_error_set(err, RNNKIT_ERR_ARG, "embedding: id %d at position %zu outside [0, %d)", id, i,
                                   m->V);
            return 0;
        }
        if (m->tab_have[id])
            continue;
        m->tab_have[id] = 1;
        m->tab_pending[np++] = id;
        if (np == TAB_CHUNK) {
            tab_flush(m, np);
            np = 0;
        }
    }
    if (np)
        tab_flush(m, np);
    return 1;
}

