/*
 * core/pool.c: the worker pool and the block-split products of
 * core/pool.h (read its opening comment for the invariants).
 *
 * A batch is published under the mutex with a new generation number;
 * workers wake (after a short spin on the generation, which keeps the
 * per-step products of a recurrence cheap to hand out), claim task numbers
 * from an atomic counter, and count finished tasks; the caller claims tasks
 * too and then waits for the count. Which thread runs a task is never
 * visible in the results: tasks write disjoint outputs.
 */
#define _GNU_SOURCE
#include "core/pool.h"

#include <cblas.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/bf16.h"

#define POOL_MAX_THREADS 256
#define POOL_SPIN 200000 /* polls of the generation before sleeping (about 0.2 ms: the
                            * gap between two products of a generation step) */

typedef rnnkit__pool_slot_fn pool_slot_fn;
typedef struct pool_worker {
    struct rnnkit__pool *pool;
    int slot;
} pool_worker;

struct rnnkit__pool {
    int threads;
    pthread_t *workers;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_cond_t idle;
    atomic_uint gen;      /* batch number; workers run a batch once */
    atomic_int next;      /* next task number to claim */
    atomic_int done;      /* tasks finished in this batch */
    atomic_int busy;      /* workers inside a batch */
    int n;                /* tasks in this batch */
    pool_slot_fn fn;
    void *ctx;
    int stop;
    pool_worker *args;    /* [threads - 1]: each worker's pool and slot */
    /* bf16 products (rnnkit__pool_set_bf16): on, the CPU check made at
     * creation, one packing workspace per slot (NULL until switched on). */
    int bf16;
    rnnkit__bf16_cpu cpu;
    rnnkit__bf16_ws **ws; /* [threads] */
};

/* Tasks run with the slot of the thread running them: 0 the caller, 1..
 * threads - 1 the workers. A task may use per-slot scratch (the bf16
 * workspaces): no two tasks run on one slot at once. */
static void run_tasks(rnnkit__pool *p, int n, pool_slot_fn fn, void *ctx, int slot)
{
    int i;
    while ((i = atomic_fetch_add(&p->next, 1)) < n) {
        fn(ctx, i, slot);
        atomic_fetch_add(&p->done, 1);
    }
}

static void *worker(void *arg)
{
    const pool_worker *w = arg;
    rnnkit__pool *p = w->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned g = atomic_load(&p->gen);
        for (int s = 0; g == seen && s < POOL_SPIN; s++)
            g = atomic_load(&p->gen);
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            while ((g = atomic_load(&p->gen)) == seen && !p->stop)
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (g == seen) /* stop */
            return NULL;
        seen = g;
        pthread_mutex_lock(&p->mu);
        int stop = p->stop, n = p->n;
        pool_slot_fn fn = p->fn;
        void *ctx = p->ctx;
        atomic_fetch_add(&p->busy, 1);
        pthread_mutex_unlock(&p->mu);
        if (stop) {
            atomic_fetch_sub(&p->busy, 1);
            return NULL;
        }
        run_tasks(p, n, fn, ctx, w->slot);
        pthread_mutex_lock(&p->mu);
        atomic_fetch_sub(&p->busy, 1);
        pthread_cond_signal(&p->idle);
        pthread_mutex_unlock(&p->mu);
    }
}

int rnnkit__cores_available(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n < 1 ? 1 : n > POOL_MAX_THREADS ? POOL_MAX_THREADS : n;
}

static void stop_workers(rnnkit__pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->workers[i], NULL);
    p->started = 0;
}

rnnkit_status rnnkit__pool_create(int threads, rnnkit__pool **out, rnnkit_error *err)
{
    *out = NULL;
    if (threads < 1 || threads > POOL_MAX_THREADS)
        return rnnkit_error_set(err, RNNKIT_ERR_ARG, "thread pool: %d threads outside [1, %d]", threads,
                                POOL_MAX_THREADS);
    rnnkit__pool *p = calloc(1, sizeof *p);
    if (!p)
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "thread pool: out of memory");
    p->threads = threads;
    if (pthread_mutex_init(&p->mu, NULL)) {
        free(p);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "thread pool: cannot create a mutex");
    }
    if (pthread_cond_init(&p->wake, NULL)) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "thread pool: cannot create a condition variable");
    }
    if (pthread_cond_init(&p->idle, NULL)) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "thread pool: cannot create a condition variable");
    }
    atomic_init(&p->gen, 0u);
    atomic_init(&p->next, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->busy, 0);
    rnnkit__bf16_detect(&p->cpu);
    if (threads > 1) {
        p->workers = calloc((size_t)threads - 1, sizeof *p->workers);
        p->args = calloc((size_t)threads - 1, sizeof *p->args);
        if (!p->workers || !p->args) {
            rnnkit__pool_free(p);
            return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "thread pool: out of memory");
        }
        for (int i = 0; i < threads - 1; i++) {
            p->args[i].pool = p;
            p->args[i].slot = i + 1;
            if (pthread_create(&p->workers[i], NULL, worker, &p->args[i])) {
                rnnkit__pool_free(p);
                return rnnkit_error_set(err, RNNKIT_ERR_NOMEM, "thread pool: cannot start thread %d of %d",
                                        i + 2, threads);
            }
            p->started++;
        }
    }
    *out = p;
    return RNNKIT_OK;
}

void rnnkit__pool_free(rnnkit__pool *p)
{
    if (!p)
        return;
    stop_workers(p);
    free(p->workers);
    free(p->args);
    if (p->ws)
        for (int i = 0; i < p->threads; i++)
            rnnkit__bf16_ws_free(p->ws[i]);
    free(p->ws);
    pthread_cond_destroy(&p->idle);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int rnnkit__pool_threads(const rnnkit__pool *p) { return p ? p->threads : 1; }

/* rnnkit__pool_run's task function, called through the slot interface. */
typedef struct plain_task {
    rnnkit__pool_fn fn;
    void *ctx;
} plain_task;

static void plain_task_run(void *ctx, int task, int slot)
{
    const plain_task *t = ctx;
    (void)slot;
    t->fn(t->ctx, task);
}

static void run_slots(rnnkit__pool *p, int n, pool_slot_fn fn, void *ctx);

void rnnkit__pool_run(rnnkit__pool *p, int n, rnnkit__pool_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (!p || p->threads == 1 || n == 1) {
        for (int i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    plain_task t = {fn, ctx};
    run_slots(p, n, plain_task_run, &t);
}

void rnnkit__pool_run_slots(rnnkit__pool *p, int n, rnnkit__pool_slot_fn fn, void *ctx)
{
    run_slots(p, n, fn, ctx);
}

/* Runs tasks 0..n-1 of fn on the pool, the caller as slot 0. */
static void run_slots(rnnkit__pool *p, int n, pool_slot_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (!p || p->threads == 1 || n == 1) {
        for (int i = 0; i < n; i++)
            fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    /* Workers still leaving the previous batch must not see this one's
     * counters half set. */
    while (atomic_load(&p->busy) > 0)
        pthread_cond_wait(&p->idle, &p->mu);
    p->n = n;
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->next, 0);
    atomic_store(&p->done, 0);
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_tasks(p, n, fn, ctx, 0);
    while (atomic_load(&p->done) < n)
        sched_yield();
}

/* ---------------------------------------------------------------------- */
/* Block-split products */

/* Rows per block: a multiple of the quantum with rows * N * K >= MIN_WORK,
 * and at most about 2 blocks (M <= 512) or 8 (above). */
static int row_block(int M, int N, int K)
{
    const long q = RNNKIT__POOL_ROW_QUANTUM;
    long nk = (long)N * (long)K;
    if (nk < 1)
        return M;
    long rb = (RNNKIT__POOL_MIN_WORK + nk - 1) / nk;
    rb = (rb + q - 1) / q * q;
    /* Few blocks: each packs all of op(B) again. Two for the per-step
     * products of a recurrence (M <= 512 rows), eight above. */
    long nbmax = M <= 512 ? 2 : 8;
    long cap = (((long)M + nbmax - 1) / nbmax + q - 1) / q * q;
    if (rb < cap)
        rb = cap;
    return rb > M ? M : (int)rb;
}

/* Blocks of rb rows; the remainder is a block of its own when it is
 * MIN_WORK, else joins the last full block. */
int rnnkit__pool_row_blocks(int M, int N, int K)
{
    if (M < 1 || (double)M * N * K < 2.0 * RNNKIT__POOL_MIN_WORK)
        return 1;
    int rb = row_block(M, N, K);
    int nb = M / rb, rest = M - nb * rb;
    if (rest && (long)rest * N * K >= RNNKIT__POOL_MIN_WORK)
        nb++;
    return nb < 1 ? 1 : nb;
}

typedef struct gemm_job {
    int transA, transB, M, N, K, lda, ldb, ldc;
    int rb, nb; /* rows (columns, for column blocks) per block; blocks */
    const float *A, *B;
    float beta;
    float *C;
    rnnkit__bf16_ws *const *ws; /* bf16 mode: a workspace per slot; NULL: fp32 */
} gemm_job;

/* One block's product: cblas_sgemm, or the bf16 kernel in bf16 mode. */
static void block_product(const gemm_job *j, int slot, int M, int N, const float *A, const float *B, float *C)
{
    if (j->ws) {
        rnnkit__bf16_gemm(j->ws[slot], j->transA, j->transB, M, N, j->K, A, j->lda, B, j->ldb, j->beta, C,
                          j->ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, j->transA ? CblasTrans : CblasNoTrans, j->transB ? CblasTrans : CblasNoTrans, M,
                N, j->K, 1.0f, A, j->lda, B, j->ldb, j->beta, C, j->ldc);
}

static void gemm_block(void *ctx, int i, int slot)
{
    const gemm_job *j = ctx;
    int r0 = i * j->rb, r1 = i == j->nb - 1 ? j->M : r0 + j->rb; /* the last takes the rest */
    const float *A = j->transA ? j->A + r0 : j->A + (size_t)r0 * (size_t)j->lda;
    block_product(j, slot, r1 - r0, j->N, A, j->B, j->C + (size_t)r0 * (size_t)j->ldc);
}

static void gemm_col_block(void *ctx, int i, int slot)
{
    const gemm_job *j = ctx;
    int c0 = i * j->rb, c1 = i == j->nb - 1 ? j->N : c0 + j->rb; /* the last takes the rest */
    const float *B = j->transB ? j->B + (size_t)c0 * (size_t)j->ldb : j->B + c0;
    block_product(j, slot, j->M, c1 - c0, j->A, B, j->C + c0);
}

/* Column blocks: when few rows meet a large op(B) (the per-step products of
 * a wide recurrence), row blocks would each pack all of op(B); blocks of
 * RNNKIT__POOL_COL_WIDTH columns of C pack one slice of it each. */
int rnnkit__pool_col_blocks(int M, int N, int K)
{
    if (M < 1 || M > RNNKIT__POOL_COL_MAX_ROWS || (long)N * (long)K < RNNKIT__POOL_COL_MIN_WEIGHTS ||
        N < 2 * RNNKIT__POOL_COL_WIDTH)
        return 1;
    return N / RNNKIT__POOL_COL_WIDTH; /* the last block takes the remainder */
}

/* One block per thread of n rows or columns, rounded up to whole quanta
 * (a register tile's rows or columns). */
static int per_thread(int n, int threads, int quantum)
{
    return ((n + threads - 1) / threads + quantum - 1) / quantum * quantum;
}

/* bf16 mode: every cut gives the same bits, so one block per thread,
 * each packing its slice of one operand and all of the other once: rows
 * in multiples of the 8-row tile, or, where the fp32 rule cuts columns
 * (few rows, a large op(B)), columns in multiples of the 32-column panel.
 * (The fp32 cut makes up to 8 row blocks whatever the thread count, each
 * packing all of op(B) again.) Returns 1 for column blocks. */
static int bf16_cut(const rnnkit__pool *p, gemm_job *j)
{
    const int t = rnnkit__pool_threads(p);
    j->nb = 1;
    j->rb = j->M;
    if (t < 2 || (double)j->M * j->N * j->K < 2.0 * RNNKIT__POOL_MIN_WORK)
        return 0;
    const int cols = rnnkit__pool_col_blocks(j->M, j->N, j->K) > 1;
    const int n = cols ? j->N : j->M, q = cols ? 32 : 8;
    const int rb = per_thread(n, t, q);
    if (rb >= n)
        return 0;
    j->rb = rb;
    j->nb = (n + rb - 1) / rb;
    return cols;
}

void rnnkit__pool_sgemm(rnnkit__pool *p, int transA, int transB, int M, int N, int K,
                        const float *A, int lda, const float *B, int ldb, float beta, float *C,
                        int ldc)
{
    gemm_job j = {transA, transB, M, N, K, lda, ldb, ldc, M, 1, A, B, beta, C, NULL};
    if (p && p->bf16) {
        j.ws = p->ws;
        const int cols = bf16_cut(p, &j);
        run_slots(p, j.nb, cols ? gemm_col_block : gemm_block, &j);
        return;
    }
    int nc = rnnkit__pool_col_blocks(M, N, K);
    if (nc > 1) {
        j.rb = RNNKIT__POOL_COL_WIDTH;
        j.nb = nc;
        run_slots(p, j.nb, gemm_col_block, &j);
        return;
    }
    j.nb = rnnkit__pool_row_blocks(M, N, K);
    if (j.nb > 1)
        j.rb = row_block(M, N, K);
    run_slots(p, j.nb, gemm_block, &j);
}

/* ---------------------------------------------------------------------- */
/* bf16 mode */

int rnnkit__pool_set_bf16_cpu(rnnkit__pool *p, int on, const rnnkit__bf16_cpu *cpu)
{
    if (!p)
        return 0;
    p->bf16 = 0;
    if (!on || !cpu->avx512bf16)
        return 0;
    if (!p->ws) {
        p->ws = calloc((size_t)p->threads, sizeof *p->ws);
        if (!p->ws)
            return 0;
    }
    for (int i = 0; i < p->threads; i++)
        if (!p->ws[i] && !(p->ws[i] = rnnkit__bf16_ws_create()))
            return 0; /* those made are kept for another try and freed with the pool */
    p->bf16 = 1;
    return 1;
}

int rnnkit__pool_set_bf16(rnnkit__pool *p, int on)
{
    return p ? rnnkit__pool_set_bf16_cpu(p, on, &p->cpu) : 0;
}

int rnnkit__pool_bf16(const rnnkit__pool *p) { return p ? p->bf16 : 0; }

/* Work below which a packed product runs as one block (a classifier's
 * per-step product at hidden 128, batch 32, is 2^21 multiply-adds). */
#define PB_MIN_WORK (1L << 19)

typedef struct pb_job {
    int transB, transA, M, N, K, ld, nb, npan, ldc;
    const float *src; /* B (packing) or A (product) */
    uint32_t *out;
    const uint32_t *Bp;
    float beta;
    float *C;
    rnnkit__bf16_ws *const *ws;
} pb_job;

/* Block i's panels: [npan i / nb, npan (i + 1) / nb). */
static int pb_first(const pb_job *j, int i) { return (int)((long)j->npan * i / j->nb); }

static void pack_b_block(void *ctx, int i, int slot)
{
    const pb_job *j = ctx;
    (void)slot;
    rnnkit__bf16_pack_b(j->transB, j->N, j->K, j->src, j->ld, pb_first(j, i), pb_first(j, i + 1), j->out);
}

static void gemm_pb_block(void *ctx, int i, int slot)
{
    const pb_job *j = ctx;
    rnnkit__bf16_gemm_pb(j->ws[slot], j->transA, j->M, j->N, j->K, j->src, j->ld, j->Bp, pb_first(j, i),
                         pb_first(j, i + 1), j->beta, j->C, j->ldc);
}

/* Blocks of panels: one per thread (bf16 bits do not depend on the cut),
 * one in all for small products. */
static int pb_blocks(const rnnkit__pool *p, int M, int N, int K, int npan)
{
    int nb = (long)M * N * K < PB_MIN_WORK ? 1 : rnnkit__pool_threads(p);
    return nb < npan ? nb : npan;
}

int rnnkit__pool_bf16_pack_b(rnnkit__pool *p, int transB, int N, int K, const float *B, int ldb, uint32_t *Bp)
{
    if (!p || !p->bf16)
        return 0;
    pb_job j = {.transB = transB, .N = N, .K = K, .ld = ldb, .src = B, .out = Bp};
    j.npan = rnnkit__bf16_pb_panels(N);
    j.nb = pb_blocks(p, 1, N, K, j.npan);
    if (j.nb > 0)
        run_slots(p, j.nb, pack_b_block, &j);
    return 1;
}

int rnnkit__pool_pb_rows(const rnnkit__pool *p, int M, int N, int K)
{
    const int t = rnnkit__pool_threads(p);
    if (t < 2 || M < 16 || (long)M * N * K < PB_MIN_WORK)
        return M;
    return per_thread(M, t, 8); /* whole register tiles */
}

void rnnkit__pool_gemm_pb_rows(rnnkit__pool *p, int slot, int transA, int r0, int r1, int N, int K,
                               const float *A, int lda, const uint32_t *Bp, float beta, float *C, int ldc)
{
    const float *Ar = transA ? A + r0 : A + (size_t)r0 * (size_t)lda;
    rnnkit__bf16_gemm_pb(p->ws[slot], transA, r1 - r0, N, K, Ar, lda, Bp, 0, rnnkit__bf16_pb_panels(N), beta,
                         C + (size_t)r0 * (size_t)ldc, ldc);
}

void rnnkit__pool_sgemm_pb(rnnkit__pool *p, int transA, int M, int N, int K, const float *A, int lda,
                           const uint32_t *Bp, float beta, float *C, int ldc)
{
    pb_job j = {.transA = transA, .M = M, .N = N, .K = K, .ld = lda, .src = A, .Bp = Bp, .beta = beta,
                .C = C, .ldc = ldc, .ws = p->ws};
    j.npan = rnnkit__bf16_pb_panels(N);
    j.nb = pb_blocks(p, M, N, K, j.npan);
    if (M > 0 && j.nb > 0)
        run_slots(p, j.nb, gemm_pb_block, &j);
}

/* Columns of y per sgemv block (a multiple of 16). */
#define GEMV_COLS 256

typedef struct gemv_job {
    int M, N, lda;
    const float *A, *x;
    float *y;
} gemv_job;

static void gemv_block(void *ctx, int i)
{
    const gemv_job *j = ctx;
    int c0 = i * GEMV_COLS, n = j->N - c0 < GEMV_COLS ? j->N - c0 : GEMV_COLS;
    cblas_sgemv(CblasRowMajor, CblasTrans, j->M, n, 1.0f, j->A + c0, j->lda, j->x, 1, 1.0f, j->y + c0, 1);
}

/* Rows of W per matrix-vector block: a multiple of GEMV_ROW_QUANTUM with
 * rows * K >= GEMV_MIN_WORK, at most two blocks. */
#define GEMV_ROW_QUANTUM 16
#define GEMV_MIN_WORK (1L << 17)

int rnnkit__pool_gemv_rows(int M, int K)
{
    const long q = GEMV_ROW_QUANTUM;
    if (M < 1 || K < 1 || (long)M * K < 2 * GEMV_MIN_WORK)
        return M;
    long rb = (GEMV_MIN_WORK + K - 1) / K;
    rb = (rb + q - 1) / q * q;
    /* Two blocks: at B = 1 a product is a few microseconds, and fewer
     * calls and claims beat a finer balance (generation, 2 x LSTM 512 on 2
     * threads: 5.6-6.4k chars/s with up to 8 blocks, 6.9-7.3k with 2;
     * OpenBLAS's own 2 threads 5.4-6.7k in the same sitting). */
    long nbmax = 2;
    long cap = (((long)M + nbmax - 1) / nbmax + q - 1) / q * q;
    if (rb < cap)
        rb = cap;
    return rb >= M ? M : (int)rb;
}

typedef struct gemv_n_job {
    int M, K, rb, nb;
    const float *W, *x;
    float beta;
    float *y;
} gemv_n_job;

static void gemv_n_block(void *ctx, int i)
{
    const gemv_n_job *j = ctx;
    int r0 = i * j->rb, r1 = i == j->nb - 1 ? j->M : r0 + j->rb;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, r1 - r0, j->K, 1.0f, j->W + (size_t)r0 * (size_t)j->K, j->K, j->x,
                1, j->beta, j->y + r0, 1);
}

void rnnkit__pool_sgemv_n(rnnkit__pool *p, int M, int K, const float *W, const float *x, float beta, float *y)
{
    gemv_n_job j = {M, K, M, 1, W, x, beta, y};
    j.rb = rnnkit__pool_gemv_rows(M, K);
    j.nb = (M + j.rb - 1) / j.rb;
    if (j.nb > 1 && (long)(M - (j.nb - 1) * j.rb) * K < GEMV_MIN_WORK / 2)
        j.nb--; /* a small remainder joins the last full block */
    rnnkit__pool_run(p, j.nb, gemv_n_block, &j);
}

void rnnkit__pool_sgemv_t(rnnkit__pool *p, int M, int N, const float *A, int lda, const float *x,
                          float *y)
{
    gemv_job j = {M, N, lda, A, x, y};
    int nb = (double)M * N < 2.0 * RNNKIT__POOL_MIN_WORK ? 1 : (N + GEMV_COLS - 1) / GEMV_COLS;
    if (nb == 1) {
        cblas_sgemv(CblasRowMajor, CblasTrans, M, N, 1.0f, A, lda, x, 1, 1.0f, y, 1);
        return;
    }
    rnnkit__pool_run(p, nb, gemv_block, &j);
}
