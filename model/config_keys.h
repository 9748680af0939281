/*
 * model/config_keys.h: the one table of configuration keys. Each row says
 * how a value is named, typed and bounded as text, and where it lives in
 * rnnkit_model_config (or that it describes the model, not its
 * configuration: vocab_size, num_labels). The model file's model_meta table
 * (model/modelfile.c), the safetensors metadata (model/export.c), the
 * import of safetensors metadata and `--config` strings (model/import.c)
 * all go through it, so a key means the same everywhere. The table is
 * docs/model-format.md's "model_meta" section; keep the two in step.
 *
 * A key belongs to every task, to the text tasks only (classifier and
 * generator: the embedding, pooling, vocabulary and labels) or to the
 * forecaster only (its inputs, window and rnnkit_forecast_spec); a file
 * holds exactly the keys of its task. The forecaster's spec keys
 * (RNNKIT__KEY_SPEC) live in rnnkit_forecast_spec, not in the
 * configuration; their doubles are written "%.17g" and read back bit for
 * bit (model/spec_keys.c).
 */
#ifndef RNNKIT_MODEL_CONFIG_KEYS_H
#define RNNKIT_MODEL_CONFIG_KEYS_H

#include <stddef.h>

#include "rnnkit/model.h"

typedef enum rnnkit__key_type {
    RNNKIT__KEY_INT,   /* decimal integer in [lo, hi], "%d" */
    RNNKIT__KEY_BOOL,  /* 0 or 1 (read also: yes/no/true/false), "%d" */
    RNNKIT__KEY_FLOAT, /* finite decimal in [lo, hi], "%.9g" of the float */
    RNNKIT__KEY_TASK,  /* classify | generate */
    RNNKIT__KEY_CELL,  /* lstm | gru | rnn */
    RNNKIT__KEY_POOL,  /* last | mean | max */
    RNNKIT__KEY_COUNT, /* decimal integer in [lo, hi] into a size_t, "%zu" */
    RNNKIT__KEY_DOUBLE,/* finite decimal in [lo, hi] into a double, "%.17g" (exact) */
    RNNKIT__KEY_SCALE, /* none | minmax | standard (rnnkit_scale_kind) */
    RNNKIT__KEY_DOUBLES,/* JSON array of at most RNNKIT_SERIES_MAX_COLUMNS finite numbers in
                         * [lo, hi], each "%.17g" (exact): one per input column, [] unfitted */
    RNNKIT__KEY_NAMES, /* JSON array of at most RNNKIT_SERIES_MAX_COLUMNS strings, each
                        * shorter than RNNKIT_FORECAST_NAME_MAX bytes */
    RNNKIT__KEY_NAME   /* the text itself, shorter than RNNKIT_FORECAST_NAME_MAX bytes */
} rnnkit__key_type;

/* Flags of a key. */
#define RNNKIT__KEY_OPTIONAL 1 /* files from before the key existed lack it: the default stands */
#define RNNKIT__KEY_IF_MANY 2  /* written only when the value is above 1 (members) */
#define RNNKIT__KEY_TEXT 4     /* classifier and generator only */
#define RNNKIT__KEY_FORECAST 8 /* forecaster only */
#define RNNKIT__KEY_SPEC 16    /* offset is into rnnkit_forecast_spec (forecaster only) */
#define RNNKIT__KEY_IF_SET 32  /* written only when the (int) field is nonzero */
#define RNNKIT__KEY_GENERATE 64 /* generator only */

typedef struct rnnkit__config_key {
    const char *name;
    rnnkit__key_type type;
    double lo, hi;    /* bounds of a number, inclusive */
    ptrdiff_t offset; /* offsetof(rnnkit_model_config, field), or of rnnkit_forecast_spec
                       * with RNNKIT__KEY_SPEC; -1: a property of the model */
    int flags;
} rnnkit__config_key;

/* The keys in the order files list them. */
const rnnkit__config_key *rnnkit__config_keys(int *n);
/* The row of `name`, NULL when there is none. */
const rnnkit__config_key *rnnkit__config_key_find(const char *name);

/* 1 when key k belongs in the configuration of a model of task t. */
int rnnkit__config_key_for_task(const rnnkit__config_key *k, rnnkit_task t);

/* Parses `value` for a scalar key k (not DOUBLES, NAMES, NAME) into *x (a
 * number, or the enum's value). Returns 0, or 1 when the value is
 * malformed or out of bounds. */
int rnnkit__config_key_parse(const rnnkit__config_key *k, const char *value, double *x);
/* Stores x (as parsed) into cfg's field of k (k->offset >= 0). */
void rnnkit__config_key_store(const rnnkit__config_key *k, rnnkit_model_config *cfg, double x);
/* "an integer in [1, 65536]", "lstm, gru or rnn", ...: what k accepts. */
void rnnkit__config_key_expect(const rnnkit__config_key *k, char *buf, size_t cap);

/* One key and its value as text: `value`, or the malloc'd `text` for the
 * values that may be long (arrays, names) when it is not NULL. */
typedef struct rnnkit__meta_kv {
    const char *key;
    char value[64];
    char *text;
} rnnkit__meta_kv;
#define RNNKIT__META_MAX 40

static inline const char *rnnkit__meta_value(const rnnkit__meta_kv *kv) { return kv->text ? kv->text : kv->value; }

/* The metadata of m in file order: format = `format` ("rnnkit-model" in a
 * model file, "rnnkit" in safetensors), rnnkit_version, then every key of
 * the table that belongs to m's task (members only for an ensemble).
 * Returns the count, or -1 when out of memory; release it with
 * rnnkit__model_meta_free either way. */
int rnnkit__model_meta(const rnnkit_model *m, const char *format, rnnkit__meta_kv kv[RNNKIT__META_MAX]);
void rnnkit__model_meta_free(rnnkit__meta_kv kv[RNNKIT__META_MAX]);

/* ---------------------------------------------------------------------- */
/* The forecaster's spec keys (model/spec_keys.c) */

/* The text of spec key k of `spec` for a model of `inputs` columns, into a
 * malloc'd string *out. RNNKIT_ERR_NOMEM. */
rnnkit_status rnnkit__spec_key_format(const rnnkit__config_key *k, const rnnkit_forecast_spec *spec, int inputs,
                                      char **out, rnnkit_error *err);

/* What a reader of spec keys has seen: the lengths of the arrays (SIZE_MAX
 * while their key is absent). */
typedef struct rnnkit__spec_seen {
    size_t offsets, scales, columns;
} rnnkit__spec_seen;
#define RNNKIT__SPEC_SEEN_NONE {SIZE_MAX, SIZE_MAX, SIZE_MAX}

/* Parses `value` for spec key k into spec (and the array's length into
 * seen). Returns 0, 1 when the value is malformed or out of bounds (the
 * key's field may be half written then), -1 when out of memory. */
int rnnkit__spec_key_parse(const rnnkit__config_key *k, const char *value, rnnkit_forecast_spec *spec,
                           rnnkit__spec_seen *seen);

/* After every spec key was parsed for a model of `inputs` columns: the
 * arrays' lengths agree (scale_offset and scale_scale: 0, not fitted, or
 * inputs; columns: inputs) and spec->scaler.ncols is set. Returns NULL, or
 * what is wrong, naming the key, in buf [cap]. */
const char *rnnkit__spec_check(rnnkit_forecast_spec *spec, int inputs, const rnnkit__spec_seen *seen, char *buf,
                               size_t cap);

#endif
