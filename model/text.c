/*
 * model/text.c: a generator's training text: its vocabulary (every token of
 * the training and validation files) and the files encoded into one stream.
 *
 * Invariant: the vocabulary counts the training files in order, then the
 * validation file when one is given; with min_count 1 and no cap (as the
 * character level uses it) every id a counted file encodes to is a known
 * one, otherwise rarer tokens encode to <unk>.
 */
#include <stdlib.h>
#include <string.h>

#include "rnnkit/corpus.h"
#include "rnnkit/text.h"

rnnkit_status rnnkit_text_encode_file(rnnkit_vocab *v, const char *path, int32_t **ids, size_t *n,
                                      rnnkit_error *err)
{
    char *text = NULL;
    size_t len = 0;
    *ids = NULL;
    rnnkit_status st = rnnkit_read_text_file(path, &text, &len, err);
    if (st)
        return st;
    size_t cap = len + 1;
    *ids = malloc(cap * sizeof(int32_t));
    if (!*ids) {
        free(text);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
    }
    st = rnnkit_vocab_encode(v, text, len, path, *ids, cap, 0, n, err);
    if (!st && *n > cap) { /* more tokens than bytes (normalisation expanded): retry at size */
        int32_t *bigger = realloc(*ids, *n * sizeof(int32_t));
        if (!bigger)
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
        else {
            *ids = bigger;
            cap = *n;
            st = rnnkit_vocab_encode(v, text, len, path, *ids, cap, 0, n, err);
        }
    }
    free(text);
    if (st) {
        free(*ids);
        *ids = NULL;
    }
    return st;
}

rnnkit_status rnnkit_text_encode_files(rnnkit_vocab *v, const char *const *paths, int npaths, int32_t **ids,
                                       size_t *n, rnnkit_error *err)
{
    int32_t *all = NULL;
    size_t nall = 0;
    rnnkit_status st = RNNKIT_OK;
    for (int i = 0; !st && i < npaths; i++) {
        int32_t *one = NULL;
        size_t k = 0;
        if ((st = rnnkit_text_encode_file(v, paths[i], &one, &k, err)))
            break;
        int32_t *grown = realloc(all, (nall + k + 1) * sizeof *all);
        if (!grown)
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        else {
            all = grown;
            memcpy(all + nall, one, k * sizeof *one);
            nall += k;
        }
        free(one);
    }
    if (st) {
        free(all);
        all = NULL;
        nall = 0;
    }
    *ids = all;
    *n = nall;
    return st;
}

static int all_space(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!strchr(" \t\n\r\f\v", s[k]) || !s[k])
            return 0;
    return 1;
}

rnnkit_status rnnkit_text_vocab(const rnnkit_tok_config *tok, int64_t min_count, int64_t max_size,
                                const char *const *paths, int npaths, const char *valid, rnnkit_vocab **out,
                                rnnkit_error *err)
{
    *out = NULL;
    rnnkit_vocab_builder *b = NULL;
    rnnkit_status st = rnnkit_vocab_builder_new(tok, &b, err);
    for (int i = 0; !st && i <= npaths; i++) {
        const char *path = i < npaths ? paths[i] : valid;
        if (!path)
            continue;
        char *text = NULL;
        size_t len = 0;
        st = rnnkit_read_text_file(path, &text, &len, err);
        if (!st && i < npaths && all_space(text, len))
            st = rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "%s: %s", path,
                                  len ? "holds only whitespace: nothing to learn" : "the training text is empty");
        if (!st)
            st = rnnkit_vocab_builder_add(b, text, len, path, err);
        free(text);
    }
    if (!st)
        st = rnnkit_vocab_builder_finish(b, min_count, max_size, out, err);
    rnnkit_vocab_builder_free(b);
    if (!st && rnnkit_vocab_size(*out) < 3) {
        rnnkit_vocab_free(*out);
        *out = NULL;
        st = rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "%s: the training text is empty", npaths ? paths[0] : "");
    }
    return st;
}
