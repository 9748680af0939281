/*
 * model/rnn.c: multi-layer, optionally bidirectional LSTM / GRU / tanh-RNN
 * layers with PyTorch's equations, gate order, tensor names and shapes
 * (torch.nn.LSTM / GRU / RNN, "Inputs/Outputs" and "Variables" sections of
 * their documentation), forward and backward, with masks for padded batches.
 *
 * What it does not do: projections (proj_size), relu RNNs, batch-first
 * layouts, or dropout inside the recurrence (only between layers, as torch).
 *
 * Notation (fixed): T steps, B sequences, E input width of a layer (E for
 * layer 0, D*H above), H hidden size, G gates (LSTM 4, GRU 3, RNN 1), GH =
 * G*H, D directions, L layers. One "unit" is one layer in one direction; its
 * tensors are W_ih [GH][E], W_hh [GH][H], b_ih [GH], b_hh [GH].
 *
 * How the work is cut (all matrix products through CBLAS sgemm):
 *   forward, per unit:  Z[T*B][GH] = X[T*B][E] W_ih^T          one sgemm
 *                       per step t: Z_t += h_{t-1} W_hh^T       one sgemm
 *                       (GRU: R = h_{t-1} W_hh^T apart, since its reset gate
 *                       multiplies the recurrent part of n), then one fused
 *                       pass adds both biases, applies the nonlinearities and
 *                       updates the state.
 *   backward, per unit: per step, one fused pass turns dh, dc into the
 *                       pre-activation gradients dZ_t [B][GH] (kept for all
 *                       steps), then dh_{t-1} += dZ_t W_hh      one sgemm
 *                       dW_ih += dZ^T X,  dW_hh += dZ^T H_prev  one sgemm each
 *                       db += column sums of dZ                 one sgemv each
 *                       dX (+)= dZ W_ih                         one sgemm
 * All buffers live in one workspace block that grows only when (T, B) does.
 *
 * Masks: at a padded step (mask 0) a unit copies its state through and
 * outputs 0; its dZ rows are 0, so it adds nothing to weight or input
 * gradients, and the state gradient passes through unchanged.
 */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnkit/nn.h"
#include "rnn_internal.h"
#include "core/clones.h"

#if defined(__GNUC__)
#define RNN_INLINE static inline __attribute__((always_inline))
#else
#define RNN_INLINE static inline
#endif

/* Size limits keeping every BLAS dimension and leading dimension an int. */
#define RNN_MAX_WIDTH (1 << 20)
#define RNN_MAX_LAYERS 256

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

/* ---------------------------------------------------------------------- */
/* The layer */

/* One layer in one direction. */
typedef struct rnn_unit {
    size_t w_ih, w_hh, b_ih, b_hh; /* offsets into params: [GH][E], [GH][H], [GH], [GH] */
    int in;                        /* E: input width of this layer */
    /* Workspace views, set by rnnkit_rnn_reserve (shapes for the T, B of the
     * last forward; rows of B sequences are contiguous). */
    float *z;   /* [T][B][GH]  gate pre-activations, then activations */
    float *s;   /* [T+1][B][H] hidden states, see prev_slot() */
    float *c;   /* [T+1][B][H] LSTM cell states, same indexing */
    float *aux; /* [T][B][H]   LSTM: tanh(c_t); GRU: W_hn h_{t-1} + b_hn */
} rnn_unit;

struct rnnkit_rnn {
    rnnkit_rnn_config cfg;
    rnnkit_params *params;
    int G, D, L, H, E;
    int exact_math;  /* libm activations instead of the fast ones */
    rnn_unit *units; /* [L*D], index l*D + d */
    float **y;       /* [L] -> [T][B][D*H] layer outputs (dropout applied below the top) */
    float **drop;    /* [L] -> [T][B][D*H] dropout multipliers (layers below the top) */

    /* Workspace: one block of ws_floats floats, for capT steps x capB sequences. */
    int capT, capB;
    float *ws;
    size_t ws_floats;
    float *xin;    /* [T][B][E] the training input, kept for dW_ih of layer 0 */
    float *mask;   /* [T][B] the training mask */
    float *ones;   /* [T*B] 1.0f, for the bias gradients */
    float *dz;     /* [T][B][GH] pre-activation gradients of the current unit */
    float *dzh;    /* GRU: [T][B][GH] the same for the recurrent part (n slice * r) */
    float *dya;    /* [T][B][D*H] gradient w.r.t. a layer's output / input */
    float *dyb;    /* [T][B][D*H] its partner (the two swap between layers) */
    float *dh;     /* [B][H] state gradients, current */
    float *dh2;    /* [B][H] state gradients, next */
    float *dc;     /* [B][H] LSTM cell gradient */
    float *rh;     /* GRU: [B][GH] h_{t-1} W_hh^T */

    /* Inference only: layer 0's input projection as rows of a table indexed
     * by token id (in_rows[d][id] = x_id W_ih^T of direction d), see
     * rnnkit__rnn_set_input_rows. */
    const float *in_rows[2];
    const int32_t *in_ids;

    /* Weight drop (DropConnect on W_hh) of the last training forward:
     * per unit the dropped matrix and its multipliers (0 or 1/(1-p)), each
     * [L*D][GH][H], allocated at the first training forward that needs them;
     * wd_g [GH][H] stages a unit's dW_hh. wd_on: the forward used them. */
    float *wd_w, *wd_m, *wd_g;
    int wd_on;

    /* The last training forward, for backward. */
    int fwdT, fwdB, have_mask;
    int trained; /* 0: nothing to differentiate; 1: kept; 2: kept, with dropout masks */
};

const char *rnnkit_cell_name(rnnkit_cell c)
{
    switch (c) {
    case RNNKIT_CELL_RNN: return "rnn";
    case RNNKIT_CELL_LSTM: return "lstm";
    case RNNKIT_CELL_GRU: return "gru";
    }
    return "unknown";
}

int rnnkit_cell_from_name(const char *name)
{
    if (!name)
        return -1;
    if (!strcmp(name, "rnn"))
        return RNNKIT_CELL_RNN;
    if (!strcmp(name, "lstm"))
        return RNNKIT_CELL_LSTM;
    if (!strcmp(name, "gru"))
        return RNNKIT_CELL_GRU;
    return -1;
}

static int cell_gates(rnnkit_cell c)
{
    return c == RNNKIT_CELL_LSTM ? 4 : c == RNNKIT_CELL_GRU ? 3 : 1;
}

static rnnkit_status check_config(const rnnkit_rnn_config *c, const char *who, rnnkit_error *err)
{
    if (c->cell != RNNKIT_CELL_RNN && c->cell != RNNKIT_CELL_LSTM && c->cell != RNNKIT_CELL_GRU)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: unknown cell type %d", who, (int)c->cell);
    if (c->input_size < 1 || c->input_size > RNN_MAX_WIDTH)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: input_size %d outside [1, %d]", who,
                                c->input_size, RNN_MAX_WIDTH);
    if (c->hidden_size < 1 || c->hidden_size > RNN_MAX_WIDTH / 4)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: hidden_size %d outside [1, %d]", who,
                                c->hidden_size, RNN_MAX_WIDTH / 4);
    if (c->num_layers < 1 || c->num_layers > RNN_MAX_LAYERS)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: num_layers %d outside [1, %d]", who,
                                c->num_layers, RNN_MAX_LAYERS);
    if (c->bidirectional != 0 && c->bidirectional != 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: bidirectional must be 0 or 1 (got %d)",
                                who, c->bidirectional);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: dropout %g outside [0, 1)", who,
                                (double)c->dropout);
    if (!(c->weight_drop >= 0.0f && c->weight_drop < 1.0f))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: weight drop %g outside [0, 1)", who,
                                (double)c->weight_drop);
    return RNNKIT_OK;
}

static rnnkit_status declare(rnnkit_params *p, const char *prefix, const char *what, int l, int d,
                             int64_t rows, int64_t cols, size_t *off, rnnkit_error *err)
{
    char name[RNNKIT_NAME_MAX + 64];
    int n = snprintf(name, sizeof name, "%s%s%s_l%d%s", prefix, *prefix ? "." : "", what, l,
                     d ? "_reverse" : "");
    if (n < 0 || n >= RNNKIT_NAME_MAX)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnn '%s': tensor name '%s' longer than %d bytes",
                                prefix, name, RNNKIT_NAME_MAX - 1);
    return rnnkit_params_declare(p, name, rows, cols, off, err);
}

rnnkit_status rnnkit_rnn_create(const rnnkit_rnn_config *cfg, rnnkit_params *params,
                                const char *prefix, rnnkit_rnn **out, rnnkit_error *err)
{
    *out = NULL;
    if (!prefix)
        prefix = "";
    rnnkit_status st = check_config(cfg, *prefix ? prefix : "rnn", err);
    if (st)
        return st;
    rnnkit_rnn *rnn = calloc(1, sizeof *rnn);
    if (!rnn)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "rnn '%s': out of memory", prefix);
    rnn->cfg = *cfg;
    rnn->params = params;
    rnn->G = cell_gates(cfg->cell);
    rnn->D = cfg->bidirectional ? 2 : 1;
    rnn->L = cfg->num_layers;
    rnn->H = cfg->hidden_size;
    rnn->E = cfg->input_size;
    rnn->units = calloc((size_t)rnn->L * (size_t)rnn->D, sizeof *rnn->units);
    rnn->y = calloc((size_t)rnn->L, sizeof *rnn->y);
    rnn->drop = calloc((size_t)rnn->L, sizeof *rnn->drop);
    if (!rnn->units || !rnn->y || !rnn->drop) {
        rnnkit_rnn_free(rnn);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "rnn '%s': out of memory", prefix);
    }
    /* Declaration order = torch's state_dict order: per layer, per direction,
     * weight_ih, weight_hh, bias_ih, bias_hh. */
    const int64_t GH = (int64_t)rnn->G * rnn->H;
    for (int l = 0; l < rnn->L; l++) {
        for (int d = 0; d < rnn->D; d++) {
            rnn_unit *u = &rnn->units[l * rnn->D + d];
            u->in = l == 0 ? rnn->E : rnn->D * rnn->H;
            if ((st = declare(params, prefix, "weight_ih", l, d, GH, u->in, &u->w_ih, err)) ||
                (st = declare(params, prefix, "weight_hh", l, d, GH, rnn->H, &u->w_hh, err)) ||
                (st = declare(params, prefix, "bias_ih", l, d, GH, 0, &u->b_ih, err)) ||
                (st = declare(params, prefix, "bias_hh", l, d, GH, 0, &u->b_hh, err))) {
                rnnkit_rnn_free(rnn);
                return st;
            }
        }
    }
    *out = rnn;
    return RNNKIT_OK;
}

void rnnkit_rnn_free(rnnkit_rnn *rnn)
{
    if (!rnn)
        return;
    free(rnn->ws);
    free(rnn->wd_w);
    free(rnn->wd_m);
    free(rnn->wd_g);
    free(rnn->units);
    free(rnn->y);
    free(rnn->drop);
    free(rnn);
}

const rnnkit_rnn_config *rnnkit_rnn_get_config(const rnnkit_rnn *rnn)
{
    return &rnn->cfg;
}

int rnnkit_rnn_output_size(const rnnkit_rnn *rnn)
{
    return rnn->D * rnn->H;
}

void rnnkit__rnn_set_exact_math(rnnkit_rnn *rnn, int on)
{
    rnn->exact_math = on != 0;
}

void rnnkit__rnn_set_input_rows(rnnkit_rnn *rnn, const float *const *rows, const int32_t *ids)
{
    rnn->in_ids = rows ? ids : NULL;
    rnn->in_rows[0] = rows ? rows[0] : NULL;
    rnn->in_rows[1] = rows && rnn->D > 1 ? rows[1] : NULL;
}

int rnnkit__rnn_gate_width(const rnnkit_rnn *rnn) { return rnn->G * rnn->H; }

static void gemm_xwt(int M, int N, int K, const float *A, const float *W, float beta, float *C);

void rnnkit__rnn_input_rows(const rnnkit_rnn *rnn, int d, int n, const float *x, float *out)
{
    const rnn_unit *u = &rnn->units[d];
    gemm_xwt(n, rnn->G * rnn->H, u->in, x, rnn->params->value + u->w_ih, 0.0f, out);
}

void rnnkit__rnn_capacity(const rnnkit_rnn *rnn, int *T, int *B, size_t *bytes)
{
    if (T)
        *T = rnn->capT;
    if (B)
        *B = rnn->capB;
    if (bytes)
        *bytes = rnn->ws_floats * sizeof(float);
}

/*
 * Draws, in this order: for each layer l, each direction d (forward, then
 * reverse), W_ih, W_hh, b_ih, b_hh, each element in memory order, uniform in
 * [-1/sqrt(H), 1/sqrt(H)) from one rnnkit_rng_uniform per element. The
 * forget-gate bias is written afterwards, so the draws do not depend on it.
 */
void rnnkit_rnn_init(rnnkit_rnn *rnn, rnnkit_rng *rng, float forget_bias)
{
    float *v = rnn->params->value;
    const float k = 1.0f / sqrtf((float)rnn->H);
    const size_t GH = (size_t)rnn->G * (size_t)rnn->H, H = (size_t)rnn->H;
    for (int i = 0; i < rnn->L * rnn->D; i++) {
        rnn_unit *u = &rnn->units[i];
        const size_t off[4] = {u->w_ih, u->w_hh, u->b_ih, u->b_hh};
        const size_t len[4] = {GH * (size_t)u->in, GH * H, GH, GH};
        for (int a = 0; a < 4; a++)
            for (size_t j = 0; j < len[a]; j++)
                v[off[a] + j] = (2.0f * rnnkit_rng_uniform(rng) - 1.0f) * k;
        if (rnn->cfg.cell == RNNKIT_CELL_LSTM && forget_bias != 0.0f)
            for (size_t j = H; j < 2 * H; j++) {
                v[u->b_ih + j] = forget_bias;
                v[u->b_hh + j] = 0.0f;
            }
    }
}

/* ---------------------------------------------------------------------- */
/* Workspace */

/* *acc += a * b rounded up to 16 floats (64 bytes); 0 on size_t overflow. */
static int add_block(size_t *acc, size_t a, size_t b)
{
    if (b && a > SIZE_MAX / 4 / b)
        return 0;
    size_t n = (a * b + 15) & ~(size_t)15;
    if (*acc > SIZE_MAX / 4 - n)
        return 0;
    *acc += n;
    return 1;
}

/* Hands out the block at *pos (NULL base: sizing only) and advances. */
static float *take(float *base, size_t *pos, size_t a, size_t b)
{
    float *p = base ? base + *pos : NULL;
    add_block(pos, a, b);
    return p;
}

/* Lays the workspace out for capT x capB; with base == NULL only sizes it.
 * Returns 0 on overflow. */
static int layout(rnnkit_rnn *rnn, float *base, size_t T, size_t B, size_t *total)
{
    const size_t H = (size_t)rnn->H, GH = (size_t)rnn->G * H, DH = (size_t)rnn->D * H;
    const size_t E = (size_t)rnn->E;
    const int lstm = rnn->cfg.cell == RNNKIT_CELL_LSTM, gru = rnn->cfg.cell == RNNKIT_CELL_GRU;
    if (T > SIZE_MAX / 8 / (B ? B : 1))
        return 0;
    const size_t TB = T * B, T1B = (T + 1) * B;
    size_t pos = 0;
    /* Sizing pass first: take() advances pos without overflow checks. */
    size_t need = 0;
    int ok = 1;
    for (int i = 0; i < rnn->L * rnn->D; i++) {
        ok &= add_block(&need, TB, GH) & add_block(&need, T1B, H);
        ok &= add_block(&need, lstm ? T1B : 0, H) & add_block(&need, (lstm || gru) ? TB : 0, H);
    }
    for (int l = 0; l < rnn->L; l++) {
        ok &= add_block(&need, TB, DH);
        ok &= add_block(&need, (l < rnn->L - 1 && rnn->cfg.dropout > 0.0f) ? TB : 0, DH);
    }
    ok &= add_block(&need, TB, E) & add_block(&need, TB, 1) & add_block(&need, TB, 1);
    ok &= add_block(&need, TB, GH) & add_block(&need, gru ? TB : 0, GH);
    ok &= add_block(&need, rnn->L > 1 ? TB : 0, DH) & add_block(&need, rnn->L > 1 ? TB : 0, DH);
    ok &= add_block(&need, B, H) & add_block(&need, B, H) & add_block(&need, B, H);
    ok &= add_block(&need, gru ? B : 0, GH);
    if (!ok)
        return 0;
    *total = need;
    if (!base)
        return 1;
    for (int i = 0; i < rnn->L * rnn->D; i++) {
        rnn_unit *u = &rnn->units[i];
        u->z = take(base, &pos, TB, GH);
        u->s = take(base, &pos, T1B, H);
        u->c = lstm ? take(base, &pos, T1B, H) : NULL;
        u->aux = (lstm || gru) ? take(base, &pos, TB, H) : NULL;
    }
    for (int l = 0; l < rnn->L; l++) {
        rnn->y[l] = take(base, &pos, TB, DH);
        rnn->drop[l] = (l < rnn->L - 1 && rnn->cfg.dropout > 0.0f) ? take(base, &pos, TB, DH) : NULL;
    }
    rnn->xin = take(base, &pos, TB, E);
    rnn->mask = take(base, &pos, TB, 1);
    rnn->ones = take(base, &pos, TB, 1);
    rnn->dz = take(base, &pos, TB, GH);
    rnn->dzh = gru ? take(base, &pos, TB, GH) : NULL;
    rnn->dya = rnn->L > 1 ? take(base, &pos, TB, DH) : NULL;
    rnn->dyb = rnn->L > 1 ? take(base, &pos, TB, DH) : NULL;
    rnn->dh = take(base, &pos, B, H);
    rnn->dh2 = take(base, &pos, B, H);
    rnn->dc = take(base, &pos, B, H);
    rnn->rh = gru ? take(base, &pos, B, GH) : NULL;
    return pos == need;
}

rnnkit_status rnnkit_rnn_reserve(rnnkit_rnn *rnn, int T, int B, rnnkit_error *err)
{
    if (T < 1 || B < 1 || (int64_t)T * B > INT_MAX)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "rnn: cannot reserve %d steps x %d sequences (need >= 1 each, "
                                "product <= %d)", T, B, INT_MAX);
    if (T <= rnn->capT && B <= rnn->capB)
        return RNNKIT_OK;
    int nT = T > rnn->capT ? T : rnn->capT, nB = B > rnn->capB ? B : rnn->capB;
    if ((int64_t)nT * nB > INT_MAX)
        nT = T, nB = B; /* growing both would overflow: fit exactly this shape */
    size_t need = 0;
    if (!layout(rnn, NULL, (size_t)nT, (size_t)nB, &need))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "rnn: workspace for %d x %d is too large",
                                nT, nB);
    float *ws = aligned_alloc(64, need * sizeof(float));
    if (!ws)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM,
                                "rnn: out of memory for a %zu-byte workspace (%d steps x %d sequences)",
                                need * sizeof(float), nT, nB);
    free(rnn->ws);
    rnn->ws = ws;
    rnn->ws_floats = need;
    rnn->capT = nT;
    rnn->capB = nB;
    rnn->trained = 0; /* what a previous forward kept is gone */
    layout(rnn, ws, (size_t)nT, (size_t)nB, &need);
    const size_t TB = (size_t)nT * (size_t)nB;
    for (size_t i = 0; i < TB; i++)
        rnn->ones[i] = 1.0f;
    return RNNKIT_OK;
}

/* ---------------------------------------------------------------------- */
/* Products (row-major, torch's [out][in] weights) */

/* C[M][N] = A[M][K] W^T + beta C, W [N][K]: a linear map applied to M rows. */
static void gemm_xwt(int M, int N, int K, const float *A, const float *W, float beta, float *C)
{
    if (M == 1) {
        /* gemv is the faster routine for one row (the generator's case). */
        if (beta == 0.0f)
            memset(C, 0, (size_t)N * sizeof(float));
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, W, K, A, 1, beta, C, 1);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, W, K, beta, C, N);
    }
}

/* C[M][K] = A[M][N] W + beta C, W [N][K]: the transpose map (gradients). */
static void gemm_xw(int M, int N, int K, const float *A, const float *W, float beta, float *C)
{
    if (M == 1) {
        if (beta == 0.0f)
            memset(C, 0, (size_t)K * sizeof(float));
        cblas_sgemv(CblasRowMajor, CblasTrans, N, K, 1.0f, W, K, A, 1, beta, C, 1);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, A, N, W, K, beta, C, K);
    }
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

/* The rows of one forward step. z [B][GH], rh [B][GH] (GRU: h W_hh^T), hp,
 * cp [B][H] previous states, hn, cn [B][H] next states, aux [B][H] (tanh c'
 * or W_hn h + b_hn), y [B] rows of stride DH. */
RNN_INLINE void forward_step(rnnkit_cell cell, int B, int H, int DH, const float *mt, float *z,
                             const float *rh, const float *bih, const float *bhh,
                             const float *hp, const float *cp, float *hn, float *cn,
                             float *aux, float *y, int exact)
{
    const size_t GH = (size_t)(cell == RNNKIT_CELL_LSTM ? 4 : cell == RNNKIT_CELL_GRU ? 3 : 1) * H;
    for (int b = 0; b < B; b++) {
        const size_t rh_ = (size_t)b * H;
        float *zb = z + (size_t)b * GH, *yb = y + (size_t)b * DH;
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

RNNKIT_CLONES static void unit_forward(rnnkit_rnn *rnn, int l, int d, int T, int B, const float *in,
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
     * with a table, a copy of each token's precomputed row. */
    if (l == 0 && rnn->in_ids) {
        const float *tab = rnn->in_rows[d];
        for (size_t i = 0; i < (size_t)T * (size_t)B; i++)
            memcpy(u->z + i * (size_t)GH, tab + (size_t)rnn->in_ids[i] * GH, (size_t)GH * sizeof(float));
    } else {
        gemm_xwt(T * B, GH, u->in, in, Wih, 0.0f, u->z);
    }

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

    for (int k = 0; k < T; k++) {
        const int t = d ? T - 1 - k : k;
        const float *hp = u->s + prev_slot(d, t) * BH;
        float *hn = u->s + next_slot(d, t) * BH;
        float *zt = u->z + (size_t)t * BGH;
        const float *mt = mask ? mask + (size_t)t * B : NULL;
        float *yt = y + (size_t)t * B * DH;
        /* LSTM, RNN: z_t += h_{t-1} W_hh^T.  GRU: rh = h_{t-1} W_hh^T apart. */
        if (cell == RNNKIT_CELL_GRU)
            gemm_xwt(B, GH, H, hp, Whh, 0.0f, rnn->rh);
        else
            gemm_xwt(B, GH, H, hp, Whh, 1.0f, zt);
        const int lstm = cell == RNNKIT_CELL_LSTM;
        const float *cp = lstm ? u->c + prev_slot(d, t) * BH : NULL;
        float *cn = lstm ? u->c + next_slot(d, t) * BH : NULL;
        float *aux = u->aux ? u->aux + (size_t)t * BH : NULL;
        if (exact)
            forward_step(cell, B, H, DH, mt, zt, rnn->rh, bih, bhh, hp, cp, hn, cn, aux, yt, 1);
        else
            forward_step(cell, B, H, DH, mt, zt, rnn->rh, bih, bhh, hp, cp, hn, cn, aux, yt, 0);
    }
}

/* dy: [T][B][DH] gradient w.r.t. this layer's output (NULL: zero); dx:
 * [T][B][in] gradient w.r.t. its input, overwritten by direction 0 and added
 * to by direction 1 (NULL: not wanted). */
RNNKIT_CLONES static void unit_backward(rnnkit_rnn *rnn, int l, int d, int T, int B, const float *in,
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

    /* Steps in the reverse of the forward's order. */
    for (int k = T - 1; k >= 0; k--) {
        const int t = d ? T - 1 - k : k;
        const float *mt = mask ? mask + (size_t)t * B : NULL;
        const float *dyt = dy ? dy + (size_t)t * B * DH + (size_t)d * H : NULL;
        const float *zt = u->z + (size_t)t * BGH;
        float *dzt = rnn->dz + (size_t)t * BGH;
        backward_step(cell, B, H, DH, mt, zt, u->aux ? u->aux + (size_t)t * BH : NULL,
                      u->s + prev_slot(d, t) * BH,
                      cell == RNNKIT_CELL_LSTM ? u->c + prev_slot(d, t) * BH : NULL, dyt, dh,
                      rnn->dc, dzt, rnn->dzh ? rnn->dzh + (size_t)t * BGH : NULL, dhp);
        /* dh_{t-1} += dz_t W_hh */
        gemm_xw(B, GH, H, dzr + (size_t)t * BGH, Whh, 1.0f, dhp);
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
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, u->in, TB, 1.0f, rnn->dz, GH, in,
                u->in, 1.0f, Gr + u->w_ih, u->in);
    if (rnn->wd_on) {
        /* W_hh entered as W_hh * M: its gradient is M * dW_eff. */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, TB, 1.0f, dzr, GH, Hprev, H, 0.0f,
                    rnn->wd_g, H);
        const float *mk = rnn->wd_m + ui * WN;
        float *g = Gr + u->w_hh;
        for (size_t k = 0; k < WN; k++)
            g[k] += rnn->wd_g[k] * mk[k];
    } else {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, TB, 1.0f, dzr, GH, Hprev, H, 1.0f,
                    Gr + u->w_hh, H);
    }
    cblas_sgemv(CblasRowMajor, CblasTrans, TB, GH, 1.0f, rnn->dz, GH, rnn->ones, 1, 1.0f,
                Gr + u->b_ih, 1);
    cblas_sgemv(CblasRowMajor, CblasTrans, TB, GH, 1.0f, dzr, GH, rnn->ones, 1, 1.0f, Gr + u->b_hh,
                1);
    /* dX = dz W_ih (direction 1 adds to direction 0's). */
    if (dx)
        gemm_xw(TB, GH, u->in, rnn->dz, Wih, d ? 1.0f : 0.0f, dx);
}

/* ---------------------------------------------------------------------- */
/* Whole layer */

rnnkit_status rnnkit_rnn_forward(rnnkit_rnn *rnn, int T, int B, const float *x,
                                 const float *mask, const float *h0, const float *c0,
                                 int train, rnnkit_rng *rng, const float **y, float *hn,
                                 float *cn, rnnkit_error *err)
{
    if (!x || !y)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnn forward: x and y must not be NULL");
    const int use_dropout = train && rnn->cfg.dropout > 0.0f && rnn->L > 1;
    const int use_wd = train && rnn->cfg.weight_drop > 0.0f;
    if ((use_dropout || use_wd) && !rng)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "rnn forward: training with dropout %g / weight drop %g needs a random generator",
                                (double)rnn->cfg.dropout, (double)rnn->cfg.weight_drop);
    if (train && rnn->in_ids)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnn forward: input rows are for inference only");
    rnnkit_status st = rnnkit_rnn_reserve(rnn, T, B, err);
    if (st)
        return st;
    const int D = rnn->D, H = rnn->H;
    const size_t TB = (size_t)T * B, BH = (size_t)B * H, DH = (size_t)D * H;
    rnn->trained = 0;
    rnn->wd_on = 0;
    if (use_wd) {
        /* One DropConnect mask per unit for the whole forward (all T steps),
         * drawn before anything else, units in order. */
        const size_t WN = (size_t)rnn->G * H * H, U = (size_t)rnn->L * D;
        if (!rnn->wd_w) {
            rnn->wd_w = malloc(U * WN * sizeof(float));
            rnn->wd_m = malloc(U * WN * sizeof(float));
            rnn->wd_g = malloc(WN * sizeof(float));
            if (!rnn->wd_w || !rnn->wd_m || !rnn->wd_g) {
                free(rnn->wd_w);
                free(rnn->wd_m);
                free(rnn->wd_g);
                rnn->wd_w = rnn->wd_m = rnn->wd_g = NULL;
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "rnn forward: out of memory for the weight-drop masks (%zu bytes)",
                                        2 * U * WN * sizeof(float));
            }
        }
        for (size_t i = 0; i < U; i++) {
            memcpy(rnn->wd_w + i * WN, rnn->params->value + rnn->units[i].w_hh, WN * sizeof(float));
            rnnkit_dropout_forward(WN, rnn->cfg.weight_drop, rng, rnn->wd_w + i * WN, rnn->wd_m + i * WN);
        }
        rnn->wd_on = 1;
    }
    const float *in = x, *m = mask;
    if (train) {
        /* Backward needs the input and mask after the caller may have reused them. */
        memcpy(rnn->xin, x, TB * (size_t)rnn->E * sizeof(float));
        in = rnn->xin;
        if (mask) {
            memcpy(rnn->mask, mask, TB * sizeof(float));
            m = rnn->mask;
        }
    }
    for (int l = 0; l < rnn->L; l++) {
        for (int d = 0; d < D; d++) {
            const size_t i = (size_t)l * D + d;
            unit_forward(rnn, l, d, T, B, in, m, h0 ? h0 + i * BH : NULL, c0 ? c0 + i * BH : NULL);
        }
        if (use_dropout && l < rnn->L - 1)
            rnnkit_dropout_forward(TB * DH, rnn->cfg.dropout, rng, rnn->y[l], rnn->drop[l]);
        in = rnn->y[l];
    }
    /* Final states last: h0 and hn may be the same buffer. */
    for (int i = 0; i < rnn->L * D; i++) {
        const size_t slot = (i % D) ? 0 : (size_t)T;
        if (hn)
            memcpy(hn + (size_t)i * BH, rnn->units[i].s + slot * BH, BH * sizeof(float));
        if (cn) {
            if (rnn->cfg.cell == RNNKIT_CELL_LSTM)
                memcpy(cn + (size_t)i * BH, rnn->units[i].c + slot * BH, BH * sizeof(float));
            else
                memset(cn + (size_t)i * BH, 0, BH * sizeof(float));
        }
    }
    *y = rnn->y[rnn->L - 1];
    if (train) {
        rnn->fwdT = T;
        rnn->fwdB = B;
        rnn->have_mask = mask != NULL;
        rnn->trained = use_dropout ? 2 : 1;
    }
    return RNNKIT_OK;
}

rnnkit_status rnnkit_rnn_backward(rnnkit_rnn *rnn, const float *dy, const float *dhn,
                                  const float *dcn, float *dx, float *dh0, float *dc0,
                                  rnnkit_error *err)
{
    if (!rnn->trained)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "rnn backward: no training forward to differentiate (call "
                                "rnnkit_rnn_forward with train != 0 first)");
    const int T = rnn->fwdT, B = rnn->fwdB, D = rnn->D, H = rnn->H;
    const size_t TB = (size_t)T * B, BH = (size_t)B * H, DH = (size_t)D * H;
    const float *m = rnn->have_mask ? rnn->mask : NULL;
    const int lstm = rnn->cfg.cell == RNNKIT_CELL_LSTM;
    const float *dycur = dy;
    float *spare = rnn->dya, *other = rnn->dyb;
    for (int l = rnn->L - 1; l >= 0; l--) {
        const float *in = l == 0 ? rnn->xin : rnn->y[l - 1];
        float *dxl = l == 0 ? dx : spare;
        for (int d = 0; d < D; d++) {
            const size_t i = (size_t)l * D + d;
            unit_backward(rnn, l, d, T, B, in, m, dycur, dhn ? dhn + i * BH : NULL,
                          lstm && dcn ? dcn + i * BH : NULL, dxl, dh0 ? dh0 + i * BH : NULL,
                          lstm && dc0 ? dc0 + i * BH : NULL);
            if (dc0 && !lstm)
                memset(dc0 + i * BH, 0, BH * sizeof(float));
        }
        if (l > 0) {
            if (rnn->trained == 2)
                rnnkit_dropout_backward(TB * DH, rnn->drop[l - 1], spare);
            dycur = spare;
            float *tmp = spare;
            spare = other;
            other = tmp;
        }
    }
    return RNNKIT_OK;
}
