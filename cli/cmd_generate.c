/*
 * cli/cmd_generate.c: `rnnkit generate sample | eval` and the dispatch of
 * `rnnkit generate <verb>` (train is cli/cmd_generate_train.c): a
 * generator of characters or words (words joined by spaces on output). Flags and output only: the text is encoded by
 * rnnkit/text.h, sampled by rnnkit/model.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "rnnkit/model.h"
#include "rnnkit/corpus.h"
#include "rnnkit/text.h"

#define LN2 0.69314718055994530942

static const cli_use sample_uses[] = {
    CLI_USE_H(CF_MODEL, NULL, "the generator"),
    CLI_USE_D(CF_PRIME, "a newline"),
    CLI_USE_D(CF_LENGTH, "500"),
    CLI_USE_D(CF_TEMPERATURE, "1.0"),
    CLI_USE_H(CF_TOP_K, NULL, "sample among the K most likely characters only"),
    CLI_USE(CF_TOP_P),
    CLI_USE(CF_ARGMAX),
    {CF_SEED, "1", NULL, "the text to continue is now --prime TEXT"},
    CLI_USE(CF_STOP),
    CLI_USE_D(CF_COUNT, "1"),
    CLI_USE_D(CF_UNKNOWN, "error"),
    CLI_USE(CF_CHECK_COPY),
    CLI_USE_H(CF_MEMBER, NULL, "an ensemble's network N alone (1-based; default: all, averaged)"),
    CLI_USES_END,
};
static const cli_renamed sample_renamed[] = {{"rng-seed", "seed"}, {NULL, NULL}};
static const cli_command sample_cmd = {"generate sample", "usage: rnnkit generate sample -m MODEL.db [options]\n\n",
                                       sample_uses, sample_renamed};

static const cli_use eval_uses[] = {
    CLI_USE_H(CF_MODEL, NULL, "the generator"), CLI_USE(CF_THREADS),
    CLI_USE_H(CF_MEMBER, NULL, "an ensemble's network N alone (1-based; default: all, averaged)"), CLI_USES_END};
static const cli_command eval_cmd = {
    "generate eval",
    "usage: rnnkit generate eval -m MODEL.db FILE\n\n"
    "Prints the mean loss in nats per character and bits per character (a word-level\n"
    "model: nats per token and perplexity).\n\n",
    eval_uses, NULL};

/* ---------------------------------------------------------------------- */
/* sample */

typedef struct sample_args {
    const char *model, *prime, *stop, *copy_file;
    int64_t length;
    int count, skip, member;
    uint64_t seed;
    rnnkit_sample_options so;
} sample_args;

/* CLI_GO, or the exit status. */
static int parse_sample(sample_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->length = 500;
    a->count = 1;
    a->seed = 1;
    a->so = (rnnkit_sample_options){.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .argmax = 0};
    cli_parser p;
    cli_value v;
    int id;
    cli_parser_init(&p, &sample_cmd, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0) {
        switch (id) {
        case CF_MODEL: a->model = v.s; break;
        case CF_PRIME: a->prime = v.s; break;
        case CF_LENGTH: a->length = v.i; break;
        case CF_TEMPERATURE: a->so.temperature = (float)v.d; break;
        case CF_TOP_K: a->so.top_k = (int)v.i; break;
        case CF_TOP_P: a->so.top_p = (float)v.d; break;
        case CF_ARGMAX: a->so.argmax = 1; break;
        case CF_SEED: a->seed = v.u; break;
        case CF_STOP:
            if (!*v.s)
                return cli_usage(sample_cmd.name, "--stop: empty string");
            a->stop = v.s;
            break;
        case CF_COUNT: a->count = (int)v.i; break;
        case CF_UNKNOWN: a->skip = v.i == 1; break;
        case CF_CHECK_COPY: a->copy_file = v.s; break;
        case CF_MEMBER: a->member = (int)v.i; break;
        }
    }
    int rc = cli_no_operands(&p, id);
    if (rc != CLI_GO)
        return rc;
    if (!a->model)
        return cli_usage(sample_cmd.name, "-m MODEL.db is required");
    return CLI_GO;
}

/* The generated text, kept for --stop and --check-copy. */
typedef struct out_text {
    char *buf;
    size_t len, cap;
} out_text;

static rnnkit_status out_append(out_text *o, const char *t, size_t tl, rnnkit_error *err)
{
    if (o->len + tl + 1 > o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 4096;
        while (cap < o->len + tl + 1)
            cap *= 2;
        char *g = realloc(o->buf, cap);
        if (!g)
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory");
        o->buf = g;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, t, tl);
    o->len += tl;
    o->buf[o->len] = 0;
    return RNNKIT_OK;
}

/* Writes token id (a space before each word at word level). */
static void put_token(rnnkit_vocab *v, int32_t id, int words, int first)
{
    size_t tl;
    const char *t = rnnkit_vocab_token(v, id, &tl);
    if (words && !first)
        fputc(' ', stdout);
    fwrite(t, 1, tl, stdout);
}

/* A backward model's sample: the prime read from its end, then up to
 * a->length tokens drawn, each one the token BEFORE the text so far; the
 * text is printed in reading order once complete. */
static rnnkit_status sample_backward(const sample_args *a, rnnkit_sampler *s, rnnkit_vocab *v, const int32_t *prime,
                                     size_t nprime, rnnkit_rng *rng, rnnkit_error *err)
{
    const int words = rnnkit_vocab_config(v)->level == RNNKIT_LEVEL_WORD;
    int32_t *drawn = malloc(((size_t)a->length + 1) * sizeof *drawn);
    if (!drawn)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "out of memory for %lld tokens", (long long)a->length);
    rnnkit_status st = RNNKIT_OK;
    rnnkit_sampler_reset(s);
    for (size_t i = nprime; !st && i > 0; i--)
        st = rnnkit_sampler_feed(s, prime[i - 1], err);
    int64_t n = 0;
    for (; !st && n < a->length; n++) {
        drawn[n] = rnnkit_sampler_draw(s, &a->so, rng);
        st = rnnkit_sampler_feed(s, drawn[n], err);
    }
    for (int64_t i = n; !st && i > 0; i--)
        put_token(v, drawn[i - 1], words, i == n);
    if (!st && a->prime)
        printf("%s%s", words && n ? " " : "", a->prime);
    free(drawn);
    return st;
}

/* One sample: the prime, then up to a->length drawn tokens. */
static rnnkit_status sample_one(const sample_args *a, rnnkit_sampler *s, rnnkit_vocab *v, const int32_t *prime,
                                size_t nprime, rnnkit_rng *rng, out_text *o, rnnkit_error *err)
{
    const int tty = isatty(1), keep = a->stop || a->copy_file;
    const int words = rnnkit_vocab_config(v)->level == RNNKIT_LEVEL_WORD;
    const size_t sl = a->stop ? strlen(a->stop) : 0;
    rnnkit_status st = RNNKIT_OK;
    rnnkit_sampler_reset(s);
    if (a->prime)
        fputs(a->prime, stdout);
    for (size_t i = 0; !st && i < nprime; i++)
        st = rnnkit_sampler_feed(s, prime[i], err);
    o->len = 0;
    for (int64_t i = 0; !st && i < a->length; i++) {
        int32_t id = rnnkit_sampler_draw(s, &a->so, rng);
        size_t tl;
        const char *t = rnnkit_vocab_token(v, id, &tl);
        put_token(v, id, words, !a->prime && i == 0);
        if (tty)
            fflush(stdout);
        if (keep && words && o->len && (st = out_append(o, " ", 1, err)))
            break;
        if (keep && (st = out_append(o, t, tl, err)))
            break;
        if (a->stop && o->len >= sl && memcmp(o->buf + o->len - sl, a->stop, sl) == 0)
            break;
        st = rnnkit_sampler_feed(s, id, err);
    }
    return st;
}

static int cmd_sample(int argc, char **argv)
{
    sample_args a;
    int rc = parse_sample(&a, argc, argv);
    if (rc != CLI_GO)
        return rc;
    cli_blas_one_thread();
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (rnnkit_model_load(a.model, RNNKIT_TASK_GENERATE, &m, &err) || cli_keep_member(m, a.model, a.member, &err)) {
        rnnkit_model_free(m);
        return cli_fail(&err);
    }
    rnnkit_vocab *v = rnnkit_model_vocab(m);
    const int backward = rnnkit_model_get_config(m)->reverse;
    if (backward && (a.stop || a.copy_file)) {
        rnnkit_model_free(m);
        return cli_usage(sample_cmd.name, "%s: a backward model's sample ends with the prime; --stop and "
                                          "--check-copy read text forwards", a.model);
    }
    char *copy_text = NULL;
    int32_t *prime = NULL;
    size_t nprime = 0;
    rnnkit_status st = a.copy_file ? rnnkit_read_text_file(a.copy_file, &copy_text, NULL, &err) : RNNKIT_OK;
    if (!st && (st = rnnkit_prime_encode(v, a.prime, a.skip, &prime, &nprime, &err)))
        rnnkit_error_prefix(&err, "--prime");
    rnnkit_sampler *s = NULL;
    if (!st)
        st = rnnkit_sampler_new(m, &s, &err);
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, a.seed);
    out_text o = {0};
    for (int k = 0; !st && k < a.count; k++) {
        st = backward ? sample_backward(&a, s, v, prime, nprime, &rng, &err)
                      : sample_one(&a, s, v, prime, nprime, &rng, &o, &err);
        fputc('\n', stdout);
        if (k + 1 < a.count)
            fputc('\n', stdout);
        if (!st && copy_text && o.len) {
            size_t at, n = rnnkit_longest_copy(copy_text, o.buf, o.len, &at);
            fprintf(stderr, "rnnkit: longest verbatim run from %s: %zu bytes of %zu: \"%.*s\"\n", a.copy_file, n,
                    o.len, (int)(n > 200 ? 200 : n), o.buf + at);
        }
    }
    fflush(stdout);
    rc = st ? cli_fail(&err) : CLI_EXIT_OK;
    if (st == RNNKIT_ERR_ARG && !a.skip)
        fprintf(stderr, "rnnkit: --unknown skip drops the characters the model does not know\n");
    free(o.buf);
    free(copy_text);
    free(prime);
    rnnkit_sampler_free(s);
    rnnkit_model_free(m);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* eval */

static int cmd_eval(int argc, char **argv)
{
    const char *model = NULL;
    cli_output_opts o = {.threads = 1};
    cli_parser p;
    cli_value v;
    int id, member = 0;
    cli_parser_init(&p, &eval_cmd, argc, argv);
    while ((id = cli_next(&p, &v)) >= 0)
        if (!cli_output_flag(id, &v, &o) && id == CF_MODEL)
            model = v.s;
        else if (id == CF_MEMBER)
            member = (int)v.i;
    if (id == CLI_STOP)
        return p.rc;
    if (!model)
        return cli_usage(eval_cmd.name, "-m MODEL.db is required");
    if (p.operand != argc - 1)
        return cli_usage(eval_cmd.name, "give exactly one text FILE");
    cli_blas_one_thread();
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_model *m = NULL;
    if (rnnkit_model_load(model, RNNKIT_TASK_GENERATE, &m, &err) || cli_keep_member(m, model, member, &err)) {
        rnnkit_model_free(m);
        return cli_fail(&err);
    }
    int32_t *ids = NULL;
    size_t n = 0, unk = 0;
    double loss = 0;
    rnnkit_status st = rnnkit_text_encode_file(rnnkit_model_vocab(m), argv[p.operand], &ids, &n, &err);
    for (size_t i = 0; !st && i < n; i++)
        unk += ids[i] == RNNKIT_UNK_ID;
    if (!st)
        st = rnnkit_generator_evaluate(m, ids, n, &loss, &err);
    int rc = CLI_EXIT_OK;
    if (st)
        rc = cli_fail(&err);
    else if (rnnkit_vocab_config(rnnkit_model_vocab(m))->level == RNNKIT_LEVEL_WORD)
        printf("tokens\t%zu\nunknown\t%zu\nloss\t%.4f nats/token\nperplexity\t%.2f\n", n, unk, loss, exp(loss));
    else
        printf("characters\t%zu\nunknown\t%zu\nloss\t%.4f nats/char\nbpc\t%.4f\n", n, unk, loss, loss / LN2);
    free(ids);
    rnnkit_model_free(m);
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    static const cli_verb verbs[] = {
        {"train", cmd_generate_train, "learn a text character by character (grapheme clusters)"},
        {"sample", cmd_sample, "continue a text (--prime)"},
        {"eval", cmd_eval, "loss and bits per character of a text under a model"},
        {NULL, NULL, NULL}};
    return cli_dispatch("generate", verbs, argc, argv);
}
