// A persistent pool of worker threads for the GEMM driver.
//
// Workers are created once (and again only when the size changes), so a call costs a wake-up,
// not a thread creation. After a job a worker spins briefly before sleeping on a condition
// variable: back-to-back kernels of one training step then find it awake, while an idle
// process does not burn a core.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace symgrad {

class ThreadPool {
 public:
  using Job = void (*)(void* ctx, int tid, int nth);

  // The process-wide pool, sized by SYMGRAD_NUM_THREADS or the hardware's thread count.
  static ThreadPool& instance();

  int size() const { return size_; }
  // Joins the old workers and starts n - 1 new ones (the caller is thread 0).
  void resize(int n);
  // Runs job(ctx, tid, nth) on threads 0..nth-1 (nth <= size()) and waits for all of them.
  void run(int nth, Job job, void* ctx);
  // Held by every kernel call for its whole run: the pool and the kernels' scratch are shared
  // by every caller in the process (Node worker threads included).
  static std::mutex& call_mutex();
  // A barrier among the nth threads of the current run(); call from inside the job only.
  void barrier();

 private:
  ThreadPool() = default;
  void start(int n);
  void stop();
  void worker(int tid, uint64_t seen);

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> quit_{false};
  Job job_ = nullptr;
  void* ctx_ = nullptr;
  int nth_ = 1;
  // Sense-reversing barrier state.
  std::atomic<int> arrived_{0};
  std::atomic<uint32_t> phase_{0};
};

}  // namespace symgrad
