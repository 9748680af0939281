/*
 * rnnkit/model.h: whole networks (a text classifier, a character generator),
 * their training loops, and their one-file SQLite storage.
 *
 *   classifier: Embedding -> (bi)LSTM/GRU/RNN x L -> pool (last|mean|max)
 *               -> dropout -> Dense -> softmax over the labels
 *   generator:  Embedding -> LSTM/GRU/RNN x L -> dropout -> Dense -> softmax
 *               over the characters, trained by truncated BPTT on B streams
 *
 * A model file is self-contained: configuration, labels, a copy of the
 * vocabulary tables, tensors (little-endian f32 BLOBs with checksums), the
 * optimiser state and a training log. Loading treats the file as untrusted:
 * every shape, size and checksum is verified against the configuration.
 * Saving writes a temporary file in the same directory and renames it over
 * the target, so a model on disk is never half written.
 */
#ifndef RNNKIT_MODEL_H
#define RNNKIT_MODEL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "rnnkit/nn.h"
#include "rnnkit/status.h"
#include "rnnkit/series.h"
#include "rnnkit/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rnnkit_task {
    RNNKIT_TASK_CLASSIFY = 0, /* text -> one of K labels */
    RNNKIT_TASK_GENERATE = 1, /* text -> the next token */
    RNNKIT_TASK_FORECAST = 2  /* a window of a numeric series -> its next values */
} rnnkit_task;

/* "classify", "generate", "forecast" (the command and the model file's
 * word for the task); "unknown" for another value. */
const char *rnnkit_task_name(rnnkit_task t);
/* "classifier", "generator", "forecaster": what a model of the task is
 * called in messages ("forecaster" for an unknown value too). */
const char *rnnkit_task_noun(rnnkit_task t);

/* What an existing path holds, as far as rnnkit's outputs are concerned
 * (rnnkit_file_identify). A program that writes an output checks it first,
 * so that an output never destroys a file of another kind. */
typedef enum rnnkit_file_kind {
    RNNKIT_FILE_MISSING = 0,      /* no such file (a dangling link included) */
    RNNKIT_FILE_EMPTY,            /* an empty regular file */
    RNNKIT_FILE_OTHER,            /* a regular file that is none of the below (or unreadable) */
    RNNKIT_FILE_SPECIAL,          /* a device, FIFO or socket: written in place, nothing replaced */
    RNNKIT_FILE_DIRECTORY,
    RNNKIT_FILE_MODEL,            /* an rnnkit model file (*task: its rnnkit_task) */
    RNNKIT_FILE_VOCAB,            /* an rnnkit vocabulary file */
    RNNKIT_FILE_SAFETENSORS,      /* safetensors written by rnnkit (metadata format "rnnkit") */
    RNNKIT_FILE_VOCAB_TXT,        /* an export: <pad>, <unk>, ... one token per line */
    RNNKIT_FILE_KERAS_TOKENIZER,  /* an export: Keras Tokenizer JSON as rnnkit writes it */
    RNNKIT_FILE_HF_TOKENIZER,     /* an export: tokenizer.json as rnnkit writes it */
    RNNKIT_FILE_REPORT            /* an HTML report of `rnnkit report` */
} rnnkit_file_kind;

/* The kind of `path` (symbolic links followed). Reads at most the first
 * 4 KiB (SQLite files: read-only queries); never opens a device, FIFO or
 * socket. *task (may be NULL) receives a model's task. */
rnnkit_file_kind rnnkit_file_identify(const char *path, int *task);

/* One writer per model file. A training run takes the lock of its model
 * file before it writes anything and releases it when done; a second
 * taker fails at once with RNNKIT_ERR_IO naming the file and the process
 * id of the holder. The lock is "<file>.lock" beside the file (symbolic
 * links followed) held by flock(2): a holder that dies (kill -9) releases
 * it with its last breath, so a crash never blocks a later run. Readers
 * (predict, sample, eval) take no lock: they read the last checkpoint. */
typedef struct rnnkit_train_lock rnnkit_train_lock;
rnnkit_status rnnkit_train_lock_take(const char *path, rnnkit_train_lock **out, rnnkit_error *err);
/* Releases and frees (NULL: nothing); removes the lock file. */
void rnnkit_train_lock_release(rnnkit_train_lock *lk);

typedef struct rnnkit_model_config {
    rnnkit_task task;
    rnnkit_cell cell;
    int embed;          /* E */
    int hidden;         /* H */
    int layers;         /* L */
    int bidirectional;  /* classifier only */
    rnnkit_pool pool;   /* classifier only */
    float dropout;      /* between RNN layers and before the output layer */
    float embed_dropout;/* on embeddings (training only) */
    float weight_drop;  /* DropConnect on the recurrent weights W_hh (training only) */
    float forget_bias;  /* LSTM forget-gate bias at init (0: PyTorch's default) */
    int maxlen;         /* classifier: tokens kept per document in training and use (0 = all) */
    int keep_last;      /* classifier: a longer document keeps its last maxlen tokens */
    int members;        /* classifier or generator: an ensemble of this many networks of this
                         * shape, trained one after the other (member k with seed + k), whose
                         * predicted probabilities are averaged (a generator's members each
                         * carry their own state); 0 or 1: one network. At most
                         * RNNKIT_MAX_MEMBERS. A forecaster has one. */
    int inputs;         /* forecaster: columns read per time step, the target first
                         * (1..RNNKIT_SERIES_MAX_COLUMNS); no embedding */
    int lookback;       /* forecaster: time steps of the window a forecast reads */
    int horizon;        /* forecaster: values predicted at once (direct multi-output) */
    int reverse;        /* generator: a model of the text read backwards (the last token
                         * first): training and eval take ids in reading order and reverse
                         * them; a sample ends with the prime (a backward model's
                         * weights pretrain a biLSTM's backward direction) */
    int bf16;           /* 1: the matrix products (training and use) take bf16 inputs and sum
                         * in fp32 (AVX512-BF16, about twice fp32's rate); weights, gradients
                         * and optimiser state stay fp32. 0 (the default): fp32 products.
                         * Recorded in the model file. On a CPU without AVX512-BF16 the
                         * products run in fp32 (rnnkit_model_bf16_active), whose results
                         * differ in their last bits from a bf16 machine's */
    float embed_init;   /* classifier or generator: the embedding's initial weights. 0 (the
                         * default, every older file): N(0, 1), PyTorch's nn.Embedding; a > 0:
                         * uniform in [-a, a) (0.1 is AWD-LSTM's), small enough that a language
                         * model's training moves the rows, not only the layers above them.
                         * Recorded in the model file when set; at most 100 */
} rnnkit_model_config;

/* The most networks an ensemble may hold. */
#define RNNKIT_MAX_MEMBERS 16

/* Sensible defaults for a task (see the `--help` of each command). */
void rnnkit_model_config_default(rnnkit_model_config *cfg, rnnkit_task task);

typedef struct rnnkit_model rnnkit_model;

/* The most labels a classifier may have (its output layer is a full softmax). */
#define RNNKIT_MAX_LABELS 100000

/*
 * Creates a model with freshly initialised weights (deterministic in seed).
 * Takes ownership of `vocab` (also on failure). `labels`: nlabels >= 2
 * strings (copied) for a classifier; NULL/0 for a generator.
 */
rnnkit_status rnnkit_model_create(const rnnkit_model_config *cfg, rnnkit_vocab *vocab,
                                  const char *const *labels, int nlabels, uint64_t seed,
                                  rnnkit_model **out, rnnkit_error *err);
void rnnkit_model_free(rnnkit_model *m);

const rnnkit_model_config *rnnkit_model_get_config(const rnnkit_model *m);
rnnkit_vocab *rnnkit_model_vocab(rnnkit_model *m);
int rnnkit_model_num_labels(const rnnkit_model *m);
const char *rnnkit_model_label(const rnnkit_model *m, int k);
/* Class index of a label string, -1 if unknown. */
int rnnkit_model_find_label(const rnnkit_model *m, const char *label);
/* The weights of the network in use (member 0 of an ensemble): one block
 * of rnnkit_model_num_params floats, owned by the model, writable, laid out
 * as rnnkit_model_tensor describes. Prediction keeps a table derived from
 * the embedding and the first layer's input weights; this call drops it,
 * so call it again after changing weights through a pointer kept from an
 * earlier call, before the next prediction. */
float *rnnkit_model_weights(rnnkit_model *m);
size_t rnnkit_model_num_params(const rnnkit_model *m);
/* The model's tensors, in storage order: 0 <= i < rnnkit_model_num_tensors.
 * Tensor i is named as in PyTorch's state_dict ("embedding.weight",
 * "rnn.weight_ih_l0", ..., "fc.bias"; owned by the model), has shape
 * shape[0] x shape[1] (shape[1] = 0 for a vector) and starts at float
 * *offset of the block. NULL for an i out of range. */
int rnnkit_model_num_tensors(const rnnkit_model *m);
const char *rnnkit_model_tensor(const rnnkit_model *m, int i, int64_t shape[2], size_t *offset);
/* Networks in the model (1 unless an ensemble), and how many of them
 * predictions use: all of them, except in a file whose ensemble training is
 * still under way (the members trained so far, the current one included). */
int rnnkit_model_num_members(const rnnkit_model *m);
int rnnkit_model_num_ready(const rnnkit_model *m);
/* Makes a classifier or generator an ensemble of `members` networks before training: the
 * ones it has are kept, new member k gets fresh weights drawn from seed + k
 * (as rnnkit_model_create draws them), surplus ones are dropped. */
rnnkit_status rnnkit_model_set_members(rnnkit_model *m, int members, uint64_t seed, rnnkit_error *err);
/* Keeps member k of an ensemble as the model's one network (the others are
 * dropped): for export, or to inspect one network. rnnkit_model_weights
 * gives member 0's weights, so this is also how to reach another's. */
rnnkit_status rnnkit_model_keep_member(rnnkit_model *m, int k, rnnkit_error *err);

/* Language-model pretraining: classifier m takes the embedding and the
 * recurrent layers of word-level generators (either may be NULL): the
 * forward one's into the forward direction (and its embedding), a
 * --reverse one's into the `_reverse` direction (and the embedding only
 * when there is no forward one); every network of an ensemble the same.
 * Layers the classifier lacks, or whose shape differs (a biLSTM's upper
 * layers read both directions), and the generators' output layers are not
 * taken. Cell, embedding and hidden sizes and the vocabulary (tokens,
 * order, tokenizer rules) must be the classifier's: otherwise
 * RNNKIT_ERR_ARG naming what differs, and m is unchanged. *tensors (may be
 * NULL): how many tensors were taken. */
rnnkit_status rnnkit_model_pretrain(rnnkit_model *m, rnnkit_model *forward, rnnkit_model *backward, int *tensors,
                                    rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* Threads */

/*
 * A model runs its matrix products on a pool of threads it owns. The work
 * is cut into blocks whose boundaries depend only on the shapes, never on
 * the number of threads, and every block is one single-threaded OpenBLAS
 * call: a training or a prediction gives the same bits on 1 thread or 64.
 * Set OpenBLAS itself to one thread (openblas_set_num_threads(1) or
 * OPENBLAS_NUM_THREADS=1): a multithreaded OpenBLAS under the pool is
 * slower and its own partition would change the results.
 *
 * rnnkit_default_threads: the environment variable RNNKIT_THREADS when it
 * holds an integer in [1, RNNKIT_MAX_THREADS], else the cores this process
 * may run on (its CPU affinity). A model takes it at its first batch unless
 * rnnkit_model_set_threads chose before (0: the default again).
 */
#define RNNKIT_MAX_THREADS 256
int rnnkit_default_threads(void);
rnnkit_status rnnkit_model_set_threads(rnnkit_model *m, int threads, rnnkit_error *err);
int rnnkit_model_threads(const rnnkit_model *m);

/*
 * int8 prediction (classifiers only; off by default). With on != 0 a
 * classifier's predictions and evaluations (rnnkit_classifier_predict,
 * rnnkit_classifier_evaluate) run their big matrix products on int8 copies
 * of the weights, made in memory from the current fp32 weights: every
 * recurrent layer's W_hh, W_ih of the layers above the first (the first
 * layer's input product comes from a per-token table, fp32) and the output
 * layer's weight. Each output row of a weight is quantized symmetrically
 * (scale max|row| / 127), the activations per row as each product runs;
 * products sum in int32 (AVX512-VNNI where the CPU has it), so results are
 * the same bits on any CPU and any thread count, and within quantization
 * error of fp32 (probabilities typically within 1e-2). The fp32 weights
 * stay as they are, the copies sit beside them and follow any change of
 * the weights (an ensemble's members are quantized in turn). Training
 * ignores the setting, and on = 0 frees the copies: predictions are again
 * fp32, bit for bit. The model file is not changed (rnnkit_model_save_int8
 * writes one with int8 weights; a model loaded from such a file has int8
 * prediction on, and off runs fp32 products on its dequantized weights).
 * RNNKIT_ERR_ARG for a generator or forecaster, or layers wider than 65536
 * (hidden x directions); RNNKIT_ERR_NOMEM.
 */
rnnkit_status rnnkit_model_set_int8(rnnkit_model *m, int on, rnnkit_error *err);
/* 1 when the model's matrix products run in bf16 (cfg.bf16 set and the CPU
 * has AVX512-BF16), 0 otherwise. */
int rnnkit_model_bf16_active(const rnnkit_model *m);
/* 1 when int8 prediction is on. */
int rnnkit_model_int8(const rnnkit_model *m);
/* The memory of one network's int8 copies (int8 values with their padding,
 * per-row scales and row sums) in *int8_bytes, and that of the fp32
 * weights they stand for in *fp32_bytes (either may be NULL); 0 and 0 for
 * a model that is not a classifier. Computed from the shapes, on or off. */
void rnnkit_model_int8_bytes(const rnnkit_model *m, size_t *int8_bytes, size_t *fp32_bytes);

/* ---------------------------------------------------------------------- */
/* Storage */

/* One row of the training log (stored in the model file). NaN = not measured. */
typedef struct rnnkit_log_row {
    int member;  /* ensemble member (0-based; 0 for a single network) */
    int epoch;
    int64_t step;
    /* seconds: the epoch's own (classifier, forecaster) or the run's so far
     * (generator); docs/model-format.md, "training_log" */
    double train_loss, train_acc, valid_loss, valid_acc, seconds, lr;
} rnnkit_log_row;

/* Writes the model to `path` atomically: a new file beside it, renamed over
 * it (a replaced file keeps its permissions; a new one gets 0666 less the
 * umask). Holds the configuration, labels, vocabulary and every member's
 * weights; no checkpoint (training writes its own, see checkpoint_path).
 * A model loaded from an int8 model file is written as one again
 * (rnnkit_model_save_int8), with the same int8 values.
 * Errors: RNNKIT_ERR_IO (directory not writable, disk full) or
 * RNNKIT_ERR_DB naming `path`, RNNKIT_ERR_NOMEM; `path` is untouched then.
 * The layout: docs/model-format.md. */
rnnkit_status rnnkit_model_save(const rnnkit_model *m, const char *path, rnnkit_error *err);

/* Writes a prediction-only copy of classifier m to `path`, atomically as
 * rnnkit_model_save does: configuration, labels, vocabulary, and every
 * member's weights with each weight matrix (embedding.weight, every
 * rnn.weight_ih_l* and rnn.weight_hh_l*, fc.weight) as int8, one fp32
 * scale per row (symmetric: scale max|row| / 127, as int8 prediction
 * quantizes), the biases fp32; no checkpoint, optimiser state or training
 * log. model_meta's key `quantized` = `int8` marks it (docs/model-format.md).
 * The embedding's V x E floats become V x (E + 4) bytes: with the
 * vocabulary tables, the same in both files, an embedding-dominated
 * classifier's file takes 27 to 35 % of its fp32 file's bytes.
 * Loading it (rnnkit_model_load) gives the dequantized weights (q * scale)
 * with int8 prediction on (rnnkit_model_set_int8): its predictions are
 * bit for bit those of the fp32 model with each matrix replaced by its
 * dequantized values and int8 on, and re-quantizing gives back exactly the
 * stored values. Such a model predicts and evaluates, and saves (with
 * rnnkit_model_save too) as the same int8 file; it does not train, nor does
 * --init or resume from its file (RNNKIT_ERR_ARG "PATH holds int8 weights
 * for prediction only; train from the fp32 model"), nor export to
 * safetensors. Errors: RNNKIT_ERR_ARG for a generator or forecaster, or
 * layers wider than 65536; RNNKIT_ERR_NUMERIC naming the tensor when a
 * weight is NaN or Inf; those of rnnkit_model_save. `path` is untouched
 * on any error. */
rnnkit_status rnnkit_model_save_int8(const rnnkit_model *m, const char *path, rnnkit_error *err);

/* 1 when m was loaded from an int8 model file (rnnkit_model_save_int8):
 * prediction only. */
int rnnkit_model_quantized(const rnnkit_model *m);

/* Loads and verifies a model file. `expect_task` < 0 accepts any task;
 * otherwise a model of another task is RNNKIT_ERR_FORMAT saying what it is
 * and which command takes it ("PATH: this is a forecaster model; use
 * `rnnkit forecast`"). A forecaster comes back with its spec (the fitted
 * scaler's doubles bit for bit) and no vocabulary. An int8 model file
 * (rnnkit_model_save_int8) comes back dequantized with int8 prediction on;
 * its int8 tensors are checked as f32 ones are (dtype, shape, size,
 * checksum), and every int8 value must be in -127..127 and every scale a
 * finite number >= 0 (at most FLT_MAX / 127), RNNKIT_ERR_CORRUPT naming
 * the file and tensor otherwise. */
rnnkit_status rnnkit_model_load(const char *path, int expect_task, rnnkit_model **out,
                                rnnkit_error *err);

/* Reads the training log of a model file: the rows of ensemble member
 * `member` (0-based; every row of a file from before ensembles is member
 * 0's), or every row with member < 0, in the order training wrote them.
 * *rows is malloc'd (NULL when *n is 0; the caller frees it); a file without
 * a log gives 0 rows. Errors: those of rnnkit_model_load for a file that is
 * not a model (RNNKIT_ERR_IO, _FORMAT, _VERSION), RNNKIT_ERR_DB,
 * RNNKIT_ERR_NOMEM, each naming `path`. */
rnnkit_status rnnkit_model_read_log(const char *path, int member, rnnkit_log_row **rows, int *n,
                                    rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* Checkpoints
 *
 * A checkpoint lives inside the model file, next to the model it describes:
 * the model tables hold the weights to use (the best so far when there is
 * validation data), the checkpoint tables hold everything needed to carry on
 * exactly: current weights, best weights, optimiser moments and counters,
 * the learning rate, step/epoch/batch position, the data order and dropout
 * RNG states, the carried recurrent state (generator), running sums, the
 * training log, and fingerprints of the data and settings it was trained
 * with. Every checkpoint after the first is one SQLite transaction on the
 * file in WAL mode: a kill at any moment leaves the previous checkpoint, and
 * readers (predict, sample) may open the file while it is being trained.
 * Resuming on one BLAS thread with the same data gives bit-identical weights
 * to a run that was never interrupted. */

typedef struct rnnkit_checkpoint_info {
    rnnkit_task task;
    int64_t step;      /* optimiser steps done */
    int epoch;         /* current epoch (1-based) */
    uint64_t seed;     /* the training seed */
    int finished;      /* 1: the run ended normally (it may still be extended) */
    int batch, seq_len;/* settings the run used */
    int member;        /* ensemble: the network in training (0-based) */
} rnnkit_checkpoint_info;

/* Reads the checkpoint header of a model file. RNNKIT_ERR_EMPTY when the
 * file holds no checkpoint (a model written without one). */
rnnkit_status rnnkit_checkpoint_info_read(const char *path, rnnkit_checkpoint_info *info,
                                          rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* Training and using a classifier */

/* Called during training; return nonzero to stop (RNNKIT_ERR_INTERRUPTED). */
typedef struct rnnkit_progress {
    int member, members;        /* ensemble: member (0-based) being trained, of members */
    int epoch, epochs;          /* 1-based */
    int64_t batch, batches;     /* within the epoch, 1-based */
    int64_t step;               /* optimiser steps so far */
    double loss;                /* running mean training loss this epoch */
    double items_per_s;         /* examples/s (classifier), characters/s (generator) */
    double elapsed;             /* seconds since training started */
    int end_of_epoch;           /* 1: the fields below are set */
    int end_of_eval;            /* generator: an evaluation just ran */
    rnnkit_log_row row;         /* at end of epoch / evaluation */
    int improved;               /* the validation metric improved (weights kept) */
    int epochs_before;          /* a run from train_options.init_path: the epochs done before it
                                 * began (its epochs run from epochs_before + 1 to `epochs`); 0 */
} rnnkit_progress;
typedef int (*rnnkit_progress_fn)(void *ctx, const rnnkit_progress *p);

/* A labelled data set in encoded form: doc i has ids[off[i] .. off[i+1]) and
 * class label[i]. Owned by the caller. */
typedef struct rnnkit_dataset {
    size_t n;
    const size_t *off;   /* [n+1] */
    const int32_t *ids;
    const int32_t *label;/* [n] */
} rnnkit_dataset;

/* How the learning rate moves during a run. */
typedef enum rnnkit_lr_schedule {
    RNNKIT_LR_PLATEAU = 0, /* constant, times lr_decay after each evaluation without gain */
    RNNKIT_LR_COSINE = 1   /* half a cosine from lr at step 1 to 0 after the last step */
} rnnkit_lr_schedule;

/* What every task's training shares: the trainer's knobs. Set them with a
 * task's *_options_default, then change what you need. */
typedef struct rnnkit_train_options {
    int batch;          /* documents (classifier) or streams (generator) per step, >= 1 */
    double lr;          /* initial learning rate, > 0 */
    double clip;        /* global-norm gradient clip; 0 = off */
    int patience;       /* evaluations without validation gain before stopping; 0 = never */
    uint64_t seed;      /* weights are the caller's; this seeds data order and dropout */
    rnnkit_optim_kind optimizer;
    double weight_decay;/* decoupled (AdamW-style) decay per step; 0 = none */
    rnnkit_lr_schedule lr_schedule; /* cosine: over each network's steps (those on
                                     * the data at hand, see init_path); a resume
                                     * with another length reshapes the curve */
    double lr_decay;    /* plateau only: factor after an evaluation without gain (1 = none) */
    /* Fine-tuning (Howard & Ruder 2018): the body (embedding and recurrent
     * layers) learns at lr * body_lr (1: as the output layer; 0 is taken as
     * 1), and not at all for its first freeze_body evaluations' worth of
     * steps (a classifier: epochs), while the output layer learns alone. */
    double body_lr;
    int freeze_body;
    /* 1: lazy embedding updates (PyTorch's SparseAdam, TensorFlow's
     * LazyAdam): the optimiser steps only the embedding rows of the
     * batch's tokens; the others keep their weights and moments (no
     * momentum, no decay) until a batch uses them, so a step costs the
     * rows used rather than the vocabulary. It changes the result (0, the
     * default, steps every row, as torch.optim.Adam does) and needs an
     * embedding (classifiers, generators). */
    int lazy_embedding;
    /* Weight averaging (Polyak averaging as an exponential moving average):
     * 0 = off; else the decay d, 0 < d < 1. Each network keeps an average of
     * its weights, avg = d avg + (1 - d) w after every optimiser step, begun
     * at the network's first weights; evaluations, the best weights and the
     * model written are the average's, while training steps the weights
     * themselves. A checkpoint holds the average, so a resumed run equals an
     * uninterrupted one. 1 / (1 - d) steps is about the span averaged. */
    double ema;
    /* Called after every step and every evaluation (may be NULL); nonzero
     * stops like *stop. */
    rnnkit_progress_fn progress;
    void *progress_ctx;

    /* Checkpoints (see "Checkpoints" above). With checkpoint_path set, the
     * training writes the model file itself: once at the start, at every
     * evaluation (a classifier's epoch end), every checkpoint_steps
     * optimiser steps, every checkpoint_seconds of wall time, when *stop
     * becomes nonzero, and at the end. */
    const char *checkpoint_path;
    int64_t checkpoint_steps;   /* 0: only at evaluations */
    double checkpoint_seconds;  /* 0: no time-based checkpoints */
    int resume;                 /* continue from the checkpoint in checkpoint_path */
    /* Continued training (`rnnkit classify train --init`; classifiers
     * only for now, RNNKIT_ERR_ARG for the other tasks): the run starts
     * where the training of the model file init_path stood, from its
     * checkpoint, and writes a new file at checkpoint_path (required);
     * init_path is only read. The model trained must be the one loaded
     * from init_path. The seed and batch must be the checkpoint's. A
     * classifier's `epochs` count more epochs after the ones the file's
     * model has done; epochs and steps are numbered on, and the training
     * log is the file's followed by the new rows.
     *  - A network carries on with the checkpoint's weights (the last ones,
     *    not necessarily the best), optimiser moments, rng and counters.
     *  - On the data of the checkpoint (the same fingerprint) the run is
     *    the resume of a copy of the file to the longer length, bit for
     *    bit: the schedule (a cosine over all the steps, old and new), the
     *    best weights and patience carry on too (a run that had stopped for
     *    patience trains no further).
     *  - On other data it begins at the start of an epoch of them; the
     *    schedule starts over there (the cosine from lr at the first new
     *    step to 0 after the last; the plateau rate back to lr), and the
     *    best weights and patience begin anew.
     *  - An ensemble's file keeps the training state of its last network
     *    only: each network carries on in turn, as on other data, from its
     *    final weights (the ones predictions use) with a fresh optimiser
     *    and a data-order stream of its own, its steps on from its last row
     *    of the log, its epochs on from the most any network had done; all
     *    of them predict meanwhile. An ensemble still in training is
     *    RNNKIT_ERR_ARG.
     * Errors name init_path (no such file or not a model file, no
     * checkpoint: RNNKIT_ERR_EMPTY, another task, seed or batch, an
     * unfinished ensemble); nothing is written then.
     * With resume set too, the file at checkpoint_path (a run that began
     * from some init_path) is resumed and `epochs` still count from where
     * that run began, so the same call carries on an interrupted run. */
    const char *init_path;
    /* Polled after every step: nonzero finishes the step, writes a
     * checkpoint (when checkpoint_path is set) and returns
     * RNNKIT_ERR_INTERRUPTED. A signal handler may set it. */
    const volatile sig_atomic_t *stop;
} rnnkit_train_options;

/* A classifier's training: epochs over the documents, an evaluation (and a
 * checkpoint) at the end of each. */
typedef struct rnnkit_classifier_options {
    rnnkit_train_options train;
    int epochs;         /* passes over the training set per network, >= 1 (with
                         * train.init_path: more passes, see there) */
    int maxlen;         /* tokens kept per document (0 = all) */
    int keep_last;      /* a longer document keeps its last maxlen tokens */
} rnnkit_classifier_options;

/* A generator's training: truncated back-propagation through time over
 * `batch` contiguous streams, seq_len steps at a time. */
typedef struct rnnkit_generator_options {
    rnnkit_train_options train;
    int seq_len;        /* time steps per chunk, >= 1 */
    int64_t steps;      /* optimiser steps; 0: `epochs` passes over the text instead */
    int epochs;
    int eval_every;     /* steps between validation runs (0: once per pass) */
    int softmax_samples;/* training only: a sampled softmax over this many candidates per
                         * step, drawn log-uniformly by id (a vocabulary's ids run from the
                         * commonest token), instead of the exact softmax over every id; 0,
                         * or at least the ids less one: exact; RNNKIT_SOFTMAX_AUTO (the
                         * default): 1024 above 8192 ids (a word vocabulary, where the
                         * exact softmax costs many times the recurrent layers), else
                         * exact. Evaluation is always exact. */
} rnnkit_generator_options;

#define RNNKIT_SOFTMAX_AUTO (-1)

/* The candidates per step a generator's training with these options
 * samples (0: the exact softmax), RNNKIT_SOFTMAX_AUTO resolved for m's
 * vocabulary. */
int rnnkit_generator_softmax_samples(const rnnkit_model *m, const rnnkit_generator_options *o);

/* The defaults `rnnkit classify train` and `rnnkit generate train` use. */
void rnnkit_classifier_options_default(rnnkit_classifier_options *o);
void rnnkit_generator_options_default(rnnkit_generator_options *o);

/* Trains; with a validation set the weights of the best epoch are kept (by
 * validation accuracy, ties by loss). The training log is written into
 * `log`/`nlog` (malloc'd, caller frees) when log != NULL. */
rnnkit_status rnnkit_classifier_train(rnnkit_model *m, const rnnkit_dataset *train,
                                      const rnnkit_dataset *valid,
                                      const rnnkit_classifier_options *opt, rnnkit_log_row **log,
                                      int *nlog, rnnkit_error *err);

/* The ensemble size `rnnkit classify train` takes by default (--ensemble
 * auto) for a training set: as many networks as fit in
 * RNNKIT_AUTO_MEMBER_TOKENS training tokens per epoch (documents capped at
 * maxlen), at least 1 and at most 4. Small sets, where one network's
 * accuracy depends most on its seed, get four (up to 2 M tokens); sets past
 * 4 M tokens, where each network costs most, one. *tokens (may be NULL)
 * receives the count. */
#define RNNKIT_AUTO_MEMBER_TOKENS 8000000u
int rnnkit_classifier_auto_members(const rnnkit_dataset *train, int maxlen, uint64_t *tokens);

/* Class probabilities of `n` documents: probs [n][K]. Batched internally. */
rnnkit_status rnnkit_classifier_predict(rnnkit_model *m, const rnnkit_dataset *docs,
                                        int maxlen, int keep_last, float *probs,
                                        rnnkit_error *err);

/* Classifies one UTF-8 text: tokenized with the model's vocabulary, cut to
 * the model's maxlen as in training, run through every ready network. The
 * most likely label's index goes to *label (may be NULL; its name is
 * rnnkit_model_label(m, *label)), the probabilities of the
 * rnnkit_model_num_labels(m) labels to probs (may be NULL; caller-owned).
 * Errors: RNNKIT_ERR_ARG for a generator, the tokenizer's error for text
 * that is not valid UTF-8 (naming "<text>" and the byte), RNNKIT_ERR_NOMEM. */
rnnkit_status rnnkit_classifier_classify_text(rnnkit_model *m, const char *text, size_t len, int *label,
                                              float *probs, rnnkit_error *err);

/* Mean loss and accuracy of a labelled set. */
rnnkit_status rnnkit_classifier_evaluate(rnnkit_model *m, const rnnkit_dataset *docs,
                                         int maxlen, int keep_last, double *loss,
                                         double *acc, rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* Training and using a forecaster
 *
 *   forecaster: window [lookback][inputs] of a series (differenced, scaled)
 *               -> LSTM/GRU/RNN x L -> last state -> dropout -> Dense ->
 *               the next `horizon` values of the target; mean squared error
 *
 * The model works in transformed units: the series is differenced as its
 * spec says, then scaled by a scaler fitted on the training part alone;
 * predictions are mapped back to the series' own units. Evaluation is one
 * step ahead from the true history (each forecast reads the true values
 * before it), on the chronological split of rnnkit_series_split. */

/* How a forecaster sees its series; stored in the model file. */
#define RNNKIT_FORECAST_NAME_MAX 128
typedef struct rnnkit_forecast_spec {
    rnnkit_diff diff;       /* differencing the network works in */
    size_t season;          /* period of the seasonal naive baseline and of MASE (1: none) */
    rnnkit_scaler scaler;   /* kind set before training; fitted by rnnkit_forecaster_train */
    char columns[RNNKIT_SERIES_MAX_COLUMNS][RNNKIT_FORECAST_NAME_MAX]; /* the inputs' names, target first */
    char date[RNNKIT_FORECAST_NAME_MAX];                               /* the label column ("" if none) */
    double test_frac, valid_frac; /* the split it was trained on (set by training) */
} rnnkit_forecast_spec;

/* Sets a forecaster's spec before training (scaler.kind chooses the
 * scaling; its parameters are fitted by training). Errors: RNNKIT_ERR_ARG
 * for another task, a differencing the series tools refuse, season 0. */
rnnkit_status rnnkit_model_set_forecast_spec(rnnkit_model *m, const rnnkit_forecast_spec *spec,
                                             rnnkit_error *err);
/* The forecaster's spec (NULL for another task); owned by the model. */
const rnnkit_forecast_spec *rnnkit_model_forecast_spec(const rnnkit_model *m);

typedef struct rnnkit_forecaster_options {
    rnnkit_train_options train;
    int epochs;          /* passes over the training windows, >= 1 */
    double test_frac;    /* the last test_frac of the rows are the test part (0.33) */
    double valid_frac;   /* of the rows before, the last valid_frac validate (0.1; 0: none) */
} rnnkit_forecaster_options;

void rnnkit_forecaster_options_default(rnnkit_forecaster_options *o);

/* Trains a forecaster on series s (its columns are the model's inputs, in
 * order): fits the scaler on the training part, then epochs of shuffled
 * windows, an evaluation (validation loss in scaled units) after each, the
 * best weights kept. Checkpoints and resume as the other tasks. Errors:
 * RNNKIT_ERR_ARG (another task, columns that do not match the model),
 * RNNKIT_ERR_EMPTY (too few rows, with how many are needed), and those of
 * training. */
rnnkit_status rnnkit_forecaster_train(rnnkit_model *m, const rnnkit_series *s,
                                      const rnnkit_forecaster_options *opt, rnnkit_log_row **log,
                                      int *nlog, rnnkit_error *err);

/* One-step-ahead forecasts of every row of s that has a full window
 * before it: pred[n] (caller-owned, n = rnnkit_series_length(s)) gets the
 * forecast of row t in the series' units, NaN where there is none. */
rnnkit_status rnnkit_forecaster_fit(rnnkit_model *m, const rnnkit_series *s, double *pred,
                                    rnnkit_error *err);

/* The errors of the model and of the two baselines on the same points, one
 * step ahead from the true history, in the series' units, on the split the
 * model was trained with (its spec's fractions): `train` over the rows
 * before the validation part that have a window, `test` over the last
 * test_frac of the rows. seasonal.n = 0 when the spec's
 * season is 1 (it would be persistence). */
typedef struct rnnkit_forecast_report {
    rnnkit_forecast_errors train, valid, test;                /* the model (valid: n = 0 without) */
    rnnkit_forecast_errors persistence_train, persistence_test; /* y[t-1] */
    rnnkit_forecast_errors seasonal_train, seasonal_test;     /* y[t-season] */
    size_t train_first_row, test_first_row;                   /* rows of the series */
} rnnkit_forecast_report;

rnnkit_status rnnkit_forecaster_evaluate(rnnkit_model *m, const rnnkit_series *s,
                                         rnnkit_forecast_report *out, rnnkit_error *err);

/* `--difference auto`: chooses how m's series is differenced, on the
 * validation part. For each of {no differences, first differences} x
 * {seasonal differences at the spec's season, none} (the seasonal ones only
 * when season > 1), a network of m's configuration and seed is trained with
 * opt (checkpoints and progress off) and judged by its one-step-ahead RMSE
 * on the validation rows, in the series' units; m's spec takes the best
 * differencing, except that among the candidates within 2 % of the best the
 * most differenced wins (validation rows cannot show a failure to
 * extrapolate levels beyond the training range). m itself is not trained. rmse[4], when
 * not NULL, receives the four RMSEs in the order (0,0) (0,s) (1,0) (1,s),
 * NaN for a candidate not tried. Errors: RNNKIT_ERR_ARG without a
 * validation part (valid_frac 0), and those of training. */
rnnkit_status rnnkit_forecaster_choose_differencing(rnnkit_model *m, const rnnkit_series *s,
                                                    const rnnkit_forecaster_options *opt, double rmse[4],
                                                    rnnkit_error *err);

/* The `steps` values after the end of s (out[steps], caller-owned), in the
 * series' units: the model's horizon at a time, each block read from the
 * window that ends with the last values known or forecast (recursive past
 * the horizon; a model with feature columns besides the target cannot
 * recurse: RNNKIT_ERR_ARG past its horizon). */
rnnkit_status rnnkit_forecaster_predict(rnnkit_model *m, const rnnkit_series *s, size_t steps,
                                        double *out, rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* Training and using a generator */

/* Trains on a token stream (ids [n]); `valid` may be NULL/0. Best weights
 * (by validation loss) are kept. */
rnnkit_status rnnkit_generator_train(rnnkit_model *m, const int32_t *train, size_t ntrain,
                                     const int32_t *valid, size_t nvalid,
                                     const rnnkit_generator_options *opt, rnnkit_log_row **log,
                                     int *nlog, rnnkit_error *err);

/* Mean loss in nats per token of a stream under the model; an ensemble's
 * is that of its members' mean probability of each token (each member
 * reading the stream with its own state). */
rnnkit_status rnnkit_generator_evaluate(rnnkit_model *m, const int32_t *ids, size_t n,
                                        double *loss, rnnkit_error *err);

/* Sampling state: the recurrent state of one stream (one per member of an
 * ensemble, whose next-token distribution is the members' mean). */
typedef struct rnnkit_sampler rnnkit_sampler;

typedef struct rnnkit_sample_options {
    float temperature; /* > 0 */
    int top_k;         /* 0 = off */
    float top_p;       /* 1 = off */
    int argmax;        /* greedy */
} rnnkit_sample_options;

rnnkit_status rnnkit_sampler_new(rnnkit_model *m, rnnkit_sampler **out, rnnkit_error *err);
void rnnkit_sampler_free(rnnkit_sampler *s);
/* Resets the state to zero. */
void rnnkit_sampler_reset(rnnkit_sampler *s);
/* Feeds one token; the distribution of the next one is then available. */
rnnkit_status rnnkit_sampler_feed(rnnkit_sampler *s, int32_t id, rnnkit_error *err);
/* Logits [V] of the next token after the last feed (owned by s); an
 * ensemble's are the log of its members' mean probabilities. */
const float *rnnkit_sampler_logits(const rnnkit_sampler *s);
/* Draws the next token from the last distribution (never <pad>/<unk>). */
int32_t rnnkit_sampler_draw(rnnkit_sampler *s, const rnnkit_sample_options *o, rnnkit_rng *rng);

/* ---------------------------------------------------------------------- */
/* Interchange: weights as safetensors (model/export.c)
 *
 * The safetensors layout: an 8-byte little-endian header length, a JSON
 * header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian tensor bytes. Tensor names are PyTorch state_dict names
 * ("embedding.weight", "rnn.weight_ih_l0", "rnn.bias_hh_l0_reverse", ...,
 * "fc.weight", "fc.bias"), so torch.nn.Embedding + LSTM/GRU/RNN + Linear
 * modules named embedding, rnn and fc load them as they are. */

/* Writes every tensor of `m` as F32 to `path`, atomically (temporary file in
 * the same directory, then rename), with the configuration as string
 * metadata under the keys of the model file's configuration: format
 * ("rnnkit"), task, cell, embed, hidden, layers, bidirectional, pool,
 * dropout, embed_dropout, forget_bias, maxlen, keep_last, vocab_size,
 * num_labels, and labels (a JSON array of strings, "[]" for a generator).
 * A forecaster's: task "forecast", cell, hidden, layers, bidirectional,
 * dropout, weight_drop, forget_bias, inputs, lookback, horizon and its
 * spec (diff_order, diff_season, season, scale, scale_offset, scale_scale,
 * columns, date_column, test_frac, valid_frac: docs/model-format.md), no
 * labels. The vocabulary is not included. Returns RNNKIT_OK, or RNNKIT_ERR_IO /
 * RNNKIT_ERR_NOMEM with `path` in the message; `path` is untouched then.
 * RNNKIT_ERR_ARG for an ensemble (keep one member first) and for a model
 * loaded from an int8 model file (rnnkit_model_quantized: its weights are
 * rounded; export the fp32 model it was made from). */
rnnkit_status rnnkit_model_export_safetensors(const rnnkit_model *m, const char *path,
                                              rnnkit_error *err);

/* Reads the "__metadata__" pairs of a safetensors file (the header is
 * checked whole, tensors included). On RNNKIT_OK *keys and *values are
 * malloc'd arrays of *n malloc'd NUL-terminated UTF-8 strings (*n may be 0,
 * the arrays NULL then), in file order; release them with
 * rnnkit_safetensors_metadata_free. On failure (RNNKIT_ERR_IO,
 * RNNKIT_ERR_FORMAT naming the byte offset, RNNKIT_ERR_NOMEM) they are
 * NULL/0. */
rnnkit_status rnnkit_safetensors_metadata(const char *path, char ***keys, char ***values, int *n,
                                          rnnkit_error *err);
/* Frees what rnnkit_safetensors_metadata returned; NULL arrays are fine. */
void rnnkit_safetensors_metadata_free(char **keys, char **values, int n);

/* Overwrites every parameter of `m` with the tensor of the same name in the
 * safetensors file `path`. Tensors may be F32, F64, F16 or BF16 (converted
 * to f32). All or nothing: each of the model's tensors must be present with
 * exactly its shape, the file may hold no other tensor, and no value may be
 * NaN or Inf; otherwise RNNKIT_ERR_SHAPE / RNNKIT_ERR_FORMAT /
 * RNNKIT_ERR_NUMERIC names the tensor and `m` is unchanged. Row 0 of
 * embedding.weight (padding, never read for a real token) is set to zero.
 * The metadata is not consulted: build `m` with the matching configuration
 * first (rnnkit_safetensors_metadata reads it). */
rnnkit_status rnnkit_model_import_safetensors(rnnkit_model *m, const char *path,
                                              rnnkit_error *err);

/* ---------------------------------------------------------------------- */
/* Configurations as text, and models from safetensors (model/import.c)
 *
 * Keys, types and bounds are those of the model file (docs/model-format.md,
 * "model_meta"): task (classify|generate|forecast), cell (lstm|gru|rnn), embed and
 * hidden (1..65536), layers (1..64), bidirectional and keep_last (0|1, also
 * yes/no/true/false), pool (last|mean|max), dropout, embed_dropout and
 * weight_drop (0..0.999999), forget_bias (-100..100), maxlen (0..1e8),
 * members (1..RNNKIT_MAX_MEMBERS); a forecaster's inputs (1..64), lookback
 * (1..100000), horizon (1..10000). A forecaster's spec keys are no
 * configuration keys (RNNKIT_ERR_ARG): training sets them, files keep them. */

/* Sets one key of cfg from its text. RNNKIT_ERR_ARG naming the key: an
 * unknown key ("KEY: unknown configuration key"), a value out of bounds or
 * malformed (saying what the key takes); cfg is unchanged then. */
rnnkit_status rnnkit_model_config_set(rnnkit_model_config *cfg, const char *key, const char *value,
                                      rnnkit_error *err);
/* Applies "key=value,key=value,..." in order (errors as above, or an item
 * without '='; the keys before the failing one are applied). */
rnnkit_status rnnkit_model_config_parse(rnnkit_model_config *cfg, const char *spec, rnnkit_error *err);

typedef struct rnnkit_import_options {
    const char *config;         /* "key=value,..." applied over the metadata; NULL: none */
    const char *const *labels;  /* the classifier's labels in output order (copied); NULL:
                                 * the metadata's `labels` */
    int nlabels;
} rnnkit_import_options;

/* Builds a model from the safetensors file `path`: the configuration is the
 * task's defaults (rnnkit_model_config_default of the metadata's task, or
 * of opt->config's), then the file's metadata, then opt->config; the labels
 * are opt->labels or the metadata's; then every tensor is read as
 * rnnkit_model_import_safetensors does. Takes ownership of `vocab` (also on
 * failure); its size must equal the metadata's vocab_size when present. A
 * forecaster (task "forecast") takes vocab NULL and its spec from the
 * metadata (without the scaler's arrays: unfitted); a classifier or
 * generator without a vocabulary, or a forecaster with one, is
 * RNNKIT_ERR_ARG.
 * opt may be NULL. On RNNKIT_OK *out is the model (free with
 * rnnkit_model_free). Errors name `path`: those of
 * rnnkit_safetensors_metadata and rnnkit_model_import_safetensors,
 * RNNKIT_ERR_FORMAT for bad metadata (an unknown key, a value out of
 * bounds, labels that are not a JSON array of strings), RNNKIT_ERR_ARG for
 * opt->config as rnnkit_model_config_parse or a classifier without labels,
 * RNNKIT_ERR_SHAPE for a vocabulary of another size. */
rnnkit_status rnnkit_model_import_safetensors_file(const char *path, rnnkit_vocab *vocab,
                                                   const rnnkit_import_options *opt, rnnkit_model **out,
                                                   rnnkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
