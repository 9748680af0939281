/*
 * cli/cmd_vocab_ids.c: `rnnkit vocab encode` (text lines to padded id
 * sequences) and `rnnkit vocab decode` (ids back to text). Flags and
 * output only: lines come from rnnkit/linefile.h, ids from rnnkit/vocab.h
 * and rnnkit_pad_sequence.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/linefile.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

static const cli_use encode_uses[] = {
    CLI_USE_H(CF_MAXLEN, NULL, "pad / truncate every sequence to N ids (0 = whole)"),
    CLI_USE_D(CF_PADDING, "pre, as Keras"),
    CLI_USE_H(CF_TRUNCATING, "pre, as Keras", "pre|post: which end loses ids"),
    CLI_USE_D(CF_VALUE, "0"),
    CLI_USE_H(CF_TSV, NULL, "the input is label<TAB>text: encode the text column"),
    CLI_USE(CF_REPORT),
    CLI_USES_END,
};
static const cli_command encode_cmd = {
    "vocab encode",
    "usage: rnnkit vocab encode VOCAB.db [options] [FILE...|-]\n\n"
    "One line of space-separated ids per input line, with the vocabulary's own\n"
    "rules. Without --maxlen sequences are printed whole.\n",
    encode_uses, NULL};

static const cli_use decode_uses[] = {CLI_USES_END};
static const cli_command decode_cmd = {
    "vocab decode",
    "usage: rnnkit vocab decode VOCAB.db [FILE...|-]\n\n"
    "Lines of space-separated ids back to text (padding ids dropped; words joined\n"
    "by spaces, characters joined directly).\n",
    decode_uses, NULL};

typedef struct encode_args {
    int maxlen, pad_pre, trunc_pre, report, tsv;
    int32_t value;
} encode_args;

/* What encode counts for --report. */
typedef struct encode_stats {
    size_t *lens, n, cap;
    uint64_t seqs_cut, ids_cut;
} encode_stats;

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Encodes one line into *ids (grown to the whole sequence without maxlen)
 * and prints it padded; *total receives its length before any cut. */
static rnnkit_status encode_line(const encode_args *a, rnnkit_vocab *v, const char *text, size_t len,
                                 const char *name, int32_t **ids, size_t *cap, int32_t *padded, size_t *total,
                                 encode_stats *s, rnnkit_error *err)
{
    rnnkit_status st;
    while (!(st = rnnkit_vocab_encode(v, text, len, name, *ids, *cap, a->trunc_pre, total, err)) && *total > *cap &&
           !a->maxlen) {
        free(*ids);
        *cap = *total;
        if (!(*ids = malloc(*cap * sizeof **ids)))
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
    }
    if (st)
        return st;
    const int32_t *outp = *ids;
    size_t outn = *total < *cap ? *total : *cap;
    if (a->maxlen) {
        size_t cut = rnnkit_pad_sequence(*ids, outn, (size_t)a->maxlen, a->pad_pre, a->trunc_pre, a->value, padded);
        cut += *total - outn;
        s->seqs_cut += cut > 0;
        s->ids_cut += cut;
        outp = padded;
        outn = (size_t)a->maxlen;
    }
    for (size_t k = 0; k < outn; k++)
        printf(k ? " %d" : "%d", outp[k]);
    putchar('\n');
    return RNNKIT_OK;
}

static rnnkit_status keep_length(encode_stats *s, size_t n, rnnkit_error *err)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        size_t *g = realloc(s->lens, s->cap * sizeof *g);
        if (!g)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        s->lens = g;
    }
    s->lens[s->n++] = n;
    return RNNKIT_OK;
}

/* Parses the flags of a verb that takes VOCAB.db [FILE...]; CLI_GO or the exit status. */
static int parse_ids(const cli_command *cmd, int argc, char **argv, encode_args *a, int *first)
{
    cli_parser p;
    cli_value v;
    int id;
    cli_parser_init(&p, cmd, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0) {
        switch (id) {
        case CF_MAXLEN: a->maxlen = (int)v.i; break;
        case CF_PADDING: a->pad_pre = v.i == 0; break;
        case CF_TRUNCATING: a->trunc_pre = v.i == 0; break;
        case CF_VALUE: a->value = (int32_t)v.i; break;
        case CF_REPORT: a->report = 1; break;
        case CF_TSV: a->tsv = 1; break;
        }
    }
    if (id == CLI_STOP)
        return p.rc;
    if (p.operand >= argc)
        return cli_usage(cmd->name, "give VOCAB.db");
    *first = p.operand;
    return CLI_GO;
}

int cmd_vocab_encode(int argc, char **argv)
{
    encode_args a = {.pad_pre = 1, .trunc_pre = 1};
    int first = 0, rc = parse_ids(&encode_cmd, argc, argv, &a, &first);
    if (rc != CLI_GO)
        return rc;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_vocab *v = NULL;
    if (rnnkit_vocab_open(argv[first], &v, &err))
        return cli_fail(&err);
    rnnkit_tokenizer *tk = rnnkit_vocab_tokenizer(v, &err);
    size_t cap = a.maxlen ? (size_t)a.maxlen : 1024, total = 0;
    int32_t *ids = malloc(cap * sizeof *ids), *padded = a.maxlen ? malloc(cap * sizeof *ids) : NULL;
    encode_stats s = {0};
    rnnkit_status st = (!tk || !ids || (a.maxlen && !padded)) ? rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory")
                                                              : RNNKIT_OK;
    for (int i = first + 1; !st && i <= argc - (argc > first + 1); i++) {
        rnnkit_linefile *f = NULL;
        if ((st = rnnkit_linefile_open(i < argc ? argv[i] : "-", &f, &err)))
            break;
        const char *text;
        size_t len;
        int r;
        while (!st && (r = rnnkit_linefile_next(f, a.tsv, &text, &len, &err)) > 0) {
            rnnkit_tokenizer_set_origin(tk, rnnkit_linefile_line(f), rnnkit_linefile_offset(f));
            st = encode_line(&a, v, text, len, rnnkit_linefile_name(f), &ids, &cap, padded, &total, &s, &err);
            if (!st && a.report)
                st = keep_length(&s, total, &err);
        }
        if (!st && r < 0)
            st = err.status;
        rnnkit_linefile_close(f);
    }
    if (!st && a.report) {
        size_t p95 = 0;
        if (s.n) {
            qsort(s.lens, s.n, sizeof *s.lens, cmp_size);
            p95 = s.lens[(size_t)((double)(s.n - 1) * 0.95 + 0.5)];
        }
        fprintf(stderr, "rnnkit: %zu sequences, %llu cut (%llu ids dropped); 95%% of lines have <= %zu ids\n", s.n,
                (unsigned long long)s.seqs_cut, (unsigned long long)s.ids_cut, p95);
    }
    rc = st ? cli_fail(&err) : CLI_EXIT_OK;
    free(ids);
    free(padded);
    free(s.lens);
    rnnkit_vocab_free(v);
    return rc;
}

int cmd_vocab_decode(int argc, char **argv)
{
    encode_args a = {0};
    int first = 0, rc = parse_ids(&decode_cmd, argc, argv, &a, &first);
    if (rc != CLI_GO)
        return rc;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_vocab *v = NULL;
    if (rnnkit_vocab_open(argv[first], &v, &err))
        return cli_fail(&err);
    const int words = rnnkit_vocab_config(v)->level == RNNKIT_LEVEL_WORD;
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    rnnkit_status st = RNNKIT_OK;
    for (int i = first + 1; !st && i <= argc - (argc > first + 1); i++) {
        rnnkit_linefile *f = NULL;
        if ((st = rnnkit_linefile_open(i < argc ? argv[i] : "-", &f, &err)))
            break;
        const char *text;
        size_t len;
        int r;
        while (!st && (r = rnnkit_linefile_next(f, 0, &text, &len, &err)) > 0) {
            st = rnnkit_vocab_parse_ids(v, text, rnnkit_linefile_name(f), rnnkit_linefile_line(f), &ids, &n, &cap,
                                        &err);
            int first_tok = 1;
            for (size_t k = 0; !st && k < n; k++) {
                if (ids[k] == RNNKIT_PAD_ID)
                    continue;
                size_t tl;
                const char *t = rnnkit_vocab_token(v, ids[k], &tl);
                if (words && !first_tok)
                    putchar(' ');
                fwrite(t, 1, tl, stdout);
                first_tok = 0;
            }
            putchar('\n');
        }
        if (!st && r < 0)
            st = err.status;
        rnnkit_linefile_close(f);
    }
    free(ids);
    rnnkit_vocab_free(v);
    return st ? cli_fail(&err) : CLI_EXIT_OK;
}
