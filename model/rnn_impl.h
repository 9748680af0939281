/*
 * model/rnn_impl.h: the layer struct of the recurrent layers, shared by the
 * two files that implement them: model/rnn.c (configuration, parameters,
 * workspace, whole-layer forward and backward) and model/rnn_unit.c (the
 * fused per-step kernels and one unit's forward and backward). Not
 * installed, not API; tests see model/rnn_internal.h.
 */
#ifndef RNNKIT_MODEL_RNN_IMPL_H
#define RNNKIT_MODEL_RNN_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "model/nn_internal.h"
#include "model/quant_internal.h"


/* One layer in one direction. */
typedef struct rnn_unit {
    size_t w_ih, w_hh, b_ih, b_hh; /* offsets into params: [GH][E], [GH][H], [GH], [GH] */
    int in;                        /* E: input width of this layer */
    /* Workspace views, set by rnnkit__rnn_reserve (shapes for the T, B of the
     * last forward; rows of B sequences are contiguous). */
    float *z;   /* [T][B][GH]  gate pre-activations, then activations */
    float *s;   /* [T+1][B][H] hidden states, see prev_slot() */
    float *c;   /* [T+1][B][H] LSTM cell states, same indexing */
    float *aux; /* [T][B][H]   LSTM: tanh(c_t); GRU: W_hn h_{t-1} + b_hn */
} rnn_unit;

struct rnnkit__rnn {
    rnnkit__rnn_config cfg;
    rnnkit__params *params;
    int G, D, L, H, E;
    int exact_math;  /* libm activations instead of the fast ones */
    rnn_unit *units; /* [L*D], index l*D + d */
    float **y;       /* [L] -> [T][B][D*H] layer outputs (dropout applied below the top) */
    float **drop;    /* [L] -> [T][B][D*H] dropout multipliers (layers below the top) */

    /* Workspace: one block of ws_floats floats, for capT steps x capB sequences. */
    int capT, capB;
    float *ws;
    size_t ws_floats;
    float *xin;    /* [T][B][E] the training input, kept for dW_ih of layer 0 */
    float *mask;   /* [T][B] the training mask */
    float *ones;   /* [T*B] 1.0f, for the bias gradients */
    float *dz;     /* [T][B][GH] pre-activation gradients of the current unit */
    float *dzh;    /* GRU: [T][B][GH] the same for the recurrent part (n slice * r) */
    float *dya;    /* [T][B][D*H] gradient w.r.t. a layer's output / input */
    float *dyb;    /* [T][B][D*H] its partner (the two swap between layers) */
    float *dh;     /* [B][H] state gradients, current */
    float *dh2;    /* [B][H] state gradients, next */
    float *dc;     /* [B][H] LSTM cell gradient */
    float *rh;     /* GRU: [B][GH] h_{t-1} W_hh^T */

    /* The threads the products run on (not owned; NULL: the caller's
     * thread). Results do not depend on it (core/pool.h). */
    rnnkit__pool *pool;

    /* Inference only: layer 0's input projection as rows of a table indexed
     * by token id (in_rows[d][id] = x_id W_ih^T of direction d), see
     * rnnkit__rnn_set_input_rows. */
    const float *in_rows[2];
    const int32_t *in_ids;

    /* Inference only: int8 copies of W_hh of every unit and of W_ih of the
     * units above layer 0 ([L*D], q_ih's layer-0 entries unused), the
     * activations' scratch and the kernel choice (rnnkit__rnn_set_int8).
     * NULL: fp32 products. */
    const rnnkit__qmat *q_hh, *q_ih;
    rnnkit__qbuf *q_buf;
    int q_vnni;

    /* Weight drop (DropConnect on W_hh) of the last training forward:
     * per unit the dropped matrix and its multipliers (0 or 1/(1-p)), each
     * [L*D][GH][H], allocated at the first training forward that needs them;
     * wd_g [GH][H] stages a unit's dW_hh. wd_on: the forward used them. */
    float *wd_w, *wd_m, *wd_g;
    int wd_on;

    /* bf16 mode (the pool's): W_hh of the unit being computed, packed once
     * per pass as the per-step products' op(B) (core/pool.h), W_hh^T in a
     * forward, W_hh in a backward; bfp_words words, allocated at the first
     * forward in bf16 mode over more than one sequence. NULL: every step
     * packs its own (the same bits, slower). */
    uint32_t *bfp;
    size_t bfp_words;

    /* The last training forward, for backward. */
    int fwdT, fwdB, have_mask;
    int trained; /* 0: nothing to differentiate; 1: kept; 2: kept, with dropout masks */
};


/* Forward of layer l, direction d over T steps of B sequences (see
 * model/rnn_unit.c); in [T][B][E], mask [T][B] or NULL, h0/c0 [B][H] or NULL. */
void rnnkit__rnn_unit_forward(rnnkit__rnn *rnn, int l, int d, int T, int B, const float *in, const float *mask,
                              const float *h0, const float *c0);
/* Its backward: dy [T][B][D*H] of the layer's output (NULL: zero), dhn/dcn
 * of the final state (may be NULL); adds into the weight gradients; dx
 * [T][B][E] gets the input's gradient (direction 0 writes it, direction 1
 * adds to it), dh0/dc0 the initial state's when non-NULL. */
void rnnkit__rnn_unit_backward(rnnkit__rnn *rnn, int l, int d, int T, int B, const float *in, const float *mask,
                               const float *dy, const float *dhn, const float *dcn, float *dx, float *dh0,
                               float *dc0);
/* C[M][N] = A[M][K] W^T + beta C, W [N][K]: a linear map applied to M rows. */
void rnnkit__rnn_gemm_xwt(rnnkit__pool *pool, int M, int N, int K, const float *A, const float *W, float beta,
                          float *C);

#endif
