#ifndef BERTH_AGENT_DRIVER_REAL_DRIVER_H_
#define BERTH_AGENT_DRIVER_REAL_DRIVER_H_

// The ContainerDriver that does it for real: images from the image store,
// cgroups under <cgroup2 mount>/berth, processes through the runtime's
// per-container shim, logs in Docker's json-file format. The engine's
// contract for each call is in agent/engine/container_driver.h and
// agent/engine/task_runner.h ("Start intent").
//
// On disk, per container (runtime id = the 64-hex "DockerId"):
//
//   <ECS_DATADIR>/containers/<runtime id>/
//       state/                      the shim's records (shim, container, exit)
//       fs/{upper,work,rootfs}      the overlayfs upper layer and mount point
//       <runtime id>-json.log       stdout and stderr, Docker's json-file format
//
// Removed by Remove() (ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION after the task
// stopped), as Docker removes a container's directory.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/driver/cgroup_tracker.h"
#include "agent/driver/spare_dirs.h"
#include "agent/engine/container_driver.h"
#include "agent/images/image.h"
#include "agent/images/image_store.h"
#include "agent/runtime/log_writer.h"
#include "cgroups/berth_root.h"
#include "cgroups/cgroup.h"
#include "cgroups/limits.h"
#include "io/event_loop.h"
#include "io/socket.h"
#include "io/worker_pool.h"

namespace berth::agent {

struct RealDriverOptions {
  std::string data_dir;  // ECS_DATADIR
  // berth-init on the host, for initProcessEnabled ("" = not available: such
  // a container fails to start with a clear reason).
  std::string init_path;
  // berth-shim on the host, which each container's shim becomes (required).
  std::string shim_path;
  // Task-level limits from the configuration (ECS_TASK_PIDS_LIMIT,
  // ECS_CGROUP_CPU_PERIOD) and whether task-level cpu/memory limits are set
  // at all (ECS_ENABLE_TASK_CPU_MEM_LIMIT).
  std::optional<int64_t> task_pids_limit;
  absl::Duration cpu_period = cgroups::kDefaultCpuPeriod;
  bool task_limits = true;
  // "http://127.0.0.1:51679": ECS_CONTAINER_METADATA_URI_V4 is this plus
  // "/v4/<metadata id>".
  std::string metadata_base_url;
  // The host's name, for containers of host-network tasks.
  std::string host_hostname;
  // Container directories kept ready under ECS_DATADIR/spare (spare_dirs.h):
  // a launch then allocates none of its own files. 0 makes them at launch.
  size_t spare_container_dirs = 4;
  // Told of every container cgroup (cgroup_tracker.h); nullptr: nobody.
  CgroupTracker* cgroup_tracker = nullptr;
};

class RealDriver final : public ContainerDriver {
 public:
  // `pool` runs the blocking part of a cleanup (deleting a container's
  // files, which may be many) off the loop.
  RealDriver(io::EventLoop& loop, io::WorkerPool& pool, images::ImageStore& images,
             const cgroups::BerthRoot& root, RealDriverOptions options);
  ~RealDriver() override;

  // After a restart, before TaskEngine::Restore: resolves the images of the
  // containers that will still be created or started (PULLED, or CREATED
  // without a shim), so Create/Start find them. `done` runs on the loop once
  // every image is resolved (a failure is logged; that container's Start then
  // fails with CannotStartContainerError).
  void Preload(const std::vector<TaskState>& states, absl::AnyInvocable<void()> done);

  void Pull(const TaskSpec& task, const ContainerSpec& container,
            absl::AnyInvocable<void(absl::StatusOr<PulledImage>)> done) override;
  absl::Status CreateTask(const TaskSpec& task) override;
  absl::Status Create(const TaskSpec& task, const ContainerSpec& container,
                      ContainerState& state) override;
  absl::Status Start(const TaskSpec& task, const ContainerSpec& container, ContainerState& state,
                     absl::AnyInvocable<void(ContainerExit)> on_exit) override;
  void Reattach(const TaskSpec& task, const ContainerSpec& container, ContainerState& state,
                absl::AnyInvocable<void(ContainerExit)> on_exit) override;
  void Signal(const ContainerState& state, int signal) override;
  void Kill(const ContainerState& state) override;
  void Remove(const TaskSpec& task, const ContainerState& state) override;
  void RemoveTask(const TaskSpec& task) override;

  // Limits that could not be written because the hierarchy lacks their
  // controller (counted; the agent warns once at start-up).
  uint64_t skipped_limit_writes() const { return skipped_limit_writes_; }
  size_t live_containers() const { return live_.size(); }
  // Where containers find the task metadata endpoint (once it listens: its
  // port may have been chosen by the kernel); replaces the option's.
  void SetMetadataBaseUrl(std::string url) { metadata_base_url_ = std::move(url); }
  // The containers whose process runs now (a shim is watching it): runtime
  // id and cgroup directory, for the stats collector.
  std::vector<std::pair<std::string, std::string>> RunningCgroups() const;

  std::string ContainerDir(std::string_view runtime_id) const;
  std::string LogPath(std::string_view runtime_id) const;

 private:
  struct Live;

  static std::string Key(const TaskSpec& task, std::string_view container);
  void Track(const cgroups::Cgroup& cg);
  absl::StatusOr<cgroups::Cgroup> TaskCgroup(const TaskSpec& task);
  Live& LiveFor(const ContainerState& state);
  void WatchShimChild(Live& live, io::UniqueFd pidfd, std::string runtime_id);
  void WatchOrphanShim(Live& live, io::UniqueFd pidfd, std::string runtime_id);
  void Finish(const std::string& runtime_id, ContainerExit exit);
  ContainerExit ExitOf(const std::string& runtime_id, int si_code, int status);
  // Destroys `cg`; while processes are still leaving it (EBUSY), kills them
  // and tries again when cgroup.events says it is empty, `tries` times.
  void DestroyWhenEmpty(cgroups::Cgroup cg, std::string what, int tries);
  void StartLogs(Live& live, const ContainerSpec& container, const std::string& runtime_id,
                 io::UniqueFd out, io::UniqueFd err);

  io::EventLoop& loop_;
  io::WorkerPool& pool_;
  images::ImageStore& images_;
  const cgroups::BerthRoot& root_;
  const RealDriverOptions options_;
  std::string metadata_base_url_ = options_.metadata_base_url;
  SpareDirs spares_;
  // Images resolved by Pull/Preload, by "<task arn>/<container name>".
  std::map<std::string, images::Image, std::less<>> pulled_;
  std::map<std::string, cgroups::Cgroup, std::less<>> task_cgroups_;  // by task id
  std::map<std::string, std::unique_ptr<Live>, std::less<>> live_;    // by runtime id
  uint64_t skipped_limit_writes_ = 0;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_DRIVER_REAL_DRIVER_H_
