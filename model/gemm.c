/*
 * model/gemm.c: rnnkit's AVX-512 single-precision matrix product, and the
 * choice between it and OpenBLAS (see model/gemm.h).
 *
 * The kernel computes an mr x 32 tile of C (mr <= 8) in 16 zmm accumulators:
 * per k it loads 32 floats of B (two vectors, masked at the right edge),
 * broadcasts 8 values of A and issues 16 FMAs. B is read either from a
 * packed panel (K rows of 32 floats, for W^T operands) or straight from a
 * row-major matrix (row stride ldb). Blocking: K in chunks of KC (the B
 * chunk of one panel stays in L1/L2), rows of C in blocks of MC (the A block
 * stays in L2 across all panels). The result for a given shape does not
 * depend on anything else, so runs are reproducible.
 */
#include "model/gemm.h"

#include <cblas.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RNNKIT_HAVE_AVX512 1
#include <immintrin.h>
#else
#define RNNKIT_HAVE_AVX512 0
#endif

enum { NR = 32, MR = 8, KC = 384, MC = 96 };

int rnnkit__gemm_fast(void)
{
#if RNNKIT_HAVE_AVX512
    return __builtin_cpu_supports("avx512f") && openblas_get_num_threads() == 1;
#else
    return 0;
#endif
}

size_t rnnkit__gemm_packed_floats(int N, int K)
{
    return (size_t)((N + NR - 1) / NR) * NR * (size_t)K;
}

void rnnkit__gemm_pack_wt(int N, int K, const float *W, int ldw, float *packed)
{
    /* panel p, row k, lane j  <-  W[32p + j][k] (0 beyond N) */
    const int np = (N + NR - 1) / NR;
    for (int p = 0; p < np; p++) {
        float *dst = packed + (size_t)p * K * NR;
        const int n0 = p * NR, nn = N - n0 < NR ? N - n0 : NR;
        if (nn < NR)
            memset(dst, 0, (size_t)K * NR * sizeof(float));
        /* 32 source rows at a time, k in blocks of 8 so the writes stay in cache */
        for (int k0 = 0; k0 < K; k0 += 8) {
            const int kk = K - k0 < 8 ? K - k0 : 8;
            for (int j = 0; j < nn; j++) {
                const float *src = W + (size_t)(n0 + j) * ldw + k0;
                for (int k = 0; k < kk; k++)
                    dst[(size_t)(k0 + k) * NR + j] = src[k];
            }
        }
    }
}

#if RNNKIT_HAVE_AVX512

#define AVX512 __attribute__((target("avx512f")))
/* The tile's row loops must unroll so the 16 accumulators live in registers. */
#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 8")
#endif

/* C tile [mr][<=32] (+)= sum_k A(i,k) B(k, 0..31); A(i,k) = A[i*ai + k*ak]. */
static inline __attribute__((always_inline)) AVX512 void
tile(const int mr, int K, const float *A, size_t ai, size_t ak, const float *B, size_t ldb,
     __mmask16 m0, __mmask16 m1, int accumulate, float *C, size_t ldc)
{
    __m512 c0[MR], c1[MR];
    UNROLL
    for (int i = 0; i < MR; i++) {
        c0[i] = _mm512_setzero_ps();
        c1[i] = _mm512_setzero_ps();
    }
    for (int k = 0; k < K; k++) {
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, B + (size_t)k * ldb);
        const __m512 b1 = _mm512_maskz_loadu_ps(m1, B + (size_t)k * ldb + 16);
        const float *a = A + (size_t)k * ak;
        UNROLL
        for (int i = 0; i < MR; i++) {
            if (i < mr) {
                const __m512 av = _mm512_set1_ps(a[(size_t)i * ai]);
                c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
                c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
            }
        }
    }
    UNROLL
    for (int i = 0; i < MR; i++) {
        if (i < mr) {
            float *c = C + (size_t)i * ldc;
            if (accumulate) {
                c0[i] = _mm512_add_ps(c0[i], _mm512_maskz_loadu_ps(m0, c));
                c1[i] = _mm512_add_ps(c1[i], _mm512_maskz_loadu_ps(m1, c + 16));
            }
            _mm512_mask_storeu_ps(c, m0, c0[i]);
            _mm512_mask_storeu_ps(c + 16, m1, c1[i]);
        }
    }
}

static AVX512 void tile_any(int mr, int K, const float *A, size_t ai, size_t ak, const float *B, size_t ldb,
                            __mmask16 m0, __mmask16 m1, int accumulate, float *C, size_t ldc)
{
    switch (mr) {
    case 8: tile(8, K, A, ai, ak, B, ldb, m0, m1, accumulate, C, ldc); break;
    case 7: tile(7, K, A, ai, ak, B, ldb, m0, m1, accumulate, C, ldc); break;
    case 6: tile(6, K, A, ai, ak, B, ldb, m0, m1, accumulate, C, ldc); break;
    case 5: tile(5, K, A, ai, ak, B, ldb, m0, m1, accumulate, C, ldc); break;
    case 4: tile(4, K, A, ai, ak, B, ldb, m0, m1, accumulate, C, ldc); break;
    case 3: tile(3, K, A, ai, ak, B, ldb, m0, m1, accumulate, C, ldc); break;
    case 2: tile(2, K, A, ai, ak, B, ldb, m0, m1, accumulate, C, ldc); break;
    default: tile(1, K, A, ai, ak, B, ldb, m0, m1, accumulate, C, ldc); break;
    }
}

/* The blocked product. B(k, n) = B[k*ldb + n] when !packed, else the packed
 * panels of rnnkit__gemm_pack_wt (panel stride K*32, row stride 32). */
static AVX512 void gemm_avx512(int transA, int M, int N, int K, const float *A, int lda, const float *B,
                               int ldb, int packed, float beta, float *C, int ldc)
{
    const size_t ai = transA ? 1 : (size_t)lda, ak = transA ? (size_t)lda : 1;
    if (K == 0) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    if (beta != 0.0f && beta != 1.0f)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] *= beta;
    for (int k0 = 0; k0 < K; k0 += KC) {
        const int kc = K - k0 < KC ? K - k0 : KC;
        const int acc = k0 > 0 || beta != 0.0f;
        for (int m0 = 0; m0 < M; m0 += MC) {
            const int mc = M - m0 < MC ? M - m0 : MC;
            for (int n0 = 0; n0 < N; n0 += NR) {
                const int nn = N - n0 < NR ? N - n0 : NR;
                const __mmask16 mk0 = nn >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nn) - 1);
                const __mmask16 mk1 = nn >= 32 ? (__mmask16)0xffff
                                      : nn > 16 ? (__mmask16)((1u << (nn - 16)) - 1) : (__mmask16)0;
                const float *Bp;
                size_t bstride;
                if (packed) {
                    Bp = B + (size_t)(n0 / NR) * K * NR + (size_t)k0 * NR;
                    bstride = NR;
                } else {
                    Bp = B + (size_t)k0 * ldb + n0;
                    bstride = (size_t)ldb;
                }
                for (int i0 = m0; i0 < m0 + mc; i0 += MR) {
                    const int mr = m0 + mc - i0 < MR ? m0 + mc - i0 : MR;
                    const float *Ap = A + (size_t)i0 * ai + (size_t)k0 * ak;
                    tile_any(mr, kc, Ap, ai, ak, Bp, bstride, mk0, mk1, acc, C + (size_t)i0 * ldc + n0,
                             (size_t)ldc);
                }
            }
        }
    }
}
#endif

void rnnkit__gemm(int fast, int transA, int transB, int M, int N, int K, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc)
{
    if (fast < 0)
        fast = rnnkit__gemm_fast();
#if RNNKIT_HAVE_AVX512
    if (fast && !transB) {
        gemm_avx512(transA, M, N, K, A, lda, B, ldb, 0, beta, C, ldc);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N,
                K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

void rnnkit__gemm_packed(int transA, int M, int N, int K, const float *A, int lda, const float *packed,
                         float beta, float *C, int ldc)
{
#if RNNKIT_HAVE_AVX512
    gemm_avx512(transA, M, N, K, A, lda, packed, 0, 1, beta, C, ldc);
#else
    (void)transA, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)packed, (void)beta, (void)C, (void)ldc;
#endif
}
