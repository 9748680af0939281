/*
 * model/metrics.c: confusion matrix, per-class precision/recall/F1, macro
 * F1 and accuracy of a classifier's predictions (rnnkit/metrics.h).
 *
 * Invariant: the sums run in class order, so the same predictions always
 * give the same bits (macro F1 adds f1/K class by class).
 */
#include <stdlib.h>
#include <string.h>

#include "rnnkit/metrics.h"

int rnnkit_argmax(const float *p, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (p[k] > p[best])
            best = k;
    return best;
}

void rnnkit_metrics_free(rnnkit_metrics *m)
{
    free(m->confusion);
    free(m->per_class);
    memset(m, 0, sizeof *m);
}

/* Per-class scores, macro F1 and accuracy from the confusion matrix. */
static void scores(rnnkit_metrics *m)
{
    const int K = m->num_classes;
    int64_t correct = 0;
    m->macro_f1 = 0;
    for (int k = 0; k < K; k++) {
        rnnkit_class_metrics *c = &m->per_class[k];
        int64_t tp = m->confusion[(size_t)k * K + k];
        for (int j = 0; j < K; j++) {
            c->predicted += m->confusion[(size_t)j * K + k];
            c->support += m->confusion[(size_t)k * K + j];
        }
        c->precision = c->predicted ? (double)tp / (double)c->predicted : 0;
        c->recall = c->support ? (double)tp / (double)c->support : 0;
        c->f1 = c->precision + c->recall > 0 ? 2 * c->precision * c->recall / (c->precision + c->recall) : 0;
        m->macro_f1 += c->f1 / K;
        correct += tp;
    }
    m->accuracy = m->n ? (double)correct / (double)m->n : 0;
}

static rnnkit_status metrics_new(size_t n, int K, rnnkit_metrics *out, rnnkit_error *err)
{
    memset(out, 0, sizeof *out);
    if (K < 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "metrics: %d classes", K);
    out->confusion = calloc((size_t)K * (size_t)K, sizeof *out->confusion);
    out->per_class = calloc((size_t)K, sizeof *out->per_class);
    if (!out->confusion || !out->per_class) {
        rnnkit_metrics_free(out);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    out->num_classes = K;
    out->n = n;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_metrics_compute(const int32_t *truth, const int32_t *predicted, size_t n, int K,
                                     rnnkit_metrics *out, rnnkit_error *err)
{
    rnnkit_status st = metrics_new(n, K, out, err);
    for (size_t i = 0; !st && i < n; i++) {
        if (truth[i] < 0 || truth[i] >= K || predicted[i] < 0 || predicted[i] >= K) {
            rnnkit_metrics_free(out);
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "metrics: document %zu: class outside [0, %d)", i, K);
        }
        out->confusion[(size_t)truth[i] * K + predicted[i]]++;
    }
    if (!st)
        scores(out);
    return st;
}

rnnkit_status rnnkit_metrics_from_probs(const int32_t *truth, const float *probs, size_t n, int K,
                                        rnnkit_metrics *out, rnnkit_error *err)
{
    int32_t *pred = malloc((n ? n : 1) * sizeof *pred);
    if (!pred) {
        memset(out, 0, sizeof *out);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        pred[i] = rnnkit_argmax(probs + i * (size_t)K, K);
    rnnkit_status st = rnnkit_metrics_compute(truth, pred, n, K, out, err);
    free(pred);
    return st;
}
