// The CUDA device environment as host C++: the fake NVRTC (fake_nvrtc.cc) compiles a program's
// CUDA C with the host compiler, `-include`-ing this file first, into a shared object that the
// fake driver loads and runs (fake_driver_kernels.cc). Every simulated CUDA thread of a block is
// a fiber on one OS thread; barriers (__syncthreads, warp shuffles, __syncwarp) suspend the
// fiber until the barrier opens, so code between two barriers runs without interruption.
//
// Deliberately includes no system header: NVRTC has none either (code that needs one fails
// here as it would there), and parsing <cmath> would triple the time of every compile. The
// math functions are declared below; the host libm implements them (glibc's float functions
// are within 1 ulp, CUDA's within 2: compare results with a tolerance, never bit for bit).
#pragma once
#include "simt_abi.h"

// What NVRTC defines when it compiles device code, so the generated preludes take their CUDA
// branches (e.g. __umulhi in random-prelude.ts, __int_as_float in render-cuda.ts).
#define __CUDACC__ 1
#define __CUDACC_RTC__ 1
#define __CUDA_ARCH__ 900

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __grid_constant__
#define __managed__
#define __constant__ static
// One block runs at a time and its threads are fibers of one OS thread, so a function-static
// array is exactly one block's shared memory. (Dynamic `extern __shared__` is unsupported.)
#define __shared__ static

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef FakeSimtDim3 uint3;
typedef FakeSimtDim3 dim3;

extern "C" {
__attribute__((visibility("default"))) FakeSimtState fakesimt_state = {FAKESIMT_ABI, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, 0, 0, 0, 0};
}
#define threadIdx (fakesimt_state.threadIdx)
#define blockIdx (fakesimt_state.blockIdx)
#define blockDim (fakesimt_state.blockDim)
#define gridDim (fakesimt_state.gridDim)
static const int warpSize = 32;

// ---- barriers and warp exchange ------------------------------------------------------------
// The hooks are calls through pointers the compiler cannot see into, so it reloads threadIdx,
// shared arrays and global memory after each barrier, as CUDA's memory model requires.
inline void __syncthreads() { fakesimt_state.syncthreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { fakesimt_state.syncwarp(); }
inline void __threadfence() {}
inline void __threadfence_block() {}
inline unsigned __activemask() { return 0xffffffffu; }

inline unsigned fakesimt_lane() { return fakesimt_state.linear & 31u; }
inline unsigned fakesimt_block_threads() { return blockDim.x * blockDim.y * blockDim.z; }

// Every lane publishes v in its slot, the warp meets, each lane reads lane `src`'s slot (its own
// value where that lane does not exist), and the warp meets again before any slot is reused.
template <typename T>
inline T fakesimt_exchange(T v, unsigned src) {
  static_assert(sizeof(T) <= 8, "warp shuffles of types wider than 8 bytes are not emulated");
  const unsigned me = fakesimt_state.linear, base = me & ~31u;
  unsigned long long* ex = fakesimt_state.exchange;
  unsigned long long mine = 0, got;
  __builtin_memcpy(&mine, &v, sizeof(T));
  ex[me] = mine;
  fakesimt_state.syncwarp();
  got = base + src < fakesimt_block_threads() ? ex[base + src] : mine;
  fakesimt_state.syncwarp();
  T r;
  __builtin_memcpy(&r, &got, sizeof(T));
  return r;
}
// Source lanes as the CUDA Programming Guide defines them for each variant and width.
template <typename T>
inline T __shfl_sync(unsigned, T v, int srcLane, int width = 32) {
  const unsigned w = (unsigned)width, lane = fakesimt_lane();
  return fakesimt_exchange(v, (lane & ~(w - 1)) + ((unsigned)srcLane & (w - 1)));
}
template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int laneMask, int width = 32) {
  const unsigned w = (unsigned)width, lane = fakesimt_lane(), src = lane ^ (unsigned)laneMask;
  return fakesimt_exchange(v, src >= (lane & ~(w - 1)) + w ? lane : src);
}
template <typename T>
inline T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  const unsigned w = (unsigned)width, lane = fakesimt_lane();
  return fakesimt_exchange(v, (lane & (w - 1)) + delta >= w ? lane : lane + delta);
}
template <typename T>
inline T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
  const unsigned w = (unsigned)width, lane = fakesimt_lane();
  return fakesimt_exchange(v, (lane & (w - 1)) < delta ? lane : lane - delta);
}
// Lanes past the end of a partial warp do not exist: their bits are 0.
inline unsigned __ballot_sync(unsigned, int pred) {
  const unsigned me = fakesimt_state.linear, base = me & ~31u, n = fakesimt_block_threads() - base;
  unsigned long long* ex = fakesimt_state.exchange;
  ex[me] = pred ? 1u : 0u;
  fakesimt_state.syncwarp();
  unsigned bits = 0;
  for (unsigned l = 0; l < 32 && l < n; l++) bits |= (unsigned)(ex[base + l] & 1u) << l;
  fakesimt_state.syncwarp();
  return bits;
}
inline int __any_sync(unsigned m, int pred) { return __ballot_sync(m, pred) != 0; }
inline int __all_sync(unsigned m, int pred) {
  const unsigned n = fakesimt_block_threads() - (fakesimt_state.linear & ~31u);
  const unsigned live = n >= 32 ? 0xffffffffu : (1u << n) - 1u;
  return __ballot_sync(m, pred) == live;
}

// ---- atomics: a fiber is never interrupted between the read and the write -----------------
#define FAKESIMT_ATOMIC(NAME, T, NEW) \
  inline T NAME(T* a, T v) { const T o = *a; *a = (NEW); return o; }
// Integer adds wrap modulo 2^bits as the device's do (a signed overflow in C++ would be undefined).
#define FAKESIMT_ATOMICS(T)                                                         \
  FAKESIMT_ATOMIC(atomicAdd, T, (T)((unsigned long long)o + (unsigned long long)v)) \
  FAKESIMT_ATOMIC(atomicExch, T, v)                                                 \
  FAKESIMT_ATOMIC(atomicMin, T, v < o ? v : o)                                      \
  FAKESIMT_ATOMIC(atomicMax, T, v > o ? v : o)                                      \
  inline T atomicCAS(T* a, T cmp, T v) { const T o = *a; if (o == cmp) *a = v; return o; }
FAKESIMT_ATOMICS(int)
FAKESIMT_ATOMICS(unsigned)
FAKESIMT_ATOMICS(unsigned long long)
FAKESIMT_ATOMICS(long long)
FAKESIMT_ATOMIC(atomicAdd, float, o + v)
FAKESIMT_ATOMIC(atomicAdd, double, o + v)
FAKESIMT_ATOMIC(atomicExch, float, v)
FAKESIMT_ATOMIC(atomicSub, int, (int)((unsigned)o - (unsigned)v))
FAKESIMT_ATOMIC(atomicSub, unsigned, o - v)
FAKESIMT_ATOMIC(atomicAnd, int, o & v)
FAKESIMT_ATOMIC(atomicOr, int, o | v)
FAKESIMT_ATOMIC(atomicXor, int, o ^ v)
FAKESIMT_ATOMIC(atomicAnd, unsigned, o & v)
FAKESIMT_ATOMIC(atomicOr, unsigned, o | v)
FAKESIMT_ATOMIC(atomicXor, unsigned, o ^ v)
FAKESIMT_ATOMIC(atomicInc, unsigned, o >= v ? 0u : o + 1u)
FAKESIMT_ATOMIC(atomicDec, unsigned, (o == 0u || o > v) ? v : o - 1u)

// ---- math ---------------------------------------------------------------------------------
extern "C" {
#define FAKESIMT_UNARY(F) float F##f(float); double F(double);
#define FAKESIMT_BINARY(F) float F##f(float, float); double F(double, double);
FAKESIMT_UNARY(exp) FAKESIMT_UNARY(exp2) FAKESIMT_UNARY(exp10) FAKESIMT_UNARY(expm1) FAKESIMT_UNARY(log)
FAKESIMT_UNARY(log2) FAKESIMT_UNARY(log10) FAKESIMT_UNARY(log1p) FAKESIMT_UNARY(sqrt) FAKESIMT_UNARY(cbrt)
FAKESIMT_UNARY(sin) FAKESIMT_UNARY(cos) FAKESIMT_UNARY(tan) FAKESIMT_UNARY(asin) FAKESIMT_UNARY(acos)
FAKESIMT_UNARY(atan) FAKESIMT_UNARY(sinh) FAKESIMT_UNARY(cosh) FAKESIMT_UNARY(tanh) FAKESIMT_UNARY(asinh)
FAKESIMT_UNARY(acosh) FAKESIMT_UNARY(atanh) FAKESIMT_UNARY(fabs) FAKESIMT_UNARY(floor) FAKESIMT_UNARY(ceil)
FAKESIMT_UNARY(trunc) FAKESIMT_UNARY(round) FAKESIMT_UNARY(rint) FAKESIMT_UNARY(nearbyint) FAKESIMT_UNARY(erf)
FAKESIMT_UNARY(erfc) FAKESIMT_UNARY(lgamma) FAKESIMT_UNARY(tgamma) FAKESIMT_UNARY(logb)
FAKESIMT_BINARY(pow) FAKESIMT_BINARY(atan2) FAKESIMT_BINARY(fmod) FAKESIMT_BINARY(remainder) FAKESIMT_BINARY(fmin)
FAKESIMT_BINARY(fmax) FAKESIMT_BINARY(fdim) FAKESIMT_BINARY(hypot) FAKESIMT_BINARY(copysign) FAKESIMT_BINARY(nextafter)
float fmaf(float, float, float);
double fma(double, double, double);
float ldexpf(float, int);
double ldexp(double, int);
void sincosf(float, float*, float*);
void sincos(double, double*, double*);
int printf(const char*, ...);
#undef FAKESIMT_UNARY
#undef FAKESIMT_BINARY
}
// CUDA's float overloads of the double names (exp(1.0f) is a float), as its math headers declare.
#define FAKESIMT_OVERLOAD1(F) inline float F(float x) { return F##f(x); }
#define FAKESIMT_OVERLOAD2(F) inline float F(float x, float y) { return F##f(x, y); }
FAKESIMT_OVERLOAD1(exp) FAKESIMT_OVERLOAD1(exp2) FAKESIMT_OVERLOAD1(expm1) FAKESIMT_OVERLOAD1(log)
FAKESIMT_OVERLOAD1(log2) FAKESIMT_OVERLOAD1(log10) FAKESIMT_OVERLOAD1(log1p) FAKESIMT_OVERLOAD1(sqrt)
FAKESIMT_OVERLOAD1(cbrt) FAKESIMT_OVERLOAD1(sin) FAKESIMT_OVERLOAD1(cos) FAKESIMT_OVERLOAD1(tan)
FAKESIMT_OVERLOAD1(tanh) FAKESIMT_OVERLOAD1(fabs) FAKESIMT_OVERLOAD1(floor) FAKESIMT_OVERLOAD1(ceil)
FAKESIMT_OVERLOAD1(trunc) FAKESIMT_OVERLOAD1(round) FAKESIMT_OVERLOAD1(erf)
FAKESIMT_OVERLOAD2(pow) FAKESIMT_OVERLOAD2(fmod) FAKESIMT_OVERLOAD2(fmin) FAKESIMT_OVERLOAD2(fmax)
FAKESIMT_OVERLOAD2(atan2) FAKESIMT_OVERLOAD2(copysign)
#undef FAKESIMT_OVERLOAD1
#undef FAKESIMT_OVERLOAD2

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float rcbrtf(float x) { return 1.0f / cbrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return exp10f(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline void __sincosf(float x, float* s, float* c) { sincosf(x, s, c); }
inline float __fdividef(float x, float y) { return x / y; }
inline float fdividef(float x, float y) { return x / y; }
inline float __saturatef(float x) { return x > 1.0f ? 1.0f : x > 0.0f ? x : 0.0f; }
inline float normcdff(float x) { return 0.5f * erfcf(-x * 0.70710678118654752f); }
inline double normcdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); }
// Correctly rounded IEEE operations, as on the host by default (-ffp-contract=off: no fusing).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __drcp_rn(double a) { return 1.0 / a; }
inline double __dsqrt_rn(double a) { return sqrt(a); }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }

// sin(πx) and cos(πx), with the argument reduced exactly (x − q/2 is exact in double for any
// float x and any |x| < 2^52) so that whole and half turns give exact zeros and ones, as
// CUDA's sincospi does; the reduced angle is within π/4, where libm is accurate.
inline void fakesimt_sincospi(double x, double* s, double* c) {
  if (!(x - x == 0)) { *s = *c = x - x; return; }  // NaN or ±∞: NaN
  const double q = nearbyint(2.0 * x), r = x - 0.5 * q;
  const double a = 3.14159265358979323846 * r, sa = sin(a), ca = cos(a);
  const long long k = (long long)fmod(q, 4.0) & 3;
  *s = k == 0 ? sa : k == 1 ? ca : k == 2 ? -sa : -ca;
  *c = k == 0 ? ca : k == 1 ? -sa : k == 2 ? -ca : sa;
  if (*s == 0) *s = copysign(0.0, x);  // sinpi(±n) = ±0
}
inline void sincospi(double x, double* s, double* c) { fakesimt_sincospi(x, s, c); }
inline void sincospif(float x, float* s, float* c) {
  double sd, cd;
  fakesimt_sincospi(x, &sd, &cd);
  *s = (float)sd;
  *c = (float)cd;
}
inline double sinpi(double x) { double s, c; fakesimt_sincospi(x, &s, &c); return s; }
inline double cospi(double x) { double s, c; fakesimt_sincospi(x, &s, &c); return c; }
inline float sinpif(float x) { return (float)sinpi(x); }
inline float cospif(float x) { return (float)cospi(x); }

inline bool isnan(float x) { return x != x; }
inline bool isnan(double x) { return x != x; }
inline bool isinf(float x) { return x - x != 0 && x == x; }
inline bool isinf(double x) { return x - x != 0 && x == x; }
inline bool isfinite(float x) { return x - x == 0; }
inline bool isfinite(double x) { return x - x == 0; }
inline bool signbit(float x) { return __builtin_signbit(x); }
inline bool signbit(double x) { return __builtin_signbit(x); }

#define FAKESIMT_MINMAX(T) \
  inline T min(T a, T b) { return a < b ? a : b; } \
  inline T max(T a, T b) { return a > b ? a : b; }
FAKESIMT_MINMAX(int) FAKESIMT_MINMAX(unsigned) FAKESIMT_MINMAX(long long) FAKESIMT_MINMAX(unsigned long long)
#undef FAKESIMT_MINMAX
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline int abs(int x) { return x < 0 ? -x : x; }
inline long long llabs(long long x) { return x < 0 ? -x : x; }
inline float abs(float x) { return fabsf(x); }
inline double abs(double x) { return fabs(x); }

// ---- bit intrinsics -------------------------------------------------------------------------
template <typename To, typename From>
inline To fakesimt_bits(From v) { static_assert(sizeof(To) == sizeof(From), "size"); To r; __builtin_memcpy(&r, &v, sizeof r); return r; }
inline float __int_as_float(int v) { return fakesimt_bits<float>(v); }
inline float __uint_as_float(unsigned v) { return fakesimt_bits<float>(v); }
inline int __float_as_int(float v) { return fakesimt_bits<int>(v); }
inline unsigned __float_as_uint(float v) { return fakesimt_bits<unsigned>(v); }
inline double __longlong_as_double(long long v) { return fakesimt_bits<double>(v); }
inline long long __double_as_longlong(double v) { return fakesimt_bits<long long>(v); }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) { return (unsigned long long)(((unsigned __int128)a * b) >> 64); }
inline long long __mul64hi(long long a, long long b) { return (long long)(((__int128)a * b) >> 64); }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __clz(int v) { return v ? __builtin_clz((unsigned)v) : 32; }
inline int __clzll(long long v) { return v ? __builtin_clzll((unsigned long long)v) : 64; }
inline int __ffs(int v) { return __builtin_ffs(v); }
inline int __ffsll(long long v) { return __builtin_ffsll(v); }
inline unsigned __brev(unsigned v) { unsigned r = 0; for (int i = 0; i < 32; i++) r |= ((v >> i) & 1u) << (31 - i); return r; }
inline int __float2int_rz(float x) { return (int)x; }
inline int __double2int_rz(double x) { return (int)x; }
inline int __float2int_rn(float x) { return (int)nearbyintf(x); }
inline float __int2float_rn(int x) { return (float)x; }
template <typename T>
inline T __ldg(const T* p) { return *p; }

// ---- kernel entry points (the fake NVRTC appends one pair per extern "C" kernel) -----------
template <unsigned... I> struct FakeSimtSeq {};
template <unsigned N, unsigned... I> struct FakeSimtMakeSeq : FakeSimtMakeSeq<N - 1, N - 1, I...> {};
template <unsigned... I> struct FakeSimtMakeSeq<0, I...> { typedef FakeSimtSeq<I...> type; };
template <typename T> struct FakeSimtIsPointer { enum { value = 0 }; };
template <typename T> struct FakeSimtIsPointer<T*> { enum { value = 1 }; };

template <typename... A, unsigned... I>
inline void fakesimt_call_seq(void (*f)(A...), void** p, FakeSimtSeq<I...>) { f(*static_cast<A*>(p[I])...); }
// Calls the kernel with each argument read from the launch's params array, by its own type.
template <typename... A>
inline void fakesimt_call(void (*f)(A...), void** p) { fakesimt_call_seq(f, p, typename FakeSimtMakeSeq<sizeof...(A)>::type()); }
template <typename... A>
inline int fakesimt_describe(void (*)(A...), unsigned* sizes, unsigned* pointers, int max) {
  const unsigned s[] = {0u, (unsigned)sizeof(A)...}, q[] = {0u, (unsigned)FakeSimtIsPointer<A>::value...};
  for (int i = 0; i < (int)sizeof...(A) && i < max; i++) { sizes[i] = s[i + 1]; pointers[i] = q[i + 1]; }
  return (int)sizeof...(A);
}
#define FAKESIMT_KERNEL(NAME)                                                                           \
  extern "C" __attribute__((visibility("default"))) void fakesimt_entry_##NAME(void** p) { fakesimt_call(NAME, p); } \
  extern "C" __attribute__((visibility("default"))) int fakesimt_params_##NAME(unsigned* s, unsigned* q, int max) { \
    return fakesimt_describe(NAME, s, q, max);                                                          \
  }
