/*
 * tests/fuzz/fuzz_safetensors.c: libFuzzer target for the safetensors reader
 * (model/export.c). The input is written as a file and read by
 * rnnkit_safetensors_metadata and by rnnkit_model_import_safetensors into a
 * small classifier (bidirectional LSTM, 1 layer, E 2, H 2, vocabulary of 5)
 * built once. Besides the sanitizers, it checks the contracts:
 *   - a refusal gives a message, NULL/0 metadata, and leaves every weight
 *     of the model as it was (all or nothing);
 *   - a header the metadata reader refuses is refused by the import too,
 *     and a file that imports has metadata that reads;
 *   - an import that succeeds leaves finite weights and a zero padding row.
 * After a successful import the original weights are put back, so every
 * input starts from the same model.
 *
 * Seeds (tests/fuzz/corpus/safetensors): this model exported as F32
 *   RNNKIT_FUZZ_WRITE_SEED=f32.safetensors build-fuzz/tests/fuzz/fuzz_safetensors
 * and that file converted to F64, F16 and BF16 by
 *   python3 tests/fuzz/safetensors_seeds.py f32.safetensors tests/fuzz/corpus/safetensors
 */
#include "fuzz_util.h"
#include <math.h>
#include "model/model_internal.h"
#include "rnnkit/model.h"

static rnnkit_model *model;
static float *original; /* [count] the weights every input starts from */

static rnnkit_model *make_model(void)
{
    rnnkit_tok_config tc;
    rnnkit_tok_config_default(&tc, RNNKIT_LEVEL_WORD);
    rnnkit_vocab_builder *b = NULL;
    rnnkit_vocab *v = NULL;
    const char *text = "good bad film";
    if (rnnkit_vocab_builder_new(&tc, &b, NULL) || rnnkit_vocab_builder_add(b, text, strlen(text), "seed", NULL) ||
        rnnkit_vocab_builder_finish(b, 1, 0, &v, NULL))
        abort();
    rnnkit_vocab_builder_free(b);
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.cell = RNNKIT_CELL_LSTM;
    c.embed = 2;
    c.hidden = 2;
    c.layers = 1;
    c.bidirectional = 1;
    const char *labels[] = {"neg", "pos"};
    rnnkit_model *m = NULL;
    if (rnnkit_model_create(&c, v, labels, 2, 1, &m, NULL))
        abort();
    return m;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    model = make_model();
    const rnnkit__params *p = rnnkit__model_params(model);
    original = malloc(p->count * sizeof *original);
    if (!original)
        abort();
    memcpy(original, p->value, p->count * sizeof *original);
    const char *seed = getenv("RNNKIT_FUZZ_WRITE_SEED");
    if (seed) {
        rnnkit_error err;
        if (rnnkit_model_export_safetensors(model, seed, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("w.safetensors", data, size);
    rnnkit_error err;

    char **keys = (char **)1, **values = (char **)1;
    int n = -1;
    rnnkit_error_clear(&err);
    rnnkit_status meta = rnnkit_safetensors_metadata(path, &keys, &values, &n, &err);
    if (meta != RNNKIT_OK) {
        if (keys || values || n != 0 || !err.msg[0])
            abort();
    } else {
        if (n < 0 || (n > 0 && (!keys || !values)))
            abort();
        size_t total = 0;
        for (int i = 0; i < n; i++) {
            if (!keys[i] || !values[i])
                abort();
            total += strlen(keys[i]) + strlen(values[i]);
        }
        if (total > size)
            abort(); /* decoded strings are never longer than the file */
        rnnkit_safetensors_metadata_free(keys, values, n);
    }

    rnnkit__params *p = rnnkit__model_params(model);
    rnnkit_error_clear(&err);
    rnnkit_status st = rnnkit_model_import_safetensors(model, path, &err);
    if (st != RNNKIT_OK) {
        if (!err.msg[0])
            abort();
        if (memcmp(p->value, original, p->count * sizeof(float)) != 0)
            abort(); /* a refused import changed the model */
    } else {
        if (meta != RNNKIT_OK)
            abort(); /* imported a file whose header the metadata reader refuses */
        for (int v = 0; v < p->nviews; v++)
            for (size_t i = 0; i < p->views[v].numel; i++)
                if (!isfinite(p->value[p->views[v].offset + i]))
                    abort();
        const rnnkit__param_view *emb = rnnkit__params_find(p, "embedding.weight");
        for (int64_t j = 0; j < emb->shape[1]; j++)
            if (p->value[emb->offset + (size_t)j] != 0.0f)
                abort();
        memcpy(p->value, original, p->count * sizeof(float));
        rnnkit__model_params(model); /* weights changed behind the model's back */
    }
    return 0;
}
