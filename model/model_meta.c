/*
 * model/model_meta.c: a model's configuration as the list of key/value
 * pairs that model files (model_meta) and safetensors metadata hold, in the
 * table's order (model/config_keys.c), the spec keys' text from
 * model/spec_keys.c. Built on both, so neither depends on the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config_keys.h"
#include "model/model_internal.h"

/* The text of m's value of k. */
static void format_value(const rnnkit__config_key *k, const rnnkit_model *m, char *buf, size_t cap)
{
    const rnnkit_model_config *c = &m->cfg;
    const char *field = (const char *)c + (k->offset >= 0 ? k->offset : 0);
    switch (k->type) {
    case RNNKIT__KEY_TASK: snprintf(buf, cap, "%s", rnnkit_task_name(c->task)); break;
    case RNNKIT__KEY_CELL: snprintf(buf, cap, "%s", rnnkit_cell_name(c->cell)); break;
    case RNNKIT__KEY_POOL: snprintf(buf, cap, "%s", rnnkit_pool_name(c->pool)); break;
    case RNNKIT__KEY_FLOAT: snprintf(buf, cap, "%.9g", (double)*(const float *)(const void *)field); break;
    default:
        if (!strcmp(k->name, "vocab_size"))
            snprintf(buf, cap, "%d", m->V);
        else if (!strcmp(k->name, "num_labels"))
            snprintf(buf, cap, "%d", c->task == RNNKIT_TASK_CLASSIFY ? m->K : 0);
        else if (!strcmp(k->name, "members"))
            snprintf(buf, cap, "%d", m->members); /* the model's count, whatever cfg said */
        else
            snprintf(buf, cap, "%d", *(const int *)(const void *)field);
    }
}

/* 1 when c's field of key k is not its default 0 (an int, or a float). */
static int key_is_set(const rnnkit__config_key *k, const rnnkit_model_config *c)
{
    const void *field = (const char *)c + k->offset;
    if (k->type == RNNKIT__KEY_FLOAT)
        return *(const float *)field != 0.0f;
    return *(const int *)field != 0;
}

int rnnkit__model_meta(const rnnkit_model *m, const char *format, rnnkit__meta_kv kv[RNNKIT__META_MAX])
{
    int n = 0;
    memset(kv, 0, RNNKIT__META_MAX * sizeof kv[0]);
    kv[n].key = "format";
    snprintf(kv[n++].value, sizeof kv[0].value, "%s", format);
    kv[n].key = "rnnkit_version";
    snprintf(kv[n++].value, sizeof kv[0].value, "%s", rnnkit_version());
    int nkeys;
    const rnnkit__config_key *keys = rnnkit__config_keys(&nkeys);
    for (int i = 0; i < nkeys && n < RNNKIT__META_MAX; i++) {
        if ((keys[i].flags & RNNKIT__KEY_IF_MANY) && m->members <= 1)
            continue; /* absent: one network (every file from before ensembles) */
        if ((keys[i].flags & RNNKIT__KEY_IF_SET) && !key_is_set(&keys[i], &m->cfg))
            continue; /* absent: the default (0) */
        if (!rnnkit__config_key_for_task(&keys[i], m->cfg.task))
            continue;
        kv[n].key = keys[i].name;
        if (!(keys[i].flags & RNNKIT__KEY_SPEC))
            format_value(&keys[i], m, kv[n].value, sizeof kv[0].value);
        else if (rnnkit__spec_key_format(&keys[i], &m->spec, m->cfg.inputs, &kv[n].text, NULL))
            return -1;
        n++;
    }
    return n;
}

void rnnkit__model_meta_free(rnnkit__meta_kv kv[RNNKIT__META_MAX])
{
    for (int i = 0; i < RNNKIT__META_MAX; i++) {
        free(kv[i].text);
        kv[i].text = NULL;
    }
}
