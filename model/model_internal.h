/* model/model_internal.h: the model struct, shared by the files of model/ only. */
#ifndef RNNKIT_MODEL_INTERNAL_H
#define RNNKIT_MODEL_INTERNAL_H

#include <math.h>

#include "core/hash.h"
#include "model/nn_internal.h"
#include "model/quant_internal.h"
#include "rnnkit/model.h"

struct rnnkit_model {
    rnnkit_model_config cfg;
    rnnkit_vocab *vocab;
    int V;          /* vocabulary size (embedding rows) */
    int K;          /* output size: labels (classifier), V (generator), horizon (forecaster) */
    int E;          /* input width of the first recurrent layer: embed, or a forecaster's inputs */
    rnnkit_forecast_spec spec; /* forecaster only */
    char **labels;  /* [K] classifier only */
    rnnkit__params params;
    rnnkit__embedding emb;
    rnnkit__rnn *rnn;
    rnnkit__dense fc;
    /* Ensemble: members weight blocks of params.count floats each; mw[0] is
     * the block params allocated, the others are the model's. params.value
     * points at mw[cur]; predictions average members 0..ready-1. */
    int members, ready, cur;
    float **mw;
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
    int32_t *row;        /* [T] one document padded (classifier batching) */

    /* Inference: layer 0's input projection x_id W_ih^T as a table [D][V][G*H]
     * (rnn_internal.h), rows computed on first use for the weights of the
     * moment; tab_have[id] marks them. Cleared when the weights may change
     * (training, rnnkit__model_params); unused while training. */
    float *tab;
    unsigned char *tab_have; /* [V] */
    float *tab_x, *tab_z;    /* [chunk][E], [chunk][G*H] staging */
    int32_t *tab_pending;    /* [chunk] ids whose rows are being computed */
    int tab_off;             /* 1: plain path (tests, or the table could not be had) */
    /* Prediction with int8 weights (rnnkit_model_set_int8; model/int8.c):
     * q_hh, q_ih [LD] the recurrent layers' W_hh and W_ih above layer 0,
     * q_fc the output layer's, quantized from the current member's weights
     * while q_valid (cleared with the table's rows); q_vnni the kernel; never
     * used while training. */
    int int8, q_valid, q_vnni;
    rnnkit__qmat *q_hh, *q_ih, q_fc;
    rnnkit__qbuf q_buf;
    /* 1: the weights came from an int8 model file (model/int8file.c): they
     * are its dequantized values, the model predicts (int8 on at load) and
     * saves as int8 again, and refuses to train. */
    int quantized;
    int training;            /* a training loop is running: weights change under it */

    /* Threads: `threads` of them run the products (0 until the first batch
     * or rnnkit_model_set_threads settles it); pool (NULL for one thread) is
     * the model's, shared by its layers. Results do not depend on it. */
    int threads;
    rnnkit__pool *pool;
};

/* The rate of step `step` (1-based) of `total` under the cosine schedule:
 * half a cosine from lr at step 1 towards 0 after the last step. */
static inline float rnnkit__cosine_lr(double lr, int64_t step, double total)
{
    return (float)(0.5 * lr * (1.0 + cos(3.14159265358979323846 * (double)(step - 1) / total)));
}

/* The seed of ensemble member k: member k is the network `seed + k` alone
 * would give. */
static inline uint64_t rnnkit__member_seed(uint64_t seed, int k) { return seed + (uint64_t)k; }

/* The parameter block of the network in use (tensors, values, gradients);
 * drops the inference table as rnnkit_model_weights does. */
rnnkit__params *rnnkit__model_params(rnnkit_model *m);

/* Points the layers at member k's weights (a no-op when it is current). */
void rnnkit__model_use_member(rnnkit_model *m, int k);

/* The inference table (model/table.c). Forgets its rows: the weights may
 * have changed. */
void rnnkit__model_weights_changed(rnnkit_model *m);
/* Makes sure the table holds the rows of ids[0..n). Returns 1 when the
 * forward can use it, 0 for the plain path (training, turned off, no memory
 * for it, or an id out of range, which *st reports). */
int rnnkit__table_prepare(rnnkit_model *m, const int32_t *ids, size_t n, rnnkit_status *st, rnnkit_error *err);
void rnnkit__table_free(rnnkit_model *m);

/* int8 prediction (model/int8.c). rnnkit__int8_prepare: 1 when the next
 * inference forward uses the int8 weights (on, and not training), quantized
 * afresh if the weights may have changed; *st reports a failure (then 0).
 * rnnkit__int8_dense: logits [B][K] of feat [B][C] through the int8 output
 * layer. rnnkit__int8_free: the copies and scratch. */
int rnnkit__int8_prepare(rnnkit_model *m, rnnkit_status *st, rnnkit_error *err);
/* RNNKIT_ERR_ARG "<what> is for classifiers (this model is a generator)",
 * or "<what>: layers N wide, at most 65536", when m cannot have int8 weights. */
rnnkit_status rnnkit__int8_check(const rnnkit_model *m, const char *what, rnnkit_error *err);
rnnkit_status rnnkit__int8_dense(rnnkit_model *m, int B, rnnkit_error *err);
void rnnkit__int8_free(rnnkit_model *m);

/* RNNKIT_ERR_ARG "<path> holds int8 weights for prediction only; train from
 * the fp32 model" (path NULL: "the model"); model/int8file.c. */
rnnkit_status rnnkit__int8file_refuse_training(const char *path, rnnkit_error *err);

/* Turns the inference table on (the default) or off: the reference the tests
 * compare the fast path with. */
void rnnkit__model_set_input_table(rnnkit_model *m, int on);

/* Everything a checkpoint holds (model/checkpoint.c writes and reads it; the
 * training loops fill and use it). Arrays are owned by the caller. */
typedef struct rnnkit__ckpt {
    rnnkit_task task;
    int member;             /* classifier ensemble: the member being trained */
    int64_t step;           /* optimiser steps done */
    int epoch;              /* current epoch, 1-based */
    /* Where the epochs of the data at hand began: after origin_step steps
     * and origin_epoch epochs (0 and 0 unless the network carried on from
     * another checkpoint on other data, train.c). Evaluations fall every
     * eval_every steps after origin_step. */
    int64_t origin_step;
    int origin_epoch;
    int epochs_before;      /* a run from init_path: the epochs the model had done when it began */
    int64_t batch_index;    /* classifier: batches of the current epoch done */
    uint64_t seed;
    rnnkit_rng rng;         /* the training RNG now */
    rnnkit_rng epoch_rng;   /* classifier: the RNG as the current epoch began */
    double best_acc, best_loss;
    int64_t since_best;
    double loss_sum;        /* running sums since the epoch / evaluation began */
    int64_t seen, correct;
    int64_t pos, tokens;    /* generator: position in the streams; tokens since the last evaluation */
    double elapsed;         /* seconds of training so far */
    int finished;
    int batch_size, seq_len, maxlen, keep_last;
    int64_t eval_every;
    uint64_t data_fp;       /* fingerprint of the training and validation data */
    float *weights;         /* [n] current weights */
    float *best;            /* [n] best weights (valid when has_best) */
    int has_best;
    double ema;             /* weight averaging's decay (0: off; key "ema" only when on) */
    float *avg;             /* [n] the average of the weights (written and read when ema > 0) */
    float *h, *c;           /* [nstate] generator: carried recurrent state */
    size_t nstate;
    rnnkit__optim *optim;
    rnnkit_log_row *log;    /* read: malloc'd by the reader */
    int nlog;
    int ready;              /* written as members_ready: at least member + 1 (not read back) */
} rnnkit__ckpt;

/* Writes `model_weights` as the model and `ck` as its checkpoint to `path`.
 * create: a new file (temporary file, then rename), left in WAL mode unless
 * final; otherwise one transaction on the existing file. final: the file
 * goes back to a single-file journal when nobody else has it open. */
rnnkit_status rnnkit__ckpt_write(const rnnkit_model *m, const char *path, const float *model_weights,
                                 const rnnkit__ckpt *ck, int create, int final, rnnkit_error *err);
/* Reads the checkpoint of `path` into ck (arrays preallocated for m's sizes;
 * ck->log is malloc'd). Verifies checksums and that it matches m; ck->ema
 * comes in as the run's weight averaging, which the checkpoint's must equal
 * (its average is read into ck->avg when on). */
rnnkit_status rnnkit__ckpt_read(const rnnkit_model *m, const char *path, rnnkit__ckpt *ck,
                                rnnkit_error *err);
/* The testing hook: the step whose loss is made NaN, from the environment
 * variable RNNKIT_FAULT_NAN_STEP (0 = none). */
int64_t rnnkit__fault_nan_step(void);
/* Appends a row to a malloc'd training log. */
rnnkit_status rnnkit__push_log(rnnkit_log_row **log, int *nlog, const rnnkit_log_row *row, rnnkit_error *err);
/* Monotonic seconds. */
double rnnkit__now(void);

/* Grows the workspace to T x B (rows = T*B for a generator, B otherwise). */
rnnkit_status rnnkit__model_reserve(rnnkit_model *m, int T, int B, rnnkit_error *err);

/* Gradient checks: the mean loss of the documents of d as one batch in
 * training mode (dropout as configured: zero it for a check; its masks are
 * drawn from a fixed seed), and with grad != 0 the gradient of that loss in
 * rnnkit__model_params(m)->grad (zeroed first). d holds 1..65536 labelled
 * documents. */
rnnkit_status rnnkit__classifier_loss(rnnkit_model *m, const rnnkit_dataset *d, int maxlen, int keep_last,
                                      int grad, double *loss, rnnkit_error *err);

/* The same for a forecaster: the mean squared error of B windows x
 * [lookback][B][inputs] against y [B][horizon] in training mode (dropout as
 * configured, masks from a fixed seed), its gradient with grad != 0. */
rnnkit_status rnnkit__forecaster_loss(rnnkit_model *m, const float *x, const float *y, int B, int grad, double *loss,
                                      rnnkit_error *err);

#endif
