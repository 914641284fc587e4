// ClusterSnapshot: instances and tasks. The index upkeep is in
// snapshot_indexes.cc.

#include "control/scheduler/cluster_snapshot.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "absl/strings/str_cat.h"
#include "ecs/arn.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::scheduler {

using internal::Node;
using internal::SnapshotState;

namespace internal {

int SnapshotState::FindPartition(std::string_view attribute) const {
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (partitions[i].attribute() == attribute) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

const Filter* SnapshotState::FindFilter(std::string_view key) const {
  auto it = filters.find(Absl(key));
  return it == filters.end() ? nullptr : it->second.get();
}

const GroupState* SnapshotState::FindGroup(std::string_view name, uint32_t* id) const {
  auto it = group_ids.find(Absl(name));
  if (it == group_ids.end()) {
    return nullptr;
  }
  *id = it->second;
  return &groups[it->second];
}

bool SnapshotState::Lookup(std::string_view arn_or_id, Slot* slot) const {
  auto it = by_arn.find(Absl(arn_or_id));
  if (it == by_arn.end()) {
    it = by_id.find(Absl(ecs::IdOfArnOrId(arn_or_id)));
    if (it == by_id.end() || arn_or_id.substr(0, 4) == "arn:") {
      return false;
    }
  }
  *slot = it->second;
  return true;
}

}  // namespace internal

namespace {

absl::Status FillPorts(const ecs::ContainerInstance& instance, std::string_view name,
                       internal::PortSet* ports) {
  ports->Clear();
  const ecs::Resource* r = ecs::FindResource(instance.registered_resources, name);
  if (r == nullptr) {
    return absl::OkStatus();
  }
  std::set<uint16_t> unique;
  for (const std::string& text : r->string_set_value) {
    int port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port < 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("registeredResources ", Absl(name),
                                                     ": invalid port \"", text, "\""));
    }
    unique.insert(static_cast<uint16_t>(port));
  }
  for (uint16_t p : unique) {
    ports->Add(p);
  }
  return absl::OkStatus();
}

std::vector<std::string> PortStrings(const internal::PortSet& a, const internal::PortSet& b) {
  std::set<uint16_t> all(a.ports().begin(), a.ports().end());
  all.insert(b.ports().begin(), b.ports().end());
  std::vector<std::string> out;
  for (uint16_t p : all) {
    out.push_back(std::to_string(p));
  }
  return out;
}

}  // namespace

absl::Status ClusterSnapshot::FillNode(const ecs::ContainerInstance& instance, Node* node) {
  if (instance.container_instance_arn.empty()) {
    return absl::InvalidArgumentError("container instance without containerInstanceArn");
  }
  const ecs::Resource* cpu = ecs::FindResource(instance.registered_resources, ecs::kResourceCpu);
  const ecs::Resource* memory =
      ecs::FindResource(instance.registered_resources, ecs::kResourceMemory);
  if (cpu == nullptr || memory == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("container instance ",
                                                   instance.container_instance_arn,
                                                   " registered no CPU or MEMORY resource"));
  }
  if (absl::Status s = FillPorts(instance, ecs::kResourcePorts, &node->reserved_tcp); !s.ok()) {
    return s;
  }
  if (absl::Status s = FillPorts(instance, ecs::kResourcePortsUdp, &node->reserved_udp); !s.ok()) {
    return s;
  }
  node->arn = instance.container_instance_arn;
  node->id = std::string(ecs::IdOfArnOrId(node->arn));
  node->ec2_instance_id = instance.ec2_instance_id;
  node->agent_version =
      instance.version_info.has_value() ? instance.version_info->agent_version.value_or("") : "";
  node->registered_at = instance.registered_at.value_or(absl::InfinitePast());
  node->status = instance.status;
  node->agent_connected = instance.agent_connected;
  node->cpu_registered = ecs::ResourceAmount(*cpu);
  node->memory_registered = ecs::ResourceAmount(*memory);
  node->attributes.clear();
  for (const ecs::Attribute& a : instance.attributes) {
    node->attributes.emplace_back(a.name, a.value);
  }
  // Sorted by name; the first of duplicate names wins.
  std::stable_sort(node->attributes.begin(), node->attributes.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  node->attributes.erase(std::unique(node->attributes.begin(), node->attributes.end(),
                                     [](const auto& a, const auto& b) { return a.first == b.first; }),
                         node->attributes.end());
  return absl::OkStatus();
}

absl::StatusOr<internal::Slot> ClusterSnapshot::SlotOf(std::string_view arn) const {
  Slot slot = 0;
  if (!state_.Lookup(arn, &slot)) {
    return absl::NotFoundError(absl::StrCat("container instance ", Absl(arn), " is not in the snapshot"));
  }
  return slot;
}

bool ClusterSnapshot::HasInstance(std::string_view arn_or_id) const {
  Slot slot = 0;
  return state_.Lookup(arn_or_id, &slot);
}

absl::Status ClusterSnapshot::AddInstance(const ecs::ContainerInstance& instance) {
  if (state_.by_arn.contains(instance.container_instance_arn)) {
    return absl::AlreadyExistsError(
        absl::StrCat("container instance ", instance.container_instance_arn, " already added"));
  }
  Node node;
  if (absl::Status s = FillNode(instance, &node); !s.ok()) {
    return s;
  }
  if (state_.by_id.contains(node.id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("container instance id ", node.id, " already added"));
  }
  Slot slot;
  if (!state_.free_slots.empty()) {
    slot = state_.free_slots.back();
    state_.free_slots.pop_back();
  } else {
    slot = static_cast<Slot>(state_.nodes.size());
    state_.nodes.emplace_back();
    state_.live_position.push_back(0);
  }
  node.live = true;
  state_.by_arn[node.arn] = slot;
  state_.by_id[node.id] = slot;
  state_.nodes[slot] = std::move(node);
  state_.live_position[slot] = static_cast<uint32_t>(state_.live.size());
  state_.live.push_back(slot);
  Attach(slot);
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::UpdateInstance(const ecs::ContainerInstance& instance) {
  absl::StatusOr<Slot> slot = SlotOf(instance.container_instance_arn);
  if (!slot.ok()) {
    return slot.status();
  }
  Node updated = state_.nodes[*slot];
  if (absl::Status s = FillNode(instance, &updated); !s.ok()) {
    return s;
  }
  Detach(*slot);
  state_.nodes[*slot] = std::move(updated);
  Attach(*slot);
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::SetStatus(std::string_view arn, ecs::ContainerInstanceStatus status) {
  absl::StatusOr<Slot> slot = SlotOf(arn);
  if (!slot.ok()) {
    return slot.status();
  }
  Detach(*slot);
  state_.nodes[*slot].status = status;
  Attach(*slot);
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::SetAgentConnected(std::string_view arn, bool connected) {
  absl::StatusOr<Slot> slot = SlotOf(arn);
  if (!slot.ok()) {
    return slot.status();
  }
  Detach(*slot);
  state_.nodes[*slot].agent_connected = connected;
  Attach(*slot);
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::SetAttributes(std::string_view arn,
                                            const std::vector<ecs::Attribute>& attributes) {
  absl::StatusOr<Slot> slot = SlotOf(arn);
  if (!slot.ok()) {
    return slot.status();
  }
  Detach(*slot);
  Node& node = state_.nodes[*slot];
  node.attributes.clear();
  for (const ecs::Attribute& a : attributes) {
    node.attributes.emplace_back(a.name, a.value);
  }
  std::stable_sort(node.attributes.begin(), node.attributes.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  node.attributes.erase(std::unique(node.attributes.begin(), node.attributes.end(),
                                    [](const auto& a, const auto& b) { return a.first == b.first; }),
                        node.attributes.end());
  Attach(*slot);
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::RemoveInstance(std::string_view arn) {
  absl::StatusOr<Slot> slot = SlotOf(arn);
  if (!slot.ok()) {
    return slot.status();
  }
  std::vector<std::string> on_node;
  for (const auto& [task_arn, entry] : state_.tasks) {
    if (entry.slot == *slot) {
      on_node.push_back(task_arn);
    }
  }
  for (const std::string& task_arn : on_node) {
    CHECK_OK(RemoveTask(task_arn));
  }
  Detach(*slot);
  Node& node = state_.nodes[*slot];
  state_.by_arn.erase(node.arn);
  state_.by_id.erase(node.id);
  uint32_t pos = state_.live_position[*slot];
  state_.live[pos] = state_.live.back();
  state_.live_position[state_.live[pos]] = pos;
  state_.live.pop_back();
  node = Node();
  state_.free_slots.push_back(*slot);
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::AddTask(const TaskRecord& task) {
  absl::StatusOr<Slot> slot = SlotOf(task.container_instance);
  if (!slot.ok()) {
    return slot.status();
  }
  if (state_.tasks.contains(task.task_arn)) {
    return absl::AlreadyExistsError(absl::StrCat("task ", task.task_arn, " already added"));
  }
  uint32_t group = InternGroup(task.group);
  state_.tasks.emplace(task.task_arn,
                       SnapshotState::TaskEntry{*slot, group, task.needs, task.running});
  Node& node = state_.nodes[*slot];
  ++(task.running ? node.running : node.pending);
  AccountTask(*slot, group, task.needs, +1);
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::SetTaskRunning(std::string_view task_arn, bool running) {
  auto it = state_.tasks.find(Absl(task_arn));
  if (it == state_.tasks.end()) {
    return absl::NotFoundError(absl::StrCat("task ", Absl(task_arn), " is not in the snapshot"));
  }
  if (it->second.running != running) {
    Node& node = state_.nodes[it->second.slot];
    --(it->second.running ? node.running : node.pending);
    ++(running ? node.running : node.pending);
    it->second.running = running;
  }
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::RemoveTask(std::string_view task_arn) {
  auto it = state_.tasks.find(Absl(task_arn));
  if (it == state_.tasks.end()) {
    return absl::NotFoundError(absl::StrCat("task ", Absl(task_arn), " is not in the snapshot"));
  }
  SnapshotState::TaskEntry entry = std::move(it->second);
  state_.tasks.erase(it);
  Node& node = state_.nodes[entry.slot];
  --(entry.running ? node.running : node.pending);
  AccountTask(entry.slot, entry.group, entry.needs, -1);
  return absl::OkStatus();
}

absl::Status ClusterSnapshot::Commit(const Plan& plan, const PlacementRequest& request,
                                     absl::Span<const std::string> task_arns) {
  if (task_arns.size() != plan.placements.size()) {
    return absl::InvalidArgumentError(absl::StrCat("Commit: ", plan.placements.size(),
                                                   " placements but ", task_arns.size(),
                                                   " task ARNs"));
  }
  // All or nothing: check before changing anything.
  for (size_t i = 0; i < task_arns.size(); ++i) {
    if (!HasInstance(plan.placements[i].container_instance_arn)) {
      return absl::NotFoundError(absl::StrCat("container instance ",
                                              plan.placements[i].container_instance_arn,
                                              " is not in the snapshot"));
    }
    if (state_.tasks.contains(task_arns[i]) ||
        std::find(task_arns.begin(), task_arns.begin() + i, task_arns[i]) !=
            task_arns.begin() + i) {
      return absl::AlreadyExistsError(absl::StrCat("task ", task_arns[i], " already added"));
    }
  }
  for (size_t i = 0; i < task_arns.size(); ++i) {
    TaskRecord record{task_arns[i], plan.placements[i].container_instance_arn, request.group,
                      request.needs, false};
    CHECK_OK(AddTask(record));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ecs::Resource>> ClusterSnapshot::RemainingResources(
    std::string_view arn) const {
  absl::StatusOr<Slot> slot = SlotOf(arn);
  if (!slot.ok()) {
    return slot.status();
  }
  const Node& node = state_.nodes[*slot];
  auto clamp = [](int64_t v) {
    return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
  };
  std::vector<ecs::Resource> out;
  out.push_back(ecs::IntegerResource(ecs::kResourceCpu, clamp(node.RemainingCpu())));
  out.push_back(ecs::IntegerResource(ecs::kResourceMemory, clamp(node.RemainingMemory())));
  ecs::Resource tcp = ecs::PortsResource(ecs::kResourcePorts, {});
  tcp.string_set_value = PortStrings(node.reserved_tcp, node.used_tcp);
  out.push_back(std::move(tcp));
  ecs::Resource udp = ecs::PortsResource(ecs::kResourcePortsUdp, {});
  udp.string_set_value = PortStrings(node.reserved_udp, node.used_udp);
  out.push_back(std::move(udp));
  return out;
}

}  // namespace berth::scheduler
