/* core/status.c: status strings and the error record (see rnnkit/status.h). */
#include "rnnkit/status.h"

#include <stdio.h>
#include <string.h>

const char *rnnkit_status_str(rnnkit_status s)
{
    switch (s) {
    case RNNKIT_OK: return "success";
    case RNNKIT_ERR_ARG: return "invalid argument";
    case RNNKIT_ERR_IO: return "input/output error";
    case RNNKIT_ERR_UTF8: return "invalid UTF-8";
    case RNNKIT_ERR_FORMAT: return "malformed input";
    case RNNKIT_ERR_NOMEM: return "out of memory";
    case RNNKIT_ERR_SHAPE: return "shape mismatch";
    case RNNKIT_ERR_DB: return "database error";
    case RNNKIT_ERR_VERSION: return "unsupported file version";
    case RNNKIT_ERR_CORRUPT: return "corrupt data";
    case RNNKIT_ERR_NUMERIC: return "numerical failure (NaN or Inf)";
    case RNNKIT_ERR_INTERRUPTED: return "interrupted";
    case RNNKIT_ERR_EMPTY: return "nothing to process";
    }
    return "unknown status";
}

void rnnkit_error_clear(rnnkit_error *err)
{
    if (!err)
        return;
    err->status = RNNKIT_OK;
    err->msg[0] = '\0';
}

rnnkit_status rnnkit_error_set(rnnkit_error *err, rnnkit_status s, const char *fmt, ...)
{
    if (!err)
        return s;
    err->status = s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return s;
}

void rnnkit_error_prefix(rnnkit_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    /* Build "head: old" by hand: the result is cut to fit, never overrun. */
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(head), cap = sizeof err->msg - 1;
    if (n > cap)
        n = cap;
    memcpy(err->msg, head, n);
    size_t pos = n;
    for (const char *s = ": "; *s && pos < cap; s++)
        err->msg[pos++] = *s;
    for (const char *s = old; *s && pos < cap; s++)
        err->msg[pos++] = *s;
    err->msg[pos] = '\0';
}

const char *rnnkit_version(void)
{
    return RNNKIT_VERSION_STRING;
}
