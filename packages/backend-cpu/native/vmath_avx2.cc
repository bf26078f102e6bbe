// The AVX2 tier of vmath.h (compiled with -mavx2 -mfma): the bytecode's block loops and glibc libmvec's 4-wide exp and log.
#include <immintrin.h>

#include "bytecode.h"
#include "vmath.h"

extern "C" __m256d _ZGVdN4v_exp(__m256d);
extern "C" __m256d _ZGVdN4v_log(__m256d);

namespace symgrad {
namespace {

template <__m256d (*F)(__m256d)>
void run(const double* a, double* d, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(d + i, F(_mm256_loadu_pd(a + i)));
  if (i < n) {
    alignas(32) double t[4] = {0, 0, 0, 0};
    for (int64_t j = i; j < n; j++) t[j - i] = a[j];
    _mm256_store_pd(t, F(_mm256_load_pd(t)));
    for (int64_t j = i; j < n; j++) d[j] = t[j - i];
  }
}

}  // namespace

VecMath vec_math_avx2() {
  return VecMath{run<_ZGVdN4v_exp>, run<_ZGVdN4v_log>, exec_instr<run<_ZGVdN4v_exp>, run<_ZGVdN4v_log>>, "avx2"};
}

}  // namespace symgrad
