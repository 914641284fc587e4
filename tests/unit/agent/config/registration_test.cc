#include "agent/config/registration.h"

#include <string>

#include "absl/status/status.h"
#include "boost/json/serialize.hpp"
#include "ecs/container_instance_json.h"
#include "ecs/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::agent::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

HostFacts Host() {
  HostFacts h;
  h.cpus = 2;
  h.memory_mib = 7852;
  h.machine = "x86_64";
  h.hostname = "node-1";
  h.kernel_release = "6.1.0";
  return h;
}

AgentConfig Config(const EnvMap& file) {
  absl::StatusOr<AgentConfig> c = ConfigFromVariables(file, {});
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : AgentConfig{};
}

RegisterRequest Build(const AgentConfig& config, const HostFacts& host = Host(),
                      const RegistrationInput& input = {}) {
  absl::StatusOr<RegisterRequest> r = BuildRegisterRequest(config, host, input);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : RegisterRequest{};
}

std::vector<std::string> AttributeTexts(const RegisterRequest& r) {
  std::vector<std::string> out;
  for (const ecs::Attribute& a : r.attributes) {
    out.push_back(a.value.has_value() ? a.name + "=" + *a.value : a.name);
  }
  return out;
}

TEST(RegistrationTest, DefaultRequestBodyExactly) {
  RegistrationInput input;
  input.agent_version = "0.1.0";
  RegisterRequest r = Build(AgentConfig{}, Host(), input);
  EXPECT_EQ(
      r.ToJsonText(),
      R"({"cluster":"default",)"
      R"("totalResources":[)"
      R"({"name":"CPU","type":"INTEGER","doubleValue":0E0,"longValue":0,"integerValue":2048},)"
      R"({"name":"MEMORY","type":"INTEGER","doubleValue":0E0,"longValue":0,"integerValue":7852},)"
      R"({"name":"PORTS","type":"STRINGSET","doubleValue":0E0,"longValue":0,"integerValue":0,)"
      R"("stringSetValue":["22","2375","2376","51678","51679"]},)"
      R"({"name":"PORTS_UDP","type":"STRINGSET","doubleValue":0E0,"longValue":0,"integerValue":0,)"
      R"("stringSetValue":[]}],)"
      R"("attributes":[{"name":"ecs.os-type","value":"linux"},)"
      R"({"name":"ecs.os-family","value":"LINUX"},)"
      R"({"name":"ecs.cpu-architecture","value":"x86_64"},)"
      R"({"name":"ecs.availability-zone","value":"us-east-1a"},)"
      R"({"name":"ecs.instance-type","value":"2vcpu-8gib"},)"
      R"({"name":"berth.cgroup-enforcement","value":"false"},)"
      R"({"name":"com.amazonaws.ecs.capability.logging-driver.json-file"},)"
      R"({"name":"com.amazonaws.ecs.capability.logging-driver.none"},)"
      R"({"name":"ecs.capability.container-ordering"},)"
      R"({"name":"ecs.capability.task-cpu-mem-limit"}],)"
      R"("versionInfo":{"agentVersion":"0.1.0"}})");
}

TEST(RegistrationTest, ResourcesFollowHostAndConfig) {
  HostFacts host = Host();
  host.cpus = 16;
  host.memory_mib = 64000;
  AgentConfig config = Config({{"ECS_RESERVED_MEMORY", "1000"},
                               {"ECS_RESERVED_PORTS", "[22, 8080]"},
                               {"ECS_RESERVED_PORTS_UDP", "[53, 161]"}});
  RegisterRequest r = Build(config, host);
  ASSERT_EQ(r.total_resources.size(), 4u);
  EXPECT_EQ(r.total_resources[0], ecs::IntegerResource("CPU", 16384));
  EXPECT_EQ(r.total_resources[1], ecs::IntegerResource("MEMORY", 63000));
  // The agent's own ports are taken even when ECS_RESERVED_PORTS leaves them out.
  EXPECT_THAT(r.total_resources[2].string_set_value, ElementsAre("22", "8080", "51678", "51679"));
  EXPECT_EQ(r.total_resources[2].type, "STRINGSET");
  EXPECT_THAT(r.total_resources[3].string_set_value, ElementsAre("53", "161"));
  EXPECT_EQ(r.total_resources[3].name, "PORTS_UDP");
}

TEST(RegistrationTest, MovedEndpointsReserveTheirPorts) {
  AgentConfig config = Config({{"BERTH_INTROSPECTION_ADDR", "127.0.0.1:9000"},
                               {"BERTH_METADATA_ADDR", "127.0.0.1:22"}});
  RegisterRequest r = Build(config);
  EXPECT_THAT(r.total_resources[2].string_set_value,
              ElementsAre("22", "2375", "2376", "51678", "51679", "9000"));
}

TEST(RegistrationTest, EndpointsOnAnyFreePortReserveNothing) {
  AgentConfig config = Config({{"ECS_RESERVED_PORTS", "[22]"},
                               {"BERTH_INTROSPECTION_ADDR", "127.0.0.1:0"},
                               {"BERTH_METADATA_ADDR", "127.0.0.1:0"}});
  EXPECT_THAT(Build(config).total_resources[2].string_set_value, ElementsAre("22"));
}

TEST(RegistrationTest, ReservedMemoryEqualToHostIsZero) {
  AgentConfig config = Config({{"ECS_RESERVED_MEMORY", "7852"}});
  EXPECT_EQ(Build(config).total_resources[1].integer_value, 0);
}

TEST(RegistrationTest, ReservedMemoryAboveHostIsAnError) {
  AgentConfig config = Config({{"ECS_RESERVED_MEMORY", "8000"}});
  absl::StatusOr<RegisterRequest> r = BuildRegisterRequest(config, Host(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "failed to build the RegisterContainerInstance request: ECS_RESERVED_MEMORY (8000 "
            "MiB) is more than the host's memory (7852 MiB)");
}

TEST(RegistrationTest, TooManyCpusIsAnError) {
  HostFacts host = Host();
  host.cpus = 3000000;
  EXPECT_FALSE(BuildRegisterRequest(AgentConfig{}, host, {}).ok());
}

TEST(RegistrationTest, ReRegistrationCarriesTheArn) {
  RegistrationInput input;
  input.container_instance_arn =
      "arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef0123456789abcdef";
  RegisterRequest r = Build(AgentConfig{}, Host(), input);
  boost::json::object o = r.ToJson();
  EXPECT_EQ(o.at("containerInstanceArn").as_string(), *input.container_instance_arn);
  EXPECT_FALSE(Build(AgentConfig{}).ToJson().contains("containerInstanceArn"));
}

TEST(RegistrationTest, ClusterFromConfig) {
  EXPECT_EQ(Build(Config({{"ECS_CLUSTER", "prod"}})).ToJson().at("cluster").as_string(), "prod");
}

TEST(RegistrationTest, AttributesFromConfigAndInput) {
  AgentConfig config = Config({{"AWS_DEFAULT_REGION", "eu-west-1"},
                               {"BERTH_INSTANCE_TYPE", "m5.large"},
                               {"ECS_INSTANCE_ATTRIBUTES", R"({"stack":"prod","gpu":"none"})"},
                               {"ECS_AVAILABLE_LOGGING_DRIVERS", R"(["json-file","awslogs"])"},
                               {"ECS_ENABLE_TASK_CPU_MEM_LIMIT", "false"}});
  HostFacts host = Host();
  host.machine = "aarch64";
  RegistrationInput input;
  input.cgroup_enforcement = true;
  input.capabilities = {"ecs.capability.container-health-check",
                        "ecs.capability.container-ordering"};
  RegisterRequest r = Build(config, host, input);
  EXPECT_THAT(AttributeTexts(r),
              ElementsAre("ecs.os-type=linux", "ecs.os-family=LINUX", "ecs.cpu-architecture=arm64",
                          "ecs.availability-zone=eu-west-1a", "ecs.instance-type=m5.large",
                          "berth.cgroup-enforcement=true",
                          "com.amazonaws.ecs.capability.logging-driver.json-file",
                          "ecs.capability.container-health-check",
                          "ecs.capability.container-ordering", "gpu=none", "stack=prod"));
}

TEST(RegistrationTest, NoPrivilegedCapability) {
  for (const std::string& a : AttributeTexts(Build(AgentConfig{}))) {
    EXPECT_THAT(a, ::testing::Not(HasSubstr("privileged")));
  }
}

TEST(RegistrationTest, BadCapabilityNameIsAnError) {
  RegistrationInput input;
  input.capabilities = {"not a name"};
  absl::StatusOr<RegisterRequest> r = BuildRegisterRequest(AgentConfig{}, Host(), input);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("capability 'not a name' is not"));
}

TEST(RegistrationTest, ZoneAndInstanceTypeDetection) {
  AgentConfig config;
  EXPECT_EQ(AvailabilityZone(config), "us-east-1a");
  config.availability_zone = "dc1-row4";
  EXPECT_EQ(AvailabilityZone(config), "dc1-row4");

  HostFacts host = Host();
  EXPECT_EQ(InstanceType(config, host), "2vcpu-8gib");
  host.memory_mib = 100;
  EXPECT_EQ(InstanceType(config, host), "2vcpu-1gib");
  host.ec2_instance_type = "c7g.xlarge";
  EXPECT_EQ(InstanceType(config, host), "c7g.xlarge");
  config.instance_type = "custom";
  EXPECT_EQ(InstanceType(config, host), "custom");
}

TEST(RegistrationTest, TagsFromConfig) {
  AgentConfig config = Config({{"ECS_CONTAINER_INSTANCE_TAGS", R"({"team":"infra","env":""})"}});
  boost::json::object o = Build(config).ToJson();
  EXPECT_EQ(ecs::ToJsonText(o.at("tags")),
            R"([{"key":"env","value":""},{"key":"team","value":"infra"}])");
  EXPECT_FALSE(Build(AgentConfig{}).ToJson().contains("tags"));
}

TEST(RegistrationTest, BodyDecodesWithTheEcsCodecs) {
  AgentConfig config = Config({{"ECS_INSTANCE_ATTRIBUTES", R"({"a":"b"})"}});
  RegisterRequest r = Build(config);
  absl::StatusOr<boost::json::value> json = ecs::ParseJson(r.ToJsonText());
  ASSERT_TRUE(json.ok()) << json.status();
  const boost::json::array& resources = json->at("totalResources").as_array();
  for (size_t i = 0; i < resources.size(); ++i) {
    absl::StatusOr<ecs::Resource> res = ecs::ResourceFromJson(resources[i], "totalResources");
    ASSERT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(*res, r.total_resources[i]);
  }
  const boost::json::array& attributes = json->at("attributes").as_array();
  ASSERT_EQ(attributes.size(), r.attributes.size());
  for (size_t i = 0; i < attributes.size(); ++i) {
    absl::StatusOr<ecs::Attribute> a = ecs::AttributeFromJson(attributes[i], "attributes");
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(*a, r.attributes[i]);
  }
}

}  // namespace
}  // namespace berth::agent::config
