/**
 * Device-side helpers shared by the generated reduce and softmax-cross-entropy kernels:
 * combine functors and group reductions (warp shuffles, then shared memory across the warps
 * of a group of G threads; every thread of the group receives the result). Every thread of
 * the block must call a group reduction (they synchronize the block when G > 32).
 */
export const DEVICE_PRELUDE = `struct SgSum {
  SG_DEV float operator()(float a, float b) const { return a + b; }
  SG_DEV double operator()(double a, double b) const { return a + b; }
  SG_DEV int operator()(int a, int b) const { return (int)((unsigned)a + (unsigned)b); }
};
// NaN wins (and stays), as in the reference.
struct SgMax { template <typename T> SG_DEV T operator()(T a, T b) const { return (a > b || a != a) ? a : b; } };
struct SgMin { template <typename T> SG_DEV T operator()(T a, T b) const { return (a < b || a != a) ? a : b; } };

template <int G, typename T, typename F>
SG_DEV T sg_group_reduce(T v, F f, T* sh) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = f(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (G > 32) {
    __syncthreads();
    if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = v;
    __syncthreads();
    const int first = (threadIdx.x / G) * (G / 32);
    v = sh[first];
    for (int q = 1; q < G / 32; q++) v = f(v, sh[first + q]);
  }
  return v;
}

// argmax pairs: the larger value, NaN above everything, ties and NaNs to the smaller index;
// index 0x7fffffff marks "nothing seen yet".
template <typename T>
SG_DEV bool sg_arg_takes(T va, int ia, T vb, int ib) {
  if (ib == 0x7fffffff) return false;
  if (ia == 0x7fffffff) return true;
  if (vb != vb) return va == va || ib < ia;
  if (va != va) return false;
  return vb > va || (vb == va && ib < ia);
}

template <int G, typename T>
SG_DEV void sg_group_argmax(T& v, int& i, T* sh, int* shi) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const T ov = __shfl_xor_sync(0xffffffffu, v, o);
    const int oi = __shfl_xor_sync(0xffffffffu, i, o);
    if (sg_arg_takes(v, i, ov, oi)) { v = ov; i = oi; }
  }
  if (G > 32) {
    __syncthreads();
    if ((threadIdx.x & 31) == 0) { sh[threadIdx.x >> 5] = v; shi[threadIdx.x >> 5] = i; }
    __syncthreads();
    const int first = (threadIdx.x / G) * (G / 32);
    v = sh[first]; i = shi[first];
    for (int q = 1; q < G / 32; q++) if (sg_arg_takes(v, i, sh[first + q], shi[first + q])) { v = sh[first + q]; i = shi[first + q]; }
  }
}
`;

/** Threads per output row: the smallest of 32, 64, 128, 256 covering `length` (256 beyond). */
export function groupSize(length: number): 32 | 64 | 128 | 256 {
  return length <= 32 ? 32 : length <= 64 ? 64 : length <= 128 ? 128 : 256;
}
