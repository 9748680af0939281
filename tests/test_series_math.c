/*
 * tests/test_series_math.c: the forecaster's arithmetic on series
 * (rnnkit/series.h): differencing (lag 1, seasonal, both) and its two
 * inverses, the scalers and their inverses (constant columns included),
 * windows (indices and time-major contents), the chronological split, the
 * error measures against hand-computed values, and the naive baselines.
 * CSV reading is in tests/test_series.c.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rnnkit/series.h"

/* A reproducible pseudo-random double in [-scale, scale). */
static double rnd(uint64_t *s, double scale)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(*s >> 11) / 9007199254740992.0 * 2 - 1) * scale;
}

/* ------------------------------------------------------- differencing */

static void test_diff_values(void **state)
{
    (void)state;
    const double y[] = {1, 3, 6, 10, 15, 21, 28};
    double d[7];
    rnnkit_diff d1 = {.order = 1, .season = 0};
    assert_int_equal(rnnkit_diff_lost(&d1), 1);
    assert_int_equal(rnnkit_diff_apply(&d1, y, 7, 1, d, NULL), RNNKIT_OK);
    const double want1[] = {2, 3, 4, 5, 6, 7};
    assert_memory_equal(d, want1, sizeof want1);

    rnnkit_diff ds = {.order = 0, .season = 3};
    assert_int_equal(rnnkit_diff_apply(&ds, y, 7, 1, d, NULL), RNNKIT_OK);
    const double wants[] = {9, 12, 15, 18}; /* 10-1, 15-3, 21-6, 28-10 */
    assert_memory_equal(d, wants, sizeof wants);

    rnnkit_diff db = {.order = 1, .season = 3};
    assert_int_equal(rnnkit_diff_lost(&db), 4);
    assert_int_equal(rnnkit_diff_apply(&db, y, 7, 1, d, NULL), RNNKIT_OK);
    const double wantb[] = {3, 3, 3}; /* differences of {9, 12, 15, 18} */
    assert_memory_equal(d, wantb, sizeof wantb);

    /* order 1 with season 1 is the second difference */
    rnnkit_diff d11 = {.order = 1, .season = 1};
    assert_int_equal(rnnkit_diff_apply(&d11, y, 7, 1, d, NULL), RNNKIT_OK);
    const double want11[] = {1, 1, 1, 1, 1};
    assert_memory_equal(d, want11, sizeof want11);

    /* every column of a row-major matrix */
    const double x2[] = {1, 100, 2, 90, 4, 70};
    double d2[4];
    assert_int_equal(rnnkit_diff_apply(&d1, x2, 3, 2, d2, NULL), RNNKIT_OK);
    const double want2[] = {1, -10, 2, -20};
    assert_memory_equal(d2, want2, sizeof want2);

    rnnkit_error err;
    assert_int_equal(rnnkit_diff_apply(&db, y, 4, 1, d, &err), RNNKIT_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "4 rows"));
    rnnkit_diff bad = {.order = 2, .season = 0};
    assert_int_equal(rnnkit_diff_apply(&bad, y, 7, 1, d, &err), RNNKIT_ERR_ARG);
}

/* Both inverses give the series back: bit-exact on integers, within a few
 * ulps of the magnitudes on random doubles. */
static void test_diff_inverses(void **state)
{
    (void)state;
    enum { N = 200 };
    const rnnkit_diff ops[] = {{0, 0}, {1, 0}, {0, 12}, {1, 12}, {1, 1}};
    for (int pass = 0; pass < 2; pass++) {
        double y[N], d[N], back[N];
        uint64_t seed = 7;
        for (size_t i = 0; i < N; i++)
            y[i] = pass == 0 ? floor(rnd(&seed, 1e6)) : 100 * sin(0.3 * (double)i) + rnd(&seed, 5);
        for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
            const rnnkit_diff *op = &ops[k];
            size_t lost = rnnkit_diff_lost(op);
            assert_int_equal(rnnkit_diff_apply(op, y, N, 1, d, NULL), RNNKIT_OK);
            /* from the model's own values: start from the first `lost` rows */
            assert_int_equal(rnnkit_diff_invert_forecast(op, y, 1, lost, d, N - lost, back, NULL),
                             RNNKIT_OK);
            for (size_t i = 0; i < N - lost; i++) {
                double tol = pass == 0 ? 0 : 1e-9;
                if (fabs(back[i] - y[i + lost]) > tol)
                    fail_msg("pass %d op %zu row %zu: %.17g != %.17g", pass, k, i + lost,
                             back[i], y[i + lost]);
            }
            /* from the true history, one step ahead, over a late stretch */
            size_t t0 = N / 2;
            assert_int_equal(rnnkit_diff_invert_true(op, y, 1, t0, d + t0 - lost, N - t0, back,
                                                     NULL),
                             RNNKIT_OK);
            for (size_t i = 0; i < N - t0; i++) {
                double tol = pass == 0 ? 0 : 1e-9;
                if (fabs(back[i] - y[t0 + i]) > tol)
                    fail_msg("true pass %d op %zu row %zu", pass, k, t0 + i);
            }
        }
    }
}

/* Inverting predictions: one step ahead uses the true previous values;
 * past the end, each step builds on the forecast before it. */
static void test_diff_invert_predictions(void **state)
{
    (void)state;
    const double y[] = {10, 12, 15, 11, 13};
    rnnkit_diff d1 = {.order = 1, .season = 0};
    const double dhat[] = {1, 1, 1};
    double out[3];
    /* rows 2..4 one step ahead: y[t-1] + 1 */
    assert_int_equal(rnnkit_diff_invert_true(&d1, y, 1, 2, dhat, 3, out, NULL), RNNKIT_OK);
    assert_true(out[0] == 13 && out[1] == 16 && out[2] == 12);
    /* rows 5..7 past the end: 13 + 1, + 1, + 1 */
    assert_int_equal(rnnkit_diff_invert_forecast(&d1, y, 1, 5, dhat, 3, out, NULL), RNNKIT_OK);
    assert_true(out[0] == 14 && out[1] == 15 && out[2] == 16);
    /* seasonal lag 2, both: y'[t] = y[t]-y[t-1]-y[t-2]+y[t-3] */
    rnnkit_diff db = {.order = 1, .season = 2};
    const double z[] = {0, 0};
    assert_int_equal(rnnkit_diff_invert_forecast(&db, y, 1, 5, z, 2, out, NULL), RNNKIT_OK);
    /* row 5: y4 + y3 - y2 = 13 + 11 - 15 = 9; row 6: 9 + 13 - 11 = 11 */
    assert_true(out[0] == 9 && out[1] == 11);
    /* the true-history inverse reads a column of a row-major matrix */
    const double m[] = {10, 0, 12, 0, 15, 0};
    assert_int_equal(rnnkit_diff_invert_true(&d1, m, 2, 2, dhat, 1, out, NULL), RNNKIT_OK);
    assert_true(out[0] == 13);
    rnnkit_error err;
    assert_int_equal(rnnkit_diff_invert_true(&db, y, 1, 2, dhat, 1, out, &err), RNNKIT_ERR_ARG);
    assert_int_equal(rnnkit_diff_invert_forecast(&db, y, 1, 2, dhat, 1, out, &err),
                     RNNKIT_ERR_ARG);
}

/* ------------------------------------------------------------ scaling */

static void test_scaler(void **state)
{
    (void)state;
    /* two columns; rows 3.. lie outside the fitted range */
    const double x[] = {2, 10, 4, 10, 6, 10, 100, -5, -8, 10};
    rnnkit_scaler sc;
    assert_int_equal(rnnkit_scaler_fit(&sc, RNNKIT_SCALE_MINMAX, x, 3, 2, NULL), RNNKIT_OK);
    assert_int_equal(sc.ncols, 2);
    assert_true(sc.offset[0] == 2 && sc.scale[0] == 4); /* fitted on rows 0..2 only */
    assert_true(sc.offset[1] == 10 && sc.scale[1] == 1); /* constant: scale 1 */
    double z[10];
    assert_int_equal(rnnkit_scaler_apply(&sc, x, 5, 2, z, NULL), RNNKIT_OK);
    const double zw[] = {0, 0, 0.5, 0, 1, 0, 24.5, -15, -2.5, 0};
    assert_memory_equal(z, zw, sizeof zw);
    double back[5], col0[5];
    for (size_t i = 0; i < 5; i++)
        col0[i] = z[2 * i];
    assert_int_equal(rnnkit_scaler_invert(&sc, 0, col0, 5, back, NULL), RNNKIT_OK);
    for (size_t i = 0; i < 5; i++)
        assert_true(back[i] == x[2 * i]);

    assert_int_equal(rnnkit_scaler_fit(&sc, RNNKIT_SCALE_STANDARD, x, 3, 2, NULL), RNNKIT_OK);
    assert_true(sc.offset[0] == 4 && fabs(sc.scale[0] - sqrt(8.0 / 3)) < 1e-15);
    assert_true(sc.offset[1] == 10 && sc.scale[1] == 1);

    /* random data: the round trip is within a few ulps */
    enum { N = 500, F = 3 };
    double r[N * F], s[N * F], col[N], inv[N];
    uint64_t seed = 3;
    for (size_t i = 0; i < N * F; i++)
        r[i] = rnd(&seed, 1e4) + 5e4 * (double)(i % F);
    for (int kind = RNNKIT_SCALE_NONE; kind <= RNNKIT_SCALE_STANDARD; kind++) {
        assert_int_equal(rnnkit_scaler_fit(&sc, (rnnkit_scale_kind)kind, r, 300, F, NULL),
                         RNNKIT_OK);
        assert_int_equal(rnnkit_scaler_apply(&sc, r, N, F, s, NULL), RNNKIT_OK);
        if (kind == RNNKIT_SCALE_MINMAX)
            for (size_t i = 0; i < 300 * F; i++)
                assert_true(s[i] >= 0 && s[i] <= 1);
        for (size_t j = 0; j < F; j++) {
            for (size_t i = 0; i < N; i++)
                col[i] = s[i * F + j];
            assert_int_equal(rnnkit_scaler_invert(&sc, j, col, N, inv, NULL), RNNKIT_OK);
            for (size_t i = 0; i < N; i++)
                assert_true(fabs(inv[i] - r[i * F + j]) <= 4e-16 * 2e5);
        }
    }
    rnnkit_error err;
    assert_int_equal(rnnkit_scaler_apply(&sc, r, N, 2, s, &err), RNNKIT_ERR_ARG);
    assert_int_equal(rnnkit_scaler_invert(&sc, 3, col, 1, inv, &err), RNNKIT_ERR_ARG);
    assert_int_equal(rnnkit_scaler_fit(&sc, RNNKIT_SCALE_MINMAX, r, 0, F, &err), RNNKIT_ERR_ARG);
    assert_int_equal(rnnkit_scaler_fit(&sc, RNNKIT_SCALE_MINMAX, r, 1, 65, &err),
                     RNNKIT_ERR_ARG);
    assert_int_equal(rnnkit_scale_kind_from_name("standard"), RNNKIT_SCALE_STANDARD);
    assert_int_equal(rnnkit_scale_kind_from_name("robust"), -1);
}

/* A constant series scales to 0 and comes back exactly. */
static void test_constant_series(void **state)
{
    (void)state;
    const double c[] = {7.25, 7.25, 7.25, 7.25};
    double z[4], back[4];
    for (int kind = RNNKIT_SCALE_MINMAX; kind <= RNNKIT_SCALE_STANDARD; kind++) {
        rnnkit_scaler sc;
        assert_int_equal(rnnkit_scaler_fit(&sc, (rnnkit_scale_kind)kind, c, 4, 1, NULL),
                         RNNKIT_OK);
        assert_true(sc.scale[0] == 1 && sc.offset[0] == 7.25);
        assert_int_equal(rnnkit_scaler_apply(&sc, c, 4, 1, z, NULL), RNNKIT_OK);
        for (size_t i = 0; i < 4; i++)
            assert_true(z[i] == 0);
        assert_int_equal(rnnkit_scaler_invert(&sc, 0, z, 4, back, NULL), RNNKIT_OK);
        assert_memory_equal(back, c, sizeof c);
    }
    double sc0;
    assert_int_equal(rnnkit_mase_scale(c, 1, 4, 1, &sc0, NULL), RNNKIT_OK);
    assert_true(sc0 == 0);
    rnnkit_forecast_errors e;
    assert_int_equal(rnnkit_forecast_errors_compute(c, c, 4, sc0, &e, NULL), RNNKIT_OK);
    assert_true(e.rmse == 0 && e.mae == 0 && e.smape == 0 && isnan(e.mase));
}

/* ------------------------------------------------------------ windows */

static void test_windows(void **state)
{
    (void)state;
    /* 8 rows, 2 columns: x[i][0] = i, x[i][1] = 10 i */
    double x[16];
    for (size_t i = 0; i < 8; i++)
        x[2 * i] = (double)i, x[2 * i + 1] = 10.0 * (double)i;
    const size_t starts[] = {3, 0, 2};
    float xb[3 * 3 * 2], yb[3 * 2];
    assert_int_equal(rnnkit_series_windows(x, 8, 2, 3, 2, starts, 3, xb, yb, NULL), RNNKIT_OK);
    for (size_t t = 0; t < 3; t++)
        for (size_t b = 0; b < 3; b++) {
            assert_true(xb[(t * 3 + b) * 2] == (float)(starts[b] + t));
            assert_true(xb[(t * 3 + b) * 2 + 1] == (float)(10 * (starts[b] + t)));
        }
    for (size_t b = 0; b < 3; b++)
        for (size_t h = 0; h < 2; h++)
            assert_true(yb[b * 2 + h] == (float)(starts[b] + 3 + h));
    /* the last window: start 3 (targets rows 6, 7); start 4 does not fit */
    rnnkit_error err;
    const size_t last[] = {3}, over[] = {4};
    assert_int_equal(rnnkit_series_windows(x, 8, 2, 3, 2, last, 1, xb, yb, NULL), RNNKIT_OK);
    assert_int_equal(rnnkit_series_windows(x, 8, 2, 3, 2, over, 1, xb, yb, &err),
                     RNNKIT_ERR_ARG);
    assert_non_null(strstr(err.msg, "starts at row 4"));
    /* inputs only (forecasting past the end): start 5 reads rows 5..7 */
    const size_t tail[] = {5};
    assert_int_equal(rnnkit_series_windows(x, 8, 2, 3, 2, tail, 1, xb, NULL, NULL), RNNKIT_OK);
    assert_true(xb[4] == 7 && xb[5] == 70);
    assert_int_equal(rnnkit_series_windows(x, 8, 2, 0, 2, tail, 1, xb, NULL, &err),
                     RNNKIT_ERR_ARG);
}

/* -------------------------------------------------------------- split */

static void test_split(void **state)
{
    (void)state;
    rnnkit_split s;
    rnnkit_split_options o = rnnkit_split_options_default();
    assert_true(o.test_frac == 0.33 && o.lookback == 12 && o.horizon == 1);
    /* airline: 144 rows, the last 48 are the test rows (the Keras split) */
    o.valid_frac = 0;
    assert_int_equal(rnnkit_series_split(144, &o, "air.csv", &s, NULL), RNNKIT_OK);
    assert_int_equal(s.test_first_row, 96);
    assert_int_equal(s.test_begin, 84);
    assert_int_equal(s.test_end, 132);  /* 48 windows, one per test row */
    assert_int_equal(s.train_begin, 0);
    assert_int_equal(s.train_end, 84);
    assert_int_equal(s.valid_begin, s.valid_end);
    assert_int_equal(s.fit_rows, 96);
    /* a validation part: 84 target rows before the test, the last 9 */
    o.valid_frac = 0.1;
    assert_int_equal(rnnkit_series_split(144, &o, "air.csv", &s, NULL), RNNKIT_OK);
    assert_int_equal(s.valid_first_row, 87);
    assert_int_equal(s.train_end, 75);
    assert_int_equal(s.valid_begin, 75);
    assert_int_equal(s.valid_end, 84);
    assert_int_equal(s.test_begin, 84);
    assert_int_equal(s.fit_rows, 87);
    /* differencing drops a row: same test points, indices shift by one */
    o.lost = 1;
    assert_int_equal(rnnkit_series_split(144, &o, "air.csv", &s, NULL), RNNKIT_OK);
    assert_int_equal(s.test_first_row, 96);
    assert_int_equal(s.test_begin, 83);
    assert_int_equal(s.test_end, 131);
    assert_int_equal(s.fit_rows, 86);
    /* horizon 3: no window's targets cross into the next part */
    o.lost = 0;
    o.horizon = 3;
    assert_int_equal(rnnkit_series_split(144, &o, "air.csv", &s, NULL), RNNKIT_OK);
    assert_true(s.train_end - 1 + 12 + 3 - 1 < s.valid_first_row);
    assert_true(s.valid_end - 1 + 12 + 3 - 1 < s.test_first_row);
    assert_int_equal(s.test_begin + 12, s.test_first_row);
    assert_int_equal(s.test_end, 144 - 12 - 3 + 1);

    rnnkit_error err;
    o = rnnkit_split_options_default();
    o.valid_frac = 0;
    assert_int_equal(rnnkit_series_split(12, &o, "airline.csv", &s, &err), RNNKIT_ERR_EMPTY);
    assert_string_equal(err.msg, "airline.csv: 12 rows; lookback 12 + horizon 1 and a test part "
                                 "need at least 20");
    assert_int_equal(rnnkit_series_split(20, &o, "airline.csv", &s, NULL), RNNKIT_OK);
    o.valid_frac = 0.1;
    assert_int_equal(rnnkit_series_split(20, &o, "airline.csv", &s, &err), RNNKIT_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "a validation and a test part need at least 21"));
    assert_int_equal(rnnkit_series_split(21, &o, "airline.csv", &s, NULL), RNNKIT_OK);
    o.test_frac = 1;
    assert_int_equal(rnnkit_series_split(200, &o, NULL, &s, &err), RNNKIT_ERR_ARG);
}

/* ------------------------------------------------- errors, baselines */

static void test_errors(void **state)
{
    (void)state;
    const double y[] = {1, 2, 3, 4}, f[] = {1, 3, 2, 4};
    const double train[] = {1, 2, 4, 7};
    double scale;
    assert_int_equal(rnnkit_mase_scale(train, 1, 4, 1, &scale, NULL), RNNKIT_OK);
    assert_true(scale == 2); /* mean of 1, 2, 3 */
    rnnkit_forecast_errors e;
    assert_int_equal(rnnkit_forecast_errors_compute(y, f, 4, scale, &e, NULL), RNNKIT_OK);
    assert_int_equal(e.n, 4);
    assert_true(fabs(e.rmse - sqrt(0.5)) < 1e-15);
    assert_true(e.mae == 0.5);
    assert_true(fabs(e.smape - 20) < 1e-12); /* (0 + 40 + 40 + 0) / 4 */
    assert_true(e.mase == 0.25);
    /* 0/0 counts 0; a sign change is 200 % */
    const double y2[] = {0, 1, -2}, f2[] = {0, -1, -2};
    assert_int_equal(rnnkit_forecast_errors_compute(y2, f2, 3, 1, &e, NULL), RNNKIT_OK);
    assert_true(fabs(e.smape - 200.0 / 3) < 1e-12);
    assert_true(fabs(e.rmse - sqrt(4.0 / 3)) < 1e-15);
    /* seasonal scale */
    const double seas[] = {1, 5, 2, 6, 4, 9};
    assert_int_equal(rnnkit_mase_scale(seas, 1, 6, 2, &scale, NULL), RNNKIT_OK);
    assert_true(scale == 1.75); /* (|2-1| + |6-5| + |4-2| + |9-6|) / 4 */
    rnnkit_error err;
    const double bad[] = {1, NAN};
    assert_int_equal(rnnkit_forecast_errors_compute(y, bad, 2, 1, &e, &err), RNNKIT_ERR_NUMERIC);
    assert_string_equal(err.msg, "prediction 1 is not finite");
    assert_int_equal(rnnkit_mase_scale(seas, 1, 2, 2, &scale, &err), RNNKIT_ERR_ARG);
}

static void test_baselines(void **state)
{
    (void)state;
    /* two columns: the target is column 0 (stride 2) */
    const double x[] = {1, 0, 2, 0, 3, 0, 10, 0, 20, 0, 30, 0, 100, 0};
    const size_t targets[] = {3, 5, 6};
    double out[6];
    assert_int_equal(rnnkit_baseline_forecast(x, 2, 7, 1, targets, 3, out, NULL), RNNKIT_OK);
    assert_true(out[0] == 3 && out[1] == 20 && out[2] == 30);
    assert_int_equal(rnnkit_baseline_forecast(x, 2, 7, 3, targets, 3, out, NULL), RNNKIT_OK);
    assert_true(out[0] == 1 && out[1] == 3 && out[2] == 10);
    rnnkit_error err;
    const size_t early[] = {2};
    assert_int_equal(rnnkit_baseline_forecast(x, 2, 7, 3, early, 1, out, &err), RNNKIT_ERR_ARG);
    /* multi-step from origin 4 (rows 0..3 known) */
    assert_int_equal(rnnkit_baseline_forecast_from(x, 2, 7, 1, 4, 3, out, NULL), RNNKIT_OK);
    assert_true(out[0] == 10 && out[1] == 10 && out[2] == 10);
    assert_int_equal(rnnkit_baseline_forecast_from(x, 2, 7, 3, 4, 6, out, NULL), RNNKIT_OK);
    const double want[] = {2, 3, 10, 2, 3, 10};
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(rnnkit_baseline_forecast_from(x, 2, 7, 3, 2, 1, out, &err),
                     RNNKIT_ERR_ARG);

    /* the persistence RMSE of a straight line is its slope */
    double line[50], truth[25], pred[25];
    size_t tg[25];
    for (size_t i = 0; i < 50; i++)
        line[i] = 3.0 * (double)i;
    for (size_t k = 0; k < 25; k++)
        tg[k] = 25 + k, truth[k] = line[25 + k];
    assert_int_equal(rnnkit_baseline_forecast(line, 1, 50, 1, tg, 25, pred, NULL), RNNKIT_OK);
    rnnkit_forecast_errors e;
    assert_int_equal(rnnkit_forecast_errors_compute(truth, pred, 25, 3, &e, NULL), RNNKIT_OK);
    assert_true(e.rmse == 3 && e.mae == 3 && e.mase == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_values),
        cmocka_unit_test(test_diff_inverses),
        cmocka_unit_test(test_diff_invert_predictions),
        cmocka_unit_test(test_scaler),
        cmocka_unit_test(test_constant_series),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_baselines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
