#ifndef BERTH_AGENT_IMAGES_HELPER_UNPACKER_H_
#define BERTH_AGENT_IMAGES_HELPER_UNPACKER_H_

// The agent's LayerUnpacker: runs berth-unpack (unpack_main.cc) once per
// layer, so that libarchive is never mapped into the agent and a bug in it, or
// a hostile tar, cannot reach the agent's memory.
//
//   worker thread ── posix_spawn(berth-unpack --parent-pid <agent>)
//                      fd 0 = blob, fd 3 = destination dir, fd 1 = pipe
//                 ── read the report from the pipe to EOF (unpack_report.h)
//                 ── waitpid(that pid)
//
// The agent is multithreaded, hence posix_spawn (vfork + exec), never fork.
// The child gets exactly fds 0-3 (2 is the agent's stderr), an empty
// environment but for the sanitizers' *SAN_OPTIONS, no blocked signals and
// default dispositions.

#include <string>
#include <vector>

#include "agent/images/layer_unpacker.h"

namespace berth::images {

class HelperUnpacker final : public LayerUnpacker {
 public:
  // `path`: the berth-unpack binary (the agent finds it: main.cc).
  // Reads the environment (for the *SAN_OPTIONS it passes on).
  explicit HelperUnpacker(std::string path);

  // The helper's report (its status and stats), or, when it gave none:
  // FailedPrecondition "failed to run berth-unpack <path>: <strerror>" when it
  // cannot be started (missing, not executable; the errno is kept), Internal
  // when it was killed by a signal, exited without a report or with one that
  // does not parse or contradicts its exit status.
  absl::Status Unpack(int blob_fd, int dest_dirfd, UnpackStats* stats) override;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> environment_;  // NAME=value, for the helper
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_HELPER_UNPACKER_H_
