#include "bench/control_api/control_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "io/absl_compat.h"

namespace berth::bench {

namespace {

constexpr std::string_view kReadyMarker = "berth-control ready on ";

}  // namespace

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::unique_ptr<ControlProcess>> ControlProcess::Start(
    const ControlProcessOptions& opts) {
  std::vector<std::string> args = {opts.binary, "--listen", "127.0.0.1:0", "--data-dir",
                                   opts.data_dir};
  args.insert(args.end(), opts.extra_args.begin(), opts.extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  int log_fd = open(opts.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("failed to open ", opts.log_path));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(log_fd);
    return absl::ErrnoToStatus(err, "failed to fork berth-control");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);
    }
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      dup2(null_fd, STDIN_FILENO);
    }
    if (opts.cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(opts.cpu, &set);
      sched_setaffinity(0, sizeof(set), &set);
    }
    execv(argv[0], argv.data());
    static const char kFailed[] = "berth_bench_control_api: failed to exec berth-control\n";
    (void)!write(STDERR_FILENO, kFailed, sizeof(kFailed) - 1);
    _exit(127);
  }
  close(log_fd);
  std::unique_ptr<ControlProcess> proc(new ControlProcess(pid, opts.log_path));
  auto deadline = std::chrono::steady_clock::now() + opts.ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string log = ReadFileOrEmpty(opts.log_path);
    size_t at = log.find(kReadyMarker);
    if (at != std::string::npos) {
      size_t line_end = log.find('\n', at);
      if (line_end != std::string::npos) {
        size_t line_start = log.rfind('\n', at);
        line_start = line_start == std::string::npos ? 0 : line_start + 1;
        proc->ready_line_ = log.substr(line_start, line_end - line_start);
        std::string_view rest = std::string_view(log).substr(at + kReadyMarker.size());
        std::string_view addr = rest.substr(0, rest.find(' '));
        absl::StatusOr<io::SocketAddress> parsed = io::SocketAddress::Parse(addr);
        if (!parsed.ok()) {
          proc->Stop(std::chrono::seconds(5));
          return absl::InternalError(absl::StrCat(
              "cannot read the address in berth-control's ready line: ", proc->ready_line_));
        }
        proc->address_ = *parsed;
        return proc;
      }
    }
    if (!proc->Alive()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "berth-control exited before it was ready (", proc->Stop(std::chrono::seconds(0)),
          "); its log ends:\n", proc->LogTail(2000)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string how = proc->Stop(std::chrono::seconds(5));
  return absl::DeadlineExceededError(
      absl::StrCat("berth-control did not print its ready line within ", opts.ready_timeout.count(),
                   " s (", how, "); its log ends:\n", proc->LogTail(2000)));
}

ControlProcess::~ControlProcess() {
  if (!exited_) {
    Stop(std::chrono::seconds(10));
  }
}

double ControlProcess::CpuSeconds() const {
  return StatCpuSeconds(absl::StrCat("/proc/", pid_, "/stat"));
}

double ControlProcess::MainThreadCpuSeconds() const {
  return StatCpuSeconds(absl::StrCat("/proc/", pid_, "/task/", pid_, "/stat"));
}

double ControlProcess::StatCpuSeconds(const std::string& path) {
  std::string stat = ReadFileOrEmpty(path);
  // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) {
    return 0;
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close_paren + 2), ' ');
  if (fields.size() < 13) {
    return 0;
  }
  double utime = 0;
  double stime = 0;
  if (!absl::SimpleAtod(fields[11], &utime) || !absl::SimpleAtod(fields[12], &stime)) {
    return 0;
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bool ControlProcess::Alive() {
  if (exited_) {
    return false;
  }
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    wait_status_ = status;
    return false;
  }
  return true;
}

bool ControlProcess::WaitExit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Alive()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string ControlProcess::Stop(std::chrono::seconds grace) {
  std::string how;
  if (Alive()) {
    kill(pid_, SIGTERM);
    if (!WaitExit(grace)) {
      kill(pid_, SIGKILL);
      WaitExit(std::chrono::seconds(30));
      how = " after SIGTERM timed out";
    }
  }
  if (!exited_) {
    return "still running";
  }
  if (WIFEXITED(wait_status_)) {
    return absl::StrCat("exit ", WEXITSTATUS(wait_status_), how);
  }
  return absl::StrCat("killed by signal ", WTERMSIG(wait_status_), how);
}

std::string ControlProcess::LogTail(size_t max_bytes) const {
  std::string log = ReadFileOrEmpty(log_path_);
  return log.size() <= max_bytes ? log : log.substr(log.size() - max_bytes);
}

}  // namespace berth::bench
