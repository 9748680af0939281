/*
 * model/modelfile.c: a model in one SQLite file: rnnkit_model_save,
 * rnnkit_model_load, and the model tables the checkpoints write too.
 *
 * The schema, every key and every tensor name is docs/model-format.md; the
 * configuration keys are model/config_keys.c's table. Saving writes a new
 * file beside the target and renames it over (core/atomic.h). Loading
 * treats the file as untrusted: every key is bounded, every tensor must be
 * present with its exact dtype, shape and checksum, and nothing else may be
 * there. A forecaster's file has no vocabulary tables and no labels; its
 * spec is in model_meta with the other keys (model/spec_keys.c). A
 * classifier's file may hold its weight matrices as int8 instead
 * (model/int8file.c encodes and decodes those tensors; such a file has no
 * training tables and loads with int8 prediction on).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/atomic.h"
#include "model/config_keys.h"
#include "model/modelfile.h"
#include "tokenizer/vocab_internal.h"

/* ---------------------------------------------------------------------- */
/* Saving */

/* The model tables, then those of training (not in an int8 file). */
static const char schema_sql[] =
    "CREATE TABLE model_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE labels(id INTEGER PRIMARY KEY, label TEXT NOT NULL);"
    "CREATE TABLE tensors(name TEXT PRIMARY KEY, dtype TEXT NOT NULL, shape TEXT NOT NULL,"
    " data BLOB NOT NULL, fnv1a64 TEXT NOT NULL);";
static const char training_schema_sql[] =
    "CREATE TABLE optim_state(name TEXT PRIMARY KEY, data BLOB NOT NULL, fnv1a64 TEXT NOT NULL);"
    "CREATE TABLE train_state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE training_log(epoch INTEGER, step INTEGER, train_loss REAL, train_acc REAL,"
    " valid_loss REAL, valid_acc REAL, seconds REAL, lr REAL, member INTEGER);"
    "CREATE TABLE checkpoint(name TEXT PRIMARY KEY, data BLOB NOT NULL, fnv1a64 TEXT NOT NULL);";

static rnnkit_status write_meta(sqlite3 *db, const char *path, const rnnkit_model *m, rnnkit_error *err)
{
    rnnkit_status st = RNNKIT_OK;
    rnnkit__meta_kv kv[RNNKIT__META_MAX];
    int n = rnnkit__model_meta(m, "rnnkit-model", kv);
    if (n < 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory for the configuration", path);
    for (int i = 0; i < n && !st; i++)
        st = rnnkit__db_put_kv(db, path, "model_meta", kv[i].key, rnnkit__meta_value(&kv[i]), err);
    rnnkit__model_meta_free(kv);
    return st;
}

static rnnkit_status write_header(sqlite3 *db, const char *path, const rnnkit_model *m, rnnkit_error *err)
{
    rnnkit_status st;
    if ((st = write_meta(db, path, m, err)))
        return st;
    sqlite3_stmt *s = NULL;
    if (m->cfg.task == RNNKIT_TASK_CLASSIFY) {
        if (sqlite3_prepare_v2(db, "INSERT INTO labels(id, label) VALUES(?, ?)", -1, &s, NULL))
            return rnnkit__db_error(err, db, path, "writing labels");
        for (int k = 0; k < m->K; k++) {
            sqlite3_bind_int(s, 1, k);
            sqlite3_bind_text(s, 2, m->labels[k], -1, SQLITE_STATIC);
            if (sqlite3_step(s) != SQLITE_DONE) {
                sqlite3_finalize(s);
                return rnnkit__db_error(err, db, path, "writing labels");
            }
            sqlite3_reset(s);
        }
        sqlite3_finalize(s);
    }
    /* a forecaster reads numbers: no vocabulary tables at all */
    return m->vocab ? rnnkit__vocab_save_db(m->vocab, db, err) : RNNKIT_OK;
}

void rnnkit__modelfile_shape(const rnnkit__param_view *v, char *buf, size_t cap)
{
    if (v->ndim == 2)
        snprintf(buf, cap, "%" PRId64 "x%" PRId64, v->shape[0], v->shape[1]);
    else
        snprintf(buf, cap, "%" PRId64, v->shape[0]);
}

rnnkit_status rnnkit__modelfile_put_tensor(sqlite3 *db, const char *path, const char *name, const char *dtype,
                                           const char *shape, const void *data, size_t nbytes, rnnkit_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO tensors(name, dtype, shape, data, fnv1a64) VALUES(?, ?, ?, ?, ?)", -1,
                           &s, NULL))
        return rnnkit__db_error(err, db, path, "writing tensors");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, dtype, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, shape, -1, SQLITE_STATIC);
    rnnkit_status st = rnnkit__db_put_bytes(db, path, s, 4, data, nbytes, err);
    sqlite3_finalize(s);
    return st;
}

/* While an ensemble trains, predictions use the members trained so far:
 * model_meta's members_ready (an ensemble's file only). */
static rnnkit_status put_ready(sqlite3 *db, const char *path, const rnnkit_model *m, int ready, rnnkit_error *err)
{
    if (m->members <= 1)
        return RNNKIT_OK;
    char v[16];
    snprintf(v, sizeof v, "%d", ready);
    return rnnkit__db_put_kv(db, path, "model_meta", "members_ready", v, err);
}

rnnkit_status rnnkit__modelfile_put_tensors(sqlite3 *db, const char *path, const rnnkit_model *m,
                                            const float *weights, int ready, rnnkit_error *err)
{
    rnnkit_status st = RNNKIT_OK;
    char name[160], shape[64];
    for (int k = 0; k < m->members && !st; k++) {
        const float *w = k == m->cur ? weights : m->mw[k];
        for (int i = 0; i < m->params.nviews && !st; i++) {
            const rnnkit__param_view *v = &m->params.views[i];
            rnnkit__modelfile_shape(v, shape, sizeof shape);
            st = rnnkit__modelfile_put_tensor(db, path, rnnkit__member_name(name, sizeof name, k, v->name), "f32",
                                              shape, w + v->offset, v->numel * sizeof(float), err);
        }
    }
    return st ? st : put_ready(db, path, m, ready, err);
}

/* The tensors: f32, or an int8 file's (model/int8file.c). */
static rnnkit_status write_tensors(sqlite3 *db, const char *path, const rnnkit_model *m, const float *weights,
                                   int ready, int int8, rnnkit_error *err)
{
    if (!int8)
        return rnnkit__modelfile_put_tensors(db, path, m, weights, ready, err);
    rnnkit_status st = rnnkit__int8file_put(db, path, m, err);
    return st ? st : put_ready(db, path, m, ready, err);
}

static rnnkit_status fill_file(sqlite3 *db, const char *path, const rnnkit_model *m, const float *weights, int ready,
                               int flags, rnnkit__modelfile_fill fill, void *ctx, rnnkit_error *err)
{
    rnnkit_status st;
    char sql[96];
    const int int8 = (flags & RNNKIT__MODELFILE_INT8) != 0;
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;", RNNKIT__MODEL_APP_ID,
             RNNKIT__MODEL_SCHEMA_VERSION);
    if ((st = rnnkit__db_exec(db, path, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", err)) ||
        (st = rnnkit__db_exec(db, path, sql, err)) || (st = rnnkit__db_exec(db, path, "BEGIN", err)) ||
        (st = rnnkit__db_exec(db, path, schema_sql, err)) ||
        (!int8 && (st = rnnkit__db_exec(db, path, training_schema_sql, err))))
        return st;
    if ((st = write_header(db, path, m, err)) || (st = write_tensors(db, path, m, weights, ready, int8, err)) ||
        (fill && (st = fill(db, path, ctx, err))) || (st = rnnkit__db_exec(db, path, "COMMIT", err))) {
        rnnkit__db_exec(db, path, "ROLLBACK", NULL);
        return st;
    }
    return RNNKIT_OK;
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

rnnkit_status rnnkit__modelfile_create(const char *path, const rnnkit_model *m, const float *weights, int ready,
                                       int flags, rnnkit__modelfile_fill fill, void *ctx, rnnkit_error *err)
{
    rnnkit__atomic out;
    rnnkit_status st = rnnkit__atomic_open_file(&out, path, "a model file (SQLite)", err);
    if (st)
        return st;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(out.tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        st = rnnkit__db_error(err, db, path, "cannot write");
    if (!st)
        st = fill_file(db, path, m, weights, ready, flags, fill, ctx, err);
    if (!st && (flags & RNNKIT__MODELFILE_WAL))
        st = rnnkit__db_exec(db, path, "PRAGMA journal_mode=WAL", err);
    if (db && sqlite3_close(db) != SQLITE_OK && !st)
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: closing failed", path);
    if (st) {
        rnnkit__atomic_discard(&out);
        return st;
    }
    remove_stale_journal(out.target); /* beside the file itself when path is a symbolic link */
    return rnnkit__atomic_commit(&out, err);
}

rnnkit_status rnnkit_model_save(const rnnkit_model *m, const char *path, rnnkit_error *err)
{
    /* a model from an int8 file stays one: its int8 values come back exactly (model/int8file.c) */
    return rnnkit__modelfile_create(path, m, m->params.value, m->ready, m->quantized ? RNNKIT__MODELFILE_INT8 : 0, NULL,
                                    NULL, err);
}

/* ---------------------------------------------------------------------- */
/* Loading */

static rnnkit_status meta_invalid(const char *path, const char *key, const char *value, const char *expect,
                                  rnnkit_error *err)
{
    return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration '%s' = '%s' is invalid (expected %s)",
                            path, key, value, expect);
}

static rnnkit_status meta_int(const char *path, const char *key, const char *value, int lo, int hi, int *out,
                              rnnkit_error *err)
{
    char *end;
    long x = strtol(value, &end, 10);
    if (end == value || *end || x < lo || x > hi) {
        char expect[64];
        snprintf(expect, sizeof expect, "an integer in [%d, %d]", lo, hi);
        return meta_invalid(path, key, value, expect, err);
    }
    *out = (int)x;
    return RNNKIT_OK;
}

/* The value of key `name` (malloc'd into *v): RNNKIT_OK, or RNNKIT_ERR_EMPTY
 * when absent (no message), RNNKIT_ERR_NOMEM. */
static rnnkit_status get_meta(sqlite3 *db, const char *path, const char *name, char **v, rnnkit_error *err)
{
    int r = rnnkit__db_get_meta_dup(db, name, v);
    return r > 0 ? RNNKIT_OK
         : r < 0 ? rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory reading '%s'", path, name)
                 : RNNKIT_ERR_EMPTY;
}

/* One key of the table into c (or vocab_size / nlabels, or the spec). */
static rnnkit_status read_key(const char *path, const rnnkit__config_key *k, const char *v, rnnkit_model_config *c,
                              rnnkit_forecast_spec *spec, rnnkit__spec_seen *seen, int *vocab_size, int *nlabels,
                              rnnkit_error *err)
{
    char expect[96];
    double x;
    int bad;
    if (k->flags & RNNKIT__KEY_SPEC) {
        if ((bad = rnnkit__spec_key_parse(k, v, spec, seen)) < 0)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory reading '%s'", path, k->name);
    } else if (!(bad = rnnkit__config_key_parse(k, v, &x))) {
        if (k->offset >= 0)
            rnnkit__config_key_store(k, c, x);
        else
            *(!strcmp(k->name, "vocab_size") ? vocab_size : nlabels) = (int)x;
    }
    if (!bad)
        return RNNKIT_OK;
    rnnkit__config_key_expect(k, expect, sizeof expect);
    return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration '%s' = '%.80s%s' is invalid "
                            "(expected %s)", path, k->name, v, strlen(v) > 80 ? "..." : "", expect);
}

/* The configuration in model_meta, every key of model/config_keys.c's table
 * checked against its bounds; vocab_size and num_labels go to their own
 * outputs, a forecaster's spec keys to spec. The task comes first: a file
 * holds the keys of its task and no other. Keys a file may lack (written
 * before they existed) keep the classifier defaults' values (a
 * forecaster's: its own). */
static rnnkit_status read_config(sqlite3 *db, const char *path, rnnkit_model_config *c, rnnkit_forecast_spec *spec,
                                 int *vocab_size, int *nlabels, rnnkit_error *err)
{
    char *v = NULL;
    const rnnkit__config_key *tk = rnnkit__config_key_find("task");
    rnnkit_status st = get_meta(db, path, "task", &v, err);
    if (st == RNNKIT_ERR_EMPTY)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration lacks 'task'", path);
    if (!st)
        st = read_key(path, tk, v, c, spec, NULL, vocab_size, nlabels, err);
    free(v);
    if (st)
        return st;
    const rnnkit_task task = c->task;
    rnnkit_model_config_default(c, task == RNNKIT_TASK_FORECAST ? task : RNNKIT_TASK_CLASSIFY);
    c->task = task;
    c->members = 1;
    memset(spec, 0, sizeof *spec);
    rnnkit__spec_seen seen = RNNKIT__SPEC_SEEN_NONE;
    int nkeys;
    const rnnkit__config_key *keys = rnnkit__config_keys(&nkeys);
    for (int i = 0; i < nkeys && !st; i++) {
        const rnnkit__config_key *k = &keys[i];
        st = get_meta(db, path, k->name, &v, err);
        if (st == RNNKIT_ERR_EMPTY) {
            st = RNNKIT_OK;
            if (!(k->flags & RNNKIT__KEY_OPTIONAL) && rnnkit__config_key_for_task(k, task))
                st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration lacks '%s'", path, k->name);
        } else if (!st && !rnnkit__config_key_for_task(k, task)) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration '%s' is not a key of a %s", path,
                                  k->name, rnnkit_task_noun(task));
        } else if (!st) {
            st = read_key(path, k, v, c, spec, &seen, vocab_size, nlabels, err);
        }
        free(v);
        v = NULL;
    }
    if (st)
        return st;
    char why[192];
    if (task == RNNKIT_TASK_FORECAST && rnnkit__spec_check(spec, c->inputs, &seen, why, sizeof why))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: model configuration: %s", path, why);
    if (task == RNNKIT_TASK_FORECAST && c->members != 1) {
        char m[16];
        snprintf(m, sizeof m, "%d", c->members);
        return meta_invalid(path, "members", m, "1 for a forecaster", err);
    }
    return RNNKIT_OK;
}

/* A forecaster's file holds no vocabulary tables and no labels. */
static rnnkit_status check_no_text(sqlite3 *db, const char *path, rnnkit_error *err)
{
    static const char *const tables[] = {"vocab_config", "tokens", "sources"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (rnnkit__db_has_table(db, tables[i]))
            return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: a forecaster has no vocabulary, but the file "
                                    "holds table '%s'", path, tables[i]);
    sqlite3_stmt *s = NULL;
    int labels = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM labels", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        labels = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (labels)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: a forecaster has no labels, but the file holds %d",
                                path, labels);
    return RNNKIT_OK;
}

/* The classifier's labels [nlabels] (malloc'd strings in a malloc'd array,
 * NULL entries after a failure; the caller frees them). */
static rnnkit_status read_labels(sqlite3 *db, const char *path, int nlabels, char ***out, rnnkit_error *err)
{
    if (nlabels < 2)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: a classifier with %d labels", path, nlabels);
    char **labels = *out = calloc((size_t)nlabels, sizeof *labels);
    if (!labels)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, label FROM labels ORDER BY id", -1, &s, NULL) != SQLITE_OK)
        return rnnkit__db_error(err, db, path, "reading labels");
    rnnkit_status st = RNNKIT_OK;
    int k = 0;
    while (!st && sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 1);
        if (k >= nlabels || sqlite3_column_int64(s, 0) != k || !t)
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: labels table is inconsistent at id %d", path, k);
        else if (!(labels[k++] = strdup((const char *)t)))
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    sqlite3_finalize(s);
    if (!st && k != nlabels)
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: %d labels stored, configuration says %d", path, k,
                              nlabels);
    return st;
}

rnnkit_status rnnkit__modelfile_get_tensor(sqlite3 *db, const char *path, const char *name, const char *dtype,
                                           const char *shape, void *dst, size_t nbytes, rnnkit_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT dtype, shape, data, fnv1a64 FROM tensors WHERE name = ?", -1, &s, NULL))
        return rnnkit__db_error(err, db, path, "reading tensors");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rnnkit_status st;
    if (sqlite3_step(s) != SQLITE_ROW) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' is missing", path, name);
    } else {
        const unsigned char *dt = sqlite3_column_text(s, 0), *sh = sqlite3_column_text(s, 1);
        if (!dt || strcmp((const char *)dt, dtype))
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' has dtype '%.32s', expected %s", path,
                                  name, dt ? (const char *)dt : "", dtype);
        else if (!sh || strcmp((const char *)sh, shape))
            st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE, "%s: tensor '%s' has shape %.64s, the configuration needs %s",
                                  path, name, sh ? (const char *)sh : "?", shape);
        else
            st = rnnkit__db_read_bytes(s, 2, 3, path, name, dst, nbytes, err);
    }
    sqlite3_finalize(s);
    return st;
}

/* Every tensor of every member must be there with its exact dtype, shape
 * and checksum, and nothing else (int8: each weight matrix as int8 values
 * and scales, model/int8file.c); the embedding's padding rows must be zero. */
static rnnkit_status read_tensors(sqlite3 *db, const char *path, rnnkit_model *m, int int8, rnnkit_error *err)
{
    rnnkit_status st = RNNKIT_OK;
    char name[160], shape[64];
    int matrices = 0; /* an int8 file stores two tensors for each */
    for (int i = 0; i < m->params.nviews; i++)
        matrices += m->params.views[i].ndim == 2;
    for (int k = 0; k < m->members && !st; k++)
        for (int i = 0; i < m->params.nviews && !st; i++) {
            const rnnkit__param_view *pv = &m->params.views[i];
            const char *tn = rnnkit__member_name(name, sizeof name, k, pv->name);
            float *dst = m->mw[k] + pv->offset;
            if (int8 && pv->ndim == 2) {
                st = rnnkit__int8file_get(db, path, tn, pv, dst, err);
                continue;
            }
            rnnkit__modelfile_shape(pv, shape, sizeof shape);
            st = rnnkit__modelfile_get_tensor(db, path, tn, "f32", shape, dst, pv->numel * sizeof(float), err);
            if (!st)
                st = rnnkit__db_check_finite(path, tn, dst, pv->numel, err);
        }
    if (st)
        return st;
    sqlite3_stmt *s = NULL;
    const int want = (m->params.nviews + (int8 ? matrices : 0)) * m->members;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tensors", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) != want)
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: %d tensors stored, the configuration has %d", path,
                              sqlite3_column_int(s, 0), want);
    sqlite3_finalize(s);
    for (int k = 0; k < m->members && !st; k++)
        for (int e = 0; e < m->cfg.embed && !st; e++)
            if (m->mw[k][m->emb.off + (size_t)e] != 0.0f)
                st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s': padding row 0 is not zero", path,
                                      rnnkit__member_name(name, sizeof name, k, "embedding.weight"));
    return st;
}

/* The model of a forecaster's file: no vocabulary, the spec as stored. */
static rnnkit_status create_forecaster(sqlite3 *db, const char *path, const rnnkit_model_config *c,
                                       const rnnkit_forecast_spec *spec, rnnkit_model **m, rnnkit_error *err)
{
    rnnkit_status st = check_no_text(db, path, err);
    if (!st && (st = rnnkit_model_create(c, NULL, NULL, 0, 0, m, err)) == RNNKIT_OK)
        st = rnnkit_model_set_forecast_spec(*m, spec, err);
    if (st && st != RNNKIT_ERR_CORRUPT) {
        rnnkit_error_prefix(err, "%s", path);
        if (st == RNNKIT_ERR_ARG) { /* bounds the file's keys passed but the model refuses */
            st = RNNKIT_ERR_CORRUPT;
            if (err)
                err->status = st;
        }
    }
    return st;
}

rnnkit_status rnnkit_model_load(const char *path, int expect_task, rnnkit_model **out,
                                rnnkit_error *err)
{
    *out = NULL;
    sqlite3 *db = NULL;
    rnnkit_status st = rnnkit__modeldb_open(path, &db, err);
    if (st)
        return st;
    rnnkit_model *m = NULL;
    rnnkit_vocab *vocab = NULL;
    char **labels = NULL;
    int nlabels = 0;
    rnnkit_model_config c;
    rnnkit_forecast_spec *spec = malloc(sizeof *spec);
    int vocab_size = 0, ready = 1;
    if (!spec) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    if ((st = read_config(db, path, &c, spec, &vocab_size, &nlabels, err)))
        goto done;
    if (expect_task >= 0 && (int)c.task != expect_task) {
        st = rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: this is a %s model; use `rnnkit %s`", path,
                              rnnkit_task_noun(c.task), rnnkit_task_name(c.task));
        goto done;
    }
    int int8 = 0; /* the weight matrices are int8 (model/int8file.c) */
    if ((st = rnnkit__int8file_key(db, path, (int)c.task, &int8, err)))
        goto done;
    if (c.task == RNNKIT_TASK_FORECAST) {
        if (!(st = create_forecaster(db, path, &c, spec, &m, err)))
            st = read_tensors(db, path, m, 0, err);
        goto done;
    }
    ready = c.members;
    char v[64];
    if (rnnkit__db_get_meta(db, "members_ready", v, sizeof v) &&
        (st = meta_int(path, "members_ready", v, 1, c.members, &ready, err)))
        goto done;
    if (c.task == RNNKIT_TASK_CLASSIFY && (st = read_labels(db, path, nlabels, &labels, err)))
        goto done;
    if ((st = rnnkit__vocab_load_db(db, path, &vocab, err)))
        goto done;
    if (rnnkit_vocab_size(vocab) != vocab_size) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: vocabulary holds %lld ids, configuration says %d", path,
                              (long long)rnnkit_vocab_size(vocab), vocab_size);
        goto done; /* freed below */
    }
    st = rnnkit_model_create(&c, vocab, (const char *const *)labels, nlabels, 0, &m, err);
    vocab = NULL; /* owned by the model now, even on failure */
    if (st) {
        rnnkit_error_prefix(err, "%s", path);
        goto done;
    }
    if ((st = read_tensors(db, path, m, int8, err)))
        goto done;
    m->ready = ready;
    if (int8)
        st = rnnkit__int8file_adopt(m, path, err);
done:
    sqlite3_close(db);
    free(spec);
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
