/*
 * rnnkit/nn.h: the vocabulary of rnnkit's networks that the model API
 * speaks: the random number generator (a value type), the recurrent cells,
 * the pooling modes and the optimisers. The layers themselves (parameter
 * block, recurrent layers, embedding, dense, dropout, losses, pooling,
 * optimisers) are internal to the library (model/nn_internal.h): a model
 * (rnnkit/model.h) is what a program builds, trains and uses.
 */
#ifndef RNNKIT_NN_H
#define RNNKIT_NN_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Random numbers: xoshiro256** seeded through splitmix64. A value type: copy
 * it to fork a stream, store its four words to checkpoint it. */
typedef struct rnnkit_rng {
    uint64_t s[4];
} rnnkit_rng;

void rnnkit_rng_seed(rnnkit_rng *r, uint64_t seed);
uint64_t rnnkit_rng_next(rnnkit_rng *r);
/* Uniform in [0, 1) with 24 random bits (exactly representable in float). */
float rnnkit_rng_uniform(rnnkit_rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint64_t rnnkit_rng_below(rnnkit_rng *r, uint64_t n);

/* ---------------------------------------------------------------------- */
/* Recurrent cells, with PyTorch's equations and gate order:
 *   LSTM (i,f,g,o): i=σ(W_ii x+b_ii+W_hi h+b_hi) ... c'=f⊙c+i⊙g, h'=o⊙tanh(c')
 *   GRU  (r,z,n):   n=tanh(W_in x+b_in + r⊙(W_hn h+b_hn)), h'=(1-z)⊙n + z⊙h
 *   RNN:            h'=tanh(W_ih x+b_ih+W_hh h+b_hh) */
typedef enum rnnkit_cell {
    RNNKIT_CELL_RNN = 0,
    RNNKIT_CELL_LSTM = 1,
    RNNKIT_CELL_GRU = 2
} rnnkit_cell;

/* "rnn", "lstm", "gru"; and back (returns -1 for an unknown name). */
const char *rnnkit_cell_name(rnnkit_cell c);
int rnnkit_cell_from_name(const char *name);


/* ---------------------------------------------------------------------- */
/* Pooling over time of a classifier's recurrent outputs: the last state,
 * or the mean or maximum over the unpadded steps. */
typedef enum rnnkit_pool { RNNKIT_POOL_LAST = 0, RNNKIT_POOL_MEAN = 1, RNNKIT_POOL_MAX = 2 } rnnkit_pool;
const char *rnnkit_pool_name(rnnkit_pool p);
int rnnkit_pool_from_name(const char *name);

/* ---------------------------------------------------------------------- */
/* Optimisers, as torch.optim: Adam (betas 0.9/0.999, eps 1e-8), AdamW
 * (weight decay 0.01 unless set), SGD. */
typedef enum rnnkit_optim_kind { RNNKIT_OPT_ADAM = 0, RNNKIT_OPT_ADAMW = 1, RNNKIT_OPT_SGD = 2 } rnnkit_optim_kind;

#ifdef __cplusplus
}
#endif
#endif
