/*
 * model/model.c: building a network from its configuration, its workspace,
 * and the classifier's forward/backward, training loop and prediction.
 * The generator's loop is in model/generator.c, storage in model/store.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model_internal.h"
#include "model/rnn_internal.h"

void rnnkit_model_config_default(rnnkit_model_config *cfg, rnnkit_task task)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->task = task;
    cfg->cell = RNNKIT_CELL_LSTM;
    cfg->layers = 1;
    if (task == RNNKIT_TASK_CLASSIFY) {
        cfg->embed = 128;
        cfg->hidden = 128;
        cfg->bidirectional = 1;
        cfg->pool = RNNKIT_POOL_MAX;
        cfg->dropout = 0.5f;
        cfg->embed_dropout = 0.4f;
        cfg->maxlen = 400;
        cfg->keep_last = 1;
        cfg->members = 1;
    } else {
        cfg->embed = 64;
        cfg->hidden = 512;
        cfg->layers = 2;
        /* Tiny Shakespeare: best validation 1.504 nats/char with these and
         * the cosine schedule over 4500 steps; at 2000 steps (plateau
         * schedule) 1.516, against 1.521 with dropout 0.5 and weight drop
         * 0.2 and 1.529 with dropout 0.5 alone (README) */
        cfg->dropout = 0.4f;
        cfg->weight_drop = 0.35f;
    }
}

static rnnkit_status check_members(int members, rnnkit_task task, rnnkit_error *err)
{
    if (members < 1 || members > RNNKIT_MAX_MEMBERS)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "ensemble of %d networks outside [1, %d]", members,
                                RNNKIT_MAX_MEMBERS);
    if (members > 1 && task != RNNKIT_TASK_CLASSIFY)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "an ensemble (%d networks) is for classifiers only", members);
    return RNNKIT_OK;
}

static rnnkit_status check_config(const rnnkit_model_config *c, rnnkit_error *err)
{
    if (c->task != RNNKIT_TASK_CLASSIFY && c->task != RNNKIT_TASK_GENERATE)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown task %d", (int)c->task);
    if (c->cell < RNNKIT_CELL_RNN || c->cell > RNNKIT_CELL_GRU)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown cell %d", (int)c->cell);
    if (c->embed < 1 || c->embed > 65536)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "embedding size %d outside [1, 65536]", c->embed);
    if (c->hidden < 1 || c->hidden > 65536)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "hidden size %d outside [1, 65536]", c->hidden);
    if (c->layers < 1 || c->layers > 64)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "layers %d outside [1, 64]", c->layers);
    if (c->bidirectional != 0 && c->bidirectional != 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "bidirectional must be 0 or 1");
    if (c->task == RNNKIT_TASK_GENERATE && c->bidirectional)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "a generator cannot be bidirectional");
    if (c->pool < RNNKIT_POOL_LAST || c->pool > RNNKIT_POOL_MAX)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown pooling %d", (int)c->pool);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f) ||
        !(c->embed_dropout >= 0.0f && c->embed_dropout < 1.0f) ||
        !(c->weight_drop >= 0.0f && c->weight_drop < 1.0f))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "dropout must be in [0, 1)");
    if (c->maxlen < 0 || c->maxlen > 100000000 || (c->keep_last != 0 && c->keep_last != 1))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "maxlen %d out of range", c->maxlen);
    rnnkit_status st = check_members(c->members ? c->members : 1, c->task, err);
    if (st)
        return st;
    if (!isfinite(c->forget_bias) || fabsf(c->forget_bias) > 100.0f)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "forget bias %g out of range",
                                (double)c->forget_bias);
    return RNNKIT_OK;
}

/* Fresh weights for member k. Fixed draw order: embedding, recurrent layers,
 * output layer. Member 0 draws from `seed` itself, so a one-network model is
 * as it always was. */
static void init_member(rnnkit_model *m, int k, uint64_t seed)
{
    float *keep = m->params.value;
    m->params.value = m->mw[k];
    memset(m->mw[k], 0, ((m->params.count + 15) & ~(size_t)15) * sizeof(float)); /* padding row, tail */
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, rnnkit__member_seed(seed, k));
    rnnkit_embedding_init(&m->emb, &rng);
    rnnkit_rnn_init(m->rnn, &rng, m->cfg.forget_bias);
    rnnkit_dense_init(&m->fc, &rng);
    m->params.value = keep;
}

rnnkit_status rnnkit_model_set_members(rnnkit_model *m, int members, uint64_t seed, rnnkit_error *err)
{
    rnnkit_status st = check_members(members, m->cfg.task, err);
    if (st)
        return st;
    if (m->training)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "cannot change the ensemble while the model trains");
    rnnkit__model_use_member(m, 0);
    for (int k = members; k < m->members; k++) {
        free(m->mw[k]);
        m->mw[k] = NULL;
    }
    if (members > m->members) {
        float **mw = realloc(m->mw, (size_t)members * sizeof *mw);
        if (!mw)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for an ensemble of %d", members);
        m->mw = mw;
        const size_t block = ((m->params.count + 15) & ~(size_t)15) * sizeof(float);
        for (int k = m->members; k < members; k++) {
            if (!(m->mw[k] = aligned_alloc(64, block))) {
                m->members = m->ready = m->cfg.members = k; /* the ones made so far stay */
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for member %d of an ensemble "
                                        "of %d (%zu parameters each)", k + 1, members, m->params.count);
            }
            init_member(m, k, seed);
        }
    }
    m->members = m->ready = m->cfg.members = members;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_model_create(const rnnkit_model_config *cfg, rnnkit_vocab *vocab,
                                  const char *const *labels, int nlabels, uint64_t seed,
                                  rnnkit_model **out, rnnkit_error *err)
{
    *out = NULL;
    rnnkit_status st = check_config(cfg, err);
    if (st) {
        rnnkit_vocab_free(vocab);
        return st;
    }
    rnnkit_model *m = calloc(1, sizeof *m);
    if (!m) {
        rnnkit_vocab_free(vocab);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the model");
    }
    m->cfg = *cfg;
    m->cfg.members = cfg->members > 1 ? cfg->members : 1;
    m->vocab = vocab;
    rnnkit_params_init(&m->params);
    int64_t V = rnnkit_vocab_size(vocab);
    if (V < 3 || V > (int64_t)1 << 24) {
        st = rnnkit_error_set(err, RNNKIT_ERR_ARG,
                              "vocabulary of %lld ids: need at least one token besides <pad> "
                              "and <unk>, at most 2^24",
                              (long long)V);
        goto fail;
    }
    m->V = (int)V;
    if (cfg->task == RNNKIT_TASK_CLASSIFY) {
        if (nlabels < 2 || nlabels > RNNKIT_MAX_LABELS) {
            st = rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                  "a classifier needs 2 to %d labels (got %d)", RNNKIT_MAX_LABELS, nlabels);
            goto fail;
        }
        m->K = nlabels;
        m->labels = calloc((size_t)nlabels, sizeof *m->labels);
        if (!m->labels) {
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for labels");
            goto fail;
        }
        for (int k = 0; k < nlabels; k++) {
            m->labels[k] = strdup(labels[k]);
            if (!m->labels[k]) {
                st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for labels");
                goto fail;
            }
        }
    } else {
        m->K = m->V;
    }
    if ((st = rnnkit_embedding_create(&m->emb, &m->params, "embedding.weight", m->V, cfg->embed,
                                      err)))
        goto fail;
    rnnkit_rnn_config rc = {.cell = cfg->cell,
                            .input_size = cfg->embed,
                            .hidden_size = cfg->hidden,
                            .num_layers = cfg->layers,
                            .bidirectional = cfg->bidirectional,
                            .dropout = cfg->dropout,
                            .weight_drop = cfg->weight_drop};
    if ((st = rnnkit_rnn_create(&rc, &m->params, "rnn", &m->rnn, err)))
        goto fail;
    m->C = rnnkit_rnn_output_size(m->rnn);
    m->LD = cfg->layers * (cfg->bidirectional ? 2 : 1);
    if ((st = rnnkit_dense_create(&m->fc, &m->params, "fc", m->C, m->K, err)))
        goto fail;
    if ((st = rnnkit_params_alloc(&m->params, err)))
        goto fail;
    if (!(m->mw = calloc(1, sizeof *m->mw))) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the model");
        goto fail;
    }
    m->members = m->ready = 1;
    m->mw[0] = m->params.value;
    init_member(m, 0, seed);
    if (m->cfg.members > 1 && (st = rnnkit_model_set_members(m, m->cfg.members, seed, err)))
        goto fail;
    *out = m;
    return RNNKIT_OK;
fail:
    rnnkit_model_free(m);
    return st;
}

static void free_workspace(rnnkit_model *m)
{
    void *bufs[] = {m->ids, m->mask, m->x, m->xmask, m->dx, m->feat, m->featmask, m->dfeat,
                    m->dy, m->logits, m->dlogits, m->h0, m->c0, m->hn, m->cn, m->dhn,
                    m->argmax, m->targets};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    m->ids = NULL;
    m->mask = m->x = m->xmask = m->dx = m->feat = m->featmask = m->dfeat = m->dy = NULL;
    m->logits = m->dlogits = m->h0 = m->c0 = m->hn = m->cn = m->dhn = NULL;
    m->argmax = m->targets = NULL;
    m->capT = m->capB = 0;
}

static void tab_free(rnnkit_model *m)
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
static void tab_clear(rnnkit_model *m)
{
    if (m->tab_have)
        memset(m->tab_have, 0, (size_t)m->V);
}

void rnnkit__model_set_input_table(rnnkit_model *m, int on)
{
    m->tab_off = !on; /* rows already computed stay valid */
}

void rnnkit__model_use_member(rnnkit_model *m, int k)
{
    if (k == m->cur || k < 0 || k >= m->members)
        return;
    m->params.value = m->mw[k];
    m->cur = k;
    tab_clear(m);
}

int rnnkit_model_num_members(const rnnkit_model *m) { return m->members; }
int rnnkit_model_num_ready(const rnnkit_model *m) { return m->ready; }

rnnkit_status rnnkit_model_keep_member(rnnkit_model *m, int k, rnnkit_error *err)
{
    if (k < 0 || k >= m->ready)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "member %d: the model has %d trained network%s (1 to %d)",
                                k + 1, m->ready, m->ready == 1 ? "" : "s", m->ready);
    if (m->training)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "cannot drop members while the model trains");
    rnnkit__model_use_member(m, 0);
    if (k)
        memcpy(m->mw[0], m->mw[k], m->params.count * sizeof(float));
    for (int j = 1; j < m->members; j++) {
        free(m->mw[j]);
        m->mw[j] = NULL;
    }
    m->members = m->ready = m->cfg.members = 1;
    tab_clear(m);
    return RNNKIT_OK;
}

void rnnkit_model_free(rnnkit_model *m)
{
    if (!m)
        return;
    if (m->mw) {
        m->params.value = m->mw[0]; /* the block params owns */
        for (int k = 1; k < m->members; k++)
            free(m->mw[k]);
        free(m->mw);
    }
    free_workspace(m);
    tab_free(m);
    rnnkit_rnn_free(m->rnn);
    rnnkit_params_free(&m->params);
    if (m->labels)
        for (int k = 0; k < m->K; k++)
            free(m->labels[k]);
    free(m->labels);
    rnnkit_vocab_free(m->vocab);
    free(m);
}

rnnkit_status rnnkit__model_reserve(rnnkit_model *m, int T, int B, rnnkit_error *err)
{
    if (T <= m->capT && B <= m->capB)
        return RNNKIT_OK;
    if (T < m->capT)
        T = m->capT;
    if (B < m->capB)
        B = m->capB;
    free_workspace(m);
    const size_t TB = (size_t)T * (size_t)B;
    const size_t rows = m->cfg.task == RNNKIT_TASK_GENERATE ? TB : (size_t)B;
    const size_t E = (size_t)m->cfg.embed, C = (size_t)m->C, K = (size_t)m->K;
    const size_t S = (size_t)m->LD * (size_t)B * (size_t)m->cfg.hidden;
    if (TB > ((size_t)1 << 31) || rows * K > ((size_t)1 << 33) || TB * (E > C ? E : C) > ((size_t)1 << 33))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "batch of %d x %d steps is too large", B, T);
    m->ids = malloc(TB * sizeof(int32_t));
    m->mask = malloc(TB * sizeof(float));
    m->x = malloc(TB * E * sizeof(float));
    m->xmask = malloc(TB * E * sizeof(float));
    m->dx = malloc(TB * E * sizeof(float));
    m->feat = malloc(rows * C * sizeof(float));
    m->featmask = malloc(rows * C * sizeof(float));
    m->dfeat = malloc(rows * C * sizeof(float));
    m->dy = malloc(TB * C * sizeof(float));
    m->logits = malloc(rows * K * sizeof(float));
    m->dlogits = malloc(rows * K * sizeof(float));
    m->h0 = calloc(S, sizeof(float));
    m->c0 = calloc(S, sizeof(float));
    m->hn = calloc(S, sizeof(float));
    m->cn = calloc(S, sizeof(float));
    m->dhn = calloc(S, sizeof(float));
    m->argmax = malloc((size_t)B * C * sizeof(int32_t));
    m->targets = malloc(rows * sizeof(int32_t));
    if (!m->ids || !m->mask || !m->x || !m->xmask || !m->dx || !m->feat || !m->featmask ||
        !m->dfeat || !m->dy || !m->logits || !m->dlogits || !m->h0 || !m->c0 || !m->hn ||
        !m->cn || !m->dhn || !m->argmax || !m->targets) {
        free_workspace(m);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM,
                                "out of memory for a batch of %d x %d steps", B, T);
    }
    m->capT = T;
    m->capB = B;
    return rnnkit_rnn_reserve(m->rnn, T, B, err);
}

const rnnkit_model_config *rnnkit_model_get_config(const rnnkit_model *m) { return &m->cfg; }
rnnkit_vocab *rnnkit_model_vocab(rnnkit_model *m) { return m->vocab; }
int rnnkit_model_num_labels(const rnnkit_model *m) { return m->cfg.task == RNNKIT_TASK_CLASSIFY ? m->K : 0; }
rnnkit_params *rnnkit_model_params(rnnkit_model *m)
{
    tab_clear(m); /* the caller gets write access to the weights */
    return &m->params;
}
size_t rnnkit_model_num_params(const rnnkit_model *m) { return m->params.count; }

const char *rnnkit_model_label(const rnnkit_model *m, int k)
{
    if (!m->labels || k < 0 || k >= m->K)
        return NULL;
    return m->labels[k];
}

int rnnkit_model_find_label(const rnnkit_model *m, const char *label)
{
    if (!m->labels)
        return -1;
    for (int k = 0; k < m->K; k++)
        if (!strcmp(m->labels[k], label))
            return k;
    return -1;
}

static void train_options_default(rnnkit_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->optimizer = RNNKIT_OPT_ADAM;
    o->seed = 1;
    o->lr = 2e-3;
    o->clip = 5.0;
    o->lr_decay = 1.0;
    o->lr_schedule = RNNKIT_LR_COSINE;
}

void rnnkit_classifier_options_default(rnnkit_classifier_options *o)
{
    memset(o, 0, sizeof *o);
    train_options_default(&o->train);
    o->train.batch = 32;
    o->train.patience = 3;
    o->epochs = 10;
    o->maxlen = 400;
    o->keep_last = 1;
}

void rnnkit_generator_options_default(rnnkit_generator_options *o)
{
    memset(o, 0, sizeof *o);
    train_options_default(&o->train);
    o->train.batch = 64;
    o->train.lr_decay = 0.5;
    o->epochs = 1;
    o->seq_len = 100;
    o->steps = 4500;
    o->eval_every = 100;
}

/* The testing hook RNNKIT_FAULT_NAN_STEP: the step (1-based) whose loss is
 * made NaN, to test the divergence guard end to end; 0 = none. */
int64_t rnnkit__fault_nan_step(void)
{
    const char *v = getenv("RNNKIT_FAULT_NAN_STEP");
    long long n = v ? strtoll(v, NULL, 10) : 0;
    return n > 0 ? (int64_t)n : 0;
}

/* ====================================================================== */
/* Classifier: batches */

/* Effective length of doc i under maxlen. */
static size_t doc_len(const rnnkit_dataset *d, size_t i, int maxlen)
{
    size_t n = d->off[i + 1] - d->off[i];
    return (maxlen > 0 && n > (size_t)maxlen) ? (size_t)maxlen : n;
}

/* Fills ids/mask [T][B] (post-padded) for the docs in idx[0..B). Returns T. */
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
        size_t i = idx[b], full = d->off[i + 1] - d->off[i], n = doc_len(d, i, maxlen);
        const int32_t *src = d->ids + d->off[i] + ((keep_last && full > n) ? full - n : 0);
        for (size_t t = 0; t < T; t++) {
            m->ids[t * (size_t)B + (size_t)b] = t < n ? src[t] : RNNKIT_PAD_ID;
            m->mask[t * (size_t)B + (size_t)b] = t < n ? 1.0f : 0.0f;
        }
        if (d->label)
            m->targets[b] = d->label[i];
    }
    return (int)T;
}

enum { TAB_CHUNK = 256 };
#define TAB_MAX_BYTES ((size_t)512 << 20)

/* Computes the rows of the np pending ids (checked in range by the caller). */
static void tab_flush(rnnkit_model *m, int np)
{
    const size_t GH = (size_t)rnnkit__rnn_gate_width(m->rnn), V = (size_t)m->V;
    (void)rnnkit_embedding_forward(&m->emb, m->tab_pending, (size_t)np, m->tab_x, NULL);
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
static int tab_prepare(rnnkit_model *m, const int32_t *ids, size_t n, rnnkit_status *st, rnnkit_error *err)
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
        m->tab = malloc(D * V * GH * sizeof(float));
        m->tab_have = calloc(V, 1);
        m->tab_x = malloc(TAB_CHUNK * E * sizeof(float));
        m->tab_z = malloc(TAB_CHUNK * GH * sizeof(float));
        m->tab_pending = malloc(TAB_CHUNK * sizeof(int32_t));
        if (!m->tab || !m->tab_have || !m->tab_x || !m->tab_z || !m->tab_pending) {
            tab_free(m);
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

/* Forward of a classifier batch already in m->ids/mask: logits [B][K]. */
static rnnkit_status classifier_forward(rnnkit_model *m, int T, int B, int train,
                                        rnnkit_rng *rng, rnnkit_error *err)
{
    const size_t TB = (size_t)T * (size_t)B, E = (size_t)m->cfg.embed, C = (size_t)m->C;
    const int H = m->cfg.hidden, D = m->cfg.bidirectional ? 2 : 1;
    rnnkit_status st = RNNKIT_OK;
    /* At inference the embedding and layer 0's input product come from the
     * table: one copy per token instead of E*G*H multiply-adds. */
    const int fast = !train && tab_prepare(m, m->ids, TB, &st, err);
    if (st)
        return st;
    if (fast) {
        const size_t rows = (size_t)m->V * (size_t)rnnkit__rnn_gate_width(m->rnn);
        const float *tabs[2] = {m->tab, m->tab + rows};
        rnnkit__rnn_set_input_rows(m->rnn, tabs, m->ids);
    } else if ((st = rnnkit_embedding_forward(&m->emb, m->ids, TB, m->x, err))) {
        return st;
    }
    if (train && m->cfg.embed_dropout > 0.0f)
        rnnkit_dropout_forward(TB * E, m->cfg.embed_dropout, rng, m->x, m->xmask);
    const float *y = NULL;
    st = rnnkit_rnn_forward(m->rnn, T, B, m->x, m->mask, NULL, NULL, train, rng, &y, m->hn,
                            m->cfg.cell == RNNKIT_CELL_LSTM ? m->cn : NULL, err);
    rnnkit__rnn_set_input_rows(m->rnn, NULL, NULL);
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
        rnnkit_pool_forward(m->cfg.pool, T, B, (int)C, y, m->mask, m->feat, m->argmax);
    }
    if (train && m->cfg.dropout > 0.0f)
        rnnkit_dropout_forward((size_t)B * C, m->cfg.dropout, rng, m->feat, m->featmask);
    rnnkit_dense_forward(&m->fc, (size_t)B, m->feat, m->logits);
    return RNNKIT_OK;
}

static rnnkit_status classifier_backward(rnnkit_model *m, int T, int B, rnnkit_error *err)
{
    const size_t TB = (size_t)T * (size_t)B, E = (size_t)m->cfg.embed, C = (size_t)m->C;
    const int H = m->cfg.hidden, D = m->cfg.bidirectional ? 2 : 1;
    rnnkit_dense_backward(&m->fc, (size_t)B, m->feat, m->dlogits, m->dfeat);
    if (m->cfg.dropout > 0.0f)
        rnnkit_dropout_backward((size_t)B * C, m->featmask, m->dfeat);
    rnnkit_status st;
    if (m->cfg.pool == RNNKIT_POOL_LAST) {
        memset(m->dhn, 0, (size_t)m->LD * B * H * sizeof(float));
        for (int b = 0; b < B; b++)
            for (int d = 0; d < D; d++)
                memcpy(m->dhn + (((size_t)(m->cfg.layers - 1) * D + d) * B + b) * H,
                       m->dfeat + (size_t)b * C + (size_t)d * H, (size_t)H * sizeof(float));
        st = rnnkit_rnn_backward(m->rnn, NULL, m->dhn, NULL, m->dx, NULL, NULL, err);
    } else {
        rnnkit_pool_backward(m->cfg.pool, T, B, (int)C, m->mask, m->argmax, m->dfeat, m->dy);
        st = rnnkit_rnn_backward(m->rnn, m->dy, NULL, NULL, m->dx, NULL, NULL, err);
    }
    if (st)
        return st;
    if (m->cfg.embed_dropout > 0.0f)
        rnnkit_dropout_backward(TB * E, m->xmask, m->dx);
    rnnkit_embedding_backward(&m->emb, m->ids, TB, m->dx);
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
            *total += rnnkit_softmax_xent(B, m->K, m->logits, m->targets, NULL) * (double)B;
            for (size_t b = 0; b < B; b++)
                *correct += argmax_row(m->logits + b * (size_t)m->K, m->K) == m->targets[b];
        }
        if (probs) {
            rnnkit_softmax(B, m->K, m->logits);
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

/* ====================================================================== */
/* Classifier: training */

rnnkit_status rnnkit__push_log(rnnkit_log_row **log, int *nlog, const rnnkit_log_row *row,
                               rnnkit_error *err)
{
    rnnkit_log_row *l = realloc(*log, (size_t)(*nlog + 1) * sizeof *l);
    if (!l)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the training log");
    l[*nlog] = *row;
    *log = l;
    (*nlog)++;
    return RNNKIT_OK;
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

double rnnkit__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The settings a checkpoint must agree with to resume exactly. */
rnnkit_status rnnkit__check_resume(const rnnkit__ckpt *ck, uint64_t seed, int batch, int seq_len, const char *path,
                                  rnnkit_error *err)
{
    if (ck->seed != seed)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with seed %llu, not %llu",
                                path, (unsigned long long)ck->seed, (unsigned long long)seed);
    if (ck->batch_size != batch)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with batch %d, not %d", path,
                                ck->batch_size, batch);
    if (ck->task == RNNKIT_TASK_GENERATE && ck->seq_len != seq_len)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with seq-len %d, not %d", path,
                                ck->seq_len, seq_len);
    return RNNKIT_OK;
}

/* Writes the classifier's checkpoint: the position fields of ck (epoch,
 * batch_index, epoch_rng, running sums) are set by the caller; the model
 * tables get the best weights when there are any. */
static rnnkit_status clf_checkpoint(const rnnkit_model *m, const char *path, rnnkit__ckpt *ck,
                                    const float *best, int64_t step, const rnnkit_rng *rng, double elapsed,
                                    rnnkit_log_row *rows, int nrows, int final, rnnkit_error *err)
{
    ck->step = step;
    ck->rng = *rng;
    ck->elapsed = elapsed;
    ck->finished = final;
    ck->log = rows;
    ck->nlog = nrows;
    return rnnkit__ckpt_write(m, path, ck->has_best ? best : m->params.value, ck, 0, final, err);
}

/* The seed of member k's data-order and dropout stream. */
static uint64_t train_rng_seed(uint64_t seed, int k) { return rnnkit__member_seed(seed, k) ^ 0x5eedc1a55ULL; }

rnnkit_status rnnkit_classifier_train(rnnkit_model *m, const rnnkit_dataset *train,
                                      const rnnkit_dataset *valid, const rnnkit_classifier_options *opt,
                                      rnnkit_log_row **log, int *nlog, rnnkit_error *err)
{
    if (log) {
        *log = NULL;
        *nlog = 0;
    }
    if (m->cfg.task != RNNKIT_TASK_CLASSIFY)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a generator, not a classifier");
    if (!train || train->n == 0 || !train->label)
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "no labelled training documents");
    if (opt->epochs < 1 || opt->train.batch < 1 || opt->train.batch > 65536 || !(opt->train.lr > 0) ||
        opt->maxlen < 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "invalid training options (epochs %d, batch %d, lr %g, maxlen %d)",
                                opt->epochs, opt->train.batch, opt->train.lr, opt->maxlen);
    if (opt->train.resume && !opt->train.checkpoint_path)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "resume needs the checkpoint's path");
    const int64_t fault_nan_step = rnnkit__fault_nan_step();
    rnnkit_status st = check_dataset(m, train, "train", err);
    if (!st && valid)
        st = check_dataset(m, valid, "valid", err);
    if (st)
        return st;
    if (valid && valid->n == 0)
        valid = NULL;

    rnnkit_optim optim;
    if ((st = rnnkit_optim_init(&optim, opt->train.optimizer, (float)opt->train.lr, m->params.count, err)))
        return st;
    if (opt->train.weight_decay > 0)
        optim.weight_decay = (float)opt->train.weight_decay;
    const char *ckpath = opt->train.checkpoint_path;
    float *best = NULL;
    size_t *order = NULL;
    size_t *batches = NULL;
    m->training = 1; /* the inference table stays out of the validation passes */
    rnnkit_log_row *rows = NULL;
    int nrows = 0;
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, train_rng_seed(opt->train.seed, 0));
    const size_t nb = (train->n + (size_t)opt->train.batch - 1) / (size_t)opt->train.batch;
    batches = malloc(nb * sizeof *batches);
    best = malloc(m->params.count * sizeof(float));
    if (!batches || !best) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for training state");
        goto done;
    }
    rnnkit__ckpt ck;
    memset(&ck, 0, sizeof ck);
    ck.task = RNNKIT_TASK_CLASSIFY;
    ck.seed = opt->train.seed;
    ck.batch_size = opt->train.batch;
    ck.maxlen = opt->maxlen;
    ck.keep_last = opt->keep_last;
    ck.optim = &optim;
    ck.weights = m->params.value;
    ck.best = best;
    ck.data_fp = dataset_fp(dataset_fp(0xcbf29ce484222325ULL, train), valid);
    ck.best_acc = -1.0;
    ck.best_loss = INFINITY;
    ck.epoch = 1;
    int64_t step = 0;
    int first_epoch = 1;
    size_t first_batch = 0;
    double loss_sum0 = 0.0, elapsed0 = 0.0;
    size_t seen0 = 0, correct0 = 0;
    rnnkit_rng resume_rng = rng;
    int resuming = opt->train.resume;
    rnnkit__model_use_member(m, 0);
    if (opt->train.resume) {
        uint64_t fp = ck.data_fp;
        ck.weights = NULL; /* read into the block of the member the checkpoint is at */
        if ((st = rnnkit__ckpt_read(m, ckpath, &ck, err)))
            goto done;
        rows = ck.log; /* owned here from now on */
        nrows = ck.nlog;
        rnnkit__model_use_member(m, ck.member);
        ck.weights = m->params.value;
        if (ck.finished && m->members > 1 && ck.epoch <= opt->epochs) {
            st = rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                  "%s: this ensemble finished training; more epochs would train only its last "
                                  "member: train a new one", ckpath);
            goto done;
        }
        if ((st = rnnkit__check_resume(&ck, opt->train.seed, opt->train.batch, 0, ckpath, err)))
            goto done;
        if (ck.maxlen != opt->maxlen || ck.keep_last != opt->keep_last) {
            st = rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with maxlen %d (%s), not %d",
                                  ckpath, ck.maxlen, ck.keep_last ? "pre" : "post", opt->maxlen);
            goto done;
        }
        if (ck.data_fp != fp) {
            st = rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                  "%s: the training or validation data differ from the checkpoint's; "
                                  "resume with the same data", ckpath);
            goto done;
        }
        if ((uint64_t)ck.batch_index >= (uint64_t)nb) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint batch %lld outside the epoch's %zu",
                                  ckpath, (long long)ck.batch_index, nb);
            goto done;
        }
        step = ck.step;
        first_epoch = ck.epoch;
        first_batch = (size_t)ck.batch_index;
        ck.has_best = ck.has_best && valid;
        loss_sum0 = ck.loss_sum;
        seen0 = (size_t)ck.seen;
        correct0 = (size_t)ck.correct;
        elapsed0 = ck.elapsed;
        rng = ck.epoch_rng;
        resume_rng = ck.rng;
        if (!ck.has_best)
            memcpy(best, m->params.value, m->params.count * sizeof(float));
    } else {
        memcpy(best, m->params.value, m->params.count * sizeof(float));
        if (ckpath) {
            ck.epoch_rng = rng;
            ck.rng = rng;
            if ((st = rnnkit__ckpt_write(m, ckpath, m->params.value, &ck, 1, 0, err)))
                goto done;
        }
    }
    const double t0 = rnnkit__now();
    double last_ckpt = t0;
    int stopped = opt->train.patience > 0 && ck.since_best >= opt->train.patience && valid;
    const int last_member = m->members - 1;
    for (;;) { /* ensemble members, one after the other (one network: once) */
    const int member = ck.member;
    m->ready = member + 1;
    for (int epoch = first_epoch; !stopped && epoch <= opt->epochs; epoch++) {
        const double te0 = rnnkit__now();
        const rnnkit_rng epoch_rng = rng;
        free(order);
        order = order_by_length(train, opt->maxlen, &rng);
        if (!order) {
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory shuffling");
            goto done;
        }
        for (size_t b = 0; b < nb; b++)
            batches[b] = b * (size_t)opt->train.batch;
        for (size_t i = nb; i > 1; i--) {
            size_t j = (size_t)rnnkit_rng_below(&rng, i);
            size_t t = batches[i - 1];
            batches[i - 1] = batches[j];
            batches[j] = t;
        }
        double loss_sum = 0.0;
        size_t seen = 0, correct = 0, bi0 = 0;
        if (epoch == first_epoch && resuming && first_batch > 0) {
            /* mid-epoch: where the dropout stream stood after this epoch's
             * shuffles and first batches (at an epoch boundary the shuffles
             * above have just reproduced it) */
            rng = resume_rng;
            bi0 = first_batch;
            loss_sum = loss_sum0;
            seen = seen0;
            correct = correct0;
        }
        const size_t seen_start = seen;
        for (size_t bi = bi0; bi < nb; bi++) {
            size_t s = batches[bi];
            int B = (int)((train->n - s) < (size_t)opt->train.batch ? train->n - s : (size_t)opt->train.batch);
            int T = fill_batch(m, train, order + s, B, opt->maxlen, opt->keep_last, err, &st);
            if (st)
                goto done;
            if ((st = classifier_forward(m, T, B, 1, &rng, err)))
                goto done;
            double loss = rnnkit_softmax_xent((size_t)B, m->K, m->logits, m->targets, m->dlogits);
            for (int b = 0; b < B; b++)
                correct += argmax_row(m->logits + (size_t)b * m->K, m->K) == m->targets[b];
            rnnkit_params_zero_grad(&m->params);
            if ((st = classifier_backward(m, T, B, err)))
                goto done;
            double gnorm = rnnkit_clip_grad_norm(m->params.grad, m->params.count, opt->train.clip);
            step++;
            if (fault_nan_step == step)
                loss = NAN;
            if (!isfinite(loss) || !isfinite(gnorm)) {
                st = rnnkit_error_set(err, RNNKIT_ERR_NUMERIC,
                                      "step %lld (epoch %d): loss %g, gradient norm %g: "
                                      "training diverged; try a lower --lr or --clip%s",
                                      (long long)step, epoch, loss, gnorm,
                                      ckpath ? "; the last checkpoint is intact" : "");
                goto done;
            }
            if (opt->train.lr_schedule == RNNKIT_LR_COSINE) /* over all epochs of the member */
                optim.lr = rnnkit__cosine_lr(opt->train.lr, step, (double)opt->epochs * (double)nb);
            rnnkit_optim_step(&optim, m->params.value, m->params.grad);
            loss_sum += loss * B;
            seen += (size_t)B;
            const double tn = rnnkit__now();
            int stop = opt->train.stop && *opt->train.stop;
            if (opt->train.progress) {
                rnnkit_progress p = {.member = member, .members = m->members,
                                     .epoch = epoch, .epochs = opt->epochs, .batch = (int64_t)bi + 1,
                                     .batches = (int64_t)nb, .step = step, .loss = loss_sum / (double)seen,
                                     .items_per_s = tn > te0 ? (double)(seen - seen_start) / (tn - te0) : 0,
                                     .elapsed = elapsed0 + tn - t0};
                if (opt->train.progress(opt->train.progress_ctx, &p))
                    stop = 1;
            }
            if (bi + 1 == nb)
                break; /* the end of the epoch checkpoints (and stops) below */
            int due = stop || (opt->train.checkpoint_steps > 0 && step % opt->train.checkpoint_steps == 0) ||
                      (opt->train.checkpoint_seconds > 0 && tn - last_ckpt >= opt->train.checkpoint_seconds);
            if (due && ckpath) {
                ck.epoch = epoch;
                ck.batch_index = (int64_t)bi + 1;
                ck.epoch_rng = epoch_rng;
                ck.loss_sum = loss_sum;
                ck.seen = (int64_t)seen;
                ck.correct = (int64_t)correct;
                if ((st = clf_checkpoint(m, ckpath, &ck, best, step, &rng, elapsed0 + tn - t0, rows, nrows, 0, err)))
                    goto done;
                last_ckpt = rnnkit__now();
            }
            if (stop) {
                st = rnnkit_error_set(err, RNNKIT_ERR_INTERRUPTED, "training interrupted at step %lld (epoch %d)%s",
                                      (long long)step, epoch, ckpath ? ", checkpoint written" : "");
                goto done;
            }
        }
        rnnkit_log_row row = {.member = member, .epoch = epoch, .step = step, .train_loss = loss_sum / (double)seen,
                              .train_acc = (double)correct / (double)seen, .valid_loss = NAN,
                              .valid_acc = NAN, .lr = optim.lr};
        int improved = 0;
        if (valid) {
            if ((st = classifier_run(m, valid, opt->maxlen, opt->keep_last, NULL, &row.valid_loss,
                                     &row.valid_acc, err)))
                goto done;
            if (row.valid_acc > ck.best_acc || (row.valid_acc == ck.best_acc && row.valid_loss < ck.best_loss)) {
                ck.best_acc = row.valid_acc;
                ck.best_loss = row.valid_loss;
                memcpy(best, m->params.value, m->params.count * sizeof(float));
                ck.has_best = 1;
                ck.since_best = 0;
                improved = 1;
            } else {
                ck.since_best++;
                if (opt->train.lr_schedule == RNNKIT_LR_PLATEAU && opt->train.lr_decay > 0 && opt->train.lr_decay < 1)
                    optim.lr *= (float)opt->train.lr_decay;
            }
        }
        double tn = rnnkit__now();
        row.seconds = tn - te0;
        if ((st = rnnkit__push_log(&rows, &nrows, &row, err)))
            goto done;
        int stop = opt->train.stop && *opt->train.stop;
        if (opt->train.progress) {
            rnnkit_progress p = {.member = member, .members = m->members,
                                 .epoch = epoch, .epochs = opt->epochs, .batch = (int64_t)nb,
                                 .batches = (int64_t)nb, .step = step, .loss = row.train_loss,
                                 .items_per_s = row.seconds > 0 ? (double)(seen - seen_start) / row.seconds : 0,
                                 .end_of_epoch = 1, .row = row, .improved = improved};
            p.elapsed = elapsed0 + tn - t0;
            if (opt->train.progress(opt->train.progress_ctx, &p))
                stop = 1;
        }
        if (opt->train.patience > 0 && ck.since_best >= opt->train.patience && valid)
            stopped = 1;
        if (ckpath) {
            /* the next epoch starts from here: its shuffles draw from rng */
            ck.epoch = epoch + 1;
            ck.batch_index = 0;
            ck.epoch_rng = rng;
            ck.loss_sum = 0;
            ck.seen = ck.correct = 0;
            if ((st = clf_checkpoint(m, ckpath, &ck, best, step, &rng, elapsed0 + tn - t0, rows, nrows,
                                     (stopped || epoch == opt->epochs) && member == last_member, err)))
                goto done;
            last_ckpt = rnnkit__now();
        }
        if (stop && (member < last_member || (epoch < opt->epochs && !stopped))) {
            st = rnnkit_error_set(err, RNNKIT_ERR_INTERRUPTED, "training interrupted after epoch %d%s%s", epoch,
                                  m->members > 1 ? " of an ensemble member" : "",
                                  ckpath ? ", checkpoint written" : "");
            goto done;
        }
    }
    if (ck.has_best)
        memcpy(m->params.value, best, m->params.count * sizeof(float));
    if (member == last_member)
        break;
    /* The next member: a fresh run with seed + k, from its own initial weights. */
    const int next = member + 1;
    rnnkit__model_use_member(m, next);
    rnnkit_optim_reset(&optim, (float)opt->train.lr);
    rnnkit_rng_seed(&rng, train_rng_seed(opt->train.seed, next));
    memcpy(best, m->params.value, m->params.count * sizeof(float));
    ck.member = next;
    ck.weights = m->params.value;
    ck.best_acc = -1.0;
    ck.best_loss = INFINITY;
    ck.since_best = 0;
    ck.has_best = 0;
    step = 0;
    first_epoch = 1;
    first_batch = 0;
    resuming = 0;
    stopped = 0;
    if (ckpath) {
        /* member `next` starts here: a kill from now on resumes it, not the one before */
        ck.epoch = 1;
        ck.batch_index = 0;
        ck.epoch_rng = rng;
        ck.loss_sum = 0;
        ck.seen = ck.correct = 0;
        if ((st = clf_checkpoint(m, ckpath, &ck, best, step, &rng, elapsed0 + rnnkit__now() - t0, rows, nrows, 0,
                                 err)))
            goto done;
        last_ckpt = rnnkit__now();
    }
    }
    m->ready = m->members;
done:
    if (log && !st) {
        *log = rows;
        *nlog = nrows;
    } else {
        free(rows);
    }
    free(order);
    free(batches);
    free(best);
    rnnkit_optim_free(&optim);
    m->training = 0;
    rnnkit__model_use_member(m, 0);
    tab_clear(m);
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
    *loss = rnnkit_softmax_xent((size_t)B, m->K, m->logits, m->targets, grad ? m->dlogits : NULL);
    if (!grad)
        return RNNKIT_OK;
    rnnkit_params_zero_grad(&m->params);
    return classifier_backward(m, T, B, err);
}
