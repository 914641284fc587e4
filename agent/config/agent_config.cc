#include "agent/config/agent_config.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/config/attribute_rules.h"
#include "agent/config/config_values.h"
#include "agent/config/go_duration.h"
#include "io/absl_compat.h"

namespace berth::agent::config {
namespace {

constexpr int64_t kMaxCustomAttributes = 10;  // ECS's limit per instance
constexpr size_t kMaxTags = 50;

// Variables read elsewhere (credentials.h) that are not "ignored" in a file.
constexpr std::string_view kCredentialVariables[] = {
    "AWS_ACCESS_KEY_ID",   "AWS_SECRET_ACCESS_KEY",       "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",  "AWS_PROFILE",                 "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",     "AWS_SHARED_CREDENTIALS_FILE",
};

// Reads variables from the layered map and remembers which were used.
class Variables {
 public:
  Variables(const EnvMap& file, const EnvMap& environment)
      : file_(file), environment_(environment), merged_(LayerEnvironment(file, environment)) {
    for (std::string_view name : kCredentialVariables) {
      used_.insert(std::string(name));
    }
  }

  // The value, trimmed, or nullptr when unset or empty (= the default).
  const std::string* Get(std::string_view name) {
    used_.insert(std::string(name));
    auto it = merged_.find(name);
    if (it == merged_.end()) {
      return nullptr;
    }
    std::string& value = trimmed_[std::string(name)];
    value = std::string(absl::StripAsciiWhitespace(Absl(it->second)));
    return value.empty() ? nullptr : &value;
  }

  std::vector<std::string> Ignored() const {
    std::set<std::string> out;
    for (const auto& [key, value] : file_) {
      if (!used_.contains(key)) {
        out.insert(key);
      }
    }
    for (const auto& [key, value] : environment_) {
      if ((absl::StartsWith(Absl(key), "ECS_") || absl::StartsWith(Absl(key), "BERTH_")) &&
          !used_.contains(key)) {
        out.insert(key);
      }
    }
    return {out.begin(), out.end()};
  }

 private:
  const EnvMap& file_;
  const EnvMap& environment_;
  EnvMap merged_;
  std::map<std::string, std::string> trimmed_;
  std::set<std::string, std::less<>> used_;
};

// Small helpers that set `*out` when the variable is set.
absl::Status Duration(Variables& v, std::string_view name, absl::Duration min,
                      absl::Duration max, absl::Duration* out) {
  if (const std::string* value = v.Get(name)) {
    absl::StatusOr<absl::Duration> d = ParseDurationValue(name, *value, min, max);
    if (!d.ok()) {
      return d.status();
    }
    *out = *d;
  }
  return absl::OkStatus();
}

absl::Status Bool(Variables& v, std::string_view name, bool* out) {
  if (const std::string* value = v.Get(name)) {
    absl::StatusOr<bool> b = ParseBoolValue(name, *value);
    if (!b.ok()) {
      return b.status();
    }
    *out = *b;
  }
  return absl::OkStatus();
}

absl::Status Int(Variables& v, std::string_view name, int64_t min, int64_t max, int* out) {
  if (const std::string* value = v.Get(name)) {
    absl::StatusOr<int64_t> i = ParseIntValue(name, *value, min, max);
    if (!i.ok()) {
      return i.status();
    }
    *out = static_cast<int>(*i);
  }
  return absl::OkStatus();
}

absl::Status Path(Variables& v, std::string_view name, std::string* out) {
  if (const std::string* value = v.Get(name)) {
    if (absl::Status s = CheckAbsolutePath(name, *value); !s.ok()) {
      return s;
    }
    *out = *value;
  }
  return absl::OkStatus();
}

absl::Status Identity(Variables& v, AgentConfig& c) {
  if (const std::string* value = v.Get("ECS_CLUSTER")) {
    if (absl::Status s = CheckClusterValue("ECS_CLUSTER", *value); !s.ok()) {
      return s;
    }
    c.cluster = *value;
  }
  if (const std::string* value = v.Get("ECS_BACKEND_HOST")) {
    absl::StatusOr<std::string> url = ParseBackendUrl("ECS_BACKEND_HOST", *value);
    if (!url.ok()) {
      return url.status();
    }
    c.backend_url = *std::move(url);
  }
  // Amazon's agent reads AWS_DEFAULT_REGION; the AWS SDKs also AWS_REGION.
  const std::string* region_default = v.Get("AWS_DEFAULT_REGION");
  const std::string* region = v.Get("AWS_REGION");
  if (region_default != nullptr) {
    if (absl::Status s = CheckRegionValue("AWS_DEFAULT_REGION", *region_default); !s.ok()) {
      return s;
    }
    c.region = *region_default;
  } else if (region != nullptr) {
    if (absl::Status s = CheckRegionValue("AWS_REGION", *region); !s.ok()) {
      return s;
    }
    c.region = *region;
  }
  if (absl::Status s = Path(v, "ECS_DATADIR", &c.data_dir); !s.ok()) {
    return s;
  }
  return Bool(v, "ECS_CHECKPOINT", &c.checkpoint);
}

absl::Status Resources(Variables& v, AgentConfig& c) {
  if (absl::Status s = Int(v, "ECS_RESERVED_MEMORY", 0, 65535, &c.reserved_memory_mib); !s.ok()) {
    return s;
  }
  for (auto [name, out] : {std::pair{"ECS_RESERVED_PORTS", &c.reserved_ports},
                           std::pair{"ECS_RESERVED_PORTS_UDP", &c.reserved_ports_udp}}) {
    if (const std::string* value = v.Get(name)) {
      absl::StatusOr<std::vector<int>> ports = ParsePortList(name, *value);
      if (!ports.ok()) {
        return ports.status();
      }
      *out = *std::move(ports);
    }
  }
  if (const std::string* value = v.Get("ECS_DYNAMIC_HOST_PORT_RANGE")) {
    absl::StatusOr<PortRange> range = ParsePortRange("ECS_DYNAMIC_HOST_PORT_RANGE", *value);
    if (!range.ok()) {
      return range.status();
    }
    c.dynamic_host_port_range = *range;
  }
  return absl::OkStatus();
}

absl::Status AttributesAndTags(Variables& v, AgentConfig& c) {
  constexpr std::string_view kAttributes = "ECS_INSTANCE_ATTRIBUTES";
  if (const std::string* value = v.Get(kAttributes)) {
    absl::StatusOr<std::map<std::string, std::string>> map = ParseStringMap(kAttributes, *value);
    if (!map.ok()) {
      return map.status();
    }
    if (static_cast<int64_t>(map->size()) > kMaxCustomAttributes) {
      return InvalidValue(kAttributes, *value,
                          absl::StrCat("ECS allows at most ", kMaxCustomAttributes,
                                       " custom attributes; this has ", map->size()));
    }
    for (const auto& [name, attr] : *map) {
      if (!IsValidAttributeName(name)) {
        return InvalidValue(kAttributes, *value,
                            absl::StrCat("attribute name '", name, "' is not ",
                                         Absl(kAttributeNameRule)));
      }
      if (absl::StartsWith(name, "ecs.") || absl::StartsWith(name, "berth.")) {
        return InvalidValue(kAttributes, *value,
                            absl::StrCat("attribute name '", name,
                                         "' uses a reserved prefix (ecs. or berth.)"));
      }
      if (!IsValidAttributeValue(attr)) {
        return InvalidValue(kAttributes, *value,
                            absl::StrCat("the value of attribute '", name, "' is not ",
                                         Absl(kAttributeValueRule)));
      }
    }
    c.instance_attributes = *std::move(map);
  }
  constexpr std::string_view kTags = "ECS_CONTAINER_INSTANCE_TAGS";
  if (const std::string* value = v.Get(kTags)) {
    absl::StatusOr<std::map<std::string, std::string>> map = ParseStringMap(kTags, *value);
    if (!map.ok()) {
      return map.status();
    }
    if (map->size() > kMaxTags) {
      return InvalidValue(kTags, *value,
                          absl::StrCat("ECS allows at most ", kMaxTags, " tags; this has ",
                                       map->size()));
    }
    for (const auto& [key, tag] : *map) {
      if (absl::Status s = CheckTag(key, tag); !s.ok()) {
        return InvalidValue(kTags, *value, Std(s.message()));
      }
    }
    c.instance_tags = *std::move(map);
  }
  return absl::OkStatus();
}

absl::Status Timeouts(Variables& v, AgentConfig& c) {
  const absl::Duration inf = absl::InfiniteDuration();
  struct Item {
    std::string_view name;
    absl::Duration min;
    absl::Duration max;
    absl::Duration* out;
  };
  const Item items[] = {
      {"ECS_CONTAINER_STOP_TIMEOUT", absl::Seconds(1), inf, &c.container_stop_timeout},
      {"ECS_CONTAINER_START_TIMEOUT", absl::Seconds(45), inf, &c.container_start_timeout},
      {"ECS_CONTAINER_CREATE_TIMEOUT", absl::Minutes(1), inf, &c.container_create_timeout},
      {"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", absl::Seconds(1), inf, &c.task_cleanup_wait},
      {"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION_JITTER", absl::ZeroDuration(), inf,
       &c.task_cleanup_wait_jitter},
      {"ECS_CGROUP_CPU_PERIOD", absl::Milliseconds(8), absl::Milliseconds(100),
       &c.cgroup_cpu_period},
      {"ECS_IMAGE_PULL_TIMEOUT", absl::Nanoseconds(1), inf, &c.image_pull_timeout},
      {"ECS_IMAGE_PULL_INACTIVITY_TIMEOUT", absl::Minutes(1), inf,
       &c.image_pull_inactivity_timeout},
      {"ECS_MANIFEST_PULL_TIMEOUT", absl::Seconds(30), inf, &c.manifest_pull_timeout},
      {"ECS_IMAGE_CLEANUP_INTERVAL", absl::Minutes(10), inf, &c.image_cleanup_interval},
      {"ECS_IMAGE_MINIMUM_CLEANUP_AGE", absl::ZeroDuration(), inf,
       &c.image_minimum_cleanup_age},
      {"ECS_POLLING_METRICS_WAIT_DURATION", absl::Seconds(1), absl::Seconds(20),
       &c.polling_metrics_wait},
      {"BERTH_TELEMETRY_INTERVAL", absl::Seconds(1), absl::Seconds(20), &c.telemetry_interval},
  };
  for (const Item& item : items) {
    if (absl::Status s = Duration(v, item.name, item.min, item.max, item.out); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Engine(Variables& v, AgentConfig& c) {
  constexpr std::string_view kDrivers = "ECS_AVAILABLE_LOGGING_DRIVERS";
  if (const std::string* value = v.Get(kDrivers)) {
    absl::StatusOr<std::vector<std::string>> drivers = ParseStringList(kDrivers, *value);
    if (!drivers.ok()) {
      return drivers.status();
    }
    std::vector<std::string> unique;
    for (const std::string& d : *drivers) {
      const auto& known = KnownLoggingDrivers();
      if (std::find(known.begin(), known.end(), d) == known.end()) {
        std::string names;
        for (std::string_view k : known) {
          absl::StrAppend(&names, names.empty() ? "" : ", ", Absl(k));
        }
        return InvalidValue(kDrivers, *value,
                            absl::StrCat("unknown logging driver '", d, "'; known drivers are ",
                                         names));
      }
      if (std::find(unique.begin(), unique.end(), d) == unique.end()) {
        unique.push_back(d);
      }
    }
    c.available_logging_drivers = std::move(unique);
  }
  for (const std::string& d : c.available_logging_drivers) {
    if (!IsImplementedLoggingDriver(d)) {
      c.unimplemented_logging_drivers.push_back(d);
    }
  }
  if (const std::string* value = v.Get("ECS_LOGLEVEL")) {
    if (!log::ParseSeverity(*value, &c.log_level)) {
      return InvalidValue("ECS_LOGLEVEL", *value, "expected debug, info, warn, error or crit");
    }
  }
  if (absl::Status s = Path(v, "ECS_CGROUP_PATH", &c.cgroup_path); !s.ok()) {
    return s;
  }
  if (const std::string* value = v.Get("ECS_TASK_PIDS_LIMIT")) {
    absl::StatusOr<int64_t> limit = ParseIntValue("ECS_TASK_PIDS_LIMIT", *value, 1, 4194304);
    if (!limit.ok()) {
      return limit.status();
    }
    c.task_pids_limit = *limit;
  }
  if (const std::string* value = v.Get("ECS_ENABLE_TASK_CPU_MEM_LIMIT")) {
    absl::StatusOr<bool> b = ParseBoolValue("ECS_ENABLE_TASK_CPU_MEM_LIMIT", *value);
    if (!b.ok()) {
      return b.status();
    }
    c.task_cpu_mem_limit = *b ? Tristate::kEnabled : Tristate::kDisabled;
  }
  if (const std::string* value = v.Get("ECS_IMAGE_PULL_BEHAVIOR")) {
    if (*value == "default") {
      c.image_pull_behavior = ImagePullBehavior::kDefault;
    } else if (*value == "always") {
      c.image_pull_behavior = ImagePullBehavior::kAlways;
    } else if (*value == "once") {
      c.image_pull_behavior = ImagePullBehavior::kOnce;
    } else if (*value == "prefer-cached") {
      c.image_pull_behavior = ImagePullBehavior::kPreferCached;
    } else {
      return InvalidValue("ECS_IMAGE_PULL_BEHAVIOR", *value,
                          "expected default, always, once or prefer-cached");
    }
  }
  if (absl::Status s = Bool(v, "ECS_DISABLE_IMAGE_CLEANUP", &c.image_cleanup_disabled); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          Int(v, "ECS_NUM_IMAGES_DELETE_PER_CYCLE", 1, 1000000, &c.num_images_delete_per_cycle);
      !s.ok()) {
    return s;
  }
  return Bool(v, "ECS_DISABLE_PRIVILEGED", &c.privileged_disabled);
}

// Private registry credentials and plain-HTTP registries. The auth data is
// secret: RegistryAuthConfig's errors name the variable and the registry key,
// never the value (so InvalidValue, which quotes it, is not used).
absl::Status Registries(Variables& v, AgentConfig& c) {
  const std::string* type = v.Get("ECS_ENGINE_AUTH_TYPE");
  const std::string* data = v.Get("ECS_ENGINE_AUTH_DATA");
  absl::StatusOr<images::RegistryAuthConfig> auth = images::RegistryAuthConfig::Parse(
      type != nullptr ? *type : std::string_view(), data != nullptr ? *data : std::string_view());
  if (!auth.ok()) {
    return auth.status();
  }
  c.registry_auth = *std::move(auth);
  if (const std::string* value = v.Get("BERTH_INSECURE_REGISTRIES")) {
    absl::StatusOr<std::vector<std::string>> registries = images::ParseInsecureRegistries(*value);
    if (!registries.ok()) {
      return registries.status();
    }
    c.insecure_registries = *std::move(registries);
  }
  return absl::OkStatus();
}

absl::Status Endpoints(Variables& v, AgentConfig& c) {
  constexpr std::string_view kRps = "ECS_TASK_METADATA_RPS_LIMIT";
  if (const std::string* value = v.Get(kRps)) {
    constexpr std::string_view kAllowed =
        "expected RATE,BURST, two integers from 1 to 1000000, like 40,60";
    size_t comma = value->find(',');
    if (comma == std::string::npos) {
      return InvalidValue(kRps, *value, kAllowed);
    }
    std::string_view text = *value;
    std::string_view rate = Std(absl::StripAsciiWhitespace(Absl(text.substr(0, comma))));
    std::string_view burst = Std(absl::StripAsciiWhitespace(Absl(text.substr(comma + 1))));
    absl::StatusOr<int64_t> r = ParseIntValue(kRps, rate, 1, 1000000);
    absl::StatusOr<int64_t> b = ParseIntValue(kRps, burst, 1, 1000000);
    if (!r.ok() || !b.ok()) {
      return InvalidValue(kRps, *value, kAllowed);
    }
    c.task_metadata_rps = static_cast<int>(*r);
    c.task_metadata_burst = static_cast<int>(*b);
  }
  if (absl::Status s = Bool(v, "ECS_DISABLE_METRICS", &c.metrics_disabled); !s.ok()) {
    return s;
  }
  if (absl::Status s = Bool(v, "ECS_POLL_METRICS", &c.poll_metrics); !s.ok()) {
    return s;
  }
  for (auto [name, out] : {std::pair{"BERTH_AVAILABILITY_ZONE", &c.availability_zone},
                           std::pair{"BERTH_INSTANCE_TYPE", &c.instance_type}}) {
    if (const std::string* value = v.Get(name)) {
      if (!IsValidAttributeValue(*value)) {
        return InvalidValue(name, *value, absl::StrCat("expected ", Absl(kAttributeValueRule)));
      }
      *out = *value;
    }
  }
  for (auto [name, out] : {std::pair{"BERTH_INIT_PATH", &c.init_path},
                           std::pair{"BERTH_SHIM_PATH", &c.shim_path},
                           std::pair{"BERTH_UNPACK_PATH", &c.unpack_path},
                           std::pair{"BERTH_REGISTRY_CERTS_DIR", &c.registry_certs_dir}}) {
    if (const std::string* value = v.Get(name)) {
      if (!value->empty() && value->front() != '/') {
        return InvalidValue(name, *value, "expected an absolute path");
      }
      *out = *value;
    }
  }
  for (auto [name, out] : {std::pair{"BERTH_INTROSPECTION_ADDR", &c.introspection_address},
                           std::pair{"BERTH_METADATA_ADDR", &c.metadata_address}}) {
    if (const std::string* value = v.Get(name)) {
      absl::StatusOr<ListenAddress> address = ParseListenAddress(name, *value);
      if (!address.ok()) {
        return address.status();
      }
      *out = *std::move(address);
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view ToString(ImagePullBehavior behavior) {
  switch (behavior) {
    case ImagePullBehavior::kDefault:
      return "default";
    case ImagePullBehavior::kAlways:
      return "always";
    case ImagePullBehavior::kOnce:
      return "once";
    case ImagePullBehavior::kPreferCached:
      return "prefer-cached";
  }
  return "default";
}

std::string ListenAddress::ToString() const {
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

const std::vector<std::string_view>& KnownLoggingDrivers() {
  // Amazon's dockerclient.LoggingDriverMinimumVersion keys.
  static const auto* drivers = new std::vector<std::string_view>{
      "json-file", "syslog",     "journald",  "gelf", "fluentd",    "awslogs",
      "splunk",    "logentries", "sumologic", "none", "awsfirelens"};
  return *drivers;
}

bool IsImplementedLoggingDriver(std::string_view driver) {
  return driver == "json-file" || driver == "none";
}

std::string Summary(const AgentConfig& c) {
  auto join = [](const auto& items) {
    std::string out;
    for (const auto& item : items) {
      absl::StrAppend(&out, out.empty() ? "" : ",", item);
    }
    return absl::StrCat("[", out, "]");
  };
  std::string out = absl::StrCat(
      "cluster=", c.cluster, " backend=", c.backend_url, " region=", c.region,
      " datadir=", c.data_dir, " checkpoint=", c.checkpoint ? "true" : "false",
      " reserved_memory=", c.reserved_memory_mib, "MiB reserved_ports=", join(c.reserved_ports),
      " reserved_ports_udp=", join(c.reserved_ports_udp));
  if (c.dynamic_host_port_range.has_value()) {
    absl::StrAppend(&out, " dynamic_ports=", c.dynamic_host_port_range->first, "-",
                    c.dynamic_host_port_range->last);
  }
  absl::StrAppend(&out, " stop_timeout=", FormatGoDuration(c.container_stop_timeout),
                  " cleanup_wait=", FormatGoDuration(c.task_cleanup_wait),
                  " logging_drivers=", join(c.available_logging_drivers),
                  " cgroup_path=", c.cgroup_path);
  if (c.task_pids_limit.has_value()) {
    absl::StrAppend(&out, " task_pids_limit=", *c.task_pids_limit);
  }
  absl::StrAppend(&out, " introspection=", c.introspection_address.ToString(),
                  " metadata=", c.metadata_address.ToString());
  if (!c.registry_auth.empty()) {
    absl::StrAppend(&out, " registry_auth=", join(c.registry_auth.Registries()));
  }
  if (!c.insecure_registries.empty()) {
    absl::StrAppend(&out, " insecure_registries=", join(c.insecure_registries));
  }
  return out;
}

absl::StatusOr<AgentConfig> ConfigFromVariables(const EnvMap& file, const EnvMap& environment) {
  Variables v(file, environment);
  AgentConfig c;
  for (auto step :
       {&Identity, &Resources, &AttributesAndTags, &Timeouts, &Engine, &Registries, &Endpoints}) {
    if (absl::Status s = step(v, c); !s.ok()) {
      return s;
    }
  }
  c.ignored_variables = v.Ignored();
  return c;
}

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path, bool path_given,
                                            const EnvMap& environment, EnvMap* variables) {
  absl::StatusOr<EnvMap> file = ReadEnvFile(path, path_given);
  if (!file.ok()) {
    return file.status();
  }
  if (variables != nullptr) {
    *variables = LayerEnvironment(*file, environment);
  }
  return ConfigFromVariables(*file, environment);
}

}  // namespace berth::agent::config
