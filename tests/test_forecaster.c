/*
 * tests/test_forecaster.c: a forecaster's storage. The series is a noisy
 * sine (and a second, feature column) the test writes itself.
 *
 *   - a trained forecaster saved and loaded gives back its configuration,
 *     every spec field (the scaler's doubles bit for bit, awkward doubles
 *     included) and its weights bit for bit, and the same one-step fit;
 *   - loading it where a classifier is expected (and a classifier where a
 *     forecaster is) says what the file is and which command to use;
 *   - a file tampered with (a spec value out of bounds, arrays of the wrong
 *     length, a key of another task, a vocabulary table) is refused naming
 *     the key or table;
 *   - a run with a checkpoint, stopped mid-epoch and resumed from the file,
 *     ends bit-identical to the run never stopped;
 *   - safetensors: export -> import -> export is byte-identical, the import
 *     has the same spec and weights, and the metadata says "forecast".
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rnnkit/model.h"
#include "rnnkit/series.h"
#include "rnnkit/vocab.h"
#include "support.h"

#define TWO_PI 6.28318530717958647692

static int setup(void **state)
{
    (void)state;
    return support_tmpdir_open("/tmp/rnnkit-test-fc-XXXXXX");
}

/* A noisy sine of period 12 (the target) and a slow feature, n rows. */
static rnnkit_series *noisy_sine(size_t n, size_t ncols)
{
    double *v = malloc(n * ncols * sizeof *v);
    assert_non_null(v);
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (size_t t = 0; t < n; t++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const double noise = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 0.2;
        v[t * ncols] = 10.0 + 3.0 * sin(TWO_PI * (double)t / 12.0) + 0.02 * (double)t + noise;
        if (ncols > 1)
            v[t * ncols + 1] = cos(TWO_PI * (double)t / 12.0);
    }
    static const char *const names[] = {"passengers", "season \"cos\""};
    rnnkit_series *out = NULL;
    assert_int_equal(rnnkit_series_from_values(v, n, ncols, names, NULL, &out, NULL), RNNKIT_OK);
    free(v);
    return out;
}

static rnnkit_model *make_forecaster(int inputs, rnnkit_cell cell, int horizon)
{
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_FORECAST);
    c.cell = cell;
    c.inputs = inputs;
    c.hidden = 6;
    c.lookback = 6;
    c.horizon = horizon;
    c.dropout = 0.1f;
    rnnkit_model *m = support_model(&c, NULL, NULL, 0, 7);
    rnnkit_forecast_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.diff.order = 1;
    sp.season = 12;
    sp.scaler.kind = RNNKIT_SCALE_STANDARD;
    snprintf(sp.columns[0], sizeof sp.columns[0], "passengers");
    if (inputs > 1)
        snprintf(sp.columns[1], sizeof sp.columns[1], "season \"cos\"");
    snprintf(sp.date, sizeof sp.date, "month");
    assert_int_equal(rnnkit_model_set_forecast_spec(m, &sp, NULL), RNNKIT_OK);
    return m;
}

static void small_options(rnnkit_forecaster_options *o, int epochs)
{
    rnnkit_forecaster_options_default(o);
    o->epochs = epochs;
    o->train.batch = 8;
    o->test_frac = 0.25;
    o->valid_frac = 0.15;
}

static void train(rnnkit_model *m, const rnnkit_series *s, const rnnkit_forecaster_options *o)
{
    rnnkit_error err;
    if (rnnkit_forecaster_train(m, s, o, NULL, NULL, &err))
        fail_msg("%s", err.msg);
}

static void assert_same_spec(const rnnkit_forecast_spec *a, const rnnkit_forecast_spec *b, int inputs)
{
    assert_int_equal(a->diff.order, b->diff.order);
    assert_int_equal(a->diff.season, b->diff.season);
    assert_int_equal(a->season, b->season);
    assert_int_equal(a->scaler.kind, b->scaler.kind);
    assert_int_equal(a->scaler.ncols, b->scaler.ncols);
    assert_memory_equal(a->scaler.offset, b->scaler.offset, a->scaler.ncols * sizeof(double));
    assert_memory_equal(a->scaler.scale, b->scaler.scale, a->scaler.ncols * sizeof(double));
    for (int j = 0; j < inputs; j++)
        assert_string_equal(a->columns[j], b->columns[j]);
    assert_string_equal(a->date, b->date);
    assert_memory_equal(&a->test_frac, &b->test_frac, sizeof(double));
    assert_memory_equal(&a->valid_frac, &b->valid_frac, sizeof(double));
}

static void assert_same_model(rnnkit_model *a, rnnkit_model *b)
{
    const rnnkit_model_config *ca = rnnkit_model_get_config(a), *cb = rnnkit_model_get_config(b);
    assert_int_equal(cb->task, RNNKIT_TASK_FORECAST);
    assert_int_equal(ca->cell, cb->cell);
    assert_int_equal(ca->hidden, cb->hidden);
    assert_int_equal(ca->layers, cb->layers);
    assert_int_equal(ca->inputs, cb->inputs);
    assert_int_equal(ca->lookback, cb->lookback);
    assert_int_equal(ca->horizon, cb->horizon);
    assert_memory_equal(&ca->dropout, &cb->dropout, sizeof(float));
    assert_null(rnnkit_model_vocab(b));
    assert_int_equal(rnnkit_model_num_params(a), rnnkit_model_num_params(b));
    assert_memory_equal(rnnkit_model_weights(a), rnnkit_model_weights(b), rnnkit_model_num_params(a) * sizeof(float));
    assert_same_spec(rnnkit_model_forecast_spec(a), rnnkit_model_forecast_spec(b), ca->inputs);
}

static void test_save_load_round_trip(void **state)
{
    (void)state;
    rnnkit_series *s = noisy_sine(120, 2);
    rnnkit_model *m = make_forecaster(2, RNNKIT_CELL_GRU, 2);
    rnnkit_forecaster_options o;
    small_options(&o, 3);
    train(m, s, &o);
    rnnkit_error err;
    if (rnnkit_model_save(m, support_tmp("f.db"), &err))
        fail_msg("%s", err.msg);
    rnnkit_model *l = NULL;
    if (rnnkit_model_load(support_tmp("f.db"), RNNKIT_TASK_FORECAST, &l, &err))
        fail_msg("%s", err.msg);
    assert_same_model(m, l);
    assert_int_equal(rnnkit_model_forecast_spec(l)->scaler.ncols, 2);
    /* the same forecasts, bit for bit */
    const size_t n = rnnkit_series_length(s);
    double *p1 = malloc(n * sizeof *p1), *p2 = malloc(n * sizeof *p2);
    assert_int_equal(rnnkit_forecaster_fit(m, s, p1, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_forecaster_fit(l, s, p2, NULL), RNNKIT_OK);
    assert_memory_equal(p1, p2, n * sizeof *p1);
    free(p1);
    free(p2);
    rnnkit_model_free(l);

    /* awkward doubles come back bit for bit */
    rnnkit_forecast_spec sp = *rnnkit_model_forecast_spec(m);
    const double odd[2][2] = {{0.1, -0.0}, {DBL_TRUE_MIN, DBL_MAX}};
    sp.scaler.offset[0] = odd[0][0];
    sp.scaler.offset[1] = odd[0][1];
    sp.scaler.scale[0] = odd[1][0];
    sp.scaler.scale[1] = odd[1][1];
    sp.test_frac = 1.0 / 3.0;
    sp.valid_frac = nextafter(0.1, 1.0);
    sp.diff.season = 12;
    snprintf(sp.date, sizeof sp.date, "Datum \xc3\xa4 \\ \"q\"");
    assert_int_equal(rnnkit_model_set_forecast_spec(m, &sp, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_save(m, support_tmp("odd.db"), NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_load(support_tmp("odd.db"), -1, &l, NULL), RNNKIT_OK);
    assert_same_model(m, l);
    assert_true(signbit(rnnkit_model_forecast_spec(l)->scaler.offset[1]));
    rnnkit_model_free(l);

    /* an untrained forecaster (unfitted scaler, unnamed columns) too */
    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_FORECAST);
    rnnkit_model *u = NULL;
    assert_int_equal(rnnkit_model_create(&c, NULL, NULL, 0, 3, &u, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_save(u, support_tmp("u.db"), NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_load(support_tmp("u.db"), RNNKIT_TASK_FORECAST, &l, NULL), RNNKIT_OK);
    assert_same_model(u, l);
    assert_int_equal(rnnkit_model_forecast_spec(l)->scaler.ncols, 0);
    rnnkit_model_free(l);
    rnnkit_model_free(u);
    rnnkit_model_free(m);
    rnnkit_series_free(s);
}

static void expect_load_error(const char *path, int task, rnnkit_status want, const char *needle)
{
    rnnkit_model *l = NULL;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    rnnkit_status st = rnnkit_model_load(path, task, &l, &err);
    if (st != want || !strstr(err.msg, needle))
        fail_msg("%s: status %d '%s', want %d and '%s'", path, (int)st, err.msg, (int)want, needle);
    assert_null(l);
}

/* Lazy embedding updates need an embedding: a forecaster refuses them. */
static void test_lazy_embedding_refused(void **state)
{
    (void)state;
    rnnkit_series *s = noisy_sine(60, 1);
    rnnkit_model *m = make_forecaster(1, RNNKIT_CELL_LSTM, 1);
    rnnkit_forecaster_options o;
    small_options(&o, 1);
    o.train.lazy_embedding = 1;
    rnnkit_error err;
    assert_int_equal(rnnkit_forecaster_train(m, s, &o, NULL, NULL, &err), RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "embedding"));
    rnnkit_model_free(m);
    rnnkit_series_free(s);
}

static void test_wrong_task(void **state)
{
    (void)state;
    rnnkit_model *m = make_forecaster(1, RNNKIT_CELL_LSTM, 1);
    assert_int_equal(rnnkit_model_save(m, support_tmp("w.db"), NULL), RNNKIT_OK);
    expect_load_error(support_tmp("w.db"), RNNKIT_TASK_CLASSIFY, RNNKIT_ERR_FORMAT,
                      "is a forecaster model; use `rnnkit forecast`");
    expect_load_error(support_tmp("w.db"), RNNKIT_TASK_GENERATE, RNNKIT_ERR_FORMAT, "is a forecaster model");
    rnnkit_model_free(m);

    rnnkit_model_config c;
    rnnkit_model_config_default(&c, RNNKIT_TASK_CLASSIFY);
    c.embed = c.hidden = 4;
    const char *labels[] = {"neg", "pos"};
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "good bad film", "test");
    assert_int_equal(rnnkit_model_create(&c, v, labels, 2, 1, &m, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_save(m, support_tmp("c.db"), NULL), RNNKIT_OK);
    expect_load_error(support_tmp("c.db"), RNNKIT_TASK_FORECAST, RNNKIT_ERR_FORMAT,
                      "is a classifier model; use `rnnkit classify`");
    rnnkit_model_free(m);
}

static void test_tampered(void **state)
{
    (void)state;
    rnnkit_series *s = noisy_sine(80, 2);
    rnnkit_model *m = make_forecaster(2, RNNKIT_CELL_RNN, 1);
    rnnkit_forecaster_options o;
    small_options(&o, 1);
    train(m, s, &o);
    assert_int_equal(rnnkit_model_save(m, support_tmp("t.db"), NULL), RNNKIT_OK);
    static const struct {
        const char *sql, *needle;
    } cases[] = {
        {"UPDATE model_meta SET value='0' WHERE key='season'", "'season' = '0' is invalid"},
        {"UPDATE model_meta SET value='2' WHERE key='diff_order'", "'diff_order' = '2'"},
        {"UPDATE model_meta SET value='100001' WHERE key='lookback'", "'lookback' = '100001'"},
        {"UPDATE model_meta SET value='[1,0]' WHERE key='scale_scale'", "'scale_scale' = '[1,0]'"},
        {"UPDATE model_meta SET value='[1,nan]' WHERE key='scale_offset'", "'scale_offset'"},
        {"UPDATE model_meta SET value='[1]' WHERE key='scale_offset'", "'scale_offset' holds 1 numbers"},
        {"UPDATE model_meta SET value='[\"a\"]' WHERE key='columns'", "'columns' names 1 columns"},
        {"UPDATE model_meta SET value='[\"a\",7]' WHERE key='columns'", "'columns'"},
        {"UPDATE model_meta SET value='1' WHERE key='test_frac'", "'test_frac' = '1'"},
        {"UPDATE model_meta SET value='sometimes' WHERE key='scale'", "'scale' = 'sometimes'"},
        {"DELETE FROM model_meta WHERE key='horizon'", "lacks 'horizon'"},
        {"INSERT INTO model_meta VALUES('embed', '8')", "'embed' is not a key of a forecaster"},
        {"INSERT INTO model_meta VALUES('vocab_size', '8')", "'vocab_size' is not a key of a forecaster"},
        {"CREATE TABLE tokens(id INTEGER)", "holds table 'tokens'"},
        {"INSERT INTO labels VALUES(0, 'x')", "has no labels"},
        {"UPDATE model_meta SET value='3' WHERE key='inputs'", "'scale_offset' holds 2 numbers"},
        {"UPDATE model_meta SET value='2' WHERE key='horizon'", "tensor 'fc.weight' has shape 1x6"},
    };
    char name[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(name, sizeof name, "t%zu.db", i);
        support_copy_file(support_tmp("t.db"), support_tmp(name));
        support_exec_sql(support_tmp(name), cases[i].sql);
        expect_load_error(support_tmp(name), -1, cases[i].needle[0] == 't' ? RNNKIT_ERR_SHAPE : RNNKIT_ERR_CORRUPT,
                          cases[i].needle);
    }
    rnnkit_model_free(m);
    rnnkit_series_free(s);
}

/* Stops a run at step `at`. */
static int stop_at(void *ctx, const rnnkit_progress *p)
{
    return p->step == *(const int64_t *)ctx;
}

static void test_checkpoint_resume(void **state)
{
    (void)state;
    rnnkit_series *s = noisy_sine(150, 1);
    rnnkit_forecaster_options o;
    small_options(&o, 4);
    rnnkit_error err;

    /* the run never stopped */
    rnnkit_model *a = make_forecaster(1, RNNKIT_CELL_LSTM, 3);
    o.train.checkpoint_path = support_tmp("a.db");
    train(a, s, &o);

    /* the same run stopped mid-epoch (step 7 of 11 per epoch... whatever the
     * epoch's length: not a multiple of it), then resumed from its file */
    rnnkit_model *b = make_forecaster(1, RNNKIT_CELL_LSTM, 3);
    int64_t at = 7;
    o.train.checkpoint_path = support_tmp("b.db");
    o.train.progress = stop_at;
    o.train.progress_ctx = &at;
    assert_int_equal(rnnkit_forecaster_train(b, s, &o, NULL, NULL, &err), RNNKIT_ERR_INTERRUPTED);
    rnnkit_model_free(b);
    rnnkit_checkpoint_info info;
    if (rnnkit_checkpoint_info_read(support_tmp("b.db"), &info, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(info.task, RNNKIT_TASK_FORECAST);
    assert_int_equal(info.step, 7);
    assert_int_equal(info.finished, 0);
    assert_int_equal(info.batch, 8);

    if (rnnkit_model_load(support_tmp("b.db"), RNNKIT_TASK_FORECAST, &b, &err))
        fail_msg("%s", err.msg);
    o.train.progress = NULL;
    o.train.resume = 1;
    train(b, s, &o);
    assert_same_model(a, b);
    rnnkit_model_free(b);

    /* and the files agree */
    rnnkit_model *fa = NULL, *fb = NULL;
    assert_int_equal(rnnkit_model_load(support_tmp("a.db"), RNNKIT_TASK_FORECAST, &fa, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_model_load(support_tmp("b.db"), RNNKIT_TASK_FORECAST, &fb, NULL), RNNKIT_OK);
    assert_same_model(fa, fb);
    assert_same_model(a, fa);
    assert_int_equal(rnnkit_checkpoint_info_read(support_tmp("b.db"), &info, NULL), RNNKIT_OK);
    assert_int_equal(info.finished, 1);
    rnnkit_model_free(fa);
    rnnkit_model_free(fb);
    rnnkit_model_free(a);
    rnnkit_series_free(s);
}

static void test_safetensors_round_trip(void **state)
{
    (void)state;
    rnnkit_series *s = noisy_sine(100, 2);
    rnnkit_model *m = make_forecaster(2, RNNKIT_CELL_LSTM, 2);
    rnnkit_forecaster_options o;
    small_options(&o, 2);
    train(m, s, &o);
    rnnkit_error err;
    if (rnnkit_model_export_safetensors(m, support_tmp("f.safetensors"), &err))
        fail_msg("%s", err.msg);

    char **keys = NULL, **vals = NULL;
    int n = 0;
    assert_int_equal(rnnkit_safetensors_metadata(support_tmp("f.safetensors"), &keys, &vals, &n, NULL), RNNKIT_OK);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(keys[i], "task"))
            assert_string_equal(vals[i], "forecast"), seen++;
        if (!strcmp(keys[i], "columns"))
            assert_string_equal(vals[i], "[\"passengers\",\"season \\\"cos\\\"\"]"), seen++;
        if (!strcmp(keys[i], "lookback"))
            assert_string_equal(vals[i], "6"), seen++;
        assert_true(strcmp(keys[i], "labels") && strcmp(keys[i], "vocab_size") && strcmp(keys[i], "embed"));
    }
    assert_int_equal(seen, 3);
    rnnkit_safetensors_metadata_free(keys, vals, n);

    rnnkit_model *l = NULL;
    if (rnnkit_model_import_safetensors_file(support_tmp("f.safetensors"), NULL, NULL, &l, &err))
        fail_msg("%s", err.msg);
    assert_same_model(m, l);
    assert_int_equal(rnnkit_model_export_safetensors(l, support_tmp("g.safetensors"), NULL), RNNKIT_OK);
    size_t na, nb;
    unsigned char *fa = support_read_file(support_tmp("f.safetensors"), &na);
    unsigned char *fb = support_read_file(support_tmp("g.safetensors"), &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(fa, fb, na);
    free(fa);
    free(fb);
    /* and through a model file */
    assert_int_equal(rnnkit_model_save(l, support_tmp("i.db"), NULL), RNNKIT_OK);
    rnnkit_model_free(l);
    assert_int_equal(rnnkit_model_load(support_tmp("i.db"), RNNKIT_TASK_FORECAST, &l, NULL), RNNKIT_OK);
    assert_same_model(m, l);
    rnnkit_model_free(l);

    /* a forecaster takes no vocabulary; a classifier needs one */
    rnnkit_error_clear(&err);
    rnnkit_vocab *v = support_vocab(RNNKIT_LEVEL_WORD, "a b", "test");
    assert_int_equal(rnnkit_model_import_safetensors_file(support_tmp("f.safetensors"), v, NULL, &l, &err),
                     RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "takes no vocabulary"));
    rnnkit_import_options io = {"task=classify", NULL, 0};
    assert_int_equal(rnnkit_model_import_safetensors_file(support_tmp("f.safetensors"), NULL, &io, &l, &err),
                     RNNKIT_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "is not a key of a classifier"));
    /* spec keys are not --config keys */
    io.config = "season=4";
    assert_int_equal(rnnkit_model_import_safetensors_file(support_tmp("f.safetensors"), NULL, &io, &l, &err),
                     RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "season: part of a forecaster's spec"));
    rnnkit_model_free(m);
    rnnkit_series_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_wrong_task),
        cmocka_unit_test(test_lazy_embedding_refused),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_safetensors_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
