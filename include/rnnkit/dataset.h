/*
 * rnnkit/dataset.h: labelled text made ready for a classifier: encoded
 * document sets (rnnkit_docs, the owner of an rnnkit_dataset's arrays),
 * the preparation of a classifier from corpus rows (vocabulary, labels,
 * ensemble size), and k-fold cross-validation.
 *
 * Ownership: every object here is created by its *_new and released by its
 * *_free (NULL is a no-op). An rnnkit_dataset obtained from
 * rnnkit_docs_view points into the rnnkit_docs and stays valid until the
 * next add to it or its free. Errors name the file and line of the
 * document at fault ("train.tsv:12: label 'x' is not one the model knows").
 */
#ifndef RNNKIT_DATASET_H
#define RNNKIT_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/corpus.h"
#include "rnnkit/model.h"
#include "rnnkit/status.h"
#include "rnnkit/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Encoded document sets */

typedef struct rnnkit_docs rnnkit_docs;

/* A new empty set. keep_names: each document's `where` is copied and
 * available from rnnkit_docs_name (for output that names documents). */
rnnkit_status rnnkit_docs_new(int keep_names, rnnkit_docs **out, rnnkit_error *err);
void rnnkit_docs_free(rnnkit_docs *d);

/* Encodes text[0..len) with v's rules and appends it with class `label`;
 * `where` names it in errors (and is kept with keep_names).
 * RNNKIT_ERR_NOMEM, or the vocabulary's encoding errors. */
rnnkit_status rnnkit_docs_add(rnnkit_docs *d, rnnkit_vocab *v, const char *text, size_t len, const char *where,
                              int32_t label, rnnkit_error *err);
/* Appends rows idx[0..n) of corpus c (rows 0..n-1 when idx is NULL),
 * encoded with m's vocabulary, labels mapped to m's classes. A row whose
 * label m does not know is RNNKIT_ERR_FORMAT naming the row. */
rnnkit_status rnnkit_docs_add_rows(rnnkit_docs *d, rnnkit_model *m, const rnnkit_corpus *c, const size_t *idx,
                                   size_t n, rnnkit_error *err);
/* Appends the documents `path` names, with class 0: a file is one
 * document (named by its path); a directory is walked as by
 * rnnkit_walk_files; "-" reads stdin, one document per line (named "-:N",
 * N from 1, CR before a line end dropped). Errors of reading and encoding
 * name the file. */
rnnkit_status rnnkit_docs_add_path(rnnkit_docs *d, rnnkit_vocab *v, const char *path, rnnkit_error *err);
/* What the walks of rnnkit_docs_add_path skipped so far, summed
 * (rnnkit_walk_files_counted): FIFOs, sockets, devices; symbolic link loops. */
rnnkit_walk_stats rnnkit_docs_walk_stats(const rnnkit_docs *d);

size_t rnnkit_docs_size(const rnnkit_docs *d);
/* The `where` of document i (keep_names sets only), else NULL. */
const char *rnnkit_docs_name(const rnnkit_docs *d, size_t i);
/* The set as an rnnkit_dataset (see the ownership note above). */
rnnkit_dataset rnnkit_docs_view(const rnnkit_docs *d);

/* ---------------------------------------------------------------------- */
/* A classifier made ready to train on corpus rows */

/* Rows of a corpus: idx[0..n), or rows 0..n-1 when idx is NULL. */
typedef struct rnnkit_rows {
    const rnnkit_corpus *corpus;
    const size_t *idx;
    size_t n;
} rnnkit_rows;

/* Where a new classifier's vocabulary comes from. */
typedef struct rnnkit_vocab_recipe {
    const char *path;     /* an existing vocabulary file; NULL: count the training rows */
    rnnkit_tok_config tok;/* the rules for counting */
    int64_t min_count;    /* as rnnkit_vocab_builder_finish */
    int64_t max_size;
} rnnkit_vocab_recipe;

/* The order `rnnkit classify train` takes a corpus's rows in: 0..n-1
 * shuffled by a generator seeded from `seed` (the training seed). The
 * validation part is the front of it, cross-validation folds are its
 * consecutive slices. *out is malloc'd (free it); RNNKIT_ERR_NOMEM. */
rnnkit_status rnnkit_classifier_row_order(size_t n, uint64_t seed, size_t **out, rnnkit_error *err);

typedef struct rnnkit_classifier_setup {
    rnnkit_model *model;
    rnnkit_docs *train;
    rnnkit_docs *valid;  /* NULL without validation rows */
    int auto_members;    /* > 0: the ensemble size chosen because cfg->members was 0 */
    uint64_t tokens;     /* the training tokens that choice counted */
} rnnkit_classifier_setup;

/* Makes a classifier ready for rnnkit_classifier_train on `train`,
 * validated on `valid` (NULL: none). With resume_path the model, its
 * vocabulary and labels are loaded from that checkpoint; otherwise it is
 * created from cfg with seed: the vocabulary per `vr` (counted over the
 * training rows), the labels of train->corpus, and for cfg->members == 0
 * an ensemble sized by rnnkit_classifier_auto_members. On failure *out is
 * zeroed and err names what failed. Release with
 * rnnkit_classifier_setup_free. */
rnnkit_status rnnkit_classifier_setup_new(const rnnkit_model_config *cfg, const rnnkit_vocab_recipe *vr,
                                          const rnnkit_rows *train, const rnnkit_rows *valid, uint64_t seed,
                                          const char *resume_path, rnnkit_classifier_setup *out,
                                          rnnkit_error *err);
void rnnkit_classifier_setup_free(rnnkit_classifier_setup *s);

/* ---------------------------------------------------------------------- */
/* Cross-validation */

/* Told each fold's accuracy as soon as it is known (fold 0-based). */
typedef void (*rnnkit_fold_fn)(void *ctx, int fold, int folds, double accuracy);

/* K-fold cross-validation of a classifier over all rows of `c`: the rows,
 * in rnnkit_classifier_row_order, are cut into `folds` consecutive slices;
 * for each, a fresh classifier (cfg, vr, opt->train.seed) is trained on the
 * other slices for opt->epochs epochs (no early stopping, no checkpoints;
 * opt's progress callback is called) and its accuracy measured on the
 * slice. accuracy[folds] receives them; *mean and *std (sample standard
 * deviation) may be NULL. folds in [2, 100]. Returns the first failure. */
rnnkit_status rnnkit_classifier_cross_validate(const rnnkit_corpus *c, const rnnkit_vocab_recipe *vr,
                                               const rnnkit_model_config *cfg,
                                               const rnnkit_classifier_options *opt, int folds,
                                               double *accuracy, double *mean, double *std,
                                               rnnkit_fold_fn on_fold, void *ctx, rnnkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
