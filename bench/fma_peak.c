/*
 * bench/fma_peak.c: the single-core floating-point peak of this machine,
 * AVX-512 against AVX2: 24 independent FMA chains per width, no memory
 * traffic. It bounds what any sgemm (OpenBLAS's or one of our own) can
 * reach on one thread.
 *   cc -O2 bench/fma_peak.c -o fma_peak && ./fma_peak
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

__attribute__((target("avx512f"))) static float peak512(long n)
{
    __m512 a[24], b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 24; i++)
        a[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < n; k++) {
#pragma GCC unroll 24
        for (int i = 0; i < 24; i++)
            a[i] = _mm512_fmadd_ps(a[i], b, c);
    }
    __m512 s = a[0];
    for (int i = 1; i < 24; i++)
        s = _mm512_add_ps(s, a[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float peak256(long n)
{
    __m256 a[24], b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 24; i++)
        a[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < n; k++) {
#pragma GCC unroll 24
        for (int i = 0; i < 24; i++)
            a[i] = _mm256_fmadd_ps(a[i], b, c);
    }
    __m256 s = a[0];
    for (int i = 1; i < 24; i++)
        s = _mm256_add_ps(s, a[i]);
    float o[8];
    _mm256_storeu_ps(o, s);
    return o[0];
}

int main(void)
{
    const long n = 100000000;
    double t0 = now();
    float r1 = __builtin_cpu_supports("avx512f") ? peak512(n) : 0.0f;
    double t1 = now();
    float r2 = peak256(n);
    double t2 = now();
    if (r1 != 0.0f)
        printf("AVX-512 FMA: %.1f GFLOP/s\n", (double)n * 24 * 32 / (t1 - t0) / 1e9);
    else
        printf("AVX-512 FMA: not supported\n");
    printf("AVX2 FMA:    %.1f GFLOP/s\n", (double)n * 24 * 16 / (t2 - t1) / 1e9);
    return r1 == 12345.0f && r2 == 12345.0f; /* keep the results alive */
}
