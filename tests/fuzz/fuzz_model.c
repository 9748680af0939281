/*
 * tests/fuzz/fuzz_model.c: libFuzzer target for the model-file loader (and
 * the checkpoint reader). The input is written as a file and opened as a
 * model of either task; a file that loads must also be usable: a classifier
 * predicts a short document, a generator is fed a few tokens and drawn
 * from, and every probability must be finite.
 */
#include "fuzz_util.h"
#include <math.h>
#include "rnnkit/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("model.db", data, size);
    rnnkit_model *m = NULL;
    rnnkit_error err;
    rnnkit_status st = rnnkit_model_load(path, -1, &m, &err);
    if (st != RNNKIT_OK) {
        if (m || !err.msg[0])
            abort();
    } else {
        const rnnkit_model_config *cfg = rnnkit_model_get_config(m);
        int64_t V = rnnkit_vocab_size(rnnkit_model_vocab(m));
        int32_t ids[6];
        for (int i = 0; i < 6; i++)
            ids[i] = (int32_t)(2 + i) < V ? 2 + i : 1;
        if (cfg->task == RNNKIT_TASK_CLASSIFY) {
            size_t off[2] = {0, 6};
            rnnkit_dataset d = {.n = 1, .off = off, .ids = ids, .label = NULL};
            int K = rnnkit_model_num_labels(m);
            float *p = malloc((size_t)K * sizeof *p);
            if (!p)
                abort();
            if (rnnkit_classifier_predict(m, &d, cfg->maxlen, cfg->keep_last, p, &err) == RNNKIT_OK)
                for (int k = 0; k < K; k++)
                    if (!isfinite(p[k]))
                        abort();
            free(p);
        } else {
            rnnkit_sampler *s = NULL;
            if (rnnkit_sampler_new(m, &s, &err) == RNNKIT_OK) {
                rnnkit_rng rng;
                rnnkit_rng_seed(&rng, 1);
                rnnkit_sample_options so = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .argmax = 0};
                for (int i = 0; i < 6; i++) {
                    if (rnnkit_sampler_feed(s, ids[i], &err) != RNNKIT_OK)
                        break;
                    int32_t next = rnnkit_sampler_draw(s, &so, &rng);
                    if (next < 0 || next >= V)
                        abort();
                }
                rnnkit_sampler_free(s);
            }
        }
        rnnkit_model_free(m);
    }
    rnnkit_checkpoint_info info;
    (void)rnnkit_checkpoint_info_read(path, &info, &err);
    return 0;
}
