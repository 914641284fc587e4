#include "cgroups/stats.h"

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::cgroups {
namespace {

absl::Status Malformed(std::string_view file, int line_no, absl::string_view line,
                       std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("failed to parse ", Absl(file), ": line ",
                                                 line_no, " '", line, "': ", Absl(why)));
}

// Strict unsigned decimal: digits only (SimpleAtoi would take "+1", " 1").
bool ParseU64(absl::string_view s, uint64_t* out) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return absl::SimpleAtoi(s, out);
}

// The file's one line (a trailing newline is allowed, nothing else).
absl::StatusOr<absl::string_view> SingleLine(std::string_view text, std::string_view file) {
  absl::string_view t = Absl(text);
  if (!t.empty() && t.back() == '\n') {
    t.remove_suffix(1);
  }
  if (t.find('\n') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to parse ", Absl(file), ": more than one line"));
  }
  return t;
}

}  // namespace

std::optional<uint64_t> KeyedValues::Get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

absl::StatusOr<KeyedValues> ParseFlatKeyed(std::string_view text, std::string_view file) {
  KeyedValues out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n')) {
    ++line_no;
    if (line.empty()) {
      continue;
    }
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ');
    if (kv.size() != 2 || kv[0].empty()) {
      return Malformed(file, line_no, line, "want '<key> <value>'");
    }
    uint64_t value = 0;
    if (!ParseU64(kv[1], &value)) {
      return Malformed(file, line_no, line, "the value is not an unsigned integer");
    }
    out.Add(std::string(kv[0]), value);
  }
  return out;
}

absl::StatusOr<MemoryEvents> ParseMemoryEvents(std::string_view text) {
  ASSIGN_OR_RETURN(KeyedValues kv, ParseFlatKeyed(text, "memory.events"));
  MemoryEvents e;
  e.low = kv.Get("low").value_or(0);
  e.high = kv.Get("high").value_or(0);
  e.max = kv.Get("max").value_or(0);
  e.oom = kv.Get("oom").value_or(0);
  e.oom_kill = kv.Get("oom_kill").value_or(0);
  e.oom_group_kill = kv.Get("oom_group_kill").value_or(0);
  return e;
}

absl::StatusOr<KeyedValues> ParseMemoryStat(std::string_view text) {
  return ParseFlatKeyed(text, "memory.stat");
}

absl::StatusOr<CpuStat> ParseCpuStat(std::string_view text) {
  ASSIGN_OR_RETURN(KeyedValues kv, ParseFlatKeyed(text, "cpu.stat"));
  std::optional<uint64_t> usage = kv.Get("usage_usec");
  if (!usage) {
    return absl::InvalidArgumentError("failed to parse cpu.stat: no usage_usec");
  }
  CpuStat s;
  s.usage_usec = *usage;
  s.user_usec = kv.Get("user_usec").value_or(0);
  s.system_usec = kv.Get("system_usec").value_or(0);
  s.nr_periods = kv.Get("nr_periods").value_or(0);
  s.nr_throttled = kv.Get("nr_throttled").value_or(0);
  s.throttled_usec = kv.Get("throttled_usec").value_or(0);
  return s;
}

absl::StatusOr<uint64_t> ParseCounter(std::string_view text, std::string_view file) {
  ASSIGN_OR_RETURN(absl::string_view line, SingleLine(text, file));
  uint64_t v = 0;
  if (!ParseU64(line, &v)) {
    return Malformed(file, 1, line, "not an unsigned integer");
  }
  return v;
}

absl::StatusOr<std::optional<uint64_t>> ParseLimit(std::string_view text, std::string_view file) {
  ASSIGN_OR_RETURN(absl::string_view line, SingleLine(text, file));
  if (line == "max") {
    return std::optional<uint64_t>();
  }
  uint64_t v = 0;
  if (!ParseU64(line, &v)) {
    return Malformed(file, 1, line, "neither 'max' nor an unsigned integer");
  }
  return std::optional<uint64_t>(v);
}

absl::StatusOr<std::vector<IoStatEntry>> ParseIoStat(std::string_view text) {
  std::vector<IoStatEntry> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n')) {
    ++line_no;
    if (line.empty()) {
      continue;
    }
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.empty()) {
      return Malformed("io.stat", line_no, line, "want 'MAJOR:MINOR key=value...'");
    }
    std::vector<absl::string_view> dev = absl::StrSplit(fields[0], ':');
    IoStatEntry e;
    if (dev.size() != 2 || !absl::SimpleAtoi(dev[0], &e.major) ||
        !absl::SimpleAtoi(dev[1], &e.minor) || !absl::ascii_isdigit(dev[0].front()) ||
        !absl::ascii_isdigit(dev[1].front())) {
      return Malformed("io.stat", line_no, line, "want 'MAJOR:MINOR key=value...'");
    }
    for (size_t i = 1; i < fields.size(); ++i) {
      std::vector<absl::string_view> kv = absl::StrSplit(fields[i], absl::MaxSplits('=', 1));
      if (kv.size() != 2 || kv[0].empty()) {
        return Malformed("io.stat", line_no, line, "want key=value pairs after the device");
      }
      uint64_t* slot = nullptr;
      if (kv[0] == "rbytes") {
        slot = &e.rbytes;
      } else if (kv[0] == "wbytes") {
        slot = &e.wbytes;
      } else if (kv[0] == "rios") {
        slot = &e.rios;
      } else if (kv[0] == "wios") {
        slot = &e.wios;
      } else if (kv[0] == "dbytes") {
        slot = &e.dbytes;
      } else if (kv[0] == "dios") {
        slot = &e.dios;
      }
      if (slot != nullptr && !ParseU64(kv[1], slot)) {
        return Malformed("io.stat", line_no, line,
                         absl::StrCat(kv[0], " is not an unsigned integer"));
      }
    }
    out.push_back(e);
  }
  return out;
}

absl::StatusOr<MemoryEvents> ReadMemoryEvents(const Cgroup& cgroup) {
  ASSIGN_OR_RETURN(std::string text, cgroup.ReadFile("memory.events"));
  return ParseMemoryEvents(text);
}

absl::StatusOr<CpuStat> ReadCpuStat(const Cgroup& cgroup) {
  ASSIGN_OR_RETURN(std::string text, cgroup.ReadFile("cpu.stat"));
  return ParseCpuStat(text);
}

absl::StatusOr<KeyedValues> ReadMemoryStat(const Cgroup& cgroup) {
  ASSIGN_OR_RETURN(std::string text, cgroup.ReadFile("memory.stat"));
  return ParseMemoryStat(text);
}

absl::StatusOr<uint64_t> ReadPidsCurrent(const Cgroup& cgroup) {
  ASSIGN_OR_RETURN(std::string text, cgroup.ReadFile("pids.current"));
  return ParseCounter(text, "pids.current");
}

absl::StatusOr<uint64_t> ReadMemoryCurrent(const Cgroup& cgroup) {
  ASSIGN_OR_RETURN(std::string text, cgroup.ReadFile("memory.current"));
  return ParseCounter(text, "memory.current");
}

absl::StatusOr<std::vector<IoStatEntry>> ReadIoStat(const Cgroup& cgroup) {
  ASSIGN_OR_RETURN(std::string text, cgroup.ReadFile("io.stat"));
  return ParseIoStat(text);
}

absl::StatusOr<uint64_t> OomKills(const Cgroup& cgroup) {
  absl::StatusOr<std::string> text = cgroup.ReadFile("memory.events");
  if (!text.ok()) {
    if (ErrnoOf(text.status()) == ENOENT) {
      return 0;
    }
    return text.status();
  }
  ASSIGN_OR_RETURN(MemoryEvents events, ParseMemoryEvents(*text));
  return events.oom_kill;
}

}  // namespace berth::cgroups
