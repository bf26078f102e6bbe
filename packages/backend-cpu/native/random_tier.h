// The body of each tier of the random kernel (random.h): the scalar Philox-4x32-10 block, a
// SIMD Philox over 64-bit lanes for the vector tiers, and the transforms from words to bits,
// uniforms and normals. Everything has internal linkage (an unnamed namespace), so each tier
// compiles its own copy with its own -m flags, as vmath_tier.h does.
//
// Bits and uniforms are exact integer and power-of-two arithmetic: every tier and thread count
// gives the same bits. Normals call the tier's log, sin and cos (libm in the generic tier,
// libmvec in the vector tiers, both within a few ulp), so tiers agree to rounding only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "random.h"

namespace symgrad {
namespace {

constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;
// Blocks per chunk: the words and the normals' scratch stay in L1 (4 KiB of words).
constexpr int64_t kRandomChunk = 256;

// Philox-4x32-10 of counter (block_lo, block_hi, 0, 0) under key (k0, k1), into w[0..4).
inline void philox_block(uint32_t k0, uint32_t k1, uint64_t block, uint32_t* w) {
  uint32_t c0 = static_cast<uint32_t>(block), c1 = static_cast<uint32_t>(block >> 32), c2 = 0, c3 = 0;
  for (int round = 0; round < 10; round++) {
    if (round > 0) k0 += kPhiloxW0, k1 += kPhiloxW1;
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c0, p1 = static_cast<uint64_t>(kPhiloxM1) * c2;
    c0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    c1 = static_cast<uint32_t>(p1);
    c2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c3 = static_cast<uint32_t>(p0);
  }
  w[0] = c0, w[1] = c1, w[2] = c2, w[3] = c3;
}

// Philox on SIMD registers: one block per 64-bit lane, the 32-bit words in the low halves
// (mul_epu32 reads only those, so the high halves may hold garbage until the store). Lanes
// in flight: S::kLanes × kVectors, two vectors to hide the multiply's latency. S supplies
// set1, iota (0, 1, … per lane), add64, mul32 (32×32→64 per lane), srl32, xor3 and store4,
// which interleaves the four words of each lane into w.
template <typename S>
void philox_simd(uint32_t k0, uint32_t k1, uint64_t block, int64_t nb, uint32_t* w) {
  using V = typename S::V;
  constexpr int kVectors = 2;
  constexpr int64_t kStep = S::kLanes * kVectors;
  V rk0[10], rk1[10];
  for (int r = 0; r < 10; r++) {
    rk0[r] = S::set1(static_cast<uint32_t>(k0 + r * kPhiloxW0));
    rk1[r] = S::set1(static_cast<uint32_t>(k1 + r * kPhiloxW1));
  }
  const V m0 = S::set1(kPhiloxM0), m1 = S::set1(kPhiloxM1), zero = S::set1(0);
  int64_t b = 0;
  for (; b + kStep <= nb; b += kStep) {
    V c0[kVectors], c1[kVectors], c2[kVectors], c3[kVectors];
    for (int v = 0; v < kVectors; v++) {
      // The 64-bit counter block + b + lane wraps modulo 2^64 like the reference.
      c0[v] = S::add64(S::set1(block + static_cast<uint64_t>(b + v * S::kLanes)), S::iota());
      c1[v] = S::srl32(c0[v]);
      c2[v] = zero, c3[v] = zero;
    }
    for (int r = 0; r < 10; r++) {
      for (int v = 0; v < kVectors; v++) {
        const V p0 = S::mul32(c0[v], m0), p1 = S::mul32(c2[v], m1);
        c0[v] = S::xor3(S::srl32(p1), c1[v], rk0[r]);
        c1[v] = p1;
        c2[v] = S::xor3(S::srl32(p0), c3[v], rk1[r]);
        c3[v] = p0;
      }
    }
    for (int v = 0; v < kVectors; v++) S::store4(w + 4 * (b + v * S::kLanes), c0[v], c1[v], c2[v], c3[v]);
  }
  for (; b < nb; b++) philox_block(k0, k1, block + static_cast<uint64_t>(b), w + 4 * b);
}

template <typename T>
inline T word_uniform(uint32_t w);
// Exact: the top 23 bits plus a half, scaled by a power of two (in (0, 1) as float32).
template <>
inline float word_uniform<float>(uint32_t w) {
  return (static_cast<float>(static_cast<int32_t>(w >> 9)) + 0.5f) * 0x1p-23f;
}
template <>
inline double word_uniform<double>(uint32_t w) {
  return (static_cast<double>(w) + 0.5) * 0x1p-32;
}

// Box–Muller on word pairs (0, 1) and (2, 3) of each block, in T's precision: count elements
// of out from the words w (w holds whole blocks, so a last odd element still has its pair).
template <typename Tier, typename T>
void normals(const uint32_t* w, int64_t count, T* out) {
  constexpr int64_t kPairs = 2 * kRandomChunk;
  alignas(64) T r[kPairs], theta[kPairs], s[kPairs], c[kPairs];
  const int64_t pairs = (count + 1) / 2;
  // The vector tiers run whole vectors: pad with harmless arguments (log 1, sin 0).
  const int64_t padded = std::min(kPairs, (pairs + Tier::kWidth - 1) / Tier::kWidth * Tier::kWidth);
  for (int64_t p = 0; p < pairs; p++) {
    r[p] = word_uniform<T>(w[2 * p]);
    theta[p] = static_cast<T>(2 * M_PI) * word_uniform<T>(w[2 * p + 1]);
  }
  for (int64_t p = pairs; p < padded; p++) r[p] = 1, theta[p] = 0;
  Tier::log(r, r, padded);
  Tier::sin(theta, s, padded);
  Tier::cos(theta, c, padded);
  for (int64_t p = 0; p < pairs; p++) r[p] = std::sqrt(static_cast<T>(-2) * r[p]);
  for (int64_t p = 0; p < count / 2; p++) {
    out[2 * p] = r[p] * c[p];
    out[2 * p + 1] = r[p] * s[p];
  }
  if (count % 2) out[count - 1] = r[pairs - 1] * c[pairs - 1];
}

template <typename Tier>
void fill_blocks(const RandomDraw& d, int64_t b0, int64_t b1) {
  alignas(64) uint32_t w[4 * kRandomChunk];
  for (int64_t c = b0; c < b1; c += kRandomChunk) {
    const int64_t nb = std::min(kRandomChunk, b1 - c);
    Tier::words(d.k0, d.k1, d.offset + static_cast<uint64_t>(c), nb, w);
    const int64_t e0 = 4 * c, count = std::min(4 * nb, d.n - e0);
    switch (d.kind) {
      case kRandomBits: std::memcpy(static_cast<int32_t*>(d.out) + e0, w, count * sizeof(uint32_t)); break;
      case kRandomUniformF32: {
        float* o = static_cast<float*>(d.out) + e0;
        for (int64_t i = 0; i < count; i++) o[i] = word_uniform<float>(w[i]);
        break;
      }
      case kRandomUniformF64: {
        double* o = static_cast<double*>(d.out) + e0;
        for (int64_t i = 0; i < count; i++) o[i] = word_uniform<double>(w[i]);
        break;
      }
      case kRandomNormalF32: normals<Tier, float>(w, count, static_cast<float*>(d.out) + e0); break;
      case kRandomNormalF64: normals<Tier, double>(w, count, static_cast<double*>(d.out) + e0); break;
    }
  }
}

// A libmvec function over whole vectors of an array (n a multiple of the width).
template <typename V, typename T, V (*F)(V), V (*Load)(const T*), void (*Store)(T*, V)>
inline void vec_map(const T* a, T* d, int64_t n) {
  constexpr int64_t kWidth = sizeof(V) / sizeof(T);
  for (int64_t i = 0; i < n; i += kWidth) Store(d + i, F(Load(a + i)));
}

}  // namespace
}  // namespace symgrad
