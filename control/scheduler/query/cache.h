#ifndef BERTH_CONTROL_SCHEDULER_QUERY_CACHE_H_
#define BERTH_CONTROL_SCHEDULER_QUERY_CACHE_H_

// A bounded, thread-safe cache of parsed expressions keyed by their text,
// behind ParseCached(). The same text yields the same Expression object
// while it stays cached; when full, the least recently used entry goes, so
// a stream of distinct (possibly hostile) expressions cannot grow memory
// without bound. Failed parses are not cached.

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "control/scheduler/query/query.h"

namespace berth::scheduler::query {

class ExpressionCache {
 public:
  // Memory stays below capacity x (2,000 characters of text + the tree and
  // its compiled regular expressions).
  static constexpr size_t kDefaultCapacity = 1024;

  explicit ExpressionCache(size_t capacity = kDefaultCapacity);
  ExpressionCache(const ExpressionCache&) = delete;
  ExpressionCache& operator=(const ExpressionCache&) = delete;

  // The cached expression for `text`, parsing it on a miss. Parsing runs
  // outside the lock; when two threads race on one text, both get the
  // object the first of them inserted.
  absl::StatusOr<std::shared_ptr<const Expression>> Get(std::string_view text);

  size_t size() const;
  size_t capacity() const { return capacity_; }

  // The process-wide instance ParseCached() uses; never destroyed.
  static ExpressionCache& Global();

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const Expression>>;
  using List = std::list<Entry>;

  const size_t capacity_;
  mutable absl::Mutex mu_;
  List lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  // Keys point into the list entries' strings, which never move.
  absl::flat_hash_map<absl::string_view, List::iterator> index_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::scheduler::query

#endif  // BERTH_CONTROL_SCHEDULER_QUERY_CACHE_H_
