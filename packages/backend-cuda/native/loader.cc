// Run-time loading of the CUDA driver, NVRTC and cuBLAS (see cuda_api.h for why).
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <link.h>

#include <cstring>

namespace sg {
namespace {

Libraries g_libs;
bool g_loaded = false;

std::string loadedPath(void* handle, const std::string& fallback) {
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0]) return map->l_name;
  return fallback;
}

std::string lastDlError() {
  const char* e = dlerror();
  return e ? e : "unknown dlopen error";
}

// Resolves every name into consecutive function-pointer slots of `table`; returns the first missing name.
template <typename Table>
std::string resolve(void* handle, Table& table, const char* const* names, size_t count) {
  static_assert(sizeof(Table) % sizeof(void*) == 0, "function table");
  auto** slots = reinterpret_cast<void**>(&table);
  for (size_t i = 0; i < count; i++) {
    void* sym = dlsym(handle, names[i]);
    if (!sym) return names[i];
    slots[i] = sym;
  }
  return "";
}

// The order of these names is the order of the fields in cuda_api.h.
const char* const kDriverNames[] = {
    "cuInit", "cuDriverGetVersion", "cuGetErrorName", "cuGetErrorString", "cuDeviceGetCount", "cuDeviceGet",
    "cuDeviceGetName", "cuDeviceGetAttribute", "cuDeviceTotalMem_v2", "cuDevicePrimaryCtxRetain",
    "cuDevicePrimaryCtxRelease_v2", "cuCtxSetCurrent", "cuStreamCreate", "cuStreamDestroy_v2", "cuStreamSynchronize",
    "cuEventCreate", "cuEventDestroy_v2", "cuEventRecord", "cuEventQuery", "cuEventSynchronize",
    "cuEventElapsedTime", "cuStreamWaitEvent", "cuDeviceGetDefaultMemPool", "cuMemPoolSetAttribute", "cuMemAllocAsync", "cuMemFreeAsync", "cuMemAlloc_v2",
    "cuMemFree_v2", "cuMemHostAlloc", "cuMemFreeHost", "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2",
    "cuMemcpyDtoDAsync_v2", "cuMemGetInfo_v2", "cuModuleLoadData", "cuModuleUnload", "cuModuleGetFunction", "cuLaunchKernel",
    "cuStreamBeginCapture_v2", "cuStreamEndCapture", "cuGraphInstantiateWithFlags", "cuGraphLaunch",
    "cuGraphExecDestroy", "cuGraphDestroy"};
static_assert(sizeof(kDriverNames) / sizeof(char*) == sizeof(DriverApi) / sizeof(void*), "driver table");

// Optional: a missing one stays null and only the feature that uses it falls back (cuda_api.h).
const char* const kOptionalDriverNames[] = {"cuEventRecordWithFlags"};
static_assert(sizeof(kOptionalDriverNames) / sizeof(char*) == sizeof(OptionalDriverApi) / sizeof(void*), "optional driver table");

template <typename Table>
void resolveOptional(void* handle, Table& table, const char* const* names, size_t count) {
  auto** slots = reinterpret_cast<void**>(&table);
  for (size_t i = 0; i < count; i++) slots[i] = dlsym(handle, names[i]);
}

const char* const kNvrtcNames[] = {
    "nvrtcVersion", "nvrtcGetErrorString", "nvrtcCreateProgram", "nvrtcCompileProgram", "nvrtcGetProgramLogSize",
    "nvrtcGetProgramLog", "nvrtcGetCUBINSize", "nvrtcGetCUBIN", "nvrtcDestroyProgram"};
static_assert(sizeof(kNvrtcNames) / sizeof(char*) == sizeof(NvrtcApi) / sizeof(void*), "nvrtc table");

const char* const kCublasNames[] = {
    "cublasGetProperty", "cublasGetStatusString", "cublasCreate_v2", "cublasDestroy_v2", "cublasSetStream_v2",
    "cublasSetMathMode", "cublasSetWorkspace_v2", "cublasSgemm_v2", "cublasSgemmStridedBatched", "cublasDgemm_v2",
    "cublasDgemmStridedBatched"};
static_assert(sizeof(kCublasNames) / sizeof(char*) == sizeof(CublasApi) / sizeof(void*), "cublas table");

const char* const kLtNames[] = {
    "cublasLtGetVersion", "cublasLtCreate", "cublasLtDestroy", "cublasLtGetStatusString", "cublasLtMatmulDescCreate",
    "cublasLtMatmulDescDestroy", "cublasLtMatmulDescSetAttribute", "cublasLtMatrixLayoutCreate", "cublasLtMatrixLayoutDestroy",
    "cublasLtMatrixLayoutSetAttribute", "cublasLtMatmulPreferenceCreate", "cublasLtMatmulPreferenceDestroy",
    "cublasLtMatmulPreferenceSetAttribute", "cublasLtMatmulAlgoGetHeuristic", "cublasLtMatmul"};
static_assert(sizeof(kLtNames) / sizeof(char*) == sizeof(CublasLtApi) / sizeof(void*), "cublasLt table");

void loadDriver(Libraries& L) {
  // Only the loader path: the driver belongs to the system, and the toolkit's stubs/libcuda.so
  // (which has no soname .1 and fails cuInit with CUDA_ERROR_STUB_LIBRARY) must never be used.
  dlerror();
  void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    L.driver.error = "libcuda.so.1 not found (no NVIDIA driver): " + lastDlError();
    return;
  }
  std::string path = loadedPath(h, "libcuda.so.1");
  if (path.find("/stubs/") != std::string::npos) {
    L.driver.error = "libcuda.so.1 at " + path + " is the CUDA toolkit's stub, not a driver";
    dlclose(h);
    return;
  }
  std::string missing = resolve(h, L.cu, kDriverNames, sizeof(kDriverNames) / sizeof(char*));
  if (!missing.empty()) {
    L.driver.error = "libcuda.so.1 at " + path + " lacks " + missing + " (driver too old; CUDA 12 or newer is needed)";
    L.cu = DriverApi{};
    return;
  }
  resolveOptional(h, L.cuOpt, kOptionalDriverNames, sizeof(kOptionalDriverNames) / sizeof(char*));
  int v = 0;
  L.cu.cuDriverGetVersion(&v);
  L.driver.found = true;
  L.driver.path = path;
  L.driver.version = std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// NVRTC dlopen()s libnvrtc-builtins.so.<major>.<minor> by bare name when it compiles. Where
// NVRTC came from a folder off the loader path (a pip wheel's nvidia/cu13/lib), that lookup
// fails; loading the builtins from the same folder first makes the bare name resolve to them.
void preloadNvrtcBuiltins(const std::string& dir) {
  if (dir.empty()) return;
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("libnvrtc-builtins.so.", 0) == 0) dlopen(join(dir, name).c_str(), RTLD_NOW | RTLD_GLOBAL);
  }
  closedir(d);
}

void loadNvrtc(Libraries& L, const std::vector<std::string>& dirs) {
  std::string errors;
  for (const char* so : {"libnvrtc.so.13", "libnvrtc.so.12"}) {
    for (const auto& dir : dirs) {
      dlerror();
      void* h = dlopen(join(dir, so).c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) continue;
      std::string missing = resolve(h, L.nvrtc_api, kNvrtcNames, sizeof(kNvrtcNames) / sizeof(char*));
      if (!missing.empty()) {
        errors += join(dir, so) + " lacks " + missing + "; ";
        L.nvrtc_api = NvrtcApi{};
        dlclose(h);
        continue;
      }
      preloadNvrtcBuiltins(dir);
      int major = 0, minor = 0;
      L.nvrtc_api.nvrtcVersion(&major, &minor);
      L.nvrtc.found = true;
      L.nvrtc.path = loadedPath(h, join(dir, so));
      L.nvrtc.version = std::to_string(major) + "." + std::to_string(minor);
      return;
    }
  }
  L.nvrtc.error = errors + "libnvrtc.so.13 / libnvrtc.so.12 not found (install the CUDA toolkit or `pip install nvidia-cuda-nvrtc-cu12`)";
}

void loadCublas(Libraries& L, const std::vector<std::string>& dirs) {
  std::string errors;
  for (const char* major : {"13", "12"}) {
    for (const auto& dir : dirs) {
      // cuBLASLt first and RTLD_GLOBAL, so libcublas's DT_NEEDED on it resolves to this same copy.
      dlerror();
      void* lt = dlopen(join(dir, std::string("libcublasLt.so.") + major).c_str(), RTLD_NOW | RTLD_GLOBAL);
      if (!lt) continue;
      void* h = dlopen(join(dir, std::string("libcublas.so.") + major).c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        errors += join(dir, std::string("libcublas.so.") + major) + ": " + lastDlError() + "; ";
        dlclose(lt);
        continue;
      }
      std::string missing = resolve(h, L.blas, kCublasNames, sizeof(kCublasNames) / sizeof(char*));
      if (missing.empty()) missing = resolve(lt, L.lt, kLtNames, sizeof(kLtNames) / sizeof(char*));
      if (!missing.empty()) {
        errors += join(dir, std::string("libcublas.so.") + major) + " lacks " + missing + "; ";
        L.blas = CublasApi{};
        L.lt = CublasLtApi{};
        dlclose(h);
        dlclose(lt);
        continue;
      }
      int a = 0, b = 0, c = 0;
      L.blas.cublasGetProperty(MAJOR_VERSION, &a);
      L.blas.cublasGetProperty(MINOR_VERSION, &b);
      L.blas.cublasGetProperty(PATCH_LEVEL, &c);
      L.cublas = {true, loadedPath(h, ""), std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c), ""};
      size_t v = L.lt.cublasLtGetVersion();  // e.g. 130001 = 13.0.1
      L.cublasLt = {true, loadedPath(lt, ""), std::to_string(v / 10000) + "." + std::to_string((v / 100) % 100) + "." + std::to_string(v % 100), ""};
      return;
    }
  }
  L.cublas.error = errors + "libcublas.so.13 / libcublas.so.12 (with libcublasLt) not found (install the CUDA toolkit or `pip install nvidia-cublas-cu12`)";
  L.cublasLt.error = L.cublas.error;
}

}  // namespace

Libraries& libraries() { return g_libs; }

Libraries& loadLibraries(const std::vector<std::string>& dirs) {
  if (g_loaded) return g_libs;
  g_loaded = true;
  loadDriver(g_libs);
  loadNvrtc(g_libs, dirs);
  loadCublas(g_libs, dirs);
  return g_libs;
}

}  // namespace sg
