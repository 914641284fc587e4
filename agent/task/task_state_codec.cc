// The state store's JSON forms of TaskState and TaskChange. Lossless: every
// member is written (optional ones only when present), times as integer
// nanoseconds since the epoch ("...AtNs"), lists of pairs as [[k, v], ...]
// so order and repeats survive. Decoding is strict, since a record that
// does not read back exactly is a corrupt one: every member Encode always
// writes is required, a member it never writes is refused, every enum and
// range is checked, and the spec obeys ValidateTaskSpec. Every error is
// DataLoss "invalid field '<path>': <what>".
//
// Each record's members are listed once, in Fields<Record>::Visit, and that
// one list serves both directions: a Writer visits it to encode (the record
// const) and a Reader to decode, the two taking the same calls. What decoding
// checks beyond each member's own type and range is Fields<Record>::Check.
//
// Strings are written as valid UTF-8 (ReportText), so a record always
// parses again; that is the one lossy step, and only for text that was not
// UTF-8 to begin with.

#include <concepts>
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

// How a list element or an object member of type T is written (Encode) and
// read (Decode(value, path)): records through their Fields<T>, strings and
// pairs of strings as themselves. Defined below the Reader and the Writer.
template <typename T>
struct Json;

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
  template <std::integral T>
  absl::Status Int(std::string_view key, T* out,
                   std::type_identity_t<T> min = std::numeric_limits<T>::min(),
                   std::type_identity_t<T> max = std::numeric_limits<T>::max()) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    return AsInt(*v, Path(key), out, min, max);
  }
  template <std::integral T>
  absl::Status Int(std::string_view key, std::optional<T>* out,
                   std::type_identity_t<T> min = std::numeric_limits<T>::min(),
                   std::type_identity_t<T> max = std::numeric_limits<T>::max()) {
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
  // `parse(text)` returns std::optional<E>; `expected` lists the words.
  template <typename E, typename Parse>
  absl::Status Enum(std::string_view key, E* out, Parse parse, std::string_view expected) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    return AsEnum(*v, Path(key), out, parse, expected);
  }
  template <typename E, typename Parse>
  absl::Status Enum(std::string_view key, std::optional<E>* out, Parse parse,
                    std::string_view expected) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, false));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    E value{};
    RETURN_IF_ERROR(AsEnum(*v, Path(key), &value, parse, expected));
    *out = value;
    return absl::OkStatus();
  }
  // A list whose elements are read by Json<T>.
  template <typename T>
  absl::Status List(std::string_view key, std::vector<T>* out) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    return AsList(*v, Path(key), out);
  }
  template <typename T>
  absl::Status List(std::string_view key, std::optional<std::vector<T>>* out) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, false));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    std::vector<T> items;
    RETURN_IF_ERROR(AsList(*v, Path(key), &items));
    *out = std::move(items);
    return absl::OkStatus();
  }
  // An object member read by Json<T>.
  template <typename T>
  absl::Status Object(std::string_view key, T* out) {
    ASSIGN_OR_RETURN(const boost::json::value* v, Get(key, true));
    ASSIGN_OR_RETURN(*out, Json<T>::Decode(*v, Path(key)));
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

  template <typename E, typename Parse>
  static absl::Status AsEnum(const boost::json::value& v, const std::string& path, E* out,
                             Parse parse, std::string_view expected) {
    std::string text;
    RETURN_IF_ERROR(AsString(v, path, &text));
    std::optional<E> value = parse(text);
    if (!value.has_value()) {
      return Corrupt(path, absl::StrCat("expected one of ", Absl(expected), ", got \"",
                                        text.substr(0, 64), "\""));
    }
    *out = *value;
    return absl::OkStatus();
  }

  template <typename T>
  static absl::Status AsList(const boost::json::value& v, const std::string& path,
                             std::vector<T>* out) {
    const boost::json::array* a = v.if_array();
    if (a == nullptr) {
      return Corrupt(path, absl::StrCat("expected a list, got ", KindName(v)));
    }
    std::vector<T> items;
    items.reserve(a->size());
    for (size_t i = 0; i < a->size(); ++i) {
      ASSIGN_OR_RETURN(T item, Json<T>::Decode((*a)[i], ElementPath(path, i)));
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

boost::json::string Text(std::string_view s) { return boost::json::string(ReportText(s)); }

// The Reader's mirror: the same calls, on const members, each writing its
// member (an optional one only when present) and ignoring the bounds the
// Reader checks. It never fails; it returns a Status so that one
// Fields<T>::Visit serves both.
class Writer {
 public:
  absl::Status String(std::string_view key, const std::string* s) { return Put(key, Text(*s)); }
  absl::Status String(std::string_view key, const std::optional<std::string>* s) {
    return s->has_value() ? String(key, &**s) : absl::OkStatus();
  }
  absl::Status Bool(std::string_view key, const bool* b) { return Put(key, *b); }
  template <std::integral T>
  absl::Status Int(std::string_view key, const T* i, std::type_identity_t<T> /*min*/ = 0,
                   std::type_identity_t<T> /*max*/ = 0) {
    return Put(key, *i);
  }
  template <std::integral T>
  absl::Status Int(std::string_view key, const std::optional<T>* i,
                   std::type_identity_t<T> /*min*/ = 0, std::type_identity_t<T> /*max*/ = 0) {
    return i->has_value() ? Put(key, **i) : absl::OkStatus();
  }
  absl::Status Time(std::string_view key, const std::optional<absl::Time>* t) {
    return t->has_value() ? Put(key, absl::ToUnixNanos(**t)) : absl::OkStatus();
  }
  template <typename E, typename Parse>
  absl::Status Enum(std::string_view key, const E* e, Parse /*parse*/,
                    std::string_view /*expected*/) {
    return Put(key, ToString(*e));
  }
  template <typename E, typename Parse>
  absl::Status Enum(std::string_view key, const std::optional<E>* e, Parse /*parse*/,
                    std::string_view /*expected*/) {
    return e->has_value() ? Put(key, ToString(**e)) : absl::OkStatus();
  }
  template <typename T>
  absl::Status List(std::string_view key, const std::vector<T>* items) {
    boost::json::array a;
    a.reserve(items->size());
    for (const T& item : *items) {
      a.push_back(Json<T>::Encode(item));
    }
    return Put(key, std::move(a));
  }
  template <typename T>
  absl::Status List(std::string_view key, const std::optional<std::vector<T>>* items) {
    return items->has_value() ? List(key, &**items) : absl::OkStatus();
  }
  template <typename T>
  absl::Status Object(std::string_view key, const T* record) {
    return Put(key, Json<T>::Encode(*record));
  }

  boost::json::object Take() && { return std::move(object_); }

 private:
  template <typename V>
  absl::Status Put(std::string_view key, V&& value) {
    object_[key] = std::forward<V>(value);
    return absl::OkStatus();
  }

  boost::json::object object_;
};

// Fields<Record>::Visit(f, record) calls `f` (a Writer or a Reader) once per
// member, in the order they are written; Fields<Record>::Check(reader,
// record) is what decoding verifies of a record whose members all read.
template <typename T>
struct Fields;

// For records whose members say it all.
struct NoCheck {
  template <typename T>
  static absl::Status Check(const Reader& /*r*/, const T& /*record*/) {
    return absl::OkStatus();
  }
};

template <typename T>
void WriteFields(Writer& w, const T& record) {
  Fields<T>::Visit(w, record).IgnoreError();  // writing never fails
}

template <typename T>
absl::StatusOr<T> ReadFields(Reader& r) {
  T record;
  RETURN_IF_ERROR(Fields<T>::Visit(r, record));
  RETURN_IF_ERROR(r.Done());
  RETURN_IF_ERROR(Fields<T>::Check(r, record));
  return record;
}

template <typename T>
struct Json {
  static boost::json::object Encode(const T& record) {
    Writer w;
    WriteFields(w, record);
    return std::move(w).Take();
  }
  static absl::StatusOr<T> Decode(const boost::json::value& v, const std::string& path) {
    ASSIGN_OR_RETURN(Reader r, Reader::Open(v, path));
    return ReadFields<T>(r);
  }
};

template <>
struct Json<std::string> {
  static boost::json::string Encode(const std::string& s) { return Text(s); }
  static absl::StatusOr<std::string> Decode(const boost::json::value& v, const std::string& path) {
    std::string s;
    RETURN_IF_ERROR(Reader::AsString(v, path, &s));
    return s;
  }
};

template <>
struct Json<std::pair<std::string, std::string>> {
  static boost::json::array Encode(const std::pair<std::string, std::string>& p) {
    return {Text(p.first), Text(p.second)};
  }
  static absl::StatusOr<std::pair<std::string, std::string>> Decode(const boost::json::value& v,
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
};

template <>
struct Fields<NetworkBinding> {
  template <typename F, typename B>
  static absl::Status Visit(F& f, B& b) {
    RETURN_IF_ERROR(f.String("bindIP", &b.bind_ip));
    RETURN_IF_ERROR(f.Int("containerPort", &b.container_port, 0, 65535));
    RETURN_IF_ERROR(f.Int("hostPort", &b.host_port, 0, 65535));
    RETURN_IF_ERROR(f.String("protocol", &b.protocol));
    return absl::OkStatus();
  }
  static absl::Status Check(const Reader& r, const NetworkBinding& b) {
    if (b.protocol != "tcp" && b.protocol != "udp") {
      return Corrupt(r.Path("protocol"), "expected one of tcp, udp");
    }
    return absl::OkStatus();
  }
};

template <>
struct Fields<ecs::PortMapping> : NoCheck {
  template <typename F, typename P>
  static absl::Status Visit(F& f, P& p) {
    RETURN_IF_ERROR(f.Int("containerPort", &p.container_port));
    RETURN_IF_ERROR(f.Int("hostPort", &p.host_port));
    RETURN_IF_ERROR(f.Enum("protocol", &p.protocol, ecs::ParseTransportProtocol,
                           ecs::kTransportProtocolValues));
    RETURN_IF_ERROR(f.String("name", &p.name));
    RETURN_IF_ERROR(f.String("appProtocol", &p.app_protocol));
    return absl::OkStatus();
  }
};

template <>
struct Fields<ContainerDependency> : NoCheck {
  template <typename F, typename D>
  static absl::Status Visit(F& f, D& d) {
    RETURN_IF_ERROR(f.String("containerName", &d.container_name));
    RETURN_IF_ERROR(f.Enum("condition", &d.condition, ParseDependencyCondition,
                           kDependencyConditionValues));
    return absl::OkStatus();
  }
};

template <>
struct Fields<ContainerSpec> : NoCheck {
  template <typename F, typename C>
  static absl::Status Visit(F& f, C& c) {
    RETURN_IF_ERROR(f.String("name", &c.name));
    RETURN_IF_ERROR(f.String("image", &c.image));
    RETURN_IF_ERROR(f.Int("cpu", &c.cpu));
    RETURN_IF_ERROR(f.Int("memory", &c.memory));
    RETURN_IF_ERROR(f.Int("memoryReservation", &c.memory_reservation));
    RETURN_IF_ERROR(f.Bool("essential", &c.essential));
    RETURN_IF_ERROR(f.List("entryPoint", &c.entry_point));
    RETURN_IF_ERROR(f.List("command", &c.command));
    RETURN_IF_ERROR(f.List("environment", &c.environment));
    RETURN_IF_ERROR(f.String("workingDirectory", &c.working_directory));
    RETURN_IF_ERROR(f.String("user", &c.user));
    RETURN_IF_ERROR(f.String("hostname", &c.hostname));
    RETURN_IF_ERROR(f.List("portMappings", &c.port_mappings));
    RETURN_IF_ERROR(f.List("dependsOn", &c.depends_on));
    RETURN_IF_ERROR(f.Int("startTimeout", &c.start_timeout));
    RETURN_IF_ERROR(f.Int("stopTimeout", &c.stop_timeout));
    RETURN_IF_ERROR(f.Bool("initProcessEnabled", &c.init_process_enabled));
    RETURN_IF_ERROR(f.Bool("readonlyRootFilesystem", &c.readonly_root_filesystem));
    RETURN_IF_ERROR(f.String("logDriver", &c.log_driver));
    RETURN_IF_ERROR(f.List("dockerLabels", &c.docker_labels));
    return absl::OkStatus();
  }
};

template <>
struct Fields<TaskSpec> {
  template <typename F, typename S>
  static absl::Status Visit(F& f, S& s) {
    RETURN_IF_ERROR(f.String("arn", &s.arn));
    RETURN_IF_ERROR(f.String("id", &s.id));
    RETURN_IF_ERROR(f.String("clusterArn", &s.cluster_arn));
    RETURN_IF_ERROR(f.String("containerInstanceArn", &s.container_instance_arn));
    RETURN_IF_ERROR(f.String("taskDefinitionArn", &s.task_definition_arn));
    RETURN_IF_ERROR(f.String("family", &s.family));
    RETURN_IF_ERROR(f.Int("revision", &s.revision));
    RETURN_IF_ERROR(f.String("desiredStatus", &s.desired_status));
    RETURN_IF_ERROR(f.Int("cpuUnits", &s.cpu_units, 0));
    RETURN_IF_ERROR(f.Int("memoryMib", &s.memory_mib, 0));
    RETURN_IF_ERROR(
        f.Enum("networkMode", &s.network_mode, ecs::ParseNetworkMode, ecs::kNetworkModeValues));
    RETURN_IF_ERROR(f.String("launchType", &s.launch_type));
    RETURN_IF_ERROR(f.String("availabilityZone", &s.availability_zone));
    RETURN_IF_ERROR(f.String("group", &s.group));
    RETURN_IF_ERROR(f.String("startedBy", &s.started_by));
    RETURN_IF_ERROR(f.Int("version", &s.version));
    RETURN_IF_ERROR(f.List("containers", &s.containers));
    return absl::OkStatus();
  }
  static absl::Status Check(const Reader& r, const TaskSpec& s) {
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
    return absl::OkStatus();
  }
};

template <>
struct Fields<ProcessIdentity> : NoCheck {
  template <typename F, typename P>
  static absl::Status Visit(F& f, P& p) {
    RETURN_IF_ERROR(f.Int("pid", &p.pid, 0));
    RETURN_IF_ERROR(f.Int("startTime", &p.start_time));
    return absl::OkStatus();
  }
};

constexpr std::string_view kStatusValues = "NONE, PULLED, CREATED, RUNNING, STOPPED";

template <>
struct Fields<ContainerState> : NoCheck {
  template <typename F, typename C>
  static absl::Status Visit(F& f, C& c) {
    RETURN_IF_ERROR(f.String("name", &c.name));
    RETURN_IF_ERROR(f.Enum("known", &c.known, ParseContainerStatus, kStatusValues));
    RETURN_IF_ERROR(f.Enum("desired", &c.desired, ParseContainerStatus, kStatusValues));
    RETURN_IF_ERROR(f.String("runtimeId", &c.runtime_id));
    RETURN_IF_ERROR(f.String("runtimeName", &c.runtime_name));
    RETURN_IF_ERROR(f.String("imageId", &c.image_id));
    RETURN_IF_ERROR(f.String("imageDigest", &c.image_digest));
    RETURN_IF_ERROR(f.String("metadataId", &c.metadata_id));
    RETURN_IF_ERROR(f.Object("shim", &c.shim));
    RETURN_IF_ERROR(f.Object("process", &c.process));
    RETURN_IF_ERROR(f.Int("exitCode", &c.exit_code));
    RETURN_IF_ERROR(f.String("reason", &c.reason));
    RETURN_IF_ERROR(f.Bool("oomKilled", &c.oom_killed));
    RETURN_IF_ERROR(f.List("networkBindings", &c.network_bindings));
    RETURN_IF_ERROR(f.Time("createdAtNs", &c.created_at));
    RETURN_IF_ERROR(f.Time("startedAtNs", &c.started_at));
    RETURN_IF_ERROR(f.Time("finishedAtNs", &c.finished_at));
    return absl::OkStatus();
  }
};

// For the reports' records, whose "status" is a backend status or nothing.
struct BackendStatusCheck {
  template <typename T>
  static absl::Status Check(const Reader& r, const T& record) {
    std::string_view status = record.status;
    if (status.empty() || status == "PENDING" || status == "RUNNING" || status == "STOPPED") {
      return absl::OkStatus();
    }
    return Corrupt(r.Path("status"), "expected one of PENDING, RUNNING, STOPPED or nothing");
  }
};

template <>
struct Fields<ContainerChange> : BackendStatusCheck {
  template <typename F, typename C>
  static absl::Status Visit(F& f, C& c) {
    RETURN_IF_ERROR(f.String("containerName", &c.container_name));
    RETURN_IF_ERROR(f.String("runtimeId", &c.runtime_id));
    RETURN_IF_ERROR(f.String("status", &c.status));
    RETURN_IF_ERROR(f.Int("exitCode", &c.exit_code));
    RETURN_IF_ERROR(f.String("reason", &c.reason));
    RETURN_IF_ERROR(f.String("imageDigest", &c.image_digest));
    RETURN_IF_ERROR(f.List("networkBindings", &c.network_bindings));
    return absl::OkStatus();
  }
};

// The two records the store keeps; "format" comes first and is not theirs.
template <>
struct Fields<TaskState> {
  template <typename F, typename S>
  static absl::Status Visit(F& f, S& s) {
    RETURN_IF_ERROR(f.Object("spec", &s.spec));
    RETURN_IF_ERROR(f.Enum("known", &s.known, ParseTaskStatus, kStatusValues));
    RETURN_IF_ERROR(f.Enum("desired", &s.desired, ParseTaskStatus, kStatusValues));
    RETURN_IF_ERROR(f.List("containers", &s.containers));
    RETURN_IF_ERROR(f.String("stopReason", &s.stop_reason));
    RETURN_IF_ERROR(f.Time("pullStartedAtNs", &s.pull_started_at));
    RETURN_IF_ERROR(f.Time("pullStoppedAtNs", &s.pull_stopped_at));
    RETURN_IF_ERROR(f.Time("executionStoppedAtNs", &s.execution_stopped_at));
    RETURN_IF_ERROR(f.Time("stoppedAtNs", &s.stopped_at));
    return absl::OkStatus();
  }
  static absl::Status Check(const Reader& r, const TaskState& s) {
    if (s.containers.size() != s.spec.containers.size()) {
      return Corrupt(r.Path("containers"), absl::StrCat("expected ", s.spec.containers.size(),
                                                        " containers (the spec's), got ",
                                                        s.containers.size()));
    }
    for (size_t i = 0; i < s.containers.size(); ++i) {
      if (s.containers[i].name != s.spec.containers[i].name) {
        return Corrupt(MemberPath(ElementPath(r.Path("containers"), i), "name"),
                       absl::StrCat("expected \"", s.spec.containers[i].name,
                                    "\" (the spec's container at this index)"));
      }
    }
    return absl::OkStatus();
  }
};

template <>
struct Fields<TaskChange> : BackendStatusCheck {
  template <typename F, typename C>
  static absl::Status Visit(F& f, C& c) {
    RETURN_IF_ERROR(f.Int("seq", &c.seq));
    RETURN_IF_ERROR(f.String("clusterArn", &c.cluster_arn));
    RETURN_IF_ERROR(f.String("taskArn", &c.task_arn));
    RETURN_IF_ERROR(f.String("status", &c.status));
    RETURN_IF_ERROR(f.String("reason", &c.reason));
    RETURN_IF_ERROR(f.List("containers", &c.containers));
    RETURN_IF_ERROR(f.Time("pullStartedAtNs", &c.pull_started_at));
    RETURN_IF_ERROR(f.Time("pullStoppedAtNs", &c.pull_stopped_at));
    RETURN_IF_ERROR(f.Time("executionStoppedAtNs", &c.execution_stopped_at));
    return absl::OkStatus();
  }
};

template <typename T>
std::string EncodeRecord(const T& record) {
  Writer w;
  w.Int("format", &kFormat).IgnoreError();
  WriteFields(w, record);
  return boost::json::serialize(std::move(w).Take());
}

// Parses a record's text, checks its format number, then reads the rest.
template <typename T>
absl::StatusOr<T> DecodeRecord(std::string_view json) {
  absl::StatusOr<boost::json::value> parsed = ecs::ParseJson(json);
  if (!parsed.ok()) {
    return absl::DataLossError(parsed.status().message());
  }
  ASSIGN_OR_RETURN(Reader r, Reader::Open(*parsed, ""));
  int64_t format = 0;
  RETURN_IF_ERROR(r.Int("format", &format));
  if (format != kFormat) {
    return Corrupt("format", absl::StrCat("expected ", kFormat, " (this agent's), got ", format));
  }
  return ReadFields<T>(r);
}

}  // namespace

std::string EncodeTaskState(const TaskState& state) { return EncodeRecord(state); }

absl::StatusOr<TaskState> DecodeTaskState(std::string_view json) {
  return DecodeRecord<TaskState>(json);
}

std::string EncodeTaskChange(const TaskChange& change) { return EncodeRecord(change); }

absl::StatusOr<TaskChange> DecodeTaskChange(std::string_view json) {
  return DecodeRecord<TaskChange>(json);
}

}  // namespace berth::agent
