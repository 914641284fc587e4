#ifndef BERTH_IO_URING_LOOP_H_
#define BERTH_IO_URING_LOOP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "io/event_loop.h"

namespace berth::io {

// What the running kernel's io_uring offers, probed once at start-up.
struct UringFeatures {
  bool waitid = false;   // IORING_OP_WAITID (6.7+); else pidfd poll + waitid
  bool ext_arg = false;  // IORING_FEAT_EXT_ARG: timed waits without a timeout SQE
  bool nodrop = false;   // IORING_FEAT_NODROP
  // IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN (6.1+): only the thread that
  // first runs the loop may run it afterwards.
  bool defer_taskrun = false;
  std::string Describe() const;
};

struct UringLoopOptions {
  unsigned entries = 256;  // SQ size; the CQ is twice that
  // The clock timers follow; the system clock when null. Only the wait's
  // length comes from the kernel, so a FakeTimeSource makes timers fire when
  // the fake clock has moved and the loop wakes up.
  const TimeSource* time = nullptr;
};

// The io_uring event loop: the only code in berth that includes liburing.h.
// Each submission's user_data is an operation id that maps to a completion
// object with one Complete(result) method. A batch of completions is reaped,
// dispatched, then expired timers and posted functions run.
class UringLoop final : public EventLoop {
 public:
  // Creates the ring and probes the kernel. Fails with FailedPrecondition
  // naming the missing opcode or feature, or with the errno of
  // io_uring_setup (EPERM when io_uring is disabled by sysctl).
  static absl::StatusOr<std::unique_ptr<UringLoop>> Create(UringLoopOptions options = {});
  ~UringLoop() override;

  const UringFeatures& features() const;

  absl::Status Run() override;
  absl::Status RunOnce(absl::Duration timeout) override;
  void Stop() override;
  void Post(absl::AnyInvocable<void()> fn) override;
  bool InLoopThread() const override;
  const TimeSource& time() const override;

  TimerId AddTimer(absl::Duration delay, absl::AnyInvocable<void()> fn) override;
  bool CancelTimer(TimerId id) override;

  OpId Accept(int listen_fd, IoCallback cb) override;
  OpId Recv(int fd, absl::Span<char> buf, IoCallback cb) override;
  OpId Send(int fd, absl::Span<const char> buf, IoCallback cb) override;
  OpId Connect(int fd, const sockaddr* addr, socklen_t len, IoCallback cb) override;
  OpId Poll(int fd, uint32_t poll_mask, IoCallback cb) override;
  OpId WaitPidfd(int pidfd, absl::AnyInvocable<void(absl::StatusOr<ExitStatus>)> cb) override;
  void ReadFile(int dirfd, std::string path, size_t max_bytes,
                absl::AnyInvocable<void(absl::StatusOr<std::string>)> cb) override;
  void Cancel(OpId id) override;

  // Number of operations submitted and not yet completed (for tests).
  size_t pending_ops() const;

  // Forces the fallback paths (pidfd poll instead of IORING_OP_WAITID) so
  // tests can exercise both on a new kernel.
  void DisableFeatureForTest(std::string_view name);

  struct Impl;

 private:
  explicit UringLoop(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::io

#endif  // BERTH_IO_URING_LOOP_H_
