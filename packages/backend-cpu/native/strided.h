// Strided views over the backend's typed arrays, walked block by block: a block is a run of
// consecutive linear indices of the iteration shape (row-major), which may span several
// rows, so short innermost dims (a [800, 10] softmax) still fill whole blocks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "bytecode.h"

namespace symgrad {

struct Array {
  void* data = nullptr;
  Storage storage = kF64;
  int64_t length = 0;
};

struct Shape {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t size() const {
    int64_t s = 1;
    for (int d = 0; d < rank; d++) s *= dims[d];
    return s;
  }
};

struct StridedView {
  int64_t offset = 0;
  int64_t strides[kMaxRank] = {};
};

// The highest element a view reaches over a shape (strides are non-negative), or -1 if empty.
inline int64_t last_element(const Shape& s, const StridedView& v) {
  int64_t last = v.offset;
  for (int d = 0; d < s.rank; d++) {
    if (s.dims[d] == 0) return -1;
    last += (s.dims[d] - 1) * v.strides[d];
  }
  return last;
}

// Calls run(pointer, count, stride) for the contiguous-in-index runs of [start, start + n).
template <typename Run>
void for_each_run(const Shape& s, const StridedView& v, int64_t start, int64_t n, Run&& run) {
  if (s.rank == 0) {
    run(v.offset, n, 0);
    return;
  }
  int64_t idx[kMaxRank];
  int64_t rest = start, p = v.offset;
  for (int d = s.rank - 1; d >= 0; d--) {
    idx[d] = rest % s.dims[d];
    rest /= s.dims[d];
    p += idx[d] * v.strides[d];
  }
  const int last = s.rank - 1;
  const int64_t inner = s.dims[last], step = v.strides[last];
  int64_t done = 0;
  while (done < n) {
    const int64_t len = std::min<int64_t>(n - done, inner - idx[last]);
    run(p, len, step);
    done += len;
    if (done == n) break;
    p += (inner - idx[last]) * step;
    idx[last] = 0;
    p -= inner * step;
    for (int d = last - 1; d >= 0; d--) {
      p += v.strides[d];
      if (++idx[d] < s.dims[d]) break;
      p -= s.dims[d] * v.strides[d];
      idx[d] = 0;
    }
  }
}

template <typename T>
void load_run(const T* src, int64_t p, int64_t len, int64_t step, double* __restrict dst) {
  if (std::is_same<T, float>::value && step == 1) {
    vec_math().widen(reinterpret_cast<const float*>(src) + p, dst, len);  // the CPU's vector width
  } else if (step == 1) {
    for (int64_t i = 0; i < len; i++) dst[i] = static_cast<double>(src[p + i]);
  } else if (step == 0) {
    const double v = static_cast<double>(src[p]);
    for (int64_t i = 0; i < len; i++) dst[i] = v;
  } else {
    for (int64_t i = 0; i < len; i++) dst[i] = static_cast<double>(src[p + i * step]);
  }
}

// Elements [start, start + n) of a view, as doubles.
inline void load_block(const Array& a, const Shape& s, const StridedView& v, int64_t start, int64_t n, double* dst) {
  for_each_run(s, v, start, n, [&](int64_t p, int64_t len, int64_t step) {
    switch (a.storage) {
      case kF32: load_run(static_cast<const float*>(a.data), p, len, step, dst); break;
      case kF64: load_run(static_cast<const double*>(a.data), p, len, step, dst); break;
      case kI32: load_run(static_cast<const int32_t*>(a.data), p, len, step, dst); break;
      case kU8: load_run(static_cast<const uint8_t*>(a.data), p, len, step, dst); break;
    }
    dst += len;
  });
}

// How a value is stored by a typed array: Float32Array rounds, Int32Array applies ToInt32,
// the bool Uint8Array holds 0/1 (render-js's storeJs converts non-bool values with `v ? 1 : 0`).
template <typename T>
inline T store_as(double v);
template <>
inline float store_as<float>(double v) { return static_cast<float>(v); }
template <>
inline double store_as<double>(double v) { return v; }
template <>
inline int32_t store_as<int32_t>(double v) { return static_cast<int32_t>(to_int32(v)); }
template <>
inline uint8_t store_as<uint8_t>(double v) { return (v != 0.0 && v == v) ? 1 : 0; }

template <typename T>
void store_run(T* dst, int64_t p, int64_t len, int64_t step, const double* __restrict src) {
  if (std::is_same<T, float>::value && step == 1) {
    vec_math().narrow(src, reinterpret_cast<float*>(dst) + p, len);
  } else if (step == 1) {
    for (int64_t i = 0; i < len; i++) dst[p + i] = store_as<T>(src[i]);
  } else {
    for (int64_t i = 0; i < len; i++) dst[p + i * step] = store_as<T>(src[i]);
  }
}

inline void store_block(const Array& a, const Shape& s, const StridedView& v, int64_t start, int64_t n, const double* src) {
  for_each_run(s, v, start, n, [&](int64_t p, int64_t len, int64_t step) {
    switch (a.storage) {
      case kF32: store_run(static_cast<float*>(a.data), p, len, step, src); break;
      case kF64: store_run(static_cast<double*>(a.data), p, len, step, src); break;
      case kI32: store_run(static_cast<int32_t*>(a.data), p, len, step, src); break;
      case kU8: store_run(static_cast<uint8_t*>(a.data), p, len, step, src); break;
    }
    src += len;
  });
}

}  // namespace symgrad
