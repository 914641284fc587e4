// cgroup v2 limit enforcement, checked against a real kernel with every
// controller enabled. Meant to run inside the VM (tests/vm/run-in-vm.sh);
// on a host without the controller it needs, each test skips with the
// reason. Plain syscalls and file writes: this pins kernel behaviour the
// cgroups/ library will rely on, independently of that library.

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace berth {
namespace {

constexpr char kCgroupRoot[] = "/sys/fs/cgroup";
constexpr uint64_t kMiB = 1024 * 1024;

std::string ErrnoText(int err) { return std::string(strerror(err)); }

// Reads a whole (small) file; nullopt with errno set when it cannot.
std::optional<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  int err = errno;
  close(fd);
  if (n < 0) {
    errno = err;
    return std::nullopt;
  }
  return out;
}

// Writes `value` to a cgroup file in one write(2); returns 0 or the errno.
int WriteFile(const std::string& path, std::string_view value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  ssize_t n = write(fd, value.data(), value.size());
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

bool HasWord(const std::string& text, std::string_view word) {
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    if (token == word) {
      return true;
    }
  }
  return false;
}

// Value of `key` in a flat-keyed file such as memory.events or cpu.stat.
std::optional<uint64_t> KeyedValue(const std::string& text, std::string_view key) {
  std::istringstream in(text);
  std::string name;
  uint64_t value;
  while (in >> name >> value) {
    if (name == key) {
      return value;
    }
  }
  return std::nullopt;
}

// Why this host cannot run a test that needs `controller` in a child of the
// cgroup2 root, or "" when it can.
std::string WhyNoController(std::string_view controller) {
  struct statfs fs;
  if (statfs(kCgroupRoot, &fs) != 0) {
    return std::string("cannot statfs /sys/fs/cgroup: ") + ErrnoText(errno);
  }
  if (fs.f_type != CGROUP2_SUPER_MAGIC) {
    return "/sys/fs/cgroup is not a cgroup2 mount (v1 or hybrid host); run this binary "
           "through tests/vm/run-in-vm.sh";
  }
  std::optional<std::string> controllers =
      ReadFile(std::string(kCgroupRoot) + "/cgroup.controllers");
  if (!controllers || !HasWord(*controllers, controller)) {
    return "the cgroup2 root does not offer the " + std::string(controller) +
           " controller (cgroup.controllers: '" + controllers.value_or("?") + "')";
  }
  std::optional<std::string> enabled =
      ReadFile(std::string(kCgroupRoot) + "/cgroup.subtree_control");
  if (!enabled || !HasWord(*enabled, controller)) {
    return "the " + std::string(controller) +
           " controller is not enabled in the root's cgroup.subtree_control ('" +
           enabled.value_or("?") + "'); run-in-vm.sh enables every controller";
  }
  if (access(kCgroupRoot, W_OK) != 0) {
    return "cannot create cgroups under /sys/fs/cgroup: " + ErrnoText(errno);
  }
  return "";
}

// A cgroup directory that this test created and removes again, killing
// whatever is left in it first.
class TestCgroup {
 public:
  explicit TestCgroup(std::string path) : path_(std::move(path)) {
    if (mkdir(path_.c_str(), 0755) != 0) {
      error_ = "failed to create cgroup " + path_ + ": " + ErrnoText(errno);
      return;
    }
    created_ = true;
    fd_ = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = "failed to open cgroup " + path_ + ": " + ErrnoText(errno);
    }
  }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  ~TestCgroup() {
    if (fd_ >= 0) {
      close(fd_);
    }
    if (!created_) {
      return;
    }
    WriteFile(path_ + "/cgroup.kill", "1");
    // A killed task leaves the cgroup shortly after it is reaped; retry
    // rmdir on EBUSY for up to two seconds.
    for (int i = 0; i < 200; ++i) {
      if (rmdir(path_.c_str()) == 0 || errno != EBUSY) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "failed to remove cgroup " << path_ << ": still busy after 2 s";
  }

  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }
  int Write(std::string_view name, std::string_view value) const {
    return WriteFile(File(name), value);
  }
  std::string Read(std::string_view name) const { return ReadFile(File(name)).value_or(""); }

 private:
  std::string path_;
  std::string error_;
  int fd_ = -1;
  bool created_ = false;
};

// Starts a child directly inside the cgroup open as `cgroup_fd`
// (clone3 with CLONE_INTO_CGROUP, as berth's runtime does) that runs
// `body` and exits with its result. The child is a raw clone: it only makes
// plain system calls before _exit. Returns the pid, or -1 with errno set.
template <typename Body>
pid_t SpawnInCgroup(int cgroup_fd, Body body) {
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    _exit(body());
  }
  return static_cast<pid_t>(pid);
}

std::string DescribeExit(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) {
    return "exited with status " + std::to_string(info.si_status);
  }
  if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
    return "was killed by signal " + std::to_string(info.si_status) + " (" +
           strsignal(info.si_status) + ")";
  }
  return "ended with si_code " + std::to_string(info.si_code);
}

std::string UniqueName(std::string_view what) {
  return std::string(kCgroupRoot) + "/berth-vm-" + std::string(what) + "-" +
         std::to_string(getpid());
}

// A process whose cgroup has memory.max = 32 MiB and no swap, and that
// touches 64 MiB of anonymous memory, is OOM-killed inside its cgroup, and
// memory.events counts exactly that one kill.
TEST(CgroupLimitsTest, MemoryMaxOomKillsTheProcessThatExceedsIt) {
  if (std::string why = WhyNoController("memory"); !why.empty()) {
    GTEST_SKIP() << why;
  }
  constexpr uint64_t kLimit = 32 * kMiB;
  constexpr uint64_t kTouched = 64 * kMiB;

  TestCgroup cg(UniqueName("memory"));
  ASSERT_EQ(cg.error(), "");
  ASSERT_EQ(cg.Write("memory.max", std::to_string(kLimit)), 0)
      << "failed to write memory.max in " << cg.path();
  ASSERT_EQ(cg.Read("memory.max"), std::to_string(kLimit) + "\n");
  // memory.swap.max exists only with swap accounting; the guest has no swap
  // either way, so the limit cannot be dodged by swapping.
  if (access(cg.File("memory.swap.max").c_str(), F_OK) == 0) {
    ASSERT_EQ(cg.Write("memory.swap.max", "0"), 0) << "failed to write memory.swap.max";
  }

  const long page = sysconf(_SC_PAGESIZE);
  pid_t pid = SpawnInCgroup(cg.fd(), [&] {
    void* mem = mmap(nullptr, kTouched, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      return 2;
    }
    volatile char* bytes = static_cast<volatile char*>(mem);
    for (uint64_t off = 0; off < kTouched; off += static_cast<uint64_t>(page)) {
      bytes[off] = 1;
    }
    return 0;
  });
  ASSERT_GT(pid, 0) << "clone3(CLONE_INTO_CGROUP) failed: " << ErrnoText(errno);

  siginfo_t info;
  memset(&info, 0, sizeof(info));
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED), 0) << ErrnoText(errno);
  std::string events = cg.Read("memory.events");
  EXPECT_TRUE(info.si_code == CLD_KILLED && info.si_status == SIGKILL)
      << "the child that touched " << kTouched / kMiB << " MiB under memory.max = " << kLimit / kMiB
      << " MiB " << DescribeExit(info)
      << " (exit 2 = mmap failed, 0 = the limit was not enforced); want killed by SIGKILL."
      << "\nmemory.events:\n"
      << events;
  EXPECT_EQ(KeyedValue(events, "oom_kill"), std::optional<uint64_t>(1))
      << "memory.events of " << cg.path() << " after one OOM kill:\n"
      << events;
}

// Busy-loops a child pinned to `cpu` until it is killed.
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

std::optional<uint64_t> UsageUsec(const TestCgroup& cg) {
  return KeyedValue(cg.Read("cpu.stat"), "usage_usec");
}

// Two busy loops pinned to the same CPU, in sibling cgroups with cpu.weight
// 100 and 200, share that CPU 1:2.
TEST(CgroupLimitsTest, CpuWeightSplitsOneCpuInProportion) {
  if (std::string why = WhyNoController("cpu"); !why.empty()) {
    GTEST_SKIP() << why;
  }
  constexpr auto kWarmUp = std::chrono::milliseconds(500);
  constexpr auto kWindow = std::chrono::seconds(4);

  // The contended CPU: the last one we may use, so that on a 2-vCPU guest
  // this process and the kernel's housekeeping mostly stay off it.
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0) << ErrnoText(errno);
  int cpu = -1;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(i, &allowed)) {
      cpu = i;
    }
  }
  ASSERT_GE(cpu, 0);
  if (CPU_COUNT(&allowed) > 1) {
    cpu_set_t others = allowed;
    CPU_CLR(cpu, &others);
    ASSERT_EQ(sched_setaffinity(0, sizeof(others), &others), 0) << ErrnoText(errno);
  }

  TestCgroup parent(UniqueName("cpu"));
  ASSERT_EQ(parent.error(), "");
  ASSERT_EQ(parent.Write("cgroup.subtree_control", "+cpu"), 0)
      << "failed to enable cpu in " << parent.path();
  TestCgroup light(parent.File("weight100"));
  ASSERT_EQ(light.error(), "");
  TestCgroup heavy(parent.File("weight200"));
  ASSERT_EQ(heavy.error(), "");
  ASSERT_EQ(light.Write("cpu.weight", "100"), 0);
  ASSERT_EQ(heavy.Write("cpu.weight", "200"), 0);

  pid_t light_pid = SpawnInCgroup(light.fd(), [cpu] { return SpinOn(cpu); });
  ASSERT_GT(light_pid, 0) << "clone3(CLONE_INTO_CGROUP) failed: " << ErrnoText(errno);
  pid_t heavy_pid = SpawnInCgroup(heavy.fd(), [cpu] { return SpinOn(cpu); });
  if (heavy_pid <= 0) {
    kill(light_pid, SIGKILL);
    waitpid(light_pid, nullptr, 0);
  }
  ASSERT_GT(heavy_pid, 0) << "clone3(CLONE_INTO_CGROUP) failed: " << ErrnoText(errno);

  std::this_thread::sleep_for(kWarmUp);
  std::optional<uint64_t> light0 = UsageUsec(light);
  std::optional<uint64_t> heavy0 = UsageUsec(heavy);
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(kWindow);
  std::optional<uint64_t> light1 = UsageUsec(light);
  std::optional<uint64_t> heavy1 = UsageUsec(heavy);
  auto elapsed_usec = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();

  // Both loops must still be spinning (exit 3 would mean pinning failed).
  std::vector<std::string> ended;
  for (pid_t pid : {light_pid, heavy_pid}) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      ended.push_back("pid " + std::to_string(pid) + " " + DescribeExit(info));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  ASSERT_TRUE(ended.empty()) << "a busy loop ended during the measurement: " << ended[0];
  ASSERT_TRUE(light0 && heavy0 && light1 && heavy1) << "cpu.stat has no usage_usec:\n"
                                                    << light.Read("cpu.stat");

  const double light_usec = static_cast<double>(*light1 - *light0);
  const double heavy_usec = static_cast<double>(*heavy1 - *heavy0);
  ASSERT_GT(light_usec, 0) << "the cpu.weight=100 loop got no CPU time at all";
  const double ratio = heavy_usec / light_usec;
  const double share_of_window = (light_usec + heavy_usec) / static_cast<double>(elapsed_usec);
  std::ostringstream measured;
  measured << "over " << elapsed_usec / 1000 << " ms on CPU " << cpu << ": cpu.weight=200 got "
           << heavy_usec / 1000 << " ms, cpu.weight=100 got " << light_usec / 1000 << " ms (ratio "
           << ratio << "; together " << share_of_window * 100 << "% of the window)";
  RecordProperty("cpu_weight_ratio", std::to_string(ratio));
  std::cout << "[ MEASURED ] " << measured.str() << "\n";
  EXPECT_NEAR(ratio, 2.0, 0.3) << "usage_usec ratio should follow cpu.weight 200:100; "
                               << measured.str();
}

}  // namespace
}  // namespace berth
