// Reduce kernels: output[kept] = epilogue(reduce over the inner dims of prologue(inputs…)).
//
// The iteration space is ordered kept dims first, reduced dims last (src/runtime/reduce.ts
// arranges the geometry), so output k is the run of linear indices [k·R, (k+1)·R). The
// prologue runs as bytecode over blocks of that space (a block may span several outputs);
// each output accumulates its run in float64 over eight lanes by reduced index, combined in a
// fixed order (see Acc), so the result does not depend on how blocks and outputs are split
// between threads. The TypeScript path sums in index order: the two agree to float64
// rounding (bit for bit once rounded to float32, in all but rare last-ulp cases).
#include <napi.h>

#include <limits>
#include <mutex>
#include <vector>

#include "bytecode.h"
#include "kernels_napi.h"
#include "napi_args.h"
#include "strided.h"
#include "thread_pool.h"

namespace symgrad {
namespace {

constexpr const char* kWho = "reduce";
constexpr int64_t kParallelElements = 32768;
// Runs of at least two chunks are reduced chunk by chunk, the chunks on any thread, and the
// chunks' partial results combined in order: a sum over a whole large tensor uses every
// thread. Whether and how a run is chunked depends on its length only, never on the thread
// count, so results do not either. A multiple of the lanes and of the bytecode block.
constexpr int64_t kChunk = 65536;
constexpr int kMaxViews = 64;

enum ReduceOp : int { kSum = 0, kMax = 1, kMin = 2, kArgmax = 3 };

struct Job {
  ReduceOp op = kSum;
  Round acc_round = kRoundNone;
  Bytecode prologue;
  bool has_epilogue = false;
  Bytecode epilogue;
  Shape shape, kept;
  int inputs = 0;
  Array arrays[kMaxViews];
  StridedView views[kMaxViews];
  int64_t outputs = 0, reduced = 0;
};

// One output's accumulator. Sum, max and min spread the run over kLanes partial results by
// reduced index (element r goes to lane r mod kLanes) and combine them in a fixed order at the
// end: independent chains instead of one long dependent one, and still the same result
// whatever the blocks and threads. Argmax keeps one scalar (ties and NaN keep the first index).
constexpr int kLanes = 8;
struct Acc {
  double lane[kLanes];
  double acc = 0;
  int64_t at = 0;
};

Acc fresh_acc(ReduceOp op) {
  Acc a;
  const double init = op == kSum ? 0.0 : op == kMin ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (double& l : a.lane) l = init;
  a.acc = init;
  return a;
}

template <ReduceOp op>
inline void fold(double& acc, double x) {
  // Bitwise | and a select, not || and a branch: the compiler turns them into compares and
  // blends over the lanes.
  if (op == kSum) acc += x;
  else if (op == kMax) acc = ((x > acc) | (x != x)) ? x : acc;
  else acc = ((x < acc) | (x != x)) ? x : acc;  // kMin
}

// The accumulation of values v[0..n) of one output, whose first has reduced index r0.
template <ReduceOp op>
inline void accumulate(Acc& a, const double* v, int64_t n, int64_t r0) {
  if (op == kArgmax) {
    for (int64_t i = 0; i < n; i++) {
      const double x = v[i];
      if (x > a.acc || (x != x && a.acc == a.acc)) { a.acc = x; a.at = r0 + i; }
    }
    return;
  }
  int64_t i = 0;
  for (int l = static_cast<int>(r0 % kLanes); i < n && l != 0; i++, l = (l + 1) % kLanes) fold<op>(a.lane[l], v[i]);
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; l++) fold<op>(a.lane[l], v[i + l]);
  }
  for (int l = 0; i < n; i++, l++) fold<op>(a.lane[l], v[i]);
}

// The finished value of an output: its lanes combined pairwise ((0+1)+(2+3))+((4+5)+(6+7)).
template <ReduceOp op>
inline double result_of(const Acc& a) {
  if (op == kArgmax) return static_cast<double>(a.at);
  double t[kLanes];
  for (int l = 0; l < kLanes; l++) t[l] = a.lane[l];
  for (int width = kLanes / 2; width >= 1; width /= 2) {
    for (int l = 0; l < width; l++) fold<op>(t[2 * l], t[2 * l + 1]), t[l] = t[2 * l];
  }
  return t[0];
}

double* thread_registers(int64_t regs) {
  thread_local std::vector<double> file;
  if ((int64_t)file.size() < regs * kBlock) file.resize(regs * kBlock);
  return file.data();
}
// Epilogue and store of finished values red[0..n) of outputs [first, first + n).
void flush(const Job& job, double* regs, double* red, int64_t first, int64_t n) {
  const double* value = red;
  if (job.has_epilogue) {
    run_bytecode(job.epilogue, regs, n, [&](int32_t, double* dst, int64_t m) { std::memcpy(dst, red, m * sizeof(double)); });
    value = regs + job.epilogue.result_regs[0] * kBlock;
  }
  const int out = job.inputs;
  store_block(job.arrays[out], job.kept, job.views[out], first, n, value);
}

template <ReduceOp op>
void run_outputs(const Job& job, int64_t k0, int64_t k1) {
  if (k0 >= k1) return;
  const int64_t regs_needed = std::max(job.prologue.regs, job.has_epilogue ? job.epilogue.regs : 0) + 1;
  double* regs = thread_registers(regs_needed);
  double* red = regs + (regs_needed - 1) * kBlock;
  const int64_t R = job.reduced;
  int64_t done = 0, first = k0;
  auto finish = [&](const Acc& a) {
    double v = result_of<op>(a);
    if (op != kArgmax) round_block(job.acc_round, &v, 1);
    red[done++] = v;
    if (done == kBlock) {
      flush(job, regs, red, first, done);
      first += done;
      done = 0;
    }
  };
  if (R == 0) {
    for (int64_t k = k0; k < k1; k++) finish(fresh_acc(op));
  } else {
    Acc a = fresh_acc(op);
    int64_t r = 0;
    const int64_t end = k1 * R;
    for (int64_t pos = k0 * R; pos < end;) {
      const int64_t n = std::min(kBlock, end - pos);
      run_bytecode(job.prologue, regs, n, [&](int32_t v, double* dst, int64_t m) {
        load_block(job.arrays[v], job.shape, job.views[v], pos, m, dst);
      });
      const double* vals = regs + job.prologue.result_regs[0] * kBlock;
      for (int64_t i = 0; i < n;) {
        const int64_t take = std::min(n - i, R - r);
        accumulate<op>(a, vals + i, take, r);
        i += take;
        r += take;
        if (r == R) {
          finish(a);
          a = fresh_acc(op);
          r = 0;
        }
      }
      pos += n;
    }
  }
  if (done) flush(job, regs, red, first, done);
}

// Folds a later partial result of the same output into `into`.
template <ReduceOp op>
inline void merge(Acc& into, const Acc& later) {
  if (op == kArgmax) {
    if (later.acc > into.acc || (later.acc != later.acc && into.acc == into.acc)) {
      into.acc = later.acc;
      into.at = later.at;
    }
    return;
  }
  for (int l = 0; l < kLanes; l++) fold<op>(into.lane[l], later.lane[l]);
}

// The partial result of output k over reduced indices [r0, r1).
template <ReduceOp op>
Acc accumulate_range(const Job& job, double* regs, int64_t k, int64_t r0, int64_t r1) {
  Acc a = fresh_acc(op);
  for (int64_t r = r0; r < r1;) {
    const int64_t n = std::min(kBlock, r1 - r);
    const int64_t pos = k * job.reduced + r;
    run_bytecode(job.prologue, regs, n, [&](int32_t v, double* dst, int64_t m) {
      load_block(job.arrays[v], job.shape, job.views[v], pos, m, dst);
    });
    accumulate<op>(a, regs + job.prologue.result_regs[0] * kBlock, n, r);
    r += n;
  }
  return a;
}

// Chunked runs (see kChunk): partial[k·chunks + c] is chunk c of output k.
struct ChunkedJob {
  const Job* job;
  int64_t chunks;
  std::vector<Acc>* partial;
};

template <ReduceOp op>
void run_chunks(void* ctx, int tid, int nth) {
  const ChunkedJob& cj = *static_cast<const ChunkedJob*>(ctx);
  const Job& job = *cj.job;
  const int64_t items = job.outputs * cj.chunks;
  double* regs = thread_registers(job.prologue.regs + 1);
  for (int64_t t = items * tid / nth; t < items * (tid + 1) / nth; t++) {
    const int64_t k = t / cj.chunks, c = t % cj.chunks;
    (*cj.partial)[t] = accumulate_range<op>(job, regs, k, c * kChunk, std::min(job.reduced, (c + 1) * kChunk));
  }
}

// Combines each output's chunks in order, then rounds, runs the epilogue and stores.
template <ReduceOp op>
void finish_chunks(const Job& job, int64_t chunks, const std::vector<Acc>& partial) {
  const int64_t regs_needed = std::max(job.prologue.regs, job.has_epilogue ? job.epilogue.regs : 0) + 1;
  double* regs = thread_registers(regs_needed);
  double* red = regs + (regs_needed - 1) * kBlock;
  for (int64_t first = 0; first < job.outputs; first += kBlock) {
    const int64_t n = std::min(kBlock, job.outputs - first);
    for (int64_t i = 0; i < n; i++) {
      const int64_t k = first + i;
      Acc a = partial[k * chunks];
      for (int64_t c = 1; c < chunks; c++) merge<op>(a, partial[k * chunks + c]);
      double v = result_of<op>(a);
      if (op != kArgmax) round_block(job.acc_round, &v, 1);
      red[i] = v;
    }
    flush(job, regs, red, first, n);
  }
}

template <ReduceOp op>
void run_chunked(const Job& job, ThreadPool& pool) {
  const int64_t chunks = (job.reduced + kChunk - 1) / kChunk;
  static std::vector<Acc> partial;  // reused: calls hold the pool's call mutex
  partial.resize(job.outputs * chunks);
  ChunkedJob cj{&job, chunks, &partial};
  pool.run(static_cast<int>(std::min<int64_t>(pool.size(), job.outputs * chunks)), run_chunks<op>, &cj);
  finish_chunks<op>(job, chunks, partial);
}

// Column order: the same reduction with the reduced dims outermost. Where every input is
// contiguous (or constant) along the outputs and some input is strided along the reduced
// dims (a sum over the batch of a [batch, features] tensor: a bias gradient), the row order
// gathers one element per cache line; this order reads whole rows. Each output's lane
// r mod kLanes still receives its elements in increasing r, and runs of 2·kChunk or more
// are merged chunk by chunk as run_chunked merges them, so the results are bit for bit
// those of the row order, on any number of threads.
constexpr int64_t kColumnMinOutputs = 64;

struct Columns {
  const Job* job = nullptr;
  Shape shape;                   // the reduced dims, then the kept dims
  StridedView views[kMaxViews];  // the inputs' views over that shape
};

bool use_columns(const Job& job, Columns& c) {
  const int kept = job.kept.rank, rank = job.shape.rank, reduced = rank - kept;
  if (kept == 0 || reduced == 0 || job.outputs < kColumnMinOutputs) return false;
  bool strided = false;
  for (int v = 0; v < job.inputs; v++) {
    if (job.views[v].strides[kept - 1] > 1) return false;
    strided |= job.views[v].strides[rank - 1] > 1;
  }
  if (!strided) return false;
  c.job = &job;
  c.shape.rank = rank;
  auto from = [&](int d) { return d < reduced ? kept + d : d - reduced; };
  for (int d = 0; d < rank; d++) c.shape.dims[d] = job.shape.dims[from(d)];
  for (int v = 0; v < job.inputs; v++) {
    c.views[v].offset = job.views[v].offset;
    for (int d = 0; d < rank; d++) c.views[v].strides[d] = job.views[v].strides[from(d)];
  }
  return true;
}

template <ReduceOp op>
void run_columns(const Columns& c, int64_t k0, int64_t k1) {
  const Job& job = *c.job;
  const int64_t regs_needed = std::max(job.prologue.regs, job.has_epilogue ? job.epilogue.regs : 0) + 1;
  double* regs = thread_registers(regs_needed);
  double* red = regs + (regs_needed - 1) * kBlock;
  thread_local std::vector<Acc> acc, total;
  const int64_t K = job.outputs, R = job.reduced;
  const bool chunked = R >= 2 * kChunk;
  for (int64_t t0 = k0; t0 < k1; t0 += kBlock) {
    const int64_t n = std::min(kBlock, k1 - t0);
    acc.assign(n, fresh_acc(op));
    total.resize(n);
    for (int64_t r = 0; r < R; r++) {
      run_bytecode(job.prologue, regs, n, [&](int32_t v, double* dst, int64_t m) {
        load_block(job.arrays[v], c.shape, c.views[v], r * K + t0, m, dst);
      });
      const double* vals = regs + job.prologue.result_regs[0] * kBlock;
      if (op == kArgmax) {
        for (int64_t i = 0; i < n; i++) {
          const double x = vals[i];
          if (x > acc[i].acc || (x != x && acc[i].acc == acc[i].acc)) { acc[i].acc = x; acc[i].at = r; }
        }
      } else {
        const int l = static_cast<int>(r % kLanes);
        for (int64_t i = 0; i < n; i++) fold<op>(acc[i].lane[l], vals[i]);
      }
      if (chunked && ((r + 1) % kChunk == 0 || r + 1 == R)) {
        for (int64_t i = 0; i < n; i++) {
          if (r < kChunk) total[i] = acc[i];
          else merge<op>(total[i], acc[i]);
          acc[i] = fresh_acc(op);
        }
      }
    }
    for (int64_t i = 0; i < n; i++) {
      double v = result_of<op>(chunked ? total[i] : acc[i]);
      if (op != kArgmax) round_block(job.acc_round, &v, 1);
      red[i] = v;
    }
    flush(job, regs, red, t0, n);
  }
}

void run_column_job(void* ctx, int tid, int nth) {
  const Columns& c = *static_cast<const Columns*>(ctx);
  const int64_t k0 = c.job->outputs * tid / nth, k1 = c.job->outputs * (tid + 1) / nth;
  switch (c.job->op) {
    case kSum: run_columns<kSum>(c, k0, k1); break;
    case kMax: run_columns<kMax>(c, k0, k1); break;
    case kMin: run_columns<kMin>(c, k0, k1); break;
    case kArgmax: run_columns<kArgmax>(c, k0, k1); break;
  }
}

void run_job(void* ctx, int tid, int nth) {
  const Job& job = *static_cast<const Job*>(ctx);
  const int64_t k0 = job.outputs * tid / nth, k1 = job.outputs * (tid + 1) / nth;
  switch (job.op) {
    case kSum: run_outputs<kSum>(job, k0, k1); break;
    case kMax: run_outputs<kMax>(job, k0, k1); break;
    case kMin: run_outputs<kMin>(job, k0, k1); break;
    case kArgmax: run_outputs<kArgmax>(job, k0, k1); break;
  }
}

// reduce(op 0 sum | 1 max | 2 min | 3 argmax, accRound, prologue: Int32Array, prologueConsts,
// epilogue: Int32Array | null, epilogueConsts, geometry: Int32Array [rank, dims… (kept dims
// first), per view: offset, strides…; the output's strides are 0 along reduced dims],
// keptRank, arrays: TypedArray[] (inputs then the output))
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 9) throw arg_error(env, kWho, "expected 9 arguments");
  Job job;
  const int64_t op = integer_arg(info, 0, kWho, "op");
  if (op < kSum || op > kArgmax) throw arg_error(env, kWho, "op must be 0 (sum), 1 (max), 2 (min) or 3 (argmax)");
  job.op = static_cast<ReduceOp>(op);
  const int64_t round = integer_arg(info, 1, kWho, "accRound");
  if (round < kRoundNone || round > kRoundBool) throw arg_error(env, kWho, "accRound must be 0..3");
  job.acc_round = static_cast<Round>(round);
  if (!info[8].IsArray()) throw arg_error(env, kWho, "arrays must be an array of typed arrays");
  Napi::Array list = info[8].As<Napi::Array>();
  const int64_t count = list.Length();
  if (count < 1 || count > kMaxViews) throw arg_error(env, kWho, "arrays must hold the inputs and the output");
  job.inputs = static_cast<int>(count - 1);
  for (int v = 0; v < count; v++) job.arrays[v] = array_of(env, list.Get(v), kWho, "arrays[" + std::to_string(v) + "]");
  int64_t lcode, lconst, lgeo;
  const int32_t* code = typed_arg<int32_t>(info, 2, napi_int32_array, kWho, "prologue", lcode);
  const double* consts = typed_arg<double>(info, 3, napi_float64_array, kWho, "prologueConsts", lconst);
  job.prologue = read_bytecode(env, kWho, code, lcode, consts, lconst, job.inputs);
  if (job.prologue.results != 1) throw arg_error(env, kWho, "the prologue must have one result");
  if (!info[4].IsNull()) {
    int64_t lecode, leconst;
    const int32_t* ecode = typed_arg<int32_t>(info, 4, napi_int32_array, kWho, "epilogue", lecode);
    const double* econsts = typed_arg<double>(info, 5, napi_float64_array, kWho, "epilogueConsts", leconst);
    job.epilogue = read_bytecode(env, kWho, ecode, lecode, econsts, leconst, 1);
    if (job.epilogue.results != 1) throw arg_error(env, kWho, "the epilogue must have one result");
    job.has_epilogue = true;
  }
  const int32_t* geo = typed_arg<int32_t>(info, 6, napi_int32_array, kWho, "geometry", lgeo);
  job.shape = read_shape(env, kWho, geo, lgeo);
  read_views(env, kWho, geo, lgeo, 1 + job.shape.rank, job.shape, job.arrays, static_cast<int>(count), job.views);
  const int64_t kept = integer_arg(info, 7, kWho, "keptRank");
  if (kept < 0 || kept > job.shape.rank) throw arg_error(env, kWho, "keptRank must be 0..rank");
  job.kept.rank = static_cast<int>(kept);
  job.outputs = 1;
  job.reduced = 1;
  for (int d = 0; d < job.shape.rank; d++) {
    if (d < kept) {
      job.kept.dims[d] = job.shape.dims[d];
      job.outputs *= job.shape.dims[d];
    } else {
      job.reduced *= job.shape.dims[d];
      if (job.views[job.inputs].strides[d] != 0) throw arg_error(env, kWho, "the output must not move along reduced dims");
    }
  }
  if (job.outputs == 0) return env.Undefined();
  std::lock_guard<std::mutex> lock(ThreadPool::call_mutex());
  ThreadPool& pool = ThreadPool::instance();
  // An output that stays put along a kept dim would be written by several threads.
  bool overlap = false;
  for (int d = 0; d < kept; d++) overlap |= job.kept.dims[d] > 1 && job.views[job.inputs].strides[d] == 0;
  static Columns columns;  // reused: calls hold the pool's call mutex
  if (use_columns(job, columns)) {
    int nth = job.outputs * job.reduced >= kParallelElements && !overlap ? pool.size() : 1;
    nth = static_cast<int>(std::min<int64_t>(nth, job.outputs / kColumnMinOutputs));
    pool.run(std::max(nth, 1), run_column_job, &columns);
    return env.Undefined();
  }
  if (job.reduced >= 2 * kChunk) {
    // The threads only compute partial results; the stores happen on this thread.
    switch (job.op) {
      case kSum: run_chunked<kSum>(job, pool); break;
      case kMax: run_chunked<kMax>(job, pool); break;
      case kMin: run_chunked<kMin>(job, pool); break;
      case kArgmax: run_chunked<kArgmax>(job, pool); break;
    }
    return env.Undefined();
  }
  int nth = job.outputs * job.reduced >= kParallelElements && !overlap ? pool.size() : 1;
  if (nth > job.outputs) nth = static_cast<int>(job.outputs);
  pool.run(nth, run_job, &job);
  return env.Undefined();
}

}  // namespace

void register_reduce(Napi::Env env, Napi::Object exports) { exports.Set("reduce", Napi::Function::New(env, Reduce)); }

}  // namespace symgrad
