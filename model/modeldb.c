/*
 * model/modeldb.c: SQLite plumbing of model files (see model/modeldb.h).
 * Every function names the file in its errors; blobs (little-endian f32,
 * or bytes) carry a checksum (core/hash.h) verified on every read; a file is opened for
 * reading only after its header, format key and schema version are checked.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "model/modeldb.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model/modeldb.c stores tensors as native floats: add byte swapping for this platform"
#endif

rnnkit_status rnnkit__db_error(rnnkit_error *err, sqlite3 *db, const char *path, const char *what)
{
    return rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: %s: %s", path, what,
                            db ? sqlite3_errmsg(db) : "cannot open");
}

rnnkit_status rnnkit__db_exec(sqlite3 *db, const char *path, const char *sql, rnnkit_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rnnkit_status st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: %s", path, msg ? msg : "SQLite error");
        sqlite3_free(msg);
        return st;
    }
    return RNNKIT_OK;
}

rnnkit_status rnnkit__db_prepare_on(sqlite3 *db, const char *path, const char *sql, const char *table,
                                    const char *key, const char *what, sqlite3_stmt **s, rnnkit_error *err)
{
    char text[256];
    int n = snprintf(text, sizeof text, sql, table);
    *s = NULL;
    if (n < 0 || (size_t)n >= sizeof text)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: %s: statement too long", path, what);
    if (sqlite3_prepare_v2(db, text, -1, s, NULL) != SQLITE_OK)
        return rnnkit__db_error(err, db, path, what);
    sqlite3_bind_text(*s, 1, key, -1, SQLITE_STATIC);
    return RNNKIT_OK;
}

rnnkit_status rnnkit__db_put_kv(sqlite3 *db, const char *path, const char *table, const char *key,
                            const char *value, rnnkit_error *err)
{
    sqlite3_stmt *s = NULL;
    rnnkit_status pst = rnnkit__db_prepare_on(db, path, "INSERT OR REPLACE INTO %s(key, value) VALUES(?, ?)", table,
                                              key, "writing configuration", &s, err);
    if (pst)
        return pst;
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? RNNKIT_OK : rnnkit__db_error(err, db, path, "writing configuration");
}

rnnkit_status rnnkit__db_put_bytes(sqlite3 *db, const char *path, sqlite3_stmt *s, int first, const void *data,
                                   size_t nbytes, rnnkit_error *err)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, rnnkit__fnv1a64(data, nbytes));
    sqlite3_bind_blob64(s, first, data, (sqlite3_uint64)nbytes, SQLITE_STATIC);
    sqlite3_bind_text(s, first + 1, hex, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? RNNKIT_OK : rnnkit__db_error(err, db, path, "writing a tensor");
}

rnnkit_status rnnkit__db_put_blob(sqlite3 *db, const char *path, sqlite3_stmt *s, int first,
                              const float *data, size_t n, rnnkit_error *err)
{
    return rnnkit__db_put_bytes(db, path, s, first, data, n * sizeof(float), err);
}

rnnkit_status rnnkit__db_read_bytes(sqlite3_stmt *s, int col, int hcol, const char *path, const char *what,
                                    void *dst, size_t nbytes, rnnkit_error *err)
{
    const void *data = sqlite3_column_blob(s, col);
    sqlite3_int64 bytes = sqlite3_column_bytes(s, col);
    const unsigned char *hex = sqlite3_column_text(s, hcol);
    if ((size_t)bytes != nbytes || (!data && nbytes))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT,
                                "%s: tensor '%s' holds %lld bytes, expected %zu (truncated or wrong shape)",
                                path, what, (long long)bytes, nbytes);
    char want[17];
    snprintf(want, sizeof want, "%016" PRIx64, rnnkit__fnv1a64(data, (size_t)bytes));
    if (!hex || strcmp((const char *)hex, want) != 0)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' fails its checksum (tampered or damaged)",
                                path, what);
    if (nbytes)
        memcpy(dst, data, nbytes);
    return RNNKIT_OK;
}

rnnkit_status rnnkit__db_check_finite(const char *path, const char *what, const float *x, size_t n,
                                      rnnkit_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: tensor '%s' holds NaN or Inf at index %zu", path,
                                    what, i);
    return RNNKIT_OK;
}

rnnkit_status rnnkit__db_read_blob(sqlite3_stmt *s, int col, int hcol, const char *path, const char *what,
                               float *dst, size_t n, int check_finite, rnnkit_error *err)
{
    rnnkit_status st = rnnkit__db_read_bytes(s, col, hcol, path, what, dst, n * sizeof(float), err);
    if (!st && check_finite)
        st = rnnkit__db_check_finite(path, what, dst, n, err);
    return st;
}

int rnnkit__db_has_column(sqlite3 *db, const char *table, const char *column)
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

int rnnkit__db_get_meta(sqlite3 *db, const char *key, char *out, size_t cap)
{
    char *v = NULL;
    const int found = rnnkit__db_get_meta_dup(db, key, &v);
    if (found == 1)
        snprintf(out, cap, "%s", v);
    free(v);
    return found == 1;
}

int rnnkit__db_get_meta_dup(sqlite3 *db, const char *key, char **out)
{
    sqlite3_stmt *s = NULL;
    int found = 0;
    *out = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM model_meta WHERE key = ?", -1, &s, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        found = t && (*out = strdup(t)) ? 1 : -1;
    }
    sqlite3_finalize(s);
    return found;
}

int rnnkit__db_has_table(sqlite3 *db, const char *table)
{
    sqlite3_stmt *s = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
        found = sqlite3_step(s) == SQLITE_ROW;
    }
    sqlite3_finalize(s);
    return found;
}

rnnkit_status rnnkit__modeldb_open(const char *path, sqlite3 **out, rnnkit_error *err)
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
        rnnkit_status st = rnnkit__db_error(err, db, path, "cannot open");
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
        rnnkit_status st = rnnkit__db_error(err, db, path, "not readable as a database");
        sqlite3_close(db);
        return st;
    }
    char fmt[32];
    if (!has_meta || !rnnkit__db_get_meta(db, "format", fmt, sizeof fmt) || strcmp(fmt, "rnnkit-model") != 0) {
        sqlite3_close(db);
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT,
                                "%s: a SQLite file but not an rnnkit model (no model configuration)", path);
    }
    if (version > RNNKIT__MODEL_SCHEMA_VERSION) {
        sqlite3_close(db);
        return rnnkit_error_set(err, RNNKIT_ERR_VERSION,
                                "%s: model schema version %d is newer than this rnnkit reads (%d); upgrade rnnkit",
                                path, version, RNNKIT__MODEL_SCHEMA_VERSION);
    }
    *out = db;
    return RNNKIT_OK;
}

const char *rnnkit__member_name(char *buf, size_t cap, int k, const char *name)
{
    if (k == 0)
        return name;
    snprintf(buf, cap, "member%d.%s", k, name);
    return buf;
}
