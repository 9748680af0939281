/*
 * model/import.c: configurations from text, and a model from a safetensors
 * file: its "__metadata__" (as model/export.c writes it) gives the
 * configuration and labels, the caller's `key=value,...` string and labels
 * override them, then the weights are read (model/safetensors.c).
 *
 * Every key goes through model/config_keys.c's table, so the bounds are the
 * model file's. Metadata problems are RNNKIT_ERR_FORMAT naming the file;
 * problems with the caller's configuration RNNKIT_ERR_ARG. A forecaster
 * (task "forecast") has no vocabulary and no labels; its spec comes from
 * the metadata alone (spec keys are not `--config` keys).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonread.h"
#include "model/config_keys.h"
#include "model/model_internal.h"

rnnkit_status rnnkit_model_config_set(rnnkit_model_config *cfg, const char *key, const char *value,
                                      rnnkit_error *err)
{
    const rnnkit__config_key *k = rnnkit__config_key_find(key);
    if (!k)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: unknown configuration key", key);
    if (k->offset < 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: describes a model, not a configuration key you can set",
                                key);
    if (k->flags & RNNKIT__KEY_SPEC)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: part of a forecaster's spec (set by training, kept in "
                                "its files), not a configuration key you can set", key);
    double x;
    if (rnnkit__config_key_parse(k, value, &x)) {
        char expect[64];
        rnnkit__config_key_expect(k, expect, sizeof expect);
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: '%s' is not %s", key, value, expect);
    }
    rnnkit__config_key_store(k, cfg, x);
    return RNNKIT_OK;
}

/* Copies the next item of a comma-separated list into buf [cap]: 1, or 0 at
 * the end. An item too long for buf is cut (and then refused as a key). */
static int next_item(const char **p, char *buf, size_t cap)
{
    if (!*p)
        return 0;
    const char *comma = strchr(*p, ',');
    size_t len = comma ? (size_t)(comma - *p) : strlen(*p);
    snprintf(buf, cap, "%.*s", (int)(len < cap ? len : cap - 1), *p);
    *p = comma ? comma + 1 : NULL;
    return 1;
}

rnnkit_status rnnkit_model_config_parse(rnnkit_model_config *cfg, const char *spec, rnnkit_error *err)
{
    char item[256];
    for (const char *p = spec; next_item(&p, item, sizeof item);) {
        char *eq = strchr(item, '=');
        if (!eq)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "'%s' is not key=value", item);
        *eq = '\0';
        rnnkit_status st = rnnkit_model_config_set(cfg, item, eq + 1, err);
        if (st)
            return st;
    }
    return RNNKIT_OK;
}

/* The task a spec names last (*task unchanged when none). */
static void spec_task(const char *spec, rnnkit_task *task)
{
    char item[256];
    for (const char *p = spec; next_item(&p, item, sizeof item);)
        if (!strcmp(item, "task=classify") || !strcmp(item, "task=generate") || !strcmp(item, "task=forecast"))
            *task = item[5] == 'c' ? RNNKIT_TASK_CLASSIFY : item[5] == 'g' ? RNNKIT_TASK_GENERATE : RNNKIT_TASK_FORECAST;
}

/* Parses the metadata's `labels`, a JSON array of strings, into labels. */
static rnnkit_status parse_labels(const char *path, const char *json, char ***labels, int *n, rnnkit_error *err)
{
    rnnkit__jcur c = {json, strlen(json), 0, 0, path, "metadata 'labels'", err};
    rnnkit_status st = RNNKIT_OK;
    if (!rnnkit__json_eat(&c, '['))
        return rnnkit__json_fail(&c, "not a JSON array of strings");
    if (rnnkit__json_eat(&c, ']'))
        return RNNKIT_OK;
    do {
        char *s = NULL;
        if ((st = rnnkit__json_string_read(&c, &s)))
            return st;
        char **g = *n < RNNKIT_MAX_LABELS ? realloc(*labels, (size_t)(*n + 1) * sizeof *g) : NULL;
        if (!g) {
            free(s);
            return *n < RNNKIT_MAX_LABELS ? rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path)
                                          : rnnkit__json_fail(&c, "more labels than a classifier may have");
        }
        *labels = g;
        g[(*n)++] = s;
    } while (rnnkit__json_eat(&c, ','));
    if (!rnnkit__json_eat(&c, ']'))
        return rnnkit__json_fail(&c, "expected ',' or ']'");
    rnnkit__json_ws(&c);
    return c.i == c.n ? RNNKIT_OK : rnnkit__json_fail(&c, "bytes after the array");
}

/* What the metadata gives: the configuration, a classifier's labels, the
 * vocabulary size, a forecaster's spec. */
typedef struct meta_read {
    rnnkit_model_config cfg;
    char **labels;
    int nlabels;
    int64_t vocab_size;          /* -1: not in the metadata */
    rnnkit_forecast_spec spec;
    rnnkit__spec_seen seen;
} meta_read;

static rnnkit_status meta_error(const char *path, const char *key, const char *value, const char *expect,
                                rnnkit_error *err)
{
    return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: metadata: %s: '%.80s%s' is not %s", path, key, value,
                            strlen(value) > 80 ? "..." : "", expect);
}

/* A spec key of a forecaster's metadata. */
static rnnkit_status spec_key(const char *path, const rnnkit__config_key *key, const char *v, meta_read *r,
                              rnnkit_error *err)
{
    int bad = rnnkit__spec_key_parse(key, v, &r->spec, &r->seen);
    if (bad < 0)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory reading metadata '%s'", path, key->name);
    if (bad) {
        char expect[96];
        rnnkit__config_key_expect(key, expect, sizeof expect);
        return meta_error(path, key->name, v, expect, err);
    }
    return RNNKIT_OK;
}

static rnnkit_status apply_metadata(const char *path, char **keys, char **vals, int nmeta,
                                    const rnnkit_import_options *opt, meta_read *r, rnnkit_error *err)
{
    rnnkit_status st = RNNKIT_OK;
    const rnnkit_task task = r->cfg.task;
    for (int i = 0; i < nmeta && !st; i++) {
        const char *k = keys[i];
        const rnnkit__config_key *key = rnnkit__config_key_find(k);
        if (!strcmp(k, "format") || !strcmp(k, "rnnkit_version"))
            continue;
        if ((key && !rnnkit__config_key_for_task(key, task)) || (task == RNNKIT_TASK_FORECAST && !strcmp(k, "labels")))
            st = rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: metadata '%s' is not a key of a %s", path, k,
                                  rnnkit_task_noun(task));
        else if (!strcmp(k, "num_labels"))
            continue;
        else if (!strcmp(k, "vocab_size"))
            r->vocab_size = strtoll(vals[i], NULL, 10);
        else if (!strcmp(k, "labels"))
            st = opt->labels ? RNNKIT_OK : parse_labels(path, vals[i], &r->labels, &r->nlabels, err);
        else if (key && (key->flags & RNNKIT__KEY_SPEC))
            st = spec_key(path, key, vals[i], r, err);
        else if ((st = rnnkit_model_config_set(&r->cfg, k, vals[i], err))) {
            rnnkit_error_prefix(err, "%s: metadata", path);
            if (err)
                err->status = RNNKIT_ERR_FORMAT;
            st = RNNKIT_ERR_FORMAT;
        }
    }
    return st;
}

/* A forecaster's spec from what the metadata held: arrays it lacks are an
 * unfitted scaler and unnamed columns (a file written by hand or by torch). */
static rnnkit_status forecaster_spec(const char *path, meta_read *r, rnnkit_error *err)
{
    char why[192];
    if (r->seen.columns == SIZE_MAX)
        r->seen.columns = (size_t)r->cfg.inputs;
    if (r->seen.offsets == SIZE_MAX && r->seen.scales == SIZE_MAX)
        r->seen.offsets = r->seen.scales = 0;
    if (rnnkit__spec_check(&r->spec, r->cfg.inputs, &r->seen, why, sizeof why))
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s: metadata: %s", path, why);
    return RNNKIT_OK;
}

/* The checks before a model is built: labels, vocabulary. */
static rnnkit_status check_import(const char *path, const meta_read *r, rnnkit_vocab *vocab, int nlab,
                                  rnnkit_error *err)
{
    const rnnkit_task task = r->cfg.task;
    if (task == RNNKIT_TASK_FORECAST)
        return vocab ? rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s is a forecaster: it takes no vocabulary", path)
                     : RNNKIT_OK;
    if (!vocab)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s is a %s: it needs the vocabulary its embedding rows follow",
                                path, rnnkit_task_noun(task));
    if (task == RNNKIT_TASK_CLASSIFY && nlab < 2)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "a classifier needs its labels (none in %s)", path);
    if (r->vocab_size >= 0 && r->vocab_size != rnnkit_vocab_size(vocab))
        return rnnkit_error_set(err, RNNKIT_ERR_SHAPE, "%s: the weights are for a vocabulary of %lld ids, the "
                                "vocabulary has %lld", path, (long long)r->vocab_size,
                                (long long)rnnkit_vocab_size(vocab));
    return RNNKIT_OK;
}

rnnkit_status rnnkit_model_import_safetensors_file(const char *path, rnnkit_vocab *vocab,
                                                   const rnnkit_import_options *opt, rnnkit_model **out,
                                                   rnnkit_error *err)
{
    *out = NULL;
    static const rnnkit_import_options none = {NULL, NULL, 0};
    if (!opt)
        opt = &none;
    char **keys = NULL, **vals = NULL;
    int nmeta = 0;
    meta_read *r = calloc(1, sizeof *r);
    if (!r) {
        rnnkit_vocab_free(vocab);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
    }
    r->vocab_size = -1;
    r->seen = (rnnkit__spec_seen)RNNKIT__SPEC_SEEN_NONE;
    r->spec.season = 1; /* as rnnkit_model_create sets it */
    r->spec.scaler.kind = RNNKIT_SCALE_MINMAX;
    rnnkit_status st = rnnkit_safetensors_metadata(path, &keys, &vals, &nmeta, err);
    /* the task first: it picks the defaults the rest overrides */
    rnnkit_task task = RNNKIT_TASK_CLASSIFY;
    for (int i = 0; i < nmeta; i++)
        if (!strcmp(keys[i], "task") && (!strcmp(vals[i], "generate") || !strcmp(vals[i], "forecast")))
            task = vals[i][0] == 'g' ? RNNKIT_TASK_GENERATE : RNNKIT_TASK_FORECAST;
    if (opt->config)
        spec_task(opt->config, &task);
    rnnkit_model_config_default(&r->cfg, task);
    r->cfg.members = 1; /* a safetensors file holds one network */
    if (!st)
        st = apply_metadata(path, keys, vals, nmeta, opt, r, err);
    if (!st && opt->config)
        st = rnnkit_model_config_parse(&r->cfg, opt->config, err);
    const char *const *lab = opt->labels ? opt->labels : (const char *const *)r->labels;
    int nlab = opt->labels ? opt->nlabels : r->nlabels;
    if (!st)
        st = check_import(path, r, vocab, nlab, err);
    if (!st && r->cfg.task == RNNKIT_TASK_FORECAST)
        st = forecaster_spec(path, r, err);
    rnnkit_model *m = NULL;
    const int cls = r->cfg.task == RNNKIT_TASK_CLASSIFY;
    if (st)
        rnnkit_vocab_free(vocab);
    else if (!(st = rnnkit_model_create(&r->cfg, vocab, cls ? lab : NULL, cls ? nlab : 0, 1, &m, err)) &&
             (r->cfg.task != RNNKIT_TASK_FORECAST || !(st = rnnkit_model_set_forecast_spec(m, &r->spec, err))))
        st = rnnkit_model_import_safetensors(m, path, err);
    for (int i = 0; i < r->nlabels; i++)
        free(r->labels[i]);
    free(r->labels);
    free(r);
    rnnkit_safetensors_metadata_free(keys, vals, nmeta);
    if (st) {
        rnnkit_model_free(m);
        return st;
    }
    *out = m;
    return RNNKIT_OK;
}
