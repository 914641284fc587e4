// berth_runtime_launch_bench: how long Launch takes, side by side with a
// plain fork+exec of the same program. Each round makes a fresh cgroup under
// /sys/fs/cgroup/unified, launches static busybox `true` through the shim
// and waits for the shim to exit (so a round is launch + run + exit + reap).
// Also the kernel floor (clone3 into a cgroup with the same namespaces, a
// bind root, pivot_root, exec; no shim, /dev, /proc, /sys, user or caps),
// interleaved round by round with the two Launch kinds. Root only; prints medians and 90th percentiles in microseconds, both until
// Launch returns (the container has exec'd) and for the whole round.
//
//   berth_runtime_launch_bench [rounds]   (default 300)

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/runtime/launch.h"

namespace fs = std::filesystem;
using berth::agent::runtime::Launch;
using berth::agent::runtime::LaunchSpec;
using Clock = std::chrono::steady_clock;

namespace {

void Report(const char* what, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  std::printf("%-46s median %7.0f us   p90 %7.0f us   (%zu rounds)\n", what, us[us.size() / 2],
              us[us.size() * 9 / 10], us.size());
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

// The kernel floor, for comparison: clone3 into the cgroup with the same
// namespaces, a bind of the root, pivot_root, exec. No shim, no /dev, /proc,
// /sys, no user, no caps. Returns the time until exec'd and reaped.
bool Floor(const std::string& rootfs, int cg_fd, Clock::time_point t, double* exec_us) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    return false;
  }
  clone_args args{};
  args.flags = CLONE_INTO_CGROUP | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cg_fd);
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    close(pipefd[0]);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
        mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0 &&
        chdir(rootfs.c_str()) == 0 && syscall(SYS_pivot_root, ".", ".") == 0 &&
        umount2(".", MNT_DETACH) == 0 && chdir("/") == 0) {
      execl("/bin/true", "true", nullptr);
    }
    _exit(127);
  }
  close(pipefd[1]);
  char c;
  (void)!read(pipefd[0], &c, 1);  // EOF at exec
  *exec_us = Since(t);
  close(pipefd[0]);
  int status = 0;
  waitpid(static_cast<pid_t>(pid), &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 300;
  if (geteuid() != 0) {
    std::fprintf(stderr, "needs root\n");
    return 77;
  }
  char tmpl[] = "/tmp/berth-launch-bench-XXXXXX";
  std::string root = mkdtemp(tmpl);
  std::string layer = root + "/layer";
  for (const char* d : {"/bin", "/etc", "/proc", "/dev", "/sys"}) {
    fs::create_directories(layer + d);
  }
  fs::copy_file("/bin/busybox", layer + "/bin/busybox");
  fs::create_symlink("busybox", layer + "/bin/true");
  std::ofstream(layer + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  std::ofstream(layer + "/etc/group") << "root:x:0:\n";
  std::string cg_parent = "/sys/fs/cgroup/unified/berth-launch-bench-" + std::to_string(getpid());
  if (mkdir(cg_parent.c_str(), 0755) != 0) {
    std::perror(cg_parent.c_str());
    return 1;
  }

  std::vector<double> fork_exec;
  for (int i = 0; i < rounds; ++i) {
    auto t = Clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      execl((layer + "/bin/busybox").c_str(), "true", nullptr);
      _exit(127);
    }
    waitpid(pid, nullptr, 0);
    fork_exec.push_back(Since(t));
  }

  // One round of each kind in turn, so the machine's load hits all alike.
  auto launch = [&](bool readonly, int i, double* exec_us, double* total_us) -> bool {
    std::string state = root + "/state" + std::to_string(readonly) + "-" + std::to_string(i);
    fs::create_directories(state);
    std::string cg = cg_parent + "/c";
    auto t = Clock::now();
    if (mkdir(cg.c_str(), 0755) != 0) {
      std::perror(cg.c_str());
      return false;
    }
    int cg_fd = open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    LaunchSpec spec;
    spec.cgroup_fd = cg_fd;
    spec.state_dir = state;
    spec.layers = {layer};
    spec.container_dir = root + "/c" + std::to_string(readonly) + "-" + std::to_string(i);
    spec.readonly_root = readonly;
    spec.argv = {"true"};
    spec.env = {"PATH=/bin"};
    spec.shim_path = BERTH_SHIM_PATH;
    auto launched = Launch(spec);
    *exec_us = Since(t);
    if (!launched.ok()) {
      std::fprintf(stderr, "%s\n", launched.status().ToString().c_str());
      return false;
    }
    siginfo_t info;
    waitid(static_cast<idtype_t>(P_PIDFD), launched->shim_pidfd.get(), &info, WEXITED);
    close(cg_fd);
    while (rmdir(cg.c_str()) != 0 && errno == EBUSY) {
    }
    *total_us = Since(t);
    return true;
  };
  std::vector<double> floor, overlay, bind, overlay_start, bind_start;
  bool ok = true;
  for (int i = 0; ok && i < rounds; ++i) {
    std::string cg = cg_parent + "/f";
    auto t = Clock::now();
    double floor_exec = 0;
    ok = mkdir(cg.c_str(), 0755) == 0;
    int cg_fd = open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok = ok && Floor(layer, cg_fd, t, &floor_exec);
    close(cg_fd);
    while (rmdir(cg.c_str()) != 0 && errno == EBUSY) {
    }
    floor.push_back(floor_exec);
    double e = 0, total = 0;
    ok = ok && launch(true, i, &e, &total);
    bind_start.push_back(e);
    bind.push_back(total);
    ok = ok && launch(false, i, &e, &total);
    overlay_start.push_back(e);
    overlay.push_back(total);
  }
  rmdir(cg_parent.c_str());
  fs::remove_all(root);
  if (!ok) {
    return 1;
  }
  Report("fork + exec + reap (no isolation)", fork_exec);
  Report("floor: mkdir cgroup + clone3, bind root, pivot, exec'd", floor);
  Report("overlayfs root: mkdir cgroup + Launch (exec'd)", overlay_start);
  Report("overlayfs root: + run, exit, reap, rmdir", overlay);
  Report("read-only bind root: mkdir cgroup + Launch", bind_start);
  Report("read-only bind root: + run, exit, reap, rmdir", bind);
  return 0;
}
