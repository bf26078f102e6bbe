// The body of each vectorized tier of vmath.h (vmath_avx2.cc, vmath_avx512.cc): block loops
// over glibc libmvec's vector exp, log, tanh, log1p and expm1, and float32 block conversions.
// A tier names its vector type and libmvec functions in a traits struct and calls
// tier_vec_math<Traits>(). Everything here has internal linkage (an unnamed namespace), so each
// tier compiles its own copy with its own -m flags (see bytecode.h for why that matters).
#pragma once

#include <cstdint>

#include "bytecode.h"
#include "libmvec.h"
#include "vmath.h"

namespace symgrad {
namespace {

template <typename Tier>
using TierFn = typename Tier::V (*)(typename Tier::V);

template <typename Tier>
inline void run_with(TierFn<Tier> f, const double* a, double* d, int64_t n) {
  constexpr int64_t w = Tier::kWidth;
  int64_t i = 0;
  for (; i + w <= n; i += w) Tier::store(d + i, f(Tier::load(a + i)));
  if (i < n) {
    alignas(64) double t[w] = {};
    for (int64_t j = i; j < n; j++) t[j - i] = a[j];
    Tier::store(t, f(Tier::load(t)));
    for (int64_t j = i; j < n; j++) d[j] = t[j - i];
  }
}

template <typename Tier, TierFn<Tier> F>
void run(const double* a, double* d, int64_t n) {
  run_with<Tier>(F, a, d, n);
}

// A libmvec function of glibc >= 2.35, or libm per element where this glibc lacks it.
template <typename Tier, const char* Name, double (*Scalar)(double)>
void run_optional(const double* a, double* d, int64_t n) {
  static const TierFn<Tier> f = reinterpret_cast<TierFn<Tier>>(libmvec_symbol(Name));
  if (f) run_with<Tier>(f, a, d, n);
  else for (int64_t i = 0; i < n; i++) d[i] = Scalar(a[i]);
}

// Block loads and stores of float32 views, vectorized by the tier's -m flags.
void widen(const float* src, double* dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = static_cast<double>(src[i]);
}
void narrow(const double* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = static_cast<float>(src[i]);
}

template <typename Tier>
VecMath tier_vec_math() {
  constexpr VecMathFn exp = run<Tier, Tier::exp>, log = run<Tier, Tier::log>;
  constexpr VecMathFn tanh = run_optional<Tier, Tier::kTanh, scalar_tanh>, log1p = run_optional<Tier, Tier::kLog1p, scalar_log1p>,
                      expm1 = run_optional<Tier, Tier::kExpm1, scalar_expm1>;
  return VecMath{exp, log, tanh, log1p, expm1, exec_instr<exp, log, tanh, log1p, expm1>, widen, narrow, Tier::kName};
}

}  // namespace
}  // namespace symgrad
