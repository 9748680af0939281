/*
 * model/export.c: writing a model's weights in the safetensors format.
 *
 * safetensors (the format of the Hugging Face `safetensors` project):
 *   u64 little-endian N, then N bytes of UTF-8 JSON (the header), then the
 *   tensor bytes. The header maps each tensor name to
 *     {"dtype": "F32", "shape": [R, C], "data_offsets": [begin, end]}
 *   with offsets in bytes relative to the first byte after the header, and
 *   may hold "__metadata__": a flat object of string -> string.
 *   Tensors are stored row-major, little-endian.
 *
 * What rnnkit writes: every tensor of the model under its PyTorch state_dict
 * name (embedding.weight, rnn.weight_ih_l0[_reverse], ..., fc.weight,
 * fc.bias) as F32, in the order the model declares them, back to back; the
 * header padded with spaces to a multiple of 8 bytes so the data is aligned;
 * the configuration in "__metadata__" under the keys of the model file's
 * model_meta table (format = "rnnkit", task, cell, embed, hidden, ...), the
 * labels as a JSON array in a string; a forecaster's keys and spec (no
 * labels, no embedding).
 *
 * A model loaded from an int8 model file (rnnkit_model_save_int8) is not
 * exported: its weights are rounded, and F32 tensors would pass them off as
 * a trained model's (docs/model-format.md).
 *
 * The keys and their formats are model/config_keys.c's table, the
 * layout of the file docs/model-format.md's. Reading is model/safetensors.c,
 * building a model from a file model/import.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "model/config_keys.h"
#include "model/model_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model/export.c writes native floats: add byte swapping for this platform"
#endif

/* ---------------------------------------------------------------------- */
/* The header, built in a core/strbuf.h buffer. */

/* Appends `s` as a JSON string (core/json.c's escapes, control bytes as \u00XX). */
static void sb_json_string(rnnkit__strbuf *b, const char *s)
{
    rnnkit__json_string(s, strlen(s), 0, rnnkit__strbuf_put, b);
}

/* ---------------------------------------------------------------------- */
/* Export */

/* The metadata value of the labels: a JSON array as a string, so the JSON
 * text is escaped twice on its way into the header. */
static void labels_json(rnnkit__strbuf *b, const rnnkit_model *m)
{
    rnnkit__strbuf_put(b, "[", 1);
    for (int k = 0; m->cfg.task == RNNKIT_TASK_CLASSIFY && k < m->K; k++) {
        if (k)
            rnnkit__strbuf_put(b, ",", 1);
        sb_json_string(b, m->labels[k]);
    }
    rnnkit__strbuf_put(b, "]", 1);
}

static void build_header(rnnkit__strbuf *h, const rnnkit_model *m)
{
    rnnkit__meta_kv kv[RNNKIT__META_MAX];
    int n = rnnkit__model_meta(m, "rnnkit", kv); /* one network: no members key */
    if (n < 0)
        h->failed = 1;
    rnnkit__strbuf_puts(h, "{\"__metadata__\":{");
    for (int i = 0; i < n; i++) {
        rnnkit__strbuf_printf(h, "%s\"%s\":", i ? "," : "", kv[i].key);
        sb_json_string(h, rnnkit__meta_value(&kv[i]));
    }
    rnnkit__model_meta_free(kv);
    if (m->cfg.task != RNNKIT_TASK_FORECAST) { /* a forecaster has no labels */
        rnnkit__strbuf lab = {0};
        labels_json(&lab, m);
        rnnkit__strbuf_puts(h, ",\"labels\":");
        if (lab.failed)
            h->failed = 1;
        else
            sb_json_string(h, lab.p);
        free(lab.p);
    }
    rnnkit__strbuf_puts(h, "}");
    size_t off = 0;
    for (int i = 0; i < m->params.nviews; i++) {
        const rnnkit__param_view *v = &m->params.views[i];
        rnnkit__strbuf_puts(h, ",");
        sb_json_string(h, v->name);
        if (v->ndim == 2)
            rnnkit__strbuf_printf(h, ":{\"dtype\":\"F32\",\"shape\":[%" PRId64 ",%" PRId64 "]", v->shape[0], v->shape[1]);
        else
            rnnkit__strbuf_printf(h, ":{\"dtype\":\"F32\",\"shape\":[%" PRId64 "]", v->shape[0]);
        rnnkit__strbuf_printf(h, ",\"data_offsets\":[%zu,%zu]}", off, off + v->numel * sizeof(float));
        off += v->numel * sizeof(float);
    }
    rnnkit__strbuf_puts(h, "}");
    while (h->n % 8)
        rnnkit__strbuf_puts(h, " ");
}

rnnkit_status rnnkit_model_export_safetensors(const rnnkit_model *m, const char *path,
                                              rnnkit_error *err)
{
    if (m->quantized) /* its weights are rounded: safetensors stands for the trained ones */
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: not written: the model holds int8 weights for prediction only; export the "
                                "fp32 model it was made from", path);
    if (m->members > 1)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "%s: the model is an ensemble of %d networks and a safetensors file holds one; "
                                "keep one first (rnnkit_model_keep_member, `rnnkit export --member N`)",
                                path, m->members);
    rnnkit__strbuf h = {0};
    build_header(&h, m);
    if (h.failed) {
        free(h.p);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory building the header", path);
    }
    rnnkit__atomic out;
    rnnkit_status st = rnnkit__atomic_open(&out, path, err);
    if (st) {
        free(h.p);
        return st;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    st = rnnkit__atomic_write(&out, len8, 8, err);
    if (!st)
        st = rnnkit__atomic_write(&out, h.p, h.n, err);
    /* Views are declared back to back, so the data is one block in the
     * model's declaration order, the order of the offsets written above. */
    for (int i = 0; !st && i < m->params.nviews; i++) {
        const rnnkit__param_view *v = &m->params.views[i];
        st = rnnkit__atomic_write(&out, m->params.value + v->offset, v->numel * sizeof(float), err);
    }
    if (st)
        rnnkit__atomic_discard(&out);
    else
        st = rnnkit__atomic_commit(&out, err);
    free(h.p);
    return st;
}
