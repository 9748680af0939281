/*
 * core/input.h: opening a file to read as a stream, the one way every text
 * reader of the library opens its input (corpora, plain text, line files,
 * CSV):
 *
 *   - "-" is standard input; a FIFO, /dev/stdin or `<(zcat x.gz)` is read
 *     as a stream (no seek, no size from stat); a directory is an error;
 *   - gzip data (the magic bytes 1f 8b, whatever the name; concatenated
 *     members too) is decompressed on the fly with zlib: no valid UTF-8 text
 *     or CSV starts with those bytes. A truncated or corrupt stream is a
 *     read error whose reason (rnnkit__input_why) says so.
 *
 * The FILE is a glibc fopencookie stream over the raw file; closing it
 * (rnnkit__input_close) closes the raw file too, unless it is stdin.
 */
#ifndef RNNKIT_CORE_INPUT_H
#define RNNKIT_CORE_INPUT_H

#include <stdio.h>

#include "rnnkit/status.h"

typedef struct rnnkit__input {
    FILE *f;                    /* read from this; NULL once closed */
    struct rnnkit__in_cookie *c; /* its state, owned by f */
} rnnkit__input;

/* Opens path ("-": stdin). RNNKIT_ERR_IO "<name>: cannot open: ..." (name
 * is "<stdin>" for "-"), "<name>: is a directory, expected a file",
 * RNNKIT_ERR_NOMEM. */
rnnkit_status rnnkit__input_open(rnnkit__input *in, const char *path, rnnkit_error *err);

/* After ferror(in->f): why the read failed ("truncated gzip data (the file
 * ends inside the compressed stream)", "corrupt gzip data: <zlib>", or
 * strerror of the read). */
const char *rnnkit__input_why(const rnnkit__input *in);

/* 1 when the input is gzip data. */
int rnnkit__input_is_gzip(const rnnkit__input *in);

void rnnkit__input_close(rnnkit__input *in);

#endif
