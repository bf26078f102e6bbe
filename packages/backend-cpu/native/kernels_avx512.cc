// AVX-512 micro-kernels: 14×32 float32 and 14×16 float64, two zmm columns of B per row of A,
// so 28 accumulators + 2 B vectors + 1 broadcast fill 31 of the 32 zmm registers.
// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma (binding.gyp).
#include <immintrin.h>

#include "gemm.h"

namespace symgrad {
namespace {

constexpr int MR = 14;

// The float32 and float64 vector operations the kernel body is written in.
struct F32 {
  using T = float;
  using V = __m512;
  static constexpr int kLanes = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(T v) { return _mm512_set1_ps(v); }
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  // x > 0 or NaN (not ordered-less-or-equal) keeps x; everything else, -0 included, is +0.
  static V relu(V x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, zero(), _CMP_NLE_UQ), x); }
  // h > 0 (ordered: NaN is not) keeps x, else +0.
  static V mask_positive(V x, V h) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(h, zero(), _CMP_GT_OQ), x); }
};

struct F64 {
  using T = double;
  using V = __m512d;
  static constexpr int kLanes = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V set1(T v) { return _mm512_set1_pd(v); }
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static V relu(V x) { return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, zero(), _CMP_NLE_UQ), x); }
  static V mask_positive(V x, V h) { return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(h, zero(), _CMP_GT_OQ), x); }
};

// C(MR × NV·lanes) = alpha·A·B + beta·C, then the epilogue Epi (gemm.h's Epilogue, reading X's
// row r at x + r·xrs) on the finished tile before it is stored, instead of a second pass.
// NV zmm columns of B per row of A: 2 for the main kernels, 1 for a narrow C (n ≤ 16 float32
// or 8 float64, e.g. the 10 classes of a classifier), which then wastes a third of the work on
// padding instead of two thirds.
// ADirect: A is read straight from its row-major rows (a + r·lda + p) instead of from a packed
// panel, which saves the transposing pack of a row-major A; the FMAs, and so the results, are
// the same either way.
template <typename S, int NV, bool ADirect, int Epi>
void body(int64_t kc, const typename S::T* a, int64_t lda, const typename S::T* bp, typename S::T* c, int64_t rsc,
          typename S::T alpha, typename S::T beta, const typename S::T* x, int64_t xrs) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  V acc[MR][NV];
#pragma GCC unroll 14
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = S::zero();
  for (int64_t p = 0; p < kc; p++) {
    V b[NV];
    for (int v = 0; v < NV; v++) b[v] = S::load(bp + L * v);
    if (!ADirect) _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) {
      const V av = S::set1(ADirect ? a[r * lda + p] : a[r]);
      for (int v = 0; v < NV; v++) acc[r][v] = S::fma(av, b[v], acc[r][v]);
    }
    if (!ADirect) a += MR;
    bp += L * NV;
  }
  const V va = S::set1(alpha);
  const V vb = S::set1(beta);
#pragma GCC unroll 14
  for (int r = 0; r < MR; r++) {
    typename S::T* row = c + r * rsc;
    for (int v = 0; v < NV; v++) {
      V out = S::mul(va, acc[r][v]);
      if (beta != 0) out = S::fma(vb, S::load(row + L * v), out);  // beta = 0 never reads C
      if (Epi == kRelu) out = S::relu(out);
      if (Epi == kMaskPositive) out = S::mask_positive(out, S::load(x + r * xrs + L * v));
      if (Epi == kBias) out = S::add(out, S::load(x + r * xrs + L * v));
      if (Epi == kBiasRelu) out = S::relu(S::add(out, S::load(x + r * xrs + L * v)));
      S::store(row + L * v, out);
    }
  }
}

template <typename S, int NV>
void packed(int64_t kc, const typename S::T* ap, const typename S::T* bp, typename S::T* c, int64_t rsc, typename S::T alpha,
            typename S::T beta) {
  body<S, NV, false, kNone>(kc, ap, 0, bp, c, rsc, alpha, beta, nullptr, 0);
}

template <typename S, int NV>
void direct(int64_t kc, const typename S::T* a, int64_t lda, const typename S::T* bp, typename S::T* c, int64_t rsc,
            typename S::T alpha, typename S::T beta) {
  body<S, NV, true, kNone>(kc, a, lda, bp, c, rsc, alpha, beta, nullptr, 0);
}

template <typename S, int NV>
MicroKernel<typename S::T> micro_kernel(PackTransposedFn<typename S::T> pack_transposed) {
  MicroKernel<typename S::T> k{MR, S::kLanes * NV, packed<S, NV>, direct<S, NV>, pack_transposed};
  k.packed_epilogue[kRelu] = body<S, NV, false, kRelu>;
  k.packed_epilogue[kMaskPositive] = body<S, NV, false, kMaskPositive>;
  k.packed_epilogue[kBias] = body<S, NV, false, kBias>;
  k.packed_epilogue[kBiasRelu] = body<S, NV, false, kBiasRelu>;
  k.direct_epilogue[kRelu] = body<S, NV, true, kRelu>;
  k.direct_epilogue[kMaskPositive] = body<S, NV, true, kMaskPositive>;
  k.direct_epilogue[kBias] = body<S, NV, true, kBias>;
  k.direct_epilogue[kBiasRelu] = body<S, NV, true, kBiasRelu>;
  return k;
}

}  // namespace

KernelSet kernels_avx512() {
  return KernelSet{"avx512", micro_kernel<F32, 2>(pack_transposed_f32_avx2), micro_kernel<F64, 2>(nullptr),
                   micro_kernel<F32, 1>(pack_transposed_f32_avx2), micro_kernel<F64, 1>(nullptr)};
}

}  // namespace symgrad
