/*
 * model/modelfile.h: writing the model tables of a model file (configuration,
 * labels, vocabulary, tensors), for rnnkit_model_save and the checkpoints
 * (model/checkpoint.c), which write them in the same transaction as their
 * own tables; one row of the tensors table written or read with its
 * checks, for the int8 tensors of model/int8file.c (declared here too).
 * The schema is docs/model-format.md.
 */
#ifndef RNNKIT_MODEL_MODELFILE_H
#define RNNKIT_MODEL_MODELFILE_H

#include "model/modeldb.h"

/* "R" or "RxC": the shape column of tensor v. buf [cap], 64 bytes hold any. */
void rnnkit__modelfile_shape(const rnnkit__param_view *v, char *buf, size_t cap);

/* Inserts one row into the tensors table: name, dtype ("f32", "i8"), shape
 * text, the nbytes bytes at data and their checksum. */
rnnkit_status rnnkit__modelfile_put_tensor(sqlite3 *db, const char *path, const char *name, const char *dtype,
                                           const char *shape, const void *data, size_t nbytes, rnnkit_error *err);

/* Reads tensor `name` into dst [nbytes] after checking that it is there
 * (RNNKIT_ERR_CORRUPT), its dtype (RNNKIT_ERR_CORRUPT), its shape text
 * (RNNKIT_ERR_SHAPE), its size and its checksum (RNNKIT_ERR_CORRUPT); every
 * message names path and the tensor. The values are not checked. */
rnnkit_status rnnkit__modelfile_get_tensor(sqlite3 *db, const char *path, const char *name, const char *dtype,
                                           const char *shape, void *dst, size_t nbytes, rnnkit_error *err);

/* Writes the tensors of every member as f32 (`weights` [params.count]
 * stands for member m->cur, the others come from their blocks) into an
 * empty tensors table, and for an ensemble model_meta's members_ready =
 * ready. */
rnnkit_status rnnkit__modelfile_put_tensors(sqlite3 *db, const char *path, const rnnkit_model *m,
                                            const float *weights, int ready, rnnkit_error *err);

/* More rows for a new file, written in its transaction (may be NULL). */
typedef rnnkit_status (*rnnkit__modelfile_fill)(sqlite3 *db, const char *path, void *ctx, rnnkit_error *err);

/* rnnkit__modelfile_create's flags. WAL: the file is left in WAL journal
 * mode (a training run goes on writing it). INT8: the weight matrices as
 * int8 (rnnkit__int8file_put; weights is not read) and no training tables
 * (a prediction-only file). */
#define RNNKIT__MODELFILE_WAL 1
#define RNNKIT__MODELFILE_INT8 2

/* Writes a whole new model file at path atomically (core/atomic.h): schema,
 * configuration, labels, vocabulary, tensors as for put_tensors, then
 * fill(db, path, ctx), in one transaction. Stale "-wal"/"-shm" files of
 * path are removed before the rename. */
rnnkit_status rnnkit__modelfile_create(const char *path, const rnnkit_model *m, const float *weights, int ready,
                                       int flags, rnnkit__modelfile_fill fill, void *ctx, rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* int8 files (model/int8file.c) */

/* Writes model_meta's key quantized = int8 and every member's tensors:
 * each weight matrix W [R][C] as `name` (dtype i8, shape RxC) and
 * `name`_scale (f32, shape R), the vectors as f32. RNNKIT_ERR_NUMERIC
 * naming the tensor and row when one holds NaN or Inf. */
rnnkit_status rnnkit__int8file_put(sqlite3 *db, const char *path, const rnnkit_model *m, rnnkit_error *err);
/* Reads the key quantized: *int8 = 0 when absent, 1 for "int8";
 * RNNKIT_ERR_CORRUPT naming path for another value, or (task >= 0, the
 * file's rnnkit_task) for "int8" in a file that is not a classifier's. */
rnnkit_status rnnkit__int8file_key(sqlite3 *db, const char *path, int task, int *int8, rnnkit_error *err);
/* Reads matrix `name` of view v (its int8 values and scales, every check of
 * rnnkit__modelfile_get_tensor, then the values: no -128, each scale
 * finite, >= 0 and at most FLT_MAX / 127) and writes the dequantized
 * weights q * scale into dst [v->numel]. */
rnnkit_status rnnkit__int8file_get(sqlite3 *db, const char *path, const char *name, const rnnkit__param_view *v,
                                   float *dst, rnnkit_error *err);
/* After an int8 file's tensors are read into m: marks m prediction-only
 * and turns int8 prediction on (a failure is RNNKIT_ERR_CORRUPT naming
 * path). */
rnnkit_status rnnkit__int8file_adopt(rnnkit_model *m, const char *path, rnnkit_error *err);

#endif
