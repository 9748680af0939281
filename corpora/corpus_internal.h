/*
 * corpora/corpus_internal.h: pieces shared by the files of corpora/ (and by
 * tests/test_corpus.c), not part of the public API.
 *
 *   utf8.c     the Unicode White_Space test (UTF-8 itself: core/utf8.h)
 *   buf.c      a growable byte buffer (doubling) and whole-file reading
 *   corpus.c   the corpus struct, label indexing, loading and accessors
 *   lines.c    the line formats: TSV, fastText, plain text
 *   dir.c      the folder-per-label format
 */
#ifndef RNNKIT_CORPUS_INTERNAL_H
#define RNNKIT_CORPUS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/utf8.h"
#include "rnnkit/corpus.h"

/* ---------------------------------------------------------------- UTF-8 */

/* Validation and decoding: core/utf8.h (rnnkit__utf8_invalid_at, ...). */

/*
 * Nonzero when the well-formed UTF-8 range s[0..n) holds nothing but
 * Unicode White_Space characters (ASCII blanks, U+0085, U+00A0, U+1680,
 * U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); also for n == 0.
 */
int rnnkit__utf8_is_blank(const unsigned char *s, size_t n);

/* ------------------------------------------------------- growable buffer */

/* A byte buffer grown by doubling; data[len] is kept readable for a NUL. */
typedef struct rnnkit__buf {
    char *data;
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated */
} rnnkit__buf;

/* Makes room for `extra` more bytes after len (plus one for a NUL). */
rnnkit_status rnnkit__buf_reserve(rnnkit__buf *b, size_t extra, rnnkit_error *err);

/* Appends n bytes and a NUL (the NUL is not counted in len); *off receives
 * the offset where the bytes start (may be NULL). */
rnnkit_status rnnkit__buf_append(rnnkit__buf *b, const void *p, size_t n, size_t *off,
                                 rnnkit_error *err);

/* Appends a printf-formatted string and its NUL, which *is* counted in len
 * so that successive strings stay separate; *off as above. */
rnnkit_status rnnkit__buf_appendf(rnnkit__buf *b, size_t *off, rnnkit_error *err,
                                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/*
 * Appends the whole content of `path` ("-" = stdin) followed by a NUL that
 * is not counted; *off and *n receive where the content starts and its size
 * in bytes. Fails with RNNKIT_ERR_IO (message "path: ...") when the path is
 * missing, unreadable, a directory, or a read fails. Does not validate.
 */
rnnkit_status rnnkit__buf_read_file(rnnkit__buf *b, const char *path, size_t *off, size_t *n,
                                    rnnkit_error *err);

/* The name used in messages for `path`: "<stdin>" for "-", else path. */
const char *rnnkit__display_name(const char *path);

/*
 * Checks s[0..n) (the content of `name` from its first byte; `base` is the
 * file offset of s[0], `line` the line number of s[0]) for NUL bytes and
 * ill-formed UTF-8. On failure fills err with "name:LINE: ... at byte
 * offset OFF" (status RNNKIT_ERR_FORMAT for NUL, RNNKIT_ERR_UTF8 otherwise)
 * and returns that status.
 */
rnnkit_status rnnkit__check_text(const char *name, const unsigned char *s, size_t n, size_t base,
                                 size_t line, rnnkit_error *err);

/* --------------------------------------------------------------- corpus */

typedef struct rnnkit__row {
    size_t text;     /* arena offset of the NUL-terminated text */
    size_t text_len; /* bytes, without the NUL */
    size_t label;    /* arena offset of the NUL-terminated label; SIZE_MAX: none */
    size_t where;    /* arena offset of "file:line" or the document path */
    int64_t cls;     /* class index (see rnnkit_corpus_label_index); -1: none */
} rnnkit__row;

struct rnnkit_corpus {
    rnnkit__buf arena;   /* file contents, labels and where-strings */
    rnnkit__row *rows;   /* [nrows] */
    size_t nrows, rows_cap;
    size_t skipped;      /* malformed rows dropped under skip_bad */
    size_t special;      /* folder entries that are not regular files, not opened */
    size_t skip_reason;  /* arena offset of the first skip's message; SIZE_MAX: none */
    size_t *labels;      /* [nlabels] arena offsets of distinct labels, sorted by bytes */
    size_t nlabels;
    rnnkit_corpus_format format; /* the format actually read (never AUTO) */
};

/* Appends a row; offsets as in rnnkit__row, cls is set later. */
rnnkit_status rnnkit__corpus_add_row(rnnkit_corpus *c, size_t text, size_t text_len,
                                     size_t label, size_t where, rnnkit_error *err);

/* Records one row skipped under skip_bad, keeping the first message. */
rnnkit_status rnnkit__corpus_skip(rnnkit_corpus *c, const rnnkit_error *why, rnnkit_error *err);

/*
 * Parses the file content arena[off..off+n) (a NUL follows it) in place as
 * TSV, FASTTEXT or TEXT, adding rows. `name` is used in messages.
 */
rnnkit_status rnnkit__corpus_parse_lines(rnnkit_corpus *c, const char *name, size_t off, size_t n,
                                         rnnkit_corpus_format format,
                                         const rnnkit_corpus_options *opt, rnnkit_error *err);

/* Loads the folder-per-label layout under `path`. */
rnnkit_status rnnkit__corpus_load_dir(rnnkit_corpus *c, const char *path,
                                      const rnnkit_corpus_options *opt, rnnkit_error *err);

/* Guesses TSV or FASTTEXT from the first non-blank line of s[0..n). */
rnnkit_corpus_format rnnkit__corpus_sniff(const char *s, size_t n);

#endif
