/*
 * tests/support.c: set-up the cmocka tests share (see tests/support.h): the
 * scratch directory of a test program, files in it, a vocabulary counted
 * from one string, a model, model files that must not load. Built once, as a static library that
 * tests/CMakeLists.txt links into every test program.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "support.h"

/* ------------------------------------------------------------------------ */
/* The scratch directory */

static char tmpdir[SUPPORT_TMPDIR_MAX];

int support_tmpdir_open(const char *pattern)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", pattern);
    return mkdtemp(tmpdir) ? 0 : -1;
}

int support_teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

const char *support_tmpdir(void)
{
    return tmpdir;
}

const char *support_tmp(const char *name)
{
    static char buf[4][320];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* ------------------------------------------------------------------------ */
/* Files */

const char *support_write(const char *name, const char *content)
{
    const char *path = support_tmp(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

void support_copy_file(const char *from, const char *to)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

void support_exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

unsigned char *support_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: cannot open", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    unsigned char *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

int support_count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += !strncmp(e->d_name, prefix, strlen(prefix));
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Vocabularies and models */

rnnkit_vocab *support_vocab(rnnkit_level level, const char *text, const char *where)
{
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, level);
    rnnkit_vocab_builder *b = NULL;
    rnnkit_vocab *v = NULL;
    assert_int_equal(rnnkit_vocab_builder_new(&cfg, &b, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_vocab_builder_add(b, text, strlen(text), where, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_vocab_builder_finish(b, 1, 0, &v, NULL), RNNKIT_OK);
    rnnkit_vocab_builder_free(b);
    return v;
}

rnnkit_model *support_model(const rnnkit_model_config *c, rnnkit_vocab *vocab, const char *const *labels,
                            int nlabels, uint64_t seed)
{
    rnnkit_model *m = NULL;
    rnnkit_error err;
    if (rnnkit_model_create(c, vocab, labels, nlabels, seed, &m, &err))
        fail_msg("%s", err.msg);
    return m;
}

void support_expect_load_error(const char *path, rnnkit_status want, const char *needle)
{
    rnnkit_model *m = NULL;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_status st = rnnkit_model_load(path, -1, &m, &err);
    assert_null(m);
    if (st != want || !strstr(err.msg, needle))
        fail_msg("want status %d with '%s', got %d: %s", want, needle, st, err.msg);
}

void support_expect_tampered(const char *good, const char *sql, rnnkit_status want, const char *needle)
{
    support_copy_file(support_tmp(good), support_tmp("tampered.db"));
    support_exec_sql(support_tmp("tampered.db"), sql);
    support_expect_load_error(support_tmp("tampered.db"), want, needle);
}

size_t support_encode_repeated(rnnkit_vocab *v, const char *text, int32_t *ids, size_t cap)
{
    size_t k = 0;
    while (k + 64 < cap) {
        size_t got = 0;
        assert_int_equal(rnnkit_vocab_encode(v, text, strlen(text), NULL, ids + k, cap - k, 0, &got, NULL), RNNKIT_OK);
        k += got;
    }
    return k;
}
