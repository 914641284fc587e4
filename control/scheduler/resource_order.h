#ifndef BERTH_CONTROL_SCHEDULER_RESOURCE_ORDER_H_
#define BERTH_CONTROL_SCHEDULER_RESOURCE_ORDER_H_

// Instances ordered by (partition value, remaining cpu or memory), for
// binpack. Each belongs to a Filter and holds its eligible instances only.
// Internal to control/scheduler.

#include <cstdint>
#include <vector>

#include "control/scheduler/node.h"

namespace berth::scheduler::internal {

enum class Dimension { kCpu, kMemory };

// Keys (partition value, remaining amount, slot), sorted. With no partition
// every node has value 0.
class ResourceOrder {
 public:
  struct Key {
    uint32_t value;
    int64_t remaining;
    Slot slot;
    friend bool operator<(const Key& a, const Key& b) {
      if (a.value != b.value) {
        return a.value < b.value;
      }
      if (a.remaining != b.remaining) {
        return a.remaining < b.remaining;
      }
      return a.slot < b.slot;
    }
    friend bool operator==(const Key&, const Key&) = default;
  };

  // `keys` must be sorted.
  ResourceOrder(int partition, Dimension dimension, std::vector<Key> keys)
      : partition_(partition), dimension_(dimension), keys_(std::move(keys)) {}

  int partition() const { return partition_; }  // -1: none
  Dimension dimension() const { return dimension_; }
  const std::vector<Key>& keys() const { return keys_; }

  void Insert(const Key& key);
  void Erase(const Key& key);
  // Moves `from` to `to`, shifting only the entries between them.
  void Move(const Key& from, const Key& to);
  // Index of the first key not less than `key`.
  size_t LowerBound(const Key& key) const;

 private:
  int partition_;
  Dimension dimension_;
  std::vector<Key> keys_;
};

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_RESOURCE_ORDER_H_
