#ifndef BERTH_AGENT_RUNTIME_LOG_WRITER_H_
#define BERTH_AGENT_RUNTIME_LOG_WRITER_H_

// Copies a container's stdout and stderr into its json-file log
// (json_log.h), from the event loop: each pipe is polled for POLLIN through
// the loop and drained with non-blocking read(2) (io_uring's recv wants a
// socket; these are pipes), never a thread per container. Log lines are
// appended with write(2) on the loop thread (page cache; no fsync, as
// Docker's json-file).

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "io/event_loop.h"
#include "io/socket.h"

namespace berth::agent::runtime {

class LogWriter {
 public:
  // Appends to `path` (created 0640 if missing). The fds are the read ends
  // of the container's pipes (non-blocking; Launched or Reattached gives
  // them); either may be invalid. `done` runs once, on the loop, when both
  // have reached EOF (the container and everything it started have closed
  // them) and everything is written.
  static absl::StatusOr<std::unique_ptr<LogWriter>> Start(io::EventLoop& loop, std::string path,
                                                          io::UniqueFd stdout_fd,
                                                          io::UniqueFd stderr_fd,
                                                          absl::AnyInvocable<void()> done);
  // Stops copying (pending polls are cancelled; a partial line is dropped)
  // and closes the fds. `done` does not run.
  ~LogWriter();

  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  struct State;  // shared with pending loop callbacks

 private:
  explicit LogWriter(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_LOG_WRITER_H_
