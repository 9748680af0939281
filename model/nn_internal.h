/*
 * model/nn_internal.h: the building blocks of rnnkit's networks, internal to
 * the library (rnnkit/nn.h holds the public names they use).
 *
 * Layout conventions (fixed throughout):
 *   T  time steps, B  batch size, E  input (embedding) size, H  hidden size,
 *   D  directions (1 or 2), L  layers, V  vocabulary size, K  classes.
 *   Sequences are TIME-MAJOR: a [T][B][E] buffer holds step t of sequence b
 *   at x + (t*B + b)*E. Masks are [T][B] floats, 1 for a real token, 0 for
 *   padding (padding may be on either side; a NULL mask means all real).
 *   Everything is fp32, row-major; weights use PyTorch's layout ([out][in]).
 *
 * Parameters of a whole network live in one `rnnkit__params` block: one
 * contiguous array of values and one of gradients, with a named view per
 * tensor (PyTorch state_dict names). Layers first *declare* their tensors,
 * then the block is allocated once, then layers are used. Backward passes
 * ADD into the gradient block; zero it with rnnkit__params_zero_grad().
 */
#ifndef RNNKIT_MODEL_NN_INTERNAL_H
#define RNNKIT_MODEL_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"
#include "rnnkit/nn.h"
#include "rnnkit/status.h"

/* ---------------------------------------------------------------------- */
/* Parameter block. */
#define RNNKIT_NAME_MAX 64
#define RNNKIT_MAX_DIMS 2

typedef struct rnnkit__param_view {
    char name[RNNKIT_NAME_MAX]; /* e.g. "rnn.weight_ih_l0_reverse" */
    int ndim;                   /* 1 or 2 */
    int64_t shape[RNNKIT_MAX_DIMS];
    size_t offset;              /* in floats, into value/grad */
    size_t numel;
} rnnkit__param_view;

typedef struct rnnkit__params {
    float *value;   /* [count], NULL until rnnkit__params_alloc */
    float *grad;    /* [count], same layout */
    size_t count;   /* total floats declared */
    rnnkit__param_view *views;
    int nviews, cap;
} rnnkit__params;

/* Zero-initialises `p` (no allocation yet). */
void rnnkit__params_init(rnnkit__params *p);
/* Declares a tensor of shape [rows][cols] (cols == 0 means 1-D of `rows`);
 * writes its offset in floats. Only before rnnkit__params_alloc. Names must be
 * unique. */
rnnkit_status rnnkit__params_declare(rnnkit__params *p, const char *name, int64_t rows,
                                    int64_t cols, size_t *offset, rnnkit_error *err);
/* Allocates value and grad (both zeroed), 64-byte aligned. */
rnnkit_status rnnkit__params_alloc(rnnkit__params *p, rnnkit_error *err);
/* Finds a view by name; NULL if absent. */
const rnnkit__param_view *rnnkit__params_find(const rnnkit__params *p, const char *name);
void rnnkit__params_zero_grad(rnnkit__params *p);
/* Frees the block and views; `p` is left initialised-empty. NULL-safe. */
void rnnkit__params_free(rnnkit__params *p);

/* ---------------------------------------------------------------------- */
/* Recurrent layers: multi-layer, optionally bidirectional LSTM / GRU / RNN
 * with PyTorch's exact equations and gate order:
 *   LSTM (i,f,g,o): i=σ(W_ii x+b_ii+W_hi h+b_hi) ... c'=f⊙c+i⊙g, h'=o⊙tanh(c')
 *   GRU  (r,z,n):   n=tanh(W_in x+b_in + r⊙(W_hn h+b_hn)), h'=(1-z)⊙n + z⊙h
 *   RNN:            h'=tanh(W_ih x+b_ih+W_hh h+b_hh)
 * Tensor names: <prefix>.weight_ih_l{k}[_reverse], weight_hh_, bias_ih_,
 * bias_hh_ as in torch.nn.LSTM/GRU/RNN.
 *
 * Masking: at a step whose mask is 0 the state is carried unchanged and the
 * output is 0; in backward such steps pass the state gradient through and
 * contribute nothing to weight gradients. The reverse direction therefore
 * starts at each sequence's true last token, whichever side is padded, and
 * the final state hn is the state at the true last (forward) / first
 * (reverse) token, as with PyTorch's packed sequences. */
typedef struct rnnkit__rnn_config {
    rnnkit_cell cell;
    int input_size;    /* E */
    int hidden_size;   /* H */
    int num_layers;    /* L >= 1 */
    int bidirectional; /* 0 or 1 */
    float dropout;     /* on the outputs of every layer but the last, training only */
    float weight_drop; /* DropConnect on the hidden-to-hidden weights W_hh, training
                        * only: each training forward multiplies every entry by 0
                        * (probability p) or 1/(1-p), one mask for all its steps
                        * (Wan et al. 2013; Merity et al. 2017, AWD-LSTM) */
} rnnkit__rnn_config;

typedef struct rnnkit__rnn rnnkit__rnn;

/* Validates `cfg`, declares its tensors in `params` under `prefix`.
 * The layer keeps a pointer to `params`, which must outlive it. */
rnnkit_status rnnkit__rnn_create(const rnnkit__rnn_config *cfg, rnnkit__params *params,
                                const char *prefix, rnnkit__rnn **out, rnnkit_error *err);
void rnnkit__rnn_free(rnnkit__rnn *rnn);
/* The threads the layer's products run on (not owned; NULL: the caller's
 * thread). Results are the same for any pool (core/pool.h). */
void rnnkit__rnn_set_pool(rnnkit__rnn *rnn, rnnkit__pool *pool);
const rnnkit__rnn_config *rnnkit__rnn_get_config(const rnnkit__rnn *rnn);
/* D*H: the width of the output and of a "last" pooling. */
int rnnkit__rnn_output_size(const rnnkit__rnn *rnn);

/* PyTorch's default initialisation (uniform ±1/sqrt(H) on every tensor);
 * for LSTM, forget_bias != 0 sets b_ih's forget slice to it and b_hh's to 0.
 * After rnnkit__params_alloc. Draws in a fixed order: deterministic. */
void rnnkit__rnn_init(rnnkit__rnn *rnn, rnnkit_rng *rng, float forget_bias);

/* Grows the workspace for up to T steps of B sequences (allocates only when
 * larger than before; forward calls this itself). */
rnnkit_status rnnkit__rnn_reserve(rnnkit__rnn *rnn, int T, int B, rnnkit_error *err);

/*
 * Forward over T steps of B sequences.
 *   x     [T][B][E]
 *   mask  [T][B] or NULL
 *   h0,c0 [L*D][B][H] initial states or NULL for zeros (c0 used by LSTM only).
 *         Index l*D + d, d = 1 the reverse direction (PyTorch's h_n order).
 *   train nonzero: apply inter-layer dropout (draws from rng) and keep what
 *         backward needs; zero: inference.
 *   y     out: points at [T][B][D*H] inside the workspace, valid until the
 *         next forward or a rnnkit__rnn_reserve that grows the workspace.
 *   A training forward copies x and mask, so the caller may reuse them
 *   before backward. h0 may alias hn and c0 may alias cn. For GRU/RNN a
 *   non-NULL cn is filled with zeros.
 *   hn,cn [L*D][B][H] final states, written when non-NULL.
 */
rnnkit_status rnnkit__rnn_forward(rnnkit__rnn *rnn, int T, int B, const float *x,
                                 const float *mask, const float *h0, const float *c0,
                                 int train, rnnkit_rng *rng, const float **y, float *hn,
                                 float *cn, rnnkit_error *err);

/*
 * Backward of the last forward, which must have been a training forward
 * (otherwise RNNKIT_ERR_ARG: any later forward, inference included, ends the
 * possibility of a backward). Any of dy [T][B][D*H], dhn, dcn
 * [L*D][B][H] may be NULL (zero). Adds weight gradients into params->grad;
 * writes (overwrites) dx [T][B][E], dh0, dc0 when non-NULL.
 */
rnnkit_status rnnkit__rnn_backward(rnnkit__rnn *rnn, const float *dy, const float *dhn,
                                  const float *dcn, float *dx, float *dh0, float *dc0,
                                  rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* Embedding: table [V][E]; id 0 is padding (row kept zero, never updated
 * by rnnkit__embedding_backward). */
typedef struct rnnkit__embedding {
    rnnkit__params *params;
    size_t off; /* weight [V][E] */
    int V, E;
    /* Lazy updates (rnnkit__embedding_track): the rows given a gradient
     * since the last rnnkit__embedding_rows_forget, each once (mark[id] 1
     * iff id is in rows[0..nrows)); rows[0..nsorted) is ascending and
     * nsorted == nrows after rnnkit__embedding_rows. NULL: not tracked. */
    unsigned char *mark;
    int32_t *rows;
    int nrows, nsorted;
} rnnkit__embedding;

rnnkit_status rnnkit__embedding_create(rnnkit__embedding *emb, rnnkit__params *params,
                                      const char *name, int V, int E, rnnkit_error *err);
/* range 0: N(0,1) as torch.nn.Embedding (two uniforms per weight); range > 0:
 * uniform in [-range, range) (one uniform per weight); row 0 zeroed. */
void rnnkit__embedding_init(rnnkit__embedding *emb, rnnkit_rng *rng, float range);
/* out[n][E] = W[ids[n]]; ids outside [0,V) are an error naming the index. */
rnnkit_status rnnkit__embedding_forward(const rnnkit__embedding *emb, const int32_t *ids,
                                       size_t n, float *out, rnnkit_error *err);
/* W.grad[ids[n]] += dout[n] for ids[n] != 0: touches only rows that occur. */
void rnnkit__embedding_backward(rnnkit__embedding *emb, const int32_t *ids, size_t n,
                               const float *dout);
/* Lazy updates: track (1) or stop tracking (0) the rows a backward pass
 * gives a gradient. Tracking starts with no row listed; the caller zeroes
 * the table's gradient when it starts. */
rnnkit_status rnnkit__embedding_track(rnnkit__embedding *emb, int on, rnnkit_error *err);
/* The tracked rows, ascending (sorted in place, only when a backward pass
 * added rows since the last call). */
const int32_t *rnnkit__embedding_rows(rnnkit__embedding *emb, int *n);
/* Forgets the tracked rows (after their gradient was zeroed). */
void rnnkit__embedding_rows_forget(rnnkit__embedding *emb);

/* ---------------------------------------------------------------------- */
/* Dense: y[N][out] = x[N][in] W^T + b, W [out][in], b [out]. */
typedef struct rnnkit__dense {
    rnnkit__params *params;
    size_t off_w, off_b;
    int in, out;
    rnnkit__pool *pool; /* threads of its products (not owned; NULL: the caller's) */
} rnnkit__dense;

rnnkit_status rnnkit__dense_create(rnnkit__dense *d, rnnkit__params *params, const char *prefix,
                                  int in, int out, rnnkit_error *err);
/* uniform ±1/sqrt(in) on W and b, as torch.nn.Linear's default bounds. */
void rnnkit__dense_init(rnnkit__dense *d, rnnkit_rng *rng);
void rnnkit__dense_forward(const rnnkit__dense *d, size_t N, const float *x, float *y);
/* Adds dW, db; writes dx[N][in] when non-NULL. */
void rnnkit__dense_backward(rnnkit__dense *d, size_t N, const float *x, const float *dy,
                           float *dx);

/* ---------------------------------------------------------------------- */
/* Dropout (inverted): keep with probability 1-p, scale kept by 1/(1-p).
 * mask_out [n] receives the multiplier (0 or 1/(1-p)) for backward. */
/* Its mask from n draws of rng: 0 where rnnkit_rng_uniform's value
 * would be below p, else keep (model/rng.c). */
void rnnkit__rng_keep_mask(rnnkit_rng *rng, size_t n, float p, float keep, float *mask);
void rnnkit__dropout_forward(size_t n, float p, rnnkit_rng *rng, float *x, float *mask_out);
void rnnkit__dropout_backward(size_t n, const float *mask, float *dx);

/* ---------------------------------------------------------------------- */
/* Losses, numerically stable from logits. Each returns the MEAN loss over
 * the N rows with weight 1 (rows with weight 0 skipped if weights given)
 * and writes dlogits = d(mean loss)/d(logits). */
/* logits [N][K], targets [N] in [0,K). */
double rnnkit__softmax_xent(size_t N, int K, const float *logits, const int32_t *targets,
                           float *dlogits);
/* logsumexp of one row z[K] (in double, from its largest logit). */
double rnnkit__logsumexp(int K, const float *z);
/* logits [N], targets [N] in {0,1}: binary cross-entropy with logits. */
double rnnkit__sigmoid_bce(size_t N, const float *logits, const float *targets, float *dlogits);
/* In-place softmax over each row of [N][K]. */
void rnnkit__softmax(size_t N, int K, float *x);

/* ---------------------------------------------------------------------- */
/* Pooling over time of y [T][B][C] with mask [T][B] (NULL: all real) into
 * out [B][C]. MEAN and MAX run over the unpadded steps only. LAST: handled by
 * the caller from the RNN's hn. A sequence with no real step pools to 0. */
/* argmax [B][C] (MAX only) records the winning step for backward. */
void rnnkit__pool_forward(rnnkit_pool kind, int T, int B, int C, const float *y,
                         const float *mask, float *out, int32_t *argmax);
/* dy [T][B][C] is OVERWRITTEN with the gradient. */
void rnnkit__pool_backward(rnnkit_pool kind, int T, int B, int C, const float *mask,
                          const int32_t *argmax, const float *dout, float *dy);

/* ---------------------------------------------------------------------- */
/* Optimisers over a whole parameter block, as torch.optim. */

typedef struct rnnkit__optim {
    rnnkit_optim_kind kind;
    float lr, beta1, beta2, eps, weight_decay, momentum;
    int64_t step;  /* steps taken */
    size_t n;
    float *m, *v;  /* [n] moments (Adam) / m as momentum buffer (SGD) */
    /* Discriminative rates: elements [0, body_n) (a model's embedding and
     * recurrent layers, which come before its output layer) step at
     * lr * body_scale; 0 freezes them (their moments still follow the
     * gradient). body_n 0 (init's default): every element at lr. */
    size_t body_n;
    float body_scale;
} rnnkit__optim;

/* Defaults: Adam(lr, betas 0.9/0.999, eps 1e-8, wd 0); AdamW wd 0.01; SGD momentum 0. */
rnnkit_status rnnkit__optim_init(rnnkit__optim *o, rnnkit_optim_kind kind, float lr, size_t n,
                                rnnkit_error *err);
void rnnkit__optim_free(rnnkit__optim *o);
/* A lazy step's rows (PyTorch's SparseAdam): elements [off, off + count *
 * len) form a table of count rows of len elements (an embedding), of which
 * only rows[0..n) (ascending, distinct) take part in the step; every
 * element outside the table does. A row left out keeps its weights and
 * moments as they are: no decay, no momentum. */
typedef struct rnnkit__rows {
    size_t off, len, count;
    const int32_t *rows;
    int n;
} rnnkit__rows;

/* Back to the state of a fresh rnnkit__optim_init at rate lr: moments zero,
 * no steps taken; the other settings are kept. */
void rnnkit__optim_reset(rnnkit__optim *o, float lr);
/* One update of value[n] from grad[n], cut into fixed blocks on pool (NULL:
 * the caller alone); the same bits for any pool. */
void rnnkit__optim_step(rnnkit__optim *o, float *value, const float *grad, rnnkit__pool *pool);
/* The same step over the elements `rows` selects (NULL: all): an element's
 * update is that of rnnkit__optim_step, bit for bit. */
void rnnkit__optim_step_rows(rnnkit__optim *o, float *value, const float *grad, const rnnkit__rows *rows,
                             rnnkit__pool *pool);
/* Scales grad so its global L2 norm is at most max_norm (if max_norm > 0);
 * returns the norm before clipping (NaN/Inf propagate: check it). */
double rnnkit__clip_grad_norm(float *grad, size_t n, double max_norm);
/* The same over the elements `rows` selects (NULL: all), the others being
 * zero: the norm and the scaled elements are those of
 * rnnkit__clip_grad_norm, bit for bit (the sum runs in the same order and
 * skips only zeros). */
double rnnkit__clip_grad_norm_rows(float *grad, size_t n, const rnnkit__rows *rows, double max_norm);
/* Zeroes the elements `rows` selects (NULL: all of grad[n]). */
void rnnkit__grad_zero_rows(float *grad, size_t n, const rnnkit__rows *rows);

/* ---------------------------------------------------------------------- */
/* Sampled softmax (model/sampled.c): a training-time estimate of the
 * softmax cross-entropy over a large output layer (Bengio & Senecal's
 * importance sampling, as Jean et al. 2015 use it), which computes the
 * logits of only the targets and of S sampled candidate ids; evaluation
 * keeps the exact rnnkit__softmax_xent.
 *
 * Candidates: log-uniform (Zipfian) over ids [lo, V) by rank r = k - lo,
 *   P(k) = log((r+2)/(r+1)) / log(V-lo+1),
 * for a vocabulary sorted by descending count. S ids are drawn WITH
 * replacement, shared by all N rows of a batch; logq[s] = log(S P(samples[s]))
 * is the log of the expected count of that id among the S. Ids below lo
 * are never sampled: the estimate is of the softmax over [lo, V) plus the
 * target. Requires 0 <= lo < V, S >= 1. */
/* samples [S] drawn by inverse CDF from S uniforms of rng (in order),
 * logq [S] their log expected counts. */
void rnnkit__sampled_draw(int V, int lo, int S, rnnkit_rng *rng, int32_t *samples, float *logq);
/* log(S P(k)) for k in [lo, V). */
float rnnkit__sampled_logq(int V, int lo, int S, int32_t k);

/* The floats rnnkit__sampled_softmax_xent's `work` holds:
 * 2 S (in + 1) + N (S + 3). */
size_t rnnkit__sampled_work_floats(size_t N, int S, int in);

/*
 * Mean over the N rows of
 *   loss_n = -z_t + log(exp(z_t) + sum_{s: samples[s] != t} exp(z_{samples[s]} - logq[s]))
 * with z_k = x_n . W_k + b_k the logits of fc (W [out][in], b [out]) and
 * t = targets[n] in [0, fc->out): a softmax with label 0 over the true
 * logit and the corrected sampled ones, where a sample equal to the row's
 * target (an "accidental hit") is left out of that row. The sum over the
 * samples estimates sum_{k != t} exp(z_k) without bias, so the loss tends
 * to the exact cross-entropy as S grows (its mean from below: log is
 * concave).
 *   x [N][in]; samples [S] in [0, fc->out), logq [S] (rnnkit__sampled_draw);
 *   dx [N][in]: when non-NULL, OVERWRITTEN with d(mean loss)/dx, and the
 *      gradients of W and b ADDED into fc->params->grad (a sample drawn
 *      twice adds twice); when NULL, the loss only, no gradient written.
 *   work: rnnkit__sampled_work_floats(N, S, fc->in) floats, the caller's.
 * Products on fc->pool; every sum in an order fixed by the shape, so the
 * result is the same for any pool. N and S must fit an int.
 */
double rnnkit__sampled_softmax_xent(rnnkit__dense *fc, size_t N, const float *x,
                                    const int32_t *targets, int S, const int32_t *samples,
                                    const float *logq, float *dx, float *work);

#endif
