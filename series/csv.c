/*
 * series/csv.c: reading a time series from a CSV file with libcsv.
 *
 * The file is read in 64 KiB blocks and fed to libcsv one line at a time
 * (each piece ends at a '\n' or at the block's end), so that the callbacks
 * know the line they are on without buffering lines: `line` counts the
 * '\n' fed so far, plus 1. libcsv calls field_cb at the end of each field
 * and row_cb at the end of each row; only the kept columns are parsed and
 * stored, straight into the series (rnnkit__series_push doubles its
 * arrays). Memory: the kept columns, the labels, one row of scratch.
 *
 * Invariants: the first row is the header; after it, `slot[j]` is the
 * series column of header column j or -1; once `st` is not RNNKIT_OK the
 * callbacks do nothing and the feeding stops (libcsv cannot be stopped from
 * a callback). A gap is stored as NaN and repaired at the end
 * (series/fill.c); a gap before a column's first valid value is an error
 * when met, so the repair always has a value above.
 *
 * libcsv options: CSV_STRICT (a stray quote is an error), CSV_STRICT_FINI
 * (an unclosed quote at the end is an error), CSV_APPEND_NULL. It skips
 * empty and blank lines itself and trims spaces around unquoted fields.
 */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/input.h"
#include "core/utf8.h"
#include "series/series_internal.h"

#define BLOCK (1u << 16)

typedef struct reader {
    const char *path;
    const rnnkit_csv_options *o;
    rnnkit_error *err;
    rnnkit_status st;  /* first failure */
    size_t line;       /* 1-based line being fed */
    size_t row_line;   /* line of the current row's first field */
    size_t field;      /* fields seen in the current row */
    size_t rows;       /* data rows finished (the header excluded) */
    int header_done;
    char **hdr;        /* header names, nhdr of hdr_cap */
    size_t nhdr, hdr_cap;
    int *slot;         /* [nhdr]: series column of a header column, or -1 */
    size_t date_col;   /* header index, or RNNKIT__NO_COLUMN */
    size_t F;
    size_t cols[RNNKIT_SERIES_MAX_COLUMNS]; /* header index of each series column */
    int seen[RNNKIT_SERIES_MAX_COLUMNS];    /* a valid value was met */
    double row[RNNKIT_SERIES_MAX_COLUMNS];
    char *label;       /* the current row's date label (copied: libcsv reuses
                        * its field buffer) */
    size_t label_len, label_cap;
    rnnkit_series *s;
} reader;

static void fail_nomem(reader *r)
{
    r->st = rnnkit_error_set(r->err, RNNKIT_ERR_NOMEM, "%s:%zu: out of memory (row %zu)",
                             r->path, r->line, r->rows + 1);
}

/* Checks a name or label: no NUL, well-formed UTF-8. */
static int text_ok(reader *r, const char *what, const char *p, size_t n)
{
    if (memchr(p, 0, n)) {
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_FORMAT, "%s:%zu: a NUL byte in %s",
                                 r->path, r->row_line, what);
        return 0;
    }
    size_t bad = rnnkit__utf8_invalid_at((const unsigned char *)p, n);
    if (bad < n) {
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_UTF8,
                                 "%s:%zu: %s is not valid UTF-8 (byte %zu of the field)",
                                 r->path, r->row_line, what, bad + 1);
        return 0;
    }
    return 1;
}

static void header_field(reader *r, const char *p, size_t n)
{
    if (!text_ok(r, "a column name", p, n))
        return;
    if (r->nhdr == r->hdr_cap) {
        size_t cap = r->hdr_cap ? 2 * r->hdr_cap : 16;
        char **h = cap < SIZE_MAX / sizeof *h ? realloc(r->hdr, cap * sizeof *h) : NULL;
        if (!h) {
            fail_nomem(r);
            return;
        }
        r->hdr = h;
        r->hdr_cap = cap;
    }
    char *name = rnnkit__strndup(p, n);
    if (!name) {
        fail_nomem(r);
        return;
    }
    r->hdr[r->nhdr++] = name;
}

static void keep_label(reader *r, const char *p, size_t n)
{
    if (!text_ok(r, "a date label", p, n))
        return;
    if (n >= r->label_cap) {
        size_t cap = r->label_cap ? r->label_cap : 64;
        while (cap <= n && cap < SIZE_MAX / 2)
            cap *= 2;
        char *b = cap > n ? realloc(r->label, cap) : NULL;
        if (!b) {
            fail_nomem(r);
            return;
        }
        r->label = b;
        r->label_cap = cap;
    }
    memcpy(r->label, p, n);
    r->label_len = n;
}

/* One cell of a kept column: a number, or a gap, or an error. */
static void value_field(reader *r, size_t k, const char *p, size_t n)
{
    double v = 0;
    rnnkit__cell_kind kind = rnnkit__cell_parse(p, n, &v);
    const char *col = r->hdr[r->cols[k]];
    char q[48], c[48];
    rnnkit__cell_quote(col, strlen(col), c, sizeof c);
    rnnkit__cell_quote(p, n, q, sizeof q);
    switch (kind) {
    case RNNKIT__CELL_NUMBER:
        r->row[k] = v;
        r->seen[k] = 1;
        return;
    case RNNKIT__CELL_MISSING:
    case RNNKIT__CELL_NAN:
        if (r->o->fill == RNNKIT_FILL_NONE) {
            const char *what = n == 0 ? "missing value (empty cell)"
                               : kind == RNNKIT__CELL_NAN ? "is not a finite number"
                                                          : "is not a number";
            r->st = rnnkit_error_set(r->err, RNNKIT_ERR_FORMAT,
                                     "%s:%zu: column '%s': %s%s%s%s (row %zu; a missing value: "
                                     "a fill policy, previous or linear, repairs it)",
                                     r->path, r->row_line, c, n ? "'" : "", n ? q : "",
                                     n ? "' " : "", what, r->rows + 1);
        } else if (!r->seen[k]) {
            r->st = rnnkit_error_set(r->err, RNNKIT_ERR_FORMAT,
                                     "%s:%zu: column '%s': missing value before the column's "
                                     "first number (row %zu): a gap at the start cannot be "
                                     "filled",
                                     r->path, r->row_line, c, r->rows + 1);
        } else {
            r->row[k] = NAN;
        }
        return;
    case RNNKIT__CELL_NONFINITE:
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_FORMAT,
                                 "%s:%zu: column '%s': '%s' is not a finite number", r->path,
                                 r->row_line, c, q);
        return;
    case RNNKIT__CELL_TEXT:
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_FORMAT,
                                 "%s:%zu: column '%s': '%s' is not a number", r->path,
                                 r->row_line, c, q);
        return;
    }
}

static void field_cb(void *field, size_t n, void *data)
{
    reader *r = data;
    if (r->st != RNNKIT_OK)
        return;
    const char *p = field ? field : "";
    if (r->field == 0)
        r->row_line = r->line;
    size_t j = r->field++;
    if (!r->header_done) {
        header_field(r, p, n);
        return;
    }
    if (j >= r->nhdr)
        return; /* a ragged row: row_cb reports it */
    if (j == r->date_col)
        keep_label(r, p, n);
    else if (r->slot[j] >= 0)
        value_field(r, (size_t)r->slot[j], p, n);
}

/* The header is complete: choose the columns and start the series. */
static void start_series(reader *r)
{
    rnnkit_status st = rnnkit__csv_columns(r->path, r->hdr, r->nhdr, r->o, r->cols, &r->F,
                                           &r->date_col, r->err);
    if (st != RNNKIT_OK) {
        r->st = st;
        return;
    }
    r->slot = malloc(r->nhdr * sizeof *r->slot);
    if (!r->slot) {
        fail_nomem(r);
        return;
    }
    for (size_t j = 0; j < r->nhdr; j++)
        r->slot[j] = -1;
    const char *names[RNNKIT_SERIES_MAX_COLUMNS];
    for (size_t k = 0; k < r->F; k++) {
        r->slot[r->cols[k]] = (int)k;
        names[k] = r->hdr[r->cols[k]];
    }
    int labelled = r->date_col != RNNKIT__NO_COLUMN;
    r->st = rnnkit__series_new(r->F, names, labelled, r->path,
                               labelled ? r->hdr[r->date_col] : NULL, &r->s, r->err);
}

static void row_cb(int c, void *data)
{
    reader *r = data;
    (void)c;
    if (r->st != RNNKIT_OK)
        return;
    size_t nf = r->field;
    r->field = 0;
    if (!r->header_done) {
        r->header_done = 1;
        start_series(r);
        return;
    }
    r->rows++;
    if (nf != r->nhdr) {
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_FORMAT,
                                 "%s:%zu: %zu field%s, the header has %zu (row %zu)", r->path,
                                 r->row_line, nf, nf == 1 ? "" : "s", r->nhdr, r->rows);
        return;
    }
    r->st = rnnkit__series_push(r->s, r->row, r->label, r->label_len, r->err);
    if (r->st != RNNKIT_OK)
        rnnkit_error_prefix(r->err, "%s:%zu", r->path, r->row_line);
}

/* Feeds buf[0..n) to libcsv line by line. */
static void feed(reader *r, struct csv_parser *p, const char *buf, size_t n)
{
    size_t i = 0;
    while (i < n && r->st == RNNKIT_OK) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (buf + i)) + 1 : n - i;
        if (csv_parse(p, buf + i, len, field_cb, row_cb, r) != len && r->st == RNNKIT_OK) {
            int e = csv_error(p);
            r->st = e == CSV_ENOMEM || e == CSV_ETOOBIG
                        ? rnnkit_error_set(r->err, RNNKIT_ERR_NOMEM,
                                           "%s:%zu: out of memory for a field", r->path, r->line)
                        : rnnkit_error_set(r->err, RNNKIT_ERR_FORMAT,
                                           "%s:%zu: malformed CSV: a quote inside an unquoted "
                                           "field, or text after a closing quote",
                                           r->path, r->line);
        }
        if (nl)
            r->line++;
        i += len;
    }
}

/* Reads the whole file through libcsv into r. */
static void read_file(reader *r, rnnkit__input *in, struct csv_parser *p, char *buf)
{
    FILE *f = in->f;
    int first = 1;
    size_t n;
    while (r->st == RNNKIT_OK && (n = fread(buf, 1, BLOCK, f)) > 0) {
        size_t skip = 0;
        if (first && n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
            skip = 3; /* a UTF-8 byte order mark */
        first = 0;
        feed(r, p, buf + skip, n - skip);
    }
    if (r->st == RNNKIT_OK && ferror(f)) {
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_IO, "%s:%zu: read error: %s", r->path,
                                 r->line, rnnkit__input_why(in));
        return;
    }
    if (r->st == RNNKIT_OK && csv_fini(p, field_cb, row_cb, r) != 0 && r->st == RNNKIT_OK)
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_FORMAT,
                                 "%s:%zu: malformed CSV: the file ends inside a quoted field",
                                 r->path, r->line);
    if (r->st != RNNKIT_OK)
        return;
    if (!r->header_done)
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_EMPTY, "%s: empty file (no header, no rows)",
                                 r->path);
    else if (r->rows == 0)
        r->st = rnnkit_error_set(r->err, RNNKIT_ERR_EMPTY, "%s: a header and no data rows",
                                 r->path);
}

rnnkit_csv_options rnnkit_csv_options_default(void)
{
    rnnkit_csv_options o = {.target = NULL, .features = NULL, .num_features = 0,
                            .date = NULL, .fill = RNNKIT_FILL_NONE};
    return o;
}

rnnkit_status rnnkit_series_read_csv(const char *path, const rnnkit_csv_options *o,
                                     rnnkit_series **out, rnnkit_error *err)
{
    if (!out)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_series_read_csv: out is NULL");
    *out = NULL;
    if (!path)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "rnnkit_series_read_csv: path is NULL");
    rnnkit_csv_options def = rnnkit_csv_options_default();
    if (!o)
        o = &def;
    if (o->fill != RNNKIT_FILL_NONE && o->fill != RNNKIT_FILL_PREVIOUS &&
        o->fill != RNNKIT_FILL_LINEAR)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "%s: unknown fill policy %d", path,
                                (int)o->fill);
    struct stat sb;
    if (strcmp(path, "-") && stat(path, &sb) != 0)
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: %s", path, strerror(errno));
    rnnkit__input in;
    rnnkit_status ost = rnnkit__input_open(&in, path, err);
    if (ost)
        return ost;
    reader r = {.path = path, .o = o, .err = err, .st = RNNKIT_OK, .line = 1,
                .date_col = RNNKIT__NO_COLUMN};
    struct csv_parser p;
    char *buf = malloc(BLOCK);
    int parser_ok = buf && csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) == 0;
    if (!parser_ok)
        r.st = rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "%s: out of memory", path);
    else
        read_file(&r, &in, &p, buf);
    if (parser_ok)
        csv_free(&p);
    free(buf);
    rnnkit__input_close(&in);
    if (r.st == RNNKIT_OK)
        rnnkit__series_fill(r.s, o->fill);
    for (size_t j = 0; j < r.nhdr; j++)
        free(r.hdr[j]);
    free(r.hdr);
    free(r.slot);
    free(r.label);
    if (r.st != RNNKIT_OK) {
        rnnkit_series_free(r.s);
        return r.st;
    }
    *out = r.s;
    return RNNKIT_OK;
}
