/*
 * cli/cli.h: what the rnnkit program's commands share: reporting errors,
 * progress, signals, and the entry points of each command (flags and their
 * checked values: cli/flags.h).
 *
 * Conventions (all commands): results on stdout, progress and diagnostics on
 * stderr; `--help` prints usage to stdout and exits 0; a usage error prints
 * two lines, "rnnkit: <what>" and "rnnkit: see 'rnnkit <command> --help'",
 * to stderr and exits 2 (cli_usage in cli/flags.h); a failure prints
 * "rnnkit: <file>:<line>: <what>" (from the library's rnnkit_error) and
 * exits 1.
 */
#ifndef RNNKIT_CLI_H
#define RNNKIT_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rnnkit/model.h"
#include "rnnkit/status.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Prints "rnnkit: <err->msg>" to stderr; returns CLI_EXIT_FAIL (or 130/143
 * for an interruption). */
int cli_fail(const rnnkit_error *err);
/* A training that returned st: cli_fail, and for an interruption where the
 * checkpoint is (out) and how to go on. Returns the exit status. */
int cli_train_failed(rnnkit_status st, const rnnkit_error *err, const char *out);
/* The same, and on success "wrote OUT" unless quiet. */
int cli_train_end(rnnkit_status st, const rnnkit_error *err, const char *out, int quiet);
/* Prints "rnnkit: <formatted>" to stderr; returns CLI_EXIT_FAIL. */
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* `--member N` (1-based; 0 = not given) on a loaded model from `path`: keeps
 * that network of an ensemble alone; the error names the file and flag. */
rnnkit_status cli_keep_member(rnnkit_model *m, const char *path, int member, rnnkit_error *err);

/* --resume: reads the checkpoint header of `path` into *info; -1 (go on)
 * when it is one of `task`, else the exit status after the message (a
 * missing checkpoint, the other task's). */
int cli_checkpoint(const char *path, rnnkit_task task, rnnkit_checkpoint_info *info);

/* cli/outputs.c: what every output follows (see there). */
/* At start: closed descriptors 0..2 are reopened read-only on /dev/null. */
void cli_guard_std_streams(void);
/* At exit: flushes and closes stdout; a write error is reported naming
 * <stdout> and makes a success rc CLI_EXIT_FAIL (EPIPE: not reported). */
int cli_close_stdout(int rc);
/* Before writing `out` (NULL or "-": nothing to check): CLI_GO, or
 * CLI_EXIT_FAIL after the message when out is one of inputs[0..ninputs)
 * (NULL entries and "-" skipped; same device and inode), a directory, or an existing file that is not of
 * `kind` (an rnnkit_file_kind; for RNNKIT_FILE_MODEL of `task`) without
 * `force`. */
int cli_check_output(const char *out, int kind, int task, const char *const *inputs, size_t ninputs, int force);
/* A training run's model file `out`: cli_check_output, then the one-writer
 * lock (*lock, released by the caller with rnnkit_train_lock_release when
 * the run ends); CLI_GO or the exit status after the message. */
int cli_train_output(const char *out, int task, const char *const *inputs, size_t ninputs, int force,
                     rnnkit_train_lock **lock);
/* On stderr, when nonzero: the FIFOs, sockets and devices, and the
 * symbolic link loops, that reading the folder `path` skipped. */
void cli_report_skipped(const char *path, size_t special, size_t loops);
/* "a classifier model file", "a vocabulary file", ... for messages. */
const char *cli_file_kind_name(int kind, int task);

/* 1 when `fd` is a terminal (progress lines are redrawn in place then). */
int cli_isatty(int fd);
/* Monotonic seconds. */
double cli_now(void);

int cmd_vocab(int argc, char **argv);
/* cli/cmd_vocab_ids.c: `rnnkit vocab encode`, `rnnkit vocab decode` */
int cmd_vocab_encode(int argc, char **argv);
int cmd_vocab_decode(int argc, char **argv);
int cmd_classify(int argc, char **argv);
/* cli/cmd_classify_train.c: `rnnkit classify train` */
int cmd_classify_train(int argc, char **argv);
int cmd_generate(int argc, char **argv);
/* cli/cmd_generate_train.c: `rnnkit generate train` */
int cmd_generate_train(int argc, char **argv);
/* cli/cmd_forecast.c: `rnnkit forecast train|predict|eval` */
int cmd_forecast(int argc, char **argv);
/* cli/cmd_export.c, cli/cmd_import.c, cli/cmd_report.c */
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif

/* ---------------------------------------------------------------------- */
/* Progress on stderr: a line redrawn in place on a terminal, one line per
 * epoch/evaluation otherwise, nothing with quiet. */
typedef struct cli_progress {
    int quiet;
    int tty;
    double last_draw;
    const char *unit; /* "ex/s", "char/s" */
    int generator;  /* 1: a character generator (bits per character), 2: words (perplexity) */
    int jsonl;        /* --log-format jsonl: one JSON object per event */
    int threads_shown; /* the thread count was printed */
    /* jsonl: the last batch event left out (at most one every 0.5 s); printed
     * after all when an evaluation of the same step follows */
    rnnkit_progress held;
    int has_held;
    long long kill_step; /* testing hook: $RNNKIT_FAULT_KILL_STEP (0: none), see cli_progress_cb */
    long long steps_seen; /* steps reported so far */
} cli_progress;

void cli_progress_init(cli_progress *p, int quiet, const char *unit, int generator);
/* Parses a --log-format value (text|jsonl) into p; nonzero if unknown. */
int cli_progress_format(cli_progress *p, const char *value);
/* rnnkit_progress_fn. Testing hook: with RNNKIT_FAULT_KILL_STEP=K in the
 * environment the process kills itself (SIGKILL) when the K-th step it
 * trains is reported, before that step's checkpoint: a kill -9 at a known
 * moment. */
int cli_progress_cb(void *ctx, const rnnkit_progress *p);

/* Training under signals: SIGINT and SIGTERM set the flag returned by
 * cli_stop_flag() (the training finishes its step, writes a checkpoint and
 * stops); a second one ends the process at once (the model file is still
 * consistent). SIGXFSZ is ignored so that a file-size limit is a write
 * error, not a crash. cli_stop_status() is 130 (SIGINT) or 143 (SIGTERM). */
void cli_install_stop_handlers(void);
const volatile sig_atomic_t *cli_stop_flag(void);
int cli_stop_status(void);

/* --threads N given: the models this process creates or loads run on N
 * threads (through RNNKIT_THREADS, which rnnkit_default_threads reads). */
void cli_choose_threads(int n);
/* Puts OpenBLAS on one thread: the models' own pools split the work, the
 * same way for any count (their count: --threads, else RNNKIT_THREADS,
 * else the cores this process may use). */
void cli_blas_one_thread(void);
/* A note on stderr (unless quiet) when the model asks for bf16 products and
 * this CPU runs them in fp32. */
struct rnnkit_model;
void cli_precision_note(const struct rnnkit_model *m, int quiet);
/* The thread count in force. */
int cli_threads(void);
