#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>
#include "cuda_api.h"

namespace sg {

/** A CUDA, NVRTC or cuBLAS failure; `oom` marks CUDA_ERROR_OUT_OF_MEMORY (the process survives it). */
struct CudaError : std::runtime_error {
  bool oom;
  CudaError(const std::string& m, bool o = false) : std::runtime_error(m), oom(o) {}
};

/** One step of a captured function: a generated kernel launch, or a cuBLAS GEMM (column-major terms). */
struct Op {
  enum Kind { Launch, Gemm } kind = Launch;
  std::string what;  // the kernel's name and label, for error messages
  // Placement: the stream (0 = the device's own) and earlier ops on other streams to wait for.
  int stream = 0;
  std::vector<int> waits;
  // Launch
  int function = -1;
  unsigned grid[3] = {1, 1, 1}, block[3] = {1, 1, 1}, shmem = 0;
  std::vector<CUdeviceptr> args;
  // Gemm: C = alpha op(A) op(B) + beta C, batched with strides (elements)
  bool f64 = false, tf32 = false;
  int opA = CUBLAS_OP_N, opB = CUBLAS_OP_N, m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0, batch = 1;
  double alpha = 1, beta = 0;
  CUdeviceptr A = 0, B = 0, C = 0;
  long long strideA = 0, strideB = 0, strideC = 0;
  // Through cuBLASLt, with a fused epilogue: 0 none, 1 relu, 2 bias, 3 relu(x + bias).
  bool lt = false;
  uint32_t epilogue = 0;
  CUdeviceptr bias = 0;
  long long biasBatchStride = 0;
};

/** The most streams one captured function may fork into. */
constexpr int kMaxStreams = 8;

struct DeviceInfo {
  std::string name;
  int ccMajor = 0, ccMinor = 0;
  size_t totalMem = 0;
};

/** A pending device-to-host copy into pinned memory; finished by waitDownload. */
struct Download {
  void* host = nullptr;
  size_t bytes = 0;
  size_t capacity = 0;
  CUevent done = nullptr;
};

/** What Device::timeOps measured, and how: `graph` false is the direct path, with `fallback` saying why. */
struct TimedOps {
  std::vector<float> times;
  bool graph = false;
  std::string fallback;
};

class LtGemms;

/**
 * The one device this addon drives: primary context, its stream (plus side streams that
 * captured functions fork into), the default memory pool, cuBLAS and cuBLASLt handles.
 */
class Device {
 public:
  /** Throws a CudaError naming `call` and `what` unless `r` is CUDA_SUCCESS. */
  void check(CUresult r, const char* call, const std::string& what = "");
  void init(int ordinal);  // throws CudaError
  bool ready() const { return ctx_ != nullptr; }
  const DeviceInfo& info() const { return info_; }

  std::vector<char> compile(const std::string& source, const std::string& name, const std::string& arch);
  int loadModule(const std::vector<char>& cubin, const std::vector<std::string>& kernels, std::vector<int>& functions);
  void unloadModule(int module);

  CUdeviceptr alloc(size_t bytes);
  void free(CUdeviceptr p);
  void upload(CUdeviceptr dst, const void* src, size_t bytes);
  Download startDownload(CUdeviceptr src, size_t bytes);
  void waitDownload(Download& d);  // may run on a worker thread
  void finishDownload(Download& d, void* dst);

  int createGraph(const std::vector<Op>& ops);
  /**
   * Runs `ops` once, in order on the device's stream (their stream placements ignored), after
   * the work already enqueued there, and waits: each op's milliseconds between timing events
   * recorded around it. cuBLASLt GEMMs are tuned first. The ops and events are captured as one
   * graph and launched once, so the device never waits for the host between ops; where that
   * cannot be done, they run uncaptured instead (timing.cc).
   */
  TimedOps timeOps(const std::vector<Op>& ops);
  void launchGraph(int graph);
  void destroyGraph(int graph);
  void synchronize();
  void memInfo(size_t* freeBytes, size_t* totalBytes);

 private:
  void enqueue(const Op& op, int stream);
  void ensureStreams(int count);
  void restoreBlasStream();
  bool timeOpsInGraph(const std::vector<Op>& ops, std::vector<float>& times, std::string* why);
  bool graphTimingWorks(std::string* why);
  void timeOpsDirect(const std::vector<Op>& ops, std::vector<float>& times);
  LtGemms& lt();
  void reapUploads();
  void* takePinned(size_t bytes, size_t* capacity);
  void givePinned(void* host, size_t capacity);

  CUdevice dev_ = 0;
  CUcontext ctx_ = nullptr;
  // Whether timing event record nodes work on this driver: unknown (-1) until the first
  // profiled run probes them, then 1 or 0 (with the reason).
  int graphTiming_ = -1;
  std::string graphTimingWhy_;
  CUstream stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  CUdeviceptr workspace_ = 0;
  // Side streams 1… and one cuBLAS workspace per stream (index 0: stream_ and workspace_),
  // so GEMMs on parallel branches never share scratch memory.
  std::vector<CUstream> streams_;
  std::vector<CUdeviceptr> workspaces_;
  LtGemms* lt_ = nullptr;  // created on the first cuBLASLt GEMM; lives as long as the process
  bool pedanticFp32_ = false;  // SYMGRAD_CUDA_PEDANTIC=1: cuBLAS's pedantic math for fp32 GEMMs
  DeviceInfo info_;
  std::vector<CUmodule> modules_;
  std::vector<CUfunction> functions_;
  std::vector<CUgraphExec> graphs_;
  struct Staging { void* host; size_t capacity; CUevent done; };
  std::vector<Staging> uploads_;
  // Pinned blocks whose copies have finished, reused so a steady-state step allocates no host memory.
  struct Block { void* host; size_t capacity; };
  std::vector<Block> pinned_;
  size_t pinnedBytes_ = 0;
};

Device& device();
}  // namespace sg
