/*
 * cli/flags.h: the program's command-line flags, each defined once (name,
 * short name, kind of value, bounds, help line), and the parser every
 * command runs its arguments through.
 *
 * A command describes itself with a cli_command: its name ("classify
 * train"), a synopsis, and the flags it takes (cli_use: a flag of the table,
 * its default as shown in the help, optionally a help line of its own). From
 * that the parser builds the getopt_long table, checks every value against
 * the flag's kind and bounds, and answers usage errors in two lines:
 *
 *   rnnkit: unknown option '--trian' (did you mean '--train'?)
 *   rnnkit: see 'rnnkit classify train --help'
 *
 * (exit status 2); --help / -h prints the command's help on stdout (exit 0).
 * A spelling that was renamed (cli_command.renamed) is an error naming the
 * new one: "rnnkit: --valid-split is now --valid-frac".
 *
 * Invariants: cli_flag_table()[id].id == id for every cli_flag_id; a
 * command lists each flag at most once and at most CLI_MAX_USES flags.
 * The parser keeps its state in the cli_parser the caller owns (getopt's
 * own globals aside), prints only usage errors and help, and never exits.
 */
#ifndef RNNKIT_CLI_FLAGS_H
#define RNNKIT_CLI_FLAGS_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

/* Every flag of the program. A command adopts a flag by listing it. */
typedef enum cli_flag_id {
    /* files and output */
    CF_OUTPUT, CF_FORCE, CF_MODEL, CF_QUIET, CF_LOG_FORMAT, CF_JSON, CF_THREADS,
    /* data */
    CF_TRAIN, CF_VALID, CF_VALID_FRAC, CF_FORMAT, CF_LINE_FORMAT, CF_SKIP_BAD,
    /* vocabulary and tokenizer */
    CF_VOCAB, CF_LEVEL, CF_NORMALIZE, CF_LOWERCASE, CF_NO_LOWERCASE, CF_DROP_PUNCT,
    CF_CJK_BIGRAMS, CF_SPLIT_CLITICS, CF_INVALID, CF_MIN_COUNT, CF_MAX_VOCAB, CF_APPEND, CF_TOP, CF_MAXLEN,
    CF_PADDING, CF_TRUNCATING, CF_VALUE, CF_REPORT,
    /* model */
    CF_CELL, CF_EMBED, CF_HIDDEN, CF_LAYERS, CF_BIDIRECTIONAL, CF_POOL, CF_DROPOUT,
    CF_EMBED_DROPOUT, CF_WEIGHT_DROP, CF_EMBED_INIT, CF_PRECISION, CF_ENSEMBLE, CF_REVERSE, CF_SOFTMAX_SAMPLES, CF_PRETRAINED,
    CF_PRETRAINED_BACKWARD, CF_INIT,
    /* training */
    CF_BATCH, CF_EPOCHS, CF_STEPS, CF_SEQ_LEN, CF_LR, CF_LR_SCHEDULE, CF_LR_DECAY, CF_CLIP,
    CF_PATIENCE, CF_EVAL_EVERY, CF_SEED, CF_FOLDS, CF_CHECKPOINT_MINUTES, CF_CHECKPOINT_STEPS,
    CF_RESUME, CF_LR_BODY, CF_FREEZE_BODY, CF_LAZY_EMBEDDING, CF_EMA,
    /* using a model */
    CF_MEMBER, CF_TOP_K, CF_PRIME, CF_LENGTH, CF_TEMPERATURE, CF_TOP_P, CF_ARGMAX, CF_STOP,
    CF_COUNT, CF_UNKNOWN, CF_CHECK_COPY, CF_INT8,
    /* series (forecast) */
    CF_CSV, CF_TARGET, CF_FEATURES, CF_DATE, CF_FILL, CF_LOOKBACK, CF_HORIZON, CF_SCALE, CF_DIFFERENCE,
    CF_SEASON, CF_TEST_FRAC,
    /* export, import, report */
    CF_EXPORT_FORMAT, CF_QUANTIZE, CF_IMPORT_FORMAT, CF_CONFIG, CF_LABELS, CF_DATA, CF_TITLE,
    CLI_NUM_FLAGS
} cli_flag_id;

/* The kind of a flag's value. */
typedef enum cli_kind {
    CLI_SWITCH, /* no value */
    CLI_TEXT,   /* any string (a path, a text) */
    CLI_INT,    /* an integer in [ilo, ihi] (ihi <= INT_MAX); `words`, when set, is a word meaning 0 */
    CLI_I64,    /* an integer in [ilo, ihi] */
    CLI_U64,    /* a 64-bit unsigned integer */
    CLI_REAL,   /* a finite number in [dlo, dhi] */
    CLI_WORD,   /* one of the '|'-separated `words`: its index */
    CLI_BOOL    /* yes|no (also 1|0, true|false): 1 or 0 */
} cli_kind;

typedef struct cli_flag {
    cli_flag_id id;
    const char *name;  /* long name, without the dashes */
    char short_name;   /* 'o' for -o; 0: none */
    cli_kind kind;
    const char *meta;  /* the value in the help ("N", "FILE"); NULL for a switch */
    int64_t ilo, ihi;  /* CLI_INT, CLI_I64 */
    double dlo, dhi;   /* CLI_REAL */
    const char *words; /* CLI_WORD: "cosine|plateau"; CLI_INT: a word for 0 ("auto") */
    const char *help;  /* the help line (lines after the first are indented) */
} cli_flag;

/* The whole table, indexed by cli_flag_id. */
const cli_flag *cli_flag_table(void);

/* One flag as a command takes it. */
typedef struct cli_use {
    int flag;          /* a cli_flag_id, or CLI_SECTION (help holds a heading), or CLI_END */
    const char *dflt;  /* shown as " (default ...)" after the help line; NULL: nothing */
    const char *help;  /* the command's own help line; NULL: the table's */
    const char *hint;  /* added to the message about a bad value; NULL: none */
} cli_use;
/* Entries of a command's list (every field given: -Wextra wants them all). */
#define CLI_USE(flag) {(flag), NULL, NULL, NULL}
#define CLI_USE_D(flag, dflt) {(flag), (dflt), NULL, NULL}
#define CLI_USE_H(flag, dflt, help) {(flag), (dflt), (help), NULL}
#define CLI_HEADING(text) {CLI_SECTION, NULL, (text), NULL}
#define CLI_USES_END {CLI_END, NULL, NULL, NULL}
/* How every trainer's flag list ends: seed and threads, output, and the
 * checkpoints (one list, so the train verbs cannot drift apart). */
#define CLI_TRAINER_USES_END                                                                              \
    CLI_USE_D(CF_SEED, "1"), CLI_USE(CF_THREADS), CLI_USE(CF_QUIET), CLI_USE_D(CF_LOG_FORMAT, "text"), \
        CLI_HEADING("checkpoints:"), CLI_USE_D(CF_CHECKPOINT_MINUTES, "10"),                               \
        CLI_USE_D(CF_CHECKPOINT_STEPS, "0"), CLI_USE(CF_RESUME), CLI_USES_END
#define CLI_SECTION (-1)
#define CLI_END (-2)
#define CLI_MAX_USES 64

/* A spelling that was renamed: `old` is a usage error naming `now`. */
typedef struct cli_renamed {
    const char *old, *now; /* without dashes */
} cli_renamed;

typedef struct cli_command {
    const char *name;      /* "classify train": the help is `rnnkit <name> --help` */
    const char *synopsis;  /* printed before the flags */
    const cli_use *uses;   /* ends with {CLI_END} */
    const cli_renamed *renamed; /* NULL, or ends with {NULL, NULL} */
} cli_command;

/* A flag's value, parsed and checked. */
typedef struct cli_value {
    int64_t i;     /* CLI_INT, CLI_I64, CLI_WORD (index), CLI_BOOL */
    uint64_t u;    /* CLI_U64 */
    double d;      /* CLI_REAL */
    const char *s; /* the value as given (NULL for a switch) */
} cli_value;

typedef struct cli_parser {
    const cli_command *cmd;
    int argc;
    char **argv;
    struct option opts[CLI_MAX_USES + 8];
    int rc;        /* after CLI_STOP: the exit status to return */
    int operand;   /* after CLI_DONE: the index in argv of the first operand */
} cli_parser;

/* What a command's own parse step returns to say "parsed, go on" (any
 * other value is the exit status). */
#define CLI_GO (-1)

#define CLI_DONE (-1) /* no more flags: the operands start at p->operand */
#define CLI_STOP (-2) /* help printed or usage error reported: return p->rc */

/* Starts parsing argv[1..argc) (argv[0] is the verb) for `cmd`. */
void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv);
/* The next flag: its cli_flag_id with its checked value in *v, CLI_DONE, or
 * CLI_STOP. */
int cli_next(cli_parser *p, cli_value *v);

/* After the flag loop (id: cli_next's last answer): CLI_GO, p->rc after
 * CLI_STOP, or a usage error for an operand when the command takes none. */
int cli_no_operands(const cli_parser *p, int id);

/* The whole flag loop for a command whose flags need no more than a switch
 * statement: each flag goes to set(ctx, id, &value); returns CLI_GO with
 * the index of the first operand in *operand, or the exit status (help
 * printed, usage error reported). */
typedef void (*cli_flag_setter)(void *ctx, int id, const cli_value *v);
int cli_parse_flags(const cli_command *cmd, int argc, char **argv, cli_flag_setter set, void *ctx, int *operand);

/* Prints the help of `cmd` (synopsis and flags) to f. */
void cli_print_help(const cli_command *cmd, FILE *f);
/* A usage error of command `name` (NULL: the program): prints
 * "rnnkit: <formatted>" and "rnnkit: see 'rnnkit <name> --help'" to stderr;
 * returns CLI_EXIT_USAGE. */
int cli_usage(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs the verb of a command with verbs: `rnnkit <name> <verb> ...`.
 * `verbs` ends with {NULL}; `rnnkit <name> --help` lists them with their
 * help lines. */
typedef struct cli_verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help; /* one line */
} cli_verb;
int cli_dispatch(const char *name, const cli_verb *verbs, int argc, char **argv);


/* ---------------------------------------------------------------------- */
/* Flags many commands share, applied to the library's structures
 * (cli/flags_apply.c). Each returns 1 when `id` was one of its flags (and
 * stored v), 0 otherwise. */
struct rnnkit_model_config;
struct rnnkit_train_options;
/* --cell --embed --hidden --layers --bidirectional --pool --dropout
 * --embed-dropout --weight-drop --embed-init --precision --ensemble --maxlen --truncating */
int cli_model_flag(int id, const cli_value *v, struct rnnkit_model_config *mc);
/* --batch --lr --lr-schedule --lr-decay --clip --patience --seed
 * --checkpoint-minutes --checkpoint-steps */
int cli_train_flag(int id, const cli_value *v, struct rnnkit_train_options *t);

/* After a train verb's flag loop (id: cli_next's last answer): operands
 * refused, --lr-decay without the plateau schedule refused (decay_set: the
 * flag was given), a missing -o refused (out NULL). CLI_GO or the exit
 * status. */
struct cli_parser;
int cli_train_flags_done(const struct cli_parser *p, int id, int decay_set, const struct rnnkit_train_options *t,
                         const char *out);

/* --quiet --threads --log-format */
typedef struct cli_output_opts {
    int quiet;
    int threads; /* as given; the count in force is cli_threads() */
    int jsonl;
} cli_output_opts;
int cli_output_flag(int id, const cli_value *v, cli_output_opts *o);
#endif
