#include "control/state/task_definition_table.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "control/state/records.h"
#include "io/absl_compat.h"

namespace berth::control::state {

std::string TaskDefinitionTable::Key(std::string_view family, int32_t revision) {
  return absl::StrCat(Absl(family), ":", revision);
}

const TaskDefinitionEntry* TaskDefinitionTable::Find(std::string_view family,
                                                     int32_t revision) const {
  auto it = families_.find(family);
  if (it == families_.end()) {
    return nullptr;
  }
  auto rev = it->second.revisions.find(revision);
  return rev == it->second.revisions.end() ? nullptr : &rev->second;
}

const TaskDefinitionEntry* TaskDefinitionTable::LatestActive(std::string_view family) const {
  auto it = families_.find(family);
  if (it == families_.end() || it->second.active_count == 0) {
    return nullptr;
  }
  for (auto rev = it->second.revisions.rbegin(); rev != it->second.revisions.rend(); ++rev) {
    if (rev->second.active()) {
      return &rev->second;
    }
  }
  return nullptr;
}

int32_t TaskDefinitionTable::NextRevision(std::string_view family) const {
  auto it = families_.find(family);
  if (it == families_.end() || it->second.revisions.empty()) {
    return 1;
  }
  return it->second.revisions.rbegin()->first + 1;
}

void TaskDefinitionTable::Insert(TaskDefinitionEntry entry) {
  Family& family = families_[entry.definition.family];
  auto [it, inserted] = family.revisions.try_emplace(entry.definition.revision);
  if (!inserted && it->second.active()) {
    --family.active_count;
  }
  it->second = std::move(entry);
  if (it->second.active()) {
    ++family.active_count;
  }
}

void TaskDefinitionTable::Put(TaskDefinitionEntry entry, ChangeSet& changes) {
  entry.definition.task_definition_arn.clear();
  changes.Put(kTable, Key(entry.definition.family, entry.definition.revision),
              EncodeTaskDefinition(entry));
  Insert(std::move(entry));
}

absl::Status TaskDefinitionTable::Load(std::string_view key, std::string_view value) {
  absl::StatusOr<TaskDefinitionEntry> entry = DecodeTaskDefinition(value);
  if (!entry.ok()) {
    return entry.status();
  }
  std::string expected = Key(entry->definition.family, entry->definition.revision);
  if (expected != key || entry->definition.revision < 1) {
    return absl::DataLossError(
        absl::StrCat("the record names task definition '", expected, "', not its key"));
  }
  Insert(*std::move(entry));
  return absl::OkStatus();
}

}  // namespace berth::control::state
