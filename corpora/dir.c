/*
 * corpora/dir.c: the folder-per-label layout (as in aclImdb):
 *
 *   path/<label>/<document file>
 *
 * Label folders and the files in each are visited sorted by name (bytes),
 * so row order does not depend on the file system. Entries whose name
 * starts with '.' are skipped; so are regular files directly under `path`
 * (aclImdb keeps feature and URL lists there) and anything inside a label
 * folder that is not a regular file. Each document is one row: its bytes
 * (BOM dropped, trailing line ends dropped) are the text, the folder name
 * is the label, the document's path is its "where".
 *
 * rnnkit_walk_files visits the files under a folder in the same order
 * (sorted by name, hidden entries skipped), to any depth up to 32 levels:
 * `classify predict DIR` reads its documents that way.
 *
 * Files that are not regular (FIFOs, sockets, devices) are never opened
 * inside a folder (opening a FIFO would block, a device may never end):
 * their kind comes from stat, and they are counted (rnnkit_walk_stats,
 * rnnkit_corpus_special_files) and skipped. A walk keeps the device and
 * inode of every directory from its root to where it is; a directory met
 * again on its own path (a symbolic link to an ancestor) is a loop,
 * counted and not entered, as is a chain of links that never ends (ELOOP).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpora/corpus_internal.h"

/* A sorted list of the entry names of one directory, in one buffer. */
typedef struct name_list {
    rnnkit__buf names; /* NUL-separated names */
    size_t *offs;      /* [n] offsets into names.data */
    size_t n;
} name_list;

static void name_list_free(name_list *l)
{
    free(l->names.data);
    free(l->offs);
}

typedef struct name_ref {
    const char *s;
    size_t off;
} name_ref;

static int cmp_name_ref(const void *a, const void *b)
{
    return strcmp(((const name_ref *)a)->s, ((const name_ref *)b)->s);
}

/* Lists `dir` without "." and ".." and without hidden names, sorted. */
static rnnkit_status list_dir(const char *dir, name_list *l, rnnkit_error *err)
{
    memset(l, 0, sizeof *l);
    DIR *d = opendir(dir);
    if (!d)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open directory: %s", dir,
                                strerror(errno));
    rnnkit_status st = RNNKIT_OK;
    size_t count = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno)
                st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot read directory: %s", dir,
                                      strerror(errno));
            break;
        }
        if (e->d_name[0] == '.')
            continue; /* ".", ".." and hidden files */
        st = rnnkit__buf_append(&l->names, e->d_name, strlen(e->d_name) + 1, NULL, err);
        if (st)
            break;
        count++;
    }
    closedir(d);
    if (st)
        return st;

    name_ref *refs = malloc((count + 1) * sizeof *refs);
    l->offs = malloc((count + 1) * sizeof *l->offs);
    if (!refs || !l->offs) {
        free(refs);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory listing %s", dir);
    }
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        refs[i] = (name_ref){l->names.data + off, off};
        off += strlen(l->names.data + off) + 1;
    }
    qsort(refs, count, sizeof *refs, cmp_name_ref);
    for (size_t i = 0; i < count; i++)
        l->offs[i] = refs[i].off;
    l->n = count;
    free(refs);
    return RNNKIT_OK;
}

/* "a/b" in a malloc'd string, or NULL when out of memory. */
static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    int slash = na > 0 && a[na - 1] != '/';
    char *p = malloc(na + (size_t)slash + nb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, na);
    if (slash)
        p[na] = '/';
    memcpy(p + na + slash, b, nb + 1);
    return p;
}

/* The entry `name` of `dir`: its path (malloc'd) in *path and its status in
 * *sb (stat follows links). */
static rnnkit_status stat_entry(const char *dir, const char *name, char **path, struct stat *sb, rnnkit_error *err)
{
    if (!(*path = join(dir, name)))
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    if (stat(*path, sb) != 0)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open: %s", *path, strerror(errno));
    return RNNKIT_OK;
}

/* Reads one document into the corpus as a row labelled by arena[label]. */
static rnnkit_status load_doc(rnnkit_corpus *c, const char *path, size_t label,
                              const rnnkit_corpus_options *opt, rnnkit_error *err)
{
    size_t off, n;
    rnnkit_status st = rnnkit__buf_read_file(&c->arena, path, &off, &n, err);
    if (st)
        return st; /* an I/O error is fatal even under skip_bad */
    rnnkit_error why;
    const unsigned char *s = (const unsigned char *)c->arena.data + off;
    st = rnnkit__check_text(path, s, n, 0, 1, &why);
    size_t a = 0, b = n;
    if (!st) {
        if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            a = 3;
        while (b > a && (s[b - 1] == '\n' || s[b - 1] == '\r'))
            b--;
        if (rnnkit__utf8_is_blank(s + a, b - a))
            st = rnnkit_error_set(&why, RNNKIT_ERR_FORMAT, "%s:1: empty text", path);
    }
    if (st) {
        c->arena.len = off; /* drop the document's bytes */
        c->arena.data[off] = '\0';
        if (!opt->skip_bad) {
            if (err)
                *err = why;
            return st;
        }
        return rnnkit__corpus_skip(c, &why, err);
    }
    c->arena.data[off + b] = '\0';
    c->arena.len = off + b + 1; /* keep that NUL; later appends go after it */
    size_t where;
    st = rnnkit__buf_appendf(&c->arena, &where, err, "%s", path);
    if (!st)
        st = rnnkit__corpus_add_row(c, off + a, b - a, label, where, err);
    return st;
}

/* Loads every document of the label folder `dir` named `label_name`. */
static rnnkit_status load_label_dir(rnnkit_corpus *c, const char *dir, const char *label_name,
                                    const rnnkit_corpus_options *opt, rnnkit_error *err)
{
    size_t nlen = strlen(label_name);
    size_t bad = rnnkit__utf8_invalid_at((const unsigned char *)label_name, nlen);
    if (bad < nlen)
        return rnnkit_error_set(err, RNNKIT_ERR_UTF8,
                                "%s: folder name is not valid UTF-8 at byte offset %zu", dir, bad);
    name_list files;
    rnnkit_status st = list_dir(dir, &files, err);
    size_t label = SIZE_MAX;
    if (!st)
        st = rnnkit__buf_appendf(&c->arena, &label, err, "%s", label_name);
    for (size_t i = 0; !st && i < files.n; i++) {
        char *path = NULL;
        struct stat sb;
        st = stat_entry(dir, files.names.data + files.offs[i], &path, &sb, err);
        if (!st && S_ISREG(sb.st_mode))
            st = load_doc(c, path, label, opt, err);
        else if (!st && !S_ISDIR(sb.st_mode))
            c->special++; /* a FIFO, socket or device: never opened */
        free(path);
    }
    name_list_free(&files);
    return st;
}

rnnkit_status rnnkit__corpus_load_dir(rnnkit_corpus *c, const char *path,
                                      const rnnkit_corpus_options *opt, rnnkit_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return rnnkit_error_set(err, RNNKIT_ERR_IO,
                                "%s: not a directory (the directory format needs one sub-folder "
                                "per label)",
                                path);
    name_list labels;
    rnnkit_status st = list_dir(path, &labels, err);
    for (size_t i = 0; !st && i < labels.n; i++) {
        const char *label = labels.names.data + labels.offs[i];
        char *sub = NULL;
        st = stat_entry(path, label, &sub, &sb, err);
        if (!st && S_ISDIR(sb.st_mode))
            st = load_label_dir(c, sub, label, opt, err);
        free(sub);
    }
    name_list_free(&labels);
    return st;
}

/* The directories from the walk's root to the one being read. */
typedef struct walk_path {
    dev_t dev[34];
    ino_t ino[34];
    int depth;
} walk_path;

typedef struct walk {
    rnnkit_file_fn fn;
    void *ctx;
    rnnkit_walk_stats *stats;
    walk_path up;
} walk;

/* 1 when the directory sb is one of those on the walk's path. */
static int on_path(const walk_path *up, const struct stat *sb)
{
    for (int i = 0; i < up->depth; i++)
        if (up->dev[i] == sb->st_dev && up->ino[i] == sb->st_ino)
            return 1;
    return 0;
}

/* One level of rnnkit_walk_files: `path` is the directory sb. */
static rnnkit_status walk_dir(walk *w, const char *path, const struct stat *dsb, rnnkit_error *err)
{
    if (w->up.depth > 32)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: directories nested too deep", path);
    w->up.dev[w->up.depth] = dsb->st_dev;
    w->up.ino[w->up.depth] = dsb->st_ino;
    w->up.depth++;
    name_list names;
    rnnkit_status st = list_dir(path, &names, err);
    for (size_t i = 0; !st && i < names.n; i++) {
        char *sub = join(path, names.names.data + names.offs[i]);
        struct stat sb;
        int ok = sub && stat(sub, &sb) == 0, e = errno;
        if (!sub)
            st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        else if (ok && S_ISDIR(sb.st_mode) && on_path(&w->up, &sb))
            w->stats->loops++; /* a link back to a directory above */
        else if (ok && S_ISDIR(sb.st_mode))
            st = walk_dir(w, sub, &sb, err);
        else if ((ok && !S_ISREG(sb.st_mode)))
            w->stats->special++; /* a FIFO, socket or device: never opened */
        else if (!ok && e == ELOOP)
            w->stats->loops++;
        else /* the file's own reading reports a missing or unreadable entry */
            st = w->fn(w->ctx, sub, err);
        free(sub);
    }
    name_list_free(&names);
    w->up.depth--;
    return st;
}

rnnkit_status rnnkit_walk_files_counted(const char *path, rnnkit_file_fn fn, void *ctx, rnnkit_walk_stats *stats,
                                        rnnkit_error *err)
{
    rnnkit_walk_stats own;
    walk w = {fn, ctx, stats ? stats : &own, {.depth = 0}};
    memset(w.stats, 0, sizeof *w.stats);
    struct stat sb;
    if (strcmp(path, "-") && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return walk_dir(&w, path, &sb, err);
    return fn(ctx, path, err); /* a file named explicitly, a FIFO or /dev/stdin included: read as a stream */
}

rnnkit_status rnnkit_walk_files(const char *path, rnnkit_file_fn fn, void *ctx, rnnkit_error *err)
{
    return rnnkit_walk_files_counted(path, fn, ctx, NULL, err);
}
