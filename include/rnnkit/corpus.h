/*
 * rnnkit/corpus.h: readers for the corpus formats people have.
 *
 *   TSV       label<TAB>text, one example per line
 *   FASTTEXT  __label__X [__label__Y ...] text (the first label is used)
 *   DIR       a folder with one sub-folder per label, one document per file
 *             (the aclImdb layout)
 *   TEXT      plain UTF-8 text, one document per line, no labels
 *
 * A corpus is loaded whole into one arena (documents are small compared to
 * the models trained on them). Every text is validated UTF-8 (a BOM is
 * skipped, CRLF is a line end). Errors name the file and line:
 * "train.tsv:1834: no tab after label".
 *
 * CONTRACT (used by cli/): declarations marked [core] keep their signatures.
 */
#ifndef RNNKIT_CORPUS_H
#define RNNKIT_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rnnkit_corpus_format {
    RNNKIT_CORPUS_AUTO = 0, /* directory -> DIR; first line starting "__label__" -> FASTTEXT; else TSV */
    RNNKIT_CORPUS_TSV,
    RNNKIT_CORPUS_FASTTEXT,
    RNNKIT_CORPUS_DIR,
    RNNKIT_CORPUS_TEXT
} rnnkit_corpus_format;

typedef struct rnnkit_corpus rnnkit_corpus;

/* [core] Options for loading. */
typedef struct rnnkit_corpus_options {
    rnnkit_corpus_format format;
    int skip_bad;   /* nonzero: count and skip malformed rows instead of failing */
    int labelled;   /* nonzero: a label is required (not for TEXT) */
} rnnkit_corpus_options;

/* [core] Loads `path` ("-" = stdin for TSV/FASTTEXT/TEXT). Fails on: a
 * missing/unreadable path, a directory where a file is expected (and the
 * reverse), invalid UTF-8 (file, line, byte offset), NUL bytes, a row
 * without a tab or with an empty label or empty text (unless skip_bad), an
 * empty corpus. */
rnnkit_status rnnkit_corpus_load(const char *path, const rnnkit_corpus_options *opt,
                                 rnnkit_corpus **out, rnnkit_error *err);
void rnnkit_corpus_free(rnnkit_corpus *c);

/* [core] Accessors; i < rnnkit_corpus_size(c). Strings are owned by c. */
size_t rnnkit_corpus_size(const rnnkit_corpus *c);
const char *rnnkit_corpus_text(const rnnkit_corpus *c, size_t i, size_t *len);
/* The label string of row i; NULL for TEXT corpora. */
const char *rnnkit_corpus_label(const rnnkit_corpus *c, size_t i);
/* "file:line" (or the document's path for DIR) for messages. */
const char *rnnkit_corpus_where(const rnnkit_corpus *c, size_t i);
/* Rows skipped under skip_bad. */
size_t rnnkit_corpus_skipped(const rnnkit_corpus *c);

/* [core] Distinct labels, sorted by bytes ascending (the class index order). */
size_t rnnkit_corpus_num_labels(const rnnkit_corpus *c);
const char *rnnkit_corpus_label_name(const rnnkit_corpus *c, size_t k);

/* [core] Reads a whole UTF-8 text file ("-" = stdin) into a malloc'd,
 * NUL-terminated buffer (*text, free with free()). A BOM is dropped; invalid
 * UTF-8 or a NUL byte is an error naming path, line and byte offset. */
rnnkit_status rnnkit_read_text_file(const char *path, char **text, size_t *len,
                                    rnnkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
