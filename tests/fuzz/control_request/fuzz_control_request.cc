// Fuzzes the ECS request path below HTTP: "<X-Amz-Target>\n<body>" goes
// through DecodeRequest and, when it decodes, through the operation on a
// small seeded model with an agent channel. Never a crash, and:
//   - a decode failure is an ECS error (UnknownOperationException or
//     SerializationException), never a fault;
//   - an operation answers with JSON or an ECS error — a fault (a status
//     without an ECS type) is a bug;
//   - an operation that fails changed nothing (validate before writing) and
//     left no after_commit hook (it staged no agent message);
//   - the operation's after_commit hooks run — with true, or with false
//     (the commit failed) when the target line ends in '!' — and then:
//     a withdrawn message is never deliverable, and every message an agent
//     polls is answered as valid JSON with a task payload that is JSON;
//   - whatever an operation wrote decodes again: the seed's records plus
//     the operation's load into a fresh model, whose tasks encode exactly
//     as the live model's, and whose agent outboxes restore a channel;
//   - every response body (output, raw_response or error) is valid JSON (and
//     so UTF-8); DescribeTasks' spliced body shows each task as the model
//     holds it.
// A target without '.' is taken as an operation name under the ECS prefix,
// so the corpus can say "CreateCluster\n{...}". The pseudo-target
// "AgentPoll" fuzzes POST /agent/v1/poll's body instead: DecodeAgentPoll
// (errors are ECS-typed, a decoded body round-trips) and, as ApiService
// does, the poll itself on the seeded channel.
//
// The seed model (Seed() below) is built once, through the operations
// themselves, with fixed ids from io::Rng(1); each input loads its records
// into a fresh model and channel (LoadSeed). `BERTH_FUZZ_PRINT_SEED=1
// ./fuzz_control_request <any file>` prints the ids make_seeds.py names;
// BERTH_FUZZ_VERBOSE=1 prints each input's result.
//
// The pseudo-target "AgentPublishMetrics" fuzzes POST /agent/v1/metrics'
// body: DecodeAgentTelemetry (errors are ECS-typed; a decoded message keeps
// the limits and every stats set is possible) and, as ApiService does,
// TelemetryStore::Record on the seeded model, then the utilization metrics,
// whose every value must be a finite, non-negative number.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/json/serialize.hpp"
#include "control/agents/agent_channel.h"
#include "control/api/agent_dispatch.h"
#include "control/api/agent_poll.h"
#include "control/api/agent_telemetry.h"
#include "control/api/ecs_error.h"
#include "control/api/operation.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/ops/ops.h"
#include "control/api/request_decoder.h"
#include "control/api/utilization.h"
#include "control/state/model.h"
#include "control/state/task_table.h"
#include "ecs/arn.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/fake_loop.h"
#include "io/log.h"
#include "io/rng.h"
#include "tests/unit/control/api/fake_store.h"

namespace {

using berth::control::Args;
using berth::control::EcsErrorType;
using berth::control::OpContext;
using berth::control::OperationRegistry;
namespace state = berth::control::state;
namespace agents = berth::agents;

const absl::Time kSeedTime = absl::FromUnixSeconds(1700000000);

const OperationRegistry& Registry() {
  static const OperationRegistry* registry = [] {
    auto* r = new OperationRegistry();
    berth::control::ops::RegisterAllOperations(*r);
    return r;
  }();
  return *registry;
}

// One input's world: the model, an agent channel on a fake loop and the
// dispatch operations send through, the rng the seed and the operation
// share (so ids never repeat), and every record the seed wrote.
struct World {
  World() : model(berth::ecs::ArnScope{}) {
    channel = std::make_unique<agents::AgentChannel>(loop);
    dispatch =
        std::make_unique<berth::control::AgentDispatch>(*channel, model, "http://127.0.0.1:8080");
  }
  OpContext Context(state::ChangeSet& changes, absl::Time now) {
    OpContext ctx{model, changes, rng, now, model.root_principal_arn()};
    ctx.agents = dispatch.get();
    return ctx;
  }

  berth::io::FakeLoop loop;
  state::Model model;
  std::unique_ptr<agents::AgentChannel> channel;
  std::unique_ptr<berth::control::AgentDispatch> dispatch;
  berth::io::Rng rng{1};
  std::vector<berth::control::Mutation> seed_records;  // while Seed() builds them
  std::vector<std::string> instance_arns;              // prod: active, draining, inactive
};

void Keep(World& w, state::ChangeSet& changes) {
  for (berth::control::Mutation& m : changes.Take()) {
    w.seed_records.push_back(std::move(m));
  }
}

// Runs one seed operation (it must succeed) and its hooks as durable.
boost::json::object Must(World& w, std::string_view operation, std::string_view body,
                         absl::Time now = kSeedTime) {
  absl::StatusOr<boost::json::value> json = berth::ecs::ParseJson(body);
  CHECK(json.ok() && json->is_object()) << body;
  berth::control::OpFn fn = Registry().Find(operation);
  CHECK(fn != nullptr) << operation;
  state::ChangeSet changes;
  OpContext ctx = w.Context(changes, now);
  absl::StatusOr<boost::json::object> out = fn(ctx, Args(json->as_object()));
  CHECK(out.ok()) << "seed " << operation << " " << body << ": " << out.status();
  for (auto& hook : ctx.after_commit) {
    hook(true);
  }
  Keep(w, changes);
  return *std::move(out);
}

std::string TaskArn(const boost::json::object& run, size_t i) {
  CHECK(run.at("tasks").as_array().size() > i) << boost::json::serialize(run);
  return std::string(run.at("tasks").at(i).at("taskArn").as_string());
}

std::string InstanceArn(const boost::json::object& out) {
  return std::string(out.at("containerInstance").at("containerInstanceArn").as_string());
}

// prod (tagged): instances i1 ACTIVE, i2 DRAINING, i3 INACTIVE, with CPU,
// MEMORY and PORTS and attributes; tasks of api:1 and web:1 — PENDING,
// RUNNING, STOPPED, and RUNNING with desiredStatus STOPPED (stopping).
// old: INACTIVE. busy: ACTIVE with a counted unstopped task. An account
// setting; task definition family "web" (1 ACTIVE, 2 INACTIVE) and "api"
// (1 ACTIVE, two containers, host port 8080).
void Seed(World& w) {
  state::Model& model = w.model;
  {
    state::ChangeSet changes;
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
    model.account_settings().Put({"containerInsights", "enabled", model.root_principal_arn()},
                                 changes);
    for (int32_t revision : {1, 2}) {
      state::TaskDefinitionEntry td;
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
    Keep(w, changes);
  }
  Must(w, "RegisterTaskDefinition", R"({"family":"api","containerDefinitions":[
      {"name":"app","image":"nginx","cpu":256,"memory":128,
       "portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},
      {"name":"log","image":"busybox","memoryReservation":32,"essential":false}],
      "tags":[{"key":"team","value":"core"}]})");
  std::string i1 = InstanceArn(Must(w, "RegisterContainerInstance", R"({"cluster":"prod",
      "totalResources":[{"name":"CPU","type":"INTEGER","integerValue":4096},
                        {"name":"MEMORY","type":"INTEGER","integerValue":8192},
                        {"name":"PORTS","type":"STRINGSET","stringSetValue":["22"]},
                        {"name":"PORTS_UDP","type":"STRINGSET","stringSetValue":[]}],
      "attributes":[{"name":"ecs.availability-zone","value":"us-east-1a"},
                    {"name":"ecs.instance-type","value":"t3.large"},
                    {"name":"ecs.cpu-architecture","value":"x86_64"},
                    {"name":"ecs.os-type","value":"linux"},
                    {"name":"stack","value":"blue"}],
      "versionInfo":{"agentVersion":"1.80.0","agentHash":"abc","dockerVersion":"none"},
      "tags":[{"key":"team","value":"core"}]})"));
  std::string i2 = InstanceArn(Must(w, "RegisterContainerInstance", R"({"cluster":"prod",
      "totalResources":[{"name":"CPU","type":"INTEGER","integerValue":2048},
                        {"name":"MEMORY","type":"INTEGER","integerValue":4096},
                        {"name":"PORTS","type":"STRINGSET","stringSetValue":["22","2376"]}],
      "attributes":[{"name":"ecs.availability-zone","value":"us-east-1b"},
                    {"name":"ecs.instance-type","value":"m5.large"},
                    {"name":"stack","value":"green"}],
      "instanceIdentityDocument":"{\"instanceId\":\"i-0123456789abcdef0\",\"instanceType\":\"m5.large\"}"})"));
  std::string i3 = InstanceArn(Must(w, "RegisterContainerInstance", R"({"cluster":"prod",
      "totalResources":[{"name":"CPU","type":"INTEGER","integerValue":1024},
                        {"name":"MEMORY","type":"INTEGER","integerValue":1024}]})"));
  Must(w, "DeregisterContainerInstance",
       absl::StrCat(R"({"cluster":"prod","containerInstance":")", i3, R"("})"));
  // Two api tasks, one per instance (host port 8080); then web tasks.
  boost::json::object api = Must(w, "RunTask", R"({"cluster":"prod","taskDefinition":"api:1",
      "count":2,"placementConstraints":[{"type":"distinctInstance"}],
      "placementStrategy":[{"type":"spread","field":"attribute:ecs.availability-zone"}],
      "propagateTags":"TASK_DEFINITION","group":"service:api"})");
  boost::json::object ci = Must(w, "RunTask", R"({"cluster":"prod","taskDefinition":"web",
      "startedBy":"ci","tags":[{"key":"run","value":"7"}],
      "placementConstraints":[{"type":"memberOf","expression":"attribute:stack == blue"}]})");
  boost::json::object web = Must(w, "RunTask", R"({"cluster":"prod","taskDefinition":"web:1",
      "placementStrategy":[{"type":"binpack","field":"memory"}]})");
  std::string running = TaskArn(api, 0);
  std::string stopped = TaskArn(ci, 0);
  std::string stopping = TaskArn(web, 0);
  absl::Time later = kSeedTime + absl::Seconds(5);
  Must(w, "SubmitTaskStateChange",
       absl::StrCat(R"({"cluster":"prod","task":")", running,
                    R"(","status":"RUNNING","containers":[{"containerName":"app","status":"RUNNING",
       "runtimeId":"r1","networkBindings":[{"bindIP":"0.0.0.0","containerPort":80,
       "hostPort":8080,"protocol":"tcp"}]},{"containerName":"log","status":"RUNNING"}],
       "pullStartedAt":1700000001,"pullStoppedAt":1700000002})"),
       later);
  Must(w, "SubmitTaskStateChange",
       absl::StrCat(R"({"cluster":"prod","task":")", stopped, R"(","status":"RUNNING"})"), later);
  Must(
      w, "SubmitContainerStateChange",
      absl::StrCat(R"({"cluster":"prod","task":")", stopped,
                   R"(","containerName":"app","status":"STOPPED","exitCode":1,"reason":"exited"})"),
      later);
  Must(w, "SubmitTaskStateChange",
       absl::StrCat(R"({"cluster":"prod","task":")", stopped,
                    R"(","status":"STOPPED","reason":"done","executionStoppedAt":1700000009})"),
       later + absl::Seconds(4));
  Must(w, "SubmitTaskStateChange",
       absl::StrCat(R"({"cluster":"prod","task":")", stopping, R"(","status":"RUNNING"})"), later);
  Must(w, "StopTask",
       absl::StrCat(R"({"cluster":"prod","task":")", stopping, R"(","reason":"scale in"})"),
       later + absl::Seconds(1));
  Must(w, "UpdateContainerInstancesState",
       absl::StrCat(R"({"cluster":"prod","status":"DRAINING","containerInstances":[")", i2,
                    R"("]})"));
  // Both agents poll; i1's acknowledges its first message, and that ack is
  // stored (the lazy header write).
  uint64_t first = 0;
  w.channel->Poll(i1, "seed", 0, [&first](agents::PollResult r) {
    CHECK(!r.messages.empty());
    first = r.messages.front().seq;
  });
  w.channel->Poll(i1, "seed", first, [](agents::PollResult) {});
  w.channel->Poll(i2, "seed", 0, [](agents::PollResult) {});
  {
    state::ChangeSet changes;
    OpContext ctx = w.Context(changes, kSeedTime);
    CHECK(w.dispatch->AckUnpersisted(i1));
    w.dispatch->PersistAck(ctx, i1);
    Keep(w, changes);
  }
  model.clusters().MutableCounts("busy").unstopped_tasks = 1;
  w.instance_arns = {i1, i2, i3};
  if (getenv("BERTH_FUZZ_PRINT_SEED") != nullptr) {
    std::cout << "instances " << i1 << " " << i2 << " " << i3 << "\n"
              << "tasks running " << running << "\npending " << TaskArn(api, 1) << "\nstopped "
              << stopped << "\nstopping " << stopping << "\n";
  }
}

void CheckReload(World& w, const std::vector<berth::control::Mutation>& seed,
                 state::ChangeSet& changes, std::string_view operation);

// Seed() runs once; each input gets a fresh model loaded from its records
// (as berth-control starts from its store), a fresh channel restored from
// the stored outboxes (AgentDispatch::Restore, as at start-up) whose agents
// poll again, and the rng as Seed() left it. Nothing mutable is shared.
struct SeedImage {
  std::vector<berth::control::Mutation> records;
  std::vector<std::string> instance_arns;
  berth::io::Rng rng{1};
};

const SeedImage& Image() {
  static const SeedImage* image = [] {
    World w;
    Seed(w);
    auto* s = new SeedImage{std::move(w.seed_records), w.instance_arns, w.rng};
    if (getenv("BERTH_FUZZ_PRINT_SEED") != nullptr) {
      size_t bytes = 0;
      for (const berth::control::Mutation& m : s->records) {
        bytes += m.key.size() + m.value.value_or("").size();
      }
      std::cout << s->records.size() << " seed records, " << bytes << " bytes\n";
    }
    // The model the operations built is the one its records load into.
    state::ChangeSet none;
    CheckReload(w, s->records, none, "Seed");
    return s;
  }();
  return *image;
}

void LoadSeed(World& w, berth::control::testing::FakeStore& store) {
  const SeedImage& image = Image();
  store.Commit(image.records, [](absl::Status s) { CHECK(s.ok()); });
  store.CompleteAll();
  absl::Status loaded = w.model.Load(store);
  CHECK(loaded.ok()) << loaded;
  absl::Status restored = w.dispatch->Restore();
  CHECK(restored.ok()) << restored;
  w.rng = image.rng;
  w.instance_arns = image.instance_arns;
  // The agents of i1 and i2 poll again (connected); held polls are dropped
  // with the channel.
  for (size_t i = 0; i < 2; ++i) {
    w.channel->Poll(w.instance_arns[i], "seed", 0, [](agents::PollResult) {});
  }
  w.model.clusters().MutableCounts("busy").unstopped_tasks = 1;
}

// The error body a client would get parses as JSON.
void CheckErrorBody(const absl::Status& status) {
  std::string body =
      berth::control::EcsErrorBody(EcsErrorType(status), berth::Std(status.message()));
  CHECK(berth::ecs::ParseJson(body).ok()) << "invalid JSON error body: " << body;
}

// A poll answer is JSON and each task payload in it is JSON; sequence
// numbers increase.
void CheckPollResult(const agents::PollResult& result) {
  std::string answer = berth::control::AgentPollAnswer(result);
  CHECK(berth::ecs::ParseJson(answer).ok()) << "invalid poll answer: " << answer;
  uint64_t last = 0;
  for (const agents::SequencedMessage& m : result.messages) {
    CHECK(m.seq > last) << answer;
    last = m.seq;
    if (!m.message.payload.empty()) {
      CHECK(berth::ecs::ParseJson(m.message.payload).ok())
          << "task payload is not JSON: " << m.message.payload;
    }
  }
}

// Published (deliverable) messages per prod instance, by sequence number.
std::vector<std::vector<uint64_t>> Published(World& w) {
  std::vector<std::vector<uint64_t>> out;
  for (const std::string& arn : w.instance_arns) {
    std::vector<uint64_t> seqs;
    if (std::optional<agents::OutboxRecord> r = w.channel->SnapshotInstance(arn)) {
      for (const agents::SequencedMessage& m : r->messages) {
        seqs.push_back(m.seq);
      }
    }
    out.push_back(std::move(seqs));
  }
  return out;
}

// The seed's records and `changes` load into a fresh model that agrees with
// the live one, and its stored outboxes restore a channel.
void CheckReload(World& w, const std::vector<berth::control::Mutation>& seed,
                 state::ChangeSet& changes, std::string_view operation) {
  if (changes.empty() && operation != "Seed") {
    return;  // the seed's records were checked once, by Image()
  }
  berth::control::testing::FakeStore store;
  store.Commit(seed, [](absl::Status s) { CHECK(s.ok()); });
  store.Commit(changes.Take(), [](absl::Status s) { CHECK(s.ok()); });
  store.CompleteAll();
  state::Model reloaded(berth::ecs::ArnScope{});
  absl::Status loaded = reloaded.Load(store);
  CHECK(loaded.ok()) << operation << " wrote a record that does not load: " << loaded;
  const state::TaskTable::Map& live = w.model.tasks().entries();
  const state::TaskTable::Map& back = reloaded.tasks().entries();
  CHECK(live.size() == back.size())
      << operation << ": " << live.size() << " tasks in memory, " << back.size() << " reloaded";
  for (auto a = live.begin(), b = back.begin(); a != live.end(); ++a, ++b) {
    CHECK(a->first == b->first) << operation << ": task " << a->first << " vs " << b->first;
    CHECK(state::EncodeTask(a->second) == state::EncodeTask(b->second))
        << operation << ": task " << a->first << " differs after reload";
  }
  CHECK(w.model.container_instances().entries().size() ==
        reloaded.container_instances().entries().size())
      << operation << ": container instances differ after reload";
  for (const auto& [key, entry] : w.model.container_instances().entries()) {
    const state::ContainerInstanceEntry* r = reloaded.container_instances().FindById(entry.id);
    CHECK(r != nullptr) << operation << ": instance " << key << " lost on reload";
    CHECK(r->instance.status == entry.instance.status &&
          r->instance.attributes == entry.instance.attributes && r->tags == entry.tags)
        << operation << ": instance " << key << " differs after reload";
  }
  berth::io::FakeLoop loop;
  agents::AgentChannel channel(loop);
  berth::control::AgentDispatch dispatch(channel, reloaded, "http://127.0.0.1:8080");
  absl::Status restored = dispatch.Restore();
  CHECK(restored.ok()) << operation << " left outbox records that do not restore: " << restored;
}

// DescribeTasks' spliced body: each task as the model holds it (+ tags).
void CheckDescribedTasks(World& w, const boost::json::object& out) {
  const boost::json::value* tasks = out.if_contains("tasks");
  CHECK(tasks != nullptr && tasks->is_array()) << boost::json::serialize(out);
  for (const boost::json::value& t : tasks->get_array()) {
    CHECK(t.is_object());
    boost::json::object shown = t.get_object();
    shown.erase("tags");
    std::string_view arn = shown.at("taskArn").as_string();
    const state::TaskEntry* entry = w.model.tasks().FindById(berth::ecs::IdOfArnOrId(arn));
    CHECK(entry != nullptr) << arn;
    CHECK(shown == entry->task) << "DescribeTasks shows " << boost::json::serialize(shown)
                                << " for a task the model holds as "
                                << boost::json::serialize(entry->task);
  }
}

// "AgentPoll\n<body>": DecodeAgentPoll, then the poll as ApiService runs it.
void FuzzAgentPoll(std::string_view body) {
  absl::StatusOr<berth::control::AgentPollRequest> poll = berth::control::DecodeAgentPoll(body);
  if (getenv("BERTH_FUZZ_VERBOSE") != nullptr) {
    std::cout << "AgentPoll -> "
              << (poll.ok() ? absl::StrCat(poll->instance, " ", poll->session, " ", poll->ack)
                            : poll.status().ToString())
              << "\n";
  }
  if (!poll.ok()) {
    std::string type = EcsErrorType(poll.status());
    CHECK(type == "SerializationException" || type == "InvalidParameterException")
        << "poll body decode: " << poll.status();
    CheckErrorBody(poll.status());
    return;
  }
  // Round trip: the decoded members, encoded again, decode to the same.
  boost::json::object again{{"containerInstanceArn", poll->instance},
                            {"sessionId", poll->session},
                            {"ack", static_cast<int64_t>(poll->ack)}};
  if (const boost::json::value* c = poll->body.if_contains("cluster"); c && c->is_string()) {
    again["cluster"] = c->get_string();
  }
  CHECK(poll->ack <= static_cast<uint64_t>(INT64_MAX));
  std::string text = boost::json::serialize(again);
  absl::StatusOr<berth::control::AgentPollRequest> back = berth::control::DecodeAgentPoll(text);
  CHECK(back.ok()) << text << ": " << back.status();
  CHECK(back->instance == poll->instance && back->session == poll->session &&
        back->ack == poll->ack)
      << text;
  CHECK(back->body.if_contains("cluster") == nullptr ||
        back->body.at("cluster") == poll->body.at("cluster"))
      << text;

  World w;
  berth::control::testing::FakeStore seed_store;
  LoadSeed(w, seed_store);
  absl::StatusOr<const berth::ecs::Cluster*> cluster =
      berth::control::ops::RequestCluster(w.model, Args(poll->body));
  if (!cluster.ok()) {
    CHECK(!EcsErrorType(cluster.status()).empty()) << "poll cluster: " << cluster.status();
    CheckErrorBody(cluster.status());
    return;
  }
  const state::ContainerInstanceEntry* instance =
      w.model.container_instances().Find((*cluster)->name, berth::ecs::IdOfArnOrId(poll->instance));
  if (instance == nullptr || !instance->registered()) {
    return;  // reregister / InactiveInstanceException, answered without the channel
  }
  std::string arn = instance->instance.container_instance_arn;
  int answers = 0;
  w.channel->Poll(arn, poll->session, poll->ack, [&answers](agents::PollResult result) {
    ++answers;
    CheckPollResult(result);
  });
  CHECK(answers <= 1);
  // The lazy ack write, as ApiService::MaybePersistAck makes it.
  state::ChangeSet changes;
  OpContext ctx = w.Context(changes, kSeedTime);
  if (w.dispatch->AckUnpersisted(arn)) {
    w.dispatch->PersistAck(ctx, arn);
    CHECK(!changes.empty()) << "an unpersisted ack wrote nothing";
  }
  CheckReload(w, Image().records, changes, "AgentPoll");
}

// "AgentPublishMetrics\n<body>": DecodeAgentTelemetry, then the figures
// recorded and rendered as ApiService does.
void FuzzAgentTelemetry(std::string_view body) {
  absl::StatusOr<berth::control::AgentTelemetryRequest> message =
      berth::control::DecodeAgentTelemetry(body);
  if (getenv("BERTH_FUZZ_VERBOSE") != nullptr) {
    std::cout << "AgentPublishMetrics -> "
              << (message.ok()
                      ? absl::StrCat(message->instance, " ", message->tasks.size(), " tasks")
                      : message.status().ToString())
              << "\n";
  }
  if (!message.ok()) {
    std::string type = EcsErrorType(message.status());
    CHECK(type == "SerializationException" || type == "InvalidParameterException")
        << "telemetry body decode: " << message.status();
    CheckErrorBody(message.status());
    return;
  }
  CHECK(message->tasks.size() <= berth::control::kMaxTelemetryTasks);
  CHECK(!message->instance.empty() && !message->message_id.empty());
  for (const berth::control::TelemetryTask& t : message->tasks) {
    CHECK(!t.task_arn.empty());
    CHECK(t.containers.size() <= berth::control::kMaxTelemetryContainers);
    for (const berth::control::TelemetryContainer& c : t.containers) {
      CHECK(!c.name.empty());
      for (const auto& set : {c.cpu, c.memory}) {
        if (!set.has_value()) continue;
        CHECK(set->sample_count > 0 && set->min >= 0 && set->min <= set->max)
            << set->min << " " << set->max << " " << set->sample_count;
        CHECK(std::isfinite(set->Average()) && set->Average() >= 0) << set->Average();
      }
    }
  }
  World w;
  berth::control::testing::FakeStore seed_store;
  LoadSeed(w, seed_store);
  absl::StatusOr<const berth::ecs::Cluster*> cluster =
      berth::control::ops::RequestCluster(w.model, Args(message->metadata, "metadata"));
  if (!cluster.ok()) {
    CHECK(!EcsErrorType(cluster.status()).empty()) << "telemetry cluster: " << cluster.status();
    CheckErrorBody(cluster.status());
    return;
  }
  const state::ContainerInstanceEntry* instance = w.model.container_instances().Find(
      (*cluster)->name, berth::ecs::IdOfArnOrId(message->instance));
  if (instance == nullptr || !instance->registered()) {
    return;  // InvalidParameterException / InactiveInstanceException
  }
  berth::control::TelemetryStore telemetry;
  telemetry.Record(*message, w.model, (*cluster)->name, instance->id, kSeedTime);
  CHECK_EQ(telemetry.stats().tasks + telemetry.stats().tasks_skipped, message->tasks.size());
  std::string text;
  berth::control::RenderUtilizationMetrics(
      berth::control::ComputeUtilization(w.model, telemetry, kSeedTime), telemetry.stats(), &text);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    CHECK(space != std::string_view::npos) << line;
    std::string value(line.substr(space + 1));
    char* end = nullptr;
    double v = strtod(value.c_str(), &end);
    CHECK(end != value.c_str() && *end == '\0' && std::isfinite(v) && v >= 0) << line;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::log::SetMinSeverity(berth::log::Severity::kFatal);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string target(input.substr(0, newline));
  std::string_view body = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  if (target == "AgentPoll") {
    FuzzAgentPoll(body);
    return 0;
  }
  if (target == "AgentPublishMetrics") {
    FuzzAgentTelemetry(body);
    return 0;
  }
  // "<Operation>!": the operation's commit fails (after_commit(false)).
  bool durable = true;
  if (!target.empty() && target.back() == '!') {
    durable = false;
    target.pop_back();
  }
  if (target.find('.') == std::string::npos) {
    target = "AmazonEC2ContainerServiceV20141113." + target;
  }
  absl::StatusOr<berth::control::DecodedRequest> decoded =
      berth::control::DecodeRequest(target, "application/x-amz-json-1.1", body, Registry());
  if (!decoded.ok()) {
    std::string type = EcsErrorType(decoded.status());
    CHECK(type == "UnknownOperationException" || type == "SerializationException")
        << decoded.status();
    CheckErrorBody(decoded.status());
    return 0;
  }
  World w;
  berth::control::testing::FakeStore seed_store;
  LoadSeed(w, seed_store);
  std::vector<std::vector<uint64_t>> before = Published(w);
  state::ChangeSet changes;
  OpContext ctx = w.Context(changes, kSeedTime + absl::Seconds(60));
  absl::StatusOr<boost::json::object> out = decoded->fn(ctx, Args(decoded->body));
  if (getenv("BERTH_FUZZ_VERBOSE") != nullptr) {
    std::cout << decoded->operation << (durable ? "" : "!") << " -> "
              << (out.ok() ? ctx.raw_response.value_or(boost::json::serialize(*out))
                           : out.status().ToString())
                     .substr(0, 300)
              << "\n";
  }
  if (!out.ok()) {
    CHECK(!EcsErrorType(out.status()).empty())
        << decoded->operation << " faulted: " << out.status();
    CHECK(changes.empty()) << decoded->operation << " failed after changing the model";
    CHECK(ctx.after_commit.empty()) << decoded->operation << " failed after staging a message";
    CheckErrorBody(out.status());
    return 0;
  }
  if (ctx.raw_response.has_value()) {
    absl::StatusOr<boost::json::value> raw = berth::ecs::ParseJson(*ctx.raw_response);
    CHECK(raw.ok() && raw->is_object())
        << decoded->operation
        << " wrote a raw response that is not a JSON object: " << *ctx.raw_response;
    if (decoded->operation == "DescribeTasks") {
      CheckDescribedTasks(w, raw->get_object());
    }
  } else {
    CHECK(berth::ecs::ParseJson(boost::json::serialize(*out)).ok());
  }
  bool sent = !ctx.after_commit.empty();
  std::vector<absl::AnyInvocable<void(bool)>> hooks = std::move(ctx.after_commit);
  for (auto& hook : hooks) {
    hook(durable);
  }
  if (sent) {
    std::vector<std::vector<uint64_t>> after = Published(w);
    if (!durable) {
      // Withdrawn: nothing new is deliverable (an outbox may have gone with
      // a deregistration).
      for (size_t i = 0; i < after.size(); ++i) {
        for (uint64_t seq : after[i]) {
          bool known = false;
          for (uint64_t b : before[i]) known |= b == seq;
          CHECK(known) << decoded->operation << ": message " << seq
                       << " is deliverable after its commit failed";
        }
      }
    }
    for (const std::string& arn : w.instance_arns) {
      w.channel->Poll(arn, "fuzz", 0, [](agents::PollResult result) { CheckPollResult(result); });
    }
  }
  CheckReload(w, Image().records, changes, decoded->operation);
  return 0;
}
