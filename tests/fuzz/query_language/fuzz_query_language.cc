// Fuzzes the cluster query language: arbitrary bytes must either parse or
// fail with a bounded InvalidArgument message that names a position; an
// expression that parses must evaluate without fault, and its canonical
// print must parse back to the same canonical text and the same results.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "control/scheduler/query/ast.h"
#include "control/scheduler/query/parser.h"
#include "control/scheduler/query/query.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace {

using berth::scheduler::query::Subject;

struct FixedSubject : Subject {
  bool connected = false;
  std::string version;
  std::string ec2_instance_id;
  absl::Time registered_at;
  int64_t running_tasks = 0;
  std::map<std::string, std::string, std::less<>> attributes;
  std::vector<std::string> groups;

  bool AgentConnected() const override { return connected; }
  std::string_view AgentVersion() const override { return version; }
  std::string_view Ec2InstanceId() const override { return ec2_instance_id; }
  absl::Time RegisteredAt() const override { return registered_at; }
  int64_t RunningTasksCount() const override { return running_tasks; }
  std::optional<std::string_view> Attribute(std::string_view name) const override {
    auto it = attributes.find(name);
    if (it == attributes.end()) {
      return std::nullopt;
    }
    return std::string_view(it->second);
  }
  void ForEachTaskGroup(absl::FunctionRef<bool(std::string_view)> fn) const override {
    for (const std::string& g : groups) {
      if (!fn(g)) {
        return;
      }
    }
  }
};

// Three instances that between them make most predicates true somewhere.
std::vector<FixedSubject> MakeSubjects() {
  std::vector<FixedSubject> subjects(3);
  FixedSubject& a = subjects[0];
  a.connected = true;
  a.version = "1.14.5";
  a.ec2_instance_id = "i-abcd1234";
  a.registered_at = absl::FromUnixSeconds(1529360908);  // 2018-06-18T22:28:28Z
  a.running_tasks = 2;
  a.attributes = {{"ecs.instance-type", "t2.small"},
                  {"ecs.availability-zone", "us-east-1a"},
                  {"stack", "prod"},
                  {"gpus", "4"},
                  {"ecs.capability.external", ""}};
  a.groups = {"service:production", "family:web"};
  FixedSubject& b = subjects[1];  // disconnected, external, empty
  b.connected = false;
  b.registered_at = absl::UnixEpoch();
  b.running_tasks = 0;
  FixedSubject& c = subjects[2];
  c.connected = true;
  c.version = "1.9.0-dev";
  c.ec2_instance_id = "i-wxyx7890";
  c.registered_at = absl::FromUnixSeconds(1518480000) + absl::Milliseconds(250);
  c.running_tasks = 10;
  c.attributes = {{"ecs.instance-type", "g2.2xlarge"}, {"stack", "a b"}, {"gpus", "10.5"}};
  c.groups = {"database"};
  return subjects;
}

const std::vector<FixedSubject>& Subjects() {
  static const auto* subjects = new std::vector<FixedSubject>(MakeSubjects());
  return *subjects;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace q = berth::scheduler::query;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<std::shared_ptr<const q::Expression>> expression = q::Parse(text);
  absl::StatusOr<std::unique_ptr<q::Node>> tree = q::ParseTree(text);
  CHECK_EQ(expression.ok(), tree.ok());
  if (!expression.ok()) {
    const absl::Status& s = expression.status();
    CHECK(s.code() == absl::StatusCode::kInvalidArgument) << s;
    std::string_view message = berth::Std(s.message());
    CHECK_LT(message.size(), 600u) << s;
    constexpr std::string_view kAt = "invalid expression at position ";
    if (message.substr(0, kAt.size()) != kAt) {
      // Only the length check has no position.
      CHECK(message.substr(0, 20) == "invalid expression: ") << s;
      CHECK_GT(q::CharPosition(text, text.size()) - 1, q::kMaxExpressionLength) << s;
      return 0;
    }
    // The position is within the input (or just past its end).
    size_t position = 0;
    for (size_t i = kAt.size(); i < message.size() && message[i] != ':'; ++i) {
      CHECK(message[i] >= '0' && message[i] <= '9') << s;
      position = position * 10 + static_cast<size_t>(message[i] - '0');
    }
    CHECK_GE(position, 1u) << s;
    CHECK_LE(position, q::CharPosition(text, text.size())) << s;
    return 0;
  }
  CHECK(size <= q::kMaxExpressionLength * 4);
  CHECK((*expression)->text() == text);

  std::string canonical = q::Print(**tree);
  q::ParseLimits unlimited;
  unlimited.max_length = 1 << 20;
  absl::StatusOr<std::unique_ptr<q::Node>> again = q::ParseTree(canonical, unlimited);
  CHECK(again.ok()) << "canonical form does not parse: " << canonical << ": "
                    << again.status();
  CHECK_EQ(q::Print(**again), canonical);

  for (const FixedSubject& subject : Subjects()) {
    bool result = (*expression)->Evaluate(subject);
    CHECK_EQ(q::Evaluate(**tree, subject), result);
    CHECK_EQ(q::Evaluate(**again, subject), result) << canonical;
  }
  return 0;
}
