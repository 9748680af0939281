/*
 * model/rnn_internal.h: what the tests and the benchmark need to see of
 * model/rnn.c beyond rnnkit/nn.h. Not installed, not API.
 */
#ifndef RNNKIT_RNN_INTERNAL_H
#define RNNKIT_RNN_INTERNAL_H

#include <stddef.h>

#include "model/nn_internal.h"
#include "model/quant_internal.h"

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
void rnnkit__rnn_set_exact_math(rnnkit__rnn *rnn, int on);

/*
 * Inference fast path for a first layer fed by an embedding: rows[d] is a
 * table of [V][G*H] floats holding x_id W_ih^T of layer 0, direction d (see
 * rnnkit__rnn_input_rows), and ids the [T][B] tokens of the next forwards,
 * which then copy their input projection from the table instead of
 * multiplying (x is not read for layer 0). rows NULL turns it off. Rejected by
 * a training forward.
 */
void rnnkit__rnn_set_input_rows(rnnkit__rnn *rnn, const float *const *rows, const int32_t *ids);
/*
 * Inference with int8 weights: hh[l*D + d] holds W_hh of unit (l, d)
 * quantized, ih[l*D + d] W_ih for l >= 1 (entries of layer 0 unused: its
 * input product stays fp32 or comes from the table), all made by
 * rnnkit__qmat_set from the current weights; buf is the activations'
 * scratch (grown by the forward), vnni the kernel (quant_internal.h). The
 * next inference forwards use them for those products; hh NULL turns it
 * off. Rejected by a training forward. The caller keeps them valid.
 */
/* Quantizes the current weights into hh and ih as rnnkit__rnn_set_int8 wants
 * them (arrays of L*D, zeroed before the first call): an entry not yet
 * allocated is allocated first, so only a first call can fail. */
rnnkit_status rnnkit__rnn_quantize(const rnnkit__rnn *rnn, rnnkit__qmat *hh, rnnkit__qmat *ih, rnnkit_error *err);
void rnnkit__rnn_set_int8(rnnkit__rnn *rnn, const rnnkit__qmat *hh, const rnnkit__qmat *ih, rnnkit__qbuf *buf,
                          int vnni);

/* G*H: the width of a table row. */
int rnnkit__rnn_gate_width(const rnnkit__rnn *rnn);
/* out[n][G*H] = x[n][E] W_ih^T of layer 0, direction d: table rows. */
void rnnkit__rnn_input_rows(const rnnkit__rnn *rnn, int d, int n, const float *x, float *out);

/* The workspace capacity: steps, sequences and bytes currently allocated. */
void rnnkit__rnn_capacity(const rnnkit__rnn *rnn, int *T, int *B, size_t *bytes);

#endif
