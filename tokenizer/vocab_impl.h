/*
 * tokenizer/vocab_impl.h: the layout of an rnnkit_vocab, shared by the two
 * files that build and read it: tokenizer/vocab.c (counting, ids, lookup)
 * and tokenizer/vocab_db.c (the SQLite tables and files). Nothing else
 * includes it.
 *
 * Invariants: entry i of a vocabulary's table is id i (0 "<pad>", 1
 * "<unk>"); its keys live in the table's arena; a source's path is owned.
 */
#ifndef RNNKIT_TOKENIZER_VOCAB_IMPL_H
#define RNNKIT_TOKENIZER_VOCAB_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

/* A string table: arena of bytes + open addressing. */
typedef struct entry {
    uint64_t hash;
    size_t off;     /* into arena */
    uint32_t len;
    int64_t count, docs, last_doc;
} entry;

typedef struct table {
    entry *e;       /* entries in insertion order */
    size_t n, cap;
    uint64_t *slot; /* 0 = empty, else (hash >> 32) << 32 | (index + 1): the
                     * high hash bits let a probe skip other entries unread */
    size_t nslot;   /* power of two */
    char *arena;
    size_t used, acap;
} table;

typedef struct source {
    char *path;
    int64_t bytes, lines;
    char hash[17];
} source;

struct rnnkit_vocab {
    rnnkit_tok_config cfg;
    table t;              /* entry i = id i; count/docs filled */
    int64_t total, documents, min_count, max_size;
    char utf8proc_version[64], unicode_version[64];
    source *src;
    size_t nsrc;
    rnnkit_tokenizer *tok; /* for encode, created on first use */
};

/* A new empty vocabulary with rules cfg and this build's utf8proc and
 * Unicode versions; NULL when out of memory. */
rnnkit_vocab *rnnkit__vocab_alloc(const rnnkit_tok_config *cfg);
/* Appends token s[0..len) with its counts as the next id: 0, or -1 when out
 * of memory or the token is already there. */
int rnnkit__vocab_push(rnnkit_vocab *v, const char *s, size_t len, int64_t count, int64_t docs);
/* Appends copies of s[0..k) to (*dst)[*n..] (grown as needed):
 * RNNKIT_ERR_NOMEM. */
rnnkit_status rnnkit__vocab_add_sources(source **dst, size_t *n, size_t *cap, const source *s, size_t k,
                                        rnnkit_error *err);

#endif
