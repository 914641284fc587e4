#include "io/worker_pool.h"

#include <utility>

#include "io/log.h"

namespace berth::io {

WorkerPool::WorkerPool(EventLoop& loop, int threads) : loop_(loop) {
  CHECK_GT(threads, 0);
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { WorkerMain(); });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    t.join();
  }
}

void WorkerPool::Submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done) {
  Enqueue([this, work = std::move(work), done = std::move(done)]() mutable {
    work();
    loop_.Post(std::move(done));
  });
}

void WorkerPool::Enqueue(absl::AnyInvocable<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    CHECK(!stopping_) << "WorkerPool::Submit after destruction began";
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void WorkerPool::WorkerMain() {
  while (true) {
    absl::AnyInvocable<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping and drained
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace berth::io
