/*
 * tests/test_corpus.c: the corpus readers (TSV, fastText, folder per label,
 * plain text), their error messages, label indexing, the UTF-8 validator and
 * rnnkit_read_text_file.
 *
 * Fixtures: the committed files under corpora/data/ (found through
 * RNNKIT_SOURCE_DIR) and files written into a fresh temporary folder that
 * the group teardown removes.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "corpora/corpus_internal.h"
#include "rnnkit/corpus.h"

#define DATA RNNKIT_SOURCE_DIR "/corpora/data"

/* ------------------------------------------------------------- helpers */

/* The temporary folder of this run (set by the group setup). */
static char tmp_root[256];

static void tmp_path(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", tmp_root, name);
    assert_true(n > 0 && (size_t)n < cap);
}

/* Writes n bytes to tmp_root/name, creating the folders on the way. */
static void write_tmp(const char *name, const void *data, size_t n, char *path, size_t cap)
{
    tmp_path(path, cap, name);
    for (char *p = path + strlen(tmp_root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(path, 0700); /* may exist already */
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_tmp_str(const char *name, const char *s, char *path, size_t cap)
{
    write_tmp(name, s, strlen(s), path, cap);
}

static void remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char sub[1024];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                remove_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int group_setup(void **state)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/rnnkit_corpus_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmp_root) ? 0 : -1;
}

static int group_teardown(void **state)
{
    remove_tree(tmp_root);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static rnnkit_corpus *load_ok(const char *path, rnnkit_corpus_format f, int skip_bad, int labelled)
{
    rnnkit_corpus_options o = {f, skip_bad, labelled};
    rnnkit_corpus *c = NULL;
    rnnkit_error err;
    rnnkit_status st = rnnkit_corpus_load(path, &o, &c, &err);
    if (st != RNNKIT_OK)
        fail_msg("loading %s failed: %s", path, err.msg);
    assert_non_null(c);
    return c;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("message \"%s\" lacks \"%s\"", hay, needle);
}

/* ------------------------------------------------------- UTF-8 validator */

typedef struct utf8_case {
    const char *what;
    const char *bytes;
    size_t n;
    size_t bad_at; /* == n: valid */
} utf8_case;

#define U8(what, lit, bad) {what, lit, sizeof(lit) - 1, bad}
#define U8_OK(what, lit) {what, lit, sizeof(lit) - 1, sizeof(lit) - 1}

static const utf8_case utf8_cases[] = {
    U8_OK("empty", ""),
    U8_OK("ascii longer than a word", "abcdefghijklmnopqrstuvwxyz0123456789"),
    U8_OK("two-byte e acute", "caf\xC3\xA9"),
    U8_OK("three-byte CJK", "\xE4\xB8\xAD\xE6\x96\x87"),
    U8_OK("four-byte emoji", "\xF0\x9F\x98\x80"),
    U8_OK("U+10FFFF is the last code point", "\xF4\x8F\xBF\xBF"),
    U8_OK("U+D7FF just below the surrogates", "\xED\x9F\xBF"),
    U8_OK("U+E000 just above the surrogates", "\xEE\x80\x80"),
    U8_OK("ascii run then multibyte after 16", "0123456789abcdefgh\xC3\xA9"),
    U8("stray continuation", "ab\x80", 2),
    U8("overlong slash C0 AF", "x\xC0\xAF", 1),
    U8("overlong C1", "\xC1\xBF", 0),
    U8("overlong three-byte E0 80 AF", "abc\xE0\x80\xAF", 3),
    U8("overlong four-byte F0 80 80 AF", "\xF0\x80\x80\xAF", 0),
    U8("surrogate U+D800", "ok\xED\xA0\x80", 2),
    U8("surrogate U+DFFF", "\xED\xBF\xBF", 0),
    U8("above U+10FFFF (F4 90)", "\xF4\x90\x80\x80", 0),
    U8("lead byte F5", "\xF5\x80\x80\x80", 0),
    U8("byte FF", "0123456789abcdefghij\xFF", 20),
    U8("truncated two-byte at end", "abc\xC3", 3),
    U8("truncated four-byte at end", "\xF0\x9F\x98", 0),
    U8("bad second continuation", "\xE4\xB8" "A", 0),
    U8("bad third continuation", "\xF0\x9F\x98" "A", 0),
};

static void test_utf8_validator_accepts_well_formed_and_finds_first_bad_byte(void **state)
{
    for (size_t i = 0; i < sizeof utf8_cases / sizeof *utf8_cases; i++) {
        const utf8_case *t = &utf8_cases[i];
        /* exact-size copy so an overread shows under ASan */
        unsigned char *p = malloc(t->n ? t->n : 1);
        assert_non_null(p);
        memcpy(p, t->bytes, t->n);
        size_t got = rnnkit__utf8_invalid_at(p, t->n);
        free(p);
        if (got != t->bad_at)
            fail_msg("%s: expected %zu, got %zu", t->what, t->bad_at, got);
    }
}

static void test_blank_means_unicode_white_space_only(void **state)
{
    assert_true(rnnkit__utf8_is_blank((const unsigned char *)"", 0));
    assert_true(rnnkit__utf8_is_blank((const unsigned char *)" \t\r\v\f", 5));
    assert_true(rnnkit__utf8_is_blank((const unsigned char *)"\xE3\x80\x80\xC2\xA0", 5));
    assert_false(rnnkit__utf8_is_blank((const unsigned char *)" x ", 3));
    assert_false(rnnkit__utf8_is_blank((const unsigned char *)"\xE5\xA5\xBD", 3));
}

/* ------------------------------------------------------ bad input table */

typedef struct bad_case {
    const char *name;      /* file under the temp folder, or NULL: `committed` */
    const char *committed; /* file under corpora/data/bad/ */
    const char *content;   /* for temp files */
    size_t content_len;    /* 0: strlen(content) */
    rnnkit_corpus_format format;
    rnnkit_status status;
    const char *where;     /* "file:line:" expected in the message */
    const char *what;      /* another piece expected in the message */
} bad_case;

static const bad_case bad_cases[] = {
    {NULL, "bad_utf8.tsv", NULL, 0, RNNKIT_CORPUS_AUTO, RNNKIT_ERR_UTF8, "bad_utf8.tsv:3:",
     "byte offset 36"},
    {NULL, "nul.tsv", NULL, 0, RNNKIT_CORPUS_TSV, RNNKIT_ERR_FORMAT, "nul.tsv:2:",
     "NUL byte at byte offset 21"},
    {NULL, "no_tab.tsv", NULL, 0, RNNKIT_CORPUS_TSV, RNNKIT_ERR_FORMAT, "no_tab.tsv:2:", "no tab"},
    {NULL, "empty_label.tsv", NULL, 0, RNNKIT_CORPUS_TSV, RNNKIT_ERR_FORMAT, "empty_label.tsv:2:",
     "empty label"},
    {NULL, "empty_text.tsv", NULL, 0, RNNKIT_CORPUS_TSV, RNNKIT_ERR_FORMAT, "empty_text.tsv:3:",
     "empty text"},
    {NULL, "empty.tsv", NULL, 0, RNNKIT_CORPUS_AUTO, RNNKIT_ERR_EMPTY, "empty.tsv", "empty corpus"},
    {NULL, "whitespace.tsv", NULL, 0, RNNKIT_CORPUS_TSV, RNNKIT_ERR_EMPTY, "whitespace.tsv",
     "empty corpus"},
    {"ft_nolabel.ft", NULL, "__label__a fine\njust text\n", 0, RNNKIT_CORPUS_FASTTEXT,
     RNNKIT_ERR_FORMAT, "ft_nolabel.ft:2:", "__label__"},
    {"ft_emptylabel.ft", NULL, "__label__a fine\n\n__label__ text\n", 0, RNNKIT_CORPUS_AUTO,
     RNNKIT_ERR_FORMAT, "ft_emptylabel.ft:3:", "empty label"},
    {"ft_emptytext.ft", NULL, "__label__a fine\n__label__b __label__c   \n", 0,
     RNNKIT_CORPUS_FASTTEXT, RNNKIT_ERR_FORMAT, "ft_emptytext.ft:2:", "empty text"},
    {"overlong.tsv", NULL, "a\tb\r\na\t\xC0\xAF\r\n", 0, RNNKIT_CORPUS_TSV, RNNKIT_ERR_UTF8,
     "overlong.tsv:2:", "byte offset 7"},
    {"surrogate.txt", NULL, "\xEF\xBB\xBFline one\nline \xED\xA0\x80 two\n", 0,
     RNNKIT_CORPUS_TEXT, RNNKIT_ERR_UTF8, "surrogate.txt:2:", "byte offset 17"},
    {"nul.txt", NULL, "one\ntwo\nth\0ree\n", 15, RNNKIT_CORPUS_TEXT, RNNKIT_ERR_FORMAT,
     "nul.txt:3:", "byte offset 10"},
    {"blank_cjk.tsv", NULL, "pos\t\xE5\xA5\xBD\nneg\t\xE3\x80\x80\n", 0, RNNKIT_CORPUS_TSV,
     RNNKIT_ERR_FORMAT, "blank_cjk.tsv:2:", "empty text"},
    {"missing_file.tsv", NULL, NULL, 0, RNNKIT_CORPUS_TSV, RNNKIT_ERR_IO, "missing_file.tsv",
     "cannot open"},
    {"missing_dir", NULL, NULL, 0, RNNKIT_CORPUS_DIR, RNNKIT_ERR_IO, "missing_dir", "cannot open"},
};

static void test_each_bad_input_fails_with_status_and_file_line_message(void **state)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const bad_case *t = &bad_cases[i];
        char path[512];
        if (t->committed)
            snprintf(path, sizeof path, "%s/bad/%s", DATA, t->committed);
        else if (t->content)
            write_tmp(t->name, t->content, t->content_len ? t->content_len : strlen(t->content),
                      path, sizeof path);
        else
            tmp_path(path, sizeof path, t->name);
        rnnkit_corpus_options o = {t->format, 0, 1};
        rnnkit_corpus *c = (rnnkit_corpus *)&o; /* must be reset to NULL */
        rnnkit_error err;
        rnnkit_status st = rnnkit_corpus_load(path, &o, &c, &err);
        if (st != t->status)
            fail_msg("%s: expected status %d (%s), got %d: %s", path, (int)t->status,
                     rnnkit_status_str(t->status), (int)st, err.msg);
        assert_null(c);
        assert_int_equal(err.status, t->status);
        assert_non_null(strstr(err.msg, path)); /* the full path, not just the base name */
        assert_contains(err.msg, t->where);
        assert_contains(err.msg, t->what);
        assert_null(strchr(err.msg, '\n'));
    }
}

static void test_directory_and_file_mixups_are_io_errors_naming_the_path(void **state)
{
    char dir[512], file[512];
    snprintf(dir, sizeof dir, "%s/sentiment/docs", DATA);
    snprintf(file, sizeof file, "%s/sentiment/train.tsv", DATA);
    const struct {
        const char *path;
        rnnkit_corpus_format f;
        const char *what;
    } cases[] = {
        {dir, RNNKIT_CORPUS_TSV, "is a directory"},
        {dir, RNNKIT_CORPUS_FASTTEXT, "is a directory"},
        {dir, RNNKIT_CORPUS_TEXT, "is a directory"},
        {file, RNNKIT_CORPUS_DIR, "not a directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rnnkit_corpus_options o = {cases[i].f, 1, 1}; /* skip_bad does not hide I/O errors */
        rnnkit_corpus *c = NULL;
        rnnkit_error err;
        assert_int_equal(rnnkit_corpus_load(cases[i].path, &o, &c, &err), RNNKIT_ERR_IO);
        assert_null(c);
        assert_contains(err.msg, cases[i].path);
        assert_contains(err.msg, cases[i].what);
    }
}

/* ----------------------------------------------------------- good input */

static void test_crlf_and_bom_file_loads_with_line_numbers_kept(void **state)
{
    rnnkit_corpus *c = load_ok(DATA "/bad/crlf_bom.tsv", RNNKIT_CORPUS_AUTO, 0, 1);
    assert_int_equal(rnnkit_corpus_size(c), 3);
    assert_int_equal(rnnkit_corpus_format_used(c), RNNKIT_CORPUS_TSV);
    const char *texts[] = {"good film", "bad film", "nice one"};
    const char *labels[] = {"pos", "neg", "pos"};
    const char *lines[] = {"crlf_bom.tsv:1", "crlf_bom.tsv:3", "crlf_bom.tsv:4"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        const char *t = rnnkit_corpus_text(c, i, &len);
        assert_string_equal(t, texts[i]);
        assert_int_equal(len, strlen(texts[i]));
        assert_string_equal(rnnkit_corpus_label(c, i), labels[i]);
        const char *w = rnnkit_corpus_where(c, i);
        size_t wl = strlen(w), ll = strlen(lines[i]);
        assert_true(wl >= ll);
        assert_string_equal(w + wl - ll, lines[i]);
    }
    assert_int_equal(rnnkit_corpus_num_labels(c), 2);
    assert_int_equal(rnnkit_corpus_skipped(c), 0);
    assert_null(rnnkit_corpus_skip_reason(c));
    rnnkit_corpus_free(c);
}

static void test_sentiment_tsv_and_fasttext_hold_the_same_balanced_rows(void **state)
{
    rnnkit_corpus *t = load_ok(DATA "/sentiment/train.tsv", RNNKIT_CORPUS_AUTO, 0, 1);
    rnnkit_corpus *f = load_ok(DATA "/sentiment/train.ft", RNNKIT_CORPUS_AUTO, 0, 1);
    assert_int_equal(rnnkit_corpus_format_used(t), RNNKIT_CORPUS_TSV);
    assert_int_equal(rnnkit_corpus_format_used(f), RNNKIT_CORPUS_FASTTEXT);
    assert_int_equal(rnnkit_corpus_size(t), 2000);
    assert_int_equal(rnnkit_corpus_size(f), 2000);
    assert_int_equal(rnnkit_corpus_num_labels(t), 2);
    assert_string_equal(rnnkit_corpus_label_name(t, 0), "neg");
    assert_string_equal(rnnkit_corpus_label_name(t, 1), "pos");
    assert_string_equal(rnnkit_corpus_label_name(f, 0), "neg");
    size_t count[2] = {0, 0};
    for (size_t i = 0; i < 2000; i++) {
        assert_string_equal(rnnkit_corpus_text(t, i, NULL), rnnkit_corpus_text(f, i, NULL));
        assert_string_equal(rnnkit_corpus_label(t, i), rnnkit_corpus_label(f, i));
        int64_t k = rnnkit_corpus_label_index(t, i);
        assert_true(k == 0 || k == 1);
        assert_int_equal(k, rnnkit_corpus_label_index(f, i));
        assert_int_equal(k, rnnkit_corpus_find_label(t, rnnkit_corpus_label(t, i)));
        count[k]++;
    }
    assert_int_equal(count[0], 1000);
    assert_int_equal(count[1], 1000);
    rnnkit_corpus_free(t);
    rnnkit_corpus_free(f);
}

static void test_bundled_corpora_load_with_expected_sizes(void **state)
{
    const struct {
        const char *path;
        rnnkit_corpus_format f;
        size_t rows, labels;
    } cases[] = {
        {DATA "/sentiment/test.tsv", RNNKIT_CORPUS_TSV, 400, 2},
        {DATA "/sentiment_zh/train.tsv", RNNKIT_CORPUS_AUTO, 1000, 2},
        {DATA "/sentiment_zh/test.tsv", RNNKIT_CORPUS_TSV, 200, 2},
        {DATA "/sentiment/docs", RNNKIT_CORPUS_AUTO, 40, 2},
        {DATA "/text/repeat.txt", RNNKIT_CORPUS_TEXT, 6, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rnnkit_corpus *c = load_ok(cases[i].path, cases[i].f, 0, 1);
        if (rnnkit_corpus_size(c) != cases[i].rows)
            fail_msg("%s: %zu rows, expected %zu", cases[i].path, rnnkit_corpus_size(c),
                     cases[i].rows);
        assert_int_equal(rnnkit_corpus_num_labels(c), cases[i].labels);
        rnnkit_corpus_free(c);
    }
}

static void test_fasttext_uses_the_first_of_several_labels(void **state)
{
    char path[512];
    write_tmp_str("multi.ft",
                  "__label__spam __label__ads  buy now\n"
                  "  __label__ham\thello there \n"
                  "__label__ham __label__spam see you\n",
                  path, sizeof path);
    rnnkit_corpus *c = load_ok(path, RNNKIT_CORPUS_AUTO, 0, 1);
    assert_int_equal(rnnkit_corpus_size(c), 3);
    assert_string_equal(rnnkit_corpus_label(c, 0), "spam");
    assert_string_equal(rnnkit_corpus_text(c, 0, NULL), "buy now");
    assert_string_equal(rnnkit_corpus_label(c, 1), "ham");
    assert_string_equal(rnnkit_corpus_text(c, 1, NULL), "hello there ");
    assert_string_equal(rnnkit_corpus_label(c, 2), "ham");
    assert_string_equal(rnnkit_corpus_text(c, 2, NULL), "see you");
    /* "ads" is only ever a second label: not a class */
    assert_int_equal(rnnkit_corpus_num_labels(c), 2);
    assert_int_equal(rnnkit_corpus_find_label(c, "ads"), -1);
    rnnkit_corpus_free(c);
}

static void test_labels_sort_by_bytes_and_define_class_indices(void **state)
{
    char path[512];
    write_tmp_str("order.tsv",
                  "b\tone\n"
                  "\xC3\xA9t\xC3\xA9\ttwo\n" /* "été": bytes C3.. sort after ASCII */
                  "a\tthree\n"
                  "B\tfour\n"
                  "b\tfive\n"
                  "ab\tsix\n",
                  path, sizeof path);
    rnnkit_corpus *c = load_ok(path, RNNKIT_CORPUS_TSV, 0, 1);
    const char *sorted[] = {"B", "a", "ab", "b", "\xC3\xA9t\xC3\xA9"};
    assert_int_equal(rnnkit_corpus_num_labels(c), 5);
    for (size_t k = 0; k < 5; k++) {
        assert_string_equal(rnnkit_corpus_label_name(c, k), sorted[k]);
        assert_int_equal(rnnkit_corpus_find_label(c, sorted[k]), (int64_t)k);
    }
    const int64_t want[] = {3, 4, 1, 0, 3, 2};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(rnnkit_corpus_label_index(c, i), want[i]);
    assert_int_equal(rnnkit_corpus_find_label(c, "c"), -1);
    assert_int_equal(rnnkit_corpus_find_label(c, ""), -1);
    assert_null(rnnkit_corpus_label_name(c, 5));
    assert_int_equal(rnnkit_corpus_label_index(c, 6), -1);
    assert_null(rnnkit_corpus_text(c, 6, NULL));
    rnnkit_corpus_free(c);
}

static void test_skip_bad_counts_malformed_rows_and_keeps_the_rest(void **state)
{
    char path[512];
    static const char content[] = "pos\tgood\n"
                                  "no tab here\n"           /* 2: no tab */
                                  "\tno label\n"            /* 3: empty label */
                                  "neg\t \n"                /* 4: empty text */
                                  "neg\tbad \xFF byte\n"    /* 5: UTF-8 */
                                  "neg\tnul \0 byte\n"      /* 6: NUL */
                                  "\n"                      /* 7: blank, not counted */
                                  "neg\tbad\n";
    write_tmp("skip.tsv", content, sizeof content - 1, path, sizeof path);
    rnnkit_corpus *c = load_ok(path, RNNKIT_CORPUS_TSV, 1, 1);
    assert_int_equal(rnnkit_corpus_size(c), 2);
    assert_int_equal(rnnkit_corpus_skipped(c), 5);
    assert_string_equal(rnnkit_corpus_text(c, 0, NULL), "good");
    assert_string_equal(rnnkit_corpus_text(c, 1, NULL), "bad");
    assert_contains(rnnkit_corpus_where(c, 1), "skip.tsv:8");
    const char *why = rnnkit_corpus_skip_reason(c);
    assert_non_null(why);
    assert_contains(why, "skip.tsv:2:");
    assert_contains(why, "no tab");
    rnnkit_corpus_free(c);

    /* every row bad: still an empty-corpus error that gives the first reason */
    write_tmp_str("allbad.tsv", "x\ny\n", path, sizeof path);
    rnnkit_corpus_options o = {RNNKIT_CORPUS_TSV, 1, 1};
    rnnkit_error err;
    assert_int_equal(rnnkit_corpus_load(path, &o, &c, &err), RNNKIT_ERR_EMPTY);
    assert_null(c);
    assert_contains(err.msg, "allbad.tsv:1: no tab");
}

static void test_unlabelled_mode_accepts_rows_without_labels(void **state)
{
    char path[512];
    write_tmp_str("mixed.tsv", "pos\tgood\nplain line\n\tempty label\n", path, sizeof path);
    rnnkit_corpus *c = load_ok(path, RNNKIT_CORPUS_TSV, 0, 0);
    assert_int_equal(rnnkit_corpus_size(c), 3);
    assert_string_equal(rnnkit_corpus_label(c, 0), "pos");
    assert_null(rnnkit_corpus_label(c, 1));
    assert_string_equal(rnnkit_corpus_text(c, 1, NULL), "plain line");
    assert_null(rnnkit_corpus_label(c, 2));
    assert_string_equal(rnnkit_corpus_text(c, 2, NULL), "empty label");
    assert_int_equal(rnnkit_corpus_label_index(c, 1), -1);
    assert_int_equal(rnnkit_corpus_num_labels(c), 1);
    rnnkit_corpus_free(c);
}

static void test_text_format_is_one_unlabelled_document_per_line(void **state)
{
    char path[512];
    write_tmp_str("plain.txt", "first line\twith a tab\n\n  \r\n__label__x not a label\nlast",
                  path, sizeof path);
    rnnkit_corpus *c = load_ok(path, RNNKIT_CORPUS_TEXT, 0, 1);
    assert_int_equal(rnnkit_corpus_size(c), 3);
    assert_string_equal(rnnkit_corpus_text(c, 0, NULL), "first line\twith a tab");
    assert_string_equal(rnnkit_corpus_text(c, 1, NULL), "__label__x not a label");
    assert_string_equal(rnnkit_corpus_text(c, 2, NULL), "last");
    assert_contains(rnnkit_corpus_where(c, 2), "plain.txt:5");
    assert_null(rnnkit_corpus_label(c, 0));
    assert_int_equal(rnnkit_corpus_label_index(c, 0), -1);
    assert_int_equal(rnnkit_corpus_num_labels(c), 0);
    rnnkit_corpus_free(c);

    /* a single line without a line end: its text ends where the file ends */
    write_tmp_str("solo.tsv", "pos\tonly row", path, sizeof path);
    c = load_ok(path, RNNKIT_CORPUS_AUTO, 0, 1);
    assert_int_equal(rnnkit_corpus_size(c), 1);
    assert_string_equal(rnnkit_corpus_text(c, 0, NULL), "only row");
    assert_contains(rnnkit_corpus_where(c, 0), "solo.tsv:1");
    rnnkit_corpus_free(c);

    c = load_ok(DATA "/text/verse.txt", RNNKIT_CORPUS_TEXT, 0, 1);
    assert_true(rnnkit_corpus_size(c) > 500);
    rnnkit_corpus_free(c);
}

static void test_long_line_of_20_megabytes_loads_whole(void **state)
{
    const size_t n = 20u << 20;
    char *buf = malloc(n + 32);
    assert_non_null(buf);
    memcpy(buf, "pos\t", 4);
    for (size_t i = 4; i < n; i++)
        buf[i] = (char)('a' + i % 26);
    /* end the long text with a multibyte character, then a short second row */
    static const char tail[] = "\xE5\xA5\xBD\nneg\tshort\n";
    memcpy(buf + n, tail, sizeof tail - 1);
    char path[512];
    write_tmp("long.tsv", buf, n + sizeof tail - 1, path, sizeof path);
    free(buf);

    double t0 = now_s();
    rnnkit_corpus *c = load_ok(path, RNNKIT_CORPUS_AUTO, 0, 1);
    double dt = now_s() - t0;
    assert_int_equal(rnnkit_corpus_size(c), 2);
    size_t len;
    const char *t = rnnkit_corpus_text(c, 0, &len);
    assert_int_equal(len, n - 4 + 3);
    assert_int_equal(strlen(t), len);
    assert_memory_equal(t + len - 3, "\xE5\xA5\xBD", 3);
    assert_string_equal(rnnkit_corpus_text(c, 1, NULL), "short");
    rnnkit_corpus_free(c);
    assert_true(dt < 10.0); /* ~0.05 s in a release build */

    char *whole;
    size_t wl;
    rnnkit_error err;
    assert_int_equal(rnnkit_read_text_file(path, &whole, &wl, &err), RNNKIT_OK);
    assert_int_equal(wl, n + sizeof tail - 1);
    free(whole);
}

static void test_100k_distinct_labels_index_quickly(void **state)
{
    const size_t L = 100000;
    /* labels in a scrambled order so sorting has work to do */
    size_t cap = L * 24;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = 0;
    for (size_t i = 0; i < L; i++) {
        size_t k = (i * 7919u) % L; /* 7919 is prime, coprime to L: a permutation */
        len += (size_t)snprintf(buf + len, cap - len, "L%zu\tt\n", k);
    }
    char path[512];
    write_tmp("labels.tsv", buf, len, path, sizeof path);
    free(buf);

    double t0 = now_s();
    rnnkit_corpus *c = load_ok(path, RNNKIT_CORPUS_TSV, 0, 1);
    double dt = now_s() - t0;
    assert_int_equal(rnnkit_corpus_num_labels(c), L);
    for (size_t k = 1; k < L; k++)
        assert_true(strcmp(rnnkit_corpus_label_name(c, k - 1), rnnkit_corpus_label_name(c, k)) < 0);
    for (size_t i = 0; i < L; i++) {
        int64_t k = rnnkit_corpus_label_index(c, i);
        assert_string_equal(rnnkit_corpus_label_name(c, (size_t)k), rnnkit_corpus_label(c, i));
        assert_int_equal(rnnkit_corpus_find_label(c, rnnkit_corpus_label(c, i)), k);
    }
    rnnkit_corpus_free(c);
    assert_true(dt < 5.0); /* ~0.05 s in a release build; quadratic would take minutes */
}

/* ------------------------------------------------------------ DIR format */

static void test_directory_format_reads_sorted_documents_per_label(void **state)
{
    rnnkit_corpus *c = load_ok(DATA "/sentiment/docs", RNNKIT_CORPUS_DIR, 0, 1);
    assert_int_equal(rnnkit_corpus_size(c), 40);
    assert_int_equal(rnnkit_corpus_num_labels(c), 2);
    for (size_t i = 0; i < 40; i++) {
        const char *want = i < 20 ? "neg" : "pos";
        assert_string_equal(rnnkit_corpus_label(c, i), want);
        char tail[32];
        snprintf(tail, sizeof tail, "/%s/%04zu.txt", want, i % 20 + 1);
        assert_contains(rnnkit_corpus_where(c, i), tail);
        size_t len;
        const char *t = rnnkit_corpus_text(c, i, &len);
        assert_true(len > 0 && t[len - 1] != '\n'); /* trailing line end dropped */
    }
    rnnkit_corpus_free(c);
}

static void test_directory_format_skips_hidden_loose_and_nested_entries(void **state)
{
    char p[512];
    write_tmp_str("dir/zeta/b.txt", "second by name\n", p, sizeof p);
    write_tmp_str("dir/zeta/a.txt", "\xEF\xBB\xBF" "first by name\r\n\r\n", p, sizeof p);
    write_tmp_str("dir/zeta/.hidden", "never read", p, sizeof p);
    write_tmp_str("dir/alpha/doc", "line one\nline two", p, sizeof p);
    write_tmp_str("dir/README", "a loose file at the top", p, sizeof p);
    write_tmp_str("dir/.git/config", "hidden folder", p, sizeof p);
    tmp_path(p, sizeof p, "dir/alpha/nested");
    assert_int_equal(mkdir(p, 0700), 0);
    tmp_path(p, sizeof p, "dir");
    rnnkit_corpus *c = load_ok(p, RNNKIT_CORPUS_AUTO, 0, 1);
    assert_int_equal(rnnkit_corpus_format_used(c), RNNKIT_CORPUS_DIR);
    assert_int_equal(rnnkit_corpus_size(c), 3);
    assert_string_equal(rnnkit_corpus_label(c, 0), "alpha");
    assert_string_equal(rnnkit_corpus_text(c, 0, NULL), "line one\nline two");
    assert_string_equal(rnnkit_corpus_label(c, 1), "zeta");
    assert_string_equal(rnnkit_corpus_text(c, 1, NULL), "first by name");
    assert_string_equal(rnnkit_corpus_text(c, 2, NULL), "second by name");
    assert_contains(rnnkit_corpus_where(c, 2), "dir/zeta/b.txt");
    rnnkit_corpus_free(c);
}

static void test_directory_format_reports_bad_documents_by_path(void **state)
{
    char p[512], dir[512];
    write_tmp_str("dbad/pos/1.txt", "fine", p, sizeof p);
    write_tmp_str("dbad/pos/2.txt", "ok\nbad \xC3( here", p, sizeof p);
    write_tmp_str("dbad/pos/3.txt", " \n\n", p, sizeof p);
    tmp_path(dir, sizeof dir, "dbad");
    rnnkit_corpus_options o = {RNNKIT_CORPUS_DIR, 0, 1};
    rnnkit_corpus *c = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_corpus_load(dir, &o, &c, &err), RNNKIT_ERR_UTF8);
    assert_contains(err.msg, "dbad/pos/2.txt:2:");
    assert_contains(err.msg, "byte offset 7");

    c = load_ok(dir, RNNKIT_CORPUS_DIR, 1, 1);
    assert_int_equal(rnnkit_corpus_size(c), 1);
    assert_int_equal(rnnkit_corpus_skipped(c), 2);
    assert_string_equal(rnnkit_corpus_text(c, 0, NULL), "fine");
    rnnkit_corpus_free(c);

    tmp_path(dir, sizeof dir, "dempty");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(rnnkit_corpus_load(dir, &o, &c, &err), RNNKIT_ERR_EMPTY);
    assert_contains(err.msg, "dempty");
}

static void test_dash_reads_standard_input_and_names_it_in_messages(void **state)
{
    char path[512];
    write_tmp_str("stdin.ft", "__label__b two\n__label__a one\n", path, sizeof path);
    assert_non_null(freopen(path, "rb", stdin));
    rnnkit_corpus *c = load_ok("-", RNNKIT_CORPUS_AUTO, 0, 1);
    assert_int_equal(rnnkit_corpus_format_used(c), RNNKIT_CORPUS_FASTTEXT);
    assert_int_equal(rnnkit_corpus_size(c), 2);
    assert_string_equal(rnnkit_corpus_where(c, 1), "<stdin>:2");
    assert_int_equal(rnnkit_corpus_label_index(c, 0), 1);
    rnnkit_corpus_free(c);

    write_tmp_str("stdin.tsv", "pos\tfine\nbroken\n", path, sizeof path);
    assert_non_null(freopen(path, "rb", stdin));
    rnnkit_corpus_options o = {RNNKIT_CORPUS_TSV, 0, 1};
    rnnkit_error err;
    assert_int_equal(rnnkit_corpus_load("-", &o, &c, &err), RNNKIT_ERR_FORMAT);
    assert_string_equal(err.msg, "<stdin>:2: no tab after label");

    o.format = RNNKIT_CORPUS_DIR;
    assert_int_equal(rnnkit_corpus_load("-", &o, &c, &err), RNNKIT_ERR_ARG);
}

/* ------------------------------------------------------- whole text file */

static void test_read_text_file_returns_bytes_without_bom(void **state)
{
    char *text;
    size_t len;
    rnnkit_error err;
    assert_int_equal(rnnkit_read_text_file(DATA "/text/repeat.txt", &text, &len, &err), RNNKIT_OK);
    assert_int_equal(len, strlen(text));
    assert_true(len > 1000);
    assert_int_equal(len % 6, 0);
    assert_memory_equal(text, text + len / 6, len / 6); /* six copies of one passage */
    free(text);

    char path[512];
    write_tmp_str("bom.txt", "\xEF\xBB\xBFhello\r\nworld\n", path, sizeof path);
    assert_int_equal(rnnkit_read_text_file(path, &text, &len, &err), RNNKIT_OK);
    assert_string_equal(text, "hello\r\nworld\n");
    assert_int_equal(len, 13);
    free(text);

    write_tmp_str("empty.txt", "", path, sizeof path);
    assert_int_equal(rnnkit_read_text_file(path, &text, NULL, &err), RNNKIT_OK);
    assert_string_equal(text, "");
    free(text);
}

static void test_read_text_file_errors_name_path_line_and_offset(void **state)
{
    char path[512];
    const struct {
        const char *name, *content;
        size_t n;
        rnnkit_status st;
        const char *want;
    } cases[] = {
        {"rt_utf8.txt", "\xEF\xBB\xBF" "ab\ncd\n\xED\xA0\x80\n", 0, RNNKIT_ERR_UTF8,
         "rt_utf8.txt:3: invalid UTF-8 at byte offset 9"},
        {"rt_nul.txt", "ab\n\0", 4, RNNKIT_ERR_FORMAT, "rt_nul.txt:2: NUL byte at byte offset 3"},
        {"rt_missing.txt", NULL, 0, RNNKIT_ERR_IO, "rt_missing.txt: cannot open"},
        {"", NULL, 0, RNNKIT_ERR_IO, "is a directory"}, /* the temp folder itself */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (cases[i].content)
            write_tmp(cases[i].name, cases[i].content,
                      cases[i].n ? cases[i].n : strlen(cases[i].content), path, sizeof path);
        else
            tmp_path(path, sizeof path, cases[i].name);
        char *text = (char *)path;
        rnnkit_error err;
        assert_int_equal(rnnkit_read_text_file(path, &text, NULL, &err), cases[i].st);
        assert_null(text);
        assert_contains(err.msg, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_validator_accepts_well_formed_and_finds_first_bad_byte),
        cmocka_unit_test(test_blank_means_unicode_white_space_only),
        cmocka_unit_test(test_each_bad_input_fails_with_status_and_file_line_message),
        cmocka_unit_test(test_directory_and_file_mixups_are_io_errors_naming_the_path),
        cmocka_unit_test(test_crlf_and_bom_file_loads_with_line_numbers_kept),
        cmocka_unit_test(test_sentiment_tsv_and_fasttext_hold_the_same_balanced_rows),
        cmocka_unit_test(test_bundled_corpora_load_with_expected_sizes),
        cmocka_unit_test(test_fasttext_uses_the_first_of_several_labels),
        cmocka_unit_test(test_labels_sort_by_bytes_and_define_class_indices),
        cmocka_unit_test(test_skip_bad_counts_malformed_rows_and_keeps_the_rest),
        cmocka_unit_test(test_unlabelled_mode_accepts_rows_without_labels),
        cmocka_unit_test(test_text_format_is_one_unlabelled_document_per_line),
        cmocka_unit_test(test_long_line_of_20_megabytes_loads_whole),
        cmocka_unit_test(test_100k_distinct_labels_index_quickly),
        cmocka_unit_test(test_directory_format_reads_sorted_documents_per_label),
        cmocka_unit_test(test_directory_format_skips_hidden_loose_and_nested_entries),
        cmocka_unit_test(test_directory_format_reports_bad_documents_by_path),
        cmocka_unit_test(test_dash_reads_standard_input_and_names_it_in_messages),
        cmocka_unit_test(test_read_text_file_returns_bytes_without_bom),
        cmocka_unit_test(test_read_text_file_errors_name_path_line_and_offset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
