/* model/model_internal.h: the model struct, shared by the files of model/ only. */
#ifndef RNNKIT_MODEL_INTERNAL_H
#define RNNKIT_MODEL_INTERNAL_H

#include "rnnkit/model.h"

struct rnnkit_model {
    rnnkit_model_config cfg;
    rnnkit_vocab *vocab;
    int V;          /* vocabulary size (embedding rows) */
    int K;          /* output size: labels (classifier) or V (generator) */
    char **labels;  /* [K] classifier only */
    rnnkit_params params;
    rnnkit_embedding emb;
    rnnkit_rnn *rnn;
    rnnkit_dense fc;
    int C;          /* RNN output width D*H */
    int LD;         /* L*D states */

    /* Workspace for batches of up to capT steps x capB sequences. */
    int capT, capB;
    int32_t *ids;        /* [T][B] */
    float *mask;         /* [T][B] */
    float *x, *xmask;    /* [T][B][E] embeddings and their dropout multipliers */
    float *dx;           /* [T][B][E] */
    float *feat, *featmask, *dfeat; /* [rows][C] input of the output layer */
    float *dy;           /* [T][B][C] */
    float *logits, *dlogits;        /* [rows][K] */
    float *h0, *c0, *hn, *cn, *dhn; /* [LD][B][H] */
    int32_t *argmax;     /* [B][C] */
    int32_t *targets;    /* [rows] */
};

/* Grows the workspace to T x B (rows = T*B for a generator, B otherwise). */
rnnkit_status rnnkit__model_reserve(rnnkit_model *m, int T, int B, rnnkit_error *err);

/* FNV-1a 64 over bytes: the tensor checksum stored in model files. */
uint64_t rnnkit__fnv1a64(const void *data, size_t n);

#endif
