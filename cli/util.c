/* cli/util.c: error reporting and checked number parsing for the commands. */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int cli_fail(const rnnkit_error *err)
{
    fprintf(stderr, "rnnkit: %s\n", err->msg[0] ? err->msg : rnnkit_status_str(err->status));
    return err->status == RNNKIT_ERR_INTERRUPTED ? 130 : CLI_EXIT_FAIL;
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

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rnnkit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (usage)
        fputs(usage, stderr);
    return CLI_EXIT_USAGE;
}

int cli_parse_i64(const char *flag, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!s || !*s) {
        fprintf(stderr, "rnnkit: %s: missing value\n", flag);
        return 1;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || end == s) {
        fprintf(stderr, "rnnkit: %s: '%s' is not an integer\n", flag, s);
        return 1;
    }
    if (errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "rnnkit: %s: %s is out of range [%lld, %lld]\n", flag, s, (long long)lo,
                (long long)hi);
        return 1;
    }
    *out = (int64_t)v;
    return 0;
}

int cli_parse_int(const char *flag, const char *s, int lo, int hi, int *out)
{
    int64_t v;
    if (cli_parse_i64(flag, s, lo, hi, &v))
        return 1;
    *out = (int)v;
    return 0;
}

int cli_parse_u64(const char *flag, const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-') {
        fprintf(stderr, "rnnkit: %s: '%s' is not a non-negative integer\n", flag, s ? s : "");
        return 1;
    }
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || end == s || errno == ERANGE) {
        fprintf(stderr, "rnnkit: %s: '%s' is not a 64-bit unsigned integer\n", flag, s);
        return 1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_double(const char *flag, const char *s, double lo, double hi, double *out)
{
    if (!s || !*s) {
        fprintf(stderr, "rnnkit: %s: missing value\n", flag);
        return 1;
    }
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (*end != '\0' || end == s || !isfinite(v)) {
        fprintf(stderr, "rnnkit: %s: '%s' is not a finite number\n", flag, s);
        return 1;
    }
    if (errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "rnnkit: %s: %s is out of range [%g, %g]\n", flag, s, lo, hi);
        return 1;
    }
    *out = v;
    return 0;
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
