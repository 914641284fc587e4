#ifndef BERTH_IO_LOG_H_
#define BERTH_IO_LOG_H_

// Logging and invariant checks with absl/log's macro names (LOG, CHECK,
// CHECK_EQ, ...). Debian 12's abseil (20220623) predates absl/log; when the
// project moves to a newer abseil this header becomes an include of it.
//
// A line is "I1121 04:23:52.123456 file.cc:42] message", written with one
// write(2) to stderr so lines from threads never interleave.

#include <sstream>
#include <string_view>

namespace berth::log {

enum class Severity { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };

// Lines below this severity are dropped. Default kInfo.
void SetMinSeverity(Severity s);
Severity MinSeverity();
// Parses "debug", "info", "warn", "error", "crit" (ECS_LOGLEVEL's words).
bool ParseSeverity(std::string_view text, Severity* out);

class LogMessage {
 public:
  LogMessage(const char* file, int line, Severity severity);
  ~LogMessage();  // writes the line; aborts for kFatal
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  const char* file_;
  int line_;
  Severity severity_;
  std::ostringstream stream_;
};

// Swallows the stream in a disabled LOG statement.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace berth::log

#define BERTH_LOG_SEVERITY_DEBUG ::berth::log::Severity::kDebug
#define BERTH_LOG_SEVERITY_INFO ::berth::log::Severity::kInfo
#define BERTH_LOG_SEVERITY_WARNING ::berth::log::Severity::kWarning
#define BERTH_LOG_SEVERITY_ERROR ::berth::log::Severity::kError
#define BERTH_LOG_SEVERITY_FATAL ::berth::log::Severity::kFatal

#define LOG(severity)                                                        \
  (BERTH_LOG_SEVERITY_##severity < ::berth::log::MinSeverity())              \
      ? (void)0                                                              \
      : ::berth::log::Voidify() &                                            \
            ::berth::log::LogMessage(__FILE__, __LINE__,                     \
                                     BERTH_LOG_SEVERITY_##severity)          \
                .stream()

#define CHECK(cond)                                                          \
  (cond) ? (void)0                                                           \
         : ::berth::log::Voidify() &                                         \
               ::berth::log::LogMessage(__FILE__, __LINE__,                  \
                                        ::berth::log::Severity::kFatal)      \
                       .stream()                                             \
                   << "Check failed: " #cond " "

#define BERTH_CHECK_OP(a, op, b)                                             \
  CHECK((a)op(b)) << "(" << (a) << " vs " << (b) << ") "
#define CHECK_EQ(a, b) BERTH_CHECK_OP(a, ==, b)
#define CHECK_NE(a, b) BERTH_CHECK_OP(a, !=, b)
#define CHECK_LT(a, b) BERTH_CHECK_OP(a, <, b)
#define CHECK_LE(a, b) BERTH_CHECK_OP(a, <=, b)
#define CHECK_GT(a, b) BERTH_CHECK_OP(a, >, b)
#define CHECK_GE(a, b) BERTH_CHECK_OP(a, >=, b)
#define CHECK_OK(expr)                                                       \
  do {                                                                       \
    const auto& _berth_st = (expr);                                          \
    CHECK(_berth_st.ok()) << _berth_st;                                      \
  } while (0)

#ifdef NDEBUG
#define DCHECK(cond) \
  while (false) CHECK(cond)
#else
#define DCHECK(cond) CHECK(cond)
#endif

#endif  // BERTH_IO_LOG_H_
