// AVX-512 micro-kernels: 14×32 float32 and 14×16 float64, two zmm columns of B per row of A,
// so 28 accumulators + 2 B vectors + 1 broadcast fill 31 of the 32 zmm registers.
// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma (binding.gyp).
#include <immintrin.h>

#include "gemm.h"

namespace symgrad {
namespace {

constexpr int MR = 14;

void f32_14x32(int64_t kc, const float* ap, const float* bp, float* c, int64_t rsc, float alpha, float beta) {
  __m512 acc[MR][2];
#pragma GCC unroll 14
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(bp);
    const __m512 b1 = _mm512_loadu_ps(bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(ap + 8 * MR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      const __m512 a = _mm512_set1_ps(ap[r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
    ap += MR;
    bp += 32;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  if (beta == 0.0f) {
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      _mm512_storeu_ps(c + r * rsc, _mm512_mul_ps(va, acc[r][0]));
      _mm512_storeu_ps(c + r * rsc + 16, _mm512_mul_ps(va, acc[r][1]));
    }
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      float* row = c + r * rsc;
      _mm512_storeu_ps(row, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row), _mm512_mul_ps(va, acc[r][0])));
      _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16), _mm512_mul_ps(va, acc[r][1])));
    }
  }
}

void f64_14x16(int64_t kc, const double* ap, const double* bp, double* c, int64_t rsc, double alpha, double beta) {
  __m512d acc[MR][2];
#pragma GCC unroll 14
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_pd();
  for (int64_t p = 0; p < kc; p++) {
    const __m512d b0 = _mm512_loadu_pd(bp);
    const __m512d b1 = _mm512_loadu_pd(bp + 8);
    _mm_prefetch(reinterpret_cast<const char*>(ap + 8 * MR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      const __m512d a = _mm512_set1_pd(ap[r]);
      acc[r][0] = _mm512_fmadd_pd(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_pd(a, b1, acc[r][1]);
    }
    ap += MR;
    bp += 16;
  }
  const __m512d va = _mm512_set1_pd(alpha);
  if (beta == 0.0) {
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      _mm512_storeu_pd(c + r * rsc, _mm512_mul_pd(va, acc[r][0]));
      _mm512_storeu_pd(c + r * rsc + 8, _mm512_mul_pd(va, acc[r][1]));
    }
  } else {
    const __m512d vb = _mm512_set1_pd(beta);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      double* row = c + r * rsc;
      _mm512_storeu_pd(row, _mm512_fmadd_pd(vb, _mm512_loadu_pd(row), _mm512_mul_pd(va, acc[r][0])));
      _mm512_storeu_pd(row + 8, _mm512_fmadd_pd(vb, _mm512_loadu_pd(row + 8), _mm512_mul_pd(va, acc[r][1])));
    }
  }
}

}  // namespace

KernelSet kernels_avx512() {
  return KernelSet{"avx512", {MR, 32, f32_14x32}, {MR, 16, f64_14x16}};
}

}  // namespace symgrad
