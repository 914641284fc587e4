// berth_bench_agent_launch: how long berth-agent takes from a task assignment
// to the container's process exec'd in its cgroup (limits written, image
// cached), side by side with the bare kernel floor (launch_floor.h), samples
// interleaved one by one so both see the same machine. Prints one JSON
// object; nothing is asserted (bench/agent_launch/README.md).
//
//   berth_bench_agent_launch --image-script tests/fixtures/make-busybox-image.sh
//                            [--samples 300] [--work DIR] [--keep]
//
// The agent path is the real one minus the network: TaskEngine with the
// RealDriver (ImageStore, cgroups, the shim runtime) and the StateSink over a
// real AgentStateStore in the work dir. One sample = TaskEngine::Apply of a
// one-container task until the engine hands the sink the state with that
// container RUNNING (the runtime's Launch returns once execve succeeded). The
// container runs /bin/true; the task is cleaned up before the next sample.

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent/driver/real_driver.h"
#include "agent/engine/task_engine.h"
#include "agent/images/image_store.h"
#include "agent/runtime/launch_trace.h"
#include "agent/state/agent_state_store.h"
#include "agent/state/state_sink.h"
#include "agent/task/task_spec.h"
#include "bench/agent_launch/launch_floor.h"
#include "cgroups/berth_root.h"
#include "cgroups/mountinfo.h"
#include "io/log.h"
#include "io/rng.h"
#include "io/uring_loop.h"
#include "io/worker_pool.h"

namespace berth::bench {
namespace {

struct Flags {
  int samples = 300;
  std::string image_script;
  std::string work;
  bool keep = false;
  // Container directories made ahead (RealDriverOptions); 0 makes them at
  // launch, as before 2026-11-21.
  int spare_dirs = 4;
};

// Records the moment the engine reports the task's container RUNNING, then
// passes everything on to the real sink.
class TimingSink final : public agent::EngineSink {
 public:
  explicit TimingSink(agent::EngineSink& next) : next_(next) {}
  void Changed(const agent::TaskState& state, std::optional<agent::TaskChange> report) override {
    if (!running_at_.has_value() && !state.containers.empty() &&
        state.containers[0].known == agent::ContainerStatus::kRunning) {
      running_at_ = absl::Now();
    }
    if (!intent_at_.has_value() && !state.containers.empty() &&
        state.containers[0].known == agent::ContainerStatus::kCreated) {
      intent_at_ = absl::Now();  // the start intent, persisted before Start
    }
    if (state.containers.size() == 1 && !state.containers[0].reason.empty()) {
      failure_ = state.containers[0].reason;
    }
    next_.Changed(state, std::move(report));
  }
  void Forgotten(const std::string& arn) override {
    ++forgotten_;
    next_.Forgotten(arn);
  }
  void Reset() {
    running_at_.reset();
    intent_at_.reset();
    failure_.clear();
  }
  std::optional<absl::Time> running_at() const { return running_at_; }
  std::optional<absl::Time> intent_at() const { return intent_at_; }
  const std::string& failure() const { return failure_; }
  int forgotten() const { return forgotten_; }

 private:
  agent::EngineSink& next_;
  std::optional<absl::Time> running_at_;
  std::optional<absl::Time> intent_at_;
  std::string failure_;
  int forgotten_ = 0;
};

struct Summary {
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, min_ms = 0, max_ms = 0, mean_ms = 0;
};

Summary Summarize(std::vector<double> ms) {
  Summary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(ms.size() - 1) + 0.5);
    return ms[std::min(i, ms.size() - 1)];
  };
  s.p50_ms = at(0.50);
  s.p90_ms = at(0.90);
  s.p99_ms = at(0.99);
  s.min_ms = ms.front();
  s.max_ms = ms.back();
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean_ms = sum / static_cast<double>(ms.size());
  return s;
}

std::string Json(const Summary& s) {
  return absl::StrFormat(
      R"({"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "min_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f})",
      s.p50_ms, s.p90_ms, s.p99_ms, s.min_ms, s.max_ms, s.mean_ms);
}

uint64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

agent::TaskSpec SpecFor(int i, const std::string& image) {
  agent::TaskSpec spec;
  spec.id = absl::StrFormat("bench%027d", i);
  spec.arn = absl::StrCat("arn:aws:ecs:us-east-1:000000000000:task/bench/", spec.id);
  spec.cluster_arn = "arn:aws:ecs:us-east-1:000000000000:cluster/bench";
  spec.family = "launch";
  spec.revision = 1;
  spec.task_definition_arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/launch:1";
  agent::ContainerSpec c;
  c.name = "main";
  c.image = image;
  c.cpu = 256;
  c.memory = 64;
  c.memory_reservation = 32;
  c.command = std::vector<std::string>{"/bin/true"};
  spec.containers.push_back(std::move(c));
  return spec;
}

int Run(const Flags& flags) {
  if (geteuid() != 0) {
    std::cerr << "berth_bench_agent_launch needs root (cgroups, namespaces, mounts)\n";
    return 77;
  }
  std::string work = flags.work;
  if (work.empty()) {
    char tmpl[] = "/var/tmp/berth-bench-launch.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    work = tmpl;
  }
  const std::string layout = work + "/image";
  const std::string command =
      absl::StrCat("bash '", flags.image_script, "' '", layout, "' latest >/dev/null 2>&1");
  if (std::system(command.c_str()) != 0) {
    std::cerr << "failed to build the image with " << flags.image_script << "\n";
    return 1;
  }
  const std::string image = absl::StrCat("oci:", layout, ":latest");

  absl::StatusOr<std::string> mount = cgroups::FindCgroup2MountOfHost(std::nullopt);
  if (!mount.ok()) {
    std::cerr << mount.status() << "\n";
    return 77;
  }
  absl::StatusOr<cgroups::BerthRoot> root = cgroups::BerthRoot::OpenMount(*mount);
  if (!root.ok()) {
    std::cerr << root.status() << "\n";
    return 1;
  }
  // The floor's cgroups live beside the agent's tasks.
  const std::string floor_parent = absl::StrCat(root->cgroup().path(), "/bench-floor");
  mkdir(floor_parent.c_str(), 0755);
  FloorOptions floor;
  floor.cgroup_parent = floor_parent;
  floor.program = "/bin/true";
  // The same image, unpacked by the store, as a plain directory to pivot into.
  absl::StatusOr<std::unique_ptr<io::UringLoop>> loop_or = io::UringLoop::Create();
  if (!loop_or.ok()) {
    std::cerr << loop_or.status() << "\n";
    return 1;
  }
  io::UringLoop& loop = **loop_or;
  io::WorkerPool pool(loop, 2);
  io::Rng rng(1);
  images::ImageStore::Options image_options;
  image_options.durable = false;
  image_options.unpack_path = BERTH_UNPACK_PATH;  // the berth-unpack of this build
  absl::StatusOr<std::unique_ptr<images::ImageStore>> store =
      images::ImageStore::Open(loop, pool, work + "/data/images", std::move(image_options));
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  agent::AgentStateOptions state_options;
  state_options.data_dir = work + "/data";
  state_options.cluster = "bench";
  absl::StatusOr<std::unique_ptr<agent::AgentStateStore>> state =
      agent::AgentStateStore::Open(state_options);
  if (!state.ok()) {
    std::cerr << state.status() << "\n";
    return 1;
  }
  agent::RealDriverOptions driver_options;
  driver_options.data_dir = work + "/data";
  driver_options.metadata_base_url = "http://127.0.0.1:51679";
  driver_options.shim_path = BERTH_SHIM_PATH;  // the berth-shim of this build
  driver_options.spare_container_dirs = static_cast<size_t>(flags.spare_dirs);
  agent::RealDriver driver(loop, pool, **store, *root, driver_options);
  agent::StateSink state_sink(**state, [](agent::TaskChange) {});
  TimingSink sink(state_sink);
  agent::EngineOptions engine_options;
  engine_options.cleanup_wait = absl::Milliseconds(1);
  engine_options.stop_timeout = absl::Seconds(2);
  agent::TaskEngine engine(loop, driver, sink, rng, engine_options);

  auto run_until = [&](auto done, absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    while (!done() && absl::Now() < deadline) {
      (void)loop.RunOnce(absl::Milliseconds(5));
    }
    return done();
  };

  std::vector<double> agent_ms, floor_ms, before_start_ms, start_ms;
  // -DBERTH_LAUNCH_TRACE=ON builds: each step's time since the one before
  // (the first since Apply), microseconds, per sample.
  constexpr int kSteps = static_cast<int>(agent::runtime::LaunchStep::kCount);
  std::vector<std::vector<double>> step_us(kSteps);
  std::string failure;
  const int warmup = 5;
  for (int i = 0; i < flags.samples + warmup && failure.empty(); ++i) {
    // Agent sample.
    sink.Reset();
    const int forgotten = sink.forgotten();
    const absl::Time start = absl::Now();
    const uint64_t start_mono = MonotonicNanos();
    engine.Apply(SpecFor(i, image));
    if (!run_until([&] { return sink.running_at().has_value() || !sink.failure().empty(); },
                   absl::Seconds(60))) {
      failure = "a task did not reach RUNNING within 60 s";
      break;
    }
    if (!sink.running_at().has_value()) {
      failure = absl::StrCat("a launch failed: ", sink.failure());
      break;
    }
    const absl::Duration took = *sink.running_at() - start;
    // Let it exit and be cleaned up before the next sample.
    if (!run_until([&] { return sink.forgotten() > forgotten; }, absl::Seconds(30))) {
      failure = "a task was not cleaned up within 30 s";
      break;
    }
    // Floor sample, into the unpacked layer of the same image.
    if (floor.rootfs.empty()) {
      for (const auto& entry : std::filesystem::directory_iterator(work + "/data/images/layers")) {
        floor.rootfs = entry.path().string();
      }
    }
    absl::StatusOr<absl::Duration> f = LaunchFloorOnce(floor, i);
    if (!f.ok()) {
      failure = absl::StrCat("the floor failed: ", f.status().message());
      break;
    }
    if (i >= warmup) {
      agent_ms.push_back(absl::ToDoubleMilliseconds(took));
      if (sink.intent_at().has_value()) {
        before_start_ms.push_back(absl::ToDoubleMilliseconds(*sink.intent_at() - start));
        start_ms.push_back(absl::ToDoubleMilliseconds(*sink.running_at() - *sink.intent_at()));
      }
      floor_ms.push_back(absl::ToDoubleMilliseconds(*f));
      if constexpr (agent::runtime::kLaunchTraceEnabled) {
        uint64_t before = start_mono;
        for (int k = 0; k < kSteps; ++k) {
          const uint64_t at =
              agent::runtime::LaunchStampOf(static_cast<agent::runtime::LaunchStep>(k));
          step_us[k].push_back(at >= before ? static_cast<double>(at - before) / 1000.0 : -1);
          before = at;
        }
      }
    }
  }
  rmdir(floor_parent.c_str());
  if (!failure.empty()) {
    std::cerr << "berth_bench_agent_launch: " << failure << "\n";
    return 1;
  }
  std::string steps;
  if constexpr (agent::runtime::kLaunchTraceEnabled) {
    // p50 of each step, in the order a launch passes them.
    std::vector<std::string> parts;
    for (int k = 0; k < kSteps; ++k) {
      std::vector<double>& v = step_us[k];
      std::sort(v.begin(), v.end());
      parts.push_back(absl::StrFormat("\"%s\": %.1f", agent::runtime::kLaunchStepNames[k],
                                      v.empty() ? 0.0 : v[v.size() / 2]));
    }
    steps = absl::StrCat(",\n \"step_p50_us\": {", absl::StrJoin(parts, ", "), "}");
  }
  Summary a = Summarize(agent_ms);
  Summary f = Summarize(floor_ms);
  std::cout << absl::StrFormat(
      "{\"samples\": %d, \"spare_dirs\": %d, \"cgroup_limits_enforced\": %s,\n"
      " \"agent\": %s,\n \"floor\": %s,\n"
      " \"agent_phases\": {\"to_start_intent\": %s,\n                  \"start_to_running\": %s},\n"
      " \"ratio_p50\": %.2f, \"ratio_p99\": %.2f, \"goal_ratio_p50\": 2.0%s}\n",
      static_cast<int>(agent_ms.size()), flags.spare_dirs, root->enforces_limits() ? "true" : "false", Json(a),
      Json(f), Json(Summarize(before_start_ms)), Json(Summarize(start_ms)), a.p50_ms / f.p50_ms,
      a.p99_ms / f.p99_ms, steps);
  if (!flags.keep) {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  }
  return 0;
}

}  // namespace
}  // namespace berth::bench

int main(int argc, char** argv) {
  berth::bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--samples" && i + 1 < argc) {
      flags.samples = std::atoi(argv[++i]);
    } else if (arg == "--image-script" && i + 1 < argc) {
      flags.image_script = argv[++i];
    } else if (arg == "--work" && i + 1 < argc) {
      flags.work = argv[++i];
    } else if (arg == "--spare-dirs" && i + 1 < argc) {
      flags.spare_dirs = std::atoi(argv[++i]);
    } else if (arg == "--keep") {
      flags.keep = true;
    } else {
      std::cerr << "usage: " << argv[0]
                << " --image-script tests/fixtures/make-busybox-image.sh [--samples N]"
                   " [--spare-dirs N] [--work DIR] [--keep]\n";
      return 2;
    }
  }
  if (flags.image_script.empty() || flags.samples < 1) {
    std::cerr << "--image-script is required\n";
    return 2;
  }
  berth::log::SetMinSeverity(berth::log::Severity::kWarning);
  return berth::bench::Run(flags);
}
