// The AVX2 tier of the random kernel (compiled with -mavx2 -mfma): Philox on 4 blocks per ymm
// register (vpmuludq), libmvec's 8-wide float and 4-wide double log, sin and cos.
#include <immintrin.h>

#include "random_tier.h"

extern "C" __m256 _ZGVdN8v_logf(__m256);
extern "C" __m256 _ZGVdN8v_sinf(__m256);
extern "C" __m256 _ZGVdN8v_cosf(__m256);
extern "C" __m256d _ZGVdN4v_log(__m256d);
extern "C" __m256d _ZGVdN4v_sin(__m256d);
extern "C" __m256d _ZGVdN4v_cos(__m256d);

namespace symgrad {
namespace {

struct Simd256 {
  using V = __m256i;
  static constexpr int64_t kLanes = 4;
  static V set1(uint64_t x) { return _mm256_set1_epi64x(static_cast<long long>(x)); }
  static V iota() { return _mm256_set_epi64x(3, 2, 1, 0); }
  static V add64(V a, V b) { return _mm256_add_epi64(a, b); }
  static V mul32(V a, V b) { return _mm256_mul_epu32(a, b); }
  static V srl32(V a) { return _mm256_srli_epi64(a, 32); }
  static V xor3(V a, V b, V c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  // As Simd512::store4: pair the words into 64-bit halves, then interleave the 4 lanes' pairs
  // (unpack works within 128-bit halves, so a cross-half permute finishes the order).
  static void store4(uint32_t* w, V c0, V c1, V c2, V c3) {
    const V a = _mm256_blend_epi32(c0, _mm256_slli_epi64(c1, 32), 0xAA);
    const V b = _mm256_blend_epi32(c2, _mm256_slli_epi64(c3, 32), 0xAA);
    const V lo = _mm256_unpacklo_epi64(a, b), hi = _mm256_unpackhi_epi64(a, b);
    _mm256_storeu_si256(reinterpret_cast<V*>(w), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<V*>(w + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
  }
};

__m256 load_ps(const float* p) { return _mm256_load_ps(p); }
void store_ps(float* p, __m256 v) { _mm256_store_ps(p, v); }
__m256d load_pd(const double* p) { return _mm256_load_pd(p); }
void store_pd(double* p, __m256d v) { _mm256_store_pd(p, v); }

struct Avx2 {
  static constexpr int64_t kWidth = 8;  // float lanes; a multiple of the 4 double lanes
  static void words(uint32_t k0, uint32_t k1, uint64_t block, int64_t nb, uint32_t* w) { philox_simd<Simd256>(k0, k1, block, nb, w); }
  static void log(const float* a, float* d, int64_t n) { vec_map<__m256, float, _ZGVdN8v_logf, load_ps, store_ps>(a, d, n); }
  static void sin(const float* a, float* d, int64_t n) { vec_map<__m256, float, _ZGVdN8v_sinf, load_ps, store_ps>(a, d, n); }
  static void cos(const float* a, float* d, int64_t n) { vec_map<__m256, float, _ZGVdN8v_cosf, load_ps, store_ps>(a, d, n); }
  static void log(const double* a, double* d, int64_t n) { vec_map<__m256d, double, _ZGVdN4v_log, load_pd, store_pd>(a, d, n); }
  static void sin(const double* a, double* d, int64_t n) { vec_map<__m256d, double, _ZGVdN4v_sin, load_pd, store_pd>(a, d, n); }
  static void cos(const double* a, double* d, int64_t n) { vec_map<__m256d, double, _ZGVdN4v_cos, load_pd, store_pd>(a, d, n); }
};

}  // namespace

RandomFillFn random_fill_avx2() { return fill_blocks<Avx2>; }

}  // namespace symgrad
