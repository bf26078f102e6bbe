// The register machine that runs core's scalar expression language natively (the bytecode is
// compiled once per kernel by src/codegen/bytecode.ts). Every register holds a block of up to
// kBlock doubles and every instruction loops over the whole block, so each loop is simple
// enough for the compiler to vectorize and the dispatch costs once per block, not per element.
//
// Semantics are exactly those of src/codegen/render-js.ts (hence of core's evalScalarExpr):
// ops compute on float64 values and the `round` field rounds the result to the node's dtype
// as JavaScript does (Math.fround, ToInt32, 0/1).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "vmath.h"

namespace symgrad {

constexpr int64_t kBlock = 512;
constexpr int kMaxRank = 16;

// Keep in the order of OPCODES in src/codegen/bytecode.ts (the loader compares the lists).
#define SYMGRAD_OPCODES(X)                                                                                   \
  X(load) X(constant) X(neg) X(exp) X(log) X(log1p) X(expm1) X(sqrt) X(rsqrt) X(square) X(abs) X(sign)     \
  X(tanh) X(sigmoid) X(relu) X(add) X(sub) X(mul) X(div) X(pow) X(minimum) X(maximum) X(lt) X(le) X(gt)    \
  X(ge) X(eq) X(ne) X(where) X(cast)

enum Opcode : int32_t {
#define SYMGRAD_ENUM(name) kOp_##name,
  SYMGRAD_OPCODES(SYMGRAD_ENUM)
#undef SYMGRAD_ENUM
  kOpCount
};

// Rounding after an op: none (float64 or an exact result), float32, int32, bool.
enum Round : int32_t { kRoundNone = 0, kRoundF32 = 1, kRoundI32 = 2, kRoundBool = 3 };

// Storage dtypes of views: the typed arrays of the cpu backend.
enum Storage : int32_t { kF32 = 0, kF64 = 1, kI32 = 2, kU8 = 3 };

// One instruction: op, round, dst, a, b, c (registers; for load `a` is the view, for constant
// `a` indexes the constant table).
constexpr int kInstrWords = 6;

// A parsed, validated program: header [registers, instructions, results], the instructions,
// then the result registers.
struct Bytecode {
  int32_t regs = 0;
  int32_t count = 0;
  int32_t results = 0;
  const int32_t* code = nullptr;
  const int32_t* result_regs = nullptr;
  const double* consts = nullptr;
  int64_t nconsts = 0;
};

// The helpers and exec_instr below have internal linkage (static): vmath_avx2.cc and
// vmath_avx512.cc compile them with their own -m flags, and a shared inline copy could let the
// linker hand an AVX-512 body to the baseline code.

// JavaScript's ToInt32: truncate, wrap modulo 2^32, NaN and ±Infinity become 0.
static inline double to_int32(double x) {
  if (!(x > -2147483649.0 && x < 2147483648.0)) {
    if (!std::isfinite(x)) return 0.0;
    double m = std::fmod(std::trunc(x), 4294967296.0);
    if (m < 0) m += 4294967296.0;
    return m >= 2147483648.0 ? m - 4294967296.0 : m;
  }
  return static_cast<double>(static_cast<int32_t>(x));
}

static inline double js_min(double a, double b) {
  if (a != a || b != b) return std::numeric_limits<double>::quiet_NaN();
  if (a < b) return a;
  if (b < a) return b;
  return std::signbit(a) ? a : b;  // min(-0, +0) is -0
}

static inline double js_max(double a, double b) {
  if (a != a || b != b) return std::numeric_limits<double>::quiet_NaN();
  if (a > b) return a;
  if (b > a) return b;
  return std::signbit(a) ? b : a;
}

// Math.pow differs from C's pow where the exponent is NaN or ±Infinity with |base| = 1.
static inline double js_pow(double a, double b) {
  if (b != b) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(b) && std::fabs(a) == 1.0) return std::numeric_limits<double>::quiet_NaN();
  return std::pow(a, b);
}

static inline void round_block(Round r, double* __restrict d, int64_t n) {
  switch (r) {
    case kRoundNone: return;
    case kRoundF32:
      for (int64_t i = 0; i < n; i++) d[i] = static_cast<double>(static_cast<float>(d[i]));
      return;
    case kRoundI32:
      for (int64_t i = 0; i < n; i++) d[i] = to_int32(d[i]);
      return;
    case kRoundBool:
      for (int64_t i = 0; i < n; i++) d[i] = (d[i] != 0.0 && d[i] == d[i]) ? 1.0 : 0.0;
      return;
  }
}

// Runs one instruction other than load over a block of n elements, rounding included. `Exp`,
// `Log`, `Tanh`, `Log1p` and `Expm1` are the vectorized block functions of the caller's tier
// (vmath.h), used where the result is rounded to float32; every tier
// instantiates this with its own compiler flags and hands it out as VecMath::exec.
template <VecMathFn Exp, VecMathFn Log, VecMathFn Tanh, VecMathFn Log1p, VecMathFn Expm1>
static void exec_instr(const int32_t* in, const double* consts, double* regs, int64_t n) {
  const Opcode op = static_cast<Opcode>(in[0]);
  double* __restrict d = regs + in[2] * kBlock;
  const double* a = regs + in[3] * kBlock;
  const double* b = regs + in[4] * kBlock;
  const double* c = regs + in[5] * kBlock;
  switch (op) {
    case kOp_load: return;  // run_bytecode's
    case kOp_constant: {
      const double v = consts[in[3]];
      for (int64_t i = 0; i < n; i++) d[i] = v;
      break;
    }
#define UNARY(name, expr)                            \
  case kOp_##name:                                   \
    for (int64_t i = 0; i < n; i++) {                \
      const double x = a[i];                         \
      d[i] = (expr);                                 \
    }                                                \
    break;
#define BINARY(name, expr)                           \
  case kOp_##name:                                   \
    for (int64_t i = 0; i < n; i++) {                \
      const double x = a[i], y = b[i];               \
      d[i] = (expr);                                 \
    }                                                \
    break;
    UNARY(neg, -x)
    // Rounded to float32: the vectorized block functions of vmath.h (see there for why only then).
#define F32_VECTORIZED(name, Vectorized)                                   \
  case kOp_##name:                                                         \
    if (in[1] == kRoundF32) Vectorized(a, d, n);                           \
    else for (int64_t i = 0; i < n; i++) d[i] = std::name(a[i]);           \
    break;
    F32_VECTORIZED(exp, Exp)
    F32_VECTORIZED(log, Log)
    F32_VECTORIZED(log1p, Log1p)
    F32_VECTORIZED(expm1, Expm1)
    F32_VECTORIZED(tanh, Tanh)
#undef F32_VECTORIZED
    UNARY(sqrt, std::sqrt(x))
    UNARY(rsqrt, 1.0 / std::sqrt(x))
    UNARY(square, x * x)
    UNARY(abs, std::fabs(x))
    UNARY(sign, x > 0 ? 1.0 : x < 0 ? -1.0 : x == x ? 0.0 : x)
    UNARY(relu, (x > 0 || x != x) ? x : 0.0)
    UNARY(cast, x)
    case kOp_sigmoid:
      if (in[1] == kRoundF32) {
        double e[kBlock];
        for (int64_t i = 0; i < n; i++) e[i] = -std::fabs(a[i]);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // e[0, n) is written just above
        Exp(e, e, n);
#pragma GCC diagnostic pop
        for (int64_t i = 0; i < n; i++) d[i] = a[i] >= 0 ? 1.0 / (1.0 + e[i]) : e[i] / (1.0 + e[i]);
        break;
      }
      for (int64_t i = 0; i < n; i++) {
        const double x = a[i];
        const double e = std::exp(-std::fabs(x));
        d[i] = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      }
      break;
    BINARY(add, x + y)
    BINARY(sub, x - y)
    BINARY(mul, x * y)
    BINARY(div, x / y)
    BINARY(pow, js_pow(x, y))
    BINARY(minimum, js_min(x, y))
    BINARY(maximum, js_max(x, y))
    BINARY(lt, x < y ? 1.0 : 0.0)
    BINARY(le, x <= y ? 1.0 : 0.0)
    BINARY(gt, x > y ? 1.0 : 0.0)
    BINARY(ge, x >= y ? 1.0 : 0.0)
    BINARY(eq, x == y ? 1.0 : 0.0)
    BINARY(ne, x != y ? 1.0 : 0.0)
#undef UNARY
#undef BINARY
    case kOp_where:
      for (int64_t i = 0; i < n; i++) d[i] = a[i] != 0.0 ? b[i] : c[i];
      break;
    case kOpCount: break;
  }
  round_block(static_cast<Round>(in[1]), d, n);
}

// Runs the program over one block of n elements. `load(view, dst, n)` fills a register with
// the view's elements of this block. Registers are regs[r·kBlock …]. The other instructions
// run in the CPU's tier of vmath.h (vec_math().exec).
template <typename Load>
void run_bytecode(const Bytecode& bc, double* regs, int64_t n, Load&& load) {
  const VecMathExecFn exec = vec_math().exec;
  for (int32_t k = 0; k < bc.count; k++) {
    const int32_t* in = bc.code + k * kInstrWords;
    if (in[0] == kOp_load) {
      double* d = regs + in[2] * kBlock;
      load(in[3], d, n);
      round_block(static_cast<Round>(in[1]), d, n);
    } else {
      exec(in, bc.consts, regs, n);
    }
  }
}

// The opcode names in order (for the loader's consistency check).
inline const char* const* opcode_names() {
  static const char* const names[] = {
#define SYMGRAD_NAME(name) #name,
      SYMGRAD_OPCODES(SYMGRAD_NAME)
#undef SYMGRAD_NAME
  };
  return names;
}

}  // namespace symgrad
