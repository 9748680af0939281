/*
 * cli/util.c: what the commands share besides their flags: error
 * reporting, the stop signals (the program's one piece of process-wide
 * state), --member and --resume checks, the clock, and progress lines
 * (with the testing hook RNNKIT_FAULT_KILL_STEP, a kill -9 at a known step).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The one piece of process-wide state the program keeps: what a signal
 * handler may touch. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    signal(sig, SIG_DFL); /* a second one ends the process at once */
}

void cli_install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGXFSZ, SIG_IGN);
}

const volatile sig_atomic_t *cli_stop_flag(void) { return &stop_signal; }

int cli_stop_status(void) { return stop_signal == SIGTERM ? 143 : 130; }

int cli_train_failed(rnnkit_status st, const rnnkit_error *err, const char *out)
{
    int rc = cli_fail(err);
    if (st == RNNKIT_ERR_INTERRUPTED)
        fprintf(stderr, "rnnkit: %s holds the checkpoint; continue with the same command and --resume\n", out);
    return rc;
}

int cli_train_end(rnnkit_status st, const rnnkit_error *err, const char *out, int quiet)
{
    if (st)
        return cli_train_failed(st, err, out);
    if (!quiet)
        fprintf(stderr, "rnnkit: wrote %s\n", out);
    return CLI_EXIT_OK;
}

int cli_fail(const rnnkit_error *err)
{
    fprintf(stderr, "rnnkit: %s\n", err->msg[0] ? err->msg : rnnkit_status_str(err->status));
    return err->status == RNNKIT_ERR_INTERRUPTED ? cli_stop_status() : CLI_EXIT_FAIL;
}

int cli_failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rnnkit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_FAIL;
}

rnnkit_status cli_keep_member(rnnkit_model *m, const char *path, int member, rnnkit_error *err)
{
    rnnkit_status st = member ? rnnkit_model_keep_member(m, member - 1, err) : RNNKIT_OK;
    if (st)
        rnnkit_error_prefix(err, "%s: --member %d", path, member);
    return st;
}

int cli_checkpoint(const char *path, rnnkit_task task, rnnkit_checkpoint_info *info)
{
    rnnkit_error e;
    if (rnnkit_checkpoint_info_read(path, info, &e)) {
        rnnkit_error_prefix(&e, "--resume");
        return cli_fail(&e);
    }
    if (info->task != task)
        return cli_failf("%s: this is a %s's checkpoint; use `rnnkit %s train --resume`", path,
                         rnnkit_task_noun(info->task),
                         rnnkit_task_name(info->task));
    return -1;
}

int cli_isatty(int fd)
{
    return isatty(fd);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------------- */

#include <cblas.h>

void cli_choose_threads(int n)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%d", n);
    setenv("RNNKIT_THREADS", buf, 1);
}

void cli_blas_one_thread(void) { openblas_set_num_threads(1); }

void cli_precision_note(const rnnkit_model *m, int quiet)
{
    if (!quiet && rnnkit_model_get_config(m)->bf16 && !rnnkit_model_bf16_active(m))
        fprintf(stderr, "rnnkit: this CPU has no AVX512-BF16: the products run in fp32 "
                        "(the model still says bf16)\n");
}

int cli_threads(void) { return rnnkit_default_threads(); }

void cli_progress_init(cli_progress *p, int quiet, const char *unit, int generator)
{
    p->quiet = quiet;
    p->tty = isatty(2);
    p->last_draw = 0;
    p->unit = unit;
    p->generator = generator;
    p->jsonl = 0;
    p->threads_shown = 0;
    p->has_held = 0;
    const char *k = getenv("RNNKIT_FAULT_KILL_STEP");
    p->kill_step = k ? strtoll(k, NULL, 10) : 0;
    p->steps_seen = 0;
}

int cli_progress_format(cli_progress *p, const char *value)
{
    if (!strcmp(value, "jsonl"))
        p->jsonl = 1;
    else if (!strcmp(value, "text"))
        p->jsonl = 0;
    else
        return 1;
    return 0;
}

static void json_num(const char *key, double v)
{
    if (isfinite(v))
        fprintf(stderr, ",\"%s\":%.6g", key, v);
    else
        fprintf(stderr, ",\"%s\":null", key);
}

/* The fields every progress object opens with, whatever its event: where
 * training stands and the time since it started (unclosed). */
static void json_head(const char *event, const rnnkit_progress *p)
{
    fprintf(stderr, "{\"event\":\"%s\",\"epoch\":%d,\"step\":%lld,\"batch\":%lld,\"batches\":%lld", event,
            p->epoch, (long long)p->step, (long long)p->batch, (long long)p->batches);
    if (p->members > 1)
        fprintf(stderr, ",\"member\":%d,\"members\":%d", p->member + 1, p->members);
    json_num("loss", p->loss);
    json_num("items_per_s", p->items_per_s);
    json_num("elapsed_s", p->elapsed);
}

/* One JSON object per event on stderr: batch events at most every 0.5 s,
 * except the last of an epoch and the step an evaluation follows (its
 * elapsed_s is where the evaluation's time begins). */
static int progress_jsonl(cli_progress *cp, const rnnkit_progress *p)
{
    int end = p->end_of_epoch || p->end_of_eval;
    double t = cli_now();
    if (!end && t - cp->last_draw < 0.5 && p->batch != p->batches) {
        cp->held = *p;
        cp->has_held = 1;
        return 0;
    }
    cp->last_draw = t;
    if (!cp->threads_shown) {
        json_head("threads", p);
        fprintf(stderr, ",\"threads\":%d}\n", cli_threads());
        cp->threads_shown = 1;
    }
    if (end && cp->has_held && cp->held.step == p->step) {
        json_head("batch", &cp->held);
        fputs("}\n", stderr);
    }
    cp->has_held = 0;
    json_head(end ? (cp->generator ? "eval" : "epoch") : "batch", p);
    if (end) {
        json_num("train_loss", p->row.train_loss);
        json_num("train_acc", p->row.train_acc);
        json_num("valid_loss", p->row.valid_loss);
        json_num("valid_acc", p->row.valid_acc);
        fprintf(stderr, ",\"improved\":%s", p->improved ? "true" : "false");
    }
    fputs("}\n", stderr);
    fflush(stderr);
    return 0;
}

static void fmt_eta(double s, char *buf, size_t cap)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, cap, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

int cli_progress_cb(void *ctx, const rnnkit_progress *p)
{
    cli_progress *cp = ctx;
    if (!p->end_of_epoch && !p->end_of_eval && ++cp->steps_seen == cp->kill_step)
        raise(SIGKILL);
    if (cp->quiet)
        return 0;
    if (cp->jsonl)
        return progress_jsonl(cp, p);
    if (!cp->threads_shown) {
        int n = cli_threads();
        if (cp->tty)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "training on %d thread%s\n", n, n == 1 ? "" : "s");
        cp->threads_shown = 1;
    }
    if (p->end_of_epoch || p->end_of_eval) {
        const rnnkit_log_row *r = &p->row;
        if (cp->tty)
            fputs("\r\033[K", stderr);
        if (p->members > 1)
            fprintf(stderr, "member %d/%d  ", p->member + 1, p->members);
        if (cp->generator == 2) /* words: perplexity */
            fprintf(stderr, "step %lld  train %.4f nats (ppl %.1f)  valid %.4f nats (ppl %.1f)%s  %.0f %s  %.0fs\n",
                    (long long)r->step, r->train_loss, exp(r->train_loss), r->valid_loss, exp(r->valid_loss),
                    p->improved ? " *" : "", p->items_per_s, cp->unit, p->elapsed);
        else if (cp->generator)
            fprintf(stderr,
                    "step %lld  train %.4f nats (%.3f bpc)  valid %.4f nats (%.3f bpc)%s  %.0f %s  %.0fs\n",
                    (long long)r->step, r->train_loss, r->train_loss / 0.69314718055994530942, r->valid_loss,
                    r->valid_loss / 0.69314718055994530942, p->improved ? " *" : "", p->items_per_s, cp->unit,
                    p->elapsed);
        else if (isnan(r->train_acc)) /* a forecaster: mean squared error, scaled units */
            fprintf(stderr, "epoch %d/%d  train mse %.5f  valid mse %.5f%s  %.0f %s  %.1fs\n", r->epoch, p->epochs,
                    r->train_loss, r->valid_loss, p->improved ? " *" : "", p->items_per_s, cp->unit, r->seconds);
        else
            fprintf(stderr,
                    "epoch %d/%d  train loss %.4f acc %.2f%%  valid loss %.4f acc %.2f%%%s  %.0f %s  %.1fs\n",
                    r->epoch, p->epochs, r->train_loss, 100 * r->train_acc, r->valid_loss,
                    100 * r->valid_acc, p->improved ? " *" : "", p->items_per_s, cp->unit, r->seconds);
        fflush(stderr);
        return 0;
    }
    if (!cp->tty)
        return 0;
    double t = cli_now();
    if (t - cp->last_draw < 0.2 && p->batch != p->batches)
        return 0;
    cp->last_draw = t;
    char eta[32];
    double frac = p->batches > 0 ? (double)p->batch / (double)p->batches : 0;
    if (cp->generator)
        fmt_eta(frac > 0 ? p->elapsed * (1 - frac) / frac : -1, eta, sizeof eta);
    else { /* an ensemble: its members' epochs one after the other (patience may cut them) */
        const int members = p->members > 1 ? p->members : 1, run = p->epochs - p->epochs_before;
        double done = (double)p->member * run + (double)(p->epoch - 1 - p->epochs_before) + frac;
        double all = (double)members * run;
        fmt_eta(done > 0 ? p->elapsed * (all - done) / done : -1, eta, sizeof eta);
    }
    if (cp->generator)
        fprintf(stderr, "\r\033[Kstep %lld/%lld  loss %.4f  %.0f %s  ETA %s", (long long)p->batch,
                (long long)p->batches, p->loss, p->items_per_s, cp->unit, eta);
    else {
        fputs("\r\033[K", stderr);
        if (p->members > 1)
            fprintf(stderr, "member %d/%d  ", p->member + 1, p->members);
        fprintf(stderr, "epoch %d/%d  step %lld/%lld  loss %.4f  %.0f %s  ETA %s", p->epoch, p->epochs,
                (long long)p->batch, (long long)p->batches, p->loss, p->items_per_s, cp->unit, eta);
    }
    fflush(stderr);
    return 0;
}
