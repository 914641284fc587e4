// initProcessEnabled: berth-init is PID 1, reaps orphans, forwards signals
// and exits as its child did.

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/runtime/launch.h"
#include "agent/runtime/reattach.h"
#include "gtest/gtest.h"
#include "tests/kernel/agent/runtime/fixture.h"

namespace berth::agent::runtime::testing {
namespace {

class InitTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    struct stat st;
    if (stat(init_path_.c_str(), &st) != 0) {
      GTEST_SKIP() << "berth-init not built at '" << init_path_ << "'";
    }
  }
};

TEST_F(InitTest, InitIsPid1AndReapsOrphans) {
  // The subshell's child is orphaned to PID 1; once it has exited it stays a
  // zombie unless PID 1 reaps it.
  LaunchSpec spec = Spec(
      {"sh", "-c",
       "tr '\\0' ' ' < /proc/1/cmdline; echo; "
       "( (touch /tmp/orphan-done) & ); "
       "while [ ! -f /tmp/orphan-done ]; do sleep 0.01; done; "
       "for i in $(seq 200); do ps -o stat | grep -q Z || break; sleep 0.05; done; "
       "ps -o stat | grep -q Z && echo zombie left; echo $$; exit 4"});
  spec.init = true;
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.out, "/dev/init -- sh -c " + spec.argv[2] + " \n2\n") << o.err;
  EXPECT_EQ(o.si_code, CLD_EXITED);
  EXPECT_EQ(o.status, 4);
}

TEST_F(InitTest, SignalsAreForwardedAndTheExitIsTinis) {
  // Without init a PID 1 with no TERM handler would ignore SIGTERM; with it,
  // the signal reaches the command, and init exits 128 + 15 as tini does.
  LaunchSpec spec = Spec({"sh", "-c", "echo ready; exec sleep 1000"});
  spec.init = true;
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(ReadUntil(launched->stdout_fd.get(), "ready\n"), "ready\n");
  ASSERT_TRUE(Signal(launched->container, SIGTERM).ok());
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.si_code, CLD_EXITED);
  EXPECT_EQ(o.status, 143);
}

TEST_F(InitTest, MissingCommandIsReportedBeforeInitStarts) {
  LaunchSpec spec = Spec({"nope"});
  spec.init = true;
  auto launched = Launch(spec);
  EXPECT_EQ(launched.status().message(), "failed to exec nope: No such file or directory [ENOENT]");
}

}  // namespace
}  // namespace berth::agent::runtime::testing
