// The task metadata endpoint's task and container responses (v4 and v3),
// field by field, against the shapes in ../shared/reference/ecs-agent.md §2.

#include "agent/endpoints/task_metadata_views.h"

#include <string>

#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/endpoints/test_tasks.h"

namespace berth::agent::endpoints {
namespace {

namespace json = boost::json;
using testing::MakeTask;

TaskState RichTask() {
  TaskState task = MakeTask("158d", "4348", {"web"});
  task.spec.cpu_units = 256;
  task.spec.memory_mib = 512;
  task.spec.availability_zone = "us-east-1a";
  task.spec.network_mode = ecs::NetworkMode::kHost;
  task.pull_started_at = absl::FromUnixMillis(1714557600200);
  task.pull_stopped_at = absl::FromUnixMillis(1714557600900);
  ContainerSpec& spec = task.spec.containers[0];
  spec.cpu = 512;
  spec.memory = 256;
  spec.docker_labels = {{"team", "web"}};
  ecs::PortMapping mapping;
  mapping.container_port = 80;
  mapping.host_port = 80;
  spec.port_mappings = {mapping};
  ContainerState& c = task.containers[0];
  c.image_id = "sha256:2e00";
  c.started_at = absl::FromUnixSeconds(1714557602);
  c.network_bindings = {
      {.bind_ip = "0.0.0.0", .container_port = 80, .host_port = 80, .protocol = "tcp"}};
  return task;
}

TEST(TaskMetadataViewsTest, V4TaskAndContainer) {
  TaskState task = RichTask();
  json::object got = MetadataTaskResponse(task, "default", MetadataVersion::kV4);
  json::value want = json::parse(R"({
    "Cluster": "default",
    "TaskARN": "arn:aws:ecs:us-east-1:000000000000:task/default/158d",
    "Family": "nginx", "Revision": "5", "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
    "Limits": {"CPU": 0.25, "Memory": 512},
    "PullStartedAt": "2024-05-01T10:00:00.2Z", "PullStoppedAt": "2024-05-01T10:00:00.9Z",
    "AvailabilityZone": "us-east-1a", "LaunchType": "EC2",
    "Containers": [{
      "DockerId": "43480aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "Name": "web", "DockerName": "ecs-nginx-5-web-e4f0a1b2c3d4e5f6a7b8",
      "Image": "nginx:latest", "ImageID": "sha256:2e00",
      "Labels": {"team": "web", "com.amazonaws.ecs.cluster": "default",
                 "com.amazonaws.ecs.container-name": "web",
                 "com.amazonaws.ecs.task-arn": "arn:aws:ecs:us-east-1:000000000000:task/default/158d",
                 "com.amazonaws.ecs.task-definition-family": "nginx",
                 "com.amazonaws.ecs.task-definition-version": "5"},
      "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
      "Limits": {"CPU": 512, "Memory": 256},
      "CreatedAt": "2024-05-01T10:00:01Z", "StartedAt": "2024-05-01T10:00:02Z",
      "Type": "NORMAL", "LogDriver": "json-file",
      "Networks": [{"NetworkMode": "host"}],
      "Ports": [{"ContainerPort": 80, "Protocol": "tcp", "HostPort": 80, "HostIp": "0.0.0.0"}]
    }]
  })");
  EXPECT_EQ(json::value(got), want) << json::serialize(got);
}

TEST(TaskMetadataViewsTest, V3LeavesOutTheV4Fields) {
  json::object got = MetadataTaskResponse(RichTask(), "default", MetadataVersion::kV3);
  EXPECT_FALSE(got.contains("LaunchType"));
  const json::object& c = got["Containers"].as_array()[0].as_object();
  EXPECT_FALSE(c.contains("LogDriver"));
  EXPECT_FALSE(c.at("Ports").as_array()[0].as_object().contains("HostIp"));
}

TEST(TaskMetadataViewsTest, OmissionsAndMinimums) {
  TaskState task = MakeTask("t", "aa", {"side"});
  task.known = TaskStatus::kPulled;  // no string in the Amazon agent: NONE
  task.containers[0].known = ContainerStatus::kStopped;
  task.containers[0].exit_code = 137;
  task.containers[0].finished_at = absl::FromUnixSeconds(1714557603);
  json::object got = MetadataTaskResponse(task, "default", MetadataVersion::kV4);
  EXPECT_EQ(got["KnownStatus"], "NONE");
  EXPECT_FALSE(got.contains("Limits"));  // no task-level size
  EXPECT_FALSE(got.contains("PullStartedAt"));
  const json::object& c = got["Containers"].as_array()[0].as_object();
  EXPECT_EQ(c.at("Limits"), json::parse(R"({"CPU": 2, "Memory": 0})"));  // always there
  EXPECT_EQ(c.at("ExitCode"), 137);
  EXPECT_EQ(c.at("FinishedAt"), "2024-05-01T10:00:03Z");
  EXPECT_FALSE(c.contains("ImageID"));
  EXPECT_FALSE(c.contains("StartedAt"));
  EXPECT_FALSE(c.contains("Ports"));
  EXPECT_EQ(MetadataContainerStatus(ContainerStatus::kPulled), "PULLED");
}

}  // namespace
}  // namespace berth::agent::endpoints
