/**
 * Philox-4x32-10 and the word → number maps of the `random` kernel (core's `fillRandom` is the
 * reference). Included only in sources that hold a random kernel, after SCALAR_PRELUDE.
 *
 * Every function is `__host__ __device__`, so nvcc can also build the generated per-thread
 * code into a host executable and check it on a machine without a GPU (random-host.test.ts);
 * `__CUDA_ARCH__` picks `__umulhi` on the device and a 64-bit product on the host.
 *
 * Normals: float32 uses `logf`, `sqrtf` and `sincospif` (not `__logf`/`__sinf`, whose
 * absolute errors are too coarse near u₁ → 1 and at large angles). `sincospif(2·u₂)` takes
 * the angle in turns: 2·u₂ is exact, so no rounded 2π·u₂ reaches the sine (a float32 θ near π
 * would cost ~1e-7 absolute, a large relative error where sin θ is near 0). float64 uses
 * `log`, `sqrt` and `sincospi` in double.
 */
export const RANDOM_PRELUDE = `#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define SG_HD __host__ __device__ __forceinline__
#else
#define SG_HD inline
#endif
struct SgWords { unsigned w[4]; };

SG_HD unsigned sg_mulhi(unsigned a, unsigned b) {
#ifdef __CUDA_ARCH__
  return __umulhi(a, b);
#else
  return (unsigned)(((unsigned long long)a * b) >> 32);
#endif
}

// Philox-4x32-10 at counter (block mod 2^64 split lo/hi, 0, 0) under key (k0, k1).
SG_HD SgWords sg_philox4x32(unsigned long long block, unsigned k0, unsigned k1) {
  unsigned c0 = (unsigned)block, c1 = (unsigned)(block >> 32), c2 = 0u, c3 = 0u;
#pragma unroll
  for (int round = 0; round < 10; round++) {
    if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
    const unsigned hi0 = sg_mulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    const unsigned hi1 = sg_mulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
  }
  SgWords r;
  r.w[0] = c0; r.w[1] = c1; r.w[2] = c2; r.w[3] = c3;
  return r;
}

// Uniforms in (0, 1), exact in their type: ((w >> 9) + 0.5)·2^-23 and (w + 0.5)·2^-32.
SG_HD float sg_uniform_f32(unsigned w) { return ((float)(w >> 9) + 0.5f) * 1.1920928955078125e-7f; }
SG_HD double sg_uniform_f64(unsigned w) { return ((double)w + 0.5) * 2.3283064365386962890625e-10; }

// Box-Muller on the word pairs (0, 1) and (2, 3): even lane r·cos θ, odd lane r·sin θ.
SG_HD void sg_normal4(const SgWords& x, float* v) {
#pragma unroll
  for (int p = 0; p < 4; p += 2) {
    const float r = sqrtf(-2.0f * logf(sg_uniform_f32(x.w[p])));
    float s, c;
    sincospif(2.0f * sg_uniform_f32(x.w[p + 1]), &s, &c);
    v[p] = r * c; v[p + 1] = r * s;
  }
}
SG_HD void sg_normal4(const SgWords& x, double* v) {
#pragma unroll
  for (int p = 0; p < 4; p += 2) {
    const double r = sqrt(-2.0 * log(sg_uniform_f64(x.w[p])));
    double s, c;
    sincospi(2.0 * sg_uniform_f64(x.w[p + 1]), &s, &c);
    v[p] = r * c; v[p + 1] = r * s;
  }
}
SG_HD void sg_uniform4(const SgWords& x, float* v) { for (int l = 0; l < 4; l++) v[l] = sg_uniform_f32(x.w[l]); }
SG_HD void sg_uniform4(const SgWords& x, double* v) { for (int l = 0; l < 4; l++) v[l] = sg_uniform_f64(x.w[l]); }
SG_HD void sg_bits4(const SgWords& x, int* v) { for (int l = 0; l < 4; l++) v[l] = (int)x.w[l]; }
`;
