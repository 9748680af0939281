/*
 * model/classifier.c: the text classifier. A document's ids (cut to maxlen,
 * keeping its first or last tokens) are embedded, run through the
 * (bi)LSTM/GRU/RNN layers, pooled over time (last state, mean or max over
 * the unpadded steps), passed through dropout and a dense layer to one
 * logit per label; softmax cross-entropy is the loss.
 *
 *   batches  ids/mask [T][B], time-major, post-padded by the tokenizer's
 *            rnnkit_pad_sequence to the batch's longest document
 *   training the classifier is a task of the trainer (model/train.c):
 *            epochs of batches of similar lengths (documents shuffled, then
 *            stably sorted by length, the batches' order shuffled), an
 *            evaluation at each epoch's end, the best weights by validation
 *            accuracy (ties by loss)
 *   inference batches bounded in tokens, documents ordered by length; an
 *            ensemble averages its ready members' probabilities; the
 *            embedding and first layer's input product come from a table of
 *            rows computed once per token id (m->tab) for the weights of the
 *            moment; with rnnkit_model_set_int8 the recurrent and output
 *            products run on int8 copies of their weights (model/int8.c)
 *
 * Invariants: a batch of B documents has T = its longest kept length (>= 1);
 * mask is 1 exactly on real tokens; while m->training the table is unused
 * and evaluations use the network being trained alone.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/rnn_internal.h"
#include "model/train_internal.h"
#include "rnnkit/tokenizer.h"

/* Effective length of doc i under maxlen. */
static size_t doc_len(const rnnkit_dataset *d, size_t i, int maxlen)
{
    size_t n = d->off[i + 1] - d->off[i];
    return (maxlen > 0 && n > (size_t)maxlen) ? (size_t)maxlen : n;
}

/* Fills ids/mask [T][B] for the docs in idx[0..B): each document cut to
 * maxlen (its first or, with keep_last, its last tokens) and post-padded to
 * the batch's longest by the tokenizer's rnnkit_pad_sequence. Returns T. */
static int fill_batch(rnnkit_model *m, const rnnkit_dataset *d, const size_t *idx, int B,
                      int maxlen, int keep_last, rnnkit_error *err, rnnkit_status *st)
{
    size_t T = 1;
    for (int b = 0; b < B; b++) {
        size_t n = doc_len(d, idx[b], maxlen);
        T = n > T ? n : T;
    }
    if ((*st = rnnkit__model_reserve(m, (int)T, B, err)))
        return 0;
    for (int b = 0; b < B; b++) {
        /* T >= the document's kept length, so padding to T keeps exactly
         * those tokens (T <= maxlen when maxlen is set) */
        size_t i = idx[b], full = d->off[i + 1] - d->off[i], n = doc_len(d, i, maxlen);
        rnnkit_pad_sequence(d->ids + d->off[i], full, T, 0, keep_last, RNNKIT_PAD_ID, m->row);
        for (size_t t = 0; t < T; t++) {
            m->ids[t * (size_t)B + (size_t)b] = m->row[t];
            m->mask[t * (size_t)B + (size_t)b] = t < n ? 1.0f : 0.0f;
        }
        if (d->label)
            m->targets[b] = d->label[i];
    }
    return (int)T;
}

/* Forward of a classifier batch already in m->ids/mask: logits [B][K]. */
static rnnkit_status classifier_forward(rnnkit_model *m, int T, int B, int train,
                                        rnnkit_rng *rng, rnnkit_error *err)
{
    const size_t TB = (size_t)T * (size_t)B, E = (size_t)m->cfg.embed, C = (size_t)m->C;
    const int H = m->cfg.hidden, D = m->cfg.bidirectional ? 2 : 1;
    rnnkit_status st = RNNKIT_OK;
    /* At inference the embedding and layer 0's input product come from the
     * table: one copy per token instead of E*G*H multiply-adds. */
    const int fast = !train && rnnkit__table_prepare(m, m->ids, TB, &st, err);
    if (st)
        return st;
    if (fast) {
        const size_t rows = (size_t)m->V * (size_t)rnnkit__rnn_gate_width(m->rnn);
        const float *tabs[2] = {m->tab, m->tab + rows};
        rnnkit__rnn_set_input_rows(m->rnn, tabs, m->ids);
    } else if ((st = rnnkit__embedding_forward(&m->emb, m->ids, TB, m->x, err))) {
        return st;
    }
    if (train && m->cfg.embed_dropout > 0.0f)
        rnnkit__dropout_forward(TB * E, m->cfg.embed_dropout, rng, m->x, m->xmask);
    /* With int8 prediction on, the big products use int8 copies of their
     * weights (model/int8.c). */
    const int q8 = !train && rnnkit__int8_prepare(m, &st, err);
    if (st) {
        rnnkit__rnn_set_input_rows(m->rnn, NULL, NULL);
        return st;
    }
    if (q8)
        rnnkit__rnn_set_int8(m->rnn, m->q_hh, m->q_ih, &m->q_buf, m->q_vnni);
    const float *y = NULL;
    st = rnnkit__rnn_forward(m->rnn, T, B, m->x, m->mask, NULL, NULL, train, rng, &y, m->hn,
                            m->cfg.cell == RNNKIT_CELL_LSTM ? m->cn : NULL, err);
    rnnkit__rnn_set_input_rows(m->rnn, NULL, NULL);
    rnnkit__rnn_set_int8(m->rnn, NULL, NULL, NULL, 0);
    if (st)
        return st;
    if (m->cfg.pool == RNNKIT_POOL_LAST) {
        /* feat[b] = [h_fwd(last layer), h_rev(last layer)] */
        for (int b = 0; b < B; b++)
            for (int d = 0; d < D; d++)
                memcpy(m->feat + (size_t)b * C + (size_t)d * H,
                       m->hn + (((size_t)(m->cfg.layers - 1) * D + d) * B + b) * H,
                       (size_t)H * sizeof(float));
    } else {
        rnnkit__pool_forward(m->cfg.pool, T, B, (int)C, y, m->mask, m->feat, m->argmax);
    }
    if (train && m->cfg.dropout > 0.0f)
        rnnkit__dropout_forward((size_t)B * C, m->cfg.dropout, rng, m->feat, m->featmask);
    if (q8)
        return rnnkit__int8_dense(m, B, err);
    rnnkit__dense_forward(&m->fc, (size_t)B, m->feat, m->logits);
    return RNNKIT_OK;
}

static rnnkit_status classifier_backward(rnnkit_model *m, int T, int B, rnnkit_error *err)
{
    const size_t TB = (size_t)T * (size_t)B, E = (size_t)m->cfg.embed, C = (size_t)m->C;
    const int H = m->cfg.hidden, D = m->cfg.bidirectional ? 2 : 1;
    rnnkit__dense_backward(&m->fc, (size_t)B, m->feat, m->dlogits, m->dfeat);
    if (m->cfg.dropout > 0.0f)
        rnnkit__dropout_backward((size_t)B * C, m->featmask, m->dfeat);
    rnnkit_status st;
    if (m->cfg.pool == RNNKIT_POOL_LAST) {
        memset(m->dhn, 0, (size_t)m->LD * B * H * sizeof(float));
        for (int b = 0; b < B; b++)
            for (int d = 0; d < D; d++)
                memcpy(m->dhn + (((size_t)(m->cfg.layers - 1) * D + d) * B + b) * H,
                       m->dfeat + (size_t)b * C + (size_t)d * H, (size_t)H * sizeof(float));
        st = rnnkit__rnn_backward(m->rnn, NULL, m->dhn, NULL, m->dx, NULL, NULL, err);
    } else {
        rnnkit__pool_backward(m->cfg.pool, T, B, (int)C, m->mask, m->argmax, m->dfeat, m->dy);
        st = rnnkit__rnn_backward(m->rnn, m->dy, NULL, NULL, m->dx, NULL, NULL, err);
    }
    if (st)
        return st;
    if (m->cfg.embed_dropout > 0.0f)
        rnnkit__dropout_backward(TB * E, m->xmask, m->dx);
    rnnkit__embedding_backward(&m->emb, m->ids, TB, m->dx);
    return RNNKIT_OK;
}

static int argmax_row(const float *z, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (z[k] > z[best])
            best = k;
    return best;
}

/* Order of docs for evaluation: by length, so batches hold similar lengths. */
static size_t *order_by_length(const rnnkit_dataset *d, int maxlen, rnnkit_rng *shuffle)
{
    size_t n = d->n;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    size_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!idx || !tmp) {
        free(idx);
        free(tmp);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    if (shuffle)
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)rnnkit_rng_below(shuffle, i);
            size_t t = idx[i - 1];
            idx[i - 1] = idx[j];
            idx[j] = t;
        }
    /* Stable counting sort by effective length keeps the shuffled order within
     * a length. */
    size_t maxn = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = doc_len(d, i, maxlen);
        maxn = l > maxn ? l : maxn;
    }
    size_t *cnt = calloc(maxn + 2, sizeof *cnt);
    if (!cnt) {
        free(idx);
        free(tmp);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        cnt[doc_len(d, i, maxlen) + 1]++;
    for (size_t l = 1; l <= maxn + 1; l++)
        cnt[l] += cnt[l - 1];
    for (size_t i = 0; i < n; i++)
        tmp[cnt[doc_len(d, idx[i], maxlen)]++] = idx[i];
    free(cnt);
    free(idx);
    return tmp;
}

/* One network's pass over d (the current member): probabilities into
 * probs [n][K] when non-NULL, loss and correct count from the logits. */
static rnnkit_status classifier_pass(rnnkit_model *m, const rnnkit_dataset *d, const size_t *order, int maxlen,
                                     int keep_last, float *probs, double *total, size_t *correct,
                                     rnnkit_error *err)
{
    /* Batches bounded in tokens so long documents do not blow up memory. */
    const size_t max_tokens = 64 * 400;
    rnnkit_status st = RNNKIT_OK;
    for (size_t s = 0; s < d->n;) {
        size_t len = doc_len(d, order[s], maxlen);
        size_t B = max_tokens / (len ? len : 1);
        B = B < 1 ? 1 : B > 256 ? 256 : B;
        if (B > d->n - s)
            B = d->n - s;
        /* order is ascending in length, so the last doc of the batch is longest */
        while (B > 1 && doc_len(d, order[s + B - 1], maxlen) * B > max_tokens * 2)
            B /= 2;
        int T = fill_batch(m, d, order + s, (int)B, maxlen, keep_last, err, &st);
        if (st)
            return st;
        if ((st = classifier_forward(m, T, (int)B, 0, NULL, err)))
            return st;
        if (d->label && total) {
            *total += rnnkit__softmax_xent(B, m->K, m->logits, m->targets, NULL) * (double)B;
            for (size_t b = 0; b < B; b++)
                *correct += argmax_row(m->logits + b * (size_t)m->K, m->K) == m->targets[b];
        }
        if (probs) {
            rnnkit__softmax(B, m->K, m->logits);
            for (size_t b = 0; b < B; b++)
                memcpy(probs + order[s + b] * (size_t)m->K, m->logits + b * (size_t)m->K,
                       (size_t)m->K * sizeof(float));
        }
        s += B;
    }
    return RNNKIT_OK;
}

/* Probabilities, loss and accuracy of d. While training: the member being
 * trained alone. Otherwise every ready member, their probabilities
 * averaged (the loss is then that of the average). */
static rnnkit_status classifier_run(rnnkit_model *m, const rnnkit_dataset *d, int maxlen,
                                    int keep_last, float *probs, double *loss, double *acc,
                                    rnnkit_error *err)
{
    if (d->n == 0) {
        if (loss)
            *loss = NAN;
        if (acc)
            *acc = NAN;
        return RNNKIT_OK;
    }
    size_t *order = order_by_length(d, maxlen, NULL);
    if (!order)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory ordering %zu documents", d->n);
    double total = 0.0;
    size_t correct = 0;
    rnnkit_status st = RNNKIT_OK;
    const int M = m->training ? 1 : m->ready;
    if (M == 1) {
        st = classifier_pass(m, d, order, maxlen, keep_last, probs, &total, &correct, err);
    } else {
        const size_t nk = d->n * (size_t)m->K;
        float *avg = calloc(nk, sizeof(float)), *one = malloc(nk * sizeof(float));
        if (!avg || !one)
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the probabilities of %zu documents",
                                  d->n);
        for (int k = 0; k < M && !st; k++) {
            rnnkit__model_use_member(m, k);
            if ((st = classifier_pass(m, d, order, maxlen, keep_last, one, NULL, NULL, err)))
                break;
            for (size_t i = 0; i < nk; i++)
                avg[i] += one[i];
        }
        rnnkit__model_use_member(m, 0);
        if (!st) {
            const float inv = 1.0f / (float)M;
            for (size_t i = 0; i < nk; i++)
                avg[i] *= inv;
            if (d->label)
                for (size_t i = 0; i < d->n; i++) {
                    const float *p = avg + i * (size_t)m->K;
                    double pt = p[d->label[i]];
                    total -= log(pt > 1e-30 ? pt : 1e-30);
                    correct += argmax_row(p, m->K) == d->label[i];
                }
            if (probs)
                memcpy(probs, avg, nk * sizeof(float));
        }
        free(avg);
        free(one);
    }
    free(order);
    if (st)
        return st;
    if (loss)
        *loss = d->label ? total / (double)d->n : NAN;
    if (acc)
        *acc = d->label ? (double)correct / (double)d->n : NAN;
    return RNNKIT_OK;
}

static rnnkit_status check_dataset(const rnnkit_model *m, const rnnkit_dataset *d,
                                   const char *what, rnnkit_error *err)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->off[i + 1] < d->off[i])
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: document %zu has negative length", what, i);
        if (d->label && (d->label[i] < 0 || d->label[i] >= m->K))
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: document %zu has label %d outside [0, %d)",
                                    what, i, d->label[i], m->K);
    }
    return RNNKIT_OK;
}

int rnnkit_classifier_auto_members(const rnnkit_dataset *train, int maxlen, uint64_t *tokens)
{
    uint64_t n = 0;
    for (size_t i = 0; i < train->n; i++)
        n += doc_len(train, i, maxlen);
    if (tokens)
        *tokens = n;
    const uint64_t k = n ? RNNKIT_AUTO_MEMBER_TOKENS / n : 1;
    return k < 1 ? 1 : k > 4 ? 4 : (int)k;
}

rnnkit_status rnnkit_classifier_predict(rnnkit_model *m, const rnnkit_dataset *docs, int maxlen,
                                        int keep_last, float *probs, rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_CLASSIFY)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a generator, not a classifier");
    rnnkit_dataset d = *docs;
    d.label = NULL;
    rnnkit_status st = check_dataset(m, &d, "predict", err);
    return st ? st : classifier_run(m, &d, maxlen, keep_last, probs, NULL, NULL, err);
}

rnnkit_status rnnkit_classifier_evaluate(rnnkit_model *m, const rnnkit_dataset *docs, int maxlen,
                                         int keep_last, double *loss, double *acc,
                                         rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_CLASSIFY)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a generator, not a classifier");
    if (!docs->label)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "evaluation needs labels");
    rnnkit_status st = check_dataset(m, docs, "evaluate", err);
    return st ? st : classifier_run(m, docs, maxlen, keep_last, NULL, loss, acc, err);
}

/* Fingerprint of a data set (lengths, ids, labels) for checkpoints. */
static uint64_t dataset_fp(uint64_t h, const rnnkit_dataset *d)
{
    if (!d)
        return rnnkit__fnv1a64_more(h, "-", 1);
    uint64_t n = d->n;
    h = rnnkit__fnv1a64_more(h, &n, sizeof n);
    if (d->n)
        h = rnnkit__fnv1a64_more(h, d->ids + d->off[0], (d->off[d->n] - d->off[0]) * sizeof *d->ids);
    for (size_t i = 0; i < d->n; i++) {
        uint64_t len = d->off[i + 1] - d->off[i];
        h = rnnkit__fnv1a64_more(h, &len, sizeof len);
    }
    if (d->label)
        h = rnnkit__fnv1a64_more(h, d->label, d->n * sizeof *d->label);
    return h;
}

/* ====================================================================== */
/* Training: the classifier as a task of the trainer (model/train.c) */

/* The task's state: epochs of shuffled batches of similar lengths. */
typedef struct clf_task {
    rnnkit_model *m;
    const rnnkit_classifier_options *opt;
    const rnnkit_dataset *train, *valid;
    rnnkit__epoch_cursor cur; /* where the epoch stands; cur.nb batches per epoch */
    size_t *order;          /* [n] documents by length, shuffled within a length */
    size_t *batches;        /* [nb] start of each batch in order, shuffled */
    int B, T;               /* the loaded batch */
} clf_task;

/* This epoch's order: documents shuffled then sorted by length (stable),
 * cut into batches whose order is shuffled in turn. */
static rnnkit_status shuffle_epoch(void *ctx, rnnkit_rng *rng, rnnkit_error *err)
{
    clf_task *c = ctx;
    free(c->order);
    c->order = order_by_length(c->train, c->opt->maxlen, rng);
    if (!c->order)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory shuffling");
    for (size_t b = 0; b < c->cur.nb; b++)
        c->batches[b] = b * (size_t)c->opt->train.batch;
    for (size_t i = c->cur.nb; i > 1; i--) {
        size_t j = (size_t)rnnkit_rng_below(rng, i);
        size_t t = c->batches[i - 1];
        c->batches[i - 1] = c->batches[j];
        c->batches[j] = t;
    }
    return RNNKIT_OK;
}

static rnnkit_status clf_next_batch(void *ctx, rnnkit_rng *rng, int *epoch, rnnkit_error *err)
{
    (void)epoch; /* the trainer counts a classifier's epochs */
    clf_task *c = ctx;
    size_t bi;
    rnnkit_status st = rnnkit__epoch_next(&c->cur, rng, &bi, err);
    if (st)
        return st;
    const size_t s = c->batches[bi], n = c->train->n, batch = (size_t)c->opt->train.batch;
    c->B = (int)(n - s < batch ? n - s : batch);
    c->T = fill_batch(c->m, c->train, c->order + s, c->B, c->opt->maxlen, c->opt->keep_last, err, &st);
    return st;
}

static rnnkit_status clf_step(void *ctx, rnnkit_rng *rng, double *loss, double *weight, int64_t *items,
                              int64_t *correct, rnnkit_error *err)
{
    clf_task *c = ctx;
    rnnkit_model *m = c->m;
    rnnkit_status st = classifier_forward(m, c->T, c->B, 1, rng, err);
    if (st)
        return st;
    *loss = rnnkit__softmax_xent((size_t)c->B, m->K, m->logits, m->targets, m->dlogits);
    for (int b = 0; b < c->B; b++)
        *correct += argmax_row(m->logits + (size_t)b * m->K, m->K) == m->targets[b];
    *weight = c->B;
    *items = c->B;
    return classifier_backward(m, c->T, c->B, err);
}

static rnnkit_status clf_evaluate(void *ctx, double *loss, double *acc, rnnkit_error *err)
{
    clf_task *c = ctx;
    return classifier_run(c->m, c->valid, c->opt->maxlen, c->opt->keep_last, NULL, loss, acc, err);
}

/* Within an epoch a checkpoint holds the rng the epoch's shuffle drew from
 * and the batches done; at its end (or before the first) the rng of now. */
static void clf_save(void *ctx, const rnnkit_rng *rng, rnnkit__ckpt *ck)
{
    clf_task *c = ctx;
    ck->maxlen = c->opt->maxlen;
    ck->keep_last = c->opt->keep_last;
    rnnkit__epoch_save(&c->cur, rng, ck);
}

static rnnkit_status clf_restore(void *ctx, const rnnkit__ckpt *ck, const char *path, rnnkit_error *err)
{
    clf_task *c = ctx;
    if (ck->maxlen != c->opt->maxlen || ck->keep_last != c->opt->keep_last)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with maxlen %d (%s), not %d",
                                path, ck->maxlen, ck->keep_last ? "pre" : "post", c->opt->maxlen);
    return rnnkit__epoch_restore(&c->cur, ck, path, err);
}

static void clf_rewind(void *ctx) { rnnkit__epoch_rewind(&((clf_task *)ctx)->cur); }

/* The seed of member k's data-order and dropout stream. */
static uint64_t clf_rng_seed(uint64_t seed, int k) { return rnnkit__member_seed(seed, k) ^ 0x5eedc1a55ULL; }

rnnkit_status rnnkit_classifier_train(rnnkit_model *m, const rnnkit_dataset *train, const rnnkit_dataset *valid,
                                      const rnnkit_classifier_options *opt, rnnkit_log_row **log, int *nlog,
                                      rnnkit_error *err)
{
    if (log) {
        *log = NULL;
        *nlog = 0;
    }
    if (m->cfg.task != RNNKIT_TASK_CLASSIFY)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a generator, not a classifier");
    if (!train || train->n == 0 || !train->label)
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "no labelled training documents");
    const rnnkit_train_options *to = &opt->train;
    if (opt->epochs < 1 || to->batch < 1 || to->batch > 65536 || !(to->lr > 0) || opt->maxlen < 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "invalid training options (epochs %d, batch %d, lr %g, maxlen %d)",
                                opt->epochs, to->batch, to->lr, opt->maxlen);
    rnnkit_status st = check_dataset(m, train, "train", err);
    if (!st && valid)
        st = check_dataset(m, valid, "valid", err);
    if (st)
        return st;
    if (valid && valid->n == 0)
        valid = NULL;
    clf_task c = {.m = m, .opt = opt, .train = train, .valid = valid};
    const size_t nb = (train->n + (size_t)to->batch - 1) / (size_t)to->batch;
    c.cur = (rnnkit__epoch_cursor){.nb = nb, .shuffle = shuffle_epoch, .ctx = &c};
    if (!(c.batches = malloc(nb * sizeof *c.batches)))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu batches", nb);
    const rnnkit__task t = {
        .m = m, .opt = to, .ctx = &c, .total_steps = (int64_t)opt->epochs * (int64_t)nb,
        .eval_every = (int64_t)nb, .epochal = 1, .has_valid = valid != NULL, .select_by_accuracy = 1,
        .reports_accuracy = 1, .data_fp = dataset_fp(dataset_fp(0xcbf29ce484222325ULL, train), valid),
        .diverged_hint = "--lr or --clip", .rng_seed = clf_rng_seed, .next_batch = clf_next_batch,
        .step = clf_step, .evaluate = clf_evaluate, .save = clf_save, .restore = clf_restore,
        .rewind = clf_rewind};
    st = rnnkit__train(&t, log, nlog, err);
    free(c.order);
    free(c.batches);
    return st;
}

/* The gradient checks' entry point (model_internal.h). */
rnnkit_status rnnkit__classifier_loss(rnnkit_model *m, const rnnkit_dataset *d, int maxlen, int keep_last,
                                      int grad, double *loss, rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_CLASSIFY || !d->label || d->n == 0 || d->n > 65536)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "a classifier and 1..65536 labelled documents");
    rnnkit_status st = check_dataset(m, d, "loss", err);
    if (st)
        return st;
    size_t *idx = malloc(d->n * sizeof *idx);
    if (!idx)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu documents", d->n);
    for (size_t i = 0; i < d->n; i++)
        idx[i] = i;
    const int B = (int)d->n;
    int T = fill_batch(m, d, idx, B, maxlen, keep_last, err, &st);
    free(idx);
    if (st)
        return st;
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 1);
    if ((st = classifier_forward(m, T, B, 1, &rng, err)))
        return st;
    *loss = rnnkit__softmax_xent((size_t)B, m->K, m->logits, m->targets, grad ? m->dlogits : NULL);
    if (!grad)
        return RNNKIT_OK;
    rnnkit__params_zero_grad(&m->params);
    return classifier_backward(m, T, B, err);
}

rnnkit_status rnnkit_classifier_classify_text(rnnkit_model *m, const char *text, size_t len, int *label,
                                              float *probs, rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_CLASSIFY)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a generator, not a classifier");
    /* the kept tokens: maxlen of them (the last ones with keep_last), or all */
    size_t cap = m->cfg.maxlen > 0 ? (size_t)m->cfg.maxlen : 256, n = 0;
    int32_t *ids = NULL;
    float *p = probs ? probs : malloc((size_t)m->K * sizeof(float));
    rnnkit_status st = p ? RNNKIT_OK : rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    for (int pass = 0; !st && pass < 2; pass++) {
        int32_t *grown = realloc(ids, cap * sizeof *ids);
        if (!grown) {
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %zu tokens", cap);
            break;
        }
        ids = grown;
        st = rnnkit_vocab_encode(m->vocab, text, len, "<text>", ids, cap, m->cfg.keep_last, &n, err);
        if (st || n <= cap || m->cfg.maxlen > 0)
            break;
        cap = n; /* all tokens kept: once more with room for them */
    }
    if (!st) {
        const size_t off[2] = {0, n < cap ? n : cap};
        const rnnkit_dataset d = {.n = 1, .off = off, .ids = ids};
        st = classifier_run(m, &d, m->cfg.maxlen, m->cfg.keep_last, p, NULL, NULL, err);
    }
    if (!st && label)
        *label = argmax_row(p, m->K);
    free(ids);
    if (p != probs)
        free(p);
    return st;
}
