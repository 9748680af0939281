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
 * Outputs that are not plain files in a directory:
 *   - a symbolic link is written through: the temporary file goes beside
 *     the link's final target and is renamed over that target, so the link
 *     stays and a link is never replaced (a dangling link's target is
 *     created);
 *   - a path that is a device, FIFO or socket (/dev/stdout, a pipe,
 *     /dev/full) is opened and written directly, never renamed over; its
 *     write errors are errors like any other. Writers that need a file by
 *     name (SQLite) use rnnkit__atomic_open_file, which refuses those.
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
    const char *path; /* the output as named, borrowed from the caller (for messages) */
    char *target;     /* malloc'd: path with its symbolic links followed (what is renamed over) */
    char *tmp;        /* malloc'd name of the temporary file; NULL when direct */
    int fd;           /* open for writing on tmp (or on target when direct); -1 once closed */
    int direct;       /* 1: target is a device, FIFO or socket, written in place */
} rnnkit__atomic;

/* Creates the temporary file beside `path` (which must stay valid until
 * commit or discard). RNNKIT_ERR_IO naming `path` when the directory is not
 * writable, RNNKIT_ERR_NOMEM. On failure nothing is left to discard. */
rnnkit_status rnnkit__atomic_open(rnnkit__atomic *a, const char *path, rnnkit_error *err);

/* rnnkit__atomic_open for a writer that reopens the temporary file by name
 * (SQLite): RNNKIT_ERR_IO "<path>: not a regular file: <what> cannot be
 * written to a FIFO, socket or device" instead of a direct write. */
rnnkit_status rnnkit__atomic_open_file(rnnkit__atomic *a, const char *path, const char *what, rnnkit_error *err);

/* `path` with its symbolic links followed to the last one's target (which
 * may not exist), malloc'd; NULL when out of memory. A loop of links or a
 * chain of more than 40 gives `path` itself (its open fails later). */
char *rnnkit__follow_links(const char *path);

/* Appends n bytes (retrying short writes). RNNKIT_ERR_IO naming the path. */
rnnkit_status rnnkit__atomic_write(rnnkit__atomic *a, const void *data, size_t n, rnnkit_error *err);

/* Flushes, closes and renames the temporary file over the target, then
 * flushes the directory. On failure the temporary file is removed and the
 * target untouched. Either way `a` is released. */
rnnkit_status rnnkit__atomic_commit(rnnkit__atomic *a, rnnkit_error *err);

/* Removes the temporary file and releases `a` (after a failure). */
void rnnkit__atomic_discard(rnnkit__atomic *a);

#endif
