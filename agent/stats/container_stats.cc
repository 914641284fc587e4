#include "agent/stats/container_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cgroups/cgroup.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::agent::stats {

namespace {

// A cgroup control file's text: one open, one read, one close. cgroup files
// (other than cgroup.procs and the like, not read here) print one seq_file
// record, which a single read returns whole when the buffer holds it; a full
// buffer reads on. NotFound when the file is not there.
absl::StatusOr<std::string> ReadControlFile(const cgroups::Cgroup& cg, const char* file) {
  int fd = openat(cg.fd(), file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", cg.path(), "/", file));
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus(err, absl::StrCat("read ", cg.path(), "/", file));
    }
    out.append(buf, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof(buf)) break;
  }
  close(fd);
  return out;
}

// The optional files, by their bit in OpenCgroup::absent.
enum OptionalFile : uint32_t {
  kMemoryCurrent = 0,
  kMemoryMax,
  kMemoryStat,
  kPidsCurrent,
  kPidsMax,
  kIoStat,
};
constexpr const char* kOptionalFiles[] = {"memory.current", "memory.max", "memory.stat",
                                          "pids.current",   "pids.max",   "io.stat"};

// The file's text, or nullopt when the cgroup has no such file (its
// controller is not enabled), remembered in `cgroup.absent`; other errors
// are errors.
absl::StatusOr<std::optional<std::string>> ReadOptional(OpenCgroup& cgroup, OptionalFile file,
                                                        bool probe) {
  const uint32_t bit = 1u << file;
  if ((cgroup.absent & bit) != 0 && !probe) {
    return std::optional<std::string>();
  }
  absl::StatusOr<std::string> text = ReadControlFile(cgroup.cg, kOptionalFiles[file]);
  if (text.ok()) {
    cgroup.absent &= ~bit;
    return std::optional<std::string>(*std::move(text));
  }
  if (text.status().code() == absl::StatusCode::kNotFound) {
    cgroup.absent |= bit;
    return std::optional<std::string>();
  }
  return text.status();
}

}  // namespace

std::optional<uint64_t> ContainerSample::MemoryStat(std::string_view key) const {
  for (const auto& [k, v] : memory_stat) {
    if (k == key) return v;
  }
  return std::nullopt;
}

uint64_t ContainerSample::WorkingSet() const {
  uint64_t inactive = MemoryStat("inactive_file").value_or(0);
  return memory_usage > inactive ? memory_usage - inactive : 0;
}

absl::StatusOr<uint64_t> ParseProcStatCpu(std::string_view text, long ticks_per_second) {
  absl::string_view line(text.data(), std::min(text.find('\n'), text.size()));
  if (!absl::ConsumePrefix(&line, "cpu ") || ticks_per_second <= 0) {
    return absl::InvalidArgumentError("invalid /proc/stat: the first line is not \"cpu ...\"");
  }
  std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (fields.size() < 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid /proc/stat: the cpu line has ", fields.size(), " fields, not 8+"));
  }
  uint64_t ticks = 0;
  for (size_t i = 0; i < 8; ++i) {
    uint64_t v = 0;
    if (!absl::SimpleAtoi(fields[i], &v) || ticks + v < ticks) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid /proc/stat: cpu field ", i + 1, " is not a count"));
    }
    ticks += v;
  }
  const uint64_t per_tick = 1'000'000'000ull / static_cast<uint64_t>(ticks_per_second);
  if (per_tick != 0 && ticks > UINT64_MAX / per_tick) {
    return absl::InvalidArgumentError("invalid /proc/stat: the cpu total overflows");
  }
  return ticks * per_tick;
}

absl::StatusOr<ContainerSample> SampleOpenCgroup(OpenCgroup& cgroup, const BpfUsages* bpf,
                                                 uint64_t host_cpu_ns, absl::Time now) {
  ContainerSample s;
  s.read = now;
  s.host_cpu_ns = host_cpu_ns;
  ASSIGN_OR_RETURN(std::string cpu_text, ReadControlFile(cgroup.cg, "cpu.stat"));
  ASSIGN_OR_RETURN(cgroups::CpuStat cpu, cgroups::ParseCpuStat(cpu_text));
  s.cpu_usage_ns = cpu.usage_usec * 1000;
  s.cpu_user_ns = cpu.user_usec * 1000;
  s.cpu_system_ns = cpu.system_usec * 1000;
  s.cpu_periods = cpu.nr_periods;
  s.cpu_throttled_periods = cpu.nr_throttled;
  s.cpu_throttled_ns = cpu.throttled_usec * 1000;
  if (bpf != nullptr) {
    if (cgroup.id == 0) {
      if (absl::StatusOr<uint64_t> id = cgroup.cg.Id(); id.ok()) cgroup.id = *id;
    }
    if (auto it = bpf->find(cgroup.id); cgroup.id != 0 && it != bpf->end()) {
      s.bpf = it->second;
    }
  }
  const bool probe = cgroup.rounds++ % OpenCgroup::kProbeEvery == 0;
  ASSIGN_OR_RETURN(std::optional<std::string> current, ReadOptional(cgroup, kMemoryCurrent, probe));
  if (current.has_value()) {
    s.has_memory = true;
    ASSIGN_OR_RETURN(s.memory_usage, cgroups::ParseCounter(*current, "memory.current"));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> max, ReadOptional(cgroup, kMemoryMax, probe));
  if (max.has_value()) {
    ASSIGN_OR_RETURN(s.memory_limit, cgroups::ParseLimit(*max, "memory.max"));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stat, ReadOptional(cgroup, kMemoryStat, probe));
  if (stat.has_value()) {
    ASSIGN_OR_RETURN(cgroups::KeyedValues kv, cgroups::ParseMemoryStat(*stat));
    s.memory_stat = kv.entries();
  }
  ASSIGN_OR_RETURN(std::optional<std::string> pids, ReadOptional(cgroup, kPidsCurrent, probe));
  if (pids.has_value()) {
    s.has_pids = true;
    ASSIGN_OR_RETURN(s.pids_current, cgroups::ParseCounter(*pids, "pids.current"));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> pids_max, ReadOptional(cgroup, kPidsMax, probe));
  if (pids_max.has_value()) {
    ASSIGN_OR_RETURN(s.pids_limit, cgroups::ParseLimit(*pids_max, "pids.max"));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> io, ReadOptional(cgroup, kIoStat, probe));
  if (io.has_value()) {
    ASSIGN_OR_RETURN(s.io, cgroups::ParseIoStat(*io));
  }
  return s;
}

absl::StatusOr<ContainerSample> SampleCgroup(const std::string& cgroup_dir, const BpfUsages* bpf,
                                             uint64_t host_cpu_ns, absl::Time now) {
  ASSIGN_OR_RETURN(cgroups::Cgroup cg, cgroups::Cgroup::Open(cgroup_dir));
  OpenCgroup open{.cg = std::move(cg)};
  return SampleOpenCgroup(open, bpf, host_cpu_ns, now);
}

StatsCollector::StatsCollector(io::EventLoop& loop, io::WorkerPool& pool,
                               const bpf::AccountingPrograms* accounting, Options options,
                               std::function<std::vector<Target>()> targets)
    : loop_(loop),
      pool_(pool),
      accounting_(accounting),
      options_(std::move(options)),
      targets_(std::move(targets)) {}

StatsCollector::~StatsCollector() {
  *alive_ = false;
  if (timer_ != 0) {
    loop_.CancelTimer(timer_);
  }
}

void StatsCollector::Start() {
  SampleNow([this, alive = alive_]() {
    if (!*alive) return;
    timer_ = loop_.AddTimer(options_.interval, [this, alive]() {
      if (!*alive) return;
      timer_ = 0;
      Start();
    });
  });
}

void StatsCollector::SampleNow(absl::AnyInvocable<void()> done) {
  if (in_round_) {
    // A round is in flight (a slow disk): skip this one rather than pile up.
    if (done) loop_.Post(std::move(done));
    return;
  }
  Round(std::move(done));
}

void StatsCollector::Round(absl::AnyInvocable<void()> done) {
  in_round_ = true;
  ++stats_.rounds;
  std::vector<Target> targets = targets_();
  struct Result {
    Target target;
    absl::StatusOr<ContainerSample> sample;
  };
  struct RoundResult {
    std::vector<Result> results;
    absl::Status bpf;  // the eBPF read's error
  };
  pool_.Submit<RoundResult>(
      [targets = std::move(targets), accounting = accounting_, proc_stat = options_.proc_stat,
       cgroups = open_, now = loop_.time().Now()]() {
        uint64_t host_cpu = 0;
        int fd = open(proc_stat.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
          char buf[4096];
          ssize_t n = read(fd, buf, sizeof(buf) - 1);
          close(fd);
          if (n > 0) {
            absl::StatusOr<uint64_t> total = ParseProcStatCpu(
                std::string_view(buf, static_cast<size_t>(n)), sysconf(_SC_CLK_TCK));
            if (total.ok()) host_cpu = *total;
          }
        }
        // One pass of the task iterator for every container of the round.
        RoundResult round;
        std::optional<BpfUsages> bpf;
        if (accounting != nullptr && !targets.empty()) {
          absl::StatusOr<BpfUsages> all = accounting->ReadAll();
          if (all.ok()) {
            bpf = *std::move(all);
          } else {
            round.bpf = all.status();
          }
        }
        round.results.reserve(targets.size());
        std::map<std::string, OpenCgroup, std::less<>> still_open;
        for (const Target& t : targets) {
          // The container's cgroup as the last round left it open, unless
          // the container is a new one (its runtime id) or moved.
          auto it = cgroups->find(t.runtime_id);
          std::optional<OpenCgroup> cgroup;
          if (it != cgroups->end() && it->second.cg.path() == t.cgroup_dir) {
            cgroup = std::move(it->second);
          } else if (absl::StatusOr<cgroups::Cgroup> cg = cgroups::Cgroup::Open(t.cgroup_dir);
                     cg.ok()) {
            cgroup = OpenCgroup{.cg = *std::move(cg)};
          } else {
            round.results.push_back({t, cg.status()});
            continue;
          }
          absl::StatusOr<ContainerSample> sample =
              SampleOpenCgroup(*cgroup, bpf ? &*bpf : nullptr, host_cpu, now);
          if (sample.ok()) {
            still_open.emplace(t.runtime_id, *std::move(cgroup));
          }
          round.results.push_back({t, std::move(sample)});
        }
        *cgroups = std::move(still_open);  // the others close
        return round;
      },
      [this, alive = alive_, done = std::move(done)](RoundResult round) mutable {
        if (!*alive) return;
        in_round_ = false;
        if (!round.bpf.ok() && ++stats_.bpf_failures <= 10) {
          LOG(WARNING) << "stats without the eBPF counters this round: " << round.bpf;
        }
        std::vector<Result>& results = round.results;
        std::map<std::string, History, std::less<>> next;
        for (Result& r : results) {
          const std::string& id = r.target.runtime_id;
          History& h = next[id];
          auto old = history_.find(id);
          if (old != history_.end()) h = std::move(old->second);
          h.sampled = false;
          if (!r.sample.ok()) {
            ++stats_.failures;
            if (stats_.failures <= 10) {
              LOG(INFO) << "stats of " << id << ": " << r.sample.status();
            }
            continue;
          }
          ++stats_.samples;
          h.target = std::move(r.target);
          h.previous = std::move(h.latest);
          h.latest = *std::move(r.sample);
          h.sampled = true;
        }
        history_ = std::move(next);  // containers no longer running are forgotten
        if (round_observer_) round_observer_();
        if (done) done();
      });
}

void StatsCollector::SetRoundObserver(absl::AnyInvocable<void()> observer) {
  round_observer_ = std::move(observer);
}

void StatsCollector::ForEachSampled(SampledFn fn) const {
  for (const auto& [id, h] : history_) {
    if (h.sampled && h.latest.has_value()) {
      fn(h.target, *h.latest, h.previous.has_value() ? &*h.previous : nullptr);
    }
  }
}

const ContainerSample* StatsCollector::Latest(std::string_view runtime_id) const {
  auto it = history_.find(runtime_id);
  return it == history_.end() || !it->second.latest.has_value() ? nullptr : &*it->second.latest;
}

const ContainerSample* StatsCollector::Previous(std::string_view runtime_id) const {
  auto it = history_.find(runtime_id);
  return it == history_.end() || !it->second.previous.has_value() ? nullptr : &*it->second.previous;
}

}  // namespace berth::agent::stats
