/*
 * model/modelfile.h: writing the model tables of a model file (configuration,
 * labels, vocabulary, tensors), for rnnkit_model_save and the checkpoints
 * (model/checkpoint.c), which write them in the same transaction as their
 * own tables. The schema is docs/model-format.md.
 */
#ifndef RNNKIT_MODEL_MODELFILE_H
#define RNNKIT_MODEL_MODELFILE_H

#include "model/modeldb.h"

/* Writes the tensors of every member (`weights` [params.count] stands for
 * member m->cur, the others come from their blocks) into an empty tensors
 * table, and for an ensemble model_meta's members_ready = ready. */
rnnkit_status rnnkit__modelfile_put_tensors(sqlite3 *db, const char *path, const rnnkit_model *m,
                                            const float *weights, int ready, rnnkit_error *err);

/* More rows for a new file, written in its transaction (may be NULL). */
typedef rnnkit_status (*rnnkit__modelfile_fill)(sqlite3 *db, const char *path, void *ctx, rnnkit_error *err);

/* Writes a whole new model file at path atomically (core/atomic.h): schema,
 * configuration, labels, vocabulary, tensors as for put_tensors, then
 * fill(db, path, ctx), in one transaction; wal: the file is left in WAL
 * journal mode (a training run goes on writing it). Stale "-wal"/"-shm"
 * files of path are removed before the rename. */
rnnkit_status rnnkit__modelfile_create(const char *path, const rnnkit_model *m, const float *weights, int ready,
                                       int wal, rnnkit__modelfile_fill fill, void *ctx, rnnkit_error *err);

#endif
