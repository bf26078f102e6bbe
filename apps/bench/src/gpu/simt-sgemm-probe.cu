// The WebGPU backend's default matmul for the seed's products, written in CUDA C: the same
// algorithm (128×128 tiles, K tiles of 16 or 32, 8×8 results per thread in groups of 4 rows
// and columns strided by 64, K-major tiles in shared memory with A's rows padded, the next K
// tile staged through registers, K split with a second launch adding the parts) and variants,
// compiled by nvcc instead of Tint → SPIR-V → the Vulkan driver. Timed beside cuBLAS on the
// same shapes, it tells how much of the WGSL kernels' distance from cuBLAS is the algorithm
// and how much the shader compiler path.
//
// nvcc -O3 -arch=sm_90 -o simt-sgemm-probe simt-sgemm-probe.cu -lcublas && ./simt-sgemm-probe
// (nvcc -Xptxas -v shows each kernel's registers and spills without a GPU.)
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#define CHECK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { std::printf("%s: %s\n", #x, cudaGetErrorString(e)); std::exit(1); } } while (0)

// WARP: a warp's 32 threads cover 4 thread rows × 8 thread columns (its reads of a K row of
// the tiles: 4 distinct vec4s of A, 8 of B) instead of 2 × 16 (2 of A, 16 of B). DBUF: two
// tiles per operand in shared memory, one barrier per K tile. MINB: blocks per SM the compiler
// must leave registers for (2 caps a 256-thread block's kernel at 128 registers).
template <int TM, int TN, int TK, int RM, int RN, bool WARP, bool DBUF, int MINB>
__global__ void __launch_bounds__((TM / RM) * (TN / RN), MINB)
tiled(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, int M, int N, int K, int kSpan) {
  constexpr int THREADS = (TM / RM) * (TN / RN), TX = TN / RN, TY = TM / RM;
  constexpr int SA = TM + 4, SB = TN;
  constexpr int AV = TM * TK / 4 / THREADS, BV = TK * TN / 4 / THREADS;
  static_assert(!WARP || (TY % 4 == 0 && TX % 8 == 0), "warp layout needs 4×8 thread blocks");
  __shared__ __align__(16) float AsAll[(DBUF ? 2 : 1) * TK * SA];
  __shared__ __align__(16) float BsAll[(DBUF ? 2 : 1) * TK * SB];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int tx = WARP ? (warp % (TX / 8)) * 8 + lane % 8 : tid % TX;
  const int ty = WARP ? (warp / (TX / 8)) * 4 + lane / 8 : tid / TX;
  int cur = 0;
  const int bm = blockIdx.y * TM, bn = blockIdx.x * TN;
  const int kBeg = blockIdx.z * kSpan, kEnd = min(K, kBeg + kSpan);
  float acc[RM][RN] = {};
  float4 ra[AV], rb[BV];
  auto load = [&](int k0) {
#pragma unroll
    for (int l = 0; l < AV; l++) {
      int e = tid + l * THREADS, mm = e / (TK / 4), pk = (e % (TK / 4)) * 4, row = bm + mm, kk = k0 + pk;
      ra[l] = (row < M && kk < kEnd) ? *reinterpret_cast<const float4*>(A + (size_t)row * K + kk) : make_float4(0, 0, 0, 0);
    }
#pragma unroll
    for (int l = 0; l < BV; l++) {
      int e = tid + l * THREADS, nn = (e % (TN / 4)) * 4, pb = e / (TN / 4), col = bn + nn, kk = k0 + pb;
      rb[l] = (col < N && kk < kEnd) ? *reinterpret_cast<const float4*>(B + (size_t)kk * N + col) : make_float4(0, 0, 0, 0);
    }
  };
  auto store = [&](int buf) {
    float* As = AsAll + buf * TK * SA;
    float* Bs = BsAll + buf * TK * SB;
#pragma unroll
    for (int l = 0; l < AV; l++) {
      int e = tid + l * THREADS, mm = e / (TK / 4), pk = (e % (TK / 4)) * 4;
      As[(pk + 0) * SA + mm] = ra[l].x; As[(pk + 1) * SA + mm] = ra[l].y;
      As[(pk + 2) * SA + mm] = ra[l].z; As[(pk + 3) * SA + mm] = ra[l].w;
    }
#pragma unroll
    for (int l = 0; l < BV; l++) {
      int e = tid + l * THREADS, nn = (e % (TN / 4)) * 4, pb = e / (TN / 4);
      *reinterpret_cast<float4*>(&Bs[pb * SB + nn]) = rb[l];
    }
  };
  load(kBeg);
  store(0);
  __syncthreads();
  for (int k0 = kBeg; k0 < kEnd; k0 += TK) {
    const bool more = k0 + TK < kEnd;
    if (more) load(k0 + TK);
    const float* As = AsAll + cur * TK * SA;
    const float* Bs = BsAll + cur * TK * SB;
#pragma unroll
    for (int p = 0; p < TK; p++) {
      float a[RM], b[RN];
#pragma unroll
      for (int g = 0; g < RM / 4; g++) *reinterpret_cast<float4*>(&a[4 * g]) = *reinterpret_cast<const float4*>(&As[p * SA + g * 4 * TY + ty * 4]);
#pragma unroll
      for (int g = 0; g < RN / 4; g++) *reinterpret_cast<float4*>(&b[4 * g]) = *reinterpret_cast<const float4*>(&Bs[p * SB + g * 4 * TX + tx * 4]);
#pragma unroll
      for (int i = 0; i < RM; i++)
#pragma unroll
        for (int j = 0; j < RN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (DBUF) {
      if (more) { cur ^= 1; store(cur); }
      __syncthreads();
    } else {
      __syncthreads();
      if (more) { store(0); __syncthreads(); }
    }
  }
  float* out = C + (size_t)blockIdx.z * M * N;
#pragma unroll
  for (int i = 0; i < RM; i++) {
    int row = bm + (i / 4) * 4 * TY + ty * 4 + i % 4;
#pragma unroll
    for (int j = 0; j < RN; j++) {
      int col = bn + (j / 4) * 4 * TX + tx * 4 + j % 4;
      if (row < M && col < N) out[(size_t)row * N + col] = acc[i][j];
    }
  }
}

__global__ void addParts(const float* __restrict__ P, float* __restrict__ C, int n, int parts) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float s = P[i];
  for (int q = 1; q < parts; q++) s += P[(size_t)q * n + i];
  C[i] = s;
}

template <int TM, int TN, int TK, int RM, int RN, bool WARP = false, bool DBUF = false, int MINB = 1>
void probe(const char* name, int M, int N, int K, int split, const float* A, const float* B, float* P, float* C, const float* want, cudaEvent_t t0, cudaEvent_t t1) {
  auto kernel = tiled<TM, TN, TK, RM, RN, WARP, DBUF, MINB>;
  cudaFuncAttributes attr;
  CHECK(cudaFuncGetAttributes(&attr, kernel));
  int tiles = (K + TK - 1) / TK, span = ((tiles + split - 1) / split) * TK;
  dim3 grid((N + TN - 1) / TN, (M + TM - 1) / TM, split);
  auto run = [&]() {
    kernel<<<grid, (TM / RM) * (TN / RN)>>>(A, B, split > 1 ? P : C, M, N, K, span);
    if (split > 1) addParts<<<(M * N + 255) / 256, 256>>>(P, C, M * N, split);
  };
  for (int i = 0; i < 20; i++) run();
  CHECK(cudaDeviceSynchronize());
  const int reps = 200;
  float ms = 0, msMain = 0;
  CHECK(cudaEventRecord(t0));
  for (int i = 0; i < reps; i++) run();
  CHECK(cudaEventRecord(t1));
  CHECK(cudaEventSynchronize(t1));
  CHECK(cudaEventElapsedTime(&ms, t0, t1));
  CHECK(cudaEventRecord(t0));
  for (int i = 0; i < reps; i++) kernel<<<grid, (TM / RM) * (TN / RN)>>>(A, B, split > 1 ? P : C, M, N, K, span);
  CHECK(cudaEventRecord(t1));
  CHECK(cudaEventSynchronize(t1));
  CHECK(cudaEventElapsedTime(&msMain, t0, t1));
  run();
  std::vector<float> got((size_t)M * N), ref((size_t)M * N);
  CHECK(cudaMemcpy(got.data(), C, got.size() * 4, cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(ref.data(), want, ref.size() * 4, cudaMemcpyDeviceToHost));
  double err = 0, scale = 0;
  for (size_t i = 0; i < got.size(); i++) { err = std::max(err, (double)std::abs(got[i] - ref[i])); scale = std::max(scale, (double)std::abs(ref[i])); }
  double us = ms * 1000 / reps, usMain = msMain * 1000 / reps;
  std::printf("{\"probe\":\"%s\",\"shape\":\"%dx%dx%d\",\"us\":%.2f,\"usMainKernel\":%.2f,\"tflops\":%.2f,\"registers\":%d,\"localBytes\":%zu,\"maxError\":%.2e}\n",
              name, M, N, K, us, usMain, 2.0 * M * N * K / us / 1e6, attr.numRegs, attr.localSizeBytes, err / scale);
}

int main() {
  const int shapes[2][3] = {{800, 1000, 1000}, {2048, 2048, 2048}};
  cublasHandle_t h;
  cublasCreate(&h);
  cudaEvent_t t0, t1;
  CHECK(cudaEventCreate(&t0));
  CHECK(cudaEventCreate(&t1));
  for (auto& s : shapes) {
    int M = s[0], N = s[1], K = s[2];
    std::vector<float> ha((size_t)M * K), hb((size_t)K * N);
    unsigned x = 12345;
    for (auto& v : ha) { x = x * 1664525u + 1013904223u; v = (x >> 8) / 16777216.0f - 0.5f; }
    for (auto& v : hb) { x = x * 1664525u + 1013904223u; v = (x >> 8) / 16777216.0f - 0.5f; }
    float *A, *B, *C, *P, *W;
    CHECK(cudaMalloc(&A, ha.size() * 4)); CHECK(cudaMalloc(&B, hb.size() * 4));
    CHECK(cudaMalloc(&C, (size_t)M * N * 4)); CHECK(cudaMalloc(&W, (size_t)M * N * 4)); CHECK(cudaMalloc(&P, (size_t)4 * M * N * 4));
    CHECK(cudaMemcpy(A, ha.data(), ha.size() * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(B, hb.data(), hb.size() * 4, cudaMemcpyHostToDevice));
    // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ.
    const float one = 1, zero = 0;
    auto gemm = [&]() { cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, B, N, A, K, &zero, W, N); };
    for (int i = 0; i < 20; i++) gemm();
    CHECK(cudaDeviceSynchronize());
    float ms = 0;
    CHECK(cudaEventRecord(t0));
    for (int i = 0; i < 200; i++) gemm();
    CHECK(cudaEventRecord(t1));
    CHECK(cudaEventSynchronize(t1));
    CHECK(cudaEventElapsedTime(&ms, t0, t1));
    double us = ms * 1000 / 200;
    std::printf("{\"probe\":\"cublas sgemm\",\"shape\":\"%dx%dx%d\",\"us\":%.2f,\"tflops\":%.2f}\n", M, N, K, us, 2.0 * M * N * K / us / 1e6);
    if (M == 800) {
      probe<128, 128, 16, 8, 8>("simt 128x128x16 8x8 split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 32, 8, 8>("simt 128x128x32 8x8 split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, true>("simt 128x128x16 8x8 warp4x8 split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 32, 8, 8, true>("simt 128x128x32 8x8 warp4x8 split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, false, true>("simt 128x128x16 8x8 double split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, true, true>("simt 128x128x16 8x8 warp4x8 double split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, true>("simt 128x128x16 8x8 warp4x8 split3", M, N, K, 3, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, true>("simt 128x128x16 8x8 warp4x8 split4", M, N, K, 4, A, B, P, C, W, t0, t1);
      probe<128, 64, 16, 8, 8, true>("simt 128x64x16 8x8 warp4x8 split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 64, 16, 8, 8, true, true>("simt 128x64x16 8x8 warp4x8 double split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 8, 8, 8, true, true>("simt 128x128x8 8x8 warp4x8 double split2", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, false, false, 2>("simt 128x128x16 8x8 split2 128 registers", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 32, 8, 8, false, false, 2>("simt 128x128x32 8x8 split2 128 registers", M, N, K, 2, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, false, true, 2>("simt 128x128x16 8x8 double split2 128 registers", M, N, K, 2, A, B, P, C, W, t0, t1);
    } else {
      probe<128, 128, 16, 8, 8>("simt 128x128x16 8x8", M, N, K, 1, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, true>("simt 128x128x16 8x8 warp4x8", M, N, K, 1, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, true, true>("simt 128x128x16 8x8 warp4x8 double", M, N, K, 1, A, B, P, C, W, t0, t1);
      probe<128, 128, 8, 8, 8, true, true>("simt 128x128x8 8x8 warp4x8 double", M, N, K, 1, A, B, P, C, W, t0, t1);
      probe<128, 128, 16, 8, 8, false, false, 2>("simt 128x128x16 8x8 128 registers", M, N, K, 1, A, B, P, C, W, t0, t1);
      probe<128, 128, 32, 8, 8, false, false, 2>("simt 128x128x32 8x8 128 registers", M, N, K, 1, A, B, P, C, W, t0, t1);
    }
    cudaFree(A); cudaFree(B); cudaFree(C); cudaFree(W); cudaFree(P);
  }
  return 0;
}
