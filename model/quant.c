/*
 * model/quant.c: int8 weights for inference: per-row symmetric quantization
 * of a weight matrix, dynamic per-row quantization of the activations, and
 * their product with int32 accumulation (model/quant_internal.h gives the
 * formulas and the packed layout).
 *
 * Two kernels compute the same int32 sums: an AVX512-VNNI one (vpdpbusd,
 * unsigned activations x signed weights, 16 columns per vector, tiles of 8
 * rows x 32 columns) chosen at run time, and portable C. The sums are
 * exact and one shared function turns them into floats, so both give the
 * same bits. The product is cut into tasks of RNNKIT__Q_ROWS rows x
 * RNNKIT__Q_COLS columns (fixed by the shape), each writing its own block
 * of C: any thread count gives the same bits too.
 *
 * Invariants: a qmat's padding (rows N..Np, columns K..Kp) is zero, so the
 * activations' padding bytes (128) add nothing; K <= RNNKIT__QMAX_K, so no
 * int32 sum wraps.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clones.h"
#include "model/quant_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define Q_HAVE_VNNI 1
#else
#define Q_HAVE_VNNI 0
#endif

int rnnkit__cpu_has_vnni(void)
{
#if Q_HAVE_VNNI
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

/* ---------------------------------------------------------------------- */
/* Quantization */

/* round(v) to nearest, ties to even, for |v| <= 2^22: adding 1.5 * 2^23
 * leaves no fraction bits (default rounding mode). */
static inline float round_half_even(float v)
{
    const float magic = 12582912.0f;
    return (v + magic) - magic;
}

/* q[k] = round(x[k] * 127 / max|x|) clamped to [-127, 127], for k < K;
 * returns the scale max|x| / 127 (0 for a zero row, NaN when x holds a
 * NaN or an infinity, the q then 0). A row whose max|x| is below
 * 127 FLT_MIN counts as zero: its scale would be subnormal, and below
 * 127 / FLT_MAX the reciprocal would overflow (0 * inf is NaN, and a NaN
 * cast to an integer is undefined). max|x| is taken on the bit patterns
 * (for floats >= 0 their order as unsigned integers is the float order,
 * NaN above infinity), a reduction compilers vectorise; every step is an
 * exact or correctly rounded IEEE operation, the same in each copy. */
RNNKIT_CLONES static float quantize_row(size_t K, const float *restrict x, int8_t *restrict q)
{
    uint32_t amax_bits = 0;
    for (size_t k = 0; k < K; k++) {
        uint32_t b;
        memcpy(&b, &x[k], sizeof b);
        b &= 0x7fffffffu;
        amax_bits = b > amax_bits ? b : amax_bits;
    }
    float amax;
    memcpy(&amax, &amax_bits, sizeof amax);
    if (amax_bits > 0x7f7fffffu || amax < 127.0f * FLT_MIN) { /* infinity or NaN; zero or nearly */
        memset(q, 0, K);
        return amax_bits > 0x7f7fffffu ? NAN : 0.0f;
    }
    const float inv = 127.0f / amax;
    for (size_t k = 0; k < K; k++) {
        float v = x[k] * inv;
        v = v > 127.0f ? 127.0f : v;
        v = v < -127.0f ? -127.0f : v;
        q[k] = (int8_t)(int32_t)round_half_even(v);
    }
    return amax / 127.0f;
}

float rnnkit__quantize_row(size_t K, const float *x, int8_t *q) { return quantize_row(K, x, q); }

/*
 * Why a fixed point of s -> fl(fl(127 s) / 127) comes back. Let a row be
 * stored as q [K] and s, with max_k |q[k]| = 127 (quantize_row gives 127
 * at the largest |x|: x * fl(127 / x) is 127 within two roundings, far
 * less than the half step to 126) and s >= FLT_MIN. Its dequantized
 * values are y[k] = fl(q[k] s); rounding is monotonic, so max_k |y[k]| =
 * fl(127 s) exactly, and quantize_row(y) returns the scale fl(fl(127 s) /
 * 127), which is s at a fixed point. Each of its values is y[k] fl(127 /
 * fl(127 s)) = q[k] (1 + e), |e| < 4 * 2^-24 (four roundings of relative
 * size 2^-24 at most), so |q[k] e| < 127 * 2^-22 < 1/2 rounds back to
 * q[k]. Scaling s by a power of two scales every step exactly while all
 * stays normal (s >= FLT_MIN, 127 s <= FLT_MAX), so whether s is a fixed
 * point depends on its significand alone: tests/test_int8file.c tries all
 * 2^23 of them (and that at most RNNKIT__QSCALE_STEPS steps reach one).
 */
float rnnkit__qscale_fixed(float s)
{
    for (int i = 0; i < RNNKIT__QSCALE_STEPS; i++) {
        const float back = (127.0f * s) / 127.0f;
        if (back == s)
            break;
        s = back;
    }
    return s;
}

static int round_up(int x, int to) { return (x + to - 1) / to * to; }

rnnkit_status rnnkit__qmat_alloc(rnnkit__qmat *w, int N, int K, rnnkit_error *err)
{
    memset(w, 0, sizeof *w);
    if (N < 1 || K < 1 || K > RNNKIT__QMAX_K || N > (1 << 24))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "int8 weights: a %d x %d matrix is outside 1..%d x 1..%d", N, K,
                                1 << 24, RNNKIT__QMAX_K);
    w->N = N;
    w->K = K;
    w->Np = round_up(N, 16);
    w->Kp = round_up(K, 4);
    const size_t qbytes = (size_t)w->Np * (size_t)w->Kp; /* a multiple of 64 */
    w->q = aligned_alloc(64, qbytes);
    w->scale = malloc((size_t)N * sizeof(float));
    w->rowsum = malloc((size_t)N * sizeof(int32_t));
    if (!w->q || !w->scale || !w->rowsum) {
        rnnkit__qmat_free(w);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "int8 weights: out of memory for a %d x %d matrix", N, K);
    }
    memset(w->q, 0, qbytes);
    return RNNKIT_OK;
}

void rnnkit__qmat_free(rnnkit__qmat *w)
{
    free(w->q);
    free(w->scale);
    free(w->rowsum);
    memset(w, 0, sizeof *w);
}

void rnnkit__qmat_set(rnnkit__qmat *w, const float *W)
{
    const size_t K4 = (size_t)w->Kp / 4;
    int8_t row[RNNKIT__QMAX_K];
    for (int n = 0; n < w->N; n++) {
        w->scale[n] = quantize_row((size_t)w->K, W + (size_t)n * (size_t)w->K, row);
        int32_t sum = 0;
        int8_t *dst = w->q + (size_t)(n / 16) * K4 * 64 + (size_t)(n % 16) * 4;
        for (int k = 0; k < w->K; k++) {
            sum += row[k];
            dst[(size_t)(k / 4) * 64 + (size_t)(k % 4)] = row[k];
        }
        w->rowsum[n] = sum;
    }
}

size_t rnnkit__qmat_bytes(const rnnkit__qmat *w)
{
    return (size_t)w->Np * (size_t)w->Kp + (size_t)w->N * (sizeof(float) + sizeof(int32_t));
}

size_t rnnkit__qmat_fp32_bytes(const rnnkit__qmat *w) { return (size_t)w->N * (size_t)w->K * sizeof(float); }

rnnkit_status rnnkit__qbuf_reserve(rnnkit__qbuf *b, size_t rows, size_t kp, rnnkit_error *err)
{
    if (rows <= b->rows && kp <= b->kp)
        return RNNKIT_OK;
    rows = rows > b->rows ? rows : b->rows;
    kp = kp > b->kp ? kp : b->kp;
    if (kp && rows > SIZE_MAX / kp)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "int8 activations: %zu x %zu is too large", rows, kp);
    uint8_t *a = malloc(rows * kp);
    float *s = malloc(rows * sizeof(float));
    if (!a || !s) {
        free(a);
        free(s);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "int8 activations: out of memory for %zu x %zu bytes", rows,
                                kp);
    }
    rnnkit__qbuf_free(b);
    b->a = a;
    b->scale = s;
    b->rows = rows;
    b->kp = kp;
    return RNNKIT_OK;
}

void rnnkit__qbuf_free(rnnkit__qbuf *b)
{
    free(b->a);
    free(b->scale);
    memset(b, 0, sizeof *b);
}

typedef struct qrows_job {
    int M, K, kp;
    const float *A;
    rnnkit__qbuf *buf;
} qrows_job;

static void quantize_block(void *ctx, int i)
{
    const qrows_job *j = ctx;
    const int m0 = i * RNNKIT__Q_ROWS, m1 = m0 + RNNKIT__Q_ROWS < j->M ? m0 + RNNKIT__Q_ROWS : j->M;
    for (int m = m0; m < m1; m++) {
        uint8_t *dst = j->buf->a + (size_t)m * (size_t)j->kp;
        int8_t *q = (int8_t *)dst;
        j->buf->scale[m] = quantize_row((size_t)j->K, j->A + (size_t)m * (size_t)j->K, q);
        /* The same bytes as unsigned: qa + 128 (two's complement, bit 7 flipped). */
        for (int k = 0; k < j->K; k++)
            dst[k] ^= 0x80u;
        memset(dst + j->K, 0x80, (size_t)(j->kp - j->K));
    }
}

void rnnkit__quantize_rows(rnnkit__pool *pool, int M, int K, int kp, const float *A, rnnkit__qbuf *buf)
{
    qrows_job j = {M, K, kp, A, buf};
    rnnkit__pool_run(pool, (M + RNNKIT__Q_ROWS - 1) / RNNKIT__Q_ROWS, quantize_block, &j);
}

/* ---------------------------------------------------------------------- */
/* Product */

typedef struct qgemm_job {
    int M, nrb, ncb; /* rows, row blocks, column blocks */
    const rnnkit__qmat *w;
    const rnnkit__qbuf *buf;
    float beta;
    float *C;
} qgemm_job;

/* The conversion both kernels make, for one row of C from column n0 on:
 * c[t] = (s_m s_n) (acc[t] - 128 rowsum[n]) (+ beta c[t]), the int32
 * difference exact. The VNNI kernel does the same operations on vectors. */
static void store_row(const qgemm_job *j, int m, int n0, int nc, const int32_t *restrict acc)
{
    const rnnkit__qmat *w = j->w;
    const float sa = j->buf->scale[m], beta = j->beta;
    const float *restrict sw = w->scale + n0;
    const int32_t *restrict rs = w->rowsum + n0;
    float *restrict c = j->C + (size_t)m * (size_t)w->N + (size_t)n0;
    if (beta == 0.0f)
        for (int t = 0; t < nc; t++)
            c[t] = (sa * sw[t]) * (float)(acc[t] - 128 * rs[t]);
    else
        for (int t = 0; t < nc; t++)
            c[t] = beta * c[t] + (sa * sw[t]) * (float)(acc[t] - 128 * rs[t]);
}

/* Portable kernel: the same sums, one row against 16 columns at a time. */
RNNKIT_CLONES static void block_c(const qgemm_job *j, int m0, int m1, int n0, int n1)
{
    const rnnkit__qmat *w = j->w;
    const size_t K4 = (size_t)w->Kp / 4;
    int32_t acc[16];
    for (int m = m0; m < m1; m++) {
        const uint8_t *restrict a = j->buf->a + (size_t)m * (size_t)w->Kp;
        for (int n = n0; n < n1; n += 16) {
            const int8_t *restrict q = w->q + (size_t)(n / 16) * K4 * 64;
            memset(acc, 0, sizeof acc);
            for (size_t k4 = 0; k4 < K4; k4++) {
                const int32_t a0 = a[4 * k4], a1 = a[4 * k4 + 1], a2 = a[4 * k4 + 2], a3 = a[4 * k4 + 3];
                const int8_t *restrict qk = q + k4 * 64;
                for (int t = 0; t < 16; t++)
                    acc[t] += a0 * qk[4 * t] + a1 * qk[4 * t + 1] + a2 * qk[4 * t + 2] + a3 * qk[4 * t + 3];
            }
            store_row(j, m, n, n1 - n < 16 ? n1 - n : 16, acc);
        }
    }
}

#if Q_HAVE_VNNI
#define Q_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* store_row on one vector of 16 sums (the first nc columns kept). */
Q_TARGET static inline void store_vec(const qgemm_job *j, int m, int n0, int nc, __m512i acc)
{
    const rnnkit__qmat *w = j->w;
    const __mmask16 k = nc >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nc) - 1u);
    const __m512 sw = _mm512_maskz_loadu_ps(k, w->scale + n0);
    const __m512i rs = _mm512_maskz_loadu_epi32(k, w->rowsum + n0);
    const __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, _mm512_slli_epi32(rs, 7)));
    __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(j->buf->scale[m]), sw), f);
    float *c = j->C + (size_t)m * (size_t)w->N + (size_t)n0;
    if (j->beta != 0.0f)
        v = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(j->beta), _mm512_maskz_loadu_ps(k, c)), v);
    _mm512_mask_storeu_ps(c, k, v);
}

/* Rows m0..m0+8 against the 32 columns from n0 (nc of them kept). */
Q_TARGET static void tile8x32(const qgemm_job *j, int m0, int n0, int nc)
{
    const rnnkit__qmat *w = j->w;
    const size_t K4 = (size_t)w->Kp / 4, lda = (size_t)w->Kp;
    const int8_t *q0 = w->q + (size_t)(n0 / 16) * K4 * 64, *q1 = q0 + K4 * 64;
    const uint8_t *a = j->buf->a + (size_t)m0 * lda;
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
            c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    for (size_t k4 = 0; k4 < K4; k4++) {
        const __m512i w0 = _mm512_load_si512((const void *)(q0 + k4 * 64));
        const __m512i w1 = _mm512_load_si512((const void *)(q1 + k4 * 64));
        const uint8_t *ak = a + 4 * k4;
#define Q_ROW(i, x0, x1)                                                                                             \
    do {                                                                                                           \
        int32_t a4;                                                                                                \
        memcpy(&a4, ak + (i) * lda, sizeof a4);                                                                    \
        const __m512i av = _mm512_set1_epi32(a4);                                                                  \
        x0 = _mm512_dpbusd_epi32(x0, av, w0);                                                                      \
        x1 = _mm512_dpbusd_epi32(x1, av, w1);                                                                      \
    } while (0)
        Q_ROW(0, c00, c01);
        Q_ROW(1, c10, c11);
        Q_ROW(2, c20, c21);
        Q_ROW(3, c30, c31);
        Q_ROW(4, c40, c41);
        Q_ROW(5, c50, c51);
        Q_ROW(6, c60, c61);
        Q_ROW(7, c70, c71);
#undef Q_ROW
    }
    const __m512i acc[8][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                               {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    for (int i = 0; i < 8; i++) {
        store_vec(j, m0 + i, n0, nc, acc[i][0]);
        store_vec(j, m0 + i, n0 + 16, nc - 16, acc[i][1]);
    }
}

/* One row against the 16 columns from n0 (nc <= 16 kept). */
Q_TARGET static void tile1x16(const qgemm_job *j, int m, int n0, int nc)
{
    const rnnkit__qmat *w = j->w;
    const size_t K4 = (size_t)w->Kp / 4;
    const int8_t *q0 = w->q + (size_t)(n0 / 16) * K4 * 64;
    const uint8_t *a = j->buf->a + (size_t)m * (size_t)w->Kp;
    __m512i c0 = _mm512_setzero_si512();
    for (size_t k4 = 0; k4 < K4; k4++) {
        int32_t a4;
        memcpy(&a4, a + 4 * k4, sizeof a4);
        c0 = _mm512_dpbusd_epi32(c0, _mm512_set1_epi32(a4), _mm512_load_si512((const void *)(q0 + k4 * 64)));
    }
    store_vec(j, m, n0, nc, c0);
}

Q_TARGET static void block_vnni(const qgemm_job *j, int m0, int m1, int n0, int n1)
{
    int n = n0;
    for (; n + 32 <= n1 || (n + 16 < n1); n += 32) { /* 17..32 columns left: a full tile, masked */
        const int nc = n1 - n < 32 ? n1 - n : 32;
        int m = m0;
        for (; m + 8 <= m1; m += 8)
            tile8x32(j, m, n, nc);
        for (; m < m1; m++) {
            tile1x16(j, m, n, 16);
            tile1x16(j, m, n + 16, nc - 16);
        }
    }
    for (; n < n1; n += 16) /* 1..16 columns left */
        for (int m = m0; m < m1; m++)
            tile1x16(j, m, n, n1 - n);
}
#endif

static void qgemm_task(qgemm_job *j, int i, int vnni)
{
    const int rb = i / j->ncb, cb = i % j->ncb;
    const int m0 = rb * RNNKIT__Q_ROWS, m1 = m0 + RNNKIT__Q_ROWS < j->M ? m0 + RNNKIT__Q_ROWS : j->M;
    const int N = j->w->N;
    const int n0 = cb * RNNKIT__Q_COLS, n1 = n0 + RNNKIT__Q_COLS < N ? n0 + RNNKIT__Q_COLS : N;
#if Q_HAVE_VNNI
    if (vnni) {
        block_vnni(j, m0, m1, n0, n1);
        return;
    }
#endif
    block_c(j, m0, m1, n0, n1);
}

static void qgemm_task_c(void *ctx, int i) { qgemm_task(ctx, i, 0); }
static void qgemm_task_vnni(void *ctx, int i) { qgemm_task(ctx, i, 1); }

void rnnkit__qgemm(rnnkit__pool *pool, int M, const float *A, const rnnkit__qmat *w, float beta, float *C,
                   rnnkit__qbuf *buf, int vnni)
{
    if (M < 1)
        return;
    rnnkit__quantize_rows(pool, M, w->K, w->Kp, A, buf);
    qgemm_job j = {M, (M + RNNKIT__Q_ROWS - 1) / RNNKIT__Q_ROWS, (w->N + RNNKIT__Q_COLS - 1) / RNNKIT__Q_COLS,
                   w, buf, beta, C};
    rnnkit__pool_run(pool, j.nrb * j.ncb, vnni && Q_HAVE_VNNI ? qgemm_task_vnni : qgemm_task_c, &j);
}
