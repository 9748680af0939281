/*
 * model/checkpoint.c: the checkpoint inside a model file (what a training
 * run needs to carry on exactly: train_state keys, optimiser moments,
 * current and best weights, carried state, the training log) and reading
 * the training log back.
 *
 * The first checkpoint of a run writes a whole new file with the model
 * tables (model/modelfile.c) and the checkpoint tables in one transaction;
 * every later one replaces both in one transaction on the file in WAL mode,
 * so a kill at any moment leaves the previous checkpoint and readers may
 * open the file meanwhile. Every key and table: docs/model-format.md.
 * Reading verifies every checksum and bounds every counter; the keys of
 * continued training (origin_step, origin_epoch, epochs_before) read as 0
 * when absent (files from before it). An int8 model file (prediction only)
 * has no checkpoint: reading one is refused, saying so. The forecaster
 * keeps its place in an epoch as the classifier does (batch_index and the
 * epoch's rng); its scaler is in the model tables (model_meta).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config_keys.h"
#include "model/modelfile.h"

/* ---------------------------------------------------------------------- */
/* Writing */

static rnnkit_status write_log(sqlite3 *db, const char *path, const rnnkit_log_row *log, int nlog,
                               rnnkit_error *err)
{
    if (nlog <= 0)
        return RNNKIT_OK;
    sqlite3_stmt *s = NULL;
    /* files from before ensembles have no member column (they train one network) */
    const int with_member = rnnkit__db_has_column(db, "training_log", "member");
    if (sqlite3_prepare_v2(db, with_member ? "INSERT INTO training_log VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                           : "INSERT INTO training_log VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &s, NULL))
        return rnnkit__db_error(err, db, path, "writing the training log");
    for (int i = 0; i < nlog; i++) {
        const rnnkit_log_row *r = &log[i];
        double vals[6] = {r->train_loss, r->train_acc, r->valid_loss, r->valid_acc, r->seconds, r->lr};
        sqlite3_bind_int(s, 1, r->epoch);
        sqlite3_bind_int64(s, 2, r->step);
        for (int j = 0; j < 6; j++) {
            if (isfinite(vals[j]))
                sqlite3_bind_double(s, 3 + j, vals[j]);
            else
                sqlite3_bind_null(s, 3 + j);
        }
        if (with_member)
            sqlite3_bind_int(s, 9, r->member);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return rnnkit__db_error(err, db, path, "writing the training log");
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return RNNKIT_OK;
}

static rnnkit_status put_optim(sqlite3 *db, const char *path, const rnnkit__optim *o, rnnkit_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO optim_state(name, data, fnv1a64) VALUES(?, ?, ?)", -1, &s, NULL))
        return rnnkit__db_error(err, db, path, "writing optimiser state");
    sqlite3_bind_text(s, 1, "m", -1, SQLITE_STATIC);
    rnnkit_status st = rnnkit__db_put_blob(db, path, s, 2, o->m, o->n, err);
    if (!st && o->v) {
        sqlite3_bind_text(s, 1, "v", -1, SQLITE_STATIC);
        st = rnnkit__db_put_blob(db, path, s, 2, o->v, o->n, err);
    }
    sqlite3_finalize(s);
    if (st)
        return st;
    char buf[64];
    snprintf(buf, sizeof buf, "%" PRId64, o->step);
    return rnnkit__db_put_kv(db, path, "train_state", "optim_step", buf, err);
}

/* The counters and arrays of a checkpoint (train_state keys, checkpoint blobs). */
static rnnkit_status write_ckpt(sqlite3 *db, const char *path, const rnnkit_model *m,
                                const rnnkit__ckpt *ck, rnnkit_error *err)
{
    rnnkit_status st;
    if (ck->optim && ck->optim->m && ck->optim->n == m->params.count && (st = put_optim(db, path, ck->optim, err)))
        return st;
    struct {
        const char *k;
        char v[48];
    } kv[48];
    int n = 0;
#define KV(key, ...) (kv[n].k = key, snprintf(kv[n].v, sizeof kv[n].v, __VA_ARGS__), n++)
    KV("ckpt_version", "1");
    KV("task", "%s", rnnkit_task_name(ck->task));
    KV("step", "%" PRId64, ck->step);
    KV("epoch", "%d", ck->epoch);
    KV("member", "%d", ck->member);
    KV("origin_step", "%" PRId64, ck->origin_step);
    KV("origin_epoch", "%d", ck->origin_epoch);
    KV("epochs_before", "%d", ck->epochs_before);
    KV("batch_index", "%" PRId64, ck->batch_index);
    KV("seed", "%" PRIu64, ck->seed);
    static const char *rk[4] = {"rng0", "rng1", "rng2", "rng3"};
    static const char *ek[4] = {"epoch_rng0", "epoch_rng1", "epoch_rng2", "epoch_rng3"};
    for (int i = 0; i < 4; i++) {
        KV(rk[i], "%" PRIu64, ck->rng.s[i]);
        KV(ek[i], "%" PRIu64, ck->epoch_rng.s[i]);
    }
    KV("best_metric", "%.17g", ck->task == RNNKIT_TASK_CLASSIFY ? ck->best_acc : ck->best_loss);
    KV("best_acc", "%.17g", ck->best_acc);
    KV("best_loss", "%.17g", ck->best_loss);
    KV("since_best", "%" PRId64, ck->since_best);
    KV("loss_sum", "%.17g", ck->loss_sum);
    KV("seen", "%" PRId64, ck->seen);
    KV("correct", "%" PRId64, ck->correct);
    KV("pos", "%" PRId64, ck->pos);
    KV("tokens", "%" PRId64, ck->tokens);
    KV("elapsed", "%.17g", ck->elapsed);
    KV("finished", "%d", ck->finished);
    KV("batch_size", "%d", ck->batch_size);
    KV("seq_len", "%d", ck->seq_len);
    KV("maxlen", "%d", ck->maxlen);
    KV("keep_last", "%d", ck->keep_last);
    KV("eval_every", "%" PRId64, ck->eval_every);
    KV("data_fp", "%016" PRIx64, ck->data_fp);
    KV("has_best", "%d", ck->has_best);
    KV("nstate", "%zu", ck->nstate);
    if (ck->ema > 0)
        KV("ema", "%.17g", ck->ema);
    if (ck->optim) {
        KV("optim_kind", "%d", (int)ck->optim->kind);
        KV("optim_lr", "%.9g", (double)ck->optim->lr);
    }
#undef KV
    for (int i = 0; i < n; i++)
        if ((st = rnnkit__db_put_kv(db, path, "train_state", kv[i].k, kv[i].v, err)))
            return st;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO checkpoint(name, data, fnv1a64) VALUES(?, ?, ?)", -1, &s, NULL))
        return rnnkit__db_error(err, db, path, "writing the checkpoint");
    struct {
        const char *name;
        const float *data;
        size_t n;
    } blobs[5] = {{"weights", ck->weights, m->params.count},
                  {"best", ck->has_best ? ck->best : NULL, m->params.count},
                  {"h", ck->nstate ? ck->h : NULL, ck->nstate},
                  {"c", ck->nstate ? ck->c : NULL, ck->nstate},
                  {"average", ck->ema > 0 ? ck->avg : NULL, m->params.count}};
    st = RNNKIT_OK;
    for (int i = 0; i < 5 && !st; i++) {
        if (!blobs[i].data)
            continue;
        sqlite3_bind_text(s, 1, blobs[i].name, -1, SQLITE_STATIC);
        st = rnnkit__db_put_blob(db, path, s, 2, blobs[i].data, blobs[i].n, err);
    }
    sqlite3_finalize(s);
    if (st)
        return st;
    return write_log(db, path, ck->log, ck->nlog, err);
}

/* The networks predictions may use: those trained so far, or more. */
static int ckpt_ready(const rnnkit__ckpt *ck) { return ck->ready > ck->member + 1 ? ck->ready : ck->member + 1; }

typedef struct ckpt_ctx {
    const rnnkit_model *m;
    const rnnkit__ckpt *ck;
} ckpt_ctx;

static rnnkit_status fill_ckpt(sqlite3 *db, const char *path, void *ctx, rnnkit_error *err)
{
    const ckpt_ctx *c = ctx;
    return write_ckpt(db, path, c->m, c->ck, err);
}

/* One transaction replacing everything training changes in an existing file. */
static rnnkit_status replace_ckpt(sqlite3 *db, const char *path, const rnnkit_model *m, const float *weights,
                                  const rnnkit__ckpt *ck, rnnkit_error *err)
{
    rnnkit_status st;
    if ((st = rnnkit__db_exec(db, path, "BEGIN IMMEDIATE", err)))
        return st;
    if ((st = rnnkit__db_exec(db, path,
                              "CREATE TABLE IF NOT EXISTS checkpoint(name TEXT PRIMARY KEY, data BLOB NOT NULL,"
                              " fnv1a64 TEXT NOT NULL);"
                              "DELETE FROM tensors; DELETE FROM optim_state; DELETE FROM train_state;"
                              "DELETE FROM training_log; DELETE FROM checkpoint;",
                              err)) ||
        (st = rnnkit__modelfile_put_tensors(db, path, m, weights, ckpt_ready(ck), err)) ||
        (st = write_ckpt(db, path, m, ck, err)) || (st = rnnkit__db_exec(db, path, "COMMIT", err))) {
        rnnkit__db_exec(db, path, "ROLLBACK", NULL);
        return st;
    }
    return RNNKIT_OK;
}

rnnkit_status rnnkit__ckpt_write(const rnnkit_model *m, const char *path, const float *model_weights,
                                 const rnnkit__ckpt *ck, int create, int final, rnnkit_error *err)
{
    if (create) {
        ckpt_ctx ctx = {m, ck};
        return rnnkit__modelfile_create(path, m, model_weights, ckpt_ready(ck), final ? 0 : RNNKIT__MODELFILE_WAL,
                                        fill_ckpt, &ctx, err);
    }
    sqlite3 *db = NULL;
    rnnkit_status st = RNNKIT_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        st = rnnkit__db_error(err, db, path, "cannot open for the checkpoint");
        sqlite3_close(db);
        return st;
    }
    sqlite3_busy_timeout(db, 10000);
    if (!(st = rnnkit__db_exec(db, path, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err)))
        st = replace_ckpt(db, path, m, model_weights, ck, err);
    if (!st) {
        /* fold the log back into the file; a reader may hold it back (fine) */
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        if (final) /* a plain single file again, unless someone else has it open */
            sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    }
    if (sqlite3_close(db) != SQLITE_OK && !st)
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: closing failed", path);
    return st;
}

/* ---------------------------------------------------------------------- */
/* The training log */

/* Reads training_log rows of `member` (all with member < 0) in the order
 * they were written into a malloc'd array. Files from before ensembles have
 * no member column: their rows are member 0's. No table: no rows. */
static rnnkit_status read_log(sqlite3 *db, const char *path, int member, rnnkit_log_row **out, int *nout,
                              rnnkit_error *err)
{
    *out = NULL;
    *nout = 0;
    if (!rnnkit__db_has_column(db, "training_log", "epoch"))
        return RNNKIT_OK;
    const int with_member = rnnkit__db_has_column(db, "training_log", "member");
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT epoch, step, train_loss, train_acc, valid_loss, valid_acc, seconds, lr, %s FROM training_log%s"
             " ORDER BY rowid",
             with_member ? "coalesce(member, 0)" : "0",
             member < 0 ? "" : with_member ? " WHERE coalesce(member, 0) = ?" : " WHERE 0 = ?");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return rnnkit__db_error(err, db, path, "reading the training log");
    if (member >= 0)
        sqlite3_bind_int(s, 1, member);
    rnnkit_status st = RNNKIT_OK;
    rnnkit_log_row *log = NULL;
    int n = 0, cap = 0, rc = SQLITE_DONE;
    while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            rnnkit_log_row *g = cap > 1 << 24 ? NULL : realloc(log, (size_t)cap * sizeof *g);
            if (!g) {
                st = cap > 1 << 24 ? rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: training log is absurdly long", path)
                                   : rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory reading the training log", path);
                break;
            }
            log = g;
        }
        rnnkit_log_row *r = &log[n++];
        r->epoch = sqlite3_column_int(s, 0);
        r->step = sqlite3_column_int64(s, 1);
        double *f[6] = {&r->train_loss, &r->train_acc, &r->valid_loss, &r->valid_acc, &r->seconds, &r->lr};
        for (int j = 0; j < 6; j++)
            *f[j] = sqlite3_column_type(s, 2 + j) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 2 + j);
        r->member = sqlite3_column_int(s, 8);
    }
    if (!st && rc != SQLITE_DONE)
        st = rnnkit__db_error(err, db, path, "reading the training log");
    sqlite3_finalize(s);
    if (st) {
        free(log);
        return st;
    }
    *out = log;
    *nout = n;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_model_read_log(const char *path, int member, rnnkit_log_row **rows, int *n, rnnkit_error *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3 *db = NULL;
    rnnkit_status st = rnnkit__modeldb_open(path, &db, err);
    if (!st)
        st = read_log(db, path, member, rows, n, err);
    sqlite3_close(db);
    return st;
}

/* ---------------------------------------------------------------------- */
/* Reading a checkpoint */

typedef struct kv_table {
    char (*key)[32];
    char (*val)[48];
    int n;
} kv_table;

static void kv_free(kv_table *t)
{
    free(t->key);
    free(t->val);
}

static rnnkit_status kv_read(sqlite3 *db, const char *path, kv_table *t, rnnkit_error *err)
{
    memset(t, 0, sizeof *t);
    int int8 = 0; /* a prediction-only file (model/int8file.c): no checkpoint to train from */
    rnnkit_status st = rnnkit__int8file_key(db, path, -1, &int8, err);
    if (st || int8)
        return st ? st : rnnkit__int8file_refuse_training(path, err);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM train_state LIMIT 256", -1, &s, NULL) != SQLITE_OK)
        return rnnkit__db_error(err, db, path, "reading the training state");
    t->key = calloc(256, sizeof *t->key);
    t->val = calloc(256, sizeof *t->val);
    if (!t->key || !t->val) {
        sqlite3_finalize(s);
        kv_free(t);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_text(s, 0), *v = sqlite3_column_text(s, 1);
        if (!k || !v)
            continue;
        snprintf(t->key[t->n], sizeof t->key[0], "%s", (const char *)k);
        snprintf(t->val[t->n], sizeof t->val[0], "%s", (const char *)v);
        t->n++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        kv_free(t);
        return rnnkit__db_error(err, db, path, "reading the training state");
    }
    return RNNKIT_OK;
}

static const char *kv_get(const kv_table *t, const char *key)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->key[i], key))
            return t->val[i];
    return NULL;
}

/* Parses key as a signed integer in [lo, hi] (or hex when base 16). */
static rnnkit_status kv_i64(const kv_table *t, const char *path, const char *key, int64_t lo, int64_t hi,
                            int64_t *out, rnnkit_error *err)
{
    const char *v = kv_get(t, key);
    if (!v)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint lacks '%s'", path, key);
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end || end == v || errno || x < lo || x > hi)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint '%s' = '%s' is invalid", path, key, v);
    *out = (int64_t)x;
    return RNNKIT_OK;
}

static rnnkit_status kv_u64(const kv_table *t, const char *path, const char *key, int base, uint64_t *out,
                            rnnkit_error *err)
{
    const char *v = kv_get(t, key);
    if (!v)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint lacks '%s'", path, key);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, base);
    if (*end || end == v || errno || *v == '-')
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint '%s' = '%s' is invalid", path, key, v);
    *out = (uint64_t)x;
    return RNNKIT_OK;
}

static rnnkit_status kv_f64(const kv_table *t, const char *path, const char *key, double *out, rnnkit_error *err)
{
    const char *v = kv_get(t, key);
    if (!v)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint lacks '%s'", path, key);
    char *end;
    double x = strtod(v, &end);
    if (*end || end == v)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint '%s' = '%s' is invalid", path, key, v);
    *out = x;
    return RNNKIT_OK;
}

static rnnkit_status read_named_blob(sqlite3 *db, const char *path, const char *table, const char *name,
                                     float *dst, size_t n, int required, int *found, rnnkit_error *err)
{
    sqlite3_stmt *s = NULL;
    rnnkit_status pst = rnnkit__db_prepare_on(db, path, "SELECT data, fnv1a64 FROM %s WHERE name = ?", table,
                                              name, "reading the checkpoint", &s, err);
    if (pst)
        return pst;
    rnnkit_status st = RNNKIT_OK;
    if (sqlite3_step(s) == SQLITE_ROW) {
        char what[64];
        snprintf(what, sizeof what, "%s:%s", table, name);
        st = rnnkit__db_read_blob(s, 0, 1, path, what, dst, n, 1, err);
        if (found)
            *found = 1;
    } else if (required) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint lacks '%s' in %s", path, name, table);
    } else if (found) {
        *found = 0;
    }
    sqlite3_finalize(s);
    return st;
}

/* Reads the header fields of a checkpoint from an open model file. */
static rnnkit_status read_ckpt_header(const char *path, const kv_table *t, rnnkit__ckpt *ck, rnnkit_error *err)
{
    rnnkit_status st;
    const char *task = kv_get(t, "task");
    if (!kv_get(t, "ckpt_version"))
        return rnnkit_error_set(err, RNNKIT_ERR_EMPTY,
                                "%s: holds no checkpoint (written without one, or by an older rnnkit)", path);
    int64_t v, x;
    if ((st = kv_i64(t, path, "ckpt_version", 1, 1, &v, err)))
        return st;
    double tx;
    if (!task || rnnkit__config_key_parse(rnnkit__config_key_find("task"), task, &tx))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint task missing or unknown", path);
    ck->task = (rnnkit_task)tx;
    if ((st = kv_i64(t, path, "step", 0, INT64_MAX, &ck->step, err)) ||
        (st = kv_i64(t, path, "epoch", 1, INT32_MAX, &x, err)))
        return st;
    ck->epoch = (int)x;
    if ((st = kv_u64(t, path, "seed", 10, &ck->seed, err)) ||
        (st = kv_i64(t, path, "finished", 0, 1, &x, err)))
        return st;
    ck->finished = (int)x;
    if ((st = kv_i64(t, path, "batch_size", 1, 1 << 20, &x, err)))
        return st;
    ck->batch_size = (int)x;
    if ((st = kv_i64(t, path, "seq_len", 0, 1 << 20, &x, err)))
        return st;
    ck->seq_len = (int)x;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_checkpoint_info_read(const char *path, rnnkit_checkpoint_info *info, rnnkit_error *err)
{
    memset(info, 0, sizeof *info);
    sqlite3 *db = NULL;
    rnnkit_status st = rnnkit__modeldb_open(path, &db, err);
    if (st)
        return st;
    kv_table t;
    if (!(st = kv_read(db, path, &t, err))) {
        rnnkit__ckpt ck;
        memset(&ck, 0, sizeof ck);
        if (!(st = read_ckpt_header(path, &t, &ck, err))) {
            info->task = ck.task;
            info->step = ck.step;
            info->epoch = ck.epoch;
            info->seed = ck.seed;
            info->finished = ck.finished;
            info->batch = ck.batch_size;
            info->seq_len = ck.seq_len;
            int64_t k = 0; /* the ensemble member in training; absent: 0 */
            if (kv_get(&t, "member"))
                st = kv_i64(&t, path, "member", 0, RNNKIT_MAX_MEMBERS - 1, &k, err);
            info->member = (int)k;
        }
        kv_free(&t);
    }
    sqlite3_close(db);
    return st;
}

/* origin_step, origin_epoch and epochs_before: 0 in files from before
 * --init; an origin lies at or before the position. */
static rnnkit_status read_origin(const kv_table *t, const char *path, rnnkit__ckpt *ck, rnnkit_error *err)
{
    int64_t x[3] = {0, 0, 0};
    const char *keys[3] = {"origin_step", "origin_epoch", "epochs_before"};
    const int64_t hi[3] = {ck->step, ck->epoch - 1, INT32_MAX};
    for (int i = 0; i < 3; i++) {
        rnnkit_status st = kv_get(t, keys[i]) ? kv_i64(t, path, keys[i], 0, hi[i], &x[i], err) : RNNKIT_OK;
        if (st)
            return st;
    }
    ck->origin_step = x[0];
    ck->origin_epoch = (int)x[1];
    ck->epochs_before = (int)x[2];
    return RNNKIT_OK;
}

/* The key "ema" (weight averaging's decay; absent: off, as in files from
 * before it), which must equal the run's, ck->ema on entry. */
static rnnkit_status read_ema(const kv_table *t, const char *path, rnnkit__ckpt *ck, rnnkit_error *err)
{
    const double run = ck->ema;
    ck->ema = 0.0;
    rnnkit_status st;
    if (kv_get(t, "ema") && (st = kv_f64(t, path, "ema", &ck->ema, err)))
        return st;
    if (!(ck->ema >= 0.0 && ck->ema < 1.0))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint weight averaging %g is invalid", path,
                                ck->ema);
    if (ck->ema != run)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with weight averaging %g, not %g",
                                path, ck->ema, run);
    return RNNKIT_OK;
}

rnnkit_status rnnkit__ckpt_read(const rnnkit_model *m, const char *path, rnnkit__ckpt *ck, rnnkit_error *err)
{
    sqlite3 *db = NULL;
    rnnkit_status st = rnnkit__modeldb_open(path, &db, err);
    if (st)
        return st;
    kv_table t;
    if ((st = kv_read(db, path, &t, err))) {
        sqlite3_close(db);
        return st;
    }
    ck->log = NULL;
    ck->nlog = 0;
    int64_t x;
    if ((st = read_ckpt_header(path, &t, ck, err)))
        goto done;
    if (ck->task != m->cfg.task) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: the checkpoint is for another task than its model", path);
        goto done;
    }
    /* checkpoints from before ensembles train member 0 */
    ck->member = 0;
    if (kv_get(&t, "member")) {
        if ((st = kv_i64(&t, path, "member", 0, m->members - 1, &x, err)))
            goto done;
        ck->member = (int)x;
    }
    if ((st = read_origin(&t, path, ck, err)))
        goto done;
    if ((st = kv_i64(&t, path, "batch_index", 0, INT64_MAX, &ck->batch_index, err)) ||
        (st = kv_f64(&t, path, "best_acc", &ck->best_acc, err)) ||
        (st = kv_f64(&t, path, "best_loss", &ck->best_loss, err)) ||
        (st = kv_i64(&t, path, "since_best", 0, INT64_MAX, &ck->since_best, err)) ||
        (st = kv_f64(&t, path, "loss_sum", &ck->loss_sum, err)) ||
        (st = kv_i64(&t, path, "seen", 0, INT64_MAX, &ck->seen, err)) ||
        (st = kv_i64(&t, path, "correct", 0, INT64_MAX, &ck->correct, err)) ||
        (st = kv_i64(&t, path, "pos", 0, INT64_MAX, &ck->pos, err)) ||
        (st = kv_i64(&t, path, "tokens", 0, INT64_MAX, &ck->tokens, err)) ||
        (st = kv_f64(&t, path, "elapsed", &ck->elapsed, err)) ||
        (st = kv_i64(&t, path, "eval_every", 0, INT64_MAX, &ck->eval_every, err)) ||
        (st = kv_u64(&t, path, "data_fp", 16, &ck->data_fp, err)))
        goto done;
    if ((st = kv_i64(&t, path, "maxlen", 0, INT32_MAX, &x, err)))
        goto done;
    ck->maxlen = (int)x;
    if ((st = kv_i64(&t, path, "keep_last", 0, 1, &x, err)))
        goto done;
    ck->keep_last = (int)x;
    if ((st = kv_i64(&t, path, "has_best", 0, 1, &x, err)))
        goto done;
    ck->has_best = (int)x;
    if ((st = kv_i64(&t, path, "nstate", 0, INT64_MAX, &x, err)))
        goto done;
    if ((size_t)x != ck->nstate) {
        st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE, "%s: checkpoint carries %lld state values, this run needs %zu",
                              path, (long long)x, ck->nstate);
        goto done;
    }
    if ((st = read_ema(&t, path, ck, err)))
        goto done;
    static const char *rk[4] = {"rng0", "rng1", "rng2", "rng3"};
    static const char *ek[4] = {"epoch_rng0", "epoch_rng1", "epoch_rng2", "epoch_rng3"};
    for (int i = 0; i < 4; i++)
        if ((st = kv_u64(&t, path, rk[i], 10, &ck->rng.s[i], err)) ||
            (st = kv_u64(&t, path, ek[i], 10, &ck->epoch_rng.s[i], err)))
            goto done;
    if (ck->optim) {
        double lr;
        if ((st = kv_i64(&t, path, "optim_kind", 0, 16, &x, err)))
            goto done;
        if ((int)x != (int)ck->optim->kind) {
            st = rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: the checkpoint was trained with another optimiser", path);
            goto done;
        }
        if ((st = kv_f64(&t, path, "optim_lr", &lr, err)) ||
            (st = kv_i64(&t, path, "optim_step", 0, INT64_MAX, &ck->optim->step, err)))
            goto done;
        if (!(lr > 0) || !isfinite(lr)) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint learning rate %g is invalid", path, lr);
            goto done;
        }
        ck->optim->lr = (float)lr;
        if ((st = read_named_blob(db, path, "optim_state", "m", ck->optim->m, ck->optim->n, 1, NULL, err)))
            goto done;
        if (ck->optim->v &&
            (st = read_named_blob(db, path, "optim_state", "v", ck->optim->v, ck->optim->n, 1, NULL, err)))
            goto done;
    }
    if ((st = read_named_blob(db, path, "checkpoint", "weights", ck->weights ? ck->weights : m->mw[ck->member],
                              m->params.count, 1, NULL, err)))
        goto done;
    if (ck->has_best && ck->best &&
        (st = read_named_blob(db, path, "checkpoint", "best", ck->best, m->params.count, 1, NULL, err)))
        goto done;
    if (ck->ema > 0 && ck->avg &&
        (st = read_named_blob(db, path, "checkpoint", "average", ck->avg, m->params.count, 1, NULL, err)))
        goto done;
    if (ck->nstate &&
        ((st = read_named_blob(db, path, "checkpoint", "h", ck->h, ck->nstate, 1, NULL, err)) ||
         (st = read_named_blob(db, path, "checkpoint", "c", ck->c, ck->nstate, 1, NULL, err))))
        goto done;
    st = read_log(db, path, -1, &ck->log, &ck->nlog, err);
done:
    kv_free(&t);
    sqlite3_close(db);
    if (st) {
        free(ck->log);
        ck->log = NULL;
        ck->nlog = 0;
    }
    return st;
}
