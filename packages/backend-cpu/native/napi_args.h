// Argument checks shared by the bytecode kernels' bindings (elementwise.cc, reduce.cc,
// specials.cc): every message starts with the kernel's name, and every view is checked
// against its array, so a wrong call from JavaScript throws instead of touching stray memory.
#pragma once

#include <napi.h>

#include <cmath>
#include <string>

#include "bytecode.h"
#include "strided.h"

namespace symgrad {

inline Napi::Error arg_error(const Napi::Env& env, const char* who, const std::string& what) {
  return Napi::TypeError::New(env, std::string(who) + ": " + what);
}

inline int64_t integer_arg(const Napi::CallbackInfo& info, size_t i, const char* who, const char* name) {
  if (!info[i].IsNumber()) throw arg_error(info.Env(), who, std::string(name) + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9007199254740991.0) {
    throw arg_error(info.Env(), who, std::string(name) + " must be an integer");
  }
  return static_cast<int64_t>(v);
}

template <typename T>
const T* typed_arg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* who, const char* name,
                   int64_t& length) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    const char* tn = type == napi_int32_array ? "Int32Array" : type == napi_float64_array ? "Float64Array" : "typed array";
    throw arg_error(info.Env(), who, std::string(name) + " must be an " + tn);
  }
  auto arr = info[i].As<Napi::TypedArrayOf<T>>();
  length = static_cast<int64_t>(arr.ElementLength());
  return arr.Data();
}

// A backend buffer: Float32Array, Float64Array, Int32Array or the bool Uint8Array.
inline Array array_of(const Napi::Env& env, const Napi::Value& v, const char* who, const std::string& name) {
  if (!v.IsTypedArray()) throw arg_error(env, who, name + " must be a typed array");
  auto t = v.As<Napi::TypedArray>();
  Array a;
  switch (t.TypedArrayType()) {
    case napi_float32_array: a.storage = kF32; a.data = t.As<Napi::Float32Array>().Data(); break;
    case napi_float64_array: a.storage = kF64; a.data = t.As<Napi::Float64Array>().Data(); break;
    case napi_int32_array: a.storage = kI32; a.data = t.As<Napi::Int32Array>().Data(); break;
    case napi_uint8_array: a.storage = kU8; a.data = t.As<Napi::Uint8Array>().Data(); break;
    default: throw arg_error(env, who, name + " must be a Float32Array, Float64Array, Int32Array or Uint8Array");
  }
  a.length = static_cast<int64_t>(t.ElementLength());
  return a;
}

// Reads views packed as [offset, strides…] per view after the shape, and checks each against its array.
inline void read_views(const Napi::Env& env, const char* who, const int32_t* g, int64_t glen, int64_t at, const Shape& s,
                       const Array* arrays, int count, StridedView* views) {
  if (glen != at + count * (s.rank + 1)) throw arg_error(env, who, "geometry has the wrong length");
  for (int v = 0; v < count; v++) {
    const int32_t* p = g + at + v * (s.rank + 1);
    if (p[0] < 0) throw arg_error(env, who, "view " + std::to_string(v) + " has a negative offset");
    views[v].offset = p[0];
    for (int d = 0; d < s.rank; d++) {
      if (p[1 + d] < 0) throw arg_error(env, who, "view " + std::to_string(v) + " has a negative stride");
      views[v].strides[d] = p[1 + d];
    }
    const int64_t last = last_element(s, views[v]);
    if (last >= arrays[v].length) {
      throw Napi::RangeError::New(env, std::string(who) + ": view " + std::to_string(v) + " reaches element " +
                                           std::to_string(last) + " of an array of " + std::to_string(arrays[v].length));
    }
  }
}

// Reads a shape [rank, dims…] at the start of a geometry.
inline Shape read_shape(const Napi::Env& env, const char* who, const int32_t* g, int64_t glen) {
  Shape s;
  if (glen < 1 || g[0] < 0 || g[0] > kMaxRank || glen < 1 + g[0]) {
    throw arg_error(env, who, "geometry must start with a rank of 0.." + std::to_string(kMaxRank) + " and the dims");
  }
  s.rank = g[0];
  for (int d = 0; d < s.rank; d++) {
    if (g[1 + d] < 0) throw arg_error(env, who, "geometry has a negative dim");
    s.dims[d] = g[1 + d];
  }
  return s;
}

// Parses and validates a bytecode program against `views` loadable views and its constants.
inline Bytecode read_bytecode(const Napi::Env& env, const char* who, const int32_t* code, int64_t len, const double* consts,
                              int64_t nconsts, int views) {
  Bytecode bc;
  if (len < 3) throw arg_error(env, who, "bytecode is too short");
  bc.regs = code[0], bc.count = code[1], bc.results = code[2];
  if (bc.regs < 1 || bc.regs > 4096 || bc.count < 0 || bc.results < 0 ||
      len != 3 + (int64_t)bc.count * kInstrWords + bc.results) {
    throw arg_error(env, who, "bytecode header does not match its length");
  }
  bc.code = code + 3;
  bc.result_regs = bc.code + bc.count * kInstrWords;
  bc.consts = consts;
  bc.nconsts = nconsts;
  auto reg_ok = [&](int32_t r) { return r >= 0 && r < bc.regs; };
  for (int32_t k = 0; k < bc.count; k++) {
    const int32_t* in = bc.code + k * kInstrWords;
    const bool ok = in[0] >= 0 && in[0] < kOpCount && in[1] >= 0 && in[1] <= kRoundBool && reg_ok(in[2]) &&
                    (in[0] == kOp_load ? in[3] >= 0 && in[3] < views
                     : in[0] == kOp_constant ? in[3] >= 0 && in[3] < nconsts
                                             : reg_ok(in[3]) && reg_ok(in[4]) && reg_ok(in[5]));
    if (!ok) throw arg_error(env, who, "bytecode instruction " + std::to_string(k) + " is malformed");
  }
  for (int32_t j = 0; j < bc.results; j++) {
    if (!reg_ok(bc.result_regs[j])) throw arg_error(env, who, "bytecode result register is out of range");
  }
  return bc;
}

}  // namespace symgrad
