// cuBLASLt GEMMs: descriptors, heuristic candidates timed on the device, fused epilogues.
#include "lt_gemm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "loader.h"

namespace sg {
namespace {

constexpr int kMaxCandidates = 32;
constexpr int kTimedRuns = 5;

void checkLt(cublasStatus_t s, const char* call, const std::string& what) {
  if (s == 0) return;
  auto& lt = libraries().lt;
  const char* desc = lt.cublasLtGetStatusString ? lt.cublasLtGetStatusString(s) : "";
  throw CudaError(std::string(call) + " failed (" + what + "): " + (desc ? desc : "") + " (" + std::to_string(s) + ")",
                  s == 3 /* CUBLAS_STATUS_ALLOC_FAILED */);
}

// The largest power of two (up to 256) dividing an address: the alignment cuBLASLt may assume.
uint32_t alignmentOf(CUdeviceptr p) {
  uint32_t a = 256;
  while (a > 1 && (p % a) != 0) a /= 2;
  return a;
}

uint32_t ltEpilogue(uint32_t code) {
  switch (code) {
    case 1: return CUBLASLT_EPILOGUE_RELU;
    case 2: return CUBLASLT_EPILOGUE_BIAS;
    case 3: return CUBLASLT_EPILOGUE_RELU_BIAS;
    default: return CUBLASLT_EPILOGUE_DEFAULT;
  }
}

const char* epilogueName(uint32_t code) {
  static const char* const names[] = {"", " +relu", " +bias", " +bias+relu"};
  return code < 4 ? names[code] : " +?";
}

int envInt(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < lo || x > hi)
    throw CudaError(std::string(name) + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + " (got '" + v + "')");
  return static_cast<int>(x);
}

std::string describe(const Op& op) {
  char buf[192];
  std::snprintf(buf, sizeof(buf), "%s: %dx%dx%d op(%c,%c) batch %d%s", op.what.c_str(), op.m, op.n, op.k, op.opA ? 'T' : 'N',
                op.opB ? 'T' : 'N', op.batch, epilogueName(op.epilogue));
  return buf;
}

}  // namespace

void LtGemms::init(Device* device, CUstream tuneStream, CUdeviceptr tuneWorkspace, size_t workspaceBytes, bool pedanticFp32) {
  auto& L = libraries();
  if (!L.cublasLt.found) throw CudaError(L.cublasLt.error.empty() ? "cuBLASLt is not loaded" : L.cublasLt.error);
  device_ = device;
  tuneStream_ = tuneStream;
  tuneWorkspace_ = tuneWorkspace;
  workspaceBytes_ = workspaceBytes;
  pedanticFp32_ = pedanticFp32;
  candidates_ = envInt("SYMGRAD_CUDA_GEMM_CANDIDATES", 8, 1, kMaxCandidates);
  const char* log = std::getenv("SYMGRAD_CUDA_GEMM_LOG");
  log_ = log && std::string(log) == "1";
  checkLt(L.lt.cublasLtCreate(&handle_), "cublasLtCreate", "init");
}

void LtGemms::release(Plan& p) {
  auto& lt = libraries().lt;
  if (p.desc) lt.cublasLtMatmulDescDestroy(p.desc);
  for (auto* l : {p.a, p.b, p.c})
    if (l) lt.cublasLtMatrixLayoutDestroy(l);
  p = Plan{};
}

void LtGemms::destroy() {
  for (auto& [k, p] : plans_) release(p);
  plans_.clear();
  if (handle_) libraries().lt.cublasLtDestroy(handle_);
  handle_ = nullptr;
}

std::string LtGemms::key(const Op& op) const {
  char buf[360];
  std::snprintf(buf, sizeof(buf), "%d%d%d|%d%d|%d,%d,%d|%d,%d,%d|%d|%lld,%lld,%lld|%u|%lld|%u,%u,%u,%u", op.f64, op.tf32, pedanticFp32_,
                op.opA, op.opB, op.m, op.n, op.k, op.lda, op.ldb, op.ldc, op.batch, op.strideA, op.strideB, op.strideC, op.epilogue,
                op.biasBatchStride, alignmentOf(op.A), alignmentOf(op.B), alignmentOf(op.C), op.bias ? alignmentOf(op.bias) : 0u);
  return buf;
}

LtGemms::Plan LtGemms::build(const Op& op) {
  auto& lt = libraries().lt;
  const std::string what = describe(op);
  Plan p;
  try {
    const int compute = op.f64 ? CUBLAS_COMPUTE_64F : op.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : pedanticFp32_ ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
    const int type = op.f64 ? CUDA_R_64F : CUDA_R_32F;
    checkLt(lt.cublasLtMatmulDescCreate(&p.desc, compute, type), "cublasLtMatmulDescCreate", what);
    auto setDesc = [&](int attr, const void* v, size_t n) { checkLt(lt.cublasLtMatmulDescSetAttribute(p.desc, attr, v, n), "cublasLtMatmulDescSetAttribute", what); };
    const int32_t ta = op.opA, tb = op.opB;
    setDesc(CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta));
    setDesc(CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb));
    const uint32_t epilogue = ltEpilogue(op.epilogue);
    setDesc(CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue));
    if (op.bias) {
      // The heuristic reads the pointer's alignment; enqueue() sets each call's own pointer.
      const void* bias = reinterpret_cast<const void*>(op.bias);
      setDesc(CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias));
      if (op.batch > 1) {
        const int64_t stride = op.biasBatchStride;
        setDesc(CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, &stride, sizeof(stride));
      }
    }
    // Column-major layouts of op(A) m×k, op(B) k×n and C m×n as stored (before the transposes).
    auto layout = [&](cublasLtMatrixLayout_t* l, uint64_t rows, uint64_t cols, int64_t ld, long long stride) {
      checkLt(lt.cublasLtMatrixLayoutCreate(l, type, rows, cols, ld), "cublasLtMatrixLayoutCreate", what);
      if (op.batch > 1) {
        const int32_t count = op.batch;
        const int64_t offset = stride;
        checkLt(lt.cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)), "cublasLtMatrixLayoutSetAttribute", what);
        checkLt(lt.cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &offset, sizeof(offset)), "cublasLtMatrixLayoutSetAttribute", what);
      }
    };
    layout(&p.a, op.opA ? op.k : op.m, op.opA ? op.m : op.k, op.lda, op.strideA);
    layout(&p.b, op.opB ? op.n : op.k, op.opB ? op.k : op.n, op.ldb, op.strideB);
    layout(&p.c, op.m, op.n, op.ldc, op.strideC);

    cublasLtMatmulPreference_t pref = nullptr;
    checkLt(lt.cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate", what);
    std::vector<cublasLtMatmulHeuristicResult_t> results(kMaxCandidates);
    int found = 0;
    cublasStatus_t s = 0;
    try {
      const uint64_t ws = workspaceBytes_;
      checkLt(lt.cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)), "cublasLtMatmulPreferenceSetAttribute", what);
      const uint32_t align[4] = {alignmentOf(op.A), alignmentOf(op.B), alignmentOf(op.C), alignmentOf(op.C)};
      for (int i = 0; i < 4; i++)
        checkLt(lt.cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES + i, &align[i], sizeof(align[i])),
                "cublasLtMatmulPreferenceSetAttribute", what);
      s = lt.cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.a, p.b, p.c, p.c, pref, candidates_, results.data(), &found);
    } catch (...) {
      lt.cublasLtMatmulPreferenceDestroy(pref);
      throw;
    }
    lt.cublasLtMatmulPreferenceDestroy(pref);
    if (s == CUBLAS_STATUS_NOT_SUPPORTED) found = 0;
    else checkLt(s, "cublasLtMatmulAlgoGetHeuristic", what);
    int usable = 0;
    for (int i = 0; i < found; i++)
      if (results[i].state == 0) results[usable++] = results[i];
    if (usable == 0) throw CudaError("cuBLASLt has no algorithm for " + what + " (set SYMGRAD_CUDA_GEMM=cublas to use cuBLAS instead)");
    p.algo = results[0].algo;
    p.workspace = results[0].workspaceSize;
    if (usable > 1) tune(op, p, results.data(), usable);
    else if (log_) std::fprintf(stderr, "[symgrad cuda] cuBLASLt %s: 1 candidate\n", what.c_str());
  } catch (...) {
    release(p);
    throw;
  }
  return p;
}

void LtGemms::tune(const Op& op, Plan& p, const cublasLtMatmulHeuristicResult_t* candidates, int count) {
  auto& cu = libraries().cu;
  const std::string what = describe(op);
  // A scratch output at the same alignment, holding C's values (beta may read them).
  const size_t elem = op.f64 ? 8 : 4;
  const size_t extent = (static_cast<size_t>(op.batch - 1) * static_cast<size_t>(op.strideC) + static_cast<size_t>(op.n - 1) * op.ldc + op.m) * elem;
  const CUdeviceptr raw = device_->alloc(extent + 256);
  const CUdeviceptr scratch = raw + ((op.C % 256) + 256 - (raw % 256)) % 256;
  CUevent start = nullptr, stop = nullptr;
  std::vector<float> times(count, -1.0f);
  try {
    if (op.beta != 0) device_->check(cu.cuMemcpyDtoDAsync_v2(scratch, op.C, extent, tuneStream_), "cuMemcpyDtoDAsync", what);
    device_->check(cu.cuEventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate", what);
    device_->check(cu.cuEventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate", what);
    for (int i = 0; i < count; i++) {
      // A candidate that fails to run (alignment, workspace) is skipped, not fatal: others remain.
      if (run(op, p, candidates[i].algo, scratch, tuneStream_, tuneWorkspace_) != 0) continue;
      device_->check(cu.cuEventRecord(start, tuneStream_), "cuEventRecord", what);
      bool ok = true;
      for (int r = 0; r < kTimedRuns && ok; r++) ok = run(op, p, candidates[i].algo, scratch, tuneStream_, tuneWorkspace_) == 0;
      device_->check(cu.cuEventRecord(stop, tuneStream_), "cuEventRecord", what);
      device_->check(cu.cuEventSynchronize(stop), "cuEventSynchronize", what);
      float ms = 0;
      device_->check(cu.cuEventElapsedTime(&ms, start, stop), "cuEventElapsedTime", what);
      if (ok) times[i] = ms / kTimedRuns;
    }
  } catch (...) {
    if (start) cu.cuEventDestroy_v2(start);
    if (stop) cu.cuEventDestroy_v2(stop);
    cu.cuStreamSynchronize(tuneStream_);
    device_->free(raw);
    throw;
  }
  cu.cuEventDestroy_v2(start);
  cu.cuEventDestroy_v2(stop);
  device_->free(raw);
  int best = -1;
  for (int i = 0; i < count; i++)
    if (times[i] >= 0 && (best < 0 || times[i] < times[best])) best = i;
  if (best < 0) throw CudaError("cuBLASLt: none of " + std::to_string(count) + " candidate algorithms ran for " + what);
  p.algo = candidates[best].algo;
  p.workspace = candidates[best].workspaceSize;
  if (log_) {
    std::fprintf(stderr, "[symgrad cuda] cuBLASLt %s:", what.c_str());
    for (int i = 0; i < count; i++) std::fprintf(stderr, times[i] < 0 ? " [%d] failed" : " [%d] %.1f us%s", i, times[i] * 1000.0f, i == best ? " (chosen)" : "");
    std::fprintf(stderr, "\n");
  }
}

cublasStatus_t LtGemms::run(const Op& op, const Plan& p, const cublasLtMatmulAlgo_t& algo, CUdeviceptr c, CUstream stream, CUdeviceptr workspace) {
  auto& lt = libraries().lt;
  if (op.bias) {
    const void* bias = reinterpret_cast<const void*>(op.bias);
    checkLt(lt.cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)), "cublasLtMatmulDescSetAttribute", op.what);
  }
  const float af = static_cast<float>(op.alpha), bf = static_cast<float>(op.beta);
  const void* alpha = op.f64 ? static_cast<const void*>(&op.alpha) : &af;
  const void* beta = op.f64 ? static_cast<const void*>(&op.beta) : &bf;
  auto* out = reinterpret_cast<void*>(c);
  return lt.cublasLtMatmul(handle_, p.desc, alpha, reinterpret_cast<const void*>(op.A), p.a, reinterpret_cast<const void*>(op.B), p.b, beta, out, p.c,
                           out, p.c, &algo, reinterpret_cast<void*>(workspace), workspaceBytes_, stream);
}

void LtGemms::prepare(const Op& op) {
  if (!handle_) throw CudaError("cuBLASLt is not initialized (" + op.what + ")");
  const std::string k = key(op);
  if (plans_.count(k)) return;
  plans_.emplace(k, build(op));
}

void LtGemms::enqueue(const Op& op, CUstream stream, CUdeviceptr workspace) {
  auto it = plans_.find(key(op));
  if (it == plans_.end()) throw CudaError("cuBLASLt GEMM was not prepared before capture (" + op.what + ")");
  checkLt(run(op, it->second, it->second.algo, op.C, stream, workspace), "cublasLtMatmul", describe(op));
}

}  // namespace sg
