/*
 * model/rnn_unit.c: the arithmetic of the recurrent layers (model/rnn.c
 * holds the layer around it; its opening comment gives the notation and
 * how the work is cut): fast activations, the matrix products, the fused
 * per-step gate passes of LSTM / GRU / RNN forward and backward, and one
 * unit's (one layer in one direction) forward and backward over T steps.
 *
 * The per-step passes are inlined into the unit loops, which are compiled
 * for several vector widths (core/clones.h); every copy performs the same
 * float operations in the same order, so results are bit-identical on any
 * CPU. Kept in one translation unit for that inlining.
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clones.h"
#include "core/pool.h"
#include "model/rnn_impl.h"
#include "model/rnn_internal.h"

#if defined(__GNUC__)
#define RNN_INLINE static inline __attribute__((always_inline))
#else
#define RNN_INLINE static inline
#endif


/* ---------------------------------------------------------------------- */
/* Activations */

/* c ? a : b by bit masks. GCC (with its default -ftrapping-math) does not
 * vectorise a float ?: whose arms it must evaluate, but does this. */
RNN_INLINE float select_f(int c, float a, float b)
{
    uint32_t ua, ub, m = 0u - (uint32_t)(c != 0);
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    uint32_t r = (ua & m) | (ub & ~m);
    float f;
    memcpy(&f, &r, sizeof f);
    return f;
}

/*
 * exp(x) = 2^n exp(r) with n = round(x / ln 2) and r = x - n ln 2, so
 * |r| <= ln2/2 (Cody & Waite range reduction, ln 2 split in a short "hi"
 * part, exact in float products with n, and a "lo" correction). exp(r) is a
 * degree-6 polynomial fitted for relative error over |r| <= ln2/2 (weighted
 * least squares on 2000 Chebyshev nodes, numpy, with the first two
 * coefficients pinned to 1; fit error 3.6e-9, below float rounding). x is
 * clamped to [-87, 87] so that 2^n stays a normal float. Everything is
 * float arithmetic and bit moves on 32-bit unsigned integers: no float to
 * int conversion, no branch, so the compiler vectorises the gate loops.
 */
RNN_INLINE float fast_expf(float x)
{
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693359375f;           /* 355/512 */
    const float ln2_lo = -2.12194440054690583e-4f; /* ln 2 - ln2_hi */
    const float round_magic = 12582912.0f;       /* 1.5 * 2^23 */
    x = select_f(x < -87.0f, -87.0f, x);
    x = select_f(x > 87.0f, 87.0f, x);
    /* k carries round(x log2 e) in its low mantissa bits. */
    float k = x * log2e + round_magic;
    uint32_t kbits;
    memcpy(&kbits, &k, sizeof kbits);
    float n = k - round_magic;
    float r = x - n * ln2_hi;
    r = r - n * ln2_lo;
    float p = 0.00137514074f;
    p = p * r + 0.00836891588f;
    p = p * r + 0.0416695327f;
    p = p * r + 0.166665182f;
    p = p * r + 0.499999881f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* 2^n: n + 127 in the exponent field; n is in [-126, 126]. */
    uint32_t ebits = (kbits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &ebits, sizeof scale);
    return p * scale;
}

/* σ(x) = 1 / (1 + e^-x); for x -> -inf, e^-x is clamped at e^87 and σ
 * returns ~1.6e-38 instead of a smaller positive number. */
RNN_INLINE float fast_sigmoid(float x)
{
    return 1.0f / (1.0f + fast_expf(-x));
}

/*
 * tanh(x): for |x| < 0.625, x + x^3 P(x^2), an odd degree-13 polynomial
 * fitted like fast_expf (relative fit error 4.7e-9); above, 1 - 2/(e^{2|x|} +
 * 1), which has no cancellation there (tanh >= 0.55), with the sign put back.
 * Both branches are computed and one selected, so the loop stays vectorised.
 */
RNN_INLINE float fast_tanh(float x)
{
    float ax = fabsf(x);
    float x2 = x * x;
    float p = -0.0056919856f;
    p = p * x2 + 0.020626292f;
    p = p * x2 - 0.05373532f;
    p = p * x2 + 0.13331382f;
    p = p * x2 - 0.3333328f;
    float small = x + x * x2 * p;
    float big = 1.0f - 2.0f / (fast_expf(2.0f * ax) + 1.0f);
    big = copysignf(big, x);
    return select_f(ax < 0.625f, small, big);
}

RNN_INLINE float act_sigmoid(float x, int exact)
{
    return exact ? 1.0f / (1.0f + expf(-x)) : fast_sigmoid(x);
}

RNN_INLINE float act_tanh(float x, int exact)
{
    return exact ? tanhf(x) : fast_tanh(x);
}

float rnnkit__rnn_sigmoid_fast(float x) { return act_sigmoid(x, 0); }
float rnnkit__rnn_tanh_fast(float x) { return act_tanh(x, 0); }
float rnnkit__rnn_sigmoid_exact(float x) { return act_sigmoid(x, 1); }
float rnnkit__rnn_tanh_exact(float x) { return act_tanh(x, 1); }

/* Products (row-major, torch's [out][in] weights) */

/* C[M][n_out] = A[M][n_in] op(W) + beta C: op(W) = W^T with W [n_out][n_in]
 * (wt: the linear map) or W with W [n_in][n_out] (the transpose map, for
 * gradients). gemv is the faster routine for one row (the generator's case). */
static void gemm_w(rnnkit__pool *pool, int wt, int M, int n_out, int n_in, const float *A, const float *W,
                   float beta, float *C)
{
    if (M == 1) {
        if (beta == 0.0f)
            memset(C, 0, (size_t)n_out * sizeof(float));
        if (wt) { /* y = W A, W [n_out][n_in]: split over rows of W */
            rnnkit__pool_sgemv_n(pool, n_out, n_in, W, A, beta, C);
            return;
        }
        cblas_sgemv(CblasRowMajor, wt ? CblasNoTrans : CblasTrans, wt ? n_out : n_in, wt ? n_in : n_out, 1.0f, W,
                    wt ? n_in : n_out, A, 1, beta, C, 1);
    } else {
        rnnkit__pool_sgemm(pool, 0, wt, M, n_out, n_in, A, n_in, W, wt ? n_in : n_out, beta, C, n_out);
    }
}

/* C[M][N] = A[M][K] W^T + beta C, W [N][K]: a linear map applied to M rows. */
void rnnkit__rnn_gemm_xwt(rnnkit__pool *pool, int M, int N, int K, const float *A, const float *W, float beta,
                          float *C)
{
    gemm_w(pool, 1, M, N, K, A, W, beta, C);
}

/* C[M][K] = A[M][N] W + beta C, W [N][K]: the transpose map (gradients). */
static void gemm_xw(rnnkit__pool *pool, int M, int N, int K, const float *A, const float *W, float beta, float *C)
{
    gemm_w(pool, 0, M, K, N, A, W, beta, C);
}

/* ---------------------------------------------------------------------- */
/* Fused gate passes: one step of one unit.
 *
 * Each *_row function handles one sequence's row, its arrays passed as
 * separate restrict parameters (one per gate slice) so that the compiler
 * knows they do not overlap and vectorises the loop over j. `exact` is a
 * constant at every call site, giving two specialisations. The *_step
 * functions run the rows of a batch; rows whose mask is 0 copy the state
 * through and output 0 (forward) or get dz = 0 and pass dh through
 * (backward). */

/* LSTM (torch.nn.LSTM):
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
 * On entry zi..zo hold x W_ih^T + h W_hh^T of each gate; on exit i, f, g, o.
 * tc keeps tanh(c') for backward; bi = b_ih + b_hh (4 slices). */
RNN_INLINE void lstm_forward_row(int H, float *restrict zi, float *restrict zf,
                                 float *restrict zg, float *restrict zo,
                                 const float *restrict bi, const float *restrict bh,
                                 const float *restrict cp, float *restrict cn,
                                 float *restrict hn, float *restrict tc, float *restrict y,
                                 int exact)
{
    for (int j = 0; j < H; j++) {
        float i = act_sigmoid(zi[j] + bi[j] + bh[j], exact);
        float f = act_sigmoid(zf[j] + bi[H + j] + bh[H + j], exact);
        float g = act_tanh(zg[j] + bi[2 * H + j] + bh[2 * H + j], exact);
        float o = act_sigmoid(zo[j] + bi[3 * H + j] + bh[3 * H + j], exact);
        float c = f * cp[j] + i * g;
        float t = act_tanh(c, exact);
        float h = o * t;
        zi[j] = i;
        zf[j] = f;
        zg[j] = g;
        zo[j] = o;
        tc[j] = t;
        cn[j] = c;
        hn[j] = h;
        y[j] = h;
    }
}

/* GRU (torch.nn.GRU):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 - z) ⊙ n + z ⊙ h
 * zr..zn hold the x W_ih^T slices (r, z, n on exit), rr..rn the h W_hh^T
 * slices; hh keeps W_hn h + b_hn for backward. */
RNN_INLINE void gru_forward_row(int H, float *restrict zr, float *restrict zu,
                                float *restrict zn, const float *restrict rr,
                                const float *restrict ru, const float *restrict rn,
                                const float *restrict bi, const float *restrict bh,
                                const float *restrict hp, float *restrict hn,
                                float *restrict hh, float *restrict y, int exact)
{
    for (int j = 0; j < H; j++) {
        float r = act_sigmoid(zr[j] + bi[j] + rr[j] + bh[j], exact);
        float u = act_sigmoid(zu[j] + bi[H + j] + ru[j] + bh[H + j], exact);
        float hn_part = rn[j] + bh[2 * H + j];
        float n = act_tanh(zn[j] + bi[2 * H + j] + r * hn_part, exact);
        float h = (1.0f - u) * n + u * hp[j];
        zr[j] = r;
        zu[j] = u;
        zn[j] = n;
        hh[j] = hn_part;
        hn[j] = h;
        y[j] = h;
    }
}

/* RNN (torch.nn.RNN, tanh): h' = tanh(W_ih x + b_ih + W_hh h + b_hh); z keeps h'. */
RNN_INLINE void rnn_forward_row(int H, float *restrict z, const float *restrict bi,
                                const float *restrict bh, float *restrict hn,
                                float *restrict y, int exact)
{
    for (int j = 0; j < H; j++) {
        float h = act_tanh(z[j] + bi[j] + bh[j], exact);
        z[j] = h;
        hn[j] = h;
        y[j] = h;
    }
}

/* A padded row: the state is carried, the output is 0. */
static void carry_row(int H, const float *hp, float *hn, const float *cp, float *cn, float *y)
{
    memcpy(hn, hp, (size_t)H * sizeof(float));
    if (cp)
        memcpy(cn, cp, (size_t)H * sizeof(float));
    memset(y, 0, (size_t)H * sizeof(float));
}

/* Layer 0 at inference: the table of input projections by token id, and
 * the ids of the next step's rows, which the gate pass asks memory for a
 * row at a time (spread among the step's arithmetic, so the requests never
 * queue up) while it works on this step's rows. */
typedef struct table_next {
    const float *tab;
    const int32_t *ids;
} table_next;

/* The rows of one forward step. z [B][GH], rh [B][GH] (GRU: h W_hh^T), hp,
 * cp [B][H] previous states, hn, cn [B][H] next states, aux [B][H] (tanh c'
 * or W_hn h + b_hn), y [B] rows of stride DH. */
RNN_INLINE void forward_step(rnnkit_cell cell, int B, int H, int DH, const float *mt, float *z,
                             const float *rh, const float *bih, const float *bhh,
                             const float *hp, const float *cp, float *hn, float *cn,
                             float *aux, float *y, const table_next *pf, int exact)
{
    const size_t GH = (size_t)(cell == RNNKIT_CELL_LSTM ? 4 : cell == RNNKIT_CELL_GRU ? 3 : 1) * H;
    for (int b = 0; b < B; b++) {
        const size_t rh_ = (size_t)b * H;
        float *zb = z + (size_t)b * GH, *yb = y + (size_t)b * DH;
        if (pf)
            for (size_t o = 0; o < GH; o += 16)
                __builtin_prefetch(pf->tab + (size_t)pf->ids[b] * GH + o, 0, 3);
        if (mt && mt[b] == 0.0f) {
            carry_row(H, hp + rh_, hn + rh_, cp ? cp + rh_ : NULL, cn ? cn + rh_ : NULL, yb);
            continue;
        }
        switch (cell) {
        case RNNKIT_CELL_LSTM:
            lstm_forward_row(H, zb, zb + H, zb + 2 * H, zb + 3 * H, bih, bhh, cp + rh_, cn + rh_,
                             hn + rh_, aux + rh_, yb, exact);
            break;
        case RNNKIT_CELL_GRU: {
            const float *rb = rh + (size_t)b * GH;
            gru_forward_row(H, zb, zb + H, zb + 2 * H, rb, rb + H, rb + 2 * H, bih, bhh, hp + rh_,
                            hn + rh_, aux + rh_, yb, exact);
            break;
        }
        case RNNKIT_CELL_RNN:
            rnn_forward_row(H, zb, bih, bhh, hn + rh_, yb, exact);
            break;
        }
    }
}

/* Backward rows. dh is the gradient w.r.t. the state after the step, with
 * the output gradient dy already added (dh~ below). They write the
 * pre-activation gradients dz (GRU: also dzh, the ones of the recurrent
 * part) and in dhp the part of the gradient w.r.t. the previous state that
 * does not go through W_hh (the caller then adds dz W_hh). */

/* LSTM, differentiating c' = f c + i g and h' = o tanh(c'):
 *   do = dh~ tanh(c'),  dc~ = dc + dh~ o (1 - tanh²c')
 *   di = dc~ g,  df = dc~ c,  dg = dc~ i,  dc_prev = dc~ f,  dh_prev (direct) = 0
 *   through the nonlinearities: σ' = σ(1-σ), tanh' = 1 - tanh². */
RNN_INLINE void lstm_backward_row(int H, const float *restrict zi, const float *restrict zf,
                                  const float *restrict zg, const float *restrict zo,
                                  const float *restrict tc, const float *restrict cp,
                                  const float *restrict dh, float *restrict dc, float *restrict di,
                                  float *restrict df, float *restrict dg, float *restrict dO,
                                  float *restrict dhp)
{
    for (int j = 0; j < H; j++) {
        float i = zi[j], f = zf[j], g = zg[j], o = zo[j], t = tc[j];
        float dct = dc[j] + dh[j] * o * (1.0f - t * t);
        di[j] = dct * g * i * (1.0f - i);
        df[j] = dct * cp[j] * f * (1.0f - f);
        dg[j] = dct * i * (1.0f - g * g);
        dO[j] = dh[j] * t * o * (1.0f - o);
        dc[j] = dct * f;
        dhp[j] = 0.0f;
    }
}

/* GRU, differentiating h' = (1-z) n + z h and n = tanh(a_n + r (W_hn h + b_hn)):
 *   dn = dh~ (1-z),  dz = dh~ (h - n),  dh_prev (direct) = dh~ z
 *   da_n = dn (1 - n²),  dr = da_n (W_hn h + b_hn),  d(W_hn h + b_hn) = da_n r
 *   through the sigmoids: da_r = dr r (1-r), da_z = dz z (1-z). */
RNN_INLINE void gru_backward_row(int H, const float *restrict zr, const float *restrict zu,
                                 const float *restrict zn, const float *restrict hh,
                                 const float *restrict hp, const float *restrict dh,
                                 float *restrict dr, float *restrict du, float *restrict dn,
                                 float *restrict dhr, float *restrict dhu, float *restrict dhn,
                                 float *restrict dhp)
{
    for (int j = 0; j < H; j++) {
        float r = zr[j], u = zu[j], n = zn[j];
        float dan = dh[j] * (1.0f - u) * (1.0f - n * n);
        float dar = dan * hh[j] * r * (1.0f - r);
        float dau = dh[j] * (hp[j] - n) * u * (1.0f - u);
        dr[j] = dar;
        du[j] = dau;
        dn[j] = dan;
        dhr[j] = dar;
        dhu[j] = dau;
        dhn[j] = dan * r;
        dhp[j] = dh[j] * u;
    }
}

/* RNN, differentiating h' = tanh(a): da = dh~ (1 - h'²). */
RNN_INLINE void rnn_backward_row(int H, const float *restrict z, const float *restrict dh,
                                 float *restrict dz, float *restrict dhp)
{
    for (int j = 0; j < H; j++) {
        dz[j] = dh[j] * (1.0f - z[j] * z[j]);
        dhp[j] = 0.0f;
    }
}

/* dst[j] += src[j] */
RNN_INLINE void add_row(int n, const float *restrict src, float *restrict dst)
{
    for (int j = 0; j < n; j++)
        dst[j] += src[j];
}

/* The rows of one backward step: z [B][GH] activations, aux [B][H], hp, cp
 * [B][H] previous states, dy [B] rows of stride DH or NULL, dh [B][H]
 * (real rows get dy added in place), dc [B][H] (LSTM), dz, dzh [B][GH],
 * dhp [B][H]. */
RNNKIT_CLONES static void backward_step(rnnkit_cell cell, int B, int H, int DH, const float *mt,
                                        const float *z, const float *aux, const float *hp, const float *cp,
                                        const float *dy, float *dh, float *dc, float *dz, float *dzh,
                                        float *dhp)
{
    const size_t GH = (size_t)(cell == RNNKIT_CELL_LSTM ? 4 : cell == RNNKIT_CELL_GRU ? 3 : 1) * H;
    for (int b = 0; b < B; b++) {
        const size_t rh_ = (size_t)b * H;
        const float *zb = z + (size_t)b * GH;
        float *dzb = dz + (size_t)b * GH, *dhb = dh + rh_;
        if (mt && mt[b] == 0.0f) {
            memset(dzb, 0, GH * sizeof(float));
            if (dzh)
                memset(dzh + (size_t)b * GH, 0, GH * sizeof(float));
            memcpy(dhp + rh_, dhb, (size_t)H * sizeof(float));
            continue;
        }
        if (dy)
            add_row(H, dy + (size_t)b * DH, dhb);
        switch (cell) {
        case RNNKIT_CELL_LSTM:
            lstm_backward_row(H, zb, zb + H, zb + 2 * H, zb + 3 * H, aux + rh_, cp + rh_, dhb,
                              dc + rh_, dzb, dzb + H, dzb + 2 * H, dzb + 3 * H, dhp + rh_);
            break;
        case RNNKIT_CELL_GRU: {
            float *dzhb = dzh + (size_t)b * GH;
            gru_backward_row(H, zb, zb + H, zb + 2 * H, aux + rh_, hp + rh_, dhb, dzb, dzb + H,
                             dzb + 2 * H, dzhb, dzhb + H, dzhb + 2 * H, dhp + rh_);
            break;
        }
        case RNNKIT_CELL_RNN:
            rnn_backward_row(H, zb, dhb, dzb, dhp + rh_);
            break;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Forward and backward of one unit */

/* States are stored at [T+1] slots. Direction 0 reads slot t and writes slot
 * t+1 at step t; direction 1 (reverse) reads slot t+1 and writes slot t. So
 * the initial state sits in slot 0 (forward) / T (reverse), the final one in
 * slot T / 0, and the previous states of all steps are the contiguous rows
 * [0, T) (forward) / [1, T+1) (reverse): H_prev of the dW_hh product. */
static size_t prev_slot(int d, int t) { return d ? (size_t)t + 1 : (size_t)t; }
static size_t next_slot(int d, int t) { return d ? (size_t)t : (size_t)t + 1; }

/* One step of one unit in bf16 mode cut into row blocks, each task doing
 * its rows' product (from the packed W_hh) and then their gate pass (or,
 * backward, their gate pass and then their product): the rows' work is
 * the same whatever the cut, so the bits are those of the whole step. */
typedef struct step_task {
    rnnkit__rnn *rnn;
    int B, H, DH, GH, rb, exact;
    const float *mt, *bih, *bhh, *hp, *cp, *dy, *za; /* za: backward's activations */
    const float *tab;                            /* forward, layer 0 at inference: rows by id */
    const int32_t *ids, *ids_next;               /* this step's ids, the next step's (or NULL) */
    float *z, *rh, *hn, *cn, *aux, *y;          /* forward */
    float *dh, *dc, *dz, *dzh, *dzr, *dhp;       /* backward */
} step_task;

static size_t off(int r, int w) { return (size_t)r * (size_t)w; }

/* Layer 0 at inference: rows r0..r1 of z_t are the table's rows of their
 * tokens (x W_ih^T precomputed per id). */
static void table_rows(const float *tab, const int32_t *ids, int GH, int r0, int r1, float *z)
{
    for (int b = r0; b < r1; b++)
        memcpy(z + off(b, GH), tab + off(ids[b], GH), (size_t)GH * sizeof(float));
}

RNNKIT_CLONES static void step_forward_rows(const step_task *j, int r0, int r1)
{
    const rnnkit_cell cell = j->rnn->cfg.cell;
    const int H = j->H, GH = j->GH;
    const float *mt = j->mt ? j->mt + r0 : NULL, *cp = j->cp ? j->cp + off(r0, H) : NULL;
    float *rh = j->rh ? j->rh + off(r0, GH) : NULL, *cn = j->cn ? j->cn + off(r0, H) : NULL;
    float *aux = j->aux ? j->aux + off(r0, H) : NULL;
    const table_next pf = {.tab = j->tab, .ids = j->ids_next ? j->ids_next + r0 : NULL};
    const table_next *pfp = pf.ids ? &pf : NULL;
    if (j->exact)
        forward_step(cell, r1 - r0, H, j->DH, mt, j->z + off(r0, GH), rh, j->bih, j->bhh, j->hp + off(r0, H), cp,
                     j->hn + off(r0, H), cn, aux, j->y + off(r0, j->DH), pfp, 1);
    else
        forward_step(cell, r1 - r0, H, j->DH, mt, j->z + off(r0, GH), rh, j->bih, j->bhh, j->hp + off(r0, H), cp,
                     j->hn + off(r0, H), cn, aux, j->y + off(r0, j->DH), pfp, 0);
}

static void step_forward_task(void *ctx, int task, int slot)
{
    const step_task *j = ctx;
    const int r0 = task * j->rb, r1 = r0 + j->rb < j->B ? r0 + j->rb : j->B;
    const int gru = j->rnn->cfg.cell == RNNKIT_CELL_GRU;
    if (j->tab)
        table_rows(j->tab, j->ids, j->GH, r0, r1, j->z);
    rnnkit__pool_gemm_pb_rows(j->rnn->pool, slot, 0, r0, r1, j->GH, j->H, j->hp, j->H, j->rnn->bfp,
                              gru ? 0.0f : 1.0f, gru ? j->rh : j->z, j->GH);
    step_forward_rows(j, r0, r1);
}

static void step_backward_task(void *ctx, int task, int slot)
{
    const step_task *j = ctx;
    const int r0 = task * j->rb, r1 = r0 + j->rb < j->B ? r0 + j->rb : j->B;
    const int H = j->H, GH = j->GH;
    backward_step(j->rnn->cfg.cell, r1 - r0, H, j->DH, j->mt ? j->mt + r0 : NULL, j->za + off(r0, GH),
                  j->aux ? j->aux + off(r0, H) : NULL, j->hp + off(r0, H), j->cp ? j->cp + off(r0, H) : NULL,
                  j->dy ? j->dy + off(r0, j->DH) : NULL, j->dh + off(r0, H), j->dc + off(r0, H),
                  j->dz + off(r0, GH), j->dzh ? j->dzh + off(r0, GH) : NULL, j->dhp + off(r0, H));
    rnnkit__pool_gemm_pb_rows(j->rnn->pool, slot, 0, r0, r1, H, GH, j->dzr, GH, j->rnn->bfp, 1.0f, j->dhp, H);
}

RNNKIT_CLONES static void unit_forward(rnnkit__rnn *rnn, int l, int d, int T, int B, const float *in,
                                       const float *mask, const float *h0, const float *c0)
{
    rnn_unit *u = &rnn->units[l * rnn->D + d];
    const float *P = rnn->params->value;
    const int H = rnn->H, GH = rnn->G * H, DH = rnn->D * H;
    const size_t BH = (size_t)B * H, BGH = (size_t)B * GH;
    const size_t ui = (size_t)l * rnn->D + (size_t)d;
    const float *Wih = P + u->w_ih, *bih = P + u->b_ih, *bhh = P + u->b_hh;
    const float *Whh = rnn->wd_on ? rnn->wd_w + ui * (size_t)GH * H : P + u->w_hh;
    float *y = rnn->y[l] + (size_t)d * H;
    const rnnkit_cell cell = rnn->cfg.cell;
    const int exact = rnn->exact_math;

    /* Input projection of every step at once, or for layer 0 at inference
     * with a table, a copy of each token's precomputed row, made step by
     * step below (the rows are then still in cache for the step's product). */
    const float *tab = l == 0 && rnn->in_ids ? rnn->in_rows[d] : NULL;
    if (!tab && l > 0 && rnn->q_ih)
        rnnkit__qgemm(rnn->pool, T * B, in, &rnn->q_ih[ui], 0.0f, u->z, rnn->q_buf, rnn->q_vnni);
    else if (!tab)
        rnnkit__rnn_gemm_xwt(rnn->pool, T * B, GH, u->in, in, Wih, 0.0f, u->z);

    float *s0 = u->s + (d ? (size_t)T : 0) * BH;
    if (h0)
        memcpy(s0, h0, BH * sizeof(float));
    else
        memset(s0, 0, BH * sizeof(float));
    if (cell == RNNKIT_CELL_LSTM) {
        float *c0s = u->c + (d ? (size_t)T : 0) * BH;
        if (c0)
            memcpy(c0s, c0, BH * sizeof(float));
        else
            memset(c0s, 0, BH * sizeof(float));
    }

    /* bf16 mode: W_hh^T packed once for all steps (same bits as packing per step). */
    const int packed =
        B > 1 && rnn->bfp && !rnn->q_hh && rnnkit__pool_bf16_pack_b(rnn->pool, 1, GH, H, Whh, H, rnn->bfp);
    /* ... and then each step's rows cut among the threads. */
    const int rb = packed ? rnnkit__pool_pb_rows(rnn->pool, B, GH, H) : B;
    for (int k = 0; k < T; k++) {
        const int t = d ? T - 1 - k : k;
        const float *hp = u->s + prev_slot(d, t) * BH;
        float *hn = u->s + next_slot(d, t) * BH;
        /* With the table (inference only) no later pass reads z, so every
         * step reuses the first step's rows: they stay in cache. */
        float *zt = u->z + (tab ? 0 : (size_t)t * BGH);
        const float *mt = mask ? mask + (size_t)t * B : NULL;
        float *yt = y + (size_t)t * B * DH;
        const int32_t *ids = tab ? rnn->in_ids + (size_t)t * B : NULL;
        const int32_t *ids_next = tab && k + 1 < T ? rnn->in_ids + (size_t)(d ? t - 1 : t + 1) * B : NULL;
        const int lstm = cell == RNNKIT_CELL_LSTM;
        const float *cp = lstm ? u->c + prev_slot(d, t) * BH : NULL;
        float *cn = lstm ? u->c + next_slot(d, t) * BH : NULL;
        float *aux = u->aux ? u->aux + (size_t)t * BH : NULL;
        if (rb < B) {
            step_task j = {.rnn = rnn, .B = B, .H = H, .DH = DH, .GH = GH, .rb = rb, .exact = exact, .mt = mt,
                           .bih = bih, .bhh = bhh, .hp = hp, .cp = cp, .z = zt, .rh = rnn->rh, .hn = hn, .cn = cn,
                           .aux = aux, .y = yt, .tab = tab, .ids = ids, .ids_next = ids_next};
            rnnkit__pool_run_slots(rnn->pool, (B + rb - 1) / rb, step_forward_task, &j);
            continue;
        }
        if (tab)
            table_rows(tab, ids, GH, 0, B, zt);
        /* LSTM, RNN: z_t += h_{t-1} W_hh^T.  GRU: rh = h_{t-1} W_hh^T apart. */
        if (rnn->q_hh)
            rnnkit__qgemm(rnn->pool, B, hp, &rnn->q_hh[ui], cell == RNNKIT_CELL_GRU ? 0.0f : 1.0f,
                          cell == RNNKIT_CELL_GRU ? rnn->rh : zt, rnn->q_buf, rnn->q_vnni);
        else if (packed)
            rnnkit__pool_sgemm_pb(rnn->pool, 0, B, GH, H, hp, H, rnn->bfp, cell == RNNKIT_CELL_GRU ? 0.0f : 1.0f,
                                  cell == RNNKIT_CELL_GRU ? rnn->rh : zt, GH);
        else if (cell == RNNKIT_CELL_GRU)
            rnnkit__rnn_gemm_xwt(rnn->pool, B, GH, H, hp, Whh, 0.0f, rnn->rh);
        else
            rnnkit__rnn_gemm_xwt(rnn->pool, B, GH, H, hp, Whh, 1.0f, zt);
        const table_next pf = {.tab = tab, .ids = ids_next};
        if (exact)
            forward_step(cell, B, H, DH, mt, zt, rnn->rh, bih, bhh, hp, cp, hn, cn, aux, yt, ids_next ? &pf : NULL, 1);
        else
            forward_step(cell, B, H, DH, mt, zt, rnn->rh, bih, bhh, hp, cp, hn, cn, aux, yt, ids_next ? &pf : NULL, 0);
    }
}

/* dy: [T][B][DH] gradient w.r.t. this layer's output (NULL: zero); dx:
 * [T][B][in] gradient w.r.t. its input, overwritten by direction 0 and added
 * to by direction 1 (NULL: not wanted). */
RNNKIT_CLONES static void unit_backward(rnnkit__rnn *rnn, int l, int d, int T, int B, const float *in,
                                        const float *mask, const float *dy, const float *dhn,
                                        const float *dcn, float *dx, float *dh0, float *dc0)
{
    rnn_unit *u = &rnn->units[l * rnn->D + d];
    const float *P = rnn->params->value;
    float *Gr = rnn->params->grad;
    const int H = rnn->H, GH = rnn->G * H, DH = rnn->D * H, TB = T * B;
    const size_t BH = (size_t)B * H, BGH = (size_t)B * GH;
    const size_t ui = (size_t)l * rnn->D + (size_t)d, WN = (size_t)GH * H;
    const float *Wih = P + u->w_ih;
    const float *Whh = rnn->wd_on ? rnn->wd_w + ui * WN : P + u->w_hh;
    const rnnkit_cell cell = rnn->cfg.cell;
    /* The gradient that goes through W_hh: dz, or for the GRU dzh. */
    float *dzr = cell == RNNKIT_CELL_GRU ? rnn->dzh : rnn->dz;
    float *dh = rnn->dh, *dhp = rnn->dh2;

    if (dhn)
        memcpy(dh, dhn, BH * sizeof(float));
    else
        memset(dh, 0, BH * sizeof(float));
    if (cell == RNNKIT_CELL_LSTM) {
        if (dcn)
            memcpy(rnn->dc, dcn, BH * sizeof(float));
        else
            memset(rnn->dc, 0, BH * sizeof(float));
    }

    /* bf16 mode: W_hh packed once for all steps. */
    const int packed = B > 1 && rnn->bfp && rnnkit__pool_bf16_pack_b(rnn->pool, 0, H, GH, Whh, H, rnn->bfp);
    const int rb = packed ? rnnkit__pool_pb_rows(rnn->pool, B, H, GH) : B;
    /* Steps in the reverse of the forward's order. */
    for (int k = T - 1; k >= 0; k--) {
        const int t = d ? T - 1 - k : k;
        const float *mt = mask ? mask + (size_t)t * B : NULL;
        const float *dyt = dy ? dy + (size_t)t * B * DH + (size_t)d * H : NULL;
        const float *zt = u->z + (size_t)t * BGH;
        float *dzt = rnn->dz + (size_t)t * BGH;
        if (rb < B) {
            step_task j = {.rnn = rnn, .B = B, .H = H, .DH = DH, .GH = GH, .rb = rb, .mt = mt,
                           .hp = u->s + prev_slot(d, t) * BH,
                           .cp = cell == RNNKIT_CELL_LSTM ? u->c + prev_slot(d, t) * BH : NULL, .dy = dyt,
                           .za = zt, .aux = u->aux ? u->aux + (size_t)t * BH : NULL, .dh = dh,
                           .dc = rnn->dc, .dz = dzt, .dzh = rnn->dzh ? rnn->dzh + (size_t)t * BGH : NULL,
                           .dzr = dzr + (size_t)t * BGH, .dhp = dhp};
            rnnkit__pool_run_slots(rnn->pool, (B + rb - 1) / rb, step_backward_task, &j);
        } else {
            backward_step(cell, B, H, DH, mt, zt, u->aux ? u->aux + (size_t)t * BH : NULL,
                          u->s + prev_slot(d, t) * BH,
                          cell == RNNKIT_CELL_LSTM ? u->c + prev_slot(d, t) * BH : NULL, dyt, dh,
                          rnn->dc, dzt, rnn->dzh ? rnn->dzh + (size_t)t * BGH : NULL, dhp);
            /* dh_{t-1} += dz_t W_hh */
            if (packed)
                rnnkit__pool_sgemm_pb(rnn->pool, 0, B, H, GH, dzr + (size_t)t * BGH, GH, rnn->bfp, 1.0f, dhp, H);
            else
                gemm_xw(rnn->pool, B, GH, H, dzr + (size_t)t * BGH, Whh, 1.0f, dhp);
        }
        float *tmp = dh;
        dh = dhp;
        dhp = tmp;
    }
    if (dh0)
        memcpy(dh0, dh, BH * sizeof(float));
    if (dc0)
        memcpy(dc0, rnn->dc, BH * sizeof(float));

    /* Weight gradients over all steps: dW_ih += dz^T X, dW_hh += dzr^T H_prev,
     * db_ih += Σ_rows dz, db_hh += Σ_rows dzr. */
    const float *Hprev = u->s + (d ? BH : 0);
    rnnkit__pool_sgemm(rnn->pool, 1, 0, GH, u->in, TB, rnn->dz, GH, in, u->in, 1.0f, Gr + u->w_ih, u->in);
    if (rnn->wd_on) {
        /* W_hh entered as W_hh * M: its gradient is M * dW_eff. */
        rnnkit__pool_sgemm(rnn->pool, 1, 0, GH, H, TB, dzr, GH, Hprev, H, 0.0f, rnn->wd_g, H);
        const float *mk = rnn->wd_m + ui * WN;
        float *g = Gr + u->w_hh;
        for (size_t k = 0; k < WN; k++)
            g[k] += rnn->wd_g[k] * mk[k];
    } else {
        rnnkit__pool_sgemm(rnn->pool, 1, 0, GH, H, TB, dzr, GH, Hprev, H, 1.0f, Gr + u->w_hh, H);
    }
    /* LSTM and RNN: the recurrent part's gradient is dz itself, so db_hh
     * takes the same column sums as db_ih; when the two start equal (they
     * do after the gradients are zeroed) one pass serves both, same bits. */
    const size_t gbytes = (size_t)GH * sizeof(float);
    const int same = dzr == rnn->dz && memcmp(Gr + u->b_ih, Gr + u->b_hh, gbytes) == 0;
    rnnkit__pool_sgemv_t(rnn->pool, TB, GH, rnn->dz, GH, rnn->ones, Gr + u->b_ih);
    if (same)
        memcpy(Gr + u->b_hh, Gr + u->b_ih, gbytes);
    else
        rnnkit__pool_sgemv_t(rnn->pool, TB, GH, dzr, GH, rnn->ones, Gr + u->b_hh);
    /* dX = dz W_ih (direction 1 adds to direction 0's). */
    if (dx)
        gemm_xw(rnn->pool, TB, GH, u->in, rnn->dz, Wih, d ? 1.0f : 0.0f, dx);
}


void rnnkit__rnn_unit_forward(rnnkit__rnn *rnn, int l, int d, int T, int B, const float *in, const float *mask,
                              const float *h0, const float *c0)
{
    unit_forward(rnn, l, d, T, B, in, mask, h0, c0);
}

void rnnkit__rnn_unit_backward(rnnkit__rnn *rnn, int l, int d, int T, int B, const float *in, const float *mask,
                               const float *dy, const float *dhn, const float *dcn, float *dx, float *dh0,
                               float *dc0)
{
    unit_backward(rnn, l, d, T, B, in, mask, dy, dhn, dcn, dx, dh0, dc0);
}
