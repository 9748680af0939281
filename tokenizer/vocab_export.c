/*
 * tokenizer/vocab_export.c: a vocabulary in other tools' formats
 * (rnnkit_vocab_export, include/rnnkit/vocab.h):
 *
 *   vocab-txt        one token per line in id order; a line break inside a
 *                    token is written \n or \r
 *   keras-tokenizer  a Keras Tokenizer JSON (tokenizer_from_json): its
 *                    dictionaries are JSON documents inside JSON strings
 *   hf-tokenizer     a Hugging Face tokenizers tokenizer.json, WordLevel
 *                    model, the vocabulary's normalisation and a matching
 *                    pre-tokenizer; refused for cjk_bigrams and
 *                    split_clitics, which its pre-tokenizers do not apply
 *                    (the other two formats take rnnkit's tokens as given)
 *
 * JSON strings go through core/json.c (with \n \r \t short escapes);
 * files through core/atomic.c. Only the public vocabulary API is used.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/atomic.h"
#include "core/json.h"
#include "rnnkit/vocab.h"

static void file_sink(void *ctx, const char *bytes, size_t n) { fwrite(bytes, 1, n, ctx); }

static void json_str(FILE *f, const char *s, size_t len)
{
    rnnkit__json_string(s, len, RNNKIT__JSON_SHORT, file_sink, f);
}

static int write_vocab_txt(FILE *f, const rnnkit_vocab *v)
{
    int64_t n = rnnkit_vocab_size(v);
    for (int64_t id = 0; id < n; id++) {
        size_t len = 0;
        const char *t = rnnkit_vocab_token(v, id, &len);
        for (size_t i = 0; t && i < len; i++) {
            if (t[i] == '\n')
                fputs("\\n", f);
            else if (t[i] == '\r')
                fputs("\\r", f);
            else
                fputc(t[i], f);
        }
        fputc('\n', f);
    }
    return 0;
}

/* Keras stores its dictionaries as JSON text inside JSON strings: the inner
 * document is built in memory, then written as one escaped string. */
static int keras_field(FILE *f, const char *key, const rnnkit_vocab *v, int what)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return 1;
    int64_t n = rnnkit_vocab_size(v);
    fputc('{', m);
    int first = 1;
    for (int64_t id = what == 0 ? 2 : 1; id < n; id++) {
        size_t tl = 0;
        const char *t = rnnkit_vocab_token(v, id, &tl);
        if (!first)
            fputs(", ", m);
        first = 0;
        if (what == 0) { /* word_counts: token -> count (no reserved ids) */
            json_str(m, t, tl);
            fprintf(m, ": %lld", (long long)rnnkit_vocab_count(v, id));
        } else if (what == 1) { /* word_index: token -> id */
            json_str(m, t, tl);
            fprintf(m, ": %lld", (long long)id);
        } else { /* index_word: "id" -> token */
            fprintf(m, "\"%lld\": ", (long long)id);
            json_str(m, t, tl);
        }
    }
    fputc('}', m);
    if (fclose(m) != 0) {
        free(buf);
        return 1;
    }
    fprintf(f, ", \"%s\": ", key);
    json_str(f, buf, len);
    free(buf);
    return 0;
}

static int write_keras(FILE *f, const rnnkit_vocab *v)
{
    const rnnkit_tok_config *tc = rnnkit_vocab_config(v);
    /* The texts given to this tokenizer are expected to be rnnkit's tokens
     * joined by spaces: no filters, split on ' '. */
    fprintf(f, "{\"class_name\": \"Tokenizer\", \"config\": {\"num_words\": null, \"filters\": \"\", "
               "\"lower\": %s, \"split\": \" \", \"char_level\": %s, \"oov_token\": \"<unk>\", "
               "\"document_count\": 0",
            tc->lowercase ? "true" : "false", tc->level == RNNKIT_LEVEL_CHAR ? "true" : "false");
    if (keras_field(f, "word_counts", v, 0))
        return 1;
    fputs(", \"word_docs\": \"{}\", \"index_docs\": \"{}\"", f);
    if (keras_field(f, "index_word", v, 2) || keras_field(f, "word_index", v, 1))
        return 1;
    fputs("}}\n", f);
    return 0;
}

static int write_hf(FILE *f, const rnnkit_vocab *v)
{
    const rnnkit_tok_config *tc = rnnkit_vocab_config(v);
    fputs("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [\n", f);
    for (int id = 0; id < 2; id++)
        fprintf(f,
                "    {\"id\": %d, \"content\": \"%s\", \"single_word\": false, \"lstrip\": false, "
                "\"rstrip\": false, \"normalized\": false, \"special\": true}%s\n",
                id, id ? "<unk>" : "<pad>", id ? "" : ",");
    fputs("  ],\n  \"normalizer\": ", f);
    const char *norm = tc->normalize == RNNKIT_NORM_NFKC ? "NFKC" : tc->normalize == RNNKIT_NORM_NFC ? "NFC" : NULL;
    if (!norm && !tc->lowercase)
        fputs("null", f);
    else {
        fputs("{\"type\": \"Sequence\", \"normalizers\": [", f);
        if (norm)
            fprintf(f, "{\"type\": \"%s\"}", norm);
        if (tc->lowercase)
            fprintf(f, "%s{\"type\": \"Lowercase\"}", norm ? ", " : "");
        fputs("]}", f);
    }
    if (tc->level == RNNKIT_LEVEL_CHAR)
        fputs(",\n  \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\X\"}, "
              "\"behavior\": \"Isolated\", \"invert\": false},\n", f);
    else
        fputs(",\n  \"pre_tokenizer\": {\"type\": \"Whitespace\"},\n", f);
    fputs("  \"post_processor\": null,\n  \"decoder\": null,\n"
          "  \"model\": {\"type\": \"WordLevel\", \"unk_token\": \"<unk>\", \"vocab\": {", f);
    int64_t n = rnnkit_vocab_size(v);
    for (int64_t id = 0; id < n; id++) {
        size_t tl = 0;
        const char *t = rnnkit_vocab_token(v, id, &tl);
        fputs(id ? ",\n    " : "\n    ", f);
        json_str(f, t, tl);
        fprintf(f, ": %lld", (long long)id);
    }
    fputs("\n  }}\n}\n", f);
    return 0;
}

rnnkit_status rnnkit_vocab_export(const rnnkit_vocab *v, rnnkit_vocab_format format, FILE *f, rnnkit_error *err)
{
    if (format == RNNKIT_VOCAB_HF && rnnkit_vocab_config(v)->cjk_bigrams)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "the vocabulary adds CJK character pairs (cjk_bigrams), which tokenizer.json's "
                                "pre-tokenizers cannot express; export vocab-txt or keras-tokenizer instead");
    /* The Whitespace pre-tokenizer written below cuts "n't" into n ' t, so
     * the clitic tokens would never be looked up, and U+2019 would stay. */
    if (format == RNNKIT_VOCAB_HF && rnnkit_vocab_config(v)->split_clitics)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG,
                                "the vocabulary splits English clitics (split_clitics: don't -> do n't), which the "
                                "exported tokenizer.json's pre-tokenizer does not do; export vocab-txt or "
                                "keras-tokenizer instead");
    int bad;
    switch (format) {
    case RNNKIT_VOCAB_TXT: bad = write_vocab_txt(f, v); break;
    case RNNKIT_VOCAB_KERAS: bad = write_keras(f, v); break;
    case RNNKIT_VOCAB_HF: bad = write_hf(f, v); break;
    default: return rnnkit_error_set(err, RNNKIT_ERR_ARG, "unknown vocabulary format %d", (int)format);
    }
    if (bad)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory writing the vocabulary");
    errno = 0;
    if (fflush(f) != 0 || ferror(f))
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "write failed: %s", errno ? strerror(errno) : "I/O error");
    return RNNKIT_OK;
}

rnnkit_status rnnkit_vocab_export_file(const rnnkit_vocab *v, rnnkit_vocab_format format, const char *path,
                                       rnnkit_error *err)
{
    rnnkit__atomic out;
    rnnkit_status st = rnnkit__atomic_open(&out, path, err);
    if (st)
        return st;
    int fd = dup(out.fd);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        rnnkit__atomic_discard(&out);
        return rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: cannot write the temporary file", path);
    }
    st = rnnkit_vocab_export(v, format, f, err);
    if (st)
        rnnkit_error_prefix(err, "%s", path);
    if (fclose(f) != 0 && !st)
        st = rnnkit_error_set(err, RNNKIT_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    if (st) {
        rnnkit__atomic_discard(&out);
        return st;
    }
    return rnnkit__atomic_commit(&out, err);
}
