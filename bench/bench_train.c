/*
 * bench/bench_train.c: rnnkit's side of bench/bench_vs_torch.sh. One process
 * measures one configuration through the public library API only
 * (rnnkit/model.h, rnnkit/vocab.h), so that its peak RSS is that
 * configuration's; bench/torch_side.py measures the same with PyTorch.
 *
 * Modes (the first argument):
 *   clf-train   classifier training, tokens/s (forward, backward, clip, Adam)
 *   clf-infer   classifier prediction, documents/s
 *   gen-train   generator training (truncated BPTT), characters/s
 *   gen-sample  generation one character at a time, batch 1, characters/s
 *   sgemm       OpenBLAS's cblas_sgemm alone on the products of the forward
 *               pass of the configuration given by --task, GFLOP/s
 *
 * Options (all "--name value"): --threads N (the model's threads, OpenBLAS on one),
 * --vocab V, --embed E, --hidden H, --layers L, --bi 0|1, --batch B,
 * --len T, --steps N (items of work per round: optimiser steps, predict
 * calls or characters), --rounds R, --warm W, --task clf|gen (sgemm mode),
 * --int8 0|1 (clf-infer: int8 weights, rnnkit_model_set_int8).
 * --bf16 0|1 (every mode: bf16 products, rnnkit_model_config.bf16).
 *
 * Data are synthetic: fixed-length documents of ids drawn uniformly from
 * [2, V) (no padding, no <unk>), labels from {0, 1}; a generator stream of
 * ids from [2, 65). The vocabularies are built with the vocab builder from
 * synthetic text: V - 2 distinct lowercase words (word level), 63 distinct
 * ASCII characters (character level, 65 ids with <pad> and <unk>).
 *
 * Output: one line on stdout,
 *   result side=rnnkit mode=M threads=N items_per_s=X rounds=x1,x2,...
 *          flop_per_item=F rss_kb=K
 * where items_per_s is the median of the rounds, flop_per_item counts only
 * the GEMM work of the recurrent layers and the output layer (2*M*N*K per
 * product, backward = twice forward, for training modes), rss_kb is
 * getrusage's ru_maxrss. The sgemm mode prints "result side=sgemm ...
 * gflops=G". Diagnostics go to stderr; exit status 1 on a failure, 2 on a
 * usage error.
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "rnnkit/model.h"
#include "rnnkit/vocab.h"

/* The measured configuration, from the command line. */
typedef struct bench_args {
    const char *mode;
    const char *task;  /* sgemm mode: which network's products */
    int threads;
    int vocab;         /* V: classifier vocabulary, ids incl. <pad>, <unk> */
    int embed, hidden, layers, bi;
    int batch, len;    /* B, T */
    int steps;         /* items of work per round */
    int rounds, warm;
    int int8;          /* clf-infer: int8 prediction (rnnkit_model_set_int8) */
    int bf16;          /* bf16 products (rnnkit_model_config.bf16) */
} bench_args;

enum { GEN_VOCAB = 65, NUM_CLASSES = 2, MAX_ROUNDS = 64 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

static void print_result(const bench_args *a, const double *rate, int n, double flop_per_item)
{
    printf("result side=rnnkit mode=%s threads=%d items_per_s=%.2f rounds=", a->mode, a->threads,
           median(rate, n));
    for (int i = 0; i < n; i++)
        printf("%s%.2f", i ? "," : "", rate[i]);
    printf(" flop_per_item=%.0f rss_kb=%ld\n", flop_per_item, peak_rss_kb());
}

/* ---------------------------------------------------------------------- */
/* Vocabularies and models */

/* Word w as four lowercase letters (base 26): distinct, unchanged by NFKC
 * and case folding, one token each at word level. */
static void word_name(int w, char out[5])
{
    for (int k = 3; k >= 0; k--) {
        out[k] = (char)('a' + w % 26);
        w /= 26;
    }
    out[4] = '\0';
}

/* A vocabulary of exactly `want` ids (reserved ones included) built from
 * synthetic text: `want - 2` distinct words, or characters at char level. */
static rnnkit_status make_vocab(rnnkit_level level, int want, rnnkit_vocab **out,
                                rnnkit_error *err)
{
    *out = NULL;
    const int ntok = want - 2;
    const size_t width = level == RNNKIT_LEVEL_WORD ? 5 : 1; /* bytes per token + separator */
    char *text = malloc((size_t)ntok * width + 1);
    if (!text)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the vocabulary text");
    size_t len = 0;
    for (int w = 0; w < ntok; w++) {
        if (level == RNNKIT_LEVEL_WORD) {
            word_name(w, text + len);
            text[len + 4] = ' ';
            len += 5;
        } else {
            text[len++] = (char)('!' + w); /* '!' .. '_' for 63 characters */
        }
    }
    text[len] = '\0';
    rnnkit_tok_config tc;
    rnnkit_tok_config_default(&tc, level);
    rnnkit_vocab_builder *b = NULL;
    rnnkit_status st = rnnkit_vocab_builder_new(&tc, &b, err);
    if (!st)
        st = rnnkit_vocab_builder_add(b, text, len, "synthetic", err);
    if (!st)
        st = rnnkit_vocab_builder_finish(b, 1, 0, out, err);
    rnnkit_vocab_builder_free(b);
    free(text);
    if (!st && rnnkit_vocab_size(*out) != want) {
        st = rnnkit_error_set(err, RNNKIT_ERR_ARG, "synthetic vocabulary has %lld ids, wanted %d",
                              (long long)rnnkit_vocab_size(*out), want);
        rnnkit_vocab_free(*out);
        *out = NULL;
    }
    return st;
}

static rnnkit_status make_model(const bench_args *a, rnnkit_task task, rnnkit_model **out,
                                rnnkit_error *err)
{
    rnnkit_model_config cfg;
    rnnkit_model_config_default(&cfg, task);
    cfg.embed = a->embed;
    cfg.hidden = a->hidden;
    cfg.layers = a->layers;
    cfg.bf16 = a->bf16;
    rnnkit_vocab *v = NULL;
    rnnkit_status st;
    if (task == RNNKIT_TASK_CLASSIFY) {
        cfg.bidirectional = a->bi;
        cfg.maxlen = a->len;
        st = make_vocab(RNNKIT_LEVEL_WORD, a->vocab, &v, err);
    } else {
        /* the work of bench/torch_side.py's Generator: dropout 0.2 between
         * the layers and before the output, no weight drop */
        cfg.dropout = 0.2f;
        cfg.weight_drop = 0.0f;
        st = make_vocab(RNNKIT_LEVEL_CHAR, GEN_VOCAB, &v, err);
    }
    if (st)
        return st;
    static const char *const labels[NUM_CLASSES] = {"neg", "pos"};
    st = rnnkit_model_create(&cfg, v, task == RNNKIT_TASK_CLASSIFY ? labels : NULL,
                             task == RNNKIT_TASK_CLASSIFY ? NUM_CLASSES : 0, 42, out, err);
#ifdef RNNKIT_MAX_THREADS /* the model's own pool (OpenBLAS stays on one thread) */
    if (!st && (st = rnnkit_model_set_threads(*out, a->threads, err))) {
        rnnkit_model_free(*out);
        *out = NULL;
    }
#endif
    return st;
}

/* ---------------------------------------------------------------------- */
/* FLOP accounting (GEMMs of the recurrent layers and the output layer) */

/* Forward FLOPs per time step and sequence of the recurrent stack. */
static double rnn_flop_per_token(const bench_args *a, int dirs)
{
    const double H = a->hidden, G = 4.0 * H;
    double f = 0.0;
    for (int l = 0; l < a->layers; l++) {
        const double in = l == 0 ? a->embed : dirs * H;
        f += dirs * 2.0 * G * (in + H);
    }
    return f;
}

/* ---------------------------------------------------------------------- */
/* Synthetic data */

typedef struct docs {
    rnnkit_dataset set;
    size_t *off;
    int32_t *ids, *label;
} docs;

static void docs_free(docs *d)
{
    free(d->off);
    free(d->ids);
    free(d->label);
}

static int docs_make(docs *d, size_t n, int T, int V, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->off = malloc((n + 1) * sizeof *d->off);
    d->ids = malloc(n * (size_t)T * sizeof *d->ids);
    d->label = malloc(n * sizeof *d->label);
    if (!d->off || !d->ids || !d->label) {
        docs_free(d);
        return -1;
    }
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, seed);
    for (size_t i = 0; i <= n; i++)
        d->off[i] = i * (size_t)T;
    for (size_t i = 0; i < n * (size_t)T; i++)
        d->ids[i] = 2 + (int32_t)rnnkit_rng_below(&rng, (uint64_t)V - 2);
    for (size_t i = 0; i < n; i++)
        d->label[i] = (int32_t)rnnkit_rng_below(&rng, NUM_CLASSES);
    d->set = (rnnkit_dataset){.n = n, .off = d->off, .ids = d->ids, .label = d->label};
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Training: timestamps at the end of every optimiser step */

typedef struct stamps {
    double *t; /* [n + 1]: t[k] = time at the end of step k */
    int64_t n;
} stamps;

static int on_progress(void *ctx, const rnnkit_progress *p)
{
    stamps *s = ctx;
    if (!p->end_of_epoch && !p->end_of_eval && p->step >= 1 && p->step <= s->n)
        s->t[p->step] = now();
    return 0;
}

/* Rates of the rounds after `warm` steps: round r spans steps
 * (warm + r*steps, warm + (r+1)*steps]. */
static int rates_from_stamps(const bench_args *a, const stamps *s, double items_per_step,
                             double *rate)
{
    for (int r = 0; r < a->rounds; r++) {
        double t0 = s->t[a->warm + (int64_t)r * a->steps];
        double t1 = s->t[a->warm + (int64_t)(r + 1) * a->steps];
        if (!(t1 > t0))
            return -1;
        rate[r] = items_per_step * a->steps / (t1 - t0);
    }
    return 0;
}

static int run_clf_train(const bench_args *a, rnnkit_error *err)
{
    const int64_t total = (int64_t)a->warm + (int64_t)a->rounds * a->steps;
    rnnkit_model *m = NULL;
    if (make_model(a, RNNKIT_TASK_CLASSIFY, &m, err))
        return 1;
    docs d;
    stamps s = {.t = calloc((size_t)total + 1, sizeof(double)), .n = total};
    if (docs_make(&d, (size_t)total * (size_t)a->batch, a->len, a->vocab, 7) || !s.t) {
        rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the data");
        rnnkit_model_free(m);
        free(s.t);
        return 1;
    }
    rnnkit_classifier_options o;
    rnnkit_classifier_options_default(&o);
    o.epochs = 1;
    o.train.batch = a->batch;
    o.train.patience = 0;
    o.maxlen = a->len;
    o.train.progress = on_progress;
    o.train.progress_ctx = &s;
    s.t[0] = now();
    rnnkit_status st = rnnkit_classifier_train(m, &d.set, NULL, &o, NULL, NULL, err);
    double rate[MAX_ROUNDS];
    int bad = st || rates_from_stamps(a, &s, (double)a->batch * a->len, rate);
    if (!st && bad)
        rnnkit_error_set(err, RNNKIT_ERR_ARG, "training reported fewer steps than asked");
    if (!bad) {
        const int dirs = a->bi ? 2 : 1;
        const double fwd = rnn_flop_per_token(a, dirs) +
                           2.0 * dirs * a->hidden * NUM_CLASSES / (double)a->len;
        print_result(a, rate, a->rounds, 3.0 * fwd);
    }
    docs_free(&d);
    free(s.t);
    rnnkit_model_free(m);
    return bad;
}

static int run_gen_train(const bench_args *a, rnnkit_error *err)
{
    const int64_t total = (int64_t)a->warm + (int64_t)a->rounds * a->steps;
    rnnkit_model *m = NULL;
    if (make_model(a, RNNKIT_TASK_GENERATE, &m, err))
        return 1;
    /* B streams long enough that no step wraps around to a fresh state. */
    const size_t n = (size_t)a->batch * (size_t)a->len * (size_t)total + 1;
    int32_t *text = malloc(n * sizeof *text);
    stamps s = {.t = calloc((size_t)total + 1, sizeof(double)), .n = total};
    if (!text || !s.t) {
        rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the data");
        free(text);
        free(s.t);
        rnnkit_model_free(m);
        return 1;
    }
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 11);
    for (size_t i = 0; i < n; i++)
        text[i] = 2 + (int32_t)rnnkit_rng_below(&rng, GEN_VOCAB - 2);
    rnnkit_generator_options o;
    rnnkit_generator_options_default(&o);
    o.train.batch = a->batch;
    o.seq_len = a->len;
    o.steps = total;
    o.eval_every = (int)total; /* no validation set: only a copy of the weights at the end */
    o.train.progress = on_progress;
    o.train.progress_ctx = &s;
    s.t[0] = now();
    rnnkit_status st = rnnkit_generator_train(m, text, n, NULL, 0, &o, NULL, NULL, err);
    double rate[MAX_ROUNDS];
    int bad = st || rates_from_stamps(a, &s, (double)a->batch * a->len, rate);
    if (!st && bad)
        rnnkit_error_set(err, RNNKIT_ERR_ARG, "training reported fewer steps than asked");
    if (!bad) {
        const double fwd = rnn_flop_per_token(a, 1) + 2.0 * a->hidden * GEN_VOCAB;
        print_result(a, rate, a->rounds, 3.0 * fwd);
    }
    free(text);
    free(s.t);
    rnnkit_model_free(m);
    return bad;
}

/* ---------------------------------------------------------------------- */
/* Use */

static int run_clf_infer(const bench_args *a, rnnkit_error *err)
{
    rnnkit_model *m = NULL;
    if (make_model(a, RNNKIT_TASK_CLASSIFY, &m, err))
        return 1;
    if (a->int8) {
        if (rnnkit_model_set_int8(m, 1, err)) {
            rnnkit_model_free(m);
            return 1;
        }
        size_t q = 0, f = 0;
        rnnkit_model_int8_bytes(m, &q, &f);
        fprintf(stderr, "int8 weights: %zu bytes (with scales and row sums) for %zu bytes of fp32 weights\n", q, f);
    }
    docs d;
    float *probs = malloc((size_t)a->batch * NUM_CLASSES * sizeof *probs);
    if (docs_make(&d, (size_t)a->batch, a->len, a->vocab, 9) || !probs) {
        rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the data");
        free(probs);
        rnnkit_model_free(m);
        return 1;
    }
    double rate[MAX_ROUNDS];
    int bad = 0;
    for (int r = -1; r < a->rounds && !bad; r++) { /* round -1 warms up */
        const int calls = r < 0 ? a->warm : a->steps;
        double t0 = now();
        for (int c = 0; c < calls && !bad; c++)
            bad = rnnkit_classifier_predict(m, &d.set, a->len, 1, probs, err) != RNNKIT_OK;
        if (r >= 0)
            rate[r] = (double)a->batch * calls / (now() - t0);
    }
    if (!bad) {
        const int dirs = a->bi ? 2 : 1;
        print_result(a, rate, a->rounds,
                     rnn_flop_per_token(a, dirs) * a->len + 2.0 * dirs * a->hidden * NUM_CLASSES);
    }
    docs_free(&d);
    free(probs);
    rnnkit_model_free(m);
    return bad;
}

static int run_gen_sample(const bench_args *a, rnnkit_error *err)
{
    rnnkit_model *m = NULL;
    if (make_model(a, RNNKIT_TASK_GENERATE, &m, err))
        return 1;
    rnnkit_sampler *s = NULL;
    if (rnnkit_sampler_new(m, &s, err)) {
        rnnkit_model_free(m);
        return 1;
    }
    rnnkit_sample_options so = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .argmax = 0};
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 3);
    int32_t id = 2;
    double rate[MAX_ROUNDS];
    int bad = 0;
    for (int r = -1; r < a->rounds && !bad; r++) {
        const int chars = r < 0 ? a->warm : a->steps;
        double t0 = now();
        for (int c = 0; c < chars && !bad; c++) {
            bad = rnnkit_sampler_feed(s, id, err) != RNNKIT_OK;
            id = rnnkit_sampler_draw(s, &so, &rng);
        }
        if (r >= 0)
            rate[r] = chars / (now() - t0);
    }
    if (!bad)
        print_result(a, rate, a->rounds, rnn_flop_per_token(a, 1) + 2.0 * a->hidden * GEN_VOCAB);
    rnnkit_sampler_free(s);
    rnnkit_model_free(m);
    return bad;
}

/* ---------------------------------------------------------------------- */
/* The sgemm reference */

/* Seconds for `calls` products C[M][N] = A[M][K] W^T + C (W [N][K]), the
 * shape of every forward product in model/rnn.c and model/layers.c. */
static double time_sgemm(int M, int N, int K, int calls, rnnkit_error *err)
{
    const size_t na = (size_t)M * K, nw = (size_t)N * K, nc = (size_t)M * N;
    float *A = malloc(na * sizeof *A), *W = malloc(nw * sizeof *W), *C = calloc(nc, sizeof *C);
    if (!A || !W || !C) {
        free(A);
        free(W);
        free(C);
        rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for a %d x %d x %d product", M, N, K);
        return -1.0;
    }
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 5);
    for (size_t i = 0; i < na; i++)
        A[i] = rnnkit_rng_uniform(&rng) - 0.5f;
    for (size_t i = 0; i < nw; i++)
        W[i] = rnnkit_rng_uniform(&rng) - 0.5f;
    /* one warm-up product, then the best of three timings */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, W, K, 0.0f, C, N);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        for (int c = 0; c < calls; c++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, W, K, 1.0f,
                        C, N);
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    free(A);
    free(W);
    free(C);
    return best;
}

/* Rate of the forward's products of one batch: per unit the input
 * projection [T*B][in] x [in][4H] and T recurrent products [B][H] x [H][4H];
 * then the output layer. */
static int run_sgemm(const bench_args *a, rnnkit_error *err)
{
    const int gen = !strcmp(a->task, "gen");
    const int dirs = (!gen && a->bi) ? 2 : 1, H = a->hidden, G = 4 * H, T = a->len, B = a->batch;
    double secs = 0.0, flop = 0.0;
    for (int l = 0; l < a->layers; l++) {
        const int in = l == 0 ? a->embed : dirs * H;
        double s_in = time_sgemm(T * B, G, in, 1, err);
        double s_rec = time_sgemm(B, G, H, T, err);
        if (s_in < 0 || s_rec < 0)
            return 1;
        secs += dirs * (s_in + s_rec);
        flop += dirs * 2.0 * T * B * G * ((double)in + H);
    }
    const int rows = gen ? T * B : B, K = gen ? GEN_VOCAB : NUM_CLASSES;
    double s_out = time_sgemm(rows, K, dirs * H, 1, err);
    if (s_out < 0)
        return 1;
    secs += s_out;
    flop += 2.0 * rows * K * dirs * H;
    printf("result side=sgemm mode=sgemm task=%s threads=%d gflops=%.2f\n", a->task, a->threads,
           1e-9 * flop / secs);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Command line */

static int parse_int(const char *flag, const char *s, int lo, int hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "bench_train: %s: '%s' is not an integer in [%d, %d]\n", flag, s, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_train clf-train|clf-infer|gen-train|gen-sample|sgemm [--threads N]\n"
               "       [--vocab V] [--embed E] [--hidden H] [--layers L] [--bi 0|1]\n"
               "       [--batch B] [--len T] [--steps N] [--rounds R] [--warm W] [--task clf|gen]\n"
               "       [--int8 0|1] [--bf16 0|1]\n");
}

int main(int argc, char **argv)
{
    bench_args a = {.task = "clf", .threads = 1, .vocab = 20000, .embed = 128, .hidden = 128,
                    .layers = 1, .bi = 1, .batch = 32, .len = 80, .steps = 5, .rounds = 3,
                    .warm = 2};
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    a.mode = argv[1];
    struct {
        const char *flag;
        int *dst, lo, hi;
    } opts[] = {{"--threads", &a.threads, 1, 256},  {"--vocab", &a.vocab, 3, 1 << 24},
                {"--embed", &a.embed, 1, 65536},    {"--hidden", &a.hidden, 1, 65536},
                {"--layers", &a.layers, 1, 64},     {"--bi", &a.bi, 0, 1},
                {"--batch", &a.batch, 1, 65536},    {"--len", &a.len, 1, 100000},
                {"--steps", &a.steps, 1, 1 << 24},  {"--rounds", &a.rounds, 1, MAX_ROUNDS},
                {"--warm", &a.warm, 1, 1 << 24},    {"--int8", &a.int8, 0, 1}, {"--bf16", &a.bf16, 0, 1}};
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "bench_train: %s needs a value\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--task")) {
            a.task = argv[i + 1];
            continue;
        }
        size_t k = 0, nopts = sizeof opts / sizeof opts[0];
        while (k < nopts && strcmp(argv[i], opts[k].flag))
            k++;
        if (k == nopts) {
            fprintf(stderr, "bench_train: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (parse_int(argv[i], argv[i + 1], opts[k].lo, opts[k].hi, opts[k].dst))
            return 2;
    }
#ifdef RNNKIT_MAX_THREADS
    openblas_set_num_threads(1);
#else
    openblas_set_num_threads(a.threads);
#endif
    rnnkit_error err;
    rnnkit_error_clear(&err);
    int bad;
    if (!strcmp(a.mode, "clf-train"))
        bad = run_clf_train(&a, &err);
    else if (!strcmp(a.mode, "clf-infer"))
        bad = run_clf_infer(&a, &err);
    else if (!strcmp(a.mode, "gen-train"))
        bad = run_gen_train(&a, &err);
    else if (!strcmp(a.mode, "gen-sample"))
        bad = run_gen_sample(&a, &err);
    else if (!strcmp(a.mode, "sgemm"))
        bad = run_sgemm(&a, &err);
    else {
        fprintf(stderr, "bench_train: unknown mode '%s'\n", a.mode);
        usage(stderr);
        return 2;
    }
    if (bad) {
        fprintf(stderr, "bench_train: %s: %s\n", a.mode, err.msg[0] ? err.msg : "failed");
        return 1;
    }
    return 0;
}
