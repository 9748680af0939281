/*
 * core/atomic.c: whole-file atomic writes (see core/atomic.h for the
 * behaviour and the permission policy).
 *
 * The temporary file is created with open(O_CREAT | O_EXCL, 0666) under a
 * name drawn from the process id, the clock and the attempt number, so the
 * kernel applies the umask itself: the library never calls umask(2), which
 * would change process-wide state under other threads.
 *
 * Symbolic links are followed by hand (rnnkit__follow_links) so that the
 * rename lands on the link's target, never on the link; devices, FIFOs and
 * sockets are written in place (a->direct), never renamed over: renaming a
 * temporary file over /dev/full as root would replace the device node.
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

char *rnnkit__follow_links(const char *path)
{
    char *cur = strdup(path);
    for (int hops = 0; cur && hops < 40; hops++) {
        struct stat sb;
        if (lstat(cur, &sb) != 0 || !S_ISLNK(sb.st_mode))
            return cur;
        size_t cap = sb.st_size > 0 ? (size_t)sb.st_size + 1 : 256;
        char *link = malloc(cap);
        ssize_t n = link ? readlink(cur, link, cap) : -1;
        if (n < 0 || (size_t)n >= cap) { /* gone or changed meanwhile: let the open report it */
            free(link);
            return cur;
        }
        link[n] = '\0';
        const char *slash = strrchr(cur, '/');
        size_t dlen = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
        char *next = malloc(dlen + (size_t)n + 1);
        if (next) {
            memcpy(next, cur, dlen);
            memcpy(next + dlen, link, (size_t)n + 1);
        }
        free(link);
        free(cur);
        cur = next;
    }
    if (cur) { /* a loop or a very long chain: the path itself */
        free(cur);
        cur = strdup(path);
    }
    return cur;
}

/* Opens a device, FIFO or socket `path` for writing in place. */
static rnnkit_status open_direct(rnnkit__atomic *a, rnnkit_error *err)
{
    a->direct = 1;
    a->fd = open(a->target, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (a->fd >= 0)
        return RNNKIT_OK;
    rnnkit_status st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open for writing: %s", a->path, strerror(errno));
    free(a->target);
    a->target = NULL;
    return st;
}

rnnkit_status rnnkit__atomic_open(rnnkit__atomic *a, const char *path, rnnkit_error *err)
{
    a->path = path;
    a->fd = -1;
    a->tmp = NULL;
    a->direct = 0;
    struct stat sb;
    int exists = stat(path, &sb) == 0; /* through links, /proc's /dev/stdout -> pipe:[N] included */
    if (exists && S_ISDIR(sb.st_mode))
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: is a directory", path);
    a->target = exists && !S_ISREG(sb.st_mode) ? strdup(path) : rnnkit__follow_links(path);
    if (!a->target)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
    if (exists && !S_ISREG(sb.st_mode))
        return open_direct(a, err);
    size_t plen = strlen(a->target);
    a->tmp = malloc(plen + 12);
    if (!a->tmp) {
        free(a->target);
        a->target = NULL;
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(a->tmp, a->target, plen);
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
        free(a->target);
        a->target = NULL;
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
                                strerror(e));
    }
    /* a replacement keeps the permissions of the file it replaces */
    if (exists)
        fchmod(a->fd, sb.st_mode & 07777);
    return RNNKIT_OK;
}

rnnkit_status rnnkit__atomic_open_file(rnnkit__atomic *a, const char *path, const char *what, rnnkit_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
        return rnnkit_error_set(err, RNNKIT_ERR_IO,
                                "%s: not a regular file: %s cannot be written to a FIFO, socket or device", path, what);
    return rnnkit__atomic_open(a, path, err);
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
    free(a->target);
    a->target = NULL;
}

/* commit of a direct write: the data is in the device or pipe once close
 * succeeds (fsync does not apply to pipes and most devices). */
static rnnkit_status commit_direct(rnnkit__atomic *a, rnnkit_error *err)
{
    rnnkit_status st = RNNKIT_OK;
    if (fsync(a->fd) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: write failed: %s", a->path, strerror(errno));
    if (close(a->fd) != 0 && !st)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: closing failed: %s", a->path, strerror(errno));
    a->fd = -1;
    rnnkit__atomic_discard(a);
    return st;
}

rnnkit_status rnnkit__atomic_commit(rnnkit__atomic *a, rnnkit_error *err)
{
    if (a->direct)
        return commit_direct(a, err);
    rnnkit_status st = RNNKIT_OK;
    if (fsync(a->fd) != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot flush to disk: %s", a->path, strerror(errno));
    int closed = close(a->fd);
    a->fd = -1;
    if (!st && closed != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: closing failed: %s", a->path, strerror(errno));
    if (!st && rename(a->tmp, a->target) != 0)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot replace: %s", a->path, strerror(errno));
    if (st) {
        rnnkit__atomic_discard(a);
        return st;
    }
    free(a->tmp);
    a->tmp = NULL;
    fsync_dir_of(a->target);
    free(a->target);
    a->target = NULL;
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
