/*
 * model/train_internal.h: the one training loop (model/train.c) and what a
 * task hands it. A task (classifier, generator, and those to come) supplies
 * only what differs: its batches, its forward/backward step, its
 * evaluation, and the part of the checkpoint that is its position in the
 * data. The trainer owns everything else: the optimiser and its schedule,
 * gradient clipping, the NaN guard, evaluations and the best weights,
 * patience, ensemble members, the checkpoint cadence and stop requests,
 * resume checks, progress and the training log.
 *
 * Steps are numbered from 1 within each network. An evaluation is
 * "scheduled" every eval_every steps (counted from the step where the
 * epochs of the data at hand began: 0, unless a network carried on from
 * another run's checkpoint on other data, train_options.init_path): it may
 * keep the best weights, decay a plateau schedule, count towards patience,
 * and is followed by a checkpoint. After the last step of a run that is not a multiple of
 * eval_every one more evaluation runs "off schedule": it is logged and may
 * make the current weights the final model, but changes nothing a longer
 * run would carry on with, so that a resumed run stays exact.
 */
#ifndef RNNKIT_MODEL_TRAIN_INTERNAL_H
#define RNNKIT_MODEL_TRAIN_INTERNAL_H

#include "model/model_internal.h"

typedef struct rnnkit__task {
    rnnkit_model *m;
    const rnnkit_train_options *opt;
    void *ctx;                 /* the task's own state, passed to every hook */
    /* Optimiser steps of one network, >= 1: the run's length counted from
     * its first step. An epochal task's run from init_path adds as many
     * epochs to those the model had done (the trainer counts on). */
    int64_t total_steps;
    int64_t eval_every;        /* steps between scheduled evaluations, >= 1 */
    /* 1: each scheduled evaluation ends an epoch (the trainer counts epochs,
     * progress reports the batch within it, a log row's seconds are the
     * epoch's); 0: the task counts epochs itself (next_batch), progress
     * reports steps of the run, a log row's seconds are the run's so far. */
    int epochal;
    int has_valid;             /* evaluate() measures validation data */
    int select_by_accuracy;    /* best: higher accuracy, ties by lower loss; else lower loss */
    int reports_accuracy;      /* step() counts correct predictions */
    uint64_t data_fp;          /* fingerprint of the training and validation data */
    const char *diverged_hint; /* appended to the divergence message: "--lr or --clip" */

    /* The seed of network k's data-order and dropout stream. */
    uint64_t (*rng_seed)(uint64_t seed, int member);
    /* Loads the next batch into the workspace; may draw from rng (a new
     * epoch's shuffle) and advance *epoch (a new pass over a stream). */
    rnnkit_status (*next_batch)(void *ctx, rnnkit_rng *rng, int *epoch, rnnkit_error *err);
    /* Forward and backward of the loaded batch (gradients were zeroed):
     * its mean loss, the weight of that mean in the running loss, the
     * items it processed (for throughput), its correct predictions. */
    rnnkit_status (*step)(void *ctx, rnnkit_rng *rng, double *loss, double *weight, int64_t *items,
                          int64_t *correct, rnnkit_error *err);
    /* After the optimiser step (may be NULL). */
    void (*after_step)(void *ctx);
    /* Validation loss and accuracy (NaN when not measured). */
    rnnkit_status (*evaluate)(void *ctx, double *loss, double *acc, rnnkit_error *err);
    /* Fills the task's part of a checkpoint (settings, position, carried
     * state); called before each write and before the read of a resume
     * (to point ck's arrays at the task's buffers). rng: the trainer's now. */
    void (*save)(void *ctx, const rnnkit_rng *rng, rnnkit__ckpt *ck);
    /* After a checkpoint was read for a resume: checks the task's settings
     * against it and takes back its position. */
    rnnkit_status (*restore)(void *ctx, const rnnkit__ckpt *ck, const char *path, rnnkit_error *err);
    /* A network starts from the beginning of an epoch: a new one of an
     * ensemble, or one carried on from init_path (its data position
     * rewinds). */
    void (*rewind)(void *ctx);
} rnnkit__task;

/* Where an epochal task stands in its epoch (model/epochs.c): its
 * next_batch, save, restore and rewind hooks delegate to these. */
typedef struct rnnkit__epoch_cursor {
    size_t nb;              /* batches per epoch, >= 1 */
    size_t bi;              /* batches of the epoch done */
    int started;            /* this epoch's shuffle has been drawn */
    rnnkit_rng epoch_rng;   /* the rng as this epoch's shuffle began */
    /* Draws this epoch's order from rng (the task's data order). */
    rnnkit_status (*shuffle)(void *ctx, rnnkit_rng *rng, rnnkit_error *err);
    void *ctx;
} rnnkit__epoch_cursor;

/* The index (0-based, in this epoch's order) of the next batch; a new
 * epoch's shuffle first when one begins. */
rnnkit_status rnnkit__epoch_next(rnnkit__epoch_cursor *c, rnnkit_rng *rng, size_t *batch, rnnkit_error *err);
/* The cursor's part of a checkpoint: batch_index and epoch_rng. */
void rnnkit__epoch_save(const rnnkit__epoch_cursor *c, const rnnkit_rng *rng, rnnkit__ckpt *ck);
/* Back to a checkpoint's position (a batch index outside the epoch is
 * RNNKIT_ERR_CORRUPT naming path). */
rnnkit_status rnnkit__epoch_restore(rnnkit__epoch_cursor *c, const rnnkit__ckpt *ck, const char *path,
                                    rnnkit_error *err);
/* The next batch starts a new epoch (a new network of an ensemble). */
void rnnkit__epoch_rewind(rnnkit__epoch_cursor *c);

/* Trains t->m as the task says; the log as in rnnkit_classifier_train. */
rnnkit_status rnnkit__train(const rnnkit__task *t, rnnkit_log_row **log, int *nlog, rnnkit_error *err);

#endif
