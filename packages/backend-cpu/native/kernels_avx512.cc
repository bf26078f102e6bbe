// AVX-512 micro-kernels: 14×32 float32 and 14×16 float64, two zmm columns of B per row of A,
// so 28 accumulators + 2 B vectors + 1 broadcast fill 31 of the 32 zmm registers.
// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma (binding.gyp).
#include <immintrin.h>

#include "gemm.h"

namespace symgrad {
namespace {

constexpr int MR = 14;

// NV zmm columns of B per row of A: 2 for the main kernels, 1 for a narrow C (n ≤ 16
// float32 or 8 float64, e.g. the 10 classes of a classifier), which then wastes a third of
// the work on padding instead of two thirds.
// ADirect: A is read straight from its row-major rows (a + r·lda + p) instead of from a
// packed panel, which saves the transposing pack of a row-major A; the FMAs, and so the
// results, are the same either way.
// Relu: the relu epilogue applied to the tile before it is stored (NaN passes, -0 becomes +0),
// instead of in a second pass over C.
template <int NV, bool ADirect, bool Relu = false>
void f32_body(int64_t kc, const float* a, int64_t lda, const float* bp, float* c, int64_t rsc, float alpha, float beta) {
  __m512 acc[MR][NV];
#pragma GCC unroll 14
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    __m512 b[NV];
    for (int v = 0; v < NV; v++) b[v] = _mm512_loadu_ps(bp + 16 * v);
    if (!ADirect) _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      const __m512 av = _mm512_set1_ps(ADirect ? a[r * lda + p] : a[r]);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, b[v], acc[r][v]);
    }
    if (!ADirect) a += MR;
    bp += 16 * NV;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  // x > 0 or NaN (not ordered-less-or-equal) keeps x; everything else, -0 included, is +0.
  const auto out = [](__m512 x) { return Relu ? _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NLE_UQ), x) : x; };
  if (beta == 0.0f) {
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) _mm512_storeu_ps(c + r * rsc + 16 * v, out(_mm512_mul_ps(va, acc[r][v])));
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      float* row = c + r * rsc;
      for (int v = 0; v < NV; v++) {
        _mm512_storeu_ps(row + 16 * v, out(_mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16 * v), _mm512_mul_ps(va, acc[r][v]))));
      }
    }
  }
}

template <int NV>
void f32_kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t rsc, float alpha, float beta) {
  f32_body<NV, false>(kc, ap, 0, bp, c, rsc, alpha, beta);
}

template <int NV>
void f32_direct(int64_t kc, const float* a, int64_t lda, const float* bp, float* c, int64_t rsc, float alpha, float beta) {
  f32_body<NV, true>(kc, a, lda, bp, c, rsc, alpha, beta);
}

template <int NV>
void f32_kernel_relu(int64_t kc, const float* ap, const float* bp, float* c, int64_t rsc, float alpha, float beta) {
  f32_body<NV, false, true>(kc, ap, 0, bp, c, rsc, alpha, beta);
}

template <int NV>
void f32_direct_relu(int64_t kc, const float* a, int64_t lda, const float* bp, float* c, int64_t rsc, float alpha, float beta) {
  f32_body<NV, true, true>(kc, a, lda, bp, c, rsc, alpha, beta);
}

template <int NV, bool ADirect, bool Relu = false>
void f64_body(int64_t kc, const double* a, int64_t lda, const double* bp, double* c, int64_t rsc, double alpha, double beta) {
  __m512d acc[MR][NV];
#pragma GCC unroll 14
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_pd();
  for (int64_t p = 0; p < kc; p++) {
    __m512d b[NV];
    for (int v = 0; v < NV; v++) b[v] = _mm512_loadu_pd(bp + 8 * v);
    if (!ADirect) _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      const __m512d av = _mm512_set1_pd(ADirect ? a[r * lda + p] : a[r]);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_pd(av, b[v], acc[r][v]);
    }
    if (!ADirect) a += MR;
    bp += 8 * NV;
  }
  const __m512d va = _mm512_set1_pd(alpha);
  // x > 0 or NaN (not ordered-less-or-equal) keeps x; everything else, -0 included, is +0.
  const auto out = [](__m512d x) { return Relu ? _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_NLE_UQ), x) : x; };
  if (beta == 0.0) {
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) _mm512_storeu_pd(c + r * rsc + 8 * v, out(_mm512_mul_pd(va, acc[r][v])));
  } else {
    const __m512d vb = _mm512_set1_pd(beta);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      double* row = c + r * rsc;
      for (int v = 0; v < NV; v++) {
        _mm512_storeu_pd(row + 8 * v, out(_mm512_fmadd_pd(vb, _mm512_loadu_pd(row + 8 * v), _mm512_mul_pd(va, acc[r][v]))));
      }
    }
  }
}

template <int NV>
void f64_kernel(int64_t kc, const double* ap, const double* bp, double* c, int64_t rsc, double alpha, double beta) {
  f64_body<NV, false>(kc, ap, 0, bp, c, rsc, alpha, beta);
}

template <int NV>
void f64_direct(int64_t kc, const double* a, int64_t lda, const double* bp, double* c, int64_t rsc, double alpha, double beta) {
  f64_body<NV, true>(kc, a, lda, bp, c, rsc, alpha, beta);
}

template <int NV>
void f64_kernel_relu(int64_t kc, const double* ap, const double* bp, double* c, int64_t rsc, double alpha, double beta) {
  f64_body<NV, false, true>(kc, ap, 0, bp, c, rsc, alpha, beta);
}

template <int NV>
void f64_direct_relu(int64_t kc, const double* a, int64_t lda, const double* bp, double* c, int64_t rsc, double alpha, double beta) {
  f64_body<NV, true, true>(kc, a, lda, bp, c, rsc, alpha, beta);
}

}  // namespace

KernelSet kernels_avx512() {
  return KernelSet{"avx512",
                   {MR, 32, f32_kernel<2>, f32_direct<2>, pack_transposed_f32_avx2, f32_kernel_relu<2>, f32_direct_relu<2>},
                   {MR, 16, f64_kernel<2>, f64_direct<2>, nullptr, f64_kernel_relu<2>, f64_direct_relu<2>},
                   {MR, 16, f32_kernel<1>, f32_direct<1>, pack_transposed_f32_avx2, f32_kernel_relu<1>, f32_direct_relu<1>},
                   {MR, 8, f64_kernel<1>, f64_direct<1>, nullptr, f64_kernel_relu<1>, f64_direct_relu<1>}};
}

}  // namespace symgrad
