// Run-time choice of the vmath.h tier, and the generic (libm per element) tier.
#include "vmath.h"

#include "bytecode.h"
#include "row_softmax.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace symgrad {
namespace {

void exp_generic(const double* a, double* d, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = std::exp(a[i]);
}
void log_generic(const double* a, double* d, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = std::log(a[i]);
}
void tanh_generic(const double* a, double* d, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = std::tanh(a[i]);
}
void log1p_generic(const double* a, double* d, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = std::log1p(a[i]);
}
void expm1_generic(const double* a, double* d, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = std::expm1(a[i]);
}

// Block loads and stores of float32 views, vectorized by this file's -m flags.
void widen(const float* src, double* dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = static_cast<double>(src[i]);
}
void narrow(const double* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = static_cast<float>(src[i]);
}

VecMath choose() {
  // SYMGRAD_CPU_VMATH=generic|avx2|avx512 caps the tier (for tests and comparisons).
  const char* want = std::getenv("SYMGRAD_CPU_VMATH");
  const bool generic_only = want && std::strcmp(want, "generic") == 0;
  const bool avx2_cap = want && std::strcmp(want, "avx2") == 0;
#if defined(__x86_64__)
  if (!generic_only) {
    __builtin_cpu_init();
    if (!avx2_cap && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) return vec_math_avx512();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return vec_math_avx2();
  }
#else
  (void)generic_only;
  (void)avx2_cap;
#endif
  return VecMath{exp_generic, log_generic, tanh_generic, log1p_generic, expm1_generic,
                 exec_instr<exp_generic, log_generic, tanh_generic, log1p_generic, expm1_generic>, widen, narrow,
                 softmax_rows_f32<exp_generic>, "generic"};
}

}  // namespace

const VecMath& vec_math() {
  static const VecMath chosen = choose();
  return chosen;
}

}  // namespace symgrad
