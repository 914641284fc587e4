// Micro-benchmarks of the io_uring event loop (io/uring_loop.h): timers,
// posting, pidfd waits and a recv/send ping-pong. Printed, never asserted;
// bench/README.md has the figures and how to read them.

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "io/log.h"
#include "io/socket.h"
#include "io/uring_loop.h"

namespace berth::io {
namespace {

// The loop, or nullptr after telling `state` why there is none.
std::unique_ptr<UringLoop> MakeLoop(benchmark::State& state) {
  auto loop = UringLoop::Create();
  if (!loop.ok()) {
    state.SkipWithError(loop.status().ToString().c_str());
    return nullptr;
  }
  return std::move(*loop);
}

// Runs the loop without blocking for long until `done`.
template <typename Pred>
void RunUntil(UringLoop& loop, Pred done) {
  while (!done()) {
    CHECK_OK(loop.RunOnce(absl::Seconds(1)));
  }
}

// --- Timers ------------------------------------------------------------------

// AddTimer + CancelTimer of a timer that never fires (what the HTTP server
// does per request), with `range(0)` other timers pending.
void BM_TimerAddCancel(benchmark::State& state) {
  auto loop = MakeLoop(state);
  if (!loop) {
    return;
  }
  for (int64_t i = 0; i < state.range(0); ++i) {
    loop->AddTimer(absl::Hours(1) + absl::Milliseconds(i), [] {});
  }
  for (auto _ : state) {
    TimerId id = loop->AddTimer(absl::Seconds(30), [] {});
    benchmark::DoNotOptimize(loop->CancelTimer(id));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerAddCancel)->Arg(0)->Arg(1000)->Arg(100000);

// Arms `range(0)` zero-delay timers, then runs the loop until all fired:
// add + heap + one loop iteration, per timer.
void BM_TimerFire(benchmark::State& state) {
  auto loop = MakeLoop(state);
  if (!loop) {
    return;
  }
  const int64_t batch = state.range(0);
  int64_t fired = 0;
  for (auto _ : state) {
    int64_t want = fired + batch;
    for (int64_t i = 0; i < batch; ++i) {
      loop->AddTimer(absl::ZeroDuration(), [&fired] { ++fired; });
    }
    RunUntil(*loop, [&] { return fired == want; });
  }
  state.SetItemsProcessed(fired);
}
BENCHMARK(BM_TimerFire)->Arg(1)->Arg(64)->Arg(1024);

// --- Post ----------------------------------------------------------------------

// Another thread posts a function; it runs on the loop (blocked in
// io_uring_enter, woken through the eventfd) and signals back. One item is a
// full round trip: the latency a worker-pool result sees.
void BM_PostRoundTrip(benchmark::State& state) {
  auto loop = MakeLoop(state);
  if (!loop) {
    return;
  }
  std::atomic<bool> running{false};
  std::thread loop_thread([&] {
    loop->Post([&] {
      running.store(true);
      running.notify_one();
    });
    CHECK_OK(loop->Run());
  });
  running.wait(false);
  std::atomic<uint64_t> done{0};
  uint64_t sent = 0;
  for (auto _ : state) {
    ++sent;
    loop->Post([&done] {
      done.fetch_add(1, std::memory_order_release);
      done.notify_one();
    });
    uint64_t seen;
    while ((seen = done.load(std::memory_order_acquire)) != sent) {
      done.wait(seen, std::memory_order_acquire);
    }
  }
  loop->Stop();
  loop_thread.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PostRoundTrip)->UseRealTime();

// The loop thread posts `range(0)` functions to itself, then one loop
// iteration runs them: the cost of deferring work within the loop.
void BM_PostSameThread(benchmark::State& state) {
  auto loop = MakeLoop(state);
  if (!loop) {
    return;
  }
  const int64_t batch = state.range(0);
  int64_t ran = 0;
  for (auto _ : state) {
    int64_t want = ran + batch;
    for (int64_t i = 0; i < batch; ++i) {
      loop->Post([&ran] { ++ran; });
    }
    RunUntil(*loop, [&] { return ran == want; });
  }
  state.SetItemsProcessed(ran);
}
BENCHMARK(BM_PostSameThread)->Arg(1)->Arg(64);

// --- pidfd waits ---------------------------------------------------------------

// A child that exits at once, and its pidfd.
pid_t ForkExitingChild(int* pidfd) {
  pid_t pid = fork();
  if (pid == 0) {
    _exit(0);
  }
  CHECK(pid > 0) << "fork: " << std::strerror(errno);
  *pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  CHECK(*pidfd >= 0) << "pidfd_open: " << std::strerror(errno);
  return pid;
}

// Whether the loop may use IORING_OP_WAITID; false if the bench is skipped.
bool ChoosePidfdPath(benchmark::State& state, UringLoop& loop, bool use_waitid) {
  if (use_waitid && !loop.features().waitid) {
    state.SkipWithError("kernel lacks IORING_OP_WAITID (6.7+)");
    return false;
  }
  if (!use_waitid) {
    loop.DisableFeatureForTest("waitid");
  }
  return true;
}

// fork + pidfd_open + WaitPidfd until the callback has the exit status: what
// a task launch-to-exit costs the loop thread, fork included.
// `use_waitid`: IORING_OP_WAITID (kernel 6.7+); else the pidfd-poll fallback.
void ForkAndWaitPidfdBench(benchmark::State& state, bool use_waitid) {
  auto loop = MakeLoop(state);
  if (!loop || !ChoosePidfdPath(state, *loop, use_waitid)) {
    return;
  }
  for (auto _ : state) {
    int pidfd = -1;
    pid_t pid = ForkExitingChild(&pidfd);
    UniqueFd owned(pidfd);
    bool reaped = false;
    loop->WaitPidfd(pidfd, [&](absl::StatusOr<ExitStatus> s) {
      CHECK_OK(s.status());
      CHECK_EQ(s->pid, pid);
      reaped = true;
    });
    RunUntil(*loop, [&] { return reaped; });
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_ForkAndWaitPidfd_Waitid(benchmark::State& state) { ForkAndWaitPidfdBench(state, true); }
void BM_ForkAndWaitPidfd_PollFallback(benchmark::State& state) {
  ForkAndWaitPidfdBench(state, false);
}
BENCHMARK(BM_ForkAndWaitPidfd_Waitid)->UseRealTime();
BENCHMARK(BM_ForkAndWaitPidfd_PollFallback)->UseRealTime();

// The loop's own cost of a pidfd wait: `kBatch` children are forked and have
// exited (zombies, not reaped) before the timer runs; then WaitPidfd on each
// and run the loop until all are reaped. Fork and scheduling stay outside.
void ReapExitedBench(benchmark::State& state, bool use_waitid) {
  constexpr int kBatch = 16;
  auto loop = MakeLoop(state);
  if (!loop || !ChoosePidfdPath(state, *loop, use_waitid)) {
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    UniqueFd pidfds[kBatch];
    for (UniqueFd& owned : pidfds) {
      int pidfd = -1;
      pid_t pid = ForkExitingChild(&pidfd);
      owned.Reset(pidfd);
      siginfo_t info;
      // WNOWAIT: wait until it is a zombie, but leave it for the loop to reap.
      CHECK(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) == 0)
          << std::strerror(errno);
    }
    state.ResumeTiming();
    int reaped = 0;
    for (UniqueFd& owned : pidfds) {
      loop->WaitPidfd(owned.get(), [&](absl::StatusOr<ExitStatus> s) {
        CHECK_OK(s.status());
        ++reaped;
      });
    }
    RunUntil(*loop, [&] { return reaped == kBatch; });
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_ReapExited_Waitid(benchmark::State& state) { ReapExitedBench(state, true); }
void BM_ReapExited_PollFallback(benchmark::State& state) { ReapExitedBench(state, false); }
// Fixed iterations: the untimed forks take ~100x the timed part, and
// Google Benchmark would run them until 0.5 s of timed work (minutes).
BENCHMARK(BM_ReapExited_Waitid)->Iterations(300);
BENCHMARK(BM_ReapExited_PollFallback)->Iterations(300);

// The floor under BM_ForkAndWaitPidfd_*: fork + blocking waitpid, no loop.
void BM_ForkWaitpidBaseline(benchmark::State& state) {
  for (auto _ : state) {
    pid_t pid = fork();
    if (pid == 0) {
      _exit(0);
    }
    CHECK(pid > 0) << "fork: " << std::strerror(errno);
    int status = 0;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ForkWaitpidBaseline)->UseRealTime();

// --- recv/send ping-pong ---------------------------------------------------------

// A `range(0)`-byte message goes a → b and back over a socketpair, each hop
// a Send and a Recv through the ring. One item is one round trip (two sends,
// two recvs, at least two io_uring_enter calls).
void BM_SocketPairPingPong(benchmark::State& state) {
  auto loop = MakeLoop(state);
  if (!loop) {
    return;
  }
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  UniqueFd a(fds[0]), b(fds[1]);
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<char> out_a(size, 'a'), out_b(size, 'b'), in_a(size), in_b(size);
  size_t got_a = 0, got_b = 0;
  bool sent_ok = true;
  auto on_send = [&sent_ok, size](int32_t res) { sent_ok &= res == static_cast<int32_t>(size); };

  for (auto _ : state) {
    got_a = got_b = 0;
    // b waits for the ping; when all of it is in, b answers.
    std::function<void(int32_t)> recv_b = [&](int32_t res) {
      CHECK_GT(res, 0) << "recv on b";
      got_b += static_cast<size_t>(res);
      if (got_b < size) {
        loop->Recv(b.get(), absl::MakeSpan(in_b.data() + got_b, size - got_b), recv_b);
        return;
      }
      loop->Send(b.get(), absl::MakeConstSpan(out_b), on_send);
    };
    std::function<void(int32_t)> recv_a = [&](int32_t res) {
      CHECK_GT(res, 0) << "recv on a";
      got_a += static_cast<size_t>(res);
      if (got_a < size) {
        loop->Recv(a.get(), absl::MakeSpan(in_a.data() + got_a, size - got_a), recv_a);
      }
    };
    loop->Recv(b.get(), absl::MakeSpan(in_b), recv_b);
    loop->Recv(a.get(), absl::MakeSpan(in_a), recv_a);
    loop->Send(a.get(), absl::MakeConstSpan(out_a), on_send);
    RunUntil(*loop, [&] { return got_a == size; });
  }
  if (!sent_ok) {
    state.SkipWithError("a send was short or failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(2 * size));
}
BENCHMARK(BM_SocketPairPingPong)->Arg(64)->Arg(16 << 10)->UseRealTime();

}  // namespace
}  // namespace berth::io

BENCHMARK_MAIN();
