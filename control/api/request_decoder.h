#ifndef BERTH_CONTROL_API_REQUEST_DECODER_H_
#define BERTH_CONTROL_API_REQUEST_DECODER_H_

// The wire side of a request: X-Amz-Target, Content-Type and the JSON body,
// checked in that order (after authentication):
//   no or foreign X-Amz-Target, or an operation not registered
//                               → UnknownOperationException
//   Content-Type not application/x-amz-json-1.1 (1.0 and application/json
//   are accepted too; parameters ignored)
//                               → SerializationException
//   body not JSON, or not a JSON object
//                               → SerializationException
// An empty body is an empty object.

#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/object.hpp"
#include "control/api/operation.h"

namespace berth::control {

struct DecodedRequest {
  std::string_view operation;  // the registered name (stable storage)
  OpFn fn = nullptr;
  boost::json::object body;
};

absl::StatusOr<DecodedRequest> DecodeRequest(std::string_view target,
                                             std::string_view content_type,
                                             std::string_view body,
                                             const OperationRegistry& ops);

// `text` cut to `max` bytes with "..." appended, for echoing user input in
// messages.
std::string Excerpt(std::string_view text, size_t max = 64);

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_REQUEST_DECODER_H_
