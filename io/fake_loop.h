#ifndef BERTH_IO_FAKE_LOOP_H_
#define BERTH_IO_FAKE_LOOP_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/event_loop.h"
#include "io/time_source.h"
#include "io/timer_queue.h"

namespace berth::io {

// A deterministic EventLoop for unit tests: time is a FakeTimeSource that
// moves only when the test (or an idle RunOnce) moves it, and every I/O
// operation waits until the test completes it. Single-threaded apart from
// Post(), which is thread-safe as the interface promises.
class FakeLoop final : public EventLoop {
 public:
  enum class Kind { kAccept, kRecv, kSend, kConnect, kPoll, kWaitPidfd };
  struct PendingOp {
    OpId id;
    Kind kind;
    int fd;
    absl::Span<char> recv_buf;        // kRecv
    absl::Span<const char> send_buf;  // kSend
    uint32_t poll_mask = 0;           // kPoll
  };

  explicit FakeLoop(absl::Time start = absl::FromUnixSeconds(1700000000));

  // EventLoop.
  absl::Status Run() override;  // fails when idle with nothing that can happen
  absl::Status RunOnce(absl::Duration timeout) override;
  void Stop() override;
  void Post(absl::AnyInvocable<void()> fn) override;
  bool InLoopThread() const override { return true; }
  const TimeSource& time() const override { return clock_; }
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

  // Test controls.
  FakeTimeSource& clock() { return clock_; }
  // Runs posted functions and due timers until none is left at this time.
  void RunUntilIdle();
  // Moves time forward by `d`, firing timers in deadline order on the way.
  void AdvanceTime(absl::Duration d);

  std::vector<PendingOp> pending() const;
  std::optional<PendingOp> FindPending(Kind kind, int fd) const;
  // Completes an operation with a raw result (then runs until idle).
  void Complete(OpId id, int32_t result);
  // Copies `data` into a pending Recv's buffer (at most its size) and
  // completes it with the number of bytes copied. Returns that number.
  size_t CompleteRecv(OpId id, std::string_view data);
  // Completes a pending Send in full and returns what it sent.
  std::string CompleteSend(OpId id);
  void CompleteWait(OpId id, ExitStatus status);
  // Contents served by ReadFile (path as passed, dirfd ignored).
  void SetFile(std::string path, std::string contents);

 private:
  struct Op {
    PendingOp info;
    IoCallback cb;
    absl::AnyInvocable<void(absl::StatusOr<ExitStatus>)> exit_cb;
  };

  OpId AddOp(PendingOp info, IoCallback cb);
  void RunPosted();

  FakeTimeSource clock_;
  TimerQueue timers_;
  std::map<OpId, Op> ops_;
  OpId next_id_ = 1;
  std::map<std::string, std::string> files_;
  bool stop_ = false;
  std::mutex post_mu_;
  std::vector<absl::AnyInvocable<void()>> posted_;  // guarded by post_mu_
};

}  // namespace berth::io

#endif  // BERTH_IO_FAKE_LOOP_H_
