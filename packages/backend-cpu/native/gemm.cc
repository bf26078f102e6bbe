// The GEMM driver: BLIS/GotoBLAS loop structure over packed panels.
//
//   for jc (NC columns of C)            B block KC×NC is packed once, shared by all threads
//     for pc (KC deep)                  alpha/beta apply on the first pc, later blocks add
//       pack B (threads split panels)   barrier
//       for ic (MC rows, per thread)    A block MC×KC packed per thread (stays in L2)
//         for jr (NR panels)            B micro-panel KC×NR stays in L1
//           for ir (MR panels)          micro-kernel, accumulators in registers
//       barrier
//
// Threads split C's MR-row and NR-column panels as a grid (thread_grid), never K: every
// element of C is the same sequence of FMAs whatever the number of threads, so results do
// not depend on it.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <type_traits>
#include <vector>

#include "thread_pool.h"

namespace symgrad {
namespace {

// Cache blocking: a packed A block of MC×KC ~512 KiB stays in L2 with room for C and B
// traffic; a packed B block of KC×NC ~4 MiB is shared through L2/L3. A deep KC (1024) means
// fewer passes over C. Measured (2 threads, medians, alternating runs) on the 2-core AMD EPYC
// VM with AVX-512 (32 KiB L1d, 1 MiB L2): 2048³ 187–199 GFLOP/s with KC 512 / 512 KiB /
// 2 MiB against 196–207 with these, 800×1000×1000 unchanged (179–200 either way); the
// Emerald Rapids VM had measured KC 512 above KC 256 (88–93 against 84–88 on one thread).
constexpr int64_t kKC = 1024;
constexpr int64_t kABytes = 512 * 1024;
constexpr int64_t kBBytes = 4096 * 1024;
// Below this many FLOPs one thread does the whole call: waking a worker costs more.
constexpr double kParallelFlops = 2.0e6;

struct Blocking {
  int64_t kc, mc, nc;
};

template <typename T>
Blocking blocking(const MicroKernel<T>& mk) {
  const int64_t mc = std::max<int64_t>(1, kABytes / (kKC * (int64_t)sizeof(T)) / mk.mr) * mk.mr;
  const int64_t nc = std::max<int64_t>(1, kBBytes / (kKC * (int64_t)sizeof(T)) / mk.nr) * mk.nr;
  return {kKC, mc, nc};
}

// 64-byte aligned scratch that grows and is then reused: a steady state allocates nothing.
struct Scratch {
  void* ptr = nullptr;
  size_t bytes = 0;
  template <typename T>
  T* get(size_t count) {
    const size_t need = ((count * sizeof(T) + 63) / 64) * 64;
    if (need > bytes) {
      std::free(ptr);
      ptr = std::aligned_alloc(64, need);
      if (!ptr) throw std::bad_alloc();
      bytes = need;
    }
    return static_cast<T*>(ptr);
  }
};

struct Workspace {
  Scratch a, b;
};

std::vector<Workspace>& workspaces(int n) {
  static std::vector<Workspace> ws;
  if ((int)ws.size() < n) ws.resize(n);
  return ws;
}

bool cpu_has(const char* isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx512") == 0) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }
  if (std::strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return std::strcmp(isa, "generic") == 0;
}

KernelSet load_set(const char* isa) {
#if defined(__x86_64__)
  if (std::strcmp(isa, "avx512") == 0) return kernels_avx512();
  if (std::strcmp(isa, "avx2") == 0) return kernels_avx2();
#endif
  (void)isa;
  return kernels_generic();
}

KernelSet& active_set() {
  static KernelSet set = load_set(cpu_has("avx512") ? "avx512" : cpu_has("avx2") ? "avx2" : "generic");
  return set;
}

// One kernel at a time: the pool and the workspaces are shared (see ThreadPool::call_mutex).
std::mutex& call_mutex() { return ThreadPool::call_mutex(); }

// The tier's kernel for a C n columns wide: the narrow one when C fits it (the choice depends
// on the shape only, never on the thread count).
template <typename T>
MicroKernel<T> micro_of(const KernelSet& s, int64_t n);
template <>
MicroKernel<float> micro_of<float>(const KernelSet& s, int64_t n) {
  return s.f32_narrow.fn && n <= s.f32_narrow.nr ? s.f32_narrow : s.f32;
}
template <>
MicroKernel<double> micro_of<double>(const KernelSet& s, int64_t n) {
  return s.f64_narrow.fn && n <= s.f64_narrow.nr ? s.f64_narrow : s.f64;
}

// Rows i0.. of op(A), depth p0..p0+kc, into MR-row panels (p-major), zero-padded.
template <typename T>
void pack_a(const GemmArgs<T>& g, int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr, T* dst) {
  for (int64_t ir = 0; ir < rows; ir += mr, dst += mr * kc) {
    const int64_t rr = std::min<int64_t>(mr, rows - ir);
    const T* base = g.a + (i0 + ir) * g.ars + p0 * g.acs;
    if (rr == mr && g.ars == 1) {  // op(A) column-contiguous (A transposed): copy columns
      // Columns are short (14 floats): a copy of a size known at compile time is inlined,
      // where a memcpy call per column showed up as 3% of a training step.
      const auto columns = [&](auto height) {
        constexpr int64_t h = decltype(height)::value;
        for (int64_t p = 0; p < kc; p++) std::memcpy(dst + p * h, base + p * g.acs, h * sizeof(T));
      };
      if (mr == 14) columns(std::integral_constant<int64_t, 14>{});
      else if (mr == 6) columns(std::integral_constant<int64_t, 6>{});
      else for (int64_t p = 0; p < kc; p++) std::memcpy(dst + p * mr, base + p * g.acs, mr * sizeof(T));
    } else if (rr == mr && g.acs == 1) {  // row-contiguous: stream each row
      for (int r = 0; r < mr; r++) {
        const T* row = base + r * g.ars;
        for (int64_t p = 0; p < kc; p++) dst[p * mr + r] = row[p];
      }
    } else {
      for (int64_t p = 0; p < kc; p++) {
        for (int r = 0; r < mr; r++) dst[p * mr + r] = r < rr ? base[r * g.ars + p * g.acs] : T(0);
      }
    }
  }
}

// Columns j0..j0+cols of op(B), depth p0..p0+kc, into one NR-column panel (p-major), zero-padded.
template <typename T>
void pack_b_panel(const GemmArgs<T>& g, const MicroKernel<T>& mk, int64_t p0, int64_t kc, int64_t j0, int64_t cols, int nr, T* dst) {
  const T* base = g.b + p0 * g.brs + j0 * g.bcs;
  if (cols == nr && g.bcs == 1) {
    for (int64_t p = 0; p < kc; p++) std::memcpy(dst + p * nr, base + p * g.brs, nr * sizeof(T));
  } else if (cols == nr && g.brs == 1 && mk.pack_transposed) {
    mk.pack_transposed(base, g.bcs, kc, nr, dst);
  } else if (cols == nr && g.brs == 1) {  // op(B) column-contiguous (B transposed)
    // In strips of 16 depths: the strip of the panel being written stays in L1 while every
    // column is read, instead of sweeping the whole panel once per column.
    constexpr int64_t kStrip = 16;
    for (int64_t p0 = 0; p0 < kc; p0 += kStrip) {
      const int64_t p1 = std::min(kc, p0 + kStrip);
      for (int j = 0; j < nr; j++) {
        const T* col = base + j * g.bcs;
        for (int64_t p = p0; p < p1; p++) dst[p * nr + j] = col[p];
      }
    }
  } else {
    for (int64_t p = 0; p < kc; p++) {
      for (int j = 0; j < nr; j++) dst[p * nr + j] = j < cols ? base[p * g.brs + j * g.bcs] : T(0);
    }
  }
}

// Full panels lo..hi of a row-major op(B) (unit column stride), swept one row of B at a time:
// each row segment is read front to back, which the hardware prefetchers follow, where
// packing panel by panel jumps a row stride every 32 values and waits on memory.
template <typename T>
void pack_b_rows(const GemmArgs<T>& g, int64_t p0, int64_t kc, int64_t j0, int64_t panels, int nr, T* dst) {
  const auto sweep = [&](auto width) {
    constexpr int64_t w = decltype(width)::value;
    for (int64_t p = 0; p < kc; p++) {
      const T* row = g.b + (p0 + p) * g.brs + j0;
      T* out = dst + p * w;
      for (int64_t jp = 0; jp < panels; jp++) std::memcpy(out + jp * w * kc, row + jp * w, w * sizeof(T));
    }
  };
  if (nr == 32) sweep(std::integral_constant<int64_t, 32>{});
  else if (nr == 16) sweep(std::integral_constant<int64_t, 16>{});
  else if (nr == 8) sweep(std::integral_constant<int64_t, 8>{});
  else {
    for (int64_t p = 0; p < kc; p++) {
      const T* row = g.b + (p0 + p) * g.brs + j0;
      for (int64_t jp = 0; jp < panels; jp++) std::memcpy(dst + jp * nr * kc + p * nr, row + jp * nr, nr * sizeof(T));
    }
  }
}

// Whether mr rows `stride` bytes apart, read side by side, land in different L1 sets (at
// most two rows per set): x86 L1 data caches have 64 sets of 64-byte lines, so a row stride
// that is a multiple of 4 KiB (a 1024- or 2048-wide float32 A) puts every row in one set and
// thrashes it. Such an A is packed instead of read in place (measured at 2048³: 111 against
// 190 GFLOP/s).
inline bool rows_spread_over_l1(int64_t stride, int mr) {
  constexpr int64_t kLine = 64, kSets = 64;
  int count[kSets] = {};
  for (int r = 0; r < mr; r++) {
    if (++count[((r * stride / kLine) % kSets + kSets) % kSets] > 2) return false;
  }
  return true;
}

// [lo, hi) of `count` items for thread tid of nth, in contiguous chunks.
inline void split(int64_t count, int tid, int nth, int64_t& lo, int64_t& hi) {
  lo = count * tid / nth;
  hi = count * (tid + 1) / nth;
}

// How nth threads tile C's mpanels × npanels panels of a block: a tr × tc grid, thread tid
// taking row share tid / tc and column share tid % tc. The grid is the one whose largest
// share is smallest, so no thread waits on another's extra panel (16 threads on the seed's
// 58 row panels: 4 each for some, 3 for others with rows alone; 2 × 8 shares every panel
// evenly). Among grids within 3% of it, the one with the most row shares: threads that split
// columns read the same rows of A (and pack them where A is packed).
inline void thread_grid(int64_t mpanels, int64_t npanels, int nth, int& tr, int& tc) {
  const auto load = [&](int r) { return ((mpanels + r - 1) / r) * ((npanels + nth / r - 1) / (nth / r)); };
  int64_t best = -1;
  for (int r = 1; r <= nth; r++) {
    if (nth % r == 0 && (best < 0 || load(r) < best)) best = load(r);
  }
  for (int r = nth; r >= 1; r--) {
    if (nth % r == 0 && load(r) * 100 <= best * 103) {
      tr = r;
      tc = nth / r;
      return;
    }
  }
}

// The epilogue over rows i0.. and columns j0.. of C (see Epilogue in gemm.h).
template <typename T>
inline T relu_of(T x) {
  return (x > T(0) || x != x) ? x : T(0);  // NaN passes, -0 becomes +0: as the JS relu
}

template <typename T>
void apply_epilogue(const GemmArgs<T>& g, int64_t i0, int64_t rows, int64_t j0, int64_t cols) {
  const int e = g.epilogue;
  // Unit column strides (the usual layout) get loops the compiler turns into SIMD selects.
  if (g.ccs == 1 && (!epilogue_reads_aux(e) || g.xcs == 1)) {
    for (int64_t r = 0; r < rows; r++) {
      T* __restrict c = g.c + (i0 + r) * g.crs + j0;
      const T* __restrict x = epilogue_reads_aux(e) ? g.aux + (i0 + r) * g.xrs + j0 : nullptr;
      if (e == kRelu) {
        for (int64_t j = 0; j < cols; j++) c[j] = relu_of(c[j]);
      } else if (e == kMaskPositive) {
        for (int64_t j = 0; j < cols; j++) c[j] = x[j] > T(0) ? c[j] : T(0);
      } else if (e == kBias) {
        for (int64_t j = 0; j < cols; j++) c[j] = c[j] + x[j];
      } else if (e == kBiasRelu) {
        for (int64_t j = 0; j < cols; j++) c[j] = relu_of(T(c[j] + x[j]));
      }
    }
    return;
  }
  for (int64_t r = 0; r < rows; r++) {
    T* c = g.c + (i0 + r) * g.crs + j0 * g.ccs;
    const T* x = epilogue_reads_aux(e) ? g.aux + (i0 + r) * g.xrs + j0 * g.xcs : nullptr;
    for (int64_t j = 0; j < cols; j++) {
      T& v = c[j * g.ccs];
      if (e == kRelu) v = relu_of(v);
      else if (e == kMaskPositive) v = x[j * g.xcs] > T(0) ? v : T(0);
      else if (e == kBias) v = v + x[j * g.xcs];
      else if (e == kBiasRelu) v = relu_of(T(v + x[j * g.xcs]));
    }
  }
}

// k == 0: C = beta·C (beta == 0 writes zeros without reading C).
template <typename T>
void scale_c(const GemmArgs<T>& g) {
  for (int64_t i = 0; i < g.m; i++) {
    for (int64_t j = 0; j < g.n; j++) {
      T& x = g.c[i * g.crs + j * g.ccs];
      x = g.beta == T(0) ? T(0) : g.beta * x;
    }
  }
}

// One GEMM on threads tid of nth (all nth threads call it with the same arguments).
template <typename T>
void gemm_one(const GemmArgs<T>& g, int tid, int nth, T* bbuf, Workspace& ws, const MicroKernel<T>& mk,
              const Blocking& bl, ThreadPool& pool) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) {
    if (tid == 0) {
      scale_c(g);
      if (g.epilogue != kNone) apply_epilogue(g, 0, g.m, 0, g.n);
    }
    return;
  }
  const int mr = mk.mr, nr = mk.nr;
  const bool direct = mk.direct != nullptr && g.acs == 1 && rows_spread_over_l1(g.ars * (int64_t)sizeof(T), mr);
  const int64_t mpanels = (g.m + mr - 1) / mr;
  T* abuf = ws.a.get<T>(bl.mc * bl.kc);
  alignas(64) T tile[16 * 64];  // an edge tile: MR×NR ≤ 16×64
  for (int64_t jc = 0; jc < g.n; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, g.n - jc);
    const int64_t npanels = (nc + nr - 1) / nr;
    for (int64_t pc = 0; pc < g.k; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, g.k - pc);
      const T beta = pc == 0 ? g.beta : T(1);
      const bool last = pc + kc == g.k;
      // A kept packed op(B) holds block (jc, pc) at jc·k + pc·(its padded width).
      T* const bblock = g.packed ? g.packed + jc * g.k + pc * npanels * nr : bbuf;
      int64_t lo, hi;
      split(npanels, tid, nth, lo, hi);
      if (g.packed_fresh) lo = hi;  // already packed
      const int64_t full_hi = std::min(hi, nc / nr);  // panels lo..full_hi are full
      if (g.bcs == 1 && full_hi > lo) {
        pack_b_rows(g, pc, kc, jc + lo * nr, full_hi - lo, nr, bblock + lo * nr * kc);
        lo = full_hi;
      }
      for (int64_t jp = lo; jp < hi; jp++) {
        pack_b_panel(g, mk, pc, kc, jc + jp * nr, std::min<int64_t>(nr, nc - jp * nr), nr, bblock + jp * nr * kc);
      }
      if (nth > 1 && !g.packed_fresh) pool.barrier();
      int64_t r0 = 0, r1 = mpanels, c0 = 0, c1 = npanels;
      int tr = 1, tc = 1;
      thread_grid(mpanels, npanels, nth, tr, tc);
      split(mpanels, tid / tc, tr, r0, r1);
      split(npanels, tid % tc, tc, c0, c1);
      const int64_t mcp = bl.mc / mr;  // row panels per A block
      for (int64_t ip = r0; ip < r1 && c0 < c1; ip += mcp) {
        const int64_t ipe = std::min(ip + mcp, r1);
        const int64_t i0 = ip * mr;
        const int64_t rows = std::min(ipe * mr, g.m) - i0;
        // A row-major A is read in place by full panels (packing it means a transpose); only a
        // last, partial panel is packed, zero-padded, into the start of abuf.
        const int64_t packed_from = direct ? rows / mr * mr : 0;
        if (packed_from < rows) pack_a(g, i0 + packed_from, rows - packed_from, pc, kc, mr, abuf);
        for (int64_t jp = c0; jp < c1; jp++) {
          const T* bp = bblock + jp * nr * kc;
          const int64_t j0 = jc + jp * nr;
          const int64_t cols = std::min<int64_t>(nr, g.n - j0);
          for (int64_t q = 0; q < ipe - ip; q++) {
            const int64_t i = i0 + q * mr;
            const bool in_place = direct && q * mr < packed_from;
            const T* ap = direct ? abuf : abuf + q * mr * kc;
            const T* arow = g.a + i * g.ars + pc;
            const int64_t rr = std::min<int64_t>(mr, g.m - i);
            T* c = g.c + i * g.crs + j0 * g.ccs;
            // The mask's rows are far apart in memory: start loading them while the tile computes.
            if (last && g.epilogue == kMaskPositive && g.xrs != 0) {
              for (int64_t r = 0; r < rr; r++) {
                const T* h = g.aux + (i + r) * g.xrs + j0 * g.xcs;
                for (int64_t j = 0; j < cols * g.xcs; j += 64 / (int64_t)sizeof(T)) __builtin_prefetch(h + j);
              }
            }
            // The epilogue inside the kernel's store, where the tier has it, for a full tile.
            const EpilogueFn<T> stored_epilogue =
                last && rr == mr && cols == nr && g.ccs == 1 && (!epilogue_reads_aux(g.epilogue) || g.xcs == 1)
                    ? (in_place ? mk.direct_epilogue : mk.packed_epilogue)[g.epilogue]
                    : nullptr;
            if (stored_epilogue) {
              const T* x = epilogue_reads_aux(g.epilogue) ? g.aux + i * g.xrs + j0 : nullptr;
              stored_epilogue(kc, in_place ? arow : ap, g.ars, bp, c, g.crs, g.alpha, beta, x, g.xrs);
            } else if (rr == mr && cols == nr && g.ccs == 1) {
              if (in_place) mk.direct(kc, arow, g.ars, bp, c, g.crs, g.alpha, beta);
              else mk.fn(kc, ap, bp, c, g.crs, g.alpha, beta);
            } else {
              if (in_place) mk.direct(kc, arow, g.ars, bp, tile, nr, T(1), T(0));
              else mk.fn(kc, ap, bp, tile, nr, T(1), T(0));
              for (int64_t r = 0; r < rr; r++) {
                for (int64_t j = 0; j < cols; j++) {
                  T& x = c[r * g.crs + j * g.ccs];
                  x = beta == T(0) ? g.alpha * tile[r * nr + j] : g.alpha * tile[r * nr + j] + beta * x;
                }
              }
            }
            if (last && g.epilogue != kNone && !stored_epilogue) apply_epilogue(g, i, rr, j0, cols);
          }
        }
      }
      // Every thread is done with this B block before the scratch is repacked (a kept packed
      // op(B) is never overwritten within a call).
      if (nth > 1 && !g.packed) pool.barrier();
    }
  }
}

template <typename T>
struct Job {
  const GemmArgs<T>* args;
  const int64_t* offsets;
  int64_t count;
  MicroKernel<T> mk;
  Blocking bl;
  bool by_batch;
  std::vector<Workspace>* ws;
  ThreadPool* pool;
};

template <typename T>
GemmArgs<T> at_batch(const GemmArgs<T>& g, const int64_t* offsets, int64_t t) {
  GemmArgs<T> x = g;
  x.a += offsets[4 * t];
  x.b += offsets[4 * t + 1];
  x.c += offsets[4 * t + 2];
  if (x.aux) x.aux += offsets[4 * t + 3];
  return x;
}

template <typename T>
void run_job(void* ctx, int tid, int nth) {
  auto& job = *static_cast<Job<T>*>(ctx);
  Workspace& mine = (*job.ws)[tid];
  if (job.by_batch) {
    // Many small matrices: each thread takes whole matrices, with its own B block.
    int64_t lo, hi;
    split(job.count, tid, nth, lo, hi);
    T* bbuf = mine.b.get<T>(job.bl.kc * job.bl.nc);
    for (int64_t t = lo; t < hi; t++) {
      gemm_one(at_batch(*job.args, job.offsets, t), 0, 1, bbuf, mine, job.mk, job.bl, *job.pool);
    }
    return;
  }
  // Thread 0's B scratch is the shared packed B block; it was sized before the run.
  T* bbuf = static_cast<T*>((*job.ws)[0].b.ptr);
  for (int64_t t = 0; t < job.count; t++) {
    gemm_one(at_batch(*job.args, job.offsets, t), tid, nth, bbuf, mine, job.mk, job.bl, *job.pool);
  }
}

}  // namespace

const char* active_isa() { return active_set().isa; }

int num_threads() { return ThreadPool::instance().size(); }

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lock(call_mutex());
  ThreadPool::instance().resize(n);
}

bool set_isa(const char* name) {
  if (!cpu_has(name)) return false;
  std::lock_guard<std::mutex> lock(call_mutex());
  active_set() = load_set(name);
  return true;
}

template <typename T>
void gemm_batched(const GemmArgs<T>& args, const int64_t* offsets, int64_t count) {
  if (count <= 0 || args.m == 0 || args.n == 0) return;
  std::lock_guard<std::mutex> lock(call_mutex());
  ThreadPool& pool = ThreadPool::instance();
  const MicroKernel<T> mk = micro_of<T>(active_set(), args.n);
  const Blocking bl = blocking(mk);
  const double flops = 2.0 * args.m * args.n * (double)args.k;
  int nth = pool.size();
  if (flops * count < kParallelFlops) nth = 1;
  // Whole matrices per thread when each is small and there are enough of them.
  const bool by_batch = nth > 1 && count >= nth && flops < 8 * kParallelFlops;
  std::vector<Workspace>& ws = workspaces(pool.size());
  if (!by_batch) ws[0].b.get<T>(bl.kc * bl.nc);
  Job<T> job{&args, offsets, count, mk, bl, by_batch, &ws, &pool};
  pool.run(nth, run_job<T>, &job);
}

template <typename T>
int64_t packed_b_size(int64_t n, int64_t k) {
  const MicroKernel<T> mk = micro_of<T>(active_set(), n);
  return (n + mk.nr - 1) / mk.nr * mk.nr * k;
}

template int64_t packed_b_size<float>(int64_t, int64_t);
template int64_t packed_b_size<double>(int64_t, int64_t);
template void gemm_batched<float>(const GemmArgs<float>&, const int64_t*, int64_t);
template void gemm_batched<double>(const GemmArgs<double>&, const int64_t*, int64_t);

}  // namespace symgrad
