// The GEMM interface shared by the driver (gemm.cc), the micro-kernel translation units and
// the N-API binding (addon.cc).
#pragma once

#include <cstdint>

namespace symgrad {

// A register-blocked micro-kernel over packed panels:
//   C(MR×NR) = alpha · Ap(MR×kc) · Bp(kc×NR) + beta · C
// Ap holds kc columns of MR values (p-major), Bp kc rows of NR values. C is row-major with
// row stride rsc and unit column stride. beta == 0 must not read C (it may hold NaN).
template <typename T>
using MicroFn = void (*)(int64_t kc, const T* ap, const T* bp, T* c, int64_t rsc, T alpha, T beta);

// The same product with A read in place from MR rows a + r·lda (unit column stride) instead
// of a packed panel: the same FMAs in the same order, so the same results.
template <typename T>
using DirectFn = void (*)(int64_t kc, const T* a, int64_t lda, const T* bp, T* c, int64_t rsc, T alpha, T beta);

// Epilogues applied to C once its last K block is stored, while the tile is in L1 (the
// fused activations of a layer and of its backward pass; anything else runs as one
// elementwise pass afterwards). X is the aux matrix: relu's output for the mask, the bias
// (row stride 0) for the bias epilogues.
enum Epilogue : int {
  kNone = 0,
  kRelu = 1,          // C = C > 0 || C is NaN ? C : +0
  kMaskPositive = 2,  // C = X > 0 ? C : +0
  kBias = 3,          // C = C + X
  kBiasRelu = 4,      // C = relu(C + X)
};
constexpr int kEpilogues = 5;

// Whether the epilogue reads the aux matrix X.
inline bool epilogue_reads_aux(int e) { return e == kMaskPositive || e == kBias || e == kBiasRelu; }

// A micro-kernel that applies an epilogue to its tile before storing it; X's row r of the
// tile is x + r·xrs (unit column stride). lda is unused for a packed A.
template <typename T>
using EpilogueFn = void (*)(int64_t kc, const T* a, int64_t lda, const T* bp, T* c, int64_t rsc, T alpha, T beta, const T* x,
                            int64_t xrs);

// Packs one full NR-column panel of an op(B) stored column-contiguous (B transposed):
// dst[p·nr + j] = col[p + j·ld] for p < kc, j < nr. A transpose, vectorized where the tier can.
template <typename T>
using PackTransposedFn = void (*)(const T* col, int64_t ld, int64_t kc, int nr, T* dst);

template <typename T>
struct MicroKernel {
  int mr;
  int nr;
  MicroFn<T> fn;
  DirectFn<T> direct = nullptr;  // null where the tier has none: A is then always packed
  PackTransposedFn<T> pack_transposed = nullptr;  // null: the driver's scalar loop
  // fn (packed A) and direct (A in place) with an epilogue applied to the finished tile before
  // it is stored, indexed by Epilogue (null: the driver applies it in a pass over the tile).
  EpilogueFn<T> packed_epilogue[kEpilogues] = {};
  EpilogueFn<T> direct_epilogue[kEpilogues] = {};
};

// The AVX2 8×8-block transposing pack for float32 panels of NR a multiple of 8; the AVX-512
// tier uses it too.
void pack_transposed_f32_avx2(const float* col, int64_t ld, int64_t kc, int nr, float* dst);

// One instruction-set tier: its name and its float32/float64 kernels, and optionally
// narrower ones (fn null when absent) for a C at most their NR wide.
struct KernelSet {
  const char* isa;
  MicroKernel<float> f32;
  MicroKernel<double> f64;
  MicroKernel<float> f32_narrow;
  MicroKernel<double> f64_narrow;
};

// Each tier lives in its own translation unit compiled with that tier's -m flags, so the
// baseline code never executes an instruction the CPU lacks; gemm.cc picks one at run time.
KernelSet kernels_generic();
KernelSet kernels_avx2();    // requires AVX2 + FMA
KernelSet kernels_avx512();  // requires AVX-512 F/BW/DQ/VL



// op(A)(i, p) = a[i·ars + p·acs], op(B)(p, j) = b[p·brs + j·bcs], C(i, j) = c[i·crs + j·ccs],
// X(i, j) = aux[i·xrs + j·xcs].
template <typename T>
struct GemmArgs {
  int64_t m, n, k;
  const T* a;
  int64_t ars, acs;
  const T* b;
  int64_t brs, bcs;
  T* c;
  int64_t crs, ccs;
  T alpha, beta;
  int epilogue;
  const T* aux;
  int64_t xrs, xcs;
  // Optional: op(B) packed once and kept by the caller (packed_b_size elements). When
  // packed_fresh, it already holds op(B)'s panels and packing is skipped; otherwise this call
  // packs into it. Only for a single matrix (count 1).
  T* packed = nullptr;
  bool packed_fresh = false;
};

// Elements of a kept packed op(B) (k×n) for the active tier: its panels padded to whole NR.
template <typename T>
int64_t packed_b_size(int64_t n, int64_t k);

// C = alpha·op(A)·op(B) + beta·C for `count` matrices whose base pointers are offset by
// offsets[4t], offsets[4t+1], offsets[4t+2], offsets[4t+3] elements (A, B, C and aux of batch t),
// then the epilogue. Multithreaded on the shared pool; the result does not depend on the
// number of threads.
template <typename T>
void gemm_batched(const GemmArgs<T>& args, const int64_t* offsets, int64_t count);

// Which tier gemm_batched uses: "avx512", "avx2" or "generic".
const char* active_isa();
// The pool's size, and resizing it (tests compare 1 and 2 threads).
int num_threads();
void set_num_threads(int n);
// Forces a tier (for tests); returns false if this CPU cannot run it.
bool set_isa(const char* name);

}  // namespace symgrad
