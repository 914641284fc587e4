#include "control/scheduler/query/cache.h"

#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::scheduler::query {

ExpressionCache::ExpressionCache(size_t capacity) : capacity_(capacity) {
  CHECK_GT(capacity, 0u);
}

absl::StatusOr<std::shared_ptr<const Expression>> ExpressionCache::Get(
    std::string_view text) {
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(Absl(text));
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  absl::StatusOr<std::shared_ptr<const Expression>> parsed = Parse(text);
  if (!parsed.ok()) {
    return parsed;
  }
  absl::MutexLock lock(&mu_);
  auto it = index_.find(Absl(text));
  if (it != index_.end()) {
    // Another thread parsed the same text meanwhile: share its object.
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  lru_.emplace_front(std::string(text), *parsed);
  index_.emplace(Absl(lru_.front().first), lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(Absl(lru_.back().first));
    lru_.pop_back();
  }
  return parsed;
}

size_t ExpressionCache::size() const {
  absl::MutexLock lock(&mu_);
  return lru_.size();
}

ExpressionCache& ExpressionCache::Global() {
  static ExpressionCache* cache = new ExpressionCache();
  return *cache;
}

}  // namespace berth::scheduler::query
