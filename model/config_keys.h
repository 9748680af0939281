/*
 * model/config_keys.h: the one table of configuration keys. Each row says
 * how a value is named, typed and bounded as text, and where it lives in
 * rnnkit_model_config (or that it describes the model, not its
 * configuration: vocab_size, num_labels). The model file's model_meta table
 * (model/modelfile.c), the safetensors metadata (model/export.c), the
 * import of safetensors metadata and `--config` strings (model/import.c)
 * all go through it, so a key means the same everywhere. The table is
 * docs/model-format.md's "model_meta" section; keep the two in step.
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
    RNNKIT__KEY_POOL   /* last | mean | max */
} rnnkit__key_type;

/* Flags of a key. */
#define RNNKIT__KEY_OPTIONAL 1 /* files from before the key existed lack it: the default stands */
#define RNNKIT__KEY_IF_MANY 2  /* written only when the value is above 1 (members) */

typedef struct rnnkit__config_key {
    const char *name;
    rnnkit__key_type type;
    double lo, hi;    /* bounds of a number, inclusive */
    ptrdiff_t offset; /* offsetof(rnnkit_model_config, field); -1: a property of the model */
    int flags;
} rnnkit__config_key;

/* The keys in the order files list them. */
const rnnkit__config_key *rnnkit__config_keys(int *n);
/* The row of `name`, NULL when there is none. */
const rnnkit__config_key *rnnkit__config_key_find(const char *name);

/* Parses `value` for key k into *x (a number, or the enum's value). Returns
 * 0, or 1 when the value is malformed or out of bounds. */
int rnnkit__config_key_parse(const rnnkit__config_key *k, const char *value, double *x);
/* Stores x (as parsed) into cfg's field of k (k->offset >= 0). */
void rnnkit__config_key_store(const rnnkit__config_key *k, rnnkit_model_config *cfg, double x);
/* "an integer in [1, 65536]", "lstm, gru or rnn", ...: what k accepts. */
void rnnkit__config_key_expect(const rnnkit__config_key *k, char *buf, size_t cap);

/* One key and its value as text. */
typedef struct rnnkit__meta_kv {
    const char *key;
    char value[64];
} rnnkit__meta_kv;
#define RNNKIT__META_MAX 24

/* The metadata of m in file order: format = `format` ("rnnkit-model" in a
 * model file, "rnnkit" in safetensors), rnnkit_version, then every key of
 * the table (members only for an ensemble). Returns the count. */
int rnnkit__model_meta(const rnnkit_model *m, const char *format, rnnkit__meta_kv kv[RNNKIT__META_MAX]);

#endif
