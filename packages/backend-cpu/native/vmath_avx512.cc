// The AVX-512 tier of vmath.h (compiled with -mavx512f …): the bytecode's block loops and glibc
// libmvec's 8-wide exp, log, tanh, log1p and expm1.
#include <immintrin.h>

#include "bytecode.h"
#include "libmvec.h"
#include "vmath.h"

extern "C" __m512d _ZGVeN8v_exp(__m512d);
extern "C" __m512d _ZGVeN8v_log(__m512d);

namespace symgrad {
namespace {

using Vec8 = __m512d (*)(__m512d);

inline void run_with(Vec8 f, const double* a, double* d, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(d + i, f(_mm512_loadu_pd(a + i)));
  if (i < n) {
    alignas(64) double t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = i; j < n; j++) t[j - i] = a[j];
    _mm512_store_pd(t, f(_mm512_load_pd(t)));
    for (int64_t j = i; j < n; j++) d[j] = t[j - i];
  }
}

template <Vec8 F>
void run(const double* a, double* d, int64_t n) {
  run_with(F, a, d, n);
}

constexpr char kTanh[] = "_ZGVeN8v_tanh";
constexpr char kLog1p[] = "_ZGVeN8v_log1p";
constexpr char kExpm1[] = "_ZGVeN8v_expm1";

// A libmvec function of glibc >= 2.35, or libm per element where this glibc lacks it.
template <const char* Name, double (*Scalar)(double)>
void run_optional(const double* a, double* d, int64_t n) {
  static const Vec8 f = reinterpret_cast<Vec8>(libmvec_symbol(Name));
  if (f) run_with(f, a, d, n);
  else for (int64_t i = 0; i < n; i++) d[i] = Scalar(a[i]);
}

// Block loads and stores of float32 views, vectorized by this file's -m flags.
void widen(const float* src, double* dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = static_cast<double>(src[i]);
}
void narrow(const double* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = static_cast<float>(src[i]);
}

}  // namespace

VecMath vec_math_avx512() {
  constexpr VecMathFn exp = run<_ZGVeN8v_exp>, log = run<_ZGVeN8v_log>;
  constexpr VecMathFn tanh = run_optional<kTanh, scalar_tanh>, log1p = run_optional<kLog1p, scalar_log1p>,
                      expm1 = run_optional<kExpm1, scalar_expm1>;
  return VecMath{exp, log, tanh, log1p, expm1, exec_instr<exp, log, tanh, log1p, expm1>, widen, narrow, "avx512"};
}

}  // namespace symgrad
