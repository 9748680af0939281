/* core/json.c: the JSON string escaper (see core/json.h). */
#include "core/json.h"

#include <stdio.h>

void rnnkit__json_escape(const char *s, size_t n, int flags, rnnkit__json_put put, void *ctx)
{
    size_t run = 0; /* bytes s[i - run .. i) that need no escape, written in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        size_t elen = 0;
        if (c == '"' || c == '\\') {
            e[0] = '\\', e[1] = (char)c, elen = 2;
        } else if (c < 0x20) {
            const char *two = !(flags & RNNKIT__JSON_SHORT) ? NULL : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                                                                   : c == '\t' ? "\\t" : NULL;
            if (two)
                e[0] = two[0], e[1] = two[1], elen = 2;
            else
                elen = (size_t)snprintf(e, sizeof e, "\\u%04x", c);
        } else {
            run++;
            continue;
        }
        if (run)
            put(ctx, s + i - run, run);
        run = 0;
        put(ctx, e, elen);
    }
    if (run)
        put(ctx, s + n - run, run);
}

void rnnkit__json_string(const char *s, size_t n, int flags, rnnkit__json_put put, void *ctx)
{
    put(ctx, "\"", 1);
    rnnkit__json_escape(s, n, flags, put, ctx);
    put(ctx, "\"", 1);
}
