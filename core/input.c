/*
 * core/input.c: input streams with transparent gzip (see core/input.h).
 *
 * The cookie reads the raw FILE in blocks. Its first two bytes decide the
 * mode: gzip (inflate with automatic header detection, 15 + 32, reset at
 * each member's end so concatenated members read as one) or plain (the
 * peeked bytes are handed out first, then the raw file). A read error
 * records its reason in the cookie and returns -1 (errno EIO), so stdio
 * sets the FILE's error flag and the caller asks rnnkit__input_why.
 *
 * Invariant: raw is stdin or a FILE this module opened; the cookie is
 * freed by the FILE's close callback and nowhere else.
 */
#define _GNU_SOURCE
#include "core/input.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IN_BLOCK 65536

struct rnnkit__in_cookie {
    FILE *raw;
    int gzip, ended;     /* gzip: ended = the current member is complete */
    int eof;             /* raw has no more bytes */
    unsigned char peek[2];
    size_t npeek, peeked; /* plain: peek[peeked..npeek) not yet handed out */
    z_stream z;
    unsigned char *inbuf;
    char why[160];        /* the reason of the last failure; "" if none */
};

/* Fills the inflate input from raw; 0, or -1 on a read error. */
static int refill(struct rnnkit__in_cookie *c)
{
    size_t got = fread(c->inbuf, 1, IN_BLOCK, c->raw);
    if (got == 0 && ferror(c->raw)) {
        snprintf(c->why, sizeof c->why, "%s", strerror(errno ? errno : EIO));
        return -1;
    }
    if (got < IN_BLOCK)
        c->eof = feof(c->raw) || got == 0;
    c->z.next_in = c->inbuf;
    c->z.avail_in = (uInt)got;
    return 0;
}

static ssize_t fail(struct rnnkit__in_cookie *c, const char *fmt, const char *detail)
{
    snprintf(c->why, sizeof c->why, fmt, detail ? detail : "");
    errno = EIO;
    return -1;
}

static ssize_t read_gzip(struct rnnkit__in_cookie *c, char *buf, size_t size)
{
    c->z.next_out = (unsigned char *)buf;
    c->z.avail_out = (uInt)(size > UINT32_MAX ? UINT32_MAX : size);
    const uInt want = c->z.avail_out;
    while (c->z.avail_out == want) {
        if (c->z.avail_in == 0 && !c->eof && refill(c) != 0)
            return -1;
        if (c->ended) {
            if (c->z.avail_in == 0 && c->eof)
                return 0; /* the end of the last member */
            if (inflateReset(&c->z) != Z_OK)
                return fail(c, "corrupt gzip data%s", "");
            c->ended = 0; /* another member follows */
        }
        if (c->z.avail_in == 0 && c->eof)
            return fail(c, "truncated gzip data (the file ends inside the compressed stream)%s", "");
        int r = inflate(&c->z, Z_NO_FLUSH);
        if (r == Z_STREAM_END)
            c->ended = 1;
        else if (r == Z_MEM_ERROR)
            return fail(c, "out of memory decompressing%s", "");
        else if (r != Z_OK && r != Z_BUF_ERROR)
            return fail(c, "corrupt gzip data: %s", c->z.msg ? c->z.msg : "invalid stream");
    }
    return (ssize_t)(want - c->z.avail_out);
}

static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
    struct rnnkit__in_cookie *c = cookie;
    if (c->gzip)
        return read_gzip(c, buf, size);
    if (c->peeked < c->npeek) {
        size_t n = c->npeek - c->peeked < size ? c->npeek - c->peeked : size;
        memcpy(buf, c->peek + c->peeked, n);
        c->peeked += n;
        return (ssize_t)n;
    }
    size_t got = fread(buf, 1, size, c->raw);
    if (got == 0 && ferror(c->raw)) {
        int e = errno ? errno : EIO;
        snprintf(c->why, sizeof c->why, "%s", strerror(e));
        errno = e;
        return -1;
    }
    return (ssize_t)got;
}

static int cookie_close(void *cookie)
{
    struct rnnkit__in_cookie *c = cookie;
    if (c->gzip)
        inflateEnd(&c->z);
    free(c->inbuf);
    if (c->raw && c->raw != stdin)
        fclose(c->raw);
    free(c);
    return 0;
}

rnnkit_status rnnkit__input_open(rnnkit__input *in, const char *path, rnnkit_error *err)
{
    in->f = NULL;
    in->c = NULL;
    int is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    struct stat sb;
    if (!is_stdin && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: is a directory, expected a file", name);
    struct rnnkit__in_cookie *c = calloc(1, sizeof *c);
    if (!c)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", name);
    c->raw = is_stdin ? stdin : fopen(path, "rb");
    if (!c->raw) {
        int e = errno;
        free(c);
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open: %s", name, strerror(e));
    }
    errno = 0;
    c->npeek = fread(c->peek, 1, 2, c->raw);
    if (c->npeek < 2 && ferror(c->raw)) {
        int e = errno ? errno : EIO;
        cookie_close(c);
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: read error: %s", name, strerror(e));
    }
    if (c->npeek == 2 && c->peek[0] == 0x1f && c->peek[1] == 0x8b) {
        c->gzip = 1;
        c->inbuf = malloc(IN_BLOCK);
        if (!c->inbuf || inflateInit2(&c->z, 15 + 32) != Z_OK) {
            free(c->inbuf);
            c->inbuf = NULL;
            c->gzip = 0;
            cookie_close(c);
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", name);
        }
        memcpy(c->inbuf, c->peek, 2); /* the magic bytes are the stream's first */
        c->z.next_in = c->inbuf;
        c->z.avail_in = 2;
    }
    cookie_io_functions_t io = {.read = cookie_read, .write = NULL, .seek = NULL, .close = cookie_close};
    in->f = fopencookie(c, "r", io);
    if (!in->f) {
        cookie_close(c);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", name);
    }
    in->c = c;
    return RNNKIT_OK;
}

const char *rnnkit__input_why(const rnnkit__input *in)
{
    return in->c && in->c->why[0] ? in->c->why : "input/output error";
}

int rnnkit__input_is_gzip(const rnnkit__input *in) { return in->c && in->c->gzip; }

void rnnkit__input_close(rnnkit__input *in)
{
    if (in->f)
        fclose(in->f);
    in->f = NULL;
    in->c = NULL;
}
