/*
 * bench/bench_lstm.c: speed of one LSTM layer, forward + backward, at
 * B = 64, T = 100, E = H = 512, against the rate OpenBLAS's sgemm reaches
 * on the same matrix shapes.
 *
 * FLOPs counted (2*M*N*K per product, nothing for the gate passes):
 *   forward  2*T*B*E*4H (input projection) + 2*T*B*H*4H (recurrence)
 *   backward twice the forward (dW and dX of each product)
 * The sgemm reference times cblas_sgemm alone on [T*B,E] x [E,4H] and on
 * [B,H] x [H,4H] (T times), and their sum for the forward's mix of the two.
 *
 * Also timed: the text generator's inference step, T = 1, B = 1 through a
 * 2-layer LSTM with E = 64, H = 512 (the per-character cost of sampling).
 *
 * Usage: bench_lstm [iterations]   (threads: OPENBLAS_NUM_THREADS)
 * Prints one line per figure on stdout; exit 1 on a failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model/nn_internal.h"

enum { B = 64, T = 100, E = 512, H = 512 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *alloc_random(size_t n, rnnkit_rng *rng)
{
    float *p = malloc(n * sizeof *p);
    if (p)
        for (size_t i = 0; i < n; i++)
            p[i] = 2.0f * rnnkit_rng_uniform(rng) - 1.0f;
    return p;
}

/* Seconds per call of C[M][N] = A[M][K] W^T, W [N][K], best of `reps` rounds of `calls` calls. */
static double time_sgemm(int M, int N, int K, int calls, int reps, rnnkit_rng *rng)
{
    float *A = alloc_random((size_t)M * K, rng), *W = alloc_random((size_t)N * K, rng);
    float *C = alloc_random((size_t)M * N, rng);
    double best = 1e30;
    if (A && W && C) {
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            for (int c = 0; c < calls; c++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, W, K,
                            1.0f, C, N);
            double dt = (now() - t0) / calls;
            best = dt < best ? dt : best;
        }
    }
    free(A);
    free(W);
    free(C);
    return A && W && C ? best : -1.0;
}

/* Per-step time of T = 1, B = 1 inference through a 2-layer LSTM (E = 64,
 * H = 512), the state carried from one call to the next. */
static int bench_generator_step(void)
{
    enum { GE = 64, GH = 512, GL = 2, STEPS = 2000 };
    rnnkit_error err;
    rnnkit__params p;
    rnnkit__params_init(&p);
    rnnkit__rnn *rnn = NULL;
    rnnkit__rnn_config cfg = {.cell = RNNKIT_CELL_LSTM, .input_size = GE, .hidden_size = GH,
                             .num_layers = GL, .bidirectional = 0, .dropout = 0.0f};
    if (rnnkit__rnn_create(&cfg, &p, "rnn", &rnn, &err) || rnnkit__params_alloc(&p, &err)) {
        fprintf(stderr, "bench_lstm: %s\n", err.msg);
        return 1;
    }
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 2);
    rnnkit__rnn_init(rnn, &rng, 0.0f);
    float *x = alloc_random(GE, &rng);
    float *h = calloc(GL * GH, sizeof *h), *c = calloc(GL * GH, sizeof *c);
    if (!x || !h || !c) {
        fprintf(stderr, "bench_lstm: out of memory\n");
        return 1;
    }
    const float *y = NULL;
    double t0 = 0;
    for (int s = -100; s < STEPS; s++) { /* 100 warm-up steps */
        if (s == 0)
            t0 = now();
        if (rnnkit__rnn_forward(rnn, 1, 1, x, NULL, h, c, 0, NULL, &y, h, c, &err)) {
            fprintf(stderr, "bench_lstm: %s\n", err.msg);
            return 1;
        }
        x[s & (GE - 1)] = y[0]; /* keep the input changing */
    }
    double dt = (now() - t0) / STEPS;
    const double flops = 2.0 * 4 * GH * (GE + GH) + 2.0 * 4 * GH * (GH + GH);
    printf("  generator step T=1 B=1 L=%d E=%d H=%d: %.1f us  (%.1f GFLOP/s)\n", GL, GE, GH,
           1e6 * dt, 1e-9 * flops / dt);
    free(x);
    free(h);
    free(c);
    rnnkit__rnn_free(rnn);
    rnnkit__params_free(&p);
    return 0;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 5;
    if (iters < 1)
        iters = 1;
    rnnkit_error err;
    rnnkit__params p;
    rnnkit__params_init(&p);
    rnnkit__rnn *rnn = NULL;
    rnnkit__rnn_config cfg = {.cell = RNNKIT_CELL_LSTM, .input_size = E, .hidden_size = H,
                             .num_layers = 1, .bidirectional = 0, .dropout = 0.0f};
    if (rnnkit__rnn_create(&cfg, &p, "rnn", &rnn, &err) || rnnkit__params_alloc(&p, &err)) {
        fprintf(stderr, "bench_lstm: %s\n", err.msg);
        return 1;
    }
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 1);
    rnnkit__rnn_init(rnn, &rng, 0.0f);
    const size_t TB = (size_t)T * B;
    float *x = alloc_random(TB * E, &rng), *dy = alloc_random(TB * H, &rng);
    float *dx = malloc(TB * E * sizeof *dx);
    if (!x || !dy || !dx) {
        fprintf(stderr, "bench_lstm: out of memory\n");
        return 1;
    }
    const float *y = NULL;
    double tf = 1e30, tb = 1e30;
    for (int it = 0; it <= iters; it++) { /* iteration 0 warms up (and allocates) */
        double t0 = now();
        if (rnnkit__rnn_forward(rnn, T, B, x, NULL, NULL, NULL, 1, NULL, &y, NULL, NULL, &err)) {
            fprintf(stderr, "bench_lstm: %s\n", err.msg);
            return 1;
        }
        double t1 = now();
        if (rnnkit__rnn_backward(rnn, dy, NULL, NULL, dx, NULL, NULL, &err)) {
            fprintf(stderr, "bench_lstm: %s\n", err.msg);
            return 1;
        }
        double t2 = now();
        if (it > 0) {
            tf = t1 - t0 < tf ? t1 - t0 : tf;
            tb = t2 - t1 < tb ? t2 - t1 : tb;
        }
    }
    const double G = 4.0 * H;
    const double f_in = 2.0 * TB * E * G, f_rec = 2.0 * TB * H * G;
    const double f_fwd = f_in + f_rec, f_bwd = 2.0 * f_fwd;
    const double s_in = time_sgemm((int)TB, (int)G, E, 1, iters + 1, &rng);
    const double s_rec = time_sgemm(B, (int)G, H, T, iters + 1, &rng);
    if (s_in < 0 || s_rec < 0) {
        fprintf(stderr, "bench_lstm: out of memory\n");
        return 1;
    }
    const double s_mix = s_in + T * s_rec; /* the forward's products, sgemm alone */
    const char *thr = getenv("OPENBLAS_NUM_THREADS");
    printf("lstm B=%d T=%d E=%d H=%d, OPENBLAS_NUM_THREADS=%s, best of %d\n", B, T, E, H,
           thr ? thr : "(unset)", iters);
    printf("  forward           %8.2f ms  %7.1f GFLOP/s\n", 1e3 * tf, 1e-9 * f_fwd / tf);
    printf("  backward          %8.2f ms  %7.1f GFLOP/s\n", 1e3 * tb, 1e-9 * f_bwd / tb);
    printf("  forward+backward  %8.2f ms  %7.1f GFLOP/s\n", 1e3 * (tf + tb),
           1e-9 * (f_fwd + f_bwd) / (tf + tb));
    printf("  sgemm [%zu,%d]x[%d,%d]     %7.1f GFLOP/s\n", TB, E, E, (int)G, 1e-9 * f_in / s_in);
    printf("  sgemm [%d,%d]x[%d,%d] x%d    %7.1f GFLOP/s\n", B, H, H, (int)G, T,
           1e-9 * f_rec / (T * s_rec));
    printf("  sgemm forward mix            %7.1f GFLOP/s\n", 1e-9 * f_fwd / s_mix);
    printf("  lstm / sgemm mix             %7.0f %%\n",
           100.0 * ((f_fwd + f_bwd) / (tf + tb)) / (f_fwd / s_mix));
    free(x);
    free(dy);
    free(dx);
    rnnkit__rnn_free(rnn);
    rnnkit__params_free(&p);
    return bench_generator_step() ? 1 : 0;
}
