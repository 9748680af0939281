/*
 * core/strbuf.h: a growable NUL-terminated text buffer for the library's
 * writers of JSON and metadata. An allocation failure is sticky: `failed`
 * is set and every later append is dropped, so a writer appends freely and
 * checks once at the end. Internal (not installed).
 */
#ifndef RNNKIT_CORE_STRBUF_H
#define RNNKIT_CORE_STRBUF_H

#include <stddef.h>

typedef struct rnnkit__strbuf {
    char *p;      /* NUL-terminated when n > 0; NULL before the first append; owned */
    size_t n;     /* bytes, the NUL excluded */
    size_t cap;
    int failed;   /* an allocation (or a too long printf) failed */
} rnnkit__strbuf;

/* Appends n bytes (ctx is the buffer: usable as a rnnkit__json_string sink). */
void rnnkit__strbuf_put(void *ctx, const char *s, size_t n);
void rnnkit__strbuf_puts(rnnkit__strbuf *b, const char *s);
/* Appends printf output of at most 255 bytes (longer: failed). */
void rnnkit__strbuf_printf(rnnkit__strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the text; the buffer is empty again. */
void rnnkit__strbuf_free(rnnkit__strbuf *b);

#endif
