// berth_bench_accounting_overhead: what the accounting programs cost a
// context-switch-heavy workload. Two processes bounce a byte over two pipes
// (every round trip is two wakeups and two switches per side), in a cgroup
// of the bench's own; the rounds are timed three ways, alternating, in one
// run:
//   off        no accounting programs loaded
//   untracked  loaded, the cgroup not tracked (every other container's cost)
//   tracked    loaded and counting this cgroup (the full path of every hook)
//
//   berth_bench_accounting_overhead [--rounds 200000] [--samples 7]
//
// Prints JSON: the p50 of each, and tracked/off and untracked/off. Root only.
// Goal (issue 7): ≤ 2 % slower with accounting loaded.

#include <dirent.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bpf/accounting_programs.h"
#include "cgroups/mountinfo.h"

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool JoinCgroup(const std::string& dir) {
  FILE* f = fopen((dir + "/cgroup.procs").c_str(), "w");
  if (f == nullptr) return false;
  bool ok = fprintf(f, "%d\n", getpid()) > 0;
  return fclose(f) == 0 && ok;
}

// Seconds for `rounds` round trips between two processes in `cgroup`, both
// pinned to CPU 0 (every wakeup is a switch on that CPU, as a busy node sees).
double PingPong(const std::string& cgroup, int rounds) {
  int there[2];
  int back[2];
  if (pipe(there) != 0 || pipe(back) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof(one), &one);
    if (!JoinCgroup(cgroup)) _exit(2);
    char c;
    for (int i = 0; i < rounds; ++i) {
      if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1) _exit(3);
    }
    _exit(0);
  }
  // The parent runs the other side in a child of its own too, so both are
  // in the cgroup and neither is the bench process.
  pid_t driver = fork();
  if (driver == 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof(one), &one);
    if (!JoinCgroup(cgroup)) _exit(2);
    char c = 'x';
    double start = Now();
    for (int i = 0; i < rounds; ++i) {
      if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) _exit(3);
    }
    double took = Now() - start;
    // Report through the exit of a pipe: write the figure to stdout of the
    // bench (inherited).
    printf("%.9f\n", took);
    fflush(stdout);
    _exit(0);
  }
  close(there[0]);
  close(there[1]);
  close(back[0]);
  close(back[1]);
  int s1 = 0;
  int s2 = 0;
  waitpid(pid, &s1, 0);
  waitpid(driver, &s2, 0);
  return (WIFEXITED(s1) && WEXITSTATUS(s1) == 0 && WIFEXITED(s2) && WEXITSTATUS(s2) == 0) ? 0 : -1;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 200000;
  int samples = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rounds" && absl::SimpleAtoi(argv[i + 1], &rounds) && rounds > 0) continue;
    if (a == "--samples" && absl::SimpleAtoi(argv[i + 1], &samples) && samples > 0) continue;
    std::cerr << "usage: berth_bench_accounting_overhead [--rounds N] [--samples N]\n";
    return 2;
  }
  if (geteuid() != 0) {
    std::cerr << "berth_bench_accounting_overhead: needs root (BPF, cgroups)\n";
    return 2;
  }
  absl::StatusOr<std::string> mount = berth::cgroups::FindCgroup2MountOfHost(std::nullopt);
  if (!mount.ok()) {
    std::cerr << mount.status() << "\n";
    return 1;
  }
  const std::string root = absl::StrCat(*mount, "/berth-bench-accounting-", getpid());
  const std::string cgroup = root + "/pingpong";
  if (mkdir(root.c_str(), 0755) != 0 || mkdir(cgroup.c_str(), 0755) != 0) {
    std::cerr << "cannot create " << cgroup << ": " << strerror(errno) << "\n";
    return 1;
  }
  absl::StatusOr<uint64_t> id = berth::bpf::CgroupId(cgroup);
  // The child prints its time on stdout: read it back through a pipe.
  auto run = [&](const char* label) -> double {
    int out[2];
    if (pipe(out) != 0) return -1;
    fflush(stdout);
    int saved = dup(1);
    dup2(out[1], 1);
    close(out[1]);
    double ok = PingPong(cgroup, rounds);
    dup2(saved, 1);
    close(saved);
    char buf[64] = {};
    ssize_t n = read(out[0], buf, sizeof(buf) - 1);
    close(out[0]);
    if (ok < 0 || n <= 0) {
      std::cerr << label << ": the ping-pong failed\n";
      return -1;
    }
    return std::strtod(buf, nullptr);
  };
  std::vector<double> off;
  std::vector<double> untracked;
  std::vector<double> tracked;
  std::string hooks;
  // The three ways take turns going first, so a drift of the machine during
  // a sample does not always favour the same one.
  for (int s = 0; s < samples; ++s) {
    for (int k = 0; k < 3; ++k) {
      const int mode = (s + k) % 3;  // 0 off, 1 untracked, 2 tracked
      if (mode == 0) {
        off.push_back(run("off"));
        continue;
      }
      auto programs = berth::bpf::AccountingPrograms::Load({.attach_cgroup = root});
      if (!programs.ok()) {
        std::cerr << programs.status() << "\n";
        rmdir(cgroup.c_str());
        rmdir(root.c_str());
        return 1;
      }
      hooks = std::string((*programs)->scheduler_hooks());
      if (mode == 2 && (!id.ok() || !(*programs)->Track(*id).ok())) {
        std::cerr << "cannot track " << cgroup << "\n";
        return 1;
      }
      (mode == 1 ? untracked : tracked).push_back(run(mode == 1 ? "untracked" : "tracked"));
    }
  }
  // What one read costs the reader (the agent's stats round): the task
  // iterator walks every thread of the machine.
  std::vector<double> reads;
  {
    auto programs = berth::bpf::AccountingPrograms::Load({.attach_cgroup = root});
    if (!programs.ok() || !id.ok() || !(*programs)->Track(*id).ok()) {
      std::cerr << "cannot load and track for the read figure\n";
      return 1;
    }
    for (int i = 0; i < 201; ++i) {
      timespec a, b;
      clock_gettime(CLOCK_MONOTONIC, &a);
      auto all = (*programs)->ReadAll();
      clock_gettime(CLOCK_MONOTONIC, &b);
      if (!all.ok()) {
        std::cerr << all.status() << "\n";
        return 1;
      }
      reads.push_back(static_cast<double>(b.tv_sec - a.tv_sec) * 1e6 +
                      static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e3);
    }
  }
  int threads = 0;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* e = readdir(proc)) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      if (DIR* task = opendir(absl::StrCat("/proc/", e->d_name, "/task").c_str())) {
        while (dirent* t = readdir(task)) threads += t->d_name[0] != '.';
        closedir(task);
      }
    }
    closedir(proc);
  }
  rmdir(cgroup.c_str());
  rmdir(root.c_str());
  const double p_off = Median(off);
  const double p_untracked = Median(untracked);
  const double p_tracked = Median(tracked);
  printf(
      "{\"rounds\": %d, \"samples\": %d, \"scheduler_hooks\": \"%s\",\n"
      " \"p50_seconds\": {\"off\": %.6f, \"untracked\": %.6f, \"tracked\": %.6f},\n"
      " \"ns_per_round_trip\": {\"off\": %.1f, \"untracked\": %.1f, \"tracked\": %.1f},\n"
      " \"slowdown\": {\"untracked\": %.4f, \"tracked\": %.4f},\n"
      " \"read\": {\"threads_on_machine\": %d, \"p50_us\": %.1f}}\n",
      rounds, samples, hooks.c_str(), p_off, p_untracked, p_tracked, p_off / rounds * 1e9,
      p_untracked / rounds * 1e9, p_tracked / rounds * 1e9, p_untracked / p_off - 1,
      p_tracked / p_off - 1, threads, Median(reads));
  return 0;
}
