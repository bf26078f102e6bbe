// The N-API binding of the CPU kernels. Arguments are the backend's own typed arrays: the
// kernels read and write their memory in place (zero copy). Every call is bounds-checked
// here, so a wrong view from JavaScript throws a RangeError instead of corrupting memory.
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "gemm.h"
#include "kernels_napi.h"

namespace {

using symgrad::GemmArgs;

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("gemm: ") + name + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9007199254740991.0) {
    throw Napi::TypeError::New(info.Env(), std::string("gemm: ") + name + " must be an integer");
  }
  return static_cast<int64_t>(v);
}

template <typename T>
T* typed_data(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* name, int64_t& length) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("gemm: ") + name + " must be a " +
                                               (type == napi_float32_array ? "Float32Array" : "Float64Array"));
  }
  auto arr = info[i].As<Napi::TypedArrayOf<T>>();
  length = static_cast<int64_t>(arr.ElementLength());
  return arr.Data();
}

// Lowest and highest element index of a rows×cols view at `off` with strides rs, cs.
void check_view(Napi::Env env, const char* name, int64_t off, int64_t rows, int64_t cols, int64_t rs, int64_t cs,
                int64_t length) {
  if (rows == 0 || cols == 0) return;
  int64_t lo = off, hi = off;
  (rs > 0 ? hi : lo) += (rows - 1) * rs;
  (cs > 0 ? hi : lo) += (cols - 1) * cs;
  if (lo < 0 || hi >= length) {
    throw Napi::RangeError::New(env, std::string("gemm: ") + name + " reaches elements " + std::to_string(lo) + ".." +
                                         std::to_string(hi) + " of an array of " + std::to_string(length));
  }
}

template <typename T>
void gemm_typed(const Napi::CallbackInfo& info, napi_typedarray_type type) {
  Napi::Env env = info.Env();
  GemmArgs<T> g{};
  g.m = int_arg(info, 1, "m");
  g.n = int_arg(info, 2, "n");
  g.k = int_arg(info, 3, "k");
  if (g.m < 0 || g.n < 0 || g.k < 0) throw Napi::RangeError::New(env, "gemm: m, n, k must be >= 0");
  int64_t la, lb, lc, lo, ls;
  T* a = typed_data<T>(info, 4, type, "a", la);
  T* b = typed_data<T>(info, 5, type, "b", lb);
  T* c = typed_data<T>(info, 6, type, "c", lc);
  const double* off = typed_data<double>(info, 7, napi_float64_array, "offsets", lo);
  const double* st = typed_data<double>(info, 8, napi_float64_array, "strides", ls);
  if (lo % 3 != 0) throw Napi::RangeError::New(env, "gemm: offsets holds 3 numbers per matrix");
  if (ls != 6) throw Napi::RangeError::New(env, "gemm: strides must hold 6 numbers");
  if (!info[9].IsNumber() || !info[10].IsNumber()) throw Napi::TypeError::New(env, "gemm: alpha and beta must be numbers");
  g.ars = (int64_t)st[0], g.acs = (int64_t)st[1], g.brs = (int64_t)st[2], g.bcs = (int64_t)st[3];
  g.crs = (int64_t)st[4], g.ccs = (int64_t)st[5];
  g.alpha = static_cast<T>(info[9].As<Napi::Number>().DoubleValue());
  g.beta = static_cast<T>(info[10].As<Napi::Number>().DoubleValue());
  const int64_t count = lo / 3;
  // Optional epilogue: code, aux matrix X, X's offset per matrix, X's [row, column] strides.
  g.epilogue = symgrad::kNone;
  T* aux = nullptr;
  int64_t lx = 0, lxo = 0, lxs = 0;
  const double* xoff = nullptr;
  if (info.Length() > 11 && !info[11].IsUndefined() && !info[11].IsNull()) {
    const int64_t code = int_arg(info, 11, "epilogue");
    if (code == symgrad::kRelu) {
      g.epilogue = symgrad::kRelu;
    } else if (symgrad::epilogue_reads_aux(static_cast<int>(code))) {
      g.epilogue = static_cast<int>(code);
      aux = typed_data<T>(info, 12, type, "aux", lx);
      xoff = typed_data<double>(info, 13, napi_float64_array, "auxOffsets", lxo);
      const double* xs = typed_data<double>(info, 14, napi_float64_array, "auxStrides", lxs);
      if (lxo != count) throw Napi::RangeError::New(env, "gemm: auxOffsets holds 1 number per matrix");
      if (lxs != 2) throw Napi::RangeError::New(env, "gemm: auxStrides must hold 2 numbers");
      g.xrs = (int64_t)xs[0], g.xcs = (int64_t)xs[1];
    } else if (code != symgrad::kNone) {
      throw Napi::RangeError::New(env, "gemm: epilogue must be 0 (none), 1 (relu), 2 (mask by aux > 0), 3 (+ aux) or 4 (relu of + aux)");
    }
  }
  // Optional: a kept packed op(B) and whether it is already packed (see GemmArgs::packed).
  if (info.Length() > 15 && !info[15].IsUndefined() && !info[15].IsNull()) {
    int64_t lp;
    g.packed = typed_data<T>(info, 15, type, "packedB", lp);
    if (!info[16].IsBoolean()) throw Napi::TypeError::New(env, "gemm: packedFresh must be a boolean");
    g.packed_fresh = info[16].As<Napi::Boolean>().Value();
    if (count != 1) throw Napi::RangeError::New(env, "gemm: packedB is for a single matrix (offsets of 1 matrix)");
    const int64_t need = symgrad::packed_b_size<T>(g.n, g.k);
    if (lp < need) {
      throw Napi::RangeError::New(env, "gemm: packedB holds " + std::to_string(lp) + " elements, " + std::to_string(g.k) + "×" +
                                           std::to_string(g.n) + " needs " + std::to_string(need) + " (packedBSize)");
    }
  }
  std::vector<int64_t> offsets(4 * count);
  for (int64_t t = 0; t < count; t++) {
    for (int q = 0; q < 3; q++) offsets[4 * t + q] = static_cast<int64_t>(off[3 * t + q]);
    offsets[4 * t + 3] = xoff ? static_cast<int64_t>(xoff[t]) : 0;
    // A and B are read only when C is non-empty; C is touched whenever it is non-empty.
    if (g.m > 0 && g.n > 0) {
      check_view(env, "a", offsets[4 * t], g.m, g.k, g.ars, g.acs, la);
      check_view(env, "b", offsets[4 * t + 1], g.k, g.n, g.brs, g.bcs, lb);
    }
    check_view(env, "c", offsets[4 * t + 2], g.m, g.n, g.crs, g.ccs, lc);
    if (aux) check_view(env, "aux", offsets[4 * t + 3], g.m, g.n, g.xrs, g.xcs, lx);
  }
  g.a = a;
  g.b = b;
  g.c = c;
  g.aux = aux;
  symgrad::gemm_batched<T>(g, offsets.data(), count);
}

// gemm(dtype 0 = float32 | 1 = float64, m, n, k, a, b, c, offsets: Float64Array (3 per
// matrix), strides: Float64Array [aRs, aCs, bRs, bCs, cRs, cCs] of op(A), op(B), C, alpha, beta
// [, epilogue, aux, auxOffsets: Float64Array (1 per matrix), auxStrides: Float64Array [rs, cs]
// [, packedB, packedFresh]]); unused optional arguments may be null.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  if (info.Length() != 11 && info.Length() != 12 && info.Length() != 15 && info.Length() != 17) {
    throw Napi::TypeError::New(info.Env(), "gemm: expected 11, 12, 15 or 17 arguments");
  }
  const int64_t dtype = int_arg(info, 0, "dtype");
  if (dtype == 0) gemm_typed<float>(info, napi_float32_array);
  else if (dtype == 1) gemm_typed<double>(info, napi_float64_array);
  else throw Napi::TypeError::New(info.Env(), "gemm: dtype must be 0 (float32) or 1 (float64)");
  return info.Env().Undefined();
}

// packedBSize(dtype, n, k): the elements gemm's packedB needs for a k×n op(B) (active tier).
Napi::Value PackedBSize(const Napi::CallbackInfo& info) {
  const int64_t dtype = int_arg(info, 0, "dtype"), n = int_arg(info, 1, "n"), k = int_arg(info, 2, "k");
  if (n < 0 || k < 0) throw Napi::RangeError::New(info.Env(), "gemm: n, k must be >= 0");
  if (dtype == 0) return Napi::Number::New(info.Env(), (double)symgrad::packed_b_size<float>(n, k));
  if (dtype == 1) return Napi::Number::New(info.Env(), (double)symgrad::packed_b_size<double>(n, k));
  throw Napi::TypeError::New(info.Env(), "gemm: dtype must be 0 (float32) or 1 (float64)");
}

Napi::Value Isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), symgrad::active_isa()); }

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "setIsa: expected 'avx512', 'avx2' or 'generic'");
  return Napi::Boolean::New(info.Env(), symgrad::set_isa(info[0].As<Napi::String>().Utf8Value().c_str()));
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), symgrad::num_threads()); }

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 0, "threads");
  if (n < 1 || n > 1024) throw Napi::RangeError::New(info.Env(), "setNumThreads: expected 1..1024");
  symgrad::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("packedBSize", Napi::Function::New(env, PackedBSize));
  exports.Set("isa", Napi::Function::New(env, Isa));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  symgrad::register_elementwise(env, exports);
  symgrad::register_reduce(env, exports);
  symgrad::register_specials(env, exports);
  symgrad::register_random(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(symgrad_cpu, Init)
