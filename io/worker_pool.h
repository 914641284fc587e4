#ifndef BERTH_IO_WORKER_POOL_H_
#define BERTH_IO_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "io/event_loop.h"

namespace berth::io {

// A few threads for blocking work (layer unpack, fsync, getaddrinfo) that
// must not stall the loop. Results come back to the loop thread through
// EventLoop::Post. Destroy the pool before its loop.
class WorkerPool {
 public:
  WorkerPool(EventLoop& loop, int threads);
  ~WorkerPool();  // runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `work` on a worker, then `done(result)` on the loop thread.
  template <typename T>
  void Submit(absl::AnyInvocable<T()> work, absl::AnyInvocable<void(T)> done) {
    Enqueue([this, work = std::move(work), done = std::move(done)]() mutable {
      T result = work();
      loop_.Post([done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
    });
  }

  // Runs `work` on a worker, then `done()` on the loop thread.
  void Submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done);

  size_t threads() const { return threads_.size(); }

 private:
  void Enqueue(absl::AnyInvocable<void()> job);
  void WorkerMain();

  EventLoop& loop_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<absl::AnyInvocable<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                         // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace berth::io

#endif  // BERTH_IO_WORKER_POOL_H_
