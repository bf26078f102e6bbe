// The indexing, loss and row kernels (src/runtime/specials.ts has their semantics): softmax
// cross-entropy with its optional gradient, row softmax, gather, oneHot, take and scatterAdd, over strided views. Rows are
// independent, so threads split rows and results do not depend on the thread count.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

#include "kernels_napi.h"
#include "napi_args.h"
#include "strided.h"
#include "thread_pool.h"
#include "row_softmax.h"
#include "vmath.h"

namespace symgrad {
namespace {

constexpr int64_t kParallelElements = 32768;

template <typename T>
inline double get(const Array& a, int64_t p) {
  return static_cast<double>(static_cast<const T*>(a.data)[p]);
}

inline double read_at(const Array& a, int64_t p) {
  switch (a.storage) {
    case kF32: return get<float>(a, p);
    case kF64: return get<double>(a, p);
    case kI32: return get<int32_t>(a, p);
    case kU8: return get<uint8_t>(a, p);
  }
  return 0;
}

inline void write_at(const Array& a, int64_t p, double v) {
  switch (a.storage) {
    case kF32: static_cast<float*>(a.data)[p] = store_as<float>(v); break;
    case kF64: static_cast<double*>(a.data)[p] = v; break;
    case kI32: static_cast<int32_t*>(a.data)[p] = store_as<int32_t>(v); break;
    case kU8: static_cast<uint8_t*>(a.data)[p] = store_as<uint8_t>(v); break;
  }
}

inline bool valid_index(double y, int64_t classes) { return y == std::floor(y) && y >= 0 && y < (double)classes; }

// A 1-d or 2-d view [offset, stride…] read from `g` at `at`, checked against its array.
StridedView view_at(const Napi::Env& env, const char* who, const char* name, const int32_t* g, int rank,
                    const Shape& shape, const Array& a) {
  StridedView v;
  if (g[0] < 0) throw arg_error(env, who, std::string(name) + " has a negative offset");
  v.offset = g[0];
  for (int d = 0; d < rank; d++) {
    if (g[1 + d] < 0) throw arg_error(env, who, std::string(name) + " has a negative stride");
    v.strides[d] = g[1 + d];
  }
  const int64_t last = last_element(shape, v);
  if (last >= a.length) {
    throw Napi::RangeError::New(env, std::string(who) + ": " + name + " reaches element " + std::to_string(last) +
                                         " of an array of " + std::to_string(a.length));
  }
  return v;
}

struct Sce {
  int64_t rows, classes;
  Array z, y, loss, grad, scale;
  StridedView zv, yv, lv, gv, sv;
  bool with_grad;
};

void sce_rows(const Sce& k, int64_t r0, int64_t r1) {
  thread_local std::vector<double> e;
  if ((int64_t)e.size() < k.classes) e.resize(k.classes);
  const int64_t zc = k.zv.strides[1];
  const bool f32 = k.z.storage == kF32 && k.loss.storage == kF32 && (!k.with_grad || k.grad.storage == kF32);
  for (int64_t r = r0; r < r1; r++) {
    const int64_t row = k.zv.offset + r * k.zv.strides[0];
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t c = 0; c < k.classes; c++) {
      const double v = read_at(k.z, row + c * zc);
      if (v > m || v != v) m = v;
    }
    double s = 0;
    if (f32) {
      // Everything is rounded to float32 at the end: the vectorized exp of vmath.h.
      for (int64_t c = 0; c < k.classes; c++) e[c] = read_at(k.z, row + c * zc) - m;
      vec_math().exp(e.data(), e.data(), k.classes);
      for (int64_t c = 0; c < k.classes; c++) s += e[c];
    } else {
      for (int64_t c = 0; c < k.classes; c++) {
        e[c] = std::exp(read_at(k.z, row + c * zc) - m);
        s += e[c];
      }
    }
    const double y = read_at(k.y, k.yv.offset + r * k.yv.strides[0]);
    const bool ok = valid_index(y, k.classes);
    const double loss = ok ? m + std::log(s) - read_at(k.z, row + static_cast<int64_t>(y) * zc)
                           : std::numeric_limits<double>::quiet_NaN();
    write_at(k.loss, k.lv.offset + r * k.lv.strides[0], loss);
    if (k.with_grad) {
      const double sc = read_at(k.scale, k.sv.offset + r * k.sv.strides[0]);
      const int64_t g0 = k.gv.offset + r * k.gv.strides[0];
      for (int64_t c = 0; c < k.classes; c++) {
        write_at(k.grad, g0 + c * k.gv.strides[1], (e[c] / s - (static_cast<double>(c) == y ? 1.0 : 0.0)) * sc);
      }
    }
  }
}

void sce_job(void* ctx, int tid, int nth) {
  const Sce& k = *static_cast<const Sce*>(ctx);
  sce_rows(k, k.rows * tid / nth, k.rows * (tid + 1) / nth);
}

// softmaxCrossEntropy(logits, labels, loss, gradOut | null, scale | null, geometry: Int32Array
// [rows, classes, zOff, zRs, zCs, yOff, yS, lossOff, lossS, gOff, gRs, gCs, sOff, sS])
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  const char* who = "softmaxCrossEntropy";
  Napi::Env env = info.Env();
  if (info.Length() != 6) throw arg_error(env, who, "expected 6 arguments");
  Sce k{};
  int64_t lg;
  const int32_t* g = typed_arg<int32_t>(info, 5, napi_int32_array, who, "geometry", lg);
  if (lg != 14 || g[0] < 0 || g[1] < 0) throw arg_error(env, who, "geometry must hold 14 numbers, rows and classes first");
  k.rows = g[0], k.classes = g[1];
  k.with_grad = !info[3].IsNull();
  k.z = array_of(env, info[0], who, "logits");
  k.y = array_of(env, info[1], who, "labels");
  k.loss = array_of(env, info[2], who, "loss");
  Shape m2, m1;
  m2.rank = 2, m2.dims[0] = k.rows, m2.dims[1] = k.classes;
  m1.rank = 1, m1.dims[0] = k.rows;
  k.zv = view_at(env, who, "logits", g + 2, 2, m2, k.z);
  k.yv = view_at(env, who, "labels", g + 5, 1, m1, k.y);
  k.lv = view_at(env, who, "loss", g + 7, 1, m1, k.loss);
  if (k.with_grad) {
    k.grad = array_of(env, info[3], who, "grad output");
    k.scale = array_of(env, info[4], who, "grad scale");
    k.gv = view_at(env, who, "grad output", g + 9, 2, m2, k.grad);
    k.sv = view_at(env, who, "grad scale", g + 12, 1, m1, k.scale);
  }
  if (k.rows == 0) return env.Undefined();
  std::lock_guard<std::mutex> lock(ThreadPool::call_mutex());
  ThreadPool& pool = ThreadPool::instance();
  int nth = k.rows * k.classes >= kParallelElements ? pool.size() : 1;
  if (nth > k.rows) nth = static_cast<int>(k.rows);
  pool.run(nth, sce_job, &k);
  return env.Undefined();
}

struct RowSoftmax {
  int64_t rows, cols;
  Array x, out;
  StridedView xv, ov;
  bool log;
};

// Rows in float64 through the vectorized exp: a row fits in L1, so the input is read from
// memory once. Short rows go a block at a time through one exp call, so its fixed cost is not
// paid per row (5,120 rows of 40, attention's scores: about 0.35 -> 0.29 ms, medians); exp is a
// function of each value alone, so blocking keeps the bits. Normalizing multiplies by 1/sum
// (as PyTorch does): within an ulp of dividing in float64, so the float32 results match the
// TypeScript path's division. Contiguous float32 rows, the common case, go through the same
// arithmetic compiled into the vmath tier (row_softmax.h), where its passes vectorize 8 wide
// (4,096 rows of 1,000: 3.8 -> 3.4 ms, medians); this loop takes every other view and dtype.
void softmax_rows(const RowSoftmax& k, int64_t r0, int64_t r1) {
  const int64_t cols = k.cols;
  const int64_t xc = k.xv.strides[1], oc = k.ov.strides[1];
  const VecMath& vm = vec_math();
  if (k.x.storage == kF32 && k.out.storage == kF32 && (xc == 1 || cols == 1) && (oc == 1 || cols == 1)) {
    const float* x = static_cast<const float*>(k.x.data) + k.xv.offset + r0 * k.xv.strides[0];
    float* out = static_cast<float*>(k.out.data) + k.ov.offset + r0 * k.ov.strides[0];
    vm.softmax_rows_f32(x, k.xv.strides[0], out, k.ov.strides[0], r1 - r0, cols, k.log);
    return;
  }
  const int64_t block = cols >= kSoftmaxBlock ? 1 : kSoftmaxBlock / cols;
  thread_local std::vector<double> e, t;
  if ((int64_t)e.size() < block * cols) e.resize(block * cols), t.resize(block * cols);
  for (int64_t b0 = r0; b0 < r1; b0 += block) {
    const int64_t nb = std::min(block, r1 - b0);
    for (int64_t i = 0; i < nb; i++) {
      double* er = e.data() + i * cols;
      const int64_t row = k.xv.offset + (b0 + i) * k.xv.strides[0];
      for (int64_t c = 0; c < cols; c++) er[c] = read_at(k.x, row + c * xc);
      // Eight running maxima, so the loop vectorizes. The maximum skips NaNs; a NaN still
      // makes the row NaN, through its exp in the sum.
      double m8[8];
      for (double& v : m8) v = -std::numeric_limits<double>::infinity();
      int64_t c = 0;
      for (; c + 8 <= cols; c += 8) {
        for (int j = 0; j < 8; j++) m8[j] = er[c + j] > m8[j] ? er[c + j] : m8[j];
      }
      for (; c < cols; c++) m8[0] = er[c] > m8[0] ? er[c] : m8[0];
      double m = m8[0];
      for (double v : m8) m = v > m ? v : m;
      for (c = 0; c < cols; c++) er[c] -= m;
    }
    double* ex = k.log ? t.data() : e.data();
    vm.exp(e.data(), ex, nb * cols);
    for (int64_t i = 0; i < nb; i++) {
      double* er = e.data() + i * cols;
      const double s = row_sum(ex + i * cols, cols);
      if (k.log) {
        const double ls = std::log(s);
        for (int64_t c = 0; c < cols; c++) er[c] -= ls;
      } else {
        const double inv = 1.0 / s;
        for (int64_t c = 0; c < cols; c++) er[c] *= inv;
      }
      const int64_t orow = k.ov.offset + (b0 + i) * k.ov.strides[0];
      for (int64_t c = 0; c < cols; c++) write_at(k.out, orow + c * oc, er[c]);
    }
  }
}

void softmax_job(void* ctx, int tid, int nth) {
  const RowSoftmax& k = *static_cast<const RowSoftmax*>(ctx);
  softmax_rows(k, k.rows * tid / nth, k.rows * (tid + 1) / nth);
}

// softmax(input, output, geometry: Int32Array [rows, cols, xOff, xRs, xCs, oOff, oRs, oCs, log])
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const char* who = "softmax";
  Napi::Env env = info.Env();
  if (info.Length() != 3) throw arg_error(env, who, "expected 3 arguments");
  int64_t lg;
  const int32_t* g = typed_arg<int32_t>(info, 2, napi_int32_array, who, "geometry", lg);
  if (lg != 9 || g[0] < 0 || g[1] < 0) throw arg_error(env, who, "geometry must hold 9 numbers, rows and cols first");
  RowSoftmax k{};
  k.rows = g[0], k.cols = g[1], k.log = g[8] != 0;
  k.x = array_of(env, info[0], who, "input");
  k.out = array_of(env, info[1], who, "output");
  if (k.x.storage == kI32 || k.x.storage == kU8 || k.out.storage == kI32 || k.out.storage == kU8) {
    throw arg_error(env, who, "input and output must be float32 or float64 arrays");
  }
  Shape m2;
  m2.rank = 2, m2.dims[0] = k.rows, m2.dims[1] = k.cols;
  k.xv = view_at(env, who, "input", g + 2, 2, m2, k.x);
  k.ov = view_at(env, who, "output", g + 5, 2, m2, k.out);
  if (k.rows == 0 || k.cols == 0) return env.Undefined();
  std::lock_guard<std::mutex> lock(ThreadPool::call_mutex());
  ThreadPool& pool = ThreadPool::instance();
  int nth = k.rows * k.cols >= kParallelElements ? pool.size() : 1;
  if (nth > k.rows) nth = static_cast<int>(k.rows);
  pool.run(nth, softmax_job, &k);
  return env.Undefined();
}

// gather(input, indices, output, geometry: Int32Array [rows, classes, xOff, xRs, xCs, iOff, iS, oOff, oS])
Napi::Value Gather(const Napi::CallbackInfo& info) {
  const char* who = "gather";
  Napi::Env env = info.Env();
  if (info.Length() != 4) throw arg_error(env, who, "expected 4 arguments");
  int64_t lg;
  const int32_t* g = typed_arg<int32_t>(info, 3, napi_int32_array, who, "geometry", lg);
  if (lg != 9 || g[0] < 0 || g[1] < 0) throw arg_error(env, who, "geometry must hold 9 numbers, rows and classes first");
  const int64_t rows = g[0], classes = g[1];
  const Array x = array_of(env, info[0], who, "input"), idx = array_of(env, info[1], who, "indices");
  const Array out = array_of(env, info[2], who, "output");
  Shape m2, m1;
  m2.rank = 2, m2.dims[0] = rows, m2.dims[1] = classes;
  m1.rank = 1, m1.dims[0] = rows;
  const StridedView xv = view_at(env, who, "input", g + 2, 2, m2, x);
  const StridedView iv = view_at(env, who, "indices", g + 5, 1, m1, idx);
  const StridedView ov = view_at(env, who, "output", g + 7, 1, m1, out);
  for (int64_t r = 0; r < rows; r++) {
    const double y = read_at(idx, iv.offset + r * iv.strides[0]);
    const double v = valid_index(y, classes)
                         ? read_at(x, xv.offset + r * xv.strides[0] + static_cast<int64_t>(y) * xv.strides[1])
                         : std::numeric_limits<double>::quiet_NaN();
    write_at(out, ov.offset + r * ov.strides[0], v);
  }
  return env.Undefined();
}

// oneHot(indices, output, geometry: Int32Array [rank + 1, dims…, depth, then per view:
// offset, strides… over [dims…, depth]; the indices' last stride is 0])
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  const char* who = "oneHot";
  Napi::Env env = info.Env();
  if (info.Length() != 3) throw arg_error(env, who, "expected 3 arguments");
  int64_t lg;
  const int32_t* g = typed_arg<int32_t>(info, 2, napi_int32_array, who, "geometry", lg);
  const Array arrays[2] = {array_of(env, info[0], who, "indices"), array_of(env, info[1], who, "output")};
  const Shape s = read_shape(env, who, g, lg);
  if (s.rank < 1) throw arg_error(env, who, "geometry needs the depth as its last dim");
  StridedView views[2];
  read_views(env, who, g, lg, 1 + s.rank, s, arrays, 2, views);
  const int64_t total = s.size(), depth = s.dims[s.rank - 1];
  double idx[kBlock], val[kBlock];
  for (int64_t start = 0; start < total; start += kBlock) {
    const int64_t n = std::min(kBlock, total - start);
    load_block(arrays[0], s, views[0], start, n, idx);
    for (int64_t i = 0, c = start % depth; i < n; i++) {
      val[i] = idx[i] == static_cast<double>(c) ? 1.0 : 0.0;
      if (++c == depth) c = 0;
    }
    store_block(arrays[1], s, views[1], start, n, val);
  }
  return env.Undefined();
}

// take and scatterAdd view their arrays as [outer, size, inner] around the axis and the
// indices as n slices (geometry [outer, size, inner, n, then offset and strides of the big
// view (3), the indices (1) and the other view (3)]). An index counts from the end when
// negative and is out of range outside [-size, size).
struct TakeGeometry {
  int64_t outer, size, inner, n;
  StridedView big, ids, small;
};

TakeGeometry take_geometry(const Napi::Env& env, const char* who, const Napi::CallbackInfo& info, const char* bigName,
                           const char* smallName, const Array& big, const Array& ids, const Array& small) {
  int64_t lg;
  const int32_t* g = typed_arg<int32_t>(info, 3, napi_int32_array, who, "geometry", lg);
  if (lg != 14 || g[0] < 0 || g[1] < 0 || g[2] < 0 || g[3] < 0) {
    throw arg_error(env, who, "geometry must hold 14 numbers, outer, size, inner and n first");
  }
  TakeGeometry t{g[0], g[1], g[2], g[3], {}, {}, {}};
  Shape b, s, m1;
  b.rank = 3, b.dims[0] = t.outer, b.dims[1] = t.size, b.dims[2] = t.inner;
  s.rank = 3, s.dims[0] = t.outer, s.dims[1] = t.n, s.dims[2] = t.inner;
  m1.rank = 1, m1.dims[0] = t.n;
  t.big = view_at(env, who, bigName, g + 4, 3, b, big);
  t.ids = view_at(env, who, "indices", g + 8, 1, m1, ids);
  t.small = view_at(env, who, smallName, g + 10, 3, s, small);
  return t;
}

// The index at indices[j] resolved against size, or -1 when out of range.
inline int64_t take_index(const Array& ids, const TakeGeometry& t, int64_t j) {
  double y = read_at(ids, t.ids.offset + j * t.ids.strides[0]);
  if (y < 0) y += static_cast<double>(t.size);
  return valid_index(y, t.size) ? static_cast<int64_t>(y) : -1;
}

// The float storage both arrays share where a row of `inner` elements is contiguous in each
// (the common case: an embedding table and its rows), for the typed row loops below; -1 else.
inline int typed_rows(const Array& a, const Array& b, int64_t sa, int64_t sb) {
  return a.storage == b.storage && (a.storage == kF32 || a.storage == kF64) && sa == 1 && sb == 1 ? a.storage : -1;
}

// dst[0..n) = src[0..n) (add: dst += src, summed in double and rounded once, as write_at does).
template <typename T>
inline void row_op(T* dst, const T* src, int64_t n, bool add) {
  if (add) {
    for (int64_t i = 0; i < n; i++) dst[i] = static_cast<T>(static_cast<double>(dst[i]) + static_cast<double>(src[i]));
  } else {
    for (int64_t i = 0; i < n; i++) dst[i] = src[i];
  }
}

inline void typed_row(int storage, const Array& dst, int64_t pd, const Array& src, int64_t ps, int64_t n, bool add) {
  if (storage == kF32) row_op(static_cast<float*>(dst.data) + pd, static_cast<const float*>(src.data) + ps, n, add);
  else row_op(static_cast<double*>(dst.data) + pd, static_cast<const double*>(src.data) + ps, n, add);
}

// take(input, indices, output, geometry, fill): output[o, j, i] = input[o, indices[j], i], fill out of range.
Napi::Value Take(const Napi::CallbackInfo& info) {
  const char* who = "take";
  Napi::Env env = info.Env();
  if (info.Length() != 5 || !info[4].IsNumber()) throw arg_error(env, who, "expected 5 arguments, the fill value last");
  const Array x = array_of(env, info[0], who, "input"), ids = array_of(env, info[1], who, "indices");
  const Array out = array_of(env, info[2], who, "output");
  const TakeGeometry t = take_geometry(env, who, info, "input", "output", x, ids, out);
  const double fill = info[4].As<Napi::Number>().DoubleValue();
  const int rows = typed_rows(out, x, t.small.strides[2], t.big.strides[2]);
  for (int64_t j = 0; j < t.n; j++) {
    const int64_t y = take_index(ids, t, j);
    for (int64_t o = 0; o < t.outer; o++) {
      const int64_t po = t.small.offset + o * t.small.strides[0] + j * t.small.strides[1];
      const int64_t px = t.big.offset + o * t.big.strides[0] + y * t.big.strides[1];
      if (rows >= 0 && y >= 0) {
        typed_row(rows, out, po, x, px, t.inner, false);
        continue;
      }
      for (int64_t i = 0; i < t.inner; i++) {
        write_at(out, po + i * t.small.strides[2], y < 0 ? fill : read_at(x, px + i * t.big.strides[2]));
      }
    }
  }
  return env.Undefined();
}

// scatterAdd(updates, indices, output, geometry): output[o, indices[j], i] += updates[o, j, i] in
// index order (so repeated indices sum the same way every run); out-of-range indices are dropped.
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  const char* who = "scatterAdd";
  Napi::Env env = info.Env();
  if (info.Length() != 4) throw arg_error(env, who, "expected 4 arguments");
  const Array u = array_of(env, info[0], who, "updates"), ids = array_of(env, info[1], who, "indices");
  const Array out = array_of(env, info[2], who, "output");
  const TakeGeometry t = take_geometry(env, who, info, "output", "updates", out, ids, u);
  const int rows = typed_rows(out, u, t.big.strides[2], t.small.strides[2]);
  for (int64_t j = 0; j < t.n; j++) {
    const int64_t y = take_index(ids, t, j);
    if (y < 0) continue;
    for (int64_t o = 0; o < t.outer; o++) {
      const int64_t po = t.big.offset + o * t.big.strides[0] + y * t.big.strides[1];
      const int64_t pu = t.small.offset + o * t.small.strides[0] + j * t.small.strides[1];
      if (rows >= 0) {
        typed_row(rows, out, po, u, pu, t.inner, true);
        continue;
      }
      for (int64_t i = 0; i < t.inner; i++) {
        const int64_t p = po + i * t.big.strides[2];
        write_at(out, p, read_at(out, p) + read_at(u, pu + i * t.small.strides[2]));
      }
    }
  }
  return env.Undefined();
}

}  // namespace

void register_specials(Napi::Env env, Napi::Object exports) {
  exports.Set("softmaxCrossEntropy", Napi::Function::New(env, SoftmaxCrossEntropy));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("gather", Napi::Function::New(env, Gather));
  exports.Set("oneHot", Napi::Function::New(env, OneHot));
  exports.Set("take", Napi::Function::New(env, Take));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd));
}

}  // namespace symgrad
