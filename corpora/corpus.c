/*
 * corpora/corpus.c: the corpus handle: loading (format dispatch and AUTO
 * detection), the label index, and the accessors. The readers
 * (corpora/lines.c, corpora/dir.c) add their rows through corpora/rows.c,
 * so the dependencies run one way: this file -> readers -> rows.
 *
 * Memory: one arena per corpus holds every file's bytes (texts and labels
 * are NUL-terminated in place), the "file:line" strings and the DIR labels;
 * rows and the sorted label list are two more arrays of offsets. Nothing is
 * allocated per row.
 *
 * Labels: distinct labels are found with an open-addressing hash table
 * (FNV-1a, linear probing, load <= 1/2), then sorted by bytes; class index k
 * is the k-th label in that order. Cost O(rows + L log L) for L labels.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "corpora/corpus_internal.h"

/* -------------------------------------------------------------- labels */

/* qsort context is not portable; sort (offset, arena) pairs instead. */
typedef struct label_ref {
    const char *s;
    size_t off;
    size_t id; /* provisional id: order of first appearance */
} label_ref;

static int cmp_label_ref(const void *a, const void *b)
{
    /* strcmp compares as unsigned char: byte order, as documented */
    return strcmp(((const label_ref *)a)->s, ((const label_ref *)b)->s);
}

/* Assigns rows[i].cls and builds c->labels. */
static rnnkit_status index_labels(rnnkit_corpus *c, rnnkit_error *err)
{
    const char *A = c->arena.data;
    size_t cap = 16;
    while (cap < 2 * c->nrows + 2)
        cap *= 2;
    size_t *slot = malloc(cap * sizeof *slot); /* provisional id + 1; 0 = empty */
    label_ref *refs = malloc((c->nrows + 1) * sizeof *refs);
    size_t *remap = NULL;
    rnnkit_status st = RNNKIT_OK;
    if (!slot || !refs) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory indexing labels");
        goto out;
    }
    memset(slot, 0, cap * sizeof *slot);
    size_t L = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        rnnkit__row *r = &c->rows[i];
        if (r->label == SIZE_MAX)
            continue;
        const char *s = A + r->label;
        size_t h = (size_t)rnnkit__fnv1a64(s, strlen(s)) & (cap - 1);
        while (slot[h] && strcmp(refs[slot[h] - 1].s, s) != 0)
            h = (h + 1) & (cap - 1);
        if (!slot[h]) {
            refs[L] = (label_ref){s, r->label, L};
            slot[h] = ++L;
        }
        r->cls = (int64_t)(slot[h] - 1); /* provisional */
    }
    qsort(refs, L, sizeof *refs, cmp_label_ref);
    remap = malloc((L + 1) * sizeof *remap);
    c->labels = malloc((L + 1) * sizeof *c->labels);
    if (!remap || !c->labels) {
        st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory indexing labels");
        goto out;
    }
    for (size_t k = 0; k < L; k++) {
        remap[refs[k].id] = k;
        c->labels[k] = refs[k].off;
    }
    c->nlabels = L;
    for (size_t i = 0; i < c->nrows; i++)
        if (c->rows[i].cls >= 0)
            c->rows[i].cls = (int64_t)remap[c->rows[i].cls];
out:
    free(slot);
    free(refs);
    free(remap);
    return st;
}

/* ------------------------------------------------------------- loading */

rnnkit_corpus_format rnnkit__corpus_sniff(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    /* skip blank lines and leading blanks of the first non-blank line */
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (n - i >= 9 && memcmp(s + i, "__label__", 9) == 0)
        return RNNKIT_CORPUS_FASTTEXT;
    return RNNKIT_CORPUS_TSV;
}

static const char *format_name(rnnkit_corpus_format f)
{
    switch (f) {
    case RNNKIT_CORPUS_AUTO: return "auto";
    case RNNKIT_CORPUS_TSV: return "TSV";
    case RNNKIT_CORPUS_FASTTEXT: return "fastText";
    case RNNKIT_CORPUS_DIR: return "directory";
    case RNNKIT_CORPUS_TEXT: return "text";
    }
    return "unknown";
}

/* Reads one file or folder of a corpus into c; *format: the format read. */
static rnnkit_status load_one(rnnkit_corpus *c, const char *path, const rnnkit_corpus_options *o,
                              rnnkit_corpus_format *format, rnnkit_error *err)
{
    const char *name = rnnkit__display_name(path);
    int is_dir = 0;
    if (strcmp(path, "-") != 0) {
        struct stat sb;
        if (stat(path, &sb) == 0)
            is_dir = S_ISDIR(sb.st_mode); /* a missing path fails in the reader below */
    }
    rnnkit_corpus_format f = o->format;
    if (f == RNNKIT_CORPUS_AUTO && is_dir)
        f = RNNKIT_CORPUS_DIR;
    *format = f;
    if (f == RNNKIT_CORPUS_DIR) {
        if (strcmp(path, "-") == 0)
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "the directory format cannot read standard input");
        return rnnkit__corpus_load_dir(c, path, o, err);
    }
    if (is_dir)
        return rnnkit_error_set(err, RNNKIT_ERR_IO,
                                "%s: is a directory, expected a %s file (use the directory "
                                "format for one sub-folder per label)",
                                name, format_name(f));
    size_t off, n;
    rnnkit_status st = rnnkit__buf_read_file(&c->arena, path, &off, &n, err);
    if (st)
        return st;
    c->arena.len++; /* keep the NUL after the file: it ends the last line */
    if (f == RNNKIT_CORPUS_AUTO)
        f = rnnkit__corpus_sniff(c->arena.data + off, n);
    *format = f;
    return rnnkit__corpus_parse_lines(c, name, off, n, f, o, err);
}

rnnkit_status rnnkit_corpus_load_files(const char *const *paths, size_t npaths, const rnnkit_corpus_options *opt,
                                       rnnkit_corpus **out, rnnkit_error *err)
{
    if (!paths || !npaths || !out)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_corpus_load: NULL argument");
    *out = NULL;
    for (size_t i = 0; i < npaths; i++)
        if (!paths[i])
            return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_corpus_load: NULL path");
    rnnkit_corpus_options o = {RNNKIT_CORPUS_AUTO, 0, 1};
    if (opt)
        o = *opt;
    if ((unsigned)o.format > RNNKIT_CORPUS_TEXT)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown corpus format %d", (int)o.format);
    const char *name = rnnkit__display_name(paths[0]);

    rnnkit_corpus *c = calloc(1, sizeof *c);
    if (!c)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for a corpus");
    c->skip_reason = SIZE_MAX;

    rnnkit_status st = RNNKIT_OK;
    rnnkit_corpus_format f = o.format;
    for (size_t i = 0; !st && i < npaths; i++)
        st = load_one(c, paths[i], &o, &f, err);
    if (st)
        goto fail;
    c->format = f;

    if (c->nrows == 0) {
        if (c->skipped)
            st = rnnkit_error_set(err, RNNKIT_ERR_EMPTY,
                                  "%s%s: empty corpus: all %zu rows were malformed (first: %s)",
                                  name, npaths > 1 ? " (and the other files)" : "", c->skipped,
                                  c->arena.data + c->skip_reason);
        else
            st = rnnkit_error_set(err, RNNKIT_ERR_EMPTY, "%s%s: empty corpus (no %s)", name,
                                  npaths > 1 ? " (and the other files)" : "",
                                  f == RNNKIT_CORPUS_DIR ? "documents" : "non-blank lines");
        goto fail;
    }
    st = index_labels(c, err);
    if (st)
        goto fail;
    *out = c;
    rnnkit_error_clear(err);
    return RNNKIT_OK;
fail:
    rnnkit_corpus_free(c);
    return st;
}

rnnkit_status rnnkit_corpus_load(const char *path, const rnnkit_corpus_options *opt,
                                 rnnkit_corpus **out, rnnkit_error *err)
{
    if (!path || !out)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_corpus_load: NULL argument");
    return rnnkit_corpus_load_files(&path, 1, opt, out, err);
}

void rnnkit_corpus_free(rnnkit_corpus *c)
{
    if (!c)
        return;
    free(c->arena.data);
    free(c->rows);
    free(c->labels);
    free(c);
}

/* ----------------------------------------------------------- accessors */

size_t rnnkit_corpus_size(const rnnkit_corpus *c)
{
    return c ? c->nrows : 0;
}

const char *rnnkit_corpus_text(const rnnkit_corpus *c, size_t i, size_t *len)
{
    if (!c || i >= c->nrows) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = c->rows[i].text_len;
    return c->arena.data + c->rows[i].text;
}

const char *rnnkit_corpus_label(const rnnkit_corpus *c, size_t i)
{
    if (!c || i >= c->nrows || c->rows[i].label == SIZE_MAX)
        return NULL;
    return c->arena.data + c->rows[i].label;
}

const char *rnnkit_corpus_where(const rnnkit_corpus *c, size_t i)
{
    if (!c || i >= c->nrows)
        return NULL;
    return c->arena.data + c->rows[i].where;
}

size_t rnnkit_corpus_skipped(const rnnkit_corpus *c)
{
    return c ? c->skipped : 0;
}

size_t rnnkit_corpus_special_files(const rnnkit_corpus *c)
{
    return c ? c->special : 0;
}

const char *rnnkit_corpus_skip_reason(const rnnkit_corpus *c)
{
    if (!c || c->skip_reason == SIZE_MAX)
        return NULL;
    return c->arena.data + c->skip_reason;
}

rnnkit_corpus_format rnnkit_corpus_format_used(const rnnkit_corpus *c)
{
    return c ? c->format : RNNKIT_CORPUS_AUTO;
}

size_t rnnkit_corpus_num_labels(const rnnkit_corpus *c)
{
    return c ? c->nlabels : 0;
}

const char *rnnkit_corpus_label_name(const rnnkit_corpus *c, size_t k)
{
    if (!c || k >= c->nlabels)
        return NULL;
    return c->arena.data + c->labels[k];
}

int64_t rnnkit_corpus_label_index(const rnnkit_corpus *c, size_t i)
{
    if (!c || i >= c->nrows)
        return -1;
    return c->rows[i].cls;
}

int64_t rnnkit_corpus_find_label(const rnnkit_corpus *c, const char *label)
{
    if (!c || !label)
        return -1;
    size_t lo = 0, hi = c->nlabels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(c->arena.data + c->labels[mid], label);
        if (d == 0)
            return (int64_t)mid;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
