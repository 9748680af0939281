/*
 * core/strbuf.c: the growable text buffer of core/strbuf.h. Capacity
 * doubles from 128 bytes, so appending n bytes in pieces costs O(n).
 */
#include "core/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rnnkit__strbuf_put(void *ctx, const char *s, size_t n)
{
    rnnkit__strbuf *b = ctx;
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void rnnkit__strbuf_puts(rnnkit__strbuf *b, const char *s) { rnnkit__strbuf_put(b, s, strlen(s)); }

void rnnkit__strbuf_printf(rnnkit__strbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = 1;
        return;
    }
    rnnkit__strbuf_put(b, tmp, (size_t)n);
}

void rnnkit__strbuf_free(rnnkit__strbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->failed = 0;
}
