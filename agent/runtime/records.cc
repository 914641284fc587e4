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

char* AppendString(char* p, const char* s) {
  while (*s != '\0') {
    *p++ = *s++;
  }
  return p;
}

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

char* AppendDecimal(char* p, uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) {
    *p++ = digits[--n];
  }
  return p;
}

size_t FormatIdentityRecord(char* buf, ProcessId id) {
  char* p = AppendDecimal(buf, static_cast<uint64_t>(id.pid));
  *p++ = ' ';
  p = AppendDecimal(p, id.start_time);
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}

size_t FormatExitRecord(char* buf, int si_code, int status, int64_t unix_nanos) {
  const char* kind = si_code == CLD_EXITED ? "exited " : si_code == CLD_DUMPED ? "dumped " : "killed ";
  char* p = AppendString(buf, kind);
  p = AppendDecimal(p, static_cast<uint64_t>(status < 0 ? 0 : status));
  *p++ = ' ';
  p = AppendDecimal(p, static_cast<uint64_t>(unix_nanos < 0 ? 0 : unix_nanos));
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}

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

bool ParseStatStartTime(const char* data, size_t len, uint64_t* out) {
  size_t close = len;
  for (size_t i = len; i > 0; --i) {
    if (data[i - 1] == ')') {
      close = i - 1;
      break;
    }
  }
  if (close == len) {
    return false;
  }
  // After ") " comes field 3 (state); field 22 is 19 fields further on.
  size_t i = close + 1;
  int field = 2;
  while (i < len && field < 22) {
    if (data[i] == ' ') {
      ++field;
    }
    ++i;
  }
  if (field != 22 || i >= len || data[i] < '0' || data[i] > '9') {
    return false;
  }
  uint64_t v = 0;
  for (; i < len && data[i] >= '0' && data[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(data[i] - '0');
  }
  if (i < len && data[i] != ' ' && data[i] != '\n') {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace berth::agent::runtime
