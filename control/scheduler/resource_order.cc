#include "control/scheduler/resource_order.h"

#include <algorithm>

#include "io/log.h"

namespace berth::scheduler::internal {

void ResourceOrder::Insert(const Key& key) {
  keys_.insert(std::lower_bound(keys_.begin(), keys_.end(), key), key);
}

void ResourceOrder::Erase(const Key& key) {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
  CHECK(it != keys_.end() && *it == key) << "resource order lost slot " << key.slot;
  keys_.erase(it);
}

void ResourceOrder::Move(const Key& from, const Key& to) {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), from);
  CHECK(it != keys_.end() && *it == from) << "resource order lost slot " << from.slot;
  if (to < from) {
    // Entries in [target, it) shift up by one.
    auto target = std::lower_bound(keys_.begin(), it, to);
    std::move_backward(target, it, it + 1);
    *target = to;
  } else {
    // Entries in (it, target) shift down by one.
    auto target = std::lower_bound(it + 1, keys_.end(), to);
    std::move(it + 1, target, it);
    *(target - 1) = to;
  }
}

size_t ResourceOrder::LowerBound(const Key& key) const {
  return static_cast<size_t>(std::lower_bound(keys_.begin(), keys_.end(), key) - keys_.begin());
}

}  // namespace berth::scheduler::internal
