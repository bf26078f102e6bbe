// What a host-compiled kernel module (built by the fake NVRTC from simt_host.h + the program's
// CUDA C) and the fake driver (fake_driver_simt.cc) share. The module defines one
// FakeSimtState; the driver finds it with dlsym("fakesimt_state") and, before it resumes a
// simulated CUDA thread, writes that thread's indices into it. Plain C layout, no includes:
// simt_host.h must stay free of system headers so that every NVRTC "compile" stays fast.
#pragma once

#define FAKESIMT_ABI 1
#define FAKESIMT_MAX_THREADS 1024  // threads per block, as on every current GPU

struct FakeSimtDim3 {
  unsigned x, y, z;
};

struct FakeSimtState {
  unsigned abi;  // FAKESIMT_ABI of the header the module was compiled with
  FakeSimtDim3 threadIdx, blockIdx, blockDim, gridDim;
  unsigned linear;  // threadIdx flattened (x fastest): lane = linear % 32, warp = linear / 32
  // Set by the driver at module load. Both suspend the calling simulated thread until the
  // barrier opens: every live thread of the block, or every live lane of the caller's warp.
  void (*syncthreads)(void);
  void (*syncwarp)(void);
  // One 8-byte slot per thread of the block (linear index): what warp shuffles exchange.
  unsigned long long* exchange;
};

// Per extern "C" kernel NAME the fake NVRTC appends two functions to the module:
//   void fakesimt_entry_NAME(void** params)      calls NAME(*(T0*)params[0], ...)
//   int fakesimt_params_NAME(unsigned* sizes, unsigned* pointers, int max)
// which describes the parameters (byte size, whether a pointer) and returns their count.
typedef void (*FakeSimtEntry)(void** params);
typedef int (*FakeSimtParams)(unsigned* sizes, unsigned* pointers, int max);
