// The AVX-512 tier of vmath.h (compiled with -mavx512f …): 8-wide libmvec (vmath_tier.h).
#include <immintrin.h>

#include "vmath_tier.h"

extern "C" __m512d _ZGVeN8v_exp(__m512d);
extern "C" __m512d _ZGVeN8v_log(__m512d);

namespace symgrad {
namespace {

constexpr char kTanh512[] = "_ZGVeN8v_tanh";
constexpr char kLog1p512[] = "_ZGVeN8v_log1p";
constexpr char kExpm1512[] = "_ZGVeN8v_expm1";

struct Avx512 {
  using V = __m512d;
  static constexpr int64_t kWidth = 8;
  static constexpr const char* kName = "avx512";
  static constexpr const char* kTanh = kTanh512;
  static constexpr const char* kLog1p = kLog1p512;
  static constexpr const char* kExpm1 = kExpm1512;
  static constexpr V (*exp)(V) = _ZGVeN8v_exp;
  static constexpr V (*log)(V) = _ZGVeN8v_log;
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
};

}  // namespace

VecMath vec_math_avx512() { return tier_vec_math<Avx512>(); }

}  // namespace symgrad
