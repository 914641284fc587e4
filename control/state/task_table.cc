#include "control/state/task_table.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "boost/json/serialize.hpp"
#include "control/state/schedulers.h"
#include "ecs/arn.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::state {
namespace {

constexpr std::string_view kStatusNames[] = {
    "PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
    "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED",
};

const std::set<std::string, std::less<>>& EmptyKeys() {
  static const auto* empty = new std::set<std::string, std::less<>>();
  return *empty;
}

absl::Status Bad(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("task: ", Absl(what)));
}

absl::Status ReadString(const boost::json::object& o, std::string_view key, bool required,
                        std::string* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return required ? Bad(absl::StrCat("'", Absl(key), "' is missing")) : absl::OkStatus();
  }
  if (!v->is_string()) {
    return Bad(absl::StrCat("'", Absl(key), "' is not a string"));
  }
  *out = std::string(v->get_string());
  return absl::OkStatus();
}

// The family of a task definition ARN ("…:task-definition/web:3" → "web").
std::string FamilyOf(std::string_view task_definition_arn) {
  size_t slash = task_definition_arn.rfind('/');
  std::string_view rest =
      slash == std::string_view::npos ? task_definition_arn : task_definition_arn.substr(slash + 1);
  return std::string(rest.substr(0, rest.rfind(':')));
}

// Stored beside the API object: what the task holds on its instance.
boost::json::object NeedsToJson(const scheduler::TaskNeeds& needs) {
  boost::json::array tcp, udp;
  for (uint16_t p : needs.tcp_ports) tcp.push_back(p);
  for (uint16_t p : needs.udp_ports) udp.push_back(p);
  return boost::json::object{{"cpu", needs.cpu},
                             {"memory", needs.memory},
                             {"tcp", std::move(tcp)},
                             {"udp", std::move(udp)}};
}

absl::Status NeedsFromJson(const boost::json::value* v, scheduler::TaskNeeds* needs) {
  if (v == nullptr) {
    return absl::OkStatus();
  }
  const boost::json::object* o = v->if_object();
  if (o == nullptr) {
    return Bad("'berthNeeds' is not an object");
  }
  auto number = [o](std::string_view key, int64_t* out) -> absl::Status {
    const boost::json::value* n = o->if_contains(key);
    if (n == nullptr || !(n->is_int64() || n->is_uint64())) {
      return Bad(absl::StrCat("'berthNeeds.", Absl(key), "' is not an integer"));
    }
    *out = n->is_int64() ? n->get_int64() : static_cast<int64_t>(n->get_uint64());
    return absl::OkStatus();
  };
  auto ports = [o](std::string_view key, std::vector<uint16_t>* out) -> absl::Status {
    const boost::json::value* list = o->if_contains(key);
    if (list == nullptr) {
      return absl::OkStatus();
    }
    if (!list->is_array()) {
      return Bad(absl::StrCat("'berthNeeds.", Absl(key), "' is not a list"));
    }
    for (const boost::json::value& p : list->get_array()) {
      if (!p.is_int64() || p.get_int64() < 1 || p.get_int64() > 65535) {
        return Bad(absl::StrCat("'berthNeeds.", Absl(key), "' holds a bad port"));
      }
      out->push_back(static_cast<uint16_t>(p.get_int64()));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(number("cpu", &needs->cpu));
  RETURN_IF_ERROR(number("memory", &needs->memory));
  RETURN_IF_ERROR(ports("tcp", &needs->tcp_ports));
  RETURN_IF_ERROR(ports("udp", &needs->udp_ports));
  return absl::OkStatus();
}

}  // namespace

std::string_view ToString(TaskStatus status) { return kStatusNames[static_cast<int>(status)]; }

std::optional<TaskStatus> ParseTaskStatus(std::string_view text) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i) {
    if (kStatusNames[i] == text) {
      return static_cast<TaskStatus>(i);
    }
  }
  return std::nullopt;
}

absl::Status TaskEntry::Refresh() {
  std::string instance_arn, definition_arn, last, desired, launch;
  RETURN_IF_ERROR(ReadString(task, "taskArn", true, &task_arn));
  RETURN_IF_ERROR(ReadString(task, "containerInstanceArn", false, &instance_arn));
  RETURN_IF_ERROR(ReadString(task, "taskDefinitionArn", false, &definition_arn));
  RETURN_IF_ERROR(ReadString(task, "group", false, &group));
  RETURN_IF_ERROR(ReadString(task, "startedBy", false, &started_by));
  RETURN_IF_ERROR(ReadString(task, "lastStatus", true, &last));
  RETURN_IF_ERROR(ReadString(task, "desiredStatus", true, &desired));
  RETURN_IF_ERROR(ReadString(task, "launchType", false, &launch));
  std::optional<TaskStatus> status = ParseTaskStatus(last);
  if (!status.has_value()) {
    return Bad(absl::StrCat("'lastStatus' is '", last, "'"));
  }
  last_status = *status;
  if (desired != "RUNNING" && desired != "STOPPED") {
    return Bad(absl::StrCat("'desiredStatus' is '", desired, "'"));
  }
  desired_running = desired == "RUNNING";
  container_instance_id = std::string(ecs::IdOfArnOrId(instance_arn));
  family = FamilyOf(definition_arn);
  launch_type = launch == "FARGATE" ? 1 : launch == "EXTERNAL" ? 2 : 0;
  stopped_at.reset();
  if (last_status == TaskStatus::kStopped) {
    const boost::json::value* at = task.if_contains("stoppedAt");
    if (at != nullptr && (at->is_double() || at->is_int64())) {
      double seconds = at->is_double() ? at->get_double() : static_cast<double>(at->get_int64());
      stopped_at = absl::FromUnixMillis(static_cast<int64_t>(std::llround(seconds * 1000)));
    } else {
      stopped_at = absl::UnixEpoch();
    }
  }
  return absl::OkStatus();
}

const std::string& TaskEntry::Serialized() const {
  if (serialized == nullptr) {
    serialized = std::make_shared<const std::string>(boost::json::serialize(task));
  }
  return *serialized;
}

std::string TaskTable::Key(std::string_view cluster, std::string_view id) {
  return absl::StrCat(Absl(cluster), "/", Absl(id));
}

const TaskEntry* TaskTable::FindById(std::string_view id) const {
  auto it = by_id_.find(Absl(id));
  return it == by_id_.end() ? nullptr : it->second;
}

const TaskEntry* TaskTable::Find(std::string_view cluster, std::string_view id) const {
  const TaskEntry* entry = FindById(id);
  return entry != nullptr && entry->cluster == cluster ? entry : nullptr;
}

const std::set<std::string, std::less<>>& TaskTable::DesiredRunning(
    std::string_view cluster) const {
  auto it = desired_running_.find(cluster);
  return it == desired_running_.end() ? EmptyKeys() : it->second;
}

void TaskTable::Account(const TaskEntry& entry, int sign) {
  ClusterCounts& counts = clusters_->MutableCounts(entry.cluster);
  if (entry.last_status == TaskStatus::kStopped) {
    return;
  }
  counts.unstopped_tasks += sign;
  if (entry.last_status == TaskStatus::kRunning) {
    counts.running_tasks[entry.launch_type] += sign;
  } else if (entry.last_status < TaskStatus::kRunning) {
    counts.pending_tasks[entry.launch_type] += sign;
  }
}

void TaskTable::Unindex(const TaskEntry& entry) {
  std::string key = Key(entry.cluster, entry.id);
  Account(entry, -1);
  if (entry.desired_running) {
    auto it = desired_running_.find(entry.cluster);
    if (it != desired_running_.end()) {
      it->second.erase(key);
    }
  }
  if (entry.stopped_at.has_value()) {
    stopped_.erase({*entry.stopped_at, key});
  }
}

void TaskTable::Insert(TaskEntry entry, bool mirror) {
  std::string key = Key(entry.cluster, entry.id);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    Unindex(it->second);
  }
  Account(entry, +1);
  if (entry.desired_running) {
    desired_running_[entry.cluster].insert(key);
  }
  if (entry.stopped_at.has_value()) {
    stopped_.insert({*entry.stopped_at, key});
  }
  if (mirror) {
    schedulers_->TaskChanged(it == by_key_.end() ? nullptr : &it->second, entry);
  }
  if (it == by_key_.end()) {
    it = by_key_.emplace(std::move(key), std::move(entry)).first;
  } else {
    it->second = std::move(entry);
  }
  by_id_[it->second.id] = &it->second;  // map nodes do not move
}

absl::Status TaskTable::Put(TaskEntry entry, ChangeSet& changes) {
  RETURN_IF_ERROR(entry.Refresh());
  entry.serialized.reset();
  changes.Put(kTable, Key(entry.cluster, entry.id), EncodeTask(entry));
  Insert(std::move(entry), /*mirror=*/true);
  return absl::OkStatus();
}

void TaskTable::Remove(std::string_view cluster, std::string_view id, ChangeSet& changes) {
  std::string key = Key(cluster, id);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) {
    return;
  }
  Unindex(it->second);
  schedulers_->TaskRemoved(it->second);
  by_id_.erase(it->second.id);
  by_key_.erase(it);
  changes.Delete(kTable, std::move(key));
}

size_t TaskTable::ExpireStopped(absl::Time cutoff, size_t max, ChangeSet& changes) {
  size_t removed = 0;
  while (removed < max && !stopped_.empty() && stopped_.begin()->first < cutoff) {
    std::string key = stopped_.begin()->second;
    auto it = by_key_.find(key);
    if (it == by_key_.end()) {
      stopped_.erase(stopped_.begin());  // cannot happen: kept in step with by_key_
      continue;
    }
    std::string cluster = it->second.cluster, id = it->second.id;
    Remove(cluster, id, changes);
    ++removed;
  }
  return removed;
}

absl::Status TaskTable::Load(std::string_view key, std::string_view value) {
  absl::StatusOr<TaskEntry> entry = DecodeTask(value);
  if (!entry.ok()) {
    return entry.status();
  }
  if (Key(entry->cluster, entry->id) != key) {
    return absl::DataLossError(
        absl::StrCat("the record names task '", entry->cluster, "/", entry->id, "', not its key"));
  }
  Insert(*std::move(entry), /*mirror=*/false);
  return absl::OkStatus();
}

std::string EncodeTask(const TaskEntry& entry) {
  boost::json::object o = entry.task;
  o["cluster"] = entry.cluster;
  o["berthNeeds"] = NeedsToJson(entry.needs);
  if (!entry.tags.empty()) {
    boost::json::array tags;
    for (const ecs::Tag& tag : entry.tags) {
      tags.push_back(boost::json::object{{"key", tag.key}, {"value", tag.value}});
    }
    o["tags"] = std::move(tags);
  }
  return boost::json::serialize(o);
}

absl::StatusOr<TaskEntry> DecodeTask(std::string_view json) {
  auto corrupt = [](const absl::Status& s) {
    return absl::DataLossError(absl::StrCat("invalid record: ", s.message()));
  };
  absl::StatusOr<boost::json::value> value = ecs::ParseJson(json);
  if (!value.ok()) {
    return corrupt(value.status());
  }
  if (!value->is_object()) {
    return corrupt(Bad("not a JSON object"));
  }
  TaskEntry entry;
  entry.task = std::move(value->get_object());
  if (absl::Status s = ReadString(entry.task, "cluster", true, &entry.cluster); !s.ok()) {
    return corrupt(s);
  }
  if (absl::Status s = NeedsFromJson(entry.task.if_contains("berthNeeds"), &entry.needs);
      !s.ok()) {
    return corrupt(s);
  }
  if (const boost::json::value* tags = entry.task.if_contains("tags")) {
    if (!tags->is_array()) {
      return corrupt(Bad("'tags' is not a list"));
    }
    for (const boost::json::value& t : tags->get_array()) {
      const boost::json::object* tag = t.if_object();
      ecs::Tag out;
      if (tag == nullptr || !ReadString(*tag, "key", true, &out.key).ok() ||
          !ReadString(*tag, "value", false, &out.value).ok()) {
        return corrupt(Bad("a tag is not {key, value}"));
      }
      entry.tags.push_back(std::move(out));
    }
  }
  entry.task.erase("cluster");
  entry.task.erase("berthNeeds");
  entry.task.erase("tags");
  if (absl::Status s = entry.Refresh(); !s.ok()) {
    return corrupt(s);
  }
  entry.id = std::string(ecs::IdOfArnOrId(entry.task_arn));
  return entry;
}

}  // namespace berth::control::state
