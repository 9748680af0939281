/*
 * examples/classify.c: classify one string with a trained rnnkit model.
 *
 *   usage: classify MODEL.db "text to classify"
 *
 * Prints each label with its probability, one line each. Build it against
 * an installed rnnkit with the Makefile beside it (pkg-config).
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
    float *probs = NULL;
    int rc = 1;
    if (rnnkit_model_load(argv[1], RNNKIT_TASK_CLASSIFY, &m, &err) ||
        !(probs = malloc((size_t)rnnkit_model_num_labels(m) * sizeof *probs)) ||
        rnnkit_classifier_classify_text(m, argv[2], strlen(argv[2]), NULL, probs, &err))
        fprintf(stderr, "classify: %s\n", m && !probs ? "out of memory" : err.msg);
    else
        rc = 0;
    for (int k = 0; !rc && k < rnnkit_model_num_labels(m); k++)
        printf("%s\t%.4f\n", rnnkit_model_label(m, k), (double)probs[k]);
    free(probs);
    rnnkit_model_free(m);
    return rc;
}
