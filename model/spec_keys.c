/*
 * model/spec_keys.c: the text of a forecaster's spec keys (the rows of
 * model/config_keys.c's table with RNNKIT__KEY_SPEC): how an
 * rnnkit_forecast_spec goes into model_meta and safetensors metadata and
 * comes back. docs/model-format.md lists the keys.
 *
 * Invariants: a double is written "%.17g" and read with strtod, which gives
 * back the same double bit for bit (every finite double, -0 included); an
 * array holds at most RNNKIT_SERIES_MAX_COLUMNS values; a name read back is
 * shorter than RNNKIT_FORECAST_NAME_MAX bytes (the spec's fixed buffers);
 * parsing writes only the key's own field and never past it.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/jsonread.h"
#include "core/strbuf.h"
#include "model/config_keys.h"

/* ---------------------------------------------------------------------- */
/* Writing */


static const void *spec_field(const rnnkit__config_key *k, const rnnkit_forecast_spec *spec)
{
    return (const char *)spec + k->offset;
}

rnnkit_status rnnkit__spec_key_format(const rnnkit__config_key *k, const rnnkit_forecast_spec *spec, int inputs,
                                      char **out, rnnkit_error *err)
{
    rnnkit__strbuf b = {0};
    char num[40];
    const void *f = spec_field(k, spec);
    switch (k->type) {
    case RNNKIT__KEY_DOUBLES: {
        const double *x = f;
        rnnkit__strbuf_puts(&b, "[");
        for (size_t j = 0; j < spec->scaler.ncols && j < RNNKIT_SERIES_MAX_COLUMNS; j++) {
            snprintf(num, sizeof num, "%s%.17g", j ? "," : "", x[j]);
            rnnkit__strbuf_puts(&b, num);
        }
        rnnkit__strbuf_puts(&b, "]");
        break;
    }
    case RNNKIT__KEY_NAMES: {
        const char(*names)[RNNKIT_FORECAST_NAME_MAX] = f;
        rnnkit__strbuf_puts(&b, "[");
        for (int j = 0; j < inputs && j < RNNKIT_SERIES_MAX_COLUMNS; j++) {
            if (j)
                rnnkit__strbuf_puts(&b, ",");
            rnnkit__json_string(names[j], strnlen(names[j], RNNKIT_FORECAST_NAME_MAX - 1), 0, rnnkit__strbuf_put, &b);
        }
        rnnkit__strbuf_puts(&b, "]");
        break;
    }
    case RNNKIT__KEY_NAME: {
        const char *name = f;
        rnnkit__strbuf_put(&b, name, strnlen(name, RNNKIT_FORECAST_NAME_MAX - 1));
        if (!b.p)
            rnnkit__strbuf_puts(&b, ""); /* an empty name is still a string */
        break;
    }
    case RNNKIT__KEY_DOUBLE: snprintf(num, sizeof num, "%.17g", *(const double *)f); rnnkit__strbuf_puts(&b, num); break;
    case RNNKIT__KEY_COUNT: snprintf(num, sizeof num, "%zu", *(const size_t *)f); rnnkit__strbuf_puts(&b, num); break;
    case RNNKIT__KEY_SCALE: rnnkit__strbuf_puts(&b, rnnkit_scale_kind_name(*(const rnnkit_scale_kind *)f)); break;
    default: snprintf(num, sizeof num, "%d", *(const int *)f); rnnkit__strbuf_puts(&b, num); break;
    }
    if (b.failed || !b.p) {
        free(b.p);
        *out = NULL;
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for the forecast spec's '%s'", k->name);
    }
    *out = b.p;
    return RNNKIT_OK;
}

/* ---------------------------------------------------------------------- */
/* Reading */

/* A JSON array of numbers into x [RNNKIT_SERIES_MAX_COLUMNS]: 0, or 1. */
static int parse_doubles(const rnnkit__config_key *k, const char *v, double *x, size_t *count)
{
    rnnkit__jcur c = {v, strlen(v), 0, 0, "", "", NULL};
    size_t n = 0;
    if (!rnnkit__json_eat(&c, '['))
        return 1;
    if (!rnnkit__json_eat(&c, ']')) {
        do {
            rnnkit__json_ws(&c);
            if (n == RNNKIT_SERIES_MAX_COLUMNS || c.i >= c.n)
                return 1;
            /* strtod reads more than JSON numbers (hex, inf, nan): take only
             * the characters a JSON number may hold */
            size_t len = strspn(v + c.i, "0123456789+-.eE");
            char tmp[64], *end;
            if (len == 0 || len >= sizeof tmp)
                return 1;
            memcpy(tmp, v + c.i, len);
            tmp[len] = '\0';
            errno = 0;
            double d = strtod(tmp, &end);
            if (*end || !isfinite(d) || d < k->lo || d > k->hi)
                return 1;
            x[n++] = d;
            c.i += len;
        } while (rnnkit__json_eat(&c, ','));
        if (!rnnkit__json_eat(&c, ']'))
            return 1;
    }
    rnnkit__json_ws(&c);
    *count = n;
    return c.i != c.n;
}

/* A JSON array of strings into names: 0, 1, or -1 (out of memory). */
static int parse_names(const char *v, char (*names)[RNNKIT_FORECAST_NAME_MAX], size_t *count)
{
    rnnkit_error e;
    rnnkit__jcur c = {v, strlen(v), 0, 0, "", "", &e};
    size_t n = 0;
    if (!rnnkit__json_eat(&c, '['))
        return 1;
    if (!rnnkit__json_eat(&c, ']')) {
        do {
            char *s = NULL;
            if (n == RNNKIT_SERIES_MAX_COLUMNS)
                return 1;
            if (rnnkit__json_string_read(&c, &s))
                return e.status == RNNKIT_ERR_NOMEM ? -1 : 1;
            const size_t len = strlen(s);
            if (len >= RNNKIT_FORECAST_NAME_MAX) {
                free(s);
                return 1;
            }
            memcpy(names[n++], s, len + 1);
            free(s);
        } while (rnnkit__json_eat(&c, ','));
        if (!rnnkit__json_eat(&c, ']'))
            return 1;
    }
    rnnkit__json_ws(&c);
    if (c.i != c.n)
        return 1;
    for (size_t j = n; j < RNNKIT_SERIES_MAX_COLUMNS; j++)
        names[j][0] = '\0';
    *count = n;
    return 0;
}

int rnnkit__spec_key_parse(const rnnkit__config_key *k, const char *v, rnnkit_forecast_spec *spec,
                           rnnkit__spec_seen *seen)
{
    void *f = (char *)spec + k->offset;
    double x;
    size_t n = 0;
    switch (k->type) {
    case RNNKIT__KEY_DOUBLES:
        if (parse_doubles(k, v, f, &n))
            return 1;
        *(!strcmp(k->name, "scale_offset") ? &seen->offsets : &seen->scales) = n;
        return 0;
    case RNNKIT__KEY_NAMES: {
        int r = parse_names(v, f, &n);
        if (!r)
            seen->columns = n;
        return r;
    }
    case RNNKIT__KEY_NAME: {
        const size_t len = strlen(v);
        if (len >= RNNKIT_FORECAST_NAME_MAX)
            return 1;
        memcpy(f, v, len + 1);
        return 0;
    }
    default: break;
    }
    if (rnnkit__config_key_parse(k, v, &x))
        return 1;
    switch (k->type) {
    case RNNKIT__KEY_DOUBLE: *(double *)f = x; break;
    case RNNKIT__KEY_COUNT: *(size_t *)f = (size_t)x; break;
    case RNNKIT__KEY_SCALE: *(rnnkit_scale_kind *)f = (rnnkit_scale_kind)x; break;
    default: *(int *)f = (int)x; break;
    }
    return 0;
}

const char *rnnkit__spec_check(rnnkit_forecast_spec *spec, int inputs, const rnnkit__spec_seen *seen, char *buf,
                               size_t cap)
{
    const size_t want = (size_t)inputs;
    if (seen->offsets != seen->scales || (seen->offsets != 0 && seen->offsets != want)) {
        snprintf(buf, cap, "'scale_offset' holds %zu numbers and 'scale_scale' %zu; both need %zu (one per input) "
                 "or 0 (not fitted)", seen->offsets, seen->scales, want);
        return buf;
    }
    if (seen->columns != want) {
        snprintf(buf, cap, "'columns' names %zu columns; the model reads %zu", seen->columns, want);
        return buf;
    }
    spec->scaler.ncols = seen->offsets;
    return NULL;
}
