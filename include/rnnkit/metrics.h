/*
 * rnnkit/metrics.h: how well a classifier's predictions match the truth:
 * the confusion matrix, per-class precision, recall and F1, macro F1 and
 * accuracy.
 *
 * Conventions: classes are 0..K-1; confusion[t * K + p] counts documents of
 * true class t predicted as p (rows: true, columns: predicted). A class
 * never predicted has precision 0, one without documents recall 0, and F1
 * is 0 when precision + recall is 0. Macro F1 is the unweighted mean of the
 * classes' F1, summed in class order. The arrays of an rnnkit_metrics are
 * owned by it and released by rnnkit_metrics_free.
 */
#ifndef RNNKIT_METRICS_H
#define RNNKIT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rnnkit_class_metrics {
    double precision, recall, f1;
    int64_t support;   /* documents of this class */
    int64_t predicted; /* documents predicted as this class */
} rnnkit_class_metrics;

typedef struct rnnkit_metrics {
    int num_classes;                /* K */
    size_t n;                       /* documents counted */
    int64_t *confusion;             /* [K][K] */
    rnnkit_class_metrics *per_class;/* [K] */
    double accuracy;                /* correct / n (0 when n is 0) */
    double macro_f1;
} rnnkit_metrics;

/* The class with the highest probability in p[0..K) (the first one on a tie). */
int rnnkit_argmax(const float *p, int K);

/* Metrics of n predictions: truth[i] and predicted[i] in [0, K). On
 * RNNKIT_OK *out holds new arrays; otherwise (RNNKIT_ERR_ARG for a class
 * outside [0, K) or K < 1, naming the document; RNNKIT_ERR_NOMEM) *out is
 * zeroed. */
rnnkit_status rnnkit_metrics_compute(const int32_t *truth, const int32_t *predicted, size_t n, int K,
                                     rnnkit_metrics *out, rnnkit_error *err);
/* The same from class probabilities probs[n][K] (each row's argmax). */
rnnkit_status rnnkit_metrics_from_probs(const int32_t *truth, const float *probs, size_t n, int K,
                                        rnnkit_metrics *out, rnnkit_error *err);
/* Releases the arrays of m and zeroes it; a zeroed m is fine. */
void rnnkit_metrics_free(rnnkit_metrics *m);

#ifdef __cplusplus
}
#endif
#endif
