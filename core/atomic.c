/*
 * core/atomic.c: whole-file atomic writes (see core/atomic.h for the
 * behaviour and the permission policy).
 *
 * The temporary file is created with open(O_CREAT | O_EXCL, 0666) under a
 * name drawn from the process id, the clock and the attempt number, so the
 * kernel applies the umask itself: the library never calls umask(2), which
 * would change process-wide state under other threads.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"

#define ATOMIC_TRIES 100

/* Writes the 6 name characters of attempt `k` into x. */
static void draw_suffix(char *x, const void *seed_addr, int k)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t parts[5] = {(uint64_t)getpid(), (uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec, (uint64_t)(uintptr_t)seed_addr,
                         (uint64_t)k};
    uint64_t h = rnnkit__fnv1a64(parts, sizeof parts);
    for (int i = 0; i < 6; i++) {
        x[i] = digits[h % 62];
        h /= 62;
    }
}

rnnkit_status rnnkit__atomic_open(rnnkit__atomic *a, const char *path, rnnkit_error *err)
{
    size_t plen = strlen(path);
    a->path = path;
    a->fd = -1;
    a->tmp = malloc(plen + 12);
    if (!a->tmp)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
    memcpy(a->tmp, path, plen);
    memcpy(a->tmp + plen, ".tmp-XXXXXX", 12);
    int e = 0;
    for (int k = 0; k < ATOMIC_TRIES && a->fd < 0; k++) {
        draw_suffix(a->tmp + plen + 5, a, k);
        a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        e = errno;
        if (a->fd < 0 && e != EEXIST)
            break;
    }
    if (a->fd < 0) {
        free(a->tmp);
        a->tmp = NULL;
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
                                strerror(e));
    }
    /* a replacement keeps the permissions of the file it replaces */
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
        fchmod(a->fd, sb.st_mode & 07777);
    return RNNKIT_OK;
}

rnnkit_status rnnkit__atomic_write(rnnkit__atomic *a, const void *data, size_t n, rnnkit_error *err)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(a->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: write failed: %s", a->path,
                                    w < 0 ? strerror(errno) : "no progress");
        p += w;
        n -= (size_t)w;
    }
    return RNNKIT_OK;
}

/* Flushes the directory holding `path`, so the rename itself is durable. */
static void fsync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : NULL;
    int fd = open(dir ? dir : ".", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

void rnnkit__atomic_discard(rnnkit__atomic *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    a->tmp = NULL;
}

rnnkit_status rnnkit__atomic_commit(rnnkit__atomic *a, rnnkit_error *err)
{
    rnnkit_status st = RNNKIT_OK;
    if (fsync(a->fd) != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot flush to disk: %s", a->path, strerror(errno));
    int closed = close(a->fd);
    a->fd = -1;
    if (!st && closed != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: closing failed: %s", a->path, strerror(errno));
    if (!st && rename(a->tmp, a->path) != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot replace: %s", a->path, strerror(errno));
    if (st) {
        rnnkit__atomic_discard(a);
        return st;
    }
    free(a->tmp);
    a->tmp = NULL;
    fsync_dir_of(a->path);
    return RNNKIT_OK;
}

rnnkit_status rnnkit_write_file_atomic(const char *path, const void *data, size_t n, rnnkit_error *err)
{
    if (!path || (!data && n))
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_write_file_atomic: %s", path ? "no data" : "no path");
    rnnkit__atomic out;
    rnnkit_status st = rnnkit__atomic_open(&out, path, err);
    if (st)
        return st;
    if (n)
        st = rnnkit__atomic_write(&out, data, n, err);
    if (st) {
        rnnkit__atomic_discard(&out);
        return st;
    }
    return rnnkit__atomic_commit(&out, err);
}
