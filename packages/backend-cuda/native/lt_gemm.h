#pragma once
#include <map>
#include <string>

#include "device.h"

namespace sg {

/**
 * GEMMs through cuBLASLt: per distinct shape, layout, epilogue and operand alignment, the
 * descriptors are built once and the algorithm is chosen by timing cuBLASLt's heuristic
 * candidates on the device (on a scratch copy of the output, so tuning never changes the
 * user's buffers). The choice is kept for the process; captured graphs replay it.
 */
class LtGemms {
 public:
  /** The device's stream and allocator are used for tuning; `workspaceBytes` bounds every algorithm's workspace. */
  void init(Device* device, CUstream tuneStream, CUdeviceptr tuneWorkspace, size_t workspaceBytes, bool pedanticFp32);
  bool ready() const { return handle_ != nullptr; }
  void destroy();

  /** Builds and tunes the plan for `op` if it has none yet. Never call while a stream is capturing. */
  void prepare(const Op& op);
  /** Enqueues `op` on `stream` with its prepared plan (capturable). */
  void enqueue(const Op& op, CUstream stream, CUdeviceptr workspace);

 private:
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};
    size_t workspace = 0;
  };
  std::string key(const Op& op) const;
  Plan build(const Op& op);
  void tune(const Op& op, Plan& plan, const cublasLtMatmulHeuristicResult_t* candidates, int count);
  cublasStatus_t run(const Op& op, const Plan& plan, const cublasLtMatmulAlgo_t& algo, CUdeviceptr c, CUstream stream, CUdeviceptr workspace);
  void release(Plan& plan);

  Device* device_ = nullptr;
  cublasLtHandle_t handle_ = nullptr;
  CUstream tuneStream_ = nullptr;
  CUdeviceptr tuneWorkspace_ = 0;
  size_t workspaceBytes_ = 0;
  bool pedanticFp32_ = false;
  int candidates_ = 8;
  bool log_ = false;
  std::map<std::string, Plan> plans_;
};

}  // namespace sg
