// Runs host-compiled CUDA kernels (see simt_host.h) block by block. Each CUDA thread of a block
// is a fiber (its own stack, switched cooperatively on the calling OS thread) rather than an
// OS thread: a barrier then costs two stack switches instead of waking hundreds of threads on
// a 2-core machine, launches stay fast enough for hundreds per test, and runs are
// deterministic. The semantics CUDA guarantees still hold:
// - __syncthreads: a fiber that reaches it waits until every live thread of its block has;
// - warp shuffles / __syncwarp: a fiber waits until every live lane of its 32-thread warp has;
// - threads that returned count as arrived (as exited threads do on the GPU);
// - threads waiting at barriers that can never all open (divergent __syncthreads) fail the
//   launch with CUDA_ERROR_LAUNCH_FAILED instead of hanging.
// Between barriers the fibers of a block run one after another, alternately in increasing and
// decreasing thread order, so that code missing a barrier is likely to read data its
// neighbours have not written yet (on either side) and fail, though no order catches every race.
#include "fake_simt.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstring>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace {
constexpr size_t kStackBytes = 256 << 10;  // per simulated thread; only touched pages cost memory
constexpr size_t kGuardBytes = 4096;       // below each stack: an overflow faults instead of corrupting
enum State : unsigned char { RUNNABLE, AT_BLOCK, AT_WARP, DONE };

struct Fiber {
#if defined(__x86_64__)
  void* sp = nullptr;  // saved stack pointer while suspended (or prepared)
#else
  ucontext_t ctx;
#endif
  char* stack = nullptr;
  State state = DONE;
};

Fiber g_fibers[FAKESIMT_MAX_THREADS];
unsigned long long g_exchange[FAKESIMT_MAX_THREADS];
unsigned g_current = 0;
FakeSimtEntry g_entry = nullptr;
void** g_args = nullptr;
}  // namespace

#if defined(__x86_64__)
// fakesimt_swap(save, to): saves the callee-saved registers, MXCSR and the x87 control word on
// the current stack, stores the stack pointer in *save, switches to `to` and restores the same
// from there (System V x86-64: everything else is caller-saved across this call).
extern "C" void fakesimt_swap(void** save, void* to) __attribute__((visibility("hidden")));
asm(R"(
  .text
  .globl fakesimt_swap
  .hidden fakesimt_swap
  .type fakesimt_swap, @function
fakesimt_swap:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size fakesimt_swap, .-fakesimt_swap
)");
namespace {
void* g_scheduler = nullptr;  // the scheduler's stack pointer while a fiber runs
void fiberMain();
// A fresh frame for fakesimt_swap to "return" into fiberMain: control words, six zeroed
// registers, the entry address, and a slot standing for fiberMain's return address, which
// leaves the stack 16-byte aligned + 8 at its entry, as after a call.
void prepare(Fiber& f) {
  auto* top = reinterpret_cast<unsigned long long*>(f.stack + kStackBytes);
  unsigned long long* sp = top - 9;
  memset(sp, 0, 9 * sizeof *sp);
  sp[0] = 0x1F80ull | (0x037Full << 32);  // MXCSR and x87 control word at their defaults
  sp[7] = reinterpret_cast<unsigned long long>(&fiberMain);
  f.sp = sp;
}
void resume(Fiber& f) { fakesimt_swap(&g_scheduler, f.sp); }
void suspend() { fakesimt_swap(&g_fibers[g_current].sp, g_scheduler); }
[[noreturn]] void finish() {
  void* dead;
  fakesimt_swap(&dead, g_scheduler);
  __builtin_trap();
}
}  // namespace
#else
namespace {
ucontext_t g_scheduler;
void fiberMain();
void prepare(Fiber& f) {
  getcontext(&f.ctx);
  f.ctx.uc_stack.ss_sp = f.stack;
  f.ctx.uc_stack.ss_size = kStackBytes;
  f.ctx.uc_link = nullptr;
  makecontext(&f.ctx, fiberMain, 0);
}
void resume(Fiber& f) { swapcontext(&g_scheduler, &f.ctx); }
void suspend() { swapcontext(&g_fibers[g_current].ctx, &g_scheduler); }
[[noreturn]] void finish() {
  setcontext(&g_scheduler);
  __builtin_trap();
}
}  // namespace
#endif

namespace {
void fiberMain() {
  g_entry(g_args);
  g_fibers[g_current].state = DONE;
  finish();
}
void syncthreadsHook() {
  g_fibers[g_current].state = AT_BLOCK;
  suspend();
}
void syncwarpHook() {
  g_fibers[g_current].state = AT_WARP;
  suspend();
}
bool ensureStacks(unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    if (g_fibers[i].stack) continue;
    void* m = mmap(nullptr, kStackBytes + kGuardBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return false;
    mprotect(m, kGuardBytes, PROT_NONE);
    g_fibers[i].stack = static_cast<char*>(m) + kGuardBytes;
  }
  return true;
}

// Opens the barriers that can open: a warp whose live lanes all wait at a warp barrier, else
// the block barrier when every live thread waits there. False: nothing can ever run again.
bool release(unsigned n) {
  bool opened = false;
  for (unsigned lo = 0; lo < n; lo += 32) {
    const unsigned hi = lo + 32 < n ? lo + 32 : n;
    bool waiting = false, all = true;
    for (unsigned t = lo; t < hi; t++) {
      if (g_fibers[t].state == DONE) continue;
      if (g_fibers[t].state == AT_WARP) waiting = true;
      else all = false;
    }
    if (!waiting || !all) continue;
    for (unsigned t = lo; t < hi; t++) if (g_fibers[t].state == AT_WARP) g_fibers[t].state = RUNNABLE;
    opened = true;
  }
  if (opened) return true;
  for (unsigned t = 0; t < n; t++) if (g_fibers[t].state != DONE && g_fibers[t].state != AT_BLOCK) return false;
  for (unsigned t = 0; t < n; t++) if (g_fibers[t].state == AT_BLOCK) { g_fibers[t].state = RUNNABLE; opened = true; }
  return opened;
}

std::string stuck(unsigned n) {
  unsigned block = 0, warp = 0, done = 0;
  for (unsigned t = 0; t < n; t++) {
    block += g_fibers[t].state == AT_BLOCK;
    warp += g_fibers[t].state == AT_WARP;
    done += g_fibers[t].state == DONE;
  }
  char buf[200];
  snprintf(buf, sizeof buf, "%u threads wait at __syncthreads, %u at a warp barrier (shuffle or __syncwarp) whose warp has lanes elsewhere, %u returned",
           block, warp, done);
  return buf;
}
}  // namespace

namespace fakesimt {
void bind(FakeSimtState* st) {
  st->syncthreads = syncthreadsHook;
  st->syncwarp = syncwarpHook;
  st->exchange = g_exchange;
}

int runGrid(FakeSimtState* st, FakeSimtEntry entry, void** args, const unsigned grid[3], const unsigned block[3], std::string* why) {
  const unsigned n = block[0] * block[1] * block[2];
  if (n == 0 || n > FAKESIMT_MAX_THREADS) { *why = "bad block size"; return 1; }
  if (!ensureStacks(n)) { *why = "no memory for the simulated threads' stacks"; return 2; }
  g_entry = entry;
  g_args = args;
  st->blockDim = {block[0], block[1], block[2]};
  st->gridDim = {grid[0], grid[1], grid[2]};
  for (unsigned bz = 0; bz < grid[2]; bz++)
    for (unsigned by = 0; by < grid[1]; by++)
      for (unsigned bx = 0; bx < grid[0]; bx++) {
        st->blockIdx = {bx, by, bz};
        for (unsigned t = 0; t < n; t++) {
          prepare(g_fibers[t]);
          g_fibers[t].state = RUNNABLE;
        }
        for (unsigned pass = 0;; pass++) {
          for (unsigned k = 0; k < n; k++) {
            const unsigned t = pass & 1 ? n - 1 - k : k;
            if (g_fibers[t].state != RUNNABLE) continue;
            g_current = t;
            st->linear = t;
            st->threadIdx = {t % block[0], t / block[0] % block[1], t / (block[0] * block[1])};
            resume(g_fibers[t]);
          }
          bool done = true;
          for (unsigned t = 0; t < n && done; t++) done = g_fibers[t].state == DONE;
          if (done) break;
          if (!release(n)) {
            char where[80];
            snprintf(where, sizeof where, "block (%u, %u, %u) cannot finish: ", bx, by, bz);
            *why = where + stuck(n);
            return 719;  // CUDA_ERROR_LAUNCH_FAILED
          }
        }
      }
  return 0;
}
}  // namespace fakesimt
