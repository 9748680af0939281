/*
 * examples/classify.c: classify one string with a trained rnnkit model.
 *
 *   usage: classify MODEL.db "text to classify"
 *
 * Prints each label with its probability, most probable first. Build it
 * against an installed rnnkit with the Makefile beside it (pkg-config).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rnnkit/model.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.db TEXT\n", argv[0]);
        return 2;
    }
    rnnkit_error err;
    rnnkit_model *m = NULL;
    if (rnnkit_model_load(argv[1], RNNKIT_TASK_CLASSIFY, &m, &err)) {
        fprintf(stderr, "classify: %s\n", err.msg);
        return 1;
    }
    const rnnkit_model_config *cfg = rnnkit_model_get_config(m);
    const char *text = argv[2];
    size_t len = strlen(text), n = 0;
    /* A text of len bytes has at most len tokens; the model's maxlen caps
     * what it reads (keeping the end of a long text when keep_last). */
    size_t cap = cfg->maxlen > 0 && (size_t)cfg->maxlen < len + 1 ? (size_t)cfg->maxlen : len + 1;
    int K = rnnkit_model_num_labels(m);
    int32_t *ids = malloc(cap * sizeof *ids);
    float *probs = malloc((size_t)K * sizeof *probs);
    int rc = 1;
    if (!ids || !probs) {
        fprintf(stderr, "classify: out of memory\n");
        goto done;
    }
    if (rnnkit_vocab_encode(rnnkit_model_vocab(m), text, len, "argv", ids, cap, cfg->keep_last, &n, &err)) {
        fprintf(stderr, "classify: %s\n", err.msg);
        goto done;
    }
    size_t off[2] = {0, n < cap ? n : cap};
    rnnkit_dataset doc = {1, off, ids, NULL};
    if (rnnkit_classifier_predict(m, &doc, cfg->maxlen, cfg->keep_last, probs, &err)) {
        fprintf(stderr, "classify: %s\n", err.msg);
        goto done;
    }
    for (int shown = 0; shown < K; shown++) { /* selection: K is small */
        int best = -1;
        for (int k = 0; k < K; k++)
            if (probs[k] >= 0 && (best < 0 || probs[k] > probs[best]))
                best = k;
        printf("%s\t%.4f\n", rnnkit_model_label(m, best), (double)probs[best]);
        probs[best] = -1;
    }
    rc = 0;
done:
    free(ids);
    free(probs);
    rnnkit_model_free(m);
    return rc;
}
