// HelperUnpacker with the berth-unpack just built (BERTH_UNPACK_PATH): what
// crosses the process boundary (the status code, the message naming the entry,
// the errno, the stats), what the helper inherits (fds 0-3, no environment,
// no blocked or ignored signals), and the failures of the helper itself.

#include "agent/images/helper_unpacker.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "agent/images/fs_util.h"
#include "gtest/gtest.h"
#include "io/status.h"
#include "tests/unit/agent/images/test_tar.h"
#include "tests/unit/agent/images/unpack_fixture.h"

namespace berth::images {
namespace {

namespace fs = std::filesystem;
namespace tar = testing;  // the layer tars of test_tar.h

class HelperUnpackerTest : public testing::UnpackFixture {
 protected:
  absl::Status Unpack(const std::string& path, const std::string& tar,
                      UnpackStats* stats = nullptr) {
    return UnpackWith(tar, [&](int blob_fd, int dir_fd) {
      return HelperUnpacker(path).Unpack(blob_fd, dir_fd, stats);
    });
  }
  absl::Status Unpack(const std::string& tar, UnpackStats* stats = nullptr) {
    return Unpack(BERTH_UNPACK_PATH, tar, stats);
  }

  // A stand-in for berth-unpack: a shell script.
  std::string Script(const std::string& name, const std::string& body) {
    fs::path p = base_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    chmod(p.c_str(), 0755);
    return p.string();
  }
};

TEST_F(HelperUnpackerTest, UnpacksALayerAndReportsItsStats) {
  UnpackStats stats;
  absl::Status s = Unpack(
      tar::MakeTar({tar::Dir("etc"), tar::File("etc/os", "berth"), tar::Symlink("os", "etc/os"),
                    tar::HardLink("etc/os2", "etc/os"), tar::File(".wh.gone", "")},
                   tar::Compression::kZstd),
      &stats);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read(layer() / "etc/os"), "berth");
  EXPECT_EQ(fs::read_symlink(layer() / "os"), "etc/os");
  EXPECT_EQ(fs::hard_link_count(layer() / "etc/os"), 2u);
  EXPECT_EQ(stats.entries, 5u);
  EXPECT_EQ(stats.bytes, 5u);
  EXPECT_EQ(stats.whiteouts, 1u);
}

TEST_F(HelperUnpackerTest, AHostileEntryIsInvalidArgumentNamingIt) {
  absl::Status s = Unpack(tar::MakeTar({tar::File("ok", "fine"), tar::File("../x", "escaped")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "refused layer entry \"../x\": path contains '..'");

  s = Unpack(tar::MakeTar({tar::Symlink("a", "/"), tar::File("a/etc/passwd", "pwned")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "refused layer entry \"a/etc/passwd\": its path leads outside the layer through a "
            "symlink");

  s = Unpack(tar::MakeTar(
      {tar::Symlink("o", (base_ / "outside").string()), tar::File("o/pwned", "escaped")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"o/pwned\""), absl::string_view::npos) << s;
  ExpectOutsideUntouched();
}

TEST_F(HelperUnpackerTest, ATruncatedOrGarbageBlobFails) {
  std::string gzip =
      tar::MakeTar({tar::File("big", std::string(100000, 'x'))}, tar::Compression::kGzip);
  absl::Status s = Unpack(gzip.substr(0, gzip.size() / 2));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("truncated gzip input"), absl::string_view::npos) << s;
  s = Unpack("this is not a tar file at all, not even close........");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST_F(HelperUnpackerTest, TheErrnoCrossesTheProcessBoundary) {
  absl::Status s = Unpack(tar::MakeTar({tar::HardLink("h", "nowhere")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(ErrnoOf(s), ENOENT) << s;
}

TEST_F(HelperUnpackerTest, AMissingOrNonExecutableHelperNamesThePath) {
  std::string missing = (base_ / "no-such-berth-unpack").string();
  absl::Status s = Unpack(missing, tar::MakeTar({tar::File("f", "x")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "failed to run berth-unpack " + missing + ": No such file or directory [ENOENT]");
  EXPECT_EQ(ErrnoOf(s), ENOENT);

  std::string plain = Script("not-executable", "exit 0\n");
  chmod(plain.c_str(), 0644);
  s = Unpack(plain, tar::MakeTar({tar::File("f", "x")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("failed to run berth-unpack " + plain + ": "), absl::string_view::npos)
      << s;
  EXPECT_EQ(ErrnoOf(s), EACCES);

  s = Unpack("", tar::MakeTar({tar::File("f", "x")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(HelperUnpackerTest, AHelperKilledByASignalIsAnInternalError) {
  std::string killed = Script("killed", "echo half > /proc/self/fd/3/half\nkill -9 $$\n");
  absl::Status s = Unpack(killed, tar::MakeTar({tar::File("f", "x")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message().substr(0, 13 + killed.size()), "berth-unpack " + killed) << s;
  EXPECT_NE(s.message().find(") was killed by SIGKILL"), absl::string_view::npos) << s;
}

TEST_F(HelperUnpackerTest, AHelperWithoutAUsableReportIsAnInternalError) {
  struct Case {
    std::string body;
    std::string want;
  };
  for (const Case& c : {
           Case{"exit 0\n", "exited with status 0 without a report"},
           Case{"exit 7\n", "exited with status 7 without a report"},
           Case{"echo hello; exit 1\n", "exited with status 1: invalid unpack report: "},
           Case{"printf 'berth-unpack/1 0 0 0 0 0 0 0\\n'; exit 1\n",
                "exited with status 1 but reported OK"},
           Case{"printf 'berth-unpack/1 3 0 0 0 0 0 0\\nno'; exit 0\n",
                "exited with status 0 but reported INVALID_ARGUMENT: no"},
           Case{"head -c 100000 /dev/zero; exit 1\n",
                "exited with status 1: failed to read berth-unpack's report: larger than"},
       }) {
    SCOPED_TRACE(c.body);
    absl::Status s = Unpack(Script("fake", c.body), tar::MakeTar({tar::File("f", "x")}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
    EXPECT_NE(s.message().find(c.want), absl::string_view::npos) << s;
  }
}

TEST_F(HelperUnpackerTest, TheHelperGetsFds0To3NoEnvironmentAndDefaultSignals) {
  // Leaks the child must not see: an fd without O_CLOEXEC (at 9: below the
  // 10 and up where shells keep their own), a variable, a blocked and an
  // ignored signal (the agent blocks SIGTERM and ignores SIGPIPE).
  ASSERT_EQ(fcntl(9, F_GETFD), -1) << "fd 9 is taken";
  Fd leak(open("/dev/null", O_RDONLY));
  ASSERT_TRUE(leak.valid());
  ASSERT_EQ(dup2(leak.get(), 9), 9);
  Fd leak9(9);
  setenv("BERTH_HELPER_TEST_SECRET", "x", 1);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigset_t old;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_pipe;
  ASSERT_EQ(sigaction(SIGPIPE, &ignore, &old_pipe), 0);

  // The shell's signal state first, with builtins only: once it runs a
  // command, it blocks signals around each fork.
  std::string spy = Script("spy",
                           "while read -r key value; do\n"
                           "  case $key in SigBlk:|SigIgn:) echo \"$key $value\";; esac\n"
                           "done < /proc/$$/status > /proc/self/fd/3/signals\n"
                           "ls -l /proc/$$/fd > /proc/self/fd/3/fds\n"
                           "env > /proc/self/fd/3/env\n"
                           "cat > /proc/self/fd/3/blob\n"
                           "echo \"$@\" > /proc/self/fd/3/args\n"
                           "printf 'berth-unpack/1 0 0 1 2 3 4 5\\n'\n");
  UnpackStats stats;
  absl::Status s = Unpack(spy, "the blob", &stats);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  unsetenv("BERTH_HELPER_TEST_SECRET");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.dropped_xattrs, 5u);
  // The shell's fds below 10 ("N -> target"; its own, the script and saved
  // copies, are at 10 and up; fd 1 is the listing itself).
  std::map<int, std::string> fds;
  std::istringstream listing(Read(layer() / "fds"));
  for (std::string line; std::getline(listing, line);) {
    size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) {
      continue;
    }
    size_t space = line.rfind(' ', arrow - 1);
    int fd = std::stoi(line.substr(space + 1, arrow - space - 1));
    if (fd < 10) {
      fds[fd] = line.substr(arrow + 4);
    }
  }
  ASSERT_EQ(fds.size(), 4u) << Read(layer() / "fds");
  EXPECT_EQ(fds[0], (base_ / "blob").string());
  EXPECT_TRUE(fds.contains(1) && fds.contains(2));
  EXPECT_EQ(fds[3], layer().string());
  EXPECT_EQ(Read(layer() / "env").find("BERTH_HELPER_TEST_SECRET"), std::string::npos);
  // Signals 1-31 (glibc's posix_spawn ignores its own 32 and 33 in the child).
  std::string signals = Read(layer() / "signals");
  ASSERT_EQ(signals.size(), 50u) << signals;
  EXPECT_EQ(signals.substr(0, 25), "SigBlk: 0000000000000000\n") << signals;
  EXPECT_EQ(signals.substr(25, 8), "SigIgn: ") << signals;
  EXPECT_EQ(std::stoull(signals.substr(33, 16), nullptr, 16) & 0x7fffffff, 0u) << signals;
  EXPECT_EQ(Read(layer() / "blob"), "the blob");
  EXPECT_EQ(Read(layer() / "args"), "--parent-pid " + std::to_string(getpid()) + "\n");
}

// berth-unpack run by hand: its checks of the invocation, exit status 2.
int RunHelper(const std::string& args, std::string* out) {
  FILE* p = popen((std::string(BERTH_UNPACK_PATH) + " " + args).c_str(), "r");
  if (p == nullptr) {
    return -1;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    out->append(buf, n);
  }
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(HelperUnpackerTest, BerthUnpackRefusesAWrongInvocation) {
  std::string blob = (base_ / "blob").string();
  std::ofstream(blob) << tar::MakeTar({tar::File("f", "x")});
  struct Case {
    std::string args;
    std::string want;
  };
  for (const Case& c : {
           Case{"extra", "usage: berth-unpack"},
           Case{"--parent-pid x", "bad --parent-pid x"},
           // Its parent is popen's shell, not pid 1.
           Case{"--parent-pid 1 <" + blob + " 3<" + layer().string(),
                "failed to start: the parent, pid 1, is gone"},
           Case{"</dev/null 3<" + layer().string(),
                "failed to find the layer blob (a regular file) at fd 0"},
           Case{"<" + blob + " 3<" + blob, "failed to find the destination directory at fd 3"},
           Case{"<" + blob + " 3<&-", "failed to find the destination directory at fd 3"},
       }) {
    SCOPED_TRACE(c.args);
    std::string out;
    EXPECT_EQ(RunHelper(c.args + " 2>/dev/null", &out), 2);
    absl::StatusOr<UnpackReport> r = ParseUnpackReport(out);
    ASSERT_TRUE(r.ok()) << r.status() << ": " << out;
    EXPECT_NE(r->status.message().find(c.want), absl::string_view::npos) << r->status;
  }
  // By hand, as the agent would.
  std::string out;
  EXPECT_EQ(RunHelper("<" + blob + " 3<" + layer().string(), &out), 0);
  EXPECT_EQ(out, "berth-unpack/1 0 0 1 1 0 0 0\n");
  EXPECT_EQ(Read(layer() / "f"), "x");
}

}  // namespace
}  // namespace berth::images
