#include "agent/runtime/records.h"

#include <sys/wait.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "io/absl_compat.h"

namespace berth::agent::runtime {
namespace {

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  if (text.empty() || text.back() != '\n') {
    return words;  // a record always ends its line
  }
  text.remove_suffix(1);
  for (absl::string_view w : absl::StrSplit(Absl(text), ' ')) {
    words.push_back(Std(w));
  }
  return words;
}

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 20) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<ProcessId> ParseIdentityRecord(std::string_view text) {
  std::vector<std::string_view> w = Words(text);
  ProcessId id;
  uint64_t start = 0;
  if (w.size() != 2 || !AllDigits(w[0]) || !AllDigits(w[1]) ||
      !absl::SimpleAtoi(Absl(w[0]), &id.pid) || id.pid <= 0 ||
      !absl::SimpleAtoi(Absl(w[1]), &start)) {
    return absl::DataLossError(absl::StrCat("malformed process record: '", Absl(text), "'"));
  }
  id.start_time = start;
  return id;
}

absl::StatusOr<ExitRecord> ParseExitRecord(std::string_view text) {
  std::vector<std::string_view> w = Words(text);
  ExitRecord r;
  int64_t nanos = 0;
  bool ok = w.size() == 3 && AllDigits(w[1]) && AllDigits(w[2]) &&
            absl::SimpleAtoi(Absl(w[1]), &r.status) && absl::SimpleAtoi(Absl(w[2]), &nanos);
  if (ok) {
    if (w[0] == "exited") {
      r.si_code = CLD_EXITED;
      ok = r.status <= 255;
    } else if (w[0] == "killed" || w[0] == "dumped") {
      r.si_code = w[0] == "killed" ? CLD_KILLED : CLD_DUMPED;
      ok = r.status >= 1 && r.status <= 64;
    } else {
      ok = false;
    }
  }
  if (!ok) {
    return absl::DataLossError(absl::StrCat("malformed exit record: '", Absl(text), "'"));
  }
  r.time = absl::FromUnixNanos(nanos);
  return r;
}

}  // namespace berth::agent::runtime
