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
 *   train_state(key, value)         step, epoch, rng words, best metric
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
#include <unistd.h>

#include "model/model_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model/store.c writes tensors as native floats: add byte swapping for this platform"
#endif

#define MODEL_SCHEMA_VERSION 1
#define MODEL_APP_ID 0x524e4b4d

uint64_t rnnkit__fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
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
    " valid_loss REAL, valid_acc REAL, seconds REAL, lr REAL);";

static rnnkit_status put_kv(sqlite3 *db, const char *path, const char *table, const char *key,
                            const char *value, rnnkit_error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s(key, value) VALUES(?, ?)", table);
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

static rnnkit_status write_model(sqlite3 *db, const char *path, const rnnkit_model *m,
                                 const rnnkit_train_state *ts, rnnkit_error *err)
{
    rnnkit_status st;
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;", MODEL_APP_ID,
             MODEL_SCHEMA_VERSION);
    if ((st = exec(db, path, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", err)) ||
        (st = exec(db, path, sql, err)) || (st = exec(db, path, "BEGIN", err)) ||
        (st = exec(db, path, schema_sql, err)))
        return st;
    const rnnkit_model_config *c = &m->cfg;
    char buf[64];
    struct {
        const char *k;
        char v[64];
    } kv[16];
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
    KV("forget_bias", "%.9g", (double)c->forget_bias);
    KV("maxlen", "%d", c->maxlen);
    KV("keep_last", "%d", c->keep_last);
    KV("vocab_size", "%d", m->V);
    KV("num_labels", "%d", c->task == RNNKIT_TASK_CLASSIFY ? m->K : 0);
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
    if (sqlite3_prepare_v2(db, "INSERT INTO tensors(name, dtype, shape, data, fnv1a64) VALUES(?, 'f32', ?, ?, ?)",
                           -1, &s, NULL))
        return db_error(err, db, path, "writing tensors");
    for (int i = 0; i < m->params.nviews; i++) {
        const rnnkit_param_view *v = &m->params.views[i];
        if (v->ndim == 2)
            snprintf(buf, sizeof buf, "%" PRId64 "x%" PRId64, v->shape[0], v->shape[1]);
        else
            snprintf(buf, sizeof buf, "%" PRId64, v->shape[0]);
        sqlite3_bind_text(s, 1, v->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, buf, -1, SQLITE_TRANSIENT);
        if ((st = put_blob(db, path, s, 3, m->params.value + v->offset, v->numel, err))) {
            sqlite3_finalize(s);
            return st;
        }
    }
    sqlite3_finalize(s);
    if (ts) {
        if (ts->optim && ts->optim->n == m->params.count && ts->optim->m) {
            if (sqlite3_prepare_v2(db, "INSERT INTO optim_state(name, data, fnv1a64) VALUES(?, ?, ?)", -1, &s, NULL))
                return db_error(err, db, path, "writing optimiser state");
            sqlite3_bind_text(s, 1, "m", -1, SQLITE_STATIC);
            st = put_blob(db, path, s, 2, ts->optim->m, ts->optim->n, err);
            if (!st && ts->optim->v) {
                sqlite3_bind_text(s, 1, "v", -1, SQLITE_STATIC);
                st = put_blob(db, path, s, 2, ts->optim->v, ts->optim->n, err);
            }
            sqlite3_finalize(s);
            if (st)
                return st;
            snprintf(buf, sizeof buf, "%" PRId64, ts->optim->step);
            if ((st = put_kv(db, path, "train_state", "optim_step", buf, err)))
                return st;
        }
        snprintf(buf, sizeof buf, "%" PRId64, ts->step);
        if ((st = put_kv(db, path, "train_state", "step", buf, err)))
            return st;
        snprintf(buf, sizeof buf, "%d", ts->epoch);
        if ((st = put_kv(db, path, "train_state", "epoch", buf, err)))
            return st;
        snprintf(buf, sizeof buf, "%.17g", ts->best_metric);
        if ((st = put_kv(db, path, "train_state", "best_metric", buf, err)))
            return st;
        for (int i = 0; i < 4; i++) {
            char key[16];
            snprintf(key, sizeof key, "rng%d", i);
            snprintf(buf, sizeof buf, "%" PRIu64, ts->rng.s[i]);
            if ((st = put_kv(db, path, "train_state", key, buf, err)))
                return st;
        }
        if (ts->nlog > 0) {
            if (sqlite3_prepare_v2(db, "INSERT INTO training_log VALUES(?, ?, ?, ?, ?, ?, ?, ?)", -1, &s, NULL))
                return db_error(err, db, path, "writing the training log");
            for (int i = 0; i < ts->nlog; i++) {
                const rnnkit_log_row *r = &ts->log[i];
                double vals[6] = {r->train_loss, r->train_acc, r->valid_loss, r->valid_acc, r->seconds, r->lr};
                sqlite3_bind_int(s, 1, r->epoch);
                sqlite3_bind_int64(s, 2, r->step);
                for (int j = 0; j < 6; j++) {
                    if (isfinite(vals[j]))
                        sqlite3_bind_double(s, 3 + j, vals[j]);
                    else
                        sqlite3_bind_null(s, 3 + j);
                }
                if (sqlite3_step(s) != SQLITE_DONE) {
                    sqlite3_finalize(s);
                    return db_error(err, db, path, "writing the training log");
                }
                sqlite3_reset(s);
            }
            sqlite3_finalize(s);
        }
    }
    if ((st = rnnkit_vocab_save_db(m->vocab, db, err)))
        return st;
    return exec(db, path, "COMMIT", err);
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

rnnkit_status rnnkit_model_save(const rnnkit_model *m, const char *path,
                                const rnnkit_train_state *state, rnnkit_error *err)
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
    close(fd);
    sqlite3 *db = NULL;
    rnnkit_status st = RNNKIT_OK;
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        st = db_error(err, db, path, "cannot write");
    if (!st)
        st = write_model(db, path, m, state, err);
    if (db && sqlite3_close(db) != SQLITE_OK && !st)
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: closing failed", path);
    if (!st) {
        fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0)
            st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot flush to disk: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    if (!st && rename(tmp, path) != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot replace: %s", path, strerror(errno));
    if (st)
        unlink(tmp);
    else
        fsync_dir_of(path);
    free(tmp);
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
        (st = meta_int(db, path, "num_labels", 0, 1000000, &nlabels, err)) ||
        (st = meta_float(db, path, "dropout", 0, 0.999999, &c.dropout, err)) ||
        (st = meta_float(db, path, "embed_dropout", 0, 0.999999, &c.embed_dropout, err)) ||
        (st = meta_float(db, path, "forget_bias", -100, 100, &c.forget_bias, err)))
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
    for (int i = 0; i < m->params.nviews; i++) {
        const rnnkit_param_view *pv = &m->params.views[i];
        char shape[64];
        if (pv->ndim == 2)
            snprintf(shape, sizeof shape, "%" PRId64 "x%" PRId64, pv->shape[0], pv->shape[1]);
        else
            snprintf(shape, sizeof shape, "%" PRId64, pv->shape[0]);
        sqlite3_bind_text(s, 1, pv->name, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_ROW) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' is missing", path, pv->name);
            goto done;
        }
        const unsigned char *dt = sqlite3_column_text(s, 0), *sh = sqlite3_column_text(s, 1);
        if (!dt || strcmp((const char *)dt, "f32")) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' has dtype '%s', expected f32", path,
                                  pv->name, dt ? (const char *)dt : "");
            goto done;
        }
        if (!sh || strcmp((const char *)sh, shape)) {
            st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE, "%s: tensor '%s' has shape %s, the configuration needs %s",
                                  path, pv->name, sh ? (const char *)sh : "?", shape);
            goto done;
        }
        if ((st = read_blob(s, 2, 3, path, pv->name, m->params.value + pv->offset, pv->numel, 1, err)))
            goto done;
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tensors", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) != m->params.nviews) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: %d tensors stored, the configuration has %d", path,
                              sqlite3_column_int(s, 0), m->params.nviews);
        goto done;
    }
    /* The embedding's padding row must be zero. */
    for (int e = 0; e < c.embed; e++)
        if (m->params.value[m->emb.off + (size_t)e] != 0.0f) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor 'embedding.weight': padding row 0 is not zero",
                                  path);
            goto done;
        }
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
