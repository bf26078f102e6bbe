#include "thread_pool.h"

#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SYMGRAD_PAUSE() _mm_pause()
#else
#define SYMGRAD_PAUSE() ((void)0)
#endif

namespace symgrad {

namespace {
// Spin this many rounds before yielding/sleeping: about tens of microseconds, long enough to
// catch the next kernel of a step, short enough not to steal a core from other processes.
constexpr int kSpinRounds = 20000;

int default_threads() {
  if (const char* env = std::getenv("SYMGRAD_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}
}  // namespace

ThreadPool& ThreadPool::instance() {
  // Leaked on purpose: workers may still sleep on the condition variable at process exit,
  // so the pool must never be destroyed under them.
  static ThreadPool* pool = [] {
    auto* p = new ThreadPool();
    p->start(default_threads());
    return p;
  }();
  return *pool;
}

std::mutex& ThreadPool::call_mutex() {
  static std::mutex mu;
  return mu;
}

void ThreadPool::start(int n) {
  size_ = n < 1 ? 1 : n;
  quit_.store(false);
  // The generation is read here, not in the new thread: a thread that starts late must still
  // see the next job (or the quit) as new.
  const uint64_t seen = generation_.load();
  for (int t = 1; t < size_; t++) workers_.emplace_back([this, t, seen] { worker(t, seen); });
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_.store(true);
    generation_.fetch_add(1);
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void ThreadPool::resize(int n) {
  if (n < 1) n = 1;
  if (n == size_) return;
  stop();
  start(n);
}

void ThreadPool::worker(int tid, uint64_t seen) {
  for (;;) {
    // Spin, then sleep until the generation moves on.
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinRounds) {
      SYMGRAD_PAUSE();
      spins++;
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return generation_.load() != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (quit_.load()) return;
    if (tid < nth_) {
      job_(ctx_, tid, nth_);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

void ThreadPool::run(int nth, Job job, void* ctx) {
  if (nth > size_) nth = size_;
  if (nth <= 1) {
    job(ctx, 0, 1);
    return;
  }
  job_ = job;
  ctx_ = ctx;
  nth_ = nth;
  arrived_.store(0);
  pending_.store(nth - 1, std::memory_order_release);
  {
    // Bumping the generation under the lock pairs with the sleeping workers' wait predicate.
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  cv_.notify_all();
  job(ctx, 0, nth);
  int spins = 0;
  while (pending_.load(std::memory_order_acquire) != 0) {
    if (++spins < kSpinRounds) SYMGRAD_PAUSE();
    else std::this_thread::yield();
  }
}

void ThreadPool::barrier() {
  const int nth = nth_;
  if (nth <= 1) return;
  const uint32_t phase = phase_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == nth - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    phase_.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  int spins = 0;
  while (phase_.load(std::memory_order_acquire) == phase) {
    if (++spins < kSpinRounds) SYMGRAD_PAUSE();
    else std::this_thread::yield();
  }
}

}  // namespace symgrad
