/*
 * core/jsonread.h: reading JSON text that is not trusted (a safetensors
 * header, a JSON array of labels in metadata), one value at a time through a
 * cursor. Errors are RNNKIT_ERR_FORMAT "PATH: byte B: WHAT: problem", B
 * being the cursor's position plus `base` (the text's offset in its file).
 * Strings: escapes decoded (\uXXXX and surrogate pairs into UTF-8); a
 * \u0000, a lone surrogate or a raw control byte is refused, so a decoded
 * string is a C string.
 */
#ifndef RNNKIT_CORE_JSONREAD_H
#define RNNKIT_CORE_JSONREAD_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/status.h"

/* Nesting allowed when skipping values. */
#define RNNKIT__JSON_MAX_DEPTH 64

typedef struct rnnkit__jcur {
    const char *s;    /* the text [n], borrowed */
    size_t n, i;      /* its length, the position */
    size_t base;      /* added to i in messages */
    const char *path; /* for messages */
    const char *what; /* for messages: "safetensors header", ... */
    rnnkit_error *err;
} rnnkit__jcur;

/* Records "problem" at the cursor and returns RNNKIT_ERR_FORMAT. */
rnnkit_status rnnkit__json_fail(rnnkit__jcur *c, const char *problem);
/* Skips white space. */
void rnnkit__json_ws(rnnkit__jcur *c);
/* Consumes `ch` after white space: 1 if it was there, else 0 (nothing consumed). */
int rnnkit__json_eat(rnnkit__jcur *c, char ch);
/* Reads a string into a malloc'd NUL-terminated buffer *out (with out NULL
 * the string is only skipped). RNNKIT_ERR_NOMEM naming the path. */
rnnkit_status rnnkit__json_string_read(rnnkit__jcur *c, char **out);
/* Reads a non-negative integer that fits 64 bits (no fraction, no exponent). */
rnnkit_status rnnkit__json_uint(rnnkit__jcur *c, uint64_t *out);
/* Skips any value, nested at most RNNKIT__JSON_MAX_DEPTH deep from `depth`. */
rnnkit_status rnnkit__json_skip(rnnkit__jcur *c, int depth);

#endif
