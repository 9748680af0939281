/*
 * core/atomic.h: writing a whole file atomically. Every file the library
 * writes (model files, vocabulary files, safetensors, vocabulary exports)
 * goes through here, so they all share one behaviour:
 *
 *   - the content goes to "<path>.tmp-XXXXXX" in the target's directory
 *     (same file system, so the rename is atomic), created with O_EXCL;
 *   - commit flushes it (fsync), renames it over `path` and flushes the
 *     directory: a reader sees the old file or the new one, never a mix,
 *     and a failure at any point leaves `path` as it was and removes the
 *     temporary file;
 *   - permissions, the one policy: a new file gets 0666 less the process
 *     umask, as any file created by open(2) would; a file that replaces an
 *     existing regular file keeps that file's permission bits.
 *
 * rnnkit_write_file_atomic (rnnkit/status.h) is this behaviour for a whole
 * buffer, the public call for a program's own files (`rnnkit report`).
 *
 * The temporary file may be written through the descriptor (fd, or
 * rnnkit__atomic_write), or reopened by name (a SQLite database at tmp) as
 * long as that handle is closed before commit.
 */
#ifndef RNNKIT_CORE_ATOMIC_H
#define RNNKIT_CORE_ATOMIC_H

#include <stddef.h>

#include "rnnkit/status.h"

typedef struct rnnkit__atomic {
    const char *path; /* the target, borrowed from the caller */
    char *tmp;        /* malloc'd name of the temporary file */
    int fd;           /* open for writing on tmp; -1 once closed */
} rnnkit__atomic;

/* Creates the temporary file beside `path` (which must stay valid until
 * commit or discard). RNNKIT_ERR_IO naming `path` when the directory is not
 * writable, RNNKIT_ERR_NOMEM. On failure nothing is left to discard. */
rnnkit_status rnnkit__atomic_open(rnnkit__atomic *a, const char *path, rnnkit_error *err);

/* Appends n bytes (retrying short writes). RNNKIT_ERR_IO naming the path. */
rnnkit_status rnnkit__atomic_write(rnnkit__atomic *a, const void *data, size_t n, rnnkit_error *err);

/* Flushes, closes and renames the temporary file over the target, then
 * flushes the directory. On failure the temporary file is removed and the
 * target untouched. Either way `a` is released. */
rnnkit_status rnnkit__atomic_commit(rnnkit__atomic *a, rnnkit_error *err);

/* Removes the temporary file and releases `a` (after a failure). */
void rnnkit__atomic_discard(rnnkit__atomic *a);

#endif
