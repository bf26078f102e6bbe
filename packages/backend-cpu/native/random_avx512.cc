// The AVX-512 tier of the random kernel (compiled with -mavx512f …): Philox on 8 blocks per
// zmm register (vpmuludq), libmvec's 16-wide float and 8-wide double log, sin and cos.
// GCC 12 warns that its own _mm512_undefined_epi32 inside these intrinsics is uninitialized
// (GCC bug 105593, fixed in 13): a false alarm.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include "random_tier.h"

extern "C" __m512 _ZGVeN16v_logf(__m512);
extern "C" __m512 _ZGVeN16v_sinf(__m512);
extern "C" __m512 _ZGVeN16v_cosf(__m512);
extern "C" __m512d _ZGVeN8v_log(__m512d);
extern "C" __m512d _ZGVeN8v_sin(__m512d);
extern "C" __m512d _ZGVeN8v_cos(__m512d);

namespace symgrad {
namespace {

struct Simd512 {
  using V = __m512i;
  static constexpr int64_t kLanes = 8;
  static V set1(uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); }
  static V iota() { return _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0); }
  static V add64(V a, V b) { return _mm512_add_epi64(a, b); }
  static V mul32(V a, V b) { return _mm512_mul_epu32(a, b); }
  static V srl32(V a) { return _mm512_srli_epi64(a, 32); }
  static V xor3(V a, V b, V c) { return _mm512_ternarylogic_epi64(a, b, c, 0x96); }
  // Lane b holds block b's words (c0, c1, c2, c3): pair them into 64-bit (c0 | c1 << 32) and
  // (c2 | c3 << 32), then interleave the pairs of the 8 lanes into 32 consecutive words.
  static void store4(uint32_t* w, V c0, V c1, V c2, V c3) {
    const V a = _mm512_mask_blend_epi32(0xAAAA, c0, _mm512_slli_epi64(c1, 32));
    const V b = _mm512_mask_blend_epi32(0xAAAA, c2, _mm512_slli_epi64(c3, 32));
    _mm512_storeu_si512(w, _mm512_permutex2var_epi64(a, _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0), b));
    _mm512_storeu_si512(w + 16, _mm512_permutex2var_epi64(a, _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4), b));
  }
};

__m512 load_ps(const float* p) { return _mm512_load_ps(p); }
void store_ps(float* p, __m512 v) { _mm512_store_ps(p, v); }
__m512d load_pd(const double* p) { return _mm512_load_pd(p); }
void store_pd(double* p, __m512d v) { _mm512_store_pd(p, v); }

struct Avx512 {
  static constexpr int64_t kWidth = 16;  // float lanes; a multiple of the 8 double lanes
  static void words(uint32_t k0, uint32_t k1, uint64_t block, int64_t nb, uint32_t* w) { philox_simd<Simd512>(k0, k1, block, nb, w); }
  static void log(const float* a, float* d, int64_t n) { vec_map<__m512, float, _ZGVeN16v_logf, load_ps, store_ps>(a, d, n); }
  static void sin(const float* a, float* d, int64_t n) { vec_map<__m512, float, _ZGVeN16v_sinf, load_ps, store_ps>(a, d, n); }
  static void cos(const float* a, float* d, int64_t n) { vec_map<__m512, float, _ZGVeN16v_cosf, load_ps, store_ps>(a, d, n); }
  static void log(const double* a, double* d, int64_t n) { vec_map<__m512d, double, _ZGVeN8v_log, load_pd, store_pd>(a, d, n); }
  static void sin(const double* a, double* d, int64_t n) { vec_map<__m512d, double, _ZGVeN8v_sin, load_pd, store_pd>(a, d, n); }
  static void cos(const double* a, double* d, int64_t n) { vec_map<__m512d, double, _ZGVeN8v_cos, load_pd, store_pd>(a, d, n); }
};

}  // namespace

RandomFillFn random_fill_avx512() { return fill_blocks<Avx512>; }

}  // namespace symgrad
