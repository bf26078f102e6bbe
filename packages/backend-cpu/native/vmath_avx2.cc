// The AVX2 tier of vmath.h (compiled with -mavx2 -mfma): the bytecode's block loops and glibc
// libmvec's 4-wide exp, log, tanh, log1p and expm1.
#include <immintrin.h>

#include "bytecode.h"
#include "libmvec.h"
#include "vmath.h"

extern "C" __m256d _ZGVdN4v_exp(__m256d);
extern "C" __m256d _ZGVdN4v_log(__m256d);

namespace symgrad {
namespace {

using Vec4 = __m256d (*)(__m256d);

inline void run_with(Vec4 f, const double* a, double* d, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(d + i, f(_mm256_loadu_pd(a + i)));
  if (i < n) {
    alignas(32) double t[4] = {0, 0, 0, 0};
    for (int64_t j = i; j < n; j++) t[j - i] = a[j];
    _mm256_store_pd(t, f(_mm256_load_pd(t)));
    for (int64_t j = i; j < n; j++) d[j] = t[j - i];
  }
}

template <Vec4 F>
void run(const double* a, double* d, int64_t n) {
  run_with(F, a, d, n);
}

constexpr char kTanh[] = "_ZGVdN4v_tanh";
constexpr char kLog1p[] = "_ZGVdN4v_log1p";
constexpr char kExpm1[] = "_ZGVdN4v_expm1";

// A libmvec function of glibc >= 2.35, or libm per element where this glibc lacks it.
template <const char* Name, double (*Scalar)(double)>
void run_optional(const double* a, double* d, int64_t n) {
  static const Vec4 f = reinterpret_cast<Vec4>(libmvec_symbol(Name));
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

VecMath vec_math_avx2() {
  constexpr VecMathFn exp = run<_ZGVdN4v_exp>, log = run<_ZGVdN4v_log>;
  constexpr VecMathFn tanh = run_optional<kTanh, scalar_tanh>, log1p = run_optional<kLog1p, scalar_log1p>,
                      expm1 = run_optional<kExpm1, scalar_expm1>;
  return VecMath{exp, log, tanh, log1p, expm1, exec_instr<exp, log, tanh, log1p, expm1>, widen, narrow, "avx2"};
}

}  // namespace symgrad
