// The device runtime: context, stream-ordered memory, pinned copies, NVRTC, modules, and
// whole functions captured as CUDA graphs. Every CUDA/NVRTC/cuBLAS status is checked and
// becomes a CudaError naming the call and the kernel.
#include "device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "loader.h"
#include "lt_gemm.h"

namespace sg {
namespace {
Device g_device;
constexpr size_t kWorkspaceBytes = 32u << 20;  // cuBLAS workspace: set explicitly so GEMMs are capturable
}  // namespace

Device& device() { return g_device; }

void Device::check(CUresult r, const char* call, const std::string& what) {
  if (r == CUDA_SUCCESS) return;
  auto& cu = libraries().cu;
  const char* name = "CUDA_ERROR_UNKNOWN";
  const char* desc = "";
  if (cu.cuGetErrorName) cu.cuGetErrorName(r, &name);
  if (cu.cuGetErrorString) cu.cuGetErrorString(r, &desc);
  std::string msg = std::string(call) + " failed" + (what.empty() ? "" : " (" + what + ")") + ": " + name + " (" +
                    std::to_string(r) + "): " + (desc ? desc : "");
  throw CudaError(msg, r == CUDA_ERROR_OUT_OF_MEMORY);
}

static void checkBlas(cublasStatus_t s, const char* call, const std::string& what) {
  if (s == 0) return;
  auto& b = libraries().blas;
  const char* desc = b.cublasGetStatusString ? b.cublasGetStatusString(s) : "";
  throw CudaError(std::string(call) + " failed (" + what + "): " + (desc ? desc : "") + " (" + std::to_string(s) + ")",
                  s == 3 /* CUBLAS_STATUS_ALLOC_FAILED */);
}

void Device::init(int ordinal) {
  if (ctx_) return;
  auto& L = libraries();
  if (!L.driver.found) throw CudaError(L.driver.error.empty() ? "the CUDA driver is not loaded" : L.driver.error);
  if (!L.nvrtc.found) throw CudaError(L.nvrtc.error);
  if (!L.cublas.found) throw CudaError(L.cublas.error);
  auto& cu = L.cu;
  check(cu.cuInit(0), "cuInit");
  int count = 0;
  check(cu.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (ordinal >= count) throw CudaError("no CUDA device " + std::to_string(ordinal) + " (" + std::to_string(count) + " found)");
  check(cu.cuDeviceGet(&dev_, ordinal), "cuDeviceGet");
  char name[256] = {0};
  check(cu.cuDeviceGetName(name, sizeof(name) - 1, dev_), "cuDeviceGetName");
  info_.name = name;
  check(cu.cuDeviceGetAttribute(&info_.ccMajor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev_), "cuDeviceGetAttribute");
  check(cu.cuDeviceGetAttribute(&info_.ccMinor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev_), "cuDeviceGetAttribute");
  check(cu.cuDeviceTotalMem_v2(&info_.totalMem, dev_), "cuDeviceTotalMem");
  CUcontext ctx = nullptr;
  check(cu.cuDevicePrimaryCtxRetain(&ctx, dev_), "cuDevicePrimaryCtxRetain");
  check(cu.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  check(cu.cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  // Keep freed memory in the pool (a steady-state step then allocates nothing from the driver).
  CUmemoryPool pool = nullptr;
  check(cu.cuDeviceGetDefaultMemPool(&pool, dev_), "cuDeviceGetDefaultMemPool");
  uint64_t threshold = UINT64_MAX;
  check(cu.cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &threshold), "cuMemPoolSetAttribute");
  check(cu.cuMemAlloc_v2(&workspace_, kWorkspaceBytes), "cuMemAlloc", "cuBLAS workspace");
  checkBlas(L.blas.cublasCreate_v2(&blas_), "cublasCreate", "init");
  checkBlas(L.blas.cublasSetStream_v2(blas_, stream_), "cublasSetStream", "init");
  checkBlas(L.blas.cublasSetWorkspace_v2(blas_, reinterpret_cast<void*>(workspace_), kWorkspaceBytes), "cublasSetWorkspace", "init");
  streams_ = {stream_};
  workspaces_ = {workspace_};
  const char* pedantic = std::getenv("SYMGRAD_CUDA_PEDANTIC");
  pedanticFp32_ = pedantic && std::string(pedantic) == "1";
  ctx_ = ctx;
}

std::vector<char> Device::compile(const std::string& source, const std::string& name, const std::string& arch) {
  auto& nv = libraries().nvrtc_api;
  if (!nv.nvrtcCreateProgram) throw CudaError(libraries().nvrtc.error);
  auto ok = [&](nvrtcResult r, const char* call) {
    if (r != 0) throw CudaError(std::string(call) + " failed (" + name + "): " + nv.nvrtcGetErrorString(r));
  };
  nvrtcProgram prog = nullptr;
  ok(nv.nvrtcCreateProgram(&prog, source.c_str(), (name + ".cu").c_str(), 0, nullptr, nullptr), "nvrtcCreateProgram");
  std::string archOpt = "--gpu-architecture=" + arch;  // sm_XX: straight to a cubin, no PTX JIT
  const char* opts[] = {archOpt.c_str(), "--std=c++17", "--device-as-default-execution-space"};
  nvrtcResult r = nv.nvrtcCompileProgram(prog, 3, opts);
  if (r != 0) {
    size_t n = 0;
    nv.nvrtcGetProgramLogSize(prog, &n);
    std::string log(n, '\0');
    if (n) nv.nvrtcGetProgramLog(prog, &log[0]);
    nv.nvrtcDestroyProgram(&prog);
    throw CudaError("nvrtcCompileProgram failed (" + name + ", " + arch + "): " + nv.nvrtcGetErrorString(r) + "\n" + log);
  }
  size_t size = 0;
  std::vector<char> cubin;
  try {
    ok(nv.nvrtcGetCUBINSize(prog, &size), "nvrtcGetCUBINSize");
    cubin.resize(size);
    ok(nv.nvrtcGetCUBIN(prog, cubin.data()), "nvrtcGetCUBIN");
  } catch (...) {
    nv.nvrtcDestroyProgram(&prog);
    throw;
  }
  nv.nvrtcDestroyProgram(&prog);
  return cubin;
}

int Device::loadModule(const std::vector<char>& cubin, const std::vector<std::string>& kernels, std::vector<int>& functions) {
  auto& cu = libraries().cu;
  CUmodule mod = nullptr;
  check(cu.cuModuleLoadData(&mod, cubin.data()), "cuModuleLoadData");
  for (const auto& k : kernels) {
    CUfunction f = nullptr;
    CUresult r = cu.cuModuleGetFunction(&f, mod, k.c_str());
    if (r != CUDA_SUCCESS) {
      cu.cuModuleUnload(mod);
      check(r, "cuModuleGetFunction", k);
    }
    functions.push_back(static_cast<int>(functions_.size()));
    functions_.push_back(f);
  }
  modules_.push_back(mod);
  return static_cast<int>(modules_.size() - 1);
}

void Device::unloadModule(int module) {
  if (module < 0 || module >= static_cast<int>(modules_.size()) || !modules_[module]) return;
  libraries().cu.cuModuleUnload(modules_[module]);
  modules_[module] = nullptr;
}

CUdeviceptr Device::alloc(size_t bytes) {
  auto& cu = libraries().cu;
  CUdeviceptr p = 0;
  if (bytes == 0) bytes = 1;
  CUresult r = cu.cuMemAllocAsync(&p, bytes, stream_);
  if (r == CUDA_ERROR_OUT_OF_MEMORY) {
    // Frees enqueued earlier return to the pool once the stream reaches them: wait and retry once.
    check(cu.cuStreamSynchronize(stream_), "cuStreamSynchronize");
    r = cu.cuMemAllocAsync(&p, bytes, stream_);
  }
  if (r == CUDA_ERROR_OUT_OF_MEMORY) {
    size_t f = 0, t = 0;
    cu.cuMemGetInfo_v2(&f, &t);
    throw CudaError("out of device memory: cannot allocate " + std::to_string(bytes) + " bytes on " + info_.name + " (" +
                        std::to_string(f >> 20) + " MiB free of " + std::to_string(t >> 20) + " MiB)", true);
  }
  check(r, "cuMemAllocAsync");
  return p;
}

void Device::free(CUdeviceptr p) {
  if (p) check(libraries().cu.cuMemFreeAsync(p, stream_), "cuMemFreeAsync");
}

void* Device::takePinned(size_t bytes, size_t* capacity) {
  if (bytes == 0) bytes = 1;
  // The smallest free block that fits without wasting more than 3/4 of it.
  size_t best = pinned_.size();
  for (size_t i = 0; i < pinned_.size(); i++) {
    const size_t c = pinned_[i].capacity;
    if (c >= bytes && c / 4 <= bytes && (best == pinned_.size() || c < pinned_[best].capacity)) best = i;
  }
  if (best < pinned_.size()) {
    Block b = pinned_[best];
    pinned_.erase(pinned_.begin() + static_cast<long>(best));
    pinnedBytes_ -= b.capacity;
    *capacity = b.capacity;
    return b.host;
  }
  void* host = nullptr;
  check(libraries().cu.cuMemHostAlloc(&host, bytes, 0), "cuMemHostAlloc", "pinned staging");
  *capacity = bytes;
  return host;
}

void Device::givePinned(void* host, size_t capacity) {
  if (!host) return;
  constexpr size_t kKeepBytes = 256u << 20;
  if (pinnedBytes_ + capacity > kKeepBytes) {
    libraries().cu.cuMemFreeHost(host);
    return;
  }
  pinned_.push_back({host, capacity});
  pinnedBytes_ += capacity;
}

void Device::reapUploads() {
  auto& cu = libraries().cu;
  size_t kept = 0;
  for (auto& s : uploads_) {
    if (cu.cuEventQuery(s.done) == CUDA_SUCCESS) {
      cu.cuEventDestroy_v2(s.done);
      givePinned(s.host, s.capacity);
    } else {
      uploads_[kept++] = s;
    }
  }
  uploads_.resize(kept);
}

void Device::upload(CUdeviceptr dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  auto& cu = libraries().cu;
  reapUploads();
  // Pinned staging: the caller's memory may change right after this returns; the copy stays async.
  Staging s{nullptr, 0, nullptr};
  s.host = takePinned(bytes, &s.capacity);
  std::memcpy(s.host, src, bytes);
  try {
    check(cu.cuMemcpyHtoDAsync_v2(dst, s.host, bytes, stream_), "cuMemcpyHtoDAsync");
    check(cu.cuEventCreate(&s.done, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    check(cu.cuEventRecord(s.done, stream_), "cuEventRecord");
  } catch (...) {
    cu.cuStreamSynchronize(stream_);
    if (s.done) cu.cuEventDestroy_v2(s.done);
    givePinned(s.host, s.capacity);
    throw;
  }
  uploads_.push_back(s);
}

Download Device::startDownload(CUdeviceptr src, size_t bytes) {
  auto& cu = libraries().cu;
  Download d;
  d.bytes = bytes;
  d.host = takePinned(bytes, &d.capacity);
  try {
    if (bytes) check(cu.cuMemcpyDtoHAsync_v2(d.host, src, bytes, stream_), "cuMemcpyDtoHAsync");
    check(cu.cuEventCreate(&d.done, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    check(cu.cuEventRecord(d.done, stream_), "cuEventRecord");
  } catch (...) {
    cu.cuStreamSynchronize(stream_);
    if (d.done) cu.cuEventDestroy_v2(d.done);
    givePinned(d.host, d.capacity);
    throw;
  }
  return d;
}

void Device::waitDownload(Download& d) {
  auto& cu = libraries().cu;
  check(cu.cuCtxSetCurrent(ctx_), "cuCtxSetCurrent");
  check(cu.cuEventSynchronize(d.done), "cuEventSynchronize", "reading a result");
}

void Device::finishDownload(Download& d, void* dst) {
  auto& cu = libraries().cu;
  if (dst && d.bytes) std::memcpy(dst, d.host, d.bytes);
  if (d.done) cu.cuEventDestroy_v2(d.done);
  givePinned(d.host, d.capacity);
  d = Download{};
}

LtGemms& Device::lt() {
  if (!lt_) {
    auto* lt = new LtGemms();
    try {
      lt->init(this, stream_, workspace_, kWorkspaceBytes, pedanticFp32_);
    } catch (...) {
      delete lt;
      throw;
    }
    lt_ = lt;
  }
  return *lt_;
}

void Device::ensureStreams(int count) {
  auto& cu = libraries().cu;
  while (static_cast<int>(streams_.size()) < count) {
    CUstream s = nullptr;
    check(cu.cuStreamCreate(&s, CU_STREAM_NON_BLOCKING), "cuStreamCreate", "side stream");
    CUdeviceptr ws = 0;
    CUresult r = cu.cuMemAlloc_v2(&ws, kWorkspaceBytes);
    if (r != CUDA_SUCCESS) cu.cuStreamDestroy_v2(s);
    check(r, "cuMemAlloc", "cuBLAS workspace of a side stream");
    streams_.push_back(s);
    workspaces_.push_back(ws);
  }
}

void Device::enqueue(const Op& op, int si) {
  auto& L = libraries();
  CUstream stream = streams_[si];
  if (op.kind == Op::Launch) {
    if (op.function < 0 || op.function >= static_cast<int>(functions_.size())) throw CudaError("bad function id (" + op.what + ")");
    std::vector<void*> params(op.args.size());
    for (size_t i = 0; i < op.args.size(); i++) params[i] = const_cast<CUdeviceptr*>(&op.args[i]);
    check(L.cu.cuLaunchKernel(functions_[op.function], op.grid[0], op.grid[1], op.grid[2], op.block[0], op.block[1],
                              op.block[2], op.shmem, stream, params.data(), nullptr),
          "cuLaunchKernel", op.what);
    return;
  }
  if (op.lt && op.k > 0) {
    lt().enqueue(op, stream, workspaces_[si]);
    return;
  }
  // cublasSetStream resets the workspace to cuBLAS's own pool: set this stream's right after.
  checkBlas(L.blas.cublasSetStream_v2(blas_, stream), "cublasSetStream", op.what);
  checkBlas(L.blas.cublasSetWorkspace_v2(blas_, reinterpret_cast<void*>(workspaces_[si]), kWorkspaceBytes), "cublasSetWorkspace", op.what);
  // fp32 unless tf32 was asked for. cuBLAS's default math keeps at least fp32's mantissa (it
  // never rounds operands to TF32 unless told to) and is what PyTorch uses for fp32; pedantic
  // math, which also pins the algorithms, is opt-in (no difference measured on an H100).
  const int fp32Math = pedanticFp32_ ? CUBLAS_PEDANTIC_MATH : CUBLAS_DEFAULT_MATH;
  checkBlas(L.blas.cublasSetMathMode(blas_, op.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : fp32Math), "cublasSetMathMode", op.what);
  if (op.f64) {
    const double a = op.alpha, b = op.beta;
    auto* A = reinterpret_cast<const double*>(op.A);
    auto* B = reinterpret_cast<const double*>(op.B);
    auto* C = reinterpret_cast<double*>(op.C);
    if (op.batch == 1) checkBlas(L.blas.cublasDgemm_v2(blas_, op.opA, op.opB, op.m, op.n, op.k, &a, A, op.lda, B, op.ldb, &b, C, op.ldc), "cublasDgemm", op.what);
    else checkBlas(L.blas.cublasDgemmStridedBatched(blas_, op.opA, op.opB, op.m, op.n, op.k, &a, A, op.lda, op.strideA, B, op.ldb, op.strideB, &b, C, op.ldc, op.strideC, op.batch), "cublasDgemmStridedBatched", op.what);
  } else {
    const float a = static_cast<float>(op.alpha), b = static_cast<float>(op.beta);
    auto* A = reinterpret_cast<const float*>(op.A);
    auto* B = reinterpret_cast<const float*>(op.B);
    auto* C = reinterpret_cast<float*>(op.C);
    if (op.batch == 1) checkBlas(L.blas.cublasSgemm_v2(blas_, op.opA, op.opB, op.m, op.n, op.k, &a, A, op.lda, B, op.ldb, &b, C, op.ldc), "cublasSgemm", op.what);
    else checkBlas(L.blas.cublasSgemmStridedBatched(blas_, op.opA, op.opB, op.m, op.n, op.k, &a, A, op.lda, op.strideA, B, op.ldb, op.strideB, &b, C, op.ldc, op.strideC, op.batch), "cublasSgemmStridedBatched", op.what);
  }
}

int Device::createGraph(const std::vector<Op>& ops) {
  auto& cu = libraries().cu;
  // Validate placements and find which ops other streams wait for (an event each).
  int nStreams = 1;
  std::vector<char> signals(ops.size(), 0);
  for (size_t i = 0; i < ops.size(); i++) {
    const Op& op = ops[i];
    if (op.stream < 0 || op.stream >= kMaxStreams) throw CudaError("op " + std::to_string(i) + " (" + op.what + ") is on stream " + std::to_string(op.stream) + ", outside 0–" + std::to_string(kMaxStreams - 1));
    nStreams = std::max(nStreams, op.stream + 1);
    for (int w : op.waits) {
      if (w < 0 || static_cast<size_t>(w) >= i) throw CudaError("op " + std::to_string(i) + " (" + op.what + ") waits for op " + std::to_string(w) + ", which is not an earlier op");
      signals[w] = 1;
    }
  }
  // Everything that allocates or synchronizes happens before capture begins.
  ensureStreams(nStreams);
  for (const auto& op : ops)
    if (op.kind == Op::Gemm && op.lt && op.k > 0) lt().prepare(op);
  std::vector<CUevent> events(ops.size(), nullptr);
  std::vector<CUevent> joins(nStreams, nullptr);
  auto destroyEvents = [&]() {
    for (auto e : events) if (e) cu.cuEventDestroy_v2(e);
    for (auto e : joins) if (e) cu.cuEventDestroy_v2(e);
  };
  try {
    for (size_t i = 0; i < ops.size(); i++)
      if (signals[i]) check(cu.cuEventCreate(&events[i], CU_EVENT_DISABLE_TIMING), "cuEventCreate", "graph branch");
    for (auto& e : joins) check(cu.cuEventCreate(&e, CU_EVENT_DISABLE_TIMING), "cuEventCreate", "graph branch");
  } catch (...) {
    destroyEvents();
    throw;
  }
  check(cu.cuStreamBeginCapture_v2(stream_, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");
  // Side streams join the capture by waiting on an event of the capturing stream (a fork)…
  bool forked = false;
  // …and must all be joined back into it before the capture ends.
  auto joinSideStreams = [&]() {
    if (!forked) return;
    for (int s = 1; s < nStreams; s++) {
      check(cu.cuEventRecord(joins[s], streams_[s]), "cuEventRecord", "joining a graph branch");
      check(cu.cuStreamWaitEvent(stream_, joins[s], 0), "cuStreamWaitEvent", "joining a graph branch");
    }
  };
  try {
    if (nStreams > 1) {
      check(cu.cuEventRecord(joins[0], stream_), "cuEventRecord", "forking graph branches");
      for (int s = 1; s < nStreams; s++) check(cu.cuStreamWaitEvent(streams_[s], joins[0], 0), "cuStreamWaitEvent", "forking graph branches");
      forked = true;
    }
    for (size_t i = 0; i < ops.size(); i++) {
      const Op& op = ops[i];
      for (int w : op.waits) check(cu.cuStreamWaitEvent(streams_[op.stream], events[w], 0), "cuStreamWaitEvent", op.what);
      enqueue(op, op.stream);
      if (signals[i]) check(cu.cuEventRecord(events[i], streams_[op.stream]), "cuEventRecord", op.what);
    }
    joinSideStreams();
    forked = false;
  } catch (...) {
    try {
      joinSideStreams();
    } catch (...) {
    }
    CUgraph broken = nullptr;
    cu.cuStreamEndCapture(stream_, &broken);
    if (broken) cu.cuGraphDestroy(broken);
    restoreBlasStream();
    destroyEvents();
    throw;
  }
  restoreBlasStream();
  CUgraph graph = nullptr;
  CUresult ended = cu.cuStreamEndCapture(stream_, &graph);
  destroyEvents();
  check(ended, "cuStreamEndCapture");
  CUgraphExec exec = nullptr;
  CUresult r = cu.cuGraphInstantiateWithFlags(&exec, graph, 0);
  cu.cuGraphDestroy(graph);
  check(r, "cuGraphInstantiateWithFlags");
  graphs_.push_back(exec);
  return static_cast<int>(graphs_.size() - 1);
}

void Device::restoreBlasStream() {
  auto& b = libraries().blas;
  b.cublasSetStream_v2(blas_, stream_);
  b.cublasSetWorkspace_v2(blas_, reinterpret_cast<void*>(workspace_), kWorkspaceBytes);
}

void Device::launchGraph(int graph) {
  if (graph < 0 || graph >= static_cast<int>(graphs_.size()) || !graphs_[graph]) throw CudaError("launching a destroyed CUDA graph");
  check(libraries().cu.cuGraphLaunch(graphs_[graph], stream_), "cuGraphLaunch");
}

void Device::destroyGraph(int graph) {
  if (graph < 0 || graph >= static_cast<int>(graphs_.size()) || !graphs_[graph]) return;
  libraries().cu.cuGraphExecDestroy(graphs_[graph]);
  graphs_[graph] = nullptr;
}

void Device::synchronize() { check(libraries().cu.cuStreamSynchronize(stream_), "cuStreamSynchronize"); }

void Device::memInfo(size_t* f, size_t* t) { check(libraries().cu.cuMemGetInfo_v2(f, t), "cuMemGetInfo"); }

}  // namespace sg
