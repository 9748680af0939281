/*
 * bench/bench_bf16.c: GFLOP/s of core/bf16.c's bf16 product (bf16 inputs,
 * fp32 sums, AVX512-BF16) against OpenBLAS's cblas_sgemm, one thread each,
 * on the products of rnnkit's networks: the generator 2 x LSTM 512 trained
 * on B 64 x T 100 (GH = 2048), the classifier LSTM 128 on B 32 x T 80
 * (GH = 512), and a square 1024^3. Shapes and transposes are those of
 * model/rnn_unit.c: X W^T forward (per step and over the sequence), dZ W
 * for input and state gradients, dZ^T X for weight gradients.
 *
 * Each figure is the best of 5 timings of enough repetitions to take
 * about 0.05 s (2 M N K flop per product); the bf16 product includes its
 * packing (every call converts and packs both operands). Run with
 * OPENBLAS_NUM_THREADS=1 (bench/bench_bf16.sh does). Output: one line per
 * shape on stdout; exit status 1 when the CPU lacks AVX512-BF16 or memory
 * runs out. An argument keeps only the shapes whose name contains it.
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bf16.h"

typedef struct shape {
    const char *name;
    int transA, transB, M, N, K;
    float beta;
} shape;

static const shape shapes[] = {
    {"gen 2x512: h W_hh^T per step", 0, 1, 64, 2048, 512, 1.0f},
    {"gen 2x512: X W_ih^T sequence", 0, 1, 6400, 2048, 512, 0.0f},
    {"gen 2x512: dZ_t W_hh per step", 0, 0, 64, 512, 2048, 1.0f},
    {"gen 2x512: dZ W_ih sequence", 0, 0, 6400, 512, 2048, 0.0f},
    {"gen 2x512: dZ^T X weight grad", 1, 0, 2048, 512, 6400, 1.0f},
    {"clf H128: h W_hh^T per step", 0, 1, 32, 512, 128, 1.0f},
    {"clf H128: X W_ih^T sequence", 0, 1, 2560, 512, 128, 0.0f},
    {"clf H128: dZ^T X weight grad", 1, 0, 512, 128, 2560, 1.0f},
    {"square 1024^3", 0, 0, 1024, 1024, 1024, 0.0f},
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void run_one(const shape *s, int bf16, rnnkit__bf16_ws *ws, const float *A, const float *B, float *C)
{
    int lda = s->transA ? s->M : s->K, ldb = s->transB ? s->K : s->N;
    if (bf16)
        rnnkit__bf16_gemm(ws, s->transA, s->transB, s->M, s->N, s->K, A, lda, B, ldb, s->beta, C, s->N);
    else
        cblas_sgemm(CblasRowMajor, s->transA ? CblasTrans : CblasNoTrans, s->transB ? CblasTrans : CblasNoTrans,
                    s->M, s->N, s->K, 1.0f, A, lda, B, ldb, s->beta, C, s->N);
}

/* Best GFLOP/s of 5 timings. */
static double measure(const shape *s, int bf16, rnnkit__bf16_ws *ws, const float *A, const float *B, float *C)
{
    double flop = 2.0 * s->M * (double)s->N * s->K;
    run_one(s, bf16, ws, A, B, C); /* warm: pages, caches */
    double t = now();
    run_one(s, bf16, ws, A, B, C);
    t = now() - t;
    int reps = t > 0.05 ? 1 : (int)(0.05 / (t > 1e-6 ? t : 1e-6)) + 1;
    double best = 0.0;
    for (int round = 0; round < 5; round++) {
        t = now();
        for (int r = 0; r < reps; r++)
            run_one(s, bf16, ws, A, B, C);
        t = now() - t;
        double g = flop * reps / t * 1e-9;
        best = g > best ? g : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    rnnkit__bf16_cpu cpu;
    rnnkit__bf16_detect(&cpu);
    if (!cpu.avx512bf16) {
        fprintf(stderr, "bench_bf16: this CPU lacks AVX512-BF16\n");
        return 1;
    }
    rnnkit__bf16_ws *ws = rnnkit__bf16_ws_create();
    if (!ws) {
        fprintf(stderr, "bench_bf16: out of memory\n");
        return 1;
    }
    const char *core = getenv("OPENBLAS_CORETYPE"), *nt = getenv("OPENBLAS_NUM_THREADS");
    printf("OPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s, 1 thread each\n", core ? core : "unset",
           nt ? nt : "unset");
    printf("%-32s %-16s %9s %9s %6s\n", "product", "op MxNxK", "sgemm", "bf16", "ratio");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        if (argc > 1 && !strstr(s->name, argv[1]))
            continue;
        size_t na = (size_t)s->M * s->K, nb = (size_t)s->N * s->K, nc = (size_t)s->M * s->N;
        float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B), *C = malloc(nc * sizeof *C);
        if (!A || !B || !C) {
            fprintf(stderr, "bench_bf16: out of memory\n");
            return 1;
        }
        unsigned x = 12345u;
        for (size_t e = 0; e < na; e++)
            A[e] = (float)((x = x * 1664525u + 1013904223u) >> 8) * 0x1p-24f - 0.5f;
        for (size_t e = 0; e < nb; e++)
            B[e] = (float)((x = x * 1664525u + 1013904223u) >> 8) * 0x1p-24f - 0.5f;
        for (size_t e = 0; e < nc; e++)
            C[e] = 0.0f;
        double g32 = measure(s, 0, ws, A, B, C), g16 = measure(s, 1, ws, A, B, C);
        char op[32];
        snprintf(op, sizeof op, "%c%c %dx%dx%d", s->transA ? 'T' : 'N', s->transB ? 'T' : 'N', s->M, s->N, s->K);
        printf("%-32s %-16s %9.1f %9.1f %5.2fx\n", s->name, op, g32, g16, g16 / g32);
        fflush(stdout);
        free(A);
        free(B);
        free(C);
    }
    rnnkit__bf16_ws_free(ws);
    return 0;
}
