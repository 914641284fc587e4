#ifndef BERTH_IO_EVENT_LOOP_H_
#define BERTH_IO_EVENT_LOOP_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "io/time_source.h"

namespace berth::io {

// Completion of an I/O operation: >= 0 on success (bytes moved, a new fd, a
// poll mask), or -errno. A cancelled operation completes with -ECANCELED
// (or with its real result, if it finished first).
using IoCallback = absl::AnyInvocable<void(int32_t result)>;

// Names a pending operation or timer so it can be cancelled. 0 is never used.
using OpId = uint64_t;
using TimerId = uint64_t;

// How a child process ended, from waitid(2).
struct ExitStatus {
  int pid = 0;
  int si_code = 0;  // CLD_EXITED, CLD_KILLED or CLD_DUMPED
  int status = 0;   // exit code (CLD_EXITED) or signal number

  bool exited() const;
  bool signaled() const;
  // The shell's convention: the exit code, or 128 + signal number.
  int ShellCode() const;
};

// The event loop interface. One loop per process, run by one thread (the
// loop thread); everything but Post() and Stop() must be called there, and
// every callback runs there. The real implementation is UringLoop
// (io_uring); FakeLoop is a deterministic stand-in for unit tests.
//
// Buffers passed to Recv/Send must stay valid until the callback runs.
// Every operation's callback runs exactly once, including after Cancel().
class EventLoop {
 public:
  virtual ~EventLoop() = default;

  // Runs until Stop(). Returns an error only if the loop itself fails.
  virtual absl::Status Run() = 0;
  // Runs what is ready, waiting at most `timeout` for the first event.
  virtual absl::Status RunOnce(absl::Duration timeout) = 0;
  // Makes Run() return after the current batch. Thread-safe.
  virtual void Stop() = 0;

  // Runs `fn` on the loop thread, after the current callback, in posting
  // order. Thread-safe; this is how workers hand results back.
  virtual void Post(absl::AnyInvocable<void()> fn) = 0;
  virtual bool InLoopThread() const = 0;

  // The clock the loop's timers follow.
  virtual const TimeSource& time() const = 0;

  // Runs `fn` once after `delay`. Cancelling a timer that has fired or was
  // cancelled is a no-op returning false.
  virtual TimerId AddTimer(absl::Duration delay, absl::AnyInvocable<void()> fn) = 0;
  virtual bool CancelTimer(TimerId id) = 0;

  // Sockets. Accept's result is the new fd (SOCK_NONBLOCK | SOCK_CLOEXEC).
  virtual OpId Accept(int listen_fd, IoCallback cb) = 0;
  virtual OpId Recv(int fd, absl::Span<char> buf, IoCallback cb) = 0;
  virtual OpId Send(int fd, absl::Span<const char> buf, IoCallback cb) = 0;
  virtual OpId Connect(int fd, const sockaddr* addr, socklen_t len, IoCallback cb) = 0;
  // One-shot poll; the result is the returned event mask (POLLIN, ...).
  virtual OpId Poll(int fd, uint32_t poll_mask, IoCallback cb) = 0;

  // Waits for the child behind `pidfd` to exit and reaps it.
  virtual OpId WaitPidfd(int pidfd,
                         absl::AnyInvocable<void(absl::StatusOr<ExitStatus>)> cb) = 0;

  // Reads a small file (cgroupfs, procfs) relative to `dirfd` (or AT_FDCWD),
  // at most `max_bytes` of it.
  virtual void ReadFile(int dirfd, std::string path, size_t max_bytes,
                        absl::AnyInvocable<void(absl::StatusOr<std::string>)> cb) = 0;

  // Asks for a pending operation to end early; unknown ids are ignored.
  virtual void Cancel(OpId id) = 0;
};

}  // namespace berth::io

#endif  // BERTH_IO_EVENT_LOOP_H_
