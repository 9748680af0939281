/*
 * core/json.h: writing JSON strings. The one escaper behind every JSON text
 * the library writes (safetensors headers, vocabulary exports).
 *
 * Escaped: '"' and '\\' with a backslash, control bytes 0x00..0x1F as
 * \u00XX (or, with RNNKIT__JSON_SHORT, \n \r \t as those two-byte
 * escapes). Every other byte goes out as it is: the text is UTF-8 by the
 * caller's contract, and JSON carries UTF-8 unescaped.
 */
#ifndef RNNKIT_CORE_JSON_H
#define RNNKIT_CORE_JSON_H

#include <stddef.h>

/* Flag: \n, \r and \t as two-byte escapes (the vocabulary exports); without
 * it they are \u000a, \u000d, \u0009 (the safetensors header, as it has
 * always been written). */
#define RNNKIT__JSON_SHORT 1

/* Receives output bytes; ctx is the caller's sink (a buffer, a FILE). */
typedef void (*rnnkit__json_put)(void *ctx, const char *bytes, size_t n);

/* Writes the body of a JSON string (no quotes) holding s[0..n). */
void rnnkit__json_escape(const char *s, size_t n, int flags, rnnkit__json_put put, void *ctx);

/* The same with the enclosing quotes. */
void rnnkit__json_string(const char *s, size_t n, int flags, rnnkit__json_put put, void *ctx);

#endif
