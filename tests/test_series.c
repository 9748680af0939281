/*
 * tests/test_series.c: reading time series from CSV (rnnkit/series.h):
 * quotes, CRLF, BOM, no final newline, blank lines, every date spelling of
 * the shared series, column choice by name and position, the date column,
 * missing cells with and without a fill policy, and every error message
 * (file, line, column, row). The transforms, windows, split and metrics are
 * in tests/test_series_math.c.
 *
 * Fixtures are written into a fresh temporary folder that the group
 * teardown removes; nothing is read from outside it.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rnnkit/series.h"
#include "series/series_internal.h"
#include "support.h"

/* ------------------------------------------------------------- helpers */

/* Writes n bytes to support_tmpdir()/name; the path goes to path[0..256). */
static void write_tmp(const char *name, const void *data, size_t n, char *path)
{
    int w = snprintf(path, 256, "%s/%.40s", support_tmpdir(), name);
    assert_true(w > 0 && w < 256);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Reads the NUL-terminated content `csv` written as `name`. */
static rnnkit_status read_str(const char *name, const char *csv, const rnnkit_csv_options *o,
                              rnnkit_series **s, rnnkit_error *err)
{
    char path[256];
    write_tmp(name, csv, strlen(csv), path);
    return rnnkit_series_read_csv(path, o, s, err);
}

/* Asserts that reading fails with status st and a message holding every
 * one of the NULL-terminated substrings. */
static void expect_error(const char *name, const char *csv, const rnnkit_csv_options *o,
                         rnnkit_status st, ...)
{
    rnnkit_series *s = (rnnkit_series *)1;
    rnnkit_error err;
    rnnkit_status got = read_str(name, csv, o, &s, &err);
    if (got != st)
        fail_msg("%s: status %d (want %d): %s", name, (int)got, (int)st, err.msg);
    assert_null(s);
    va_list ap;
    va_start(ap, st);
    const char *want;
    while ((want = va_arg(ap, const char *)) != NULL)
        if (!strstr(err.msg, want))
            fail_msg("%s: message \"%s\" lacks \"%s\"", name, err.msg, want);
    va_end(ap);
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    char pattern[200];
    snprintf(pattern, sizeof pattern, "%s/rnnkit_series_XXXXXX", base && *base ? base : "/tmp");
    return support_tmpdir_open(pattern);
}

/* ------------------------------------------------------------ reading */

/* The airline file's own shape: quoted header and dates, CRLF, no final
 * newline. */
static void test_quoted_crlf_no_final_newline(void **state)
{
    (void)state;
    rnnkit_series *s;
    rnnkit_error err;
    assert_int_equal(read_str("air.csv", "\"Month\",\"Passengers\"\r\n\"1949-01\",112\r\n"
                                         "\"1949-02\",118\r\n\"1949-03\",\"132\"",
                              NULL, &s, &err),
                     RNNKIT_OK);
    assert_int_equal(rnnkit_series_length(s), 3);
    assert_int_equal(rnnkit_series_num_columns(s), 1);
    assert_string_equal(rnnkit_series_column_name(s, 0), "Passengers");
    assert_null(rnnkit_series_column_name(s, 1));
    assert_string_equal(rnnkit_series_date_column(s), "Month");
    const double *v = rnnkit_series_values(s);
    assert_true(v[0] == 112 && v[1] == 118 && v[2] == 132);
    assert_string_equal(rnnkit_series_label(s, 0), "1949-01");
    assert_string_equal(rnnkit_series_label(s, 2), "1949-03");
    assert_null(rnnkit_series_label(s, 3));
    assert_int_equal(rnnkit_series_filled(s), 0);
    assert_non_null(strstr(rnnkit_series_source(s), "air.csv"));
    rnnkit_series_free(s);
}

/* A BOM, LF, blank lines inside and at the end, spaces around numbers. */
static void test_bom_blank_lines(void **state)
{
    (void)state;
    rnnkit_series *s;
    rnnkit_error err;
    assert_int_equal(read_str("bom.csv", "\xEF\xBB\xBF" "Date,Temp\n1981-01-01, 20.7\n\n"
                                         "1981-01-02,17.9 \n  \n1981-01-03,-.5e1\n\n\n\r\n",
                              NULL, &s, &err),
                     RNNKIT_OK);
    assert_int_equal(rnnkit_series_length(s), 3);
    assert_string_equal(rnnkit_series_date_column(s), "Date"); /* no BOM in the name */
    const double *v = rnnkit_series_values(s);
    assert_true(v[0] == 20.7 && v[1] == 17.9 && v[2] == -5.0);
    rnnkit_series_free(s);
}

/* Each date spelling of the shared series stays the text it was. */
static void test_date_spellings(void **state)
{
    (void)state;
    static const char *const csv[] = {
        "\"Month\",\"Sales\"\n\"1-01\",266.0\n\"1-02\",145.9\n",
        ("Date,Open,High,Low,Close,Volume\n03-01-00,1469.25,1478,1438.36,1455.22,931800000\n"
         "04-01-00,1455.22,1455.22,1397.43,1399.42,1009000000\n"),
        "\"Date\",\"Temp\"\n\"1981-01-01\",20.7\n\"1981-01-02\",17.9\n",
        "\"Month\",\"Passengers\"\n\"1949-01\",112\n\"1949-02\",118\n",
        "year,v\n1999,1\n2000,2\n",
        "TimeStamp,v\n2020-01-01T00:00:00Z,1\n2020-01-01T01:00:00Z,2\n"};
    static const char *const first[] = {"1-01", "03-01-00", "1981-01-01", "1949-01", "1999",
                                        "2020-01-01T00:00:00Z"};
    static const char *const second[] = {"1-02", "04-01-00", "1981-01-02", "1949-02", "2000",
                                         "2020-01-01T01:00:00Z"};
    for (size_t k = 0; k < sizeof csv / sizeof *csv; k++) {
        rnnkit_series *s;
        rnnkit_error err;
        if (read_str("dates.csv", csv[k], NULL, &s, &err) != RNNKIT_OK)
            fail_msg("case %zu: %s", k, err.msg);
        assert_int_equal(rnnkit_series_length(s), 2);
        assert_string_equal(rnnkit_series_label(s, 0), first[k]);
        assert_string_equal(rnnkit_series_label(s, 1), second[k]);
        rnnkit_series_free(s);
    }
}

/* No date-like first column: no labels; date "" turns detection off. */
static void test_no_date_column(void **state)
{
    (void)state;
    rnnkit_series *s;
    rnnkit_error err;
    assert_int_equal(read_str("sine.csv", "sinewave\n0.841470985\n0.873736397\n0.90255357", NULL,
                              &s, &err),
                     RNNKIT_OK);
    assert_int_equal(rnnkit_series_length(s), 3);
    assert_null(rnnkit_series_date_column(s));
    assert_null(rnnkit_series_label(s, 0));
    assert_true(rnnkit_series_values(s)[2] == 0.90255357);
    rnnkit_series_free(s);

    rnnkit_csv_options o = rnnkit_csv_options_default();
    o.date = "";
    o.target = "2";
    assert_int_equal(read_str("nodate.csv", "Month,x\n1,10\n2,20\n", &o, &s, &err), RNNKIT_OK);
    assert_null(rnnkit_series_date_column(s));
    assert_string_equal(rnnkit_series_column_name(s, 0), "x");
    rnnkit_series_free(s);

    /* a date-like column asked for as the target is data, not a label */
    o = rnnkit_csv_options_default();
    o.target = "Year";
    assert_int_equal(read_str("year.csv", "Year,x\n1999,10\n2000,20\n", &o, &s, &err), RNNKIT_OK);
    assert_null(rnnkit_series_date_column(s));
    assert_true(rnnkit_series_values(s)[1] == 2000);
    rnnkit_series_free(s);
}

/* Several columns: the target first, the features in the order given,
 * columns by name or by 1-based position, the date column by name. */
static void test_columns(void **state)
{
    (void)state;
    const char *csv = "Date,Open,High,Low,Close,Volume\n"
                      "03-01-00,1469.25,1478,1438.359985,1455.219971,931800000\n"
                      "04-01-00,1455.219971,1455.219971,1397.430054,1399.420044,1009000000\n";
    const char *feats[] = {"Volume", "2"};
    rnnkit_csv_options o = rnnkit_csv_options_default();
    o.target = "Close";
    o.features = feats;
    o.num_features = 2;
    rnnkit_series *s;
    rnnkit_error err;
    assert_int_equal(read_str("sp.csv", csv, &o, &s, &err), RNNKIT_OK);
    assert_int_equal(rnnkit_series_num_columns(s), 3);
    assert_string_equal(rnnkit_series_column_name(s, 0), "Close");
    assert_string_equal(rnnkit_series_column_name(s, 1), "Volume");
    assert_string_equal(rnnkit_series_column_name(s, 2), "Open");
    const double *v = rnnkit_series_values(s);
    assert_true(v[0] == 1455.219971 && v[1] == 931800000 && v[2] == 1469.25);
    assert_true(v[3] == 1399.420044 && v[4] == 1009000000 && v[5] == 1455.219971);
    assert_string_equal(rnnkit_series_label(s, 1), "04-01-00");
    rnnkit_series_free(s);

    /* default target: the first column after the date */
    assert_int_equal(read_str("sp.csv", csv, NULL, &s, &err), RNNKIT_OK);
    assert_string_equal(rnnkit_series_column_name(s, 0), "Open");
    rnnkit_series_free(s);

    /* a header name that is a number wins over the position */
    o = rnnkit_csv_options_default();
    o.target = "1";
    o.date = "t";
    assert_int_equal(read_str("num.csv", "t,2,1\na,5,7\n", &o, &s, &err), RNNKIT_OK);
    assert_true(rnnkit_series_values(s)[0] == 7);
    assert_string_equal(rnnkit_series_date_column(s), "t");
    rnnkit_series_free(s);
}

/* Quoted fields: "" inside quotes, commas and line ends inside quotes, a
 * quoted number; the line of a later error still counts the inner line
 * ends. */
static void test_quotes(void **state)
{
    (void)state;
    rnnkit_series *s;
    rnnkit_error err;
    rnnkit_csv_options o = rnnkit_csv_options_default();
    o.target = "2";
    assert_int_equal(read_str("q.csv", "\"When, exactly\",\"Value \"\"v\"\"\"\n"
                                       "\"Jan,\n1949\",\" 112 \"\n\"Feb \"\"49\"\"\",118\n",
                              &o, &s, &err),
                     RNNKIT_OK);
    assert_string_equal(rnnkit_series_column_name(s, 0), "Value \"v\"");
    assert_null(rnnkit_series_date_column(s)); /* "When, exactly" is not a date name */
    rnnkit_series_free(s);

    o = rnnkit_csv_options_default();
    o.date = "When, exactly";
    assert_int_equal(read_str("q.csv", "\"When, exactly\",\"Value\"\n"
                                       "\"Jan,\n1949\",\" 112 \"\n\"Feb \"\"49\"\"\",118\n",
                              &o, &s, &err),
                     RNNKIT_OK);
    assert_string_equal(rnnkit_series_label(s, 0), "Jan,\n1949");
    assert_string_equal(rnnkit_series_label(s, 1), "Feb \"49\"");
    assert_true(rnnkit_series_values(s)[0] == 112);
    rnnkit_series_free(s);
    expect_error("q3.csv", "Month,v\n\"a\nb\",1\n\"c\",x\n", NULL, RNNKIT_ERR_FORMAT, "q3.csv:4:",
                 "'x' is not a number", NULL);
}

static void test_empty_and_header_only(void **state)
{
    (void)state;
    expect_error("empty.csv", "", NULL, RNNKIT_ERR_EMPTY, "empty.csv: empty file", NULL);
    expect_error("bomonly.csv", "\xEF\xBB\xBF\r\n\n", NULL, RNNKIT_ERR_EMPTY, "empty file", NULL);
    expect_error("hdr.csv", "\"Month\",\"Passengers\"\r\n", NULL, RNNKIT_ERR_EMPTY,
                 "hdr.csv: a header and no data rows", NULL);
    expect_error("hdr2.csv", "Month,Passengers", NULL, RNNKIT_ERR_EMPTY, "no data rows", NULL);
    rnnkit_series *s = (rnnkit_series *)1;
    rnnkit_error err;
    assert_int_equal(rnnkit_series_read_csv(RNNKIT_SOURCE_DIR "/no/such.csv", NULL, &s, &err),
                     RNNKIT_ERR_IO);
    assert_null(s);
    assert_non_null(strstr(err.msg, "no/such.csv: No such file"));
}

/* Cells that are not numbers: file, line, column and the cell text. */
static void test_bad_cells(void **state)
{
    (void)state;
    rnnkit_csv_options o = rnnkit_csv_options_default();
    o.target = "Close";
    expect_error("prices.csv", "Date,Close\n1,10\n2,n/a\n", &o, RNNKIT_ERR_FORMAT,
                 "prices.csv:3: column 'Close': 'n/a' is not a number", "row 2", NULL);
    expect_error("text.csv", "Date,Close\r\n1,10\r\n2,11\r\n3,abc\r\n", &o, RNNKIT_ERR_FORMAT,
                 "text.csv:4: column 'Close': 'abc' is not a number", NULL);
    expect_error("miss.csv", "Date,Close\n1,10\n2,\n3,4\n", &o, RNNKIT_ERR_FORMAT,
                 "miss.csv:3: column 'Close': missing value (empty cell)", NULL);
    expect_error("inf.csv", "Date,Close\n1,10\n2,-Infinity\n", &o, RNNKIT_ERR_FORMAT,
                 "inf.csv:3: column 'Close': '-Infinity' is not a finite number", NULL);
    expect_error("nan.csv", "Date,Close\n1,nan\n", &o, RNNKIT_ERR_FORMAT,
                 "nan.csv:2: column 'Close': 'nan' is not a finite number", NULL);
    expect_error("big.csv", "Date,Close\n1,1e999\n", &o, RNNKIT_ERR_FORMAT,
                 "'1e999' is not a finite number", NULL);
    expect_error("hex.csv", "Date,Close\n1,0x10\n", &o, RNNKIT_ERR_FORMAT,
                 "'0x10' is not a number", NULL);
    expect_error("comma.csv", "Date,Close\n1,\"1,5\"\n", &o, RNNKIT_ERR_FORMAT,
                 "'1,5' is not a number", NULL);
    expect_error("ctl.csv", "Date,Close\n1,\"a\tb\x01\"\n", &o, RNNKIT_ERR_FORMAT,
                 "'a?b?' is not a number", NULL);
    /* a bad cell in a column not asked for is never looked at */
    rnnkit_series *s;
    rnnkit_error err;
    assert_int_equal(read_str("other.csv", "Date,Close,Note\n1,2,n/a\n", &o, &s, &err),
                     RNNKIT_OK);
    rnnkit_series_free(s);
}

/* Rows with another number of fields, malformed quoting. */
static void test_ragged_and_malformed(void **state)
{
    (void)state;
    expect_error("rag.csv", "Month,v\n1,2\n2,3,4\n", NULL, RNNKIT_ERR_FORMAT,
                 "rag.csv:3: 3 fields, the header has 2 (row 2)", NULL);
    expect_error("short.csv", "Month,v,w\r\n1,2,3\r\n2,3\r\n", NULL, RNNKIT_ERR_FORMAT,
                 "short.csv:3: 2 fields, the header has 3", NULL);
    expect_error("trail.csv", "Month,v\n1,2,\n", NULL, RNNKIT_ERR_FORMAT, "3 fields", NULL);
    expect_error("quote.csv", "Month,v\n1,2\n2,3\"x\n", NULL, RNNKIT_ERR_FORMAT,
                 "quote.csv:3: malformed CSV", NULL);
    expect_error("open.csv", "Month,v\n1,2\n\"2,3\n", NULL, RNNKIT_ERR_FORMAT,
                 "malformed CSV: the file ends inside a quoted field", NULL);
    char path[256];
    write_tmp("nul.csv", "Mon\0th,v\n1,2\n", 12, path);
    rnnkit_series *s = (rnnkit_series *)1;
    rnnkit_error err;
    assert_int_equal(rnnkit_series_read_csv(path, NULL, &s, &err), RNNKIT_ERR_FORMAT);
    assert_null(s);
    assert_non_null(strstr(err.msg, "nul.csv:1: a NUL byte in a column name"));
    expect_error("utf8.csv", "Month,\xff\n1,2\n", NULL, RNNKIT_ERR_UTF8,
                 "utf8.csv:1: a column name is not valid UTF-8", NULL);
}

/* Column choice errors: the columns there are, ambiguity, duplicates. */
static void test_column_errors(void **state)
{
    (void)state;
    const char *csv = "\"Month\",\"Passengers\"\n\"1949-01\",112\n";
    rnnkit_csv_options o = rnnkit_csv_options_default();
    o.target = "Pasengers";
    expect_error("air.csv", csv, &o, RNNKIT_ERR_ARG,
                 "air.csv: no target column 'Pasengers'; the columns are: Month, Passengers",
                 NULL);
    o.target = "7";
    expect_error("air.csv", csv, &o, RNNKIT_ERR_ARG, "no target column '7' (the file has 2 columns",
                 NULL);
    o = rnnkit_csv_options_default();
    const char *f1[] = {"Passengers"};
    o.features = f1;
    o.num_features = 1;
    o.target = "Passengers";
    expect_error("air.csv", csv, &o, RNNKIT_ERR_ARG, "'Passengers' is chosen twice", NULL);
    const char *f2[] = {"Month"};
    o.features = f2;
    o.date = "Month";
    expect_error("air.csv", csv, &o, RNNKIT_ERR_ARG,
                 "'Month' is the date column and cannot be a feature", NULL);
    o = rnnkit_csv_options_default();
    o.target = "v";
    expect_error("dup.csv", "t,v,v\n1,2,3\n", &o, RNNKIT_ERR_ARG, "'v' is ambiguous", NULL);
    o.date = "When";
    expect_error("dup.csv", "t,v,w\n1,2,3\n", &o, RNNKIT_ERR_ARG, "no date column 'When'", NULL);
}

/* Gaps repaired: previous and linear; a gap at the start stays an error;
 * a gap at the end keeps the last value under linear. */
static void test_fill(void **state)
{
    (void)state;
    const char *csv = "Month,a,b\n1,1,10\n2,,NA\n3,NaN,\n4,4,40\n5,null,\n";
    const char *feats[] = {"b"};
    rnnkit_csv_options o = rnnkit_csv_options_default();
    o.features = feats;
    o.num_features = 1;
    o.fill = RNNKIT_FILL_PREVIOUS;
    rnnkit_series *s;
    rnnkit_error err;
    assert_int_equal(read_str("gaps.csv", csv, &o, &s, &err), RNNKIT_OK);
    static const double prev[] = {1, 10, 1, 10, 1, 10, 4, 40, 4, 40};
    assert_memory_equal(rnnkit_series_values(s), prev, sizeof prev);
    assert_int_equal(rnnkit_series_filled(s), 6);
    rnnkit_series_free(s);

    o.fill = RNNKIT_FILL_LINEAR;
    assert_int_equal(read_str("gaps.csv", csv, &o, &s, &err), RNNKIT_OK);
    static const double lin[] = {1, 10, 2, 20, 3, 30, 4, 40, 4, 40};
    const double *v = rnnkit_series_values(s);
    for (size_t i = 0; i < 10; i++)
        assert_true(fabs(v[i] - lin[i]) <= 1e-12 * fabs(lin[i]));
    rnnkit_series_free(s);

    o.num_features = 0;
    expect_error("start.csv", "Month,a\n1,\n2,3\n", &o, RNNKIT_ERR_FORMAT,
                 "start.csv:2: column 'a': missing value before the column's first number",
                 NULL);
    /* a fill policy repairs gaps, not text or infinities */
    expect_error("fx.csv", "Month,a\n1,1\n2,abc\n", &o, RNNKIT_ERR_FORMAT,
                 "'abc' is not a number", NULL);
    expect_error("fi.csv", "Month,a\n1,1\n2,inf\n", &o, RNNKIT_ERR_FORMAT,
                 "'inf' is not a finite number", NULL);
    assert_int_equal(rnnkit_fill_from_name("linear"), RNNKIT_FILL_LINEAR);
    assert_int_equal(rnnkit_fill_from_name("spline"), -1);
    assert_string_equal(rnnkit_fill_name(RNNKIT_FILL_PREVIOUS), "previous");
}

/* Many rows read in linear time, with the row count in a late error. */
static void test_many_rows(void **state)
{
    (void)state;
    const size_t n = 300000;
    char path[256];
    snprintf(path, sizeof path, "%s/many.csv", support_tmpdir());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "Date,x,y\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "d%zu,%zu,%zu.5\n", i, i, i);
    assert_int_equal(fclose(f), 0);
    const char *feats[] = {"x"};
    rnnkit_csv_options o = rnnkit_csv_options_default();
    o.target = "y";
    o.features = feats;
    o.num_features = 1;
    rnnkit_series *s;
    rnnkit_error err;
    clock_t c0 = clock();
    assert_int_equal(rnnkit_series_read_csv(path, &o, &s, &err), RNNKIT_OK);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    assert_true(secs < 20); /* ~0.1 s in a release build; sanitizers are slower */
    assert_int_equal(rnnkit_series_length(s), n);
    const double *v = rnnkit_series_values(s);
    assert_true(v[2 * (n - 1)] == (double)(n - 1) + 0.5 && v[2 * (n - 1) + 1] == (double)(n - 1));
    assert_string_equal(rnnkit_series_label(s, n - 1), "d299999");
    rnnkit_series_free(s);

    f = fopen(path, "ab");
    assert_non_null(f);
    fprintf(f, "late,1\n");
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rnnkit_series_read_csv(path, &o, &s, &err), RNNKIT_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "many.csv:300002: 2 fields, the header has 3 (row 300001)"));
}

/* A series from arrays, and the cell helpers. */
static void test_from_values_and_cells(void **state)
{
    (void)state;
    const double v[] = {1, 2, 3, 4, 5, 6};
    const char *labels[] = {"a", "b", "c"};
    rnnkit_series *s;
    rnnkit_error err;
    assert_int_equal(rnnkit_series_from_values(v, 3, 2, NULL, labels, &s, &err), RNNKIT_OK);
    assert_string_equal(rnnkit_series_column_name(s, 0), "y");
    assert_string_equal(rnnkit_series_column_name(s, 1), "x1");
    assert_string_equal(rnnkit_series_label(s, 2), "c");
    assert_string_equal(rnnkit_series_source(s), "values");
    assert_memory_equal(rnnkit_series_values(s), v, sizeof v);
    rnnkit_series_free(s);
    const double bad[] = {1, NAN};
    assert_int_equal(rnnkit_series_from_values(bad, 2, 1, NULL, NULL, &s, &err), RNNKIT_ERR_ARG);
    assert_null(s);
    assert_int_equal(rnnkit_series_from_values(v, 1, 65, NULL, NULL, &s, &err), RNNKIT_ERR_ARG);
    rnnkit_series_free(NULL);

    double x = 0;
    assert_int_equal(rnnkit__cell_parse(" +1.5e2 ", 8, &x), RNNKIT__CELL_NUMBER);
    assert_true(x == 150);
    assert_int_equal(rnnkit__cell_parse("5.", 2, &x), RNNKIT__CELL_NUMBER);
    assert_int_equal(rnnkit__cell_parse(".", 1, &x), RNNKIT__CELL_TEXT);
    assert_int_equal(rnnkit__cell_parse("1e", 2, &x), RNNKIT__CELL_TEXT);
    assert_int_equal(rnnkit__cell_parse("#N/A", 4, &x), RNNKIT__CELL_MISSING);
    assert_int_equal(rnnkit__cell_parse("1e-400", 6, &x), RNNKIT__CELL_NUMBER);
    assert_true(x == 0);
    char q[48];
    rnnkit__cell_quote("\xc3\xa9t\xc3\xa9", 5, q, sizeof q);
    assert_string_equal(q, "\xc3\xa9t\xc3\xa9");
    rnnkit__cell_quote("0123456789012345678901234567890123456789012345", 46, q, sizeof q);
    assert_int_equal(strlen(q), 40);
    assert_string_equal(q + 37, "...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted_crlf_no_final_newline),
        cmocka_unit_test(test_bom_blank_lines),
        cmocka_unit_test(test_date_spellings),
        cmocka_unit_test(test_no_date_column),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_empty_and_header_only),
        cmocka_unit_test(test_bad_cells),
        cmocka_unit_test(test_ragged_and_malformed),
        cmocka_unit_test(test_column_errors),
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_from_values_and_cells),
    };
    return cmocka_run_group_tests(tests, setup, support_teardown);
}
