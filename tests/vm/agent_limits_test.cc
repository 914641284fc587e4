// The agent's ECS limits, enforced: tasks run through the real TaskEngine,
// RealDriver (image store, cgroups, the shim runtime) and state store, on a
// kernel with every cgroup v2 controller (run inside the VM by
// tests/vm/run-in-vm.sh; on a host without the controllers each test skips
// with the reason).
//
//   - a container over its `memory` is OOM-killed: STOPPED, exit 137, reason
//     "OutOfMemoryError: Container killed due to memory usage", and only that
//     container (its sibling, stopped with the task, keeps a clean record);
//   - cpu units 1024 vs 512 on one contended CPU: CPU time 2.0 ± 0.3 apart;
//   - the files the agent wrote are the ECS conversions (cpu.weight 39 / 20,
//     memory.max, memory.low, the task's cpu.max and pids.max);
//   - the stats path (issue 7): the eBPF accounting tracks the container's
//     cgroup through the driver's CgroupTracker, the StatsCollector samples
//     it every second, and the Docker stats JSON of the task metadata
//     endpoint has memory_stats.limit = the hard limit, a usage, a moving
//     total_usage, online_cpus, with the eBPF CPU time within 5 % of cpu.stat.

#include <sched.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/driver/cgroup_tracker.h"
#include "agent/driver/real_driver.h"
#include "agent/endpoints/docker_stats.h"
#include "agent/engine/task_engine.h"
#include "agent/images/image_store.h"
#include "agent/state/agent_state_store.h"
#include "agent/state/state_sink.h"
#include "agent/stats/container_stats.h"
#include "agent/task/task_spec.h"
#include "boost/json.hpp"
#include "bpf/accounting_programs.h"
#include "cgroups/berth_root.h"
#include "cgroups/mountinfo.h"
#include "gtest/gtest.h"
#include "io/rng.h"
#include "io/uring_loop.h"
#include "io/worker_pool.h"

#ifndef BERTH_SOURCE_DIR
#error "BERTH_SOURCE_DIR must name the source tree (for tests/fixtures)"
#endif

namespace berth::agent {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<uint64_t> KeyedValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  uint64_t v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return std::nullopt;
}

class NullSink final : public EngineSink {
 public:
  explicit NullSink(EngineSink& next) : next_(next) {}
  void Changed(const TaskState& state, std::optional<TaskChange> report) override {
    last_ = state;
    next_.Changed(state, std::move(report));
  }
  void Forgotten(const std::string& arn) override { next_.Forgotten(arn); }
  const std::optional<TaskState>& last() const { return last_; }

 private:
  EngineSink& next_;
  std::optional<TaskState> last_;
};

// A number inside nested JSON objects (`path` of keys), without Boost.JSON's
// throwing accessors; nullopt when a key is missing or it is not a
// non-negative integer.
std::optional<uint64_t> JsonUint(const boost::json::object& root,
                                 std::initializer_list<std::string_view> path) {
  const boost::json::object* o = &root;
  const boost::json::value* v = nullptr;
  for (std::string_view key : path) {
    if (o == nullptr) return std::nullopt;
    v = o->if_contains(key);
    if (v == nullptr) return std::nullopt;
    o = v->if_object();
  }
  if (v == nullptr) return std::nullopt;
  if (const uint64_t* u = v->if_uint64(); u != nullptr) return *u;
  if (const int64_t* i = v->if_int64(); i != nullptr && *i >= 0) return static_cast<uint64_t>(*i);
  return std::nullopt;
}

// The driver's CgroupTracker (as agent/main.cc's AccountingTracker): passes
// each container cgroup to the eBPF accounting once a test has loaded it,
// and keeps the last failure for the test to check.
class ForwardingTracker final : public CgroupTracker {
 public:
  void Track(uint64_t cgroup_id) override {
    if (programs_ == nullptr) return;
    ++tracked_;
    if (absl::Status s = programs_->Track(cgroup_id); !s.ok()) last_error_ = s;
  }
  void set_programs(bpf::AccountingPrograms* programs) { programs_ = programs; }
  int tracked() const { return tracked_; }
  const absl::Status& last_error() const { return last_error_; }

 private:
  bpf::AccountingPrograms* programs_ = nullptr;
  int tracked_ = 0;
  absl::Status last_error_;
};

class AgentLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    absl::StatusOr<std::string> mount = cgroups::FindCgroup2MountOfHost(std::nullopt);
    if (!mount.ok()) GTEST_SKIP() << "no cgroup2 hierarchy: " << mount.status();
    absl::StatusOr<cgroups::BerthRoot> root = cgroups::BerthRoot::OpenMount(*mount);
    ASSERT_TRUE(root.ok()) << root.status();
    if (!root->enforces_limits()) {
      GTEST_SKIP() << "the cgroup v2 hierarchy at " << *mount
                   << " does not offer cpu, memory and pids (run me in the vm tier)";
    }
    root_.emplace(*std::move(root));
    char tmpl[] = "/tmp/berth-vm-agent.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    work_ = tmpl;
    // The image is built on the host (ctest fixture vm.agent_image: umoci's
    // gzip is slow under TCG) and read through the guest's read-only view.
    std::string layout;
    if (const char* prebuilt = std::getenv("BERTH_VM_AGENT_IMAGE"); prebuilt != nullptr) {
      layout = prebuilt;
    } else {
      layout = work_ + "/image";
      const std::string cmd =
          absl::StrCat("bash " BERTH_SOURCE_DIR "/tests/fixtures/make-busybox-image.sh '", layout,
                       "' latest >/dev/null 2>&1");
      ASSERT_EQ(std::system(cmd.c_str()), 0) << "failed to build the busybox image";
    }
    image_ = absl::StrCat("oci:", layout, ":latest");

    absl::StatusOr<std::unique_ptr<io::UringLoop>> loop = io::UringLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
    pool_ = std::make_unique<io::WorkerPool>(*loop_, 1);
    images::ImageStore::Options image_options;
    image_options.durable = false;
    image_options.unpack_path = BERTH_UNPACK_PATH;  // the host's build, through 9p
    absl::StatusOr<std::unique_ptr<images::ImageStore>> images =
        images::ImageStore::Open(*loop_, *pool_, work_ + "/data/images", std::move(image_options));
    ASSERT_TRUE(images.ok()) << images.status();
    images_ = *std::move(images);
    AgentStateOptions state_options;
    state_options.data_dir = work_ + "/data";
    absl::StatusOr<std::unique_ptr<AgentStateStore>> store = AgentStateStore::Open(state_options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    RealDriverOptions driver_options;
    driver_options.data_dir = work_ + "/data";
    driver_options.task_pids_limit = 64;
    driver_options.shim_path = BERTH_SHIM_PATH;  // the host's build (static), through 9p
    driver_options.cgroup_tracker = &tracker_;
    driver_ = std::make_unique<RealDriver>(*loop_, *pool_, *images_, *root_, driver_options);
    state_sink_ = std::make_unique<StateSink>(*store_, [](TaskChange) {});
    sink_ = std::make_unique<NullSink>(*state_sink_);
    EngineOptions engine_options;
    engine_options.stop_timeout = absl::Seconds(5);
    engine_options.cleanup_wait = absl::Hours(1);  // keep the cgroups to read them
    engine_ = std::make_unique<TaskEngine>(*loop_, *driver_, *sink_, rng_, engine_options);
  }

  void TearDown() override {
    if (engine_ != nullptr) {
      for (const TaskState* t : engine_->Tasks()) {
        for (const ContainerState& c : t->containers) driver_->Kill(c);
      }
      RunFor(absl::Milliseconds(300));
      for (const TaskState* t : engine_->Tasks()) {
        for (const ContainerState& c : t->containers) driver_->Remove(t->spec, c);
        driver_->RemoveTask(t->spec);
      }
    }
    engine_.reset();
    driver_.reset();
    images_.reset();
    if (!work_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(work_, ec);
    }
  }

  void RunFor(absl::Duration d) {
    const absl::Time end = absl::Now() + d;
    while (absl::Now() < end) (void)loop_->RunOnce(absl::Milliseconds(20));
  }

  // Runs the loop until `done()` or `limit` (TCG is slow: generous limits).
  template <typename F>
  bool RunUntil(F done, absl::Duration limit) {
    const absl::Time end = absl::Now() + limit;
    while (!done() && absl::Now() < end) (void)loop_->RunOnce(absl::Milliseconds(20));
    return done();
  }
  // Runs the loop until the task's known status is `status`.
  bool WaitForStatus(const std::string& arn, TaskStatus status, absl::Duration timeout) {
    return RunUntil(
        [&] {
          const TaskState* t = engine_->Find(arn);
          return t != nullptr && t->known == status;
        },
        timeout);
  }

  TaskSpec Spec(std::string id, std::vector<ContainerSpec> containers) {
    TaskSpec spec;
    spec.id = std::move(id);
    spec.arn = absl::StrCat("arn:aws:ecs:us-east-1:000000000000:task/vm/", spec.id);
    spec.cluster_arn = "arn:aws:ecs:us-east-1:000000000000:cluster/vm";
    spec.family = "vm";
    spec.revision = 1;
    spec.containers = std::move(containers);
    return spec;
  }

  ContainerSpec Container(std::string name, std::vector<std::string> command) {
    ContainerSpec c;
    c.name = std::move(name);
    c.image = image_;
    c.command = std::move(command);
    return c;
  }

  std::string CgroupFile(const TaskSpec& spec, const std::string& container,
                         const std::string& file) {
    std::string dir = absl::StrCat(root_->cgroup().path(), "/", spec.id);
    if (!container.empty()) dir = absl::StrCat(dir, "/", container);
    return ReadFile(absl::StrCat(dir, "/", file));
  }

  std::optional<cgroups::BerthRoot> root_;
  std::string work_;
  std::string image_;
  std::unique_ptr<io::UringLoop> loop_;
  // Loaded by the tests that want it. Declared before the pool and the
  // driver: a stats round reads it on the pool's thread and the driver
  // tracks through tracker_, so it is destroyed after both.
  std::unique_ptr<bpf::AccountingPrograms> accounting_;
  ForwardingTracker tracker_;
  std::unique_ptr<io::WorkerPool> pool_;
  std::unique_ptr<images::ImageStore> images_;
  std::unique_ptr<AgentStateStore> store_;
  std::unique_ptr<RealDriver> driver_;
  std::unique_ptr<StateSink> state_sink_;
  std::unique_ptr<NullSink> sink_;
  io::Rng rng_{7};
  std::unique_ptr<TaskEngine> engine_;
};

TEST_F(AgentLimitsTest, OomKillStopsOnlyThatContainerWithTheOomReasonAnd137) {
  ContainerSpec hog = Container("hog", {"sh", "-c", "a=x; while true; do a=$a$a; done"});
  hog.memory = 32;
  ContainerSpec calm =
      Container("calm", {"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"});
  calm.memory = 64;
  calm.memory_reservation = 16;
  calm.essential = false;
  TaskSpec spec = Spec("0000000000000000000000000000000a", {hog, calm});
  engine_->Apply(spec);
  ASSERT_TRUE(WaitForStatus(spec.arn, TaskStatus::kStopped, absl::Seconds(120)))
      << "the task did not stop within 120 s";
  const TaskState* t = engine_->Find(spec.arn);
  const ContainerState* h = t->FindContainer("hog");
  const ContainerState* c = t->FindContainer("calm");
  ASSERT_NE(h, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(h->exit_code, std::optional<int32_t>(137));
  EXPECT_EQ(h->reason, "OutOfMemoryError: Container killed due to memory usage");
  EXPECT_TRUE(h->oom_killed);
  EXPECT_EQ(c->exit_code, std::optional<int32_t>(0)) << "calm handles SIGTERM with exit 0";
  EXPECT_EQ(c->reason, "") << "the sibling was not OOM-killed";
  EXPECT_FALSE(c->oom_killed);
  EXPECT_EQ(CgroupFile(spec, "hog", "memory.max"), "33554432\n");
  EXPECT_EQ(CgroupFile(spec, "calm", "memory.max"), "67108864\n");
  EXPECT_EQ(CgroupFile(spec, "calm", "memory.low"), "16777216\n");
  EXPECT_GE(KeyedValue(CgroupFile(spec, "hog", "memory.events"), "oom_kill").value_or(0), 1u);
  EXPECT_EQ(KeyedValue(CgroupFile(spec, "calm", "memory.events"), "oom_kill").value_or(0), 0u);
  EXPECT_EQ(CgroupFile(spec, "", "pids.max"), "64\n");
}

TEST_F(AgentLimitsTest, CpuUnits1024And512ShareOneCpuTwoToOne) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 2) GTEST_SKIP() << "needs 2 CPUs: one contended, one for the agent";
  // The agent (this process) stays on CPU 0; both containers spin on CPU 1.
  cpu_set_t zero;
  CPU_ZERO(&zero);
  CPU_SET(0, &zero);
  ASSERT_EQ(sched_setaffinity(0, sizeof(zero), &zero), 0);
  const std::vector<std::string> spin = {"taskset", "0x2", "sh", "-c", "while :; do :; done"};
  ContainerSpec heavy = Container("heavy", spin);
  heavy.cpu = 1024;
  ContainerSpec light = Container("light", spin);
  light.cpu = 512;
  TaskSpec spec = Spec("0000000000000000000000000000000b", {heavy, light});
  spec.cpu_units = 2048;  // cpu.max of two CPUs: no cap on the pair
  engine_->Apply(spec);
  ASSERT_TRUE(WaitForStatus(spec.arn, TaskStatus::kRunning, absl::Seconds(120)))
      << "the task did not run within 120 s";
  EXPECT_EQ(CgroupFile(spec, "heavy", "cpu.weight"), "39\n");
  EXPECT_EQ(CgroupFile(spec, "light", "cpu.weight"), "20\n");
  EXPECT_EQ(CgroupFile(spec, "", "cpu.max"), "200000 100000\n");
  RunFor(absl::Seconds(1));  // warm-up
  auto usage = [&](const char* c) {
    return KeyedValue(CgroupFile(spec, c, "cpu.stat"), "usage_usec").value_or(0);
  };
  const uint64_t h0 = usage("heavy"), l0 = usage("light");
  RunFor(absl::Seconds(6));
  const uint64_t h1 = usage("heavy"), l1 = usage("light");
  ASSERT_GT(l1, l0) << "the light container got no CPU at all";
  const double ratio = static_cast<double>(h1 - h0) / static_cast<double>(l1 - l0);
  EXPECT_NEAR(ratio, 2.0, 0.3) << "heavy " << (h1 - h0) << " us, light " << (l1 - l0) << " us";
  engine_->Stop(spec.arn, "test over");
  EXPECT_TRUE(WaitForStatus(spec.arn, TaskStatus::kStopped, absl::Seconds(60)));
}

TEST_F(AgentLimitsTest, StatsHaveTheHardLimitAndMovingCpuWithEbpfWithin5Percent) {
  absl::StatusOr<std::unique_ptr<bpf::AccountingPrograms>> loaded =
      bpf::AccountingPrograms::Load({.attach_cgroup = root_->cgroup().path()});
  ASSERT_TRUE(loaded.ok()) << "the eBPF accounting did not load: " << loaded.status();
  accounting_ = *std::move(loaded);
  tracker_.set_programs(accounting_.get());

  constexpr uint64_t kHardLimitMiB = 96;
  ContainerSpec busy = Container("busy", {"sh", "-c", "trap 'exit 0' TERM; while :; do :; done"});
  busy.memory = kHardLimitMiB;
  busy.memory_reservation = 32;
  TaskSpec spec = Spec("0000000000000000000000000000000c", {busy});
  engine_->Apply(spec);
  ASSERT_TRUE(WaitForStatus(spec.arn, TaskStatus::kRunning, absl::Seconds(120)))
      << "the task did not run within 120 s";
  const std::string runtime_id = engine_->Find(spec.arn)->FindContainer("busy")->runtime_id;
  ASSERT_FALSE(runtime_id.empty());

  // The driver tracked the container's cgroup, the one it reports running.
  const std::string cgroup_dir = absl::StrCat(root_->cgroup().path(), "/", spec.id, "/busy");
  EXPECT_GE(tracker_.tracked(), 1);
  EXPECT_TRUE(tracker_.last_error().ok()) << tracker_.last_error();
  absl::StatusOr<uint64_t> cgroup_id = bpf::CgroupId(cgroup_dir);
  ASSERT_TRUE(cgroup_id.ok()) << cgroup_id.status();
  EXPECT_TRUE(accounting_->IsTracked(*cgroup_id)) << cgroup_dir;
  const std::vector<std::pair<std::string, std::string>> running = driver_->RunningCgroups();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0], std::make_pair(runtime_id, cgroup_dir));

  // The collector as the agent builds it (agent/main.cc), every second.
  stats::StatsCollector collector(*loop_, *pool_, accounting_.get(), {.interval = absl::Seconds(1)},
                                  [this] {
                                    std::vector<stats::StatsCollector::Target> targets;
                                    for (auto& [id, dir] : driver_->RunningCgroups()) {
                                      targets.push_back({std::move(id), std::move(dir)});
                                    }
                                    return targets;
                                  });
  collector.Start();
  ASSERT_TRUE(
      RunUntil([&] { return collector.Previous(runtime_id) != nullptr; }, absl::Seconds(30)))
      << "no two samples of the container within 30 s (rounds " << collector.stats().rounds
      << ", samples " << collector.stats().samples << ", failures " << collector.stats().failures
      << ")";
  const stats::ContainerSample now = *collector.Latest(runtime_id);
  const stats::ContainerSample before = *collector.Previous(runtime_id);
  EXPECT_EQ(collector.stats().failures, 0u);
  EXPECT_EQ(collector.stats().bpf_failures, 0u);
  ASSERT_TRUE(now.bpf.has_value()) << "the sample has no eBPF figures";

  // The JSON the task metadata endpoint serves at /v4/<id>/stats. Without a
  // memory.max, limit would be the guest's memory (as Docker), not 96 MiB.
  struct sysinfo info {};
  ASSERT_EQ(sysinfo(&info), 0);
  const uint64_t host_memory = static_cast<uint64_t>(info.totalram) * info.mem_unit;
  const int online_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  const boost::json::object json =
      endpoints::DockerStatsJson(now, &before, "ecs-vm-1-busy", runtime_id,
                                 {.online_cpus = online_cpus, .host_memory_bytes = host_memory});
  const std::optional<uint64_t> limit = JsonUint(json, {"memory_stats", "limit"});
  const std::optional<uint64_t> usage = JsonUint(json, {"memory_stats", "usage"});
  const std::optional<uint64_t> total = JsonUint(json, {"cpu_stats", "cpu_usage", "total_usage"});
  const std::optional<uint64_t> pretotal =
      JsonUint(json, {"precpu_stats", "cpu_usage", "total_usage"});
  const std::optional<uint64_t> cpus = JsonUint(json, {"cpu_stats", "online_cpus"});
  ASSERT_TRUE(limit && usage && total && pretotal && cpus) << boost::json::serialize(json);

  const uint64_t bpf_ns = now.bpf->on_cpu_ns;
  const uint64_t stat_ns = now.cpu_usage_ns;
  const double diff = (static_cast<double>(bpf_ns) - static_cast<double>(stat_ns)) /
                      static_cast<double>(stat_ns == 0 ? 1 : stat_ns);
  std::cout << "[ MEASURED ] memory_stats.limit " << *limit << ", usage " << *usage
            << "; total_usage " << *pretotal << " -> " << *total << " ns over "
            << absl::ToDoubleSeconds(now.read - before.read) << " s; online_cpus " << *cpus
            << "; eBPF on-CPU " << bpf_ns << " ns vs cpu.stat " << stat_ns << " ns (" << diff * 100
            << " %)\n";

  EXPECT_EQ(*limit, kHardLimitMiB << 20) << "96 MiB = 100663296";
  EXPECT_GT(*usage, 0u);
  EXPECT_GT(*total, *pretotal) << "the busy loop's CPU time did not move";
  EXPECT_EQ(*total, bpf_ns) << "total_usage is the eBPF figure when there is one";
  EXPECT_GE(*cpus, 1u);
  EXPECT_EQ(*cpus, static_cast<uint64_t>(online_cpus));
  EXPECT_NEAR(static_cast<double>(bpf_ns), static_cast<double>(stat_ns),
              0.05 * static_cast<double>(stat_ns))
      << "eBPF on-CPU time vs cpu.stat usage_usec for the same sample";

  // SIGTERM: the loop's trap exits 0, well before the 5 s stop timeout.
  engine_->Stop(spec.arn, "test over");
  ASSERT_TRUE(WaitForStatus(spec.arn, TaskStatus::kStopped, absl::Seconds(60)))
      << "the task did not stop within 60 s";
  const ContainerState* c = engine_->Find(spec.arn)->FindContainer("busy");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->exit_code, std::optional<int32_t>(0)) << "the loop handles SIGTERM with exit 0";
  EXPECT_EQ(c->reason, "");
  EXPECT_FALSE(c->oom_killed);
}

}  // namespace
}  // namespace berth::agent
