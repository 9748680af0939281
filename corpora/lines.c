/*
 * corpora/lines.c: the line-oriented formats, one example per line.
 *
 *   TSV       label<TAB>text (the text may hold more tabs)
 *   FASTTEXT  __label__A [__label__B ...] text (A is the class)
 *   TEXT      text
 *
 * The file's bytes already sit in the corpus arena; each line is checked
 * (NUL, UTF-8), split, and its label and text are NUL-terminated in place by
 * overwriting the separator and the line end, so no text is copied. A BOM at
 * the start is skipped, "\r\n" ends a line like "\n", and blank lines
 * (White_Space only) are skipped without counting as errors.
 */
#include <string.h>

#include "corpora/corpus_internal.h"

static int is_ascii_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' || ch == '\r';
}

static int is_blank(const char *s, size_t n)
{
    return rnnkit__utf8_is_blank((const unsigned char *)s, n);
}

/* One parsed line: offsets relative to the file's first byte. */
typedef struct line_split {
    size_t label, label_len; /* label_len == SIZE_MAX: no label */
    size_t text, text_len;
} line_split;

/*
 * Splits line s[a..b) per `format`. Returns RNNKIT_OK, or a status with the
 * message "name:line: ..." for a malformed row.
 */
static rnnkit_status split_line(const char *s, size_t a, size_t b, rnnkit_corpus_format format,
                                int labelled, const char *name, size_t line, line_split *out,
                                rnnkit_error *err)
{
    out->label_len = SIZE_MAX;
    out->text = a;
    out->text_len = b - a;
    if (format == RNNKIT_CORPUS_TSV) {
        const char *tab = memchr(s + a, '\t', b - a);
        if (!tab) {
            if (labelled)
                return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%zu: no tab after label",
                                        name, line);
            /* unlabelled input: the whole line is the text */
        } else {
            size_t t = (size_t)(tab - s);
            out->label = a;
            out->label_len = t - a;
            out->text = t + 1;
            out->text_len = b - (t + 1);
            if (is_blank(s + a, t - a)) {
                if (labelled)
                    return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%zu: empty label",
                                            name, line);
                out->label_len = SIZE_MAX;
            }
        }
    } else if (format == RNNKIT_CORPUS_FASTTEXT) {
        size_t p = a;
        while (p < b && is_ascii_blank(s[p]))
            p++;
        int first = 1;
        /* every leading __label__ token; the first one is the class */
        while (b - p >= 9 && memcmp(s + p, "__label__", 9) == 0) {
            size_t q = p + 9;
            while (q < b && !is_ascii_blank(s[q]))
                q++;
            if (q == p + 9)
                return rnnkit_error_set(err, RNNKIT_ERR_FORMAT,
                                        "%s:%zu: empty label after __label__", name, line);
            if (first) {
                out->label = p + 9;
                out->label_len = q - (p + 9);
                first = 0;
            }
            p = q;
            while (p < b && is_ascii_blank(s[p]))
                p++;
        }
        if (first && labelled)
            return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%zu: no __label__ prefix", name,
                                    line);
        out->text = p;
        out->text_len = b - p;
    }
    if (is_blank(s + out->text, out->text_len))
        return rnnkit_error_set(err, RNNKIT_ERR_FORMAT, "%s:%zu: empty text", name, line);
    return RNNKIT_OK;
}

rnnkit_status rnnkit__corpus_parse_lines(rnnkit_corpus *c, const char *name, size_t off, size_t n,
                                         rnnkit_corpus_format format,
                                         const rnnkit_corpus_options *opt, rnnkit_error *err)
{
    int labelled = format != RNNKIT_CORPUS_TEXT && opt->labelled;
    size_t a = 0, line = 0;
    /* The arena may move while where-strings are appended: re-read the base
     * pointer after every append and keep positions as offsets. */
    if (n >= 3 && memcmp(c->arena.data + off, "\xEF\xBB\xBF", 3) == 0)
        a = 3;
    while (a < n) {
        const char *s = c->arena.data + off;
        line++;
        const char *nl = memchr(s + a, '\n', n - a);
        size_t e = nl ? (size_t)(nl - s) : n; /* line is s[a..b), next starts after e */
        size_t b = e;
        if (b > a && s[b - 1] == '\r')
            b--;
        size_t next = nl ? e + 1 : n;

        rnnkit_error why;
        rnnkit_status st =
            rnnkit__check_text(name, (const unsigned char *)s + a, b - a, a, line, &why);
        line_split sp;
        if (!st) {
            if (is_blank(s + a, b - a)) {
                a = next;
                continue;
            }
            st = split_line(s, a, b, format, labelled, name, line, &sp, &why);
        }
        if (st) {
            if (!opt->skip_bad) {
                if (err)
                    *err = why;
                return st;
            }
            st = rnnkit__corpus_skip(c, &why, err);
            if (st)
                return st;
            a = next;
            continue;
        }

        /* Terminate label and text in place: the byte after each is a tab,
         * a blank, '\r', '\n' or the NUL after the file. */
        char *w = c->arena.data + off;
        size_t label_at = SIZE_MAX;
        if (sp.label_len != SIZE_MAX) {
            w[sp.label + sp.label_len] = '\0';
            label_at = off + sp.label;
        }
        w[sp.text + sp.text_len] = '\0';
        size_t where;
        st = rnnkit__buf_appendf(&c->arena, &where, err, "%s:%zu", name, line);
        if (!st)
            st = rnnkit__corpus_add_row(c, off + sp.text, sp.text_len, label_at, where, err);
        if (st)
            return st;
        a = next;
    }
    return RNNKIT_OK;
}
