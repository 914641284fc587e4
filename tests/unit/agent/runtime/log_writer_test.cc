#include "agent/runtime/log_writer.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"

namespace berth::agent::runtime {
namespace {

using io::FakeLoop;

struct Pipe {
  io::UniqueFd r, w;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    r.Reset(fds[0]);
    w.Reset(fds[1]);
  }
  void Write(std::string_view s) { ASSERT_EQ(write(w.get(), s.data(), s.size()), static_cast<ssize_t>(s.size())); }
};

class LogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-logwriter-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/container-json.log";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string Contents() {
    std::ifstream f(path_);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  // Completes the pending poll on `fd` as readable (or hung up).
  bool Fire(int fd, int32_t mask = POLLIN) {
    auto op = loop_.FindPending(FakeLoop::Kind::kPoll, fd);
    if (!op.has_value()) {
      return false;
    }
    loop_.Complete(op->id, mask);
    return true;
  }

  FakeLoop loop_{absl::FromUnixNanos(1763722093500000000)};
  std::string dir_;
  std::string path_;
};

TEST_F(LogWriterTest, WritesLinesOfBothStreamsAndEndsAtEof) {
  Pipe out, err;
  int out_fd = out.r.get(), err_fd = err.r.get();
  bool done = false;
  auto writer = LogWriter::Start(loop_, path_, std::move(out.r), std::move(err.r), [&] { done = true; });
  ASSERT_TRUE(writer.ok()) << writer.status();

  out.Write("hello\nwor");
  ASSERT_TRUE(Fire(out_fd));
  err.Write("bad\n");
  ASSERT_TRUE(Fire(err_fd));
  out.Write("ld\n");
  ASSERT_TRUE(Fire(out_fd));
  EXPECT_EQ(Contents(),
            "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2025-11-21T10:48:13.5Z\"}\n"
            "{\"log\":\"bad\\n\",\"stream\":\"stderr\",\"time\":\"2025-11-21T10:48:13.5Z\"}\n"
            "{\"log\":\"world\\n\",\"stream\":\"stdout\",\"time\":\"2025-11-21T10:48:13.5Z\"}\n");

  // A partial line at EOF is kept; done runs once both streams ended.
  out.Write("tail");
  out.w.Reset();
  ASSERT_TRUE(Fire(out_fd, POLLIN | POLLHUP));
  EXPECT_FALSE(Fire(out_fd)) << "polled again after EOF";
  EXPECT_FALSE(done);
  err.w.Reset();
  ASSERT_TRUE(Fire(err_fd, POLLHUP));
  EXPECT_TRUE(done);
  EXPECT_THAT(Contents(), ::testing::EndsWith(
                              "{\"log\":\"tail\",\"stream\":\"stdout\",\"time\":\"2025-11-21T10:48:13.5Z\"}\n"));
}

TEST_F(LogWriterTest, SpuriousWakeupWritesNothingAndPollsAgain) {
  Pipe out;
  int out_fd = out.r.get();
  auto writer = LogWriter::Start(loop_, path_, std::move(out.r), io::UniqueFd(), [] {});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(Fire(out_fd));  // nothing to read: EAGAIN
  EXPECT_EQ(Contents(), "");
  EXPECT_TRUE(loop_.FindPending(FakeLoop::Kind::kPoll, out_fd).has_value());
}

TEST_F(LogWriterTest, DestroyingCancelsAndNeverCallsDone) {
  Pipe out;
  int out_fd = out.r.get();
  bool done = false;
  auto writer = LogWriter::Start(loop_, path_, std::move(out.r), io::UniqueFd(), [&] { done = true; });
  ASSERT_TRUE(writer.ok());
  writer->reset();
  loop_.RunUntilIdle();
  EXPECT_FALSE(loop_.FindPending(FakeLoop::Kind::kPoll, out_fd).has_value());
  EXPECT_FALSE(done);
}

TEST_F(LogWriterTest, UnwritableLogPathIsAnError) {
  Pipe out;
  auto writer = LogWriter::Start(loop_, dir_ + "/no/such/dir/log", std::move(out.r), io::UniqueFd(), [] {});
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth::agent::runtime
