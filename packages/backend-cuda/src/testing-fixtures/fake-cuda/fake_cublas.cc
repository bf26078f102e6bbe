// Fake libcublas.so.13: cublas{S,D}gemm_v2 and *StridedBatched computed on the host,
// column-major C = alpha * op(A) * op(B) + beta * C, enqueued on the handle's stream through
// the fake driver (so they are captured when that stream is capturing). Arguments are checked
// as the cuBLAS docs list (CUBLAS_STATUS_INVALID_VALUE for m, n, k < 0, bad op, lda/ldb/ldc too
// small, ...); alpha and beta are read when the call is made (host pointer mode), as cuBLAS
// does. CUBLAS_TF32_TENSOR_OP_MATH rounds fp32 operands to TF32.
#include "fake_internal.h"

#include <algorithm>
#include <cstdio>
#include <string>

typedef int cublasStatus_t;
namespace {
enum : int { OK = 0, NOT_INITIALIZED = 1, ALLOC_FAILED = 3, INVALID_VALUE = 7, EXECUTION_FAILED = 13, NOT_SUPPORTED = 15 };
struct Handle {
  int magic = 0xB1A5;
  void* stream = nullptr;
  int math = 0;
  void* workspace = nullptr;
  size_t workspaceBytes = 0;
};
bool valid(Handle* h) { return h && h->magic == 0xB1A5; }
const char* opName(int op) { return op == 0 ? "N" : "T"; }

template <class T>
cublasStatus_t gemm(Handle* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* A, int lda, long long sA,
                    const T* B, int ldb, long long sB, const T* beta, T* C, int ldc, long long sC, int batch, bool batched) {
  if (!valid(h)) return NOT_INITIALIZED;
  if (ta < 0 || ta > 2 || tb < 0 || tb > 2 || m < 0 || n < 0 || k < 0 || batch < 0) return INVALID_VALUE;
  if (lda < std::max(1, ta == 0 ? m : k) || ldb < std::max(1, tb == 0 ? k : n) || ldc < std::max(1, m)) {
    fprintf(stderr, "fake-cublas: invalid leading dimension (m=%d n=%d k=%d lda=%d ldb=%d ldc=%d)\n", m, n, k, lda, ldb, ldc);
    return INVALID_VALUE;
  }
  if (!alpha || !beta) return INVALID_VALUE;
  if (m == 0 || n == 0 || batch == 0) return OK;  // quick return, nothing launched
  const double al = *alpha, be = *beta;          // read now: host pointer mode
  const bool t1 = ta != 0, t2 = tb != 0, tf32 = sizeof(T) == 4 && (h->math & 0xF) == 3;
  auto op = new FakeOp;
  op->kind = "gemm";
  op->detail = std::string("lib=cublas dtype=") + (sizeof(T) == 4 ? "f32" : "f64") + " m=" + std::to_string(m) + " n=" +
               std::to_string(n) + " k=" + std::to_string(k) + " batch=" + std::to_string(batch) + " ta=" + opName(ta) +
               " tb=" + opName(tb) + (tf32 ? " math=tf32" : "");
  op->costMs = 1e-6 * m * n * (double)k * batch + 0.005;
  op->run = [=]() {
    const bool readAB = al != 0 && k > 0;
    if (readAB) {
      if (int rc = fakecuda_check_range(A, fakecuda_extent(t1 ? k : m, t1 ? m : k, lda, batch, sA, sizeof(T)), "gemm A")) return rc;
      if (int rc = fakecuda_check_range(B, fakecuda_extent(t2 ? n : k, t2 ? k : n, ldb, batch, sB, sizeof(T)), "gemm B")) return rc;
    }
    const size_t cBytes = fakecuda_extent(m, n, ldc, batch, sC, sizeof(T));
    if (int rc = fakecuda_check_range(C, cBytes, "gemm C")) return rc;
    if (readAB) {
      if (int rc = fakecuda_check_overlap(C, cBytes, A, fakecuda_extent(t1 ? k : m, t1 ? m : k, lda, batch, sA, sizeof(T)), "gemm C vs A")) return rc;
      if (int rc = fakecuda_check_overlap(C, cBytes, B, fakecuda_extent(t2 ? n : k, t2 ? k : n, ldb, batch, sB, sizeof(T)), "gemm C vs B")) return rc;
    }
    for (int b = 0; b < batch; b++)
      fakecuda_gemm<T>(t1, t2, m, n, readAB ? k : 0, al, A + b * sA, lda, B + b * sB, ldb, be, C + b * sC, ldc, C + b * sC, ldc,
                       tf32, nullptr, 0);
    return 0;
  };
  (void)batched;
  return fakecuda_submit(h->stream, op) == 0 ? OK : EXECUTION_FAILED;
}
}  // namespace

extern "C" {
cublasStatus_t cublasGetProperty(int type, int* value) {
  if (!value) return INVALID_VALUE;
  switch (type) {
    case 0: *value = 13; return OK;  // MAJOR_VERSION
    case 1: *value = 0; return OK;   // MINOR_VERSION
    case 2: *value = 0; return OK;   // PATCH_LEVEL
    default: return INVALID_VALUE;
  }
}
const char* cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case OK: return "CUBLAS_STATUS_SUCCESS";
    case NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}
// cublasCreate needs a current CUDA context (it is created for the current device).
cublasStatus_t cublasCreate_v2(Handle** h) {
  if (!h) return INVALID_VALUE;
  if (!fakecuda_has_context()) return NOT_INITIALIZED;
  *h = new Handle;
  return OK;
}
cublasStatus_t cublasDestroy_v2(Handle* h) {
  if (!valid(h)) return NOT_INITIALIZED;
  h->magic = 0;
  delete h;
  return OK;
}
// Documented: cublasSetStream also resets the workspace to cuBLAS's default pool.
cublasStatus_t cublasSetStream_v2(Handle* h, void* stream) {
  if (!valid(h)) return NOT_INITIALIZED;
  if (!fakecuda_stream_valid(stream)) return INVALID_VALUE;
  h->stream = stream;
  h->workspace = nullptr;
  h->workspaceBytes = 0;
  return OK;
}
// CUBLAS_DEFAULT_MATH 0, TENSOR_OP 1 (deprecated), PEDANTIC 2, TF32_TENSOR_OP 3, optionally
// | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION (16).
cublasStatus_t cublasSetMathMode(Handle* h, int mode) {
  if (!valid(h)) return NOT_INITIALIZED;
  if ((mode & ~16) < 0 || (mode & ~16) > 3) return INVALID_VALUE;
  h->math = mode;
  return OK;
}
// Documented: the workspace must be 256-byte aligned device memory.
cublasStatus_t cublasSetWorkspace_v2(Handle* h, void* ws, size_t bytes) {
  if (!valid(h)) return NOT_INITIALIZED;
  if (bytes && (!ws || ((uintptr_t)ws % 256) != 0)) return INVALID_VALUE;
  if (bytes && fakecuda_check_range(ws, bytes, "cublasSetWorkspace")) return INVALID_VALUE;
  h->workspace = ws;
  h->workspaceBytes = bytes;
  return OK;
}
cublasStatus_t cublasSgemm_v2(Handle* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                              const float* B, int ldb, const float* beta, float* C, int ldc) {
  return gemm<float>(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1, false);
}
cublasStatus_t cublasDgemm_v2(Handle* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* A, int lda,
                              const double* B, int ldb, const double* beta, double* C, int ldc) {
  return gemm<double>(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1, false);
}
cublasStatus_t cublasSgemmStridedBatched(Handle* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A,
                                         int lda, long long sA, const float* B, int ldb, long long sB, const float* beta,
                                         float* C, int ldc, long long sC, int batch) {
  return gemm<float>(h, ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, batch, true);
}
cublasStatus_t cublasDgemmStridedBatched(Handle* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* A,
                                         int lda, long long sA, const double* B, int ldb, long long sB, const double* beta,
                                         double* C, int ldc, long long sC, int batch) {
  return gemm<double>(h, ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, batch, true);
}
}
