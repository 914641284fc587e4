#ifndef BERTH_AGENT_STATS_CONTAINER_STATS_H_
#define BERTH_AGENT_STATS_CONTAINER_STATS_H_

// One sample of what a container uses, from its cgroup's files and the eBPF
// accounting (bpf/), and the collector that takes them: every
// ECS_POLLING_METRICS_WAIT_DURATION for every running container, on the
// worker pool (the reads block), keeping the last two samples of each (the
// task metadata endpoint's stats and precpu_stats, and rates). Never one
// stream or thread per container.
//
//   cpu.stat        usage, user, system, throttling         (always on v2)
//   eBPF            on-CPU ns, run-queue delay, network,    (when loaded)
//                   OOM kills
//   memory.current  usage; memory.stat (inactive_file: the working set is
//                   usage − inactive_file, as ECS computes it on v2);
//                   memory.max (the limit; "max" → none)
//   pids.current / pids.max, io.stat                        (where present)
//   /proc/stat      the host's CPU time (Docker's system_cpu_usage)

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bpf/accounting_programs.h"
#include "cgroups/cgroup.h"
#include "cgroups/stats.h"
#include "io/event_loop.h"
#include "io/worker_pool.h"

namespace berth::agent::stats {

struct ContainerSample {
  absl::Time read = absl::InfinitePast();
  // cpu.stat, in ns.
  uint64_t cpu_usage_ns = 0;
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_system_ns = 0;
  uint64_t cpu_periods = 0;
  uint64_t cpu_throttled_periods = 0;
  uint64_t cpu_throttled_ns = 0;
  // The eBPF figures, when the accounting is loaded and tracks the cgroup.
  std::optional<bpf::CgroupUsage> bpf = std::nullopt;
  bool has_memory = false;                    // the memory controller's files are there
  bool has_pids = false;                      // the pids controller's
  uint64_t memory_usage = 0;                  // memory.current (0 without the file)
  std::optional<uint64_t> memory_limit = {};  // memory.max; nullopt: "max" or no file
  std::vector<std::pair<std::string, uint64_t>> memory_stat = {};  // memory.stat, in order
  uint64_t pids_current = 0;
  std::optional<uint64_t> pids_limit = {};
  std::vector<cgroups::IoStatEntry> io = {};
  uint64_t host_cpu_ns = 0;  // /proc/stat's total CPU time when sampled

  // The CPU time: the eBPF on-CPU figure when there is one, else cpu.stat.
  uint64_t CpuNs() const { return bpf.has_value() ? bpf->on_cpu_ns : cpu_usage_ns; }
  std::optional<uint64_t> MemoryStat(std::string_view key) const;
  // memory.current − inactive_file (never below 0): what ECS reports as used.
  uint64_t WorkingSet() const;
};

// The eBPF counters of every tracked cgroup at one moment
// (AccountingPrograms::ReadAll), by cgroup id.
using BpfUsages = absl::flat_hash_map<uint64_t, bpf::CgroupUsage>;

// A container's cgroup held open across rounds (the collector keeps one per
// running container, on its worker): the directory fd, its id, and which
// optional files it lacks, so a round costs one open, read and close per file
// that exists and nothing for the others. A missing file is looked for again
// every kProbeEvery rounds (a controller enabled later).
struct OpenCgroup {
  static constexpr uint32_t kProbeEvery = 60;
  cgroups::Cgroup cg;
  uint64_t id = 0;      // 0: unknown
  uint32_t absent = 0;  // bit i: optional file i is not there
  uint32_t rounds = 0;  // since the missing files were last looked for
};

// Reads a sample of an open cgroup. cpu.stat must be there (it is on every
// cgroup v2); the other files are optional (controllers that are not enabled
// have none). `bpf` (may be null): the round's eBPF read, where the cgroup's
// figures are looked up by its id. Blocking: call on a worker.
absl::StatusOr<ContainerSample> SampleOpenCgroup(OpenCgroup& cgroup, const BpfUsages* bpf,
                                                 uint64_t host_cpu_ns, absl::Time now);
// The same for the cgroup at `cgroup_dir`, opened for this one sample.
absl::StatusOr<ContainerSample> SampleCgroup(const std::string& cgroup_dir, const BpfUsages* bpf,
                                             uint64_t host_cpu_ns, absl::Time now);

// /proc/stat's first line ("cpu  user nice system idle iowait irq softirq
// steal ..."): the sum of the first eight fields, in ns (Docker's
// system_cpu_usage). InvalidArgument for anything else.
absl::StatusOr<uint64_t> ParseProcStatCpu(std::string_view text, long ticks_per_second);

class StatsCollector {
 public:
  struct Target {
    std::string runtime_id;
    std::string cgroup_dir;
    // Whose container it is (telemetry); empty when the caller does not say.
    std::string task_arn = {};
    std::string task_family = {};
    std::string task_version = {};  // the task definition's revision
    std::string container_name = {};
  };
  struct Options {
    absl::Duration interval = absl::Seconds(10);  // ECS_POLLING_METRICS_WAIT_DURATION
    std::string proc_stat = "/proc/stat";
  };

  // `targets` (called on the loop at each round) names the containers to
  // sample: the running ones. `accounting` may be null; it must outlive the
  // collector, as must the pool.
  StatsCollector(io::EventLoop& loop, io::WorkerPool& pool,
                 const bpf::AccountingPrograms* accounting, Options options,
                 std::function<std::vector<Target>()> targets);
  ~StatsCollector();
  StatsCollector(const StatsCollector&) = delete;
  StatsCollector& operator=(const StatsCollector&) = delete;

  // Samples now, then every interval.
  void Start();
  // One round now (tests; the endpoints never trigger one).
  void SampleNow(absl::AnyInvocable<void()> done = nullptr);

  // The last sample of a container and the one before (nullptr when none).
  const ContainerSample* Latest(std::string_view runtime_id) const;
  const ContainerSample* Previous(std::string_view runtime_id) const;

  // Called on the loop after each round's samples are stored (before that
  // round's SampleNow `done`). One observer; a new one replaces it.
  void SetRoundObserver(absl::AnyInvocable<void()> observer);
  // Every container sampled in the last round, in runtime id order: its
  // target as that round named it, the round's sample and the one before
  // (nullptr for its first). Containers whose read failed are left out.
  using SampledFn = absl::FunctionRef<void(const Target& target, const ContainerSample& latest,
                                           const ContainerSample* previous)>;
  void ForEachSampled(SampledFn fn) const;

  struct Stats {
    uint64_t rounds = 0;
    uint64_t samples = 0;
    uint64_t failures = 0;      // cgroups that could not be read (gone meanwhile, mostly)
    uint64_t bpf_failures = 0;  // rounds whose eBPF read failed (their samples lack it)
  };
  const Stats& stats() const { return stats_; }

 private:
  struct History {
    Target target;
    std::optional<ContainerSample> latest;
    std::optional<ContainerSample> previous;
    bool sampled = false;  // `latest` comes from the last round
  };
  void Round(absl::AnyInvocable<void()> done);

  io::EventLoop& loop_;
  io::WorkerPool& pool_;
  const bpf::AccountingPrograms* accounting_;
  const Options options_;
  std::function<std::vector<Target>()> targets_;
  absl::AnyInvocable<void()> round_observer_;
  std::map<std::string, History, std::less<>> history_;
  // The running containers' cgroups, open (by runtime id): used by the
  // round's worker only (rounds never overlap), kept alive by each round.
  std::shared_ptr<std::map<std::string, OpenCgroup, std::less<>>> open_ =
      std::make_shared<std::map<std::string, OpenCgroup, std::less<>>>();
  Stats stats_;
  io::TimerId timer_ = 0;
  bool in_round_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace berth::agent::stats

#endif  // BERTH_AGENT_STATS_CONTAINER_STATS_H_
