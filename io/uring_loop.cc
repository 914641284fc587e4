#include "io/uring_loop.h"

#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "io/log.h"
#include "io/status.h"
#include "io/timer_queue.h"

namespace berth::io {
namespace {

// IORING_OP_WAITID (kernel 6.7): Debian 12's headers (6.1) predate it. It
// comes right after IORING_OP_READ_MULTISHOT (49) in the kernel's enum.
constexpr uint8_t kOpWaitid = 50;

// user_data values below kFirstOpId are the loop's own.
constexpr uint64_t kIgnoreUserData = 0;  // cancel requests
constexpr uint64_t kWakeUserData = 1;    // the eventfd read
constexpr uint64_t kFirstOpId = 16;

}  // namespace

// A submitted operation. Complete() gets the CQE's result and returns true
// when the operation is over (the loop frees it) or false when it submitted
// a follow-up under the same id.
struct Op {
  virtual ~Op() = default;
  virtual bool Complete(int32_t res) = 0;
};

struct UringLoop::Impl {
  io_uring ring;
  bool ring_ok = false;
  UringFeatures features;
  const TimeSource* time = nullptr;
  TimerQueue timers;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Op>> ops;
  uint64_t next_op_id = kFirstOpId;

  int wake_fd = -1;
  uint64_t wake_buf = 0;
  std::atomic<bool> stop{false};
  std::atomic<std::thread::id> loop_thread{std::this_thread::get_id()};

  std::mutex post_mu;
  std::vector<absl::AnyInvocable<void()>> posted;  // guarded by post_mu
  bool wake_pending = false;                       // guarded by post_mu
  std::vector<absl::AnyInvocable<void()>> running;  // loop thread only

  struct Cqe {
    uint64_t user_data;
    int32_t res;
  };
  std::vector<Cqe> reaped;

  ~Impl() {
    if (ring_ok) {
      io_uring_queue_exit(&ring);  // cancels what the kernel still holds
    }
    if (wake_fd >= 0) {
      close(wake_fd);
    }
  }

  absl::Status EnterLoopThread();
  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) {
      // The SQ is full: hand what is queued to the kernel and retry.
      if (!enabled) {
        // More than the SQ's worth queued before the loop first ran: the
        // thread queueing them becomes the loop thread.
        CHECK_OK(EnterLoopThread());
      }
      int ret = io_uring_submit(&ring);
      CHECK(ret >= 0) << "io_uring_submit: " << strerror(-ret);
      sqe = io_uring_get_sqe(&ring);
      CHECK(sqe != nullptr) << "no SQE after submit";
    }
    return sqe;
  }

  // Registers `op` and prepares its first SQE with `prep`.
  template <typename Prep>
  OpId Start(std::unique_ptr<Op> op, Prep&& prep) {
    OpId id = next_op_id++;
    io_uring_sqe* sqe = GetSqe();
    prep(sqe);
    io_uring_sqe_set_data64(sqe, id);
    ops.emplace(id, std::move(op));
    return id;
  }

  void ArmWake() {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_read(sqe, wake_fd, &wake_buf, sizeof(wake_buf), 0);
    io_uring_sqe_set_data64(sqe, kWakeUserData);
  }

  void Wake() {
    uint64_t one = 1;
    ssize_t n = write(wake_fd, &one, sizeof(one));
    (void)n;  // EAGAIN means the counter is already non-zero: awake anyway
  }

  bool InLoopThread() const { return loop_thread.load() == std::this_thread::get_id(); }

  bool enabled = false;

  absl::Status Iterate(std::optional<absl::Duration> max_wait);
  void Dispatch(uint64_t user_data, int32_t res);
  void RunPosted();
};

// Called by the thread that runs the loop: with SINGLE_ISSUER it must be
// the only one that submits, so the ring is enabled from here.
absl::Status UringLoop::Impl::EnterLoopThread() {
  if (!enabled) {
    if (features.defer_taskrun) {
      // io_uring_enable_rings() is declared by liburing 2.3 but missing
      // from its shared library; this is what it does.
      if (syscall(__NR_io_uring_register, ring.ring_fd, IORING_REGISTER_ENABLE_RINGS,
                  nullptr, 0) < 0) {
        return ErrnoStatus(errno, "enable io_uring");
      }
    }
    enabled = true;
    loop_thread.store(std::this_thread::get_id());
    return absl::OkStatus();
  }
  if (features.defer_taskrun && !InLoopThread()) {
    return absl::FailedPreconditionError(
        "UringLoop is single-issuer: run it from the thread that ran it first");
  }
  loop_thread.store(std::this_thread::get_id());
  return absl::OkStatus();
}

std::string UringFeatures::Describe() const {
  std::vector<std::string> parts;
  parts.push_back(waitid ? "waitid" : "waitid=no(pidfd poll)");
  parts.push_back(ext_arg ? "ext_arg" : "ext_arg=no");
  parts.push_back(nodrop ? "nodrop" : "nodrop=no");
  parts.push_back(defer_taskrun ? "defer_taskrun" : "defer_taskrun=no");
  return absl::StrJoin(parts, " ");
}

absl::StatusOr<std::unique_ptr<UringLoop>> UringLoop::Create(UringLoopOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->time = options.time ? options.time : &SystemTimeSource::Get();
  // SINGLE_ISSUER + DEFER_TASKRUN (6.1+): completions are processed when the
  // loop thread asks for them instead of interrupting it per completion,
  // which removes most context switches under load. The ring starts
  // disabled so the thread that first runs the loop becomes its only
  // submitter (loops are often created on one thread and run on another).
  io_uring_params params;
  std::memset(&params, 0, sizeof(params));
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
                 IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED;
  params.cq_entries = options.entries * 2;
  int ret = io_uring_queue_init_params(options.entries, &impl->ring, &params);
  if (ret == -EINVAL) {
    std::memset(&params, 0, sizeof(params));
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = options.entries * 2;
    ret = io_uring_queue_init_params(options.entries, &impl->ring, &params);
  } else if (ret >= 0) {
    impl->features.defer_taskrun = true;
  }
  if (ret < 0) {
    if (-ret == EPERM) {
      return absl::FailedPreconditionError(
          "failed to create io_uring: EPERM (is kernel.io_uring_disabled set, or a "
          "seccomp filter denying io_uring_setup?)");
    }
    if (-ret == ENOSYS) {
      return absl::FailedPreconditionError(
          "failed to create io_uring: the kernel has no io_uring (ENOSYS)");
    }
    return ErrnoStatus(-ret, "create io_uring");
  }
  impl->ring_ok = true;
  impl->features.ext_arg = params.features & IORING_FEAT_EXT_ARG;
  impl->features.nodrop = params.features & IORING_FEAT_NODROP;

  io_uring_probe* probe = io_uring_get_probe_ring(&impl->ring);
  if (probe == nullptr) {
    return absl::FailedPreconditionError(
        "io_uring has no IORING_REGISTER_PROBE (kernel older than 5.6)");
  }
  struct Required {
    int op;
    const char* name;
  };
  static constexpr Required kRequired[] = {
      {IORING_OP_ACCEPT, "IORING_OP_ACCEPT"},   {IORING_OP_RECV, "IORING_OP_RECV"},
      {IORING_OP_SEND, "IORING_OP_SEND"},       {IORING_OP_CONNECT, "IORING_OP_CONNECT"},
      {IORING_OP_POLL_ADD, "IORING_OP_POLL_ADD"}, {IORING_OP_ASYNC_CANCEL, "IORING_OP_ASYNC_CANCEL"},
      {IORING_OP_OPENAT, "IORING_OP_OPENAT"},   {IORING_OP_READ, "IORING_OP_READ"},
  };
  std::vector<std::string> missing;
  for (const Required& r : kRequired) {
    if (!io_uring_opcode_supported(probe, r.op)) {
      missing.push_back(r.name);
    }
  }
  impl->features.waitid = io_uring_opcode_supported(probe, kOpWaitid);
  io_uring_free_probe(probe);
  if (!impl->features.ext_arg) {
    missing.push_back("IORING_FEAT_EXT_ARG (timed waits, kernel 5.11)");
  }
  if (!impl->features.nodrop) {
    missing.push_back("IORING_FEAT_NODROP (kernel 5.5)");
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("this kernel's io_uring lacks what berth needs: ", absl::StrJoin(missing, ", ")));
  }

  impl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->wake_fd < 0) {
    return ErrnoStatus(errno, "create eventfd");
  }
  impl->ArmWake();
  return std::unique_ptr<UringLoop>(new UringLoop(std::move(impl)));
}

UringLoop::UringLoop(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UringLoop::~UringLoop() = default;

const UringFeatures& UringLoop::features() const { return impl_->features; }

void UringLoop::DisableFeatureForTest(std::string_view name) {
  if (name == "waitid") {
    impl_->features.waitid = false;
  }
}

size_t UringLoop::pending_ops() const { return impl_->ops.size(); }

const TimeSource& UringLoop::time() const { return *impl_->time; }

bool UringLoop::InLoopThread() const { return impl_->InLoopThread(); }

absl::Status UringLoop::Run() {
  RETURN_IF_ERROR(impl_->EnterLoopThread());
  impl_->stop.store(false);
  while (!impl_->stop.load(std::memory_order_acquire)) {
    RETURN_IF_ERROR(impl_->Iterate(std::nullopt));
  }
  return absl::OkStatus();
}

absl::Status UringLoop::RunOnce(absl::Duration timeout) {
  RETURN_IF_ERROR(impl_->EnterLoopThread());
  return impl_->Iterate(timeout);
}

void UringLoop::Stop() {
  impl_->stop.store(true, std::memory_order_release);
  if (!impl_->InLoopThread()) {
    impl_->Wake();
  }
}

void UringLoop::Post(absl::AnyInvocable<void()> fn) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(impl_->post_mu);
    impl_->posted.push_back(std::move(fn));
    if (!impl_->wake_pending && !impl_->InLoopThread()) {
      impl_->wake_pending = true;
      wake = true;
    }
  }
  if (wake) {
    impl_->Wake();
  }
}

void UringLoop::Impl::RunPosted() {
  {
    std::lock_guard<std::mutex> lock(post_mu);
    if (posted.empty()) {
      wake_pending = false;
      return;
    }
    running.swap(posted);
    wake_pending = false;
  }
  for (auto& fn : running) {
    fn();
  }
  running.clear();
}

absl::Status UringLoop::Impl::Iterate(std::optional<absl::Duration> max_wait) {
  bool have_posted;
  {
    std::lock_guard<std::mutex> lock(post_mu);
    have_posted = !posted.empty();
  }
  std::optional<absl::Duration> wait = max_wait;
  if (have_posted || stop.load(std::memory_order_relaxed)) {
    wait = absl::ZeroDuration();
  }
  if (std::optional<absl::Duration> next = timers.NextDeadline()) {
    absl::Duration until = std::max(*next - time->Monotonic(), absl::ZeroDuration());
    if (!wait || until < *wait) {
      wait = until;
    }
  }

  int ret;
  if (!wait) {
    ret = io_uring_submit_and_wait(&ring, 1);
  } else if (*wait <= absl::ZeroDuration()) {
    // With DEFER_TASKRUN completions are only posted when asked for.
    ret = io_uring_submit_and_get_events(&ring);
  } else {
    timespec ts = absl::ToTimespec(*wait);
    __kernel_timespec kts{ts.tv_sec, ts.tv_nsec};
    io_uring_cqe* unused;
    ret = io_uring_submit_and_wait_timeout(&ring, &unused, 1, &kts, nullptr);
  }
  if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
    return ErrnoStatus(-ret, "wait for io_uring completions");
  }

  // Copy the batch out before dispatching, so callbacks that submit or wait
  // never see a half-consumed CQ.
  reaped.clear();
  unsigned head;
  io_uring_cqe* cqe;
  unsigned count = 0;
  io_uring_for_each_cqe(&ring, head, cqe) {
    reaped.push_back({cqe->user_data, cqe->res});
    ++count;
  }
  io_uring_cq_advance(&ring, count);
  for (const Cqe& c : reaped) {
    Dispatch(c.user_data, c.res);
  }

  timers.RunExpired(time->Monotonic());
  RunPosted();
  return absl::OkStatus();
}

void UringLoop::Impl::Dispatch(uint64_t user_data, int32_t res) {
  if (user_data == kIgnoreUserData || user_data == LIBURING_UDATA_TIMEOUT) {
    return;
  }
  if (user_data == kWakeUserData) {
    ArmWake();
    return;
  }
  auto it = ops.find(user_data);
  if (it == ops.end()) {
    LOG(ERROR) << "io_uring completion for unknown op " << user_data << " res " << res;
    return;
  }
  // The op may start new ops (rehashing `ops`), so hold it by pointer.
  Op* op = it->second.get();
  if (op->Complete(res)) {
    ops.erase(user_data);
  }
}

TimerId UringLoop::AddTimer(absl::Duration delay, absl::AnyInvocable<void()> fn) {
  return impl_->timers.Add(impl_->time->Monotonic() + delay, std::move(fn));
}

bool UringLoop::CancelTimer(TimerId id) { return impl_->timers.Cancel(id); }

namespace {

struct CallbackOp final : Op {
  explicit CallbackOp(IoCallback cb) : cb(std::move(cb)) {}
  bool Complete(int32_t res) override {
    cb(res);
    return true;
  }
  IoCallback cb;
};

struct ConnectOp final : Op {
  ConnectOp(const sockaddr* a, socklen_t l, IoCallback cb) : len(l), cb(std::move(cb)) {
    std::memcpy(&addr, a, std::min<size_t>(l, sizeof(addr)));
  }
  bool Complete(int32_t res) override {
    cb(res);
    return true;
  }
  sockaddr_storage addr;
  socklen_t len;
  IoCallback cb;
};

ExitStatus FromSiginfo(const siginfo_t& info) {
  return ExitStatus{info.si_pid, info.si_code, info.si_status};
}

using ExitCallback = absl::AnyInvocable<void(absl::StatusOr<ExitStatus>)>;

// IORING_OP_WAITID on the pidfd: one completion when the child exits.
struct WaitidOp final : Op {
  explicit WaitidOp(ExitCallback cb) : cb(std::move(cb)) { std::memset(&info, 0, sizeof(info)); }
  bool Complete(int32_t res) override {
    if (res < 0) {
      cb(ErrnoStatus(-res, "wait for child through pidfd"));
    } else {
      cb(FromSiginfo(info));
    }
    return true;
  }
  siginfo_t info;
  ExitCallback cb;
};

// Kernels without IORING_OP_WAITID: a pidfd becomes readable when its process
// exits; then waitid(P_PIDFD, WNOHANG) reaps it.
struct PidfdPollOp final : Op {
  PidfdPollOp(UringLoop::Impl* impl, int pidfd, ExitCallback cb)
      : impl(impl), pidfd(pidfd), cb(std::move(cb)) {}
  bool Complete(int32_t res) override {
    if (res < 0) {
      cb(ErrnoStatus(-res, "poll pidfd"));
      return true;
    }
    siginfo_t info;
    std::memset(&info, 0, sizeof(info));
    if (waitid(static_cast<idtype_t>(P_PIDFD), pidfd, &info, WEXITED | WNOHANG) < 0) {
      cb(ErrnoStatus(errno, "wait for child through pidfd"));
      return true;
    }
    if (info.si_pid == 0) {
      Rearm();  // woken before the child was waitable
      return false;
    }
    cb(FromSiginfo(info));
    return true;
  }
  void Rearm() {
    io_uring_sqe* sqe = impl->GetSqe();
    io_uring_prep_poll_add(sqe, pidfd, POLLIN);
    io_uring_sqe_set_data64(sqe, id);
  }
  UringLoop::Impl* impl;
  int pidfd;
  uint64_t id = 0;
  ExitCallback cb;
};

// openat → read until EOF or the limit → close. The close is synchronous:
// closing a just-read procfs/cgroupfs file never blocks.
struct ReadFileOp final : Op {
  using Callback = absl::AnyInvocable<void(absl::StatusOr<std::string>)>;
  ReadFileOp(UringLoop::Impl* impl, std::string path, size_t max_bytes, Callback cb)
      : impl(impl), path(std::move(path)), max_bytes(max_bytes), cb(std::move(cb)) {}
  ~ReadFileOp() override {
    if (fd >= 0) {
      close(fd);
    }
  }
  bool Complete(int32_t res) override {
    if (res < 0) {
      cb(ErrnoStatus(-res, absl::StrCat(fd < 0 ? "open " : "read ", path)));
      return true;
    }
    if (fd < 0) {
      fd = res;
      data.resize(std::min<size_t>(max_bytes + 1, 4096));
      SubmitRead();
      return false;
    }
    len += res;
    if (len > max_bytes) {
      cb(absl::OutOfRangeError(
          absl::StrCat("failed to read ", path, ": larger than ", max_bytes, " bytes")));
      return true;
    }
    if (res == 0) {
      data.resize(len);
      cb(std::move(data));
      return true;
    }
    if (len == data.size()) {
      data.resize(std::min(data.size() * 2, max_bytes + 1));
    }
    SubmitRead();
    return false;
  }
  void SubmitRead() {
    io_uring_sqe* sqe = impl->GetSqe();
    io_uring_prep_read(sqe, fd, data.data() + len, data.size() - len, len);
    io_uring_sqe_set_data64(sqe, id);
  }
  UringLoop::Impl* impl;
  std::string path;
  size_t max_bytes;
  Callback cb;
  uint64_t id = 0;
  int fd = -1;
  size_t len = 0;
  std::string data;
};

}  // namespace

OpId UringLoop::Accept(int listen_fd, IoCallback cb) {
  return impl_->Start(std::make_unique<CallbackOp>(std::move(cb)), [&](io_uring_sqe* sqe) {
    io_uring_prep_accept(sqe, listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  });
}

OpId UringLoop::Recv(int fd, absl::Span<char> buf, IoCallback cb) {
  return impl_->Start(std::make_unique<CallbackOp>(std::move(cb)), [&](io_uring_sqe* sqe) {
    io_uring_prep_recv(sqe, fd, buf.data(), buf.size(), 0);
    // A recv is usually posted before the peer has sent anything (the next
    // request on a keep-alive connection): arm the poll first instead of
    // letting the kernel try, fail with EAGAIN and then arm it.
    sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
  });
}

OpId UringLoop::Send(int fd, absl::Span<const char> buf, IoCallback cb) {
  return impl_->Start(std::make_unique<CallbackOp>(std::move(cb)), [&](io_uring_sqe* sqe) {
    io_uring_prep_send(sqe, fd, buf.data(), buf.size(), MSG_NOSIGNAL);
  });
}

OpId UringLoop::Connect(int fd, const sockaddr* addr, socklen_t len, IoCallback cb) {
  auto op = std::make_unique<ConnectOp>(addr, len, std::move(cb));
  ConnectOp* raw = op.get();
  return impl_->Start(std::move(op), [&](io_uring_sqe* sqe) {
    io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&raw->addr), raw->len);
  });
}

OpId UringLoop::Poll(int fd, uint32_t poll_mask, IoCallback cb) {
  return impl_->Start(std::make_unique<CallbackOp>(std::move(cb)), [&](io_uring_sqe* sqe) {
    io_uring_prep_poll_add(sqe, fd, poll_mask);
  });
}

OpId UringLoop::WaitPidfd(int pidfd, ExitCallback cb) {
  if (impl_->features.waitid) {
    auto op = std::make_unique<WaitidOp>(std::move(cb));
    WaitidOp* raw = op.get();
    return impl_->Start(std::move(op), [&](io_uring_sqe* sqe) {
      // io_uring_prep_waitid() of liburing 2.5: id in fd, idtype in len,
      // options in file_index, the siginfo in addr2.
      io_uring_prep_rw(kOpWaitid, sqe, pidfd, nullptr, P_PIDFD, 0);
      sqe->file_index = WEXITED;
      sqe->addr2 = reinterpret_cast<uint64_t>(&raw->info);
    });
  }
  auto op = std::make_unique<PidfdPollOp>(impl_.get(), pidfd, std::move(cb));
  PidfdPollOp* raw = op.get();
  OpId id = impl_->Start(std::move(op),
                         [&](io_uring_sqe* sqe) { io_uring_prep_poll_add(sqe, pidfd, POLLIN); });
  raw->id = id;
  return id;
}

void UringLoop::ReadFile(int dirfd, std::string path, size_t max_bytes,
                         absl::AnyInvocable<void(absl::StatusOr<std::string>)> cb) {
  auto op = std::make_unique<ReadFileOp>(impl_.get(), std::move(path), max_bytes, std::move(cb));
  ReadFileOp* raw = op.get();
  raw->id = impl_->Start(std::move(op), [&](io_uring_sqe* sqe) {
    io_uring_prep_openat(sqe, dirfd, raw->path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  });
}

void UringLoop::Cancel(OpId id) {
  if (!impl_->ops.contains(id)) {
    return;
  }
  io_uring_sqe* sqe = impl_->GetSqe();
  io_uring_prep_cancel64(sqe, id, 0);
  io_uring_sqe_set_data64(sqe, kIgnoreUserData);
}

}  // namespace berth::io
