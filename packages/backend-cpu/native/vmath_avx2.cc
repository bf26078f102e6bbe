// The AVX2 tier of vmath.h (compiled with -mavx2 -mfma): 4-wide libmvec (vmath_tier.h).
#include <immintrin.h>

#include "vmath_tier.h"

extern "C" __m256d _ZGVdN4v_exp(__m256d);
extern "C" __m256d _ZGVdN4v_log(__m256d);

namespace symgrad {
namespace {

constexpr char kTanh256[] = "_ZGVdN4v_tanh";
constexpr char kLog1p256[] = "_ZGVdN4v_log1p";
constexpr char kExpm1256[] = "_ZGVdN4v_expm1";

struct Avx2 {
  using V = __m256d;
  static constexpr int64_t kWidth = 4;
  static constexpr const char* kName = "avx2";
  static constexpr const char* kTanh = kTanh256;
  static constexpr const char* kLog1p = kLog1p256;
  static constexpr const char* kExpm1 = kExpm1256;
  static constexpr V (*exp)(V) = _ZGVdN4v_exp;
  static constexpr V (*log)(V) = _ZGVdN4v_log;
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
};

}  // namespace

VecMath vec_math_avx2() { return tier_vec_math<Avx2>(); }

}  // namespace symgrad
