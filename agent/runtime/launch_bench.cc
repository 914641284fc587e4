// berth_runtime_launch_bench: how long Launch takes, side by side with a
// plain fork+exec of the same program. Each round makes a fresh cgroup under
// /sys/fs/cgroup/unified, launches static busybox `true` through the shim
// and waits for the shim to exit (so a round is launch + run + exit + reap).
// Root only; prints medians and 90th percentiles in microseconds, both until
// Launch returns (the container has exec'd) and for the whole round.
//
//   berth_runtime_launch_bench [rounds]   (default 300)

#include <fcntl.h>
#include <sys/stat.h>
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

  auto run = [&](bool readonly, std::vector<double>& out, std::vector<double>& start) -> bool {
    for (int i = 0; i < rounds; ++i) {
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
      auto launched = Launch(spec);
      start.push_back(Since(t));
      if (!launched.ok()) {
        std::fprintf(stderr, "%s\n", launched.status().ToString().c_str());
        return false;
      }
      siginfo_t info;
      waitid(static_cast<idtype_t>(P_PIDFD), launched->shim_pidfd.get(), &info, WEXITED);
      close(cg_fd);
      while (rmdir(cg.c_str()) != 0 && errno == EBUSY) {
      }
      out.push_back(Since(t));
    }
    return true;
  };
  std::vector<double> overlay, bind, overlay_start, bind_start;
  bool ok = run(false, overlay, overlay_start) && run(true, bind, bind_start);
  rmdir(cg_parent.c_str());
  fs::remove_all(root);
  if (!ok) {
    return 1;
  }
  Report("fork + exec + reap (no isolation)", fork_exec);
  Report("overlayfs root: mkdir cgroup + Launch (exec'd)", overlay_start);
  Report("overlayfs root: + run, exit, reap, rmdir", overlay);
  Report("read-only bind root: mkdir cgroup + Launch", bind_start);
  Report("read-only bind root: + run, exit, reap, rmdir", bind);
  return 0;
}
