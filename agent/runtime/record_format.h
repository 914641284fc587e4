#ifndef BERTH_AGENT_RUNTIME_RECORD_FORMAT_H_
#define BERTH_AGENT_RUNTIME_RECORD_FORMAT_H_

// The small files a shim leaves in its container's state directory, and the
// /proc/<pid>/stat field that makes a process identity. Each record is one
// line, written to "<name>.tmp" and renamed over "<name>", so a reader sees
// all of it or none of it.
//
//   shim       "<pid> <start time>\n"    the shim itself, before the container
//   container  "<pid> <start time>\n"    the container's first process (host pid)
//   exit       "exited <code> <unix ns>\n" | "killed <signal> <unix ns>\n"
//              | "dumped <signal> <unix ns>\n"
//
// This half is what the shim uses: it runs in memory it shares with the
// multithreaded agent, then as berth-shim, a small static program without
// the rest of the project. So these functions only touch the buffers they
// are given (no allocation, no locks): async-signal-safe. The parsers are in
// records.h.

#include <cstddef>
#include <cstdint>

namespace berth::agent::runtime {

inline constexpr char kShimRecord[] = "shim";
inline constexpr char kContainerRecord[] = "container";
inline constexpr char kExitRecord[] = "exit";

// A process across agent restarts: a pid alone can be reused, a pid with its
// start time (field 22 of /proc/<pid>/stat, clock ticks since boot) cannot.
struct ProcessId {
  int pid = 0;
  uint64_t start_time = 0;
  friend bool operator==(const ProcessId&, const ProcessId&) = default;
};

// Longest record line.
inline constexpr size_t kMaxRecordSize = 64;

// Writes the record line into `buf` (at least kMaxRecordSize bytes) and
// returns its length.
size_t FormatIdentityRecord(char* buf, ProcessId id);
size_t FormatExitRecord(char* buf, int si_code, int status, int64_t unix_nanos);

// The suffix of a record being written.
inline constexpr char kRecordTempSuffix[] = ".tmp";

// Writes <name>.tmp in the directory `dirfd` and renames it over <name>
// (an existing <name>.tmp is reused: the agent makes them ahead of a launch
// so that the shim allocates no inode). false with errno set on failure.
bool WriteRecordAt(int dirfd, const char* name, const char* data, size_t len);

// Field 22 (starttime) of a /proc/<pid>/stat line; the command name (field
// 2) may hold spaces and parentheses, so fields are counted from the last
// ')'. Returns false when the line is malformed.
bool ParseStatStartTime(const char* data, size_t len, uint64_t* out);

// Appends the decimal digits of `v` at `p`; returns the end.
char* AppendDecimal(char* p, uint64_t v);

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_RECORD_FORMAT_H_
