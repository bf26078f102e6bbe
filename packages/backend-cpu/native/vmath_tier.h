// The body of each vectorized tier of vmath.h (vmath_avx2.cc, vmath_avx512.cc): block loops
// over glibc libmvec's vector exp, log, tanh, log1p and expm1, and float32 block conversions.
// A tier names its vector type and libmvec functions in a traits struct and calls
// tier_vec_math<Traits>(). Everything here has internal linkage (an unnamed namespace), so each
// tier compiles its own copy with its own -m flags (see bytecode.h for why that matters).
#pragma once

#include <cmath>
#include <cstdint>

#include "bytecode.h"
#include "libmvec.h"
#include "row_softmax.h"
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

// exp through libmvec, but inputs below kExpFast bypass it: libmvec sends any vector with an
// input beyond its range (|x| > ~708.4) down a per-lane scalar path, about 10 times slower, and
// an attention mask's −1e9 scores put one in most vectors of a causal softmax. Such inputs
// give exactly 0 below kExpZero and go through libm in between (a denormal), as libmvec's own
// path does, so the results are the same bits.
constexpr double kExpFast = -708.0;
constexpr double kExpZero = -745.2;

inline double exp_low(double x) { return x < kExpZero ? 0.0 : std::exp(x); }

template <typename Tier>
void run_exp(const double* a, double* d, int64_t n) {
  constexpr int64_t w = Tier::kWidth;
  alignas(64) double t[w];
  int64_t i = 0;
  for (; i + w <= n; i += w) {
    bool low = false;
    for (int64_t j = 0; j < w; j++) low |= a[i + j] < kExpFast;
    if (!low) {
      Tier::store(d + i, Tier::exp(Tier::load(a + i)));
      continue;
    }
    for (int64_t j = 0; j < w; j++) t[j] = a[i + j] < kExpFast ? 0.0 : a[i + j];
    Tier::store(t, Tier::exp(Tier::load(t)));
    // d may be a: each lane reads its input before writing its result.
    for (int64_t j = 0; j < w; j++) d[i + j] = a[i + j] < kExpFast ? exp_low(a[i + j]) : t[j];
  }
  if (i < n) {
    for (int64_t j = 0; j < w; j++) t[j] = i + j < n && !(a[i + j] < kExpFast) ? a[i + j] : 0.0;
    Tier::store(t, Tier::exp(Tier::load(t)));
    for (int64_t j = i; j < n; j++) d[j] = a[j] < kExpFast ? exp_low(a[j]) : t[j - i];
  }
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
  constexpr VecMathFn exp = run_exp<Tier>, log = run<Tier, Tier::log>;
  constexpr VecMathFn tanh = run_optional<Tier, Tier::kTanh, scalar_tanh>, log1p = run_optional<Tier, Tier::kLog1p, scalar_log1p>,
                      expm1 = run_optional<Tier, Tier::kExpm1, scalar_expm1>;
  return VecMath{exp, log, tanh, log1p, expm1, exec_instr<exp, log, tanh, log1p, expm1>, widen, narrow,
                 softmax_rows_f32<exp>, Tier::kName};
}

}  // namespace
}  // namespace symgrad
