// The accounting programs on this host's kernel: on-CPU time against what
// /proc says, network bytes over loopback in host network mode (sender's tx,
// receiver's rx, nothing crossed), entries gone with the cgroup, and a load
// without the capabilities failing cleanly. Children run in cgroups of the
// test's own under the cgroup2 mount; a kernel without BPF skips with why.

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bpf/accounting_programs.h"
#include "cgroups/cgroup.h"
#include "cgroups/mountinfo.h"
#include "cgroups/stats.h"
#include "gtest/gtest.h"

namespace berth::bpf {
namespace {

// A child process that first joins `cgroup_dir` (cgroup v2 only: the v1
// hierarchies are not touched), then runs `body` and exits with its result.
pid_t SpawnIn(const std::string& cgroup_dir, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    // A child that hangs (a peer that never connects, say) must not hang the
    // test, or the vm tier's guest until its timeout: it dies instead.
    alarm(60);
    FILE* f = fopen((cgroup_dir + "/cgroup.procs").c_str(), "w");
    if (f == nullptr || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0) {
      _exit(90);
    }
    _exit(body());
  }
  return pid;
}

int WaitFor(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double MonotonicSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class AccountingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "loading BPF programs and making cgroups needs root";
    }
    absl::StatusOr<std::string> mount = cgroups::FindCgroup2MountOfHost(std::nullopt);
    if (!mount.ok()) {
      GTEST_SKIP() << "no cgroup2 hierarchy: " << mount.status();
    }
    root_ = absl::StrCat(*mount, "/berth-bpf-test-", getpid());
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0) << root_ << ": " << strerror(errno);
    absl::StatusOr<std::unique_ptr<AccountingPrograms>> p =
        AccountingPrograms::Load({.attach_cgroup = root_});
    if (!p.ok() && p.status().code() == absl::StatusCode::kUnimplemented) {
      GTEST_SKIP() << "this kernel cannot load the accounting programs: " << p.status();
    }
    ASSERT_TRUE(p.ok()) << p.status();
    programs_ = *std::move(p);
  }
  void TearDown() override {
    programs_.reset();
    for (auto it = cgroups_.rbegin(); it != cgroups_.rend(); ++it) {
      rmdir(it->c_str());
    }
    if (!root_.empty()) {
      rmdir(root_.c_str());
    }
  }

  // A tracked cgroup under the test's root; its id.
  uint64_t MakeCgroup(const std::string& name, std::string* dir) {
    *dir = absl::StrCat(root_, "/", name);
    EXPECT_EQ(mkdir(dir->c_str(), 0755), 0) << *dir << ": " << strerror(errno);
    cgroups_.push_back(*dir);
    absl::StatusOr<uint64_t> id = CgroupId(*dir);
    EXPECT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(programs_->Track(*id).ok());
    return *id;
  }

  CgroupUsage Usage(uint64_t id) {
    absl::StatusOr<CgroupUsage> u = programs_->Read(id);
    EXPECT_TRUE(u.ok()) << u.status();
    return u.value_or(CgroupUsage{});
  }

  std::string root_;
  std::vector<std::string> cgroups_;
  std::unique_ptr<AccountingPrograms> programs_;
};

TEST_F(AccountingTest, LoadsWithTheSchedulerHooksItSays) {
  EXPECT_TRUE(programs_->scheduler_hooks() == "tp_btf" || programs_->scheduler_hooks() == "raw_tp")
      << programs_->scheduler_hooks();
  EXPECT_TRUE(programs_->network_attached());
  // The fallback loads too.
  absl::StatusOr<std::unique_ptr<AccountingPrograms>> raw =
      AccountingPrograms::Load({.attach_cgroup = "", .force_raw_tracepoints = true});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ((*raw)->scheduler_hooks(), "raw_tp");
  EXPECT_FALSE((*raw)->network_attached());
}

TEST_F(AccountingTest, ABusyLoopIsChargedTheCpuTimeProcSays) {
  std::string dir;
  uint64_t id = MakeCgroup("busy", &dir);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = SpawnIn(dir, [&] {
    close(fds[0]);
    // 2 s on the CPU (not of wall time: on a loaded machine that would be
    // less), 30 s of wall time at most.
    double give_up = MonotonicSeconds() + 30.0;
    volatile uint64_t x = 0;
    while (CpuSeconds() < 2.0 && MonotonicSeconds() < give_up) {
      for (int i = 0; i < 10000; ++i) x = x + static_cast<uint64_t>(i);
    }
    // What the kernel says this process used: /proc/self/stat utime + stime
    // (clock ticks) and /proc/self/schedstat (ns on the CPU).
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string f;
    uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14) utime = std::stoull(f);
      if (i == 15) stime = std::stoull(f);
    }
    std::ifstream sched("/proc/self/schedstat");
    uint64_t on_cpu = 0;
    sched >> on_cpu;
    char line[128];
    int n = snprintf(line, sizeof(line), "%llu %llu %llu\n", (unsigned long long)utime,
                     (unsigned long long)stime, (unsigned long long)on_cpu);
    return write(fds[1], line, static_cast<size_t>(n)) == n ? 0 : 1;
  });
  close(fds[1]);
  char buf[128] = {};
  ASSERT_GT(read(fds[0], buf, sizeof(buf) - 1), 0);
  close(fds[0]);
  ASSERT_EQ(WaitFor(pid), 0);
  unsigned long long utime = 0, stime = 0, schedstat = 0;
  ASSERT_EQ(sscanf(buf, "%llu %llu %llu", &utime, &stime, &schedstat), 3) << buf;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double proc_ns = static_cast<double>(utime + stime) / ticks * 1e9;
  const CgroupUsage u = Usage(id);
  const double bpf_ns = static_cast<double>(u.on_cpu_ns);
  printf("on-CPU: BPF %llu ns, /proc/<pid>/stat %.0f ns (%.4f), schedstat %llu ns (%.4f)\n",
         (unsigned long long)u.on_cpu_ns, proc_ns, bpf_ns / proc_ns, schedstat,
         bpf_ns / static_cast<double>(schedstat));
  EXPECT_GT(proc_ns, 1.5e9) << "the loop hardly ran: " << buf;
  EXPECT_NEAR(bpf_ns / proc_ns, 1.0, 0.05)
      << "BPF " << u.on_cpu_ns << " ns, /proc/<pid>/stat " << proc_ns << " ns (" << buf << ")";
  EXPECT_NEAR(bpf_ns / static_cast<double>(schedstat), 1.0, 0.05)
      << "BPF " << u.on_cpu_ns << " ns, schedstat " << schedstat << " ns";
  EXPECT_GT(u.runq_waits, 0u);  // preempted now and then, or woken at least once
  // cgroup v2's own cpu.stat (there with or without the cpu controller): the
  // cross-check the agent's stats keep.
  absl::StatusOr<cgroups::Cgroup> cg = cgroups::Cgroup::Open(dir);
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::StatusOr<cgroups::CpuStat> cpu = cgroups::ReadCpuStat(*cg);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_NEAR(bpf_ns / (static_cast<double>(cpu->usage_usec) * 1000.0), 1.0, 0.05)
      << "BPF " << u.on_cpu_ns << " ns, cpu.stat " << cpu->usage_usec << " us";
}

TEST_F(AccountingTest, LoopbackBytesAreTheSendersTxAndTheReceiversRx) {
  std::string dir_a;
  std::string dir_b;
  uint64_t a = MakeCgroup("sender", &dir_a);
  uint64_t b = MakeCgroup("receiver", &dir_b);
  constexpr uint64_t kBytes = 32ull << 20;
  int ports[2];
  ASSERT_EQ(pipe(ports), 0);
  pid_t receiver = SpawnIn(dir_b, [&] {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(s, 1) != 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return 2;
    }
    uint16_t port = ntohs(addr.sin_port);
    if (write(ports[1], &port, sizeof(port)) != sizeof(port)) return 3;
    int c = accept(s, nullptr, nullptr);
    if (c < 0) return 4;
    static char buf[1 << 16];
    uint64_t got = 0;
    ssize_t n;
    while ((n = read(c, buf, sizeof(buf))) > 0) got += static_cast<uint64_t>(n);
    return got == kBytes ? 0 : 5;
  });
  uint16_t port = 0;
  ASSERT_EQ(read(ports[0], &port, sizeof(port)), static_cast<ssize_t>(sizeof(port)));
  pid_t sender = SpawnIn(dir_a, [&] {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return 2;
    static char buf[1 << 16];
    std::memset(buf, 'x', sizeof(buf));
    uint64_t sent = 0;
    while (sent < kBytes) {
      ssize_t n = write(s, buf, std::min<uint64_t>(sizeof(buf), kBytes - sent));
      if (n <= 0) return 3;
      sent += static_cast<uint64_t>(n);
    }
    shutdown(s, SHUT_WR);
    char c;
    while (read(s, &c, 1) > 0) {
    }
    return 0;
  });
  EXPECT_EQ(WaitFor(sender), 0);
  EXPECT_EQ(WaitFor(receiver), 0);
  const CgroupUsage ua = Usage(a);
  const CgroupUsage ub = Usage(b);
  const double n = static_cast<double>(kBytes);
  printf("network: sent %llu, sender tx %llu rx %llu, receiver rx %llu tx %llu\n",
         (unsigned long long)kBytes, (unsigned long long)ua.tx_bytes,
         (unsigned long long)ua.rx_bytes, (unsigned long long)ub.rx_bytes,
         (unsigned long long)ub.tx_bytes);
  // L3 bytes: the payload plus IP and TCP headers (about 0.1 % on loopback's
  // 64 KiB segments) and the handshake.
  EXPECT_NEAR(static_cast<double>(ua.tx_bytes) / n, 1.0, 0.01) << ua.tx_bytes;
  EXPECT_NEAR(static_cast<double>(ub.rx_bytes) / n, 1.0, 0.01) << ub.rx_bytes;
  EXPECT_GE(ua.tx_bytes, kBytes);
  EXPECT_GE(ub.rx_bytes, kBytes);
  // Only acknowledgements go the other way: never the other's data.
  EXPECT_LT(static_cast<double>(ua.rx_bytes), 0.01 * n) << ua.rx_bytes;
  EXPECT_LT(static_cast<double>(ub.tx_bytes), 0.01 * n) << ub.tx_bytes;
  EXPECT_GT(ua.tx_packets, 0u);
  EXPECT_GT(ub.rx_packets, 0u);
}

TEST_F(AccountingTest, CountersMoveWhileATaskRunsWithoutLeavingItsCpu) {
  std::string dir;
  uint64_t id = MakeCgroup("spinner", &dir);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t pid = SpawnIn(dir, [&] {
    close(go[1]);
    char c;
    // Spin until the parent closes its end (a read that never blocks).
    fcntl(go[0], F_SETFL, O_NONBLOCK);
    volatile uint64_t x = 0;
    while (read(go[0], &c, 1) < 0 && errno == EAGAIN) {
      for (int i = 0; i < 100000; ++i) x = x + static_cast<uint64_t>(i);
    }
    return 0;
  });
  close(go[0]);
  // Sampled while it runs: the task iterator reads its live totals.
  const uint64_t first = Usage(id).on_cpu_ns;
  double until = MonotonicSeconds() + 30;
  uint64_t now = first;
  while (now < first + 300'000'000ull && MonotonicSeconds() < until) {
    usleep(50'000);
    now = Usage(id).on_cpu_ns;
  }
  close(go[1]);
  EXPECT_EQ(WaitFor(pid), 0);
  EXPECT_GE(now, first + 300'000'000ull) << "the counter did not move while the task ran";
}

TEST_F(AccountingTest, TwoCgroupsNeverGetEachOthersCpuTime) {
  std::string busy_dir;
  std::string idle_dir;
  uint64_t busy = MakeCgroup("busy-one", &busy_dir);
  uint64_t idle = MakeCgroup("idle-one", &idle_dir);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  // The idle one sleeps on a pipe while the busy one spins 0.5 s of CPU.
  pid_t sleeper = SpawnIn(idle_dir, [&] {
    close(go[1]);
    char c;
    return read(go[0], &c, 1) == 0 ? 0 : 1;
  });
  pid_t spinner = SpawnIn(busy_dir, [&] {
    close(go[0]);
    close(go[1]);
    double give_up = MonotonicSeconds() + 30.0;
    volatile uint64_t x = 0;
    while (CpuSeconds() < 0.5 && MonotonicSeconds() < give_up) {
      for (int i = 0; i < 10000; ++i) x = x + static_cast<uint64_t>(i);
    }
    return 0;
  });
  close(go[0]);
  EXPECT_EQ(WaitFor(spinner), 0);
  const CgroupUsage sleeping = Usage(idle);
  close(go[1]);
  EXPECT_EQ(WaitFor(sleeper), 0);
  const CgroupUsage b = Usage(busy);
  printf("on-CPU: busy %llu ns, idle (while the other spun) %llu ns\n",
         (unsigned long long)b.on_cpu_ns, (unsigned long long)sleeping.on_cpu_ns);
  EXPECT_GT(b.on_cpu_ns, 400'000'000ull);
  // A fork, a cgroup.procs write and a read: well under 50 ms.
  EXPECT_LT(sleeping.on_cpu_ns, 50'000'000ull);
}

// 40 short processes one after another in `dir`, each about 10 ms of CPU,
// read all the while: most of the cgroup's time is left by exited threads,
// read while others exit. Every read is at least the one before, and the
// total is cpu.stat's.
void ChurnAndCompare(const AccountingPrograms& programs, const std::string& dir, uint64_t id) {
  pid_t parent = SpawnIn(dir, [] {
    for (int i = 0; i < 40; ++i) {
      pid_t child = fork();
      if (child == 0) {
        double until = CpuSeconds() + 0.01;
        volatile uint64_t x = 0;
        while (CpuSeconds() < until) x = x + 1;
        _exit(0);
      }
      if (WaitFor(child) != 0) return 1;
    }
    return 0;
  });
  uint64_t last = 0;
  int reads = 0;
  int status = 0;
  while (waitpid(parent, &status, WNOHANG) == 0) {
    absl::StatusOr<CgroupUsage> u = programs.Read(id);
    ASSERT_TRUE(u.ok()) << u.status();
    ASSERT_GE(u->on_cpu_ns, last) << "read " << reads << " went back";
    last = u->on_cpu_ns;
    ++reads;
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  absl::StatusOr<CgroupUsage> u = programs.Read(id);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_GE(u->on_cpu_ns, last);
  absl::StatusOr<cgroups::Cgroup> cg = cgroups::Cgroup::Open(dir);
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::StatusOr<cgroups::CpuStat> cpu = cgroups::ReadCpuStat(*cg);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  const double stat_ns = static_cast<double>(cpu->usage_usec) * 1000.0;
  printf("%s: %d reads; on-CPU: BPF %llu ns, cpu.stat %.0f ns (%.4f)\n",
         std::string(programs.scheduler_hooks()).c_str(), reads, (unsigned long long)u->on_cpu_ns,
         stat_ns, static_cast<double>(u->on_cpu_ns) / stat_ns);
  EXPECT_GT(stat_ns, 0.3e9);
  EXPECT_NEAR(static_cast<double>(u->on_cpu_ns) / stat_ns, 1.0, 0.05);
  EXPECT_GT(u->runq_waits, 40u);
}

TEST_F(AccountingTest, ExitedThreadsKeepTheirTimeAndReadsNeverGoBack) {
  std::string dir;
  uint64_t id = MakeCgroup("churn", &dir);
  ChurnAndCompare(*programs_, dir, id);
}

TEST_F(AccountingTest, TheRawTracepointFallbackCountsTheSame) {
  // The fallback's own programs, beside the tp_btf ones the fixture loaded.
  absl::StatusOr<std::unique_ptr<AccountingPrograms>> raw =
      AccountingPrograms::Load({.attach_cgroup = "", .force_raw_tracepoints = true});
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_EQ((*raw)->scheduler_hooks(), "raw_tp");
  std::string dir = absl::StrCat(root_, "/churn-raw");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir << ": " << strerror(errno);
  cgroups_.push_back(dir);
  absl::StatusOr<uint64_t> id = CgroupId(dir);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE((*raw)->Track(*id).ok());
  ChurnAndCompare(**raw, dir, *id);
}

TEST_F(AccountingTest, AnOomKillIsCountedForItsCgroup) {
  if (programs_->oom_hook().substr(0, 4) == "none") {
    GTEST_SKIP() << "no OOM hook on this kernel: " << programs_->oom_hook();
  }
  // memory.max needs the memory controller (the vm tier has it).
  std::ofstream enable(root_ + "/cgroup.subtree_control");
  enable << "+memory";
  enable.close();
  std::string dir;
  uint64_t id = MakeCgroup("oom", &dir);
  {
    std::ofstream max(dir + "/memory.max");
    max << "16M";
    max.close();
    if (!max) {
      GTEST_SKIP() << "no memory controller here (memory.max cannot be set)";
    }
  }
  pid_t pid = SpawnIn(dir, [] {
    std::vector<std::unique_ptr<char[]>> hog;
    for (int i = 0; i < 256; ++i) {
      hog.emplace_back(new char[1 << 20]);
      std::memset(hog.back().get(), 1, 1 << 20);
    }
    return 0;
  });
  EXPECT_EQ(WaitFor(pid), 128 + SIGKILL);
  EXPECT_EQ(Usage(id).oom_kills, 1u) << "hook: " << programs_->oom_hook();
}

TEST_F(AccountingTest, RemovingACgroupRemovesItsEntries) {
  std::string dir;
  uint64_t id = MakeCgroup("short-lived", &dir);
  pid_t pid = SpawnIn(dir, [] {
    volatile uint64_t x = 0;
    for (int i = 0; i < 10000000; ++i) x = x + static_cast<uint64_t>(i);
    return 0;
  });
  ASSERT_EQ(WaitFor(pid), 0);
  EXPECT_GT(Usage(id).on_cpu_ns, 0u);
  size_t before = programs_->StatsEntries();
  ASSERT_GE(before, 1u);
  // The cgroup empties shortly after its last process is reaped.
  for (int i = 0; i < 1000 && rmdir(dir.c_str()) != 0; ++i) {
    usleep(5000);
  }
  ASSERT_NE(access(dir.c_str(), F_OK), 0) << dir << " was not removed";
  EXPECT_FALSE(programs_->IsTracked(id));
  EXPECT_EQ(programs_->StatsEntries(), before - 1);
  EXPECT_EQ(programs_->Read(id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AccountingTest, UntrackedCgroupsAreNotCounted) {
  std::string dir = absl::StrCat(root_, "/untracked");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  cgroups_.push_back(dir);
  absl::StatusOr<uint64_t> id = CgroupId(dir);
  ASSERT_TRUE(id.ok());
  size_t before = programs_->StatsEntries();
  pid_t pid = SpawnIn(dir, [] {
    volatile uint64_t x = 0;
    for (int i = 0; i < 10000000; ++i) x = x + static_cast<uint64_t>(i);
    return 0;
  });
  ASSERT_EQ(WaitFor(pid), 0);
  EXPECT_EQ(programs_->StatsEntries(), before);
  EXPECT_EQ(programs_->Read(*id).status().code(), absl::StatusCode::kNotFound);
}

TEST(AccountingLoadTest, WithoutTheCapabilitiesLoadFailsWithPermissionDenied) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "the test drops capabilities root has";
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Every capability gone (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN among them).
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capset, &header, data) != 0) _exit(90);
    absl::StatusOr<std::unique_ptr<AccountingPrograms>> p = AccountingPrograms::Load({});
    if (p.ok()) _exit(91);
    if (p.status().code() != absl::StatusCode::kPermissionDenied) {
      fprintf(stderr, "%s\n", p.status().ToString().c_str());
      _exit(92);
    }
    _exit(0);
  }
  EXPECT_EQ(WaitFor(pid), 0) << "90: no capset, 91: loaded anyway, 92: another error";
}

}  // namespace
}  // namespace berth::bpf
