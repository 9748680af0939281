/*
 * tokenizer/linefile.c: line-at-a-time text files for vocabularies
 * (rnnkit/linefile.h): reading lines with their positions, counting a file
 * into a builder, parsing id lines, coverage.
 *
 * Invariants: `raw` is the length of the last line with its line end, so
 * `start` + raw is the offset of the next line; the text handed out is
 * NUL-terminated in the reader's buffer.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "core/input.h"
#include "rnnkit/linefile.h"
#include "rnnkit/tokenizer.h"

struct rnnkit_linefile {
    rnnkit__input in; /* gzip decompressed on the fly (core/input.h) */
    FILE *f;          /* in.f */
    const char *name;
    char *buf;
    size_t cap;
    ssize_t raw;       /* bytes of the last line, its line end included */
    uint64_t line;     /* lines read */
    uint64_t start;    /* offset of the last line */
    uint64_t text_off; /* offset of the text handed out */
    int keep_newline;  /* (builder use) the line end stays in the text */
    uint64_t hash;     /* FNV-1a 64 of the bytes read so far, as they are in the file */
};

rnnkit_status rnnkit_linefile_open(const char *path, rnnkit_linefile **out, rnnkit_error *err)
{
    *out = NULL;
    int is_stdin = !strcmp(path, "-");
    rnnkit_linefile *f = calloc(1, sizeof *f);
    if (!f)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    f->name = is_stdin ? "<stdin>" : path;
    f->hash = RNNKIT__FNV1A64_INIT;
    rnnkit_status st = rnnkit__input_open(&f->in, path, err);
    if (st) {
        free(f);
        return st;
    }
    f->f = f->in.f;
    *out = f;
    return RNNKIT_OK;
}

void rnnkit_linefile_close(rnnkit_linefile *f)
{
    if (!f)
        return;
    rnnkit__input_close(&f->in);
    free(f->buf);
    free(f);
}

const char *rnnkit_linefile_name(const rnnkit_linefile *f) { return f->name; }
uint64_t rnnkit_linefile_line(const rnnkit_linefile *f) { return f->line; }
uint64_t rnnkit_linefile_offset(const rnnkit_linefile *f) { return f->text_off; }

int rnnkit_linefile_next(rnnkit_linefile *f, int tsv, const char **text, size_t *len, rnnkit_error *err)
{
    if (f->raw > 0)
        f->start += (uint64_t)f->raw;
    f->raw = getline(&f->buf, &f->cap, f->f);
    if (f->raw < 0) {
        f->raw = 0;
        if (!ferror(f->f))
            return 0;
        rnnkit_error_set(err, RNNKIT_ERR_IO, "%s:%llu: read error: %s", f->name, (unsigned long long)f->line + 1,
                         rnnkit__input_why(&f->in));
        return -1;
    }
    f->line++;
    f->hash = rnnkit__fnv1a64_more(f->hash, f->buf, (size_t)f->raw);
    size_t n = (size_t)f->raw;
    if (n && f->buf[n - 1] == '\n')
        n--;
    if (n && f->buf[n - 1] == '\r')
        n--;
    int keep = f->keep_newline && !tsv && n < (size_t)f->raw; /* char level: the line end is "\n" */
    if (keep)
        f->buf[n++] = '\n';
    f->buf[n] = 0;
    size_t skip = f->line == 1 && n >= 3 && !memcmp(f->buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
    if (tsv) {
        const char *tab = memchr(f->buf + skip, '\t', n - skip);
        if (!tab) {
            rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%llu: no tab after the label (--format tsv)", f->name,
                             (unsigned long long)f->line);
            return -1;
        }
        skip = (size_t)(tab + 1 - f->buf);
    }
    *text = f->buf + skip;
    *len = n - skip;
    f->text_off = f->start + skip;
    return 1;
}

rnnkit_status rnnkit_vocab_builder_add_file(rnnkit_vocab_builder *b, const char *path, int tsv, int keep_newline,
                                            rnnkit_bytes_fn progress, void *ctx, uint64_t *bytes,
                                            rnnkit_error *err)
{
    rnnkit_linefile *f = NULL;
    rnnkit_status st = rnnkit_linefile_open(path, &f, err);
    if (st)
        return st;
    f->keep_newline = keep_newline;
    rnnkit_tokenizer *tk = rnnkit_vocab_builder_tokenizer(b);
    const char *text;
    size_t len;
    int r;
    while ((r = rnnkit_linefile_next(f, tsv, &text, &len, err)) > 0) {
        if (memchr(f->buf, '\0', (size_t)(text - f->buf) + len)) {
            st = rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%llu: NUL byte in text", f->name,
                                  (unsigned long long)f->line);
            break;
        }
        rnnkit_tokenizer_set_origin(tk, f->line, f->text_off);
        if ((st = rnnkit_vocab_builder_add(b, text, len, f->name, err)))
            break;
        if (progress && (f->line & 1023) == 0)
            progress(ctx, f->start + (uint64_t)f->raw);
    }
    if (r < 0)
        st = err->status;
    uint64_t size = f->start + (uint64_t)f->raw;
    if (!st)
        st = rnnkit_vocab_builder_add_source(b, f->name, (int64_t)size, (int64_t)f->line, f->hash, err);
    if (bytes)
        *bytes = size;
    rnnkit_linefile_close(f);
    return st;
}

double rnnkit_vocab_coverage(const rnnkit_vocab *v, int64_t top)
{
    int64_t n = rnnkit_vocab_size(v), total = rnnkit_vocab_total_tokens(v), sum = 0;
    for (int64_t i = 2; i < n && (top < 0 || i < 2 + top); i++)
        sum += rnnkit_vocab_count(v, i);
    return (double)sum / (total > 0 ? (double)total : 1);
}

rnnkit_status rnnkit_vocab_parse_ids(const rnnkit_vocab *v, const char *text, const char *name, uint64_t line,
                                     int32_t **ids, size_t *n, size_t *cap, rnnkit_error *err)
{
    const int64_t V = rnnkit_vocab_size(v);
    const char *p = text;
    *n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return RNNKIT_OK;
        char *end;
        errno = 0;
        long long id = strtoll(p, &end, 10);
        if (end == p || errno || (*end && *end != ' ' && *end != '\t'))
            return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%llu: '%.*s' is not an id", name,
                                    (unsigned long long)line, (int)strcspn(p, " \t"), p);
        if (id < 0 || id >= V)
            return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%llu: id %lld outside [0, %lld)", name,
                                    (unsigned long long)line, id, (long long)V);
        if (*n == *cap) {
            size_t c = *cap ? 2 * *cap : 256;
            int32_t *g = realloc(*ids, c * sizeof *g);
            if (!g)
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
            *ids = g;
            *cap = c;
        }
        (*ids)[(*n)++] = (int32_t)id;
        p = end;
    }
}
