/*
 * rnnkit/text.h: plain text for a generator (characters or words): the
 * vocabulary of its training files, files encoded to one id stream, the
 * text a sample continues ("prime"), and how much of a sample was copied
 * from a text.
 *
 * Ownership: arrays returned through int32_t ** are malloc'd; the caller
 * frees them (they are NULL after a failure). Errors name the file (and
 * for invalid UTF-8 the line and byte offset), or the position of a prime
 * character.
 */
#ifndef RNNKIT_TEXT_H
#define RNNKIT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/status.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the whole file `path` ("-" = stdin) and encodes it with v into
 * ids[*n]. RNNKIT_ERR_IO / _UTF8 / _FORMAT / _NOMEM. */
rnnkit_status rnnkit_text_encode_file(rnnkit_vocab *v, const char *path, int32_t **ids, size_t *n,
                                      rnnkit_error *err);
/* Encodes the files paths[0..npaths) one after the other into one stream. */
rnnkit_status rnnkit_text_encode_files(rnnkit_vocab *v, const char *const *paths, int npaths, int32_t **ids,
                                       size_t *n, rnnkit_error *err);
/* A generator's vocabulary: the tokens (with tok's rules) of the training
 * files and of `valid` (may be NULL), kept as rnnkit_vocab_builder_finish
 * keeps them (min_count 1, max_size 0: every one). A training file that is
 * empty or only whitespace is RNNKIT_ERR_EMPTY naming it, and so is a
 * vocabulary without a token. *out is new (rnnkit_vocab_free). */
rnnkit_status rnnkit_text_vocab(const rnnkit_tok_config *tok, int64_t min_count, int64_t max_size,
                                const char *const *paths, int npaths, const char *valid, rnnkit_vocab **out,
                                rnnkit_error *err);

/* The ids a sample starts from: `prime` split with the vocabulary's own
 * rules. A character v lacks is RNNKIT_ERR_ARG naming it and its position
 * (1-based), unless skip_unknown drops it; a prime of which no character
 * is known is RNNKIT_ERR_ARG. At word level a word v lacks is <unk> (as in
 * training text). prime NULL: a newline (or, when the model has none, its
 * commonest symbol). */
rnnkit_status rnnkit_prime_encode(rnnkit_vocab *v, const char *prime, int skip_unknown, int32_t **ids, size_t *n,
                                  rnnkit_error *err);

/* The longest run of out[0..n) found verbatim in the NUL-terminated
 * `text`: its length in bytes, its start in out in *at. */
size_t rnnkit_longest_copy(const char *text, const char *out, size_t n, size_t *at);

#ifdef __cplusplus
}
#endif
#endif
