// The `random` kernel (random.cc): Philox-4x32-10 draws, with the block generator and the
// transforms compiled once per ISA tier (random_tier.h; random_avx2.cc, random_avx512.cc).
#pragma once

#include <cstdint>

namespace symgrad {

// What a draw writes: raw words into int32, uniforms or normals into float32 or float64.
enum RandomKind : int { kRandomBits, kRandomUniformF32, kRandomUniformF64, kRandomNormalF32, kRandomNormalF64 };

// One draw: element i of `out` (n elements) comes from Philox block offset + i / 4 (mod 2^64)
// under key (k0, k1). Threads fill disjoint block ranges of it.
struct RandomDraw {
  RandomKind kind;
  uint32_t k0, k1;
  uint64_t offset;
  void* out;
  int64_t n;
};

// Fills the elements of blocks [b0, b1) of a draw (block numbers relative to its offset).
using RandomFillFn = void (*)(const RandomDraw& d, int64_t b0, int64_t b1);

RandomFillFn random_fill_generic();
#if defined(__x86_64__)
RandomFillFn random_fill_avx2();    // random_avx2.cc
RandomFillFn random_fill_avx512();  // random_avx512.cc
#endif

}  // namespace symgrad
