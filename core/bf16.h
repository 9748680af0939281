/*
 * core/bf16.h: bfloat16 conversion and a matrix product with bf16 inputs
 * and fp32 accumulation (core/bf16.c), the kernel behind a pool's bf16
 * precision mode (rnnkit__pool_set_bf16, core/pool.h).
 *
 * Invariants:
 * - Conversion rounds to nearest, ties to even, on the bit pattern: a NaN
 *   stays a NaN (made quiet, sign kept), infinities and zeros keep their
 *   sign, subnormals are rounded like any other value (not flushed). The
 *   scalar and the array conversion give the same bits.
 * - rnnkit__bf16_gemm computes every element of C as ONE fixed sequence of
 *   fp32 operations: start from beta * C (0 when beta == 0, C not read),
 *   then add the K-pair products in increasing pair order, one VDPBF16PS
 *   lane step per pair (a zero pair pads an odd K). That sequence depends
 *   only on the element's row of op(A), its column of op(B), K and beta:
 *   never on M, N, the tile or block the element falls in, or on which
 *   rows and columns a caller hands to one call. So cutting a product into
 *   row or column blocks (core/pool.c) gives the same bits as one call.
 *   VDPBF16PS treats subnormal inputs and results as zero; results
 *   therefore differ (slightly) from an fp32 product of the rounded inputs.
 * - Nothing is global: the CPU check fills a caller-owned struct, and the
 *   packing buffers are a caller-owned workspace, allocated once and
 *   reused (one per thread).
 */
#ifndef RNNKIT_CORE_BF16_H
#define RNNKIT_CORE_BF16_H

#include <stddef.h>
#include <stdint.h>

/* fp32 -> bf16 bits, round to nearest even, NaN stays NaN. */
uint16_t rnnkit__bf16_from_f32(float x);
/* bf16 bits -> fp32 (exact). */
float rnnkit__bf16_to_f32(uint16_t h);
/* dst[i] = rnnkit__bf16_from_f32(src[i]) for i < n (vectorised). */
void rnnkit__bf16_convert(size_t n, const float *src, uint16_t *dst);

/* What the CPU and OS offer: AVX512F and AVX512_BF16 in CPUID, and zmm /
 * opmask state enabled by the OS in XCR0. Filled once by the caller and
 * kept (a pool keeps its copy). */
typedef struct rnnkit__bf16_cpu {
    int avx512bf16; /* 1: rnnkit__bf16_gemm may run */
} rnnkit__bf16_cpu;
void rnnkit__bf16_detect(rnnkit__bf16_cpu *cpu);

/* Packing buffers of one thread: fixed size, whatever the shapes (the
 * products are cut into cache blocks). NULL when out of memory. */
typedef struct rnnkit__bf16_ws rnnkit__bf16_ws;
rnnkit__bf16_ws *rnnkit__bf16_ws_create(void);
void rnnkit__bf16_ws_free(rnnkit__bf16_ws *ws);

/*
 * Row-major C[M][N] = bf16(op(A)) bf16(op(B)) + beta C with fp32
 * accumulation: cblas_sgemm's arguments with alpha 1. transA: A is stored
 * [K][M] (lda >= M), else [M][K] (lda >= K); transB: B is stored [N][K]
 * (ldb >= K), else [K][N] (ldb >= N); ldc >= N. Requires cpu->avx512bf16
 * and a workspace; M, N or K < 1 (K < 1: C = beta C) are handled.
 * Single-threaded: core/pool.c cuts the product into blocks.
 */
void rnnkit__bf16_gemm(rnnkit__bf16_ws *ws, int transA, int transB, int M, int N, int K, const float *A,
                       int lda, const float *B, int ldb, float beta, float *C, int ldc);

/*
 * op(B) packed once for many products: a recurrent weight, the same at
 * every step of a sequence, costs one packing instead of one per step.
 * The packed words are those rnnkit__bf16_gemm packs for itself, so
 * rnnkit__bf16_gemm_pb gives the same bits as rnnkit__bf16_gemm on the
 * unpacked op(B). Bp: rnnkit__bf16_pb_words(N, K) words, 64-byte aligned,
 * in rnnkit__bf16_pb_panels(N) panels of 32 columns; rnnkit__bf16_pack_b
 * fills panels [p0, p1) (callers may fill disjoint panel ranges at once).
 * rnnkit__bf16_gemm_pb computes the columns of panels [p0, p1) (clipped to
 * N) of C = bf16(op(A)) op(B) + beta C, with the arguments of
 * rnnkit__bf16_gemm; C is the whole matrix (column 0 at C).
 */
size_t rnnkit__bf16_pb_words(int N, int K);
int rnnkit__bf16_pb_panels(int N);
void rnnkit__bf16_pack_b(int transB, int N, int K, const float *B, int ldb, int p0, int p1, uint32_t *Bp);
void rnnkit__bf16_gemm_pb(rnnkit__bf16_ws *ws, int transA, int M, int N, int K, const float *A, int lda,
                          const uint32_t *Bp, int p0, int p1, float beta, float *C, int ldc);

#endif
