/*
 * tests/test_pool.c: the worker pool (core/pool.c) and its block-split
 * products. Every split product on 1, 2 and 3 threads must be bit-identical
 * (memcmp, not a tolerance) to its reference: the one unsplit cblas call
 * for row blocks (which keeps single-thread results those of the unsplit
 * code), and for products cut into column blocks (core/pool.h) one call
 * per block as the header documents, itself within rounding of the
 * unsplit call. That is what makes a model the same on any number of
 * threads.
 *
 * OpenBLAS picks its kernels when the library loads (OPENBLAS_CORETYPE), so
 * the process runs the checks once in its own environment, then re-runs
 * itself (fork + exec of /proc/self/exe, TEST_POOL_CHILD=1) with
 * OPENBLAS_CORETYPE=Haswell and with it unset, and fails if either child
 * fails. Where /proc/self/exe cannot be run, the re-runs are skipped with
 * a message. OpenBLAS runs on one thread, as under a model's pool.
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/pool.h"
#include "rnnkit/nn.h"

static float *rand_floats(rnnkit_rng *rng, size_t n)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = 2.0f * rnnkit_rng_uniform(rng) - 1.0f;
    return x;
}

/* One sgemm shape: split on 1, 2 and 3 threads against one cblas_sgemm;
 * returns the number of mismatches (reported on stderr). */
static int check_sgemm(int transA, int transB, int M, int N, int K, float beta)
{
    rnnkit_rng rng;
    int bad_sgemm = 0;
    rnnkit_rng_seed(&rng, (uint64_t)M * 1000003u + (uint64_t)N * 1009u + (uint64_t)K);
    const int lda = transA ? M : K, ldb = transB ? K : N;
    float *A = rand_floats(&rng, (size_t)M * K), *B = rand_floats(&rng, (size_t)N * K);
    float *C0 = rand_floats(&rng, (size_t)M * N), *ref = malloc((size_t)M * N * sizeof *ref);
    float *got = malloc((size_t)M * N * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    memcpy(ref, C0, (size_t)M * N * sizeof *ref);
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N,
                K, 1.0f, A, lda, B, ldb, beta, ref, N);
    int nc = rnnkit__pool_col_blocks(M, N, K);
    if (nc > 1) {
        /* Column blocks: the reference is the documented cut, one call per
         * block of RNNKIT__POOL_COL_WIDTH columns (the last takes the rest),
         * written here independently of core/pool.c; it must agree with
         * the unsplit product to rounding. */
        float *cols = malloc((size_t)M * N * sizeof *cols);
        assert_non_null(cols);
        memcpy(cols, C0, (size_t)M * N * sizeof *cols);
        for (int b = 0; b < nc; b++) {
            int c0 = b * RNNKIT__POOL_COL_WIDTH, c1 = b == nc - 1 ? N : c0 + RNNKIT__POOL_COL_WIDTH;
            const float *Bb = transB ? B + (size_t)c0 * (size_t)ldb : B + c0;
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M,
                        c1 - c0, K, 1.0f, A, lda, Bb, ldb, beta, cols + c0, N);
        }
        for (size_t e = 0; e < (size_t)M * N; e++)
            if (fabsf(cols[e] - ref[e]) > 1e-4f * (float)K)
                fail_msg("sgemm M=%d N=%d K=%d: column blocks differ from the unsplit product at %zu", M, N, K, e);
        memcpy(ref, cols, (size_t)M * N * sizeof *ref);
        free(cols);
    }
    for (int threads = 1; threads <= 3; threads++) {
        rnnkit__pool *p = NULL;
        rnnkit_error err;
        rnnkit_error_clear(&err);
        assert_int_equal(rnnkit__pool_create(threads, &p, &err), RNNKIT_OK);
        memcpy(got, C0, (size_t)M * N * sizeof *got);
        rnnkit__pool_sgemm(p, transA, transB, M, N, K, A, lda, B, ldb, beta, got, N);
        if (memcmp(got, ref, (size_t)M * N * sizeof *got) != 0)
            bad_sgemm++, print_error("sgemm %c%c M=%d N=%d K=%d beta=%g (%d blocks), %d threads: not bit-identical\n",
                     transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, (double)beta,
                     nc > 1 ? nc : rnnkit__pool_row_blocks(M, N, K), threads);
        rnnkit__pool_free(p);
    }
    free(A);
    free(B);
    free(C0);
    free(ref);
    free(got);
    return bad_sgemm;
}

/* The products of the recurrent and dense layers (rnnkit's shapes). */
static void test_sgemm_split(void **state)
{
    (void)state;
    static const int shapes[][3] = {
        {64, 512, 128},  {32, 512, 128},  {256, 512, 128}, {64, 2048, 512}, {5120, 512, 128},
        {5120, 512, 256}, {6400, 2048, 64}, {640, 2048, 512}, {64, 65, 512}, {100, 300, 97},
        {1000, 1000, 13}, {77, 2048, 512}, {64, 4096, 1024}, {32, 4096, 1024}, {64, 2048, 2048},
        {64, 1500, 2048}, {500, 4100, 1024}, {32, 1024, 256}, {32, 1024, 128}, {16, 1024, 256},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int M = shapes[i][0], N = shapes[i][1], K = shapes[i][2];
        bad += check_sgemm(0, 1, M, N, K, 0.0f); /* X W^T */
        bad += check_sgemm(0, 1, M, N, K, 1.0f);
        bad += check_sgemm(0, 0, M, K, N, 1.0f); /* dZ W */
        bad += check_sgemm(1, 0, N, K, M, 1.0f); /* dZ^T X */
    }
    assert_int_equal(bad, 0);
}

/* One matrix-vector shape: split on 1, 2 and 3 threads against one cblas_sgemv. */
static void check_sgemv(int M, int K, float beta)
{
    rnnkit_rng rng;
    rnnkit_rng_seed(&rng, (uint64_t)M * 7919u + (uint64_t)K);
    float *W = rand_floats(&rng, (size_t)M * K), *x = rand_floats(&rng, (size_t)K);
    float *y0 = rand_floats(&rng, (size_t)M), *ref = malloc((size_t)M * sizeof *ref);
    float *got = malloc((size_t)M * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    memcpy(ref, y0, (size_t)M * sizeof *ref);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, M, K, 1.0f, W, K, x, 1, beta, ref, 1);
    for (int threads = 1; threads <= 3; threads++) {
        rnnkit__pool *p = NULL;
        rnnkit_error err;
        rnnkit_error_clear(&err);
        assert_int_equal(rnnkit__pool_create(threads, &p, &err), RNNKIT_OK);
        memcpy(got, y0, (size_t)M * sizeof *got);
        rnnkit__pool_sgemv_n(p, M, K, W, x, beta, got);
        if (memcmp(got, ref, (size_t)M * sizeof *got) != 0)
            fail_msg("sgemv M=%d K=%d beta=%g (blocks of %d rows), %d threads: not bit-identical", M, K,
                     (double)beta, rnnkit__pool_gemv_rows(M, K), threads);
        rnnkit__pool_free(p);
    }
    free(W);
    free(x);
    free(y0);
    free(ref);
    free(got);
}

static void test_sgemv_split(void **state)
{
    (void)state;
    static const int shapes[][2] = {
        {2048, 512}, {2048, 64}, {512, 128}, {4096, 1024}, {2050, 513}, {1539, 700}, {3000, 5000}, {65, 512},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        check_sgemv(shapes[i][0], shapes[i][1], 0.0f);
        check_sgemv(shapes[i][0], shapes[i][1], 1.0f);
    }
}

typedef struct count_ctx {
    int n;
    int *hits;
} count_ctx;

static void count_task(void *ctx, int i)
{
    count_ctx *c = ctx;
    c->hits[i]++; /* task i is run once: no two threads touch one slot */
}

/* Every task runs exactly once, batch after batch. */
static void test_run_once(void **state)
{
    (void)state;
    rnnkit__pool *p = NULL;
    rnnkit_error err;
    rnnkit_error_clear(&err);
    assert_int_equal(rnnkit__pool_create(3, &p, &err), RNNKIT_OK);
    int hits[97];
    for (int round = 0; round < 2000; round++) {
        int n = 1 + round % 97;
        memset(hits, 0, sizeof hits);
        count_ctx c = {n, hits};
        rnnkit__pool_run(p, n, count_task, &c);
        for (int i = 0; i < n; i++)
            assert_int_equal(hits[i], 1);
    }
    rnnkit__pool_free(p);
}

/* Re-run this program with OPENBLAS_CORETYPE set to `core` (NULL: unset). */
static int rerun(const char *core)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        printf("test_pool: cannot find /proc/self/exe: coretype re-runs skipped\n");
        return 0;
    }
    self[n] = '\0';
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("test_pool: fork failed: coretype re-runs skipped\n");
        return 0;
    }
    if (pid == 0) {
        if (setenv("TEST_POOL_CHILD", "1", 1) != 0 ||
            (core ? setenv("OPENBLAS_CORETYPE", core, 1) : unsetenv("OPENBLAS_CORETYPE")) != 0)
            _exit(127);
        char *argv[] = {self, NULL};
        execv(self, argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return 1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        printf("test_pool: cannot exec %s: coretype re-runs skipped\n", self);
        return 0;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("test_pool: failed with OPENBLAS_CORETYPE=%s\n", core ? core : "(unset)");
        return 1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_once),
        cmocka_unit_test(test_sgemm_split),
        cmocka_unit_test(test_sgemv_split),
    };
    openblas_set_num_threads(1); /* the pool's blocks run single-threaded; so does the reference */
    const char *core = getenv("OPENBLAS_CORETYPE");
    printf("test_pool: OPENBLAS_CORETYPE=%s\n", core ? core : "(unset)");
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (getenv("TEST_POOL_CHILD"))
        return failed;
    failed += rerun("Haswell");
    failed += rerun(NULL);
    return failed ? 1 : 0;
}
