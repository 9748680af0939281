/*
 * model/gemm.h: the matrix products of the recurrent layers.
 *
 *   C[M][N] = op(A)[M][K] op(B)[K][N] + beta C        (row-major, alpha 1)
 *
 * with op(X) = X or X^T, as cblas_sgemm. On a CPU with AVX-512F and one BLAS
 * thread the product runs on rnnkit's own kernel (8 x 32 register tile, FMA,
 * masked edges); otherwise, and always with RNNKIT_GEMM_BLAS semantics when
 * asked for, it is OpenBLAS's cblas_sgemm. The AVX-512 kernel is checked
 * against cblas_sgemm in tests/test_rnn.c.
 *
 * B given transposed (a weight matrix W[N][K] used as W^T) can be packed once
 * into column panels and reused across many products, as the recurrent step
 * does with W_hh.
 */
#ifndef RNNKIT_GEMM_H
#define RNNKIT_GEMM_H

#include <stddef.h>

/* 1 when rnnkit__gemm uses the AVX-512 kernel for this process's settings
 * (CPU support, one OpenBLAS thread). */
int rnnkit__gemm_fast(void);

/* The general product; `fast` < 0 chooses as rnnkit__gemm_fast() says, 0
 * forces cblas_sgemm, 1 the AVX-512 kernel (the CPU must support it). */
void rnnkit__gemm(int fast, int transA, int transB, int M, int N, int K, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc);

/* Floats a packed W^T of W[N][K] takes. */
size_t rnnkit__gemm_packed_floats(int N, int K);
/* Packs W[N][K] (row stride ldw) as the K x N right operand W^T. */
void rnnkit__gemm_pack_wt(int N, int K, const float *W, int ldw, float *packed);
/* C[M][N] = op(A)[M][K] W^T + beta C with W^T packed by rnnkit__gemm_pack_wt
 * (AVX-512 kernel only: call when rnnkit__gemm_fast()). */
void rnnkit__gemm_packed(int transA, int M, int N, int K, const float *A, int lda,
                         const float *packed, float beta, float *C, int ldc);

#endif
