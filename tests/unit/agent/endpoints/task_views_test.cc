#include "agent/endpoints/task_views.h"

#include "agent/endpoints/go_json.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/endpoints/test_tasks.h"

namespace berth::agent::endpoints {
namespace {

using testing::MakeTask;

std::string Json(const boost::json::value& v) { return GoJson(v); }

TEST(V1DesiredStatusTest, OmissionRulesForEveryStatusPair) {
  // Backend names: NONE, PULLED and CREATED are all PENDING.
  struct Case {
    TaskStatus known;
    TaskStatus desired;
    std::string_view want;  // "" = omitted
  };
  using S = TaskStatus;
  const Case cases[] = {
      // Known PENDING: desired always shown.
      {S::kNone, S::kNone, "PENDING"},
      {S::kNone, S::kRunning, "RUNNING"},
      {S::kNone, S::kStopped, "STOPPED"},
      {S::kPulled, S::kCreated, "PENDING"},
      {S::kPulled, S::kRunning, "RUNNING"},
      {S::kCreated, S::kRunning, "RUNNING"},
      {S::kCreated, S::kStopped, "STOPPED"},
      // Known RUNNING: a PENDING desired status is omitted.
      {S::kRunning, S::kNone, ""},
      {S::kRunning, S::kPulled, ""},
      {S::kRunning, S::kCreated, ""},
      {S::kRunning, S::kRunning, "RUNNING"},
      {S::kRunning, S::kStopped, "STOPPED"},
      // Known STOPPED: only a STOPPED desired status is shown.
      {S::kStopped, S::kNone, ""},
      {S::kStopped, S::kCreated, ""},
      {S::kStopped, S::kRunning, ""},
      {S::kStopped, S::kStopped, "STOPPED"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(V1DesiredStatus(c.known, c.desired), c.want)
        << ToString(c.known) << "/" << ToString(c.desired);
    TaskState task = MakeTask("t1", "ab");
    task.known = c.known;
    task.desired = c.desired;
    boost::json::object o = V1TaskResponse(task);
    EXPECT_EQ(o.contains("DesiredStatus"), !c.want.empty());
    EXPECT_EQ(o["KnownStatus"].as_string(), BackendStatus(c.known));
  }
}

TEST(V1TaskResponseTest, FullTaskExactly) {
  TaskState task = MakeTask("5a1", "43481a6c", {"web"});
  ContainerState& c = task.containers[0];
  c.image_id = "sha256:2e00";
  c.created_at = absl::FromUnixSeconds(1714557601) + absl::Milliseconds(100);
  c.started_at = absl::FromUnixSeconds(1714557602) + absl::Milliseconds(300);
  c.network_bindings = {{"0.0.0.0", 80, 32768, "tcp"}};
  EXPECT_EQ(Json(V1TaskResponse(task)),
            R"({"Arn":"arn:aws:ecs:us-east-1:000000000000:task/default/5a1",)"
            R"("DesiredStatus":"RUNNING","KnownStatus":"RUNNING","Family":"nginx","Version":"5",)"
            R"("Containers":[{"DockerId":")" + c.runtime_id +
                R"(","DockerName":"ecs-nginx-5-web-e4f0a1b2c3d4e5f6a7b8","Name":"web",)"
                R"("Image":"nginx:latest","ImageID":"sha256:2e00",)"
                R"("CreatedAt":"2024-05-01T10:00:01.1Z","StartedAt":"2024-05-01T10:00:02.3Z",)"
                R"("Ports":[{"ContainerPort":80,"Protocol":"tcp","HostPort":32768,)"
                R"("HostIp":"0.0.0.0"}]}]})");
}

TEST(V1TaskResponseTest, UnknownFieldsAreOmittedBeforeTheContainerExists) {
  TaskState task = MakeTask("t1", "ab");
  task.known = TaskStatus::kNone;
  ContainerState& c = task.containers[0];
  c.known = ContainerStatus::kNone;
  // The engine picks the ids when the task arrives; they show once created.
  c.created_at.reset();
  EXPECT_EQ(Json(V1ContainerResponse(task, 0)),
            R"({"DockerId":"","DockerName":"","Name":"web","Image":"nginx:latest"})");
}

TEST(V1TaskResponseTest, TaskWithoutContainersHasAnEmptyList) {
  TaskState task = MakeTask("t1", "ab", {});
  EXPECT_EQ(Json(V1TaskResponse(task)["Containers"]), "[]");
}

TEST(V1TaskResponseTest, EmptyResponseIsGoZeroValue) {
  EXPECT_EQ(Json(EmptyV1TaskResponse()),
            R"({"Arn":"","KnownStatus":"","Family":"","Version":"","Containers":null})");
}

TEST(V1MetadataResponseTest, ArnIsNullBeforeRegistration) {
  AgentMetadata m{"default", std::nullopt};
  EXPECT_EQ(Json(V1MetadataResponse(m, "berth-agent - v0.1.0 (abcdef12)")),
            R"({"Cluster":"default","ContainerInstanceArn":null,)"
            R"j("Version":"berth-agent - v0.1.0 (abcdef12)"})j");
  m.container_instance_arn = "arn:x";
  EXPECT_EQ(Json(V1MetadataResponse(m, "v")),
            R"({"Cluster":"default","ContainerInstanceArn":"arn:x","Version":"v"})");
}

ecs::PortMapping Mapping(std::optional<int32_t> container, std::optional<int32_t> host,
                         std::optional<ecs::TransportProtocol> protocol = std::nullopt) {
  ecs::PortMapping m;
  m.container_port = container;
  m.host_port = host;
  m.protocol = protocol;
  return m;
}

TEST(PortsViewTest, FromTheTaskDefinitionBeforeAnyBinding) {
  TaskState task = MakeTask("t1", "ab");
  task.spec.network_mode = ecs::NetworkMode::kBridge;
  task.spec.containers[0].port_mappings = {
      Mapping(80, std::nullopt), Mapping(53, 5353, ecs::TransportProtocol::kUdp), Mapping(81, 0)};
  EXPECT_EQ(Json(PortsView(task.spec, &task.spec.containers[0], task.containers[0])),
            R"([{"ContainerPort":80,"Protocol":"tcp"},)"
            R"({"ContainerPort":53,"Protocol":"udp","HostPort":5353},)"
            R"({"ContainerPort":81,"Protocol":"tcp"}])");
}

TEST(PortsViewTest, HostModeWithoutHostPortIsTheContainerPort) {
  TaskState task = MakeTask("t1", "ab");
  task.spec.network_mode = ecs::NetworkMode::kHost;
  task.spec.containers[0].port_mappings = {Mapping(8080, std::nullopt)};
  EXPECT_EQ(Json(PortsView(task.spec, &task.spec.containers[0], task.containers[0])),
            R"([{"ContainerPort":8080,"Protocol":"tcp","HostPort":8080}])");
}

TEST(PortsViewTest, BindingsWinOverTheTaskDefinition) {
  TaskState task = MakeTask("t1", "ab");
  task.spec.containers[0].port_mappings = {Mapping(80, std::nullopt)};
  task.containers[0].network_bindings = {{"127.0.0.1", 80, 49153, "tcp"}, {"", 0, 0, ""}};
  EXPECT_EQ(Json(PortsView(task.spec, &task.spec.containers[0], task.containers[0])),
            R"([{"ContainerPort":80,"Protocol":"tcp","HostPort":49153,"HostIp":"127.0.0.1"},{}])");
}

TEST(PortsViewTest, AwsvpcHostPortIsTheContainerPort) {
  TaskState task = MakeTask("t1", "ab");
  task.spec.network_mode = ecs::NetworkMode::kAwsvpc;
  task.spec.containers[0].port_mappings = {Mapping(80, 8080)};
  EXPECT_EQ(Json(PortsView(task.spec, &task.spec.containers[0], task.containers[0])),
            R"([{"ContainerPort":80,"Protocol":"tcp","HostPort":80}])");
  task.containers[0].network_bindings = {{"0.0.0.0", 443, 1234, "tcp"}};
  EXPECT_EQ(Json(PortsView(task.spec, &task.spec.containers[0], task.containers[0])),
            R"([{"ContainerPort":443,"Protocol":"tcp","HostPort":443,"HostIp":"0.0.0.0"}])");
}

TEST(PortsViewTest, NoPortsMeansNoPortsMember) {
  TaskState task = MakeTask("t1", "ab");
  EXPECT_TRUE(PortsView(task.spec, &task.spec.containers[0], task.containers[0]).empty());
  EXPECT_FALSE(V1ContainerResponse(task, 0).contains("Ports"));
  EXPECT_FALSE(V1ContainerResponse(task, 0).contains("Networks"));
  EXPECT_FALSE(V1ContainerResponse(task, 0).contains("Volumes"));
}

TEST(V1ContainerResponseTest, FindsTheSpecByNameWhenOutOfStep) {
  TaskState task = MakeTask("t1", "ab", {"a", "b"});
  task.spec.containers[1].image = "busybox";
  std::swap(task.containers[0], task.containers[1]);
  EXPECT_EQ(V1ContainerResponse(task, 0)["Image"].as_string(), "busybox");
  EXPECT_EQ(V1ContainerResponse(task, 1)["Image"].as_string(), "nginx:latest");
}

}  // namespace
}  // namespace berth::agent::endpoints
