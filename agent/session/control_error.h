#ifndef BERTH_AGENT_SESSION_CONTROL_ERROR_H_
#define BERTH_AGENT_SESSION_CONTROL_ERROR_H_

// berth-control's answers as absl::Status on the agent side. An ECS error
// answer ({"__type": "ClusterNotFoundException", "message": "..."}) becomes a
// status carrying the type name as a payload (EcsErrorName), so callers
// branch on the name; the absl code follows the kind of failure:
//
//   HTTP 5xx, ServerException                       Unavailable
//   ThrottlingException, LimitExceededException     ResourceExhausted
//   signature and credential errors, AccessDenied   PermissionDenied
//   InactiveInstanceException                       FailedPrecondition
//   *NotFoundException                              NotFound
//   any other 4xx                                   InvalidArgument
//
// Transport failures keep io::HttpClient's codes (Unavailable,
// DeadlineExceeded, ...).

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "io/http_client.h"

namespace berth::agent {

inline constexpr std::string_view kInactiveInstanceException = "InactiveInstanceException";
inline constexpr std::string_view kServerException = "ServerException";

// OK for HTTP 2xx; otherwise "failed to <what>: <__type>: <message>" (or
// "HTTP <status>" when the body is not the error shape).
absl::Status ControlStatus(const io::HttpClientResponse& response, std::string_view what);

// The ECS error type a status carries, or "" when it has none.
std::string EcsErrorName(const absl::Status& status);

// Worth retrying with backoff: transport failures, 5xx, throttling. Amazon's
// agent retries registration on exactly ThrottlingException, ServerException
// and LimitExceededException; berth adds transport failures and timeouts.
bool IsTransient(const absl::Status& status);

// A report can never succeed as sent (the control plane refused its content
// or does not know the task): drop it instead of retrying forever. Signature
// and credential errors are not: they are the agent's configuration, and the
// report stays queued until that is fixed.
bool IsPermanentReportError(const absl::Status& status);

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_CONTROL_ERROR_H_
