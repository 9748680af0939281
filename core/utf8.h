/*
 * core/utf8.h: UTF-8 per RFC 3629 / Unicode Table 3-7 ("Well-Formed UTF-8
 * Byte Sequences"): validation, decoding one code point, encoding one.
 * Ill-formed: overlong forms, surrogates U+D800..U+DFFF, code points above
 * U+10FFFF, stray continuation bytes, truncated sequences. NUL is
 * well-formed here; callers that refuse it check separately.
 * Normalisation and grapheme rules are utf8proc's (tokenizer/).
 */
#ifndef RNNKIT_CORE_UTF8_H
#define RNNKIT_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The byte offset of the first ill-formed sequence in s[0..n), or n when
 * the whole range is well-formed (word-at-a-time over ASCII runs). */
size_t rnnkit__utf8_invalid_at(const unsigned char *s, size_t n);

/* Decodes the sequence at s (at most n bytes, n >= 1): its length 1..4 and
 * *cp, or 0 when it is ill-formed (*cp untouched). */
size_t rnnkit__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Encodes cp (at most U+10FFFF, not a surrogate) into out[0..4): returns
 * the bytes written, 1..4. */
size_t rnnkit__utf8_encode(uint32_t cp, char *out);

#endif
