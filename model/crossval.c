/*
 * model/crossval.c: k-fold cross-validation of a classifier over a corpus.
 *
 * Invariant: fold f tests on slice [n*f/K, n*(f+1)/K) of the row order of
 * rnnkit_classifier_row_order and trains a fresh model on the rest, in row
 * order; each fold's model is built exactly as `classify train` builds one
 * (rnnkit_classifier_setup_new), without early stopping or checkpoints.
 */
#include <math.h>
#include <stdlib.h>

#include "rnnkit/dataset.h"

/* Trains on the rows outside [lo, hi) of `order` and measures the rows inside. */
static rnnkit_status one_fold(const rnnkit_corpus *c, const size_t *order, size_t n, size_t lo, size_t hi,
                              const rnnkit_vocab_recipe *vr, const rnnkit_model_config *cfg,
                              const rnnkit_classifier_options *opt, double *acc, rnnkit_error *err)
{
    size_t *tr = malloc((n ? n : 1) * sizeof *tr), ntr = 0;
    if (!tr)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (i < lo || i >= hi)
            tr[ntr++] = order[i];
    rnnkit_rows train = {c, tr, ntr}, test = {c, order + lo, hi - lo};
    rnnkit_classifier_setup s;
    rnnkit_status st = rnnkit_classifier_setup_new(cfg, vr, &train, &test, opt->train.seed, NULL, &s, err);
    if (!st) {
        const rnnkit_model_config *mc = rnnkit_model_get_config(s.model);
        rnnkit_classifier_options fo = *opt;
        fo.train.patience = 0; /* no held-out set inside a fold: fixed epochs */
        fo.train.checkpoint_path = NULL;
        fo.train.resume = 0;
        fo.train.init_path = NULL;
        fo.maxlen = mc->maxlen;
        fo.keep_last = mc->keep_last;
        rnnkit_dataset dtr = rnnkit_docs_view(s.train), dte = rnnkit_docs_view(s.valid);
        double loss = 0;
        st = rnnkit_classifier_train(s.model, &dtr, NULL, &fo, NULL, NULL, err);
        if (!st)
            st = rnnkit_classifier_evaluate(s.model, &dte, cfg->maxlen, cfg->keep_last, &loss, acc, err);
        rnnkit_classifier_setup_free(&s);
    }
    free(tr);
    return st;
}

rnnkit_status rnnkit_classifier_cross_validate(const rnnkit_corpus *c, const rnnkit_vocab_recipe *vr,
                                               const rnnkit_model_config *cfg,
                                               const rnnkit_classifier_options *opt, int folds,
                                               double *accuracy, double *mean, double *std,
                                               rnnkit_fold_fn on_fold, void *ctx, rnnkit_error *err)
{
    if (folds < 2 || folds > 100)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "cross-validation: %d folds (2 to 100)", folds);
    size_t n = rnnkit_corpus_size(c), *order = NULL;
    rnnkit_status st = rnnkit_classifier_row_order(n, opt->train.seed, &order, err);
    double sum = 0, sq = 0;
    for (int f = 0; !st && f < folds; f++) {
        size_t lo = n * (size_t)f / (size_t)folds, hi = n * (size_t)(f + 1) / (size_t)folds;
        st = one_fold(c, order, n, lo, hi, vr, cfg, opt, &accuracy[f], err);
        if (st)
            break;
        sum += accuracy[f];
        if (on_fold)
            on_fold(ctx, f, folds, accuracy[f]);
    }
    free(order);
    if (st)
        return st;
    double mu = sum / folds;
    for (int f = 0; f < folds; f++)
        sq += (accuracy[f] - mu) * (accuracy[f] - mu);
    if (mean)
        *mean = mu;
    if (std)
        *std = sqrt(sq / (folds - 1));
    return RNNKIT_OK;
}
