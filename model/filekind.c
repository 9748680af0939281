/*
 * model/filekind.c: rnnkit_file_identify, what an existing path holds as
 * far as rnnkit's outputs are concerned: one of rnnkit's own files (a model
 * file and its task, a vocabulary, safetensors written by rnnkit, a
 * vocab.txt, Keras or Hugging Face tokenizer export, an HTML report), an
 * empty file, something else, a device/FIFO/socket, a directory, nothing.
 *
 * Invariants: it only reads (SQLite files are opened read-only, at most
 * the first 4 KiB of other files are looked at), follows symbolic links
 * (the kind is the target's), and never opens a FIFO, socket or device (it
 * would block or consume data): their kind comes from stat alone.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rnnkit/model.h"

#define VOCAB_APP_ID 0x524e4b56 /* tokenizer/vocab_db.c: "RNKV" */

/* The kind of the SQLite database at path (a model with its task, a
 * vocabulary, or another database). */
static rnnkit_file_kind sqlite_kind(const char *path, int *task)
{
    sqlite3 *db = NULL;
    rnnkit_file_kind kind = RNNKIT_FILE_OTHER;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return kind;
    }
    sqlite3_busy_timeout(db, 2000); /* a training run may be writing a checkpoint */
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_int(s, 0) == VOCAB_APP_ID)
        kind = RNNKIT_FILE_VOCAB;
    sqlite3_finalize(s);
    s = NULL;
    if (kind == RNNKIT_FILE_OTHER &&
        sqlite3_prepare_v2(db, "SELECT (SELECT value FROM model_meta WHERE key='format'),"
                               " (SELECT value FROM model_meta WHERE key='task')", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        const char *fmt = (const char *)sqlite3_column_text(s, 0), *t = (const char *)sqlite3_column_text(s, 1);
        if (fmt && !strcmp(fmt, "rnnkit-model") && t) {
            for (int k = RNNKIT_TASK_CLASSIFY; k <= RNNKIT_TASK_FORECAST; k++)
                if (!strcmp(t, rnnkit_task_name((rnnkit_task)k))) {
                    kind = RNNKIT_FILE_MODEL;
                    if (task)
                        *task = k;
                }
        }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return kind;
}

/* 1 when the n bytes at s start with the string p. */
static int starts(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(s, p, k) == 0;
}

/* 1 when the n bytes at s contain the string p. */
static int contains(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    for (size_t i = 0; i + k <= n; i++)
        if (s[i] == p[0] && memcmp(s + i, p, k) == 0)
            return 1;
    return 0;
}

/* The kind of a regular file from its first bytes. */
static rnnkit_file_kind head_kind(const char *s, size_t n)
{
    if (starts(s, n, "<pad>\n<unk>\n"))
        return RNNKIT_FILE_VOCAB_TXT;
    if (starts(s, n, "{\"class_name\": \"Tokenizer\""))
        return RNNKIT_FILE_KERAS_TOKENIZER;
    if (starts(s, n, "{\n  \"version\": \"1.0\",\n  \"truncation\": null,"))
        return RNNKIT_FILE_HF_TOKENIZER;
    if (starts(s, n, "<!DOCTYPE html>\n") && contains(s, n, "<meta name=\"generator\" content=\"rnnkit\">"))
        return RNNKIT_FILE_REPORT;
    if (n > 8 && starts(s + 8, n - 8, "{\"__metadata__\":{\"format\":\"rnnkit\""))
        return RNNKIT_FILE_SAFETENSORS;
    return RNNKIT_FILE_OTHER;
}

rnnkit_file_kind rnnkit_file_identify(const char *path, int *task)
{
    struct stat sb;
    if (!path)
        return RNNKIT_FILE_MISSING;
    if (stat(path, &sb) != 0)
        return RNNKIT_FILE_MISSING;
    if (S_ISDIR(sb.st_mode))
        return RNNKIT_FILE_DIRECTORY;
    if (!S_ISREG(sb.st_mode))
        return RNNKIT_FILE_SPECIAL;
    if (sb.st_size == 0)
        return RNNKIT_FILE_EMPTY;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return RNNKIT_FILE_OTHER;
    char head[4096];
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    if (n <= 0)
        return RNNKIT_FILE_OTHER;
    if (starts(head, (size_t)n, "SQLite format 3"))
        return sqlite_kind(path, task);
    return head_kind(head, (size_t)n);
}
