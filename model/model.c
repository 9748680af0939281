/*
 * model/model.c: the network every task shares: its configuration (defaults
 * and checks), creation with deterministic initial weights, ensemble
 * members, the workspace batches run in, and the default training options.
 * The tasks are in model/classifier.c and model/generator.c, their common
 * training loop in model/train.c, storage in model/modelfile.c and
 * model/checkpoint.c (docs/model-format.md).
 *
 * Invariants: params.value points at mw[cur], the weights of the member in
 * use; members 0..ready-1 are trained (predictions average them); the
 * workspace holds capT x capB (grown, never shrunk, by rnnkit__model_reserve);
 * the inference table's rows (tab_have) are valid for the weights of the
 * moment, and every path that may change weights clears them.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model_internal.h"
#include "model/rnn_internal.h"

const char *rnnkit_task_name(rnnkit_task t)
{
    return t == RNNKIT_TASK_CLASSIFY ? "classify" : t == RNNKIT_TASK_GENERATE ? "generate"
           : t == RNNKIT_TASK_FORECAST ? "forecast" : "unknown";
}

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
    } else if (task == RNNKIT_TASK_FORECAST) {
        cfg->hidden = 32;
        cfg->inputs = 1;
        cfg->lookback = 12;
        cfg->horizon = 1;
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
    if (members > 1 && task == RNNKIT_TASK_FORECAST)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "an ensemble (%d networks) is for classifiers and generators",
                                members);
    return RNNKIT_OK;
}

static rnnkit_status check_config(const rnnkit_model_config *c, rnnkit_error *err)
{
    if (c->task != RNNKIT_TASK_CLASSIFY && c->task != RNNKIT_TASK_GENERATE && c->task != RNNKIT_TASK_FORECAST)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown task %d", (int)c->task);
    if (c->cell < RNNKIT_CELL_RNN || c->cell > RNNKIT_CELL_GRU)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown cell %d", (int)c->cell);
    if (c->task == RNNKIT_TASK_FORECAST) {
        if (c->inputs < 1 || c->inputs > RNNKIT_SERIES_MAX_COLUMNS)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%d input columns outside [1, %d]", c->inputs,
                                    RNNKIT_SERIES_MAX_COLUMNS);
        if (c->lookback < 1 || c->lookback > 100000 || c->horizon < 1 || c->horizon > 10000)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "lookback %d or horizon %d outside [1, 100000] / [1, 10000]",
                                    c->lookback, c->horizon);
        if (c->bidirectional)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "a forecaster reads its window forwards only");
    } else if (c->embed < 1 || c->embed > 65536)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "embedding size %d outside [1, 65536]", c->embed);
    if (c->hidden < 1 || c->hidden > 65536)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "hidden size %d outside [1, 65536]", c->hidden);
    if (c->layers < 1 || c->layers > 64)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "layers %d outside [1, 64]", c->layers);
    if (c->bidirectional != 0 && c->bidirectional != 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "bidirectional must be 0 or 1");
    if (c->task == RNNKIT_TASK_GENERATE && c->bidirectional)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "a generator cannot be bidirectional");
    if (c->reverse != 0 && (c->reverse != 1 || c->task != RNNKIT_TASK_GENERATE))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "reverse (%d): 0, or 1 for a generator", c->reverse);
    if (c->pool < RNNKIT_POOL_LAST || c->pool > RNNKIT_POOL_MAX)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown pooling %d", (int)c->pool);
    if (c->bf16 != 0 && c->bf16 != 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "bf16 (%d): 0 or 1", c->bf16);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f) ||
        !(c->embed_dropout >= 0.0f && c->embed_dropout < 1.0f) ||
        !(c->weight_drop >= 0.0f && c->weight_drop < 1.0f))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "dropout must be in [0, 1)");
    if (c->maxlen < 0 || c->maxlen > 100000000 || (c->keep_last != 0 && c->keep_last != 1))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "maxlen %d out of range", c->maxlen);
    rnnkit_status st = check_members(c->members ? c->members : 1, c->task, err);
    if (st)
        return st;
    if (!(c->embed_init >= 0.0f && c->embed_init <= 100.0f))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "embedding init range %g out of [0, 100]",
                                (double)c->embed_init);
    if (c->task == RNNKIT_TASK_FORECAST && c->embed_init != 0.0f)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "a forecaster reads numbers: it has no embedding to initialise");
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
    if (m->cfg.task != RNNKIT_TASK_FORECAST) /* a forecaster reads numbers: no embedding */
        rnnkit__embedding_init(&m->emb, &rng, m->cfg.embed_init);
    rnnkit__rnn_init(m->rnn, &rng, m->cfg.forget_bias);
    rnnkit__dense_init(&m->fc, &rng);
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

/* The text tasks' side of a network: vocabulary size, labels, embedding. */
static rnnkit_status text_layers(rnnkit_model *m, const char *const *labels, int nlabels, rnnkit_error *err)
{
    rnnkit_status st = RNNKIT_OK;
    int64_t V = rnnkit_vocab_size(m->vocab);
    if (V < 3 || V > (int64_t)1 << 24) {
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                              "vocabulary of %lld ids: need at least one token besides <pad> "
                              "and <unk>, at most 2^24",
                              (long long)V);
    }
    m->V = (int)V;
    if (m->cfg.task == RNNKIT_TASK_CLASSIFY) {
        if (nlabels < 2 || nlabels > RNNKIT_MAX_LABELS) {
            return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                  "a classifier needs 2 to %d labels (got %d)", RNNKIT_MAX_LABELS, nlabels);
        }
        m->K = nlabels;
        m->labels = calloc((size_t)nlabels, sizeof *m->labels);
        if (!m->labels) {
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for labels");
        }
        for (int k = 0; k < nlabels; k++) {
            m->labels[k] = strdup(labels[k]);
            if (!m->labels[k]) {
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for labels");
            }
        }
    } else {
        m->K = m->V;
    }
    if ((st = rnnkit__embedding_create(&m->emb, &m->params, "embedding.weight", m->V, m->cfg.embed,
                                      err)))
        return st;
    m->E = m->cfg.embed;
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
    rnnkit__params_init(&m->params);
    if (cfg->task == RNNKIT_TASK_FORECAST) {
        /* numbers in, numbers out: no vocabulary, no embedding */
        if (vocab) {
            st = rnnkit_error_set(err, RNNKIT_ERR_ARG, "a forecaster takes no vocabulary");
            goto fail;
        }
        m->E = cfg->inputs;
        m->K = cfg->horizon;
        m->spec.season = 1;
        m->spec.scaler.kind = RNNKIT_SCALE_MINMAX;
    } else if ((st = text_layers(m, labels, nlabels, err))) {
        goto fail;
    }
    rnnkit__rnn_config rc = {.cell = cfg->cell,
                            .input_size = m->E,
                            .hidden_size = cfg->hidden,
                            .num_layers = cfg->layers,
                            .bidirectional = cfg->bidirectional,
                            .dropout = cfg->dropout,
                            .weight_drop = cfg->weight_drop};
    if ((st = rnnkit__rnn_create(&rc, &m->params, "rnn", &m->rnn, err)))
        goto fail;
    m->C = rnnkit__rnn_output_size(m->rnn);
    m->LD = cfg->layers * (cfg->bidirectional ? 2 : 1);
    if ((st = rnnkit__dense_create(&m->fc, &m->params, "fc", m->C, m->K, err)))
        goto fail;
    if ((st = rnnkit__params_alloc(&m->params, err)))
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
                    m->argmax, m->targets, m->row};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    m->ids = NULL;
    m->mask = m->x = m->xmask = m->dx = m->feat = m->featmask = m->dfeat = m->dy = NULL;
    m->logits = m->dlogits = m->h0 = m->c0 = m->hn = m->cn = m->dhn = NULL;
    m->argmax = m->targets = m->row = NULL;
    m->capT = m->capB = 0;
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
    rnnkit__model_weights_changed(m);
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
    rnnkit__model_weights_changed(m);
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
    rnnkit__table_free(m);
    rnnkit__int8_free(m);
    rnnkit__rnn_free(m->rnn);
    rnnkit__pool_free(m->pool);
    rnnkit__params_free(&m->params);
    if (m->labels)
        for (int k = 0; k < m->K; k++)
            free(m->labels[k]);
    free(m->labels);
    rnnkit_vocab_free(m->vocab);
    free(m);
}

int rnnkit_default_threads(void)
{
    const char *e = getenv("RNNKIT_THREADS");
    if (e && *e) {
        char *end;
        long n = strtol(e, &end, 10);
        if (!*end && n >= 1 && n <= RNNKIT_MAX_THREADS)
            return (int)n;
    }
    int n = rnnkit__cores_available();
    return n > RNNKIT_MAX_THREADS ? RNNKIT_MAX_THREADS : n;
}

rnnkit_status rnnkit_model_set_threads(rnnkit_model *m, int threads, rnnkit_error *err)
{
    if (threads < 0 || threads > RNNKIT_MAX_THREADS)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "threads: %d outside [0, %d] (0: the default)", threads,
                                RNNKIT_MAX_THREADS);
    if (!threads)
        threads = rnnkit_default_threads();
    if (threads == m->threads)
        return RNNKIT_OK;
    /* bf16 products are a mode of the pool: such a model has one even on
     * one thread (the products are the same bits on any thread count) */
    rnnkit__pool *pool = NULL;
    if (threads > 1 || m->cfg.bf16) {
        rnnkit_status st = rnnkit__pool_create(threads, &pool, err);
        if (st)
            return st;
        if (m->cfg.bf16)
            rnnkit__pool_set_bf16(pool, 1);
    }
    rnnkit__pool_free(m->pool);
    m->pool = pool;
    m->threads = threads;
    rnnkit__rnn_set_pool(m->rnn, pool);
    m->fc.pool = pool;
    return RNNKIT_OK;
}

int rnnkit_model_bf16_active(const rnnkit_model *m)
{
    if (!m->cfg.bf16)
        return 0;
    if (m->pool) /* 0 too when its workspaces could not be had */
        return rnnkit__pool_bf16(m->pool);
    rnnkit__bf16_cpu cpu;
    rnnkit__bf16_detect(&cpu);
    return cpu.avx512bf16;
}

int rnnkit_model_threads(const rnnkit_model *m) { return m->threads ? m->threads : rnnkit_default_threads(); }

rnnkit_status rnnkit__model_reserve(rnnkit_model *m, int T, int B, rnnkit_error *err)
{
    rnnkit_status st;
    if (!m->threads && (st = rnnkit_model_set_threads(m, 0, err)))
        return st;
    if (T <= m->capT && B <= m->capB)
        return RNNKIT_OK;
    if (T < m->capT)
        T = m->capT;
    if (B < m->capB)
        B = m->capB;
    free_workspace(m);
    const size_t TB = (size_t)T * (size_t)B;
    const size_t rows = m->cfg.task == RNNKIT_TASK_GENERATE ? TB : (size_t)B;
    const size_t E = (size_t)m->E, C = (size_t)m->C, K = (size_t)m->K;
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
    m->row = malloc((size_t)T * sizeof(int32_t));
    if (!m->row || !m->ids || !m->mask || !m->x || !m->xmask || !m->dx || !m->feat || !m->featmask ||
        !m->dfeat || !m->dy || !m->logits || !m->dlogits || !m->h0 || !m->c0 || !m->hn ||
        !m->cn || !m->dhn || !m->argmax || !m->targets) {
        free_workspace(m);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM,
                                "out of memory for a batch of %d x %d steps", B, T);
    }
    m->capT = T;
    m->capB = B;
    return rnnkit__rnn_reserve(m->rnn, T, B, err);
}

const rnnkit_model_config *rnnkit_model_get_config(const rnnkit_model *m) { return &m->cfg; }
rnnkit_vocab *rnnkit_model_vocab(rnnkit_model *m) { return m->vocab; }
int rnnkit_model_num_labels(const rnnkit_model *m) { return m->cfg.task == RNNKIT_TASK_CLASSIFY ? m->K : 0; }
rnnkit__params *rnnkit__model_params(rnnkit_model *m)
{
    rnnkit__model_weights_changed(m); /* the caller gets write access to the weights */
    return &m->params;
}
size_t rnnkit_model_num_params(const rnnkit_model *m) { return m->params.count; }

rnnkit_status rnnkit_model_set_forecast_spec(rnnkit_model *m, const rnnkit_forecast_spec *spec, rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_FORECAST)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "only a forecaster has a forecast spec");
    if ((spec->diff.order != 0 && spec->diff.order != 1) || spec->diff.season > 100000 || spec->season < 1 ||
        spec->season > 100000)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "differencing order %d, seasonal lag %zu, season %zu out of range",
                                spec->diff.order, spec->diff.season, spec->season);
    if (spec->scaler.kind < RNNKIT_SCALE_NONE || spec->scaler.kind > RNNKIT_SCALE_STANDARD)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown scaling %d", (int)spec->scaler.kind);
    m->spec = *spec;
    for (size_t j = 0; j < RNNKIT_SERIES_MAX_COLUMNS; j++)
        m->spec.columns[j][RNNKIT_FORECAST_NAME_MAX - 1] = '\0';
    m->spec.date[RNNKIT_FORECAST_NAME_MAX - 1] = '\0';
    return RNNKIT_OK;
}

const rnnkit_forecast_spec *rnnkit_model_forecast_spec(const rnnkit_model *m)
{
    return m->cfg.task == RNNKIT_TASK_FORECAST ? &m->spec : NULL;
}
float *rnnkit_model_weights(rnnkit_model *m) { return rnnkit__model_params(m)->value; }
int rnnkit_model_num_tensors(const rnnkit_model *m) { return m->params.nviews; }

const char *rnnkit_model_tensor(const rnnkit_model *m, int i, int64_t shape[2], size_t *offset)
{
    if (i < 0 || i >= m->params.nviews)
        return NULL;
    const rnnkit__param_view *v = &m->params.views[i];
    shape[0] = v->shape[0];
    shape[1] = v->ndim == 2 ? v->shape[1] : 0;
    *offset = v->offset;
    return v->name;
}

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
    o->softmax_samples = RNNKIT_SOFTMAX_AUTO;
}

/* The testing hook RNNKIT_FAULT_NAN_STEP: the step (1-based) whose loss is
 * made NaN, to test the divergence guard end to end; 0 = none. */
int64_t rnnkit__fault_nan_step(void)
{
    const char *v = getenv("RNNKIT_FAULT_NAN_STEP");
    long long n = v ? strtoll(v, NULL, 10) : 0;
    return n > 0 ? (int64_t)n : 0;
}

