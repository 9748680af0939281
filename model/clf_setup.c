/*
 * model/clf_setup.c: a classifier made ready to train on corpus rows: the
 * order rows are taken in, the vocabulary counted over the training rows
 * (or opened), the labels, the encoded sets and the automatic ensemble
 * size. `rnnkit classify train` and cross-validation go through here, so a
 * model trained either way starts from the same bits.
 *
 * Invariant: the model is created (or loaded), then the training and
 * validation rows are encoded, then the ensemble is sized: the order of
 * every draw from the seed is fixed.
 */
#include <stdlib.h>
#include <string.h>

#include "rnnkit/dataset.h"

rnnkit_status rnnkit_classifier_row_order(size_t n, uint64_t seed, size_t **out, rnnkit_error *err)
{
    size_t *v = malloc((n ? n : 1) * sizeof *v);
    *out = v;
    if (!v)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = i;
    rnnkit_rng r;
    rnnkit_rng_seed(&r, seed ^ 0x5b1175ULL);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rnnkit_rng_below(&r, i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
    return RNNKIT_OK;
}

/* The vocabulary of a new classifier: opened, or counted over the rows. */
static rnnkit_status recipe_vocab(const rnnkit_vocab_recipe *vr, const rnnkit_rows *rows, rnnkit_vocab **out,
                                  rnnkit_error *err)
{
    if (vr->path)
        return rnnkit_vocab_open(vr->path, out, err);
    rnnkit_vocab_builder *b = NULL;
    rnnkit_status st = rnnkit_vocab_builder_new(&vr->tok, &b, err);
    for (size_t j = 0; !st && j < rows->n; j++) {
        size_t i = rows->idx ? rows->idx[j] : j, len;
        const char *text = rnnkit_corpus_text(rows->corpus, i, &len);
        st = rnnkit_vocab_builder_add(b, text, len, rnnkit_corpus_where(rows->corpus, i), err);
    }
    if (!st)
        st = rnnkit_vocab_builder_finish(b, vr->min_count, vr->max_size, out, err);
    rnnkit_vocab_builder_free(b);
    return st;
}

/* A new classifier with the labels of the training corpus. */
static rnnkit_status create_model(const rnnkit_model_config *cfg, const rnnkit_vocab_recipe *vr,
                                  const rnnkit_rows *train, uint64_t seed, rnnkit_model **out, rnnkit_error *err)
{
    rnnkit_vocab *vocab = NULL;
    rnnkit_status st = recipe_vocab(vr, train, &vocab, err);
    if (st)
        return st;
    size_t K = rnnkit_corpus_num_labels(train->corpus);
    const char **labels = malloc((K ? K : 1) * sizeof *labels);
    if (!labels) {
        rnnkit_vocab_free(vocab);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < K; k++)
        labels[k] = rnnkit_corpus_label_name(train->corpus, k);
    st = rnnkit_model_create(cfg, vocab, labels, (int)K, seed, out, err);
    free(labels);
    return st;
}

static rnnkit_status encode(rnnkit_model *m, const rnnkit_rows *rows, rnnkit_docs **out, rnnkit_error *err)
{
    rnnkit_status st = rnnkit_docs_new(0, out, err);
    return st ? st : rnnkit_docs_add_rows(*out, m, rows->corpus, rows->idx, rows->n, err);
}

rnnkit_status rnnkit_classifier_setup_new(const rnnkit_model_config *cfg, const rnnkit_vocab_recipe *vr,
                                          const rnnkit_rows *train, const rnnkit_rows *valid, uint64_t seed,
                                          const char *resume_path, rnnkit_classifier_setup *out,
                                          rnnkit_error *err)
{
    memset(out, 0, sizeof *out);
    rnnkit_status st = resume_path ? rnnkit_model_load(resume_path, RNNKIT_TASK_CLASSIFY, &out->model, err)
                                   : create_model(cfg, vr, train, seed, &out->model, err);
    if (!st)
        st = encode(out->model, train, &out->train, err);
    if (!st && valid)
        st = encode(out->model, valid, &out->valid, err);
    if (!st && !resume_path && cfg->members == 0) {
        rnnkit_dataset d = rnnkit_docs_view(out->train);
        out->auto_members =
            rnnkit_classifier_auto_members(&d, rnnkit_model_get_config(out->model)->maxlen, &out->tokens);
        if (out->auto_members > 1)
            st = rnnkit_model_set_members(out->model, out->auto_members, seed, err);
    }
    if (st)
        rnnkit_classifier_setup_free(out);
    return st;
}

void rnnkit_classifier_setup_free(rnnkit_classifier_setup *s)
{
    rnnkit_model_free(s->model);
    rnnkit_docs_free(s->train);
    rnnkit_docs_free(s->valid);
    memset(s, 0, sizeof *s);
}
