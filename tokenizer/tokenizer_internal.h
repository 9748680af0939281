/*
 * tokenizer/tokenizer_internal.h: what the files of tokenizer/ share and the
 * tests may use: the token table (open addressing over one byte arena), the
 * vocabulary's layout, the line reader and SHA-256.
 *
 * Not public API: nothing outside tokenizer/ and tests/ includes this.
 */
#ifndef RNNKIT_TOKENIZER_INTERNAL_H
#define RNNKIT_TOKENIZER_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "rnnkit/status.h"
#include "rnnkit/tokenizer.h"
#include "rnnkit/vocab.h"

/* Schema of the vocabulary tables (vocab_config.schema_version and, in a
 * standalone vocabulary file, PRAGMA user_version). */
#define RNNKIT_VOCAB_SCHEMA 1
/* PRAGMA application_id of a standalone vocabulary file: "RNKV". */
#define RNNKIT_VOCAB_APP_ID 0x524e4b56

/* ---------------------------------------------------------------------- */
/* Token table: entries in insertion order, their bytes NUL-terminated in one
 * growing arena, an open-addressing index of (hash high bits | entry + 1).
 * No allocation per token: the three arrays grow by doubling. */

typedef struct rnnkit__tok_entry {
    uint64_t off;       /* bytes at arena + off, NUL-terminated */
    uint32_t len;       /* bytes, NUL excluded */
    uint32_t hash_hi;   /* high 32 bits of the hash */
    int64_t count;      /* occurrences */
    int64_t docs;       /* documents holding it */
    uint64_t last_doc;  /* last document counted in `docs` */
} rnnkit__tok_entry;

typedef struct rnnkit__tok_table {
    uint64_t *slots;          /* [mask + 1]: 0 empty, else hash_hi << 32 | (index + 1) */
    size_t mask;
    size_t nindexed;          /* entries reachable through `slots` */
    rnnkit__tok_entry *e;     /* [n] */
    size_t n, cap;
    char *arena;              /* [alen] */
    size_t alen, acap;
} rnnkit__tok_table;

uint64_t rnnkit__tok_hash(const char *p, size_t n);
void rnnkit__tok_table_free(rnnkit__tok_table *t);
/* Index of the token, or -1. */
int64_t rnnkit__tok_find(const rnnkit__tok_table *t, const char *p, size_t n, uint64_t h);
/* Appends a new entry (no duplicate check). indexed = 0 stores it without
 * making it findable (dropped tokens). Returns the index or -1 (no memory, or
 * a token over 4 GiB). */
int64_t rnnkit__tok_add(rnnkit__tok_table *t, const char *p, size_t n, uint64_t h, int indexed);
static inline const char *rnnkit__tok_bytes(const rnnkit__tok_table *t, size_t i)
{
    return t->arena + t->e[i].off;
}

/* ---------------------------------------------------------------------- */
/* The vocabulary (see rnnkit/vocab.h). Entries 0 and 1 of `tab` are <pad>
 * and <unk> (not indexed); entries [2, size) are the ids; entries [size, n)
 * are the tokens counted but cut by min_count / max_size, kept so that a
 * later --append counts exactly. */

struct rnnkit_vocab {
    rnnkit_tok_config cfg;
    rnnkit__tok_table tab;
    int64_t size;
    int64_t min_count, max_size;   /* the cut that made it */
    uint64_t total_tokens;         /* corpus tokens counted (dropped included) */
    uint64_t documents;
    uint64_t invalid;              /* invalid UTF-8 sequences replaced/skipped */
    char utf8proc_version[32], unicode_version[32], rnnkit_version[32];
    rnnkit_vocab_source *src;      /* [nsrc], paths owned */
    size_t nsrc;
    rnnkit_tokenizer *tok;         /* for encode, made on first use */
};

/* Deep copy of a source list; 0 or NOMEM. */
rnnkit_status rnnkit__sources_copy(const rnnkit_vocab_source *src, size_t n,
                                   rnnkit_vocab_source **out, rnnkit_error *err);
void rnnkit__sources_free(rnnkit_vocab_source *src, size_t n);

/* ---------------------------------------------------------------------- */
/* SHA-256 of the bytes read, for the sources table. */

typedef struct rnnkit__sha256 {
    uint32_t h[8];
    uint64_t nbytes;
    unsigned char buf[64];
    size_t nbuf;
} rnnkit__sha256;

void rnnkit__sha256_init(rnnkit__sha256 *s);
void rnnkit__sha256_update(rnnkit__sha256 *s, const void *p, size_t n);
/* Writes 64 lower-case hex digits and a NUL to hex[65]. */
void rnnkit__sha256_hex(rnnkit__sha256 *s, char hex[65]);

/* ---------------------------------------------------------------------- */
/* Line reader: a file ("-" = stdin) read in fixed chunks and handed out as
 * pieces of lines, so a line of any length needs no more memory than a
 * chunk. A line ends at LF; a CR right before it is dropped. With tsv, the
 * text starts after the line's first tab (a non-empty line without one is
 * an error) and empty lines are skipped. With keep_newline, "\n" is handed
 * out as the last piece of every line that had one. */

typedef struct rnnkit__line_sink {
    /* A line starts: `line` from 1, `offset` its first text byte in the file. */
    rnnkit_status (*begin)(void *ctx, uint64_t line, uint64_t offset, rnnkit_error *err);
    rnnkit_status (*piece)(void *ctx, const char *p, size_t n, rnnkit_error *err);
    rnnkit_status (*end)(void *ctx, rnnkit_error *err);
} rnnkit__line_sink;

rnnkit_status rnnkit__read_lines(const char *path, int tsv, int keep_newline,
                                 const rnnkit__line_sink *sink, void *ctx,
                                 rnnkit_vocab_source *stats, rnnkit_error *err);

/* "<stdin>" for "-", else the path. */
const char *rnnkit__tok_display(const char *path);

#endif
