/*
 * model/import.c: configurations from text, and a model from a safetensors
 * file: its "__metadata__" (as model/export.c writes it) gives the
 * configuration and labels, the caller's `key=value,...` string and labels
 * override them, then the weights are read (model/safetensors.c).
 *
 * Every key goes through model/config_keys.c's table, so the bounds are the
 * model file's. Metadata problems are RNNKIT_ERR_FORMAT naming the file;
 * problems with the caller's configuration RNNKIT_ERR_ARG.
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
        if (!strcmp(item, "task=classify") || !strcmp(item, "task=generate"))
            *task = item[5] == 'c' ? RNNKIT_TASK_CLASSIFY : RNNKIT_TASK_GENERATE;
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

/* The configuration, labels and vocabulary size the metadata gives. */
static rnnkit_status apply_metadata(const char *path, char **keys, char **vals, int nmeta,
                                    const rnnkit_import_options *opt, rnnkit_model_config *cfg, char ***labels,
                                    int *nlabels, int64_t *vocab_size, rnnkit_error *err)
{
    rnnkit_status st;
    for (int i = 0; i < nmeta; i++) {
        const char *k = keys[i];
        if (!strcmp(k, "format") || !strcmp(k, "rnnkit_version") || !strcmp(k, "num_labels"))
            continue;
        if (!strcmp(k, "vocab_size")) {
            *vocab_size = strtoll(vals[i], NULL, 10);
        } else if (!strcmp(k, "labels")) {
            if (!opt->labels && (st = parse_labels(path, vals[i], labels, nlabels, err)))
                return st;
        } else if ((st = rnnkit_model_config_set(cfg, k, vals[i], err))) {
            rnnkit_error_prefix(err, "%s: metadata", path);
            if (err)
                err->status = RNNKIT_ERR_FORMAT;
            return RNNKIT_ERR_FORMAT;
        }
    }
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
    char **keys = NULL, **vals = NULL, **labels = NULL;
    int nmeta = 0, nlabels = 0;
    int64_t meta_vocab = -1;
    rnnkit_status st = rnnkit_safetensors_metadata(path, &keys, &vals, &nmeta, err);
    /* the task first: it picks the defaults the rest overrides */
    rnnkit_task task = RNNKIT_TASK_CLASSIFY;
    for (int i = 0; i < nmeta; i++)
        if (!strcmp(keys[i], "task") && !strcmp(vals[i], "generate"))
            task = RNNKIT_TASK_GENERATE;
    if (opt->config)
        spec_task(opt->config, &task);
    rnnkit_model_config cfg;
    rnnkit_model_config_default(&cfg, task);
    cfg.members = 1; /* a safetensors file holds one network */
    if (!st)
        st = apply_metadata(path, keys, vals, nmeta, opt, &cfg, &labels, &nlabels, &meta_vocab, err);
    if (!st && opt->config)
        st = rnnkit_model_config_parse(&cfg, opt->config, err);
    const char *const *lab = opt->labels ? opt->labels : (const char *const *)labels;
    int nlab = opt->labels ? opt->nlabels : nlabels;
    if (!st && cfg.task == RNNKIT_TASK_CLASSIFY && nlab < 2)
        st = rnnkit_error_set(err, RNNKIT_ERR_ARG, "a classifier needs its labels (none in %s)", path);
    if (!st && meta_vocab >= 0 && meta_vocab != rnnkit_vocab_size(vocab))
        st = rnnkit_error_set(err, RNNKIT_ERR_SHAPE, "%s: the weights are for a vocabulary of %lld ids, the "
                              "vocabulary has %lld", path, (long long)meta_vocab, (long long)rnnkit_vocab_size(vocab));
    rnnkit_model *m = NULL;
    if (st)
        rnnkit_vocab_free(vocab);
    else if (!(st = rnnkit_model_create(&cfg, vocab, cfg.task == RNNKIT_TASK_CLASSIFY ? lab : NULL,
                                        cfg.task == RNNKIT_TASK_CLASSIFY ? nlab : 0, 1, &m, err)))
        st = rnnkit_model_import_safetensors(m, path, err);
    for (int i = 0; i < nlabels; i++)
        free(labels[i]);
    free(labels);
    rnnkit_safetensors_metadata_free(keys, vals, nmeta);
    if (st) {
        rnnkit_model_free(m);
        return st;
    }
    *out = m;
    return RNNKIT_OK;
}
