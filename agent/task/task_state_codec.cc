// The state store's JSON forms of TaskState and TaskChange. Lossless: every
// member is written (optional ones only when present), times as integer
// nanoseconds since the epoch ("...AtNs"), lists of pairs as [[k, v], ...]
// so order and repeats survive. Decoding is strict, since a record that
// does not read back exactly is a corrupt one: every member Encode always
// writes is required, a member it never writes is refused, every enum and
// range is checked, and the spec obeys ValidateTaskSpec. Every error is
// DataLoss "invalid field '<path>': <what>".
//
// Strings are written as valid UTF-8 (ReportText), so a record always
// parses again; that is the one lossy step, and only for text that was not
// UTF-8 to begin with.

#include <limits>
#include <set>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/task/task_state.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"
#include "ecs/json_reader.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::agent {
namespace {

using ecs::json_internal::ElementPath;
using ecs::json_internal::KindName;
using ecs::json_internal::MemberPath;

constexpr int64_t kFormat = 1;

absl::Status Corrupt(std::string_view path, std::string_view what) {
  return absl::DataLossError(absl::StrCat("invalid field '", Absl(path), "': ", Absl(what)));
}

// Strict typed access to one object's members (see the file comment).
class Reader {
 public:
  static absl::StatusOr<Reader> Open(const boost::json::value& v, std::string path) {
    const boost::json::object* o = v.if_object();
    if (o == nullptr) {
      return Corrupt(path.empty() ? "<top>" : path,
                     absl::StrCat("expected an object, got ", KindName(v)));
    }
    return Reader(o, std::move(path));
  }

  const std::string& path() const { return path_; }
  std::string Path(std::string_view key) const { return MemberPath(path_, key); }

  // The member, or nullptr when absent; a required one must be there.
  absl::StatusOr<const boost::json::value*> Get(std::string_view key, bool required) {
    read_.insert(std::string(key));
    const boost::json::value* v = object_->if_contains(key);
    if (v == nullptr && required) {
      return Corrupt(Path(key), "missing");
    }
    return v;
  }

  absl::Status String(std::string_view key, std::string* out) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    return AsString(*v, Path(key), out);
  }
  absl::Status String(std::string_view key, std::optional<std::string>* out) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, false));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    std::string s;
    RETURN_IF_ERROR(AsString(*v, Path(key), &s));
    *out = std::move(s);
    return absl::OkStatus();
  }
  absl::Status Bool(std::string_view key, bool* out) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    if (!v->is_bool()) {
      return Corrupt(Path(key), absl::StrCat("expected a boolean, got ", KindName(*v)));
    }
    *out = v->get_bool();
    return absl::OkStatus();
  }
  template <typename T>
  absl::Status Int(std::string_view key, T* out, T min = std::numeric_limits<T>::min(),
                   T max = std::numeric_limits<T>::max()) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    return AsInt(*v, Path(key), out, min, max);
  }
  template <typename T>
  absl::Status Int(std::string_view key, std::optional<T>* out,
                   T min = std::numeric_limits<T>::min(), T max = std::numeric_limits<T>::max()) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, false));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    T value{};
    RETURN_IF_ERROR(AsInt(*v, Path(key), &value, min, max));
    *out = value;
    return absl::OkStatus();
  }
  absl::Status Time(std::string_view key, std::optional<absl::Time>* out) {
    std::optional<int64_t> ns;
    RETURN_IF_ERROR(Int(key, &ns));
    if (ns.has_value()) {
      *out = absl::FromUnixNanos(*ns);
    }
    return absl::OkStatus();
  }
  template <typename E, typename Parse>
  absl::Status Enum(std::string_view key, E* out, Parse parse, std::string_view expected) {
    std::string text;
    RETURN_IF_ERROR(String(key, &text));
    std::optional<E> value = parse(text);
    if (!value.has_value()) {
      return Corrupt(Path(key), absl::StrCat("expected one of ", Absl(expected), ", got \"",
                                             text.substr(0, 64), "\""));
    }
    *out = *value;
    return absl::OkStatus();
  }
  // A required list; `decode(element, path)` returns StatusOr<T>.
  template <typename T, typename Decode>
  absl::Status List(std::string_view key, std::vector<T>* out, Decode decode) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    return AsList(*v, Path(key), out, decode);
  }
  template <typename T, typename Decode>
  absl::Status List(std::string_view key, std::optional<std::vector<T>>* out, Decode decode) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, false));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    std::vector<T> items;
    RETURN_IF_ERROR(AsList(*v, Path(key), &items, decode));
    *out = std::move(items);
    return absl::OkStatus();
  }
  // An object member decoded by `decode(value, path)`.
  template <typename T, typename Decode>
  absl::Status Object(std::string_view key, T* out, Decode decode) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    ASSIGN_OR_RETURN(*out, decode(*v, Path(key)));
    return absl::OkStatus();
  }

  // Refuses members no getter asked for.
  absl::Status Done() const {
    for (const auto& member : *object_) {
      if (!read_.contains(std::string(member.key()))) {
        return Corrupt(Path(std::string(member.key())), "unexpected member");
      }
    }
    return absl::OkStatus();
  }

  static absl::Status AsString(const boost::json::value& v, const std::string& path,
                               std::string* out) {
    const boost::json::string* s = v.if_string();
    if (s == nullptr) {
      return Corrupt(path, absl::StrCat("expected a string, got ", KindName(v)));
    }
    out->assign(s->data(), s->size());
    return absl::OkStatus();
  }

  template <typename T>
  static absl::Status AsInt(const boost::json::value& v, const std::string& path, T* out, T min,
                            T max) {
    bool in_range = false;
    if (v.is_int64()) {
      int64_t i = v.get_int64();
      if constexpr (std::is_signed_v<T>) {
        in_range = i >= static_cast<int64_t>(min) && i <= static_cast<int64_t>(max);
      } else {
        in_range = i >= 0 && static_cast<uint64_t>(i) >= min && static_cast<uint64_t>(i) <= max;
      }
      if (in_range) {
        *out = static_cast<T>(i);
      }
    } else if (v.is_uint64()) {
      uint64_t u = v.get_uint64();
      if constexpr (std::is_signed_v<T>) {
        in_range = max >= 0 && u <= static_cast<uint64_t>(max);
      } else {
        in_range = u >= min && u <= max;
      }
      if (in_range) {
        *out = static_cast<T>(u);
      }
    } else {
      return Corrupt(path, absl::StrCat("expected an integer, got ", KindName(v)));
    }
    if (!in_range) {
      return Corrupt(path, absl::StrCat("expected an integer from ", min, " to ", max));
    }
    return absl::OkStatus();
  }

  template <typename T, typename Decode>
  static absl::Status AsList(const boost::json::value& v, const std::string& path,
                             std::vector<T>* out, Decode decode) {
    const boost::json::array* a = v.if_array();
    if (a == nullptr) {
      return Corrupt(path, absl::StrCat("expected a list, got ", KindName(v)));
    }
    std::vector<T> items;
    items.reserve(a->size());
    for (size_t i = 0; i < a->size(); ++i) {
      ASSIGN_OR_RETURN(T item, decode((*a)[i], ElementPath(path, i)));
      items.push_back(std::move(item));
    }
    *out = std::move(items);
    return absl::OkStatus();
  }

 private:
  Reader(const boost::json::object* object, std::string path)
      : object_(object), path_(std::move(path)) {}

  const boost::json::object* object_;
  std::string path_;
  std::set<std::string> read_;
};

absl::StatusOr<std::string> StringFromJson(const boost::json::value& v, const std::string& path) {
  std::string s;
  RETURN_IF_ERROR(Reader::AsString(v, path, &s));
  return s;
}

absl::StatusOr<std::pair<std::string, std::string>> PairFromJson(const boost::json::value& v,
                                                                 const std::string& path) {
  const boost::json::array* a = v.if_array();
  if (a == nullptr || a->size() != 2) {
    return Corrupt(path, "expected a list of two strings");
  }
  std::pair<std::string, std::string> out;
  RETURN_IF_ERROR(Reader::AsString((*a)[0], ElementPath(path, 0), &out.first));
  RETURN_IF_ERROR(Reader::AsString((*a)[1], ElementPath(path, 1), &out.second));
  return out;
}

// --- writers ---

boost::json::string Text(std::string_view s) { return boost::json::string(ReportText(s)); }

boost::json::array Strings(const std::vector<std::string>& items) {
  boost::json::array a;
  for (const std::string& s : items) {
    a.push_back(Text(s));
  }
  return a;
}

boost::json::array Pairs(const std::vector<std::pair<std::string, std::string>>& items) {
  boost::json::array a;
  for (const auto& [k, v] : items) {
    a.push_back(boost::json::array{Text(k), Text(v)});
  }
  return a;
}

template <typename T>
void PutOptional(boost::json::object& o, std::string_view key, const std::optional<T>& value) {
  if (value.has_value()) {
    o[key] = *value;
  }
}

void PutTime(boost::json::object& o, std::string_view key, const std::optional<absl::Time>& t) {
  if (t.has_value()) {
    o[key] = absl::ToUnixNanos(*t);
  }
}

boost::json::object ToJson(const NetworkBinding& b) {
  return {{"bindIP", Text(b.bind_ip)},
          {"containerPort", b.container_port},
          {"hostPort", b.host_port},
          {"protocol", Text(b.protocol)}};
}

absl::StatusOr<NetworkBinding> NetworkBindingFromJson(const boost::json::value& v,
                                                      const std::string& path) {
  ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
  NetworkBinding b;
  RETURN_IF_ERROR(r.String("bindIP", &b.bind_ip));
  RETURN_IF_ERROR(r.Int<int32_t>("containerPort", &b.container_port, 0, 65535));
  RETURN_IF_ERROR(r.Int<int32_t>("hostPort", &b.host_port, 0, 65535));
  RETURN_IF_ERROR(r.String("protocol", &b.protocol));
  if (b.protocol != "tcp" && b.protocol != "udp") {
    return Corrupt(r.Path("protocol"), "expected one of tcp, udp");
  }
  RETURN_IF_ERROR(r.Done());
  return b;
}

boost::json::array Bindings(const std::vector<NetworkBinding>& bindings) {
  boost::json::array a;
  for (const NetworkBinding& b : bindings) {
    a.push_back(ToJson(b));
  }
  return a;
}

boost::json::object ToJson(const ecs::PortMapping& p) {
  boost::json::object o;
  PutOptional(o, "containerPort", p.container_port);
  PutOptional(o, "hostPort", p.host_port);
  if (p.protocol.has_value()) {
    o["protocol"] = ecs::ToString(*p.protocol);
  }
  if (p.name.has_value()) {
    o["name"] = Text(*p.name);
  }
  if (p.app_protocol.has_value()) {
    o["appProtocol"] = Text(*p.app_protocol);
  }
  return o;
}

absl::StatusOr<ecs::PortMapping> PortMappingFromJson(const boost::json::value& v,
                                                     const std::string& path) {
  ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
  ecs::PortMapping p;
  RETURN_IF_ERROR(r.Int<int32_t>("containerPort", &p.container_port));
  RETURN_IF_ERROR(r.Int<int32_t>("hostPort", &p.host_port));
  std::optional<std::string> protocol;
  RETURN_IF_ERROR(r.String("protocol", &protocol));
  if (protocol.has_value()) {
    p.protocol = ecs::ParseTransportProtocol(*protocol);
    if (!p.protocol.has_value()) {
      return Corrupt(r.Path("protocol"), "expected one of tcp, udp");
    }
  }
  RETURN_IF_ERROR(r.String("name", &p.name));
  RETURN_IF_ERROR(r.String("appProtocol", &p.app_protocol));
  RETURN_IF_ERROR(r.Done());
  return p;
}

boost::json::object ToJson(const ContainerSpec& c) {
  boost::json::object o;
  o["name"] = Text(c.name);
  o["image"] = Text(c.image);
  o["cpu"] = c.cpu;
  PutOptional(o, "memory", c.memory);
  PutOptional(o, "memoryReservation", c.memory_reservation);
  o["essential"] = c.essential;
  if (c.entry_point.has_value()) {
    o["entryPoint"] = Strings(*c.entry_point);
  }
  if (c.command.has_value()) {
    o["command"] = Strings(*c.command);
  }
  o["environment"] = Pairs(c.environment);
  if (c.working_directory.has_value()) {
    o["workingDirectory"] = Text(*c.working_directory);
  }
  if (c.user.has_value()) {
    o["user"] = Text(*c.user);
  }
  if (c.hostname.has_value()) {
    o["hostname"] = Text(*c.hostname);
  }
  boost::json::array ports;
  for (const ecs::PortMapping& p : c.port_mappings) {
    ports.push_back(ToJson(p));
  }
  o["portMappings"] = std::move(ports);
  boost::json::array depends;
  for (const ContainerDependency& d : c.depends_on) {
    depends.push_back(boost::json::object{{"containerName", Text(d.container_name)},
                                          {"condition", ToString(d.condition)}});
  }
  o["dependsOn"] = std::move(depends);
  PutOptional(o, "startTimeout", c.start_timeout);
  PutOptional(o, "stopTimeout", c.stop_timeout);
  o["initProcessEnabled"] = c.init_process_enabled;
  o["readonlyRootFilesystem"] = c.readonly_root_filesystem;
  o["logDriver"] = Text(c.log_driver);
  o["dockerLabels"] = Pairs(c.docker_labels);
  return o;
}

absl::StatusOr<ContainerDependency> DependencyFromJson(const boost::json::value& v,
                                                       const std::string& path) {
  ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
  ContainerDependency d;
  RETURN_IF_ERROR(r.String("containerName", &d.container_name));
  RETURN_IF_ERROR(r.Enum("condition", &d.condition, ParseDependencyCondition,
                         kDependencyConditionValues));
  RETURN_IF_ERROR(r.Done());
  return d;
}

absl::StatusOr<ContainerSpec> ContainerSpecFromJson(const boost::json::value& v,
                                                    const std::string& path) {
  ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
  ContainerSpec c;
  RETURN_IF_ERROR(r.String("name", &c.name));
  RETURN_IF_ERROR(r.String("image", &c.image));
  RETURN_IF_ERROR(r.Int<int32_t>("cpu", &c.cpu));
  RETURN_IF_ERROR(r.Int<int32_t>("memory", &c.memory));
  RETURN_IF_ERROR(r.Int<int32_t>("memoryReservation", &c.memory_reservation));
  RETURN_IF_ERROR(r.Bool("essential", &c.essential));
  RETURN_IF_ERROR(r.List("entryPoint", &c.entry_point, StringFromJson));
  RETURN_IF_ERROR(r.List("command", &c.command, StringFromJson));
  RETURN_IF_ERROR(r.List("environment", &c.environment, PairFromJson));
  RETURN_IF_ERROR(r.String("workingDirectory", &c.working_directory));
  RETURN_IF_ERROR(r.String("user", &c.user));
  RETURN_IF_ERROR(r.String("hostname", &c.hostname));
  RETURN_IF_ERROR(r.List("portMappings", &c.port_mappings, PortMappingFromJson));
  RETURN_IF_ERROR(r.List("dependsOn", &c.depends_on, DependencyFromJson));
  RETURN_IF_ERROR(r.Int<int32_t>("startTimeout", &c.start_timeout));
  RETURN_IF_ERROR(r.Int<int32_t>("stopTimeout", &c.stop_timeout));
  RETURN_IF_ERROR(r.Bool("initProcessEnabled", &c.init_process_enabled));
  RETURN_IF_ERROR(r.Bool("readonlyRootFilesystem", &c.readonly_root_filesystem));
  RETURN_IF_ERROR(r.String("logDriver", &c.log_driver));
  RETURN_IF_ERROR(r.List("dockerLabels", &c.docker_labels, PairFromJson));
  RETURN_IF_ERROR(r.Done());
  return c;
}

boost::json::object ToJson(const TaskSpec& s) {
  boost::json::object o;
  o["arn"] = Text(s.arn);
  o["id"] = Text(s.id);
  o["clusterArn"] = Text(s.cluster_arn);
  o["containerInstanceArn"] = Text(s.container_instance_arn);
  o["taskDefinitionArn"] = Text(s.task_definition_arn);
  o["family"] = Text(s.family);
  o["revision"] = s.revision;
  o["desiredStatus"] = Text(s.desired_status);
  PutOptional(o, "cpuUnits", s.cpu_units);
  PutOptional(o, "memoryMib", s.memory_mib);
  o["networkMode"] = ecs::ToString(s.network_mode);
  o["launchType"] = Text(s.launch_type);
  o["availabilityZone"] = Text(s.availability_zone);
  o["group"] = Text(s.group);
  o["startedBy"] = Text(s.started_by);
  PutOptional(o, "version", s.version);
  boost::json::array containers;
  for (const ContainerSpec& c : s.containers) {
    containers.push_back(ToJson(c));
  }
  o["containers"] = std::move(containers);
  return o;
}

absl::StatusOr<TaskSpec> TaskSpecFromJson(const boost::json::value& v, const std::string& path) {
  ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
  TaskSpec s;
  RETURN_IF_ERROR(r.String("arn", &s.arn));
  RETURN_IF_ERROR(r.String("id", &s.id));
  RETURN_IF_ERROR(r.String("clusterArn", &s.cluster_arn));
  RETURN_IF_ERROR(r.String("containerInstanceArn", &s.container_instance_arn));
  RETURN_IF_ERROR(r.String("taskDefinitionArn", &s.task_definition_arn));
  RETURN_IF_ERROR(r.String("family", &s.family));
  RETURN_IF_ERROR(r.Int<int32_t>("revision", &s.revision));
  RETURN_IF_ERROR(r.String("desiredStatus", &s.desired_status));
  RETURN_IF_ERROR(r.Int<int64_t>("cpuUnits", &s.cpu_units, 0));
  RETURN_IF_ERROR(r.Int<int64_t>("memoryMib", &s.memory_mib, 0));
  RETURN_IF_ERROR(
      r.Enum("networkMode", &s.network_mode, ecs::ParseNetworkMode, ecs::kNetworkModeValues));
  RETURN_IF_ERROR(r.String("launchType", &s.launch_type));
  RETURN_IF_ERROR(r.String("availabilityZone", &s.availability_zone));
  RETURN_IF_ERROR(r.String("group", &s.group));
  RETURN_IF_ERROR(r.String("startedBy", &s.started_by));
  RETURN_IF_ERROR(r.Int<int64_t>("version", &s.version));
  RETURN_IF_ERROR(r.List("containers", &s.containers, ContainerSpecFromJson));
  RETURN_IF_ERROR(r.Done());
  if (s.desired_status != "RUNNING" && s.desired_status != "STOPPED") {
    return Corrupt(r.Path("desiredStatus"), "expected one of RUNNING, STOPPED");
  }
  if (s.id != TaskIdOfArn(s.arn)) {
    return Corrupt(r.Path("id"), "expected the last segment of the task ARN");
  }
  if (absl::Status valid = ValidateTaskSpec(s, r.Path("id"), r.Path("containers"));
      !valid.ok()) {
    return absl::DataLossError(valid.message());
  }
  return s;
}

boost::json::object ToJson(const ProcessIdentity& p) {
  return {{"pid", p.pid}, {"startTime", p.start_time}};
}

absl::StatusOr<ProcessIdentity> ProcessFromJson(const boost::json::value& v,
                                                const std::string& path) {
  ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
  ProcessIdentity p;
  RETURN_IF_ERROR(r.Int<int32_t>("pid", &p.pid, 0));
  RETURN_IF_ERROR(r.Int<uint64_t>("startTime", &p.start_time));
  RETURN_IF_ERROR(r.Done());
  return p;
}

boost::json::object ToJson(const ContainerState& c) {
  boost::json::object o;
  o["name"] = Text(c.name);
  o["known"] = ToString(c.known);
  o["desired"] = ToString(c.desired);
  o["runtimeId"] = Text(c.runtime_id);
  o["runtimeName"] = Text(c.runtime_name);
  o["imageId"] = Text(c.image_id);
  o["imageDigest"] = Text(c.image_digest);
  o["metadataId"] = Text(c.metadata_id);
  o["shim"] = ToJson(c.shim);
  o["process"] = ToJson(c.process);
  PutOptional(o, "exitCode", c.exit_code);
  o["reason"] = Text(c.reason);
  o["oomKilled"] = c.oom_killed;
  o["networkBindings"] = Bindings(c.network_bindings);
  PutTime(o, "createdAtNs", c.created_at);
  PutTime(o, "startedAtNs", c.started_at);
  PutTime(o, "finishedAtNs", c.finished_at);
  return o;
}

constexpr std::string_view kStatusValues = "NONE, PULLED, CREATED, RUNNING, STOPPED";

absl::StatusOr<ContainerState> ContainerStateFromJson(const boost::json::value& v,
                                                      const std::string& path) {
  ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
  ContainerState c;
  RETURN_IF_ERROR(r.String("name", &c.name));
  RETURN_IF_ERROR(r.Enum("known", &c.known, ParseContainerStatus, kStatusValues));
  RETURN_IF_ERROR(r.Enum("desired", &c.desired, ParseContainerStatus, kStatusValues));
  RETURN_IF_ERROR(r.String("runtimeId", &c.runtime_id));
  RETURN_IF_ERROR(r.String("runtimeName", &c.runtime_name));
  RETURN_IF_ERROR(r.String("imageId", &c.image_id));
  RETURN_IF_ERROR(r.String("imageDigest", &c.image_digest));
  RETURN_IF_ERROR(r.String("metadataId", &c.metadata_id));
  RETURN_IF_ERROR(r.Object("shim", &c.shim, ProcessFromJson));
  RETURN_IF_ERROR(r.Object("process", &c.process, ProcessFromJson));
  RETURN_IF_ERROR(r.Int<int32_t>("exitCode", &c.exit_code));
  RETURN_IF_ERROR(r.String("reason", &c.reason));
  RETURN_IF_ERROR(r.Bool("oomKilled", &c.oom_killed));
  RETURN_IF_ERROR(r.List("networkBindings", &c.network_bindings, NetworkBindingFromJson));
  RETURN_IF_ERROR(r.Time("createdAtNs", &c.created_at));
  RETURN_IF_ERROR(r.Time("startedAtNs", &c.started_at));
  RETURN_IF_ERROR(r.Time("finishedAtNs", &c.finished_at));
  RETURN_IF_ERROR(r.Done());
  return c;
}

absl::Status CheckBackendStatus(const Reader& r, std::string_view key, std::string_view status) {
  if (status.empty() || status == "PENDING" || status == "RUNNING" || status == "STOPPED") {
    return absl::OkStatus();
  }
  return Corrupt(r.Path(key), "expected one of PENDING, RUNNING, STOPPED or nothing");
}

boost::json::object ToJson(const ContainerChange& c) {
  boost::json::object o;
  o["containerName"] = Text(c.container_name);
  o["runtimeId"] = Text(c.runtime_id);
  o["status"] = Text(c.status);
  PutOptional(o, "exitCode", c.exit_code);
  o["reason"] = Text(c.reason);
  o["imageDigest"] = Text(c.image_digest);
  o["networkBindings"] = Bindings(c.network_bindings);
  return o;
}

absl::StatusOr<ContainerChange> ContainerChangeFromJson(const boost::json::value& v,
                                                        const std::string& path) {
  ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
  ContainerChange c;
  RETURN_IF_ERROR(r.String("containerName", &c.container_name));
  RETURN_IF_ERROR(r.String("runtimeId", &c.runtime_id));
  RETURN_IF_ERROR(r.String("status", &c.status));
  RETURN_IF_ERROR(r.Int<int32_t>("exitCode", &c.exit_code));
  RETURN_IF_ERROR(r.String("reason", &c.reason));
  RETURN_IF_ERROR(r.String("imageDigest", &c.image_digest));
  RETURN_IF_ERROR(r.List("networkBindings", &c.network_bindings, NetworkBindingFromJson));
  RETURN_IF_ERROR(r.Done());
  RETURN_IF_ERROR(CheckBackendStatus(r, "status", c.status));
  return c;
}

// Parses a record's text and checks its format number.
absl::StatusOr<Reader> OpenRecord(std::string_view json, boost::json::value* value) {
  absl::StatusOr<boost::json::value> parsed = ecs::ParseJson(json);
  if (!parsed.ok()) {
    return absl::DataLossError(parsed.status().message());
  }
  *value = *std::move(parsed);
  ASSIGN_OR_RETURN(Reader r, Reader::Open(*value, ""));
  int64_t format = 0;
  RETURN_IF_ERROR(r.Int<int64_t>("format", &format));
  if (format != kFormat) {
    return Corrupt("format", absl::StrCat("expected ", kFormat, " (this agent's), got ", format));
  }
  return r;
}

}  // namespace

std::string EncodeTaskState(const TaskState& state) {
  boost::json::object o;
  o["format"] = kFormat;
  o["spec"] = ToJson(state.spec);
  o["known"] = ToString(state.known);
  o["desired"] = ToString(state.desired);
  boost::json::array containers;
  for (const ContainerState& c : state.containers) {
    containers.push_back(ToJson(c));
  }
  o["containers"] = std::move(containers);
  o["stopReason"] = Text(state.stop_reason);
  PutTime(o, "pullStartedAtNs", state.pull_started_at);
  PutTime(o, "pullStoppedAtNs", state.pull_stopped_at);
  PutTime(o, "executionStoppedAtNs", state.execution_stopped_at);
  PutTime(o, "stoppedAtNs", state.stopped_at);
  return boost::json::serialize(o);
}

absl::StatusOr<TaskState> DecodeTaskState(std::string_view json) {
  boost::json::value value;
  ASSIGN_OR_RETURN(Reader r, OpenRecord(json, &value));
  TaskState s;
  RETURN_IF_ERROR(r.Object("spec", &s.spec, TaskSpecFromJson));
  RETURN_IF_ERROR(r.Enum("known", &s.known, ParseTaskStatus, kStatusValues));
  RETURN_IF_ERROR(r.Enum("desired", &s.desired, ParseTaskStatus, kStatusValues));
  RETURN_IF_ERROR(r.List("containers", &s.containers, ContainerStateFromJson));
  RETURN_IF_ERROR(r.String("stopReason", &s.stop_reason));
  RETURN_IF_ERROR(r.Time("pullStartedAtNs", &s.pull_started_at));
  RETURN_IF_ERROR(r.Time("pullStoppedAtNs", &s.pull_stopped_at));
  RETURN_IF_ERROR(r.Time("executionStoppedAtNs", &s.execution_stopped_at));
  RETURN_IF_ERROR(r.Time("stoppedAtNs", &s.stopped_at));
  RETURN_IF_ERROR(r.Done());
  if (s.containers.size() != s.spec.containers.size()) {
    return Corrupt("containers", absl::StrCat("expected ", s.spec.containers.size(),
                                              " containers (the spec's), got ",
                                              s.containers.size()));
  }
  for (size_t i = 0; i < s.containers.size(); ++i) {
    if (s.containers[i].name != s.spec.containers[i].name) {
      return Corrupt(MemberPath(ElementPath("containers", i), "name"),
                     absl::StrCat("expected \"", s.spec.containers[i].name,
                                  "\" (the spec's container at this index)"));
    }
  }
  return s;
}

std::string EncodeTaskChange(const TaskChange& change) {
  boost::json::object o;
  o["format"] = kFormat;
  o["seq"] = change.seq;
  o["clusterArn"] = Text(change.cluster_arn);
  o["taskArn"] = Text(change.task_arn);
  o["status"] = Text(change.status);
  o["reason"] = Text(change.reason);
  boost::json::array containers;
  for (const ContainerChange& c : change.containers) {
    containers.push_back(ToJson(c));
  }
  o["containers"] = std::move(containers);
  PutTime(o, "pullStartedAtNs", change.pull_started_at);
  PutTime(o, "pullStoppedAtNs", change.pull_stopped_at);
  PutTime(o, "executionStoppedAtNs", change.execution_stopped_at);
  return boost::json::serialize(o);
}

absl::StatusOr<TaskChange> DecodeTaskChange(std::string_view json) {
  boost::json::value value;
  ASSIGN_OR_RETURN(Reader r, OpenRecord(json, &value));
  TaskChange c;
  RETURN_IF_ERROR(r.Int<uint64_t>("seq", &c.seq));
  RETURN_IF_ERROR(r.String("clusterArn", &c.cluster_arn));
  RETURN_IF_ERROR(r.String("taskArn", &c.task_arn));
  RETURN_IF_ERROR(r.String("status", &c.status));
  RETURN_IF_ERROR(r.String("reason", &c.reason));
  RETURN_IF_ERROR(r.List("containers", &c.containers, ContainerChangeFromJson));
  RETURN_IF_ERROR(r.Time("pullStartedAtNs", &c.pull_started_at));
  RETURN_IF_ERROR(r.Time("pullStoppedAtNs", &c.pull_stopped_at));
  RETURN_IF_ERROR(r.Time("executionStoppedAtNs", &c.execution_stopped_at));
  RETURN_IF_ERROR(r.Done());
  RETURN_IF_ERROR(CheckBackendStatus(r, "status", c.status));
  return c;
}

}  // namespace berth::agent
