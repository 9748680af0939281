/*
 * core/clones.h: RNNKIT_CLONES marks a function whose loops are worth
 * vectorising wider than the x86-64 baseline (SSE2). The compiler emits it
 * three times, for AVX-512, AVX2 and the baseline, and the loader picks the
 * widest the CPU has (GNU ifunc), so one portable binary runs the 8- or
 * 16-lane code where it can. Every copy performs the same IEEE operations in
 * the same order: the build turns floating-point contraction off
 * (-ffp-contract=off) and never uses -ffast-math, so the results are
 * bit-identical on every CPU (tests/test_rnn.c's parity tests run whichever
 * copy the machine selects). Valgrind reports no AVX-512, so under it the
 * AVX2 copy runs. Elsewhere (other architectures, RNNKIT_NO_CLONES) it is
 * empty. Use it on static functions only (clang 14 emits the selector only
 * in a translation unit that calls the function): a public function wraps
 * a static cloned one.
 */
#ifndef RNNKIT_CORE_CLONES_H
#define RNNKIT_CORE_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__) && !defined(RNNKIT_NO_CLONES)
#define RNNKIT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RNNKIT_CLONES
#endif

#endif
