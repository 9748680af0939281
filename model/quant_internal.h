/*
 * model/quant_internal.h: int8 weights for inference (model/quant.c). Not
 * installed, not API.
 *
 * A weight matrix W [N][K] (torch's [out][in]) is quantized per output row,
 * symmetrically: s_n = max_k |W[n][k]| / 127, q[n][k] = round(W[n][k] / s_n)
 * clamped to [-127, 127] (a zero row: s_n = 0, q = 0; so is a row whose
 * max |W| is below 127 FLT_MIN, where s_n would be subnormal). The activations A
 * [M][K] of a product are quantized the same way per row when the product
 * runs (s_m = max_k |A[m][k]| / 127). The product
 *
 *   C[m][n] = beta C[m][n] + (s_m s_n) acc[m][n],  acc = Σ_k qa[m][k] q[n][k]
 *
 * sums exact int32 products (K <= RNNKIT__QMAX_K keeps every partial sum in
 * range), so every kernel (AVX512-VNNI, portable C) and every split over
 * threads gives the same bits. VNNI multiplies unsigned by signed bytes: the
 * activations go in as qa + 128 and 128 Σ_k q[n][k] (rowsum) is taken off.
 */
#ifndef RNNKIT_MODEL_QUANT_INTERNAL_H
#define RNNKIT_MODEL_QUANT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"
#include "rnnkit/status.h"

/* The widest K: (qa + 128) q summed over K stays below 2^31 (65536 * 255 *
 * 127 < 2^31). */
#define RNNKIT__QMAX_K 65536

/* A quantized W [N][K]. q is packed for the kernel: Np = N rounded up to 16
 * (rows of zeros), Kp = K rounded up to 4 (zero columns); byte e of group
 * k4 of row n (k = 4 k4 + e) is at q[((n / 16) * (Kp / 4) + k4) * 64 +
 * (n % 16) * 4 + e], so 16 rows' 4 bytes form one 64-byte vector. */
typedef struct rnnkit__qmat {
    int N, K, Np, Kp;
    int8_t *q;       /* [Np / 16][Kp / 4][16][4], 64-byte aligned */
    float *scale;    /* [N] s_n */
    int32_t *rowsum; /* [N] Σ_k q[n][k] */
} rnnkit__qmat;

/* Scratch for the quantized activations of products of up to `rows` rows of
 * width up to Kp. */
typedef struct rnnkit__qbuf {
    size_t rows, kp;
    uint8_t *a;   /* [rows][Kp]: qa + 128 */
    float *scale; /* [rows] s_m */
} rnnkit__qbuf;

/* Quantizes one row x [K] into q [K] as every int8 weight and activation
 * is (above); returns its scale (0 for a zero row, NaN when x holds NaN or
 * Inf, q then 0). */
float rnnkit__quantize_row(size_t K, const float *x, int8_t *q);

/* The scale to store beside a row's int8 values q in a file, from the scale
 * s >= 0 rnnkit__quantize_row gave: s moved (by at most a few units in the
 * last place) to a fixed point of s -> fl(fl(127 s) / 127), reached within
 * RNNKIT__QSCALE_STEPS steps. Then rnnkit__quantize_row of the dequantized
 * row (q[k] * s, in float) gives back q and s bit for bit (quant.c says
 * why; tests/test_int8file.c checks every significand), so a file's int8
 * values are exactly those the int8 products of its dequantized weights
 * use. 0 stays 0. */
#define RNNKIT__QSCALE_STEPS 4
float rnnkit__qscale_fixed(float s);

/* Allocates w for an N x K matrix (1 <= K <= RNNKIT__QMAX_K); its values are
 * set by rnnkit__qmat_set. On failure w is left empty (freeing it is fine). */
rnnkit_status rnnkit__qmat_alloc(rnnkit__qmat *w, int N, int K, rnnkit_error *err);
/* Quantizes W [N][K] (row-major, leading dimension K) into w. */
void rnnkit__qmat_set(rnnkit__qmat *w, const float *W);
void rnnkit__qmat_free(rnnkit__qmat *w);
/* The bytes w holds (packed q with its padding, scales, row sums), and those
 * of the fp32 matrix it stands for (N K 4). */
size_t rnnkit__qmat_bytes(const rnnkit__qmat *w);
size_t rnnkit__qmat_fp32_bytes(const rnnkit__qmat *w);

/* Makes b hold at least rows x kp. */
rnnkit_status rnnkit__qbuf_reserve(rnnkit__qbuf *b, size_t rows, size_t kp, rnnkit_error *err);
void rnnkit__qbuf_free(rnnkit__qbuf *b);

/* 1 when this CPU runs the AVX512-VNNI kernel (asked each time: no global
 * state; a caller keeps the answer). 0 elsewhere, and under valgrind, whose
 * CPUID shows no AVX-512. */
int rnnkit__cpu_has_vnni(void);

/* C[M][N] = beta C + dequant(quant(A) W^T), A [M][K] (leading dimension
 * K = w->K), C [M][N] (leading dimension N = w->N); beta 0 or 1 (beta 0
 * does not read C). buf must hold M x w->Kp (rnnkit__qbuf_reserve). vnni
 * selects the AVX512-VNNI kernel (only where rnnkit__cpu_has_vnni said 1);
 * both kernels give the same bits. Split over pool in blocks of
 * RNNKIT__Q_ROWS rows x RNNKIT__Q_COLS columns fixed by the shape. */
#define RNNKIT__Q_ROWS 256
#define RNNKIT__Q_COLS 64
void rnnkit__qgemm(rnnkit__pool *pool, int M, const float *A, const rnnkit__qmat *w, float beta, float *C,
                   rnnkit__qbuf *buf, int vnni);

/* Quantizes rows [0, M) of A [M][K] into buf as rnnkit__qgemm does (split
 * over pool): a_u8 = qa + 128 in buf->a [M][kp], s_m in buf->scale. */
void rnnkit__quantize_rows(rnnkit__pool *pool, int M, int K, int kp, const float *A, rnnkit__qbuf *buf);

#endif
