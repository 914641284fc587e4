#include "agent/driver/real_driver.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/runtime/docker_rules.h"
#include "agent/runtime/launch.h"
#include "agent/runtime/launch_trace.h"
#include "agent/runtime/reattach.h"
#include "agent/runtime/record_format.h"
#include "agent/runtime/records.h"
#include "cgroups/stats.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::agent {

// What the driver holds for a container from Create until Remove.
struct RealDriver::Live {
  std::string task_id;
  std::optional<cgroups::Cgroup> cgroup;
  images::ImageStore::Lease lease;
  std::unique_ptr<runtime::LogWriter> logs;
  io::UniqueFd shim_pidfd;
  io::OpId watch = 0;
  bool orphan = false;  // the shim is an earlier agent's child: Poll, not waitid
  absl::AnyInvocable<void(ContainerExit)> on_exit;
};

namespace {

runtime::ProcessId ToRuntime(const ProcessIdentity& id) {
  return runtime::ProcessId{id.pid, id.start_time};
}
ProcessIdentity FromRuntime(const runtime::ProcessId& id) {
  return ProcessIdentity{id.pid, id.start_time};
}

absl::Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return ErrnoStatus(ec.value(), absl::StrCat("failed to create directory ", path));
  }
  return absl::OkStatus();
}

absl::Status WriteSmallFile(const std::string& path, std::string_view text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("failed to create ", path));
  }
  ssize_t n = write(fd, text.data(), text.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return ErrnoStatus(n < 0 ? err : EIO, absl::StrCat("failed to write ", path));
  }
  return absl::OkStatus();
}

cgroups::ContainerLimits LimitsOf(const ContainerSpec& c) {
  cgroups::ContainerLimits limits;
  limits.cpu_units = c.cpu;
  if (c.memory.has_value()) limits.memory_mib = *c.memory;
  if (c.memory_reservation.has_value()) limits.memory_reservation_mib = *c.memory_reservation;
  return limits;
}

// What a container directory holds before its launch (the docs/agent.md
// layout), made ahead by SpareDirs: the identity records' temporary names
// (record_format.h writes <name>.tmp, then renames it), and the log under a
// name Create gives the container's id.
// The upper layer comes with /etc and the targets of the binds Start adds
// (runtime::FitPremadeEtc fits them to the image).
constexpr char kSpareLog[] = "container-json.log";
constexpr const char* kEtcTargets[] = {"hosts", "hostname", "resolv.conf"};

bool HostHasResolvConf() { return access("/etc/resolv.conf", R_OK) == 0; }

std::vector<SpareEntry> ContainerSkeleton() {
  std::vector<SpareEntry> layout = {
      {"state", true},    {"fs", true},        {"fs/rootfs", true},     {"fs/upper", true},
      {"fs/work", true},  {"hosts", false},    {"hostname", false},     {kSpareLog, false},
      {"fs/upper/etc", true}};
  for (const char* target : kEtcTargets) {
    layout.push_back({absl::StrCat("fs/upper/etc/", target), false});
  }
  for (const char* record : {runtime::kShimRecord, runtime::kContainerRecord}) {
    layout.push_back({absl::StrCat("state/", record, runtime::kRecordTempSuffix), false});
  }
  return layout;
}

}  // namespace

RealDriver::RealDriver(io::EventLoop& loop, io::WorkerPool& pool, images::ImageStore& images,
                       const cgroups::BerthRoot& root, RealDriverOptions options)
    : loop_(loop),
      pool_(pool),
      images_(images),
      root_(root),
      options_(std::move(options)),
      spares_(pool, options_.data_dir + "/spare", ContainerSkeleton(),
              options_.spare_container_dirs) {
  // Spares are renamed into containers/: it must exist before the first
  // launch (a rename does not make parents).
  if (!options_.data_dir.empty()) {
    if (absl::Status s = MakeDirs(options_.data_dir + "/containers"); !s.ok()) {
      LOG(WARNING) << s;
    }
  }
  spares_.Start();
}

RealDriver::~RealDriver() {
  for (auto& [id, live] : live_) {
    if (live->watch != 0) {
      loop_.Cancel(live->watch);
    }
    live->on_exit = nullptr;
  }
}

std::vector<std::pair<std::string, std::string>> RealDriver::RunningCgroups() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [id, live] : live_) {
    if (live->cgroup.has_value() && live->watch != 0) {
      out.emplace_back(id, live->cgroup->path());
    }
  }
  return out;
}

void RealDriver::Track(const cgroups::Cgroup& cg) {
  if (options_.cgroup_tracker == nullptr) {
    return;
  }
  absl::StatusOr<uint64_t> id = cg.Id();
  if (!id.ok()) {
    LOG(WARNING) << "no accounting for " << cg.path() << ": " << id.status();
    return;
  }
  options_.cgroup_tracker->Track(*id);
}

std::string RealDriver::Key(const TaskSpec& task, std::string_view container) {
  return absl::StrCat(task.arn, "/", Absl(container));
}

std::string RealDriver::ContainerDir(std::string_view runtime_id) const {
  return absl::StrCat(options_.data_dir, "/containers/", Absl(runtime_id));
}

std::string RealDriver::LogPath(std::string_view runtime_id) const {
  return absl::StrCat(ContainerDir(runtime_id), "/", Absl(runtime_id), "-json.log");
}

void RealDriver::Preload(const std::vector<TaskState>& states, absl::AnyInvocable<void()> done) {
  struct Pending {
    size_t left = 1;
    absl::AnyInvocable<void()> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->done = std::move(done);
  auto finish_one = [pending] {
    if (--pending->left == 0) {
      pending->done();
    }
  };
  for (const TaskState& state : states) {
    if (state.desired == TaskStatus::kStopped || state.known == TaskStatus::kStopped) {
      continue;
    }
    for (size_t i = 0; i < state.containers.size() && i < state.spec.containers.size(); ++i) {
      const ContainerState& c = state.containers[i];
      const bool will_start = c.known == ContainerStatus::kPulled ||
                              (c.known == ContainerStatus::kCreated && c.shim.empty());
      if (!will_start) {
        continue;
      }
      const ContainerSpec& spec = state.spec.containers[i];
      std::string key = Key(state.spec, spec.name);
      ++pending->left;
      images_.Get(spec.image, [this, key, image = spec.image,
                               finish_one](absl::StatusOr<images::Image> got) mutable {
        if (got.ok()) {
          pulled_[key] = *std::move(got);
        } else {
          LOG(WARNING) << "failed to resolve image " << image << " for " << key
                       << " after a restart: " << got.status();
        }
        finish_one();
      });
    }
  }
  loop_.Post(std::move(finish_one));
}

void RealDriver::Pull(const TaskSpec& task, const ContainerSpec& container,
                      absl::AnyInvocable<void(absl::StatusOr<PulledImage>)> done) {
  std::string key = Key(task, container.name);
  images_.Get(container.image, [this, key = std::move(key), done = std::move(done)](
                                   absl::StatusOr<images::Image> got) mutable {
    if (!got.ok()) {
      done(got.status());
      return;
    }
    PulledImage pulled{got->image_id, got->manifest_digest};
    pulled_[key] = *std::move(got);
    done(std::move(pulled));
  });
}

absl::StatusOr<cgroups::Cgroup> RealDriver::TaskCgroup(const TaskSpec& task) {
  auto it = task_cgroups_.find(task.id);
  if (it != task_cgroups_.end()) {
    return cgroups::Cgroup::Open(it->second.path());
  }
  return root_.OpenTask(task.id);
}

absl::Status RealDriver::CreateTask(const TaskSpec& task) {
  absl::StatusOr<cgroups::Cgroup> cg = root_.CreateTask(task.id);
  if (!cg.ok()) {
    return cg.status();
  }
  if (options_.task_limits || options_.task_pids_limit.has_value()) {
    cgroups::TaskLimits limits;
    if (options_.task_limits) {
      limits.cpu_units = task.cpu_units;
      limits.memory_mib = task.memory_mib;
    }
    limits.pids_max = options_.task_pids_limit;
    limits.cpu_period = options_.cpu_period;
    std::vector<cgroups::ContainerLimits> containers;
    for (const ContainerSpec& c : task.containers) {
      containers.push_back(LimitsOf(c));
    }
    absl::StatusOr<std::vector<cgroups::CgroupFile>> files = cgroups::TaskFiles(limits, containers);
    if (!files.ok()) {
      return files.status();
    }
    absl::StatusOr<cgroups::ApplyResult> applied = cgroups::Apply(*cg, *files);
    if (!applied.ok()) {
      return applied.status();
    }
    skipped_limit_writes_ += applied->skipped.size();
  }
  task_cgroups_.insert_or_assign(task.id, *std::move(cg));
  return absl::OkStatus();
}

absl::Status RealDriver::Create(const TaskSpec& task, const ContainerSpec& container,
                                ContainerState& state) {
  runtime::LaunchStamp(runtime::LaunchStep::kCreateBegin);
  const std::string dir = ContainerDir(state.runtime_id);
  absl::StatusOr<bool> took = spares_.Take(dir);
  if (!took.ok()) {
    LOG(WARNING) << "container " << state.runtime_id << ": " << took.status();
  }
  // A skeleton's log gets the container's name and its upper /etc is fitted
  // to the image. Done whether or not a spare was taken just now: a Create
  // repeated after a crash (the container never ran) finishes what the first
  // one began, and without a skeleton there is nothing to do.
  const std::string spare_log = absl::StrCat(dir, "/", kSpareLog);
  const int moved = container.log_driver == "none"
                        ? unlink(spare_log.c_str())
                        : rename(spare_log.c_str(), LogPath(state.runtime_id).c_str());
  if (moved != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("failed to rename ", spare_log));
  }
  {
    std::vector<std::string> unused;
    if (!HostHasResolvConf()) unused.emplace_back("resolv.conf");
    auto image = pulled_.find(Key(task, container.name));
    std::vector<std::string> layers;
    if (image != pulled_.end()) {
      layers.assign(image->second.layer_dirs.rbegin(), image->second.layer_dirs.rend());
    }
    RETURN_IF_ERROR(runtime::FitPremadeEtc(dir + "/fs/upper", layers, unused));
  }
  RETURN_IF_ERROR(MakeDirs(dir + "/state"));
  RETURN_IF_ERROR(MakeDirs(dir + "/fs"));
  absl::StatusOr<cgroups::Cgroup> task_cg = TaskCgroup(task);
  if (!task_cg.ok()) {
    return task_cg.status();
  }
  absl::StatusOr<cgroups::Cgroup> cg =
      task_cg->CreateChild(container.name, cgroups::Cgroup::IfExists::kReuse);
  if (!cg.ok()) {
    return cg.status();
  }
  absl::StatusOr<cgroups::ApplyResult> applied =
      cgroups::Apply(*cg, cgroups::ContainerFiles(LimitsOf(container)));
  if (!applied.ok()) {
    return applied.status();
  }
  skipped_limit_writes_ += applied->skipped.size();
  Track(*cg);
  auto live = std::make_unique<Live>();
  live->task_id = task.id;
  live->cgroup = *std::move(cg);
  auto image = pulled_.find(Key(task, container.name));
  if (image != pulled_.end()) {
    live->lease = images_.Acquire(image->second);
  }
  live_.insert_or_assign(state.runtime_id, std::move(live));
  runtime::LaunchStamp(runtime::LaunchStep::kCreateEnd);
  return absl::OkStatus();
}

RealDriver::Live& RealDriver::LiveFor(const ContainerState& state) {
  std::unique_ptr<Live>& live = live_[state.runtime_id];
  if (live == nullptr) {
    live = std::make_unique<Live>();
  }
  return *live;
}

absl::Status RealDriver::Start(const TaskSpec& task, const ContainerSpec& container,
                               ContainerState& state,
                               absl::AnyInvocable<void(ContainerExit)> on_exit) {
  runtime::LaunchStamp(runtime::LaunchStep::kStartBegin);
  auto image = pulled_.find(Key(task, container.name));
  if (image == pulled_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the image ", container.image, " is not available on this instance"));
  }
  const images::ImageConfig& config = image->second.config;
  Live& live = LiveFor(state);
  if (!live.cgroup.has_value()) {
    // Created by an earlier agent process: find its cgroup again.
    absl::StatusOr<cgroups::Cgroup> task_cg = TaskCgroup(task);
    if (!task_cg.ok()) return task_cg.status();
    absl::StatusOr<cgroups::Cgroup> cg = task_cg->OpenChild(container.name);
    if (!cg.ok()) return cg.status();
    Track(*cg);
    live.cgroup = *std::move(cg);
    live.task_id = task.id;
    live.lease = images_.Acquire(image->second);
  }

  runtime::LaunchSpec spec;
  absl::StatusOr<std::vector<std::string>> argv = runtime::MergeCommand(
      config.entrypoint, config.cmd, container.entry_point, container.command);
  if (!argv.ok()) {
    return argv.status();
  }
  spec.argv = *std::move(argv);
  if (container.hostname.has_value()) {
    spec.hostname = *container.hostname;
  } else if (task.network_mode == ecs::NetworkMode::kHost) {
    spec.hostname = options_.host_hostname;
  } else {
    spec.hostname = state.runtime_id.substr(0, 12);  // Docker's default
  }
  std::vector<std::pair<std::string, std::string>> env = container.environment;
  if (!metadata_base_url_.empty() && !state.metadata_id.empty()) {
    env.emplace_back("ECS_CONTAINER_METADATA_URI",
                     absl::StrCat(metadata_base_url_, "/v3/", state.metadata_id));
    env.emplace_back("ECS_CONTAINER_METADATA_URI_V4",
                     absl::StrCat(metadata_base_url_, "/v4/", state.metadata_id));
  }
  spec.env = runtime::MergeEnvironment(config.env, env, spec.hostname);
  spec.user = container.user.value_or(config.user);
  spec.working_dir = container.working_directory.value_or(config.working_dir);
  spec.readonly_root = container.readonly_root_filesystem;
  spec.layers.assign(image->second.layer_dirs.rbegin(), image->second.layer_dirs.rend());
  const std::string dir = ContainerDir(state.runtime_id);
  spec.state_dir = dir + "/state";
  spec.container_dir = dir + "/fs";
  spec.cgroup_fd = live.cgroup->fd();
  // What Docker gives every container: /etc/hostname, /etc/hosts (localhost
  // and its own name) and the host's /etc/resolv.conf (tasks share the
  // host's network for now).
  {
    const std::string hosts = absl::StrCat(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t",
        spec.hostname.empty() ? std::string("localhost") : spec.hostname, "\n");
    RETURN_IF_ERROR(WriteSmallFile(dir + "/hosts", hosts));
    RETURN_IF_ERROR(WriteSmallFile(dir + "/hostname", spec.hostname + "\n"));
    spec.binds.push_back(runtime::BindMount{dir + "/hosts", "/etc/hosts", false});
    spec.binds.push_back(runtime::BindMount{dir + "/hostname", "/etc/hostname", false});
    if (HostHasResolvConf()) {
      spec.binds.push_back(runtime::BindMount{"/etc/resolv.conf", "/etc/resolv.conf", true});
    }
  }
  if (container.init_process_enabled) {
    if (options_.init_path.empty()) {
      return absl::FailedPreconditionError(
          "initProcessEnabled needs berth-init, which this agent could not find");
    }
    spec.init = true;
    spec.init_path = options_.init_path;
  }
  spec.shim_path = options_.shim_path;
  absl::StatusOr<runtime::Launched> launched = runtime::Launch(spec);
  if (!launched.ok()) {
    return launched.status();
  }
  state.shim = FromRuntime(launched->shim);
  state.process = FromRuntime(launched->container);
  state.network_bindings.clear();
  for (const ecs::PortMapping& m : container.port_mappings) {
    if (!m.container_port.has_value()) continue;
    NetworkBinding b;
    b.container_port = *m.container_port;
    // Every task shares the host's network namespace for now (docs/agent.md):
    // the container listens on the host at its container port.
    b.host_port = *m.container_port;
    b.protocol = std::string(ecs::ToString(m.EffectiveProtocol()));
    state.network_bindings.push_back(std::move(b));
  }
  live.on_exit = std::move(on_exit);
  StartLogs(live, container, state.runtime_id, std::move(launched->stdout_fd),
            std::move(launched->stderr_fd));
  WatchShimChild(live, std::move(launched->shim_pidfd), state.runtime_id);
  runtime::LaunchStamp(runtime::LaunchStep::kStartEnd);
  return absl::OkStatus();
}

void RealDriver::StartLogs(Live& live, const ContainerSpec& container,
                           const std::string& runtime_id, io::UniqueFd out, io::UniqueFd err) {
  const std::string path = container.log_driver == "none" ? "/dev/null" : LogPath(runtime_id);
  absl::StatusOr<std::unique_ptr<runtime::LogWriter>> logs =
      runtime::LogWriter::Start(loop_, path, std::move(out), std::move(err), [] {});
  if (!logs.ok()) {
    LOG(WARNING) << "container " << runtime_id << ": its output is not logged: "
                 << logs.status();
    return;
  }
  live.logs = *std::move(logs);
}

void RealDriver::WatchShimChild(Live& live, io::UniqueFd pidfd, std::string runtime_id) {
  live.shim_pidfd = std::move(pidfd);
  live.orphan = false;
  live.watch = loop_.WaitPidfd(
      live.shim_pidfd.get(),
      [this, runtime_id = std::move(runtime_id)](absl::StatusOr<io::ExitStatus> status) {
        auto it = live_.find(runtime_id);
        if (it == live_.end()) return;
        it->second->watch = 0;
        if (!status.ok()) {
          if (status.status().code() == absl::StatusCode::kCancelled) return;
          // The shim could not be reaped; its record still says how it ended.
          absl::StatusOr<runtime::ExitRecord> record =
              runtime::ReadExitRecord(ContainerDir(runtime_id) + "/state");
          if (record.ok()) {
            Finish(runtime_id, ExitOf(runtime_id, record->si_code, record->status));
          } else {
            ContainerExit exit;
            exit.error = absl::StrCat("ContainerVanishedError: failed to wait for the container: ",
                                      status.status().message());
            Finish(runtime_id, std::move(exit));
          }
          return;
        }
        Finish(runtime_id, ExitOf(runtime_id, status->si_code, status->status));
      });
}

void RealDriver::WatchOrphanShim(Live& live, io::UniqueFd pidfd, std::string runtime_id) {
  live.shim_pidfd = std::move(pidfd);
  live.orphan = true;
  live.watch = loop_.Poll(live.shim_pidfd.get(), POLLIN,
                          [this, runtime_id = std::move(runtime_id)](int32_t result) {
                            auto it = live_.find(runtime_id);
                            if (it == live_.end()) return;
                            it->second->watch = 0;
                            if (result == -ECANCELED) return;
                            absl::StatusOr<runtime::ExitRecord> record =
                                runtime::ReadExitRecord(ContainerDir(runtime_id) + "/state");
                            if (record.ok()) {
                              Finish(runtime_id,
                                     ExitOf(runtime_id, record->si_code, record->status));
                              return;
                            }
                            ContainerExit exit;
                            exit.error = absl::StrCat(
                                "ContainerVanishedError: the container's monitor ended without "
                                "recording its exit: ",
                                record.status().message());
                            Finish(runtime_id, std::move(exit));
                          });
}

ContainerExit RealDriver::ExitOf(const std::string& runtime_id, int si_code, int status) {
  ContainerExit exit;
  exit.exit_code = si_code == CLD_EXITED ? status : 128 + status;
  auto it = live_.find(runtime_id);
  if (it != live_.end() && it->second->cgroup.has_value()) {
    // Only the container's own cgroup decides (Amazon's agent believed any
    // OOM kill in the container: its #2467). Without the memory controller
    // there is no memory.events, and no kill could have been a limit's.
    absl::StatusOr<uint64_t> kills = cgroups::OomKills(*it->second->cgroup);
    exit.oom_killed = kills.ok() && *kills > 0;
  }
  return exit;
}

void RealDriver::Finish(const std::string& runtime_id, ContainerExit exit) {
  auto it = live_.find(runtime_id);
  if (it == live_.end()) return;
  Live& live = *it->second;
  live.shim_pidfd.Reset();
  if (live.on_exit) {
    auto on_exit = std::move(live.on_exit);
    live.on_exit = nullptr;
    on_exit(std::move(exit));
  }
}

void RealDriver::Reattach(const TaskSpec& task, const ContainerSpec& container,
                          ContainerState& state,
                          absl::AnyInvocable<void(ContainerExit)> on_exit) {
  const std::string state_dir = ContainerDir(state.runtime_id) + "/state";
  if (state.shim.empty()) {
    // The start intent was persisted; did the earlier process get as far as
    // the shim? The shim writes its own record before it starts anything.
    absl::StatusOr<runtime::ProcessId> shim =
        runtime::ReadIdentityRecord(state_dir, runtime::kShimRecord);
    if (!shim.ok()) {
      // No shim record. If the container's cgroup holds processes anyway, a
      // shim got further than its record says: never answer "not started"
      // when unsure (at most once beats at least once). End them and report
      // the container vanished.
      std::optional<cgroups::Cgroup> cg;
      if (absl::StatusOr<cgroups::Cgroup> task_cg = TaskCgroup(task); task_cg.ok()) {
        if (absl::StatusOr<cgroups::Cgroup> found = task_cg->OpenChild(container.name);
            found.ok()) {
          cg = *std::move(found);
        }
      }
      absl::StatusOr<bool> populated =
          cg.has_value() ? cg->Populated() : absl::StatusOr<bool>(false);
      if (populated.ok() && !*populated) {
        return;  // never started: the engine starts it
      }
      if (cg.has_value()) (void)cg->Kill();
      ContainerExit exit;
      exit.error =
          "ContainerVanishedError: the agent stopped while starting this container, whose "
          "processes had no monitor; they were killed";
      on_exit(std::move(exit));
      return;
    }
    state.shim = FromRuntime(*shim);
    absl::StatusOr<runtime::ProcessId> process =
        runtime::ReadIdentityRecord(state_dir, runtime::kContainerRecord);
    if (process.ok()) {
      state.process = FromRuntime(*process);
    }
  }
  Live& live = LiveFor(state);
  live.task_id = task.id;
  live.on_exit = std::move(on_exit);
  if (!live.cgroup.has_value()) {
    absl::StatusOr<cgroups::Cgroup> task_cg = TaskCgroup(task);
    if (task_cg.ok()) {
      absl::StatusOr<cgroups::Cgroup> cg = task_cg->OpenChild(container.name);
      if (cg.ok()) {
        Track(*cg);
        live.cgroup = *std::move(cg);
      }
    }
  }
  absl::StatusOr<runtime::Reattached> found =
      runtime::Reattach(state_dir, ToRuntime(state.shim), ToRuntime(state.process));
  if (!found.ok()) {
    // Nothing says how it ended. Whatever still runs of it has no monitor:
    // end it, so the task's report (ContainerVanishedError) is the truth.
    if (live.cgroup.has_value()) {
      (void)live.cgroup->Kill();
    }
    ContainerExit exit;
    exit.error = absl::StrCat("ContainerVanishedError: ", found.status().message());
    Finish(state.runtime_id, std::move(exit));
    return;
  }
  if (!found->running) {
    Finish(state.runtime_id, ExitOf(state.runtime_id, found->exit.si_code, found->exit.status));
    return;
  }
  StartLogs(live, container, state.runtime_id, std::move(found->stdout_fd),
            std::move(found->stderr_fd));
  WatchOrphanShim(live, std::move(found->shim_pidfd), state.runtime_id);
}

void RealDriver::Signal(const ContainerState& state, int signal) {
  if (state.process.empty()) return;
  absl::Status s = runtime::Signal(ToRuntime(state.process), signal);
  if (!s.ok() && s.code() != absl::StatusCode::kNotFound) {
    LOG(WARNING) << "failed to signal container " << state.runtime_id << ": " << s;
  }
}

void RealDriver::Kill(const ContainerState& state) {
  auto it = live_.find(state.runtime_id);
  if (it == live_.end() || !it->second->cgroup.has_value()) {
    Signal(state, SIGKILL);
    return;
  }
  absl::Status s = it->second->cgroup->Kill();
  if (!s.ok() && ErrnoOf(s) != ENOENT) {
    LOG(WARNING) << "failed to kill container " << state.runtime_id << ": " << s;
    Signal(state, SIGKILL);
  }
}

void RealDriver::Remove(const TaskSpec& task, const ContainerState& state) {
  auto it = live_.find(state.runtime_id);
  std::optional<cgroups::Cgroup> cg;
  if (it != live_.end()) {
    if (it->second->watch != 0) loop_.Cancel(it->second->watch);
    it->second->on_exit = nullptr;
    cg = std::move(it->second->cgroup);
    live_.erase(it);
  }
  if (!cg.has_value()) {
    absl::StatusOr<cgroups::Cgroup> task_cg = TaskCgroup(task);
    if (task_cg.ok()) {
      absl::StatusOr<cgroups::Cgroup> found = task_cg->OpenChild(state.name);
      if (found.ok()) cg = *std::move(found);
    }
  }
  if (cg.has_value()) {
    DestroyWhenEmpty(*std::move(cg), absl::StrCat("container ", state.runtime_id), 3);
  }
  pulled_.erase(Key(task, state.name));
  if (!state.runtime_id.empty()) {
    // A container's upper layer may hold any number of files: deleted on a
    // worker, so the loop (polls, reports, endpoints) never waits for it.
    std::string dir = ContainerDir(state.runtime_id);
    pool_.Submit<std::string>(
        [dir]() -> std::string {
          std::error_code ec;
          std::filesystem::remove_all(dir, ec);
          return ec ? absl::StrCat("failed to remove ", dir, ": ", ec.message()) : "";
        },
        [](std::string error) {
          if (!error.empty()) LOG(WARNING) << error;
        });
  }
}

void RealDriver::RemoveTask(const TaskSpec& task) {
  task_cgroups_.erase(task.id);
  absl::StatusOr<cgroups::Cgroup> cg = root_.OpenTask(task.id);
  if (!cg.ok()) return;
  DestroyWhenEmpty(*std::move(cg), absl::StrCat("task ", task.id), 3);
}

void RealDriver::DestroyWhenEmpty(cgroups::Cgroup cg, std::string what, int tries) {
  absl::Status s = cg.Destroy();
  if (s.ok() || ErrnoOf(s) == ENOENT) return;
  if (ErrnoOf(s) != EBUSY || tries <= 0) {
    LOG(WARNING) << "failed to remove the cgroup of " << what << ": " << s;
    return;
  }
  // Processes are still leaving (or a straggler survived its container's
  // first process): kill what is left and try again once cgroup.events
  // says the cgroup is empty.
  (void)cg.Kill();
  absl::StatusOr<cgroups::EventsWatch> watch = cg.WatchEvents();
  if (!watch.ok()) {
    LOG(WARNING) << "failed to remove the cgroup of " << what << ": " << s;
    return;
  }
  absl::StatusOr<bool> populated = cg.Populated();
  if (populated.ok() && !*populated) {
    DestroyWhenEmpty(std::move(cg), std::move(what), tries - 1);
    return;
  }
  const int fd = watch->fd();
  auto w = std::make_shared<cgroups::EventsWatch>(*std::move(watch));
  loop_.Poll(fd, POLLPRI, [this, cg = std::move(cg), w, what = std::move(what),
                           tries](int32_t result) mutable {
    if (result == -ECANCELED) return;
    DestroyWhenEmpty(std::move(cg), std::move(what), tries - 1);
  });
}

}  // namespace berth::agent
