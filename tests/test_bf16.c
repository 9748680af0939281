/*
 * tests/test_bf16.c: bf16 conversion and the bf16 product (core/bf16.c),
 * and the pool's bf16 mode (core/pool.c).
 *
 * - Conversion: edge values (ties both ways, overflow to infinity, NaNs,
 *   subnormals, signed zeros) against hand-worked bits; the array
 *   conversion against the scalar one. Always run.
 * - The product against a double-precision reference computed from the
 *   bf16-rounded inputs, within a bound derived from K and the magnitudes
 *   (fp32 accumulation: at most K + 1 additions, each rounding once, so the
 *   error is below (K + 2) * 2^-24 * (sum |a b| + |beta c|)), for every
 *   transA/transB, shapes crossing every tile and cache block edge, odd
 *   K, beta 0 / 1 / 0.5, leading dimensions longer than the rows; padding
 *   of C outside the product is checked untouched.
 * - rnnkit__pool_sgemm in bf16 mode on pools of 1, 2 and 3 threads gives
 *   the bits of one unsplit rnnkit__bf16_gemm call, for shapes the pool
 *   cuts into row blocks and into column blocks (memcmp); so does
 *   rnnkit__pool_sgemm_pb from op(B) packed once (rnnkit__pool_bf16_pack_b).
 * - rnnkit__bf16_gemm_pb from op(B) packed in two panel ranges, computed
 *   whole or in two panel ranges, gives rnnkit__bf16_gemm's bits and
 *   leaves C's padding alone, on the product test's kinds of shapes.
 * - The fallback: a pool told its CPU lacks AVX512-BF16 refuses bf16 mode
 *   and gives cblas_sgemm's bits. Always run (this is the path under
 *   Valgrind, which reports no AVX-512).
 * The product tests skip on a CPU without AVX512-BF16.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bf16.h"
#include "core/pool.h"
#include "rnnkit/nn.h"

static float from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static int have_bf16(void)
{
    rnnkit__bf16_cpu cpu;
    rnnkit__bf16_detect(&cpu);
    return cpu.avx512bf16;
}

/* ---------------------------------------------------------------------- */
/* Conversion */

static void test_convert_edges(void **state)
{
    (void)state;
    static const uint32_t cases[][2] = {
        {0x00000000u, 0x0000u}, /* +0 */
        {0x80000000u, 0x8000u}, /* -0 */
        {0x3f800000u, 0x3f80u}, /* 1 */
        {0xbf800000u, 0xbf80u}, /* -1 */
        {0x3f808000u, 0x3f80u}, /* tie, even below: down */
        {0x3f818000u, 0x3f82u}, /* tie, odd below: up */
        {0x3f808001u, 0x3f81u}, /* above the tie: up */
        {0x3f807fffu, 0x3f80u}, /* below the tie: down */
        {0xbf818000u, 0xbf82u}, /* negative tie, odd: away from zero */
        {0x7f7fffffu, 0x7f80u}, /* FLT_MAX rounds to +inf */
        {0xff7fffffu, 0xff80u}, /* -FLT_MAX to -inf */
        {0x7f7f7fffu, 0x7f7fu}, /* just below the tie at the largest bf16 */
        {0x7f800000u, 0x7f80u}, /* +inf */
        {0xff800000u, 0xff80u}, /* -inf */
        {0x7fc00000u, 0x7fc0u}, /* quiet NaN */
        {0x7f800001u, 0x7fc0u}, /* signalling NaN, payload only in low bits: stays NaN */
        {0xff800001u, 0xffc0u}, /* negative one, sign kept */
        {0x7fffffffu, 0x7fffu}, /* NaN with every bit: no carry into the sign */
        {0x00000001u, 0x0000u}, /* smallest subnormal rounds to +0 */
        {0x00008000u, 0x0000u}, /* subnormal tie, even: down */
        {0x00018000u, 0x0002u}, /* subnormal tie, odd: up */
        {0x007fffffu, 0x0080u}, /* largest subnormal rounds to the smallest normal */
        {0x00800000u, 0x0080u}, /* smallest normal */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t got = rnnkit__bf16_from_f32(from_bits(cases[i][0]));
        if (got != cases[i][1])
            fail_msg("bf16(0x%08x) = 0x%04x, want 0x%04x", (unsigned)cases[i][0], (unsigned)got,
                     (unsigned)cases[i][1]);
    }
    assert_true(isnan(rnnkit__bf16_to_f32(rnnkit__bf16_from_f32(NAN))));
    assert_true(rnnkit__bf16_to_f32(0x3f80u) == 1.0f);
    assert_true(rnnkit__bf16_to_f32(0xc040u) == -3.0f);
    /* Every bf16 value converts back to itself. */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        float x = rnnkit__bf16_to_f32((uint16_t)h);
        if (!isnan(x))
            assert_int_equal(rnnkit__bf16_from_f32(x), h);
    }
}

/* The array conversion gives the scalar one's bits, at any length. */
static void test_convert_array(void **state)
{
    (void)state;
    enum { n = 1000 };
    static float src[n];
    static uint16_t dst[n + 1];
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 17);
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)(rnnkit_rng_uniform(&rng) * 4294967295.0);
        src[i] = from_bits(i % 7 == 0 ? (u & 0xffff8000u) | 0x8000u : u); /* ties too */
    }
    src[3] = NAN, src[5] = INFINITY, src[8] = -FLT_MAX;
    for (size_t len = 0; len <= 67; len++) {
        dst[len] = 0xabcd;
        rnnkit__bf16_convert(len, src, dst);
        for (size_t i = 0; i < len; i++)
            assert_int_equal(dst[i], rnnkit__bf16_from_f32(src[i]));
        assert_int_equal(dst[len], 0xabcd);
    }
    rnnkit__bf16_convert(n, src, dst);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dst[i], rnnkit__bf16_from_f32(src[i]));
}

/* ---------------------------------------------------------------------- */
/* The product against a reference */

static float *rand_floats(rnnkit_rng *rng, size_t n)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = 2.0f * rnnkit_rng_uniform(rng) - 1.0f;
    return x;
}

static double bf(float x) { return (double)rnnkit__bf16_to_f32(rnnkit__bf16_from_f32(x)); }

/* One shape with leading dimensions pad longer than the rows; returns the
 * number of elements out of bounds (reported). */
static int check_gemm(rnnkit__bf16_ws *ws, int transA, int transB, int M, int N, int K, float beta, int pad)
{
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, (uint64_t)M * 1000003u + (uint64_t)N * 1009u + (uint64_t)K * 7u + (uint64_t)pad);
    const int lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
    const size_t na = (size_t)(transA ? K : M) * (size_t)lda, nb = (size_t)(transB ? N : K) * (size_t)ldb;
    const size_t nc = (size_t)M * (size_t)ldc;
    float *A = rand_floats(&rng, na), *B = rand_floats(&rng, nb), *C0 = rand_floats(&rng, nc);
    float *C = malloc(nc * sizeof *C);
    assert_non_null(C);
    if (beta == 0.0f)
        for (size_t i = 0; i < nc; i += 3)
            C0[i] = NAN; /* beta 0: C is not read */
    memcpy(C, C0, nc * sizeof *C);
    rnnkit__bf16_gemm(ws, transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc);
    int bad = 0;
    for (int m = 0; m < M; m++) {
        for (int n = 0; n < ldc; n++) {
            size_t e = (size_t)m * (size_t)ldc + (size_t)n;
            if (n >= N) { /* padding: untouched */
                if (memcmp(&C[e], &C0[e], sizeof *C) != 0 && bad++ < 5)
                    print_error("C padding (%d, %d) written\n", m, n);
                continue;
            }
            double s = 0.0, mag = 0.0;
            if (beta != 0.0f)
                s = (double)beta * C0[e], mag = fabs(s);
            for (int k = 0; k < K; k++) {
                double a = bf(transA ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k]);
                double b = bf(transB ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]);
                s += a * b, mag += fabs(a * b);
            }
            double tol = ((double)K + 2.0) * ldexp(1.0, -24) * mag + 1e-30;
            if (!(fabs((double)C[e] - s) <= tol) && bad++ < 5)
                print_error("%c%c M=%d N=%d K=%d beta=%g: C(%d, %d) = %.9g, reference %.9g (tolerance %.3g)\n",
                            transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, (double)beta, m, n, (double)C[e], s,
                            tol);
        }
    }
    free(A);
    free(B);
    free(C0);
    free(C);
    return bad;
}

static void test_gemm_reference(void **state)
{
    (void)state;
    if (!have_bf16())
        skip();
    rnnkit__bf16_ws *ws = rnnkit__bf16_ws_create();
    assert_non_null(ws);
    /* Tiles are 8 x 32, K blocks 256, column blocks 1024, row blocks 128. */
    static const int shapes[][3] = {
        {1, 1, 1},   {1, 1, 2},    {2, 3, 3},    {8, 32, 2},    {9, 33, 5},   {7, 31, 256}, {16, 64, 257},
        {13, 1, 300}, {1, 100, 513}, {40, 70, 1}, {130, 97, 600}, {3, 1030, 17}, {24, 64, 255},
    };
    static const float betas[] = {0.0f, 1.0f, 0.5f};
    int bad = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int t = 0; t < 4; t++)
            for (int b = 0; b < 3; b++)
                bad += check_gemm(ws, t >> 1, t & 1, shapes[i][0], shapes[i][1], shapes[i][2], betas[b],
                                  (int)(i + (size_t)t) % 3 * 5);
    rnnkit__bf16_ws_free(ws);
    assert_int_equal(bad, 0);
}

/* op(B) packed once: rnnkit__bf16_gemm_pb over all panels, and over two
 * panel ranges, gives rnnkit__bf16_gemm's bits and leaves C's padding
 * columns alone; returns the number of mismatches. */
static int check_packed(rnnkit__bf16_ws *ws, int transA, int transB, int M, int N, int K, float beta, int pad)
{
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, (uint64_t)M * 7919u + (uint64_t)N * 104729u + (uint64_t)K * 13u + (uint64_t)pad);
    const int lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
    const size_t na = (size_t)(transA ? K : M) * (size_t)lda, nb = (size_t)(transB ? N : K) * (size_t)ldb;
    const size_t nc = (size_t)M * (size_t)ldc;
    float *A = rand_floats(&rng, na), *B = rand_floats(&rng, nb), *C0 = rand_floats(&rng, nc);
    float *ref = malloc(nc * sizeof *ref), *got = malloc(nc * sizeof *got);
    uint32_t *Bp = aligned_alloc(64, rnnkit__bf16_pb_words(N, K) * sizeof *Bp);
    assert_true(ref && got && Bp);
    memcpy(ref, C0, nc * sizeof *ref);
    rnnkit__bf16_gemm(ws, transA, transB, M, N, K, A, lda, B, ldb, beta, ref, ldc);
    const int np = rnnkit__bf16_pb_panels(N), mid = np / 2;
    rnnkit__bf16_pack_b(transB, N, K, B, ldb, mid, np, Bp); /* in two ranges, the second first */
    rnnkit__bf16_pack_b(transB, N, K, B, ldb, 0, mid, Bp);
    int bad = 0;
    for (int split = 0; split < 2; split++) {
        memcpy(got, C0, nc * sizeof *got);
        if (split) {
            rnnkit__bf16_gemm_pb(ws, transA, M, N, K, A, lda, Bp, mid, np + 3, beta, got, ldc);
            rnnkit__bf16_gemm_pb(ws, transA, M, N, K, A, lda, Bp, 0, mid, beta, got, ldc);
        } else {
            rnnkit__bf16_gemm_pb(ws, transA, M, N, K, A, lda, Bp, 0, np, beta, got, ldc);
        }
        if (memcmp(got, ref, nc * sizeof *got) != 0)
            bad++, print_error("packed %c%c M=%d N=%d K=%d beta=%g split %d: not rnnkit__bf16_gemm's bits\n",
                               transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, (double)beta, split);
    }
    free(A);
    free(B);
    free(C0);
    free(ref);
    free(got);
    free(Bp);
    return bad;
}

static void test_gemm_packed(void **state)
{
    (void)state;
    if (!have_bf16())
        skip();
    rnnkit__bf16_ws *ws = rnnkit__bf16_ws_create();
    assert_non_null(ws);
    static const int shapes[][3] = {
        {1, 1, 1},    {2, 3, 3},    {8, 32, 2},   {9, 33, 5},    {7, 31, 256},  {16, 64, 257},
        {13, 1, 300}, {64, 2048, 512}, {64, 512, 2048}, {130, 97, 600}, {3, 1030, 17}, {24, 64, 255},
    };
    static const float betas[] = {0.0f, 1.0f, 0.5f};
    int bad = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int t = 0; t < 4; t++)
            bad += check_packed(ws, t >> 1, t & 1, shapes[i][0], shapes[i][1], shapes[i][2], betas[(i + (size_t)t) % 3],
                                (int)(i + (size_t)t) % 3 * 5);
    rnnkit__bf16_ws_free(ws);
    assert_int_equal(bad, 0);
}

/* Rounding inside the products, exactly: A selects one row of op(B) per
 * row of C (one-hot, 1.0), so C holds bf16(op(B)) itself, which must be
 * rnnkit__bf16_from_f32's value for every element, ties to even and
 * values next to bf16's largest included (subnormals read as 0: the
 * instruction's DAZ); both orientations of
 * both operands, 40 columns and 41 rows (the 16-word vector paths and
 * their tails), K odd. */
static void test_gemm_rounds_like_convert(void **state)
{
    (void)state;
    if (!have_bf16())
        skip();
    rnnkit__bf16_ws *ws = rnnkit__bf16_ws_create();
    assert_non_null(ws);
    enum { M = 41, N = 40, K = 9 };
    float B[K * N], A[M * K], At[K * M], C[M * N];
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 77);
    for (int i = 0; i < K * N; i++) {
        uint32_t u = (uint32_t)rnnkit_rng_next(&rng);
        const uint32_t e = (uint32_t)(i % 3 == 0 ? 0x01 + i % 5 : 0x70 + i % 32); /* finite exponents */
        u = (u & 0x807fffffu) | e << 23;
        if (i % 4 == 1)
            u = (u & 0xffff0000u) | 0x8000u; /* a tie */
        if (i % 11 == 2)
            u = i % 2 ? 0x7f7f7fffu : 0x7f7e8000u; /* bf16's largest; a tie kept even (never inf: 0 x inf) */
        if (i % 13 == 5)
            u = (u & 0x8000ffffu); /* subnormal */
        memcpy(&B[i], &u, sizeof u);
    }
    float Bt[N * K];
    for (int k = 0; k < K; k++)
        for (int n = 0; n < N; n++)
            Bt[n * K + k] = B[k * N + n];
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++)
            A[m * K + k] = At[k * M + m] = k == (m * 4) % K ? 1.0f : 0.0f;
    for (int t = 0; t < 4; t++) {
        const int ta = t >> 1, tb = t & 1;
        rnnkit__bf16_gemm(ws, ta, tb, M, N, K, ta ? At : A, ta ? M : K, tb ? Bt : B, tb ? K : N, 0.0f, C, N);
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                float want = rnnkit__bf16_to_f32(rnnkit__bf16_from_f32(B[((m * 4) % K) * N + n]));
                if (fabsf(want) < FLT_MIN) /* VDPBF16PS reads subnormals as 0 (DAZ) */
                    want = 0.0f;
                if (!(C[m * N + n] == want && (want != 0.0f || memcmp(&C[m * N + n], &want, sizeof want) == 0)))
                    fail_msg("%c%c C(%d, %d) = %a, bf16 of B is %a", ta ? 'T' : 'N', tb ? 'T' : 'N', m, n,
                             (double)C[m * N + n], (double)want);
            }
    }
    rnnkit__bf16_ws_free(ws);
}

/* K < 1: C = beta C; M or N < 1: nothing. */
static void test_gemm_empty(void **state)
{
    (void)state;
    if (!have_bf16())
        skip();
    rnnkit__bf16_ws *ws = rnnkit__bf16_ws_create();
    assert_non_null(ws);
    float A[1] = {1.0f}, B[1] = {1.0f}, C[4] = {1.0f, 2.0f, NAN, 4.0f};
    rnnkit__bf16_gemm(ws, 0, 0, 2, 2, 0, A, 1, B, 2, 0.5f, C, 2);
    assert_true(C[0] == 0.5f && C[1] == 1.0f && isnan(C[2]) && C[3] == 2.0f);
    rnnkit__bf16_gemm(ws, 0, 0, 2, 2, 0, A, 1, B, 2, 0.0f, C, 2);
    assert_true(C[0] == 0.0f && C[1] == 0.0f && C[2] == 0.0f && C[3] == 0.0f);
    C[0] = 7.0f;
    rnnkit__bf16_gemm(ws, 0, 0, 0, 2, 1, A, 1, B, 2, 0.0f, C, 2);
    rnnkit__bf16_gemm(ws, 0, 0, 2, 0, 1, A, 1, B, 2, 0.0f, C, 2);
    assert_true(C[0] == 7.0f);
    rnnkit__bf16_ws_free(ws);
}

/* ---------------------------------------------------------------------- */
/* The pool's bf16 mode */

/* One shape on pools of 1, 2 and 3 threads in bf16 mode against one
 * unsplit call; returns the number of mismatches. */
static int check_pool(int transA, int transB, int M, int N, int K, float beta)
{
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, (uint64_t)M * 31u + (uint64_t)N * 7u + (uint64_t)K);
    const int lda = transA ? M : K, ldb = transB ? K : N;
    const size_t nc = (size_t)M * (size_t)N;
    float *A = rand_floats(&rng, (size_t)M * K), *B = rand_floats(&rng, (size_t)N * K);
    float *C0 = rand_floats(&rng, nc), *ref = malloc(nc * sizeof *ref), *got = malloc(nc * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    rnnkit__bf16_ws *ws = rnnkit__bf16_ws_create();
    assert_non_null(ws);
    memcpy(ref, C0, nc * sizeof *ref);
    rnnkit__bf16_gemm(ws, transA, transB, M, N, K, A, lda, B, ldb, beta, ref, N);
    rnnkit__bf16_ws_free(ws);
    int bad = 0;
    for (int threads = 1; threads <= 3; threads++) {
        rnnkit__pool *p = NULL;
        rnnkit_error err;
        rnnkit_error_clear(&err);
        assert_int_equal(rnnkit__pool_create(threads, &p, &err), RNNKIT_OK);
        assert_int_equal(rnnkit__pool_set_bf16(p, 1), 1);
        assert_int_equal(rnnkit__pool_bf16(p), 1);
        for (int rep = 0; rep < 2; rep++) { /* workspaces reused */
            memcpy(got, C0, nc * sizeof *got);
            rnnkit__pool_sgemm(p, transA, transB, M, N, K, A, lda, B, ldb, beta, got, N);
            if (memcmp(got, ref, nc * sizeof *got) != 0)
                bad++, print_error("bf16 %c%c M=%d N=%d K=%d beta=%g, %d threads: not bit-identical\n",
                                   transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, (double)beta, threads);
        }
        /* op(B) packed once, then two products from the packing. */
        uint32_t *Bp = aligned_alloc(64, rnnkit__bf16_pb_words(N, K) * sizeof *Bp);
        assert_non_null(Bp);
        assert_int_equal(rnnkit__pool_bf16_pack_b(p, transB, N, K, B, ldb, Bp), 1);
        for (int rep = 0; rep < 2; rep++) {
            memcpy(got, C0, nc * sizeof *got);
            rnnkit__pool_sgemm_pb(p, transA, M, N, K, A, lda, Bp, beta, got, N);
            if (memcmp(got, ref, nc * sizeof *got) != 0)
                bad++, print_error("bf16 packed %c%c M=%d N=%d K=%d beta=%g, %d threads: not bit-identical\n",
                                   transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, (double)beta, threads);
        }
        free(Bp);
        rnnkit__pool_free(p);
    }
    free(A);
    free(B);
    free(C0);
    free(ref);
    free(got);
    return bad;
}

static void test_pool_same_bits(void **state)
{
    (void)state;
    if (!have_bf16())
        skip();
    /* {M, N, K, cut}: cut 'c' column blocks, 'r' row blocks (core/pool.h). */
    static const struct { int M, N, K; char cut; } shapes[] = {
        {64, 2048, 1024, 'c'}, {36, 1500, 2048, 'c'}, {100, 300, 97, 'r'},
        {1000, 1000, 13, 'r'}, {77, 2048, 512, 'r'}, {640, 512, 640, 'r'},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int M = shapes[i].M, N = shapes[i].N, K = shapes[i].K;
        if (shapes[i].cut == 'c')
            assert_true(rnnkit__pool_col_blocks(M, N, K) > 1);
        else
            assert_true(rnnkit__pool_col_blocks(M, N, K) == 1 && rnnkit__pool_row_blocks(M, N, K) > 1);
        for (int t = 0; t < 4; t++)
            bad += check_pool(t >> 1, t & 1, M, N, K, i % 2 ? 1.0f : 0.0f);
    }
    assert_int_equal(bad, 0);
}

/* Without AVX512-BF16 the pool stays fp32: cblas_sgemm's bits. */
static void test_fallback(void **state)
{
    (void)state;
    assert_int_equal(rnnkit__pool_set_bf16(NULL, 1), 0);
    assert_int_equal(rnnkit__pool_bf16(NULL), 0);
    const rnnkit__bf16_cpu none = {0};
    rnnkit__pool *p = NULL;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    assert_int_equal(rnnkit__pool_create(2, &p, &err), RNNKIT_OK);
    assert_int_equal(rnnkit__pool_bf16(p), 0);
    assert_int_equal(rnnkit__pool_set_bf16_cpu(p, 1, &none), 0);
    assert_int_equal(rnnkit__pool_bf16(p), 0);
    const int M = 100, N = 300, K = 97;
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, 5);
    float *A = rand_floats(&rng, (size_t)M * K), *B = rand_floats(&rng, (size_t)N * K);
    float *ref = rand_floats(&rng, (size_t)M * N), *got = malloc((size_t)M * N * sizeof *got);
    assert_non_null(got);
    memcpy(got, ref, (size_t)M * N * sizeof *got);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, B, K, 1.0f, ref, N);
    rnnkit__pool_sgemm(p, 0, 1, M, N, K, A, K, B, K, 1.0f, got, N);
    assert_memory_equal(got, ref, (size_t)M * N * sizeof *got);
    /* Switched on where it can be, then off: fp32 again. */
    if (rnnkit__pool_set_bf16(p, 1))
        assert_int_equal(rnnkit__pool_set_bf16(p, 0), 0);
    assert_int_equal(rnnkit__pool_bf16(p), 0);
    rnnkit__pool_free(p);
    free(A);
    free(B);
    free(ref);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_edges),  cmocka_unit_test(test_convert_array),
        cmocka_unit_test(test_gemm_reference), cmocka_unit_test(test_gemm_empty),
        cmocka_unit_test(test_gemm_packed),    cmocka_unit_test(test_gemm_rounds_like_convert),
        cmocka_unit_test(test_pool_same_bits), cmocka_unit_test(test_fallback),
    };
    openblas_set_num_threads(1);
    printf("test_bf16: AVX512-BF16 %s\n", have_bf16() ? "present" : "absent: product tests skipped");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
