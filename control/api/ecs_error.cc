#include "control/api/ecs_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "boost/json/object.hpp"
#include "boost/json/serialize.hpp"
#include "io/absl_compat.h"

namespace berth::control {
namespace {

constexpr char kTypePayload[] = "berth.dev/ecs-error-type";

absl::StatusCode CodeFor(std::string_view type) {
  using namespace ecs_errors;  // NOLINT(build/namespaces): the constants only
  if (type == kServer) {
    return absl::StatusCode::kInternal;
  }
  if (type == kMissingAuthenticationToken || type == kIncompleteSignature ||
      type == kInvalidSignature || type == kUnrecognizedClient) {
    return absl::StatusCode::kUnauthenticated;
  }
  if (type == kAccessDenied) {
    return absl::StatusCode::kPermissionDenied;
  }
  if (type == kThrottling || type == kLimitExceeded) {
    return absl::StatusCode::kResourceExhausted;
  }
  if (type == kUnknownOperation) {
    return absl::StatusCode::kUnimplemented;
  }
  if (absl::EndsWith(Absl(type), "NotFoundException")) {
    return absl::StatusCode::kNotFound;
  }
  if (absl::StartsWith(Absl(type), "ClusterContains") || type == kUpdateInProgress) {
    return absl::StatusCode::kFailedPrecondition;
  }
  return absl::StatusCode::kInvalidArgument;
}

}  // namespace

absl::Status EcsError(std::string_view type, std::string_view message) {
  absl::Status status(CodeFor(type), Absl(message));
  status.SetPayload(kTypePayload, absl::Cord(Absl(type)));
  return status;
}

absl::Status InvalidParameter(std::string_view message) {
  return EcsError(ecs_errors::kInvalidParameter, message);
}

absl::Status ClientError(std::string_view message) {
  return EcsError(ecs_errors::kClient, message);
}

absl::Status ClusterNotFound() {
  return EcsError(ecs_errors::kClusterNotFound, "Cluster not found.");
}

std::string EcsErrorType(const absl::Status& status) {
  if (status.ok()) {
    return "";
  }
  auto payload = status.GetPayload(kTypePayload);
  return payload.has_value() ? std::string(*payload) : std::string();
}

int HttpStatusForEcsError(std::string_view type) {
  if (type == ecs_errors::kServer) {
    return 500;
  }
  if (type == ecs_errors::kRequestEntityTooLarge) {
    return 413;
  }
  return 400;
}

std::string EcsErrorBody(std::string_view type, std::string_view message) {
  boost::json::object body;
  body["__type"] = type;
  body["message"] = message;
  return boost::json::serialize(body);
}

}  // namespace berth::control
