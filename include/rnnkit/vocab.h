/*
 * rnnkit/vocab.h: vocabularies, counted from corpora and stored in SQLite.
 *
 * Ids: 0 = "<pad>", 1 = "<unk>", then tokens by count descending, ties by
 * the token's bytes ascending. A vocabulary remembers the rnnkit_tok_config
 * that made it; encoding always uses that, never a caller's.
 *
 * CONTRACT (used by model/, cli/): declarations marked [core] keep their
 * signatures; more may be added.
 */
#ifndef RNNKIT_VOCAB_H
#define RNNKIT_VOCAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rnnkit/status.h"
#include "rnnkit/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RNNKIT_PAD_ID 0
#define RNNKIT_UNK_ID 1

typedef struct rnnkit_vocab rnnkit_vocab;
typedef struct rnnkit_vocab_builder rnnkit_vocab_builder;

/* [core] Counting. Memory grows with distinct tokens only. */
rnnkit_status rnnkit_vocab_builder_new(const rnnkit_tok_config *cfg, rnnkit_vocab_builder **out,
                                       rnnkit_error *err);
void rnnkit_vocab_builder_free(rnnkit_vocab_builder *b);
/* [core] Counts one document (`where` for error messages, may be NULL). */
rnnkit_status rnnkit_vocab_builder_add(rnnkit_vocab_builder *b, const char *text, size_t len,
                                       const char *where, rnnkit_error *err);
/* [core] Freezes the counts into a vocabulary: tokens with count < min_count
 * dropped (min_count <= 1 keeps all), at most max_size ids in all INCLUDING
 * the two reserved ones (max_size <= 0: no cap). The builder stays usable. */
rnnkit_status rnnkit_vocab_builder_finish(rnnkit_vocab_builder *b, int64_t min_count,
                                          int64_t max_size, rnnkit_vocab **out,
                                          rnnkit_error *err);

/* [core] Loads a vocabulary file (read-only). Errors for a missing file, a
 * non-SQLite file, a SQLite file without our schema, a newer schema version,
 * missing reserved ids. */
rnnkit_status rnnkit_vocab_open(const char *path, rnnkit_vocab **out, rnnkit_error *err);
void rnnkit_vocab_free(rnnkit_vocab *v);

/* [core] Accessors. */
int64_t rnnkit_vocab_size(const rnnkit_vocab *v); /* ids in all, reserved included */
const rnnkit_tok_config *rnnkit_vocab_config(const rnnkit_vocab *v);
/* Token bytes of `id` (NUL-terminated, owned by v); NULL if out of range. */
const char *rnnkit_vocab_token(const rnnkit_vocab *v, int64_t id, size_t *len);
/* Id of a token, RNNKIT_UNK_ID when absent. */
int64_t rnnkit_vocab_lookup(const rnnkit_vocab *v, const char *tok, size_t len);
int64_t rnnkit_vocab_count(const rnnkit_vocab *v, int64_t id);

/* [core] Encodes one document with the vocabulary's own rules. Writes at most
 * `cap` ids to `ids`; *n receives the total number of tokens (which may exceed
 * cap). When more than cap, keep_last nonzero keeps the LAST cap tokens
 * (Keras truncating='pre'), zero the first cap. Uses an internal tokenizer:
 * one rnnkit_vocab must not be used to encode from two threads at once. */
rnnkit_status rnnkit_vocab_encode(rnnkit_vocab *v, const char *text, size_t len,
                                  const char *where, int32_t *ids, size_t cap, int keep_last,
                                  size_t *n, rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* More of the vocabulary API. */

/* Records a counted source (path, size in bytes, lines, FNV-1a 64 of its
 * bytes) in the sources table of the vocabulary that finish() makes. */
rnnkit_status rnnkit_vocab_builder_add_source(rnnkit_vocab_builder *b, const char *path, int64_t bytes,
                                              int64_t lines, uint64_t hash, rnnkit_error *err);
/* The builder's tokenizer (for rnnkit_tokenizer_set_origin), owned by b. */
rnnkit_tokenizer *rnnkit_vocab_builder_tokenizer(rnnkit_vocab_builder *b);
/* A builder that starts from a vocabulary's counts, rules and sources (for
 * --append). Tokens cut by the earlier min_count / max_size are gone. */
rnnkit_status rnnkit_vocab_builder_from_vocab(const rnnkit_vocab *v, rnnkit_vocab_builder **out,
                                              rnnkit_error *err);
/* Writes a standalone vocabulary file atomically (temporary file + rename;
 * an existing file is untouched on failure). */
rnnkit_status rnnkit_vocab_write_file(const rnnkit_vocab *v, const char *path, rnnkit_error *err);

/* Tokens counted (before min_count/max_size) and documents counted. */
int64_t rnnkit_vocab_total_tokens(const rnnkit_vocab *v);
int64_t rnnkit_vocab_documents(const rnnkit_vocab *v);
int64_t rnnkit_vocab_doc_count(const rnnkit_vocab *v, int64_t id);
/* Sources counted: path (owned by v) and its bytes, lines and hash (hex). */
size_t rnnkit_vocab_num_sources(const rnnkit_vocab *v);
const char *rnnkit_vocab_source(const rnnkit_vocab *v, size_t i, int64_t *bytes, int64_t *lines,
                                const char **hash);
const char *rnnkit_vocab_unicode_version(const rnnkit_vocab *v);
const char *rnnkit_vocab_utf8proc_version(const rnnkit_vocab *v);
/* The vocabulary's own tokenizer (its recorded rules), owned by v; NULL on OOM. */
rnnkit_tokenizer *rnnkit_vocab_tokenizer(rnnkit_vocab *v, rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* Other tools' formats (tokenizer/vocab_export.c) */

typedef enum rnnkit_vocab_format {
    RNNKIT_VOCAB_TXT = 0, /* one token per line in id order (line 1 is <pad>, id 0); a line
                           * break inside a token is written \n or \r */
    RNNKIT_VOCAB_KERAS,   /* a Keras Tokenizer JSON (tokenizer_from_json): word_index,
                           * word_counts, index_word, config; oov_token <unk> = 1 */
    RNNKIT_VOCAB_HF       /* a Hugging Face tokenizers tokenizer.json: WordLevel model, the
                           * vocabulary's normalisation and a matching pre-tokenizer */
} rnnkit_vocab_format;

/* Writes `v` in `format` to the caller's stream `f` (flushed, not closed).
 * Errors: RNNKIT_ERR_ARG for RNNKIT_VOCAB_HF of a vocabulary with
 * cjk_bigrams or split_clitics (the tokenizer.json written would not apply
 * them) or an unknown format,
 * RNNKIT_ERR_NOMEM, RNNKIT_ERR_IO when the stream reports an error. */
rnnkit_status rnnkit_vocab_export(const rnnkit_vocab *v, rnnkit_vocab_format format, FILE *f,
                                  rnnkit_error *err);
/* The same into the file `path`, atomically (temporary file beside it, then
 * rename; a new file gets 0666 less the umask, a replaced one keeps its
 * mode). On failure the error names `path` and `path` is untouched. */
rnnkit_status rnnkit_vocab_export_file(const rnnkit_vocab *v, rnnkit_vocab_format format, const char *path,
                                       rnnkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
