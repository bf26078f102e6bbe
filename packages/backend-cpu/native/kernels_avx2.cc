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

void pack_transposed_f32_avx2(const float* col, int64_t ld, int64_t kc, int nr, float* dst) {
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int j = 0; j < nr; j += 8) {
      // Rows r0..r7: depths p..p+7 of columns j..j+7; out i: depth p+i of those columns.
      const float* c0 = col + p + j * ld;
      const __m256 r0 = _mm256_loadu_ps(c0), r1 = _mm256_loadu_ps(c0 + ld);
      const __m256 r2 = _mm256_loadu_ps(c0 + 2 * ld), r3 = _mm256_loadu_ps(c0 + 3 * ld);
      const __m256 r4 = _mm256_loadu_ps(c0 + 4 * ld), r5 = _mm256_loadu_ps(c0 + 5 * ld);
      const __m256 r6 = _mm256_loadu_ps(c0 + 6 * ld), r7 = _mm256_loadu_ps(c0 + 7 * ld);
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
      float* o = dst + p * nr + j;
      _mm256_storeu_ps(o, _mm256_permute2f128_ps(s0, s4, 0x20));
      _mm256_storeu_ps(o + nr, _mm256_permute2f128_ps(s1, s5, 0x20));
      _mm256_storeu_ps(o + 2 * nr, _mm256_permute2f128_ps(s2, s6, 0x20));
      _mm256_storeu_ps(o + 3 * nr, _mm256_permute2f128_ps(s3, s7, 0x20));
      _mm256_storeu_ps(o + 4 * nr, _mm256_permute2f128_ps(s0, s4, 0x31));
      _mm256_storeu_ps(o + 5 * nr, _mm256_permute2f128_ps(s1, s5, 0x31));
      _mm256_storeu_ps(o + 6 * nr, _mm256_permute2f128_ps(s2, s6, 0x31));
      _mm256_storeu_ps(o + 7 * nr, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
  }
  for (; p < kc; p++) {
    for (int j = 0; j < nr; j++) dst[p * nr + j] = col[p + j * ld];
  }
}

KernelSet kernels_avx2() {
  MicroKernel<float> f32{MR, 16, f32_6x16};
  f32.pack_transposed = pack_transposed_f32_avx2;
  return KernelSet{"avx2", f32, {MR, 8, f64_6x8}, {}, {}};
}

}  // namespace symgrad
