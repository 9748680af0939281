/*
 * model/epochs.c: the position of an epochal task (classifier, forecaster)
 * in its epoch: batches done, whether this epoch's shuffle has been drawn,
 * and the rng the shuffle drew from, which is what a checkpoint needs to
 * take a run back to the middle of an epoch exactly (model/train_internal.h).
 *
 * Invariants: a new epoch begins (and the task's shuffle draws from the
 * trainer's rng) when the first batch is asked for and after the last one;
 * within an epoch a checkpoint holds the rng as the shuffle began and the
 * batches done; at an epoch boundary the rng of the moment and 0.
 */
#include "model/train_internal.h"

rnnkit_status rnnkit__epoch_next(rnnkit__epoch_cursor *c, rnnkit_rng *rng, size_t *batch, rnnkit_error *err)
{
    if (!c->started || c->bi == c->nb) {
        c->epoch_rng = *rng;
        c->bi = 0;
        rnnkit_status st = c->shuffle(c->ctx, rng, err);
        if (st)
            return st;
        c->started = 1;
    }
    *batch = c->bi++;
    return RNNKIT_OK;
}

void rnnkit__epoch_save(const rnnkit__epoch_cursor *c, const rnnkit_rng *rng, rnnkit__ckpt *ck)
{
    const int boundary = !c->started || c->bi == c->nb;
    ck->batch_index = boundary ? 0 : (int64_t)c->bi;
    ck->epoch_rng = boundary ? *rng : c->epoch_rng;
}

rnnkit_status rnnkit__epoch_restore(rnnkit__epoch_cursor *c, const rnnkit__ckpt *ck, const char *path,
                                    rnnkit_error *err)
{
    if ((uint64_t)ck->batch_index >= (uint64_t)c->nb)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint batch %lld outside the epoch's %zu", path,
                                (long long)ck->batch_index, c->nb);
    rnnkit__epoch_rewind(c);
    if (ck->batch_index > 0) { /* mid-epoch: redo the epoch's shuffle from its rng */
        rnnkit_rng r = ck->epoch_rng;
        rnnkit_status st = c->shuffle(c->ctx, &r, err);
        if (st)
            return st;
        c->epoch_rng = ck->epoch_rng;
        c->started = 1;
        c->bi = (size_t)ck->batch_index;
    }
    return RNNKIT_OK;
}

void rnnkit__epoch_rewind(rnnkit__epoch_cursor *c)
{
    c->started = 0;
    c->bi = 0;
}
