/*
 * core/pool.h: a small pool of worker threads that runs numbered tasks,
 * and the block-split matrix products built on it (core/pool.c).
 *
 * Invariants: a pool is owned by whoever created it (a model); nothing is
 * global. rnnkit__pool_run(p, n, fn, ctx) calls fn(ctx, i) exactly once for
 * every i in [0, n), on whichever thread claims it first (the caller works
 * too), and returns when all n are done. A task must write only its own
 * outputs, so results never depend on which thread ran what or on how
 * many threads there are. A NULL pool, or a pool of one thread, runs the
 * tasks in order on the caller. One pool runs one batch of tasks at a
 * time: do not call rnnkit__pool_run from inside a task. Each thread has a
 * slot (0 the caller, 1.. the workers) owning its scratch (the bf16
 * packing buffers), used by one task at a time.
 */
#ifndef RNNKIT_CORE_POOL_H
#define RNNKIT_CORE_POOL_H

#include "core/bf16.h"
#include "rnnkit/status.h"

typedef struct rnnkit__pool rnnkit__pool;
typedef void (*rnnkit__pool_fn)(void *ctx, int task);
typedef void (*rnnkit__pool_slot_fn)(void *ctx, int task, int slot);

/* A pool of `threads` threads in all, the caller's included (1..256): it
 * starts threads - 1 workers. */
rnnkit_status rnnkit__pool_create(int threads, rnnkit__pool **out, rnnkit_error *err);
void rnnkit__pool_free(rnnkit__pool *p);
/* Threads in all (1 for NULL). */
int rnnkit__pool_threads(const rnnkit__pool *p);
void rnnkit__pool_run(rnnkit__pool *p, int n, rnnkit__pool_fn fn, void *ctx);
/* The same, telling each task its thread's slot (for that slot's scratch). */
void rnnkit__pool_run_slots(rnnkit__pool *p, int n, rnnkit__pool_slot_fn fn, void *ctx);

/* The cores this process may run on (sched_getaffinity; 1 when unknown). */
int rnnkit__cores_available(void);

/*
 * Products split into blocks whose boundaries depend only on the shape
 * (M, N, K), never on the thread count; every block is one single-threaded
 * cblas_sgemm, so each output element is the same dot product, computed by
 * the same kernel on the same operands, whatever the number of threads.
 *
 * Two cuts. (1) Column blocks, for few rows against a large op(B): at most
 * RNNKIT__POOL_COL_MAX_ROWS rows and N * K >= RNNKIT__POOL_COL_MIN_WEIGHTS
 * (a recurrence of 1024 units: 64 x 4096 x 1024): blocks of
 * RNNKIT__POOL_COL_WIDTH columns of C, the last taking the remainder, so
 * each block packs only its slice of op(B) (row blocks would each pack all
 * of it: 0.90-0.94x of OpenBLAS's own threads at hidden 1024, 1.11x with
 * the column cut). Such a product is NOT bit-identical to the one unsplit
 * call with OpenBLAS 0.3.21's Haswell kernels (it is with the kernels
 * picked for Zen 5); it is the same on any thread count, which is the
 * rule, and a model of these sizes trained before the cut differs from one
 * trained after it in its last bits. The threshold keeps every network of
 * up to 512 units (and every figure measured before) on the row cut.
 *
 * (2) Otherwise row blocks of whole output rows starting at multiples of
 * RNNKIT__POOL_ROW_QUANTUM, big enough (rows * N * K >=
 * RNNKIT__POOL_MIN_WORK) that OpenBLAS takes its ordinary blocked path for
 * each; with these two rules every block's elements are bit-identical to
 * those of the one unsplit call (OpenBLAS 0.3.21, Haswell and
 * SkylakeX/Cooperlake kernels: tests/test_pool.c), so results at one
 * thread are those of the unsplit product. The last block takes the
 * remainder rows (a block of its own when big enough). Products below
 * twice the threshold run as one call. Fewer row blocks (2 or 4 above 512
 * rows) are bit-identical on every shape of tests/test_pool.c and were not
 * faster. Keep a rule only while that test passes with it, under both
 * kernels.
 */
#define RNNKIT__POOL_COL_MAX_ROWS 512
#define RNNKIT__POOL_COL_MIN_WEIGHTS (1L << 21)
#define RNNKIT__POOL_COL_WIDTH 512
#define RNNKIT__POOL_ROW_QUANTUM 12
#define RNNKIT__POOL_MIN_WORK (1L << 20) /* > 10^6: OpenBLAS's small-matrix bound */

/* Row-major C[M][N] = op(A) op(B) + beta C, cblas_sgemm's arguments
 * (alpha 1). transA: A is stored [K][M] (lda >= M), else [M][K]. */
void rnnkit__pool_sgemm(rnnkit__pool *p, int transA, int transB, int M, int N, int K,
                        const float *A, int lda, const float *B, int ldb, float beta, float *C,
                        int ldc);

/*
 * Precision of rnnkit__pool_sgemm (per pool; default fp32). With bf16 on,
 * every block is rnnkit__bf16_gemm (core/bf16.h: inputs rounded to bf16,
 * fp32 sums, beta C added first) instead of cblas_sgemm. Each element is
 * the same fixed sequence of operations whatever block it falls in, so the
 * blocks can be cut by the thread count: one per thread (rows in multiples
 * of 8, or columns in multiples of 32 where the rule above cuts columns),
 * one in all on one thread or under twice RNNKIT__POOL_MIN_WORK, so that
 * no thread packs an operand twice; the result is the same bits on any
 * thread count (tests/test_bf16.c). The matrix-vector products below stay
 * fp32 in either mode.
 *
 * rnnkit__pool_set_bf16(p, on) returns 1 when bf16 products are active
 * afterwards; 0 when off, for a NULL pool, when the CPU (or the OS) lacks
 * AVX512-BF16, or when the packing workspaces (about 576 KiB per thread,
 * allocated here once and kept until the pool is freed) cannot be had. In
 * each 0 case the pool computes in fp32 exactly as before, which is NOT
 * what a bf16 machine computes: a model trained with bf16 asked for on a
 * machine without it differs from one trained where it ran. The CPU check
 * is made once, at rnnkit__pool_create. rnnkit__pool_set_bf16_cpu does the
 * same with a given CPU description (tests use it to force the fallback).
 */
int rnnkit__pool_set_bf16(rnnkit__pool *p, int on);
int rnnkit__pool_set_bf16_cpu(rnnkit__pool *p, int on, const rnnkit__bf16_cpu *cpu);
int rnnkit__pool_bf16(const rnnkit__pool *p);

/*
 * A weight used as op(B) by many bf16 products (W_hh at every step):
 * rnnkit__pool_bf16_pack_b packs it once into Bp (rnnkit__bf16_pb_words(N,
 * K) words, 64-byte aligned; core/bf16.h) and returns 1, or returns 0 and
 * packs nothing when the pool is not in bf16 mode. rnnkit__pool_sgemm_pb
 * then computes C = op(A) op(B) + beta C as rnnkit__pool_sgemm would in
 * bf16 mode, to the same bits, without packing op(B) again; only valid
 * while the pool is in bf16 mode and op(B) unchanged since the packing.
 * Both cut the work into blocks of 32-column panels, one per thread (bf16
 * bits depend on no cut), one in all for products under 2^19
 * multiply-adds.
 */
int rnnkit__pool_bf16_pack_b(rnnkit__pool *p, int transB, int N, int K, const float *B, int ldb, uint32_t *Bp);
void rnnkit__pool_sgemm_pb(rnnkit__pool *p, int transA, int M, int N, int K, const float *A, int lda,
                           const uint32_t *Bp, float beta, float *C, int ldc);
/*
 * The same product cut by rows, for tasks that go on to work on the rows
 * they computed (a recurrence's gate pass): rnnkit__pool_pb_rows gives the
 * rows per task (a multiple of 8, about one task per thread; M: one task),
 * and a task run by rnnkit__pool_run_slots computes its rows [r0, r1) with
 * rnnkit__pool_gemm_pb_rows on its own slot's scratch. Same bits as the
 * whole product, whatever the cut.
 */
int rnnkit__pool_pb_rows(const rnnkit__pool *p, int M, int N, int K);
void rnnkit__pool_gemm_pb_rows(rnnkit__pool *p, int slot, int transA, int r0, int r1, int N, int K,
                               const float *A, int lda, const uint32_t *Bp, float beta, float *C, int ldc);

/* y[N] += A[M][N]^T x[M] (row-major A, leading dimension lda): column sums
 * when x is ones. Split over fixed blocks of columns of y. */
void rnnkit__pool_sgemv_t(rnnkit__pool *p, int M, int N, const float *A, int lda, const float *x,
                          float *y);

/* y[M] = W[M][K] x[K] + beta y (row-major W, leading dimension K): one
 * output row (the B = 1 case of the linear maps). Split over blocks of
 * rnnkit__pool_gemv_rows(M, K) rows of W (multiples of 16, fixed by the
 * shape; a small remainder joins the last block); each element is the dot
 * product of one row of W with x by the same kernel whatever the split
 * (tests/test_pool.c checks it against the unsplit call). */
void rnnkit__pool_sgemv_n(rnnkit__pool *p, int M, int K, const float *W, const float *x, float beta, float *y);
int rnnkit__pool_gemv_rows(int M, int K);

/* How many column blocks rnnkit__pool_sgemm cuts an M x N x K product
 * into (1: it uses row blocks or one call). */
int rnnkit__pool_col_blocks(int M, int N, int K);
/* How many row blocks it cuts a product without column blocks into. */
int rnnkit__pool_row_blocks(int M, int N, int K);

#endif
