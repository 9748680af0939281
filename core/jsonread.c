/*
 * core/jsonread.c: a JSON reader over untrusted text, one value at a time
 * (see core/jsonread.h). Strings are decoded into malloc'd UTF-8; nothing is
 * allocated for skipped values; nesting is bounded.
 */
#include "core/jsonread.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

rnnkit_status rnnkit__json_fail(rnnkit__jcur *c, const char *what)
{
    return rnnkit_error_set(c->err, RNNKIT_ERR_FORMAT, "%s: byte %zu: %s: %s", c->path, c->i + c->base, c->what,
                            what);
}

void rnnkit__json_ws(rnnkit__jcur *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

int rnnkit__json_eat(rnnkit__jcur *c, char ch)
{
    rnnkit__json_ws(c);
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return 1;
    }
    return 0;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = s[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (uint32_t)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (uint32_t)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (uint32_t)(ch - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

rnnkit_status rnnkit__json_string_read(rnnkit__jcur *c, char **out)
{
    if (out)
        *out = NULL;
    if (!rnnkit__json_eat(c, '"'))
        return rnnkit__json_fail(c, "expected a string");
    size_t start = c->i;
    /* The decoded form is never longer than the escaped one. */
    size_t end = start;
    while (end < c->n && c->s[end] != '"') {
        if (c->s[end] == '\\')
            end++;
        end++;
    }
    if (end >= c->n)
        return rnnkit__json_fail(c, "unterminated string");
    char *o = malloc(end - start + 1);
    if (!o)
        return rnnkit_error_set(c->err, RNNKIT_ERR_NOMEM, "%s: out of memory", c->path);
    size_t k = 0;
    while (c->i < end) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch < 0x20) {
            free(o);
            return rnnkit__json_fail(c, "control character in a string");
        }
        if (ch != '\\') {
            o[k++] = (char)ch;
            c->i++;
            continue;
        }
        char e = c->s[c->i + 1];
        c->i += 2;
        switch (e) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '/': o[k++] = '/'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (c->i + 4 > end || !hex4(c->s + c->i, &cp)) {
                free(o);
                return rnnkit__json_fail(c, "bad \\u escape");
            }
            c->i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                /* A UTF-16 surrogate pair: \uD8xx\uDCxx (6 escaped bytes ->
                 * 4 decoded, so the buffer still suffices). */
                if (c->i + 6 > end || c->s[c->i] != '\\' || c->s[c->i + 1] != 'u' ||
                    !hex4(c->s + c->i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    free(o);
                    return rnnkit__json_fail(c, "unpaired UTF-16 surrogate");
                }
                c->i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if ((cp >= 0xDC00 && cp < 0xE000) || cp == 0) {
                free(o);
                return rnnkit__json_fail(c, cp ? "unpaired UTF-16 surrogate" : "\\u0000 in a string");
            }
            k += rnnkit__utf8_encode(cp, o + k);
            break;
        }
        default:
            free(o);
            return rnnkit__json_fail(c, "bad escape");
        }
    }
    o[k] = '\0';
    c->i = end + 1;
    if (out)
        *out = o;
    else
        free(o);
    return RNNKIT_OK;
}

rnnkit_status rnnkit__json_uint(rnnkit__jcur *c, uint64_t *out)
{
    rnnkit__json_ws(c);
    if (c->i >= c->n || c->s[c->i] < '0' || c->s[c->i] > '9')
        return rnnkit__json_fail(c, "expected a non-negative integer");
    uint64_t v = 0;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
        unsigned d = (unsigned)(c->s[c->i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return rnnkit__json_fail(c, "integer too large");
        v = v * 10 + d;
        c->i++;
    }
    if (c->i < c->n && (c->s[c->i] == '.' || c->s[c->i] == 'e' || c->s[c->i] == 'E'))
        return rnnkit__json_fail(c, "expected an integer");
    *out = v;
    return RNNKIT_OK;
}

rnnkit_status rnnkit__json_skip(rnnkit__jcur *c, int depth)
{
    if (depth > RNNKIT__JSON_MAX_DEPTH)
        return rnnkit__json_fail(c, "nested too deeply");
    rnnkit__json_ws(c);
    if (c->i >= c->n)
        return rnnkit__json_fail(c, "unexpected end");
    char ch = c->s[c->i];
    rnnkit_status st;
    if (ch == '"')
        return rnnkit__json_string_read(c, NULL);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->i++;
        if (rnnkit__json_eat(c, close))
            return RNNKIT_OK;
        do {
            if (ch == '{') {
                if ((st = rnnkit__json_string_read(c, NULL)))
                    return st;
                if (!rnnkit__json_eat(c, ':'))
                    return rnnkit__json_fail(c, "expected ':'");
            }
            if ((st = rnnkit__json_skip(c, depth + 1)))
                return st;
        } while (rnnkit__json_eat(c, ','));
        return rnnkit__json_eat(c, close) ? RNNKIT_OK : rnnkit__json_fail(c, "expected ',' or a closing bracket");
    }
    /* number, true, false, null */
    size_t start = c->i;
    while (c->i < c->n && strchr("+-.0123456789eEtruefalsn", c->s[c->i]))
        c->i++;
    return c->i > start ? RNNKIT_OK : rnnkit__json_fail(c, "unexpected character");
}
