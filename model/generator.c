/*
 * model/generator.c: the generator (a language model over the vocabulary's
 * tokens): truncated back-propagation through time over B contiguous
 * streams with the state carried from one chunk to the next (as char-rnn
 * does), as a task of the trainer (model/train.c); evaluation in nats per
 * token. Sampling one token at a time is in model/sampler.c.
 *
 * Invariants: stream b of the training text is train[b*seg .. (b+1)*seg]
 * (plus one token for the last target); every step reads the chunk
 * [pos, pos+T) of every stream; m->h0/c0 hold the state the next chunk
 * starts from (zero at each new pass over the text), m->hn/cn the state a
 * chunk ends in, and the two swap after each step. Each network of an
 * ensemble starts at the text's start from zero state with its own rng
 * stream (member k's is the one network's of seed + k), so it trains as
 * that network would alone; evaluation of an ensemble scores each
 * prediction by the mean of its ready members' probabilities, each member
 * reading the whole text with its own state.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/train_internal.h"

/*
 * Forward (and, when train, backward) of one chunk: inputs ids [T][B] and
 * targets [T*B] already in the workspace, initial state in m->h0/c0, final
 * state left in m->hn/cn. Returns the mean loss over the T*B predictions.
 */
/* A training step's sampled softmax (model/sampled.c): S candidates drawn
 * from the step's rng, shared by its T*B predictions. */
typedef struct gen_sampled {
    int S;
    int32_t *samples; /* [S] */
    float *logq;      /* [S] */
    float *work;      /* [rnnkit__sampled_work_floats(T*B, S, C)] */
} gen_sampled;

static rnnkit_status gen_chunk(rnnkit_model *m, int T, int B, int train, rnnkit_rng *rng,
                               const gen_sampled *smp, double *loss, double *nll, rnnkit_error *err)
{
    const size_t TB = (size_t)T * (size_t)B, C = (size_t)m->C;
    const int lstm = m->cfg.cell == RNNKIT_CELL_LSTM;
    rnnkit_status st = rnnkit__embedding_forward(&m->emb, m->ids, TB, m->x, err);
    if (st)
        return st;
    if (train && m->cfg.embed_dropout > 0.0f)
        rnnkit__dropout_forward(TB * (size_t)m->cfg.embed, m->cfg.embed_dropout, rng, m->x, m->xmask);
    const float *y = NULL;
    st = rnnkit__rnn_forward(m->rnn, T, B, m->x, NULL, m->h0, lstm ? m->c0 : NULL, train, rng, &y,
                            m->hn, lstm ? m->cn : NULL, err);
    if (st)
        return st;
    memcpy(m->feat, y, TB * C * sizeof(float));
    if (train && m->cfg.dropout > 0.0f)
        rnnkit__dropout_forward(TB * C, m->cfg.dropout, rng, m->feat, m->featmask);
    if (train && smp) {
        rnnkit__sampled_draw(m->K, 1, smp->S, rng, smp->samples, smp->logq);
        *loss = rnnkit__sampled_softmax_xent(&m->fc, TB, m->feat, m->targets, smp->S, smp->samples, smp->logq,
                                             m->dy, smp->work);
    } else {
        rnnkit__dense_forward(&m->fc, TB, m->feat, m->logits);
        if (nll) { /* evaluation, row by row */
            double total = 0.0;
            for (size_t r = 0; r < TB; r++) {
                const float *z = m->logits + r * (size_t)m->K;
                nll[r] = rnnkit__logsumexp(m->K, z) - (double)z[m->targets[r]];
                total += nll[r];
            }
            *loss = total / (double)TB;
            return RNNKIT_OK;
        }
        *loss = rnnkit__softmax_xent(TB, m->K, m->logits, m->targets, train ? m->dlogits : NULL);
        if (!train)
            return RNNKIT_OK;
        rnnkit__dense_backward(&m->fc, TB, m->feat, m->dlogits, m->dy);
    }
    if (m->cfg.dropout > 0.0f)
        rnnkit__dropout_backward(TB * C, m->featmask, m->dy);
    if ((st = rnnkit__rnn_backward(m->rnn, m->dy, NULL, NULL, m->dx, NULL, NULL, err)))
        return st;
    if (m->cfg.embed_dropout > 0.0f)
        rnnkit__dropout_backward(TB * (size_t)m->cfg.embed, m->xmask, m->dx);
    rnnkit__embedding_backward(&m->emb, m->ids, TB, m->dx);
    return RNNKIT_OK;
}

/* Loads chunk [pos, pos+T) of each of B streams of length seg starting at
 * stream b*seg; targets are the next tokens. */
static void load_chunk(rnnkit_model *m, const int32_t *data, size_t seg, size_t pos, int T, int B)
{
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)b * seg + pos + (size_t)t;
            m->ids[(size_t)t * B + b] = data[i];
            m->targets[(size_t)t * B + b] = data[i + 1];
        }
}

static void swap_state(rnnkit_model *m)
{
    float *t = m->h0;
    m->h0 = m->hn;
    m->hn = t;
    t = m->c0;
    m->c0 = m->cn;
    m->cn = t;
}

static void zero_state(rnnkit_model *m, int B)
{
    size_t S = (size_t)m->LD * (size_t)B * (size_t)m->cfg.hidden;
    memset(m->h0, 0, S * sizeof(float));
    memset(m->c0, 0, S * sizeof(float));
}

static rnnkit_status check_ids(const rnnkit_model *m, const int32_t *ids, size_t n, const char *what,
                               rnnkit_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= m->V)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: token %zu has id %d outside [0, %d)", what, i,
                                    ids[i], m->V);
    return RNNKIT_OK;
}

/* ids[n] backwards (a reverse model's reading order), malloc'd. */
static int32_t *reversed(const int32_t *ids, size_t n, rnnkit_error *err)
{
    int32_t *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) {
        rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the text read backwards (%zu tokens)", n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = ids[n - 1 - i];
    return r;
}

/* The mean loss of a checked stream of n >= 2 ids in the model's reading
 * order; with `at` [n-1], also each prediction's loss: at[i] that of
 * ids[i+1] after ids[0..i]. */
static rnnkit_status eval_stream(rnnkit_model *m, const int32_t *ids, size_t n, double *loss, double *at,
                                 rnnkit_error *err)
{
    rnnkit_status st;
    /* Up to 16 streams of whole chunks of 100; the leftover tail (< 1 chunk
     * per stream) runs as one more stream. Every stream but the first starts
     * from the state reached over the W tokens before it (read, not scored),
     * so that each token is scored with at least W tokens of context, as in
     * one pass over the whole text, instead of after a cold start. */
    const int T = 100;
    int B = (int)((n - 1) / (size_t)T);
    B = B > 16 ? 16 : B < 1 ? 1 : B;
    size_t seg = (n - 1) / (size_t)B;
    if ((st = rnnkit__model_reserve(m, T, B, err)))
        return st;
    double *rows = NULL; /* [T][B] a chunk's losses, when `at` wants them */
    if (at && !(rows = malloc((size_t)T * (size_t)B * sizeof *rows)))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the losses of a chunk");
    zero_state(m, B);
    const int W = (int)(seg < (size_t)T ? seg : (size_t)T);
    double l, total = 0.0;
    size_t count = 0;
    if (B > 1 && W > 0) {
        for (int t = 0; t < W; t++)
            for (int b = 0; b < B; b++) {
                /* stream 0 reads tokens too (its state is reset below) */
                size_t i = b ? (size_t)b * seg - (size_t)W + (size_t)t : (size_t)t;
                m->ids[(size_t)t * B + b] = ids[i];
                m->targets[(size_t)t * B + b] = ids[i + 1];
            }
        if ((st = gen_chunk(m, W, B, 0, NULL, NULL, &l, NULL, err)))
            goto done;
        swap_state(m);
        const size_t H = (size_t)m->cfg.hidden;
        for (int k = 0; k < m->LD; k++) {
            memset(m->h0 + (size_t)k * B * H, 0, H * sizeof(float));
            memset(m->c0 + (size_t)k * B * H, 0, H * sizeof(float));
        }
    }
    for (size_t pos = 0; pos < seg;) {
        int t = (int)((seg - pos) < (size_t)T ? seg - pos : (size_t)T);
        load_chunk(m, ids, seg, pos, t, B);
        if ((st = gen_chunk(m, t, B, 0, NULL, NULL, &l, rows, err)))
            goto done;
        for (int r = 0; rows && r < t * B; r++) /* row r = u*B + b predicts ids[b*seg + pos + u + 1] */
            at[(size_t)(r % B) * seg + pos + (size_t)(r / B)] = rows[r];
        total += l * (double)t * B;
        count += (size_t)t * (size_t)B;
        swap_state(m);
        pos += (size_t)t;
    }
    size_t done = seg * (size_t)B;
    if (done < n - 1) {
        /* tail: one more stream, warmed up like the others */
        zero_state(m, 1);
        const size_t w = done < (size_t)T ? done : (size_t)T;
        if (w > 0) {
            load_chunk(m, ids + done - w, 0, 0, (int)w, 1);
            if ((st = gen_chunk(m, (int)w, 1, 0, NULL, NULL, &l, NULL, err)))
                goto done;
            swap_state(m);
        }
        for (size_t pos = done; pos < n - 1;) {
            int t = (int)((n - 1 - pos) < (size_t)T ? n - 1 - pos : (size_t)T);
            load_chunk(m, ids + pos, 0, 0, t, 1);
            if ((st = gen_chunk(m, t, 1, 0, NULL, NULL, &l, rows, err)))
                goto done;
            if (rows)
                memcpy(at + pos, rows, (size_t)t * sizeof *rows);
            total += l * t;
            count += (size_t)t;
            swap_state(m);
            pos += (size_t)t;
        }
    }
    *loss = total / (double)count;
done:
    free(rows);
    return st;
}

/* An ensemble's loss: each prediction's probability is the mean of its
 * ready members' (their state carried apart, as each alone), so the loss is
 * -log mean_k exp(-loss_k) per prediction, averaged over the n-1. */
static rnnkit_status eval_ensemble(rnnkit_model *m, const int32_t *ids, size_t n, double *loss, rnnkit_error *err)
{
    const int R = m->ready, cur = m->cur;
    /* mix[i] = -log sum_k p_k(i) over the members read so far; at[i]: one member's loss */
    double *mix = malloc((n - 1) * sizeof *mix), *at = malloc((n - 1) * sizeof *at);
    rnnkit_status st = RNNKIT_OK;
    if (!mix || !at)
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the losses of %zu predictions", n - 1);
    for (int k = 0; k < R && !st; k++) {
        rnnkit__model_use_member(m, k);
        double l;
        if ((st = eval_stream(m, ids, n, &l, k ? at : mix, err)))
            break;
        for (size_t i = 0; k && i < n - 1; i++) { /* -log(e^-a + e^-b) = lo - log1p(e^(lo - hi)) */
            const double a = mix[i], b = at[i], lo = a < b ? a : b, hi = a < b ? b : a;
            mix[i] = lo - log1p(exp(lo - hi));
        }
    }
    if (!st) {
        double total = 0.0;
        for (size_t i = 0; i < n - 1; i++)
            total += mix[i];
        *loss = total / (double)(n - 1) + log((double)R);
    }
    rnnkit__model_use_member(m, cur);
    free(mix);
    free(at);
    return st;
}

rnnkit_status rnnkit_generator_evaluate(rnnkit_model *m, const int32_t *ids, size_t n, double *loss,
                                        rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_GENERATE)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a classifier, not a generator");
    if (n < 2)
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "need at least 2 tokens to evaluate (got %zu)", n);
    rnnkit_status st = check_ids(m, ids, n, "evaluate", err);
    const int32_t *s = ids;
    int32_t *r = NULL;
    if (!st && m->cfg.reverse && !(s = r = reversed(ids, n, err)))
        st = RNNKIT_ERR_NOMEM;
    if (!st)
        st = m->ready > 1 ? eval_ensemble(m, s, n, loss, err) : eval_stream(m, s, n, loss, NULL, err);
    free(r);
    return st;
}

/* ====================================================================== */
/* Training: the generator as a task of the trainer (model/train.c) */

typedef struct gen_task {
    rnnkit_model *m;
    const rnnkit_generator_options *opt;
    const int32_t *train, *valid;
    size_t nvalid;
    size_t seg;             /* tokens per stream: stream b is train[b*seg .. (b+1)*seg] */
    size_t pos;             /* position of the next chunk in every stream */
    size_t S;               /* floats of one carried state (h or c) */
    int64_t eval_every;     /* steps between scheduled evaluations */
    float *hsave, *csave;   /* [S] the streams' state, kept aside while validating */
    double loss;            /* the loaded chunk's loss, computed by gen_step */
    gen_sampled smp;        /* S = 0: the exact softmax */
} gen_task;

static rnnkit_status gen_next_batch(void *ctx, rnnkit_rng *rng, int *epoch, rnnkit_error *err)
{
    (void)rng;
    (void)err;
    gen_task *g = ctx;
    const int T = g->opt->seq_len, B = g->opt->train.batch;
    if (g->pos + (size_t)T > g->seg) { /* next pass over the text: fresh state */
        g->pos = 0;
        (*epoch)++;
        zero_state(g->m, B);
    }
    load_chunk(g->m, g->train, g->seg, g->pos, T, B);
    g->pos += (size_t)T;
    return RNNKIT_OK;
}

static rnnkit_status gen_step(void *ctx, rnnkit_rng *rng, double *loss, double *weight, int64_t *items,
                              int64_t *correct, rnnkit_error *err)
{
    (void)correct;
    gen_task *g = ctx;
    const int T = g->opt->seq_len, B = g->opt->train.batch;
    *weight = 1.0; /* the running loss is the mean of the chunks' means */
    *items = (int64_t)T * B;
    return gen_chunk(g->m, T, B, 1, rng, g->smp.S ? &g->smp : NULL, loss, NULL, err);
}

/* Carry the state to the next chunk, cut the gradient (truncated BPTT). */
static void gen_after_step(void *ctx) { swap_state(((gen_task *)ctx)->m); }

static rnnkit_status gen_evaluate(void *ctx, double *loss, double *acc, rnnkit_error *err)
{
    gen_task *g = ctx;
    rnnkit_model *m = g->m;
    /* evaluation reuses the workspace and the state buffers: keep the
     * training streams' state aside meanwhile */
    memcpy(g->hsave, m->h0, g->S * sizeof(float));
    memcpy(g->csave, m->c0, g->S * sizeof(float));
    rnnkit_status st = eval_stream(m, g->valid, g->nvalid, loss, NULL, err);
    memcpy(m->h0, g->hsave, g->S * sizeof(float));
    memcpy(m->c0, g->csave, g->S * sizeof(float));
    *acc = NAN;
    return st;
}

static void gen_save(void *ctx, const rnnkit_rng *rng, rnnkit__ckpt *ck)
{
    (void)rng;
    gen_task *g = ctx;
    ck->seq_len = g->opt->seq_len;
    ck->eval_every = g->eval_every;
    ck->pos = (int64_t)g->pos;
    ck->h = g->m->h0; /* the state buffers swap at every step: point at today's */
    ck->c = g->m->c0;
    ck->nstate = g->S;
}

static rnnkit_status gen_restore(void *ctx, const rnnkit__ckpt *ck, const char *path, rnnkit_error *err)
{
    gen_task *g = ctx;
    if (ck->seq_len != g->opt->seq_len)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with seq-len %d, not %d", path,
                                ck->seq_len, g->opt->seq_len);
    if ((uint64_t)ck->pos > (uint64_t)g->seg)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint position %lld outside the streams", path,
                                (long long)ck->pos);
    g->pos = (size_t)ck->pos;
    return RNNKIT_OK;
}

/* A network starts (an ensemble's next one too): from the text's start, from zero state. */
static void gen_rewind(void *ctx)
{
    gen_task *g = ctx;
    g->pos = 0;
    zero_state(g->m, g->opt->train.batch);
}

static uint64_t gen_rng_seed(uint64_t seed, int k) { return rnnkit__member_seed(seed, k) ^ 0x9e4e7a7e5ULL; }

/* Fingerprint of the training and validation text, for checkpoints. */
static uint64_t text_fp(const int32_t *train, size_t ntrain, const int32_t *valid, size_t nvalid)
{
    uint64_t h = 0xcbf29ce484222325ULL, n = ntrain;
    h = rnnkit__fnv1a64_more(h, &n, sizeof n);
    h = rnnkit__fnv1a64_more(h, train, ntrain * sizeof *train);
    n = valid ? nvalid : 0;
    h = rnnkit__fnv1a64_more(h, &n, sizeof n);
    if (valid)
        h = rnnkit__fnv1a64_more(h, valid, nvalid * sizeof *valid);
    return h;
}

static rnnkit_status train_streams(rnnkit_model *m, const int32_t *train, size_t ntrain, const int32_t *valid,
                                   size_t nvalid, const rnnkit_generator_options *opt, rnnkit_log_row **log,
                                   int *nlog, rnnkit_error *err);

/* Sampled above SOFTMAX_AUTO_IDS ids (a word vocabulary), where the exact
 * softmax costs many times the recurrent layers. */
#define SOFTMAX_AUTO_IDS 8192
#define SOFTMAX_AUTO_SAMPLES 1024

int rnnkit_generator_softmax_samples(const rnnkit_model *m, const rnnkit_generator_options *o)
{
    const int V = m->K;
    int S = o->softmax_samples;
    if (S == RNNKIT_SOFTMAX_AUTO)
        S = V > SOFTMAX_AUTO_IDS ? SOFTMAX_AUTO_SAMPLES : 0;
    return S < 0 || S >= V - 1 ? 0 : S; /* as many candidates as ids: the exact softmax */
}

rnnkit_status rnnkit_generator_train(rnnkit_model *m, const int32_t *train, size_t ntrain, const int32_t *valid,
                                     size_t nvalid, const rnnkit_generator_options *opt, rnnkit_log_row **log,
                                     int *nlog, rnnkit_error *err)
{
    if (log) {
        *log = NULL;
        *nlog = 0;
    }
    if (m->cfg.task != RNNKIT_TASK_GENERATE)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a classifier, not a generator");
    if (opt->train.init_path)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: a generator cannot carry on from another run yet",
                                opt->train.init_path);
    const int T = opt->seq_len, B = opt->train.batch;
    if (T < 1 || B < 1 || T > 100000 || B > 65536 || !(opt->train.lr > 0))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "invalid training options (seq-len %d, batch %d, lr %g)", T, B,
                                opt->train.lr);
    if (ntrain < (size_t)B * (size_t)T + 1)
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY,
                                "training text of %zu tokens is too short for %d streams of %d steps; "
                                "use a smaller --batch or --seq-len",
                                ntrain, B, T);
    rnnkit_status st = check_ids(m, train, ntrain, "train", err);
    if (!st && valid && nvalid)
        st = check_ids(m, valid, nvalid, "valid", err);
    if (st)
        return st;
    if ((opt->softmax_samples < 0 && opt->softmax_samples != RNNKIT_SOFTMAX_AUTO) ||
        opt->softmax_samples > (1 << 20))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "a sampled softmax of %d candidates outside [0, %d]",
                                opt->softmax_samples, 1 << 20);
    if (!valid || nvalid < 2) {
        valid = NULL;
        nvalid = 0;
    }
    if (!m->cfg.reverse)
        return train_streams(m, train, ntrain, valid, nvalid, opt, log, nlog, err);
    int32_t *rt = reversed(train, ntrain, err), *rv = NULL;
    if (rt && valid && !(rv = reversed(valid, nvalid, err)))
        st = RNNKIT_ERR_NOMEM;
    else
        st = rt ? train_streams(m, rt, ntrain, rv, nvalid, opt, log, nlog, err) : RNNKIT_ERR_NOMEM;
    free(rt);
    free(rv);
    return st;
}

/* rnnkit_generator_train on checked streams in the model's reading order. */
static rnnkit_status train_streams(rnnkit_model *m, const int32_t *train, size_t ntrain, const int32_t *valid,
                                   size_t nvalid, const rnnkit_generator_options *opt, rnnkit_log_row **log,
                                   int *nlog, rnnkit_error *err)
{
    const int T = opt->seq_len, B = opt->train.batch;
    rnnkit_status st = RNNKIT_OK;
    gen_task g = {.m = m, .opt = opt, .train = train, .valid = valid, .nvalid = nvalid};
    g.seg = (ntrain - 1) / (size_t)B;
    g.S = (size_t)m->LD * (size_t)B * (size_t)m->cfg.hidden;
    const int64_t per_epoch = (int64_t)(g.seg / (size_t)T);
    const int64_t total = opt->steps > 0 ? opt->steps : per_epoch * (opt->epochs > 0 ? opt->epochs : 1);
    g.eval_every = opt->eval_every > 0 ? opt->eval_every : (per_epoch > 0 ? per_epoch : 1);
    g.hsave = malloc(g.S * sizeof(float));
    g.csave = malloc(g.S * sizeof(float));
    if ((g.smp.S = rnnkit_generator_softmax_samples(m, opt)) > 0) {
        g.smp.samples = malloc((size_t)g.smp.S * sizeof(int32_t));
        g.smp.logq = malloc((size_t)g.smp.S * sizeof(float));
        g.smp.work = malloc(rnnkit__sampled_work_floats((size_t)T * (size_t)B, g.smp.S, m->C) * sizeof(float));
    }
    if (!g.hsave || !g.csave || (g.smp.S && (!g.smp.samples || !g.smp.logq || !g.smp.work)))
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the streams' state");
    if (!st && !(st = rnnkit__model_reserve(m, T, B, err))) {
        zero_state(m, B);
        const rnnkit__task t = {
            .m = m, .opt = &opt->train, .ctx = &g, .total_steps = total,
            .eval_every = g.eval_every,
            .has_valid = valid != NULL, .data_fp = text_fp(train, ntrain, valid, nvalid),
            .diverged_hint = "--lr", .rng_seed = gen_rng_seed, .next_batch = gen_next_batch, .step = gen_step,
            .after_step = gen_after_step, .evaluate = gen_evaluate, .save = gen_save, .restore = gen_restore,
            .rewind = gen_rewind};
        st = rnnkit__train(&t, log, nlog, err);
    }
    free(g.hsave);
    free(g.csave);
    free(g.smp.samples);
    free(g.smp.logq);
    free(g.smp.work);
    return st;
}
