/*
 * model/prime.c: what a generator's sample starts from and how it compares
 * with a text: the prime text split into known ids, and the longest run of
 * a sample copied verbatim from a text.
 *
 * Invariant: the prime is split with the model's own tokenizer rules, so a
 * prime continues exactly as the same characters would in training text
 * (at word level a word the vocabulary lacks is <unk>, as it was there).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "rnnkit/text.h"

typedef struct prime_ctx {
    rnnkit_vocab *v;
    int32_t *ids;
    size_t n, cap, pos;
    int skip;
    int words;        /* word level: an unknown word is <unk>, as in training text */
    rnnkit_error err; /* the callback's own failure */
    int failed;
} prime_ctx;

static int prime_token(void *ctx, const char *tok, size_t len)
{
    prime_ctx *s = ctx;
    s->pos++;
    int64_t id = rnnkit_vocab_lookup(s->v, tok, len);
    if (id == RNNKIT_UNK_ID && !s->words) {
        if (s->skip)
            return 0;
        rnnkit_error_set(&s->err, RNNKIT_ERR_ARG,
                         "character '%.*s' at position %zu is not in the model's vocabulary", (int)len, tok, s->pos);
        s->failed = 1;
        return 1;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        int32_t *g = realloc(s->ids, cap * sizeof *g);
        if (!g) {
            rnnkit_error_set(&s->err, RNNKIT_ERR_NOMEM, "out of memory");
            s->failed = 1;
            return 1;
        }
        s->ids = g;
        s->cap = cap;
    }
    s->ids[s->n++] = (int32_t)id;
    return 0;
}

rnnkit_status rnnkit_prime_encode(rnnkit_vocab *v, const char *prime, int skip_unknown, int32_t **ids, size_t *n,
                                  rnnkit_error *err)
{
    prime_ctx sc = {.v = v, .skip = skip_unknown, .words = rnnkit_vocab_config(v)->level == RNNKIT_LEVEL_WORD};
    rnnkit_tokenizer *tk = NULL;
    const char *text = prime ? prime : "\n";
    rnnkit_status st = rnnkit_tokenizer_new(rnnkit_vocab_config(v), &tk, err);
    if (!st) {
        st = rnnkit_tokenizer_run(tk, text, strlen(text), "prime", prime_token, &sc, err);
        if (sc.failed) {
            *err = sc.err;
            st = err->status;
        }
    }
    rnnkit_tokenizer_free(tk);
    if (!st && sc.n == 0) {
        if (prime)
            st = rnnkit_error_set(err, RNNKIT_ERR_ARG, "no character of the prime text is in the model's vocabulary");
        else
            prime_token(&sc, "\n", 1); /* newline unknown: start from the commonest symbol */
        if (!st && sc.n == 0) {
            sc.ids = malloc(sizeof *sc.ids);
            if (!sc.ids)
                st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
            else
                sc.ids[sc.n++] = 2;
        }
    }
    if (st) {
        free(sc.ids);
        sc.ids = NULL;
        sc.n = 0;
    }
    *ids = sc.ids;
    *n = sc.n;
    return st;
}

size_t rnnkit_longest_copy(const char *text, const char *out, size_t n, size_t *at)
{
    size_t best = 0;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t lo = best + 1;
        while (i + lo <= n) {
            char *probe = strndup(out + i, lo);
            int found = probe && strstr(text, probe) != NULL;
            free(probe);
            if (!found)
                break;
            best = lo;
            *at = i;
            lo++;
        }
    }
    return best;
}
