#ifndef BERTH_AGENT_DRIVER_SPARE_DIRS_H_
#define BERTH_AGENT_DRIVER_SPARE_DIRS_H_

// Container directories made ahead of time, off the loop.
//
// A launch used to create about ten files and directories on the data disk
// (the container's directory, its state, overlay and mount point
// directories, hosts, hostname, the log, the two identity records). Creating
// an inode is the slowest thing a launch does on a file system without a
// journal: ext4 then skips every inode freed in the last seconds
// (`recently_deleted`), so with tasks coming and going each creation costs
// 20-250 µs. SpareDirs keeps a few skeletons ready under
// <data dir>/spare/; a launch renames one into place (one rename, no inode
// allocated) and a worker makes the next.
//
// Layout: <dir>/<n> is ready; <dir>/<n>.tmp is being made and is removed at
// start (a crash while making one leaves nothing that looks ready).
// Everything runs on the loop thread except the making and removing, which
// run on the worker pool.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/worker_pool.h"

namespace berth::agent {

struct SpareEntry {
  std::string path;  // relative to the skeleton's root, parents listed first
  bool directory = false;
};

class SpareDirs {
 public:
  // Keeps up to `target` skeletons of `layout` in `dir` (made if missing).
  // 0 disables it: Take always says none.
  SpareDirs(io::WorkerPool& pool, std::string dir, std::vector<SpareEntry> layout,
            size_t target);
  ~SpareDirs();
  SpareDirs(const SpareDirs&) = delete;
  SpareDirs& operator=(const SpareDirs&) = delete;

  // Finds the skeletons an earlier agent left ready, removes half-made ones,
  // and fills up to the target; on the worker pool.
  void Start();

  // Renames a ready skeleton to `dest`, which must not exist (or be an empty
  // directory). False when none is ready (the caller makes its own); an
  // error when the rename failed for another reason than `dest` existing.
  // Fills up again in the background either way.
  absl::StatusOr<bool> Take(const std::string& dest);

  size_t ready() const { return ready_.size(); }

  // Runs `done` on the loop once nothing is being made any more (tests).
  void WhenIdle(absl::AnyInvocable<void()> done);

 private:
  struct Scan {
    std::string error;
    std::vector<std::string> ready;
    uint64_t next = 0;
  };
  static Scan ScanDir(const std::string& dir);
  void Started(Scan scan);
  void Made(uint64_t n, std::string error);
  void Refill();
  void MaybeIdle();

  io::WorkerPool& pool_;
  const std::string dir_;
  const std::vector<SpareEntry> layout_;
  const size_t target_;
  bool started_ = false;
  std::vector<std::string> ready_;  // names under dir_
  size_t making_ = 0;
  uint64_t next_ = 0;
  bool failing_logged_ = false;
  std::vector<absl::AnyInvocable<void()>> idle_waiters_;
  // Pool callbacks that arrive after destruction find it expired.
  std::shared_ptr<SpareDirs*> self_;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_DRIVER_SPARE_DIRS_H_
