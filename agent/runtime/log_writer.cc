#include "agent/runtime/log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/runtime/json_log.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::agent::runtime {

struct LogWriter::State {
  struct Stream {
    const char* name = "";
    io::UniqueFd fd;
    LineSplitter splitter;
    io::OpId op = 0;  // pending poll, 0 when none
    bool done = false;
  };

  io::EventLoop* loop = nullptr;
  std::string path;
  io::UniqueFd file;
  Stream streams[2];
  bool stopped = false;
  bool write_failed = false;
  absl::AnyInvocable<void()> done;

  void Arm(std::shared_ptr<State> self, int i);
  void OnReadable(int i, int32_t result);
  void Write(const char* stream, std::vector<std::string>& entries);
  void MaybeDone();
};

void LogWriter::State::Arm(std::shared_ptr<State> self, int i) {
  Stream& s = streams[i];
  s.op = loop->Poll(s.fd.get(), POLLIN, [self, i](int32_t result) {
    self->streams[i].op = 0;
    if (self->stopped) {
      return;
    }
    self->OnReadable(i, result);
    if (!self->streams[i].done) {
      self->Arm(self, i);
    } else {
      self->MaybeDone();
    }
  });
}

void LogWriter::State::OnReadable(int i, int32_t result) {
  Stream& s = streams[i];
  std::vector<std::string> entries;
  if (result < 0) {
    LOG(WARNING) << "failed to poll the container's " << s.name << " for " << path << ": "
                 << ErrnoStatus(-result, "poll").message();
    s.done = true;
  }
  // Drain what is there, at most 256 KiB per wakeup so one chatty
  // container cannot hold the loop.
  char buf[16384];
  for (size_t total = 0; !s.done && total < (256u << 10);) {
    ssize_t n = read(s.fd.get(), buf, sizeof(buf));
    if (n > 0) {
      s.splitter.Feed(std::string_view(buf, static_cast<size_t>(n)), entries);
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      break;
    }
    if (n < 0) {
      LOG(WARNING) << ErrnoStatus(errno, absl::StrCat("read the container's ", s.name)).message();
    }
    s.done = true;  // EOF
  }
  if (s.done) {
    s.splitter.Finish(entries);
    s.fd.Reset();
  }
  Write(s.name, entries);
}

void LogWriter::State::Write(const char* stream, std::vector<std::string>& entries) {
  if (entries.empty()) {
    return;
  }
  absl::Time now = loop->time().Now();
  std::string out;
  for (const std::string& e : entries) {
    AppendJsonLogLine(out, e, stream, now);
  }
  std::string_view rest = out;
  while (!rest.empty()) {
    ssize_t n = write(file.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (!write_failed) {
        LOG(WARNING) << ErrnoStatus(n < 0 ? errno : EIO, absl::StrCat("write log ", path)).message()
                     << " (lines are dropped until it works again)";
      }
      write_failed = true;
      return;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  write_failed = false;
}

void LogWriter::State::MaybeDone() {
  if (streams[0].done && streams[1].done && done) {
    auto fn = std::move(done);
    done = nullptr;
    fn();
  }
}

absl::StatusOr<std::unique_ptr<LogWriter>> LogWriter::Start(io::EventLoop& loop, std::string path,
                                                            io::UniqueFd stdout_fd,
                                                            io::UniqueFd stderr_fd,
                                                            absl::AnyInvocable<void()> done) {
  auto state = std::make_shared<State>();
  state->loop = &loop;
  state->file.Reset(open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!state->file.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open log ", path));
  }
  state->path = std::move(path);
  state->done = std::move(done);
  state->streams[0].name = "stdout";
  state->streams[0].fd = std::move(stdout_fd);
  state->streams[1].name = "stderr";
  state->streams[1].fd = std::move(stderr_fd);
  for (int i = 0; i < 2; ++i) {
    if (!state->streams[i].fd.valid()) {
      state->streams[i].done = true;
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (!state->streams[i].done) {
      state->Arm(state, i);
    }
  }
  if (state->streams[0].done && state->streams[1].done) {
    loop.Post([state] { state->MaybeDone(); });
  }
  return std::unique_ptr<LogWriter>(new LogWriter(state));
}

LogWriter::~LogWriter() {
  state_->stopped = true;
  state_->done = nullptr;
  for (State::Stream& s : state_->streams) {
    if (s.op != 0) {
      state_->loop->Cancel(s.op);  // the callback still runs, and only returns
    }
  }
  // The fds close when the last pending callback lets go of the state.
}

}  // namespace berth::agent::runtime
