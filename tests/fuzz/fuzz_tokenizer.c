/*
 * tests/fuzz/fuzz_tokenizer.c: libFuzzer target for the UTF-8 tokenizer and
 * the vocabulary built from its tokens. The first byte picks the settings
 * (level, normalisation, case folding, punctuation, invalid-UTF-8 policy,
 * CJK bigrams, clitics; the last two share bits with the policy);
 * the rest is the text. Besides not crashing, every token must be non-empty
 * valid UTF-8, and encoding the text with the vocabulary built from it must
 * give only known ids.
 */
#include "fuzz_util.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

typedef struct tok_check {
    size_t n;
} tok_check;

static int on_token(void *ctx, const char *tok, size_t len)
{
    tok_check *c = ctx;
    if (len == 0 || !fuzz_valid_utf8(tok, len))
        abort();
    c->n++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    rnnkit_tok_config cfg;
    unsigned sel = data[0];
    rnnkit_tok_config_default(&cfg, (sel & 1) ? RNNKIT_LEVEL_CHAR : RNNKIT_LEVEL_WORD);
    cfg.normalize = (rnnkit_norm)((sel >> 1) % 3);
    cfg.lowercase = (sel >> 3) & 1;
    cfg.drop_punct = (sel >> 4) & 1;
    cfg.invalid = (rnnkit_invalid)((sel >> 5) % 3);
    cfg.cjk_bigrams = !(sel & 1) && ((sel >> 7) & 1);
    cfg.split_clitics = !(sel & 1) && ((sel >> 6) & 1);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    rnnkit_tokenizer *tok = NULL;
    if (rnnkit_tokenizer_new(&cfg, &tok, NULL) != RNNKIT_OK)
        abort();
    tok_check c = {0};
    rnnkit_error err;
    rnnkit_status st = rnnkit_tokenizer_run(tok, text, len, "fuzz", on_token, &c, &err);
    if (st != RNNKIT_OK && (st != RNNKIT_ERR_UTF8 || cfg.invalid != RNNKIT_INVALID_ERROR))
        abort(); /* only invalid UTF-8 under the ERROR policy may fail */
    rnnkit_tokenizer_free(tok);

    rnnkit_vocab_builder *b = NULL;
    rnnkit_vocab *v = NULL;
    if (rnnkit_vocab_builder_new(&cfg, &b, NULL) != RNNKIT_OK)
        abort();
    st = rnnkit_vocab_builder_add(b, text, len, "fuzz", &err);
    if (st == RNNKIT_OK)
        st = rnnkit_vocab_builder_finish(b, 1, 0, &v, &err);
    rnnkit_vocab_builder_free(b);
    if (st == RNNKIT_OK) {
        size_t cap = len + 8, n = 0;
        int32_t *ids = malloc(cap * sizeof *ids);
        if (!ids)
            abort();
        st = rnnkit_vocab_encode(v, text, len, "fuzz", ids, cap, 0, &n, &err);
        if (st == RNNKIT_OK)
            for (size_t i = 0; i < n && i < cap; i++)
                if (ids[i] < 0 || ids[i] >= rnnkit_vocab_size(v))
                    abort();
        free(ids);
        rnnkit_vocab_free(v);
    }
    return 0;
}
