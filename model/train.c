/*
 * model/train.c: the one training loop of every task (the contract is in
 * model/train_internal.h). For each network of the model (one, or the
 * members of an ensemble one after the other), steps 1..total_steps:
 * the task loads a batch and computes loss and gradients, the trainer clips
 * the gradient's global norm, guards against NaN/Inf, sets the learning
 * rate of the schedule, steps the optimiser, evaluates every eval_every
 * steps (keeping the best weights by the task's criterion, counting
 * patience), reports progress and writes checkpoints.
 *
 * Invariants that make a resumed run bit-identical to an uninterrupted one:
 * every random draw comes from the one rng (the task's shuffles and dropout
 * masks alike), in the same order; a checkpoint holds rng, the optimiser,
 * the running sums and the task's position exactly; the schedule is a
 * function of the step and the run's length alone; evaluations off the
 * schedule change no state a longer run would use. Float sums are
 * accumulated in one fixed order.
 *
 * A run from init_path (--init) starts from another file's checkpoint and
 * writes a new one. Its length counts on from the epochs that model had
 * done (epochs_before, kept in the checkpoint so that a resume counts the
 * same way). On that checkpoint's data it is exactly the resume of a copy
 * of the file; on other data the network carries on its weights, optimiser
 * moments and rng from the start of an epoch of them: the data's epochs
 * begin at the checkpoint's step and epoch (origin_step, origin_epoch), the
 * learning rate schedule starts over at that step (the cosine is drawn
 * from origin_step to the run's end), the best weights and patience begin
 * anew. With weight averaging (opt->ema) every evaluation, the best
 * weights and the model written are those of the average, which each
 * network begins at its first weights and a checkpoint holds (a carried-on
 * network carries its average on too). An ensemble's checkpoint holds the state
 * of its last network only, so each network of an ensemble carries on from
 * its final weights with a fresh optimiser, counters on from its last row
 * of the training log (begin_network: the rule that also starts a new
 * network of an ordinary ensemble at step 0).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/train_internal.h"

typedef struct trainer {
    const rnnkit__task *t;
    rnnkit_model *m;
    const rnnkit_train_options *opt;
    rnnkit__ckpt ck;        /* settings and counters; what a checkpoint writes */
    rnnkit__optim optim;
    rnnkit_rng rng;
    float *best;            /* [params] the best weights of the current network */
    float *avg, *hold;      /* [params] weight averaging (NULL when off): the average, the
                             * weights put aside while an evaluation uses it */
    int final_current;      /* an off-schedule evaluation beat the best: the model is the current weights */
    rnnkit_log_row *rows;
    int nrows;
    int64_t total;          /* the run's length in steps, counted from epoch 1 as if every epoch were of this data */
    int stopped;            /* patience ran out for the current network */
    int64_t fault_step;     /* testing hook: this step's loss is made NaN */
    /* timing (not checkpointed) */
    double t0, elapsed0, last_ckpt, tperiod;
    int64_t items_period0;  /* ck.tokens when the period's clock started */
} trainer;

/* The weights evaluations see and the model keeps: the average when on. */
static const float *judged(const trainer *tr) { return tr->avg ? tr->avg : tr->m->params.value; }

/* avg = d avg + (1 - d) w, element by element: one expression per element
 * on the caller's thread, so the same bits for any thread count. */
static void average_step(float *restrict avg, const float *restrict w, size_t n, float d)
{
    const float e = 1.0f - d;
    for (size_t i = 0; i < n; i++)
        avg[i] = d * avg[i] + e * w[i];
}

/* on: the model's weights become the average for an evaluation (the
 * training weights put aside); off: the training weights come back. */
static void use_average(trainer *tr, int on)
{
    const size_t n = tr->m->params.count * sizeof(float);
    if (on) {
        memcpy(tr->hold, tr->m->params.value, n);
        memcpy(tr->m->params.value, tr->avg, n);
    } else {
        memcpy(tr->m->params.value, tr->hold, n);
    }
    rnnkit__model_weights_changed(tr->m);
}

/* The average begins again at the current weights (a network's first). */
static void restart_average(trainer *tr)
{
    if (tr->avg)
        memcpy(tr->avg, tr->m->params.value, tr->m->params.count * sizeof(float));
}

static void keep_best(trainer *tr)
{
    memcpy(tr->best, judged(tr), tr->m->params.count * sizeof(float));
}

static double elapsed(const trainer *tr) { return tr->elapsed0 + rnnkit__now() - tr->t0; }

/* Writes a checkpoint of where the run stands (create: as a new file). */
static rnnkit_status checkpoint(trainer *tr, int create, int final, rnnkit_error *err)
{
    rnnkit__ckpt *ck = &tr->ck;
    tr->t->save(tr->t->ctx, &tr->rng, ck);
    ck->rng = tr->rng;
    ck->elapsed = elapsed(tr);
    ck->finished = final;
    ck->log = tr->rows;
    ck->nlog = tr->nrows;
    ck->weights = tr->m->params.value;
    const float *model_w = tr->final_current || !ck->has_best ? judged(tr) : tr->best;
    rnnkit_status st = rnnkit__ckpt_write(tr->m, tr->opt->checkpoint_path, model_w, ck, create, final, err);
    tr->last_ckpt = rnnkit__now();
    return st;
}

/* The last step of the current network. */
static int64_t end_step(const trainer *tr)
{
    return tr->ck.origin_step + tr->total - (int64_t)tr->ck.origin_epoch * tr->t->eval_every;
}

/* The best weights so far are the current ones; patience starts over. */
static void forget_best(trainer *tr)
{
    rnnkit__ckpt *ck = &tr->ck;
    ck->best_acc = -1.0;
    ck->best_loss = INFINITY;
    ck->since_best = 0;
    ck->has_best = 0;
    keep_best(tr);
    tr->stopped = 0;
    tr->final_current = 0;
}

/* Network ck.member starts: its own data-order stream, the best weights and
 * patience anew, from the start of an epoch. Its counters go on from its
 * last row in the log (a network carried on from init_path): an ordinary
 * ensemble's next network has none and starts at step 0, epoch 1. */
static void begin_network(trainer *tr)
{
    rnnkit__ckpt *ck = &tr->ck;
    int64_t s0 = 0;
    for (int i = 0; i < tr->nrows; i++)
        if (tr->rows[i].member == ck->member)
            s0 = tr->rows[i].step;
    uint64_t seed = tr->t->rng_seed(tr->opt->seed, ck->member);
    if (s0 > 0) /* not the stream it began with */
        seed = rnnkit__fnv1a64_more(seed, &s0, sizeof s0);
    rnnkit_rng_seed(&tr->rng, seed);
    ck->origin_step = ck->step = s0;
    ck->epoch = ck->origin_epoch + 1;
    restart_average(tr);
    forget_best(tr);
    ck->loss_sum = 0.0;
    ck->seen = ck->correct = ck->tokens = 0;
    tr->items_period0 = 0;
    tr->tperiod = rnnkit__now();
    tr->t->rewind(tr->t->ctx);
}

/* Reads the checkpoint of `path` (its weights into ck.weights, or the
 * network it is at when NULL; its log into tr->rows) and checks the run's
 * seed and batch against it. */
static rnnkit_status read_checkpoint(trainer *tr, const char *path, rnnkit_error *err)
{
    const rnnkit__task *t = tr->t;
    rnnkit__ckpt *ck = &tr->ck;
    float *weights = ck->weights;
    t->save(t->ctx, &tr->rng, ck); /* points ck's arrays at the task's buffers */
    ck->weights = weights;
    rnnkit_status st = rnnkit__ckpt_read(tr->m, path, ck, err);
    if (st)
        return st;
    tr->rows = ck->log; /* owned here from now on */
    tr->nrows = ck->nlog;
    ck->log = NULL;
    tr->elapsed0 = ck->elapsed;
    if (ck->seed != tr->opt->seed)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with seed %llu, not %llu",
                                path, (unsigned long long)ck->seed, (unsigned long long)tr->opt->seed);
    if (ck->batch_size != tr->opt->batch)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with batch %d, not %d", path,
                                ck->batch_size, tr->opt->batch);
    return RNNKIT_OK;
}

/* Takes back the task's position and the rng of a checkpoint just read, for
 * the same data. */
static rnnkit_status carry_on(trainer *tr, const char *path, rnnkit_error *err)
{
    const rnnkit__task *t = tr->t;
    rnnkit__ckpt *ck = &tr->ck;
    rnnkit_status st = t->restore(t->ctx, ck, path, err);
    if (st)
        return st;
    ck->has_best = ck->has_best && t->has_valid;
    tr->rng = ck->rng;
    if (!ck->has_best)
        keep_best(tr);
    return RNNKIT_OK;
}

/* Reads the checkpoint to resume from and checks it against this run. */
static rnnkit_status resume(trainer *tr, rnnkit_error *err)
{
    const char *path = tr->opt->checkpoint_path;
    rnnkit__ckpt *ck = &tr->ck;
    const uint64_t fp = ck->data_fp;
    ck->weights = NULL; /* read into the block of the network the checkpoint is at */
    rnnkit_status st = read_checkpoint(tr, path, err);
    if (st)
        return st;
    rnnkit__model_use_member(tr->m, ck->member);
    if (ck->data_fp != fp)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: the training or validation data differ from the checkpoint's; "
                                "resume with the same data", path);
    /* a run that began from init_path counts its length as it did */
    if (tr->opt->init_path)
        tr->total += (int64_t)ck->epochs_before * tr->t->eval_every;
    ck->ready = tr->m->ready; /* an ensemble carried on from init_path predicts with all its networks */
    if (ck->finished && tr->m->members > 1 && ck->step < end_step(tr))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: this ensemble finished training; more epochs would train only its last "
                                "member: carry it on with --init into a new file, or train a new one", path);
    return carry_on(tr, path, err);
}

/* The epochs the checkpoint's model has done: its own, or the most any
 * network of it logged. */
static int epochs_done(const trainer *tr)
{
    int e = tr->ck.epoch - 1;
    for (int i = 0; i < tr->nrows; i++)
        e = tr->rows[i].epoch > e ? tr->rows[i].epoch : e;
    return e;
}

/* Starts from the checkpoint in init_path (model/train_internal.h). */
static rnnkit_status init_from(trainer *tr, rnnkit_error *err)
{
    const rnnkit__task *t = tr->t;
    const char *path = tr->opt->init_path;
    rnnkit__ckpt *ck = &tr->ck;
    const uint64_t fp = ck->data_fp;
    const int ensemble = tr->m->members > 1;
    if (!t->epochal)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: only an epochal task carries on from a checkpoint", path);
    /* an ensemble's networks go on from their final weights: the
     * checkpoint's (of its last network) are read aside */
    ck->weights = ensemble ? tr->best : NULL;
    ck->best = ensemble ? NULL : tr->best;
    rnnkit_status st = read_checkpoint(tr, path, err);
    ck->best = tr->best;
    if (st)
        return st;
    ck->epochs_before = epochs_done(tr);
    tr->total += (int64_t)ck->epochs_before * t->eval_every;
    tr->elapsed0 = 0; /* the new file's time is its own run's */
    ck->ready = tr->m->members;
    if (ensemble) {
        if (!ck->finished)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                    "%s: the ensemble is still in training (network %d of %d); finish it with "
                                    "--resume first", path, ck->member + 1, tr->m->members);
        rnnkit__optim_reset(&tr->optim, (float)tr->opt->lr);
        ck->member = 0;
        ck->origin_epoch = ck->epochs_before;
        ck->data_fp = fp;
        rnnkit__model_use_member(tr->m, 0);
        begin_network(tr);
        return RNNKIT_OK;
    }
    rnnkit__model_use_member(tr->m, 0);
    if (ck->data_fp == fp) /* the same data: what --resume of a copy does */
        return carry_on(tr, path, err);
    /* other data: from the start of an epoch of them */
    ck->origin_step = ck->step;
    ck->origin_epoch = ck->epochs_before;
    ck->epoch = ck->origin_epoch + 1;
    ck->data_fp = fp;
    ck->loss_sum = 0.0;
    ck->seen = ck->correct = ck->tokens = 0;
    tr->rng = ck->rng;
    tr->optim.lr = (float)tr->opt->lr; /* the schedule starts over (a plateau's decays were the old data's) */
    forget_best(tr);
    t->rewind(t->ctx);
    return RNNKIT_OK;
}

/* Sets up optimiser, buffers and counters; resumes, or writes the first checkpoint. */
static rnnkit_status start(trainer *tr, const rnnkit__task *t, rnnkit_error *err)
{
    memset(tr, 0, sizeof *tr);
    tr->t = t;
    tr->m = t->m;
    tr->opt = t->opt;
    tr->total = t->total_steps;
    tr->fault_step = rnnkit__fault_nan_step();
    const rnnkit_train_options *opt = t->opt;
    rnnkit_status st = rnnkit__optim_init(&tr->optim, opt->optimizer, (float)opt->lr, tr->m->params.count, err);
    if (st)
        return st;
    if (opt->weight_decay > 0)
        tr->optim.weight_decay = (float)opt->weight_decay;
    /* the body: every tensor before the output layer's */
    tr->optim.body_n = tr->m->fc.off_w < tr->m->fc.off_b ? tr->m->fc.off_w : tr->m->fc.off_b;
    if (!(tr->best = malloc(tr->m->params.count * sizeof(float))))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the best weights");
    if (opt->ema != 0.0) {
        if (!(opt->ema > 0.0 && opt->ema < 1.0))
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "weight averaging: the decay %g is outside (0, 1)", opt->ema);
        tr->avg = malloc(tr->m->params.count * sizeof(float));
        tr->hold = malloc(tr->m->params.count * sizeof(float));
        if (!tr->avg || !tr->hold)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the weight average (%zu bytes)",
                                    2 * tr->m->params.count * sizeof(float));
        restart_average(tr);
    }
    if (opt->lazy_embedding) {
        if (tr->m->emb.V < 2)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "lazy embedding updates need an embedding; "
                                    "this model (a forecaster) has none");
        if ((st = rnnkit__embedding_track(&tr->m->emb, 1, err)))
            return st;
        rnnkit__params_zero_grad(&tr->m->params); /* no row listed: the table's gradient is zero */
    }
    rnnkit__ckpt *ck = &tr->ck;
    ck->task = tr->m->cfg.task;
    ck->seed = opt->seed;
    ck->batch_size = opt->batch;
    ck->optim = &tr->optim;
    ck->best = tr->best;
    ck->ema = opt->ema;
    ck->avg = tr->avg;
    ck->data_fp = t->data_fp;
    ck->best_acc = -1.0;
    ck->best_loss = INFINITY;
    ck->epoch = 1;
    rnnkit_rng_seed(&tr->rng, t->rng_seed(opt->seed, 0));
    rnnkit__model_use_member(tr->m, 0);
    tr->m->training = 1; /* the inference table stays out of the validation passes */
    if (opt->resume) {
        st = resume(tr, err);
    } else if (opt->init_path) {
        st = init_from(tr, err);
    } else {
        keep_best(tr);
        if (opt->checkpoint_path) {
            t->save(t->ctx, &tr->rng, ck);
            ck->rng = tr->rng;
            ck->weights = tr->m->params.value;
            st = rnnkit__ckpt_write(tr->m, opt->checkpoint_path, tr->m->params.value, ck, 1, 0, err);
        }
    }
    tr->t0 = tr->last_ckpt = tr->tperiod = rnnkit__now();
    tr->items_period0 = ck->tokens;
    tr->stopped = opt->patience > 0 && ck->since_best >= opt->patience && t->has_valid;
    if (!st && opt->init_path && !opt->resume) /* the new file, finished if there is nothing to do */
        st = checkpoint(tr, 1, tr->m->members == 1 && (tr->stopped || ck->step >= end_step(tr)), err);
    return st;
}

static int report(trainer *tr, rnnkit_progress *p)
{
    if (!tr->opt->progress)
        return 0;
    const rnnkit__task *t = tr->t;
    const rnnkit__ckpt *ck = &tr->ck;
    const double tn = rnnkit__now();
    p->member = ck->member;
    p->members = tr->m->members;
    p->epoch = ck->epoch;
    p->epochs = t->epochal ? (int)(tr->total / t->eval_every) : 0;
    p->epochs_before = t->epochal ? ck->epochs_before : 0;
    p->batch = t->epochal ? ck->step - ck->origin_step - (int64_t)(ck->epoch - 1 - ck->origin_epoch) * t->eval_every
                          : ck->step;
    p->batches = t->epochal ? t->eval_every : tr->total;
    p->step = ck->step;
    p->items_per_s = tn > tr->tperiod ? (double)(ck->tokens - tr->items_period0) / (tn - tr->tperiod) : 0;
    p->elapsed = tr->elapsed0 + tn - tr->t0;
    return tr->opt->progress(tr->opt->progress_ctx, p);
}

/* An evaluation after step ck.step (scheduled or the run's last); returns
 * nonzero in *stop when the progress callback asks to stop. */
static rnnkit_status evaluate(trainer *tr, int scheduled, int *stop, rnnkit_error *err)
{
    const rnnkit__task *t = tr->t;
    rnnkit__ckpt *ck = &tr->ck;
    const rnnkit_train_options *opt = tr->opt;
    rnnkit_log_row row = {.member = ck->member, .epoch = ck->epoch, .step = ck->step,
                          .train_loss = ck->loss_sum / (double)ck->seen,
                          .train_acc = t->reports_accuracy ? (double)ck->correct / ck->seen : NAN,
                          .valid_loss = NAN, .valid_acc = NAN, .lr = tr->optim.lr};
    int improved = 0;
    if (t->has_valid) {
        if (tr->avg)
            use_average(tr, 1);
        rnnkit_status st = t->evaluate(t->ctx, &row.valid_loss, &row.valid_acc, err);
        if (tr->avg) /* keep_best below copies the average itself */
            use_average(tr, 0);
        if (st)
            return st;
        int better = t->select_by_accuracy ? row.valid_acc > ck->best_acc ||
                                                 (row.valid_acc == ck->best_acc && row.valid_loss < ck->best_loss)
                                           : row.valid_loss < ck->best_loss;
        if (better) {
            improved = 1;
            if (scheduled) {
                ck->best_acc = row.valid_acc;
                ck->best_loss = row.valid_loss;
                keep_best(tr);
                ck->has_best = 1;
                ck->since_best = 0;
            } else {
                tr->final_current = 1;
            }
        } else if (scheduled) {
            ck->since_best++;
            if (opt->lr_schedule == RNNKIT_LR_PLATEAU && opt->lr_decay > 0 && opt->lr_decay < 1)
                tr->optim.lr *= (float)opt->lr_decay;
        }
    }
    const double tn = rnnkit__now();
    row.seconds = t->epochal ? tn - tr->tperiod : tr->elapsed0 + tn - tr->t0;
    rnnkit_status st = rnnkit__push_log(&tr->rows, &tr->nrows, &row, err);
    if (st)
        return st;
    rnnkit_progress p = {.loss = row.train_loss, .end_of_epoch = t->epochal, .end_of_eval = !t->epochal,
                         .row = row, .improved = improved};
    if (report(tr, &p))
        *stop = 1;
    if (scheduled) {
        ck->loss_sum = 0.0;
        ck->seen = ck->correct = ck->tokens = 0;
        tr->items_period0 = 0;
        tr->tperiod = rnnkit__now();
        if (opt->patience > 0 && ck->since_best >= opt->patience && t->has_valid)
            tr->stopped = 1;
        if (t->epochal)
            ck->epoch++;
    }
    return RNNKIT_OK;
}

/* The embedding rows given a gradient (tracked by the embedding), as a
 * lazy step's selection. */
static rnnkit__rows *lazy_rows(rnnkit_model *m, rnnkit__rows *r)
{
    r->off = m->emb.off;
    r->len = (size_t)m->emb.E;
    r->count = (size_t)m->emb.V;
    r->rows = rnnkit__embedding_rows(&m->emb, &r->n);
    return r;
}

/* One optimiser step: batch, forward/backward, clip, guard, schedule, update. */
static rnnkit_status step(trainer *tr, rnnkit_error *err)
{
    const rnnkit__task *t = tr->t;
    rnnkit__ckpt *ck = &tr->ck;
    rnnkit_model *m = tr->m;
    const rnnkit_train_options *opt = tr->opt;
    rnnkit_status st = t->next_batch(t->ctx, &tr->rng, &ck->epoch, err);
    if (st)
        return st;
    /* Lazy: the embedding's gradient is nonzero only on the rows the last
     * step listed; zero those and everything outside the table. */
    rnnkit__rows lazy, *rows = opt->lazy_embedding ? lazy_rows(m, &lazy) : NULL;
    rnnkit__grad_zero_rows(m->params.grad, m->params.count, rows);
    if (rows)
        rnnkit__embedding_rows_forget(&m->emb);
    double loss = 0.0, weight = 1.0;
    int64_t items = 0, correct = 0;
    if ((st = t->step(t->ctx, &tr->rng, &loss, &weight, &items, &correct, err)))
        return st;
    if (rows)
        lazy_rows(m, &lazy); /* this step's */
    const double gnorm = rnnkit__clip_grad_norm_rows(m->params.grad, m->params.count, rows, opt->clip);
    ck->step++;
    if (tr->fault_step == ck->step)
        loss = NAN;
    if (!isfinite(loss) || !isfinite(gnorm))
        return rnnkit_error_set(err, RNNKIT_ERR_NUMERIC,
                                "step %lld (epoch %d): loss %g, gradient norm %g: "
                                "training diverged; try a lower %s%s",
                                (long long)ck->step, ck->epoch, loss, gnorm, t->diverged_hint,
                                opt->checkpoint_path ? "; the last checkpoint is intact" : "");
    if (opt->lr_schedule == RNNKIT_LR_COSINE)
        tr->optim.lr = rnnkit__cosine_lr(opt->lr, ck->step - ck->origin_step,
                                         (double)(end_step(tr) - ck->origin_step));
    tr->optim.body_scale = ck->step - ck->origin_step <= (int64_t)opt->freeze_body * t->eval_every ? 0.0f
                           : opt->body_lr > 0 ? (float)opt->body_lr
                                              : 1.0f;
    rnnkit__optim_step_rows(&tr->optim, m->params.value, m->params.grad, rows, m->pool);
    if (tr->avg)
        average_step(tr->avg, m->params.value, m->params.count, (float)opt->ema);
    if (t->after_step)
        t->after_step(t->ctx);
    ck->loss_sum += loss * weight;
    ck->seen += (int64_t)weight;
    ck->correct += correct;
    ck->tokens += items;
    return RNNKIT_OK;
}

/* Trains the current network from ck.step to total_steps. */
static rnnkit_status run_network(trainer *tr, int last_network, rnnkit_error *err)
{
    const rnnkit__task *t = tr->t;
    rnnkit__ckpt *ck = &tr->ck;
    const rnnkit_train_options *opt = tr->opt;
    rnnkit_status st = RNNKIT_OK;
    tr->m->ready = ck->member + 1;
    const int64_t end = end_step(tr);
    while (!tr->stopped && ck->step < end) {
        if ((st = step(tr, err)))
            return st;
        int stop = opt->stop && *opt->stop;
        rnnkit_progress p = {.loss = ck->loss_sum / (double)ck->seen};
        if (report(tr, &p))
            stop = 1;
        const int last = ck->step == end, scheduled = (ck->step - ck->origin_step) % t->eval_every == 0;
        if ((scheduled || last) && (st = evaluate(tr, scheduled, &stop, err)))
            return st;
        const int ends = last || tr->stopped, fin = ends && last_network;
        const int due = scheduled || ends || stop ||
                        (opt->checkpoint_steps > 0 && ck->step % opt->checkpoint_steps == 0) ||
                        (opt->checkpoint_seconds > 0 && rnnkit__now() - tr->last_ckpt >= opt->checkpoint_seconds);
        if (due && opt->checkpoint_path && (st = checkpoint(tr, 0, fin, err)))
            return st;
        if (stop && !fin)
            return rnnkit_error_set(err, RNNKIT_ERR_INTERRUPTED, "training interrupted at step %lld (epoch %d%s)%s",
                                    (long long)ck->step, ck->epoch - (t->epochal && scheduled),
                                    tr->m->members > 1 ? " of an ensemble network" : "",
                                    opt->checkpoint_path ? ", checkpoint written" : "");
    }
    if (!tr->final_current && ck->has_best)
        memcpy(tr->m->params.value, tr->best, tr->m->params.count * sizeof(float));
    else if (tr->avg)
        memcpy(tr->m->params.value, tr->avg, tr->m->params.count * sizeof(float));
    return RNNKIT_OK;
}

/* The next network of an ensemble: a fresh optimiser on its own weights. */
static rnnkit_status next_network(trainer *tr, rnnkit_error *err)
{
    rnnkit__ckpt *ck = &tr->ck;
    ck->member++;
    rnnkit__model_use_member(tr->m, ck->member);
    rnnkit__optim_reset(&tr->optim, (float)tr->opt->lr);
    begin_network(tr);
    /* network `member` starts here: a kill from now on resumes it, not the one before */
    return tr->opt->checkpoint_path ? checkpoint(tr, 0, 0, err) : RNNKIT_OK;
}

rnnkit_status rnnkit__train(const rnnkit__task *t, rnnkit_log_row **log, int *nlog, rnnkit_error *err)
{
    if (log) {
        *log = NULL;
        *nlog = 0;
    }
    if ((t->opt->resume || t->opt->init_path) && !t->opt->checkpoint_path)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s needs the checkpoint's path",
                                t->opt->resume ? "resume" : "training from init_path");
    if (t->m->quantized) /* loaded from an int8 file: the file it came from, as far as known */
        return rnnkit__int8file_refuse_training(t->opt->init_path ? t->opt->init_path
                                                : t->opt->resume   ? t->opt->checkpoint_path
                                                                   : NULL,
                                                err);
    trainer tr;
    rnnkit_status st = start(&tr, t, err);
    while (!st) {
        const int last_network = tr.ck.member == tr.m->members - 1;
        if ((st = run_network(&tr, last_network, err)) || last_network)
            break;
        st = next_network(&tr, err);
    }
    if (!st)
        tr.m->ready = tr.m->members;
    if (log && !st) {
        *log = tr.rows;
        *nlog = tr.nrows;
    } else {
        free(tr.rows);
    }
    free(tr.best);
    free(tr.avg);
    free(tr.hold);
    rnnkit__optim_free(&tr.optim);
    rnnkit__embedding_track(&tr.m->emb, 0, NULL);
    tr.m->training = 0;
    rnnkit__model_use_member(tr.m, 0);
    rnnkit__model_weights_changed(tr.m);
    return st;
}

rnnkit_status rnnkit__push_log(rnnkit_log_row **log, int *nlog, const rnnkit_log_row *row, rnnkit_error *err)
{
    rnnkit_log_row *l = realloc(*log, (size_t)(*nlog + 1) * sizeof *l);
    if (!l)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the training log");
    l[*nlog] = *row;
    *log = l;
    (*nlog)++;
    return RNNKIT_OK;
}

double rnnkit__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
