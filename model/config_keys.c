/*
 * model/config_keys.c: the table of configuration keys and the parsing and
 * formatting every reader and writer of configurations shares (see
 * model/config_keys.h, docs/model-format.md). Invariants: the table's order
 * is the order files have always listed the keys in (model files and
 * safetensors headers stay byte-identical; the forecaster's keys come after
 * every older one), and a bound may only widen (a file that loaded once
 * loads again). The spec keys' text (arrays, names, exact doubles) is
 * model/spec_keys.c's.
 */
#include "model/config_keys.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"

#define FIELD(f) ((ptrdiff_t)offsetof(rnnkit_model_config, f))
#define SPEC(f) ((ptrdiff_t)offsetof(rnnkit_forecast_spec, f))
#define DROP_MAX 0.999999 /* a rate of 1 would drop everything */
#define BELOW_ONE 0x1.fffffffffffffp-1 /* the largest double below 1 */
#define TEXT RNNKIT__KEY_TEXT
#define FC RNNKIT__KEY_FORECAST
#define FS (RNNKIT__KEY_FORECAST | RNNKIT__KEY_SPEC)

static const rnnkit__config_key keys[] = {
    {"task", RNNKIT__KEY_TASK, 0, 2, FIELD(task), 0},
    {"cell", RNNKIT__KEY_CELL, 0, 2, FIELD(cell), 0},
    {"embed", RNNKIT__KEY_INT, 1, 65536, FIELD(embed), TEXT},
    {"hidden", RNNKIT__KEY_INT, 1, 65536, FIELD(hidden), 0},
    {"layers", RNNKIT__KEY_INT, 1, 64, FIELD(layers), 0},
    {"bidirectional", RNNKIT__KEY_BOOL, 0, 1, FIELD(bidirectional), 0},
    {"pool", RNNKIT__KEY_POOL, 0, 2, FIELD(pool), TEXT},
    {"dropout", RNNKIT__KEY_FLOAT, 0, DROP_MAX, FIELD(dropout), 0},
    {"embed_dropout", RNNKIT__KEY_FLOAT, 0, DROP_MAX, FIELD(embed_dropout), TEXT},
    {"weight_drop", RNNKIT__KEY_FLOAT, 0, DROP_MAX, FIELD(weight_drop), RNNKIT__KEY_OPTIONAL},
    {"forget_bias", RNNKIT__KEY_FLOAT, -100, 100, FIELD(forget_bias), 0},
    {"maxlen", RNNKIT__KEY_INT, 0, 100000000, FIELD(maxlen), TEXT},
    {"keep_last", RNNKIT__KEY_BOOL, 0, 1, FIELD(keep_last), TEXT},
    {"vocab_size", RNNKIT__KEY_INT, 3, 1 << 24, -1, TEXT},
    {"num_labels", RNNKIT__KEY_INT, 0, RNNKIT_MAX_LABELS, -1, TEXT},
    {"members", RNNKIT__KEY_INT, 1, RNNKIT_MAX_MEMBERS, FIELD(members), RNNKIT__KEY_OPTIONAL | RNNKIT__KEY_IF_MANY},
    /* the forecaster: its window, then its rnnkit_forecast_spec */
    {"inputs", RNNKIT__KEY_INT, 1, RNNKIT_SERIES_MAX_COLUMNS, FIELD(inputs), FC},
    {"lookback", RNNKIT__KEY_INT, 1, 100000, FIELD(lookback), FC},
    {"horizon", RNNKIT__KEY_INT, 1, 10000, FIELD(horizon), FC},
    {"diff_order", RNNKIT__KEY_INT, 0, 1, SPEC(diff.order), FS},
    {"diff_season", RNNKIT__KEY_COUNT, 0, 100000, SPEC(diff.season), FS},
    {"season", RNNKIT__KEY_COUNT, 1, 100000, SPEC(season), FS},
    {"scale", RNNKIT__KEY_SCALE, 0, 2, SPEC(scaler.kind), FS},
    {"scale_offset", RNNKIT__KEY_DOUBLES, -DBL_MAX, DBL_MAX, SPEC(scaler.offset), FS},
    {"scale_scale", RNNKIT__KEY_DOUBLES, DBL_TRUE_MIN, DBL_MAX, SPEC(scaler.scale), FS},
    {"columns", RNNKIT__KEY_NAMES, 0, 0, SPEC(columns), FS},
    {"date_column", RNNKIT__KEY_NAME, 0, 0, SPEC(date), FS},
    {"test_frac", RNNKIT__KEY_DOUBLE, 0, BELOW_ONE, SPEC(test_frac), FS},
    {"valid_frac", RNNKIT__KEY_DOUBLE, 0, BELOW_ONE, SPEC(valid_frac), FS},
    /* the generator: a backward model (absent: forward, every older file) */
    {"reverse", RNNKIT__KEY_BOOL, 0, 1, FIELD(reverse), RNNKIT__KEY_OPTIONAL | RNNKIT__KEY_IF_SET | RNNKIT__KEY_GENERATE},
    /* bf16 products (absent: fp32, every older file) */
    {"bf16", RNNKIT__KEY_BOOL, 0, 1, FIELD(bf16), RNNKIT__KEY_OPTIONAL | RNNKIT__KEY_IF_SET},
    /* the embedding's uniform initial range (absent: N(0, 1), every older file) */
    {"embed_init", RNNKIT__KEY_FLOAT, 0, 100, FIELD(embed_init), RNNKIT__KEY_OPTIONAL | RNNKIT__KEY_IF_SET | TEXT},
};

const rnnkit__config_key *rnnkit__config_keys(int *n)
{
    *n = (int)(sizeof keys / sizeof keys[0]);
    return keys;
}

const rnnkit__config_key *rnnkit__config_key_find(const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

int rnnkit__config_key_for_task(const rnnkit__config_key *k, rnnkit_task t)
{
    if (k->flags & RNNKIT__KEY_TEXT)
        return t != RNNKIT_TASK_FORECAST;
    if (k->flags & RNNKIT__KEY_FORECAST)
        return t == RNNKIT_TASK_FORECAST;
    if (k->flags & RNNKIT__KEY_GENERATE)
        return t == RNNKIT_TASK_GENERATE;
    return 1;
}

const char *rnnkit_task_noun(rnnkit_task t)
{
    return t == RNNKIT_TASK_CLASSIFY ? "classifier" : t == RNNKIT_TASK_GENERATE ? "generator" : "forecaster";
}

static int parse_enum(const rnnkit__config_key *k, const char *v)
{
    switch (k->type) {
    case RNNKIT__KEY_TASK:
        for (int t = RNNKIT_TASK_CLASSIFY; t <= RNNKIT_TASK_FORECAST; t++)
            if (!strcmp(v, rnnkit_task_name((rnnkit_task)t)))
                return t;
        return -1;
    case RNNKIT__KEY_CELL: return rnnkit_cell_from_name(v);
    case RNNKIT__KEY_POOL: return rnnkit_pool_from_name(v);
    case RNNKIT__KEY_SCALE: return rnnkit_scale_kind_from_name(v);
    default: return -1;
    }
}

int rnnkit__config_key_parse(const rnnkit__config_key *k, const char *v, double *x)
{
    char *end = NULL;
    if (k->type == RNNKIT__KEY_TASK || k->type == RNNKIT__KEY_CELL || k->type == RNNKIT__KEY_POOL ||
        k->type == RNNKIT__KEY_SCALE) {
        int e = parse_enum(k, v);
        *x = e;
        return e < 0;
    }
    if (k->type == RNNKIT__KEY_BOOL && (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "no") || !strcmp(v, "false"))) {
        *x = v[0] == 'y' || v[0] == 't';
        return 0;
    }
    errno = 0;
    if (k->type == RNNKIT__KEY_FLOAT || k->type == RNNKIT__KEY_DOUBLE) {
        *x = strtod(v, &end);
        errno = 0; /* an underflow to 0 or a subnormal is a value like any other */
        if (!isfinite(*x))
            return 1;
    } else {
        *x = (double)strtoll(v, &end, 10);
    }
    return end == v || *end || errno || *x < k->lo || *x > k->hi;
}

void rnnkit__config_key_store(const rnnkit__config_key *k, rnnkit_model_config *cfg, double x)
{
    char *field = (char *)cfg + k->offset;
    switch (k->type) {
    case RNNKIT__KEY_FLOAT: *(float *)(void *)field = (float)x; break;
    case RNNKIT__KEY_TASK: *(rnnkit_task *)(void *)field = (rnnkit_task)x; break;
    case RNNKIT__KEY_CELL: *(rnnkit_cell *)(void *)field = (rnnkit_cell)x; break;
    case RNNKIT__KEY_POOL: *(rnnkit_pool *)(void *)field = (rnnkit_pool)x; break;
    default: *(int *)(void *)field = (int)x; break;
    }
}

void rnnkit__config_key_expect(const rnnkit__config_key *k, char *buf, size_t cap)
{
    switch (k->type) {
    case RNNKIT__KEY_TASK: snprintf(buf, cap, "classify, generate or forecast"); break;
    case RNNKIT__KEY_CELL: snprintf(buf, cap, "lstm, gru or rnn"); break;
    case RNNKIT__KEY_POOL: snprintf(buf, cap, "last, mean or max"); break;
    case RNNKIT__KEY_SCALE: snprintf(buf, cap, "none, minmax or standard"); break;
    case RNNKIT__KEY_BOOL: snprintf(buf, cap, "0 or 1"); break;
    case RNNKIT__KEY_FLOAT: snprintf(buf, cap, "a number in [%g, %g]", k->lo, k->hi); break;
    case RNNKIT__KEY_DOUBLE:
        snprintf(buf, cap, "a number in [%g, %s", k->lo, k->hi == BELOW_ONE ? "1)" : "...]");
        break;
    case RNNKIT__KEY_DOUBLES:
        snprintf(buf, cap, "a JSON array of at most %d %s numbers", RNNKIT_SERIES_MAX_COLUMNS,
                 k->lo > 0 ? "positive" : "finite");
        break;
    case RNNKIT__KEY_NAMES:
        snprintf(buf, cap, "a JSON array of at most %d names of under %d bytes", RNNKIT_SERIES_MAX_COLUMNS,
                 RNNKIT_FORECAST_NAME_MAX);
        break;
    case RNNKIT__KEY_NAME: snprintf(buf, cap, "a name of under %d bytes", RNNKIT_FORECAST_NAME_MAX); break;
    default: snprintf(buf, cap, "an integer in [%.0f, %.0f]", k->lo, k->hi); break;
    }
}
