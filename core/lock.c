/*
 * core/lock.c: one writer per model file (rnnkit_train_lock in
 * rnnkit/model.h).
 *
 * The lock is "<file>.lock" beside the model file (its symbolic links
 * followed, so two names of one file share one lock), held with flock(2)
 * for as long as the writer runs; it records the holder's process id for
 * the message of a refused second writer. The kernel drops a flock when
 * its holder dies, so a killed run (kill -9) leaves at most an unlocked
 * file that the next run takes over: a lock is never stale.
 *
 * A folder where the lock file cannot be created (no write permission, a
 * read-only file system) holds no model file a run could write either: the
 * lock is then skipped and the run's own first write reports the folder.
 *
 * Invariant: the lock held is on the inode that "<file>.lock" names at the
 * moment it is taken (checked after flock, retried otherwise), so a
 * release that removes the file cannot leave two holders of two inodes.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic.h"
#include "rnnkit/model.h"

struct rnnkit_train_lock {
    char *path; /* "<target>.lock" */
    int fd;
};

/* The process id recorded in the lock file open on fd; 0 if none. */
static long holder_of(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

static rnnkit_status record_pid(rnnkit_train_lock *lk, const char *path, rnnkit_error *err);

/* Takes the lock at lk->path: RNNKIT_OK, or the error naming `path`. */
static rnnkit_status take(rnnkit_train_lock *lk, const char *path, rnnkit_error *err)
{
    for (int tries = 0; tries < 100; tries++) {
        lk->fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (lk->fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
            return RNNKIT_OK; /* a folder no one can write to: the run's own first write says so */
        if (lk->fd < 0)
            return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot create the lock file %s: %s", path, lk->path,
                                    strerror(errno));
        if (flock(lk->fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            long pid = e == EWOULDBLOCK ? holder_of(lk->fd) : 0;
            close(lk->fd);
            lk->fd = -1;
            if (e != EWOULDBLOCK)
                return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot lock %s: %s", path, lk->path, strerror(e));
            if (pid > 0)
                return rnnkit_error_set(err, RNNKIT_ERR_IO,
                                        "%s: another process (pid %ld) is training this model file; wait for it "
                                        "or stop it (lock %s)", path, pid, lk->path);
            return rnnkit_error_set(err, RNNKIT_ERR_IO,
                                    "%s: another process is training this model file (lock %s)", path, lk->path);
        }
        struct stat held, named;
        if (fstat(lk->fd, &held) == 0 && stat(lk->path, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino)
            break;
        close(lk->fd); /* removed by its last holder meanwhile: take the new one */
        lk->fd = -1;
    }
    if (lk->fd < 0)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot take the lock %s", path, lk->path);
    return record_pid(lk, path, err);
}

/* Writes the holder's process id into the lock file. */
static rnnkit_status record_pid(rnnkit_train_lock *lk, const char *path, rnnkit_error *err)
{
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(lk->fd, 0) != 0 || pwrite(lk->fd, pid, (size_t)n, 0) != n)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot write the lock %s: %s", path, lk->path,
                                strerror(errno));
    return RNNKIT_OK;
}

rnnkit_status rnnkit_train_lock_take(const char *path, rnnkit_train_lock **out, rnnkit_error *err)
{
    *out = NULL;
    if (!path)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_train_lock_take: no path");
    rnnkit_train_lock *lk = calloc(1, sizeof *lk);
    char *target = rnnkit__follow_links(path);
    size_t n = target ? strlen(target) : 0;
    if (lk && target)
        lk->path = malloc(n + 6);
    if (!lk || !lk->path) {
        free(target);
        free(lk);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(lk->path, target, n);
    memcpy(lk->path + n, ".lock", 6);
    free(target);
    lk->fd = -1;
    rnnkit_status st = take(lk, path, err);
    if (st) {
        rnnkit_train_lock_release(lk);
        return st;
    }
    *out = lk;
    return RNNKIT_OK;
}

void rnnkit_train_lock_release(rnnkit_train_lock *lk)
{
    if (!lk)
        return;
    if (lk->fd >= 0) {
        unlink(lk->path); /* while still held: a waiter re-checks the inode */
        close(lk->fd);
    }
    free(lk->path);
    free(lk);
}
