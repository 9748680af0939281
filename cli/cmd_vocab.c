/*
 * cli/cmd_vocab.c: `rnnkit vocab build | show | encode | decode`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

static const char usage_main[] =
    "usage: rnnkit vocab <verb> [options]\n"
    "\n"
    "verbs:\n"
    "  build    count tokens of corpora into a vocabulary file (SQLite)\n"
    "  show     configuration, size, top tokens and coverage of a vocabulary\n"
    "  encode   text lines to id sequences (with Keras pad_sequences padding)\n"
    "  decode   id sequences back to text\n"
    "\n"
    "`rnnkit vocab <verb> --help` for the options of a verb.\n";

static const char usage_build[] =
    "usage: rnnkit vocab build -o VOCAB.db [options] FILE... (- = stdin)\n"
    "\n"
    "Each line of a FILE is one document. The output is written atomically.\n"
    "  -o, --output FILE      the vocabulary file\n"
    "  --level L              word|char (default word)\n"
    "  --normalize N          nfkc|nfc|none (default nfkc for words, none for chars)\n"
    "  --lowercase / --no-lowercase\n"
    "                         Unicode case folding (default on for words, off for chars)\n"
    "  --drop-punct           word level: drop punctuation and symbol tokens\n"
    "  --cjk-bigrams          word level: also each pair of adjacent CJK characters as a\n"
    "                         token (\"酒店\" -> 酒 酒店 店): words for text without spaces\n"
    "  --invalid R            error|replace|skip for invalid UTF-8 (default error;\n"
    "                         replace writes U+FFFD and reports how many)\n"
    "  --min-count N          keep tokens seen at least N times (default 1)\n"
    "  --max-size N           at most N ids in all, the two reserved ids <pad> (0) and\n"
    "                         <unk> (1) INCLUDED (default: no cap)\n"
    "  --tsv                  the files are label<TAB>text: count only the text column\n"
    "  --append               count more corpora into the existing VOCAB.db (its rules)\n"
    "  -q, --quiet            no summary on stderr\n";

static const char usage_show[] =
    "usage: rnnkit vocab show VOCAB.db [--top N] [--json]\n"
    "\n"
    "  --top N     how many of the most frequent tokens to list (default 20)\n"
    "  --json      one JSON object instead of text\n";

static const char usage_encode[] =
    "usage: rnnkit vocab encode VOCAB.db [options] [FILE...|-]\n"
    "\n"
    "One line of space-separated ids per input line, with the vocabulary's own\n"
    "rules. Without --maxlen sequences are printed whole.\n"
    "  --maxlen N             pad / truncate every sequence to N ids\n"
    "  --padding S            pre|post: where padding goes (default pre, as Keras)\n"
    "  --truncating S         pre|post: which end loses ids (default pre, as Keras)\n"
    "  --value V              the padding id (default 0)\n"
    "  --tsv                  the input is label<TAB>text: encode the text column\n"
    "  --report               print to stderr how many sequences and ids were cut and\n"
    "                         the length that covers 95 % of the lines\n";

static const char usage_decode[] =
    "usage: rnnkit vocab decode VOCAB.db [FILE...|-]\n"
    "\n"
    "Lines of space-separated ids back to text (padding ids dropped; words joined\n"
    "by spaces, characters joined directly).\n";

/* ---------------------------------------------------------------------- */
/* Reading input in lines without holding the whole file. */

typedef struct line_reader {
    FILE *f;
    char *buf;
    size_t cap;
    size_t raw; /* bytes of the last line read, its line end included */
} line_reader;

/* Returns the line length (without the newline and a CR before it), -1 at
 * end, -2 on error. */
static ssize_t read_line(line_reader *r)
{
    ssize_t n = getline(&r->buf, &r->cap, r->f);
    if (n < 0)
        return ferror(r->f) ? -2 : -1;
    r->raw = (size_t)n;
    if (n && r->buf[n - 1] == '\n')
        n--;
    if (n && r->buf[n - 1] == '\r')
        n--;
    r->buf[n] = 0;
    return n;
}

static FILE *open_input(const char *path, rnnkit_error *err)
{
    if (!strcmp(path, "-"))
        return stdin;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: is a directory, expected a text file", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    return f;
}

static uint64_t fnv_update(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

/* ---------------------------------------------------------------------- */

static int cmd_build(int argc, char **argv)
{
    const char *out = NULL;
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    int norm_set = 0, lower_set = -1, drop = 0, bigrams = 0, tsv = 0, append = 0, quiet = 0;
    rnnkit_norm norm = RNNKIT_NORM_NFKC;
    rnnkit_invalid inv = RNNKIT_INVALID_ERROR;
    int64_t min_count = 1, max_size = 0;
    enum { O_LEVEL = 256, O_NORM, O_LOWER, O_NOLOWER, O_DROP, O_BIGRAM, O_INVALID, O_MINC, O_MAXS, O_TSV, O_APPEND };
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"level", required_argument, 0, O_LEVEL},
        {"normalize", required_argument, 0, O_NORM}, {"lowercase", no_argument, 0, O_LOWER},
        {"no-lowercase", no_argument, 0, O_NOLOWER}, {"drop-punct", no_argument, 0, O_DROP},
        {"cjk-bigrams", no_argument, 0, O_BIGRAM},
        {"invalid", required_argument, 0, O_INVALID}, {"min-count", required_argument, 0, O_MINC},
        {"max-size", required_argument, 0, O_MAXS}, {"tsv", no_argument, 0, O_TSV},
        {"append", no_argument, 0, O_APPEND}, {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'o': out = optarg; break;
        case O_LEVEL:
            if (!strcmp(optarg, "word"))
                rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
            else if (!strcmp(optarg, "char"))
                rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_CHAR);
            else
                return cli_usage_error(usage_build, "--level: '%s' is not word or char", optarg);
            break;
        case O_NORM:
            norm_set = 1;
            if (!strcmp(optarg, "nfkc"))
                norm = RNNKIT_NORM_NFKC;
            else if (!strcmp(optarg, "nfc"))
                norm = RNNKIT_NORM_NFC;
            else if (!strcmp(optarg, "none"))
                norm = RNNKIT_NORM_NONE;
            else
                return cli_usage_error(usage_build, "--normalize: '%s' is not nfkc, nfc or none", optarg);
            break;
        case O_LOWER: lower_set = 1; break;
        case O_NOLOWER: lower_set = 0; break;
        case O_DROP: drop = 1; break;
        case O_BIGRAM: bigrams = 1; break;
        case O_INVALID:
            if (!strcmp(optarg, "error"))
                inv = RNNKIT_INVALID_ERROR;
            else if (!strcmp(optarg, "replace"))
                inv = RNNKIT_INVALID_REPLACE;
            else if (!strcmp(optarg, "skip"))
                inv = RNNKIT_INVALID_SKIP;
            else
                return cli_usage_error(usage_build, "--invalid: '%s' is not error, replace or skip", optarg);
            break;
        case O_MINC: bad = cli_parse_i64("--min-count", optarg, 1, INT64_MAX, &min_count); break;
        case O_MAXS: bad = cli_parse_i64("--max-size", optarg, 3, INT64_C(1) << 31, &max_size); break;
        case O_TSV: tsv = 1; break;
        case O_APPEND: append = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage_build, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_build, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_build, "unknown option '%s'", argv[optind - 1]);
        }
        if (bad)
            return CLI_EXIT_USAGE;
    }
    if (!out)
        return cli_usage_error(usage_build, "-o VOCAB.db is required");
    if (optind >= argc)
        return cli_usage_error(usage_build, "no input files (use - for stdin)");
    if (norm_set)
        cfg.normalize = norm;
    if (lower_set >= 0)
        cfg.lowercase = lower_set;
    cfg.drop_punct = drop;
    if (bigrams && cfg.level != RNNKIT_LEVEL_WORD)
        return cli_usage_error(usage_build, "--cjk-bigrams: word level only");
    cfg.cjk_bigrams = bigrams;
    cfg.invalid = inv;

    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_vocab_builder *b = NULL;
    rnnkit_status st;
    if (append) {
        rnnkit_vocab *old = NULL;
        st = rnnkit_vocab_open(out, &old, &err);
        if (!st) {
            cfg = *rnnkit_vocab_config(old); /* the file's rules, not the command line's */
            st = rnnkit_vocab_builder_from_vocab(old, &b, &err);
        }
        rnnkit_vocab_free(old);
    } else {
        st = rnnkit_vocab_builder_new(&cfg, &b, &err);
    }
    if (st)
        return cli_fail(&err);
    rnnkit_tokenizer *tk = rnnkit_vocab_builder_tokenizer(b);
    line_reader r = {0};
    double t0 = cli_now(), last_draw = 0;
    uint64_t bytes_all = 0, bytes_expected = 0;
    const int show = !quiet && cli_isatty(2);
    for (int i = optind; show && i < argc; i++) { /* for the ETA: sizes of the regular files */
        struct stat sb;
        if (strcmp(argv[i], "-") && stat(argv[i], &sb) == 0 && S_ISREG(sb.st_mode))
            bytes_expected += (uint64_t)sb.st_size;
    }
    for (int i = optind; !st && i < argc; i++) {
        const char *path = argv[i];
        const char *name = strcmp(path, "-") ? path : "<stdin>";
        r.f = open_input(path, &err);
        if (!r.f) {
            st = err.status;
            break;
        }
        uint64_t line = 0, offset = 0, hash = 0xcbf29ce484222325ULL;
        ssize_t n;
        for (;;) {
            long pos = r.f == stdin ? -1 : 0;
            (void)pos;
            ssize_t raw;
            /* getline keeps the newline; measure the raw length for offsets */
            raw = getline(&r.buf, &r.cap, r.f);
            if (raw < 0) {
                if (ferror(r.f))
                    st = rnnkit_error_set(&err, RNNKIT_ERR_IO, "%s: read error: %s", name, strerror(errno));
                break;
            }
            hash = fnv_update(hash, r.buf, (size_t)raw);
            line++;
            n = raw;
            if (n && r.buf[n - 1] == '\n')
                n--;
            if (n && r.buf[n - 1] == '\r')
                n--;
            /* char level: the line end is a token ("\n"; CRLF counts as "\n") */
            int keep_nl = cfg.level == RNNKIT_LEVEL_CHAR && !tsv && n < raw;
            if (keep_nl)
                r.buf[n] = '\n';
            const char *text = r.buf;
            size_t len = (size_t)n + (size_t)keep_nl;
            size_t skip = 0;
            if (line == 1 && len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
                skip = 3;
            if (tsv) {
                const char *tab = memchr(text + skip, '\t', len - skip);
                if (!tab) {
                    st = rnnkit_error_set(&err, RNNKIT_ERR_FORMAT, "%s:%llu: no tab after the label (--tsv)", name,
                                          (unsigned long long)line);
                    break;
                }
                skip = (size_t)(tab + 1 - text);
            }
            if (memchr(text, '\0', len)) {
                st = rnnkit_error_set(&err, RNNKIT_ERR_FORMAT, "%s:%llu: NUL byte in text", name,
                                      (unsigned long long)line);
                break;
            }
            rnnkit_tokenizer_set_origin(tk, line, offset + skip);
            st = rnnkit_vocab_builder_add(b, text + skip, len - skip, name, &err);
            offset += (uint64_t)raw;
            if (st)
                break;
            if (show && (line & 1023) == 0) {
                double now = cli_now();
                if (now - last_draw >= 0.2) {
                    last_draw = now;
                    double done = (double)(bytes_all + offset), rate = done / (now - t0 + 1e-9);
                    double eta = bytes_expected > done ? ((double)bytes_expected - done) / (rate + 1e-9) : 0;
                    fprintf(stderr, "\r\033[Kfile %d/%d  %.1f MB  %.1f MB/s  ETA %.0fs", i - optind + 1,
                            argc - optind, done / 1e6, rate / 1e6, eta);
                }
            }
        }
        bytes_all += offset;
        if (!st)
            st = rnnkit_vocab_builder_add_source(b, name, (int64_t)offset, (int64_t)line, hash, &err);
        if (r.f != stdin)
            fclose(r.f);
    }
    free(r.buf);
    rnnkit_vocab *v = NULL;
    if (!st)
        st = rnnkit_vocab_builder_finish(b, min_count, max_size, &v, &err);
    if (show && last_draw > 0)
        fputs("\r\033[K", stderr);
    if (!st && rnnkit_vocab_size(v) <= 2 && !quiet)
        fprintf(stderr, "rnnkit: warning: no tokens counted (empty input?)\n");
    if (!st)
        st = rnnkit_vocab_write_file(v, out, &err);
    uint64_t invalid = rnnkit_tokenizer_invalid_count(tk);
    int rc = st ? cli_fail(&err) : CLI_EXIT_OK;
    if (!st && !quiet) {
        double dt = cli_now() - t0;
        fprintf(stderr, "rnnkit: %s: %lld ids from %lld tokens in %lld documents, %.1f MB in %.2f s (%.1f MB/s)\n", out,
                (long long)rnnkit_vocab_size(v), (long long)rnnkit_vocab_total_tokens(v),
                (long long)rnnkit_vocab_documents(v), (double)bytes_all / 1e6, dt,
                dt > 0 ? (double)bytes_all / 1e6 / dt : 0);
        if (invalid)
            fprintf(stderr, "rnnkit: %llu invalid UTF-8 sequence%s %s\n", (unsigned long long)invalid,
                    invalid == 1 ? "" : "s", cfg.invalid == RNNKIT_INVALID_REPLACE ? "replaced by U+FFFD" : "skipped");
    }
    rnnkit_vocab_free(v);
    rnnkit_vocab_builder_free(b);
    return rc;
}

/* ---------------------------------------------------------------------- */

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

static int cmd_show(int argc, char **argv)
{
    int top = 20, json = 0;
    static const struct option opts[] = {{"top", required_argument, 0, 't'}, {"json", no_argument, 0, 'j'},
                                          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (cli_parse_int("--top", optarg, 0, 1 << 30, &top))
                return CLI_EXIT_USAGE;
            break;
        case 'j': json = 1; break;
        case 'h': fputs(usage_show, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_show, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_show, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(usage_show, "give exactly one VOCAB.db");
    rnnkit_error err;
    rnnkit_vocab *v = NULL;
    if (rnnkit_vocab_open(argv[optind], &v, &err))
        return cli_fail(&err);
    const rnnkit_tok_config *cfg = rnnkit_vocab_config(v);
    int64_t n = rnnkit_vocab_size(v), total = rnnkit_vocab_total_tokens(v);
    int64_t k1 = 0, k10 = 0, all = 0;
    for (int64_t i = 2; i < n; i++) {
        int64_t cnt = rnnkit_vocab_count(v, i);
        all += cnt;
        if (i < 2 + 1000)
            k1 += cnt;
        if (i < 2 + 10000)
            k10 += cnt;
    }
    double d = total > 0 ? (double)total : 1;
    const char *level = cfg->level == RNNKIT_LEVEL_CHAR ? "char" : "word";
    const char *norm = cfg->normalize == RNNKIT_NORM_NFKC ? "nfkc" : cfg->normalize == RNNKIT_NORM_NFC ? "nfc" : "none";
    if (json) {
        printf("{\"path\":");
        json_str(argv[optind], strlen(argv[optind]));
        printf(",\"level\":\"%s\",\"normalize\":\"%s\",\"lowercase\":%s,\"drop_punct\":%s,\"cjk_bigrams\":%s,\"size\":%lld,"
               "\"tokens_counted\":%lld,\"documents\":%lld,\"unicode_version\":\"%s\",\"utf8proc_version\":\"%s\","
               "\"coverage\":{\"top1k\":%.6f,\"top10k\":%.6f,\"all\":%.6f},\"sources\":[",
               level, norm, cfg->lowercase ? "true" : "false", cfg->drop_punct ? "true" : "false",
               cfg->cjk_bigrams ? "true" : "false", (long long)n,
               (long long)total, (long long)rnnkit_vocab_documents(v), rnnkit_vocab_unicode_version(v),
               rnnkit_vocab_utf8proc_version(v), (double)k1 / d, (double)k10 / d, (double)all / d);
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
    } else {
        printf("vocabulary\t%s\nlevel\t%s\nnormalize\t%s\nlowercase\t%s\ndrop_punct\t%s\ncjk_bigrams\t%s\n"
               "unicode\t%s (utf8proc %s)\nsize\t%lld ids (2 reserved)\ntokens counted\t%lld in %lld documents\n",
               argv[optind], level, norm, cfg->lowercase ? "yes" : "no", cfg->drop_punct ? "yes" : "no",
               cfg->cjk_bigrams ? "yes" : "no",
               rnnkit_vocab_unicode_version(v), rnnkit_vocab_utf8proc_version(v), (long long)n, (long long)total,
               (long long)rnnkit_vocab_documents(v));
        printf("coverage\ttop 1k %.2f%%, top 10k %.2f%%, all %.2f%%\n", 100.0 * (double)k1 / d,
               100.0 * (double)k10 / d, 100.0 * (double)all / d);
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
    rnnkit_vocab_free(v);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------------- */

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_encode(int argc, char **argv)
{
    int64_t maxlen = -1;
    int pad_pre = 1, trunc_pre = 1, report = 0, tsv = 0;
    int64_t value = 0;
    static const struct option opts[] = {{"maxlen", required_argument, 0, 'm'}, {"padding", required_argument, 0, 'p'},
                                          {"truncating", required_argument, 0, 't'}, {"value", required_argument, 0, 'v'},
                                          {"report", no_argument, 0, 'r'}, {"tsv", no_argument, 0, 's'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (cli_parse_i64("--maxlen", optarg, 1, 100000000, &maxlen))
                return CLI_EXIT_USAGE;
            break;
        case 'p':
        case 't':
            if (strcmp(optarg, "pre") && strcmp(optarg, "post"))
                return cli_usage_error(usage_encode, "--%s: '%s' is not pre or post",
                                       c == 'p' ? "padding" : "truncating", optarg);
            *(c == 'p' ? &pad_pre : &trunc_pre) = !strcmp(optarg, "pre");
            break;
        case 'v':
            if (cli_parse_i64("--value", optarg, INT32_MIN, INT32_MAX, &value))
                return CLI_EXIT_USAGE;
            break;
        case 'r': report = 1; break;
        case 's': tsv = 1; break;
        case 'h': fputs(usage_encode, stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error(usage_encode, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(usage_encode, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error(usage_encode, "give VOCAB.db");
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_vocab *v = NULL;
    if (rnnkit_vocab_open(argv[optind], &v, &err))
        return cli_fail(&err);
    rnnkit_tokenizer *tk = rnnkit_vocab_tokenizer(v, &err);
    int nin = argc - optind - 1;
    char *stdin_only[] = {"-"};
    char **inputs = nin ? argv + optind + 1 : stdin_only;
    if (!nin)
        nin = 1;
    size_t cap = 1024;
    int32_t *ids = malloc(cap * sizeof *ids), *padded = maxlen > 0 ? malloc((size_t)maxlen * sizeof *ids) : NULL;
    size_t *lens = NULL, nlens = 0, caplens = 0;
    uint64_t seqs_cut = 0, ids_cut = 0;
    rnnkit_status st = (!tk || !ids || (maxlen > 0 && !padded))
                           ? rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory") : RNNKIT_OK;
    line_reader r = {0};
    for (int i = 0; !st && i < nin; i++) {
        const char *name = strcmp(inputs[i], "-") ? inputs[i] : "<stdin>";
        r.f = open_input(inputs[i], &err);
        if (!r.f) {
            st = err.status;
            break;
        }
        uint64_t line = 0, offset = 0;
        ssize_t n;
        while ((n = read_line(&r)) >= 0) {
            line++;
            const char *text = r.buf;
            size_t len = (size_t)n;
            uint64_t start = offset;
            offset += r.raw;
            if (line == 1 && len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
                text += 3;
                len -= 3;
                start += 3;
            }
            if (tsv) {
                const char *tab = memchr(text, '\t', len);
                if (!tab) {
                    st = rnnkit_error_set(&err, RNNKIT_ERR_FORMAT, "%s:%llu: no tab after the label (--tsv)", name,
                                          (unsigned long long)line);
                    break;
                }
                start += (uint64_t)(tab + 1 - text);
                len -= (size_t)(tab + 1 - text);
                text = tab + 1;
            }
            rnnkit_tokenizer_set_origin(tk, line, start);
            size_t total = 0;
            for (;;) {
                st = rnnkit_vocab_encode(v, text, len, name, ids, cap, trunc_pre, &total, &err);
                if (st || total <= cap || maxlen > 0)
                    break;
                free(ids);
                cap = total;
                ids = malloc(cap * sizeof *ids);
                if (!ids) {
                    st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
                    break;
                }
            }
            if (st)
                break;
            if (maxlen > 0 && (size_t)maxlen > cap) {
                /* need all the ids that survive truncation */
                free(ids);
                cap = (size_t)maxlen;
                ids = malloc(cap * sizeof *ids);
                if (!ids || (st = rnnkit_vocab_encode(v, text, len, name, ids, cap, trunc_pre, &total, &err))) {
                    if (!ids)
                        st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
                    break;
                }
            }
            if (report) {
                if (nlens == caplens) {
                    caplens = caplens ? caplens * 2 : 1024;
                    size_t *g = realloc(lens, caplens * sizeof *g);
                    if (!g) {
                        st = rnnkit_error_set(&err, RNNKIT_ERR_NOMEM, "out of memory");
                        break;
                    }
                    lens = g;
                }
                lens[nlens++] = total;
            }
            const int32_t *outp = ids;
            size_t outn = total < cap ? total : cap;
            if (maxlen > 0) {
                size_t cut = rnnkit_pad_sequence(ids, outn, (size_t)maxlen, pad_pre, trunc_pre, (int32_t)value, padded);
                cut += total - outn;
                seqs_cut += cut > 0;
                ids_cut += cut;
                outp = padded;
                outn = (size_t)maxlen;
            }
            for (size_t k = 0; k < outn; k++)
                printf(k ? " %d" : "%d", outp[k]);
            putchar('\n');
        }
        if (!st && n == -2)
            st = rnnkit_error_set(&err, RNNKIT_ERR_IO, "%s: read error", name);
        if (r.f != stdin)
            fclose(r.f);
    }
    free(r.buf);
    if (!st && report) {
        size_t p95 = 0;
        if (nlens) {
            qsort(lens, nlens, sizeof *lens, cmp_size);
            p95 = lens[(size_t)((double)(nlens - 1) * 0.95 + 0.5)];
        }
        fprintf(stderr, "rnnkit: %zu sequences, %llu cut (%llu ids dropped); 95%% of lines have <= %zu ids\n", nlens,
                (unsigned long long)seqs_cut, (unsigned long long)ids_cut, p95);
    }
    int rc = st ? cli_fail(&err) : CLI_EXIT_OK;
    free(ids);
    free(padded);
    free(lens);
    rnnkit_vocab_free(v);
    return rc;
}

static int cmd_decode(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage_decode, stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 2 || (argv[1][0] == '-' && argv[1][1]))
        return cli_usage_error(usage_decode, argc < 2 ? "give VOCAB.db" : "unknown option '%s'", argv[1]);
    rnnkit_error err;
    rnnkit_vocab *v = NULL;
    if (rnnkit_vocab_open(argv[1], &v, &err))
        return cli_fail(&err);
    const int words = rnnkit_vocab_config(v)->level == RNNKIT_LEVEL_WORD;
    const int64_t V = rnnkit_vocab_size(v);
    int nin = argc - 2;
    char *stdin_only[] = {"-"};
    char **inputs = nin ? argv + 2 : stdin_only;
    if (!nin)
        nin = 1;
    rnnkit_status st = RNNKIT_OK;
    line_reader r = {0};
    for (int i = 0; !st && i < nin; i++) {
        const char *name = strcmp(inputs[i], "-") ? inputs[i] : "<stdin>";
        r.f = open_input(inputs[i], &err);
        if (!r.f) {
            st = err.status;
            break;
        }
        uint64_t line = 0;
        while (!st && read_line(&r) >= 0) {
            line++;
            char *p = r.buf;
            int first = 1;
            for (;;) {
                while (*p == ' ' || *p == '\t')
                    p++;
                if (!*p)
                    break;
                char *end;
                errno = 0;
                long long id = strtoll(p, &end, 10);
                if (end == p || errno || (*end && *end != ' ' && *end != '\t')) {
                    st = rnnkit_error_set(&err, RNNKIT_ERR_FORMAT, "%s:%llu: '%.*s' is not an id", name,
                                          (unsigned long long)line, (int)strcspn(p, " \t"), p);
                    break;
                }
                if (id < 0 || id >= V) {
                    st = rnnkit_error_set(&err, RNNKIT_ERR_FORMAT, "%s:%llu: id %lld outside [0, %lld)", name,
                                          (unsigned long long)line, id, (long long)V);
                    break;
                }
                p = end;
                if (id == RNNKIT_PAD_ID)
                    continue;
                size_t len;
                const char *t = rnnkit_vocab_token(v, id, &len);
                if (words && !first)
                    putchar(' ');
                fwrite(t, 1, len, stdout);
                first = 0;
            }
            putchar('\n');
        }
        if (r.f != stdin)
            fclose(r.f);
    }
    free(r.buf);
    rnnkit_vocab_free(v);
    return st ? cli_fail(&err) : CLI_EXIT_OK;
}

int cmd_vocab(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage_main, "vocab: missing verb");
    const char *verb = argv[1];
    if (!strcmp(verb, "--help") || !strcmp(verb, "-h")) {
        fputs(usage_main, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(verb, "build"))
        return cmd_build(argc - 1, argv + 1);
    if (!strcmp(verb, "show"))
        return cmd_show(argc - 1, argv + 1);
    if (!strcmp(verb, "encode"))
        return cmd_encode(argc - 1, argv + 1);
    if (!strcmp(verb, "decode"))
        return cmd_decode(argc - 1, argv + 1);
    return cli_usage_error(usage_main, "vocab: unknown verb '%s'", verb);
}
