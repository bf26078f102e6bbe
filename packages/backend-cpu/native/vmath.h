// The bytecode's block loops (bytecode.h's exec_instr), float32 block loads and stores, and vectorized exp, log, tanh, log1p and
// expm1 over a block of doubles, chosen at run time by CPU features: the AVX-512 and AVX2 tiers
// (vmath_avx512.cc, vmath_avx2.cc, compiled with their own -m flags, so the block loops
// vectorize 8 and 4 wide) call glibc's libmvec (_ZGVeN8v_exp …), the generic tier (vmath.cc,
// the x86-64-v2 baseline) calls libm per element. tanh, log1p and expm1 joined libmvec in
// glibc 2.35: they are looked up when the addon loads, and libm runs where they are missing,
// so the prebuild still loads on an older glibc (exp and log date from 2.22). The block loops are the same source in every
// tier, and each op is one IEEE operation or libm call per element, so the tiers agree exactly
// except for exp/log (and sigmoid) rounded to float32 where libmvec stands in for libm. libmvec is accurate to a
// few float64 ulp and handles NaN, ±Infinity, overflow and underflow like libm, so the bytecode
// uses it only where the result is then rounded to float32 (where it agrees with libm to within
// one float32 ulp); float64 results keep libm. Per-element math: no dependence on threads.
#pragma once

#include <cstdint>

namespace symgrad {

using VecMathFn = void (*)(const double* a, double* d, int64_t n);
// Runs one bytecode instruction (not a load) over n elements of the register file.
using VecMathExecFn = void (*)(const int32_t* instr, const double* consts, double* regs, int64_t n);

// Contiguous float32 → float64 and float64 → float32 conversions (loads and stores of blocks).
using WidenFn = void (*)(const float* src, double* dst, int64_t n);
using NarrowFn = void (*)(const double* src, float* dst, int64_t n);
// Row softmax (or log-softmax) of `rows` contiguous float32 rows of `cols` values
// (row_softmax.h): x and out advance by their row strides.
using SoftmaxRowsF32Fn = void (*)(const float* x, int64_t x_row_stride, float* out, int64_t out_row_stride, int64_t rows,
                                  int64_t cols, bool log);

struct VecMath {
  VecMathFn exp;
  VecMathFn log;
  VecMathFn tanh;
  VecMathFn log1p;
  VecMathFn expm1;
  VecMathExecFn exec;
  WidenFn widen;
  NarrowFn narrow;
  SoftmaxRowsF32Fn softmax_rows_f32;
  const char* isa;
};

const VecMath& vec_math();

#if defined(__x86_64__)
VecMath vec_math_avx2();
VecMath vec_math_avx512();
#endif

}  // namespace symgrad
