/*
 * model/sampler.c: sampling from a generator one token at a time. A sampler
 * holds one stream's recurrent state (one per ready member of an ensemble)
 * and its own scratch (the embedding of the token fed, the next token's
 * logits and probabilities, the candidate order), so sampling never touches
 * the model's batch workspace and a model may be evaluated between two
 * draws.
 *
 * The next token's logits: the network's own; an ensemble's are
 * log(mean_k softmax(z_k)), the log of its members' mean probabilities
 * (each member fed the same tokens from its own state), so a draw from them
 * is a draw from the mixture.
 *
 * A draw: p_v proportional to exp((z_v - z_max) / T) over the ids v >= 2
 * (<pad> and <unk> are never produced); with top-k or top-p the candidates
 * are sorted by probability (descending, ties by id), top-k keeps the k
 * first, top-p the shortest prefix holding at least p of the kept mass; one
 * uniform number picks among what is kept, in that order.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"
#include "model/nn_internal.h"

struct rnnkit_sampler {
    rnnkit_model *m;
    int R;                  /* networks fed: the model's ready members */
    size_t S;               /* floats of one network's state: [L][1][H] */
    float *h, *c;           /* [R][S] each network's state */
    float *hn, *cn;         /* [S] a step's new state */
    float *x;               /* [E] embedding of the token fed */
    float *logits;          /* [V] logits of the next token */
    float *zk;              /* [V] one member's logits (R > 1) */
    double *mix;            /* [V] the members' summed probabilities (R > 1) */
    float *p;               /* [V] unnormalised probabilities of a draw */
    int32_t *order;         /* [V] candidates of a draw */
    int fed;
};

rnnkit_status rnnkit_sampler_new(rnnkit_model *m, rnnkit_sampler **out, rnnkit_error *err)
{
    *out = NULL;
    if (m->cfg.task != RNNKIT_TASK_GENERATE)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "this model is a classifier, not a generator");
    rnnkit_sampler *s = calloc(1, sizeof *s);
    const size_t V = (size_t)m->V;
    if (s) {
        s->m = m;
        s->R = m->ready > 1 ? m->ready : 1;
        s->S = (size_t)m->LD * (size_t)m->cfg.hidden;
        s->h = calloc((size_t)s->R * s->S, sizeof(float));
        s->c = calloc((size_t)s->R * s->S, sizeof(float));
        s->hn = calloc(s->S, sizeof(float));
        s->cn = calloc(s->S, sizeof(float));
        s->x = calloc((size_t)m->cfg.embed, sizeof(float));
        s->logits = calloc(V, sizeof(float));
        s->p = calloc(V, sizeof(float));
        s->order = calloc(V, sizeof(int32_t));
        if (s->R > 1) {
            s->zk = calloc(V, sizeof(float));
            s->mix = calloc(V, sizeof(double));
        }
    }
    if (!s || !s->h || !s->c || !s->hn || !s->cn || !s->x || !s->logits || !s->p || !s->order ||
        (s->R > 1 && (!s->zk || !s->mix))) {
        rnnkit_sampler_free(s);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the sampler");
    }
    rnnkit_status st = rnnkit__rnn_reserve(m->rnn, 1, 1, err);
    if (st) {
        rnnkit_sampler_free(s);
        return st;
    }
    *out = s;
    return RNNKIT_OK;
}

void rnnkit_sampler_free(rnnkit_sampler *s)
{
    if (!s)
        return;
    free(s->h);
    free(s->c);
    free(s->hn);
    free(s->cn);
    free(s->x);
    free(s->logits);
    free(s->zk);
    free(s->mix);
    free(s->p);
    free(s->order);
    free(s);
}

void rnnkit_sampler_reset(rnnkit_sampler *s)
{
    memset(s->h, 0, (size_t)s->R * s->S * sizeof(float));
    memset(s->c, 0, (size_t)s->R * s->S * sizeof(float));
    s->fed = 0;
}

/* One step of the network in use from state k: its logits into z. */
static rnnkit_status feed_one(rnnkit_sampler *s, int k, float *z, rnnkit_error *err)
{
    rnnkit_model *m = s->m;
    const int lstm = m->cfg.cell == RNNKIT_CELL_LSTM;
    float *h = s->h + (size_t)k * s->S, *c = s->c + (size_t)k * s->S;
    const float *y = NULL;
    rnnkit_status st = rnnkit__rnn_forward(m->rnn, 1, 1, s->x, NULL, h, lstm ? c : NULL, 0, NULL, &y, s->hn,
                                           lstm ? s->cn : NULL, err);
    if (st)
        return st;
    memcpy(h, s->hn, s->S * sizeof(float));
    if (lstm)
        memcpy(c, s->cn, s->S * sizeof(float));
    rnnkit__dense_forward(&m->fc, 1, y, z);
    return RNNKIT_OK;
}

rnnkit_status rnnkit_sampler_feed(rnnkit_sampler *s, int32_t id, rnnkit_error *err)
{
    rnnkit_model *m = s->m;
    const int V = m->V, cur = m->cur;
    rnnkit_status st = RNNKIT_OK;
    if (s->R > 1)
        memset(s->mix, 0, (size_t)V * sizeof(double));
    for (int k = 0; k < s->R && !st; k++) {
        if (s->R > 1)
            rnnkit__model_use_member(m, k);
        /* the embedding is each member's own */
        if ((st = rnnkit__embedding_forward(&m->emb, &id, 1, s->x, err)) ||
            (st = feed_one(s, k, s->R > 1 ? s->zk : s->logits, err)))
            break;
        if (s->R > 1) {
            const double lse = rnnkit__logsumexp(V, s->zk);
            for (int v = 0; v < V; v++)
                s->mix[v] += exp((double)s->zk[v] - lse);
        }
    }
    rnnkit__model_use_member(m, cur);
    if (st)
        return st;
    for (int v = 0; s->R > 1 && v < V; v++) /* log of the mean; an underflowed 0 stays far below any kept id */
        s->logits[v] = s->mix[v] > 0 ? (float)log(s->mix[v] / s->R) : -1e30f;
    s->fed = 1;
    return RNNKIT_OK;
}

const float *rnnkit_sampler_logits(const rnnkit_sampler *s)
{
    return s->logits;
}

int32_t rnnkit_sampler_draw(rnnkit_sampler *s, const rnnkit_sample_options *o, rnnkit_rng *rng)
{
    const int V = s->m->V;
    const float *z = s->logits; /* logits */
    /* Reserved ids are never produced. */
    int32_t best = 2;
    for (int v = 3; v < V; v++)
        if (z[v] > z[best])
            best = v;
    if (o->argmax || !s->fed)
        return best;
    float temp = o->temperature > 1e-4f ? o->temperature : 1e-4f;
    /* p_v proportional to exp((z_v - z_max)/T) over v >= 2 */
    int n = 0;
    double total = 0.0;
    float *p = s->p;
    for (int v = 2; v < V; v++) {
        p[v] = expf((z[v] - z[best]) / temp);
        s->order[n++] = v;
    }
    /* with top-k or top-p: candidates by probability, descending, ties by
     * id (a shell sort: V is small for characters) */
    int keep = n;
    if (o->top_k > 0 || (o->top_p > 0 && o->top_p < 1)) {
        for (int gap = n / 2; gap > 0; gap /= 2)
            for (int i = gap; i < n; i++) {
                int32_t x = s->order[i];
                int j = i;
                while (j >= gap && (p[s->order[j - gap]] < p[x] ||
                                    (p[s->order[j - gap]] == p[x] && s->order[j - gap] > x))) {
                    s->order[j] = s->order[j - gap];
                    j -= gap;
                }
                s->order[j] = x;
            }
        if (o->top_k > 0 && o->top_k < keep)
            keep = o->top_k;
        if (o->top_p > 0 && o->top_p < 1) {
            double all = 0.0;
            for (int i = 0; i < keep; i++)
                all += p[s->order[i]];
            double acc = 0.0;
            for (int i = 0; i < keep; i++) {
                acc += p[s->order[i]];
                if (acc >= o->top_p * all) {
                    keep = i + 1;
                    break;
                }
            }
        }
    }
    for (int i = 0; i < keep; i++)
        total += p[s->order[i]];
    double u = (double)rnnkit_rng_uniform(rng) * total, acc = 0.0;
    for (int i = 0; i < keep; i++) {
        acc += p[s->order[i]];
        if (u < acc)
            return s->order[i];
    }
    return s->order[keep - 1];
}
