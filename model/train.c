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
 * function of the step alone; evaluations off the schedule change no state
 * a longer run would use. Float sums are accumulated in one fixed order.
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
    int final_current;      /* an off-schedule evaluation beat the best: the model is the current weights */
    rnnkit_log_row *rows;
    int nrows;
    int stopped;            /* patience ran out for the current network */
    int64_t fault_step;     /* testing hook: this step's loss is made NaN */
    /* timing (not checkpointed) */
    double t0, elapsed0, last_ckpt, tperiod;
    int64_t items_period0;  /* ck.tokens when the period's clock started */
} trainer;

static void keep_best(trainer *tr)
{
    memcpy(tr->best, tr->m->params.value, tr->m->params.count * sizeof(float));
}

static double elapsed(const trainer *tr) { return tr->elapsed0 + rnnkit__now() - tr->t0; }

/* Writes a checkpoint of where the run stands. */
static rnnkit_status checkpoint(trainer *tr, int final, rnnkit_error *err)
{
    rnnkit__ckpt *ck = &tr->ck;
    tr->t->save(tr->t->ctx, &tr->rng, ck);
    ck->rng = tr->rng;
    ck->elapsed = elapsed(tr);
    ck->finished = final;
    ck->log = tr->rows;
    ck->nlog = tr->nrows;
    ck->weights = tr->m->params.value;
    const float *model_w = tr->final_current || !ck->has_best ? tr->m->params.value : tr->best;
    rnnkit_status st = rnnkit__ckpt_write(tr->m, tr->opt->checkpoint_path, model_w, ck, 0, final, err);
    tr->last_ckpt = rnnkit__now();
    return st;
}

/* Reads the checkpoint to resume from and checks it against this run. */
static rnnkit_status resume(trainer *tr, rnnkit_error *err)
{
    const rnnkit__task *t = tr->t;
    const char *path = tr->opt->checkpoint_path;
    rnnkit__ckpt *ck = &tr->ck;
    const uint64_t fp = ck->data_fp;
    t->save(t->ctx, &tr->rng, ck);
    ck->weights = NULL; /* read into the block of the network the checkpoint is at */
    rnnkit_status st = rnnkit__ckpt_read(tr->m, path, ck, err);
    if (st)
        return st;
    tr->rows = ck->log; /* owned here from now on */
    tr->nrows = ck->nlog;
    ck->log = NULL;
    rnnkit__model_use_member(tr->m, ck->member);
    if (ck->seed != tr->opt->seed)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with seed %llu, not %llu",
                                path, (unsigned long long)ck->seed, (unsigned long long)tr->opt->seed);
    if (ck->batch_size != tr->opt->batch)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with batch %d, not %d", path,
                                ck->batch_size, tr->opt->batch);
    if (ck->data_fp != fp)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: the training or validation data differ from the checkpoint's; "
                                "resume with the same data", path);
    if ((st = t->restore(t->ctx, ck, path, err)))
        return st;
    ck->has_best = ck->has_best && t->has_valid;
    tr->rng = ck->rng;
    tr->elapsed0 = ck->elapsed;
    if (!ck->has_best)
        keep_best(tr);
    return RNNKIT_OK;
}

/* Sets up optimiser, buffers and counters; resumes or writes the first checkpoint. */
static rnnkit_status start(trainer *tr, const rnnkit__task *t, rnnkit_error *err)
{
    memset(tr, 0, sizeof *tr);
    tr->t = t;
    tr->m = t->m;
    tr->opt = t->opt;
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
    rnnkit__ckpt *ck = &tr->ck;
    ck->task = tr->m->cfg.task;
    ck->seed = opt->seed;
    ck->batch_size = opt->batch;
    ck->optim = &tr->optim;
    ck->best = tr->best;
    ck->data_fp = t->data_fp;
    ck->best_acc = -1.0;
    ck->best_loss = INFINITY;
    ck->epoch = 1;
    rnnkit_rng_seed(&tr->rng, t->rng_seed(opt->seed, 0));
    rnnkit__model_use_member(tr->m, 0);
    tr->m->training = 1; /* the inference table stays out of the validation passes */
    if (opt->resume)
        st = resume(tr, err);
    else {
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
    p->epochs = t->epochal ? (int)(t->total_steps / t->eval_every) : 0;
    p->batch = t->epochal ? ck->step - (int64_t)(ck->epoch - 1) * t->eval_every : ck->step;
    p->batches = t->epochal ? t->eval_every : t->total_steps;
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
        rnnkit_status st = t->evaluate(t->ctx, &row.valid_loss, &row.valid_acc, err);
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
    rnnkit__params_zero_grad(&m->params);
    double loss = 0.0, weight = 1.0;
    int64_t items = 0, correct = 0;
    if ((st = t->step(t->ctx, &tr->rng, &loss, &weight, &items, &correct, err)))
        return st;
    const double gnorm = rnnkit__clip_grad_norm(m->params.grad, m->params.count, opt->clip);
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
        tr->optim.lr = rnnkit__cosine_lr(opt->lr, ck->step, (double)t->total_steps);
    tr->optim.body_scale = ck->step <= (int64_t)opt->freeze_body * t->eval_every ? 0.0f
                           : opt->body_lr > 0                                      ? (float)opt->body_lr
                                                                                   : 1.0f;
    rnnkit__optim_step(&tr->optim, m->params.value, m->params.grad, m->pool);
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
    while (!tr->stopped && ck->step < t->total_steps) {
        if ((st = step(tr, err)))
            return st;
        int stop = opt->stop && *opt->stop;
        rnnkit_progress p = {.loss = ck->loss_sum / (double)ck->seen};
        if (report(tr, &p))
            stop = 1;
        const int last = ck->step == t->total_steps, scheduled = ck->step % t->eval_every == 0;
        if ((scheduled || last) && (st = evaluate(tr, scheduled, &stop, err)))
            return st;
        const int end = last || tr->stopped, fin = end && last_network;
        const int due = scheduled || end || stop ||
                        (opt->checkpoint_steps > 0 && ck->step % opt->checkpoint_steps == 0) ||
                        (opt->checkpoint_seconds > 0 && rnnkit__now() - tr->last_ckpt >= opt->checkpoint_seconds);
        if (due && opt->checkpoint_path && (st = checkpoint(tr, fin, err)))
            return st;
        if (stop && !fin)
            return rnnkit_error_set(err, RNNKIT_ERR_INTERRUPTED, "training interrupted at step %lld (epoch %d%s)%s",
                                    (long long)ck->step, ck->epoch - (t->epochal && scheduled),
                                    tr->m->members > 1 ? " of an ensemble network" : "",
                                    opt->checkpoint_path ? ", checkpoint written" : "");
    }
    if (!tr->final_current && ck->has_best)
        memcpy(tr->m->params.value, tr->best, tr->m->params.count * sizeof(float));
    return RNNKIT_OK;
}

/* The next network of an ensemble: a fresh run with its own seed and weights. */
static rnnkit_status next_network(trainer *tr, rnnkit_error *err)
{
    const rnnkit__task *t = tr->t;
    rnnkit__ckpt *ck = &tr->ck;
    const int next = ck->member + 1;
    rnnkit__model_use_member(tr->m, next);
    rnnkit__optim_reset(&tr->optim, (float)tr->opt->lr);
    rnnkit_rng_seed(&tr->rng, t->rng_seed(tr->opt->seed, next));
    keep_best(tr);
    ck->member = next;
    ck->best_acc = -1.0;
    ck->best_loss = INFINITY;
    ck->since_best = 0;
    ck->has_best = 0;
    ck->step = 0;
    ck->epoch = 1;
    ck->loss_sum = 0.0;
    ck->seen = ck->correct = ck->tokens = 0;
    tr->items_period0 = 0;
    tr->tperiod = rnnkit__now();
    tr->stopped = 0;
    tr->final_current = 0;
    t->rewind(t->ctx);
    /* network `next` starts here: a kill from now on resumes it, not the one before */
    return tr->opt->checkpoint_path ? checkpoint(tr, 0, err) : RNNKIT_OK;
}

rnnkit_status rnnkit__train(const rnnkit__task *t, rnnkit_log_row **log, int *nlog, rnnkit_error *err)
{
    if (log) {
        *log = NULL;
        *nlog = 0;
    }
    if (t->opt->resume && !t->opt->checkpoint_path)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "resume needs the checkpoint's path");
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
    rnnkit__optim_free(&tr.optim);
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
