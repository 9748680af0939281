/*
 * examples/generate.c: continue a seed text with a trained rnnkit generator.
 *
 *   usage: generate MODEL.db SEED [LENGTH]
 *
 * Feeds the seed's characters one by one, then draws LENGTH more (default
 * 200) at temperature 0.8 with a fixed random seed, so a run is repeatable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rnnkit/model.h>

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s MODEL.db SEED [LENGTH]\n", argv[0]);
        return 2;
    }
    long length = argc == 4 ? strtol(argv[3], NULL, 10) : 200;
    if (length < 0 || length > 1000000) {
        fprintf(stderr, "generate: LENGTH must be in [0, 1000000]\n");
        return 2;
    }
    rnnkit_error err;
    rnnkit_model *m = NULL;
    rnnkit_sampler *s = NULL;
    int32_t *ids = NULL;
    int rc = 1;
    if (rnnkit_model_load(argv[1], RNNKIT_TASK_GENERATE, &m, &err) || rnnkit_sampler_new(m, &s, &err)) {
        fprintf(stderr, "generate: %s\n", err.msg);
        goto done;
    }
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    const char *seed = argv[2];
    size_t len = strlen(seed), n = 0;
    if (!(ids = malloc((len + 1) * sizeof *ids))) {
        fprintf(stderr, "generate: out of memory\n");
        goto done;
    }
    if (rnnkit_vocab_encode(v, seed, len, "seed", ids, len + 1, 0, &n, &err)) {
        fprintf(stderr, "generate: %s\n", err.msg);
        goto done;
    }
    fputs(seed, stdout);
    for (size_t i = 0; i < n; i++)
        if (rnnkit_sampler_feed(s, ids[i], &err)) {
            fprintf(stderr, "generate: %s\n", err.msg);
            goto done;
        }
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 1);
    rnnkit_sample_options opt = {.temperature = 0.8f, .top_k = 0, .top_p = 1.0f, .argmax = 0};
    for (long i = 0; i < length; i++) {
        int32_t id = rnnkit_sampler_draw(s, &opt, &rng);
        fputs(rnnkit_vocab_token(v, id, NULL), stdout);
        if (rnnkit_sampler_feed(s, id, &err)) {
            fprintf(stderr, "generate: %s\n", err.msg);
            goto done;
        }
    }
    putchar('\n');
    rc = 0;
done:
    free(ids);
    rnnkit_sampler_free(s);
    rnnkit_model_free(m);
    return rc;
}
