// Fuzzes the parsers of the kernel files the agent reads about cgroups:
// memory.stat / cpu.stat / memory.events (flat-keyed), pids.current and
// memory.current (counters), memory.max and pids.max (limits), io.stat,
// cgroup.events, /proc/<pid>/cgroup, /proc/self/mountinfo,
// cgroup.controllers and /proc/stat's cpu line (agent/stats). The kernel writes these, but a parser
// that trusts its input is a crash waiting for a new kernel's format: each must fail with
// InvalidArgument (or NotFound: no v2 line in /proc/<pid>/cgroup) or give
// values that hold what the readers rely on (a flat-keyed file's keys are
// non-empty, space-free and found again; a cgroup path is absolute; a mount
// has a mount point; parsed controllers are known ones).
// The first byte picks the parser; the seeds are real files.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "agent/stats/container_stats.h"
#include "cgroups/cgroup.h"
#include "cgroups/controllers.h"
#include "cgroups/mountinfo.h"
#include "cgroups/stats.h"
#include "io/log.h"

namespace {

using namespace berth::cgroups;  // NOLINT: a fuzz harness

void CheckInvalid(const absl::Status& s) {
  CHECK(s.code() == absl::StatusCode::kInvalidArgument) << s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 11) {
    case 0: {
      absl::StatusOr<KeyedValues> kv = ParseFlatKeyed(text, "memory.stat");
      if (!kv.ok()) {
        CheckInvalid(kv.status());
        break;
      }
      for (const auto& [key, value] : kv->entries()) {
        CHECK(!key.empty());
        CHECK(key.find_first_of(" \n") == std::string::npos) << key;
        CHECK(kv->Get(key).has_value());
      }
      break;
    }
    case 1: {
      absl::StatusOr<MemoryEvents> e = ParseMemoryEvents(text);
      if (!e.ok()) CheckInvalid(e.status());
      break;
    }
    case 2: {
      absl::StatusOr<CpuStat> c = ParseCpuStat(text);
      if (!c.ok()) CheckInvalid(c.status());
      break;
    }
    case 3: {
      absl::StatusOr<uint64_t> n = ParseCounter(text, "pids.current");
      if (!n.ok()) CheckInvalid(n.status());
      break;
    }
    case 4: {
      absl::StatusOr<std::optional<uint64_t>> l = ParseLimit(text, "memory.max");
      if (!l.ok()) CheckInvalid(l.status());
      break;
    }
    case 5: {
      absl::StatusOr<std::vector<IoStatEntry>> io = ParseIoStat(text);
      if (!io.ok()) CheckInvalid(io.status());
      break;
    }
    case 6: {
      absl::StatusOr<CgroupEvents> e = ParseCgroupEvents(text);
      if (!e.ok()) CheckInvalid(e.status());
      break;
    }
    case 7: {
      absl::StatusOr<std::string> path = ParseProcCgroup(text);
      if (path.ok()) {
        CHECK(!path->empty() && (*path)[0] == '/') << *path;
      } else {
        CHECK(path.status().code() == absl::StatusCode::kInvalidArgument ||
              path.status().code() == absl::StatusCode::kNotFound)
            << path.status();
      }
      break;
    }
    case 8: {
      absl::StatusOr<std::vector<MountInfo>> mounts = ParseMountInfo(text);
      if (!mounts.ok()) {
        CheckInvalid(mounts.status());
        break;
      }
      for (const MountInfo& m : *mounts) {
        CHECK(!m.mount_point.empty());
      }
      break;
    }
    case 9: {
      ControllerSet set = ControllerSet::Parse(text);
      CHECK(set.Intersect(ControllerSet::All()) == set);
      break;
    }
    case 10: {
      absl::StatusOr<uint64_t> ns = berth::agent::stats::ParseProcStatCpu(text, 100);
      if (!ns.ok()) CheckInvalid(ns.status());
      break;
    }
  }
  return 0;
}
