// The `random` kernel's binding (src/runtime/random.ts and @symgrad/core's fillRandom have the
// semantics): Philox-4x32-10 draws of bits, uniforms and normals. Each element is a pure
// function of its index, so threads fill disjoint block ranges and the result does not depend
// on the thread count. The tier (random_tier.h) follows the GEMM's (setIsa), so one switch
// compares them.
#include <napi.h>

#include <cstring>
#include <mutex>

#include "gemm.h"
#include "kernels_napi.h"
#include "napi_args.h"
#include "random_tier.h"
#include "thread_pool.h"

namespace symgrad {
namespace {

// Below this many elements one thread draws them all: waking a worker costs more.
constexpr int64_t kParallelRandom = 16384;

// The generic tier: scalar Philox and libm.
struct Generic {
  static constexpr int64_t kWidth = 1;
  static void words(uint32_t k0, uint32_t k1, uint64_t block, int64_t nb, uint32_t* w) {
    for (int64_t b = 0; b < nb; b++) philox_block(k0, k1, block + static_cast<uint64_t>(b), w + 4 * b);
  }
  template <typename T>
  static void log(const T* a, T* d, int64_t n) {
    for (int64_t i = 0; i < n; i++) d[i] = std::log(a[i]);
  }
  template <typename T>
  static void sin(const T* a, T* d, int64_t n) {
    for (int64_t i = 0; i < n; i++) d[i] = std::sin(a[i]);
  }
  template <typename T>
  static void cos(const T* a, T* d, int64_t n) {
    for (int64_t i = 0; i < n; i++) d[i] = std::cos(a[i]);
  }
};

RandomFillFn active_fill() {
#if defined(__x86_64__)
  const char* isa = active_isa();
  if (std::strcmp(isa, "avx512") == 0) return random_fill_avx512();
  if (std::strcmp(isa, "avx2") == 0) return random_fill_avx2();
#endif
  return random_fill_generic();
}

struct RandomJob {
  RandomDraw draw;
  RandomFillFn fill;
  int64_t blocks;
};

void random_job(void* ctx, int tid, int nth) {
  const RandomJob& j = *static_cast<const RandomJob*>(ctx);
  j.fill(j.draw, j.blocks * tid / nth, j.blocks * (tid + 1) / nth);
}

// The int32 array at argument i, with room for `count` elements from `offset`.
int32_t* words_at(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t offset, int64_t count) {
  const char* who = "random";
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw arg_error(info.Env(), who, std::string(name) + " must be an Int32Array");
  }
  auto a = info[i].As<Napi::Int32Array>();
  if (offset < 0 || offset + count > static_cast<int64_t>(a.ElementLength())) {
    throw Napi::RangeError::New(info.Env(), std::string(who) + ": " + name + " reaches element " + std::to_string(offset + count - 1) +
                                                " of an array of " + std::to_string(a.ElementLength()));
  }
  return a.Data() + offset;
}

// random(distribution 0 bits | 1 uniform | 2 normal, state: Int32Array, output, next: Int32Array
// | null, geometry: Int32Array [stateOff, outOff, n, nextOff])
Napi::Value Random(const Napi::CallbackInfo& info) {
  const char* who = "random";
  Napi::Env env = info.Env();
  if (info.Length() != 5) throw arg_error(env, who, "expected 5 arguments");
  const int64_t distribution = integer_arg(info, 0, who, "distribution");
  int64_t lg;
  const int32_t* g = typed_arg<int32_t>(info, 4, napi_int32_array, who, "geometry", lg);
  if (lg != 4 || g[1] < 0 || g[2] < 0) throw arg_error(env, who, "geometry must hold [stateOff, outOff, n, nextOff]");
  const int64_t n = g[2];
  const int32_t* state = words_at(info, 1, "state", g[0], 4);
  const Array out = array_of(env, info[2], who, "output");
  if (g[1] + n > out.length) {
    throw Napi::RangeError::New(env, std::string(who) + ": output reaches element " + std::to_string(g[1] + n - 1) + " of an array of " +
                                         std::to_string(out.length));
  }
  RandomKind kind;
  if (distribution == 0 && out.storage == kI32) kind = kRandomBits;
  else if (distribution == 1 && (out.storage == kF32 || out.storage == kF64)) kind = out.storage == kF32 ? kRandomUniformF32 : kRandomUniformF64;
  else if (distribution == 2 && (out.storage == kF32 || out.storage == kF64)) kind = out.storage == kF32 ? kRandomNormalF32 : kRandomNormalF64;
  else throw arg_error(env, who, "distribution must be 0 (bits, into an Int32Array), 1 (uniform) or 2 (normal, into a Float32Array or Float64Array)");
  int32_t* next = info[3].IsNull() ? nullptr : words_at(info, 3, "next", g[3], 4);

  // Read the whole state before writing anything (next never aliases it, but output could).
  const uint32_t k0 = static_cast<uint32_t>(state[0]), k1 = static_cast<uint32_t>(state[1]);
  const uint64_t offset = static_cast<uint64_t>(static_cast<uint32_t>(state[2])) | static_cast<uint64_t>(static_cast<uint32_t>(state[3])) << 32;
  const size_t width = out.storage == kF64 ? 8 : 4;
  RandomJob job{{kind, k0, k1, offset, static_cast<char*>(out.data) + g[1] * width, n}, active_fill(), (n + 3) / 4};
  if (n > 0) {
    std::lock_guard<std::mutex> lock(ThreadPool::call_mutex());
    ThreadPool& pool = ThreadPool::instance();
    int nth = n >= kParallelRandom ? pool.size() : 1;
    // Whole chunks per thread, so no thread gets a sliver.
    const int64_t chunks = (job.blocks + kRandomChunk - 1) / kRandomChunk;
    if (nth > chunks) nth = static_cast<int>(chunks);
    pool.run(nth, random_job, &job);
  }
  if (next) {
    const uint64_t advanced = offset + static_cast<uint64_t>(job.blocks);
    next[0] = static_cast<int32_t>(k0), next[1] = static_cast<int32_t>(k1);
    next[2] = static_cast<int32_t>(static_cast<uint32_t>(advanced)), next[3] = static_cast<int32_t>(static_cast<uint32_t>(advanced >> 32));
  }
  return env.Undefined();
}

}  // namespace

RandomFillFn random_fill_generic() { return fill_blocks<Generic>; }

void register_random(Napi::Env env, Napi::Object exports) { exports.Set("random", Napi::Function::New(env, Random)); }

}  // namespace symgrad
