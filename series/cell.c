/*
 * series/cell.c: one CSV cell as the series reader sees it: a finite
 * decimal number, a missing value, a non-finite number, or text; and a
 * cell's text made safe to quote in a message.
 *
 * Number syntax (checked before strtod, so that neither the locale's
 * decimal point nor strtod's extras -- hex, "inf", "nan", "0x1p3" -- decide
 * what counts): [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?,
 * with spaces and tabs around. Missing: empty, or NA, N/A, #N/A, NaN, null,
 * none in any case. Non-finite: inf, +inf, -inf, infinity (any case), and a
 * number whose magnitude overflows a double. ("NaN" is a missing-value
 * marker, the spelling pandas writes for one; without a fill policy the
 * reader still refuses it.)
 */
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "series/series_internal.h"

static int is_space(char c) { return c == ' ' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* 1 when s[0..n) equals the lower-case word w in any case. */
static int eq_nocase(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != w[i])
            return 0;
    return 1;
}

/* 1 when s[0..n) has the decimal number syntax above (no spaces). */
static int is_decimal(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && is_digit(s[i]))
            i++, ed++;
        if (ed == 0)
            return 0;
    }
    return i == n;
}

rnnkit__cell_kind rnnkit__cell_parse(const char *s, size_t n, double *v)
{
    while (n && is_space(*s))
        s++, n--;
    while (n && is_space(s[n - 1]))
        n--;
    if (eq_nocase(s, n, "nan"))
        return RNNKIT__CELL_NAN;
    static const char *const missing[] = {"", "na", "n/a", "#n/a", "null", "none"};
    for (size_t k = 0; k < sizeof missing / sizeof *missing; k++)
        if (eq_nocase(s, n, missing[k]))
            return RNNKIT__CELL_MISSING;
    const char *w = s;
    size_t wn = n;
    if (wn && (*w == '+' || *w == '-'))
        w++, wn--;
    if (eq_nocase(w, wn, "inf") || eq_nocase(w, wn, "infinity"))
        return RNNKIT__CELL_NONFINITE;
    if (!is_decimal(s, n))
        return RNNKIT__CELL_TEXT;
    /* strtod needs a terminated string: copy short cells to the stack. */
    char small[128];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf)
        return RNNKIT__CELL_TEXT; /* out of memory on a >127-byte number */
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double x = strtod(buf, &end);
    if (buf != small)
        free(buf);
    /* Overflow gives +-HUGE_VAL (inf); underflow rounds to 0 or a denormal,
     * which is what the text means to a double. */
    if (x > 1.7976931348623157e308 || x < -1.7976931348623157e308)
        return RNNKIT__CELL_NONFINITE;
    *v = x;
    return RNNKIT__CELL_NUMBER;
}

void rnnkit__cell_quote(const char *s, size_t n, char *out, size_t cap)
{
    if (cap == 0)
        return;
    size_t o = 0, i = 0, limit = cap - 1 < 40 ? cap - 1 : 40;
    while (i < n) {
        uint32_t cp;
        size_t k = rnnkit__utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k == 0 || cp < 0x20 || cp == 0x7f)
            k = k ? k : 1, cp = '?';
        size_t w = cp == '?' ? 1 : k;
        if (o + w > limit)
            break;
        if (cp == '?')
            out[o] = '?';
        else
            memcpy(out + o, s + i, k);
        o += w;
        i += k;
    }
    if (i < n && limit >= 3) {
        while (o + 3 > limit)
            o--;
        /* never cut inside a UTF-8 sequence */
        while (o && ((unsigned char)out[o] & 0xc0) == 0x80)
            o--;
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
