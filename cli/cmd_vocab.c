/*
 * cli/cmd_vocab.c: `rnnkit vocab build | show` and the dispatch of
 * `rnnkit vocab <verb>` (encode and decode: cli/cmd_vocab_ids.c). Flags,
 * progress and output only: files are read by rnnkit/linefile.h, counted
 * and encoded by rnnkit/vocab.h.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/linefile.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

static const cli_use build_uses[] = {
    CLI_USE_H(CF_OUTPUT, NULL, "the vocabulary file"),
    CLI_USE(CF_FORCE),
    CLI_USE_D(CF_LEVEL, "word"),
    CLI_USE_D(CF_NORMALIZE, "nfkc for words, none for chars"),
    CLI_USE_D(CF_LOWERCASE, "for words"),
    CLI_USE_D(CF_NO_LOWERCASE, "for chars"),
    CLI_USE(CF_DROP_PUNCT),
    CLI_USE(CF_CJK_BIGRAMS),
    CLI_USE(CF_SPLIT_CLITICS),
    CLI_USE_D(CF_INVALID, "error"),
    CLI_USE_D(CF_MIN_COUNT, "1"),
    CLI_USE_D(CF_MAX_VOCAB, "no cap"),
    CLI_USE_D(CF_LINE_FORMAT, "lines"),
    CLI_USE_H(CF_APPEND, NULL, "count more corpora into the existing VOCAB.db (its rules)"),
    CLI_USE_H(CF_QUIET, NULL, "no summary on stderr"),
    CLI_USES_END,
};
static const cli_renamed build_renamed[] = {{"max-size", "max-vocab"}, {"tsv", "format tsv"}, {NULL, NULL}};
static const cli_command build_cmd = {
    "vocab build",
    "usage: rnnkit vocab build -o VOCAB.db [options] FILE... (- = stdin)\n\n"
    "Each line of a FILE is one document. The output is written atomically.\n",
    build_uses, build_renamed};

static const cli_use show_uses[] = {CLI_USE_D(CF_TOP, "20"), CLI_USE_H(CF_JSON, NULL, "one JSON object instead of text"),
                                    CLI_USES_END};
static const cli_command show_cmd = {"vocab show", "usage: rnnkit vocab show VOCAB.db [--top N] [--json]\n\n",
                                     show_uses, NULL};

/* ---------------------------------------------------------------------- */
/* build */

typedef struct build_args {
    const char *out;
    rnnkit_tok_config cfg;
    int norm, lower, drop, bigrams, clitics, tsv, append, quiet, force;
    int64_t min_count, max_size;
} build_args;

static void build_flag(void *ctx, int id, const cli_value *v)
{
    build_args *a = ctx;
    switch (id) {
    case CF_OUTPUT: a->out = v->s; break;
    case CF_FORCE: a->force = 1; break;
    case CF_LEVEL: rnnkit_tok_config_default(&a->cfg, v->i ? RNNKIT_LEVEL_CHAR : RNNKIT_LEVEL_WORD); break;
    case CF_NORMALIZE: a->norm = (int)v->i; break;
    case CF_LOWERCASE: a->lower = 1; break;
    case CF_NO_LOWERCASE: a->lower = 0; break;
    case CF_DROP_PUNCT: a->drop = 1; break;
    case CF_CJK_BIGRAMS: a->bigrams = 1; break;
    case CF_SPLIT_CLITICS: a->clitics = 1; break;
    case CF_INVALID: a->cfg.invalid = (rnnkit_invalid)v->i; break; /* error|replace|skip */
    case CF_MIN_COUNT: a->min_count = v->i; break;
    case CF_MAX_VOCAB: a->max_size = v->i; break;
    case CF_LINE_FORMAT: a->tsv = v->i == 1; break; /* lines|tsv */
    case CF_APPEND: a->append = 1; break;
    case CF_QUIET: a->quiet = 1; break;
    }
}

/* Progress of `vocab build` on a terminal. */
typedef struct build_progress {
    double t0, last_draw;
    uint64_t done, expected; /* bytes of the files before this one; of all regular files */
    int file, files;
} build_progress;

static void draw_progress(void *ctx, uint64_t bytes)
{
    build_progress *bp = ctx;
    double now = cli_now();
    if (now - bp->last_draw < 0.2)
        return;
    bp->last_draw = now;
    double done = (double)(bp->done + bytes), rate = done / (now - bp->t0 + 1e-9);
    double eta = (double)bp->expected > done ? ((double)bp->expected - done) / (rate + 1e-9) : 0;
    fprintf(stderr, "\r\033[Kfile %d/%d  %.1f MB  %.1f MB/s  ETA %.0fs", bp->file, bp->files, done / 1e6, rate / 1e6, eta);
}

/* A new builder, or one from the file for --append (its rules then). */
static rnnkit_status open_builder(build_args *a, rnnkit_vocab_builder **b, rnnkit_error *err)
{
    if (!a->append)
        return rnnkit_vocab_builder_new(&a->cfg, b, err);
    rnnkit_vocab *old = NULL;
    rnnkit_status st = rnnkit_vocab_open(a->out, &old, err);
    if (!st) {
        a->cfg = *rnnkit_vocab_config(old); /* the file's rules, not the command line's */
        st = rnnkit_vocab_builder_from_vocab(old, b, err);
    }
    rnnkit_vocab_free(old);
    return st;
}

static void build_summary(const build_args *a, const rnnkit_vocab *v, rnnkit_vocab_builder *b, double dt,
                          uint64_t bytes)
{
    fprintf(stderr, "rnnkit: %s: %lld ids from %lld tokens in %lld documents, %.1f MB in %.2f s (%.1f MB/s)\n",
            a->out, (long long)rnnkit_vocab_size(v), (long long)rnnkit_vocab_total_tokens(v),
            (long long)rnnkit_vocab_documents(v), (double)bytes / 1e6, dt, dt > 0 ? (double)bytes / 1e6 / dt : 0);
    uint64_t invalid = rnnkit_tokenizer_invalid_count(rnnkit_vocab_builder_tokenizer(b));
    if (invalid)
        fprintf(stderr, "rnnkit: %llu invalid UTF-8 sequence%s %s\n", (unsigned long long)invalid,
                invalid == 1 ? "" : "s", a->cfg.invalid == RNNKIT_INVALID_REPLACE ? "replaced by U+FFFD" : "skipped");
}

static int cmd_build(int argc, char **argv)
{
    build_args a = {.norm = -1, .lower = -1, .min_count = 1};
    rnnkit_tok_config_default(&a.cfg, RNNKIT_LEVEL_WORD);
    int first = 0, rc = cli_parse_flags(&build_cmd, argc, argv, build_flag, &a, &first);
    if (rc != CLI_GO)
        return rc;
    if (!a.out)
        return cli_usage(build_cmd.name, "-o VOCAB.db is required");
    if (first >= argc)
        return cli_usage(build_cmd.name, "no input files (use - for stdin)");
    if (a.norm >= 0)
        a.cfg.normalize = (rnnkit_norm)a.norm; /* none|nfc|nfkc, in the order of rnnkit_norm */
    if (a.lower >= 0)
        a.cfg.lowercase = a.lower;
    a.cfg.drop_punct = a.drop;
    if (a.bigrams && a.cfg.level != RNNKIT_LEVEL_WORD)
        return cli_usage(build_cmd.name, "--cjk-bigrams: word level only");
    a.cfg.cjk_bigrams = a.bigrams;
    if (a.clitics && a.cfg.level != RNNKIT_LEVEL_WORD)
        return cli_usage(build_cmd.name, "--split-clitics: word level only");
    a.cfg.split_clitics = a.clitics;
    rc = cli_check_output(a.out, RNNKIT_FILE_VOCAB, 0, (const char *const *)argv + first, (size_t)(argc - first),
                          a.force);
    if (rc != CLI_GO)
        return rc;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_vocab_builder *b = NULL;
    if (open_builder(&a, &b, &err))
        return cli_fail(&err);
    build_progress bp = {.t0 = cli_now(), .files = argc - first};
    const int show = !a.quiet && cli_isatty(2);
    for (int i = first; show && i < argc; i++) { /* for the ETA: sizes of the regular files */
        struct stat sb;
        if (strcmp(argv[i], "-") && stat(argv[i], &sb) == 0 && S_ISREG(sb.st_mode))
            bp.expected += (uint64_t)sb.st_size;
    }
    rnnkit_status st = RNNKIT_OK;
    for (int i = first; !st && i < argc; i++) {
        uint64_t bytes = 0;
        bp.file = i - first + 1;
        st = rnnkit_vocab_builder_add_file(b, argv[i], a.tsv, a.cfg.level == RNNKIT_LEVEL_CHAR,
                                           show ? draw_progress : NULL, &bp, &bytes, &err);
        bp.done += bytes;
    }
    rnnkit_vocab *v = NULL;
    if (!st)
        st = rnnkit_vocab_builder_finish(b, a.min_count, a.max_size, &v, &err);
    if (show && bp.last_draw > 0)
        fputs("\r\033[K", stderr);
    if (!st && rnnkit_vocab_size(v) <= 2 && !a.quiet)
        fprintf(stderr, "rnnkit: warning: no tokens counted (empty input?)\n");
    if (!st)
        st = rnnkit_vocab_write_file(v, a.out, &err);
    rc = st ? cli_fail(&err) : CLI_EXIT_OK;
    if (!st && !a.quiet)
        build_summary(&a, v, b, cli_now() - bp.t0, bp.done);
    rnnkit_vocab_free(v);
    rnnkit_vocab_builder_free(b);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* show */

typedef struct show_args {
    int top, json;
} show_args;

static void show_flag(void *ctx, int id, const cli_value *v)
{
    show_args *a = ctx;
    if (id == CF_TOP)
        a->top = (int)v->i;
    else if (id == CF_JSON)
        a->json = 1;
}

static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void print_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            fputs("\\n", stdout);
        else if (s[i] == '\t')
            fputs("\\t", stdout);
        else
            putchar(s[i]);
    }
}

static void show_json(const char *path, const rnnkit_vocab *v, int top)
{
    const rnnkit_tok_config *cfg = rnnkit_vocab_config(v);
    const int64_t n = rnnkit_vocab_size(v);
    printf("{\"path\":");
    json_str(path, strlen(path));
    printf(",\"level\":\"%s\",\"normalize\":\"%s\",\"lowercase\":%s,\"drop_punct\":%s,\"cjk_bigrams\":%s,"
           "\"split_clitics\":%s,\"size\":%lld,"
           "\"tokens_counted\":%lld,\"documents\":%lld,\"unicode_version\":\"%s\",\"utf8proc_version\":\"%s\","
           "\"coverage\":{\"top1k\":%.6f,\"top10k\":%.6f,\"all\":%.6f},\"sources\":[",
           cfg->level == RNNKIT_LEVEL_CHAR ? "char" : "word",
           cfg->normalize == RNNKIT_NORM_NFKC ? "nfkc" : cfg->normalize == RNNKIT_NORM_NFC ? "nfc" : "none",
           cfg->lowercase ? "true" : "false", cfg->drop_punct ? "true" : "false", cfg->cjk_bigrams ? "true" : "false",
           cfg->split_clitics ? "true" : "false",
           (long long)n, (long long)rnnkit_vocab_total_tokens(v), (long long)rnnkit_vocab_documents(v),
           rnnkit_vocab_unicode_version(v), rnnkit_vocab_utf8proc_version(v), rnnkit_vocab_coverage(v, 1000),
           rnnkit_vocab_coverage(v, 10000), rnnkit_vocab_coverage(v, -1));
    for (size_t i = 0; i < rnnkit_vocab_num_sources(v); i++) {
        int64_t bytes, lines;
        const char *hash;
        const char *p = rnnkit_vocab_source(v, i, &bytes, &lines, &hash);
        printf(i ? ",{\"path\":" : "{\"path\":");
        json_str(p, strlen(p));
        printf(",\"bytes\":%lld,\"lines\":%lld,\"fnv1a64\":\"%s\"}", (long long)bytes, (long long)lines, hash);
    }
    printf("],\"top\":[");
    for (int64_t i = 0; i < n && i < 2 + top; i++) {
        size_t len;
        const char *t = rnnkit_vocab_token(v, i, &len);
        printf(i ? ",{\"id\":%lld,\"token\":" : "{\"id\":%lld,\"token\":", (long long)i);
        json_str(t, len);
        printf(",\"count\":%lld}", (long long)rnnkit_vocab_count(v, i));
    }
    printf("]}\n");
}

static void show_text(const char *path, const rnnkit_vocab *v, int top)
{
    const rnnkit_tok_config *cfg = rnnkit_vocab_config(v);
    const int64_t n = rnnkit_vocab_size(v);
    printf("vocabulary\t%s\nlevel\t%s\nnormalize\t%s\nlowercase\t%s\ndrop_punct\t%s\ncjk_bigrams\t%s\n"
           "split_clitics\t%s\n"
           "unicode\t%s (utf8proc %s)\nsize\t%lld ids (2 reserved)\ntokens counted\t%lld in %lld documents\n",
           path, cfg->level == RNNKIT_LEVEL_CHAR ? "char" : "word",
           cfg->normalize == RNNKIT_NORM_NFKC ? "nfkc" : cfg->normalize == RNNKIT_NORM_NFC ? "nfc" : "none",
           cfg->lowercase ? "yes" : "no", cfg->drop_punct ? "yes" : "no", cfg->cjk_bigrams ? "yes" : "no",
           cfg->split_clitics ? "yes" : "no",
           rnnkit_vocab_unicode_version(v), rnnkit_vocab_utf8proc_version(v), (long long)n,
           (long long)rnnkit_vocab_total_tokens(v), (long long)rnnkit_vocab_documents(v));
    printf("coverage\ttop 1k %.2f%%, top 10k %.2f%%, all %.2f%%\n", 100.0 * rnnkit_vocab_coverage(v, 1000),
           100.0 * rnnkit_vocab_coverage(v, 10000), 100.0 * rnnkit_vocab_coverage(v, -1));
    for (size_t i = 0; i < rnnkit_vocab_num_sources(v); i++) {
        int64_t bytes, lines;
        const char *hash;
        const char *p = rnnkit_vocab_source(v, i, &bytes, &lines, &hash);
        printf("source\t%s (%lld bytes, %lld lines, fnv1a64 %s)\n", p, (long long)bytes, (long long)lines, hash);
    }
    printf("\n%8s  %-20s %12s\n", "id", "token", "count");
    for (int64_t i = 0; i < n && i < 2 + top; i++) {
        size_t len;
        const char *t = rnnkit_vocab_token(v, i, &len);
        printf("%8lld  ", (long long)i);
        print_token(t, len);
        printf("%*s %12lld\n", (int)(len < 20 ? 20 - len : 0), "", (long long)rnnkit_vocab_count(v, i));
    }
}

static int cmd_show(int argc, char **argv)
{
    show_args a = {.top = 20};
    int first = 0, rc = cli_parse_flags(&show_cmd, argc, argv, show_flag, &a, &first);
    if (rc != CLI_GO)
        return rc;
    if (first != argc - 1)
        return cli_usage(show_cmd.name, "give exactly one VOCAB.db");
    rnnkit_error err;
    rnnkit_vocab *v = NULL;
    if (rnnkit_vocab_open(argv[first], &v, &err))
        return cli_fail(&err);
    if (a.json)
        show_json(argv[first], v, a.top);
    else
        show_text(argv[first], v, a.top);
    rnnkit_vocab_free(v);
    return CLI_EXIT_OK;
}

int cmd_vocab(int argc, char **argv)
{
    static const cli_verb verbs[] = {
        {"build", cmd_build, "count tokens of corpora into a vocabulary file (SQLite)"},
        {"show", cmd_show, "configuration, size, top tokens and coverage of a vocabulary"},
        {"encode", cmd_vocab_encode, "text lines to id sequences (with Keras pad_sequences padding)"},
        {"decode", cmd_vocab_decode, "id sequences back to text"},
        {NULL, NULL, NULL}};
    return cli_dispatch("vocab", verbs, argc, argv);
}
