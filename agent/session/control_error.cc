#include "agent/session/control_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json/value.hpp"
#include "ecs/json_text.h"
#include "io/absl_compat.h"

namespace berth::agent {
namespace {

constexpr char kPayloadKey[] = "berth.dev/ecs-error";

absl::StatusCode CodeFor(int http_status, std::string_view type) {
  if (http_status >= 500 || type == kServerException) {
    return absl::StatusCode::kUnavailable;
  }
  if (type == "ThrottlingException" || type == "LimitExceededException") {
    return absl::StatusCode::kResourceExhausted;
  }
  if (type == "MissingAuthenticationTokenException" || type == "IncompleteSignatureException" ||
      type == "InvalidSignatureException" || type == "UnrecognizedClientException" ||
      type == "AccessDeniedException" || http_status == 401 || http_status == 403) {
    return absl::StatusCode::kPermissionDenied;
  }
  if (type == kInactiveInstanceException) {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (absl::EndsWith(Absl(type), "NotFoundException") || http_status == 404) {
    return absl::StatusCode::kNotFound;
  }
  return absl::StatusCode::kInvalidArgument;
}

}  // namespace

absl::Status ControlStatus(const io::HttpClientResponse& response, std::string_view what) {
  if (response.status >= 200 && response.status < 300) {
    return absl::OkStatus();
  }
  std::string type;
  std::string message;
  if (absl::StatusOr<boost::json::value> body = ecs::ParseJson(response.body); body.ok()) {
    if (const boost::json::object* object = body->if_object()) {
      if (const boost::json::value* t = object->if_contains("__type"); t && t->is_string()) {
        type = std::string(t->get_string());
        // AWS JSON 1.1 may prefix the type with its namespace ("aws#Name").
        if (size_t hash = type.rfind('#'); hash != std::string::npos) {
          type = type.substr(hash + 1);
        }
      }
      for (const char* key : {"message", "Message"}) {
        if (const boost::json::value* m = object->if_contains(key); m && m->is_string()) {
          message = std::string(m->get_string());
          break;
        }
      }
    }
  }
  std::string text = type.empty() ? absl::StrCat("failed to ", Absl(what), ": HTTP ",
                                                 response.status)
                                  : absl::StrCat("failed to ", Absl(what), ": ", type,
                                                 message.empty() ? "" : ": ", message);
  absl::Status status(CodeFor(response.status, type), text);
  if (!type.empty()) {
    status.SetPayload(kPayloadKey, absl::Cord(type));
  }
  return status;
}

std::string EcsErrorName(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadKey);
  return payload.has_value() ? std::string(*payload) : std::string();
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

bool IsPermanentReportError(const absl::Status& status) {
  if (EcsErrorName(status).empty()) {
    return false;  // a transport failure or an answer without an error type
  }
  return status.code() == absl::StatusCode::kInvalidArgument ||
         status.code() == absl::StatusCode::kNotFound ||
         status.code() == absl::StatusCode::kFailedPrecondition;
}

}  // namespace berth::agent
