// Shared between the four fake CUDA libraries. libcublas.so.13 and libcublasLt.so.13 link
// against the fake libcuda.so.1 (DT_NEEDED), so stream ordering, capture and memory checks
// live in one place: the driver. Nothing here is part of any real CUDA ABI.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

// One unit of work enqueued on a stream. `run` executes it, eagerly or on graph replay, and
// returns 0 or a CUresult to report (700 = CUDA_ERROR_ILLEGAL_ADDRESS for a bad pointer).
struct FakeOp {
  std::string kind;     // log name: "gemm", "ltmatmul", "kernel", ...
  std::string detail;   // log details: "m=7 n=13 ..."
  double costMs = 0.001;  // how far the fake clock advances when it runs (events time this)
  std::function<int()> run;
};

extern "C" {
// Enqueue `op` (ownership taken) on CUstream `stream`: executes it now when the stream is not
// capturing, records it into the capture graph when it is. Returns a CUresult.
int fakecuda_submit(void* stream, FakeOp* op);
// 0 when [p, p + bytes) lies inside one live device allocation, else 700.
int fakecuda_check_range(const void* p, size_t bytes, const char* what);
// Nonzero when the calling thread has a current context (cuCtxSetCurrent).
int fakecuda_has_context(void);
// Nonzero when `stream` is NULL, a legacy/per-thread handle or a live stream.
int fakecuda_stream_valid(void* stream);
}

// Rounds a float to TF32 (10 explicit mantissa bits), as tensor cores read fp32 operands, so
// that a GEMM asked for TF32 visibly loses precision and strict-fp32 tests catch it.
inline float fakecuda_tf32(float x) {
  uint32_t u;
  __builtin_memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  __builtin_memcpy(&x, &u, 4);
  return x;
}

// Column-major D = epilogue(alpha * op(A) * op(B) + beta * C + bias) for one matrix, summed in
// double. beta == 0 never reads C (it may hold NaN, as uninitialized device memory does).
// epilogue bits: 2 = relu, 4 = bias (cublasLtEpilogue_t: RELU_BIAS = 6 = relu after bias).
template <class T>
void fakecuda_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const T* A, int64_t lda,
                   const T* B, int64_t ldb, double beta, const T* C, int64_t ldc, T* D, int64_t ldd, bool tf32,
                   const T* bias, unsigned epilogue) {
  auto rd = [&](T v) -> double { return tf32 ? (double)fakecuda_tf32((float)v) : (double)v; };
  for (int64_t j = 0; j < n; j++)
    for (int64_t i = 0; i < m; i++) {
      double s = 0;
      if (alpha != 0)
        for (int64_t l = 0; l < k; l++) {
          double a = rd(ta ? A[l + i * lda] : A[i + l * lda]);
          double b = rd(tb ? B[j + l * ldb] : B[l + j * ldb]);
          s += a * b;
        }
      double v = alpha * s;
      if (beta != 0) v += beta * (double)C[i + j * ldc];
      if ((epilogue & 4u) && bias) v += (double)bias[i];
      if ((epilogue & 2u) && !(v > 0)) v = 0;
      D[i + j * ldd] = (T)v;
    }
}

// Bytes spanned by a column-major matrix (rows x cols, leading dimension ld) of elemSize, over
// `batch` matrices `stride` elements apart; 0 when empty.
inline size_t fakecuda_extent(int64_t rows, int64_t cols, int64_t ld, int64_t batch, int64_t stride, size_t elemSize) {
  if (rows <= 0 || cols <= 0 || batch <= 0) return 0;
  int64_t last = ld * (cols - 1) + rows;
  int64_t s = stride < 0 ? -stride : stride;
  return (size_t)(last + (batch - 1) * s) * elemSize;
}

// BLAS semantics: the output may not overlap an input it is still reading (a GPU GEMM's tiles
// would race; the host loop would read overwritten values). Returns 700 with a message.
#include <cstdio>
inline int fakecuda_check_overlap(const void* out, size_t outBytes, const void* in, size_t inBytes, const char* what) {
  uintptr_t o = (uintptr_t)out, i = (uintptr_t)in;
  if (!outBytes || !inBytes || o + outBytes <= i || i + inBytes <= o) return 0;
  fprintf(stderr, "fake-cuda: error 700: %s: the output [%p, +%zu) overlaps an input [%p, +%zu)\n", what, out, outBytes, in, inBytes);
  return 700;
}
