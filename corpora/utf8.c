/*
 * corpora/utf8.c: the White_Space test the corpus readers use for "is this
 * text empty" (validation and decoding are core/utf8.c's).
 */
#include "corpora/corpus_internal.h"

/* The White_Space property of PropList.txt (Unicode 15). */
static int is_white_space(uint32_t cp)
{
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
        return 1;
    if (cp < 0x85)
        return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

int rnnkit__utf8_is_blank(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp = 0;
        size_t len = rnnkit__utf8_decode(s + i, n - i, &cp);
        if (!len || !is_white_space(cp))
            return 0;
        i += len;
    }
    return 1;
}
