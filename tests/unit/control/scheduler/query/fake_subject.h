#ifndef BERTH_TESTS_UNIT_CONTROL_SCHEDULER_QUERY_FAKE_SUBJECT_H_
#define BERTH_TESTS_UNIT_CONTROL_SCHEDULER_QUERY_FAKE_SUBJECT_H_

// A container instance as a plain struct, and helpers that parse and
// evaluate in one step for the query-language tests.

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
#include "control/scheduler/query/query.h"
#include "gtest/gtest.h"

namespace berth::scheduler::query {

struct FakeSubject : Subject {
  bool connected = true;
  std::string version = "1.70.0";
  std::string ec2_instance_id = "i-abcd1234";
  absl::Time registered_at = absl::FromUnixSeconds(1529360908);  // 2018-06-18T22:28:28Z
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

// Parses `text` (failing the test if it does not parse) and evaluates it.
inline bool Matches(std::string_view text, const Subject& subject) {
  absl::StatusOr<std::shared_ptr<const Expression>> e = Parse(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status();
  return e.ok() && (*e)->Evaluate(subject);
}

// The InvalidArgument message Parse gives for `text` ("" and a test failure
// when it parses or fails with another code).
inline std::string ErrorOf(std::string_view text) {
  absl::StatusOr<std::shared_ptr<const Expression>> e = Parse(text);
  EXPECT_FALSE(e.ok()) << "parsed: " << text;
  if (e.ok()) {
    return "";
  }
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << e.status();
  return std::string(e.status().message());
}

}  // namespace berth::scheduler::query

#endif  // BERTH_TESTS_UNIT_CONTROL_SCHEDULER_QUERY_FAKE_SUBJECT_H_
