/*
 * model/int8.c: a classifier's prediction with int8 weights
 * (rnnkit_model_set_int8). The products that dominate inference run on int8
 * copies of their weights (model/quant.c): every unit's W_hh, W_ih of the
 * layers above the first (layer 0's input product comes from the table of
 * model/table.c, fp32) and the output layer. Everything else (embedding,
 * table, biases, gates, pooling) stays fp32, and so do the weights
 * themselves: the copies sit beside them.
 *
 * Invariants: while m->int8, q_hh / q_ih / q_fc are allocated; q_valid = 1
 * exactly when they hold the current member's weights (every path that may
 * change weights clears it through rnnkit__model_weights_changed, and the
 * next inference forward quantizes again); they are never used while
 * training, so training gives the same bits with int8 on or off.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"
#include "model/rnn_internal.h"

void rnnkit__int8_free(rnnkit_model *m)
{
    for (int i = 0; m->q_hh && i < m->LD; i++)
        rnnkit__qmat_free(&m->q_hh[i]);
    for (int i = 0; m->q_ih && i < m->LD; i++)
        rnnkit__qmat_free(&m->q_ih[i]);
    free(m->q_hh);
    free(m->q_ih);
    m->q_hh = m->q_ih = NULL;
    rnnkit__qmat_free(&m->q_fc);
    rnnkit__qbuf_free(&m->q_buf);
    m->int8 = m->q_valid = 0;
}

/* Quantizes the current weights (allocating what is missing). */
static rnnkit_status quantize(rnnkit_model *m, rnnkit_error *err)
{
    rnnkit_status st = rnnkit__rnn_quantize(m->rnn, m->q_hh, m->q_ih, err);
    if (st)
        return st;
    if (!m->q_fc.q && (st = rnnkit__qmat_alloc(&m->q_fc, m->fc.out, m->fc.in, err)))
        return st;
    rnnkit__qmat_set(&m->q_fc, m->params.value + m->fc.off_w);
    m->q_valid = 1;
    return RNNKIT_OK;
}

rnnkit_status rnnkit__int8_check(const rnnkit_model *m, const char *what, rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_CLASSIFY)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s is for classifiers (this model is a %s)", what,
                                rnnkit_task_noun(m->cfg.task));
    const int widest = m->cfg.hidden * (m->cfg.bidirectional ? 2 : 1);
    if (widest > RNNKIT__QMAX_K)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: layers %d wide, at most %d", what, widest, RNNKIT__QMAX_K);
    return RNNKIT_OK;
}

rnnkit_status rnnkit_model_set_int8(rnnkit_model *m, int on, rnnkit_error *err)
{
    rnnkit_status st = m->cfg.task != RNNKIT_TASK_CLASSIFY || on ? rnnkit__int8_check(m, "int8 prediction", err)
                                                                 : RNNKIT_OK;
    if (st)
        return st;
    if (!on) {
        rnnkit__int8_free(m);
        return RNNKIT_OK;
    }
    if (m->int8)
        return RNNKIT_OK;
    m->q_hh = calloc((size_t)m->LD, sizeof *m->q_hh);
    m->q_ih = calloc((size_t)m->LD, sizeof *m->q_ih);
    if (!m->q_hh || !m->q_ih)
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "int8 prediction: out of memory");
    if (!st)
        st = quantize(m, err);
    if (st) {
        rnnkit__int8_free(m);
        return st;
    }
    m->q_vnni = rnnkit__cpu_has_vnni();
    m->int8 = 1;
    return RNNKIT_OK;
}

int rnnkit_model_int8(const rnnkit_model *m) { return m->int8; }

/* The bytes of an N x K matrix's int8 copy (quant_internal.h's layout). */
static size_t qbytes(size_t N, size_t K)
{
    return (N + 15) / 16 * 16 * ((K + 3) / 4 * 4) + N * (sizeof(float) + sizeof(int32_t));
}

void rnnkit_model_int8_bytes(const rnnkit_model *m, size_t *int8_bytes, size_t *fp32_bytes)
{
    size_t q = 0, f = 0;
    if (m->cfg.task == RNNKIT_TASK_CLASSIFY) {
        const size_t H = (size_t)m->cfg.hidden, D = m->cfg.bidirectional ? 2 : 1;
        const size_t GH = (size_t)rnnkit__rnn_gate_width(m->rnn);
        for (int l = 0; l < m->cfg.layers; l++) {
            q += D * qbytes(GH, H);
            f += D * GH * H * sizeof(float);
            if (l > 0) {
                q += D * qbytes(GH, D * H);
                f += D * GH * D * H * sizeof(float);
            }
        }
        q += qbytes((size_t)m->fc.out, (size_t)m->fc.in);
        f += (size_t)m->fc.out * (size_t)m->fc.in * sizeof(float);
    }
    if (int8_bytes)
        *int8_bytes = q;
    if (fp32_bytes)
        *fp32_bytes = f;
}

int rnnkit__int8_prepare(rnnkit_model *m, rnnkit_status *st, rnnkit_error *err)
{
    *st = RNNKIT_OK;
    if (!m->int8 || m->training)
        return 0;
    if (!m->q_valid && (*st = quantize(m, err)))
        return 0;
    return 1;
}

rnnkit_status rnnkit__int8_dense(rnnkit_model *m, int B, rnnkit_error *err)
{
    const size_t K = (size_t)m->fc.out;
    rnnkit_status st = rnnkit__qbuf_reserve(&m->q_buf, (size_t)B, (size_t)m->q_fc.Kp, err);
    if (st)
        return st;
    const float *b = m->params.value + m->fc.off_b;
    for (int i = 0; i < B; i++)
        memcpy(m->logits + (size_t)i * K, b, K * sizeof(float));
    rnnkit__qgemm(m->pool, B, m->feat, &m->q_fc, 1.0f, m->logits, &m->q_buf, m->q_vnni);
    return RNNKIT_OK;
}
