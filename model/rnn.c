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
 * At inference with the token table (rnnkit__rnn_set_input_rows) layer 0
 * skips X W_ih^T: each step copies its tokens' rows of the table into one
 * step's block of Z, the same block every step (nothing reads Z later).
 * All buffers live in one workspace block that grows only when (T, B) does.
 * At inference with int8 weights (rnnkit__rnn_set_int8) the per-step W_hh
 * products and the W_ih products above layer 0 run through model/quant.c's
 * int8 product instead (activations quantized per row as they come).
 *
 * Masks: at a padded step (mask 0) a unit copies its state through and
 * outputs 0; its dZ rows are 0, so it adds nothing to weight or input
 * gradients, and the state gradient passes through unchanged.
 *
 * The file is in two: this one holds configuration, parameters, workspace
 * and the whole-layer passes; model/rnn_unit.c the fused kernels and one
 * unit's forward and backward (model/rnn_impl.h joins them).
 */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "model/rnn_impl.h"
#include "model/rnn_internal.h"


/* Size limits keeping every BLAS dimension and leading dimension an int. */
#define RNN_MAX_WIDTH (1 << 20)
#define RNN_MAX_LAYERS 256
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

static rnnkit_status check_config(const rnnkit__rnn_config *c, const char *who, rnnkit_error *err)
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

static rnnkit_status declare(rnnkit__params *p, const char *prefix, const char *what, int l, int d,
                             int64_t rows, int64_t cols, size_t *off, rnnkit_error *err)
{
    char name[RNNKIT_NAME_MAX + 64];
    int n = snprintf(name, sizeof name, "%s%s%s_l%d%s", prefix, *prefix ? "." : "", what, l,
                     d ? "_reverse" : "");
    if (n < 0 || n >= RNNKIT_NAME_MAX)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnn '%s': tensor name '%s' longer than %d bytes",
                                prefix, name, RNNKIT_NAME_MAX - 1);
    return rnnkit__params_declare(p, name, rows, cols, off, err);
}

rnnkit_status rnnkit__rnn_create(const rnnkit__rnn_config *cfg, rnnkit__params *params,
                                const char *prefix, rnnkit__rnn **out, rnnkit_error *err)
{
    *out = NULL;
    if (!prefix)
        prefix = "";
    rnnkit_status st = check_config(cfg, *prefix ? prefix : "rnn", err);
    if (st)
        return st;
    rnnkit__rnn *rnn = calloc(1, sizeof *rnn);
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
        rnnkit__rnn_free(rnn);
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
                rnnkit__rnn_free(rnn);
                return st;
            }
        }
    }
    *out = rnn;
    return RNNKIT_OK;
}

void rnnkit__rnn_free(rnnkit__rnn *rnn)
{
    if (!rnn)
        return;
    free(rnn->ws);
    free(rnn->wd_w);
    free(rnn->wd_m);
    free(rnn->wd_g);
    free(rnn->bfp);
    free(rnn->units);
    free(rnn->y);
    free(rnn->drop);
    free(rnn);
}

void rnnkit__rnn_set_pool(rnnkit__rnn *rnn, rnnkit__pool *pool) { rnn->pool = pool; }

const rnnkit__rnn_config *rnnkit__rnn_get_config(const rnnkit__rnn *rnn)
{
    return &rnn->cfg;
}

int rnnkit__rnn_output_size(const rnnkit__rnn *rnn)
{
    return rnn->D * rnn->H;
}

void rnnkit__rnn_set_exact_math(rnnkit__rnn *rnn, int on)
{
    rnn->exact_math = on != 0;
}

void rnnkit__rnn_set_input_rows(rnnkit__rnn *rnn, const float *const *rows, const int32_t *ids)
{
    rnn->in_ids = rows ? ids : NULL;
    rnn->in_rows[0] = rows ? rows[0] : NULL;
    rnn->in_rows[1] = rows && rnn->D > 1 ? rows[1] : NULL;
}

rnnkit_status rnnkit__rnn_quantize(const rnnkit__rnn *rnn, rnnkit__qmat *hh, rnnkit__qmat *ih, rnnkit_error *err)
{
    const int GH = rnn->G * rnn->H;
    rnnkit_status st;
    for (int i = 0; i < rnn->L * rnn->D; i++) {
        const rnn_unit *u = &rnn->units[i];
        if (!hh[i].q && (st = rnnkit__qmat_alloc(&hh[i], GH, rnn->H, err)))
            return st;
        rnnkit__qmat_set(&hh[i], rnn->params->value + u->w_hh);
        if (i < rnn->D)
            continue; /* layer 0: fp32 or the table */
        if (!ih[i].q && (st = rnnkit__qmat_alloc(&ih[i], GH, u->in, err)))
            return st;
        rnnkit__qmat_set(&ih[i], rnn->params->value + u->w_ih);
    }
    return RNNKIT_OK;
}

void rnnkit__rnn_set_int8(rnnkit__rnn *rnn, const rnnkit__qmat *hh, const rnnkit__qmat *ih, rnnkit__qbuf *buf,
                          int vnni)
{
    rnn->q_hh = hh && buf ? hh : NULL;
    rnn->q_ih = hh && buf ? ih : NULL;
    rnn->q_buf = hh ? buf : NULL;
    rnn->q_vnni = hh && vnni;
}

int rnnkit__rnn_gate_width(const rnnkit__rnn *rnn) { return rnn->G * rnn->H; }

void rnnkit__rnn_input_rows(const rnnkit__rnn *rnn, int d, int n, const float *x, float *out)
{
    const rnn_unit *u = &rnn->units[d];
    rnnkit__rnn_gemm_xwt(rnn->pool, n, rnn->G * rnn->H, u->in, x, rnn->params->value + u->w_ih, 0.0f, out);
}

void rnnkit__rnn_capacity(const rnnkit__rnn *rnn, int *T, int *B, size_t *bytes)
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
void rnnkit__rnn_init(rnnkit__rnn *rnn, rnnkit_rng *rng, float forget_bias)
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
static int layout(rnnkit__rnn *rnn, float *base, size_t T, size_t B, size_t *total)
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

rnnkit_status rnnkit__rnn_reserve(rnnkit__rnn *rnn, int T, int B, rnnkit_error *err)
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
    float *ws = rnnkit__mem_large(need * sizeof(float), 0);
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

/* The packed W_hh of bf16 mode: room for either orientation. */
static rnnkit_status reserve_bf16_panels(rnnkit__rnn *rnn, rnnkit_error *err)
{
    const int GH = rnn->G * rnn->H;
    size_t fw = rnnkit__bf16_pb_words(GH, rnn->H), bw = rnnkit__bf16_pb_words(rnn->H, GH);
    size_t words = fw > bw ? fw : bw;
    rnn->bfp = aligned_alloc(64, words * sizeof(uint32_t));
    if (!rnn->bfp)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "rnn: out of memory for the packed bf16 W_hh (%zu bytes)",
                                words * sizeof(uint32_t));
    rnn->bfp_words = words;
    return RNNKIT_OK;
}

/* ---------------------------------------------------------------------- */
/* Whole layer */

rnnkit_status rnnkit__rnn_forward(rnnkit__rnn *rnn, int T, int B, const float *x,
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
    if (train && rnn->q_hh)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnn forward: int8 weights are for inference only");
    rnnkit_status st = rnnkit__rnn_reserve(rnn, T, B, err);
    if (st)
        return st;
    const int D = rnn->D, H = rnn->H;
    if (rnn->q_hh) {
        /* The activations' scratch: B rows of h (W_hh), T*B rows of the
         * layer below (W_ih above layer 0). */
        const size_t rows = rnn->L > 1 && rnn->q_ih ? (size_t)T * (size_t)B : (size_t)B;
        const size_t kp = (size_t)(rnn->L > 1 && rnn->q_ih ? rnn->q_ih[D].Kp : 0);
        st = rnnkit__qbuf_reserve(rnn->q_buf, rows, kp > (size_t)rnn->q_hh[0].Kp ? kp : (size_t)rnn->q_hh[0].Kp, err);
        if (st)
            return st;
    }
    if (B > 1 && !rnn->bfp && rnnkit__pool_bf16(rnn->pool) && (st = reserve_bf16_panels(rnn, err)))
        return st;
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
            rnnkit__dropout_forward(WN, rnn->cfg.weight_drop, rng, rnn->wd_w + i * WN, rnn->wd_m + i * WN);
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
            rnnkit__rnn_unit_forward(rnn, l, d, T, B, in, m, h0 ? h0 + i * BH : NULL, c0 ? c0 + i * BH : NULL);
        }
        if (use_dropout && l < rnn->L - 1)
            rnnkit__dropout_forward(TB * DH, rnn->cfg.dropout, rng, rnn->y[l], rnn->drop[l]);
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

rnnkit_status rnnkit__rnn_backward(rnnkit__rnn *rnn, const float *dy, const float *dhn,
                                  const float *dcn, float *dx, float *dh0, float *dc0,
                                  rnnkit_error *err)
{
    if (!rnn->trained)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "rnn backward: no training forward to differentiate (call "
                                "rnnkit__rnn_forward with train != 0 first)");
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
            rnnkit__rnn_unit_backward(rnn, l, d, T, B, in, m, dycur, dhn ? dhn + i * BH : NULL,
                                      lstm && dcn ? dcn + i * BH : NULL, dxl, dh0 ? dh0 + i * BH : NULL,
                                      lstm && dc0 ? dc0 + i * BH : NULL);
            if (dc0 && !lstm)
                memset(dc0 + i * BH, 0, BH * sizeof(float));
        }
        if (l > 0) {
            if (rnn->trained == 2)
                rnnkit__dropout_backward(TB * DH, rnn->drop[l - 1], spare);
            dycur = spare;
            float *tmp = spare;
            spare = other;
            other = tmp;
        }
    }
    return RNNKIT_OK;
}

