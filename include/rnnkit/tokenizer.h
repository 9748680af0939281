/*
 * rnnkit/tokenizer.h: UTF-8 text to tokens (words or grapheme clusters),
 * with utf8proc normalisation, and Keras-compatible padding of sequences.
 *
 * CONTRACT (used by model/, cli/): the declarations in this file marked
 * [core] must keep their signatures; more may be added.
 */
#ifndef RNNKIT_TOKENIZER_H
#define RNNKIT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rnnkit_level { RNNKIT_LEVEL_WORD = 0, RNNKIT_LEVEL_CHAR = 1 } rnnkit_level;
typedef enum rnnkit_norm { RNNKIT_NORM_NONE = 0, RNNKIT_NORM_NFC = 1, RNNKIT_NORM_NFKC = 2 } rnnkit_norm;
typedef enum rnnkit_invalid {
    RNNKIT_INVALID_ERROR = 0,   /* invalid UTF-8 is an error naming line and byte offset */
    RNNKIT_INVALID_REPLACE = 1, /* each invalid sequence becomes U+FFFD (counted) */
    RNNKIT_INVALID_SKIP = 2     /* invalid bytes are dropped (counted) */
} rnnkit_invalid;

/* [core] How text becomes tokens. Stored in every vocabulary file. */
typedef struct rnnkit_tok_config {
    rnnkit_level level;
    rnnkit_norm normalize;
    int lowercase;      /* Unicode case folding */
    int drop_punct;     /* word level: drop punctuation/symbol tokens */
    int cjk_bigrams;    /* word level: after each CJK character that another one follows,
                         * also the pair of them as a token ("酒店" -> 酒 酒店 店): words
                         * for scripts written without spaces. Absent from older
                         * vocabulary files = 0 */
    rnnkit_invalid invalid;
    int split_clitics;  /* word level: a word ending in an English clitic is split the Penn
                         * Treebank way, the clitic a token of its own spelt with U+0027
                         * ("don't" -> do n't, "can't" -> ca n't, "it’s" -> it 's;
                         * n't 's 're 've 'll 'd 'm in any case), and a clitic standing
                         * alone ("n't", "'s") is one token, so "do n't" = "don't".
                         * Absent from older vocabulary files = 0. (Last, so that the
                         * fields before it keep their offsets.) */
} rnnkit_tok_config;

/* [core] Defaults for a level: word: NFKC, lowercase, keep punctuation;
 * char: no normalisation, no case folding. invalid = ERROR. */
void rnnkit_tok_config_default(rnnkit_tok_config *cfg, rnnkit_level level);

/* [core] Tokenizer with its own scratch buffers (reused, no per-token malloc).
 * Not thread-safe: one per thread. */
typedef struct rnnkit_tokenizer rnnkit_tokenizer;

rnnkit_status rnnkit_tokenizer_new(const rnnkit_tok_config *cfg, rnnkit_tokenizer **out,
                                   rnnkit_error *err);
void rnnkit_tokenizer_free(rnnkit_tokenizer *tok);

/* [core] Called once per token: `tok` is UTF-8, `len` bytes, valid only for
 * the call. Return 0 to go on, nonzero to stop (rnnkit_tokenizer_run then
 * returns RNNKIT_ERR_INTERRUPTED). */
typedef int (*rnnkit_token_fn)(void *ctx, const char *tok, size_t len);

/* [core] Tokenizes `text` [len bytes] (one document; may hold newlines).
 * `where` names the source in error messages ("train.tsv:12"), may be NULL.
 * Invalid UTF-8 is handled per cfg->invalid; with ERROR the message names
 * `where` and the byte offset. */
rnnkit_status rnnkit_tokenizer_run(rnnkit_tokenizer *tok, const char *text, size_t len,
                                   const char *where, rnnkit_token_fn fn, void *ctx,
                                   rnnkit_error *err);

/* Tells the tokenizer where the next texts start in their source (line
 * 1-based, byte offset from the file's start), so that an invalid-UTF-8
 * error says "file:LINE: invalid UTF-8 at byte offset N" in file terms.
 * line 0 = unknown (the default): positions are then relative to the text. */
void rnnkit_tokenizer_set_origin(rnnkit_tokenizer *tok, uint64_t line, uint64_t offset);

/* Nonzero when tok[0..len) is one of the English clitics that split_clitics
 * makes tokens of (n't 's 're 've 'll 'd 'm, any case, apostrophe U+0027 or
 * U+2019): what joins such a token to the word before it when words are
 * put back together ("do" "n't" -> "don't"). */
int rnnkit_tok_is_clitic(const char *tok, size_t len);

/* Number of invalid sequences replaced or skipped so far. */
uint64_t rnnkit_tokenizer_invalid_count(const rnnkit_tokenizer *tok);

/* [core] Keras pad_sequences on one sequence: writes exactly `maxlen` ids to
 * `out`. padding_pre/truncating_pre nonzero = 'pre' (Keras's defaults).
 * Returns the number of ids cut (0 if none). */
size_t rnnkit_pad_sequence(const int32_t *ids, size_t n, size_t maxlen, int padding_pre,
                           int truncating_pre, int32_t value, int32_t *out);

/* Keras pad_sequences on a batch: sequence i is seqs[i][0..lens[i]); writes
 * nseq rows of exactly `maxlen` ids to out[nseq * maxlen], row-major, with
 * the same rules as rnnkit_pad_sequence (Keras's maxlen=None is
 * maxlen = the largest lens[i]; an empty sequence is a row of `value`).
 * Returns the number of sequences that lost ids; *cut_ids (may be NULL)
 * receives the number of ids cut in all. */
size_t rnnkit_pad_batch(const int32_t *const *seqs, const size_t *lens, size_t nseq, size_t maxlen,
                        int padding_pre, int truncating_pre, int32_t value, int32_t *out,
                        uint64_t *cut_ids);

#ifdef __cplusplus
}
#endif
#endif
