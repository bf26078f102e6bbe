#pragma once
#include <string>
#include <vector>
#include "cuda_api.h"

namespace sg {
/**
 * dlopen()s libcuda.so.1 (from the loader path only, never the toolkit's stub), NVRTC
 * (13, then 12) and cuBLAS/cuBLASLt (13, then 12) from `dirs` in order ("" is the loader
 * path). Never throws: what is missing is recorded in each LibInfo. Idempotent.
 */
Libraries& loadLibraries(const std::vector<std::string>& dirs);
/** The libraries loaded so far (empty LibInfos before loadLibraries). */
Libraries& libraries();
}  // namespace sg
