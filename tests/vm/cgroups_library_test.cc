// The cgroups/ library against a kernel with every cgroup v2 controller:
// berth's layout and the ECS limits it writes (limits.h) are enforced.
// Meant to run inside the VM (tests/vm/run-in-vm.sh); on a host whose
// cgroup2 hierarchy lacks the controllers (this hybrid machine) each test
// skips with the reason. TCG makes absolute times meaningless: CPU checks
// compare shares of one measured window, and print what they measured.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cgroups/berth_root.h"
#include "cgroups/cgroup.h"
#include "cgroups/limits.h"
#include "cgroups/mountinfo.h"
#include "cgroups/stats.h"
#include "gtest/gtest.h"
#include "io/status.h"
#include "tests/kernel/cgroups/clone_into.h"

namespace berth::cgroups {
namespace {

using testing::CloneInto;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr absl::Duration kEmptyBound = absl::Seconds(60);  // a hang guard only

pid_t RawFork() {
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.exit_signal = SIGCHLD;
  return static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof(args)));
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) {
    return absl::StrCat("exited with status ", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return absl::StrCat("was killed by signal ", WTERMSIG(status));
  }
  return absl::StrCat("ended with wait status ", status);
}

// Touches `bytes` of fresh anonymous memory; 0 when it could, 2 when mmap failed.
int TouchAnon(uint64_t bytes) {
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    return 2;
  }
  volatile char* p = static_cast<volatile char*>(mem);
  for (uint64_t off = 0; off < bytes; off += 4096) {
    p[off] = 1;
  }
  return 0;
}

// Busy-loops pinned to `cpu` until killed.
int SpinOn(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return 3;
  }
  volatile uint64_t spins = 0;
  for (;;) {
    spins = spins + 1;
  }
}

class CgroupsLibraryVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> mount = FindCgroup2MountOfHost("/sys/fs/cgroup");
    if (!mount.ok()) {
      GTEST_SKIP() << mount.status();
    }
    absl::StatusOr<Cgroup> hierarchy = Cgroup::Open(*mount);
    ASSERT_TRUE(hierarchy.ok()) << hierarchy.status();
    absl::StatusOr<ControllerSet> offered = hierarchy->Controllers();
    ASSERT_TRUE(offered.ok()) << offered.status();
    if (!offered->Contains(ControllerSet::All())) {
      GTEST_SKIP() << "the cgroup2 hierarchy at " << *mount << " offers '" << offered->ToString()
                   << "' of cpu memory pids io (a hybrid host); run this binary through "
                      "tests/vm/run-in-vm.sh";
    }
    absl::StatusOr<BerthRoot> root = BerthRoot::Open(*hierarchy);
    ASSERT_TRUE(root.ok()) << root.status();
    root_.emplace(std::move(*root));
    ASSERT_TRUE(root_->enforces_limits()) << root_->controllers().ToString();
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0) << strerror(errno);
    task_id_ = absl::StrCat("vm-", getpid(), "-",
                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    absl::StatusOr<Cgroup> task = root_->CreateTask(task_id_);
    ASSERT_TRUE(task.ok()) << task.status();
    task_.emplace(std::move(*task));
  }

  void TearDown() override {
    if (!task_) {
      return;
    }
    absl::StatusOr<EventsWatch> watch = task_->WatchEvents();
    EXPECT_TRUE(task_->Kill().ok());
    if (watch.ok()) {
      EXPECT_TRUE(watch->WaitUntilEmpty(kEmptyBound).ok());
    }
    while (waitpid(-1, nullptr, WNOHANG | __WALL) > 0) {
    }
    absl::Status st = task_->Destroy();
    EXPECT_TRUE(st.ok()) << st;
  }

  // Task limits written to the task cgroup, then one container per entry,
  // each with its own limits, all before any process enters.
  void MakeTask(const TaskLimits& task, const std::vector<std::pair<std::string, ContainerLimits>>&
                                            containers) {
    std::vector<ContainerLimits> all;
    for (const auto& [name, limits] : containers) {
      all.push_back(limits);
    }
    absl::StatusOr<std::vector<CgroupFile>> files = TaskFiles(task, all);
    ASSERT_TRUE(files.ok()) << files.status();
    absl::StatusOr<ApplyResult> r = Apply(*task_, *files);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->skipped.empty()) << r->skipped.front().name;
    for (const auto& [name, limits] : containers) {
      absl::StatusOr<Cgroup> c = task_->CreateChild(name);
      ASSERT_TRUE(c.ok()) << c.status();
      absl::StatusOr<ApplyResult> cr = Apply(*c, ContainerFiles(limits));
      ASSERT_TRUE(cr.ok()) << cr.status();
      ASSERT_TRUE(cr->skipped.empty()) << cr->skipped.front().name;
      // No swap either way; with swap accounting the limit must not be dodged.
      if (faccessat(c->fd(), "memory.swap.max", F_OK, 0) == 0) {
        ASSERT_TRUE(c->WriteFile("memory.swap.max", "0").ok());
      }
      containers_.push_back(std::move(*c));
    }
  }

  // The last CPU this process may use, which it then leaves to the loops.
  int ContendedCpu() {
    cpu_set_t allowed;
    EXPECT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
    int cpu = -1;
    for (int i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &allowed)) {
        cpu = i;
      }
    }
    if (CPU_COUNT(&allowed) > 1) {
      cpu_set_t others = allowed;
      CPU_CLR(cpu, &others);
      EXPECT_EQ(sched_setaffinity(0, sizeof(others), &others), 0);
    }
    return cpu;
  }

  std::optional<BerthRoot> root_;
  std::string task_id_;
  std::optional<Cgroup> task_;
  std::vector<Cgroup> containers_;
};

// A container over its memory (ECS memory 32 MiB → memory.max) is OOM-killed,
// and the kill is recorded in its own memory.events only: the agent's
// OutOfMemoryError verdict for the sibling must stay clean.
TEST_F(CgroupsLibraryVmTest, MemoryMaxOomIsRecordedInThatContainerOnly) {
  ContainerLimits victim, sibling;
  victim.memory_mib = 32;
  sibling.memory_mib = 64;
  ASSERT_NO_FATAL_FAILURE(MakeTask(TaskLimits{}, {{"victim", victim}, {"sibling", sibling}}));
  EXPECT_EQ(containers_[0].ReadFile("memory.max").value_or(""), "33554432\n");

  pid_t v = CloneInto(containers_[0].fd(), [] { return TouchAnon(64 * kMiB); });
  ASSERT_GT(v, 0) << strerror(errno);
  pid_t s = CloneInto(containers_[1].fd(), [] { return TouchAnon(16 * kMiB); });
  ASSERT_GT(s, 0) << strerror(errno);
  int vs = 0, ss = 0;
  ASSERT_EQ(waitpid(v, &vs, 0), v);
  ASSERT_EQ(waitpid(s, &ss, 0), s);
  EXPECT_TRUE(WIFSIGNALED(vs) && WTERMSIG(vs) == SIGKILL)
      << "the container touching 64 MiB under memory 32 MiB " << DescribeExit(vs);
  EXPECT_TRUE(WIFEXITED(ss) && WEXITSTATUS(ss) == 0)
      << "the sibling touching 16 MiB under 64 MiB " << DescribeExit(ss);

  EXPECT_EQ(OomKills(containers_[0]).value_or(0), 1u)
      << containers_[0].ReadFile("memory.events").value_or("?");
  EXPECT_EQ(OomKills(containers_[1]).value_or(1), 0u)
      << containers_[1].ReadFile("memory.events").value_or("?");
  absl::StatusOr<MemoryEvents> ev = ReadMemoryEvents(containers_[0]);
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_GE(ev->max, 1u);
  EXPECT_GE(ev->oom, 1u);
}

// Container cpu 1024 vs 512 (→ cpu.weight 39 vs 20) on one CPU: CPU time
// splits 2:1 (39/20 = 1.95).
TEST_F(CgroupsLibraryVmTest, CpuUnits1024Vs512SplitOneCpuTwoToOne) {
  ContainerLimits heavy, light;
  heavy.cpu_units = 1024;
  light.cpu_units = 512;
  ASSERT_NO_FATAL_FAILURE(MakeTask(TaskLimits{}, {{"heavy", heavy}, {"light", light}}));
  EXPECT_EQ(containers_[0].ReadFile("cpu.weight").value_or(""), "39\n");
  EXPECT_EQ(containers_[1].ReadFile("cpu.weight").value_or(""), "20\n");
  const int cpu = ContendedCpu();
  ASSERT_GE(cpu, 0);

  pid_t h = CloneInto(containers_[0].fd(), [cpu] { return SpinOn(cpu); });
  ASSERT_GT(h, 0) << strerror(errno);
  pid_t l = CloneInto(containers_[1].fd(), [cpu] { return SpinOn(cpu); });
  ASSERT_GT(l, 0) << strerror(errno);

  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  absl::StatusOr<CpuStat> h0 = ReadCpuStat(containers_[0]);
  absl::StatusOr<CpuStat> l0 = ReadCpuStat(containers_[1]);
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  absl::StatusOr<CpuStat> h1 = ReadCpuStat(containers_[0]);
  absl::StatusOr<CpuStat> l1 = ReadCpuStat(containers_[1]);
  const double window_us = static_cast<double>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                            start)
          .count());
  for (pid_t pid : {h, l}) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "a busy loop ended: " << DescribeExit(status);
  }
  ASSERT_TRUE(h0.ok() && l0.ok() && h1.ok() && l1.ok());
  const double heavy_us = static_cast<double>(h1->usage_usec - h0->usage_usec);
  const double light_us = static_cast<double>(l1->usage_usec - l0->usage_usec);
  ASSERT_GT(light_us, 0) << "the 512-unit loop got no CPU at all";
  const double ratio = heavy_us / light_us;
  std::cout << "[ MEASURED ] cpu 1024 vs 512 on CPU " << cpu << ": " << heavy_us / 1000 << " ms vs "
            << light_us / 1000 << " ms, ratio " << ratio << ", together "
            << (heavy_us + light_us) / window_us * 100 << "% of " << window_us / 1000 << " ms\n";
  RecordProperty("cpu_units_ratio", std::to_string(ratio));
  EXPECT_NEAR(ratio, 2.0, 0.3);
}

// Task cpu 256 units (a quarter vCPU) → cpu.max "25000 100000": a busy loop
// gets about a quarter of a CPU and is throttled.
TEST_F(CgroupsLibraryVmTest, TaskCpuMaxHoldsABusyLoopToAQuarterCpu) {
  TaskLimits task;
  task.cpu_units = 256;
  ASSERT_NO_FATAL_FAILURE(MakeTask(task, {{"spin", ContainerLimits{}}}));
  EXPECT_EQ(task_->ReadFile("cpu.max").value_or(""), "25000 100000\n");
  const int cpu = ContendedCpu();
  ASSERT_GE(cpu, 0);
  pid_t pid = CloneInto(containers_[0].fd(), [cpu] { return SpinOn(cpu); });
  ASSERT_GT(pid, 0) << strerror(errno);

  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  absl::StatusOr<CpuStat> s0 = ReadCpuStat(*task_);
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  absl::StatusOr<CpuStat> s1 = ReadCpuStat(*task_);
  const double window_us = static_cast<double>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                            start)
          .count());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "the busy loop ended: " << DescribeExit(status);
  ASSERT_TRUE(s0.ok() && s1.ok());
  const double share = static_cast<double>(s1->usage_usec - s0->usage_usec) / window_us;
  std::cout << "[ MEASURED ] busy loop under cpu.max 25000/100000: " << share * 100
            << "% of a CPU over " << window_us / 1000 << " ms, throttled "
            << s1->nr_throttled - s0->nr_throttled << " of " << s1->nr_periods - s0->nr_periods
            << " periods\n";
  RecordProperty("cpu_max_share", std::to_string(share));
  EXPECT_GT(s1->nr_throttled, s0->nr_throttled);
  EXPECT_NEAR(share, 0.25, 0.07);
}

// ECS_TASK_PIDS_LIMIT 8 → the task's pids.max: the 8th process fails to fork
// with EAGAIN.
TEST_F(CgroupsLibraryVmTest, PidsMaxStopsForksWithEagain) {
  TaskLimits task;
  task.pids_max = 8;
  ASSERT_NO_FATAL_FAILURE(MakeTask(task, {{"forker", ContainerLimits{}}}));
  EXPECT_EQ(task_->ReadFile("pids.max").value_or(""), "8\n");
  int report[2], hold[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  pid_t pid = CloneInto(containers_[0].fd(), [&] {
    close(hold[1]);
    int forked = 0;
    int err = 0;
    for (int i = 0; i < 64; ++i) {
      pid_t c = RawFork();
      if (c == 0) {
        char b;
        while (read(hold[0], &b, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
      }
      if (c < 0) {
        err = errno;
        break;
      }
      ++forked;
    }
    int msg[2] = {forked, err};
    if (write(report[1], msg, sizeof(msg)) != sizeof(msg)) {
      return 2;
    }
    char b;
    while (read(hold[0], &b, 1) < 0 && errno == EINTR) {
    }
    return 0;
  });
  ASSERT_GT(pid, 0) << strerror(errno);
  close(report[1]);
  close(hold[0]);
  int msg[2] = {-1, -1};
  ASSERT_EQ(read(report[0], msg, sizeof(msg)), static_cast<ssize_t>(sizeof(msg)));
  EXPECT_EQ(ReadPidsCurrent(*task_).value_or(0), 8u);
  close(hold[1]);
  close(report[0]);
  EXPECT_EQ(msg[0], 7) << "forks that succeeded next to the forking process";
  EXPECT_EQ(msg[1], EAGAIN) << "errno of the failed fork: " << strerror(msg[1]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeExit(status);
}

// memoryReservation → memory.low: when the task hits its memory.max, the
// kernel reclaims the page cache of the unprotected container and leaves
// the protected one's.
TEST_F(CgroupsLibraryVmTest, MemoryLowProtectsTheReservedContainersPageCache) {
  // Page cache of a host file read over 9p (cache=loose) is charged to the
  // reader's cgroup; a large file of the host's, read in two halves.
  const char* kFile = "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1";
  constexpr uint64_t kEach = 32 * kMiB;
  int probe = open(kFile, O_RDONLY | O_CLOEXEC);
  if (probe < 0) {
    GTEST_SKIP() << "needs a large host file to fill the page cache: " << kFile << ": "
                 << strerror(errno);
  }
  close(probe);

  TaskLimits task;
  task.memory_mib = 96;
  ContainerLimits reserved, unreserved, hog;
  reserved.memory_reservation_mib = 64;
  ASSERT_NO_FATAL_FAILURE(MakeTask(
      task, {{"reserved", reserved}, {"unreserved", unreserved}, {"hog", hog}}));
  EXPECT_EQ(containers_[0].ReadFile("memory.low").value_or(""), "67108864\n");

  auto read_range = [kFile](off_t offset) {
    int fd = open(kFile, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return 2;
    }
    static char buf[1 << 16];
    for (uint64_t done = 0; done < kEach;) {
      ssize_t n = pread(fd, buf, sizeof(buf), offset + static_cast<off_t>(done));
      if (n <= 0) {
        return 3;
      }
      done += static_cast<uint64_t>(n);
    }
    close(fd);
    return 0;
  };
  for (int i : {0, 1}) {
    pid_t pid = CloneInto(containers_[i].fd(),
                          [&, i] { return read_range(static_cast<off_t>(i * kEach)); });
    ASSERT_GT(pid, 0) << strerror(errno);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeExit(status);
  }
  auto file_bytes = [](const Cgroup& c) {
    return static_cast<double>(ReadMemoryStat(c).value_or(KeyedValues{}).Get("file").value_or(0));
  };
  const double reserved0 = file_bytes(containers_[0]);
  const double unreserved0 = file_bytes(containers_[1]);
  ASSERT_GT(reserved0, 0.8 * kEach) << "the read did not fill the page cache";
  ASSERT_GT(unreserved0, 0.8 * kEach) << "the read did not fill the page cache";

  // 48 MiB of anonymous memory: 32 + 32 + 48 > 96, so the task must reclaim 16+.
  pid_t hog_pid = CloneInto(containers_[2].fd(), [] { return TouchAnon(48 * kMiB); });
  ASSERT_GT(hog_pid, 0) << strerror(errno);
  int status = 0;
  ASSERT_EQ(waitpid(hog_pid, &status, 0), hog_pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the anonymous hog " << DescribeExit(status);
  const double reserved1 = file_bytes(containers_[0]);
  const double unreserved1 = file_bytes(containers_[1]);
  std::cout << "[ MEASURED ] page cache before/after the hog: reserved " << reserved0 / kMiB
            << " -> " << reserved1 / kMiB << " MiB, unreserved " << unreserved0 / kMiB << " -> "
            << unreserved1 / kMiB << " MiB\n";
  EXPECT_GT(reserved1, 0.9 * reserved0) << "memory.low did not protect the reserved container";
  EXPECT_LT(unreserved1, unreserved0 - 8.0 * kMiB) << "the unreserved cache was not reclaimed";
}

}  // namespace
}  // namespace berth::cgroups
