// Row softmax and log-softmax of contiguous float32 rows, compiled into each vmath.h tier
// (vmath_tier.h, and vmath.cc for the generic one) so that its passes over a row vectorize as
// wide as the tier's -m flags allow; specials.cc's softmax runs it where input and output rows
// are contiguous float32 and keeps its own loop for other views and dtypes. The arithmetic is
// specials.cc's, operation for operation (float64 values, eight running maxima and sums, the
// blocks of short rows through one exp call), so both give the same bits, on any thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "vmath.h"

namespace symgrad {
namespace {

// Rows of at most this many values go through exp a block at a time (see specials.cc).
constexpr int64_t kSoftmaxBlock = 2048;

inline double row_max_widen(const float* x, double* e, int64_t cols) {
  double m8[8];
  for (double& v : m8) v = -std::numeric_limits<double>::infinity();
  int64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    for (int j = 0; j < 8; j++) {
      const double v = static_cast<double>(x[c + j]);
      e[c + j] = v;
      m8[j] = v > m8[j] ? v : m8[j];
    }
  }
  for (; c < cols; c++) {
    const double v = static_cast<double>(x[c]);
    e[c] = v;
    m8[0] = v > m8[0] ? v : m8[0];
  }
  double m = m8[0];
  for (double v : m8) m = v > m ? v : m;
  return m;
}

inline double row_sum(const double* xr, int64_t cols) {
  double s8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    for (int j = 0; j < 8; j++) s8[j] += xr[c + j];
  }
  for (; c < cols; c++) s8[c & 7] += xr[c];
  return ((s8[0] + s8[1]) + (s8[2] + s8[3])) + ((s8[4] + s8[5]) + (s8[6] + s8[7]));
}

// Rows [0, rows) of x (row stride xs) into out (row stride os), both contiguous along a row.
template <VecMathFn Exp>
void softmax_rows_f32(const float* x, int64_t xs, float* out, int64_t os, int64_t rows, int64_t cols, bool log) {
  const int64_t block = cols >= kSoftmaxBlock ? 1 : kSoftmaxBlock / cols;
  thread_local std::vector<double> e, t;
  if ((int64_t)e.size() < block * cols) e.resize(block * cols), t.resize(block * cols);
  for (int64_t b0 = 0; b0 < rows; b0 += block) {
    const int64_t nb = std::min(block, rows - b0);
    for (int64_t i = 0; i < nb; i++) {
      double* er = e.data() + i * cols;
      const double m = row_max_widen(x + (b0 + i) * xs, er, cols);
      for (int64_t c = 0; c < cols; c++) er[c] -= m;
    }
    double* ex = log ? t.data() : e.data();
    Exp(e.data(), ex, nb * cols);
    for (int64_t i = 0; i < nb; i++) {
      const double* er = e.data() + i * cols;
      const double s = row_sum(ex + i * cols, cols);
      float* o = out + (b0 + i) * os;
      if (log) {
        const double ls = std::log(s);
        for (int64_t c = 0; c < cols; c++) o[c] = static_cast<float>(er[c] - ls);
      } else {
        const double inv = 1.0 / s;
        for (int64_t c = 0; c < cols; c++) o[c] = static_cast<float>(er[c] * inv);
      }
    }
  }
}

}  // namespace
}  // namespace symgrad
