#ifndef BERTH_TESTS_KERNEL_AGENT_RUNTIME_FIXTURE_H_
#define BERTH_TESTS_KERNEL_AGENT_RUNTIME_FIXTURE_H_

// A busybox root filesystem in a temp dir, a cgroup under
// /sys/fs/cgroup/unified made with plain mkdir, and helpers to run a
// container to its end. Everything made is removed in TearDown.

#include <string>
#include <vector>

#include "agent/runtime/launch.h"
#include "gtest/gtest.h"

namespace berth::agent::runtime::testing {

// How a container (its shim) ended, and what it wrote.
struct Outcome {
  int si_code = 0;
  int status = 0;
  std::string out;
  std::string err;
};

class RuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // A spec for the busybox image with a fresh state dir, container dir and
  // cgroup.
  LaunchSpec Spec(std::vector<std::string> argv);
  // Reads both pipes to EOF, then reaps the shim.
  static Outcome Finish(Launched& launched);
  // Reads from `fd` until `text` has arrived (or EOF).
  static std::string ReadUntil(int fd, const std::string& text);

  static std::string root_;   // the temp dir
  static std::string layer_;  // the busybox image
  static std::string init_path_;
  static std::string shim_path_;
  std::string cgroup_;  // this test's container cgroup (absolute path)
  int cgroup_fd_ = -1;
  std::string state_dir_;
  std::string container_dir_;
  static int counter_;
};

// Mount points under `prefix` in /proc/self/mountinfo (to prove none leak).
int CountMountsUnder(const std::string& prefix);

}  // namespace berth::agent::runtime::testing

#endif  // BERTH_TESTS_KERNEL_AGENT_RUNTIME_FIXTURE_H_
