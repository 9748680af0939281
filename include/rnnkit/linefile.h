/*
 * rnnkit/linefile.h: text files read one line at a time, without holding
 * the file, as `rnnkit vocab` reads its corpora: counting a file into a
 * vocabulary builder, reading ids back, and the coverage of a vocabulary.
 *
 * A line is one document: its line end ("\n", "\r\n") is not part of it
 * (a char-level vocabulary counts it as the token "\n"); a BOM on the first
 * line is skipped; with `tsv`, only the text after the first tab counts.
 * Errors name the file and line ("a.tsv:3: no tab after the label").
 * Ownership: an rnnkit_linefile is released by rnnkit_linefile_close.
 */
#ifndef RNNKIT_LINEFILE_H
#define RNNKIT_LINEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/status.h"
#include "rnnkit/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rnnkit_linefile rnnkit_linefile;

/* Opens `path` ("-" = stdin, named "<stdin>"); a directory is RNNKIT_ERR_IO. */
rnnkit_status rnnkit_linefile_open(const char *path, rnnkit_linefile **out, rnnkit_error *err);
/* Closes (stdin stays open); NULL is a no-op. */
void rnnkit_linefile_close(rnnkit_linefile *f);
/* The next line: 1 with *text and *len set (owned by f, NUL-terminated, valid until
 * the next call; the BOM and, with tsv, the label column removed), 0 at the
 * end, -1 on a read error or a missing tab (err set). */
int rnnkit_linefile_next(rnnkit_linefile *f, int tsv, const char **text, size_t *len, rnnkit_error *err);
/* The file's name for messages, the number of the last line read, and the
 * byte offset in the file of the text the last call returned. */
const char *rnnkit_linefile_name(const rnnkit_linefile *f);
uint64_t rnnkit_linefile_line(const rnnkit_linefile *f);
uint64_t rnnkit_linefile_offset(const rnnkit_linefile *f);

/* Told how many bytes of the current file have been read, now and then. */
typedef void (*rnnkit_bytes_fn)(void *ctx, uint64_t bytes);

/* Counts every line of `path` into b as one document (keep_newline: the
 * line end is a token, for char-level vocabularies; CRLF counts as "\n"),
 * positions in errors from the builder's tokenizer, and records the file
 * as a source (bytes, lines, FNV-1a 64). *bytes (may be NULL) receives the
 * file's size as read. A NUL byte is RNNKIT_ERR_FORMAT naming the line. */
rnnkit_status rnnkit_vocab_builder_add_file(rnnkit_vocab_builder *b, const char *path, int tsv, int keep_newline,
                                            rnnkit_bytes_fn progress, void *ctx, uint64_t *bytes,
                                            rnnkit_error *err);

/* The fraction of the tokens counted that the `top` most frequent ids
 * cover (top < 0: all the vocabulary keeps). 0 for an empty count. */
double rnnkit_vocab_coverage(const rnnkit_vocab *v, int64_t top);

/* Parses a line of space- or tab-separated ids of v into ids[*n] (grown
 * with realloc; *ids may be NULL, *cap its capacity). A token that is not
 * an integer, or an id outside [0, size), is RNNKIT_ERR_FORMAT naming
 * `name` and `line`. */
rnnkit_status rnnkit_vocab_parse_ids(const rnnkit_vocab *v, const char *text, const char *name, uint64_t line,
                                     int32_t **ids, size_t *n, size_t *cap, rnnkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
