#ifndef BERTH_CONTROL_STATE_TASK_DEFINITION_TABLE_H_
#define BERTH_CONTROL_STATE_TASK_DEFINITION_TABLE_H_

// Task definitions by family, then revision (both ordered, for
// ListTaskDefinitions and ListTaskDefinitionFamilies paging). Revisions are
// never removed: DeregisterTaskDefinition makes one INACTIVE, so the next
// revision of a family is always one more than the highest stored, and a
// number is never reused (reference §3.6). A record's key is
// "<family>:<revision>"; the ARN is derived from it and the ArnScope, not
// stored.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "control/state/change_set.h"
#include "ecs/tag.h"
#include "ecs/task_definition.h"

namespace berth::control::state {

inline constexpr std::string_view kTaskDefinitionActive = "ACTIVE";
inline constexpr std::string_view kTaskDefinitionInactive = "INACTIVE";

// One revision and its tags (TaskDefinition has no tags member: the API
// returns them beside it).
struct TaskDefinitionEntry {
  ecs::TaskDefinition definition;  // task_definition_arn left empty
  std::vector<ecs::Tag> tags;

  bool active() const { return definition.status.value_or("") == kTaskDefinitionActive; }
  friend bool operator==(const TaskDefinitionEntry&, const TaskDefinitionEntry&) = default;
};

class TaskDefinitionTable {
 public:
  static constexpr std::string_view kTable = "task_definitions";

  struct Family {
    std::map<int32_t, TaskDefinitionEntry> revisions;
    int32_t active_count = 0;
  };
  using Map = std::map<std::string, Family, std::less<>>;

  // "<family>:<revision>", the record key.
  static std::string Key(std::string_view family, int32_t revision);

  // nullptr when the family has no such revision (ACTIVE or INACTIVE).
  const TaskDefinitionEntry* Find(std::string_view family, int32_t revision) const;
  // The highest ACTIVE revision of the family; nullptr when none is ACTIVE.
  const TaskDefinitionEntry* LatestActive(std::string_view family) const;
  // The revision RegisterTaskDefinition gives the family's next definition.
  int32_t NextRevision(std::string_view family) const;

  // Inserts or replaces entry.definition's (family, revision) and records
  // the write.
  void Put(TaskDefinitionEntry entry, ChangeSet& changes);

  const Map& families() const { return families_; }

  // Start-up: one stored record.
  absl::Status Load(std::string_view key, std::string_view value);

 private:
  void Insert(TaskDefinitionEntry entry);

  Map families_;
};

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_TASK_DEFINITION_TABLE_H_
