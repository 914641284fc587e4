// The runtime as the agent uses it: on the io_uring loop, WaitPidfd on the
// shim's pidfd gives the container's own exit status, and LogWriter copies
// its output into a json-file log.

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "agent/runtime/launch.h"
#include "agent/runtime/log_writer.h"
#include "agent/runtime/reattach.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/uring_loop.h"
#include "tests/kernel/agent/runtime/fixture.h"

namespace berth::agent::runtime::testing {
namespace {

using ::testing::MatchesRegex;

class LoopTest : public RuntimeTest {};

TEST_F(LoopTest, WaitPidfdOnTheShimGivesTheContainersStatusAndLogsAreWritten) {
  auto loop = io::UringLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  struct Case {
    std::vector<std::string> argv;
    int si_code;
    int status;
  };
  const Case cases[] = {
      {{"sh", "-c", "echo out; echo err >&2; printf partial; exit 3"}, CLD_EXITED, 3},
      // PID 1 of a PID namespace does not get signals it has no handler for
      // from inside the namespace (as in Docker without --init).
      {{"sh", "-c", "echo bye; kill -USR1 $$; kill -SEGV $$; kill -9 $$; exit 9"}, CLD_EXITED, 9},
      {{"sh", "-c", "trap - TERM; echo up; exec sleep 1000"}, CLD_KILLED, SIGKILL},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string log = root_ + "/log-" + std::to_string(counter_) + "-" + std::to_string(n++);
    auto launched = Launch(Spec(c.argv));
    ASSERT_TRUE(launched.ok()) << launched.status();
    bool logs_done = false;
    std::optional<absl::StatusOr<io::ExitStatus>> exit;
    auto writer = LogWriter::Start(**loop, log, std::move(launched->stdout_fd),
                                   std::move(launched->stderr_fd), [&] { logs_done = true; });
    ASSERT_TRUE(writer.ok()) << writer.status();
    (*loop)->WaitPidfd(launched->shim_pidfd.get(),
                       [&](absl::StatusOr<io::ExitStatus> s) { exit = std::move(s); });
    if (c.si_code == CLD_KILLED) {
      ASSERT_TRUE(Signal(launched->container, SIGKILL).ok());
    }
    for (int i = 0; i < 2000 && (!exit.has_value() || !logs_done); ++i) {
      ASSERT_TRUE((*loop)->RunOnce(absl::Milliseconds(10)).ok());
    }
    ASSERT_TRUE(exit.has_value() && logs_done) << "the container did not end";
    ASSERT_TRUE(exit->ok()) << exit->status();
    EXPECT_EQ((*exit)->si_code, c.si_code);
    EXPECT_EQ((*exit)->status, c.status);
    if (n == 1) {
      std::ifstream f(log);
      std::stringstream s;
      s << f.rdbuf();
      std::string t = "\"time\":\"[0-9T:.-]+Z\"\\}\n";
      // stdout and stderr interleave in any order between the two pipes.
      std::string text = s.str();
      EXPECT_THAT(text, ::testing::HasSubstr("{\"log\":\"out\\n\",\"stream\":\"stdout\","));
      EXPECT_THAT(text, ::testing::HasSubstr("{\"log\":\"err\\n\",\"stream\":\"stderr\","));
      EXPECT_THAT(text, ::testing::HasSubstr("{\"log\":\"partial\",\"stream\":\"stdout\","));
      EXPECT_THAT(text, MatchesRegex("(\\{\"log\":\"[a-z\\\\]+\",\"stream\":\"std(out|err)\"," + t +
                                     "){3}"));
    }
  }
}

}  // namespace
}  // namespace berth::agent::runtime::testing
