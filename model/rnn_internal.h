/*
 * model/rnn_internal.h: what the tests and the benchmark need to see of
 * model/rnn.c beyond rnnkit/nn.h. Not installed, not API.
 */
#ifndef RNNKIT_RNN_INTERNAL_H
#define RNNKIT_RNN_INTERNAL_H

#include <stddef.h>

#include "rnnkit/nn.h"

/*
 * The activations used by the fused gate passes. The "fast" ones are
 * rnn.c's vectorisable approximations (max error about 2 ulp of the result,
 * bounded in tests/test_rnn.c); the "exact" ones are libm's expf/tanhf.
 */
float rnnkit__rnn_sigmoid_fast(float x);
float rnnkit__rnn_tanh_fast(float x);
float rnnkit__rnn_sigmoid_exact(float x);
float rnnkit__rnn_tanh_exact(float x);

/* Selects libm's expf/tanhf (on != 0) or the fast approximations (the
 * default) for the gate nonlinearities of `rnn`: the reference the fast path
 * is tested against. */
void rnnkit__rnn_set_exact_math(rnnkit_rnn *rnn, int on);

/* The workspace capacity: steps, sequences and bytes currently allocated. */
void rnnkit__rnn_capacity(const rnnkit_rnn *rnn, int *T, int *B, size_t *bytes);

#endif
