// Fuzzes the agent's task model decoders with every input:
// - DecodeTaskPayload (what berth-control sends): fails with InvalidArgument
//   "invalid ...", or gives a spec that passes ValidateTaskSpec and whose
//   fresh state round-trips through the store codec;
// - DecodeTaskState / DecodeTaskChange (the state store's records): fail
//   with DataLoss, or decode into a value whose encoding decodes to the same
//   value and encodes to the same text; a decoded change's
//   SubmitTaskStateChange body is valid JSON.
// The seeds in corpus/ are realistic payloads, states and changes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "agent/task/task_spec.h"
#include "agent/task/task_state.h"
#include "ecs/json_text.h"
#include "io/log.h"

namespace {

using berth::agent::TaskChange;
using berth::agent::TaskSpec;
using berth::agent::TaskState;

void CheckPayload(std::string_view text) {
  absl::StatusOr<TaskSpec> spec = berth::agent::DecodeTaskPayload(text);
  if (!spec.ok()) {
    CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument) << spec.status();
    CHECK(spec.status().message().substr(0, 7) == "invalid") << spec.status();
    return;
  }
  CHECK_OK(berth::agent::ValidateTaskSpec(*spec, "id", "containers"));
  TaskState state = berth::agent::NewTaskState(*spec);
  std::string encoded = berth::agent::EncodeTaskState(state);
  absl::StatusOr<TaskState> decoded = berth::agent::DecodeTaskState(encoded);
  CHECK(decoded.ok()) << decoded.status() << " for " << encoded;
  CHECK(*decoded == state) << encoded;
}

void CheckState(std::string_view text) {
  absl::StatusOr<TaskState> first = berth::agent::DecodeTaskState(text);
  if (!first.ok()) {
    CHECK(first.status().code() == absl::StatusCode::kDataLoss) << first.status();
    return;
  }
  std::string encoded = berth::agent::EncodeTaskState(*first);
  absl::StatusOr<TaskState> second = berth::agent::DecodeTaskState(encoded);
  CHECK(second.ok()) << second.status() << " for " << encoded;
  CHECK(*second == *first) << encoded;
  CHECK(berth::agent::EncodeTaskState(*second) == encoded) << encoded;
}

void CheckChange(std::string_view text) {
  absl::StatusOr<TaskChange> first = berth::agent::DecodeTaskChange(text);
  if (!first.ok()) {
    CHECK(first.status().code() == absl::StatusCode::kDataLoss) << first.status();
    return;
  }
  std::string encoded = berth::agent::EncodeTaskChange(*first);
  absl::StatusOr<TaskChange> second = berth::agent::DecodeTaskChange(encoded);
  CHECK(second.ok()) << second.status() << " for " << encoded;
  CHECK(*second == *first) << encoded;
  CHECK(berth::agent::EncodeTaskChange(*second) == encoded) << encoded;
  std::string body = berth::agent::SubmitTaskStateChangeBody(*first);
  CHECK(berth::ecs::ParseJson(body).ok()) << body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckPayload(text);
  CheckState(text);
  CheckChange(text);
  return 0;
}
