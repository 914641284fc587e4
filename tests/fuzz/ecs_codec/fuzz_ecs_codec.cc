// Fuzzes the ecs/ JSON codecs: arbitrary bytes must either fail to parse
// or decode, with InvalidArgument, or decode into a struct whose encoding
// decodes back to the same struct and encodes to the same JSON. The first
// byte picks the shape; the rest is the JSON text.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "ecs/container_instance_json.h"
#include "ecs/json_text.h"
#include "ecs/placement_json.h"
#include "ecs/task_definition_json.h"
#include "ecs/task_json.h"
#include "io/log.h"

namespace {

template <typename Decode>
void RoundTrip(const boost::json::value& json, Decode decode) {
  auto first = decode(json, "");
  if (!first.ok()) {
    CHECK(first.status().code() == absl::StatusCode::kInvalidArgument) << first.status();
    CHECK(first.status().message().substr(0, 7) == "invalid") << first.status();
    return;
  }
  boost::json::value encoded = berth::ecs::ToJson(*first);
  auto second = decode(encoded, "");
  CHECK(second.ok()) << second.status() << " for " << berth::ecs::ToJsonText(encoded);
  CHECK(*second == *first) << berth::ecs::ToJsonText(encoded);
  CHECK(berth::ecs::ToJson(*second) == encoded) << berth::ecs::ToJsonText(encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  uint8_t shape = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<boost::json::value> json = berth::ecs::ParseJson(text);
  if (!json.ok()) {
    CHECK(json.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  switch (shape % 7) {
    case 0:
      RoundTrip(*json, berth::ecs::ContainerInstanceFromJson);
      break;
    case 1:
      RoundTrip(*json, berth::ecs::TaskDefinitionFromJson);
      break;
    case 2:
      RoundTrip(*json, berth::ecs::TaskFromJson);
      break;
    case 3:
      RoundTrip(*json, berth::ecs::PlacementStrategyFromJson);
      break;
    case 4:
      RoundTrip(*json, berth::ecs::PlacementConstraintFromJson);
      break;
    case 5:
      RoundTrip(*json, berth::ecs::ResourceFromJson);
      break;
    default:
      RoundTrip(*json, berth::ecs::FailureFromJson);
      break;
  }
  return 0;
}
