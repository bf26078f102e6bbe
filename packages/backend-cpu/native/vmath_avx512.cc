// The AVX-512 tier of vmath.h (compiled with -mavx512f …): the bytecode's block loops and glibc libmvec's 8-wide exp and log.
#include <immintrin.h>

#include "bytecode.h"
#include "vmath.h"

extern "C" __m512d _ZGVeN8v_exp(__m512d);
extern "C" __m512d _ZGVeN8v_log(__m512d);

namespace symgrad {
namespace {

template <__m512d (*F)(__m512d)>
void run(const double* a, double* d, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(d + i, F(_mm512_loadu_pd(a + i)));
  if (i < n) {
    alignas(64) double t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = i; j < n; j++) t[j - i] = a[j];
    _mm512_store_pd(t, F(_mm512_load_pd(t)));
    for (int64_t j = i; j < n; j++) d[j] = t[j - i];
  }
}

}  // namespace

VecMath vec_math_avx512() {
  return VecMath{run<_ZGVeN8v_exp>, run<_ZGVeN8v_log>, exec_instr<run<_ZGVeN8v_exp>, run<_ZGVeN8v_log>>, "avx512"};
}

}  // namespace symgrad
