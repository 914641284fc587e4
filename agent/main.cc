// berth-agent: the node agent (docs/agent.md).
//
//   berth-agent [--config /etc/ecs/ecs.config] [--version]
//
// Start-up, in order: configuration (file + environment), credentials, host
// facts; the state store (ECS_DATADIR/agent.db) and what it holds; the
// cgroup v2 hierarchy (<mount>/berth, with or without enforcement); the
// image store; the engine, restored with every task the last process had
// (running containers are re-attached, none is started twice); the
// introspection server; then registration (with the saved ARN), the unsent
// reports, the long poll and telemetry. SIGTERM/SIGINT stop the agent and
// leave the containers running, as Amazon's agent does: the next start
// takes them back.
//
// Exit codes (Amazon's): 0 after a signal, 1 for an error worth a restart,
// 5 (terminal) when berth-control refused the registration for good.

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/config/agent_config.h"
#include "agent/config/credentials.h"
#include "agent/config/env_file.h"
#include "agent/config/host_facts.h"
#include "agent/config/registration.h"
#include "agent/driver/real_driver.h"
#include "agent/endpoints/agent_metrics.h"
#include "agent/endpoints/introspection_server.h"
#include "agent/endpoints/introspection_source.h"
#include "agent/endpoints/task_metadata_handler.h"
#include "agent/endpoints/version.h"
#include "agent/driver/cgroup_tracker.h"
#include "agent/engine/task_engine.h"
#include "agent/stats/container_stats.h"
#include "agent/images/image_store.h"
#include "agent/images/oci_json.h"
#include "agent/images/registry_client.h"
#include "agent/images/registry_source.h"
#include "agent/session/control_client.h"
#include "agent/session/control_error.h"
#include "agent/session/http_transport.h"
#include "agent/session/poll_session.h"
#include "agent/session/registration.h"
#include "agent/session/reporter.h"
#include "agent/session/telemetry_publisher.h"
#include "agent/state/agent_state_store.h"
#include "agent/state/state_sink.h"
#include "agent/task/task_spec.h"
#include "bpf/accounting_programs.h"
#include "cgroups/berth_root.h"
#include "cgroups/mountinfo.h"
#include "io/absl_compat.h"
#include "io/http_client.h"
#include "io/log.h"
#include "io/rng.h"
#include "io/socket.h"
#include "io/status.h"
#include "io/uring_loop.h"
#include "io/worker_pool.h"

namespace berth::agent {
namespace {

constexpr absl::Duration kShutdownGrace = absl::Seconds(2);

// The introspection API's view of the engine.
class EngineSource final : public endpoints::IntrospectionSource {
 public:
  EngineSource(const TaskEngine& engine, std::string cluster)
      : engine_(engine), cluster_(std::move(cluster)) {}
  void SetInstanceArn(std::string arn) { arn_ = std::move(arn); }
  void SetAccounting(endpoints::AgentMetadata::Accounting accounting) {
    accounting_ = std::move(accounting);
  }
  void SetStats(const stats::StatsCollector* collector) { stats_ = collector; }
  const stats::ContainerSample* LatestStats(std::string_view runtime_id) const override {
    return stats_ != nullptr ? stats_->Latest(runtime_id) : nullptr;
  }

  endpoints::AgentMetadata Metadata() const override {
    endpoints::AgentMetadata m;
    m.cluster = cluster_;
    if (!arn_.empty()) m.container_instance_arn = arn_;
    m.accounting = accounting_;
    return m;
  }
  void ForEachTask(absl::FunctionRef<void(const TaskState&)> fn) const override {
    for (const TaskState* task : engine_.Tasks()) fn(*task);
  }
  const TaskState* FindByArn(std::string_view arn) const override { return engine_.Find(arn); }

 private:
  const TaskEngine& engine_;
  std::string cluster_;
  std::string arn_;
  std::optional<endpoints::AgentMetadata::Accounting> accounting_;
  const stats::StatsCollector* stats_ = nullptr;
};

// The task metadata endpoint's view of the engine and the stats.
class MetadataSource final : public endpoints::TaskMetadataSource {
 public:
  MetadataSource(const TaskEngine& engine, std::string cluster,
                 const stats::StatsCollector* collector, endpoints::DockerStatsOptions options)
      : engine_(engine),
        cluster_(std::move(cluster)),
        collector_(collector),
        options_(options) {}
  Found FindByMetadataId(std::string_view id) const override {
    TaskEngine::ContainerRef ref = engine_.FindByMetadataId(id);
    if (ref.task == nullptr || ref.container == nullptr) return {};
    return {ref.task, static_cast<size_t>(ref.container - ref.task->containers.data())};
  }
  std::string_view Cluster() const override { return cluster_; }
  const stats::ContainerSample* LatestStats(std::string_view runtime_id) const override {
    return collector_ != nullptr ? collector_->Latest(runtime_id) : nullptr;
  }
  const stats::ContainerSample* PreviousStats(std::string_view runtime_id) const override {
    return collector_ != nullptr ? collector_->Previous(runtime_id) : nullptr;
  }
  endpoints::DockerStatsOptions StatsOptions() const override { return options_; }

 private:
  const TaskEngine& engine_;
  std::string cluster_;
  const stats::StatsCollector* collector_;
  endpoints::DockerStatsOptions options_;
};

// The driver's CgroupTracker over the eBPF accounting.
class AccountingTracker final : public CgroupTracker {
 public:
  explicit AccountingTracker(bpf::AccountingPrograms& programs) : programs_(programs) {}
  void Track(uint64_t cgroup_id) override {
    absl::Status s = programs_.Track(cgroup_id);
    if (!s.ok() && failures_++ < 10) {
      LOG(WARNING) << "accounting: " << s.message();
    }
  }

 private:
  bpf::AccountingPrograms& programs_;
  int failures_ = 0;
};

// A helper binary the agent runs: berth-init (PID 1 of initProcessEnabled
// containers), berth-shim (each container's monitor) and berth-unpack (one
// image layer per process).
struct HelperBinary {
  std::string_view name;
  std::string_view env_var;    // the variable that overrides the search (AgentConfig)
  std::string_view build_dir;  // where the build tree has it, beside agent/berth-agent
  std::string_view job;        // what it does, for the error when it is missing
};
constexpr HelperBinary kInitBinary = {"berth-init", "BERTH_INIT_PATH", "runtime",
                                      "is PID 1 of initProcessEnabled containers"};
constexpr HelperBinary kShimBinary = {"berth-shim", "BERTH_SHIM_PATH", "runtime",
                                      "watches each container"};
constexpr HelperBinary kUnpackBinary = {"berth-unpack", "BERTH_UNPACK_PATH", "images",
                                        "unpacks image layers"};

// `configured` (its env_var's value) when given, else the first executable
// of: next to this binary (installed), the build tree's <build_dir>/ beside
// it, /usr/libexec/berth. "" when there is none.
std::string FindHelperBinary(const std::string& configured, const HelperBinary& helper) {
  if (!configured.empty()) {
    return configured;
  }
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  self[n] = '\0';
  std::string dir(self);
  dir = dir.substr(0, dir.rfind('/'));
  std::string name(helper.name);
  for (const std::string& candidate :
       {absl::StrCat(dir, "/", name), absl::StrCat(dir, "/", Absl(helper.build_dir), "/", name),
        absl::StrCat("/usr/libexec/berth/", name)}) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// For a helper the agent cannot run without: says where it was looked for and
// returns the exit code.
int MissingHelperBinary(const HelperBinary& helper) {
  LOG(ERROR) << "refusing to start: " << helper.name << ", which " << helper.job
             << ", is not in " << helper.env_var << ", next to berth-agent, in "
             << helper.build_dir << "/ beside it or in /usr/libexec/berth";
  return 1;
}

images::PullBehavior ImagePullBehaviorOf(config::ImagePullBehavior behavior) {
  switch (behavior) {
    case config::ImagePullBehavior::kDefault:
      return images::PullBehavior::kDefault;
    case config::ImagePullBehavior::kAlways:
      return images::PullBehavior::kAlways;
    case config::ImagePullBehavior::kOnce:
      return images::PullBehavior::kOnce;
    case config::ImagePullBehavior::kPreferCached:
      return images::PullBehavior::kPreferCached;
  }
  return images::PullBehavior::kDefault;
}

int Usage(const char* argv0, std::string_view problem) {
  if (!problem.empty()) std::cerr << argv0 << ": " << problem << "\n";
  std::cerr << "usage: " << argv0 << " [--config PATH] [--version]\n"
            << "  --config PATH  the agent's configuration (KEY=VALUE lines, ECS_* variables;\n"
            << "                 default /etc/ecs/ecs.config); the environment overrides it\n";
  return 2;
}

// GnuTLS is mapped into the agent only because Debian's libcurl links
// librtmp, which links it; berth never uses it (libcurl's TLS is OpenSSL and
// only http and https are allowed), yet its constructor initialises it:
// 0.75 MB of the agent's resident memory. GNUTLS_NO_IMPLICIT_INIT skips that,
// but only when set before the exec, so the agent re-executes itself once
// with it set. (Children get an environment of their own: the shims, the
// unpacker and the containers never see it.)
void SkipGnutlsInit(char** argv) {
  if (getenv("GNUTLS_NO_IMPLICIT_INIT") != nullptr) {
    return;
  }
  if (setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1) != 0) {
    return;
  }
  execv("/proc/self/exe", argv);
  // Could not re-exec: carry on with GnuTLS initialised (a few hundred KB).
  unsetenv("GNUTLS_NO_IMPLICIT_INIT");
}

// The agent holds a few descriptors per running container (its cgroup
// directory, held open by the driver and by the stats collector, its pidfd
// and event watches), so systemd's default soft limit of 1024 open files
// would cap a node at a couple of hundred containers. Raise the soft limit
// to the hard one, as Go programs (Amazon's agent among them) do at start.
// Containers inherit it; Docker gives them a high limit by default too, and
// a task definition's `ulimits` still set their own.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);  // best effort: the old limit still works
  }
}

// Listens on a fixed address, waiting out a short-lived holder: an outgoing
// connection may have taken 51678 or 51679 as its ephemeral local port (both
// lie inside Linux's default ip_local_port_range), and bind fails with
// EADDRINUSE until it closes. Tries for up to 10 s; a listener there (another
// agent) still fails after that.
absl::Status ListenPatiently(const std::function<absl::Status()>& listen, std::string_view what) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (int attempt = 0;; ++attempt) {
    absl::Status s = listen();
    if (s.ok() || ErrnoOf(s) != EADDRINUSE || absl::Now() >= deadline) {
      return s;
    }
    if (attempt == 0) {
      LOG(WARNING) << Absl(what) << " is in use; trying again for up to 10 s: " << s.message();
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

int Main(int argc, char** argv) {
  SkipGnutlsInit(argv);
  RaiseOpenFileLimit();
  std::string config_path(config::kDefaultConfigPath);
  bool config_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--version") {
      std::cout << endpoints::AgentVersionString() << "\n";
      return 0;
    }
    if (arg == "--help" || arg == "-h") return Usage(argv[0], "");
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
      config_given = true;
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = std::string(arg.substr(9));
      config_given = true;
    } else {
      return Usage(argv[0], absl::StrCat("unknown argument '", Absl(arg), "'"));
    }
  }

  const config::EnvMap process_environment = config::ProcessEnvironment();
  // ecs.config under the environment: credentials may be in either, as for
  // Amazon's agent (ecs-init passes the file as the agent's environment).
  config::EnvMap environment = process_environment;
  absl::StatusOr<config::AgentConfig> loaded =
      config::LoadAgentConfig(config_path, config_given, process_environment, &environment);
  if (!loaded.ok()) {
    std::cerr << "berth-agent: refusing to start: " << loaded.status().message() << "\n";
    return 1;
  }
  const config::AgentConfig& cfg = *loaded;
  log::SetMinSeverity(cfg.log_level);
  LOG(INFO) << "configuration: " << config::Summary(cfg);
  for (const std::string& name : cfg.ignored_variables) {
    LOG(INFO) << "ignoring " << name << ": berth-agent does not use it";
  }
  for (const std::string& driver : cfg.unimplemented_logging_drivers) {
    LOG(WARNING) << "logging driver " << driver
                 << " is not implemented by berth: not advertised, tasks using it are not placed "
                    "here";
  }
  absl::StatusOr<config::AwsCredentials> credentials = config::LoadAwsCredentials(environment);
  if (!credentials.ok()) {
    LOG(ERROR) << "refusing to start: " << credentials.status().message();
    return 1;
  }
  absl::StatusOr<config::HostFacts> host = config::ReadHostFacts("/");
  if (!host.ok()) {
    LOG(ERROR) << "refusing to start: " << host.status().message();
    return 1;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &signals, nullptr) != 0) {
    LOG(ERROR) << "failed to block SIGINT/SIGTERM: " << std::strerror(errno);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  io::UniqueFd signal_fd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd.valid()) {
    LOG(ERROR) << "failed to create a signalfd: " << std::strerror(errno);
    return 1;
  }

  absl::StatusOr<std::unique_ptr<io::UringLoop>> loop_or = io::UringLoop::Create();
  if (!loop_or.ok()) {
    LOG(ERROR) << "refusing to start: " << loop_or.status().message();
    return 1;
  }
  io::UringLoop& loop = **loop_or;
  // Declared before the pool: the stats collector reads it from the pool's
  // threads, so it must outlive them (destroyed after the pool joins).
  std::unique_ptr<bpf::AccountingPrograms> accounting;
  io::WorkerPool pool(loop, 2);
  io::Rng rng(io::Rng::RandomSeed());

  // State.
  AgentStateOptions state_options;
  state_options.data_dir = cfg.data_dir;
  state_options.in_memory = !cfg.checkpoint;
  state_options.cluster = cfg.cluster;
  state_options.agent_version = std::string(endpoints::AgentVersion());
  absl::StatusOr<std::unique_ptr<AgentStateStore>> store_or = AgentStateStore::Open(state_options);
  if (!store_or.ok()) {
    LOG(ERROR) << "refusing to start: " << store_or.status().message();
    return 1;
  }
  AgentStateStore& store = **store_or;
  if (cfg.checkpoint) {
    // SQLite's checkpoints (two fsyncs) on a worker, not on a launch.
    if (absl::Status s = store.EnableBackgroundCheckpoints(pool); !s.ok()) {
      LOG(WARNING) << "checkpoints stay on the loop thread: " << s;
    }
  }
  absl::StatusOr<AgentSnapshot> snapshot = store.Load();
  if (!snapshot.ok()) {
    LOG(ERROR) << "refusing to start: the state in " << store.path()
               << " does not load: " << snapshot.status().message();
    return 1;
  }

  // cgroups.
  absl::StatusOr<std::string> mount = cgroups::FindCgroup2MountOfHost(cfg.cgroup_path);
  if (!mount.ok()) {
    LOG(ERROR) << "refusing to start: " << mount.status().message();
    return 1;
  }
  absl::StatusOr<cgroups::BerthRoot> root = cgroups::BerthRoot::OpenMount(*mount);
  if (!root.ok()) {
    LOG(ERROR) << "refusing to start: " << root.status().message();
    return 1;
  }
  const bool enforced = root->enforces_limits();
  if (!enforced) {
    LOG(WARNING) << "cgroup v2 at " << *mount << " offers berth no cpu, memory and pids "
                 << "controllers (a hybrid host?): tasks get their cgroups, but their CPU, "
                 << "memory and pids limits are NOT enforced (berth.cgroup-enforcement=false)";
  }

  // HTTP: berth-control and the image registries share one client (and so
  // the loop's sockets); the registry client is destroyed before it.
  absl::StatusOr<std::unique_ptr<io::HttpClient>> http = io::HttpClient::Create(loop);
  if (!http.ok()) {
    LOG(ERROR) << "refusing to start: " << http.status().message();
    return 1;
  }
  images::RegistryClientOptions registry_options;
  registry_options.auth = cfg.registry_auth;
  registry_options.insecure_registries = cfg.insecure_registries;
  registry_options.ca_dir = cfg.registry_certs_dir;
  registry_options.manifest_timeout = cfg.manifest_pull_timeout;
  registry_options.inactivity_timeout = cfg.image_pull_inactivity_timeout;
  images::RegistryClient registry(loop, **http, rng, std::move(registry_options));

  // Accounting: per-container CPU, run-queue delay, network and OOM kills
  // from eBPF (bpf/README.md). Without it the agent runs on, and says why.
  endpoints::AgentMetadata::Accounting accounting_state;
  if (cfg.metrics_disabled) {
    accounting_state.detail = "disabled by ECS_DISABLE_METRICS";
  } else {
    absl::StatusOr<std::unique_ptr<bpf::AccountingPrograms>> loaded =
        bpf::AccountingPrograms::Load({.attach_cgroup = root->cgroup().path()});
    if (loaded.ok()) {
      accounting = *std::move(loaded);
      accounting_state.enabled = true;
      accounting_state.detail =
          absl::StrCat("eBPF: scheduler ", Absl(accounting->scheduler_hooks()), ", OOM kills ",
                       Absl(accounting->oom_hook()), ", network at ", root->cgroup().path());
      LOG(INFO) << "accounting: " << accounting_state.detail;
    } else {
      accounting_state.detail = std::string(loaded.status().message());
      LOG(WARNING) << "accounting is disabled (the agent runs on without CPU, run-queue and "
                   << "network figures from eBPF): " << loaded.status().message();
    }
  }
  std::optional<AccountingTracker> accounting_tracker;
  if (accounting != nullptr) accounting_tracker.emplace(*accounting);

  // Images, driver, engine.
  images::ImageStore::Options image_options;
  image_options.registry_source =
      std::make_unique<images::RegistrySource>(registry, images::HostArchitecture());
  image_options.pull_behavior = ImagePullBehaviorOf(cfg.image_pull_behavior);
  image_options.unpack_path = FindHelperBinary(cfg.unpack_path, kUnpackBinary);
  if (image_options.unpack_path.empty()) return MissingHelperBinary(kUnpackBinary);
  LOG(INFO) << "image layers are unpacked by " << image_options.unpack_path;
  absl::StatusOr<std::unique_ptr<images::ImageStore>> images_or =
      images::ImageStore::Open(loop, pool, cfg.data_dir + "/images", std::move(image_options));
  if (!images_or.ok()) {
    LOG(ERROR) << "refusing to start: " << images_or.status().message();
    return 1;
  }
  if (cfg.image_cleanup_disabled) {
    LOG(INFO) << "image cleanup is disabled (ECS_DISABLE_IMAGE_CLEANUP)";
  } else {
    (*images_or)->EnableCleanup(
        cfg.image_cleanup_interval,
        {.minimum_age = cfg.image_minimum_cleanup_age,
         .max_images = cfg.num_images_delete_per_cycle});
  }
  RealDriverOptions driver_options;
  driver_options.data_dir = cfg.data_dir;
  driver_options.init_path = FindHelperBinary(cfg.init_path, kInitBinary);
  driver_options.shim_path = FindHelperBinary(cfg.shim_path, kShimBinary);
  if (driver_options.shim_path.empty()) return MissingHelperBinary(kShimBinary);
  driver_options.task_pids_limit = cfg.task_pids_limit;
  driver_options.cpu_period = cfg.cgroup_cpu_period;
  driver_options.task_limits = cfg.task_cpu_mem_limit != config::Tristate::kDisabled;
  driver_options.metadata_base_url = absl::StrCat("http://", cfg.metadata_address.ToString());
  driver_options.host_hostname = host->hostname;
  driver_options.cgroup_tracker = accounting_tracker.has_value() ? &*accounting_tracker : nullptr;
  RealDriver driver(loop, pool, **images_or, *root, driver_options);

  HttpClientTransport transport(**http);
  ControlClientOptions client_options;
  client_options.backend_url = cfg.backend_url;
  client_options.region = cfg.region;
  client_options.credentials.access_key_id = credentials->access_key_id;
  client_options.credentials.secret_access_key = credentials->secret_access_key;
  client_options.credentials.session_token = credentials->session_token;
  client_options.cluster = cfg.cluster;
  ControlClient client(loop, transport, client_options);

  endpoints::AgentMetrics metrics(loop.time());
  metrics.SetCgroupEnforcement(enforced);
  metrics.SetAccounting(accounting_state.enabled,
                        accounting != nullptr ? accounting->scheduler_hooks() : "",
                        accounting != nullptr ? accounting->oom_hook() : "",
                        accounting_state.enabled ? "" : accounting_state.detail);
  metrics.SetRegistrationState("registering");
  Reporter reporter(loop, client, cfg.checkpoint ? &store : nullptr, rng);
  StateSink sink(store, [&](TaskChange change) {
    if (change.status == "PENDING") metrics.RecordLaunch();
    for (const ContainerChange& c : change.containers) {
      std::string_view name = std::string_view(c.reason).substr(0, c.reason.find(':'));
      if (name.rfind("Cannot", 0) == 0 || name == "CgroupError") {
        metrics.RecordLaunchFailure(name);
      }
    }
    reporter.Enqueue(std::move(change));
    metrics.SetReportsQueued(reporter.queued());
  });
  EngineOptions engine_options;
  engine_options.stop_timeout = cfg.container_stop_timeout;
  engine_options.start_timeout = cfg.container_start_timeout;
  engine_options.pull_timeout = cfg.image_pull_timeout;
  engine_options.cleanup_wait = cfg.task_cleanup_wait;
  TaskEngine engine(loop, driver, sink, rng, engine_options);

  EngineSource source(engine, cfg.cluster);
  source.SetAccounting(accounting_state);
  // Stats: every running container, every ECS_POLLING_METRICS_WAIT_DURATION,
  // in one round on the worker pool (agent/stats); each round's figures go
  // to the telemetry publisher, which sends them every
  // BERTH_TELEMETRY_INTERVAL once the instance is registered. (Declared
  // first, the publisher outlives the collector that calls it.)
  std::optional<TelemetryPublisher> telemetry;
  std::optional<stats::StatsCollector> stats_collector;
  if (!cfg.metrics_disabled) {
    telemetry.emplace(
        loop, client, rng,
        TelemetryPublisherOptions{.cluster = cfg.cluster, .interval = cfg.telemetry_interval});
    stats_collector.emplace(
        loop, pool, accounting.get(),
        stats::StatsCollector::Options{.interval = cfg.polling_metrics_wait}, [&driver, &engine] {
          std::vector<stats::StatsCollector::Target> targets;
          for (auto& [id, dir] : driver.RunningCgroups()) {
            stats::StatsCollector::Target target{.runtime_id = std::move(id),
                                                 .cgroup_dir = std::move(dir)};
            if (TaskEngine::ContainerRef ref = engine.FindByRuntimeId(target.runtime_id);
                ref.task != nullptr && ref.container != nullptr) {
              target.task_arn = ref.task->spec.arn;
              target.task_family = ref.task->spec.family;
              target.task_version = absl::StrCat(ref.task->spec.revision);
              target.container_name = ref.container->name;
            }
            targets.push_back(std::move(target));
          }
          return targets;
        });
    stats_collector->SetRoundObserver([&] { telemetry->RecordRound(*stats_collector); });
    stats_collector->Start();
    source.SetStats(&*stats_collector);
  }
  // The task metadata endpoint (BERTH_METADATA_ADDR, 127.0.0.1:51679 by
  // default): what ECS_CONTAINER_METADATA_URI_V4 points at.
  MetadataSource metadata_source(
      engine, cfg.cluster, stats_collector.has_value() ? &*stats_collector : nullptr,
      endpoints::DockerStatsOptions{
          .online_cpus = std::max(1, host->cpus),
          .host_memory_bytes = static_cast<uint64_t>(host->memory_mib) << 20});
  endpoints::TaskMetadataHandler metadata_handler(metadata_source, loop.time(),
                                                  cfg.task_metadata_rps, cfg.task_metadata_burst);
  io::HttpServer metadata_server(loop, endpoints::IntrospectionServer::DefaultHttpOptions(),
                                 [&](io::HttpRequest request, io::HttpResponder responder) {
                                   responder.Respond(metadata_handler.Handle(request));
                                 });
  {
    absl::StatusOr<io::SocketAddress> address =
        io::SocketAddress::Parse(cfg.metadata_address.ToString());
    if (!address.ok()) {
      LOG(ERROR) << "refusing to start: BERTH_METADATA_ADDR: " << address.status().message();
      return 1;
    }
    if (absl::Status s = ListenPatiently([&] { return metadata_server.Listen(*address); },
                                         cfg.metadata_address.ToString());
        !s.ok()) {
      LOG(ERROR) << "refusing to start: failed to listen on " << cfg.metadata_address.ToString()
                 << ": " << s.message();
      return 1;
    }
    driver.SetMetadataBaseUrl(absl::StrCat("http://", metadata_server.address().ToString()));
    LOG(INFO) << "task metadata endpoint on " << metadata_server.address().ToString();
  }
  std::unique_ptr<PollSession> poll;
  // Counters other parts keep themselves, folded into /metrics every few
  // seconds (deltas, so the families stay counters).
  struct Synced {
    std::map<std::string, uint64_t, std::less<>> last;
  };
  auto synced = std::make_shared<Synced>();
  auto add_delta = [&metrics, synced](const std::string& family, const endpoints::Labels& labels,
                                      uint64_t now) {
    std::string key = family;
    for (const auto& [k, v] : labels) absl::StrAppend(&key, "|", k, "=", v);
    uint64_t& last = synced->last[key];
    if (now > last) metrics.registry().Add(family, labels, static_cast<double>(now - last));
    last = now;
  };
  const std::vector<std::pair<std::string, uint64_t EngineStats::*>> engine_counters = {
      {"containers_started", &EngineStats::containers_started},
      {"containers_exited", &EngineStats::containers_exited},
      {"containers_oom_killed", &EngineStats::containers_oom_killed},
      {"containers_reattached", &EngineStats::containers_reattached},
      {"stop_signals", &EngineStats::stop_signals},
      {"kills", &EngineStats::kills},
      {"pull_failures", &EngineStats::pull_failures},
      {"start_failures", &EngineStats::start_failures},
      {"tasks_restored", &EngineStats::tasks_restored},
      {"tasks_cleaned_up", &EngineStats::tasks_cleaned_up},
  };
  for (const auto& [name, member] : engine_counters) {
    metrics.registry().Declare(absl::StrCat("berth_agent_engine_", name, "_total"),
                               endpoints::MetricRegistry::Type::kCounter,
                               absl::StrCat("The task engine's ", name, " count."));
  }
  absl::AnyInvocable<void()> sync_metrics;
  sync_metrics = [&] {
    const EngineStats& e = engine.stats();
    for (const auto& [name, member] : engine_counters) {
      add_delta(absl::StrCat("berth_agent_engine_", name, "_total"), {}, e.*member);
    }
    const Reporter::Stats& r = reporter.stats();
    add_delta("berth_agent_state_reports_total", {{"result", "sent"}}, r.sent);
    add_delta("berth_agent_state_reports_total", {{"result", "failed"}}, r.retries + r.dropped);
    metrics.SetReportsQueued(reporter.queued());
    if (poll) {
      const PollSession::Stats& p = poll->stats();
      add_delta("berth_agent_polls_total", {{"answer", "messages"}}, p.batches);
      add_delta("berth_agent_polls_total", {{"answer", "heartbeat"}}, p.heartbeats);
      add_delta("berth_agent_polls_total", {{"answer", "superseded"}}, p.superseded);
      add_delta("berth_agent_polls_total", {{"answer", "reregister"}}, p.reregisters);
      add_delta("berth_agent_polls_total", {{"answer", "inactive"}}, p.inactive);
      add_delta("berth_agent_polls_total", {{"answer", "error"}}, p.failures);
    }
    if (telemetry) {
      const TelemetryPublisher::Stats& t = telemetry->stats();
      add_delta("berth_agent_telemetry_messages_total", {{"result", "ok"}}, t.messages_ok);
      add_delta("berth_agent_telemetry_messages_total", {{"result", "error"}}, t.messages_failed);
    }
    loop.AddTimer(absl::Seconds(5), [&] { sync_metrics(); });
  };
  loop.AddTimer(absl::Seconds(1), [&] { sync_metrics(); });
  endpoints::IntrospectionServer introspection(loop, source, metrics);
  absl::StatusOr<io::SocketAddress> intro_address =
      io::SocketAddress::Parse(cfg.introspection_address.ToString());
  if (!intro_address.ok()) {
    LOG(ERROR) << "refusing to start: BERTH_INTROSPECTION_ADDR: "
               << intro_address.status().message();
    return 1;
  }
  if (absl::Status listening =
          ListenPatiently([&] { return introspection.Listen(*intro_address); },
                          cfg.introspection_address.ToString());
      !listening.ok()) {
    LOG(ERROR) << "refusing to start: failed to listen on "
               << cfg.introspection_address.ToString() << ": " << listening.message();
    return 1;
  }
  LOG(INFO) << "introspection on " << introspection.address().ToString();

  // Registration and the poll.
  config::RegistrationInput registration_input;
  registration_input.cgroup_enforcement = enforced;
  registration_input.agent_version = std::string(endpoints::AgentVersion());
  registration_input.agent_hash = std::string(endpoints::GitShortHash());
  absl::StatusOr<config::RegisterRequest> request =
      config::BuildRegisterRequest(cfg, *host, registration_input);
  if (!request.ok()) {
    LOG(ERROR) << "refusing to start: " << request.status().message();
    return 1;
  }
  const std::string register_body = request->ToJsonText();
  Registration registration(loop, client, store, rng);
  int exit_code = 0;
  bool stopping = false;

  auto stop = [&](int code) {
    if (stopping) return;
    stopping = true;
    exit_code = code;
    if (poll) poll->Stop();
    if (telemetry) telemetry->Stop();
    introspection.Shutdown(kShutdownGrace, [&] { loop.Stop(); });
  };

  // One poll answer: apply every message, then make its effect and the new
  // applied seq durable in one write, then let the session ack it.
  auto apply = [&](std::vector<PollMessage> messages, uint64_t up_to_seq,
                   absl::AnyInvocable<void(absl::Status)> applied) {
    AppliedBatch batch;
    batch.applied_seq = up_to_seq;
    std::vector<std::string> touched;
    for (PollMessage& m : messages) {
      if (m.type == "task") {
        absl::StatusOr<TaskSpec> spec = DecodeTaskPayload(m.task_payload);
        if (!spec.ok()) {
          LOG(ERROR) << "task " << m.task_arn << " cannot be run: " << spec.status();
          TaskChange change;
          change.cluster_arn = cfg.cluster;
          change.task_arn = m.task_arn;
          change.status = "STOPPED";
          change.reason = absl::StrCat("UnrecognizedTaskError: Error loading task - ",
                                       spec.status().message());
          reporter.Enqueue(std::move(change));
          continue;
        }
        if (m.desired_status == "STOPPED") spec->desired_status = "STOPPED";
        batch.cleared_tombstones.push_back(m.task_arn);
        engine.Apply(*std::move(spec));
        touched.push_back(m.task_arn);
      } else if (m.type == "stop") {
        const bool known = engine.Find(m.task_arn) != nullptr;
        engine.Stop(m.task_arn, m.reason);
        if (known) {
          touched.push_back(m.task_arn);
        } else {
          batch.tombstones.push_back(StopTombstone{m.task_arn, m.reason, loop.time().Now()});
        }
      } else {
        LOG(WARNING) << "ignoring poll message " << m.seq << " of unknown type '" << m.type
                     << "'";
      }
    }
    for (const std::string& arn : touched) {
      if (const TaskState* state = engine.Find(arn)) batch.tasks.push_back(*state);
    }
    // Committed on the loop, fsynced on a worker: the ack waits for both.
    store.ApplyBatchAsync(batch, pool, std::move(applied));
  };

  auto start_poll = [&](const std::string& arn) {
    source.SetInstanceArn(arn);
    PollSessionOptions poll_options;
    poll_options.cluster = cfg.cluster;
    poll = std::make_unique<PollSession>(
        loop, client, rng, poll_options, arn, store.applied_seq(), apply,
        [&](absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
          registration.Register(register_body, [&, done = std::move(done)](
                                                   absl::StatusOr<RegisteredInstance> r) mutable {
            if (!r.ok()) {
              if (RegistrationExitCode(r.status()) == kExitTerminal) {
                // berth-control refuses this instance for good (e.g. it no
                // longer knows the saved ARN): retrying cannot help.
                LOG(ERROR) << "re-registration refused: " << r.status();
                metrics.SetRegistrationState("failed");
                stop(kExitTerminal);
              }
              done(r.status());
            } else {
              if (telemetry) telemetry->SetInstanceArn(r->arn);
              done(r->arn);
            }
          });
        });
    poll->Start();
    if (telemetry) telemetry->Start(arn);
  };

  bool created_default_cluster = false;
  absl::AnyInvocable<void(absl::StatusOr<RegisteredInstance>)> on_registered;
  on_registered = [&](absl::StatusOr<RegisteredInstance> registered) {
    if (!registered.ok() && cfg.cluster == "default" && !created_default_cluster &&
        EcsErrorName(registered.status()) == "ClusterNotFoundException") {
      // As Amazon's agent: the default cluster is created on first use.
      created_default_cluster = true;
      LOG(INFO) << "cluster default does not exist: creating it";
      client.Call("CreateCluster", R"({"clusterName":"default"})",
                  [&](absl::StatusOr<std::string> created) {
                    if (!created.ok()) {
                      LOG(ERROR) << "failed to create cluster default: " << created.status();
                    }
                    registration.Register(register_body, [&](absl::StatusOr<RegisteredInstance> r) {
                      on_registered(std::move(r));
                    });
                  });
      return;
    }
    if (!registered.ok()) {
      LOG(ERROR) << "registration failed: " << registered.status();
      metrics.SetRegistrationState("failed");
      stop(RegistrationExitCode(registered.status()));
      return;
    }
    metrics.SetRegistrationState("registered");
    LOG(INFO) << "registered as " << registered->arn << " in cluster " << cfg.cluster;
    start_poll(registered->arn);
  };

  // Restore, then register.
  const size_t restored_tasks = snapshot->tasks.size();
  reporter.Restore(std::move(snapshot->reports));
  driver.Preload(snapshot->tasks, [&] {
    engine.Restore(std::move(snapshot->tasks));
    for (const StopTombstone& t : snapshot->tombstones) {
      if (engine.Find(t.task_arn) == nullptr) engine.Stop(t.task_arn, t.reason);
    }
    if (restored_tasks > 0) {
      LOG(INFO) << "restored " << restored_tasks << " tasks from " << store.path();
    }
    if (driver.skipped_limit_writes() > 0 && enforced) {
      LOG(WARNING) << driver.skipped_limit_writes() << " cgroup limit writes were skipped";
    }
    registration.Register(register_body, [&](absl::StatusOr<RegisteredInstance> r) {
      on_registered(std::move(r));
    });
  });

  loop.Poll(signal_fd.get(), POLLIN, [&](int32_t) {
    LOG(INFO) << "signal received: stopping (containers keep running)";
    stop(0);
  });

  LOG(INFO) << endpoints::AgentVersionString() << " starting: cluster " << cfg.cluster
            << ", control " << cfg.backend_url << ", data " << cfg.data_dir << ", cgroups "
            << *mount << "/berth" << (enforced ? "" : " (limits not enforced)");
  if (absl::Status ran = loop.Run(); !ran.ok()) {
    LOG(ERROR) << "event loop failed: " << ran;
    exit_code = 1;
  }
  if (poll) poll->Stop();
  if (telemetry) telemetry->Stop();
  LOG(INFO) << "berth-agent stopped";
  return exit_code;
}

}  // namespace
}  // namespace berth::agent

int main(int argc, char** argv) { return berth::agent::Main(argc, argv); }
