// Fused elementwise kernels: outputs[j] = exprs[j](inputs…) over strided views, run as the
// bytecode of bytecode.h block by block, on the thread pool when the kernel is large.
#include <napi.h>

#include <mutex>
#include <vector>

#include "bytecode.h"
#include "kernels_napi.h"
#include "napi_args.h"
#include "strided.h"
#include "thread_pool.h"

namespace symgrad {
namespace {

constexpr const char* kWho = "elementwise";
// Below this many elements one thread runs the kernel: waking a worker costs more.
constexpr int64_t kParallelElements = 32768;
constexpr int kMaxViews = 64;

struct Job {
  Bytecode bc;
  Shape shape;
  int inputs = 0, outputs = 0;
  Array arrays[kMaxViews];
  StridedView views[kMaxViews];
  int64_t total = 0;
};

double* thread_registers(int64_t regs) {
  thread_local std::vector<double> file;
  if ((int64_t)file.size() < regs * kBlock) file.resize(regs * kBlock);
  return file.data();
}

void run_blocks(const Job& job, int64_t b0, int64_t b1) {
  double* regs = thread_registers(job.bc.regs);
  for (int64_t b = b0; b < b1; b++) {
    const int64_t start = b * kBlock;
    const int64_t n = std::min(kBlock, job.total - start);
    run_bytecode(job.bc, regs, n, [&](int32_t v, double* dst, int64_t m) {
      load_block(job.arrays[v], job.shape, job.views[v], start, m, dst);
    });
    // Stores come after every load of the block, so an output that is also an input (the
    // same view, in place) is read before it is written.
    for (int j = 0; j < job.outputs; j++) {
      const int v = job.inputs + j;
      store_block(job.arrays[v], job.shape, job.views[v], start, n, regs + job.bc.result_regs[j] * kBlock);
    }
  }
}

void run_job(void* ctx, int tid, int nth) {
  const Job& job = *static_cast<const Job*>(ctx);
  const int64_t blocks = (job.total + kBlock - 1) / kBlock;
  run_blocks(job, blocks * tid / nth, blocks * (tid + 1) / nth);
}

// Whether two threads could write one element: an output that stays put along a dim.
bool outputs_overlap(const Job& job) {
  for (int j = 0; j < job.outputs; j++) {
    for (int d = 0; d < job.shape.rank; d++) {
      if (job.shape.dims[d] > 1 && job.views[job.inputs + j].strides[d] == 0) return true;
    }
  }
  return false;
}

// elementwise(code: Int32Array, consts: Float64Array, geometry: Int32Array
// [rank, dims…, per view: offset, strides…], arrays: TypedArray[] (inputs then outputs), inputs)
Napi::Value Elementwise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 5) throw arg_error(env, kWho, "expected 5 arguments");
  int64_t lcode, lconst, lgeo;
  const int32_t* code = typed_arg<int32_t>(info, 0, napi_int32_array, kWho, "code", lcode);
  const double* consts = typed_arg<double>(info, 1, napi_float64_array, kWho, "consts", lconst);
  const int32_t* geo = typed_arg<int32_t>(info, 2, napi_int32_array, kWho, "geometry", lgeo);
  if (!info[3].IsArray()) throw arg_error(env, kWho, "arrays must be an array of typed arrays");
  Napi::Array list = info[3].As<Napi::Array>();
  const int64_t count = list.Length();
  const int64_t inputs = integer_arg(info, 4, kWho, "inputs");
  if (count > kMaxViews || inputs < 0 || inputs > count) throw arg_error(env, kWho, "too many views, or inputs > arrays");
  Job job;
  job.inputs = static_cast<int>(inputs);
  job.outputs = static_cast<int>(count - inputs);
  for (int v = 0; v < count; v++) job.arrays[v] = array_of(env, list.Get(v), kWho, "arrays[" + std::to_string(v) + "]");
  job.shape = read_shape(env, kWho, geo, lgeo);
  read_views(env, kWho, geo, lgeo, 1 + job.shape.rank, job.shape, job.arrays, static_cast<int>(count), job.views);
  job.bc = read_bytecode(env, kWho, code, lcode, consts, lconst, job.inputs);
  if (job.bc.results != job.outputs) throw arg_error(env, kWho, "the bytecode's results do not match the outputs");
  job.total = job.shape.size();
  if (job.total == 0 || job.outputs == 0) return env.Undefined();
  std::lock_guard<std::mutex> lock(ThreadPool::call_mutex());
  ThreadPool& pool = ThreadPool::instance();
  const int64_t blocks = (job.total + kBlock - 1) / kBlock;
  int nth = job.total >= kParallelElements && !outputs_overlap(job) ? pool.size() : 1;
  if (nth > blocks) nth = static_cast<int>(blocks);
  pool.run(nth, run_job, &job);
  return env.Undefined();
}

Napi::Value OpcodeNames(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env(), kOpCount);
  for (int i = 0; i < kOpCount; i++) out.Set(i, Napi::String::New(info.Env(), opcode_names()[i]));
  return out;
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("elementwise", Napi::Function::New(env, Elementwise));
  exports.Set("bytecodeOps", Napi::Function::New(env, OpcodeNames));
}

}  // namespace symgrad
