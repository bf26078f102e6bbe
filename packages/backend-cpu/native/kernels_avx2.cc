// AVX2 + FMA micro-kernels: 6×16 float32 and 6×8 float64 (12 ymm accumulators + 2 B vectors
// + 1 broadcast of the 16 ymm registers). Compiled with -mavx2 -mfma (binding.gyp).
#include <immintrin.h>

#include "gemm.h"

namespace symgrad {
namespace {

constexpr int MR = 6;

void f32_6x16(int64_t kc, const float* ap, const float* bp, float* c, int64_t rsc, float alpha, float beta) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(bp);
    const __m256 b1 = _mm256_loadu_ps(bp + 8);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 a = _mm256_broadcast_ss(ap + r);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
    ap += MR;
    bp += 16;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    float* row = c + r * rsc;
    __m256 x0 = _mm256_mul_ps(va, acc[r][0]);
    __m256 x1 = _mm256_mul_ps(va, acc[r][1]);
    if (beta != 0.0f) {
      x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), x0);
      x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), x1);
    }
    _mm256_storeu_ps(row, x0);
    _mm256_storeu_ps(row + 8, x1);
  }
}

void f64_6x8(int64_t kc, const double* ap, const double* bp, double* c, int64_t rsc, double alpha, double beta) {
  __m256d acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_pd();
  for (int64_t p = 0; p < kc; p++) {
    const __m256d b0 = _mm256_loadu_pd(bp);
    const __m256d b1 = _mm256_loadu_pd(bp + 4);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256d a = _mm256_broadcast_sd(ap + r);
      acc[r][0] = _mm256_fmadd_pd(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_pd(a, b1, acc[r][1]);
    }
    ap += MR;
    bp += 8;
  }
  const __m256d va = _mm256_set1_pd(alpha);
  const __m256d vb = _mm256_set1_pd(beta);
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    double* row = c + r * rsc;
    __m256d x0 = _mm256_mul_pd(va, acc[r][0]);
    __m256d x1 = _mm256_mul_pd(va, acc[r][1]);
    if (beta != 0.0) {
      x0 = _mm256_fmadd_pd(vb, _mm256_loadu_pd(row), x0);
      x1 = _mm256_fmadd_pd(vb, _mm256_loadu_pd(row + 4), x1);
    }
    _mm256_storeu_pd(row, x0);
    _mm256_storeu_pd(row + 4, x1);
  }
}

}  // namespace

KernelSet kernels_avx2() {
  return KernelSet{"avx2", {MR, 16, f32_6x16}, {MR, 8, f64_6x8}, {}, {}};
}

}  // namespace symgrad
