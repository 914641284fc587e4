#ifndef BERTH_TESTS_UNIT_CONTROL_API_OP_HARNESS_H_
#define BERTH_TESTS_UNIT_CONTROL_API_OP_HARNESS_H_

// Runs registered operations directly on a Model, as ApiService does, and
// keeps the ChangeSet each call made, so operation tests read like requests.

#include <string>
#include <string_view>

#include "boost/json/serialize.hpp"
#include "control/api/ecs_error.h"
#include "control/api/operation.h"
#include "control/api/ops/ops.h"
#include "control/state/model.h"
#include "ecs/json_text.h"
#include "gtest/gtest.h"
#include "io/rng.h"

namespace berth::control::testing {

class OpHarness {
 public:
  explicit OpHarness(ecs::ArnScope scope = {}) : model_(std::move(scope)) {
    ops::RegisterAllOperations(registry_);
  }

  // Runs `operation` with `body` (JSON text).
  absl::StatusOr<boost::json::object> Call(std::string_view operation, std::string_view body) {
    absl::StatusOr<boost::json::value> json = ecs::ParseJson(body);
    EXPECT_TRUE(json.ok()) << body;
    OpFn fn = registry_.Find(operation);
    EXPECT_NE(fn, nullptr) << operation;
    changes_ = state::ChangeSet();
    OpContext ctx{model_, changes_, rng_, now_, model_.root_principal_arn()};
    return fn(ctx, Args(json->as_object()));
  }

  // The call must succeed; returns its output.
  boost::json::object Ok(std::string_view operation, std::string_view body) {
    absl::StatusOr<boost::json::object> out = Call(operation, body);
    EXPECT_TRUE(out.ok()) << operation << " " << body << ": " << out.status();
    return out.ok() ? *out : boost::json::object();
  }

  // "Type: message" of a failed call, or "OK".
  std::string Error(std::string_view operation, std::string_view body) {
    absl::StatusOr<boost::json::object> out = Call(operation, body);
    if (out.ok()) {
      return "OK";
    }
    EXPECT_TRUE(changes_.empty()) << operation << " changed the model before failing";
    return EcsErrorType(out.status()) + ": " + std::string(out.status().message());
  }

  state::Model& model() { return model_; }
  const state::ChangeSet& changes() const { return changes_; }
  const OperationRegistry& registry() const { return registry_; }

 private:
  state::Model model_;
  OperationRegistry registry_;
  state::ChangeSet changes_;
  io::Rng rng_{42};
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

inline std::string Json(const boost::json::value& v) { return boost::json::serialize(v); }

}  // namespace berth::control::testing

#endif  // BERTH_TESTS_UNIT_CONTROL_API_OP_HARNESS_H_
