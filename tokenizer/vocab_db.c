/*
 * tokenizer/vocab_db.c: a vocabulary's SQLite tables (vocab_config, tokens,
 * sources; described once in docs/tokenizer.md, "Schema") inside an open
 * database, and the vocabulary file: opening one (its SQLite header checked
 * first) and writing one atomically through core/atomic.h.
 *
 * Invariant: what rnnkit__vocab_save_db writes, rnnkit__vocab_load_db reads
 * back id for id, count for count.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/atomic.h"
#include "tokenizer/vocab_impl.h"
#include "tokenizer/vocab_internal.h"

#define VOCAB_SCHEMA_VERSION 1
#define VOCAB_APP_ID 0x524e4b56


static const char *level_name(rnnkit_level l) { return l == RNNKIT_LEVEL_CHAR ? "char" : "word"; }
static const char *norm_name(rnnkit_norm n)
{
    return n == RNNKIT_NORM_NFKC ? "nfkc" : n == RNNKIT_NORM_NFC ? "nfc" : "none";
}
static const char *invalid_name(rnnkit_invalid i)
{
    return i == RNNKIT_INVALID_REPLACE ? "replace" : i == RNNKIT_INVALID_SKIP ? "skip" : "error";
}

static rnnkit_status sql_fail(sqlite3 *db, const char *what, rnnkit_error *err)
{
    return rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: %s", what, sqlite3_errmsg(db));
}

rnnkit_status rnnkit__vocab_save_db(const rnnkit_vocab *v, sqlite3 *db, rnnkit_error *err)
{
    static const char ddl[] =
        "CREATE TABLE IF NOT EXISTS vocab_config(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS tokens(id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE,"
        " count INTEGER NOT NULL, doc_count INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS sources(path TEXT NOT NULL, bytes INTEGER, lines INTEGER, fnv1a64 TEXT);"
        "DELETE FROM vocab_config; DELETE FROM tokens; DELETE FROM sources;";
    if (sqlite3_exec(db, ddl, NULL, NULL, NULL) != SQLITE_OK)
        return sql_fail(db, "writing the vocabulary tables", err);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO vocab_config(key, value) VALUES(?, ?)", -1, &s, NULL))
        return sql_fail(db, "writing the vocabulary configuration", err);
    char buf[9][32];
    snprintf(buf[0], 32, "%d", VOCAB_SCHEMA_VERSION);
    snprintf(buf[1], 32, "%d", v->cfg.lowercase);
    snprintf(buf[2], 32, "%d", v->cfg.drop_punct);
    snprintf(buf[3], 32, "%" PRId64, v->total);
    snprintf(buf[4], 32, "%" PRId64, v->documents);
    snprintf(buf[5], 32, "%" PRId64, v->min_count);
    snprintf(buf[6], 32, "%" PRId64, v->max_size);
    snprintf(buf[7], 32, "%d", v->cfg.cjk_bigrams);
    snprintf(buf[8], 32, "%d", v->cfg.split_clitics);
    const char *kv[][2] = {{"schema_version", buf[0]},      {"level", level_name(v->cfg.level)},
                           {"normalize", norm_name(v->cfg.normalize)}, {"lowercase", buf[1]},
                           {"drop_punct", buf[2]},          {"invalid", invalid_name(v->cfg.invalid)},
                           {"utf8proc_version", v->utf8proc_version}, {"unicode_version", v->unicode_version},
                           {"total_tokens", buf[3]},        {"documents", buf[4]},
                           {"min_count", buf[5]},           {"max_size", buf[6]},
                           {"cjk_bigrams", buf[7]},         {"split_clitics", buf[8]}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        sqlite3_bind_text(s, 1, kv[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, kv[i][1], -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return sql_fail(db, "writing the vocabulary configuration", err);
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db, "INSERT INTO tokens(id, token, count, doc_count) VALUES(?, ?, ?, ?)", -1, &s, NULL))
        return sql_fail(db, "writing tokens", err);
    for (size_t i = 0; i < v->t.n; i++) {
        const entry *e = &v->t.e[i];
        sqlite3_bind_int64(s, 1, (sqlite3_int64)i);
        sqlite3_bind_text(s, 2, v->t.arena + e->off, (int)e->len, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, e->count);
        sqlite3_bind_int64(s, 4, e->docs);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return sql_fail(db, "writing tokens", err);
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db, "INSERT INTO sources(path, bytes, lines, fnv1a64) VALUES(?, ?, ?, ?)", -1, &s, NULL))
        return sql_fail(db, "writing sources", err);
    for (size_t i = 0; i < v->nsrc; i++) {
        sqlite3_bind_text(s, 1, v->src[i].path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, v->src[i].bytes);
        sqlite3_bind_int64(s, 3, v->src[i].lines);
        sqlite3_bind_text(s, 4, v->src[i].hash, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return sql_fail(db, "writing sources", err);
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return RNNKIT_OK;
}

static int get_cfg(sqlite3 *db, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *s = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM vocab_config WHERE key = ?", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
            ok = 1;
        }
    }
    sqlite3_finalize(s);
    return ok;
}

rnnkit_status rnnkit__vocab_load_db(sqlite3 *db, const char *path, rnnkit_vocab **out, rnnkit_error *err)
{
    *out = NULL;
    sqlite3_stmt *s = NULL;
    int has = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN"
                               " ('vocab_config','tokens','sources')", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        has = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (has != 3)
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: a SQLite file but not an rnnkit vocabulary (no vocabulary tables)",
                                path);
    char val[64];
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    if (!get_cfg(db, "schema_version", val, sizeof val))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: vocabulary configuration lacks schema_version", path);
    long ver = strtol(val, NULL, 10);
    if (ver > VOCAB_SCHEMA_VERSION)
        return rnnkit_error_set(err, RNNKIT_ERR_VERSION,
                                "%s: vocabulary schema version %ld is newer than this rnnkit reads (%d); upgrade rnnkit",
                                path, ver, VOCAB_SCHEMA_VERSION);
    if (ver < 1)
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: vocabulary schema version '%s' is invalid", path, val);
    char lv[16] = "", nm[16] = "", lc[16] = "", dp[16] = "", iv[16] = "";
    if (!get_cfg(db, "level", lv, sizeof lv) || !get_cfg(db, "normalize", nm, sizeof nm) ||
        !get_cfg(db, "lowercase", lc, sizeof lc) || !get_cfg(db, "drop_punct", dp, sizeof dp) ||
        !get_cfg(db, "invalid", iv, sizeof iv))
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: vocabulary configuration is incomplete", path);
    if (!strcmp(lv, "word"))
        cfg.level = RNNKIT_LEVEL_WORD;
    else if (!strcmp(lv, "char"))
        cfg.level = RNNKIT_LEVEL_CHAR;
    else
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: vocabulary level '%s' is unknown", path, lv);
    if (!strcmp(nm, "nfkc"))
        cfg.normalize = RNNKIT_NORM_NFKC;
    else if (!strcmp(nm, "nfc"))
        cfg.normalize = RNNKIT_NORM_NFC;
    else if (!strcmp(nm, "none"))
        cfg.normalize = RNNKIT_NORM_NONE;
    else
        return rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: vocabulary normalisation '%s' is unknown", path, nm);
    cfg.lowercase = !strcmp(lc, "1");
    cfg.drop_punct = !strcmp(dp, "1");
    cfg.cjk_bigrams = get_cfg(db, "cjk_bigrams", val, sizeof val) && !strcmp(val, "1");
    cfg.split_clitics = get_cfg(db, "split_clitics", val, sizeof val) && !strcmp(val, "1");
    cfg.invalid = !strcmp(iv, "replace") ? RNNKIT_INVALID_REPLACE : !strcmp(iv, "skip") ? RNNKIT_INVALID_SKIP
                                                                                       : RNNKIT_INVALID_ERROR;
    rnnkit_vocab *v = rnnkit__vocab_alloc(&cfg);
    if (!v)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    if (get_cfg(db, "utf8proc_version", val, sizeof val))
        snprintf(v->utf8proc_version, sizeof v->utf8proc_version, "%s", val);
    if (get_cfg(db, "unicode_version", val, sizeof val))
        snprintf(v->unicode_version, sizeof v->unicode_version, "%s", val);
    if (get_cfg(db, "total_tokens", val, sizeof val))
        v->total = strtoll(val, NULL, 10);
    if (get_cfg(db, "documents", val, sizeof val))
        v->documents = strtoll(val, NULL, 10);
    if (get_cfg(db, "min_count", val, sizeof val))
        v->min_count = strtoll(val, NULL, 10);
    if (get_cfg(db, "max_size", val, sizeof val))
        v->max_size = strtoll(val, NULL, 10);
    rnnkit_status st = RNNKIT_OK;
    if (sqlite3_prepare_v2(db, "SELECT id, token, count, doc_count FROM tokens ORDER BY id", -1, &s, NULL)) {
        st = sql_fail(db, path, err);
        goto fail;
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        const char *tok = (const char *)sqlite3_column_text(s, 1);
        int len = sqlite3_column_bytes(s, 1);
        if ((size_t)id != v->t.n || !tok) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: token ids are not contiguous at id %lld", path,
                                  (long long)v->t.n);
            goto fail;
        }
        if ((id == 0 && strcmp(tok, "<pad>")) || (id == 1 && strcmp(tok, "<unk>"))) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: reserved id %lld is '%s', expected '%s'", path,
                                  (long long)id, tok, id ? "<unk>" : "<pad>");
            goto fail;
        }
        if (rnnkit__vocab_push(v, tok, (size_t)len, sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3))) {
            st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: token %lld is a duplicate (or out of memory)", path,
                                  (long long)id);
            goto fail;
        }
    }
    if (rc != SQLITE_DONE) {
        st = sql_fail(db, path, err);
        goto fail;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (v->t.n < 2) {
        st = rnnkit_error_set(err, RNNKIT_ERR_CORRUPT, "%s: reserved ids <pad> (0) and <unk> (1) are missing", path);
        goto fail;
    }
    size_t capsrc = 0;
    if (sqlite3_prepare_v2(db, "SELECT path, bytes, lines, fnv1a64 FROM sources", -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            source x = {.path = (char *)(sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : ""),
                        .bytes = sqlite3_column_int64(s, 1), .lines = sqlite3_column_int64(s, 2)};
            snprintf(x.hash, sizeof x.hash, "%s",
                     sqlite3_column_text(s, 3) ? (const char *)sqlite3_column_text(s, 3) : "");
            if ((st = rnnkit__vocab_add_sources(&v->src, &v->nsrc, &capsrc, &x, 1, err)))
                goto fail;
        }
    }
    sqlite3_finalize(s);
    *out = v;
    return RNNKIT_OK;
fail:
    sqlite3_finalize(s);
    rnnkit_vocab_free(v);
    return st;
}

static rnnkit_status check_sqlite_header(const char *path, const char *what, rnnkit_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char head[16] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    int isdir = got == 0 && ferror(f);
    fclose(f);
    if (isdir)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot read (a directory?)", path);
    if (got < 16 || memcmp(head, "SQLite format 3", 16))
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: not an rnnkit %s (not a SQLite database)", path, what);
    return RNNKIT_OK;
}

rnnkit_status rnnkit_vocab_open(const char *path, rnnkit_vocab **out, rnnkit_error *err)
{
    *out = NULL;
    rnnkit_status st = check_sqlite_header(path, "vocabulary", err);
    if (st)
        return st;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return st;
    }
    sqlite3_stmt *s = NULL;
    int ver = -1, app = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        ver = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        app = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (ver < 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: not readable as a database: %s", path, sqlite3_errmsg(db));
    else if (app == VOCAB_APP_ID && ver > VOCAB_SCHEMA_VERSION)
        st = rnnkit_error_set(err, RNNKIT_ERR_VERSION,
                              "%s: vocabulary schema version %d is newer than this rnnkit reads (%d); upgrade rnnkit",
                              path, ver, VOCAB_SCHEMA_VERSION);
    else
        st = rnnkit__vocab_load_db(db, path, out, err); /* a model file holds a vocabulary too */
    sqlite3_close(db);
    return st;
}

rnnkit_status rnnkit_vocab_write_file(const rnnkit_vocab *v, const char *path, rnnkit_error *err)
{
    rnnkit__atomic out;
    rnnkit_status st = rnnkit__atomic_open_file(&out, path, "a vocabulary (SQLite)", err);
    if (st)
        return st;
    sqlite3 *db = NULL;
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA application_id=%d; PRAGMA user_version=%d; BEGIN;",
             VOCAB_APP_ID, VOCAB_SCHEMA_VERSION);
    if (sqlite3_open_v2(out.tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK)
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: cannot write: %s", path, db ? sqlite3_errmsg(db) : "?");
    if (!st && (st = rnnkit__vocab_save_db(v, db, err)))
        rnnkit_error_prefix(err, "%s", path);
    if (!st && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: cannot write: %s", path, sqlite3_errmsg(db));
    if (sqlite3_close(db) != SQLITE_OK && !st)
        st = rnnkit_error_set(err, RNNKIT_ERR_DB, "%s: closing failed", path);
    if (st) {
        rnnkit__atomic_discard(&out);
        return st;
    }
    return rnnkit__atomic_commit(&out, err);
}
