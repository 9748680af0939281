/*
 * cli/outputs.c: the rules every output of the program follows, in one
 * place (the library writes the files; this decides whether it may):
 *
 *   - an output never destroys an input: a path that is one of the
 *     command's inputs (same device and inode, through symbolic and hard
 *     links) is refused, --force or not;
 *   - an existing regular file is replaced only when it is an rnnkit file
 *     of the kind written (a model of the same task, a vocabulary, ...) or
 *     empty, unless --force; devices, FIFOs and sockets are written in
 *     place and need no --force (nothing is replaced);
 *   - standard output is flushed and closed before exit, its error
 *     checked: a full disk is an error (exit 1), a reader that went away
 *     (EPIPE, `| head`) is not reported;
 *   - closed standard streams (`>&-`) are reopened read-only on /dev/null
 *     at start, so that no file the program opens lands on descriptor 1 or
 *     2 and a write to a closed stdout fails (EBADF) instead of vanishing.
 *
 * A refusal prints "rnnkit: <path>: ..." and leaves the file as it was.
 * (Also here: the line about folder entries a walk skipped.)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/flags.h"

void cli_guard_std_streams(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int n = open("/dev/null", O_RDONLY);
        if (n >= 0 && n != fd) { /* a lower one was closed too and took it: keep it, try again */
            dup2(n, fd);
            if (n > 2)
                close(n);
        }
    }
}

int cli_close_stdout(int rc)
{
    errno = 0;
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (!bad)
        return rc;
    if (e == EPIPE) /* the reader is gone (`| head`): as other tools, quietly */
        return rc ? rc : CLI_EXIT_FAIL;
    fprintf(stderr, "rnnkit: <stdout>: write error: %s\n", e ? strerror(e) : "unknown error");
    return rc ? rc : CLI_EXIT_FAIL;
}

const char *cli_file_kind_name(int kind, int task)
{
    switch ((rnnkit_file_kind)kind) {
    case RNNKIT_FILE_MISSING: return "missing";
    case RNNKIT_FILE_EMPTY: return "an empty file";
    case RNNKIT_FILE_OTHER: return "not an rnnkit file";
    case RNNKIT_FILE_SPECIAL: return "a device, FIFO or socket";
    case RNNKIT_FILE_DIRECTORY: return "a directory";
    case RNNKIT_FILE_MODEL:
        return task == RNNKIT_TASK_CLASSIFY ? "a classifier model file"
               : task == RNNKIT_TASK_GENERATE ? "a generator model file"
                                              : "a forecaster model file";
    case RNNKIT_FILE_VOCAB: return "a vocabulary file";
    case RNNKIT_FILE_SAFETENSORS: return "an rnnkit safetensors file";
    case RNNKIT_FILE_VOCAB_TXT: return "a vocab.txt export";
    case RNNKIT_FILE_KERAS_TOKENIZER: return "a Keras tokenizer export";
    case RNNKIT_FILE_HF_TOKENIZER: return "a tokenizer.json export";
    case RNNKIT_FILE_REPORT: return "an rnnkit report";
    }
    return "unknown";
}

int cli_check_output(const char *out, int kind, int task, const char *const *inputs, size_t ninputs, int force)
{
    if (!out || !strcmp(out, "-"))
        return CLI_GO;
    struct stat so;
    if (stat(out, &so) == 0)
        for (size_t i = 0; i < ninputs; i++) {
            struct stat si;
            if (inputs[i] && strcmp(inputs[i], "-") && stat(inputs[i], &si) == 0 && si.st_dev == so.st_dev &&
                si.st_ino == so.st_ino)
                return cli_failf("%s: the output is the input %s (the same file); not written, --force or not",
                                 out, inputs[i]);
        }
    int have_task = -1;
    rnnkit_file_kind have = rnnkit_file_identify(out, &have_task);
    if (have == RNNKIT_FILE_MISSING || have == RNNKIT_FILE_EMPTY || have == RNNKIT_FILE_SPECIAL)
        return CLI_GO;
    if (have == RNNKIT_FILE_DIRECTORY)
        return cli_failf("%s: is a directory", out);
    if ((int)have == kind && (kind != RNNKIT_FILE_MODEL || have_task == task))
        return CLI_GO;
    if (force)
        return CLI_GO;
    return cli_failf("%s: exists and is %s, not %s: not replaced (--force replaces it)", out,
                     cli_file_kind_name(have, have_task), cli_file_kind_name(kind, task));
}

int cli_train_output(const char *out, int task, const char *const *inputs, size_t ninputs, int force,
                     rnnkit_train_lock **lock)
{
    *lock = NULL;
    int rc = cli_check_output(out, RNNKIT_FILE_MODEL, task, inputs, ninputs, force);
    if (rc != CLI_GO)
        return rc;
    rnnkit_error err;
    if (rnnkit_train_lock_take(out, lock, &err))
        return cli_fail(&err);
    return CLI_GO;
}

void cli_report_skipped(const char *path, size_t special, size_t loops)
{
    if (special)
        fprintf(stderr, "rnnkit: %s: skipped %zu entr%s that %s not a regular file (FIFO, socket, device)\n", path,
                special, special == 1 ? "y" : "ies", special == 1 ? "is" : "are");
    if (loops)
        fprintf(stderr, "rnnkit: %s: skipped %zu symbolic link loop%s\n", path, loops, loops == 1 ? "" : "s");
}
