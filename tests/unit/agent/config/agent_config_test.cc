#include "agent/config/agent_config.h"

#include <string>

#include "absl/status/status.h"
#include "agent/config/credentials.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace berth::agent::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

AgentConfig Load(const EnvMap& file, const EnvMap& env = {}) {
  absl::StatusOr<AgentConfig> c = ConfigFromVariables(file, env);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : AgentConfig{};
}

// The error for one variable set to `value` (in the file).
std::string Error(std::string_view name, std::string_view value) {
  absl::StatusOr<AgentConfig> c = ConfigFromVariables({{std::string(name), std::string(value)}}, {});
  EXPECT_FALSE(c.ok()) << name << "=" << value << " was accepted";
  if (c.ok()) {
    return "";
  }
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(c.status().message());
  EXPECT_THAT(message, HasSubstr(std::string(name))) << "the error must name the variable";
  return message;
}

TEST(AgentConfigTest, DefaultsAreAmazons) {
  AgentConfig c = Load({});
  EXPECT_EQ(c.cluster, "default");
  EXPECT_EQ(c.backend_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.data_dir, "/var/lib/ecs/data");
  EXPECT_TRUE(c.checkpoint);
  EXPECT_EQ(c.reserved_memory_mib, 0);
  EXPECT_THAT(c.reserved_ports, ElementsAre(22, 2375, 2376, 51678, 51679));
  EXPECT_THAT(c.reserved_ports_udp, IsEmpty());
  EXPECT_FALSE(c.dynamic_host_port_range.has_value());
  EXPECT_THAT(c.instance_attributes, IsEmpty());
  EXPECT_THAT(c.instance_tags, IsEmpty());
  EXPECT_EQ(c.container_stop_timeout, absl::Seconds(30));
  EXPECT_EQ(c.container_start_timeout, absl::Minutes(3));
  EXPECT_EQ(c.container_create_timeout, absl::Minutes(4));
  EXPECT_EQ(c.task_cleanup_wait, absl::Hours(3));
  EXPECT_EQ(c.task_cleanup_wait_jitter, absl::ZeroDuration());
  EXPECT_THAT(c.available_logging_drivers, ElementsAre("json-file", "none"));
  EXPECT_THAT(c.unimplemented_logging_drivers, IsEmpty());
  EXPECT_EQ(c.log_level, log::Severity::kInfo);
  EXPECT_EQ(c.cgroup_path, "/sys/fs/cgroup");
  EXPECT_EQ(c.cgroup_cpu_period, absl::Milliseconds(100));
  EXPECT_FALSE(c.task_pids_limit.has_value());
  EXPECT_EQ(c.task_cpu_mem_limit, Tristate::kNotSet);
  EXPECT_EQ(c.image_pull_behavior, ImagePullBehavior::kDefault);
  EXPECT_EQ(c.image_pull_timeout, absl::Hours(2));
  EXPECT_EQ(c.image_pull_inactivity_timeout, absl::Minutes(1));
  EXPECT_EQ(c.manifest_pull_timeout, absl::Minutes(1));
  EXPECT_FALSE(c.image_cleanup_disabled);
  EXPECT_EQ(c.image_cleanup_interval, absl::Minutes(30));
  EXPECT_EQ(c.image_minimum_cleanup_age, absl::Hours(1));
  EXPECT_EQ(c.num_images_delete_per_cycle, 5);
  EXPECT_FALSE(c.privileged_disabled);
  EXPECT_EQ(c.task_metadata_rps, 40);
  EXPECT_EQ(c.task_metadata_burst, 60);
  EXPECT_FALSE(c.metrics_disabled);
  EXPECT_FALSE(c.poll_metrics);
  EXPECT_EQ(c.polling_metrics_wait, absl::Seconds(10));
  EXPECT_FALSE(c.availability_zone.has_value());
  EXPECT_FALSE(c.instance_type.has_value());
  EXPECT_EQ(c.introspection_address.ToString(), "127.0.0.1:51678");
  EXPECT_EQ(c.metadata_address.ToString(), "127.0.0.1:51679");
  EXPECT_TRUE(c.registry_auth.empty());
  EXPECT_THAT(c.insecure_registries, IsEmpty());
  EXPECT_THAT(c.ignored_variables, IsEmpty());
}

TEST(AgentConfigTest, EmptyValueMeansDefault) {
  AgentConfig c = Load({{"ECS_CLUSTER", ""}, {"ECS_CONTAINER_STOP_TIMEOUT", "  "},
                        {"ECS_RESERVED_PORTS", ""}});
  EXPECT_EQ(c.cluster, "default");
  EXPECT_EQ(c.container_stop_timeout, absl::Seconds(30));
  EXPECT_THAT(c.reserved_ports, ElementsAre(22, 2375, 2376, 51678, 51679));
}

TEST(AgentConfigTest, EnvironmentOverridesFile) {
  AgentConfig c = Load({{"ECS_CLUSTER", "from-file"}, {"ECS_LOGLEVEL", "debug"}},
                       {{"ECS_CLUSTER", "from-env"}});
  EXPECT_EQ(c.cluster, "from-env");
  EXPECT_EQ(c.log_level, log::Severity::kDebug);
}

TEST(AgentConfigTest, EmptyEnvironmentValueRestoresTheDefault) {
  AgentConfig c = Load({{"ECS_CLUSTER", "from-file"}}, {{"ECS_CLUSTER", ""}});
  EXPECT_EQ(c.cluster, "default");
}

TEST(AgentConfigTest, InvalidEnvironmentValueIsFatalEvenWithAGoodFile) {
  absl::StatusOr<AgentConfig> c =
      ConfigFromVariables({{"ECS_RESERVED_MEMORY", "32"}}, {{"ECS_RESERVED_MEMORY", "lots"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "invalid ECS_RESERVED_MEMORY 'lots': expected an integer from 0 to 65535");
}

TEST(AgentConfigTest, ValuesAreTrimmed) {
  AgentConfig c = Load({}, {{"ECS_CLUSTER", "  prod \t"}});
  EXPECT_EQ(c.cluster, "prod");
}

TEST(AgentConfigTest, UnknownVariablesAreIgnoredAndListed) {
  AgentConfig c = Load({{"ECS_ENABLE_TASK_IAM_ROLE", "true"},
                        {"ECS_FUTURE_THING", "1"},
                        {"DOCKER_HOST", "unix:///x"},
                        {"ECS_CLUSTER", "a"},
                        {"AWS_ACCESS_KEY_ID", "AKID"}},
                       {{"PATH", "/bin"},
                        {"HOME", "/root"},
                        {"ECS_UPDATES_ENABLED", "true"},
                        {"BERTH_NOT_A_KNOB", "x"},
                        {"BERTH_INSTANCE_TYPE", "m5.large"}});
  EXPECT_THAT(c.ignored_variables,
              ElementsAre("BERTH_NOT_A_KNOB", "DOCKER_HOST", "ECS_ENABLE_TASK_IAM_ROLE",
                          "ECS_FUTURE_THING", "ECS_UPDATES_ENABLED"));
}

TEST(AgentConfigTest, Cluster) {
  EXPECT_EQ(Load({{"ECS_CLUSTER", "prod_2-a"}}).cluster, "prod_2-a");
  EXPECT_EQ(Load({{"ECS_CLUSTER", "arn:aws:ecs:us-east-1:000000000000:cluster/prod"}}).cluster,
            "arn:aws:ecs:us-east-1:000000000000:cluster/prod");
  EXPECT_EQ(Error("ECS_CLUSTER", "my cluster"),
            "invalid ECS_CLUSTER 'my cluster': expected a cluster name (1 to 255 letters, "
            "digits, hyphens and underscores) or a cluster ARN");
  Error("ECS_CLUSTER", std::string(256, 'a'));
  Error("ECS_CLUSTER", "arn:aws:ecs:us-east-1:000000000000:task/prod/abc");
  Error("ECS_CLUSTER", "arn:nope");
  Error("ECS_CLUSTER", "arn:aws:ecs:us-east-1:000000000000:cluster/a b");
  // Regression: an ARN with bytes that are not UTF-8 made a request body that
  // was not JSON (found by fuzz_ecs_config; corpus/crash-cluster-arn-not-utf8).
  Error("ECS_CLUSTER", "arn:aws:ecs:eu-central-1:1234,567\xC8\xC9" "012:cluster/prod");
}

TEST(AgentConfigTest, BackendHost) {
  EXPECT_EQ(Load({{"ECS_BACKEND_HOST", "http://10.0.0.1:8080/"}}).backend_url,
            "http://10.0.0.1:8080");
  EXPECT_EQ(Load({{"ECS_BACKEND_HOST", "HTTPS://control.example.com"}}).backend_url,
            "https://control.example.com");
  EXPECT_EQ(Load({{"ECS_BACKEND_HOST", "http://[::1]:8080"}}).backend_url, "http://[::1]:8080");
  EXPECT_THAT(Error("ECS_BACKEND_HOST", "127.0.0.1:8080"),
              HasSubstr("expected berth-control's URL, http://HOST[:PORT] or https://HOST[:PORT]"));
  Error("ECS_BACKEND_HOST", "ftp://x");
  Error("ECS_BACKEND_HOST", "http://");
  Error("ECS_BACKEND_HOST", "http://x:0");
  Error("ECS_BACKEND_HOST", "http://x:65536");
  Error("ECS_BACKEND_HOST", "http://x:");
  Error("ECS_BACKEND_HOST", "http://x/ecs");
  Error("ECS_BACKEND_HOST", "http://user@x");
  Error("ECS_BACKEND_HOST", "http://[::1");
  Error("ECS_BACKEND_HOST", "http://[nope]:80");
}

TEST(AgentConfigTest, Region) {
  EXPECT_EQ(Load({{"AWS_DEFAULT_REGION", "eu-west-3"}}).region, "eu-west-3");
  EXPECT_EQ(Load({{"AWS_REGION", "eu-west-3"}}).region, "eu-west-3");
  EXPECT_EQ(Load({{"AWS_REGION", "eu-west-3"}, {"AWS_DEFAULT_REGION", "ap-south-1"}}).region,
            "ap-south-1");
  Error("AWS_DEFAULT_REGION", "EU_WEST");
  Error("AWS_REGION", "-x");
}

TEST(AgentConfigTest, DataDirCgroupPathAndCheckpoint) {
  AgentConfig c = Load({{"ECS_DATADIR", "/srv/ecs"}, {"ECS_CGROUP_PATH", "/sys/fs/cgroup/unified"},
                        {"ECS_CHECKPOINT", "false"}});
  EXPECT_EQ(c.data_dir, "/srv/ecs");
  EXPECT_EQ(c.cgroup_path, "/sys/fs/cgroup/unified");
  EXPECT_FALSE(c.checkpoint);
  EXPECT_EQ(Error("ECS_DATADIR", "data"), "invalid ECS_DATADIR 'data': expected an absolute path");
  Error("ECS_CGROUP_PATH", "sys/fs/cgroup");
}

TEST(AgentConfigTest, BooleansTakeGoWords) {
  for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"}) {
    EXPECT_TRUE(Load({{"ECS_DISABLE_PRIVILEGED", std::string(yes)}}).privileged_disabled) << yes;
  }
  for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_FALSE(Load({{"ECS_DISABLE_METRICS", std::string(no)}}).metrics_disabled) << no;
  }
  EXPECT_EQ(Error("ECS_DISABLE_METRICS", "yes"),
            "invalid ECS_DISABLE_METRICS 'yes': expected true or false (or 1, t, TRUE, 0, f, FALSE)");
  Error("ECS_CHECKPOINT", "tRuE");
  Error("ECS_POLL_METRICS", "2");
  Error("ECS_DISABLE_IMAGE_CLEANUP", "on");
}

TEST(AgentConfigTest, TaskCpuMemLimitIsTriState) {
  EXPECT_EQ(Load({{"ECS_ENABLE_TASK_CPU_MEM_LIMIT", "true"}}).task_cpu_mem_limit,
            Tristate::kEnabled);
  EXPECT_EQ(Load({{"ECS_ENABLE_TASK_CPU_MEM_LIMIT", "false"}}).task_cpu_mem_limit,
            Tristate::kDisabled);
  EXPECT_EQ(Load({{"ECS_ENABLE_TASK_CPU_MEM_LIMIT", ""}}).task_cpu_mem_limit, Tristate::kNotSet);
  Error("ECS_ENABLE_TASK_CPU_MEM_LIMIT", "maybe");
}

TEST(AgentConfigTest, ReservedMemory) {
  EXPECT_EQ(Load({{"ECS_RESERVED_MEMORY", "256"}}).reserved_memory_mib, 256);
  EXPECT_EQ(Load({{"ECS_RESERVED_MEMORY", "65535"}}).reserved_memory_mib, 65535);
  Error("ECS_RESERVED_MEMORY", "65536");
  Error("ECS_RESERVED_MEMORY", "-1");
  Error("ECS_RESERVED_MEMORY", "+5");
  Error("ECS_RESERVED_MEMORY", "1.5");
  Error("ECS_RESERVED_MEMORY", "99999999999999999999999");
}

TEST(AgentConfigTest, ReservedPortsReplaceTheDefault) {
  AgentConfig c = Load({{"ECS_RESERVED_PORTS", "[22, 80, 22]"}, {"ECS_RESERVED_PORTS_UDP", "[53]"}});
  EXPECT_THAT(c.reserved_ports, ElementsAre(22, 80));
  EXPECT_THAT(c.reserved_ports_udp, ElementsAre(53));
  EXPECT_THAT(Load({{"ECS_RESERVED_PORTS", "[]"}}).reserved_ports, IsEmpty());
  EXPECT_THAT(Error("ECS_RESERVED_PORTS", "22,80"),
              HasSubstr("invalid ECS_RESERVED_PORTS '22,80': expected a JSON array of ports from "
                        "1 to 65535, like [22, 2375]"));
  Error("ECS_RESERVED_PORTS", "[0]");
  Error("ECS_RESERVED_PORTS", "[65536]");
  Error("ECS_RESERVED_PORTS", "[\"22\"]");
  Error("ECS_RESERVED_PORTS", "[22.5]");
  Error("ECS_RESERVED_PORTS", "[18446744073709551615]");
  Error("ECS_RESERVED_PORTS_UDP", "{\"a\":1}");
  Error("ECS_RESERVED_PORTS_UDP", "[1,");
}

TEST(AgentConfigTest, DynamicHostPortRange) {
  EXPECT_EQ(Load({{"ECS_DYNAMIC_HOST_PORT_RANGE", "100-200"}}).dynamic_host_port_range,
            (PortRange{100, 200}));
  EXPECT_EQ(Load({{"ECS_DYNAMIC_HOST_PORT_RANGE", "8000-8000"}}).dynamic_host_port_range,
            (PortRange{8000, 8000}));
  EXPECT_EQ(Error("ECS_DYNAMIC_HOST_PORT_RANGE", "200-100"),
            "invalid ECS_DYNAMIC_HOST_PORT_RANGE '200-100': expected FIRST-LAST with 1 <= FIRST "
            "<= LAST <= 65535, like 32768-60999");
  Error("ECS_DYNAMIC_HOST_PORT_RANGE", "0-100");
  Error("ECS_DYNAMIC_HOST_PORT_RANGE", "100-65536");
  Error("ECS_DYNAMIC_HOST_PORT_RANGE", "100");
  Error("ECS_DYNAMIC_HOST_PORT_RANGE", "100 - 200");
  Error("ECS_DYNAMIC_HOST_PORT_RANGE", "-100-200");
}

TEST(AgentConfigTest, InstanceAttributes) {
  AgentConfig c = Load({{"ECS_INSTANCE_ATTRIBUTES", R"({"stack": "prod", "team.name": "a b@c/d:e"})"}});
  EXPECT_EQ(c.instance_attributes,
            (std::map<std::string, std::string>{{"stack", "prod"}, {"team.name", "a b@c/d:e"}}));
  EXPECT_THAT(Error("ECS_INSTANCE_ATTRIBUTES", "stack=prod"),
              HasSubstr("expected a JSON object of strings"));
  EXPECT_THAT(Error("ECS_INSTANCE_ATTRIBUTES", R"({"n": 1})"), HasSubstr("'n' is not a string"));
  EXPECT_THAT(Error("ECS_INSTANCE_ATTRIBUTES", R"({"ecs.os-type": "windows"})"),
              HasSubstr("reserved prefix"));
  EXPECT_THAT(Error("ECS_INSTANCE_ATTRIBUTES", R"({"berth.cgroup-enforcement": "true"})"),
              HasSubstr("reserved prefix"));
  EXPECT_THAT(Error("ECS_INSTANCE_ATTRIBUTES", R"({"a b": "x"})"),
              HasSubstr("attribute name 'a b' is not 1 to 128 letters"));
  EXPECT_THAT(Error("ECS_INSTANCE_ATTRIBUTES", R"({"a": ""})"),
              HasSubstr("the value of attribute 'a' is not 1 to 128"));
  Error("ECS_INSTANCE_ATTRIBUTES", R"({"a": " x"})");
  Error("ECS_INSTANCE_ATTRIBUTES", R"({"a": "x#"})");
  Error("ECS_INSTANCE_ATTRIBUTES", "{\"" + std::string(129, 'a') + "\": \"x\"}");
  Error("ECS_INSTANCE_ATTRIBUTES", R"(["a"])");
  EXPECT_THAT(Error("ECS_INSTANCE_ATTRIBUTES",
                    R"({"a1":"x","a2":"x","a3":"x","a4":"x","a5":"x","a6":"x","a7":"x","a8":"x","a9":"x","a10":"x","a11":"x"})"),
              HasSubstr("at most 10 custom attributes; this has 11"));
}

TEST(AgentConfigTest, InstanceTags) {
  AgentConfig c = Load({{"ECS_CONTAINER_INSTANCE_TAGS", R"({"env": "prod", "owner": ""})"}});
  EXPECT_EQ(c.instance_tags,
            (std::map<std::string, std::string>{{"env", "prod"}, {"owner", ""}}));
  EXPECT_THAT(Error("ECS_CONTAINER_INSTANCE_TAGS", R"({"aws:x": "y"})"), HasSubstr("aws:"));
  EXPECT_THAT(Error("ECS_CONTAINER_INSTANCE_TAGS", R"({"a": "b!"})"),
              HasSubstr("characters ECS does not allow"));
  Error("ECS_CONTAINER_INSTANCE_TAGS", R"({"": "b"})");
  Error("ECS_CONTAINER_INSTANCE_TAGS", "{\"a\": \"" + std::string(257, 'v') + "\"}");
  Error("ECS_CONTAINER_INSTANCE_TAGS", R"({"a": ["b"]})");
  std::string many = "{";
  for (int i = 0; i < 51; ++i) {
    many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  }
  many += "}";
  EXPECT_THAT(Error("ECS_CONTAINER_INSTANCE_TAGS", many), HasSubstr("at most 50 tags"));
}

TEST(AgentConfigTest, DurationsWithAmazonsMinimums) {
  struct Case {
    std::string_view name;
    std::string_view smallest_ok;
    std::string_view too_small;
    absl::Duration AgentConfig::*field;
  };
  const Case cases[] = {
      {"ECS_CONTAINER_STOP_TIMEOUT", "1s", "999ms", &AgentConfig::container_stop_timeout},
      {"ECS_CONTAINER_START_TIMEOUT", "45s", "44s", &AgentConfig::container_start_timeout},
      {"ECS_CONTAINER_CREATE_TIMEOUT", "1m", "59s", &AgentConfig::container_create_timeout},
      {"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "1s", "500ms", &AgentConfig::task_cleanup_wait},
      {"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION_JITTER", "0", "-1s",
       &AgentConfig::task_cleanup_wait_jitter},
      {"ECS_CGROUP_CPU_PERIOD", "8ms", "7ms", &AgentConfig::cgroup_cpu_period},
      {"ECS_IMAGE_PULL_TIMEOUT", "1ns", "0s", &AgentConfig::image_pull_timeout},
      {"ECS_IMAGE_PULL_INACTIVITY_TIMEOUT", "1m", "30s", &AgentConfig::image_pull_inactivity_timeout},
      {"ECS_MANIFEST_PULL_TIMEOUT", "30s", "29s", &AgentConfig::manifest_pull_timeout},
      {"ECS_IMAGE_CLEANUP_INTERVAL", "10m", "9m59s", &AgentConfig::image_cleanup_interval},
      {"ECS_IMAGE_MINIMUM_CLEANUP_AGE", "0s", "-1ns", &AgentConfig::image_minimum_cleanup_age},
      {"ECS_POLLING_METRICS_WAIT_DURATION", "1s", "999ms", &AgentConfig::polling_metrics_wait},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Duration expected;
    ASSERT_TRUE(absl::ParseDuration(std::string(c.smallest_ok), &expected));
    EXPECT_EQ(Load({{std::string(c.name), std::string(c.smallest_ok)}}).*c.field, expected);
    EXPECT_THAT(Error(c.name, c.too_small), HasSubstr("expected a duration"));
    EXPECT_THAT(Error(c.name, "30"), HasSubstr("written as Go does (30s, 1m30s, 3h, 500ms)"));
  }
  EXPECT_EQ(Load({{"ECS_CONTAINER_STOP_TIMEOUT", "1m30s"}}).container_stop_timeout,
            absl::Seconds(90));
  EXPECT_EQ(Load({{"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "3h"}}).task_cleanup_wait,
            absl::Hours(3));
  EXPECT_EQ(Error("ECS_CONTAINER_STOP_TIMEOUT", "500ms"),
            "invalid ECS_CONTAINER_STOP_TIMEOUT '500ms': expected a duration of at least 1s, "
            "written as Go does (30s, 1m30s, 3h, 500ms)");
}

TEST(AgentConfigTest, DurationsWithAmazonsMaximums) {
  EXPECT_EQ(Load({{"ECS_CGROUP_CPU_PERIOD", "100ms"}}).cgroup_cpu_period, absl::Milliseconds(100));
  EXPECT_EQ(Error("ECS_CGROUP_CPU_PERIOD", "101ms"),
            "invalid ECS_CGROUP_CPU_PERIOD '101ms': expected a duration from 8ms to 100ms, "
            "written as Go does (30s, 1m30s, 3h, 500ms)");
  EXPECT_EQ(Load({{"ECS_POLLING_METRICS_WAIT_DURATION", "20s"}}).polling_metrics_wait,
            absl::Seconds(20));
  Error("ECS_POLLING_METRICS_WAIT_DURATION", "21s");
}

TEST(AgentConfigTest, TelemetryIntervalIsAGoDurationFromOneToTwentySeconds) {
  EXPECT_EQ(Load({}).telemetry_interval, absl::Seconds(20));
  EXPECT_EQ(Load({{"BERTH_TELEMETRY_INTERVAL", "1s"}}).telemetry_interval, absl::Seconds(1));
  EXPECT_EQ(Load({}, {{"BERTH_TELEMETRY_INTERVAL", "2.5s"}}).telemetry_interval,
            absl::Milliseconds(2500));
  EXPECT_EQ(Load({{"BERTH_TELEMETRY_INTERVAL", "20s"}}).telemetry_interval, absl::Seconds(20));
  EXPECT_THAT(Load({}, {{"BERTH_TELEMETRY_INTERVAL", "5s"}}).ignored_variables, IsEmpty());
  EXPECT_EQ(Error("BERTH_TELEMETRY_INTERVAL", "999ms"),
            "invalid BERTH_TELEMETRY_INTERVAL '999ms': expected a duration from 1s to 20s, "
            "written as Go does (30s, 1m30s, 3h, 500ms)");
  EXPECT_THAT(Error("BERTH_TELEMETRY_INTERVAL", "21s"), HasSubstr("from 1s to 20s"));
  EXPECT_THAT(Error("BERTH_TELEMETRY_INTERVAL", "0"), HasSubstr("from 1s to 20s"));
  EXPECT_THAT(Error("BERTH_TELEMETRY_INTERVAL", "10"),
              HasSubstr("written as Go does (30s, 1m30s, 3h, 500ms)"));
  Error("BERTH_TELEMETRY_INTERVAL", "soon");
}

TEST(AgentConfigTest, LoggingDrivers) {
  AgentConfig c = Load({{"ECS_AVAILABLE_LOGGING_DRIVERS", R"(["json-file","awslogs","none","json-file"])"}});
  EXPECT_THAT(c.available_logging_drivers, ElementsAre("json-file", "awslogs", "none"));
  EXPECT_THAT(c.unimplemented_logging_drivers, ElementsAre("awslogs"));
  EXPECT_THAT(Load({{"ECS_AVAILABLE_LOGGING_DRIVERS", "[]"}}).available_logging_drivers, IsEmpty());
  EXPECT_THAT(Error("ECS_AVAILABLE_LOGGING_DRIVERS", R"(["json-file","docker"])"),
              HasSubstr("unknown logging driver 'docker'; known drivers are json-file, syslog, "
                        "journald, gelf, fluentd, awslogs, splunk, logentries, sumologic, none, "
                        "awsfirelens"));
  Error("ECS_AVAILABLE_LOGGING_DRIVERS", "json-file");
  Error("ECS_AVAILABLE_LOGGING_DRIVERS", "[1]");
}

TEST(AgentConfigTest, LogLevel) {
  EXPECT_EQ(Load({{"ECS_LOGLEVEL", "debug"}}).log_level, log::Severity::kDebug);
  EXPECT_EQ(Load({{"ECS_LOGLEVEL", "warn"}}).log_level, log::Severity::kWarning);
  EXPECT_EQ(Load({{"ECS_LOGLEVEL", "error"}}).log_level, log::Severity::kError);
  EXPECT_EQ(Load({{"ECS_LOGLEVEL", "crit"}}).log_level, log::Severity::kFatal);
  EXPECT_EQ(Error("ECS_LOGLEVEL", "verbose"),
            "invalid ECS_LOGLEVEL 'verbose': expected debug, info, warn, error or crit");
}

TEST(AgentConfigTest, TaskPidsLimit) {
  EXPECT_EQ(Load({{"ECS_TASK_PIDS_LIMIT", "1"}}).task_pids_limit, 1);
  EXPECT_EQ(Load({{"ECS_TASK_PIDS_LIMIT", "4194304"}}).task_pids_limit, 4194304);
  EXPECT_EQ(Error("ECS_TASK_PIDS_LIMIT", "0"),
            "invalid ECS_TASK_PIDS_LIMIT '0': expected an integer from 1 to 4194304");
  Error("ECS_TASK_PIDS_LIMIT", "4194305");
  Error("ECS_TASK_PIDS_LIMIT", "max");
}

TEST(AgentConfigTest, ImagePullBehaviorAndCleanup) {
  EXPECT_EQ(Load({{"ECS_IMAGE_PULL_BEHAVIOR", "prefer-cached"}}).image_pull_behavior,
            ImagePullBehavior::kPreferCached);
  EXPECT_EQ(Load({{"ECS_IMAGE_PULL_BEHAVIOR", "once"}}).image_pull_behavior,
            ImagePullBehavior::kOnce);
  EXPECT_EQ(Load({{"ECS_IMAGE_PULL_BEHAVIOR", "always"}}).image_pull_behavior,
            ImagePullBehavior::kAlways);
  EXPECT_EQ(Error("ECS_IMAGE_PULL_BEHAVIOR", "never"),
            "invalid ECS_IMAGE_PULL_BEHAVIOR 'never': expected default, always, once or "
            "prefer-cached");
  EXPECT_TRUE(Load({{"ECS_DISABLE_IMAGE_CLEANUP", "true"}}).image_cleanup_disabled);
  EXPECT_EQ(Load({{"ECS_NUM_IMAGES_DELETE_PER_CYCLE", "1"}}).num_images_delete_per_cycle, 1);
  Error("ECS_NUM_IMAGES_DELETE_PER_CYCLE", "0");
}

TEST(AgentConfigTest, TaskMetadataRpsLimit) {
  // Regression: the two parts were views of a destroyed temporary string
  // (found by fuzz_ecs_config under ASan; corpus/crash-rps-limit-temporary).
  AgentConfig c = Load({{"ECS_TASK_METADATA_RPS_LIMIT", "100, 150"}});
  EXPECT_EQ(c.task_metadata_rps, 100);
  EXPECT_EQ(c.task_metadata_burst, 150);
  EXPECT_EQ(Error("ECS_TASK_METADATA_RPS_LIMIT", "100"),
            "invalid ECS_TASK_METADATA_RPS_LIMIT '100': expected RATE,BURST, two integers from 1 "
            "to 1000000, like 40,60");
  Error("ECS_TASK_METADATA_RPS_LIMIT", "0,10");
  Error("ECS_TASK_METADATA_RPS_LIMIT", "10,x");
  Error("ECS_TASK_METADATA_RPS_LIMIT", "1,2,3");
}

TEST(AgentConfigTest, BerthKnobs) {
  AgentConfig c = Load({{"BERTH_AVAILABILITY_ZONE", "rack-1"},
                        {"BERTH_INSTANCE_TYPE", "m5.large"},
                        {"BERTH_INTROSPECTION_ADDR", "0.0.0.0:9000"},
                        {"BERTH_METADATA_ADDR", "[::1]:9001"}});
  EXPECT_EQ(c.availability_zone, "rack-1");
  EXPECT_EQ(c.instance_type, "m5.large");
  EXPECT_EQ(c.introspection_address, (ListenAddress{"0.0.0.0", 9000}));
  EXPECT_EQ(c.metadata_address, (ListenAddress{"::1", 9001}));
  EXPECT_EQ(c.metadata_address.ToString(), "[::1]:9001");
  EXPECT_THAT(Error("BERTH_AVAILABILITY_ZONE", "rack #1"), HasSubstr("expected 1 to 128 letters"));
  Error("BERTH_INSTANCE_TYPE", "m5(large)");
  EXPECT_THAT(Error("BERTH_INTROSPECTION_ADDR", "localhost:51678"),
              HasSubstr("expected ADDRESS:PORT with a numeric IPv4 address"));
  Error("BERTH_INTROSPECTION_ADDR", "127.0.0.1");
  Error("BERTH_INTROSPECTION_ADDR", "127.0.0.1:-1");
  // Port 0 asks for any free port (several agents on one test host).
  EXPECT_EQ(Load({{"BERTH_INTROSPECTION_ADDR", "127.0.0.1:0"}}).introspection_address,
            (ListenAddress{"127.0.0.1", 0}));
  Error("BERTH_METADATA_ADDR", "::1:80");
  Error("BERTH_METADATA_ADDR", "[::1]:70000");
}

TEST(AgentConfigTest, HelperPathsAreUsedNotIgnored) {
  AgentConfig c = Load({{"BERTH_INIT_PATH", "/opt/berth/berth-init"},
                        {"BERTH_SHIM_PATH", "/opt/berth/berth-shim"},
                        {"BERTH_UNPACK_PATH", "/opt/berth/berth-unpack"},
                        {"BERTH_REGISTRY_CERTS_DIR", "/opt/berth/certs.d"}});
  EXPECT_EQ(c.init_path, "/opt/berth/berth-init");
  EXPECT_EQ(c.registry_certs_dir, "/opt/berth/certs.d");
  EXPECT_EQ(Load({}).registry_certs_dir, "/etc/berth/certs.d");
  EXPECT_THAT(Error("BERTH_REGISTRY_CERTS_DIR", "certs.d"), HasSubstr("expected an absolute path"));
  EXPECT_EQ(c.shim_path, "/opt/berth/berth-shim");
  EXPECT_EQ(c.unpack_path, "/opt/berth/berth-unpack");
  EXPECT_THAT(c.ignored_variables, ::testing::IsEmpty());
  EXPECT_EQ(Load({}).shim_path, "");
  EXPECT_THAT(Error("BERTH_SHIM_PATH", "bin/berth-shim"), HasSubstr("expected an absolute path"));
}

constexpr std::string_view kRegistryPassword = "Hunter2-S3cret";

TEST(AgentConfigTest, EngineAuthDocker) {
  AgentConfig c =
      Load({{"ECS_ENGINE_AUTH_TYPE", "docker"},
            {"ECS_ENGINE_AUTH_DATA",
             R"( {"https://index.docker.io/v1/": {"username": "me", "password": "Hunter2-S3cret",
              "email": "me@example.com"},
             "registry.example.com:5000": {"username": "ci", "password": "pw"}} )"}});
  EXPECT_EQ(c.registry_auth.size(), 2u);
  EXPECT_EQ(c.registry_auth.Lookup("docker.io"),
            (images::RegistryCredentials{"me", std::string(kRegistryPassword)}));
  EXPECT_EQ(c.registry_auth.Lookup("registry.example.com:5000"),
            (images::RegistryCredentials{"ci", "pw"}));
  EXPECT_THAT(c.ignored_variables, IsEmpty());  // both are used
}

TEST(AgentConfigTest, EngineAuthDockercfgFromTheEnvironment) {
  AgentConfig c = Load(
      {{"ECS_ENGINE_AUTH_TYPE", "docker"}, {"ECS_ENGINE_AUTH_DATA", "{}"}},
      {{"ECS_ENGINE_AUTH_TYPE", "dockercfg"},
       {"ECS_ENGINE_AUTH_DATA", R"({"http://myregistry.com/v1/":{"auth":"dXNlcjpzd29yZGZpc2g=",)"
                                R"("email":"email"}})"}});
  EXPECT_EQ(c.registry_auth.Lookup("myregistry.com"),
            (images::RegistryCredentials{"user", "swordfish"}));
}

// A config error for the auth variables: fatal, naming the variable, never
// quoting the secret.
std::string AuthError(const EnvMap& file) {
  absl::StatusOr<AgentConfig> c = ConfigFromVariables(file, {});
  EXPECT_FALSE(c.ok()) << "accepted";
  if (c.ok()) {
    return "";
  }
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(c.status().message());
  EXPECT_THAT(message, ::testing::StartsWith("invalid ECS_ENGINE_AUTH_"));
  EXPECT_THAT(message, Not(HasSubstr("Hunter2"))) << "the error leaks the password";
  EXPECT_THAT(message, Not(HasSubstr("YWxpY2U6SHVudGVyMi1TM2NyZXQ="))) << "leaks the auth value";
  return message;
}

TEST(AgentConfigTest, EngineAuthErrorsAreFatalAndKeepTheSecret) {
  EXPECT_EQ(AuthError({{"ECS_ENGINE_AUTH_TYPE", "docker"}}),
            "invalid ECS_ENGINE_AUTH_DATA: unset, but ECS_ENGINE_AUTH_TYPE is docker");
  EXPECT_THAT(AuthError({{"ECS_ENGINE_AUTH_DATA", R"({"r.example": {"username": "u",
                                                        "password": "Hunter2-S3cret"}})"}}),
              HasSubstr("invalid ECS_ENGINE_AUTH_TYPE: unset, but ECS_ENGINE_AUTH_DATA is set"));
  EXPECT_EQ(AuthError({{"ECS_ENGINE_AUTH_TYPE", "basic"}, {"ECS_ENGINE_AUTH_DATA", "{}"}}),
            "invalid ECS_ENGINE_AUTH_TYPE 'basic': expected docker or dockercfg");
  EXPECT_THAT(AuthError({{"ECS_ENGINE_AUTH_TYPE", "docker"},
                         {"ECS_ENGINE_AUTH_DATA", R"({"r.example": {"username": "u",
                                                     "password": "Hunter2-S3cret")"}}),
              HasSubstr("invalid ECS_ENGINE_AUTH_DATA: not valid JSON"));
  EXPECT_EQ(
      AuthError({{"ECS_ENGINE_AUTH_TYPE", "docker"},
                 {"ECS_ENGINE_AUTH_DATA", R"({"r.example": {"password": "Hunter2-S3cret"}})"}}),
      "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"username\" is missing");
  // base64("alice:Hunter2-S3cret") under the wrong type, then a broken one under dockercfg.
  EXPECT_THAT(AuthError({{"ECS_ENGINE_AUTH_TYPE", "docker"},
                         {"ECS_ENGINE_AUTH_DATA",
                          R"({"r.example": {"auth": "YWxpY2U6SHVudGVyMi1TM2NyZXQ="}})"}}),
              HasSubstr("registry 'r.example': \"username\" is missing"));
  EXPECT_THAT(AuthError({{"ECS_ENGINE_AUTH_TYPE", "dockercfg"},
                         {"ECS_ENGINE_AUTH_DATA",
                          R"({"r.example": {"auth": "YWxpY2U6SHVudGVyMi1TM2NyZXQ"}})"}}),
              HasSubstr("registry 'r.example': \"auth\" is not padded standard base64"));
}

TEST(AgentConfigTest, InsecureRegistries) {
  AgentConfig c =
      Load({{"BERTH_INSECURE_REGISTRIES", "localhost:5000, Registry.Local,[::1]:5000"}});
  EXPECT_THAT(c.insecure_registries, ElementsAre("localhost:5000", "registry.local", "[::1]:5000"));
  EXPECT_THAT(c.ignored_variables, IsEmpty());
  EXPECT_EQ(Error("BERTH_INSECURE_REGISTRIES", "http://localhost:5000"),
            "invalid BERTH_INSECURE_REGISTRIES 'http://localhost:5000': entry "
            "'http://localhost:5000' has a scheme; expected host[:port] (plain HTTP is implied)");
  EXPECT_THAT(Error("BERTH_INSECURE_REGISTRIES", "a.local,,b.local"), HasSubstr("empty"));
  EXPECT_THAT(Error("BERTH_INSECURE_REGISTRIES", "a.local:99999"),
              HasSubstr("entry 'a.local:99999' is not host[:port]"));
}

TEST(AgentConfigTest, SummaryNamesRegistriesButNoSecret) {
  AgentConfig c = Load({{"ECS_ENGINE_AUTH_TYPE", "docker"},
                        {"ECS_ENGINE_AUTH_DATA",
                         R"({"https://index.docker.io/v1/": {"username": "me-the-user",
                              "password": "Hunter2-S3cret"},
                             "Registry.Example.com:5000": {"username": "ci", "password": "pw"}})"},
                        {"BERTH_INSECURE_REGISTRIES", "localhost:5000"}});
  const std::string summary = Summary(c);
  EXPECT_THAT(summary, HasSubstr(" registry_auth=[docker.io,registry.example.com:5000]"));
  EXPECT_THAT(summary, HasSubstr(" insecure_registries=[localhost:5000]"));
  EXPECT_THAT(summary, Not(HasSubstr("Hunter2")));
  EXPECT_THAT(summary, Not(HasSubstr("me-the-user")));
  EXPECT_THAT(summary, Not(HasSubstr("auth_data")));
}

TEST(AgentConfigTest, SummaryForTheStartupLog) {
  EXPECT_EQ(Summary(AgentConfig{}),
            "cluster=default backend=http://127.0.0.1:8080 region=us-east-1 "
            "datadir=/var/lib/ecs/data checkpoint=true reserved_memory=0MiB "
            "reserved_ports=[22,2375,2376,51678,51679] reserved_ports_udp=[] stop_timeout=30s "
            "cleanup_wait=3h logging_drivers=[json-file,none] cgroup_path=/sys/fs/cgroup "
            "introspection=127.0.0.1:51678 metadata=127.0.0.1:51679");
  AgentConfig c = Load({{"ECS_DYNAMIC_HOST_PORT_RANGE", "100-200"}, {"ECS_TASK_PIDS_LIMIT", "64"}});
  EXPECT_THAT(Summary(c), HasSubstr(" dynamic_ports=100-200 "));
  EXPECT_THAT(Summary(c), HasSubstr(" task_pids_limit=64 "));
}

TEST(AgentConfigTest, LoadAgentConfigReadsTheFileUnderTheEnvironment) {
  test::TempDir dir;
  std::string path = dir.WriteFile("ecs.config",
                                   "ECS_CLUSTER=\"file\"\nECS_RESERVED_MEMORY=64\n");
  absl::StatusOr<AgentConfig> c = LoadAgentConfig(path, true, {{"ECS_CLUSTER", "env"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cluster, "env");
  EXPECT_EQ(c->reserved_memory_mib, 64);
}

TEST(AgentConfigTest, LoadAgentConfigHandsOutTheLayeredVariablesForCredentials) {
  test::TempDir dir;
  std::string path = dir.WriteFile(
      "ecs.config", "AWS_ACCESS_KEY_ID=FILEKEY\nAWS_SECRET_ACCESS_KEY=filesecret\nECS_CLUSTER=a\n");
  EnvMap variables;
  absl::StatusOr<AgentConfig> c =
      LoadAgentConfig(path, true, {{"AWS_SECRET_ACCESS_KEY", "envsecret"}}, &variables);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(variables.at("AWS_ACCESS_KEY_ID"), "FILEKEY");
  EXPECT_EQ(variables.at("AWS_SECRET_ACCESS_KEY"), "envsecret");
  EXPECT_EQ(variables.at("ECS_CLUSTER"), "a");
  absl::StatusOr<AwsCredentials> credentials = LoadAwsCredentials(variables);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->access_key_id, "FILEKEY");
  EXPECT_EQ(credentials->secret_access_key, "envsecret");
  EXPECT_THAT(c->ignored_variables, IsEmpty());
}

TEST(AgentConfigTest, LoadAgentConfigMissingFile) {
  test::TempDir dir;
  std::string path = dir.path() + "/none.config";
  EXPECT_TRUE(LoadAgentConfig(path, false, {}).ok());
  absl::StatusOr<AgentConfig> c = LoadAgentConfig(path, true, {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
}

TEST(AgentConfigTest, LoadAgentConfigReportsTheBadLine) {
  test::TempDir dir;
  std::string path = dir.WriteFile("ecs.config", "ECS_CLUSTER=a\n\nECS_LOGLEVEL\n");
  absl::StatusOr<AgentConfig> c = LoadAgentConfig(path, false, {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("invalid config line 3"));
}

}  // namespace
}  // namespace berth::agent::config
