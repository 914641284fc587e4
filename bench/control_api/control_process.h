#ifndef BERTH_BENCH_CONTROL_API_CONTROL_PROCESS_H_
#define BERTH_BENCH_CONTROL_API_CONTROL_PROCESS_H_

// The berth-control child process of the control-API bench: started with
// `--listen 127.0.0.1:0 --data-dir DIR` (dev-mode auth), its stdout and
// stderr appended to a log file the bench reads the ready line from
// ("berth-control ready on 127.0.0.1:PORT (...)", control/main.cc), and
// stopped by its pid only: SIGTERM, then SIGKILL after a grace period. The
// child also gets PR_SET_PDEATHSIG(SIGKILL), so it never outlives the bench.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "io/socket.h"

namespace berth::bench {

struct ControlProcessOptions {
  std::string binary;
  std::string data_dir;
  std::string log_path;
  std::vector<std::string> extra_args;
  int cpu = -1;  // >= 0: the child runs on this CPU only
  std::chrono::seconds ready_timeout{15};
};

class ControlProcess {
 public:
  // Starts the child and waits for its ready line. If the child exits first,
  // the error holds the end of its log (so a caller can see, e.g., that a
  // flag is unknown to this build).
  static absl::StatusOr<std::unique_ptr<ControlProcess>> Start(const ControlProcessOptions& opts);
  ~ControlProcess();  // Stop() if still running
  ControlProcess(const ControlProcess&) = delete;
  ControlProcess& operator=(const ControlProcess&) = delete;

  pid_t pid() const { return pid_; }
  const io::SocketAddress& address() const { return address_; }
  std::string host() const { return address_.ToString(); }
  const std::string& ready_line() const { return ready_line_; }

  // utime + stime of the whole process (every thread) from /proc/PID/stat.
  double CpuSeconds() const;
  // The same for its main thread only (/proc/PID/task/PID/stat): berth-control's
  // event loop, where every operation runs; the rest is mostly the store's
  // writer thread.
  double MainThreadCpuSeconds() const;
  // False once the child has exited (reaped here).
  bool Alive();
  // SIGTERM, up to `grace` for a clean exit, then SIGKILL. Returns how it
  // ended ("exit 0", "killed by signal 9 after SIGTERM timed out", ...).
  std::string Stop(std::chrono::seconds grace);
  std::string LogTail(size_t max_bytes) const;

 private:
  ControlProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  bool WaitExit(std::chrono::milliseconds timeout);
  static double StatCpuSeconds(const std::string& path);

  pid_t pid_;
  std::string log_path_;
  io::SocketAddress address_;
  std::string ready_line_;
  bool exited_ = false;
  int wait_status_ = 0;
};

std::string ReadFileOrEmpty(const std::string& path);

}  // namespace berth::bench

#endif  // BERTH_BENCH_CONTROL_API_CONTROL_PROCESS_H_
