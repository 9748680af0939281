/*
 * model/store.c: a model in one SQLite file.
 *
 * Schema (PRAGMA application_id = 0x524e4b4d "RNKM", user_version = 1):
 *   model_meta(key, value)          configuration: format, task, cell, sizes...
 *   labels(id, label)               classifier labels, ids 0..K-1
 *   tensors(name, dtype, shape, data, fnv1a64)
 *                                   weights under PyTorch state_dict names;
 *                                   data = little-endian f32, shape "R" or "RxC"
 *   optim_state(name, data, fnv1a64)  Adam moments 'm' and 'v' (whole block)
 *   train_state(key, value)         step, epoch, rng words, best metric, and the
 *                                   counters of a checkpoint
 *   checkpoint(name, data, fnv1a64) current and best weights, carried state
 *   training_log(epoch, step, train_loss, train_acc, valid_loss, valid_acc,
 *                seconds, lr)
 *   + the vocabulary tables (see docs/tokenizer.md), so the file stands alone.
 *
 * Saving writes "<path>.tmp-XXXXXX" in the same directory, fsyncs it and
 * renames it over `path`: a reader sees the old model or the new one, never
 * a mixture, and a failure leaves the old file untouched.
 * Loading treats the file as untrusted input.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/model_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model/store.c writes tensors as native floats: add byte swapping for this platform"
#endif

#define MODEL_SCHEMA_VERSION 2 /* 2: checkpoint table, WAL during training */
#define MODEL_APP_ID 0x524e4b4d

uint64_t rnnkit__fnv1a64_more(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t rnnkit__fnv1a64(const void *data, size_t n)
{
    return rnnkit__fnv1a64_more(0xcbf29ce484222325ULL, data, n);
}

static rnnkit_status db_error(rnnkit_error *err, sqlite3 *db, const char *path, const char *what)
{
    return rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: %s: %s", path, what,
                            db ? sqlite3_errmsg(db) : "cannot open");
}

static rnnkit_status exec(sqlite3 *db, const char *path, const char *sql, rnnkit_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rnnkit_status st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: %s", path, msg ? msg : "SQLite error");
        sqlite3_free(msg);
        return st;
    }
    return RNNKIT_OK;
}

/* ---------------------------------------------------------------------- */
/* Saving */

static const char schema_sql[] =
    "CREATE TABLE model_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE labels(id INTEGER PRIMARY KEY, label TEXT NOT NULL);"
    "CREATE TABLE tensors(name TEXT PRIMARY KEY, dtype TEXT NOT NULL, shape TEXT NOT NULL,"
    " data BLOB NOT NULL, fnv1a64 TEXT NOT NULL);"
    "CREATE TABLE optim_state(name TEXT PRIMARY KEY, data BLOB NOT NULL, fnv1a64 TEXT NOT NULL);"
    "CREATE TABLE train_state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE training_log(epoch INTEGER, step INTEGER, train_loss REAL, train_acc REAL,"
    " valid_loss REAL, valid_acc REAL, seconds REAL, lr REAL, member INTEGER);"
    "CREATE TABLE checkpoint(name TEXT PRIMARY KEY, data BLOB NOT NULL, fnv1a64 TEXT NOT NULL);";

static rnnkit_status put_kv(sqlite3 *db, const char *path, const char *table, const char *key,
                            const char *value, rnnkit_error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s(key, value) VALUES(?, ?)", table);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_error(err, db, path, "writing configuration");
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? RNNKIT_OK : db_error(err, db, path, "writing configuration");
}

static rnnkit_status put_blob(sqlite3 *db, const char *path, sqlite3_stmt *s, int first,
                              const float *data, size_t n, rnnkit_error *err)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, rnnkit__fnv1a64(data, n * sizeof(float)));
    sqlite3_bind_blob64(s, first, data, (sqlite3_uint64)(n * sizeof(float)), SQLITE_STATIC);
    sqlite3_bind_text(s, first + 1, hex, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? RNNKIT_OK : db_error(err, db, path, "writing a tensor");
}

/* 1 when table has a column of that name. */
static int has_column(sqlite3 *db, const char *table, const char *column)
{
    sqlite3_stmt *s = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
        found = sqlite3_step(s) == SQLITE_ROW;
    }
    sqlite3_finalize(s);
    return found;
}

/* Name of member k's copy of a tensor: the name itself for member 0, so a
 * one-network file is as before, "member<k>.<name>" for the others. */
static const char *member_name(char *buf, size_t cap, int k, const char *name)
{
    if (k == 0)
        return name;
    snprintf(buf, cap, "member%d.%s", k, name);
    return buf;
}

static rnnkit_status write_log(sqlite3 *db, const char *path, const rnnkit_log_row *log, int nlog,
                               rnnkit_error *err)
{
    if (nlog <= 0)
        return RNNKIT_OK;
    sqlite3_stmt *s = NULL;
    /* files from before ensembles have no member column (they train one network) */
    const int with_member = has_column(db, "training_log", "member");
    if (sqlite3_prepare_v2(db, with_member ? "INSERT INTO training_log VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                           : "INSERT INTO training_log VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &s, NULL))
        return db_error(err, db, path, "writing the training log");
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
            return db_error(err, db, path, "writing the training log");
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return RNNKIT_OK;
}

static rnnkit_status put_optim(sqlite3 *db, const char *path, const rnnkit_optim *o, rnnkit_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO optim_state(name, data, fnv1a64) VALUES(?, ?, ?)", -1, &s, NULL))
        return db_error(err, db, path, "writing optimiser state");
    sqlite3_bind_text(s, 1, "m", -1, SQLITE_STATIC);
    rnnkit_status st = put_blob(db, path, s, 2, o->m, o->n, err);
    if (!st && o->v) {
        sqlite3_bind_text(s, 1, "v", -1, SQLITE_STATIC);
        st = put_blob(db, path, s, 2, o->v, o->n, err);
    }
    sqlite3_finalize(s);
    if (st)
        return st;
    char buf[64];
    snprintf(buf, sizeof buf, "%" PRId64, o->step);
    return put_kv(db, path, "train_state", "optim_step", buf, err);
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
    KV("task", "%s", ck->task == RNNKIT_TASK_CLASSIFY ? "classify" : "generate");
    KV("step", "%" PRId64, ck->step);
    KV("epoch", "%d", ck->epoch);
    KV("member", "%d", ck->member);
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
    if (ck->optim) {
        KV("optim_kind", "%d", (int)ck->optim->kind);
        KV("optim_lr", "%.9g", (double)ck->optim->lr);
    }
#undef KV
    for (int i = 0; i < n; i++)
        if ((st = put_kv(db, path, "train_state", kv[i].k, kv[i].v, err)))
            return st;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO checkpoint(name, data, fnv1a64) VALUES(?, ?, ?)", -1, &s, NULL))
        return db_error(err, db, path, "writing the checkpoint");
    struct {
        const char *name;
        const float *data;
        size_t n;
    } blobs[4] = {{"weights", ck->weights, m->params.count},
                  {"best", ck->has_best ? ck->best : NULL, m->params.count},
                  {"h", ck->nstate ? ck->h : NULL, ck->nstate},
                  {"c", ck->nstate ? ck->c : NULL, ck->nstate}};
    st = RNNKIT_OK;
    for (int i = 0; i < 4 && !st; i++) {
        if (!blobs[i].data)
            continue;
        sqlite3_bind_text(s, 1, blobs[i].name, -1, SQLITE_STATIC);
        st = put_blob(db, path, s, 2, blobs[i].data, blobs[i].n, err);
    }
    sqlite3_finalize(s);
    if (st)
        return st;
    return write_log(db, path, ck->log, ck->nlog, err);
}

/* How many members predictions may use: while an ensemble trains, those
 * trained so far and the current one. Stored as model_meta members_ready. */
static rnnkit_status put_ready(sqlite3 *db, const char *path, const rnnkit_model *m, const rnnkit__ckpt *ck,
                               rnnkit_error *err)
{
    if (m->members <= 1)
        return RNNKIT_OK;
    char v[16];
    snprintf(v, sizeof v, "%d", ck ? ck->member + 1 : m->ready);
    return put_kv(db, path, "model_meta", "members_ready", v, err);
}

static rnnkit_status write_header(sqlite3 *db, const char *path, const rnnkit_model *m, rnnkit_error *err)
{
    rnnkit_status st;
    const rnnkit_model_config *c = &m->cfg;
    struct {
        const char *k;
        char v[64];
    } kv[24];
    int n = 0;
#define KV(key, ...) (kv[n].k = key, snprintf(kv[n].v, sizeof kv[n].v, __VA_ARGS__), n++)
    KV("format", "rnnkit-model");
    KV("rnnkit_version", "%s", rnnkit_version());
    KV("task", "%s", c->task == RNNKIT_TASK_CLASSIFY ? "classify" : "generate");
    KV("cell", "%s", rnnkit_cell_name(c->cell));
    KV("embed", "%d", c->embed);
    KV("hidden", "%d", c->hidden);
    KV("layers", "%d", c->layers);
    KV("bidirectional", "%d", c->bidirectional);
    KV("pool", "%s", rnnkit_pool_name(c->pool));
    KV("dropout", "%.9g", (double)c->dropout);
    KV("embed_dropout", "%.9g", (double)c->embed_dropout);
    KV("weight_drop", "%.9g", (double)c->weight_drop);
    KV("forget_bias", "%.9g", (double)c->forget_bias);
    KV("maxlen", "%d", c->maxlen);
    KV("keep_last", "%d", c->keep_last);
    KV("vocab_size", "%d", m->V);
    KV("num_labels", "%d", c->task == RNNKIT_TASK_CLASSIFY ? m->K : 0);
    if (m->members > 1) /* absent: one network (every file from before ensembles) */
        KV("members", "%d", m->members);
#undef KV
    for (int i = 0; i < n; i++)
        if ((st = put_kv(db, path, "model_meta", kv[i].k, kv[i].v, err)))
            return st;
    sqlite3_stmt *s = NULL;
    if (c->task == RNNKIT_TASK_CLASSIFY) {
        if (sqlite3_prepare_v2(db, "INSERT INTO labels(id, label) VALUES(?, ?)", -1, &s, NULL))
            return db_error(err, db, path, "writing labels");
        for (int k = 0; k < m->K; k++) {
            sqlite3_bind_int(s, 1, k);
            sqlite3_bind_text(s, 2, m->labels[k], -1, SQLITE_STATIC);
            if (sqlite3_step(s) != SQLITE_DONE) {
                sqlite3_finalize(s);
                return db_error(err, db, path, "writing labels");
            }
            sqlite3_reset(s);
        }
        sqlite3_finalize(s);
    }
    if ((st = rnnkit_vocab_save_db(m->vocab, db, err)))
        return st;
    return RNNKIT_OK;
}

static rnnkit_status write_model(sqlite3 *db, const char *path, const rnnkit_model *m,
                                 const float *weights, const rnnkit_train_state *ts,
                                 const rnnkit__ckpt *ck, int full, rnnkit_error *err)
{
    rnnkit_status st;
    char sql[96];
    if (!full) {
        /* one transaction replacing everything training changes */
        if ((st = exec(db, path, "BEGIN IMMEDIATE", err)))
            return st;
        if ((st = exec(db, path,
                       "CREATE TABLE IF NOT EXISTS checkpoint(name TEXT PRIMARY KEY, data BLOB NOT NULL,"
                       " fnv1a64 TEXT NOT NULL);"
                       "DELETE FROM tensors; DELETE FROM optim_state; DELETE FROM train_state;"
                       "DELETE FROM training_log; DELETE FROM checkpoint;",
                       err))) {
            exec(db, path, "ROLLBACK", NULL);
            return st;
        }
    } else {
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;", MODEL_APP_ID,
                 MODEL_SCHEMA_VERSION);
        if ((st = exec(db, path, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", err)) ||
            (st = exec(db, path, sql, err)) || (st = exec(db, path, "BEGIN", err)) ||
            (st = exec(db, path, schema_sql, err)))
            return st;
        if ((st = write_header(db, path, m, err)))
            goto fail;
    }
    char buf[64];
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO tensors(name, dtype, shape, data, fnv1a64) VALUES(?, 'f32', ?, ?, ?)",
                           -1, &s, NULL)) {
        st = db_error(err, db, path, "writing tensors");
        goto fail;
    }
    /* `weights` stands for the current member (the best weights while it
     * trains); the other members are written from their blocks */
    char name[160];
    for (int k = 0; k < m->members; k++) {
        const float *w = k == m->cur ? weights : m->mw[k];
        for (int i = 0; i < m->params.nviews; i++) {
            const rnnkit_param_view *v = &m->params.views[i];
            if (v->ndim == 2)
                snprintf(buf, sizeof buf, "%" PRId64 "x%" PRId64, v->shape[0], v->shape[1]);
            else
                snprintf(buf, sizeof buf, "%" PRId64, v->shape[0]);
            sqlite3_bind_text(s, 1, member_name(name, sizeof name, k, v->name), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 2, buf, -1, SQLITE_TRANSIENT);
            if ((st = put_blob(db, path, s, 3, w + v->offset, v->numel, err))) {
                sqlite3_finalize(s);
                goto fail;
            }
        }
    }
    sqlite3_finalize(s);
    if ((st = put_ready(db, path, m, ck, err)))
        goto fail;
    if (ck) {
        if ((st = write_ckpt(db, path, m, ck, err)))
            goto fail;
    } else if (ts) {
        if (ts->optim && ts->optim->n == m->params.count && ts->optim->m &&
            (st = put_optim(db, path, ts->optim, err)))
            goto fail;
        struct {
            const char *k;
            char v[48];
        } kv[8];
        int n = 0;
#define KV(key, ...) (kv[n].k = key, snprintf(kv[n].v, sizeof kv[n].v, __VA_ARGS__), n++)
        KV("step", "%" PRId64, ts->step);
        KV("epoch", "%d", ts->epoch);
        KV("best_metric", "%.17g", ts->best_metric);
        KV("rng0", "%" PRIu64, ts->rng.s[0]);
        KV("rng1", "%" PRIu64, ts->rng.s[1]);
        KV("rng2", "%" PRIu64, ts->rng.s[2]);
        KV("rng3", "%" PRIu64, ts->rng.s[3]);
#undef KV
        for (int i = 0; i < n; i++)
            if ((st = put_kv(db, path, "train_state", kv[i].k, kv[i].v, err)))
                goto fail;
        if ((st = write_log(db, path, ts->log, ts->nlog, err)))
            goto fail;
    }
    if ((st = exec(db, path, "COMMIT", err)))
        goto fail;
    return RNNKIT_OK;
fail:
    exec(db, path, "ROLLBACK", NULL);
    return st;
}

static void fsync_dir_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) > 0 ? (int)(slash - path) : 1, path);
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Removes "<path>-wal" and "<path>-shm" left by an earlier (killed) run, so
 * a file renamed into place is never paired with a stranger's journal. */
static void remove_stale_journal(const char *path)
{
    size_t n = strlen(path);
    char *j = malloc(n + 5);
    if (!j)
        return;
    memcpy(j, path, n);
    memcpy(j + n, "-wal", 5);
    unlink(j);
    memcpy(j + n, "-shm", 5);
    unlink(j);
    free(j);
}

/* A whole new file: "<path>.tmp-XXXXXX", fsync, rename over path. */
static rnnkit_status write_new_file(const rnnkit_model *m, const char *path, const float *weights,
                                    const rnnkit_train_state *ts, const rnnkit__ckpt *ck, int wal,
                                    rnnkit_error *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rnnkit_status st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot create a temporary file beside it: %s",
                                            path, strerror(errno));
        free(tmp);
        return st;
    }
    /* mkstemp makes the file 0600; a model is an ordinary file: the mode an
     * existing one had, or 0666 less the umask */
    struct stat sb;
    if (stat(path, &sb) == 0) {
        fchmod(fd, sb.st_mode & 07777);
    } else {
        mode_t um = umask(0);
        umask(um);
        fchmod(fd, 0666 & ~um);
    }
    close(fd);
    sqlite3 *db = NULL;
    rnnkit_status st = RNNKIT_OK;
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        st = db_error(err, db, path, "cannot write");
    if (!st)
        st = write_model(db, path, m, weights, ts, ck, 1, err);
    if (!st && wal)
        st = exec(db, path, "PRAGMA journal_mode=WAL", err);
    if (db && sqlite3_close(db) != SQLITE_OK && !st)
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: closing failed", path);
    if (!st) {
        fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0)
            st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot flush to disk: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    if (!st) {
        remove_stale_journal(path);
        if (rename(tmp, path) != 0)
            st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot replace: %s", path, strerror(errno));
    }
    if (st)
        unlink(tmp);
    else
        fsync_dir_of(path);
    free(tmp);
    return st;
}

rnnkit_status rnnkit_model_save(const rnnkit_model *m, const char *path,
                                const rnnkit_train_state *state, rnnkit_error *err)
{
    return write_new_file(m, path, m->params.value, state, NULL, 0, err);
}

rnnkit_status rnnkit__ckpt_write(const rnnkit_model *m, const char *path, const float *model_weights,
                                 const rnnkit__ckpt *ck, int create, int final, rnnkit_error *err)
{
    if (create)
        return write_new_file(m, path, model_weights, NULL, ck, !final, err);
    sqlite3 *db = NULL;
    rnnkit_status st = RNNKIT_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        st = db_error(err, db, path, "cannot open for the checkpoint");
        sqlite3_close(db);
        return st;
    }
    sqlite3_busy_timeout(db, 10000);
    if (!(st = exec(db, path, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err)))
        st = write_model(db, path, m, model_weights, NULL, ck, 0, err);
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
/* Loading */

static int get_meta(sqlite3 *db, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *s = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM model_meta WHERE key = ?", -1, &s, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT) {
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
        found = 1;
    }
    sqlite3_finalize(s);
    return found;
}

static rnnkit_status meta_int(sqlite3 *db, const char *path, const char *key, long lo, long hi,
                              int *out, rnnkit_error *err)
{
    char v[64], *end;
    if (!get_meta(db, key, v, sizeof v))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration lacks '%s'", path, key);
    errno = 0;
    long x = strtol(v, &end, 10);
    if (*end || end == v || errno || x < lo || x > hi)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration '%s' = '%s' is invalid",
                                path, key, v);
    *out = (int)x;
    return RNNKIT_OK;
}

static rnnkit_status meta_float(sqlite3 *db, const char *path, const char *key, double lo, double hi,
                                float *out, rnnkit_error *err)
{
    char v[64], *end;
    if (!get_meta(db, key, v, sizeof v))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration lacks '%s'", path, key);
    double x = strtod(v, &end);
    if (*end || end == v || !isfinite(x) || x < lo || x > hi)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration '%s' = '%s' is invalid",
                                path, key, v);
    *out = (float)x;
    return RNNKIT_OK;
}

static rnnkit_status read_blob(sqlite3_stmt *s, int col, int hcol, const char *path, const char *what,
                               float *dst, size_t n, int check_finite, rnnkit_error *err)
{
    const void *data = sqlite3_column_blob(s, col);
    sqlite3_int64 bytes = sqlite3_column_bytes(s, col);
    const unsigned char *hex = sqlite3_column_text(s, hcol);
    if ((size_t)bytes != n * sizeof(float) || (!data && n))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT,
                                "%s: tensor '%s' holds %lld bytes, expected %zu (truncated or wrong shape)",
                                path, what, (long long)bytes, n * sizeof(float));
    char want[17];
    snprintf(want, sizeof want, "%016" PRIx64, rnnkit__fnv1a64(data, (size_t)bytes));
    if (!hex || strcmp((const char *)hex, want) != 0)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' fails its checksum (tampered or damaged)",
                                path, what);
    memcpy(dst, data, (size_t)bytes);
    if (check_finite)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(dst[i]))
                return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' holds NaN or Inf at index %zu",
                                        path, what, i);
    return RNNKIT_OK;
}

static rnnkit_status open_model_db(const char *path, sqlite3 **out, rnnkit_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char head[16] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got < 16 || memcmp(head, "SQLite format 3", 16) != 0)
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: not an rnnkit model (not a SQLite database)", path);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rnnkit_status st = db_error(err, db, path, "cannot open");
        sqlite3_close(db);
        return st;
    }
    sqlite3_busy_timeout(db, 10000); /* a training run may be writing a checkpoint */
    sqlite3_stmt *s = NULL;
    int version = -1, has_meta = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='model_meta'", -1, &s,
                           NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        has_meta = 1;
    sqlite3_finalize(s);
    if (version < 0) {
        rnnkit_status st = db_error(err, db, path, "not readable as a database");
        sqlite3_close(db);
        return st;
    }
    char fmt[32];
    if (!has_meta || !get_meta(db, "format", fmt, sizeof fmt) || strcmp(fmt, "rnnkit-model") != 0) {
        sqlite3_close(db);
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT,
                                "%s: a SQLite file but not an rnnkit model (no model configuration)", path);
    }
    if (version > MODEL_SCHEMA_VERSION) {
        sqlite3_close(db);
        return rnnkit_error_set(err, RNNKIT_ERR_VERSION,
                                "%s: model schema version %d is newer than this rnnkit reads (%d); upgrade rnnkit",
                                path, version, MODEL_SCHEMA_VERSION);
    }
    *out = db;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_model_load(const char *path, int expect_task, rnnkit_model **out,
                                rnnkit_error *err)
{
    *out = NULL;
    sqlite3 *db = NULL;
    rnnkit_status st = open_model_db(path, &db, err);
    if (st)
        return st;
    rnnkit_model *m = NULL;
    rnnkit_vocab *vocab = NULL;
    char **labels = NULL;
    int nlabels = 0;
    sqlite3_stmt *s = NULL;
    rnnkit_model_config c;
    char v[64];
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    if (!get_meta(db, "task", v, sizeof v) || (strcmp(v, "classify") && strcmp(v, "generate"))) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model task missing or unknown", path);
        goto done;
    }
    c.task = !strcmp(v, "classify") ? RNNKIT_TASK_CLASSIFY : RNNKIT_TASK_GENERATE;
    if (expect_task >= 0 && (int)c.task != expect_task) {
        st = rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: this is a %s model; use `rnnkit %s`", path,
                              c.task == RNNKIT_TASK_CLASSIFY ? "classifier" : "generator",
                              c.task == RNNKIT_TASK_CLASSIFY ? "classify" : "generate");
        goto done;
    }
    int cell = -1, pool = -1, vocab_size = 0;
    if (get_meta(db, "cell", v, sizeof v))
        cell = rnnkit_cell_from_name(v);
    if (get_meta(db, "pool", v, sizeof v))
        pool = rnnkit_pool_from_name(v);
    if (cell < 0 || pool < 0) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model cell or pooling missing or unknown", path);
        goto done;
    }
    c.cell = (rnnkit_cell)cell;
    c.pool = (rnnkit_pool)pool;
    if ((st = meta_int(db, path, "embed", 1, 65536, &c.embed, err)) ||
        (st = meta_int(db, path, "hidden", 1, 65536, &c.hidden, err)) ||
        (st = meta_int(db, path, "layers", 1, 64, &c.layers, err)) ||
        (st = meta_int(db, path, "bidirectional", 0, 1, &c.bidirectional, err)) ||
        (st = meta_int(db, path, "vocab_size", 3, 1 << 24, &vocab_size, err)) ||
        (st = meta_int(db, path, "maxlen", 0, 100000000, &c.maxlen, err)) ||
        (st = meta_int(db, path, "keep_last", 0, 1, &c.keep_last, err)) ||
        (st = meta_int(db, path, "num_labels", 0, RNNKIT_MAX_LABELS, &nlabels, err)) ||
        (st = meta_float(db, path, "dropout", 0, 0.999999, &c.dropout, err)) ||
        (st = meta_float(db, path, "embed_dropout", 0, 0.999999, &c.embed_dropout, err)) ||
        (st = meta_float(db, path, "forget_bias", -100, 100, &c.forget_bias, err)))
        goto done;
    /* Files from before weight drop existed lack the key: 0. */
    if (get_meta(db, "weight_drop", v, sizeof v) &&
        (st = meta_float(db, path, "weight_drop", 0, 0.999999, &c.weight_drop, err)))
        goto done;
    /* ...and files from before ensembles hold one network. */
    int ready = 1;
    c.members = 1;
    if (get_meta(db, "members", v, sizeof v) &&
        (st = meta_int(db, path, "members", 1, c.task == RNNKIT_TASK_CLASSIFY ? RNNKIT_MAX_MEMBERS : 1, &c.members,
                       err)))
        goto done;
    ready = c.members;
    if (get_meta(db, "members_ready", v, sizeof v) &&
        (st = meta_int(db, path, "members_ready", 1, c.members, &ready, err)))
        goto done;
    if (c.task == RNNKIT_TASK_CLASSIFY) {
        if (nlabels < 2) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: a classifier with %d labels", path, nlabels);
            goto done;
        }
        labels = calloc((size_t)nlabels, sizeof *labels);
        if (!labels) {
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (sqlite3_prepare_v2(db, "SELECT id, label FROM labels ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
            st = db_error(err, db, path, "reading labels");
            goto done;
        }
        int k = 0;
        while (sqlite3_step(s) == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(s, 1);
            if (k >= nlabels || sqlite3_column_int64(s, 0) != k || !t) {
                st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: labels table is inconsistent at id %d", path, k);
                goto done;
            }
            if (!(labels[k] = strdup((const char *)t))) {
                st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
                goto done;
            }
            k++;
        }
        sqlite3_finalize(s);
        s = NULL;
        if (k != nlabels) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: %d labels stored, configuration says %d", path, k,
                                  nlabels);
            goto done;
        }
    }
    if ((st = rnnkit_vocab_load_db(db, path, &vocab, err)))
        goto done;
    if (rnnkit_vocab_size(vocab) != vocab_size) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: vocabulary holds %lld ids, configuration says %d", path,
                              (long long)rnnkit_vocab_size(vocab), vocab_size);
        rnnkit_vocab_free(vocab);
        goto done;
    }
    st = rnnkit_model_create(&c, vocab, (const char *const *)labels, nlabels, 0, &m, err);
    vocab = NULL; /* owned by the model now, even on failure */
    if (st) {
        rnnkit_error_prefix(err, "%s", path);
        goto done;
    }
    /* Every declared tensor must be there with its exact shape, and nothing else. */
    if (sqlite3_prepare_v2(db, "SELECT dtype, shape, data, fnv1a64 FROM tensors WHERE name = ?", -1, &s, NULL)) {
        st = db_error(err, db, path, "reading tensors");
        goto done;
    }
    char name[160];
    for (int k = 0; k < m->members; k++)
        for (int i = 0; i < m->params.nviews; i++) {
            const rnnkit_param_view *pv = &m->params.views[i];
            const char *tn = member_name(name, sizeof name, k, pv->name);
            char shape[64];
            if (pv->ndim == 2)
                snprintf(shape, sizeof shape, "%" PRId64 "x%" PRId64, pv->shape[0], pv->shape[1]);
            else
                snprintf(shape, sizeof shape, "%" PRId64, pv->shape[0]);
            sqlite3_bind_text(s, 1, tn, -1, SQLITE_STATIC);
            if (sqlite3_step(s) != SQLITE_ROW) {
                st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' is missing", path, tn);
                goto done;
            }
            const unsigned char *dt = sqlite3_column_text(s, 0), *sh = sqlite3_column_text(s, 1);
            if (!dt || strcmp((const char *)dt, "f32")) {
                st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' has dtype '%s', expected f32", path,
                                      tn, dt ? (const char *)dt : "");
                goto done;
            }
            if (!sh || strcmp((const char *)sh, shape)) {
                st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE,
                                      "%s: tensor '%s' has shape %s, the configuration needs %s", path, tn,
                                      sh ? (const char *)sh : "?", shape);
                goto done;
            }
            if ((st = read_blob(s, 2, 3, path, tn, m->mw[k] + pv->offset, pv->numel, 1, err)))
                goto done;
            sqlite3_reset(s);
        }
    sqlite3_finalize(s);
    s = NULL;
    const int want = m->params.nviews * m->members;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tensors", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) != want) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: %d tensors stored, the configuration has %d", path,
                              sqlite3_column_int(s, 0), want);
        goto done;
    }
    /* The embedding's padding row must be zero. */
    for (int k = 0; k < m->members; k++)
        for (int e = 0; e < c.embed; e++)
            if (m->mw[k][m->emb.off + (size_t)e] != 0.0f) {
                st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s': padding row 0 is not zero", path,
                                      member_name(name, sizeof name, k, "embedding.weight"));
                goto done;
            }
    m->ready = ready;
done:
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (labels)
        for (int k = 0; k < nlabels; k++)
            free(labels[k]);
    free(labels);
    rnnkit_vocab_free(vocab);
    if (st) {
        rnnkit_model_free(m);
        return st;
    }
    *out = m;
    return RNNKIT_OK;
}

rnnkit_status rnnkit_model_load_train_state(const char *path, rnnkit_optim *optim, int64_t *step,
                                            int *epoch, rnnkit_rng *rng, rnnkit_error *err)
{
    sqlite3 *db = NULL;
    rnnkit_status st = open_model_db(path, &db, err);
    if (st)
        return st;
    sqlite3_stmt *s = NULL;
    int rows = 0;
    if (sqlite3_prepare_v2(db, "SELECT name, data, fnv1a64 FROM optim_state", -1, &s, NULL) != SQLITE_OK) {
        st = db_error(err, db, path, "reading optimiser state");
        goto done;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(s, 0);
        float *dst = name && !strcmp((const char *)name, "m") ? optim->m
                     : name && !strcmp((const char *)name, "v") ? optim->v : NULL;
        if (!dst) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: unexpected optimiser state '%s'", path,
                                  name ? (const char *)name : "");
            goto done;
        }
        if ((st = read_blob(s, 1, 2, path, (const char *)name, dst, optim->n, 1, err)))
            goto done;
        rows++;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rows == 0) {
        st = rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "%s: holds no optimiser state to resume from", path);
        goto done;
    }
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM train_state", -1, &s, NULL) != SQLITE_OK) {
        st = db_error(err, db, path, "reading training state");
        goto done;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(s, 0);
        const char *val = (const char *)sqlite3_column_text(s, 1);
        if (!k || !val)
            continue;
        if (!strcmp(k, "optim_step"))
            optim->step = strtoll(val, NULL, 10);
        else if (!strcmp(k, "step") && step)
            *step = strtoll(val, NULL, 10);
        else if (!strcmp(k, "epoch") && epoch)
            *epoch = (int)strtol(val, NULL, 10);
        else if (!strncmp(k, "rng", 3) && rng && k[3] >= '0' && k[3] <= '3' && !k[4])
            rng->s[k[3] - '0'] = strtoull(val, NULL, 10);
    }
done:
    sqlite3_finalize(s);
    sqlite3_close(db);
    return st;
}

/* ---------------------------------------------------------------------- */
/* Checkpoints */

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
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM train_state LIMIT 256", -1, &s, NULL) != SQLITE_OK)
        return db_error(err, db, path, "reading the training state");
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
        return db_error(err, db, path, "reading the training state");
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
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT data, fnv1a64 FROM %s WHERE name = ?", table);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_error(err, db, path, "reading the checkpoint");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rnnkit_status st = RNNKIT_OK;
    if (sqlite3_step(s) == SQLITE_ROW) {
        char what[64];
        snprintf(what, sizeof what, "%s:%s", table, name);
        st = read_blob(s, 0, 1, path, what, dst, n, 1, err);
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
    if (!task || (strcmp(task, "classify") && strcmp(task, "generate")))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: checkpoint task missing or unknown", path);
    ck->task = !strcmp(task, "classify") ? RNNKIT_TASK_CLASSIFY : RNNKIT_TASK_GENERATE;
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
    rnnkit_status st = open_model_db(path, &db, err);
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

rnnkit_status rnnkit__ckpt_read(const rnnkit_model *m, const char *path, rnnkit__ckpt *ck, rnnkit_error *err)
{
    sqlite3 *db = NULL;
    rnnkit_status st = open_model_db(path, &db, err);
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
    sqlite3_stmt *s = NULL;
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
    if (ck->nstate &&
        ((st = read_named_blob(db, path, "checkpoint", "h", ck->h, ck->nstate, 1, NULL, err)) ||
         (st = read_named_blob(db, path, "checkpoint", "c", ck->c, ck->nstate, 1, NULL, err))))
        goto done;
    /* the training log */
    const int with_member = has_column(db, "training_log", "member");
    if (sqlite3_prepare_v2(db, with_member ? "SELECT epoch, step, train_loss, train_acc, valid_loss, valid_acc,"
                                             " seconds, lr, member FROM training_log ORDER BY rowid"
                                           : "SELECT epoch, step, train_loss, train_acc, valid_loss, valid_acc,"
                                             " seconds, lr FROM training_log ORDER BY rowid",
                           -1, &s, NULL) != SQLITE_OK) {
        st = db_error(err, db, path, "reading the training log");
        goto done;
    }
    int cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (ck->nlog == cap) {
            cap = cap ? 2 * cap : 64;
            if (cap > 1 << 24) {
                st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: training log is absurdly long", path);
                goto done;
            }
            rnnkit_log_row *g = realloc(ck->log, (size_t)cap * sizeof *g);
            if (!g) {
                st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory reading the training log");
                goto done;
            }
            ck->log = g;
        }
        rnnkit_log_row *r = &ck->log[ck->nlog++];
        r->member = with_member ? sqlite3_column_int(s, 8) : 0;
        r->epoch = sqlite3_column_int(s, 0);
        r->step = sqlite3_column_int64(s, 1);
        double *f[6] = {&r->train_loss, &r->train_acc, &r->valid_loss, &r->valid_acc, &r->seconds, &r->lr};
        for (int j = 0; j < 6; j++)
            *f[j] = sqlite3_column_type(s, 2 + j) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 2 + j);
    }
done:
    sqlite3_finalize(s);
    kv_free(&t);
    sqlite3_close(db);
    if (st) {
        free(ck->log);
        ck->log = NULL;
        ck->nlog = 0;
    }
    return st;
}
