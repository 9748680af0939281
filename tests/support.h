/*
 * tests/support.h: set-up the cmocka tests share (tests/support.c). It holds
 *   - the scratch directory of a test program: made by the group setup from
 *     a mkdtemp template, removed (rm -rf) by the group teardown, and paths
 *     inside it;
 *   - files in that directory: written from a string, read whole, copied,
 *     changed through SQLite, counted;
 *   - a vocabulary counted from one string, and a model made with it;
 *   - model files that must fail to load, with the reason expected.
 * Every helper checks what it does with cmocka's assertions, so a failure
 * fails the test that called it. Nothing here holds a test's data (texts,
 * configurations, seeds): those stay in the test files, beside what they
 * prove.
 */
#ifndef RNNKIT_TESTS_SUPPORT_H
#define RNNKIT_TESTS_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/model.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

/* ------------------------------------------------------------------------ */
/* The scratch directory */

/* The most bytes a scratch directory's path takes, its NUL included. */
#define SUPPORT_TMPDIR_MAX 256

/* Makes the scratch directory from `pattern` (a path ending in XXXXXX, as
 * mkdtemp wants; relative ones are made in the working directory). For a
 * group setup: 0 on success, -1 on failure. */
int support_tmpdir_open(const char *pattern);

/* cmocka group teardown: removes the scratch directory and all in it
 * (0 on success, -1 on failure). */
int support_teardown(void **state);

/* The scratch directory's path, as made by support_tmpdir_open. */
const char *support_tmpdir(void);

/* "<scratch>/<name>" in one of 4 static buffers used in turn: a result stays
 * valid until the 4th call after it. */
const char *support_tmp(const char *name);

/* ------------------------------------------------------------------------ */
/* Files */

/* Writes `content` (its bytes up to the NUL) to support_tmp(name) and
 * returns that path (valid as support_tmp's). */
const char *support_write(const char *name, const char *content);

/* Copies the file `from` to `to` (cp). */
void support_copy_file(const char *from, const char *to);

/* Runs `sql` on the SQLite file `path`; fails the test, naming the
 * statement and SQLite's message, if it does not run. */
void support_exec_sql(const char *path, const char *sql);

/* The bytes of the file `path` (malloc'd, one more byte allocated than *n;
 * the caller frees them); their count in *n. */
unsigned char *support_read_file(const char *path, size_t *n);

/* How many entries of the directory `dir` have a name starting with
 * `prefix` (to see that no temporary file was left behind). */
int support_count_entries(const char *dir, const char *prefix);

/* ------------------------------------------------------------------------ */
/* Vocabularies and models */

/* The vocabulary of the one document `text` at `level` (the default
 * tokenizer configuration, min_count 1, no size cap); `where` names the
 * document in error messages (may be NULL). The caller owns the result (or
 * hands it to rnnkit_model_create). */
rnnkit_vocab *support_vocab(rnnkit_level level, const char *text, const char *where);

/* rnnkit_model_load of `path` (any task) must fail with status `want`, no
 * model, and a message holding `needle`. */
void support_expect_load_error(const char *path, rnnkit_status want, const char *needle);

/* A copy of support_tmp(good), support_tmp("tampered.db"), changed by `sql`
 * must fail to load as support_expect_load_error says. */
void support_expect_tampered(const char *good, const char *sql, rnnkit_status want, const char *needle);

/* rnnkit_model_create(c, vocab, labels, nlabels, seed) (which takes `vocab`,
 * also on failure); a failure fails the test with the library's message. */
rnnkit_model *support_model(const rnnkit_model_config *c, rnnkit_vocab *vocab, const char *const *labels,
                            int nlabels, uint64_t seed);

/* `text` encoded with v over and over into ids[0..cap), whole copies only,
 * stopping while a copy of up to 64 ids would still fit; returns the count. */
size_t support_encode_repeated(rnnkit_vocab *v, const char *text, int32_t *ids, size_t cap);

#endif
