// DecodeTaskPayload on payloads shaped as berth-control writes them
// (control/api/ops/task_ops.cc TaskPayload: the task as DescribeTasks shows
// it with its tags, overrides echoed per container, and the definition as
// DescribeTaskDefinition shows it), and every rejection with its message.

#include <functional>
#include <string>
#include <vector>

#include "agent/task/task_spec.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kTaskArn[] =
    "arn:aws:ecs:us-east-1:000000000000:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0";

// A two-container payload as control sends it.
boost::json::object Payload() {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(R"({
    "task": {
      "attachments": [], "attributes": [{"name":"ecs.cpu-architecture","value":"x86_64"}],
      "availabilityZone": "us-east-1b",
      "clusterArn": "arn:aws:ecs:us-east-1:000000000000:cluster/prod",
      "containerInstanceArn": "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/ci1",
      "containers": [
        {"containerArn":"arn:aws:ecs:us-east-1:000000000000:container/prod/x/y","name":"web",
         "image":"nginx","lastStatus":"PENDING","networkInterfaces":[],"cpu":"128",
         "memory":"256"},
        {"containerArn":"arn:aws:ecs:us-east-1:000000000000:container/prod/x/z","name":"log",
         "image":"fluent","lastStatus":"PENDING","networkInterfaces":[],"cpu":"0"}],
      "createdAt": 1700000000.123, "desiredStatus": "RUNNING", "enableExecuteCommand": false,
      "group": "family:web", "healthStatus": "UNKNOWN", "lastStatus": "PENDING",
      "launchType": "EC2",
      "overrides": {"containerOverrides": [{"name":"web"},{"name":"log"}],
                    "inferenceAcceleratorOverrides": []},
      "taskArn": "arn:aws:ecs:us-east-1:000000000000:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
      "taskDefinitionArn": "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
      "version": 1, "tags": []},
    "taskDefinition": {
      "taskDefinitionArn": "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
      "containerDefinitions": [
        {"name":"web","image":"nginx","cpu":128,"memory":256,
         "portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}],
         "essential":true,"environment":[{"name":"A","value":"1"}],
         "mountPoints":[],"volumesFrom":[],
         "dependsOn":[{"containerName":"log","condition":"START"}]},
        {"name":"log","image":"fluent","cpu":0,"portMappings":[],"essential":false,
         "environment":[],"mountPoints":[],"volumesFrom":[]}],
      "family": "web", "networkMode": "host", "revision": 3, "status": "ACTIVE",
      "volumes": [], "placementConstraints": [], "requiresAttributes": [],
      "compatibilities": ["EXTERNAL","EC2"], "cpu": "512", "memory": "1024",
      "registeredAt": 1699999999.5, "registeredBy": "arn:aws:iam::000000000000:root"}})",
                                            ec);
  EXPECT_FALSE(ec) << ec.message();
  return v.as_object();
}

boost::json::object& Task(boost::json::object& p) { return p["task"].as_object(); }
boost::json::object& Definition(boost::json::object& p) {
  return p["taskDefinition"].as_object();
}
boost::json::object& Container(boost::json::object& p, size_t i) {
  return Definition(p)["containerDefinitions"].as_array()[i].as_object();
}

absl::StatusOr<TaskSpec> Decode(const boost::json::object& p) {
  return DecodeTaskPayload(boost::json::serialize(p));
}

// The InvalidArgument message of decoding `p`, or "OK".
std::string Error(const boost::json::object& p) {
  absl::StatusOr<TaskSpec> spec = Decode(p);
  if (spec.ok()) {
    return "OK";
  }
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << spec.status();
  return std::string(spec.status().message());
}

TEST(DecodeTaskPayloadTest, DecodesTheTaskAndItsDefinition) {
  absl::StatusOr<TaskSpec> spec = Decode(Payload());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->arn, kTaskArn);
  EXPECT_EQ(spec->id, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  EXPECT_EQ(spec->cluster_arn, "arn:aws:ecs:us-east-1:000000000000:cluster/prod");
  EXPECT_EQ(spec->container_instance_arn,
            "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/ci1");
  EXPECT_EQ(spec->task_definition_arn, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3");
  EXPECT_EQ(spec->family, "web");
  EXPECT_EQ(spec->revision, 3);
  EXPECT_EQ(spec->desired_status, "RUNNING");
  // No task.cpu/memory: the definition's.
  EXPECT_EQ(spec->cpu_units, 512);
  EXPECT_EQ(spec->memory_mib, 1024);
  EXPECT_EQ(spec->network_mode, ecs::NetworkMode::kHost);
  EXPECT_EQ(spec->availability_zone, "us-east-1b");
  EXPECT_EQ(spec->group, "family:web");
  EXPECT_EQ(spec->started_by, "");
  EXPECT_EQ(spec->version, 1);
  ASSERT_EQ(spec->containers.size(), 2u);
  const ContainerSpec& web = spec->containers[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.image, "nginx");
  EXPECT_EQ(web.cpu, 128);
  EXPECT_EQ(web.memory, 256);
  EXPECT_TRUE(web.essential);
  EXPECT_THAT(web.environment, ElementsAre(Pair("A", "1")));
  ASSERT_EQ(web.port_mappings.size(), 1u);
  EXPECT_EQ(web.port_mappings[0].host_port, 8080);
  EXPECT_THAT(web.depends_on,
              ElementsAre(ContainerDependency{"log", DependencyCondition::kStart}));
  EXPECT_FALSE(web.init_process_enabled);
  EXPECT_FALSE(web.readonly_root_filesystem);
  EXPECT_EQ(web.log_driver, "json-file");
  EXPECT_FALSE(spec->containers[1].essential);
  EXPECT_EQ(spec->FindContainer("log"), &spec->containers[1]);
  EXPECT_EQ(spec->FindContainer("nope"), nullptr);
}

TEST(DecodeTaskPayloadTest, EssentialDefaultsToTrueAndNetworkModeToBridge) {
  boost::json::object p = Payload();
  Container(p, 1).erase("essential");
  Definition(p).erase("networkMode");
  absl::StatusOr<TaskSpec> spec = Decode(p);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->containers[1].essential);
  EXPECT_EQ(spec->network_mode, ecs::NetworkMode::kBridge);
}

TEST(DecodeTaskPayloadTest, TaskSizeComesFromTheTaskBeforeTheDefinition) {
  boost::json::object p = Payload();
  Task(p)["cpu"] = "0.25 vCPU";
  Task(p)["memory"] = "0.5GB";
  absl::StatusOr<TaskSpec> spec = Decode(p);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->cpu_units, 256);
  EXPECT_EQ(spec->memory_mib, 512);

  Definition(p).erase("cpu");
  Definition(p).erase("memory");
  Task(p).erase("cpu");
  Task(p).erase("memory");
  spec = Decode(p);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->cpu_units, std::nullopt);
  EXPECT_EQ(spec->memory_mib, std::nullopt);
}

TEST(DecodeTaskPayloadTest, ContainerOverridesReplaceCommandAndMergeEnvironment) {
  boost::json::object p = Payload();
  Container(p, 0)["environment"] = boost::json::array{
      boost::json::object{{"name", "A"}, {"value", "1"}},
      boost::json::object{{"name", "B"}, {"value", "2"}}};
  Container(p, 0)["command"] = boost::json::array{"nginx", "-g", "daemon off;"};
  Task(p)["overrides"].as_object()["containerOverrides"] = boost::json::array{
      boost::json::object{{"name", "log"}},
      boost::json::object{
          {"name", "web"},
          {"command", boost::json::array{"nginx", "-T"}},
          {"environment", boost::json::array{boost::json::object{{"name", "A"}, {"value", "9"}},
                                             boost::json::object{{"name", "C"}}}},
          {"cpu", 64},
          {"memory", 128},
          {"memoryReservation", 100}}};
  absl::StatusOr<TaskSpec> spec = Decode(p);
  ASSERT_TRUE(spec.ok()) << spec.status();
  const ContainerSpec& web = spec->containers[0];
  EXPECT_EQ(web.command, (std::vector<std::string>{"nginx", "-T"}));
  EXPECT_THAT(web.environment, ElementsAre(Pair("B", "2"), Pair("A", "9"), Pair("C", "")));
  EXPECT_EQ(web.cpu, 64);
  EXPECT_EQ(web.memory, 128);
  EXPECT_EQ(web.memory_reservation, 100);
  EXPECT_EQ(spec->containers[1].command, std::nullopt);
}

TEST(DecodeTaskPayloadTest, NullMembersAreAbsent) {
  boost::json::object p = Payload();
  Container(p, 0)["command"] = nullptr;
  Container(p, 0)["dependsOn"] = nullptr;
  Container(p, 0)["linuxParameters"] = nullptr;
  Task(p)["overrides"] = nullptr;
  Task(p)["startedBy"] = nullptr;
  absl::StatusOr<TaskSpec> spec = Decode(p);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->containers[0].command, std::nullopt);
  EXPECT_TRUE(spec->containers[0].depends_on.empty());
  EXPECT_EQ(spec->started_by, "");
}

TEST(DecodeTaskPayloadTest, AnEnvironmentEntryWithoutAValueIsEmpty) {
  boost::json::object p = Payload();
  Container(p, 0)["environment"] =
      boost::json::array{boost::json::object{{"name", "EMPTY"}}};
  absl::StatusOr<TaskSpec> spec = Decode(p);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->containers[0].environment, ElementsAre(Pair("EMPTY", "")));
}

TEST(DecodeTaskPayloadTest, ADesiredStoppedTaskDecodes) {
  boost::json::object p = Payload();
  Task(p)["desiredStatus"] = "STOPPED";
  absl::StatusOr<TaskSpec> spec = Decode(p);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->desired_status, "STOPPED");
}

TEST(DecodeTaskPayloadTest, UnknownMembersAreIgnored) {
  boost::json::object p = Payload();
  p["future"] = boost::json::object{{"x", 1}};
  Task(p)["capacityProviderName"] = "cp";
  Definition(p)["status"] = "DELETE_IN_PROGRESS";
  Definition(p)["placementConstraints"] =
      boost::json::array{boost::json::object{{"type", "somethingNew"}}};
  Definition(p)["pidMode"] = "task";
  Container(p, 0)["firelensConfiguration"] = boost::json::object{{"type", "fluentbit"}};
  Container(p, 0)["linuxParameters"] = boost::json::object{
      {"initProcessEnabled", true}, {"capabilities", boost::json::object{}}};
  Container(p, 0)["logConfiguration"] =
      boost::json::object{{"logDriver", "none"}, {"options", boost::json::object{{"k", "v"}}}};
  absl::StatusOr<TaskSpec> spec = Decode(p);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->containers[0].init_process_enabled);
  EXPECT_EQ(spec->containers[0].log_driver, "none");
}

TEST(DecodeTaskPayloadTest, RejectsWhatIsNotAPayload) {
  EXPECT_THAT(std::string(DecodeTaskPayload("{").status().message()),
              ::testing::StartsWith("invalid JSON at offset"));
  EXPECT_EQ(DecodeTaskPayload("[]").status().message(),
            "invalid task payload: expected a JSON object");
  boost::json::object p = Payload();
  p.erase("task");
  EXPECT_EQ(Error(p), "invalid field 'task': required");
  p = Payload();
  p.erase("taskDefinition");
  EXPECT_EQ(Error(p), "invalid field 'taskDefinition': required");
  p = Payload();
  p["taskDefinition"] = boost::json::array{};
  EXPECT_EQ(Error(p), "invalid field 'taskDefinition': expected an object, got a list");
  p = Payload();
  p["task"] = "x";
  EXPECT_EQ(Error(p), "invalid field 'task': expected an object, got a string");
  p = Payload();
  Task(p).erase("taskArn");
  EXPECT_EQ(Error(p), "invalid field 'task.taskArn': required");
  p = Payload();
  Task(p)["version"] = "one";
  EXPECT_EQ(Error(p), "invalid field 'task.version': expected a 64-bit integer, got a string");
}

TEST(DecodeTaskPayloadTest, RejectsMalformedMembersNamingThem) {
  struct Case {
    std::function<void(boost::json::object&)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](auto& p) {
         Container(p, 1)["dependsOn"] = boost::json::array{
             boost::json::object{{"containerName", "web"}, {"condition", "READY"}}};
       },
       "invalid field 'taskDefinition.containerDefinitions[1].dependsOn[0].condition': expected "
       "one of START, COMPLETE, SUCCESS, HEALTHY, got \"READY\""},
      {[](auto& p) {
         Container(p, 1)["dependsOn"] =
             boost::json::array{boost::json::object{{"condition", "START"}}};
       },
       "invalid field 'taskDefinition.containerDefinitions[1].dependsOn[0].containerName': "
       "required"},
      {[](auto& p) { Container(p, 0)["command"] = "nginx"; },
       "invalid field 'taskDefinition.containerDefinitions[0].command': expected a list of "
       "strings"},
      {[](auto& p) { Container(p, 0)["entryPoint"] = boost::json::array{"sh", 1}; },
       "invalid field 'taskDefinition.containerDefinitions[0].entryPoint[1]': expected a string"},
      {[](auto& p) {
         Container(p, 0)["environment"] = boost::json::array{boost::json::object{{"value", "x"}}};
       },
       "invalid field 'taskDefinition.containerDefinitions[0].environment[0].name': required"},
      {[](auto& p) {
         Container(p, 0)["environment"] =
             boost::json::array{boost::json::object{{"name", ""}, {"value", "x"}}};
       },
       "invalid field 'taskDefinition.containerDefinitions[0].environment[0].name': expected a "
       "non-empty name"},
      {[](auto& p) { Container(p, 0)["dockerLabels"] = boost::json::object{{"a", 1}}; },
       "invalid field 'taskDefinition.containerDefinitions[0].dockerLabels.a': expected a string"},
      {[](auto& p) { Container(p, 0)["dockerLabels"] = boost::json::array{}; },
       "invalid field 'taskDefinition.containerDefinitions[0].dockerLabels': expected a map of "
       "strings"},
      {[](auto& p) { Container(p, 0)["logConfiguration"] = boost::json::object{}; },
       "invalid field 'taskDefinition.containerDefinitions[0].logConfiguration.logDriver': "
       "required"},
      {[](auto& p) {
         Container(p, 0)["linuxParameters"] = boost::json::object{{"initProcessEnabled", "yes"}};
       },
       "invalid field 'taskDefinition.containerDefinitions[0].linuxParameters."
       "initProcessEnabled': expected a boolean, got a string"},
      {[](auto& p) { Container(p, 0)["stopTimeout"] = 1.5; },
       "invalid field 'taskDefinition.containerDefinitions[0].stopTimeout': expected a 32-bit "
       "integer, got a number"},
      {[](auto& p) { Container(p, 0)["memory"] = -1; },
       "invalid field 'taskDefinition.containerDefinitions[0].memory': expected a non-negative "
       "integer, got -1"},
      {[](auto& p) { Container(p, 0)["image"] = ""; },
       "invalid field 'taskDefinition.containerDefinitions[0].image': required"},
      {[](auto& p) { Task(p)["cpu"] = "lots"; }, "invalid field 'task.cpu': "},
      {[](auto& p) { Definition(p)["memory"] = "1 TB of it"; },
       "invalid field 'taskDefinition.memory': "},
      {[](auto& p) { Task(p)["desiredStatus"] = "PENDING"; },
       "invalid field 'task.desiredStatus': expected one of RUNNING, STOPPED, got \"PENDING\""},
      {[](auto& p) {
         Task(p)["overrides"].as_object()["containerOverrides"] =
             boost::json::array{boost::json::object{{"name", "db"}}};
       },
       "invalid field 'task.overrides.containerOverrides[0].name': no container named \"db\" in "
       "the task definition"},
      {[](auto& p) {
         Task(p)["overrides"].as_object()["containerOverrides"] =
             boost::json::array{boost::json::object{{"name", "web"}, {"cpu", "1"}}};
       },
       "invalid field 'task.overrides.containerOverrides[0].cpu': expected a 32-bit integer, "
       "got a string"},
      {[](auto& p) { Task(p)["overrides"] = boost::json::array{}; },
       "invalid field 'task.overrides': expected an object, got a list"},
  };
  for (const Case& c : cases) {
    boost::json::object p = Payload();
    c.change(p);
    std::string message = Error(p);
    EXPECT_THAT(message, ::testing::StartsWith(c.message));
  }
}

TEST(DecodeTaskPayloadTest, RejectsWhatCannotBecomeACgroupOrAGraph) {
  boost::json::object p = Payload();
  Definition(p)["containerDefinitions"] = boost::json::array{};
  Task(p)["overrides"].as_object()["containerOverrides"] = boost::json::array{};
  EXPECT_EQ(Error(p),
            "invalid field 'taskDefinition.containerDefinitions': expected at least one "
            "container");

  for (std::string bad : std::vector<std::string>{"", "a b", "../x", "web.1", std::string(256, 'a'),
                                                 "caf\xC3\xA9"}) {
    p = Payload();
    Container(p, 1)["name"] = bad;
    Container(p, 0).erase("dependsOn");
    Task(p)["overrides"].as_object()["containerOverrides"] = boost::json::array{};
    EXPECT_THAT(Error(p), ::testing::StartsWith(
                              "invalid field 'taskDefinition.containerDefinitions[1].name': "
                              "expected 1 to 255 letters, digits, hyphens and underscores, got"))
        << bad;
  }
  p = Payload();
  Container(p, 1)["name"] = std::string(255, 'a') ;
  Container(p, 0).erase("dependsOn");
  Task(p)["overrides"].as_object()["containerOverrides"] = boost::json::array{};
  EXPECT_EQ(Error(p), "OK");

  p = Payload();
  Container(p, 1)["name"] = "web";
  Container(p, 0).erase("dependsOn");
  Task(p)["overrides"].as_object()["containerOverrides"] = boost::json::array{};
  EXPECT_EQ(Error(p),
            "invalid field 'taskDefinition.containerDefinitions[1].name': duplicate container "
            "name \"web\"");

  for (std::string bad : {"", "abc_def", "a.b", "x y"}) {
    p = Payload();
    Task(p)["taskArn"] = "arn:aws:ecs:us-east-1:000000000000:task/prod/" + bad;
    EXPECT_THAT(Error(p), ::testing::StartsWith(
                              "invalid field 'task.taskArn': expected a task id of 1 to 255 "
                              "letters, digits and hyphens, got \""))
        << bad;
  }

  p = Payload();
  Container(p, 0)["dependsOn"] =
      boost::json::array{boost::json::object{{"containerName", "db"}, {"condition", "START"}}};
  EXPECT_EQ(Error(p),
            "invalid field 'taskDefinition.containerDefinitions[0].dependsOn[0].containerName': "
            "expected another container of the task, got \"db\"");
  p = Payload();
  Container(p, 0)["dependsOn"] =
      boost::json::array{boost::json::object{{"containerName", "web"}, {"condition", "START"}}};
  EXPECT_EQ(Error(p),
            "invalid field 'taskDefinition.containerDefinitions[0].dependsOn[0].containerName': "
            "expected another container of the task, got \"web\"");

  p = Payload();
  Container(p, 1)["dependsOn"] = boost::json::array{
      boost::json::object{{"containerName", "web"}, {"condition", "COMPLETE"}}};
  EXPECT_EQ(Error(p),
            "invalid field 'taskDefinition.containerDefinitions': the dependsOn conditions form "
            "a cycle: web -> log -> web");
}

TEST(DecodeTaskPayloadTest, FindsLongerCyclesAndAcceptsDiamonds) {
  // a -> b -> c -> d, a -> c: a diamond, no cycle.
  boost::json::object p = Payload();
  auto dep = [](const char* name) {
    return boost::json::object{{"containerName", name}, {"condition", "START"}};
  };
  auto container = [&](const char* name, boost::json::array depends) {
    return boost::json::object{{"name", name}, {"image", "busybox"}, {"dependsOn", depends}};
  };
  Definition(p)["containerDefinitions"] = boost::json::array{
      container("a", {dep("b"), dep("c")}), container("b", {dep("c")}),
      container("c", {dep("d")}), container("d", {})};
  Task(p)["overrides"].as_object()["containerOverrides"] = boost::json::array{};
  EXPECT_EQ(Error(p), "OK");
  Definition(p)["containerDefinitions"].as_array()[3] = container("d", {dep("b")});
  EXPECT_EQ(Error(p),
            "invalid field 'taskDefinition.containerDefinitions': the dependsOn conditions form "
            "a cycle: b -> c -> d -> b");
}

}  // namespace
}  // namespace berth::agent
