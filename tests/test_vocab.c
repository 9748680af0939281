/*
 * tests/test_vocab.c: counting, id order (ties by bytes, whatever the input
 * order), min_count / max_size, the SQLite file (round trip, living beside a
 * model's tables, the bad-file cases), encoding into a caller's buffer, and
 * parity with Keras's pad_sequences and Tokenizer on the fixtures written by
 * tests/reference/make_keras_fixtures.py.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rnnkit/vocab.h"
#include "tokenizer/vocab_internal.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("test_vocab_XXXXXX"); /* removed by support_teardown */
}

static void path_in_scratch(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", support_tmpdir(), name);
}

static rnnkit_vocab *build_with(const rnnkit_tok_config *cfg, const char *const *docs, size_t n,
                                int64_t min_count, int64_t max_size)
{
    rnnkit_vocab_builder *b = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_vocab_builder_new(cfg, &b, &err), RNNKIT_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rnnkit_vocab_builder_add(b, docs[i], strlen(docs[i]), "doc", &err), RNNKIT_OK);
    rnnkit_vocab *v = NULL;
    assert_int_equal(rnnkit_vocab_builder_finish(b, min_count, max_size, &v, &err), RNNKIT_OK);
    rnnkit_vocab_builder_free(b);
    return v;
}

static rnnkit_vocab *build(const char *const *docs, size_t n, int64_t min_count, int64_t max_size)
{
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    return build_with(&cfg, docs, n, min_count, max_size);
}

static void assert_token(const rnnkit_vocab *v, int64_t id, const char *want)
{
    size_t len = 0;
    const char *t = rnnkit_vocab_token(v, id, &len);
    assert_non_null(t);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(t, want, len);
}

/* ---------------------------------------------------------------------- */

static void test_ids_are_by_count_then_bytes_whatever_the_input_order(void **state)
{
    (void)state;
    /* counts: the 3, b 2, a 2, c 2, zz 1, y 1 */
    static const char *const fwd[] = {"the b a c", "the zz y", "the c b a"};
    static const char *const rev[] = {"a b c the", "y zz the", "a b c the"};
    rnnkit_vocab *v1 = build(fwd, 3, 1, 0), *v2 = build(rev, 3, 1, 0);
    static const char *const want[] = {"<pad>", "<unk>", "the", "a", "b", "c", "y", "zz"};
    assert_int_equal(rnnkit_vocab_size(v1), 8);
    assert_int_equal(rnnkit_vocab_size(v2), 8);
    for (int64_t id = 0; id < 8; id++) {
        assert_token(v1, id, want[id]);
        assert_token(v2, id, want[id]);
    }
    assert_int_equal(rnnkit_vocab_count(v1, 2), 3);
    assert_int_equal(rnnkit_vocab_doc_count(v1, 2), 3);
    assert_int_equal(rnnkit_vocab_lookup(v1, "c", 1), 5);
    assert_int_equal(rnnkit_vocab_lookup(v1, "nope", 4), RNNKIT_UNK_ID);
    assert_int_equal(rnnkit_vocab_lookup(v1, "<pad>", 5), RNNKIT_UNK_ID);
    assert_null(rnnkit_vocab_token(v1, 8, NULL));
    assert_null(rnnkit_vocab_token(v1, -1, NULL));
    rnnkit_vocab_free(v1);
    rnnkit_vocab_free(v2);
}

static void test_max_size_counts_the_reserved_ids_and_min_count_drops_rare_tokens(void **state)
{
    (void)state;
    static const char *const docs[] = {"a a a b b c d"};
    rnnkit_vocab *v = build(docs, 1, 1, 4);
    assert_int_equal(rnnkit_vocab_size(v), 4); /* <pad> <unk> a b */
    assert_token(v, 3, "b");
    rnnkit_vocab_free(v);
    v = build(docs, 1, 2, 0);
    assert_int_equal(rnnkit_vocab_size(v), 4); /* c and d seen once */
    assert_int_equal(rnnkit_vocab_lookup(v, "c", 1), RNNKIT_UNK_ID);
    assert_int_equal(rnnkit_vocab_total_tokens(v), 7);
    rnnkit_vocab_free(v);
}

static void test_an_empty_corpus_gives_only_the_reserved_ids(void **state)
{
    (void)state;
    static const char *const docs[] = {"", "   \n"};
    rnnkit_vocab *v = build(docs, 2, 1, 0);
    assert_int_equal(rnnkit_vocab_size(v), 2);
    assert_token(v, 0, "<pad>");
    assert_token(v, 1, "<unk>");
    assert_int_equal(rnnkit_vocab_total_tokens(v), 0);
    rnnkit_vocab_free(v);
}

static void test_encode_fills_the_callers_buffer_and_reports_the_full_count(void **state)
{
    (void)state;
    static const char *const docs[] = {"one two three two"};
    rnnkit_vocab *v = build(docs, 1, 1, 0); /* two=2 one=3 three=4 */
    rnnkit_error err;
    int32_t ids[8];
    size_t n = 0;
    const char *text = "One two THREE four";
    assert_int_equal(rnnkit_vocab_encode(v, text, strlen(text), NULL, ids, 8, 0, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 4);
    int32_t want[4] = {3, 2, 4, RNNKIT_UNK_ID};
    assert_memory_equal(ids, want, sizeof want);
    /* cap 2, first two kept */
    assert_int_equal(rnnkit_vocab_encode(v, text, strlen(text), NULL, ids, 2, 0, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 4);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[1], 2);
    /* cap 3, last three kept in order (Keras truncating='pre') */
    assert_int_equal(rnnkit_vocab_encode(v, text, strlen(text), NULL, ids, 3, 1, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 4);
    int32_t last[3] = {2, 4, RNNKIT_UNK_ID};
    assert_memory_equal(ids, last, sizeof last);
    rnnkit_vocab_free(v);
}

/* ---------------------------------------------------------------------- */
/* The SQLite file */

static void test_a_written_vocabulary_reads_back_the_same(void **state)
{
    (void)state;
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_CHAR);
    cfg.normalize = RNNKIT_NORM_NFC;
    rnnkit_vocab_builder *b = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_vocab_builder_new(&cfg, &b, &err), RNNKIT_OK);
    const char *text = "Hello\nworld\n";
    assert_int_equal(rnnkit_vocab_builder_add(b, text, strlen(text), "t", &err), RNNKIT_OK);
    rnnkit_vocab *v = NULL;
    assert_int_equal(rnnkit_vocab_builder_finish(b, 1, 0, &v, &err), RNNKIT_OK);
    rnnkit_vocab_builder_free(b);
    char path[128];
    path_in_scratch(path, sizeof path, "v.db");
    assert_int_equal(rnnkit_vocab_write_file(v, path, &err), RNNKIT_OK);
    rnnkit_vocab *w = NULL;
    assert_int_equal(rnnkit_vocab_open(path, &w, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_vocab_size(w), rnnkit_vocab_size(v));
    for (int64_t id = 0; id < rnnkit_vocab_size(v); id++) {
        size_t a, c;
        const char *s = rnnkit_vocab_token(v, id, &a), *t = rnnkit_vocab_token(w, id, &c);
        assert_int_equal(a, c);
        assert_memory_equal(s, t, a);
        assert_int_equal(rnnkit_vocab_count(v, id), rnnkit_vocab_count(w, id));
    }
    const rnnkit_tok_config *wc = rnnkit_vocab_config(w);
    assert_int_equal(wc->level, RNNKIT_LEVEL_CHAR);
    assert_int_equal(wc->normalize, RNNKIT_NORM_NFC);
    assert_false(wc->lowercase);
    /* the file's rules encode: char level, case kept */
    int32_t ids[4];
    size_t n;
    assert_int_equal(rnnkit_vocab_encode(w, "lo\n", 3, NULL, ids, 4, 0, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[2], rnnkit_vocab_lookup(w, "\n", 1));
    assert_int_not_equal(ids[2], RNNKIT_UNK_ID);
    rnnkit_vocab_free(w);
    rnnkit_vocab_free(v);
}

static int exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* cjk_bigrams is part of the file's rules: stored, read back, applied by
 * encode; a file written before the setting existed (no key) reads as off. */
static void test_cjk_bigrams_are_stored_and_older_files_read_as_off(void **state)
{
    (void)state;
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    cfg.cjk_bigrams = 1;
    rnnkit_error err;
    const char *text = "\xE9\x85\x92\xE5\xBA\x97"; /* 酒店 */
    rnnkit_vocab *v = build_with(&cfg, &text, 1, 1, 0);
    assert_int_equal(rnnkit_vocab_size(v), 5); /* <pad> <unk> 酒 酒店 店 */
    char path[128];
    path_in_scratch(path, sizeof path, "bigrams.db");
    assert_int_equal(rnnkit_vocab_write_file(v, path, &err), RNNKIT_OK);
    rnnkit_vocab *w = NULL;
    assert_int_equal(rnnkit_vocab_open(path, &w, &err), RNNKIT_OK);
    assert_true(rnnkit_vocab_config(w)->cjk_bigrams);
    int32_t ids[4];
    size_t n;
    assert_int_equal(rnnkit_vocab_encode(w, text, strlen(text), NULL, ids, 4, 0, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[1], rnnkit_vocab_lookup(w, text, 6));
    rnnkit_vocab_free(w);
    assert_int_equal(exec_sql(path, "DELETE FROM vocab_config WHERE key = 'cjk_bigrams'"), SQLITE_OK);
    assert_int_equal(rnnkit_vocab_open(path, &w, &err), RNNKIT_OK);
    assert_false(rnnkit_vocab_config(w)->cjk_bigrams);
    assert_int_equal(rnnkit_vocab_encode(w, text, strlen(text), NULL, ids, 4, 0, &n, &err), RNNKIT_OK);
    assert_int_equal(n, 2);
    rnnkit_vocab_free(w);
    rnnkit_vocab_free(v);
}

/* The value of `key` in the file's vocab_config into out: SQLITE_ROW, or the
 * SQLite code when there is none. */
static int config_value(const char *path, const char *key, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT value FROM vocab_config WHERE key = ?", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rc;
}

/* split_clitics is part of the file's rules too: stored, read back, applied
 * by encode (raw and Penn Treebank spellings give the same ids); a file
 * without the key reads as off. */
static void test_split_clitics_are_stored_and_older_files_read_as_off(void **state)
{
    (void)state;
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    cfg.split_clitics = 1;
    rnnkit_error err;
    const char *const docs[] = {"don't", "do n't"};
    rnnkit_vocab *v = build_with(&cfg, docs, 2, 1, 0);
    assert_int_equal(rnnkit_vocab_size(v), 4); /* <pad> <unk> do n't */
    char path[128];
    path_in_scratch(path, sizeof path, "clitics.db");
    assert_int_equal(rnnkit_vocab_write_file(v, path, &err), RNNKIT_OK);
    rnnkit_vocab *w = NULL;
    assert_int_equal(rnnkit_vocab_open(path, &w, &err), RNNKIT_OK);
    assert_true(rnnkit_vocab_config(w)->split_clitics);
    assert_false(rnnkit_vocab_config(w)->cjk_bigrams);
    int32_t a[4], b[4];
    size_t na, nb;
    const char *raw = "Don\xE2\x80\x99t", *ptb = "do n't";
    assert_int_equal(rnnkit_vocab_encode(w, raw, strlen(raw), NULL, a, 4, 0, &na, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_vocab_encode(w, ptb, strlen(ptb), NULL, b, 4, 0, &nb, &err), RNNKIT_OK);
    assert_int_equal(na, 2);
    assert_int_equal(nb, 2);
    assert_memory_equal(a, b, 2 * sizeof a[0]);
    assert_int_equal(a[1], rnnkit_vocab_lookup(w, "n't", 3));
    rnnkit_vocab_free(w);
    assert_int_equal(exec_sql(path, "DELETE FROM vocab_config WHERE key = 'split_clitics'"), SQLITE_OK);
    assert_int_equal(rnnkit_vocab_open(path, &w, &err), RNNKIT_OK);
    assert_false(rnnkit_vocab_config(w)->split_clitics);
    assert_int_equal(rnnkit_vocab_encode(w, "don't", 5, NULL, a, 4, 0, &na, &err), RNNKIT_OK);
    assert_int_equal(na, 1);
    assert_int_equal(a[0], RNNKIT_UNK_ID); /* "don't" whole, which this vocabulary never counted */
    rnnkit_vocab_free(w);
    rnnkit_vocab_free(v);
}

/* A vocabulary without split_clitics says so in its file (0), and the
 * tokenizer.json export refuses one with it (its pre-tokenizer cannot). */
static void test_split_clitics_off_is_written_and_hf_export_refuses_on(void **state)
{
    (void)state;
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    rnnkit_error err;
    const char *text = "it's";
    rnnkit_vocab *v = build_with(&cfg, &text, 1, 1, 0);
    char path[128];
    path_in_scratch(path, sizeof path, "noclitics.db");
    assert_int_equal(rnnkit_vocab_write_file(v, path, &err), RNNKIT_OK);
    rnnkit_vocab *w = NULL;
    assert_int_equal(rnnkit_vocab_open(path, &w, &err), RNNKIT_OK);
    assert_false(rnnkit_vocab_config(w)->split_clitics);
    rnnkit_vocab_free(w);
    char value[8] = "";
    assert_int_equal(config_value(path, "split_clitics", value, sizeof value), SQLITE_ROW);
    assert_string_equal(value, "0");
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    assert_int_equal(rnnkit_vocab_export(v, RNNKIT_VOCAB_HF, devnull, &err), RNNKIT_OK);
    rnnkit_vocab_free(v);
    cfg.split_clitics = 1;
    v = build_with(&cfg, &text, 1, 1, 0);
    assert_int_equal(rnnkit_vocab_export(v, RNNKIT_VOCAB_HF, devnull, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "split_clitics"));
    assert_int_equal(rnnkit_vocab_export(v, RNNKIT_VOCAB_KERAS, devnull, &err), RNNKIT_OK);
    fclose(devnull);
    rnnkit_vocab_free(v);
}

static void test_save_db_leaves_a_models_other_tables_and_user_version_alone(void **state)
{
    (void)state;
    static const char *const docs[] = {"x y y"};
    rnnkit_vocab *v = build(docs, 1, 1, 0);
    char path[128];
    path_in_scratch(path, sizeof path, "model.db");
    assert_int_equal(exec_sql(path, "PRAGMA user_version=7; CREATE TABLE tensors(name TEXT, data BLOB);"
                                    "INSERT INTO tensors VALUES('w', x'00');"),
                     SQLITE_OK);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    rnnkit_error err;
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(rnnkit__vocab_save_db(v, db, &err), RNNKIT_OK);
    assert_int_equal(rnnkit__vocab_save_db(v, db, &err), RNNKIT_OK); /* replaces, no duplicates */
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM tensors), (SELECT count(*) FROM tokens),"
                                            " (SELECT value FROM vocab_config WHERE key='schema_version')",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 1);
    assert_int_equal(sqlite3_column_int(s, 1), 4);
    assert_string_equal((const char *)sqlite3_column_text(s, 2), "1");
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 7);
    sqlite3_finalize(s);
    rnnkit_vocab *w = NULL;
    assert_int_equal(rnnkit__vocab_load_db(db, path, &w, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_vocab_size(w), 4);
    assert_token(w, 2, "y");
    rnnkit_vocab_free(w);
    sqlite3_close(db);
    rnnkit_vocab_free(v);
}

static void test_bad_vocabulary_files_are_one_line_errors(void **state)
{
    (void)state;
    char missing[128], notdb[128], empty_db[128], newer[128], newer_cfg[128];
    path_in_scratch(missing, sizeof missing, "missing.db");
    path_in_scratch(notdb, sizeof notdb, "text.db");
    path_in_scratch(empty_db, sizeof empty_db, "other.db");
    path_in_scratch(newer, sizeof newer, "newer.db");
    path_in_scratch(newer_cfg, sizeof newer_cfg, "newer_cfg.db");
    FILE *f = fopen(notdb, "w");
    assert_non_null(f);
    fputs("this is not a database, just some text that is long enough\n", f);
    fclose(f);
    assert_int_equal(exec_sql(empty_db, "CREATE TABLE t(x)"), SQLITE_OK);
    static const char *const docs[] = {"a b"};
    rnnkit_vocab *v = build(docs, 1, 1, 0);
    rnnkit_error err;
    assert_int_equal(rnnkit_vocab_write_file(v, newer, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_vocab_write_file(v, newer_cfg, &err), RNNKIT_OK);
    rnnkit_vocab_free(v);
    assert_int_equal(exec_sql(newer, "PRAGMA user_version=99"), SQLITE_OK);
    assert_int_equal(exec_sql(newer_cfg, "UPDATE vocab_config SET value='99' WHERE key='schema_version'"),
                     SQLITE_OK);
    const struct {
        const char *path;
        rnnkit_status want;
    } bad[] = {{missing, RNNKIT_ERR_IO},          {".", RNNKIT_ERR_IO},
               {notdb, RNNKIT_ERR_FORMAT},        {empty_db, RNNKIT_ERR_FORMAT},
               {newer, RNNKIT_ERR_VERSION},       {newer_cfg, RNNKIT_ERR_VERSION}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rnnkit_vocab *w = (rnnkit_vocab *)&err; /* must be reset to NULL */
        rnnkit_status st = rnnkit_vocab_open(bad[i].path, &w, &err);
        if (st != bad[i].want)
            print_error("%s: status %d (%s), want %d\n", bad[i].path, st, err.msg, bad[i].want);
        assert_int_equal(st, bad[i].want);
        assert_null(w);
        assert_non_null(strstr(err.msg, bad[i].path));
        assert_null(strchr(err.msg, '\n'));
    }
}

static void test_a_failed_write_leaves_the_old_file_and_no_temporary(void **state)
{
    (void)state;
    static const char *const docs[] = {"a b"};
    rnnkit_vocab *v = build(docs, 1, 1, 0);
    rnnkit_error err;
    char path[160];
    path_in_scratch(path, sizeof path, "nodir/v.db");
    assert_int_equal(rnnkit_vocab_write_file(v, path, &err), RNNKIT_ERR_IO);
    assert_non_null(strstr(err.msg, "nodir/v.db"));
    rnnkit_vocab_free(v);
}

/* ---------------------------------------------------------------------- */
/* Keras parity */

static FILE *open_fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/reference/keras/%s", RNNKIT_SOURCE_DIR, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    return f;
}

/* Parses up to `cap` integers of `s`; returns how many. */
static size_t parse_ints(const char *s, int32_t *out, size_t cap)
{
    size_t n = 0;
    char *end;
    for (;;) {
        long v = strtol(s, &end, 10);
        if (end == s)
            return n;
        assert_true(n < cap);
        out[n++] = (int32_t)v;
        s = end;
    }
}

static void test_pad_batch_matches_keras_pad_sequences(void **state)
{
    (void)state;
    FILE *f = open_fixture("pad_sequences.txt");
    char line[1024];
    int32_t seq[8][16];
    size_t lens[8], nseq = 0, ncases = 0;
    const int32_t *ptrs[8];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (!strncmp(line, "seq ", 4) || !strcmp(line, "seq\n")) {
            assert_true(nseq < 8);
            lens[nseq] = parse_ints(line + 3, seq[nseq], 16);
            ptrs[nseq] = seq[nseq];
            nseq++;
            continue;
        }
        int maxlen, value;
        char padding[8], truncating[8];
        assert_int_equal(sscanf(line, "case %d %7s %7s %d", &maxlen, padding, truncating, &value), 4);
        int32_t got[8 * 16], want[16];
        rnnkit_pad_batch(ptrs, lens, nseq, (size_t)maxlen, !strcmp(padding, "pre"), !strcmp(truncating, "pre"),
                         value, got, NULL);
        for (size_t i = 0; i < nseq; i++) {
            assert_non_null(fgets(line, sizeof line, f));
            assert_int_equal(parse_ints(line, want, 16), (size_t)maxlen);
            if (memcmp(got + i * (size_t)maxlen, want, (size_t)maxlen * sizeof(int32_t)))
                fail_msg("maxlen %d padding %s truncating %s value %d: row %zu differs from Keras", maxlen,
                         padding, truncating, value, i);
        }
        ncases++;
    }
    fclose(f);
    assert_int_equal(ncases, 32);
}

static void test_ids_agree_with_keras_tokenizer_on_lowercase_ascii_words(void **state)
{
    (void)state;
    FILE *f = open_fixture("tokenizer.txt");
    char line[1024];
    char *texts[256];
    size_t ntexts = 0, nindex = 0, nseq = 0;
    rnnkit_vocab *full = NULL, *capped = NULL;
    rnnkit_error err;
    int num_words = -1;
    size_t probe = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#')
            continue;
        if (!strncmp(line, "text ", 5)) {
            assert_true(ntexts < 256);
            texts[ntexts] = strdup(line + 5);
            assert_non_null(texts[ntexts]);
            ntexts++;
        } else if (!strncmp(line, "index ", 6)) {
            if (!full)
                full = build((const char *const *)texts, ntexts, 1, 0);
            char word[64];
            long id;
            assert_int_equal(sscanf(line + 6, "%63s %ld", word, &id), 2);
            assert_int_equal(rnnkit_vocab_lookup(full, word, strlen(word)), id);
            nindex++;
        } else if (!strncmp(line, "num_words ", 10)) {
            num_words = atoi(line + 10);
            rnnkit_vocab_free(capped);
            /* Keras keeps ids < num_words: our max_size counts ids the same way */
            capped = build((const char *const *)texts, ntexts, 1, num_words);
            probe = 0;
        } else if (!strncmp(line, "seq", 3)) {
            assert_non_null(capped);
            const char *text = probe < ntexts ? texts[probe]
                                              : probe == ntexts ? "zzz unknownword " : "";
            char buf[256];
            if (probe == ntexts) { /* the probe line names the commonest word after two unknown ones */
                size_t l;
                const char *top = rnnkit_vocab_token(full, 2, &l);
                snprintf(buf, sizeof buf, "zzz unknownword %.*s", (int)l, top);
                text = buf;
            }
            int32_t want[64], got[64];
            size_t nw = parse_ints(line + 3, want, 64), ng = 0;
            assert_int_equal(rnnkit_vocab_encode(capped, text, strlen(text), NULL, got, 64, 0, &ng, &err),
                             RNNKIT_OK);
            if (ng != nw || memcmp(got, want, nw * sizeof(int32_t)))
                fail_msg("num_words %d, line %zu ('%s'): ids differ from Keras", num_words, probe, text);
            probe++;
            nseq++;
        }
    }
    fclose(f);
    assert_true(nindex > 20);
    assert_int_equal(nseq, 3 * (ntexts + 2));
    assert_int_equal(rnnkit_vocab_size(full), (int64_t)nindex + 2);
    for (size_t i = 0; i < ntexts; i++)
        free(texts[i]);
    rnnkit_vocab_free(full);
    rnnkit_vocab_free(capped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_are_by_count_then_bytes_whatever_the_input_order),
        cmocka_unit_test(test_max_size_counts_the_reserved_ids_and_min_count_drops_rare_tokens),
        cmocka_unit_test(test_an_empty_corpus_gives_only_the_reserved_ids),
        cmocka_unit_test(test_encode_fills_the_callers_buffer_and_reports_the_full_count),
        cmocka_unit_test(test_a_written_vocabulary_reads_back_the_same),
        cmocka_unit_test(test_cjk_bigrams_are_stored_and_older_files_read_as_off),
        cmocka_unit_test(test_split_clitics_are_stored_and_older_files_read_as_off),
        cmocka_unit_test(test_split_clitics_off_is_written_and_hf_export_refuses_on),
        cmocka_unit_test(test_save_db_leaves_a_models_other_tables_and_user_version_alone),
        cmocka_unit_test(test_bad_vocabulary_files_are_one_line_errors),
        cmocka_unit_test(test_a_failed_write_leaves_the_old_file_and_no_temporary),
        cmocka_unit_test(test_pad_batch_matches_keras_pad_sequences),
        cmocka_unit_test(test_ids_agree_with_keras_tokenizer_on_lowercase_ascii_words),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
