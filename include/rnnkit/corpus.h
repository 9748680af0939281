/*
 * rnnkit/corpus.h: readers for the corpus formats people have.
 *
 *   TSV       label<TAB>text, one example per line (the text may hold tabs)
 *   FASTTEXT  __label__X [__label__Y ...] text (the first label is used;
 *             the label is X, without the prefix)
 *   DIR       a folder with one sub-folder per label, one document per file
 *             (the aclImdb layout); folders and files are read sorted by
 *             name, hidden entries and loose top-level files are skipped
 *   TEXT      plain UTF-8 text, one document per line, no labels
 *
 * A corpus is loaded whole into one arena (documents are small compared to
 * the models trained on them); lines may be of any length. Every text is
 * validated UTF-8 (a BOM is skipped, CRLF is a line end, blank lines are
 * skipped). Errors name the file and line: "train.tsv:1834: no tab after
 * label"; invalid UTF-8 also gives the byte offset in the file. See
 * docs/corpora.md for the full list.
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
    RNNKIT_CORPUS_AUTO = 0, /* directory -> DIR; first non-blank line starting
                             * "__label__" -> FASTTEXT; else TSV */
    RNNKIT_CORPUS_TSV,
    RNNKIT_CORPUS_FASTTEXT,
    RNNKIT_CORPUS_DIR,
    RNNKIT_CORPUS_TEXT
} rnnkit_corpus_format;

typedef struct rnnkit_corpus rnnkit_corpus;

/* [core] Options for loading. A NULL options pointer means
 * {RNNKIT_CORPUS_AUTO, skip_bad = 0, labelled = 1}. */
typedef struct rnnkit_corpus_options {
    rnnkit_corpus_format format;
    int skip_bad;   /* nonzero: count and skip malformed rows instead of failing
                     * (bad UTF-8, NUL, no tab, empty label or text); I/O errors
                     * still fail */
    int labelled;   /* nonzero: a label is required (not for TEXT). Zero: TSV
                     * lines without a tab and fastText lines without
                     * __label__ are rows without a label (label NULL, class -1) */
} rnnkit_corpus_options;

/* [core] Loads `path` ("-" = stdin for TSV/FASTTEXT/TEXT). Fails on: a
 * missing/unreadable path, a directory where a file is expected (and the
 * reverse), invalid UTF-8 (file, line, byte offset), NUL bytes, a row
 * without a tab or with an empty label or empty text (unless skip_bad), an
 * empty corpus.
 * Returns RNNKIT_OK and a new corpus in *out (free with
 * rnnkit_corpus_free), or: RNNKIT_ERR_IO (missing, unreadable, wrong kind
 * of path, read failure), RNNKIT_ERR_UTF8 (invalid UTF-8),
 * RNNKIT_ERR_FORMAT (NUL byte, no tab, no __label__, empty label, empty
 * text), RNNKIT_ERR_EMPTY (no rows left), RNNKIT_ERR_NOMEM, RNNKIT_ERR_ARG;
 * *out is then NULL and err holds one line "file:line: what". */
rnnkit_status rnnkit_corpus_load(const char *path, const rnnkit_corpus_options *opt,
                                 rnnkit_corpus **out, rnnkit_error *err);
/* rnnkit_corpus_load of several files (or folders) into one corpus, rows
 * in the order of paths[0..npaths); each file's format is sniffed on its
 * own under RNNKIT_CORPUS_AUTO. Errors name the file. */
rnnkit_status rnnkit_corpus_load_files(const char *const *paths, size_t npaths, const rnnkit_corpus_options *opt,
                                       rnnkit_corpus **out, rnnkit_error *err);
/* Releases c and every string it handed out; NULL is a no-op. */
void rnnkit_corpus_free(rnnkit_corpus *c);

/* [core] Accessors; i < rnnkit_corpus_size(c) (out of range: NULL, *len 0).
 * Strings are NUL-terminated, owned by c and valid until rnnkit_corpus_free.
 * Texts exclude the line end; DIR texts exclude trailing line ends and may
 * hold inner newlines. *len (may be NULL) receives the text's size in bytes. */
size_t rnnkit_corpus_size(const rnnkit_corpus *c);
const char *rnnkit_corpus_text(const rnnkit_corpus *c, size_t i, size_t *len);
/* The label string of row i; NULL for TEXT corpora and unlabelled rows. */
const char *rnnkit_corpus_label(const rnnkit_corpus *c, size_t i);
/* "file:line" (or the document's path for DIR) for messages. */
const char *rnnkit_corpus_where(const rnnkit_corpus *c, size_t i);
/* Rows skipped under skip_bad. */
size_t rnnkit_corpus_skipped(const rnnkit_corpus *c);
/* Entries of a folder-per-label corpus that are not regular files (FIFOs,
 * sockets, devices): skipped without being opened. */
size_t rnnkit_corpus_special_files(const rnnkit_corpus *c);
/* The message of the first skipped row ("file:line: what"), or NULL when
 * none was skipped. Owned by c. */
const char *rnnkit_corpus_skip_reason(const rnnkit_corpus *c);
/* The format actually read: AUTO resolved to TSV, FASTTEXT or DIR. */
rnnkit_corpus_format rnnkit_corpus_format_used(const rnnkit_corpus *c);

/* [core] Distinct labels, sorted by bytes ascending (the class index order). */
size_t rnnkit_corpus_num_labels(const rnnkit_corpus *c);
/* The label of class k < rnnkit_corpus_num_labels(c); NULL out of range. */
const char *rnnkit_corpus_label_name(const rnnkit_corpus *c, size_t k);
/* The class index of row i (its label's place in the sorted label list),
 * or -1 for a row without a label (TEXT, or labelled == 0) or i out of range. */
int64_t rnnkit_corpus_label_index(const rnnkit_corpus *c, size_t i);
/* The class index of `label` (bytes compared exactly), -1 if absent.
 * O(log num_labels). */
int64_t rnnkit_corpus_find_label(const rnnkit_corpus *c, const char *label);

/* [core] Reads a whole UTF-8 text file ("-" = stdin) into a malloc'd,
 * NUL-terminated buffer (*text, free with free()). A BOM is dropped; invalid
 * UTF-8 or a NUL byte is an error naming path, line and byte offset.
 * *len (may be NULL) receives the size in bytes without the NUL; line ends
 * are kept as they are; an empty file gives "" and RNNKIT_OK. On failure
 * *text is NULL and the status is RNNKIT_ERR_IO, RNNKIT_ERR_UTF8,
 * RNNKIT_ERR_FORMAT (NUL byte) or RNNKIT_ERR_NOMEM. The byte offset counts
 * from the file's first byte (a BOM included). */
rnnkit_status rnnkit_read_text_file(const char *path, char **text, size_t *len,
                                    rnnkit_error *err);

/* Walks the documents named by `path`: calls fn(ctx, p, err) once with
 * p = path when `path` is "-" or not a directory, otherwise for every entry
 * below it that is not a directory, depth first, the entries of each
 * directory sorted by name (bytes); hidden names (a leading '.') are
 * skipped, at most 32 levels are entered. `p` is valid during the call
 * only. A nonzero status from fn stops the walk and is returned (fn sets
 * err); the walk's own failures are RNNKIT_ERR_IO (a directory that cannot
 * be read, nesting too deep) and RNNKIT_ERR_NOMEM, naming the path. */
typedef rnnkit_status (*rnnkit_file_fn)(void *ctx, const char *path, rnnkit_error *err);
rnnkit_status rnnkit_walk_files(const char *path, rnnkit_file_fn fn, void *ctx, rnnkit_error *err);

/* What a walk skipped: entries that are not regular files (FIFOs, sockets,
 * devices: never opened, so a walk never blocks on one), and symbolic
 * links that lead back to a directory on the walk's own path or into a
 * chain of links that never ends (loops: not entered). */
typedef struct rnnkit_walk_stats {
    size_t special;
    size_t loops;
} rnnkit_walk_stats;
/* rnnkit_walk_files that also counts what it skipped into *stats (may be
 * NULL; zeroed first). A path that is not a directory, a FIFO or
 * /dev/stdin included, goes to fn as it is (read as a stream). */
rnnkit_status rnnkit_walk_files_counted(const char *path, rnnkit_file_fn fn, void *ctx, rnnkit_walk_stats *stats,
                                        rnnkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
