// The codecs against the ECS API model: the botocore model's own examples
// decode and re-encode byte-for-byte (as JSON values), and every member name
// the encoders write is a member of the model's shape.

#include <fstream>
#include <sstream>
#include <string>

#include "boost/json/object.hpp"
#include "ecs/container_instance_json.h"
#include "ecs/json_text.h"
#include "ecs/placement_json.h"
#include "ecs/task_definition_json.h"
#include "ecs/task_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/ecs/fixtures.h"

namespace berth::ecs {
namespace {

// From botocore's ecs/2014-11-13/examples-1.json, DescribeContainerInstances.
constexpr char kDescribeContainerInstancesExample[] = R"({
  "agentConnected": true,
  "containerInstanceArn": "arn:aws:ecs:us-east-1:012345678910:container-instance/f2756532-8f13-4d53-87c9-aed50dc94cd7",
  "ec2InstanceId": "i-807f3249",
  "pendingTasksCount": 0,
  "registeredResources": [
    {"name": "CPU", "type": "INTEGER", "doubleValue": 0.0, "integerValue": 2048, "longValue": 0},
    {"name": "MEMORY", "type": "INTEGER", "doubleValue": 0.0, "integerValue": 3768, "longValue": 0},
    {"name": "PORTS", "type": "STRINGSET", "doubleValue": 0.0, "integerValue": 0, "longValue": 0,
     "stringSetValue": ["2376", "22", "51678", "2375"]}
  ],
  "remainingResources": [
    {"name": "CPU", "type": "INTEGER", "doubleValue": 0.0, "integerValue": 1948, "longValue": 0},
    {"name": "MEMORY", "type": "INTEGER", "doubleValue": 0.0, "integerValue": 3668, "longValue": 0},
    {"name": "PORTS", "type": "STRINGSET", "doubleValue": 0.0, "integerValue": 0, "longValue": 0,
     "stringSetValue": ["2376", "22", "80", "51678", "2375"]}
  ],
  "runningTasksCount": 1,
  "status": "ACTIVE"
})";

// DescribeTaskDefinition.
constexpr char kDescribeTaskDefinitionExample[] = R"({
  "containerDefinitions": [
    {"name": "wordpress", "cpu": 10, "environment": [], "essential": true, "image": "wordpress",
     "links": ["mysql"], "memory": 500, "mountPoints": [],
     "portMappings": [{"containerPort": 80, "hostPort": 80}], "volumesFrom": []},
    {"name": "mysql", "cpu": 10,
     "environment": [{"name": "MYSQL_ROOT_PASSWORD", "value": "password"}],
     "essential": true, "image": "mysql", "memory": 500, "mountPoints": [], "portMappings": [],
     "volumesFrom": []}
  ],
  "family": "hello_world",
  "revision": 8,
  "taskDefinitionArn": "arn:aws:ecs:us-east-1:<aws_account_id>:task-definition/hello_world:8",
  "volumes": []
})";

// DescribeTasks.
constexpr char kDescribeTasksExample[] = R"({
  "clusterArn": "arn:aws:ecs:<region>:<aws_account_id>:cluster/default",
  "containerInstanceArn": "arn:aws:ecs:<region>:<aws_account_id>:container-instance/18f9eda5-27d7-4c19-b133-45adc516e8fb",
  "containers": [{"name": "ecs-demo",
                  "containerArn": "arn:aws:ecs:<region>:<aws_account_id>:container/7c01765b-c588-45b3-8290-4ba38bd6c5a6",
                  "lastStatus": "RUNNING",
                  "networkBindings": [{"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 80}],
                  "taskArn": "arn:aws:ecs:<region>:<aws_account_id>:task/c5cba4eb-5dad-405e-96db-71ef8eefe6a8"}],
  "desiredStatus": "RUNNING",
  "lastStatus": "RUNNING",
  "overrides": {"containerOverrides": [{"name": "ecs-demo"}]},
  "startedBy": "ecs-svc/9223370608528463088",
  "taskArn": "arn:aws:ecs:<region>:<aws_account_id>:task/c5cba4eb-5dad-405e-96db-71ef8eefe6a8",
  "taskDefinitionArn": "arn:aws:ecs:<region>:<aws_account_id>:task-definition/amazon-ecs-sample:1"
})";

boost::json::value Parse(const char* text) {
  absl::StatusOr<boost::json::value> v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : boost::json::value();
}

TEST(EcsCodecModelTest, DescribeContainerInstancesExample) {
  boost::json::value json = Parse(kDescribeContainerInstancesExample);
  absl::StatusOr<ContainerInstance> ci = ContainerInstanceFromJson(json);
  ASSERT_TRUE(ci.ok()) << ci.status();
  EXPECT_EQ(ci->ec2_instance_id, "i-807f3249");
  EXPECT_TRUE(ci->agent_connected);
  EXPECT_EQ(ci->status, ContainerInstanceStatus::kActive);
  EXPECT_EQ(ci->running_tasks_count, 1);
  ASSERT_EQ(ci->registered_resources.size(), 3u);
  EXPECT_EQ(ci->registered_resources[1].name, "MEMORY");
  EXPECT_EQ(ci->registered_resources[1].integer_value, 3768);
  const Resource* ports = FindResource(ci->remaining_resources, kResourcePorts);
  ASSERT_NE(ports, nullptr);
  EXPECT_THAT(ports->string_set_value, ::testing::Contains("80"));
  EXPECT_TRUE(ci->other.empty());
  EXPECT_EQ(ToJson(*ci), json);
}

TEST(EcsCodecModelTest, DescribeTaskDefinitionExample) {
  boost::json::value json = Parse(kDescribeTaskDefinitionExample);
  absl::StatusOr<TaskDefinition> td = TaskDefinitionFromJson(json);
  ASSERT_TRUE(td.ok()) << td.status();
  EXPECT_EQ(td->family, "hello_world");
  EXPECT_EQ(td->revision, 8);
  ASSERT_EQ(td->container_definitions.size(), 2u);
  const ContainerDefinition& wp = td->container_definitions[0];
  EXPECT_EQ(wp.cpu, 10);
  EXPECT_EQ(wp.memory, 500);
  EXPECT_FALSE(wp.memory_reservation.has_value());
  ASSERT_EQ(wp.port_mappings.size(), 1u);
  EXPECT_EQ(wp.port_mappings[0].host_port, 80);
  EXPECT_EQ(td->EffectiveNetworkMode(), NetworkMode::kBridge);
  EXPECT_EQ(ToJson(*td), json);
}

TEST(EcsCodecModelTest, DescribeTasksExample) {
  boost::json::value json = Parse(kDescribeTasksExample);
  absl::StatusOr<Task> t = TaskFromJson(json);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->started_by, "ecs-svc/9223370608528463088");
  EXPECT_EQ(t->last_status, "RUNNING");
  EXPECT_EQ(ToJson(*t), json);
}

// The botocore model installed with the AWS CLI, if this host has it.
std::optional<boost::json::value> LoadModel() {
  for (const char* path :
       {"/usr/lib/python3/dist-packages/botocore/data/ecs/2014-11-13/service-2.json",
        "/usr/lib/python3/dist-packages/awscli/botocore/data/ecs/2014-11-13/service-2.json"}) {
    std::ifstream in(path);
    if (!in) {
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<boost::json::value> model = ParseJson(text.str());
    if (model.ok()) {
      return *model;
    }
  }
  return std::nullopt;
}

// Checks that every member of `json` is a member of model shape `shape`,
// recursively; returns the number of members checked.
int CheckMembers(const boost::json::object& shapes, const boost::json::value& json,
                 std::string_view shape, const std::string& path) {
  const boost::json::object& s = shapes.at(shape).as_object();
  std::string_view type = s.at("type").as_string();
  int checked = 0;
  if (type == "list") {
    std::string_view element = s.at("member").as_object().at("shape").as_string();
    const boost::json::array& a = json.as_array();
    for (size_t i = 0; i < a.size(); ++i) {
      checked += CheckMembers(shapes, a[i], element, path + "[" + std::to_string(i) + "]");
    }
  } else if (type == "structure") {
    const boost::json::object& members = s.at("members").as_object();
    for (const auto& m : json.as_object()) {
      std::string name(m.key());
      auto it = members.find(name);
      if (it == members.end()) {
        ADD_FAILURE() << path << "." << name << " is not a member of model shape " << shape;
        continue;
      }
      ++checked;
      checked += CheckMembers(shapes, m.value(), it->value().as_object().at("shape").as_string(),
                              path + "." + name);
    }
  }
  return checked;
}

TEST(EcsCodecModelTest, EveryMemberNameIsInTheModel) {
  std::optional<boost::json::value> model = LoadModel();
  if (!model.has_value()) {
    GTEST_SKIP() << "botocore's ECS model is not installed (python3-botocore)";
  }
  const boost::json::object& shapes = model->as_object().at("shapes").as_object();
  // Counts are the members each fixture sets, so a renamed or dropped member
  // fails here as well as a misspelt one.
  EXPECT_EQ(CheckMembers(shapes, ToJson(testing::FullContainerInstance()), "ContainerInstance",
                         "containerInstance"),
            14 + 3 + (5 + 5 + 6 + 6) * 2 + 4 + 1);
  EXPECT_EQ(CheckMembers(shapes, ToJson(testing::FullTaskDefinition()), "TaskDefinition",
                         "taskDefinition"),
            17 + 7 + 5 + 1 + 2);
  EXPECT_EQ(CheckMembers(shapes, ToJson(testing::FullTask()), "Task", "task"), 15);
  EXPECT_EQ(CheckMembers(shapes,
                         ToJson(PlacementStrategy{PlacementStrategyType::kBinpack, "memory"}),
                         "PlacementStrategy", "placementStrategy"),
            2);
  EXPECT_EQ(CheckMembers(shapes, ToJson(PlacementConstraint{PlacementConstraintType::kMemberOf, "x"}),
                         "PlacementConstraint", "placementConstraint"),
            2);
  EXPECT_EQ(CheckMembers(shapes, ToJson(Failure{"a", "b", "c"}), "Failure", "failure"), 3);
}

TEST(EcsCodecModelTest, EnumValuesMatchTheModel) {
  std::optional<boost::json::value> model = LoadModel();
  if (!model.has_value()) {
    GTEST_SKIP() << "botocore's ECS model is not installed (python3-botocore)";
  }
  const boost::json::object& shapes = model->as_object().at("shapes").as_object();
  auto values = [&](const char* shape) {
    std::vector<std::string> out;
    for (const auto& v : shapes.at(shape).as_object().at("enum").as_array()) {
      out.emplace_back(v.as_string());
    }
    return out;
  };
  for (const std::string& v : values("NetworkMode")) {
    EXPECT_TRUE(ParseNetworkMode(v).has_value()) << v;
  }
  for (const std::string& v : values("TransportProtocol")) {
    EXPECT_TRUE(ParseTransportProtocol(v).has_value()) << v;
  }
  for (const std::string& v : values("PlacementStrategyType")) {
    EXPECT_TRUE(ParsePlacementStrategyType(v).has_value()) << v;
  }
  for (const std::string& v : values("PlacementConstraintType")) {
    EXPECT_TRUE(ParsePlacementConstraintType(v).has_value()) << v;
  }
  for (const std::string& v : values("ContainerInstanceStatus")) {
    EXPECT_TRUE(ParseContainerInstanceStatus(v).has_value()) << v;
  }
}

}  // namespace
}  // namespace berth::ecs
