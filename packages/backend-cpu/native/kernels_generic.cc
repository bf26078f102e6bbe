// Portable micro-kernels in plain C++ (4×8): the compiler vectorizes the inner loop for the
// baseline target (x86-64-v2 SSE, or whatever another architecture offers).
#include "gemm.h"

namespace symgrad {
namespace {

constexpr int MR = 4;
constexpr int NR = 8;

template <typename T>
void micro(int64_t kc, const T* ap, const T* bp, T* c, int64_t rsc, T alpha, T beta) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++) {
      const T a = ap[r];
      for (int j = 0; j < NR; j++) acc[r][j] += a * bp[j];
    }
    ap += MR;
    bp += NR;
  }
  for (int r = 0; r < MR; r++) {
    T* row = c + r * rsc;
    for (int j = 0; j < NR; j++) row[j] = beta == T(0) ? alpha * acc[r][j] : alpha * acc[r][j] + beta * row[j];
  }
}

}  // namespace

KernelSet kernels_generic() {
  return KernelSet{"generic", {MR, NR, micro<float>}, {MR, NR, micro<double>}, {}, {}};
}

}  // namespace symgrad
