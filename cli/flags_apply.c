/*
 * cli/flags_apply.c: the flags that several commands share, stored into the
 * library's option structures in one place, so that `--batch` or `--seed`
 * means the same in classify train, generate train (and what comes next).
 * Values arrive checked by the parser (cli/flags.c).
 */
#include "cli/cli.h"
#include "cli/flags.h"

int cli_model_flag(int id, const cli_value *v, rnnkit_model_config *mc)
{
    switch (id) {
    case CF_CELL: mc->cell = (rnnkit_cell)rnnkit_cell_from_name(v->s); break;
    case CF_EMBED: mc->embed = (int)v->i; break;
    case CF_HIDDEN: mc->hidden = (int)v->i; break;
    case CF_LAYERS: mc->layers = (int)v->i; break;
    case CF_BIDIRECTIONAL: mc->bidirectional = (int)v->i; break;
    case CF_POOL: mc->pool = (rnnkit_pool)rnnkit_pool_from_name(v->s); break;
    case CF_DROPOUT: mc->dropout = (float)v->d; break;
    case CF_EMBED_DROPOUT: mc->embed_dropout = (float)v->d; break;
    case CF_WEIGHT_DROP: mc->weight_drop = (float)v->d; break;
    case CF_EMBED_INIT: mc->embed_init = (float)v->d; break;
    case CF_PRECISION: mc->bf16 = v->i == 1; break;
    case CF_ENSEMBLE: mc->members = (int)v->i; break;
    case CF_MAXLEN: mc->maxlen = (int)v->i; break;
    case CF_TRUNCATING: mc->keep_last = v->i == 0; break; /* pre: the start goes */
    default: return 0;
    }
    return 1;
}

int cli_train_flag(int id, const cli_value *v, rnnkit_train_options *t)
{
    switch (id) {
    case CF_BATCH: t->batch = (int)v->i; break;
    case CF_LR: t->lr = v->d; break;
    case CF_LR_SCHEDULE: t->lr_schedule = v->i ? RNNKIT_LR_COSINE : RNNKIT_LR_PLATEAU; break;
    case CF_LR_DECAY: t->lr_decay = v->d; break;
    case CF_CLIP: t->clip = v->d; break;
    case CF_PATIENCE: t->patience = (int)v->i; break;
    case CF_SEED: t->seed = v->u; break;
    case CF_CHECKPOINT_MINUTES: t->checkpoint_seconds = 60.0 * v->d; break;
    case CF_CHECKPOINT_STEPS: t->checkpoint_steps = v->i; break;
    case CF_LR_BODY: t->body_lr = v->d; break;
    case CF_FREEZE_BODY: t->freeze_body = (int)v->i; break;
    case CF_LAZY_EMBEDDING: t->lazy_embedding = 1; break;
    case CF_EMA: t->ema = v->d; break;
    default: return 0;
    }
    return 1;
}

int cli_output_flag(int id, const cli_value *v, cli_output_opts *o)
{
    switch (id) {
    case CF_QUIET: o->quiet = 1; break;
    case CF_THREADS: o->threads = (int)v->i; cli_choose_threads(o->threads); break;
    case CF_LOG_FORMAT: o->jsonl = v->i == 1; break;
    default: return 0;
    }
    return 1;
}

int cli_train_flags_done(const cli_parser *p, int id, int decay_set, const rnnkit_train_options *t, const char *out)
{
    int rc = cli_no_operands(p, id);
    if (rc != CLI_GO)
        return rc;
    if (decay_set && t->lr_schedule != RNNKIT_LR_PLATEAU)
        return cli_usage(p->cmd->name, "--lr-decay: the cosine schedule does not use it; add --lr-schedule plateau");
    if (!out)
        return cli_usage(p->cmd->name, "-o MODEL.db is required");
    return CLI_GO;
}
