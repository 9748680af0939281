/*
 * tests/fuzz/fuzz_csv.c: libFuzzer target for the CSV series reader
 * (rnnkit_series_read_csv). The input's first byte picks the options (fill
 * policy, target by name or position, a feature, no date column); the rest
 * is the file. Besides not crashing: a success gives n >= 1 rows of finite
 * values and a label per row when there is a date column; a failure has a
 * message, no series, and is never an argument or memory error.
 */
#include "fuzz_util.h"
#include <math.h>
#include "rnnkit/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned sel = data[0];
    const char *path = fuzz_write_file("in.csv", data + 1, size - 1);
    rnnkit_csv_options o = rnnkit_csv_options_default();
    o.fill = (rnnkit_fill)(sel % 3);
    static const char *const targets[] = {NULL, "2", "v", "1"};
    o.target = targets[(sel >> 2) & 3];
    const char *feats[] = {"3"};
    if (sel & 16) {
        o.features = feats;
        o.num_features = 1;
    }
    if (sel & 32)
        o.date = "";
    rnnkit_series *s = NULL;
    rnnkit_error err;
    rnnkit_status st = rnnkit_series_read_csv(path, &o, &s, &err);
    if (st != RNNKIT_OK) {
        if (s || !err.msg[0] || st == RNNKIT_ERR_NOMEM)
            abort();
        return 0;
    }
    size_t n = rnnkit_series_length(s), F = rnnkit_series_num_columns(s);
    const double *v = rnnkit_series_values(s);
    if (n == 0 || F != 1 + o.num_features)
        abort();
    for (size_t i = 0; i < n * F; i++)
        if (!isfinite(v[i]))
            abort();
    for (size_t j = 0; j < F; j++)
        if (!rnnkit_series_column_name(s, j) ||
            !fuzz_valid_utf8(rnnkit_series_column_name(s, j), strlen(rnnkit_series_column_name(s, j))))
            abort();
    if (rnnkit_series_date_column(s))
        for (size_t i = 0; i < n; i++) {
            const char *l = rnnkit_series_label(s, i);
            if (!l || !fuzz_valid_utf8(l, strlen(l)))
                abort();
        }
    rnnkit_series_free(s);
    return 0;
}
