#include "control/state/container_instance_table.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "control/state/records.h"
#include "control/state/schedulers.h"
#include "io/absl_compat.h"

namespace berth::control::state {

std::string ContainerInstanceTable::Key(std::string_view cluster, std::string_view id) {
  return absl::StrCat(Absl(cluster), "/", Absl(id));
}

const ContainerInstanceEntry* ContainerInstanceTable::FindById(std::string_view id) const {
  auto it = key_by_id_.find(id);
  if (it == key_by_id_.end()) {
    return nullptr;
  }
  auto entry = by_key_.find(it->second);
  return entry == by_key_.end() ? nullptr : &entry->second;
}

const ContainerInstanceEntry* ContainerInstanceTable::Find(std::string_view cluster,
                                                           std::string_view id) const {
  const ContainerInstanceEntry* entry = FindById(id);
  return entry != nullptr && entry->cluster == cluster ? entry : nullptr;
}

void ContainerInstanceTable::Insert(ContainerInstanceEntry entry) {
  std::string key = Key(entry.cluster, entry.id);
  auto it = by_key_.find(key);
  if (it != by_key_.end() && it->second.registered()) {
    --clusters_->MutableCounts(it->second.cluster).registered_instances;
  }
  if (entry.registered()) {
    ++clusters_->MutableCounts(entry.cluster).registered_instances;
  }
  key_by_id_[entry.id] = key;
  if (it == by_key_.end()) {
    by_key_.emplace(std::move(key), std::move(entry));
  } else {
    it->second = std::move(entry);
  }
}

void ContainerInstanceTable::Put(ContainerInstanceEntry entry, ChangeSet& changes) {
  changes.Put(kTable, Key(entry.cluster, entry.id), EncodeContainerInstance(entry));
  if (schedulers_ != nullptr) {
    schedulers_->InstanceChanged(entry);
  }
  Insert(std::move(entry));
}

void ContainerInstanceTable::SetAgentConnected(std::string_view id, bool connected) {
  auto it = key_by_id_.find(id);
  if (it == key_by_id_.end()) {
    return;
  }
  auto entry = by_key_.find(it->second);
  if (entry == by_key_.end() || entry->second.instance.agent_connected == connected) {
    return;
  }
  entry->second.instance.agent_connected = connected;
  if (schedulers_ != nullptr && entry->second.registered()) {
    schedulers_->Of(entry->second.cluster)
        .SetAgentConnected(entry->second.instance.container_instance_arn, connected)
        .IgnoreError();
  }
}

absl::Status ContainerInstanceTable::Load(std::string_view key, std::string_view value) {
  absl::StatusOr<ContainerInstanceEntry> entry = DecodeContainerInstance(value);
  if (!entry.ok()) {
    return entry.status();
  }
  if (Key(entry->cluster, entry->id) != key) {
    return absl::DataLossError(absl::StrCat("the record names container instance '",
                                            entry->cluster, "/", entry->id, "', not its key"));
  }
  Insert(*std::move(entry));
  return absl::OkStatus();
}

}  // namespace berth::control::state
