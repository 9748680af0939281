/*
 * core/bf16.c: bfloat16 conversion, the CPU check, and the bf16 x bf16 ->
 * fp32 matrix product of core/bf16.h (read its opening comment for the
 * invariants: one fixed fp32 sequence per output element).
 *
 * The product (AVX512-BF16, VDPBF16PS; only this file's kernel and
 * packing functions are compiled for it, through target attributes, so
 * the rest of the library stays portable):
 *   - K is taken in pairs (k = 2p, 2p + 1): a pair of bf16 values is one
 *     32-bit word, the low half the even k. An odd K ends with a pair whose
 *     high half is 0 in both operands, adding +0 (exact).
 *   - op(B) is packed per K block into panels of BF_NR = 32 columns: for
 *     each pair p, 32 words (one per column), two zmm loads. op(A) is
 *     packed into tiles of BF_MR = 8 rows: for each pair p, 8 words, each
 *     broadcast to a zmm. Padding rows and columns are zero and never
 *     stored.
 *   - The register tile is 8 rows x 32 columns: 16 zmm accumulators, per
 *     pair 2 loads, 8 broadcasts, 16 VDPBF16PS.
 *   - Cache blocks: BF_KCP pairs of K (512 values: a B panel of 32 KiB
 *     stays in L1, and K up to 512, a hidden size of 512, is one block,
 *     so C is read and written once), BF_NC columns of op(B) packed at
 *     once (768 KiB, in L2), BF_MC rows of op(A) (96 KiB). Between K
 *     blocks the partial sums live in C itself (an fp32 store and load are
 *     exact), so the sequence of operations an element sees does not
 *     depend on the blocking either. (Against 128 pairs, 1,024 columns and
 *     128 rows: 6400 x 2048 x 512 products 15-17 % faster on one thread,
 *     2 x 512 generator training 2-5 %; bench/bench_bf16.c.)
 *
 * The workspace is two 64-byte aligned allocations of fixed size: the
 * packed op(B) block (BF_B_WORDS words, 768 KiB) and the packed op(A)
 * block (BF_A_WORDS words, 96 KiB). Packing converts with the integer
 * rounding of bf_bits (scalar or 16 lanes at a time: the same bits), so
 * where an element is packed from never changes its value.
 */
#include "core/bf16.h"

#include <stdlib.h>
#include <string.h>

#include "core/clones.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define BF_HAVE_X86 1
#define BF_TARGET __attribute__((target("avx512f,avx512bf16")))
#else
#define BF_HAVE_X86 0
#endif

#define BF_MR 8       /* rows of a register tile */
#define BF_NR 32      /* columns of a register tile (two zmm) */
#define BF_KCP 256    /* pairs of K per cache block */
#define BF_NC 768     /* columns of op(B) packed at once (a multiple of BF_NR) */
#define BF_MC 96      /* rows of op(A) packed at once (a multiple of BF_MR) */
#define BF_B_WORDS ((size_t)BF_NC * BF_KCP)
#define BF_A_WORDS ((size_t)BF_MC * BF_KCP)

struct rnnkit__bf16_ws {
    uint32_t *b; /* [BF_NC / BF_NR][BF_KCP][BF_NR] pair words */
    uint32_t *a; /* [BF_MC / BF_MR][BF_KCP][BF_MR] pair words */
};

/* ---------------------------------------------------------------------- */
/* Conversion */

/* The bf16 of the float with bits u, in the low 16 bits: round to nearest
 * even by adding 0x7fff plus the lowest kept bit (a carry into the
 * exponent is the correct rounding up, to infinity past the largest
 * bf16); a NaN keeps its sign and top mantissa bits and is made quiet. */
static inline uint32_t bf_bits(uint32_t u)
{
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

static inline uint32_t f32_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

uint16_t rnnkit__bf16_from_f32(float x) { return (uint16_t)bf_bits(f32_bits(x)); }

float rnnkit__bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

RNNKIT_CLONES static void convert_array(size_t n, const float *restrict src, uint16_t *restrict dst)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint16_t)bf_bits(f32_bits(src[i]));
}

void rnnkit__bf16_convert(size_t n, const float *src, uint16_t *dst) { convert_array(n, src, dst); }

/* ---------------------------------------------------------------------- */
/* CPU check */

void rnnkit__bf16_detect(rnnkit__bf16_cpu *cpu)
{
    cpu->avx512bf16 = 0;
#if BF_HAVE_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) /* OSXSAVE */
        return;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo & 0xe6u) != 0xe6u) /* SSE, AVX, opmask, zmm0-15 high, zmm16-31 */
        return;
    if (__get_cpuid_max(0, NULL) < 7)
        return;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & (1u << 16))) /* AVX512F */
        return;
    __cpuid_count(7, 1, a, b, c, d);
    cpu->avx512bf16 = (a >> 5) & 1u; /* AVX512_BF16 */
#endif
}

/* ---------------------------------------------------------------------- */
/* Workspace */

rnnkit__bf16_ws *rnnkit__bf16_ws_create(void)
{
    rnnkit__bf16_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->b = aligned_alloc(64, BF_B_WORDS * sizeof(uint32_t));
    ws->a = aligned_alloc(64, BF_A_WORDS * sizeof(uint32_t));
    if (!ws->b || !ws->a) {
        rnnkit__bf16_ws_free(ws);
        return NULL;
    }
    return ws;
}

void rnnkit__bf16_ws_free(rnnkit__bf16_ws *ws)
{
    if (!ws)
        return;
    free(ws->b);
    free(ws->a);
    free(ws);
}

#if BF_HAVE_X86
/* ---------------------------------------------------------------------- */
/* Packing */

/* One operand as the product sees it: element (k, c) of a K x (rows or
 * columns) matrix, k the reduction index. kmajor: src[k * ld + c], else
 * src[c * ld + k]. */
typedef struct bf_src {
    const float *p;
    size_t ld;
    int kmajor;
    int K;
} bf_src;

/* bf_bits on 16 lanes: the same integer steps, so the same bits. */
BF_TARGET static inline __m512i bf_bits16(__m512i u)
{
    const __m512i hi = _mm512_srli_epi32(u, 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                                  _mm512_set1_epi32(0x7f800000));
    const __m512i bias = _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(hi, _mm512_set1_epi32(1)));
    const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, bias), 16);
    return _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(hi, _mm512_set1_epi32(0x40)));
}

/* The 16 pair words of 32 consecutive floats x[0..31]: word i holds
 * bf16(x[2i]) low, bf16(x[2i + 1]) high. */
BF_TARGET static inline __m512i pair_words(const float *x)
{
    const __m256i lo = _mm512_cvtepi32_epi16(bf_bits16(_mm512_castps_si512(_mm512_loadu_ps(x))));
    const __m256i hi = _mm512_cvtepi32_epi16(bf_bits16(_mm512_castps_si512(_mm512_loadu_ps(x + 16))));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* The 16 pair words of k-major rows r0 (even k) and r1 (odd k) at 16
 * consecutive columns; odd 0: the pair's high half is past K (0). */
BF_TARGET static inline __m512i kmajor_words16(const float *r0, const float *r1, int odd)
{
    __m512i w = bf_bits16(_mm512_castps_si512(_mm512_loadu_ps(r0)));
    if (odd)
        w = _mm512_or_si512(w, _mm512_slli_epi32(bf_bits16(_mm512_castps_si512(_mm512_loadu_ps(r1))), 16));
    return w;
}

/* The first two stages of a transpose of rows of 16 32-bit words, per
 * group of 4 rows: u[4q + e] holds, in 128-bit lane l, element 4l + e of
 * rows 4q..4q+3. rows: a multiple of 4. */
BF_TARGET static inline __attribute__((always_inline)) void lanes4x4(const __m512i *r, int rows, __m512i *u)
{
    for (int q = 0; q < rows / 4; q++) {
        const __m512i *g = r + 4 * q;
        const __m512i t0 = _mm512_unpacklo_epi32(g[0], g[1]), t1 = _mm512_unpackhi_epi32(g[0], g[1]);
        const __m512i t2 = _mm512_unpacklo_epi32(g[2], g[3]), t3 = _mm512_unpackhi_epi32(g[2], g[3]);
        u[4 * q + 0] = _mm512_unpacklo_epi64(t0, t2);
        u[4 * q + 1] = _mm512_unpackhi_epi64(t0, t2);
        u[4 * q + 2] = _mm512_unpacklo_epi64(t1, t3);
        u[4 * q + 3] = _mm512_unpackhi_epi64(t1, t3);
    }
}

/* Transposes 16 x 16 32-bit words in place: r[i] lane j <- r[j] lane i. */
BF_TARGET static inline __attribute__((always_inline)) void transpose16(__m512i r[16])
{
    __m512i u[16];
    lanes4x4(r, 16, u);
    /* Element 4l + e of every row: lane l of u[e], u[4 + e], u[8 + e], u[12 + e]. */
    for (int e = 0; e < 4; e++) {
        const __m512i v0 = _mm512_shuffle_i32x4(u[e], u[4 + e], 0x88);
        const __m512i v1 = _mm512_shuffle_i32x4(u[8 + e], u[12 + e], 0x88);
        const __m512i w0 = _mm512_shuffle_i32x4(u[e], u[4 + e], 0xdd);
        const __m512i w1 = _mm512_shuffle_i32x4(u[8 + e], u[12 + e], 0xdd);
        r[e] = _mm512_shuffle_i32x4(v0, v1, 0x88);
        r[8 + e] = _mm512_shuffle_i32x4(v0, v1, 0xdd);
        r[4 + e] = _mm512_shuffle_i32x4(w0, w1, 0x88);
        r[12 + e] = _mm512_shuffle_i32x4(w0, w1, 0xdd);
    }
}

/* 8 rows of 16 32-bit words to 16 rows of 8: row p of o (W words apart)
 * gets word p of r[0..7]. */
BF_TARGET static inline __attribute__((always_inline)) void transpose8x16(const __m512i r[8], int W,
                                                                         uint32_t *restrict o)
{
    __m512i u[8];
    lanes4x4(r, 8, u);
    /* Word 4l + e of all 8 rows: lane l of u[e], then lane l of u[4 + e]. */
    for (int e = 0; e < 4; e++) {
        const __m512i lo = _mm512_shuffle_i32x4(u[e], u[4 + e], 0x44); /* a0 a1 b0 b1 */
        const __m512i hi = _mm512_shuffle_i32x4(u[e], u[4 + e], 0xee); /* a2 a3 b2 b3 */
        const __m512i w01 = _mm512_shuffle_i32x4(lo, lo, 0xd8), w23 = _mm512_shuffle_i32x4(hi, hi, 0xd8);
        for (int l = 0; l < 4; l++) {
            const __m512i w = l < 2 ? w01 : w23;
            const __m256i row = l % 2 ? _mm512_extracti64x4_epi64(w, 1) : _mm512_castsi512_si256(w);
            _mm256_storeu_si256((void *)(o + (size_t)(4 * l + e) * (size_t)W), row);
        }
    }
}

/* The transposed case (element (k, c) at src[c * ld + k]) for nr (8 or
 * 16) columns c0.. and 16 pairs k0 / 2.., all inside the matrix:
 * o[p * W + j] for p < 16, j < nr. */
BF_TARGET static void pack_t16(const bf_src *s, size_t k0, int c0, int nr, int W, uint32_t *restrict o)
{
    if (nr == 8) { /* a tile of op(A): half the shuffles of the 16 x 16 transpose */
        __m512i r[8];
        for (int j = 0; j < 8; j++)
            r[j] = pair_words(s->p + (size_t)(c0 + j) * s->ld + k0);
        transpose8x16(r, W, o);
        return;
    }
    __m512i r[16];
    for (int j = 0; j < 16; j++)
        r[j] = j < nr ? pair_words(s->p + (size_t)(c0 + j) * s->ld + k0) : _mm512_setzero_si512();
    transpose16(r);
    for (int p = 0; p < 16; p++) {
        if (nr == 16)
            _mm512_storeu_si512((void *)(o + (size_t)p * (size_t)W), r[p]);
        else
            _mm256_storeu_si256((void *)(o + (size_t)p * (size_t)W), _mm512_castsi512_si256(r[p]));
    }
}

/* out[p][j] (W words per pair) = the pair word of (k = 2 (p0 + p), c0 + j)
 * for p < kpn, j < nc; words of columns nc..W-1 are 0, and so is the high
 * half of a pair past K. Full 16 x 16 blocks of the transposed case
 * (16 x 8 for tiles of op(A)) go through pack_t16, the rest word by
 * word: the same bits either way. */
BF_TARGET static void pack(const bf_src *s, int p0, int kpn, int c0, int nc, int W, uint32_t *restrict out)
{
    if (nc < W)
        memset(out, 0, (size_t)kpn * (size_t)W * sizeof *out);
    int pdone = 0; /* transposed case: pairs [0, pdone) done for columns [0, jdone) */
    int jdone = 0;
    if (!s->kmajor && W % 8 == 0) {
        const int nr = W % 16 == 0 ? 16 : 8;
        int pfull = (s->K / 2 - p0) < kpn ? s->K / 2 - p0 : kpn; /* pairs with both halves in K */
        pdone = pfull / 16 * 16;
        jdone = nc / nr * nr;
        for (int j = 0; j < jdone; j += nr)
            for (int p = 0; p < pdone; p += 16)
                pack_t16(s, 2 * (size_t)(p0 + p), c0 + j, nr, W, out + (size_t)p * (size_t)W + (size_t)j);
    }
    for (int p = 0; p < kpn; p++) {
        size_t k = 2 * (size_t)(p0 + p);
        int odd = (int)k + 1 < s->K;
        uint32_t *o = out + (size_t)p * (size_t)W;
        if (s->kmajor) {
            const float *r0 = s->p + k * s->ld + (size_t)c0, *r1 = r0 + s->ld;
            int j = 0;
            for (; j + 16 <= nc; j += 16) /* 16 words at a time, the same integer steps */
                _mm512_storeu_si512((void *)(o + j), kmajor_words16(r0 + j, r1 + j, odd));
            for (; j < nc; j++)
                o[j] = bf_bits(f32_bits(r0[j])) | (odd ? bf_bits(f32_bits(r1[j])) << 16 : 0u);
        } else {
            int j = p < pdone ? jdone : 0;
            const float *col = s->p + (size_t)(c0 + j) * s->ld + k;
            for (; j < nc; j++, col += s->ld)
                o[j] = bf_bits(f32_bits(col[0])) | (odd ? bf_bits(f32_bits(col[1])) << 16 : 0u);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Kernel */

/* How a tile's accumulators start in its first K block. */
enum { BF_ZERO, BF_LOAD, BF_SCALE };

/* C[mr][nc] (row stride ldc) of one 8 x 32 tile, over kpn pairs of the
 * packed a (8 words a pair) and b (32 words a pair). mode: accumulators
 * start at 0, at C, or at beta C. Rows >= mr and columns >= nc are
 * computed on zero padding and neither read nor written. cnext, mrn, ncn:
 * the next tile's C and size, prefetched. */
BF_TARGET static void kernel8x32(int kpn, const uint32_t *restrict a, const uint32_t *restrict b, float *c,
                                 size_t ldc, int mr, int nc, int mode, float beta, const float *cnext, int mrn,
                                 int ncn)
{
    /* The next tile's C (mrn rows of ncn columns), fetched while this one
     * runs: C is read and written once per K block, usually from memory. */
    for (int r = 0; r < mrn; r++) {
        _mm_prefetch((const char *)(cnext + (size_t)r * ldc), _MM_HINT_T0);
        if (ncn > 16)
            _mm_prefetch((const char *)(cnext + (size_t)r * ldc + 16), _MM_HINT_T0);
    }
    const __mmask16 k0 = nc >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nc) - 1u);
    const __mmask16 k1 = nc >= 32 ? (__mmask16)0xffff : nc > 16 ? (__mmask16)((1u << (nc - 16)) - 1u) : 0;
    /* Sixteen named accumulators (an array of them is kept on the stack
     * by gcc 12). Branch-free over rows: a row past mr is read and written
     * with empty masks at row 0's address. */
    __m512 x0, y0, x1, y1, x2, y2, x3, y3, x4, y4, x5, y5, x6, y6, x7, y7;
    const __mmask16 l0 = mode != BF_ZERO ? k0 : 0, l1 = mode != BF_ZERO ? k1 : 0;
#define BF_ROW(r) (c + (size_t)((r) < mr ? (r) : 0) * ldc)
#define BF_LOAD_ROW(r, x, y)                                                                                       \
    do {                                                                                                           \
        x = _mm512_maskz_loadu_ps((r) < mr ? l0 : 0, BF_ROW(r));                                                   \
        y = _mm512_maskz_loadu_ps((r) < mr ? l1 : 0, BF_ROW(r) + 16);                                              \
        if (mode == BF_SCALE)                                                                                      \
            x = _mm512_mul_ps(_mm512_set1_ps(beta), x), y = _mm512_mul_ps(_mm512_set1_ps(beta), y);                \
    } while (0)
    BF_LOAD_ROW(0, x0, y0);
    BF_LOAD_ROW(1, x1, y1);
    BF_LOAD_ROW(2, x2, y2);
    BF_LOAD_ROW(3, x3, y3);
    BF_LOAD_ROW(4, x4, y4);
    BF_LOAD_ROW(5, x5, y5);
    BF_LOAD_ROW(6, x6, y6);
    BF_LOAD_ROW(7, x7, y7);
#undef BF_LOAD_ROW
#define BF_DOT(r, x, y)                                                                                            \
    do {                                                                                                           \
        const __m512bh ar = (__m512bh)_mm512_set1_epi32((int)ap[r]);                                               \
        x = _mm512_dpbf16_ps(x, ar, b0);                                                                           \
        y = _mm512_dpbf16_ps(y, ar, b1);                                                                           \
    } while (0)
    for (int p = 0; p < kpn; p++) {
        const __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)(b + (size_t)p * BF_NR));
        const __m512bh b1 = (__m512bh)_mm512_load_si512((const void *)(b + (size_t)p * BF_NR + 16));
        const uint32_t *ap = a + (size_t)p * BF_MR;
        BF_DOT(0, x0, y0);
        BF_DOT(1, x1, y1);
        BF_DOT(2, x2, y2);
        BF_DOT(3, x3, y3);
        BF_DOT(4, x4, y4);
        BF_DOT(5, x5, y5);
        BF_DOT(6, x6, y6);
        BF_DOT(7, x7, y7);
    }
#undef BF_DOT
#define BF_STORE_ROW(r, x, y)                                                                                      \
    do {                                                                                                           \
        _mm512_mask_storeu_ps(BF_ROW(r), (r) < mr ? k0 : 0, x);                                                    \
        _mm512_mask_storeu_ps(BF_ROW(r) + 16, (r) < mr ? k1 : 0, y);                                               \
    } while (0)
    BF_STORE_ROW(0, x0, y0);
    BF_STORE_ROW(1, x1, y1);
    BF_STORE_ROW(2, x2, y2);
    BF_STORE_ROW(3, x3, y3);
    BF_STORE_ROW(4, x4, y4);
    BF_STORE_ROW(5, x5, y5);
    BF_STORE_ROW(6, x6, y6);
    BF_STORE_ROW(7, x7, y7);
#undef BF_STORE_ROW
#undef BF_ROW
}
#endif

/* ---------------------------------------------------------------------- */
/* The product */

static int min_int(int a, int b) { return a < b ? a : b; }

#if BF_HAVE_X86
/* How the accumulators start in the K block at pair kb. */
static int first_mode(int kb, float beta)
{
    return kb > 0 ? BF_LOAD : beta == 0.0f ? BF_ZERO : beta == 1.0f ? BF_LOAD : BF_SCALE;
}

/* Tiles [0, 2 * npair) of a k-major op(A) (a transposed A) from rows
 * m0.. : each source row is read once across all of them, 16 columns (two
 * tiles) at a time, rather than 8 floats of every row per tile (rows
 * lda apart: a page each, and half a cache line used per visit). The
 * words are pack's, the same integer steps. */
BF_TARGET static void pack_a_rows(const bf_src *s, int p0, int kpn, int m0, int npair, uint32_t *a)
{
    for (int p = 0; p < kpn; p++) {
        const size_t k = 2 * (size_t)(p0 + p);
        const int odd = (int)k + 1 < s->K;
        const float *r0 = s->p + k * s->ld + (size_t)m0, *r1 = r0 + s->ld;
        uint32_t *o = a + (size_t)p * BF_MR;
        for (int t = 0; t < npair; t++, o += 2 * (size_t)BF_KCP * BF_MR) {
            const __m512i w = kmajor_words16(r0 + 16 * t, r1 + 16 * t, odd);
            _mm256_storeu_si256((void *)o, _mm512_castsi512_si256(w));
            _mm256_storeu_si256((void *)(o + (size_t)BF_KCP * BF_MR), _mm512_extracti64x4_epi64(w, 1));
        }
    }
}

/* The tiles of rows [m0, m0 + mm) of op(A), pairs [kb, kb + kpn), into ws->a;
 * returns their number. */
static int pack_a_tiles(rnnkit__bf16_ws *ws, const bf_src *sa, int kb, int kpn, int m0, int mm)
{
    const int ntile = (mm + BF_MR - 1) / BF_MR;
    int it = 0;
    if (sa->kmajor && mm >= 2 * BF_MR) {
        const int npair = mm / (2 * BF_MR);
        pack_a_rows(sa, kb, kpn, m0, npair, ws->a);
        it = 2 * npair;
    }
    for (; it < ntile; it++)
        pack(sa, kb, kpn, m0 + it * BF_MR, min_int(BF_MR, mm - it * BF_MR), BF_MR,
             ws->a + (size_t)it * BF_KCP * BF_MR);
    return ntile;
}
#endif

/* C = beta C (K < 1: an empty sum); beta 0 writes zeros without reading. */
static void scale_c(int M, int N, float beta, float *C, size_t ldc)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++)
            C[(size_t)m * ldc + (size_t)n] = beta == 0.0f ? 0.0f : beta * C[(size_t)m * ldc + (size_t)n];
}

void rnnkit__bf16_gemm(rnnkit__bf16_ws *ws, int transA, int transB, int M, int N, int K, const float *A,
                       int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M < 1 || N < 1)
        return;
    if (K < 1) {
        scale_c(M, N, beta, C, (size_t)ldc);
        return;
    }
#if BF_HAVE_X86
    const bf_src sa = {A, (size_t)lda, transA != 0, K}, sb = {B, (size_t)ldb, transB == 0, K};
    const int KP = (K + 1) / 2;
    const size_t ldc_z = (size_t)ldc;
    for (int kb = 0; kb < KP; kb += BF_KCP) {
        const int kpn = min_int(BF_KCP, KP - kb), mode = first_mode(kb, beta);
        for (int n0 = 0; n0 < N; n0 += BF_NC) {
            const int nn = min_int(BF_NC, N - n0);
            const int npan = (nn + BF_NR - 1) / BF_NR;
            for (int jp = 0; jp < npan; jp++)
                pack(&sb, kb, kpn, n0 + jp * BF_NR, min_int(BF_NR, nn - jp * BF_NR), BF_NR,
                     ws->b + (size_t)jp * BF_KCP * BF_NR);
            for (int m0 = 0; m0 < M; m0 += BF_MC) {
                const int ntile = pack_a_tiles(ws, &sa, kb, kpn, m0, min_int(BF_MC, M - m0));
                for (int jp = 0; jp < npan; jp++)
                    for (int it = 0; it < ntile; it++) {
                        const int m = m0 + it * BF_MR, n = n0 + jp * BF_NR;
                        /* the tile after this one (this one again at the end) */
                        const int mx = it + 1 < ntile ? m + BF_MR : jp + 1 < npan ? m0 : m;
                        const int nx = it + 1 < ntile ? n : jp + 1 < npan ? n + BF_NR : n;
                        kernel8x32(kpn, ws->a + (size_t)it * BF_KCP * BF_MR, ws->b + (size_t)jp * BF_KCP * BF_NR,
                                   C + (size_t)m * ldc_z + (size_t)n, ldc_z, min_int(BF_MR, M - m),
                                   min_int(BF_NR, N - n), mode, beta, C + (size_t)mx * ldc_z + (size_t)nx,
                                   min_int(BF_MR, M - mx), min_int(BF_NR, N - nx));
                    }
            }
        }
    }
#else
    (void)ws, (void)transA, (void)transB, (void)A, (void)lda, (void)B, (void)ldb;
#endif
}

/* ---------------------------------------------------------------------- */
/* op(B) packed once */

/* A packed op(B) is its 32-column panels one after the other, each all K
 * pairs of its columns (32 words a pair): the K block at pair kb of panel
 * jp starts kb * BF_NR words into the panel and is exactly what
 * rnnkit__bf16_gemm packs into its workspace for that block. */
static int k_pairs(int K) { return (K + 1) / 2; }

size_t rnnkit__bf16_pb_words(int N, int K)
{
    if (N < 1 || K < 1)
        return 0;
    return (size_t)rnnkit__bf16_pb_panels(N) * (size_t)k_pairs(K) * BF_NR;
}

int rnnkit__bf16_pb_panels(int N) { return N < 1 ? 0 : (N + BF_NR - 1) / BF_NR; }

void rnnkit__bf16_pack_b(int transB, int N, int K, const float *B, int ldb, int p0, int p1, uint32_t *Bp)
{
#if BF_HAVE_X86
    if (N < 1 || K < 1)
        return;
    const bf_src sb = {B, (size_t)ldb, transB == 0, K};
    const int KP = k_pairs(K);
    for (int jp = p0; jp < p1; jp++)
        for (int kb = 0; kb < KP; kb += BF_KCP)
            pack(&sb, kb, min_int(BF_KCP, KP - kb), jp * BF_NR, min_int(BF_NR, N - jp * BF_NR), BF_NR,
                 Bp + ((size_t)jp * (size_t)KP + (size_t)kb) * BF_NR);
#else
    (void)transB, (void)N, (void)K, (void)B, (void)ldb, (void)p0, (void)p1, (void)Bp;
#endif
}

void rnnkit__bf16_gemm_pb(rnnkit__bf16_ws *ws, int transA, int M, int N, int K, const float *A, int lda,
                          const uint32_t *Bp, int p0, int p1, float beta, float *C, int ldc)
{
    const int c0 = p0 * BF_NR, c1 = min_int(p1 * BF_NR, N);
    if (M < 1 || c1 <= c0)
        return;
    if (K < 1) {
        scale_c(M, c1 - c0, beta, C + c0, (size_t)ldc);
        return;
    }
#if BF_HAVE_X86
    const bf_src sa = {A, (size_t)lda, transA != 0, K};
    const int KP = k_pairs(K);
    const size_t ldc_z = (size_t)ldc;
    for (int kb = 0; kb < KP; kb += BF_KCP) {
        const int kpn = min_int(BF_KCP, KP - kb), mode = first_mode(kb, beta);
        for (int m0 = 0; m0 < M; m0 += BF_MC) {
            const int ntile = pack_a_tiles(ws, &sa, kb, kpn, m0, min_int(BF_MC, M - m0));
            for (int jp = p0; jp < p1 && jp * BF_NR < c1; jp++) {
                const uint32_t *b = Bp + ((size_t)jp * (size_t)KP + (size_t)kb) * BF_NR;
                for (int it = 0; it < ntile; it++) {
                    const int m = m0 + it * BF_MR, n = jp * BF_NR;
                    const int last = it + 1 == ntile && (jp + 1 == p1 || (jp + 1) * BF_NR >= c1);
                    const int mx = it + 1 < ntile ? m + BF_MR : last ? m : m0;
                    const int nx = it + 1 < ntile ? n : last ? n : n + BF_NR;
                    kernel8x32(kpn, ws->a + (size_t)it * BF_KCP * BF_MR, b, C + (size_t)m * ldc_z + (size_t)n,
                               ldc_z, min_int(BF_MR, M - m), min_int(BF_NR, c1 - n), mode, beta,
                               C + (size_t)mx * ldc_z + (size_t)nx, min_int(BF_MR, M - mx), min_int(BF_NR, c1 - nx));
                }
            }
        }
    }
#else
    (void)ws, (void)transA, (void)A, (void)lda, (void)Bp;
#endif
}
