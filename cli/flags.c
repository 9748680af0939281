/*
 * cli/flags.c: the table of the program's flags (one definition each) and
 * the parser built from it: getopt_long tables, checked values, help text,
 * and two-line usage errors with a suggestion for a mistyped flag.
 *
 * Invariant: table[i].id == i (checked by the order of the initialisers,
 * which use designated indices). Every value is checked here (check_value),
 * so a bad number reads the same in every command.
 */
#include "cli/flags.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define FLAG(ID, NAME, SHORT, KIND, META) [ID] = {.id = ID, .name = NAME, .short_name = SHORT, .kind = KIND, .meta = META
#define RANGE(LO, HI) .ilo = (LO), .ihi = (HI)
#define REALS(LO, HI) .dlo = (LO), .dhi = (HI)

static const cli_flag table[CLI_NUM_FLAGS] = {
    FLAG(CF_OUTPUT, "output", 'o', CLI_TEXT, "FILE"), .help = "the output file"},
    FLAG(CF_FORCE, "force", 0, CLI_SWITCH, NULL),
        .help = "replace an existing output that is not an rnnkit file of the\nkind written (never one of the inputs)"},
    FLAG(CF_MODEL, "model", 'm', CLI_TEXT, "FILE"), .help = "the model file"},
    FLAG(CF_QUIET, "quiet", 'q', CLI_SWITCH, NULL), .help = "no progress output"},
    FLAG(CF_LOG_FORMAT, "log-format", 0, CLI_WORD, "F"), .words = "text|jsonl",
        .help = "text|jsonl: progress as text or one JSON object per line"},
    FLAG(CF_JSON, "json", 0, CLI_SWITCH, NULL), .help = "print JSON instead of text"},
    FLAG(CF_THREADS, "threads", 0, CLI_INT, "N"), RANGE(1, 256),
        .help = "threads (default: $RNNKIT_THREADS, else every core this process may use); "
                "the results are the same for any N"},

    FLAG(CF_TRAIN, "train", 0, CLI_TEXT, "FILE"), .help = "the training data"},
    FLAG(CF_VALID, "valid", 0, CLI_TEXT, "FILE"), .help = "validation data (model selection, early stopping)"},
    FLAG(CF_VALID_FRAC, "valid-frac", 0, CLI_REAL, "F"), REALS(0, 0.9),
        .help = "fraction of the training data held out as validation"},
    FLAG(CF_FORMAT, "format", 0, CLI_WORD, "F"), .words = "auto|tsv|fasttext|dir",
        .help = "auto|tsv|fasttext|dir: the layout of labelled data"},
    /* the same idea for files read line by line (a command takes CF_FORMAT or CF_LINE_FORMAT) */
    FLAG(CF_LINE_FORMAT, "format", 0, CLI_WORD, "F"), .words = "lines|tsv",
        .help = "lines|tsv: a document per line, or label<TAB>text lines\nof which only the text counts"},
    FLAG(CF_SKIP_BAD, "skip-bad", 0, CLI_SWITCH, NULL), .help = "count and skip malformed rows instead of failing"},


    FLAG(CF_VOCAB, "vocab", 0, CLI_TEXT, "FILE"), .help = "a vocabulary file (from `rnnkit vocab build`)"},
    FLAG(CF_LEVEL, "level", 0, CLI_WORD, "L"), .words = "word|char", .help = "word|char: the unit of a token"},
    FLAG(CF_NORMALIZE, "normalize", 0, CLI_WORD, "N"), .words = "none|nfc|nfkc",
        .help = "none|nfc|nfkc: Unicode normalisation"},
    FLAG(CF_LOWERCASE, "lowercase", 0, CLI_SWITCH, NULL), .help = "Unicode case folding"},
    FLAG(CF_NO_LOWERCASE, "no-lowercase", 0, CLI_SWITCH, NULL), .help = "no case folding"},
    FLAG(CF_DROP_PUNCT, "drop-punct", 0, CLI_SWITCH, NULL), .help = "word level: drop punctuation and symbol tokens"},
    FLAG(CF_CJK_BIGRAMS, "cjk-bigrams", 0, CLI_SWITCH, NULL),
        .help = "word level: also each pair of adjacent CJK characters as a\n"
                "token (\"酒店\" -> 酒 酒店 店): words for text without spaces"},
    FLAG(CF_SPLIT_CLITICS, "split-clitics", 0, CLI_SWITCH, NULL),
        .help = "word level: English clitics as tokens of their own, the Penn\n"
                "Treebank way (don't -> do n't, it's -> it 's), as MR and SST\n"
                "write them"},
    FLAG(CF_INVALID, "invalid", 0, CLI_WORD, "R"), .words = "error|replace|skip",
        .help = "error|replace|skip for invalid UTF-8 (replace writes U+FFFD\nand reports how many)"},
    FLAG(CF_MIN_COUNT, "min-count", 0, CLI_I64, "N"), RANGE(1, INT64_MAX),
        .help = "drop tokens seen fewer than N times"},
    FLAG(CF_MAX_VOCAB, "max-vocab", 0, CLI_I64, "N"), RANGE(3, INT64_C(1) << 31),
        .help = "at most N ids, the reserved <pad> (0) and <unk> (1) included"},
    FLAG(CF_APPEND, "append", 0, CLI_SWITCH, NULL), .help = "count more corpora into the existing file (its rules)"},
    FLAG(CF_TOP, "top", 0, CLI_INT, "N"), RANGE(0, 1 << 30), .help = "how many of the most frequent tokens to list"},
    FLAG(CF_MAXLEN, "maxlen", 0, CLI_INT, "N"), RANGE(0, 100000000), .help = "tokens kept per document (0 = all)"},
    FLAG(CF_PADDING, "padding", 0, CLI_WORD, "S"), .words = "pre|post", .help = "pre|post: where padding goes"},
    FLAG(CF_TRUNCATING, "truncating", 0, CLI_WORD, "S"), .words = "pre|post",
        .help = "pre|post: which end a long document loses"},
    FLAG(CF_VALUE, "value", 0, CLI_I64, "V"), RANGE(INT32_MIN, INT32_MAX), .help = "the padding id"},
    FLAG(CF_REPORT, "report", 0, CLI_SWITCH, NULL),
        .help = "print to stderr how many sequences and ids were cut and\nthe length that covers 95 % of the lines"},

    FLAG(CF_CELL, "cell", 0, CLI_WORD, "C"), .words = "lstm|gru|rnn", .help = "lstm|gru|rnn: the recurrent cell"},
    FLAG(CF_EMBED, "embed", 0, CLI_INT, "N"), RANGE(1, 65536), .help = "embedding size"},
    FLAG(CF_HIDDEN, "hidden", 0, CLI_INT, "N"), RANGE(1, 65536), .help = "hidden size (per direction)"},
    FLAG(CF_LAYERS, "layers", 0, CLI_INT, "N"), RANGE(1, 64), .help = "recurrent layers"},
    FLAG(CF_BIDIRECTIONAL, "bidirectional", 0, CLI_BOOL, "B"), .help = "yes|no: read the text both ways"},
    FLAG(CF_POOL, "pool", 0, CLI_WORD, "P"), .words = "last|mean|max", .help = "last|mean|max over time"},
    FLAG(CF_DROPOUT, "dropout", 0, CLI_REAL, "F"), REALS(0, 0.95),
        .help = "dropout between layers and before the output layer"},
    FLAG(CF_EMBED_DROPOUT, "embed-dropout", 0, CLI_REAL, "F"), REALS(0, 0.95), .help = "dropout on the embeddings"},
    FLAG(CF_WEIGHT_DROP, "weight-drop", 0, CLI_REAL, "F"), REALS(0, 0.95),
        .help = "DropConnect on the recurrent weights in training"},
    FLAG(CF_EMBED_INIT, "embed-init", 0, CLI_REAL, "A"), REALS(0, 100),
        .help = "the embedding's initial weights: 0 N(0, 1), A > 0\n"
                "uniform in [-A, A) (language models: 0.1)"},
    FLAG(CF_PRECISION, "precision", 0, CLI_WORD, "P"), .words = "fp32|bf16",
        .help = "fp32|bf16: the matrix products' inputs (bf16: sums in fp32,\n"
                "weights and optimiser state fp32; AVX512-BF16, else fp32);\n"
                "kept in the model file for its use too; a resumed or --init\n"
                "run keeps its model's"},
    FLAG(CF_ENSEMBLE, "ensemble", 0, CLI_INT, "N|auto"), RANGE(1, RNNKIT_MAX_MEMBERS), .words = "auto",
        .help = "N networks (1-16) trained one after the other, network k\n"
                "with seed S+k-1, their probabilities averaged; auto:\n"
                "as many as fit 8 M training tokens, 1 to 4: 4 up to 2 M\n"
                "tokens, 1 past 4 M"},
    FLAG(CF_REVERSE, "reverse", 0, CLI_SWITCH, NULL),
        .help = "a model of the text read backwards (pretrains a biLSTM's\n"
                "backward direction; a sample ends with --prime)"},
    FLAG(CF_SOFTMAX_SAMPLES, "softmax-samples", 0, CLI_INT, "N|auto"), RANGE(1, 1 << 20), .words = "auto",
        .help = "training: a sampled softmax over N candidates per step\n"
                "(log-uniform by frequency rank) instead of the exact one;\n"
                "N >= the vocabulary: exact; auto: 1024 above 8192 tokens.\n"
                "Evaluation is always exact"},
    FLAG(CF_PRETRAINED, "pretrained", 0, CLI_TEXT, "LM.db"),
        .help = "start from a word-level generator's embedding and first\n"
                "recurrent layer (and take its vocabulary and sizes)"},
    FLAG(CF_PRETRAINED_BACKWARD, "pretrained-backward", 0, CLI_TEXT, "LM.db"),
        .help = "the backward direction's layer from a --reverse generator"},
    FLAG(CF_INIT, "init", 0, CLI_TEXT, "MODEL.db"),
        .help = "carry on training this classifier (its vocabulary, labels,\n"
                "sizes, weights and optimiser state) on the --train data"},

    FLAG(CF_BATCH, "batch", 0, CLI_INT, "N"), RANGE(1, 4096), .help = "examples per optimiser step"},
    FLAG(CF_EPOCHS, "epochs", 0, CLI_INT, "N"), RANGE(1, 100000), .help = "passes over the data"},
    FLAG(CF_STEPS, "steps", 0, CLI_I64, "N"), RANGE(0, INT64_C(1) << 40), .help = "optimiser steps (0 = use --epochs)"},
    FLAG(CF_SEQ_LEN, "seq-len", 0, CLI_INT, "N"), RANGE(1, 100000), .help = "steps of back-propagation through time"},
    FLAG(CF_LR, "lr", 0, CLI_REAL, "F"), REALS(1e-8, 10), .help = "Adam learning rate"},
    FLAG(CF_LR_SCHEDULE, "lr-schedule", 0, CLI_WORD, "S"), .words = "plateau|cosine",
        .help = "cosine|plateau: cosine takes the rate from --lr to 0 along\n"
                "half a cosine over the run; plateau keeps it, times --lr-decay\n"
                "after each evaluation without validation gain"},
    FLAG(CF_LR_DECAY, "lr-decay", 0, CLI_REAL, "F"), REALS(0.01, 1),
        .help = "plateau: the rate's factor after an evaluation without gain"},
    FLAG(CF_CLIP, "clip", 0, CLI_REAL, "F"), REALS(0, 1e6), .help = "clip the gradient's global norm (0 = off)"},
    FLAG(CF_PATIENCE, "patience", 0, CLI_INT, "N"), RANGE(0, 100000),
        .help = "stop after N evaluations without validation gain (0 = never)"},
    FLAG(CF_EVAL_EVERY, "eval-every", 0, CLI_INT, "N"), RANGE(1, 100000000), .help = "steps between validation runs"},
    FLAG(CF_SEED, "seed", 0, CLI_U64, "N"), .help = "random seed: same seed, same result"},
    FLAG(CF_FOLDS, "folds", 0, CLI_INT, "K"), RANGE(2, 100),
        .help = "K-fold cross-validation over the training data: prints mean\nand spread, writes no model"},
    FLAG(CF_CHECKPOINT_MINUTES, "checkpoint-minutes", 0, CLI_REAL, "M"), REALS(0, 1e6),
        .help = "also checkpoint every M minutes (fractions allowed;\n0 = only at evaluations)"},
    FLAG(CF_CHECKPOINT_STEPS, "checkpoint-steps", 0, CLI_I64, "N"), RANGE(0, INT64_MAX),
        .help = "also checkpoint every N optimiser steps (0 = off)"},
    FLAG(CF_RESUME, "resume", 0, CLI_SWITCH, NULL),
        .help = "continue the run checkpointed in -o MODEL.db (same data and\n"
                "settings; the length given is the total). The model file is\n"
                "written at the start and at every checkpoint; SIGINT/SIGTERM\n"
                "checkpoint and stop (exit 130/143)"},
    FLAG(CF_LR_BODY, "lr-body", 0, CLI_REAL, "F"), REALS(1e-6, 1e3),
        .help = "the embedding and recurrent layers learn at F x --lr, the\n"
                "output layer at --lr (discriminative fine-tuning)"},
    FLAG(CF_FREEZE_BODY, "freeze-body", 0, CLI_INT, "N"), RANGE(0, 100000),
        .help = "the first N epochs train the output layer alone"},
    FLAG(CF_EMA, "ema", 0, CLI_REAL, "D"), REALS(0, 0.999999),
        .help = "weight averaging: evaluations and the model written use an\n"
                "average of the weights, avg = D avg + (1 - D) w after every\n"
                "step (about the last 1 / (1 - D) steps; 0 = off)"},
    FLAG(CF_LAZY_EMBEDDING, "lazy-embedding", 0, CLI_SWITCH, NULL),
        .help = "step only the embedding rows of each batch's tokens (as\n"
                "PyTorch's SparseAdam): faster on large vocabularies; the\n"
                "other rows wait, moments and all"},

    FLAG(CF_MEMBER, "member", 0, CLI_INT, "N"), RANGE(1, RNNKIT_MAX_MEMBERS),
        .help = "an ensemble's network N alone (1-based; default: all, averaged)"},
    FLAG(CF_TOP_K, "top-k", 0, CLI_INT, "K"), RANGE(1, 1 << 24), .help = "the K most likely only"},
    FLAG(CF_PRIME, "prime", 0, CLI_TEXT, "TEXT"), .help = "text to continue; printed first"},
    FLAG(CF_LENGTH, "length", 0, CLI_I64, "N"), RANGE(0, 100000000), .help = "characters to generate"},
    FLAG(CF_TEMPERATURE, "temperature", 0, CLI_REAL, "T"), REALS(1e-3, 100),
        .help = "> 0; lower is more conservative"},
    FLAG(CF_TOP_P, "top-p", 0, CLI_REAL, "P"), REALS(1e-6, 1),
        .help = "sample from the smallest set with probability >= P"},
    FLAG(CF_ARGMAX, "argmax", 0, CLI_SWITCH, NULL), .help = "always take the most likely character"},
    FLAG(CF_STOP, "stop", 0, CLI_TEXT, "STRING"), .help = "stop once STRING has been generated"},
    FLAG(CF_COUNT, "count", 0, CLI_INT, "N"), RANGE(1, 1000000),
        .help = "N independent samples, separated by a blank line"},
    FLAG(CF_UNKNOWN, "unknown", 0, CLI_WORD, "U"), .words = "error|skip",
        .help = "error|skip: a --prime character the model does not know"},
    FLAG(CF_CHECK_COPY, "check-copy", 0, CLI_TEXT, "FILE"),
        .help = "report the longest run of the output found verbatim in FILE"},
    FLAG(CF_INT8, "int8", 0, CLI_SWITCH, NULL),
        .help = "int8 copies of the recurrent and output weights, made at load:\n"
                "smaller and faster, within quantization error of fp32 (always\n"
                "on for a file of `rnnkit export --quantize int8`)"},

    FLAG(CF_CSV, "csv", 0, CLI_TEXT, "FILE"), .help = "the series: a CSV file with a header row"},
    FLAG(CF_TARGET, "target", 0, CLI_TEXT, "COL"), .help = "the column to forecast (name or 1-based number)"},
    FLAG(CF_FEATURES, "features", 0, CLI_TEXT, "COL,COL"),
        .help = "more input columns, comma-separated (the target is always read)"},
    FLAG(CF_DATE, "date", 0, CLI_TEXT, "COL"),
        .help = "the date column, kept as a label (default: a first column named like a date; '' none)"},
    FLAG(CF_FILL, "fill", 0, CLI_WORD, "F"), .words = "none|previous|linear",
        .help = "none|previous|linear: a missing value is an error, or repaired"},
    FLAG(CF_LOOKBACK, "lookback", 0, CLI_INT, "N"), RANGE(1, 100000), .help = "time steps the network reads"},
    FLAG(CF_HORIZON, "horizon", 0, CLI_INT, "N"), RANGE(1, 10000), .help = "values predicted at once"},
    FLAG(CF_SCALE, "scale", 0, CLI_WORD, "S"), .words = "none|minmax|standard",
        .help = "none|minmax|standard: per-column scaling fitted on the training part"},
    FLAG(CF_DIFFERENCE, "difference", 0, CLI_WORD, "D"), .words = "0|1|auto",
        .help = "0|1|auto: first differences (and, with a season, seasonal ones); auto: chosen\n"
                "on the validation part"},
    FLAG(CF_SEASON, "season", 0, CLI_INT, "N|auto"), RANGE(1, 100000), .words = "auto",
        .help = "seasonal period: seasonal differencing and the seasonal naive baseline (1: none)"},
    FLAG(CF_TEST_FRAC, "test-frac", 0, CLI_REAL, "F"), REALS(0.01, 0.9),
        .help = "the last fraction of the rows, held out as the test part"},
    /* `--format` of the files export writes and import reads: words of their own (a command takes one of
     * CF_FORMAT, CF_EXPORT_FORMAT and CF_IMPORT_FORMAT) */
    FLAG(CF_EXPORT_FORMAT, "format", 'f', CLI_WORD, "F"), .words = "safetensors|vocab-txt|keras-tokenizer|hf-tokenizer",
        .help = "safetensors|vocab-txt|keras-tokenizer|hf-tokenizer (required)"},
    FLAG(CF_QUANTIZE, "quantize", 0, CLI_WORD, "Q"), .words = "int8",
        .help = "int8: OUT is a prediction-only model file with int8 weights"},
    FLAG(CF_IMPORT_FORMAT, "format", 'f', CLI_WORD, "F"), .words = "safetensors", .help = "safetensors (the only one)"},
    FLAG(CF_CONFIG, "config", 0, CLI_TEXT, "K=V,..."),
        .help = "task=classify|generate|forecast, cell=lstm|gru|rnn, embed=N,\n"
                "hidden=N, layers=N, bidirectional=0|1, pool=last|mean|max,\n"
                "dropout=F, embed_dropout=F, weight_drop=F, maxlen=N,\n"
                "keep_last=0|1; a forecaster's inputs=N, lookback=N, horizon=N"},
    FLAG(CF_LABELS, "labels", 0, CLI_TEXT, "A,B,..."), .help = "the classifier's labels in output order"},
    FLAG(CF_DATA, "data", 0, CLI_TEXT, "FILE"), .help = "labelled data (TSV, fastText or a directory)"},
    FLAG(CF_TITLE, "title", 0, CLI_TEXT, "TEXT"), .help = "the page's title"},
};

const cli_flag *cli_flag_table(void) { return table; }

/* ---------------------------------------------------------------------- */
/* Help */

#define HELP_COLUMN 24

void cli_print_help(const cli_command *cmd, FILE *f)
{
    fputs(cmd->synopsis, f);
    for (const cli_use *u = cmd->uses; u->flag != CLI_END; u++) {
        if (u->flag == CLI_SECTION) {
            fprintf(f, "%s\n", u->help);
            continue;
        }
        const cli_flag *fl = &table[u->flag];
        char sh[8] = "";
        if (fl->short_name)
            snprintf(sh, sizeof sh, "-%c, ", fl->short_name);
        int n = fprintf(f, "  %s--%s%s%s", sh, fl->name, fl->meta ? " " : "", fl->meta ? fl->meta : "");
        fprintf(f, "%*s", n < HELP_COLUMN - 1 ? HELP_COLUMN - n : 2, "");
        for (const char *h = u->help ? u->help : fl->help; *h; h++) {
            fputc(*h, f);
            if (*h == '\n')
                fprintf(f, "%*s", HELP_COLUMN, "");
        }
        if (u->dflt) {
            fputs(" (default ", f);
            for (const char *h = u->dflt; *h; h++) {
                fputc(*h, f);
                if (*h == '\n')
                    fprintf(f, "%*s", HELP_COLUMN, "");
            }
            fputc(')', f);
        }
        fputc('\n', f);
    }
}

int cli_usage(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rnnkit: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nrnnkit: see 'rnnkit%s%s --help'\n", name ? " " : "", name ? name : "");
    return CLI_EXIT_USAGE;
}

int cli_dispatch(const char *name, const cli_verb *verbs, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(name, "%s: missing verb", name);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: rnnkit %s <verb> [options]\n\nverbs:\n", name);
        for (const cli_verb *v = verbs; v->name; v++)
            printf("  %-9s %s\n", v->name, v->help);
        printf("\n`rnnkit %s <verb> --help` for the options of a verb.\n", name);
        return CLI_EXIT_OK;
    }
    for (const cli_verb *v = verbs; v->name; v++)
        if (!strcmp(argv[1], v->name))
            return v->run(argc - 1, argv + 1);
    return cli_usage(name, "%s: unknown verb '%s'", name, argv[1]);
}

/* ---------------------------------------------------------------------- */
/* Suggestions */

/* Optimal string alignment distance (edits and adjacent swaps) between
 * a[0..na) and b; names are short (< 32 bytes), longer ones are far. */
static int distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    if (na >= 32 || nb >= 32)
        return 99;
    int d[33][33];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[na][nb];
}

/* An unknown long option `arg` ("--trian", "--trian=x"): the error, with
 * the command's closest flag when one is near, or the flags it abbreviates
 * when it is ambiguous. */
static int unknown_long(const cli_parser *p, const char *arg)
{
    const char *name = arg + 2;
    size_t n = strcspn(name, "=");
    const char *best = NULL, *prefixed[3] = {0};
    int best_d = n >= 5 ? 3 : 2, nprefixed = 0; /* near: at most 2 edits (1 for short names) */
    for (const cli_use *u = p->cmd->uses; u->flag != CLI_END; u++) {
        if (u->flag == CLI_SECTION)
            continue;
        const char *cand = table[u->flag].name;
        int d = distance(name, n, cand);
        if (d < best_d) {
            best_d = d;
            best = cand;
        }
        if (n && !strncmp(cand, name, n) && nprefixed < 3)
            prefixed[nprefixed++] = cand;
    }
    if (nprefixed > 1)
        return cli_usage(p->cmd->name, "option '--%.*s' is ambiguous: --%s, --%s%s%s", (int)n, name, prefixed[0],
                         prefixed[1], nprefixed > 2 ? ", --" : "", nprefixed > 2 ? prefixed[2] : "");
    if (best)
        return cli_usage(p->cmd->name, "unknown option '--%.*s' (did you mean '--%s'?)", (int)n, name, best);
    return cli_usage(p->cmd->name, "unknown option '--%.*s'", (int)n, name);
}

/* ---------------------------------------------------------------------- */
/* Parsing */

/* getopt_long's values: flag ids from FLAG_BASE (clear of the characters
 * getopt itself returns, ':' and '?'), renamed spellings, --help. */
#define FLAG_BASE 256
#define RENAMED_BASE 1000
#define HELP_VAL 999

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    int k = 0;
    for (const cli_use *u = cmd->uses; u->flag != CLI_END && k < CLI_MAX_USES; u++) {
        if (u->flag == CLI_SECTION)
            continue;
        const cli_flag *fl = &table[u->flag];
        p->opts[k++] = (struct option){fl->name, fl->kind == CLI_SWITCH ? no_argument : required_argument, NULL,
                                       FLAG_BASE + (int)fl->id};
    }
    for (const cli_renamed *r = cmd->renamed; r && r->old && k < CLI_MAX_USES + 6; r++)
        p->opts[k++] = (struct option){r->old, optional_argument, NULL, RENAMED_BASE + (int)(r - cmd->renamed)};
    p->opts[k++] = (struct option){"help", no_argument, NULL, HELP_VAL};
    p->opts[k] = (struct option){0, 0, 0, 0};
    opterr = 0;
    optind = 1;
}

static const cli_use *use_of(const cli_command *cmd, int id)
{
    for (const cli_use *u = cmd->uses; u->flag != CLI_END; u++)
        if (u->flag == id)
            return u;
    return NULL;
}

/* The index of `s` among the '|'-separated words, -1 if absent. */
static int word_index(const char *words, const char *s)
{
    size_t n = strlen(s);
    int k = 0;
    for (const char *w = words; *w; k++) {
        size_t len = strcspn(w, "|");
        if (len == n && !strncmp(w, s, n))
            return k;
        w += len + (w[len] == '|');
    }
    return -1;
}

/* A number's text that is not one: "rnnkit: --flag: 'x' is not <what>". */
static int not_a(const char *flag, const char *s, const char *what)
{
    fprintf(stderr, "rnnkit: %s: '%s' is not %s\n", flag, s, what);
    return 1;
}

/* The whole of s as an integer in [lo, hi]. */
static int parse_i64(const char *flag, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end)
        return not_a(flag, s, "an integer");
    if (errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "rnnkit: %s: %s is out of range [%lld, %lld]\n", flag, s, (long long)lo, (long long)hi);
        return 1;
    }
    *out = (int64_t)v;
    return 0;
}

/* The whole of s as a 64-bit unsigned integer (no sign). */
static int parse_u64(const char *flag, const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = *s == '-' ? 0 : strtoull(s, &end, 10);
    if (!*s || *s == '-')
        return not_a(flag, s, "a non-negative integer");
    if (*end || errno == ERANGE)
        return not_a(flag, s, "a 64-bit unsigned integer");
    *out = (uint64_t)v;
    return 0;
}

/* The whole of s as a finite number in [lo, hi]. */
static int parse_double(const char *flag, const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || !isfinite(v))
        return not_a(flag, s, "a finite number");
    if (errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "rnnkit: %s: %s is out of range [%g, %g]\n", flag, s, lo, hi);
        return 1;
    }
    *out = v;
    return 0;
}

/* Checks optarg against the flag's kind into *v; nonzero (message printed) when bad. */
static int check_value(const cli_flag *fl, const char *s, cli_value *v)
{
    char flag[48];
    snprintf(flag, sizeof flag, "--%s", fl->name);
    switch (fl->kind) {
    case CLI_SWITCH:
    case CLI_TEXT: return 0;
    case CLI_INT:
        if (fl->words && !strcmp(s, fl->words)) {
            v->i = 0;
            return 0;
        }
        /* fall through */
    case CLI_I64: return parse_i64(flag, s, fl->ilo, fl->ihi, &v->i);
    case CLI_U64: return parse_u64(flag, s, &v->u);
    case CLI_REAL: return parse_double(flag, s, fl->dlo, fl->dhi, &v->d);
    case CLI_BOOL:
        if ((v->i = word_index("no|yes|0|1|false|true", s)) >= 0) {
            v->i %= 2;
            return 0;
        }
        fprintf(stderr, "rnnkit: %s: '%s' is not yes or no\n", flag, s);
        return 1;
    case CLI_WORD: {
        if ((v->i = word_index(fl->words, s)) >= 0)
            return 0;
        fprintf(stderr, "rnnkit: %s: '%s' is not one of %s\n", flag, s, fl->words);
        return 1;
    }
    }
    return 1;
}

int cli_next(cli_parser *p, cli_value *v)
{
    memset(v, 0, sizeof *v);
    const char *name = p->cmd->name;
    char shorts[16] = ":";
    size_t ns = 1;
    for (int k = 0; p->opts[k].name && ns + 3 < sizeof shorts; k++) {
        int id = p->opts[k].val - FLAG_BASE;
        if (id >= 0 && id < CLI_NUM_FLAGS && table[id].short_name) {
            shorts[ns++] = table[id].short_name;
            if (table[id].kind != CLI_SWITCH)
                shorts[ns++] = ':';
        }
    }
    shorts[ns++] = 'h';
    shorts[ns] = 0;
    int c = getopt_long(p->argc, p->argv, shorts, p->opts, NULL);
    const char *arg = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "";
    if (c == -1) {
        p->operand = optind;
        return CLI_DONE;
    }
    p->rc = CLI_EXIT_USAGE;
    if (c == 'h' || c == HELP_VAL) {
        cli_print_help(p->cmd, stdout);
        p->rc = CLI_EXIT_OK;
        return CLI_STOP;
    }
    if (c == ':') {
        cli_usage(name, "option '%s' needs a value", arg);
        return CLI_STOP;
    }
    if (c == '?') {
        if (optopt && !strncmp(arg, "--", 2)) /* a switch given a value */
            cli_usage(name, "option '%.*s' takes no value", (int)strcspn(arg, "="), arg);
        else if (optopt)
            cli_usage(name, "unknown option '-%c'", optopt);
        else if (!strncmp(arg, "--", 2))
            unknown_long(p, arg);
        else
            cli_usage(name, "unknown option '%s'", arg);
        return CLI_STOP;
    }
    if (c >= RENAMED_BASE) {
        const cli_renamed *r = &p->cmd->renamed[c - RENAMED_BASE];
        cli_usage(name, "--%s is now --%s", r->old, r->now);
        return CLI_STOP;
    }
    if (c >= FLAG_BASE)
        c -= FLAG_BASE;
    else /* a short option: the command's flag of that short name */
        for (int k = 0; p->opts[k].name; k++) {
            int id = p->opts[k].val - FLAG_BASE;
            if (id >= 0 && id < CLI_NUM_FLAGS && table[id].short_name == c) {
                c = id;
                break;
            }
        }
    const cli_flag *fl = &table[c];
    v->s = optarg;
    if (check_value(fl, optarg, v)) {
        const cli_use *u = use_of(p->cmd, c);
        if (u && u->hint)
            fprintf(stderr, "rnnkit: %s\n", u->hint);
        fprintf(stderr, "rnnkit: see 'rnnkit %s --help'\n", name);
        return CLI_STOP;
    }
    return c;
}

int cli_no_operands(const cli_parser *p, int id)
{
    if (id == CLI_STOP)
        return p->rc;
    if (p->operand < p->argc)
        return cli_usage(p->cmd->name, "unexpected argument '%s'", p->argv[p->operand]);
    return CLI_GO;
}

int cli_parse_flags(const cli_command *cmd, int argc, char **argv, cli_flag_setter set, void *ctx, int *operand)
{
    cli_parser p;
    cli_value v;
    int id;
    cli_parser_init(&p, cmd, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0)
        set(ctx, id, &v);
    if (id == CLI_STOP)
        return p.rc;
    *operand = p.operand;
    return CLI_GO;
}
