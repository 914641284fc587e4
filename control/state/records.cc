#include "control/state/records.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/serialize.hpp"
#include "ecs/arn.h"
#include "ecs/container_instance_json.h"
#include "ecs/json_text.h"
#include "ecs/task_definition_json.h"
#include "io/status.h"
#include "io/absl_compat.h"

namespace berth::control::state {
namespace {

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(absl::StrCat("invalid record: ", Absl(what)));
}

// A string member; `required` members must be present.
absl::Status GetString(const boost::json::object& o, std::string_view key, bool required,
                       std::string* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return required ? Corrupt(absl::StrCat("'", Absl(key), "' is missing")) : absl::OkStatus();
  }
  const boost::json::string* s = v->if_string();
  if (s == nullptr) {
    return Corrupt(absl::StrCat("'", Absl(key), "' is not a string"));
  }
  *out = std::string(s->data(), s->size());
  return absl::OkStatus();
}

// A list of {<a>: string, <b>: string} objects.
absl::Status GetPairs(const boost::json::object& o, std::string_view key, std::string_view a,
                      std::string_view b, std::vector<std::pair<std::string, std::string>>* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  const boost::json::array* list = v->if_array();
  if (list == nullptr) {
    return Corrupt(absl::StrCat("'", Absl(key), "' is not a list"));
  }
  for (const boost::json::value& item : *list) {
    const boost::json::object* obj = item.if_object();
    if (obj == nullptr) {
      return Corrupt(absl::StrCat("an element of '", Absl(key), "' is not an object"));
    }
    std::pair<std::string, std::string> pair;
    if (absl::Status s = GetString(*obj, a, true, &pair.first); !s.ok()) {
      return s;
    }
    if (absl::Status s = GetString(*obj, b, false, &pair.second); !s.ok()) {
      return s;
    }
    out->push_back(std::move(pair));
  }
  return absl::OkStatus();
}

absl::StatusOr<boost::json::object> ParseObject(std::string_view json) {
  absl::StatusOr<boost::json::value> value = ecs::ParseJson(json);
  if (!value.ok()) {
    return Corrupt(Std(value.status().message()));
  }
  if (!value->is_object()) {
    return Corrupt("not a JSON object");
  }
  return std::move(value->get_object());
}

// Tags are stored inside each record as [{"key","value"}], as ECS writes them.
void PutTags(const std::vector<ecs::Tag>& tags, boost::json::object& o) {
  if (tags.empty()) {
    return;
  }
  boost::json::array out;
  for (const ecs::Tag& tag : tags) {
    out.push_back(boost::json::object{{"key", tag.key}, {"value", tag.value}});
  }
  o["tags"] = std::move(out);
}

absl::Status GetTags(const boost::json::object& o, std::vector<ecs::Tag>* tags) {
  std::vector<std::pair<std::string, std::string>> pairs;
  RETURN_IF_ERROR(GetPairs(o, "tags", "key", "value", &pairs));
  for (auto& [k, v] : pairs) {
    tags->push_back({std::move(k), std::move(v)});
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeCluster(const ecs::Cluster& cluster) {
  boost::json::object o;
  o["clusterName"] = cluster.name;
  o["status"] = cluster.status;
  PutTags(cluster.tags, o);
  if (!cluster.settings.empty()) {
    boost::json::array settings;
    for (const ecs::ClusterSetting& s : cluster.settings) {
      settings.push_back(boost::json::object{{"name", s.name}, {"value", s.value}});
    }
    o["settings"] = std::move(settings);
  }
  if (cluster.configuration.has_value()) {
    o["configuration"] = *cluster.configuration;
  }
  return boost::json::serialize(o);
}

absl::StatusOr<ecs::Cluster> DecodeCluster(std::string_view json) {
  absl::StatusOr<boost::json::object> o = ParseObject(json);
  if (!o.ok()) {
    return o.status();
  }
  ecs::Cluster cluster;
  if (absl::Status s = GetString(*o, "clusterName", true, &cluster.name); !s.ok()) {
    return s;
  }
  if (absl::Status s = GetString(*o, "status", true, &cluster.status); !s.ok()) {
    return s;
  }
  if (cluster.status != ecs::kClusterStatusActive &&
      cluster.status != ecs::kClusterStatusInactive) {
    return Corrupt(absl::StrCat("unknown status '", cluster.status, "'"));
  }
  if (absl::Status s = GetTags(*o, &cluster.tags); !s.ok()) {
    return s;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  if (absl::Status s = GetPairs(*o, "settings", "name", "value", &pairs); !s.ok()) {
    return s;
  }
  for (auto& [k, v] : pairs) {
    cluster.settings.push_back({std::move(k), std::move(v)});
  }
  if (const boost::json::value* c = o->if_contains("configuration")) {
    if (!c->is_object()) {
      return Corrupt("'configuration' is not an object");
    }
    cluster.configuration = c->get_object();
  }
  return cluster;
}

std::string EncodeAccountSetting(const AccountSetting& setting) {
  boost::json::object o;
  o["name"] = setting.name;
  o["value"] = setting.value;
  o["principalArn"] = setting.principal_arn;
  return boost::json::serialize(o);
}

absl::StatusOr<AccountSetting> DecodeAccountSetting(std::string_view json) {
  absl::StatusOr<boost::json::object> o = ParseObject(json);
  if (!o.ok()) {
    return o.status();
  }
  AccountSetting setting;
  for (auto [key, out] : {std::pair{"name", &setting.name}, std::pair{"value", &setting.value},
                          std::pair{"principalArn", &setting.principal_arn}}) {
    if (absl::Status s = GetString(*o, key, true, out); !s.ok()) {
      return s;
    }
  }
  return setting;
}

std::string EncodeTaskDefinition(const TaskDefinitionEntry& entry) {
  boost::json::value json = ecs::ToJson(entry.definition);
  boost::json::object& o = json.as_object();
  PutTags(entry.tags, o);
  return boost::json::serialize(o);
}

absl::StatusOr<TaskDefinitionEntry> DecodeTaskDefinition(std::string_view json) {
  absl::StatusOr<boost::json::object> o = ParseObject(json);
  if (!o.ok()) {
    return o.status();
  }
  TaskDefinitionEntry entry;
  if (absl::Status s = GetTags(*o, &entry.tags); !s.ok()) {
    return s;
  }
  o->erase("tags");
  absl::StatusOr<ecs::TaskDefinition> definition = ecs::TaskDefinitionFromJson(*o);
  if (!definition.ok()) {
    return Corrupt(Std(definition.status().message()));
  }
  entry.definition = *std::move(definition);
  if (entry.definition.family.empty() || entry.definition.revision < 1) {
    return Corrupt("'family' or 'revision' is missing");
  }
  if (!entry.definition.status.has_value()) {
    return Corrupt("'status' is missing");
  }
  entry.definition.task_definition_arn.clear();
  return entry;
}

std::string EncodeContainerInstance(const ContainerInstanceEntry& entry) {
  boost::json::value json = ecs::ToJson(entry.instance);
  boost::json::object& o = json.as_object();
  o["cluster"] = entry.cluster;
  PutTags(entry.tags, o);
  return boost::json::serialize(o);
}

absl::StatusOr<ContainerInstanceEntry> DecodeContainerInstance(std::string_view json) {
  absl::StatusOr<boost::json::object> o = ParseObject(json);
  if (!o.ok()) {
    return o.status();
  }
  ContainerInstanceEntry entry;
  if (absl::Status s = GetString(*o, "cluster", true, &entry.cluster); !s.ok()) {
    return s;
  }
  if (absl::Status s = GetTags(*o, &entry.tags); !s.ok()) {
    return s;
  }
  o->erase("tags");
  o->erase("cluster");
  absl::StatusOr<ecs::ContainerInstance> instance = ecs::ContainerInstanceFromJson(*o);
  if (!instance.ok()) {
    return Corrupt(Std(instance.status().message()));
  }
  entry.instance = *std::move(instance);
  if (entry.instance.container_instance_arn.empty()) {
    return Corrupt("'containerInstanceArn' is missing");
  }
  entry.id = std::string(ecs::IdOfArnOrId(entry.instance.container_instance_arn));
  return entry;
}

}  // namespace berth::control::state
