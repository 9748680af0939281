/*
 * model/pretrain.c: a classifier started from language models: the
 * embedding and recurrent weights of a word-level generator (forward) and
 * of one trained on the text read backwards (--reverse) copied into a
 * classifier's tensors of the same names, the backward model's into the
 * `_reverse` direction.
 *
 * Invariants: nothing is copied unless every check passes (the classifier
 * is left as it was on any error); the vocabularies are the same tokens in
 * the same order under the same tokenizer rules, so embedding row i is the
 * same token in both; the output layers (a generator's softmax over words,
 * a classifier's over labels) are never copied; every network of an
 * ensemble receives the same pretrained tensors (their other weights keep
 * their own seeds).
 */
#include <stdio.h>
#include <string.h>

#include "model/model_internal.h"

/* The first difference of two vocabularies, as an error naming both. */
static rnnkit_status same_vocab(rnnkit_vocab *a, rnnkit_vocab *b, const char *what, rnnkit_error *err)
{
    const rnnkit_tok_config *ca = rnnkit_vocab_config(a), *cb = rnnkit_vocab_config(b);
    /* every field is an int or an enum: no padding to compare */
    if (memcmp(ca, cb, sizeof *ca))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: its vocabulary splits text by other rules (level, normalisation, case, "
                                "punctuation or word pairs) than the classifier's",
                                what);
    const int64_t n = rnnkit_vocab_size(a);
    if (n != rnnkit_vocab_size(b))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: a vocabulary of %lld ids, the classifier's has %lld", what,
                                (long long)rnnkit_vocab_size(b), (long long)n);
    for (int64_t i = 0; i < n; i++) {
        size_t la, lb;
        const char *ta = rnnkit_vocab_token(a, i, &la), *tb = rnnkit_vocab_token(b, i, &lb);
        if (la != lb || memcmp(ta, tb, la))
            return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                    "%s: vocabulary id %lld is '%.*s', the classifier's is '%.*s' (train the "
                                    "classifier with the language model's vocabulary)",
                                    what, (long long)i, (int)(lb > 64 ? 64 : lb), tb, (int)(la > 64 ? 64 : la), ta);
    }
    return RNNKIT_OK;
}

/* The classifier's tensor that lm's tensor `name` becomes ("" if none):
 * recurrent tensors into the direction's own, the embedding when
 * `embedding`, never the output layer. */
static void target_name(const char *name, int backward, int embedding, char *out, size_t cap)
{
    out[0] = 0;
    if (!strcmp(name, "embedding.weight")) {
        if (embedding)
            snprintf(out, cap, "%s", name);
    } else if (!strncmp(name, "rnn.", 4)) {
        snprintf(out, cap, backward ? "%s_reverse" : "%s", name);
    }
}

/* The view of m that lm's view v goes to, or NULL: a recurrent tensor goes
 * only when its whole layer fits (the layer's input weights too: a biLSTM's
 * upper layers read both directions, 2H inputs, a generator's H). */
static const rnnkit__param_view *destination(const rnnkit_model *m, const rnnkit_model *lm,
                                             const rnnkit__param_view *v, int backward, int embedding)
{
    char tn[RNNKIT_NAME_MAX + 16];
    target_name(v->name, backward, embedding, tn, sizeof tn);
    const rnnkit__param_view *t = tn[0] ? rnnkit__params_find(&m->params, tn) : NULL;
    if (!t || t->numel != v->numel || t->shape[0] != v->shape[0])
        return NULL;
    const char *l = strrchr(v->name, '_'); /* "_l<k>" */
    if (strncmp(v->name, "rnn.", 4) || !l || l[1] != 'l')
        return t;
    char ih[RNNKIT_NAME_MAX + 16];
    snprintf(ih, sizeof ih, "rnn.weight_ih%s", l);
    const rnnkit__param_view *a = rnnkit__params_find(&lm->params, ih);
    target_name(ih, backward, 0, tn, sizeof tn);
    const rnnkit__param_view *b = rnnkit__params_find(&m->params, tn);
    return a && b && a->numel == b->numel && a->shape[0] == b->shape[0] ? t : NULL;
}

/* Checks lm against m; counts the tensors it would give in *n. */
static rnnkit_status check_lm(const rnnkit_model *m, rnnkit_model *lm, int backward, int with_forward, int *n,
                              rnnkit_error *err)
{
    const char *what = backward ? "--pretrained-backward" : "--pretrained";
    const rnnkit_model_config *c = &m->cfg, *l = &lm->cfg;
    if (l->task != RNNKIT_TASK_GENERATE)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: a %s, not a generator", what, rnnkit_task_noun(l->task));
    if (lm->members > 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: an ensemble of %d generators; a classifier starts from one network (one "
                                "of them: `rnnkit export --member N --format safetensors`, then `rnnkit import`)",
                                what, lm->members);
    if (l->reverse != backward)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: a generator of text read %s; %s", what,
                                l->reverse ? "backwards" : "forwards",
                                backward ? "train one with --reverse" : "this one goes to --pretrained-backward");
    if (backward && !c->bidirectional)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the classifier reads one way (--bidirectional no)", what);
    if (l->cell != c->cell || l->embed != c->embed || l->hidden != c->hidden)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: %s cell, embedding %d, hidden %d; the classifier: %s cell, embedding %d, "
                                "hidden %d",
                                what, rnnkit_cell_name(l->cell), l->embed, l->hidden, rnnkit_cell_name(c->cell),
                                c->embed, c->hidden);
    rnnkit_status st = same_vocab(m->vocab, lm->vocab, what, err);
    if (st)
        return st;
    *n = 0;
    for (int i = 0; i < lm->params.nviews; i++)
        *n += destination(m, lm, &lm->params.views[i], backward, !backward || !with_forward) != NULL;
    /* the first layer must arrive whole: 4 tensors (weights and biases) */
    if (*n < 4)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: no recurrent layer of it fits the classifier's", what);
    return RNNKIT_OK;
}

/* Copies lm's tensors into the current network of m. */
static void copy_lm(rnnkit_model *m, const rnnkit_model *lm, int backward, int embedding)
{
    for (int i = 0; i < lm->params.nviews; i++) {
        const rnnkit__param_view *v = &lm->params.views[i], *t = destination(m, lm, v, backward, embedding);
        if (t)
            memcpy(m->params.value + t->offset, lm->params.value + v->offset, v->numel * sizeof(float));
    }
}

rnnkit_status rnnkit_model_pretrain(rnnkit_model *m, rnnkit_model *forward, rnnkit_model *backward, int *tensors,
                                    rnnkit_error *err)
{
    int nf = 0, nb = 0;
    if (tensors)
        *tensors = 0;
    if (m->cfg.task != RNNKIT_TASK_CLASSIFY)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "only a classifier takes pretrained weights");
    rnnkit_status st = RNNKIT_OK;
    if (forward)
        st = check_lm(m, forward, 0, 1, &nf, err);
    if (!st && backward)
        st = check_lm(m, backward, 1, forward != NULL, &nb, err);
    if (st)
        return st;
    rnnkit__model_weights_changed(m);
    const int cur = m->cur;
    for (int k = 0; k < m->members; k++) {
        rnnkit__model_use_member(m, k);
        /* the embedding: the forward model's, the backward one's alone */
        if (backward)
            copy_lm(m, backward, 1, forward == NULL);
        if (forward)
            copy_lm(m, forward, 0, 1);
    }
    rnnkit__model_use_member(m, cur);
    if (tensors)
        *tensors = nf + nb;
    return RNNKIT_OK;
}
