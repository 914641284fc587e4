#ifndef BERTH_CGROUPS_STATS_H_
#define BERTH_CGROUPS_STATS_H_

// Parsers for cgroup v2 statistics files, as free functions over their text
// (so each has its own table test), and readers that apply them to a cgroup.
// A malformed file is InvalidArgument naming the file and the line; keys a
// newer kernel adds are kept (flat-keyed files) or ignored (structs).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cgroups/cgroup.h"

namespace berth::cgroups {

// A flat-keyed file: one "<key> <unsigned integer>" per line (memory.stat,
// cpu.stat, memory.events), in file order.
class KeyedValues {
 public:
  std::optional<uint64_t> Get(std::string_view key) const;
  const std::vector<std::pair<std::string, uint64_t>>& entries() const { return entries_; }
  void Add(std::string key, uint64_t value) { entries_.emplace_back(std::move(key), value); }

 private:
  std::vector<std::pair<std::string, uint64_t>> entries_;
};
// `file` names the file in errors ("memory.stat").
absl::StatusOr<KeyedValues> ParseFlatKeyed(std::string_view text, std::string_view file);

// memory.events (hierarchical: this cgroup and its descendants; a container
// cgroup is a leaf, so these are its own). Missing keys are 0
// (oom_group_kill appeared in 5.x).
struct MemoryEvents {
  uint64_t low = 0;
  uint64_t high = 0;
  uint64_t max = 0;
  uint64_t oom = 0;
  uint64_t oom_kill = 0;
  uint64_t oom_group_kill = 0;
  friend bool operator==(const MemoryEvents&, const MemoryEvents&) = default;
};
absl::StatusOr<MemoryEvents> ParseMemoryEvents(std::string_view text);

// memory.stat: every key (anon, file, inactive_file, ...) in bytes or counts.
absl::StatusOr<KeyedValues> ParseMemoryStat(std::string_view text);

// cpu.stat. usage_usec, user_usec and system_usec are there even without
// the cpu controller (accounting on a hybrid host); the throttling keys only
// with it (0 otherwise).
struct CpuStat {
  uint64_t usage_usec = 0;
  uint64_t user_usec = 0;
  uint64_t system_usec = 0;
  uint64_t nr_periods = 0;
  uint64_t nr_throttled = 0;
  uint64_t throttled_usec = 0;
  friend bool operator==(const CpuStat&, const CpuStat&) = default;
};
// InvalidArgument also when usage_usec is missing.
absl::StatusOr<CpuStat> ParseCpuStat(std::string_view text);

// A single-value file: pids.current, memory.current.
absl::StatusOr<uint64_t> ParseCounter(std::string_view text, std::string_view file);
// A limit file: pids.max, memory.max, memory.low: nullopt for "max".
absl::StatusOr<std::optional<uint64_t>> ParseLimit(std::string_view text, std::string_view file);

// io.stat: one line per device, "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=..
// dbytes=.. dios=..". Other key=value pairs (iocost's cost.*) are ignored.
struct IoStatEntry {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint64_t rbytes = 0;
  uint64_t wbytes = 0;
  uint64_t rios = 0;
  uint64_t wios = 0;
  uint64_t dbytes = 0;
  uint64_t dios = 0;
  friend bool operator==(const IoStatEntry&, const IoStatEntry&) = default;
};
absl::StatusOr<std::vector<IoStatEntry>> ParseIoStat(std::string_view text);

// Readers: the file of `cgroup`, parsed.
absl::StatusOr<MemoryEvents> ReadMemoryEvents(const Cgroup& cgroup);
absl::StatusOr<CpuStat> ReadCpuStat(const Cgroup& cgroup);
absl::StatusOr<KeyedValues> ReadMemoryStat(const Cgroup& cgroup);
absl::StatusOr<uint64_t> ReadPidsCurrent(const Cgroup& cgroup);
// memory.current: bytes charged to the cgroup and below (page cache
// included; the figure ECS reports is this minus memory.stat inactive_file).
absl::StatusOr<uint64_t> ReadMemoryCurrent(const Cgroup& cgroup);
absl::StatusOr<std::vector<IoStatEntry>> ReadIoStat(const Cgroup& cgroup);

// OOM kills recorded in THAT cgroup's memory.events (oom_kill): the agent's
// OOM verdict for a container comes from the container's own cgroup only.
// 0 when the cgroup has no memory.events (memory controller not enabled, as
// on a hybrid host): no kill can have been recorded there.
absl::StatusOr<uint64_t> OomKills(const Cgroup& cgroup);

}  // namespace berth::cgroups

#endif  // BERTH_CGROUPS_STATS_H_
