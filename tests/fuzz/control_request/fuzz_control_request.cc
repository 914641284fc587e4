// Fuzzes the ECS request path below HTTP: "<X-Amz-Target>\n<body>" goes
// through DecodeRequest and, when it decodes, through the operation on a
// small model. Never a crash, and:
//   - a decode failure is an ECS error (UnknownOperationException or
//     SerializationException), never a fault;
//   - an operation answers with JSON or an ECS error — a fault (a status
//     without an ECS type) is a bug;
//   - an operation that fails changed nothing (validate before writing);
//   - whatever an operation wrote decodes again: the committed records load
//     into a fresh model;
//   - every response body (output or error) is valid JSON (and so UTF-8).
// A target without '.' is taken as an operation name under the ECS prefix,
// so the corpus can say "CreateCluster\n{...}".

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "boost/json/serialize.hpp"
#include "control/api/ecs_error.h"
#include "control/api/operation.h"
#include "control/api/ops/ops.h"
#include "control/api/request_decoder.h"
#include "control/state/model.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/rng.h"
#include "tests/unit/control/api/fake_store.h"

namespace {

using berth::control::Args;
using berth::control::EcsErrorType;
using berth::control::OpContext;
using berth::control::OperationRegistry;

const OperationRegistry& Registry() {
  static const OperationRegistry* registry = [] {
    auto* r = new OperationRegistry();
    berth::control::ops::RegisterAllOperations(*r);
    return r;
  }();
  return *registry;
}

// A model with an ACTIVE, an INACTIVE and a busy cluster, one setting and
// two revisions of task definition family "web" (1 ACTIVE, 2 INACTIVE), so
// lookups find something.
void Seed(berth::control::state::Model& model) {
  berth::control::state::ChangeSet changes;
  berth::ecs::Cluster a;
  a.name = "prod";
  a.tags = {{"team", "core"}};
  model.clusters().Put(a, changes);
  berth::ecs::Cluster b;
  b.name = "old";
  b.status = "INACTIVE";
  model.clusters().Put(b, changes);
  berth::ecs::Cluster c;
  c.name = "busy";
  model.clusters().Put(c, changes);
  model.clusters().MutableCounts("busy").unstopped_tasks = 1;
  model.account_settings().Put({"containerInsights", "enabled", model.root_principal_arn()},
                               changes);
  for (int32_t revision : {1, 2}) {
    berth::control::state::TaskDefinitionEntry td;
    td.definition.family = "web";
    td.definition.revision = revision;
    td.definition.status = revision == 1 ? "ACTIVE" : "INACTIVE";
    berth::ecs::ContainerDefinition app;
    app.name = "app";
    app.image = "nginx";
    app.memory = 64;
    td.definition.container_definitions.push_back(app);
    td.tags = {{"team", "core"}};
    model.task_definitions().Put(td, changes);
  }
}

// The error body a client would get parses as JSON.
void CheckErrorBody(const absl::Status& status) {
  std::string body = berth::control::EcsErrorBody(EcsErrorType(status), berth::Std(status.message()));
  CHECK(berth::ecs::ParseJson(body).ok()) << "invalid JSON error body: " << body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::log::SetMinSeverity(berth::log::Severity::kFatal);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string target(input.substr(0, newline));
  std::string_view body = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  if (target.find('.') == std::string::npos) {
    target = "AmazonEC2ContainerServiceV20141113." + target;
  }
  absl::StatusOr<berth::control::DecodedRequest> decoded = berth::control::DecodeRequest(
      target, "application/x-amz-json-1.1", body, Registry());
  if (!decoded.ok()) {
    std::string type = EcsErrorType(decoded.status());
    CHECK(type == "UnknownOperationException" || type == "SerializationException")
        << decoded.status();
    CheckErrorBody(decoded.status());
    return 0;
  }
  berth::control::state::Model model(berth::ecs::ArnScope{});
  Seed(model);
  berth::control::state::ChangeSet changes;
  berth::io::Rng rng(1);
  OpContext ctx{model, changes, rng, absl::FromUnixSeconds(1700000000),
                model.root_principal_arn()};
  absl::StatusOr<boost::json::object> out = decoded->fn(ctx, Args(decoded->body));
  if (!out.ok()) {
    CHECK(!EcsErrorType(out.status()).empty())
        << decoded->operation << " faulted: " << out.status();
    CHECK(changes.empty()) << decoded->operation << " failed after changing the model";
    CheckErrorBody(out.status());
    return 0;
  }
  CHECK(berth::ecs::ParseJson(boost::json::serialize(*out)).ok());
  berth::control::testing::FakeStore store;
  store.Commit(changes.Take(), [](absl::Status s) { CHECK(s.ok()); });
  store.CompleteAll();
  berth::control::state::Model reloaded(berth::ecs::ArnScope{});
  absl::Status loaded = reloaded.Load(store);
  CHECK(loaded.ok()) << decoded->operation << " wrote a record that does not load: " << loaded;
  return 0;
}
