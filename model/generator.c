/*
 * model/generator.c: the character-level generator: truncated
 * back-propagation through time over B contiguous streams with the state
 * carried from one batch to the next (as char-rnn does), evaluation in nats
 * per token, and sampling one token at a time.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"

/*
 * Forward (and, when train, backward) of one chunk: inputs ids [T][B] and
 * targets [T*B] already in the workspace, initial state in m->h0/c0, final
 * state left in m->hn/cn. Returns the mean loss over the T*B predictions.
 */
static rnnkit_status gen_chunk(rnnkit_model *m, int T, int B, int train, rnnkit_rng *rng,
                               double *loss, rnnkit_error *err)
{
    const size_t TB = (size_t)T * (size_t)B, C = (size_t)m->C;
    const int lstm = m->cfg.cell == RNNKIT_CELL_LSTM;
    rnnkit_status st = rnnkit_embedding_forward(&m->emb, m->ids, TB, m->x, err);
    if (st)
        return st;
    if (train && m->cfg.embed_dropout > 0.0f)
        rnnkit_dropout_forward(TB * (size_t)m->cfg.embed, m->cfg.embed_dropout, rng, m->x, m->xmask);
    const float *y = NULL;
    st = rnnkit_rnn_forward(m->rnn, T, B, m->x, NULL, m->h0, lstm ? m->c0 : NULL, train, rng, &y,
                            m->hn, lstm ? m->cn : NULL, err);
    if (st)
        return st;
    memcpy(m->feat, y, TB * C * sizeof(float));
    if (train && m->cfg.dropout > 0.0f)
        rnnkit_dropout_forward(TB * C, m->cfg.dropout, rng, m->feat, m->featmask);
    rnnkit_dense_forward(&m->fc, TB, m->feat, m->logits);
    *loss = rnnkit_softmax_xent(TB, m->K, m->logits, m->targets, train ? m->dlogits : NULL);
    if (!train)
        return RNNKIT_OK;
    rnnkit_dense_backward(&m->fc, TB, m->feat, m->dlogits, m->dy);
    if (m->cfg.dropout > 0.0f)
        rnnkit_dropout_backward(TB * C, m->featmask, m->dy);
    if ((st = rnnkit_rnn_backward(m->rnn, m->dy, NULL, NULL, m->dx, NULL, NULL, err)))
        return st;
    if (m->cfg.embed_dropout > 0.0f)
        rnnkit_dropout_backward(TB * (size_t)m->cfg.embed, m->xmask, m->dx);
    rnnkit_embedding_backward(&m->emb, m->ids, TB, m->dx);
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

rnnkit_status rnnkit_generator_evaluate(rnnkit_model *m, const int32_t *ids, size_t n, double *loss,
                                        rnnkit_error *err)
{
    if (m->cfg.task != RNNKIT_TASK_GENERATE)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a classifier, not a generator");
    if (n < 2)
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "need at least 2 tokens to evaluate (got %zu)", n);
    rnnkit_status st = check_ids(m, ids, n, "evaluate", err);
    if (st)
        return st;
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
    zero_state(m, B);
    const int W = (int)(seg < (size_t)T ? seg : (size_t)T);
    if (B > 1 && W > 0) {
        for (int t = 0; t < W; t++)
            for (int b = 0; b < B; b++) {
                /* stream 0 reads tokens too (its state is reset below) */
                size_t i = b ? (size_t)b * seg - (size_t)W + (size_t)t : (size_t)t;
                m->ids[(size_t)t * B + b] = ids[i];
                m->targets[(size_t)t * B + b] = ids[i + 1];
            }
        double l;
        if ((st = gen_chunk(m, W, B, 0, NULL, &l, err)))
            return st;
        swap_state(m);
        const size_t H = (size_t)m->cfg.hidden;
        for (int k = 0; k < m->LD; k++) {
            memset(m->h0 + (size_t)k * B * H, 0, H * sizeof(float));
            memset(m->c0 + (size_t)k * B * H, 0, H * sizeof(float));
        }
    }
    double total = 0.0;
    size_t count = 0;
    for (size_t pos = 0; pos < seg;) {
        int t = (int)((seg - pos) < (size_t)T ? seg - pos : (size_t)T);
        load_chunk(m, ids, seg, pos, t, B);
        double l;
        if ((st = gen_chunk(m, t, B, 0, NULL, &l, err)))
            return st;
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
            double l;
            if ((st = gen_chunk(m, (int)w, 1, 0, NULL, &l, err)))
                return st;
            swap_state(m);
        }
        for (size_t pos = done; pos < n - 1;) {
            int t = (int)((n - 1 - pos) < (size_t)T ? n - 1 - pos : (size_t)T);
            load_chunk(m, ids + pos, 0, 0, t, 1);
            double l;
            if ((st = gen_chunk(m, t, 1, 0, NULL, &l, err)))
                return st;
            total += l * t;
            count += (size_t)t;
            swap_state(m);
            pos += (size_t)t;
        }
    }
    *loss = total / (double)count;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_generator_train(rnnkit_model *m, const int32_t *train, size_t ntrain,
                                     const int32_t *valid, size_t nvalid, const rnnkit_generator_options *opt,
                                     rnnkit_log_row **log, int *nlog, rnnkit_error *err)
{
    if (log) {
        *log = NULL;
        *nlog = 0;
    }
    if (m->cfg.task != RNNKIT_TASK_GENERATE)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a classifier, not a generator");
    const int T = opt->seq_len, B = opt->train.batch;
    if (T < 1 || B < 1 || T > 100000 || B > 65536 || !(opt->train.lr > 0))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "invalid training options (seq-len %d, batch %d, lr %g)", T, B,
                                opt->train.lr);
    if (opt->train.resume && !opt->train.checkpoint_path)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "resume needs the checkpoint's path");
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
    const int have_valid = valid && nvalid >= 2;
    const int64_t fault_nan_step = rnnkit__fault_nan_step();
    const size_t seg = (ntrain - 1) / (size_t)B;
    const int64_t per_epoch = (int64_t)(seg / (size_t)T);
    const int64_t total_steps = opt->steps > 0 ? opt->steps : per_epoch * (opt->epochs > 0 ? opt->epochs : 1);
    const int64_t eval_every = opt->eval_every > 0 ? opt->eval_every : (per_epoch > 0 ? per_epoch : 1);
    const char *ckpath = opt->train.checkpoint_path;

    rnnkit_optim optim;
    if ((st = rnnkit_optim_init(&optim, opt->train.optimizer, (float)opt->train.lr, m->params.count, err)))
        return st;
    if (opt->train.weight_decay > 0)
        optim.weight_decay = (float)opt->train.weight_decay;
    const size_t S = (size_t)m->LD * (size_t)B * (size_t)m->cfg.hidden;
    float *best = malloc(m->params.count * sizeof(float));
    /* 1: an off-schedule final evaluation beat the best (or there is no
     * validation): the last step's weights, still in place, are the model */
    int final_current = 0;
    float *hsave = malloc(S * sizeof(float)), *csave = malloc(S * sizeof(float));
    rnnkit_log_row *rows = NULL;
    int nrows = 0;
    if (!best || !hsave || !csave) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the best weights");
        goto done;
    }
    memcpy(best, m->params.value, m->params.count * sizeof(float));
    if ((st = rnnkit__model_reserve(m, T, B, err)))
        goto done;
    zero_state(m, B);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, opt->train.seed ^ 0x9e4e7a7e5ULL);
    rnnkit__ckpt ck;
    memset(&ck, 0, sizeof ck);
    ck.task = RNNKIT_TASK_GENERATE;
    ck.seed = opt->train.seed;
    ck.batch_size = B;
    ck.seq_len = T;
    ck.eval_every = eval_every;
    ck.optim = &optim;
    ck.weights = m->params.value;
    ck.best = best;
    ck.nstate = S;
    {
        uint64_t h = 0xcbf29ce484222325ULL, n = ntrain;
        h = rnnkit__fnv1a64_more(h, &n, sizeof n);
        h = rnnkit__fnv1a64_more(h, train, ntrain * sizeof *train);
        n = have_valid ? nvalid : 0;
        h = rnnkit__fnv1a64_more(h, &n, sizeof n);
        if (have_valid)
            h = rnnkit__fnv1a64_more(h, valid, nvalid * sizeof *valid);
        ck.data_fp = h;
    }
    double best_loss = INFINITY, loss_sum = 0.0, elapsed0 = 0.0;
    int64_t loss_n = 0, since_best = 0, tokens_since = 0, step0 = 0;
    size_t pos = 0;
    int epoch = 1, has_best = 0;
    if (opt->train.resume) {
        ck.h = m->h0;
        ck.c = m->c0;
        uint64_t fp = ck.data_fp;
        if ((st = rnnkit__ckpt_read(m, ckpath, &ck, err)))
            goto done;
        rows = ck.log;
        nrows = ck.nlog;
        if ((st = rnnkit__check_resume(&ck, opt->train.seed, B, T, ckpath, err)))
            goto done;
        if (ck.data_fp != fp) {
            st = rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                  "%s: the training or validation text differs from the checkpoint's; "
                                  "resume with the same text", ckpath);
            goto done;
        }
        if ((uint64_t)ck.pos > (uint64_t)seg) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint position %lld outside the streams",
                                  ckpath, (long long)ck.pos);
            goto done;
        }
        step0 = ck.step;
        pos = (size_t)ck.pos;
        epoch = ck.epoch;
        rng = ck.rng;
        best_loss = ck.best_loss;
        since_best = ck.since_best;
        has_best = ck.has_best;
        loss_sum = ck.loss_sum;
        loss_n = ck.seen;
        tokens_since = ck.tokens;
        elapsed0 = ck.elapsed;
        if (!has_best)
            memcpy(best, m->params.value, m->params.count * sizeof(float));
    } else if (ckpath) {
        ck.rng = rng;
        ck.h = m->h0;
        ck.c = m->c0;
        ck.best_loss = INFINITY;
        ck.epoch = 1;
        if ((st = rnnkit__ckpt_write(m, ckpath, m->params.value, &ck, 1, 0, err)))
            goto done;
    }
    const double t0 = rnnkit__now();
    double tlast = t0, last_ckpt = t0;
    int stopped = opt->train.patience > 0 && since_best >= opt->train.patience && have_valid;
    for (int64_t step = step0 + 1; !stopped && step <= total_steps; step++) {
        if (pos + (size_t)T > seg) { /* next pass over the text: fresh state */
            pos = 0;
            epoch++;
            zero_state(m, B);
        }
        load_chunk(m, train, seg, pos, T, B);
        pos += (size_t)T;
        double loss;
        rnnkit_params_zero_grad(&m->params);
        if ((st = gen_chunk(m, T, B, 1, &rng, &loss, err)))
            goto done;
        double gnorm = rnnkit_clip_grad_norm(m->params.grad, m->params.count, opt->train.clip);
        if (fault_nan_step == step)
            loss = NAN;
        if (!isfinite(loss) || !isfinite(gnorm)) {
            st = rnnkit_error_set(err, RNNKIT_ERR_NUMERIC,
                                  "step %lld: loss %g, gradient norm %g: training diverged; try a lower --lr%s",
                                  (long long)step, loss, gnorm, ckpath ? "; the last checkpoint is intact" : "");
            goto done;
        }
        if (opt->train.lr_schedule == RNNKIT_LR_COSINE)
            optim.lr = rnnkit__cosine_lr(opt->train.lr, step, (double)total_steps);
        rnnkit_optim_step(&optim, m->params.value, m->params.grad);
        swap_state(m); /* carry the state, cut the gradient (truncated BPTT) */
        loss_sum += loss;
        loss_n++;
        tokens_since += (int64_t)T * B;
        const int last = step == total_steps, scheduled = step % eval_every == 0;
        int stop = opt->train.stop && *opt->train.stop;
        if (opt->train.progress) {
            double tn = rnnkit__now();
            rnnkit_progress p = {.epoch = epoch, .epochs = 0, .batch = step, .batches = total_steps,
                                 .step = step, .loss = loss_sum / (double)loss_n,
                                 .items_per_s = tn > tlast ? (double)tokens_since / (tn - tlast) : 0,
                                 .elapsed = elapsed0 + tn - t0};
            if (opt->train.progress(opt->train.progress_ctx, &p))
                stop = 1;
        }
        if (scheduled || last) {
            /* An evaluation. Off the schedule (the last step of a run whose
             * length is not a multiple of eval_every) it is reported and may
             * give the final model, but changes nothing a longer run would
             * carry on with: that keeps a resumed run exact. */
            double tn = rnnkit__now();
            rnnkit_log_row row = {.epoch = epoch, .step = step, .train_loss = loss_sum / (double)loss_n,
                                  .train_acc = NAN, .valid_loss = NAN, .valid_acc = NAN,
                                  .seconds = elapsed0 + tn - t0, .lr = optim.lr};
            double ips = tn > tlast ? (double)tokens_since / (tn - tlast) : 0;
            int improved = 0;
            if (have_valid) {
                /* evaluation reuses the workspace and the state buffers: keep
                 * the training streams' state aside meanwhile */
                memcpy(hsave, m->h0, S * sizeof(float));
                memcpy(csave, m->c0, S * sizeof(float));
                st = rnnkit_generator_evaluate(m, valid, nvalid, &row.valid_loss, err);
                memcpy(m->h0, hsave, S * sizeof(float));
                memcpy(m->c0, csave, S * sizeof(float));
                if (st)
                    goto done;
                if (row.valid_loss < best_loss) {
                    improved = 1;
                    if (scheduled) {
                        best_loss = row.valid_loss;
                        memcpy(best, m->params.value, m->params.count * sizeof(float));
                        has_best = 1;
                        since_best = 0;
                    } else {
                        final_current = 1;
                    }
                } else if (scheduled) {
                    since_best++;
                    if (opt->train.lr_schedule == RNNKIT_LR_PLATEAU && opt->train.lr_decay > 0 && opt->train.lr_decay < 1)
                        optim.lr *= (float)opt->train.lr_decay;
                }
            } else if (scheduled) {
                memcpy(best, m->params.value, m->params.count * sizeof(float));
                has_best = 1;
            } else {
                final_current = 1;
            }
            if ((st = rnnkit__push_log(&rows, &nrows, &row, err)))
                goto done;
            if (opt->train.progress) {
                rnnkit_progress p = {.epoch = epoch, .batch = step, .batches = total_steps, .step = step,
                                     .loss = row.train_loss, .items_per_s = ips, .elapsed = elapsed0 + rnnkit__now() - t0,
                                     .end_of_eval = 1, .row = row, .improved = improved};
                if (opt->train.progress(opt->train.progress_ctx, &p))
                    stop = 1;
            }
            if (scheduled) {
                loss_sum = 0.0;
                loss_n = 0;
                tokens_since = 0;
                tlast = rnnkit__now();
                if (opt->train.patience > 0 && since_best >= opt->train.patience && have_valid)
                    stopped = 1;
            }
        }
        int fin = last || stopped;
        int due = fin || scheduled || stop || (opt->train.checkpoint_steps > 0 && step % opt->train.checkpoint_steps == 0) ||
                  (opt->train.checkpoint_seconds > 0 && rnnkit__now() - last_ckpt >= opt->train.checkpoint_seconds);
        if (due && ckpath) {
            ck.step = step;
            ck.epoch = epoch;
            ck.pos = (int64_t)pos;
            ck.rng = rng;
            ck.best_loss = best_loss;
            ck.since_best = since_best;
            ck.has_best = has_best;
            ck.loss_sum = loss_sum;
            ck.seen = loss_n;
            ck.tokens = tokens_since;
            ck.elapsed = elapsed0 + rnnkit__now() - t0;
            ck.finished = fin;
            ck.h = m->h0;
            ck.c = m->c0;
            ck.log = rows;
            ck.nlog = nrows;
            const float *model_w = final_current || !has_best ? m->params.value : best;
            if ((st = rnnkit__ckpt_write(m, ckpath, model_w, &ck, 0, fin, err)))
                goto done;
            last_ckpt = rnnkit__now();
        }
        if (stop && !fin) {
            st = rnnkit_error_set(err, RNNKIT_ERR_INTERRUPTED, "training interrupted at step %lld%s",
                                  (long long)step, ckpath ? ", checkpoint written" : "");
            goto done;
        }
    }
    if (!final_current && has_best)
        memcpy(m->params.value, best, m->params.count * sizeof(float));
done:
    if (log && !st) {
        *log = rows;
        *nlog = nrows;
    } else {
        free(rows);
    }
    free(best);
    free(hsave);
    free(csave);
    rnnkit_optim_free(&optim);
    return st;
}

/* ====================================================================== */
/* Sampling */

struct rnnkit_sampler {
    rnnkit_model *m;
    float *h, *c, *hn, *cn; /* [L][1][H] */
    float *probs;           /* [V] distribution of the next token */
    int32_t *order;         /* [V] scratch for top-k / top-p */
    int fed;
};

rnnkit_status rnnkit_sampler_new(rnnkit_model *m, rnnkit_sampler **out, rnnkit_error *err)
{
    *out = NULL;
    if (m->cfg.task != RNNKIT_TASK_GENERATE)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a classifier, not a generator");
    rnnkit_sampler *s = calloc(1, sizeof *s);
    size_t S = (size_t)m->LD * (size_t)m->cfg.hidden;
    if (s) {
        s->m = m;
        s->h = calloc(S, sizeof(float));
        s->c = calloc(S, sizeof(float));
        s->hn = calloc(S, sizeof(float));
        s->cn = calloc(S, sizeof(float));
        s->probs = calloc((size_t)m->V, sizeof(float));
        s->order = calloc((size_t)m->V, sizeof(int32_t));
    }
    if (!s || !s->h || !s->c || !s->hn || !s->cn || !s->probs || !s->order) {
        rnnkit_sampler_free(s);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the sampler");
    }
    rnnkit_status st = rnnkit__model_reserve(m, 1, 1, err);
    if (st) {
        rnnkit_sampler_free(s);
        return st;
    }
    *out = s;
    return RNNKIT_OK;
}

void rnnkit_sampler_free(rnnkit_sampler *s)
{
    if (!s)
        return;
    free(s->h);
    free(s->c);
    free(s->hn);
    free(s->cn);
    free(s->probs);
    free(s->order);
    free(s);
}

void rnnkit_sampler_reset(rnnkit_sampler *s)
{
    size_t S = (size_t)s->m->LD * (size_t)s->m->cfg.hidden;
    memset(s->h, 0, S * sizeof(float));
    memset(s->c, 0, S * sizeof(float));
    s->fed = 0;
}

rnnkit_status rnnkit_sampler_feed(rnnkit_sampler *s, int32_t id, rnnkit_error *err)
{
    rnnkit_model *m = s->m;
    const int lstm = m->cfg.cell == RNNKIT_CELL_LSTM;
    rnnkit_status st = rnnkit_embedding_forward(&m->emb, &id, 1, m->x, err);
    if (st)
        return st;
    const float *y = NULL;
    st = rnnkit_rnn_forward(m->rnn, 1, 1, m->x, NULL, s->h, lstm ? s->c : NULL, 0, NULL, &y, s->hn,
                            lstm ? s->cn : NULL, err);
    if (st)
        return st;
    float *t = s->h;
    s->h = s->hn;
    s->hn = t;
    t = s->c;
    s->c = s->cn;
    s->cn = t;
    rnnkit_dense_forward(&m->fc, 1, y, s->probs);
    s->fed = 1;
    return RNNKIT_OK;
}


const float *rnnkit_sampler_logits(const rnnkit_sampler *s)
{
    return s->probs;
}

int32_t rnnkit_sampler_draw(rnnkit_sampler *s, const rnnkit_sample_options *o, rnnkit_rng *rng)
{
    const int V = s->m->V;
    const float *z = s->probs; /* logits */
    /* Reserved ids are never produced. */
    int32_t best = 2;
    for (int v = 3; v < V; v++)
        if (z[v] > z[best])
            best = v;
    if (o->argmax || !s->fed)
        return best;
    float temp = o->temperature > 1e-4f ? o->temperature : 1e-4f;
    /* p_v proportional to exp((z_v - z_max)/T) over v >= 2 */
    int n = 0;
    double total = 0.0;
    float *p = s->m->logits; /* scratch of >= V floats (workspace rows*K) */
    for (int v = 2; v < V; v++) {
        p[v] = expf((z[v] - z[best]) / temp);
        s->order[n++] = v;
    }
    /* sort candidates by probability, descending (insertion into order by
     * simple selection when top-k/top-p is asked; V is small for characters) */
    int keep = n;
    if (o->top_k > 0 || (o->top_p > 0 && o->top_p < 1)) {
        /* shell sort on order by p descending */
        for (int gap = n / 2; gap > 0; gap /= 2)
            for (int i = gap; i < n; i++) {
                int32_t x = s->order[i];
                int j = i;
                while (j >= gap && (p[s->order[j - gap]] < p[x] ||
                                    (p[s->order[j - gap]] == p[x] && s->order[j - gap] > x))) {
                    s->order[j] = s->order[j - gap];
                    j -= gap;
                }
                s->order[j] = x;
            }
        if (o->top_k > 0 && o->top_k < keep)
            keep = o->top_k;
        if (o->top_p > 0 && o->top_p < 1) {
            double all = 0.0;
            for (int i = 0; i < keep; i++)
                all += p[s->order[i]];
            double acc = 0.0;
            for (int i = 0; i < keep; i++) {
                acc += p[s->order[i]];
                if (acc >= o->top_p * all) {
                    keep = i + 1;
                    break;
                }
            }
        }
    }
    for (int i = 0; i < keep; i++)
        total += p[s->order[i]];
    double u = (double)rnnkit_rng_uniform(rng) * total, acc = 0.0;
    for (int i = 0; i < keep; i++) {
        acc += p[s->order[i]];
        if (u < acc)
            return s->order[i];
    }
    return s->order[keep - 1];
}
