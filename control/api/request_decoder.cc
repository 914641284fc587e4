#include "control/api/request_decoder.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "control/api/ecs_error.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"

namespace berth::control {
namespace {

absl::Status UnknownOperation(std::string_view message) {
  return EcsError(ecs_errors::kUnknownOperation, message);
}

absl::Status Serialization(std::string_view message) {
  return EcsError(ecs_errors::kSerialization, message);
}

bool AcceptedContentType(std::string_view content_type) {
  absl::string_view media = Absl(content_type.substr(0, content_type.find(';')));
  media = absl::StripAsciiWhitespace(media);
  return absl::EqualsIgnoreCase(media, "application/x-amz-json-1.1") ||
         absl::EqualsIgnoreCase(media, "application/x-amz-json-1.0") ||
         absl::EqualsIgnoreCase(media, "application/json");
}

}  // namespace

std::string Excerpt(std::string_view text, size_t max) {
  if (text.size() <= max) {
    return std::string(text);
  }
  return absl::StrCat(Absl(text.substr(0, max)), "...");
}

absl::StatusOr<DecodedRequest> DecodeRequest(std::string_view target,
                                             std::string_view content_type,
                                             std::string_view body,
                                             const OperationRegistry& ops) {
  if (target.empty()) {
    return UnknownOperation(absl::StrCat("Missing X-Amz-Target header; expected ",
                                         Absl(kTargetPrefix), ".<Operation>."));
  }
  size_t dot = target.rfind('.');
  std::string_view prefix = dot == std::string_view::npos ? "" : target.substr(0, dot);
  std::string_view name = dot == std::string_view::npos ? target : target.substr(dot + 1);
  OpFn fn = prefix == kTargetPrefix ? ops.Find(name) : nullptr;
  if (fn == nullptr) {
    return UnknownOperation(
        absl::StrCat("Unknown operation '", Excerpt(target), "'. Operations are named ",
                     Absl(kTargetPrefix), ".<Operation>, e.g. ", Absl(kTargetPrefix),
                     ".ListClusters."));
  }
  if (!AcceptedContentType(content_type)) {
    return Serialization(absl::StrCat("Unsupported Content-Type '", Excerpt(content_type),
                                      "'; the ECS API takes application/x-amz-json-1.1."));
  }
  DecodedRequest decoded;
  decoded.operation = ops.CanonicalName(name);
  decoded.fn = fn;
  if (absl::StripAsciiWhitespace(Absl(body)).empty()) {
    return decoded;
  }
  absl::StatusOr<boost::json::value> json = ecs::ParseJson(body);
  if (!json.ok()) {
    return Serialization(absl::StrCat("The request body is not valid JSON: ",
                                      json.status().message()));
  }
  boost::json::object* object = json->if_object();
  if (object == nullptr) {
    return Serialization("The request body must be a JSON object.");
  }
  decoded.body = std::move(*object);
  return decoded;
}

}  // namespace berth::control
