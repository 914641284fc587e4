#ifndef BERTH_CONTROL_API_ECS_ERROR_H_
#define BERTH_CONTROL_API_ECS_ERROR_H_

// ECS errors as absl::Status. An ECS error carries its type name (the
// `__type` the AWS JSON protocol puts on the wire, e.g.
// "ClusterNotFoundException") as a payload, so it travels through
// RETURN_IF_ERROR like any other status and the API framework turns it into
// HTTP 400 {"__type": ..., "message": ...}. A status without the payload is
// a fault: the framework answers ServerException (500) with a generic message
// and logs the real one (docs/control.md, "Errors").

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace berth::control {

// Type names from the ECS model (service-2.json) and the AWS JSON protocol.
namespace ecs_errors {
inline constexpr std::string_view kServer = "ServerException";
inline constexpr std::string_view kClient = "ClientException";
inline constexpr std::string_view kInvalidParameter = "InvalidParameterException";
inline constexpr std::string_view kClusterNotFound = "ClusterNotFoundException";
inline constexpr std::string_view kClusterContainsContainerInstances =
    "ClusterContainsContainerInstancesException";
inline constexpr std::string_view kClusterContainsServices = "ClusterContainsServicesException";
inline constexpr std::string_view kClusterContainsTasks = "ClusterContainsTasksException";
inline constexpr std::string_view kResourceNotFound = "ResourceNotFoundException";
inline constexpr std::string_view kServiceNotFound = "ServiceNotFoundException";
inline constexpr std::string_view kUpdateInProgress = "UpdateInProgressException";
inline constexpr std::string_view kLimitExceeded = "LimitExceededException";
inline constexpr std::string_view kAttributeLimitExceeded = "AttributeLimitExceededException";
inline constexpr std::string_view kTargetNotFound = "TargetNotFoundException";
inline constexpr std::string_view kAccessDenied = "AccessDeniedException";
inline constexpr std::string_view kThrottling = "ThrottlingException";
// Protocol-level errors every AWS JSON service answers with.
inline constexpr std::string_view kUnknownOperation = "UnknownOperationException";
inline constexpr std::string_view kSerialization = "SerializationException";
inline constexpr std::string_view kRequestEntityTooLarge = "RequestEntityTooLargeException";
// Authentication (SigV4) errors.
inline constexpr std::string_view kMissingAuthenticationToken =
    "MissingAuthenticationTokenException";
inline constexpr std::string_view kIncompleteSignature = "IncompleteSignatureException";
inline constexpr std::string_view kInvalidSignature = "InvalidSignatureException";
inline constexpr std::string_view kUnrecognizedClient = "UnrecognizedClientException";
}  // namespace ecs_errors

// An ECS error of `type` with the message users see. The absl code follows
// the type (NotFound for *NotFound, Unauthenticated for signature errors,
// FailedPrecondition for "cluster contains ...", Internal for
// ServerException, InvalidArgument otherwise) so generic code can branch.
absl::Status EcsError(std::string_view type, std::string_view message);

// Shorthands for the common ones.
absl::Status InvalidParameter(std::string_view message);
absl::Status ClientError(std::string_view message);
// ClusterNotFoundException with ECS's text, "Cluster not found.".
absl::Status ClusterNotFound();

// The ECS type of `status`, or "" when it is not an ECS error (a fault) or OK.
std::string EcsErrorType(const absl::Status& status);

// The HTTP status the type is sent with: 500 for ServerException, 413 for
// RequestEntityTooLargeException, 400 for everything else (AWS JSON services
// answer authentication errors with 400 too).
int HttpStatusForEcsError(std::string_view type);

// The AWS JSON error body: {"__type":"<type>","message":"<message>"}.
std::string EcsErrorBody(std::string_view type, std::string_view message);

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_ECS_ERROR_H_
