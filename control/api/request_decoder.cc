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

// The length of the well-formed UTF-8 sequence `text` starts with
// (Unicode 15, table 3-7: no overlongs, no surrogates, nothing past
// U+10FFFF), or 0.
size_t Utf8SequenceLength(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char c = byte(0);
  if (c < 0x80) {
    return 1;
  }
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    lo = c == 0xe0 ? 0xa0 : 0x80;
    hi = c == 0xed ? 0x9f : 0xbf;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    lo = c == 0xf0 ? 0x90 : 0x80;
    hi = c == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  if (text.size() < len || byte(1) < lo || byte(1) > hi) {
    return 0;
  }
  for (size_t k = 2; k < len; ++k) {
    if ((byte(k) & 0xc0) != 0x80) {
      return 0;
    }
  }
  return len;
}

}  // namespace

std::string Excerpt(std::string_view text, size_t max) {
  // Copies whole UTF-8 sequences only (headers may hold any bytes, and a cut
  // may fall inside a character), so the JSON error body stays valid UTF-8.
  std::string out;
  size_t i = 0;
  while (i < text.size() && out.size() < max) {
    size_t len = Utf8SequenceLength(text.substr(i));
    if (len == 0) {
      out.push_back('?');
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  if (i < text.size()) {
    out += "...";
  }
  return out;
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
