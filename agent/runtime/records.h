#ifndef BERTH_AGENT_RUNTIME_RECORDS_H_
#define BERTH_AGENT_RUNTIME_RECORDS_H_

// Reading the records a shim leaves in its container's state directory
// (their format, and writing them: record_format.h).

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/runtime/record_format.h"

namespace berth::agent::runtime {

// How the container ended: si_code (CLD_EXITED, CLD_KILLED, CLD_DUMPED) and
// the exit code or signal, as waitid(2) gives them, and when.
struct ExitRecord {
  int si_code = 0;
  int status = 0;
  absl::Time time = absl::UnixEpoch();
  friend bool operator==(const ExitRecord&, const ExitRecord&) = default;
};

absl::StatusOr<ProcessId> ParseIdentityRecord(std::string_view text);
absl::StatusOr<ExitRecord> ParseExitRecord(std::string_view text);

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_RECORDS_H_
