/*
 * cli/cmd_vocab_ids.c: `rnnkit vocab encode` (text lines to padded id
 * sequences) and `rnnkit vocab decode` (ids back to text). Flags and
 * output only: lines come from rnnkit/linefile.h, ids from rnnkit/vocab.h
 * and rnnkit_pad_sequence. Decoding joins words by spaces, except that
 * under split_clitics a clitic joins the word before it ("do" "n't" ->
 * "don't"; not another clitic: "n't" "'ve" stay apart), which the
 * vocabulary tokenizes back to the same ids.
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
    CLI_USE_H(CF_LINE_FORMAT, "lines", "lines|tsv: a document per line, or label<TAB>text lines\nof which the text column is encoded"),
    CLI_USE(CF_REPORT),
    CLI_USES_END,
};
static const cli_renamed encode_renamed[] = {{"tsv", "format tsv"}, {NULL, NULL}};
static const cli_command encode_cmd = {
    "vocab encode",
    "usage: rnnkit vocab encode VOCAB.db [options] [FILE...|-]\n\n"
    "One line of space-separated ids per input line, with the vocabulary's own\n"
    "rules. Without --maxlen sequences are printed whole.\n",
    encode_uses, encode_renamed};

static const cli_use decode_uses[] = {CLI_USES_END};
static const cli_command decode_cmd = {
    "vocab decode",
    "usage: rnnkit vocab decode VOCAB.db [FILE...|-]\n\n"
    "Lines of space-separated ids back to text (padding ids dropped; words joined\n"
    "by spaces, characters joined directly; with the vocabulary's split_clitics\n"
    "a clitic joins the word before it: do n't -> don't).\n",
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
        case CF_LINE_FORMAT: a->tsv = v.i == 1; break; /* lines|tsv */
        }
    }
    if (id == CLI_STOP)
        return p.rc;
    if (p.operand >= argc)
        return cli_usage(cmd->name, "give VOCAB.db");
    *first = p.operand;
    return CLI_GO;
}

typedef rnnkit_status (*line_fn)(void *ctx, const rnnkit_linefile *f, const char *text, size_t len,
                                 rnnkit_error *err);

/* Calls fn for every line of the files argv[first+1..argc), stdin when none. */
static rnnkit_status each_line(int first, int argc, char **argv, int tsv, line_fn fn, void *ctx, rnnkit_error *err)
{
    rnnkit_status st = RNNKIT_OK;
    for (int i = first + 1; !st && i <= argc - (argc > first + 1); i++) {
        rnnkit_linefile *f = NULL;
        if ((st = rnnkit_linefile_open(i < argc ? argv[i] : "-", &f, err)))
            break;
        const char *text;
        size_t len;
        int r;
        while (!st && (r = rnnkit_linefile_next(f, tsv, &text, &len, err)) > 0)
            st = fn(ctx, f, text, len, err);
        if (!st && r < 0)
            st = err->status;
        rnnkit_linefile_close(f);
    }
    return st;
}

typedef struct encode_ctx {
    const encode_args *a;
    rnnkit_vocab *v;
    rnnkit_tokenizer *tk;
    int32_t *ids, *padded;
    size_t cap;
    encode_stats s;
} encode_ctx;

static rnnkit_status encode_one(void *ctx, const rnnkit_linefile *f, const char *text, size_t len, rnnkit_error *err)
{
    encode_ctx *e = ctx;
    size_t total = 0;
    rnnkit_tokenizer_set_origin(e->tk, rnnkit_linefile_line(f), rnnkit_linefile_offset(f));
    rnnkit_status st = encode_line(e->a, e->v, text, len, rnnkit_linefile_name(f), &e->ids, &e->cap, e->padded,
                                   &total, &e->s, err);
    return !st && e->a->report ? keep_length(&e->s, total, err) : st;
}

int cmd_vocab_encode(int argc, char **argv)
{
    encode_args a = {.pad_pre = 1, .trunc_pre = 1};
    int first = 0, rc = parse_ids(&encode_cmd, argc, argv, &a, &first);
    if (rc != CLI_GO)
        return rc;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    encode_ctx e = {.a = &a, .cap = a.maxlen ? (size_t)a.maxlen : 1024};
    if (rnnkit_vocab_open(argv[first], &e.v, &err))
        return cli_fail(&err);
    e.tk = rnnkit_vocab_tokenizer(e.v, &err);
    e.ids = malloc(e.cap * sizeof *e.ids);
    e.padded = a.maxlen ? malloc(e.cap * sizeof *e.ids) : NULL;
    rnnkit_status st = (!e.tk || !e.ids || (a.maxlen && !e.padded))
                           ? rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory")
                           : each_line(first, argc, argv, a.tsv, encode_one, &e, &err);
    if (!st && a.report) {
        size_t p95 = 0;
        if (e.s.n) {
            qsort(e.s.lens, e.s.n, sizeof *e.s.lens, cmp_size);
            p95 = e.s.lens[(size_t)((double)(e.s.n - 1) * 0.95 + 0.5)];
        }
        fprintf(stderr, "rnnkit: %zu sequences, %llu cut (%llu ids dropped); 95%% of lines have <= %zu ids\n", e.s.n,
                (unsigned long long)e.s.seqs_cut, (unsigned long long)e.s.ids_cut, p95);
    }
    rc = st ? cli_fail(&err) : CLI_EXIT_OK;
    free(e.ids);
    free(e.padded);
    free(e.s.lens);
    rnnkit_vocab_free(e.v);
    return rc;
}

typedef struct decode_ctx {
    rnnkit_vocab *v;
    int words;
    int clitics; /* split_clitics: no space before a clitic */
    int32_t *ids;
    size_t n, cap;
} decode_ctx;

static rnnkit_status decode_one(void *ctx, const rnnkit_linefile *f, const char *text, size_t len, rnnkit_error *err)
{
    decode_ctx *d = ctx;
    (void)len;
    rnnkit_status st = rnnkit_vocab_parse_ids(d->v, text, rnnkit_linefile_name(f), rnnkit_linefile_line(f), &d->ids,
                                              &d->n, &d->cap, err);
    int first = 1, after_clitic = 0;
    for (size_t k = 0; !st && k < d->n; k++) {
        if (d->ids[k] == RNNKIT_PAD_ID)
            continue;
        size_t tl;
        const char *t = rnnkit_vocab_token(d->v, d->ids[k], &tl);
        int clitic = d->clitics && rnnkit_tok_is_clitic(t, tl);
        if (d->words && !first && !(clitic && !after_clitic))
            putchar(' ');
        fwrite(t, 1, tl, stdout);
        first = 0;
        after_clitic = clitic;
    }
    putchar('\n');
    return st;
}

int cmd_vocab_decode(int argc, char **argv)
{
    encode_args a = {0};
    int first = 0, rc = parse_ids(&decode_cmd, argc, argv, &a, &first);
    if (rc != CLI_GO)
        return rc;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    decode_ctx d = {0};
    if (rnnkit_vocab_open(argv[first], &d.v, &err))
        return cli_fail(&err);
    d.words = rnnkit_vocab_config(d.v)->level == RNNKIT_LEVEL_WORD;
    d.clitics = d.words && rnnkit_vocab_config(d.v)->split_clitics;
    rnnkit_status st = each_line(first, argc, argv, 0, decode_one, &d, &err);
    free(d.ids);
    rnnkit_vocab_free(d.v);
    return st ? cli_fail(&err) : CLI_EXIT_OK;
}
