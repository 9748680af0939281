/*
 * tokenizer/vocab_internal.h: the vocabulary tables inside an open SQLite
 * database, for the library's own files (a vocabulary file, a model file
 * holding a copy). Not public: SQLite stays an implementation detail. The
 * tables are docs/tokenizer.md's (and docs/model-format.md's).
 */
#ifndef RNNKIT_VOCAB_INTERNAL_H
#define RNNKIT_VOCAB_INTERNAL_H

#include <sqlite3.h>

#include "rnnkit/vocab.h"

/* Loads the vocabulary tables of `db` (path_for_errors names it in
 * messages): RNNKIT_ERR_FORMAT without them, RNNKIT_ERR_VERSION for a newer
 * schema, RNNKIT_ERR_CORRUPT for missing reserved ids or gaps. */
rnnkit_status rnnkit__vocab_load_db(sqlite3 *db, const char *path_for_errors, rnnkit_vocab **out,
                                    rnnkit_error *err);
/* Writes the vocabulary tables (vocab_config, tokens, sources) into `db`,
 * replacing any there; runs inside the caller's transaction if one is open. */
rnnkit_status rnnkit__vocab_save_db(const rnnkit_vocab *v, sqlite3 *db, rnnkit_error *err);

#endif
