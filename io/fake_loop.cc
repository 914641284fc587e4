#include "io/fake_loop.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::io {

FakeLoop::FakeLoop(absl::Time start) : clock_(start) {}

absl::Status FakeLoop::Run() {
  stop_ = false;
  while (!stop_) {
    RunUntilIdle();
    if (stop_) {
      break;
    }
    std::optional<absl::Duration> next = timers_.NextDeadline();
    if (!next) {
      return absl::FailedPreconditionError(
          absl::StrCat("fake loop is idle with ", ops_.size(),
                       " pending operations and no timers: nothing can happen"));
    }
    clock_.Advance(std::max(*next - clock_.Monotonic(), absl::ZeroDuration()));
  }
  return absl::OkStatus();
}

absl::Status FakeLoop::RunOnce(absl::Duration timeout) {
  RunUntilIdle();
  std::optional<absl::Duration> next = timers_.NextDeadline();
  if (next && *next - clock_.Monotonic() <= timeout) {
    clock_.Advance(std::max(*next - clock_.Monotonic(), absl::ZeroDuration()));
  } else if (timeout > absl::ZeroDuration() && timeout != absl::InfiniteDuration()) {
    clock_.Advance(timeout);
  }
  RunUntilIdle();
  return absl::OkStatus();
}

void FakeLoop::Stop() { stop_ = true; }

void FakeLoop::Post(absl::AnyInvocable<void()> fn) {
  std::lock_guard<std::mutex> lock(post_mu_);
  posted_.push_back(std::move(fn));
}

void FakeLoop::RunPosted() {
  while (true) {
    std::vector<absl::AnyInvocable<void()>> batch;
    {
      std::lock_guard<std::mutex> lock(post_mu_);
      batch.swap(posted_);
    }
    if (batch.empty()) {
      return;
    }
    for (auto& fn : batch) {
      fn();
    }
  }
}

void FakeLoop::RunUntilIdle() {
  while (true) {
    RunPosted();
    if (timers_.RunExpired(clock_.Monotonic()) == 0) {
      std::lock_guard<std::mutex> lock(post_mu_);
      if (posted_.empty()) {
        return;
      }
    }
  }
}

void FakeLoop::AdvanceTime(absl::Duration d) {
  const absl::Duration end = clock_.Monotonic() + d;
  RunUntilIdle();
  while (true) {
    std::optional<absl::Duration> next = timers_.NextDeadline();
    if (!next || *next > end) {
      break;
    }
    clock_.Advance(std::max(*next - clock_.Monotonic(), absl::ZeroDuration()));
    RunUntilIdle();
  }
  clock_.Advance(end - clock_.Monotonic());
  RunUntilIdle();
}

TimerId FakeLoop::AddTimer(absl::Duration delay, absl::AnyInvocable<void()> fn) {
  // The fake clock counts whole nanoseconds: a deadline between two of them
  // would never be reached (AdvanceTime would spin on it).
  return timers_.Add(clock_.Monotonic() + absl::Ceil(delay, absl::Nanoseconds(1)), std::move(fn));
}

bool FakeLoop::CancelTimer(TimerId id) { return timers_.Cancel(id); }

OpId FakeLoop::AddOp(PendingOp info, IoCallback cb) {
  info.id = next_id_++;
  OpId id = info.id;
  ops_.emplace(id, Op{info, std::move(cb), nullptr});
  return id;
}

OpId FakeLoop::Accept(int listen_fd, IoCallback cb) {
  return AddOp({0, Kind::kAccept, listen_fd, {}, {}}, std::move(cb));
}

OpId FakeLoop::Recv(int fd, absl::Span<char> buf, IoCallback cb) {
  return AddOp({0, Kind::kRecv, fd, buf, {}}, std::move(cb));
}

OpId FakeLoop::Send(int fd, absl::Span<const char> buf, IoCallback cb) {
  return AddOp({0, Kind::kSend, fd, {}, buf}, std::move(cb));
}

OpId FakeLoop::Connect(int fd, const sockaddr*, socklen_t, IoCallback cb) {
  return AddOp({0, Kind::kConnect, fd, {}, {}}, std::move(cb));
}

OpId FakeLoop::Poll(int fd, uint32_t poll_mask, IoCallback cb) {
  PendingOp info{0, Kind::kPoll, fd, {}, {}};
  info.poll_mask = poll_mask;
  return AddOp(info, std::move(cb));
}

OpId FakeLoop::WaitPidfd(int pidfd, absl::AnyInvocable<void(absl::StatusOr<ExitStatus>)> cb) {
  OpId id = AddOp({0, Kind::kWaitPidfd, pidfd, {}, {}}, nullptr);
  ops_.at(id).exit_cb = std::move(cb);
  return id;
}

void FakeLoop::ReadFile(int, std::string path, size_t max_bytes,
                        absl::AnyInvocable<void(absl::StatusOr<std::string>)> cb) {
  absl::StatusOr<std::string> result;
  auto it = files_.find(path);
  if (it == files_.end()) {
    result = ErrnoStatus(ENOENT, absl::StrCat("open ", path));
  } else if (it->second.size() > max_bytes) {
    result = absl::OutOfRangeError(
        absl::StrCat("failed to read ", path, ": larger than ", max_bytes, " bytes"));
  } else {
    result = it->second;
  }
  Post([cb = std::move(cb), result = std::move(result)]() mutable { cb(std::move(result)); });
}

void FakeLoop::Cancel(OpId id) {
  if (ops_.contains(id)) {
    Post([this, id] {
      if (ops_.contains(id)) {
        Complete(id, -ECANCELED);
      }
    });
  }
}

std::vector<FakeLoop::PendingOp> FakeLoop::pending() const {
  std::vector<PendingOp> out;
  for (const auto& [id, op] : ops_) {
    out.push_back(op.info);
  }
  return out;
}

std::optional<FakeLoop::PendingOp> FakeLoop::FindPending(Kind kind, int fd) const {
  for (const auto& [id, op] : ops_) {
    if (op.info.kind == kind && op.info.fd == fd) {
      return op.info;
    }
  }
  return std::nullopt;
}

void FakeLoop::Complete(OpId id, int32_t result) {
  auto it = ops_.find(id);
  CHECK(it != ops_.end()) << "no pending fake op " << id;
  Op op = std::move(it->second);
  ops_.erase(it);
  if (op.exit_cb) {
    op.exit_cb(ErrnoStatus(-result, "wait for child through pidfd"));
  } else {
    op.cb(result);
  }
  RunUntilIdle();
}

size_t FakeLoop::CompleteRecv(OpId id, std::string_view data) {
  auto it = ops_.find(id);
  CHECK(it != ops_.end() && it->second.info.kind == Kind::kRecv) << "no pending recv " << id;
  absl::Span<char> buf = it->second.info.recv_buf;
  size_t n = std::min(buf.size(), data.size());
  std::memcpy(buf.data(), data.data(), n);
  Complete(id, static_cast<int32_t>(n));
  return n;
}

std::string FakeLoop::CompleteSend(OpId id) {
  auto it = ops_.find(id);
  CHECK(it != ops_.end() && it->second.info.kind == Kind::kSend) << "no pending send " << id;
  absl::Span<const char> buf = it->second.info.send_buf;
  std::string sent(buf.data(), buf.size());
  Complete(id, static_cast<int32_t>(sent.size()));
  return sent;
}

void FakeLoop::CompleteWait(OpId id, ExitStatus status) {
  auto it = ops_.find(id);
  CHECK(it != ops_.end() && it->second.exit_cb) << "no pending pidfd wait " << id;
  Op op = std::move(it->second);
  ops_.erase(it);
  op.exit_cb(status);
  RunUntilIdle();
}

void FakeLoop::SetFile(std::string path, std::string contents) {
  files_[std::move(path)] = std::move(contents);
}

}  // namespace berth::io
