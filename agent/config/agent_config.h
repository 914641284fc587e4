#ifndef BERTH_AGENT_CONFIG_AGENT_CONFIG_H_
#define BERTH_AGENT_CONFIG_AGENT_CONFIG_H_

// The agent's configuration: the Amazon ECS agent's variables that apply to
// berth (reference §3), with its defaults, plus berth's own BERTH_* knobs.
// agent/config/README.md has the table. Values come from /etc/ecs/ecs.config
// with the environment on top (env_file.h).
//
// Every value is checked when loading: one that does not parse, or lies
// outside the range Amazon documents, fails the whole load with an
// InvalidArgument naming the variable, the value and what is allowed. (The
// Amazon agent clamps or silently replaces several of them; berth refuses.)
// An empty value means the default. Variables berth does not know, and
// Amazon's that it does not use, are listed in `ignored_variables`.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/config/env_file.h"
#include "agent/images/registry_auth.h"
#include "io/log.h"

namespace berth::agent::config {

// Amazon's tri-state booleans: unset is neither true nor false.
enum class Tristate { kNotSet, kEnabled, kDisabled };

// ECS_IMAGE_PULL_BEHAVIOR.
enum class ImagePullBehavior { kDefault, kAlways, kOnce, kPreferCached };
std::string_view ToString(ImagePullBehavior behavior);

// An inclusive range of ports.
struct PortRange {
  int first = 0;
  int last = 0;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// A listen address: IPv4 or IPv6 literal ("::1"; written "[::1]:51678"), port
// (0: any free port).
struct ListenAddress {
  std::string host = {};
  int port = 0;
  std::string ToString() const;  // "127.0.0.1:51678", "[::1]:51678"
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

inline constexpr std::string_view kDefaultConfigPath = "/etc/ecs/ecs.config";

struct AgentConfig {
  // ECS_CLUSTER: a cluster name or cluster ARN.
  std::string cluster = "default";
  // ECS_BACKEND_HOST: berth-control's URL, normalised to scheme://host[:port]
  // (a bare host gets https://, as the AWS SDK does).
  std::string backend_url = "http://127.0.0.1:8080";
  // AWS_DEFAULT_REGION, else AWS_REGION.
  std::string region = "us-east-1";
  std::string data_dir = "/var/lib/ecs/data";  // ECS_DATADIR
  bool checkpoint = true;                      // ECS_CHECKPOINT

  int reserved_memory_mib = 0;  // ECS_RESERVED_MEMORY
  // ECS_RESERVED_PORTS / _UDP: the PORTS / PORTS_UDP resources; a value
  // replaces the default list.
  std::vector<int> reserved_ports = {22, 2375, 2376, 51678, 51679};
  std::vector<int> reserved_ports_udp = {};
  // ECS_DYNAMIC_HOST_PORT_RANGE; unset = the host's ip_local_port_range
  // (HostFacts), else 49153-65535.
  std::optional<PortRange> dynamic_host_port_range = {};

  // ECS_INSTANCE_ATTRIBUTES and ECS_CONTAINER_INSTANCE_TAGS (JSON maps).
  std::map<std::string, std::string> instance_attributes = {};
  std::map<std::string, std::string> instance_tags = {};

  absl::Duration container_stop_timeout = absl::Seconds(30);     // min 1s
  absl::Duration container_start_timeout = absl::Minutes(3);     // min 45s
  absl::Duration container_create_timeout = absl::Minutes(4);    // min 1m
  absl::Duration task_cleanup_wait = absl::Hours(3);             // min 1s
  absl::Duration task_cleanup_wait_jitter = absl::ZeroDuration();

  // ECS_AVAILABLE_LOGGING_DRIVERS as written (each a name Amazon knows).
  std::vector<std::string> available_logging_drivers = {"json-file", "none"};

  log::Severity log_level = log::Severity::kInfo;  // ECS_LOGLEVEL

  std::string cgroup_path = "/sys/fs/cgroup";                  // ECS_CGROUP_PATH
  absl::Duration cgroup_cpu_period = absl::Milliseconds(100);  // 8ms–100ms
  std::optional<int64_t> task_pids_limit = {};                 // 1–4194304
  Tristate task_cpu_mem_limit = Tristate::kNotSet;  // ECS_ENABLE_TASK_CPU_MEM_LIMIT

  ImagePullBehavior image_pull_behavior = ImagePullBehavior::kDefault;
  absl::Duration image_pull_timeout = absl::Hours(2);
  absl::Duration image_pull_inactivity_timeout = absl::Minutes(1);  // min 1m
  absl::Duration manifest_pull_timeout = absl::Minutes(1);          // min 30s
  bool image_cleanup_disabled = false;
  absl::Duration image_cleanup_interval = absl::Minutes(30);  // min 10m
  absl::Duration image_minimum_cleanup_age = absl::Hours(1);
  int num_images_delete_per_cycle = 5;  // min 1
  // ECS_ENGINE_AUTH_TYPE / ECS_ENGINE_AUTH_DATA: private registry credentials,
  // parsed (agent/images/registry_auth.h). Secret: Summary names the
  // registries only, and a load error never quotes a password.
  images::RegistryAuthConfig registry_auth = {};
  // BERTH_INSECURE_REGISTRIES: host[:port] registries pulled over plain HTTP
  // (lower-cased, in the order written).
  std::vector<std::string> insecure_registries = {};

  bool privileged_disabled = false;  // ECS_DISABLE_PRIVILEGED

  int task_metadata_rps = 40;    // ECS_TASK_METADATA_RPS_LIMIT "rate,burst"
  int task_metadata_burst = 60;
  bool metrics_disabled = false;  // ECS_DISABLE_METRICS
  bool poll_metrics = false;      // ECS_POLL_METRICS
  absl::Duration polling_metrics_wait = absl::Seconds(10);  // 1s–20s

  // berth's own.
  std::optional<std::string> availability_zone = {};  // BERTH_AVAILABILITY_ZONE
  std::optional<std::string> instance_type = {};      // BERTH_INSTANCE_TYPE
  ListenAddress introspection_address = {"127.0.0.1", 51678};  // BERTH_INTROSPECTION_ADDR
  ListenAddress metadata_address = {"127.0.0.1", 51679};       // BERTH_METADATA_ADDR
  // BERTH_TELEMETRY_INTERVAL: how often utilization goes to berth-control
  // (1s–20s; off with ECS_DISABLE_METRICS).
  absl::Duration telemetry_interval = absl::Seconds(20);
  // The helper programs, when given (absolute paths); "" means the agent
  // looks for them itself (next to its binary, ..., /usr/libexec/berth).
  std::string init_path;    // BERTH_INIT_PATH: berth-init
  std::string shim_path;    // BERTH_SHIM_PATH: berth-shim
  std::string unpack_path;  // BERTH_UNPACK_PATH: berth-unpack
  // BERTH_REGISTRY_CERTS_DIR: <dir>/<host[:port]>/ca.crt is a registry's own
  // CA (Docker's certs.d layout).
  std::string registry_certs_dir = "/etc/berth/certs.d";

  // Set variables the loader did not use, sorted: file keys it does not
  // know, and ECS_* / BERTH_* environment variables it does not know or that
  // are Amazon's and do nothing in berth. The agent logs them once.
  std::vector<std::string> ignored_variables = {};
  // Logging drivers that were configured and are valid for Amazon's agent
  // but that berth does not implement (not advertised).
  std::vector<std::string> unimplemented_logging_drivers = {};
};

// The configuration from a parsed config file and the environment (which
// wins). Pure: no I/O.
absl::StatusOr<AgentConfig> ConfigFromVariables(const EnvMap& file, const EnvMap& environment);

// Reads `path` (missing is fine unless `path_given`), layers `environment`
// on top and builds the configuration. `variables`, when given, receives the
// file layered under the environment: what LoadAwsCredentials takes, so that
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in ecs.config work as they do
// for Amazon's agent (it is filled even when the config is invalid, if the
// file was read).
absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path, bool path_given,
                                            const EnvMap& environment,
                                            EnvMap* variables = nullptr);

// One line for the start-up log with the settings that shape the node:
// "cluster=prod backend=http://127.0.0.1:8080 region=us-east-1 datadir=...
// ...". Of the registry credentials it names the registries, never a
// username or password.
std::string Summary(const AgentConfig& config);

// Logging drivers the Amazon agent accepts in ECS_AVAILABLE_LOGGING_DRIVERS,
// and those berth implements.
const std::vector<std::string_view>& KnownLoggingDrivers();
bool IsImplementedLoggingDriver(std::string_view driver);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_AGENT_CONFIG_H_
