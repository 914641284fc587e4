#ifndef BERTH_CONTROL_SCHEDULER_PARTITION_H_
#define BERTH_CONTROL_SCHEDULER_PARTITION_H_

// Instances bucketed by the value of one attribute (ecs.availability-zone,
// ...), for spread(attribute:X). Internal to control/scheduler; one of the
// indexes docs/scheduler.md describes.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "control/scheduler/node.h"

namespace berth::scheduler::internal {

// Value id 0 of every partition: the attribute is absent.
inline constexpr uint32_t kAbsentValue = 0;

class Partition {
 public:
  explicit Partition(std::string attribute);

  const std::string& attribute() const { return attribute_; }
  uint32_t value_count() const { return static_cast<uint32_t>(values_.size()); }
  const std::string& value_name(uint32_t value) const { return values_[value]; }
  uint32_t ValueOf(Slot slot) const { return slot < value_of_.size() ? value_of_[slot] : 0; }
  const std::vector<Slot>& members(uint32_t value) const { return members_[value]; }

  // Adds / removes a live node under its current attribute value.
  void Attach(Slot slot, const Node& node);
  void Detach(Slot slot);

 private:
  std::string attribute_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
  std::vector<std::string> values_;          // id -> value ("" for absent)
  std::vector<std::vector<Slot>> members_;   // id -> slots
  std::vector<uint32_t> value_of_;           // slot -> id
  std::vector<uint32_t> position_;           // slot -> index in members_[id]
};

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_PARTITION_H_
