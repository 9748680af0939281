/*
 * corpora/buf.c: the growable byte buffer every corpus lives in, reading a
 * whole file into it, the NUL/UTF-8 check with file:line:offset messages,
 * and rnnkit_read_text_file.
 *
 * Files are read whole, never line by line into fixed buffers, so a line may
 * be as long as memory allows. The buffer grows by doubling: n appends cost
 * O(n) copies in total.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/input.h"
#include "corpora/corpus_internal.h"

/* -------------------------------------------------------------- buffer */

rnnkit_status rnnkit__buf_reserve(rnnkit__buf *b, size_t extra, rnnkit_error *err)
{
    /* room for len + extra bytes and one NUL */
    if (extra > SIZE_MAX - 1 - b->len)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "buffer size overflows size_t");
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return RNNKIT_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM,
                                "out of memory growing a buffer to %zu bytes", cap);
    b->data = p;
    b->cap = cap;
    return RNNKIT_OK;
}

rnnkit_status rnnkit__buf_append(rnnkit__buf *b, const void *p, size_t n, size_t *off,
                                 rnnkit_error *err)
{
    rnnkit_status st = rnnkit__buf_reserve(b, n, err);
    if (st)
        return st;
    if (off)
        *off = b->len;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return RNNKIT_OK;
}

rnnkit_status rnnkit__buf_appendf(rnnkit__buf *b, size_t *off, rnnkit_error *err,
                                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "cannot format a message");
    rnnkit_status st = rnnkit__buf_reserve(b, (size_t)n + 1, err);
    if (st)
        return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (off)
        *off = b->len;
    b->len += (size_t)n + 1; /* keep the NUL: strings stay separate */
    b->data[b->len] = '\0';
    return RNNKIT_OK;
}

/* ------------------------------------------------------------- reading */

const char *rnnkit__display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/* Reads in to its end into b; `name` for messages. */
static rnnkit_status read_stream(rnnkit__buf *b, rnnkit__input *in, const char *name, size_t hint,
                                 rnnkit_error *err)
{
    FILE *f = in->f;
    rnnkit_status st = rnnkit__buf_reserve(b, hint ? hint : 65536, err);
    if (st)
        return st;
    for (;;) {
        size_t room = b->cap - 1 - b->len;
        if (room == 0) {
            /* full: double (reserve grows to at least twice the capacity) */
            st = rnnkit__buf_reserve(b, b->cap, err);
            if (st)
                return st;
            room = b->cap - 1 - b->len;
        }
        size_t got = fread(b->data + b->len, 1, room, f);
        b->len += got;
        if (got < room) {
            if (ferror(f))
                return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: read error: %s", name,
                                        rnnkit__input_why(in));
            break; /* end of file */
        }
    }
    b->data[b->len] = '\0';
    return RNNKIT_OK;
}

rnnkit_status rnnkit__buf_read_file(rnnkit__buf *b, const char *path, size_t *off, size_t *n,
                                    rnnkit_error *err)
{
    const char *name = rnnkit__display_name(path);
    size_t start = b->len;
    struct stat sb;
    int is_stdin = strcmp(path, "-") == 0;
    if (!is_stdin && stat(path, &sb) != 0)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
    rnnkit__input in;
    rnnkit_status st = rnnkit__input_open(&in, path, err);
    if (st)
        return st;
    /* A regular file's size is a good first capacity (a compressed one's
     * too); pipes and special files report 0 and grow by doubling. */
    size_t hint = 0;
    if (!is_stdin && S_ISREG(sb.st_mode) && sb.st_size > 0 && (uintmax_t)sb.st_size < SIZE_MAX / 4)
        hint = (size_t)sb.st_size * (rnnkit__input_is_gzip(&in) ? 3 : 1) + 1; /* +1: EOF without a doubling */
    st = read_stream(b, &in, name, hint, err);
    rnnkit__input_close(&in);
    if (st) {
        b->len = start;
        return st;
    }
    if (off)
        *off = start;
    if (n)
        *n = b->len - start;
    return RNNKIT_OK;
}

/* ------------------------------------------------------------ checking */

/* 1-based line number of offset `at` in s, counting from `line` at s[0]. */
static size_t line_of(const unsigned char *s, size_t at, size_t line)
{
    const unsigned char *p = s, *end = s + at;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        line++;
        p = nl + 1;
    }
    return line;
}

rnnkit_status rnnkit__check_text(const char *name, const unsigned char *s, size_t n, size_t base,
                                 size_t line, rnnkit_error *err)
{
    const unsigned char *z = memchr(s, '\0', n);
    size_t zat = z ? (size_t)(z - s) : n;
    /* Only the prefix before a NUL needs UTF-8 checking to know which comes first. */
    size_t bad = rnnkit__utf8_invalid_at(s, zat);
    if (bad < zat)
        return rnnkit_error_set(err, RNNKIT_ERR_UTF8, "%s:%zu: invalid UTF-8 at byte offset %zu",
                                name, line_of(s, bad, line), base + bad);
    if (z)
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%zu: NUL byte at byte offset %zu", name,
                                line_of(s, zat, line), base + zat);
    return RNNKIT_OK;
}

/* --------------------------------------------------------- public reader */

rnnkit_status rnnkit_read_text_file(const char *path, char **text, size_t *len, rnnkit_error *err)
{
    if (!path || !text)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_read_text_file: NULL argument");
    *text = NULL;
    if (len)
        *len = 0;
    rnnkit__buf b = {0};
    size_t n = 0;
    rnnkit_status st = rnnkit__buf_read_file(&b, path, NULL, &n, err);
    if (!st)
        st = rnnkit__check_text(rnnkit__display_name(path), (const unsigned char *)b.data, n, 0, 1,
                                err);
    if (st) {
        free(b.data);
        return st;
    }
    if (n >= 3 && memcmp(b.data, "\xEF\xBB\xBF", 3) == 0) {
        memmove(b.data, b.data + 3, n - 3 + 1); /* with the NUL */
        n -= 3;
    }
    *text = b.data;
    if (len)
        *len = n;
    rnnkit_error_clear(err);
    return RNNKIT_OK;
}
