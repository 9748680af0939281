/*
 * tests/test_tokenizer.c: text to tokens, table-driven: English contractions
 * and punctuation, full-width Latin under NFKC, combining marks, Chinese one
 * token per character, mixed scripts, emoji ZWJ sequences at char level,
 * invalid UTF-8 at a known offset, empty input; English clitics split the
 * Penn Treebank way (split_clitics: raw text and MR / SST-2 style text give
 * the same tokens); and Keras pad_sequences on one sequence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnkit/tokenizer.h"

/* Tokens joined by '|' into a fixed buffer. */
typedef struct joined {
    char buf[1024];
    size_t len;
    int count;
} joined;

static int join_token(void *ctx, const char *tok, size_t len)
{
    joined *j = ctx;
    assert_true(len > 0);
    assert_true(j->len + len + 2 < sizeof j->buf);
    if (j->count++)
        j->buf[j->len++] = '|';
    memcpy(j->buf + j->len, tok, len);
    j->len += len;
    j->buf[j->len] = '\0';
    return 0;
}

typedef struct tok_case {
    const char *name;
    rnnkit_level level;
    int normalize;   /* -1: the level's default */
    int lowercase;   /* -1: the level's default */
    int flags;       /* F_DROP_PUNCT, F_CJK_BIGRAMS, F_SPLIT_CLITICS */
    const char *text;
    const char *want; /* tokens joined by '|' */
} tok_case;
enum { F_DROP_PUNCT = 1, F_CJK_BIGRAMS = 2, F_SPLIT_CLITICS = 4 };

static const tok_case cases[] = {
    {"contractions and punctuation", RNNKIT_LEVEL_WORD, -1, -1, 0, "I don't know, l'homme!",
     "i|don't|know|,|l'homme|!"},
    {"curly apostrophe inside a word", RNNKIT_LEVEL_WORD, -1, -1, 0, "It\xE2\x80\x99s fine",
     "it\xE2\x80\x99s|fine"},
    {"quotes around a word are punctuation", RNNKIT_LEVEL_WORD, -1, -1, 0, "'hello' (world)",
     "'|hello|'|(|world|)"},
    {"digits and letters form one word", RNNKIT_LEVEL_WORD, -1, -1, 0, "abc123 4x4", "abc123|4x4"},
    {"drop-punct removes punctuation and symbols", RNNKIT_LEVEL_WORD, -1, -1, 1, "Hi, there! $5 #tag",
     "hi|there|5|tag"},
    {"full-width Latin folds under NFKC", RNNKIT_LEVEL_WORD, -1, -1, 0,
     "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3\xEF\xBC\x91\xEF\xBC\x92", "abc12"},
    {"full-width Latin stays without normalisation", RNNKIT_LEVEL_WORD, RNNKIT_NORM_NONE, 0, 0,
     "\xEF\xBC\xA1\xEF\xBC\xA2", "\xEF\xBC\xA1\xEF\xBC\xA2"},
    {"combining acute composes to one letter (NFC)", RNNKIT_LEVEL_WORD, RNNKIT_NORM_NFC, 1, 0,
     "Cafe\xCC\x81 noir", "caf\xC3\xA9|noir"},
    {"combining mark stays in the word without normalisation", RNNKIT_LEVEL_WORD, RNNKIT_NORM_NONE, 0, 0,
     "cafe\xCC\x81!", "cafe\xCC\x81|!"},
    {"case folding of non-ASCII", RNNKIT_LEVEL_WORD, -1, -1, 0, "\xC3\x89T\xC3\x89 \xCE\x9A\xCE\x91\xCE\x9B\xCE\x9F",
     "\xC3\xA9t\xC3\xA9|\xCE\xBA\xCE\xB1\xCE\xBB\xCE\xBF"},
    {"a Chinese sentence gives one token per character", RNNKIT_LEVEL_WORD, -1, -1, 0,
     "\xE6\x88\x91\xE7\x88\xB1\xE5\x8C\x97\xE4\xBA\xAC\xE3\x80\x82",
     "\xE6\x88\x91|\xE7\x88\xB1|\xE5\x8C\x97|\xE4\xBA\xAC|\xE3\x80\x82"},
    {"mixed Chinese and English", RNNKIT_LEVEL_WORD, -1, -1, 0, "\xE6\x88\x91\xE7\x88\xB1NLP\xE5\x92\x8C AI",
     "\xE6\x88\x91|\xE7\x88\xB1|nlp|\xE5\x92\x8C|ai"},
    {"kana and Hangul syllables are one token each", RNNKIT_LEVEL_WORD, -1, -1, 0,
     "\xE3\x81\x8B\xE3\x82\xAB\xED\x95\x9C\xEA\xB8\x80", "\xE3\x81\x8B|\xE3\x82\xAB|\xED\x95\x9C|\xEA\xB8\x80"},
    {"a byte order mark is skipped", RNNKIT_LEVEL_WORD, -1, -1, 0, "\xEF\xBB\xBFhello", "hello"},
    {"CRLF and tabs separate words", RNNKIT_LEVEL_WORD, -1, -1, 0, "a\r\nb\tc", "a|b|c"},
    {"empty text gives no tokens", RNNKIT_LEVEL_WORD, -1, -1, 0, "", ""},
    {"white space only gives no tokens", RNNKIT_LEVEL_WORD, -1, -1, 0, " \t\r\n ", ""},
    {"char level: one token per character, newline included", RNNKIT_LEVEL_CHAR, -1, -1, 0, "ab\nc",
     "a|b|\n|c"},
    {"char level: CRLF is the newline token", RNNKIT_LEVEL_CHAR, -1, -1, 0, "a\r\nb", "a|\n|b"},
    {"char level: e + combining acute is one cluster", RNNKIT_LEVEL_CHAR, -1, -1, 0, "e\xCC\x81x",
     "e\xCC\x81|x"},
    {"char level: an emoji ZWJ sequence is one cluster", RNNKIT_LEVEL_CHAR, -1, -1, 0,
     "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7!",
     "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7|!"},
    {"char level: a flag (two regional indicators) is one cluster", RNNKIT_LEVEL_CHAR, -1, -1, 0,
     "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA",
     "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7|\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA"},
    {"char level keeps case by default", RNNKIT_LEVEL_CHAR, -1, -1, 0, "Ab", "A|b"},
    {"word level: an emoji ZWJ sequence is one symbol token", RNNKIT_LEVEL_WORD, -1, -1, 0,
     "hi \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 there",
     "hi|\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9|there"},
    {"cjk bigrams: each adjacent pair after its first character", RNNKIT_LEVEL_WORD, -1, -1, F_CJK_BIGRAMS,
     "\xE9\x85\x92\xE5\xBA\x97\xE5\xBE\x88\xE5\xA5\xBD", /* 酒店很好 */
     "\xE9\x85\x92|\xE9\x85\x92\xE5\xBA\x97|\xE5\xBA\x97|\xE5\xBA\x97\xE5\xBE\x88|\xE5\xBE\x88|"
     "\xE5\xBE\x88\xE5\xA5\xBD|\xE5\xA5\xBD"},
    {"cjk bigrams: none across a space, punctuation or a Latin word", RNNKIT_LEVEL_WORD, -1, -1, F_CJK_BIGRAMS,
     "\xE9\x85\x92 \xE5\xBA\x97\xEF\xBC\x8C\xE5\xBE\x88ok\xE5\xA5\xBD", /* 酒 店，很ok好 */
     "\xE9\x85\x92|\xE5\xBA\x97|,|\xE5\xBE\x88|ok|\xE5\xA5\xBD"},
    {"cjk bigrams: kana pairs too", RNNKIT_LEVEL_WORD, -1, -1, F_CJK_BIGRAMS, "\xE3\x81\x8B\xE3\x82\xAB",
     "\xE3\x81\x8B|\xE3\x81\x8B\xE3\x82\xAB|\xE3\x82\xAB"},
    {"cjk bigrams: Latin text is unchanged", RNNKIT_LEVEL_WORD, -1, -1, F_CJK_BIGRAMS, "Hello, world", "hello|,|world"},
    {"clitics off: contractions stay whole, a quoted clitic is ' and a word", RNNKIT_LEVEL_WORD, -1, -1, 0,
     "don't it 's do n't", "don't|it|'|s|do|n't"},
    {"split clitics: inner apostrophes of other words stay", RNNKIT_LEVEL_WORD, -1, -1, F_SPLIT_CLITICS,
     "o'clock rock'n'roll O'Brien y'all l'homme rock\xE2\x80\x99n\xE2\x80\x99roll",
     "o'clock|rock'n'roll|o'brien|y'all|l'homme|rock\xE2\x80\x99n\xE2\x80\x99roll"},
    {"split clitics: a name ending in a clitic is split too", RNNKIT_LEVEL_WORD, -1, -1, F_SPLIT_CLITICS,
     "O'Brien's", "o'brien|'s"},
    {"split clitics: other leading apostrophes and quotes are punctuation", RNNKIT_LEVEL_WORD, -1, -1,
     F_SPLIT_CLITICS, "'tis 'em 'hello' 's'", "'|tis|'|em|'|hello|'|'s|'"},
    {"split clitics: clitics peeled off the end, all of them", RNNKIT_LEVEL_WORD, -1, -1, F_SPLIT_CLITICS,
     "wouldn't've y'all'd", "would|n't|'ve|y'all|'d"},
    {"split clitics with drop-punct: the clitics stay, the quotes go", RNNKIT_LEVEL_WORD, -1, -1,
     F_SPLIT_CLITICS | F_DROP_PUNCT, "'Tis, it's 'n't!", "tis|it|'s|n't"},
    {"split clitics: letters after the clitic make another word", RNNKIT_LEVEL_WORD, -1, -1, F_SPLIT_CLITICS,
     "it'sx isn'tit he'dd", "it'sx|isn'tit|he'dd"},
    {"split clitics: numbers and non-ASCII words", RNNKIT_LEVEL_WORD, -1, -1, F_SPLIT_CLITICS,
     "1990's Zo\xC3\xAB's caf\xC3\xA9n\xE2\x80\x99t", "1990|'s|zo\xC3\xAB|'s|caf\xC3\xA9|n't"},
};

static void tokenize_case(const tok_case *c, joined *out)
{
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, c->level);
    if (c->normalize >= 0)
        cfg.normalize = (rnnkit_norm)c->normalize;
    if (c->lowercase >= 0)
        cfg.lowercase = c->lowercase;
    cfg.drop_punct = !!(c->flags & F_DROP_PUNCT);
    cfg.cjk_bigrams = !!(c->flags & F_CJK_BIGRAMS);
    cfg.split_clitics = !!(c->flags & F_SPLIT_CLITICS);
    rnnkit_tokenizer *t = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_tokenizer_new(&cfg, &t, &err), RNNKIT_OK);
    memset(out, 0, sizeof *out);
    rnnkit_status st = rnnkit_tokenizer_run(t, c->text, strlen(c->text), "case", join_token, out, &err);
    rnnkit_tokenizer_free(t);
    assert_int_equal(st, RNNKIT_OK);
}

static void test_tokenizer_cases_give_the_expected_tokens(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        joined j;
        tokenize_case(&cases[i], &j);
        if (strcmp(j.buf, cases[i].want)) {
            print_error("case '%s': got [%s], want [%s]\n", cases[i].name, j.buf, cases[i].want);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static void test_defaults_are_nfkc_lowercase_for_words_and_raw_for_chars(void **state)
{
    (void)state;
    rnnkit_tok_config w, c;
    rnnkit_tok_config_default(&w, RNNKIT_LEVEL_WORD);
    rnnkit_tok_config_default(&c, RNNKIT_LEVEL_CHAR);
    assert_int_equal(w.normalize, RNNKIT_NORM_NFKC);
    assert_true(w.lowercase);
    assert_false(w.drop_punct);
    assert_false(w.split_clitics);
    assert_int_equal(w.invalid, RNNKIT_INVALID_ERROR);
    assert_int_equal(c.normalize, RNNKIT_NORM_NONE);
    assert_false(c.lowercase);
}

static void test_invalid_utf8_is_an_error_naming_the_byte_offset(void **state)
{
    (void)state;
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    rnnkit_tokenizer *t = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_tokenizer_new(&cfg, &t, &err), RNNKIT_OK);
    joined j = {0};
    const char text[] = "hello w\xFForld";
    assert_int_equal(rnnkit_tokenizer_run(t, text, sizeof text - 1, "doc.txt", join_token, &j, &err),
                     RNNKIT_ERR_UTF8);
    assert_non_null(strstr(err.msg, "doc.txt"));
    assert_non_null(strstr(err.msg, "byte offset 7"));
    /* in file terms once the origin is known */
    rnnkit_tokenizer_set_origin(t, 12, 1000);
    assert_int_equal(rnnkit_tokenizer_run(t, text, sizeof text - 1, "doc.txt", join_token, &j, &err),
                     RNNKIT_ERR_UTF8);
    assert_non_null(strstr(err.msg, "doc.txt:12:"));
    assert_non_null(strstr(err.msg, "byte offset 1007"));
    rnnkit_tokenizer_free(t);
}

static void test_invalid_utf8_replace_and_skip_count_what_they_did(void **state)
{
    (void)state;
    static const struct {
        rnnkit_invalid rule;
        const char *want;
    } rules[] = {{RNNKIT_INVALID_REPLACE, "ab|\xEF\xBF\xBD|cd"}, {RNNKIT_INVALID_SKIP, "abcd"}};
    for (size_t i = 0; i < 2; i++) {
        rnnkit_tok_config cfg;
        rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
        cfg.invalid = rules[i].rule;
        rnnkit_tokenizer *t = NULL;
        rnnkit_error err;
        assert_int_equal(rnnkit_tokenizer_new(&cfg, &t, &err), RNNKIT_OK);
        joined j = {0};
        assert_int_equal(rnnkit_tokenizer_run(t, "ab\xFF" "cd", 5, NULL, join_token, &j, &err), RNNKIT_OK);
        assert_string_equal(j.buf, rules[i].want);
        assert_int_equal(rnnkit_tokenizer_invalid_count(t), 1);
        rnnkit_tokenizer_free(t);
    }
}

static int stop_after_two(void *ctx, const char *tok, size_t len)
{
    (void)tok;
    (void)len;
    return ++*(int *)ctx >= 2;
}

static void test_callback_can_stop_the_tokenizer(void **state)
{
    (void)state;
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    rnnkit_tokenizer *t = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_tokenizer_new(&cfg, &t, &err), RNNKIT_OK);
    int n = 0;
    assert_int_equal(rnnkit_tokenizer_run(t, "a b c d e", 9, NULL, stop_after_two, &n, &err),
                     RNNKIT_ERR_INTERRUPTED);
    assert_int_equal(n, 2);
    rnnkit_tokenizer_free(t);
}

static int count_only(void *ctx, const char *tok, size_t len)
{
    (void)tok;
    (void)len;
    ++*(size_t *)ctx;
    return 0;
}

static void test_a_long_line_without_spaces_tokenizes_completely(void **state)
{
    (void)state;
    /* 300 000 ideographs with no space: longer than one normalisation run */
    size_t n = 300000;
    char *text = malloc(3 * n);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + 3 * i, "\xE5\xAD\x97", 3); /* U+5B57 */
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    rnnkit_tokenizer *t = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_tokenizer_new(&cfg, &t, &err), RNNKIT_OK);
    size_t count = 0;
    assert_int_equal(rnnkit_tokenizer_run(t, text, 3 * n, NULL, count_only, &count, &err), RNNKIT_OK);
    assert_int_equal(count, n);
    rnnkit_tokenizer_free(t);
    free(text);
}

/* Writes ideograph i of the test run, U+4E00 + (i % 7), as UTF-8 (3 bytes). */
static void put_ideograph(char *dst, size_t i)
{
    int32_t cp = 0x4E00 + (int32_t)(i % 7);
    dst[0] = (char)(0xE0 | (cp >> 12));
    dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[2] = (char)(0x80 | (cp & 0x3F));
}

/* Checks the tokens of a run of those ideographs under cjk_bigrams:
 * unigram i, then the pair (i, i+1), alternating. */
typedef struct bigram_check {
    size_t k;   /* tokens seen */
    int bad;
} bigram_check;

static int check_bigram_token(void *ctx, const char *tok, size_t len)
{
    bigram_check *b = ctx;
    size_t i = b->k / 2;
    char want[6];
    put_ideograph(want, i);
    put_ideograph(want + 3, i + 1);
    size_t wl = b->k % 2 ? 6 : 3;
    if (len != wl || memcmp(tok, want, wl))
        b->bad++;
    b->k++;
    return 0;
}

static void test_cjk_bigrams_span_the_tokenizer_s_internal_run_cuts(void **state)
{
    (void)state;
    /* 100 000 ideographs with no space: the tokenizer cuts the line into
     * runs of at most 64 KiB, and the pairs across each cut are still made */
    size_t n = 100000;
    char *text = malloc(3 * n);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        put_ideograph(text + 3 * i, i);
    rnnkit_tok_config cfg;
    rnnkit_tok_config_default(&cfg, RNNKIT_LEVEL_WORD);
    cfg.cjk_bigrams = 1;
    rnnkit_tokenizer *t = NULL;
    rnnkit_error err;
    assert_int_equal(rnnkit_tokenizer_new(&cfg, &t, &err), RNNKIT_OK);
    bigram_check b = {0, 0};
    assert_int_equal(rnnkit_tokenizer_run(t, text, 3 * n, NULL, check_bigram_token, &b, &err), RNNKIT_OK);
    assert_int_equal(b.k, 2 * n - 1);
    assert_int_equal(b.bad, 0);
    /* a second document starts afresh: no pair with the last one's end */
    b.k = 0;
    assert_int_equal(rnnkit_tokenizer_run(t, text, 6, NULL, check_bigram_token, &b, &err), RNNKIT_OK);
    assert_int_equal(b.k, 3);
    assert_int_equal(b.bad, 0);
    rnnkit_tokenizer_free(t);
    free(text);
}

/* split_clitics: each raw spelling and its Penn Treebank spelling (as MR and
 * SST-2 write their texts) give the same tokens, `want`; lowercase 0 keeps
 * the case (the clitic's too). */
static void test_split_clitics_make_raw_and_treebank_text_agree(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *ptb, *want;
        int lowercase;
    } pairs[] = {
        {"don't", "do n't", "do|n't", 1},
        {"it's", "it 's", "it|'s", 1},
        {"They're", "they 're", "they|'re", 1},
        {"we've", "we 've", "we|'ve", 1},
        {"I'll", "i 'll", "i|'ll", 1},
        {"she'd", "she 'd", "she|'d", 1},
        {"I'm", "i 'm", "i|'m", 1},
        {"can't", "ca n't", "ca|n't", 1},
        {"won't", "wo n't", "wo|n't", 1},
        {"Don\xE2\x80\x99t", "do n't", "do|n't", 1},               /* U+2019 apostrophe */
        {"it\xE2\x80\x99s", "it \xE2\x80\x99s", "it|'s", 1},     /* on both sides */
        {"can\xE2\x80\x99t", "ca n\xE2\x80\x99t", "ca|n't", 1},
        {"DON'T", "DO N'T", "DO|N'T", 0},
        {"IT'S", "IT 'S", "IT|'S", 0},
        {"I don't know, it's great.", "i do n't know , it 's great .", "i|do|n't|know|,|it|'s|great|.", 1},
        {"wouldn't've", "would n't 've", "would|n't|'ve", 1},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        for (int side = 0; side < 2; side++) {
            tok_case c = {"clitics", RNNKIT_LEVEL_WORD, -1, pairs[i].lowercase, F_SPLIT_CLITICS,
                          side ? pairs[i].ptb : pairs[i].raw, pairs[i].want};
            joined j;
            tokenize_case(&c, &j);
            if (strcmp(j.buf, c.want)) {
                print_error("'%s': got [%s], want [%s]\n", c.text, j.buf, c.want);
                failed++;
            }
        }
    }
    assert_int_equal(failed, 0);
}

static void test_is_clitic_knows_the_seven_clitics_in_both_spellings(void **state)
{
    (void)state;
    static const char *const yes[] = {"n't", "N'T", "n\xE2\x80\x99t", "'s", "'S", "'re", "'ve", "'ll",
                                      "\xE2\x80\x99ll", "'d", "'m", "'Re"};
    static const char *const no[] = {"", "'", "n", "nt", "'t", "n't'", "'sup", "s", "don't", "'l", "\xE2\x80\x99",
                                     "'\xE2\x80\x99s"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(rnnkit_tok_is_clitic(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(rnnkit_tok_is_clitic(no[i], strlen(no[i])));
    assert_false(rnnkit_tok_is_clitic("'s", 1)); /* the length is what counts */
}

/* Keras pad_sequences on one sequence (the batch parity is in test_vocab). */
static void test_pad_sequence_follows_keras_pre_and_post(void **state)
{
    (void)state;
    static const int32_t ids[5] = {1, 2, 3, 4, 5};
    static const struct {
        size_t maxlen;
        int pad_pre, trunc_pre;
        int32_t want[8];
        size_t cut;
    } pc[] = {
        {3, 1, 1, {3, 4, 5}, 2},          {3, 1, 0, {1, 2, 3}, 2},
        {7, 1, 1, {0, 0, 1, 2, 3, 4, 5}, 0}, {7, 0, 1, {1, 2, 3, 4, 5, 0, 0}, 0},
        {5, 0, 0, {1, 2, 3, 4, 5}, 0},
    };
    for (size_t i = 0; i < sizeof pc / sizeof pc[0]; i++) {
        int32_t out[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
        assert_int_equal(rnnkit_pad_sequence(ids, 5, pc[i].maxlen, pc[i].pad_pre, pc[i].trunc_pre, 0, out),
                         pc[i].cut);
        assert_memory_equal(out, pc[i].want, pc[i].maxlen * sizeof(int32_t));
        assert_int_equal(out[pc[i].maxlen], -1); /* nothing written past maxlen */
    }
    int32_t out[3];
    assert_int_equal(rnnkit_pad_sequence(ids, 0, 3, 1, 1, 9, out), 0);
    assert_int_equal(out[0], 9);
    assert_int_equal(out[2], 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_cases_give_the_expected_tokens),
        cmocka_unit_test(test_defaults_are_nfkc_lowercase_for_words_and_raw_for_chars),
        cmocka_unit_test(test_invalid_utf8_is_an_error_naming_the_byte_offset),
        cmocka_unit_test(test_invalid_utf8_replace_and_skip_count_what_they_did),
        cmocka_unit_test(test_callback_can_stop_the_tokenizer),
        cmocka_unit_test(test_cjk_bigrams_span_the_tokenizer_s_internal_run_cuts),
        cmocka_unit_test(test_split_clitics_make_raw_and_treebank_text_agree),
        cmocka_unit_test(test_is_clitic_knows_the_seven_clitics_in_both_spellings),
        cmocka_unit_test(test_a_long_line_without_spaces_tokenizes_completely),
        cmocka_unit_test(test_pad_sequence_follows_keras_pre_and_post),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
