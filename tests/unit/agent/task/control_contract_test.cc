// The task model against the real berth-control operations: the payload
// RunTask sends to the agent decodes into the spec the definition and the
// overrides describe, and what SubmitTaskStateChangeBody writes is accepted
// by SubmitTaskStateChange and shows up in DescribeTasks.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/task/task_spec.h"
#include "agent/task/task_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using control::testing::Json;
using control::testing::OpHarness;

constexpr char kRegister[] = R"({"cluster":"prod",
  "totalResources":[{"name":"CPU","type":"INTEGER","integerValue":4096},
                    {"name":"MEMORY","type":"INTEGER","integerValue":4000}],
  "attributes":[{"name":"ecs.availability-zone","value":"us-east-1a"},
                {"name":"com.amazonaws.ecs.capability.logging-driver.journald"},
                {"name":"ecs.capability.container-ordering"},
                {"name":"ecs.capability.container-health-check"}]})";

// Every member the agent reads, in a definition berth-control accepts.
constexpr char kDefinition[] = R"({"family":"web","networkMode":"bridge",
  "cpu":"1 vCPU","memory":"1GB",
  "containerDefinitions":[
    {"name":"db","image":"postgres:16","cpu":512,"memory":512,"memoryReservation":256,
     "essential":true,"environment":[{"name":"PGDATA","value":"/data"}],
     "healthCheck":{"command":["CMD-SHELL","pg_isready"]},
     "stopTimeout":20,"portMappings":[{"containerPort":5432,"protocol":"tcp"}]},
    {"name":"app","image":"example/app:1","cpu":256,"memory":300,"essential":true,
     "entryPoint":["/bin/sh","-c"],"command":["exec app"],
     "environment":[{"name":"MODE","value":"prod"},{"name":"LOG","value":"info"}],
     "workingDirectory":"/srv","user":"1000:1000","hostname":"app1",
     "portMappings":[{"containerPort":8080,"hostPort":0},
                     {"containerPort":53,"hostPort":5353,"protocol":"udp","name":"dns"}],
     "dependsOn":[{"containerName":"db","condition":"HEALTHY"},
                  {"containerName":"init","condition":"SUCCESS"}],
     "startTimeout":120,"stopTimeout":10,
     "linuxParameters":{"initProcessEnabled":true},"readonlyRootFilesystem":true,
     "logConfiguration":{"logDriver":"journald"},
     "dockerLabels":{"team":"payments","tier":"web"}},
    {"name":"init","image":"busybox","essential":false,"memoryReservation":32,
     "command":["true"]}]})";

class ControlContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.EnableAgents();
    h_.Ok("CreateCluster", R"({"clusterName":"prod"})");
    h_.Ok("RegisterTaskDefinition", kDefinition);
    boost::json::object out = h_.Ok("RegisterContainerInstance", kRegister);
    h_.RunHooks(true);
    instance_ = std::string(out.at("containerInstance").at("containerInstanceArn").as_string());
  }

  // RunTask with `extra` members; returns the payload the agent receives.
  std::string RunAndReceive(const std::string& extra) {
    boost::json::object out = h_.Ok(
        "RunTask", absl::StrCat(R"({"cluster":"prod","taskDefinition":"web")", extra, "}"));
    EXPECT_EQ(out.at("tasks").as_array().size(), 1u) << Json(out);
    task_arn_ = std::string(out.at("tasks").at(0).at("taskArn").as_string());
    std::vector<berth::agents::SequencedMessage> sent = h_.SentTo(instance_);
    EXPECT_FALSE(sent.empty());
    return sent.empty() ? std::string() : sent.back().message.payload;
  }

  boost::json::object Describe() {
    boost::json::object out = h_.Ok(
        "DescribeTasks", absl::StrCat(R"({"cluster":"prod","tasks":[")", task_arn_, "\"]}"));
    return out.at("tasks").at(0).as_object();
  }

  OpHarness h_;
  std::string instance_;
  std::string task_arn_;
};

TEST_F(ControlContractTest, RunTaskPayloadDecodesIntoTheDefinitionsContainers) {
  absl::StatusOr<TaskSpec> spec = DecodeTaskPayload(RunAndReceive(
      R"(,"group":"batch","startedBy":"ci-42")"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->arn, task_arn_);
  EXPECT_EQ(spec->id, task_arn_.substr(task_arn_.rfind('/') + 1));
  EXPECT_EQ(spec->cluster_arn, "arn:aws:ecs:us-east-1:000000000000:cluster/prod");
  EXPECT_EQ(spec->container_instance_arn, instance_);
  EXPECT_EQ(spec->task_definition_arn,
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  EXPECT_EQ(spec->family, "web");
  EXPECT_EQ(spec->revision, 1);
  EXPECT_EQ(spec->desired_status, "RUNNING");
  EXPECT_EQ(spec->cpu_units, 1024);
  EXPECT_EQ(spec->memory_mib, 1024);
  EXPECT_EQ(spec->network_mode, ecs::NetworkMode::kBridge);
  EXPECT_EQ(spec->launch_type, "EC2");
  EXPECT_EQ(spec->availability_zone, "us-east-1a");
  EXPECT_EQ(spec->group, "batch");
  EXPECT_EQ(spec->started_by, "ci-42");
  EXPECT_EQ(spec->version, 1);
  ASSERT_EQ(spec->containers.size(), 3u);

  const ContainerSpec& db = spec->containers[0];
  EXPECT_EQ(db.name, "db");
  EXPECT_EQ(db.image, "postgres:16");
  EXPECT_EQ(db.cpu, 512);
  EXPECT_EQ(db.memory, 512);
  EXPECT_EQ(db.memory_reservation, 256);
  EXPECT_EQ(db.stop_timeout, 20);
  EXPECT_FALSE(db.entry_point.has_value());
  EXPECT_FALSE(db.command.has_value());
  EXPECT_THAT(db.environment, ElementsAre(Pair("PGDATA", "/data")));
  ASSERT_EQ(db.port_mappings.size(), 1u);
  EXPECT_EQ(db.port_mappings[0].container_port, 5432);
  EXPECT_EQ(db.log_driver, "json-file");

  const ContainerSpec& app = spec->containers[1];
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(app.image, "example/app:1");
  EXPECT_EQ(app.cpu, 256);
  EXPECT_EQ(app.memory, 300);
  EXPECT_EQ(app.memory_reservation, std::nullopt);
  EXPECT_TRUE(app.essential);
  EXPECT_EQ(app.entry_point, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(app.command, (std::vector<std::string>{"exec app"}));
  EXPECT_THAT(app.environment, ElementsAre(Pair("MODE", "prod"), Pair("LOG", "info")));
  EXPECT_EQ(app.working_directory, "/srv");
  EXPECT_EQ(app.user, "1000:1000");
  EXPECT_EQ(app.hostname, "app1");
  ASSERT_EQ(app.port_mappings.size(), 2u);
  EXPECT_EQ(app.port_mappings[0].container_port, 8080);
  EXPECT_EQ(app.port_mappings[0].host_port, 0);
  EXPECT_EQ(app.port_mappings[1].EffectiveProtocol(), ecs::TransportProtocol::kUdp);
  EXPECT_EQ(app.port_mappings[1].name, "dns");
  EXPECT_THAT(app.depends_on,
              ElementsAre(ContainerDependency{"db", DependencyCondition::kHealthy},
                          ContainerDependency{"init", DependencyCondition::kSuccess}));
  EXPECT_EQ(app.start_timeout, 120);
  EXPECT_EQ(app.stop_timeout, 10);
  EXPECT_TRUE(app.init_process_enabled);
  EXPECT_TRUE(app.readonly_root_filesystem);
  EXPECT_EQ(app.log_driver, "journald");
  EXPECT_THAT(app.docker_labels, ElementsAre(Pair("team", "payments"), Pair("tier", "web")));

  const ContainerSpec& init = spec->containers[2];
  EXPECT_FALSE(init.essential);
  EXPECT_EQ(init.cpu, 0);
  EXPECT_EQ(init.memory, std::nullopt);
  EXPECT_EQ(init.memory_reservation, 32);
  EXPECT_EQ(init.command, (std::vector<std::string>{"true"}));
}

TEST_F(ControlContractTest, RunTaskOverridesApplyToTheNamedContainers) {
  absl::StatusOr<TaskSpec> spec = DecodeTaskPayload(RunAndReceive(R"(,"overrides":{
      "cpu":"2048","memory":"2048",
      "containerOverrides":[
        {"name":"app","command":["exec app --debug"],
         "environment":[{"name":"LOG","value":"debug"},{"name":"EXTRA","value":"1"}],
         "cpu":512,"memory":600,"memoryReservation":400},
        {"name":"init","command":[]}]})"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->cpu_units, 2048);
  EXPECT_EQ(spec->memory_mib, 2048);
  const ContainerSpec* app = spec->FindContainer("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->command, (std::vector<std::string>{"exec app --debug"}));
  EXPECT_EQ(app->entry_point, (std::vector<std::string>{"/bin/sh", "-c"}));
  // The override's entries win by name; the definition's others stay.
  EXPECT_THAT(app->environment,
              ElementsAre(Pair("MODE", "prod"), Pair("LOG", "debug"), Pair("EXTRA", "1")));
  EXPECT_EQ(app->cpu, 512);
  EXPECT_EQ(app->memory, 600);
  EXPECT_EQ(app->memory_reservation, 400);
  // Present and empty: no command at all (not the image's).
  EXPECT_EQ(spec->FindContainer("init")->command, std::vector<std::string>{});
  // Containers without an override (control echoes {"name": ...}) keep theirs.
  EXPECT_EQ(spec->FindContainer("db")->cpu, 512);
  EXPECT_EQ(spec->FindContainer("db")->memory, 512);
}

TEST_F(ControlContractTest, ControlAcceptsTheStateChangeBodiesAndRecordsThem) {
  absl::StatusOr<TaskSpec> spec = DecodeTaskPayload(RunAndReceive(""));
  ASSERT_TRUE(spec.ok()) << spec.status();

  TaskChange running;
  running.cluster_arn = spec->cluster_arn;
  running.task_arn = spec->arn;
  running.status = "RUNNING";
  running.pull_started_at = absl::FromUnixMillis(1700000001250);
  running.pull_stopped_at = absl::FromUnixMillis(1700000002500);
  ContainerChange app;
  app.container_name = "app";
  app.runtime_id = std::string(64, 'a');
  app.status = "RUNNING";
  app.image_digest = "sha256:" + std::string(64, 'b');
  app.network_bindings = {NetworkBinding{"0.0.0.0", 8080, 32768, "tcp"},
                          NetworkBinding{"0.0.0.0", 53, 5353, "udp"}};
  running.containers.push_back(app);
  EXPECT_EQ(h_.Ok("SubmitTaskStateChange", SubmitTaskStateChangeBody(running))
                .at("acknowledgment")
                .as_string(),
            "ACK");
  boost::json::object task = Describe();
  EXPECT_EQ(task.at("lastStatus").as_string(), "RUNNING");
  EXPECT_EQ(task.at("pullStartedAt").as_double(), 1700000001.25);
  EXPECT_EQ(task.at("pullStoppedAt").as_double(), 1700000002.5);
  const boost::json::object* reported = nullptr;
  for (const boost::json::value& c : task.at("containers").as_array()) {
    if (c.at("name").as_string() == "app") {
      reported = &c.as_object();
    }
  }
  ASSERT_NE(reported, nullptr);
  EXPECT_EQ(reported->at("lastStatus").as_string(), "RUNNING");
  EXPECT_EQ(reported->at("runtimeId").as_string(), app.runtime_id);
  EXPECT_EQ(reported->at("imageDigest").as_string(), app.image_digest);
  EXPECT_EQ(Json(reported->at("networkBindings")),
            R"([{"bindIP":"0.0.0.0","containerPort":8080,"hostPort":32768,"protocol":"tcp"},)"
            R"({"bindIP":"0.0.0.0","containerPort":53,"hostPort":5353,"protocol":"udp"}])");

  TaskChange stopped;
  stopped.cluster_arn = spec->cluster_arn;
  stopped.task_arn = spec->arn;
  stopped.status = "STOPPED";
  stopped.reason = std::string(2000, 'x');
  stopped.execution_stopped_at = absl::FromUnixSeconds(1700000100);
  ContainerChange exited;
  exited.container_name = "app";
  exited.status = "STOPPED";
  exited.exit_code = 137;
  exited.reason = "OutOfMemoryError: Container killed due to memory usage";
  stopped.containers.push_back(exited);
  h_.Ok("SubmitTaskStateChange", SubmitTaskStateChangeBody(stopped));
  task = Describe();
  EXPECT_EQ(task.at("lastStatus").as_string(), "STOPPED");
  EXPECT_EQ(task.at("stopCode").as_string(), "EssentialContainerExited");
  EXPECT_EQ(task.at("executionStoppedAt").as_double(), 1700000100.0);
  for (const boost::json::value& c : task.at("containers").as_array()) {
    if (c.at("name").as_string() == "app") {
      EXPECT_EQ(c.at("exitCode").as_int64(), 137);
      EXPECT_EQ(c.at("reason").as_string(), exited.reason);
    }
  }
}

}  // namespace
}  // namespace berth::agent
