/*
 * rnnkit/status.h: status codes and the error record every rnnkit call fills.
 *
 * Every fallible function returns an `rnnkit_status` and, when given a
 * non-NULL `rnnkit_error *`, writes a one-line message into it naming the
 * file, line, byte offset or tensor involved (for example
 * "data/train.tsv:1834: no tab after label"). The library never prints and
 * never exits: what to do with the message is the caller's choice.
 *
 * The error record is a plain caller-owned struct: no allocation, no global
 * state, safe to reuse across calls.
 */
#ifndef RNNKIT_STATUS_H
#define RNNKIT_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rnnkit_status {
    RNNKIT_OK = 0,
    RNNKIT_ERR_ARG,         /* a caller-supplied argument is out of range */
    RNNKIT_ERR_IO,          /* open/read/write/rename failed */
    RNNKIT_ERR_UTF8,        /* input text is not valid UTF-8 */
    RNNKIT_ERR_FORMAT,      /* input is well-encoded but malformed (no tab, no label, ...) */
    RNNKIT_ERR_NOMEM,       /* an allocation failed or a size would overflow */
    RNNKIT_ERR_SHAPE,       /* tensor shapes disagree */
    RNNKIT_ERR_DB,          /* SQLite reported an error, or the file is not ours */
    RNNKIT_ERR_VERSION,     /* file written by a newer rnnkit (schema version) */
    RNNKIT_ERR_CORRUPT,     /* a stored tensor or record fails its checks */
    RNNKIT_ERR_NUMERIC,     /* NaN or Inf appeared in a loss or gradient */
    RNNKIT_ERR_INTERRUPTED, /* stopped on request (signal) */
    RNNKIT_ERR_EMPTY        /* nothing to work on (empty corpus, no tokens) */
} rnnkit_status;

/* A static English phrase for `s` ("out of memory", ...). Never NULL. */
const char *rnnkit_status_str(rnnkit_status s);

/* Where a failing call leaves its status and message. */
typedef struct rnnkit_error {
    rnnkit_status status;
    char msg[512]; /* NUL-terminated; "" when status == RNNKIT_OK */
} rnnkit_error;

/* Resets `err` (may be NULL) to RNNKIT_OK with an empty message. */
void rnnkit_error_clear(rnnkit_error *err);

/*
 * Records `s` and a printf-style message in `err` (may be NULL) and returns
 * `s`, so a failure path reads `return rnnkit_error_set(err, ...)`. The
 * message is truncated to fit; it is never left unterminated.
 */
rnnkit_status rnnkit_error_set(rnnkit_error *err, rnnkit_status s,
                               const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prepends "prefix: " to the message already in `err` (context added by a caller). */
void rnnkit_error_prefix(rnnkit_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Writes the whole of data[0..n) to `path` atomically, as the library
 * writes every file it writes (model and vocabulary files, exports): the
 * bytes go to a temporary file beside `path` ("<path>.tmp-XXXXXX", same
 * directory, so the rename is atomic), which is flushed to disk and renamed
 * over `path`; a reader sees the old file or the new one, never a mix.
 * Permissions, the library's one policy: a new file gets 0666 less the
 * process umask; a file replaced keeps its permission bits. On failure
 * (RNNKIT_ERR_IO naming `path`: directory not writable, disk full, ...;
 * RNNKIT_ERR_NOMEM) `path` is as it was and no temporary file is left.
 * The caller keeps `data`; n may be 0 (an empty file). */
rnnkit_status rnnkit_write_file_atomic(const char *path, const void *data, size_t n, rnnkit_error *err);

/* Library version, "MAJOR.MINOR.PATCH". */
const char *rnnkit_version(void);

#ifdef __cplusplus
}
#endif
#endif
