/*
 * tests/test_linefile.c: rnnkit/linefile.h (lines, BOM, CRLF, the tsv
 * column and its error naming file and line, a directory refused, the
 * source hash recorded by rnnkit_vocab_builder_add_file against FNV-1a 64
 * computed here, id lines parsed) and rnnkit_write_file_atomic
 * (rnnkit/status.h: content, permissions kept, failure leaves nothing).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rnnkit/linefile.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"
#include "support.h"

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("test_linefile_XXXXXX");
}

static void test_lines(void **state)
{
    (void)state;
    const char *p = support_write("a.txt", "\xEF\xBB\xBFone\r\ntwo\n\nlast");
    rnnkit_linefile *f;
    rnnkit_error err;
    assert_int_equal(rnnkit_linefile_open(p, &f, &err), RNNKIT_OK);
    const char *want[] = {"one", "two", "", "last"};
    const char *text;
    size_t len;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rnnkit_linefile_next(f, 0, &text, &len, &err), 1);
        assert_int_equal(len, strlen(want[i]));
        assert_string_equal(text, want[i]);
        assert_int_equal(rnnkit_linefile_line(f), (uint64_t)i + 1);
    }
    assert_int_equal(rnnkit_linefile_next(f, 0, &text, &len, &err), 0);
    assert_string_equal(rnnkit_linefile_name(f), p);
    rnnkit_linefile_close(f);
    rnnkit_linefile_close(NULL);
}

static void test_tsv(void **state)
{
    (void)state;
    const char *p = support_write("b.tsv", "pos\tgood film\nneg\tbad\tfilm\nno tab here\n");
    rnnkit_linefile *f;
    rnnkit_error err;
    const char *text;
    size_t len;
    assert_int_equal(rnnkit_linefile_open(p, &f, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_linefile_next(f, 1, &text, &len, &err), 1);
    assert_string_equal(text, "good film");
    assert_int_equal(rnnkit_linefile_next(f, 1, &text, &len, &err), 1);
    assert_string_equal(text, "bad\tfilm"); /* only the first tab splits */
    assert_int_equal(rnnkit_linefile_next(f, 1, &text, &len, &err), -1);
    char where[160];
    snprintf(where, sizeof where, "%s:3", p);
    assert_non_null(strstr(err.msg, where));
    rnnkit_linefile_close(f);

    assert_int_not_equal(rnnkit_linefile_open(support_tmpdir(), &f, &err), RNNKIT_OK); /* a directory */
    assert_non_null(strstr(err.msg, "directory"));
    char missing[128];
    snprintf(missing, sizeof missing, "%s/none", support_tmpdir());
    assert_int_equal(rnnkit_linefile_open(missing, &f, &err), RNNKIT_ERR_IO);
}

static void test_source_hash(void **state)
{
    (void)state;
    const char *content = "a b\nb c\n";
    const char *p = support_write("c.txt", content);
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64, byte by byte */
    for (const char *s = content; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    char want[17];
    snprintf(want, sizeof want, "%016" PRIx64, h);

    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    rnnkit_vocab_builder *b;
    rnnkit_vocab *v;
    rnnkit_error err;
    uint64_t bytes = 0;
    assert_int_equal(rnnkit_vocab_builder_new(&cfg, &b, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_vocab_builder_add_file(b, p, 0, 0, NULL, NULL, &bytes, &err), RNNKIT_OK);
    assert_int_equal(bytes, strlen(content));
    assert_int_equal(rnnkit_vocab_builder_finish(b, 1, 0, &v, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_vocab_size(v), 5); /* <pad> <unk> b a c */
    assert_int_equal(rnnkit_vocab_documents(v), 2);
    int64_t nbytes, lines;
    const char *hash;
    assert_int_equal(rnnkit_vocab_num_sources(v), 1);
    rnnkit_vocab_source(v, 0, &nbytes, &lines, &hash);
    assert_int_equal(nbytes, 8);
    assert_int_equal(lines, 2);
    assert_string_equal(hash, want);

    /* id lines */
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(rnnkit_vocab_parse_ids(v, "2 3\t4", "ids", 1, &ids, &n, &cap, &err), RNNKIT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[2], 4);
    n = 0;
    assert_int_equal(rnnkit_vocab_parse_ids(v, "2 5", "ids", 7, &ids, &n, &cap, &err), RNNKIT_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "ids:7"));
    free(ids);
    rnnkit_vocab_free(v);
    rnnkit_vocab_builder_free(b);
}

static int count_entries(void)
{
    DIR *d = opendir(support_tmpdir());
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_write_atomic(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/page.html", support_tmpdir());
    rnnkit_error err;
    assert_int_equal(rnnkit_write_file_atomic(path, "<p>1</p>", 8, &err), RNNKIT_OK);
    FILE *f = fopen(path, "rb");
    char buf[32] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf, f), 8);
    fclose(f);
    assert_string_equal(buf, "<p>1</p>");
    /* a replaced file keeps its permission bits */
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(rnnkit_write_file_atomic(path, "", 0, &err), RNNKIT_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 0);
    /* a directory that does not exist: an error naming the path, nothing left */
    int before = count_entries();
    char bad[160];
    snprintf(bad, sizeof bad, "%s/no/such/dir.html", support_tmpdir());
    assert_int_equal(rnnkit_write_file_atomic(bad, "x", 1, &err), RNNKIT_ERR_IO);
    assert_non_null(strstr(err.msg, bad));
    assert_int_equal(count_entries(), before);
    assert_int_equal(rnnkit_write_file_atomic(NULL, "x", 1, &err), RNNKIT_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_source_hash),
        cmocka_unit_test(test_write_atomic),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
