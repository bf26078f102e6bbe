// A check of the fakes' kernel emulation through the CUDA APIs alone (no addon): compile
// errors come back as NVRTC logs; launch geometry (3-D grids and blocks), block barriers with
// shared memory, warp shuffles at every width, votes, atomics (float, double, wrapping int),
// parameters copied at launch (a captured graph replays the values of the capture), bad
// pointers, writes past the end of an allocation, and divergent barriers.
// Built and run by src/runtime/fake-cuda.test.ts against the fake libraries; prints one line
// per check and exits nonzero when any fails.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
typedef unsigned long long CUdeviceptr;
int cuInit(unsigned);
int cuDevicePrimaryCtxRetain(void**, int);
int cuCtxSetCurrent(void*);
int cuMemAlloc_v2(CUdeviceptr*, size_t);
int cuMemcpyHtoDAsync_v2(CUdeviceptr, const void*, size_t, void*);
int cuMemcpyDtoHAsync_v2(void*, CUdeviceptr, size_t, void*);
int cuModuleLoadData(void**, const void*);
int cuModuleGetFunction(void**, void*, const char*);
int cuLaunchKernel(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**, void**);
int cuStreamCreate(void**, unsigned);
int cuStreamBeginCapture_v2(void*, int);
int cuStreamEndCapture(void*, void**);
int cuGraphInstantiateWithFlags(void**, void*, unsigned long long);
int cuGraphLaunch(void*, void*);
int nvrtcCreateProgram(void**, const char*, const char*, int, const char* const*, const char* const*);
int nvrtcCompileProgram(void*, int, const char* const*);
int nvrtcGetProgramLogSize(void*, size_t*);
int nvrtcGetProgramLog(void*, char*);
int nvrtcGetCUBINSize(void*, size_t*);
int nvrtcGetCUBIN(void*, char*);
}

namespace {
int failures = 0;
void check(bool ok, const char* name, const std::string& detail = "") {
  printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", name, ok || detail.empty() ? "" : ": ", ok ? "" : detail.c_str());
  failures += !ok;
}
int compile(const char* src, const char* name, std::vector<char>* cubin, std::string* log) {
  void* prog = nullptr;
  nvrtcCreateProgram(&prog, src, name, 0, nullptr, nullptr);
  const char* opts[] = {"--gpu-architecture=sm_90", "--std=c++17"};
  int rc = nvrtcCompileProgram(prog, 2, opts);
  size_t n = 0;
  nvrtcGetProgramLogSize(prog, &n);
  log->assign(n, '\0');
  nvrtcGetProgramLog(prog, &(*log)[0]);
  if (rc == 0) {
    nvrtcGetCUBINSize(prog, &n);
    cubin->resize(n);
    nvrtcGetCUBIN(prog, cubin->data());
  }
  return rc;
}
template <typename T>
std::vector<T> read(CUdeviceptr p, size_t n) {
  std::vector<T> v(n);
  cuMemcpyDtoHAsync_v2(v.data(), p, n * sizeof(T), nullptr);
  return v;
}
CUdeviceptr zeros(size_t bytes) {
  CUdeviceptr p = 0;
  cuMemAlloc_v2(&p, bytes);
  std::vector<char> z(bytes, 0);
  cuMemcpyHtoDAsync_v2(p, z.data(), bytes, nullptr);
  return p;
}

const char* kProgram = R"(
extern "C" __global__ void geometry(int* out) {
  const unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  out[b * blockDim.x * blockDim.y * blockDim.z + t] = (int)(b * 1000 + t);
}
// A tree reduction in shared memory: wrong without working block barriers or per-block sharing.
extern "C" __global__ void __launch_bounds__(256) blockSum(const float* __restrict__ x, float* __restrict__ out) {
  __shared__ float sh[256];
  sh[threadIdx.x] = x[blockIdx.x * 256 + threadIdx.x];
  __syncthreads();
  for (int s = 128; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = sh[0];
}
extern "C" __global__ void shuffles(int* out) {
  const int v = (int)threadIdx.x * 10;
  int* o = out + threadIdx.x * 6;
  o[0] = __shfl_xor_sync(0xffffffffu, v, 5);
  o[1] = __shfl_down_sync(0xffffffffu, v, 3, 16);
  o[2] = __shfl_up_sync(0xffffffffu, v, 2, 8);
  o[3] = __shfl_sync(0xffffffffu, v, 7, 16);
  o[4] = (int)__ballot_sync(0xffffffffu, threadIdx.x & 1);
  o[5] = (int)__shfl_xor_sync(0xffffffffu, (double)v + 0.5, 1);
}
extern "C" __global__ void counter(unsigned* c, int add) { atomicAdd(c, (unsigned)add); }
// Every thread adds into one float, one double and one int; 128 threads of 2^24 make 2^31, which
// wraps to -2^31 as the device's integer add does. Each also keeps the old value it got back.
extern "C" __global__ void adds(float* f, double* d, int* i, int* old) {
  atomicAdd(f, 0.5f);
  atomicAdd(d, 0.25);
  old[blockIdx.x * blockDim.x + threadIdx.x] = atomicAdd(i, 1 << 24);
}
extern "C" __global__ void fill(float* x, int n) { if ((int)threadIdx.x <= n) x[threadIdx.x] = 1.0f; }
extern "C" __global__ void divergent(int* out) {
  int v = (int)threadIdx.x;
  if ((threadIdx.x & 31) < 16) v = __shfl_xor_sync(0xffffffffu, v, 1);
  __syncthreads();
  out[threadIdx.x] = v;
}
)";
}  // namespace

int main() {
  void* ctx = nullptr;
  if (cuInit(0) || cuDevicePrimaryCtxRetain(&ctx, 0) || cuCtxSetCurrent(ctx)) { puts("FAIL no fake context"); return 1; }
  std::vector<char> cubin;
  std::string log;

  int rc = compile("extern \"C\" __global__ void broken(float* x) { x[0] = undeclared; }\n", "broken.cu", &cubin, &log);
  check(rc == 6 && log.find("broken.cu:1:") != std::string::npos && log.find("undeclared") != std::string::npos,
        "a compile error is NVRTC_ERROR_COMPILATION with the compiler's log", "rc " + std::to_string(rc) + ", log: " + log.substr(0, 300));

  rc = compile(kProgram, "selftest.cu", &cubin, &log);
  check(rc == 0, "the test program compiles", log);
  if (rc) return 1;
  void* mod = nullptr;
  check(cuModuleLoadData(&mod, cubin.data()) == 0, "cuModuleLoadData");
  auto fn = [&](const char* name) { void* f = nullptr; cuModuleGetFunction(&f, mod, name); return f; };

  {  // 3-D grid (3, 2, 2) of 3-D blocks (4, 2, 3): every thread writes its global id once.
    const unsigned n = 12 * 24;
    CUdeviceptr out = zeros(n * 4);
    void* args[] = {&out};
    rc = cuLaunchKernel(fn("geometry"), 3, 2, 2, 4, 2, 3, 0, nullptr, args, nullptr);
    auto got = read<int>(out, n);
    std::string bad;
    for (unsigned i = 0; i < n && bad.empty(); i++)
      if (got[i] != (int)((i / 24) * 1000 + i % 24)) bad = "element " + std::to_string(i) + " is " + std::to_string(got[i]);
    check(rc == 0 && bad.empty(), "3-D grid and block indices", bad);
  }
  {  // Three blocks of 256: sums of 0..255 offset per block.
    std::vector<float> x(768);
    for (int i = 0; i < 768; i++) x[i] = (float)i;
    CUdeviceptr dx = zeros(768 * 4), out = zeros(3 * 4);
    cuMemcpyHtoDAsync_v2(dx, x.data(), 768 * 4, nullptr);
    void* args[] = {&dx, &out};
    rc = cuLaunchKernel(fn("blockSum"), 3, 1, 1, 256, 1, 1, 0, nullptr, args, nullptr);
    auto got = read<float>(out, 3);
    check(rc == 0 && got[0] == 32640 && got[1] == 98176 && got[2] == 163712, "__syncthreads and per-block __shared__",
          std::to_string(got[0]) + " " + std::to_string(got[1]) + " " + std::to_string(got[2]));
  }
  {  // 48 threads: a full warp and a partial one (16 lanes).
    CUdeviceptr out = zeros(48 * 6 * 4);
    void* args[] = {&out};
    rc = cuLaunchKernel(fn("shuffles"), 1, 1, 1, 48, 1, 1, 0, nullptr, args, nullptr);
    auto got = read<int>(out, 48 * 6);
    std::string bad;
    for (int t = 0; t < 48 && bad.empty(); t++) {
      const int lane = t & 31, base = t - lane, live = t < 32 ? 32 : 16;
      const int xs = lane ^ 5, want[5] = {
          (xs < live ? base + xs : t) * 10,
          ((lane & 15) + 3 < 16 && lane + 3 < live ? t + 3 : t) * 10,
          ((lane & 7) < 2 ? t : t - 2) * 10,
          (base + (lane & ~15) + 7) * 10,
          (int)(live == 32 ? 0xaaaaaaaau : 0xaaaau)};
      for (int k = 0; k < 5; k++)
        if (got[t * 6 + k] != want[k]) bad = "thread " + std::to_string(t) + " result " + std::to_string(k) + ": " + std::to_string(got[t * 6 + k]) + " != " + std::to_string(want[k]);
      if (got[t * 6 + 5] != (t ^ 1) * 10) bad = "thread " + std::to_string(t) + ": double shuffle " + std::to_string(got[t * 6 + 5]);
    }
    check(rc == 0 && bad.empty(), "warp shuffles (xor, down, up, indexed, widths 8 and 16), ballot, partial warp", bad);
  }
  {  // Parameters are copied at launch: the graph replays the values it captured.
    CUdeviceptr c = zeros(4);
    void *s = nullptr, *graph = nullptr, *exec = nullptr;
    int add = 3;
    void* args[] = {&c, &add};
    cuStreamCreate(&s, 1);
    cuStreamBeginCapture_v2(s, 0);
    rc = cuLaunchKernel(fn("counter"), 2, 1, 1, 5, 1, 1, 0, s, args, nullptr);
    add = 100;
    rc |= cuStreamEndCapture(s, &graph) | cuGraphInstantiateWithFlags(&exec, graph, 0);
    rc |= cuGraphLaunch(exec, nullptr) | cuGraphLaunch(exec, nullptr);
    rc |= cuLaunchKernel(fn("counter"), 1, 1, 1, 1, 1, 1, 0, nullptr, args, nullptr);
    auto got = read<unsigned>(c, 1);
    check(rc == 0 && got[0] == 2 * 10 * 3 + 100, "atomicAdd, scalar parameters copied at launch and replayed", std::to_string(got[0]));
  }
  {  // Two blocks of 64: 128 atomic adds of each type.
    CUdeviceptr f = zeros(4), d = zeros(8), i = zeros(4), old = zeros(128 * 4);
    void* args[] = {&f, &d, &i, &old};
    rc = cuLaunchKernel(fn("adds"), 2, 1, 1, 64, 1, 1, 0, nullptr, args, nullptr);
    const float gf = read<float>(f, 1)[0];
    const double gd = read<double>(d, 1)[0];
    const int gi = read<int>(i, 1)[0];
    auto olds = read<int>(old, 128);
    std::vector<bool> seen(128, false);  // the old values are 0, 2^24, ..., 127 * 2^24, each once
    bool distinct = true;
    for (int v : olds) {
      const long long k = (long long)(unsigned)v >> 24;
      distinct = distinct && ((long long)(unsigned)v & 0xffffff) == 0 && !seen[k];
      if (distinct) seen[k] = true;
    }
    check(rc == 0 && gf == 64.0f && gd == 32.0 && gi == (int)0x80000000u && distinct, "atomicAdd on float, double and int (the int wraps), returning the old value",
          std::to_string(gf) + " " + std::to_string(gd) + " " + std::to_string(gi) + (distinct ? "" : ", old values repeat"));
  }
  {
    CUdeviceptr wild = 0x10;
    void* args[] = {&wild};
    check(cuLaunchKernel(fn("geometry"), 1, 1, 1, 1, 1, 1, 0, nullptr, args, nullptr) == 700, "a pointer parameter outside device memory is 700");
    CUdeviceptr ten = 0;
    cuMemAlloc_v2(&ten, 10 * 4);
    int n = 9;
    void* args1[] = {&ten, &n};
    rc = cuLaunchKernel(fn("fill"), 1, 1, 1, 32, 1, 1, 0, nullptr, args1, nullptr);
    n = 10;  // one element too many
    check(rc == 0 && cuLaunchKernel(fn("fill"), 1, 1, 1, 32, 1, 1, 0, nullptr, args1, nullptr) == 700,
          "a kernel writing past the end of an allocation is 700", "in bounds: " + std::to_string(rc));
    CUdeviceptr out = zeros(64 * 4);
    void* args2[] = {&out};
    check(cuLaunchKernel(fn("divergent"), 1, 1, 1, 64, 1, 1, 0, nullptr, args2, nullptr) == 719,
          "lanes of one warp at different barriers fail the launch (719) instead of hanging");
  }
  return failures ? 1 : 0;
}
