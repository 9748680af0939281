/*
 * tests/fuzz/fuzz_vocab.c: libFuzzer target for the vocabulary-file loader.
 * A file that opens must answer lookups for every id it claims and encode a
 * short text into ids it holds.
 */
#include "fuzz_util.h"
#include "rnnkit/vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("vocab.db", data, size);
    rnnkit_vocab *v = NULL;
    rnnkit_error err;
    if (rnnkit_vocab_open(path, &v, &err) != RNNKIT_OK) {
        if (v || !err.msg[0])
            abort();
        return 0;
    }
    int64_t n = rnnkit_vocab_size(v);
    for (int64_t id = 0; id < n && id < 4096; id++) {
        size_t len;
        const char *t = rnnkit_vocab_token(v, id, &len);
        if (!t || rnnkit_vocab_lookup(v, t, len) < 0)
            abort();
    }
    static const char text[] = "The film, 好看 really! 🎬 ok";
    int32_t ids[64];
    size_t got = 0;
    if (rnnkit_vocab_encode(v, text, sizeof text - 1, "fuzz", ids, 64, 0, &got, &err) == RNNKIT_OK)
        for (size_t i = 0; i < got && i < 64; i++)
            if (ids[i] < 0 || ids[i] >= n)
                abort();
    rnnkit_vocab_free(v);
    return 0;
}
