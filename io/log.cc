#include "io/log.h"

#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "io/absl_compat.h"

namespace berth::log {
namespace {

std::atomic<int> g_min_severity{static_cast<int>(Severity::kInfo)};

const char* Basename(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

}  // namespace

void SetMinSeverity(Severity s) { g_min_severity.store(static_cast<int>(s)); }

Severity MinSeverity() { return static_cast<Severity>(g_min_severity.load()); }

bool ParseSeverity(std::string_view text, Severity* out) {
  std::string t = absl::AsciiStrToLower(Absl(text));
  if (t == "debug") {
    *out = Severity::kDebug;
  } else if (t == "info") {
    *out = Severity::kInfo;
  } else if (t == "warn" || t == "warning") {
    *out = Severity::kWarning;
  } else if (t == "error") {
    *out = Severity::kError;
  } else if (t == "crit" || t == "fatal") {
    *out = Severity::kFatal;
  } else {
    return false;
  }
  return true;
}

LogMessage::LogMessage(const char* file, int line, Severity severity)
    : file_(file), line_(line), severity_(severity) {}

LogMessage::~LogMessage() {
  static constexpr char kLetters[] = {'D', 'I', 'W', 'E', 'F'};
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm parts;
  gmtime_r(&tv.tv_sec, &parts);
  char prefix[96];
  int n = std::snprintf(prefix, sizeof(prefix), "%c%02d%02d %02d:%02d:%02d.%06ld %s:%d] ",
                        kLetters[static_cast<int>(severity_)], parts.tm_mon + 1,
                        parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                        static_cast<long>(tv.tv_usec), Basename(file_), line_);
  std::string line(prefix, n > 0 ? static_cast<size_t>(n) : 0);
  line += stream_.str();
  line += '\n';
  // One write per line; a short write to a pipe of this size does not happen
  // in practice, and a log line is not worth a retry loop.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
  if (severity_ == Severity::kFatal) {
    std::abort();
  }
}

}  // namespace berth::log
