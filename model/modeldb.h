/*
 * model/modeldb.h: the SQLite plumbing of model files, shared by the model
 * tables (model/modelfile.c, model/int8file.c) and the checkpoint tables
 * (model/checkpoint.c): opening a file as an rnnkit model, statements with
 * errors that name the file, key/value rows, and BLOBs (f32, or bytes) with
 * their FNV-1a 64 checksums. What the tables hold is docs/model-format.md.
 */
#ifndef RNNKIT_MODEL_MODELDB_H
#define RNNKIT_MODEL_MODELDB_H

#include <sqlite3.h>
#include <stddef.h>

#include "model/model_internal.h"

#define RNNKIT__MODEL_SCHEMA_VERSION 2 /* 2: checkpoint table, WAL during training */
#define RNNKIT__MODEL_APP_ID 0x524e4b4d /* "RNKM" */

/* RNNKIT_ERR_DB "path: what: SQLite's message". */
rnnkit_status rnnkit__db_error(rnnkit_error *err, sqlite3 *db, const char *path, const char *what);
/* Runs sql (several statements allowed); errors name path. err may be NULL. */
rnnkit_status rnnkit__db_exec(sqlite3 *db, const char *path, const char *sql, rnnkit_error *err);
/* Prepares `sql`, whose one %s is the name of `table` (a constant of the
 * library, never user text), into *s with `key` bound (static) to its
 * first parameter; on failure RNNKIT_ERR_DB naming path and `what` (the
 * sql, formatted, must fit 256 bytes). */
rnnkit_status rnnkit__db_prepare_on(sqlite3 *db, const char *path, const char *sql, const char *table,
                                    const char *key, const char *what, sqlite3_stmt **s, rnnkit_error *err);
/* INSERT OR REPLACE INTO table(key, value). */
rnnkit_status rnnkit__db_put_kv(sqlite3 *db, const char *path, const char *table, const char *key,
                                const char *value, rnnkit_error *err);
/* Binds nbytes bytes as a BLOB at parameter `first` and their checksum (16
 * hex digits) at first + 1, steps and resets s. rnnkit__db_put_blob: n
 * floats. */
rnnkit_status rnnkit__db_put_bytes(sqlite3 *db, const char *path, sqlite3_stmt *s, int first, const void *data,
                                   size_t nbytes, rnnkit_error *err);
rnnkit_status rnnkit__db_put_blob(sqlite3 *db, const char *path, sqlite3_stmt *s, int first, const float *data,
                                  size_t n, rnnkit_error *err);
/* Copies the BLOB of column col into dst [nbytes] after checking its size
 * and the checksum in column hcol: RNNKIT_ERR_CORRUPT naming the tensor
 * `what` otherwise. */
rnnkit_status rnnkit__db_read_bytes(sqlite3_stmt *s, int col, int hcol, const char *path, const char *what,
                                    void *dst, size_t nbytes, rnnkit_error *err);
/* RNNKIT_ERR_CORRUPT naming tensor `what` and the index when x [n] holds
 * NaN or Inf. */
rnnkit_status rnnkit__db_check_finite(const char *path, const char *what, const float *x, size_t n,
                                      rnnkit_error *err);
/* rnnkit__db_read_bytes of n floats into dst [n] (and, with check_finite,
 * rnnkit__db_check_finite). */
rnnkit_status rnnkit__db_read_blob(sqlite3_stmt *s, int col, int hcol, const char *path, const char *what,
                                   float *dst, size_t n, int check_finite, rnnkit_error *err);
/* 1 when table has a column of that name. */
int rnnkit__db_has_column(sqlite3 *db, const char *table, const char *column);
/* model_meta's value of key into out [cap]: 1 when present as text. */
int rnnkit__db_get_meta(sqlite3 *db, const char *key, char *out, size_t cap);
/* model_meta's value of key, whole, as a malloc'd string *out: 1 when
 * present as text, 0 when absent (*out NULL), -1 when out of memory. */
int rnnkit__db_get_meta_dup(sqlite3 *db, const char *key, char **out);
/* 1 when the file has a table of that name. */
int rnnkit__db_has_table(sqlite3 *db, const char *table);
/* Opens path read-only after checking it is an rnnkit model file of a
 * schema version this library reads (RNNKIT_ERR_IO, _FORMAT, _VERSION, _DB
 * naming path). The caller closes *out. */
rnnkit_status rnnkit__modeldb_open(const char *path, sqlite3 **out, rnnkit_error *err);
/* The stored name of member k's copy of a tensor: the name itself for
 * member 0 (a one-network file is as before ensembles), "member<k>.<name>"
 * for the others. Returns name or buf. */
const char *rnnkit__member_name(char *buf, size_t cap, int k, const char *name);

#endif
